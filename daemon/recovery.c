/*
 * recovery — what kitchend takes up from the store when it starts: every
 * open order, its queued and cooking dishes back on the queue.
 */
#include <errno.h>
#include <stdlib.h>

#include "kitchen.h"
#include "log.h"

struct recovery {
	struct kitchen *k;
	struct order *order;
};

static int recover_order(const struct store_order *so, void *userdata)
{
	struct recovery *rec = userdata;
	struct kitchen *k = rec->k;
	struct order *o = order_new(so->id, so->created_ms, so->n_dishes, so->first_dish);

	if (!o || idmap_put(&k->orders, o->id, o) < 0) {
		order_free(&o);
		return -ENOMEM;
	}
	o->committed = true;
	rec->order = o;
	return 0;
}

static int recover_dish(const struct store_dish *sd, void *userdata)
{
	struct recovery *rec = userdata;
	struct kitchen *k = rec->k;
	struct order *o = rec->order;
	struct dish *d;

	if (sd->index >= o->n_dishes)
		return 0;
	d = &o->dishes[sd->index];
	d->id = sd->id;
	d->attempts = (uint16_t) sd->attempts;
	d->item = menu_intern(&k->menu, sd->name);
	if (!d->item)
		return -ENOMEM;
	switch ((enum proto_state) sd->state) {
	case PROTO_STATE_SERVED:
		d->state = PROTO_STATE_SERVED;
		o->n_served++;
		break;
	case PROTO_STATE_FAILED:
		d->state = PROTO_STATE_FAILED;
		o->n_failed++;
		break;
	case PROTO_STATE_QUEUED:
	case PROTO_STATE_COOKING:
	case _PROTO_STATE_MAX:
		/* Whatever was cooking when kitchend stopped is cooked again. */
		d->state = PROTO_STATE_QUEUED;
		k->n_queued++;
		if (dish_queue_push_back(&k->queue, d) < 0)
			return -ENOMEM;
		break;
	}
	return 0;
}

int kitchen_recover(struct kitchen *k)
{
	struct recovery rec = { .k = k };
	uint64_t counts[_PROTO_STATE_MAX];
	int r;

	r = store_next_ids(k->store, &k->next_order_id, &k->next_dish_id);
	if (r >= 0)
		r = store_count(k->store, counts);
	if (r >= 0)
		r = store_load_open(k->store, recover_order, recover_dish, &rec);
	if (r < 0)
		return r;
	k->n_served = counts[PROTO_STATE_SERVED];
	k->n_failed = counts[PROTO_STATE_FAILED];

	/* An order whose last dish finished just as kitchend died. */
	for (size_t i = 0; i < k->orders.cap; i++) {
		struct order *o = k->orders.values[i];
		if (k->orders.keys[i] && order_done(o)) {
			kitchen_order_finished(k, o);
			i = (size_t) -1;  /* the map shifted; look again */
		}
	}
	if (k->orders.len)
		log_info("Resuming %llu dishes of %zu orders from the store",
			 (unsigned long long) k->n_queued, k->orders.len);
	return store_sync(k->store);
}
