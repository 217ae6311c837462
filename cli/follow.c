#include "follow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "guard.h"
#include "keys.h"
#include "util.h"

struct follow {
	void *sock;
	struct proto_msg *msg;
	struct guard guard;
};

void follow_event_clear(struct follow_event *ev)
{
	free(ev->dish);
	free(ev->chef);
	free(ev->text);
	free(ev->items);
	*ev = (struct follow_event) { 0 };
}

void follow_free(struct follow **f)
{
	if (!f || !*f)
		return;
	if ((*f)->sock)
		zmq_close((*f)->sock);
	proto_msg_free(&(*f)->msg);
	free(*f);
	*f = NULL;
}

int follow_new(void *zctx, const char *endpoint, const struct keys_client *curve, struct follow **ret)
{
	struct follow *f;
	int64_t max = PROTO_MAX_FIELD;
	int zero = 0;
	/* A followed order of many dishes sends ~17 events a dish; room for bursts. */
	int hwm = 100000;
	int r;

	r = client_check_ipc(endpoint);
	if (r < 0)
		return r;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->msg = proto_msg_new();
	if (!f->msg) {
		r = -ENOMEM;
		goto fail;
	}
	f->sock = zmq_socket(zctx, ZMQ_SUB);
	if (!f->sock ||
	    zmq_setsockopt(f->sock, ZMQ_LINGER, &zero, sizeof(zero)) < 0 ||
	    zmq_setsockopt(f->sock, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_setsockopt(f->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0) {
		r = -errno;
		goto fail;
	}
	r = client_connect(f->sock, endpoint, curve);
	if (r < 0)
		goto fail;
	guard_reset(&f->guard);
	*ret = f;
	return 0;

fail:
	follow_free(&f);
	return r;
}

int follow_add(struct follow *f, uint64_t order_id)
{
	char topic[64];
	int n = proto_order_topic(order_id, topic, sizeof(topic));

	if (zmq_setsockopt(f->sock, ZMQ_SUBSCRIBE, topic, (size_t) n) < 0)
		return -errno;
	/* An order placed: what kitchenctl holds grew, not what the socket does. */
	guard_reset(&f->guard);
	return 0;
}

static int text(const struct proto_msg *m, size_t i, bool multiline, char **ret)
{
	const struct proto_field *fl = &m->fields[i];

	if (!proto_text_valid(fl->data, fl->len, multiline))
		return -EBADMSG;
	*ret = strndup(fl->data, fl->len);
	return *ret ? 0 : -ENOMEM;
}

static int u64(const struct proto_msg *m, size_t i, uint64_t *ret)
{
	return proto_u64(m, i, ret) < 0 ? -EBADMSG : 0;
}

/* The fields after order_id and seq; proto_recv() has checked their count. */
static int decode_ordered(const struct proto_msg *m, struct follow_event *ev)
{
	return text(m, 2, true, &ev->dish);
}

/* STAGE, SERVED, FAILED, CANCELLED: index dish chef text, and a served dish's items after them. */
static int decode_dish(const struct proto_msg *m, struct follow_event *ev)
{
	int r;

	if ((r = u64(m, 2, &ev->index)) < 0 ||
	    (r = text(m, 3, false, &ev->dish)) < 0 ||
	    (r = text(m, 4, false, &ev->chef)) < 0 ||
	    (r = text(m, 5, false, &ev->text)) < 0)
		return r;
	return m->cmd == PROTO_SERVED ? text(m, 6, true, &ev->items) : 0;
}

static int decode_done(const struct proto_msg *m, struct follow_event *ev)
{
	int r;

	if ((r = text(m, 2, false, &ev->text)) < 0 ||
	    (r = u64(m, 3, &ev->served)) < 0 ||
	    (r = u64(m, 4, &ev->failed)) < 0 ||
	    (r = u64(m, 5, &ev->cancelled)) < 0)
		return r;
	return 0;
}

/* The order events, by command; NULL: not one (CHEF too: we never subscribe to "chef."). */
static int (*const decoders[_PROTO_CMD_MAX])(const struct proto_msg *m, struct follow_event *ev) = {
	[PROTO_ORDERED] = decode_ordered,
	[PROTO_STAGE] = decode_dish,
	[PROTO_SERVED] = decode_dish,
	[PROTO_FAILED] = decode_dish,
	[PROTO_CANCELLED] = decode_dish,
	[PROTO_DONE] = decode_done,
};
_Static_assert(_PROTO_CMD_MAX == 31,
	       "proto.h has a new command: if it is an order event, give it a decoder above; then count it here");

int follow_next(struct follow *f, uint64_t timeout_ms, struct follow_event *ev)
{
	char topic[64];
	int n, r;

	follow_event_clear(ev);
	r = guard_poll(f->sock, &f->guard, 0);
	if (r == 0) {
		uint64_t mark = guard_mark();

		r = guard_poll(f->sock, &f->guard, timeout_ms);
		if (r == 0)
			guard_settle(&f->guard, mark);
	}
	if (r == 0 || r == -EINTR)
		return -EAGAIN;
	if (r < 0)
		return r;

	r = proto_recv(f->sock, 1, f->msg, ZMQ_DONTWAIT);
	if (r == -EAGAIN || r == -EINTR)
		return -EAGAIN;
	if (r == -EPROTO)
		return -EBADMSG;
	if (r < 0)
		return r;

	ev->cmd = f->msg->cmd;
	r = u64(f->msg, 0, &ev->order);
	if (r >= 0)
		r = u64(f->msg, 1, &ev->seq);
	if (r >= 0) {
		/* The topic must be the event's own order: it is what we filtered on. */
		n = proto_order_topic(ev->order, topic, sizeof(topic));
		if (f->msg->env[0].len != (size_t) n ||
		    memcmp(f->msg->env[0].data, topic, (size_t) n) != 0)
			r = -EBADMSG;
	}
	if (r >= 0)
		r = decoders[ev->cmd] ? decoders[ev->cmd](f->msg, ev) : -EBADMSG;
	if (r < 0)
		follow_event_clear(ev);
	return r;
}
