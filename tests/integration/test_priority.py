#!/usr/bin/env python3
"""Priorities (issue 11): kitchenctl order --priority N (1..9, higher first,
default 5). kitchend dispatches the highest priority waiting first, oldest
first within one.

One chef of one station is held by a slow dish (a "blocker" of five
ingredients, 5 s at timing cook_ms 1000) while three low-priority orders (2)
and then a high-priority one (8) are placed, each a dish of one ingredient
(1 s). The high one is served before every low
one still waiting at kitchend when it came, and the low ones in the order
they were placed.

The credit window: a chef may hold dishes beyond its stations, queued at the
chef, ahead of anything more urgent that comes later (docs/protocol.md,
*Credit*). With dishes of a second or more kitchend uses none of it (chef_usable_credit():
1 station x 1 ms is shorter than a dish), so only the blocker is at the chef
when the high order comes, and the test can ask that all three low ones wait
behind it. (With no-op dishes the whole window would already be at the chef:
a high dish then waits behind at most that one window.)

The order in which dishes were served is read from the store, each order's
finished_ms (one dish an order, a second apart).
"""

import sqlite3

from harness import Kitchen, check, check_eq, main, menu, poll

MENU = menu(("Roast", ["Lamb", "Garlic", "Rosemary", "Potatoes", "Onions"]), ("Soup", ["Water"]))
COOK_MS = 1000     # a Soup; the Roast takes five times as long


def finished(k, ids):
	db = sqlite3.connect(f"file:{k.store_path()}?mode=ro", uri=True)
	try:
		rows = dict(db.execute(f"SELECT id, finished_ms FROM orders WHERE id IN ({','.join('?' * len(ids))})",
				       ids).fetchall())
	finally:
		db.close()
	return rows


def test():
	with Kitchen(chefs={"local": 1, "threads": 1}, menu=MENU, timing={"cook_ms": COOK_MS}) as k:
		blocker = k.order("Roast")
		poll(lambda: k.show(blocker)["state"] == "cooking", 10, "the blocker to be cooking")

		lows = [int(k.ctl_ok("order", "--priority", "2", "Soup")) for _ in range(3)]
		high = int(k.ctl_ok("order", "--priority", "8", "Soup"))
		report = k.show(high)
		check_eq((report["priority"], report["due_ms"]), (8, 0), "the high order's priority and due time", report)
		check_eq(k.show(lows[0])["priority"], 2, "a low order's priority")
		rc, out, _ = k.ctl("show", str(high))
		check(rc == 0 and "; priority 8" in out.splitlines()[0], "show says the priority", out)

		# Which low orders were still waiting at kitchend once the high one was in.
		waiting = [o for o in lows if k.show(o)["dishes"][0]["state"] == "queued"]
		check(len(waiting) == len(lows),
		      f"with {5 * COOK_MS} ms of blocker and no window, every low order should still wait behind "
		      "it when the high one is accepted (a machine too slow to place 4 orders in "
		      f"{5 * COOK_MS} ms?)", [k.show(o) for o in lows])

		for o in [blocker, high] + lows:
			k.wait_order(o, timeout=30)
		done = finished(k, [blocker, high] + lows)
		served = sorted(done, key=lambda o: (done[o], o))
		check_eq(served, [blocker, high] + lows,
			 "order of service: the blocker, the high one, then the low ones oldest first", done)
		check(all(done[b] - done[a] >= COOK_MS // 2 for a, b in zip(served, served[1:])),
		      "one station: each dish served a dish's time after the one before", done)


main(test)
