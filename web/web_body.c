#include "web_body.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cursor {
	const char *p, *end;
	char *err;
	size_t err_size;
};

static int fail(struct cursor *c, const char *what)
{
	snprintf(c->err, c->err_size, "malformed JSON body: %s", what);
	return -EINVAL;
}

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool eat(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static int hex4(struct cursor *c, unsigned *ret)
{
	unsigned v = 0;

	if (c->end - c->p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char h = *c->p++;
		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= (unsigned) (h - '0');
		else if (h >= 'a' && h <= 'f')
			v |= (unsigned) (h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			v |= (unsigned) (h - 'A' + 10);
		else
			return -EINVAL;
	}
	*ret = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char) (0xc0 | (cp >> 6));
		o[1] = (char) (0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char) (0xe0 | (cp >> 12));
		o[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char) (0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char) (0xf0 | (cp >> 18));
	o[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char) (0x80 | (cp & 0x3f));
	return 4;
}

/* A string: its bytes as they stand for themselves, a new NUL-terminated copy.
 * (A \u0000 makes a string that is no text: the protocol checks refuse it.) */
static int string(struct cursor *c, char **ret)
{
	char *out, *o;

	if (!eat(c, '"'))
		return fail(c, "a string was expected");
	/* Never longer than the input it comes from. */
	out = o = malloc((size_t) (c->end - c->p) + 1);
	if (!out)
		return -ENOMEM;
	while (c->p < c->end && *c->p != '"') {
		unsigned char ch = (unsigned char) *c->p++;
		unsigned cp, lo;

		if (ch < 0x20)
			goto bad;
		if (ch != '\\') {
			*o++ = (char) ch;
			continue;
		}
		if (c->p >= c->end)
			goto bad;
		switch (*c->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (hex4(c, &cp) < 0 || (cp >= 0xdc00 && cp < 0xe000))
				goto bad;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
					goto bad;
				c->p += 2;
				if (hex4(c, &lo) < 0 || lo < 0xdc00 || lo >= 0xe000)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0)
				goto bad;
			o += put_utf8(o, cp);
			break;
		default: goto bad;
		}
	}
	if (c->p >= c->end)
		goto bad;
	c->p++;
	*o = '\0';
	*ret = out;
	return 0;
bad:
	free(out);
	return fail(c, "a bad string");
}

static int number(struct cursor *c, uint64_t *ret)
{
	uint64_t v = 0;
	const char *start;

	skip_ws(c);
	start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return fail(c, "a number too large");
		v = v * 10 + (uint64_t) (*c->p++ - '0');
	}
	if (c->p == start || (c->p - start > 1 && *start == '0'))
		return fail(c, "a whole number, not negative, was expected");
	if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
		return fail(c, "a whole number was expected");
	*ret = v;
	return 0;
}

static int dishes(struct cursor *c, struct web_body *b)
{
	int r;

	if (!eat(c, '['))
		return fail(c, "\"dishes\" is an array of dish names");
	if (eat(c, ']'))
		return 0;
	do {
		if (b->n_dishes >= PROTO_ORDER_MAX_DISHES)
			return fail(c, "too many dishes");
		r = string(c, &b->dishes[b->n_dishes]);
		if (r < 0)
			return r;
		b->n_dishes++;
	} while (eat(c, ','));
	return eat(c, ']') ? 0 : fail(c, "a ',' or ']' was expected");
}

static int indexes(struct cursor *c, struct web_body *b)
{
	int r;

	if (!eat(c, '['))
		return fail(c, "\"index\" is an array of dish indexes");
	if (eat(c, ']'))
		return 0;
	do {
		if (b->n_index >= PROTO_ORDER_MAX_DISHES)
			return fail(c, "too many indexes");
		r = number(c, &b->index[b->n_index]);
		if (r < 0)
			return r;
		b->n_index++;
	} while (eat(c, ','));
	return eat(c, ']') ? 0 : fail(c, "a ',' or ']' was expected");
}

static int member(struct cursor *c, struct web_body *b)
{
	char *name = NULL;
	int r;

	r = string(c, &name);
	if (r < 0)
		return r;
	if (!eat(c, ':'))
		r = fail(c, "a ':' was expected");
	else if (strcmp(name, "dishes") == 0)
		r = dishes(c, b);
	else if (strcmp(name, "index") == 0)
		r = indexes(c, b);
	else if (strcmp(name, "priority") == 0)
		r = number(c, &b->priority);
	else if (strcmp(name, "key") == 0) {
		free(b->key);
		b->key = NULL;
		r = string(c, &b->key);
	} else {
		snprintf(c->err, c->err_size,
			 "unknown member in the body (dishes, priority, key, index)");
		r = -EINVAL;
	}
	free(name);
	return r;
}

int web_body_parse(const char *s, size_t len, struct web_body *ret, char *err, size_t err_size)
{
	struct cursor c = { .p = s, .end = s + len, .err = err, .err_size = err_size };
	int r = 0;

	*ret = (struct web_body) { 0 };
	skip_ws(&c);
	if (c.p == c.end)
		return 0;
	if (!eat(&c, '{'))
		return fail(&c, "an object was expected");
	if (!eat(&c, '}')) {
		do
			r = member(&c, ret);
		while (r == 0 && eat(&c, ','));
		if (r == 0 && !eat(&c, '}'))
			r = fail(&c, "a ',' or '}' was expected");
	}
	skip_ws(&c);
	if (r == 0 && c.p != c.end)
		r = fail(&c, "something after the object");
	if (r < 0)
		web_body_clear(ret);
	return r;
}

void web_body_clear(struct web_body *b)
{
	for (size_t i = 0; i < b->n_dishes; i++)
		free(b->dishes[i]);
	free(b->key);
	*b = (struct web_body) { 0 };
}
