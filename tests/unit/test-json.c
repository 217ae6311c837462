/*
 * test-json — kitchenctl's JSON writer (cli/json.c): base64 strings (the
 * "output_base64" of --output), escapes, and what unicode_valid() takes as
 * UTF-8 (which decides between "output" and "output_base64").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tap.h"
#include "unicode.h"
#include "util.h"

/* What @write puts out for @len bytes at @data, as a new string. */
static char *written(void (*write)(struct json *, const void *, size_t), const void *data, size_t len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	struct json j;

	if (!f)
		return NULL;
	json_init(&j, f);
	write(&j, data, len);
	fclose(f);
	return buf;
}

static void base64(struct json *j, const void *data, size_t len)
{
	json_base64(j, data, len);
}

static void string(struct json *j, const void *data, size_t len)
{
	json_string_len(j, data, len);
}

static int is(void (*write)(struct json *, const void *, size_t), const char *data, size_t len,
	      const char *want)
{
	_cleanup_free_ char *got = written(write, data, len);

	if (got && strcmp(got, want) == 0)
		return 1;
	tap_diag("got %s, want %s", got ? got : "(null)", want);
	return 0;
}

static int test_base64(void)
{
	/* RFC 4648's test vectors. */
	static const char *const want[] = { "\"\"", "\"Zg==\"", "\"Zm8=\"", "\"Zm9v\"", "\"Zm9vYg==\"",
					    "\"Zm9vYmE=\"", "\"Zm9vYmFy\"" };

	for (size_t n = 0; n < ELEMENTSOF(want); n++)
		CHECK(is(base64, "foobar", n, want[n]));
	CHECK(is(base64, "\xff\xfe\0\x80", 4, "\"//4AgA==\""));
	return 0;
}

static int test_strings(void)
{
	CHECK(is(string, "a\0b\n\t\"\\", 7, "\"a\\u0000b\\n\\t\\\"\\\\\""));
	CHECK(is(string, "caf\xc3\xa9", 5, "\"caf\xc3\xa9\""));
	return 0;
}

static int test_valid(void)
{
	CHECK(unicode_valid("", 0));
	CHECK(unicode_valid("12: 2 2 3\n", 10));
	CHECK(unicode_valid("a\0b\r\t", 5));
	CHECK(unicode_valid("caf\xc3\xa9", 5));
	CHECK(!unicode_valid("caf\xc3", 4));
	CHECK(!unicode_valid("\xff", 1));
	CHECK(!unicode_valid("\xed\xa0\x80", 3));   /* a surrogate */
	CHECK(!unicode_valid("\xc0\xaf", 2));       /* overlong */
	return 0;
}

static const struct tap_case cases[] = {
	{ "base64", test_base64 },
	{ "strings", test_strings },
	{ "UTF-8 or not", test_valid },
};

int main(void)
{
	return tap_run(cases, ELEMENTSOF(cases));
}
