/*
 * test-inputs — the lines of `kitchenctl order --inputs` (cli/inputs.c):
 * byte-exact, empty lines skipped, line numbers kept, a last line without
 * '\n', the limit, and every way of cutting the bytes into pieces.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inputs.h"
#include "tap.h"
#include "util.h"

/* Whether input @i of @in is the @len bytes at @s, from line @line. */
static int is(const struct inputs *in, size_t i, const char *s, size_t len, size_t line)
{
	struct proto_field f;

	if (i >= in->n)
		return 0;
	f = inputs_get(in, i);
	return f.len == len && memcmp(f.data, s, len) == 0 && in->items[i].line == line;
}

#define IS(in, i, lit, line) is(in, i, lit, sizeof(lit) - 1, line)

/* @len bytes at @data fed @piece bytes at a time, then the end. */
static int split(struct inputs *in, size_t max, const char *data, size_t len, size_t piece)
{
	int r;

	inputs_init(in, max);
	for (size_t off = 0; off < len; off += piece) {
		r = inputs_add(in, data + off, len - off < piece ? len - off : piece);
		if (r < 0)
			return r;
	}
	return inputs_end(in);
}

static int test_lines(void)
{
	static const char text[] = "1\n22\n\n 4 \r\na\0b\n\xff\xfe\n\n\nlast";
	struct inputs in;

	/* Every way of cutting it gives the same inputs. */
	for (size_t piece = 1; piece <= sizeof(text); piece++) {
		CHECK(split(&in, 100, text, sizeof(text) - 1, piece) == 0);
		CHECK(in.n == 6);
		CHECK(IS(&in, 0, "1", 1));
		CHECK(IS(&in, 1, "22", 2));
		CHECK(IS(&in, 2, " 4 \r", 4));
		CHECK(IS(&in, 3, "a\0b", 5));
		CHECK(IS(&in, 4, "\xff\xfe", 6));
		CHECK(IS(&in, 5, "last", 9));
		inputs_clear(&in);
	}
	return 0;
}

static int test_edges(void)
{
	struct inputs in;

	CHECK(split(&in, 100, "", 0, 1) == 0 && in.n == 0);
	inputs_clear(&in);
	CHECK(split(&in, 100, "\n\n\n", 3, 1) == 0 && in.n == 0);
	inputs_clear(&in);
	CHECK(split(&in, 100, "x", 1, 1) == 0 && in.n == 1 && IS(&in, 0, "x", 1));
	inputs_clear(&in);
	CHECK(split(&in, 100, "x\n", 2, 2) == 0 && in.n == 1 && IS(&in, 0, "x", 1));
	inputs_clear(&in);
	/* inputs_end() twice adds nothing more. */
	CHECK(split(&in, 100, "x\ny", 3, 3) == 0 && in.n == 2 && inputs_end(&in) == 0);
	inputs_clear(&in);
	return 0;
}

static int test_limit(void)
{
	struct inputs in;

	/* At the limit is fine; one byte more is refused, naming the line. */
	CHECK(split(&in, 3, "abc\n\nxyz", 8, 1) == 0 && in.n == 2 && IS(&in, 1, "xyz", 3));
	inputs_clear(&in);
	for (size_t piece = 1; piece <= 12; piece++) {
		CHECK(split(&in, 3, "abc\n\nwxyz\nq", 11, piece) == -E2BIG);
		CHECK(in.bad_line == 3 && in.bad_len >= 4);
		CHECK(inputs_add(&in, "q", 1) == -E2BIG && inputs_end(&in) == -E2BIG);
		inputs_clear(&in);
	}
	/* A last line without '\n', too long. */
	CHECK(split(&in, 3, "abcd", 4, 4) == -E2BIG && in.bad_line == 1 && in.bad_len == 4);
	inputs_clear(&in);
	return 0;
}

static int test_many(void)
{
	struct inputs in;
	char line[32];
	int k;

	inputs_init(&in, 16);
	for (int i = 1; i <= 100000; i++) {
		k = snprintf(line, sizeof(line), "%d\n", i);
		CHECK(inputs_add(&in, line, (size_t) k) == 0);
	}
	CHECK(inputs_end(&in) == 0 && in.n == 100000);
	CHECK(IS(&in, 0, "1", 1) && IS(&in, 99999, "100000", 100000));
	inputs_clear(&in);
	return 0;
}

static int test_read(void)
{
	struct inputs in;
	int fds[2];

	CHECK(pipe(fds) == 0);
	CHECK(write(fds[1], "one\ntwo\n\nthree", 14) == 14);
	close(fds[1]);
	inputs_init(&in, 100);
	CHECK(inputs_read(&in, fds[0]) == 0);
	close(fds[0]);
	CHECK(in.n == 3 && IS(&in, 0, "one", 1) && IS(&in, 1, "two", 2) && IS(&in, 2, "three", 4));
	inputs_clear(&in);
	CHECK(inputs_read(&in, -1) == -EBADF);
	inputs_clear(&in);
	return 0;
}

static const struct tap_case cases[] = {
	{ "lines, byte-exact, empty ones skipped", test_lines },
	{ "empty input, blank lines, a last line", test_edges },
	{ "the limit", test_limit },
	{ "100000 lines", test_many },
	{ "read from a pipe", test_read },
};

int main(void)
{
	return tap_run(cases, ELEMENTSOF(cases));
}
