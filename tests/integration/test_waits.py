#!/usr/bin/env python3
"""WAITS: one long poll for a run of consecutive orders, as `order --wait`
sends it for text output.

Real kitchend and chefs; raw requests through `hostile --request`, then
kitchenctl.

- Orders served, failed (a program that exits 1) and of two dishes, and an
  id past the last: one reply, a packed group (order_id state dishes) for
  each id in order, "unknown" with 0 dishes for the id that is no order.
- With no chef, a WAITS is answered when its time is up, every order still
  queued; a cancelled order is then answered at once, "cancelled".
- A first id of 0, 0 orders, 401 orders, a word for a number: ERR
  bad-request, and kitchend keeps answering.
- kitchenctl order --random 60 --wait over a menu with a failing program:
  every order's line says what show says of it (the failed ones with
  their reason, which a WAITS does not carry: kitchenctl asks a WAIT for
  it), exit status 1.
- kitchenctl order --random 3000 --wait: 3,000 lines, each order served
  once, in the order of ordering, asked in WAITS (kitchend's debug lines
  count them).
"""

import os
import re
import time

from harness import CHEF, Kitchen, check, check_eq, main, menu, packed_group, run

HOSTILE = os.environ.get("HOSTILE") or os.path.join(os.path.dirname(CHEF), "tests", "integration", "hostile")
MENU = menu(("Tea", ["Leaves"]), ("Toast", ["Bread"])) + [{"name": "Fail", "run": ["/bin/false"]}]


def request(k, cmd, *fields):
	"""Send @cmd with @fields as they are: the reply's lines."""
	rc, out, err = run([HOSTILE, "--control", k.control, "--request", cmd, "--", *fields])
	check_eq(rc, 0, f"hostile --request {cmd}: exit status", out, err)
	return out.rstrip("\n").split("\n")


def place(k, *groups):
	"""ORDERS of @groups (order, dish): the first id."""
	reply = request(k, "ORDERS", "", "5", "0", *[packed_group(o, d, "") for o, d in groups])
	check_eq(reply[0], "OK", "ORDERS answered", reply)
	return int(reply[1])


def waits(k, first, n, timeout_ms):
	reply = request(k, "WAITS", str(first), str(n), str(timeout_ms))
	check_eq(reply[0], "OK", "WAITS answered", reply)
	return [tuple(line.split("\t")) for line in reply[1:]]


def test():
	with Kitchen(menu=MENU) as k:
		first = place(k, ("0", "Tea"), ("1", "Tea"), ("2", "Fail"), ("3", "Tea"), ("3", "Toast"))
		got = waits(k, first, 5, 20000)
		want = [(str(first), "served", "1"), (str(first + 1), "served", "1"), (str(first + 2), "failed", "1"),
			(str(first + 3), "served", "2"), (str(first + 4), "unknown", "0")]
		check_eq(got, want, "WAITS: each order's state and dishes, in id order")
		for i, (_, state, _) in enumerate(want[:4]):
			check_eq(k.show(first + i)["state"], state, f"show of order {first + i}")

		for fields, what in ((("0", "1", "100"), "a first id of 0"),
				     ((str(first), "0", "100"), "0 orders"),
				     ((str(first), "401", "100"), "401 orders"),
				     (("x", "1", "100"), "a word for an id"),
				     ((str(first), "1"), "two fields")):
			reply = request(k, "WAITS", *fields)
			check_eq(reply[:2], ["ERR", "bad-request"], f"WAITS with {what}", reply)
		check_eq(k.status()["store"], "ok", "kitchend answers after the bad WAITS")

		# A failing program among them: its reason is told, as show has it.
		rc, out, err = k.ctl("order", "--random", "60", "--wait", timeout=120)
		check_eq(rc, 1, "order --random 60 --wait with failing dishes: exit status", err[-500:])
		outcomes = {int(m.group(3)): (m.group(1), m.group(2)) for m in
			    (re.match(r"O- (Served|Failed) (\w+) \[order (\d+)\]", ln) for ln in out.splitlines())
			    if m}
		check_eq(len(outcomes), 60, "one outcome line for each of the 60 orders", out[-800:])
		failed = [oid for oid, (what, _) in outcomes.items() if what == "Failed"]
		check(failed and len(failed) < 60, "some orders failed, some were served", outcomes)
		for oid, (what, dish) in outcomes.items():
			report = k.show(oid)
			check_eq((what.lower(), dish), (report["state"], report["dishes"][0]["name"]), f"order {oid}")
		failed_lines = [ln for ln in out.splitlines() if ln.startswith("O- Failed")]
		check(all(re.search(r"O- Failed Fail \[order \d+\]: .*exit 1", ln) for ln in failed_lines),
		      "a failed order's line has its reason", failed_lines[:5])

	# Through kitchenctl: text output waits with WAITS, every order told in turn.
	with Kitchen(menu=MENU[:2], log_level="debug") as k:
		rc, out, err = k.ctl("order", "--random", "3000", "--wait", timeout=120)
		check_eq(rc, 0, "order --random 3000 --wait: exit status", err[-500:])
		lines = out.splitlines()
		told = [re.match(r"O- Served (.+) \[order (\d+)\]$", ln) for ln in lines if ln.startswith("O- ")]
		ordered = [ln[len("I- Ordered "):] for ln in lines if ln.startswith("I- Ordered ")]
		check_eq(len(told), 3000, "order --random 3000 --wait: one outcome line an order")
		check_eq(len({int(m.group(2)) for m in told if m}), 3000, "3,000 orders told, each once")
		check_eq([m.group(1) if m else None for m in told], ordered, "outcomes in the order of ordering")
		asked = len(re.findall(r"WAITS for orders \d+ to \d+", k.log()))
		check(0 < asked <= 300, "kitchenctl waited with WAITS, many orders in each", asked)


	with Kitchen(chefs={"local": 0}, menu=MENU) as k:
		first = place(k, ("0", "Tea"), ("1", "Toast"))
		start = time.monotonic()
		got = waits(k, first, 2, 400)
		took = time.monotonic() - start
		check_eq(got, [(str(first), "queued", "1"), (str(first + 1), "queued", "1")],
			 "WAITS with no chef: queued")
		check(took >= 0.35, "a WAITS of orders not done is held for its time-out", took)
		k.ctl_ok("cancel", str(first))
		start = time.monotonic()
		check_eq(waits(k, first, 1, 20000), [(str(first), "cancelled", "1")], "WAITS of a cancelled order")
		check(time.monotonic() - start < 10, "a WAITS of orders done is answered at once")


main(test)
