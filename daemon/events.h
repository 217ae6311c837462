/*
 * events — kitchend's XPUB socket: what followers are told, and who follows.
 *
 * The socket has XPUB_VERBOSER, so every subscribe and unsubscribe reaches
 * events_read(). A subscription to one order's topic ("order.<id>.") is
 * handed to the caller's @on_follow (orders_follow: the order is followed
 * from then on, and released if it was held for its follower); one that
 * matches every order ("", "o", ..., "order.") is counted, so that
 * events_follow_all() says whether every dish must be cooked with stage
 * lines. libzmq adds a subscription to its filter before handing it to us,
 * so whatever is published after reading it reaches that subscriber.
 *
 * Publishing is best effort and never blocks: nothing is sent about an
 * order nobody follows, and an event a subscriber has no room for (more
 * than PROTO_EVENTS_BACKLOG behind) is dropped for it. Each event carries
 * its seq, its number in its topic (proto.h), so a follower sees a gap.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dish;
struct malformed;
struct order;

struct events;

/* Publish on and read subscriptions from the bound XPUB @sock (not
 * owned); malformed subscriptions are counted in @malformed. */
int events_new(void *sock, struct malformed *malformed, struct events **ret);
void events_free(struct events **e);  /* NULL is fine */

/* Read waiting subscriptions, calling @on_follow(order id, @u) for each
 * subscription to one order. true: stopped at its budget, there may be more. */
bool events_read(struct events *e, void (*on_follow)(uint64_t order_id, void *u), void *u);
/* Whether someone follows every order. */
bool events_follow_all(const struct events *e);
/* Subscriptions now (METRICS): to one order each, to every order, to the chefs. */
struct events_subscriptions {
	uint64_t orders, all, chefs;
};
void events_subscriptions(const struct events *e, struct events_subscriptions *ret);

/* Events about an order; each counts in its order's n_events. */
void events_ordered(struct events *e, struct order *o);
void events_stage(struct events *e, struct dish *d, const char *chef, const char *text);
/* SERVED carries its result's preview (proto_text_preview()). */
void events_served(struct events *e, struct dish *d, const char *chef, const void *result,
		   size_t result_len, const char *items);
void events_failed(struct events *e, struct dish *d, const char *chef, const char *reason);
void events_cancelled(struct events *e, struct dish *d, const char *chef, const char *reason);
void events_done(struct events *e, struct order *o);
void events_chef(struct events *e, const char *chef, const char *state, const char *detail);
