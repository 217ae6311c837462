/*
 * sql — the few SQLite helpers the order store's files share (store.c,
 * store_v1.c).
 *
 * Like the store, they return 0 or -errno: -EIO for an SQLite failure, whose
 * message goes to the log at debug level (prefixed "store:", as these are
 * the store's), nothing above.
 */
#pragma once

#include <sqlite3.h>
#include <stdint.h>

/* Log @what (a statement or a path) with the last error of @db; -EIO. */
int sql_error(sqlite3 *db, const char *what);

/* Run one or more statements of @sql that return no rows. */
int sql_exec(sqlite3 *db, const char *sql);

/* Run prepared @st, which returns no rows; it is reset and its bindings
 * cleared for the next use, whatever the outcome. */
int sql_step(sqlite3 *db, sqlite3_stmt *st);

/* The first column of the one row @sql returns, in *ret. */
int sql_query_u64(sqlite3 *db, const char *sql, uint64_t *ret);

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
