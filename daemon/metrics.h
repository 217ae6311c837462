/*
 * metrics — what kitchend measures for METRICS, kept cheap enough for the
 * hot path: plain counters and fixed bucket arrays in the loop thread's
 * own memory, no lock, no system call per dish. The clock is read once a
 * loop turn (metrics_turn(): two vDSO clock reads); every dish event of
 * that turn is stamped with it, so times are to the millisecond and a
 * dish handled within one turn measures 0.
 *
 * Every metric, where it is counted, and its name in the exposition
 * (common/exposition.h has the wire order; docs/protocol.md the reply):
 *
 *	kitchen_start_time_seconds        metrics_init()
 *	kitchen_orders_admitted_total     orders_admit()                  metrics_admitted()
 *	kitchen_orders_open               orders_counts(), at the request
 *	kitchen_dishes_total{state}       orders.c fail(), cancel(), orders_served(): metrics_ended()
 *	kitchen_dishes_open{state}        orders_counts(), at the request (queued, cooking)
 *	kitchen_dishes_handed_total       orders_hand()                   metrics_handed()
 *	kitchen_attempts_total{outcome}   orders_served(), orders_take_back(): metrics_served(),
 *	                                  metrics_attempt(); served, failed and cancelled are the
 *	                                  chef's RESULT, timed_out dispatch.c's expiry, chef_lost a
 *	                                  chef gone, silent or crashed
 *	kitchen_stale_results_total       sink.c (struct kitchen's n_stale)
 *	kitchen_malformed_messages_total{socket}  malformed.c, by socket
 *	kitchen_clients_waiting{kind}     pending.c's WAITs, events.c's subscriptions, at the request
 *	kitchen_chefs                     dispatch.c's chef list, at the request
 *	kitchen_store_bytes               store_size(), at the request (one PRAGMA read)
 *	kitchen_store_full                store_full(), at the request
 *	kitchen_dish_served_seconds       orders_served(): now - the order's created_ms (wall clock)
 *	kitchen_dish_queue_wait_seconds   orders_hand(): now - when the dish joined the queue
 *	kitchen_dish_cooking_seconds      the chef's RESULT: now - when it was handed
 *	kitchen_store_commit_seconds      store_writer.c, on the writer thread (below)
 *	kitchen_chef_dishes_total{chef,host,outcome}  sink.c: struct chef's served and failed
 *
 * A dish carries one stamp, struct dish's since_ms (ms after
 * metrics_init(), 49 days before it wraps; it took padding, so a dish
 * costs no byte more): when it joined the queue until it is handed, then
 * when it was handed. orders.c sets it: metrics_clock() in queue_back()
 * and queue_front(), metrics_handed()'s return in orders_hand().
 *
 * The store commit histogram is the only one another thread writes: the
 * store's writer observes each commit into a struct metrics_hist of its
 * own under its lock (which it takes after each commit anyway), and the
 * loop copies it at a METRICS request (store_commit_times()). The loop
 * never waits on a commit for it.
 *
 *	metrics_init(&k->metrics);
 *	metrics_turn(&k->metrics);                       // after each zpoll()
 *	d->since_ms = metrics_clock(m);                  // queued
 *	d->since_ms = metrics_handed(m, d->since_ms);    // handed
 *	metrics_served(m, d->since_ms, o->created_ms);   // served
 */
#pragma once

#include <stdint.h>

#include "exposition.h"
#include "proto.h"

/* A histogram with the bounds of exposition.h: counts per bucket, sum in us. */
struct metrics_hist {
	uint64_t buckets[EXPO_BUCKETS + 1];
	uint64_t sum_us;
};

static inline void metrics_hist_observe(struct metrics_hist *h, uint64_t us)
{
	h->buckets[expo_bucket(us)]++;
	h->sum_us += us;
}

/* Add @h to the values of a histogram of the reply (EXPO_HIST_VALUES). */
void metrics_hist_values(const struct metrics_hist *h, uint64_t *v);

/* How an attempt ended, in the order of EXPO_ATTEMPTS_*. */
enum metrics_attempt {
	METRICS_ATTEMPT_SERVED,
	METRICS_ATTEMPT_FAILED,
	METRICS_ATTEMPT_CANCELLED,
	METRICS_ATTEMPT_TIMED_OUT,
	METRICS_ATTEMPT_CHEF_LOST,
	_METRICS_ATTEMPT_MAX,
};
_Static_assert(EXPO_ATTEMPTS_CHEF_LOST - EXPO_ATTEMPTS_SERVED + 1 == _METRICS_ATTEMPT_MAX, "one value each");

struct metrics {
	uint64_t start_ms;              /* monotonic, at metrics_init() */
	uint64_t start_wall_ms;
	uint64_t wall_ms;               /* this turn's wall clock */
	uint32_t now;                   /* this turn's monotonic clock, ms after start_ms */

	uint64_t admitted;
	uint64_t ended[_PROTO_STATE_MAX];       /* dishes, by the state they ended in */
	uint64_t handed;
	uint64_t attempts[_METRICS_ATTEMPT_MAX];
	struct metrics_hist served;     /* submission -> served */
	struct metrics_hist queue_wait; /* queued -> handed */
	struct metrics_hist cooking;    /* handed -> RESULT */
};

void metrics_init(struct metrics *m);
/* Read the clock for this loop turn. */
void metrics_turn(struct metrics *m);

/* This turn's stamp for struct dish's since_ms. */
static inline uint32_t metrics_clock(const struct metrics *m)
{
	return m->now;
}

/* The wall clock of stamp @stamp of this run (a dish's since_ms): this
 * turn's wall clock less the monotonic time since, so that a step of the
 * wall clock between the two does not stretch what lay between. */
static inline uint64_t metrics_wall_at(const struct metrics *m, uint32_t stamp)
{
	uint32_t ago = m->now - stamp;

	return m->wall_ms > ago ? m->wall_ms - ago : 0;
}

static inline void metrics_admitted(struct metrics *m)
{
	m->admitted++;
}

/* A dish queued since @since is handed to a chef: returns its new stamp. */
static inline uint32_t metrics_handed(struct metrics *m, uint32_t since)
{
	m->handed++;
	metrics_hist_observe(&m->queue_wait, (uint64_t) (uint32_t) (m->now - since) * 1000);
	return m->now;
}

/* An attempt handed at @since ended @how (not served: metrics_served()). */
static inline void metrics_attempt(struct metrics *m, enum metrics_attempt how, uint32_t since)
{
	m->attempts[how]++;
	if (how == METRICS_ATTEMPT_FAILED || how == METRICS_ATTEMPT_CANCELLED)
		metrics_hist_observe(&m->cooking, (uint64_t) (uint32_t) (m->now - since) * 1000);
}

/* A dish handed at @since, of an order created at wall clock @created_ms, is served. */
static inline void metrics_served(struct metrics *m, uint32_t since, uint64_t created_ms)
{
	m->attempts[METRICS_ATTEMPT_SERVED]++;
	metrics_hist_observe(&m->cooking, (uint64_t) (uint32_t) (m->now - since) * 1000);
	metrics_hist_observe(&m->served, m->wall_ms > created_ms ? (m->wall_ms - created_ms) * 1000 : 0);
}

/* A dish ended @state: served, failed or cancelled. */
static inline void metrics_ended(struct metrics *m, enum proto_state state)
{
	m->ended[state]++;
}
