/*
 * control — kitchenctl's requests on the control socket. See control.h.
 */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book.h"
#include "intake.h"
#include "kitchen.h"
#include "listing.h"
#include "log.h"
#include "menu.h"
#include "orders.h"
#include "outputs.h"
#include "pending.h"
#include "reader.h"
#include "reload.h"
#include "reply.h"
#include "reports.h"
#include "store.h"
#include "util.h"

#define CONTROL_READS_PER_TURN 256

/* A request's routing id, for reply_*(). */
#define RID(m) (m)->env[0].data, (m)->env[0].len

static unsigned wait_for(struct kitchen *k, const struct proto_msg *m)
{
	uint64_t id, timeout_ms;

	if (proto_u64(m, 0, &id) < 0 || proto_u64(m, 1, &timeout_ms) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "WAIT takes an order id and a time-out in ms");
		return 1;
	}
	if (timeout_ms > PROTO_WAIT_MAX_MS)
		timeout_ms = PROTO_WAIT_MAX_MS;
	/* Answered when the order is done (or the time is up) and that is
	 * committed: pending_expire_waits(). */
	if (pending_wait(k, &m->env[0], id, now_ms() + timeout_ms) < 0)
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "out of memory");
	return 1;
}

static unsigned wait_for_orders(struct kitchen *k, const struct proto_msg *m)
{
	uint64_t first, n, timeout_ms;

	if (proto_u64(m, 0, &first) < 0 || proto_u64(m, 1, &n) < 0 || proto_u64(m, 2, &timeout_ms) < 0 ||
	    first == 0 || n == 0 || n > PROTO_WAITS_MAX_ORDERS || first > UINT64_MAX - n) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST,
			  "WAITS takes a first order id, a number of orders (1 to %d) and a time-out in ms",
			  PROTO_WAITS_MAX_ORDERS);
		return 1;
	}
	if (timeout_ms > PROTO_WAIT_MAX_MS)
		timeout_ms = PROTO_WAIT_MAX_MS;
	log_debug("WAITS for orders %llu to %llu, at most %llu ms", (unsigned long long) first,
		  (unsigned long long) (first + n - 1), (unsigned long long) timeout_ms);
	if (pending_wait_orders(k, &m->env[0], first, (uint32_t) n, now_ms() + timeout_ms) < 0)
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "out of memory");
	return 1;
}

static unsigned show(struct kitchen *k, const struct proto_msg *m)
{
	uint64_t id;

	if (proto_u64(m, 0, &id) < 0)
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "SHOW takes an order id");
	else if (pending_report(k, &m->env[0], id) < 0)
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "out of memory");
	return 1;
}

static unsigned status(struct kitchen *k, const struct proto_msg *m)
{
	reports_status(k, RID(m));
	return 1;
}

static unsigned chefs(struct kitchen *k, const struct proto_msg *m)
{
	reports_chefs(k, RID(m));
	return 1;
}

static unsigned metrics(struct kitchen *k, const struct proto_msg *m)
{
	reports_metrics(k, RID(m));
	return 1;
}

static unsigned menu(struct kitchen *k, const struct proto_msg *m)
{
	reports_menu(k, RID(m));
	return 1;
}

static unsigned list(struct kitchen *k, const struct proto_msg *m)
{
	listing_answer(k, m);
	return LISTING_COST;
}

static unsigned output(struct kitchen *k, const struct proto_msg *m)
{
	outputs_answer(k, m);
	return OUTPUTS_COST;
}

static unsigned drain(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;

	if (!k->stopping)
		log_notice("Draining on request: no new orders; cooking dishes finish, queued ones stay");
	k->stopping = true;
	reply_begin(k, &out, PROTO_OK, RID(m));
	reply_end(&out);
	return 1;
}

static unsigned reload(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;
	char err[512];

	if (kitchen_reload(k, err, sizeof(err)) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_CONFIG, "configuration refused, the running one stays: %s", err);
		return 1;
	}
	reply_begin(k, &out, PROTO_OK, RID(m));
	reply_end(&out);
	return 1;
}

static void not_a_request(struct kitchen *k, const struct proto_msg *m)
{
	reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "%s is not a request", proto_cmd_name(m->cmd));
}

static const struct reader control_reader = {
	.name = "control",
	.n_env = 2,
	.req_delimiter = true,
	.budget = CONTROL_READS_PER_TURN,
	.handlers = {
		[PROTO_CHEFS] = chefs,
		[PROTO_DRAIN] = drain,
		[PROTO_LIST] = list,
		[PROTO_MENU] = menu,
		[PROTO_METRICS] = metrics,
		[PROTO_ORDER] = intake_order,
		[PROTO_ORDERS] = intake_orders,
		[PROTO_OUTPUT] = output,
		[PROTO_PURGE] = book_purge,
		[PROTO_RELOAD] = reload,
		[PROTO_RETRY] = book_retry,
		[PROTO_REVOKE] = book_revoke,
		[PROTO_SHOW] = show,
		[PROTO_STATUS] = status,
		[PROTO_WAIT] = wait_for,
		[PROTO_WAITS] = wait_for_orders,
	},
	.unexpected = not_a_request,
	.refused = reply_refused,
};

bool control_read(struct kitchen *k)
{
	return reader_run(k, k->control, &control_reader);
}
