/*
 * tap — the unit tests' shared frame: a table of named cases, TAP output.
 *
 *	static int test_something(void) { CHECK(1 + 1 == 2); return 0; }
 *	static const struct tap_case cases[] = { { "something", test_something } };
 *	int main(void) { return tap_run(cases, ELEMENTSOF(cases)); }
 *
 * A case returns 0, or the line of its first failed CHECK.
 *
 * Cases that should go on after a failure (to report every wrong field of a
 * table row, say) use EXPECT instead, which marks the case failed in
 * tap_failed and carries on; the test's main() prints the verdict.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CHECK(cond) do { \
		if (!(cond)) { \
			printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			return __LINE__; \
		} \
	} while (0)

static bool tap_failed __attribute__((unused));

static inline void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

#define EXPECT(cond) do { \
		if (!(cond)) { \
			tap_diag("%s:%d: failed: %s", __FILE__, __LINE__, #cond); \
			tap_failed = true; \
		} \
	} while (0)

#define EXPECT_STR(a, b) do { \
		const char *a_ = (a), *b_ = (b); \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) { \
			tap_diag("%s:%d: \"%s\" != \"%s\"", __FILE__, __LINE__, a_ ? a_ : "(null)", \
				 b_ ? b_ : "(null)"); \
			tap_failed = true; \
		} \
	} while (0)

struct tap_case {
	const char *name;
	int (*run)(void);
};

/* A case that cannot run here: return TAP_SKIP(reason). */
static const char *tap_skip_reason __attribute__((unused));
#define TAP_SKIP(reason) (tap_skip_reason = (reason), -1)

static inline int tap_run(const struct tap_case *cases, size_t n)
{
	bool ok = true;

	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		int line = cases[i].run();

		if (line < 0) {
			printf("ok %zu - %s # SKIP %s\n", i + 1, cases[i].name, tap_skip_reason ? tap_skip_reason : "");
			continue;
		}
		printf("%s %zu - %s\n", line == 0 ? "ok" : "not ok", i + 1, cases[i].name);
		ok = ok && line == 0;
	}
	return ok ? 0 : 1;
}
