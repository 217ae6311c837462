/*
 * zap.c — kitchend's ZAP handler and the handshake monitors of its CURVE sockets.
 */
#include "zap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "proto.h"
#include "util.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_FRAMES_MAX 16          /* a CURVE request has 9 with the envelope */
#define ZAP_FRAME_MAX 512          /* bytes kept of a frame; longer ones make it malformed */
#define ZAP_BUDGET 64              /* requests answered per loop turn */
#define EVENT_BUDGET 256           /* monitor events read per loop turn */
#define ADDRS 256                  /* connection addresses remembered, by fd */
#define SEEN 64                    /* peers recently logged */
#define SEEN_MS 60000
#define LOG_WINDOW_MS 60000

#define WATCH_EVENTS (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | \
		      ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

struct watch {
	void *sock;                 /* the secured socket (kitchend's) */
	void *pair;                 /* its monitor */
	char what[16];
	unsigned port;              /* its bound port, once known */
	uint16_t failed_event;      /* a handshake failure waiting for its DISCONNECTED */
	uint32_t failed_value;
};

struct addr_slot {
	int fd;                     /* -1: empty */
	char addr[INET6_ADDRSTRLEN + 8];
};

struct seen_slot {
	uint64_t hash;
	uint64_t at_ms;
};

struct zap {
	void *zctx;
	void *router;
	struct keys_allow chefs;
	struct keys_allow clients;
	uint8_t own_key[KEYS_BIN_LEN];

	struct watch watches[ZAP_WATCH_MAX];
	size_t n_watches;
	struct addr_slot addrs[ADDRS];

	struct seen_slot seen[SEEN];
	size_t seen_next;
	uint64_t window_start_ms;
	unsigned window_lines;
	unsigned long long suppressed;
};

/* ---- log limits ---- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Whether to log a line about the peer @hash now; counts what is not. */
static bool may_log(struct zap *z, uint64_t hash)
{
	uint64_t now = now_ms();

	for (size_t i = 0; i < SEEN; i++)
		if (z->seen[i].hash == hash && z->seen[i].at_ms && now - z->seen[i].at_ms < SEEN_MS) {
			z->suppressed++;
			return false;
		}
	if (now - z->window_start_ms >= LOG_WINDOW_MS) {
		z->window_start_ms = now;
		z->window_lines = 0;
	}
	if (z->window_lines >= ZAP_LOG_BURST) {
		z->suppressed++;
		return false;
	}
	z->window_lines++;
	z->seen[z->seen_next] = (struct seen_slot) { hash, now };
	z->seen_next = (z->seen_next + 1) % SEEN;
	return true;
}

/* ", N similar lines not logged" once, after some were held back. */
static const char *suppressed_note(struct zap *z, char *buf, size_t size)
{
	if (!z->suppressed)
		return "";
	snprintf(buf, size, " (and %llu more such lines not logged)", z->suppressed);
	z->suppressed = 0;
	return buf;
}

/* A peer's bytes as loggable text: @in when it is short single-line text, else @fallback. */
static const char *printable(const char *in, size_t len, char *buf, size_t size, const char *fallback)
{
	if (len == 0 || len >= size || !proto_text_valid(in, len, false))
		return fallback;
	memcpy(buf, in, len);
	buf[len] = '\0';
	return buf;
}

/* ---- allowlists ---- */

static void log_skipped(const char *path, int r, void *u)
{
	const char *domain = u;

	if (r == -EPERM)
		log_warning("Allowlist %s: ignoring %s: it holds a secret key", domain, path);
	else
		log_warning_errno(r, "Allowlist %s: ignoring %s: %m", domain, path);
}

static int load_list(const char *dir, const char *domain, struct keys_allow *ret)
{
	int r;

	if (!dir) {
		*ret = (struct keys_allow) { 0 };
		return 0;
	}
	r = keys_allow_load(dir, ret, log_skipped, (void *) domain);
	if (r < 0)
		return log_error_errno(r, "Failed to read the %s allowlist '%s': %m", domain, dir);
	return 0;
}

static int load_lists(struct zap *z, const struct kitchen_config *config)
{
	struct keys_allow chefs, clients;
	int r;

	r = load_list(config->curve_chefs_allow, ZAP_DOMAIN_CHEFS, &chefs);
	if (r < 0)
		return r;
	r = load_list(config->curve_clients_allow, ZAP_DOMAIN_CONTROL, &clients);
	if (r < 0) {
		keys_allow_finish(&chefs);
		return r;
	}
	keys_allow_finish(&z->chefs);
	keys_allow_finish(&z->clients);
	z->chefs = chefs;
	z->clients = clients;
	log_info("CURVE allowlists: %zu chef keys (%s), %zu kitchenctl keys (%s)",
		 chefs.n, config->curve_chefs_allow ? config->curve_chefs_allow : "none set",
		 clients.n, config->curve_clients_allow ? config->curve_clients_allow : "none set");
	return 0;
}

int zap_reload(struct zap *z, const struct kitchen_config *config)
{
	int r;

	if (!z)
		return 0;
	r = load_lists(z, config);
	if (r < 0)
		log_warning("Reload: keeping the allowlists in force (%zu chef keys, %zu kitchenctl keys)",
			    z->chefs.n, z->clients.n);
	return r;
}

/* ---- set-up ---- */

int zap_new(void *zctx, const struct kitchen_config *config, const struct keys_pair *own, struct zap **ret)
{
	struct zap *z;
	int linger = 0, r;

	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	z->zctx = zctx;
	for (size_t i = 0; i < ADDRS; i++)
		z->addrs[i].fd = -1;
	r = keys_decode(own->public_key, z->own_key);
	if (r < 0)
		goto fail;
	r = load_lists(z, config);
	if (r < 0)
		goto fail;

	z->router = zmq_socket(zctx, ZMQ_ROUTER);
	if (!z->router ||
	    zmq_setsockopt(z->router, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_bind(z->router, ZAP_ENDPOINT) < 0) {
		r = log_error_errno(-errno, "Failed to bind the ZAP handler at " ZAP_ENDPOINT ": %m");
		goto fail;
	}
	*ret = z;
	return 0;
fail:
	zap_free(&z);
	return r;
}

void zap_free(struct zap **zp)
{
	struct zap *z;

	if (!zp || !*zp)
		return;
	z = *zp;
	for (size_t i = 0; i < z->n_watches; i++)
		zmq_close(z->watches[i].pair);
	if (z->router)
		zmq_close(z->router);
	keys_allow_finish(&z->chefs);
	keys_allow_finish(&z->clients);
	free(z);
	*zp = NULL;
}

int zap_watch(struct zap *z, void *sock, const char *what)
{
	struct watch *w;
	char ep[64];
	int linger = 0;

	if (z->n_watches >= ZAP_WATCH_MAX)
		return -E2BIG;
	w = &z->watches[z->n_watches];
	*w = (struct watch) { .sock = sock };
	snprintf(w->what, sizeof(w->what), "%s", what);
	snprintf(ep, sizeof(ep), "inproc://kitchend-monitor-%zu", z->n_watches);
	if (zmq_socket_monitor(sock, ep, WATCH_EVENTS) < 0)
		return -errno;
	w->pair = zmq_socket(z->zctx, ZMQ_PAIR);
	if (!w->pair)
		return -errno;
	if (zmq_setsockopt(w->pair, ZMQ_LINGER, &linger, sizeof(linger)) < 0 || zmq_connect(w->pair, ep) < 0) {
		int r = -errno;
		zmq_close(w->pair);
		(void) zmq_socket_monitor(sock, NULL, 0);
		return r;
	}
	z->n_watches++;
	return 0;
}

size_t zap_poll_items(struct zap *z, zmq_pollitem_t *items)
{
	size_t n = 0;

	if (!z)
		return 0;
	items[n++] = (zmq_pollitem_t) { .socket = z->router, .events = ZMQ_POLLIN };
	for (size_t i = 0; i < z->n_watches; i++)
		items[n++] = (zmq_pollitem_t) { .socket = z->watches[i].pair, .events = ZMQ_POLLIN };
	return n;
}

/* ---- ZAP requests ---- */

struct frame {
	char data[ZAP_FRAME_MAX];
	size_t len;
};

/* Frames: [0] routing id, [1] "", [2] version, [3] request id, [4] domain,
 * [5] address, [6] identity, [7] mechanism, [8...] credentials. */
enum {
	F_RID, F_DELIM, F_VERSION, F_REQUEST, F_DOMAIN, F_ADDRESS, F_IDENTITY, F_MECHANISM, F_CREDENTIALS,
};

static bool frame_is(const struct frame *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->data, s, f->len) == 0;
}

/* One whole request: the frames kept in @f (how many in *ret_n), true when none was too long or too many. */
static int recv_request(void *sock, struct frame *f, size_t *ret_n, bool *ret_ok)
{
	bool ok = true;
	size_t n = 0;
	int more;

	do {
		zmq_msg_t m;
		size_t len;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, sock, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			int r = -errno;
			zmq_msg_close(&m);
			if (n == 0)
				return r;
			ok = false;  /* cannot happen: a message arrives whole */
			break;
		}
		more = zmq_msg_more(&m);
		len = zmq_msg_size(&m);
		if (n >= ZAP_FRAMES_MAX || len > ZAP_FRAME_MAX)
			ok = false;
		else {
			memcpy(f[n].data, zmq_msg_data(&m), len);
			f[n].len = len;
			n++;
		}
		zmq_msg_close(&m);
	} while (more);
	*ret_n = n;
	*ret_ok = ok;
	return 0;
}

static void send_reply(struct zap *z, const struct frame *f, const char *status, const char *text, const char *user)
{
	const struct {
		const void *data;
		size_t len;
	} out[] = {
		{ f[F_RID].data, f[F_RID].len },
		{ "", 0 },
		{ "1.0", 3 },
		{ f[F_REQUEST].data, f[F_REQUEST].len },
		{ status, strlen(status) },
		{ text, strlen(text) },
		{ user, strlen(user) },
		{ "", 0 },     /* metadata: none */
	};

	for (size_t i = 0; i < ELEMENTSOF(out); i++)
		if (zmq_send(z->router, out[i].data, out[i].len,
			     ZMQ_DONTWAIT | (i + 1 < ELEMENTSOF(out) ? ZMQ_SNDMORE : 0)) < 0) {
			/* The peer's session is gone (ROUTER drops it) or its pipe is full: its handshake times out. */
			log_debug_errno(-errno, "Failed to answer a ZAP request, ignoring: %m");
			return;
		}
}

static void handle_request(struct zap *z, struct frame *f, size_t n, bool ok)
{
	const struct keys_allow_entry *e = NULL;
	const struct keys_allow *list = NULL;
	char addr_buf[INET6_ADDRSTRLEN + 8], id_buf[PROTO_MAX_NAME + 64], key_z85[KEYS_Z85_LEN + 1] = "";
	char domain_buf[32], note[64];
	const char *addr, *id, *domain, *why = NULL, *status = "400";
	bool own = false;
	uint64_t hash;

	if (n <= F_REQUEST || f[F_DELIM].len != 0) {
		/* Not from libzmq's ZAP client: nobody to answer. */
		log_debug("Dropped a malformed ZAP request (%zu frames)", n);
		return;
	}
	if (!ok || n != F_CREDENTIALS + 1 || !frame_is(&f[F_VERSION], "1.0")) {
		/* Another mechanism would have more or fewer credentials; ours is CURVE's one key. */
		if (n > F_MECHANISM && !frame_is(&f[F_MECHANISM], "CURVE"))
			why = "not CURVE";
		else {
			why = "malformed ZAP request";
			status = "500";
		}
	} else if (!frame_is(&f[F_MECHANISM], "CURVE"))
		why = "not CURVE";
	else if (f[F_CREDENTIALS].len != KEYS_BIN_LEN) {
		why = "malformed CURVE key";
		status = "500";
	}

	domain = n > F_DOMAIN ? printable(f[F_DOMAIN].data, f[F_DOMAIN].len, domain_buf, sizeof(domain_buf), "?") : "?";
	addr = n > F_ADDRESS ? printable(f[F_ADDRESS].data, f[F_ADDRESS].len, addr_buf, sizeof(addr_buf),
					 "an unknown address") : "an unknown address";
	id = n > F_IDENTITY ? printable(f[F_IDENTITY].data, f[F_IDENTITY].len, id_buf, sizeof(id_buf), NULL) : NULL;

	if (!why) {
		keys_encode((const uint8_t *) f[F_CREDENTIALS].data, key_z85);
		if (frame_is(&f[F_DOMAIN], ZAP_DOMAIN_CHEFS)) {
			list = &z->chefs;
			own = memcmp(f[F_CREDENTIALS].data, z->own_key, KEYS_BIN_LEN) == 0;
		} else if (frame_is(&f[F_DOMAIN], ZAP_DOMAIN_CONTROL))
			list = &z->clients;
		if (!list)
			why = "unknown ZAP domain";
		else if (!own && !(e = keys_allow_find(list, (const uint8_t *) f[F_CREDENTIALS].data)))
			why = "key not in the allowlist";
	}

	hash = fnv1a(0xcbf29ce484222325ull, key_z85, strlen(key_z85));
	hash = fnv1a(hash, addr, strlen(addr));
	hash = fnv1a(hash, domain, strlen(domain));
	hash = fnv1a(hash, why ? why : "ok", strlen(why ? why : "ok"));

	if (why) {
		send_reply(z, f, status, why, "");
		if (may_log(z, hash))
			log_warning("Refused %s peer from %s%s%s%s: %s%s%s%s", domain, addr,
				    id ? " (" : "", id ? id : "", id ? ")" : "", why,
				    key_z85[0] ? ", key " : "", key_z85, suppressed_note(z, note, sizeof(note)));
		return;
	}
	send_reply(z, f, "200", "OK", own ? "kitchend" : e->name);
	if (may_log(z, hash))
		log_info("Admitted %s key '%s' from %s%s%s%s%s", domain, own ? "kitchend (local chef)" : e->name,
			 addr, id ? " (" : "", id ? id : "", id ? ")" : "", suppressed_note(z, note, sizeof(note)));
}

static bool read_requests(struct zap *z)
{
	static struct frame frames[ZAP_FRAMES_MAX];  /* 8 KiB: not on the stack */

	for (unsigned i = 0; i < ZAP_BUDGET; i++) {
		size_t n = 0;
		bool ok = false;
		int r = recv_request(z->router, frames, &n, &ok);

		if (r == -EAGAIN)
			return false;
		if (r == -EINTR)
			continue;
		if (r < 0) {
			log_warning_errno(r, "Failed to read a ZAP request, ignoring: %m");
			return false;
		}
		handle_request(z, frames, n, ok);
	}
	return true;
}

/* ---- handshake monitors ---- */

static unsigned endpoint_port(void *sock)
{
	char ep[256];
	size_t len = sizeof(ep);
	const char *colon;
	uint64_t port;

	if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len) < 0 || len == 0 || len > sizeof(ep))
		return 0;
	ep[len - 1] = '\0';
	colon = strrchr(ep, ':');
	if (!colon || parse_u64(colon + 1, 1, 65535, &port) < 0)
		return 0;
	return (unsigned) port;
}

static unsigned sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *) ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *) ss)->sin6_port);
	return 0;
}

/* The peer of the connection libzmq just accepted on @fd, if that fd is still it. */
static void note_accepted(struct zap *z, struct watch *w, int fd)
{
	struct addr_slot *slot = &z->addrs[(unsigned) fd % ADDRS];
	struct sockaddr_storage local, peer;
	socklen_t ll = sizeof(local), pl = sizeof(peer);
	char host[INET6_ADDRSTRLEN];
	const void *ip;

	slot->fd = -1;
	if (fd < 0)
		return;
	if (!w->port)
		w->port = endpoint_port(w->sock);
	/* By now libzmq may have closed it, and the number may be another socket's. */
	if (getsockname(fd, (struct sockaddr *) &local, &ll) < 0 || getpeername(fd, (struct sockaddr *) &peer, &pl) < 0)
		return;
	if (!w->port || sockaddr_port(&local) != w->port || local.ss_family != peer.ss_family)
		return;
	ip = peer.ss_family == AF_INET ? (const void *) &((struct sockaddr_in *) &peer)->sin_addr
				       : (const void *) &((struct sockaddr_in6 *) &peer)->sin6_addr;
	if (!inet_ntop(peer.ss_family, ip, host, sizeof(host)))
		return;
	slot->fd = fd;
	snprintf(slot->addr, sizeof(slot->addr), "%s", host);
}

static const char *failure_reason(uint16_t event, uint32_t value, char *buf, size_t size)
{
	if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
		/* Both sides see a mechanism mismatch; when the peer saw it first, we only see it go. */
		if (value == EPIPE || value == ECONNRESET)
			return "it hung up in the handshake (it does not speak CURVE, or has a wrong server key?)";
		snprintf(buf, size, "its handshake failed (%s)", strerror((int) value));
		return buf;
	}
	switch (value) {
	case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
		return "it does not speak CURVE (a plaintext peer)";
	case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
		return "its CURVE handshake does not decrypt (a wrong server key?)";
	default:
		return "a ZMTP protocol error in its handshake";
	}
}

static void handle_event(struct zap *z, struct watch *w, uint16_t event, uint32_t value)
{
	char note[64];

	log_debug("Handshake monitor of %s: event 0x%x, value %u", w->what, event, value);
	switch (event) {
	case ZMQ_EVENT_ACCEPTED:
		note_accepted(z, w, (int) value);
		return;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		/* The connection's fd comes with its DISCONNECTED, right after. */
		w->failed_event = event;
		w->failed_value = value;
		return;
	case ZMQ_EVENT_DISCONNECTED: {
		struct addr_slot *slot = &z->addrs[value % ADDRS];
		const char *addr = slot->fd == (int) value ? slot->addr : "an address gone before kitchend looked";
		uint64_t hash;

		if (w->failed_event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
			w->failed_event = 0;  /* refused by ZAP above, and said there */
		if (w->failed_event) {
			char buf[128];
			const char *why = failure_reason(w->failed_event, w->failed_value, buf, sizeof(buf));

			hash = fnv1a(0x84222325cbf29ce4ull, addr, strlen(addr));
			hash = fnv1a(hash, w->what, strlen(w->what));
			hash = fnv1a(hash, why, strlen(why));
			if (may_log(z, hash))
				log_warning("Refused a peer on %s from %s: %s%s", w->what, addr, why,
					    suppressed_note(z, note, sizeof(note)));
			w->failed_event = 0;
		}
		if (slot->fd == (int) value)
			slot->fd = -1;
		return;
	}
	default:
		return;
	}
}

static bool read_events(struct zap *z, struct watch *w, unsigned *budget)
{
	while (*budget > 0) {
		zmq_msg_t m;
		uint16_t event = 0;
		uint32_t value = 0;
		bool good;

		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, w->pair, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&m);
			return false;
		}
		(*budget)--;
		good = zmq_msg_size(&m) == 6 && zmq_msg_more(&m);
		if (good) {
			memcpy(&event, zmq_msg_data(&m), sizeof(event));
			memcpy(&value, (const char *) zmq_msg_data(&m) + 2, sizeof(value));
		}
		/* The second frame, the endpoint, says nothing we need. */
		while (zmq_msg_more(&m)) {
			zmq_msg_close(&m);
			zmq_msg_init(&m);
			if (zmq_msg_recv(&m, w->pair, 0) < 0)
				break;
		}
		zmq_msg_close(&m);
		if (good)
			handle_event(z, w, event, value);
	}
	return true;
}

bool zap_read(struct zap *z)
{
	unsigned budget = EVENT_BUDGET;
	bool busy;

	if (!z)
		return false;
	busy = read_requests(z);
	for (size_t i = 0; i < z->n_watches; i++)
		busy |= read_events(z, &z->watches[i], &budget);
	return busy;
}
