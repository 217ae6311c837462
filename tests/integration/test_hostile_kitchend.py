#!/usr/bin/env python3
"""kitchenctl against a kitchend that lies: `hostile --kitchend MODE`
(tests/integration/hostile_kitchend.c) plays it.

- An order that cooks for ever: --deadline ends `order --wait`, `order
  --follow`, `wait` and `follow` in time, exit 4, saying the order is still
  open and how to wait for it again.
- WAIT refused (ERR full, either of kitchend's two sentences) after the order
  was accepted: exit 4 (not 1, "refused"), with the order id and how to wait
  for it again.
- Replies and events beyond the protocol's limits are bounded in time and in
  kitchenctl's memory (peak RSS): one frame of a GiB (libzmq drops the peer:
  no reply, exit 3), more frames than PROTO_MAX_FRAMES (malformed, exit 1), a
  GiB in 64 KiB frames as a reply or as an event (dropped, exit 1).
- ORDER answered with another number of dishes, or reports of another number
  of dishes than the order has: a bad reply (exit 1), nothing printed of them.
- Bidirectional overrides and invisible characters in what kitchend sends are
  escaped as \\u{...} on a terminal (stdout and stderr), left as they are in a
  pipe, and escaped as \\uXXXX in JSON (the same value)."""

import json
import os
import select
import signal
import subprocess
import tempfile
import threading
import time

from harness import CHEF, KITCHENCTL, SCALE, check, check_eq, clean_env, main, note, poll, show_argv

HOSTILE = os.environ.get("HOSTILE") or os.path.join(os.path.dirname(CHEF), "tests", "integration", "hostile")
RSS_MAX_KIB = 400 * 1024     # the bound is 137 MiB of growth; a GiB is what it stops
BIDI_RAW = ["\u202e", "\u2066", "\u2069", "\u2067", "\u200f", "\u061c"]


class Fake:
	"""A hostile kitchend in MODE on a directory of its own, killed by PID on the way out."""

	def __init__(self, mode):
		self.mode = mode

	def __enter__(self):
		self.dir = tempfile.mkdtemp(prefix="kitchen-it-", dir="/tmp")
		self.control = f"ipc://{self.dir}/control.sock"
		self.events = f"ipc://{self.dir}/events.sock"
		argv = [HOSTILE, "--kitchend", self.mode, "--control", self.control, "--events", self.events,
			"--seconds", str(int(120 * SCALE))]
		note(f"$ {show_argv(argv)} &")
		self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
		poll(lambda: os.path.exists(f"{self.dir}/control.sock") and os.path.exists(f"{self.dir}/events.sock"),
		     10, f"hostile --kitchend {self.mode} to bind")
		return self

	def __exit__(self, *exc):
		if self.proc.poll() is None:
			self.proc.send_signal(signal.SIGKILL)
		self.proc.wait(timeout=10)
		for name in ("control.sock", "events.sock"):
			try:
				os.unlink(os.path.join(self.dir, name))
			except OSError:
				pass
		os.rmdir(self.dir)
		return False

	def argv(self, *args):
		return [KITCHENCTL, "--control", self.control, "--events", self.events, *args]

	def ctl(self, *args, timeout=30):
		"""Run kitchenctl: (rc, stdout, stderr, seconds, peak RSS in KiB)."""
		argv = self.argv(*args)
		t0 = time.monotonic()
		p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
				     stderr=subprocess.PIPE, env=clean_env())
		got = {}
		readers = [threading.Thread(target=lambda k, f: got.__setitem__(k, f.read()), args=(k, f))
			   for k, f in (("out", p.stdout), ("err", p.stderr))]
		for t in readers:
			t.start()
		# wait4, not wait: the child's own peak RSS.
		while True:
			pid, status, usage = os.wait4(p.pid, os.WNOHANG)
			if pid:
				break
			if time.monotonic() - t0 > timeout * SCALE:
				p.kill()
				pid, status, usage = os.wait4(p.pid, 0)
				check(False, f"{show_argv(argv)}: no exit within {timeout * SCALE:g} s")
			time.sleep(0.01)
		p.returncode = os.waitstatus_to_exitcode(status)
		for t in readers:
			t.join()
		elapsed = time.monotonic() - t0
		out, err = got["out"].decode("utf-8", "replace"), got["err"].decode("utf-8", "replace")
		note(f"$ {show_argv(argv)}  [{elapsed:.2f} s, {usage.ru_maxrss} KiB]\n  -> rc {p.returncode}"
		     f"\n  stdout: {out[:1000]!r}\n  stderr: {err[:1000]!r}")
		return p.returncode, out, err, elapsed, usage.ru_maxrss

	def ctl_pty(self, *args, timeout=30):
		"""Run kitchenctl with stdout and stderr on a terminal: (rc, what the terminal got)."""
		argv = self.argv(*args)
		master, slave = os.openpty()
		p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=clean_env())
		os.close(slave)
		out, end = b"", time.monotonic() + timeout * SCALE
		try:
			while time.monotonic() < end:
				if not select.select([master], [], [], 0.1)[0]:
					if p.poll() is not None:
						break
					continue
				try:
					data = os.read(master, 65536)
				except OSError:  # EIO: the last writer is gone
					break
				if not data:
					break
				out += data
		finally:
			os.close(master)
			if p.poll() is None:
				p.kill()
			p.wait(timeout=10)
		text = out.decode("utf-8", "replace").replace("\r\n", "\n")
		note(f"$ {show_argv(argv)}  # on a terminal\n  -> rc {p.returncode}\n  terminal: {text[:1500]!r}")
		return p.returncode, text


def forever():
	"""--deadline against an order that cooks for ever."""
	with Fake("cooking") as k:
		for args, verb in ((["order", "--wait", "--deadline", "1s", "Pizza", "Salad"], "wait"),
				   (["order", "--follow", "--deadline", "1000ms", "Pizza"], "follow"),
				   (["wait", "1", "--deadline", "1"], "wait"),
				   (["follow", "--deadline", "1s", "1"], "follow")):
			rc, out, err, took, _ = k.ctl(*args)
			what = " ".join(args)
			check_eq(rc, 4, f"{what}: exit status when the --deadline passes", out, err)
			check(0.9 <= took < 1 + 2 * SCALE, f"{what}: took {took:.2f} s for a --deadline of 1 s")
			check("the --deadline (1" in err and
			      f"order 1 is still open; {'wait for' if verb == 'wait' else 'follow'} it again with: "
			      f"kitchenctl {verb} 1" in err,
			      f"{what}: should say the deadline passed, the order is open, and how to {verb} again", err)
			if args[0] == "order":
				check(err.startswith("kitchenctl: order 1 accepted\n"), f"{what}: the id first", err)
				check(all(l.startswith("I- Ordered ") for l in out.splitlines()),
				      f"{what}: nothing on stdout but the I- lines", out)
		rc, out, err, _, _ = k.ctl("--json", "order", "--wait", "--deadline", "500ms", "Pizza")
		check((rc, out) == (4, ""), "--json order --wait past its deadline: exit 4, no JSON", rc, out, err)
		rc, out, err, _, _ = k.ctl("order", "--deadline", "1s", "Pizza")
		check_eq(rc, 2, "--deadline without --wait or --follow is a usage error", out, err)


def wait_refused():
	"""ERR full to a WAIT: the order was accepted; say so, exit 4."""
	for mode, words in (("wait-full", "too many clients waiting"),
			    ("wait-mine", "this client already has 16 WAITs pending")):
		with Fake(mode) as k:
			rc, out, err, _, _ = k.ctl("order", "--wait", "Pizza")
			check_eq(rc, 4, f"{mode}: order --wait whose WAIT is refused: exit status", out, err)
			check(words in err and "order 1 was accepted; wait for it again with: kitchenctl wait 1" in err,
			      f"{mode}: should give kitchend's reason, the order id and how to wait again", err)
			check_eq(out, "I- Ordered Pizza\n", f"{mode}: stdout")


def oversized():
	"""Replies and events past the protocol's limits: bounded in time and memory."""
	for mode, args, code, words, limit in (
		("huge", ["--timeout", "1000", "status"], 3, "did not answer within 1000 ms", 5),
		("frames", ["status"], 1, "malformed reply to STATUS", 10),
		("flood", ["--timeout", "30000", "status"], 1, "reply to STATUS is larger than the protocol allows", 30),
		("flood-events", ["follow", "1"], 1, "events are larger than the protocol allows", 30),
	):
		with Fake(mode) as k:
			rc, out, err, took, rss = k.ctl(*args, timeout=60)
			check_eq(rc, code, f"{mode}: kitchenctl {' '.join(args)}: exit status", out, err)
			check(words in err, f"{mode}: should say {words!r}", err)
			check(took < limit * SCALE, f"{mode}: took {took:.1f} s")
			check(rss < RSS_MAX_KIB, f"{mode}: kitchenctl's peak RSS was {rss} KiB (bound {RSS_MAX_KIB} KiB)")


def wrong_dishes():
	"""The number of dishes is the order's: any other is a bad reply."""
	with Fake("count") as k:
		rc, out, err, _, _ = k.ctl("order", "--wait", "Pizza")
		check((rc, out) == (1, "") and "malformed reply to ORDER" in err,
		      "ORDER answered with 2 dishes for 1: a bad reply, nothing printed", rc, out, err)
	with Fake("dishes") as k:
		rc, out, err, _, _ = k.ctl("order", "--wait", "Pizza", "Salad")
		check((rc, out) == (1, "") and "malformed reply to SHOW" in err,
		      "a report of 3 dishes for an order of 2: a bad reply, nothing printed", rc, out, err)
		rc, out, err, _, _ = k.ctl("wait", "1")
		check((rc, out) == (1, "") and "malformed reply to WAIT" in err,
		      "wait: a second report with more dishes than the first: a bad reply", rc, out, err)


def escaped():
	"""Text that reorders or hides what is around it never reaches a terminal raw."""
	with Fake("bidi") as k:
		for args in (["order", "--wait", "Pizza"], ["order", "--follow", "Pizza"], ["show", "1"]):
			rc, text = k.ctl_pty(*args)
			check_eq(rc, 0, f"{' '.join(args)} on a terminal: exit status", text)
			raw = [c for c in BIDI_RAW + ["\u200b", "\ufeff", "\u2028"] if c in text]
			check(not raw, f"{' '.join(args)} on a terminal: raw invisible characters {raw!r}", text)
			check("Pizza\\u{202E} azzip" in text, f"{' '.join(args)}: the dish name, escaped", text)
			if args[1] == "--follow":
				check("order 1: Pizza\\u{202E} azzip#1 [chef\\u{2066}-1\\u{2069}] Cooking ingredient "
				      "\\u{2067}Flour\\u{2069}..." in text,
				      "--follow on a terminal: the stage line, escaped, with its order", text)

		rc, out, err, _, _ = k.ctl("show", "1")
		check(rc == 0 and "Pizza\u202e azzip" in out and "chef\u2066-1\u2069" in out,
		      "show into a pipe: the text as kitchend sent it", out, err)
		rc, out, err, _, _ = k.ctl("--json", "show", "1")
		check(rc == 0 and not any(c in out for c in BIDI_RAW) and "\\u202e" in out,
		      "--json: invisible characters escaped", out)
		report = json.loads(out)
		check_eq((report["dishes"][0]["name"], report["dishes"][0]["chef"], report["dishes"][0]["items"]),
			 ("Pizza\u202e azzip", "chef\u2066-1\u2069",
			  ["Served \u202aCooked\u200e Flour", "with\u200b a pinch\ufeff of magic\u2028"]),
			 "--json: the same values")
	with Fake("bidi-err") as k:
		rc, text = k.ctl_pty("show", "1")
		check(rc == 1 and "kitchenctl: no such order \\u{202E}redro (bad-request)" in text
		      and "\u202e" not in text, "an ERR message on a terminal's stderr, escaped", rc, text)


def gap():
	"""A follower told of a gap in an order's events says it missed some."""
	with Fake("gap") as k:
		rc, out, err, _, _ = k.ctl("follow", "1")
		check_eq(rc, 0, "follow across a gap: exit status", out, err)
		check("order 1: missed 2 events (kitchend drops events for a follower that reads too slowly)" in err,
		      "follow should say it missed 2 events", err)
		check("Seasoning Cooked Flour..." in out and "O- Served Pizza" in out,
		      "follow goes on after the gap", out)


def test():
	forever()
	gap()
	wait_refused()
	oversized()
	wrong_dishes()
	escaped()


main(test)
