#include "store_checkpoint.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "log.h"
#include "sql.h"
#include "store_vfs.h"

struct store_checkpoint {
	sqlite3 *db;                /* the thread's */
	pthread_t thread;
	int woken_at;               /* the writer's: the -wal's pages at the last wake */

	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* Under lock. */
	bool due;
	bool quit;
	uint64_t runs, failures;
};

static void *checkpoint_main(void *userdata)
{
	struct store_checkpoint *c = userdata;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		int rc, log = 0, copied = 0;

		while (!c->due && !c->quit)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->quit)
			break;
		c->due = false;
		pthread_mutex_unlock(&c->lock);

		rc = sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
		if (rc != SQLITE_OK)
			/* SQLITE_BUSY too: the writer's own is under way. */
			(void) sql_error(c->db, "checkpoint");
		else
			log_debug("store: checkpoint copied %d of the -wal's %d pages", copied, log);

		pthread_mutex_lock(&c->lock);
		c->runs++;
		c->failures += rc != SQLITE_OK;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Runs on the writer's thread, after each of its commits. */
static int wal_hook(void *userdata, sqlite3 *db, const char *name, int pages)
{
	struct store_checkpoint *c = userdata;

	if (pages < c->woken_at)
		c->woken_at = 0;  /* it started over */
	if (pages >= STORE_WAL_PAGES) {
		/* As SQLite's wal_autocheckpoint; a failure (SQLITE_BUSY while
		 * the thread's runs) leaves it to the next commit. */
		(void) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	if (pages >= c->woken_at + STORE_CHECKPOINT_PAGES) {
		c->woken_at = pages;
		pthread_mutex_lock(&c->lock);
		c->due = true;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
	}
	return SQLITE_OK;
}

int store_checkpoint_new(const char *path, struct store_checkpoint **ret)
{
	struct store_checkpoint *c = calloc(1, sizeof(*c));
	sigset_t all, old;
	int one = 1, r;

	if (!c)
		return -ENOMEM;
	r = store_vfs_register();
	if (r < 0) {
		free(c);
		return r;
	}
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, STORE_VFS_NAME) != SQLITE_OK) {
		r = c->db ? sql_error(c->db, path) : -ENOMEM;
		sqlite3_close(c->db);
		free(c);
		return r;
	}
	/* Its close must not take the -wal away (store.c's open_db() says why). */
	sqlite3_file_control(c->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	/* A connection learns the file is in WAL mode at its first read; a
	 * checkpoint before that does nothing. */
	r = sql_exec(c->db, "SELECT count(*) FROM sqlite_schema");
	if (r < 0) {
		sqlite3_close(c->db);
		free(c);
		return r;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&c->thread, NULL, checkpoint_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		sqlite3_close(c->db);
		free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void store_checkpoint_attach(struct store_checkpoint *c, sqlite3 *db)
{
	sqlite3_wal_hook(db, wal_hook, c);
}

void store_checkpoint_counts(struct store_checkpoint *c, uint64_t *ret_runs, uint64_t *ret_failures)
{
	pthread_mutex_lock(&c->lock);
	*ret_runs = c->runs;
	*ret_failures = c->failures;
	pthread_mutex_unlock(&c->lock);
}

void store_checkpoint_free(struct store_checkpoint **cp)
{
	struct store_checkpoint *c;

	if (!cp || !*cp)
		return;
	c = *cp;
	pthread_mutex_lock(&c->lock);
	c->quit = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	sqlite3_close(c->db);
	free(c);
	*cp = NULL;
}
