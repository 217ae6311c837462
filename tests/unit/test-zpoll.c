/*
 * test-zpoll — zpoll() (common/zpoll.c) on real inproc sockets, a real
 * pipe and a real thread.
 *
 * A table of named cases; prints TAP. Each case returns 0 or the line of its
 * first failed check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>
#include <zmq.h>

#include "tap.h"
#include "util.h"
#include "zpoll.h"

static void *ctx;

/* A connected PAIR: [0] bound, [1] connected. */
static int pair_open(void *s[2], const char *ep)
{
	s[0] = zmq_socket(ctx, ZMQ_PAIR);
	s[1] = zmq_socket(ctx, ZMQ_PAIR);
	if (!s[0] || !s[1] || zmq_bind(s[0], ep) < 0 || zmq_connect(s[1], ep) < 0)
		return -1;
	return 0;
}

static void pair_close(void *s[2])
{
	int zero = 0;

	for (int i = 0; i < 2; i++) {
		zmq_setsockopt(s[i], ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(s[i]);
	}
}

/* Nothing ready: the time runs out, every revents 0. */
static int test_idle(void)
{
	void *s[2];
	int p[2];
	uint64_t t0;

	CHECK(pair_open(s, "inproc://idle") == 0);
	CHECK(pipe(p) == 0);
	zmq_pollitem_t items[] = {
		{ .socket = s[0], .events = ZMQ_POLLIN },
		{ .fd = p[0], .events = ZMQ_POLLIN },
	};
	t0 = now_ms();
	CHECK(zpoll(items, 2, 30) == 0);
	CHECK(now_ms() - t0 >= 25);
	CHECK(items[0].revents == 0 && items[1].revents == 0);
	CHECK(zpoll(items, 2, 0) == 0);
	close(p[0]);
	close(p[1]);
	pair_close(s);
	return 0;
}

/* Input before the call: ready at once; the fd item alike. */
static int test_ready_before(void)
{
	void *s[2];
	int p[2];
	uint64_t t0;

	CHECK(pair_open(s, "inproc://before") == 0);
	CHECK(pipe(p) == 0);
	CHECK(zmq_send(s[1], "x", 1, 0) == 1);
	zmq_pollitem_t items[] = {
		{ .socket = s[0], .events = ZMQ_POLLIN },
		{ .fd = p[0], .events = ZMQ_POLLIN },
	};
	t0 = now_ms();
	CHECK(zpoll(items, 2, 5000) == 1);
	CHECK(now_ms() - t0 < 1000);
	CHECK(items[0].revents == ZMQ_POLLIN && items[1].revents == 0);
	CHECK(write(p[1], "y", 1) == 1);
	CHECK(zpoll(items, 2, 5000) == 2);
	CHECK(items[0].revents == ZMQ_POLLIN && items[1].revents == ZMQ_POLLIN);
	close(p[0]);
	close(p[1]);
	pair_close(s);
	return 0;
}

/*
 * The case a bare poll() on ZMQ_FD gets wrong: the socket's mailbox was
 * emptied by another operation (here ZMQ_EVENTS), so its fd stays quiet
 * while a message waits. zpoll() must see the message at once.
 */
static int test_mailbox_emptied(void)
{
	void *s[2];
	int events = 0;
	size_t len = sizeof(events);
	uint64_t t0;

	CHECK(pair_open(s, "inproc://emptied") == 0);
	CHECK(zmq_send(s[1], "x", 1, 0) == 1);
	CHECK(zmq_getsockopt(s[0], ZMQ_EVENTS, &events, &len) == 0);
	CHECK(events & ZMQ_POLLIN);
	zmq_pollitem_t item = { .socket = s[0], .events = ZMQ_POLLIN };
	t0 = now_ms();
	CHECK(zpoll(&item, 1, 5000) == 1);
	CHECK(now_ms() - t0 < 1000);
	CHECK(item.revents == ZMQ_POLLIN);
	pair_close(s);
	return 0;
}

static void *send_later(void *u)
{
	usleep(50000);
	zmq_send(u, "late", 4, 0);
	return NULL;
}

/* Input that comes while it sleeps wakes it, without a time limit. */
static int test_wakes(void)
{
	void *s[2];
	pthread_t t;
	char buf[8];
	uint64_t t0;

	CHECK(pair_open(s, "inproc://wakes") == 0);
	zmq_pollitem_t item = { .socket = s[0], .events = ZMQ_POLLIN };
	CHECK(zpoll(&item, 1, 0) == 0);
	t0 = now_ms();
	CHECK(pthread_create(&t, NULL, send_later, s[1]) == 0);
	CHECK(zpoll(&item, 1, -1) == 1);
	CHECK(now_ms() - t0 >= 40);
	CHECK(item.revents == ZMQ_POLLIN);
	CHECK(zmq_recv(s[0], buf, sizeof(buf), ZMQ_DONTWAIT) == 4);
	pthread_join(t, NULL);
	CHECK(zpoll(&item, 1, 0) == 0);  /* read: nothing left */
	pair_close(s);
	return 0;
}

/* POLLOUT, of a socket and of an fd; and too many items. */
static int test_out_and_limit(void)
{
	static zmq_pollitem_t many[ZPOLL_MAX + 1];
	void *s[2];
	int p[2];

	CHECK(pair_open(s, "inproc://out") == 0);
	CHECK(pipe(p) == 0);
	zmq_pollitem_t items[] = {
		{ .socket = s[1], .events = ZMQ_POLLOUT },
		{ .fd = p[1], .events = ZMQ_POLLOUT | ZMQ_POLLIN },
	};
	CHECK(zpoll(items, 2, 1000) == 2);
	CHECK(items[0].revents == ZMQ_POLLOUT && items[1].revents == ZMQ_POLLOUT);
	CHECK(zpoll(many, ZPOLL_MAX + 1, 0) == -EINVAL);
	close(p[0]);
	close(p[1]);
	pair_close(s);
	return 0;
}

static const struct tap_case cases[] = {
	{ "idle", test_idle },
	{ "ready before", test_ready_before },
	{ "mailbox emptied", test_mailbox_emptied },
	{ "wakes", test_wakes },
	{ "out and limit", test_out_and_limit },
};

int main(void)
{
	int r;

	ctx = zmq_ctx_new();
	r = tap_run(cases, sizeof(cases) / sizeof(cases[0]));
	zmq_ctx_term(ctx);
	return r;
}
