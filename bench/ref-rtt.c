/*
 * bench-ref-rtt — the raw ZeroMQ round trip kitchen's latency is held to.
 *
 * A DEALER client and a ROUTER echo server in two processes, on an ipc
 * socket as kitchen's control is. The client sends at the pace kitchen's
 * latency scenario does (--rate a second, open loop, so the machine wakes up
 * the same way) and times each message from its send to its echo.
 *
 *	bench-ref-rtt --dir DIR --count N [--rate 1000] [--warmup 100]
 *
 * prints {"count": N, "p50_us": ..., "p99_us": ..., ...} and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "samples.h"

static void die(const char *what)
{
	fprintf(stderr, "bench-ref-rtt: %s: %s\n", what, zmq_strerror(errno));
	exit(1);
}

static void server(const char *ep)
{
	void *ctx = zmq_ctx_new();
	void *router = zmq_socket(ctx, ZMQ_ROUTER);
	int linger = 0;

	zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(router, ep) < 0)
		die("bind");
	for (;;) {
		char id[256], buf[256];
		int n = zmq_recv(router, id, sizeof(id), 0);
		int m = n < 0 ? -1 : zmq_recv(router, buf, sizeof(buf), 0);

		if (m < 0) {
			if (errno == EINTR)
				continue;
			die("server recv");
		}
		if (m == 4 && memcmp(buf, "STOP", 4) == 0)
			break;
		zmq_send(router, id, (size_t) n, ZMQ_SNDMORE);
		zmq_send(router, buf, (size_t) m, 0);
	}
	zmq_close(router);
	zmq_ctx_term(ctx);
	exit(0);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'u' },
		{}
	};
	const char *dir = NULL;
	uint64_t count = 0, rate = 1000, warmup = 100, interval, t0, *lat;
	char ep[300];
	void *ctx, *dealer;
	int linger = 0, c;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
		switch (c) {
		case 'd': dir = optarg; break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 'r': rate = strtoull(optarg, NULL, 10); break;
		case 'u': warmup = strtoull(optarg, NULL, 10); break;
		default: return 2;
		}
	if (!dir || count == 0 || rate == 0) {
		fputs("usage: bench-ref-rtt --dir DIR --count N [--rate 1000] [--warmup 100]\n", stderr);
		return 2;
	}
	snprintf(ep, sizeof(ep), "ipc://%s/ref-rtt.sock", dir);
	pid = fork();
	if (pid == 0)
		server(ep);

	lat = calloc(warmup + count, sizeof(*lat));
	ctx = zmq_ctx_new();
	dealer = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
	if (!lat || zmq_connect(dealer, ep) < 0)
		die("connect");

	interval = 1000000000u / rate;
	t0 = now_ns();
	for (uint64_t i = 0; i < warmup + count; i++) {
		uint64_t due = t0 + i * interval, sent, now = now_ns();
		char buf[64];

		/* Sleep until due, as the kitchen client waits in zmq_poll. */
		if (now < due) {
			struct timespec ts = { .tv_sec = 0, .tv_nsec = (long) (due - now) };
			nanosleep(&ts, NULL);
		}
		sent = now_ns();
		if (zmq_send(dealer, &sent, sizeof(sent), 0) < 0 || zmq_recv(dealer, buf, sizeof(buf), 0) < 0)
			die("round trip");
		lat[i] = now_ns() - sent;
	}

	zmq_send(dealer, "STOP", 4, 0);
	waitpid(pid, NULL, 0);
	zmq_close(dealer);
	zmq_ctx_term(ctx);

	printf("{");
	samples_print(lat + warmup, count);
	printf("}\n");
	free(lat);
	return 0;
}
