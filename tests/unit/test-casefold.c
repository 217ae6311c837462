/*
 * test-casefold — dish names equal but for case, in any script (common/casefold.c).
 */
#include <locale.h>

#include "casefold.h"
#include "tap.h"
#include "util.h"

static int test_ascii(void)
{
	CHECK(casefold_equal("Pizza", "pIZZA"));
	CHECK(casefold_equal("", ""));
	CHECK(!casefold_equal("Pizza", "Pizz"));
	CHECK(!casefold_equal("Pizza", "Pizza "));
	CHECK(casefold_equal_n("Salad\nx", 5, "SALAD", 5));
	return 0;
}

static int test_unicode(void)
{
	locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);

	if (!l)
		return TAP_SKIP("no C.UTF-8 locale");
	freelocale(l);
	CHECK(casefold_equal("BRÛLÉE", "Brûlée"));
	CHECK(casefold_equal("Crème brûlée", "CRÈME BRÛLÉE"));
	CHECK(casefold_equal("ΣΟΥΠΑ", "σουπα"));
	CHECK(casefold_equal("ΣΟΥΠΑΣ", "σουπας"));   /* final sigma */
	CHECK(casefold_equal("БОРЩ", "борщ"));
	CHECK(!casefold_equal("Brûlée", "Brulee"));   /* accents are not case */
	return 0;
}

static int test_not_utf8(void)
{
	/* Latin-1 é (0xe9) is a byte, not U+00E9; nor does it fold to 0xc9. */
	CHECK(!casefold_equal("caf\xe9", "café"));
	CHECK(!casefold_equal("caf\xe9", "caf\xc9"));
	CHECK(casefold_equal("CAF\xe9", "caf\xe9"));
	CHECK(!casefold_equal("\xc3", "\xc3\xa9"));   /* cut short */
	return 0;
}

static const struct tap_case cases[] = {
	{ "ASCII", test_ascii },
	{ "Unicode", test_unicode },
	{ "bytes that are not UTF-8", test_not_utf8 },
};

int main(void)
{
	/* The process's own locale plays no part. */
	setlocale(LC_ALL, "C");
	return tap_run(cases, ELEMENTSOF(cases));
}
