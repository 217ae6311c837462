/*
 * order_heap — the delayed orders, soonest due first.
 *
 * A binary min-heap of orders by due_ms (wall clock), each order knowing
 * its place (heap_index), so the soonest is found at once, and an order
 * joins, leaves or is taken off anywhere in O(log n). A thousand delayed
 * orders cost a pointer each and no CPU while they wait: the loop sleeps
 * until the soonest is due (orders_next_due()). The heap does not own the
 * orders.
 *
 *	order_heap_push(&h, o);
 *	while ((o = order_heap_top(&h)) && o->due_ms <= now) { order_heap_pop(&h); ... }
 */
#pragma once

#include <stddef.h>

struct order;

struct order_heap {
	struct order **orders;
	size_t len;
	size_t cap;
};

void order_heap_init(struct order_heap *h);
void order_heap_finish(struct order_heap *h);

/* 0 or -ENOMEM. */
int order_heap_push(struct order_heap *h, struct order *o);
/* Take @o, which is on @h, off it. */
void order_heap_remove(struct order_heap *h, struct order *o);

/* The soonest due, left on; NULL when empty. */
static inline struct order *order_heap_top(const struct order_heap *h)
{
	return h->len ? h->orders[0] : NULL;
}

/* The soonest due, taken off; NULL when empty. */
struct order *order_heap_pop(struct order_heap *h);
