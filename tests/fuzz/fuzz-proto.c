/*
 * fuzz-proto — libFuzzer harness for the KIT8 decoder (common/proto.c).
 *
 * The input is one message: byte 0 picks the envelope count (0..3; 3 is one
 * too many and must be refused), then frames, each a 2-byte big-endian
 * length and that many bytes (cut short at the end of the input). Each frame
 * is copied into a buffer of its own exact size, so AddressSanitizer catches
 * a read one byte past a field.
 *
 * Every message goes through proto_parse() and, over an inproc PAIR, through
 * proto_recv(): both must agree. A message that passes has every field read
 * with each typed reader, and the invariants kitchend relies on are checked
 * (fields in bounds, groups ending exactly at the last field), and it is
 * sent again field by field with proto_out (which packs DISH and RESULT
 * groups) and must come back with the same fields; one that fails must leave
 * no fields and, when it had them, its envelope. A broken invariant aborts,
 * which libFuzzer reports as a crash.
 *
 * tests/fuzz/corpus/proto/ holds the seeds (tests/fuzz/make-corpus.py writes
 * them); tools/fuzz runs this for a bounded time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "fuzz.h"
#include "proto.h"

#define MAX_FRAMES (PROTO_MAX_FRAMES + 2)

static struct proto_msg *parsed, *received;
static void *ctx, *tx, *rx;

static void setup(void)
{
	int linger = 0, hwm = 0, timeout = 1000;

	parsed = proto_msg_new();
	received = proto_msg_new();
	ctx = zmq_ctx_new();
	ASSERT(parsed && received && ctx);
	tx = zmq_socket(ctx, ZMQ_PAIR);
	rx = zmq_socket(ctx, ZMQ_PAIR);
	ASSERT(tx && rx);
	zmq_setsockopt(tx, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(tx, ZMQ_SNDHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(rx, ZMQ_RCVHWM, &hwm, sizeof(hwm));
	zmq_setsockopt(rx, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	ASSERT(zmq_bind(rx, "inproc://fuzz-proto") == 0);
	ASSERT(zmq_connect(tx, "inproc://fuzz-proto") == 0);
}

/* Read every field with every reader, as kitchend's handlers may. */
static void read_fields(const struct proto_msg *m)
{
	static char big[PROTO_MAX_FIELD + 1];
	char name[PROTO_MAX_NAME + 1];
	uint64_t v;

	for (size_t i = 0; i <= m->n_fields; i++) {  /* one past the end too: must be refused */
		int r = proto_u64(m, i, &v);

		ASSERT(r == 0 || r == -EINVAL);
		if (i == m->n_fields) {
			ASSERT(r == -EINVAL);
			ASSERT(proto_str(m, i, name, sizeof(name)) == -EINVAL);
			ASSERT(!proto_field_is(m, i, ""));
			continue;
		}
		if (r == 0) {
			char back[24];
			snprintf(back, sizeof(back), "%llu", (unsigned long long) v);
			ASSERT(m->fields[i].len == strlen(back) && memcmp(back, m->fields[i].data, m->fields[i].len) == 0);
		}
		r = proto_str(m, i, name, sizeof(name));
		ASSERT(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
		if (r == 0)
			ASSERT(strlen(name) == m->fields[i].len);
		r = proto_str(m, i, big, sizeof(big));
		ASSERT(r == 0 || r == -EINVAL);
		ASSERT((r == 0) == proto_text_valid(m->fields[i].data, m->fields[i].len, true));
		if (proto_text_valid(m->fields[i].data, m->fields[i].len, false))
			ASSERT(r == 0 && !memchr(m->fields[i].data, '\n', m->fields[i].len));
		(void) proto_field_is(m, i, "served");
	}
}

static void check_parsed(const struct proto_msg *m, size_t n_env, size_t n, int r)
{
	ASSERT(r == 0 || r == -EPROTO);
	if (r < 0) {
		ASSERT(m->n_fields == 0 && m->fields == NULL);
		if (n <= PROTO_MAX_FRAMES && n >= n_env)
			ASSERT(m->n_env == n_env);
		return;
	}
	ASSERT((unsigned) m->cmd < _PROTO_CMD_MAX);
	ASSERT(strcmp(proto_cmd_name(m->cmd), "?") != 0);
	/* A packed group is one frame of several fields; else a field is a frame. */
	ASSERT(m->n_env == n_env && n_env + 2 + m->n_fields >= n);
	for (size_t i = 0; i < m->n_fields; i++)
		ASSERT(m->fields[i].len <= PROTO_MAX_FIELD);
	size_t groups = proto_groups(m);
	if (groups > 0) {
		ASSERT(proto_group_field(m, groups - 1, 0) < m->n_fields);
		ASSERT(proto_group_field(m, groups, 0) == m->n_fields);
	}
	read_fields(m);
}

/* The same frames through a socket and proto_recv(). */
static int via_socket(const struct proto_field *frames, size_t n, size_t n_env)
{
	for (size_t i = 0; i < n; i++)
		ASSERT(zmq_send(tx, frames[i].data, frames[i].len, i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
	return proto_recv(rx, n_env, received, 0);
}

/* Send @m's envelope and fields again with proto_out: the same must come back. */
static void resend(const struct proto_msg *m)
{
	struct proto_out o;

	proto_out_begin(&o, tx, m->cmd);
	for (size_t i = 0; i < m->n_env; i++)
		proto_out_env(&o, m->env[i].data, m->env[i].len);
	for (size_t i = 0; i < m->n_fields; i++)
		proto_out_mem(&o, m->fields[i].data, m->fields[i].len);
	ASSERT(proto_out_end(&o, 0) == 0);
	ASSERT(proto_recv(rx, m->n_env, received, 0) == 0);
	ASSERT(received->cmd == m->cmd && received->n_fields == m->n_fields);
	for (size_t i = 0; i < m->n_fields; i++)
		ASSERT(received->fields[i].len == m->fields[i].len &&
		       memcmp(received->fields[i].data, m->fields[i].data, m->fields[i].len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_field frames[MAX_FRAMES];
	size_t n = 0, n_env;
	int r, r2;

	if (!ctx)
		setup();
	if (size < 1)
		return 0;
	n_env = data[0] % (PROTO_MAX_ENVELOPE + 2);
	data++, size--;
	while (size >= 2 && n < MAX_FRAMES) {
		size_t len = (size_t) data[0] << 8 | data[1];
		char *copy;

		data += 2, size -= 2;
		if (len > size)
			len = size;
		copy = malloc(len ? len : 1);
		ASSERT(copy);
		memcpy(copy, data, len);
		frames[n++] = (struct proto_field) { copy, len };
		data += len, size -= len;
	}

	r = proto_parse(parsed, n_env, frames, n);
	if (n_env > PROTO_MAX_ENVELOPE) {
		ASSERT(r == -EINVAL);
	} else {
		check_parsed(parsed, n_env, n, r);
		if (n > 0) {
			r2 = via_socket(frames, n, n_env);
			ASSERT(r2 == r);
			if (r == 0) {
				ASSERT(received->cmd == parsed->cmd && received->n_fields == parsed->n_fields);
				resend(parsed);
			} else if (n <= PROTO_MAX_FRAMES)
				ASSERT(received->n_env == parsed->n_env);
		}
	}

	for (size_t i = 0; i < n; i++)
		free((void *) frames[i].data);
	return 0;
}
