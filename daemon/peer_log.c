/*
 * peer_log.c — the rate limit on lines about peers; see peer_log.h.
 */
#include "peer_log.h"

#include <stdio.h>

#include "util.h"

struct seen_slot {
	uint64_t hash;
	uint64_t at_ms;
};

static struct {
	struct seen_slot seen[PEER_LOG_SEEN];
	size_t seen_next;
	uint64_t window_start_ms;
	unsigned window_lines;
	unsigned long long suppressed;
} state;

bool peer_log_may(uint64_t hash)
{
	uint64_t now = now_ms();

	for (size_t i = 0; i < PEER_LOG_SEEN; i++)
		if (state.seen[i].hash == hash && state.seen[i].at_ms && now - state.seen[i].at_ms < PEER_LOG_SEEN_MS) {
			state.suppressed++;
			return false;
		}
	if (now - state.window_start_ms >= PEER_LOG_WINDOW_MS) {
		state.window_start_ms = now;
		state.window_lines = 0;
	}
	if (state.window_lines >= PEER_LOG_BURST) {
		state.suppressed++;
		return false;
	}
	state.window_lines++;
	state.seen[state.seen_next] = (struct seen_slot) { hash, now };
	state.seen_next = (state.seen_next + 1) % PEER_LOG_SEEN;
	return true;
}

const char *peer_log_suppressed(char *buf, size_t size)
{
	if (!state.suppressed)
		return "";
	snprintf(buf, size, " (and %llu more such lines not logged)", state.suppressed);
	state.suppressed = 0;
	return buf;
}
