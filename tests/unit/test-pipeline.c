/*
 * test-pipeline — the dish pipeline's texts and CPU work (workers/pipeline.c).
 *
 * A table of named cases; prints TAP. Each case returns 0 or the line of its
 * first failed check.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pipeline.h"
#include "tap.h"

#define CHECK_TEXT(stage, name, want) do { \
		char _buf[PIPELINE_TEXT_MAX]; \
		CHECK(pipeline_text((stage), (name), _buf, sizeof(_buf)) == 0); \
		if (strcmp(_buf, (want)) != 0) { \
			printf("# got  '%s'\n# want '%s'\n", _buf, (want)); \
			return __LINE__; \
		} \
	} while (0)

static const char *const pizza[] = {
	"Flour", "Yeast", "Tomato Sauce", "Mozzarella Cheese", "Pepperoni",
};

static int test_pizza_texts(void)
{
	char buf[PIPELINE_TEXT_MAX];
	char want[PIPELINE_TEXT_MAX];

	CHECK_TEXT(PIPELINE_GET, "Pizza", "Get ingredients for Pizza...");
	for (size_t i = 0; i < sizeof(pizza) / sizeof(pizza[0]); i++) {
		snprintf(want, sizeof(want), "Cooking ingredient %s...", pizza[i]);
		CHECK_TEXT(PIPELINE_COOKING, pizza[i], want);
		snprintf(want, sizeof(want), "Cooked %s", pizza[i]);
		CHECK_TEXT(PIPELINE_COOKED, pizza[i], want);
		snprintf(want, sizeof(want), "Seasoning Cooked %s...", pizza[i]);
		CHECK_TEXT(PIPELINE_SEASONING, pizza[i], want);
		snprintf(want, sizeof(want), "Served Cooked %s with a pinch of magic", pizza[i]);
		CHECK_TEXT(PIPELINE_SERVED, pizza[i], want);
	}
	CHECK(pipeline_result("Pizza", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "Served Pizza") == 0);
	return 0;
}

static int test_exact_lines(void)
{
	/* The tutorial's own lines, spelled out once in full. */
	CHECK_TEXT(PIPELINE_COOKING, "Mozzarella Cheese", "Cooking ingredient Mozzarella Cheese...");
	CHECK_TEXT(PIPELINE_SEASONING, "Flour", "Seasoning Cooked Flour...");
	CHECK_TEXT(PIPELINE_SERVED, "Flour", "Served Cooked Flour with a pinch of magic");
	return 0;
}

static int test_item_without_work(void)
{
	char buf[PIPELINE_TEXT_MAX];

	/* Zero work: the item is the served line, no '#' suffix, whatever the digest. */
	CHECK(pipeline_item("Flour", 0, 0x123456789abcdef0u, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "Served Cooked Flour with a pinch of magic") == 0);
	CHECK(strchr(buf, '#') == NULL);
	return 0;
}

static int test_item_with_work(void)
{
	char buf[PIPELINE_TEXT_MAX];
	const char *hash;

	CHECK(pipeline_item("Flour", 1, 0xdeadbeef00000000u, buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "Served Cooked Flour with a pinch of magic #deadbeef") == 0);

	CHECK(pipeline_item("Yeast", 1000, pipeline_digest("Yeast", 1000), buf, sizeof(buf)) == 0);
	hash = strstr(buf, " #");
	CHECK(hash && strlen(hash) == 10);
	CHECK(strncmp(buf, "Served Cooked Yeast with a pinch of magic #", 43) == 0);
	for (const char *p = hash + 2; *p; p++)
		CHECK((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
	return 0;
}

static int test_digest_deterministic(void)
{
	/* FNV-1a 64 of "" is the offset basis; of "a" the published value. */
	CHECK(pipeline_digest_seed("") == 0xcbf29ce484222325u);
	CHECK(pipeline_digest_seed("a") == 0xaf63dc4c8601ec8cu);
	/* splitmix64 from state 0: the reference generator's first output. */
	CHECK(pipeline_digest_run(0, 1) == 0xe220a8397b1dcdafu);

	for (size_t i = 0; i < sizeof(pizza) / sizeof(pizza[0]); i++) {
		CHECK(pipeline_digest(pizza[i], 0) == pipeline_digest_seed(pizza[i]));
		CHECK(pipeline_digest(pizza[i], 12345) == pipeline_digest(pizza[i], 12345));
	}
	CHECK(pipeline_digest("Flour", 100) != pipeline_digest("Yeast", 100));
	return 0;
}

static int test_digest_composes(void)
{
	uint64_t s = pipeline_digest_seed("Tomato Sauce");

	/* A station runs the work in slices; slicing must not change the digest. */
	CHECK(pipeline_digest_run(pipeline_digest_run(s, 700), 300) == pipeline_digest_run(s, 1000));
	CHECK(pipeline_digest_run(s, 0) == s);
	return 0;
}

static int test_work_changes_items(void)
{
	char a[PIPELINE_TEXT_MAX], b[PIPELINE_TEXT_MAX], c[PIPELINE_TEXT_MAX];

	for (size_t i = 0; i < sizeof(pizza) / sizeof(pizza[0]); i++) {
		CHECK(pipeline_item(pizza[i], 1000, pipeline_digest(pizza[i], 1000), a, sizeof(a)) == 0);
		CHECK(pipeline_item(pizza[i], 1000, pipeline_digest(pizza[i], 1000), b, sizeof(b)) == 0);
		CHECK(pipeline_item(pizza[i], 1001, pipeline_digest(pizza[i], 1001), c, sizeof(c)) == 0);
		CHECK(strcmp(a, b) == 0);
		CHECK(strcmp(a, c) != 0);
	}
	return 0;
}

static int test_small_buffers(void)
{
	char buf[16];

	CHECK(pipeline_text(PIPELINE_GET, "Pizza", buf, sizeof(buf)) == -ENOBUFS);
	CHECK(buf[0] == '\0');
	CHECK(pipeline_result("Pizza", buf, 5) == -ENOBUFS);
	CHECK(pipeline_item("Flour", 1, 0, buf, sizeof(buf)) == -ENOBUFS);
	CHECK(pipeline_text(PIPELINE_GET, "Pizza", buf, 0) == -ENOBUFS);
	/* The served line fits, the suffix does not: no half item. */
	{
		char item[42];

		CHECK(pipeline_item("Flour", 1, 0, item, sizeof(item)) == -ENOBUFS);
		CHECK(item[0] == '\0');
	}
	CHECK(pipeline_text(_PIPELINE_STAGE_MAX, "Pizza", buf, sizeof(buf)) == -EINVAL);
	return 0;
}

static const struct tap_case tests[] = {
	{ "digest composes over slices", test_digest_composes },
	{ "digest is deterministic", test_digest_deterministic },
	{ "exact tutorial lines", test_exact_lines },
	{ "item with cpu work", test_item_with_work },
	{ "item without cpu work", test_item_without_work },
	{ "pizza stage texts", test_pizza_texts },
	{ "small buffers", test_small_buffers },
	{ "work changes items", test_work_changes_items },
};

int main(void)
{
	return tap_run(tests, sizeof(tests) / sizeof(tests[0]));
}
