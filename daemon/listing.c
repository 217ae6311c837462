/*
 * listing — LIST. See listing.h.
 */
#include "listing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kitchen.h"
#include "log.h"
#include "orders.h"
#include "reply.h"
#include "store.h"
#include "util.h"

/* One order of the page, kept until the page is whole: next goes first. */
struct listed {
	uint64_t id, created_ms, due_ms;
	const char *state;
	unsigned queued, cooking, served, failed, cancelled;
	char *key, *names;
};

struct listing {
	struct kitchen *k;
	int want;        /* a state (_PROTO_STATE_MAX: delayed), or -1: any */
	uint64_t now_ms; /* wall clock, for "delayed" */
	size_t n;
	struct listed page[PROTO_LIST_MAX];
};

/* @o's state and dish counts: the store's, or for an open order kitchend's. */
static void overlay(struct listing *ls, const struct store_order *so, struct listed *l)
{
	const struct order *o = so->state < PROTO_STATE_SERVED ? orders_get(ls->k->orders, so->id)
							       : NULL;
	enum proto_state state = so->state;

	l->served = so->served;
	l->failed = so->failed;
	l->cancelled = so->cancelled;
	l->cooking = 0;
	if (o) {
		l->served = o->n_served;
		l->failed = o->n_failed;
		l->cancelled = o->n_cancelled;
		for (uint32_t i = 0; i < o->n_dishes; i++)
			l->cooking += o->dishes[i].state == PROTO_STATE_COOKING;
		state = order_state(o);
	}
	l->queued = so->n_dishes - l->served - l->failed - l->cancelled - l->cooking;
	l->state = proto_state_name(state);
	if (state == PROTO_STATE_QUEUED && so->due_ms > ls->now_ms)
		l->state = PROTO_LIST_DELAYED;
}

static int take(const struct store_listed *sl, void *userdata)
{
	struct listing *ls = userdata;
	struct listed *l = &ls->page[ls->n];

	if (ls->n == PROTO_LIST_MAX)
		return 0; /* store_list() stops at the limit: never */
	*l = (struct listed) { .id = sl->order.id,
			       .created_ms = sl->order.created_ms,
			       .due_ms = sl->order.due_ms };
	overlay(ls, &sl->order, l);
	/* Open orders come from the store unsplit: queued, cooking, delayed. */
	if (ls->want == PROTO_STATE_QUEUED || ls->want == PROTO_STATE_COOKING ||
	    ls->want == _PROTO_STATE_MAX) {
		const char *want = ls->want == _PROTO_STATE_MAX
			? PROTO_LIST_DELAYED
			: proto_state_name((enum proto_state) ls->want);
		if (strcmp(l->state, want) != 0)
			return 0;
	}
	l->key = strdup(sl->key);
	l->names = strdup(sl->names);
	if (!l->key || !l->names) {
		free(l->key);
		free(l->names);
		return -ENOMEM;
	}
	ls->n++;
	return 1;
}

static void page_free(struct listing *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->page[i].key);
		free(ls->page[i].names);
	}
	ls->n = 0;
}

/* The request's fields, or a sentence saying what is wrong with them. */
static int parse(const struct proto_msg *m, struct store_list_query *q, int *ret_want, char *key,
		 char *dish, char *err, size_t size)
{
	uint64_t limit;
	int want = -1;

	if (m->fields[0].len > 0 &&
	    (want = proto_list_state_from_name(m->fields[0].data, m->fields[0].len)) < 0) {
		snprintf(err, size,
			 "unknown state (one of: queued, cooking, %s, served, failed, cancelled)",
			 PROTO_LIST_DELAYED);
		return -EINVAL;
	}
	if (proto_str(m, 1, dish, PROTO_MAX_NAME + 1) < 0 || strchr(dish, '\n')) {
		snprintf(err, size, "the dish must be a name of at most %d bytes on one line",
			 PROTO_MAX_NAME);
		return -EINVAL;
	}
	if (proto_str(m, 2, key, PROTO_KEY_MAX + 1) < 0 || strchr(key, '\n')) {
		snprintf(err, size, "the order key must be text of at most %d bytes", PROTO_KEY_MAX);
		return -EINVAL;
	}
	if (proto_u64(m, 3, &q->since_ms) < 0 || proto_u64(m, 4, &q->until_ms) < 0 ||
	    proto_u64(m, 5, &limit) < 0 || proto_u64(m, 6, &q->before) < 0 || limit == 0) {
		snprintf(err, size, "LIST takes times in ms, a limit of 1 or more and an order id");
		return -EINVAL;
	}
	q->limit = limit > PROTO_LIST_MAX ? PROTO_LIST_MAX : (size_t) limit;
	q->key = key;
	q->dish = dish;
	q->open = want == PROTO_STATE_QUEUED || want == PROTO_STATE_COOKING || want == _PROTO_STATE_MAX;
	q->done = want >= PROTO_STATE_SERVED && want < _PROTO_STATE_MAX ? (enum proto_state) want
									: _PROTO_STATE_MAX;
	*ret_want = want;
	return 0;
}

void listing_answer(struct kitchen *k, const struct proto_msg *m)
{
	const void *rid = m->env[0].data;
	size_t rid_len = m->env[0].len;
	char key[PROTO_KEY_MAX + 1], dish[PROTO_MAX_NAME + 1], err[160];
	struct store_list_query q = { 0 };
	struct listing *ls;
	struct proto_out out;
	uint64_t next;
	int want, r;

	if (parse(m, &q, &want, key, dish, err, sizeof(err)) < 0)
		return reply_err(k, rid, rid_len, PROTO_ERR_BAD_REQUEST, "%s", err);
	ls = calloc(1, sizeof(*ls));
	if (!ls)
		return reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "out of memory");
	*ls = (struct listing) { .k = k, .want = want, .now_ms = wall_ms() };

	uint64_t t0 = now_ns();
	r = store_list(k->store, &q, take, ls, &next);
	log_debug("LIST: %zu orders, next %llu, in %llu us", ls->n, (unsigned long long) next,
		  (unsigned long long) ((now_ns() - t0) / 1000));
	if (r < 0) {
		if (r != -ENOMEM)
			log_error_errno(r, "Failed to list orders: %s", store_error(k->store));
		reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "could not read the orders");
	} else {
		reply_begin(k, &out, PROTO_OK, rid, rid_len);
		proto_out_u64(&out, next);
		for (size_t i = 0; i < ls->n; i++) {
			const struct listed *l = &ls->page[i];

			proto_out_u64(&out, l->id);
			proto_out_str(&out, l->state);
			proto_out_u64(&out, l->created_ms);
			proto_out_u64(&out, l->due_ms);
			proto_out_str(&out, l->key);
			proto_out_u64(&out, l->queued);
			proto_out_u64(&out, l->cooking);
			proto_out_u64(&out, l->served);
			proto_out_u64(&out, l->failed);
			proto_out_u64(&out, l->cancelled);
			proto_out_str(&out, l->names);
		}
		reply_end(&out);
	}
	page_free(ls);
	free(ls);
}
