/*
 * control — kitchenctl's requests on the control socket. See control.h.
 */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book.h"
#include "casefold.h"
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

/* ORDER's fields: flags key priority due_ms (dish input)... */
#define ORDER_FIRST_DISH 4

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

static unsigned order(struct kitchen *k, const struct proto_msg *m)
{
	size_t n = (m->n_fields - ORDER_FIRST_DISH) / 2;
	char key[PROTO_KEY_MAX + 1], name[PROTO_MAX_NAME + 1], err[128];
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
	struct orders_counts counts;
	struct order *o;
	bool follow;
	int r;

	if (parse_flags(m, &follow) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "unknown order flags");
		return 1;
	}
	if (proto_u64(m, 3, &ask.due_ms) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "the due time must be a number of ms since the epoch");
		return 1;
	}
	if (proto_u64(m, 2, &ask.priority) < 0)
		ask.priority = 0;  /* refused below, in the words for a priority out of range */
	if (proto_order_refusal(&ask, err, sizeof(err)) < 0) {
		reply_err(k, RID(m), PROTO_ERR_BAD_REQUEST, "%s", err);
		return 1;
	}
	(void) proto_str(m, 1, key, sizeof(key));  /* checked above */
	/* A socket-activated kitchend is followed by the next one on the same
	 * socket (a restart): the order waits in the store for it. */
	if (k->stopping && !k->activated[CONFIG_ENDPOINT_CONTROL]) {
		reply_err(k, RID(m), PROTO_ERR_CLOSING,
			  "the kitchen is closing and takes no new orders; try again when it is back");
		return 1;
	}
	if (key[0] && order_again(k, m, key) != -ENOENT)
		return 1;

	for (size_t i = 0; i < n; i++) {
		(void) proto_str(m, ORDER_FIRST_DISH + 2 * i, name, sizeof(name));  /* checked above */
		items[i] = menu_lookup(&k->menu, name);
		if (!items[i]) {
			_cleanup_free_ char *list = menu_list(&k->menu);
			reply_err(k, RID(m), PROTO_ERR_UNKNOWN_DISH, "'%s' is not on the menu; the menu has: %s",
				  name, list ? list : "?");
			return 1;
		}
	}

	if (store_full(k->store)) {
		reply_err(k, RID(m), PROTO_ERR_FULL,
			  "the order store's disk is full: new orders are refused until it has "
			  "space (%s); try again later", k->config->state_dir);
		return 1;
	}
	orders_counts(k->orders, &counts);
	if (counts.queued + n > k->config->orders_max_queued) {
		reply_err(k, RID(m), PROTO_ERR_FULL,
			  "the kitchen is full (%llu %s waiting, at most %llu); try again later",
			  (unsigned long long) counts.queued, plural(counts.queued, "dish", "dishes"),
			  (unsigned long long) k->config->orders_max_queued);
		return 1;
	}

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
		[PROTO_ORDER] = order,
		[PROTO_OUTPUT] = output,
		[PROTO_PURGE] = book_purge,
		[PROTO_RELOAD] = reload,
		[PROTO_RETRY] = book_retry,
		[PROTO_REVOKE] = book_revoke,
		[PROTO_SHOW] = show,
		[PROTO_STATUS] = status,
		[PROTO_WAIT] = wait_for,
	},
	.unexpected = not_a_request,
	.refused = reply_refused,
};

bool control_read(struct kitchen *k)
{
	return reader_run(k, k->control, &control_reader);
}
