#!/usr/bin/env python3
"""prune-latency — what pruning a big backlog costs the loop (issue 11).

Makes a store of N finished one-dish orders (finished two days ago) with
sqlite3, then runs bench-kitchen-load's latency scenario (one-dish orders
at RATE a second, open loop, each followed by a WAIT) against kitchend on
it twice: with history.keep = "forever" (nothing is pruned: the
reference), and with history.keep = "1s" (the whole backlog is pruned
meanwhile). Prints both latencies, how long the backlog took to go, and
the sizes of kitchen.db and its -wal. Not a test: it judges nothing.

	bench/prune-latency.py [--orders 200000] [--rate 200] [--count 3000] [--build build]
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sizes(state):
	out = []
	for name in ("kitchen.db", "kitchen.db-wal"):
		p = os.path.join(state, name)
		out.append(os.path.getsize(p) if os.path.exists(p) else 0)
	return out


def write_config(path, d, build, keep):
	with open(path, "w") as f:
		f.write(f'log_level = "info";\nruntime_dir = "{d}/run";\nstate_dir = "{d}/state";\n'
			f'chefs = {{ command = "{build}/chef"; local = 2; }};\n'
			f'history = {{ keep = "{keep}"; }};\n')


def start(build, conf, d):
	log = open(os.path.join(d, "kitchend.log"), "ab")
	p = subprocess.Popen([f"{build}/kitchend", "--config", conf], stdout=log, stderr=log,
			     stdin=subprocess.DEVNULL)
	ep = f"ipc://{d}/run/control.sock"
	deadline = time.monotonic() + 60
	while time.monotonic() < deadline:
		r = subprocess.run([f"{build}/bench/bench-kitchen-load", "status", ep, "--timeout-ms", "500"],
				   capture_output=True, text=True)
		if r.returncode == 0 and json.loads(r.stdout).get("ready", 0) >= 2:
			return p, ep
		time.sleep(0.1)
	p.kill()
	sys.exit("kitchend did not get ready")


def stop(p):
	p.send_signal(signal.SIGTERM)
	p.wait(timeout=60)


def fill(state, n):
	db = sqlite3.connect(os.path.join(state, "kitchen.db"))
	old = int(time.time() * 1000) - 2 * 86400 * 1000
	base = db.execute("SELECT IFNULL(MAX(id), 0) FROM orders").fetchone()[0] + 1
	dish = db.execute("SELECT IFNULL(MAX(first_dish + dishes), 1) FROM orders").fetchone()[0]
	with db:
		db.executemany("INSERT INTO orders(id, key, created_ms, dishes, first_dish, done, names, finished_ms) "
			       "VALUES (?, NULL, ?, 1, ?, 2, 'Pizza', ?)",
			       ((base + i, old, dish + i, old + i) for i in range(n)))
		db.executemany("INSERT INTO dishes(id, state, attempts, chef, result, detail) "
			       "VALUES (?, 2, 1, 'chef-1', 'Served Pizza', "
			       "'Flour\nYeast\nTomato Sauce\nMozzarella Cheese\nPepperoni\n')",
			       ((dish + i,) for i in range(n)))
	db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
	db.close()


def count_orders(state):
	db = sqlite3.connect(f"file:{state}/kitchen.db?mode=ro", uri=True)
	try:
		return db.execute("SELECT count(*) FROM orders").fetchone()[0]
	finally:
		db.close()


def run(args, build, keep, d):
	conf = os.path.join(d, "kitchen.conf")
	write_config(conf, d, build, keep)
	state = os.path.join(d, "state")
	before = sizes(state)
	n_before = count_orders(state)
	p, ep = start(build, conf, d)
	t0 = time.monotonic()
	gone_at = []

	def watch():
		while not gone_at and time.monotonic() - t0 < 600:
			# What the load itself keeps: the orders of the last few seconds.
			if count_orders(state) < 5 * args.rate:
				gone_at.append(time.monotonic() - t0)
			time.sleep(0.2)

	w = threading.Thread(target=watch, daemon=True)
	if keep != "forever":
		w.start()
	lat = subprocess.run([f"{build}/bench/bench-kitchen-load", "latency", ep, "--rate", str(args.rate),
			      "--count", str(args.count), "--warmup", "100"], capture_output=True, text=True)
	lat_s = time.monotonic() - t0
	if keep != "forever":
		w.join()
	stop(p)
	print(f"keep = {keep}: {n_before} orders at start; latency over {lat_s:.1f} s: {lat.stdout.strip()}"
	      f"{lat.stderr.strip()}")
	if gone_at:
		print(f"  backlog pruned {gone_at[0]:.1f} s after the start "
		      f"({n_before / gone_at[0]:.0f} orders/s)")
	print(f"  kitchen.db, -wal before: {before}; after the stop: {sizes(state)}; "
	      f"{count_orders(state)} orders left")


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--orders", type=int, default=200000)
	ap.add_argument("--rate", type=int, default=200)
	ap.add_argument("--count", type=int, default=3000)
	ap.add_argument("--build", default=os.path.join(REPO, "build"))
	args = ap.parse_args()
	build = os.path.abspath(args.build)
	d = tempfile.mkdtemp(prefix="kitchen-prune-", dir="/tmp")
	try:
		os.mkdir(os.path.join(d, "run"))
		os.mkdir(os.path.join(d, "state"))
		conf = os.path.join(d, "kitchen.conf")
		write_config(conf, d, build, "forever")
		p, _ = start(build, conf, d)
		stop(p)
		fill(os.path.join(d, "state"), args.orders)
		run(args, build, "forever", d)
		run(args, build, "1s", d)
		with open(os.path.join(d, "kitchend.log")) as f:
			for line in f:
				if "Pruned" in line or "prune" in line:
					print("  log:", line.rstrip())
	finally:
		shutil.rmtree(d, ignore_errors=True)


main()
