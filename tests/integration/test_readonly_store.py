#!/usr/bin/env python3
"""A store kitchend cannot write is refused at start, with the reason and
the file, not found at the first commit after kitchend has resumed and
answered (issue 17, defect 5). The test runs as root, which writes any
file whatever its mode, so the files are made immutable (chattr +i):
kitchen.db, then its -shm. kitchend must exit 1 at once, saying which file
cannot be written; with the file writable again it starts and still has
the order."""

import os
import shutil
import subprocess

from harness import Kitchen, TestSkip, check, check_eq, main, menu, note

MENU = menu(("Tea", ["Leaves"]))


def chattr(flag, path):
	note(f"$ chattr {flag} {path}")
	return subprocess.run(["chattr", flag, path], capture_output=True, timeout=30)


def refused(k, needle):
	before = len(k.log())
	k.start(wait=False)
	rc = k.wait_exit(timeout=15)
	log = k.log()[before:]
	check_eq(rc, 1, "kitchend's exit status on a store it cannot write", log[-2000:])
	check(needle in log, f"kitchend's refusal should say {needle!r}", log[-2000:])


def test():
	if os.geteuid() != 0 or not shutil.which("chattr"):
		raise TestSkip("needs root and chattr to make a file that root cannot write")
	with Kitchen(chefs={"local": 1}, menu=MENU) as k:
		order = k.order("Tea")
		k.wait_order(order)
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		db, shm = k.store_path(), k.store_path() + "-shm"

		p = chattr("+i", db)
		if p.returncode != 0:
			raise TestSkip(f"chattr +i does not work here: {p.stderr!r}")
		try:
			refused(k, f"Failed to open the order store in '{k.state_dir}': attempt to write a readonly "
				f"database: '{db}' cannot be written")
		finally:
			chattr("-i", db)

		check(os.path.exists(shm), "the store's -shm stays after a clean stop (store.h)")
		check_eq(chattr("+i", shm).returncode, 0, "chattr +i on the -shm")
		try:
			refused(k, f"'{shm}' cannot be written")
		finally:
			chattr("-i", shm)

		k.start()
		check_eq(k.show(order)["state"], "served", "the order, once the store can be written again")
		check(k.order("Tea") > order, "a new order after the store can be written again")


main(test)
