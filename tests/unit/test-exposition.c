/*
 * test-exposition — the METRICS table both sides share: every value has
 * exactly one family, the buckets and their labels agree, and the text is
 * what Prometheus reads (a line per series, cumulative buckets, escaped
 * label values).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exposition.h"
#include "tap.h"
#include "util.h"

static size_t family_values(const struct expo_family *f)
{
	size_t n = 0;

	if (f->type == EXPO_HISTOGRAM)
		return EXPO_HIST_VALUES;
	if (!f->label)
		return 1;
	while (f->values[n])
		n++;
	return n;
}

static int test_table(void)
{
	size_t next = 0;

	/* In wire order, without a gap or an overlap, to the last value. */
	for (size_t i = 0; i < expo_n_families; i++) {
		CHECK(expo_families[i].first == next);
		next += family_values(&expo_families[i]);
		CHECK(expo_families[i].type != EXPO_COUNTER ||
		      strstr(expo_families[i].name, "_total") ==
			      expo_families[i].name + strlen(expo_families[i].name) - strlen("_total"));
	}
	CHECK(next == _EXPO_VALUES);
	CHECK(5 + _EXPO_VALUES + EXPO_CHEFS_MAX * EXPO_CHEF_GROUP <= PROTO_MAX_FRAMES);
	return 0;
}

static int test_buckets(void)
{
	for (unsigned i = 0; i < EXPO_BUCKETS; i++) {
		CHECK(i == 0 || expo_bounds_us[i] > expo_bounds_us[i - 1]);
		CHECK((uint64_t) (strtod(expo_bounds_le[i], NULL) * 1e6 + 0.5) == expo_bounds_us[i]);
		CHECK(expo_bucket(expo_bounds_us[i]) == i);       /* le: at most the bound */
		CHECK(expo_bucket(expo_bounds_us[i] + 1) == i + 1);
	}
	CHECK(expo_bucket(0) == 0);
	CHECK(expo_bucket(UINT64_MAX) == EXPO_BUCKETS);
	return 0;
}

static int test_decimal(void)
{
	char buf[32];

	CHECK(strcmp(expo_decimal(42, 0, buf, sizeof(buf)), "42") == 0);
	CHECK(strcmp(expo_decimal(1250, 1000, buf, sizeof(buf)), "1.25") == 0);
	CHECK(strcmp(expo_decimal(3000, 1000, buf, sizeof(buf)), "3") == 0);
	CHECK(strcmp(expo_decimal(5, 1000000, buf, sizeof(buf)), "0.000005") == 0);
	CHECK(strcmp(expo_decimal(1796589854913, 1000, buf, sizeof(buf)), "1796589854.913") == 0);
	return 0;
}

static int test_text(void)
{
	uint64_t v[_EXPO_VALUES] = { 0 };
	struct expo_chef chef = { .name = "chef \"1\"\\", .host = "h", .served = 7, .failed = 2 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f);
	v[EXPO_DISHES_SERVED] = 3;
	v[EXPO_SERVED_SECONDS + 0] = 1;               /* 0.0005 */
	v[EXPO_SERVED_SECONDS + 2] = 2;               /* 0.0025 */
	v[EXPO_SERVED_SECONDS + EXPO_BUCKETS] = 1;    /* above 300 s */
	v[EXPO_SERVED_SECONDS + EXPO_BUCKETS + 1] = 1500;
	CHECK(expo_write(f, v, &chef, 1) == 0);
	fclose(f);
	CHECK(strstr(text, "# TYPE kitchen_dishes_total counter\n"));
	CHECK(strstr(text, "\nkitchen_dishes_total{state=\"served\"} 3\n"));
	CHECK(strstr(text, "\nkitchen_dish_served_seconds_bucket{le=\"0.001\"} 1\n"));
	CHECK(strstr(text, "\nkitchen_dish_served_seconds_bucket{le=\"300\"} 3\n"));
	CHECK(strstr(text, "\nkitchen_dish_served_seconds_bucket{le=\"+Inf\"} 4\n"));
	CHECK(strstr(text, "\nkitchen_dish_served_seconds_sum 0.0015\n"));
	CHECK(strstr(text, "\nkitchen_dish_served_seconds_count 4\n"));
	CHECK(strstr(text, "\nkitchen_chef_dishes_total{chef=\"chef \\\"1\\\"\\\\\",host=\"h\",outcome=\"failed\"} 2\n"));
	free(text);
	return 0;
}

static void field(struct proto_field *f, const char *s)
{
	*f = (struct proto_field) { .data = s, .len = strlen(s) };
}

/* A newer kitchend's reply: one value more than this build knows, then a chef. */
static int test_decode(void)
{
	enum { N = _EXPO_VALUES + 1, FIELDS = 1 + N + EXPO_CHEF_GROUP };
	static char nums[N + 1][24];
	struct proto_field fields[FIELDS];
	struct proto_msg *m = calloc(1, sizeof(*m));
	struct expo_reply *r = NULL;

	CHECK(m);
	snprintf(nums[N], sizeof(nums[N]), "%d", N);
	field(&fields[0], nums[N]);
	for (int i = 0; i < N; i++) {
		snprintf(nums[i], sizeof(nums[i]), "%d", i * 10);
		field(&fields[1 + i], nums[i]);
	}
	field(&fields[1 + N], "chef-1");
	field(&fields[2 + N], "oven");
	field(&fields[3 + N], "7");
	field(&fields[4 + N], "2");
	m->fields = fields;
	m->n_fields = FIELDS;
	CHECK(expo_reply_decode(m, &r) == 0);
	CHECK(r->v[0] == 0 && r->v[_EXPO_VALUES - 1] == (_EXPO_VALUES - 1) * 10);
	CHECK(r->n_chefs == 1 && strcmp(r->chefs[0].name, "chef-1") == 0 &&
	      strcmp(r->chefs[0].host, "oven") == 0 && r->chefs[0].served == 7 && r->chefs[0].failed == 2);
	expo_reply_free(&r);
	CHECK(!r);

	/* A chef group cut short, fewer values than known, a value that is no number. */
	m->n_fields = FIELDS - 1;
	CHECK(expo_reply_decode(m, &r) == -EBADMSG && !r);
	m->n_fields = FIELDS;
	field(&fields[0], "3");
	CHECK(expo_reply_decode(m, &r) == -EBADMSG && !r);
	field(&fields[0], nums[N]);
	field(&fields[5], "x");
	CHECK(expo_reply_decode(m, &r) == -EBADMSG && !r);
	free(m);
	return 0;
}

static const struct tap_case cases[] = {
	{ "the table covers every value once", test_table },
	{ "buckets", test_buckets },
	{ "decimals", test_decimal },
	{ "text", test_text },
	{ "a METRICS reply decoded", test_decode },
};

int main(void)
{
	return tap_run(cases, ELEMENTSOF(cases));
}
