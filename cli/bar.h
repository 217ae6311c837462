/*
 * bar — the progress bar `order --wait` draws on stderr while it waits.
 *
 * Only on a terminal: bar_init() checks that stderr is one, and every call
 * is a no-op otherwise, so callers need not ask. The bar is one line,
 * redrawn in place ("\r", erase line):
 *
 *	[##############----------------]  7/15 dishes  12.4s
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

struct bar {
	bool on;
	bool drawn;
	uint64_t start_ms;
};

void bar_init(struct bar *b);
void bar_draw(struct bar *b, uint64_t done, uint64_t total);
void bar_clear(struct bar *b);
void bar_clear_current(void);
/* Clear, and forget @b: call before @b goes away. */
void bar_finish(struct bar *b);
