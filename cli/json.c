#include "json.h"

#include <string.h>

#include "exposition.h"
#include "unicode.h"

void json_init(struct json *j, FILE *f)
{
	*j = (struct json) { .f = f };
}

/* Before any value: the separator it needs at this level. */
static void value_begin(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->comma[j->depth])
		fputs(", ", j->f);
	j->comma[j->depth] = true;
}

static void nest_begin(struct json *j, char c)
{
	value_begin(j);
	fputc(c, j->f);
	/* Deeper than we track: stay valid, merely less pretty (never happens here). */
	if (j->depth < JSON_MAX_DEPTH)
		j->depth++;
	j->comma[j->depth] = false;
}

static void nest_end(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_object_begin(struct json *j)
{
	nest_begin(j, '{');
}

void json_object_end(struct json *j)
{
	nest_end(j, '}');
}

void json_array_begin(struct json *j)
{
	nest_begin(j, '[');
}

void json_array_end(struct json *j)
{
	nest_end(j, ']');
}

void json_newline(struct json *j)
{
	fputc('\n', j->f);
	json_init(j, j->f);
}

void json_string_len(struct json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t i = 0;

	value_begin(j);
	fputc('"', j->f);
	while (i < len) {
		unsigned c = p[i];
		uint32_t cp;
		size_t n;

		switch (c) {
		case '"':
			fputs("\\\"", j->f);
			i++;
			continue;
		case '\\':
			fputs("\\\\", j->f);
			i++;
			continue;
		case '\n':
			fputs("\\n", j->f);
			i++;
			continue;
		case '\r':
			fputs("\\r", j->f);
			i++;
			continue;
		case '\t':
			fputs("\\t", j->f);
			i++;
			continue;
		}
		n = unicode_next(s + i, len - i, &cp);
		if (n == 0) {
			fputs("\\ufffd", j->f);
			i++;
			continue;
		}
		/* Controls as RFC 8259 asks; what a screen would hide, too: the value is the same. */
		if (unicode_hidden(cp) && cp > 0xffff)
			fprintf(j->f, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
				0xdc00 + ((cp - 0x10000) & 0x3ff));
		else if (unicode_hidden(cp))
			fprintf(j->f, "\\u%04x", cp);
		else
			fwrite(p + i, 1, n, j->f);
		i += n;
	}
	fputc('"', j->f);
}

void json_string(struct json *j, const char *s)
{
	json_string_len(j, s, strlen(s));
}

void json_key(struct json *j, const char *key)
{
	json_string(j, key);
	fputs(": ", j->f);
	j->after_key = true;
}

void json_base64(struct json *j, const void *data, size_t len)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;

	value_begin(j);
	fputc('"', j->f);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t) p[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t) p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		fputc(digits[v >> 18], j->f);
		fputc(digits[(v >> 12) & 63], j->f);
		fputc(left > 1 ? digits[(v >> 6) & 63] : '=', j->f);
		fputc(left > 2 ? digits[v & 63] : '=', j->f);
	}
	fputc('"', j->f);
}

void json_u64(struct json *j, uint64_t v)
{
	value_begin(j);
	fprintf(j->f, "%llu", (unsigned long long) v);
}

void json_decimal(struct json *j, uint64_t v, unsigned scale)
{
	char buf[32];

	value_begin(j);
	fputs(expo_decimal(v, scale, buf, sizeof(buf)), j->f);
}

void json_bool(struct json *j, bool v)
{
	value_begin(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	value_begin(j);
	fputs("null", j->f);
}

void json_u64_or_null(struct json *j, uint64_t v)
{
	if (v)
		json_u64(j, v);
	else
		json_null(j);
}

void json_string_or_null(struct json *j, const char *s)
{
	if (s && *s)
		json_string(j, s);
	else
		json_null(j);
}

void json_lines(struct json *j, const char *s)
{
	json_array_begin(j);
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t) (nl - s) : strlen(s);

		json_string_len(j, s, n);
		s += n;
		if (nl)
			s++;
	}
	json_array_end(j);
}

void json_key_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_key_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_key_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_key_lines(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_lines(j, s);
}
