/*
 * test-brigade — the chef's brigade and its stations (workers/brigade.c,
 * station.c) on real threads and sockets, with the test as kitchend's sink:
 * an inproc PULL it reads, or leaves full, as a case needs.
 *
 * Short dishes go to a station in batches, answered with one RESULT in
 * order; free stations share the queue; long, followed, faulty dishes go
 * alone. With the sink full the station holds its answered batch, so a
 * CANCEL or an abort reaches dishes waiting in a station's batch at a moment
 * the test chooses: the cancelled dish is answered "failed" "cancelled" and
 * the rest of its batch "served"; once every dish of a batch is cancelled
 * the station lets it go.
 *
 * Program dishes run real programs (/bin/echo, /bin/sh, sleep, head): each
 * goes alone; stdout is the result, raw; a failure says its exit and last
 * stderr line; a CANCEL ends a sleeping program's group within the grace;
 * output beyond max_output is cut with the note; a followed dish's stderr
 * lines come as PROGRESS.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "brigade.h"
#include "recipe.h"
#include "ticket.h"
#include "proto.h"
#include "station.h"
#include "tap.h"
#include "util.h"

#define SINK "inproc://test-sink"
#define CHEF_ID "test-chef.1.00000000"
#define MAX_ID 8192
/* A station that has not said FREE this long after a batch of no-op
 * dishes is held by the full sink (it answers in microseconds otherwise). */
#define BLOCKED_MS 3000

static void *ctx;
static void *sink;
static struct proto_msg *msg;
static unsigned answered[MAX_ID];   /* groups seen per dish id */
static char outcome[MAX_ID][8];     /* the last group's outcome and result */
static char result[MAX_ID][64];     /* its first bytes, raw, NUL-terminated */
static size_t result_len[MAX_ID];   /* and its whole length */
static unsigned progress[MAX_ID];   /* PROGRESS lines seen per dish id */
static char last_progress[MAX_ID][64];

/* The session token the dishes come with, and their results go back with. */
#define TOKEN "feedfacefeedfacefeedfacefeedface"

/* A dish as ticket_from_group() makes it: @ingredients '\n'-joined. */
static struct ticket *make_dish(uint64_t id, const char *name, const char *ingredients)
{
	size_t len = strlen(ingredients);
	struct ticket *d = calloc(1, sizeof(*d) + len + 1);

	if (!d)
		abort();
	d->id = id;
	d->attempt = 1;
	memcpy(d->token, TOKEN, PROTO_TOKEN_LEN);
	snprintf(d->name, sizeof(d->name), "%s", name);
	memcpy(d->text, ingredients, len + 1);
	for (char *p = d->text; p; ) {
		char *nl = strchr(p, '\n');

		d->ingredients[d->n_ingredients++] = p;
		if (nl)
			*nl++ = '\0';
		p = nl;
	}
	return d;
}

static int add(struct brigade *b, struct ticket *d)
{
	return brigade_add(b, &d);
}

static int add_tea(struct brigade *b, uint64_t id)
{
	return add(b, make_dish(id, "Tea", "Leaves"));
}

/* Read every RESULT waiting on the sink (PROGRESS is skipped); record each
 * group; store the group count of each message in @sizes (up to @max).
 * Returns how many RESULT messages, or -1 for a malformed one. */
static int read_sink(int timeout_ms, size_t *sizes, size_t max, size_t *n_sizes)
{
	int n = 0;

	for (;;) {
		zmq_pollitem_t item = { .socket = sink, .events = ZMQ_POLLIN };

		if (zmq_poll(&item, 1, timeout_ms) <= 0)
			return n;
		timeout_ms = 0;
		if (proto_recv(sink, 0, msg, ZMQ_DONTWAIT) < 0)
			return -1;
		if (msg->cmd == PROTO_PROGRESS) {
			uint64_t id;

			if (proto_u64(msg, 2, &id) == 0 && id < MAX_ID) {
				progress[id]++;
				proto_str(msg, 4, last_progress[id], sizeof(last_progress[id]));
			}
			continue;
		}
		if (msg->cmd != PROTO_RESULT || !proto_field_is(msg, 0, CHEF_ID) || !proto_field_is(msg, 1, TOKEN))
			return -1;
		if (sizes && *n_sizes < max)
			sizes[(*n_sizes)++] = proto_groups(msg);
		for (size_t g = 0; g < proto_groups(msg); g++) {
			size_t f = proto_group_field(msg, g, 0);
			uint64_t id, attempt;
			size_t n_copy;

			const struct proto_field *res = &msg->fields[f + 4];

			if (proto_u64(msg, f, &id) < 0 || id >= MAX_ID || proto_u64(msg, f + 1, &attempt) < 0 ||
			    attempt != 1 || proto_str(msg, f + 2, outcome[id], sizeof(outcome[id])) < 0)
				return -1;
			/* Raw bytes: a program's stdout. */
			result_len[id] = res->len;
			n_copy = res->len < sizeof(result[id]) ? res->len : sizeof(result[id]) - 1;
			memcpy(result[id], res->data, n_copy);
			result[id][n_copy] = '\0';
			answered[id]++;
		}
		n++;
	}
}

/* Let the brigade hear its stations for up to @ms, until @free stations are free. */
static bool wait_free(struct brigade *b, unsigned free, int ms)
{
	uint64_t deadline = now_ms() + (uint64_t) ms;

	while (brigade_free_stations(b) < free) {
		zmq_pollitem_t item = { .socket = brigade_socket(b), .events = ZMQ_POLLIN };
		uint64_t now = now_ms();

		if (now >= deadline)
			return false;
		zmq_poll(&item, 1, (long) (deadline - now));
		if (brigade_process(b) < 0)
			return false;
	}
	return true;
}

/* Serve the brigade and read the sink until dishes @first..@last are answered. */
static int run_until_answered(struct brigade *b, uint64_t first, uint64_t last,
			      size_t *sizes, size_t max, size_t *n_sizes)
{
	uint64_t deadline = now_ms() + 10000;

	for (;;) {
		bool all = true;

		for (uint64_t id = first; id <= last; id++)
			all = all && answered[id] > 0;
		if (all)
			return 0;
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		if (brigade_process(b) < 0 || read_sink(1, sizes, max, n_sizes) < 0)
			return -EIO;
	}
}

static int setup_as(bool loop, unsigned stations, struct brigade **b)
{
	int hwm = 1;

	memset(answered, 0, sizeof(answered));
	memset(progress, 0, sizeof(progress));
	ctx = zmq_ctx_new();
	msg = proto_msg_new();
	sink = zmq_socket(ctx, ZMQ_PULL);
	if (!ctx || !msg || !sink || zmq_setsockopt(sink, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0 ||
	    zmq_bind(sink, SINK) < 0)
		return -1;
	return brigade_new(ctx, loop, stations, SINK, CHEF_ID, "test-chef", NULL, b);
}

static int setup(unsigned stations, struct brigade **b)
{
	return setup_as(false, stations, b);
}

static void teardown(struct brigade **b)
{
	brigade_free(b);
	zmq_close(sink);
	zmq_ctx_term(ctx);
	proto_msg_free(&msg);
}

static int test_one_station_batches(void)
{
	const unsigned n = 100;
	size_t sizes[16], n_sizes = 0, expect = 0;
	struct brigade *b;

	CHECK(setup(1, &b) == 0);
	for (uint64_t id = 1; id <= n; id++)
		CHECK(add(b, id % 2 ? make_dish(id, "Tea", "Leaves") : make_dish(id, "Toast", "Bread\nButter")) == 0);
	brigade_hand_out(b);
	CHECK(brigade_busy(b) == 1);
	CHECK(brigade_queued(b) == n - STATION_BATCH_MAX);
	CHECK(run_until_answered(b, 1, n, sizes, ELEMENTSOF(sizes), &n_sizes) == 0);

	/* Whole batches, in order: one RESULT each. */
	CHECK(n_sizes == (n + STATION_BATCH_MAX - 1) / STATION_BATCH_MAX);
	for (size_t i = 0; i < n_sizes; i++) {
		CHECK(sizes[i] == (n - expect < STATION_BATCH_MAX ? n - expect : STATION_BATCH_MAX));
		expect += sizes[i];
	}
	for (uint64_t id = 1; id <= n; id++) {
		CHECK(answered[id] == 1);
		CHECK(strcmp(outcome[id], "served") == 0);
		CHECK(strcmp(result[id], id % 2 ? "Served Tea" : "Served Toast") == 0);
	}
	CHECK(wait_free(b, 1, 5000));
	CHECK(brigade_busy(b) == 0);
	teardown(&b);
	return 0;
}

static int test_free_stations_share(void)
{
	size_t sizes[8], n_sizes = 0;
	unsigned twos = 0, threes = 0;
	struct brigade *b;

	CHECK(setup(4, &b) == 0);
	for (uint64_t id = 1; id <= 10; id++)
		CHECK(add_tea(b, id) == 0);
	brigade_hand_out(b);
	/* 10 over 4: 3, then 7 over 3: 3, then 2 and 2. */
	CHECK(brigade_busy(b) == 4);
	CHECK(brigade_queued(b) == 0);
	CHECK(run_until_answered(b, 1, 10, sizes, ELEMENTSOF(sizes), &n_sizes) == 0);
	CHECK(n_sizes == 4);
	for (size_t i = 0; i < n_sizes; i++) {
		twos += sizes[i] == 2;
		threes += sizes[i] == 3;
	}
	CHECK(twos == 2 && threes == 2);
	for (uint64_t id = 1; id <= 10; id++)
		CHECK(answered[id] == 1 && strcmp(outcome[id], "served") == 0);
	CHECK(wait_free(b, 4, 5000));
	teardown(&b);
	return 0;
}

static int test_long_dishes_alone(void)
{
	size_t sizes[16], n_sizes = 0;
	struct brigade *b;
	struct ticket *d;

	CHECK(setup(1, &b) == 0);
	CHECK(add_tea(b, 1) == 0);
	d = make_dish(2, "Tea", "Leaves");
	d->reject = "malformed dish: test";     /* only answered: short */
	CHECK(add(b, d) == 0);
	d = make_dish(3, "Tea", "Leaves");
	d->cook_ms = 1;                          /* waits: alone */
	CHECK(add(b, d) == 0);
	CHECK(add_tea(b, 4) == 0);
	d = make_dish(5, "Tea", "Leaves");
	d->flags = PROTO_DISH_FOLLOWED;          /* stage lines as they happen: alone */
	CHECK(add(b, d) == 0);
	CHECK(add_tea(b, 6) == 0);
	CHECK(add_tea(b, 7) == 0);
	d = make_dish(8, "Tea", "Leaves");
	d->fault = FAULT_FAIL;                   /* a fault: alone */
	CHECK(add(b, d) == 0);
	d = make_dish(9, "Tea", "Leaves");
	d->cpu_work = 10;                        /* CPU work: alone */
	CHECK(add(b, d) == 0);
	CHECK(add_tea(b, 10) == 0);
	brigade_hand_out(b);
	CHECK(run_until_answered(b, 1, 10, sizes, ELEMENTSOF(sizes), &n_sizes) == 0);

	/* [1 2] [3] [4] [5] [6 7] [8] [9] [10] */
	CHECK(n_sizes == 8);
	CHECK(sizes[0] == 2 && sizes[1] == 1 && sizes[2] == 1 && sizes[3] == 1 && sizes[4] == 2 &&
	      sizes[5] == 1 && sizes[6] == 1 && sizes[7] == 1);
	for (uint64_t id = 1; id <= 10; id++)
		CHECK(answered[id] == 1);
	CHECK(strcmp(outcome[2], "failed") == 0 && strcmp(result[2], "malformed dish: test") == 0);
	CHECK(strcmp(outcome[8], "failed") == 0 && strcmp(result[8], FAULT_FAIL_REASON) == 0);
	CHECK(strcmp(outcome[3], "served") == 0 && strcmp(outcome[5], "served") == 0 &&
	      strcmp(outcome[9], "served") == 0 && strcmp(outcome[10], "served") == 0);
	CHECK(wait_free(b, 1, 5000));
	teardown(&b);
	return 0;
}

/*
 * Batches of three until the station holds one it cannot answer: the sink
 * is full. Returns the first id of that batch, or 0; *next is the next id.
 */
static uint64_t fill_sink(struct brigade *b, uint64_t *next)
{
	for (unsigned n = 0; n < 3000; n++) {
		uint64_t first = *next;

		if (first + 3 >= MAX_ID)
			return 0;
		for (unsigned k = 0; k < 3; k++)
			if (add_tea(b, (*next)++) < 0)
				return 0;
		brigade_hand_out(b);
		if (brigade_busy(b) != 1 || brigade_queued(b) != 0)
			return 0;
		if (!wait_free(b, 1, BLOCKED_MS))
			return first;
	}
	return 0;
}

static int test_cancel_in_batch(void)
{
	uint64_t next = 1, x, queued;
	struct brigade *b;

	CHECK(setup(1, &b) == 0);
	x = fill_sink(b, &next);
	CHECK(x > 0);
	tap_diag("the sink took %llu batches before it was full", (unsigned long long) (x - 1) / 3);

	/* The middle dish of the batch the station holds, answered but not sent. */
	CHECK(brigade_cancel(b, x + 1, 1) == 1);
	CHECK(brigade_cancel(b, x + 1, 2) == 0);   /* another attempt: not here */
	CHECK(brigade_stuck(b, now_ms() + 600000, 1) == 0);   /* it holds dishes not cancelled */
	/* And one queued behind it. */
	queued = next++;
	CHECK(add_tea(b, queued) == 0);
	brigade_hand_out(b);
	CHECK(brigade_queued(b) == 1);
	CHECK(brigade_cancel(b, queued, 1) == 1);
	CHECK(brigade_queued(b) == 1);              /* to be answered, not cooked */

	/* Still held: the rest of the batch waits for the sink. */
	CHECK(!wait_free(b, 1, 200));
	CHECK(brigade_busy(b) == 1);

	CHECK(run_until_answered(b, 1, queued, NULL, 0, NULL) == 0);
	for (uint64_t id = 1; id <= queued; id++) {
		CHECK(answered[id] == 1);
		if (id == x + 1 || id == queued)
			CHECK(strcmp(outcome[id], "failed") == 0 && strcmp(result[id], STATION_CANCELLED) == 0);
		else
			CHECK(strcmp(outcome[id], "served") == 0 && strcmp(result[id], "Served Tea") == 0);
	}
	CHECK(wait_free(b, 1, 5000));
	CHECK(brigade_busy(b) == 0 && brigade_queued(b) == 0);
	teardown(&b);
	return 0;
}

static int test_abort_lets_batch_go(void)
{
	uint64_t next = 1, x;
	struct brigade *b;

	CHECK(setup(1, &b) == 0);
	x = fill_sink(b, &next);
	CHECK(x > 0);
	for (unsigned k = 0; k < 5; k++)
		CHECK(add_tea(b, next++) == 0);
	brigade_hand_out(b);
	CHECK(brigade_queued(b) == 5);

	brigade_abort(b);
	CHECK(brigade_queued(b) == 0);
	/* Every dish it holds is cancelled: stuck unless it says FREE. */
	CHECK(brigade_stuck(b, now_ms() + 600000, 1) == 1);
	CHECK(brigade_busy(b) == 1);
	/* It lets the batch go although the sink cannot take its answer. */
	CHECK(wait_free(b, 1, 5000));
	CHECK(brigade_busy(b) == 0);
	CHECK(brigade_stuck(b, now_ms() + 600000, 1) == 0);

	/* Everything before the batch is served once; the batch and the queued
	 * dishes are not answered at all. */
	CHECK(read_sink(100, NULL, 0, NULL) >= 0);
	CHECK(run_until_answered(b, 1, x - 1, NULL, 0, NULL) == 0);
	CHECK(read_sink(100, NULL, 0, NULL) >= 0);
	for (uint64_t id = 1; id < next; id++)
		CHECK(answered[id] == (id < x ? 1u : 0u));

	/* And the station cooks again. */
	CHECK(add_tea(b, next) == 0);
	brigade_hand_out(b);
	CHECK(run_until_answered(b, next, next, NULL, 0, NULL) == 0);
	CHECK(strcmp(outcome[next], "served") == 0);
	teardown(&b);
	return 0;
}

/* A program dish: no ingredients, @input, the recipe @rc (static, no cookbook). */
static struct ticket *make_program(uint64_t id, const struct recipe *rc, const char *input)
{
	size_t len = strlen(input);
	struct ticket *d = calloc(1, sizeof(*d) + 1 + len + 1);

	if (!d)
		abort();
	d->id = id;
	d->attempt = 1;
	memcpy(d->token, TOKEN, PROTO_TOKEN_LEN);
	snprintf(d->name, sizeof(d->name), "Program");
	memcpy(d->text + 1, input, len);
	d->input = d->text + 1;
	d->input_len = len;
	d->recipe = rc;
	return d;
}

static const char *const echo_argv[] = { "/bin/echo", "{input}", NULL };
static const struct recipe echo = { .argv = echo_argv, .dir = "/" };
/* An input that starts with '-' needs the "--" before it. */
static const char *const printf_argv[] = { "printf", "--", "%s\\n", "{input}", NULL };
static const struct recipe print = { .argv = printf_argv, .dir = "/" };

static int test_program_served_alone(void)
{
	size_t sizes[8], n_sizes = 0;
	struct brigade *b;

	CHECK(setup(1, &b) == 0);
	CHECK(add_tea(b, 1) == 0);
	CHECK(add(b, make_program(2, &echo, "hello")) == 0);
	CHECK(add_tea(b, 3) == 0);
	CHECK(add_tea(b, 4) == 0);
	CHECK(add(b, make_program(5, &print, "-n looks like an option\tand a tab")) == 0);
	brigade_hand_out(b);
	CHECK(run_until_answered(b, 1, 5, sizes, ELEMENTSOF(sizes), &n_sizes) == 0);
	/* [1] [2] [3 4] [5]: a program goes alone, short dishes after it together. */
	CHECK(n_sizes == 4);
	CHECK(sizes[0] == 1 && sizes[1] == 1 && sizes[2] == 2 && sizes[3] == 1);
	CHECK(strcmp(outcome[2], "served") == 0 && strcmp(result[2], "hello\n") == 0);
	CHECK(result_len[2] == 6);
	CHECK(strcmp(outcome[5], "served") == 0);
	CHECK(strcmp(result[5], "-n looks like an option\tand a tab\n") == 0);
	CHECK(strcmp(result[3], "Served Tea") == 0);
	CHECK(wait_free(b, 1, 5000));
	teardown(&b);
	return 0;
}

static int test_program_fails(void)
{
	static const char *const fail_argv[] = {
		"/bin/sh", "-c", "echo first >&2; echo no such file >&2; exit 3", NULL
	};
	static const char *const segv_argv[] = { "/bin/sh", "-c", "kill -SEGV $$", NULL };
	static const char *const slow_argv[] = { "/bin/sleep", "5", NULL };
	static const char *const missing_argv[] = { "/nonexistent/program", NULL };
	const struct recipe fail = { .argv = fail_argv, .dir = "/" };
	const struct recipe segv = { .argv = segv_argv, .dir = "/" };
	const struct recipe slow = { .argv = slow_argv, .dir = "/", .timeout_ms = 200 };
	const struct recipe missing = { .argv = missing_argv, .dir = "/" };
	struct brigade *b;

	CHECK(setup(2, &b) == 0);
	CHECK(add(b, make_program(1, &fail, "")) == 0);
	CHECK(add(b, make_program(2, &segv, "")) == 0);
	CHECK(add(b, make_program(3, &slow, "")) == 0);
	CHECK(add(b, make_program(4, &missing, "")) == 0);
	brigade_hand_out(b);
	CHECK(run_until_answered(b, 1, 4, NULL, 0, NULL) == 0);
	CHECK(strcmp(outcome[1], "failed") == 0 && strcmp(result[1], "exit 3: no such file") == 0);
	CHECK(strcmp(outcome[2], "failed") == 0 && strncmp(result[2], "killed by SIGSEGV", 17) == 0);
	CHECK(strcmp(outcome[3], "failed") == 0 && strcmp(result[3], "timed out after 200 ms") == 0);
	CHECK(strcmp(outcome[4], "failed") == 0 && strncmp(result[4], "cannot run", 10) == 0);
	CHECK(wait_free(b, 2, 5000));
	teardown(&b);
	return 0;
}

static int test_program_cancel(void)
{
	/* The shell ignores TERM: the group gets KILL after the grace. */
	static const char *const hang_argv[] = {
		"/bin/sh", "-c", "trap '' TERM; sleep 30 & sleep 30; wait", NULL
	};
	static const char *const sleep_argv[] = { "/bin/sleep", "30", NULL };
	const struct recipe hang = { .argv = hang_argv, .dir = "/", .grace_ms = 300 };
	const struct recipe nap = { .argv = sleep_argv, .dir = "/" };
	struct brigade *b;
	uint64_t t0;

	CHECK(setup(2, &b) == 0);
	CHECK(add(b, make_program(1, &hang, "")) == 0);
	CHECK(add(b, make_program(2, &nap, "")) == 0);
	brigade_hand_out(b);
	CHECK(brigade_busy(b) == 2);
	/* Let both start. */
	CHECK(run_until_answered(b, 1, 2, NULL, 0, NULL) == -ETIMEDOUT || true);
	t0 = now_ms();
	CHECK(brigade_cancel(b, 1, 1) == 1);
	CHECK(brigade_cancel(b, 2, 1) == 1);
	CHECK(run_until_answered(b, 1, 2, NULL, 0, NULL) == 0);
	CHECK(now_ms() - t0 < 3000);
	CHECK(strcmp(outcome[1], "failed") == 0 && strcmp(result[1], STATION_CANCELLED) == 0);
	CHECK(strcmp(outcome[2], "failed") == 0 && strcmp(result[2], STATION_CANCELLED) == 0);
	CHECK(wait_free(b, 2, 5000));
	teardown(&b);
	return 0;
}

static int test_program_output_cut(void)
{
	static const char *const big_argv[] = {
		"/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x", NULL
	};
	const struct recipe cut = { .argv = big_argv, .dir = "/", .max_output = 1000 };
	const struct recipe whole = { .argv = big_argv, .dir = "/", .max_output = 1 << 20 };
	char note[64];
	struct brigade *b;

	CHECK(setup(1, &b) == 0);
	CHECK(add(b, make_program(1, &cut, "")) == 0);
	CHECK(add(b, make_program(2, &whole, "")) == 0);
	brigade_hand_out(b);
	CHECK(run_until_answered(b, 1, 2, NULL, 0, NULL) == 0);
	snprintf(note, sizeof(note), RECIPE_CUT_NOTE, (size_t) 1000);
	CHECK(strcmp(outcome[1], "served") == 0 && result_len[1] == 1000 + strlen(note));
	CHECK(strcmp(outcome[2], "served") == 0 && result_len[2] == 300000);
	CHECK(wait_free(b, 1, 5000));
	teardown(&b);
	return 0;
}

static int test_program_followed(void)
{
	static const char *const talk_argv[] = {
		"/bin/sh", "-c", "echo one >&2; echo two >&2; cat", NULL
	};
	const struct recipe talk = { .argv = talk_argv, .dir = "/" };
	struct brigade *b;
	struct ticket *d;

	CHECK(setup(1, &b) == 0);
	d = make_program(1, &talk, "in\0put");  /* the NUL ends it here: strlen */
	d->flags = PROTO_DISH_FOLLOWED;
	CHECK(add(b, d) == 0);
	d = make_program(2, &talk, "quiet");
	CHECK(add(b, d) == 0);
	brigade_hand_out(b);
	CHECK(run_until_answered(b, 1, 2, NULL, 0, NULL) == 0);
	CHECK(strcmp(outcome[1], "served") == 0 && strcmp(result[1], "in") == 0);
	CHECK(progress[1] == 2 && strcmp(last_progress[1], "two") == 0);
	CHECK(progress[2] == 0 && strcmp(result[2], "quiet") == 0);
	CHECK(wait_free(b, 1, 5000));
	teardown(&b);
	return 0;
}

/* Hand out, and hear the stations, until no dish is queued here, for up to @ms. */
static bool wait_handed(struct brigade *b, int ms)
{
	uint64_t deadline = now_ms() + (uint64_t) ms;

	while (brigade_queued(b) > 0) {
		zmq_pollitem_t item = { .socket = brigade_socket(b), .events = ZMQ_POLLIN };
		long timeout = brigade_timeout_ms(b);
		uint64_t now = now_ms();

		if (now >= deadline)
			return false;
		if (timeout < 0 || timeout > (long) (deadline - now))
			timeout = (long) (deadline - now);
		zmq_poll(&item, 1, timeout);
		if (brigade_process(b) < 0)
			return false;
	}
	return true;
}

/* A dish of one ingredient that waits @ms. */
static struct ticket *make_wait(uint64_t id, uint64_t ms)
{
	struct ticket *d = make_dish(id, "Tea", "Leaves");

	d->cook_ms = ms;
	return d;
}

/* One station, or one event-loop slot (@loop). */
static int next_dish(bool loop)
{
	struct brigade *b;
	struct ticket *d;
	uint64_t t0;
	long timeout;

	CHECK(setup_as(loop, 1, &b) == 0);
	/* CPU work has no known length: its station gets no next dish. */
	d = make_dish(1, "Tea", "Leaves");
	d->cpu_work = 1 << 22;
	CHECK(add(b, d) == 0);
	CHECK(add_tea(b, 2) == 0);
	brigade_hand_out(b);
	CHECK(brigade_queued(b) == 1 && brigade_timeout_ms(b) == -1);
	CHECK(run_until_answered(b, 1, 2, NULL, 0, NULL) == 0);
	CHECK(wait_free(b, 1, 5000));

	/* Forty 1 ms dishes, one at a time, each to a free station: their
	 * entries in the heap of due stations go stale, and it is made again. */
	for (uint64_t id = 100; id < 140; id++) {
		CHECK(add(b, make_wait(id, 1)) == 0);
		brigade_hand_out(b);
		CHECK(run_until_answered(b, id, id, NULL, 0, NULL) == 0);
		CHECK(wait_free(b, 1, 5000));
	}

	/* A 60 ms wait: the dish behind it is handed 2 ms before it is due, no sooner. */
	t0 = now_ms();
	CHECK(add(b, make_wait(3, 60)) == 0);
	CHECK(add(b, make_wait(4, 10)) == 0);
	brigade_hand_out(b);
	timeout = brigade_timeout_ms(b);
	CHECK(brigade_queued(b) == 1 && timeout >= 50 && timeout <= 59);
	CHECK(wait_handed(b, 1000));
	CHECK(now_ms() - t0 >= 57);
	CHECK(answered[3] == 0 && brigade_free_stations(b) == 0 && brigade_timeout_ms(b) == -1);
	/* Its FREE for dish 3 leaves it busy with dish 4, which is due 10 ms on:
	 * dish 5 is its next soon after. */
	CHECK(add_tea(b, 5) == 0);
	CHECK(wait_handed(b, 1000));
	CHECK(brigade_free_stations(b) == 0);
	CHECK(run_until_answered(b, 3, 5, NULL, 0, NULL) == 0);
	CHECK(now_ms() - t0 >= 70);
	CHECK(strcmp(outcome[3], "served") == 0 && strcmp(outcome[4], "served") == 0 &&
	      strcmp(outcome[5], "served") == 0);
	CHECK(wait_free(b, 1, 5000));
	teardown(&b);
	return 0;
}

static int test_next_dish(void)
{
	return next_dish(false);
}

static int test_next_dish_loop(void)
{
	return next_dish(true);
}

static int next_dish_cancel(bool loop)
{
	struct brigade *b;

	CHECK(setup_as(loop, 1, &b) == 0);
	/* CANCEL of the next dish: the station answers it when its turn comes. */
	CHECK(add(b, make_wait(1, 20)) == 0);
	CHECK(add(b, make_wait(2, 20)) == 0);
	brigade_hand_out(b);
	CHECK(wait_handed(b, 1000));
	CHECK(brigade_cancel(b, 2, 1) == 1);
	CHECK(run_until_answered(b, 1, 2, NULL, 0, NULL) == 0);
	CHECK(strcmp(outcome[1], "served") == 0);
	CHECK(strcmp(outcome[2], "failed") == 0 && strcmp(result[2], STATION_CANCELLED) == 0);
	CHECK(wait_free(b, 1, 5000));

	/* An abort reaches the next dish too (the one cooking may be done by then). */
	CHECK(add(b, make_wait(3, 20)) == 0);
	CHECK(add(b, make_wait(4, 20)) == 0);
	brigade_hand_out(b);
	CHECK(wait_handed(b, 1000));
	brigade_abort(b);
	CHECK(run_until_answered(b, 3, 4, NULL, 0, NULL) == 0);
	CHECK(strcmp(outcome[4], "failed") == 0 && strcmp(result[4], STATION_CANCELLED) == 0);
	CHECK(wait_free(b, 1, 5000));
	CHECK(answered[1] == 1 && answered[2] == 1 && answered[3] == 1 && answered[4] == 1);
	teardown(&b);
	return 0;
}

static int test_next_dish_cancel(void)
{
	return next_dish_cancel(false);
}

static int test_next_dish_cancel_loop(void)
{
	return next_dish_cancel(true);
}

static const struct tap_case cases[] = {
	{ "one station: short dishes in batches, answered in order", test_one_station_batches },
	{ "free stations share the queue", test_free_stations_share },
	{ "long, followed, faulty dishes go alone", test_long_dishes_alone },
	{ "CANCEL of a dish in a batch waiting for the sink", test_cancel_in_batch },
	{ "abort lets a batch go without the sink", test_abort_lets_batch_go },
	{ "a program dish goes alone, served with its stdout", test_program_served_alone },
	{ "a program's exit, signal, time-out and absence fail it", test_program_fails },
	{ "CANCEL ends a program's group, within the grace", test_program_cancel },
	{ "output beyond max_output is cut with the note", test_program_output_cut },
	{ "a followed program's stderr lines are PROGRESS", test_program_followed },
	{ "a station about to be done gets its next dish", test_next_dish },
	{ "CANCEL and abort reach a next dish", test_next_dish_cancel },
	{ "an event-loop slot about to be done gets its next dish", test_next_dish_loop },
	{ "CANCEL and abort reach an event-loop slot's next dish", test_next_dish_cancel_loop },
};

int main(void)
{
	return tap_run(cases, ELEMENTSOF(cases));
}
