/*
 * order --wait (and `wait`): long-poll each order with WAIT and print the
 * dishes' outcomes in the order they were ordered, each as soon as all before
 * it are out (like executor.map: the results come back in the order asked for).
 * With --output, the outputs of each order instead, once it is done and the
 * orders before it are out.
 */
#include <stdio.h>
#include <unistd.h>

#include "bar.h"
#include "order.h"

/* How long kitchend may hold one WAIT; a terminal's bar wants fresher news. */
#define WAIT_POLL_MS 1000
#define WAIT_POLL_BAR_MS 250

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

int order_wait(struct ctl *ctl, struct order_batch *b)
{
	struct bar *bar = &b->bar;
	uint64_t poll_ms;
	int r = 0;

	if (!bar->start_ms)
		bar_init(bar);
	bar_phase(bar, "done");
	poll_ms = bar->on ? WAIT_POLL_BAR_MS : WAIT_POLL_MS;
	ctl->many_orders = b->n > 1;

	for (size_t i = 0; i < b->n; i++) {
		struct order *o = &b->orders[i];

		for (;;) {
			uint64_t left = ctl_deadline_left(ctl);

			tell_ready(ctl, bar, o);
			if (report_state_done(o->report->state))
				break;
			progress(bar, b);
			/* A long poll no longer than the --deadline allows. */
			r = left ? order_refresh(ctl, o, left < poll_ms ? left : poll_ms) : ctl_deadline_passed(ctl);
			if (r < 0) {
				bar_finish(bar);
				return r;
			}
		}
		o->done = true;
		if (ctl->output) {
			bar_clear(bar);
			r = order_output(ctl, b, o);
			if (r < 0) {
				bar_finish(bar);
				return r;
			}
		}
	}
	bar_finish(bar);

	if (ctl->json)
		order_batch_json(b);
	return 0;
}
