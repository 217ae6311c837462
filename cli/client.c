#include "client.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "guard.h"
#include "keys.h"
#include "util.h"

const char *client_ipc_path(const char *endpoint)
{
	const char *prefix = "ipc://";
	size_t n = strlen(prefix);

	if (strncmp(endpoint, prefix, n) != 0)
		return NULL;
	if (endpoint[n] == '\0' || endpoint[n] == '@')
		return NULL;
	return endpoint + n;
}

/* The host of tcp://HOST:PORT (brackets and all), its length in *ret_len; NULL if not tcp. */
static const char *tcp_host(const char *ep, size_t *ret_len)
{
	const char *host, *colon;

	if (strncmp(ep, "tcp://", 6) != 0)
		return NULL;
	host = ep + 6;
	colon = strrchr(host, ':');
	if (!colon)
		return NULL;
	*ret_len = (size_t) (colon - host);
	return host;
}

static bool wildcard(const char *host, size_t len)
{
	static const char *const any[] = { "*", "0.0.0.0", "::", "[::]", "[*]" };

	for (size_t i = 0; i < ELEMENTSOF(any); i++)
		if (len == strlen(any[i]) && memcmp(host, any[i], len) == 0)
			return true;
	return false;
}

int client_events_endpoint(const char *control, const char *announced, char **ret)
{
	const char *path = client_ipc_path(control), *slash, *host, *via;
	size_t host_len, via_len;
	int n;

	if (!announced) {
		if (!path)
			return -ENOENT;
		slash = strrchr(path, '/');
		n = asprintf(ret, "ipc://%.*sevents.sock", slash ? (int) (slash - path + 1) : 0, path);
	} else if ((host = tcp_host(announced, &host_len)) && wildcard(host, host_len) &&
		   (via = tcp_host(control, &via_len)))
		n = asprintf(ret, "tcp://%.*s%s", (int) via_len, via, host + host_len);
	else
		n = asprintf(ret, "%s", announced);
	return n < 0 ? -ENOMEM : 0;
}

int client_check_ipc(const char *endpoint)
{
	const char *path = client_ipc_path(endpoint);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r = 0;

	if (!path)
		return 0;
	if (stat(path, &st) < 0)
		return -errno;
	/* A path libzmq cannot connect to either: let zmq_connect() say so. */
	if (strlen(path) >= sizeof(sa.sun_path))
		return 0;
	strcpy(sa.sun_path, path);

	/* Ask the kernel whether anyone listens: a file left behind by a
	 * daemon that died refuses at once, where libzmq would retry quietly
	 * until our timeout. Non-blocking: a full backlog (EAGAIN) is alive. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 &&
	    errno != EAGAIN && errno != EINPROGRESS)
		r = -errno;
	close(fd);
	return r;
}

int client_find_ipc(const char *const *endpoints, size_t n, uint64_t wait_ms, int *ret_errs)
{
	uint64_t deadline = now_ms() + wait_ms;

	for (;;) {
		for (size_t i = 0; i < n; i++) {
			ret_errs[i] = client_check_ipc(endpoints[i]);
			if (ret_errs[i] == 0)
				return (int) i;
		}
		if (now_ms() >= deadline)
			return -EHOSTUNREACH;
		(void) usleep(20 * 1000);
	}
}

static int set_int(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof(v)) < 0 ? -errno : 0;
}

static int clamp_ms(uint64_t ms)
{
	return ms > INT_MAX ? INT_MAX : (int) ms;
}

void client_free(struct client **c)
{
	if (!c || !*c)
		return;
	if ((*c)->monitor)
		zmq_close((*c)->monitor);
	if ((*c)->sock)
		zmq_close((*c)->sock);
	proto_msg_free(&(*c)->reply);
	free((*c)->endpoint);
	free((*c)->err_code);
	free((*c)->err_message);
	free((*c)->req);
	free((*c)->req_data);
	free(*c);
	*c = NULL;
}

int client_connect(void *sock, const char *endpoint, const struct keys_client *curve)
{
	int r = keys_client_for(sock, endpoint, curve);

	if (r < 0)
		return r;
	if (zmq_connect(sock, endpoint) < 0) {
		r = -errno;
		/* Unknown transport or a malformed address: the caller's mistake. */
		if (r == -EPROTONOSUPPORT || r == -ENOCOMPATPROTO)
			r = -EINVAL;
		return r;
	}
	return 0;
}

/* A PAIR socket that hears of our connection's drops (zmq_socket_monitor(3)). */
static int watch_drops(void *zctx, struct client *c)
{
	static unsigned long n;  /* an endpoint a closed client's may still hold is not reused */
	char ep[64];

	snprintf(ep, sizeof(ep), "inproc://client-drops-%lu", __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED));
	if (zmq_socket_monitor(c->sock, ep, ZMQ_EVENT_DISCONNECTED) < 0)
		return -errno;
	c->monitor = zmq_socket(zctx, ZMQ_PAIR);
	if (!c->monitor)
		return -errno;
	if (set_int(c->monitor, ZMQ_LINGER, 0) < 0 || zmq_connect(c->monitor, ep) < 0)
		return -errno;
	return 0;
}

bool client_dropped(struct client *c)
{
	bool any = false;
	zmq_msg_t m;

	zmq_msg_init(&m);
	while (zmq_msg_recv(&m, c->monitor, ZMQ_DONTWAIT) >= 0) {
		/* An event is two frames: the event, then the endpoint. */
		if (!zmq_msg_more(&m))
			any = true;
	}
	zmq_msg_close(&m);
	return any;
}

int client_new(void *zctx, const char *endpoint, uint64_t timeout_ms, const struct keys_client *curve,
	       struct client **ret)
{
	struct client *c;
	int64_t max = PROTO_MAX_BIG;  /* OUTPUT's replies */
	int r;

	r = client_check_ipc(endpoint);
	if (r < 0)
		return r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->endpoint = strdup(endpoint);
	c->timeout_ms = timeout_ms;
	c->reply = proto_msg_new();
	if (!c->endpoint || !c->reply) {
		r = -ENOMEM;
		goto fail;
	}
	c->sock = zmq_socket(zctx, ZMQ_REQ);
	if (!c->sock) {
		r = -errno;
		goto fail;
	}
	/* IMMEDIATE: a request is queued only to a connection that is up, and
	 * goes with it when it drops, so a request sent again (RELAXED) after
	 * a drop is never there twice. */
	if ((r = set_int(c->sock, ZMQ_LINGER, 0)) < 0 ||
	    (r = set_int(c->sock, ZMQ_SNDTIMEO, clamp_ms(timeout_ms))) < 0 ||
	    (r = set_int(c->sock, ZMQ_IMMEDIATE, 1)) < 0 ||
	    (r = set_int(c->sock, ZMQ_REQ_RELAXED, 1)) < 0 ||
	    (r = watch_drops(zctx, c)) < 0)
		goto fail;
	if (zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0) {
		r = -errno;
		goto fail;
	}
	r = client_connect(c->sock, endpoint, curve);
	if (r < 0)
		goto fail;
	*ret = c;
	return 0;

fail:
	client_free(&c);
	return r;
}

static int dup_text(const struct proto_msg *m, size_t i, char **ret)
{
	const struct proto_field *f = &m->fields[i];
	char *s;

	if (!proto_text_valid(f->data, f->len, true))
		return -EBADMSG;
	s = strndup(f->data, f->len);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* The message just read into c->reply (@r: proto_recv()'s return), as client_call_fields() says it. */
static int take_reply(struct client *c, int r)
{
	if (r == -EPROTO && c->reply->other_version[0])
		return -EPROTONOSUPPORT;  /* kitchend of another release */
	if (r == -EPROTO)
		return -EBADMSG;
	if (r < 0)
		return r;
	if (c->reply->cmd == PROTO_ERR) {
		if ((r = dup_text(c->reply, 0, &c->err_code)) < 0 ||
		    (r = dup_text(c->reply, 1, &c->err_message)) < 0)
			return r;
		return -EREMOTEIO;
	}
	/* A request or an event where a reply belongs: not for us. */
	if (c->reply->cmd != PROTO_OK)
		return -EBADMSG;
	return 0;
}

#define DROP_CHECK_MS 100  /* how often a wait looks for a dropped connection */

/*
 * The reply, until @deadline. -ECONNRESET: the connection dropped with no
 * reply; the request may never have been read (a kitchend that stopped,
 * its socket kept by systemd for the next one): send it again.
 */
static int recv_reply(struct client *c, const struct guard *g, uint64_t deadline)
{
	int r;

	for (;;) {
		uint64_t now = now_ms(), left = now >= deadline ? 0 : deadline - now;
		bool drop = client_dropped(c);

		/* A reply comes before the drop that followed it: look once more. */
		r = guard_poll(c->sock, g, drop ? 0 : left < DROP_CHECK_MS ? left : DROP_CHECK_MS);
		if (r == 0 && drop)
			return -ECONNRESET;
		if (r == 0 && left == 0)
			return -ETIMEDOUT;
		if (r > 0) {
			r = proto_recv(c->sock, 0, c->reply, ZMQ_DONTWAIT);
			if (r != -EAGAIN && r != -EINTR)
				break;
		} else if (r < 0 && r != -EINTR)  /* stopped and continued (^Z, fg): wait out the rest */
			return r;
	}
	return take_reply(c, r);
}

static int send_fields(struct client *c, enum proto_cmd cmd, const struct proto_field *fields, size_t n)
{
	struct proto_out o;
	int r;

	proto_out_begin(&o, c->sock, cmd);
	for (size_t i = 0; i < n; i++)
		proto_out_mem(&o, fields[i].data, fields[i].len);
	r = proto_out_end(&o, 0);
	return r == -EAGAIN ? -ETIMEDOUT : r;
}

static int send_request(struct client *c, enum proto_cmd cmd, const struct proto_field *fields, size_t n,
			uint64_t deadline)
{
	zmq_pollitem_t item = { .socket = c->sock, .events = ZMQ_POLLOUT };
	uint64_t now;
	int r;

	for (;;) {
		/* IMMEDIATE: writable once a connection is up (proto_out sends all
		 * but the last frame without waiting). */
		do {
			now = now_ms();
			r = zmq_poll(&item, 1, now >= deadline ? 0 : clamp_ms(deadline - now));
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		/* A connection is up: the drops heard so far were of earlier ones
		 * (one that went before its handshake, say), not of this request's. */
		(void) client_dropped(c);
		r = send_fields(c, cmd, fields, n);
		/* -ETIMEDOUT: the connection went between the poll and the send
		 * (kitchend restarting): wait for the next one. */
		if (r != -ETIMEDOUT || now_ms() >= deadline)
			return r;
	}
}

/* Forget the last refusal; -EMSGSIZE for a request kitchend would not take. */
static int request_check(struct client *c, enum proto_cmd cmd, const struct proto_field *fields, size_t n)
{
	/* proto.c's table: only ORDER and ORDERS, of the requests, have frames over PROTO_MAX_FIELD. */
	size_t max = cmd == PROTO_ORDER || cmd == PROTO_ORDERS ? PROTO_MAX_BIG : PROTO_MAX_FIELD;

	freep(&c->err_code);
	freep(&c->err_message);

	/* kitchend would drop the connection over it, and we would wait for nothing. */
	for (size_t i = 0; i < n; i++)
		if (fields[i].len > max)
			return -EMSGSIZE;
	return 0;
}

/* Keep a copy of the request for client_resend(). -ENOMEM. */
static int keep_request(struct client *c, enum proto_cmd cmd, const struct proto_field *fields, size_t n)
{
	size_t total = 0, off = 0;

	for (size_t i = 0; i < n; i++)
		total += fields[i].len;
	freep(&c->req);
	freep(&c->req_data);
	c->n_req = 0;
	c->req = calloc(n ? n : 1, sizeof(*c->req));
	c->req_data = malloc(total ? total : 1);
	if (!c->req || !c->req_data)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(c->req_data + off, fields[i].data, fields[i].len);
		c->req[i] = (struct proto_field) { c->req_data + off, fields[i].len };
		off += fields[i].len;
	}
	c->req_cmd = cmd;
	c->n_req = n;
	return 0;
}


int client_send_fields(struct client *c, enum proto_cmd cmd, const struct proto_field *fields, size_t n)
{
	int r;

	r = request_check(c, cmd, fields, n);
	if (r < 0)
		return r;
	r = keep_request(c, cmd, fields, n);
	if (r < 0)
		return r;
	(void) client_dropped(c);  /* drops heard so far were before this request */
	r = send_fields(c, cmd, fields, n);
	/* The connection the caller saw up went meanwhile: wait for the next. */
	if (r == -ETIMEDOUT)
		r = send_request(c, cmd, fields, n, now_ms() + c->timeout_ms);
	return r;
}

/* Whether a request may go out twice: every one but an ORDER without a key
 * (ORDER's fields: flags, key, ...) and an ORDERS, which kitchend would
 * take twice. */
static bool may_repeat(enum proto_cmd cmd, const struct proto_field *fields, size_t n)
{
	if (cmd == PROTO_ORDERS)
		return false;
	return cmd != PROTO_ORDER || (n > 1 && fields[1].len > 0);
}


int client_take(struct client *c)
{
	int r = proto_recv(c->sock, 0, c->reply, ZMQ_DONTWAIT);

	return r == -EINTR ? -EAGAIN : r == -EAGAIN ? r : take_reply(c, r);
}


int client_call_fields(struct client *c, enum proto_cmd cmd, const struct proto_field *fields, size_t n,
		       uint64_t wait_ms)
{
	uint64_t deadline = now_ms() + wait_ms;
	struct guard g;
	int r;

	r = request_check(c, cmd, fields, n);
	if (r < 0)
		return r;
	for (;;) {
		/* A REQ socket has nothing queued before its request. */
		guard_reset(&g);
		r = send_request(c, cmd, fields, n, deadline);
		if (r < 0)
			return r;
		r = recv_reply(c, &g, deadline);
		if (r != -ECONNRESET || !may_repeat(cmd, fields, n))
			return r;
	}
}

int client_call(struct client *c, enum proto_cmd cmd, const char *const *args, size_t n_args,
		uint64_t wait_ms)
{
	_cleanup_free_ struct proto_field *fields = calloc(n_args ? n_args : 1, sizeof(*fields));

	if (!fields)
		return -ENOMEM;
	for (size_t i = 0; i < n_args; i++)
		fields[i] = (struct proto_field) { args[i], strlen(args[i]) };
	return client_call_fields(c, cmd, fields, n_args, wait_ms);
}

int client_resend(struct client *c, uint64_t wait_ms)
{
	if (!c->req || !may_repeat(c->req_cmd, c->req, c->n_req))
		return -ECONNRESET;
	return send_request(c, c->req_cmd, c->req, c->n_req, now_ms() + wait_ms);
}
