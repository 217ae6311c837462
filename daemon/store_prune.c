#include "store_prune.h"

#include <errno.h>
#include <stdlib.h>

#include "proto.h"
#include "sql.h"
#include "store_vfs.h"
#include "util.h"

enum pstmt {
	PSTMT_NEWEST,
	PSTMT_COUNT,
	PSTMT_FRONT,
	PSTMT_WINDOW,
	PSTMT_DISHES,
	PSTMT_INPUTS,
	PSTMT_ORDER,
	PSTMT_TOTALS,
	PSTMT_BEGIN,
	PSTMT_COMMIT,
	_PSTMT_MAX,
};

static const char *const pstmt_sql[_PSTMT_MAX] = {
	[PSTMT_NEWEST] = "SELECT IFNULL(MAX(id), 0) FROM orders",
	[PSTMT_COUNT] = "SELECT count(*) FROM orders WHERE done != 0",
	/* Before the key cut-off ?1: no key there is valid. */
	[PSTMT_FRONT] = ("SELECT id, first_dish, dishes, finished_ms FROM orders "
			 "WHERE done != 0 AND finished_ms < ?1 AND id < ?2 "
			 "ORDER BY finished_ms, id LIMIT ?3"),
	/* After the cursor (?2, ?3), from the key cut-off on: ?1 is the key cut-off. */
	[PSTMT_WINDOW] = ("SELECT id, first_dish, dishes, finished_ms, "
			  "key IS NOT NULL AND created_ms >= ?1 FROM orders "
			  "WHERE done != 0 AND finished_ms >= ?2 AND (finished_ms > ?2 OR id > ?3) AND id < ?4 "
			  "ORDER BY finished_ms, id LIMIT ?5"),
	/* An order's dishes are the rowid range of its dishes. */
	[PSTMT_DISHES] = "DELETE FROM dishes WHERE id >= ?1 AND id < ?2 RETURNING state",
	[PSTMT_INPUTS] = "DELETE FROM inputs WHERE id >= ?1 AND id < ?2",
	[PSTMT_ORDER] = "DELETE FROM orders WHERE id = ?1",
	[PSTMT_TOTALS] = ("UPDATE pruned SET orders = orders + ?1, served = served + ?2, "
			  "failed = failed + ?3, cancelled = cancelled + ?4"),
	[PSTMT_BEGIN] = "BEGIN",
	[PSTMT_COMMIT] = "COMMIT",
};

struct victim {
	uint64_t id, first_dish, dishes, finished_ms;
	bool window;                     /* found by the window's walk */
};

/* How often a step looks whether a batch waits for it. */
#define YIELD_EVERY 16

struct store_prune {
	sqlite3 *db;
	sqlite3_stmt *stmt[_PSTMT_MAX];
	bool sync_full;                  /* the connection's synchronous, put back after a step */
	uint64_t cursor_ms, cursor_id;   /* the window's walk: examined up to here */
	uint64_t finished;               /* finished orders, for max_orders */
	bool counted;
	uint64_t counted_at;             /* now_ms() of the count */
	struct victim victims[STORE_PRUNE_ORDERS];
	size_t n_victims;
};

int store_prune_new(sqlite3 *db, struct store_prune **ret)
{
	struct store_prune *p = calloc(1, sizeof(*p));
	uint64_t sync = 2;
	int r;

	if (!p)
		return -ENOMEM;
	p->db = db;
	r = sql_query_u64(db, "PRAGMA synchronous", &sync);
	p->sync_full = sync >= 2;
	for (int k = 0; r >= 0 && k < _PSTMT_MAX; k++)
		if (sqlite3_prepare_v3(db, pstmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT, &p->stmt[k],
				       NULL) != SQLITE_OK)
			r = sql_error(db, pstmt_sql[k]);
	if (r < 0) {
		store_prune_free(&p);
		return r;
	}
	*ret = p;
	return 0;
}

void store_prune_free(struct store_prune **pp)
{
	if (!pp || !*pp)
		return;
	for (int k = 0; k < _PSTMT_MAX; k++)
		sqlite3_finalize((*pp)->stmt[k]);
	free(*pp);
	*pp = NULL;
}

void store_prune_finished(struct store_prune *p, uint64_t finished, uint64_t reopened)
{
	p->finished += finished;
	p->finished = p->finished > reopened ? p->finished - reopened : 0;
}

static int query_u64(struct store_prune *p, enum pstmt k, uint64_t *ret)
{
	sqlite3_stmt *st = p->stmt[k];
	int rc = sqlite3_step(st), r = 0;

	if (rc == SQLITE_ROW)
		*ret = (uint64_t) sql_column_i64(st, 0);
	else
		r = sql_error(p->db, pstmt_sql[k]);
	sqlite3_reset(st);
	return r;
}

/* What one step may still take, and what it found. */
struct walk {
	uint64_t cut_ms;        /* finished before: old enough; 0: none is */
	uint64_t key_cut_ms;    /* created before: its key expired */
	uint64_t excess;        /* finished orders beyond max_orders, not yet taken */
	size_t examined;
	bool stopped;           /* met an order that stays and is not keyed: what follows stays too */
};

/* Whether an order that finished at @finished_ms goes (its key expired).
 * Whatever goes counts against the excess, by age too. */
static bool goes(struct walk *w, uint64_t finished_ms)
{
	if (finished_ms >= w->cut_ms && w->excess == 0)
		return false;
	if (w->excess > 0)
		w->excess--;
	return true;
}

static void take(struct store_prune *p, sqlite3_stmt *st, bool window)
{
	p->victims[p->n_victims++] = (struct victim) {
		.id = (uint64_t) sql_column_i64(st, 0),
		.first_dish = (uint64_t) sql_column_i64(st, 1),
		.dishes = (uint64_t) sql_column_i64(st, 2),
		.finished_ms = (uint64_t) sql_column_i64(st, 3),
		.window = window,
	};
}

/* The front: orders finished before the key cut-off, oldest first. */
static int walk_front(struct store_prune *p, struct walk *w, uint64_t newest)
{
	sqlite3_stmt *st = p->stmt[PSTMT_FRONT];
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64) w->key_cut_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64) newest);
	sqlite3_bind_int64(st, 3, (sqlite3_int64) (STORE_PRUNE_ORDERS - w->examined));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		w->examined++;
		if (!goes(w, (uint64_t) sql_column_i64(st, 3))) {
			w->stopped = true;
			break;
		}
		take(p, st, false);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_error(p->db, pstmt_sql[PSTMT_FRONT]);
}

/* The window: orders finished from the key cut-off on, past the cursor. */
static int walk_window(struct store_prune *p, struct walk *w, uint64_t newest)
{
	sqlite3_stmt *st = p->stmt[PSTMT_WINDOW];
	int rc;

	if (p->cursor_ms < w->key_cut_ms) {
		/* Behind it is the front's. */
		p->cursor_ms = w->key_cut_ms;
		p->cursor_id = 0;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64) w->key_cut_ms);
	sqlite3_bind_int64(st, 2, (sqlite3_int64) p->cursor_ms);
	sqlite3_bind_int64(st, 3, (sqlite3_int64) p->cursor_id);
	sqlite3_bind_int64(st, 4, (sqlite3_int64) newest);
	sqlite3_bind_int64(st, 5, (sqlite3_int64) (STORE_PRUNE_ORDERS - w->examined));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t finished_ms = (uint64_t) sql_column_i64(st, 3);
		bool keyed = sqlite3_column_int(st, 4) != 0;

		w->examined++;
		if (!keyed && !goes(w, finished_ms)) {
			/* It may go later (by age or count): the cursor stays before it. */
			w->stopped = true;
			break;
		}
		if (!keyed)
			take(p, st, true);
		p->cursor_ms = finished_ms;
		p->cursor_id = (uint64_t) sql_column_i64(st, 0);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_error(p->db, pstmt_sql[PSTMT_WINDOW]);
}

/* Delete the victims, in one transaction, the first ones only (at least
 * @at_least) if @yield is set meanwhile; what it deleted into @ret, and the
 * victims left out taken off the list. */
static int delete_victims(struct store_prune *p, const atomic_bool *yield, size_t at_least,
			  const struct store_prune_guard *guard, struct store_prune_step *ret)
{
	bool guarded = false;
	sqlite3_stmt *ds = p->stmt[PSTMT_DISHES], *ts = p->stmt[PSTMT_TOTALS];
	int r, rc;

	r = sql_step(p->db, p->stmt[PSTMT_BEGIN]);
	for (size_t i = 0; r >= 0 && i < p->n_victims; i++) {
		const struct victim *v = &p->victims[i];

		if (i >= at_least && i > 0 && i % YIELD_EVERY == 0 && yield &&
		    atomic_load_explicit(yield, memory_order_relaxed)) {
			p->n_victims = i;
			ret->more = true;
			break;
		}

		sqlite3_bind_int64(ds, 1, (sqlite3_int64) v->first_dish);
		sqlite3_bind_int64(ds, 2, (sqlite3_int64) (v->first_dish + v->dishes));
		while ((rc = sqlite3_step(ds)) == SQLITE_ROW) {
			int state = sqlite3_column_int(ds, 0);

			ret->dishes++;
			ret->served += state == PROTO_STATE_SERVED;
			ret->failed += state == PROTO_STATE_FAILED;
			ret->cancelled += state == PROTO_STATE_CANCELLED;
		}
		if (rc != SQLITE_DONE)
			r = sql_error(p->db, pstmt_sql[PSTMT_DISHES]);
		sqlite3_reset(ds);
		if (r >= 0) {
			sqlite3_stmt *is = p->stmt[PSTMT_INPUTS];
			sqlite3_bind_int64(is, 1, (sqlite3_int64) v->first_dish);
			sqlite3_bind_int64(is, 2, (sqlite3_int64) (v->first_dish + v->dishes));
			r = sql_step(p->db, is);
		}
		if (r >= 0) {
			sqlite3_bind_int64(p->stmt[PSTMT_ORDER], 1, (sqlite3_int64) v->id);
			r = sql_step(p->db, p->stmt[PSTMT_ORDER]);
		}
	}
	if (r >= 0) {
		sqlite3_bind_int64(ts, 1, (sqlite3_int64) p->n_victims);
		sqlite3_bind_int64(ts, 2, (sqlite3_int64) ret->served);
		sqlite3_bind_int64(ts, 3, (sqlite3_int64) ret->failed);
		sqlite3_bind_int64(ts, 4, (sqlite3_int64) ret->cancelled);
		r = sql_step(p->db, ts);
	}
	if (r >= 0 && guard) {
		guard->enter(guard->u);
		guarded = true;
		for (size_t i = 0; r >= 0 && i < p->n_victims; i++)
			if (guard->pinned(guard->u, p->victims[i].id))
				r = -EAGAIN;
	}
	if (r >= 0)
		r = sql_step(p->db, p->stmt[PSTMT_COMMIT]);
	if (r < 0 && !sqlite3_get_autocommit(p->db))
		(void) sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
	if (guarded)
		guard->leave(guard->u);
	return r;
}

int store_prune_run(struct store_prune *p, const struct store_retention *rules, uint64_t wall,
		    const atomic_bool *yield, size_t at_least, const struct store_prune_guard *guard,
		    struct store_prune_step *ret)
{
	struct walk w = {
		.cut_ms = rules->keep_ms && wall > rules->keep_ms ? wall - rules->keep_ms : 0,
		.key_cut_ms = wall > rules->key_retention_ms ? wall - rules->key_retention_ms : 0,
	};
	uint64_t newest = 0, cursor_ms = p->cursor_ms, cursor_id = p->cursor_id;
	size_t n_found;
	int r = 0;

	*ret = (struct store_prune_step) { 0 };
	p->n_victims = 0;
	if (rules->max_orders && (!p->counted || now_ms() - p->counted_at >= STORE_PRUNE_RECOUNT_MS)) {
		r = query_u64(p, PSTMT_COUNT, &p->finished);
		p->counted = r >= 0;
		p->counted_at = now_ms();
	}
	if (rules->max_orders && p->finished > rules->max_orders)
		w.excess = p->finished - rules->max_orders;
	if (r >= 0)
		r = query_u64(p, PSTMT_NEWEST, &newest);
	if (r >= 0 && (w.cut_ms > 0 || w.excess > 0))
		r = walk_front(p, &w, newest);
	/* Only when an order past the key cut-off may go. */
	if (r >= 0 && !w.stopped && w.examined < STORE_PRUNE_ORDERS &&
	    (w.cut_ms > w.key_cut_ms || w.excess > 0))
		r = walk_window(p, &w, newest);
	if (r < 0)
		return r;
	ret->more = w.examined == STORE_PRUNE_ORDERS;
	if (p->n_victims == 0)
		return 0;

	n_found = p->n_victims;
	/* A commit without a sync may not have its -wal writes gathered
	 * (store_vfs.h): stopped first, whatever writing what was kept back
	 * says (a later write tries again). */
	if (p->sync_full) {
		(void) sqlite3_file_control(p->db, "main", STORE_VFS_FCNTL_GATHER, &(int) { 0 });
		(void) sql_exec(p->db, "PRAGMA synchronous = NORMAL");
	}
	r = delete_victims(p, yield, at_least, guard, ret);
	if (p->sync_full) {
		(void) sql_exec(p->db, "PRAGMA synchronous = FULL");
		(void) sqlite3_file_control(p->db, "main", STORE_VFS_FCNTL_GATHER, &(int) { 1 });
	}
	if (r < 0) {
		/* Nothing was deleted: walk the same way again next time. */
		p->cursor_ms = cursor_ms;
		p->cursor_id = cursor_id;
		*ret = (struct store_prune_step) { 0 };
		return r;
	}
	if (p->n_victims < n_found) {
		/* Cut short: the window walks again from its last victim deleted
		 * (what it skipped after it, it skips again). */
		p->cursor_ms = cursor_ms;
		p->cursor_id = cursor_id;
		for (size_t i = 0; i < p->n_victims; i++)
			if (p->victims[i].window) {
				p->cursor_ms = p->victims[i].finished_ms;
				p->cursor_id = p->victims[i].id;
			}
	}
	ret->orders = p->n_victims;
	p->finished = p->finished > p->n_victims ? p->finished - p->n_victims : 0;
	return 0;
}
