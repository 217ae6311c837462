#!/usr/bin/env python3
"""kitchenctl without a kitchend exits 3, quickly (< 5 s), and says so:
- no socket file at all: after 2 s (CTL_APPEAR_MS: a kitchend started just
  before would have bound it by then), "kitchend is not running (no socket at
  PATH)"; never after the --timeout, but within it when it is shorter;
- a stale socket file nobody listens on: the same, "nobody listens on PATH";
- a socket that accepts connections and never answers: after --timeout
  (default 3000 ms);
whichever verb (`wait` and `follow` too: 3, not 4, when no order was ever
seen), and whether the endpoint comes from --control or $KITCHEN_CONTROL."""

import os
import shutil
import socket
import tempfile
import time

from harness import KITCHENCTL, SCALE, check, clean_env, main, run

LIMIT = 5.0
APPEAR = 2.0  # s: how long kitchenctl waits for a control socket to appear (ctl.h)
AT_ONCE = APPEAR + min(2.0 * SCALE, 10.0)  # with no socket file; --timeout is 20 s then


def unreachable(argv, what, env=None, limit=LIMIT, path=None):
	t0 = time.monotonic()
	rc, out, err = run(argv, timeout=30, env=env or clean_env())
	elapsed = time.monotonic() - t0
	check(rc == 3, f"{what}: exit status should be 3 (unreachable)", rc, out, err)
	check(elapsed < limit, f"{what}: took {elapsed:.2f} s, should be < {limit} s")
	check(err.startswith("kitchenctl: "), f"{what}: the error should read 'kitchenctl: ...'", err)
	if path:
		check(path in err, f"{what}: the error should name the socket path", path, err)
	return elapsed, err


def test():
	d = tempfile.mkdtemp(prefix="kitchen-it-", dir="/tmp")
	try:
		missing = os.path.join(d, "control.sock")
		ep = f"ipc://{missing}"
		events = f"ipc://{d}/events.sock"
		for verb in (["status"], ["--json", "status"], ["order", "Pizza"], ["order", "--wait", "Pizza"],
			     ["order", "--follow", "Pizza"], ["show", "1"], ["menu"], ["chefs"], ["wait", "1"],
			     ["follow", "1"], ["wait", "--deadline", "1h", "1"]):
			# "At once": well before a --timeout that a wait for an answer would take,
			# with room for a machine that is busy (a stall of seconds was seen).
			elapsed, err = unreachable([KITCHENCTL, "--timeout", "20000", "--control", ep, "--events", events,
						    *verb], f"no socket: kitchenctl {' '.join(verb)}", limit=AT_ONCE, path=missing)
			check("not running" in err, "no socket: the error should say kitchend is not running", err)
			check(elapsed >= APPEAR * 0.9, f"no socket: kitchenctl {' '.join(verb)} should wait "
			      f"{APPEAR} s for the socket, gave up after {elapsed:.2f} s")
		unreachable([KITCHENCTL, "--timeout", "20000", "status"], "no socket, endpoint from $KITCHEN_CONTROL",
			    env=clean_env(KITCHEN_CONTROL=ep), limit=AT_ONCE, path=missing)

		# A stale socket file: bound once, nobody listens any more.
		stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		stale.bind(missing)
		stale.close()
		check(os.path.exists(missing), "the stale socket file should exist")
		_, err = unreachable([KITCHENCTL, "--control", ep, "--events", events, "status"], "stale socket: status")
		check("nobody listens" in err, "stale socket: the error should say nobody listens", err)
		e, _ = unreachable([KITCHENCTL, "--timeout", "300", "--control", ep, "status"],
				   "stale socket: status --timeout 300", limit=APPEAR * 0.9)
		unreachable([KITCHENCTL, "--control", ep, "--events", events, "order", "--wait", "Pizza"],
			    "stale socket: order --wait")
		os.unlink(missing)

		# A socket that accepts connections into its backlog and never speaks.
		mute = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		mute.bind(missing)
		mute.listen(64)
		try:
			unreachable([KITCHENCTL, "--control", ep, "--events", events, "status"], "mute socket: status")
			unreachable([KITCHENCTL, "--control", ep, "--events", events, "order", "Pizza"],
				    "mute socket: order")
			e, _ = unreachable([KITCHENCTL, "--timeout", "500", "--control", ep, "--events", events, "status"],
					   "mute socket: status --timeout 500", limit=2.5)
		finally:
			mute.close()
	finally:
		shutil.rmtree(d, ignore_errors=True)


main(test)
