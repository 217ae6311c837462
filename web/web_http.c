#include "web_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "util.h"
#include "web_api.h"
#include "web_assets.h"
#include "web_auth.h"
#include "web_config.h"
#include "web_events.h"
#include "web_metrics.h"
#include "web_reply.h"
#include "web_write.h"

struct web_http {
	struct MHD_Daemon *mhd;
	struct web_http_ctx *ctx;
	/* Listening on loopback: the names a browser on this machine uses for it,
	 * the only Host headers taken (others: a DNS rebinding). NULL: any. */
	char *hosts[3];
};

/* One request being received (libmicrohttpd calls the handler again per piece of body). */
struct request_state {
	char *body;
	size_t len;
	bool too_large;
};

/* One /api/events stream. */
struct stream {
	struct web_http_ctx *ctx;
	uint64_t cursor;
	char *pending; /* bytes to send, from @sent on */
	size_t pending_len, sent;
};

static const char CSP[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static void add_common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
}

static enum MHD_Result send_reply(struct MHD_Connection *con, struct web_reply *rep)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (rep->owned)
		resp = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		web_reply_clear(rep);
		return MHD_NO;
	}
	/* The response owns a malloc'd body now. */
	rep->owned = 0;
	MHD_add_response_header(resp, "Content-Type", rep->type);
	if (rep->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"kitchen-web\"");
	if (rep->allow)
		MHD_add_response_header(resp, "Allow", rep->allow);
	add_common_headers(resp);
	ret = MHD_queue_response(con, rep->status, resp);
	MHD_destroy_response(resp);
	web_reply_clear(rep);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *con, unsigned status, const char *code,
				  const char *msg, const char *allow)
{
	struct web_reply rep = { 0 };

	if (web_reply_error(&rep, status, code, "%s", msg) < 0)
		return MHD_NO;
	rep.allow = allow;
	return send_reply(con, &rep);
}

static const char *query_arg(void *data, const char *name)
{
	return MHD_lookup_connection_value(data, MHD_GET_ARGUMENT_KIND, name);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	while (s->sent >= s->pending_len) {
		char *line = NULL;
		int r;

		freep(&s->pending);
		s->pending_len = s->sent = 0;
		r = web_events_wait(s->ctx->events, &s->cursor, WEB_HTTP_KEEPALIVE_S * 1000, &line);
		if (r == -ECANCELED || r == -ENOMEM)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (r == -EAGAIN)
			r = asprintf(&s->pending, ": keepalive\n\n");
		else {
			r = asprintf(&s->pending, "data: %s\n\n", line);
			free(line);
		}
		if (r < 0) {
			s->pending = NULL;
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		s->pending_len = (size_t) r;
	}
	n = s->pending_len - s->sent;
	if (n > max)
		n = max;
	memcpy(buf, s->pending + s->sent, n);
	s->sent += n;
	return (ssize_t) n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	web_events_stream_close(s->ctx->events);
	free(s->pending);
	free(s);
}

/* A bounded send buffer (the kernel doubles it): a client that does not read
 * stalls its stream soon, not after megabytes (web_http.h). */
static void stream_sndbuf(struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	int size = WEB_HTTP_STREAM_SNDBUF;

	if (ci)
		(void) setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static enum MHD_Result serve_events(struct web_http_ctx *ctx, struct MHD_Connection *con)
{
	struct MHD_Response *resp;
	struct stream *s;
	enum MHD_Result ret;

	if (!ctx->events)
		return send_error(con, 503, "unavailable", "no events endpoint is known: set events",
				  NULL);
	if (web_events_stream_open(ctx->events, ctx->cfg->sse_clients) < 0)
		return send_error(con, 503, "busy", "too many event streams open", NULL);
	s = calloc(1, sizeof(*s));
	if (!s) {
		web_events_stream_close(ctx->events);
		return MHD_NO;
	}
	s->ctx = ctx;
	s->cursor = web_events_now(ctx->events);
	stream_sndbuf(con);
	/* The stream begins with a comment, so a client sees it open at once. */
	s->pending = strdup("retry: 2000\n: kitchen-web events\n\n");
	s->pending_len = s->pending ? strlen(s->pending) : 0;
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
	if (!resp) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	add_common_headers(resp);
	ret = MHD_queue_response(con, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result serve_get(struct web_http_ctx *ctx, struct MHD_Connection *con, const char *url)
{
	struct web_request req = { .method = "GET", .path = url, .arg = query_arg, .data = con };
	const struct web_asset *a;
	struct web_reply rep = { 0 };

	if (strcmp(url, "/api/events") == 0)
		return serve_events(ctx, con);
	if (web_api_is_route(url)) {
		if (web_api_get(ctx->kitchend, &req, &rep) < 0)
			return MHD_NO;
		return send_reply(con, &rep);
	}
	if (strcmp(url, WEB_METRICS_PATH) == 0) {
		if (web_metrics_get(ctx->kitchend, &rep) < 0)
			return MHD_NO;
		return send_reply(con, &rep);
	}
	if (web_write_is_route(url))
		return send_error(con, 405, "method-not-allowed", "this resource takes POST", "POST");
	a = web_asset_find(url);
	if (!a)
		return send_error(con, 404, "not-found", "no such resource", NULL);
	rep = (struct web_reply) {
		.status = 200, .type = a->type, .body = (char *) a->data, .len = a->len
	};
	return send_reply(con, &rep);
}

static enum MHD_Result check_write(struct web_http_ctx *ctx, struct MHD_Connection *con, bool *refused)
{
	struct web_auth_request ar = {
		.host = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST),
		.origin = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Origin"),
		.authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_AUTHORIZATION),
		.content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
							    MHD_HTTP_HEADER_CONTENT_TYPE),
	};
	const char *code, *msg, *cl;
	unsigned status;
	uint64_t len;

	*refused = true;
	status = web_auth_check(ctx->auth, &ar, &code, &msg);
	if (status)
		return send_error(con, status, code, msg, NULL);
	cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && (parse_u64(cl, 0, UINT64_MAX, &len) < 0 || len > WEB_HTTP_MAX_BODY))
		return send_error(con, 413, "too-large", "a request body is at most 64 KiB", NULL);
	*refused = false;
	return MHD_YES;
}

static bool host_allowed(const struct web_http *h, const char *host)
{
	if (!h->hosts[0])
		return true;
	for (size_t i = 0; host && i < ELEMENTSOF(h->hosts); i++)
		if (h->hosts[i] && strcasecmp(h->hosts[i], host) == 0)
			return true;
	return false;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *con, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size,
			      void **con_cls)
{
	struct web_http *h = cls;
	struct web_http_ctx *ctx = h->ctx;
	struct request_state *st = *con_cls;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	if (!st) {
		bool refused;
		enum MHD_Result ret;

		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		if (!host_allowed(
			    h, MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
			return send_error(con, 421, "misdirected",
					  "this server answers only to its own address (Host header)",
					  NULL);
		if (get)
			return serve_get(ctx, con, url);
		if (!post || !web_write_is_route(url))
			return send_error(con, 405, "method-not-allowed",
					  "this resource is read with GET",
					  web_write_is_route(url) ? "GET, HEAD, POST" : "GET, HEAD");
		/* Refused before any of the body is read. */
		ret = check_write(ctx, con, &refused);
		if (refused)
			return ret;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		/* Past the bound the rest is read and dropped (no Content-Length said so first). */
		if (!st->too_large && st->len + n > WEB_HTTP_MAX_BODY) {
			st->too_large = true;
			freep(&st->body);
		}
		if (!st->too_large) {
			char *b = realloc(st->body, st->len + n + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + st->len, upload_data, n);
			st->body = b;
			st->len += n;
			st->body[st->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->too_large)
		return send_error(con, 413, "too-large", "a request body is at most 64 KiB", NULL);
	{
		struct web_request req = { .method = method,
					   .path = url,
					   .arg = query_arg,
					   .data = con,
					   .body = st->body ? st->body : "",
					   .body_len = st->len };
		struct web_reply rep = { 0 };

		if (web_write_post(ctx->kitchend, &req, &rep) < 0)
			return MHD_NO;
		return send_reply(con, &rep);
	}
}

static void request_done(void *cls, struct MHD_Connection *con, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request_state *st = *con_cls;

	if (!st)
		return;
	free(st->body);
	free(st);
	*con_cls = NULL;
}

static int parse_listen(const char *listen, struct addrinfo **ret, char *err, size_t err_size)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	_cleanup_free_ char *host = strdup(listen);
	char *colon, *h;
	int r;

	if (!host)
		return -ENOMEM;
	colon = strrchr(host, ':');
	if (!colon) {
		snprintf(err, err_size, "listen: ADDRESS:PORT, not '%s'", listen);
		return -EINVAL;
	}
	*colon = '\0';
	h = host;
	if (*h == '[' && colon > h && colon[-1] == ']') {
		h++;
		colon[-1] = '\0';
	}
	r = getaddrinfo(h, colon + 1, &hints, ret);
	if (r != 0) {
		snprintf(err, err_size, "listen: cannot use '%s': %s", listen, gai_strerror(r));
		return -EINVAL;
	}
	return 0;
}

static void hosts_free(struct web_http *h)
{
	for (size_t i = 0; i < ELEMENTSOF(h->hosts); i++)
		freep(&h->hosts[i]);
}

static int loopback_hosts(struct web_http *h, const struct addrinfo *ai, const char *port)
{
	const struct sockaddr_in *in = (const void *) ai->ai_addr;
	const struct sockaddr_in6 *in6 = (const void *) ai->ai_addr;

	if (ai->ai_family == AF_INET && (ntohl(in->sin_addr.s_addr) >> 24) == 127) {
		char addr[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
		if (asprintf(&h->hosts[0], "%s:%s", addr, port) < 0)
			h->hosts[0] = NULL;
	} else if (ai->ai_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
		if (asprintf(&h->hosts[0], "[::1]:%s", port) < 0)
			h->hosts[0] = NULL;
	} else
		return 0;
	if (!h->hosts[0] || asprintf(&h->hosts[1], "localhost:%s", port) < 0 ||
	    asprintf(&h->hosts[2], "localhost.:%s", port) < 0) {
		hosts_free(h);
		return -ENOMEM;
	}
	return 0;
}

int web_http_start(struct web_http_ctx *ctx, struct web_http **ret, char *err, size_t err_size)
{
	const struct web_config *cfg = ctx->cfg;
	struct addrinfo *ai = NULL;
	struct web_http *h;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	int r;

	r = parse_listen(cfg->listen, &ai, err, err_size);
	if (r < 0)
		return r;
	h = calloc(1, sizeof(*h));
	if (!h) {
		freeaddrinfo(ai);
		return -ENOMEM;
	}
	h->ctx = ctx;
	r = loopback_hosts(h, ai, strrchr(cfg->listen, ':') + 1);
	if (r < 0) {
		freeaddrinfo(ai);
		free(h);
		return r;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, handle, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned) cfg->connections,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) cfg->per_ip,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) cfg->client_timeout_s,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) WEB_HTTP_MEMORY,
				  MHD_OPTION_NOTIFY_COMPLETED, request_done, h, MHD_OPTION_END);
	r = -errno;
	freeaddrinfo(ai);
	if (!h->mhd) {
		snprintf(err, err_size, "cannot listen on %s: %s", cfg->listen,
			 strerror(r < 0 ? -r : EADDRNOTAVAIL));
		hosts_free(h);
		free(h);
		return r < 0 ? r : -EADDRNOTAVAIL;
	}
	*ret = h;
	return 0;
}

void web_http_stop(struct web_http **hp)
{
	struct web_http *h;

	if (!hp || !*hp)
		return;
	h = *hp;
	MHD_stop_daemon(h->mhd);
	hosts_free(h);
	free(h);
	*hp = NULL;
}
