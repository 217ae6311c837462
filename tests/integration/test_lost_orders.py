#!/usr/bin/env python3
"""Acknowledged orders lost from the store are noticed, never silently
forgotten, and their ids are never used again (daemon/store.h: the id file
kitchen.db-ids).

- kitchend killed (-9) after N acknowledged orders, its -wal removed:
  the next start is refused (exit 1) with a message that names the missing
  orders (those the store's checkpoint thread had not yet copied into
  kitchen.db), the probable cause and the way on; started once with
  --accept-lost-orders it runs, says so, and every new id is above every id
  ever acknowledged (a lost order's key is forgotten: it names a new
  order); the start after that is a normal one.
- kitchen.db truncated to zero length, its -wal removed: the same, orders
  1 to N missing.
- a store as kitchen 0.2 left it (no kitchen.db-ids) starts as before and
  gets the file, so that a loss after that is noticed too."""

import os
import re

from harness import Kitchen, check, check_eq, main, menu

MENU = menu(("Tea", ["Leaves"]))
N = 40


def place(k, n, prefix):
	"""@n acknowledged orders with keys prefix-0..; their ids."""
	ids = []
	for i in range(n):
		out = k.ctl_ok("order", "--key", f"{prefix}-{i}", "Tea")
		ids.append(int(out))
	return ids


def crash(k):
	"""kill -9 kitchend, then its chefs, as a crash of the whole unit."""
	k.kill()
	k.kill_all()


def refused(k, *needles):
	"""Start kitchend: it must exit 1 at once, its log saying all of @needles."""
	before = len(k.log())
	k.start(wait=False)
	rc = k.wait_exit(timeout=15)
	log = k.log()[before:]
	check_eq(rc, 1, "kitchend's exit status on a store that lost orders", log[-3000:])
	for n in needles:
		check(n in log, f"kitchend's refusal should say {n!r}", log[-3000:])
	return log


def lost_wal():
	with Kitchen(chefs={"local": 1}, menu=MENU) as k:
		ids = place(k, N, "wal")
		check_eq(ids, list(range(1, N + 1)), "the ids of the first orders")
		crash(k)
		wal = k.store_path() + "-wal"
		check(os.path.getsize(wal) > 0, "the -wal should hold the orders after kill -9")
		os.unlink(wal)

		log = refused(k, f"orders up to {N} were committed", f"to {N} are missing",
			      "idempotency keys", "-wal was lost or damaged", "--accept-lost-orders",
			      "Restore the store from a backup")
		# The store's checkpoint thread may have copied the first orders
		# into kitchen.db already: the loss starts after them.
		m = re.search(rf"orders (\d+) to {N} are missing", log)
		check(m, "the refusal should name the first missing order", log[-3000:])
		first_lost = int(m.group(1))
		refused(k, f"to {N} are missing")  # and again: nothing changed

		k.start(args=["--accept-lost-orders"])
		check(f"Accepted the loss of orders" in k.log() and f"to {N} from the order store" in k.log(),
		      "kitchend should say it accepted the loss", k.log()[-2000:])
		new = place(k, 2, "wal-after")
		check(min(new) > N, "new orders after the loss should get ids above every acknowledged one", new)
		again = int(k.ctl_ok("order", "--key", f"wal-{first_lost - 1}", "Tea"))
		check(again > N, "the key of a lost order names a new order now", again)
		check_eq(k.wait_order(new[0])["state"], "served", "a new order after the loss")
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")

		k.start()  # the loss is recorded: a normal start
		check(k.order("Tea") > max(new + [again]), "ids go on growing after the accepted loss")


def truncated():
	with Kitchen(chefs={"local": 1}, menu=MENU) as k:
		place(k, 5, "trunc")
		crash(k)
		os.unlink(k.store_path() + "-wal")
		os.truncate(k.store_path(), 0)
		refused(k, "kitchen.db holds no orders, but orders up to 5 were committed: orders 1 to 5 are missing")
		k.start(args=["--accept-lost-orders"])
		check(k.order("Tea") > 5, "a new order after the accepted loss of 1 to 5")


def from_0_2():
	with Kitchen(chefs={"local": 1}, menu=MENU) as k:
		place(k, 3, "old")
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		ids_file = k.store_path() + "-ids"
		os.unlink(ids_file)  # as kitchen 0.2 left its store

		k.start()
		check(os.path.exists(ids_file), "kitchend should make kitchen.db-ids for a store that has none")
		check_eq(os.stat(ids_file).st_mode & 0o777, 0o600, "the mode of kitchen.db-ids")
		check_eq(k.order("Tea"), 4, "the next id after an upgrade")
		place(k, 3, "new")
		crash(k)
		os.unlink(k.store_path() + "-wal")
		refused(k, "orders up to 7 were committed")


def test():
	lost_wal()
	truncated()
	from_0_2()


main(test)
