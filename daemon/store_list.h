/*
 * store_list — how store_list() walks the order book (store.h says what it
 * does): statements of its own on the store's read connection, prepared
 * once, and the walk over them.
 */
#pragma once

#include <sqlite3.h>

#include "store.h"

struct store_lister;

/* Prepare the walk's statements on @db (the store's read connection). */
int store_lister_new(sqlite3 *db, struct store_lister **ret);
void store_lister_free(struct store_lister **l); /* NULL is fine */

/* store_list() on @l's connection; an SQLite failure is sql_last_error()'s. */
int store_lister_run(struct store_lister *l, const struct store_list_query *q, store_list_cb cb,
		     void *userdata, uint64_t *ret_next);
