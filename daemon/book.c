/*
 * book — cancel, purge and retry on request. See book.h.
 */
#include "book.h"

#include <errno.h>
#include <stdio.h>

#include "chefs.h"
#include "kitchen.h"
#include "log.h"
#include "menu.h"
#include "orders.h"
#include "pending.h"
#include "reply.h"
#include "store.h"
#include "util.h"

/* A request's routing id, for reply_*(). */
#define RID(m) (m)->env[0].data, (m)->env[0].len

/* The order id in field 0 and the dish indexes after it. */
static int parse_dishes(const struct proto_msg *m, uint64_t *ret_id, uint32_t *indexes, size_t *ret_n)
{
	size_t n = m->n_fields - 1;

	if (proto_u64(m, 0, ret_id) < 0 || n > PROTO_ORDER_MAX_DISHES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		if (proto_u64(m, 1 + i, &v) < 0 || v >= PROTO_ORDER_MAX_DISHES)
			return -EINVAL;
		indexes[i] = (uint32_t) v;
	}
	*ret_n = n;
	return 0;
}

static bool refuse_when_full(struct kitchen *k, const struct proto_msg *m)
{
	if (!store_full(k->store))
		return false;
	reply_err(k, RID(m), PROTO_ERR_FULL, "the order store's disk is full: nothing can be changed until "
		  "it has space (%s); try again later", k->config->state_dir);
	return true;
}

/* Order @id is not open: unknown, or finished (the store says how). */
static void not_open(struct kitchen *k, const struct proto_msg *m, uint64_t id, const char *what)
{
	struct store_order so;
	int r = store_get_order(k->store, id, &so, NULL, NULL);

	if (r == -ENOENT)
		reply_err(k, RID(m), PROTO_ERR_NOT_FOUND, "no order %llu", (unsigned long long) id);
	else if (r < 0)
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "could not read order %llu from the store",
			  (unsigned long long) id);
	else
		reply_err(k, RID(m), PROTO_ERR_FINISHED, "order %llu is finished (%s): nothing to %s",
			  (unsigned long long) id, proto_state_name(so.state), what);
}

/* Tell the chef cooking @d to stop it. */
static const char *stop(struct dish *d, void *u)
{
	struct kitchen *k = u;
	struct proto_out out;

	proto_out_begin(&out, k->dispatch, PROTO_CANCEL);
	proto_out_env(&out, d->chef->id, d->chef->id_len);
	proto_out_u64(&out, d->id);
	proto_out_u64(&out, d->attempts);
	/* A chef that cannot be reached is gone, and its dishes come back cancelled. */
	(void) proto_out_end(&out, ZMQ_DONTWAIT);
	return d->chef->name;
}

unsigned book_revoke(struct kitchen *k, const struct proto_msg *m)
{
	uint32_t indexes[PROTO_ORDER_MAX_DISHES];
	struct orders_cancelled n;
	struct order *o;
	uint64_t id;
	size_t n_idx;
	int r;

	if (parse_dishes(m, &id, indexes, &n_idx) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "REVOKE takes an order id and dish indexes");
		return 1;
	}
	if (refuse_when_full(k, m))
		return 1;
	o = orders_get(k->orders, id);
	if (!o) {
		not_open(k, m, id, "cancel");
		return 1;
	}
	r = orders_cancel(k->orders, o, indexes, n_idx, stop, k, &n);
	if (r == -ERANGE) {
		/* No numbers: kitchenctl counts dishes from 1, the protocol (and the web API) from 0. */
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "order %llu has only %u %s",
			  (unsigned long long) id, o->n_dishes, plural(o->n_dishes, "dish", "dishes"));
		return 1;
	}
	if (r == -EAGAIN) {
		reply_err(k, RID(m), PROTO_ERR_NOT_FOUND, "order %llu is not accepted yet", (unsigned long long) id);
		return 1;
	}
	if (n.cancelled + n.cancelling == 0) {
		reply_err(k, RID(m), PROTO_ERR_FINISHED, "order %llu: %s done already: nothing to cancel",
			  (unsigned long long) id, n_idx ? "every dish named is" : "every dish is");
		return 1;
	}
	log_fields(LOG_INFO, 0, &(struct log_about) { .order = id },
		   "Order %llu: %u %s cancelled, %u being cancelled at their chefs, on request",
		   (unsigned long long) id, n.cancelled, plural(n.cancelled, "dish", "dishes"), n.cancelling);
	if (pending_ok(k, &m->env[0], (uint64_t[]) { id, n.cancelled, n.cancelling, n.finished }, 4) < 0)
		log_fields(LOG_ERR, -ENOMEM, &(struct log_about) { .order = id },
			   "Failed to remember to answer a cancel of order %llu: %m", (unsigned long long) id);
	return 1;
}

unsigned book_purge(struct kitchen *k, const struct proto_msg *m)
{
	char name[PROTO_MAX_NAME + 1];
	struct menu_item *item = NULL;
	uint64_t n;

	if (proto_str(m, 0, name, sizeof(name)) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "PURGE takes a dish name, or \"\" for every dish");
		return 1;
	}
	if (refuse_when_full(k, m))
		return 1;
	if (name[0] && !(item = menu_lookup(&k->menu, name))) {
		reply_err(k, RID(m), PROTO_ERR_UNKNOWN_DISH, "'%s' is not on the menu", name);
		return 1;
	}
	n = orders_purge(k->orders, item);
	log_notice("Purged %llu waiting dish%s%s%s on request", (unsigned long long) n, n == 1 ? "" : "es",
		   item ? " of " : "", item ? item->name : "");
	if (pending_ok(k, &m->env[0], &n, 1) < 0)
		log_error("Failed to remember to answer a purge: out of memory");
	return 1;
}

unsigned book_retry(struct kitchen *k, const struct proto_msg *m)
{
	uint32_t indexes[PROTO_ORDER_MAX_DISHES];
	unsigned retried = 0;
	uint64_t id;
	size_t n_idx;
	int r;

	if (parse_dishes(m, &id, indexes, &n_idx) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "RETRY takes an order id and dish indexes");
		return 1;
	}
	if (refuse_when_full(k, m))
		return 1;
	/* A finished order is read back from the store: all it was told must be there. */
	if (!orders_get(k->orders, id) && store_written(k->store) > store_committed(k->store)) {
		r = store_sync(k->store);
		if (r < 0) {
			reply_err(k, RID(m), r == -ENOSPC ? PROTO_ERR_FULL : PROTO_ERR_INTERNAL,
				  "the order store could not commit (%s); try again later", store_error(k->store));
			return 1;
		}
	}
	r = orders_retry(k->orders, &k->menu, id, indexes, n_idx, &retried);
	if (r == -ENOENT) {
		reply_err(k, RID(m), PROTO_ERR_NOT_FOUND, "no order %llu", (unsigned long long) id);
		return 1;
	}
	if (r == -ERANGE) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "order %llu has fewer dishes than that",
			  (unsigned long long) id);
		return 1;
	}
	if (r == -EAGAIN) {
		reply_err(k, RID(m), PROTO_ERR_NOT_FOUND, "order %llu is not accepted yet", (unsigned long long) id);
		return 1;
	}
	if (r == -EBUSY) {
		reply_err(k, RID(m), PROTO_ERR_FULL, "too many finished orders are being opened again at once; "
			  "try again in a moment");
		return 1;
	}
	if (r < 0) {
		log_fields(LOG_ERR, r, &(struct log_about) { .order = id }, "Failed to retry order %llu: %m",
			   (unsigned long long) id);
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "could not retry order %llu", (unsigned long long) id);
		return 1;
	}
	if (retried == 0) {
		reply_err(k, RID(m), PROTO_ERR_FINISHED, "order %llu: no dish %shas failed or was cancelled: "
			  "nothing to retry", (unsigned long long) id, n_idx ? "named " : "");
		return 1;
	}
	log_fields(LOG_INFO, 0, &(struct log_about) { .order = id }, "Order %llu: %u %s retried on request",
		   (unsigned long long) id, retried, plural(retried, "dish", "dishes"));
	if (pending_ok(k, &m->env[0], (uint64_t[]) { id, retried }, 2) < 0)
		log_fields(LOG_ERR, -ENOMEM, &(struct log_about) { .order = id },
			   "Failed to remember to answer a retry of order %llu: %m", (unsigned long long) id);
	return 1;
}
