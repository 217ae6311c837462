/*
 * pending — kitchenctl requests answered later. See pending.h.
 */
#include "pending.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "kitchen.h"
#include "list.h"
#include "orders.h"
#include "reply.h"
#include "reports.h"
#include "store.h"
#include "util.h"

#define ROUTING_ID_MAX 255

struct client;

struct reply {
	uint8_t rid[ROUTING_ID_MAX];
	size_t rid_len;
	uint64_t order_id;
	uint32_t n_dishes;
	uint32_t n_orders;              /* an ORDERS's OK, a WAITS: its orders, ids @order_id on; else 0 */
	uint64_t next_open;             /* a WAITS: its orders before this one are done */
	enum { ACK, REPORT, NUMBERS } kind;  /* an ORDER's OK, a report of the order, OK numbers... */
	uint8_t n_numbers;
	uint64_t numbers[PENDING_NUMBERS_MAX];
	uint64_t batch;                 /* answered once it is committed */
	uint64_t deadline_ms;           /* a WAIT: answered by then, done or not */
	struct client *client;          /* a WAIT: whose */
	struct list_link link;          /* on the acks or the waits */
	struct list_link client_link;   /* a WAIT: among its client's, oldest first */
};

/* The WAITs of one routing id. */
struct client {
	uint64_t key;                   /* hash of the routing id, never 0 */
	struct list waits;
};

struct pending {
	struct list acks;               /* waiting for a commit, by batch */
	struct list waits;              /* WAITs, oldest first */
	struct idmap clients;           /* struct client by key */
};

#define REPLY(l) list_entry((l), struct reply, link)

int pending_new(struct pending **ret)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	idmap_init(&p->clients);
	*ret = p;
	return 0;
}

static void free_all(struct list *l)
{
	while (l->head) {
		struct reply *r = REPLY(l->head);
		list_remove(l, &r->link);
		free(r);
	}
}

static void free_client(void *value, void *u)
{
	free(value);
}

void pending_free(struct pending **pp)
{
	struct pending *p;

	if (!pp || !*pp)
		return;
	p = *pp;
	free_all(&p->acks);
	free_all(&p->waits);
	idmap_foreach(&p->clients, free_client, NULL);
	idmap_finish(&p->clients);
	free(p);
	*pp = NULL;
}

static struct reply *reply_new(const struct proto_field *rid, uint64_t order_id)
{
	struct reply *r;

	if (rid->len > ROUTING_ID_MAX)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	memcpy(r->rid, rid->data, rid->len);
	r->rid_len = rid->len;
	r->order_id = order_id;
	return r;
}

/* Queue @r for after the commit of the last batch written so far (or
 * @batch, if later). Batch numbers only grow, so acks stay in batch order. */
static void after_commit(struct kitchen *k, struct reply *r, uint64_t batch)
{
	uint64_t written = store_written(k->store);

	r->batch = batch > written ? batch : written;
	list_append(&k->pending->acks, &r->link);
}

int pending_ack(struct kitchen *k, const struct proto_field *rid, uint64_t order_id, uint32_t n_dishes,
		uint64_t batch)
{
	struct reply *r = reply_new(rid, order_id);

	if (!r)
		return -ENOMEM;
	r->n_dishes = n_dishes;
	after_commit(k, r, batch);
	return 0;
}

int pending_ack_orders(struct kitchen *k, const struct proto_field *rid, uint64_t first_id, uint32_t n_orders,
		       uint32_t n_dishes, uint64_t batch)
{
	struct reply *r = reply_new(rid, first_id);

	if (!r)
		return -ENOMEM;
	r->n_orders = n_orders;
	r->n_dishes = n_dishes;
	after_commit(k, r, batch);
	return 0;
}

int pending_ok(struct kitchen *k, const struct proto_field *rid, const uint64_t *numbers, size_t n)
{
	struct reply *r;

	assert(n <= PENDING_NUMBERS_MAX);
	r = reply_new(rid, 0);
	if (!r)
		return -ENOMEM;
	r->kind = NUMBERS;
	r->n_numbers = (uint8_t) n;
	memcpy(r->numbers, numbers, n * sizeof(*numbers));
	after_commit(k, r, 0);
	return 0;
}

int pending_report(struct kitchen *k, const struct proto_field *rid, uint64_t id)
{
	struct reply *r;

	if (store_written(k->store) <= store_committed(k->store)) {
		reports_order(k, rid->data, rid->len, id);
		return 0;
	}
	r = reply_new(rid, id);
	if (!r)
		return -ENOMEM;
	r->kind = REPORT;
	after_commit(k, r, 0);
	return 0;
}

/* ---- WAITs ---- */

static uint64_t client_key(const uint8_t *rid, size_t len)
{
	uint64_t h = fnv1a(FNV1A_SEED, rid, len);

	return h ? h : 1;  /* never 0: an empty slot of the map */
}

/* Take WAIT @w off both lists; it is then due: a report after the commit. */
static void wait_due(struct kitchen *k, struct reply *w)
{
	struct pending *p = k->pending;
	struct client *c = w->client;

	list_remove(&p->waits, &w->link);
	list_remove(&c->waits, &w->client_link);
	if (c->waits.len == 0) {
		idmap_remove(&p->clients, c->key);
		free(c);
	}
	w->client = NULL;
	w->kind = REPORT;
	after_commit(k, w, 0);
}

int pending_wait(struct kitchen *k, const struct proto_field *rid, uint64_t id, uint64_t deadline_ms)
{
	return pending_wait_orders(k, rid, id, 0, deadline_ms);
}

int pending_wait_orders(struct kitchen *k, const struct proto_field *rid, uint64_t first, uint32_t n,
			uint64_t deadline_ms)
{
	struct pending *p = k->pending;
	struct reply *w = reply_new(rid, first);
	struct client *c;
	uint64_t key;

	if (!w)
		return -ENOMEM;
	w->n_orders = n;
	w->next_open = first;
	key = client_key(w->rid, w->rid_len);
	/* Full: end the oldest long poll of this client, or of all, early. */
	c = idmap_get(&p->clients, key);
	if (c && c->waits.len >= PENDING_WAITS_PER_CLIENT)
		wait_due(k, list_entry(c->waits.head, struct reply, client_link));
	else if (p->waits.len >= PENDING_WAITS_MAX)
		wait_due(k, REPLY(p->waits.head));

	c = idmap_get(&p->clients, key);  /* wait_due() may have freed it */
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || idmap_put(&p->clients, key, c) < 0) {
			free(c);
			free(w);
			return -ENOMEM;
		}
		c->key = key;
	}
	w->deadline_ms = deadline_ms;
	w->client = c;
	list_append(&p->waits, &w->link);
	list_append(&c->waits, &w->client_link);
	return 0;
}

/* Whether the orders of WAIT or WAITS @w are no longer open: done (or
 * never were, which the report says). A WAITS moves past those it saw
 * done, so that it looks at each of its orders once done. */
static bool waited_for(struct kitchen *k, struct reply *w)
{
	uint64_t end = w->order_id + (w->n_orders ? w->n_orders : 1);

	for (; w->next_open < end; w->next_open++) {
		struct order *o = orders_get(k->orders, w->next_open);

		if (o && !order_done(o))
			return false;
	}
	return true;
}

void pending_expire_waits(struct kitchen *k, uint64_t now)
{
	struct list_link *l, *next;

	for (l = k->pending->waits.head; l; l = next) {
		struct reply *w = REPLY(l);

		next = l->next;
		if (w->deadline_ms <= now || waited_for(k, w))
			wait_due(k, w);
	}
}

uint64_t pending_next_deadline(const struct pending *p)
{
	uint64_t next = UINT64_MAX;

	for (const struct list_link *l = p->waits.head; l; l = l->next)
		if (REPLY(l)->deadline_ms < next)
			next = REPLY(l)->deadline_ms;
	return next;
}

bool pending_idle(const struct pending *p)
{
	return p->acks.len == 0;
}

size_t pending_waits(const struct pending *p)
{
	return p->waits.len;
}

/* Whether @a is the OK of an ORDER or ORDERS that placed order @id. */
static bool acknowledges(const struct reply *a, uint64_t id)
{
	return a->kind == ACK && id >= a->order_id && id - a->order_id < (a->n_orders ? a->n_orders : 1);
}

void pending_refuse_order(struct kitchen *k, uint64_t order_id, const char *code, const char *text)
{
	struct list *acks = &k->pending->acks;
	struct list_link *l, *next;

	for (l = acks->head; l; l = next) {
		struct reply *a = REPLY(l);

		next = l->next;
		if (!acknowledges(a, order_id))
			continue;
		list_remove(acks, &a->link);
		reply_err(k, a->rid, a->rid_len, code, "%s", text);
		free(a);
	}
}

void pending_store_full(struct kitchen *k)
{
	struct list *acks = &k->pending->acks;
	struct list_link *l, *next;

	/* A change made on request is not durable: it must not be said done. */
	for (l = acks->head; l; l = next) {
		struct reply *a = REPLY(l);

		next = l->next;
		if (a->kind != NUMBERS)
			continue;
		list_remove(acks, &a->link);
		reply_err(k, a->rid, a->rid_len, PROTO_ERR_FULL,
			  "the order store's disk is full: the change is made but not stored yet; it is "
			  "stored once there is space (until then a crash of kitchend undoes it)");
		free(a);
	}
	pending_after_commit(k, UINT64_MAX, false);
}

void pending_after_commit(struct kitchen *k, uint64_t committed, bool failed)
{
	struct list *acks = &k->pending->acks;

	pending_expire_waits(k, now_ms());

	while (acks->head && (REPLY(acks->head)->batch <= committed || failed)) {
		struct reply *a = REPLY(acks->head);
		struct proto_out out;

		list_remove(acks, &a->link);
		if (a->batch <= committed && a->kind == REPORT && a->n_orders)
			reports_order_states(k, a->rid, a->rid_len, a->order_id, a->n_orders);
		else if (a->batch <= committed && a->kind == REPORT)
			reports_order(k, a->rid, a->rid_len, a->order_id);
		else if (a->batch <= committed && a->kind == NUMBERS) {
			reply_begin(k, &out, PROTO_OK, a->rid, a->rid_len);
			for (size_t i = 0; i < a->n_numbers; i++)
				proto_out_u64(&out, a->numbers[i]);
			reply_end(&out);
		} else if (a->batch <= committed) {
			reply_begin(k, &out, PROTO_OK, a->rid, a->rid_len);
			proto_out_u64(&out, a->order_id);
			if (a->n_orders)
				proto_out_u64(&out, a->n_orders);
			proto_out_u64(&out, a->n_dishes);
			reply_end(&out);
		} else if (a->kind != ACK)
			reply_err(k, a->rid, a->rid_len, PROTO_ERR_INTERNAL,
				  "the order store failed; kitchend is stopping");
		else
			reply_err(k, a->rid, a->rid_len, PROTO_ERR_INTERNAL,
				  a->n_orders ? "the orders could not be stored; nothing was accepted" :
				  "the order could not be stored; nothing was accepted");
		free(a);
	}
}
