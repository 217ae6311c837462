#include "dish_queue.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void dish_queue_init(struct dish_queue *q)
{
	*q = (struct dish_queue) { 0 };
}

void dish_queue_finish(struct dish_queue *q)
{
	free(q->ring);
	*q = (struct dish_queue) { 0 };
}

/* Move the ring to one of @cap > len slots, a power of two. */
static int resize(struct dish_queue *q, size_t cap)
{
	struct dish **ring;

	if (cap > SIZE_MAX / sizeof(*ring))
		return -ENOMEM;
	ring = malloc(cap * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < q->len; i++)
		ring[i] = q->ring[(q->head + i) & (q->cap - 1)];
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
	return 0;
}

static int grow(struct dish_queue *q)
{
	return resize(q, q->cap ? q->cap * 2 : 1024);
}

int dish_queue_reserve(struct dish_queue *q, size_t n)
{
	size_t cap = q->cap ? q->cap : 1024;

	if (n > SIZE_MAX - q->len)
		return -ENOMEM;
	while (cap < q->len + n) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	return cap == q->cap ? 0 : resize(q, cap);
}

int dish_queue_push_back(struct dish_queue *q, struct dish *d)
{
	if (q->len == q->cap && grow(q) < 0)
		return -ENOMEM;
	q->ring[(q->head + q->len) & (q->cap - 1)] = d;
	q->len++;
	return 0;
}

int dish_queue_push_front(struct dish_queue *q, struct dish *d)
{
	if (q->len == q->cap && grow(q) < 0)
		return -ENOMEM;
	q->head = (q->head - 1) & (q->cap - 1);
	q->ring[q->head] = d;
	q->len++;
	return 0;
}

struct dish *dish_queue_pop_front(struct dish_queue *q)
{
	struct dish *d;

	if (q->len == 0)
		return NULL;
	d = q->ring[q->head];
	q->head = (q->head + 1) & (q->cap - 1);
	q->len--;
	return d;
}
