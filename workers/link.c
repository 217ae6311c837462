#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "keys.h"

int link_open(void *ctx, const char *id, bool unbounded, const char *brigade, const char *sink,
	      const struct keys_client *curve, void **ret_pipe, void **ret_push)
{
	int linger = 0, sink_linger = LINK_SINK_LINGER_MS, hwm = 0;
	void *pipe, *push;
	int r;

	pipe = zmq_socket(ctx, ZMQ_DEALER);
	if (!pipe)
		return -errno;
	*ret_pipe = pipe;
	if (zmq_setsockopt(pipe, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    (unbounded && (zmq_setsockopt(pipe, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0 ||
			   zmq_setsockopt(pipe, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0)) ||
	    zmq_setsockopt(pipe, ZMQ_ROUTING_ID, id, strlen(id)) < 0 ||
	    zmq_connect(pipe, brigade) < 0) {
		/* Nobody to tell: *ret_pipe NULL says so. */
		r = -errno;
		zmq_close(pipe);
		*ret_pipe = NULL;
		return r;
	}

	/* From here on the brigade hears of a failure. */
	push = zmq_socket(ctx, ZMQ_PUSH);
	*ret_push = push;
	r = 0;
	if (!push ||
	    zmq_setsockopt(push, ZMQ_LINGER, &sink_linger, sizeof(sink_linger)) < 0 ||
	    (r = keys_client_for(push, sink, curve)) < 0 ||
	    zmq_connect(push, sink) < 0) {
		char err[16];
		int n;

		if (r == 0)
			r = -errno;
		n = snprintf(err, sizeof(err), "%d", -r);
		zmq_send(pipe, STATION_FAIL, strlen(STATION_FAIL), ZMQ_SNDMORE);
		zmq_send(pipe, err, (size_t) n, 0);
		return r;
	}
	return 0;
}

static bool rcvmore(void *sock)
{
	int more = 0;
	size_t len = sizeof(more);

	return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more;
}

static bool frame_is(const char *data, int len, const char *word)
{
	return len >= 0 && (size_t) len == strlen(word) && memcmp(data, word, (size_t) len) == 0;
}

int link_recv(void *pipe, int flags, struct link_msg *m)
{
	char cmd[16];
	unsigned char arg1[16];
	int n, alen[2] = { -1, -1 };
	size_t k = 0;

	n = zmq_recv(pipe, cmd, sizeof(cmd), flags);
	if (n < 0)
		return -errno;
	while (rcvmore(pipe)) {
		unsigned char junk[16];
		int r = k == 0 ? zmq_recv(pipe, m->ptrs, sizeof(m->ptrs), 0)
			: zmq_recv(pipe, k == 1 ? arg1 : junk, sizeof(junk), 0);

		if (r < 0)
			return -errno;
		if (k < 2)
			alen[k] = r;
		k++;
	}

	m->cmd = LINK_UNKNOWN;
	m->has_slot = false;
	if (frame_is(cmd, n, STATION_STOP) && k == 0) {
		m->cmd = LINK_STOP;
	} else if (frame_is(cmd, n, STATION_CANCEL) && k == 2 && alen[0] == 8 && alen[1] == 8) {
		memcpy(&m->id, m->ptrs, sizeof(m->id));
		memcpy(&m->attempt, arg1, sizeof(m->attempt));
		m->cmd = LINK_CANCEL;
	} else if (frame_is(cmd, n, STATION_DISH) && (k == 1 || (k == 2 && alen[1] == sizeof(m->slot))) &&
		   alen[0] > 0 && (size_t) alen[0] <= sizeof(m->ptrs) && alen[0] % sizeof(struct ticket *) == 0) {
		m->len = (size_t) alen[0];
		if (k == 2) {
			memcpy(&m->slot, arg1, sizeof(m->slot));
			m->has_slot = true;
		}
		m->cmd = LINK_DISH;
	}
	return 0;
}
