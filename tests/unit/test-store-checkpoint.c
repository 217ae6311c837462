/*
 * test-store-checkpoint — the store's checkpoint thread
 * (daemon/store_checkpoint.c) beside a real writing connection, on a real
 * SQLite file in WAL mode.
 *
 * A table of named cases; prints TAP. Each case returns 0 or the line of its
 * first failed check.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sql.h"
#include "store_checkpoint.h"
#include "tap.h"
#include "util.h"

#define PAGE 4096

static char dir[] = "/tmp/kitchen-test-checkpoint-XXXXXX";
static char path[sizeof(dir) + 32];

static off_t file_size(const char *suffix)
{
	char p[sizeof(path) + 8];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* A fresh store-like file: WAL, one table, and the writer's connection. */
static int open_fresh(sqlite3 **db)
{
	char cmd[sizeof(path) + 16];

	snprintf(cmd, sizeof(cmd), "rm -f %s*", path);
	if (system(cmd) != 0)
		return -1;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return -1;
	return sql_exec(*db, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; "
			     "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB);");
}

/* @n commits of a row about a page long each. */
static int commit_rows(sqlite3 *db, int n)
{
	for (int i = 0; i < n; i++)
		if (sql_exec(db, "INSERT INTO t(b) VALUES (zeroblob(3900))") < 0)
			return -1;
	return 0;
}

/* Wait up to 5 s until the thread has run @runs checkpoints. */
static int wait_runs(struct store_checkpoint *c, uint64_t runs, uint64_t *ret_failures)
{
	uint64_t got = 0, t0 = now_ms();

	while (now_ms() - t0 < 5000) {
		store_checkpoint_counts(c, &got, ret_failures);
		if (got >= runs)
			return 0;
		usleep(2000);
	}
	return -1;
}

/* Past STORE_CHECKPOINT_PAGES of -wal, the thread copies it into the file,
 * long before the writer's own checkpoint would (STORE_WAL_PAGES). */
static int test_copies(void)
{
	struct store_checkpoint *c = NULL;
	sqlite3 *db = NULL;
	uint64_t failures = 1;
	off_t before;

	CHECK(open_fresh(&db) == 0);
	CHECK(store_checkpoint_new(path, &c) == 0);
	store_checkpoint_attach(c, db);
	before = file_size("");
	CHECK(before >= 0 && before < 10 * PAGE);
	CHECK(commit_rows(db, STORE_CHECKPOINT_PAGES + 20) == 0);
	CHECK(wait_runs(c, 1, &failures) == 0);
	CHECK(failures == 0);
	/* Copied: the rows' pages are in kitchen.db itself now (a commit
	 * writes a row's page and the table's root: a hundred rows or more
	 * by the first wake). */
	printf("# db %lld wal %lld\n", (long long) file_size(""), (long long) file_size("-wal"));
	CHECK(file_size("") >= 100 * PAGE);
	sqlite3_wal_hook(db, NULL, NULL);
	store_checkpoint_free(&c);
	CHECK(c == NULL);
	store_checkpoint_free(&c);  /* NULL is fine */
	sqlite3_close(db);
	return 0;
}

/* Under a writer that never stops, the -wal still starts over: it stays
 * about STORE_WAL_PAGES long, and every row is there. */
static int test_bounded(void)
{
	struct store_checkpoint *c = NULL;
	sqlite3 *db = NULL;
	uint64_t rows = 0, runs = 0, failures = 0;
	int n = 4 * STORE_WAL_PAGES;

	CHECK(open_fresh(&db) == 0);
	CHECK(store_checkpoint_new(path, &c) == 0);
	store_checkpoint_attach(c, db);
	CHECK(commit_rows(db, n) == 0);
	CHECK(file_size("-wal") <= (off_t) (STORE_WAL_PAGES + 50) * (PAGE + 24) + 32);
	CHECK(sql_query_u64(db, "SELECT count(*) FROM t", &rows) == 0);
	CHECK(rows == (uint64_t) n);
	store_checkpoint_counts(c, &runs, &failures);
	CHECK(runs >= 1);
	sqlite3_wal_hook(db, NULL, NULL);
	store_checkpoint_free(&c);
	sqlite3_close(db);
	return 0;
}

/* Freed while a wake is due or a checkpoint runs: it ends, nothing hangs. */
static int test_free_busy(void)
{
	struct store_checkpoint *c = NULL;
	sqlite3 *db = NULL;

	CHECK(open_fresh(&db) == 0);
	for (int i = 0; i < 5; i++) {
		CHECK(store_checkpoint_new(path, &c) == 0);
		store_checkpoint_attach(c, db);
		CHECK(commit_rows(db, STORE_CHECKPOINT_PAGES + 1) == 0);
		sqlite3_wal_hook(db, NULL, NULL);
		store_checkpoint_free(&c);
	}
	sqlite3_close(db);
	return 0;
}

static const struct tap_case cases[] = {
	{ "copies", test_copies },
	{ "bounded", test_bounded },
	{ "free busy", test_free_busy },
};

int main(void)
{
	char cmd[sizeof(dir) + 16];
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/kitchen.db", dir);
	r = tap_run(cases, sizeof(cases) / sizeof(cases[0]));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		r = 1;
	return r;
}
