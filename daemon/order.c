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
	for (uint32_t i = 0; (*o)->inputs && i < (*o)->n_dishes; i++)
		free((*o)->inputs[i]);
	free((*o)->inputs);
	free(*o);
	*o = NULL;
}

int dish_set_input(struct dish *d, const void *input, size_t len)
{
	struct order *o = d->order;
	struct dish_input *copy = NULL;

	if (len > UINT32_MAX)
		return -EINVAL;
	if (len == 0 && !o->inputs)
		return 0;
	if (!o->inputs && !(o->inputs = calloc(o->n_dishes, sizeof(*o->inputs))))
		return -ENOMEM;
	if (len > 0) {
		copy = malloc(sizeof(*copy) + len);
		if (!copy)
			return -ENOMEM;
		copy->len = (uint32_t) len;
		memcpy(copy->data, input, len);
	}
	free(o->inputs[d->index]);
	o->inputs[d->index] = copy;
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
