/*
 * test-client — how kitchenctl picks a control socket (cli/client.c's
 * client_find_ipc()): real unix sockets in a temporary directory, some
 * listening, some stale, some missing, one that appears while it waits.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/kitchen-test-client-XXXXXX";

/* "ipc://DIR/NAME" in @buf. */
static const char *ep(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "ipc://%s/%s", dir, name);
	return buf;
}

/* A unix socket bound at DIR/NAME, listening unless @stale (then closed: a
 * file nobody listens on). The descriptor, or -1 (after a failed CHECK). */
static int bind_at(const char *name, int stale)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (stale) {
		close(fd);
		return -2;
	}
	return fd;
}

static void unlink_at(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	(void) unlink(path);
}

static int test_first_up_wins(void)
{
	char a[512], b[512];
	const char *eps[2] = { ep(a, sizeof(a), "own.sock"), ep(b, sizeof(b), "system.sock") };
	int errs[2], fa, fb;
	uint64_t t0;

	fb = bind_at("system.sock", 0);
	CHECK(fb >= 0);
	/* The own socket missing, the system one up: the system one, at once. */
	t0 = now_ms();
	CHECK(client_find_ipc(eps, 2, 2000, errs) == 1);
	CHECK(now_ms() - t0 < 1000);
	/* Both up: the own one. */
	fa = bind_at("own.sock", 0);
	CHECK(fa >= 0);
	CHECK(client_find_ipc(eps, 2, 2000, errs) == 0);
	close(fa);
	close(fb);
	unlink_at("own.sock");
	unlink_at("system.sock");
	return 0;
}

static int test_none_up(void)
{
	char a[512], b[512];
	const char *eps[2] = { ep(a, sizeof(a), "stale.sock"), ep(b, sizeof(b), "missing.sock") };
	int errs[2] = { 0, 0 };
	uint64_t t0;

	CHECK(bind_at("stale.sock", 1) == -2);
	t0 = now_ms();
	CHECK(client_find_ipc(eps, 2, 300, errs) == -EHOSTUNREACH);
	CHECK(now_ms() - t0 >= 300);
	CHECK(now_ms() - t0 < 2000);
	CHECK(errs[0] == -ECONNREFUSED);
	CHECK(errs[1] == -ENOENT);
	/* No wait at all: one look. */
	CHECK(client_find_ipc(eps, 1, 0, errs) == -EHOSTUNREACH);
	CHECK(errs[0] == -ECONNREFUSED);
	unlink_at("stale.sock");
	return 0;
}

static int test_tcp_is_up(void)
{
	const char *eps[1] = { "tcp://127.0.0.1:1" };
	int errs[1];

	/* libzmq waits for a tcp peer itself, within --timeout. */
	CHECK(client_find_ipc(eps, 1, 0, errs) == 0);
	return 0;
}

static void *bind_later(void *arg)
{
	(void) arg;
	usleep(300 * 1000);
	return (void *) (intptr_t) bind_at("late.sock", 0);
}

static int test_appears_while_waiting(void)
{
	char a[512], b[512];
	const char *eps[2] = { ep(a, sizeof(a), "late.sock"), ep(b, sizeof(b), "missing.sock") };
	int errs[2], r;
	pthread_t t;
	void *fd;

	/* `kitchend &` then at once kitchenctl: the socket comes a moment later. */
	CHECK(pthread_create(&t, NULL, bind_later, NULL) == 0);
	r = client_find_ipc(eps, 2, 5000, errs);
	CHECK(pthread_join(t, &fd) == 0);
	CHECK((intptr_t) fd >= 0);
	close((int) (intptr_t) fd);
	unlink_at("late.sock");
	CHECK(r == 0);
	return 0;
}

static const struct tap_case cases[] = {
	{ "first up wins", test_first_up_wins },
	{ "none up", test_none_up },
	{ "tcp is up", test_tcp_is_up },
	{ "appears while waiting", test_appears_while_waiting },
};

int main(void)
{
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	r = tap_run(cases, ELEMENTSOF(cases));
	(void) rmdir(dir);
	return r;
}
