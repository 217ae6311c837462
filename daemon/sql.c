#include "sql.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* Per thread, like errno: the loop's and the writer's failures stay apart. */
static _Thread_local char last_error[256];

int sql_errno(int rc, int sys_errno)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_IOERR:
		if (sys_errno == ENOSPC || sys_errno == EDQUOT)
			return -ENOSPC;
		if (sys_errno == EROFS || sys_errno == EACCES || sys_errno == EPERM)
			return -sys_errno;
		return -EIO;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	case SQLITE_CANTOPEN:
		return sys_errno > 0 ? -sys_errno : -EACCES;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_INTERRUPT:
		return -EINTR;
	default:
		return -EIO;
	}
}

int sql_error(sqlite3 *db, const char *what)
{
	int rc = sqlite3_extended_errcode(db), sys = 0;

	if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN)
		sys = sqlite3_system_errno(db);
	if (sys > 0)
		sql_set_error("%s (%s)", sqlite3_errmsg(db), strerror(sys));
	else
		sql_set_error("%s", sqlite3_errmsg(db));
	log_debug("store: %s: %s", what, last_error);
	return rc == SQLITE_OK ? -EIO : sql_errno(rc, sys);
}

const char *sql_last_error(void)
{
	return last_error;
}

void sql_set_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
}

void sql_clear_error(void)
{
	last_error[0] = '\0';
}

int sql_exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_error(db, sql);
	return 0;
}

int sql_step(sqlite3 *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st), r = 0;

	/* The reason before the reset, which may clear it. */
	if (rc != SQLITE_DONE)
		r = sql_error(db, sqlite3_sql(st));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

int sql_query_u64(sqlite3 *db, const char *sql, uint64_t *ret)
{
	sqlite3_stmt *st;
	int rc, r = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sql_error(db, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = (uint64_t) sql_column_i64(st, 0);
	else
		r = sql_error(db, sql);
	sqlite3_finalize(st);
	return r;
}

int sql_write_probe(sqlite3 *db, int user_version)
{
	char sql[96];
	int r;

	snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE; PRAGMA user_version = %d; COMMIT;", user_version);
	r = sql_exec(db, sql);
	if (r < 0 && !sqlite3_get_autocommit(db))
		(void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}
