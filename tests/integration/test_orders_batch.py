#!/usr/bin/env python3
"""ORDERS: many orders in one request, as `kitchenctl order --random N` sends them.

Real kitchend and chefs; raw requests through `hostile --request`. An ORDERS
is taken whole (consecutive ids, one reply: first id, orders, dishes) or
refused whole, with nothing stored: a dish off the menu, a malformed order
number, too many dishes, more dishes than orders.max_queued lets in. A
multi-dish order inside one request keeps its dishes together. kitchenctl
places 5,000 random customers in ORDERS, the same ids as before (one a line,
in order), every dish served; `--wait` waits for all of them with its window
of WAITs. Killed with SIGKILL right after the reply, kitchend has every
acknowledged order on restart (the OK came after the commit)."""

import os
import re

from harness import CHEF, Kitchen, check, check_eq, main, packed_group, poll, run

HOSTILE = os.environ.get("HOSTILE") or os.path.join(os.path.dirname(CHEF), "tests", "integration", "hostile")


def orders(k, *groups, flags="", priority="5", due="0"):
	"""Send ORDERS of @groups (order, dish, input), a frame each: its reply's lines."""
	fields = [flags, priority, due] + [packed_group(*g) for g in groups]
	rc, out, err = run([HOSTILE, "--control", k.control, "--request", "ORDERS", "--", *fields])
	check_eq(rc, 0, "hostile --request ORDERS: exit status", out, err)
	return out.rstrip("\n").split("\n")


def counts(k):
	st = k.status()
	return st["orders"], sum(st["dishes"].values())


def refused(k, what, code, words, *groups):
	before = counts(k)
	reply = orders(k, *groups)
	check(reply[:2] == ["ERR", code] and words in reply[2], f"{what}: ERR {code}, '{words}'", reply)
	check_eq(counts(k), before, f"{what}: nothing stored")


def test():
	with Kitchen() as k:
		# Two one-dish orders and one of two dishes: consecutive ids, said at once.
		reply = orders(k, ("0", "Pizza", ""), ("1", "salad", "x"), ("2", "Pizza", ""), ("2", "Spaghetti", "y"))
		check(len(reply) == 4 and reply[0] == "OK" and reply[2:] == ["3", "4"], "ORDERS of 3 orders: OK first 3 4",
		      reply)
		first = int(reply[1])
		got = [k.wait_order(first + i) for i in range(3)]
		check_eq([[d["name"] for d in o["dishes"]] for o in got], [["Pizza"], ["Salad"], ["Pizza", "Spaghetti"]],
			 "each order's dishes, in the menu's spelling")
		check(all(o["state"] == "served" for o in got), "every order served", got)

		refused(k, "a dish off the menu among good ones", "unknown-dish", "'Lasagna' is not on the menu",
			("0", "Pizza", ""), ("1", "Lasagna", ""), ("2", "Salad", ""))
		refused(k, "order numbers that skip", "bad-request", "dish 2 of the request: its order number",
			("0", "Pizza", ""), ("2", "Salad", ""))
		refused(k, "order numbers that start at 1", "bad-request", "dish 1 of the request",
			("1", "Pizza", ""))
		refused(k, "an order number that is not a number", "bad-request", "dish 1 of the request",
			("x", "Pizza", ""))
		refused(k, "401 dishes", "bad-request", "at most 400 dishes", *[(str(i), "Pizza", "") for i in range(401)])
		refused(k, "an order of 151 dishes", "bad-request", "order 2 of the request: an order holds at most 150",
			("0", "Pizza", ""), *[("1", "Pizza", "")] * 151)
		reply = orders(k, ("0", "Pizza", ""), flags="rush")
		check(reply[:2] == ["ERR", "bad-request"], "unknown flags refused", reply)

	# Beyond orders.max_queued, refused whole; no chef, so the queue holds still.
	with Kitchen(chefs={"local": 0}, orders={"max_queued": 300}) as k:
		reply = orders(k, *[(str(i), "Pizza", "") for i in range(200)])
		check(reply[0] == "OK" and reply[2:] == ["200", "200"], "200 orders queued with no chef", reply)
		refused(k, "101 more dishes than orders.max_queued lets in", "full", "the kitchen is full",
			*[(str(i), "Salad", "") for i in range(101)])
		reply = orders(k, *[(str(i), "Salad", "") for i in range(100)])
		check(reply[0] == "OK" and reply[2:] == ["100", "100"], "exactly up to orders.max_queued: taken", reply)

		# Acknowledged means stored: SIGKILL right after the OK, all 300 are there.
		k.kill()
		k.start()
		check_eq(k.status()["dishes"]["queued"], 300, "the 300 acknowledged dishes after SIGKILL and restart")

	with Kitchen() as k:
		rc, out, err = k.ctl("order", "--random", "5000", timeout=120)
		ids = [int(x) for x in out.split()]
		# 16 requests in flight may reach kitchend out of turn: each has ids in a row.
		check(rc == 0 and len(ids) == 5000 and sorted(ids) == list(range(min(ids), min(ids) + 5000)),
		      "order --random 5000: 5000 ids, one a line, none twice and none missing", rc, out[-200:], err)
		requests = [ids[j:j + 256] for j in range(0, 5000, 256)]
		check(all(r == list(range(r[0], r[0] + len(r))) for r in requests),
		      "the orders of one request numbered in a row", ids[:20])
		poll(lambda: k.status()["dishes"]["served"] == 5000, 60, "all 5000 dishes served")
		rc, out, err = k.ctl("order", "--random", "3000", "--wait", timeout=120)
		lines = out.splitlines()
		served = [l for l in lines if l.startswith("O- Served ")]
		check(rc == 0 and len([l for l in lines if l.startswith("I- Ordered ")]) == 3000 and len(served) == 3000,
		      "order --random 3000 --wait: 3000 ordered, 3000 served lines", rc, out[-300:], err)
		nums = [int(re.search(r"\[order (\d+)\]$", l)[1]) for l in served]
		check(len(set(nums)) == 3000, "a served line for each order", nums[:10])
		check(re.fullmatch(r"kitchenctl: 3000 orders of 3000 dishes accepted: ids \d+ to \d+\n", err),
		      "one line for the orders accepted", err)
		check_eq(k.status()["dishes"]["served"], 8000, "8000 served in all")


main(test)
