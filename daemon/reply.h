/*
 * reply — answers on the control socket. Every request gets exactly one
 * (a REQ client waits for it): OK with the request's fields, or ERR with a
 * code (PROTO_ERR_*) and a sentence for a person.
 *
 *	struct proto_out out;
 *	reply_begin(k, &out, PROTO_OK, rid, rid_len);
 *	proto_out_u64(&out, 42);
 *	reply_end(&out);
 *
 *	reply_err(k, rid, rid_len, PROTO_ERR_NOT_FOUND, "no order %llu", id);
 *
 * A reply that cannot be sent (the client gave up and went) is dropped.
 */
#pragma once

#include <stddef.h>

#include "proto.h"

struct kitchen;

void reply_begin(struct kitchen *k, struct proto_out *out, enum proto_cmd cmd, const void *rid, size_t rid_len);
void reply_end(struct proto_out *out);
void reply_err(struct kitchen *k, const void *rid, size_t rid_len, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/*
 * ERR bad-request for a request proto_recv() refused. A client of another
 * protocol version gets it in its own version (ERR is the same in every
 * one), so that it can say what is wrong instead of "malformed reply".
 */
void reply_refused(struct kitchen *k, const struct proto_msg *m);
