/*
 * `kitchenctl order`: place one order of the dishes given, or --random N
 * one-dish orders of random menu dishes (N customers), then print the ids,
 * or wait for the dishes, or follow them stage by stage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "order.h"
#include "term.h"
#include "util.h"
#include "verbs.h"

/* splitmix64, seeded from the time and the pid: N customers, each a whim. */
static uint64_t random_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int menu_fetch(struct ctl *ctl, struct menu **ret)
{
	const struct proto_msg *m;
	int r;

	r = ctl_request(ctl, PROTO_MENU, NULL, 0, 0, &m);
	if (r < 0)
		return r;
	r = menu_decode(m, ret);
	if (r < 0)
		return ctl_bad_reply(r, PROTO_MENU);
	if ((*ret)->n == 0) {
		menu_free(ret);
		return ctl_error(-ENOENT, "the menu is empty: nothing to order at random");
	}
	return 0;
}

/* ORDER's fields before the dishes: flags key priority due_ms. */
#define ORDER_FIRST_DISH 4

/* ORDER flags key priority due_ms (dish input)... -> OK order_id n_dishes, into @o. An ERR (refused) is -EREMOTEIO. */
static int place(struct ctl *ctl, char **dishes, size_t n, const char *key, struct order *o)
{
	_cleanup_free_ const char **args = NULL;
	char priority[24], due[24];
	const struct proto_msg *m;
	uint64_t id, count;
	int r;

	args = calloc(2 * n + ORDER_FIRST_DISH, sizeof(*args));
	if (!args)
		return ctl_error(-ENOMEM, "%m");
	snprintf(priority, sizeof(priority), "%llu", (unsigned long long) ctl->priority);
	snprintf(due, sizeof(due), "%llu", (unsigned long long) ctl->due_ms);
	args[0] = ctl->order_mode == ORDER_FOLLOW ? "follow" : "";
	args[1] = key ? key : "";
	args[2] = priority;
	args[3] = due;
	for (size_t i = 0; i < n; i++) {
		args[2 * i + ORDER_FIRST_DISH] = dishes[i];
		args[2 * i + ORDER_FIRST_DISH + 1] = "";
	}
	r = ctl_request(ctl, PROTO_ORDER, args, 2 * n + ORDER_FIRST_DISH, 0, &m);
	if (r < 0)
		return r;
	if (m->n_fields != 2 || proto_u64(m, 0, &id) < 0 || proto_u64(m, 1, &count) < 0)
		return ctl_bad_reply(-EBADMSG, PROTO_ORDER);
	/* A known key returns its order, whatever this request held. */
	if (count != n && key && *key)
		return ctl_error(-EEXIST, "the key '%s' already names order %llu, of %llu dish%s, not %zu",
				 key, (unsigned long long) id, (unsigned long long) count,
				 count == 1 ? "" : "es", n);
	if (count != n)
		return ctl_bad_reply(-EBADMSG, PROTO_ORDER);
	o->id = id;
	o->n_dishes = n;
	return 0;
}

/* "I- Ordered <dish>" per dish, or the "ordered" event of --follow --json. */
static void announce(struct ctl *ctl, const struct order *o)
{
	const struct order_report *r = o->report;
	struct json j;

	if (ctl->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_key_string(&j, "event", "ordered");
		json_key_u64(&j, "order", o->id);
		json_key(&j, "dishes");
		json_array_begin(&j);
		for (size_t i = 0; i < r->n_dishes; i++)
			json_string(&j, r->dishes[i].name);
		json_array_end(&j);
		json_object_end(&j);
		json_newline(&j);
	} else
		for (size_t i = 0; i < r->n_dishes; i++)
			term_printf(stdout, "I- Ordered %s\n", r->dishes[i].name);
	fflush(stdout);
}

/* The plain --json output: {"order": 42, "dishes": ["Pizza"]}, or an array of them. */
static void placed_json(const struct order_batch *b, bool array)
{
	struct json j;

	json_init(&j, stdout);
	if (array)
		json_array_begin(&j);
	for (size_t i = 0; i < b->n; i++) {
		const struct order_report *r = b->orders[i].report;

		json_object_begin(&j);
		json_key_u64(&j, "order", b->orders[i].id);
		json_key(&j, "dishes");
		json_array_begin(&j);
		for (size_t k = 0; k < r->n_dishes; k++)
			json_string(&j, r->dishes[k].name);
		json_array_end(&j);
		json_object_end(&j);
	}
	if (array)
		json_array_end(&j);
	json_newline(&j);
}

/* What kitchend would refuse as a bad request, refused before it is sent, in kitchend's words. */
static int refusal(const struct ctl *ctl, const char *key, char *const *dishes, size_t n)
{
	_cleanup_free_ struct proto_field *names = calloc(n ? n : 1, sizeof(*names));
	struct proto_order_ask ask = {
		.key = { key ? key : "", key ? strlen(key) : 0 },
		.priority = ctl->priority,
		.due_ms = ctl->due_ms,
		.now_ms = wall_ms(),
		.names = names,
		.n = n,
	};
	char err[256];

	if (!names)
		return ctl_error(-ENOMEM, "%m");
	for (size_t i = 0; i < n; i++)
		names[i] = (struct proto_field) { dishes[i], strlen(dishes[i]) };
	if (proto_order_refusal(&ask, err, sizeof(err)) < 0)
		return ctl_error(-EINVAL, "%s", err);
	return 0;
}

static int check_args(struct ctl *ctl, char **args, size_t n_args)
{
	if (ctl->random && n_args > 0)
		return ctl_usage("order takes dishes or --random N, not both");
	if (!ctl->random && n_args == 0)
		return ctl_usage("order needs at least one dish (or --random N)");
	/* --random: the keys and dishes are known once the menu is. */
	return ctl->random ? 0 : refusal(ctl, ctl->key, args, n_args);
}

/* Place each order of the batch; stop at the first refusal (said, and *ret_refused). */
static int place_all(struct ctl *ctl, char **args, size_t n_args, const struct menu *menu,
		     struct follow *f, struct order_batch *b, bool *ret_refused)
{
	size_t n_orders = ctl->random ? ctl->random : 1;
	/* Plain text output is the ids alone: no need to ask for the names. */
	bool need_report = ctl->order_mode != ORDER_PLAIN || ctl->json;
	uint64_t seed = wall_ms() ^ ((uint64_t) getpid() << 32);
	_cleanup_free_ char *key = NULL;
	int r;

	b->orders = calloc(n_orders, sizeof(*b->orders));
	if (!b->orders)
		return ctl_error(-ENOMEM, "%m");
	/* With a key the whims come from it: a run repeated (after a time-out, say)
	 * picks the same dishes, so kitchend answers with the same orders instead
	 * of refusing keys reused with other dishes. */
	if (ctl->key) {
		seed = 14695981039346656037ull;  /* FNV-1a */
		for (const unsigned char *p = (const unsigned char *) ctl->key; *p; p++)
			seed = (seed ^ *p) * 1099511628211ull;
	}
	/* The last customer's key is the longest: refuse it before the first order. */
	if (ctl->key && ctl->random) {
		if (asprintf(&key, "%s-%zu", ctl->key, n_orders) < 0)
			return ctl_error(-ENOMEM, "%m");
		r = refusal(ctl, key, &menu->dishes[0].name, 1);
		if (r < 0)
			return r;
	}

	for (size_t k = 0; k < n_orders; k++) {
		struct order *o = &b->orders[k];
		char *pick = NULL;

		freep(&key);
		/* Each customer's order its own key, so a retried run repeats none. */
		if (ctl->key && ctl->random && asprintf(&key, "%s-%zu", ctl->key, k + 1) < 0)
			return ctl_error(-ENOMEM, "%m");
		if (ctl->random)
			pick = menu->dishes[random_next(&seed) % menu->n].name;

		r = place(ctl, ctl->random ? &pick : args, ctl->random ? 1 : n_args,
			  key ? key : ctl->key, o);
		if (r == -EREMOTEIO) {
			*ret_refused = true;
			return 0;
		}
		if (r < 0)
			return r;
		b->n++;
		/* Known before anything else can go wrong: a wait cut short can say what to wait for. */
		if (ctl->order_mode != ORDER_PLAIN)
			ctl_note("order %llu accepted", (unsigned long long) o->id);

		if (f) {
			r = follow_add(f, o->id);
			if (r < 0)
				return ctl_error(r, "failed to subscribe to order %llu's events: %m",
						 (unsigned long long) o->id);
		}
		if (!need_report) {
			printf("%llu\n", (unsigned long long) o->id);
			fflush(stdout);
			continue;
		}
		r = order_refresh(ctl, o, 0);
		if (r < 0)
			return r;
		if (ctl->order_mode == ORDER_FOLLOW || (ctl->order_mode == ORDER_WAIT && !ctl->json))
			announce(ctl, o);
	}
	return 0;
}

int verb_order(struct ctl *ctl, char **args, size_t n_args)
{
	struct order_batch b = { 0 };
	struct menu *menu = NULL;
	struct follow *f = NULL;
	bool refused = false;
	int r;

	r = check_args(ctl, args, n_args);
	if (r < 0)
		return r;
	if (ctl->random) {
		r = menu_fetch(ctl, &menu);
		if (r < 0)
			goto out;
	}
	/* Connected before ordering, so the subscription goes out as soon as the id
	 * is known; control first, so a missing daemon is reported as such. */
	if (ctl->order_mode == ORDER_FOLLOW) {
		r = ctl_connect(ctl);
		if (r >= 0)
			r = ctl_follow(ctl, &f);
		if (r < 0)
			goto out;
	}

	/* Refused (full, closing, unknown dish): see the ones taken through. */
	r = place_all(ctl, args, n_args, menu, f, &b, &refused);
	if (r >= 0 && b.n > 0)
		switch (ctl->order_mode) {
		case ORDER_PLAIN:
			if (ctl->json)
				placed_json(&b, ctl->random > 0);
			break;
		case ORDER_WAIT:
			r = order_wait(ctl, &b);
			break;
		case ORDER_FOLLOW:
			r = order_follow(ctl, f, &b);
			break;
		}
	if (ctl->order_mode != ORDER_PLAIN)
		r = order_batch_end(ctl, &b, r, ctl->order_mode == ORDER_FOLLOW ? "follow" : "wait");

out:
	if (r >= 0 && refused)
		r = -EREMOTEIO;
	follow_free(&f);
	menu_free(&menu);
	order_batch_clear(&b);
	return r;
}
