/*
 * shelf — dishes set aside because the chef at hand cannot cook them.
 *
 * A chef may cook only some dishes (its skills, READY: proto.h). When a chef
 * with room looks for work and the queue's front is a dish it cannot cook,
 * that dish goes on the shelf, in a queue of its menu item's own (a
 * prio_queue: highest priority first, oldest first within one), and the
 * chef looks at the next. A chef with room takes from the shelf first
 * whatever it can cook (those dishes were ordered before the queue's front),
 * so a dish waits only while no chef that can cook it has room: for a dish
 * no connected chef can cook, until one joins ("no chef can cook Resize:
 * 0 of 3 chefs have it").
 *
 * When every chef cooks every dish, as on one machine with the default
 * configuration, nothing is ever shelved and the shelf costs nothing.
 *
 * The shelf does not own the dishes (their orders do), and does not look
 * at their state: orders.c keeps a dish marked in_queue and parked while
 * it is here, drops the cancelled ones it finds at a front (tombstones, as
 * on the queue) and counts what waits.
 *
 *	shelf_put(&s, d);                       // d->item's queue, at the back
 *	d = shelf_best(&s, can_cook, chef, tombstone, os);  // the best front a chef can take
 *	shelf_take(&s, d);                      // d must be a front
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "prio_queue.h"

struct dish;
struct menu_item;

struct shelf_row {
	const struct menu_item *item;
	struct prio_queue q;
	size_t waiting;  /* of q's dishes, those not cancelled */
};

struct shelf {
	struct shelf_row *rows;  /* a row per item ever shelved; few */
	size_t n_rows, cap;
	size_t len;              /* dishes on every row, tombstones too */
};

void shelf_init(struct shelf *s);
void shelf_finish(struct shelf *s);

/* @d (queued, its item's) at the back of its item's row. 0 or -ENOMEM. */
int shelf_put(struct shelf *s, struct dish *d);

/*
 * The front dish, among the rows of the items @can says yes to (with
 * @can_u; NULL: every row), that is cooked first: of the highest priority,
 * then the oldest (the lowest id). Before it looks at a row, the dishes
 * @gone says yes to (with @gone_u) are taken off its front (the caller's
 * tombstones). NULL when none.
 */
struct dish *shelf_best(struct shelf *s, bool (*can)(const struct menu_item *item, void *u), void *can_u,
			bool (*gone)(struct dish *d, void *u), void *gone_u);

/* Take @d, the front of its item's row, off. */
void shelf_take(struct shelf *s, struct dish *d);

/* @d, on the shelf, was cancelled: it waits no more (it stays as a tombstone). */
void shelf_cancelled(struct shelf *s, const struct dish *d);

/* Take off every dish @gone says yes to, keeping the order of the others. */
void shelf_filter(struct shelf *s, bool (*gone)(struct dish *d, void *u), void *u);
