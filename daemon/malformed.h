/*
 * malformed — the messages kitchend drops: counted (status shows the count)
 * and logged at most once a second, so that a hostile peer cannot flood the
 * journal. A peer of another protocol version gets a line of its own,
 * naming the version, once a second for each of the first
 * MALFORMED_VERSIONS versions seen (the rest share one more line a second).
 */
#pragma once

#include <stdint.h>

#include "exposition.h"
#include "log.h"
#include "proto.h"

#define MALFORMED_VERSIONS 4

struct malformed {
	uint64_t count;
	uint64_t by_socket[EXPO_SOCKETS];  /* in the order of exposition.h's expo_sockets */
	struct log_ratelimit log;
	struct {
		char name[PROTO_VERSION_MAX + 1];  /* "" for the slot of every other */
		struct log_ratelimit log;
	} versions[MALFORMED_VERSIONS + 1];
};

void malformed_init(struct malformed *m);

/* Count a malformed message on socket @where ("control", "dispatch", "sink",
 * "events") because @why. */
void malformed_count(struct malformed *m, const char *where, const char *why);
/* The same for a message proto_recv() refused: names @msg's protocol
 * version when it is another KIT version (a peer of another release). */
void malformed_refused(struct malformed *m, const char *where, const struct proto_msg *msg);
