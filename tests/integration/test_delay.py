#!/usr/bin/env python3
"""Delayed orders (issue 11): kitchenctl order --in DURATION / --at TIME.
The order is committed at once; its dishes wait until the due time (a timer,
not a scan), then join the queue. It survives a restart of kitchend.

1. order --in 3s; show says when it is due ("due at HH:MM:SS", the dish
   "queued until HH:MM:SS", --json due_ms); kitchend is stopped with SIGTERM
   and started again before then; the dish is served after its due time
   (the store's finished_ms), not before, and soon after it.
2. order --at (ISO 8601, UTC) 2 s ahead, then kitchend is killed (SIGKILL)
   and started again only after the due time passed: the order is queued at
   start and served.
"""

import sqlite3
import time

from harness import Kitchen, check, check_eq, main, poll

DELAY_MS = 3000
LATE_MS = 10000  # served within this of the due time (a loaded machine, a restart)


def finished_ms(k, order_id):
	db = sqlite3.connect(f"file:{k.store_path()}?mode=ro", uri=True)
	try:
		return db.execute("SELECT finished_ms FROM orders WHERE id = ?", (order_id,)).fetchone()[0]
	finally:
		db.close()


def wall_ms():
	return int(time.time() * 1000)


def test():
	with Kitchen(chefs={"local": 1, "threads": 1}) as k:
		before = wall_ms()
		order = int(k.ctl_ok("order", "--in", "3s", "Salad"))
		after = wall_ms()
		report = k.show(order)
		answered = wall_ms()  # the report is as of some time before this
		due = report["due_ms"]
		check(before + DELAY_MS <= due <= after + DELAY_MS, "due_ms is 3 s after the order", before, after, report)
		check_eq(report["priority"], 5, "a delayed order has the default priority", report)
		if answered < due:
			check_eq((report["state"], report["dishes"][0]["state"]), ("queued", "queued"),
				 "a delayed order is queued before its due time", report)
		rc, out, _ = k.ctl("show", str(order))
		answered = wall_ms()
		at = time.strftime("%H:%M:%S", time.localtime(due / 1000))
		check(rc == 0 and f"; due at {at}" in out.splitlines()[0], f"show says the order is due at {at}", out)
		if answered < due:
			check(f"queued until {at}" in out, f"show says the dish waits until {at}", out)

		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		k.start()
		report = k.show(order)
		if wall_ms() < due:
			check_eq(report["dishes"][0]["state"], "queued", "not cooked before its due time, after a restart",
				 report)
		report = k.wait_order(order, timeout=15)
		check_eq(report["state"], "served", "the delayed order is served", report)
		done = finished_ms(k, order)
		check(due <= done <= due + LATE_MS, f"served after its due time and within {LATE_MS} ms of it",
		      due, done)

		# Killed, and back only after the due time: queued at start.
		when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3))
		order = int(k.ctl_ok("order", "--at", when, "Pizza"))
		due = k.show(order)["due_ms"]
		check_eq(due % 1000, 0, "--at names a whole second", due)
		k.kill()
		poll(lambda: not k.proc_chef_pids(), 10, "the chefs to follow kitchend")
		time.sleep(max(0, due - wall_ms() + 300) / 1000)
		k.start()
		report = k.wait_order(order, timeout=15)
		check_eq(report["state"], "served", "a delayed order due while kitchend was down is served", report)
		done = finished_ms(k, order)
		check(due <= done, "not served before its due time", due, done)


main(test)
