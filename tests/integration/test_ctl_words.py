#!/usr/bin/env python3
"""What kitchen says to people reads right: one dish, one chef, one order in
the singular (kitchend --check-config, its log, status, show, cancel);
status's dish counts of all time apart from the dishes now, and the open
orders named so; show numbers dishes from 1 (as cancel and retry take them)
with the order's creation time, and says a failure's reason once; many
orders of --random --wait are said accepted in one line."""

import re

from harness import KITCHEND, Kitchen, check, check_eq, clean_env, main, menu, run

SOUP = ("Soup", ["Water"])


def test():
	with Kitchen(chefs={"local": 1, "threads": 1}, menu=menu(SOUP), dishes={"max_attempts": 2},
		     env={"KITCHEN_CHEF_FAULTS": "Soup=fail"}) as k:
		rc, out, err = run([KITCHEND, "--config", k.config, "--check-config"], env=clean_env())
		check(rc == 0 and out.endswith(": OK (1 dish on the menu, 1 local chef of 1 station)\n"),
		      "--check-config: singulars", rc, out, err)

		rc, out, err = k.ctl("order", "--wait", "Soup")
		check_eq(rc, 1, "a dish that fails: exit status", out, err)
		oid = re.search(r"order (\d+) accepted", err).group(1)
		out = k.ctl_ok("show", oid)
		lines = out.splitlines()
		check(re.fullmatch(rf"order {oid}: failed, 1 dish \(0 served, 1 failed\); created \d\d:\d\d:\d\d", lines[0]),
		      "show: the order's line, with its creation time", out)
		check(re.fullmatch(r"  #1 Soup: failed after 2 attempts: (?!gave up)\S.*injected failure", lines[1]),
		      "show: the dish counted from 1, the reason said once", out)
		rc, out, err = k.ctl("retry", oid, "#0")
		check(rc == 2 and "(1 or #1)" in err, "retry #0: there is no dish 0", rc, err)

		status = k.ctl_ok("status")
		check(re.search(r"^dishes: +0 queued, 0 cooking$", status, re.M)
		      and re.search(r"^all time: +0 served, 1 failed, 0 cancelled$", status, re.M)
		      and re.search(r"^open orders: +0$", status, re.M)
		      and re.search(r"^chefs: +1 \(0 of 1 station busy\)$", status, re.M)
		      and "SERVED_SINCE_JOIN" in status, "status: what counts since when, in the singular", status)

		# An order due later is open: no dish #2 to cancel; resumed across a restart.
		later = k.ctl_ok("order", "--in", "1h", "Soup").strip()
		rc, out, err = k.ctl("cancel", later, "#2")
		check(rc == 1 and f"order {later} has only 1 dish" in err, "cancel #2 of one dish: singular", rc, err)
		# Many --random orders waited for: one line names them all, not one a line.
		rc, out, err = k.ctl("order", "--random", "20", "--wait")
		accepted = [l for l in err.splitlines() if "accepted" in l]
		ids = len(accepted) == 1 and re.fullmatch(r"kitchenctl: 20 orders of 20 dishes accepted: ids (\d+) to (\d+)",
							   accepted[0])
		check(ids and int(ids[2]) - int(ids[1]) == 19,
		      "order --random 20 --wait: one line for the orders accepted, their ids in a row", rc, err)
		check_eq(k.stop(), 0, "kitchend's exit status")
		k.start()
		check("Resuming 1 dish of 1 order from the store" in k.log(), "the log: singulars", k.log()[-3000:])


main(test)
