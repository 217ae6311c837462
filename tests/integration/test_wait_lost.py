#!/usr/bin/env python3
"""`order --wait` and `order --follow` that lose kitchend after their order was
accepted — kitchend SIGSTOPped or drained (a wait whose kitchend is killed and
started again carries on with the new one, as its WAIT goes again):

- the order id is said on stderr as soon as kitchend accepted it
  ("kitchenctl: order N accepted"); stdout keeps only its I-/O- lines;
- kitchenctl exits 4 (not 3, "unreachable": the order did reach kitchend),
  saying the order was accepted and how to wait for it again;
- `kitchenctl wait N...` and `follow N...` then do what order --wait and
  --follow would have done (the stage lines carry the order), and every dish
  is served once.

A kitchenctl order --wait or --follow ended by SIGINT (Ctrl-C) has said its
order's id; `kitchenctl wait ID` then finishes it.

And --deadline against a real kitchend: exit 4 in time, the order still open;
`wait --deadline` long enough then serves it, with --json the report."""

import json
import os
import re
import select
import signal
import time

from harness import SCALE, Kitchen, check, check_eq, main, menu, poll

STEW = menu(("Stew", ["Beef", "Carrot", "Onion", "Thyme", "Bay"]))
SETUP = dict(chefs={"local": 1}, timing={"cook_ms": 300}, menu=STEW)


class Run:
	"""A kitchenctl running in the background, read line by line with deadlines."""

	def __init__(self, k, *args):
		self.p = k.ctl_popen(*args)
		self.buf = {self.p.stdout.fileno(): b"", self.p.stderr.fileno(): b""}
		self.eof = set()

	def _fill(self, timeout):
		fds = [fd for fd in self.buf if fd not in self.eof]
		if not fds:
			return False
		ready = select.select(fds, [], [], timeout)[0]
		for fd in ready:
			data = os.read(fd, 65536)
			if data:
				self.buf[fd] += data
			else:
				self.eof.add(fd)
		return bool(ready)

	def lines(self, stream, pattern, n=1, timeout=10):
		"""Wait for @n whole lines of @stream matching @pattern; return their matches."""
		fd = stream.fileno()
		end = time.monotonic() + timeout * SCALE
		while True:
			text = self.buf[fd].decode("utf-8", "replace")
			found = [m for m in (re.fullmatch(pattern, l) for l in text.split("\n")[:-1]) if m]
			if len(found) >= n:
				return found[:n]
			check(time.monotonic() < end and fd not in self.eof,
			      f"{n} lines like {pattern!r} did not come within {timeout * SCALE:g} s", self.buf)
			self._fill(0.05)

	def finish(self, timeout=15):
		"""Read to the end and reap: (rc, stdout, stderr, seconds it took from now)."""
		t0 = time.monotonic()
		while len(self.eof) < 2:
			check(time.monotonic() - t0 < timeout * SCALE, f"kitchenctl did not exit within {timeout * SCALE:g} s",
			      self.buf)
			self._fill(0.1)
		rc = self.p.wait(timeout=10)
		out, err = (self.buf[s.fileno()].decode("utf-8", "replace") for s in (self.p.stdout, self.p.stderr))
		self.p.stdout.close()
		self.p.stderr.close()
		return rc, out, err, time.monotonic() - t0

	def kill(self):
		if self.p.poll() is None:
			self.p.kill()
			self.p.wait()


def accepted(run, n=1):
	"""The ids of the first @n "order N accepted" lines on stderr."""
	return [int(m.group(1)) for m in run.lines(run.p.stderr, r"kitchenctl: order (\d+) accepted", n)]


def finish_frozen(k, run):
	"""SIGSTOP kitchend until @run exits: (rc, stdout, stderr)."""
	os.kill(k.proc.pid, signal.SIGSTOP)
	try:
		return run.finish()[:3]
	finally:
		os.kill(k.proc.pid, signal.SIGCONT)


def lost(rc, out, err, ids, verb, what):
	check_eq(rc, 4, f"{what}: exit status of a wait that lost kitchend", out, err)
	listed = " ".join(map(str, ids))
	say = (f"order {listed} was accepted; {'wait for' if verb == 'wait' else 'follow'} it again with: "
	       if len(ids) == 1 else f"orders {listed} were accepted; wait for them again with: ")
	check(say + f"kitchenctl {verb} {listed}" in err, f"{what}: should say what was accepted and how to wait again",
	      err)
	check(all(l.startswith(("I- ", "O- ", "order ")) for l in out.splitlines()),
	      f"{what}: stdout holds only the order's lines", out)


def sigstop_wait():
	with Kitchen(**SETUP) as k:
		run = Run(k, "--timeout", "1000", "order", "--wait", "--random", "2")
		try:
			ids = accepted(run, 2)
			run.lines(run.p.stdout, "I- Ordered Stew", 2)
			rc, out, err = finish_frozen(k, run)
		finally:
			run.kill()
		lost(rc, out, err, ids, "wait", "order --wait, kitchend SIGSTOPped")
		check_eq(out, "I- Ordered Stew\n" * 2, "order --wait, kitchend SIGSTOPped: stdout")
		rc, out, err = k.ctl("wait", *map(str, ids))
		check_eq((rc, out), (0, "".join(f"O- Served Stew [order {i}]\n" for i in ids)),
			 "wait for both orders again: each line names its order", err)


def drained_wait():
	with Kitchen(**SETUP) as k:
		run = Run(k, "--timeout", "1000", "order", "--wait", "Stew", "Stew", "Stew")
		try:
			ids = accepted(run)
			poll(lambda: k.status()["dishes"]["cooking"] == 1, 5, "the first Stew to cook")
			k.ctl_ok("drain")
			rc, out, err, _ = run.finish(timeout=30)
		finally:
			run.kill()
		check_eq(k.proc.wait(timeout=30 * SCALE), 0, "kitchend's exit status after the drain")
		lost(rc, out, err, ids, "wait", "order --wait, kitchend drained")
		check(out.startswith("I- Ordered Stew\n" * 3), "order --wait, drained: the I- lines", out)
		k.start()
		report = json.loads(k.ctl_ok("--json", "wait", str(ids[0])))["orders"][0]
		check_eq((report["order"], report["state"], [d["state"] for d in report["dishes"]]),
			 (ids[0], "served", ["served"] * 3), "wait --json after the restart: the report")


def restarted_wait():
	with Kitchen(**SETUP) as k:
		run = Run(k, "--timeout", "1000", "order", "--wait", "Stew", "Stew")
		try:
			ids = accepted(run)
			# Frozen first, so that the request on its way is lost with kitchend:
			# one kitchenctl has not written out yet would reach the new kitchend
			# (libzmq keeps what it has not sent across a reconnect). Half a
			# second is plenty for it to go out; --timeout is 1 s beyond the poll.
			os.kill(k.proc.pid, signal.SIGSTOP)
			time.sleep(0.5)
			chefs = k.proc_chef_pids()
			k.kill()
			for pid in chefs:
				os.kill(pid, signal.SIGKILL)
			k.start()
			rc, out, err, _ = run.finish()
		finally:
			run.kill()
		# The connection dropped with the old kitchend: the WAIT goes again to
		# the new one (client.h), which serves the order; nothing is lost.
		what = "order --wait, kitchend killed and started again"
		check_eq(rc, 0, f"{what}: exit status (the wait carries on with the new kitchend)", out, err)
		check_eq([l for l in out.splitlines() if l.startswith("O- ")], ["O- Served Stew"] * 2,
			 f"{what}: one O- line per dish", out, err)
		rc, out, err = k.ctl("follow", str(ids[0]))
		check_eq(rc, 0, "follow after the restart: exit status", out, err)
		lines = out.splitlines()
		check_eq([l for l in lines if l.startswith("O- ")], ["O- Served Stew"] * 2,
			 "follow after the restart: one O- line per dish")
		# A dish cooking before anyone followed it has no stage lines; the others do.
		stages = [l for l in lines if not l.startswith("O- ")]
		check(all(re.fullmatch(rf"order {ids[0]}: Stew#[12] \[chef-1\] .+", l) for l in stages),
		      "follow: each stage line names the order, the dish and its chef", out)


def sigstop_follow():
	with Kitchen(**SETUP) as k:
		run = Run(k, "--timeout", "1000", "order", "--follow", "Stew")
		try:
			ids = accepted(run)
			run.lines(run.p.stdout, rf"order {ids[0]}: Stew#1 \[chef-1\] .*")
			rc, out, err = finish_frozen(k, run)
		finally:
			run.kill()
		lost(rc, out, err, ids, "follow", "order --follow, kitchend SIGSTOPped")
		rc, out, err = k.ctl("follow", str(ids[0]))
		check(rc == 0 and out.splitlines()[-1:] == ["O- Served Stew"], "follow again: served", rc, out, err)


def interrupted():
	"""kill -INT of a waiting order --wait (and --follow): the id it said first
	is all it takes to wait for the order again."""
	with Kitchen(**SETUP) as k:
		for mode in ("--wait", "--follow"):
			run = Run(k, "order", mode, "Stew", "Stew")
			try:
				ids = accepted(run)
				if mode == "--follow":
					run.lines(run.p.stdout, rf"order {ids[0]}: Stew#1 \[chef-1\] .*")
				else:
					run.lines(run.p.stdout, "I- Ordered Stew", 2)
				run.p.send_signal(signal.SIGINT)
				rc, out, err, _ = run.finish()
			finally:
				run.kill()
			check(rc in (-signal.SIGINT, 128 + signal.SIGINT), f"order {mode}: ended by SIGINT", rc, out, err)
			check(k.show(ids[0])["state"] in ("queued", "cooking"), f"order {mode}: still open after the SIGINT")
			rc, out, err = k.ctl("wait", str(ids[0]))
			check_eq((rc, out), (0, "O- Served Stew\n" * 2), f"wait {ids[0]}, the id order {mode} said", err)
			check_eq(k.show(ids[0])["state"], "served", f"order {mode}: served after the wait")


def deadline():
	with Kitchen(**SETUP) as k:
		t0 = time.monotonic()
		rc, out, err = k.ctl("order", "--wait", "--deadline", "500ms", "Stew")
		took = time.monotonic() - t0
		m = re.search(r"order (\d+) is still open; wait for it again with: kitchenctl wait (\d+)", err)
		check(rc == 4 and m and m.group(1) == m.group(2) and "the --deadline (500ms) passed" in err,
		      "order --wait --deadline 500ms of a 1.5 s dish: exit 4, still open", rc, out, err)
		check(took < 0.5 + 2 * SCALE, f"order --wait --deadline 500ms took {took:.2f} s")
		rc, out, err = k.ctl("wait", "--deadline", "30s", m.group(1))
		check_eq((rc, out), (0, "O- Served Stew\n"), "wait --deadline 30s", err)


def test():
	sigstop_wait()
	drained_wait()
	restarted_wait()
	sigstop_follow()
	interrupted()
	deadline()


main(test)
