#include "order_heap.h"

#include <errno.h>
#include <stdlib.h>

#include "order.h"

void order_heap_init(struct order_heap *h)
{
	*h = (struct order_heap) { 0 };
}

void order_heap_finish(struct order_heap *h)
{
	free(h->orders);
	*h = (struct order_heap) { 0 };
}

static void place(struct order_heap *h, size_t i, struct order *o)
{
	h->orders[i] = o;
	o->heap_index = (uint32_t) i;
}

static void sift_up(struct order_heap *h, size_t i)
{
	struct order *o = h->orders[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->orders[parent]->due_ms <= o->due_ms)
			break;
		place(h, i, h->orders[parent]);
		i = parent;
	}
	place(h, i, o);
}

static void sift_down(struct order_heap *h, size_t i)
{
	struct order *o = h->orders[i];

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->len)
			break;
		if (child + 1 < h->len && h->orders[child + 1]->due_ms < h->orders[child]->due_ms)
			child++;
		if (o->due_ms <= h->orders[child]->due_ms)
			break;
		place(h, i, h->orders[child]);
		i = child;
	}
	place(h, i, o);
}

int order_heap_push(struct order_heap *h, struct order *o)
{
	if (h->len == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct order **grown = realloc(h->orders, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		h->orders = grown;
		h->cap = cap;
	}
	h->orders[h->len] = o;
	sift_up(h, h->len++);
	return 0;
}

void order_heap_remove(struct order_heap *h, struct order *o)
{
	size_t i = o->heap_index;
	struct order *last = h->orders[--h->len];

	if (i == h->len)
		return;
	place(h, i, last);
	/* The last one may belong above or below where @o was. */
	sift_up(h, i);
	sift_down(h, last->heap_index);
}

struct order *order_heap_pop(struct order_heap *h)
{
	struct order *o = order_heap_top(h);

	if (o)
		order_heap_remove(h, o);
	return o;
}
