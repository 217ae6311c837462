/*
 * handshake — socket monitors on kitchend's secured sockets, to say who
 * failed the CURVE handshake.
 *
 * A peer that does not speak CURVE at all (or has the wrong server key)
 * fails before the ZAP handler (zap.h) is asked, so nothing but a socket
 * monitor sees it. handshake_watch() puts one on a socket (before its bind)
 * for ZMQ_EVENT_ACCEPTED, ZMQ_EVENT_DISCONNECTED and
 * ZMQ_EVENT_HANDSHAKE_FAILED_*; kitchend reads the events in its loop
 * (handshake_read()) and logs each failure, with the peer's address, at
 * warning:
 *
 *	Refused a peer on dispatch from 10.0.0.7: it does not speak CURVE (a plaintext peer)
 *
 * The address comes from the accepted connection, looked up (getpeername())
 * when kitchend reads the ACCEPTED event: a connection that is already gone
 * by then is logged without it. A failure that ZAP refused (HANDSHAKE_FAILED_AUTH)
 * was logged by the handler already and is not logged again. Lines go
 * through peer_log.h's limit. State is fixed: a table of HANDSHAKE_ADDRS
 * connection addresses, by fd.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <zmq.h>

#define HANDSHAKE_WATCH_MAX 4       /* sockets watched: kitchend's four */

struct handshake;

/* The monitors' state, their PAIR sockets made in @zctx. 0 or -ENOMEM. */
int handshake_new(void *zctx, struct handshake **ret);
void handshake_free(struct handshake **h);  /* NULL and *h == NULL are fine; before zmq_ctx_term() */

/* Monitor @sock (before its bind), named @what in the log. 0 or -errno. */
int handshake_watch(struct handshake *h, void *sock, const char *what);

/* Append the monitors' poll items (POLLIN) to @items; how many. */
size_t handshake_poll_items(struct handshake *h, zmq_pollitem_t *items);

/* Read monitor events, up to a budget; true when it stopped at the budget. */
bool handshake_read(struct handshake *h);
