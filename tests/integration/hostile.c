/*
 * hostile — a peer that speaks broken KIT8 to a running kitchend, for
 * test_hostile.py.
 *
 *	hostile --control EP --dispatch EP --sink EP [--seconds 5] [--seed 1]
 *	        [--fake-chef NAME]
 *	hostile --old-kitchend --control EP --dispatch EP [--seconds 5]
 *	hostile --wait-flood N --clients C --order ID --control EP [--seconds 5] [--expect K]
 *	hostile --stalled-follower --events EP [--seconds 5]
 *	hostile --stranger-unsubscribe TOPIC --events EP [--seconds 5]
 *	hostile --ready-flood --dispatch EP [--seconds 5]
 *	hostile --fake-chefs N --dispatch EP [--seconds 5]
 *	hostile --control EP --request CMD [FIELD...]
 *	hostile --kitchend MODE --control EP [--events EP] [--seconds 5]
 *
 * For --seconds it sends, as fast as kitchend takes them (never blocking:
 * a full pipe drops the message), random and crafted malformed messages to
 * all three sockets: wrong versions, unknown commands, wrong field counts,
 * half groups, more than PROTO_MAX_FRAMES frames, frames over PROTO_MAX_FIELD
 * (libzmq on kitchend's side drops the connection for those; we open a new
 * socket and go on), invalid UTF-8 and control characters in names, numbers
 * that do not fit, READYs with absurd credit, RESULTs and PROGRESS for dishes
 * and chefs nobody knows, and floods of WAIT long polls. It never sends a
 * message that would change kitchend's state for real: no valid ORDER of a
 * menu dish, no DRAIN or RELOAD, no valid READY but one:
 *
 * With --fake-chef NAME it also joins as a chef: a valid READY with the
 * largest credit kitchend takes, from the routing id "NAME.PID.0badc0de";
 * then it reads the DISH messages (counting the dishes) and never answers,
 * not even a HEARTBEAT, so kitchend must declare it dead after its liveness
 * and cook those dishes elsewhere.
 *
 * Last, it asks STATUS in KIT7, as a kitchenctl of the release before would,
 * and reads the answer (old_version_answered 1: an ERR bad-request in KIT7
 * that names the version kitchend speaks).
 *
 * With --old-kitchend it is a kitchend of the release before instead, for
 * test_versions.py: it binds ROUTERs on --control and --dispatch and answers
 * in KIT7 for --seconds — every control request with ERR bad-request as that
 * kitchend would (it cannot read KIT8), every message of a chef with a KIT7
 * HEARTBEAT — then prints "answered N" and exits 0.
 *
 * With --wait-flood it is C clients (DEALERs) that each send N WAITs of a
 * minute for order ID, then counts for --seconds the replies that come: OK
 * (a WAIT answered before its order is done or its minute is up was
 * answered early, to make room for others) and ERR; prints "answered K" and
 * "refused K", and exits 0. With --expect K it stops a second after the
 * K-th answer (so that one more would be seen), --seconds being only the
 * bound of a busy machine.
 *
 * With --stalled-follower it subscribes to every event on --events (a SUB
 * that holds one message and a kernel buffer as small as it gets), waits for
 * one event and says "ready", reads nothing for --seconds, then reads until
 * nothing comes for a second and
 * prints "events N" and "gaps G": the events it got, and how many times an
 * event's seq was not its topic's last seq + 1 (kitchend dropped events for
 * it meanwhile).
 *
 * With --stranger-unsubscribe it speaks ZMTP 3.0 itself over the ipc
 * --events socket (libzmq's own SUB never sends an unsubscribe for a topic
 * it did not subscribe to): a SUB that sends an unsubscribe for TOPIC, and
 * for "", every 10 ms for --seconds, never having subscribed, then prints
 * "unsubscribes N".
 *
 * With --ready-flood it is one chef (routing id "flood.1.00000000") that
 * says a valid READY as fast as kitchend takes it for --seconds, reading and
 * dropping whatever kitchend sends, then prints "readies N". --version V
 * says it in protocol V instead (to try a kitchend of another release).
 *
 * With --fake-chefs it is N chefs of one peer (DEALERs "fake-K.1.00000000")
 * that each say READY once and then only HEARTBEAT, for --seconds; it
 * prints "admitted K": how many kitchend took (heard from: a HEARTBEAT or
 * a DISH).
 *
 * With --request it is a client that sends one request exactly as given (no
 * check of its own: what kitchend says about it is the point, for
 * test_refusals.py) and prints the reply, its command and then each field,
 * one a line; exit 0, or 1 when no reply came within 5 s.
 *
 * With --kitchend it is a kitchend that lies to kitchenctl in the way MODE
 * says (hostile_kitchend.c), for --seconds.
 *
 * The same --seed sends the same sequence. At the end it prints what it did,
 * one "key value" line each (sent_control, oversized, reconnects,
 * fake_dishes, ...), and exits 0; 2 on a usage error, 1 when a socket could
 * not be made.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "hostile.h"
#include "proto.h"

#define ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_BUILT 1400  /* frames in one crafted message: past PROTO_MAX_FRAMES */
#define OVERSIZED_EVERY_MS 200  /* each costs a reconnect: not too often */

enum target { CONTROL, DISPATCH, SINK, _TARGET_MAX };

static const int target_types[_TARGET_MAX] = { ZMQ_DEALER, ZMQ_DEALER, ZMQ_PUSH };

struct stats {
	uint64_t sent[_TARGET_MAX];
	uint64_t dropped;       /* pipe full: not sent */
	uint64_t oversized;     /* frames over PROTO_MAX_FIELD */
	uint64_t too_many;      /* messages over PROTO_MAX_FRAMES */
	uint64_t reconnects;
	uint64_t waits;
	uint64_t readies;       /* crafted bad READYs from a text routing id */
	uint64_t replies;       /* what control answered */
	uint64_t full;          /* of which ERR full: WAITs past the limit */
	uint64_t fake_dishes;
};

static void *zctx;
static const char *endpoints[_TARGET_MAX];
static void *socks[_TARGET_MAX];
static void *prober;    /* DEALER with a text routing id: its READYs pass the id check */
static struct stats st;
static uint64_t rng;

/* xorshift64*: small, and the same on every machine. */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static size_t below(size_t n)
{
	return n ? (size_t) (rnd() % n) : 0;
}

/* One message being made: frames point into a scratch arena. */
struct msg {
	size_t n;
	const void *data[MAX_BUILT];
	size_t len[MAX_BUILT];
	char arena[1 << 20];
	size_t used;
};

static struct msg M;

static void add(const void *data, size_t len)
{
	if (M.n == MAX_BUILT || M.used + len > sizeof(M.arena))
		return;
	memcpy(M.arena + M.used, data, len);
	M.data[M.n] = M.arena + M.used;
	M.len[M.n++] = len;
	M.used += len;
}

static void adds(const char *s)
{
	add(s, strlen(s));
}

/* Join the last @k frames into one, '\t' between them, after its length:
 * a packed group in a frame of its own. One in eight says a wrong length. */
static void pack_last(size_t k)
{
	char group[16384], buf[sizeof(group) + 32];
	size_t len = 0, first, said;
	int head;

	if (k == 0 || k > M.n)
		return;
	first = M.n - k;
	for (size_t i = first; i < M.n; i++) {
		if (len + 1 + M.len[i] > sizeof(group))
			break;
		if (i > first)
			group[len++] = '\t';
		memcpy(group + len, M.data[i], M.len[i]);
		len += M.len[i];
	}
	said = below(8) ? len : below(2) || len == 0 ? len + 1 : len - 1;
	head = snprintf(buf, 32, "%zu:", said);
	memcpy(buf + head, group, len);
	M.used = (size_t) ((const char *) M.data[first] - M.arena);
	M.n = first;
	add(buf, (size_t) head + len);
}

static void begin(void)
{
	M.n = 0;
	M.used = 0;
}

static void add_random_bytes(size_t len)
{
	char buf[4096];

	if (len > sizeof(buf))
		len = sizeof(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char) rnd();
	add(buf, len);
}

/* Text that is not: broken UTF-8, controls, or a name far too long. */
static void add_bad_text(void)
{
	static const char *const bad[] = {
		"\xc0\xaf",              /* overlong '/' */
		"\xe0\x80\xaf",          /* overlong, 3 bytes */
		"\xed\xa0\x80",          /* a surrogate */
		"\xf4\x90\x80\x80",      /* beyond U+10FFFF */
		"\xf5\x80\x80\x80",
		"\xc2\x85",              /* C1 control NEL */
		"\xe2\x82",              /* cut short */
		"\x80",                  /* a lone continuation */
		"Pi\x7fzza",             /* DEL */
		"Piz\tza",
		"Pizza\n",               /* a newline in a name */
		"\x1b[31mred",
		"\xff\xfe",
	};
	char buf[512];
	size_t n;

	const char *pick = bad[below(ELEMS(bad))];

	switch (below(4)) {
	case 0:
		adds(pick);
		return;
	case 1:  /* NUL inside */
		add("Piz\0za", 6);
		return;
	case 2:  /* too long for a name, but valid text */
		n = PROTO_MAX_NAME + 1 + below(300);
		memset(buf, 'x', n);
		add(buf, n);
		return;
	default:
		n = (size_t) snprintf(buf, sizeof(buf), "Sushi%s", pick);
		add(buf, n);
		return;
	}
}

/* A number that is not one, or does not fit. */
static void add_bad_number(void)
{
	static const char *const bad[] = {
		"", "00", "007", "-1", "+1", " 1", "1 ", "1e3", "0x10", "1.5", "12a",
		"18446744073709551616", "99999999999999999999", "100000000000000000000",
		"999999999999999999999999999999999999999999",
	};

	adds(bad[below(ELEMS(bad))]);
}

static void add_number(void)
{
	char buf[24];

	switch (below(4)) {
	case 0:
		adds("0");
		return;
	case 1:
		adds("18446744073709551615");
		return;
	default:
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long) (rnd() % 100000));
		adds(buf);
		return;
	}
}

static void add_random_field(void)
{
	switch (below(6)) {
	case 0:
		add_bad_text();
		return;
	case 1:
		add_bad_number();
		return;
	case 2:
		add_number();
		return;
	case 3:
		add("", 0);
		return;
	case 4:
		adds("Served Sushi");
		return;
	default:
		add_random_bytes(below(64));
		return;
	}
}

static const char *const commands[] = {
	"ORDER", "WAIT", "SHOW", "STATUS", "MENU", "CHEFS", "OK", "ERR", "READY", "HEARTBEAT",
	"DISH", "CANCEL", "PROGRESS", "RESULT", "ORDERED", "STAGE", "SERVED", "FAILED", "DONE",
	"CHEF", "CANCELLED", "DRAIN", "RELOAD", "REVOKE", "PURGE", "RETRY",
};
/* The last five change kitchend for real: drain, reload, cancel, purge, retry. */
#define N_SAFE_CONTROL (ELEMS(commands) - 5)

static const char *const unknown[] = { "order", "ORDERED_", "NOPE", "", "KIT8", "READY ", "WAIT " };

static void add_command(enum target t)
{
	size_t n = t == CONTROL ? N_SAFE_CONTROL : ELEMS(commands);

	adds(commands[below(n)]);
}

/* Send M on @t without blocking; a full pipe drops it. */
static void send_on(void *s, enum target t)
{
	for (size_t i = 0; i < M.n; i++) {
		if (zmq_send(s, M.data[i], M.len[i], (i + 1 < M.n ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0) {
			/* Nothing of it went if the first frame did not; a later
			 * frame cannot fail alone on these socket types. */
			st.dropped++;
			return;
		}
	}
	st.sent[t]++;
}

static int open_target(enum target t)
{
	int linger = 0, hwm = 1000;

	socks[t] = zmq_socket(zctx, target_types[t]);
	if (!socks[t])
		return -errno;
	zmq_setsockopt(socks[t], ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(socks[t], ZMQ_SNDHWM, &hwm, sizeof(hwm));
	if (zmq_connect(socks[t], endpoints[t]) < 0)
		return -errno;
	return 0;
}

/* kitchend's libzmq drops a connection that sent an oversized frame: start over. */
static int reopen(enum target t)
{
	zmq_close(socks[t]);
	socks[t] = NULL;
	st.reconnects++;
	return open_target(t);
}

/* The REQ envelope a ROUTER expects on control: our DEALER adds the id. */
static void control_head(void)
{
	if (below(10))
		add("", 0);  /* else: no delimiter at all */
}

static void craft_version(enum target t)
{
	static const char *const versions[] = { "KIT1", "KIT2", "KIT3", "KIT5", "KIT6", "KIT7", "kit8", "KIT", "KIT81", "",
						"ZMTP" };

	begin();
	if (t == CONTROL)
		control_head();
	if (below(4))
		adds(versions[below(ELEMS(versions))]);
	else
		add(PROTO_VERSION "\0", sizeof(PROTO_VERSION));
	add_command(t);
	for (size_t i = below(4); i > 0; i--)
		add_random_field();
}

static void craft_unknown(enum target t)
{
	begin();
	if (t == CONTROL)
		control_head();
	adds(PROTO_VERSION);
	if (below(2))
		adds(unknown[below(ELEMS(unknown))]);
	else
		add_random_bytes(1 + below(12));
	for (size_t i = below(4); i > 0; i--)
		add_random_field();
}

/* A known command with whatever number of fields; most counts are wrong. */
static void craft_counts(enum target t)
{
	begin();
	if (t == CONTROL)
		control_head();
	adds(PROTO_VERSION);
	add_command(t);
	for (size_t i = below(14); i > 0; i--)
		add_random_field();
}

/*
 * Group commands one field short or long of a whole group; for the packed
 * ones (DISH, RESULT: one frame a group) the odd group is one frame with a
 * field too few or too many.
 */
static void craft_groups(enum target t)
{
	static const char *const grouped[] = { "RESULT", "DISH", "ORDER", "OK" };
	const char *cmd = grouped[below(ELEMS(grouped))];
	size_t fixed = strcmp(cmd, "RESULT") == 0 ? 2 : strcmp(cmd, "ORDER") == 0 ? 4 : strcmp(cmd, "DISH") == 0;
	size_t group = strcmp(cmd, "RESULT") == 0 ? 5 : strcmp(cmd, "DISH") == 0 ? 12 : 1;
	size_t n = fixed + group * below(4) + (group > 1 ? 1 + below(group - 1) : 0);

	begin();
	if (t == CONTROL)
		control_head();
	adds(PROTO_VERSION);
	adds(cmd);
	if (group > 1) {
		size_t odd = below(2) ? group - 1 - below(group - 1) : group + 1 + below(3);

		for (size_t i = 0; i < fixed; i++)
			add_random_field();
		for (size_t g = below(4); g > 0; g--) {
			for (size_t i = 0; i < group; i++)
				add_random_field();
			pack_last(group);
		}
		for (size_t i = 0; i < odd; i++)
			add_random_field();
		pack_last(odd);
		return;
	}
	if (fixed == 4)
		n = 1 + below(3);  /* ORDER short of its fixed fields (RESULT, DISH are packed, above) */
	for (size_t i = 0; i < n; i++)
		add_random_field();
}

static void craft_too_many(enum target t)
{
	size_t n = PROTO_MAX_FRAMES + 1 + below(MAX_BUILT - PROTO_MAX_FRAMES - 1);

	begin();
	if (t == CONTROL)
		control_head();
	adds(PROTO_VERSION);
	adds(t == CONTROL ? "ORDER" : t == SINK ? "RESULT" : "READY");
	while (M.n < n)
		add(M.n % 2 ? "1" : "", M.n % 2);
	st.too_many++;
}

/* Valid text, a frame of exactly PROTO_MAX_FIELD: allowed through, then refused by content. */
static void craft_max_field(enum target t)
{
	static char big[PROTO_MAX_FIELD];

	memset(big, 'y', sizeof(big));
	begin();
	if (t == CONTROL) {
		control_head();
		adds(PROTO_VERSION);
		adds("ORDER");
		add("", 0);
		add(big, sizeof(big));  /* a key far too long */
		adds("5");
		adds("0");
		adds("Sushi");
	} else if (t == SINK) {
		adds(PROTO_VERSION);
		adds("PROGRESS");
		adds("nochef.1.00000000");
		adds("1");
		adds("1");
		add(big, sizeof(big));
	} else {
		adds(PROTO_VERSION);
		adds("READY");
		add(big, sizeof(big));
		adds("h");
		adds("1");
		adds("1");
		adds("1");
	}
}

/* Over PROTO_MAX_FIELD: ZMQ_MAXMSGSIZE makes kitchend's libzmq hang up. */
static int send_oversized(enum target t)
{
	static char huge[PROTO_MAX_FIELD + 4096];
	size_t len = PROTO_MAX_FIELD + 1 + below(4096);

	memset(huge, 'z', sizeof(huge));
	begin();
	if (t == CONTROL)
		add("", 0);
	adds(PROTO_VERSION);
	adds(t == SINK ? "PROGRESS" : "SHOW");
	add(huge, len);
	send_on(socks[t], t);
	st.oversized++;
	/* Give it time to reach kitchend before the socket goes (LINGER is 0). */
	usleep(20000);
	return reopen(t);
}

static void craft_garbage(void)
{
	begin();
	for (size_t i = 1 + below(10); i > 0; i--)
		add_random_bytes(below(200));
}

/* Control: WAITs with long time-outs for orders that may exist, and huge ids. */
static void craft_wait(void)
{
	char buf[24];

	begin();
	add("", 0);
	adds(PROTO_VERSION);
	adds("WAIT");
	if (below(4)) {
		snprintf(buf, sizeof(buf), "%zu", 1 + below(40));
		adds(buf);
		adds(below(2) ? "60000" : "18446744073709551615");
	} else {
		add_bad_number();
		add_number();
	}
	st.waits++;
}

/* Sink: well-formed RESULTs and PROGRESS from nobody, or with bad fields. */
static void craft_sink_lies(void)
{
	char id[32];

	begin();
	adds(PROTO_VERSION);
	snprintf(id, sizeof(id), "nochef.%zu.%08zx", below(100), below(1u << 30));
	if (below(2)) {
		adds("RESULT");
		adds(below(4) ? id : "");
		adds("0badc0de0badc0de0badc0de0badc0de");  /* a token nobody was given */
		for (size_t g = 1 + below(3); g > 0; g--) {
			if (below(3))
				add_number();
			else
				add_bad_number();
			add_number();
			adds(below(3) ? "served" : below(2) ? "failed" : "burnt");
			if (below(3))
				adds("Served Sushi");
			else
				add_bad_text();
			if (below(3))
				adds("Served Cooked Rice with a pinch of magic\nx");
			else
				add_bad_text();
			pack_last(5);
		}
	} else {
		adds("PROGRESS");
		adds(id);
		adds("0badc0de0badc0de0badc0de0badc0de");
		add_number();
		add_number();
		if (below(2))
			adds("Cooking ingredient Rice...");
		else
			add_bad_text();
	}
}

/* From a text routing id, so only the field that is wrong makes it malformed. */
static void craft_bad_ready(void)
{
	static const char *const credit[] = {
		/* 16385: CHEF_MAX_CREDIT + 1 */
		"0", "16385", "18446744073709551615", "99999999999999999999", "-4", "", "1e6",
	};
	int which = (int) below(5);

	begin();
	adds(PROTO_VERSION);
	adds("READY");
	if (which == 0)
		add_bad_text();
	else
		adds("prober");
	if (which == 1)
		add_bad_text();
	else
		adds("hostile-host");
	if (which == 2)
		add_bad_number();
	else
		add_number();
	adds(which == 3 ? credit[below(ELEMS(credit))] : "1");
	adds(which == 3 || which == 2 ? "1" : credit[below(ELEMS(credit))]);
	adds(PROTO_SKILL_ANY);
	send_on(prober, DISPATCH);
	st.readies++;
}

static void drain_replies(void)
{
	static size_t frame;   /* of the reply being read: ["", KIT7, ERR, code, ...] */
	static bool is_err;
	char buf[64];
	int n;

	while ((n = zmq_recv(socks[CONTROL], buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
		int more = 0;
		size_t len = sizeof(more);

		if (frame == 2)
			is_err = n == 3 && memcmp(buf, "ERR", 3) == 0;
		if (frame == 3 && is_err && n == 4 && memcmp(buf, "full", 4) == 0)
			st.full++;
		frame++;
		zmq_getsockopt(socks[CONTROL], ZMQ_RCVMORE, &more, &len);
		if (!more) {
			st.replies++;
			frame = 0;
			is_err = false;
		}
	}
	while (zmq_recv(prober, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
		;
	for (enum target t = CONTROL; t < _TARGET_MAX; t++)
		if (t == DISPATCH)
			while (zmq_recv(socks[t], buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
				;
}

/* The fake chef: join, then only listen. Counts the dish groups it is handed. */
static void fake_read(void *fake)
{
	char buf[256];
	size_t frames = 0;
	bool is_dish = false;

	for (;;) {
		int n = zmq_recv(fake, buf, sizeof(buf), ZMQ_DONTWAIT);
		int more = 0;
		size_t len = sizeof(more);

		if (n < 0)
			return;
		if (frames == 1)
			is_dish = n == 4 && memcmp(buf, "DISH", 4) == 0;
		frames++;
		zmq_getsockopt(fake, ZMQ_RCVMORE, &more, &len);
		if (!more) {
			if (is_dish && frames >= 3)
				st.fake_dishes += frames - 3;  /* version, DISH, token; then a group a dish */
			frames = 0;
			is_dish = false;
		}
	}
}

/* STATUS from a client of the version before; 1 when answered as above. */
static int old_client(void)
{
	static const char *const want[] = { "", "KIT7", "ERR", "bad-request" };
	void *s = zmq_socket(zctx, ZMQ_DEALER);
	int linger = 0, timeout = 5000, ok = 0;
	char buf[256];
	size_t k = 0;
	int more = 1;

	if (!s)
		return 0;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	if (zmq_connect(s, endpoints[CONTROL]) < 0 || zmq_send(s, "", 0, ZMQ_SNDMORE) < 0 ||
	    zmq_send(s, "KIT7", 4, ZMQ_SNDMORE) < 0 || zmq_send(s, "STATUS", 6, 0) < 0)
		goto out;
	for (ok = 1; more; k++) {
		size_t len = sizeof(more);
		int n = zmq_recv(s, buf, sizeof(buf) - 1, 0);

		if (n < 0) {
			ok = 0;
			break;
		}
		buf[n < (int) sizeof(buf) ? n : (int) sizeof(buf) - 1] = '\0';
		if (k < ELEMS(want) && strcmp(buf, want[k]) != 0)
			ok = 0;
		if (k == ELEMS(want) && !strstr(buf, PROTO_VERSION))
			ok = 0;
		zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len);
	}
	if (k != ELEMS(want) + 1)
		ok = 0;
out:
	zmq_close(s);
	return ok;
}

static void *fake_join(const char *name)
{
	char id[160], pid[24];
	int linger = 0;
	void *s = zmq_socket(zctx, ZMQ_DEALER);

	if (!s)
		return NULL;
	snprintf(id, sizeof(id), "%s.%d.0badc0de", name, (int) getpid());
	snprintf(pid, sizeof(pid), "%d", (int) getpid());
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_ROUTING_ID, id, strlen(id));
	if (zmq_connect(s, endpoints[DISPATCH]) < 0) {
		zmq_close(s);
		return NULL;
	}
	begin();
	adds(PROTO_VERSION);
	adds("READY");
	adds(name);
	adds("hostile");
	adds(pid);
	adds("1024");
	adds("1024");
	adds(PROTO_SKILL_ANY);
	for (size_t i = 0; i < M.n; i++)
		zmq_send(s, M.data[i], M.len[i], i + 1 < M.n ? ZMQ_SNDMORE : 0);
	return s;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void one_round(void)
{
	enum target t = (enum target) below(_TARGET_MAX);
	size_t kind = below(100);

	if (kind < 5)
		craft_too_many(t);
	else if (kind < 7)
		craft_max_field(t);
	else if (kind < 20)
		craft_version(t);
	else if (kind < 33)
		craft_unknown(t);
	else if (kind < 50)
		craft_counts(t);
	else if (kind < 60)
		craft_groups(t);
	else if (kind < 66)
		craft_garbage();
	else if (kind < 78) {
		craft_wait();
		t = CONTROL;
	} else if (kind < 90) {
		craft_sink_lies();
		t = SINK;
	} else {
		craft_bad_ready();
		return;
	}
	send_on(socks[t], t);
}

/* --old-kitchend: answer whatever comes in KIT7 until @end_ms. */
static int old_kitchend(uint64_t end_ms)
{
	void *control = zmq_socket(zctx, ZMQ_ROUTER), *dispatch = zmq_socket(zctx, ZMQ_ROUTER);
	uint64_t answered = 0;
	int linger = 0;

	if (!control || !dispatch)
		return 1;
	zmq_setsockopt(control, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(dispatch, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(control, endpoints[CONTROL]) < 0 || zmq_bind(dispatch, endpoints[DISPATCH]) < 0) {
		fprintf(stderr, "hostile: cannot bind: %s\n", zmq_strerror(errno));
		return 1;
	}
	while (mono_ms() < end_ms) {
		zmq_pollitem_t items[] = {
			{ .socket = control, .events = ZMQ_POLLIN },
			{ .socket = dispatch, .events = ZMQ_POLLIN },
		};

		if (zmq_poll(items, 2, 50) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			void *s = items[i].socket;
			char id[256], junk[256];
			int n, more = 1;
			size_t len = sizeof(more);

			if (!(items[i].revents & ZMQ_POLLIN))
				continue;
			n = zmq_recv(s, id, sizeof(id), 0);
			while (more && zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len) == 0 && more)
				(void) zmq_recv(s, junk, sizeof(junk), 0);
			if (n < 0 || n > (int) sizeof(id))
				continue;
			begin();
			add(id, (size_t) n);
			if (s == control) {
				add("", 0);
				adds("KIT7");
				adds("ERR");
				adds("bad-request");
				adds("malformed request (this kitchend speaks KIT7)");
			} else {
				adds("KIT7");
				adds("HEARTBEAT");
			}
			for (size_t k = 0; k < M.n; k++)
				(void) zmq_send(s, M.data[k], M.len[k], k + 1 < M.n ? ZMQ_SNDMORE : 0);
			answered++;
		}
	}
	printf("answered %llu\n", (unsigned long long) answered);
	zmq_close(control);
	zmq_close(dispatch);
	zmq_ctx_term(zctx);
	return 0;
}

static int read_exactly(int fd, unsigned char *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t) r;
	}
	return 0;
}

/* A raw ZMTP 3.0 SUB (NULL mechanism) on ipc @events: unsubscribes only. */
static int stranger_unsubscribe(const char *events, const char *topic, double seconds)
{
	static const char ready[] = "\x05READY\x0bSocket-Type\x00\x00\x00\x03SUB";
	unsigned char greeting[64] = { 0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 0, 'N', 'U', 'L', 'L' };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned long long sent = 0;
	uint64_t end = mono_ms() + (uint64_t) (seconds * 1000);
	unsigned char frame[260];
	int fd;

	if (strncmp(events, "ipc://", 6) != 0 || strlen(events + 6) >= sizeof(sa.sun_path) || strlen(topic) > 250)
		return 2;
	strcpy(sa.sun_path, events + 6);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		return 1;
	frame[0] = 0x04;  /* a command */
	frame[1] = sizeof(ready) - 1;
	memcpy(frame + 2, ready, sizeof(ready) - 1);
	if (write(fd, greeting, sizeof(greeting)) != sizeof(greeting) ||
	    write(fd, frame, 2 + sizeof(ready) - 1) != (ssize_t) (2 + sizeof(ready) - 1))
		return 1;
	/* The handshake ends with kitchend's READY: before it, a message
	 * would be taken for a handshake command (and refused). */
	if (read_exactly(fd, frame, sizeof(greeting)) < 0 || read_exactly(fd, frame, 2) < 0 ||
	    read_exactly(fd, frame + 2, frame[1]) < 0)
		return 1;
	while (mono_ms() < end) {
		const char *topics[] = { topic, "" };

		for (size_t i = 0; i < ELEMS(topics); i++) {
			size_t n = strlen(topics[i]);

			frame[0] = 0x00;  /* a message, the last frame */
			frame[1] = (unsigned char) (n + 1);
			frame[2] = 0;     /* unsubscribe */
			memcpy(frame + 3, topics[i], n);
			if (write(fd, frame, 3 + n) != (ssize_t) (3 + n))
				return 1;
			sent++;
		}
		usleep(10000);
	}
	printf("unsubscribes %llu\n", sent);
	close(fd);
	return 0;
}

static int ready_flood(const char *dispatch, double seconds, const char *version)
{
	const char *const ready[] = { version, "READY", "flood", "flood-host", "1", "1", "1", PROTO_SKILL_ANY };
	uint64_t end = mono_ms() + (uint64_t) (seconds * 1000);
	unsigned long long sent = 0;
	int linger = 0;
	void *s;

	zctx = zmq_ctx_new();
	s = zctx ? zmq_socket(zctx, ZMQ_DEALER) : NULL;
	if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(s, ZMQ_ROUTING_ID, "flood.1.00000000", 16) < 0 || zmq_connect(s, dispatch) < 0)
		return 1;
	while (mono_ms() < end) {
		char buf[256];
		size_t i;

		for (i = 0; i < ELEMS(ready); i++)
			if (zmq_send(s, ready[i], strlen(ready[i]), ZMQ_DONTWAIT | (i + 1 < ELEMS(ready) ? ZMQ_SNDMORE : 0)) < 0)
				break;
		if (i == ELEMS(ready))
			sent++;
		else
			usleep(100);
		while (zmq_recv(s, buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
			;
	}
	printf("readies %llu\n", sent);
	zmq_close(s);
	zmq_ctx_term(zctx);
	return 0;
}

static int fake_chefs(const char *dispatch, unsigned n, double seconds)
{
	uint64_t end = mono_ms() + (uint64_t) (seconds * 1000), next_beat = 0;
	void **chefs = calloc(n, sizeof(*chefs));
	bool *heard = calloc(n, sizeof(*heard));
	unsigned admitted = 0;
	int linger = 0;

	zctx = zmq_ctx_new();
	if (!zctx || !chefs || !heard || zmq_ctx_set(zctx, ZMQ_MAX_SOCKETS, (int) n + 16) < 0)
		return 1;
	for (unsigned i = 0; i < n; i++) {
		char id[32], name[16];
		const char *ready[] = { PROTO_VERSION, "READY", name, "fake-host", "1", "1", "1", PROTO_SKILL_ANY };

		snprintf(id, sizeof(id), "fake-%u.1.00000000", i);
		snprintf(name, sizeof(name), "fake-%u", i);
		chefs[i] = zmq_socket(zctx, ZMQ_DEALER);
		if (!chefs[i] || zmq_setsockopt(chefs[i], ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
		    zmq_setsockopt(chefs[i], ZMQ_ROUTING_ID, id, strlen(id)) < 0 || zmq_connect(chefs[i], dispatch) < 0)
			return 1;
		for (size_t f = 0; f < ELEMS(ready); f++)
			if (zmq_send(chefs[i], ready[f], strlen(ready[f]), f + 1 < ELEMS(ready) ? ZMQ_SNDMORE : 0) < 0)
				return 1;
	}
	while (mono_ms() < end) {
		bool beat = mono_ms() >= next_beat;

		for (unsigned i = 0; i < n; i++) {
			char buf[256];

			while (zmq_recv(chefs[i], buf, sizeof(buf), ZMQ_DONTWAIT) >= 0)
				heard[i] = true;
			if (beat) {
				zmq_send(chefs[i], PROTO_VERSION, strlen(PROTO_VERSION), ZMQ_SNDMORE | ZMQ_DONTWAIT);
				zmq_send(chefs[i], "HEARTBEAT", 9, ZMQ_DONTWAIT);
			}
		}
		if (beat)
			next_beat = mono_ms() + 200;
		usleep(10000);
	}
	for (unsigned i = 0; i < n; i++) {
		admitted += heard[i];
		zmq_close(chefs[i]);
	}
	printf("admitted %u\n", admitted);
	free(chefs);
	free(heard);
	zmq_ctx_term(zctx);
	return 0;
}

/* Per topic, the last seq seen. */
struct topic_seq {
	char topic[64];
	unsigned long long seq;
};

static int stalled_follower(const char *events, double seconds)
{
	static struct topic_seq topics[4096];
	size_t n_topics = 0;
	unsigned long long n_events = 0, gaps = 0;
	int one = 1, linger = 0, timeout = 1000;
	void *s;

	zctx = zmq_ctx_new();
	s = zctx ? zmq_socket(zctx, ZMQ_SUB) : NULL;
	if (!s || zmq_setsockopt(s, ZMQ_RCVHWM, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(s, ZMQ_RCVBUF, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout)) < 0 ||
	    zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) < 0 || zmq_connect(s, events) < 0)
		return 1;
	/* Subscribed for sure once an event arrives (the test makes some). */
	for (;;) {
		char buf[64];
		int more = 1;
		size_t len = sizeof(more);

		if (zmq_recv(s, buf, sizeof(buf), 0) < 0)
			continue;
		for (zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len); more; zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len))
			zmq_recv(s, buf, sizeof(buf), 0);
		break;
	}
	printf("ready\n");
	fflush(stdout);
	usleep((useconds_t) (seconds * 1e6));
	for (;;) {
		char topic[64], ver[8], cmd[16], seq[24];
		int more = 1, tn, n;
		size_t len = sizeof(more), k;

		tn = zmq_recv(s, topic, sizeof(topic) - 1, 0);
		if (tn < 0)
			break;
		topic[tn < (int) sizeof(topic) - 1 ? tn : (int) sizeof(topic) - 1] = '\0';
		/* [topic][KIT7][CMD][order_id][seq]... or [chef.][KIT7][CHEF][seq]... */
		zmq_recv(s, ver, sizeof(ver), 0);
		zmq_recv(s, cmd, sizeof(cmd), 0);
		if (strncmp(topic, "chef.", 5) != 0)
			zmq_recv(s, seq, sizeof(seq) - 1, 0);
		n = zmq_recv(s, seq, sizeof(seq) - 1, 0);
		seq[n > 0 ? n : 0] = '\0';
		for (zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len); more; zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len))
			zmq_recv(s, cmd, sizeof(cmd), 0);
		n_events++;
		for (k = 0; k < n_topics && strcmp(topics[k].topic, topic) != 0; k++)
			;
		if (k == n_topics && n_topics < ELEMS(topics))
			snprintf(topics[n_topics++].topic, sizeof(topics[0].topic), "%s", topic);
		if (k < n_topics) {
			unsigned long long v = strtoull(seq, NULL, 10);
			if (topics[k].seq && v != topics[k].seq + 1)
				gaps++;
			topics[k].seq = v;
		}
	}
	printf("events %llu\ngaps %llu\n", n_events, gaps);
	zmq_close(s);
	zmq_ctx_term(zctx);
	return 0;
}

/* C clients of N WAITs each for order @order; the replies they get by @end. */
static int wait_flood(unsigned n, unsigned clients, const char *order, uint64_t end, uint64_t expect)
{
	struct rlimit rl;
	void **socks_ = calloc(clients, sizeof(*socks_));
	unsigned long long answered = 0, refused = 0;
	int linger = 0;

	/* Two descriptors a socket: room for every client. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	zctx = zmq_ctx_new();
	if (!zctx || !socks_ || zmq_ctx_set(zctx, ZMQ_MAX_SOCKETS, (int) clients + 16) < 0)
		return 1;
	for (unsigned c = 0; c < clients; c++) {
		void *s = socks_[c] = zmq_socket(zctx, ZMQ_DEALER);
		if (!s || zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
		    zmq_connect(s, endpoints[CONTROL]) < 0) {
			fprintf(stderr, "hostile: client %u: %s\n", c, zmq_strerror(errno));
			return 1;
		}
		for (unsigned i = 0; i < n; i++)
			if (zmq_send(s, "", 0, ZMQ_SNDMORE) < 0 ||
			    zmq_send(s, PROTO_VERSION, strlen(PROTO_VERSION), ZMQ_SNDMORE) < 0 ||
			    zmq_send(s, "WAIT", 4, ZMQ_SNDMORE) < 0 ||
			    zmq_send(s, order, strlen(order), ZMQ_SNDMORE) < 0 || zmq_send(s, "60000", 5, 0) < 0)
				return 1;
	}
	while (mono_ms() < end) {
		for (unsigned c = 0; c < clients; c++) {
			static size_t frame;  /* of the reply: ["", KIT7, OK|ERR, ...] */
			static bool is_ok;
			char buf[64];
			int more = 1, got;
			size_t len = sizeof(more);

			while ((got = zmq_recv(socks_[c], buf, sizeof(buf), ZMQ_DONTWAIT)) >= 0) {
				if (frame++ == 2)
					is_ok = got == 2 && memcmp(buf, "OK", 2) == 0;
				zmq_getsockopt(socks_[c], ZMQ_RCVMORE, &more, &len);
				if (!more) {
					answered += is_ok;
					refused += !is_ok;
					frame = 0;
					if (expect && answered == expect && mono_ms() + 1000 < end)
						end = mono_ms() + 1000;
				}
			}
		}
		usleep(1000);
	}
	printf("answered %llu\nrefused %llu\n", answered, refused);
	for (unsigned c = 0; c < clients; c++)
		zmq_close(socks_[c]);
	free(socks_);
	zmq_ctx_term(zctx);
	return 0;
}

/* --request: one request of @n fields, the reply printed. */
static int request(const char *cmd, char **fields, int n)
{
	void *s = zmq_socket(zctx, ZMQ_REQ);
	int linger = 0, timeout = 5000, more = 1;
	size_t len = sizeof(more);
	zmq_msg_t part;

	if (!s)
		return 1;
	zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	if (zmq_connect(s, endpoints[CONTROL]) < 0 ||
	    zmq_send(s, PROTO_VERSION, strlen(PROTO_VERSION), ZMQ_SNDMORE) < 0 ||
	    zmq_send(s, cmd, strlen(cmd), n > 0 ? ZMQ_SNDMORE : 0) < 0)
		return 1;
	for (int i = 0; i < n; i++)
		if (zmq_send(s, fields[i], strlen(fields[i]), i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
			return 1;
	for (int k = 0; more; k++) {
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, s, 0) < 0) {
			fprintf(stderr, "hostile: no reply: %s\n", zmq_strerror(errno));
			return 1;
		}
		if (k > 0)  /* the version frame */
			printf("%.*s\n", (int) zmq_msg_size(&part), (const char *) zmq_msg_data(&part));
		zmq_msg_close(&part);
		zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len);
	}
	zmq_close(s);
	zmq_ctx_term(zctx);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "dispatch", required_argument, NULL, 'd' },
		{ "sink", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'r' },
		{ "fake-chef", required_argument, NULL, 'f' },
		{ "old-kitchend", no_argument, NULL, 'o' },
		{ "wait-flood", required_argument, NULL, 'w' },
		{ "clients", required_argument, NULL, 'n' },
		{ "expect", required_argument, NULL, 'x' },
		{ "order", required_argument, NULL, 'i' },
		{ "stalled-follower", no_argument, NULL, 'S' },
		{ "events", required_argument, NULL, 'e' },
		{ "stranger-unsubscribe", required_argument, NULL, 'U' },
		{ "ready-flood", no_argument, NULL, 'R' },
		{ "version", required_argument, NULL, 'V' },
		{ "fake-chefs", required_argument, NULL, 'F' },
		{ "request", required_argument, NULL, 'q' },
		{ "kitchend", required_argument, NULL, 'k' },
		{ 0 },
	};
	const char *request_cmd = NULL, *kitchend_mode = NULL;
	const char *version = PROTO_VERSION;
	unsigned n_fakes = 0;
	bool readies = false;
	const char *stranger_topic = NULL;
	const char *events_ep = NULL;
	bool stalled = false;
	const char *flood_order = NULL;
	unsigned flood = 0, clients = 1;
	uint64_t expect = 0;
	const char *fake_name = NULL;
	double seconds = 5;
	uint64_t seed = 1, end, next_oversized;
	void *fake = NULL;
	bool old = false;
	int c, linger = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 'c': endpoints[CONTROL] = optarg; break;
		case 'd': endpoints[DISPATCH] = optarg; break;
		case 's': endpoints[SINK] = optarg; break;
		case 't': seconds = atof(optarg); break;
		case 'r': seed = strtoull(optarg, NULL, 10); break;
		case 'f': fake_name = optarg; break;
		case 'o': old = true; break;
		case 'w': flood = (unsigned) strtoul(optarg, NULL, 10); break;
		case 'n': clients = (unsigned) strtoul(optarg, NULL, 10); break;
		case 'x': expect = strtoull(optarg, NULL, 10); break;
		case 'i': flood_order = optarg; break;
		case 'S': stalled = true; break;
		case 'e': events_ep = optarg; break;
		case 'U': stranger_topic = optarg; break;
		case 'R': readies = true; break;
		case 'V': version = optarg; break;
		case 'F': n_fakes = (unsigned) strtoul(optarg, NULL, 10); break;
		case 'q': request_cmd = optarg; break;
		case 'k': kitchend_mode = optarg; break;
		default: return 2;
		}
	}
	if (kitchend_mode && endpoints[CONTROL] && seconds > 0) {
		int r;

		zctx = zmq_ctx_new();
		if (!zctx)
			return 1;
		r = hostile_kitchend(zctx, kitchend_mode, endpoints[CONTROL], events_ep, seconds);
		zmq_ctx_term(zctx);
		return r;
	}
	if (request_cmd && endpoints[CONTROL]) {
		zctx = zmq_ctx_new();
		return zctx ? request(request_cmd, argv + optind, argc - optind) : 1;
	}
	if (n_fakes && endpoints[DISPATCH] && seconds > 0)
		return fake_chefs(endpoints[DISPATCH], n_fakes, seconds);
	if (readies && endpoints[DISPATCH] && seconds > 0)
		return ready_flood(endpoints[DISPATCH], seconds, version);
	if (stranger_topic && events_ep && seconds > 0)
		return stranger_unsubscribe(events_ep, stranger_topic, seconds);
	if (stalled && events_ep && seconds > 0)
		return stalled_follower(events_ep, seconds);
	if (flood && clients && flood_order && endpoints[CONTROL] && seconds > 0)
		return wait_flood(flood, clients, flood_order, mono_ms() + (uint64_t) (seconds * 1000), expect);
	if (old && endpoints[CONTROL] && endpoints[DISPATCH] && seconds > 0) {
		zctx = zmq_ctx_new();
		return zctx ? old_kitchend(mono_ms() + (uint64_t) (seconds * 1000)) : 1;
	}
	if (!endpoints[CONTROL] || !endpoints[DISPATCH] || !endpoints[SINK] || seconds <= 0) {
		fprintf(stderr, "usage: hostile --control EP --dispatch EP --sink EP [--seconds S] "
			"[--seed N] [--fake-chef NAME]\n"
			"       hostile --old-kitchend --control EP --dispatch EP [--seconds S]\n"
			"       hostile --control EP --request CMD [FIELD...]\n"
			"       hostile --kitchend MODE --control EP [--events EP] [--seconds S]\n");
		return 2;
	}
	rng = seed * 0x9e3779b97f4a7c15ull + 1;

	zctx = zmq_ctx_new();
	prober = zctx ? zmq_socket(zctx, ZMQ_DEALER) : NULL;
	if (!prober)
		return 1;
	zmq_setsockopt(prober, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(prober, ZMQ_ROUTING_ID, "prober.1.00000000", 17);
	if (zmq_connect(prober, endpoints[DISPATCH]) < 0)
		return 1;
	for (enum target t = CONTROL; t < _TARGET_MAX; t++)
		if (open_target(t) < 0) {
			fprintf(stderr, "hostile: cannot connect to %s: %s\n", endpoints[t], zmq_strerror(errno));
			return 1;
		}
	if (fake_name && !(fake = fake_join(fake_name))) {
		fprintf(stderr, "hostile: cannot join as chef %s\n", fake_name);
		return 1;
	}

	end = mono_ms() + (uint64_t) (seconds * 1000);
	next_oversized = mono_ms() + OVERSIZED_EVERY_MS;
	for (uint64_t round = 0; mono_ms() < end; round++) {
		one_round();
		if (mono_ms() >= next_oversized) {
			if (send_oversized((enum target) (st.oversized % _TARGET_MAX)) < 0)
				return 1;
			next_oversized = mono_ms() + OVERSIZED_EVERY_MS;
		}
		if (round % 64 == 0) {
			drain_replies();
			if (fake)
				fake_read(fake);
		}
	}
	drain_replies();
	if (fake)
		fake_read(fake);
	int old_answered = old_client();

	printf("sent_control %llu\nsent_dispatch %llu\nsent_sink %llu\n",
	       (unsigned long long) st.sent[CONTROL], (unsigned long long) st.sent[DISPATCH],
	       (unsigned long long) st.sent[SINK]);
	printf("dropped %llu\noversized %llu\ntoo_many_frames %llu\nreconnects %llu\nwaits %llu\n"
	       "bad_readies %llu\nreplies %llu\nreplies_full %llu\nfake_dishes %llu\n",
	       (unsigned long long) st.dropped, (unsigned long long) st.oversized,
	       (unsigned long long) st.too_many, (unsigned long long) st.reconnects,
	       (unsigned long long) st.waits, (unsigned long long) st.readies,
	       (unsigned long long) st.replies, (unsigned long long) st.full,
	       (unsigned long long) st.fake_dishes);
	printf("old_version_answered %d\n", old_answered);

	if (fake)
		zmq_close(fake);
	zmq_close(prober);
	for (enum target t = CONTROL; t < _TARGET_MAX; t++)
		zmq_close(socks[t]);
	zmq_ctx_term(zctx);
	return 0;
}
