/*
 * listing — LIST: the order book, newest first, a page at a time, for
 * `kitchenctl list` (fields: proto.h, docs/protocol.md).
 *
 * The store walks the orders (store_list(): at most STORE_LIST_EXAMINE rows
 * a page, so a page costs a bounded time on kitchend's loop, whatever the
 * filter, and other clients' requests wait for no more than that). For an
 * order still open, what kitchend holds in memory is laid over the store's
 * record, as for SHOW (reports.h): which dishes are at a chef (the store
 * never knows "cooking"), and "delayed" for an open order whose due time is
 * ahead and that has no dish at a chef. The page is what is committed when
 * the request is read: an order not yet acknowledged is not listed, and one
 * whose last dish just finished may show open until its record commits.
 *
 *	[PROTO_LIST] = list,   // control.c: listing_answer(k, m)
 */
#pragma once

struct kitchen;
struct proto_msg;

/* How much of the control reader's budget a LIST spends: a few a turn. */
#define LISTING_COST 64

/* Answer the LIST request @m: OK with a page, or ERR. */
void listing_answer(struct kitchen *k, const struct proto_msg *m);
