/*
 * json — a small streaming JSON writer for kitchenctl's --json output.
 *
 * Values go straight to a FILE; the writer only remembers, per nesting level,
 * whether a comma is due, so any shape can be written in one pass:
 *
 *	struct json j;
 *	json_init(&j, stdout);
 *	json_object_begin(&j);
 *	json_key_u64(&j, "order", 42);
 *	json_key(&j, "dishes");
 *	json_array_begin(&j);
 *	json_string(&j, "Pizza");
 *	json_array_end(&j);
 *	json_object_end(&j);
 *	json_newline(&j);         // {"order": 42, "dishes": ["Pizza"]}\n
 *
 * The layout is one line, with ", " and ": " separators (as Python's
 * json.dumps writes it), so --follow can print one object per line.
 * Strings are escaped as RFC 8259 asks: '"', '\\' and control characters;
 * so are the characters a screen would hide (unicode_hidden(): bidirectional
 * overrides, zero-width characters), which changes no value; bytes that are
 * not valid UTF-8 become U+FFFD, so the output is always valid JSON whatever
 * the input. There is no parser: kitchenctl only writes JSON.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	unsigned depth;
	bool comma[JSON_MAX_DEPTH + 1];  /* per level: a value was written */
	bool after_key;
};

void json_init(struct json *j, FILE *f);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
/* End a top-level value with a newline (and reset for the next one). */
void json_newline(struct json *j);

void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_string_len(struct json *j, const char *s, size_t len);
/* @len bytes at @data as a string in base64 (RFC 4648, with padding). */
void json_base64(struct json *j, const void *data, size_t len);
void json_u64(struct json *j, uint64_t v);
/* @v / @scale as a decimal number (1.25): times kept in ms or us, in seconds. */
void json_decimal(struct json *j, uint64_t v, unsigned scale);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* A number, or null when @v is 0 (a time that is not, or not yet). */
void json_u64_or_null(struct json *j, uint64_t v);
/* A string, or null when @s is NULL or empty. */
void json_string_or_null(struct json *j, const char *s);
/* A '\n'-joined list as an array of strings ("" is the empty array). */
void json_lines(struct json *j, const char *s);

/* key + value in one call, for the common flat objects. */
void json_key_string(struct json *j, const char *key, const char *s);
void json_key_u64(struct json *j, const char *key, uint64_t v);
void json_key_bool(struct json *j, const char *key, bool v);
void json_key_lines(struct json *j, const char *key, const char *s);
