#!/usr/bin/env python3
"""A chef that says READY in a loop cannot flood the journal (the security
issue's defect 7).

Every READY of a known chef_id ends its session and starts another, and
kitchend used to log both (265,000 READYs in 5 s made 530,000 lines). Lines
about chefs joining and leaving are now rate-limited (20 a second, then a
count of what was held back). hostile --ready-flood says READY as fast as
kitchend takes it for 3 s; kitchend writes at most a bounded number of such
lines, keeps serving, and says how many it did not write."""

import os

from harness import REPO, SCALE, Kitchen, check, check_eq, main, note, run

HOSTILE = os.path.abspath(os.environ.get("HOSTILE")
			  or os.path.join(REPO, "build", "tests", "integration", "hostile"))
SECONDS = 3


def test():
	with Kitchen() as k:
		rc, out, err = run([HOSTILE, "--ready-flood", "--dispatch", f"ipc://{k.runtime_dir}/dispatch.sock",
				    "--seconds", str(SECONDS)], timeout=60)
		check_eq(rc, 0, "hostile --ready-flood: exit status", err)
		readies = int(out.split()[1])
		check(readies > 2000, "the flood was not much of a flood", out)
		log = k.log()
		lines = [l for l in log.splitlines() if "Chef flood " in l]
		note(f"  {readies} READYs, {len(lines)} lines about chef flood")
		# 20 a second over the flood and the second after it, and the
		# slack of a window that straddles the edges.
		check(len(lines) <= 20 * (SECONDS * SCALE + 2) + 20,
		      f"{len(lines)} lines about a chef that said READY {readies} times")
		check("lines about chefs joining and leaving were not logged" in log,
		      "kitchend should say it held lines back")
		rc, out, err = k.ctl("order", "--wait", "Pizza", timeout=30)
		check_eq(rc, 0, "order --wait after the flood", err)


main(test)
