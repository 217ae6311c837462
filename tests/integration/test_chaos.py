#!/usr/bin/env python3
"""Chaos: 2000 dishes (200 orders of 10, each with an idempotency key) on 4
chefs (3 local, 2 stations each; 1 "remote", started by the test as systemd
would, 2 stations) while the test kill -9s a random chef every few hundred ms
and kill -9s kitchend twice, starting it again each time.

Acknowledged = an order for which kitchenctl printed an id (exit 0). A
kitchenctl that exited 3 (kitchend gone mid-request) acknowledged nothing; it
is retried with the same key until it is acknowledged, and must then name the
order the first try stored, if it stored one.

Afterwards every acknowledged dish is served, exactly once in the record:
`kitchenctl show --json` of each order shows each dish served (attempts >= 1),
status counts served == acknowledged and failed == 0, and the SQLite store
(read after kitchend stopped) holds exactly one row per acknowledged dish, all
served, and one order per key, the one kitchenctl printed. The remote chef,
never restarted by anyone for kitchend's sake, rejoins after each kitchend
restart by itself and serves dishes after the last one.

Meanwhile followers place orders with `order --follow` (3 dishes each, keys
of their own), 3 at a time: a follow order is held until its follower
subscribes, and concurrent followers once corrupted the kitchen. A follower
whose kitchend was killed under it learns its order's id by ordering again
with the same key; follow orders count like the others.

And an operator cancels every tenth order once acknowledged (repeating a
cancel whose answer kitchend's death cut off), and of every other one of
those, once it is done, retries what was cancelled. Then acknowledged =
served + failed + cancelled, none twice: a retried order ends served whole;
a cancelled one has each dish served (it was done first) or cancelled.
Most race their chefs; five of those never retried are placed to cook 5 s
later, so that some dishes are cancelled before they are cooked however
fast the machine cooks the rest."""

import json
import os
import random
import signal
import sqlite3
import threading
import time

from harness import DEFAULT_DISHES, SCALE, Kitchen, check, check_eq, main, note, poll, store_dishes

N_ORDERS = 200
PER_ORDER = 10
SUBMITTERS = 4
HEARTBEAT_MS = 250
CHEF_KILL_EVERY = 0.35     # s between chef kills
PACE = 0.12                # s a submitter waits between orders: they come over ~6 s
KITCHEND_KILLS_AT = (0.25, 0.6)   # fractions of the orders acknowledged when kitchend is killed
FOLLOWERS = 3
FOLLOWS_EACH = 8
FOLLOW_DISHES = ["Pizza", "Salad", "Spaghetti"]


class Submitter:
	"""Place orders[i] for the indexes given, retrying exit 3 with the same key."""

	def __init__(self, k, orders, indexes, deadline):
		self.k, self.orders, self.indexes, self.deadline = k, orders, indexes, deadline
		self.acked = {}      # index -> order id
		self.retried = {}    # index -> tries that exited 3
		self.error = None
		self.thread = threading.Thread(target=self.run, daemon=True)

	def run(self):
		try:
			for i in self.indexes:
				self.place(i)
		except BaseException as e:  # reported by the main thread
			self.error = e

	def place(self, i):
		while True:
			later = ["--in", DELAY] if delayed(i) else []
			rc, out, err = self.k.ctl("--timeout", "2000", "order", "--key", f"chaos-{i}", *later,
						  *self.orders[i], quiet=True, timeout=30)
			if rc == 0:
				check(out.strip().isdigit(), f"order chaos-{i}: exit 0 without an id", out, err)
				self.acked[i] = int(out)
				time.sleep(PACE)
				return
			check(rc == 3, f"order chaos-{i}: exit {rc} (only 3, kitchend unreachable, may be retried)",
			      out, err)
			self.retried[i] = self.retried.get(i, 0) + 1
			check(time.monotonic() < self.deadline, f"order chaos-{i} still unacknowledged at the deadline",
			      err)
			time.sleep(0.1)


class Follower:
	"""Place follow orders one after another; the id of each by its key."""

	def __init__(self, k, n, deadline):
		self.k, self.n, self.deadline = k, n, deadline
		self.acked = {}      # key -> order id
		self.followed = 0    # order --follow that saw its order through
		self.error = None
		self.thread = threading.Thread(target=self.run, daemon=True)

	def run(self):
		try:
			for j in range(FOLLOWS_EACH):
				self.place(f"follower-{self.n}-{j}")
		except BaseException as e:  # reported by the main thread
			self.error = e

	def place(self, key):
		rc, out, err = self.k.ctl("--timeout", "2000", "order", "--follow", "--key", key, *FOLLOW_DISHES,
					  quiet=True, timeout=60)
		if rc == 0:
			check(len([l for l in out.splitlines() if l.startswith("O- Served ")]) == len(FOLLOW_DISHES),
			      f"order --follow {key}: every dish served", out, err)
			self.followed += 1
		# Its id, from the key: the order it stored, or a new one.
		while True:
			rc, out, err = self.k.ctl("--timeout", "2000", "order", "--key", key, *FOLLOW_DISHES,
						  quiet=True, timeout=30)
			if rc == 0:
				self.acked[key] = int(out)
				return
			check(rc == 3, f"order {key}: exit {rc} (only 3, kitchend unreachable, may be retried)",
			      out, err)
			check(time.monotonic() < self.deadline, f"order {key} still unacknowledged at the deadline")
			time.sleep(0.1)


CANCEL_EVERY = 10   # chaos orders i with i % 10 == 3 are cancelled...
RETRY_EVERY = 20    # ...and those with i % 20 == 3 retried once done


def cancelled(i):
	return i % CANCEL_EVERY == 3


def retried(i):
	return i % RETRY_EVERY == 3


DELAY_EVERY = 40    # ...and those with i % 40 == 13 (cancelled, never retried) placed to cook later
DELAY = "5s"        # well beyond the cancel, even across a kitchend restart


def delayed(i):
	return i % DELAY_EVERY == 13


class Operator:
	"""Cancel the chosen orders as they are acknowledged; retry some once done."""

	def __init__(self, k, subs, deadline):
		self.k, self.subs, self.deadline = k, subs, deadline
		self.cancels = self.retries = 0
		self.error = None
		self.thread = threading.Thread(target=self.run, daemon=True)

	def request(self, *args, ok_codes=(0,)):
		"""Repeat while kitchend is unreachable (exit 3); the exit status."""
		while True:
			rc, out, err = self.k.ctl("--timeout", "2000", *args, quiet=True, timeout=30)
			if rc != 3:
				check(rc in ok_codes, f"kitchenctl {' '.join(args)}: exit {rc}", out, err)
				return rc
			check(time.monotonic() < self.deadline, f"kitchenctl {' '.join(args)} unanswered at the deadline")
			time.sleep(0.1)

	def done(self, order_id):
		while True:
			rc, out, _ = self.k.ctl("--json", "show", str(order_id), quiet=True)
			if rc == 0 and json.loads(out)["state"] in ("served", "failed", "cancelled"):
				return
			check(time.monotonic() < self.deadline, f"order {order_id} not done at the deadline")
			time.sleep(0.1)

	def run(self):
		try:
			seen, to_retry = set(), []
			while any(s.thread.is_alive() for s in self.subs) or len(seen) < N_ORDERS // CANCEL_EVERY:
				for s in self.subs:
					for i, order_id in list(s.acked.items()):
						if cancelled(i) and i not in seen:
							seen.add(i)
							# 1: finished already (served whole), or a cancel cut off by a kill.
							self.request("cancel", str(order_id), ok_codes=(0, 1))
							self.cancels += 1
							if retried(i):
								to_retry.append(order_id)
				time.sleep(0.05)
				check(time.monotonic() < self.deadline, "the operator did not finish in time")
			for order_id in to_retry:
				self.done(order_id)
				# 1: nothing to retry (every dish was served before the cancel).
				self.request("retry", str(order_id), ok_codes=(0, 1))
				self.retries += 1
		except BaseException as e:  # reported by the main thread
			self.error = e


def test():
	seed = int(os.environ.get("KITCHEN_CHAOS_SEED", "0")) or random.randrange(1 << 30)
	rng = random.Random(seed)
	note(f"# chaos seed {seed} (KITCHEN_CHAOS_SEED={seed} repeats the orders and the kills)")
	orders = [[rng.choice(DEFAULT_DISHES) for _ in range(PER_ORDER)] for _ in range(N_ORDERS)]
	total = N_ORDERS * PER_ORDER

	with Kitchen(chefs={"local": 3, "threads": 2}, chefs_ready=4, start=False,
		     timing={"cook_ms": 4, "season_ms": 1},
		     heartbeat={"interval_ms": HEARTBEAT_MS, "liveness": 3},
		     log_level="info") as k:
		remote = []

		def start_remote():
			remote.append(k.start_chef("remote-1", stations=2, heartbeat_ms=HEARTBEAT_MS, liveness=3))

		k.start(wait=False)
		start_remote()
		k.wait_ready()

		deadline = time.monotonic() + 90 * SCALE
		subs = [Submitter(k, orders, range(s, N_ORDERS, SUBMITTERS), deadline) for s in range(SUBMITTERS)]
		followers = [Follower(k, n, deadline) for n in range(FOLLOWERS)]
		operator = Operator(k, subs, deadline)
		for s in subs + followers + [operator]:
			s.thread.start()

		def acked():
			return sum(len(s.acked) for s in subs)

		chef_kills = kitchend_kills = 0
		next_kitchend = list(KITCHEND_KILLS_AT)
		remote_down_until = None
		while any(s.thread.is_alive() for s in subs + followers + [operator]) or chef_kills < 12:
			check(time.monotonic() < deadline, "the chaos did not finish in time",
			      f"acknowledged {acked()} of {N_ORDERS}")
			time.sleep(CHEF_KILL_EVERY * rng.uniform(0.5, 1.5))
			if remote_down_until and time.monotonic() >= remote_down_until:
				start_remote()  # its supervisor (systemd) restarts it
				remote_down_until = None

			if next_kitchend and acked() >= next_kitchend[0] * N_ORDERS:
				next_kitchend.pop(0)
				note(f"# kill -9 kitchend (pid {k.proc.pid}) with {acked()} orders acknowledged")
				k.kill()
				kitchend_kills += 1
				time.sleep(rng.uniform(0.1, 0.5))
				k.start(wait=False)
				continue

			chefs = [p for p in k.proc_chef_pids() if p != k.proc.pid]
			if len(chefs) < 2:
				continue
			victim = rng.choice(chefs)
			try:
				os.kill(victim, signal.SIGKILL)
			except ProcessLookupError:
				continue
			chef_kills += 1
			if remote and victim == remote[-1].pid:
				remote[-1].wait()
				remote_down_until = time.monotonic() + 0.3

		for s in subs + followers + [operator]:
			s.thread.join()
			if s.error:
				raise s.error
		check_eq(operator.cancels, N_ORDERS // CANCEL_EVERY, "orders cancelled")
		follows = {}
		for f in followers:
			follows.update(f.acked)
		check_eq(len(follows), FOLLOWERS * FOLLOWS_EACH, "every follow order acknowledged in the end")
		check(sum(f.followed for f in followers) > 0, "no order --follow saw its order through")
		total += len(follows) * len(FOLLOW_DISHES)
		if remote_down_until:
			start_remote()
		check_eq(kitchend_kills, 2, "kitchend should have been killed twice")
		check(chef_kills >= 12, f"only {chef_kills} chef kills")
		ids = {}
		for s in subs:
			ids.update(s.acked)
		check_eq(len(ids), N_ORDERS, "every order should be acknowledged in the end")
		check_eq(len(set(ids.values())), N_ORDERS, "every key should name its own order")
		n_retried = sum(len(s.retried) for s in subs)
		print(f"chaos: seed {seed}, {chef_kills} chefs and {kitchend_kills} kitchends killed, "
		      f"{n_retried} orders retried after exit 3, {operator.cancels} cancelled, "
		      f"{operator.retries} of them retried, "
		      f"{sum(f.followed for f in followers)} of {len(follows)} follow orders followed to the end")

		# Everything acknowledged gets served or cancelled, with no other operator action.
		def all_done():
			st = k.ctl("--json", "status", quiet=True)
			if st[0] != 0:
				return None
			d = json.loads(st[1])["dishes"]
			return d if (d["served"] + d["failed"] + d["cancelled"] >= total and
				     d["queued"] + d["cooking"] == 0) else None

		counts = poll(all_done, 60, f"all {total} dishes to be done", interval=0.2)
		check_eq((counts["queued"], counts["cooking"], counts["failed"], counts["served"] + counts["cancelled"]),
			 (0, 0, 0, total), "status: acknowledged = served + failed + cancelled, failed = 0, none twice",
			 counts)

		# The remote chef rejoined after the last restart by itself, and cooks.
		remote_chefs = [c for c in k.chefs() if c["name"] == "remote-1"]
		check(remote_chefs and remote_chefs[0]["local"] is False and k.chef_ready(remote_chefs[0]),
		      "the remote chef should be back by itself", remote_chefs)
		late = k.order(*["Salad"] * 20)
		report = k.wait_order(late, timeout=30)
		check("remote-1" in [d["chef"] for d in report["dishes"]],
		      "the remote chef should serve dishes after the restarts", report)

		for key, order_id in sorted(follows.items()):
			report = k.show(order_id)
			check_eq((report["state"], [d["name"] for d in report["dishes"]]), ("served", FOLLOW_DISHES),
				 f"follow order {order_id} ({key})")

		n_cancelled = 0
		for i, order_id in sorted(ids.items()):
			report = k.show(order_id)
			check_eq([d["name"] for d in report["dishes"]], orders[i], f"order {order_id}'s dishes")
			if cancelled(i) and not retried(i):
				check(report["state"] in ("served", "cancelled"), f"cancelled order {order_id} (chaos-{i})",
				      report)
				bad = [d for d in report["dishes"] if d["state"] not in ("served", "cancelled") or
				       (d["state"] == "served" and d["result"] != f"Served {d['name']}")]
				check(not bad, f"order {order_id}: every dish served or cancelled", bad)
				n_cancelled += report["cancelled"]
				continue
			check_eq(report["state"], "served", f"order {order_id} (chaos-{i})", report)
			bad = [d for d in report["dishes"]
			       if d["state"] != "served" or d["attempts"] < 1 or d["result"] != f"Served {d['name']}"]
			check(not bad, f"order {order_id}: every dish served, attempts >= 1", bad)
		check_eq(counts["cancelled"], n_cancelled, "status counts the cancelled dishes the orders show")
		check(n_cancelled > 0, "some dishes were cancelled before they were cooked")

		check_eq(k.stop(timeout=20), 0, "kitchend's exit status on SIGTERM after the chaos")
		for p in remote:
			p.kill()
			p.wait()

		db = sqlite3.connect(f"file:{k.store_path()}?mode=ro", uri=True)
		try:
			rows = db.execute("SELECT key, id, dishes, done FROM orders WHERE key LIKE 'chaos-%'").fetchall()
			check_eq(len(rows), N_ORDERS, "orders with a chaos key in the store")
			check_eq({key: oid for key, oid, _, _ in rows}, {f"chaos-{i}": oid for i, oid in ids.items()},
				 "each key names the order kitchenctl printed for it")
			by_id = {oid: i for i, oid in ids.items()}
			check(all(n == PER_ORDER and (done == 2 or (done == 4 and cancelled(by_id[oid]) and
								   not retried(by_id[oid])))
				  for _, oid, n, done in rows),
			      "every chaos order holds 10 dishes and is done, served (or cancelled)")
			check_eq(db.execute("SELECT COUNT(*) FROM orders").fetchone()[0], N_ORDERS + len(follows) + 1,
				 "orders in the store: the chaos ones, the follow ones and the late one, nothing unacknowledged")
			every = store_dishes(k.store_path())
			dishes = [r for r in every if r[0] in set(ids.values())]
			check_eq(len(dishes), N_ORDERS * PER_ORDER, "dish rows of the acknowledged orders")
			check_eq(len({(o, i) for o, i, _, _, _ in dishes}), N_ORDERS * PER_ORDER, "no dish row twice")
			by_order = {oid: i for i, oid in ids.items()}
			wrong = [r for r in dishes if orders[by_order[r[0]]][r[1]] != r[2] or
				 not ((r[3] == 2 and r[4] >= 1) or
				      (r[3] == 4 and cancelled(by_order[r[0]]) and not retried(by_order[r[0]])))]
			check(not wrong, "every dish row served once (or cancelled), as ordered", wrong[:5])
			follow_rows = [r for r in every if r[0] in set(follows.values())]
			check(len(follow_rows) == len(follows) * len(FOLLOW_DISHES) and
			      all(r[3] == 2 and r[4] >= 1 for r in follow_rows), "every follow dish row served once")
			check_eq(len(every), total + 20, "dishes in the store: acknowledged ones only")
		finally:
			db.close()


main(test)
