#!/usr/bin/env python3
"""A chef that stops answering (SIGSTOP) while it cooks is declared dead after
heartbeat.liveness x heartbeat.interval_ms (give or take one interval, plus a
margin), not before; the dish it held goes back to the front of the queue and
another chef serves it, and the CHEF event says why ("silent for N ms").
SIGCONT'd later, the chef finds kitchend silent, starts a new session and
rejoins; whatever it still had of the old session is dropped or ignored as
stale, so every dish is recorded served exactly once."""

import os
import signal
import sqlite3
import time

from harness import SCALE, Kitchen, check, check_eq, main, menu, poll

INTERVAL_MS = 200
LIVENESS = 3


def test():
	with Kitchen(chefs={"local": 2}, timing={"cook_ms": 400},
		     heartbeat={"interval_ms": INTERVAL_MS, "liveness": LIVENESS},
		     menu=menu(("Stew", ["Beef", "Carrot", "Onion"]), ("Tea", ["Leaves"]))) as k:
		order = k.order("Stew", "Stew", "Stew", "Stew")

		def both_cooking():
			chefs = k.chefs()
			cooking = [c for c in chefs if c["state"] == "cooking"]
			return chefs if len(cooking) == 2 else None

		chefs = poll(both_cooking, 5, "both chefs to be cooking")
		victim = chefs[0]
		report = k.show(order)
		held = [d["index"] for d in report["dishes"] if d["state"] == "cooking" and d["chef"] == victim["name"]]
		check_eq(len(held), 1, f"{victim['name']} should hold one dish", report)

		os.kill(victim["pid"], signal.SIGSTOP)
		t0 = time.monotonic()
		try:
			def declared_dead():
				for c in k.chefs():
					if c["pid"] == victim["pid"] and c["state"] in ("ready", "cooking"):
						return None
				return time.monotonic() - t0

			took = poll(declared_dead, 10, f"{victim['name']} (SIGSTOPped) to be declared dead",
				    interval=0.02)
			limit = LIVENESS * INTERVAL_MS / 1000
			check(took >= limit - INTERVAL_MS / 1000,
			      f"a stopped chef was declared dead after {took:.2f} s, before "
			      f"liveness x interval ({limit:.1f} s) could have passed")
			margin = 1.0 * SCALE
			check(took <= limit + INTERVAL_MS / 1000 + margin,
			      f"a stopped chef was declared dead only after {took:.2f} s; "
			      f"want liveness x interval + one interval ({limit + INTERVAL_MS / 1000:.1f} s) "
			      f"+ {margin:.1f} s margin")
			check(f"Chef {victim['name']} is gone (silent for " in k.log(),
			      "kitchend's log should say the chef went silent")

			# Its dish is served by the other chef, at a second attempt.
			report = k.wait_order(order, timeout=30)
			check_eq(report["state"], "served", "the order whose chef was stopped")
			d = report["dishes"][held[0]]
			check(d["attempts"] == 2 and d["chef"] != victim["name"],
			      "the stopped chef's dish should be served by another chef at attempt 2", d)
			check_eq(k.status()["dishes"], {"queued": 0, "cooking": 0, "served": 4, "failed": 0, "cancelled": 0},
				 "status while the chef is stopped")
		finally:
			os.kill(victim["pid"], signal.SIGCONT)

		# The same process comes back, as the same local chef, and cooks again.
		def rejoined():
			c = [c for c in k.chefs() if c["pid"] == victim["pid"]]
			return c if c and c[0]["state"] in ("ready", "cooking") else None

		poll(rejoined, 10, f"{victim['name']} (pid {victim['pid']}) to rejoin after SIGCONT")
		check_eq(sorted(c["pid"] for c in k.chefs()), k.proc_chef_pids(),
			 "no chef should have been restarted: the same processes")
		log = k.log()
		check("Ignoring a stale result" in log or "Aborting the" in log,
		      "the old session's dish should have been dropped by the chef or ignored by kitchend")

		later = k.order(*["Tea"] * 6)
		report = k.wait_order(later, timeout=30)
		check_eq(report["state"], "served", "an order after the chef came back")
		st = k.status()
		check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": 10, "failed": 0, "cancelled": 0},
			 "status: every dish served exactly once")
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		check_store(k, 10)

	# A remote chef that tolerates a long silence (--liveness 100) does not
	# drop its dish when continued: its result arrives, stale, and is ignored.
	with Kitchen(chefs={"local": 1}, chefs_ready=2, start=False, timing={"cook_ms": 300},
		     heartbeat={"interval_ms": INTERVAL_MS, "liveness": LIVENESS},
		     menu=menu(("Stew", ["Beef", "Carrot", "Onion"]))) as k:
		k.start(wait=False)
		slow = k.start_chef("slow-1", heartbeat_ms=INTERVAL_MS, liveness=100)
		k.wait_ready()
		order = k.order("Stew", "Stew")
		poll(lambda: [c["state"] for c in k.chefs()] == ["cooking", "cooking"], 5, "both chefs to be cooking")
		report = k.show(order)
		held = [d for d in report["dishes"] if d["chef"] == "slow-1"]
		check_eq(len(held), 1, "slow-1 should hold one dish", report)
		os.kill(slow.pid, signal.SIGSTOP)
		try:
			poll(lambda: "slow-1" not in [c["name"] for c in k.chefs()], 10, "slow-1 to be declared dead")
			report = k.wait_order(order, timeout=30)
			check_eq([(d["state"], d["chef"]) for d in report["dishes"]], [("served", "chef-1")] * 2,
				 "both dishes served by chef-1 while slow-1 is stopped")
		finally:
			os.kill(slow.pid, signal.SIGCONT)
		stale = f"Ignoring a stale result for dish {held[0]['index'] + 1} attempt 1"
		poll(lambda: stale in k.log(), 10, "kitchend to ignore slow-1's stale result")
		check_eq(k.status()["dishes"], {"queued": 0, "cooking": 0, "served": 2, "failed": 0, "cancelled": 0},
			 "status after the stale result: still 2 served")
		report = k.show(order)
		check_eq([(d["state"], d["chef"], d["attempts"]) for d in report["dishes"]],
			 [("served", "chef-1", 2 if i == held[0]["index"] else 1) for i in range(2)],
			 "the order after the stale result: slow-1's dish served at attempt 2, once")
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		check_store(k, 2)


def check_store(k, n):
	db = sqlite3.connect(f"file:{k.store_path()}?mode=ro", uri=True)
	try:
		check_eq(db.execute("SELECT COUNT(*), SUM(state = 2) FROM dishes").fetchone(), (n, n),
			 f"the store: {n} dishes, all served")
	finally:
		db.close()


main(test)
