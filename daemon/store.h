/*
 * store — the order book on disk: state_dir/kitchen.db, SQLite in WAL mode.
 *
 * An order and its dishes are written in one transaction; kitchend opens a
 * transaction lazily with the first write of a loop turn and commits it at
 * the end of a turn in which a client waits for it, else a few ms later
 * (store_commit; store_dirty says one is open), so a burst costs one fsync.
 * Nothing is acknowledged to a client before the commit that holds it.
 *
 * Ids are chosen by the caller (kitchend keeps the counters, seeded from
 * store_next_ids()), so an order's dishes are numbered before they are
 * written. Dish and order states are the enum dish_state values below.
 *
 * Every function returns 0 or -errno (-EIO for an SQLite failure, with the
 * SQLite message at debug level); nothing here logs above debug.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dish_state {
	DISH_STATE_QUEUED,
	DISH_STATE_COOKING,
	DISH_STATE_SERVED,
	DISH_STATE_FAILED,
	_DISH_STATE_MAX,
};

/* "queued", "cooking", "served", "failed". */
const char *dish_state_name(enum dish_state s);

struct store;

struct store_order {
	uint64_t id;
	uint64_t created_ms;
	unsigned n_dishes;
	unsigned served;
	unsigned failed;
	enum dish_state state;  /* of the order as a whole */
};

struct store_dish {
	uint64_t id;
	uint64_t order_id;
	unsigned index;
	unsigned attempts;
	enum dish_state state;
	const char *name;
	const char *chef;     /* "" when never dispatched */
	const char *result;   /* "Served Pizza", or the failure reason; "" */
	const char *detail;   /* items or reasons, '\n'-joined; "" */
};

/* Open (creating if needed) DIR/kitchen.db. @synchronous: "full" | "normal". */
int store_open(const char *dir, const char *synchronous, struct store **ret_store);
void store_close(struct store **s);  /* commits what is open; NULL is fine */

/* Commit the open transaction, if any. */
int store_commit(struct store *s);
/* Give up the open transaction, if any (after a failed commit). */
void store_rollback(struct store *s);
/* Whether a transaction is open: something written is not committed yet. */
bool store_dirty(const struct store *s);

/* The next free order and dish ids (1 on an empty store). */
int store_next_ids(struct store *s, uint64_t *ret_order_id, uint64_t *ret_dish_id);

/* Totals over every dish ever stored, by state. */
int store_count(struct store *s, uint64_t counts[_DISH_STATE_MAX]);

/* Record order @id with @n dishes named @names, dish ids first_dish_id.. */
int store_add_order(struct store *s, uint64_t id, const char *key, uint64_t created_ms,
		    uint64_t first_dish_id, size_t n, const char *const *names);

/*
 * The order submitted with idempotency @key at or after @since_ms (wall
 * clock), or -ENOENT. A key older than that has expired: it is taken off its
 * order (in the open transaction), so that a new order may carry it.
 */
int store_find_key(struct store *s, const char *key, uint64_t since_ms, uint64_t *ret_order_id);

int store_dish_cooking(struct store *s, uint64_t dish_id, unsigned attempts, const char *chef);
int store_dish_requeued(struct store *s, uint64_t dish_id, const char *reason);
int store_dish_served(struct store *s, uint64_t dish_id, const char *chef,
		      const char *result, const char *items);
int store_dish_failed(struct store *s, uint64_t dish_id, const char *reason);
int store_order_done(struct store *s, uint64_t order_id, enum dish_state state);

/*
 * Read order @id and call @dish_cb for each of its dishes in index order
 * (the strings live until the callback returns). -ENOENT for no such order.
 */
typedef int (*store_dish_cb)(const struct store_dish *d, void *userdata);
int store_get_order(struct store *s, uint64_t id, struct store_order *ret_order,
		    store_dish_cb dish_cb, void *userdata);

/*
 * For recovery: call @order_cb for every order not yet done, oldest first,
 * then @dish_cb for each of its dishes.
 */
typedef int (*store_order_cb)(const struct store_order *o, void *userdata);
int store_load_open(struct store *s, store_order_cb order_cb, store_dish_cb dish_cb, void *userdata);
