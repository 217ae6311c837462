/*
 * brigade — the chef's stations as the main thread sees them.
 *
 * The brigade owns an inproc ROUTER, the station threads connected to it
 * (station.h), and the chef's local queue: dishes kitchend sent that no
 * station cooks yet. Dishes go to a station that said FREE, the one free
 * the longest first (the zguide's load-balancing broker), and a station
 * says FREE again each time it has answered a batch; one more may go to a
 * station about to be done (below).
 *
 * A station gets one dish at a time, unless dishes are short: a dish that
 * waits nothing, does no CPU work, runs no program (ticket.h's recipe), is
 * not followed and has no fault injected,
 * or one that is only answered (rejected, or cancelled while queued). Short
 * dishes at the head of the queue go in batches: each free station gets its
 * share of the queue (queued / free stations, rounded up, at most
 * STATION_BATCH_MAX), up to the next long dish, which goes alone. A batch is
 * answered with one RESULT (station.h): for no-op dishes that is one
 * handover each way and one message to kitchend per batch instead of per
 * dish, and no long dish ever waits behind another.
 *
 * When dishes wait and no station is free, a station (or an event-loop
 * slot) whose one dish only waits (no CPU work, no program: its length is
 * known) and is due within 2 ms gets the next dish of the queue ahead of
 * its FREE, one at most: it begins that dish the moment it is done, without
 * the two thread wake-ups of FREE and DISH in between (kitchend's lead,
 * chefs.h, sends dishes about then). brigade_timeout_ms() says when to look
 * again.
 *
 *	r = brigade_new(ctx, false, stations, sink, chef_id, name, curve, &b);  // all stations FREE, or an error
 *	... zmq_poll on brigade_socket(b), then brigade_process(b)
 *	brigade_add(b, &dish); ...                           // queue the dishes of a DISH message,
 *	brigade_hand_out(b);                                 // then hand out what can be
 *	brigade_abort(b);                                    // session lost: drop and CANCEL all
 *	brigade_free(&b);                                    // STOP every station, join it
 *
 * Nothing here talks to kitchend: stations send results to the sink
 * themselves, and the caller decides what to tell kitchend about credit.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket.h"

/* Dishes held beyond the free stations before new ones are refused. */
#define BRIGADE_QUEUE_MAX 4096

struct brigade;

/*
 * Bind the inproc ROUTER, start @n stations (or, with @loop, one event-loop
 * thread of @n slots, evloop.h, which the brigade treats as @n stations
 * alike) that push to @sink as @chef_id
 * (with CURVE when @curve is set and @sink is tcp://; programs get
 * @chef_name as KITCHEN_CHEF), and wait until every one is FREE. 0 or -errno
 * (the station's own error when one could not open its sockets, -ETIMEDOUT
 * when one never spoke).
 */
struct keys_client;
int brigade_new(void *ctx, bool loop, unsigned n, const char *sink, const char *chef_id,
		const char *chef_name, const struct keys_client *curve, struct brigade **ret);
/* Tell every station to STOP, join it, free the queued dishes. NULL is fine. */
void brigade_free(struct brigade **b);

/* The ROUTER, for zmq_poll (POLLIN: call brigade_process()). */
void *brigade_socket(struct brigade *b);

/* Read what the stations said, then hand queued dishes to free ones. 0 or -errno. */
int brigade_process(struct brigade *b);

/* Take *d (set to NULL) and queue it; -ENOBUFS when BRIGADE_QUEUE_MAX dishes
 * already wait (*d freed). Call brigade_hand_out() once the dishes that came
 * together are queued, so that they are shared out together. */
int brigade_add(struct brigade *b, struct ticket **d);

/* Give queued dishes to free stations, or to stations about to be done
 * (brigade_process() does it too). */
void brigade_hand_out(struct brigade *b);

/* Milliseconds until brigade_hand_out() may have a station to give its next
 * dish (rounded up), or -1 when it has no reason to look before a station speaks. */
long brigade_timeout_ms(struct brigade *b);

/* Drop the dish (@id, @attempt) if it is queued, or tell the station that
 * holds it (waiting in its batch or cooking) to drop it; either way a
 * station answers it with RESULT "failed" STATION_CANCELLED. Returns 1 when
 * the dish was here, 0 when not. */
int brigade_cancel(struct brigade *b, uint64_t id, uint64_t attempt);

/*
 * The session the dishes came with is gone: free every queued dish and
 * CANCEL every dish a station holds, as brigade_cancel() does (the station
 * drops it; its answer, if the sink takes it, is stale to kitchend). The
 * stations say FREE within about a millisecond; brigade_busy() tells when
 * they all have.
 */
void brigade_abort(struct brigade *b);

/* Stations free right now; dishes waiting for one; stations holding a dish
 * or a batch (cooking, answering, or still dropping cancelled dishes). A
 * station that is gone counts in none. */
unsigned brigade_free_stations(const struct brigade *b);
size_t brigade_queued(const struct brigade *b);
unsigned brigade_busy(const struct brigade *b);

/* Stations told to CANCEL every dish they hold, the last at least @after_ms
 * ago, that have not said FREE: stuck on a dish (a healthy one answers
 * within about a millisecond). A station with a dish not cancelled is not
 * stuck: it cooks, or waits for the sink to take its RESULT. */
unsigned brigade_stuck(const struct brigade *b, uint64_t now, uint64_t after_ms);
