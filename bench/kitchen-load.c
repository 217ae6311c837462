/*
 * bench-kitchen-load — a KIT3 client that drives kitchend for bench/run.
 *
 * kitchenctl is one process per call, far too slow to measure a kitchen
 * that serves 100,000 dishes a second; this client keeps one DEALER on the
 * control socket (it adds the empty delimiter a REQ would) and keeps several
 * requests outstanding. Each mode prints one JSON object on stdout and exits
 * 0, or says why on stderr and exits 1.
 *
 *	bench-kitchen-load throughput EP --dishes N [--per-order 100] [--window 32] [--dish NAME] [--input TEXT]
 *		orders of --per-order dishes, --window of them outstanding; then
 *		STATUS until all are served: dishes/s from the first ORDER sent to
 *		the STATUS that shows the last one served. STATUS goes every
 *		thousandth of the time run so far (1 to 20 ms): the figure is
 *		within 0.1 %, and the polls cost kitchend little CPU
 *	bench-kitchen-load latency EP --rate R --count N [--warmup W] [--dish NAME]
 *		open loop: a one-dish ORDER every 1/R s whatever came back, from
 *		64 clients (DEALERs) in turn; on its OK a WAIT; latency = WAIT's
 *		answer (state served) - ORDER sent; also ORDER sent -> its OK (ack_*)
 *		--buckets B also prints p99_buckets_us: the p99 of each of B equal
 *		parts of the counted orders, in the order sent (at a steady rate,
 *		equal spans of time: the sustained scenario's minutes)
 *	bench-kitchen-load fill EP --dishes N [--per-order 100] [--window 32]
 *		queue N dishes as fast as kitchend takes them
 *	bench-kitchen-load pace EP --dishes N --rate R [--per-order 100]
 *		open loop: orders of --per-order dishes, R dishes a second, until N
 *		are sent; waits for the last OK and says how far sending fell
 *		behind its schedule (behind_ms_max), not whether dishes were served
 *	bench-kitchen-load status EP [--timeout-ms 30000]
 *		one STATUS: queued, cooking, served, failed, chefs (listed), ready
 *		(chefs that joined: state ready or cooking)
 *	bench-kitchen-load restart EP --since-ns T [--timeout-ms 30000]
 *		after a restart begun at CLOCK_MONOTONIC T: when STATUS is first
 *		answered, when a new ORDER is first acknowledged, and when the
 *		first dish is served (served grows), in ms since T
 *
 * Orders go to the menu's dishes in turn (Pizza, Spaghetti, ...) unless
 * --dish names one; every dish carries --input (none by default). Replies
 * on one DEALER come back in the order the loop answers them: ORDER's OK
 * has 2 fields, an order report at least 6.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "proto.h"
#include "util.h"

#define TIMEOUT_MS 60000
#define STATUS_POLL_MS 1
#define STATUS_POLL_MAX_MS 20

static const char *const default_dishes[] = {
	"Pizza", "Spaghetti", "Chicken Stir Fry", "Chicken Biryani", "Salad",
};

static const char *arg_endpoint;
static uint64_t arg_dishes;
static unsigned arg_per_order = 100;
static unsigned arg_window = 32;
static const char *arg_dish;
static const char *arg_input = "";
static uint64_t arg_rate = 1000;
static uint64_t arg_count;
static uint64_t arg_warmup = 100;
static uint64_t arg_since_ns;
static uint64_t arg_timeout_ms = 30000;
static uint64_t arg_buckets;

/* Clients of the latency mode: a WAIT-pending cap is per client. */
#define LATENCY_CLIENTS 64

static void *zctx;
static void *sock;                 /* the one the helpers below use */
static struct proto_msg *msg;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench-kitchen-load: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static const char *dish_name(uint64_t i)
{
	return arg_dish ? arg_dish : default_dishes[i % (sizeof(default_dishes) / sizeof(default_dishes[0]))];
}

static void open_socket(int reconnect_ms)
{
	int linger = 0, hwm = 100000;
	int64_t max = PROTO_MAX_FIELD;

	if (!zctx)
		zctx = zmq_ctx_new();
	sock = zctx ? zmq_socket(zctx, ZMQ_DEALER) : NULL;
	if (!sock)
		die("zmq: %s", zmq_strerror(errno));
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof(max));
	zmq_setsockopt(sock, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(sock, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	if (reconnect_ms > 0)
		zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &reconnect_ms, sizeof(reconnect_ms));
	if (zmq_connect(sock, arg_endpoint) < 0)
		die("connect %s: %s", arg_endpoint, zmq_strerror(errno));
	if (!msg)
		msg = proto_msg_new();
	if (!msg)
		die("out of memory");
}

static void send_order(uint64_t first, unsigned n)
{
	struct proto_out o;

	proto_out_begin(&o, sock, PROTO_ORDER);
	proto_out_env(&o, "", 0);
	proto_out_str(&o, "");  /* flags */
	proto_out_str(&o, "");  /* key */
	proto_out_u64(&o, PROTO_PRIORITY_DEFAULT);
	proto_out_u64(&o, 0);   /* due: at once */
	for (unsigned i = 0; i < n; i++) {
		proto_out_str(&o, dish_name(first + i));
		proto_out_str(&o, arg_input);
	}
	if (proto_out_end(&o, 0) < 0)
		die("send ORDER: %s", zmq_strerror(errno));
}

static void send_simple(enum proto_cmd cmd, const uint64_t *args, size_t n)
{
	struct proto_out o;

	proto_out_begin(&o, sock, cmd);
	proto_out_env(&o, "", 0);
	for (size_t i = 0; i < n; i++)
		proto_out_u64(&o, args[i]);
	if (proto_out_end(&o, 0) < 0)
		die("send %s: %s", proto_cmd_name(cmd), zmq_strerror(errno));
}

/* A reply that waits on sock: 0, or -EAGAIN when none does. */
static int take_reply(void)
{
	int r = proto_recv(sock, 1, msg, ZMQ_DONTWAIT);

	if (r == -EAGAIN)
		return r;
	if (r < 0)
		die("malformed reply from kitchend (%d)", r);
	if (msg->cmd == PROTO_ERR) {
		char code[64] = "?", text[1024] = "?";
		proto_str(msg, 0, code, sizeof(code));
		proto_str(msg, 1, text, sizeof(text));
		die("kitchend said ERR %s: %s", code, text);
	}
	if (msg->cmd != PROTO_OK)
		die("unexpected %s from kitchend", proto_cmd_name(msg->cmd));
	return 0;
}

/* Wait up to @timeout_ms for a reply: 0, or -EAGAIN when none came. */
static int recv_reply(long timeout_ms)
{
	zmq_pollitem_t item = { .socket = sock, .events = ZMQ_POLLIN };

	if (zmq_poll(&item, 1, timeout_ms) < 0 && errno != EINTR)
		die("poll: %s", zmq_strerror(errno));
	return take_reply();
}

static long reply_timeout_ms = TIMEOUT_MS;

static void must_reply(void)
{
	if (recv_reply(reply_timeout_ms) < 0)
		die("no reply within %ld ms", reply_timeout_ms);
}

static uint64_t field_u64(size_t i)
{
	uint64_t v;

	if (proto_u64(msg, i, &v) < 0)
		die("reply field %zu is not a number", i);
	return v;
}

struct status {
	uint64_t queued, cooking, served, failed, chefs, ready;
};

static struct status get_status(void)
{
	struct status s;

	send_simple(PROTO_STATUS, NULL, 0);
	must_reply();
	if (msg->n_fields < PROTO_STATUS_FIXED)
		die("short STATUS reply");
	s.queued = field_u64(2);
	s.cooking = field_u64(3);
	s.served = field_u64(4);
	s.failed = field_u64(5);
	s.chefs = (msg->n_fields - PROTO_STATUS_FIXED) / PROTO_CHEF_GROUP;
	s.ready = 0;
	for (size_t i = 0; i < s.chefs; i++) {
		size_t state = PROTO_STATUS_FIXED + i * PROTO_CHEF_GROUP + 5;
		if (proto_field_is(msg, state, "ready") || proto_field_is(msg, state, "cooking"))
			s.ready++;
	}
	return s;
}

/* Send @dishes in orders, --window outstanding; returns when all are acknowledged. */
static void submit(uint64_t dishes)
{
	uint64_t orders = (dishes + arg_per_order - 1) / arg_per_order;
	uint64_t sent = 0, acked = 0, queued = 0;

	while (acked < orders) {
		while (sent < orders && sent - acked < arg_window) {
			unsigned n = dishes - queued < arg_per_order ? (unsigned) (dishes - queued) : arg_per_order;
			send_order(queued, n);
			queued += n;
			sent++;
		}
		must_reply();
		if (msg->n_fields != 2)
			die("expected ORDER's OK, got %zu fields", msg->n_fields);
		acked++;
	}
}

static int run_throughput(void)
{
	struct status before = get_status(), s;
	uint64_t t0, t_submitted, t_end, deadline;

	t0 = now_ns();
	submit(arg_dishes);
	t_submitted = now_ns();
	deadline = t_submitted + (uint64_t) TIMEOUT_MS * 1000000;
	for (;;) {
		s = get_status();
		if (s.failed > before.failed)
			die("%" PRIu64 " dishes failed", s.failed - before.failed);
		if (s.served - before.served >= arg_dishes)
			break;
		if (now_ns() > deadline)
			die("only %" PRIu64 " of %" PRIu64 " dishes served after %d ms",
			    s.served - before.served, arg_dishes, TIMEOUT_MS);
		uint64_t poll_ms = (now_ns() - t0) / 1000000 / 1000;
		if (poll_ms < STATUS_POLL_MS)
			poll_ms = STATUS_POLL_MS;
		if (poll_ms > STATUS_POLL_MAX_MS)
			poll_ms = STATUS_POLL_MAX_MS;
		(void) recv_reply((long) poll_ms);  /* a sleep that a stray reply would end */
	}
	t_end = now_ns();
	printf("{\"dishes\": %" PRIu64 ", \"seconds\": %.6f, \"rate\": %.1f, \"submit_seconds\": %.6f}\n",
	       arg_dishes, (t_end - t0) / 1e9, arg_dishes / ((t_end - t0) / 1e9), (t_submitted - t0) / 1e9);
	return 0;
}

static int run_fill(void)
{
	uint64_t t0 = now_ns(), t1;
	struct status s;

	submit(arg_dishes);
	t1 = now_ns();
	s = get_status();
	printf("{\"dishes\": %" PRIu64 ", \"seconds\": %.6f, \"queued\": %" PRIu64 "}\n",
	       arg_dishes, (t1 - t0) / 1e9, s.queued);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

/* The value at quantile @q of sorted @v (nearest rank). */
static uint64_t quantile(const uint64_t *v, size_t n, double q)
{
	size_t i = (size_t) (q * (double) n);

	if (i >= n)
		i = n - 1;
	return v[i];
}

static int run_latency(void)
{
	uint64_t total = arg_warmup + arg_count;
	uint64_t *sent_ns = calloc(total, sizeof(uint64_t));
	uint64_t *lat_ns = calloc(total, sizeof(uint64_t));
	uint64_t *ids = calloc(total, sizeof(uint64_t));
	uint64_t *ack_ns = calloc(total, sizeof(uint64_t));  /* ORDER sent -> its OK */
	uint64_t interval = 1000000000u / arg_rate;
	uint64_t next = 0, done = 0, first_id = 0, t0, t_last = 0;
	uint64_t deadline, sum = 0, *v;
	/* Per client, the orders sent and not yet acknowledged, oldest first. */
	uint64_t fifo[LATENCY_CLIENTS][64];
	unsigned head[LATENCY_CLIENTS] = { 0 }, tail[LATENCY_CLIENTS] = { 0 };
	void *socks[LATENCY_CLIENTS];
	/* Each client's ZMQ_FD, and whether its mailbox may hold what the fd
	 * no longer says (a send or a read since the last EAGAIN): zmq_poll()
	 * over 64 sockets would look into all 64 mailboxes three times a wake,
	 * hundreds of system calls, and the client would time itself. */
	struct pollfd fds[LATENCY_CLIENTS];
	bool dirty[LATENCY_CLIENTS];
	size_t nv = 0;

	if (!sent_ns || !lat_ns || !ids || !ack_ns)
		die("out of memory");
	/* Many clients, each with at most a few orders under way, as people are. */
	socks[0] = sock;
	for (unsigned c = 1; c < LATENCY_CLIENTS; c++) {
		open_socket(0);
		socks[c] = sock;
	}
	for (unsigned c = 0; c < LATENCY_CLIENTS; c++) {
		size_t len = sizeof(fds[c].fd);

		if (zmq_getsockopt(socks[c], ZMQ_FD, &fds[c].fd, &len) < 0)
			die("ZMQ_FD: %s", zmq_strerror(errno));
		fds[c].events = POLLIN;
		dirty[c] = true;
	}

	t0 = now_ns();
	deadline = t0 + total * interval + (uint64_t) TIMEOUT_MS * 1000000;
	while (done < total) {
		uint64_t now = now_ns();
		long timeout;

		if (now > deadline)
			die("only %" PRIu64 " of %" PRIu64 " orders served in time", done, total);
		if (next < total && now >= t0 + next * interval) {
			unsigned c = next % LATENCY_CLIENTS;

			if (tail[c] - head[c] >= 64)
				die("client %u has 64 orders unacknowledged", c);
			sock = socks[c];
			send_order(next, 1);
			sent_ns[next] = now_ns();
			fifo[c][tail[c]++ % 64] = next;
			dirty[c] = true;
			next++;
			continue;
		}
		if (next < total) {
			uint64_t due = t0 + next * interval;
			timeout = (long) ((due - now + 999999) / 1000000);
		} else
			timeout = 100;
		bool any = false;

		for (unsigned c = 0; c < LATENCY_CLIENTS; c++)
			any |= dirty[c];
		if (!any && poll(fds, LATENCY_CLIENTS, (int) timeout) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (unsigned c = 0; c < LATENCY_CLIENTS; c++) {
			if (!dirty[c] && !(fds[c].revents & POLLIN))
				continue;
			fds[c].revents = 0;
			dirty[c] = false;
			sock = socks[c];
			while (take_reply() == 0) {
				uint64_t at = now_ns(), id = field_u64(0), seq;

				if (msg->n_fields == 2) {
					/* ORDER's OK: a client's acknowledgements come in the order it sent. */
					if (head[c] == tail[c])
						die("an ORDER OK that nobody waits for");
					seq = fifo[c][head[c]++ % 64];
					if (seq == 0)
						first_id = id;
					ids[seq] = id;
					ack_ns[seq] = at - sent_ns[seq];
					send_simple(PROTO_WAIT, (uint64_t[]) { id, 10000 }, 2);
					continue;
				}
				if (msg->n_fields < PROTO_ORDER_REPORT_FIXED)
					die("unexpected reply of %zu fields", msg->n_fields);
				seq = id - first_id;
				if (id < first_id || seq >= total || ids[seq] != id)
					for (seq = 0; seq < total && ids[seq] != id; seq++)
						;
				if (seq >= total)
					die("a report of order %" PRIu64 " that is not ours", id);
				if (proto_field_is(msg, 1, "served")) {
					lat_ns[seq] = at - sent_ns[seq];
					done++;
					t_last = at;
				} else if (proto_field_is(msg, 1, "failed"))
					die("order %" PRIu64 " failed", id);
				else  /* the WAIT timed out: wait again */
					send_simple(PROTO_WAIT, (uint64_t[]) { id, 10000 }, 2);
			}
		}
	}

	v = lat_ns + arg_warmup;
	nv = arg_count;
	if (arg_buckets > 0) {
		/* Before v is sorted whole: each part in the order sent. */
		printf("{\"p99_buckets_us\": [");
		for (uint64_t b = 0; b < arg_buckets; b++) {
			size_t from = (size_t) (nv * b / arg_buckets), to = (size_t) (nv * (b + 1) / arg_buckets);

			qsort(v + from, to - from, sizeof(*v), cmp_u64);
			printf("%s%.1f", b ? ", " : "", to > from ? quantile(v + from, to - from, 0.99) / 1e3 : 0.0);
		}
		printf("], ");
	} else
		printf("{");
	qsort(v, nv, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < nv; i++)
		sum += v[i];
	qsort(ack_ns + arg_warmup, nv, sizeof(*v), cmp_u64);
	printf("\"count\": %zu, \"rate\": %.1f, \"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, "
	       "\"max_us\": %.1f, \"mean_us\": %.1f, \"ack_p50_us\": %.1f, \"ack_p99_us\": %.1f}\n",
	       nv, total / ((t_last - t0) / 1e9), quantile(v, nv, 0.50) / 1e3, quantile(v, nv, 0.90) / 1e3,
	       quantile(v, nv, 0.99) / 1e3, v[nv - 1] / 1e3, (double) sum / nv / 1e3,
	       quantile(ack_ns + arg_warmup, nv, 0.50) / 1e3, quantile(ack_ns + arg_warmup, nv, 0.99) / 1e3);
	free(ack_ns);
	free(sent_ns);
	free(lat_ns);
	free(ids);
	return 0;
}

static int run_status(void)
{
	struct status s = get_status();

	printf("{\"queued\": %" PRIu64 ", \"cooking\": %" PRIu64 ", \"served\": %" PRIu64
	       ", \"failed\": %" PRIu64 ", \"chefs\": %" PRIu64 ", \"ready\": %" PRIu64 "}\n",
	       s.queued, s.cooking, s.served, s.failed, s.chefs, s.ready);
	return 0;
}

static int run_pace(void)
{
	uint64_t orders = (arg_dishes + arg_per_order - 1) / arg_per_order;
	uint64_t interval = (uint64_t) arg_per_order * 1000000000u / arg_rate;
	uint64_t sent = 0, acked = 0, queued = 0, behind = 0, t0 = now_ns();

	while (acked < orders) {
		uint64_t now = now_ns(), due = t0 + sent * interval;
		long timeout = 100;

		if (sent < orders && now >= due) {
			unsigned n = arg_dishes - queued < arg_per_order ? (unsigned) (arg_dishes - queued)
									   : arg_per_order;
			if (now - due > behind)
				behind = now - due;
			send_order(queued, n);
			queued += n;
			sent++;
			continue;
		}
		/* Rounded up: rounded down, a pace of more than one order a
		 * millisecond polled without sleeping, and the client took a core. */
		if (sent < orders)
			timeout = (long) ((due - now + 999999) / 1000000);
		if (recv_reply(timeout) == 0) {
			if (msg->n_fields != 2)
				die("expected ORDER's OK, got %zu fields", msg->n_fields);
			acked++;
		} else if (sent == orders && now_ns() > t0 + orders * interval + (uint64_t) TIMEOUT_MS * 1000000)
			die("%" PRIu64 " orders unacknowledged after %d ms", orders - acked, TIMEOUT_MS);
	}
	printf("{\"dishes\": %" PRIu64 ", \"seconds\": %.3f, \"behind_ms_max\": %.1f}\n",
	       arg_dishes, (now_ns() - t0) / 1e9, behind / 1e6);
	return 0;
}

static double since_ms(void)
{
	return (double) (now_ns() - arg_since_ns) / 1e6;
}

static int run_restart(void)
{
	uint64_t deadline = arg_since_ns + arg_timeout_ms * 1000000;
	double t_status, t_order, t_served;
	struct status s;
	uint64_t served;

	/* Sent at once, delivered when kitchend binds again (reconnect every ms). */
	send_simple(PROTO_STATUS, NULL, 0);
	while (recv_reply(10) < 0)
		if (now_ns() > deadline)
			die("no STATUS answer within %" PRIu64 " ms", arg_timeout_ms);
	t_status = since_ms();
	served = field_u64(4);

	send_order(0, 1);
	while (recv_reply(10) < 0)
		if (now_ns() > deadline)
			die("no ORDER answer within %" PRIu64 " ms", arg_timeout_ms);
	t_order = since_ms();

	for (;;) {
		s = get_status();
		if (s.served > served)
			break;
		if (now_ns() > deadline)
			die("no dish served within %" PRIu64 " ms", arg_timeout_ms);
		(void) recv_reply(STATUS_POLL_MS);
	}
	t_served = since_ms();
	printf("{\"status_ms\": %.1f, \"order_ms\": %.1f, \"served_ms\": %.1f, \"queued\": %" PRIu64 "}\n",
	       t_status, t_order, t_served, s.queued);
	return 0;
}

static void usage(void)
{
	fputs("usage: bench-kitchen-load throughput|latency|fill|pace|status|restart CONTROL-ENDPOINT [options]\n"
	      "  --dishes N --per-order N --window N --dish NAME --input TEXT --rate R --count N --warmup N\n"
	      "  --buckets B --since-ns T --timeout-ms MS   (see the comment at the top of kitchen-load.c)\n", stderr);
	exit(2);
}

static uint64_t number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !*s || *end)
		usage();
	return v;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "dishes", required_argument, NULL, 'd' },
		{ "per-order", required_argument, NULL, 'p' },
		{ "window", required_argument, NULL, 'w' },
		{ "dish", required_argument, NULL, 'n' },
		{ "input", required_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'c' },
		{ "warmup", required_argument, NULL, 'u' },
		{ "since-ns", required_argument, NULL, 's' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "buckets", required_argument, NULL, 'b' },
		{}
	};
	const char *mode;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
		switch (c) {
		case 'd': arg_dishes = number(optarg); break;
		case 'p': arg_per_order = (unsigned) number(optarg); break;
		case 'w': arg_window = (unsigned) number(optarg); break;
		case 'n': arg_dish = optarg; break;
		case 'i': arg_input = optarg; break;
		case 'r': arg_rate = number(optarg); break;
		case 'c': arg_count = number(optarg); break;
		case 'u': arg_warmup = number(optarg); break;
		case 's': arg_since_ns = number(optarg); break;
		case 't': arg_timeout_ms = number(optarg); break;
		case 'b': arg_buckets = number(optarg); break;
		default: usage();
		}
	if (argc - optind != 2)
		usage();
	mode = argv[optind];
	arg_endpoint = argv[optind + 1];
	if (arg_per_order == 0 || arg_per_order > 150 || arg_window == 0 || arg_rate == 0 || arg_buckets > 1000)
		usage();

	if (strcmp(mode, "restart") == 0) {
		open_socket(1);
		return run_restart();
	}
	open_socket(0);
	if (strcmp(mode, "throughput") == 0 && arg_dishes > 0)
		return run_throughput();
	if (strcmp(mode, "fill") == 0 && arg_dishes > 0)
		return run_fill();
	if (strcmp(mode, "pace") == 0 && arg_dishes > 0)
		return run_pace();
	if (strcmp(mode, "latency") == 0 && arg_count > 0)
		return run_latency();
	if (strcmp(mode, "status") == 0) {
		reply_timeout_ms = (long) arg_timeout_ms;
		return run_status();
	}
	usage();
}
