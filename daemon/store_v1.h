/*
 * store_v1 — converting an order store of schema version 1 to the current
 * one (store.h describes it).
 *
 * Version 1 had a row per dish:
 *
 *   orders(id, key, created_ms, dishes, done), index orders_open on done
 *   dishes(id, order_id, idx, name, state, attempts, chef, result, detail),
 *     index dishes_order on (order_id, idx)
 *
 * with "cooking" stored at each dispatch. Its dishes were numbered
 * first_dish_id + idx as they are now: that is checked, since version 2
 * relies on it. The conversion keeps every order as it was (id, key,
 * created_ms, done, its dish names in index order) and every dish with
 * something to remember (state, attempts, chef, result, detail). A dish that
 * was cooking is kept as queued with its attempts, as version 1 would have
 * cooked it again; a dish never tried gets no row. The version-1 tables and
 * their indexes are dropped.
 */
#pragma once

#include <sqlite3.h>
#include <stdint.h>

/*
 * Convert the version-1 store open in @db, inside the caller's transaction
 * (nothing is committed or rolled back here): the version-1 tables step
 * aside, @schema_sql creates the current schema (and sets its user_version), the rows
 * are copied, the old tables dropped. On success the number of orders
 * converted is in *ret_orders. -EBADMSG for dishes not numbered as kitchend
 * numbers them (or a name holding a '\n'), -EIO for an SQLite failure,
 * -ENOMEM; on failure the caller rolls back.
 */
int store_v1_convert(sqlite3 *db, const char *schema_sql, uint64_t *ret_orders);
