/*
 * store_check — the order store's integrity check when it is opened
 * (store.h says what kitchend does with it; this is how it is done).
 *
 * SQLite's PRAGMA quick_check reads every page of every table and index,
 * under a progress handler that stops it after @budget_ms (STORE_CHECK_MS,
 * store.h), so that a huge
 * store costs a bounded time at each start. What it finds is named as the
 * tables and indexes it concerns: a damaged page is looked up in the
 * dbstat virtual table, a tree by its root page in sqlite_schema.
 */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>

/*
 * Check @db. 0 when nothing wrong was found, *ret_complete false when the
 * check was stopped after @budget_ms before its end; -EUCLEAN when the
 * store is damaged, the reason (what is unreadable, SQLite's first finding)
 * in sql_last_error() ("the orders table of kitchen.db is unreadable
 * (Page 7: btreeInitPage() returns error code 11)"); another -errno when the check could not run.
 */
int store_check(sqlite3 *db, unsigned budget_ms, bool *ret_complete);
