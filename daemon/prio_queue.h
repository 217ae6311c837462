/*
 * prio_queue — the dishes waiting for a chef: highest priority first, and
 * within one priority oldest first.
 *
 * One dish_queue per priority (PROTO_PRIORITY_MIN .. PROTO_PRIORITY_MAX)
 * and a bit per non-empty one, so the front is found with one
 * count-leading-zeros whatever the number of dishes: a queued dish costs
 * one pointer, as with a single queue. Dishes taken back from a chef go to
 * the front of their own priority (they were ordered first), new ones to its
 * back. The queue does not own the dishes; their orders do, and the caller
 * says each dish's priority (its order's).
 *
 *	prio_queue_push_back(&q, d, d->order->priority);
 *	while ((d = prio_queue_front(&q)) && credit) { prio_queue_pop_front(&q); ... }
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "dish_queue.h"
#include "proto.h"

struct dish;

struct prio_queue {
	struct dish_queue by_priority[PROTO_PRIORITY_MAX + 1];  /* [0] unused */
	unsigned nonempty;  /* bit p: by_priority[p] holds a dish */
	size_t len;
};

void prio_queue_init(struct prio_queue *q);
void prio_queue_finish(struct prio_queue *q);

/* @priority is PROTO_PRIORITY_MIN .. PROTO_PRIORITY_MAX. 0 or -ENOMEM. */
int prio_queue_push_back(struct prio_queue *q, struct dish *d, unsigned priority);
int prio_queue_push_front(struct prio_queue *q, struct dish *d, unsigned priority);
/* Room for @n more dishes of @priority: dish_queue_reserve(). */
int prio_queue_reserve(struct prio_queue *q, unsigned priority, size_t n);
/* The front dish, taken off; NULL when empty. */
struct dish *prio_queue_pop_front(struct prio_queue *q);
/*
 * Take off every dish for which @gone(d, @u) is true, keeping the order of
 * the others; the queue does not look at a dish again once @gone said so
 * (it may free it). Linear in the dishes queued.
 */
void prio_queue_filter(struct prio_queue *q, bool (*gone)(struct dish *d, void *u), void *u);

/* The priority of the front dish; 0 when empty. */
static inline unsigned prio_queue_top(const struct prio_queue *q)
{
	return q->nonempty ? 8 * sizeof(q->nonempty) - 1 - (unsigned) __builtin_clz(q->nonempty) : 0;
}

/* The dish pop_front would take, left in place; NULL when empty. */
static inline struct dish *prio_queue_front(const struct prio_queue *q)
{
	return q->nonempty ? dish_queue_front(&q->by_priority[prio_queue_top(q)]) : NULL;
}

static inline size_t prio_queue_len(const struct prio_queue *q)
{
	return q->len;
}
