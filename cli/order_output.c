/*
 * --output: the outputs of an order's dishes, whole, from OUTPUT (a page at
 * a time, looping on "next"), raw on stdout in the order of the dishes;
 * with --json kept in the report instead (order.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "order.h"
#include "util.h"

/* What goes on stderr for a dish that gave no output. */
static void say_not_served(const struct order_batch *b, const struct order *o, size_t i,
			   enum proto_state state)
{
	const struct dish_report *d = &o->report->dishes[i];
	size_t n = o->first + i;
	char line[48] = "";

	if (b->inputs && n < b->inputs->n)
		snprintf(line, sizeof(line), ", line %zu", b->inputs->items[n].line);
	ctl_note("dish %zu (%s) %s: %s [order %llu #%zu%s]", n + 1, d->name,
		 state == PROTO_STATE_CANCELLED ? "cancelled" : "failed",
		 d->result[0] ? d->result : proto_state_name(state), (unsigned long long) o->id, i + 1,
		 line);
}

/* One group of an OUTPUT reply: dish @i ended in @state with @out. */
static int take(struct ctl *ctl, const struct order_batch *b, struct order *o, size_t i,
		enum proto_state state, const struct proto_field *out)
{
	struct dish_output *kept;

	if (state != PROTO_STATE_SERVED) {
		if (!ctl->json)
			say_not_served(b, o, i, state);
		return 0;
	}
	if (!ctl->json) {
		if (out->len > 0 && fwrite(out->data, 1, out->len, stdout) != out->len)
			return ctl_error(errno > 0 ? -errno : -EIO, "failed to write the output: %m");
		return 0;
	}
	kept = &o->report->outputs[i];
	/* One byte more, so that an empty output is kept too (non-NULL: served). */
	kept->data = malloc(out->len + 1);
	if (!kept->data)
		return ctl_error(-ENOMEM, "%m");
	memcpy(kept->data, out->data, out->len);
	kept->len = out->len;
	return 0;
}

/* OUTPUT order_id first -> OK next (index state output)...: take the groups, from dish @first on. */
static int page(struct ctl *ctl, const struct order_batch *b, struct order *o, size_t first,
		size_t *ret_next)
{
	char id[24], from[24];
	const char *args[] = { id, from };
	const struct proto_msg *m;
	size_t n_groups, want = first;
	uint64_t next;
	int r;

	snprintf(id, sizeof(id), "%llu", (unsigned long long) o->id);
	snprintf(from, sizeof(from), "%zu", first);
	r = ctl_request(ctl, PROTO_OUTPUT, args, 2, 0, &m);
	if (r < 0)
		return r;
	if (m->n_fields < PROTO_OUTPUT_FIXED ||
	    (m->n_fields - PROTO_OUTPUT_FIXED) % PROTO_OUTPUT_GROUP != 0 ||
	    proto_u64(m, 0, &next) < 0)
		return ctl_bad_reply(-EBADMSG, PROTO_OUTPUT);
	n_groups = (m->n_fields - PROTO_OUTPUT_FIXED) / PROTO_OUTPUT_GROUP;

	/* The order is done, so every dish from @first on has ended: they come
	 * in order, none left out, at least one, and "next" follows them. */
	if (n_groups == 0 || next != first + n_groups || next > o->n_dishes)
		return ctl_bad_reply(-EBADMSG, PROTO_OUTPUT);
	for (size_t g = 0; g < n_groups; g++, want++) {
		size_t k = PROTO_OUTPUT_FIXED + g * PROTO_OUTPUT_GROUP;
		uint64_t index;
		int state;

		if (proto_u64(m, k, &index) < 0 || index != want)
			return ctl_bad_reply(-EBADMSG, PROTO_OUTPUT);
		state = proto_state_from_name(m->fields[k + 1].data, m->fields[k + 1].len);
		if (state < 0 || !report_state_done((enum proto_state) state))
			return ctl_bad_reply(-EBADMSG, PROTO_OUTPUT);
		r = take(ctl, b, o, index, (enum proto_state) state, &m->fields[k + 2]);
		if (r < 0)
			return r;
	}
	*ret_next = next;
	return 0;
}

int order_output(struct ctl *ctl, const struct order_batch *b, struct order *o)
{
	size_t next = 0;
	int r;

	if (ctl->json && !o->report->outputs) {
		o->report->outputs = calloc(o->n_dishes ? o->n_dishes : 1, sizeof(*o->report->outputs));
		if (!o->report->outputs)
			return ctl_error(-ENOMEM, "%m");
	}
	while (next < o->n_dishes) {
		r = page(ctl, b, o, next, &next);
		if (r < 0)
			return r;
	}
	fflush(stdout);
	return 0;
}
