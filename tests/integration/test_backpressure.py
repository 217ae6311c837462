#!/usr/bin/env python3
"""Back-pressure: with orders.max_queued dishes waiting, an order that would
go beyond it is refused whole with a clear, retryable "kitchen is full" error
(exit 1), and nothing of it is stored; orders that fit are taken. The orders
taken are all served once a chef comes, and the refused one goes through when
retried after the queue has drained."""

import sqlite3

from harness import Kitchen, check, check_eq, main, menu, poll

MAX = 5


def counts(k):
	st = k.status()
	return st["dishes"], st["orders"]


def refused_full(k, dishes, before, what):
	rc, out, err = k.ctl("order", *dishes)
	check_eq(rc, 1, f"{what}: exit status of an order beyond orders.max_queued", out, err)
	check_eq(out, "", f"{what}: no order id should be printed")
	check("full" in err and "try again" in err, f"{what}: the error should say the kitchen is full, "
	      "and that a retry may work", err)
	check_eq(counts(k), before, f"{what}: nothing of a refused order should be stored")


def test():
	# No local chef: nothing leaves the queue until the test starts one.
	with Kitchen(chefs={"local": 0}, orders={"max_queued": MAX},
		     menu=menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]))) as k:
		a = k.order("Tea", "Toast", "Tea")
		before = counts(k)
		check_eq(before, ({"queued": 3, "cooking": 0, "served": 0, "failed": 0, "cancelled": 0}, 1), "after 3 dishes")

		# 3 + 3 > 5: refused whole, not 2 of the 3 taken.
		refused_full(k, ["Toast", "Tea", "Toast"], before, "3 more dishes")
		refused_full(k, ["Tea"] * (MAX + 1), before, "an order bigger than the queue")
		b = k.order("Toast", "Tea")           # 3 + 2 = 5 fits exactly
		full = counts(k)
		check_eq(full, ({"queued": 5, "cooking": 0, "served": 0, "failed": 0, "cancelled": 0}, 2), "a full queue")
		refused_full(k, ["Tea"], full, "one dish into a full queue")
		rc, out, err = k.ctl("order", "--wait", "Tea", timeout=20)
		check_eq(rc, 1, "order --wait into a full queue", out, err)
		check("full" in err, "order --wait into a full queue should say full", err)
		check_eq(counts(k), full, "order --wait into a full queue stores nothing")

		# A chef comes: everything taken is served, exactly once.
		k.start_chef("remote-1", stations=2)
		for order, n in ((a, 3), (b, 2)):
			report = k.wait_order(order, timeout=30)
			check_eq(report["state"], "served", f"order {order} after a chef came")
			check_eq([d["state"] for d in report["dishes"]], ["served"] * n, f"order {order}'s dishes")
			check_eq([d["chef"] for d in report["dishes"]], ["remote-1"] * n, f"order {order}'s chefs")
		poll(lambda: counts(k)[0] == {"queued": 0, "cooking": 0, "served": 5, "failed": 0, "cancelled": 0}, 10,
		     "status to show the 5 dishes served")

		# The refusal was retryable: the same order now goes through.
		c = k.order("Toast", "Tea", "Toast")
		check(c not in (a, b), "the retried order should be new", a, b, c)
		check_eq(k.wait_order(c)["state"], "served", "the retried order")

		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		db = sqlite3.connect(f"file:{k.store_path()}?mode=ro", uri=True)
		try:
			check_eq(db.execute("SELECT id FROM orders ORDER BY id").fetchall(), [(a,), (b,), (c,)],
				 "the store should hold the 3 orders taken, no refused one")
			check_eq(db.execute("SELECT COUNT(*), SUM(state = 2) FROM dishes").fetchone(), (8, 8),
				 "the store's dishes: 8, all served")
		finally:
			db.close()


main(test)
