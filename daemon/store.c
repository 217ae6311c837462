#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ADD_ORDER,
	STMT_ADD_DISH,
	STMT_FIND_KEY,
	STMT_FORGET_KEY,
	STMT_COOKING,
	STMT_REQUEUED,
	STMT_SERVED,
	STMT_FAILED,
	STMT_ORDER_DONE,
	STMT_GET_ORDER,
	STMT_GET_DISHES,
	STMT_OPEN_ORDERS,
	_STMT_MAX,
};

static const char *const stmt_sql[_STMT_MAX] = {
	[STMT_BEGIN] = "BEGIN",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ADD_ORDER] = "INSERT INTO orders(id, key, created_ms, dishes, done) VALUES (?, ?, ?, ?, 0)",
	[STMT_ADD_DISH] = "INSERT INTO dishes(id, order_id, idx, name) VALUES (?, ?, ?, ?)",
	[STMT_FIND_KEY] = "SELECT id, created_ms FROM orders WHERE key = ?",
	[STMT_FORGET_KEY] = "UPDATE orders SET key = NULL WHERE id = ?",
	[STMT_COOKING] = "UPDATE dishes SET state = 1, attempts = ?, chef = ? WHERE id = ?",
	[STMT_REQUEUED] = "UPDATE dishes SET state = 0, detail = detail || ? WHERE id = ?",
	[STMT_SERVED] = "UPDATE dishes SET state = 2, chef = ?, result = ?, detail = ? WHERE id = ?",
	[STMT_FAILED] = "UPDATE dishes SET state = 3, result = ?, detail = detail || ? WHERE id = ?",
	[STMT_ORDER_DONE] = "UPDATE orders SET done = ? WHERE id = ?",
	[STMT_GET_ORDER] = "SELECT created_ms, dishes FROM orders WHERE id = ?",
	[STMT_GET_DISHES] = ("SELECT id, idx, attempts, state, name, chef, result, detail "
			     "FROM dishes WHERE order_id = ? ORDER BY idx"),
	[STMT_OPEN_ORDERS] = "SELECT id, created_ms, dishes FROM orders WHERE done = 0 ORDER BY id",
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS orders ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT UNIQUE,"
	"  created_ms INTEGER NOT NULL,"
	"  dishes INTEGER NOT NULL,"
	"  done INTEGER NOT NULL DEFAULT 0"  /* 0 open, else the final dish_state */
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

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[_STMT_MAX];
	bool in_tx;
};

static const char *const state_names[_DISH_STATE_MAX] = {
	[DISH_STATE_QUEUED] = "queued",
	[DISH_STATE_COOKING] = "cooking",
	[DISH_STATE_SERVED] = "served",
	[DISH_STATE_FAILED] = "failed",
};

const char *dish_state_name(enum dish_state s)
{
	if ((unsigned) s >= _DISH_STATE_MAX)
		return "unknown";
	return state_names[s];
}

static int db_error(struct store *s, const char *what)
{
	log_debug("store: %s: %s", what, sqlite3_errmsg(s->db));
	return -EIO;
}

static int exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_debug("store: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

/* Run a prepared statement that returns no rows; reset it for the next use. */
static int step_done(struct store *s, enum stmt k)
{
	sqlite3_stmt *st = s->stmt[k];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_error(s, stmt_sql[k]);
	return 0;
}

static int begin(struct store *s)
{
	int r;

	if (s->in_tx)
		return 0;
	r = step_done(s, STMT_BEGIN);
	if (r < 0)
		return r;
	s->in_tx = true;
	return 0;
}

int store_commit(struct store *s)
{
	int r;

	if (!s->in_tx)
		return 0;
	r = step_done(s, STMT_COMMIT);
	if (r < 0)
		return r;
	s->in_tx = false;
	return 0;
}

bool store_dirty(const struct store *s)
{
	return s->in_tx;
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void) exec(s, "ROLLBACK");
	s->in_tx = false;
}

int store_open(const char *dir, const char *synchronous, struct store **ret_store)
{
	_cleanup_free_ char *path = NULL;
	char pragma[64];
	struct store *s;
	int r;

	if (asprintf(&path, "%s/kitchen.db", dir) < 0)
		return -ENOMEM;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;

	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		r = s->db ? db_error(s, path) : -ENOMEM;
		if (sqlite3_errcode(s->db) == SQLITE_CANTOPEN)
			r = -EACCES;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);

	/* WAL: readers never block the loop's writer, and a commit appends
	 * instead of rewriting pages. synchronous=FULL syncs the WAL at each
	 * commit, so an acknowledged order survives a power cut; NORMAL only
	 * survives a crash of kitchend itself. */
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = %s;",
		 strcmp(synchronous, "normal") == 0 ? "NORMAL" : "FULL");
	r = exec(s, "PRAGMA journal_mode = WAL;");
	if (r >= 0)
		r = exec(s, pragma);
	if (r >= 0)
		r = exec(s, "PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;");
	if (r >= 0)
		r = exec(s, schema_sql);
	if (r < 0)
		goto fail;

	for (int k = 0; k < _STMT_MAX; k++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->stmt[k], NULL) != SQLITE_OK) {
			r = db_error(s, stmt_sql[k]);
			goto fail;
		}

	*ret_store = s;
	return 0;
fail:
	store_close(&s);
	return r;
}

void store_close(struct store **sp)
{
	struct store *s;

	if (!sp || !*sp)
		return;
	s = *sp;
	if (s->in_tx)
		(void) store_commit(s);
	for (int k = 0; k < _STMT_MAX; k++)
		sqlite3_finalize(s->stmt[k]);
	sqlite3_close(s->db);
	free(s);
	*sp = NULL;
}

static int query_u64(struct store *s, const char *sql, uint64_t *ret)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(s, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = (uint64_t) sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_error(s, sql);
}

int store_next_ids(struct store *s, uint64_t *ret_order_id, uint64_t *ret_dish_id)
{
	uint64_t o, d;
	int r;

	r = query_u64(s, "SELECT IFNULL(MAX(id), 0) + 1 FROM orders", &o);
	if (r < 0)
		return r;
	r = query_u64(s, "SELECT IFNULL(MAX(id), 0) + 1 FROM dishes", &d);
	if (r < 0)
		return r;
	*ret_order_id = o;
	*ret_dish_id = d;
	return 0;
}

int store_count(struct store *s, uint64_t counts[_DISH_STATE_MAX])
{
	const char *sql = "SELECT state, COUNT(*) FROM dishes GROUP BY state";
	sqlite3_stmt *st;
	int rc;

	for (int i = 0; i < _DISH_STATE_MAX; i++)
		counts[i] = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(s, sql);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int state = sqlite3_column_int(st, 0);
		if (state >= 0 && state < _DISH_STATE_MAX)
			counts[state] = (uint64_t) sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(s, sql);
}

int store_add_order(struct store *s, uint64_t id, const char *key, uint64_t created_ms,
		    uint64_t first_dish_id, size_t n, const char *const *names)
{
	sqlite3_stmt *st = s->stmt[STMT_ADD_ORDER];
	int r;

	r = begin(s);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
	if (key && *key)
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, (sqlite3_int64) created_ms);
	sqlite3_bind_int64(st, 4, (sqlite3_int64) n);
	r = step_done(s, STMT_ADD_ORDER);
	if (r < 0)
		return r;

	st = s->stmt[STMT_ADD_DISH];
	for (size_t i = 0; i < n; i++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64) (first_dish_id + i));
		sqlite3_bind_int64(st, 2, (sqlite3_int64) id);
		sqlite3_bind_int64(st, 3, (sqlite3_int64) i);
		sqlite3_bind_text(st, 4, names[i], -1, SQLITE_STATIC);
		r = step_done(s, STMT_ADD_DISH);
		if (r < 0)
			return r;
	}
	return 0;
}

int store_find_key(struct store *s, const char *key, uint64_t since_ms, uint64_t *ret_order_id)
{
	sqlite3_stmt *st = s->stmt[STMT_FIND_KEY];
	uint64_t id = 0, created_ms = 0;
	int rc, r;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = (uint64_t) sqlite3_column_int64(st, 0);
		created_ms = (uint64_t) sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, stmt_sql[STMT_FIND_KEY]);
	if (created_ms >= since_ms) {
		*ret_order_id = id;
		return 0;
	}

	/* Expired: the order stays, the key (UNIQUE) goes free. */
	r = begin(s);
	if (r < 0)
		return r;
	st = s->stmt[STMT_FORGET_KEY];
	sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
	r = step_done(s, STMT_FORGET_KEY);
	return r < 0 ? r : -ENOENT;
}

int store_dish_cooking(struct store *s, uint64_t dish_id, unsigned attempts, const char *chef)
{
	sqlite3_stmt *st = s->stmt[STMT_COOKING];
	int r = begin(s);

	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, (int) attempts);
	sqlite3_bind_text(st, 2, chef, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64) dish_id);
	return step_done(s, STMT_COOKING);
}

/* Reasons accumulate in detail, one line per attempt that did not serve. */
static int bind_reason_line(sqlite3_stmt *st, int col, const char *reason)
{
	_cleanup_free_ char *line = NULL;

	if (asprintf(&line, "%s\n", reason) < 0)
		return -ENOMEM;
	sqlite3_bind_text(st, col, line, -1, SQLITE_TRANSIENT);
	return 0;
}

int store_dish_requeued(struct store *s, uint64_t dish_id, const char *reason)
{
	sqlite3_stmt *st = s->stmt[STMT_REQUEUED];
	int r = begin(s);

	if (r < 0)
		return r;
	r = bind_reason_line(st, 1, reason);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 2, (sqlite3_int64) dish_id);
	return step_done(s, STMT_REQUEUED);
}

int store_dish_served(struct store *s, uint64_t dish_id, const char *chef,
		      const char *result, const char *items)
{
	sqlite3_stmt *st = s->stmt[STMT_SERVED];
	int r = begin(s);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, chef, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, result, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, items, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64) dish_id);
	return step_done(s, STMT_SERVED);
}

int store_dish_failed(struct store *s, uint64_t dish_id, const char *reason)
{
	sqlite3_stmt *st = s->stmt[STMT_FAILED];
	int r = begin(s);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, reason, -1, SQLITE_STATIC);
	r = bind_reason_line(st, 2, reason);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 3, (sqlite3_int64) dish_id);
	return step_done(s, STMT_FAILED);
}

int store_order_done(struct store *s, uint64_t order_id, enum dish_state state)
{
	sqlite3_stmt *st = s->stmt[STMT_ORDER_DONE];
	int r = begin(s);

	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, (int) state);
	sqlite3_bind_int64(st, 2, (sqlite3_int64) order_id);
	return step_done(s, STMT_ORDER_DONE);
}

static const char *column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *) t : "";
}

/* Walk the dishes of order @o: count them into @o, and call @cb if given. */
static int walk_dishes(struct store *s, struct store_order *o, store_dish_cb cb, void *userdata)
{
	sqlite3_stmt *st = s->stmt[STMT_GET_DISHES];
	unsigned started = 0;
	int rc, r = 0;

	o->served = o->failed = 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64) o->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_dish d = {
			.id = (uint64_t) sqlite3_column_int64(st, 0),
			.order_id = o->id,
			.index = (unsigned) sqlite3_column_int(st, 1),
			.attempts = (unsigned) sqlite3_column_int(st, 2),
			.state = (enum dish_state) sqlite3_column_int(st, 3),
			.name = column_text(st, 4),
			.chef = column_text(st, 5),
			.result = column_text(st, 6),
			.detail = column_text(st, 7),
		};
		if (d.state == DISH_STATE_SERVED)
			o->served++;
		else if (d.state == DISH_STATE_FAILED)
			o->failed++;
		if (d.state != DISH_STATE_QUEUED || d.attempts > 0)
			started++;
		if (cb) {
			r = cb(&d, userdata);
			if (r < 0)
				break;
		}
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r < 0)
		return r;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_error(s, stmt_sql[STMT_GET_DISHES]);

	if (o->served + o->failed == o->n_dishes)
		o->state = o->failed ? DISH_STATE_FAILED : DISH_STATE_SERVED;
	else
		o->state = started ? DISH_STATE_COOKING : DISH_STATE_QUEUED;
	return 0;
}

int store_get_order(struct store *s, uint64_t id, struct store_order *ret_order,
		    store_dish_cb dish_cb, void *userdata)
{
	sqlite3_stmt *st = s->stmt[STMT_GET_ORDER];
	struct store_order o = { .id = id };
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		o.created_ms = (uint64_t) sqlite3_column_int64(st, 0);
		o.n_dishes = (unsigned) sqlite3_column_int(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return db_error(s, stmt_sql[STMT_GET_ORDER]);

	/* Counting needs the dishes first; a caller that streams them gets
	 * the totals from a first pass. */
	int r = walk_dishes(s, &o, NULL, NULL);
	if (r < 0)
		return r;
	*ret_order = o;
	if (dish_cb)
		return walk_dishes(s, &o, dish_cb, userdata);
	return 0;
}

int store_load_open(struct store *s, store_order_cb order_cb, store_dish_cb dish_cb, void *userdata)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	/* A separate statement: walk_dishes uses the shared one meanwhile. */
	if (sqlite3_prepare_v2(s->db, stmt_sql[STMT_OPEN_ORDERS], -1, &st, NULL) != SQLITE_OK)
		return db_error(s, stmt_sql[STMT_OPEN_ORDERS]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_order o = {
			.id = (uint64_t) sqlite3_column_int64(st, 0),
			.created_ms = (uint64_t) sqlite3_column_int64(st, 1),
			.n_dishes = (unsigned) sqlite3_column_int(st, 2),
		};
		r = walk_dishes(s, &o, NULL, NULL);
		if (r >= 0)
			r = order_cb(&o, userdata);
		if (r >= 0)
			r = walk_dishes(s, &o, dish_cb, userdata);
		if (r < 0)
			break;
	}
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	return rc == SQLITE_DONE ? 0 : db_error(s, stmt_sql[STMT_OPEN_ORDERS]);
}
