#include "json.h"

#include <string.h>

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

/* Length of the valid UTF-8 sequence at @p (at most @len bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t len)
{
	size_t n;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n > len)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void json_string_len(struct json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t i = 0;

	value_begin(j);
	fputc('"', j->f);
	while (i < len) {
		unsigned c = p[i];
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
		if (c < 0x20) {
			fprintf(j->f, "\\u%04x", c);
			i++;
			continue;
		}
		n = utf8_len(p + i, len - i);
		if (n == 0) {
			fputs("\\ufffd", j->f);
			i++;
			continue;
		}
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

void json_u64(struct json *j, uint64_t v)
{
	value_begin(j);
	fprintf(j->f, "%llu", (unsigned long long) v);
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
