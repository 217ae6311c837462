#!/usr/bin/env python3
"""Chefs on other machines, over TCP with CURVE: a kitchen host and two chef
hosts, each a network namespace this test creates, with its own address and
host name, cabled to a bridge in a fourth namespace (the switch). kitchend
runs with no local chef; each chef host runs `chef --config` with its own key
pair, which is in kitchend's allowlist.

1. Orders are served on both hosts, and `kitchenctl chefs` lists each chef
   with its host.
2. Mid-run, chef host B's cable is pulled at the switch: the dishes B was
   cooking are dispatched again to A within the heartbeat window (plus slack
   for a busy machine), and everything is served.
3. The cable goes back in: B rejoins and cooks again.
Nothing is lost and nothing is served twice: kitchend's counters, every order
report and the SQLite store agree on exactly the dishes ordered, each served
once.

Every process runs inside one of the test's namespaces (ip netns exec);
nothing in the main namespace connects to their addresses (kitchenctl uses
kitchend's ipc control socket, from the kitchen host's namespace). The
namespaces and processes go away at the end, also on failure. Needs root;
skipped otherwise."""

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from harness import (CHEF, KITCHENCTL, KITCHEND, SCALE, TestSkip, check, check_eq, clean_env, conf_text,
		     main, note, poll, run, store_dishes)

NET = "10.77.1"
HOSTS = {"kitchen": f"{NET}.1", "a": f"{NET}.2", "b": f"{NET}.3"}
DISPATCH, SINK = f"tcp://{HOSTS['kitchen']}:7001", f"tcp://{HOSTS['kitchen']}:7002"
HEARTBEAT_MS, LIVENESS = 200, 3
WINDOW_S = HEARTBEAT_MS * LIVENESS / 1000   # silence after which a chef is dead
STATIONS = 2
COOK_MS = 100                               # a 5-ingredient dish takes about half a second
DISHES = ["Salad", "Pizza", "Spaghetti", "Chicken Stir Fry", "Chicken Biryani"]


class Lab:
	"""The namespaces, the processes in them, and the way out."""

	def __init__(self):
		self.prefix = f"kt{os.getpid()}"
		self.namespaces = []
		self.procs = {}
		self.dir = tempfile.mkdtemp(prefix="kitchen-mh-", dir="/tmp")
		self.runtime = os.path.join(self.dir, "runtime")
		self.state = os.path.join(self.dir, "state")
		self.keys = os.path.join(self.dir, "keys")
		self.allow = os.path.join(self.dir, "chefs.d")
		for d in (self.runtime, self.state, self.keys, self.allow):
			os.mkdir(d)
		self.control = f"ipc://{self.runtime}/control.sock"

	def ns(self, host):
		return f"{self.prefix}-{host}"

	def ip(self, *args):
		rc, out, err = run(["ip", *args])
		check(rc == 0, f"ip {' '.join(args)} failed", out, err)

	def build(self):
		for host in ("sw", *HOSTS):
			self.ip("netns", "add", self.ns(host))
			self.namespaces.append(self.ns(host))
			self.ip("-n", self.ns(host), "link", "set", "lo", "up")
		sw = self.ns("sw")
		self.ip("-n", sw, "link", "add", "br0", "type", "bridge")
		self.ip("-n", sw, "link", "set", "br0", "up")
		for host, addr in HOSTS.items():
			# The cable: "port-HOST" on the switch, eth0 on the host.
			self.ip("-n", sw, "link", "add", f"port-{host}", "type", "veth", "peer", "name", "eth0",
				"netns", self.ns(host))
			self.ip("-n", sw, "link", "set", f"port-{host}", "master", "br0")
			self.ip("-n", sw, "link", "set", f"port-{host}", "up")
			self.ip("-n", self.ns(host), "addr", "add", f"{addr}/24", "dev", "eth0")
			self.ip("-n", self.ns(host), "link", "set", "eth0", "up")

	def cable(self, host, up):
		self.ip("-n", self.ns("sw"), "link", "set", f"port-{host}", "up" if up else "down")

	def exec_argv(self, host, argv, hostname=None):
		"""@argv inside @host's namespace; with its own host name (UTS namespace) if given."""
		pre = ["ip", "netns", "exec", self.ns(host)]
		if hostname:
			pre += ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', hostname]
		return pre + argv

	def spawn(self, name, host, argv, hostname=None):
		"""Start a long-running process; ip, unshare and sh all exec it, so the PID is its own."""
		full = self.exec_argv(host, argv, hostname)
		log = open(os.path.join(self.dir, f"{name}.log"), "ab")
		p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=clean_env())
		log.close()
		note(f"$ {' '.join(full)} &  [pid {p.pid}]")
		self.procs[name] = p
		return p

	def ctl(self, *args, timeout=30):
		return run(self.exec_argv("kitchen", [KITCHENCTL, "--control", self.control, *args]),
			   timeout=timeout, env=clean_env())

	def ctl_json(self, *args):
		rc, out, err = self.ctl("--json", *args)
		check(rc == 0, f"kitchenctl {' '.join(args)} exited {rc}", out, err)
		return json.loads(out)

	def log(self, name):
		try:
			with open(os.path.join(self.dir, f"{name}.log"), "rb") as f:
				return f.read().decode("utf-8", "replace")
		except OSError:
			return ""

	def print_logs(self):
		for name in self.procs:
			tail = self.log(name).splitlines()[-120:]
			print(f"--- {name}.log (last {len(tail)} lines) ---", file=sys.stderr)
			for line in tail:
				print(line, file=sys.stderr)

	def teardown(self):
		for name, p in self.procs.items():
			if p.poll() is None:
				p.send_signal(signal.SIGKILL)
			try:
				p.wait(timeout=10)
			except subprocess.TimeoutExpired:
				print(f"{name} (pid {p.pid}) did not die", file=sys.stderr)
		for ns in reversed(self.namespaces):
			subprocess.run(["ip", "netns", "del", ns], stdin=subprocess.DEVNULL, capture_output=True)
		if os.environ.get("KITCHEN_TEST_KEEP"):
			print(f"kept {self.dir}", file=sys.stderr)
		else:
			shutil.rmtree(self.dir, ignore_errors=True)


def keygen(lab, name):
	rc, out, err = run(lab.exec_argv("kitchen", [KITCHENCTL, "keygen", name, "--dir", lab.keys]), env=clean_env())
	check(rc == 0, f"kitchenctl keygen {name} failed", out, err)


def configure(lab):
	keygen(lab, "kitchend")
	for host in ("a", "b"):
		keygen(lab, f"chef-{host}")
		# The operator's step: the chef's public key into kitchend's allowlist.
		shutil.copy(os.path.join(lab.keys, f"chef-{host}.pub"), lab.allow)
		with open(os.path.join(lab.dir, f"chef-{host}.conf"), "w") as f:
			f.write(conf_text({
				"dispatch": DISPATCH,
				"sink": SINK,
				"name": f"chef-{host}",
				"stations": STATIONS,
				"heartbeat": {"interval_ms": HEARTBEAT_MS, "liveness": LIVENESS},
				"log_level": "debug",
				"curve": {"server_key": os.path.join(lab.keys, "kitchend.pub"),
					  "secret_key": os.path.join(lab.keys, f"chef-{host}.key")},
			}))
	with open(os.path.join(lab.dir, "kitchen.conf"), "w") as f:
		f.write(conf_text({
			"log_level": "debug",
			"runtime_dir": lab.runtime,
			"state_dir": lab.state,
			"endpoints": {"dispatch": DISPATCH, "sink": SINK},
			"chefs": {"local": 0, "command": CHEF},
			"heartbeat": {"interval_ms": HEARTBEAT_MS, "liveness": LIVENESS},
			"timing": {"cook_ms": COOK_MS},
			"curve": {"secret_key": os.path.join(lab.keys, "kitchend.key"), "chefs_allow": lab.allow},
		}))


def ready_chefs(lab):
	return {c["name"]: c for c in lab.ctl_json("chefs") if c.get("state") == "ready"}


def order(lab, dishes):
	rc, out, err = lab.ctl("order", *dishes)
	check(rc == 0 and out.strip().isdigit(), "kitchenctl order failed", rc, out, err)
	return int(out)


def wait_served(lab, order_id, timeout=60):
	def done():
		r = lab.ctl_json("show", str(order_id))
		return r if r["state"] in ("served", "failed") else None
	report = poll(done, timeout, f"order {order_id} to be done", interval=0.1)
	check_eq(report["state"], "served", f"order {order_id}", report)
	return report


def many(n):
	return [DISHES[i % len(DISHES)] for i in range(n)]


def scenario(lab):
	lab.build()
	configure(lab)
	kitchend = lab.spawn("kitchend", "kitchen", [KITCHEND, "--config", os.path.join(lab.dir, "kitchen.conf")])

	def answers():
		check(kitchend.poll() is None, f"kitchend exited {kitchend.returncode}")
		return lab.ctl("--timeout", "500", "status")[0] == 0
	poll(answers, 10, "kitchend to answer")
	for host in ("a", "b"):
		lab.spawn(f"chef-{host}", host, [CHEF, "--config", os.path.join(lab.dir, f"chef-{host}.conf")],
			  hostname=f"host-{host}")
	chefs = poll(lambda: (lambda r: r if len(r) == 2 else None)(ready_chefs(lab)), 15,
		     "both remote chefs to join over CURVE")
	check_eq({n: (c["host"], c["local"], c["stations"]) for n, c in chefs.items()},
		 {"chef-a": ("host-a", False, STATIONS), "chef-b": ("host-b", False, STATIONS)},
		 "the chefs kitchenctl lists, with their hosts")
	orders = {}

	# 1. Served on both hosts.
	first = order(lab, many(12))
	orders[first] = 12
	report = wait_served(lab, first)
	check_eq({d["chef"] for d in report["dishes"]}, {"chef-a", "chef-b"}, "who cooked the first order")

	# 2. Pull B's cable while it cooks.
	second = order(lab, many(24))
	orders[second] = 24

	def b_cooking():
		r = lab.ctl_json("show", str(second))
		return [d["index"] for d in r["dishes"] if d["state"] == "cooking" and d["chef"] == "chef-b"]
	poll(b_cooking, 10, "chef-b to cook a dish of the second order", interval=0.02)
	lab.cable("b", up=False)
	t_cut = time.monotonic()
	stranded = b_cooking()  # what kitchend believes B holds: it can hear nothing more from B
	note(f"cable of host b pulled; dishes cooking at chef-b: {stranded}")
	check(stranded, "chef-b should hold a dish when its cable is pulled")

	def moved():
		r = lab.ctl_json("show", str(second))
		d = [r["dishes"][i] for i in stranded]
		return r if all(x["chef"] == "chef-a" and x["state"] in ("cooking", "served") for x in d) else None
	poll(moved, 20, "chef-b's dishes to go to chef-a", interval=0.05)
	took = time.monotonic() - t_cut
	# kitchend's own measure, free of kitchenctl's and the poll's delays on a busy machine.
	gone = re.findall(r"Chef chef-b is gone \(silent for (\d+) ms\); (\d+) dishes go back", lab.log("kitchend"))
	check_eq(len(gone), 1, "kitchend's lines saying chef-b is gone", lab.log("kitchend")[-2000:])
	silent_ms, back = int(gone[0][0]), int(gone[0][1])
	print(f"kitchend: chef-b gone after {silent_ms} ms of silence (window {WINDOW_S * 1000:.0f} ms); "
	      f"its {back} dishes were with chef-a {took:.2f} s after the cut")
	check(back >= len(stranded), "every dish chef-b held should go back to the queue", gone, stranded)
	limit_ms = (WINDOW_S * 1000 + 2 * HEARTBEAT_MS + 1000) * SCALE
	check(silent_ms <= limit_ms, f"chef-b was declared gone after {silent_ms} ms of silence, more than "
	      f"the heartbeat window {WINDOW_S * 1000:.0f} ms with slack ({limit_ms:.0f} ms)")
	check(took <= 10 * SCALE, f"chef-b's dishes reached chef-a only {took:.2f} s after the cut")
	check("chef-b" not in ready_chefs(lab), "chef-b should no longer be ready without its cable")
	report = wait_served(lab, second)
	for i in stranded:
		d = report["dishes"][i]
		check(d["chef"] == "chef-a" and d["attempts"] >= 2,
		      f"dish {i}, cooking at chef-b at the cut, should be served by chef-a on a later attempt", d)

	# 3. The cable goes back in: B rejoins (its back-off is at most 32 heartbeats) and cooks.
	lab.cable("b", up=True)
	t_back = time.monotonic()
	poll(lambda: "chef-b" in ready_chefs(lab), 30, "chef-b to rejoin after its cable is back", interval=0.1)
	print(f"chef-b rejoined {time.monotonic() - t_back:.2f} s after its cable was back")
	third = order(lab, many(16))
	orders[third] = 16
	report = wait_served(lab, third)
	check("chef-b" in {d["chef"] for d in report["dishes"]}, "chef-b should cook again after rejoining",
	      report["dishes"])

	# Nothing lost, nothing twice.
	total = sum(orders.values())
	st = lab.ctl_json("status")
	check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": total, "failed": 0, "cancelled": 0}, "kitchend's counters")
	check_eq(st["orders"], 0, "open orders")
	check("Refused" not in lab.log("kitchend"), "no chef of the allowlist should be refused",
	      [l for l in lab.log("kitchend").splitlines() if "Refused" in l][:5])

	kitchend.send_signal(signal.SIGTERM)
	check_eq(kitchend.wait(timeout=20 * SCALE), 0, "kitchend's exit status on SIGTERM")
	db = sqlite3.connect(f"file:{lab.state}/kitchen.db?mode=ro", uri=True)
	try:
		rows = store_dishes(f"{lab.state}/kitchen.db")
		check_eq(len(rows), total, "dish rows in the store")
		check_eq(len({(o, i) for o, i, *_ in rows}), total, "no dish row twice")
		expected = {(o, i, name) for o, n in orders.items() for i, name in enumerate(many(n))}
		check_eq({(o, i, name) for o, i, name, *_ in rows}, expected, "the dishes in the store, as ordered")
		check(all(s == 2 and a >= 1 for *_, s, a in rows), "every dish in the store served",
		      [r for r in rows if r[3] != 2][:5])
		check_eq(sorted(db.execute("SELECT id, dishes, done FROM orders").fetchall()),
			 sorted((o, n, 2) for o, n in orders.items()), "the orders in the store: done, served")
	finally:
		db.close()


def test():
	if os.geteuid() != 0:
		raise TestSkip("needs root to create network namespaces (ip netns add); run it as root")
	for tool in ("ip", "unshare"):
		check(shutil.which(tool), f"{tool} is not installed")
	lab = Lab()
	try:
		scenario(lab)
	except BaseException:
		lab.print_logs()
		raise
	finally:
		lab.teardown()


main(test)
