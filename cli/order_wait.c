/*
 * order --wait (and `wait`): long-poll the orders with WAITs, a window of
 * them in flight (order_window.h), and print the
 * dishes' outcomes in the order they were ordered, each as soon as all before
 * it are out (like executor.map: the results come back in the order asked for).
 * With --output, the outputs of each order instead, once it is done and the
 * orders before it are out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bar.h"
#include "order.h"
#include "order_window.h"
#include "util.h"

/* How long kitchend may hold one WAIT; a terminal's bar wants fresher news. */
#define WAIT_POLL_MS 1000
#define WAIT_POLL_BAR_MS 250
/* WAITs in flight at once: orders done out of turn are known by the time
 * their turn comes, instead of a round trip each after it. */
#define WAIT_WINDOW 16

static void progress(struct bar *bar, const struct order_batch *b)
{
	uint64_t done = 0, total = 0;

	if (!bar_due(bar))
		return;
	for (size_t i = 0; i < b->n; i++) {
		const struct order_report *r = b->orders[i].report;

		done += r->served + r->failed + r->cancelled;
		total += r->n_dishes;
	}
	bar_draw(bar, done > total ? total : done, total);
}

/* Tell the dishes of @o that are done and next in line; all of them once @o is done. */
static void tell_ready(struct ctl *ctl, struct bar *bar, struct order *o)
{
	const struct order_report *r = o->report;
	bool cleared = false;

	while (o->next < r->n_dishes &&
	       (report_state_done(r->state) || report_state_done(r->dishes[o->next].state))) {
		if (!ctl->json && !ctl->output) {
			if (!cleared)
				bar_clear(bar);
			cleared = true;
			order_tell(ctl, o, o->next);
		}
		o->next++;
	}
}

/* Print what is done of the orders from *told on, in order; *told moves past the done ones. */
static int tell_done(struct ctl *ctl, struct order_batch *b, size_t *told)
{
	while (*told < b->n) {
		struct order *o = &b->orders[*told];
		int r;

		tell_ready(ctl, &b->bar, o);
		if (!report_state_done(o->report->state))
			return 0;
		o->done = true;
		if (ctl->output) {
			bar_clear(&b->bar);
			r = order_output(ctl, b, o);
			if (r < 0)
				return r;
		}
		(*told)++;
	}
	return 0;
}

/* WAIT order @o on idle @slot, for at most @poll_ms and not past the --deadline. Said. */
static int send_wait(struct ctl *ctl, struct order_window *w, size_t slot, const struct order *o,
		     uint64_t poll_ms)
{
	uint64_t left = ctl_deadline_left(ctl), ms = left < poll_ms ? left : poll_ms;
	char id[24], wait[24];
	struct proto_field f[2];
	int r;

	snprintf(id, sizeof(id), "%llu", (unsigned long long) o->id);
	snprintf(wait, sizeof(wait), "%llu", (unsigned long long) (ms ? ms : 1));
	f[0] = (struct proto_field) { id, strlen(id) };
	f[1] = (struct proto_field) { wait, strlen(wait) };
	r = order_window_send(w, slot, PROTO_WAIT, f, 2, ms);
	return r < 0 ? ctl_call_failed(ctl, w->slots[slot], PROTO_WAIT, r) : 0;
}

int order_wait(struct ctl *ctl, struct order_batch *b)
{
	struct bar *bar = &b->bar;
	_cleanup_free_ size_t *slot_order = NULL;
	struct order_window *w = NULL;
	size_t told = 0, next = 0, n_slots = b->n < WAIT_WINDOW ? b->n : WAIT_WINDOW;
	uint64_t poll_ms;
	int r;

	if (!bar->start_ms)
		bar_init(bar);
	bar_phase(bar, "done");
	poll_ms = bar->on ? WAIT_POLL_BAR_MS : WAIT_POLL_MS;
	ctl->many_orders = b->n > 1;

	slot_order = calloc(n_slots ? n_slots : 1, sizeof(*slot_order));
	if (!slot_order)
		return ctl_error(-ENOMEM, "%m");
	r = tell_done(ctl, b, &told);
	if (r < 0 || told == b->n)
		goto out;
	r = order_window_open(ctl, n_slots, &w);
	if (r < 0)
		goto out;

	/* A window of WAITs over the orders not done, told in order as they are. */
	while (told < b->n) {
		size_t slot;

		for (next = next < told ? told : next; next < b->n; next++) {
			int i;

			if (report_state_done(b->orders[next].report->state))
				continue;
			i = order_window_idle(w);
			if (i < 0)
				break;
			r = send_wait(ctl, w, (size_t) i, &b->orders[next], poll_ms);
			if (r < 0)
				goto out;
			slot_order[i] = next;
		}
		progress(bar, b);
		r = order_window_next(ctl, w, next < b->n, &slot);
		if (r == -EAGAIN && slot >= w->n)
			continue;  /* a connection came up: send on it */
		if (slot >= w->n) {
			r = order_window_failed(ctl, w, PROTO_WAIT, r);
			goto out;
		}
		if (r < 0) {
			b->wait_refused = r == -EREMOTEIO && order_wait_refused(w->slots[slot]->err_code);
			r = ctl_call_failed(ctl, w->slots[slot], PROTO_WAIT, r);
			goto out;
		}
		r = order_take_report(&b->orders[slot_order[slot]], w->slots[slot]->reply, PROTO_WAIT);
		if (r < 0)
			goto out;
		/* Not done yet: the long poll ended; ask again on the same slot. */
		if (!report_state_done(b->orders[slot_order[slot]].report->state)) {
			if (ctl_deadline_left(ctl) == 0) {
				r = ctl_deadline_passed(ctl);
				goto out;
			}
			r = send_wait(ctl, w, slot, &b->orders[slot_order[slot]], poll_ms);
			if (r < 0)
				goto out;
		}
		r = tell_done(ctl, b, &told);
		if (r < 0)
			goto out;
	}
out:
	order_window_free(&w);
	bar_finish(bar);
	if (r >= 0 && ctl->json)
		order_batch_json(b);
	return r < 0 ? r : 0;
}
