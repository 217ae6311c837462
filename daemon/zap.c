/*
 * zap.c — kitchend's ZAP handler (ZeroMQ RFC 27); see zap.h. The monitors
 * of the same sockets are handshake.c's.
 */
#include "zap.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "log.h"
#include "peer_log.h"
#include "proto.h"
#include "util.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_FRAMES_MAX 16          /* a CURVE request has 9 with the envelope */
#define ZAP_FRAME_MAX 512          /* bytes kept of a frame; longer ones make it malformed */
#define ZAP_BUDGET 64              /* requests answered per loop turn */

struct zap {
	void *zctx;
	void *router;
	struct keys_allow chefs;
	struct keys_allow clients;
	uint8_t own_key[KEYS_BIN_LEN];
	struct handshake *handshake;  /* the secured sockets' monitors */
};

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
	if (r == -EPERM)
		return log_error_errno(r, "Failed to read the %s allowlist '%s': others may write it (chmod o-w %s)",
				       domain, dir, dir);
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
	r = handshake_new(zctx, &z->handshake);
	if (r < 0)
		goto fail;
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
	handshake_free(&z->handshake);
	if (z->router)
		zmq_close(z->router);
	keys_allow_finish(&z->chefs);
	keys_allow_finish(&z->clients);
	free(z);
	*zp = NULL;
}

int zap_watch(struct zap *z, void *sock, const char *what)
{
	return handshake_watch(z->handshake, sock, what);
}

size_t zap_poll_items(struct zap *z, zmq_pollitem_t *items)
{
	if (!z)
		return 0;
	items[0] = (zmq_pollitem_t) { .socket = z->router, .events = ZMQ_POLLIN };
	return 1 + handshake_poll_items(z->handshake, items + 1);
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

	hash = fnv1a(FNV1A_SEED, key_z85, strlen(key_z85));
	hash = fnv1a(hash, addr, strlen(addr));
	hash = fnv1a(hash, domain, strlen(domain));
	hash = fnv1a(hash, why ? why : "ok", strlen(why ? why : "ok"));

	if (why) {
		send_reply(z, f, status, why, "");
		if (peer_log_may(hash))
			log_warning("Refused %s peer from %s%s%s%s: %s%s%s%s", domain, addr,
				    id ? " (" : "", id ? id : "", id ? ")" : "", why,
				    key_z85[0] ? ", key " : "", key_z85, peer_log_suppressed(note, sizeof(note)));
		return;
	}
	send_reply(z, f, "200", "OK", own ? "kitchend" : e->name);
	if (peer_log_may(hash))
		log_info("Admitted %s key '%s' from %s%s%s%s%s", domain, own ? "kitchend (local chef)" : e->name,
			 addr, id ? " (" : "", id ? id : "", id ? ")" : "", peer_log_suppressed(note, sizeof(note)));
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

bool zap_read(struct zap *z)
{
	bool busy;

	if (!z)
		return false;
	busy = read_requests(z);
	busy |= handshake_read(z->handshake);
	return busy;
}
