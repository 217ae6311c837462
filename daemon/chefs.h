/*
 * chefs — the chefs on the line, as kitchend sees them on the dispatch socket.
 *
 * A chef is known by its routing id (its chef_id, "<name>.<pid>.<random>"),
 * from its READY until it is declared dead: silent for liveness heartbeat
 * intervals, unroutable, or (for a local chef) its process exited. Each
 * READY starts a session with a token of its own, which kitchend sends in
 * every DISH and the chef puts in every PROGRESS and RESULT: a result counts
 * only from the session that holds the dish, whoever else knows its chef_id. It holds
 * at most @credit dishes; each is on its in-flight list until a RESULT for
 * that dish and attempt comes through the sink. A dish that was at a chef
 * that crashed, or that outlived dishes.timeout_ms, is a suspect: it is
 * cooked alone, and the chef holding it gets nothing else until it is done,
 * so that a second crash says whose it is and no dish waits behind a hang.
 * A dish taken back with CANCEL (dishes.timeout_ms) keeps its credit until
 * the chef's RESULT for that attempt says the station let it go, and the
 * chef gets no new dish meanwhile (a healthy one answers within a
 * millisecond): a chef stuck on a dish gets nothing more to wait behind it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "skills.h"

struct dish;

#define CHEF_ID_MAX 128
/* An event-loop chef announces its slots (chef_config.h: up to 10000) and a window. */
#define CHEF_MAX_CREDIT 16384
#define CHEF_MAX_COUNT 4096
#define CHEF_MAX_PER_PEER 64       /* chefs of one key or address (as many as chefs.local) */
#define CHEF_PEER_MAX 127

struct chef_cancelled {
	uint64_t dish_id;
	uint64_t attempt;
};

struct chef {
	char id[CHEF_ID_MAX + 1];       /* routing id, text */
	size_t id_len;
	char name[PROTO_MAX_NAME + 1];
	char host[PROTO_MAX_NAME + 1];
	char token[PROTO_TOKEN_LEN + 1];  /* this session's secret: in every DISH, back in every result */
	char peer[CHEF_PEER_MAX + 1];     /* who connected it: "key NAME", "address IP", "local uid:gid" */
	uint64_t pid;
	unsigned stations;
	unsigned credit;                /* dishes it may hold */
	unsigned n_inflight;
	struct dish **inflight;         /* @credit slots, first n_inflight used, oldest first */
	uint64_t *since_ms;             /* when each in-flight dish was handed over */
	uint32_t *cook_ms;              /* how long each takes by its recipe; 0: not known */
	uint64_t *due_ms;               /* when each of the first @stations is done; 0: not known */
	unsigned n_cancelled;
	struct chef_cancelled *cancelled;  /* @credit slots: CANCELled, not yet let go */
	uint64_t last_seen_ms;
	uint64_t served;                /* sink.c: RESULTs served, ... */
	uint64_t failed;                /* ... and failed, but those answering a CANCEL on request */
	struct skills skills;           /* what it can cook */
	bool local;                     /* spawned by this kitchend */
	bool holds_suspect;             /* holds a dish that crashed a chef, and nothing else */
	bool retiring;                  /* a local chef scaled away by a reload: no new dish */
	struct chef *next;
};

struct chef_list {
	struct chef *head;
	size_t len;
};

/* A new chef with room for @credit dishes and a token of its own (from
 * getrandom()); NULL on ENOMEM or when no random bytes could be had. */
struct chef *chef_new(const char *id, size_t id_len, unsigned credit);
/* Whether @f is @c's token (compared in constant time). */
bool chef_token_is(const struct chef *c, const struct proto_field *f);
void chef_free(struct chef **c);  /* NULL is fine */

struct chef *chef_list_find(struct chef_list *l, const char *id, size_t id_len);
struct chef *chef_list_find_name(struct chef_list *l, const char *name);
void chef_list_add(struct chef_list *l, struct chef *c);
void chef_list_remove(struct chef_list *l, struct chef *c);

static inline unsigned chef_free_credit(const struct chef *c)
{
	return c->holds_suspect || c->retiring || c->n_cancelled ? 0 : c->credit - c->n_inflight;
}

/*
 * The credit window (design brief, decision 1). A chef announces credit for
 * its stations plus a window of dishes that wait at the chef, so that short
 * dishes do not each wait for a round trip to kitchend. Only as much of the
 * window is used as holds about CHEF_WINDOW_US of work per station for
 * dishes of @dish_us: all of it for no-op dishes (0), none for dishes longer
 * than that, so an idle chef is never starved while another holds a queue.
 *
 * Where dishes are too long for a window (not one dish of it), a dish
 * whose recipe says when it is done (not a program) makes room for one more
 * CHEF_LEAD_MS before then, one a station at most: the next dish is at the
 * chef when its station frees, instead of a round trip to kitchend later,
 * and it waits there about a millisecond, as a window's would. The first @stations dishes held are
 * the ones cooking (a chef takes its dishes in the order they came); one
 * behind them starts when a RESULT takes one of those back. A dish later
 * than the lead past its time makes no room: its station may hang, and a
 * dish sent to wait behind it could wait for ever.
 * The dishes @c may be sent at @now (ms, monotonic); @lead: with the lead.
 */
#define CHEF_WINDOW_US 1000
#define CHEF_LEAD_MS 1
unsigned chef_usable_credit(const struct chef *c, uint64_t dish_us, uint64_t now, bool lead);
/* When @c's usable credit next grows by the lead (a dish comes within
 * CHEF_LEAD_MS of its due time) for dishes of @dish_us, after @now;
 * UINT64_MAX if it does not. */
uint64_t chef_next_lead(const struct chef *c, uint64_t dish_us, uint64_t now);

/* @d goes to @c at @now (orders_hand() made it cooking there); needs free
 * credit. @dish_ms: how long it takes by its recipe, 0 when not known. */
void chef_hold(struct chef *c, struct dish *d, uint64_t now, uint32_t dish_ms);
/* Take the dish @dish_id back from the in-flight list at @now if its
 * current attempt is @attempt (compared whole: a chef cannot alias
 * attempts); NULL when it is not there (a stale or unknown result). */
struct dish *chef_release(struct chef *c, uint64_t dish_id, uint64_t attempt, uint64_t now);
/* As chef_release, for a dish the chef is told to CANCEL: its credit stays
 * taken until chef_dropped() hears the chef let it go. */
struct dish *chef_cancel(struct chef *c, uint64_t dish_id, uint64_t attempt, uint64_t now);
/* The chef answered for a CANCELled dish: give its credit back. false when
 * (@dish_id, @attempt) was not cancelled at @c. */
bool chef_dropped(struct chef *c, uint64_t dish_id, uint64_t attempt);
