/*
 * test-containers — kitchend's idmap, dish_queue, prio_queue and order_heap (daemon/).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "dish_queue.h"
#include "idmap.h"
#include "order.h"
#include "order_heap.h"
#include "prio_queue.h"
#include "tap.h"
#include "util.h"

static int test_idmap_basic(void)
{
	struct idmap m;
	int a, b;

	idmap_init(&m);
	CHECK(idmap_get(&m, 1) == NULL);
	CHECK(idmap_put(&m, 1, &a) == 0);
	CHECK(idmap_put(&m, 2, &b) == 0);
	CHECK(idmap_put(&m, 1, &b) == -EEXIST);
	CHECK(idmap_put(&m, 0, &b) == -EINVAL);
	CHECK(idmap_get(&m, 1) == &a);
	CHECK(idmap_get(&m, 2) == &b);
	CHECK(idmap_remove(&m, 1) == &a);
	CHECK(idmap_get(&m, 1) == NULL);
	CHECK(idmap_remove(&m, 1) == NULL);
	CHECK(m.len == 1);
	idmap_finish(&m);
	return 0;
}

/* Many puts and removes in a pattern that makes long probe runs; every
 * survivor must still be found (backward-shift deletion is easy to get wrong). */
static int test_idmap_churn(void)
{
	enum { N = 20000 };
	static uint8_t present[N + 1];
	struct idmap m;
	uint64_t seed = 42;

	idmap_init(&m);
	for (int round = 0; round < 200000; round++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t id = (seed >> 33) % N + 1;
		if (present[id]) {
			CHECK(idmap_remove(&m, id) == (void *) (uintptr_t) id);
			present[id] = 0;
		} else {
			CHECK(idmap_put(&m, id, (void *) (uintptr_t) id) == 0);
			present[id] = 1;
		}
	}
	size_t n = 0;
	for (uint64_t id = 1; id <= N; id++) {
		void *v = idmap_get(&m, id);
		CHECK(present[id] ? v == (void *) (uintptr_t) id : v == NULL);
		n += present[id];
	}
	CHECK(m.len == n);
	idmap_finish(&m);
	return 0;
}

static int test_queue_order(void)
{
	struct order *o = order_new(7, 0, 3000, 100);
	struct dish_queue q;

	CHECK(o);
	dish_queue_init(&q);
	CHECK(dish_queue_pop_front(&q) == NULL);
	/* Enough to grow the ring twice, with the head wrapped around. */
	for (int i = 1; i < 3000; i++)
		CHECK(dish_queue_push_back(&q, &o->dishes[i]) == 0);
	CHECK(dish_queue_push_front(&q, &o->dishes[0]) == 0);
	CHECK(dish_queue_len(&q) == 3000);
	for (int i = 0; i < 3000; i++) {
		struct dish *d = dish_queue_pop_front(&q);
		CHECK(d == &o->dishes[i]);
		CHECK(d->id == 100u + (unsigned) i && d->order == o && d->index == (unsigned) i);
	}
	CHECK(dish_queue_len(&q) == 0);
	dish_queue_finish(&q);
	order_free(&o);
	CHECK(o == NULL);
	return 0;
}

/* Room made once: pushes up to it keep the ring; a wrapped ring keeps its order. */
static int test_queue_reserve(void)
{
	struct order *o = order_new(7, 0, 5000, 1);
	struct dish_queue q;
	struct dish **ring;

	CHECK(o);
	dish_queue_init(&q);
	for (int i = 0; i < 1000; i++)
		CHECK(dish_queue_push_back(&q, &o->dishes[i]) == 0);
	for (int i = 0; i < 600; i++)
		CHECK(dish_queue_pop_front(&q) == &o->dishes[i]);
	for (int i = 1000; i < 1500; i++)  /* wraps around the ring of 1024 */
		CHECK(dish_queue_push_back(&q, &o->dishes[i]) == 0);
	CHECK(q.cap == 1024 && q.head + dish_queue_len(&q) > q.cap);
	CHECK(dish_queue_reserve(&q, 3500) == 0);
	CHECK(q.cap == 8192);  /* 900 + 3500 dishes */
	CHECK(dish_queue_reserve(&q, 3500) == 0 && q.cap == 8192);  /* room enough: nothing moves */
	ring = q.ring;
	for (int i = 1500; i < 5000; i++)
		CHECK(dish_queue_push_back(&q, &o->dishes[i]) == 0);
	CHECK(q.ring == ring && dish_queue_len(&q) == 4400);
	for (int i = 600; i < 5000; i++)
		CHECK(dish_queue_pop_front(&q) == &o->dishes[i]);
	CHECK(dish_queue_reserve(&q, SIZE_MAX) == -ENOMEM && q.ring == ring);
	dish_queue_finish(&q);
	order_free(&o);
	return 0;
}

/* Highest priority first, oldest first within one, taken back to the front of its own. */
static int test_prio_queue(void)
{
	struct order *o = order_new(7, 0, 3000, 100);
	struct prio_queue q;
	struct dish *d;

	CHECK(o);
	prio_queue_init(&q);
	CHECK(prio_queue_front(&q) == NULL && prio_queue_pop_front(&q) == NULL && prio_queue_top(&q) == 0);
	/* Dish i has priority 1 + i % 9, so each queue grows past its first ring. */
	for (int i = 0; i < 3000; i++)
		CHECK(prio_queue_push_back(&q, &o->dishes[i], 1 + (unsigned) i % 9) == 0);
	CHECK(prio_queue_push_front(&q, &o->dishes[3], 4) == 0);  /* again, ahead of its priority */
	CHECK(prio_queue_len(&q) == 3001 && prio_queue_top(&q) == 9);
	for (unsigned p = 9; p >= 1; p--) {
		if (p == 4)
			CHECK(prio_queue_pop_front(&q) == &o->dishes[3]);
		for (unsigned i = p - 1; i < 3000; i += 9) {
			CHECK(prio_queue_top(&q) == p && prio_queue_front(&q) == &o->dishes[i]);
			d = prio_queue_pop_front(&q);
			CHECK(d == &o->dishes[i]);
		}
	}
	CHECK(prio_queue_len(&q) == 0 && q.nonempty == 0 && prio_queue_pop_front(&q) == NULL);
	prio_queue_finish(&q);
	order_free(&o);
	return 0;
}

/* Soonest due first, each order knowing its place; any can be taken off. */
static int test_order_heap(void)
{
	enum { N = 1000 };
	static struct order orders[N];
	struct order_heap h;
	uint64_t seed = 7, last = 0;
	struct order *o;
	size_t n = 0;

	order_heap_init(&h);
	CHECK(order_heap_top(&h) == NULL && order_heap_pop(&h) == NULL);
	for (size_t i = 0; i < N; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		orders[i].id = i + 1;
		orders[i].due_ms = (seed >> 40) % 500;  /* ties too */
		CHECK(order_heap_push(&h, &orders[i]) == 0);
	}
	/* Take every third off from wherever it is. */
	for (size_t i = 0; i < N; i += 3)
		order_heap_remove(&h, &orders[i]);
	for (size_t i = 0; i < h.len; i++)
		CHECK(h.orders[i]->heap_index == i && (i == 0 || h.orders[(i - 1) / 2]->due_ms <= h.orders[i]->due_ms));
	while ((o = order_heap_pop(&h))) {
		CHECK(o->due_ms >= last && o->id % 3 != 1);
		last = o->due_ms;
		n++;
	}
	CHECK(n == N - (N + 2) / 3 && h.len == 0);
	order_heap_finish(&h);
	return 0;
}

static int test_order_state(void)
{
	struct order *o = order_new(1, 0, 2, 1);

	CHECK(order_state(o) == PROTO_STATE_QUEUED);
	o->dishes[0].state = PROTO_STATE_COOKING;
	o->dishes[0].attempts = 1;
	CHECK(order_state(o) == PROTO_STATE_COOKING);
	o->dishes[0].state = PROTO_STATE_SERVED;
	o->n_served = 1;
	CHECK(!order_done(o));
	o->dishes[1].state = PROTO_STATE_FAILED;
	o->n_failed = 1;
	CHECK(order_done(o));
	CHECK(order_state(o) == PROTO_STATE_FAILED);
	order_free(&o);
	return 0;
}

static const struct tap_case cases[] = {
	{ "idmap basic", test_idmap_basic },
	{ "idmap churn", test_idmap_churn },
	{ "queue keeps order across growth and wrap", test_queue_order },
	{ "queue: room made once, order kept", test_queue_reserve },
	{ "priority queue: highest first, FIFO within one", test_prio_queue },
	{ "order heap: soonest due first, removal anywhere", test_order_heap },
	{ "order state", test_order_state },
};

int main(void)
{
	return tap_run(cases, ELEMENTSOF(cases));
}
