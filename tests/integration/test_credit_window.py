#!/usr/bin/env python3
"""The credit window (design brief decision 1, docs/protocol.md "Credit"): a
chef announces its stations plus a window of dishes that may wait at it, and
kitchend uses the window only for dishes short enough.

A station held by a dish that hangs (KITCHEN_CHEF_FAULTS) shows what the chef
was given behind it:
- no-op dishes (timing at 0): the chef of one station holds the hanging dish
  and every other dish of the order besides (busy > stations), and none of
  them is served (they wait for the one station);
- dishes of 2 ms on one station (longer than the window's millisecond): no
  window, but the lead (daemon/chefs.h): a millisecond before the hanging
  dish is due, one more may go to wait for its station (none when kitchend's
  loop wakes more than a millisecond late, on a loaded machine), and no
  other; the rest stay queued at kitchend.
"""

import time

from harness import Kitchen, check_eq, main, menu, poll

MENU = menu(("Glue", ["Resin"]), ("Tea", ["Leaves"]))
FAULTS = {"KITCHEN_CHEF_FAULTS": "Glue=hang"}
TEAS = 20


def held(k, busy):
	"""Poll until the one chef holds @busy dishes; return STATUS."""
	def ready():
		chefs = k.chefs()
		if len(chefs) == 1 and chefs[0]["busy"] == busy:
			return k.status()
		return None
	return poll(ready, 10, f"the chef to hold {busy} dishes")


def test():
	# No-op dishes: the window holds all of them behind the stuck station.
	with Kitchen(chefs={"local": 1, "threads": 1}, env=FAULTS, menu=MENU, drain_timeout_ms=0) as k:
		order = k.order("Glue", *["Tea"] * TEAS)
		st = held(k, 1 + TEAS)
		check_eq((st["dishes"]["cooking"], st["dishes"]["queued"], st["dishes"]["served"]),
			 (1 + TEAS, 0, 0), "no-op dishes: all at the chef, none served", st)
		check_eq(k.chefs()[0]["stations"], 1, "the chef has one station")
		report = k.show(order)
		check_eq({d["state"] for d in report["dishes"]}, {"cooking"}, "every dish is at the chef", report)

	# 2 ms dishes on one station: no window; the stuck dish and its lead at the chef.
	with Kitchen(chefs={"local": 1, "threads": 1}, env=FAULTS, menu=MENU, drain_timeout_ms=0,
		     timing={"cook_ms": 2}) as k:
		order = k.order("Glue", *["Tea"] * TEAS)
		poll(lambda: k.chefs()[0]["busy"] >= 1, 10, "the chef to hold the stuck dish")
		time.sleep(0.3)  # a hundred times the dish's time
		st = k.status()
		check_eq((st["dishes"]["cooking"] in (1, 2), st["dishes"]["cooking"] + st["dishes"]["queued"],
			  st["dishes"]["served"]), (True, 1 + TEAS, 0),
			 "2 ms dishes: the stuck one and at most one behind it at the chef, the rest queued", st)
		report = k.show(order)
		check_eq([d["state"] for d in report["dishes"][:1] + report["dishes"][2:]], ["cooking"] + ["queued"] * (TEAS - 1),
			 "the stuck dish, then at most the next one, at the chef", report)


main(test)
