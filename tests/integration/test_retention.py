#!/usr/bin/env python3
"""Retention keeps the order store's size flat (issue 11, "The order book").

kitchend starts with history.keep = "forever"; two orders (one keyed) are
served, and stay while a few seconds pass. `kitchenctl reload` then
brings history.keep = "2s" (with orders.key_retention_s = 1, so that the
keyed order may go too), and LOADERS kitchenctls
place one-dish orders as fast as they can (`order --random 200`, again and
again) for LOAD_S seconds; 2 chefs of 2 stations serve them at once.

Without retention the store grows by about 335 bytes a one-dish order,
for ever. With it, what kitchen.db holds is the orders of the last few
seconds: those finished within keep, plus at most what finished in the
last STORE_PRUNE_IDLE_MS (1 s) before a look, while the -wal holds the
writes since the last checkpoint (SQLite checkpoints every 1000 pages,
about 4 MiB). The test asserts that

- nothing is pruned while keep is "forever";
- kitchen.db + kitchen.db-wal stay under BOUND at every sample (every
  0.5 s): about 4.2 MiB of -wal when SQLite checkpoints it, plus the
  orders of the last 3 s (1,000 a second here: about 1 MiB), with room to
  spare; without retention the run makes about 9 MB of kitchen.db on
  top of the same -wal;
- kitchen.db stops growing: at the end it is at most GROWTH bytes bigger
  than after the first third of the run (by then it holds the orders of
  the last few seconds at this machine's rate: a busier machine later in
  the run holds fewer), while the dishes served in the last two thirds
  would have made it grow by more than that without retention (checked
  too, so that the test proves something: 3,500 dishes at least, where
  this machine serves 5,000 to 18,000 even when busy);
- the first orders answer not-found (kitchenctl show: exit 1, "no order"),
  the last ones are still shown served;
- kitchend says so in its log ("Pruned N finished orders ..."), and
  status counts every dish served, before and after a restart (the pruned
  dishes are counted in the store's table pruned).
"""

import os
import re
import sqlite3
import time

from harness import CHEF, Kitchen, check, check_eq, conf_text, main, menu, note, store_dishes

LOAD_S = 24
LOADERS = 3
BOUND = 8 << 20
GROWTH = 1 << 20
BYTES_A_DISH = 300  # a one-dish order without retention: about 335
MENU = menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]))


def write_config(k, keep):
	with open(k.config, "w") as f:
		f.write(conf_text({
			"log_level": "info",
			"runtime_dir": k.runtime_dir,
			"state_dir": k.state_dir,
			"chefs": {"command": CHEF, "local": 2, "threads": 2},
			"orders": {"key_retention_s": 1},
			"history": {"keep": keep},
			"menu": MENU,
		}))


def store_bytes(k):
	sizes = []
	for name in ("kitchen.db", "kitchen.db-wal"):
		try:
			sizes.append(os.path.getsize(os.path.join(k.state_dir, name)))
		except FileNotFoundError:
			sizes.append(0)
	return sizes


def served(k):
	return k.status()["dishes"]["served"]


def test():
	with Kitchen(chefs={"local": 2, "threads": 2}, history={"keep": "forever"},
		     orders={"key_retention_s": 1}, log_level="info", menu=MENU) as k:
		first = k.order("Tea")
		keyed = int(k.ctl_ok("order", "--key", "early", "Toast"))
		k.wait_order(first)
		k.wait_order(keyed)
		time.sleep(3)  # older than keep and the key will be, and kept all the same
		k.ctl_ok("order", "--wait", "Tea")
		check_eq(k.show(first)["state"], "served", "an order kept for ever")
		check("Pruned" not in k.log(), "nothing is pruned with keep = forever")

		write_config(k, "2s")
		k.ctl_ok("reload")

		loaders = []
		samples = []
		t0 = time.monotonic()
		third = None
		try:
			while time.monotonic() - t0 < LOAD_S:
				loaders = [p for p in loaders if p.poll() is None]
				while len(loaders) < LOADERS:
					loaders.append(k.ctl_popen("order", "--random", "200"))
				db, wal = store_bytes(k)
				samples.append((time.monotonic() - t0, db, wal))
				check(db + wal <= BOUND, f"the store should stay under {BOUND} bytes",
				      f"kitchen.db {db}, -wal {wal} at {samples[-1][0]:.1f} s")
				if third is None and time.monotonic() - t0 >= LOAD_S / 3:
					third = (db, served(k))
				time.sleep(0.5)
		finally:
			for p in loaders:
				p.wait(timeout=30)
		for p in loaders:
			check_eq(p.returncode, 0, "a loading kitchenctl", p.stderr.read()[-500:])

		last = k.order("Tea")
		k.wait_order(last)
		db, wal = store_bytes(k)
		total = served(k)
		note(f"samples (s, kitchen.db, -wal): {samples[::6]}")
		note(f"after the first third: kitchen.db {third[0]}, {third[1]} served; at the end: "
		     f"kitchen.db {db}, -wal {wal}, {total} served")
		print(f"# {total} dishes served in {LOAD_S} s; kitchen.db {third[0]} -> {db} bytes, "
		      f"-wal {wal}; max db+wal {max(d + w for _, d, w in samples)}")

		check(db - third[0] <= GROWTH, "kitchen.db should stop growing once orders are pruned",
		      third[0], db)
		check((total - third[1]) * BYTES_A_DISH > GROWTH,
		      "the load should have been big enough to show growth without retention",
		      total - third[1])

		# The first orders are gone, keyed or not (its key expired); the last stays.
		for oid in (first, keyed):
			rc, out, err = k.ctl("show", str(oid))
			check(rc == 1 and f"no order {oid}" in err, f"order {oid} should be pruned", rc, out, err)
		check_eq(k.show(last)["state"], "served", "the last order is still shown")
		check(re.search(r"Pruned \d+ finished orders", k.log()), "kitchend should say what it pruned")

		# The totals count the pruned dishes, also after a restart: no dish
		# row is left without its order, and the store adds up.
		check_eq(k.stop(), 0, "kitchend's exit status")
		rows = store_dishes(k.store_path())
		db = sqlite3.connect(f"file:{k.store_path()}?mode=ro", uri=True)
		try:
			pruned_orders, pruned_served = db.execute("SELECT orders, served FROM pruned").fetchone()
		finally:
			db.close()
		check_eq(pruned_served + sum(1 for r in rows if r[3] == 2), total,
			 "dishes served in the store: rows left and pruned", pruned_orders, len(rows))
		k.start()
		check_eq(served(k), total, "dishes served after a restart")


main(test)
