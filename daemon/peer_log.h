/*
 * peer_log — how often kitchend may write a line about a peer it refused
 * or admitted, so that a peer retrying in a loop cannot flood the journal.
 *
 * A line is about one peer, named by a hash of what identifies it (its key,
 * address, endpoint, the reason). peer_log_may() allows a line about the
 * same hash at most once in PEER_LOG_SEEN_MS, and at most PEER_LOG_BURST
 * lines in any PEER_LOG_WINDOW_MS in all; what it holds back it counts, and
 * peer_log_suppressed() says how many on the next line that is written:
 *
 *	uint64_t h = fnv1a(FNV1A_SEED, addr, strlen(addr));
 *	if (peer_log_may(h))
 *		log_warning("Refused %s%s", addr, peer_log_suppressed(note, sizeof(note)));
 *
 * The state is one fixed table for the whole process (kitchend has one
 * loop): PEER_LOG_SEEN peers remembered, nothing allocated.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEER_LOG_BURST 20           /* lines a window, in all */
#define PEER_LOG_WINDOW_MS 60000
#define PEER_LOG_SEEN 64            /* peers remembered */
#define PEER_LOG_SEEN_MS 60000      /* one line a peer this often */

/* Whether to write a line about the peer @hash now; counts it when not. */
bool peer_log_may(uint64_t hash);

/* " (and N more such lines not logged)" when lines were held back since the
 * last call, else ""; in @buf. Resets the count. */
const char *peer_log_suppressed(char *buf, size_t size);
