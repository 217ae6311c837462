/*
 * book — the order book's requests on the control socket: REVOKE (cancel
 * an order's dishes), PURGE (cancel every waiting dish, or every one of a
 * dish) and RETRY (failed or cancelled dishes get a new series of
 * attempts). orders.h does the work; this checks the request, makes sure
 * the store knows what the change starts from, and answers once the change
 * is committed (pending_ok()).
 *
 * Replies (docs/protocol.md):
 *	REVOKE order_id index...  -> OK order_id cancelled cancelling finished
 *	PURGE dish                -> OK cancelled
 *	RETRY order_id index...   -> OK order_id retried
 * No index: every dish of the order. ERR not-found for an unknown order,
 * finished when nothing named can change (every dish done, or none failed
 * or cancelled to retry), bad-request for an index out of the order, full
 * while the store's disk is full.
 */
#pragma once

#include "proto.h"

struct kitchen;

unsigned book_revoke(struct kitchen *k, const struct proto_msg *m);
unsigned book_purge(struct kitchen *k, const struct proto_msg *m);
unsigned book_retry(struct kitchen *k, const struct proto_msg *m);
