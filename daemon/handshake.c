/*
 * handshake.c — monitors of kitchend's secured sockets; see handshake.h.
 */
#include "handshake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "peer_log.h"
#include "util.h"

#define EVENT_BUDGET 256            /* monitor events read per loop turn */
#define HANDSHAKE_ADDRS 256         /* connection addresses remembered, by fd */
#define SEED 0x84222325cbf29ce4ull  /* not the ZAP handler's: its lines are others */

#define WATCH_EVENTS (ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | \
		      ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

struct watch {
	void *sock;                 /* the watched socket (kitchend's) */
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

struct handshake {
	void *zctx;
	struct watch watches[HANDSHAKE_WATCH_MAX];
	size_t n_watches;
	struct addr_slot addrs[HANDSHAKE_ADDRS];
};

int handshake_new(void *zctx, struct handshake **ret)
{
	struct handshake *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->zctx = zctx;
	for (size_t i = 0; i < HANDSHAKE_ADDRS; i++)
		h->addrs[i].fd = -1;
	*ret = h;
	return 0;
}

void handshake_free(struct handshake **hp)
{
	if (!hp || !*hp)
		return;
	for (size_t i = 0; i < (*hp)->n_watches; i++)
		zmq_close((*hp)->watches[i].pair);
	free(*hp);
	*hp = NULL;
}

int handshake_watch(struct handshake *h, void *sock, const char *what)
{
	struct watch *w;
	char ep[64];
	int linger = 0;

	if (h->n_watches >= HANDSHAKE_WATCH_MAX)
		return -E2BIG;
	w = &h->watches[h->n_watches];
	*w = (struct watch) { .sock = sock };
	snprintf(w->what, sizeof(w->what), "%s", what);
	snprintf(ep, sizeof(ep), "inproc://kitchend-monitor-%zu", h->n_watches);
	if (zmq_socket_monitor(sock, ep, WATCH_EVENTS) < 0)
		return -errno;
	w->pair = zmq_socket(h->zctx, ZMQ_PAIR);
	if (!w->pair)
		return -errno;
	if (zmq_setsockopt(w->pair, ZMQ_LINGER, &linger, sizeof(linger)) < 0 || zmq_connect(w->pair, ep) < 0) {
		int r = -errno;
		zmq_close(w->pair);
		(void) zmq_socket_monitor(sock, NULL, 0);
		return r;
	}
	h->n_watches++;
	return 0;
}

size_t handshake_poll_items(struct handshake *h, zmq_pollitem_t *items)
{
	for (size_t i = 0; i < h->n_watches; i++)
		items[i] = (zmq_pollitem_t) { .socket = h->watches[i].pair, .events = ZMQ_POLLIN };
	return h->n_watches;
}

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
static void note_accepted(struct handshake *h, struct watch *w, int fd)
{
	struct addr_slot *slot = &h->addrs[(unsigned) fd % HANDSHAKE_ADDRS];
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

static void handle_event(struct handshake *h, struct watch *w, uint16_t event, uint32_t value)
{
	char note[64];

	log_debug("Handshake monitor of %s: event 0x%x, value %u", w->what, event, value);
	switch (event) {
	case ZMQ_EVENT_ACCEPTED:
		note_accepted(h, w, (int) value);
		return;
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		/* The connection's fd comes with its DISCONNECTED, right after. */
		w->failed_event = event;
		w->failed_value = value;
		return;
	case ZMQ_EVENT_DISCONNECTED: {
		struct addr_slot *slot = &h->addrs[value % HANDSHAKE_ADDRS];
		const char *addr = slot->fd == (int) value ? slot->addr : "an address gone before kitchend looked";
		uint64_t hash;

		if (w->failed_event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
			w->failed_event = 0;  /* refused by ZAP, and said there */
		if (w->failed_event) {
			char buf[128];
			const char *why = failure_reason(w->failed_event, w->failed_value, buf, sizeof(buf));

			hash = fnv1a(SEED, addr, strlen(addr));
			hash = fnv1a(hash, w->what, strlen(w->what));
			hash = fnv1a(hash, why, strlen(why));
			if (peer_log_may(hash))
				log_warning("Refused a peer on %s from %s: %s%s", w->what, addr, why,
					    peer_log_suppressed(note, sizeof(note)));
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

static bool read_events(struct handshake *h, struct watch *w, unsigned *budget)
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
			handle_event(h, w, event, value);
	}
	return true;
}

bool handshake_read(struct handshake *h)
{
	unsigned budget = EVENT_BUDGET;
	bool busy = false;

	for (size_t i = 0; i < h->n_watches; i++)
		busy |= read_events(h, &h->watches[i], &budget);
	return busy;
}
