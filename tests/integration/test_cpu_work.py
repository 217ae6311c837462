#!/usr/bin/env python3
"""timing.cpu_work makes each served item carry " #xxxxxxxx", a hash computed
by that many rounds of CPU work seeded by the ingredient's name: the same
config gives the same items (in one kitchen and in another), a different
cpu_work gives different items, and cpu_work 0 gives none."""

import re

from harness import DEFAULT_MENU, Kitchen, check, check_eq, main

INGREDIENTS = dict(DEFAULT_MENU)
ITEM_RE = re.compile(r"^Served Cooked (?P<ing>.+) with a pinch of magic #(?P<hash>[0-9a-f]{8})$")


def served_items(cpu_work, dishes=("Pizza", "Spaghetti")):
	"""Order @dishes with --wait --json in a new kitchen; {dish: items}, twice."""
	with Kitchen(timing={"cpu_work": cpu_work}) as k:
		runs = []
		for _ in range(2):
			report = k.ctl_json("order", "--wait", *dishes)["orders"][0]
			check_eq([d["state"] for d in report["dishes"]], ["served"] * len(dishes),
				 f"cpu_work {cpu_work}: dish states")
			runs.append({d["name"]: d["items"] for d in report["dishes"]})
		check_eq(runs[1], runs[0], f"cpu_work {cpu_work}: the same order twice in one kitchen")
		return runs[0]


def hashes(items_by_dish):
	"""{(dish, ingredient): hash}, checking each item's shape."""
	out = {}
	for dish, items in items_by_dish.items():
		check_eq(len(items), len(INGREDIENTS[dish]), f"{dish}: number of items")
		for item, ing in zip(items, INGREDIENTS[dish]):
			m = ITEM_RE.match(item)
			check(m is not None and m.group("ing") == ing,
			      f"{dish}: item should read 'Served Cooked {ing} with a pinch of magic #xxxxxxxx'",
			      item)
			out[(dish, ing)] = m.group("hash")
	return out


def test():
	plain = served_items(0, dishes=("Pizza",))
	check_eq(plain["Pizza"], [f"Served Cooked {x} with a pinch of magic" for x in INGREDIENTS["Pizza"]],
		 "cpu_work 0: items carry no hash")

	a = hashes(served_items(20000))
	again = hashes(served_items(20000))
	check_eq(again, a, "cpu_work 20000 in two kitchens: the same items")
	b = hashes(served_items(20001))
	changed = [key for key in a if a[key] != b[key]]
	check_eq(sorted(changed), sorted(a), "cpu_work 20000 vs 20001: every item's hash should differ")

	# Seeded by the ingredient's name: Tomato Sauce is in both dishes.
	check_eq(a[("Spaghetti", "Tomato Sauce")], a[("Pizza", "Tomato Sauce")],
		 "the same ingredient in two dishes should get the same hash")
	pizza = [a[("Pizza", x)] for x in INGREDIENTS["Pizza"]]
	check_eq(len(set(pizza)), len(pizza), "different ingredients should get different hashes")


main(test)
