/*
 * events — the PUB side: what kitchend tells followers, and who follows.
 *
 * The socket is an XPUB with XPUB_VERBOSER, so every subscribe and
 * unsubscribe reaches us. That serves two ends: a dish is cooked with stage
 * lines only when someone follows its order (a dish has ~17 stages; nobody
 * pays for them otherwise), and an order submitted with "follow" is held
 * until its follower's subscription has arrived, so the follower sees every
 * stage. libzmq adds a subscription to its filter before handing it to us, so
 * whatever we publish after reading it reaches that subscriber.
 */
#include <errno.h>
#include <string.h>

#include "kitchen.h"
#include "log.h"
#include "util.h"

#define SUBSCRIPTIONS_PER_TURN 256

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

/* A subscription that is a prefix of every order topic: "", "o", "order.". */
static bool topic_matches_all_orders(const char *t, size_t len)
{
	static const char prefix[] = "order.";

	return len < sizeof(prefix) && memcmp(t, prefix, len) == 0;
}

static void release(struct kitchen *k, struct order *o)
{
	o->held = false;
	k->n_held_orders--;
	kitchen_enqueue(k, o);
}

bool events_read(struct kitchen *k)
{
	for (int n = 0; n < SUBSCRIPTIONS_PER_TURN; n++) {
		char buf[256];
		int len = zmq_recv(k->events, buf, sizeof(buf), ZMQ_DONTWAIT);
		bool subscribe;
		uint64_t id;

		if (len < 0)
			return false;
		if (len < 1 || (size_t) len > sizeof(buf) || (buf[0] != 0 && buf[0] != 1)) {
			kitchen_malformed(k, "events", "not a subscription");
			continue;
		}
		subscribe = buf[0] == 1;
		if (subscribe)
			k->subscriptions++;
		else if (k->subscriptions > 0)
			k->subscriptions--;

		id = topic_order(buf + 1, (size_t) len - 1);
		if (id) {
			struct order *o = idmap_get(&k->orders, id);
			if (!o)
				continue;
			if (subscribe) {
				o->followers++;
				/* Not yet committed: kitchen_enqueue sees the follower. */
				if (o->held && o->committed)
					release(k, o);
			} else if (o->followers > 0)
				o->followers--;
		} else if (topic_matches_all_orders(buf + 1, (size_t) len - 1)) {
			if (subscribe)
				k->follow_all++;
			else if (k->follow_all > 0)
				k->follow_all--;
		}
	}
	return true;  /* budget spent: there may be more */
}

void events_release_held(struct kitchen *k, uint64_t now)
{
	/* Rare: only orders submitted with "follow" are ever held. */
	if (k->n_held_orders == 0)
		return;
	for (size_t i = 0; i < k->orders.cap; i++) {
		struct order *o = k->orders.values[i];
		if (k->orders.keys[i] && o->held && o->hold_until_ms <= now) {
			log_debug("Order %llu: no follower subscribed in time, cooking anyway",
				  (unsigned long long) o->id);
			release(k, o);
		}
	}
}

bool events_followed(const struct kitchen *k, const struct order *o)
{
	return o->followers > 0 || k->follow_all > 0;
}

static bool begin(struct kitchen *k, struct proto_out *out, enum proto_cmd cmd, uint64_t order_id)
{
	char topic[48];
	int n;

	if (k->subscriptions == 0)
		return false;
	proto_out_begin(out, k->events, cmd);
	n = proto_order_topic(order_id, topic, sizeof(topic));
	proto_out_env(out, topic, (size_t) n);
	proto_out_u64(out, order_id);
	return true;
}

static void end(struct proto_out *out)
{
	int r = proto_out_end(out, ZMQ_DONTWAIT);

	if (r < 0 && r != -EAGAIN)
		log_debug_errno(r, "Failed to publish an event: %m");
}

void events_ordered(struct kitchen *k, const struct order *o)
{
	struct proto_out out;
	char *names = k->scratch[0];
	size_t off = 0;

	if (!begin(k, &out, PROTO_ORDERED, o->id))
		return;
	for (uint32_t i = 0; i < o->n_dishes && off + PROTO_MAX_NAME + 2 < PROTO_MAX_FIELD; i++) {
		size_t n = strlen(o->dishes[i].item->name);
		if (i > 0)
			names[off++] = '\n';
		memcpy(names + off, o->dishes[i].item->name, n);
		off += n;
	}
	proto_out_mem(&out, names, off);
	end(&out);
}

static void dish_head(struct proto_out *out, const struct dish *d)
{
	proto_out_u64(out, d->index);
	proto_out_str(out, d->item->name);
}

void events_stage(struct kitchen *k, const struct dish *d, const char *chef, const char *text)
{
	struct proto_out out;

	if (!begin(k, &out, PROTO_STAGE, d->order->id))
		return;
	dish_head(&out, d);
	proto_out_str(&out, chef);
	proto_out_str(&out, text);
	end(&out);
}

void events_served(struct kitchen *k, const struct dish *d, const char *chef,
		   const char *result, const char *items)
{
	struct proto_out out;

	if (!begin(k, &out, PROTO_SERVED, d->order->id))
		return;
	dish_head(&out, d);
	proto_out_str(&out, chef);
	proto_out_str(&out, result);
	proto_out_str(&out, items);
	end(&out);
}

void events_failed(struct kitchen *k, const struct dish *d, const char *chef, const char *reason)
{
	struct proto_out out;

	if (!begin(k, &out, PROTO_FAILED, d->order->id))
		return;
	dish_head(&out, d);
	proto_out_str(&out, chef);
	proto_out_str(&out, reason);
	end(&out);
}

void events_done(struct kitchen *k, const struct order *o)
{
	struct proto_out out;

	if (!begin(k, &out, PROTO_DONE, o->id))
		return;
	proto_out_str(&out, proto_state_name(order_state(o)));
	proto_out_u64(&out, o->n_served);
	proto_out_u64(&out, o->n_failed);
	end(&out);
}

void events_chef(struct kitchen *k, const char *chef, const char *state, const char *detail)
{
	struct proto_out out;

	if (k->subscriptions == 0)
		return;
	proto_out_begin(&out, k->events, PROTO_CHEF);
	proto_out_env(&out, PROTO_TOPIC_CHEFS, strlen(PROTO_TOPIC_CHEFS));
	proto_out_str(&out, chef);
	proto_out_str(&out, state);
	proto_out_str(&out, detail);
	end(&out);
}
