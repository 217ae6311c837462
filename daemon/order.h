/*
 * order — an order and its dishes as kitchend holds them while they are open.
 *
 * One allocation per order: the dishes live in the order's trailing array, so
 * a queued dish costs the queue's pointer plus struct dish. An order leaves
 * memory when its last dish is served or failed; from then on the store
 * answers for it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct chef;
struct menu_item;
struct order;

struct dish {
	uint64_t id;
	struct order *order;
	struct menu_item *item;     /* what was ordered: interned name and recipe */
	struct chef *chef;          /* while cooking */
	uint32_t index;             /* position in the order */
	uint16_t attempts;          /* dispatches so far; the current attempt's number */
	uint8_t state;              /* enum proto_state */
	uint8_t crashes;            /* chefs that crashed while holding it */
	bool suspect;               /* crashed a chef or outlived dishes.timeout_ms: cooked alone */
};

struct order {
	uint64_t id;
	uint64_t created_ms;        /* wall clock */
	uint64_t hold_until_ms;     /* monotonic; while held for a follower */
	uint32_t n_dishes;
	uint32_t n_served;
	uint32_t n_failed;
	uint32_t followers;         /* subscriptions to this order's topic */
	bool held;                  /* not queued until its follower subscribed */
	bool committed;             /* in the store, may be cooked */
	uint64_t batch;             /* the store batch that writes it (store.h) */
	struct order *next_new;     /* kitchend's list of orders awaiting commit */
	struct dish dishes[];
};

/* A new order @id of @n dishes with ids first_dish_id..; NULL on ENOMEM. */
struct order *order_new(uint64_t id, uint64_t created_ms, uint32_t n, uint64_t first_dish_id);
void order_free(struct order **o);  /* NULL is fine */

static inline bool order_done(const struct order *o)
{
	return o->n_served + o->n_failed == o->n_dishes;
}

/* The order's state as a whole: queued, cooking, served or failed. */
enum proto_state order_state(const struct order *o);
