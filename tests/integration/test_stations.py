#!/usr/bin/env python3
"""A chef's stations cook at once: one chef with 3 stations, cook_ms 500,
three one-ingredient dishes ordered together take about as long as one, not
three times as long. Measured against a single dish timed in the same run, so
no absolute figure is assumed: serial cooking would take ~3x one dish, in
parallel ~1x; the bound is 2x one dish."""

import time

from harness import Kitchen, check, check_eq, main, menu

COOK_MS = 500


def timed_wait(k, *dishes):
	t0 = time.monotonic()
	rc, out, err = k.ctl("order", "--wait", *dishes)
	elapsed = time.monotonic() - t0
	check_eq((rc, out.splitlines()),
		 (0, [f"I- Ordered {d}" for d in dishes] + [f"O- Served {d}" for d in dishes]),
		 f"order --wait {' '.join(dishes)}")
	return elapsed


def test():
	with Kitchen(chefs={"local": 1, "threads": 3}, timing={"cook_ms": COOK_MS},
		     menu=menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]), ("Egg", ["Egg"]))) as k:
		chefs = k.chefs()
		check(len(chefs) == 1 and chefs[0].get("stations") == 3,
		      "chefs --json should list one chef with 3 stations", chefs)

		one = min(timed_wait(k, "Tea"), timed_wait(k, "Toast"))
		check(one >= COOK_MS / 1000, f"one dish took {one:.3f} s, less than cook_ms")
		three = timed_wait(k, "Tea", "Toast", "Egg")
		print(f"one dish: {one:.3f} s; three dishes on 3 stations: {three:.3f} s")
		check(three < 2 * one,
		      f"three dishes on 3 stations took {three:.3f} s, one took {one:.3f} s: "
		      "the stations did not cook at once (serial would be ~3x)")

		st = k.status()
		check_eq(st["dishes"]["served"], 5, "served dishes in status")
		check_eq(st["chefs"][0].get("served"), 5, "dishes served by the one chef")


main(test)
