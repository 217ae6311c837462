#include "socket_limits.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <zmq.h>

#include "proto.h"

static const struct {
	int64_t max_msg_size;
	int rcvhwm, sndhwm;  /* 0: libzmq's default */
} limits[_CONFIG_ENDPOINT_MAX] = {
	[CONFIG_ENDPOINT_CONTROL]  = { CONTROL_FRAME_MAX, 64, 256 },
	[CONFIG_ENDPOINT_EVENTS]   = { EVENTS_FRAME_MAX, 0, PROTO_EVENTS_BACKLOG },
	[CONFIG_ENDPOINT_DISPATCH] = { DISPATCH_FRAME_MAX, 64, 0 },
	[CONFIG_ENDPOINT_SINK]     = { PROTO_MAX_BIG, 64, 0 },
};

_Static_assert(PROTO_KEY_MAX < CONTROL_FRAME_MAX && SUBSCRIPTION_MAX < EVENTS_FRAME_MAX &&
	       PROTO_MAX_NAME < DISPATCH_FRAME_MAX, "a frame limit below what its messages need");

static int set_int(void *sock, int option, int value)
{
	return zmq_setsockopt(sock, option, &value, sizeof(value)) < 0 ? -errno : 0;
}

int socket_limits_apply(void *sock, enum config_endpoint which, const char *endpoint)
{
	int r;

	if ((unsigned) which >= _CONFIG_ENDPOINT_MAX)
		return -EINVAL;
	if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &limits[which].max_msg_size, sizeof(int64_t)) < 0)
		return -errno;
	if (limits[which].rcvhwm && (r = set_int(sock, ZMQ_RCVHWM, limits[which].rcvhwm)) < 0)
		return r;
	if (limits[which].sndhwm && (r = set_int(sock, ZMQ_SNDHWM, limits[which].sndhwm)) < 0)
		return r;
	if ((r = set_int(sock, ZMQ_HANDSHAKE_IVL, HANDSHAKE_MS)) < 0)
		return r;
	if (strncmp(endpoint, "tcp://", 6) == 0 &&
	    ((r = set_int(sock, ZMQ_HEARTBEAT_IVL, HEARTBEAT_IVL_MS)) < 0 ||
	     (r = set_int(sock, ZMQ_HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS)) < 0))
		return r;
	return 0;
}
