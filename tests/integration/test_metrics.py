#!/usr/bin/env python3
"""`kitchenctl metrics` (issue 13) against a real kitchend after a run with
served, failed and cancelled dishes, a WAIT and a follower:

- the text passes `promtool check metrics` (Debian package prometheus; the
  test is skipped, 77, only when promtool is missing), every sample belongs
  to a family with HELP and TYPE, histogram buckets are cumulative up to
  +Inf = _count;
- the text and --json say the same;
- the counters reconcile with `status --json` and with each other: dishes
  served, failed and cancelled as status counts them; queued and cooking;
  open orders; malformed messages; each chef's served as status says; the
  submit-to-served histogram counts every served dish, the queue wait
  histogram every dish handed over, the cooking histogram every attempt a
  chef answered; attempts begun = attempts ended + cooking;
- the WAIT and the follower are counted while they wait, and not after;
- a hostile peer's malformed messages are counted by socket (control,
  dispatch, sink), adding up to status's malformed."""

import os
import subprocess
import time

from harness import REPO, Kitchen, check, check_eq, main, menu, note, poll
from promtext import histogram_ok, parse_text, promtool_check, promtool_path

HOSTILE = os.path.abspath(os.environ.get("HOSTILE")
			  or os.path.join(REPO, "build", "tests", "integration", "hostile"))

MENU = menu(("Tea", ["Leaves"]), ("Soup", ["Water"]))
FAULTS = {"KITCHEN_CHEF_FAULTS": "Soup=fail"}
def metrics(k):
	return k.ctl_json("metrics")


def malformed_by_socket():
	check(os.access(HOSTILE, os.X_OK), f"hostile client {HOSTILE} is not built")
	with Kitchen(chefs={"local": 1}) as k:
		def agree():
			s1, m, s2 = k.status(), metrics(k), k.status()
			by_socket = m["kitchen_malformed_messages_total"]
			return by_socket if s1["malformed"] == s2["malformed"] == sum(by_socket.values()) else None

		for seed in (13, 14, 15):
			argv = [HOSTILE, "--control", k.control, "--dispatch", f"ipc://{k.runtime_dir}/dispatch.sock",
				"--sink", f"ipc://{k.runtime_dir}/sink.sock", "--seconds", "1", "--seed", str(seed)]
			note("$ " + " ".join(argv))
			p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
			# hostile itself sometimes dies of a libzmq assertion
			# (session_base.cpp: "Resource temporarily unavailable") as it
			# floods; what it sent until then still counts.
			note(f"  -> hostile exited {p.returncode}: {p.stderr.strip()[-300:]}")
			check(k.proc.poll() is None, "kitchend lives")
			by_socket = poll(agree, 10, "the malformed counts by socket to add up to status's")
			if all(by_socket[s] > 0 for s in ("control", "dispatch", "sink")):
				break
		for socket in ("control", "dispatch", "sink"):
			check(by_socket[socket] > 0, f"hostile's malformed messages on {socket} are counted", by_socket)


def test():
	promtool = promtool_path()
	started = time.time()
	with Kitchen(chefs={"local": 2, "threads": 2}, env=FAULTS, dishes={"max_attempts": 2}, menu=MENU) as k:
		before = metrics(k)
		check_eq(before["kitchen_dishes_total"], {"served": 0, "failed": 0, "cancelled": 0},
			 "a new kitchen served nothing")

		orders = [k.order("Tea", "Tea", "Soup"), k.order("Tea"), k.order(*["Tea"] * 5)]
		for o in orders:
			k.wait_order(o)
		delayed = k.order("--in", "1h", "Tea", "Tea")
		waiter = k.ctl_popen("wait", str(delayed))
		follower = k.ctl_popen("follow", str(delayed))
		try:
			waiting = poll(lambda: (lambda m: m if m["kitchen_clients_waiting"]["wait"] == 1 and
						m["kitchen_clients_waiting"]["follow_order"] == 1 else None)(metrics(k)),
				       10, "the WAIT and the follower to be counted")
			check_eq(waiting["kitchen_dishes_open"], {"queued": 2, "cooking": 0},
				 "the delayed order's dishes are queued", waiting)
			check_eq(waiting["kitchen_orders_open"], 1, "the delayed order is open", waiting)
			k.ctl_json("cancel", str(delayed))
			out, err = waiter.communicate(timeout=20)
			check_eq(waiter.returncode, 1, "wait of a cancelled order exits 1", out, err)
			out, err = follower.communicate(timeout=20)
		finally:
			for p in (waiter, follower):
				if p.poll() is None:
					p.kill()
					p.wait()
		poll(lambda: metrics(k)["kitchen_clients_waiting"] == {"wait": 0, "follow_order": 0, "follow_all": 0,
									  "follow_chefs": 0},
		     10, "nobody waits any more")

		text = k.ctl_ok("metrics")
		j = metrics(k)
		status = k.status()

	promtool_check(promtool, text, "kitchenctl metrics")

	samples, typed = parse_text(text)
	for name, kind in typed.items():
		check(kind in ("counter", "gauge", "histogram"), f"{name}: a known type", kind)
		check(not (kind == "counter") or name.endswith("_total"), f"counter {name} ends in _total")
		check(not (kind == "histogram") or name.endswith("_seconds"), f"histogram {name} is in seconds")
	# The text and --json agree on every plain family.
	for (name, labels), value in samples.items():
		if typed.get(name) in ("counter", "gauge") and name != "kitchen_chef_dishes_total":
			want = j[name] if not labels else j[name][labels[0][1]]
			check(abs(value - want) < 1e-6, f"{name}{dict(labels)}: text {value} = --json {want}")

	start = j["kitchen_start_time_seconds"]
	check(started - 5 <= start <= time.time(), "kitchend's start time is when it started", start, started)

	dishes = j["kitchen_dishes_total"]
	check_eq(dishes, {"served": 8, "failed": 1, "cancelled": 2}, "8 Teas served, the Soup failed, 2 cancelled")
	check_eq((status["dishes"]["served"], status["dishes"]["failed"], status["dishes"]["cancelled"]),
		 (dishes["served"], dishes["failed"], dishes["cancelled"]), "dishes: status and metrics", status, j)
	check_eq((status["dishes"]["queued"], status["dishes"]["cooking"]),
		 (j["kitchen_dishes_open"]["queued"], j["kitchen_dishes_open"]["cooking"]),
		 "queued and cooking: status and metrics")
	check_eq(status["orders"], j["kitchen_orders_open"], "open orders: status and metrics")
	check_eq(status["malformed"], sum(j["kitchen_malformed_messages_total"].values()),
		 "malformed messages: status and metrics")
	check_eq(j["kitchen_orders_admitted_total"], 4, "four orders")

	attempts = j["kitchen_attempts_total"]
	check_eq(attempts, {"served": 8, "failed": 2, "cancelled": 0, "timed_out": 0, "chef_lost": 0},
		 "attempts: 8 served, the Soup's two failed")
	check_eq(j["kitchen_dishes_handed_total"], sum(attempts.values()) + j["kitchen_dishes_open"]["cooking"],
		 "every attempt begun ended or is cooking")

	served = histogram_ok(samples, "kitchen_dish_served_seconds", j)
	check_eq(served, dishes["served"], "submit-to-served: one observation per dish served")
	waited = histogram_ok(samples, "kitchen_dish_queue_wait_seconds", j)
	check_eq(waited, j["kitchen_dishes_handed_total"], "queue wait: one observation per dish handed")
	cooked = histogram_ok(samples, "kitchen_dish_cooking_seconds", j)
	check_eq(cooked, attempts["served"] + attempts["failed"] + attempts["cancelled"],
		 "cooking: one observation per attempt a chef answered")
	commits = histogram_ok(samples, "kitchen_store_commit_seconds", j)
	check(commits >= 4, "at least a commit per order", commits)
	check(j["kitchen_store_commit_seconds"]["sum"] > 0, "commits take time")
	check(j["kitchen_store_bytes"] >= 4096 and j["kitchen_store_bytes"] % 512 == 0,
	      "the store's size is whole pages", j["kitchen_store_bytes"])
	check_eq(j["kitchen_store_full"], 0, "the disk is not full")

	chefs = {c["name"]: c for c in status["chefs"]}
	check_eq(j["kitchen_chefs"], len(chefs), "chefs on the line")
	per_chef = j["kitchen_chef_dishes_total"]
	check_eq(sorted(c["chef"] for c in per_chef), sorted(chefs), "a series per chef on the line", per_chef)
	for c in per_chef:
		check_eq(c["served"], chefs[c["chef"]]["served"], f"{c['chef']}: served as status says", c)
		check_eq((samples[("kitchen_chef_dishes_total", (("chef", c["chef"]), ("host", c["host"]),
								  ("outcome", "served")))],
			  samples[("kitchen_chef_dishes_total", (("chef", c["chef"]), ("host", c["host"]),
								  ("outcome", "failed")))]),
			 (c["served"], c["failed"]), f"{c['chef']}: text and --json")
	check_eq(sum(c["served"] for c in per_chef), attempts["served"], "the chefs' served add up")
	check_eq(sum(c["failed"] for c in per_chef), attempts["failed"], "the chefs' failed add up")

	malformed_by_socket()


main(test)
