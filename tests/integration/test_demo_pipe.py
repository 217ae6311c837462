#!/usr/bin/env python3
"""`tools/demo | head -3` cleans up after itself: once head has its three
lines, the next write kills the demo's kitchenctl (SIGPIPE), and the demo
still stops its kitchend and chefs by PID and removes its temporary
directory (it once left both: SIGPIPE ended bash before its EXIT trap).

The demo runs the programs under test as they are (KITCHEN_DEMO_BUILD, no
tools/setup) with its temporary directory under one of the test's ($TMPDIR),
and every process it starts carries a mark in its environment.
"""

import os
import shutil
import signal
import tempfile
import time

from harness import KITCHEND, REPO, SCALE, check, check_eq, clean_env, main, pids_marked, run

MARK = "KITCHEN_DEMO_TEST_MARK"


def test():
	tmp = tempfile.mkdtemp(prefix="kdemo-", dir="/tmp")  # short: socket paths
	try:
		env = clean_env(KITCHEN_DEMO_BUILD=os.path.dirname(KITCHEND), TMPDIR=tmp, **{MARK: tmp})
		rc, out, err = run(["bash", "-c", '"$0" | head -3; echo "demo exit ${PIPESTATUS[0]}"',
				    os.path.join(REPO, "tools", "demo")], timeout=60, env=env)
		check_eq(rc, 0, "the pipeline's exit status", out, err)
		lines = out.splitlines()
		check_eq(len(lines), 4, "three lines through head, then the demo's status", out)
		check(lines[0].startswith("demo: starting "), "the demo's first line", out)
		check_eq(lines[3], "demo exit 141", "the demo ends as SIGPIPE ended it", out, err)
		check("demo: failed" not in err, "a reader gone is not a failure to explain", err)

		# bash waited for the demo, whose cleanup had stopped everything.
		deadline = time.monotonic() + 5 * SCALE
		while pids_marked(MARK, tmp) and time.monotonic() < deadline:
			time.sleep(0.05)
		check_eq(pids_marked(MARK, tmp), [], "processes the demo left running (kitchend, chefs)")
		check_eq(os.listdir(tmp), [], "what the demo left in $TMPDIR")
	finally:
		for pid in pids_marked(MARK, tmp):
			os.kill(pid, signal.SIGKILL)
		shutil.rmtree(tmp, ignore_errors=True)


main(test)
