#!/usr/bin/env python3
"""A damaged store is refused at start, not found when a damaged order is
read: garbage written over one page of the orders table of a store made by
kitchend makes the next start exit 1 with a message naming the orders
table and saying what to do; the file is left as it was. The repair
kitchend(8) gives (RECOVERY) gives a store kitchend starts on, with the
orders that could be read and new ids above all of them."""

import os
import shutil
import sqlite3
import subprocess

from harness import Kitchen, TestSkip, check, check_eq, main, menu, note

MENU = menu(("Tea", ["Leaves"]))
N = 600


def leaf_page(path):
	db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
	try:
		page_size = db.execute("PRAGMA page_size").fetchone()[0]
		pages = [r[0] for r in db.execute(
			"SELECT pageno FROM dbstat WHERE name = 'orders' AND pagetype = 'leaf' ORDER BY pageno")]
	finally:
		db.close()
	check(len(pages) >= 4, "the orders table should span several pages", pages)
	return pages[1], page_size


def repair(state_dir):
	"""kitchend(8), RECOVERY, as a shell would run it."""
	script = ("cd \"$0\" && sqlite3 kitchen.db .dump | sed 's/^ROLLBACK; -- due to errors$/COMMIT;/' "
		  "| sqlite3 kitchen.db.recovered && sqlite3 kitchen.db.recovered "
		  "\"PRAGMA user_version = $(sqlite3 kitchen.db 'PRAGMA user_version')\" "
		  "&& mv kitchen.db.recovered kitchen.db && rm -f kitchen.db-wal kitchen.db-shm")
	note(f"$ {script}")
	p = subprocess.run(["sh", "-c", script, state_dir], capture_output=True, timeout=60)
	check_eq(p.returncode, 0, "the repair of kitchend(8)", p.stderr)


def test():
	with Kitchen(chefs={"local": 1}, menu=MENU) as k:
		out = k.ctl_ok("order", "--random", str(N), timeout=60)
		check_eq(len(out.split()), N, "orders placed", out[-500:])
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")

		page, size = leaf_page(k.store_path())
		with open(k.store_path(), "r+b") as f:
			f.seek((page - 1) * size)
			f.write(bytes((i * 7919) % 251 for i in range(size)))
		with open(k.store_path(), "rb") as f:
			damaged = f.read()

		before = len(k.log())
		k.start(wait=False)
		rc = k.wait_exit(timeout=15)
		log = k.log()[before:]
		check_eq(rc, 1, "kitchend's exit status on a damaged store", log[-3000:])
		for needle in ("is damaged: the orders table of kitchen.db is unreadable (",
			       f"Page {page}", "RECOVERY", "restore kitchen.db from a backup"):
			check(needle in log, f"kitchend's refusal should say {needle!r}", log[-3000:])
		with open(k.store_path(), "rb") as f:
			check(f.read() == damaged, "the damaged store should be left as it was")

		if not shutil.which("sqlite3"):
			raise TestSkip("no sqlite3 program to repair the store with (tools/setup installs it)")
		repair(k.state_dir)
		k.start()
		new = k.order("Tea")
		check(new > N, "a new order after the repair gets an id above every order", new)
		check_eq(k.wait_order(new)["state"], "served", "a new order after the repair")
		check_eq(k.show(N)["state"] in ("queued", "cooking", "served"), True, "the last order, kept")


main(test)
