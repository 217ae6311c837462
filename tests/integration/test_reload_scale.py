#!/usr/bin/env python3
"""
A reload scales the local chefs while orders keep coming: 3 -> 5 (by
`kitchenctl reload`) -> 1 (by SIGHUP). The two new chefs join and cook, the
four retired ones exit, and every dish of every order placed along the way
is served: none lost, none failed, none cooked twice (a retired chef is
told to go once it holds no dish), the counters add up.
"""

import os
import re
import signal
import threading

from harness import CHEF, Kitchen, check, check_eq, conf_text, main, note, poll

TIMING = {"cook_ms": 20}  # a five-ingredient dish: ~100 ms
DISHES = ("Pizza", "Salad")


def write_config(k, chefs):
	with open(k.config, "w") as f:
		f.write(conf_text({
			"log_level": "debug",
			"runtime_dir": k.runtime_dir,
			"state_dir": k.state_dir,
			"chefs": {"command": CHEF, "local": chefs},
			"timing": TIMING,
		}))


class Feeder(threading.Thread):
	"""Places a two-dish order every @interval s until stopped."""

	def __init__(self, k, interval=0.1):
		super().__init__(daemon=True)
		self.k = k
		self.interval = interval
		self.ids = []
		self.errors = []
		self.halt = threading.Event()

	def run(self):
		while not self.halt.is_set():
			rc, out, err = self.k.ctl("order", *DISHES, quiet=True)
			if rc == 0 and out.strip().isdigit():
				self.ids.append(int(out))
			else:
				self.errors.append((rc, out, err))
			self.halt.wait(self.interval)

	def stop(self):
		self.halt.set()
		self.join(30)


def ready_chefs(k):
	return sorted(c["name"] for c in k.chefs() if Kitchen.chef_ready(c))


def test():
	with Kitchen(chefs={"local": 3}, timing=TIMING) as k:
		write_config(k, 3)
		feeder = Feeder(k)
		feeder.start()
		try:
			poll(lambda: len(feeder.ids) >= 5, 20, "the first orders")

			# 3 -> 5 by kitchenctl reload: two chefs join and cook.
			write_config(k, 5)
			k.ctl_ok("reload")
			placed_at_5 = len(feeder.ids)
			poll(lambda: ready_chefs(k) == [f"chef-{i}" for i in range(1, 6)], 20,
			     "chef-1 .. chef-5 ready")
			poll(lambda: len(k.proc_chef_pids()) == 5, 10, "5 chef processes")
			poll(lambda: all(c["served"] > 0 for c in k.chefs()
					 if c["name"] in ("chef-4", "chef-5")), 20,
			     "chef-4 and chef-5 to serve dishes")
			poll(lambda: len(feeder.ids) >= placed_at_5 + 5, 20, "orders while 5 chefs cook")

			# 5 -> 1 by SIGHUP: four chefs go, mid-dish or not.
			served_before = k.status()["dishes"]["served"]
			placed_before = len(feeder.ids)
			write_config(k, 1)
			note(f"$ kill -HUP {k.proc.pid}  # kitchend")
			os.kill(k.proc.pid, signal.SIGHUP)
			poll(lambda: ready_chefs(k) == ["chef-1"], 20, "chef-1 alone ready")
			poll(lambda: len(k.proc_chef_pids()) == 1, 20, "one chef process left")
			poll(lambda: k.status()["dishes"]["served"] > served_before + 5, 20,
			     "the one chef to go on serving")
			poll(lambda: len(feeder.ids) >= placed_before + 5, 20, "orders after the scale-down")
		finally:
			feeder.stop()

		check_eq(feeder.errors, [], "orders refused while scaling")
		for i in feeder.ids:
			report = k.wait_order(i, timeout=60)
			check_eq([d["state"] for d in report["dishes"]], ["served", "served"],
				 f"dishes of order {i}", report)
			# A retired chef finishes what it holds before it goes.
			check_eq([d["attempts"] for d in report["dishes"]], [1, 1],
				 f"attempts on the dishes of order {i}", report)
		st = k.status()
		check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": 2 * len(feeder.ids), "failed": 0, "cancelled": 0},
			 "dish counters at the end", st)
		check_eq(st["orders"], 0, "open orders at the end", st)
		log = k.log()
		for name in ("chef-2", "chef-3", "chef-4", "chef-5"):
			check(re.search(rf"{name} \(pid \d+\) exited with status 0: scaled down", log),
			      f"{name} should leave, scaled down, with status 0")


main(test)
