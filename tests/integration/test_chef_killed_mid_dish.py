#!/usr/bin/env python3
"""A chef killed (-9) while it cooks a dish: the dish goes back to the queue and
is served by a chef (a new attempt), exactly once; the order does not fail."""

import os
import signal

from harness import Kitchen, check, check_eq, main, menu, poll


def test():
	with Kitchen(chefs={"local": 2}, timing={"cook_ms": 400},
		     menu=menu(("Roast", ["Lamb", "Garlic", "Rosemary", "Potato", "Onion"]))) as k:
		order = k.order("Roast")

		def cooking():
			report = k.show(order)
			dish = report["dishes"][0]
			return dish if dish["state"] == "cooking" and dish.get("chef") else None

		dish = poll(cooking, 5, "the Roast to be cooking by a chef")
		chefs = {c["name"]: c["pid"] for c in k.chefs()}
		check(dish["chef"] in chefs, "show --json names a chef that chefs --json does not list",
		      dish, chefs)
		os.kill(chefs[dish["chef"]], signal.SIGKILL)

		report = k.wait_order(order, timeout=30)
		check_eq(report["state"], "served", "the order's state after its chef was killed")
		d = report["dishes"][0]
		check_eq(d["result"], "Served Roast", "the Roast's result")
		check(d.get("attempts", 0) >= 2, "the Roast should have taken a second attempt", d)
		st = k.status()
		check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": 1, "failed": 0, "cancelled": 0},
			 "status counts: served exactly once")


main(test)
