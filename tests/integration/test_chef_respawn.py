#!/usr/bin/env python3
"""kill -9 of a chef: kitchend reaps it, starts a new one (a new pid in
chefs --json and in /proc), and the kitchen serves a new order."""

import os
import signal

from harness import DEFAULT_DISHES, Kitchen, check, check_eq, main, poll, proc_state


def test():
	with Kitchen() as k:
		listed = k.chef_pids()
		running = k.proc_chef_pids()
		check_eq(listed, running, "chefs --json pids vs chef processes in /proc")
		check_eq(len(listed), 3, "number of chefs")

		victim = listed[0]
		os.kill(victim, signal.SIGKILL)

		def respawned():
			chefs = k.chefs()
			pids = [c["pid"] for c in chefs if k.chef_ready(c)]
			new = set(pids) - set(listed)
			return chefs if len(pids) == 3 and victim not in pids and new else None

		chefs = poll(respawned, 15, f"a new chef to replace pid {victim} in chefs --json", interval=0.1)
		new = sorted(set(c["pid"] for c in chefs) - set(listed))
		check_eq(len(new), 1, "exactly one new chef", chefs)
		poll(lambda: k.proc_chef_pids() == sorted(set(listed) - {victim} | set(new)), 5,
		     "the chef processes in /proc to be the survivors and the new one")
		poll(lambda: proc_state(victim) is None, 5, f"the killed chef {victim} to be reaped (no zombie)")

		rc, out, err = k.ctl("order", "--wait", *DEFAULT_DISHES)
		check_eq((rc, out.splitlines()),
			 (0, [f"I- Ordered {d}" for d in DEFAULT_DISHES] + [f"O- Served {d}" for d in DEFAULT_DISHES]),
			 "order --wait after the respawn")

		# Again, with all three at once.
		before = k.chef_pids()
		for pid in before:
			os.kill(pid, signal.SIGKILL)
		poll(lambda: (lambda p: len(p) == 3 and not set(p) & set(before))(
			[c["pid"] for c in k.chefs() if k.chef_ready(c)]), 20,
		     "three new chefs after all three were killed", interval=0.1)
		rc, out, err = k.ctl("order", "--wait", "Pizza", "Salad")
		check_eq((rc, out.splitlines()),
			 (0, ["I- Ordered Pizza", "I- Ordered Salad", "O- Served Pizza", "O- Served Salad"]),
			 "order --wait after all chefs were replaced")


main(test)
