/*
 * socket_limits — the bounds on what a peer can make kitchend hold.
 *
 * socket_limits_apply() sets, on each of kitchend's four sockets, before
 * bind:
 *
 *	socket    ZMQ_MAXMSGSIZE         ZMQ_RCVHWM   ZMQ_SNDHWM
 *	control   PROTO_MAX_FIELD        64           256
 *	events    SUBSCRIPTION_MAX       (default)    (kitchen.c: 100000)
 *	dispatch  PROTO_MAX_FIELD        64           (default)
 *	sink      PROTO_MAX_FIELD        64           -
 *
 * libzmq checks ZMQ_MAXMSGSIZE per frame, and hangs up on a peer that sends
 * a longer one. The high-water marks count whole messages per peer: a peer
 * that sends faster than kitchend reads is slowed down (the socket stops
 * reading from it), nothing is lost. A legitimate peer has a few messages in
 * flight: kitchenctl's REQ one request, a chef a READY and heartbeats, a
 * station's PUSH one dish's stage lines and result. On control, a reply to a
 * client that does not read its replies is dropped past SNDHWM, so a client
 * may pipeline up to 256 requests.
 *
 * What stays unbounded, because libzmq gives no handle on it: libzmq holds a
 * multipart message whole before kitchend sees its first frame, so a peer can
 * make kitchend hold one message of any number of frames (each at most
 * PROTO_MAX_FIELD); proto_recv() drops it as malformed once it arrives. And
 * the XPUB keeps every distinct subscription of every subscriber. Only who
 * may connect bounds those: the ipc socket files' modes, CURVE on tcp.
 */
#pragma once

#include "config.h"

#define SUBSCRIPTION_MAX 256  /* bytes: the 1-byte (un)subscribe flag and a topic of at most 255 */

/* 0 or -errno from zmq_setsockopt(). */
int socket_limits_apply(void *sock, enum config_endpoint which);
