/*
 * store_prune — retention: the finished orders the store no longer keeps,
 * deleted a step at a time on the writer's connection (store_writer.c runs
 * the steps on its thread; store.h says what the caller sees).
 *
 * A finished order (done != 0) goes, its row and its dish rows, when
 *   - it finished (finished_ms) longer than rules->keep_ms ago, or
 *   - more than rules->max_orders orders are finished: the oldest finished
 *     first, until max_orders remain;
 * but never
 *   - while its idempotency key is valid (created_ms within
 *     rules->key_retention_ms): the key is its order's row, and a repeated
 *     ORDER must still name it;
 *   - the order of the highest id, finished or not: the next start checks
 *     the store's highest order id against the id file (store_ids.h), and
 *     continues the dish ids after it.
 *
 * A step is one transaction that examines at most STORE_PRUNE_ORDERS
 * finished orders, oldest finished first, and deletes those that go. It
 * adds the served, failed and cancelled dishes it deletes to the table
 * pruned, so that store_count() still says how many there ever were.
 *
 * Finding them costs what is deleted, not what is kept. Every order that
 * finished before the key cut-off (now - key_retention_ms) has an expired
 * key (created_ms <= finished_ms), so those are taken from the front of the
 * index orders_finished. Orders that finished after it may hold a valid
 * key (only when keep is shorter than the key retention, or max_orders
 * reaches past the cut-off): they are walked with a cursor that only moves
 * forward, past the keyed ones, which the front takes later once their key
 * has expired. An order that finishes behind the cursor (the wall clock
 * went back) waits for the front too: at most the key retention.
 *
 * max_orders needs the number of finished orders: counted once (an index
 * scan), then kept up by store_prune_finished() and what the steps delete,
 * and counted again every STORE_PRUNE_RECOUNT_MS.
 *
 * An order the loop reads back to open it again (a retry of a finished
 * order, book.h) is pinned first (store_writer_pin()) until the retry is
 * committed: a step that would delete a pinned order rolls back instead
 * (-EAGAIN), and the guard's lock, held from its look at the pins to the
 * end of its commit, orders it with the pin: a step either committed
 * before the pin (the loop's read then finds the order gone) or sees it.
 *
 * All of it runs on one thread, the writer's; nothing here logs above debug.
 */
#pragma once

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* How often max_orders' count of finished orders is made again. */
#define STORE_PRUNE_RECOUNT_MS 60000

struct store_prune;

/* One step's doings. */
struct store_prune_step {
	uint64_t orders, served, failed, cancelled, dishes;  /* deleted */
	bool more;                  /* it stopped at STORE_PRUNE_ORDERS: there may be more */
};

static inline bool store_prune_enabled(const struct store_retention *r)
{
	return r->keep_ms > 0 || r->max_orders > 0;
}

/* Prepare the statements on @db (the writer's connection). */
int store_prune_new(sqlite3 *db, struct store_prune **ret);
void store_prune_free(struct store_prune **p);

/*
 * One step at wall clock @wall (ms): examine, then BEGIN, delete, COMMIT
 * (rolled back on failure). The commit is made with synchronous=NORMAL
 * (no fdatasync, and the -wal's writes not gathered, store_vfs.h; the
 * connection's own setting is put back after it): a
 * pruning lost to a power cut is only done again, and the next batch's
 * commit syncs the -wal up to it anyway. 0 or -errno (sql_last_error()
 * says why); *ret is filled in either case; -EAGAIN (nothing deleted) when
 * @guard (may be NULL) says a victim is pinned. When @yield (may be NULL)
 * is found set (it is looked at every few orders, once @at_least orders
 * are deleted), the step commits what it deleted so far and says more: a
 * batch waits for it.
 */
struct store_prune_guard {
	void (*enter)(void *u);                   /* before the look at the pins: a lock */
	void (*leave)(void *u);                   /* after the commit or roll back */
	bool (*pinned)(void *u, uint64_t order_id);
	void *u;
};
int store_prune_run(struct store_prune *p, const struct store_retention *rules, uint64_t wall,
		    const atomic_bool *yield, size_t at_least, const struct store_prune_guard *guard,
		    struct store_prune_step *ret);

/* A commit finished @finished orders and opened @reopened finished ones
 * again (max_orders' count). */
void store_prune_finished(struct store_prune *p, uint64_t finished, uint64_t reopened);
