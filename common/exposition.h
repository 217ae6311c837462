/*
 * exposition — kitchend's measurements as the METRICS reply carries them,
 * and as Prometheus reads them. kitchend fills the values (daemon/metrics.h
 * says where each comes from); kitchenctl (and any other client) renders
 * them with expo_write() in the Prometheus text exposition format 0.0.4,
 * as `promtool check metrics` and node_exporter's textfile collector take
 * it. kitchenctl and kitchen-web read the reply with expo_reply_decode()
 * and print it with expo_write(), so `kitchenctl metrics` and kitchen-web's
 * /metrics are the same text.
 *
 * The reply (docs/protocol.md, METRICS):
 *
 *	OK n value[0] .. value[n-1] (chef host served failed)...
 *
 * n is how many values follow, in the order of enum expo_value; then one
 * group of four fields per chef on the line (at most EXPO_CHEFS_MAX). The
 * values are only ever appended to (a new metric takes new values at the
 * end, a changed one a new name): a client reads the first
 * _EXPO_VALUES it knows and skips the rest, so a newer kitchend speaking
 * the same protocol version still reads. Numbers are whole: times in
 * milliseconds or microseconds, as each value says; expo_write() turns them
 * into seconds.
 *
 * A histogram is EXPO_HIST_VALUES values: the count of observations in
 * each bucket, not cumulative (bucket i holds those at most
 * expo_bounds_us[i] and above the bound before; bucket EXPO_BUCKETS those
 * above the last bound), then the sum of the observations in
 * microseconds. Its count is the sum of its buckets. Every histogram has
 * the same bounds, from half a millisecond to five minutes.
 *
 *	struct expo_reply *r = NULL;
 *	r = expo_reply_decode(reply, &r);   // the METRICS reply's OK
 *	expo_write(stdout, r->v, r->chefs, r->n_chefs);
 *	expo_reply_free(&r);
 *
 * Counters count since kitchend started (kitchen_start_time_seconds says
 * when): a restart resets them, as Prometheus expects of a counter.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

#define EXPO_BUCKETS 17                   /* finite bounds; one more bucket above them */
#define EXPO_HIST_VALUES (EXPO_BUCKETS + 2) /* buckets, then the sum in microseconds */

/* The bounds of every histogram, in microseconds and as Prometheus's le label. */
extern const uint64_t expo_bounds_us[EXPO_BUCKETS];
extern const char *const expo_bounds_le[EXPO_BUCKETS];

/* The bucket of an observation of @us microseconds: 0 .. EXPO_BUCKETS. */
unsigned expo_bucket(uint64_t us);

enum expo_value {
	EXPO_START_TIME_MS,         /* gauge, wall clock ms: kitchend's start */
	EXPO_ORDERS_ADMITTED,       /* counter: orders accepted (ORDER, not one found by its key) */
	EXPO_ORDERS_OPEN,           /* gauge: orders not finished, admitted ones too */
	EXPO_DISHES_SERVED,         /* counter: dishes that ended served, ... */
	EXPO_DISHES_FAILED,         /*   ... failed (a retried dish counts again when it ends again) */
	EXPO_DISHES_CANCELLED,      /*   ... cancelled */
	EXPO_DISHES_QUEUED,         /* gauge: dishes not at a chef yet (as STATUS's queued) */
	EXPO_DISHES_COOKING,        /* gauge: dishes at a chef */
	EXPO_HANDED,                /* counter: attempts begun, a dish handed to a chef */
	EXPO_ATTEMPTS_SERVED,       /* counter: attempts ended by a chef's RESULT served, */
	EXPO_ATTEMPTS_FAILED,       /*   ... a RESULT failed, */
	EXPO_ATTEMPTS_CANCELLED,    /*   ... a RESULT after a cancel on request stopped it, */
	EXPO_ATTEMPTS_TIMED_OUT,    /*   ... dishes.timeout_ms, */
	EXPO_ATTEMPTS_CHEF_LOST,    /*   ... its chef leaving, going silent or crashing */
	EXPO_STALE_RESULTS,         /* counter: results and stage lines of attempts no longer current */
	EXPO_MALFORMED_CONTROL,     /* counter: malformed messages dropped on the control socket, */
	EXPO_MALFORMED_DISPATCH,    /*   ... dispatch, */
	EXPO_MALFORMED_SINK,        /*   ... sink, */
	EXPO_MALFORMED_EVENTS,      /*   ... events (subscriptions) */
	EXPO_WAITING_WAIT,          /* gauge: WAIT long polls held */
	EXPO_WAITING_ORDER,         /* gauge: order topics subscribed to (followers of one order) */
	EXPO_WAITING_ALL,           /* gauge: subscriptions to every order's events */
	EXPO_WAITING_CHEFS,         /* gauge: subscriptions to the chefs' events */
	EXPO_CHEFS,                 /* gauge: chefs on the line */
	EXPO_STORE_BYTES,           /* gauge: the store's database, page_count * page_size */
	EXPO_STORE_FULL,            /* gauge: 1 while its disk is full (orders refused), else 0 */
	EXPO_SERVED_SECONDS,        /* histogram: ORDER admitted -> each dish served, ms resolution */
	EXPO_QUEUE_WAIT_SECONDS = EXPO_SERVED_SECONDS + EXPO_HIST_VALUES,
	                            /* histogram: queued -> handed to a chef, per attempt, ms */
	EXPO_COOKING_SECONDS = EXPO_QUEUE_WAIT_SECONDS + EXPO_HIST_VALUES,
	                            /* histogram: handed -> the chef's RESULT, per attempt, ms */
	EXPO_COMMIT_SECONDS = EXPO_COOKING_SECONDS + EXPO_HIST_VALUES,
	                            /* histogram: one store batch applied and committed, us */
	_EXPO_VALUES = EXPO_COMMIT_SECONDS + EXPO_HIST_VALUES,
};

/* Label values of the socket label, in the order of EXPO_MALFORMED_*; NULL after the last. */
#define EXPO_SOCKETS 4
extern const char *const expo_sockets[EXPO_SOCKETS + 1];

/* One chef's group of the reply. */
#define EXPO_CHEF_GROUP 4           /* name host served failed */
#define EXPO_CHEFS_MAX ((PROTO_MAX_FRAMES - 5 - _EXPO_VALUES) / EXPO_CHEF_GROUP)
struct expo_chef {
	const char *name;
	const char *host;
	uint64_t served;            /* its RESULTs served, ... */
	uint64_t failed;            /* ... and failed (not those that answered a cancel) */
};

/* A family of the exposition: what kitchenctl --json and expo_write() walk. */
enum expo_type { EXPO_COUNTER, EXPO_GAUGE, EXPO_HISTOGRAM };
struct expo_family {
	const char *name;           /* the whole name, _total included */
	enum expo_type type;
	const char *help;
	enum expo_value first;      /* its first value */
	const char *label;          /* NULL: one value, else one value per label value */
	const char *const *values;  /* the label's values, NULL-terminated */
	unsigned scale;             /* a value is value / scale (1000: ms as s); 0: a whole number */
};
extern const struct expo_family expo_families[];
extern const size_t expo_n_families;
/* The per-chef family, after the others; its labels: chef, host, outcome. */
#define EXPO_CHEF_FAMILY "kitchen_chef_dishes_total"

/* A METRICS reply, decoded: its values and its chefs (their names point into
 * the reply's own copies). About 33 KB: on the heap, not the stack. */
struct expo_reply {
	uint64_t v[_EXPO_VALUES];
	struct expo_chef chefs[EXPO_CHEFS_MAX];
	size_t n_chefs;
	char names[EXPO_CHEFS_MAX][PROTO_MAX_NAME + 1];
	char hosts[EXPO_CHEFS_MAX][PROTO_MAX_NAME + 1];
};
/* Decode the METRICS reply @m (its OK's fields) into a new *@ret. 0,
 * -EBADMSG unless @m holds at least the values this build knows (more are
 * skipped) and whole chef groups, or -ENOMEM; *@ret untouched on failure. */
int expo_reply_decode(const struct proto_msg *m, struct expo_reply **ret);
void expo_reply_free(struct expo_reply **r); /* NULL and *r == NULL are fine */

/* Write @v (_EXPO_VALUES of them) and @n_chefs chefs as Prometheus text to
 * @f. 0, or -EIO when @f failed. */
int expo_write(FILE *f, const uint64_t *v, const struct expo_chef *chefs, size_t n_chefs);
/* @v / @scale as a decimal number ("1.25", "3"): @buf of at least 32 bytes. */
const char *expo_decimal(uint64_t v, unsigned scale, char *buf, size_t size);
