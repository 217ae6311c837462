#include "timer_heap.h"

#include <errno.h>
#include <stdlib.h>

static void swap(struct timer *a, struct timer *b)
{
	struct timer t = *a;

	*a = *b;
	*b = t;
}

int timer_heap_push(struct timer_heap *h, uint64_t due_ns, uint32_t index, uint32_t gen)
{
	size_t i;

	if (h->n == h->size) {
		size_t size = h->size ? 2 * h->size : 64;
		struct timer *t = reallocarray(h->t, size, sizeof(*t));

		if (!t)
			return -ENOMEM;
		h->t = t;
		h->size = size;
	}
	i = h->n++;
	h->t[i] = (struct timer) { .due_ns = due_ns, .index = index, .gen = gen };
	while (i > 0 && h->t[(i - 1) / 2].due_ns > h->t[i].due_ns) {
		swap(&h->t[(i - 1) / 2], &h->t[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

bool timer_heap_peek(const struct timer_heap *h, struct timer *ret)
{
	if (h->n == 0)
		return false;
	*ret = h->t[0];
	return true;
}

void timer_heap_pop(struct timer_heap *h)
{
	size_t i = 0;

	if (h->n == 0)
		return;
	h->t[0] = h->t[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && h->t[l].due_ns < h->t[m].due_ns)
			m = l;
		if (r < h->n && h->t[r].due_ns < h->t[m].due_ns)
			m = r;
		if (m == i)
			return;
		swap(&h->t[i], &h->t[m]);
		i = m;
	}
}

void timer_heap_free(struct timer_heap *h)
{
	free(h->t);
	*h = (struct timer_heap) {};
}
