/*
 * order --wait (and `wait`): long-poll the orders with WAITs, a window of
 * them in flight (order_window.h), a WAITS for each run of consecutive ids
 * where each order's state is enough (text without --output), and print the
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

/* WAIT order @o (@n 0), or WAITS for the @n orders of consecutive ids
 * from it, on idle @slot, for at most @poll_ms and not past the --deadline. Said. */
static int send_wait(struct ctl *ctl, struct order_window *w, size_t slot, const struct order *o, size_t n,
		     uint64_t poll_ms)
{
	uint64_t left = ctl_deadline_left(ctl), ms = left < poll_ms ? left : poll_ms;
	enum proto_cmd cmd = n ? PROTO_WAITS : PROTO_WAIT;
	char id[24], count[24], wait[24];
	struct proto_field f[3];
	size_t k = 0;
	int r;

	snprintf(id, sizeof(id), "%llu", (unsigned long long) o->id);
	snprintf(count, sizeof(count), "%zu", n);
	snprintf(wait, sizeof(wait), "%llu", (unsigned long long) (ms ? ms : 1));
	f[k++] = (struct proto_field) { id, strlen(id) };
	if (n)
		f[k++] = (struct proto_field) { count, strlen(count) };
	f[k++] = (struct proto_field) { wait, strlen(wait) };
	r = order_window_send(w, slot, cmd, f, k, ms);
	return r < 0 ? ctl_call_failed(ctl, w->slots[slot], cmd, r) : 0;
}

/* Where an order stands in the window. */
enum asked {
	ASKED_NOT,        /* in no request */
	ASKED_SENT,       /* in a WAIT or WAITS in flight */
	ASKED_REPORT,     /* done but not served, as a WAITS said: a WAIT brings its reasons */
};

/* What a slot carries: a WAIT for order @first (n 0), or a WAITS for @n from it. */
struct run {
	size_t first, n;
};

/* How many orders from @i on may go in one WAITS: those not asked and not
 * done, of consecutive ids, at most PROTO_WAITS_MAX_ORDERS. A WAITS says
 * only each one's state: enough for text without --output (a served dish
 * is told by its name), never for --json nor --output. */
static size_t run_of(const struct ctl *ctl, const struct order_batch *b, const uint8_t *asked, size_t i)
{
	size_t n = 0;

	if (ctl->json || ctl->output)
		return 0;
	while (i + n < b->n && n < PROTO_WAITS_MAX_ORDERS) {
		const struct order *o = &b->orders[i + n];

		if (asked[i + n] != ASKED_NOT || report_state_done(o->report->state) || o->report->n_dishes == 0 ||
		    o->id != b->orders[i].id + n)
			break;
		n++;
	}
	return n;
}

/* A WAITS reply for @run: each served order taken as such, the others not
 * done asked again, those failed, cancelled or unknown asked with a WAIT.
 * *first_left: the first of them. */
static int take_states(struct order_batch *b, const struct run *run, const struct proto_msg *m, uint8_t *asked,
		       size_t *first_left)
{
	*first_left = b->n;
	if (m->n_fields != run->n)
		return ctl_bad_reply(-EBADMSG, PROTO_WAITS);
	for (size_t i = 0; i < run->n; i++) {
		struct order *o = &b->orders[run->first + i];
		struct proto_field f[PROTO_WAITS_GROUP];
		uint64_t id, dishes;
		int state;

		if (proto_unpack(&m->fields[i], f, PROTO_WAITS_GROUP) < 0 || proto_field_u64(&f[0], &id) < 0 ||
		    proto_field_u64(&f[2], &dishes) < 0 || id != o->id)
			return ctl_bad_reply(-EBADMSG, PROTO_WAITS);
		state = proto_state_from_name(f[1].data, f[1].len);
		asked[run->first + i] = ASKED_NOT;
		if (state == PROTO_STATE_SERVED) {
			/* The dishes of an order never change. */
			if (dishes != o->report->n_dishes)
				return ctl_bad_reply(-EBADMSG, PROTO_WAITS);
			if (!o->told) {
				o->told = calloc(dishes ? dishes : 1, sizeof(*o->told));
				if (!o->told)
					return ctl_error(-ENOMEM, "%m");
			}
			order_report_served(o->report);
			continue;
		}
		if (state != PROTO_STATE_QUEUED && state != PROTO_STATE_COOKING)
			asked[run->first + i] = ASKED_REPORT;
		if (*first_left == b->n)
			*first_left = run->first + i;
	}
	return 0;
}

int order_wait(struct ctl *ctl, struct order_batch *b)
{
	struct bar *bar = &b->bar;
	_cleanup_free_ struct run *runs = NULL;
	_cleanup_free_ uint8_t *asked = NULL;
	struct order_window *w = NULL;
	size_t told = 0, next = 0, n_slots = b->n < WAIT_WINDOW ? b->n : WAIT_WINDOW;
	uint64_t poll_ms;
	int r;

	if (!bar->start_ms)
		bar_init(bar);
	bar_phase(bar, "done");
	poll_ms = bar->on ? WAIT_POLL_BAR_MS : WAIT_POLL_MS;
	ctl->many_orders = b->n > 1;

	runs = calloc(n_slots ? n_slots : 1, sizeof(*runs));
	asked = calloc(b->n ? b->n : 1, sizeof(*asked));
	if (!runs || !asked)
		return ctl_error(-ENOMEM, "%m");
	r = tell_done(ctl, b, &told);
	if (r < 0 || told == b->n)
		goto out;
	r = order_window_open(ctl, n_slots, &w);
	if (r < 0)
		goto out;

	/* A window of WAITs and WAITS over the orders not done, told in order as they are. */
	while (told < b->n) {
		struct run *run;
		size_t slot, left;

		for (next = next < told ? told : next; next < b->n; next++) {
			size_t n;
			int i;

			if (asked[next] == ASKED_SENT || report_state_done(b->orders[next].report->state))
				continue;
			i = order_window_idle(w);
			if (i < 0)
				break;
			n = run_of(ctl, b, asked, next);
			n = n > 1 ? n : 0;  /* a run of one is a WAIT */
			r = send_wait(ctl, w, (size_t) i, &b->orders[next], n, poll_ms);
			if (r < 0)
				goto out;
			runs[i] = (struct run) { next, n };
			for (size_t k = next; k < next + (n ? n : 1); k++)
				asked[k] = ASKED_SENT;
			next += n ? n - 1 : 0;
		}
		progress(bar, b);
		r = order_window_next(ctl, w, next < b->n, &slot);
		if (r == -EAGAIN && slot >= w->n)
			continue;  /* a connection came up: send on it */
		if (slot >= w->n) {
			r = order_window_failed(ctl, w, PROTO_WAIT, r);
			goto out;
		}
		run = &runs[slot];
		if (r < 0) {
			b->wait_refused = r == -EREMOTEIO && order_wait_refused(w->slots[slot]->err_code);
			r = ctl_call_failed(ctl, w->slots[slot], run->n ? PROTO_WAITS : PROTO_WAIT, r);
			goto out;
		}
		if (run->n) {
			/* The orders left are asked again from the first of them. */
			r = take_states(b, run, w->slots[slot]->reply, asked, &left);
			if (r < 0)
				goto out;
		} else {
			asked[run->first] = ASKED_NOT;
			r = order_take_report(&b->orders[run->first], w->slots[slot]->reply, PROTO_WAIT);
			if (r < 0)
				goto out;
			left = report_state_done(b->orders[run->first].report->state) ? b->n : run->first;
		}
		/* Not done yet: the long poll ended; ask again. */
		if (left < b->n && !report_state_done(b->orders[left].report->state) && asked[left] == ASKED_NOT &&
		    ctl_deadline_left(ctl) == 0) {
			r = ctl_deadline_passed(ctl);
			goto out;
		}
		if (left < next)
			next = left;
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
