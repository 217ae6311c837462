/*
 * dish_queue — the dishes waiting for a chef, oldest first.
 *
 * A growable ring of pointers: dishes taken back from a dead chef go to the
 * front (they were ordered first), new ones to the back. The queue does not
 * own the dishes; their orders do.
 */
#pragma once

#include <stddef.h>

struct dish;

struct dish_queue {
	struct dish **ring;
	size_t cap;     /* a power of two, or 0 */
	size_t head;
	size_t len;
};

void dish_queue_init(struct dish_queue *q);
void dish_queue_finish(struct dish_queue *q);

int dish_queue_push_back(struct dish_queue *q, struct dish *d);   /* 0 or -ENOMEM */
int dish_queue_push_front(struct dish_queue *q, struct dish *d);  /* 0 or -ENOMEM */
struct dish *dish_queue_pop_front(struct dish_queue *q);          /* NULL when empty */

/* Room for @n more dishes at once, so that pushing them never copies the
 * ring (kitchend's start queues millions); only what is pushed is touched.
 * 0 or -ENOMEM. */
int dish_queue_reserve(struct dish_queue *q, size_t n);

/* The dish pop_front would take, left in place; NULL when empty. */
static inline struct dish *dish_queue_front(const struct dish_queue *q)
{
	return q->len ? q->ring[q->head] : NULL;
}

static inline size_t dish_queue_len(const struct dish_queue *q)
{
	return q->len;
}
