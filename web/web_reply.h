/*
 * web_reply — what kitchen-web answers one HTTP request: a status, a
 * content type and a body it owns; and the JSON writer that fills one.
 *
 * JSON is written with kitchenctl's writer (cli/json.h), into memory, so a
 * value from kitchend is escaped here exactly as `kitchenctl --json` escapes
 * it: valid UTF-8 always, control characters and hidden characters escaped.
 *
 *	struct web_json b;
 *	r = web_json_begin(&b);
 *	json_object_begin(&b.j); ... json_object_end(&b.j);
 *	r = web_json_end(&b, 200, reply);
 *
 * Errors are one shape everywhere: {"error": "not-found", "message": "..."}
 * (the code is kitchend's ERR code when kitchend refused, else one of
 * kitchen-web's own: "unavailable", "bad-reply", "bad-request", "read-only",
 * "unauthorized", "forbidden", "too-large", ...).
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "json.h"

struct client;

struct web_reply {
	unsigned status;
	const char *type; /* a literal: "application/json", "text/html; charset=utf-8" */
	char *body;       /* owned; NULL for none */
	size_t len;
	const char *allow; /* 405: the methods allowed, else NULL */
	int owned;         /* body is malloc'd (0: a literal, e.g. an embedded file) */
};

void web_reply_clear(struct web_reply *r); /* frees the body; the reply may be filled again */

struct web_json {
	FILE *f;
	char *buf;
	size_t len;
	struct json j;
};

/* 0 or -ENOMEM. */
int web_json_begin(struct web_json *b);
/* End the value with a newline, hand the text to @rep with @status. 0 or -errno
 * (the buffer freed either way). */
int web_json_end(struct web_json *b, unsigned status, struct web_reply *rep);
/* Drop what was written (on a failure halfway). */
void web_json_abandon(struct web_json *b);

/* An error reply {"error": @code, "message": ...}. 0 or -ENOMEM. */
int web_reply_error(struct web_reply *rep, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The error reply for a control request that failed with @r (@c: the client,
 * or NULL when none was made): kitchend's ERR code and sentence, or why
 * kitchend could not be asked. */
int web_reply_call_failed(struct web_reply *rep, int r, const struct client *c, const char *what);
