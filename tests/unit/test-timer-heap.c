/*
 * test-timer-heap — the event loop's timers (workers/timer_heap.c).
 *
 * A table of named cases; prints TAP. Each case returns 0 or the line of its
 * first failed check.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "timer_heap.h"

static int test_empty(void)
{
	struct timer_heap h = {};
	struct timer t;

	CHECK(!timer_heap_peek(&h, &t));
	timer_heap_pop(&h);  /* nothing happens */
	CHECK(h.n == 0);
	timer_heap_free(&h);
	timer_heap_free(&h);  /* twice is fine */
	return 0;
}

/* 10,000 deadlines in a scrambled order come out sorted, each once. */
static int test_sorted(void)
{
	enum { N = 10000 };
	struct timer_heap h = {};
	static unsigned char seen[N];
	uint64_t last = 0;
	struct timer t;

	for (uint32_t i = 0; i < N; i++) {
		uint32_t k = (i * 7919u) % N;  /* 7919 is prime: a permutation */

		CHECK(timer_heap_push(&h, (uint64_t) k * 1000 + 5, k, i) == 0);
	}
	CHECK(h.n == N);
	for (uint32_t i = 0; i < N; i++) {
		CHECK(timer_heap_peek(&h, &t));
		CHECK(t.due_ns >= last);
		CHECK(t.due_ns == (uint64_t) t.index * 1000 + 5);
		CHECK(!seen[t.index]);
		seen[t.index] = 1;
		last = t.due_ns;
		timer_heap_pop(&h);
	}
	CHECK(!timer_heap_peek(&h, &t));
	timer_heap_free(&h);
	return 0;
}

/* Equal deadlines all come out; stale generations are the caller's to skip. */
static int test_ties_and_generations(void)
{
	struct timer_heap h = {};
	uint32_t gen[3] = { 1, 1, 1 };
	unsigned fired = 0, stale = 0;
	struct timer t;

	for (uint32_t i = 0; i < 3; i++)
		CHECK(timer_heap_push(&h, 100, i, gen[i]) == 0);
	/* Slot 1 drops its timer and sets a later one. */
	gen[1]++;
	CHECK(timer_heap_push(&h, 50, 1, gen[1]) == 0);
	CHECK(timer_heap_peek(&h, &t) && t.due_ns == 50 && t.index == 1 && t.gen == 2);
	while (timer_heap_peek(&h, &t)) {
		timer_heap_pop(&h);
		if (t.gen != gen[t.index])
			stale++;
		else
			fired++;
	}
	CHECK(fired == 3 && stale == 1);
	timer_heap_free(&h);
	return 0;
}

/* Interleaved pushes and pops keep the order (the loop's real pattern). */
static int test_interleaved(void)
{
	struct timer_heap h = {};
	uint64_t now = 0;
	struct timer t;

	for (uint32_t round = 0; round < 1000; round++) {
		CHECK(timer_heap_push(&h, now + 1 + (round * 31) % 97, round, 0) == 0);
		CHECK(timer_heap_push(&h, now + 1 + (round * 17) % 89, round, 1) == 0);
		CHECK(timer_heap_peek(&h, &t));
		CHECK(t.due_ns >= now);
		now = t.due_ns;
		timer_heap_pop(&h);
	}
	while (timer_heap_peek(&h, &t)) {
		CHECK(t.due_ns >= now);
		now = t.due_ns;
		timer_heap_pop(&h);
	}
	timer_heap_free(&h);
	return 0;
}

static const struct tap_case tests[] = {
	{ "empty", test_empty },
	{ "interleaved", test_interleaved },
	{ "sorted", test_sorted },
	{ "ties and generations", test_ties_and_generations },
};

int main(void)
{
	return tap_run(tests, sizeof(tests) / sizeof(tests[0]));
}
