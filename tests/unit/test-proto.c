/*
 * test-proto — the wire protocol over real ZeroMQ sockets.
 *
 * Messages are encoded with proto_out on one end of an inproc PAIR and
 * decoded with proto_recv on the other; hand-made frames play the malformed
 * peers. A table of named cases, one TAP line each; every command of the
 * protocol gets its own case checking its table entry (the copy below is the
 * contract docs/protocol.md describes; proto.c must agree with it).
 */
#include "proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "tap.h"
#include "util.h"

static void *ctx;
static void *tx, *rx;  /* the PAIR: tx sends, rx receives */
static struct proto_msg *m;


/* Receive on @sock (1 s at most, so a bug fails rather than hangs). */
static int recv_on(void *sock, size_t n_env)
{
	return proto_recv(sock, n_env, m, 0);
}

static int recv_msg(size_t n_env)
{
	return recv_on(rx, n_env);
}

/* Raw frames, for messages proto_out would never write. */
static void send_raw(void *sock, size_t n, const char *const *frames)
{
	for (size_t i = 0; i < n; i++)
		if (zmq_send(sock, frames[i], strlen(frames[i]), i + 1 < n ? ZMQ_SNDMORE : 0) < 0) {
			tap_diag("zmq_send: %s", zmq_strerror(errno));
			exit(99);
		}
}

#define SEND_RAW(...)                                                             \
	do {                                                                      \
		const char *const frames_[] = { __VA_ARGS__ };                   \
		send_raw(tx, ELEMENTSOF(frames_), frames_);     \
	} while (0)

/* After a refused message the socket must be in step: the next one reads whole. */
static void check_in_step(void)
{
	struct proto_out o;

	proto_out_begin(&o, tx, PROTO_HEARTBEAT);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->cmd == PROTO_HEARTBEAT && m->n_fields == 0);
}

static bool field_eq(size_t i, const char *s)
{
	return proto_field_is(m, i, s);
}

/* The contract: fixed fields, then groups of @group fields, at least @min_groups. */
static const struct schema {
	enum proto_cmd cmd;
	const char *name;
	unsigned fixed, group, min_groups;
	bool packed;
} table[] = {
	{ PROTO_ORDER, "ORDER", 4, 2, 1, false },
	{ PROTO_WAIT, "WAIT", 2, 0, 0, false },
	{ PROTO_SHOW, "SHOW", 1, 0, 0, false },
	{ PROTO_STATUS, "STATUS", 0, 0, 0, false },
	{ PROTO_MENU, "MENU", 0, 0, 0, false },
	{ PROTO_CHEFS, "CHEFS", 0, 0, 0, false },
	{ PROTO_DRAIN, "DRAIN", 0, 0, 0, false },
	{ PROTO_RELOAD, "RELOAD", 0, 0, 0, false },
	{ PROTO_REVOKE, "REVOKE", 1, 1, 0, false },
	{ PROTO_PURGE, "PURGE", 1, 0, 0, false },
	{ PROTO_RETRY, "RETRY", 1, 1, 0, false },
	{ PROTO_LIST, "LIST", 7, 0, 0, false },
	{ PROTO_OUTPUT, "OUTPUT", 2, 0, 0, false },
	{ PROTO_METRICS, "METRICS", 0, 0, 0, false },
	{ PROTO_ORDERS, "ORDERS", 3, 3, 1, true },
	{ PROTO_WAITS, "WAITS", 3, 0, 0, false },
	{ PROTO_OK, "OK", 0, 1, 0, false },
	{ PROTO_ERR, "ERR", 2, 0, 0, false },
	{ PROTO_READY, "READY", 6, 0, 0, false },
	{ PROTO_HEARTBEAT, "HEARTBEAT", 0, 0, 0, false },
	{ PROTO_DISH, "DISH", 1, 12, 1, true },
	{ PROTO_CANCEL, "CANCEL", 2, 0, 0, false },
	{ PROTO_PROGRESS, "PROGRESS", 5, 0, 0, false },
	{ PROTO_RESULT, "RESULT", 2, 5, 1, true },
	{ PROTO_ORDERED, "ORDERED", 3, 0, 0, false },
	{ PROTO_STAGE, "STAGE", 6, 0, 0, false },
	{ PROTO_SERVED, "SERVED", 7, 0, 0, false },
	{ PROTO_FAILED, "FAILED", 6, 0, 0, false },
	{ PROTO_CANCELLED, "CANCELLED", 6, 0, 0, false },
	{ PROTO_DONE, "DONE", 6, 0, 0, false },
	{ PROTO_CHEF, "CHEF", 4, 0, 0, false },
};

/* Send @cmd with @n fields named "f<i>"; 0 or -errno from proto_out_end. */
static int send_fields(enum proto_cmd cmd, size_t n)
{
	struct proto_out o;
	char buf[32];

	proto_out_begin(&o, tx, cmd);
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "f%zu", i);
		proto_out_str(&o, buf);
	}
	return proto_out_end(&o, 0);
}

static void expect_refused(const struct schema *s, size_t n, const char *why)
{
	bool half = s->packed && n > s->fixed && (n - s->fixed) % s->group != 0;
	int r;

	/* proto_out_end says a packed group was left half; it still went out. */
	EXPECT(send_fields(s->cmd, n) == (half ? -EINVAL : 0));
	r = recv_msg(0);
	if (r != -EPROTO) {
		tap_diag("%s with %zu fields (%s): got %d, want -EPROTO", s->name, n, why, r);
		tap_failed = true;
	}
	EXPECT(m->n_fields == 0 && m->fields == NULL);
}

static void expect_accepted(const struct schema *s, size_t n)
{
	char buf[32];
	int r;

	EXPECT(send_fields(s->cmd, n) == 0);
	r = recv_msg(0);
	if (r != 0) {
		tap_diag("%s with %zu fields: got %d, want 0", s->name, n, r);
		tap_failed = true;
		return;
	}
	EXPECT(m->cmd == s->cmd);
	EXPECT(m->n_env == 0);
	EXPECT(m->n_fields == n);
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "f%zu", i);
		EXPECT(field_eq(i, buf));
	}
	if (s->group) {
		size_t groups = (n - s->fixed) / s->group;

		EXPECT(proto_groups(m) == groups);
		/* the last field of the last group is where proto_group_field says */
		if (groups > 0) {
			snprintf(buf, sizeof(buf), "f%zu", n - 1);
			EXPECT(field_eq(proto_group_field(m, groups - 1, s->group - 1), buf));
		}
	} else
		EXPECT(proto_groups(m) == 0);
}

static void check_schema(const struct schema *s)
{
	size_t least = s->fixed + (size_t) s->min_groups * s->group;

	EXPECT(strcmp(proto_cmd_name(s->cmd), s->name) == 0);
	expect_accepted(s, least);
	if (s->group) {
		expect_accepted(s, least + s->group);
		expect_accepted(s, least + 3 * (size_t) s->group);
	}
	if (s->fixed > 0)
		expect_refused(s, s->fixed - 1, "a fixed field missing");
	if (s->min_groups > 0)
		expect_refused(s, s->fixed, "no group");
	if (s->group == 0)
		expect_refused(s, s->fixed + 1, "a field too many");
	if (s->group > 1) {
		expect_refused(s, least + 1, "a partial group");
		expect_refused(s, least + s->group - 1, "a group short of one");
	}
	check_in_step();
}

static void test_table_complete(void)
{
	EXPECT(ELEMENTSOF(table) == _PROTO_CMD_MAX);
	for (unsigned i = 0; i < _PROTO_CMD_MAX; i++)
		EXPECT(table[i].cmd == i);
	EXPECT(strcmp(proto_cmd_name(_PROTO_CMD_MAX), "?") == 0);
	EXPECT(strcmp(proto_cmd_name((enum proto_cmd) -1), "?") == 0);
}

static void test_nothing_waiting(void)
{
	EXPECT(proto_recv(rx, 0, m, ZMQ_DONTWAIT) == -EAGAIN);
	EXPECT(m->n_fields == 0 && m->n_env == 0);
}

static void test_wrong_version(void)
{
	SEND_RAW("KIT1", "HEARTBEAT");  /* the version before packed groups */
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT2", "HEARTBEAT");  /* the version before session tokens */
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT3", "HEARTBEAT");  /* the version before the order book */
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT4", "HEARTBEAT");  /* the version before input and output */
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT5", "HEARTBEAT");  /* the version before a dish said its order */
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT6", "HEARTBEAT");  /* the version before a report said when each dish cooked */
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT7", "HEARTBEAT");  /* the version before groups shared a frame */
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("kit8", "HEARTBEAT");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT", "HEARTBEAT");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT80", "HEARTBEAT");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("", "HEARTBEAT");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("HEARTBEAT", "KIT8");
	EXPECT(recv_msg(0) == -EPROTO);
	/* the version alone, and nothing but an empty frame */
	SEND_RAW("KIT8");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("");
	EXPECT(recv_msg(0) == -EPROTO);
	check_in_step();
}

/* A refused message names another KIT version it was in, and only that. */
static void test_other_version(void)
{
	static const struct {
		const char *version;
		const char *other;
	} cases[] = {
		{ "KIT1", "KIT1" }, { "KIT2", "KIT2" }, { "KIT4", "KIT4" }, { "KIT5", "KIT5" }, { "KIT6", "KIT6" }, { "KIT7", "KIT7" },
		{ "KIT10", "KIT10" },
		{ "KIT12345", "KIT12345" },
		{ "KIT123456", "" }, { "kit1", "" }, { "KIT", "" }, { "KITX", "" }, { "KIT1 ", "" },
		{ "", "" }, { "ZMTP", "" },
	};
	struct proto_out o;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		SEND_RAW(cases[i].version, "STATUS");
		EXPECT(recv_msg(0) == -EPROTO);
		if (strcmp(m->other_version, cases[i].other) != 0) {
			tap_diag("version \"%s\": other_version \"%s\", want \"%s\"", cases[i].version,
				 m->other_version, cases[i].other);
			tap_failed = true;
		}
	}
	SEND_RAW("KIT8", "STATUS");
	EXPECT(recv_msg(0) == 0 && m->other_version[0] == '\0');

	/* Answering in the peer's version: its ERR, which we cannot read back. */
	proto_out_begin_version(&o, tx, PROTO_ERR, "KIT1");
	proto_out_str(&o, PROTO_ERR_BAD_REQUEST);
	proto_out_str(&o, "malformed request");
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == -EPROTO && strcmp(m->other_version, "KIT1") == 0);
	check_in_step();
}

static void test_unknown_command(void)
{
	SEND_RAW("KIT8", "FOO");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "order", "", "", "Pizza");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "OKAY");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "O");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "HEARTBEAT ");
	EXPECT(recv_msg(0) == -EPROTO);
	check_in_step();
}

static void test_too_few_fields(void)
{
	SEND_RAW("KIT8", "WAIT", "42");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "READY", "chef-1", "host", "123", "1");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "ORDER", "", "", "5", "0");  /* flags, key, priority, due, but no dish */
	EXPECT(recv_msg(0) == -EPROTO);
	check_in_step();
}

static void test_too_many_fields(void)
{
	SEND_RAW("KIT8", "HEARTBEAT", "");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "SHOW", "1", "2");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "CANCEL", "1", "1", "1");
	EXPECT(recv_msg(0) == -EPROTO);
	check_in_step();
}

static void test_wrong_group_multiple(void)
{
	/* chef_id, one whole group, then two fields of another */
	SEND_RAW("KIT8", "RESULT", "chef", "0123456789abcdef0123456789abcdef", "24:1\t1\tserved\t\tServed Pizza3:2\t1");
	EXPECT(recv_msg(0) == -EPROTO);
	/* one field short of a dish, and one too many */
	SEND_RAW("KIT8", "DISH", "0123456789abcdef0123456789abcdef", "29:1\t1\t0\t7\t0\tPizza\tFlour\t0\t0\t0\t0");
	EXPECT(recv_msg(0) == -EPROTO);
	/* a KIT5 group, without order_id and index */
	SEND_RAW("KIT8", "DISH", "0123456789abcdef0123456789abcdef", "26:1\t1\t0\tPizza\tFlour\t0\t0\t0\t0\t");
	EXPECT(recv_msg(0) == -EPROTO);
	/* ... but the last field is bytes: a separator in it is its own */
	SEND_RAW("KIT8", "DISH", "0123456789abcdef0123456789abcdef", "33:1\t1\t0\t7\t0\tPizza\tFlour\t0\t0\t0\t0\t0\t0");
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->n_fields == 13 && field_eq(proto_group_field(m, 0, 11), "0\t0"));
	/* a group's fields as frames of their own, as KIT1 had them */
	SEND_RAW("KIT8", "DISH", "0123456789abcdef0123456789abcdef", "1", "1", "0", "7", "0", "Pizza", "Flour", "0", "0", "0", "0", "");
	EXPECT(recv_msg(0) == -EPROTO);
	/* two groups in one frame */
	SEND_RAW("KIT8", "DISH", "0123456789abcdef0123456789abcdef",
		 "36:1\t1\t0\t7\t0\tPizza\tFlour\nYeast\t0\t0\t0\t0\t27:2\t1\t1\t7\t1\tSalad\t\t0\t5\t0\t0\t-n");
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->cmd == PROTO_DISH && proto_groups(m) == 2 && m->n_fields == 25);
	EXPECT(field_eq(proto_group_field(m, 1, 11), "-n"));
	EXPECT(field_eq(proto_group_field(m, 0, 3), "7"));
	EXPECT(field_eq(proto_group_field(m, 1, 4), "1"));
	EXPECT(field_eq(proto_group_field(m, 0, 6), "Flour\nYeast"));
	EXPECT(field_eq(proto_group_field(m, 1, 5), "Salad"));
	EXPECT(field_eq(proto_group_field(m, 1, 6), ""));
	EXPECT(field_eq(proto_group_field(m, 1, 10), "0"));
	/* ... and in a frame each, as a sender puts groups too big to share one */
	SEND_RAW("KIT8", "DISH", "0123456789abcdef0123456789abcdef", "36:1\t1\t0\t7\t0\tPizza\tFlour\nYeast\t0\t0\t0\t0\t",
		 "27:2\t1\t1\t7\t1\tSalad\t\t0\t5\t0\t0\t-n");
	EXPECT(recv_msg(0) == 0);
	EXPECT(proto_groups(m) == 2 && field_eq(proto_group_field(m, 1, 11), "-n"));
	check_in_step();
}

/* A frame of packed groups whose lengths do not add up: refused, whole. */
static void test_wrong_group_length(void)
{
	static const char *const bad[] = {
		"24\t1\tserved\t\tServed Salad",      /* no length */
		"7\t1\tserved\t\tServed Salad",       /* the same, looking like one */
		":7\t1\tserved\t\tServed Salad",      /* an empty one */
		"25:7\t1\tserved\t\tServed Salad",    /* beyond the frame */
		"23:7\t1\tserved\t\tServed Salad",    /* short of it: a byte left */
		"024:7\t1\tserved\t\tServed Salad",   /* a leading zero */
		"1000000000:7\t1\tserved\t\tServed Salad",  /* too many digits */
		"24:7\t1\tserved\t\tServed Salad0:",  /* an empty group after */
		"-24:7\t1\tserved\t\tServed Salad",
		"",                                          /* no group at all */
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		SEND_RAW("KIT8", "RESULT", "chef", "0123456789abcdef0123456789abcdef", bad[i]);
		EXPECT(recv_msg(0) == -EPROTO);
	}
	/* the empty frame after a good one spoils the message too */
	SEND_RAW("KIT8", "RESULT", "chef", "0123456789abcdef0123456789abcdef", "24:7\t1\tserved\t\tServed Salad", "");
	EXPECT(recv_msg(0) == -EPROTO);
	SEND_RAW("KIT8", "RESULT", "chef", "0123456789abcdef0123456789abcdef", "24:7\t1\tserved\t\tServed Salad");
	EXPECT(recv_msg(0) == 0 && proto_groups(m) == 1 && field_eq(proto_group_field(m, 0, 4), "Served Salad"));
	check_in_step();
}

/* Packing on the way out: fields join into groups, groups share a frame. */
static void test_packed_out(void)
{
	struct proto_out o;
	size_t half_max = PROTO_MAX_BIG / 2 + 1;
	char *big = malloc(half_max);

	proto_out_begin(&o, tx, PROTO_RESULT);
	proto_out_str(&o, "chef-1");
	proto_out_str(&o, "0123456789abcdef0123456789abcdef");
	for (int g = 0; g < 2; g++) {
		proto_out_u64(&o, 7 + (uint64_t) g);
		proto_out_u64(&o, 1);
		proto_out_str(&o, "served");
		proto_out_str(&o, g ? "" : "Served Cooked Tomatoes\nServed Cooked Carrots");
		proto_out_mem(&o, "a\tb\0c", 5);  /* the result: bytes */
	}
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->n_parts == 5);  /* version, command, chef_id, token, one frame for both groups */
	EXPECT(m->n_fields == 12 && proto_groups(m) == 2);
	EXPECT(field_eq(0, "chef-1") && field_eq(proto_group_field(m, 1, 0), "8"));
	EXPECT(field_eq(proto_group_field(m, 0, 3), "Served Cooked Tomatoes\nServed Cooked Carrots"));
	EXPECT(field_eq(proto_group_field(m, 1, 3), ""));
	EXPECT(m->fields[proto_group_field(m, 1, 4)].len == 5 &&
	       memcmp(m->fields[proto_group_field(m, 1, 4)].data, "a\tb\0c", 5) == 0);

	/* Groups fill a frame up to PROTO_MAX_FIELD bytes; one bigger has its own. */
	memset(big, 'x', half_max);
	proto_out_begin(&o, tx, PROTO_RESULT);
	proto_out_str(&o, "chef-1");
	proto_out_str(&o, "0123456789abcdef0123456789abcdef");
	for (int g = 0; g < 100; g++) {
		proto_out_u64(&o, (uint64_t) g);
		proto_out_u64(&o, 1);
		proto_out_str(&o, "served");
		proto_out_str(&o, "");
		proto_out_mem(&o, big, g == 50 ? PROTO_MAX_FIELD + 1 : 1000);
	}
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0);
	/* 1,000-byte groups: 64 fit a frame; 0..49 are one, 50 alone, 51..99 one */
	EXPECT(m->n_parts == 4 + 3);
	EXPECT(proto_groups(m) == 100);
	EXPECT(field_eq(proto_group_field(m, 99, 0), "99"));
	EXPECT(m->fields[proto_group_field(m, 50, 4)].len == PROTO_MAX_FIELD + 1);
	EXPECT(m->fields[proto_group_field(m, 49, 4)].len == 1000 && m->fields[proto_group_field(m, 51, 4)].len == 1000);
	for (size_t i = 4; i < m->n_parts; i++)
		EXPECT(zmq_msg_size(&m->parts[i]) <= (i == 5 ? PROTO_MAX_BIG : PROTO_MAX_FIELD));

	/* A field holding the separator: refused, and the message stays whole. */
	proto_out_begin(&o, tx, PROTO_RESULT);
	proto_out_str(&o, "chef-1");
	proto_out_str(&o, "0123456789abcdef0123456789abcdef");
	proto_out_u64(&o, 7);
	proto_out_u64(&o, 1);
	proto_out_str(&o, "served");
	proto_out_str(&o, "Served\tSalad");
	proto_out_str(&o, "x");
	EXPECT(proto_out_end(&o, 0) == -EINVAL);
	EXPECT(recv_msg(0) == -EPROTO);

	/* A frame over PROTO_MAX_FIELD where only text goes; a group over
	 * PROTO_MAX_BIG, though each field fits: refused the same way. */
	memset(big, 'x', half_max);
	proto_out_begin(&o, tx, PROTO_PROGRESS);
	proto_out_str(&o, "chef-1");
	proto_out_str(&o, "0123456789abcdef0123456789abcdef");
	proto_out_u64(&o, 7);
	proto_out_u64(&o, 1);
	proto_out_mem(&o, big, PROTO_MAX_FIELD + 1);
	EXPECT(proto_out_end(&o, 0) == 0);  /* sent whole: the receiver refuses it */
	EXPECT(recv_msg(0) == -EPROTO);
	proto_out_begin(&o, tx, PROTO_RESULT);
	proto_out_str(&o, "chef-1");
	proto_out_str(&o, "0123456789abcdef0123456789abcdef");
	proto_out_u64(&o, 7);
	proto_out_u64(&o, 1);
	proto_out_str(&o, "served");
	proto_out_mem(&o, big, half_max);
	proto_out_mem(&o, big, half_max);
	EXPECT(proto_out_end(&o, 0) == -EMSGSIZE);
	EXPECT(recv_msg(0) == -EPROTO);
	check_in_step();
	free(big);
}

/* An OK's groups packed by hand (the order report's), split by proto_unpack(). */
static void test_pack_by_hand(void)
{
	struct proto_field f[3];
	struct proto_out o;
	uint64_t v;

	proto_out_begin(&o, tx, PROTO_OK);
	proto_out_u64(&o, 42);
	proto_out_pack_begin(&o);
	proto_out_u64(&o, 7);
	proto_out_str(&o, "");
	proto_out_str(&o, "served");
	proto_out_pack_end(&o);
	proto_out_pack_begin(&o);
	proto_out_pack_end(&o);  /* nothing: one empty frame */
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->cmd == PROTO_OK && m->n_fields == 3);
	EXPECT(m->fields[1].len == 9 && memcmp(m->fields[1].data, "7\t\tserved", 9) == 0);
	EXPECT(proto_unpack(&m->fields[1], f, 3) == 0);
	EXPECT(proto_field_u64(&f[0], &v) == 0 && v == 7 && f[1].len == 0 && f[2].len == 6);
	EXPECT(proto_unpack(&m->fields[1], f, 2) == -EINVAL);  /* one too many */
	EXPECT(proto_unpack(&m->fields[1], f, 1) == -EINVAL);
	EXPECT(proto_unpack(&m->fields[2], f, 1) == 0 && f[0].len == 0);
	EXPECT(proto_unpack(&m->fields[2], f, 2) == -EINVAL);  /* one too few */
	check_in_step();

	/* a field holding the separator: the group goes out empty, and it is said */
	proto_out_begin(&o, tx, PROTO_OK);
	proto_out_pack_begin(&o);
	proto_out_str(&o, "a\tb");
	proto_out_str(&o, "c");
	proto_out_pack_end(&o);
	EXPECT(proto_out_end(&o, 0) == -EINVAL);
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->n_fields == 1 && m->fields[0].len == 0 && proto_unpack(&m->fields[0], f, 2) == -EINVAL);

	/* a group left open goes as it is, and is refused */
	proto_out_begin(&o, tx, PROTO_OK);
	proto_out_pack_begin(&o);
	proto_out_str(&o, "a");
	EXPECT(proto_out_end(&o, 0) == -EINVAL);
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->n_fields == 1 && m->fields[0].len == 1);
	check_in_step();
}

static void test_oversized_frame(void)
{
	char *big = malloc(PROTO_MAX_FIELD + 1);
	struct proto_out o;

	memset(big, 'x', PROTO_MAX_FIELD + 1);
	proto_out_begin(&o, tx, PROTO_SHOW);
	proto_out_mem(&o, big, PROTO_MAX_FIELD);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->n_fields == 1 && m->fields[0].len == PROTO_MAX_FIELD);

	proto_out_begin(&o, tx, PROTO_SHOW);
	proto_out_mem(&o, big, PROTO_MAX_FIELD + 1);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == -EPROTO);

	/* in the middle of a message too */
	proto_out_begin(&o, tx, PROTO_CHEF);
	proto_out_str(&o, "a");
	proto_out_mem(&o, big, PROTO_MAX_FIELD + 1);
	proto_out_str(&o, "c");
	proto_out_str(&o, "d");
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == -EPROTO);

	/* where input and output go, up to PROTO_MAX_BIG */
	proto_out_begin(&o, tx, PROTO_OK);
	proto_out_str(&o, "a");
	proto_out_mem(&o, big, PROTO_MAX_FIELD + 1);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0 && m->fields[1].len == PROTO_MAX_FIELD + 1);
	check_in_step();
	free(big);
}

static void test_too_many_frames(void)
{
	/* version + command + fields = the whole message */
	for (size_t n = PROTO_MAX_FRAMES - 2; n <= PROTO_MAX_FRAMES; n++) {
		int r;

		EXPECT(send_fields(PROTO_OK, n) == 0);
		r = recv_msg(0);
		if (n == PROTO_MAX_FRAMES - 2) {
			char last[32];

			snprintf(last, sizeof(last), "f%zu", n - 1);
			EXPECT(r == 0);
			EXPECT(m->n_fields == n);
			EXPECT(field_eq(n - 1, last));
		} else {
			EXPECT(r == -EPROTO);
			EXPECT(m->n_fields == 0 && m->n_env == 0);
		}
		/* the rest of a refused message was read too: the next one is whole */
		check_in_step();
	}
}

static void test_envelope(void)
{
	struct proto_out o;

	/* one frame: a ROUTER's routing id */
	proto_out_begin(&o, tx, PROTO_CANCEL);
	proto_out_env(&o, "chef-1.42.0badf00d", 18);
	proto_out_u64(&o, 7);
	proto_out_u64(&o, 2);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(1) == 0);
	EXPECT(m->cmd == PROTO_CANCEL);
	EXPECT(m->n_env == 1 && m->env[0].len == 18 && memcmp(m->env[0].data, "chef-1.42.0badf00d", 18) == 0);
	EXPECT(m->n_fields == 2 && field_eq(0, "7") && field_eq(1, "2"));

	/* two frames: a REQ's id and empty delimiter; binary ids are fine */
	proto_out_begin(&o, tx, PROTO_OK);
	proto_out_env(&o, "\0\x80\xff", 3);
	proto_out_env(&o, "", 0);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(2) == 0);
	EXPECT(m->cmd == PROTO_OK && m->n_fields == 0);
	EXPECT(m->n_env == 2 && m->env[0].len == 3 && memcmp(m->env[0].data, "\0\x80\xff", 3) == 0);
	EXPECT(m->env[1].len == 0);

	/* a message too short for its envelope */
	SEND_RAW("id", "KIT8");
	EXPECT(recv_msg(1) == -EPROTO);
	SEND_RAW("id");
	EXPECT(recv_msg(2) == -EPROTO);

	/* a message without the envelope the socket expects is malformed */
	SEND_RAW("KIT8", "HEARTBEAT");
	EXPECT(recv_msg(1) == -EPROTO);

	/* more than PROTO_MAX_ENVELOPE is refused before reading anything */
	SEND_RAW("a", "b", "c", "KIT8", "HEARTBEAT");
	EXPECT(proto_recv(rx, PROTO_MAX_ENVELOPE + 1, m, 0) == -EINVAL);
	EXPECT(proto_recv(rx, PROTO_MAX_ENVELOPE, m, 0) == -EPROTO);  /* "c" is no version */
	check_in_step();
}

/* A ROUTER still learns whom to answer when what came is malformed. */
static void test_envelope_kept_when_malformed(void)
{
	static const char *const bodies[][3] = {
		{ "KIT1", "HEARTBEAT", NULL },   /* wrong version */
		{ "KIT8", "NOPE", NULL },        /* unknown command */
		{ "KIT8", "SHOW", NULL },        /* too few fields */
		{ "KIT8", NULL, NULL },          /* no command */
		{ "KIT8", "SHOW", "" },          /* oversized field, made below */
	};
	char *big = calloc(1, PROTO_MAX_FIELD + 2);

	memset(big, '1', PROTO_MAX_FIELD + 1);
	for (size_t i = 0; i < ELEMENTSOF(bodies); i++) {
		const char *frames[5] = { "peer-7", "" };
		size_t n = 2;

		for (size_t k = 0; k < 3 && bodies[i][k]; k++)
			frames[n++] = bodies[i][k][0] || k < 2 ? bodies[i][k] : big;
		send_raw(tx, n, frames);
		EXPECT(recv_msg(2) == -EPROTO);
		if (m->n_env != 2 || m->env[0].len != 6 || memcmp(m->env[0].data, "peer-7", 6) != 0 ||
		    m->env[1].len != 0) {
			tap_diag("body %zu: envelope not kept (n_env %zu)", i, m->n_env);
			tap_failed = true;
		}
		EXPECT(m->n_fields == 0);
	}
	free(big);
	check_in_step();
}

/* The sockets kitchen uses: ROUTER/DEALER (dispatch), ROUTER/REQ (control). */
static void test_router_envelopes(void)
{
	void *router = zmq_socket(ctx, ZMQ_ROUTER);
	void *dealer = zmq_socket(ctx, ZMQ_DEALER);
	void *req = zmq_socket(ctx, ZMQ_REQ);
	int timeout = 1000, mandatory = 1, linger = 0;
	char id[256];
	size_t id_len;
	struct proto_out o;

	zmq_setsockopt(router, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory));
	zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	zmq_setsockopt(dealer, ZMQ_ROUTING_ID, "chef-1.99.cafe0123", 18);
	EXPECT(zmq_bind(router, "inproc://test-proto-router") == 0);
	EXPECT(zmq_connect(dealer, "inproc://test-proto-router") == 0);
	EXPECT(zmq_connect(req, "inproc://test-proto-router") == 0);

	/* dealer -> router: the router sees one frame, the chef's id */
	proto_out_begin(&o, dealer, PROTO_READY);
	proto_out_str(&o, "chef-1");
	proto_out_str(&o, "host");
	proto_out_u64(&o, 99);
	proto_out_u64(&o, 2);
	proto_out_u64(&o, 2);
	proto_out_str(&o, PROTO_SKILL_ANY);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_on(router, 1) == 0);
	EXPECT(m->cmd == PROTO_READY && m->n_fields == 6);
	EXPECT(m->n_env == 1 && m->env[0].len == 18 && memcmp(m->env[0].data, "chef-1.99.cafe0123", 18) == 0);

	/* router -> dealer by that id: the dealer sees no envelope */
	proto_out_begin(&o, router, PROTO_HEARTBEAT);
	proto_out_env(&o, "chef-1.99.cafe0123", 18);
	EXPECT(proto_out_end(&o, ZMQ_DONTWAIT) == 0);
	EXPECT(recv_on(dealer, 0) == 0);
	EXPECT(m->cmd == PROTO_HEARTBEAT && m->n_env == 0);

	/* to an id nobody has: refused at the first frame, and nothing half-sent */
	proto_out_begin(&o, router, PROTO_HEARTBEAT);
	proto_out_env(&o, "nobody", 6);
	EXPECT(proto_out_end(&o, ZMQ_DONTWAIT) == -EHOSTUNREACH);
	proto_out_begin(&o, router, PROTO_CANCEL);
	proto_out_env(&o, "nobody", 6);
	proto_out_u64(&o, 1);
	proto_out_u64(&o, 1);
	EXPECT(proto_out_end(&o, ZMQ_DONTWAIT) == -EHOSTUNREACH);
	proto_out_begin(&o, router, PROTO_HEARTBEAT);
	proto_out_env(&o, "chef-1.99.cafe0123", 18);
	EXPECT(proto_out_end(&o, ZMQ_DONTWAIT) == 0);
	EXPECT(recv_on(dealer, 0) == 0);
	EXPECT(m->cmd == PROTO_HEARTBEAT && m->n_fields == 0);

	/* req -> router: two envelope frames, answered with the same two */
	proto_out_begin(&o, req, PROTO_SHOW);
	proto_out_u64(&o, 42);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_on(router, 2) == 0);
	EXPECT(m->cmd == PROTO_SHOW && proto_field_is(m, 0, "42"));
	EXPECT(m->n_env == 2 && m->env[1].len == 0);
	id_len = m->env[0].len < sizeof(id) ? m->env[0].len : sizeof(id);
	memcpy(id, m->env[0].data, id_len);
	proto_out_begin(&o, router, PROTO_ERR);
	proto_out_env(&o, id, id_len);
	proto_out_env(&o, "", 0);
	proto_out_str(&o, PROTO_ERR_NOT_FOUND);
	proto_out_str(&o, "No order 42.");
	EXPECT(proto_out_end(&o, ZMQ_DONTWAIT) == 0);
	EXPECT(recv_on(req, 0) == 0);
	EXPECT(m->cmd == PROTO_ERR && proto_field_is(m, 0, "not-found") && proto_field_is(m, 1, "No order 42."));

	zmq_setsockopt(router, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(req);
	zmq_close(dealer);
	zmq_close(router);
}

/* proto_out_u64 writes what proto_u64 reads, at the edges of every digit count. */
static void test_out_u64(void)
{
	uint64_t values[64], back;
	size_t n = 0;
	struct proto_out o;
	char want[24];

	values[n++] = 0;
	values[n++] = UINT64_MAX;
	for (uint64_t p = 1; p <= UINT64_MAX / 10; p *= 10) {
		values[n++] = p;
		values[n++] = p * 10 - 1;
	}
	proto_out_begin(&o, tx, PROTO_OK);
	for (size_t i = 0; i < n; i++)
		proto_out_u64(&o, values[i]);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0 && m->n_fields == n);
	for (size_t i = 0; i < n && i < m->n_fields; i++) {
		snprintf(want, sizeof(want), "%llu", (unsigned long long) values[i]);
		EXPECT(field_eq(i, want));
		EXPECT(proto_u64(m, i, &back) == 0 && back == values[i]);
	}
}

static void test_u64(void)
{
	static const struct {
		const char *text;
		bool ok;
		uint64_t value;
	} cases[] = {
		{ "0", true, 0 },
		{ "1", true, 1 },
		{ "42", true, 42 },
		{ "4294967296", true, 4294967296ull },
		{ "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 },     /* UINT64_MAX + 1 */
		{ "18446744073709551620", false, 0 },
		{ "99999999999999999999", false, 0 },     /* 20 digits, overflows */
		{ "100000000000000000000", false, 0 },    /* 21 digits */
		{ "00", false, 0 },
		{ "01", false, 0 },
		{ "007", false, 0 },
		{ "", false, 0 },
		{ "-1", false, 0 },
		{ "+1", false, 0 },
		{ " 1", false, 0 },
		{ "1 ", false, 0 },
		{ "12a", false, 0 },
		{ "0x10", false, 0 },
		{ "1.5", false, 0 },
		{ "1e3", false, 0 },
		{ "١", false, 0 },                        /* Arabic-Indic one */
	};
	size_t n = ELEMENTSOF(cases);
	struct proto_out o;
	uint64_t v;

	proto_out_begin(&o, tx, PROTO_OK);
	for (size_t i = 0; i < n; i++)
		proto_out_str(&o, cases[i].text);
	proto_out_mem(&o, "1\0", 2);  /* a NUL inside */
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0);
	EXPECT(m->n_fields == n + 1);
	for (size_t i = 0; i < n && i < m->n_fields; i++) {
		int r;

		v = 12345;
		r = proto_u64(m, i, &v);
		if (cases[i].ok ? r != 0 || v != cases[i].value : r != -EINVAL || v != 12345) {
			tap_diag("proto_u64(\"%s\") = %d, %llu", cases[i].text, r, (unsigned long long) v);
			tap_failed = true;
		}
	}
	EXPECT(proto_u64(m, n, &v) == -EINVAL);
	EXPECT(proto_u64(m, n + 1, &v) == -EINVAL);  /* no such field */

	/* what proto_out_u64 writes, proto_u64 reads */
	proto_out_begin(&o, tx, PROTO_OK);
	proto_out_u64(&o, 0);
	proto_out_u64(&o, UINT64_MAX);
	proto_out_u64(&o, 1000000);
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0);
	EXPECT(field_eq(0, "0") && field_eq(1, "18446744073709551615") && field_eq(2, "1000000"));
	EXPECT(proto_u64(m, 1, &v) == 0 && v == UINT64_MAX);
	EXPECT(proto_u64(m, 2, &v) == 0 && v == 1000000);
}

static void test_str(void)
{
	struct proto_out o;
	char buf[8];

	proto_out_begin(&o, tx, PROTO_OK);
	proto_out_str(&o, "Pizza");       /* 0 */
	proto_out_str(&o, "Pizzas!");     /* 1: exactly fills buf */
	proto_out_str(&o, "Spaghetti");   /* 2: too long */
	proto_out_str(&o, "a\nb");        /* 3: multi-line is fine */
	proto_out_mem(&o, "a\0b", 3);     /* 4: NUL */
	proto_out_str(&o, "\xc3\x28");    /* 5: bad UTF-8 */
	proto_out_str(&o, "");            /* 6 */
	EXPECT(proto_out_end(&o, 0) == 0);
	EXPECT(recv_msg(0) == 0);

	EXPECT(proto_str(m, 0, buf, sizeof(buf)) == 0 && strcmp(buf, "Pizza") == 0);
	EXPECT(proto_str(m, 1, buf, sizeof(buf)) == 0 && strcmp(buf, "Pizzas!") == 0);
	EXPECT(proto_str(m, 2, buf, sizeof(buf)) == -ENAMETOOLONG);
	EXPECT(proto_str(m, 3, buf, sizeof(buf)) == 0 && strcmp(buf, "a\nb") == 0);
	EXPECT(proto_str(m, 4, buf, sizeof(buf)) == -EINVAL);
	EXPECT(proto_str(m, 5, buf, sizeof(buf)) == -EINVAL);
	EXPECT(proto_str(m, 6, buf, sizeof(buf)) == 0 && buf[0] == '\0');
	EXPECT(proto_str(m, 7, buf, sizeof(buf)) == -EINVAL);

	EXPECT(proto_field_is(m, 0, "Pizza"));
	EXPECT(!proto_field_is(m, 0, "Pizz"));
	EXPECT(!proto_field_is(m, 0, "pizza"));
	EXPECT(!proto_field_is(m, 0, "Pizzas"));
	EXPECT(proto_field_is(m, 6, ""));
	EXPECT(!proto_field_is(m, 7, ""));
}

static void test_text_valid(void)
{
	static const struct {
		const char *name;
		const char *s;
		size_t len;       /* 0: strlen */
		bool multiline;
		bool valid;
	} cases[] = {
		{ "empty", "", 0, false, true },
		{ "ASCII", "Mozzarella Cheese", 0, false, true },
		{ "two-byte", "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e", 0, false, true },
		{ "three-byte", "\xe6\x97\xa5\xe6\x9c\xac", 0, false, true },
		{ "four-byte (U+1F355)", "\xf0\x9f\x8d\x95", 0, false, true },
		{ "U+10FFFF", "\xf4\x8f\xbf\xbf", 0, false, true },
		{ "beyond U+10FFFF", "\xf4\x90\x80\x80", 0, false, false },
		{ "lead byte F5", "\xf5\x80\x80\x80", 0, false, false },
		{ "lead byte FE", "\xfe", 0, false, false },
		{ "lead byte FF", "\xff", 0, false, false },
		{ "lone continuation", "\x80", 0, false, false },
		{ "continuation after ASCII", "a\xbf", 0, false, false },
		{ "truncated two-byte", "\xc3", 0, false, false },
		{ "truncated three-byte", "\xe2\x82", 0, false, false },
		{ "truncated four-byte", "\xf0\x9f\x8d", 0, false, false },
		{ "bad continuation", "\xc3\x28", 0, false, false },
		{ "bad third byte", "\xf0\x9f\x28\x95", 0, false, false },
		{ "overlong '/' in two", "\xc0\xaf", 0, false, false },
		{ "overlong in two, C1", "\xc1\xbf", 0, false, false },
		{ "overlong '/' in three", "\xe0\x80\xaf", 0, false, false },
		{ "overlong U+07FF in three", "\xe0\x9f\xbf", 0, false, false },
		{ "smallest three-byte U+0800", "\xe0\xa0\x80", 0, false, true },
		{ "overlong '/' in four", "\xf0\x80\x80\xaf", 0, false, false },
		{ "overlong U+FFFF in four", "\xf0\x8f\xbf\xbf", 0, false, false },
		{ "smallest four-byte U+10000", "\xf0\x90\x80\x80", 0, false, true },
		{ "surrogate U+D800", "\xed\xa0\x80", 0, false, false },
		{ "surrogate U+DFFF", "\xed\xbf\xbf", 0, false, false },
		{ "U+D7FF before the surrogates", "\xed\x9f\xbf", 0, false, true },
		{ "U+E000 after the surrogates", "\xee\x80\x80", 0, false, true },
		{ "CESU-8 surrogate pair", "\xed\xa0\xbd\xed\xb8\x80", 0, false, false },
		{ "NUL", "a\0b", 3, false, false },
		{ "tab", "a\tb", 0, false, false },
		{ "carriage return", "a\rb", 0, true, false },
		{ "escape", "\x1b[31m", 0, false, false },
		{ "DEL", "a\x7f", 0, false, false },
		{ "C1 U+0080", "\xc2\x80", 0, false, false },
		{ "C1 U+009F", "\xc2\x9f", 0, false, false },
		{ "U+00A0 after C1", "\xc2\xa0", 0, false, true },
		{ "newline, single line", "Flour\nYeast", 0, false, false },
		{ "newline, multiline", "Flour\nYeast", 0, true, true },
		{ "only newlines, multiline", "\n\n", 0, true, true },
		{ "valid then cut by len", "\xc3\xa9", 1, false, false },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].s);

		if (proto_text_valid(cases[i].s, len, cases[i].multiline) != cases[i].valid) {
			tap_diag("%s: want %s", cases[i].name, cases[i].valid ? "valid" : "invalid");
			tap_failed = true;
		}
	}
}

/*
 * The word-at-a-time path: every byte value at every position of a line long
 * enough for three words, in both modes, against the rule byte by byte (a
 * byte of 0x80 and above is a UTF-8 error on its own here).
 */
static void test_text_valid_words(void)
{
	char line[24];

	for (size_t pos = 0; pos < sizeof(line); pos++)
		for (unsigned c = 0; c < 256; c++)
			for (int multiline = 0; multiline <= 1; multiline++) {
				bool want = (c >= 0x20 && c < 0x7f) || (c == '\n' && multiline);

				memset(line, 'a', sizeof(line));
				line[pos] = (char) c;
				if (proto_text_valid(line, sizeof(line), multiline) != want) {
					tap_diag("byte 0x%02x at %zu%s: want %s", c, pos,
						 multiline ? ", multiline" : "", want ? "valid" : "invalid");
					tap_failed = true;
				}
			}
}

static void test_order_topic(void)
{
	char buf[32];

	EXPECT(proto_order_topic(42, buf, sizeof(buf)) == 9 && strcmp(buf, "order.42.") == 0);
	EXPECT(proto_order_topic(0, buf, sizeof(buf)) == 8 && strcmp(buf, "order.0.") == 0);
	EXPECT(proto_order_topic(UINT64_MAX, buf, sizeof(buf)) == 27 &&
	      strcmp(buf, "order.18446744073709551615.") == 0);
	/* a subscriber to order 4 must not match order 42 */
	EXPECT(proto_order_topic(4, buf, sizeof(buf)) == 8 && strncmp("order.42.", buf, 8) != 0);
	/* truncated, it still says how long it is */
	EXPECT(proto_order_topic(42, buf, 4) == 9 && strcmp(buf, "ord") == 0);
}

static void test_out_env_after_field(void)
{
	struct proto_out o;
	void *a = zmq_socket(ctx, ZMQ_PAIR), *b = zmq_socket(ctx, ZMQ_PAIR);
	int linger = 0;

	/*
	 * Its own pair: by the time the misuse is seen, the version and command
	 * have gone out with SNDMORE, and ZeroMQ cannot take them back; the next
	 * message on that socket would be glued to them. Only the -EINVAL is
	 * promised, so only that is checked.
	 */
	zmq_bind(a, "inproc://test-proto-misuse");
	zmq_connect(b, "inproc://test-proto-misuse");
	proto_out_begin(&o, a, PROTO_CANCEL);
	proto_out_u64(&o, 1);
	proto_out_env(&o, "late", 4);
	proto_out_u64(&o, 1);
	EXPECT(proto_out_end(&o, ZMQ_DONTWAIT) == -EINVAL);
	zmq_setsockopt(a, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(b, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(a);
	zmq_close(b);
}

static void test_msg_free(void)
{
	struct proto_msg *x = proto_msg_new(), *none = NULL;

	EXPECT(x != NULL);
	proto_msg_free(&x);
	EXPECT(x == NULL);
	proto_msg_free(&x);
	proto_msg_free(&none);
	proto_msg_free(NULL);
}

/* proto_parse: the same checks on frames in memory (what the fuzzer drives). */
static void test_parse(void)
{
#define F(s) { s, sizeof(s) - 1 }
	static const struct proto_field ok[] = { F("rid"), F("KIT8"), F("RESULT"), F("chef-1.1.0"),
		F("0123456789abcdef0123456789abcdef"), F("24:7\t1\tserved\t\tServed Salad") };
	static const struct proto_field half[] = { F("rid"), F("KIT8"), F("RESULT"), F("chef-1.1.0"),
		F("0123456789abcdef0123456789abcdef"), F("23:7\t1\tserved\tServed Salad") };
	static const struct proto_field bad[] = { F("rid"), F(""), F("KIT8"), F("SHOW") };
#undef F
	struct proto_field many[PROTO_MAX_FRAMES + 1];
	uint64_t v;

	EXPECT(proto_parse(m, 1, ok, ELEMENTSOF(ok)) == 0);
	EXPECT(m->cmd == PROTO_RESULT && m->n_env == 1 && m->n_fields == 7 && proto_groups(m) == 1);
	EXPECT(m->env[0].data == ok[0].data && m->fields[0].data == ok[3].data);
	EXPECT(proto_u64(m, proto_group_field(m, 0, 0), &v) == 0 && v == 7);
	EXPECT(proto_group_field(m, 0, 3) == 5 && m->fields[5].len == 0);
	EXPECT(proto_parse(m, 1, ok, ELEMENTSOF(ok) - 1) == -EPROTO);  /* no group */
	EXPECT(proto_parse(m, 1, half, ELEMENTSOF(half)) == -EPROTO);  /* half a group */
	EXPECT(m->n_fields == 0 && m->n_env == 1);
	EXPECT(proto_parse(m, 2, bad, ELEMENTSOF(bad)) == -EPROTO);   /* SHOW without its id */
	EXPECT(m->n_env == 2 && m->env[1].len == 0);
	EXPECT(proto_parse(m, PROTO_MAX_ENVELOPE + 1, ok, ELEMENTSOF(ok)) == -EINVAL);
	for (size_t i = 0; i < ELEMENTSOF(many); i++)
		many[i] = (struct proto_field) { "", 0 };
	many[0] = (struct proto_field) { "KIT8", 4 };
	many[1] = (struct proto_field) { "OK", 2 };
	EXPECT(proto_parse(m, 0, many, PROTO_MAX_FRAMES) == 0);
	EXPECT(proto_parse(m, 0, many, PROTO_MAX_FRAMES + 1) == -EPROTO);
	many[2].len = PROTO_MAX_BIG + 1;
	EXPECT(proto_parse(m, 0, many, 3) == -EPROTO);
	many[1] = (struct proto_field) { "CHEF", 4 };
	many[2].len = PROTO_MAX_FIELD + 1;
	EXPECT(proto_parse(m, 0, many, 6) == -EPROTO);
	many[2].len = PROTO_MAX_FIELD;
	EXPECT(proto_parse(m, 0, many, 6) == 0);
}

static void test_preview(void)
{
	char buf[PROTO_PREVIEW_MAX + 64], small[8], *lots = malloc(1000);

	EXPECT(proto_text_preview("", 0, buf, sizeof(buf)) == 0 && buf[0] == '\0');
	EXPECT(proto_text_preview("17: 17\n", 7, buf, sizeof(buf)) == 6);
	EXPECT_STR(buf, "17: 17");                /* one line and its newline: whole */
	proto_text_preview("a\nb", 3, buf, sizeof(buf));
	EXPECT_STR(buf, "a...");                  /* more lines: said */
	proto_text_preview("\x01\t\xff\xc3\xa9", 5, buf, sizeof(buf));
	EXPECT_STR(buf, "???\xc3\xa9");          /* control and invalid bytes made '?', é kept */
	proto_text_preview("\0x", 2, buf, sizeof(buf));
	EXPECT_STR(buf, "?x");
	EXPECT(proto_text_preview("abcdefghij", 10, small, sizeof(small)) == 7);
	EXPECT_STR(small, "abcd...");             /* cut to fit, and said */
	proto_text_preview("abc\xc3\xa9\xc3\xa9z", 8, small, sizeof(small));
	EXPECT_STR(small, "abc...");              /* never half a character */
	memset(lots, 'x', 1000);
	EXPECT(proto_text_preview(lots, 1000, buf, sizeof(buf)) == PROTO_PREVIEW_MAX);
	EXPECT(proto_text_valid(buf, strlen(buf), false));
	EXPECT(strcmp(buf + PROTO_PREVIEW_MAX - 3, "...") == 0);
	free(lots);
}

static void test_state_names(void)
{
	for (int i = 0; i < _PROTO_STATE_MAX; i++) {
		const char *name = proto_state_name(i);
		EXPECT(strcmp(name, "?") != 0);
		EXPECT(proto_state_from_name(name, strlen(name)) == i);
	}
	EXPECT_STR(proto_state_name(_PROTO_STATE_MAX), "?");
	EXPECT(proto_state_from_name("serve", 5) == -EINVAL);
	EXPECT(proto_state_from_name("served!", 7) == -EINVAL);
	/* The store keeps the numbers: they never change. */
	EXPECT(PROTO_STATE_QUEUED == 0 && PROTO_STATE_COOKING == 1);
	EXPECT(PROTO_STATE_SERVED == 2 && PROTO_STATE_FAILED == 3);
}

static void test_order_refusal(void)
{
	static char long_key[PROTO_KEY_MAX + 2], long_name[PROTO_MAX_NAME + 2];
	struct proto_field names[PROTO_ORDER_MAX_DISHES + 1];
	const uint64_t now = 1800000000000;
	struct proto_order_ask ask = {
		.key = { "", 0 }, .priority = PROTO_PRIORITY_DEFAULT, .now_ms = now, .names = names, .n = 1,
	};
	char err[128];

	memset(long_key, 'k', PROTO_KEY_MAX + 1);
	memset(long_name, 'n', PROTO_MAX_NAME + 1);
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		names[i] = (struct proto_field) { "Pizza", 5 };

	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == 0);
	ask.n = PROTO_ORDER_MAX_DISHES;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == 0);
	ask.n = PROTO_ORDER_MAX_DISHES + 1;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "at most 150 dishes"));
	/* inputs: each at most max_input bytes; with a stride, pairs of fields */
	ask.n = 2;
	ask.inputs = names;
	ask.max_input = 5;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == 0);
	ask.max_input = 4;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "dish 1: its input is 5 bytes; at most 4"));
	names[3] = (struct proto_field) { "", 0 };
	ask.inputs = names + 1;
	ask.stride = 2;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);  /* dish 1's input: names[1] */
	names[1] = (struct proto_field) { "17", 2 };
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == 0);
	names[1] = names[3] = (struct proto_field) { "Pizza", 5 };
	ask.inputs = NULL;
	ask.stride = 0;
	ask.n = 0;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
	ask.n = 1;

	ask.key = (struct proto_field) { long_key, PROTO_KEY_MAX };
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == 0);
	ask.key.len++;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "order key"));
	ask.key = (struct proto_field) { "a\nb", 3 };
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
	ask.key = (struct proto_field) { "", 0 };

	/* Priorities 1..9; a due time at most PROTO_DUE_MAX_MS ahead, any time past. */
	for (uint64_t p = 0; p <= PROTO_PRIORITY_MAX + 1; p++) {
		ask.priority = p;
		EXPECT((proto_order_refusal(&ask, err, sizeof(err)) == 0) ==
		       (p >= PROTO_PRIORITY_MIN && p <= PROTO_PRIORITY_MAX));
	}
	EXPECT(strstr(err, "priority must be a number from 1 to 9"));
	ask.priority = PROTO_PRIORITY_DEFAULT;
	ask.due_ms = now + PROTO_DUE_MAX_MS;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == 0);
	ask.due_ms++;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "due time"));
	ask.due_ms = 1;
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == 0);
	ask.due_ms = 0;

	ask.n = 2;
	names[1] = (struct proto_field) { long_name, PROTO_MAX_NAME + 1 };
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, "dish 2:"));
	names[1] = (struct proto_field) { "\xc3\x28", 2 };
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
	names[1] = (struct proto_field) { "", 0 };
	EXPECT(proto_order_refusal(&ask, err, sizeof(err)) == -EINVAL);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "the command table is complete", test_table_complete },
	{ "nothing waiting is -EAGAIN", test_nothing_waiting },
	{ "wrong version", test_wrong_version },
	{ "another KIT version is named", test_other_version },
	{ "unknown command", test_unknown_command },
	{ "too few fields", test_too_few_fields },
	{ "too many fields", test_too_many_fields },
	{ "wrong group multiple", test_wrong_group_multiple },
	{ "wrong group length", test_wrong_group_length },
	{ "packed groups on the way out", test_packed_out },
	{ "groups packed by hand", test_pack_by_hand },
	{ "oversized frame", test_oversized_frame },
	{ "too many frames", test_too_many_frames },
	{ "envelope frames", test_envelope },
	{ "envelope kept when malformed", test_envelope_kept_when_malformed },
	{ "ROUTER, DEALER and REQ envelopes", test_router_envelopes },
	{ "proto_u64 edge cases", test_u64 },
	{ "proto_out_u64 as proto_u64 reads it", test_out_u64 },
	{ "proto_str and proto_field_is", test_str },
	{ "proto_text_valid", test_text_valid },
	{ "proto_text_valid, a word at a time", test_text_valid_words },
	{ "proto_order_topic", test_order_topic },
	{ "proto_out_env after a field is refused", test_out_env_after_field },
	{ "proto_msg_free", test_msg_free },
	{ "proto_parse", test_parse },
	{ "proto_text_preview", test_preview },
	{ "state names", test_state_names },
	{ "order refusals", test_order_refusal },
};

int main(void)
{
	size_t n_cases = ELEMENTSOF(cases);
	size_t n_table = ELEMENTSOF(table);
	int timeout = 1000, linger = 0;
	unsigned failed = 0, k = 0;

	ctx = zmq_ctx_new();
	tx = zmq_socket(ctx, ZMQ_PAIR);
	rx = zmq_socket(ctx, ZMQ_PAIR);
	m = proto_msg_new();
	if (!ctx || !tx || !rx || !m)
		return 99;
	zmq_setsockopt(rx, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	if (zmq_bind(rx, "inproc://test-proto") < 0 || zmq_connect(tx, "inproc://test-proto") < 0)
		return 99;

	printf("1..%zu\n", n_table + n_cases);
	for (size_t i = 0; i < n_table; i++) {
		tap_failed = false;
		check_schema(&table[i]);
		printf("%s %u - %s: %u fixed, groups of %u, at least %u\n", tap_failed ? "not ok" : "ok", ++k,
		       table[i].name, table[i].fixed, table[i].group, table[i].min_groups);
		failed += tap_failed;
	}
	for (size_t i = 0; i < n_cases; i++) {
		tap_failed = false;
		cases[i].run();
		printf("%s %u - %s\n", tap_failed ? "not ok" : "ok", ++k, cases[i].name);
		failed += tap_failed;
	}

	proto_msg_free(&m);
	zmq_setsockopt(tx, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(rx, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(tx);
	zmq_close(rx);
	zmq_ctx_term(ctx);
	return failed ? 1 : 0;
}
