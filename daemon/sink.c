/*
 * sink — what chefs report. See sink.h.
 */
#include "sink.h"

#include <stdio.h>
#include <string.h>

#include "events.h"
#include "kitchen.h"
#include "log.h"
#include "orders.h"
#include "reader.h"
#include "util.h"

/* Results (RESULT groups, one a dish) and PROGRESS lines read in one loop
 * turn at most, so that a burst never keeps the loop from its timers. */
#define SINK_DISHES_PER_TURN 1024

static unsigned progress(struct kitchen *k, const struct proto_msg *m);
static unsigned result(struct kitchen *k, const struct proto_msg *m);

static const struct reader sink_reader = {
	.name = "sink",
	.n_env = 0,
	.budget = SINK_DISHES_PER_TURN,
	.handlers = {
		[PROTO_PROGRESS] = progress,
		[PROTO_RESULT] = result,
	},
};

bool sink_read(struct kitchen *k)
{
	return reader_run(k, k->sink, &sink_reader);
}

/*
 * The chef session @m comes from, by its chef_id and its token; NULL when
 * none: what it says is then stale, whether it comes from an older session
 * of that chef or from someone who learnt its chef_id.
 */
static struct chef *sender(struct kitchen *k, const struct proto_msg *m)
{
	const struct proto_field *id = &m->fields[0];
	struct chef *c = chef_list_find(&k->chefs, id->data, id->len);

	if (!c || !chef_token_is(c, &m->fields[1]))
		return NULL;
	c->last_seen_ms = now_ms();
	return c;
}

static void stale(struct kitchen *k, uint64_t dish_id, uint64_t attempt)
{
	k->n_stale++;
	log_debug("Ignoring a stale result for dish %llu attempt %llu (%llu stale messages so far)",
		  (unsigned long long) dish_id, (unsigned long long) attempt, (unsigned long long) k->n_stale);
}

static unsigned progress(struct kitchen *k, const struct proto_msg *m)
{
	uint64_t dish_id, attempt;
	char *text = k->scratch[0];
	struct chef *c;

	if (proto_u64(m, 2, &dish_id) < 0 || proto_u64(m, 3, &attempt) < 0 ||
	    proto_str(m, 4, text, PROTO_MAX_FIELD + 1) < 0) {
		malformed_count(&k->malformed, "sink", "bad PROGRESS");
		return 1;
	}
	c = sender(k, m);
	for (unsigned i = 0; c && i < c->n_inflight; i++) {
		struct dish *d = c->inflight[i];
		if (d->id == dish_id && d->attempts == attempt) {
			events_stage(k->events, d, c->name, text);
			return 1;
		}
	}
	stale(k, dish_id, attempt);
	return 1;
}

static unsigned result(struct kitchen *k, const struct proto_msg *m)
{
	char *res = k->scratch[1], *items = k->scratch[2];
	size_t groups = proto_groups(m);
	struct chef *c = sender(k, m);

	for (size_t g = 0; g < groups; g++) {
		size_t f = proto_group_field(m, g, 0);
		uint64_t dish_id, attempt;
		char reason[PROTO_MAX_NAME + 300];
		struct dish *d;

		if (proto_u64(m, f, &dish_id) < 0 || proto_u64(m, f + 1, &attempt) < 0 ||
		    !(proto_field_is(m, f + 2, PROTO_OUTCOME_SERVED) ||
		      proto_field_is(m, f + 2, PROTO_OUTCOME_FAILED)) ||
		    proto_str(m, f + 3, items, PROTO_MAX_FIELD + 1) < 0 ||
		    (proto_field_is(m, f + 2, PROTO_OUTCOME_FAILED) &&
		     proto_str(m, f + 4, res, PROTO_MAX_FIELD + 1) < 0)) {
			malformed_count(&k->malformed, "sink", "bad RESULT");
			continue;
		}
		d = c ? chef_release(c, dish_id, attempt, c->last_seen_ms /* now */) : NULL;
		if (!d && c && chef_dropped(c, dish_id, attempt)) {
			log_debug("Chef %s let go of dish %llu attempt %llu as told", c->name,
				  (unsigned long long) dish_id, (unsigned long long) attempt);
			continue;
		}
		if (!d) {
			stale(k, dish_id, attempt);
			continue;
		}
		if (proto_field_is(m, f + 2, PROTO_OUTCOME_SERVED)) {
			const struct proto_field *out = &m->fields[f + 4];  /* bytes: a program's output */
			c->served++;
			orders_served(k->orders, d, c->name, out->data, out->len, items);
			continue;
		}
		/* The chef could not cook it: another attempt, maybe elsewhere. */
		if (!d->cancelling)
			c->failed++;
		snprintf(reason, sizeof(reason), "chef %s: %.256s", c->name, res);
		orders_take_back(k->orders, d, c->name, reason, ORDERS_BACK_FAILED);
	}
	return groups ? (unsigned) groups : 1;  /* a chef's batch: one group a dish */
}
