/*
 * outputs — OUTPUT: the outputs of an order's dishes, whole and raw, for
 * `kitchenctl wait --output` (fields: proto.h, docs/protocol.md).
 *
 * Reports and events carry a preview of a dish's output (one line, cut);
 * this is the one way to the bytes themselves. They come from the store:
 * what is committed when the request is read, in index order, a reply of
 * at most PROTO_OUTPUT_REPLY_MAX bytes of output (but at least one dish,
 * whatever its size), and a "next" to ask from for the rest. The store is
 * read whole before the OK goes out, so an ERR never follows half a reply.
 *
 *	[PROTO_OUTPUT] = output,   // control.c: outputs_answer(k, m)
 */
#pragma once

struct kitchen;
struct proto_msg;

/* How much of the control reader's budget an OUTPUT spends: a few a turn. */
#define OUTPUTS_COST 64

/* Answer the OUTPUT request @m: OK with outputs, or ERR. */
void outputs_answer(struct kitchen *k, const struct proto_msg *m);
