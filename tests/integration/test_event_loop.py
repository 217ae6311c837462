#!/usr/bin/env python3
"""The event-loop chef (chefs.model = "event-loop", chef --model event-loop):
many waiting dishes on one cooking thread (issue 12, chef(8)).

- overlap: 200 one-ingredient dishes of cook_ms 3000 (x SCALE), in two
  orders due at the same second (--at), are all cooking at once on a chef
  of 1000 slots (its busy count in chefs --json reaches 200), then all are
  served;
- threads: with 1,000 dishes waiting in that chef (8 ingredients: 24 s
  each), /proc/PID/task counts the four threads chef(8) documents (main,
  the loop, libzmq's two); then all 1,000 are cancelled, and end so;
- cancel of a waiting dish ends it cancelled at once, not after cook_ms;
- programs on the loop: echo of the input, exit 3 with its reason, a hang
  ended by the recipe's time-out (no process of it left);
- kill -9 of the event-loop chef while it holds a dish: the dish is served
  by another chef (here a second event-loop chef started from a chef.conf
  with model and slots), on a second attempt;
- bad configuration: model = "fibers" and slots = 0 are refused with
  FILE:LINE, by chef --config and by kitchend --check-config.
"""

import os
import re
import signal
import tempfile
import time

import harness
from harness import (CHEF, KITCHEND, SCALE, Kitchen, check, check_eq, clean_env, main, note, pids_mentioning,
		     poll, run)

COOK_MS = int(3000 * SCALE)


def chef_of(k, name):
	return next(c for c in k.chefs() if c["name"] == name)


def busy_reaches(k, name, n, timeout=15):
	return poll(lambda: (lambda c: c if c.get("busy", 0) >= n else None)(chef_of(k, name)), timeout,
		    f"{name} to hold {n} dishes at once")


def order_many(k, n, dish="Tea", at=()):
	"""@n dishes in orders of 100 (an order holds at most 150): their ids."""
	return [k.order(*([dish] * min(100, n - i)), *at) for i in range(0, n, 100)]


def all_served(k, orders):
	for o in orders:
		check_eq(k.wait_order(o, timeout=30)["state"], "served", f"order {o}")


def threads(pid):
	return len(os.listdir(f"/proc/{pid}/task"))


def overlap(k):
	"""Both orders due at once, whatever the ordering takes (slow under a sanitizer)."""
	due = int(time.time() + 1 + 2 * SCALE)
	t0 = time.monotonic()
	orders = order_many(k, 200, at=("--at", time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(due))))
	c = busy_reaches(k, "chef-1", 200)
	note(f"chef-1 holds {c['busy']} dishes, {threads(c['pid'])} threads")
	all_served(k, orders)
	elapsed = time.monotonic() - t0
	print(f"200 dishes of {COOK_MS} ms on one event-loop chef: {elapsed:.2f} s")


def thread_count(k):
	orders = order_many(k, 1000, "Stew")
	c = busy_reaches(k, "chef-1", 1000)
	n = threads(c["pid"])
	print(f"1000 dishes waiting in one event-loop chef: {n} threads")
	check_eq(n, 4, "threads of an event-loop chef holding 1000 dishes (main, loop, libzmq's two)")
	for o in orders:
		k.ctl_json("cancel", str(o))
	for o in orders:
		check_eq(k.wait_order(o, timeout=30)["state"], "cancelled", f"order {o} of Stews")
	poll(lambda: chef_of(k, "chef-1").get("busy") == 0 or None, 10, "chef-1 to let go of every Stew")


def cancel(k):
	order = k.order("Tea")
	poll(lambda: k.show(order)["dishes"][0]["state"] == "cooking" or None, 10, "the Tea to be cooking")
	t0 = time.monotonic()
	k.ctl_json("cancel", str(order))
	report = poll(lambda: (lambda r: r if r["state"] == "cancelled" else None)(k.show(order)), 10,
		      "the cancelled Tea to end")
	elapsed = time.monotonic() - t0
	check(elapsed < COOK_MS / 1000, f"a cancel of a waiting dish took {elapsed:.2f} s", report)


def programs(k, bin_dir):
	rc, out, err = k.ctl("order", "Echo", "--input", "-x y", "--wait", "--output")
	check_eq((rc, out), (0, "chef-1|-x y|-x y"), "Echo's output on the event loop", err)
	report = k.wait_order(k.order("Fail"))
	dish = report["dishes"][0]
	check(dish["state"] == "failed" and "exit 3: no such file" in dish.get("reason", ""),
	      "Fail fails with its exit and last stderr line", report)
	report = k.wait_order(k.order("Hang"), timeout=30)
	dish = report["dishes"][0]
	check(dish["state"] == "failed" and "timed out after 1000 ms" in dish.get("reason", ""),
	      "Hang fails timed out", report)
	poll(lambda: not pids_mentioning(os.path.join(bin_dir, "hang.sh")) or None, 10,
	     "no process of hang.sh left")


def killed(k, conf_dir):
	conf = os.path.join(conf_dir, "backup.conf")
	with open(conf, "w") as f:
		f.write('model = "event-loop";\nslots = 5;\n')
	k.start_chef("backup", config=conf)
	poll(lambda: any(c["name"] == "backup" and c.get("stations") == 5 for c in k.chefs()) or None, 10,
	     "the backup chef of 5 slots to join")
	pid = chef_of(k, "chef-1")["pid"]
	order = None
	for _ in range(20):  # the dish must go to chef-1, not to the backup
		o = k.order("Tea")
		dish = poll(lambda: (lambda d: d if d["state"] == "cooking" else None)(k.show(o)["dishes"][0]),
			    10, "a Tea to be cooking")
		if dish["chef"] == "chef-1":
			order = o
			break
		k.wait_order(o)
	check(order is not None, "no Tea went to chef-1 in 20 orders")
	os.kill(pid, signal.SIGKILL)
	report = k.wait_order(order, timeout=30)
	d = report["dishes"][0]
	check_eq((report["state"], d.get("result")), ("served", "Served Tea"), "the Tea after kill -9 of its chef")
	check(d.get("attempts", 0) >= 2, "a second attempt", d)


def bad_config(conf_dir):
	for text, line, why in (('model = "fibers";\n', 1, "fibers"), ('name = "x";\nslots = 0;\n', 2, "slots")):
		path = os.path.join(conf_dir, "bad.conf")
		with open(path, "w") as f:
			f.write(text)
		rc, out, err = run([CHEF, "--config", path], timeout=10, env=clean_env())
		check(rc != 0 and f"{path}:{line}" in err and why in err,
		      f"chef --config refuses {text.strip()!r} with FILE:LINE", rc, err)
		kconf = os.path.join(conf_dir, "kitchen-bad.conf")
		with open(kconf, "w") as f:
			f.write("chefs = {\n" + text.replace("name = \"x\";\n", "").replace("\n", "\n", 1) + "};\n")
		rc, out, err = run([KITCHEND, "--check-config", "--config", kconf], timeout=10, env=clean_env())
		check(rc != 0 and f"{kconf}:2" in err and why in err,
		      f"kitchend --check-config refuses chefs.{text.strip()!r} with FILE:LINE", rc, err)


SCRIPTS = {
	"echo.sh": 'printf "%s|%s|" "$KITCHEN_CHEF" "$2"; cat\n',
	"fail.sh": "echo first >&2\necho no such file >&2\nexit 3\n",
	"hang.sh": "while :; do sleep 0.1; done\n",
}


def test():
	with tempfile.TemporaryDirectory(prefix="kitchen-el-", dir="/tmp") as bin_dir:
		for name, body in SCRIPTS.items():
			path = os.path.join(bin_dir, name)
			with open(path, "w") as f:
				f.write("#!/bin/sh\n" + body)
			os.chmod(path, 0o755)
		bad_config(bin_dir)
		s = lambda n: os.path.join(bin_dir, n)
		with Kitchen(chefs={"local": 1, "model": "event-loop", "slots": 1000},
			     timing={"prep_ms": 0, "cook_ms": COOK_MS, "season_ms": 0},
			     menu=[{"name": "Tea", "ingredients": ["Leaves"]},
				   {"name": "Stew", "ingredients": [f"Veg{i}" for i in range(8)]},
				   {"name": "Echo", "run": [s("echo.sh"), "--", "{input}"]},
				   {"name": "Fail", "run": [s("fail.sh")]},
				   {"name": "Hang", "run": [s("hang.sh")], "timeout": "1s"}]) as k:
			c = k.chefs()[0]
			check_eq(c.get("stations"), 1000, "chefs --json: an event-loop chef of 1000 slots", c)
			overlap(k)
			thread_count(k)
			cancel(k)
			programs(k, bin_dir)
			killed(k, bin_dir)


main(test)
