/*
 * web_http — kitchen-web's HTTP server (libmicrohttpd): the routes, the
 * bounds, and the headers every answer carries.
 *
 *	GET  /                     the dashboard (web_assets.h), /app.js, /style.css
 *	GET  /api/...              web_api.h
 *	GET  /api/events           Server-Sent Events of web_events.h
 *	POST /api/orders...        web_write.h, after web_auth.h
 *
 * One thread per connection, at most limits.connections of them
 * (limits.per_ip from one address); a connection idle or stalled for
 * limits.client_timeout_s is closed; a request's header is bounded by
 * libmicrohttpd's connection memory (WEB_HTTP_MEMORY: a larger one is
 * answered 431 and closed), a body by WEB_HTTP_MAX_BODY (413). An event
 * stream sends a comment every WEB_HTTP_KEEPALIVE_S, so it is never idle;
 * its socket's send buffer is at most WEB_HTTP_STREAM_SNDBUF, so a client
 * that stops reading holds little of the kernel's memory and nothing of
 * kitchen-web's but its place in the ring (web_events.h): once the buffer
 * is full, nothing is sent for limits.client_timeout_s and the stream is
 * closed; a client that reads again in time is told what it lost.
 * Listening on loopback, only a Host header naming it (127.0.0.1:PORT,
 * localhost:PORT) is answered, else 421: a page of another site whose name
 * was pointed at 127.0.0.1 (DNS rebinding) cannot read the API.
 * Pages are served with a Content-Security-Policy that allows only
 * kitchen-web's own scripts and styles (no inline script can run).
 *
 *	r = web_http_start(&ctx, &h, err, sizeof(err));
 *	...
 *	web_http_stop(&h);
 */
#pragma once

#include <stddef.h>

#define WEB_HTTP_MAX_BODY (64 * 1024)
#define WEB_HTTP_MEMORY (32 * 1024)
#define WEB_HTTP_KEEPALIVE_S 10
#define WEB_HTTP_STREAM_SNDBUF (128 * 1024)
/* Open files beside the connections: the listener, zmq's, kitchend's sockets. */
#define WEB_HTTP_SPARE_FDS 64

struct web_config;
struct web_kitchend;
struct web_events;
struct web_auth;

/* What the handlers share; owned by the caller, which outlives the server. */
struct web_http_ctx {
	const struct web_config *cfg;
	struct web_kitchend *kitchend;
	struct web_events *events; /* NULL: no events endpoint (/api/events is 503) */
	struct web_auth *auth;
};

struct web_http;

/* Listen on cfg->listen and serve. 0, or -errno with the reason in @err. */
int web_http_start(struct web_http_ctx *ctx, struct web_http **ret, char *err, size_t err_size);
/* Stop: wait for the connections' threads (cancel the events first). NULL is fine. */
void web_http_stop(struct web_http **h);
