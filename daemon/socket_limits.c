#include "socket_limits.h"

#include <errno.h>
#include <stdint.h>
#include <zmq.h>

#include "proto.h"

static const struct {
	int64_t max_msg_size;
	int rcvhwm, sndhwm;  /* 0: libzmq's default (or kitchen.c's) */
} limits[_CONFIG_ENDPOINT_MAX] = {
	[CONFIG_ENDPOINT_CONTROL]  = { PROTO_MAX_FIELD, 64, 256 },
	[CONFIG_ENDPOINT_EVENTS]   = { SUBSCRIPTION_MAX, 0, 0 },
	[CONFIG_ENDPOINT_DISPATCH] = { PROTO_MAX_FIELD, 64, 0 },
	[CONFIG_ENDPOINT_SINK]     = { PROTO_MAX_FIELD, 64, 0 },
};

int socket_limits_apply(void *sock, enum config_endpoint which)
{
	if ((unsigned) which >= _CONFIG_ENDPOINT_MAX)
		return -EINVAL;
	if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &limits[which].max_msg_size, sizeof(int64_t)) < 0)
		return -errno;
	if (limits[which].rcvhwm &&
	    zmq_setsockopt(sock, ZMQ_RCVHWM, &limits[which].rcvhwm, sizeof(int)) < 0)
		return -errno;
	if (limits[which].sndhwm &&
	    zmq_setsockopt(sock, ZMQ_SNDHWM, &limits[which].sndhwm, sizeof(int)) < 0)
		return -errno;
	return 0;
}
