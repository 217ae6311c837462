#!/usr/bin/env python3
"""Default menu: with no menu in the config, every dish of the tutorial is on
the menu, and each, ordered with --wait, is served; the output is the
tutorial's, line for line. --random N orders N dishes from that menu."""

import re

from harness import DEFAULT_DISHES, DEFAULT_MENU, Kitchen, check, check_eq, main, order_lines


def test():
	with Kitchen() as k:
		menu = k.ctl_json("menu")
		check_eq([(d["name"], d["ingredients"]) for d in menu],
			 [(n, i) for n, i in DEFAULT_MENU], "menu --json is not the default menu")

		rc, out, err = k.ctl("order", "--wait", *DEFAULT_DISHES)
		check_eq(rc, 0, "order --wait of the five dishes: exit status")
		check_eq(out.splitlines(),
			 [f"I- Ordered {d}" for d in DEFAULT_DISHES] + [f"O- Served {d}" for d in DEFAULT_DISHES],
			 "order --wait output")

		# The same, as the order report: every item of every dish, in order.
		report = k.ctl_json("order", "--wait", *DEFAULT_DISHES)["orders"][0]
		check_eq(report.get("state"), "served", "order --wait --json: order state")
		check_eq(len(report.get("dishes", [])), len(DEFAULT_MENU), "number of dishes in the report")
		for i, (dish, (name, ingredients)) in enumerate(zip(report["dishes"], DEFAULT_MENU)):
			check_eq((dish.get("index"), dish.get("name"), dish.get("state")), (i, name, "served"),
				 f"dish {i} of the report")
			check_eq(dish.get("result"), f"Served {name}", f"result of {name}")
			check_eq(dish.get("items"),
				 [f"Served Cooked {x} with a pinch of magic" for x in ingredients],
				 f"items of {name}")

		# One dish at a time, each on its own.
		for d in DEFAULT_DISHES:
			rc, out, err = k.ctl("order", "--wait", d)
			check_eq((rc, out.splitlines()), (0, [f"I- Ordered {d}", f"O- Served {d}"]),
				 f"order --wait {d}")

		# The tutorial's customers: N random dishes, results in order of ordering.
		rc, out, err = k.ctl("order", "--random", "5", "--wait")
		check_eq(rc, 0, "order --random 5 --wait: exit status")
		lines = order_lines(out)
		ordered = [l[len("I- Ordered "):] for l in lines if l.startswith("I- Ordered ")]
		# Five orders: each O- line names its order after the dish.
		served = [re.sub(r" \[order \d+\]$", "", l[len("O- Served "):]) for l in lines
			  if l.startswith("O- Served ")]
		check_eq(len(ordered), 5, "--random 5: number of I- Ordered lines")
		check(all(d in DEFAULT_DISHES for d in ordered), "--random ordered a dish not on the menu", out)
		check_eq(served, ordered, "--random 5 --wait: O- Served lines, in order of ordering")
		ids = [int(x) for x in re.findall(r"order (\d+) accepted", err)]
		check_eq(lines, [f"I- Ordered {d}" for d in ordered] +
			 [f"O- Served {d} [order {i}]" for d, i in zip(ordered, ids)],
			 "--random 5 --wait: I- lines first, then O- lines naming their orders", err)

		st = k.status()
		check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": 5 + 5 + 5 + 5, "failed": 0, "cancelled": 0},
			 "status dish counts after 20 dishes")


main(test)
