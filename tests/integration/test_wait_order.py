#!/usr/bin/env python3
"""--wait reports in order of ordering, even when later dishes finish first.

One chef with 3 stations, cook_ms 150: "Big" (10 ingredients, ~1.5 s) and
"Small" (1 ingredient, ~0.15 s). Ordered [Big, Small, Small]: --follow shows
the Smalls served first (so they really finish first), and --wait still prints
Big, Small, Small; while that --wait runs, status shows both Smalls served
while Big still cooks."""

import json
import time

from harness import Kitchen, check, check_eq, main, menu, order_lines

BIG = [f"Part {i}" for i in range(10)]


def test():
	with Kitchen(chefs={"local": 1, "threads": 3}, timing={"cook_ms": 150},
		     menu=menu(("Big", BIG), ("Small", ["Salt"]))) as k:
		# Who finishes first: --follow prints O- lines as dishes are served.
		rc, out, err = k.ctl("order", "--follow", "Big", "Small", "Small")
		check_eq(rc, 0, "order --follow Big Small Small: exit status")
		served = [l for l in order_lines(out) if l.startswith("O- ")]
		check_eq(served, ["O- Served Small", "O- Served Small", "O- Served Big"],
			 "--follow: the Smalls should be served before Big")

		# --wait: in order of ordering. Watch status meanwhile.
		before = k.status()["dishes"]["served"]
		p = k.ctl_popen("order", "--wait", "Big", "Small", "Small")
		saw_smalls_first = False
		samples = []
		deadline = time.monotonic() + 30
		while p.poll() is None and time.monotonic() < deadline:
			rc, sout, _ = k.ctl("--json", "status", quiet=True)
			if rc == 0:
				d = json.loads(sout)["dishes"]
				samples.append((d["served"] - before, d["cooking"]))
				if d["served"] - before == 2 and d["cooking"] == 1:
					saw_smalls_first = True
			time.sleep(0.02)
		out, err = p.communicate(timeout=30)
		check_eq(p.returncode, 0, f"order --wait Big Small Small: exit status (stderr {err!r})")
		check_eq(out.splitlines(),
			 ["I- Ordered Big", "I- Ordered Small", "I- Ordered Small",
			  "O- Served Big", "O- Served Small", "O- Served Small"],
			 "--wait output: O- lines in order of ordering")
		check(saw_smalls_first,
		      "while --wait ran, status never showed 2 served and 1 cooking "
		      "(samples of (served, cooking)):", samples)

		# The report keeps the order of ordering too.
		report = k.ctl_json("order", "--wait", "Big", "Small", "Small")["orders"][0]
		check_eq([(d["index"], d["name"], d["state"]) for d in report["dishes"]],
			 [(0, "Big", "served"), (1, "Small", "served"), (2, "Small", "served")],
			 "order --wait --json: dishes in order of ordering")
		check_eq(report["dishes"][0]["items"],
			 [f"Served Cooked {x} with a pinch of magic" for x in BIG], "Big's items")


main(test)
