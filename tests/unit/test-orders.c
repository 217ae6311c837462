/*
 * test-orders — the life of orders and dishes (daemon/orders.c) and a chef's
 * credit and in-flight list (daemon/chef.c), with no kitchend around them:
 * a real store in a temporary directory, a real XPUB on inproc for the
 * events, the default menu. Every case recounts the order book after each
 * step (orders_check), so the counters never drift from the dishes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "chefs.h"
#include "config.h"
#include "events.h"
#include "log.h"
#include "malformed.h"
#include "menu.h"
#include "metrics.h"
#include "orders.h"
#include "store.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/kitchen-test-orders-XXXXXX";
static void *zctx;

/* One kitchen's worth of parts around an orders module. */
struct bench {
	struct kitchen_config *config;
	struct menu menu;
	struct store *store;
	void *xpub;
	struct malformed malformed;
	struct metrics metrics;
	struct events *events;
	struct orders *os;
	struct chef *chef;
};

static int bench_open(struct bench *b, bool fresh, unsigned max_attempts)
{
	char err[256], cmd[128];

	memset(b, 0, sizeof(*b));
	if (fresh) {
		snprintf(cmd, sizeof(cmd), "rm -f %s/kitchen.db*", dir);
		if (system(cmd) != 0)
			return -EIO;
	}
	if (config_load(NULL, &b->config, err, sizeof(err)) < 0)
		return -EINVAL;
	menu_init(&b->menu);
	malformed_init(&b->malformed);
	metrics_init(&b->metrics);
	b->xpub = zmq_socket(zctx, ZMQ_XPUB);
	b->chef = chef_new("chef-1.1.0", 10, 8);
	if (menu_apply(&b->menu, b->config) < 0 || !b->xpub || !b->chef ||
	    store_open(dir, "normal", 0, &b->store, err, sizeof(err)) < 0 ||
	    events_new(b->xpub, &b->malformed, &b->events) < 0 ||
	    orders_new(b->store, b->events, &b->metrics, max_attempts, &b->os) < 0)
		return -EIO;
	b->chef->stations = 2;
	snprintf(b->chef->name, sizeof(b->chef->name), "chef-1");
	return 0;
}

static void bench_close(struct bench *b)
{
	chef_free(&b->chef);
	orders_free(&b->os);
	events_free(&b->events);
	if (b->xpub)
		zmq_close(b->xpub);
	store_close(&b->store);
	menu_finish(&b->menu);
	config_free(&b->config);
}

/* Commit what is written and open what it holds. */
static int commit(struct bench *b, uint64_t now)
{
	int r = store_sync(b->store);

	if (r < 0)
		return r;
	orders_committed(b->os, store_committed(b->store), now);
	return orders_check(b->os);
}

static struct order *admit_at(struct bench *b, const char *const *dishes, size_t n, bool follow,
			       unsigned priority, uint64_t due_ms)
{
	struct menu_item *items[PROTO_ORDER_MAX_DISHES];
	struct order *o;

	for (size_t i = 0; i < n; i++)
		items[i] = menu_lookup(&b->menu, dishes[i]);
	if (orders_admit(b->os, &(struct orders_request) {
			    .key = "", .items = items, .n = n, .priority = priority, .due_ms = due_ms,
			    .follow = follow,
		    }, &o) < 0 || orders_check(b->os) < 0)
		return NULL;
	return o;
}

static struct order *admit(struct bench *b, const char *const *dishes, size_t n, bool follow)
{
	return admit_at(b, dishes, n, follow, PROTO_PRIORITY_DEFAULT, 0);
}

/* Hand the front dish to the bench's chef, as dispatch.c does. */
static struct dish *hand(struct bench *b)
{
	struct dish *d = orders_next_for(b->os, NULL, NULL, true);

	if (!d)
		return NULL;
	d = orders_hand(b->os, d, b->chef);
	chef_hold(b->chef, d, 0, 0);
	return d;
}

static struct orders_counts counts(const struct bench *b)
{
	struct orders_counts n;

	orders_counts(b->os, &n);
	return n;
}

static const char *const two[] = { "Pizza", "Salad" };
static struct bench b_cancel;

static int test_nothing_queued_before_commit(void)
{
	struct bench b;
	struct order *o;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit(&b, two, 2, false);
	CHECK(o && o->phase == ORDER_WRITTEN);
	CHECK(counts(&b).queued == 2 && counts(&b).open == 1);
	CHECK(orders_next(b.os) == NULL);
	CHECK(orders_get(b.os, o->id) == o);
	CHECK(commit(&b, 0) == 0);
	CHECK(o->phase == ORDER_OPEN);
	CHECK(orders_next(b.os) == &o->dishes[0]);
	CHECK(counts(&b).queued == 2);
	bench_close(&b);
	return 0;
}

static int test_held_until_followed(void)
{
	struct bench b;
	struct order *o, *early;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit(&b, two, 2, true);
	CHECK(o);
	/* Its follower subscribed before the commit: not held at all. */
	early = admit(&b, two, 1, true);
	CHECK(early);
	orders_follow(b.os, early->id);
	CHECK(orders_check(b.os) == 0 && orders_next(b.os) == NULL);
	CHECK(commit(&b, 1000) == 0);
	CHECK(o->phase == ORDER_HELD && counts(&b).held == 1);
	CHECK(early->phase == ORDER_OPEN && orders_next(b.os) == &early->dishes[0]);
	CHECK(orders_next_release(b.os) == 1000 + ORDERS_HOLD_MS);
	/* Following an order twice, or one that is gone, changes nothing. */
	orders_follow(b.os, o->id);
	orders_follow(b.os, o->id);
	orders_follow(b.os, 999);
	CHECK(orders_check(b.os) == 0);
	CHECK(o->phase == ORDER_OPEN && counts(&b).held == 0 && counts(&b).queued == 3);
	CHECK(orders_next_release(b.os) == UINT64_MAX);
	CHECK(orders_followed(b.os, o) && !orders_followed(b.os, &(struct order) { 0 }));
	bench_close(&b);
	return 0;
}

static int test_hold_ends(void)
{
	struct bench b;
	struct order *o;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit(&b, two, 2, true);
	CHECK(o && commit(&b, 1000) == 0);
	orders_release_due(b.os, 1000 + ORDERS_HOLD_MS - 1);
	CHECK(orders_check(b.os) == 0 && o->phase == ORDER_HELD);
	orders_release_due(b.os, 1000 + ORDERS_HOLD_MS);
	CHECK(orders_check(b.os) == 0 && o->phase == ORDER_OPEN && orders_next(b.os));
	bench_close(&b);
	return 0;
}

static int test_served_to_the_end(void)
{
	struct bench b;
	struct store_order so;
	struct order *o;
	struct dish *d;
	uint64_t id;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit(&b, two, 2, false);
	CHECK(o && commit(&b, 0) == 0);
	id = o->id;
	d = hand(&b);
	CHECK(d == &o->dishes[0] && d->state == PROTO_STATE_COOKING && d->attempts == 1 && d->chef == b.chef);
	CHECK(orders_check(b.os) == 0 && counts(&b).queued == 1 && counts(&b).cooking == 1);
	CHECK(chef_release(b.chef, d->id, 1, 0) == d);
	orders_served(b.os, d, "chef-1", "Served Pizza", 12, "a\nb");
	CHECK(orders_check(b.os) == 0 && counts(&b).served == 1 && o->n_served == 1);
	d = hand(&b);
	CHECK(chef_release(b.chef, d->id, 1, 0) == d);
	orders_served(b.os, d, "chef-1", "Served Salad", 12, "c");
	/* The last dish finished the order: it left memory, the store has it. */
	CHECK(orders_get(b.os, id) == NULL);
	CHECK(orders_check(b.os) == 0 && counts(&b).open == 0 && counts(&b).served == 2);
	CHECK(store_sync(b.store) == 0);
	CHECK(store_get_order(b.store, id, &so, NULL, NULL) == 0);
	CHECK(so.state == PROTO_STATE_SERVED && so.served == 2);
	bench_close(&b);
	return 0;
}

static int test_taken_back_to_the_front(void)
{
	struct bench b;
	struct order *o;
	struct dish *d;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit(&b, two, 2, false);
	CHECK(o && commit(&b, 0) == 0);
	d = hand(&b);
	CHECK(chef_release(b.chef, d->id, 1, 0) == d);
	orders_take_back(b.os, d, "chef-1", "chef chef-1 left", ORDERS_BACK_GONE);
	CHECK(orders_check(b.os) == 0);
	CHECK(orders_next(b.os) == d && d->state == PROTO_STATE_QUEUED && d->attempts == 1 && !d->suspect);
	CHECK(counts(&b).queued == 2 && counts(&b).cooking == 0);
	/* The next attempt is numbered on. */
	CHECK(hand(&b) == d && d->attempts == 2);
	bench_close(&b);
	return 0;
}

static int test_attempts_spent(void)
{
	struct bench b;
	struct order *o;
	struct dish *d = NULL;

	CHECK(bench_open(&b, true, 2) == 0);
	o = admit(&b, two, 1, false);
	CHECK(o && commit(&b, 0) == 0);
	for (int i = 0; i < 2; i++) {
		d = hand(&b);
		CHECK(chef_release(b.chef, d->id, d->attempts, 0) == d);
		orders_take_back(b.os, d, "chef-1", "chef chef-1: burnt", ORDERS_BACK_FAILED);
		CHECK(orders_check(b.os) == 0);
	}
	/* Two attempts of two: failed, and with it the order. */
	CHECK(counts(&b).failed == 1 && counts(&b).open == 0 && orders_next(b.os) == NULL);
	bench_close(&b);
	return 0;
}

static int test_poison(void)
{
	struct bench b;
	struct order *o;
	struct dish *d;

	CHECK(bench_open(&b, true, 10) == 0);
	o = admit(&b, two, 2, false);
	CHECK(o && commit(&b, 0) == 0);
	d = hand(&b);
	CHECK(chef_release(b.chef, d->id, 1, 0) == d);
	orders_take_back(b.os, d, "chef-1", "chef chef-1 crashed", ORDERS_BACK_CRASHED);
	CHECK(orders_check(b.os) == 0 && d->suspect && d->crashes == 1 && orders_next(b.os) == d);
	d = hand(&b);
	CHECK(chef_release(b.chef, d->id, 2, 0) == d);
	orders_take_back(b.os, d, "chef-1", "chef chef-1 crashed", ORDERS_BACK_CRASHED);
	CHECK(orders_check(b.os) == 0 && d->state == PROTO_STATE_FAILED && counts(&b).failed == 1);
	CHECK(o->phase == ORDER_OPEN && o->n_failed == 1);  /* the Salad still waits */
	bench_close(&b);
	return 0;
}

static int test_timed_out_is_suspect(void)
{
	struct bench b;
	struct dish *d;

	CHECK(bench_open(&b, true, 3) == 0);
	CHECK(admit(&b, two, 1, false) && commit(&b, 0) == 0);
	d = hand(&b);
	CHECK(chef_cancel(b.chef, d->id, 1, 0) == d);
	orders_take_back(b.os, d, "chef-1", "chef chef-1 took longer than 10 ms", ORDERS_BACK_TIMED_OUT);
	CHECK(orders_check(b.os) == 0 && d->suspect && d->crashes == 0 && orders_next(b.os) == d);
	/* Its credit stays with the chef until it lets go of the dish. */
	CHECK(chef_free_credit(b.chef) == 0);
	CHECK(chef_dropped(b.chef, d->id, 1) && chef_free_credit(b.chef) == 8);
	bench_close(&b);
	return 0;
}

static int test_unservable(void)
{
	struct bench b;

	CHECK(bench_open(&b, true, 3) == 0);
	CHECK(admit(&b, two, 2, false) && commit(&b, 0) == 0);
	orders_unservable(b.os, orders_next(b.os), "no longer on the menu");
	CHECK(orders_check(b.os) == 0 && counts(&b).failed == 1 && counts(&b).queued == 1);
	bench_close(&b);
	return 0;
}

static void count_dropped(const struct order *o, void *u)
{
	(*(size_t *) u) += o->n_dishes;
}

static int test_drop_admitted(void)
{
	struct bench b;
	size_t dropped = 0;

	CHECK(bench_open(&b, true, 3) == 0);
	CHECK(admit(&b, two, 2, false) && commit(&b, 0) == 0);
	CHECK(admit(&b, two, 2, false) && admit(&b, two, 1, true));
	orders_drop_admitted(b.os, count_dropped, &dropped);
	CHECK(orders_check(b.os) == 0 && dropped == 3);
	CHECK(counts(&b).queued == 2 && counts(&b).open == 1);
	bench_close(&b);
	return 0;
}

static int test_resume(void)
{
	struct bench b;
	struct order *o, *done;
	size_t n_orders;
	uint64_t n_dishes, id, done_id;
	struct dish *d;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit(&b, two, 2, false);
	done = admit(&b, two, 1, false);
	CHECK(o && done && commit(&b, 0) == 0);
	id = o->id;
	done_id = done->id;
	d = hand(&b);      /* Pizza of o: cooking when kitchend "dies" */
	CHECK(d->order == o);
	d = hand(&b);      /* Salad of o: served */
	CHECK(chef_release(b.chef, d->id, 1, 0) == d);
	orders_served(b.os, d, "chef-1", "Served Salad", 12, "");
	d = hand(&b);      /* the one dish of done: served, but its order's end not written */
	CHECK(chef_release(b.chef, d->id, 1, 0) == d);
	CHECK(store_dish_served(b.store, d->id, 1, 0, 0, "chef-1", "Served Pizza", 12, "") == 0);
	CHECK(store_sync(b.store) == 0);
	chef_free(&b.chef);
	b.chef = chef_new("chef-1.1.0", 10, 8);
	orders_free(&b.os);  /* dies, dishes in flight and all */
	bench_close(&b);

	CHECK(bench_open(&b, false, 3) == 0);
	CHECK(orders_resume(b.os, &b.menu, 1000000, &n_orders, &n_dishes) == 0);
	CHECK(orders_check(b.os) == 0);
	CHECK(n_orders == 1 && n_dishes == 1);
	o = orders_get(b.os, id);
	CHECK(o && o->n_served == 1 && orders_next(b.os) == &o->dishes[0]);
	CHECK(orders_get(b.os, done_id) == NULL);
	CHECK(counts(&b).served == 2 && counts(&b).queued == 1);
	/* New ids follow the store's. */
	o = admit(&b, two, 1, false);
	CHECK(o && o->id == done_id + 1);
	bench_close(&b);
	return 0;
}

static int test_stale_attempts(void)
{
	struct chef *c = chef_new("c.1.0", 5, 4);
	struct order *o = order_new(1, 0, 1, 7);
	struct dish *d = &o->dishes[0];

	CHECK(c && o);
	d->attempts = 1;
	chef_hold(c, d, 0, 0);
	/* An attempt that only agrees in its low 32 bits is another attempt. */
	CHECK(chef_release(c, 7, 1 + (1ULL << 32), 0) == NULL);
	CHECK(chef_release(c, 7, 2, 0) == NULL);
	CHECK(chef_release(c, 8, 1, 0) == NULL);
	CHECK(chef_release(c, 7, 1, 0) == d && c->n_inflight == 0);
	CHECK(chef_release(c, 7, 1, 0) == NULL);  /* once */
	order_free(&o);
	chef_free(&c);
	return 0;
}

static const char *stopped_at;

static const char *stop_chef(struct dish *d, void *u)
{
	stopped_at = d->chef->name;
	return d->chef->name;
}

/* A chef that cooks Salad only: Pizzas go on the shelf for another. */
static bool salad_only(const struct menu_item *item, void *u)
{
	return strcmp(item->name, "Salad") == 0;
}

static void count_shelved(const struct menu_item *item, size_t n, void *u)
{
	if (strcmp(item->name, "Pizza") == 0)
		*(size_t *) u = n;
}

static int test_shelf(void)
{
	static const char *const four[] = { "Pizza", "Salad", "Pizza", "Salad" };
	static const char *const high[] = { "Pizza" };
	struct orders_cancelled n;
	struct bench b;
	struct order *o, *urgent;
	struct dish *d;
	size_t shelved = 0;

	CHECK(bench_open(&b, true, 8) == 0);
	o = admit(&b, four, 4, false);
	CHECK(o && commit(&b, 0) == 0);

	/* The Salad chef parks the Pizza in front of the first Salad. */
	d = orders_next_for(b.os, salad_only, NULL, true);
	CHECK(d == &o->dishes[1] && o->dishes[0].parked && o->dishes[0].in_queue);
	CHECK(orders_check(b.os) == 0);
	/* Without parking, the look stops at a front it cannot cook. */
	CHECK(orders_hand(b.os, d, b.chef) == d);
	chef_hold(b.chef, d, 0, 0);
	CHECK(orders_next_for(b.os, salad_only, NULL, false) == NULL);
	CHECK(orders_next_for(b.os, salad_only, NULL, true) == &o->dishes[3] && o->dishes[2].parked);
	orders_shelved(b.os, count_shelved, &shelved);
	CHECK(shelved == 2 && orders_waiting(b.os) && orders_check(b.os) == 0);

	/* A chef of every dish takes the shelf first: ordered before. */
	CHECK(orders_next_for(b.os, NULL, NULL, true) == &o->dishes[0]);
	/* ... but not before a higher priority on the queue. */
	urgent = admit_at(&b, high, 1, false, PROTO_PRIORITY_MAX, 0);
	CHECK(urgent && commit(&b, 0) == 0);
	CHECK(orders_next_for(b.os, NULL, NULL, true) == &urgent->dishes[0]);
	CHECK(hand(&b) == &urgent->dishes[0]);
	CHECK(hand(&b) == &o->dishes[0] && !o->dishes[0].parked && orders_check(b.os) == 0);

	/* A shelved dish cancelled: a tombstone, no longer waiting. */
	CHECK(orders_cancel(b.os, o, (uint32_t[]) { 2 }, 1, stop_chef, NULL, &n) == 0 && n.cancelled == 1);
	shelved = 0;
	orders_shelved(b.os, count_shelved, &shelved);
	CHECK(shelved == 0 && orders_check(b.os) == 0);
	CHECK(orders_next_for(b.os, NULL, NULL, true) == &o->dishes[3]);
	CHECK(orders_check(b.os) == 0 && counts(&b).queued == 1);
	bench_close(&b);
	return 0;
}

/* Waiting dishes end at once; a cooking one when its chef answers. */
static int test_cancel(void)
{
	static const char *const three[] = { "Pizza", "Salad", "Pizza" };
	struct orders_cancelled n;
	struct store_order so;
	struct order *o, *other;
	struct dish *d;
	uint64_t id;

	CHECK(bench_open(&b_cancel, true, 3) == 0);
	o = admit(&b_cancel, three, 3, false);
	other = admit(&b_cancel, two, 1, false);
	CHECK(o && other && commit(&b_cancel, 0) == 0);
	id = o->id;
	d = hand(&b_cancel);
	CHECK(d == &o->dishes[0]);

	/* An index out of the order: nothing happens. */
	CHECK(orders_cancel(b_cancel.os, o, (uint32_t[]) { 1, 3 }, 2, stop_chef, NULL, &n) == -ERANGE);
	CHECK(orders_check(b_cancel.os) == 0 && counts(&b_cancel).queued == 3);

	/* Dish #1 only: a tombstone on the queue. */
	CHECK(orders_cancel(b_cancel.os, o, (uint32_t[]) { 1 }, 1, stop_chef, NULL, &n) == 0);
	CHECK(n.cancelled == 1 && n.cancelling == 0 && n.finished == 0);
	CHECK(orders_check(b_cancel.os) == 0);
	CHECK(o->dishes[1].state == PROTO_STATE_CANCELLED && counts(&b_cancel).queued == 2);
	CHECK(counts(&b_cancel).cancelled == 1);

	/* The whole order: #2 at once, #0 at its chef, #1 done already. */
	stopped_at = NULL;
	CHECK(orders_cancel(b_cancel.os, o, NULL, 0, stop_chef, NULL, &n) == 0);
	CHECK(n.cancelled == 1 && n.cancelling == 1 && n.finished == 1);
	CHECK(stopped_at && strcmp(stopped_at, "chef-1") == 0);
	CHECK(orders_check(b_cancel.os) == 0 && d->state == PROTO_STATE_COOKING && d->cancelling);
	/* Asked again: still being cancelled, no second CANCEL. */
	stopped_at = NULL;
	CHECK(orders_cancel(b_cancel.os, o, NULL, 0, stop_chef, NULL, &n) == 0);
	CHECK(n.cancelling == 1 && n.cancelled == 0 && stopped_at == NULL);

	/* The chef answers "failed": cancelled, the order finishes. Its
	 * tombstones are still on the queue: it lingers until they go. */
	CHECK(chef_release(b_cancel.chef, d->id, d->attempts, 0) == d);
	orders_take_back(b_cancel.os, d, "chef-1", "cancelled", ORDERS_BACK_FAILED);
	CHECK(orders_check(b_cancel.os) == 0);
	CHECK(orders_get(b_cancel.os, id) == NULL && counts(&b_cancel).cancelled == 3);
	/* The next dish to cook is the other order's: the tombstones are skipped. */
	CHECK(orders_next(b_cancel.os) == &other->dishes[0]);
	CHECK(orders_check(b_cancel.os) == 0);

	CHECK(store_sync(b_cancel.store) == 0);
	CHECK(store_get_order(b_cancel.store, id, &so, NULL, NULL) == 0);
	CHECK(so.state == PROTO_STATE_CANCELLED && so.cancelled == 3);
	bench_close(&b_cancel);
	return 0;
}

/* A dish whose result was on its way when the cancel came is served. */
static int test_cancel_too_late(void)
{
	struct orders_cancelled n;
	struct store_order so;
	struct order *o;
	struct dish *d;
	uint64_t id;

	CHECK(bench_open(&b_cancel, true, 3) == 0);
	o = admit(&b_cancel, two, 1, false);
	CHECK(o && commit(&b_cancel, 0) == 0);
	id = o->id;
	d = hand(&b_cancel);
	CHECK(orders_cancel(b_cancel.os, o, NULL, 0, stop_chef, NULL, &n) == 0 && n.cancelling == 1);
	/* Crash now, and the store says cancelled. */
	CHECK(store_sync(b_cancel.store) == 0);
	CHECK(store_get_order(b_cancel.store, id, &so, NULL, NULL) == 0 && so.cancelled == 1);
	CHECK(chef_release(b_cancel.chef, d->id, d->attempts, 0) == d);
	orders_served(b_cancel.os, d, "chef-1", "Served Pizza", 12, "dough");
	CHECK(orders_check(b_cancel.os) == 0 && counts(&b_cancel).cancelled == 0 && counts(&b_cancel).served == 1);
	CHECK(store_sync(b_cancel.store) == 0);
	CHECK(store_get_order(b_cancel.store, id, &so, NULL, NULL) == 0);
	CHECK(so.state == PROTO_STATE_SERVED && so.served == 1 && so.cancelled == 0);
	bench_close(&b_cancel);
	return 0;
}

/* A dish being cancelled whose chef goes is cancelled, not cooked again. */
static int test_cancel_chef_gone(void)
{
	struct orders_cancelled n;
	struct order *o;
	struct dish *d;

	CHECK(bench_open(&b_cancel, true, 3) == 0);
	o = admit(&b_cancel, two, 1, false);
	CHECK(o && commit(&b_cancel, 0) == 0);
	d = hand(&b_cancel);
	CHECK(orders_cancel(b_cancel.os, o, NULL, 0, stop_chef, NULL, &n) == 0 && n.cancelling == 1);
	CHECK(chef_release(b_cancel.chef, d->id, d->attempts, 0) == d);
	orders_take_back(b_cancel.os, d, "chef-1", "chef chef-1 left", ORDERS_BACK_GONE);
	CHECK(orders_check(b_cancel.os) == 0 && counts(&b_cancel).cancelled == 1 && counts(&b_cancel).queued == 0);
	CHECK(orders_next(b_cancel.os) == NULL);
	bench_close(&b_cancel);
	return 0;
}

/* Purge: every waiting dish, or those of one dish; held orders too. */
static int test_purge(void)
{
	static const char *const mixed[] = { "Pizza", "Salad", "Pizza", "Salad" };
	struct order *a, *held;
	struct dish *d;

	CHECK(bench_open(&b_cancel, true, 3) == 0);
	a = admit(&b_cancel, mixed, 4, false);
	held = admit(&b_cancel, mixed, 2, true);
	CHECK(a && held && commit(&b_cancel, 0) == 0 && held->phase == ORDER_HELD);
	d = hand(&b_cancel);
	CHECK(orders_purge(b_cancel.os, menu_lookup(&b_cancel.menu, "Salad")) == 3);
	CHECK(orders_check(b_cancel.os) == 0 && counts(&b_cancel).queued == 2);
	CHECK(orders_purge(b_cancel.os, NULL) == 2);
	/* The held order had only waiting dishes: finished and gone. */
	CHECK(orders_check(b_cancel.os) == 0 && counts(&b_cancel).queued == 0 && counts(&b_cancel).held == 0);
	CHECK(counts(&b_cancel).open == 1 && orders_next(b_cancel.os) == NULL);
	CHECK(d->state == PROTO_STATE_COOKING);
	bench_close(&b_cancel);
	return 0;
}

/* Retry: a failed dish of an open order, then of a finished order read back. */
static int test_retry(void)
{
	struct store_order so;
	struct order *o;
	struct dish *d;
	unsigned n = 0;
	uint64_t id;

	CHECK(bench_open(&b_cancel, true, 1) == 0);
	o = admit(&b_cancel, two, 2, false);
	CHECK(o && commit(&b_cancel, 0) == 0);
	id = o->id;
	d = hand(&b_cancel);
	CHECK(chef_release(b_cancel.chef, d->id, d->attempts, 0) == d);
	orders_take_back(b_cancel.os, d, "chef-1", "burnt", ORDERS_BACK_FAILED);
	CHECK(d->state == PROTO_STATE_FAILED && counts(&b_cancel).failed == 1);
	/* Nothing failed among those named. */
	CHECK(orders_retry(b_cancel.os, &b_cancel.menu, id, (uint32_t[]) { 1 }, 1, &n) == 0 && n == 0);
	CHECK(orders_retry(b_cancel.os, &b_cancel.menu, id, (uint32_t[]) { 2 }, 1, &n) == -ERANGE);
	CHECK(orders_retry(b_cancel.os, &b_cancel.menu, id, NULL, 0, &n) == 0 && n == 1);
	CHECK(orders_check(b_cancel.os) == 0 && d->state == PROTO_STATE_QUEUED && d->attempts == 0);
	CHECK(counts(&b_cancel).failed == 0 && counts(&b_cancel).queued == 2);

	/* The retried dish went to the back: Salad fails for good, Pizza is served. */
	for (int i = 0; i < 2; i++) {
		d = hand(&b_cancel);
		CHECK(chef_release(b_cancel.chef, d->id, d->attempts, 0) == d);
		if (i == 0)
			orders_take_back(b_cancel.os, d, "chef-1", "burnt again", ORDERS_BACK_FAILED);
		else
			orders_served(b_cancel.os, d, "chef-1", "Served", 6, "x");
		CHECK(orders_check(b_cancel.os) == 0);
	}
	CHECK(orders_get(b_cancel.os, id) == NULL);
	CHECK(orders_retry(b_cancel.os, &b_cancel.menu, 999, NULL, 0, &n) == -ENOENT);
	CHECK(store_sync(b_cancel.store) == 0);
	/* Read back from the store and opened again. */
	CHECK(orders_retry(b_cancel.os, &b_cancel.menu, id, NULL, 0, &n) == 0 && n == 1);
	CHECK(orders_check(b_cancel.os) == 0);
	o = orders_get(b_cancel.os, id);
	CHECK(o && o->phase == ORDER_OPEN && o->n_served == 1 && o->dishes[0].state == PROTO_STATE_SERVED);
	CHECK(orders_next(b_cancel.os) == &o->dishes[1]);
	CHECK(store_sync(b_cancel.store) == 0);
	CHECK(store_get_order(b_cancel.store, id, &so, NULL, NULL) == 0);
	CHECK(so.state == PROTO_STATE_COOKING && so.finished_ms == 0);
	bench_close(&b_cancel);
	return 0;
}

/* Tombstones: a purge of many leaves a queue with none; a cancel of many
 * in a long queue compacts it once they are half. */
static int test_tombstones(void)
{
	static const char *const one[] = { "Pizza" };
	struct order *orders[3000];
	struct orders_cancelled n;

	CHECK(bench_open(&b_cancel, true, 3) == 0);
	for (size_t i = 0; i < 3000; i++)
		CHECK((orders[i] = admit(&b_cancel, one, 1, false)) != NULL);
	CHECK(commit(&b_cancel, 0) == 0);
	for (size_t i = 0; i < 1000; i++)
		CHECK(orders_cancel(b_cancel.os, orders[2 * i + 1], NULL, 0, stop_chef, NULL, &n) == 0);
	CHECK(orders_check(b_cancel.os) == 0 && counts(&b_cancel).queued == 2000);
	for (size_t i = 0; i < 600; i++)
		CHECK(orders_cancel(b_cancel.os, orders[2 * i], NULL, 0, stop_chef, NULL, &n) == 0);
	/* More than half were tombstones at some point: compacted. */
	CHECK(orders_check(b_cancel.os) == 0 && counts(&b_cancel).queued == 1400);
	CHECK(orders_purge(b_cancel.os, NULL) == 1400);
	CHECK(orders_check(b_cancel.os) == 0 && orders_next(b_cancel.os) == NULL);
	bench_close(&b_cancel);
	return 0;
}

static int test_usable_credit(void)
{
	static const struct {
		unsigned stations, credit, held;
		uint64_t dish_us;
		unsigned want;
	} rows[] = {
		{ 1, 257, 0, 0, 257 },         /* no-op dishes: the whole window */
		{ 1, 257, 250, 0, 7 },
		{ 1, 257, 0, 100, 11 },        /* 1 station + 1000/100 */
		{ 2, 258, 0, 100, 22 },
		{ 1, 257, 11, 100, 0 },
		{ 1, 257, 0, 1000, 2 },        /* a dish of exactly the window */
		{ 1, 257, 0, 5000, 1 },        /* long dishes: the stations alone */
		{ 3, 259, 2, 5000, 1 },
		{ 3, 259, 3, 5000, 0 },
		{ 4, 6, 0, 10, 6 },            /* never past the credit */
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		struct chef *c = chef_new("c.1.0", 5, rows[i].credit);

		CHECK(c);
		c->stations = rows[i].stations;
		c->n_inflight = rows[i].held;
		if (chef_usable_credit(c, rows[i].dish_us, 0, true) != rows[i].want) {
			tap_diag("row %zu: %u, want %u", i, chef_usable_credit(c, rows[i].dish_us, 0, true), rows[i].want);
			return __LINE__;
		}
		c->retiring = true;
		CHECK(chef_usable_credit(c, rows[i].dish_us, 0, true) == 0);
		c->n_inflight = 0;
		chef_free(&c);
	}
	return 0;
}

/* Long dishes: the next one goes CHEF_LEAD_MS before a station frees, one a station. */
static int test_usable_credit_lead(void)
{
	struct order *o = order_new(1, 0, 8, 1);
	struct chef *c = chef_new("c.1.0", 5, 259);

	CHECK(o && c);
	c->stations = 3;
	chef_hold(c, &o->dishes[0], 100, 5);  /* done at 105 */
	chef_hold(c, &o->dishes[1], 101, 5);  /* 106 */
	chef_hold(c, &o->dishes[2], 101, 5);  /* 106 */
	CHECK(chef_usable_credit(c, 5000, 103, true) == 0);
	CHECK(chef_next_lead(c, 5000, 103) == 104);
	CHECK(chef_usable_credit(c, 5000, 104, true) == 1);
	/* It waits for a station: not cooking, so no lead of its own. */
	chef_hold(c, &o->dishes[3], 104, 5);
	CHECK(c->due_ms[3] == 0);
	CHECK(chef_usable_credit(c, 5000, 104, true) == 0);
	CHECK(chef_next_lead(c, 5000, 104) == 105);
	CHECK(chef_usable_credit(c, 5000, 105, true) == 2);
	/* At most one a station: three cooking and ending make room for three. */
	chef_hold(c, &o->dishes[4], 105, 5);
	chef_hold(c, &o->dishes[5], 105, 5);
	CHECK(chef_usable_credit(c, 5000, 120, true) == 0);
	/* The first station frees late, at 107: the dish behind starts then. */
	CHECK(chef_release(c, o->dishes[0].id, 0, 107) == &o->dishes[0]);
	CHECK(c->n_inflight == 5 && c->inflight[2] == &o->dishes[3] && c->due_ms[2] == 112);
	CHECK(chef_usable_credit(c, 5000, 107, true) == 0 && chef_next_lead(c, 5000, 107) == 111);
	/* A window of a dish or more: the window alone. */
	CHECK(chef_usable_credit(c, 1000, 107, true) == 1 && chef_next_lead(c, 1000, 107) == UINT64_MAX);
	/* Only when asked for; and not for a dish more than the lead late (it may hang). */
	c->n_inflight = 0;
	c->stations = 1;
	chef_hold(c, &o->dishes[7], 100, 5);
	CHECK(chef_usable_credit(c, 5000, 104, false) == 0);
	CHECK(chef_usable_credit(c, 5000, 106, true) == 1);
	CHECK(chef_usable_credit(c, 5000, 107, true) == 0 && chef_next_lead(c, 5000, 107) == UINT64_MAX);
	c->stations = 3;
	/* A program's time is not known: no lead. */
	c->n_inflight = 0;
	chef_hold(c, &o->dishes[6], 100, 0);
	CHECK(chef_usable_credit(c, 1000000, 200, true) == 2 && chef_next_lead(c, 1000000, 200) == UINT64_MAX);
	c->n_inflight = 0;
	chef_free(&c);
	order_free(&o);
	return 0;
}

/* Highest priority first; within one, oldest first. */
static int test_priority_order(void)
{
	struct bench b;
	struct order *low, *low2, *mid, *high;

	CHECK(bench_open(&b, true, 3) == 0);
	low = admit_at(&b, two, 2, false, 2, 0);
	mid = admit_at(&b, two, 1, false, PROTO_PRIORITY_DEFAULT, 0);
	low2 = admit_at(&b, two, 1, false, 2, 0);
	high = admit_at(&b, two, 2, false, PROTO_PRIORITY_MAX, 0);
	CHECK(low && mid && low2 && high && commit(&b, 0) == 0);
	const struct dish *want[] = { &high->dishes[0], &high->dishes[1], &mid->dishes[0],
				      &low->dishes[0], &low->dishes[1], &low2->dishes[0] };
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		CHECK(orders_next(b.os) == want[i]);
		CHECK(hand(&b) == want[i] && orders_check(b.os) == 0);
	}
	CHECK(orders_next(b.os) == NULL && counts(&b).cooking == 6);
	bench_close(&b);
	return 0;
}

/* A dish taken back goes to the front of its own priority: after higher
 * ones, before the others of its own. */
static int test_taken_back_to_its_priority(void)
{
	struct bench b;
	struct order *low, *high;
	struct dish *d;

	CHECK(bench_open(&b, true, 3) == 0);
	low = admit_at(&b, two, 2, false, 3, 0);
	CHECK(low && commit(&b, 0) == 0);
	d = hand(&b);
	CHECK(d == &low->dishes[0]);
	high = admit_at(&b, two, 1, false, 8, 0);
	CHECK(high && commit(&b, 0) == 0);
	CHECK(chef_release(b.chef, d->id, 1, 0) == d);
	orders_take_back(b.os, d, "chef-1", "chef chef-1 left", ORDERS_BACK_GONE);
	CHECK(orders_check(b.os) == 0);
	CHECK(hand(&b) == &high->dishes[0]);
	CHECK(hand(&b) == d && d->attempts == 2);
	CHECK(hand(&b) == &low->dishes[1] && orders_check(b.os) == 0);
	bench_close(&b);
	return 0;
}

/* A delayed order is committed, off the queue, and queued when due. */
static int test_delayed(void)
{
	struct bench b;
	uint64_t due = wall_ms() + 3600000;
	struct order *later, *sooner, *now_o, *past;

	CHECK(bench_open(&b, true, 3) == 0);
	later = admit_at(&b, two, 2, false, 9, due + 1000);
	sooner = admit_at(&b, two, 1, false, 5, due);
	past = admit_at(&b, two, 1, false, 5, 1);  /* a due time past is at once */
	now_o = admit(&b, two, 1, false);
	CHECK(later && sooner && past && now_o);
	CHECK(orders_next_due(b.os) == UINT64_MAX);  /* nothing is due before its commit */
	CHECK(commit(&b, 0) == 0);
	CHECK(later->phase == ORDER_DELAYED && sooner->phase == ORDER_DELAYED);
	CHECK(past->phase == ORDER_OPEN && now_o->phase == ORDER_OPEN);
	CHECK(counts(&b).delayed == 2 && counts(&b).queued == 5 && counts(&b).open == 4);
	CHECK(orders_next_due(b.os) == due);
	CHECK(hand(&b) == &past->dishes[0] && hand(&b) == &now_o->dishes[0] && orders_next(b.os) == NULL);

	orders_queue_due(b.os, due - 1, 0);
	CHECK(orders_check(b.os) == 0 && counts(&b).delayed == 2 && orders_next(b.os) == NULL);
	orders_queue_due(b.os, due, 0);
	CHECK(orders_check(b.os) == 0 && sooner->phase == ORDER_OPEN && later->phase == ORDER_DELAYED);
	CHECK(orders_next(b.os) == &sooner->dishes[0] && orders_next_due(b.os) == due + 1000);
	/* Following a delayed order does not queue it early. */
	orders_follow(b.os, later->id);
	CHECK(orders_check(b.os) == 0 && later->phase == ORDER_DELAYED);
	orders_queue_due(b.os, due + 5000, 0);
	CHECK(orders_check(b.os) == 0 && counts(&b).delayed == 0 && orders_next_due(b.os) == UINT64_MAX);
	/* Due later, yet of a higher priority: first. */
	CHECK(orders_next(b.os) == &later->dishes[0]);
	bench_close(&b);
	return 0;
}

/* A delayed "follow" order is held for its follower once due. */
static int test_delayed_then_held(void)
{
	struct bench b;
	uint64_t due = wall_ms() + 3600000;
	struct order *o;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit_at(&b, two, 1, true, 5, due);
	CHECK(o && commit(&b, 0) == 0 && o->phase == ORDER_DELAYED);
	orders_queue_due(b.os, due, 500);
	CHECK(orders_check(b.os) == 0 && o->phase == ORDER_HELD && orders_next_release(b.os) == 500 + ORDERS_HOLD_MS);
	orders_follow(b.os, o->id);
	CHECK(orders_check(b.os) == 0 && o->phase == ORDER_OPEN && orders_next(b.os) == &o->dishes[0]);
	bench_close(&b);
	return 0;
}

/* Priorities and due times survive a restart: due ones are queued at start. */
static int test_resume_priority_and_delay(void)
{
	struct bench b;
	uint64_t due = wall_ms() + 3600000, late_id, high_id, low_id, gone_id;
	struct order *late, *high, *low, *gone;
	size_t n_orders;
	uint64_t n_dishes;

	CHECK(bench_open(&b, true, 3) == 0);
	low = admit_at(&b, two, 1, false, 1, 0);
	late = admit_at(&b, two, 2, false, 9, due);
	gone = admit_at(&b, two, 1, false, 5, wall_ms() + 50);  /* due while kitchend is down */
	high = admit_at(&b, two, 1, false, 7, 0);
	CHECK(low && late && gone && high && commit(&b, 0) == 0);
	low_id = low->id, late_id = late->id, high_id = high->id, gone_id = gone->id;
	orders_free(&b.os);
	bench_close(&b);
	usleep(100 * 1000);

	CHECK(bench_open(&b, false, 3) == 0);
	CHECK(orders_resume(b.os, &b.menu, 1000000, &n_orders, &n_dishes) == 0);
	CHECK(orders_check(b.os) == 0 && n_orders == 4);
	late = orders_get(b.os, late_id);
	CHECK(late && late->phase == ORDER_DELAYED && late->priority == 9 && late->due_ms == due);
	CHECK(counts(&b).delayed == 1 && orders_next_due(b.os) == due);
	CHECK(orders_get(b.os, gone_id)->phase == ORDER_OPEN);
	CHECK(hand(&b)->order->id == high_id);
	CHECK(hand(&b)->order->id == gone_id);
	CHECK(hand(&b)->order->id == low_id);
	CHECK(orders_next(b.os) == NULL && orders_check(b.os) == 0);
	orders_queue_due(b.os, due, 0);
	CHECK(orders_check(b.os) == 0 && hand(&b) == &late->dishes[0]);
	bench_close(&b);
	return 0;
}

static const char *no_chef(struct dish *d, void *u)
{
	return "nobody";
}

/* A delayed order cancelled before it is due leaves the heap; a retry of
 * it waits for its due time again; purge takes delayed dishes too. */
static int test_delayed_cancelled(void)
{
	struct bench b;
	uint64_t due = wall_ms() + 3600000, id;
	struct orders_cancelled c;
	struct order *o, *other;
	unsigned retried;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit_at(&b, two, 2, false, 6, due);
	other = admit_at(&b, two, 1, false, 6, due + 1);
	CHECK(o && other && commit(&b, 0) == 0 && counts(&b).delayed == 2);
	id = o->id;
	CHECK(orders_cancel(b.os, o, (const uint32_t[]) { 1 }, 1, no_chef, NULL, &c) == 0 && c.cancelled == 1);
	CHECK(orders_check(b.os) == 0 && o->phase == ORDER_DELAYED && counts(&b).delayed == 2);
	CHECK(orders_cancel(b.os, o, NULL, 0, no_chef, NULL, &c) == 0 && c.cancelled == 1 && c.finished == 1);
	CHECK(orders_check(b.os) == 0 && orders_get(b.os, id) == NULL && counts(&b).delayed == 1);
	CHECK(orders_next_due(b.os) == due + 1);
	/* Retried: back in memory, delayed again, its dishes off the queue. */
	CHECK(store_sync(b.store) == 0);
	CHECK(orders_retry(b.os, &b.menu, id, NULL, 0, &retried) == 0 && retried == 2);
	o = orders_get(b.os, id);
	CHECK(orders_check(b.os) == 0 && o && o->phase == ORDER_DELAYED && orders_next(b.os) == NULL);
	CHECK(orders_next_due(b.os) == due && counts(&b).delayed == 2);
	CHECK(orders_purge(b.os, NULL) == 3);
	CHECK(orders_check(b.os) == 0 && counts(&b).delayed == 0 && counts(&b).open == 0);
	bench_close(&b);
	return 0;
}

/* The recount sees a dish on the queue of another priority than its order's. */
static int test_check_sees_priority(void)
{
	struct bench b;
	struct order *o;

	CHECK(bench_open(&b, true, 3) == 0);
	o = admit_at(&b, two, 1, false, 4, 0);
	CHECK(o && commit(&b, 0) == 0);
	o->priority = 6;
	CHECK(orders_check(b.os) == -EUCLEAN);
	o->priority = 4;
	CHECK(orders_check(b.os) == 0);
	bench_close(&b);
	return 0;
}

static const struct tap_case cases[] = {
	{ "nothing is queued before its commit", test_nothing_queued_before_commit },
	{ "an order held until followed", test_held_until_followed },
	{ "a hold ends on time", test_hold_ends },
	{ "served to the end: the order leaves memory", test_served_to_the_end },
	{ "taken back: to the front, attempts go on", test_taken_back_to_the_front },
	{ "attempts spent: failed", test_attempts_spent },
	{ "poison: two crashes fail a dish", test_poison },
	{ "timed out: suspect, credit held until let go", test_timed_out_is_suspect },
	{ "off the menu: failed at once", test_unservable },
	{ "admitted orders dropped after a failed commit", test_drop_admitted },
	{ "resumed from the store", test_resume },
	{ "stale results: attempts compared whole", test_stale_attempts },
	{ "usable credit: the lead before a long dish is done", test_usable_credit_lead },
	{ "usable credit and the window", test_usable_credit },
	{ "cancel: waiting at once, cooking at its chef", test_cancel },
	{ "cancel too late: served", test_cancel_too_late },
	{ "cancel, then the chef goes: cancelled", test_cancel_chef_gone },
	{ "purge: every waiting dish, or one dish", test_purge },
	{ "retry: open, and finished read back", test_retry },
	{ "tombstones compacted", test_tombstones },
	{ "priorities: highest first, FIFO within one", test_priority_order },
	{ "taken back: to the front of its own priority", test_taken_back_to_its_priority },
	{ "delayed: off the queue until due, soonest first", test_delayed },
	{ "delayed and followed: held once due", test_delayed_then_held },
	{ "resumed: priorities kept, due orders queued", test_resume_priority_and_delay },
	{ "the recount checks each dish's priority", test_check_sees_priority },
	{ "delayed orders cancelled, retried, purged", test_delayed_cancelled },
	{ "the shelf: dishes a chef cannot cook wait for one that can", test_shelf },
};

int main(void)
{
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 99;
	}
	log_set_max_priority(LOG_ERR);  /* failed dishes are said at warning */
	zctx = zmq_ctx_new();
	r = tap_run(cases, ELEMENTSOF(cases));
	zmq_ctx_term(zctx);
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			r = 1;
	}
	return r;
}
