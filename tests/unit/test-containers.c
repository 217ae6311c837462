/*
 * test-containers — kitchend's idmap and dish_queue (daemon/).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "dish_queue.h"
#include "idmap.h"
#include "order.h"
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
	{ "order state", test_order_state },
};

int main(void)
{
	return tap_run(cases, ELEMENTSOF(cases));
}
