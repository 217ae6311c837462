#include "shelf.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "order.h"

void shelf_init(struct shelf *s)
{
	*s = (struct shelf) { 0 };
}

void shelf_finish(struct shelf *s)
{
	for (size_t i = 0; i < s->n_rows; i++)
		prio_queue_finish(&s->rows[i].q);
	free(s->rows);
	*s = (struct shelf) { 0 };
}

static struct shelf_row *row_of(struct shelf *s, const struct menu_item *item)
{
	for (size_t i = 0; i < s->n_rows; i++)
		if (s->rows[i].item == item)
			return &s->rows[i];
	return NULL;
}

int shelf_put(struct shelf *s, struct dish *d)
{
	struct shelf_row *row = row_of(s, d->item);
	int r;

	if (!row) {
		if (s->n_rows == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 4;
			struct shelf_row *rows = reallocarray(s->rows, cap, sizeof(*rows));
			if (!rows)
				return -ENOMEM;
			s->rows = rows;
			s->cap = cap;
		}
		row = &s->rows[s->n_rows++];
		row->item = d->item;
		row->waiting = 0;
		prio_queue_init(&row->q);
	}
	r = prio_queue_push_back(&row->q, d, d->order->priority);
	if (r < 0)
		return r;
	row->waiting++;
	s->len++;
	return 0;
}

/* Whether @a is cooked before @b. */
static bool before(const struct dish *a, const struct dish *b)
{
	if (a->order->priority != b->order->priority)
		return a->order->priority > b->order->priority;
	return a->id < b->id;
}

struct dish *shelf_best(struct shelf *s, bool (*can)(const struct menu_item *item, void *u), void *can_u,
			bool (*gone)(struct dish *d, void *u), void *gone_u)
{
	struct dish *best = NULL;

	if (s->len == 0)
		return NULL;
	for (size_t i = 0; i < s->n_rows; i++) {
		struct shelf_row *row = &s->rows[i];
		struct dish *d;

		if (prio_queue_len(&row->q) == 0 || (can && !can(row->item, can_u)))
			continue;
		while ((d = prio_queue_front(&row->q)) && gone(d, gone_u)) {
			(void) prio_queue_pop_front(&row->q);
			s->len--;
		}
		if (d && (!best || before(d, best)))
			best = d;
	}
	return best;
}

void shelf_take(struct shelf *s, struct dish *d)
{
	struct shelf_row *row = row_of(s, d->item);

	assert(row && prio_queue_front(&row->q) == d);
	(void) prio_queue_pop_front(&row->q);
	row->waiting--;
	s->len--;
}

void shelf_cancelled(struct shelf *s, const struct dish *d)
{
	struct shelf_row *row = row_of(s, d->item);

	assert(row && row->waiting > 0);
	row->waiting--;
}

void shelf_filter(struct shelf *s, bool (*gone)(struct dish *d, void *u), void *u)
{
	for (size_t i = 0; i < s->n_rows; i++) {
		size_t before_len = prio_queue_len(&s->rows[i].q);

		prio_queue_filter(&s->rows[i].q, gone, u);
		s->len -= before_len - prio_queue_len(&s->rows[i].q);
	}
}
