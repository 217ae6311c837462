#!/usr/bin/env python3
"""
The README runs as written. Every ```console block of README.md (the quick
start, the kitchenctl examples) is run, in order, as a new user pastes it,
and what each `$ ` command prints must be what the README shows under it.

How the blocks run:
- A `$ ` line is a command (a line ending in a backslash goes on on the next
  line); the lines up to the next command are its output, standard output
  and standard error together, as a terminal shows them.
- All blocks run in one scratch directory whose `build` is a link to the
  directory of the programs under test (and `etc` to the checkout's, for
  its example configurations), and share a user's runtime and state
  directories made for the test ($XDG_RUNTIME_DIR, $XDG_STATE_HOME): never
  /run/kitchen or /var/lib/kitchen. As root they run as nobody (setpriv),
  since root's kitchend would use the machine's directories. So the second
  block finds the store the first left, as a reader going down the page does.
- Each block runs in a bash of its own, not interactive (so bash prints no
  "[1] 1234" for a `&`). Every command must exit 0: an example of a failure
  shows it with `|| echo "exit $?"`. Every process a block started (found by
  a mark in its environment) must be gone 15 s after its end; a straggler is
  killed by PID and fails the test, and so does a sanitizer report. Each
  kitchend a block starts (`build/kitchend ... &`) must have stopped cleanly:
  its "Stopped: ..." line is in kitchend.log.

How output is compared, line by line:
- runs of blanks count as one, blanks at either end as none;
- a line `...` stands for any number of lines (none too);
- what differs from run to run is replaced, on both sides, before the
  comparison: chef names (chef-2), dates and times (2026-12-06 20:44:23),
  status's uptime, show's times (created, started, finished, took), and
  the HOST, PID and SERVED_SINCE_JOIN columns of the chefs table.
Everything else must match, so a README that drifts from what kitchen does
fails here; a README with fewer than two console blocks or ten commands
fails too (blocks are not lost unnoticed).
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from harness import KITCHENCTL, REPO, SCALE, TestSkip, _sanitizer_check, check, clean_env, main, note, pids_marked

README = os.path.join(REPO, "README.md")
BLOCK_TIMEOUT = 90      # s, times SCALE: one block, kitchend's start and stop included
GONE_TIMEOUT = 15       # s, times SCALE: for what a block started to exit after it
MARK = "KITCHEN_README_TEST_MARK"
RC_RE = re.compile("\x1e(\\d+)\x1e")
SYSTEM_CONTROL = "/run/kitchen/control.sock"

# What differs from run to run: (pattern, replacement), applied in order.
VARIABLE = [
	(re.compile(r"\bchef-\d+\b"), "chef-N"),
	(re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?\b"), "TIME"),
	(re.compile(r"^uptime: \S+$"), "uptime: T"),
	# A local chef of the embedded defaults that has not joined yet (a loaded
	# machine): no host or skills yet, listed after the others; it is one of
	# the README's ready ones a moment later.
	(re.compile(r"^(chef-N) (\d+) (\d+) 0 starting 0 yes -$"), r"\1 vm \2 \3 0 ready 0 yes every dish"),
	(re.compile(r"\b(created|started|finished) \d\d:\d\d:\d\d\b"), r"\1 TIME"),  # show's, of today
	(re.compile(r"\btook \d+\.\d s$"), "took T s"),  # show's, under a dish
	# NAME HOST PID STATIONS BUSY STATE SERVED_SINCE_JOIN LOCAL [COOKS]
	(re.compile(r"^chef-N \S+ \d+ (\d+ \d+ \S+) \d+ (yes|no)\b"), r"chef-N HOST PID \1 SERVED \2"),
]


def normalize(line):
	line = re.sub(r"\s+", " ", line).strip()
	for pattern, replacement in VARIABLE:
		line = pattern.sub(replacement, line)
	return line


def matches(expected, got):
	"""Whether the lines @got are what @expected shows; `...` is any lines."""
	memo = {}

	def at(i, j):
		if (i, j) not in memo:
			if i == len(expected):
				memo[(i, j)] = j == len(got)
			elif expected[i] == "...":
				memo[(i, j)] = at(i + 1, j) or (j < len(got) and at(i, j + 1))
			else:
				memo[(i, j)] = j < len(got) and expected[i] == got[j] and at(i + 1, j + 1)
		return memo[(i, j)]

	return at(0, 0)


def self_check():
	"""The comparison itself, on lines whose answer is known."""
	check(matches(["a", "...", "d"], ["a", "b", "c", "d"]), "... should stand for lines")
	check(matches(["a", "..."], ["a"]), "... should stand for no line too")
	check(not matches(["a", "b"], ["a", "c"]), "a changed line should not match")
	check(not matches(["a"], ["a", "b"]), "a line more should not match")
	check(normalize("chef-12  vm   4711   1  0  ready   3  yes  every dish") ==
	      normalize("chef-1 other-host 99 1 0 ready 0 yes every dish"), "the chefs table's variable columns")
	check(normalize("chef-2          4711         1     0  starting       0  yes    -") ==
	      normalize("chef-1 vm 99 1 0 ready 2 yes every dish"), "a local chef still starting")
	check(normalize("chef-1 vm 4711 1 0 ready 3 yes Pizza") !=
	      normalize("chef-1 vm 4711 1 0 ready 3 yes Salad"), "what a chef cooks is compared")
	check(normalize("order 3  2026-12-06 20:44:23  served") == "order 3 TIME served", "a time")
	check(normalize("order 3: served") != normalize("order 4: served"), "ids are compared")


def blocks():
	"""[(line number, [(command, [expected lines])])] of README.md's console blocks."""
	out = []
	with open(README, encoding="utf-8") as f:
		lines = f.read().split("\n")
	i = 0
	while i < len(lines):
		if lines[i].strip() != "```console":
			i += 1
			continue
		start, i = i + 1, i + 1
		cmds = []
		while i < len(lines) and lines[i].strip() != "```":
			line = lines[i]
			if line.startswith("$ "):
				cmd = line[2:]
				while cmd.endswith("\\") and i + 1 < len(lines):
					i += 1
					cmd += "\n" + lines[i]
				cmds.append((cmd, []))
			else:
				check(cmds, f"README.md:{i + 1}: output before the first command of a console block", line)
				cmds[-1][1].append(line)
			i += 1
		check(i < len(lines), f"README.md:{start}: console block without its closing ```")
		out.append((start, cmds))
		i += 1
	return out


def script(cmds):
	"""The block as bash runs it: each command, then its exit status between two marks."""
	parts = ["exec 2>&1"]
	for cmd, _ in cmds:
		parts += [cmd, "printf '\\036%s\\036' \"$?\""]
	return "\n".join(parts) + "\n"


def marked(scratch):
	"""PIDs of live processes whose environment holds our mark."""
	return pids_marked(MARK, scratch)


def kill_marked(scratch):
	for pid in marked(scratch):
		try:
			os.kill(pid, signal.SIGKILL)
		except ProcessLookupError:
			pass


class User:
	"""Whom the blocks run as: ourselves, or nobody when we are root."""

	def __init__(self, scratch):
		self.prefix = []
		self.uid = None
		if os.geteuid() == 0:
			if not shutil.which("setpriv"):
				raise TestSkip("root without setpriv: the README's kitchend would use /run/kitchen")
			self.uid = 65534
			self.prefix = ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups", "--"]
		self.scratch = scratch

	def own(self, path):
		if self.uid is not None:
			os.chown(path, self.uid, self.uid)

	def reaches(self, socket_path):
		"""Whether this user could talk to a kitchend at @socket_path."""
		if not os.path.exists(socket_path):
			return False
		probe = ("import socket, sys\n"
			 "s = socket.socket(socket.AF_UNIX)\n"
			 "try:\n\ts.connect(sys.argv[1])\nexcept OSError:\n\tsys.exit(1)\n")
		p = subprocess.run(self.prefix + ["python3", "-c", probe, socket_path],
				   stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
		return p.returncode == 0


def stops_logged(scratch):
	"""How many times a kitchend logged its clean stop into the scratch kitchend.log."""
	try:
		with open(os.path.join(scratch, "kitchend.log"), encoding="utf-8", errors="replace") as f:
			return sum(1 for line in f if line.startswith("kitchend: Stopped: "))
	except FileNotFoundError:
		return 0


def run_block(user, env, start, cmds):
	path = os.path.join(user.scratch, f"block-{start}.sh")
	out_path = os.path.join(user.scratch, f"block-{start}.out")
	with open(path, "w") as f:
		f.write(script(cmds))
	user.own(path)
	note(f"$ bash README.md:{start}  # {len(cmds)} commands: " + "; ".join(c for c, _ in cmds))
	stops = stops_logged(user.scratch)
	starts = sum(1 for c, _ in cmds if re.match(r"build/kitchend\b.*&", c))
	with open(out_path, "wb") as out:
		p = subprocess.Popen(user.prefix + ["bash", path], cwd=user.scratch, env=env,
				     stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
		try:
			p.wait(timeout=BLOCK_TIMEOUT * SCALE)
		except subprocess.TimeoutExpired:
			p.kill()
			p.wait()
			check(False, f"README.md:{start}: the block did not finish within {BLOCK_TIMEOUT * SCALE:g} s")
	with open(out_path, encoding="utf-8", errors="replace") as f:
		text = f.read()
	_sanitizer_check(text, f"the output of README.md:{start}")

	deadline = time.monotonic() + GONE_TIMEOUT * SCALE
	while marked(user.scratch) and time.monotonic() < deadline:
		time.sleep(0.05)
	left = marked(user.scratch)
	if left:
		argv = [" ".join(open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").split("\0"))
			for pid in left if os.path.exists(f"/proc/{pid}/cmdline")]
		kill_marked(user.scratch)
		check(False, f"README.md:{start}: the block left processes running {GONE_TIMEOUT * SCALE:g} s "
		      "after its end", argv)

	pieces = RC_RE.split(text)
	# [output 1, rc 1, output 2, rc 2, ..., what came after the last]
	check(len(pieces) == 2 * len(cmds) + 1, f"README.md:{start}: bash ran {len(pieces) // 2} of the "
	      f"block's {len(cmds)} commands", text[-3000:])
	for n, (cmd, expected) in enumerate(cmds):
		got_text, rc = pieces[2 * n], int(pieces[2 * n + 1])
		got = got_text.split("\n")
		if got and got[-1] == "":
			got.pop()
		check(rc == 0, f"README.md:{start}: `{cmd}` exited {rc} (a failure the README shows ends "
		      "in `|| echo \"exit $?\"`)", got_text)
		want = [normalize(x) for x in expected]
		have = [normalize(x) for x in got]
		if not matches(want, have):
			check(False, f"README.md:{start}: `{cmd}` printed what the README does not show "
			      "(both normalized: see tests/integration/test_readme.py)",
			      "README:", *want, "printed:", *have)
		note(f"  `{cmd}`: {len(got)} lines as shown")
	check(stops_logged(user.scratch) - stops == starts, f"README.md:{start}: {starts} kitchend started, "
	      f"{stops_logged(user.scratch) - stops} stopped cleanly (\"kitchend: Stopped: ...\" in kitchend.log)")


def test():
	self_check()
	found = blocks()
	n_cmds = sum(len(c) for _, c in found)
	check(len(found) >= 2 and n_cmds >= 10, "README.md should hold the quick start and the kitchenctl "
	      f"examples as console blocks; found {len(found)} blocks of {n_cmds} commands")

	scratch = tempfile.mkdtemp(prefix="kitchen-readme-", dir="/tmp")
	user = None
	try:
		user = User(scratch)
		for d in ("runtime", "state"):
			os.mkdir(os.path.join(scratch, d), 0o700)
		os.symlink(os.path.dirname(KITCHENCTL), os.path.join(scratch, "build"))
		os.symlink(os.path.join(REPO, "etc"), os.path.join(scratch, "etc"))  # the shipped examples
		for p in (scratch, os.path.join(scratch, "runtime"), os.path.join(scratch, "state")):
			user.own(p)
		env = clean_env(**{
			"HOME": scratch,
			"XDG_RUNTIME_DIR": os.path.join(scratch, "runtime"),
			"XDG_STATE_HOME": os.path.join(scratch, "state"),
			"LC_ALL": "C.UTF-8",
			MARK: scratch,
		})
		if user.reaches(SYSTEM_CONTROL):
			# A system kitchend this user may talk to: kitchenctl would turn
			# to it while the block's own kitchend starts. Name ours.
			control = os.path.join(scratch, "runtime", "kitchen", "control.sock")
			env["KITCHEN_CONTROL"] = f"ipc://{control}"
			note(f"# {SYSTEM_CONTROL} answers this user: KITCHEN_CONTROL names the test's own kitchend")
		for start, cmds in found:
			run_block(user, env, start, cmds)
		log = os.path.join(scratch, "kitchend.log")
		if os.path.exists(log):
			with open(log, encoding="utf-8", errors="replace") as f:
				_sanitizer_check(f.read(), "kitchend.log of the README's blocks")
	finally:
		kill_marked(scratch)
		if os.environ.get("KITCHEN_TEST_KEEP"):
			print(f"test_readme: kept {scratch}")
		else:
			shutil.rmtree(scratch, ignore_errors=True)


main(test)
