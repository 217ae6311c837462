/*
 * intake — orders coming in on the control socket: ORDER (one order) and
 * ORDERS (many, for a client placing a run of them: `kitchenctl order
 * --random N`, `--inputs`).
 *
 * Both check the request (proto_order_refusal() for each order, the menu,
 * a closing kitchen, a full disk, orders.max_queued) and admit each order
 * (orders.h); the OK waits for the commit (pending.h). An ORDERS is taken
 * whole or refused whole: one dish off the menu, or one dish too many for
 * orders.max_queued, and none of its orders is stored. Its orders get
 * consecutive ids, so the OK says the first and how many. ORDERS has no
 * idempotency keys: a client that needs them sends ORDER, one at a time.
 *
 *	[PROTO_ORDER] = intake_order, [PROTO_ORDERS] = intake_orders  // control.c's table
 */
#pragma once

#include "proto.h"

struct kitchen;

/* The handlers, as reader.h calls them: the reads they cost. */
unsigned intake_order(struct kitchen *k, const struct proto_msg *m);
unsigned intake_orders(struct kitchen *k, const struct proto_msg *m);
