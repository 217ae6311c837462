/*
 * dispatch — chefs on the dispatch socket: who they are, what they hold,
 * whether they live, and handing them dishes against their credit.
 * See dispatch.h.
 */
#include "dispatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "kitchen.h"
#include "log.h"
#include "orders.h"
#include "peer_log.h"
#include "reader.h"
#include "util.h"

#define DISPATCH_READS_PER_TURN 1024
#define DISHES_PER_MESSAGE 100
_Static_assert(PROTO_MAX_ENVELOPE + 1 + DISHES_PER_MESSAGE * PROTO_DISH_GROUP <= PROTO_MAX_FIELDS,
	       "a chef reads a DISH message of DISHES_PER_MESSAGE dishes");
/* A local chef off the line this long while its process lives is killed
 * (at least; twice the time kitchend gives a silent chef, if longer). */
#define ABSENT_GRACE_MS 10000

static unsigned chef_ready(struct kitchen *k, const struct proto_msg *m);
static unsigned chef_heartbeat(struct kitchen *k, const struct proto_msg *m);

static const struct reader dispatch_reader = {
	.name = "dispatch",
	.n_env = 1,
	.budget = DISPATCH_READS_PER_TURN,
	.handlers = {
		[PROTO_HEARTBEAT] = chef_heartbeat,
		[PROTO_READY] = chef_ready,
	},
};

bool dispatch_read(struct kitchen *k)
{
	return reader_run(k, k->dispatch, &dispatch_reader);
}

/*
 * Whether a line about a chef joining or leaving may be written: a peer
 * that says READY in a loop must not flood the journal (CHEF_LOG_BURST
 * lines a second, then a count of what was not written).
 */
static bool chef_log(struct kitchen *k)
{
	uint64_t held;

	if (!log_ratelimit(&k->chef_log, now_ms(), &held))
		return false;
	if (held)
		log_notice("%llu lines about chefs joining and leaving were not logged",
			   (unsigned long long) held);
	return true;
}

static int by_id_desc(const void *a, const void *b)
{
	const struct dish *x = *(struct dish *const *) a, *y = *(struct dish *const *) b;

	return x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
}

/*
 * Who connected the chef that sent @m, in @buf: its key's name in the
 * allowlist (CURVE), else its address; on ipc, its user (libzmq's
 * "localhost:UID:GID:PID", the PID dropped: every chef process of a user
 * counts as one peer).
 */
static void peer_of(const struct proto_msg *m, char *buf, size_t size)
{
	const char *user = proto_msg_property(m, "User-Id");
	const char *addr = proto_msg_property(m, "Peer-Address");
	const char *pid;

	if (user && user[0])
		snprintf(buf, size, "key %s", user);
	else if (addr && strncmp(addr, "localhost:", 10) == 0 && (pid = strrchr(addr, ':')) > addr + 9)
		snprintf(buf, size, "local %.*s", (int) (pid - addr - 10), addr + 10);
	else
		snprintf(buf, size, "address %s", addr ? addr : "?");
}

/* The chefs of @peer on the line, counted in k->chef_peers; -1, 0 or +1. */
static unsigned peer_chefs(struct kitchen *k, const char *peer, int change)
{
	uint64_t key = fnv1a(FNV1A_SEED, peer, strlen(peer));
	struct peer_count { unsigned chefs; } *p;

	key = key ? key : 1;
	p = idmap_get(&k->chef_peers, key);
	if (!p && change > 0) {
		p = calloc(1, sizeof(*p));
		if (!p || idmap_put(&k->chef_peers, key, p) < 0) {
			free(p);
			return 0;
		}
	}
	if (!p)
		return 0;
	p->chefs += change;
	if (p->chefs == 0) {
		idmap_remove(&k->chef_peers, key);
		free(p);
		return 0;
	}
	return p->chefs;
}

/* @c is off the line: its dishes go back (oldest at the front), it is freed. */
static void chef_gone(struct kitchen *k, struct chef *c, const char *why, bool crashed)
{
	bool say = chef_log(k);
	char reason[256];

	snprintf(reason, sizeof(reason), "chef %s %s", c->name, why);
	if (say && c->n_inflight)
		log_fields(LOG_WARNING, 0, &(struct log_about) { .chef = c->name },
			   "Chef %s is gone (%s); %u %s back to the queue", c->name, why, c->n_inflight,
			   plural(c->n_inflight, "dish goes", "dishes go"));
	else if (say)
		log_fields(LOG_INFO, 0, &(struct log_about) { .chef = c->name }, "Chef %s left (%s)", c->name, why);

	/* Oldest first at the front: take back the newest first. */
	qsort(c->inflight, c->n_inflight, sizeof(*c->inflight), by_id_desc);
	for (unsigned i = 0; i < c->n_inflight; i++)
		orders_take_back(k->orders, c->inflight[i], c->name, reason,
				 crashed ? ORDERS_BACK_CRASHED : ORDERS_BACK_GONE);
	c->n_inflight = 0;

	if (c->local)
		pool_chef_left(&k->pool, c->name, (pid_t) c->pid, now_ms());
	(void) peer_chefs(k, c->peer, -1);
	events_chef(k->events, c->name, "gone", why);
	chef_list_remove(&k->chefs, c);
	chef_free(&c);
}

static unsigned chef_ready(struct kitchen *k, const struct proto_msg *m)
{
	char name[PROTO_MAX_NAME + 1], host[PROTO_MAX_NAME + 1], peer[CHEF_PEER_MAX + 1];
	uint64_t pid, stations, credit;
	const struct proto_field *rid = &m->env[0];
	struct chef *c;
	int r;

	if (proto_str(m, 0, name, sizeof(name)) < 0 || !name[0] || strchr(name, '\n') ||
	    proto_str(m, 1, host, sizeof(host)) < 0 || strchr(host, '\n') ||
	    proto_u64(m, 2, &pid) < 0 ||
	    proto_u64(m, 3, &stations) < 0 || stations == 0 || stations > CHEF_MAX_CREDIT ||
	    proto_u64(m, 4, &credit) < 0 || credit == 0 || credit > CHEF_MAX_CREDIT ||
	    rid->len == 0 || rid->len > CHEF_ID_MAX ||
	    !proto_text_valid(rid->data, rid->len, false)) {
		malformed_count(&k->malformed, "dispatch", "bad READY");
		return 1;
	}

	c = chef_list_find(&k->chefs, rid->data, rid->len);
	if (c)
		/* It started over: whatever it held is lost with its old life. */
		chef_gone(k, c, "announced itself again", false);
	if (k->chefs.len >= CHEF_MAX_COUNT) {
		if (chef_log(k))
			log_warning("Refusing chef %s from %s: already %zu chefs", name, host, k->chefs.len);
		return 1;
	}
	peer_of(m, peer, sizeof(peer));
	/* On ipc only kitchend's own user may connect (dispatch.sock is 0600). */
	if (strncmp(peer, "local ", 6) != 0 && peer_chefs(k, peer, 0) >= CHEF_MAX_PER_PEER) {
		char note[64];

		/* One line a peer a minute, whatever else is being said. */
		if (peer_log_may(fnv1a(FNV1A_SEED, peer, strlen(peer))))
			log_warning("Refusing chef %s from %s: %s has %d chefs already%s", name, host, peer,
				    CHEF_MAX_PER_PEER, peer_log_suppressed(note, sizeof(note)));
		return 1;
	}

	c = chef_new(rid->data, rid->len, (unsigned) credit);
	if (!c) {
		log_error("Failed to register chef %s: out of memory or random bytes", name);
		return 1;
	}
	r = skills_parse(&c->skills, m->fields[5].data, m->fields[5].len);
	if (r >= 0)
		r = skills_resolve(&c->skills, &k->menu);
	if (r < 0) {
		if (r == -EINVAL)
			malformed_count(&k->malformed, "dispatch", "bad READY");
		else
			log_error_errno(r, "Failed to register chef %s: %m", name);
		chef_free(&c);
		return 1;
	}
	memcpy(c->name, name, sizeof(name));
	memcpy(c->host, host, sizeof(host));
	memcpy(c->peer, peer, sizeof(peer));
	(void) peer_chefs(k, peer, +1);
	c->pid = pid;
	c->stations = (unsigned) stations;
	c->last_seen_ms = now_ms();
	for (size_t i = 0; i < k->pool.n_slots; i++)
		if (strcmp(k->pool.slots[i].name, name) == 0 && (uint64_t) k->pool.slots[i].pid == pid)
			c->local = true;
	chef_list_add(&k->chefs, c);
	if (c->local)
		pool_chef_joined(&k->pool, c->name, (pid_t) c->pid);

	if (chef_log(k)) {
		char skills[256];
		log_fields(LOG_INFO, 0, &(struct log_about) { .chef = c->name },
			   "Chef %s joined: %s, pid %llu, %u station%s; cooks %s", c->name, c->host[0] ? c->host : "?",
			   (unsigned long long) c->pid, c->stations, c->stations == 1 ? "" : "s",
			   skills_describe(&c->skills, skills, sizeof(skills)));
	}
	events_chef(k->events, c->name, "joined", c->host);
	return 1;
}

static unsigned chef_heartbeat(struct kitchen *k, const struct proto_msg *m)
{
	struct chef *c = chef_list_find(&k->chefs, m->env[0].data, m->env[0].len);

	if (c)
		c->last_seen_ms = now_ms();
	return 1;
}

void dispatch_local_exit(struct kitchen *k, const char *name, uint64_t pid, const char *why, bool crashed)
{
	for (struct chef *c = k->chefs.head; c; c = c->next)
		if (c->local && c->pid == pid && strcmp(c->name, name) == 0) {
			chef_gone(k, c, why, crashed);
			return;
		}
}

static void free_peer(void *value, void *u)
{
	free(value);
}

void dispatch_finish(struct kitchen *k)
{
	while (k->chefs.head) {
		struct chef *c = k->chefs.head;
		chef_list_remove(&k->chefs, c);
		chef_free(&c);
	}
	idmap_foreach(&k->chef_peers, free_peer, NULL);
	idmap_finish(&k->chef_peers);
}

void dispatch_heartbeat(struct kitchen *k, uint64_t now)
{
	uint64_t interval = k->config->heartbeat_interval_ms;
	uint64_t limit = interval * k->config->heartbeat_liveness;
	struct chef *c, *next;

	if (now < k->next_heartbeat_ms)
		return;
	k->next_heartbeat_ms = now + interval;

	for (c = k->chefs.head; c; c = next) {
		struct proto_out out;
		char why[96];
		int r;

		next = c->next;
		if (now - c->last_seen_ms > limit) {
			snprintf(why, sizeof(why), "silent for %llu ms",
				 (unsigned long long) (now - c->last_seen_ms));
			chef_gone(k, c, why, false);
			continue;
		}
		proto_out_begin(&out, k->dispatch, PROTO_HEARTBEAT);
		proto_out_env(&out, c->id, c->id_len);
		r = proto_out_end(&out, ZMQ_DONTWAIT);
		if (r == -EHOSTUNREACH)
			chef_gone(k, c, "disconnected", false);
	}
}

void dispatch_expire(struct kitchen *k, uint64_t now)
{
	uint64_t limit = k->config->dishes_timeout_ms;

	if (limit == 0 || now < k->next_expiry_ms)
		return;
	/* A twentieth of the limit late at most, and at least once a second. */
	k->next_expiry_ms = now + (limit / 20 < 1000 ? limit / 20 + 1 : 1000);

	for (struct chef *c = k->chefs.head; c; c = c->next)
		for (unsigned i = 0; i < c->n_inflight; i++) {
			struct dish *d = c->inflight[i];
			struct proto_out out;
			char reason[128];

			if (now - c->since_ms[i] < limit)
				continue;
			/* Tell the chef to drop it, then cook it anew elsewhere. */
			proto_out_begin(&out, k->dispatch, PROTO_CANCEL);
			proto_out_env(&out, c->id, c->id_len);
			proto_out_u64(&out, d->id);
			proto_out_u64(&out, d->attempts);
			(void) proto_out_end(&out, ZMQ_DONTWAIT);

			/* orders_take_back() says it, at warning. */
			snprintf(reason, sizeof(reason), "chef %s took longer than %llu ms", c->name,
				 (unsigned long long) limit);
			d = chef_cancel(c, d->id, d->attempts, now);
			orders_take_back(k->orders, d, c->name, reason, ORDERS_BACK_TIMED_OUT);
			i--;  /* the last one moved into slot i */
		}
}

/*
 * A local chef scaled away by a reload takes no new dish and is told to go
 * once it holds none, so that no dish spends an attempt on the scaling; one
 * still cooking after drain_timeout_ms is told to go anyway (its dishes then
 * go back to the queue, as for any chef that leaves).
 */
void dispatch_retire(struct kitchen *k, uint64_t now)
{
	bool waiting = false;

	if (!k->pool.retiring)
		return;
	for (size_t i = 0; i < k->pool.n_slots; i++) {
		struct pool_slot *s = &k->pool.slots[i];
		struct chef *c;

		if (!s->pid)
			continue;
		for (c = k->chefs.head; c; c = c->next)
			if (c->local && c->pid == (uint64_t) s->pid && strcmp(c->name, s->name) == 0)
				break;
		if (c)
			c->retiring = s->retired;
		if (!s->retired || s->told_to_go)
			continue;
		if (c && c->n_inflight > 0 && now < s->retired_ms + k->config->drain_timeout_ms) {
			waiting = true;
			continue;
		}
		pool_slot_stop(s);
	}
	k->pool.retiring = waiting;
}

static void absent_killed(const struct pool_slot *s, uint64_t absent_ms, void *u)
{
	log_fields(LOG_WARNING, 0, &(struct log_about) { .chef = s->name },
		   "%s (pid %d) has not been on the line for %llu ms although its process lives: "
		   "killing it, another one starts", s->name, (int) s->pid, (unsigned long long) absent_ms);
}

void dispatch_supervise(struct kitchen *k, uint64_t now)
{
	uint64_t grace = 2 * k->config->heartbeat_interval_ms * k->config->heartbeat_liveness;

	pool_kill_absent(&k->pool, now, grace > ABSENT_GRACE_MS ? grace : ABSENT_GRACE_MS, absent_killed, k);
}

#define CPU_ROUNDS_PER_US 1000  /* pipeline_digest_run, about a nanosecond a round */

/* How long a simulated dish of @n ingredients takes at timing @t, in µs. */
static uint64_t pipeline_us(const struct config_timing *t, uint64_t n)
{
	return (t->prep_ms + n * (t->cook_ms + t->season_ms)) * 1000 + n * t->cpu_work / CPU_ROUNDS_PER_US;
}

/* How long the longest dish on the menu takes at the current timing, in µs. */
static uint64_t longest_dish_us(const struct kitchen *k)
{
	uint64_t n = 1;

	for (size_t i = 0; i < k->config->n_menu; i++) {
		/* A program takes as long as it takes: no window. */
		if (k->config->menu[i].program)
			return UINT64_C(1000000);
		if (k->config->menu[i].n_ingredients > n)
			n = k->config->menu[i].n_ingredients;
	}
	return pipeline_us(&k->config->timing, n);
}

/* How long @d takes by its recipe, in whole ms; 0 when that is not known (a program). */
static uint32_t dish_ms(const struct kitchen *k, const struct dish *d)
{
	const struct config_dish *r = d->item->recipe;
	uint64_t ms = r && !r->program ? pipeline_us(&k->config->timing, r->n_ingredients) / 1000 : 0;

	return ms < UINT32_MAX ? (uint32_t) ms : UINT32_MAX;
}

/* orders_can_fn for chef @u. */
static bool can_cook(const struct menu_item *item, void *u)
{
	const struct chef *c = u;

	return skills_can(&c->skills, item);
}

/* What orders_next_for() needs for chef @c: nothing for one that cooks everything. */
static orders_can_fn can_fn(const struct chef *c)
{
	return c->skills.all ? NULL : can_cook;
}

bool dispatch_has_credit(const struct kitchen *k, uint64_t now)
{
	uint64_t dish_us = longest_dish_us(k);

	for (struct chef *c = k->chefs.head; c; c = c->next) {
		const struct dish *d;

		if (chef_usable_credit(c, dish_us, now, true) == 0)
			continue;
		d = orders_next_for(k->orders, can_fn(c), c, false);
		if (d && !(d->suspect && c->n_inflight > 0))
			return true;
	}
	return false;
}

uint64_t dispatch_next_lead(const struct kitchen *k, uint64_t now)
{
	uint64_t next = UINT64_MAX, dish_us = longest_dish_us(k);

	if (k->stopping || !orders_waiting(k->orders))
		return next;
	for (const struct chef *c = k->chefs.head; c; c = c->next) {
		uint64_t t = chef_next_lead(c, dish_us, now);
		if (t < next)
			next = t;
	}
	return next;
}

unsigned dispatch_able(const struct kitchen *k, const struct menu_item *item)
{
	unsigned n = 0;

	for (const struct chef *c = k->chefs.head; c; c = c->next)
		n += skills_can(&c->skills, item);
	return n;
}

const char *dispatch_why_waiting(const struct kitchen *k, const struct menu_item *item, char *buf, size_t size)
{
	unsigned able = dispatch_able(k, item);

	if (able == 0)
		snprintf(buf, size, "no chef can cook %s: 0 of %zu chef%s %s it", item->name, k->chefs.len,
			 k->chefs.len == 1 ? "" : "s", k->chefs.len == 1 ? "has" : "have");
	else
		snprintf(buf, size, "waits for a chef that can cook %s: %u of %zu chef%s can", item->name, able,
			 k->chefs.len, k->chefs.len == 1 ? "" : "s");
	return buf;
}

/* Send up to @max queued dishes to @c in one DISH message; how many went. */
static unsigned cook_on(struct kitchen *k, struct chef *c, unsigned max)
{
	const struct config_timing *t = &k->config->timing;
	struct dish *batch[DISHES_PER_MESSAGE];
	struct proto_out out;
	uint64_t now = now_ms();
	bool debug = log_get_max_priority() >= LOG_DEBUG;
	unsigned n = 0;
	int r;

	while (n < max) {
		struct dish *d = orders_next_for(k->orders, can_fn(c), c, true);
		if (!d)
			break;
		/* A suspect goes alone to a chef that holds nothing (see chef.h). */
		if (d->suspect && (n > 0 || c->n_inflight > 0))
			break;
		if (!d->item->recipe) {
			/* The menu changed under it: no retry can help. */
			orders_unservable(k->orders, d, "no longer on the menu");
			continue;
		}
		d = orders_hand(k->orders, d, c);
		chef_hold(c, d, now, dish_ms(k, d));  /* not stored: see store.h */
		if (debug)
			log_fields(LOG_DEBUG, 0, &dish_about(d, c->name),
				   "Order %llu dish %u (%s): attempt %u to chef %s", (unsigned long long) d->order->id,
				   dish_number(d), d->item->name, d->attempts, c->name);
		batch[n++] = d;
		if (d->suspect)
			break;
	}
	if (n == 0)
		return 0;

	_Static_assert(PROTO_DISH_FOLLOWED == 1, "the flags field below is \"1\" or \"0\"");
	/* The timing is the same for the whole batch: format it once. */
	char timing[4][24];
	int timing_len[4];
	const uint64_t timing_value[4] = { t->prep_ms, t->cook_ms, t->season_ms, t->cpu_work };
	for (unsigned f = 0; f < 4; f++)
		timing_len[f] = snprintf(timing[f], sizeof(timing[f]), "%llu", (unsigned long long) timing_value[f]);

	proto_out_begin(&out, k->dispatch, PROTO_DISH);
	proto_out_env(&out, c->id, c->id_len);
	proto_out_str(&out, c->token);
	for (unsigned i = 0; i < n; i++) {
		const struct dish *d = batch[i];

		proto_out_u64(&out, d->id);
		proto_out_u64(&out, d->attempts);
		proto_out_str(&out, orders_followed(k->orders, d->order) ? "1" : "0");  /* PROTO_DISH_FOLLOWED */
		proto_out_u64(&out, d->order->id);
		proto_out_u64(&out, d->index);
		proto_out_str(&out, d->item->name);
		proto_out_str(&out, d->item->ingredients);
		for (unsigned f = 0; f < 4; f++)
			proto_out_mem(&out, timing[f], (size_t) timing_len[f]);
		const struct dish_input *in = dish_input(d);
		proto_out_mem(&out, in ? in->data : "", in ? in->len : 0);
	}
	r = proto_out_end(&out, ZMQ_DONTWAIT);
	if (r < 0) {
		log_warning_errno(r, "Failed to hand %u %s to chef %s: %m", n, plural(n, "dish", "dishes"), c->name);
		chef_gone(k, c, r == -EHOSTUNREACH ? "disconnected" : "unreachable", false);
	}
	return n;
}

/* Fill chefs in turn as far as their credit goes, @lead included or not;
 * false when no chef is left. */
static bool fill(struct kitchen *k, uint64_t dish_us, uint64_t now, bool lead)
{
	size_t n_chefs = k->chefs.len;
	bool progress = true;

	/* Start one chef further each time, so short queues spread over the
	 * kitchen instead of piling on the first chef. */
	while (progress && orders_waiting(k->orders)) {
		struct chef *c = k->chefs.head;

		progress = false;
		for (size_t i = 0; i < k->dispatch_rotate % n_chefs && c; i++)
			c = c->next;
		for (size_t i = 0; i < n_chefs && orders_waiting(k->orders); i++) {
			struct chef *next;

			if (!c)
				c = k->chefs.head;
			next = c->next;
			unsigned credit = chef_usable_credit(c, dish_us, now, lead);
			if (credit > 0) {
				if (cook_on(k, c, credit < DISHES_PER_MESSAGE ? credit : DISHES_PER_MESSAGE) > 0)
					progress = true;
				/* cook_on may have buried c: the list is intact past it. */
				n_chefs = k->chefs.len;
				if (n_chefs == 0)
					return false;
			}
			c = next;
		}
		k->dispatch_rotate++;
	}
	return true;
}

void dispatch_cook(struct kitchen *k, uint64_t now)
{
	uint64_t dish_us = longest_dish_us(k);

	if (k->stopping || k->chefs.len == 0)
		return;
	/* Free stations first: a dish goes to wait behind a station that is
	 * about to free (the lead, chefs.h) only when none is free. */
	if (fill(k, dish_us, now, false))
		(void) fill(k, dish_us, now, true);
}

int dispatch_check(const struct kitchen *k)
{
	struct orders_counts counts;
	uint64_t held = 0;

	for (const struct chef *c = k->chefs.head; c; c = c->next) {
		held += c->n_inflight;
		for (unsigned i = 0; i < c->n_inflight; i++) {
			const struct dish *d = c->inflight[i];
			if (d->state != PROTO_STATE_COOKING || d->chef != c) {
				log_debug("dispatch_check: dish %llu at chef %s is %s, with chef %s",
					  (unsigned long long) d->id, c->name, proto_state_name(d->state),
					  d->chef ? d->chef->name : "none");
				return -EUCLEAN;
			}
		}
	}
	orders_counts(k->orders, &counts);
	if (held != counts.cooking) {
		log_debug("dispatch_check: chefs hold %llu dishes, %llu are cooking",
			  (unsigned long long) held, (unsigned long long) counts.cooking);
		return -EUCLEAN;
	}
	return 0;
}
