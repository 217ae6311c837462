/*
 * follow — a SUB socket on kitchend's events endpoint, for --follow.
 *
 * Connect before ordering (so the connection is up when the order id is
 * known), then subscribe to each order's topic "order.<id>.": kitchend holds
 * a followed order's dishes back until it sees that subscription, so no stage
 * is missed. Events of other orders and "chef." events are never delivered.
 *
 *	r = follow_new(zctx, events_endpoint, NULL, &f);
 *	... ORDER with flags "follow" -> order id
 *	r = follow_add(f, id);
 *	while ((r = follow_next(f, 1000, &ev)) >= 0 || r == -EAGAIN || r == -EBADMSG)
 *		... ev.cmd: PROTO_STAGE, PROTO_SERVED, PROTO_FAILED, PROTO_DONE
 *
 * The socket has ZMQ_MAXMSGSIZE PROTO_MAX_FIELD, and what the queued events
 * hold is bounded while they are awaited (guard.h).
 *
 * A SUB socket never reports a lost event (a slow subscriber past the
 * high-water mark, a daemon restart): the caller checks the order with SHOW
 * when events stop coming, and fills in from the report what it missed.
 */
#pragma once

#include <stdint.h>

#include "proto.h"

struct follow;

/* One order event, decoded and checked. Fields a command lacks are NULL/0. */
struct follow_event {
	enum proto_cmd cmd;   /* ORDERED STAGE SERVED FAILED CANCELLED DONE */
	uint64_t order;
	uint64_t seq;         /* its number among the order's events (proto.h) */
	uint64_t index;       /* STAGE SERVED FAILED CANCELLED */
	char *dish;           /* STAGE SERVED FAILED CANCELLED; ORDERED: '\n'-joined names */
	char *chef;           /* STAGE SERVED FAILED CANCELLED */
	char *text;           /* STAGE: the stage line; SERVED: result; FAILED, CANCELLED: reason; DONE: state */
	char *items;          /* SERVED: '\n'-joined items */
	uint64_t served;      /* DONE */
	uint64_t failed;      /* DONE */
	uint64_t cancelled;   /* DONE */
};

void follow_event_clear(struct follow_event *ev);

/* -EINVAL for an endpoint libzmq does not accept; for ipc:// the socket
 * file is checked first as client_check_ipc() does. */
struct keys_client;
/* @curve: CURVE keys for a tcp:// endpoint (keys_client_for()), or NULL. */
int follow_new(void *zctx, const char *endpoint, const struct keys_client *curve, struct follow **ret);
void follow_free(struct follow **f);   /* NULL and *f == NULL are fine */

int follow_add(struct follow *f, uint64_t order_id);

/*
 * Wait up to @timeout_ms for the next event into @ev (cleared first).
 * 0: an event; -EAGAIN: none in time; -EBADMSG: a malformed event, dropped
 * (call again); -ENOBUFS: more queued than any kitchend sends (guard.h);
 * other -errno from libzmq.
 */
int follow_next(struct follow *f, uint64_t timeout_ms, struct follow_event *ev);
