/*
 * reports — order, status, chef and menu reports. See reports.h.
 */
#include "reports.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kitchen-build.h"
#include "dispatch.h"
#include "events.h"
#include "exposition.h"
#include "kitchen.h"
#include "log.h"
#include "orders.h"
#include "pending.h"
#include "reply.h"
#include "store.h"
#include "util.h"

struct order_report {
	struct kitchen *k;
	const void *rid;
	size_t rid_len;
	struct proto_out out;
	struct store_order order;
	const struct order *open;  /* NULL once done */
	bool head_sent;
};

/* Begin the OK with the order's fields: at the first dish, or after the last. */
static void order_head(struct order_report *rep)
{
	const struct store_order *o = &rep->order;
	struct proto_out *out = &rep->out;

	if (rep->head_sent)
		return;
	rep->head_sent = true;
	reply_begin(rep->k, out, PROTO_OK, rep->rid, rep->rid_len);
	proto_out_u64(out, o->id);
	proto_out_str(out, proto_state_name(rep->open ? order_state(rep->open) : o->state));
	proto_out_u64(out, o->created_ms);
	proto_out_u64(out, o->n_dishes);
	/* An open order as kitchend holds it: a dish being cancelled is
	 * recorded cancelled, and still cooking. */
	proto_out_u64(out, rep->open ? rep->open->n_served : o->served);
	proto_out_u64(out, rep->open ? rep->open->n_failed : o->failed);
	proto_out_u64(out, rep->open ? rep->open->n_cancelled : o->cancelled);
	proto_out_u64(out, o->priority);
	proto_out_u64(out, o->due_ms);
}

static int order_dish(const struct store_dish *d, void *userdata)
{
	struct order_report *rep = userdata;
	struct proto_out *out = &rep->out;
	const char *detail = d->detail, *chef = d->chef;
	enum proto_state state = d->state;
	unsigned attempts = d->attempts;
	uint64_t started = d->started_ms, finished = d->finished_ms;
	size_t len = strlen(detail);

	if (rep->open && d->index < rep->open->n_dishes) {
		const struct dish *m = &rep->open->dishes[d->index];
		state = (enum proto_state) m->state;
		attempts = m->attempts;
		if (m->state == PROTO_STATE_COOKING && m->chef)
			chef = m->chef->name;
		/* Handing a dish over is not stored: its start is its stamp. */
		if (m->state == PROTO_STATE_COOKING) {
			started = metrics_wall_at(&rep->k->metrics, m->since_ms);
			finished = 0;
		} else if (m->state == PROTO_STATE_QUEUED)
			started = finished = 0;
	}
	order_head(rep);
	proto_out_pack_begin(out);
	proto_out_u64(out, d->index);
	proto_out_str(out, d->name);
	proto_out_str(out, proto_state_name(state));
	proto_out_u64(out, attempts);
	proto_out_str(out, chef);
	if (d->state == PROTO_STATE_SERVED) {
		/* A program's output is bytes, whole only through OUTPUT. */
		char preview[PROTO_PREVIEW_MAX + 1];
		proto_text_preview(d->result, d->result_len, preview, sizeof(preview));
		proto_out_str(out, preview);
	} else if (state == PROTO_STATE_QUEUED && rep->open && d->index < rep->open->n_dishes &&
		   rep->open->dishes[d->index].parked) {
		/* Why it waits: no chef can cook it, or none that can has room. */
		char why[PROTO_MAX_NAME + 96];
		proto_out_str(out, dispatch_why_waiting(rep->k, rep->open->dishes[d->index].item, why, sizeof(why)));
	} else
		proto_out_str(out, d->result);
	/* Reasons are stored one per line, each ending in '\n'. */
	if (len > 0 && detail[len - 1] == '\n')
		len--;
	proto_out_mem(out, detail, len);
	proto_out_u64(out, started);
	proto_out_u64(out, finished);
	proto_out_pack_end(out);
	return 0;
}

void reports_order(struct kitchen *k, const void *rid, size_t rid_len, uint64_t id)
{
	struct order_report rep = { .k = k, .rid = rid, .rid_len = rid_len, .open = orders_get(k->orders, id) };
	int r;

	/* The store reads everything before the first dish goes out, so an
	 * ERR never has to follow a half-sent OK. */
	r = store_get_order(k->store, id, &rep.order, order_dish, &rep);
	if (r == -ENOENT && !rep.head_sent)
		return reply_err(k, rid, rid_len, PROTO_ERR_NOT_FOUND, "no order %llu", (unsigned long long) id);
	if (r < 0)
		log_fields(LOG_ERR, r, &(struct log_about) { .order = id }, "Failed to read order %llu: %m",
			   (unsigned long long) id);
	if (r < 0 && !rep.head_sent)
		return reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "could not read the order");
	order_head(&rep);
	reply_end(&rep.out);
}

void reports_order_states(struct kitchen *k, const void *rid, size_t rid_len, uint64_t first, uint32_t n)
{
	struct store_order_state rows[PROTO_WAITS_MAX_ORDERS];
	struct proto_out out;
	size_t n_rows = 0, row = 0;
	int r;

	if (n > PROTO_WAITS_MAX_ORDERS)
		n = PROTO_WAITS_MAX_ORDERS;
	r = store_order_states(k->store, first, n, rows, &n_rows);
	if (r < 0) {
		log_fields(LOG_ERR, r, &(struct log_about) { .order = first }, "Failed to read orders %llu to %llu: %m",
			   (unsigned long long) first, (unsigned long long) (first + n - 1));
		return reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "could not read the orders");
	}
	reply_begin(k, &out, PROTO_OK, rid, rid_len);
	for (uint64_t id = first; id < first + n; id++) {
		const struct store_order_state *s = row < n_rows && rows[row].id == id ? &rows[row++] : NULL;
		const struct order *open = s && s->done == PROTO_STATE_QUEUED ? orders_get(k->orders, id) : NULL;

		proto_out_pack_begin(&out);
		proto_out_u64(&out, id);
		/* Open in the store: as kitchend holds it (queued when it does
		 * not, which only a retry being opened again can be). */
		proto_out_str(&out, !s ? "unknown" : s->done != PROTO_STATE_QUEUED ? proto_state_name(s->done) :
				    proto_state_name(open ? order_state(open) : PROTO_STATE_QUEUED));
		proto_out_u64(&out, s ? s->n_dishes : 0);
		proto_out_pack_end(&out);
	}
	reply_end(&out);
}

static void chef_group(struct proto_out *out, const char *name, const char *host, uint64_t pid,
		       unsigned stations, unsigned busy, const char *state, uint64_t served, bool local,
		       const char *skills)
{
	proto_out_str(out, name);
	proto_out_str(out, host);
	proto_out_u64(out, pid);
	proto_out_u64(out, stations);
	proto_out_u64(out, busy);
	proto_out_str(out, state);
	proto_out_u64(out, served);
	proto_out_u64(out, local);
	proto_out_str(out, skills);
}

/* A reply is one message of at most PROTO_MAX_FRAMES: list this many. */
#define CHEFS_LISTED_MAX ((PROTO_MAX_FRAMES - 4 - PROTO_STATUS_FIXED) / PROTO_CHEF_GROUP)

static void chef_groups(struct kitchen *k, struct proto_out *out)
{
	size_t listed = 0;

	for (struct chef *c = k->chefs.head; c && listed < CHEFS_LISTED_MAX; c = c->next, listed++) {
		char skills[256];
		chef_group(out, c->name, c->host, c->pid, c->stations, c->n_inflight + c->n_cancelled,
			   c->n_inflight + c->n_cancelled ? "cooking" : "ready", c->served, c->local,
			   skills_describe(&c->skills, skills, sizeof(skills)));
	}

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
			chef_group(out, s->name, "", (uint64_t) s->pid, config_chef_cooks(k->config), 0,
				   s->pid ? "starting" : "restarting", 0, true, "");
	}
}

struct waiting {
	const struct kitchen *k;
	char *text;
	size_t len, size;
};

static void waiting_line(const struct menu_item *item, size_t n, void *u)
{
	struct waiting *w = u;
	char line[PROTO_MAX_NAME + 64];
	int len = snprintf(line, sizeof(line), "%s%zu %u %s", w->len ? "\n" : "", n, dispatch_able(w->k, item),
			   item->name);

	if (len > 0 && buf_reserve(&w->text, &w->size, w->len + (size_t) len + 1) >= 0) {
		memcpy(w->text + w->len, line, (size_t) len + 1);
		w->len += (size_t) len;
	}
}

/* STATUS's waiting (proto.h). */
static void waiting_field(struct kitchen *k, struct proto_out *out)
{
	struct waiting w = { .k = k };

	orders_shelved(k->orders, waiting_line, &w);
	proto_out_mem(out, w.text ? w.text : "", w.len);
	free(w.text);
}

void reports_status(struct kitchen *k, const void *rid, size_t rid_len)
{
	struct orders_counts n;
	struct proto_out out;

	orders_counts(k->orders, &n);
	reply_begin(k, &out, PROTO_OK, rid, rid_len);
	proto_out_str(&out, KITCHEN_VERSION);
	proto_out_u64(&out, now_ms() - k->started_ms);
	proto_out_u64(&out, n.queued);
	proto_out_u64(&out, n.cooking);
	proto_out_u64(&out, n.served);
	proto_out_u64(&out, n.failed);
	proto_out_u64(&out, n.open);
	proto_out_u64(&out, k->malformed.count);
	proto_out_str(&out, store_full(k->store) ? PROTO_STORE_FULL : PROTO_STORE_OK);
	proto_out_u64(&out, n.cancelled);
	waiting_field(k, &out);
	proto_out_str(&out, k->config->endpoints[CONFIG_ENDPOINT_EVENTS]);
	chef_groups(k, &out);
	reply_end(&out);
}

void reports_chefs(struct kitchen *k, const void *rid, size_t rid_len)
{
	struct proto_out out;

	reply_begin(k, &out, PROTO_OK, rid, rid_len);
	chef_groups(k, &out);
	reply_end(&out);
}

void reports_menu(struct kitchen *k, const void *rid, size_t rid_len)
{
	struct proto_out out;

	reply_begin(k, &out, PROTO_OK, rid, rid_len);
	for (size_t i = 0; i < k->config->n_menu; i++) {
		const struct menu_item *it = menu_lookup(&k->menu, k->config->menu[i].name);
		proto_out_str(&out, k->config->menu[i].name);
		proto_out_str(&out, it ? it->ingredients : "");
	}
	reply_end(&out);
}

/* The chefs on the line, one per name and host (a chef that came back may
 * be on it twice until its old session is declared gone). */
static size_t metrics_chefs(struct kitchen *k, struct expo_chef *chefs)
{
	size_t n = 0, i;

	for (const struct chef *c = k->chefs.head; c; c = c->next) {
		for (i = 0; i < n; i++)
			if (strcmp(chefs[i].name, c->name) == 0 && strcmp(chefs[i].host, c->host) == 0)
				break;
		if (i == n) {
			if (n == EXPO_CHEFS_MAX)
				continue;
			chefs[n++] = (struct expo_chef) { .name = c->name, .host = c->host };
		}
		chefs[i].served += c->served;
		chefs[i].failed += c->failed;
	}
	return n;
}

void reports_metrics(struct kitchen *k, const void *rid, size_t rid_len)
{
	const struct metrics *m = &k->metrics;
	struct expo_chef chefs[EXPO_CHEFS_MAX];
	struct events_subscriptions subs;
	struct metrics_hist commits = { 0 };
	uint64_t v[_EXPO_VALUES] = { 0 };
	struct orders_counts n;
	struct proto_out out;
	size_t n_chefs;
	int r;

	orders_counts(k->orders, &n);
	events_subscriptions(k->events, &subs);
	v[EXPO_START_TIME_MS] = m->start_wall_ms;
	v[EXPO_ORDERS_ADMITTED] = m->admitted;
	v[EXPO_ORDERS_OPEN] = n.open;
	v[EXPO_DISHES_SERVED] = m->ended[PROTO_STATE_SERVED];
	v[EXPO_DISHES_FAILED] = m->ended[PROTO_STATE_FAILED];
	v[EXPO_DISHES_CANCELLED] = m->ended[PROTO_STATE_CANCELLED];
	v[EXPO_DISHES_QUEUED] = n.queued;
	v[EXPO_DISHES_COOKING] = n.cooking;
	v[EXPO_HANDED] = m->handed;
	for (unsigned i = 0; i < _METRICS_ATTEMPT_MAX; i++)
		v[EXPO_ATTEMPTS_SERVED + i] = m->attempts[i];
	v[EXPO_STALE_RESULTS] = k->n_stale;
	for (unsigned i = 0; i < EXPO_SOCKETS; i++)
		v[EXPO_MALFORMED_CONTROL + i] = k->malformed.by_socket[i];
	v[EXPO_WAITING_WAIT] = pending_waits(k->pending);
	v[EXPO_WAITING_ORDER] = subs.orders;
	v[EXPO_WAITING_ALL] = subs.all;
	v[EXPO_WAITING_CHEFS] = subs.chefs;
	v[EXPO_CHEFS] = k->chefs.len;
	r = store_size(k->store, &v[EXPO_STORE_BYTES]);
	if (r < 0)
		log_debug_errno(r, "Failed to read the order store's size, ignoring: %m");
	v[EXPO_STORE_FULL] = store_full(k->store);
	metrics_hist_values(&m->served, v + EXPO_SERVED_SECONDS);
	metrics_hist_values(&m->queue_wait, v + EXPO_QUEUE_WAIT_SECONDS);
	metrics_hist_values(&m->cooking, v + EXPO_COOKING_SECONDS);
	store_commit_times(k->store, &commits);
	metrics_hist_values(&commits, v + EXPO_COMMIT_SECONDS);
	n_chefs = metrics_chefs(k, chefs);

	reply_begin(k, &out, PROTO_OK, rid, rid_len);
	proto_out_u64(&out, _EXPO_VALUES);
	for (size_t i = 0; i < _EXPO_VALUES; i++)
		proto_out_u64(&out, v[i]);
	for (size_t i = 0; i < n_chefs; i++) {
		proto_out_str(&out, chefs[i].name);
		proto_out_str(&out, chefs[i].host);
		proto_out_u64(&out, chefs[i].served);
		proto_out_u64(&out, chefs[i].failed);
	}
	reply_end(&out);
}
