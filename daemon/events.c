/*
 * events — the XPUB side: what kitchend tells followers, and who follows.
 * See events.h.
 */
#include "events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "malformed.h"
#include "menu.h"
#include "order.h"
#include "proto.h"
#include "socket_limits.h"

#define SUBSCRIPTIONS_PER_TURN 256

struct events {
	void *sock;
	struct malformed *malformed;
	uint64_t follow_all;      /* subscriptions that match every order's topic */
	uint64_t follow_chefs;    /* subscriptions that match the chefs' topic */
	uint64_t follow_orders;   /* subscriptions to one order's topic */
	uint64_t chef_events;     /* published on the chefs' topic: their seq */
	char names[PROTO_MAX_FIELD + 1];  /* ORDERED's dish list */
};

int events_new(void *sock, struct malformed *malformed, struct events **ret)
{
	struct events *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->sock = sock;
	e->malformed = malformed;
	*ret = e;
	return 0;
}

void events_free(struct events **e)
{
	if (!e)
		return;
	free(*e);
	*e = NULL;
}

/* "order.<id>." exactly: the id; else 0. */
static uint64_t topic_order(const char *t, size_t len)
{
	static const char prefix[] = "order.";
	uint64_t id = 0;
	size_t i = sizeof(prefix) - 1;

	if (len < i + 2 || memcmp(t, prefix, i) != 0 || t[len - 1] != '.')
		return 0;
	for (; i < len - 1; i++) {
		unsigned d = (unsigned char) t[i] - '0';
		if (d > 9 || id > UINT64_MAX / 10 - 1)
			return 0;
		id = id * 10 + d;
	}
	return id;
}

/* Whether a subscription to @t matches every topic starting with @prefix
 * ("", "o", ..., "order." all match every order's). */
static bool matches_all(const char *t, size_t len, const char *prefix)
{
	return len <= strlen(prefix) && memcmp(t, prefix, len) == 0;
}

static void count(uint64_t *n, bool subscribe)
{
	if (subscribe)
		(*n)++;
	else if (*n > 0)
		(*n)--;
}

bool events_read(struct events *e, void (*on_follow)(uint64_t order_id, void *u), void *u)
{
	for (int n = 0; n < SUBSCRIPTIONS_PER_TURN; n++) {
		char buf[SUBSCRIPTION_MAX];
		int len = zmq_recv(e->sock, buf, sizeof(buf), ZMQ_DONTWAIT);
		bool subscribe;
		uint64_t id;

		if (len < 0)
			return false;
		if (len < 1 || (size_t) len > sizeof(buf) || (buf[0] != 0 && buf[0] != 1)) {
			malformed_count(e->malformed, "events", "not a subscription");
			continue;
		}
		subscribe = buf[0] == 1;
		id = topic_order(buf + 1, (size_t) len - 1);
		/* An order stays followed once it was: an unsubscribe (anyone's)
		 * only saves the stage lines nobody may read any more. */
		if (id && subscribe)
			on_follow(id, u);
		if (id)
			count(&e->follow_orders, subscribe);
		if (!id && matches_all(buf + 1, (size_t) len - 1, "order."))
			count(&e->follow_all, subscribe);
		if (!id && matches_all(buf + 1, (size_t) len - 1, PROTO_TOPIC_CHEFS))
			count(&e->follow_chefs, subscribe);
	}
	return true;  /* budget spent: there may be more */
}

bool events_follow_all(const struct events *e)
{
	return e->follow_all > 0;
}

void events_subscriptions(const struct events *e, struct events_subscriptions *ret)
{
	*ret = (struct events_subscriptions) {
		.orders = e->follow_orders, .all = e->follow_all, .chefs = e->follow_chefs,
	};
}

/* Begin event number n_events + 1 about @o, unless nobody can be listening. */
static bool begin(struct events *e, struct proto_out *out, enum proto_cmd cmd, struct order *o)
{
	char topic[48];
	int n;

	if (!o->followed && !e->follow_all)
		return false;
	proto_out_begin(out, e->sock, cmd);
	n = proto_order_topic(o->id, topic, sizeof(topic));
	proto_out_env(out, topic, (size_t) n);
	proto_out_u64(out, o->id);
	proto_out_u64(out, ++o->n_events);
	return true;
}

static void end(struct proto_out *out)
{
	int r = proto_out_end(out, ZMQ_DONTWAIT);

	if (r < 0 && r != -EAGAIN)
		log_debug_errno(r, "Failed to publish an event: %m");
}

void events_ordered(struct events *e, struct order *o)
{
	struct proto_out out;
	size_t off = 0;

	if (!begin(e, &out, PROTO_ORDERED, o))
		return;
	for (uint32_t i = 0; i < o->n_dishes && off + PROTO_MAX_NAME + 2 < PROTO_MAX_FIELD; i++) {
		size_t n = strlen(o->dishes[i].item->name);
		if (i > 0)
			e->names[off++] = '\n';
		memcpy(e->names + off, o->dishes[i].item->name, n);
		off += n;
	}
	proto_out_mem(&out, e->names, off);
	end(&out);
}

static void dish_head(struct proto_out *out, const struct dish *d)
{
	proto_out_u64(out, d->index);
	proto_out_str(out, d->item->name);
}

void events_stage(struct events *e, struct dish *d, const char *chef, const char *text)
{
	struct proto_out out;

	if (!begin(e, &out, PROTO_STAGE, d->order))
		return;
	dish_head(&out, d);
	proto_out_str(&out, chef);
	proto_out_str(&out, text);
	end(&out);
}

void events_served(struct events *e, struct dish *d, const char *chef, const void *result,
		   size_t result_len, const char *items)
{
	char preview[PROTO_PREVIEW_MAX + 1];
	struct proto_out out;

	if (!begin(e, &out, PROTO_SERVED, d->order))
		return;
	proto_text_preview(result, result_len, preview, sizeof(preview));
	dish_head(&out, d);
	proto_out_str(&out, chef);
	proto_out_str(&out, preview);
	proto_out_str(&out, items);
	end(&out);
}

void events_failed(struct events *e, struct dish *d, const char *chef, const char *reason)
{
	struct proto_out out;

	if (!begin(e, &out, PROTO_FAILED, d->order))
		return;
	dish_head(&out, d);
	proto_out_str(&out, chef);
	proto_out_str(&out, reason);
	end(&out);
}

void events_cancelled(struct events *e, struct dish *d, const char *chef, const char *reason)
{
	struct proto_out out;

	if (!begin(e, &out, PROTO_CANCELLED, d->order))
		return;
	dish_head(&out, d);
	proto_out_str(&out, chef);
	proto_out_str(&out, reason);
	end(&out);
}

void events_done(struct events *e, struct order *o)
{
	struct proto_out out;

	if (!begin(e, &out, PROTO_DONE, o))
		return;
	proto_out_str(&out, proto_state_name(order_state(o)));
	proto_out_u64(&out, o->n_served);
	proto_out_u64(&out, o->n_failed);
	proto_out_u64(&out, o->n_cancelled);
	end(&out);
}

void events_chef(struct events *e, const char *chef, const char *state, const char *detail)
{
	struct proto_out out;

	if (!e->follow_chefs)
		return;
	proto_out_begin(&out, e->sock, PROTO_CHEF);
	proto_out_env(&out, PROTO_TOPIC_CHEFS, strlen(PROTO_TOPIC_CHEFS));
	proto_out_u64(&out, ++e->chef_events);
	proto_out_str(&out, chef);
	proto_out_str(&out, state);
	proto_out_str(&out, detail);
	end(&out);
}
