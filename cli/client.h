/*
 * client — kitchenctl's REQ socket to kitchend's control endpoint.
 *
 * One request, one reply, each bounded by the timeout: the socket has
 * ZMQ_LINGER 0 (closing never waits for a daemon that is gone), ZMQ_SNDTIMEO
 * from --timeout, and ZMQ_MAXMSGSIZE PROTO_MAX_FIELD (libzmq drops a peer
 * that sends a larger frame). What a reply of many frames costs is bounded
 * while it is awaited (guard.h); proto_recv() drops one of more than
 * PROTO_MAX_FRAMES.
 *
 *	r = client_new(zctx, "ipc:///run/kitchen/control.sock", 3000, NULL, &c);
 *	const char *args[] = { "42" };
 *	r = client_call(c, PROTO_SHOW, args, 1, 3000);
 *	if (r == 0)
 *		... c->reply holds the OK reply's fields
 *
 * A REQ socket that timed out cannot send again; kitchenctl gives up then
 * anyway (kitchend is unreachable), so the client does not try to recover.
 * A connection that drops before the reply is another matter: the request
 * is sent again, within the same time (a socket-activated kitchend that
 * restarts leaves the socket to the next one, kitchend(8)). Usually the
 * lost request was never read; but a reply can be lost with a kitchend
 * that exits (or crashes) just after taking the request, so a request sent
 * again may be taken twice. An ORDER with a key is taken once whatever
 * happens; an ORDER without one is not sent again: -ECONNRESET, and the
 * caller says the order may or may not be in.
 * The client never prints; the caller decides what an error means.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct client {
	void *sock;
	void *monitor;              /* PAIR: the REQ socket's drops (client.c) */
	char *endpoint;
	struct proto_msg *reply;    /* the last OK reply */
	char *err_code;             /* the last ERR reply, else NULL */
	char *err_message;
	uint64_t timeout_ms;        /* client_new()'s: how long a send may wait for a connection */
	/* client_send_fields()'s request, kept for client_resend(). */
	enum proto_cmd req_cmd;
	struct proto_field *req;    /* n_req fields, pointing into req_data */
	size_t n_req;
	char *req_data;
};

/*
 * Connect a REQ socket to @endpoint. For an ipc:// endpoint the socket file
 * is checked first, so a daemon that is not there is known at once:
 * -ENOENT (no socket file), -ECONNREFUSED (a stale file nobody listens on),
 * other -errno from connect(2) (e.g. -EACCES). -EINVAL for an endpoint
 * libzmq does not accept.
 */
struct keys_client;
/* @curve: CURVE keys for a tcp:// endpoint (keys_client_for()), or NULL. */
int client_new(void *zctx, const char *endpoint, uint64_t timeout_ms, const struct keys_client *curve,
	       struct client **ret);
void client_free(struct client **c);   /* NULL and *c == NULL are fine */

/*
 * Send @cmd with @n_args text fields and wait up to @wait_ms for the reply
 * (the caller's --timeout, plus a WAIT long poll's own time, cut to its
 * --deadline). 0: an OK reply, in c->reply. -EREMOTEIO: an ERR reply, in
 * c->err_code and c->err_message. -ETIMEDOUT: no reply in time. -EBADMSG: a
 * reply that is not a valid OK/ERR message. -ENOBUFS: a reply larger than
 * any kitchend sends (guard.h): do not use the client again.
 * -EPROTONOSUPPORT: a reply in another protocol version, named in
 * c->reply->other_version (kitchend of another release). -EMSGSIZE: a field
 * over PROTO_MAX_FIELD (not sent). Other -errno from libzmq.
 */
int client_call(struct client *c, enum proto_cmd cmd, const char *const *args, size_t n_args,
		uint64_t wait_ms);
/*
 * The same with fields of bytes (@fields[i].len bytes at .data, NUL bytes
 * and all): ORDER's inputs. -EMSGSIZE for a field over what kitchend takes
 * in a frame of @cmd (PROTO_MAX_BIG for ORDER, else PROTO_MAX_FIELD).
 */
int client_call_fields(struct client *c, enum proto_cmd cmd, const struct proto_field *fields, size_t n,
		       uint64_t wait_ms);

/* The filesystem path of an ipc:// endpoint, or NULL when @endpoint is not
 * one with a path (tcp://, abstract "ipc://@name"). Points into @endpoint. */
const char *client_ipc_path(const char *endpoint);

/*
 * client_call_fields() in two halves, for a caller that keeps several
 * clients busy at once (order_window.h): send the request (-EMSGSIZE,
 * -ETIMEDOUT when it cannot go out, other -errno), then, once the socket is
 * readable, take its reply without waiting: as client_call_fields() returns,
 * or -EAGAIN when none is there yet.
 */
int client_send_fields(struct client *c, enum proto_cmd cmd, const struct proto_field *fields, size_t n);
int client_take(struct client *c);
/*
 * For the same caller: whether @c's connection dropped since it last
 * looked (the request in flight may never have been read), and sending
 * client_send_fields()'s request again, as client_call_fields() does,
 * waiting up to @wait_ms for a connection (-ETIMEDOUT): -ECONNRESET for an
 * ORDER without a key, which is never sent twice.
 */
bool client_dropped(struct client *c);
int client_resend(struct client *c, uint64_t wait_ms);

/*
 * The events endpoint for a client of the control endpoint @control, in a
 * new string in *ret:
 * - @announced NULL (kitchend not asked): the events socket beside an ipc
 *   control socket, as kitchend binds them by default
 *   ("ipc://DIR/control.sock" -> "ipc://DIR/events.sock"); -ENOENT when
 *   @control is not ipc: ask kitchend (STATUS's events).
 * - @announced, kitchend's endpoints.events as configured: as it is, but a
 *   tcp:// one bound on every address ("*", "0.0.0.0", "::", "[::]") gets
 *   the host the client reached control by, when that is tcp:// too
 *   ("tcp://0.0.0.0:5556" with control "tcp://k1.example:5555" ->
 *   "tcp://k1.example:5556"). An ipc:// one is kitchend's machine's: it
 *   works only there.
 * -ENOMEM.
 */
int client_events_endpoint(const char *control, const char *announced, char **ret);

/* For an ipc:// endpoint with a path, whether something listens there:
 * 0 (or not such an endpoint), -ENOENT, -ECONNREFUSED, other -errno. */
int client_check_ipc(const char *endpoint);

/*
 * Which of @n endpoints to use, the first preferred, waiting up to @wait_ms
 * for one to come up: a kitchend started a moment before (`build/kitchend &`
 * then at once kitchenctl) binds its sockets some milliseconds later, and a
 * restarted one replaces a stale socket file. Every 20 ms each endpoint is
 * looked at with client_check_ipc(), in order; the first that is up wins (a
 * tcp:// endpoint always is: libzmq waits for it). Returns its index, or,
 * after @wait_ms, -EHOSTUNREACH with each endpoint's last answer in
 * @ret_errs[0..n) (-ENOENT, -ECONNREFUSED, -EACCES, ...).
 */
int client_find_ipc(const char *const *endpoints, size_t n, uint64_t wait_ms, int *ret_errs);

/* Connect @sock to @endpoint, with CURVE client keys first when @curve is set
 * and @endpoint is tcp://; a malformed endpoint is -EINVAL. 0 or -errno. */
int client_connect(void *sock, const char *endpoint, const struct keys_client *curve);
