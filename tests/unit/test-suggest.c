/*
 * test-suggest — kitchenctl's "did you mean" (cli/suggest.c).
 */
#include <stdint.h>
#include <string.h>

#include "suggest.h"
#include "tap.h"
#include "util.h"

static const char *const verbs[] = {
	"cancel", "chefs", "drain", "follow", "help", "keygen", "list", "menu", "metrics",
	"order", "purge", "reload", "retry", "show", "status", "wait",
};

static int test_distance(void)
{
	char long_name[SUGGEST_MAX_CHARS + 2];

	CHECK(suggest_distance("", "") == 0);
	CHECK(suggest_distance("status", "status") == 0);
	CHECK(suggest_distance("stauts", "status") == 1);  /* neighbours swapped */
	CHECK(suggest_distance("Piza", "Pizza") == 1);
	CHECK(suggest_distance("kitten", "sitting") == 3);
	CHECK(suggest_distance("", "menu") == 4);
	CHECK(suggest_distance("BRÛLÉE", "Brûlée") == 0);
	CHECK(suggest_distance("Brulée", "Brûlée") == 1);  /* a character, not a byte */
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	CHECK(suggest_distance(long_name, "a") == SIZE_MAX);
	return 0;
}

static int test_closest(void)
{
	static const char *const dishes[] = { "Pizza", "Spaghetti", "Salad", "Brûlée" };

	EXPECT_STR(suggest_closest("stauts", verbs, ELEMENTSOF(verbs)), "status");
	EXPECT_STR(suggest_closest("ordr", verbs, ELEMENTSOF(verbs)), "order");
	EXPECT_STR(suggest_closest("STATUS", verbs, ELEMENTSOF(verbs)), "status");
	EXPECT_STR(suggest_closest("Piza", dishes, ELEMENTSOF(dishes)), "Pizza");
	EXPECT_STR(suggest_closest("spagetti", dishes, ELEMENTSOF(dishes)), "Spaghetti");
	EXPECT_STR(suggest_closest("BRULEE", dishes, ELEMENTSOF(dishes)), "Brûlée");
	CHECK(suggest_closest("frobnicate", verbs, ELEMENTSOF(verbs)) == NULL);
	CHECK(suggest_closest("Sushi", dishes, ELEMENTSOF(dishes)) == NULL);
	CHECK(suggest_closest("x", verbs, ELEMENTSOF(verbs)) == NULL);
	CHECK(suggest_closest("stauts", verbs, 0) == NULL);
	return tap_failed ? __LINE__ : 0;
}

static const struct tap_case cases[] = {
	{ "distance", test_distance },
	{ "closest", test_closest },
};

int main(void)
{
	return tap_run(cases, ELEMENTSOF(cases));
}
