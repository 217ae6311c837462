/*
 * test-store-vfs — the store's VFS (daemon/store_vfs.c) on a real SQLite
 * file in WAL mode, read back through SQLite's own "unix" VFS.
 *
 * What it gathers is counted in write system calls: /proc/self/io's syscw
 * and syscr, which count calls, not time, so the checks do not depend on
 * the machine's speed.
 *
 * A table of named cases; prints TAP. Each case returns 0 or the line of its
 * first failed check.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sql.h"
#include "store_vfs.h"
#include "tap.h"

#define ROW_SQL "INSERT INTO t(b) VALUES (printf('%0300d', (SELECT IFNULL(MAX(id), 0) + 1 FROM t)))"

static char dir[] = "/tmp/kitchen-test-store-vfs-XXXXXX";
static char path[sizeof(dir) + 32];

/* The calling process's read or write system calls so far; -1 if unknown. */
static long long io_calls(const char *field)
{
	char line[128];
	long long n = -1;
	size_t len = strlen(field);
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			n = atoll(line + len + 1);
	fclose(f);
	return n;
}

static off_t file_size(const char *suffix)
{
	char p[sizeof(path) + 8];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* A fresh file: WAL, one table; @vfs the connection's VFS (NULL: unix).
 * Every commit syncs the -wal (synchronous = FULL), as the store's writer. */
static int open_fresh(const char *vfs, sqlite3 **db)
{
	char cmd[sizeof(path) + 16];

	snprintf(cmd, sizeof(cmd), "rm -f %s*", path);
	if (system(cmd) != 0 || store_vfs_register() < 0)
		return -1;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    vfs) != SQLITE_OK)
		return -1;
	/* No checkpoint but the ones a case runs. */
	return sql_exec(*db, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
			     "PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT);");
}

static int open_other(const char *vfs, sqlite3 **db)
{
	return sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, vfs) == SQLITE_OK ? 0 : -1;
}

static int gather(sqlite3 *db, int on)
{
	return sqlite3_file_control(db, "main", STORE_VFS_FCNTL_GATHER, &on) == SQLITE_OK ? 0 : -1;
}

/* @commits transactions of @rows rows each, about 300 bytes a row. */
static int commit_rows(sqlite3 *db, int commits, int rows)
{
	for (int c = 0; c < commits; c++) {
		if (sql_exec(db, "BEGIN") < 0)
			return -1;
		for (int i = 0; i < rows; i++)
			if (sql_exec(db, ROW_SQL) < 0)
				return -1;
		if (sql_exec(db, "COMMIT") < 0)
			return -1;
	}
	return 0;
}

/* Rows whose text is not what ROW_SQL wrote, and all rows, as @db sees them. */
static int count_rows(sqlite3 *db, uint64_t *ret_rows, uint64_t *ret_wrong)
{
	if (sql_query_u64(db, "SELECT count(*) FROM t", ret_rows) < 0)
		return -1;
	return sql_query_u64(db, "SELECT count(*) FROM t WHERE b != printf('%0300d', id)", ret_wrong);
}

static int integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return 0;
	ok = sqlite3_step(st) == SQLITE_ROW && strcmp((const char *) sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return ok;
}

/* The -wal's write calls for 20 commits of 40 rows (about 60 pages). */
static long long wal_writes(int on)
{
	sqlite3 *db = NULL;
	long long before, after;

	if (open_fresh(STORE_VFS_NAME, &db) < 0 || gather(db, on) < 0 || commit_rows(db, 1, 1) < 0)
		return -1;
	before = io_calls("syscw");
	if (commit_rows(db, 20, 40) < 0)
		return -1;
	after = io_calls("syscw");
	sqlite3_close(db);
	return before < 0 || after < 0 ? -1 : after - before;
}

/* Gathered, a commit's pages go out in a write or two instead of two a
 * page; and another connection sees each commit whole as soon as it is
 * made. */
static int test_wal_gathered(void)
{
	long long plain = wal_writes(0), gathered = wal_writes(1);
	sqlite3 *db = NULL, *other = NULL;
	uint64_t rows = 0, wrong = 1;

	tap_diag("-wal writes for 20 commits: %lld plain, %lld gathered", plain, gathered);
	CHECK(plain > 0 && gathered > 0);
	CHECK(plain >= 100);
	CHECK(gathered * 4 < plain);

	CHECK(open_fresh(STORE_VFS_NAME, &db) == 0);
	CHECK(gather(db, 1) == 0);
	CHECK(open_other(NULL, &other) == 0);
	for (int c = 1; c <= 30; c++) {
		CHECK(commit_rows(db, 1, 1 + c * 7 % 50) == 0);
		CHECK(count_rows(db, &rows, &wrong) == 0);
		uint64_t mine = rows;
		CHECK(count_rows(other, &rows, &wrong) == 0);
		CHECK(rows == mine && wrong == 0);
	}
	/* Turned off, the next commits are written as they come. */
	CHECK(gather(db, 0) == 0);
	CHECK(commit_rows(db, 3, 10) == 0);
	CHECK(count_rows(other, &rows, &wrong) == 0);
	CHECK(wrong == 0);
	CHECK(integrity_ok(other));
	sqlite3_close(other);
	sqlite3_close(db);
	return 0;
}

/* A commit whose pages cannot be written fails, as with the unix VFS, and
 * no other connection sees any of it; the next one, with room, succeeds. */
static int test_commit_unwritable(void)
{
	sqlite3 *db = NULL, *other = NULL;
	struct rlimit old, low;
	uint64_t rows = 0, wrong = 1, before = 0;
	int r;

	CHECK(open_fresh(STORE_VFS_NAME, &db) == 0);
	CHECK(gather(db, 1) == 0);
	CHECK(open_other(NULL, &other) == 0);
	CHECK(commit_rows(db, 5, 20) == 0);
	CHECK(count_rows(other, &before, &wrong) == 0);
	CHECK(before == 100);

	/* No file may grow past 16 KiB beyond the -wal as it is: a write past
	 * it fails (EFBIG; the signal is ignored). The transaction's pages
	 * (about 60 KiB) fit in what is kept back, so they are only written
	 * when the commit syncs the -wal. */
	CHECK(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	low = old;
	low.rlim_cur = (rlim_t) file_size("-wal") + (16 << 10);
	CHECK(setrlimit(RLIMIT_FSIZE, &low) == 0);
	CHECK(sql_exec(db, "BEGIN") == 0);
	r = 0;
	for (int i = 0; i < 200 && r == 0; i++)
		r = sql_exec(db, ROW_SQL);
	if (r == 0)
		r = sql_exec(db, "COMMIT");
	(void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	CHECK(r < 0);
	CHECK(count_rows(other, &rows, &wrong) == 0);
	CHECK(rows == before && wrong == 0);

	CHECK(commit_rows(db, 2, 20) == 0);
	CHECK(count_rows(other, &rows, &wrong) == 0);
	CHECK(rows == before + 40 && wrong == 0);
	CHECK(integrity_ok(other));
	sqlite3_close(other);
	sqlite3_close(db);
	return 0;
}

/* The writer's connection *@db (the VFS, gathering) with 2,000 rows in its
 * -wal, none copied, and *@ck, another of the VFS, to checkpoint. */
static int wal_of_rows(sqlite3 **db, sqlite3 **ck)
{
	if (open_fresh(STORE_VFS_NAME, db) < 0 || gather(*db, 1) < 0 || commit_rows(*db, 40, 50) < 0 ||
	    open_other(STORE_VFS_NAME, ck) < 0)
		return -1;
	/* A connection learns the file is in WAL mode at its first read. */
	return sql_exec(*ck, "SELECT count(*) FROM sqlite_schema");
}

/* The -wal copied and started over (on @db), every one of wal_of_rows()'s
 * rows reads back right from kitchen.db alone through @other, and
 * integrity_check says ok: 0, or the line of the first failed check. */
static int all_in_file(sqlite3 *db, sqlite3 *other)
{
	uint64_t rows = 0, wrong = 1;

	CHECK(sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK);
	CHECK(file_size("-wal") == 0);
	CHECK(count_rows(other, &rows, &wrong) == 0);
	CHECK(rows == 2000 && wrong == 0);
	CHECK(integrity_ok(other));
	return 0;
}

/* A checkpoint on a connection of the VFS copies the -wal into the file
 * (which grows meanwhile) in a few large reads and writes, and the file
 * then holds every row, as SQLite's own VFS reads it. */
static int test_checkpoint_gathered(void)
{
	sqlite3 *db = NULL, *ck = NULL, *other = NULL;
	long long w0, w1, r0, r1;
	int log_frames = 0, copied = 0;

	CHECK(wal_of_rows(&db, &ck) == 0);

	w0 = io_calls("syscw");
	r0 = io_calls("syscr");
	CHECK(sqlite3_wal_checkpoint_v2(ck, "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied) == SQLITE_OK);
	w1 = io_calls("syscw");
	r1 = io_calls("syscr");
	tap_diag("checkpoint: %d of %d frames copied in %lld reads and %lld writes", copied, log_frames,
		 r1 - r0, w1 - w0);
	CHECK(w0 >= 0 && r0 >= 0);
	CHECK(copied == log_frames && copied >= 150);
	CHECK((w1 - w0) * 8 < copied);
	CHECK((r1 - r0) * 8 < copied);

	CHECK(open_other(NULL, &other) == 0);
	CHECK(all_in_file(db, other) == 0);
	sqlite3_close(other);
	sqlite3_close(ck);
	sqlite3_close(db);
	return 0;
}

/* A checkpoint that cannot grow the file as far as its pages need fails
 * (its copies past the end are made at once, and fail), the pages stay in
 * the -wal and read as before, and the next checkpoint, with room, copies
 * them all. */
static int test_checkpoint_unwritable(void)
{
	sqlite3 *db = NULL, *ck = NULL, *other = NULL;
	struct rlimit old, low;
	uint64_t rows = 0, wrong = 1;
	int log_frames = 0, copied = 0, r;

	CHECK(wal_of_rows(&db, &ck) == 0);

	CHECK(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	low = old;
	low.rlim_cur = (rlim_t) file_size("") + (100 << 10);
	CHECK(low.rlim_cur < (rlim_t) file_size("-wal"));
	CHECK(setrlimit(RLIMIT_FSIZE, &low) == 0);
	r = sqlite3_wal_checkpoint_v2(ck, "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	tap_diag("checkpoint with too little room: %d (%s)", r, sqlite3_errstr(r));
	CHECK(r != SQLITE_OK);

	CHECK(open_other(NULL, &other) == 0);
	CHECK(count_rows(other, &rows, &wrong) == 0);
	CHECK(rows == 2000 && wrong == 0);
	CHECK(sqlite3_wal_checkpoint_v2(ck, "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied) == SQLITE_OK);
	CHECK(copied == log_frames);
	CHECK(all_in_file(db, other) == 0);
	sqlite3_close(other);
	sqlite3_close(ck);
	sqlite3_close(db);
	return 0;
}

static const struct tap_case cases[] = {
	{ "wal gathered", test_wal_gathered },
	{ "commit unwritable", test_commit_unwritable },
	{ "checkpoint gathered", test_checkpoint_gathered },
	{ "checkpoint unwritable", test_checkpoint_unwritable },
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
