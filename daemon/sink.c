/*
 * sink — what chefs report: stage lines of followed dishes, and results.
 *
 * A result counts only for the dish's current attempt on the chef that holds
 * it; anything else (a chef declared dead that was only slow, a dish already
 * taken back) is stale: counted and ignored, so nothing is served twice.
 */
#include <errno.h>
#include <string.h>

#include "kitchen.h"
#include "log.h"
#include "util.h"

/* Results (RESULT groups, one a dish) and PROGRESS lines read in one loop
 * turn at most, so that a burst never keeps the loop from its timers. */
#define SINK_DISHES_PER_TURN 1024

void sink_dish_failed(struct kitchen *k, struct dish *d, const char *chef, const char *reason)
{
	struct order *o = d->order;
	int r;

	d->state = PROTO_STATE_FAILED;
	k->n_failed++;
	o->n_failed++;
	log_fields(LOG_WARNING, 0, &(struct log_about) { .order = o->id, .dish = d->id, .chef = chef },
		   "Order %llu: %s #%u failed: %s", (unsigned long long) o->id, d->item->name, d->index, reason);
	r = store_dish_failed(k->store, d->id, d->attempts, chef, reason);
	if (r < 0)
		log_error_errno(r, "Failed to record dish %llu failing: %m", (unsigned long long) d->id);
	events_failed(k, d, chef, reason);
	if (order_done(o))
		kitchen_order_finished(k, o);
}

static struct chef *sender(struct kitchen *k, const struct proto_msg *m)
{
	const struct proto_field *id = &m->fields[0];
	struct chef *c = chef_list_find(&k->chefs, id->data, id->len);

	if (c)
		c->last_seen_ms = now_ms();
	return c;
}

static void progress(struct kitchen *k, const struct proto_msg *m)
{
	uint64_t dish_id, attempt;
	char *text = k->scratch[0];
	struct chef *c;

	if (proto_u64(m, 1, &dish_id) < 0 || proto_u64(m, 2, &attempt) < 0 ||
	    proto_str(m, 3, text, PROTO_MAX_FIELD + 1) < 0)
		return kitchen_malformed(k, "sink", "bad PROGRESS");
	c = sender(k, m);
	for (unsigned i = 0; c && i < c->n_inflight; i++) {
		const struct dish *d = c->inflight[i];
		if (d->id == dish_id && d->attempts == attempt) {
			events_stage(k, d, c->name, text);
			return;
		}
	}
	k->n_stale++;
}

static void served(struct kitchen *k, struct chef *c, struct dish *d, const char *result, const char *items)
{
	struct order *o = d->order;
	int r;

	d->state = PROTO_STATE_SERVED;
	k->n_cooking--;
	k->n_served++;
	o->n_served++;
	c->served++;
	r = store_dish_served(k->store, d->id, d->attempts, c->name, result, items);
	if (r < 0)
		log_error_errno(r, "Failed to record dish %llu served: %m", (unsigned long long) d->id);
	events_served(k, d, c->name, result, items);
	if (order_done(o))
		kitchen_order_finished(k, o);
}

static void result(struct kitchen *k, const struct proto_msg *m)
{
	char *res = k->scratch[1], *items = k->scratch[2];
	size_t groups = proto_groups(m);
	struct chef *c = sender(k, m);

	for (size_t g = 0; g < groups; g++) {
		size_t f = proto_group_field(m, g, 0);
		uint64_t dish_id, attempt;
		struct dish *d;
		bool ok;

		if (proto_u64(m, f, &dish_id) < 0 || proto_u64(m, f + 1, &attempt) < 0 ||
		    !(proto_field_is(m, f + 2, PROTO_OUTCOME_SERVED) || proto_field_is(m, f + 2, PROTO_OUTCOME_FAILED)) ||
		    proto_str(m, f + 3, res, PROTO_MAX_FIELD + 1) < 0 ||
		    proto_str(m, f + 4, items, PROTO_MAX_FIELD + 1) < 0) {
			kitchen_malformed(k, "sink", "bad RESULT");
			continue;
		}
		ok = proto_field_is(m, f + 2, PROTO_OUTCOME_SERVED);
		d = c ? chef_release(c, dish_id, (unsigned) attempt) : NULL;
		if (!d && c && chef_dropped(c, dish_id, (unsigned) attempt)) {
			log_debug("Chef %s let go of dish %llu attempt %llu as told", c->name,
				  (unsigned long long) dish_id, (unsigned long long) attempt);
			continue;
		}
		if (!d) {
			k->n_stale++;
			log_debug("Ignoring a stale result for dish %llu attempt %llu (%llu stale messages so far)",
				  (unsigned long long) dish_id, (unsigned long long) attempt,
				  (unsigned long long) k->n_stale);
			continue;
		}
		if (ok) {
			served(k, c, d, res, items);
			continue;
		}
		/* The chef could not cook it: another attempt, maybe elsewhere. */
		char reason[PROTO_MAX_NAME + 300];
		snprintf(reason, sizeof(reason), "chef %s: %.256s", c->name, res);
		k->n_cooking--;
		d->state = PROTO_STATE_QUEUED;
		if (d->attempts >= k->config->dishes_max_attempts) {
			char why[sizeof(reason) + 64];
			snprintf(why, sizeof(why), "gave up after %u attempts; last: %s", d->attempts, reason);
			sink_dish_failed(k, d, c->name, why);
			continue;
		}
		k->n_queued++;
		(void) store_dish_requeued(k->store, d->id, d->attempts, c->name, reason);
		if (dish_queue_push_front(&k->queue, d) < 0)
			log_error("Failed to queue dish %llu again: out of memory", (unsigned long long) d->id);
	}
}

bool sink_read(struct kitchen *k)
{
	for (size_t n = 0; n < SINK_DISHES_PER_TURN; n++) {
		struct proto_msg *m = k->msg;
		int r = proto_recv(k->sink, 0, m, ZMQ_DONTWAIT);

		if (r == -EAGAIN)
			return false;
		if (r < 0) {
			kitchen_refused(k, "sink", m);
			continue;
		}
		switch (m->cmd) {
		case PROTO_PROGRESS:
			progress(k, m);
			break;
		case PROTO_RESULT:
			result(k, m);
			n += proto_groups(m) - 1;  /* a chef's batch: one group a dish */
			break;
		case PROTO_ORDER: case PROTO_WAIT: case PROTO_SHOW: case PROTO_STATUS:
		case PROTO_MENU: case PROTO_CHEFS: case PROTO_DRAIN: case PROTO_RELOAD:
		case PROTO_OK: case PROTO_ERR: case PROTO_READY: case PROTO_HEARTBEAT:
		case PROTO_DISH: case PROTO_CANCEL: case PROTO_ORDERED: case PROTO_STAGE:
		case PROTO_SERVED: case PROTO_FAILED: case PROTO_DONE: case PROTO_CHEF:
		case _PROTO_CMD_MAX:
			kitchen_malformed(k, "sink", "unexpected command");
			break;
		}
	}
	return true;  /* budget spent: there may be more */
}
