#!/usr/bin/env python3
"""A commit that fails stops kitchend cleanly, every time (the reliability
issue's defect 9).

A commit failure other than a full disk (here the store's -wal made
immutable with chattr +i, so that its next write fails with EPERM) makes
kitchend stop at once with exit 1 while its chefs cook and dishes are on
their way. It used to abort about once in 150 stops ("Resource temporarily
unavailable (src/session_base.cpp:260)"): libzmq tore a session down while
the chef at its other end was being killed in the middle of a message.
kitchend now closes its sockets before it kills its chefs.

The test stops kitchend this way ITERATIONS times in a row (500; 50 under
AddressSanitizer, which is slower; $KITCHEN_COMMIT_FAILURES to change it),
each time on a fresh store with two chefs busy, and wants exit status 1 and
the reason in the log, never a signal or a libzmq assertion. (The abort was
seen elsewhere; on this machine's kind it did not show in 800 stops of
kitchen 0.2, so this test guards the order of the tear-down rather than
reproduces the race.)"""

import glob
import os
import shutil
import subprocess
import time

from harness import KITCHEND, Kitchen, TestSkip, _is_asan, check, check_eq, main, menu, note

ITERATIONS = int(os.environ.get("KITCHEN_COMMIT_FAILURES") or (50 if _is_asan(KITCHEND) else 500))


def chattr(flag, path):
	return subprocess.run(["chattr", flag, path], capture_output=True, timeout=30)


def test():
	if os.geteuid() != 0 or not shutil.which("chattr"):
		raise TestSkip("needs root and chattr to make a file that root cannot write")
	t0 = time.monotonic()
	with Kitchen(chefs={"local": 2, "threads": 2}, timing={"cook_ms": 1}, log_level="info",
		     menu=menu(("Tea", ["Leaves", "Water"])), start=False) as k:
		wal = k.store_path() + "-wal"
		for i in range(ITERATIONS):
			for f in glob.glob(k.store_path() + "*"):
				os.unlink(f)
			before = len(k.log())
			k.start()
			rc, out, err = k.ctl("order", *(["Tea"] * 150), quiet=True)
			check_eq(rc, 0, f"round {i + 1}: an order", err)
			p = chattr("+i", wal)
			if p.returncode != 0:
				raise TestSkip(f"chattr +i does not work here: {p.stderr!r}")
			try:
				# More dishes, so that something is written and fails. Its
				# answer does not matter: once kitchend is gone it would only
				# wait (for a reply, or for a socket to appear), so it goes.
				ctl = k.ctl_popen("--timeout", "1000", "order", *(["Tea"] * 150))
				try:
					rc = k.wait_exit(timeout=20)
				finally:
					ctl.kill()
					ctl.communicate()
			finally:
				chattr("-i", wal)
			log = k.log()[before:]
			check_eq(rc, 1, f"round {i + 1}: kitchend's exit status after a failed commit", log[-3000:])
			check("Failed to commit to the order store, stopping" in log,
			      f"round {i + 1}: kitchend should say why it stopped", log[-3000:])
			check("src/" not in log and "Assertion" not in log,
			      f"round {i + 1}: libzmq asserted", log[-3000:])
		note(f"# {ITERATIONS} failed commits, {time.monotonic() - t0:.0f} s")
		for f in glob.glob(k.store_path() + "*"):
			os.unlink(f)
		k.start()  # and the harness stops it cleanly


main(test)
