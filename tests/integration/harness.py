"""
harness — run a real kitchend (with its real chefs) and drive it with the real
kitchenctl, for the integration tests beside this file.

	from harness import Kitchen, check, main, poll

	def test():
		with Kitchen(timing={"cook_ms": 100}, chefs={"local": 1, "threads": 3}) as k:
			rc, out, err = k.ctl("order", "--wait", "Pizza")
			check(rc == 0, "order --wait failed", rc, out, err)

	main(test)

Kitchen(**overrides) makes a temporary directory holding runtime/ (sockets),
state/ (the store), kitchen.conf (the overrides in libconfig syntax; runtime_dir,
state_dir and chefs.command are always set, the rest is kitchend's embedded
default) and kitchend.log (kitchend's stdout and stderr, chefs' too). It starts
kitchend --config kitchen.conf and waits until `kitchenctl status --json` lists
the expected number of ready chefs. On the way out it SIGKILLs, by PID, every
process whose command line names the temporary directory (kitchend, chefs,
stray kitchenctls) and removes the directory (KITCHEN_TEST_KEEP=1 keeps it);
when the test passed so far, it first stops kitchend with SIGTERM and expects
exit status 0.

The programs come from $KITCHEND, $CHEF and $KITCHENCTL (meson sets them),
else from build/ at the top of the repository. Every wait has a deadline;
deadlines (not timing assertions) stretch by $KITCHEN_TEST_SCALE, by default
3 when the programs are built with AddressSanitizer.

A test is a script: main(fn) runs fn and exits 0 (pass), 1 (fail: the reason,
the kitchenctl commands run and kitchend's log go to stderr) or 77 (skip).
Any sanitizer report in kitchend's log or kitchenctl's stderr fails the test.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _program(var, name):
	path = os.environ.get(var) or os.path.join(REPO, "build", name)
	return os.path.abspath(path)


KITCHEND = _program("KITCHEND", "kitchend")
KITCHENCTL = _program("KITCHENCTL", "kitchenctl")
CHEF = _program("CHEF", "chef")

# The built-in menu of the design brief, in order.
DEFAULT_MENU = [
	("Pizza", ["Flour", "Yeast", "Tomato Sauce", "Mozzarella Cheese", "Pepperoni"]),
	("Spaghetti", ["Pasta", "Ground Beef", "Tomato Sauce", "Onion", "Garlic"]),
	("Chicken Stir Fry", ["Chicken", "Broccoli", "Peppers", "Soy Sauce", "Ginger", "Rice"]),
	("Chicken Biryani", ["Chicken", "Onion", "Garlic", "Rice", "Yogurt", "Spices"]),
	("Salad", ["Mixed Greens", "Tomatoes", "Cucumbers", "Carrots", "Dressing"]),
]
DEFAULT_DISHES = [name for name, _ in DEFAULT_MENU]

# Chef states that do not count as ready (the spec leaves the names open).
NOT_READY_STATES = {"dead", "left", "lost", "gone", "exited", "stopped", "restarting",
		    "starting", "spawning", "respawning", "connecting", "joining"}

SANITIZER_RE = re.compile(
	r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: \w*Sanitizer")


class TestFailure(Exception):
	pass


class TestSkip(Exception):
	pass


def _is_asan(path):
	try:
		with open(path, "rb") as f:
			return b"__asan_init" in f.read()
	except OSError:
		return False


SCALE = float(os.environ.get("KITCHEN_TEST_SCALE") or (3 if _is_asan(KITCHEND) else 1))

_transcript = []   # every command run, for the failure report
_kitchens = []     # every Kitchen made, for the failure report


def note(*what):
	"""Record a line in the transcript printed when the test fails. A command
	run again (a poll) replaces its previous entry, counted."""
	text = " ".join(str(w) for w in what)
	head = re.sub(r"  \[[0-9.]+ s\]", "", text.split("\n", 1)[0])
	if _transcript and _transcript[-1][0] == head:
		_transcript[-1] = (head, text, _transcript[-1][2] + 1)
	else:
		_transcript.append((head, text, 1))


def check(cond, message, *details):
	"""Fail the test with @message (and @details, one per line) unless @cond."""
	if not cond:
		raise TestFailure("\n  ".join([message] + [repr(d) for d in details]))


def check_eq(got, expected, message, *details):
	"""Fail the test unless @got == @expected, showing both (and @details)."""
	if got != expected:
		raise TestFailure("\n  ".join([f"{message}", f"expected: {expected!r}", f"got:      {got!r}"]
					       + [repr(d) for d in details]))


def poll(fn, timeout, what, interval=0.02):
	"""Call fn() until it returns something true; return that. Fail after
	@timeout seconds (times SCALE) saying what was awaited and fn's last value."""
	deadline = time.monotonic() + timeout * SCALE
	last = None
	while True:
		last = fn()
		if last:
			return last
		if time.monotonic() > deadline:
			raise TestFailure(f"timed out after {timeout * SCALE:g} s waiting for {what}; "
					  f"last: {last!r}")
		time.sleep(interval)


def _sanitizer_check(text, where):
	m = SANITIZER_RE.search(text or "")
	if m:
		start = max(0, m.start() - 200)
		raise TestFailure(f"sanitizer report in {where}:\n{text[start:start + 4000]}")


def _conf_str(s):
	out = ['"']
	for ch in s:
		if ch in '"\\':
			out.append("\\" + ch)
		elif ch == "\n":
			out.append("\\n")
		elif ch == "\t":
			out.append("\\t")
		elif ord(ch) < 0x20:
			out.append(f"\\x{ord(ch):02x}")
		else:
			out.append(ch)
	out.append('"')
	return "".join(out)


def conf_value(v, indent=""):
	"""A Python value in libconfig syntax: dict -> group, list of scalars ->
	array, list of groups -> list, str, int (L suffix when 64-bit), bool."""
	inner = indent + "\t"
	if isinstance(v, Raw):
		return v.text
	if isinstance(v, bool):
		return "true" if v else "false"
	if isinstance(v, int):
		return str(v) + ("L" if not -2**31 <= v < 2**31 else "")
	if isinstance(v, float):
		return repr(v)
	if isinstance(v, str):
		return _conf_str(v)
	if isinstance(v, dict):
		lines = [f"{inner}{k} = {conf_value(x, inner)};" for k, x in v.items()]
		return "{\n" + "\n".join(lines) + "\n" + indent + "}"
	if isinstance(v, (list, tuple)):
		if all(not isinstance(x, (dict, list, tuple)) for x in v):
			return "[ " + ", ".join(conf_value(x, inner) for x in v) + " ]"
		return "(\n" + ",\n".join(inner + conf_value(x, inner) for x in v) + "\n" + indent + ")"
	raise TypeError(f"no libconfig form for {v!r}")


class Raw:
	"""Text put into kitchen.conf as it is."""
	def __init__(self, text):
		self.text = text


def conf_text(settings):
	return "".join(f"{k} = {conf_value(v)};\n" for k, v in settings.items())


def menu(*dishes):
	"""menu(("Big", ["A", "B"]), ("Small", ["C"])) -> the config's menu list."""
	return [{"name": n, "ingredients": list(i)} for n, i in dishes]


def _merge(base, over):
	out = dict(base)
	for k, v in over.items():
		if isinstance(v, dict) and isinstance(out.get(k), dict):
			out[k] = _merge(out[k], v)
		else:
			out[k] = v
	return out


def proc_cmdline(pid):
	try:
		with open(f"/proc/{pid}/cmdline", "rb") as f:
			raw = f.read()
	except OSError:
		return None
	return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a] or None


def proc_state(pid):
	"""The one-letter state of @pid ('Z' for a zombie), or None when gone."""
	try:
		with open(f"/proc/{pid}/stat") as f:
			return f.read().rsplit(")", 1)[1].split()[0]
	except (OSError, IndexError):
		return None


def pids_mentioning(text):
	"""PIDs (live, not zombies) whose command line contains @text, but ours."""
	me = os.getpid()
	out = []
	for d in os.listdir("/proc"):
		if not d.isdigit() or int(d) == me:
			continue
		argv = proc_cmdline(int(d))
		if argv and any(text in a for a in argv):
			out.append(int(d))
	return sorted(out)


def pids_marked(name, value):
	"""PIDs of live processes (not zombies) whose environment holds
	@name=@value: what a test started, its children's children too."""
	want = f"{name}={value}".encode()
	out = []
	for d in os.listdir("/proc"):
		if not d.isdigit():
			continue
		try:
			with open(f"/proc/{d}/environ", "rb") as f:
				env = f.read().split(b"\0")
		except OSError:
			continue
		if want in env and proc_state(int(d)) not in (None, "Z"):
			out.append(int(d))
	return sorted(out)


def run(argv, timeout=30, env=None, input=None):
	"""Run @argv (bytes or str items); return (rc, stdout, stderr) as text.
	Fails the test when it does not finish within @timeout s (times SCALE)."""
	shown = show_argv(argv)
	t0 = time.monotonic()
	try:
		p = subprocess.run(argv, stdin=subprocess.DEVNULL if input is None else None,
				   input=input, capture_output=True, timeout=timeout * SCALE, env=env)
	except subprocess.TimeoutExpired as e:
		note(f"$ {shown}\n  -> no exit within {timeout * SCALE:g} s")
		raise TestFailure(f"{shown}: did not exit within {timeout * SCALE:g} s; "
				  f"stdout so far: {e.stdout!r}, stderr: {e.stderr!r}") from None
	out = p.stdout.decode("utf-8", "replace")
	err = p.stderr.decode("utf-8", "replace")
	note(f"$ {shown}  [{time.monotonic() - t0:.2f} s]\n  -> rc {p.returncode}"
	     + (f"\n  stdout: {_clip(out)}" if out else "")
	     + (f"\n  stderr: {_clip(err)}" if err else ""))
	_sanitizer_check(err, shown)
	return p.returncode, out, err


def show_argv(argv):
	"""@argv for a human: long arguments cut, bytes shown as bytes."""
	out = []
	for a in argv:
		a = a if isinstance(a, str) else repr(a)
		out.append(a if len(a) <= 80 else f"{a[:20]}...({len(a)} chars)")
	return " ".join(out)


def _clip(s, n=2000):
	s = s.rstrip("\n")
	return s if len(s) <= n else s[:n] + f"... ({len(s)} chars)"


def clean_env(**extra):
	env = {k: v for k, v in os.environ.items() if not k.startswith("KITCHEN_")}
	env.update(extra)
	return env


def parse_json(text, what):
	try:
		return json.loads(text)
	except ValueError as e:
		raise TestFailure(f"{what}: not JSON ({e}): {text!r}") from None


class Kitchen:
	def __init__(self, chefs_ready=None, start=True, log_level="debug", env=None, wrapper=None,
		     state_dir=None, args=None, pass_fds=(), **overrides):
		"""@overrides are kitchen.conf keys: Kitchen(timing={"cook_ms": 100},
		menu=menu(("Soup", ["Water"]))). @chefs_ready: how many ready chefs
		to wait for (default chefs.local, else 3). @env: variables added to
		kitchend's environment, which its local chefs inherit
		(env={"KITCHEN_CHEF_FAULTS": "Poison=crash"}). @wrapper: argv put
		before kitchend's, a program that execs it (so the PID stays):
		wrapper=["sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"']). @state_dir: an
		existing directory to use as state_dir instead of one in the
		temporary directory (a mount point, say; the test cleans it up).
		@args: arguments added to kitchend's (start() takes more). @pass_fds:
		descriptors kitchend (or @wrapper) inherits, at their numbers."""
		self.overrides = overrides
		self.env = dict(env or {})
		self.wrapper = list(wrapper or [])
		self.pass_fds = tuple(pass_fds)  # descriptors kitchend (its wrapper) inherits
		self.given_state_dir = state_dir
		self.args = list(args or [])
		self.remote_chefs = []
		self.log_level = log_level
		self.autostart = start
		chefs = overrides.get("chefs", {})
		self.expected_chefs = chefs_ready if chefs_ready is not None else chefs.get("local", 3)
		self.proc = None
		self.dir = None
		self.log_printed = False
		self.final_log = ""
		_kitchens.append(self)

	# --- lifetime ---

	def __enter__(self):
		base = tempfile.gettempdir()
		if len(base) > 40:  # unix socket paths are short (108 bytes)
			base = "/tmp"
		self.dir = tempfile.mkdtemp(prefix="kitchen-it-", dir=base)
		self.runtime_dir = os.path.join(self.dir, "runtime")
		self.state_dir = self.given_state_dir or os.path.join(self.dir, "state")
		self.config = os.path.join(self.dir, "kitchen.conf")
		self.log_path = os.path.join(self.dir, "kitchend.log")
		os.mkdir(self.runtime_dir, 0o755)
		if not self.given_state_dir:
			os.mkdir(self.state_dir, 0o755)
		settings = _merge({
			"log_level": self.log_level,
			"runtime_dir": self.runtime_dir,
			"state_dir": self.state_dir,
			"chefs": {"command": CHEF},
		}, self.overrides)
		with open(self.config, "w") as f:
			f.write(conf_text(settings))
		eps = settings.get("endpoints", {})
		self.control = eps.get("control", f"ipc://{self.runtime_dir}/control.sock")
		self.events = eps.get("events", f"ipc://{self.runtime_dir}/events.sock")
		try:
			if self.autostart:
				self.start()
		except BaseException:
			self.__exit__(*sys.exc_info())
			raise
		return self

	def __exit__(self, etype, evalue, tb):
		try:
			# A passing test ends with a clean stop, so every test also
			# checks shutdown, and sanitizers get to report leaks.
			if etype is None and self.proc is not None and self.proc.poll() is None:
				rc = self.stop(timeout=15)
				check(rc == 0, f"kitchend exited {rc} on SIGTERM at the end of the test")
		finally:
			self.kill_all()
			if self.proc is not None:
				try:
					self.proc.wait(timeout=10)
				except subprocess.TimeoutExpired:
					pass
			self.final_log = self.log()
			if os.environ.get("KITCHEN_TEST_KEEP"):
				print(f"harness: kept {self.dir}", file=sys.stderr)
			else:
				shutil.rmtree(self.dir, ignore_errors=True)
		if etype is None:
			_sanitizer_check(self.final_log, f"kitchend's log ({self.log_path})")
		return False

	def start(self, wait=True, args=()):
		"""Start kitchend (again, on the same directories and config), with
		@args after the constructor's."""
		check(self.proc is None or self.proc.poll() is not None, "kitchend is already running")
		argv = [KITCHEND, "--config", self.config] + self.args + list(args)
		with open(self.log_path, "ab") as log:
			log.write(f"=== harness: starting {' '.join(argv)}\n".encode())
			log.flush()
			self.proc = subprocess.Popen(self.wrapper + argv,
						     stdin=subprocess.DEVNULL, stdout=log, stderr=log,
						     env=clean_env(**self.env), pass_fds=self.pass_fds)
		note(f"$ kitchend {' '.join(argv[1:])} &  [pid {self.proc.pid}]")
		if wait:
			self.wait_ready()

	def wait_ready(self, chefs=None, timeout=10):
		"""Wait until status --json answers with @chefs ready chefs."""
		n = self.expected_chefs if chefs is None else chefs

		def ready():
			if self.proc.poll() is not None:
				raise TestFailure(f"kitchend exited with {self.proc.returncode} "
						  "before it was ready")
			rc, out, _ = self.ctl("--timeout", "500", "--json", "status", quiet=True)
			if rc != 0:
				return None
			try:
				st = json.loads(out)
			except ValueError:
				return None
			ready = [c for c in st.get("chefs", []) if self.chef_ready(c)]
			return st if len(ready) == n else None

		return poll(ready, timeout, f"kitchend to answer status with {n} ready chefs",
			    interval=0.05)

	@staticmethod
	def chef_ready(c):
		return c.get("state") not in NOT_READY_STATES and c.get("pid", 1) > 0

	def stop(self, sig=signal.SIGTERM, timeout=10):
		"""Send @sig to kitchend, wait for it (bounded), return its exit code."""
		note(f"$ kill -{sig.name} {self.proc.pid}  # kitchend")
		self.proc.send_signal(sig)
		try:
			rc = self.proc.wait(timeout=timeout * SCALE)
		except subprocess.TimeoutExpired:
			raise TestFailure(f"kitchend did not exit within {timeout * SCALE:g} s "
					  f"of {sig.name}") from None
		note(f"  -> kitchend exited {rc}")
		return rc

	def wait_exit(self, timeout=10):
		"""Wait (bounded) for a kitchend expected to exit by itself; its exit code."""
		try:
			rc = self.proc.wait(timeout=timeout * SCALE)
		except subprocess.TimeoutExpired:
			raise TestFailure(f"kitchend did not exit by itself within {timeout * SCALE:g} s") from None
		note(f"  -> kitchend exited {rc}")
		return rc

	def kill(self):
		"""SIGKILL kitchend alone (its chefs live on); return its exit code."""
		return self.stop(signal.SIGKILL)

	def kill_all(self):
		"""SIGKILL, by PID, every process whose command line names our dir."""
		if not self.dir:
			return
		for _ in range(5):  # a dying kitchend may still fork a chef
			pids = pids_mentioning(self.dir)
			if self.proc is not None and self.proc.poll() is None and self.proc.pid not in pids:
				pids.append(self.proc.pid)
			if not pids:
				return
			for pid in pids:
				try:
					os.kill(pid, signal.SIGKILL)
				except ProcessLookupError:
					pass
			if self.proc is not None:
				try:
					self.proc.wait(timeout=5)
				except subprocess.TimeoutExpired:
					pass
			time.sleep(0.05)

	def start_chef(self, name, stations=1, heartbeat_ms=None, liveness=None, env=None, config=None):
		"""Start a chef that kitchend did not spawn (a "remote" chef, here on
		loopback): it connects to this kitchen's dispatch and sink endpoints,
		logs to kitchend.log, outlives kitchend, and is SIGKILLed by PID on
		the way out like everything naming our directory. Returns its Popen."""
		eps = self.overrides.get("endpoints", {})
		argv = [CHEF, "--name", name, "--stations", str(stations),
			"--dispatch", eps.get("dispatch", f"ipc://{self.runtime_dir}/dispatch.sock"),
			"--sink", eps.get("sink", f"ipc://{self.runtime_dir}/sink.sock"),
			"--log-level", self.log_level]
		if heartbeat_ms is not None:
			argv += ["--heartbeat-ms", str(heartbeat_ms)]
		if liveness is not None:
			argv += ["--liveness", str(liveness)]
		if config is not None:
			argv += ["--config", config]
		with open(self.log_path, "ab") as log:
			p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
					     env=clean_env(**(env or {})))
		note(f"$ {show_argv(argv)} &  [pid {p.pid}]")
		self.remote_chefs.append(p)
		return p

	def store_path(self):
		"""The SQLite file of the order store (read it with sqlite3, e.g.
		after kitchend has stopped)."""
		return os.path.join(self.state_dir, "kitchen.db")

	# --- kitchenctl ---

	def ctl_argv(self, args):
		return [KITCHENCTL, "--control", self.control, "--events", self.events, *args]

	def ctl(self, *args, timeout=30, quiet=False):
		"""Run kitchenctl with --control/--events pointed at this kitchen;
		(rc, stdout, stderr)."""
		argv = self.ctl_argv(args)
		if quiet:
			try:
				p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
						   timeout=timeout * SCALE, env=clean_env())
			except subprocess.TimeoutExpired:
				raise TestFailure(f"{show_argv(argv)}: did not exit within "
						  f"{timeout * SCALE:g} s") from None
			err = p.stderr.decode("utf-8", "replace")
			_sanitizer_check(err, show_argv(argv))
			return p.returncode, p.stdout.decode("utf-8", "replace"), err
		return run(argv, timeout=timeout, env=clean_env())

	def ctl_popen(self, *args):
		"""Start kitchenctl without waiting; text pipes on stdout and stderr."""
		argv = self.ctl_argv(args)
		note(f"$ {show_argv(argv)} &")
		return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
					stderr=subprocess.PIPE, text=True, env=clean_env())

	def ctl_ok(self, *args, timeout=30):
		rc, out, err = self.ctl(*args, timeout=timeout)
		check(rc == 0, f"kitchenctl {show_argv(args)} exited {rc}", out, err)
		return out

	def ctl_json(self, *args, timeout=30):
		out = self.ctl_ok("--json", *args, timeout=timeout)
		return parse_json(out, f"kitchenctl --json {show_argv(args)}")

	def status(self):
		return self.ctl_json("status")

	def show(self, order_id):
		return self.ctl_json("show", str(order_id))

	def chefs(self):
		return self.ctl_json("chefs")

	def order(self, *dishes):
		"""Place a plain order; return its id (the one line on stdout)."""
		out = self.ctl_ok("order", *dishes)
		check(re.fullmatch(r"\d+\n?", out) is not None,
		      "plain order should print the order id alone", out)
		return int(out)

	def wait_order(self, order_id, timeout=30):
		"""Poll show --json until the order is done (served, failed or
		cancelled); return the report."""
		def done():
			report = self.show(order_id)
			return report if report.get("state") in ("served", "failed", "cancelled") else None
		return poll(done, timeout, f"order {order_id} to be done", interval=0.1)

	def chef_pids(self):
		"""PIDs of the chefs kitchenctl chefs --json lists."""
		return sorted(c["pid"] for c in self.chefs())

	def proc_chef_pids(self):
		"""PIDs of running chef processes of this kitchen, from /proc: those
		naming our directory whose command line has chef's --dispatch."""
		kitchend = self.proc.pid if self.proc is not None else None
		return [pid for pid in pids_mentioning(self.dir)
			if pid != kitchend and "--dispatch" in (proc_cmdline(pid) or [])]

	# --- the log ---

	def log(self):
		if not self.dir or not os.path.exists(self.log_path):
			return self.final_log
		with open(self.log_path, "rb") as f:
			return f.read().decode("utf-8", "replace")

	def print_log(self, lines=300):
		if self.log_printed:
			return
		self.log_printed = True
		tail = (self.log() or "").splitlines()[-lines:]
		print(f"--- kitchend log ({self.log_path}, last {len(tail)} lines) ---", file=sys.stderr)
		for line in tail:
			print(line, file=sys.stderr)
		print("--- end of kitchend log ---", file=sys.stderr)


def store_dishes(path):
	"""Every dish in the order store at @path (read-only; best after kitchend
	stopped), as tuples (order_id, idx, name, state, attempts) in dish id
	order. The store (schema 5, daemon/store.h) keeps one row per order with
	its dish names, and a dish row only for a dish served, failed or taken
	back: a dish without one is queued (state 0), never tried."""
	import sqlite3
	db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
	try:
		check_eq(db.execute("PRAGMA user_version").fetchone()[0], 5, f"the schema version of {path}")
		rows = dict((i, (s, a)) for i, s, a in db.execute("SELECT id, state, attempts FROM dishes"))
		out = []
		for oid, first, n, names in db.execute("SELECT id, first_dish, dishes, names FROM orders ORDER BY id"):
			names = names.split("\n") if n else []
			check_eq(len(names), n, f"dish names of order {oid} in the store")
			for i, name in enumerate(names):
				out.append((oid, i, name) + rows.pop(first + i, (0, 0)))
		check_eq(rows, {}, "dish rows in the store that belong to no order")
		return out
	finally:
		db.close()


def proc_status(pid, field):
	"""The number of line @field ("VmRSS", "Threads", ...) of /proc/@pid/status; 0 if none."""
	with open(f"/proc/{pid}/status") as f:
		for line in f:
			if line.startswith(field + ":"):
				return int(line.split()[1])
	return 0


def measure_memory():
	"""Call before starting a kitchend whose memory a test measures: under
	AddressSanitizer, which keeps 256 MiB of freed memory by default (it
	would read as growth), keep that quarantine small."""
	if _is_asan(KITCHEND):
		opts = os.environ.get("ASAN_OPTIONS", "")
		os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "quarantine_size_mb=8"


def free_ports(n):
	"""@n TCP ports on 127.0.0.1 that nobody listens on right now."""
	import socket
	socks = []
	try:
		for _ in range(n):
			s = socket.socket()
			s.bind(("127.0.0.1", 0))
			socks.append(s)
		return [s.getsockname()[1] for s in socks]
	finally:
		for s in socks:
			s.close()


def keygen(name, directory):
	"""kitchenctl keygen @name --dir @directory; returns the public key."""
	rc, out, err = run([KITCHENCTL, "--json", "keygen", name, "--dir", directory], env=clean_env())
	check(rc == 0, f"kitchenctl keygen {name} failed", out, err)
	return re.search(r'"public_key": "([^"]+)"', out).group(1)


def packed_group(*fields):
	"""A packed group of DISH, RESULT or ORDERS as it goes on the wire
	(docs/protocol.md, "Framing"): its fields joined by tabs, after its length."""
	group = "\t".join(fields)
	return f"{len(group.encode())}:{group}"


def order_lines(out):
	"""The "I- ..." and "O- ..." lines of kitchenctl's output."""
	return [l for l in out.splitlines() if l.startswith(("I- ", "O- "))]


def main(fn):
	"""Run test function @fn; exit 0 pass, 1 fail, 77 skip."""
	for path, what in ((KITCHEND, "KITCHEND"), (KITCHENCTL, "KITCHENCTL"), (CHEF, "CHEF")):
		if not os.access(path, os.X_OK):
			print(f"FAIL: {what} {path} is not an executable (build first)", file=sys.stderr)
			sys.exit(1)
	name = os.path.basename(sys.argv[0])
	t0 = time.monotonic()
	try:
		fn()
	except TestSkip as e:
		print(f"SKIP {name}: {e}")
		sys.exit(77)
	except BaseException as e:
		if isinstance(e, TestFailure):
			msg = str(e)
		elif isinstance(e, AssertionError):
			msg = "assertion failed: " + (str(e) or traceback.format_exc())
		else:
			msg = traceback.format_exc()
		# Details last: meson --print-errorlogs shows only the tail of a long
		# log (build-dir/meson-logs/testlog.txt has all of it).
		for k in _kitchens:
			if k.dir:
				k.print_log()
		print("--- commands run (the last 30) ---", file=sys.stderr)
		for _, text, count in _transcript[-30:]:
			print(text + (f"\n  (run {count} times; the last shown)" if count > 1 else ""),
			      file=sys.stderr)
		print(f"FAIL {name}: {msg}", file=sys.stderr)
		if "\n" in msg.strip():
			short = msg.splitlines()[0] if isinstance(e, TestFailure) else f"{type(e).__name__}: {e}"
			print(f"FAIL {name}: {short}", file=sys.stderr)
		sys.exit(1)
	print(f"PASS {name} ({time.monotonic() - t0:.1f} s)")
	sys.exit(0)
