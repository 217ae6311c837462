/*
 * orders — the life of every order and dish kitchend holds. See orders.h.
 */
#include "orders.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "events.h"
#include "idmap.h"
#include "log.h"
#include "menu.h"
#include "metrics.h"
#include "order_heap.h"
#include "prio_queue.h"
#include "shelf.h"
#include "store.h"
#include "util.h"

struct orders {
	struct store *store;
	struct events *events;
	struct metrics *metrics;
	unsigned max_attempts;

	struct idmap open;              /* every order admitted and not finished, by id */
	struct list admitted;           /* ORDER_WRITTEN, oldest (lowest batch) first */
	struct list held;               /* ORDER_HELD, soonest released first */
	struct order_heap delayed;      /* ORDER_DELAYED, soonest due first */
	struct prio_queue queue;        /* queued dishes of open orders, front first */
	struct shelf shelf;             /* queued dishes set aside for a chef that can cook them */

	uint64_t next_order_id;
	uint64_t next_dish_id;
	uint64_t n_queued;
	uint64_t n_cooking;
	uint64_t n_served;
	uint64_t n_failed;
	uint64_t n_cancelled;
	uint64_t n_tombstones;          /* cancelled dishes still on the queue */
	size_t n_lingering;             /* finished orders with dishes on the queue */
};

/* "Order 42 dish 3 (Pizza) WHAT: WHY", with its journal fields (order.h). */
static void log_dish(int prio, const struct dish *d, const char *chef, const char *what, const char *why)
{
	log_fields(prio, 0, &dish_about(d, chef), "Order %llu dish %u (%s) %s: %s",
		   (unsigned long long) d->order->id, dish_number(d), d->item->name, what, why);
}

/* "Failed to WHAT order 42 dish 3: %m", with its journal fields. */
static void dish_error(int r, const struct dish *d, const char *what)
{
	log_fields(LOG_ERR, r, &dish_about(d, NULL), "Failed to %s order %llu dish %u: %m", what,
		   (unsigned long long) d->order->id, dish_number(d));
}

/* "Failed to WHAT order 42: %m", with its journal field. */
static void order_error(int r, const struct order *o, const char *what)
{
	log_fields(LOG_ERR, r, &(struct log_about) { .order = o->id }, "Failed to %s order %llu: %m", what,
		   (unsigned long long) o->id);
}

/* ---- the queue ---- */

/*
 * A dish cancelled while queued stays on the queue as a tombstone (taking
 * it out of the middle of a ring would cost the whole ring) and is dropped
 * when it comes to the front, or when tombstones are half the queue
 * (queue_compact). Its order, if finished meanwhile, lingers out of the
 * open orders (ORDER_FINISHED) until its last dish leaves the queue.
 */
static void queue_back(struct orders *os, struct dish *d)
{
	assert(d->state == PROTO_STATE_QUEUED && !d->in_queue && d->order->phase == ORDER_OPEN);
	if (prio_queue_push_back(&os->queue, d, d->order->priority) < 0) {
		dish_error(-ENOMEM, d, "queue");
		return;
	}
	d->since_ms = metrics_clock(os->metrics);
	d->in_queue = true;
	d->order->n_in_queue++;
}

static void queue_front(struct orders *os, struct dish *d)
{
	assert(d->state == PROTO_STATE_QUEUED && !d->in_queue && d->order->phase == ORDER_OPEN);
	if (prio_queue_push_front(&os->queue, d, d->order->priority) < 0) {
		dish_error(-ENOMEM, d, "queue again");
		return;
	}
	d->since_ms = metrics_clock(os->metrics);
	d->in_queue = true;
	d->order->n_in_queue++;
}

/* @d left the queue; its order goes too if it lingered only for it. */
static void left_queue(struct orders *os, struct dish *d)
{
	struct order *o = d->order;

	d->in_queue = false;
	if (--o->n_in_queue == 0 && o->phase == ORDER_FINISHED) {
		os->n_lingering--;
		order_free(&o);
	}
}

/* Drop the tombstones at the front. */
static void queue_skip_cancelled(struct orders *os)
{
	struct dish *d;

	while ((d = prio_queue_front(&os->queue)) && d->state != PROTO_STATE_QUEUED) {
		assert(d->in_queue && d->state == PROTO_STATE_CANCELLED);
		(void) prio_queue_pop_front(&os->queue);
		os->n_tombstones--;
		left_queue(os, d);
	}
}

static bool tombstone(struct dish *d, void *u)
{
	struct orders *os = u;

	if (d->state == PROTO_STATE_QUEUED)
		return false;
	os->n_tombstones--;
	left_queue(os, d);
	return true;
}

/* Drop every tombstone, keeping the order of the others. Linear. */
static void queue_compact(struct orders *os)
{
	prio_queue_filter(&os->queue, tombstone, os);
	shelf_filter(&os->shelf, tombstone, os);
}

/* Take @d, a front of the queue or of the shelf, off. */
static void queue_take(struct orders *os, struct dish *d)
{
	assert(d->in_queue && d->state == PROTO_STATE_QUEUED);
	if (d->parked) {
		shelf_take(&os->shelf, d);
		d->parked = false;
	} else {
		queue_skip_cancelled(os);
		struct dish *front = prio_queue_pop_front(&os->queue);
		assert(front == d);
		(void) front;
	}
	left_queue(os, d);
}

/* The queue's front @d goes on the shelf; false when it cannot (no memory). */
static bool park(struct orders *os, struct dish *d)
{
	if (shelf_put(&os->shelf, d) < 0)
		return false;
	(void) prio_queue_pop_front(&os->queue);
	d->parked = true;
	return true;
}

/* ---- orders ---- */

/* @o's dishes join the queue: it is open from now on. */
static void open_order(struct orders *os, struct order *o)
{
	o->phase = ORDER_OPEN;
	for (uint32_t i = 0; i < o->n_dishes; i++)
		if (o->dishes[i].state == PROTO_STATE_QUEUED)
			queue_back(os, &o->dishes[i]);
}

static void release(struct orders *os, struct order *o)
{
	assert(o->phase == ORDER_HELD);
	list_remove(&os->held, &o->link);
	open_order(os, o);
}

/* @o is committed and due: held for its follower, or open. */
static void due(struct orders *os, struct order *o, uint64_t now)
{
	if (o->follow && !o->followed) {
		o->phase = ORDER_HELD;
		o->hold_until_ms = now + ORDERS_HOLD_MS;
		list_append(&os->held, &o->link);
		log_debug("Order %llu: held until its follower subscribes", (unsigned long long) o->id);
	} else
		open_order(os, o);
}

/* @o is committed, due later than @wall: it waits on the heap. */
static void delay(struct orders *os, struct order *o, uint64_t wall, uint64_t now)
{
	if (order_heap_push(&os->delayed, o) < 0) {
		/* Early rather than never. */
		log_fields(LOG_ERR, -ENOMEM, &(struct log_about) { .order = o->id },
			   "Failed to delay order %llu: %m; queueing it now", (unsigned long long) o->id);
		return due(os, o, now);
	}
	o->phase = ORDER_DELAYED;
	log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id }, "Order %llu: due in %llu ms",
		   (unsigned long long) o->id, (unsigned long long) (o->due_ms - wall));
}

/* Its last dish is done: record and tell it, and let it go. */
static void finish(struct orders *os, struct order *o)
{
	enum proto_state state = order_state(o);
	int r;

	assert(order_done(o) && (o->phase == ORDER_OPEN || o->phase == ORDER_HELD || o->phase == ORDER_DELAYED));
	r = store_order_done(os->store, o->id, state, wall_ms());
	if (r < 0)
		order_error(r, o, "record the end of");
	log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id }, "Order %llu %s",
		   (unsigned long long) o->id, proto_state_name(state));
	events_done(os->events, o);
	if (o->phase == ORDER_HELD)
		list_remove(&os->held, &o->link);
	if (o->phase == ORDER_DELAYED)
		order_heap_remove(&os->delayed, o);  /* every dish cancelled before it was due */
	idmap_remove(&os->open, o->id);
	if (o->n_in_queue > 0) {
		o->phase = ORDER_FINISHED;
		os->n_lingering++;
	} else
		order_free(&o);
}

/* ---- set-up ---- */

int orders_new(struct store *store, struct events *events, struct metrics *metrics, unsigned max_attempts,
	       struct orders **ret)
{
	struct orders *os = calloc(1, sizeof(*os));

	if (!os)
		return -ENOMEM;
	os->store = store;
	os->events = events;
	os->metrics = metrics;
	os->max_attempts = max_attempts;
	idmap_init(&os->open);
	order_heap_init(&os->delayed);
	prio_queue_init(&os->queue);
	shelf_init(&os->shelf);
	os->next_order_id = os->next_dish_id = 1;
	*ret = os;
	return 0;
}

/* Every dish leaves (at the end). */
static bool tombstone_any(struct dish *d, void *u)
{
	left_queue(u, d);
	return true;
}

static void free_order(void *value, void *u)
{
	struct order *o = value;

	order_free(&o);
}

void orders_free(struct orders **osp)
{
	struct orders *os;

	if (!osp || !*osp)
		return;
	os = *osp;
	/* Lingering orders are known only to the queue. */
	while (prio_queue_len(&os->queue) > 0)
		left_queue(os, prio_queue_pop_front(&os->queue));
	shelf_filter(&os->shelf, tombstone_any, os);
	shelf_finish(&os->shelf);
	prio_queue_finish(&os->queue);
	order_heap_finish(&os->delayed);
	idmap_foreach(&os->open, free_order, NULL);
	idmap_finish(&os->open);
	free(os);
	*osp = NULL;
}

void orders_set_max_attempts(struct orders *os, unsigned max_attempts)
{
	os->max_attempts = max_attempts;
}

/* ---- resume ---- */

struct resume {
	struct orders *os;
	struct menu *menu;
	struct order *order;
	uint64_t dishes;
	uint64_t wall;              /* when kitchend started: due orders are queued */
	uint64_t max_queued;        /* the queue's room, made at the first order of each priority */
};

/*
 * Room on the queue of @o's priority for every dish from @o on, at most
 * max_queued: a ring that doubled its way to ten million dishes would have
 * copied itself and touched twice the memory. Ids are handed out in order,
 * so next_dish_id - @o's first is a bound; a ring only touches the pages it
 * fills. Only a help: without the room, the ring grows as it fills.
 */
static void reserve(struct resume *res, const struct order *o)
{
	struct orders *os = res->os;
	uint64_t ahead = os->next_dish_id - o->dishes[0].id;

	if (o->phase != ORDER_OPEN || o->n_dishes == 0)
		return;
	ahead = ahead < o->n_dishes ? o->n_dishes : ahead > res->max_queued ? res->max_queued : ahead;
	(void) prio_queue_reserve(&os->queue, o->priority, ahead);
}

static int resume_order(const struct store_order *so, void *userdata)
{
	struct resume *res = userdata;
	struct order *o = order_new(so->id, so->created_ms, so->n_dishes, so->first_dish);

	if (!o || idmap_put(&res->os->open, o->id, o) < 0) {
		order_free(&o);
		return -ENOMEM;
	}
	o->priority = (uint8_t) (so->priority < PROTO_PRIORITY_MIN ? PROTO_PRIORITY_MIN :
				 so->priority > PROTO_PRIORITY_MAX ? PROTO_PRIORITY_MAX : so->priority);
	o->due_ms = so->due_ms;
	o->phase = ORDER_OPEN;  /* committed long ago */
	if (o->due_ms > res->wall) {
		/* Its dishes stay off the queue (resume_dish) until it is due. */
		if (order_heap_push(&res->os->delayed, o) < 0)
			return -ENOMEM;
		o->phase = ORDER_DELAYED;
	}
	res->os->n_queued += o->n_dishes;  /* less the done ones, as they are read */
	res->order = o;
	reserve(res, o);
	return 0;
}

static int resume_dish(const struct store_dish *sd, void *userdata)
{
	struct resume *res = userdata;
	struct orders *os = res->os;
	struct order *o = res->order;
	struct dish *d;

	if (sd->index >= o->n_dishes)
		return 0;
	d = &o->dishes[sd->index];
	d->id = sd->id;
	d->attempts = (uint16_t) sd->attempts;
	d->item = menu_intern(res->menu, sd->name);
	if (!d->item)
		return -ENOMEM;
	/* A served dish is never cooked again; a failed one may be retried. */
	if (sd->state != PROTO_STATE_SERVED && dish_set_input(d, sd->input, sd->input_len) < 0)
		return -ENOMEM;
	switch (sd->state) {
	case PROTO_STATE_SERVED:
		d->state = PROTO_STATE_SERVED;
		o->n_served++;
		os->n_queued--;
		break;
	case PROTO_STATE_FAILED:
		d->state = PROTO_STATE_FAILED;
		o->n_failed++;
		os->n_queued--;
		break;
	case PROTO_STATE_CANCELLED:
		d->state = PROTO_STATE_CANCELLED;
		o->n_cancelled++;
		os->n_queued--;
		break;
	case PROTO_STATE_QUEUED:
	case PROTO_STATE_COOKING:
	case _PROTO_STATE_MAX:
		/* Whatever was cooking when kitchend stopped is cooked again. */
		res->dishes++;
		if (o->phase == ORDER_OPEN)
			queue_back(os, d);
		break;
	}
	return 0;
}

int orders_resume(struct orders *os, struct menu *menu, uint64_t max_queued, size_t *ret_orders,
		  uint64_t *ret_dishes)
{
	struct resume res = { .os = os, .menu = menu, .wall = wall_ms(), .max_queued = max_queued };
	uint64_t counts[_PROTO_STATE_MAX];
	struct order **done = NULL;
	size_t n_done = 0;
	int r;

	r = store_next_ids(os->store, &os->next_order_id, &os->next_dish_id);
	if (r >= 0)
		r = store_count(os->store, counts);
	if (r >= 0)
		r = store_load_open(os->store, resume_order, resume_dish, &res);
	if (r < 0)
		return r;
	os->n_served = counts[PROTO_STATE_SERVED];
	os->n_failed = counts[PROTO_STATE_FAILED];
	os->n_cancelled = counts[PROTO_STATE_CANCELLED];

	/* An order whose last dish finished just as kitchend died. */
	for (size_t i = 0; i < os->open.cap; i++) {
		struct order *o = os->open.values[i];
		if (os->open.keys[i] && order_done(o)) {
			struct order **grown = realloc(done, (n_done + 1) * sizeof(*done));
			if (!grown) {
				free(done);
				return -ENOMEM;
			}
			done = grown;
			done[n_done++] = o;
		}
	}
	for (size_t i = 0; i < n_done; i++)
		finish(os, done[i]);
	free(done);

	*ret_orders = os->open.len;
	*ret_dishes = res.dishes;
	r = store_sync(os->store);
	/* A full disk keeps what resuming wrote until it has space again. */
	return r == -ENOSPC ? 0 : r;
}

/* ---- admission ---- */

int orders_admit(struct orders *os, const struct orders_request *req, struct order **ret)
{
	const char *names[PROTO_ORDER_MAX_DISHES];
	struct proto_field inputs[PROTO_ORDER_MAX_DISHES];
	size_t n = req->n, stride = req->stride ? req->stride : 1;
	struct order *o;
	int r;

	assert(n > 0 && n <= PROTO_ORDER_MAX_DISHES);
	assert(req->priority >= PROTO_PRIORITY_MIN && req->priority <= PROTO_PRIORITY_MAX);
	o = order_new(os->next_order_id, wall_ms(), (uint32_t) n, os->next_dish_id);
	if (!o)
		return -ENOMEM;
	r = idmap_put(&os->open, o->id, o);
	if (r < 0) {
		order_free(&o);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		o->dishes[i].item = req->items[i];
		names[i] = req->items[i]->name;
		inputs[i] = req->inputs ? req->inputs[i * stride] : (struct proto_field) { "", 0 };
		r = dish_set_input(&o->dishes[i], inputs[i].data, inputs[i].len);
		if (r < 0) {
			idmap_remove(&os->open, o->id);
			order_free(&o);
			return r;
		}
	}
	r = store_add_order(os->store, &(struct store_new_order) {
		.id = o->id,
		.key = req->key,
		.created_ms = o->created_ms,
		.first_dish = o->dishes[0].id,
		.n_dishes = n,
		.names = names,
		.inputs = req->inputs ? inputs : NULL,
		.priority = req->priority,
		.due_ms = req->due_ms,
	});
	/* Ids are spent even on failure: a half-written row must never be reused. */
	os->next_order_id++;
	os->next_dish_id += n;
	if (r < 0) {
		idmap_remove(&os->open, o->id);
		order_free(&o);
		return r;
	}
	o->phase = ORDER_WRITTEN;
	o->priority = (uint8_t) req->priority;
	o->due_ms = req->due_ms;
	o->follow = req->follow;
	o->batch = store_written(os->store);
	list_append(&os->admitted, &o->link);
	os->n_queued += n;
	metrics_admitted(os->metrics);
	log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id }, "Order %llu admitted: %zu dishes%s",
		   (unsigned long long) o->id, n, req->key[0] ? " (with a key)" : "");
	*ret = o;
	return 0;
}

/* The first order on @l, or NULL. */
static struct order *first(const struct list *l)
{
	return l->head ? list_entry(l->head, struct order, link) : NULL;
}

void orders_committed(struct orders *os, uint64_t committed, uint64_t now)
{
	uint64_t wall = 0;
	struct order *o;

	while ((o = first(&os->admitted)) && o->batch <= committed) {
		list_remove(&os->admitted, &o->link);
		log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id }, "Order %llu accepted: stored",
			   (unsigned long long) o->id);
		events_ordered(os->events, o);
		if (o->due_ms && !wall)
			wall = wall_ms();
		if (o->due_ms > wall)
			delay(os, o, wall, now);
		else
			due(os, o, now);
	}
}

void orders_queue_due(struct orders *os, uint64_t wall, uint64_t now)
{
	struct order *o;

	while ((o = order_heap_top(&os->delayed)) && o->due_ms <= wall) {
		order_heap_pop(&os->delayed);
		log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id }, "Order %llu is due",
			   (unsigned long long) o->id);
		due(os, o, now);
	}
}

uint64_t orders_next_due(const struct orders *os)
{
	const struct order *o = order_heap_top(&os->delayed);

	return o ? o->due_ms : UINT64_MAX;
}

void orders_drop_admitted(struct orders *os, void (*dropped)(const struct order *o, void *u), void *u)
{
	struct order *o;

	while ((o = first(&os->admitted))) {
		list_remove(&os->admitted, &o->link);
		if (dropped)
			dropped(o, u);
		os->n_queued -= o->n_dishes;
		idmap_remove(&os->open, o->id);
		order_free(&o);
	}
}

struct order *orders_get(const struct orders *os, uint64_t id)
{
	return idmap_get(&os->open, id);
}

/* ---- followers ---- */

void orders_follow(struct orders *os, uint64_t id)
{
	struct order *o = idmap_get(&os->open, id);

	if (!o)
		return;
	o->followed = true;
	log_debug("Order %llu: followed%s", (unsigned long long) o->id,
		  o->phase == ORDER_HELD ? ", cooking it now" : "");
	if (o->phase == ORDER_HELD)
		release(os, o);
}

void orders_release_due(struct orders *os, uint64_t now)
{
	struct order *o;

	while ((o = first(&os->held)) && o->hold_until_ms <= now) {
		log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id },
			   "Order %llu: no follower subscribed in time, cooking anyway", (unsigned long long) o->id);
		release(os, o);
	}
}

uint64_t orders_next_release(const struct orders *os)
{
	const struct order *o = first(&os->held);

	return o ? o->hold_until_ms : UINT64_MAX;
}

bool orders_followed(const struct orders *os, const struct order *o)
{
	return o->followed || events_follow_all(os->events);
}

/* ---- cooking ---- */

struct dish *orders_next(struct orders *os)
{
	queue_skip_cancelled(os);
	return prio_queue_front(&os->queue);
}

bool orders_waiting(const struct orders *os)
{
	return os->n_queued > 0 && (prio_queue_len(&os->queue) > 0 || os->shelf.len > 0);
}

struct dish *orders_next_for(struct orders *os, orders_can_fn can, void *u, bool may_park)
{
	struct dish *shelved = shelf_best(&os->shelf, can, u, tombstone, os), *d = NULL;

	for (unsigned parked = 0;;) {
		d = orders_next(os);
		if (!d || !can || !d->item->recipe || can(d->item, u))
			break;
		if (!may_park || parked++ == ORDERS_PARK_MAX || !park(os, d)) {
			d = NULL;
			break;
		}
	}
	if (shelved && (!d || d->order->priority <= shelved->order->priority))
		return shelved;
	return d;
}

void orders_shelved(const struct orders *os, void (*cb)(const struct menu_item *item, size_t n, void *u),
		    void *u)
{
	for (size_t i = 0; i < os->shelf.n_rows; i++)
		if (os->shelf.rows[i].waiting > 0)
			cb(os->shelf.rows[i].item, os->shelf.rows[i].waiting, u);
}

struct dish *orders_hand(struct orders *os, struct dish *d, struct chef *c)
{
	queue_take(os, d);
	d->state = PROTO_STATE_COOKING;
	d->attempts++;
	d->chef = c;
	d->since_ms = metrics_handed(os->metrics, d->since_ms);
	os->n_queued--;
	os->n_cooking++;
	return d;
}

/* When the attempt under way of @d began (wall clock); 0 when no chef has it. */
static uint64_t started_ms(const struct orders *os, const struct dish *d)
{
	return d->state == PROTO_STATE_COOKING ? metrics_wall_at(os->metrics, d->since_ms) : 0;
}

/* @d, queued or cooking, fails for good. */
static void fail(struct orders *os, struct dish *d, const char *chef, const char *reason)
{
	struct order *o = d->order;
	uint64_t started = started_ms(os, d);
	int r;

	d->state = PROTO_STATE_FAILED;
	d->chef = NULL;
	os->n_failed++;
	o->n_failed++;
	metrics_ended(os->metrics, PROTO_STATE_FAILED);
	log_dish(LOG_WARNING, d, chef, "failed", reason);
	r = store_dish_failed(os->store, d->id, d->attempts, started, os->metrics->wall_ms, chef, reason);
	if (r < 0)
		dish_error(r, d, "record the failure of");
	events_failed(os->events, d, chef, reason);
	if (order_done(o))
		finish(os, o);
}

/* @d, queued (on the queue or not) or back from its chef, is cancelled. */
static void cancel(struct orders *os, struct dish *d, const char *chef, const char *reason)
{
	struct order *o = d->order;
	uint64_t started = started_ms(os, d);
	int r;

	d->state = PROTO_STATE_CANCELLED;
	d->chef = NULL;
	os->n_cancelled++;
	o->n_cancelled++;
	metrics_ended(os->metrics, PROTO_STATE_CANCELLED);
	if (d->in_queue)
		os->n_tombstones++;
	if (d->in_queue && d->parked)
		shelf_cancelled(&os->shelf, d);
	log_dish(LOG_DEBUG, d, chef, "cancelled", reason);  /* the request is logged once */
	r = store_dish_cancelled(os->store, d->id, d->attempts, started, os->metrics->wall_ms, chef, reason);
	if (r < 0)
		dish_error(r, d, "record the cancel of");
	events_cancelled(os->events, d, chef, reason);
	if (order_done(o))
		finish(os, o);
}

void orders_unservable(struct orders *os, struct dish *d, const char *reason)
{
	queue_take(os, d);
	os->n_queued--;
	fail(os, d, "", reason);
}

void orders_served(struct orders *os, struct dish *d, const char *chef, const void *result,
		   size_t result_len, const char *items)
{
	struct order *o = d->order;
	uint64_t started = metrics_wall_at(os->metrics, d->since_ms);
	int r;

	assert(d->state == PROTO_STATE_COOKING);
	if (d->cancelling)
		log_dish(LOG_INFO, d, chef, "served", "its chef had it ready before the cancel reached it");
	else if (log_get_max_priority() >= LOG_DEBUG) {
		char why[PROTO_MAX_NAME + 32];

		snprintf(why, sizeof(why), "chef %s, attempt %u", chef, d->attempts);
		log_dish(LOG_DEBUG, d, chef, "served", why);
	}
	d->state = PROTO_STATE_SERVED;
	d->chef = NULL;
	d->cancelling = false;
	os->n_cooking--;
	os->n_served++;
	o->n_served++;
	metrics_served(os->metrics, d->since_ms, o->created_ms);
	metrics_ended(os->metrics, PROTO_STATE_SERVED);
	r = store_dish_served(os->store, d->id, d->attempts, started, os->metrics->wall_ms, chef, result,
			      result_len, items);
	if (r < 0)
		dish_error(r, d, "record serving");
	events_served(os->events, d, chef, result, result_len, items);
	if (order_done(o))
		finish(os, o);
}

/* How the attempt of @d, coming back for @why, ended. */
static enum metrics_attempt attempt_end(const struct dish *d, enum orders_back why)
{
	switch (why) {
	case ORDERS_BACK_FAILED:
		/* A chef answers a CANCEL with "failed". */
		return d->cancelling ? METRICS_ATTEMPT_CANCELLED : METRICS_ATTEMPT_FAILED;
	case ORDERS_BACK_TIMED_OUT:
		return METRICS_ATTEMPT_TIMED_OUT;
	case ORDERS_BACK_GONE:
	case ORDERS_BACK_CRASHED:
		return METRICS_ATTEMPT_CHEF_LOST;
	}
	return METRICS_ATTEMPT_CHEF_LOST;
}

void orders_take_back(struct orders *os, struct dish *d, const char *chef, const char *reason,
		      enum orders_back why)
{
	char final[512];
	int r;

	assert(d->state == PROTO_STATE_COOKING);
	d->chef = NULL;
	os->n_cooking--;
	metrics_attempt(os->metrics, attempt_end(d, why), d->since_ms);
	if (d->cancelling) {
		/* A chef answers a CANCEL with "failed": the dish stopped there. */
		if (why == ORDERS_BACK_FAILED)
			snprintf(final, sizeof(final), "cancelled; chef %s stopped it", chef);
		else
			snprintf(final, sizeof(final), "cancelled; chef %s: %s", chef, reason);
		d->cancelling = false;
		return cancel(os, d, chef, final);
	}
	if (why == ORDERS_BACK_CRASHED || why == ORDERS_BACK_TIMED_OUT)
		d->suspect = true;
	if (why == ORDERS_BACK_CRASHED && ++d->crashes >= ORDERS_POISON_CRASHES) {
		snprintf(final, sizeof(final), "poison: %u chefs crashed cooking it; last: %s", d->crashes, reason);
		return fail(os, d, chef, final);
	}
	if (d->attempts >= os->max_attempts) {
		snprintf(final, sizeof(final), "gave up after %u attempts; last: %s", d->attempts, reason);
		return fail(os, d, chef, final);
	}
	d->state = PROTO_STATE_QUEUED;
	os->n_queued++;
	/* Exceptional (the chef failed it, was lost, or was too slow): always said. */
	log_dish(why == ORDERS_BACK_TIMED_OUT ? LOG_WARNING : LOG_INFO, d, chef, "back in the queue", reason);
	r = store_dish_requeued(os->store, d->id, d->attempts, chef, reason);
	if (r < 0)
		dish_error(r, d, "record the return to the queue of");
	queue_front(os, d);
}

/* ---- the order book ---- */

/* Cancel @d on request, whatever its state; counted in @ret. */
static void cancel_one(struct orders *os, struct dish *d, orders_stop_fn stop, void *u, struct orders_cancelled *ret)
{
	char reason[160];
	const char *chef;
	int r;

	switch ((enum proto_state) d->state) {
	case PROTO_STATE_QUEUED:
		os->n_queued--;
		ret->cancelled++;
		cancel(os, d, "", "cancelled on request");
		return;
	case PROTO_STATE_COOKING:
		ret->cancelling++;
		if (d->cancelling)
			return;
		/* Recorded now: a crash before the chef answers must not cook it again. */
		d->cancelling = true;
		chef = stop(d, u);
		snprintf(reason, sizeof(reason), "cancelled on request while chef %s cooked it", chef);
		r = store_dish_cancelled(os->store, d->id, d->attempts, started_ms(os, d), os->metrics->wall_ms,
					 chef, reason);
		if (r < 0)
			dish_error(r, d, "record the cancel of");
		log_dish(LOG_DEBUG, d, chef, "cancelling", "its chef is told to stop");
		return;
	case PROTO_STATE_SERVED:
	case PROTO_STATE_FAILED:
	case PROTO_STATE_CANCELLED:
	case _PROTO_STATE_MAX:
		ret->finished++;
		return;
	}
}

/* Tombstones half the queue (and more than a few): drop them now. */
static void maybe_compact(struct orders *os)
{
	if (os->n_tombstones > 1024 && os->n_tombstones * 2 > prio_queue_len(&os->queue) + os->shelf.len)
		queue_compact(os);
}

int orders_cancel(struct orders *os, struct order *o, const uint32_t *indexes, size_t n, orders_stop_fn stop,
		  void *u, struct orders_cancelled *ret)
{
	size_t asked = n ? n : o->n_dishes;
	uint32_t left = o->n_dishes - o->n_served - o->n_failed - o->n_cancelled;

	*ret = (struct orders_cancelled) { 0 };
	if (o->phase != ORDER_OPEN && o->phase != ORDER_HELD && o->phase != ORDER_DELAYED)
		return -EAGAIN;
	for (size_t i = 0; i < n; i++)
		if (indexes[i] >= o->n_dishes)
			return -ERANGE;
	for (size_t i = 0; i < asked; i++) {
		struct dish *d = &o->dishes[n ? indexes[i] : i];
		bool ends = d->state == PROTO_STATE_QUEUED;

		cancel_one(os, d, stop, u, ret);
		/* Its last dish ended it: @o is gone, and whatever was asked
		 * about besides was done already. */
		if (ends && --left == 0) {
			ret->finished += (unsigned) (asked - i - 1);
			break;
		}
	}
	maybe_compact(os);
	return 0;
}

uint64_t orders_purge(struct orders *os, const struct menu_item *item)
{
	struct order **victims;
	size_t n = 0;
	uint64_t before = os->n_cancelled;

	/* Orders finish (and leave the map) as they are purged: list them first. */
	victims = calloc(os->open.len ? os->open.len : 1, sizeof(*victims));
	if (!victims)
		return 0;
	for (size_t i = 0; i < os->open.cap; i++) {
		struct order *o = os->open.values[i];

		if (os->open.keys[i] && (o->phase == ORDER_OPEN || o->phase == ORDER_HELD || o->phase == ORDER_DELAYED))
			victims[n++] = o;
	}
	for (size_t i = 0; i < n; i++) {
		struct order *o = victims[i];
		uint32_t left = o->n_dishes - o->n_served - o->n_failed - o->n_cancelled;

		/* @o is gone once its last dish is cancelled: left first. */
		for (uint32_t j = 0; left > 0 && j < o->n_dishes; j++) {
			struct dish *d = &o->dishes[j];

			if (d->state != PROTO_STATE_QUEUED || (item && d->item != item))
				continue;
			left--;
			os->n_queued--;
			cancel(os, d, "", "purged on request");
		}
	}
	free(victims);
	queue_compact(os);
	return os->n_cancelled - before;
}

/* Reopened @o goes back out of memory, off the heap if it was due later. */
static void forget(struct orders *os, struct order *o)
{
	if (o->phase == ORDER_DELAYED)
		order_heap_remove(&os->delayed, o);
	idmap_remove(&os->open, o->id);
	order_free(&o);
}

/* Order @id, finished, read back from the store into memory, as at a start
 * (delayed again if it is due later). */
static int reopen(struct orders *os, struct menu *menu, uint64_t id, struct order **ret)
{
	struct resume res = { .os = os, .menu = menu, .wall = wall_ms() };
	struct store_order so;
	int r;

	/* Retention must not take it while it opens again. */
	r = store_pin_order(os->store, id);
	if (r >= 0)
		r = store_get_order(os->store, id, &so, NULL, NULL);
	if (r >= 0 && so.state != PROTO_STATE_SERVED && so.state != PROTO_STATE_FAILED &&
	    so.state != PROTO_STATE_CANCELLED)
		r = -EAGAIN;  /* open in the store, not in memory: not committed yet */
	if (r >= 0)
		r = resume_order(&so, &res);
	if (r >= 0)
		r = store_get_order_inputs(os->store, id, &so, resume_dish, &res);
	if (r < 0) {
		if (res.order) {
			os->n_queued -= res.order->n_dishes - res.order->n_served - res.order->n_failed -
					res.order->n_cancelled;
			forget(os, res.order);
		}
		return r;
	}
	assert(order_done(res.order));
	*ret = res.order;
	return 0;
}

int orders_retry(struct orders *os, struct menu *menu, uint64_t id, const uint32_t *indexes, size_t n,
		 unsigned *ret_retried)
{
	struct order *o = idmap_get(&os->open, id);
	bool reopened = false;
	unsigned retried = 0;
	int r;

	if (o && o->phase == ORDER_WRITTEN)
		return -EAGAIN;
	if (!o) {
		r = reopen(os, menu, id, &o);
		if (r < 0)
			return r;
		reopened = true;
	}
	for (size_t i = 0; i < n; i++)
		if (indexes[i] >= o->n_dishes) {
			r = -ERANGE;
			goto out;
		}
	for (size_t i = 0; i < (n ? n : o->n_dishes); i++) {
		struct dish *d = &o->dishes[n ? indexes[i] : i];

		if (d->state == PROTO_STATE_FAILED) {
			o->n_failed--;
			os->n_failed--;
		} else if (d->state == PROTO_STATE_CANCELLED) {
			o->n_cancelled--;
			os->n_cancelled--;
		} else
			continue;
		/* A new series of attempts; the reasons so far stay in the record. */
		d->state = PROTO_STATE_QUEUED;
		d->attempts = 0;
		d->crashes = 0;
		d->suspect = false;
		os->n_queued++;
		r = store_dish_requeued(os->store, d->id, 0, "", "retried on request");
		if (r < 0)
			dish_error(r, d, "record the retry of");
		log_dish(LOG_INFO, d, "", "retried", "a new series of attempts on request");
		if (d->in_queue) {
			os->n_tombstones--;  /* cancelled a moment ago: back to life where it was */
			d->since_ms = metrics_clock(os->metrics);
		} else if (o->phase == ORDER_OPEN)
			queue_back(os, d);
		/* else held or delayed: queued with the others when it is released or due */
		retried++;
	}
	r = 0;
out:
	if (reopened && retried == 0) {
		/* Nothing to retry: it stays finished, as the store has it. */
		forget(os, o);
	} else if (reopened) {
		r = store_order_done(os->store, o->id, PROTO_STATE_QUEUED, 0);
		if (r < 0)
			order_error(r, o, "record the reopening of");
		r = 0;
	}
	*ret_retried = retried;
	return r;
}

void orders_counts(const struct orders *os, struct orders_counts *ret)

{
	*ret = (struct orders_counts) {
		.queued = os->n_queued,
		.cooking = os->n_cooking,
		.served = os->n_served,
		.failed = os->n_failed,
		.cancelled = os->n_cancelled,
		.open = os->open.len,
		.held = os->held.len,
		.delayed = os->delayed.len,
	};
}

/* ---- the recount ---- */

#define DISAGREE(...) do { log_debug("orders_check: " __VA_ARGS__); return -EUCLEAN; } while (0)

static int check_list(const struct list *l, enum order_phase phase, const struct idmap *open)
{
	size_t n = 0;

	for (const struct list_link *k = l->head; k; k = k->next, n++) {
		const struct order *o = list_entry(k, struct order, link);

		if (o->phase != phase || idmap_get(open, o->id) != o)
			DISAGREE("order %llu on the list of phase %d is of phase %d or not open",
				 (unsigned long long) o->id, phase, o->phase);
		if (k->next && k->next->prev != k)
			DISAGREE("list broken after order %llu", (unsigned long long) o->id);
	}
	if (n != l->len)
		DISAGREE("a list holds %zu orders, counts %zu", n, l->len);
	return 0;
}

/* The heap of delayed orders: each knows its place, none is due before its parent. */
static int check_heap(const struct order_heap *h, const struct idmap *open)
{
	for (size_t i = 0; i < h->len; i++) {
		const struct order *o = h->orders[i];

		if (o->phase != ORDER_DELAYED || idmap_get(open, o->id) != o || o->heap_index != i)
			DISAGREE("order %llu at %zu on the heap is of phase %d, at %u, or not open",
				 (unsigned long long) o->id, i, o->phase, o->heap_index);
		if (i > 0 && h->orders[(i - 1) / 2]->due_ms > o->due_ms)
			DISAGREE("order %llu on the heap is due before its parent", (unsigned long long) o->id);
	}
	return 0;
}

/* What check_one() counts over the queue and the shelf. */
struct queue_count {
	uint64_t of_open, tombstones;
	size_t lingering;
};

/*
 * The entries of @q (the queue, or a row of the shelf when @parked): of open
 * orders, tombstones, and lingering orders, each on the ring of its order's
 * priority, whose bit says it holds some.
 */
static int check_one(const struct prio_queue *q, bool parked, struct queue_count *c)
{
	size_t n = 0;

	for (unsigned p = 0; p <= PROTO_PRIORITY_MAX; p++) {
		const struct dish_queue *dq = &q->by_priority[p];

		if (!(q->nonempty & (1u << p)) != (dish_queue_len(dq) == 0))
			DISAGREE("the queue of priority %u holds %zu dishes, its bit says %s", p,
				 dish_queue_len(dq), q->nonempty & (1u << p) ? "some" : "none");
		n += dish_queue_len(dq);
		for (size_t i = 0; i < dq->len; i++) {
			const struct dish *d = dq->ring[(dq->head + i) & (dq->cap - 1)];
			const struct order *o = d->order;
			bool first = true;

			if (!d->in_queue || (d->state != PROTO_STATE_QUEUED && d->state != PROTO_STATE_CANCELLED))
				DISAGREE("dish %llu is on the queue, %s, marked %son it", (unsigned long long) d->id,
					 proto_state_name(d->state), d->in_queue ? "" : "not ");
			if (d->parked != parked)
				DISAGREE("dish %llu is %s the shelf, marked %s", (unsigned long long) d->id,
					 parked ? "on" : "off", d->parked ? "on" : "off");
			if (o->priority != p)
				DISAGREE("dish %llu on the queue of priority %u is of priority %u",
					 (unsigned long long) d->id, p, o->priority);
			c->tombstones += d->state == PROTO_STATE_CANCELLED;
			if (o->phase == ORDER_OPEN) {
				c->of_open++;
				continue;
			}
			if (o->phase != ORDER_FINISHED || d->state != PROTO_STATE_CANCELLED || !order_done(o))
				DISAGREE("dish %llu on the queue is %s, its order in phase %d", (unsigned long long) d->id,
					 proto_state_name(d->state), o->phase);
			for (uint32_t j = 0; j < d->index; j++)
				first = first && !o->dishes[j].in_queue;
			c->lingering += first;
		}
	}
	if (n != prio_queue_len(q))
		DISAGREE("the queues hold %zu dishes, count %zu", n, prio_queue_len(q));
	return 0;
}

static int check_queue(const struct orders *os, uint64_t in_queue)
{
	struct queue_count c = { 0 };
	size_t shelved = 0;
	int r;

	r = check_one(&os->queue, false, &c);
	for (size_t i = 0; r >= 0 && i < os->shelf.n_rows; i++) {
		const struct shelf_row *row = &os->shelf.rows[i];
		uint64_t tombstones = c.tombstones;

		r = check_one(&row->q, true, &c);
		shelved += prio_queue_len(&row->q);
		if (r >= 0 && prio_queue_len(&row->q) - (c.tombstones - tombstones) != row->waiting)
			DISAGREE("the shelf's row of %s holds %zu dishes, %llu cancelled, says %zu wait",
				 row->item->name, prio_queue_len(&row->q),
				 (unsigned long long) (c.tombstones - tombstones), row->waiting);
	}
	if (r < 0)
		return r;
	if (shelved != os->shelf.len)
		DISAGREE("the shelf holds %zu dishes, counts %zu", shelved, os->shelf.len);
	if (c.of_open != in_queue || c.tombstones != os->n_tombstones || c.lingering != os->n_lingering)
		DISAGREE("the queue holds %llu dishes of open orders, %llu tombstones, %zu lingering orders; "
			 "counted %llu, %llu, %zu", (unsigned long long) c.of_open, (unsigned long long) c.tombstones,
			 c.lingering, (unsigned long long) in_queue, (unsigned long long) os->n_tombstones,
			 os->n_lingering);
	return 0;
}

int orders_check(const struct orders *os)
{
	uint64_t queued = 0, cooking = 0, in_queue = 0;
	size_t admitted = 0, held = 0, delayed = 0;
	int r;

	for (size_t i = 0; i < os->open.cap; i++) {
		const struct order *o = os->open.values[i];
		uint32_t served = 0, failed = 0, cancelled = 0, on_queue = 0;

		if (!os->open.keys[i])
			continue;
		admitted += o->phase == ORDER_WRITTEN;
		held += o->phase == ORDER_HELD;
		delayed += o->phase == ORDER_DELAYED;
		if (o->priority < PROTO_PRIORITY_MIN || o->priority > PROTO_PRIORITY_MAX)
			DISAGREE("order %llu has priority %u", (unsigned long long) o->id, o->priority);
		for (uint32_t j = 0; j < o->n_dishes; j++) {
			const struct dish *d = &o->dishes[j];

			if (d->order != o || d->index != j)
				DISAGREE("dish %llu does not point at its order", (unsigned long long) d->id);
			if (d->in_queue && ((d->state != PROTO_STATE_QUEUED && d->state != PROTO_STATE_CANCELLED) ||
					    o->phase != ORDER_OPEN))
				DISAGREE("dish %llu is on the queue while %s, its order in phase %d",
					 (unsigned long long) d->id, proto_state_name(d->state), o->phase);
			if ((d->state == PROTO_STATE_COOKING) != (d->chef != NULL))
				DISAGREE("dish %llu is %s with%s a chef", (unsigned long long) d->id,
					 proto_state_name(d->state), d->chef ? "" : "out");
			if (d->cancelling && d->state != PROTO_STATE_COOKING)
				DISAGREE("dish %llu is %s, %scancelling", (unsigned long long) d->id,
					 proto_state_name(d->state), d->cancelling ? "" : "not ");
			if (o->phase != ORDER_OPEN && d->state != PROTO_STATE_QUEUED &&
			    !((o->phase == ORDER_HELD || o->phase == ORDER_DELAYED) && d->state == PROTO_STATE_CANCELLED))
				DISAGREE("dish %llu of a %s order is %s", (unsigned long long) d->id,
					 o->phase == ORDER_HELD ? "held" : o->phase == ORDER_DELAYED ? "delayed" : "written",
					 proto_state_name(d->state));
			if (o->phase == ORDER_OPEN && d->state == PROTO_STATE_QUEUED && !d->in_queue)
				DISAGREE("dish %llu is queued but not on the queue", (unsigned long long) d->id);
			queued += d->state == PROTO_STATE_QUEUED;
			cooking += d->state == PROTO_STATE_COOKING;
			served += d->state == PROTO_STATE_SERVED;
			failed += d->state == PROTO_STATE_FAILED;
			cancelled += d->state == PROTO_STATE_CANCELLED;
			on_queue += d->in_queue;
		}
		in_queue += on_queue;
		if (served != o->n_served || failed != o->n_failed || cancelled != o->n_cancelled ||
		    on_queue != o->n_in_queue)
			DISAGREE("order %llu counts %u served, %u failed, %u cancelled, %u on the queue; "
				 "its dishes say %u, %u, %u, %u", (unsigned long long) o->id, o->n_served, o->n_failed,
				 o->n_cancelled, o->n_in_queue, served, failed, cancelled, on_queue);
		if (order_done(o))
			DISAGREE("order %llu is done but still open", (unsigned long long) o->id);
	}
	if (queued != os->n_queued || cooking != os->n_cooking)
		DISAGREE("counters say %llu queued, %llu cooking; the dishes %llu, %llu",
			 (unsigned long long) os->n_queued, (unsigned long long) os->n_cooking,
			 (unsigned long long) queued, (unsigned long long) cooking);
	if ((r = check_queue(os, in_queue)) < 0)
		return r;
	if (admitted != os->admitted.len || held != os->held.len || delayed != os->delayed.len)
		DISAGREE("%zu written, %zu held and %zu delayed orders; lists of %zu and %zu, a heap of %zu",
			 admitted, held, delayed, os->admitted.len, os->held.len, os->delayed.len);
	if ((r = check_list(&os->admitted, ORDER_WRITTEN, &os->open)) < 0 ||
	    (r = check_list(&os->held, ORDER_HELD, &os->open)) < 0 ||
	    (r = check_heap(&os->delayed, &os->open)) < 0)
		return r;
	return 0;
}
