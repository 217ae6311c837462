/*
 * timer_heap — the event loop's timers: a binary min-heap of deadlines.
 *
 * Each entry is a deadline (nanoseconds, any clock the caller likes), the
 * index of whatever it wakes (an event-loop slot) and a generation. There is
 * no removal: a caller that drops a timer bumps its own generation, and an
 * entry whose generation is not the owner's any more is stale, skipped when
 * it comes to the top (timer_heap_peek() leaves that to the caller). So each
 * operation is O(log n), and a cancel costs nothing.
 *
 *	struct timer_heap h = {};
 *	r = timer_heap_push(&h, now + 5 * NSEC_PER_MSEC, slot, ++gen[slot]);
 *	while (timer_heap_peek(&h, &t) && t.due_ns <= now) {
 *		timer_heap_pop(&h);
 *		if (t.gen == gen[t.index]) fire(t.index);
 *	}
 *	timer_heap_free(&h);
 *
 * Entries of the same deadline come out in no particular order.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timer {
	uint64_t due_ns;
	uint32_t index;
	uint32_t gen;
};

struct timer_heap {
	struct timer *t;
	size_t n;
	size_t size;
};

/* Add a timer. 0 or -ENOMEM (the heap is as it was). */
int timer_heap_push(struct timer_heap *h, uint64_t due_ns, uint32_t index, uint32_t gen);

/* The earliest timer into *ret: true, or false when the heap is empty. */
bool timer_heap_peek(const struct timer_heap *h, struct timer *ret);

/* Remove the earliest timer; nothing when empty. */
void timer_heap_pop(struct timer_heap *h);

/* Free the entries; the heap is empty and usable again. */
void timer_heap_free(struct timer_heap *h);
