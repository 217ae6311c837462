#include "outputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kitchen.h"
#include "log.h"
#include "proto.h"
#include "reply.h"
#include "store.h"
#include "util.h"

struct output_group {
	unsigned index;
	enum proto_state state;
	size_t at, len;  /* in the reply's bytes */
};

/* A reply being read from the store. */
struct reply {
	struct output_group *groups;
	size_t n, cap;
	char *bytes;
	size_t len, size;
	int error;
};

static int take(unsigned index, enum proto_state state, const void *output, size_t len, void *userdata)
{
	struct reply *rp = userdata;
	struct output_group *g;

	if (rp->n > 0 && rp->len + len > PROTO_OUTPUT_REPLY_MAX)
		return 1;  /* the rest next time */
	if (rp->n == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 16;
		g = reallocarray(rp->groups, cap, sizeof(*g));
		if (!g)
			return -ENOMEM;
		rp->groups = g;
		rp->cap = cap;
	}
	if (buf_reserve(&rp->bytes, &rp->size, rp->len + len + 1) < 0)
		return -ENOMEM;
	memcpy(rp->bytes + rp->len, output, len);
	rp->groups[rp->n++] = (struct output_group) { index, state, rp->len, len };
	rp->len += len;
	return 0;
}

void outputs_answer(struct kitchen *k, const struct proto_msg *m)
{
	const void *rid = m->env[0].data;
	size_t rid_len = m->env[0].len;
	struct reply rp = { 0 };
	struct proto_out out;
	uint64_t id, first;
	unsigned next;
	int r;

	if (proto_u64(m, 0, &id) < 0 || proto_u64(m, 1, &first) < 0 || first > PROTO_ORDER_MAX_DISHES)
		return reply_err(k, rid, rid_len, PROTO_ERR_BAD_REQUEST,
				 "OUTPUT takes an order id and the index of a dish of it");
	r = store_outputs(k->store, id, (unsigned) first, take, &rp, &next);
	if (r == -ENOENT)
		reply_err(k, rid, rid_len, PROTO_ERR_NOT_FOUND, "no order %llu", (unsigned long long) id);
	else if (r < 0) {
		log_fields(LOG_ERR, r, &(struct log_about) { .order = id },
			   "Failed to read the outputs of order %llu: %m", (unsigned long long) id);
		reply_err(k, rid, rid_len, PROTO_ERR_INTERNAL, "could not read the outputs");
	} else {
		reply_begin(k, &out, PROTO_OK, rid, rid_len);
		proto_out_u64(&out, next);
		for (size_t i = 0; i < rp.n; i++) {
			const struct output_group *g = &rp.groups[i];
			proto_out_u64(&out, g->index);
			proto_out_str(&out, proto_state_name(g->state));
			proto_out_mem(&out, rp.bytes + g->at, g->len);
		}
		reply_end(&out);
	}
	free(rp.groups);
	free(rp.bytes);
}
