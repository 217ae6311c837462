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

#include "bar.h"
#include "hint.h"
#include "inputs.h"
#include "order.h"
#include "order_window.h"
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

/* Orders in flight at once (order_window.h), and the bytes of their inputs at most. */
#define PLACE_WINDOW 64
#define PLACE_BYTES (64ull << 20)
/* --random without --key goes in ORDERS requests (intake.h in kitchend) of
 * this many one-dish orders at most, this many requests in flight: one
 * message and one reply for hundreds of orders, where ORDER costs a round
 * trip each. */
#define ORDERS_DISHES 256
#define ORDERS_WINDOW 16
_Static_assert(ORDERS_DISHES <= PROTO_ORDERS_MAX_DISHES, "an ORDERS kitchend takes");

/* ORDER flags key priority due_ms (dish input)...: @n dishes @names[i] with @inputs[i],
 * into @fields (2 * n + ORDER_FIRST_DISH); @priority and @due hold the numbers. */
static size_t order_fields(const struct ctl *ctl, const struct proto_field *names,
			   const struct proto_field *inputs, size_t n, const char *key, char priority[24],
			   char due[24], struct proto_field *fields)
{
	snprintf(priority, 24, "%llu", (unsigned long long) ctl->priority);
	snprintf(due, 24, "%llu", (unsigned long long) ctl->due_ms);
	fields[0] = ctl->order_mode == ORDER_FOLLOW ? (struct proto_field) { "follow", 6 } :
						      (struct proto_field) { "", 0 };
	fields[1] = (struct proto_field) { key ? key : "", key ? strlen(key) : 0 };
	fields[2] = (struct proto_field) { priority, strlen(priority) };
	fields[3] = (struct proto_field) { due, strlen(due) };
	for (size_t i = 0; i < n; i++) {
		fields[2 * i + ORDER_FIRST_DISH] = names[i];
		fields[2 * i + ORDER_FIRST_DISH + 1] = inputs[i];
	}
	return 2 * n + ORDER_FIRST_DISH;
}

/* ORDER's OK, order_id n_dishes, for an order of @n dishes with @key: into @o. Said. */
static int placed(const struct proto_msg *m, size_t n, const char *key, struct order *o)
{
	uint64_t id, count;

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

/* The plain --json output: {"orders": [{"order": 42, "dishes": ["Pizza"]}, ...]}. */
static void placed_json(const struct order_batch *b)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_key(&j, "orders");
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
	json_array_end(&j);
	json_object_end(&j);
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
	uint64_t lo = UINT64_MAX, hi = 0;

	for (size_t k = 0; k < b->n; k++) {
		lo = b->orders[k].id < lo ? b->orders[k].id : lo;
		hi = b->orders[k].id > hi ? b->orders[k].id : hi;
	}
	if (b->n == 1)
		ctl_note("order %llu accepted", (unsigned long long) b->orders[0].id);
	else if (b->n > 1)
		/* Other clients' orders may have come in between. */
		ctl_note("%zu orders of %zu %s accepted: ids %llu to %llu%s", b->n, dishes,
			 plural(dishes, "dish", "dishes"), (unsigned long long) lo, (unsigned long long) hi,
			 hi - lo + 1 == b->n ? "" : ", other clients' orders among them");
}

/* More orders than this with --random (and any with --inputs): one note for all. */
#define ONE_NOTE_RANDOM 10

/* Where each order of the run is. */
enum stage {
	STAGE_UNSENT,
	STAGE_SENT,       /* ORDER in flight */
	STAGE_SHOWING,    /* accepted; its SHOW in flight */
	STAGE_READY,      /* accepted (and its report in), to be told in turn */
	STAGE_TOLD,
	STAGE_UNKNOWN,    /* refused, or no answer */
};

/* Placing a run's orders, a window of them at a time. */
struct placing {
	struct ctl *ctl;
	char **args;
	size_t n_args;
	const struct menu *menu;
	const struct inputs *in;
	struct follow *f;
	struct order_batch *b;
	size_t n_orders;
	bool need_report;     /* SHOW each: the menu's spelling of the dishes */
	bool one_note;        /* the ids said once, at the end (accepted()) */
	uint64_t seed;
	enum stage *stage;    /* per order of the run */
	bool batch;           /* ORDERS, not ORDER (no --key; several orders) */
	size_t *slot_order;   /* per slot: the (first) order it carries */
	size_t *slot_count;   /* per slot: the orders it carries */
	uint64_t *slot_bytes; /* per slot: the bytes of its ORDER */
	uint64_t bytes;       /* of the ORDERs in flight */
	size_t next;          /* the next order to send */
	size_t told;          /* the orders before it are told */
	size_t dishes_placed;
	size_t dishes_total;
	size_t refused;       /* orders refused */
	size_t first_refused; /* the first refusal heard of; n_orders: none */
	size_t refused_first_dish, refused_dishes;  /* its dishes */
	bool unknown_dish;    /* it was refused for a dish not on the menu */
	size_t accepted_before;  /* orders accepted before it */
	size_t unanswered;    /* ORDERs sent that got no answer */
	int error;            /* the first failure that is not a refusal */
};

/* Order @k's own key (NULL: --key's, or none). Said. */
static int order_key(const struct placing *p, size_t k, char **ret)
{
	/* Each order its own key, so a retried run repeats none. */
	*ret = NULL;
	if (p->ctl->key && p->n_orders > 1 && asprintf(ret, "%s-%zu", p->ctl->key, k + 1) < 0)
		return ctl_error(-ENOMEM, "%m");
	return 0;
}

/* Say order @k is accepted, in turn: its id, or the note and its I- lines. */
static void tell(struct placing *p, size_t k)
{
	struct ctl *ctl = p->ctl;
	struct order *o = &p->b->orders[k];

	p->stage[k] = STAGE_TOLD;
	bar_clear(&p->b->bar);
	if (ctl->order_mode != ORDER_PLAIN && !p->one_note)
		ctl_note("order %llu accepted", (unsigned long long) o->id);
	if (!p->need_report) {
		printf("%llu\n", (unsigned long long) o->id);
		fflush(stdout);
	} else if (o->report && (ctl->order_mode == ORDER_FOLLOW ||
				 (ctl->order_mode == ORDER_WAIT && !ctl->json && !ctl->output)))
		announce(ctl, o);
}

/* Send order p->next on @slot. Said. */
static int send_order(struct placing *p, struct order_window *w, size_t slot)
{
	static struct proto_field fields[2 * PROTO_ORDER_MAX_DISHES + ORDER_FIRST_DISH];
	_cleanup_free_ struct dishes *d = calloc(1, sizeof(*d));
	_cleanup_free_ char *key = NULL;
	struct ctl *ctl = p->ctl;
	size_t k = p->next, n;
	char priority[24], due[24];
	const char *pick;
	uint64_t bytes = 0;
	int r;

	if (!d)
		return ctl_error(-ENOMEM, "%m");
	r = order_key(p, k, &key);
	if (r < 0)
		return r;
	pick = ctl->random ? p->menu->dishes[random_next(&p->seed) % p->menu->n].name : NULL;
	dishes_of(ctl, p->args, p->n_args, p->in, pick, k, d, &p->b->orders[k].first);
	n = order_fields(ctl, d->names, d->inputs, d->n, key ? key : ctl->key, priority, due, fields);
	for (size_t i = 0; i < n; i++)
		bytes += fields[i].len;
	r = order_window_send(w, slot, PROTO_ORDER, fields, n, 0);
	if (r < 0)
		return ctl_call_failed(ctl, w->slots[slot], PROTO_ORDER, r);
	p->b->orders[k].n_dishes = d->n;
	p->stage[k] = STAGE_SENT;
	p->slot_order[slot] = k;
	p->slot_bytes[slot] = bytes;
	p->bytes += bytes;
	p->next++;
	return 0;
}

/* Send the next orders of the run (--random's, one dish each) in one
 * ORDERS on @slot, and give each its report as placed (when the run needs
 * them). Said. */
static int send_orders(struct placing *p, struct order_window *w, size_t slot)
{
	static struct proto_field fields[PROTO_ORDERS_FIXED + PROTO_ORDERS_GROUP * ORDERS_DISHES];
	static char numbers[ORDERS_DISHES][24];
	_cleanup_free_ struct dishes *d = calloc(1, sizeof(*d));
	struct ctl *ctl = p->ctl;
	size_t n = PROTO_ORDERS_FIXED, dishes = 0, count = 0, k0 = p->next;
	char priority[24], due[24];
	uint64_t bytes = 0;
	int r;

	if (!d)
		return ctl_error(-ENOMEM, "%m");
	snprintf(priority, sizeof(priority), "%llu", (unsigned long long) ctl->priority);
	snprintf(due, sizeof(due), "%llu", (unsigned long long) ctl->due_ms);
	fields[0] = ctl->order_mode == ORDER_FOLLOW ? (struct proto_field) { "follow", 6 } :
						      (struct proto_field) { "", 0 };
	fields[1] = (struct proto_field) { priority, strlen(priority) };
	fields[2] = (struct proto_field) { due, strlen(due) };
	while (p->next < p->n_orders && dishes < ORDERS_DISHES) {
		size_t k = p->next;
		struct order *o = &p->b->orders[k];
		const char *pick = ctl->random ? p->menu->dishes[random_next(&p->seed) % p->menu->n].name : NULL;

		dishes_of(ctl, p->args, p->n_args, p->in, pick, k, d, &o->first);
		snprintf(numbers[count], sizeof(numbers[count]), "%zu", count);
		for (size_t i = 0; i < d->n; i++) {
			fields[n++] = (struct proto_field) { numbers[count], strlen(numbers[count]) };
			fields[n++] = d->names[i];
			fields[n++] = d->inputs[i];
			bytes += d->names[i].len + d->inputs[i].len;
		}
		if (p->need_report) {
			/* --random's names are the menu's own. */
			r = order_report_placed(d->names, d->n, ctl->priority, ctl->due_ms, &o->report);
			if (r < 0)
				return ctl_error(r, "%m");
			o->told = calloc(d->n, sizeof(*o->told));
			if (!o->told)
				return ctl_error(-ENOMEM, "%m");
		}
		o->n_dishes = d->n;
		p->stage[k] = STAGE_SENT;
		dishes += d->n;
		count++;
		p->next++;
	}
	r = order_window_send(w, slot, PROTO_ORDERS, fields, n, 0);
	if (r < 0)
		return ctl_call_failed(ctl, w->slots[slot], PROTO_ORDERS, r);
	p->slot_order[slot] = k0;
	p->slot_count[slot] = count;
	p->slot_bytes[slot] = bytes;
	p->bytes += bytes;
	return 0;
}

/* ORDERS's OK, first_order_id orders dishes, for the orders of @slot. Said. */
static void placed_orders(struct placing *p, struct order_window *w, size_t slot)
{
	const struct proto_msg *m = w->slots[slot]->reply;
	size_t k0 = p->slot_order[slot], count = p->slot_count[slot];
	uint64_t first, orders, dishes, expect = 0;
	int r = 0, sub = 0;

	for (size_t k = k0; k < k0 + count; k++)
		expect += p->b->orders[k].n_dishes;
	if (m->n_fields != 3 || proto_u64(m, 0, &first) < 0 || proto_u64(m, 1, &orders) < 0 ||
	    proto_u64(m, 2, &dishes) < 0 || orders == 0 || orders > count || (orders == count && dishes != expect))
		r = ctl_bad_reply(-EBADMSG, PROTO_ORDERS);
	for (size_t i = 0; i < count; i++) {
		struct order *o = &p->b->orders[k0 + i];

		if (r < 0 || i >= orders) {
			p->stage[k0 + i] = STAGE_UNKNOWN;
			continue;
		}
		o->id = first + i;
		if (o->report)
			o->report->id = o->id;
		p->dishes_placed += o->n_dishes;
		p->stage[k0 + i] = STAGE_READY;
		/* Accepted all the same: a subscription that failed is said once. */
		if (p->f && sub >= 0) {
			sub = follow_add(p->f, o->id);
			if (sub < 0)
				sub = ctl_error(sub, "failed to subscribe to order %llu's events: %m",
						(unsigned long long) o->id);
		}
	}
	if (r >= 0 && orders < count)
		r = ctl_error(-EIO, "kitchend stored %llu of %zu orders sent at once (its log says why): "
			      "the others were not accepted", (unsigned long long) orders, count);
	if (r >= 0)
		r = sub;
	if (r < 0 && p->error == 0)
		p->error = r;
}

/* A refusal of order @k: the first one is said (ctl_call_failed() said kitchend's words). */
static void refused(struct placing *p, size_t k)
{
	const struct order *o = &p->b->orders[k];

	p->stage[k] = STAGE_UNKNOWN;
	p->refused++;
	if (p->first_refused < p->n_orders)
		return;
	p->first_refused = k;
	p->refused_first_dish = o->first;
	p->refused_dishes = o->n_dishes;
}

/* Slot @slot's request @cmd was refused: the first refusal of the run is
 * said in kitchend's words, and whether it named an unknown dish kept. */
static void first_refusal(struct placing *p, struct order_window *w, size_t slot, enum proto_cmd cmd)
{
	if (p->refused > 0)
		return;
	ctl_call_failed(p->ctl, w->slots[slot], cmd, -EREMOTEIO);
	p->unknown_dish = w->slots[slot]->err_code &&
			  strcmp(w->slots[slot]->err_code, PROTO_ERR_UNKNOWN_DISH) == 0;
}

/* Slot @slot, carrying an ORDERS, answered @r: what it means for its orders. Failures said. */
static void answered_orders(struct placing *p, struct order_window *w, size_t slot, int r)
{
	size_t k0 = p->slot_order[slot], count = p->slot_count[slot];

	if (r == -EREMOTEIO) {
		first_refusal(p, w, slot, PROTO_ORDERS);
		for (size_t k = k0; k < k0 + count; k++)
			refused(p, k);
	} else if (r < 0) {
		for (size_t k = k0; k < k0 + count; k++)
			p->stage[k] = STAGE_UNKNOWN;
		p->unanswered += count;
		if (p->error == 0)
			p->error = ctl_call_failed(p->ctl, w->slots[slot], PROTO_ORDERS, r);
	} else
		placed_orders(p, w, slot);
}

/* Slot @slot answered @r: what it means for its order. Failures said. */
static void answered(struct placing *p, struct order_window *w, size_t slot, int r)
{
	struct ctl *ctl = p->ctl;
	size_t k = p->slot_order[slot];
	struct order *o = &p->b->orders[k];
	bool showing = p->stage[k] == STAGE_SHOWING;
	enum proto_cmd cmd = showing ? PROTO_SHOW : PROTO_ORDER;
	_cleanup_free_ char *key = NULL;
	char id[24];

	if (!showing)
		p->bytes -= p->slot_bytes[slot];
	if (p->batch) {
		answered_orders(p, w, slot, r);
		return;
	}
	if (r == -EREMOTEIO && !showing) {
		first_refusal(p, w, slot, cmd);
		refused(p, k);
		return;
	}
	if (r < 0) {
		p->stage[k] = showing ? STAGE_READY : STAGE_UNKNOWN;
		p->unanswered += !showing;
		if (p->error == 0)
			p->error = ctl_call_failed(ctl, w->slots[slot], cmd, r);
		return;
	}
	if (showing) {
		r = order_take_report(o, w->slots[slot]->reply, PROTO_SHOW);
		p->stage[k] = STAGE_READY;
		if (r < 0 && p->error == 0)
			p->error = r;
		return;
	}
	r = order_key(p, k, &key);
	if (r >= 0)
		r = placed(w->slots[slot]->reply, o->n_dishes, key ? key : ctl->key, o);
	if (r < 0) {
		p->stage[k] = STAGE_UNKNOWN;
		if (p->error == 0)
			p->error = r;
		return;
	}
	p->dishes_placed += o->n_dishes;
	p->stage[k] = STAGE_READY;
	if (p->f) {
		r = follow_add(p->f, o->id);
		if (r < 0 && p->error == 0)
			p->error = ctl_error(r, "failed to subscribe to order %llu's events: %m",
					     (unsigned long long) o->id);
	}
	if (!p->need_report || p->error)
		return;
	snprintf(id, sizeof(id), "%llu", (unsigned long long) o->id);
	r = order_window_send(w, slot, PROTO_SHOW, &(struct proto_field) { id, strlen(id) }, 1, 0);
	if (r < 0) {
		p->error = ctl_call_failed(ctl, w->slots[slot], PROTO_SHOW, r);
		return;
	}
	p->stage[k] = STAGE_SHOWING;
}

/* Keep the batch to the orders accepted, in the order of the run. */
static void keep_accepted(struct placing *p)
{
	struct order_batch *b = p->b;
	size_t n = 0;

	for (size_t k = 0; k < p->next; k++)
		if (p->stage[k] == STAGE_READY || p->stage[k] == STAGE_TOLD) {
			b->orders[n++] = b->orders[k];
			p->accepted_before += k < p->first_refused;
		} else {
			order_report_free(&b->orders[k].report);
			freep(&b->orders[k].told);
		}
	b->n = n;
}

/* What was placed, once some orders of a run were refused. */
static void say_refused(const struct placing *p)
{
	const struct order_batch *b = p->b;
	const struct inputs *in = p->in;
	char what[96] = "";
	/* The usual case: the orders before the refused one went through, no other. */
	bool before = b->n == p->first_refused && p->accepted_before == p->first_refused;

	if (p->n_orders == 1)
		return;
	if (b->n == 0)
		snprintf(what, sizeof(what), "nothing was ordered");
	else if (before)
		snprintf(what, sizeof(what), "the orders before it were accepted");
	else
		snprintf(what, sizeof(what), "%zu %s of %zu %s %s accepted", b->n, plural(b->n, "order", "orders"),
			 p->dishes_placed, plural(p->dishes_placed, "dish", "dishes"), plural(b->n, "was", "were"));
	if (in)
		ctl_note("the order refused held the dishes of lines %zu to %zu; %s", in->items[p->refused_first_dish].line,
			 in->items[p->refused_first_dish + p->refused_dishes - 1].line, what);
	else
		ctl_note("%zu %s refused; %s", p->refused, plural(p->refused, "order was", "orders were"), what);
}

/* Place each order of the batch, a window at a time; stop sending at the
 * first refusal (said, and *ret_refused) or failure. */
static int place_all(struct ctl *ctl, char **args, size_t n_args, const struct menu *menu,
		     const struct inputs *in, struct follow *f, struct order_batch *b, bool *ret_refused)
{
	struct placing p = {
		.ctl = ctl, .args = args, .n_args = n_args, .menu = menu, .in = in, .f = f, .b = b,
		.n_orders = orders_of(ctl, in),
		/* Plain text output is the ids alone: no need to ask for the names. */
		.need_report = ctl->order_mode != ORDER_PLAIN || ctl->json,
		/* Many orders of one run: their ids said once, at the end (accepted()). */
		.one_note = ctl->inputs != NULL || ctl->random > ONE_NOTE_RANDOM,
		.seed = wall_ms() ^ ((uint64_t) getpid() << 32),
	};
	_cleanup_free_ enum stage *stage = NULL;
	_cleanup_free_ size_t *slot_order = NULL;
	_cleanup_free_ uint64_t *slot_bytes = NULL;
	_cleanup_free_ size_t *slot_count = NULL;
	struct order_window *w = NULL;
	size_t n_slots;
	int r;

	/* --random's orders, one dish each from the menu, are refused only all
	 * together (full, closing); --inputs's, of 150 dishes each, go one to a
	 * request, so that a bad line costs only its own order. */
	p.batch = !ctl->key && ctl->random > 1;
	n_slots = p.batch ? ORDERS_WINDOW : PLACE_WINDOW;
	n_slots = p.n_orders < n_slots ? p.n_orders : n_slots;
	p.first_refused = p.n_orders;
	p.dishes_total = ctl->inputs ? in->n : ctl->random ? ctl->random : n_args;
	b->orders = calloc(p.n_orders ? p.n_orders : 1, sizeof(*b->orders));
	p.stage = stage = calloc(p.n_orders ? p.n_orders : 1, sizeof(*stage));
	p.slot_order = slot_order = calloc(n_slots ? n_slots : 1, sizeof(*slot_order));
	p.slot_bytes = slot_bytes = calloc(n_slots ? n_slots : 1, sizeof(*slot_bytes));
	p.slot_count = slot_count = calloc(n_slots ? n_slots : 1, sizeof(*slot_count));
	if (!b->orders || !stage || !slot_order || !slot_bytes || !slot_count)
		return ctl_error(-ENOMEM, "%m");
	b->inputs = in;
	/* With a key the whims come from it: a run repeated (after a time-out, say)
	 * picks the same dishes, so kitchend answers with the same orders instead
	 * of refusing keys reused with other dishes. */
	if (ctl->key) {
		p.seed = 14695981039346656037ull;  /* FNV-1a */
		for (const unsigned char *c = (const unsigned char *) ctl->key; *c; c++)
			p.seed = (p.seed ^ *c) * 1099511628211ull;
	}
	if (ctl->random) {
		r = refuse_first(ctl, args, n_args, menu, in);
		if (r < 0)
			return r;
	}
	r = order_window_open(ctl, n_slots, &w);
	if (r < 0)
		return r;

	bar_phase(&b->bar, "placed");
	for (;;) {
		size_t slot;
		bool send;
		int i;

		for (;;) {
			send = !p.refused && !p.error && p.next < p.n_orders && (w->busy == 0 || p.bytes < PLACE_BYTES);
			if (!send || (i = order_window_idle(w)) < 0)
				break;
			r = p.batch ? send_orders(&p, w, (size_t) i) : send_order(&p, w, (size_t) i);
			if (r < 0)
				p.error = r;
		}
		if (w->busy == 0 && !send)
			break;
		r = order_window_next(ctl, w, send, &slot);
		if (r == -EAGAIN && slot >= w->n)
			continue;  /* a connection came up: send on it */
		if (slot >= w->n) {
			if (p.error == 0)
				p.error = order_window_failed(ctl, w, PROTO_ORDER, r);
			break;
		}
		answered(&p, w, slot, r);
		while (p.told < p.next && (p.stage[p.told] == STAGE_READY || p.stage[p.told] == STAGE_UNKNOWN)) {
			if (p.stage[p.told] == STAGE_READY)
				tell(&p, p.told);
			p.told++;
		}
		bar_draw(&b->bar, p.dishes_placed, p.dishes_total);
	}
	order_window_free(&w);
	if (ctl->order_mode != ORDER_WAIT)
		bar_clear(&b->bar);
	/* Accepted after a hole (refused, no answer): told now. */
	for (size_t k = p.told; k < p.next; k++)
		if (p.stage[k] == STAGE_READY || p.stage[k] == STAGE_SHOWING) {
			p.stage[k] = STAGE_READY;
			tell(&p, k);
		}
	for (size_t k = p.told; k < p.next; k++)
		p.unanswered += p.stage[k] == STAGE_SENT;
	keep_accepted(&p);
	if (p.unanswered)
		ctl_note("%zu %s sent got no answer: kitchend may have accepted %s%s", p.unanswered,
			 plural(p.unanswered, "order", "orders"), plural(p.unanswered, "it", "them"),
			 ctl->key ? " (the same command again places none twice: --key)" : "");
	if (p.refused) {
		*ret_refused = true;
		say_refused(&p);
		if (p.unknown_dish && !ctl->random) {
			_cleanup_free_ struct dishes *d = calloc(1, sizeof(*d));
			size_t first;

			if (d) {
				dishes_of(ctl, args, n_args, in, NULL, p.first_refused, d, &first);
				hint_dish(ctl, d->names, d->n);
			}
		}
	}
	if (ctl->order_mode != ORDER_PLAIN && p.one_note)
		accepted(b, p.dishes_placed);
	return p.error < 0 ? p.error : 0;
}

int verb_order(struct ctl *ctl, char **args, size_t n_args)
{
	struct order_batch b = { 0 };
	struct inputs in;
	struct menu *menu = NULL;
	struct follow *f = NULL;
	bool refused = false;
	int r;

	/* The bar's clock starts with the command: placing is part of the wait. */
	bar_init(&b.bar);
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
				puts("{\"orders\": []}");
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
				placed_json(&b);
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
