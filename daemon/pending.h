/*
 * pending — kitchenctl requests answered later.
 *
 * An ORDER's OK waits for the commit of the store batch that holds the
 * order: accepted means durable; so does the OK of a change on request
 * (a cancel, a purge, a retry). A report (SHOW, a WAIT that is due) waits
 * for the batch holding everything kitchend did before it, unless that is
 * committed already, so that it never shows less than a reply before it
 * said. A WAIT is a long poll: it is due when its order is done or its time
 * (at most PROTO_WAIT_MAX_MS) is up, and is then answered as a report; a
 * WAITS, when all of its orders are, with their states.
 * Replies waiting for commits go out in the order their requests came.
 *
 * WAIT slots are shared: at most PENDING_WAITS_MAX in all and
 * PENDING_WAITS_PER_CLIENT per client (routing id). A WAIT beyond either is
 * not refused: the oldest WAIT of that client, or of all, is answered at
 * once instead (a long poll may always end early: its client asks again),
 * so no client can lock others out.
 *
 * When a commit fails, every ORDER waiting for it is refused ("nothing was
 * accepted") and reports waiting for it are answered with an error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define PENDING_WAITS_MAX 10000
#define PENDING_WAITS_PER_CLIENT 16  /* a REQ client has one; a DEALER may pipeline a few */

struct kitchen;
struct pending;

int pending_new(struct pending **ret);
void pending_free(struct pending **p);  /* drops what waits, unanswered; NULL is fine */

/* Send OK order_id n_dishes to @rid once store batch @batch is committed. */
int pending_ack(struct kitchen *k, const struct proto_field *rid, uint64_t order_id, uint32_t n_dishes,
		uint64_t batch);
/* Send OK first_id n_orders n_dishes to @rid once store batch @batch is
 * committed: the orders of one ORDERS (intake.h), ids @first_id on. */
int pending_ack_orders(struct kitchen *k, const struct proto_field *rid, uint64_t first_id, uint32_t n_orders,
		       uint32_t n_dishes, uint64_t batch);
/* Send OK with the @n numbers @numbers to @rid once everything written so
 * far is committed: a change made on request (REVOKE, PURGE, RETRY) is
 * said done when it is durable. On a full disk it is answered ERR full
 * instead (pending_store_full()). */
#define PENDING_NUMBERS_MAX 4
int pending_ok(struct kitchen *k, const struct proto_field *rid, const uint64_t *numbers, size_t n);
/* Send the report of order @id to @rid once everything written so far is
 * committed (at once when it is). */
int pending_report(struct kitchen *k, const struct proto_field *rid, uint64_t id);
/* Long-poll order @id for @rid until it is done or @deadline_ms (monotonic). */
int pending_wait(struct kitchen *k, const struct proto_field *rid, uint64_t id, uint64_t deadline_ms);
/* The same for the @n orders of ids @first on (a WAITS, one WAIT of the
 * client's): until every one is done, then answered with their states
 * (reports_order_states()). */
int pending_wait_orders(struct kitchen *k, const struct proto_field *rid, uint64_t first, uint32_t n,
			uint64_t deadline_ms);

/*
 * Answer what waited for store batches up to @committed, after moving the
 * WAITs that are due to them. With @failed, what waits for a later batch
 * gets an error instead (the commit failed).
 */
void pending_after_commit(struct kitchen *k, uint64_t committed, bool failed);
/*
 * The store's disk is full (store.h): what waits for a commit cannot wait.
 * pending_refuse_order() answers the ORDER (or ORDERS) of @order_id, which is dropped
 * (never to be committed), with ERR @code @text; pending_store_full()
 * answers every other reply now: an ORDER's OK (its order is committed
 * already: it waited for a later batch only for a key), a report from what
 * the store holds.
 */
void pending_refuse_order(struct kitchen *k, uint64_t order_id, const char *code, const char *text);
void pending_store_full(struct kitchen *k);

/* Move the WAITs that are due (order done or out of time) to the reports. */
void pending_expire_waits(struct kitchen *k, uint64_t now);

/* The earliest WAIT deadline, UINT64_MAX without one. */
uint64_t pending_next_deadline(const struct pending *p);
/* Whether no reply waits for a commit. */
bool pending_idle(const struct pending *p);
/* WAITs held now (METRICS). */
size_t pending_waits(const struct pending *p);
