/*
 * kitchen — kitchend as a whole: what it holds, its set-up, and its loop.
 *
 * One thread, one zpoll() loop over the four sockets, a signalfd and the
 * store's fd; nothing in it blocks: the store writes and commits on a
 * thread of its own (store.h). A turn (loop.c, kitchen_run):
 *
 *	poll (until a socket, signal or commit is ready, or the next timer is due)
 *	read:   sink results, chef READY/HEARTBEAT, control requests, subscriptions
 *	timers: heartbeats and dead chefs, chef restarts, held orders, waits
 *	open:   the orders of every store batch committed since the last turn
 *	        (nothing is cooked that is not durable)
 *	cook:   hand queued dishes to chefs with free credit
 *	answer: the orders just opened are acknowledged; SHOWs and finished
 *	        WAITs that waited are answered
 *	store:  hand this turn's writes to the store's writer, if it is idle
 *	        (else they join the next batch)
 *
 * Who does what (docs/architecture.md has the map):
 *
 *	orders.c    every order and dish: the queue, the counters, each transition
 *	dispatch.c  chefs on the dispatch socket: who they are, what they hold,
 *	            whether they live, handing them dishes against their credit
 *	sink.c      what chefs report: stage lines and results
 *	control.c   kitchenctl's requests; pending.c the ones answered later;
 *	            reports.c what a report says; reply.c how replies are sent
 *	events.c    the PUB side: what followers are told, and who follows
 *	reader.c    the read loop of the three protocol sockets
 *	kitchen.c   set-up and tear-down; loop.c the loop; reload.c a reload;
 *	            sockets.c binding the four sockets
 *
 * struct kitchen is what they share; each part changes only its own fields
 * (named below) and asks the others for the rest.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "chefs.h"
#include "config.h"
#include "idmap.h"
#include "malformed.h"
#include "menu.h"
#include "metrics.h"
#include "pool.h"
#include "proto.h"
#include "store.h"

struct events;
struct keys_pair;
struct orders;
struct pending;
struct store;
struct zap;

struct kitchen {
	struct kitchen_config *config;  /* owned; replaced by reload.c */
	char *log_level;                /* --log-level, kept across reloads; or NULL */
	struct menu menu;
	struct store *store;
	struct orders *orders;          /* orders.h */
	struct events *events;          /* events.h */
	struct pending *pending;        /* pending.h */
	struct malformed malformed;     /* every reader counts here */
	struct metrics metrics;         /* metrics.h: orders.c counts, loop.c turns the clock */

	void *zctx;
	void *control;                  /* ROUTER <- kitchenctl REQ */
	void *events_sock;              /* XPUB   -> kitchenctl SUB */
	void *dispatch;                 /* ROUTER <-> chef DEALER */
	void *sink;                     /* PULL   <- chef PUSH */
	int signal_fd;
	int listen_fds[_CONFIG_ENDPOINT_MAX];  /* from systemd, until a socket takes it; else -1 */
	bool activated[_CONFIG_ENDPOINT_MAX];  /* bound on a socket systemd passed (activation.h) */
	struct keys_pair *curve;        /* kitchend's CURVE key pair; NULL: tcp is plaintext */
	struct zap *zap;                /* the ZAP handler when curve is set (zap.h) */

	struct pool pool;               /* pool.h: local chef processes */
	struct chef_list chefs;         /* dispatch.c's */
	struct idmap chef_peers;        /* dispatch.c: chefs of each peer, by the hash of chef->peer */
	size_t dispatch_rotate;         /* dispatch.c: which chef it fills first */
	uint64_t next_heartbeat_ms;     /* dispatch.c */
	uint64_t next_expiry_ms;        /* dispatch.c */
	struct log_ratelimit chef_log;  /* dispatch.c: lines of chefs joining and leaving */
	uint64_t n_stale;               /* sink.c: results and stage lines of superseded attempts */
	struct store_pruned pruned_said; /* loop.c: what the log said the store pruned */
	uint64_t next_prune_note_ms;    /* loop.c: not before this */

	char *scratch[3];               /* PROTO_MAX_FIELD + 1 bytes each, for field copies */

	uint64_t started_ms;
	uint64_t watchdog_ms;           /* half of WatchdogSec, or 0 */
	uint64_t next_watchdog_ms;
	uint64_t stop_deadline_ms;
	bool ready_sent;
	bool stopping;                  /* no new orders, no new dishes to chefs */
	bool done;
	int exit_code;

	struct proto_msg *msg;          /* receive buffer, reused */
};

/* Takes @config, also on failure. @log_level: the command line's, which
 * outlives reloads; NULL for the file's. */
int kitchen_new(struct kitchen_config *config, const char *log_level, struct kitchen **ret);
void kitchen_free(struct kitchen **k);
/* Run until stopped; returns the exit code (loop.c). */
int kitchen_run(struct kitchen *k);
