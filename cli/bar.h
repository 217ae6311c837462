/*
 * bar — the progress bar `order` draws on stderr while it places orders
 * and, with --wait, while it waits for them.
 *
 * Only on a terminal: bar_init() checks that stderr is one, and every call
 * is a no-op otherwise, so callers need not ask. The bar is one line,
 * redrawn in place ("\r", erase line), at most every BAR_EVERY_MS however
 * often bar_draw() is called (the last state, done == total, always shows, once):
 *
 *	[##############----------------]  7/15 dishes done  3.2/s  ETA 3s  12.4s
 *
 * The clock at the end counts from bar_init(), the start of the command;
 * the rate and the ETA from the start of the phase (bar_phase(): "placed",
 * then "done"), whose word follows the count.
 *
 * Call bar_clear() before writing anything else to the terminal (the line
 * is erased; the next bar_draw() puts it back) and when done. There is one
 * bar at a time, so a diagnostic from deep down can make room for itself
 * with bar_clear_current() without knowing whose bar it is.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BAR_EVERY_MS 100

struct bar {
	bool on;
	bool drawn;
	uint64_t start_ms;     /* the command's */
	uint64_t drawn_ms;     /* last drawn; 0: never */
	uint64_t last_done;    /* what it showed then */
	const char *what;      /* the phase's word: "placed", "done" */
	uint64_t phase_ms;     /* when the phase began */
};

void bar_init(struct bar *b);
/* A new phase from now: @what follows the count; the rate starts again. */
void bar_phase(struct bar *b, const char *what);
void bar_draw(struct bar *b, uint64_t done, uint64_t total);
/* Whether bar_draw() would draw now (but for done == total): a caller can
 * skip counting what it would show. */
bool bar_due(const struct bar *b);
void bar_clear(struct bar *b);
void bar_clear_current(void);
/* Clear, and forget @b: call before @b goes away. */
void bar_finish(struct bar *b);
