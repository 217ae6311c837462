#include "store_writer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "sql.h"
#include "util.h"

enum wstmt {
	WSTMT_BEGIN,
	WSTMT_COMMIT,
	_WSTMT_RECS,
	_WSTMT_MAX = _WSTMT_RECS + _STORE_REC_MAX,
};

static const char *const wstmt_sql[_WSTMT_MAX] = {
	[WSTMT_BEGIN] = "BEGIN",
	[WSTMT_COMMIT] = "COMMIT",
	[_WSTMT_RECS + STORE_REC_ADD_ORDER] =
		("INSERT INTO orders(id, key, created_ms, dishes, first_dish, names) "
		 "VALUES (?1, ?5, ?2, ?3, ?4, ?6)"),
	[_WSTMT_RECS + STORE_REC_FORGET_KEY] = "UPDATE orders SET key = NULL WHERE id = ?1",
	/* ?1 id, ?2 attempts, ?5.. the strings. */
	[_WSTMT_RECS + STORE_REC_REQUEUED] =
		("INSERT INTO dishes(id, state, attempts, chef, detail) VALUES (?1, 0, ?2, ?5, ?6) "
		 "ON CONFLICT(id) DO UPDATE SET state = 0, attempts = excluded.attempts, "
		 "chef = excluded.chef, detail = detail || excluded.detail"),
	[_WSTMT_RECS + STORE_REC_SERVED] =
		("INSERT INTO dishes(id, state, attempts, chef, result, detail) VALUES (?1, 2, ?2, ?5, ?6, ?7) "
		 "ON CONFLICT(id) DO UPDATE SET state = 2, attempts = excluded.attempts, "
		 "chef = excluded.chef, result = excluded.result, detail = excluded.detail"),
	[_WSTMT_RECS + STORE_REC_FAILED] =
		("INSERT INTO dishes(id, state, attempts, chef, result, detail) VALUES (?1, 3, ?2, ?5, ?6, ?7) "
		 "ON CONFLICT(id) DO UPDATE SET state = 3, attempts = excluded.attempts, "
		 "chef = CASE excluded.chef WHEN '' THEN chef ELSE excluded.chef END, "
		 "result = excluded.result, detail = detail || excluded.detail"),
	[_WSTMT_RECS + STORE_REC_ORDER_DONE] = "UPDATE orders SET done = ?2 WHERE id = ?1",
};

struct batch {
	uint64_t number;
	struct store_rec *recs;
	size_t n_recs, recs_cap;
	char *text;
	size_t text_len, text_cap;
};

struct store_writer {
	sqlite3 *db;                    /* the thread's, once started */
	sqlite3_stmt *stmt[_WSTMT_MAX];
	int fd;
	pthread_t thread;
	bool started;
	struct batch batches[2];
	struct batch *current;          /* the loop's: written to */
	uint64_t seen_committed;        /* the loop's: learnt by poll or sync */

	pthread_mutex_t lock;
	pthread_cond_t wake;            /* the thread: a batch, or quit */
	pthread_cond_t idle;            /* sync: the batch is applied */
	/* Under lock. */
	struct batch *todo;             /* handed over, not yet applied; NULL: idle */
	uint64_t committed;
	int error;
	bool quit;
};

static int apply_rec(struct store_writer *w, const struct batch *b, const struct store_rec *rec)
{
	sqlite3_stmt *st = w->stmt[_WSTMT_RECS + rec->kind];
	int n_params = sqlite3_bind_parameter_count(st);

	sqlite3_bind_int64(st, 1, (sqlite3_int64) rec->id);
	for (int i = 0; i < 3 && 2 + i <= n_params; i++)
		sqlite3_bind_int64(st, 2 + i, (sqlite3_int64) rec->n[i]);
	for (int i = 0; i < 3 && 5 + i <= n_params; i++) {
		if (rec->str[i] == STORE_NO_TEXT)
			sqlite3_bind_null(st, 5 + i);
		else
			sqlite3_bind_text(st, 5 + i, b->text + rec->str[i], -1, SQLITE_STATIC);
	}
	return sql_step(w->db, st);
}

/* One batch, one transaction. */
static int apply(struct store_writer *w, const struct batch *b)
{
	int r = sql_step(w->db, w->stmt[WSTMT_BEGIN]);

	for (size_t i = 0; r >= 0 && i < b->n_recs; i++)
		r = apply_rec(w, b, &b->recs[i]);
	if (r >= 0)
		r = sql_step(w->db, w->stmt[WSTMT_COMMIT]);
	if (r < 0 && !sqlite3_get_autocommit(w->db))
		(void) sql_exec(w->db, "ROLLBACK");
	return r;
}

static void *writer_main(void *userdata)
{
	struct store_writer *w = userdata;
	uint64_t one = 1;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct batch *b;
		int r;

		while (!w->todo && !w->quit)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->todo)
			break;
		b = w->todo;
		r = w->error;
		pthread_mutex_unlock(&w->lock);

		if (r >= 0)
			r = apply(w, b);

		pthread_mutex_lock(&w->lock);
		if (r < 0)
			w->error = r;
		else
			w->committed = b->number;
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

int store_writer_new(sqlite3 *db, struct store_writer **ret)
{
	struct store_writer *w = calloc(1, sizeof(*w));
	int r;

	if (!w) {
		sqlite3_close(db);
		return -ENOMEM;
	}
	w->db = db;
	w->fd = -1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->idle, NULL);
	w->current = &w->batches[0];
	w->current->number = 1;

	for (int k = 0; k < _WSTMT_MAX; k++)
		if (sqlite3_prepare_v3(db, wstmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
				       &w->stmt[k], NULL) != SQLITE_OK) {
			r = sql_error(db, wstmt_sql[k]);
			goto fail;
		}
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

void store_writer_free(struct store_writer **wp)
{
	struct store_writer *w;

	if (!wp || !*wp)
		return;
	w = *wp;
	if (w->started) {
		(void) store_writer_sync(w);
		pthread_mutex_lock(&w->lock);
		w->quit = true;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	if (w->fd >= 0)
		close(w->fd);
	for (int k = 0; k < _WSTMT_MAX; k++)
		sqlite3_finalize(w->stmt[k]);
	sqlite3_close(w->db);
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

int store_writer_text_put(struct store_writer *w, const char *p, size_t len)
{
	struct batch *b = w->current;

	if (buf_reserve(&b->text, &b->text_cap, b->text_len + len + 1) < 0)
		return -ENOMEM;
	memcpy(b->text + b->text_len, p, len);
	b->text_len += len;
	return 0;
}

int store_writer_text_end(struct store_writer *w)
{
	return store_writer_text_put(w, "", 1);
}

int store_writer_add(struct store_writer *w, const struct store_rec *rec)
{
	struct batch *b = w->current;

	if (b->n_recs == b->recs_cap) {
		size_t cap = b->recs_cap ? b->recs_cap * 2 : 256;
		struct store_rec *recs = reallocarray(b->recs, cap, sizeof(*recs));
		if (!recs)
			return -ENOMEM;
		b->recs = recs;
		b->recs_cap = cap;
	}
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

int store_writer_fd(const struct store_writer *w)
{
	return w->fd;
}

/* With the lock held and the writer idle: the current batch goes to it. */
static void hand_over_locked(struct store_writer *w)
{
	struct batch *next = w->current == &w->batches[0] ? &w->batches[1] : &w->batches[0];

	w->todo = w->current;
	next->number = w->current->number + 1;
	next->n_recs = 0;
	next->text_len = 0;
	w->current = next;
	pthread_cond_signal(&w->wake);
}

void store_writer_hand_over(struct store_writer *w)
{
	if (w->current->n_recs == 0)
		return;
	pthread_mutex_lock(&w->lock);
	if (!w->todo)
		hand_over_locked(w);
	pthread_mutex_unlock(&w->lock);
}

int store_writer_poll(struct store_writer *w, uint64_t *ret_committed)
{
	uint64_t n;
	int r;

	while (read(w->fd, &n, sizeof(n)) == sizeof(n))
		;
	pthread_mutex_lock(&w->lock);
	w->seen_committed = w->committed;
	r = w->error;
	pthread_mutex_unlock(&w->lock);
	*ret_committed = w->seen_committed;
	return r;
}

int store_writer_sync(struct store_writer *w)
{
	int r;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->todo)
			pthread_cond_wait(&w->idle, &w->lock);
		if (w->error < 0 || w->current->n_recs == 0)
			break;
		hand_over_locked(w);
	}
	w->seen_committed = w->committed;
	r = w->error;
	pthread_mutex_unlock(&w->lock);
	return r;
}
