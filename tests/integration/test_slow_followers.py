#!/usr/bin/env python3
"""Followers that stop reading cost kitchend a bounded amount (the
reliability issue's defect 12), and learn what they missed.

Five subscribers to every event (hostile --stalled-follower: a SUB that holds
one message) stop reading for 2 s while 2,100 followed dishes (cook_ms 2,
about 5 s of cooking) make about 36,000 events. kitchend holds at most
PROTO_EVENTS_BACKLOG (1000) events for each and drops the rest for it: its
memory may not grow by more than RSS_GROWTH_MAX_KIB (before, it held every
event: about 65 MB a subscriber). When they read again, while the dishes
still cook, each sees gaps in its events' seq: it knows it missed some. A
follower that reads keeps getting every event meanwhile."""

import os
import re
import subprocess
import time

from harness import REPO, SCALE, Kitchen, check, check_eq, main, measure_memory, note, poll, proc_status

HOSTILE = os.path.abspath(os.environ.get("HOSTILE")
			  or os.path.join(REPO, "build", "tests", "integration", "hostile"))
FOLLOWERS = 5
ORDERS, DISHES = 14, 150
RSS_GROWTH_MAX_KIB = 20 * 1024




def test():
	measure_memory()
	with Kitchen(chefs={"local": 2, "threads": 2}, timing={"cook_ms": 2}) as k:
		stall = 2
		procs = [subprocess.Popen([HOSTILE, "--stalled-follower", "--events", k.events, "--seconds", str(stall)],
					  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
			 for _ in range(FOLLOWERS)]
		note(f"$ {FOLLOWERS} x hostile --stalled-follower --events {k.events} --seconds {stall}")
		try:
			# Each says "ready" once an event reached it: subscribed for sure.
			for i, p in enumerate(procs):
				def ready():
					k.ctl_ok("order", "Salad")
					return True
				deadline = time.monotonic() + 20 * SCALE
				line = ""
				os.set_blocking(p.stdout.fileno(), False)
				while not line and time.monotonic() < deadline:
					ready()
					time.sleep(0.05)
					line = p.stdout.readline()
				check_eq(line.strip(), "ready", f"stalled follower {i + 1}: subscribed")
				os.set_blocking(p.stdout.fileno(), True)

			pid = k.proc.pid
			before = proc_status(pid, "VmRSS")
			peak = before
			for _ in range(ORDERS):
				k.ctl_ok("order", *(["Salad"] * DISHES))
				peak = max(peak, proc_status(pid, "VmRSS"))
			# A follower that reads, meanwhile, sees every stage of its dish.
			rc, out, err = k.ctl("order", "--follow", "Pizza")
			check_eq(rc, 0, "order --follow beside the stalled followers", err)
			check_eq(len([l for l in out.splitlines() if re.match(r"order \d+: Pizza#1 ", l)]), 16,
				 "stage lines of a Pizza", out)

			def all_served():
				nonlocal peak
				peak = max(peak, proc_status(pid, "VmRSS"))
				d = k.status()["dishes"]
				return d if d["queued"] == 0 and d["cooking"] == 0 else None

			poll(all_served, 60, "every dish served", interval=0.05)
			note(f"  kitchend VmRSS: {before} KiB before, {peak} KiB peak")
			check(peak - before < RSS_GROWTH_MAX_KIB,
			      f"kitchend grew by {peak - before} KiB for {FOLLOWERS} followers that do not read")

			for i, p in enumerate(procs):
				out, err = p.communicate(timeout=(stall + 60) * SCALE)
				check_eq(p.returncode, 0, f"stalled follower {i + 1}: exit status", err)
				counts = dict(line.split() for line in out.splitlines() if " " in line)
				note(f"  stalled follower {i + 1}: {counts}")
				check(int(counts["gaps"]) > 0, f"stalled follower {i + 1} should see gaps in seq", counts)
				check(int(counts["events"]) < ORDERS * DISHES * 16,
				      f"stalled follower {i + 1} got every event: none was dropped", counts)
		finally:
			for p in procs:
				if p.poll() is None:
					p.kill()
					p.wait()


main(test)
