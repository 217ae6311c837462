#!/usr/bin/env python3
"""One peer cannot take every place on the line (the security issue's
defect 11).

kitchend used to take up to 4,096 chefs from anyone who reaches the dispatch
socket; chefs that heartbeat but never answer keep their dishes, so a peer
with many could lock the real chefs out. Now a peer (a CURVE key, else an
address; on ipc only kitchend's own user can connect) has at most 64 chefs,
and a dish stays at a chef at most dishes.timeout_ms, an hour by default.

Plaintext tcp dispatch on 127.0.0.1: the 3 local chefs connect from there
too, so hostile --fake-chefs 100, from the same address, gets exactly 61
places; kitchend says it refused the others (rate-limited), and the kitchen
still cooks."""

import os

from harness import REPO, SCALE, Kitchen, check, check_eq, free_ports, main, note, run

HOSTILE = os.path.abspath(os.environ.get("HOSTILE")
			  or os.path.join(REPO, "build", "tests", "integration", "hostile"))


def test():
	dispatch, sink = (f"tcp://127.0.0.1:{p}" for p in free_ports(2))
	with Kitchen(endpoints={"dispatch": dispatch, "sink": sink}) as k:
		rc, out, err = run([HOSTILE, "--fake-chefs", "100", "--dispatch", dispatch,
				    "--seconds", str(2 * SCALE)], timeout=60)
		check_eq(rc, 0, "hostile --fake-chefs: exit status", err)
		note(f"  {out.strip()}")
		check_eq(out.strip(), "admitted 61", "fake chefs kitchend took from one address (64 less 3 local)")
		check("has 64 chefs already" in k.log(), "kitchend should say why it refused the others")
		rc, out, err = k.ctl("order", "--wait", "Pizza", "Salad", timeout=60)
		check_eq(rc, 0, "order --wait after the fake chefs left", err)


main(test)
