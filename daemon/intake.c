/*
 * intake — ORDER and ORDERS. See intake.h.
 */
#include "intake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casefold.h"
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

/* ORDER's fields: flags key priority due_ms (dish input)... */
#define ORDER_FIRST_DISH 4

static int parse_flags(const struct proto_msg *m, bool *ret_follow)
{
	char flags[64];

	*ret_follow = false;
	if (proto_str(m, 0, flags, sizeof(flags)) < 0)
		return -EINVAL;
	for (char *save = NULL, *tok = strtok_r(flags, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "follow") == 0)
			*ret_follow = true;
		else
			return -EINVAL;
	}
	return 0;
}

/* flags, priority and due_ms at fields 0, @priority, @priority + 1: refused (answered) or 0. */
static int parse_head(struct kitchen *k, const struct proto_msg *m, size_t priority, bool *ret_follow,
		      struct proto_order_ask *ask)
{
	if (parse_flags(m, ret_follow) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "unknown order flags");
		return -EINVAL;
	}
	if (proto_u64(m, priority + 1, &ask->due_ms) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "the due time must be a number of ms since the epoch");
		return -EINVAL;
	}
	if (proto_u64(m, priority, &ask->priority) < 0)
		ask->priority = 0;  /* refused by proto_order_refusal(), in the words for a priority out of range */
	return 0;
}

/* A kitchen that takes no order now (closing); answered. */
static int closing(struct kitchen *k, const struct proto_msg *m)
{
	/* A socket-activated kitchend is followed by the next one on the same
	 * socket (a restart): the order waits in the store for it. */
	if (!k->stopping || k->activated[CONFIG_ENDPOINT_CONTROL])
		return 0;
	reply_err(k, RID(m), PROTO_ERR_CLOSING, "the kitchen is closing and takes no new orders; try again when it is back");
	return -EAGAIN;
}

/* The menu's item for dish name @f, or NULL, answered (unknown-dish). */
static struct menu_item *lookup(struct kitchen *k, const struct proto_msg *m, const struct proto_field *f)
{
	char name[PROTO_MAX_NAME + 1];
	struct menu_item *item;

	snprintf(name, sizeof(name), "%.*s", (int) f->len, f->data);  /* checked: text, at most PROTO_MAX_NAME */
	item = menu_lookup(&k->menu, name);
	if (!item) {
		_cleanup_free_ char *list = menu_list(&k->menu);

		reply_err(k, RID(m), PROTO_ERR_UNKNOWN_DISH, "'%s' is not on the menu; the menu has: %s", name,
			  list ? list : "?");
	}
	return item;
}

/* No room for @n more dishes (a full disk, orders.max_queued); answered. */
static int full(struct kitchen *k, const struct proto_msg *m, size_t n)
{
	struct orders_counts counts;

	if (store_full(k->store)) {
		reply_err(k, RID(m), PROTO_ERR_FULL,
			  "the order store's disk is full: new orders are refused until it has "
			  "space (%s); try again later", k->config->state_dir);
		return -ENOSPC;
	}
	orders_counts(k->orders, &counts);
	if (counts.queued + n > k->config->orders_max_queued) {
		reply_err(k, RID(m), PROTO_ERR_FULL,
			  "the kitchen is full (%llu %s waiting, at most %llu); try again later",
			  (unsigned long long) counts.queued, plural(counts.queued, "dish", "dishes"),
			  (unsigned long long) k->config->orders_max_queued);
		return -ENOSPC;
	}
	return 0;
}

/* Whether @f names @name as the menu matches names: ignoring case. */
static bool same_name(const struct proto_field *f, const char *name)
{
	return casefold_equal_n(f->data, f->len, name, strlen(name));
}

/* The dishes of a request, and whether an order's are the same, name by name. */
struct same_dishes {
	const struct proto_field *names;  /* every other field: ORDER's (dish input) pairs */
	size_t n;
	bool same;
};

static int compare_dish(const struct store_dish *d, void *userdata)
{
	struct same_dishes *c = userdata;

	if (d->index >= c->n || !same_name(&c->names[2 * d->index], d->name))
		c->same = false;
	return 0;
}

/*
 * An order carrying idempotency @key that an earlier one carried (within
 * orders.key_retention_s): answered with that order, after the commit of
 * that order (and of the key taken off an older one), when it has the same
 * dishes in the same order; refused (ERR key-reused) when it has others, as
 * a payment API refuses a key reused with other parameters. -ENOENT when the
 * key is new.
 */
static int order_again(struct kitchen *k, const struct proto_msg *m, const char *key)
{
	uint64_t retention_ms = k->config->orders_key_retention_s * 1000, now = wall_ms(), existing;
	struct same_dishes c = {
		.names = &m->fields[ORDER_FIRST_DISH], .n = (m->n_fields - ORDER_FIRST_DISH) / 2, .same = true,
	};
	const struct order *open;
	struct store_order so;
	int r;

	r = store_find_key(k->store, key, now > retention_ms ? now - retention_ms : 0, &existing);
	if (r == -ENOENT)
		return r;
	if (r < 0) {
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "could not look the key up");
		return 0;
	}
	/* Open in memory (perhaps not committed yet), else in the store. */
	open = orders_get(k->orders, existing);
	if (open) {
		so.n_dishes = open->n_dishes;
		for (size_t i = 0; i < open->n_dishes && i < c.n; i++)
			if (!same_name(&c.names[2 * i], open->dishes[i].item->name))
				c.same = false;
	} else if (store_get_order(k->store, existing, &so, compare_dish, &c) < 0) {
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "could not read the order");
		return 0;
	}
	if (so.n_dishes != c.n || !c.same)
		reply_err(k, RID(m), PROTO_ERR_KEY_REUSED,
			  "key '%s' names another order: order %llu, of other dishes (use another key)",
			  key, (unsigned long long) existing);
	else if (pending_ack(k, &m->env[0], existing, so.n_dishes, 0) < 0)
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "could not read the order");
	return 0;
}

unsigned intake_order(struct kitchen *k, const struct proto_msg *m)
{
	size_t n = (m->n_fields - ORDER_FIRST_DISH) / 2;
	char key[PROTO_KEY_MAX + 1], err[128];
	struct menu_item *items[PROTO_ORDER_MAX_DISHES];
	struct proto_order_ask ask = {
		.key = m->fields[1],
		.now_ms = wall_ms(),
		.names = &m->fields[ORDER_FIRST_DISH],
		.inputs = &m->fields[ORDER_FIRST_DISH + 1],
		.stride = 2,
		.max_input = k->config->dishes_max_input,
		.n = n,
	};
	struct order *o;
	bool follow;
	int r;

	if (parse_head(k, m, 2, &follow, &ask) < 0)
		return 1;
	if (proto_order_refusal(&ask, err, sizeof(err)) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "%s", err);
		return 1;
	}
	(void) proto_str(m, 1, key, sizeof(key));  /* checked above */
	if (closing(k, m) < 0)
		return 1;
	if (key[0] && order_again(k, m, key) != -ENOENT)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!(items[i] = lookup(k, m, &m->fields[ORDER_FIRST_DISH + 2 * i])))
			return 1;
	if (full(k, m, n) < 0)
		return 1;

	r = orders_admit(k->orders, &(struct orders_request) {
		.key = key,
		.items = items,
		.inputs = &m->fields[ORDER_FIRST_DISH + 1],
		.stride = 2,
		.n = n,
		.priority = (unsigned) ask.priority,
		.due_ms = ask.due_ms,
		.follow = follow,
	}, &o);
	if (r < 0) {
		log_error_errno(r, "Failed to store an order: %m");
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "could not store the order");
		return 1;
	}
	if (pending_ack(k, &m->env[0], o->id, o->n_dishes, o->batch) < 0)
		/* Stored, so it will be cooked; the client hears of it by its key, or not at all. */
		log_fields(LOG_ERR, -ENOMEM, &(struct log_about) { .order = o->id },
			   "Failed to remember to acknowledge order %llu: %m", (unsigned long long) o->id);
	return 1;
}

/* ORDERS: its dish groups, each (order dish input), as fields. */
#define GROUP(m, i) (&(m)->fields[PROTO_ORDERS_FIXED + PROTO_ORDERS_GROUP * (i)])

/*
 * The orders of an ORDERS, checked: the dishes of order j are groups
 * first[j] .. first[j + 1] - 1, their order numbers 0, 1, 2... in turn. The
 * number of orders, or an error answered.
 */
static int split(struct kitchen *k, const struct proto_msg *m, size_t n, size_t *first,
		 struct proto_order_ask *ask)
{
	size_t orders = 0;
	char err[160];

	for (size_t i = 0; i < n; i++) {
		uint64_t no;

		if (proto_u64(m, PROTO_ORDERS_FIXED + PROTO_ORDERS_GROUP * i, &no) < 0 ||
		    (no != orders && no + 1 != orders) || (orders == 0 && no != 0)) {
			reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST,
				  "dish %zu of the request: its order number must be that of the dish before it or "
				  "the next, from 0",
				  i + 1);
			return -EINVAL;
		}
		if (no == orders)
			first[orders++] = i;
	}
	first[orders] = n;
	for (size_t j = 0; j < orders; j++) {
		ask->names = &GROUP(m, first[j])[1];
		ask->inputs = &GROUP(m, first[j])[2];
		ask->n = first[j + 1] - first[j];
		if (proto_order_refusal(ask, err, sizeof(err)) < 0) {
			reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "order %zu of the request: %s", j + 1, err);
			return -EINVAL;
		}
	}
	return (int) orders;
}

unsigned intake_orders(struct kitchen *k, const struct proto_msg *m)
{
	size_t n = (m->n_fields - PROTO_ORDERS_FIXED) / PROTO_ORDERS_GROUP, first[PROTO_ORDERS_MAX_DISHES + 1];
	struct menu_item *items[PROTO_ORDERS_MAX_DISHES];
	struct proto_order_ask ask = {
		.now_ms = wall_ms(),
		.stride = PROTO_ORDERS_GROUP,
		.max_input = k->config->dishes_max_input,
	};
	uint64_t first_id = 0, batch = 0;
	size_t admitted = 0;
	bool follow;
	int orders, r = 0;

	if (n > PROTO_ORDERS_MAX_DISHES) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "an ORDERS holds at most %d dishes, not %zu",
			  PROTO_ORDERS_MAX_DISHES, n);
		return 1;
	}
	if (parse_head(k, m, 1, &follow, &ask) < 0)
		return 1;
	orders = split(k, m, n, first, &ask);
	if (orders < 0 || closing(k, m) < 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!(items[i] = lookup(k, m, &GROUP(m, i)[1])))
			return 1;
	if (full(k, m, n) < 0)
		return 1;

	/* One turn of the loop: the same store batch, consecutive ids. */
	for (size_t j = 0; j < (size_t) orders; j++) {
		struct order *o;

		r = orders_admit(k->orders, &(struct orders_request) {
			.key = "",
			.items = &items[first[j]],
			.inputs = &GROUP(m, first[j])[2],
			.stride = PROTO_ORDERS_GROUP,
			.n = first[j + 1] - first[j],
			.priority = (unsigned) ask.priority,
			.due_ms = ask.due_ms,
			.follow = follow,
		}, &o);
		if (r < 0)
			break;
		if (j == 0)
			first_id = o->id;
		batch = o->batch;
		admitted++;
	}
	if (r < 0)
		log_error_errno(r, "Failed to store order %zu of %d of a request (the %zu before it are in): %m",
				admitted + 1, orders, admitted);
	if (admitted == 0)
		reply_err(k, RID(m), PROTO_ERR_INTERNAL, "could not store the orders; nothing was accepted");
	else if (pending_ack_orders(k, &m->env[0], first_id, admitted, first[admitted], batch) < 0)
		log_fields(LOG_ERR, -ENOMEM, &(struct log_about) { .order = first_id },
			   "Failed to remember to acknowledge orders %llu to %llu: %m", (unsigned long long) first_id,
			   (unsigned long long) (first_id + admitted - 1));
	/* The reads it costs the loop's turn (reader.h): as many as its orders. */
	return (unsigned) orders;
}
