/*
 * tap — the unit tests' shared frame: a table of named cases, TAP output.
 *
 *	static int test_something(void) { CHECK(1 + 1 == 2); return 0; }
 *	static const struct tap_case cases[] = { { "something", test_something } };
 *	int main(void) { return tap_run(cases, ELEMENTSOF(cases)); }
 *
 * A case returns 0, or the line of its first failed CHECK.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#define CHECK(cond) do { \
		if (!(cond)) { \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			return __LINE__; \
		} \
	} while (0)

struct tap_case {
	const char *name;
	int (*run)(void);
};

static inline int tap_run(const struct tap_case *cases, size_t n)
{
	bool ok = true;

	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		int line = cases[i].run();

		printf("%s %zu - %s\n", line == 0 ? "ok" : "not ok", i + 1, cases[i].name);
		ok = ok && line == 0;
	}
	return ok ? 0 : 1;
}
