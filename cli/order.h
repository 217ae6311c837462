/*
 * order — the orders one kitchenctl waits for, and how: --wait (order_wait.c)
 * or --follow (order_follow.c).
 *
 * verb_order.c places the orders and fills the batch (`wait` and `follow`,
 * verb_wait.c, take orders placed before): each order's id and its first
 * report (SHOW right after ORDER: the menu's spelling of every dish, and the
 * index of each). Both ways of waiting then print exactly one outcome per
 * dish, "O- Served <dish>" or "O- Failed <dish>: <reason>" (order_tell();
 * "<dish> [order N]" when there are several orders),
 * and leave each order's final report in order->report. order_batch_end()
 * turns how the waiting ended into the exit status.
 *
 * With --output (order --wait and wait), the outcome lines give way to the
 * outputs themselves: order_output(), for each order as it is done.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bar.h"
#include "ctl.h"
#include "follow.h"
#include "json.h"
#include "report.h"

struct order {
	uint64_t id;
	size_t first;                 /* its first dish's number in the batch, from 0 */
	size_t n_dishes;              /* as ORDER's reply or the first report said; 0: not known yet */
	struct order_report *report;  /* the latest one */
	bool *told;                   /* per dish: its outcome is printed */
	size_t next;                  /* --wait: dishes told so far, in order */
	bool done;
};

struct inputs;

struct order_batch {
	struct order *orders;         /* in order of placing */
	size_t n;
	const struct inputs *inputs;  /* order --inputs: the line of each dish; else NULL */
	struct bar bar;               /* from the start of the command (bar_init()); else
	                               * order_wait() starts it */
	bool wait_refused;            /* order_wait(): a WAIT refused as order_wait_refused() says */
};

/* Whether an ERR @code refusing a WAIT leaves its order open, only not
 * waited for: full, closing, internal. */
bool order_wait_refused(const char *code);

void order_batch_clear(struct order_batch *b);

/*
 * SHOW (@wait_ms 0) or WAIT (@wait_ms > 0) @o into o->report; said on
 * failure. A report of another order, or of another number of dishes than
 * o->n_dishes, is a bad reply (-EBADMSG).
 */
int order_refresh(struct ctl *ctl, struct order *o, uint64_t wait_ms);
/* The same for a reply @m to @cmd (SHOW or WAIT) received otherwise (order_window.h). */
int order_take_report(struct order *o, const struct proto_msg *m, enum proto_cmd cmd);

/* Print dish @i's outcome from o->report, once: a line, or with --json a
 * "served"/"failed" event like the ones --follow prints. */
void order_tell(struct ctl *ctl, struct order *o, size_t i);
/* "O- Served Pizza", "O- Failed Pizza: why" (@why NULL: none); "Pizza
 * [order 7]" when ctl->many_orders, so that two orders of one dish can be
 * told apart. */
void order_outcome_print(const struct ctl *ctl, uint64_t order_id, const char *what, const char *dish,
			 const char *why);

/* The reports (--json of order --wait and wait): one object, {"orders": [report...]}. */
void order_batch_json(const struct order_batch *b);
/* The same as the last lines of a --follow stream: {"event": "report", report's keys}, one a line. */
void order_batch_json_lines(const struct order_batch *b);

/*
 * The verb's return, once waiting @b ended with @r: a dish failed (-EREMOTEIO,
 * when @r >= 0) or @r. When @r says that kitchend keeps the orders but could
 * not be waited on to the end (gone, silent, ERR full or closing, or the
 * --deadline passed), say which orders are left and how to wait for them
 * again (`kitchenctl @verb ID...`), and return -EINPROGRESS.
 */
int order_batch_end(struct ctl *ctl, const struct order_batch *b, int r, const char *verb);

int order_wait(struct ctl *ctl, struct order_batch *b);

/*
 * --output (order_output.c), for @o once it is done: ask OUTPUT for its
 * dishes' outputs, whole, looping on "next", and print them raw on stdout
 * in order, nothing between them; a failed or cancelled dish prints nothing
 * there and a line on stderr, "kitchenctl: dish N (Pizza) failed: reason
 * [order 42 #3, line 9]" (N counts the dishes of the batch from 1; the line
 * of --inputs). With --json, the outputs are kept in o->report->outputs
 * instead, for the report. Failures said.
 */
int order_output(struct ctl *ctl, const struct order_batch *b, struct order *o);
int order_follow(struct ctl *ctl, struct follow *f, struct order_batch *b);
