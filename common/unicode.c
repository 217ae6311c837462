#include "unicode.h"

#include <stdlib.h>

size_t unicode_next(const char *s, size_t len, uint32_t *ret_cp)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t n;
	uint32_t cp;

	if (len == 0)
		return 0;
	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
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
	*ret_cp = cp;
	return n;
}

bool unicode_valid(const char *p, size_t len)
{
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n) {
		n = unicode_next(p + i, len - i, &cp);
		if (n == 0)
			return false;
	}
	return true;
}

/* Sorted, not overlapping. */
static const struct range {
	uint32_t first, last;
} hidden[] = {
	{ 0x0000, 0x0009 },     /* C0 controls, '\n' apart */
	{ 0x000b, 0x001f },
	{ 0x007f, 0x009f },     /* DEL, C1 controls */
	{ 0x00ad, 0x00ad },     /* soft hyphen */
	{ 0x034f, 0x034f },     /* combining grapheme joiner */
	{ 0x061c, 0x061c },     /* Arabic letter mark */
	{ 0x115f, 0x1160 },     /* Hangul fillers */
	{ 0x17b4, 0x17b5 },     /* Khmer inherent vowels */
	{ 0x180b, 0x180f },     /* Mongolian variation selectors, vowel separator */
	{ 0x200b, 0x200f },     /* zero width space, non-joiner, joiner; LRM, RLM */
	{ 0x2028, 0x202e },     /* line, paragraph separator; LRE RLE PDF LRO RLO */
	{ 0x2060, 0x206f },     /* word joiner, invisible operators, LRI RLI FSI PDI, ... */
	{ 0x3164, 0x3164 },     /* Hangul filler */
	{ 0xfeff, 0xfeff },     /* zero width no-break space (BOM) */
	{ 0xffa0, 0xffa0 },     /* halfwidth Hangul filler */
	{ 0xfff0, 0xfffb },     /* interlinear annotation, and unassigned before them */
	{ 0x1bca0, 0x1bca3 },   /* shorthand format controls */
	{ 0x1d173, 0x1d17a },   /* musical symbol formatting */
	{ 0xe0000, 0xe0fff },   /* tags, variation selectors supplement */
};

static int range_compare(const void *key, const void *elem)
{
	uint32_t cp = *(const uint32_t *) key;
	const struct range *r = elem;

	return cp < r->first ? -1 : cp > r->last;
}

bool unicode_hidden(uint32_t cp)
{
	return bsearch(&cp, hidden, sizeof(hidden) / sizeof(hidden[0]), sizeof(hidden[0]), range_compare);
}
