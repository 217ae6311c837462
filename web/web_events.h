/*
 * web_events — kitchend's live events for /api/events: one SUB socket, on a
 * thread of its own, subscribed to every order's events ("order.": kitchend
 * then follows every order) and to the chefs' ("chef."), each event turned
 * into one line of JSON and kept in a ring of the last WEB_EVENTS_RING.
 *
 * HTTP streams read the ring, each at its own cursor: a stream that falls
 * more than the ring behind is told how many it lost and goes on from the
 * oldest kept, so a slow browser costs kitchen-web nothing but its cursor.
 * libzmq reconnects the SUB socket by itself when kitchend comes back.
 *
 * Event lines (docs/http-api.md), the shapes of `kitchenctl --json follow`:
 *	{"event": "stage", "order": 7, "seq": 2, "index": 0, "dish": "Salad", "chef": "chef-1", "text": "..."}
 *	{"event": "chef", "seq": 3, "chef": "chef-1", "state": "joined", "detail": "host"}
 *
 *	struct web_events *e;
 *	r = web_events_start(zctx, endpoint, curve, &e);
 *	uint64_t cursor = web_events_now(e);
 *	r = web_events_wait(e, &cursor, 10000, &line);   // 0 and a line, -EAGAIN, -ECANCELED
 *	web_events_stop(&e);
 */
#pragma once

#include <stdint.h>

#define WEB_EVENTS_RING 1024

struct web_events;
struct keys_client;

/* Connect and start the thread. 0 or -errno (-EINVAL: a bad endpoint). */
int web_events_start(void *zctx, const char *endpoint, const struct keys_client *curve,
		     struct web_events **ret);
/* Stop the thread, wake every waiter (-ECANCELED), free. NULL is fine. */
void web_events_stop(struct web_events **e);
/* Wake every waiter with -ECANCELED from now on (before the HTTP server stops). */
void web_events_cancel(struct web_events *e);

/* The cursor of a stream that wants events from now on. */
uint64_t web_events_now(struct web_events *e);

/*
 * Wait up to @timeout_ms for the event after *@cursor: 0 with a new string
 * in *ret (the caller frees it) and the cursor moved on; a stream that fell
 * behind gets {"event": "lost", "count": N} first. -EAGAIN: none in time;
 * -ECANCELED: kitchen-web is stopping; -ENOMEM.
 */
int web_events_wait(struct web_events *e, uint64_t *cursor, uint64_t timeout_ms, char **ret);

/* Streams open now, and a slot for one more: 0, or -EBUSY beyond @max. */
int web_events_stream_open(struct web_events *e, unsigned max);
void web_events_stream_close(struct web_events *e);
