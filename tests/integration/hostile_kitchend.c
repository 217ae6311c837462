/*
 * hostile --kitchend MODE: a kitchend that lies to kitchenctl, for
 * test_hostile_kitchend.py and test_wait_lost.py. hostile.h says how to run it.
 *
 * Its orders: ORDER is answered OK 1 N (order 1, N the dishes sent); SHOW
 * and WAIT answer with a report of order 1 of those dishes ("Pizza" when no
 * ORDER came first), "cooking", at once. Each MODE then lies one way:
 *
 *	cooking    nothing more: order 1 cooks for ever
 *	wait-full  WAIT is answered ERR full "too many clients waiting; ..."
 *	wait-mine  WAIT is answered ERR full "this client already has 16 WAITs pending"
 *	huge       every request is answered OK with one frame of 1 GiB
 *	frames     every request is answered OK with PROTO_MAX_FRAMES + 900 frames
 *	flood      every request is answered OK with 16384 frames of 64 KiB (1 GiB)
 *	flood-events  a subscriber to "order.1." on --events gets a STAGE with
 *	           such frames after its fields
 *	count      ORDER is answered OK 1 N+1
 *	dishes     report K (from 1) has N+K dishes
 *	bidi       names, chefs, results and stage lines hold bidirectional
 *	           overrides and other invisible characters; every report but
 *	           the first says "served"; a subscriber to "order.1." on
 *	           --events gets a STAGE, SERVED and DONE of such text
 *	bidi-err   every request is answered ERR bad-request with such text
 *	gap        a subscriber to "order.1." on --events gets STAGE seq 1, then
 *	           seq 4 (kitchend dropped 2 for it), SERVED 5 and DONE 6;
 *	           every report but the first says "served"
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <zmq.h>

#include "hostile.h"
#include "proto.h"

#define HUGE_FRAME (1ull << 30)
#define FLOOD_FRAMES 16384   /* of PROTO_MAX_FIELD bytes: a GiB */
#define MAX_NAMES PROTO_ORDER_MAX_DISHES

/* Text no terminal should show raw: RLO, LRI/PDI, RLM, ALM, LRE, LRM, ZWSP, BOM, LS. */
#define BIDI_NAME   "Pizza\u202e azzip"
#define BIDI_CHEF   "chef\u2066-1\u2069"
#define BIDI_RESULT "Served \u200fPizza\u061c"
#define BIDI_ITEMS  "Served \u202aCooked\u200e Flour\nwith\u200b a pinch\ufeff of magic\u2028"
#define BIDI_STAGE  "Cooking ingredient \u2067Flour\u2069..."
#define BIDI_ERR    "no such order \u202eredro"

struct fake {
	const char *mode;
	void *control, *events;
	struct proto_msg *m;
	char names[MAX_NAMES][PROTO_MAX_NAME + 1];
	size_t n;
	unsigned reports;
};

static bool is(const struct fake *k, const char *mode)
{
	return strcmp(k->mode, mode) == 0;
}

static void reply_begin(struct fake *k, struct proto_out *o, enum proto_cmd cmd)
{
	proto_out_begin(o, k->control, cmd);
	proto_out_env(o, k->m->env[0].data, k->m->env[0].len);
	proto_out_env(o, "", 0);
}

static void reply_err(struct fake *k, const char *code, const char *text)
{
	struct proto_out o;

	reply_begin(k, &o, PROTO_ERR);
	proto_out_str(&o, code);
	proto_out_str(&o, text);
	proto_out_end(&o, 0);
}

static void report(struct fake *k)
{
	bool bidi = is(k, "bidi"), served = (bidi || is(k, "gap")) && k->reports > 0;
	size_t n = k->n + (is(k, "dishes") ? k->reports + 1 : 0);
	const char *state = served ? "served" : "cooking";
	struct proto_out o;

	k->reports++;
	reply_begin(k, &o, PROTO_OK);
	proto_out_u64(&o, 1);
	proto_out_str(&o, state);
	proto_out_u64(&o, 1700000000000);
	proto_out_u64(&o, n);
	proto_out_u64(&o, served ? n : 0);
	proto_out_u64(&o, 0);
	proto_out_u64(&o, 0);
	proto_out_u64(&o, PROTO_PRIORITY_DEFAULT);
	proto_out_u64(&o, 0);  /* due: at once */
	for (size_t i = 0; i < n; i++) {
		proto_out_pack_begin(&o);
		proto_out_u64(&o, i);
		proto_out_str(&o, bidi ? BIDI_NAME : k->names[i % k->n]);
		proto_out_str(&o, state);
		proto_out_u64(&o, 1);
		proto_out_str(&o, bidi ? BIDI_CHEF : "chef-1");
		proto_out_str(&o, served ? BIDI_RESULT : "");
		proto_out_str(&o, served ? BIDI_ITEMS : "");
		proto_out_u64(&o, 1700000000000);  /* started */
		proto_out_u64(&o, served ? 1700000001000 : 0);
		proto_out_pack_end(&o);
	}
	proto_out_end(&o, 0);
}

/* The frames before an OK's fields, sent by hand: what follows is no proto_out's. */
static void ok_head(struct fake *k)
{
	zmq_send(k->control, k->m->env[0].data, k->m->env[0].len, ZMQ_SNDMORE);
	zmq_send(k->control, "", 0, ZMQ_SNDMORE);
	zmq_send(k->control, PROTO_VERSION, strlen(PROTO_VERSION), ZMQ_SNDMORE);
	zmq_send(k->control, "OK", 2, ZMQ_SNDMORE);
}

static void unmap(void *data, void *hint)
{
	munmap(data, HUGE_FRAME);
}

/* OK and one frame of a GiB that costs nothing here: untouched pages read as zeros. */
static void reply_huge(struct fake *k)
{
	void *p = mmap(NULL, HUGE_FRAME, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	zmq_msg_t big;

	if (p == MAP_FAILED)
		return;
	ok_head(k);
	zmq_msg_init_data(&big, p, HUGE_FRAME, unmap, NULL);
	if (zmq_msg_send(&big, k->control, ZMQ_DONTWAIT) < 0)
		zmq_msg_close(&big);
}

/* @n frames of PROTO_MAX_FIELD zeros, the last without ZMQ_SNDMORE; they cost nothing here. */
static void send_flood(void *sock, size_t n)
{
	static const char zeros[PROTO_MAX_FIELD];

	for (size_t i = 0; i < n; i++) {
		zmq_msg_t part;

		/* No free function: a constant message, never copied. */
		zmq_msg_init_data(&part, (void *) zeros, sizeof(zeros), NULL, NULL);
		if (zmq_msg_send(&part, sock, i + 1 < n ? ZMQ_SNDMORE : 0) < 0) {
			zmq_msg_close(&part);
			return;
		}
	}
}

static void reply_flood(struct fake *k)
{
	ok_head(k);
	send_flood(k->control, FLOOD_FRAMES);
}

static void reply_frames(struct fake *k)
{
	struct proto_out o;

	reply_begin(k, &o, PROTO_OK);
	for (size_t i = 0; i < PROTO_MAX_FRAMES + 900; i++)
		proto_out_str(&o, "1");
	proto_out_end(&o, 0);
}

static void order(struct fake *k)
{
	struct proto_out o;

	k->n = 0;
	/* (dish input) pairs after flags key priority due_ms */
	for (size_t i = 4; i < k->m->n_fields && k->n < MAX_NAMES; i += 2)
		if (proto_str(k->m, i, k->names[k->n], sizeof(k->names[0])) == 0)
			k->n++;
	if (k->n == 0)
		return reply_err(k, PROTO_ERR_BAD_REQUEST, "an order needs at least one dish");
	reply_begin(k, &o, PROTO_OK);
	proto_out_u64(&o, 1);
	proto_out_u64(&o, k->n + is(k, "count"));
	proto_out_end(&o, 0);
}

static void request(struct fake *k)
{
	if (is(k, "huge"))
		return reply_huge(k);
	if (is(k, "frames"))
		return reply_frames(k);
	if (is(k, "flood"))
		return reply_flood(k);
	if (is(k, "bidi-err"))
		return reply_err(k, PROTO_ERR_BAD_REQUEST, BIDI_ERR);
	if (k->m->cmd == PROTO_ORDER)
		return order(k);
	if (k->m->cmd == PROTO_WAIT && is(k, "wait-full"))
		return reply_err(k, PROTO_ERR_FULL, "too many clients waiting; try again later");
	if (k->m->cmd == PROTO_WAIT && is(k, "wait-mine"))
		return reply_err(k, PROTO_ERR_FULL, "this client already has 16 WAITs pending");
	if (k->m->cmd == PROTO_WAIT || k->m->cmd == PROTO_SHOW)
		return report(k);
	reply_err(k, PROTO_ERR_BAD_REQUEST, "this kitchend only takes orders");
}

/* Event @seq of order 1 (0: the one after the last). */
static void publish(struct fake *k, enum proto_cmd cmd, uint64_t seq, const char *const *fields, size_t n)
{
	static uint64_t last;
	struct proto_out o;

	last = seq ? seq : last + 1;
	proto_out_begin(&o, k->events, cmd);
	proto_out_env(&o, "order.1.", 8);
	proto_out_u64(&o, 1);
	proto_out_u64(&o, last);
	for (size_t i = 0; i < n; i++)
		proto_out_str(&o, fields[i]);
	proto_out_end(&o, 0);
}

/* A subscription to order 1: its events, in bidi's text. */
static void subscribed(struct fake *k)
{
	char buf[256];
	int n = zmq_recv(k->events, buf, sizeof(buf), 0);

	if (n != 9 || buf[0] != 1 || memcmp(buf + 1, "order.1.", 8) != 0)
		return;
	if (is(k, "flood-events")) {
		static const char *const head[] = { "order.1.", PROTO_VERSION, "STAGE", "1", "1", "0", "Pizza", "chef-1" };

		for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
			zmq_send(k->events, head[i], strlen(head[i]), ZMQ_SNDMORE);
		return send_flood(k->events, FLOOD_FRAMES);
	}
	if (is(k, "gap")) {
		publish(k, PROTO_STAGE, 1, (const char *[]) { "0", "Pizza", "chef-1", "Get ingredients for Pizza..." }, 4);
		publish(k, PROTO_STAGE, 4, (const char *[]) { "0", "Pizza", "chef-1", "Seasoning Cooked Flour..." }, 4);
		publish(k, PROTO_SERVED, 0, (const char *[]) { "0", "Pizza", "chef-1", "Served Pizza", "" }, 5);
		publish(k, PROTO_DONE, 0, (const char *[]) { "served", "1", "0", "0" }, 4);
		return;
	}
	if (!is(k, "bidi"))
		return;
	publish(k, PROTO_STAGE, 0, (const char *[]) { "0", BIDI_NAME, BIDI_CHEF, BIDI_STAGE }, 4);
	publish(k, PROTO_SERVED, 0, (const char *[]) { "0", BIDI_NAME, BIDI_CHEF, BIDI_RESULT, BIDI_ITEMS }, 5);
	publish(k, PROTO_DONE, 0, (const char *[]) { "served", "1", "0", "0" }, 4);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int hostile_kitchend(void *zctx, const char *mode, const char *control, const char *events, double seconds)
{
	static const char *const modes[] = {
		"cooking", "wait-full", "wait-mine", "huge", "frames", "flood", "flood-events", "count", "dishes",
		"bidi", "bidi-err", "gap",
	};
	struct fake k = { .mode = mode, .n = 1, .names = { "Pizza" } };
	uint64_t end = mono_ms() + (uint64_t) (seconds * 1000);
	int linger = 0, verbose = 1;
	bool known = false;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		known |= strcmp(mode, modes[i]) == 0;
	if (!known) {
		fprintf(stderr, "hostile: unknown --kitchend mode '%s'\n", mode);
		return 2;
	}
	k.m = proto_msg_new();
	k.control = zmq_socket(zctx, ZMQ_ROUTER);
	k.events = events ? zmq_socket(zctx, ZMQ_XPUB) : NULL;
	if (!k.m || !k.control || (events && !k.events))
		return 1;
	zmq_setsockopt(k.control, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(k.control, control) < 0) {
		fprintf(stderr, "hostile: cannot bind %s: %s\n", control, zmq_strerror(errno));
		return 1;
	}
	if (k.events) {
		zmq_setsockopt(k.events, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_setsockopt(k.events, ZMQ_XPUB_VERBOSER, &verbose, sizeof(verbose));
		if (zmq_bind(k.events, events) < 0) {
			fprintf(stderr, "hostile: cannot bind %s: %s\n", events, zmq_strerror(errno));
			return 1;
		}
	}
	while (mono_ms() < end) {
		zmq_pollitem_t items[] = {
			{ .socket = k.control, .events = ZMQ_POLLIN },
			{ .socket = k.events, .events = ZMQ_POLLIN },
		};

		if (zmq_poll(items, k.events ? 2 : 1, 100) <= 0)
			continue;
		if ((items[0].revents & ZMQ_POLLIN) && proto_recv(k.control, 2, k.m, ZMQ_DONTWAIT) == 0)
			request(&k);
		if (k.events && (items[1].revents & ZMQ_POLLIN))
			subscribed(&k);
	}
	zmq_close(k.control);
	if (k.events)
		zmq_close(k.events);
	proto_msg_free(&k.m);
	return 0;
}
