/*
 * guard — the bound on what kitchend (or whoever answers in its place) can
 * make kitchenctl hold.
 *
 * ZMQ_MAXMSGSIZE bounds a frame and proto_recv() drops a message of more than
 * PROTO_MAX_FRAMES frames, but libzmq holds a multipart message whole before
 * its first frame can be read, and bounds neither its frames nor the bytes of
 * the messages queued: a reply of 16384 frames of 64 KiB is a GiB in memory
 * before kitchenctl sees any of it. So while it waits on a socket, kitchenctl
 * watches its own resident memory: grown by more than GUARD_MAX_BYTES (twice
 * the largest message the protocol allows) beyond a baseline, the peer is
 * sending more than any kitchend would, and the wait ends with -ENOBUFS. The
 * caller then drops the socket (and exits).
 *
 * The baseline is taken where nothing can be queued (a REQ socket sends its
 * request) or where kitchenctl itself grows (an order placed), and after a
 * wait in which nothing came and memory did not grow either: a message on
 * its way grows it, piece by piece, long before it can be read. (So a peer
 * that sends less than that bound in every wait still gets it through, a
 * wait at a time: --deadline bounds those.)
 *
 *	struct guard g;
 *	guard_reset(&g);                  // nothing queued: a request just went out
 *	r = guard_poll(sock, &g, 3000);   // 1 readable, 0 time out, -ENOBUFS, -errno
 */
#pragma once

#include <stdint.h>

#include "proto.h"

#define GUARD_MAX_BYTES (2ull * PROTO_MAX_FRAMES * PROTO_MAX_FIELD)

struct guard {
	uint64_t base;   /* resident bytes when the socket was last empty */
};

/* The socket has nothing queued: memory from now on is what it brings. */
void guard_reset(struct guard *g);
/* Resident memory now, to begin a wait that guard_settle() ends. */
uint64_t guard_mark(void);
/* A wait begun at @mark ended with nothing readable: if memory did not grow
 * meanwhile, nothing is on its way either, and that is the new baseline. */
void guard_settle(struct guard *g, uint64_t mark);
/* 0, or -ENOBUFS once resident memory grew past the bound. */
int guard_check(const struct guard *g);
/*
 * Wait up to @timeout_ms for @sock to be readable, checking the bound every
 * few milliseconds: 1 readable, 0 not in time, -EINTR (a signal: the caller
 * decides), -ENOBUFS, other -errno from zmq_poll().
 */
int guard_poll(void *sock, const struct guard *g, uint64_t timeout_ms);
