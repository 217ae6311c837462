#!/usr/bin/env python3
"""Many `order --follow` clients at once (the reliability issue's defect 1).

An order placed with --follow is held until its follower has subscribed, so
the follower sees every stage; concurrent followers once made kitchend queue
such orders before they were committed, twice, and corrupt its counters.

First 50 followers started one after another without waiting, then 30 that
all start at the same moment (each blocks on a lock the test then releases),
each ordering five dishes on 4 chefs of 2 stations with cook_ms = 2. Every
follower must exit 0 having seen every stage of each of its dishes and one
O- Served line per dish; afterwards nothing is queued or cooking, every
dish is served exactly once, and kitchend stops cleanly (the harness checks
its exit status and, under ASan, its log)."""

import fcntl
import os
import re
import subprocess

from harness import DEFAULT_MENU, Kitchen, SCALE, check, check_eq, clean_env, main, note, poll, proc_state

INGREDIENTS = dict(DEFAULT_MENU)
DISHES = ["Pizza", "Salad", "Chicken Biryani", "Spaghetti", "Chicken Stir Fry"]
STAGE_RE = re.compile(r"^order (?P<order>\d+): (?P<dish>.+)#(?P<index>\d+) \[(?P<chef>[^\]]+)\] (?P<text>.+)$")


def stage_count(dish):
	return 1 + 3 * len(INGREDIENTS[dish])


def check_follower(p, what):
	try:
		out, err = p.communicate(timeout=90 * SCALE)
	except subprocess.TimeoutExpired:
		p.kill()
		out, err = p.communicate()
		check(False, f"{what}: still running after {90 * SCALE:g} s", out[-2000:], err[-2000:])
	check_eq(p.returncode, 0, f"{what}: exit status", err[-2000:])
	lines = out.splitlines()
	served = sorted(l for l in lines if l.startswith("O- "))
	check_eq(served, sorted(f"O- Served {d}" for d in DISHES), f"{what}: one O- Served line per dish")
	stages = {}
	for line in lines:
		m = STAGE_RE.match(line)
		if m:
			i = int(m.group("index")) - 1  # counted from 1
			check(m.group("dish") == DISHES[i], f"{what}: a stage line of a dish not ordered", line)
			stages[i] = stages.get(i, 0) + 1
	for i, d in enumerate(DISHES):
		check_eq(stages.get(i, 0), stage_count(d), f"{what}: stage lines of {d}#{i}")


def followers_one_after_another(k, n):
	procs = [k.ctl_popen("order", "--follow", *DISHES) for _ in range(n)]
	for i, p in enumerate(procs):
		check_follower(p, f"follower {i + 1} of {n}")


def followers_at_once(k, n):
	"""@n followers blocked on a lock the test holds, released together."""
	lock = os.path.join(k.dir, "start.lock")
	argv = k.ctl_argv(["order", "--follow", *DISHES])
	with open(lock, "w") as held:
		fcntl.flock(held, fcntl.LOCK_EX)
		procs = [subprocess.Popen(["flock", "--shared", lock, *argv], stdin=subprocess.DEVNULL,
					  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
					  env=clean_env())
			 for _ in range(n)]
		note(f"$ {n} x flock --shared {lock} kitchenctl ... order --follow ...")
		poll(lambda: all(proc_state(p.pid) == "S" for p in procs), 30,
		     "every follower to block on the lock")
	for i, p in enumerate(procs):
		check_follower(p, f"simultaneous follower {i + 1} of {n}")


def test():
	timing = {"cook_ms": 2}
	with Kitchen(chefs={"local": 4, "threads": 2}, timing=timing) as k:
		followers_one_after_another(k, 50)
		followers_at_once(k, 30)

		def settled():
			st = k.status()
			d = st["dishes"]
			return st if d["queued"] == 0 and d["cooking"] == 0 and st["orders"] == 0 else None

		st = poll(settled, 30, "nothing queued, cooking or open")
		check_eq((st["dishes"]["served"], st["dishes"]["failed"]), (80 * len(DISHES), 0), "dishes served and failed in all")


main(test)
