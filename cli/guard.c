#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <zmq.h>

#include "util.h"

#define GUARD_SLICE_MS 10   /* what can arrive between two looks: ~10 MB at ipc speed */

/* Resident bytes, from /proc/self/statm; 0 when it cannot be read (no bound then). */
static uint64_t resident(void)
{
	char buf[128];
	unsigned long long size, pages;
	ssize_t n;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &pages) != 2)
		return 0;
	return (uint64_t) pages * (uint64_t) sysconf(_SC_PAGESIZE);
}

void guard_reset(struct guard *g)
{
	g->base = resident();
}

uint64_t guard_mark(void)
{
	return resident();
}

void guard_settle(struct guard *g, uint64_t mark)
{
	uint64_t now = resident();

	if (now <= mark)
		g->base = now;
}

int guard_check(const struct guard *g)
{
	uint64_t now = resident();

	return g->base && now > g->base && now - g->base > GUARD_MAX_BYTES ? -ENOBUFS : 0;
}

int guard_poll(void *sock, const struct guard *g, uint64_t timeout_ms)
{
	zmq_pollitem_t item = { .socket = sock, .events = ZMQ_POLLIN };
	uint64_t end = now_ms() + timeout_ms;

	for (;;) {
		uint64_t now = now_ms();
		int r = guard_check(g);

		if (r < 0)
			return r;
		r = zmq_poll(&item, 1, now >= end ? 0 : end - now < GUARD_SLICE_MS ? (long) (end - now) : GUARD_SLICE_MS);
		if (r < 0)
			return -errno;
		if (r > 0)
			return 1;
		if (now_ms() >= end)
			return 0;
	}
}
