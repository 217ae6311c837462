#include "casefold.h"

#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

#include "unicode.h"

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_open(void)
{
	/* (locale_t) 0 on failure: ASCII folding alone. */
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
}

static uint32_t fold(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
	pthread_once(&utf8_once, utf8_open);
	if (!utf8_locale)
		return cp;
	/* wchar_t is UCS-4 with glibc. */
	return (uint32_t) towlower_l(towupper_l((wint_t) cp, utf8_locale), utf8_locale);
}

size_t casefold_next(const char *p, size_t len, uint32_t *ret)
{
	uint32_t cp;
	size_t n = unicode_next(p, len, &cp);

	if (n == 0) {
		*ret = 0x110000 + (unsigned char) *p;
		return 1;
	}
	*ret = fold(cp);
	return n;
}

bool casefold_equal_n(const char *a, size_t a_len, const char *b, size_t b_len)
{
	size_t i = 0, k = 0;

	while (i < a_len && k < b_len) {
		uint32_t x, y;

		i += casefold_next(a + i, a_len - i, &x);
		k += casefold_next(b + k, b_len - k, &y);
		if (x != y)
			return false;
	}
	return i == a_len && k == b_len;
}

bool casefold_equal(const char *a, const char *b)
{
	return casefold_equal_n(a, strlen(a), b, strlen(b));
}
