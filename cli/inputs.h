/*
 * inputs — the dish inputs of `kitchenctl order DISH --inputs FILE`: one
 * a line, as xargs reads lines.
 *
 * A line is the bytes before its '\n', kept exactly (NUL bytes, '\r', bytes
 * that are not UTF-8, leading and trailing blanks: an input is data, never
 * parsed); a last line without '\n' counts too. An empty line is skipped, as
 * xargs skips blank lines, so a file ending in "\n\n" orders no empty dish;
 * each input remembers its line number, for messages. A line longer than
 * the limit given is refused (-E2BIG, naming it) as soon as it is seen, so
 * `yes | tr -d '\n' | kitchenctl ...` ends instead of eating memory.
 *
 * The bytes are fed in pieces as they are read (pure: unit-tested with
 * tests/unit/test-inputs.c); inputs_read() reads a file descriptor to its end.
 *
 *	struct inputs in;
 *	inputs_init(&in, PROTO_MAX_INPUT);
 *	r = inputs_read(&in, STDIN_FILENO);        // or inputs_add() ... inputs_end()
 *	if (r == -E2BIG) ... line in.bad_line is longer than the limit
 *	for (size_t i = 0; i < in.n; i++)
 *		inputs_get(&in, i) ...                  // a struct proto_field into in's buffer
 *	inputs_clear(&in);
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct inputs_item {
	size_t off;           /* into buf */
	size_t len;
	size_t line;          /* from 1 */
};

struct inputs {
	size_t max;           /* bytes of one input at most */
	char *buf;            /* every byte fed, '\n' included */
	size_t len, size;
	size_t n;             /* inputs found: the lines that are not empty */
	struct inputs_item *items;
	size_t n_items_size;  /* allocated */
	size_t line;          /* lines seen whole so far */
	size_t start;         /* where the line being read begins, in buf */
	size_t scanned;       /* bytes of buf already looked at for '\n' */
	size_t bad_line;      /* after -E2BIG: the line too long, from 1 */
	size_t bad_len;       /* and its length so far (at least max + 1) */
};

void inputs_init(struct inputs *in, size_t max);
void inputs_clear(struct inputs *in);

/* Feed @len more bytes. 0; -E2BIG when a line passed in->max bytes (in->bad_line
 * and in->bad_len say which, nothing more may be fed); -ENOMEM. */
int inputs_add(struct inputs *in, const void *data, size_t len);
/* No more bytes: a last line without '\n' becomes an input. 0. */
int inputs_end(struct inputs *in);
/* inputs_add() of all of @fd until its end, then inputs_end(): 0, -E2BIG,
 * -ENOMEM, or read(2)'s -errno. */
int inputs_read(struct inputs *in, int fd);

/* Input @i (< in->n), pointing into in->buf: valid until the next inputs_add(). */
static inline struct proto_field inputs_get(const struct inputs *in, size_t i)
{
	return (struct proto_field) { in->buf + in->items[i].off, in->items[i].len };
}
