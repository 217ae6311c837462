/*
 * control — kitchenctl's requests on the control socket.
 *
 * Every request gets exactly one reply (a REQ client waits for it): OK with
 * the request's fields, or ERR with a code and a sentence for a person.
 * ORDER is answered only after the commit that made the order durable; WAIT
 * is a long poll answered when the order is done or its time is up. A
 * report (SHOW, WAIT) is read from the store, which shows what is
 * committed: it waits for the batch that holds everything kitchend did
 * before (store.h), unless that is committed already.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kitchen-build.h"
#include "kitchen.h"
#include "log.h"
#include "util.h"

#define CONTROL_READS_PER_TURN 256
#define WAITS_MAX 10000
#define WAITS_PER_CLIENT 16  /* a REQ client has one; a DEALER may pipeline a few */

/* Begin a reply in protocol @version (PROTO_VERSION but to a peer of another). */
static void reply_begin_version(struct kitchen *k, struct proto_out *out, enum proto_cmd cmd,
				const void *rid, size_t rid_len, const char *version)
{
	proto_out_begin_version(out, k->control, cmd, version);
	proto_out_env(out, rid, rid_len);
	proto_out_env(out, "", 0);
}

static void reply_begin(struct kitchen *k, struct proto_out *out, enum proto_cmd cmd,
			const void *rid, size_t rid_len)
{
	reply_begin_version(k, out, cmd, rid, rid_len, PROTO_VERSION);
}

static void reply_end(struct proto_out *out)
{
	int r = proto_out_end(out, ZMQ_DONTWAIT);

	/* The client may have given up and gone: nothing to do about it. */
	if (r < 0)
		log_debug_errno(r, "Failed to answer a control request: %m");
}

static void reply_err(struct kitchen *k, const void *rid, size_t rid_len, const char *code,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reply_err(struct kitchen *k, const void *rid, size_t rid_len, const char *code,
		      const char *fmt, ...)
{
	struct proto_out out;
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reply_begin(k, &out, PROTO_ERR, rid, rid_len);
	proto_out_str(&out, code);
	proto_out_str(&out, text);
	reply_end(&out);
}

/*
 * A report of an order (SHOW, WAIT): the store's record, overlaid for an
 * order still open with what kitchend holds in memory, since handing a
 * dish to a chef is not stored (store.h): a dish at a chef shows cooking,
 * with its chef and the attempt under way.
 */
struct report_ctx {
	struct kitchen *k;
	const void *rid;
	size_t rid_len;
	struct proto_out out;
	struct store_order order;
	const struct order *open;  /* NULL once done */
	bool head_sent;
};

/* Begin the OK with the order's fields: at the first dish, or after the last. */
static void report_head(struct report_ctx *ctx)
{
	const struct store_order *o = &ctx->order;
	struct proto_out *out = &ctx->out;

	if (ctx->head_sent)
		return;
	ctx->head_sent = true;
	reply_begin(ctx->k, out, PROTO_OK, ctx->rid, ctx->rid_len);
	proto_out_u64(out, o->id);
	proto_out_str(out, proto_state_name(ctx->open ? order_state(ctx->open) : o->state));
	proto_out_u64(out, o->created_ms);
	proto_out_u64(out, o->n_dishes);
	proto_out_u64(out, o->served);
	proto_out_u64(out, o->failed);
}

static int report_dish(const struct store_dish *d, void *userdata)
{
	struct report_ctx *ctx = userdata;
	struct proto_out *out = &ctx->out;
	const char *detail = d->detail, *chef = d->chef;
	enum proto_state state = d->state;
	unsigned attempts = d->attempts;
	size_t len = strlen(detail);

	if (ctx->open && d->index < ctx->open->n_dishes) {
		const struct dish *m = &ctx->open->dishes[d->index];
		state = (enum proto_state) m->state;
		attempts = m->attempts;
		if (m->state == PROTO_STATE_COOKING && m->chef)
			chef = m->chef->name;
	}
	report_head(ctx);
	proto_out_u64(out, d->index);
	proto_out_str(out, d->name);
	proto_out_str(out, proto_state_name(state));
	proto_out_u64(out, attempts);
	proto_out_str(out, chef);
	proto_out_str(out, d->result);
	/* Reasons are stored one per line, each ending in '\n'. */
	if (len > 0 && detail[len - 1] == '\n')
		len--;
	proto_out_mem(out, detail, len);
	return 0;
}

/* Answer with the report of order @id, as SHOW and WAIT do. */
static void reply_report(struct kitchen *k, const void *rid, size_t rid_len, uint64_t id)
{
	struct report_ctx ctx = { .k = k, .rid = rid, .rid_len = rid_len, .open = idmap_get(&k->orders, id) };
	int r;

	/* The store reads everything before the first dish goes out, so an
	 * ERR never has to follow a half-sent OK. */
	r = store_get_order(k->store, id, &ctx.order, report_dish, &ctx);
	if (r == -ENOENT && !ctx.head_sent)
		return reply_err(k, rid, rid_len, PROTO_ERR_NOT_FOUND, "no order %llu", (unsigned long long) id);
	if (r < 0)
		log_error_errno(r, "Failed to read order %llu: %m", (unsigned long long) id);
	if (r < 0 && !ctx.head_sent)
		return reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "could not read the order");
	report_head(&ctx);
	reply_end(&ctx.out);
}

static struct pending_reply *pending_new(const struct proto_msg *m, uint64_t order_id)
{
	struct pending_reply *p;

	if (m->env[0].len > ROUTING_ID_MAX)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->rid, m->env[0].data, m->env[0].len);
	p->rid_len = m->env[0].len;
	p->order_id = order_id;
	return p;
}

/* Append, so replies go out in the order requests came. */
static void pending_append(struct pending_reply **list, struct pending_reply *p)
{
	while (*list)
		list = &(*list)->next;
	*list = p;
}

/*
 * Queue @p for after the commit of the last batch written so far. Batch
 * numbers only grow, so k->acks stays in batch order.
 */
static void pending_commit(struct kitchen *k, struct pending_reply *p)
{
	p->batch = store_written(k->store);
	pending_append(&k->acks, p);
}

/* SHOW: at once if everything written is committed, else after the commit. */
static void show(struct kitchen *k, const struct proto_msg *m, uint64_t id)
{
	struct pending_reply *p;

	if (store_written(k->store) <= store_committed(k->store))
		return reply_report(k, m->env[0].data, m->env[0].len, id);
	p = pending_new(m, id);
	if (!p)
		return reply_err(k, m->env[0].data, m->env[0].len, PROTO_ERR_INTERNAL, "out of memory");
	p->report = true;
	pending_commit(k, p);
}

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

static void order(struct kitchen *k, const struct proto_msg *m)
{
	const void *rid = m->env[0].data;
	size_t rid_len = m->env[0].len;
	size_t n = m->n_fields - 2;
	char key[PROTO_KEY_MAX + 1], name[PROTO_MAX_NAME + 1], err[128];
	struct menu_item *items[PROTO_ORDER_MAX_DISHES];
	const char *names[PROTO_ORDER_MAX_DISHES];
	struct pending_reply *ack;
	struct order *o;
	uint64_t existing;
	bool follow;
	int r;

	if (parse_flags(m, &follow) < 0)
		return reply_err(k, rid, rid_len, PROTO_ERR_BAD_REQUEST, "unknown order flags");
	if (proto_order_refusal(&m->fields[1], &m->fields[2], n, err, sizeof(err)) < 0)
		return reply_err(k, rid, rid_len, PROTO_ERR_BAD_REQUEST, "%s", err);
	(void) proto_str(m, 1, key, sizeof(key));
	if (k->stopping)
		return reply_err(k, rid, rid_len, PROTO_ERR_CLOSING,
				 "the kitchen is closing and takes no new orders; try again when it is back");

	if (key[0]) {
		uint64_t retention_ms = k->config->orders_key_retention_s * 1000, now = wall_ms();

		r = store_find_key(k->store, key, now > retention_ms ? now - retention_ms : 0, &existing);
		if (r >= 0) {
			/* Open in memory (perhaps not committed yet), else in the store. */
			const struct order *open = idmap_get(&k->orders, existing);
			struct store_order so;
			ack = pending_new(m, existing);
			if (ack && open)
				so.n_dishes = open->n_dishes;
			if (!ack || (!open && store_get_order(k->store, existing, &so, NULL, NULL) < 0)) {
				free(ack);
				return reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "could not read the order");
			}
			ack->n_dishes = so.n_dishes;
			/* After the commit of the first order with the key (and
			 * of the key taken off an older one). */
			pending_commit(k, ack);
			return;
		}
		if (r != -ENOENT)
			return reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "could not look the key up");
	}

	for (size_t i = 0; i < n; i++) {
		(void) proto_str(m, 2 + i, name, sizeof(name));  /* checked above */
		items[i] = menu_lookup(&k->menu, name);
		if (!items[i]) {
			_cleanup_free_ char *list = menu_list(&k->menu);
			return reply_err(k, rid, rid_len, PROTO_ERR_UNKNOWN_DISH,
					 "'%s' is not on the menu; the menu has: %s", name, list ? list : "?");
		}
		names[i] = items[i]->name;
	}

	if (k->n_queued + n > k->config->orders_max_queued)
		return reply_err(k, rid, rid_len, PROTO_ERR_FULL,
				 "the kitchen is full (%llu dishes waiting, at most %llu); try again later",
				 (unsigned long long) k->n_queued, (unsigned long long) k->config->orders_max_queued);

	ack = pending_new(m, k->next_order_id);
	o = order_new(k->next_order_id, wall_ms(), (uint32_t) n, k->next_dish_id);
	if (!ack || !o || idmap_put(&k->orders, o->id, o) < 0) {
		free(ack);
		order_free(&o);
		return reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "out of memory");
	}
	r = store_add_order(k->store, o->id, key, o->created_ms, k->next_dish_id, n, names);
	/* Ids are spent even on failure: a half-written row must never be reused. */
	k->next_order_id++;
	k->next_dish_id += n;
	if (r < 0) {
		log_error_errno(r, "Failed to store order %llu: %m", (unsigned long long) o->id);
		idmap_remove(&k->orders, o->id);
		order_free(&o);
		free(ack);
		return reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "could not store the order");
	}

	for (size_t i = 0; i < n; i++)
		o->dishes[i].item = items[i];
	o->held = follow;
	k->n_queued += n;
	o->batch = store_written(k->store);
	if (k->new_orders_tail)
		k->new_orders_tail->next_new = o;
	else
		k->new_orders = o;
	k->new_orders_tail = o;
	ack->n_dishes = (uint32_t) n;
	pending_commit(k, ack);
	log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id }, "Order %llu: %zu dishes%s",
		   (unsigned long long) o->id, n, key[0] ? " (with a key)" : "");
}

static void wait_for(struct kitchen *k, const struct proto_msg *m)
{
	uint64_t id, timeout_ms;
	struct pending_reply *w;
	size_t n = 0, mine = 0;

	if (proto_u64(m, 0, &id) < 0 || proto_u64(m, 1, &timeout_ms) < 0)
		return reply_err(k, m->env[0].data, m->env[0].len, PROTO_ERR_BAD_REQUEST,
				 "WAIT takes an order id and a time-out in ms");
	for (w = k->waits; w; w = w->next) {
		n++;
		mine += w->rid_len == m->env[0].len && memcmp(w->rid, m->env[0].data, w->rid_len) == 0;
	}
	if (n >= WAITS_MAX)
		return reply_err(k, m->env[0].data, m->env[0].len, PROTO_ERR_FULL,
				 "too many clients waiting; try again later");
	/* One client must not take every slot from the others. */
	if (mine >= WAITS_PER_CLIENT)
		return reply_err(k, m->env[0].data, m->env[0].len, PROTO_ERR_FULL,
				 "this client already has %d WAITs pending", WAITS_PER_CLIENT);
	w = pending_new(m, id);
	if (!w)
		return reply_err(k, m->env[0].data, m->env[0].len, PROTO_ERR_INTERNAL, "out of memory");
	w->deadline_ms = now_ms() + (timeout_ms < PROTO_WAIT_MAX_MS ? timeout_ms : PROTO_WAIT_MAX_MS);
	/* Answered when the order is done (or the time is up) and that is
	 * committed: control_expire_waits(). */
	pending_append(&k->waits, w);
}

static void chef_group(struct proto_out *out, const char *name, const char *host, uint64_t pid,
		       unsigned stations, unsigned busy, const char *state, uint64_t served, bool local)
{
	proto_out_str(out, name);
	proto_out_str(out, host);
	proto_out_u64(out, pid);
	proto_out_u64(out, stations);
	proto_out_u64(out, busy);
	proto_out_str(out, state);
	proto_out_u64(out, served);
	proto_out_u64(out, local);
}

/* A reply is one message of at most PROTO_MAX_FRAMES: list this many. */
#define CHEFS_LISTED_MAX ((PROTO_MAX_FRAMES - 4 - PROTO_STATUS_FIXED) / PROTO_CHEF_GROUP)

static void chef_groups(struct kitchen *k, struct proto_out *out)
{
	size_t listed = 0;

	for (struct chef *c = k->chefs.head; c && listed < CHEFS_LISTED_MAX; c = c->next, listed++)
		chef_group(out, c->name, c->host, c->pid, c->stations, c->n_inflight + c->n_cancelled,
			   c->n_inflight + c->n_cancelled ? "cooking" : "ready", c->served, c->local);

	/* Local chefs that are not (or no longer) on the line. */
	for (size_t i = 0; i < k->pool.n_slots; i++) {
		const struct pool_slot *s = &k->pool.slots[i];
		bool joined = false;

		if (s->retired)
			continue;
		for (struct chef *c = k->chefs.head; c; c = c->next)
			if (c->local && strcmp(c->name, s->name) == 0 && c->pid == (uint64_t) s->pid)
				joined = true;
		if (!joined && listed++ < CHEFS_LISTED_MAX)
			chef_group(out, s->name, "", (uint64_t) s->pid, k->config->chefs_threads, 0,
				   s->pid ? "starting" : "restarting", 0, true);
	}
}

static void status(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;

	reply_begin(k, &out, PROTO_OK, m->env[0].data, m->env[0].len);
	proto_out_str(&out, KITCHEN_VERSION);
	proto_out_u64(&out, now_ms() - k->started_ms);
	proto_out_u64(&out, k->n_queued);
	proto_out_u64(&out, k->n_cooking);
	proto_out_u64(&out, k->n_served);
	proto_out_u64(&out, k->n_failed);
	proto_out_u64(&out, k->orders.len);
	proto_out_u64(&out, k->n_malformed);
	chef_groups(k, &out);
	reply_end(&out);
}

static void chefs(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;

	reply_begin(k, &out, PROTO_OK, m->env[0].data, m->env[0].len);
	chef_groups(k, &out);
	reply_end(&out);
}

static void menu(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;

	reply_begin(k, &out, PROTO_OK, m->env[0].data, m->env[0].len);
	for (size_t i = 0; i < k->config->n_menu; i++) {
		const struct menu_item *it = menu_lookup(&k->menu, k->config->menu[i].name);
		proto_out_str(&out, k->config->menu[i].name);
		proto_out_str(&out, it ? it->ingredients : "");
	}
	reply_end(&out);
}

static void drain(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;

	if (!k->stopping)
		log_notice("Draining on request: no new orders; cooking dishes finish, queued ones stay");
	k->stopping = true;
	reply_begin(k, &out, PROTO_OK, m->env[0].data, m->env[0].len);
	reply_end(&out);
}

static void reload(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;
	char err[512];

	if (kitchen_reload(k, err, sizeof(err)) < 0)
		return reply_err(k, m->env[0].data, m->env[0].len, PROTO_ERR_BAD_CONFIG,
				 "configuration refused, the running one stays: %s", err);
	reply_begin(k, &out, PROTO_OK, m->env[0].data, m->env[0].len);
	reply_end(&out);
}

static void request(struct kitchen *k, const struct proto_msg *m)
{
	uint64_t id;

	switch (m->cmd) {
	case PROTO_ORDER:
		return order(k, m);
	case PROTO_WAIT:
		return wait_for(k, m);
	case PROTO_SHOW:
		if (proto_u64(m, 0, &id) < 0)
			return reply_err(k, m->env[0].data, m->env[0].len, PROTO_ERR_BAD_REQUEST,
					 "SHOW takes an order id");
		return show(k, m, id);
	case PROTO_STATUS:
		return status(k, m);
	case PROTO_MENU:
		return menu(k, m);
	case PROTO_CHEFS:
		return chefs(k, m);
	case PROTO_DRAIN:
		return drain(k, m);
	case PROTO_RELOAD:
		return reload(k, m);
	case PROTO_OK: case PROTO_ERR: case PROTO_READY: case PROTO_HEARTBEAT:
	case PROTO_DISH: case PROTO_CANCEL: case PROTO_PROGRESS: case PROTO_RESULT:
	case PROTO_ORDERED: case PROTO_STAGE: case PROTO_SERVED: case PROTO_FAILED:
	case PROTO_DONE: case PROTO_CHEF: case _PROTO_CMD_MAX:
		break;
	}
	kitchen_malformed(k, "control", "not a request");
	reply_err(k, m->env[0].data, m->env[0].len, PROTO_ERR_BAD_REQUEST, "%s is not a request",
		  proto_cmd_name(m->cmd));
}

/*
 * ERR bad-request for a request proto_recv() refused. A client of another
 * protocol version gets it in its own version (ERR is the same in every
 * one), so that it can say what is wrong instead of "malformed reply".
 */
static void reply_refused(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;
	char text[128];

	snprintf(text, sizeof(text), "malformed request (this kitchend speaks %s%s%s)", PROTO_VERSION,
		 m->other_version[0] ? ", not " : "", m->other_version);
	reply_begin_version(k, &out, PROTO_ERR, m->env[0].data, m->env[0].len,
			    m->other_version[0] ? m->other_version : PROTO_VERSION);
	proto_out_str(&out, PROTO_ERR_BAD_REQUEST);
	proto_out_str(&out, text);
	reply_end(&out);
}

bool control_read(struct kitchen *k)
{
	for (int n = 0; n < CONTROL_READS_PER_TURN; n++) {
		struct proto_msg *m = k->msg;
		int r = proto_recv(k->control, 2, m, ZMQ_DONTWAIT);

		if (r == -EAGAIN)
			return false;
		if (r < 0) {
			kitchen_refused(k, "control", m);
			/* A REQ client waits for an answer: give it one if we can. */
			if (m->n_env == 2 && m->env[1].len == 0)
				reply_refused(k, m);
			continue;
		}
		if (m->env[1].len != 0) {
			kitchen_malformed(k, "control", "no REQ delimiter");
			continue;
		}
		request(k, m);
	}
	return true;  /* budget spent: there may be more */
}

static bool wait_ready(struct kitchen *k, const struct pending_reply *w, uint64_t now)
{
	struct order *o = idmap_get(&k->orders, w->order_id);

	/* Not open: done (or never was, which the report says). */
	return !o || order_done(o) || w->deadline_ms <= now;
}

void control_expire_waits(struct kitchen *k, uint64_t now)
{
	struct pending_reply **p = &k->waits;

	while (*p) {
		struct pending_reply *w = *p;
		if (wait_ready(k, w, now)) {
			*p = w->next;
			w->next = NULL;
			w->report = true;
			pending_commit(k, w);
		} else
			p = &w->next;
	}
}

uint64_t control_next_deadline(const struct kitchen *k)
{
	uint64_t next = UINT64_MAX;

	for (const struct pending_reply *w = k->waits; w; w = w->next)
		if (w->deadline_ms < next)
			next = w->deadline_ms;
	return next;
}

bool control_idle(const struct kitchen *k)
{
	return !k->acks && !k->new_orders;
}

void control_after_commit(struct kitchen *k, uint64_t committed, bool failed)
{
	control_expire_waits(k, now_ms());

	while (k->new_orders && (k->new_orders->batch <= committed || failed)) {
		struct order *o = k->new_orders;

		k->new_orders = o->next_new;
		if (!k->new_orders)
			k->new_orders_tail = NULL;
		o->next_new = NULL;
		if (o->batch <= committed) {
			o->committed = true;
			events_ordered(k, o);
			kitchen_enqueue(k, o);
		} else {
			k->n_queued -= o->n_dishes;
			idmap_remove(&k->orders, o->id);
			order_free(&o);
		}
	}

	while (k->acks && (k->acks->batch <= committed || failed)) {
		struct pending_reply *a = k->acks;
		struct proto_out out;

		k->acks = a->next;
		if (a->batch <= committed && a->report)
			reply_report(k, a->rid, a->rid_len, a->order_id);
		else if (a->batch <= committed) {
			reply_begin(k, &out, PROTO_OK, a->rid, a->rid_len);
			proto_out_u64(&out, a->order_id);
			proto_out_u64(&out, a->n_dishes);
			reply_end(&out);
		} else if (a->report)
			reply_err(k, a->rid, a->rid_len, PROTO_ERR_INTERNAL,
				  "the order store failed; kitchend is stopping");
		else
			reply_err(k, a->rid, a->rid_len, PROTO_ERR_INTERNAL,
				  "the order could not be stored; nothing was accepted");
		free(a);
	}
}
