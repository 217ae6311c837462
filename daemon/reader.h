/*
 * reader — the one loop that reads kitchend's protocol sockets (control,
 * dispatch, sink), each with a table of handlers indexed by command.
 *
 *	static const struct reader sink_reader = {
 *		.name = "sink", .n_env = 0, .budget = 1024,
 *		.handlers = { [PROTO_PROGRESS] = progress, [PROTO_RESULT] = result },
 *	};
 *	busy |= reader_run(k, k->sink, &sink_reader);
 *
 * A command without a handler is unexpected on that socket: counted as
 * malformed, then given to @unexpected if set (control answers it). A
 * message proto_recv() refused is counted (naming another protocol version)
 * and given to @refused if set. A handler returns how much of the budget the
 * message spent (1, or the dishes of a batch), so that a burst never keeps
 * the loop from its timers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "proto.h"

struct kitchen;

typedef unsigned (*reader_fn)(struct kitchen *k, const struct proto_msg *m);

struct reader {
	const char *name;                   /* the socket, for the malformed count */
	size_t n_env;                       /* envelope frames (proto_recv) */
	bool req_delimiter;                 /* the last envelope frame is a REQ's empty one */
	unsigned budget;                    /* work read in one loop turn at most */
	reader_fn handlers[_PROTO_CMD_MAX]; /* NULL: unexpected here */
	void (*unexpected)(struct kitchen *k, const struct proto_msg *m);
	void (*refused)(struct kitchen *k, const struct proto_msg *m);
};

/* Read what waits on @sock. true: stopped at the budget, there may be more. */
bool reader_run(struct kitchen *k, void *sock, const struct reader *r);
