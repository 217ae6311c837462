/* The window of REQ sockets order_window.h describes. */
#include "order_window.h"

#include <errno.h>
#include <stdlib.h>
#include <zmq.h>

#include "util.h"

#define WINDOW_SLICE_MS 10   /* how often the guard looks while nothing comes */
#define WINDOW_DROPS_MS 100  /* how often a quiet window looks for dropped connections */

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
	free((*w)->up);
	free((*w)->free);
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
	w->up = calloc(n, sizeof(*w->up));
	w->free = calloc(n, sizeof(*w->free));
	if (!w->slots || !w->items || !w->sent_ms || !w->dead || !w->up || !w->free) {
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
	w->created_ms = now_ms();
	guard_reset(&w->guard);
	*ret = w;
	return 0;
}

int order_window_idle(struct order_window *w)
{
	/* Those that answered before first: asking libzmq costs a call per slot. */
	if (w->n_free > 0)
		return (int) w->free[--w->n_free];
	for (size_t i = 0; i < w->n; i++) {
		int events = 0;
		size_t len = sizeof(events);

		/* A REQ whose connection is not up yet would block in zmq_send(). */
		if (!w->up[i] && !w->sent_ms[i] && !w->dead[i] &&
		    zmq_getsockopt(w->slots[i]->sock, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLOUT))
			return (int) i;
	}
	return -EBUSY;
}

int order_window_send(struct order_window *w, size_t i, enum proto_cmd cmd, const struct proto_field *fields,
		      size_t n, uint64_t hold_ms)
{
	zmq_pollitem_t *items = w->items;
	int r = client_send_fields(w->slots[i], cmd, fields, n);

	if (r < 0)
		return r;
	/* A slot that answered a moment ago may carry the next request at once
	 * (SHOW after ORDER): it is idle no more. */
	for (size_t k = w->n_free; k-- > 0;)
		if (w->free[k] == i) {
			w->free[k] = w->free[--w->n_free];
			break;
		}
	w->up[i] = true;
	/* Its --timeout counts from the end of the hold. */
	w->sent_ms[i] = now_ms() + hold_ms;
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
	if (!dead)
		w->free[w->n_free++] = i;
}

/* The reply of a slot the last poll found readable, or -EAGAIN when none is left
 * (then *ret_writable: an idle slot can send now). */
static int take_polled(struct order_window *w, size_t *ret_slot, bool *ret_writable)
{
	zmq_pollitem_t *items = w->items;

	for (; w->scan < w->n; w->scan++) {
		size_t i = w->scan;
		int r;

		if (!w->sent_ms[i] && (items[i].revents & ZMQ_POLLOUT))
			*ret_writable = true;
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

/* Ask zmq_poll() about the idle slots' connections too (@send), or not. */
static void watch_idle(struct order_window *w, bool send)
{
	zmq_pollitem_t *items = w->items;

	for (size_t i = 0; i < w->n; i++)
		if (!w->up[i] && !w->sent_ms[i] && !w->dead[i])
			items[i].events = send ? ZMQ_POLLOUT : 0;
}

/*
 * A busy slot whose connection dropped (kitchend restarted) gets its
 * request again (client_resend()); one that may not send it again, an
 * ORDER without a key, is settled with -ECONNRESET: its slot, or w->n.
 */
static size_t resend_dropped(const struct ctl *ctl, struct order_window *w, int *ret)
{
	for (size_t i = 0; i < w->n; i++) {
		int r;

		if (!w->sent_ms[i] || !client_dropped(w->slots[i]))
			continue;
		/* Waits for the next kitchend: every slot's connection went with the old one. */
		r = client_resend(w->slots[i], ctl->timeout_ms);
		if (r == 0) {
			w->sent_ms[i] = now_ms();
			continue;
		}
		settle(w, i, r != -ECONNRESET);
		*ret = r;
		return i;
	}
	return w->n;
}

int order_window_next(const struct ctl *ctl, struct order_window *w, bool send, size_t *ret_slot)
{
	bool writable = false;

	*ret_slot = w->n;  /* no slot's: -EAGAIN, -ETIME, -ETIMEDOUT, -ENOBUFS, -EIDRM, zmq_poll()'s */
	watch_idle(w, send);
	for (;;) {
		/* With nothing in flight, the connections have --timeout to come up. */
		uint64_t oldest = w->busy ? UINT64_MAX : w->created_ms, now, wait, left;
		size_t old = w->n;
		int r = take_polled(w, ret_slot, &writable);

		if (r != -EAGAIN)
			return r;
		if (writable)
			return -EAGAIN;
		if (w->busy == 0 && !send)
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
				if (old == w->n)
					return -ETIMEDOUT;
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
			/* A reply comes before the drop that followed it: only a quiet
			 * poll looks for drops, at most every WINDOW_DROPS_MS. */
			if (now_ms() - w->drops_ms >= WINDOW_DROPS_MS) {
				w->drops_ms = now_ms();
				*ret_slot = resend_dropped(ctl, w, &r);
				if (*ret_slot < w->n)
					return r;
			}
			r = guard_check(&w->guard);
			if (r < 0)
				return r;
		}
		w->scan = 0;
	}
}

int order_window_open(struct ctl *ctl, size_t n, struct order_window **ret)
{
	int r = ctl_connect(ctl);

	if (r < 0)
		return r;
	r = order_window_new(ctl, n, ret);
	if (r == -ENOENT || r == -ECONNREFUSED)  /* gone since ctl_connect() */
		return ctl_unreachable(r, "control", ctl->control);
	if (r < 0)
		return ctl_error(r, "failed to connect to kitchend at %s: %m", ctl->control);
	return 0;
}

int order_window_failed(struct ctl *ctl, const struct order_window *w, enum proto_cmd cmd, int r)
{
	if (r == -ETIME)
		return ctl_deadline_passed(ctl);
	if (r == -ENOBUFS || r == -ETIMEDOUT)
		return ctl_call_failed(ctl, w->slots[0], cmd, r);
	return ctl_error(r, "failed to wait for kitchend: %m");
}
