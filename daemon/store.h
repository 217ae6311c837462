/*
 * store — the order book on disk: state_dir/kitchen.db, SQLite in WAL mode.
 *
 * Writes are not made on the caller's thread. Each write function appends a
 * record (its strings copied) to the current batch in memory and returns at
 * once; a writer thread of the store's own, on a connection of its own,
 * applies a batch in one transaction and commits it (an fdatasync with
 * store.synchronous=full). Whenever the writer is idle, store_hand_over()
 * gives it the current batch (if it holds anything) and a new batch starts;
 * while the writer is busy the next batch accumulates, so a burst costs one
 * fsync per batch, not per write (group commit, with no deferral).
 *
 * Batches are numbered from 1 in the order they are written:
 * store_written() is the last one holding a write. When the writer has
 * committed one it makes store_fd() readable; store_poll() then says the
 * highest number committed, which is what store_committed() says until the
 * next poll. Whatever must not be promised before it is durable (an order's
 * acknowledgement) waits for the batch holding it: store_written() right
 * after the write. After a failed commit nothing more is committed and
 * store_poll() and store_sync() return -EIO (the caller stops: memory is
 * then ahead of the store).
 *
 * Reads (store_get_order, store_find_key, store_load_open, store_count,
 * store_next_ids) go through a second connection on the caller's thread
 * and see only what is committed; threads never share a connection. The
 * one exception is an idempotency key: the store keeps the keys of orders
 * not yet committed in memory, and store_find_key() looks there first.
 *
 * All functions are for one thread (kitchend's loop); only the writer runs
 * on its own.
 *
 * Schema version 2 (PRAGMA user_version) writes per order, not per dish:
 *
 *   orders(id, key, created_ms, dishes, first_dish, done, names)
 *     one row per order, written once by store_add_order(): its dishes are
 *     ids first_dish .. first_dish + dishes - 1, their names '\n'-joined in
 *     index order in names (dish names never hold a '\n': menu names are
 *     text without control characters); done is 0 while open, else the
 *     order's final enum proto_state.
 *   dishes(id, state, attempts, chef, result, detail)
 *     only dishes with something to remember: taken back (queued again with
 *     a reason), served or failed; written by one upsert each. A dish
 *     without a row is queued, never tried. There is no secondary index: an
 *     order's rows are the rowid range of its dishes.
 *
 * "cooking" is never stored: handing a dish to a chef writes nothing, so
 * the store reports a dish at a chef as it was before (queued, its attempts
 * not counting the one under way); kitchend overlays what it holds in
 * memory for open orders. A dish that was at a chef when kitchend died is
 * cooked again on the next start, and that interrupted attempt is not
 * counted (a chef's own time-out, death or crash is: those are recorded).
 *
 * A version-1 store (a dish row per dish, "cooking" stored) is converted to
 * version 2 by store_open() in one transaction (store_v1.h); a newer one is
 * refused. store_converted() tells the caller, which may say so.
 *
 * Ids are chosen by the caller (kitchend keeps the counters, seeded from
 * store_next_ids()), so an order's dishes are numbered before they are
 * written. Dish and order states are enum proto_state values (proto.h).
 *
 * Every function returns 0 or -errno (-EIO for an SQLite failure, with the
 * SQLite message at debug level); nothing here logs above debug.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"


/* The schema this code writes; store_open() converts older ones. */
#define STORE_SCHEMA_VERSION 2

struct store;

struct store_order {
	uint64_t id;
	uint64_t created_ms;
	uint64_t first_dish;    /* dish ids first_dish .. first_dish + n_dishes - 1 */
	unsigned n_dishes;
	unsigned served;
	unsigned failed;
	/* Of the order as a whole: served or failed when every dish is done,
	 * cooking when any dish has a record (see above), else queued. */
	enum proto_state state;
};

struct store_dish {
	uint64_t id;
	uint64_t order_id;
	unsigned index;
	unsigned attempts;
	enum proto_state state;  /* never cooking: see above */
	const char *name;
	const char *chef;     /* the chef that last had it, as recorded; "" without a record */
	const char *result;   /* "Served Pizza", or the failure reason; "" */
	const char *detail;   /* items when served, else the reasons, one per line ending in '\n'; "" */
};

/*
 * Open (creating if needed) DIR/kitchen.db. @synchronous: "full" | "normal".
 * A version-1 store is converted first (all or nothing); -EPROTONOSUPPORT
 * for a store of a schema newer than STORE_SCHEMA_VERSION (written by a
 * newer kitchend: it is left untouched), -EBADMSG for a version-1 store
 * whose dish ids are not numbered as kitchend numbers them.
 */
int store_open(const char *dir, const char *synchronous, struct store **ret_store);
/* Commits what is written (store_sync), stops the writer, closes both
 * connections; NULL is fine. */
void store_close(struct store **s);

/* Readable when a batch was committed (or a commit failed): for poll(). */
int store_fd(const struct store *s);
/* Hand the current batch to the writer, if it is idle and the batch holds
 * something; never waits. */
void store_hand_over(struct store *s);
/* Clear store_fd(); the highest committed batch in *ret_committed, or -EIO
 * once a commit failed. */
int store_poll(struct store *s, uint64_t *ret_committed);
/* Hand over and wait until everything written so far is committed (or a
 * commit failed: -EIO). For recovery, tests and store_close(). */
int store_sync(struct store *s);
/* The last batch holding a write (0: none yet), and the highest one known
 * committed (by store_poll() or store_sync()): everything written is
 * committed when store_written() <= store_committed(). */
uint64_t store_written(const struct store *s);
uint64_t store_committed(const struct store *s);

/* Whether store_open() converted @s from version 1; if so and @ret_orders
 * is not NULL, how many orders it converted. */
bool store_converted(const struct store *s, uint64_t *ret_orders);

/* The next free order and dish ids (1 on an empty store). */
int store_next_ids(struct store *s, uint64_t *ret_order_id, uint64_t *ret_dish_id);

/* Dishes ever served and failed, in counts[PROTO_STATE_SERVED] and
 * counts[PROTO_STATE_FAILED]; the other counts are 0 (queued dishes are
 * counted as store_load_open() hands them over). */
int store_count(struct store *s, uint64_t counts[_PROTO_STATE_MAX]);

/* Record order @id with @n dishes named @names, dish ids first_dish_id..,
 * as one row. -EINVAL for a name holding a '\n'. */
int store_add_order(struct store *s, uint64_t id, const char *key, uint64_t created_ms,
		    uint64_t first_dish_id, size_t n, const char *const *names);

/*
 * The order submitted with idempotency @key at or after @since_ms (wall
 * clock), or -ENOENT; an order not yet committed is found too. A key older
 * than that has expired: a record taking it off its order is written (to
 * the current batch, ahead of any new order's), so that a new order may
 * carry it.
 */
int store_find_key(struct store *s, const char *key, uint64_t since_ms, uint64_t *ret_order_id);

/*
 * What happened to dish @dish_id at its attempt number @attempts, which
 * @chef had (a name; "" for none).
 * requeued: back in the queue; @reason is appended to detail as a line.
 * served: detail becomes @items.
 * failed for good: result is @reason, also appended to detail as a line;
 *   with @chef "" the chef recorded before stays.
 */
int store_dish_requeued(struct store *s, uint64_t dish_id, unsigned attempts, const char *chef,
			const char *reason);
int store_dish_served(struct store *s, uint64_t dish_id, unsigned attempts, const char *chef,
		      const char *result, const char *items);
int store_dish_failed(struct store *s, uint64_t dish_id, unsigned attempts, const char *chef,
		      const char *reason);
int store_order_done(struct store *s, uint64_t order_id, enum proto_state state);

/*
 * Read order @id (as committed) and call @dish_cb (may be NULL) for each of its dishes in
 * index order; -ENOENT for no such order. The order and its dish rows are
 * read (once) before anything is handed over: *ret_order is filled before
 * the first @dish_cb, and an error other than the callback's own comes
 * before it. The strings live until the callback returns; a callback must
 * not call into the store.
 */
typedef int (*store_dish_cb)(const struct store_dish *d, void *userdata);
int store_get_order(struct store *s, uint64_t id, struct store_order *ret_order,
		    store_dish_cb dish_cb, void *userdata);

/*
 * For recovery: call @order_cb for every order not yet done, oldest first,
 * then @dish_cb for each of its dishes, as store_get_order() does.
 */
typedef int (*store_order_cb)(const struct store_order *o, void *userdata);
int store_load_open(struct store *s, store_order_cb order_cb, store_dish_cb dish_cb, void *userdata);
