#!/usr/bin/env python3
"""WAIT slots are shared fairly (the security issue's defect 9).

A WAIT is a long poll. kitchend holds at most 16 of one client and 10,000
in all; a WAIT beyond either is not refused: the oldest one of that client,
or of all, is answered at once instead (its client asks again), so that no
client can take every slot and make another's `order --wait` fail.

hostile (tests/integration/hostile.c) plays the greedy clients: first one
DEALER that pipelines 100 WAITs for an order that never finishes (a dish
whose station hangs: KITCHEN_CHEF_FAULTS), which must get exactly 84 of
them answered early; then 640 DEALERs of 16 WAITs each (10,240, with the
first client's 16 still held: 256 past the limit, the first client's 16
answered to nobody), which must get exactly 240 answered early. Meanwhile
and afterwards a real `kitchenctl order --wait` is served."""

import os

from harness import REPO, SCALE, Kitchen, check_eq, main, menu, run

HOSTILE = os.path.abspath(os.environ.get("HOSTILE")
			  or os.path.join(REPO, "build", "tests", "integration", "hostile"))


def flood(k, order, waits, clients, expect):
	"""hostile's count of early answers: it stops a second after the
	@expect-th (one more would be seen then), or after 30 s of a busy
	machine."""
	seconds = 30 * SCALE
	rc, out, err = run([HOSTILE, "--wait-flood", str(waits), "--clients", str(clients), "--order", str(order),
			    "--control", k.control, "--seconds", str(seconds), "--expect", str(expect)],
			   timeout=60 + seconds)
	check_eq(rc, 0, "hostile --wait-flood: exit status", err)
	counts = dict(line.split() for line in out.splitlines())
	check_eq(counts["refused"], "0", "WAITs refused", out)
	return int(counts["answered"])


def test():
	# prep_ms makes the usable credit window one dish: the hung chef takes
	# nothing after its Glue, the other chef cooks the Soups.
	with Kitchen(chefs={"local": 2}, timing={"prep_ms": 2}, drain_timeout_ms=1000,
		     menu=menu(("Glue", ["Paste"]), ("Soup", ["Water"])),
		     env={"KITCHEN_CHEF_FAULTS": "Glue=hang"}) as k:
		glue = k.order("Glue")
		check_eq(flood(k, glue, 100, 1, 84), 84, "WAITs of one client answered early (100 - 16)")
		check_eq(k.ctl_ok("order", "--wait", "Soup"), "I- Ordered Soup\nO- Served Soup\n", "order --wait")
		check_eq(flood(k, glue, 16, 640, 240), 240, "WAITs answered early past 10,000 (10,256 - 16 - 10,000)")
		check_eq(k.ctl_ok("order", "--wait", "Soup"), "I- Ordered Soup\nO- Served Soup\n",
			 "order --wait after the floods")


main(test)
