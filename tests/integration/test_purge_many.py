#!/usr/bin/env python3
"""A purge of 100,000 queued dishes (issue 11): a store of 1000 open orders
of 100 dishes each (written with SQLite while kitchend is stopped, as a
kitchen with no chef would have left them), resumed by kitchend with no
chef to cook them. `kitchenctl purge --yes` cancels every one in one
request and says so; kitchend answers others at once afterwards; every
order ends cancelled, and stays so after a restart (the purge was
committed before its answer). A purge of a dish not on the menu is
refused and changes nothing."""

import sqlite3
import time

from harness import Kitchen, check_eq, main, menu

MENU = menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]))
ORDERS = 1000
PER_ORDER = 100


def fill(path):
	now = int(time.time() * 1000)
	db = sqlite3.connect(path)
	try:
		names = "\n".join(["Tea", "Toast"] * (PER_ORDER // 2))
		db.executemany("INSERT INTO orders(id, key, created_ms, dishes, first_dish, names) VALUES (?, NULL, ?, ?, ?, ?)",
			       [(i + 1, now, PER_ORDER, i * PER_ORDER + 1, names) for i in range(ORDERS)])
		db.commit()
	finally:
		db.close()


def test():
	total = ORDERS * PER_ORDER
	with Kitchen(chefs={"local": 0}, chefs_ready=0, menu=MENU, log_level="info") as k:
		check_eq(k.stop(), 0, "kitchend stops (its store made)")
		fill(k.store_path())
		k.start()
		check_eq(k.status()["dishes"]["queued"], total, "dishes resumed, waiting")

		rc, out, err = k.ctl("purge", "--yes", "--dish", "Soup")
		check_eq(rc, 1, "purge of a dish not on the menu", out, err)
		check_eq(k.status()["dishes"]["queued"], total, "nothing purged")

		t = time.monotonic()
		out = k.ctl_ok("purge", "--yes", timeout=60)
		print(f"purge of {total} dishes answered in {time.monotonic() - t:.2f} s")
		check_eq(out, f"{total} waiting dishes cancelled\n", "what purge says")
		st = k.status()
		check_eq((st["dishes"]["queued"], st["dishes"]["cancelled"], st["orders"]), (0, total, 0),
			 "nothing waits, every dish cancelled, no order open", st)
		report = k.show(ORDERS)
		check_eq((report["state"], report["cancelled"]), ("cancelled", PER_ORDER), "the last order", report)

		check_eq(k.kill(), -9, "kill -9 of kitchend after the purge's answer")
		k.start()
		st = k.status()
		check_eq((st["dishes"]["queued"], st["dishes"]["cancelled"]), (0, total), "after a restart too", st)
		check_eq(k.show(1)["state"], "cancelled", "the first order after the restart")


main(test)
