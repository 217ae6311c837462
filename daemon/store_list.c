/*
 * store_list — the order book newest first, a bounded walk a page. See
 * store_list.h and store.h.
 */
#include "store_list.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "casefold.h"
#include "sql.h"

enum list_stmt {
	LIST_ALL,
	LIST_OPEN,
	LIST_KEY,
	LIST_FIRST_FROM,
	LIST_COUNTS,
	_LIST_STMT_MAX,
};

#define COLUMNS "id, created_ms, dishes, first_dish, names, priority, due_ms, finished_ms, done, key"

static const char *const list_sql[_LIST_STMT_MAX] = {
	/* Newest first by the primary key: no sort, the walk stops when it likes. */
	[LIST_ALL] = "SELECT " COLUMNS " FROM orders WHERE id < ?1 ORDER BY id DESC",
	/* orders_open holds (done, rowid): the open ones, already in id order. */
	[LIST_OPEN] = "SELECT " COLUMNS " FROM orders WHERE done = 0 AND id < ?1 ORDER BY id DESC",
	[LIST_KEY] = "SELECT " COLUMNS " FROM orders WHERE key = ?2 AND id < ?1",
	[LIST_FIRST_FROM] =
		"SELECT id, created_ms FROM orders WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT 1",
	/* An order's dish rows are the rowid range of its dishes (store.h). */
	[LIST_COUNTS] = "SELECT state, count(*) FROM dishes WHERE id >= ?1 AND id < ?2 GROUP BY state",
};

struct store_lister {
	sqlite3 *db;
	sqlite3_stmt *stmt[_LIST_STMT_MAX];
};

int store_lister_new(sqlite3 *db, struct store_lister **ret)
{
	struct store_lister *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	l->db = db;
	for (int k = 0; k < _LIST_STMT_MAX; k++)
		if (sqlite3_prepare_v3(db, list_sql[k], -1, SQLITE_PREPARE_PERSISTENT, &l->stmt[k],
				       NULL) != SQLITE_OK) {
			r = sql_error(db, list_sql[k]);
			store_lister_free(&l);
			return r;
		}
	*ret = l;
	return 0;
}

void store_lister_free(struct store_lister **l)
{
	if (!l || !*l)
		return;
	for (int k = 0; k < _LIST_STMT_MAX; k++)
		sqlite3_finalize((*l)->stmt[k]);
	free(*l);
	*l = NULL;
}

static void done_with(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Ids are SQLite integers: at most INT64_MAX. "Below 0" means below all. */
static sqlite3_int64 below(uint64_t before)
{
	return before == 0 || before > INT64_MAX ? INT64_MAX : (sqlite3_int64) before;
}

/*
 * The lowest id v below which every order (of those below @hi) was created
 * at or before @until_ms, ids growing with time: a bisection of the ids,
 * each step one look-up by the primary key. 0 when none was.
 */
static int until_bound(struct store_lister *l, uint64_t until_ms, sqlite3_int64 hi, sqlite3_int64 *ret)
{
	sqlite3_stmt *st = l->stmt[LIST_FIRST_FROM];
	sqlite3_int64 lo = 0, top = hi;
	int rc;

	/* The first order at or above v is created after until_ms (or there is
	 * none below hi): true from some v on. Find the first such v. */
	while (lo < top) {
		sqlite3_int64 mid = lo + (top - lo) / 2;

		sqlite3_bind_int64(st, 1, mid);
		sqlite3_bind_int64(st, 2, hi);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && (uint64_t) sql_column_i64(st, 1) <= until_ms)
			lo = sql_column_i64(st, 0) + 1; /* the same first order from mid up to it */
		else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			top = mid;
		else {
			int r = sql_error(l->db, list_sql[LIST_FIRST_FROM]);
			done_with(st);
			return r;
		}
		done_with(st);
	}
	*ret = lo;
	return 0;
}

/* Whether the '\n'-joined @names hold @dish, ignoring case. */
static bool holds_dish(const char *names, const char *dish)
{
	size_t n = strlen(dish);

	for (const char *p = names; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (casefold_equal_n(p, strcspn(p, "\n"), dish, n))
			return true;
	return false;
}

/* Count the stored states of @o's dishes into it, and its state while open. */
static int count_dishes(struct store_lister *l, struct store_order *o, bool open)
{
	sqlite3_stmt *st = l->stmt[LIST_COUNTS];
	bool any = false;
	int rc, r = 0;

	/* A served order's dishes were all served: nothing to read. */
	if (!open && o->state == PROTO_STATE_SERVED) {
		o->served = o->n_dishes;
		return 0;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64) o->first_dish);
	sqlite3_bind_int64(st, 2, (sqlite3_int64) (o->first_dish + o->n_dishes));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		unsigned n = (unsigned) sqlite3_column_int(st, 1);

		any = true;
		switch (sqlite3_column_int(st, 0)) {
		case PROTO_STATE_SERVED: o->served = n; break;
		case PROTO_STATE_FAILED: o->failed = n; break;
		case PROTO_STATE_CANCELLED: o->cancelled = n; break;
		}
	}
	if (rc != SQLITE_DONE)
		r = sql_error(l->db, list_sql[LIST_COUNTS]);
	done_with(st);
	/* A dish with a row has been tried (store.h): the order is under way. */
	if (open)
		o->state = any ? PROTO_STATE_COOKING : PROTO_STATE_QUEUED;
	return r;
}

/* The walk's current row as an order, filtered: 1 it passes, 0 it does not, -1 stop here. */
static int row_passes(const struct store_list_query *q, sqlite3_stmt *st, struct store_listed *ret)
{
	uint64_t created_ms = (uint64_t) sql_column_i64(st, 1);
	int done = sqlite3_column_int(st, 8);

	if (q->since_ms && created_ms < q->since_ms)
		return -1; /* and every order below it (ids grow with time) */
	if (q->until_ms && created_ms > q->until_ms)
		return 0;
	if (q->open && done != 0)
		return 0;
	if (!q->open && q->done != _PROTO_STATE_MAX && done != (int) q->done)
		return 0;
	if (q->dish && *q->dish && !holds_dish(sql_column_text(st, 4), q->dish))
		return 0;
	*ret = (struct store_listed) {
		.order = {
			.id = (uint64_t) sql_column_i64(st, 0),
			.created_ms = created_ms,
			.n_dishes = (unsigned) sql_column_i64(st, 2),
			.first_dish = (uint64_t) sql_column_i64(st, 3),
			.priority = (unsigned) sqlite3_column_int(st, 5),
			.due_ms = (uint64_t) sql_column_i64(st, 6),
			.finished_ms = (uint64_t) sql_column_i64(st, 7),
			.state = done > 0 && done < _PROTO_STATE_MAX ? (enum proto_state) done : PROTO_STATE_QUEUED,
		},
		.key = sql_column_text(st, 9),
		.names = sql_column_text(st, 4),
	};
	return 1;
}

int store_lister_run(struct store_lister *l, const struct store_list_query *q, store_list_cb cb,
		     void *userdata, uint64_t *ret_next)
{
	bool by_key = q->key && *q->key;
	enum list_stmt which = by_key ? LIST_KEY : q->open ? LIST_OPEN : LIST_ALL;
	sqlite3_stmt *st = l->stmt[which];
	sqlite3_int64 before = below(q->before);
	size_t examined = 0, taken = 0;
	uint64_t next = 0;
	int rc, r = 0;

	if (q->until_ms && !by_key) {
		r = until_bound(l, q->until_ms, before, &before);
		if (r < 0)
			return r;
		if (before == 0) {
			*ret_next = 0;
			return 0;
		}
	}

	sqlite3_bind_int64(st, 1, before);
	if (by_key)
		sqlite3_bind_text(st, 2, q->key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_listed o;
		int pass = row_passes(q, st, &o);

		if (pass < 0) {
			rc = SQLITE_DONE;
			break;
		}
		if (pass > 0) {
			r = count_dishes(l, &o.order, sqlite3_column_int(st, 8) == 0);
			if (r >= 0)
				r = cb(&o, userdata);
			if (r < 0)
				break;
			taken += r > 0;
		}
		if (++examined == STORE_LIST_EXAMINE || taken == q->limit) {
			/* Stop here; a next page only if there is an order below. */
			next = (uint64_t) sql_column_i64(st, 0);
			rc = sqlite3_step(st);
			if (rc == SQLITE_DONE)
				next = 0;
			else if (rc == SQLITE_ROW)
				rc = SQLITE_DONE;
			break;
		}
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = sql_error(l->db, list_sql[which]);
	done_with(st);
	if (r < 0)
		return r;
	*ret_next = next;
	return 0;
}
