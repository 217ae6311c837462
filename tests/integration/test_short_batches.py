#!/usr/bin/env python3
"""Short dishes go to a station in batches (workers/brigade.h), each batch
answered with one RESULT of several groups (workers/station.h).

One chef with one station, no-op dishes (timing at 0): the chef's credit
window holds up to 256 of them, so its one station gets them in batches.
4 orders of 150 dishes placed at once (the five dishes of the default menu
in turn), then 100 more with `order --wait`:
- the chef's debug log shows batches of more than one dish, none larger than
  STATION_BATCH_MAX (100), and every dish cooked exactly once (one "Order N
  dish M (...) attempt 1 cooking at station" line each);
- the order report lists every dish in order of ordering, served at attempt
  1, with its own dish's result and items; `order --wait` prints the served
  lines in order of ordering;
- kitchend counts every dish served once, none failed, and ignored no stale
  result."""

import collections
import re

from harness import DEFAULT_MENU, Kitchen, check, check_eq, main

ORDERS = 4
PER_ORDER = 150   # the most an order holds
BIG = ORDERS * PER_ORDER
SMALL = 100
BATCH_MAX = 100  # STATION_BATCH_MAX, workers/station.h


def dishes(n):
	return [DEFAULT_MENU[i % len(DEFAULT_MENU)] for i in range(n)]


def test():
	with Kitchen(chefs={"local": 1, "threads": 1}) as k:
		# Four orders at once, so that the chef holds a full window.
		orders = [k.order(*[name for name, _ in dishes(PER_ORDER)]) for _ in range(ORDERS)]
		for order in orders:
			report = k.wait_order(order, timeout=60)
			check_eq(report.get("state"), "served", f"order {order}: state", report.get("state"))
			got = report.get("dishes", [])
			check_eq(len(got), PER_ORDER, f"order {order}: dishes in the report")
			for i, (dish, (name, ingredients)) in enumerate(zip(got, dishes(PER_ORDER))):
				check_eq((dish.get("index"), dish.get("name"), dish.get("state"), dish.get("attempts")),
					 (i, name, "served", 1), f"order {order}: dish {i} of the report", dish)
				check_eq((dish.get("result"), dish.get("items")),
					 (f"Served {name}",
					  [f"Served Cooked {x} with a pinch of magic" for x in ingredients]),
					 f"order {order}: result and items of dish {i}, {name}", dish)

		small = [name for name, _ in dishes(SMALL)]
		rc, out, err = k.ctl("order", "--wait", *small, timeout=120)
		check_eq(rc, 0, "order --wait of 100 dishes: exit status", out, err)
		check_eq(out.splitlines(), [f"I- Ordered {d}" for d in small] + [f"O- Served {d}" for d in small],
			 "order --wait of 100 dishes: I- lines, then O- lines in order of ordering")

		st = k.status()
		check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": BIG + SMALL, "failed": 0, "cancelled": 0},
			 "status dish counts", st)
		check_eq(k.chefs()[0].get("served"), BIG + SMALL, "dishes served by the one chef")

		log = k.log()
		cooked = collections.Counter(re.findall(r"chef: Order (\d+) dish (\d+) \(.*?\) attempt (\d+) cooking at station",
							 log))
		check_eq(sum(cooked.values()), BIG + SMALL, "dishes the station cooked (debug log lines)")
		check(all(n == 1 and attempt == "1" for (_, _, attempt), n in cooked.items()),
		      "a dish cooked twice, or at another attempt",
		      [key for key, n in cooked.items() if n != 1 or key[2] != "1"][:10])
		batches = [int(n) for n in re.findall(r"\(first of (\d+)\): a batch at station", log)]
		check(batches, "no batch of more than one dish in the chef's log")
		check(max(batches) <= BATCH_MAX, f"a batch larger than {BATCH_MAX}", max(batches))
		check(sum(batches) <= BIG + SMALL, "batches hold more dishes than were cooked", sum(batches))
		check("Ignoring a stale result" not in log, "kitchend ignored a stale result")
		print(f"{len(batches)} batches of 2..{max(batches)} dishes, "
		      f"{sum(batches)} of {BIG + SMALL} dishes in them")


main(test)
