/*
 * `kitchenctl order`: place one order of the dishes given (each with the
 * --input, if any), or --random N one-dish orders of random menu dishes (N
 * customers), or one dish per line of --inputs FILE in orders of
 * PROTO_ORDER_MAX_DISHES; then print the ids, or wait for the dishes, or
 * follow them stage by stage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hint.h"
#include "inputs.h"
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

/*
 * ORDER flags key priority due_ms (dish input)... -> OK order_id n_dishes,
 * into @o: @n dishes @names[i] with @inputs[i]. An ERR (refused) is -EREMOTEIO.
 */
static int place(struct ctl *ctl, const struct proto_field *names, const struct proto_field *inputs, size_t n,
		 const char *key, struct order *o)
{
	_cleanup_free_ struct proto_field *fields = NULL;
	char priority[24], due[24];
	const struct proto_msg *m;
	uint64_t id, count;
	int r;

	fields = calloc(2 * n + ORDER_FIRST_DISH, sizeof(*fields));
	if (!fields)
		return ctl_error(-ENOMEM, "%m");
	snprintf(priority, sizeof(priority), "%llu", (unsigned long long) ctl->priority);
	snprintf(due, sizeof(due), "%llu", (unsigned long long) ctl->due_ms);
	fields[0] = ctl->order_mode == ORDER_FOLLOW ? (struct proto_field) { "follow", 6 } :
						      (struct proto_field) { "", 0 };
	fields[1] = (struct proto_field) { key ? key : "", key ? strlen(key) : 0 };
	fields[2] = (struct proto_field) { priority, strlen(priority) };
	fields[3] = (struct proto_field) { due, strlen(due) };
	for (size_t i = 0; i < n; i++) {
		fields[2 * i + ORDER_FIRST_DISH] = names[i];
		fields[2 * i + ORDER_FIRST_DISH + 1] = inputs[i];
	}
	r = ctl_request_fields(ctl, PROTO_ORDER, fields, 2 * n + ORDER_FIRST_DISH, 0, &m);
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
static int refusal(const struct ctl *ctl, const char *key, const struct proto_field *names,
		   const struct proto_field *inputs, size_t n)
{
	struct proto_order_ask ask = {
		.key = { key ? key : "", key ? strlen(key) : 0 },
		.priority = ctl->priority,
		.due_ms = ctl->due_ms,
		.now_ms = wall_ms(),
		.names = names,
		.inputs = inputs,
		/* kitchend's own dishes.max_input is its to say. */
		.max_input = PROTO_MAX_INPUT,
		.n = n,
	};
	char err[256];

	if (proto_order_refusal(&ask, err, sizeof(err)) < 0)
		return ctl_error(-EINVAL, "%s", err);
	return 0;
}

/* What one ORDER holds: names[i] and inputs[i], for n <= PROTO_ORDER_MAX_DISHES dishes. */
struct dishes {
	struct proto_field names[PROTO_ORDER_MAX_DISHES];
	struct proto_field inputs[PROTO_ORDER_MAX_DISHES];
	size_t n;
};

/*
 * The dishes of order @k (from 0) of the run: the command line's, each with
 * the --input (or none); --random's pick; or the next lines of --inputs,
 * each a dish of args[0]. Their first dish's number in the run in *ret_first.
 */
static void dishes_of(const struct ctl *ctl, char **args, size_t n_args, const struct inputs *in,
		      const char *pick, size_t k, struct dishes *d, size_t *ret_first)
{
	struct proto_field input = { ctl->input ? ctl->input : "", ctl->input ? strlen(ctl->input) : 0 };

	if (pick) {
		d->n = 1;
		d->names[0] = (struct proto_field) { pick, strlen(pick) };
		d->inputs[0] = input;
		*ret_first = k;
		return;
	}
	if (!ctl->inputs) {
		/* check_args() saw to it that they fit one order. */
		d->n = n_args;
		for (size_t i = 0; i < n_args; i++) {
			d->names[i] = (struct proto_field) { args[i], strlen(args[i]) };
			d->inputs[i] = input;
		}
		*ret_first = 0;
		return;
	}
	*ret_first = k * PROTO_ORDER_MAX_DISHES;
	d->n = in->n - *ret_first < PROTO_ORDER_MAX_DISHES ? in->n - *ret_first : PROTO_ORDER_MAX_DISHES;
	for (size_t i = 0; i < d->n; i++) {
		d->names[i] = (struct proto_field) { args[0], strlen(args[0]) };
		d->inputs[i] = inputs_get(in, *ret_first + i);
	}
}

static int check_args(struct ctl *ctl, char **args, size_t n_args)
{
	if (ctl->random && n_args > 0)
		return ctl_usage("order takes dishes or --random N, not both");
	if (!ctl->random && n_args == 0)
		return ctl_usage("order needs at least one dish (or --random N)");
	if (ctl->input && ctl->inputs)
		return ctl_usage("--input and --inputs exclude each other");
	if (ctl->random && (ctl->input || ctl->inputs))
		return ctl_usage("%s is for the dishes named, not for --random",
				 ctl->input ? "--input" : "--inputs");
	if (ctl->inputs && n_args != 1)
		return ctl_usage("--inputs takes one dish, cooked once per line: order DISH --inputs FILE");
	/* They are one order (kitchend's words: refusal()'s). */
	if (!ctl->random && n_args > PROTO_ORDER_MAX_DISHES)
		return ctl_error(-EINVAL, "an order holds at most %d dishes, not %zu", PROTO_ORDER_MAX_DISHES,
				 n_args);
	return 0;
}

/* --inputs FILE ("-": standard input), read whole before anything is sent. */
static int inputs_load(const struct ctl *ctl, struct inputs *in)
{
	bool std = strcmp(ctl->inputs, "-") == 0;
	const char *what = std ? "standard input" : ctl->inputs;
	int fd = std ? STDIN_FILENO : open(ctl->inputs, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r = fd < 0 ? -errno : 0;

	/* A file that cannot be read is exit status 1, not a usage error (2, -EINVAL). */
	if (r < 0)
		return ctl_error(r == -EINVAL ? -EIO : r, "cannot open --inputs '%s': %m", ctl->inputs);
	r = inputs_read(in, fd);
	if (!std)
		close(fd);
	if (r == -E2BIG)
		return ctl_error(-EINVAL, "line %zu of %s is over %d bytes: a dish's input is at most that; "
				 "nothing was ordered", in->bad_line, what, PROTO_MAX_INPUT);
	if (r < 0)
		return ctl_error(r == -EINVAL ? -EIO : r, "cannot read %s: %m", what);
	return 0;
}

/* The number of orders the run places. */
static size_t orders_of(const struct ctl *ctl, const struct inputs *in)
{
	if (ctl->random)
		return ctl->random;
	return ctl->inputs ? (in->n + PROTO_ORDER_MAX_DISHES - 1) / PROTO_ORDER_MAX_DISHES : 1;
}

/* refusal() of the first order, with the last order's key (the longest): the others are alike. */
static int refuse_first(const struct ctl *ctl, char **args, size_t n_args, const struct menu *menu,
			const struct inputs *in)
{
	_cleanup_free_ struct dishes *d = calloc(1, sizeof(*d));
	_cleanup_free_ char *key = NULL;
	size_t n_orders = orders_of(ctl, in), first;

	if (!d)
		return ctl_error(-ENOMEM, "%m");
	if (ctl->key && n_orders > 1 && asprintf(&key, "%s-%zu", ctl->key, n_orders) < 0)
		return ctl_error(-ENOMEM, "%m");
	dishes_of(ctl, args, n_args, in, menu ? menu->dishes[0].name : NULL, 0, d, &first);
	return refusal(ctl, key ? key : ctl->key, d->names, d->inputs, d->n);
}

/* Orders placed with --wait or --follow, said once: the ids come in one line. */
static void accepted(const struct order_batch *b, size_t dishes)
{
	if (b->n == 1)
		ctl_note("order %llu accepted", (unsigned long long) b->orders[0].id);
	else if (b->n > 1)
		ctl_note("%zu orders of %zu dishes accepted: %llu (the first) to %llu (the last)", b->n, dishes,
			 (unsigned long long) b->orders[0].id, (unsigned long long) b->orders[b->n - 1].id);
}

/* Place each order of the batch; stop at the first refusal (said, and *ret_refused). */
static int place_all(struct ctl *ctl, char **args, size_t n_args, const struct menu *menu,
		     const struct inputs *in, struct follow *f, struct order_batch *b, bool *ret_refused)
{
	size_t n_orders = orders_of(ctl, in);
	/* Plain text output is the ids alone: no need to ask for the names. */
	bool need_report = ctl->order_mode != ORDER_PLAIN || ctl->json;
	/* Many orders of one run: their ids said once, at the end (accepted()). */
	bool one_note = ctl->inputs != NULL;
	uint64_t seed = wall_ms() ^ ((uint64_t) getpid() << 32);
	_cleanup_free_ struct dishes *d = NULL;
	_cleanup_free_ char *key = NULL;
	size_t dishes = 0;
	int r = 0;

	b->orders = calloc(n_orders ? n_orders : 1, sizeof(*b->orders));
	d = calloc(1, sizeof(*d));
	if (!b->orders || !d)
		return ctl_error(-ENOMEM, "%m");
	b->inputs = in;
	/* With a key the whims come from it: a run repeated (after a time-out, say)
	 * picks the same dishes, so kitchend answers with the same orders instead
	 * of refusing keys reused with other dishes. */
	if (ctl->key) {
		seed = 14695981039346656037ull;  /* FNV-1a */
		for (const unsigned char *p = (const unsigned char *) ctl->key; *p; p++)
			seed = (seed ^ *p) * 1099511628211ull;
	}
	if (ctl->random) {
		r = refuse_first(ctl, args, n_args, menu, in);
		if (r < 0)
			return r;
	}

	for (size_t k = 0; k < n_orders; k++) {
		struct order *o = &b->orders[k];
		const char *pick;

		freep(&key);
		/* Each order its own key, so a retried run repeats none. */
		if (ctl->key && n_orders > 1 && asprintf(&key, "%s-%zu", ctl->key, k + 1) < 0)
			return ctl_error(-ENOMEM, "%m");
		pick = ctl->random ? menu->dishes[random_next(&seed) % menu->n].name : NULL;
		dishes_of(ctl, args, n_args, in, pick, k, d, &o->first);

		r = place(ctl, d->names, d->inputs, d->n, key ? key : ctl->key, o);
		if (r == -EREMOTEIO) {
			hint_dish(ctl, d->names, d->n);
			if (ctl->inputs)
				ctl_note("the order refused held the dishes of lines %zu to %zu; %s",
					 in->items[o->first].line, in->items[o->first + d->n - 1].line,
					 b->n ? "the orders before it were accepted" : "nothing was ordered");
			*ret_refused = true;
			break;
		}
		if (r < 0)
			break;
		b->n++;
		dishes += d->n;
		/* Known before anything else can go wrong: a wait cut short can say what to wait for. */
		if (ctl->order_mode != ORDER_PLAIN && !one_note)
			ctl_note("order %llu accepted", (unsigned long long) o->id);

		if (f) {
			r = follow_add(f, o->id);
			if (r < 0) {
				ctl_error(r, "failed to subscribe to order %llu's events: %m",
					  (unsigned long long) o->id);
				break;
			}
		}
		if (!need_report) {
			printf("%llu\n", (unsigned long long) o->id);
			fflush(stdout);
			continue;
		}
		r = order_refresh(ctl, o, 0);
		if (r < 0)
			break;
		if (ctl->order_mode == ORDER_FOLLOW ||
		    (ctl->order_mode == ORDER_WAIT && !ctl->json && !ctl->output))
			announce(ctl, o);
	}
	if (ctl->order_mode != ORDER_PLAIN && one_note)
		accepted(b, dishes);
	return *ret_refused ? 0 : r;
}

int verb_order(struct ctl *ctl, char **args, size_t n_args)
{
	struct order_batch b = { 0 };
	struct inputs in;
	struct menu *menu = NULL;
	struct follow *f = NULL;
	bool refused = false;
	int r;

	inputs_init(&in, PROTO_MAX_INPUT);
	r = check_args(ctl, args, n_args);
	if (r < 0)
		return r;
	if (ctl->inputs) {
		r = inputs_load(ctl, &in);
		if (r < 0)
			goto out;
		if (in.n == 0) {
			ctl_note("no input in %s (empty lines are skipped): nothing ordered",
				 strcmp(ctl->inputs, "-") == 0 ? "standard input" : ctl->inputs);
			if (ctl->json)
				puts("[]");
			goto out;
		}
	}
	/* Refused before connecting, in kitchend's words; --random's once the menu is known. */
	if (!ctl->random) {
		r = refuse_first(ctl, args, n_args, NULL, &in);
		if (r < 0)
			goto out;
	}
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
	r = place_all(ctl, args, n_args, menu, ctl->inputs ? &in : NULL, f, &b, &refused);
	if (r >= 0 && b.n > 0)
		switch (ctl->order_mode) {
		case ORDER_PLAIN:
			if (ctl->json)
				placed_json(&b, ctl->random > 0 || ctl->inputs != NULL);
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
	inputs_clear(&in);
	return r;
}
