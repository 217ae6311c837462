#!/usr/bin/env python3
"""kitchenctl --json: one documented shape per verb (kitchenctl(1), JSON
OUTPUT). `order` and `wait` answer with one object, {"orders": [...]}, for
one order as for many; a stream (`order --follow`, `follow`) is one object a
line, every line with an "event" key, the final reports as "report" events."""

from harness import Kitchen, check, check_eq, main, parse_json

DISHES = {"order", "dishes"}
REPORT = {"order", "state", "created_ms", "served", "failed", "cancelled", "priority", "due_ms", "dishes"}


def lines(out, what):
	objs = [parse_json(l, what) for l in out.splitlines()]
	check(objs, f"{what}: no output")
	return objs


def test():
	with Kitchen(chefs={"local": 1}) as k:
		one = k.ctl_json("order", "Salad")
		check_eq(list(one), ["orders"], "order --json: an object of orders", one)
		check_eq([set(o) for o in one["orders"]], [DISHES], "order --json: one order", one)
		many = k.ctl_json("order", "--random", "3")
		check_eq(list(many), ["orders"], "order --random --json: the same shape", many)
		check_eq([set(o) for o in many["orders"]], [DISHES] * 3, "order --random 3 --json: three orders", many)

		waited = k.ctl_json("order", "--wait", "Pizza", "Salad")
		check_eq(list(waited), ["orders"], "order --wait --json: an object of reports", waited)
		check_eq([set(r) for r in waited["orders"]], [REPORT], "order --wait --json: one report", waited)
		ids = [str(o["order"]) for o in many["orders"]]
		again = k.ctl_json("wait", *ids)
		check_eq([(r["order"], set(r)) for r in again["orders"]], [(int(i), REPORT) for i in ids],
			 "wait --json: the reports of the orders asked for, in one object", again)

		for argv in (["order", "--follow", "Salad"], ["order", "--follow", "--random", "2"], ["follow", *ids]):
			rc, out, err = k.ctl("--json", *argv)
			check_eq(rc, 0, f"--json {' '.join(argv)}: exit status", out, err)
			objs = lines(out, f"--json {' '.join(argv)}")
			check(all(isinstance(o.get("event"), str) for o in objs),
			      f"--json {' '.join(argv)}: every line has an event key", out)
			reports = [o for o in objs if o["event"] == "report"]
			n = 3 if argv[0] == "follow" else 2 if "--random" in argv else 1
			check_eq(len(reports), n, f"--json {' '.join(argv)}: one report event per order", out)
			check(all(set(r) == REPORT | {"event"} for r in reports), "a report event has the report's keys", reports)
			check(objs[-n:] == reports, f"--json {' '.join(argv)}: the reports come last", out)
			done = [o for o in objs if o["event"] == "done"]
			check_eq(len(done), n, f"--json {' '.join(argv)}: one done event per order", out)


main(test)
