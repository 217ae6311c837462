#!/usr/bin/env python3
"""status --json has the documented shape, and its counts match what was
ordered: 2 chefs x 2 stations, 5 slow dishes in 2 orders -> 4 cooking and 1
queued, then 5 served; the chef objects match chefs --json and /proc."""

import re

from harness import Kitchen, check, check_eq, main, menu, poll

CHEF_KEYS = {"name", "host", "pid", "stations", "busy", "state", "served", "local", "cooks"}
TOP_KEYS = {"version", "uptime_ms", "dishes", "orders", "malformed", "store", "waiting", "chefs"}


def check_shape(st):
	check_eq(set(st), TOP_KEYS, "status --json: top-level keys")
	check(isinstance(st["version"], str) and st["version"], "status: version should be a string", st)
	check(isinstance(st["uptime_ms"], int) and st["uptime_ms"] >= 0, "status: uptime_ms", st)
	check_eq(set(st["dishes"]), {"queued", "cooking", "served", "failed", "cancelled"}, "status: dishes keys")
	check(all(isinstance(v, int) and v >= 0 for v in st["dishes"].values()), "status: dish counts", st)
	check(isinstance(st["orders"], int) and isinstance(st["malformed"], int), "status: orders/malformed", st)
	check(isinstance(st["chefs"], list), "status: chefs should be a list", st)
	for c in st["chefs"]:
		check_eq(set(c), CHEF_KEYS, "status: chef object keys")
		check(isinstance(c["name"], str) and isinstance(c["host"], str) and isinstance(c["state"], str),
		      "status: chef name/host/state should be strings", c)
		check(all(isinstance(c[k], int) and not isinstance(c[k], bool)
			  for k in ("pid", "stations", "busy", "served")),
		      "status: chef pid/stations/busy/served should be numbers", c)
		check(c["local"] is True, "status: a chef kitchend spawned should be local: true", c)
		check(re.fullmatch(r"chef-\d+", c["name"]) is not None, "status: local chef names are chef-K", c)


def test():
	with Kitchen(chefs={"local": 2, "threads": 2}, timing={"cook_ms": 2000},
		     menu=menu(("Soup", ["Water"]), ("Bread", ["Flour"]))) as k:
		st = k.status()
		check_shape(st)
		check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": 0, "failed": 0, "cancelled": 0}, "a new kitchen's counts")
		check_eq((st["orders"], st["malformed"]), (0, 0), "a new kitchen's orders and malformed")
		check_eq(sorted(c["pid"] for c in st["chefs"]), k.proc_chef_pids(), "chef pids vs /proc")
		check_eq([c["stations"] for c in st["chefs"]], [2, 2], "stations per chef")
		check_eq(sorted(st["chefs"], key=lambda c: c["pid"]), sorted(k.chefs(), key=lambda c: c["pid"]),
			 "status chefs vs chefs --json (only busy/served may differ, and they should not now)")
		rc, out, err = k.ctl("--version")
		if rc == 0 and out.strip():
			check(st["version"] in out, "status version should be kitchenctl --version's", st["version"], out)

		a = k.order("Soup", "Soup", "Bread")
		b = k.order("Bread", "Soup")
		check(b != a, "two orders got the same id", a, b)

		def busy():
			s = k.status()
			return s if s["dishes"]["cooking"] == 4 and s["dishes"]["queued"] == 1 else None

		st = poll(busy, 1.5, "status to show 4 cooking (2 chefs x 2 stations) and 1 queued")
		check_shape(st)
		check_eq(st["dishes"], {"queued": 1, "cooking": 4, "served": 0, "failed": 0, "cancelled": 0}, "counts while cooking")
		check_eq(st["orders"], 2, "status orders while both are open")
		check_eq(sum(c["busy"] for c in st["chefs"]), 4, "sum of the chefs' busy stations")

		def done():
			s = k.status()
			return s if s["dishes"]["served"] == 5 else None

		st = poll(done, 15, "all 5 dishes to be served")
		check_shape(st)
		check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": 5, "failed": 0, "cancelled": 0}, "counts when done")
		# "orders" may count every order or only the open ones (the spec
		# does not say): either way, it is not something in between.
		check(st["orders"] in (0, 2), "status orders when done: 2 (all) or 0 (open ones)", st["orders"])
		check_eq(sum(c["served"] for c in st["chefs"]), 5, "sum of the chefs' served")
		check_eq(sum(c["busy"] for c in st["chefs"]), 0, "busy stations when done")
		check_eq(st["malformed"], 0, "status malformed")
		for oid, n in ((a, 3), (b, 2)):
			r = k.show(oid)
			check_eq((r["order"], r["state"], len(r["dishes"])), (oid, "served", n), f"show --json {oid}")

		rc, out, err = k.ctl("status")
		check(rc == 0 and out.strip(), "human status should exit 0 and print something", rc, out, err)


main(test)
