#!/usr/bin/env python3
"""When each dish started and finished (kitchenctl show, protocol KIT8's
started_ms and finished_ms). One chef of one station cooks one dish at a
time, COOK_MS per ingredient, so a dish behind another waits queued:
- while it cooks, a dish has a start (at or after its order's creation) and
  no finish; a queued one has neither; `show` prints a line of times under a
  dish that has them, none under a queued one;
- a served dish finished at least its cooking time after it started (no
  upper bound: a loaded machine only makes it longer), and the dish behind
  it started once it finished;
- a dish that fails (a program that exits 1) has both, of its last attempt;
- a dish cancelled while queued has a finish and no start;
- kitchend killed (SIGKILL) and started again answers the same times for
  the finished order, from the store.
The conversion of an older store (0 for its dishes) is test_store_upgrade.py's."""

import re

from harness import Kitchen, check, check_eq, main, poll

COOK_MS = 300
MENU = [
	{"name": "Tea", "ingredients": ["Leaves"]},                      # COOK_MS
	{"name": "Stew", "ingredients": ["Beef", "Carrot", "Onion"]},   # 3 * COOK_MS
	{"name": "Burnt", "run": ["false"]},                             # exits 1
]
SLACK_MS = 20  # ms lost to rounding between kitchend's two clocks and the chef's timers
TIMES = re.compile(r"^     started (\d\d:\d\d:\d\d), finished (\d\d:\d\d:\d\d), took (\d+)\.(\d) s$")


def dish_lines(text):
	"""show's text: {dish number: [its line, the lines under it]}."""
	dishes, current = {}, None
	for line in text.splitlines()[1:]:
		m = re.match(r"  #(\d+) ", line)
		if m:
			current = int(m.group(1))
			dishes[current] = [line]
		elif current is not None:
			dishes[current].append(line)
	return dishes


def check_done(report, d, cook_ms, what):
	check(d["started_ms"] is not None and d["finished_ms"] is not None, f"{what}: started and finished", report)
	check(d["started_ms"] >= report["created_ms"], f"{what}: started at or after its order was created", report)
	check(d["finished_ms"] - d["started_ms"] >= cook_ms - SLACK_MS,
	      f"{what}: finished at least its cooking time ({cook_ms} ms) after it started", report)


def cooking_and_queued(k):
	"""Stew cooks while the Tea behind it waits; then both are served, in turn."""
	oid = k.order("Stew", "Tea", "Tea")

	def cooking():
		r = k.show(oid)
		return r if r["dishes"][0]["state"] == "cooking" else None
	report = poll(cooking, 10, f"order {oid}'s Stew to cook")
	stew, tea = report["dishes"][0], report["dishes"][1]
	check(stew["started_ms"] is not None and stew["started_ms"] >= report["created_ms"],
	      "a cooking dish: started at or after its order was created", report)
	check_eq(stew["finished_ms"], None, "a cooking dish: not finished", report)
	check_eq((tea["state"], tea["started_ms"], tea["finished_ms"]), ("queued", None, None),
		 "a queued dish: neither started nor finished", report)
	text = dish_lines(k.ctl_ok("show", str(oid)))
	check(len(text[1]) == 2 and re.fullmatch(r"     started \d\d:\d\d:\d\d", text[1][1]),
	      "show: a line under the cooking dish says when it started", text)
	check_eq(len(text[2]), 1, "show: nothing under a queued dish", text)

	report = k.wait_order(oid)
	stew, tea1, tea2 = report["dishes"]
	check_eq([d["state"] for d in report["dishes"]], ["served"] * 3, "the order served", report)
	check_eq(stew["started_ms"], report["dishes"][0]["started_ms"], "the Stew's start, as said while it cooked")
	check_done(report, stew, 3 * COOK_MS, "the Stew")
	check_done(report, tea1, COOK_MS, "the first Tea")
	check_done(report, tea2, COOK_MS, "the second Tea")
	check(tea1["started_ms"] >= stew["finished_ms"] - SLACK_MS and tea2["started_ms"] >= tea1["finished_ms"] - SLACK_MS,
	      "one station: each dish started once the one before finished", report)

	text = dish_lines(k.ctl_ok("show", str(oid)))
	for n, d, cook in ((1, stew, 3 * COOK_MS), (2, tea1, COOK_MS), (3, tea2, COOK_MS)):
		check_eq(len(text[n]), 2, f"show: one line of times under dish #{n}", text)
		m = TIMES.match(text[n][1])
		check(m, f"show: dish #{n}'s times, as 'started T, finished T, took S s'", text[n])
		took_ms = int(m.group(3)) * 1000 + int(m.group(4)) * 100
		check(took_ms == (d["finished_ms"] - d["started_ms"]) // 100 * 100,
		      f"show: dish #{n}'s 'took', in tenths of a second, as --json's times say", text[n], d)
		check(took_ms >= cook - 100 - SLACK_MS, f"show: dish #{n} took at least its cooking time", text[n])
	return oid, report


def failed(k):
	oid = k.order("Burnt")
	report = k.wait_order(oid)
	d = report["dishes"][0]
	check_eq((d["state"], d["attempts"]), ("failed", 2), "a program that exits 1: failed after 2 attempts", report)
	check(d["started_ms"] is not None and report["created_ms"] <= d["started_ms"] <= d["finished_ms"],
	      "a failed dish: started (its last attempt) and finished", report)
	lines = dish_lines(k.ctl_ok("show", str(oid)))[1]
	check(len(lines) == 2 and TIMES.match(lines[1]), "show: the times of a failed dish", lines)
	return oid, report


def cancelled_queued(k):
	oid = k.order("Stew", "Tea")
	poll(lambda: k.show(oid)["dishes"][0]["state"] == "cooking", 10, f"order {oid}'s Stew to cook")
	k.ctl_ok("cancel", str(oid), "#2")
	report = k.wait_order(oid)
	tea = report["dishes"][1]
	check_eq((tea["state"], tea["started_ms"]), ("cancelled", None), "a dish cancelled while queued: no start",
		 report)
	check(tea["finished_ms"] is not None and tea["finished_ms"] >= report["created_ms"],
	      "a dish cancelled while queued: finished when cancelled", report)
	lines = dish_lines(k.ctl_ok("show", str(oid)))[2]
	check(len(lines) == 2 and re.fullmatch(r"     finished \d\d:\d\d:\d\d", lines[1]),
	      "show: only the finish under a dish cancelled while queued", lines)
	return oid, report


def test():
	with Kitchen(chefs={"local": 1, "threads": 1}, timing={"cook_ms": COOK_MS}, menu=MENU,
		     dishes={"max_attempts": 2}) as k:
		done = [cooking_and_queued(k), failed(k), cancelled_queued(k)]
		check_eq(k.kill(), -9, "kitchend killed")
		k.start()
		for oid, before in done:
			after = k.show(oid)
			check_eq([(d["started_ms"], d["finished_ms"]) for d in after["dishes"]],
				 [(d["started_ms"], d["finished_ms"]) for d in before["dishes"]],
				 f"order {oid}'s times after kitchend was killed and started again: from the store",
				 before, after)


main(test)
