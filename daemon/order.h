/*
 * order — an order and its dishes as kitchend holds them while they are open.
 *
 * One allocation per order: the dishes live in the order's trailing array, so
 * a queued dish costs the queue's pointer plus struct dish. An order leaves
 * memory when its last dish is served, failed or cancelled; from then on the store
 * answers for it.
 *
 * These are plain records. Their fields change only in orders.c, which owns
 * the life of every order and dish (orders.h), but for n_events, which
 * events.c counts; everyone else reads them.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "list.h"
#include "log.h"
#include "proto.h"

struct chef;
struct menu_item;
struct order;

/*
 * A dish's input, bytes, owned by its order: kept per order, not per dish,
 * so that a dish without one (most) costs nothing for it.
 */
struct dish_input {
	uint32_t len;
	char data[];
};

struct dish {
	uint64_t id;
	struct order *order;
	struct menu_item *item;     /* what was ordered: interned name and recipe */
	struct chef *chef;          /* while cooking */
	uint32_t index;             /* position in the order */
	uint32_t since_ms;          /* metrics.h: queued since, or handed at (a report's started_ms) */
	uint16_t attempts;          /* dispatches so far; the current attempt's number */
	uint8_t state;              /* enum proto_state */
	uint8_t crashes;            /* chefs that crashed while holding it */
	bool suspect;               /* crashed a chef or outlived dishes.timeout_ms: cooked alone */
	bool cancelling;            /* cooking, and its chef was told to stop (recorded cancelled) */
	bool in_queue;              /* on the queue of orders.c, or its shelf (checked at every push and pop) */
	bool parked;                /* in_queue: on the shelf (shelf.h), set aside for a chef that can cook it */
};
/* A million queued dishes are 48 MB: a new field takes padding, or says why not. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct dish) == 48, "struct dish grew");

/* Where an order is in its life (orders.h draws it). */
enum order_phase {
	ORDER_WRITTEN,              /* admitted, its store batch not yet committed */
	ORDER_DELAYED,              /* committed, waiting for its due time (on the heap) */
	ORDER_HELD,                 /* committed, waiting for its follower */
	ORDER_OPEN,                 /* committed; its dishes queued, cooking or done */
	ORDER_FINISHED,             /* done, but cancelled dishes of it still sit on the queue */
};

struct order {
	uint64_t id;
	uint64_t created_ms;        /* wall clock */
	uint64_t batch;             /* the store batch that writes it (store.h) */
	uint64_t hold_until_ms;     /* monotonic; while held */
	uint64_t due_ms;            /* wall clock: its dishes wait until then; 0: at once */
	uint32_t n_dishes;
	uint32_t n_served;
	uint32_t n_failed;
	uint32_t n_cancelled;
	uint32_t n_events;          /* events published about it: their seq (events.c's own) */
	uint32_t n_in_queue;        /* its dishes on the queue, cancelled ones too */
	uint32_t heap_index;        /* its place on the heap of delayed orders, while delayed */
	uint8_t phase;              /* enum order_phase */
	uint8_t priority;           /* PROTO_PRIORITY_MIN .. PROTO_PRIORITY_MAX: its dishes' */
	bool follow;                /* submitted with "follow": held until followed */
	bool followed;              /* its topic has had a subscriber */
	struct list_link link;      /* on the written or the held list of orders.c */
	struct dish_input **inputs; /* n_dishes, NULL for a dish without; NULL when none has one */
	struct dish dishes[];
};

/* A new order @id of @n queued dishes with ids first_dish_id..; NULL on ENOMEM. */
struct order *order_new(uint64_t id, uint64_t created_ms, uint32_t n, uint64_t first_dish_id);
void order_free(struct order **o);  /* NULL is fine; the dishes' inputs go too */

/* Give dish @d a copy of @len bytes at @input (none when 0). 0 or -ENOMEM. */
int dish_set_input(struct dish *d, const void *input, size_t len);

/* Dish @d's input, NULL when it has none. */
static inline const struct dish_input *dish_input(const struct dish *d)
{
	return d->order->inputs ? d->order->inputs[d->index] : NULL;
}

static inline bool order_done(const struct order *o)
{
	return o->n_served + o->n_failed + o->n_cancelled == o->n_dishes;
}

/*
 * What a log line about dish @d is about (log.h): its order, and the dish
 * by its number in the order, from 1, as people count (and as a chef's
 * lines and a program's KITCHEN_DISH say it); @chef may be NULL. The text
 * names them the same way, "Order 42 dish 3 (Pizza) ...":
 *
 *	log_fields(LOG_INFO, 0, &dish_about(d, chef), "Order %llu dish %u (%s) ...",
 *		   (unsigned long long) d->order->id, dish_number(d), d->item->name, ...);
 */
static inline unsigned dish_number(const struct dish *d)
{
	return d->index + 1;
}
#define dish_about(d, chef_name) \
	((struct log_about) { .order = (d)->order->id, .dish = dish_number(d), .chef = (chef_name) })

/* The order's state as a whole: queued or cooking while open; when done,
 * failed if a dish failed, else cancelled if a dish was, else served. */
enum proto_state order_state(const struct order *o);
