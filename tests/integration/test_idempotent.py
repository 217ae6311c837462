#!/usr/bin/env python3
"""Idempotent submit: `kitchenctl order --key KEY ...` placed again with the
same key returns the same order id and orders nothing new, also after kitchend
was SIGKILLed and started again; another key makes a new order. A key
submitted with other dishes (fewer, more, or in another order; the case of
a name does not count) is refused by kitchend, naming the key's order (ERR
key-reused, exit 1), also after a restart; `order --random N --key K` run
again picks the same dishes and is told the same orders. Keys expire after
orders.key_retention_s: the same key then makes a new order. The store holds
one row per order: nothing is ordered twice."""

import sqlite3
import time

from harness import Kitchen, check, check_eq, main, menu


def counts(k):
	st = k.status()
	return st["dishes"]["queued"] + st["dishes"]["cooking"] + st["dishes"]["served"] + st["dishes"]["failed"]


def order_key(k, key, *dishes):
	out = k.ctl_ok("order", "--key", key, *dishes)
	check(out.strip().isdigit(), f"order --key {key} should print the order id", out)
	return int(out)


# Long enough for everything before the expiry to happen within it, on a
# busy machine and under ASan too (each kitchenctl takes a few tenths there).
RETENTION_S = 15


def test():
	with Kitchen(chefs={"local": 1}, orders={"key_retention_s": RETENTION_S},
		     menu=menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]))) as k:
		a = order_key(k, "retry-1", "Tea", "Toast")
		expires = time.time() + RETENTION_S + 0.5  # a's created_ms is before now
		check_eq(k.wait_order(a)["state"], "served", "the first order")
		total = counts(k)

		again = order_key(k, "retry-1", "Tea", "Toast")
		check_eq(again, a, "the same key again should return the same order")
		check_eq(counts(k), total, "a retried key should order no new dish")

		# --json tells the same order too.
		j = k.ctl_json("order", "--key", "retry-1", "Tea", "Toast")["orders"][0]
		check_eq(j.get("order"), a, "order --json --key with a known key", j)

		# Same key, other dishes: refused, naming the key's order (more in reused()).
		rc, out, err = k.ctl("order", "--key", "retry-1", "Tea")
		check(rc == 1 and f"key 'retry-1' names another order: order {a}" in err,
		      "a known key with other dishes should be refused", rc, out, err)

		b = order_key(k, "retry-2", "Tea")
		check(b != a, "another key should make another order", a, b)
		k.wait_order(b)

		# SIGKILL: the keys are in the store, not only in memory.
		k.kill()
		k.kill_all()
		k.start()
		check_eq(order_key(k, "retry-1", "Tea", "Toast"), a, "retry-1 after a restart")
		check_eq(order_key(k, "retry-2", "Tea"), b, "retry-2 after a restart")
		c = order_key(k, "retry-3", "Toast")
		check(c not in (a, b), "a new key after a restart should make a new order", a, b, c)
		k.wait_order(c)

		# The same key a few times at once: the first order may not be
		# committed yet when the others come (the store knows its key in
		# memory until then). One order, and all are told its id.
		procs = [k.ctl_popen("order", "--key", "burst-1", "Tea") for _ in range(4)]
		ids = []
		try:
			for p in procs:
				out, err = p.communicate(timeout=30)
				check_eq(p.returncode, 0, "kitchenctl order --key burst-1 (at once)", out, err)
				ids.append(int(out))
		finally:
			for p in procs:
				if p.poll() is None:
					p.kill()
					p.wait()
		check_eq(len(set(ids)), 1, "the same key at once should name one order", ids)
		e = ids[0]
		check(e not in (a, b, c), "the burst's key is new: a new order", a, b, c, e)
		k.wait_order(e)

		# Past the retention period a key is forgotten: a new order.
		check(time.time() < expires - 1, "the steps above took longer than the key retention", RETENTION_S)
		time.sleep(expires - time.time())
		d = order_key(k, "retry-1", "Tea")
		check(d not in (a, b, c), "a key older than orders.key_retention_s should make a new order",
		      a, b, c, d)
		check_eq(order_key(k, "retry-1", "Tea"), d, "the renewed key returns its new order")
		check_eq(k.wait_order(d)["state"], "served", "the order of the renewed key")
		check_eq(k.show(a)["state"], "served", "the old order of the expired key is still there")

		rc = k.stop()
		check_eq(rc, 0, "kitchend's exit status on SIGTERM")
		db = sqlite3.connect(f"file:{k.store_path()}?mode=ro", uri=True)
		try:
			rows = db.execute("SELECT id FROM orders ORDER BY id").fetchall()
			check_eq([r[0] for r in rows], sorted([a, b, c, d, e]), "orders in the store")
			n = db.execute("SELECT COUNT(*) FROM dishes").fetchone()[0]
			check_eq(n, 2 + 1 + 1 + 1 + 1, "dishes in the store")
		finally:
			db.close()



def reused():
	"""A key reused with other dishes, with keys kept a day (the default), so
	that no check depends on how fast this machine is today."""
	with Kitchen(chefs={"local": 1}, menu=menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]))) as k:
		a = order_key(k, "reuse-1", "Tea", "Toast")
		k.wait_order(a)
		total = counts(k)
		# The same dishes spelt in another case are the same dishes.
		check_eq(order_key(k, "reuse-1", "tea", "TOAST"), a, "the same key, the dishes in another case")
		# Other dishes (fewer, the same in another order, more): refused,
		# naming the key and its order, also to order --wait.
		for other in (["Tea"], ["Toast", "Tea"], ["Tea", "Toast", "Tea"]):
			rc, out, err = k.ctl("order", "--key", "reuse-1", *other)
			check_eq((rc, out), (1, ""), f"a known key with other dishes {other} should be refused", err)
			check(f"key 'reuse-1' names another order: order {a}" in err and "key-reused" in err,
			      "the refusal should name the key and its order", err)
		rc, out, err = k.ctl("order", "--wait", "--key", "reuse-1", "Tea")
		check_eq(rc, 1, "order --wait with a reused key should be refused", out, err)
		check_eq(counts(k), total, "a known key with other dishes should order nothing")

		# --random with a key: a run repeated picks the same dishes for the
		# same customers, so it is told the same orders (not refused).
		first = k.ctl_json("order", "--random", "5", "--key", "rnd")["orders"]
		again = k.ctl_json("order", "--random", "5", "--key", "rnd")["orders"]
		check_eq(again, first, "order --random 5 --key rnd twice: the same orders, the same dishes")
		for o in first:
			k.wait_order(o["order"])

		# From the store after a restart too.
		k.kill()
		k.kill_all()
		k.start()
		rc, out, err = k.ctl("order", "--key", "reuse-1", "Toast")
		check(rc == 1 and f"names another order: order {a}" in err, "a reused key after a restart", rc, out, err)
		check_eq(order_key(k, "reuse-1", "Tea", "Toast"), a, "the same dishes after a restart")


def tests():
	test()
	reused()


main(tests)
