/*
 * socket_limits — the bounds on what a peer can make kitchend hold.
 *
 * socket_limits_apply() sets, on each of kitchend's four sockets, before
 * bind:
 *
 *	socket    ZMQ_MAXMSGSIZE     ZMQ_RCVHWM   ZMQ_SNDHWM
 *	control   CONTROL_FRAME_MAX  64           256
 *	events    EVENTS_FRAME_MAX   (default)    PROTO_EVENTS_BACKLOG
 *	dispatch  DISPATCH_FRAME_MAX 64           (default)
 *	sink      PROTO_MAX_BIG      64           -
 *
 * and on every socket ZMQ_HANDSHAKE_IVL HANDSHAKE_MS (a peer that has not
 * finished the ZMTP handshake, CURVE included, by then is cut off: a
 * connection that never says anything holds a descriptor that long, not the
 * default 30 s), and on tcp:// ones ZMQ_HEARTBEAT_IVL/TIMEOUT (a peer that
 * answers no ZMTP PING for HEARTBEAT_TIMEOUT_MS, a host gone without a FIN,
 * is cut off).
 *
 * libzmq checks ZMQ_MAXMSGSIZE per frame, in the handshake too, and hangs up
 * on a peer that sends a longer one. Each limit is what the socket's
 * messages need: control requests have no frame over a dish's input and
 * what ORDERS packs beside it (PROTO_MAX_INPUT bytes; dishes.max_input
 * refuses longer ones in words),
 * dispatch takes READY (names of PROTO_MAX_NAME, skills of PROTO_MAX_SKILLS
 * of them) and HEARTBEAT, events only subscriptions (SUBSCRIPTION_MAX), sink
 * results of up to PROTO_MAX_BIG a frame (a program's output); and at least
 * CURVE's INITIATE (about 270 bytes, plus the client's
 * routing id in its metadata, at most 255). The high-water marks count whole
 * messages per peer: a peer that sends faster than kitchend reads is slowed
 * down (the socket stops reading from it), nothing is lost. On control, a
 * reply to a client that does not read its replies is dropped past SNDHWM;
 * on events, an event for a subscriber that does not read (events carry a
 * seq, so it can tell: proto.h).
 *
 * So one connection can make kitchend hold RCVHWM whole messages plus the
 * one being received. What stays unbounded, because libzmq 4.3 gives no
 * handle on it: the frames of one message (libzmq keeps a multipart message
 * in the connection's pipe until its last frame arrives, each frame
 * counted against no limit; proto_recv() drops it once whole), and the
 * number of subscriptions of one subscriber (the XPUB's trie keeps each).
 * Only who may connect bounds those: the ipc socket files' modes, CURVE and
 * the allowlists on tcp. docs/protocol.md states the figures.
 */
#pragma once

#include "config.h"
#include "proto.h"

#define SUBSCRIPTION_MAX 256        /* bytes: the 1-byte (un)subscribe flag and a topic of at most 255 */
/* A dish's input, or an ORDERS group: its length, order number and dish name beside the input. */
#define CONTROL_FRAME_MAX (PROTO_MAX_INPUT + 128)
#define EVENTS_FRAME_MAX 512
#define DISPATCH_FRAME_MAX (PROTO_MAX_SKILLS * (PROTO_MAX_NAME + 1) + 1024)
#define HANDSHAKE_MS 5000
#define HEARTBEAT_IVL_MS 5000
#define HEARTBEAT_TIMEOUT_MS 15000

/* Set @which's limits on @sock, bound to @endpoint. 0 or -errno from zmq_setsockopt(). */
int socket_limits_apply(void *sock, enum config_endpoint which, const char *endpoint);
