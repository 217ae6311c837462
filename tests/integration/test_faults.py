#!/usr/bin/env python3
"""Dishes that make their chef misbehave (KITCHEN_CHEF_FAULTS, the chef's
failure seam, inherited by local chefs from kitchend's environment) end failed
with the right reason, shown by `kitchenctl show --json` (the final reason and
the reason of every attempt), and the kitchen keeps serving the others:

- crash (the chef dies of SIGSEGV): after two crashed chefs the dish fails as
  poison with the chef's signal, even with attempts left; kitchend restarts
  the chefs. On chefs of two stations the innocent dishes that shared a
  crashed chef are cooked again and served, not failed as poison.
- fail (the chef answers "failed"): retried until dishes.max_attempts, then
  "gave up after N attempts; last: chef X: injected failure".
- hang (a station stuck, deaf to CANCEL) with dishes.timeout_ms: taken back
  after the time-out each attempt, then "gave up after N attempts; last: chef
  X took longer than N ms"; the stuck chef is replaced, so later dishes are
  served."""

import re

from harness import Kitchen, check, check_eq, main, menu, poll

MENU = menu(("Poison", ["Hemlock"]), ("Glue", ["Resin"]), ("Soup", ["Water"]), ("Tea", ["Leaves"]))
FAULTS = {"KITCHEN_CHEF_FAULTS": "Poison=crash,Glue=hang,Soup=fail"}
SEGV = r"killed by signal 11 \(Segmentation fault\)"


def dish(report, name):
	found = [d for d in report["dishes"] if d["name"] == name]
	check_eq(len(found), 1, f"one {name} in the order", report)
	return found[0]


def served_all(k, n, what):
	order = k.order(*["Tea"] * n)
	report = k.wait_order(order, timeout=30)
	check_eq([d["state"] for d in report["dishes"]], ["served"] * n, f"{what}: Teas ordered afterwards",
		 report)


def check_failed(d, reason_re, attempts, reasons_re):
	check_eq((d["state"], d["attempts"]), ("failed", attempts), f"{d['name']}: state and attempts", d)
	check(re.fullmatch(reason_re, d.get("reason", "")), f"{d['name']}: the reason should match "
	      f"{reason_re!r}", d)
	reasons = d.get("reasons", [])
	check_eq(len(reasons), len(reasons_re), f"{d['name']}: one reason per attempt", d)
	for got, want in zip(reasons, reasons_re):
		check(re.fullmatch(want, got), f"{d['name']}: a reason should match {want!r}", got, d)
	check_eq(reasons[-1], d["reason"], f"{d['name']}: the last reason is the final one", d)


def test_crash():
	with Kitchen(chefs={"local": 2}, env=FAULTS, menu=MENU) as k:
		order = k.order("Tea", "Poison", "Tea", "Tea")
		report = k.wait_order(order, timeout=30)
		chef = r"chef chef-[12]"
		check_failed(dish(report, "Poison"),
			     rf"poison: 2 chefs crashed cooking it; last: {chef} {SEGV}", 2,
			     [rf"{chef} {SEGV}", rf"poison: 2 chefs crashed cooking it; last: {chef} {SEGV}"])
		check_eq([d["state"] for d in report["dishes"] if d["name"] == "Tea"], ["served"] * 3,
			 "the Teas of the poisoned order", report)
		check_eq(report["state"], "failed", "an order with a failed dish is failed")
		poll(lambda: len([c for c in k.chefs() if k.chef_ready(c)]) == 2, 15,
		     "both chefs to be back after the crashes")
		served_all(k, 4, "after the poison")
		log = k.log()
		check(re.search(rf"chef-[12] \(pid \d+\) {SEGV}", log), "kitchend's log should record the signal")

	# Two stations a chef: a crash takes the innocent dish beside the poison
	# down too; that dish is suspected, not failed, and served on its own.
	with Kitchen(chefs={"local": 2, "threads": 2}, env=FAULTS, dishes={"max_attempts": 5},
		     timing={"cook_ms": 300}, menu=MENU) as k:
		orders = [k.order("Poison", "Tea", "Tea", "Tea"), k.order("Tea", "Tea", "Poison", "Tea")]
		for order in orders:
			report = k.wait_order(order, timeout=60)
			check_eq(sorted(d["state"] for d in report["dishes"]), ["failed"] + ["served"] * 3,
				 f"order {order}: only the Poison fails", report)
			p = dish(report, "Poison")
			check(p["reason"].startswith("poison: 2 chefs crashed cooking it; last: "),
			      "the Poison's reason", p)
		served_all(k, 4, "after the poison on 2-station chefs")


def test_fail():
	with Kitchen(chefs={"local": 2}, env=FAULTS, menu=MENU) as k:
		order = k.order("Soup", "Tea")
		report = k.wait_order(order)
		chef = r"chef chef-[12]: injected failure"
		check_failed(dish(report, "Soup"), rf"gave up after 3 attempts; last: {chef}", 3,
			     [chef, chef, rf"gave up after 3 attempts; last: {chef}"])
		check_eq(dish(report, "Tea")["state"], "served", "the Tea beside the Soup")

	# dishes.max_attempts is the number of attempts.
	with Kitchen(chefs={"local": 1}, env=FAULTS, dishes={"max_attempts": 5}, menu=MENU) as k:
		report = k.wait_order(k.order("Soup"))
		chef = r"chef chef-1: injected failure"
		check_failed(dish(report, "Soup"), rf"gave up after 5 attempts; last: {chef}", 5,
			     [chef] * 4 + [rf"gave up after 5 attempts; last: {chef}"])
		served_all(k, 3, "after the failures")


def test_hang():
	with Kitchen(chefs={"local": 2}, env=FAULTS, dishes={"timeout_ms": 500, "max_attempts": 2},
		     menu=MENU) as k:
		order = k.order("Glue", "Tea", "Tea")
		report = k.wait_order(order, timeout=30)
		late = r"chef chef-[12] took longer than 500 ms"
		check_failed(dish(report, "Glue"), rf"gave up after 2 attempts; last: {late}", 2,
			     [late, rf"gave up after 2 attempts; last: {late}"])
		check_eq([d["state"] for d in report["dishes"] if d["name"] == "Tea"], ["served"] * 2,
			 "the Teas beside the Glue", report)
		# Both chefs had a station stuck on the Glue; the kitchen serves on.
		served_all(k, 6, "after the hangs")
		served_all(k, 6, "again after the hangs")
		st = k.status()
		check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": 14, "failed": 1, "cancelled": 0},
			 "status after the hang: only the Glue failed")


def test():
	test_crash()
	test_fail()
	test_hang()


main(test)
