/*
 * web_kitchend — kitchen-web's way to kitchend: where its control and events
 * sockets are, the CURVE keys for a remote one, and one control request at
 * a time per caller.
 *
 * Endpoints are found as kitchenctl finds them: given (option or
 * kitchen-web.conf), else control.sock in the default runtime directory
 * (paths.h, only when trusted), and events.sock beside an ipc:// control
 * socket, else the events endpoint kitchend names in STATUS, asked once at
 * start (client_events_endpoint()). CURVE applies to tcp:// endpoints when both key files are given.
 *
 * Each call opens a REQ socket of its own (cli/client.h), sends one request
 * and closes it: HTTP requests are served on threads of their own, threads
 * share the zmq context but never a socket, and a REQ socket that timed out
 * could not be used again anyway. So kitchen-web has nothing to repair when
 * kitchend goes away and comes back: the next request connects anew.
 *
 *	struct web_kitchend *k;
 *	r = web_kitchend_new(cfg, &k, err, sizeof(err));
 *	struct client *c = NULL;
 *	r = web_kitchend_call(k, PROTO_STATUS, NULL, 0, &c);   // c->reply, c->err_*
 *	client_free(&c);
 *	web_kitchend_free(&k);
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "proto.h"

struct web_config;
struct keys_client;

struct web_kitchend {
	void *zctx; /* shared by every thread */
	char *control;
	char *events; /* NULL: none known (a tcp:// control, kitchend not there at start) */
	uint64_t timeout_ms;
	struct keys_client *curve; /* NULL: no CURVE */
};

/* 0, or -errno with the reason in @err (-EINVAL: bad keys or no control endpoint). */
int web_kitchend_new(const struct web_config *cfg, struct web_kitchend **ret, char *err,
		     size_t err_size);
void web_kitchend_free(struct web_kitchend **k); /* NULL and *k == NULL are fine */

/*
 * Send @cmd with @n_args fields on a new REQ socket and wait up to the
 * timeout (plus @extra_ms) for the reply. Whether it succeeds or not, the
 * client is handed over in *ret (the caller frees it with client_free()) so
 * that the caller can read c->reply or c->err_code; *ret is NULL only when
 * the socket could not be made. Returns client_call()'s 0 or -errno, or
 * client_new()'s (-ENOENT, -ECONNREFUSED: kitchend not there).
 */
int web_kitchend_call(struct web_kitchend *k, enum proto_cmd cmd, const char *const *args, size_t n_args,
		      uint64_t extra_ms, struct client **ret);

/* The HTTP status that stands for a failed call's @r, and for an ERR reply's
 * @err_code when r is -EREMOTEIO: 404 not-found, 400 bad request, 409
 * finished or key reused, 503 kitchend unreachable, full or closing, 502 a
 * reply kitchen-web cannot read. */
unsigned web_kitchend_http_status(int r, const char *err_code);
