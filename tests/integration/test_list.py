#!/usr/bin/env python3
"""`kitchenctl list` over 10,000 orders (issue 11, "The order book").

10,000 orders are placed by four `order --random 2500 --json --key K`
customers at once, in two batches a second apart (the first half before a
whole second S, the second from S + 1 on), with a dish that always fails
(Soup, KITCHEN_CHEF_FAULTS) among the random ones; what each customer was
told (ids, dishes) is the truth the list is held to. kitchend looks at no
more than 5000 orders a page (STORE_LIST_EXAMINE), so every filter here
spans pages that kitchenctl asks for in turn.

- list --limit 20000: every order, newest first, with its dishes, its key,
  its state (failed exactly when it holds Soup) and its dish counts;
- --limit 90 --after NEXT, page after page until "next" is null: the same
  orders, none twice;
- --dish (any case), --key, --state served/failed, --since S + 1 and
  --until S (ISO 8601, local time), --since with --dish: exactly the orders
  they name;
- open orders: with the chefs stopped (SIGSTOP), orders at a chef are
  cooking and the rest queued, as kitchend holds them (the store never
  says "cooking"), and their counts add up to STATUS's;
- delayed: an open order whose due time is ahead (written into the store
  while kitchend is stopped: ordering with a delay is not kitchend's yet);
  cancelled: an order cancelled (kitchenctl cancel);
- refusals: an unknown state, a time that is none, --after 0, --limit 0,
  a list option given to another verb (exit 2)."""

import os
import re
import signal
import sqlite3
import time

from harness import Kitchen, check, check_eq, main, menu, parse_json, poll

DISHES = ["Tea", "Toast", "Salad", "Soup"]
CUSTOMERS = 4
EACH = 1250        # orders a customer places, per batch


def place_batch(k, tag):
	"""Four customers at once; {order id: (dishes, key)} of what they were told."""
	procs = [k.ctl_popen("--json", "order", "--random", str(EACH), "--key", f"{tag}{c}")
		 for c in range(CUSTOMERS)]
	placed = {}
	for c, p in enumerate(procs):
		try:
			out, err = p.communicate(timeout=300)
		finally:
			if p.poll() is None:
				p.kill()
				p.wait()
		check_eq(p.returncode, 0, f"customer {tag}{c}: order --random {EACH} --json", err[-2000:])
		got = parse_json(out, f"customer {tag}{c}'s orders")["orders"]
		check_eq(len(got), EACH, f"customer {tag}{c}: orders placed")
		for n, o in enumerate(got, 1):
			placed[o["order"]] = (o["dishes"], f"{tag}{c}-{n}")
	return placed


def settled(k):
	st = k.status()
	return st if st["dishes"]["queued"] == 0 and st["dishes"]["cooking"] == 0 and st["orders"] == 0 else None


def listed(k, *args):
	"""`list --json` with @args: (orders, next)."""
	j = k.ctl_json("list", *args, timeout=60)
	check(set(j) == {"orders", "next"}, "list --json: its keys", j.keys())
	return j["orders"], j["next"]


def ids(orders):
	return [o["order"] for o in orders]


def iso(t):
	return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t))


def check_all(k, placed):
	everything, nxt = listed(k, "--limit", "20000")
	check_eq(nxt, None, "list --limit 20000: nothing left after it")
	check_eq(ids(everything), sorted(placed, reverse=True), "list: every order, newest first")
	for o in everything:
		dishes, key = placed[o["order"]]
		failed = "Soup" in dishes
		what = f"order {o['order']}"
		check_eq((o["dishes"], o["key"]), (dishes, key), f"{what}: dishes and key")
		check_eq(o["state"], "failed" if failed else "served", f"{what}: state", o)
		check_eq((o["queued"], o["cooking"], o["served"], o["failed"], o["cancelled"]),
			 (0, 0, len(dishes) - dishes.count("Soup"), dishes.count("Soup"), 0), f"{what}: counts", o)
		check(o["due_ms"] is None and o["created_ms"] > 1.7e12, f"{what}: due_ms and created_ms", o)
	return everything


def check_pages(k, everything):
	pages, after, seen = 0, None, []
	while True:
		args = ["--limit", "90"] + (["--after", str(after)] if after else [])
		orders, after = listed(k, *args)
		check(len(orders) == 90 or after is None, "a page of 90 unless the last", len(orders), after)
		seen += ids(orders)
		pages += 1
		check(pages <= 200, "paging should end", pages)
		if after is None:
			break
		check_eq(after, seen[-1], "next: the last order of the page")
	check_eq(seen, ids(everything), "pages of 90 followed by --after: every order once, in order")

	# Human output: one line per order, the cursor on stderr.
	rc, out, err = k.ctl("list", "--limit", "3")
	lines = out.splitlines()
	check(rc == 0 and len(lines) == 3 and lines[0].startswith(f"order {everything[0]['order']}  "),
	      "list --limit 3: three lines, newest first", rc, out, err)
	check_eq(err, f"kitchenctl: more orders: list --after {everything[2]['order']} (with the same filters)\n",
		 "list --limit 3: how to go on")


def check_filters(k, placed, first, second):
	def want(pred):
		return sorted((i for i, (d, key) in placed.items() if pred(i, d, key)), reverse=True)

	for name in ("Salad", "sOuP"):
		orders, nxt = listed(k, "--dish", name, "--limit", "20000")
		check_eq((ids(orders), nxt), (want(lambda i, d, key: name.title() in d), None), f"--dish {name}")
	key = next(iter(second.values()))[1]
	orders, _ = listed(k, "--key", key)
	check_eq(ids(orders), want(lambda i, d, kk: kk == key), f"--key {key}")
	check_eq(listed(k, "--key", "no-such-key")[0], [], "--key of no order")
	for state in ("served", "failed"):
		orders, _ = listed(k, "--state", state, "--limit", "20000")
		check_eq(ids(orders), want(lambda i, d, key: ("Soup" in d) == (state == "failed")), f"--state {state}")
		check(all(o["state"] == state for o in orders), f"--state {state}: their state")
	for state in ("queued", "cooking", "delayed", "cancelled"):
		check_eq(listed(k, "--state", state)[0], [], f"--state {state}: none, all are done")
	orders, _ = listed(k, "--state", "failed", "--limit", "5")
	check_eq(ids(orders), want(lambda i, d, key: "Soup" in d)[:5], "--state failed --limit 5")

	# The batches: the first ended before the whole second S, the second began at S + 1.
	s = k.boundary
	orders, _ = listed(k, "--since", iso(s + 1), "--limit", "20000")
	check_eq(ids(orders), sorted(second, reverse=True), f"--since {iso(s + 1)}: the second batch")
	orders, _ = listed(k, "--until", iso(s), "--limit", "20000")
	check_eq(ids(orders), sorted(first, reverse=True), f"--until {iso(s)}: the first batch")
	orders, _ = listed(k, "--since", f"@{s}", "--until", "1s", "--dish", "toast", "--limit", "20000")
	check_eq(ids(orders), sorted((i for i, (d, _) in second.items() if "Toast" in d), reverse=True),
		 "--since @S --until 1s --dish toast")
	orders, _ = listed(k, "--since", "1h", "--limit", "20000")
	check_eq(len(orders), len(placed), "--since 1h: every order")
	check_eq(listed(k, "--until", "2000-01-01")[0], [], "--until 2000-01-01: none")


def check_open(k):
	"""Chefs stopped: dishes at a chef are cooking, the rest queued."""
	pids = k.proc_chef_pids()
	for pid in pids:
		os.kill(pid, signal.SIGSTOP)
	try:
		mine = [k.order(*(["Tea"] * 150)) for _ in range(3)]
		st = poll(lambda: (lambda s: s if s["dishes"]["cooking"] > 0 and s["orders"] == 3 else None)(k.status()),
			  10, "dishes at the stopped chefs")
		cooking, _ = listed(k, "--state", "cooking")
		queued, _ = listed(k, "--state", "queued")
		st = k.status()
		check_eq(sorted(ids(cooking) + ids(queued)), mine, "the open orders: cooking or queued", cooking, queued)
		check(cooking, "an order at the stopped chefs is cooking", cooking, queued, st)
		check_eq(sum(o["cooking"] for o in cooking), st["dishes"]["cooking"], "dishes cooking, as STATUS counts them")
		check_eq(sum(o["queued"] for o in cooking + queued), st["dishes"]["queued"], "dishes queued, as STATUS counts them")
		check(all(o["cooking"] == 0 for o in queued), "a queued order has no dish at a chef", queued)
		top, _ = listed(k, "--limit", "3")
		check_eq(ids(top), sorted(mine, reverse=True), "open orders are listed among the others, newest first")
	finally:
		for pid in pids:
			os.kill(pid, signal.SIGCONT)
	poll(lambda: settled(k), 60, "the open orders to be done")
	check(all(o["state"] == "served" for o in listed(k, "--limit", "3")[0]), "served once the chefs go on")


def check_refusals(k):
	for args, words in ((["list", "--state", "burnt"], "invalid --state 'burnt'"),
			    (["list", "--since", "yesterday"], "invalid --since 'yesterday'"),
			    (["list", "--until", "2026-02-31"], "invalid --until '2026-02-31'"),
			    (["list", "--since", "2026"], "invalid --since '2026'"),
			    (["list", "--after", "0"], "invalid --after '0'"),
			    (["list", "--limit", "0"], "invalid --limit '0'"),
			    (["list", "--since", "1m", "--until", "1h"], "--since is after --until"),
			    (["list", "extra"], "too many arguments for 'list'"),
			    (["show", "1", "--dish", "Tea"], "--dish is an option of 'purge', 'list' and 'retry --failed', not of 'show'"),
			    (["status", "--key", "k"], "--key is an option of 'order' and 'list', not of 'status'")):
		rc, out, err = k.ctl(*args)
		check(rc == 2 and out == "" and words in err, f"kitchenctl {' '.join(args)}: a usage error", rc, out, err)


def check_delayed():
	"""An open order whose due time is ahead is delayed. kitchend orders with
	no delay yet, so the store is given one while kitchend is stopped; no
	chef cooks anything meanwhile."""
	with Kitchen(chefs={"local": 0}, chefs_ready=0) as k:
		now, later = k.order("Pizza"), k.order("Salad", "Pizza")
		gone = k.order("Pizza", "Pizza", "Salad")
		k.ctl_ok("cancel", str(gone))
		orders, _ = listed(k, "--state", "cancelled")
		check_eq([(o["order"], o["state"], o["queued"], o["cancelled"]) for o in orders], [(gone, "cancelled", 0, 3)],
			 "--state cancelled: the order cancelled")
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		due = int(time.time() * 1000) + 3600 * 1000
		db = sqlite3.connect(k.store_path())
		try:
			with db:
				db.execute("UPDATE orders SET due_ms = ? WHERE id = ?", (due, later))
		finally:
			db.close()
		k.start()
		orders, _ = listed(k, "--state", "delayed")
		check_eq([(o["order"], o["state"], o["due_ms"], o["queued"]) for o in orders], [(later, "delayed", due, 2)],
			 "--state delayed: the order due in an hour")
		check_eq(ids(listed(k, "--state", "queued")[0]), [now], "--state queued: the order due at once")
		check_eq(ids(listed(k, "--state", "cancelled")[0]), [gone], "--state cancelled, from the store")
		rc, out, err = k.ctl("list")
		check(rc == 0 and re.search(rf"^order {later}  \S+ \S+  delayed until {re.escape(iso(due / 1000).replace('T', ' '))}  "
					   r"2 dishes \(2 queued\): Salad, Pizza$", out, re.M),
		      "list: a delayed order says until when", rc, out, err)


def test():
	with Kitchen(chefs={"local": 2, "threads": 2}, log_level="info", dishes={"max_attempts": 1},
		     heartbeat={"liveness": 60}, env={"KITCHEN_CHEF_FAULTS": "Soup=fail"},
		     menu=menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]), ("Salad", ["Greens"]), ("Soup", ["Water"]))) as k:
		check_eq(k.ctl("list"), (0, "no orders\n", ""), "list of an empty store")
		first = place_batch(k, "a")
		poll(lambda: settled(k), 120, "the first batch to be done")
		# A whole second between the batches: S, then the second batch from S + 1 on.
		k.boundary = int(time.time()) + 1
		time.sleep(k.boundary + 1.05 - time.time())
		second = place_batch(k, "b")
		poll(lambda: settled(k), 120, "the second batch to be done")
		placed = {**first, **second}
		check_eq(len(placed), 2 * CUSTOMERS * EACH, "orders placed")

		everything = check_all(k, placed)
		check_pages(k, everything)
		check_filters(k, placed, first, second)
		check_refusals(k)
		check_open(k)
	check_delayed()


main(test)
