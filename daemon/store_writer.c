#include "store_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "sql.h"
#include "store.h"
#include "store_checkpoint.h"
#include "store_prune.h"
#include "util.h"

enum wstmt {
	WSTMT_BEGIN,
	WSTMT_COMMIT,
	WSTMT_SERVED_ROWS,  /* WRITER_SERVED_ROWS served dishes at once: made by served_rows_sql() */
	_WSTMT_RECS,
	_WSTMT_MAX = _WSTMT_RECS + _STORE_REC_MAX,
};

/* A served dish; the statement of WRITER_SERVED_ROWS has a row each, at ?1.., ?10.., ... */
#define SERVED_INSERT "INSERT INTO dishes(id, state, attempts, started_ms, finished_ms, chef, result, detail) VALUES "
#define SERVED_ROW "(?%d, 2, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d)"
#define SERVED_UPSERT \
	" ON CONFLICT(id) DO UPDATE SET state = 2, attempts = excluded.attempts, " \
	"started_ms = excluded.started_ms, finished_ms = excluded.finished_ms, " \
	"chef = excluded.chef, result = excluded.result, detail = excluded.detail"

static const char *const wstmt_sql[_WSTMT_MAX] = {
	[WSTMT_BEGIN] = "BEGIN",
	[WSTMT_COMMIT] = "COMMIT",
	[_WSTMT_RECS + STORE_REC_ADD_ORDER] =
		("INSERT INTO orders(id, key, created_ms, dishes, first_dish, due_ms, priority, names) "
		 "VALUES (?1, ?7, ?2, ?3, ?4, ?5, ?6, ?8)"),
	/* ?1 id, ?2.. the numbers n[], ?7.. the strings str[]. */
	[_WSTMT_RECS + STORE_REC_FORGET_KEY] = "UPDATE orders SET key = NULL WHERE id = ?1",
	[_WSTMT_RECS + STORE_REC_REQUEUED] =
		("INSERT INTO dishes(id, state, attempts, chef, detail) VALUES (?1, 0, ?2, ?7, ?8) "
		 "ON CONFLICT(id) DO UPDATE SET state = 0, attempts = excluded.attempts, "
		 "chef = excluded.chef, detail = detail || excluded.detail, started_ms = 0, finished_ms = 0"),
	[_WSTMT_RECS + STORE_REC_SERVED] = SERVED_INSERT "(?1, 2, ?2, ?3, ?4, ?7, ?8, ?9)" SERVED_UPSERT,
	[_WSTMT_RECS + STORE_REC_FAILED] =
		("INSERT INTO dishes(id, state, attempts, started_ms, finished_ms, chef, result, detail) "
		 "VALUES (?1, 3, ?2, ?3, ?4, ?7, ?8, ?9) "
		 "ON CONFLICT(id) DO UPDATE SET state = 3, attempts = excluded.attempts, "
		 "started_ms = excluded.started_ms, finished_ms = excluded.finished_ms, "
		 "chef = CASE excluded.chef WHEN '' THEN chef ELSE excluded.chef END, "
		 "result = excluded.result, detail = detail || excluded.detail"),
	[_WSTMT_RECS + STORE_REC_CANCELLED] =
		("INSERT INTO dishes(id, state, attempts, started_ms, finished_ms, chef, result, detail) "
		 "VALUES (?1, 4, ?2, ?3, ?4, ?7, ?8, ?9) "
		 "ON CONFLICT(id) DO UPDATE SET state = 4, attempts = excluded.attempts, "
		 "started_ms = excluded.started_ms, finished_ms = excluded.finished_ms, "
		 "chef = CASE excluded.chef WHEN '' THEN chef ELSE excluded.chef END, "
		 "result = excluded.result, detail = detail || excluded.detail"),
	[_WSTMT_RECS + STORE_REC_ORDER_DONE] = "UPDATE orders SET done = ?2, finished_ms = ?3 WHERE id = ?1",
	[_WSTMT_RECS + STORE_REC_INPUT] = "INSERT INTO inputs(id, input) VALUES (?1, ?8)",
	/* STORE_REC_DROPPED: nothing. */
};

/* The first parameter of a record's strings: after ?1 id and its numbers. */
#define STR_PARAM (2 + STORE_REC_NUMS)
_Static_assert(STR_PARAM == 7, "the statements above put the strings at ?7");
/* The parameters of one record. */
#define REC_PARAMS (STR_PARAM + STORE_REC_STRS - 1)
_Static_assert(REC_PARAMS == 9, "SERVED_ROW has a record's 9 parameters");

/* Served dishes one statement inserts: a batch's dishes mostly come served
 * together, and each statement run costs more than a row. */
#define WRITER_SERVED_ROWS 16

/* The statement of WRITER_SERVED_ROWS served dishes, or NULL. free() it. */
static char *served_rows_sql(void)
{
	char *sql = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&sql, &size);

	if (!f)
		return NULL;
	fputs(SERVED_INSERT, f);
	for (int i = 0; i < WRITER_SERVED_ROWS; i++) {
		int p = i * REC_PARAMS;
		fprintf(f, "%s" SERVED_ROW, i > 0 ? ", " : "", p + 1, p + 2, p + 3, p + 4, p + 7, p + 8, p + 9);
	}
	fputs(SERVED_UPSERT, f);
	if (fclose(f) != 0) {
		free(sql);
		return NULL;
	}
	return sql;
}

struct batch {
	uint64_t number;
	struct store_rec *recs;
	size_t n_recs, recs_cap;
	char *text;
	size_t text_len, text_cap;
};

/* The ids a batch uses: above the highest order and dish id, and its highest order id. */
struct batch_ids {
	uint64_t next_order, next_dish, max_order;
};

struct store_writer {
	sqlite3 *db;                    /* the thread's, once started */
	sqlite3_stmt *stmt[_WSTMT_MAX];
	struct store_ids ids;           /* the thread's, once started */
	struct store_prune *prune;      /* the thread's, once started */
	struct store_checkpoint *checkpoint;  /* its hook runs on the thread */
	uint64_t used_order, used_dish; /* the thread's: ids committed or used before */
	int fd;
	pthread_t thread;
	bool started;
	struct batch batches[2];
	struct batch *current;          /* the loop's: written to */
	uint64_t seen_committed;        /* the loop's: learnt by poll or sync */
	uint64_t seen_failures;
	bool seen_full;
	char seen_error[256];

	pthread_mutex_t lock;
	pthread_cond_t wake;            /* the thread: a batch, or quit */
	pthread_cond_t idle;            /* sync: the batch is applied */
	/* Under lock. */
	struct batch *todo;             /* handed over, not yet applied; NULL: idle */
	atomic_bool todo_waits;         /* also read without the lock: a prune step yields to it */
	struct batch *failed;           /* given back for lack of space, for the loop to take */
	uint64_t committed;
	uint64_t full_failures;         /* commits failed for lack of space, ever */
	uint64_t retry_ms;              /* a full store: the next try, not before */
	bool full;                      /* the last commit failed for lack of space */
	int error;
	char error_msg[256];
	bool quit;
	struct store_retention retention;
	uint64_t prune_next_ms;         /* now_ms() of the next step */
	bool prune_behind;              /* the thread's: the last step left expired orders */
	uint64_t prune_owed;            /* the thread's: deletions the batches owe, while behind */
	uint64_t prune_last_owed;       /* the thread's: what the last commit added to them */
	bool prune_sync;                /* store_writer_prune_sync() waits */
	int prune_error;                /* of the last step */
	struct store_pruned pruned;
	char prune_msg[256];            /* the reason of the last failed step */
	struct metrics_hist commits;    /* how long each batch took to apply and commit */
	/* Orders being read back to open again, each until the batch it was
	 * pinned in commits: no prune step deletes them (store_writer_pin()). */
	uint64_t pins[STORE_WRITER_PINS], pin_batch[STORE_WRITER_PINS];
	size_t n_pins;
};

/* With the lock held: unpin what the batches up to @committed reopened. */
static void unpin_locked(struct store_writer *w, uint64_t committed)
{
	size_t kept = 0;

	for (size_t i = 0; i < w->n_pins; i++)
		if (w->pin_batch[i] > committed) {
			w->pins[kept] = w->pins[i];
			w->pin_batch[kept++] = w->pin_batch[i];
		}
	w->n_pins = kept;
}

int store_writer_pin(struct store_writer *w, uint64_t order_id)
{
	int r = 0;

	/* Taken while no prune step commits (guard_enter()): a step that
	 * deleted the order committed before, or sees the pin. */
	pthread_mutex_lock(&w->lock);
	if (w->n_pins == STORE_WRITER_PINS)
		r = -EBUSY;
	else {
		w->pins[w->n_pins] = order_id;
		w->pin_batch[w->n_pins++] = store_writer_current(w);
	}
	pthread_mutex_unlock(&w->lock);
	return r;
}

/* The prune step's guard, on the writer thread: the lock is held from the
 * look at the pins to the end of the step's commit. */
static void guard_enter(void *u)
{
	pthread_mutex_lock(&((struct store_writer *) u)->lock);
}

static void guard_leave(void *u)
{
	pthread_mutex_unlock(&((struct store_writer *) u)->lock);
}

static bool guard_pinned(void *u, uint64_t order_id)
{
	const struct store_writer *w = u;

	for (size_t i = 0; i < w->n_pins; i++)
		if (w->pins[i] == order_id)
			return true;
	return false;
}

static void batch_ids(const struct batch *b, struct batch_ids *ret)
{
	*ret = (struct batch_ids) { 0 };
	for (size_t i = 0; i < b->n_recs; i++) {
		const struct store_rec *rec = &b->recs[i];
		uint64_t dish_end = 0;

		if (rec->kind == STORE_REC_ADD_ORDER) {
			if (rec->id + 1 > ret->next_order)
				ret->next_order = rec->id + 1;
			if (rec->id > ret->max_order)
				ret->max_order = rec->id;
			dish_end = rec->n[2] + rec->n[1];
		} else if (rec->kind == STORE_REC_REQUEUED || rec->kind == STORE_REC_SERVED ||
			   rec->kind == STORE_REC_FAILED || rec->kind == STORE_REC_CANCELLED ||
			   rec->kind == STORE_REC_INPUT)
			dish_end = rec->id + 1;
		if (dish_end > ret->next_dish)
			ret->next_dish = dish_end;
	}
}

/* Make the ids @b uses reserved in the id file, and durably so, before they are committed. */
static int reserve(struct store_writer *w, const struct batch_ids *used)
{
	struct store_ids *ids = &w->ids;
	uint64_t o = ids->next_order, d = ids->next_dish;
	int r;

	if (used->next_order <= o && used->next_dish <= d && ids->fd >= 0)
		return 0;
	if (used->next_order > o)
		ids->next_order = used->next_order + STORE_IDS_BLOCK;
	if (used->next_dish > d)
		ids->next_dish = used->next_dish + STORE_IDS_BLOCK;
	r = store_ids_write(ids, true);
	if (r < 0) {
		ids->next_order = o;
		ids->next_dish = d;
	}
	return r;
}

/* After a commit: what it used, and the highest order id committed (not synced). */
static void committed(struct store_writer *w, const struct batch_ids *used)
{
	if (used->next_order > w->used_order)
		w->used_order = used->next_order;
	if (used->next_dish > w->used_dish)
		w->used_dish = used->next_dish;
	if (used->max_order > w->ids.committed_order) {
		w->ids.committed_order = used->max_order;
		/* Only the loss of the -wal is then missed: ids stay reserved. */
		if (store_ids_write(&w->ids, false) < 0)
			log_debug("store: failed to record the highest order committed: %s", sql_last_error());
	}
}

/* Bind @rec's parameters in @st, at ?@base+1 on; the statement has @n_params. */
static void bind_rec(sqlite3_stmt *st, int base, int n_params, const struct batch *b, const struct store_rec *rec)
{
	sqlite3_bind_int64(st, base + 1, (sqlite3_int64) rec->id);
	for (int i = 0; i < STORE_REC_NUMS && base + 2 + i <= n_params; i++)
		sqlite3_bind_int64(st, base + 2 + i, (sqlite3_int64) rec->n[i]);
	for (int i = 0; i < STORE_REC_STRS && base + STR_PARAM + i <= n_params; i++) {
		int p = base + STR_PARAM + i;

		if (rec->str[i] == STORE_NO_TEXT)
			sqlite3_bind_null(st, p);
		else if (i == 1 && (rec->kind == STORE_REC_SERVED || rec->kind == STORE_REC_INPUT))
			sqlite3_bind_blob64(st, p, b->text + rec->str[i], rec->blob_len, SQLITE_STATIC);
		else
			sqlite3_bind_text(st, p, b->text + rec->str[i], -1, SQLITE_STATIC);
	}
}

/* Whether @n records from @rec on are all served dishes. */
static bool served_run(const struct store_rec *rec, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rec[i].kind != STORE_REC_SERVED)
			return false;
	return true;
}

/* Apply the record at b->recs[*i], or the run of served ones it begins; *i moves past them. */
static int apply_recs(struct store_writer *w, const struct batch *b, size_t *i)
{
	const struct store_rec *rec = &b->recs[*i];
	sqlite3_stmt *st;

	if (*i + WRITER_SERVED_ROWS <= b->n_recs && served_run(rec, WRITER_SERVED_ROWS)) {
		st = w->stmt[WSTMT_SERVED_ROWS];
		for (int k = 0; k < WRITER_SERVED_ROWS; k++)
			bind_rec(st, k * REC_PARAMS, (k + 1) * REC_PARAMS, b, &rec[k]);
		*i += WRITER_SERVED_ROWS;
		return sql_step(w->db, st);
	}
	(*i)++;
	if (rec->kind == STORE_REC_DROPPED)
		return 0;
	st = w->stmt[_WSTMT_RECS + rec->kind];
	bind_rec(st, 0, sqlite3_bind_parameter_count(st), b, rec);
	return sql_step(w->db, st);
}

/* What the steps owe once a commit finished @finished more orders: a
 * quarter more than that, so that a backlog shrinks under a steady load,
 * up to a few steps' worth. */
static uint64_t owe(uint64_t owed, uint64_t finished)
{
	owed += finished + finished / 4;
	return owed < 4 * STORE_PRUNE_ORDERS ? owed : 4 * STORE_PRUNE_ORDERS;
}

/* One batch, one transaction. */
static int apply(struct store_writer *w, const struct batch *b, bool full)
{
	struct batch_ids used;
	size_t live = 0;
	uint64_t finished = 0, reopened = 0;
	int r;

	for (size_t i = 0; i < b->n_recs; i++)
		live += b->recs[i].kind != STORE_REC_DROPPED;
	if (live == 0)
		/* Nothing to write: on a full store, find out whether it still is. */
		return full ? sql_write_probe(w->db, STORE_SCHEMA_VERSION) : 0;

	batch_ids(b, &used);
	r = reserve(w, &used);
	if (r >= 0)
		r = sql_step(w->db, w->stmt[WSTMT_BEGIN]);
	for (size_t i = 0; r >= 0 && i < b->n_recs;) {
		const struct store_rec *rec = &b->recs[i];

		r = apply_recs(w, b, &i);
		if (r >= 0 && rec->kind == STORE_REC_ORDER_DONE && rec->n[0] != 0)
			finished += (uint64_t) sqlite3_changes(w->db);
		else if (r >= 0 && rec->kind == STORE_REC_ORDER_DONE)
			reopened += (uint64_t) sqlite3_changes(w->db);
	}
	if (r >= 0)
		r = sql_step(w->db, w->stmt[WSTMT_COMMIT]);
	if (r < 0 && !sqlite3_get_autocommit(w->db))
		(void) sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
	if (r >= 0) {
		committed(w, &used);
		store_prune_finished(w->prune, finished, reopened);
		if (w->prune_behind) {
			w->prune_last_owed = owe(0, finished);
			w->prune_owed = owe(w->prune_owed, finished);
		}
	}
	return r;
}

/* With the lock held: whether a step may run, and whether it is due. */
static bool prune_may_locked(const struct store_writer *w)
{
	return store_prune_enabled(&w->retention) && !w->full && w->error >= 0;
}

static bool prune_due_locked(const struct store_writer *w, uint64_t now)
{
	return prune_may_locked(w) && (w->prune_sync || now >= w->prune_next_ms);
}

/* With the lock held: whether the batches owe a step before the next one. */
static bool prune_owed_locked(const struct store_writer *w)
{
	return prune_may_locked(w) && w->prune_behind && w->prune_owed >= STORE_PRUNE_OWED;
}

/* With the lock held, dropped during the step: one step, and the next one's
 * time. A step @owed deletes what the last batch owes (at least
 * STORE_PRUNE_OWED_STEP orders, at most STORE_PRUNE_OWED_MAX or what all
 * owe) before it yields: spread over the batches. */
static void prune_locked(struct store_writer *w, bool owed)
{
	struct store_retention rules = w->retention;
	struct store_prune_step step;
	char why[sizeof(w->prune_msg)] = "";
	uint64_t now, took_ms, start = now_ns();
	uint64_t share = w->prune_last_owed < STORE_PRUNE_OWED_STEP ? STORE_PRUNE_OWED_STEP :
			 w->prune_last_owed > STORE_PRUNE_OWED_MAX ? STORE_PRUNE_OWED_MAX : w->prune_last_owed;
	size_t at_least = !owed ? 0 : (size_t) (w->prune_owed < share ? w->prune_owed : share);
	int r;

	pthread_mutex_unlock(&w->lock);
	sql_clear_error();
	r = store_prune_run(w->prune, &rules, wall_ms(), &w->todo_waits, at_least, &(struct store_prune_guard) {
		.enter = guard_enter, .leave = guard_leave, .pinned = guard_pinned, .u = w,
	}, &step);
	took_ms = (now_ns() - start) / 1000000;
	if (r < 0) {
		snprintf(why, sizeof(why), "%s", *sql_last_error() ? sql_last_error() : strerror(-r));
		log_debug("store: failed to prune: %s", why);
	}
	pthread_mutex_lock(&w->lock);

	now = now_ms();
	if (r == -EAGAIN) {
		/* A victim was pinned: nothing deleted; soon again, without it. */
		w->prune_next_ms = now + STORE_PRUNE_PAUSE_MS;
		r = 0;
	} else if (r < 0) {
		w->pruned.failures++;
		memcpy(w->prune_msg, why, sizeof(why));
		w->prune_next_ms = now + STORE_PRUNE_RETRY_MS;
	} else {
		w->pruned.orders += step.orders;
		w->pruned.dishes += step.dishes;
		w->pruned.steps += step.orders > 0;
		/* A backlog takes at most a tenth of the thread's time (and
		 * of a core the loop may want). */
		if (!step.more)
			w->prune_next_ms = now + STORE_PRUNE_IDLE_MS;
		else
			w->prune_next_ms = now + (took_ms * 9 > STORE_PRUNE_PAUSE_MS ? took_ms * 9 :
						  STORE_PRUNE_PAUSE_MS);
	}
	/* Owed only while a step leaves expired orders behind; a failed or
	 * pinned one forgives it, so that it never holds a batch up again. */
	w->prune_behind = r >= 0 && step.more;
	w->prune_owed = w->prune_behind && w->prune_owed > step.orders ? w->prune_owed - step.orders : 0;
	w->prune_error = r;
	if (w->prune_sync && (r < 0 || !step.more)) {
		w->prune_sync = false;
		pthread_cond_broadcast(&w->idle);
	}
}

/* With the lock held: wait for a batch, a quit, or the next step's time. */
static void wait_locked(struct store_writer *w)
{
	struct timespec ts;
	uint64_t now = now_ms(), wait_ms;

	if (!prune_may_locked(w)) {
		pthread_cond_wait(&w->wake, &w->lock);
		return;
	}
	wait_ms = w->prune_next_ms > now ? w->prune_next_ms - now : 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t) (wait_ms / 1000);
	ts.tv_nsec += (long) (wait_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void) pthread_cond_timedwait(&w->wake, &w->lock, &ts);
}

static void *writer_main(void *userdata)
{
	struct store_writer *w = userdata;
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct batch *b;
		bool full, applied;
		uint64_t start = 0;
		int r;

		/* A batch first; pruning only while there is none. */
		while (!w->todo && !w->quit) {
			if (prune_due_locked(w, now_ms()))
				prune_locked(w, false);
			else
				wait_locked(w);
		}
		if (!w->todo)
			break;
		/* Unless the batches finished orders faster than the steps
		 * deleted them: then a step first, of what they owe. */
		if (prune_owed_locked(w))
			prune_locked(w, true);
		b = w->todo;
		atomic_store(&w->todo_waits, false);
		r = w->error;
		full = w->full;
		pthread_mutex_unlock(&w->lock);

		applied = r >= 0;
		if (applied) {
			start = now_ns();
			sql_clear_error();
			r = apply(w, b, full);
		}

		pthread_mutex_lock(&w->lock);
		if (applied && r >= 0 && b->n_recs > 0)
			metrics_hist_observe(&w->commits, (now_ns() - start) / 1000);
		if (applied && r < 0)
			snprintf(w->error_msg, sizeof(w->error_msg), "%s",
				 *sql_last_error() ? sql_last_error() : strerror(-r));
		if (r == -ENOSPC) {
			/* Rolled back, not lost: the loop puts it in front again. */
			w->full = true;
			w->full_failures++;
			w->failed = b;
			w->retry_ms = now_ms() + STORE_RETRY_MS;
		} else if (r < 0)
			w->error = r;
		else {
			w->full = false;
			w->committed = b->number;
		}
		w->todo = NULL;
		pthread_cond_broadcast(&w->idle);
		/* Cannot fail but for a counter at its maximum, which a
		 * pending 1 never reaches. */
		if (write(w->fd, &one, sizeof(one)) < 0)
			log_debug("store: failed to signal a commit: %m");
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int store_writer_new(sqlite3 *db, struct store_ids *ids, uint64_t floor_order, uint64_t floor_dish,
		     bool full, struct store_writer **ret)
{
	struct store_writer *w = calloc(1, sizeof(*w));
	int r = 0;

	if (!w) {
		sqlite3_close(db);
		store_ids_close(ids);
		return -ENOMEM;
	}
	w->db = db;
	w->ids = *ids;
	*ids = (struct store_ids) { .fd = -1 };
	w->used_order = floor_order;
	w->used_dish = floor_dish;
	w->fd = -1;
	pthread_condattr_t monotonic;

	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, &monotonic);  /* timed waits: the next prune step */
	pthread_cond_init(&w->idle, NULL);
	pthread_condattr_destroy(&monotonic);
	w->current = &w->batches[0];
	w->current->number = 1;
	if (full) {
		w->full = w->seen_full = true;
		w->retry_ms = now_ms() + STORE_RETRY_MS;
	}

	for (int k = 0; k < _WSTMT_MAX; k++) {
		char *made = k == WSTMT_SERVED_ROWS ? served_rows_sql() : NULL;
		const char *sql = made ? made : wstmt_sql[k];

		if (k == WSTMT_SERVED_ROWS && !made) {
			r = -ENOMEM;
			goto fail;
		}
		if (sql && sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &w->stmt[k], NULL) != SQLITE_OK)
			r = sql_error(db, sql);
		free(made);
		if (r < 0)
			goto fail;
	}
	r = store_prune_new(db, &w->prune);
	if (r < 0)
		goto fail;
	r = store_checkpoint_new(sqlite3_db_filename(db, "main"), &w->checkpoint);
	if (r < 0)
		goto fail;
	store_checkpoint_attach(w->checkpoint, db);
	w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->fd < 0) {
		r = -errno;
		goto fail;
	}
	/* The thread takes no signal: the loop's signalfd gets them all. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		goto fail;
	w->started = true;
	*ret = w;
	return 0;
fail:
	store_writer_free(&w);
	return r;
}

/*
 * The thread has stopped, everything written is committed: leave an empty
 * -wal (so that the -wal and -shm that stay let the next open work on a
 * full disk, and an old -wal never meets a restored kitchen.db) and bring
 * the reservation back to the ids used.
 */
static void close_clean(struct store_writer *w)
{
	struct store_ids *ids = &w->ids;

	if (sql_exec(w->db, "PRAGMA wal_checkpoint(TRUNCATE)") < 0)
		log_debug("store: failed to empty the -wal at close: %s", sql_last_error());
	if (ids->fd < 0 || (ids->next_order == w->used_order && ids->next_dish == w->used_dish))
		return;
	ids->next_order = w->used_order;
	ids->next_dish = w->used_dish;
	if (store_ids_write(ids, true) < 0)
		log_debug("store: failed to bring the reservation back: %s", sql_last_error());
}

void store_writer_free(struct store_writer **wp)
{
	struct store_writer *w;
	int r = 0;

	if (!wp || !*wp)
		return;
	w = *wp;
	if (w->started) {
		r = store_writer_sync(w);
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	/* Its thread stopped before the last checkpoint, which empties the -wal. */
	sqlite3_wal_hook(w->db, NULL, NULL);
	store_checkpoint_free(&w->checkpoint);
	if (w->started && r >= 0 && !w->full)
		close_clean(w);
	if (w->fd >= 0)
		close(w->fd);
	for (int k = 0; k < _WSTMT_MAX; k++)
		sqlite3_finalize(w->stmt[k]);
	store_prune_free(&w->prune);
	sqlite3_close(w->db);
	store_ids_close(&w->ids);
	for (int i = 0; i < 2; i++) {
		free(w->batches[i].recs);
		free(w->batches[i].text);
	}
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	*wp = NULL;
}

size_t store_writer_text_begin(struct store_writer *w)
{
	return w->current->text_len;
}

static int text_put(struct batch *b, const char *p, size_t len)
{
	if (buf_reserve(&b->text, &b->text_cap, b->text_len + len + 1) < 0)
		return -ENOMEM;
	memcpy(b->text + b->text_len, p, len);
	b->text_len += len;
	return 0;
}

int store_writer_text_put(struct store_writer *w, const char *p, size_t len)
{
	return text_put(w->current, p, len);
}

int store_writer_text_end(struct store_writer *w)
{
	return store_writer_text_put(w, "", 1);
}

static int recs_reserve(struct batch *b, size_t need)
{
	size_t cap = b->recs_cap ? b->recs_cap : 256;
	struct store_rec *recs;

	if (need <= b->recs_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	recs = reallocarray(b->recs, cap, sizeof(*recs));
	if (!recs)
		return -ENOMEM;
	b->recs = recs;
	b->recs_cap = cap;
	return 0;
}

int store_writer_add(struct store_writer *w, const struct store_rec *rec)
{
	struct batch *b = w->current;

	if (recs_reserve(b, b->n_recs + 1) < 0)
		return -ENOMEM;
	b->recs[b->n_recs++] = *rec;
	return 0;
}

uint64_t store_writer_current(const struct store_writer *w)
{
	return w->current->number;
}

uint64_t store_writer_written(const struct store_writer *w)
{
	return w->current->n_recs ? w->current->number : w->current->number - 1;
}

uint64_t store_writer_committed(const struct store_writer *w)
{
	return w->seen_committed;
}

bool store_writer_full(const struct store_writer *w)
{
	return w->seen_full;
}

const char *store_writer_error(const struct store_writer *w)
{
	return w->seen_error;
}

int store_writer_fd(const struct store_writer *w)
{
	return w->fd;
}

/*
 * With the lock held and the writer idle: a batch given back for lack of
 * space goes in front of the current one, which it becomes (with the
 * current one's number: whatever waits for either is committed with it).
 */
static int take_back_locked(struct store_writer *w)
{
	struct batch *f = w->failed, *c = w->current;
	size_t base = f ? f->text_len : 0;

	if (!f)
		return 0;
	if (recs_reserve(f, f->n_recs + c->n_recs) < 0 ||
	    buf_reserve(&f->text, &f->text_cap, f->text_len + c->text_len + 1) < 0) {
		w->error = -ENOMEM;
		snprintf(w->error_msg, sizeof(w->error_msg), "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->n_recs; i++) {
		struct store_rec *rec = &f->recs[f->n_recs++];

		*rec = c->recs[i];
		for (int s = 0; s < 3; s++)
			if (rec->str[s] != STORE_NO_TEXT)
				rec->str[s] += base;
	}
	if (c->text_len)  /* c->text may be NULL: memcpy() must not see it */
		memcpy(f->text + f->text_len, c->text, c->text_len);
	f->text_len += c->text_len;
	f->number = c->number;
	c->n_recs = 0;
	c->text_len = 0;
	w->current = f;
	w->failed = NULL;
	return 0;
}

/* With the lock held and the writer idle: the current batch goes to it. */
static void hand_over_locked(struct store_writer *w)
{
	struct batch *next = w->current == &w->batches[0] ? &w->batches[1] : &w->batches[0];

	w->todo = w->current;
	atomic_store(&w->todo_waits, true);
	next->number = w->current->number + 1;
	next->n_recs = 0;
	next->text_len = 0;
	w->current = next;
	pthread_cond_signal(&w->wake);
}

void store_writer_hand_over(struct store_writer *w)
{
	if (w->current->n_recs == 0 && !w->seen_full)
		return;
	pthread_mutex_lock(&w->lock);
	if (!w->todo && take_back_locked(w) >= 0 && w->error >= 0) {
		if (!w->full && w->current->n_recs)
			hand_over_locked(w);
		else if (w->full && now_ms() >= w->retry_ms) {
			w->retry_ms = now_ms() + STORE_RETRY_MS;
			hand_over_locked(w);  /* if empty, as a write probe */
		}
	}
	pthread_mutex_unlock(&w->lock);
}

/* With the lock held: what the caller learns, and its result. */
static int learn_locked(struct store_writer *w)
{
	int r = w->error;

	w->seen_committed = w->committed;
	unpin_locked(w, w->committed);
	w->seen_full = w->full;
	if (r >= 0 && w->full_failures != w->seen_failures)
		r = -ENOSPC;
	w->seen_failures = w->full_failures;
	if (r < 0)
		snprintf(w->seen_error, sizeof(w->seen_error), "%s", w->error_msg);
	return r;
}

int store_writer_poll(struct store_writer *w, uint64_t *ret_committed)
{
	uint64_t n;
	int r;

	if (read(w->fd, &n, sizeof(n)) < 0)  /* one read empties an eventfd */
		n = 0;  /* EAGAIN: nothing said since */
	pthread_mutex_lock(&w->lock);
	if (!w->todo)
		(void) take_back_locked(w);
	r = learn_locked(w);
	pthread_mutex_unlock(&w->lock);
	*ret_committed = w->seen_committed;
	return r;
}

void store_writer_commit_times(struct store_writer *w, struct metrics_hist *h)
{
	struct metrics_hist copy;

	pthread_mutex_lock(&w->lock);
	copy = w->commits;
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i <= EXPO_BUCKETS; i++)
		h->buckets[i] += copy.buckets[i];
	h->sum_us += copy.sum_us;
}

int store_writer_sync(struct store_writer *w)
{
	uint64_t failures;
	int r;

	pthread_mutex_lock(&w->lock);
	failures = w->full_failures;
	for (;;) {
		while (w->todo)
			pthread_cond_wait(&w->idle, &w->lock);
		(void) take_back_locked(w);
		/* Tried once more since the call, and still full: give up. */
		if (w->error < 0 || w->full_failures != failures || w->current->n_recs == 0)
			break;
		hand_over_locked(w);
	}
	r = learn_locked(w);
	if (r == -ENOSPC && w->current->n_recs == 0)
		r = 0;  /* an earlier failure, and nothing waits now */
	pthread_mutex_unlock(&w->lock);
	return r;
}

static bool holds_order(const struct batch *b, uint64_t order_id)
{
	for (size_t i = 0; i < b->n_recs; i++)
		if (b->recs[i].kind == STORE_REC_ADD_ORDER && b->recs[i].id == order_id)
			return true;
	return false;
}

int store_writer_drop_order(struct store_writer *w, uint64_t order_id)
{
	struct batch *b;
	uint64_t first = 0, end = 0;
	bool found = false, busy;

	pthread_mutex_lock(&w->lock);
	if (!w->todo)
		(void) take_back_locked(w);
	/* The writer only reads the batch it applies: so may we. */
	busy = w->todo && holds_order(w->todo, order_id);
	pthread_mutex_unlock(&w->lock);
	if (busy)
		return -EBUSY;

	b = w->current;
	for (size_t i = 0; i < b->n_recs; i++) {
		const struct store_rec *rec = &b->recs[i];
		if (rec->kind == STORE_REC_ADD_ORDER && rec->id == order_id) {
			found = true;
			first = rec->n[2];
			end = rec->n[2] + rec->n[1];
		}
	}
	if (!found)
		return -ENOENT;
	for (size_t i = 0; i < b->n_recs; i++) {
		struct store_rec *rec = &b->recs[i];
		bool of_order = false;

		switch (rec->kind) {
		case STORE_REC_ADD_ORDER:
		case STORE_REC_FORGET_KEY:
		case STORE_REC_ORDER_DONE:
			of_order = rec->id == order_id;
			break;
		case STORE_REC_REQUEUED:
		case STORE_REC_SERVED:
		case STORE_REC_FAILED:
		case STORE_REC_CANCELLED:
		case STORE_REC_INPUT:
			of_order = rec->id >= first && rec->id < end;
			break;
		case STORE_REC_DROPPED:
		case _STORE_REC_MAX:
			break;
		}
		if (of_order)
			rec->kind = STORE_REC_DROPPED;
	}
	return 0;
}

void store_writer_set_retention(struct store_writer *w, const struct store_retention *r)
{
	pthread_mutex_lock(&w->lock);
	w->retention = *r;
	w->prune_next_ms = 0;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void store_writer_pruned(struct store_writer *w, struct store_pruned *ret, char *why, size_t why_size)
{
	pthread_mutex_lock(&w->lock);
	*ret = w->pruned;
	if (why && why_size)
		snprintf(why, why_size, "%s", w->prune_error < 0 ? w->prune_msg : "");
	pthread_mutex_unlock(&w->lock);
}

int store_writer_prune_sync(struct store_writer *w)
{
	int r = 0;

	pthread_mutex_lock(&w->lock);
	if (prune_may_locked(w)) {
		w->prune_sync = true;
		pthread_cond_signal(&w->wake);
		while (w->prune_sync && prune_may_locked(w))
			pthread_cond_wait(&w->idle, &w->lock);
		w->prune_sync = false;
		r = w->prune_error;
	}
	pthread_mutex_unlock(&w->lock);
	return r;
}
