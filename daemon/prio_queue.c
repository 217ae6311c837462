#include "prio_queue.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>

void prio_queue_init(struct prio_queue *q)
{
	*q = (struct prio_queue) { 0 };
	for (unsigned p = 0; p <= PROTO_PRIORITY_MAX; p++)
		dish_queue_init(&q->by_priority[p]);
}

void prio_queue_finish(struct prio_queue *q)
{
	for (unsigned p = 0; p <= PROTO_PRIORITY_MAX; p++)
		dish_queue_finish(&q->by_priority[p]);
	*q = (struct prio_queue) { 0 };
}

int prio_queue_reserve(struct prio_queue *q, unsigned priority, size_t n)
{
	assert(priority >= PROTO_PRIORITY_MIN && priority <= PROTO_PRIORITY_MAX);
	return dish_queue_reserve(&q->by_priority[priority], n);
}

static int push(struct prio_queue *q, struct dish *d, unsigned priority, bool front)
{
	struct dish_queue *dq;
	int r;

	assert(priority >= PROTO_PRIORITY_MIN && priority <= PROTO_PRIORITY_MAX);
	dq = &q->by_priority[priority];
	r = front ? dish_queue_push_front(dq, d) : dish_queue_push_back(dq, d);
	if (r < 0)
		return r;
	q->nonempty |= 1u << priority;
	q->len++;
	return 0;
}

int prio_queue_push_back(struct prio_queue *q, struct dish *d, unsigned priority)
{
	return push(q, d, priority, false);
}

int prio_queue_push_front(struct prio_queue *q, struct dish *d, unsigned priority)
{
	return push(q, d, priority, true);
}

struct dish *prio_queue_pop_front(struct prio_queue *q)
{
	unsigned p = prio_queue_top(q);
	struct dish *d;

	if (!p)
		return NULL;
	d = dish_queue_pop_front(&q->by_priority[p]);
	if (dish_queue_len(&q->by_priority[p]) == 0)
		q->nonempty &= ~(1u << p);
	q->len--;
	return d;
}

void prio_queue_filter(struct prio_queue *q, bool (*gone)(struct dish *d, void *u), void *u)
{
	for (unsigned p = PROTO_PRIORITY_MIN; p <= PROTO_PRIORITY_MAX; p++) {
		struct dish_queue *dq = &q->by_priority[p];
		size_t n = dish_queue_len(dq);

		for (size_t i = 0; i < n; i++) {
			struct dish *d = dish_queue_pop_front(dq);

			if (!gone(d, u))
				(void) dish_queue_push_back(dq, d);  /* the slot it left: cannot fail */
			else
				q->len--;
		}
		if (dish_queue_len(dq) == 0)
			q->nonempty &= ~(1u << p);
	}
}
