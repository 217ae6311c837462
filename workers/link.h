/*
 * link — a cook's end of the brigade's inproc protocol (station.h, evloop.h):
 * its two sockets, and one message from the brigade read and checked.
 *
 * A station and the event loop each own a DEALER connected to the
 * brigade's ROUTER and a PUSH to kitchend's sink; link_open() makes both, and
 * when the PUSH cannot be made it says "FAIL" errno on the DEALER, so that
 * the brigade hears it. link_recv() reads one message whole and says what
 * it is; anything odd is LINK_UNKNOWN (only our own threads speak here).
 *
 *	r = link_open(ctx, "3", false, brigade, sink, curve, &pipe, &push);  // the caller closes both
 *	r = link_recv(pipe, ZMQ_DONTWAIT, &m);   // -EAGAIN: nothing waits
 *	switch (m.cmd) { case LINK_DISH: ... m.ptrs, m.len, m.slot ... }
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "station.h"
#include "ticket.h"

/* How long a closing sink socket may still try to deliver results. */
#define LINK_SINK_LINGER_MS 1000

struct keys_client;

enum link_cmd {
	LINK_STOP,
	LINK_CANCEL,   /* id, attempt */
	LINK_DISH,     /* ptrs, len; slot when has_slot (the event loop's) */
	LINK_UNKNOWN,
};

struct link_msg {
	enum link_cmd cmd;
	uint64_t id, attempt;
	unsigned char ptrs[STATION_BATCH_MAX * sizeof(struct ticket *)];
	size_t len;
	bool has_slot;
	unsigned slot;
};

/*
 * Open a DEALER with routing id @id connected to @brigade (@unbounded: no
 * high-water mark either way) into *ret_pipe, then a PUSH to @sink (CURVE
 * with @curve on tcp://, when set) into *ret_push. 0 or -errno; whatever
 * was opened is left in *ret_pipe and *ret_push for the caller to close
 * (*ret_pipe NULL: the DEALER failed, so the brigade was not told).
 */
int link_open(void *ctx, const char *id, bool unbounded, const char *brigade, const char *sink,
	      const struct keys_client *curve, void **ret_pipe, void **ret_push);

/* Read one message from the brigade into *m. 0, or -errno (-EAGAIN when
 * @flags has ZMQ_DONTWAIT and nothing waits). */
int link_recv(void *pipe, int flags, struct link_msg *m);
