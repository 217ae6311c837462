/*
 * bench-ref-beanstalk — the user's-path reference: a beanstalkd (run by
 * bench/run with its binlog, `beanstalkd -b DIR`) putting, reserving and
 * deleting as many jobs as kitchen's scenario orders dishes.
 *
 *	bench-ref-beanstalk --port PORT --jobs N [--workers 2] [--window 64]
 *
 * One producer connection puts N jobs, keeping up to --window puts in
 * flight (as pipelined kitchenctl keeps orders in flight), then one "stop"
 * job per worker at the lowest priority, so that every worker meets its stop
 * job only once every real job is reserved. --workers processes each loop
 * reserve, delete, with the delete and the next reserve in one write. The
 * clock runs from the first put until every worker has deleted its stop job.
 *
 * Prints {"jobs": N, "seconds": ..., "jobs_per_s": ...} and exits 0.
 * Speaks beanstalkd's text protocol (protocol.txt of beanstalkd); a reply
 * it does not expect ends it with exit 1 and the reply on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BODY "Pizza"
#define STOP "stop"

/* Lowest priority: a stop job comes after every real one. */
#define PRI_LAST 4294967295u

struct conn {
	int fd;
	char buf[65536];
	size_t len, off;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench-ref-beanstalk: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static void conn_open(struct conn *c, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->len = c->off = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *) &a, sizeof(a)) < 0)
		die("connect to beanstalkd", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void conn_write(struct conn *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(c->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write to beanstalkd", strerror(errno));
		data += n;
		len -= (size_t) n;
	}
}

/* The next "\r\n"-ended line, without its end, NUL-terminated in place. */
static char *conn_line(struct conn *c)
{
	for (;;) {
		char *end = memmem(c->buf + c->off, c->len - c->off, "\r\n", 2);

		if (end) {
			char *line = c->buf + c->off;

			*end = '\0';
			c->off = (size_t) (end + 2 - c->buf);
			return line;
		}
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
		if (c->len == sizeof(c->buf))
			die("a line longer than the buffer", NULL);
		ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read from beanstalkd", n == 0 ? "connection closed" : strerror(errno));
		c->len += (size_t) n;
	}
}

static void put(struct conn *c, unsigned pri, const char *body)
{
	char cmd[128];
	int n = snprintf(cmd, sizeof(cmd), "put %u 0 60 %zu\r\n%s\r\n", pri, strlen(body), body);

	conn_write(c, cmd, (size_t) n);
}

static void expect_inserted(struct conn *c)
{
	char *line = conn_line(c);

	if (strncmp(line, "INSERTED ", 9) != 0)
		die("put answered", line);
}

static void producer(int port, long jobs, int workers, long window)
{
	struct conn c;
	long sent = 0, answered = 0;

	conn_open(&c, port);
	while (answered < jobs) {
		while (sent < jobs && sent - answered < window) {
			put(&c, 1024, BODY);
			sent++;
		}
		expect_inserted(&c);
		answered++;
	}
	for (int i = 0; i < workers; i++) {
		put(&c, PRI_LAST, STOP);
		expect_inserted(&c);
	}
	close(c.fd);
}

static void worker(int port)
{
	struct conn c;
	unsigned long long id;
	unsigned len;
	char cmd[64];
	int n;

	conn_open(&c, port);
	conn_write(&c, "reserve\r\n", 9);
	for (;;) {
		char *line = conn_line(&c);

		if (sscanf(line, "RESERVED %llu %u", &id, &len) != 2)
			die("reserve answered", line);
		line = conn_line(&c);
		bool stop = strcmp(line, STOP) == 0;

		n = snprintf(cmd, sizeof(cmd), stop ? "delete %llu\r\n" : "delete %llu\r\nreserve\r\n", id);
		conn_write(&c, cmd, (size_t) n);
		line = conn_line(&c);
		if (strcmp(line, "DELETED") != 0)
			die("delete answered", line);
		if (stop)
			break;
	}
	close(c.fd);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "jobs", required_argument, NULL, 'n' },
		{ "workers", required_argument, NULL, 'w' },
		{ "window", required_argument, NULL, 'W' },
		{}
	};
	int port = 0, workers = 2, c, failed = 0;
	long jobs = 0, window = 64;
	pid_t pids[64];
	double start;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'n': jobs = atol(optarg); break;
		case 'w': workers = atoi(optarg); break;
		case 'W': window = atol(optarg); break;
		default: return 2;
		}
	}
	if (port <= 0 || port > 65535 || jobs <= 0 || workers < 1 || workers > 64 || window < 1) {
		fprintf(stderr, "usage: bench-ref-beanstalk --port PORT --jobs N [--workers 1..64] [--window N]\n");
		return 2;
	}
	start = now_s();
	for (int i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork", strerror(errno));
		if (pids[i] == 0) {
			worker(port);
			_exit(0);
		}
	}
	producer(port, jobs, workers, window);
	for (int i = 0; i < workers; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	if (failed)
		die("a worker failed", NULL);
	double seconds = now_s() - start;
	printf("{\"jobs\": %ld, \"seconds\": %.3f, \"jobs_per_s\": %.0f}\n", jobs, seconds, (double) jobs / seconds);
	return 0;
}
