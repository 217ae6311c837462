/*
 * kitchen — kitchend's state and its event loop.
 *
 * One thread, one zmq_poll loop over the four sockets, a signalfd and the
 * store's fd; nothing in it blocks: the store writes and commits on a
 * thread of its own (store.h). A turn:
 *
 *	poll (until a socket, signal or commit is ready, or the next timer is due)
 *	read:   sink results, chef READY/HEARTBEAT, control requests, subscriptions
 *	timers: heartbeats and dead chefs, chef restarts, held orders, waits
 *	cook:   hand queued dishes to chefs with free credit
 *	answer: for every store batch committed since the last turn, the orders
 *	        it holds join the queue (nothing is cooked that is not durable)
 *	        and their ORDERs are acknowledged; SHOWs and finished WAITs that
 *	        waited for it are answered
 *	store:  hand this turn's writes to the store's writer, if it is idle
 *	        (else they join the next batch)
 *
 * The files of daemon/ share this header: dispatch.c (chefs and credit),
 * sink.c (what chefs report), control.c (kitchenctl's requests), events.c
 * (the PUB side), kitchen.c (set-up, the loop, recovery).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chef.h"
#include "config.h"
#include "dish_queue.h"
#include "idmap.h"
#include "menu.h"
#include "order.h"
#include "pool.h"
#include "proto.h"
#include "store.h"

struct keys_pair;
struct zap;

#define ROUTING_ID_MAX 255
#define FOLLOW_HOLD_MS 2000
#define POISON_CRASHES 2           /* chefs a dish may crash before it is failed */

/*
 * A kitchenctl request answered later: an ORDER's OK or a report (SHOW, a
 * finished WAIT) once store batch @batch is committed, or a WAIT not yet
 * finished.
 */
struct pending_reply {
	uint8_t rid[ROUTING_ID_MAX];
	size_t rid_len;
	uint64_t order_id;
	uint32_t n_dishes;
	bool report;                    /* a report of the order, not an ORDER's OK */
	uint64_t batch;
	uint64_t deadline_ms;           /* WAIT: answer by then even if not done */
	struct pending_reply *next;
};

struct kitchen {
	struct kitchen_config *config;  /* owned */
	char *log_level;                /* --log-level, kept across reloads; or NULL */
	struct menu menu;
	struct store *store;

	void *zctx;
	void *control;                  /* ROUTER <- kitchenctl REQ */
	void *events;                   /* XPUB   -> kitchenctl SUB */
	void *dispatch;                 /* ROUTER <-> chef DEALER */
	void *sink;                     /* PULL   <- chef PUSH */
	int signal_fd;
	struct keys_pair *curve;        /* kitchend's CURVE key pair; NULL: tcp is plaintext */
	struct zap *zap;                /* the ZAP handler when curve is set (zap.h) */

	struct pool pool;
	struct chef_list chefs;
	struct dish_queue queue;        /* committed, waiting for a chef */
	struct idmap orders;            /* open orders by id */
	struct order *new_orders;       /* accepted, not yet committed; oldest first */
	struct order *new_orders_tail;
	struct pending_reply *acks;     /* replies waiting for a commit, by batch */
	struct pending_reply *waits;    /* WAIT long polls */

	uint64_t next_order_id;
	uint64_t next_dish_id;
	uint64_t n_queued;              /* dishes not yet cooking, held ones included */
	uint64_t n_cooking;
	uint64_t n_served;
	uint64_t n_failed;
	uint64_t n_malformed;
	uint64_t n_stale;               /* results and stage lines of superseded attempts */

	uint64_t subscriptions;         /* all live subscriptions on events */
	uint64_t follow_all;            /* subscriptions that match every order */
	uint64_t n_held_orders;         /* committed, waiting for their follower */

	char *scratch[3];               /* PROTO_MAX_FIELD + 1 bytes each, for field copies */

	size_t dispatch_rotate;         /* which chef dispatch_cook fills first */
	uint64_t started_ms;
	uint64_t next_heartbeat_ms;
	uint64_t next_expiry_ms;
	uint64_t watchdog_ms;           /* half of WatchdogSec, or 0 */
	uint64_t next_watchdog_ms;
	uint64_t stop_deadline_ms;
	bool ready_sent;
	bool stopping;
	bool done;
	int exit_code;

	struct proto_msg *msg;          /* receive buffer, reused */
};

/* kitchen.c: set-up and tear-down; loop.c: the loop; reload.c */
/* Takes @config, also on failure. @log_level: the command line's, which
 * outlives reloads; NULL for the file's. */
int kitchen_new(struct kitchen_config *config, const char *log_level, struct kitchen **ret);
void kitchen_free(struct kitchen **k);
int kitchen_run(struct kitchen *k);  /* until stopped; returns the exit code */
/* Re-read the configuration file and apply it; on failure keep the running
 * one and put the reason (FILE:LINE: ...) in @err. 0 or -errno. */
int kitchen_reload(struct kitchen *k, char *err, size_t err_size);
void kitchen_order_finished(struct kitchen *k, struct order *o);

/* sockets.c */
int kitchen_open_curve(struct kitchen *k);
int kitchen_open_socket(struct kitchen *k, int type, enum config_endpoint which, void **ret);
/* control.mode and control.group on the ipc control and events sockets. */
int kitchen_socket_access(const struct kitchen_config *c, enum config_endpoint which);

/* recovery.c: resume the open orders of the store. */
int kitchen_recover(struct kitchen *k);

/* reload.c: what local chefs are started with, from @c. */
void kitchen_pool_args(const struct kitchen_config *c, struct pool_args *a);

/* dispatch.c */
bool dispatch_read(struct kitchen *k);  /* true: stopped at its budget */
void dispatch_cook(struct kitchen *k);
void dispatch_heartbeat(struct kitchen *k, uint64_t now);
void dispatch_expire(struct kitchen *k, uint64_t now);  /* dishes.timeout_ms */
void dispatch_chef_dead(struct kitchen *k, struct chef *c, const char *why, bool crashed);
void dispatch_local_exit(struct kitchen *k, const char *name, uint64_t pid, const char *why, bool crashed);
bool dispatch_has_credit(const struct kitchen *k);  /* the first queued dish could go out */
void dispatch_retire(struct kitchen *k, uint64_t now);  /* local chefs scaled away by a reload */

/* sink.c */
bool sink_read(struct kitchen *k);  /* true: stopped at its budget */
void sink_dish_failed(struct kitchen *k, struct dish *d, const char *chef, const char *reason);

/* control.c */
bool control_read(struct kitchen *k);  /* true: stopped at its budget */
/* Release what waits for store batches up to @committed; with @failed, what
 * waits for a later one is refused (the commit failed, kitchend stops). */
void control_after_commit(struct kitchen *k, uint64_t committed, bool failed);
/* WAITs due an answer (done, or out of time) wait for the batch holding
 * what they report. */
void control_expire_waits(struct kitchen *k, uint64_t now);
/* Whether no reply waits for a commit. */
bool control_idle(const struct kitchen *k);
uint64_t control_next_deadline(const struct kitchen *k);

/* events.c */
bool events_read(struct kitchen *k);  /* true: stopped at its budget */
bool events_followed(const struct kitchen *k, const struct order *o);
void events_ordered(struct kitchen *k, const struct order *o);
void events_stage(struct kitchen *k, const struct dish *d, const char *chef, const char *text);
void events_served(struct kitchen *k, const struct dish *d, const char *chef,
		   const char *result, const char *items);
void events_failed(struct kitchen *k, const struct dish *d, const char *chef, const char *reason);
void events_done(struct kitchen *k, const struct order *o);
void events_chef(struct kitchen *k, const char *chef, const char *state, const char *detail);
void events_release_held(struct kitchen *k, uint64_t now);

/* Put a committed order's queued dishes on the queue (held ones wait). */
void kitchen_enqueue(struct kitchen *k, struct order *o);

/* Count a malformed message from @where and log it (rate-limited). */
void kitchen_malformed(struct kitchen *k, const char *where, const char *why);
/* The same for a message proto_recv() refused: says so when it was of
 * another protocol version (a peer of another release). */
void kitchen_refused(struct kitchen *k, const char *where, const struct proto_msg *m);
