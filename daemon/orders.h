/*
 * orders — the one home of every order and dish kitchend holds: the queue,
 * the open orders, the counters, and each state change, by name.
 *
 * An order is admitted (written to the store, not yet durable), then its
 * store batch commits. An order due later (due_ms, wall clock, still ahead)
 * is delayed: it waits on a heap, soonest due first, and the loop sleeps
 * until the soonest is due (orders_next_due()), so delayed orders cost no
 * CPU. Once due (at once for most orders) it opens: its dishes join the
 * queue, unless it was submitted with "follow" and nobody follows it yet,
 * in which case it is held until its follower subscribes or ORDERS_HOLD_MS
 * pass (so the follower sees every stage). Nothing is queued before its
 * commit, nor before it is due.
 *
 *	admitted ──commit──┬──due later──▶ delayed ──due──┐
 *	                   ▼◀──────────────────────────────┘
 *	     "follow" and not followed? ──yes──▶ held ──followed / hold over──▶ open
 *	                   └────────────────no─────────────────────────────────▲
 *
 * The queue takes the highest priority first (PROTO_PRIORITY_*, the
 * order's), and within one priority the oldest first; a dish taken back
 * from a chef goes to the front of its priority. A chef holds at most its
 * credit window of dishes handed over before a more urgent one came in
 * (dispatch.c), so a dish of a higher priority waits behind at most one
 * window of lower ones.
 *
 * A dish of an open order:
 *
 *	queued ──handed to a chef──▶ cooking ──served──▶ served
 *	  ▲  │                          │
 *	  │  └─off the menu─▶ failed ◀──┤ taken back, attempts spent or poison
 *	  ├─────────taken back──────────┘ (chef failed it, left, crashed, timed out)
 *	  │  └───────cancel───▶ cancelled ◀──cancel: its chef stopped it (or left)
 *	  └──retry── failed, cancelled
 *
 * When an order's last dish is served, failed or cancelled the order is
 * finished: its final state is written, DONE is published and the order
 * leaves memory (once its cancelled dishes have left the queue). A retry
 * opens it again.
 *
 * Every transition writes what it must to the store (store.h) and publishes
 * its event (events.h); the callers (control, dispatch, sink, recovery) do
 * neither for orders and dishes, and never change a dish's state or a
 * counter. The accounting identity: every dish admitted is queued, cooking,
 * served or failed, exactly one of them (a dish of an admitted, delayed or
 * held order is queued, but not on the queue); orders_check() recounts it.
 *
 *	r = orders_admit(os, &request, &o);                // then wait for o->batch
 *	orders_committed(os, committed, now);              // every loop turn
 *	orders_queue_due(os, wall_ms(), now);              // every loop turn; sleep until orders_next_due()
 *	while (credit && (d = orders_next_for(os, can_cook, chef, true))) { orders_hand(os, d, chef); ... }
 *	orders_served(os, d, chef, result, items);  orders_take_back(os, d, ...);
 *
 * Failures to record a transition in the store are logged here (they are
 * -ENOMEM: the commit itself fails later, and kitchend stops or waits).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "order.h"

struct chef;
struct events;
struct menu;
struct menu_item;
struct metrics;
struct store;

#define ORDERS_HOLD_MS 10000   /* how long an order waits for its follower: long enough for a
                                 * kitchenctl on a machine under heavy load (50 followers
                                 * starting at once under ASan took over 2 s) */
#define ORDERS_POISON_CRASHES 2  /* chefs a dish may crash before it fails */

struct orders;

struct orders_counts {
	uint64_t queued;        /* not at a chef yet: admitted, held and queued dishes */
	uint64_t cooking;
	uint64_t served;        /* ever, as the store counts them */
	uint64_t failed;
	uint64_t cancelled;
	size_t open;            /* orders not finished, admitted ones too */
	size_t held;
	size_t delayed;         /* orders waiting for their due time */
};

/* Why a dish comes back from a chef. */
enum orders_back {
	ORDERS_BACK_FAILED,     /* the chef could not cook it */
	ORDERS_BACK_GONE,       /* the chef left or went silent holding it */
	ORDERS_BACK_CRASHED,    /* the chef's process crashed holding it: counts for poison */
	ORDERS_BACK_TIMED_OUT,  /* it outlived dishes.timeout_ms */
};

/* Records go to @store, events to @events, measurements to @metrics; all
 * must outlive @ret. */
int orders_new(struct store *store, struct events *events, struct metrics *metrics, unsigned max_attempts,
	       struct orders **ret);
/* Frees every order still held; NULL is fine. */
void orders_free(struct orders **os);
/* dishes.max_attempts after a reload: applies from the next take back. */
void orders_set_max_attempts(struct orders *os, unsigned max_attempts);

/*
 * Take up the open orders of the store, at start: ids continue after the
 * store's, queued and cooking dishes (cooking ones are cooked again) join
 * the queue, oldest order first, at their order's priority; an order due
 * later than now (wall clock) is delayed again, one whose due time passed
 * while kitchend was down is queued now; and an order whose last dish finished as
 * kitchend died is finished now (on a full disk, recorded once it has
 * space). Names leave through @menu (menu_intern). The queue makes room
 * at once for the dishes ahead, up to @max_queued (orders.max_queued).
 * The number of orders and dishes resumed in *ret_orders, *ret_dishes.
 */
int orders_resume(struct orders *os, struct menu *menu, uint64_t max_queued, size_t *ret_orders,
		  uint64_t *ret_dishes);

/* What an order asks for. */
struct orders_request {
	const char *key;                  /* idempotency key; "" for none */
	struct menu_item *const *items;   /* its dishes, 1 .. PROTO_ORDER_MAX_DISHES */
	const struct proto_field *inputs; /* their inputs, @stride apart; NULL: none */
	size_t stride;                    /* 0 is 1 */
	size_t n;
	unsigned priority;                /* PROTO_PRIORITY_MIN .. PROTO_PRIORITY_MAX */
	uint64_t due_ms;                  /* wall clock: its dishes wait until then; 0: at once */
	bool follow;                      /* hold it until it is followed */
};

/*
 * Admit an order: its ids are taken and it is written to the store's
 * current batch; it is not queued until that batch commits
 * (orders_committed). *ret stays valid while the order is open. -ENOMEM,
 * or the store's error (nothing is kept then; the ids are spent).
 */
int orders_admit(struct orders *os, const struct orders_request *req, struct order **ret);
/* Open the admitted orders whose store batch is at most @committed (at
 * monotonic time @now), or delay those due later than the wall clock. */
void orders_committed(struct orders *os, uint64_t committed, uint64_t now);
/* Open (or hold, at monotonic @now) the delayed orders due at wall clock
 * @wall or before, soonest first. */
void orders_queue_due(struct orders *os, uint64_t wall, uint64_t now);
/* When the soonest delayed order is due (wall clock ms), UINT64_MAX with none. */
uint64_t orders_next_due(const struct orders *os);
/*
 * Drop every admitted order not committed (their batch failed): calls
 * @dropped for each, then frees it. For a store that can take them out of
 * what waits to be committed, the caller does that in @dropped.
 */
void orders_drop_admitted(struct orders *os, void (*dropped)(const struct order *o, void *u), void *u);

/* The open (or admitted) order @id, or NULL. */
struct order *orders_get(const struct orders *os, uint64_t id);

/* Someone subscribed to order @id's events: it is followed from now on
 * (released if held). Unknown ids are ignored. */
void orders_follow(struct orders *os, uint64_t id);
/* Release held orders whose hold is over. */
void orders_release_due(struct orders *os, uint64_t now);
/* When the first hold ends (monotonic ms), UINT64_MAX with none held. */
uint64_t orders_next_release(const struct orders *os);
/* Whether @o's dishes are cooked with stage lines: it, or every order, is followed. */
bool orders_followed(const struct orders *os, const struct order *o);

/* The dish at the front of the queue (the highest priority's oldest), left
 * there; NULL when none waits there (some may wait on the shelf). */
struct dish *orders_next(struct orders *os);
/* Whether a dish waits, on the queue or the shelf. */
bool orders_waiting(const struct orders *os);

/*
 * The dish a chef that cooks what @can says yes to (NULL: everything) is to
 * cook next, left where it is; NULL when none. The shelf's dishes it can
 * cook come first (shelf.h), then the queue's front, whichever is of the
 * higher priority. With @park, the queue's front dishes it cannot cook go
 * on the shelf meanwhile (at most ORDERS_PARK_MAX a call), for a chef that
 * can; without, a front it cannot cook stops the look (NULL). A dish no
 * longer on the menu (item->recipe NULL) is given whatever @can says, for
 * the caller to fail it (orders_unservable()).
 */
#define ORDERS_PARK_MAX 4096
typedef bool (*orders_can_fn)(const struct menu_item *item, void *u);
struct dish *orders_next_for(struct orders *os, orders_can_fn can, void *u, bool park);
/* Hand @d, which orders_next_for() gave, to chef @c: it is cooking, as its next attempt. */
struct dish *orders_hand(struct orders *os, struct dish *d, struct chef *c);
/* @d, which orders_next_for() gave, cannot be cooked by anyone (@reason): it fails at once. */
void orders_unservable(struct orders *os, struct dish *d, const char *reason);
/* For each menu item with dishes on the shelf: @cb(item, dishes waiting, @u). */
void orders_shelved(const struct orders *os, void (*cb)(const struct menu_item *item, size_t n, void *u),
		    void *u);

/* Cooking dish @d was served by chef @chef: its result, bytes (a program's output). */
void orders_served(struct orders *os, struct dish *d, const char *chef, const void *result,
		   size_t result_len, const char *items);
/*
 * Cooking dish @d comes back from chef @chef for @reason: to the front of
 * the queue as a new attempt, or failed for good when its attempts are spent
 * or (ORDERS_BACK_CRASHED) it crashed ORDERS_POISON_CRASHES chefs. Crashed
 * and timed-out dishes are cooked alone from then on (chef.h).
 */
void orders_take_back(struct orders *os, struct dish *d, const char *chef, const char *reason,
		      enum orders_back why);

/*
 * The order book: operations on orders on request.
 *
 * orders_cancel() cancels dishes @indexes (@n of them; 0: every dish) of
 * order @o, which is open, held or delayed: a waiting dish is cancelled at once; a
 * dish being cooked is recorded cancelled, @stop tells its chef (returning
 * the chef's name), and it ends when the chef answers: cancelled, or served
 * if it was ready first (it stays cooking until then; if its chef goes
 * meanwhile, cancelled). Dishes done already are left as they are. Counts
 * in *ret. -ERANGE for an index out of the order (nothing done), -EAGAIN
 * for an order admitted and not yet committed. @o may be gone (finished)
 * when it returns.
 *
 * orders_purge() cancels every waiting dish of the open, held and delayed
 * orders (of @item only, unless NULL), returning how many.
 *
 * orders_retry() gives the failed and cancelled dishes @indexes (0: all)
 * of order @id a new series of attempts: queued again, attempts from 0,
 * the reasons so far kept in the record. A finished order is read back
 * from the store (names through @menu) and opens again (delayed again if
 * it is due later: its dishes are queued then); everything
 * written must be committed first (store_sync(): -EAGAIN otherwise).
 * How many in *ret_retried; -ENOENT for no such order, -ERANGE.
 */
struct orders_cancelled {
	unsigned cancelled;    /* waiting: cancelled now */
	unsigned cancelling;   /* at a chef, told to stop */
	unsigned finished;     /* served, failed or cancelled before: left alone */
};
typedef const char *(*orders_stop_fn)(struct dish *d, void *u);

int orders_cancel(struct orders *os, struct order *o, const uint32_t *indexes, size_t n, orders_stop_fn stop,
		  void *u, struct orders_cancelled *ret);
uint64_t orders_purge(struct orders *os, const struct menu_item *item);
int orders_retry(struct orders *os, struct menu *menu, uint64_t id, const uint32_t *indexes, size_t n,
		 unsigned *ret_retried);

void orders_counts(const struct orders *os, struct orders_counts *ret);

/*
 * Recount every open order and dish and compare with the counters, the
 * queue (each dish at its order's priority), the heap of delayed orders
 * and the held list: 0, or -EUCLEAN with what disagrees at debug
 * level. Linear in the open dishes: debug builds run it every loop turn
 * (loop.c), the unit tests after every step.
 */
int orders_check(const struct orders *os);
