/*
 * order — the orders one `kitchenctl order` placed, and how it waits for
 * them (--wait, order_wait.c) or follows them (--follow, order_follow.c).
 *
 * verb_order.c places the orders and fills the batch: each order's id and
 * its first report (SHOW right after ORDER: the menu's spelling of every
 * dish, and the index of each). Both ways of waiting then print exactly one
 * outcome per dish, "O- Served <dish>" or "O- Failed <dish>: <reason>"
 * (order_tell()), and leave each order's final report in order->report.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "follow.h"
#include "json.h"
#include "report.h"

struct order {
	uint64_t id;
	struct order_report *report;  /* the latest one */
	bool *told;                   /* per dish: its outcome is printed */
	size_t next;                  /* --wait: dishes told so far, in order */
	bool done;
};

struct order_batch {
	struct order *orders;         /* in order of placing */
	size_t n;
};

void order_batch_clear(struct order_batch *b);
/* Whether any dish of any order failed. */
bool order_batch_failed(const struct order_batch *b);

/* SHOW (@wait_ms 0) or WAIT (@wait_ms > 0) @o into o->report; said on failure. */
int order_refresh(struct ctl *ctl, struct order *o, uint64_t wait_ms);

/* Print dish @i's outcome from o->report, once: a line, or with --json a
 * "served"/"failed" event like the ones --follow prints. */
void order_tell(struct ctl *ctl, struct order *o, size_t i);

/* Print each report (--json): one object, or an array when @array. */
void order_batch_json(const struct order_batch *b, bool array);

int order_wait(struct ctl *ctl, struct order_batch *b);
int order_follow(struct ctl *ctl, struct follow *f, struct order_batch *b);
