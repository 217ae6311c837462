/*
 * test-store — the order store on a real SQLite file (daemon/store.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/kitchen-test-store-XXXXXX";

static int open_fresh(struct store **s)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -f %s/kitchen.db*", dir);
	if (system(cmd) != 0)
		return -EIO;
	return store_open(dir, "full", s);
}

static const char *const names[] = { "Pizza", "Salad", "Spaghetti" };

struct seen {
	unsigned n;
	struct store_dish d[8];
	char result[8][64], detail[8][256], chef[8][32];
};

static int collect(const struct store_dish *d, void *u)
{
	struct seen *s = u;

	if (s->n >= 8)
		return -E2BIG;
	s->d[s->n] = *d;
	snprintf(s->result[s->n], sizeof(s->result[0]), "%s", d->result);
	snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s", d->detail);
	snprintf(s->chef[s->n], sizeof(s->chef[0]), "%s", d->chef);
	s->n++;
	return 0;
}

static int test_empty(void)
{
	struct store *s = NULL;
	uint64_t o, d, counts[_DISH_STATE_MAX];

	CHECK(open_fresh(&s) == 0);
	CHECK(store_next_ids(s, &o, &d) == 0);
	CHECK(o == 1 && d == 1);
	CHECK(store_count(s, counts) == 0);
	CHECK(counts[DISH_STATE_SERVED] == 0);
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	store_close(&s);
	CHECK(s == NULL);
	store_close(&s);  /* NULL is fine */
	return 0;
}

static int test_life_of_an_order(void)
{
	struct store *s = NULL;
	struct store_order o;
	struct seen seen = { 0 };
	uint64_t id, next_o, next_d;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 5, "key-1", 1234, 10, 3, names) == 0);
	CHECK(store_commit(s) == 0);
	CHECK(store_find_key(s, "key-1", 1234, &id) == 0 && id == 5);
	CHECK(store_find_key(s, "key-1", 0, &id) == 0 && id == 5);
	CHECK(store_find_key(s, "key-2", 0, &id) == -ENOENT);
	CHECK(store_next_ids(s, &next_o, &next_d) == 0);
	CHECK(next_o == 6 && next_d == 13);

	CHECK(store_get_order(s, 5, &o, NULL, NULL) == 0);
	CHECK(o.state == DISH_STATE_QUEUED && o.n_dishes == 3 && o.created_ms == 1234);

	CHECK(store_dish_cooking(s, 10, 1, "chef-1") == 0);
	CHECK(store_dish_requeued(s, 10, "chef chef-1 died") == 0);
	CHECK(store_dish_cooking(s, 10, 2, "chef-2") == 0);
	CHECK(store_dish_served(s, 10, "chef-2", "Served Pizza", "a\nb") == 0);
	CHECK(store_dish_failed(s, 11, "no longer on the menu") == 0);
	CHECK(store_get_order(s, 5, &o, NULL, NULL) == 0);
	CHECK(o.state == DISH_STATE_COOKING && o.served == 1 && o.failed == 1);

	CHECK(store_dish_served(s, 12, "chef-1", "Served Spaghetti", "") == 0);
	CHECK(store_order_done(s, 5, DISH_STATE_FAILED) == 0);
	CHECK(store_commit(s) == 0);

	CHECK(store_get_order(s, 5, &o, collect, &seen) == 0);
	CHECK(o.state == DISH_STATE_FAILED && o.served == 2 && o.failed == 1);
	CHECK(seen.n == 3);
	CHECK(seen.d[0].index == 0 && seen.d[0].attempts == 2 && seen.d[0].state == DISH_STATE_SERVED);
	CHECK(strcmp(seen.chef[0], "chef-2") == 0);
	CHECK(strcmp(seen.result[0], "Served Pizza") == 0);
	/* Served replaces the reasons of earlier attempts with the items. */
	CHECK(strcmp(seen.detail[0], "a\nb") == 0);
	CHECK(seen.d[1].state == DISH_STATE_FAILED);
	CHECK(strcmp(seen.result[1], "no longer on the menu") == 0);
	CHECK(strcmp(seen.detail[1], "no longer on the menu\n") == 0);
	store_close(&s);
	return 0;
}

struct loaded {
	unsigned orders, dishes, queued;
};

static int count_order(const struct store_order *o, void *u)
{
	struct loaded *l = u;

	(void) o;
	l->orders++;
	return 0;
}

static int count_dish(const struct store_dish *d, void *u)
{
	struct loaded *l = u;

	l->dishes++;
	l->queued += d->state == DISH_STATE_QUEUED || d->state == DISH_STATE_COOKING;
	return 0;
}

/* What a restarted kitchend resumes: open orders only, committed work only. */
static int test_reopen(void)
{
	struct store *s = NULL;
	struct loaded l = { 0 };
	uint64_t counts[_DISH_STATE_MAX];

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 1, NULL, 1, 1, 2, names) == 0);
	CHECK(store_add_order(s, 2, NULL, 2, 3, 1, names) == 0);
	CHECK(store_dish_served(s, 3, "chef-1", "Served Pizza", "") == 0);
	CHECK(store_order_done(s, 2, DISH_STATE_SERVED) == 0);
	CHECK(store_dish_cooking(s, 1, 1, "chef-1") == 0);
	CHECK(store_commit(s) == 0);
	/* Never committed: gone after the reopen. */
	CHECK(store_add_order(s, 3, NULL, 3, 4, 1, names) == 0);
	store_rollback(s);
	store_close(&s);

	CHECK(store_open(dir, "normal", &s) == 0);
	CHECK(store_load_open(s, count_order, count_dish, &l) == 0);
	CHECK(l.orders == 1 && l.dishes == 2 && l.queued == 2);
	CHECK(store_count(s, counts) == 0);
	CHECK(counts[DISH_STATE_SERVED] == 1 && counts[DISH_STATE_COOKING] == 1 && counts[DISH_STATE_QUEUED] == 1);
	CHECK(store_get_order(s, 3, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	store_close(&s);
	return 0;
}

static int test_duplicate_key(void)
{
	struct store *s = NULL;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 1, "k", 1, 1, 1, names) == 0);
	CHECK(store_add_order(s, 2, "k", 1, 2, 1, names) == -EIO);
	store_rollback(s);
	store_close(&s);
	return 0;
}

static int test_expired_key(void)
{
	struct store *s = NULL;
	uint64_t id = 0;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 1, "k", 1000, 1, 1, names) == 0);
	CHECK(store_commit(s) == 0);
	/* Past its retention the key is forgotten and may name a new order. */
	CHECK(store_find_key(s, "k", 1001, &id) == -ENOENT);
	CHECK(store_add_order(s, 2, "k", 2000, 2, 1, names) == 0);
	CHECK(store_commit(s) == 0);
	CHECK(store_find_key(s, "k", 1001, &id) == 0 && id == 2);
	/* The old order itself stays. */
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == 0);
	store_close(&s);
	return 0;
}

static int test_unwritable(void)
{
	struct store *s = NULL;

	if (geteuid() == 0)
		return 0;  /* root writes anywhere */
	CHECK(store_open("/proc", "full", &s) < 0);
	CHECK(s == NULL);
	return 0;
}

static const struct tap_case cases[] = {
	{ "empty store", test_empty },
	{ "life of an order", test_life_of_an_order },
	{ "reopen resumes open orders", test_reopen },
	{ "duplicate key refused", test_duplicate_key },
	{ "expired key forgotten", test_expired_key },
	{ "unwritable directory", test_unwritable },
};

int main(void)
{
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	r = tap_run(cases, ELEMENTSOF(cases));
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		r = 1;
	return r;
}
