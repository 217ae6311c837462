#!/usr/bin/env python3
"""SIGTERM stops kitchend cleanly: exit status 0, and no process of the
kitchen (kitchend, its chefs) is left. Both when idle and while a dish is
cooking; the order that was cooking is not lost: kitchend started again on the
same state directory serves it."""

import time

from harness import Kitchen, check, check_eq, main, menu, pids_mentioning, poll, proc_cmdline, proc_state


def stopped_clean(k, what):
	chefs = k.proc_chef_pids()
	check_eq(len(chefs), k.expected_chefs, f"{what}: chef processes before SIGTERM")
	rc = k.stop(timeout=15)
	check_eq(rc, 0, f"{what}: kitchend's exit status after SIGTERM")
	left = pids_mentioning(k.dir)
	if left:
		# kitchend should have waited for its chefs; allow them a moment
		# to finish dying all the same, and say so.
		t0 = time.monotonic()
		while left and time.monotonic() - t0 < 3:
			time.sleep(0.05)
			left = pids_mentioning(k.dir)
		print(f"note: {what}: processes outlived kitchend by up to {time.monotonic() - t0:.2f} s")
	check(not left, f"{what}: processes left after kitchend exited",
	      [(pid, proc_cmdline(pid)) for pid in left])
	for pid in chefs:
		check(proc_state(pid) is None, f"{what}: chef {pid} still exists (state {proc_state(pid)})")


def test():
	with Kitchen() as k:
		rc, out, err = k.ctl("order", "--wait", "Pizza", "Salad")
		check_eq(rc, 0, "order --wait before SIGTERM")
		stopped_clean(k, "idle")

	with Kitchen(chefs={"local": 2}, timing={"cook_ms": 800}, drain_timeout_ms=1000,
		     menu=menu(("Stew", ["Beef", "Carrot", "Potato", "Onion", "Thyme"]))) as k:
		order = k.order("Stew")
		poll(lambda: k.status()["dishes"]["cooking"] == 1, 5, "the Stew to be cooking")
		stopped_clean(k, "cooking")

		# Same state dir: the order is still there and gets served.
		k.start()
		report = k.wait_order(order, timeout=30)
		check_eq(report["state"], "served", f"order {order} after the restart")
		check_eq(report["dishes"][0]["result"], "Served Stew", "the Stew's result after the restart")


main(test)
