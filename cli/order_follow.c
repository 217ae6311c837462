/*
 * order --follow (and `follow`): print every event of the followed orders as
 * it comes, until each is done; then the final reports (--json).
 *
 * Events can be missed (a subscriber is never told), so the orders are also
 * checked with SHOW: when an order's DONE arrives, when nothing came for a
 * second, and every few seconds anyway. Whatever outcome was missed is told
 * from the report before the order counts as done, so there is always one
 * "O- Served"/"O- Failed" line (or event) per dish, and one "done" per order.
 *
 * A report that says done does not end an order whose events are still on
 * their way. An order placed here with --follow was held by kitchend until
 * our subscription arrived, so each of its events is published for us and
 * its DONE is the last: it ends with its DONE, and with its report only when
 * events went missing (a gap in seq) or none came for FOLLOW_DONE_GRACE_MS
 * (its DONE was dropped, kitchend restarted). A kitchenctl slower than the
 * kitchen (a loaded machine) then still prints every stage line. An order
 * followed after it was placed (`follow`, or an idempotency key used again)
 * may be done long ago and send nothing: its report ends it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "guard.h"
#include "order.h"
#include "term.h"
#include "util.h"

#define FOLLOW_IDLE_MS  1000   /* no event this long: ask */
#define FOLLOW_CHECK_MS 5000   /* and ask this often, events or not */
#define FOLLOW_EARLY_MS 200    /* the first report said done: ask again soon */
#define FOLLOW_DONE_GRACE_MS 10000  /* an order held for us, done: silence before its report ends it */
#define FOLLOW_CLOCK_SLACK_MS 200   /* kitchend's clock behind ours: still an order made since */

struct entry {
	uint64_t id;
	struct order *order;
	uint64_t seq;         /* of the last event received; 0: none yet */
	uint64_t last_ms;     /* when it came (or when following began) */
	bool missed;          /* a gap in seq: kitchend dropped some */
};

static int entry_compare(const void *a, const void *b)
{
	uint64_t x = ((const struct entry *) a)->id, y = ((const struct entry *) b)->id;

	return x < y ? -1 : x > y;
}

/* A STAGE, SERVED, FAILED or CANCELLED event. */
static void event_print(struct ctl *ctl, const struct follow_event *ev)
{
	struct json j;

	if (!ctl->json) {
		/* The order first: two orders of one dish must be told apart. */
		if (ev->cmd == PROTO_STAGE)
			term_printf(stdout, "order %llu: %s#%llu [%s] %s\n", (unsigned long long) ev->order,
				    ev->dish, (unsigned long long) ev->index, ev->chef, ev->text);
		else if (ev->cmd == PROTO_SERVED)
			order_outcome_print(ctl, ev->order, "Served", ev->dish, NULL);
		else if (ev->cmd == PROTO_CANCELLED)
			order_outcome_print(ctl, ev->order, "Cancelled", ev->dish, ev->text);
		else
			order_outcome_print(ctl, ev->order, "Failed", ev->dish, ev->text);
		fflush(stdout);
		return;
	}

	json_init(&j, stdout);
	json_object_begin(&j);
	json_key_string(&j, "event", ev->cmd == PROTO_STAGE ? "stage" :
				     ev->cmd == PROTO_SERVED ? "served" :
				     ev->cmd == PROTO_CANCELLED ? "cancelled" : "failed");
	json_key_u64(&j, "order", ev->order);
	json_key_u64(&j, "index", ev->index);
	json_key_string(&j, "dish", ev->dish);
	json_key_string(&j, "chef", ev->chef);
	if (ev->cmd == PROTO_STAGE)
		json_key_string(&j, "text", ev->text);
	else if (ev->cmd == PROTO_SERVED) {
		json_key_string(&j, "result", ev->text);
		json_key_lines(&j, "items", ev->items);
	} else
		json_key_string(&j, "reason", ev->text);
	json_object_end(&j);
	json_newline(&j);
	fflush(stdout);
}

static void done_json(const struct order *o)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_key_string(&j, "event", "done");
	json_key_u64(&j, "order", o->id);
	json_key_string(&j, "state", proto_state_name(o->report->state));
	json_key_u64(&j, "served", o->report->served);
	json_key_u64(&j, "failed", o->report->failed);
	json_key_u64(&j, "cancelled", o->report->cancelled);
	json_object_end(&j);
	json_newline(&j);
	fflush(stdout);
}

/* Ask for @o's report; if it is done, tell what was missed and close it. */
static int finish(struct ctl *ctl, struct order *o, size_t *left)
{
	int r;

	r = order_refresh(ctl, o, 0);
	if (r < 0)
		return r;
	if (!report_state_done(o->report->state))
		return 0;
	for (size_t i = 0; i < o->report->n_dishes; i++)
		order_tell(ctl, o, i);
	if (ctl->json)
		done_json(o);
	o->done = true;
	(*left)--;
	return 0;
}

/*
 * Whether @e's report may end it: see the top of this file. An order made
 * before we subscribed (an idempotency key used again: the order of then)
 * was not held for us; FOLLOW_CLOCK_SLACK_MS allows for kitchend's clock.
 */
static bool report_ends(const struct ctl *ctl, const struct entry *e, uint64_t now)
{
	bool ours = ctl->order_mode == ORDER_FOLLOW &&
		    e->order->report->created_ms + FOLLOW_CLOCK_SLACK_MS >= ctl->follow_wall_ms;

	return !ours || e->missed || now - e->last_ms >= FOLLOW_DONE_GRACE_MS;
}

static int check_all(struct ctl *ctl, struct entry *index, size_t n, size_t *left)
{
	uint64_t now = now_ms();
	int r;

	for (size_t i = 0; i < n; i++) {
		if (index[i].order->done || !report_ends(ctl, &index[i], now))
			continue;
		r = finish(ctl, index[i].order, left);
		if (r < 0)
			return r;
	}
	return 0;
}

static int handle(struct ctl *ctl, struct order *o, const struct follow_event *ev, size_t *left)
{
	if (ev->cmd == PROTO_STAGE)
		event_print(ctl, ev);
	else if (ev->cmd == PROTO_SERVED || ev->cmd == PROTO_FAILED || ev->cmd == PROTO_CANCELLED) {
		if (ev->index >= o->report->n_dishes || o->told[ev->index])
			return 0;
		o->told[ev->index] = true;
		event_print(ctl, ev);
	} else if (ev->cmd == PROTO_DONE)
		/* The report has what the events may have missed. */
		return finish(ctl, o, left);
	/* ORDERED: already said, from the report. */
	return 0;
}

int order_follow(struct ctl *ctl, struct follow *f, struct order_batch *b)
{
	_cleanup_free_ struct entry *index = NULL;
	struct follow_event ev = { 0 };
	uint64_t last_event, last_check;
	bool warned = false, early = false;
	size_t left = b->n;
	int r = 0;

	index = calloc(b->n, sizeof(*index));
	if (!index)
		return ctl_error(-ENOMEM, "%m");
	ctl->many_orders = b->n > 1;
	last_event = last_check = now_ms();
	for (size_t i = 0; i < b->n; i++)
		index[i] = (struct entry) { .id = b->orders[i].id, .order = &b->orders[i], .last_ms = last_event };
	qsort(index, b->n, sizeof(*index), entry_compare);

	/* A report that says done already is no reason to stop: a quick dish
	 * may have been cooked between our subscription and that SHOW, and its
	 * events are on their way. But an order done long ago (its key was used
	 * before) sends none, so do not wait long for those. */
	for (size_t i = 0; i < b->n; i++)
		early |= report_state_done(b->orders[i].report->state);

	while (r >= 0 && left > 0) {
		uint64_t idle = early ? FOLLOW_EARLY_MS : FOLLOW_IDLE_MS, until = ctl_deadline_left(ctl);
		struct entry key, *e;
		uint64_t now;

		if (until == 0) {
			r = ctl_deadline_passed(ctl);
			break;
		}
		r = follow_next(f, until < idle ? until : idle, &ev);
		now = now_ms();
		if (r == 0) {
			last_event = now;
			key.id = ev.order;
			e = bsearch(&key, index, b->n, sizeof(*index), entry_compare);
			if (e && e->seq && ev.seq > e->seq + 1) {
				/* kitchend dropped events for us (we were slow): the
				 * report fills in the outcomes, and soon. */
				ctl_note("order %llu: missed %llu events (kitchend drops events for a follower "
					  "that reads too slowly); its report fills in what they said",
					  (unsigned long long) ev.order, (unsigned long long) (ev.seq - e->seq - 1));
				last_check = 0;
				e->missed = true;
			}
			if (e) {
				e->seq = ev.seq;
				e->last_ms = now;
			}
			if (e && !e->order->done)
				r = handle(ctl, e->order, &ev, &left);
		} else if (r == -EBADMSG) {
			if (!warned)
				ctl_error(r, "ignoring a malformed event from kitchend");
			warned = true;
			r = 0;
		} else if (r == -EAGAIN)
			r = 0;
		else if (r == -ENOBUFS)
			r = ctl_error(r, "kitchend's events are larger than the protocol allows "
				      "(over %llu MiB queued): dropped", GUARD_MAX_BYTES >> 20);
		else
			r = ctl_error(r, "failed to receive events: %m");
		if (r < 0)
			break;

		if ((now - last_event >= idle && now - last_check >= idle) ||
		    now - last_check >= FOLLOW_CHECK_MS) {
			last_check = now;
			early = false;
			r = check_all(ctl, index, b->n, &left);
		}
	}
	follow_event_clear(&ev);
	if (r < 0)
		return r;

	if (ctl->json)
		order_batch_json(b, false);
	return 0;
}
