/*
 * brigade — the chef's stations as the main thread sees them.
 *
 * The brigade owns an inproc ROUTER, the station threads connected to it
 * (station.h), and the chef's local queue: dishes kitchend sent that no
 * station cooks yet. A dish goes only to a station that said FREE, the one
 * free the longest first (the zguide's load-balancing broker), so T stations
 * cook T dishes at once and none holds a second one.
 *
 *	r = brigade_new(ctx, stations, sink, chef_id, curve, &b);  // all stations FREE, or an error
 *	... zmq_poll on brigade_socket(b), then brigade_process(b)
 *	brigade_add(b, &dish);                               // queue it, hand out what can be
 *	brigade_abort(b);                                    // session lost: drop and CANCEL all
 *	brigade_free(&b);                                    // STOP every station, join it
 *
 * Nothing here talks to kitchend: stations send results to the sink
 * themselves, and the caller decides what to tell kitchend about credit.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dish.h"

/* Dishes held beyond the free stations before new ones are refused. */
#define BRIGADE_QUEUE_MAX 4096

struct brigade;

/*
 * Bind the inproc ROUTER, start @n stations that push to @sink as @chef_id
 * (with CURVE when @curve is set and @sink is tcp://), and wait until every one is FREE. 0 or -errno (the station's own error
 * when one could not open its sockets, -ETIMEDOUT when one never spoke).
 */
struct keys_client;
int brigade_new(void *ctx, unsigned n, const char *sink, const char *chef_id,
		const struct keys_client *curve, struct brigade **ret);
/* Tell every station to STOP, join it, free the queued dishes. NULL is fine. */
void brigade_free(struct brigade **b);

/* The ROUTER, for zmq_poll (POLLIN: call brigade_process()). */
void *brigade_socket(struct brigade *b);

/* Read what the stations said, then hand queued dishes to free ones. 0 or -errno. */
int brigade_process(struct brigade *b);

/* Take *d (set to NULL) and give it to a free station, or queue it; -ENOBUFS
 * when BRIGADE_QUEUE_MAX dishes already wait (*d freed). */
int brigade_add(struct brigade *b, struct dish **d);

/* Drop the dish (@id, @attempt) if it is queued, or stop the station cooking
 * it; either way a station answers it with RESULT "failed" STATION_CANCELLED.
 * Returns 1 when the dish was here, 0 when not. */
int brigade_cancel(struct brigade *b, uint64_t id, uint64_t attempt);

/*
 * The session the dishes came with is gone: free every queued dish and
 * CANCEL every dish a station cooks, as brigade_cancel() does (the station
 * drops it and sends nothing for it). The stations say FREE within about a
 * millisecond; brigade_busy() tells when they all have.
 */
void brigade_abort(struct brigade *b);

/* Stations free right now; dishes waiting for one; stations cooking (or
 * still dropping a cancelled dish). A station that is gone counts in none. */
unsigned brigade_free_stations(const struct brigade *b);
size_t brigade_queued(const struct brigade *b);
unsigned brigade_busy(const struct brigade *b);

/* Stations told to CANCEL at least @after_ms ago that have not said FREE:
 * stuck on their dish (a healthy one answers within about a millisecond). */
unsigned brigade_stuck(const struct brigade *b, uint64_t now, uint64_t after_ms);
