/*
 * sql — the few SQLite helpers the order store's files share (store.c,
 * store_writer.c, store_v1.c, store_check.c).
 *
 * Like the store, they return 0 or -errno and log nothing above debug. An
 * SQLite failure becomes the errno that fits its result code (store.h has
 * the table), and its reason, SQLite's message with the system's error when
 * SQLite has one ("disk I/O error (No space left on device)"), is kept as
 * the last error of the calling thread, like errno: sql_last_error().
 */
#pragma once

#include <sqlite3.h>
#include <stdint.h>

/* The -errno for SQLite (extended) result code @rc; @sys_errno: the
 * system's, for SQLITE_IOERR and SQLITE_CANTOPEN (0: none). */
int sql_errno(int rc, int sys_errno);

/* The last failure of @db, about @what (a statement or a path): its reason
 * becomes this thread's last error (and goes to the log at debug level);
 * returns its -errno (-EIO when @db holds no error). */
int sql_error(sqlite3 *db, const char *what);

/* The reason of the last failure on this thread: SQLite's, or one the store
 * set itself (sql_set_error); "" when there is none. */
const char *sql_last_error(void);
void sql_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sql_clear_error(void);

/* Run one or more statements of @sql that return no rows. */
int sql_exec(sqlite3 *db, const char *sql);

/* Run prepared @st, which returns no rows; it is reset and its bindings
 * cleared for the next use, whatever the outcome. */
int sql_step(sqlite3 *db, sqlite3_stmt *st);

/* The first column of the one row @sql returns, in *ret. */
int sql_query_u64(sqlite3 *db, const char *sql, uint64_t *ret);

/*
 * Prove that @db can be written: one write transaction that sets
 * user_version to @user_version (its value already), which appends a page
 * to the WAL and syncs it, durably changing nothing. -ENOSPC on a full
 * disk, -EROFS or -EACCES when the file, its -wal or -shm cannot be
 * written.
 */
int sql_write_probe(sqlite3 *db, int user_version);

static inline sqlite3_int64 sql_column_i64(sqlite3_stmt *st, int col)
{
	return sqlite3_column_int64(st, col);
}

/* Column @col as text; "" for NULL. */
static inline const char *sql_column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *) t : "";
}
