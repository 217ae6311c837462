/*
 * test-store — the order store on a real SQLite file (daemon/store.c).
 */
#include <errno.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
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

#define SEEN_MAX 160

struct seen {
	unsigned n;
	struct store_dish d[SEEN_MAX];
	char name[SEEN_MAX][32], result[SEEN_MAX][64], detail[SEEN_MAX][256], chef[SEEN_MAX][32];
};

static int collect(const struct store_dish *d, void *u)
{
	struct seen *s = u;

	if (s->n >= SEEN_MAX)
		return -E2BIG;
	s->d[s->n] = *d;
	snprintf(s->name[s->n], sizeof(s->name[0]), "%s", d->name);
	snprintf(s->result[s->n], sizeof(s->result[0]), "%s", d->result);
	snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s", d->detail);
	snprintf(s->chef[s->n], sizeof(s->chef[0]), "%s", d->chef);
	s->n++;
	return 0;
}

static int test_empty(void)
{
	struct store *s = NULL;
	uint64_t o, d, counts[_PROTO_STATE_MAX];

	CHECK(open_fresh(&s) == 0);
	CHECK(!store_converted(s, NULL));  /* created, not converted */
	CHECK(store_next_ids(s, &o, &d) == 0);
	CHECK(o == 1 && d == 1);
	CHECK(store_count(s, counts) == 0);
	CHECK(counts[PROTO_STATE_SERVED] == 0);
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
	CHECK(store_sync(s) == 0);
	CHECK(store_find_key(s, "key-1", 1234, &id) == 0 && id == 5);
	CHECK(store_find_key(s, "key-1", 0, &id) == 0 && id == 5);
	CHECK(store_find_key(s, "key-2", 0, &id) == -ENOENT);
	CHECK(store_next_ids(s, &next_o, &next_d) == 0);
	CHECK(next_o == 6 && next_d == 13);

	CHECK(store_get_order(s, 5, &o, NULL, NULL) == 0);
	CHECK(o.state == PROTO_STATE_QUEUED && o.n_dishes == 3 && o.created_ms == 1234 && o.first_dish == 10);
	CHECK(store_get_order(s, 5, &o, collect, &seen) == 0);
	CHECK(seen.n == 3);
	for (unsigned i = 0; i < 3; i++) {
		CHECK(seen.d[i].id == 10 + i && seen.d[i].index == i && seen.d[i].order_id == 5);
		CHECK(seen.d[i].state == PROTO_STATE_QUEUED && seen.d[i].attempts == 0);
		CHECK(strcmp(seen.name[i], names[i]) == 0);
		CHECK(!seen.chef[i][0] && !seen.result[i][0] && !seen.detail[i][0]);
	}

	/* Taken back: the order has started, though nothing is done. */
	CHECK(store_dish_requeued(s, 10, 1, "chef-1", "chef chef-1 died") == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_get_order(s, 5, &o, NULL, NULL) == 0);
	CHECK(o.state == PROTO_STATE_COOKING && o.served == 0 && o.failed == 0);
	CHECK(store_dish_requeued(s, 10, 2, "chef-2", "chef chef-2 timed out") == 0);
	CHECK(store_sync(s) == 0);
	seen.n = 0;
	CHECK(store_get_order(s, 5, &o, collect, &seen) == 0);
	CHECK(seen.d[0].state == PROTO_STATE_QUEUED && seen.d[0].attempts == 2);
	CHECK(strcmp(seen.chef[0], "chef-2") == 0);
	CHECK(strcmp(seen.detail[0], "chef chef-1 died\nchef chef-2 timed out\n") == 0);

	CHECK(store_dish_served(s, 10, 3, "chef-2", "Served Pizza", "a\nb") == 0);
	CHECK(store_dish_requeued(s, 11, 1, "chef-1", "chef chef-1 died") == 0);
	/* No chef at the end (a dish that left the menu): the last one stays. */
	CHECK(store_dish_failed(s, 11, 1, "", "no longer on the menu") == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_get_order(s, 5, &o, NULL, NULL) == 0);
	CHECK(o.state == PROTO_STATE_COOKING && o.served == 1 && o.failed == 1);

	CHECK(store_dish_served(s, 12, 1, "chef-1", "Served Spaghetti", "") == 0);
	CHECK(store_order_done(s, 5, PROTO_STATE_FAILED) == 0);
	CHECK(store_sync(s) == 0);

	seen.n = 0;
	CHECK(store_get_order(s, 5, &o, collect, &seen) == 0);
	CHECK(o.state == PROTO_STATE_FAILED && o.served == 2 && o.failed == 1);
	CHECK(seen.n == 3);
	CHECK(seen.d[0].index == 0 && seen.d[0].attempts == 3 && seen.d[0].state == PROTO_STATE_SERVED);
	CHECK(strcmp(seen.chef[0], "chef-2") == 0);
	CHECK(strcmp(seen.result[0], "Served Pizza") == 0);
	/* Served replaces the reasons of earlier attempts with the items. */
	CHECK(strcmp(seen.detail[0], "a\nb") == 0);
	CHECK(seen.d[1].state == PROTO_STATE_FAILED && seen.d[1].attempts == 1);
	CHECK(strcmp(seen.chef[1], "chef-1") == 0);
	CHECK(strcmp(seen.result[1], "no longer on the menu") == 0);
	CHECK(strcmp(seen.detail[1], "chef chef-1 died\nno longer on the menu\n") == 0);
	CHECK(strcmp(seen.name[2], "Spaghetti") == 0 && seen.d[2].state == PROTO_STATE_SERVED);
	store_close(&s);
	return 0;
}

struct loaded {
	unsigned orders, dishes, queued;
	uint64_t order_ids[4];
	struct seen seen;
};

static int count_order(const struct store_order *o, void *u)
{
	struct loaded *l = u;

	if (l->orders < ELEMENTSOF(l->order_ids))
		l->order_ids[l->orders] = o->id;
	l->orders++;
	return 0;
}

static int count_dish(const struct store_dish *d, void *u)
{
	struct loaded *l = u;

	l->dishes++;
	l->queued += d->state == PROTO_STATE_QUEUED || d->state == PROTO_STATE_COOKING;
	return collect(d, &l->seen);
}

/* What a restarted kitchend resumes: open orders only, committed work only. */
static int test_reopen(void)
{
	struct store *s = NULL;
	struct loaded l = { 0 };
	uint64_t counts[_PROTO_STATE_MAX], next_o, next_d;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 1, NULL, 1, 1, 2, names) == 0);
	CHECK(store_add_order(s, 2, NULL, 2, 3, 1, names) == 0);
	CHECK(store_dish_served(s, 3, 1, "chef-1", "Served Pizza", "") == 0);
	CHECK(store_order_done(s, 2, PROTO_STATE_SERVED) == 0);
	/* Dish 1 is at a chef when kitchend dies: nothing says so. */
	CHECK(store_dish_requeued(s, 2, 1, "chef-2", "chef chef-2 died") == 0);
	store_close(&s);  /* commits what is written */

	CHECK(store_open(dir, "normal", &s) == 0);
	CHECK(store_load_open(s, count_order, count_dish, &l) == 0);
	CHECK(l.orders == 1 && l.order_ids[0] == 1 && l.dishes == 2 && l.queued == 2);
	CHECK(l.seen.d[0].id == 1 && l.seen.d[0].attempts == 0 && !l.seen.chef[0][0]);
	CHECK(l.seen.d[1].id == 2 && l.seen.d[1].attempts == 1 && strcmp(l.seen.chef[1], "chef-2") == 0);
	CHECK(strcmp(l.seen.name[1], "Salad") == 0);
	CHECK(store_count(s, counts) == 0);
	CHECK(counts[PROTO_STATE_SERVED] == 1 && counts[PROTO_STATE_FAILED] == 0);
	CHECK(store_get_order(s, 3, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	CHECK(store_next_ids(s, &next_o, &next_d) == 0);
	CHECK(next_o == 3 && next_d == 4);
	store_close(&s);
	return 0;
}

/* The next dish id: after the last order's dishes, or after any dish row. */
static int test_next_ids(void)
{
	static const char *const many[] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" };
	struct store *s = NULL;
	uint64_t o, d;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 1, NULL, 1, 1, 10, many) == 0);
	CHECK(store_add_order(s, 2, NULL, 1, 11, 1, many) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_next_ids(s, &o, &d) == 0);
	CHECK(o == 3 && d == 12);
	CHECK(store_dish_served(s, 40, 1, "x", "y", "") == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_next_ids(s, &o, &d) == 0);
	CHECK(o == 3 && d == 41);
	store_close(&s);
	return 0;
}

/* Up to 150 dishes an order, rows and gaps mixed: each in its place. */
static int test_big_order(void)
{
	static char buf[150][8];
	const char *many[150];
	struct store *s = NULL;
	struct store_order o;
	struct loaded l = { 0 };

	for (unsigned i = 0; i < 150; i++) {
		snprintf(buf[i], sizeof(buf[i]), "d%u", i);
		many[i] = buf[i];
	}
	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 7, NULL, 1, 1000, 150, many) == 0);
	for (unsigned i = 0; i < 150; i += 3)
		CHECK(store_dish_served(s, 1000 + i, 1, "c", "r", many[i]) == 0);
	CHECK(store_dish_failed(s, 1149, 2, "c", "bad") == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_get_order(s, 7, &o, NULL, NULL) == 0);
	CHECK(o.served == 50 && o.failed == 1 && o.state == PROTO_STATE_COOKING);
	CHECK(store_load_open(s, count_order, count_dish, &l) == 0);
	CHECK(l.orders == 1 && l.dishes == 150 && l.queued == 99);
	for (unsigned i = 0; i < 150; i++) {
		const struct store_dish *d = &l.seen.d[i];
		enum proto_state want = i == 149 ? PROTO_STATE_FAILED : i % 3 ? PROTO_STATE_QUEUED : PROTO_STATE_SERVED;
		CHECK(d->index == i && d->id == 1000 + i && d->state == want);
		CHECK(strcmp(l.seen.name[i], many[i]) == 0);
		CHECK(d->attempts == (want == PROTO_STATE_FAILED ? 2u : want == PROTO_STATE_SERVED ? 1u : 0u));
		CHECK(strcmp(l.seen.detail[i], want == PROTO_STATE_SERVED ? many[i] : want == PROTO_STATE_FAILED ? "bad\n" : "") == 0);
	}
	store_close(&s);
	return 0;
}

static int test_newline_refused(void)
{
	static const char *const bad[] = { "Pizza", "Piz\nza" };
	struct store *s = NULL;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 1, NULL, 1, 1, 2, bad) == -EINVAL);
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	store_close(&s);
	return 0;
}

static int test_duplicate_key(void)
{
	struct store *s = NULL;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 1, "k", 1, 1, 1, names) == 0);
	/* Written at once; the writer's commit fails, and nothing after it
	 * is committed either. */
	CHECK(store_add_order(s, 2, "k", 1, 2, 1, names) == 0);
	CHECK(store_sync(s) == -EIO);
	CHECK(store_committed(s) == 0);
	CHECK(store_add_order(s, 3, NULL, 1, 3, 1, names) == 0);
	CHECK(store_sync(s) == -EIO);
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	CHECK(store_get_order(s, 3, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	store_close(&s);
	return 0;
}

static int test_expired_key(void)
{
	struct store *s = NULL;
	uint64_t id = 0;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, 1, "k", 1000, 1, 1, names) == 0);
	CHECK(store_sync(s) == 0);
	/* Past its retention the key is forgotten and may name a new order. */
	CHECK(store_find_key(s, "k", 1001, &id) == -ENOENT);
	CHECK(store_add_order(s, 2, "k", 2000, 2, 1, names) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_find_key(s, "k", 1001, &id) == 0 && id == 2);
	/* The old order itself stays. */
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == 0);
	store_close(&s);
	return 0;
}

/* Wait (5 s at most) until the writer commits batch @batch. */
static int wait_committed(struct store *s, uint64_t batch)
{
	for (int i = 0; i < 500; i++) {
		struct pollfd p = { .fd = store_fd(s), .events = POLLIN };
		uint64_t committed = 0;
		int r;

		(void) poll(&p, 1, 10);
		r = store_poll(s, &committed);
		if (r < 0)
			return r;
		if (committed >= batch)
			return 0;
	}
	return -ETIMEDOUT;
}

/* Reads see committed batches only; keys of orders not committed are known. */
static int test_batches(void)
{
	struct store *s = NULL;
	uint64_t id = 0, committed = 1;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_written(s) == 0 && store_committed(s) == 0);
	CHECK(store_add_order(s, 1, "k", 1000, 1, 2, names) == 0);
	CHECK(store_written(s) == 1);
	/* Not handed over: the read connection cannot see it ... */
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	CHECK(store_poll(s, &committed) == 0 && committed == 0);
	/* ... but its key is known: a second ORDER with it is the same order. */
	CHECK(store_find_key(s, "k", 1000, &id) == 0 && id == 1);

	store_hand_over(s);
	/* Written while the writer has batch 1: batch 2. */
	CHECK(store_dish_served(s, 1, 1, "chef-1", "Served Pizza", "") == 0);
	CHECK(store_written(s) == 2);
	CHECK(wait_committed(s, 1) == 0);
	CHECK(store_committed(s) >= 1);
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == 0);
	/* The key from the store now. */
	CHECK(store_find_key(s, "k", 1000, &id) == 0 && id == 1);
	if (store_committed(s) < 2) {
		struct store_order o;
		CHECK(store_get_order(s, 1, &o, NULL, NULL) == 0 && o.served == 0);
		store_hand_over(s);
		CHECK(wait_committed(s, 2) == 0);
	}
	{
		struct store_order o;
		CHECK(store_get_order(s, 1, &o, NULL, NULL) == 0 && o.served == 1);
	}

	/* A key expiring before its order is committed: taken off it first,
	 * so that the next order may carry it. */
	CHECK(store_add_order(s, 2, "m", 1000, 3, 1, names) == 0);
	CHECK(store_find_key(s, "m", 1001, &id) == -ENOENT);
	CHECK(store_add_order(s, 3, "m", 2000, 4, 1, names) == 0);
	CHECK(store_find_key(s, "m", 1001, &id) == 0 && id == 3);
	CHECK(store_sync(s) == 0);
	CHECK(store_written(s) == store_committed(s));
	CHECK(store_find_key(s, "m", 1001, &id) == 0 && id == 3);
	CHECK(store_get_order(s, 2, &(struct store_order) { 0 }, NULL, NULL) == 0);
	/* Nothing written: nothing to hand over, nothing changes. */
	committed = store_committed(s);
	store_hand_over(s);
	CHECK(store_sync(s) == 0 && store_committed(s) == committed);
	store_close(&s);
	return 0;
}

/* ---- version 1 stores ---- */

/* The version-1 schema, as kitchend wrote it until schema 2. */
static const char v1_schema[] =
	"CREATE TABLE IF NOT EXISTS orders ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT UNIQUE,"
	"  created_ms INTEGER NOT NULL,"
	"  dishes INTEGER NOT NULL,"
	"  done INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX IF NOT EXISTS orders_open ON orders(done) WHERE done = 0;"
	"CREATE TABLE IF NOT EXISTS dishes ("
	"  id INTEGER PRIMARY KEY,"
	"  order_id INTEGER NOT NULL,"
	"  idx INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  chef TEXT NOT NULL DEFAULT '',"
	"  result TEXT NOT NULL DEFAULT '',"
	"  detail TEXT NOT NULL DEFAULT ''"
	");"
	"CREATE INDEX IF NOT EXISTS dishes_order ON dishes(order_id, idx);"
	"PRAGMA user_version = 1;";

/*
 * Order 1 (key "k1", open): Pizza queued never tried, Salad cooking at
 * chef-1 (attempt 1), Spaghetti taken back twice (attempt 2, chef-2),
 * Pizza served at attempt 2 after a reason, Salad failed at attempt 3.
 * Order 2 (key "old", done): one Pizza served. Order 3 (open): 2 queued.
 */
static const char v1_rows[] =
	"INSERT INTO orders VALUES (1, 'k1', 5000, 5, 0);"
	"INSERT INTO orders VALUES (2, 'old', 10, 1, 2);"
	"INSERT INTO orders VALUES (3, NULL, 6000, 2, 0);"
	"INSERT INTO dishes VALUES (1, 1, 0, 'Pizza', 0, 0, '', '', '');"
	"INSERT INTO dishes VALUES (2, 1, 1, 'Salad', 1, 1, 'chef-1', '', '');"
	"INSERT INTO dishes VALUES (3, 1, 2, 'Spaghetti', 0, 2, 'chef-2', '', 'chef chef-1 died' || char(10) || 'chef chef-2 died' || char(10));"
	"INSERT INTO dishes VALUES (4, 1, 3, 'Pizza', 2, 2, 'chef-1', 'Served Pizza', 'dough' || char(10) || 'cheese');"
	"INSERT INTO dishes VALUES (5, 1, 4, 'Salad', 3, 3, 'chef-2', 'gave up', 'x' || char(10) || 'y' || char(10) || 'gave up' || char(10));"
	"INSERT INTO dishes VALUES (6, 2, 0, 'Pizza', 2, 1, 'chef-1', 'Served Pizza', '');"
	"INSERT INTO dishes VALUES (7, 3, 0, 'Spaghetti', 0, 0, '', '', '');"
	"INSERT INTO dishes VALUES (8, 3, 1, 'Pizza', 0, 0, '', '', '');";

static int write_raw(const char *sql)
{
	char path[128], cmd[128];
	sqlite3 *db = NULL;
	int rc;

	snprintf(cmd, sizeof(cmd), "rm -f %s/kitchen.db*", dir);
	if (system(cmd) != 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/kitchen.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -EIO;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -EIO;
}

/* A number from the file, outside the store's code; -1 on error. */
static long long raw_number(const char *sql)
{
	char path[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/kitchen.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int check_dish(const struct seen *seen, unsigned i, uint64_t id, const char *name, enum proto_state state,
		      unsigned attempts, const char *chef, const char *result, const char *detail)
{
	CHECK(i < seen->n);
	CHECK(seen->d[i].id == id);
	CHECK(strcmp(seen->name[i], name) == 0);
	CHECK(seen->d[i].state == state && seen->d[i].attempts == attempts);
	CHECK(strcmp(seen->chef[i], chef) == 0);
	CHECK(strcmp(seen->result[i], result) == 0);
	CHECK(strcmp(seen->detail[i], detail) == 0);
	return 0;
}

static int test_v1_converted(void)
{
	struct store *s = NULL;
	struct store_order o;
	struct seen seen = { 0 };
	struct loaded l = { 0 };
	uint64_t counts[_PROTO_STATE_MAX], id = 0, next_o, next_d, converted = 0;
	char sql[sizeof(v1_schema) + sizeof(v1_rows)];

	snprintf(sql, sizeof(sql), "%s%s", v1_schema, v1_rows);
	CHECK(write_raw(sql) == 0);
	CHECK(raw_number("PRAGMA user_version") == 1);
	CHECK(store_open(dir, "full", &s) == 0);
	CHECK(store_converted(s, &converted) && converted == 3);
	CHECK(raw_number("PRAGMA user_version") == 2);
	/* The old tables and their index are gone; no row for a dish never tried. */
	CHECK(raw_number("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%v1%' OR name = 'dishes_order'") == 0);
	CHECK(raw_number("SELECT COUNT(*) FROM dishes") == 5);
	CHECK(raw_number("SELECT COUNT(*) FROM sqlite_master WHERE name = 'orders_open'") == 1);

	CHECK(store_next_ids(s, &next_o, &next_d) == 0);
	CHECK(next_o == 4 && next_d == 9);
	CHECK(store_count(s, counts) == 0);
	CHECK(counts[PROTO_STATE_SERVED] == 2 && counts[PROTO_STATE_FAILED] == 1);

	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(o.id == 1 && o.created_ms == 5000 && o.n_dishes == 5 && o.first_dish == 1);
	CHECK(o.state == PROTO_STATE_COOKING && o.served == 1 && o.failed == 1);
	CHECK(seen.n == 5);
	for (unsigned i = 0; i < 5; i++)
		CHECK(seen.d[i].index == i && seen.d[i].order_id == 1);
	CHECK(check_dish(&seen, 0, 1, "Pizza", PROTO_STATE_QUEUED, 0, "", "", "") == 0);
	/* Cooking when version 1 stopped: cooked again, that attempt counted. */
	CHECK(check_dish(&seen, 1, 2, "Salad", PROTO_STATE_QUEUED, 1, "chef-1", "", "") == 0);
	CHECK(check_dish(&seen, 2, 3, "Spaghetti", PROTO_STATE_QUEUED, 2, "chef-2", "",
			 "chef chef-1 died\nchef chef-2 died\n") == 0);
	CHECK(check_dish(&seen, 3, 4, "Pizza", PROTO_STATE_SERVED, 2, "chef-1", "Served Pizza", "dough\ncheese") == 0);
	CHECK(check_dish(&seen, 4, 5, "Salad", PROTO_STATE_FAILED, 3, "chef-2", "gave up", "x\ny\ngave up\n") == 0);

	seen.n = 0;
	CHECK(store_get_order(s, 2, &o, collect, &seen) == 0);
	CHECK(o.state == PROTO_STATE_SERVED && o.served == 1 && o.first_dish == 6);
	CHECK(check_dish(&seen, 0, 6, "Pizza", PROTO_STATE_SERVED, 1, "chef-1", "Served Pizza", "") == 0);

	CHECK(store_load_open(s, count_order, count_dish, &l) == 0);
	CHECK(l.orders == 2 && l.order_ids[0] == 1 && l.order_ids[1] == 3);
	CHECK(l.dishes == 7 && l.queued == 5);
	CHECK(check_dish(&l.seen, 5, 7, "Spaghetti", PROTO_STATE_QUEUED, 0, "", "", "") == 0);
	CHECK(l.seen.d[5].index == 0 && l.seen.d[5].order_id == 3 && l.seen.d[6].index == 1);

	/* Keys kept: a live one still names its order, an old one expires. */
	CHECK(store_find_key(s, "k1", 1000, &id) == 0 && id == 1);
	CHECK(store_find_key(s, "old", 1000, &id) == -ENOENT);
	CHECK(store_add_order(s, 4, "old", 7000, 9, 1, names) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_find_key(s, "old", 1000, &id) == 0 && id == 4);
	store_close(&s);

	/* Opened again: already version 2, nothing changes. */
	CHECK(store_open(dir, "full", &s) == 0);
	CHECK(!store_converted(s, &converted));
	CHECK(store_next_ids(s, &next_o, &next_d) == 0);
	CHECK(next_o == 5 && next_d == 10);
	store_close(&s);
	return 0;
}

/* What version 2 cannot hold is refused, and the file is left as it was. */
static int test_v1_misnumbered(void)
{
	struct store *s = NULL;
	char sql[sizeof(v1_schema) + 256];

	snprintf(sql, sizeof(sql), "%s%s", v1_schema,
		 "INSERT INTO orders VALUES (1, NULL, 1, 2, 0);"
		 "INSERT INTO dishes VALUES (1, 1, 0, 'Pizza', 0, 0, '', '', '');"
		 "INSERT INTO dishes VALUES (3, 1, 1, 'Pizza', 0, 0, '', '', '');");
	CHECK(write_raw(sql) == 0);
	CHECK(store_open(dir, "full", &s) == -EBADMSG);
	CHECK(s == NULL);
	CHECK(raw_number("PRAGMA user_version") == 1);
	CHECK(raw_number("SELECT COUNT(*) FROM dishes WHERE order_id = 1") == 2);
	return 0;
}

static int test_newer_refused(void)
{
	struct store *s = NULL;

	CHECK(write_raw("CREATE TABLE future (x); PRAGMA user_version = 3;") == 0);
	CHECK(store_open(dir, "full", &s) == -EPROTONOSUPPORT);
	CHECK(s == NULL);
	CHECK(raw_number("PRAGMA user_version") == 3);
	CHECK(raw_number("SELECT COUNT(*) FROM sqlite_master WHERE name = 'orders'") == 0);
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
	{ "next ids", test_next_ids },
	{ "an order of 150 dishes", test_big_order },
	{ "a name with a newline refused", test_newline_refused },
	{ "duplicate key refused", test_duplicate_key },
	{ "expired key forgotten", test_expired_key },
	{ "reads see committed batches", test_batches },
	{ "unwritable directory", test_unwritable },
	{ "version 1 converted", test_v1_converted },
	{ "version 1 misnumbered: refused", test_v1_misnumbered },
	{ "newer version refused", test_newer_refused },
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
