/*
 * bench-ref-broker — the raw ZeroMQ limit kitchen's throughput is held to.
 *
 * The zguide's load-balancing broker with credit, and no bookkeeping at all:
 *
 *	producer (PUSH) ──▶ broker front (PULL)
 *	broker back (ROUTER, ZMQ_ROUTER_MANDATORY) ──▶ worker × W (DEALER)
 *	worker (PUSH) ──▶ broker sink (PULL)
 *
 * Each worker says READY with its credit (256 items); the broker sends an
 * item, one per message, only to a worker with credit, and a result through
 * the sink gives the credit back. Workers are no-op processes: they push back
 * what they got, tagged with their number. The producer is a process too; it
 * starts once every worker is READY and stamps CLOCK_MONOTONIC into every
 * item, so the broker times from the first item sent to the last result.
 *
 *	bench-ref-broker --dir DIR --items N [--workers 2] [--credit 256]
 *
 * prints {"items": N, "seconds": S, "rate": R} and exits 0. DIR holds the
 * ipc sockets.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define WORKERS_MAX 64

struct item {
	uint64_t seq;
	uint64_t t0_ns;  /* when the producer sent its first item */
};

static char ep_front[256], ep_back[256], ep_sink[256];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-ref-broker: %s: %s\n", what, zmq_strerror(errno));
	exit(1);
}

static void *socket_on(void *ctx, int type)
{
	int linger = 0;
	void *s = zmq_socket(ctx, type);

	if (!s)
		die("zmq_socket");
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	return s;
}

static void worker(unsigned index, unsigned credit)
{
	void *ctx = zmq_ctx_new();
	void *dealer = socket_on(ctx, ZMQ_DEALER), *push = socket_on(ctx, ZMQ_PUSH);
	char id[16], buf[64];
	int n = snprintf(id, sizeof(id), "w%u", index);

	zmq_setsockopt(dealer, ZMQ_ROUTING_ID, id, (size_t) n);
	if (zmq_connect(dealer, ep_back) < 0 || zmq_connect(push, ep_sink) < 0)
		die("worker connect");
	zmq_send(dealer, "READY", 5, ZMQ_SNDMORE);
	zmq_send(dealer, &credit, sizeof(credit), 0);
	for (;;) {
		int len = zmq_recv(dealer, buf + 1, sizeof(buf) - 1, 0);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			die("worker recv");
		}
		if (len == 4 && memcmp(buf + 1, "STOP", 4) == 0)
			break;
		buf[0] = (char) index;  /* whose credit comes back */
		if (zmq_send(push, buf, (size_t) len + 1, 0) < 0)
			die("worker send");
	}
	zmq_close(push);
	zmq_close(dealer);
	zmq_ctx_term(ctx);
	exit(0);
}

static void producer(int go_fd, uint64_t items)
{
	void *ctx = zmq_ctx_new();
	void *push = socket_on(ctx, ZMQ_PUSH);
	struct item it = { 0 };
	char c;
	int linger = -1;

	if (zmq_connect(push, ep_front) < 0)
		die("producer connect");
	if (read(go_fd, &c, 1) != 1)
		exit(1);
	it.t0_ns = now_ns();
	for (it.seq = 0; it.seq < items; it.seq++)
		if (zmq_send(push, &it, sizeof(it), 0) < 0)
			die("producer send");
	/* A PUSH closed right after sending can lose what it sent: stay until
	 * the broker has everything (it closes the pipe when done). */
	while (read(go_fd, &c, 1) > 0)
		;
	zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(push);
	zmq_ctx_term(ctx);
	exit(0);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "items", required_argument, NULL, 'i' },
		{ "workers", required_argument, NULL, 'w' },
		{ "credit", required_argument, NULL, 'c' },
		{}
	};
	const char *dir = NULL;
	uint64_t items = 0, done = 0, t0 = 0, t_end;
	unsigned n_workers = 2, credit_each = 256, ready = 0, rr = 0;
	unsigned credit[WORKERS_MAX] = { 0 };
	char ids[WORKERS_MAX][16];
	pid_t pids[WORKERS_MAX + 1];
	int go[2], c;
	void *ctx, *front, *back, *sink;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
		switch (c) {
		case 'd': dir = optarg; break;
		case 'i': items = strtoull(optarg, NULL, 10); break;
		case 'w': n_workers = (unsigned) atoi(optarg); break;
		case 'c': credit_each = (unsigned) atoi(optarg); break;
		default: return 2;
		}
	if (!dir || items == 0 || n_workers == 0 || n_workers > WORKERS_MAX || credit_each == 0) {
		fputs("usage: bench-ref-broker --dir DIR --items N [--workers 2] [--credit 256]\n", stderr);
		return 2;
	}
	snprintf(ep_front, sizeof(ep_front), "ipc://%s/ref-front.sock", dir);
	snprintf(ep_back, sizeof(ep_back), "ipc://%s/ref-back.sock", dir);
	snprintf(ep_sink, sizeof(ep_sink), "ipc://%s/ref-sink.sock", dir);

	/* Fork before any zmq context exists here: a context does not survive fork. */
	if (pipe(go) < 0)
		return 1;
	for (unsigned i = 0; i < n_workers; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			close(go[1]);
			worker(i, credit_each);
		}
		snprintf(ids[i], sizeof(ids[i]), "w%u", i);
	}
	pids[n_workers] = fork();
	if (pids[n_workers] == 0) {
		close(go[1]);
		producer(go[0], items);
	}
	close(go[0]);

	ctx = zmq_ctx_new();
	front = socket_on(ctx, ZMQ_PULL);
	back = socket_on(ctx, ZMQ_ROUTER);
	sink = socket_on(ctx, ZMQ_PULL);
	c = 1;
	zmq_setsockopt(back, ZMQ_ROUTER_MANDATORY, &c, sizeof(c));
	if (zmq_bind(front, ep_front) < 0 || zmq_bind(back, ep_back) < 0 || zmq_bind(sink, ep_sink) < 0)
		die("bind");

	while (ready < n_workers) {
		char id[16], cmd[16];
		unsigned cr;
		int n = zmq_recv(back, id, sizeof(id) - 1, 0);

		if (n < 0 || zmq_recv(back, cmd, sizeof(cmd), 0) < 0 || zmq_recv(back, &cr, sizeof(cr), 0) < 0)
			die("READY");
		id[n] = '\0';
		for (unsigned i = 0; i < n_workers; i++)
			if (strcmp(id, ids[i]) == 0) {
				credit[i] = cr;
				ready++;
			}
	}
	if (write(go[1], "g", 1) != 1)
		return 1;

	while (done < items) {
		unsigned total = 0;

		for (unsigned i = 0; i < n_workers; i++)
			total += credit[i];
		zmq_pollitem_t poll[] = {
			{ .socket = sink, .events = ZMQ_POLLIN },
			{ .socket = front, .events = total ? ZMQ_POLLIN : 0 },
		};
		if (zmq_poll(poll, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		/* Results first: they bring the credit back. */
		for (int k = 0; k < 1024; k++) {
			char buf[64];
			int n = zmq_recv(sink, buf, sizeof(buf), ZMQ_DONTWAIT);

			if (n < 0)
				break;
			if ((unsigned char) buf[0] < n_workers)
				credit[(unsigned char) buf[0]]++;
			done++;
		}
		for (int k = 0; k < 1024 && total > 0; k++) {
			struct item it;
			unsigned w;

			if (zmq_recv(front, &it, sizeof(it), ZMQ_DONTWAIT) < 0)
				break;
			if (t0 == 0)
				t0 = it.t0_ns;
			for (w = rr; credit[w % n_workers] == 0; w++)
				;
			w %= n_workers;
			rr = w + 1;
			if (zmq_send(back, ids[w], strlen(ids[w]), ZMQ_SNDMORE) < 0 ||
			    zmq_send(back, &it, sizeof(it), ZMQ_DONTWAIT) < 0)
				die("send to a worker");
			credit[w]--;
			total--;
		}
	}
	t_end = now_ns();
	close(go[1]);

	for (unsigned i = 0; i < n_workers; i++) {
		zmq_send(back, ids[i], strlen(ids[i]), ZMQ_SNDMORE);
		zmq_send(back, "STOP", 4, 0);
	}
	for (unsigned i = 0; i <= n_workers; i++)
		waitpid(pids[i], NULL, 0);
	zmq_close(front);
	zmq_close(back);
	zmq_close(sink);
	zmq_ctx_term(ctx);
	printf("{\"items\": %" PRIu64 ", \"seconds\": %.6f, \"rate\": %.1f}\n",
	       items, (t_end - t0) / 1e9, items / ((t_end - t0) / 1e9));
	return 0;
}
