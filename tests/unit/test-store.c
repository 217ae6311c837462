/*
 * test-store — the order store on a real SQLite file (daemon/store.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "store_check.h"
#include "store_ids.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/kitchen-test-store-XXXXXX";
static char err[512];  /* store_open()'s reason, of the last sopen() */

static int sopen(const char *d, const char *synchronous, unsigned flags, struct store **s)
{
	int r;

	err[0] = '\0';
	r = store_open(d, synchronous, flags, s, err, sizeof(err));
	if (r < 0)
		printf("# store_open: %s\n", err);
	return r;
}

static int open_fresh(struct store **s)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -f %s/kitchen.db*", dir);
	if (system(cmd) != 0)
		return -EIO;
	return sopen(dir, "full", 0, s);
}

static const char *const names[] = { "Pizza", "Salad", "Spaghetti" };

/* store_add_order() of an order at the default priority, due at once. */
static int add_order(struct store *s, uint64_t id, const char *key, uint64_t created_ms, uint64_t first_dish,
		     size_t n, const char *const *dish_names)
{
	return store_add_order(s, &(struct store_new_order) {
		.id = id,
		.key = key,
		.created_ms = created_ms,
		.first_dish = first_dish,
		.n_dishes = n,
		.names = dish_names,
		.priority = PROTO_PRIORITY_DEFAULT,
	});
}

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
	CHECK(!store_converted(s, NULL, NULL));  /* created, not converted */
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
	CHECK(add_order(s, 5, "key-1", 1234, 10, 3, names) == 0);
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

	CHECK(store_dish_served(s, 10, 3, 0, 0, "chef-2", "Served Pizza", 12, "a\nb") == 0);
	CHECK(store_dish_requeued(s, 11, 1, "chef-1", "chef chef-1 died") == 0);
	/* No chef at the end (a dish that left the menu): the last one stays. */
	CHECK(store_dish_failed(s, 11, 1, 0, 0, "", "no longer on the menu") == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_get_order(s, 5, &o, NULL, NULL) == 0);
	CHECK(o.state == PROTO_STATE_COOKING && o.served == 1 && o.failed == 1);

	CHECK(store_dish_served(s, 12, 1, 0, 0, "chef-1", "Served Spaghetti", 16, "") == 0);
	CHECK(store_order_done(s, 5, PROTO_STATE_FAILED, 99) == 0);
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
	CHECK(add_order(s, 1, NULL, 1, 1, 2, names) == 0);
	CHECK(add_order(s, 2, NULL, 2, 3, 1, names) == 0);
	CHECK(store_dish_served(s, 3, 1, 0, 0, "chef-1", "Served Pizza", 12, "") == 0);
	CHECK(store_order_done(s, 2, PROTO_STATE_SERVED, 99) == 0);
	/* Dish 1 is at a chef when kitchend dies: nothing says so. */
	CHECK(store_dish_requeued(s, 2, 1, "chef-2", "chef chef-2 died") == 0);
	store_close(&s);  /* commits what is written */

	CHECK(sopen(dir, "normal", 0, &s) == 0);
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
	CHECK(add_order(s, 1, NULL, 1, 1, 10, many) == 0);
	CHECK(add_order(s, 2, NULL, 1, 11, 1, many) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_next_ids(s, &o, &d) == 0);
	CHECK(o == 3 && d == 12);
	CHECK(store_dish_served(s, 40, 1, 0, 0, "x", "y", 1, "") == 0);
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
	CHECK(add_order(s, 7, NULL, 1, 1000, 150, many) == 0);
	for (unsigned i = 0; i < 150; i += 3)
		CHECK(store_dish_served(s, 1000 + i, 1, 0, 0, "c", "r", 1, many[i]) == 0);
	CHECK(store_dish_failed(s, 1149, 2, 0, 0, "c", "bad") == 0);
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
	CHECK(add_order(s, 1, NULL, 1, 1, 2, bad) == -EINVAL);
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	store_close(&s);
	return 0;
}

static int test_duplicate_key(void)
{
	struct store *s = NULL;

	CHECK(open_fresh(&s) == 0);
	CHECK(add_order(s, 1, "k", 1, 1, 1, names) == 0);
	/* Written at once; the writer's commit fails, and nothing after it
	 * is committed either. */
	CHECK(add_order(s, 2, "k", 1, 2, 1, names) == 0);
	CHECK(store_sync(s) == -EIO);
	CHECK(strstr(store_error(s), "UNIQUE constraint failed: orders.key"));
	CHECK(store_committed(s) == 0);
	CHECK(add_order(s, 3, NULL, 1, 3, 1, names) == 0);
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
	CHECK(add_order(s, 1, "k", 1000, 1, 1, names) == 0);
	CHECK(store_sync(s) == 0);
	/* Past its retention the key is forgotten and may name a new order. */
	CHECK(store_find_key(s, "k", 1001, &id) == -ENOENT);
	CHECK(add_order(s, 2, "k", 2000, 2, 1, names) == 0);
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
	CHECK(add_order(s, 1, "k", 1000, 1, 2, names) == 0);
	CHECK(store_written(s) == 1);
	/* Not handed over: the read connection cannot see it ... */
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	CHECK(store_poll(s, &committed) == 0 && committed == 0);
	/* ... but its key is known: a second ORDER with it is the same order. */
	CHECK(store_find_key(s, "k", 1000, &id) == 0 && id == 1);

	store_hand_over(s);
	/* Written while the writer has batch 1: batch 2. */
	CHECK(store_dish_served(s, 1, 1, 0, 0, "chef-1", "Served Pizza", 12, "") == 0);
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
	CHECK(add_order(s, 2, "m", 1000, 3, 1, names) == 0);
	CHECK(store_find_key(s, "m", 1001, &id) == -ENOENT);
	CHECK(add_order(s, 3, "m", 2000, 4, 1, names) == 0);
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
	unsigned from = 0;
	char sql[sizeof(v1_schema) + sizeof(v1_rows)];

	snprintf(sql, sizeof(sql), "%s%s", v1_schema, v1_rows);
	CHECK(write_raw(sql) == 0);
	CHECK(raw_number("PRAGMA user_version") == 1);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_converted(s, &from, &converted) && from == 1 && converted == 3);
	CHECK(raw_number("PRAGMA user_version") == STORE_SCHEMA_VERSION);
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
	CHECK(o.priority == PROTO_PRIORITY_DEFAULT && o.due_ms == 0 && o.finished_ms == o.created_ms);
	CHECK(check_dish(&seen, 0, 6, "Pizza", PROTO_STATE_SERVED, 1, "chef-1", "Served Pizza", "") == 0);

	CHECK(store_load_open(s, count_order, count_dish, &l) == 0);
	CHECK(l.orders == 2 && l.order_ids[0] == 1 && l.order_ids[1] == 3);
	CHECK(l.dishes == 7 && l.queued == 5);
	CHECK(check_dish(&l.seen, 5, 7, "Spaghetti", PROTO_STATE_QUEUED, 0, "", "", "") == 0);
	CHECK(l.seen.d[5].index == 0 && l.seen.d[5].order_id == 3 && l.seen.d[6].index == 1);

	/* Keys kept: a live one still names its order, an old one expires. */
	CHECK(store_find_key(s, "k1", 1000, &id) == 0 && id == 1);
	CHECK(store_find_key(s, "old", 1000, &id) == -ENOENT);
	CHECK(add_order(s, 4, "old", 7000, 9, 1, names) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_find_key(s, "old", 1000, &id) == 0 && id == 4);
	store_close(&s);

	/* Opened again: already converted, nothing changes. */
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(!store_converted(s, NULL, NULL));
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
	CHECK(sopen(dir, "full", 0, &s) == -EBADMSG);
	CHECK(s == NULL);
	CHECK(raw_number("PRAGMA user_version") == 1);
	CHECK(raw_number("SELECT COUNT(*) FROM dishes WHERE order_id = 1") == 2);
	return 0;
}

/* Version 2 gains priority, due_ms and finished_ms; its rows stay as they were. */
static int test_v2_converted(void)
{
	struct store *s = NULL;
	struct store_order o;
	struct seen seen = { 0 };
	uint64_t converted = 0, id = 0;
	unsigned from = 0;

	CHECK(write_raw("CREATE TABLE orders (id INTEGER PRIMARY KEY, key TEXT UNIQUE, created_ms INTEGER NOT NULL,"
			" dishes INTEGER NOT NULL, first_dish INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,"
			" names TEXT NOT NULL);"
			"CREATE INDEX orders_open ON orders(done) WHERE done = 0;"
			"CREATE TABLE dishes (id INTEGER PRIMARY KEY, state INTEGER NOT NULL, attempts INTEGER NOT NULL,"
			" chef TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');"
			"INSERT INTO orders VALUES (1, 'k1', 5000, 2, 1, 2, 'Pizza' || char(10) || 'Salad');"
			"INSERT INTO orders VALUES (2, NULL, 6000, 1, 3, 0, 'Spaghetti');"
			"INSERT INTO dishes VALUES (1, 2, 1, 'chef-1', 'Served Pizza', 'dough');"
			"INSERT INTO dishes VALUES (2, 2, 1, 'chef-1', 'Served Salad', 'lettuce');"
			"PRAGMA user_version = 2;") == 0);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_converted(s, &from, &converted) && from == 2 && converted == 2);
	CHECK(raw_number("PRAGMA user_version") == STORE_SCHEMA_VERSION);
	CHECK(raw_number("SELECT COUNT(*) FROM sqlite_master WHERE name = 'orders_finished'") == 1);

	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(o.state == PROTO_STATE_SERVED && o.served == 2 && o.finished_ms == 5000);
	CHECK(o.priority == PROTO_PRIORITY_DEFAULT && o.due_ms == 0);
	CHECK(check_dish(&seen, 1, 2, "Salad", PROTO_STATE_SERVED, 1, "chef-1", "Served Salad", "lettuce") == 0);
	CHECK(store_get_order(s, 2, &o, NULL, NULL) == 0);
	CHECK(o.state == PROTO_STATE_QUEUED && o.finished_ms == 0);
	CHECK(store_find_key(s, "k1", 1000, &id) == 0 && id == 1);
	store_close(&s);

	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(!store_converted(s, NULL, NULL));
	store_close(&s);
	return 0;
}

/* Inputs and outputs: bytes, NULs and all, written with the order and the
 * served record, read back, and gone with a pruned order. */
struct outputs_seen {
	unsigned n, index[8], stop_at;
	enum proto_state state[8];
	size_t len[8];
	char first[8];
};

static int take_output(unsigned index, enum proto_state state, const void *output, size_t len, void *u)
{
	struct outputs_seen *o = u;

	if (o->n == o->stop_at)
		return 1;
	o->index[o->n] = index;
	o->state[o->n] = state;
	o->len[o->n] = len;
	o->first[o->n] = len ? *(const char *) output : 0;
	o->n++;
	return 0;
}

static int any_order(const struct store_order *o, void *u)
{
	return 0;
}

static int test_inputs_outputs(void)
{
	static const char input[] = "-n\0\t\xff 17";
	const struct proto_field inputs[] = { { input, sizeof(input) - 1 }, { "", 0 }, { "x", 1 } };
	char big[100000];
	struct store *s = NULL;
	struct store_order o;
	struct seen seen = { 0 };
	struct outputs_seen out = { .stop_at = 8 };
	unsigned next = 0;

	memset(big, 'o', sizeof(big));
	big[0] = '\0';
	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, &(struct store_new_order) {
		.id = 1, .key = "", .created_ms = 1000, .first_dish = 1, .n_dishes = 3,
		.names = names, .inputs = inputs, .priority = PROTO_PRIORITY_DEFAULT,
	}) == 0);
	CHECK(store_dish_served(s, 1, 1, 0, 0, "chef-1", big, sizeof(big), "") == 0);
	CHECK(store_dish_failed(s, 3, 1, 0, 0, "chef-1", "exit 3: no") == 0);
	CHECK(store_sync(s) == 0);
	CHECK(raw_number("SELECT COUNT(*) FROM inputs") == 2);  /* not the empty one */

	CHECK(store_get_order_inputs(s, 1, &o, collect, &seen) == 0);
	CHECK(seen.n == 3);
	CHECK(seen.d[0].input_len == sizeof(input) - 1);
	CHECK(seen.d[1].input_len == 0 && seen.d[2].input_len == 1);
	CHECK(seen.d[0].result_len == sizeof(big));
	seen.n = 0;
	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(seen.d[0].input == NULL && seen.d[0].input_len == 0);  /* not asked for */

	/* every ended dish, in order; the queued one skipped */
	CHECK(store_outputs(s, 1, 0, take_output, &out, &next) == 0);
	CHECK(next == 3 && out.n == 2);
	CHECK(out.index[0] == 0 && out.state[0] == PROTO_STATE_SERVED && out.len[0] == sizeof(big) && out.first[0] == 0);
	CHECK(out.index[1] == 2 && out.state[1] == PROTO_STATE_FAILED && out.len[1] == 0);
	/* from an index on; and stopped: the next is the one not taken */
	out = (struct outputs_seen) { .stop_at = 8 };
	CHECK(store_outputs(s, 1, 1, take_output, &out, &next) == 0);
	CHECK(next == 3 && out.n == 1 && out.index[0] == 2);
	out = (struct outputs_seen) { .stop_at = 1 };
	CHECK(store_outputs(s, 1, 0, take_output, &out, &next) == 0);
	CHECK(next == 2 && out.n == 1);
	CHECK(store_outputs(s, 2, 0, take_output, &out, &next) == -ENOENT);

	/* kept across a restart, for the open order's dishes */
	store_close(&s);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	seen.n = 0;
	CHECK(store_load_open(s, any_order, collect, &seen) == 0);
	CHECK(seen.n == 3 && seen.d[0].input_len == sizeof(input) - 1);
	store_close(&s);
	return 0;
}

/* The tables of version 3 (kitchen 0.4), which version 4 keeps. */
#define V3_TABLES \
	"CREATE TABLE orders (id INTEGER PRIMARY KEY, key TEXT UNIQUE, created_ms INTEGER NOT NULL," \
	" dishes INTEGER NOT NULL, first_dish INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0," \
	" names TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 5, due_ms INTEGER NOT NULL DEFAULT 0," \
	" finished_ms INTEGER NOT NULL DEFAULT 0);" \
	"CREATE INDEX orders_open ON orders(done) WHERE done = 0;" \
	"CREATE INDEX orders_finished ON orders(finished_ms) WHERE done != 0;" \
	"CREATE TABLE dishes (id INTEGER PRIMARY KEY, state INTEGER NOT NULL, attempts INTEGER NOT NULL," \
	" chef TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');"

/* A store of version 3 (kitchen 0.4) gains the inputs table. */
static int test_v3_converted(void)
{
	struct store *s = NULL;
	uint64_t converted = 0;
	unsigned from = 0;

	CHECK(write_raw(V3_TABLES
			"INSERT INTO orders VALUES (1, NULL, 5000, 1, 1, 0, 'Pizza', 5, 0, 0);"
			"PRAGMA user_version = 3;") == 0);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_converted(s, &from, &converted) && from == 3 && converted == 1);
	CHECK(raw_number("PRAGMA user_version") == STORE_SCHEMA_VERSION);
	CHECK(raw_number("SELECT COUNT(*) FROM sqlite_master WHERE name = 'inputs'") == 1);
	store_close(&s);
	return 0;
}

/* A store of version 4 (kitchen 0.5, 0.6) gains the dishes' times, 0 for its rows. */
static int test_v4_converted(void)
{
	struct store *s = NULL;
	struct seen seen = { 0 };
	struct store_order o;
	uint64_t converted = 0;
	unsigned from = 0;

	CHECK(write_raw(V3_TABLES
			"CREATE TABLE inputs (id INTEGER PRIMARY KEY, input BLOB NOT NULL);"
			"INSERT INTO orders VALUES (1, NULL, 5000, 2, 1, 0, 'Pizza\nSalad', 5, 0, 0);"
			"INSERT INTO dishes VALUES (1, 2, 1, 'chef-1', 'Served Pizza', '');"
			"PRAGMA user_version = 4;") == 0);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_converted(s, &from, &converted) && from == 4 && converted == 1);
	CHECK(raw_number("PRAGMA user_version") == STORE_SCHEMA_VERSION);
	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(seen.n == 2 && seen.d[0].state == PROTO_STATE_SERVED && strcmp(seen.result[0], "Served Pizza") == 0);
	CHECK(seen.d[0].started_ms == 0 && seen.d[0].finished_ms == 0);
	/* The next record of the open order has its times. */
	CHECK(store_dish_served(s, 2, 1, 7000, 7300, "chef-1", "Served Salad", 12, "") == 0);
	CHECK(store_sync(s) == 0);
	seen.n = 0;
	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(seen.d[1].started_ms == 7000 && seen.d[1].finished_ms == 7300);
	store_close(&s);
	return 0;
}

/* A batch of 40 served dishes goes in statements of several rows: each row
 * has its own fields, one served over a requeued row included. */
static int test_served_rows(void)
{
	static char name_buf[40][8];
	const char *many[40];
	struct store *s = NULL;
	struct seen seen = { 0 };
	struct store_order o;

	for (unsigned i = 0; i < 40; i++) {
		snprintf(name_buf[i], sizeof(name_buf[i]), "d%u", i);
		many[i] = name_buf[i];
	}
	CHECK(open_fresh(&s) == 0);
	CHECK(add_order(s, 1, NULL, 1000, 1, 40, many) == 0);
	CHECK(store_dish_requeued(s, 20, 1, "chef-9", "chef chef-9 died") == 0);
	CHECK(store_sync(s) == 0);
	for (unsigned i = 0; i < 40; i++) {
		char chef[16], result[16], items[16];

		snprintf(chef, sizeof(chef), "chef-%u", i % 3);
		snprintf(result, sizeof(result), "r%u", i);
		snprintf(items, sizeof(items), "a%u\nb%u", i, i);
		CHECK(store_dish_served(s, 1 + i, 1 + i % 4, 2000 + i, 3000 + i, chef, result, strlen(result) + 1,
					items) == 0);
	}
	CHECK(store_sync(s) == 0);
	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(o.served == 40 && o.state == PROTO_STATE_SERVED && seen.n == 40);
	for (unsigned i = 0; i < 40; i++) {
		char want[16];

		CHECK(seen.d[i].id == 1 + i && seen.d[i].state == PROTO_STATE_SERVED && seen.d[i].attempts == 1 + i % 4);
		CHECK(seen.d[i].started_ms == 2000 + i && seen.d[i].finished_ms == 3000 + i);
		snprintf(want, sizeof(want), "chef-%u", i % 3);
		CHECK(strcmp(seen.chef[i], want) == 0);
		snprintf(want, sizeof(want), "r%u", i);
		CHECK(seen.d[i].result_len == strlen(want) + 1 && strcmp(seen.result[i], want) == 0);
		snprintf(want, sizeof(want), "a%u\nb%u", i, i);
		CHECK(strcmp(seen.detail[i], want) == 0);
	}
	store_close(&s);
	return 0;
}

/* Each record of a dish says when its last attempt started and ended; one
 * taken back has neither (it waits for the next). */
static int test_dish_times(void)
{
	struct store *s = NULL;
	struct seen seen = { 0 };
	struct store_order o;

	CHECK(open_fresh(&s) == 0);
	CHECK(add_order(s, 1, "", 1000, 1, 3, names) == 0);
	CHECK(store_dish_served(s, 1, 1, 1100, 1400, "chef-1", "Served Pizza", 12, "") == 0);
	CHECK(store_dish_requeued(s, 2, 1, "chef-1", "died") == 0);
	CHECK(store_dish_cancelled(s, 3, 0, 0, 1500, "", "cancelled on request") == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(seen.d[0].started_ms == 1100 && seen.d[0].finished_ms == 1400);
	CHECK(seen.d[1].state == PROTO_STATE_QUEUED && seen.d[1].started_ms == 0 && seen.d[1].finished_ms == 0);
	CHECK(seen.d[2].started_ms == 0 && seen.d[2].finished_ms == 1500);

	/* Failed at its second attempt, then taken back by a retry: the times go. */
	CHECK(store_dish_failed(s, 2, 2, 1600, 1700, "chef-2", "burnt") == 0);
	CHECK(store_sync(s) == 0);
	seen.n = 0;
	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(seen.d[1].state == PROTO_STATE_FAILED && seen.d[1].started_ms == 1600 && seen.d[1].finished_ms == 1700);
	CHECK(store_dish_requeued(s, 2, 0, "", "retried on request") == 0);
	CHECK(store_sync(s) == 0);
	seen.n = 0;
	CHECK(store_get_order(s, 1, &o, collect, &seen) == 0);
	CHECK(seen.d[1].state == PROTO_STATE_QUEUED && seen.d[1].started_ms == 0 && seen.d[1].finished_ms == 0);
	store_close(&s);
	return 0;
}

/* Priority, delay and the finish are kept. */
static int test_order_columns(void)
{
	struct store *s = NULL;
	struct store_order o;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_add_order(s, &(struct store_new_order) {
		.id = 1, .key = "", .created_ms = 1000, .due_ms = 9000, .first_dish = 1, .n_dishes = 1,
		.names = names, .priority = PROTO_PRIORITY_MAX,
	}) == 0);
	CHECK(store_order_done(s, 1, PROTO_STATE_SERVED, 12345) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_get_order(s, 1, &o, NULL, NULL) == 0);
	CHECK(o.priority == PROTO_PRIORITY_MAX && o.due_ms == 9000 && o.finished_ms == 12345);
	store_close(&s);
	return 0;
}

static int test_newer_refused(void)
{
	struct store *s = NULL;

	CHECK(write_raw("CREATE TABLE future (x); PRAGMA user_version = 6;") == 0);
	CHECK(sopen(dir, "full", 0, &s) == -EPROTONOSUPPORT);
	CHECK(s == NULL);
	CHECK(raw_number("PRAGMA user_version") == 6);
	CHECK(raw_number("SELECT COUNT(*) FROM sqlite_master WHERE name = 'orders'") == 0);
	return 0;
}

static int test_unwritable(void)
{
	struct store *s = NULL;

	if (geteuid() == 0)
		return 0;  /* root writes anywhere */
	CHECK(sopen("/proc", "full", 0, &s) < 0);
	CHECK(s == NULL);
	return 0;
}


/* ---- errors, integrity, ids, a full disk ---- */

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -EIO;
}

static int path_of(char *buf, size_t len, const char *d, const char *name)
{
	return snprintf(buf, len, "%s/%s", d, name) < (int) len ? 0 : -ENAMETOOLONG;
}

/* @n orders of one dish each, ids from @first, keys "k<id>", committed. */
static int add_orders(struct store *s, uint64_t first, unsigned n)
{
	for (uint64_t id = first; id < first + n; id++) {
		char key[32];

		snprintf(key, sizeof(key), "k%llu", (unsigned long long) id);
		if (add_order(s, id, key, 1000, id, 1, names) < 0)
			return -EIO;
	}
	return store_sync(s);
}

/*
 * kitchend killed: a child process writes @n orders from id 1 and commits
 * them, then exits without closing, as kill -9 would leave the files.
 */
static int crash_after_orders(unsigned n)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct store *s = NULL;
		_exit(sopen(dir, "full", 0, &s) == 0 && add_orders(s, 1, n) == 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	return 0;
}

/* A damaged page of the orders table: refused, the table named, the file untouched. */
static int test_damaged(void)
{
	struct store *s = NULL;
	char path[128];
	long long page, page_size;
	char garbage[4096];
	int fd;

	CHECK(open_fresh(&s) == 0);
	CHECK(add_orders(s, 1, 2000) == 0);
	store_close(&s);
	page = raw_number("SELECT pageno FROM dbstat WHERE name = 'orders' AND pagetype = 'leaf' LIMIT 1 OFFSET 3");
	page_size = raw_number("PRAGMA page_size");
	CHECK(page > 1 && page_size == 4096);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char) (i * 7919 % 251);
	CHECK(path_of(path, sizeof(path), dir, "kitchen.db") == 0);
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0);
	CHECK(pwrite(fd, garbage, sizeof(garbage), (off_t) ((page - 1) * page_size)) == (ssize_t) sizeof(garbage));
	close(fd);

	CHECK(sopen(dir, "full", 0, &s) == -EUCLEAN);
	CHECK(s == NULL);
	CHECK(strstr(err, "the orders table of kitchen.db is unreadable ("));
	CHECK(raw_number("SELECT COUNT(*) FROM dbstat WHERE pageno = 1") == 1);  /* still a database */
	return 0;
}

/* Not a database at all. */
static int test_not_a_database(void)
{
	struct store *s = NULL;

	CHECK(run("rm -f %s/kitchen.db*; head -c 8192 /dev/urandom > %s/kitchen.db", dir, dir) == 0);
	CHECK(sopen(dir, "full", 0, &s) == -EUCLEAN);
	CHECK(strstr(err, "file is not a database"));
	return 0;
}

/* The check stops at its time budget and says so. */
static int test_check_budget(void)
{
	struct store *s = NULL;
	sqlite3 *db = NULL;
	char path[128];
	bool complete = true;

	CHECK(open_fresh(&s) == 0);
	CHECK(store_checked(s));
	CHECK(add_orders(s, 1, 500) == 0);
	store_close(&s);
	CHECK(path_of(path, sizeof(path), dir, "kitchen.db") == 0);
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(store_check(db, 0, &complete) == 0 && !complete);
	CHECK(store_check(db, 5000, &complete) == 0 && complete);
	sqlite3_close(db);
	return 0;
}

/* Ids continue after a clean close, jump the reservation after a crash. */
static int test_ids_reserved(void)
{
	struct store *s = NULL;
	struct stat st;
	char path[128];
	uint64_t o, d;

	CHECK(open_fresh(&s) == 0);
	CHECK(path_of(path, sizeof(path), dir, "kitchen.db-ids") == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(add_orders(s, 1, 3) == 0);
	store_close(&s);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_next_ids(s, &o, &d) == 0 && o == 4 && d == 4);
	store_close(&s);

	CHECK(run("rm -f %s/kitchen.db*", dir) == 0);
	CHECK(crash_after_orders(3) == 0);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_next_ids(s, &o, &d) == 0);
	CHECK(o == 4 + STORE_IDS_BLOCK && d == 4 + STORE_IDS_BLOCK);
	store_close(&s);
	return 0;
}

/* The -wal lost after a crash: refused, naming the orders; then accepted once. */
static int test_lost_wal(void)
{
	struct store *s = NULL;
	uint64_t o, d, first = 0, last = 0, id;

	CHECK(run("rm -f %s/kitchen.db*", dir) == 0);
	CHECK(crash_after_orders(400) == 0);
	CHECK(run("test -s %s/kitchen.db-wal && rm %s/kitchen.db-wal", dir, dir) == 0);
	CHECK(sopen(dir, "full", 0, &s) == -ESTALE);
	CHECK(s == NULL);
	CHECK(strstr(err, "orders up to 400 were committed: orders ") && strstr(err, " to 400 are missing"));
	CHECK(strstr(err, "idempotency keys") && strstr(err, "-wal was lost or damaged"));

	CHECK(sopen(dir, "full", STORE_OPEN_ACCEPT_LOST, &s) == 0);
	CHECK(store_lost_orders(s, &first, &last) && last == 400 && first >= 1);
	CHECK(store_next_ids(s, &o, &d) == 0 && o > 400 && d > 400);
	CHECK(store_find_key(s, "k400", 0, &id) == -ENOENT);
	store_close(&s);
	/* Recorded: the next start is a normal one, ids still beyond. */
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(!store_lost_orders(s, NULL, NULL));
	CHECK(store_next_ids(s, &o, &d) == 0 && o > 400 && d > 400);
	store_close(&s);
	return 0;
}

/* kitchen.db truncated to nothing, its -wal gone: orders 1 to N are missing. */
static int test_truncated(void)
{
	struct store *s = NULL;

	CHECK(run("rm -f %s/kitchen.db*", dir) == 0);
	CHECK(crash_after_orders(5) == 0);
	CHECK(run("rm %s/kitchen.db-wal && truncate -s 0 %s/kitchen.db", dir, dir) == 0);
	CHECK(sopen(dir, "full", 0, &s) == -ESTALE);
	CHECK(strstr(err, "kitchen.db holds no orders, but orders up to 5 were committed: orders 1 to 5 are missing"));
	return 0;
}

/* A store as kitchen 0.2 left it (no id file) opens, and gets one. */
static int test_no_ids_file(void)
{
	struct store *s = NULL;
	uint64_t o, d;

	CHECK(open_fresh(&s) == 0);
	CHECK(add_orders(s, 1, 7) == 0);
	store_close(&s);
	CHECK(run("rm %s/kitchen.db-ids", dir) == 0);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_next_ids(s, &o, &d) == 0 && o == 8 && d == 8);
	store_close(&s);
	CHECK(run("test -s %s/kitchen.db-ids", dir) == 0);

	CHECK(run("echo garbage > %s/kitchen.db-ids", dir) == 0);
	CHECK(sopen(dir, "full", 0, &s) == -EBADMSG);
	CHECK(strstr(err, "kitchen.db-ids' is damaged"));
	return 0;
}

/* An order written, not committed, taken out again: row, key and records. */
static int test_drop_order(void)
{
	struct store *s = NULL;
	uint64_t id = 0;
	struct seen seen = { 0 };
	struct store_order o;

	CHECK(open_fresh(&s) == 0);
	CHECK(add_order(s, 1, "a", 1000, 1, 1, names) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_drop_order(s, 1) == -ENOENT);  /* committed */
	CHECK(add_order(s, 2, "b", 1000, 2, 2, names) == 0);
	CHECK(add_order(s, 3, "c", 1000, 4, 1, names) == 0);
	CHECK(store_dish_requeued(s, 2, 1, "chef-1", "died") == 0);
	CHECK(store_dish_requeued(s, 4, 1, "chef-1", "died") == 0);
	CHECK(store_find_key(s, "b", 0, &id) == 0 && id == 2);
	CHECK(store_drop_order(s, 2) == 0);
	CHECK(store_drop_order(s, 2) == -ENOENT);
	CHECK(store_drop_order(s, 9) == -ENOENT);
	CHECK(store_find_key(s, "b", 0, &id) == -ENOENT);
	CHECK(store_sync(s) == 0);
	CHECK(store_get_order(s, 2, &o, NULL, NULL) == -ENOENT);
	CHECK(raw_number("SELECT COUNT(*) FROM dishes WHERE id IN (2, 3)") == 0);
	CHECK(store_get_order(s, 3, &o, collect, &seen) == 0);
	CHECK(strcmp(seen.detail[0], "died\n") == 0);
	/* The key may name a new order. */
	CHECK(add_order(s, 5, "b", 1000, 5, 1, names) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_find_key(s, "b", 0, &id) == 0 && id == 5);
	store_close(&s);
	return 0;
}

/*
 * Read-only stores, found by store_open(): run as nobody (root writes
 * anywhere) in a child, on @d prepared by the caller. The result in *ret,
 * the reason in err.
 */
static int open_as_nobody(const char *d, int *ret)
{
	int pipefd[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(pipefd) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct store *s = NULL;
		int r;

		close(pipefd[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		r = sopen(d, "full", 0, &s);
		store_close(&s);
		if (write(pipefd[1], &r, sizeof(r)) != sizeof(r) || write(pipefd[1], err, strlen(err) + 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], ret, sizeof(*ret));
	if (n == sizeof(*ret)) {
		n = read(pipefd[0], err, sizeof(err) - 1);
		err[n > 0 ? n : 0] = '\0';
	}
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	return 0;
}

static int test_read_only(void)
{
	char d[] = "/tmp/kitchen-test-ro-XXXXXX";
	struct store *s = NULL;
	int r = 0;

	if (geteuid() != 0)
		return TAP_SKIP("needs root to run store_open() as nobody");
	CHECK(mkdtemp(d));
	CHECK(sopen(d, "full", 0, &s) == 0 && add_orders(s, 1, 1) == 0);
	store_close(&s);
	CHECK(run("chown -R 65534:65534 %s", d) == 0);
	CHECK(open_as_nobody(d, &r) == 0 && r == 0);  /* as it is: fine */

	CHECK(run("chmod 0444 %s/kitchen.db", d) == 0);
	CHECK(open_as_nobody(d, &r) == 0 && r == -EROFS);
	CHECK(strstr(err, "attempt to write a readonly database") && strstr(err, "kitchen.db' cannot be written"));
	CHECK(run("chmod 0644 %s/kitchen.db && chown 0:0 %s/kitchen.db-shm", d, d) == 0);
	CHECK(open_as_nobody(d, &r) == 0 && (r == -EROFS || r == -EACCES));
	CHECK(strstr(err, "kitchen.db-shm' cannot be written"));
	CHECK(run("rm %s/kitchen.db-shm %s/kitchen.db-wal && chmod 0555 %s", d, d, d) == 0);
	CHECK(open_as_nobody(d, &r) == 0 && (r == -EACCES || r == -EROFS));
	CHECK(strstr(err, "cannot be written"));
	CHECK(run("rm -rf %s", d) == 0);
	return 0;
}

/* Hand over and poll until everything written is committed, or an error (5 s at most). */
static int commit_all(struct store *s)
{
	for (int i = 0; i < 500; i++) {
		struct pollfd p = { .fd = store_fd(s), .events = POLLIN };
		uint64_t committed = 0;
		int r;

		store_hand_over(s);
		(void) poll(&p, 1, 10);
		r = store_poll(s, &committed);
		if (r < 0)
			return r;
		if (committed >= store_written(s))
			return 0;
	}
	return -ETIMEDOUT;
}

static char full_dir[] = "/tmp/kitchen-test-full-XXXXXX";

/* Fill the tmpfs up to its last byte. */
static int fill(void)
{
	static char block[65536];
	char path[128];
	int fd;

	if (path_of(path, sizeof(path), full_dir, "fill") < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		return -errno;
	for (size_t len = sizeof(block); len > 0;)
		if (write(fd, block, len) < 0)
			len /= 2;
	close(fd);
	return 0;
}

static int unfill(void)
{
	return run("rm %s/fill", full_dir);
}

/* What the store holds of order @id: -ENOENT, else its requeue reason lines. */
static int order_detail(struct store *s, uint64_t id, char *detail, size_t len)
{
	struct seen seen = { 0 };
	struct store_order o;
	int r = store_get_order(s, id, &o, collect, &seen);

	if (r >= 0)
		snprintf(detail, len, "%s", seen.detail[0]);
	return r;
}

static int test_disk_full(void)
{
	struct store *s = NULL;
	uint64_t id = 0, next = 1, committed_before;
	char detail[256];
	unsigned n_full = 0;
	int r = 0;

	if (geteuid() != 0)
		return TAP_SKIP("needs root to mount a tmpfs");
	CHECK(mkdtemp(full_dir));
	CHECK(mount("tmpfs", full_dir, "tmpfs", 0, "size=1m,mode=0700") == 0);

	CHECK(sopen(full_dir, "full", 0, &s) == 0);
	CHECK(add_orders(s, next, 20) == 0);
	next += 20;
	CHECK(fill() == 0);
	/* The -wal may have room left: write until a commit fails. */
	for (int i = 0; i < 200 && r == 0; i++) {
		CHECK(add_order(s, next, NULL, 1, next, 1, names) == 0);
		next++;
		r = commit_all(s);
	}
	CHECK(r == -ENOSPC);
	CHECK(store_full(s));
	CHECK(strstr(store_error(s), "database or disk is full") || strstr(store_error(s), "No space left"));
	committed_before = store_committed(s);
	CHECK(store_written(s) > committed_before);
	/* Order next - 1 failed; more written while full, dish records too. */
	CHECK(store_dish_requeued(s, 1, 1, "chef-1", "once") == 0);
	CHECK(add_order(s, next, "kept", 1, next, 1, names) == 0);
	CHECK(add_order(s, next + 1, "dropped", 1, next + 1, 1, names) == 0);
	CHECK(store_dish_requeued(s, next + 1, 1, "chef-1", "dropped with it") == 0);
	CHECK(store_dish_requeued(s, next, 1, "chef-1", "kept") == 0);
	CHECK(store_drop_order(s, next + 1) == 0);
	CHECK(store_drop_order(s, next - 1) == 0);  /* the one whose commit failed */
	CHECK(store_drop_order(s, 1) == -ENOENT);   /* committed before */
	CHECK(store_find_key(s, "dropped", 0, &id) == -ENOENT);
	CHECK(store_find_key(s, "kept", 0, &id) == 0 && id == next);
	/* Still full: each try fails again, nothing committed. */
	for (int i = 0; i < 300 && n_full < 2; i++) {
		struct pollfd p = { .fd = store_fd(s), .events = POLLIN };
		uint64_t c;

		store_hand_over(s);
		(void) poll(&p, 1, 10);
		n_full += store_poll(s, &c) == -ENOSPC;
		CHECK(c == committed_before);
	}
	CHECK(n_full == 2 && store_full(s));

	CHECK(unfill() == 0);
	CHECK(commit_all(s) == 0);
	CHECK(!store_full(s));
	CHECK(store_committed(s) >= store_written(s));
	/* Every kept record committed once, nothing dropped committed. */
	CHECK(order_detail(s, 1, detail, sizeof(detail)) == 0 && strcmp(detail, "once\n") == 0);
	CHECK(order_detail(s, next, detail, sizeof(detail)) == 0 && strcmp(detail, "kept\n") == 0);
	CHECK(order_detail(s, next + 1, detail, sizeof(detail)) == -ENOENT);
	CHECK(order_detail(s, next - 1, detail, sizeof(detail)) == -ENOENT);
	for (uint64_t o = 21; o < next - 1; o++)
		CHECK(order_detail(s, o, detail, sizeof(detail)) == 0);
	store_close(&s);

	/* Opened again on the full disk: opens, full; takes writes once there is space. */
	CHECK(fill() == 0);
	CHECK(sopen(full_dir, "full", 0, &s) == 0);
	CHECK(store_full(s));
	CHECK(store_get_order(s, 1, &(struct store_order) { 0 }, NULL, NULL) == 0);
	CHECK(add_order(s, next + 2, NULL, 1, next + 2, 1, names) == 0);
	CHECK(commit_all(s) == -ENOSPC);
	CHECK(unfill() == 0);
	CHECK(commit_all(s) == 0);
	CHECK(!store_full(s));
	CHECK(store_get_order(s, next + 2, &(struct store_order) { 0 }, NULL, NULL) == 0);
	/* Full at close: given up, without hanging. */
	CHECK(fill() == 0);
	CHECK(add_order(s, next + 3, NULL, 1, next + 3, 1, names) == 0);
	store_close(&s);
	CHECK(unfill() == 0);
	CHECK(sopen(full_dir, "full", 0, &s) == 0);
	CHECK(store_get_order(s, next + 3, &(struct store_order) { 0 }, NULL, NULL) == -ENOENT);
	store_close(&s);

	CHECK(umount(full_dir) == 0);
	CHECK(rmdir(full_dir) == 0);
	return 0;
}

/* What store_list() handed over: ids in order, and the last order whole. */
struct listed {
	size_t n;
	uint64_t ids[64];
	struct store_order last;
	char key[32], names[64];
};

static int take(const struct store_listed *l, void *u)
{
	struct listed *x = u;

	if (x->n < ELEMENTSOF(x->ids))
		x->ids[x->n] = l->order.id;
	x->n++;
	x->last = l->order;
	snprintf(x->key, sizeof(x->key), "%s", l->key);
	snprintf(x->names, sizeof(x->names), "%s", l->names);
	return 1;
}

static int list(struct store *s, struct store_list_query q, struct listed *x, uint64_t *next)
{
	*x = (struct listed) { 0 };
	if (!q.limit)
		q.limit = 64;
	if (!q.open && q.done == 0)
		q.done = _PROTO_STATE_MAX;
	return store_list(s, &q, take, x, next);
}

static int test_list(void)
{
	static const char *const two[] = { "Pizza", "Salad" }, *const one[] = { "Spaghetti" };
	struct store *s = NULL;
	struct listed x;
	uint64_t next, dish = 1;
	char key[16];

	CHECK(open_fresh(&s) == 0);
	CHECK(list(s, (struct store_list_query) { 0 }, &x, &next) == 0);
	CHECK(x.n == 0 && next == 0);
	/* Orders 1..50, created 10 ms apart; even ones Pizza and Salad. */
	for (uint64_t id = 1; id <= 50; id++) {
		snprintf(key, sizeof(key), "k-%llu", (unsigned long long) id);
		CHECK(add_order(s, id, id % 5 ? key : NULL, 1000 + id * 10, dish, id % 2 ? 1 : 2,
				id % 2 ? one : two) == 0);
		dish += id % 2 ? 1 : 2;
	}
	/* Order 2 (dishes 2, 3): Pizza served, Salad failed; order 3 (dish 4) served. */
	CHECK(store_dish_served(s, 2, 1, 0, 0, "chef-1", "Served Pizza", 12, "") == 0);
	CHECK(store_dish_failed(s, 3, 1, 0, 0, "chef-1", "burnt") == 0);
	CHECK(store_order_done(s, 2, PROTO_STATE_FAILED, 5000) == 0);
	CHECK(store_dish_served(s, 4, 1, 0, 0, "chef-1", "Served Spaghetti", 16, "") == 0);
	CHECK(store_order_done(s, 3, PROTO_STATE_SERVED, 5000) == 0);
	CHECK(store_sync(s) == 0);

	/* Newest first, a page at a time. */
	CHECK(list(s, (struct store_list_query) { .limit = 10 }, &x, &next) == 0);
	CHECK(x.n == 10 && x.ids[0] == 50 && x.ids[9] == 41 && next == 41);
	CHECK(list(s, (struct store_list_query) { .before = next }, &x, &next) == 0);
	CHECK(x.n == 40 && x.ids[0] == 40 && x.ids[39] == 1 && next == 0);
	CHECK(x.last.id == 1 && x.last.created_ms == 1010 && x.last.n_dishes == 1);
	EXPECT_STR(x.key, "k-1");
	EXPECT_STR(x.names, "Spaghetti");
	CHECK(x.last.state == PROTO_STATE_QUEUED);
	/* The last page ends exactly: no empty page after it. */
	CHECK(list(s, (struct store_list_query) { .limit = 2, .before = 3 }, &x, &next) == 0);
	CHECK(x.n == 2 && next == 0);

	/* States, with their dish counts. */
	CHECK(list(s, (struct store_list_query) { .done = PROTO_STATE_FAILED }, &x, &next) == 0);
	CHECK(x.n == 1 && x.ids[0] == 2 && next == 0);
	CHECK(x.last.state == PROTO_STATE_FAILED && x.last.served == 1 && x.last.failed == 1);
	CHECK(list(s, (struct store_list_query) { .done = PROTO_STATE_SERVED }, &x, &next) == 0);
	CHECK(x.n == 1 && x.ids[0] == 3 && x.last.served == 1);
	CHECK(list(s, (struct store_list_query) { .open = true, .limit = 5 }, &x, &next) == 0);
	CHECK(x.n == 5 && x.ids[0] == 50 && next == 46);
	CHECK(list(s, (struct store_list_query) { .open = true, .before = 5 }, &x, &next) == 0);
	CHECK(x.n == 2 && x.ids[0] == 4 && x.ids[1] == 1 && next == 0);

	/* A dish (any case), a key, a time window (both ends included). */
	CHECK(list(s, (struct store_list_query) { .dish = "sALAD" }, &x, &next) == 0);
	CHECK(x.n == 25 && x.ids[0] == 50 && x.ids[24] == 2);
	CHECK(list(s, (struct store_list_query) { .dish = "Salad" , .before = 50, .limit = 3 }, &x, &next) == 0);
	CHECK(x.n == 3 && x.ids[0] == 48 && x.ids[2] == 44 && next == 44);
	CHECK(list(s, (struct store_list_query) { .dish = "Sala" }, &x, &next) == 0);
	CHECK(x.n == 0 && next == 0);
	CHECK(list(s, (struct store_list_query) { .key = "k-7" }, &x, &next) == 0);
	CHECK(x.n == 1 && x.ids[0] == 7 && next == 0);
	CHECK(list(s, (struct store_list_query) { .key = "k-7", .before = 7 }, &x, &next) == 0);
	CHECK(x.n == 0);
	CHECK(list(s, (struct store_list_query) { .since_ms = 1200, .until_ms = 1300 }, &x, &next) == 0);
	CHECK(x.n == 11 && x.ids[0] == 30 && x.ids[10] == 20 && next == 0);
	CHECK(list(s, (struct store_list_query) { .until_ms = 1300, .limit = 4 }, &x, &next) == 0);
	CHECK(x.n == 4 && x.ids[0] == 30 && next == 27);
	CHECK(list(s, (struct store_list_query) { .until_ms = 1000 }, &x, &next) == 0);
	CHECK(x.n == 0 && next == 0);
	CHECK(list(s, (struct store_list_query) { .since_ms = 2000 }, &x, &next) == 0);
	CHECK(x.n == 0 && next == 0);

	/* A filter nothing passes looks at STORE_LIST_EXAMINE rows, then hands a cursor. */
	for (uint64_t id = 51; id <= 50 + STORE_LIST_EXAMINE + 10; id++) {
		CHECK(add_order(s, id, NULL, 1000 + id * 10, dish, 1, one) == 0);
		dish++;
	}
	CHECK(store_sync(s) == 0);
	CHECK(list(s, (struct store_list_query) { .dish = "Soup" }, &x, &next) == 0);
	CHECK(x.n == 0 && next == 50 + 10 + 1);
	CHECK(list(s, (struct store_list_query) { .dish = "Soup", .before = next }, &x, &next) == 0);
	CHECK(x.n == 0 && next == 0);
	store_close(&s);
	return 0;
}

/* ---- retention ---- */

#define DAY_MS (86400ull * 1000)

/* Order @id of one dish (dish @id), created at @created_ms with @key, then
 * (unless @finished_ms is 0) served at @finished_ms. */
static int old_order(struct store *s, uint64_t id, const char *key, uint64_t created_ms, uint64_t finished_ms)
{
	int r = add_order(s, id, key, created_ms, id, 1, names);

	if (r >= 0 && finished_ms)
		r = store_dish_served(s, id, 1, 0, 0, "chef-1", "Served Pizza", 12, "Dough\n");
	if (r >= 0 && finished_ms)
		r = store_order_done(s, id, PROTO_STATE_SERVED, finished_ms);
	return r;
}

static bool have_order(struct store *s, uint64_t id)
{
	return store_get_order(s, id, &(struct store_order) { 0 }, NULL, NULL) == 0;
}

/* By age, and what never goes: open orders, valid keys, the newest order. */
static int test_prune_by_age(void)
{
	struct store *s = NULL;
	struct store_pruned p;
	uint64_t now = wall_ms(), before[_PROTO_STATE_MAX], after[_PROTO_STATE_MAX], id;
	char why[128];

	CHECK(open_fresh(&s) == 0);
	CHECK(old_order(s, 1, NULL, now - 10 * DAY_MS, now - 10 * DAY_MS) == 0);     /* goes */
	CHECK(old_order(s, 2, NULL, now - 10 * DAY_MS, 0) == 0);                     /* open: stays */
	CHECK(old_order(s, 3, NULL, now - 2 * 3600000, now - 3600000) == 0);         /* recent: stays */
	CHECK(old_order(s, 4, "valid", now - 10 * DAY_MS, now - 10 * DAY_MS) == 0);  /* key valid: stays */
	CHECK(old_order(s, 5, "expired", now - 40 * DAY_MS, now - 40 * DAY_MS) == 0);  /* goes */
	CHECK(store_dish_failed(s, 6, 3, 0, 0, "chef-1", "burnt") == 0);
	CHECK(old_order(s, 7, NULL, now - 9 * DAY_MS, now - 9 * DAY_MS) == 0);       /* goes */
	CHECK(add_order(s, 6, NULL, now - 9 * DAY_MS, 6, 1, names) == 0);
	CHECK(store_order_done(s, 6, PROTO_STATE_FAILED, now - 9 * DAY_MS) == 0);     /* goes */
	CHECK(old_order(s, 8, NULL, now - 20 * DAY_MS, now - 20 * DAY_MS) == 0);     /* the newest: stays */
	CHECK(store_sync(s) == 0);
	CHECK(store_count(s, before) == 0);
	CHECK(before[PROTO_STATE_SERVED] == 6 && before[PROTO_STATE_FAILED] == 1);

	/* No rules yet: nothing goes. */
	CHECK(store_prune_sync(s) == 0);
	CHECK(have_order(s, 1));

	store_set_retention(s, &(struct store_retention) {
		.keep_ms = DAY_MS, .key_retention_ms = 30 * DAY_MS,
	});
	CHECK(store_prune_sync(s) == 0);
	CHECK(!have_order(s, 1) && !have_order(s, 5) && !have_order(s, 6) && !have_order(s, 7));
	CHECK(have_order(s, 2) && have_order(s, 3) && have_order(s, 4) && have_order(s, 8));
	CHECK(store_find_key(s, "valid", now - 30 * DAY_MS, &id) == 0 && id == 4);
	/* Their dish rows went with them; the totals stay. */
	CHECK(raw_number("SELECT count(*) FROM dishes WHERE id IN (1, 5, 6, 7)") == 0);
	CHECK(raw_number("SELECT count(*) FROM dishes") == 3);
	CHECK(store_count(s, after) == 0);
	CHECK(after[PROTO_STATE_SERVED] == 6 && after[PROTO_STATE_FAILED] == 1);
	store_pruned(s, &p, why, sizeof(why));
	CHECK(p.orders == 4 && p.dishes == 4 && p.failures == 0 && why[0] == '\0');

	/* A shorter key retention lets the keyed order go too. */
	store_set_retention(s, &(struct store_retention) {
		.keep_ms = DAY_MS, .key_retention_ms = 5 * DAY_MS,
	});
	CHECK(store_prune_sync(s) == 0);
	CHECK(!have_order(s, 4) && have_order(s, 8));
	CHECK(store_find_key(s, "valid", now - 30 * DAY_MS, &id) == -ENOENT);

	/* The newest order stays, so the next open finds no order missing. */
	store_close(&s);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_next_ids(s, &id, &(uint64_t) { 0 }) == 0 && id == 9);
	CHECK(store_count(s, after) == 0);
	CHECK(after[PROTO_STATE_SERVED] == 6 && after[PROTO_STATE_FAILED] == 1);
	store_close(&s);
	return 0;
}

/* An order pinned (being opened again) is not pruned until the batch
 * written after the pin commits; then it goes as any other. */
static int test_prune_pinned(void)
{
	struct store *s = NULL;
	uint64_t now = wall_ms();

	CHECK(open_fresh(&s) == 0);
	CHECK(old_order(s, 1, NULL, now - 10 * DAY_MS, now - 10 * DAY_MS) == 0);
	CHECK(old_order(s, 2, NULL, now - 10 * DAY_MS, now - 10 * DAY_MS) == 0);
	CHECK(old_order(s, 3, NULL, now - 10 * DAY_MS, now - 10 * DAY_MS) == 0);  /* the newest: stays */
	CHECK(store_sync(s) == 0);
	CHECK(store_pin_order(s, 1) == 0);
	store_set_retention(s, &(struct store_retention) { .keep_ms = DAY_MS, .key_retention_ms = DAY_MS });
	CHECK(store_prune_sync(s) == 0);
	CHECK(have_order(s, 1));
	/* The pin lasts until what was written after it is committed. */
	CHECK(store_order_done(s, 1, PROTO_STATE_QUEUED, 0) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_order_done(s, 1, PROTO_STATE_SERVED, now - 10 * DAY_MS) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_prune_sync(s) == 0);
	CHECK(!have_order(s, 1) && !have_order(s, 2) && have_order(s, 3));
	store_close(&s);
	return 0;
}

/* At most max_orders finished orders: the oldest finished go first. */
static int test_prune_max_orders(void)
{
	struct store *s = NULL;
	struct store_pruned p;
	uint64_t now = wall_ms();

	CHECK(open_fresh(&s) == 0);
	/* Finished in the order 1..10, 3 with a valid key; 11 open and newest. */
	for (uint64_t id = 1; id <= 10; id++)
		CHECK(old_order(s, id, id == 3 ? "k3" : NULL, now - 100000, now - 100000 + id) == 0);
	CHECK(old_order(s, 11, NULL, now, 0) == 0);
	CHECK(store_sync(s) == 0);
	store_set_retention(s, &(struct store_retention) {
		.max_orders = 4, .key_retention_ms = DAY_MS,
	});
	CHECK(store_prune_sync(s) == 0);
	for (uint64_t id = 1; id <= 11; id++)
		CHECK(have_order(s, id) == (id == 3 || id >= 8));
	store_pruned(s, &p, NULL, 0);
	CHECK(p.orders == 6);

	/* Two more finish: two more go, the oldest. */
	CHECK(old_order(s, 12, NULL, now, now + 1) == 0);
	CHECK(old_order(s, 13, NULL, now, 0) == 0);
	CHECK(store_order_done(s, 11, PROTO_STATE_SERVED, now + 2) == 0);
	CHECK(store_sync(s) == 0);
	CHECK(store_prune_sync(s) == 0);
	CHECK(have_order(s, 3) && !have_order(s, 8) && !have_order(s, 9));
	CHECK(have_order(s, 10) && have_order(s, 11) && have_order(s, 12) && have_order(s, 13));
	store_close(&s);

	/* With keep too: what goes by age counts against the excess. */
	CHECK(open_fresh(&s) == 0);
	for (uint64_t id = 1; id <= 10; id++)
		CHECK(old_order(s, id, NULL, now - 3 * DAY_MS, id <= 5 ? now - 2 * DAY_MS + id : now - 1000 + id) == 0);
	CHECK(old_order(s, 11, NULL, now, 0) == 0);
	CHECK(store_sync(s) == 0);
	store_set_retention(s, &(struct store_retention) {
		.keep_ms = DAY_MS, .max_orders = 8, .key_retention_ms = DAY_MS,
	});
	CHECK(store_prune_sync(s) == 0);
	for (uint64_t id = 1; id <= 11; id++)
		CHECK(have_order(s, id) == (id > 5));
	store_close(&s);
	return 0;
}

/* A backlog goes in steps of STORE_PRUNE_ORDERS; reopening finds nothing lost. */
static int test_prune_backlog(void)
{
	struct store *s = NULL;
	struct store_pruned p;
	uint64_t now = wall_ms(), n = 3 * STORE_PRUNE_ORDERS + 7, o = 0, d = 0;

	CHECK(open_fresh(&s) == 0);
	for (uint64_t id = 1; id <= n; id++)
		CHECK(old_order(s, id, NULL, now - 3 * DAY_MS, now - 2 * DAY_MS) == 0);
	CHECK(store_sync(s) == 0);
	store_set_retention(s, &(struct store_retention) { .keep_ms = DAY_MS, .key_retention_ms = DAY_MS });
	CHECK(store_prune_sync(s) == 0);
	store_pruned(s, &p, NULL, 0);
	CHECK(p.orders == n - 1 && p.steps == 4);
	CHECK(raw_number("SELECT count(*) FROM orders") == 1);
	CHECK(raw_number("SELECT count(*) FROM dishes") == 1);
	CHECK(raw_number("SELECT orders FROM pruned") == (long long) n - 1);
	store_close(&s);
	CHECK(sopen(dir, "full", 0, &s) == 0);
	CHECK(store_next_ids(s, &o, &d) == 0 && o == n + 1 && d == n + 1);
	store_close(&s);
	return 0;
}

/* Batches keep coming while a backlog is pruned (steps cut short by them):
 * the totals add up, no dish row outlives its order. */
static int test_prune_while_writing(void)
{
	struct store *s = NULL;
	uint64_t now = wall_ms(), n_old = 4 * STORE_PRUNE_ORDERS, id = 1, counts[_PROTO_STATE_MAX];

	CHECK(open_fresh(&s) == 0);
	for (; id <= n_old; id++)
		CHECK(old_order(s, id, NULL, now - 3 * DAY_MS, now - 2 * DAY_MS) == 0);
	CHECK(store_sync(s) == 0);
	store_set_retention(s, &(struct store_retention) { .keep_ms = DAY_MS, .key_retention_ms = DAY_MS });
	/* New orders, each finished in the batch after its own, for a while. */
	for (int turn = 0; turn < 400; turn++, id++) {
		struct pollfd p = { .fd = store_fd(s), .events = POLLIN };
		uint64_t committed;

		CHECK(add_order(s, id, NULL, wall_ms(), id, 1, names) == 0);
		if (id > n_old + 1) {
			CHECK(store_dish_served(s, id - 1, 1, 0, 0, "chef-1", "Served Pizza", 12, "Dough\n") == 0);
			CHECK(store_order_done(s, id - 1, PROTO_STATE_SERVED, wall_ms()) == 0);
		}
		store_hand_over(s);
		(void) poll(&p, 1, 1);
		CHECK(store_poll(s, &committed) == 0);
	}
	CHECK(store_sync(s) == 0);
	CHECK(store_prune_sync(s) == 0);
	CHECK(raw_number("SELECT count(*) FROM orders WHERE id <= 2000") == 0);
	CHECK(raw_number("SELECT count(*) FROM dishes WHERE id NOT IN (SELECT first_dish FROM orders)") == 0);
	CHECK(store_count(s, counts) == 0);
	CHECK(counts[PROTO_STATE_SERVED] == n_old + 399);
	CHECK(raw_number("SELECT orders FROM pruned") == (long long) n_old);
	store_close(&s);
	return 0;
}

/* The totals read while a backlog goes stay what they were. */
static int test_prune_count_steady(void)
{
	struct store *s = NULL;
	struct store_pruned p = { 0 };
	uint64_t now = wall_ms(), n = 10 * STORE_PRUNE_ORDERS, counts[_PROTO_STATE_MAX];
	unsigned reads = 0;

	CHECK(open_fresh(&s) == 0);
	for (uint64_t id = 1; id <= n; id++)
		CHECK(old_order(s, id, NULL, now - 3 * DAY_MS, now - 2 * DAY_MS) == 0);
	CHECK(store_sync(s) == 0);
	store_set_retention(s, &(struct store_retention) { .keep_ms = DAY_MS, .key_retention_ms = DAY_MS });
	for (int i = 0; i < 100000 && p.orders < n - 1; i++, reads++) {
		CHECK(store_count(s, counts) == 0);
		CHECK(counts[PROTO_STATE_SERVED] == n);
		store_pruned(s, &p, NULL, 0);
	}
	tap_diag("%u reads while %llu orders went", reads, (unsigned long long) p.orders);
	CHECK(p.orders == n - 1);
	store_close(&s);
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
	{ "version 2 converted", test_v2_converted },
	{ "version 3 converted", test_v3_converted },
	{ "version 4 converted", test_v4_converted },
	{ "a dish's times", test_dish_times },
	{ "served dishes, many rows a statement", test_served_rows },
	{ "inputs and outputs: bytes kept", test_inputs_outputs },
	{ "priority, delay and finish kept", test_order_columns },
	{ "version 1 misnumbered: refused", test_v1_misnumbered },
	{ "newer version refused", test_newer_refused },
	{ "a damaged orders page refused, named", test_damaged },
	{ "not a database refused", test_not_a_database },
	{ "the integrity check's time budget", test_check_budget },
	{ "ids reserved ahead, continued after a close", test_ids_reserved },
	{ "a lost -wal refused, then accepted once", test_lost_wal },
	{ "a truncated kitchen.db refused", test_truncated },
	{ "a store without id file (0.2)", test_no_ids_file },
	{ "an order dropped before its commit", test_drop_order },
	{ "read-only stores refused at open", test_read_only },
	{ "a full disk: kept, retried, committed once", test_disk_full },
	{ "the order book listed, newest first", test_list },
	{ "retention by age: open, recent, keyed and newest stay", test_prune_by_age },
	{ "retention spares a pinned order until its reopening commits", test_prune_pinned },
	{ "retention by count: the oldest finished go", test_prune_max_orders },
	{ "retention of a backlog, in steps", test_prune_backlog },
	{ "retention while batches come: the totals add up", test_prune_while_writing },
	{ "retention: the totals read meanwhile stay", test_prune_count_steady },
};

int main(void)
{
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	r = tap_run(cases, ELEMENTSOF(cases));
	if (full_dir[sizeof(full_dir) - 2] != 'X') {  /* a failed case left it */
		(void) umount2(full_dir, MNT_DETACH);
		(void) rmdir(full_dir);
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		r = 1;
	return r;
}
