/*
 * order_window — many requests to kitchend in flight at once, for the
 * orders of `order --random N` and `order --inputs`, and the WAITs of
 * `order --wait` and `wait` for many orders: each ORDER's OK waits
 * for its commit, and kitchend commits what arrived meanwhile in one batch,
 * so a window of them shares one fsync instead of paying one each.
 *
 * The protocol has no request id, and a DEALER's replies come back in the
 * order kitchend sends them, which is not always the order of the requests:
 * an ERR goes out at once while the OKs before it wait for their commit. So
 * the window is @n REQ sockets ("slots") on the control endpoint, each with
 * one request at a time: a reply is its slot's, always, and a refusal names
 * the order it refuses.
 *
 *	r = order_window_new(ctl, 64, &w);              // ctl_connect() first
 *	i = order_window_idle(w);                       // a free slot, or -EBUSY: send on it
 *	r = order_window_send(w, i, PROTO_ORDER, fields, n, 0);
 *	r = order_window_next(ctl, w, more, &i);        // slot i answered (or failed):
 *		... 0: w->slots[i]->reply; -EREMOTEIO: ->err_code; else see client.h
 *	order_window_free(&w);
 *
 * Each request waits at most --timeout (and not past the --deadline:
 * -ETIME). A request whose connection drops (a restarted kitchend) goes
 * again, as client_call_fields() sends it again; an ORDER without a key
 * does not: its slot answers -ECONNRESET. A slot whose request timed out is dead (a REQ socket cannot send
 * again): it is never idle again. Nothing is said here; the caller says it
 * (ctl_call_failed()).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "guard.h"

struct order_window {
	struct client **slots;
	void *items;            /* zmq_pollitem_t[n] */
	uint64_t *sent_ms;      /* per slot: when its request went out; 0: idle */
	bool *dead;             /* per slot: timed out, not to be used again */
	bool *up;               /* per slot: its connection came up (it sent) */
	size_t *free;           /* slots that are idle and up, n_free of them */
	size_t n_free;
	size_t n;
	size_t busy;            /* slots awaiting a reply */
	size_t scan;            /* next item to look at after a poll */
	uint64_t created_ms;
	uint64_t drops_ms;      /* when the busy slots' connections were last looked at */
	struct guard guard;
};

int order_window_new(struct ctl *ctl, size_t n, struct order_window **ret);
/* ctl_connect() and order_window_new(), failures said (a kitchend gone
 * meanwhile is "not running", as anywhere else). */
int order_window_open(struct ctl *ctl, size_t n, struct order_window **ret);
void order_window_free(struct order_window **w);   /* NULL and *w == NULL are fine */

/* A slot with no request in flight whose connection is up (a REQ would
 * block in zmq_send() until then), or -EBUSY. Send on it next. */
int order_window_idle(struct order_window *w);
/* Send @cmd with @fields on idle slot @i (client_send_fields()'s returns);
 * kitchend may hold it @hold_ms (a WAIT's long poll) before --timeout counts. */
int order_window_send(struct order_window *w, size_t i, enum proto_cmd cmd, const struct proto_field *fields,
		      size_t n, uint64_t hold_ms);
/*
 * Wait for a busy slot's reply: its slot in *ret_slot and, as
 * client_call_fields() returns, 0, -EREMOTEIO, -ETIMEDOUT (the oldest
 * request's --timeout passed; its slot is dead), -EBADMSG, ...; the slot is
 * idle again (but after -ETIMEDOUT). With @send (the caller has more to
 * send), also -EAGAIN as soon as an idle slot's connection is up. With
 * *ret_slot n, no slot's: -EAGAIN; -ETIME when the --deadline passed
 * first; -ETIMEDOUT when no connection came up within --timeout and
 * nothing is in flight; -ENOBUFS (guard.h); -EIDRM with nothing in flight
 * (and not @send); zmq_poll()'s -errno.
 */
int order_window_next(const struct ctl *ctl, struct order_window *w, bool send, size_t *ret_slot);
/* Say why order_window_next() answered @r with no slot's reply, for
 * requests @cmd; the verb's return. */
int order_window_failed(struct ctl *ctl, const struct order_window *w, enum proto_cmd cmd, int r);
