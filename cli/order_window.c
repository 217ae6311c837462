/* The window of REQ sockets order_window.h describes. */
#include "order_window.h"

#include <errno.h>
#include <stdlib.h>
#include <zmq.h>

#include "util.h"

#define WINDOW_SLICE_MS 10   /* how often the guard looks while nothing comes */

void order_window_free(struct order_window **w)
{
	if (!w || !*w)
		return;
	for (size_t i = 0; i < (*w)->n; i++)
		client_free(&(*w)->slots[i]);
	free((*w)->slots);
	free((*w)->items);
	free((*w)->sent_ms);
	free((*w)->dead);
	free(*w);
	*w = NULL;
}

int order_window_new(struct ctl *ctl, size_t n, struct order_window **ret)
{
	struct order_window *w = calloc(1, sizeof(*w));
	zmq_pollitem_t *items;
	int r;

	if (!w)
		return -ENOMEM;
	w->n = n;
	w->slots = calloc(n, sizeof(*w->slots));
	w->items = items = calloc(n, sizeof(*items));
	w->sent_ms = calloc(n, sizeof(*w->sent_ms));
	w->dead = calloc(n, sizeof(*w->dead));
	if (!w->slots || !w->items || !w->sent_ms || !w->dead) {
		order_window_free(&w);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		r = client_new(ctl->zctx, ctl->control, ctl->timeout_ms, ctl->curve, &w->slots[i]);
		if (r < 0) {
			order_window_free(&w);
			return r;
		}
		items[i] = (zmq_pollitem_t) { .socket = w->slots[i]->sock };
	}
	w->scan = n;
	guard_reset(&w->guard);
	*ret = w;
	return 0;
}

int order_window_idle(const struct order_window *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (!w->sent_ms[i] && !w->dead[i])
			return (int) i;
	return -EBUSY;
}

int order_window_send(struct order_window *w, size_t i, enum proto_cmd cmd, const struct proto_field *fields,
		      size_t n)
{
	zmq_pollitem_t *items = w->items;
	int r = client_send_fields(w->slots[i], cmd, fields, n);

	if (r < 0)
		return r;
	w->sent_ms[i] = now_ms();
	if (w->sent_ms[i] == 0)
		w->sent_ms[i] = 1;
	items[i].events = ZMQ_POLLIN;
	items[i].revents = 0;
	w->busy++;
	return 0;
}

static void settle(struct order_window *w, size_t i, bool dead)
{
	zmq_pollitem_t *items = w->items;

	w->sent_ms[i] = 0;
	w->dead[i] = dead;
	items[i].events = 0;
	items[i].revents = 0;
	w->busy--;
}

/* The reply of a slot the last poll found readable, or -EAGAIN when none is left. */
static int take_polled(struct order_window *w, size_t *ret_slot)
{
	zmq_pollitem_t *items = w->items;

	for (; w->scan < w->n; w->scan++) {
		size_t i = w->scan;
		int r;

		if (!(items[i].revents & ZMQ_POLLIN) || !w->sent_ms[i])
			continue;
		items[i].revents = 0;
		r = client_take(w->slots[i]);
		if (r == -EAGAIN)
			continue;
		settle(w, i, false);
		*ret_slot = i;
		return r;
	}
	return -EAGAIN;
}

int order_window_next(const struct ctl *ctl, struct order_window *w, size_t *ret_slot)
{
	for (;;) {
		uint64_t oldest = UINT64_MAX, now, wait, left;
		size_t old = 0;
		int r = take_polled(w, ret_slot);

		if (r != -EAGAIN)
			return r;
		if (w->busy == 0)
			return -EIDRM;
		/* Replies taken since the last look are ours to keep: a new baseline. */
		guard_reset(&w->guard);
		for (size_t i = 0; i < w->n; i++)
			if (w->sent_ms[i] && w->sent_ms[i] < oldest) {
				oldest = w->sent_ms[i];
				old = i;
			}
		for (;;) {
			now = now_ms();
			left = ctl_deadline_left(ctl);
			if (left == 0)
				return -ETIME;
			if (now >= oldest + ctl->timeout_ms) {
				settle(w, old, true);
				*ret_slot = old;
				return -ETIMEDOUT;
			}
			wait = oldest + ctl->timeout_ms - now;
			wait = wait < left ? wait : left;
			r = zmq_poll(w->items, (int) w->n, (long) (wait < WINDOW_SLICE_MS ? wait : WINDOW_SLICE_MS));
			if (r < 0 && errno != EINTR)
				return -errno;
			if (r > 0)
				break;
			r = guard_check(&w->guard);
			if (r < 0)
				return r;
		}
		w->scan = 0;
	}
}
