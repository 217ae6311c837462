#include "order.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct order *order_new(uint64_t id, uint64_t created_ms, uint32_t n, uint64_t first_dish_id)
{
	struct order *o = calloc(1, sizeof(*o) + (size_t) n * sizeof(struct dish));

	if (!o)
		return NULL;
	o->id = id;
	o->created_ms = created_ms;
	o->n_dishes = n;
	for (uint32_t i = 0; i < n; i++) {
		o->dishes[i].id = first_dish_id + i;
		o->dishes[i].order = o;
		o->dishes[i].index = i;
		o->dishes[i].state = PROTO_STATE_QUEUED;
	}
	return o;
}

void order_free(struct order **o)
{
	if (!o || !*o)
		return;
	for (uint32_t i = 0; i < (*o)->n_dishes; i++)
		free((*o)->dishes[i].input);
	free(*o);
	*o = NULL;
}

int dish_set_input(struct dish *d, const void *input, size_t len)
{
	void *copy = NULL;

	if (len > UINT32_MAX)
		return -EINVAL;
	if (len > 0 && !(copy = malloc(len)))
		return -ENOMEM;
	if (len > 0)
		memcpy(copy, input, len);
	free(d->input);
	d->input = copy;
	d->input_len = (uint32_t) len;
	return 0;
}

enum proto_state order_state(const struct order *o)
{
	if (order_done(o))
		return proto_order_final_state(o->n_failed, o->n_cancelled);
	if (o->n_served + o->n_failed + o->n_cancelled > 0)
		return PROTO_STATE_COOKING;
	for (uint32_t i = 0; i < o->n_dishes; i++)
		if (o->dishes[i].state != PROTO_STATE_QUEUED || o->dishes[i].attempts > 0)
			return PROTO_STATE_COOKING;
	return PROTO_STATE_QUEUED;
}
