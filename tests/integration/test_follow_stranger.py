#!/usr/bin/env python3
"""A stranger's unsubscribes cannot silence a follower (the security
issue's defect 8).

kitchend used to count subscriptions to an order's topic and lower the count
on every unsubscribe, whoever sent it: a peer on the events socket that
never subscribed could send unsubscribes for `order.<id>.` (libzmq passes
them on) and the order's dishes were cooked without stage lines. Now an
order is followed from its first subscription until it is done.

hostile --stranger-unsubscribe speaks ZMTP itself (libzmq's own SUB never
sends such an unsubscribe) and sends unsubscribes for `order.1.` and for ""
every 10 ms while `order --follow` places order 1 (the kitchen's first) and
must see every stage line of its dishes."""

import os
import re
import subprocess

from harness import REPO, SCALE, Kitchen, check, check_eq, main, note

HOSTILE = os.path.abspath(os.environ.get("HOSTILE")
			  or os.path.join(REPO, "build", "tests", "integration", "hostile"))


def test():
	with Kitchen(timing={"cook_ms": 30}) as k:
		argv = [HOSTILE, "--stranger-unsubscribe", "order.1.", "--events", k.events, "--seconds", str(4 * SCALE)]
		note("$ " + " ".join(argv) + " &")
		stranger = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
		try:
			rc, out, err = k.ctl("order", "--follow", "Pizza", "Salad")
			check_eq(rc, 0, "order --follow while a stranger unsubscribes", err)
			for i, dish in enumerate(["Pizza", "Salad"]):
				lines = [l for l in out.splitlines() if re.match(rf"order \d+: {dish}#{i + 1} ", l)]
				check_eq(len(lines), 16, f"stage lines of {dish}#{i}", out)
		finally:
			out, err = stranger.communicate(timeout=30 * SCALE)
		check_eq(stranger.returncode, 0, "the stranger's exit status", err)
		note(f"  stranger: {out.strip()}")
		check(int(out.split()[1]) > 50, "the stranger sent unsubscribes all along", out)


main(test)
