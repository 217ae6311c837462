#!/usr/bin/env python3
"""A hung local chef is replaced (the reliability issue's defect 11).

A chef that stops (SIGSTOP: hung, as far as anyone can tell) goes silent;
after heartbeat.liveness intervals kitchend declares it gone and its dishes
are cooked elsewhere. Its process lives on, though, and used to keep its
slot ("starting") for good: one chef less. Now kitchend kills a local chef
that stays off the line while its process lives (for twice the liveness
time, at least 10 s: a chef stopped for less, as test_sigstop.py's, rejoins
as itself) and starts another, which joins and cooks.

The same happens to a chef that stops before it ever joins."""

import os
import signal

from harness import Kitchen, check, check_eq, main, poll, proc_state

ORDER = ["Pizza", "Salad", "Spaghetti", "Chicken Biryani"]


def ready_pids(k):
	return sorted(c["pid"] for c in k.chefs() if k.chef_ready(c))


def test():
	with Kitchen(chefs={"local": 2}, heartbeat={"interval_ms": 200, "liveness": 3},
		     timing={"cook_ms": 20}) as k:
		before = ready_pids(k)
		check_eq(len(before), 2, "ready chefs", k.chefs())
		victim = before[0]
		os.kill(victim, signal.SIGSTOP)

		# Its dishes, if it got any, are cooked by the other chef.
		rc, out, err = k.ctl("order", "--wait", *ORDER)
		check_eq((rc, sorted(out.splitlines())),
			 (0, sorted([f"I- Ordered {d}" for d in ORDER] + [f"O- Served {d}" for d in ORDER])),
			 "order --wait while a chef is stopped", err)

		def replaced():
			pids = ready_pids(k)
			return pids if len(pids) == 2 and victim not in pids else None

		after = poll(replaced, 20, f"a new chef in place of the stopped pid {victim}", interval=0.1)
		poll(lambda: proc_state(victim) is None, 5, f"the stopped chef {victim} to be killed and reaped")
		check("has not been on the line" in k.log(), "kitchend should say why it killed the chef")
		check_eq(len(set(after) - set(before)), 1, "exactly one new chef", before, after)

		rc, out, err = k.ctl("order", "--wait", *ORDER)
		check_eq(rc, 0, "order --wait after the replacement", err)


main(test)
