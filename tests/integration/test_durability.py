#!/usr/bin/env python3
"""Accepted means durable: an order acknowledged by kitchend survives kitchend
being SIGKILLed (with its chefs: the whole service dies) before the chefs
finish. kitchend started again on the same state directory serves it, and new
orders get new ids."""

from harness import Kitchen, check, check_eq, main, menu, poll

DISHES = ["Stew", "Tea", "Stew"]


def test():
	with Kitchen(chefs={"local": 2}, timing={"cook_ms": 600},
		     menu=menu(("Stew", ["Beef", "Carrot", "Potato", "Onion"]), ("Tea", ["Leaves"]))) as k:
		done = k.order("Tea")
		k.wait_order(done)
		order = k.order(*DISHES)
		k.kill()          # kitchend first, at once, as a crash would
		k.kill_all()      # then its chefs, as systemd stops the whole unit
		check_eq(k.proc_chef_pids(), [], "no chef should be left")

		k.start()
		report = k.show(order)
		check_eq([d["name"] for d in report["dishes"]], DISHES, "the order's dishes after the restart")
		check(report["state"] in ("queued", "cooking", "served"),
		      "the order should be queued or cooking after the restart", report)
		report = k.wait_order(order, timeout=30)
		check_eq(report["state"], "served", f"order {order} after the restart")
		check_eq([(d["index"], d["name"], d["state"], d["result"]) for d in report["dishes"]],
			 [(i, n, "served", f"Served {n}") for i, n in enumerate(DISHES)], "the dishes after the restart")

		check_eq(k.show(done)["state"], "served", f"order {done}, served before the crash")
		new = k.order("Tea")
		check(new > order, "a new order after the restart should get a new, higher id", done, order, new)
		check_eq(k.wait_order(new)["state"], "served", "a new order after the restart")


main(test)
