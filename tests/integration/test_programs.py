#!/usr/bin/env python3
"""Dishes that run real programs (issue 12): kitchend's menu names scripts this
test writes, its local chefs run them.

- echo: the input on stdin comes back as the output, byte-exact, and as one
  argv element after "--" (an option-like input stays an operand); each
  program sees KITCHEN_CHEF, its chef's name;
- fail: exit 3 with a stderr line fails every attempt with "exit 3: <line>";
- hang: the recipe's time-out fails it "timed out after 1000 ms"; a cancel
  of another hanging dish ends it cancelled; either way no process of the
  script is left;
- fork: a program that leaves a child holding stdout is served when it exits
  (its child killed), not when the child would end;
- 10 MB of output: cut at the default max_output (1 MiB) with the note, and
  whole with max_output = 16 MiB;
- kill -9 of the chef during a run: the dish is cooked again, by another
  chef, and served; the killed chef's program does not outlive it;
- reload: a program dish added to kitchen.conf is cooked after kitchenctl
  reload (the local chefs read the file again and say their new skills).

Skipped (77) with a kitchenctl that has no --input/--output.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import harness
from harness import SCALE, Kitchen, TestSkip, check, check_eq, clean_env, main, note, pids_mentioning, poll

BIG = 10_000_000
MIB = 1024 * 1024

SCRIPTS = {
	"echo.sh": 'printf "%s|%s|" "$KITCHEN_CHEF" "$2"; cat\n',
	"fail.sh": "echo first >&2\necho no such file >&2\nexit 3\n",
	# A loop of short sleeps: every process of it names the script (cleanup).
	"hang.sh": "while :; do sleep 0.1; done\n",
	"fork.sh": '(while :; do sleep 0.1; done) &\necho "parent done"\n',
	"big.sh": "head -c %d /dev/zero | tr '\\0' x\n" % BIG,
	"slow.sh": 'i=0\nwhile [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done\necho "slow done by $KITCHEN_CHEF"\n',
	"new.sh": "echo new dish\n",
}


def program(name, script, *args, **keys):
	return dict(name=name, run=[script, *args], **keys)


def the_menu(bin_dir, extra=()):
	s = lambda n: os.path.join(bin_dir, n)
	return [
		{"name": "Tea", "ingredients": ["Leaves"]},
		program("Echo", s("echo.sh"), "--", "{input}"),
		program("Fail", s("fail.sh")),
		program("Hang", s("hang.sh"), timeout="1s"),
		program("Stuck", s("hang.sh")),
		program("Fork", s("fork.sh")),
		program("Big", s("big.sh")),
		program("Big16", s("big.sh"), max_output=16 * MIB),
		program("Slow", s("slow.sh")),
		*extra,
	]


def write_config(k, bin_dir, extra=()):
	"""kitchen.conf as the harness writes it, with our menu."""
	k.overrides["menu"] = the_menu(bin_dir, extra)
	settings = harness._merge({"log_level": k.log_level, "runtime_dir": k.runtime_dir,
				   "state_dir": k.state_dir, "chefs": {"command": harness.CHEF}}, k.overrides)
	with open(k.config, "w") as f:
		f.write(harness.conf_text(settings))


def ctl_bytes(k, *args, timeout=60):
	"""kitchenctl @args: (rc, stdout bytes, stderr text)."""
	argv = k.ctl_argv(args)
	p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout * SCALE,
			   env=clean_env())
	err = p.stderr.decode("utf-8", "replace")
	note(f"$ {harness.show_argv(argv)}\n  -> rc {p.returncode}\n  stdout: {p.stdout[:200]!r} "
	     f"({len(p.stdout)} bytes)\n  stderr: {err[-1500:]}")
	check("Sanitizer" not in err and "runtime error:" not in err, "a sanitizer report", err)
	return p.returncode, p.stdout, err


def scripts_left(bin_dir, name):
	path = os.path.join(bin_dir, name)
	return [pid for pid in pids_mentioning(path)]


def no_scripts_left(bin_dir, name, what):
	poll(lambda: not scripts_left(bin_dir, name) or None, 10, f"no process of {name} left ({what})")


def dish_of(k, order_id):
	return k.show(order_id)["dishes"][0]


def echo(k):
	rc, out, err = ctl_bytes(k, "order", "Echo", "--input", "-rf / x", "--wait", "--output")
	check(rc == 0 and re.fullmatch(rb"chef-[12]\|-rf / x\|-rf / x", out),
	      "Echo: KITCHEN_CHEF, the input as an operand after --, then on stdin, raw", rc, out, err)
	# Two dishes: outputs in the order of the dishes.
	rc, out, err = ctl_bytes(k, "order", "Echo", "Echo", "--input", "hi", "--wait", "--output")
	check_eq(rc, 0, "two Echo dishes served", out, err)
	check(out.count(b"|hi|hi") == 2, "each output once", out)


def fail(k):
	order_id = k.order("Fail")
	report = k.wait_order(order_id)
	dish = report["dishes"][0]
	check_eq(dish["state"], "failed", "Fail ends failed", report)
	check("exit 3: no such file" in dish.get("reason", ""), "the reason is the exit and the last stderr line",
	      report)
	check_eq(dish["attempts"], 2, "every attempt tried (dishes.max_attempts = 2)", report)


def hang_and_cancel(k, bin_dir):
	t0 = time.monotonic()
	order_id = k.order("Hang")
	report = k.wait_order(order_id, timeout=30)
	dish = report["dishes"][0]
	check_eq(dish["state"], "failed", "Hang ends failed", report)
	check("timed out after 1000 ms" in dish.get("reason", ""), "the recipe's time-out is the reason", report)
	note(f"Hang: 2 attempts of a 1 s time-out took {time.monotonic() - t0:.1f} s")
	no_scripts_left(bin_dir, "hang.sh", "after the time-out")

	order_id = k.order("Stuck")
	poll(lambda: dish_of(k, order_id)["state"] == "cooking" or None, 10, "Stuck to cook")
	poll(lambda: scripts_left(bin_dir, "hang.sh") or None, 10, "the Stuck program to run")
	k.ctl_ok("cancel", str(order_id))
	report = k.wait_order(order_id, timeout=15)
	check_eq(report["dishes"][0]["state"], "cancelled", "Stuck ends cancelled", report)
	no_scripts_left(bin_dir, "hang.sh", "after the cancel")


def fork(k, bin_dir):
	t0 = time.monotonic()
	rc, out, err = ctl_bytes(k, "order", "Fork", "--wait", "--output")
	took = time.monotonic() - t0
	check_eq((rc, out), (0, b"parent done\n"), "Fork: served with the parent's output", err)
	check(took < 10 * SCALE, f"Fork served when its program exited, not its child ({took:.1f} s)")
	no_scripts_left(bin_dir, "fork.sh", "the child the program left")


def big(k):
	note_text = b"\n[output cut at %d bytes]" % MIB
	rc, out, err = ctl_bytes(k, "order", "Big", "--wait", "--output", timeout=120)
	check_eq(rc, 0, "Big served", err)
	check_eq(len(out), MIB + len(note_text), "Big: cut at the default max_output, with the note")
	check(out.endswith(note_text) and out[:MIB] == b"x" * MIB, "Big: the first MiB, then the note", out[-80:])

	rc, out, err = ctl_bytes(k, "order", "Big16", "--wait", "--output", timeout=120)
	check_eq(rc, 0, "Big16 served", err)
	check(out == b"x" * BIG, "Big16: 10 MB whole with max_output = 16 MiB", len(out), out[-80:])


def chef_killed(k, bin_dir):
	order_id = k.order("Slow")
	dish = poll(lambda: (lambda d: d if d["state"] == "cooking" and d.get("chef") else None)(dish_of(k, order_id)),
		    10, "Slow to cook at a chef")
	first = poll(lambda: scripts_left(bin_dir, "slow.sh") or None, 10, "the Slow program to run")
	victim = [c for c in k.chefs() if c["name"] == dish["chef"]]
	check_eq(len(victim), 1, "the chef cooking Slow is listed", dish, k.chefs())
	note(f"$ kill -9 {victim[0]['pid']}  # {dish['chef']}, cooking Slow")
	os.kill(victim[0]["pid"], signal.SIGKILL)
	# Its program dies with it (PR_SET_PDEATHSIG), well before its 10 s are up.
	poll(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in first) or None, 3,
	     "the killed chef's program to die with it")
	report = k.wait_order(order_id, timeout=60)
	dish = report["dishes"][0]
	check_eq(dish["state"], "served", "Slow served after its chef was killed", report)
	check(dish["attempts"] >= 2, "Slow cooked again", report)
	rc, out, err = ctl_bytes(k, "wait", str(order_id), "--output")
	check(rc == 0 and out.startswith(b"slow done by chef-"), "Slow's output", rc, out, err)
	no_scripts_left(bin_dir, "slow.sh", "after Slow was served")
	k.wait_ready()


def reload_adds(k, bin_dir):
	rc, out, err = k.ctl("order", "New")
	check(rc != 0 and "New" in err, "New is not on the menu yet", rc, out, err)
	write_config(k, bin_dir, extra=[program("New", os.path.join(bin_dir, "new.sh"))])
	k.ctl_ok("reload")
	# The chefs start a new session with the new skills; New waits until one has.
	rc, out, err = ctl_bytes(k, "order", "New", "--wait", "--output", timeout=60)
	check_eq((rc, out), (0, b"new dish\n"), "New cooked after the reload", err)
	k.wait_ready()


def test():
	# Until kitchenctl has order --input and --output (issue 12), there is nothing to drive.
	p = subprocess.run([harness.KITCHENCTL, "order", "--help"], capture_output=True, text=True, env=clean_env())
	if "--output" not in p.stdout + p.stderr:
		raise TestSkip("this kitchenctl has no --input/--output yet")
	bin_dir = tempfile.mkdtemp(prefix="kitchen-programs-", dir="/tmp")
	try:
		for name, text in SCRIPTS.items():
			path = os.path.join(bin_dir, name)
			with open(path, "w") as f:
				f.write("#!/bin/sh\n" + text)
			os.chmod(path, 0o755)
		with Kitchen(start=False, chefs={"local": 2, "threads": 1},
			     dishes={"max_attempts": 2, "max_input": 4096}) as k:
			write_config(k, bin_dir)
			k.start()
			echo(k)
			fail(k)
			hang_and_cancel(k, bin_dir)
			fork(k, bin_dir)
			big(k)
			chef_killed(k, bin_dir)
			reload_adds(k, bin_dir)
	finally:
		for pid in pids_mentioning(bin_dir):
			try:
				os.kill(pid, signal.SIGKILL)
			except ProcessLookupError:
				pass
		shutil.rmtree(bin_dir, ignore_errors=True)


main(test)
