#!/usr/bin/env python3
"""The files kitchend trusts: its directories and its socket files.

1. Under the unit's UMask=0007, dispatch.sock and sink.sock are still
   kitchend's user's alone (0600); control and events get control.mode.
2. control.sock replaced by a symlink: a reload neither chmods nor chowns
   what it points to, and says so (it refuses the reload).
3. A runtime or state directory owned by another user (a throw-away system
   user this test makes), or writable by others, is refused at start with
   the path and the reason; nothing is bound in it.
4. kitchenctl, for a user without XDG_RUNTIME_DIR, refuses the default
   /tmp/kitchen-UID made by someone else, naming --control and
   $KITCHEN_CONTROL; told with --control it goes on.
5. An ipc endpoint naming an existing file: --check-config refuses it with
   FILE:LINE and kitchend does not start; the file is untouched. A file put
   where a socket was is left alone when kitchend exits.

Parts 3 (another owner) and 4 need root (useradd, setpriv); skipped otherwise.
"""

import os
import shutil
import stat
import subprocess

from harness import KITCHENCTL, KITCHEND, Kitchen, check, check_eq, clean_env, main, note, poll, run

USER = f"kitchen-it-{os.getpid()}"


def mode(path):
	return stat.S_IMODE(os.lstat(path).st_mode)


def sockets(k):
	return {n: os.path.join(k.runtime_dir, f"{n}.sock") for n in ("control", "events", "dispatch", "sink")}


def test_umask():
	old = os.umask(0o007)
	try:
		with Kitchen(chefs={"local": 1}) as k:
			s = sockets(k)
			for name in ("dispatch", "sink"):
				check_eq(mode(s[name]), 0o600, f"mode of {name}.sock under umask 0007")
			for name in ("control", "events"):
				check_eq(mode(s[name]), 0o660, f"mode of {name}.sock under umask 0007")
			k.ctl_ok("status")
	finally:
		os.umask(old)


def test_symlink():
	with Kitchen(chefs={"local": 1}) as k:
		target = os.path.join(k.dir, "victim")
		with open(target, "w") as f:
			f.write("not kitchend's\n")
		os.chmod(target, 0o644)
		control = sockets(k)["control"]
		os.unlink(control)
		os.symlink(target, control)
		os.kill(k.proc.pid, 1)  # SIGHUP: kitchenctl reload would need the socket
		# The reload is refused (control.sock is not a socket now); were the
		# file swapped after that check, the chmod would refuse it too.
		poll(lambda: "is not a socket" in k.log(), 10, "kitchend to say control.sock is not a socket")
		check_eq(mode(target), 0o644, "mode of the file control.sock points to, after a reload")
		check(os.path.islink(control), "the symlink should still be there")
		os.unlink(control)  # kitchend's exit leaves what is not a socket alone


def refused_at_start(k, *needles):
	k.start(wait=False)
	poll(lambda: k.proc.poll() is not None, 10, "kitchend to refuse to start")
	check(k.proc.returncode != 0, "kitchend should not start", k.log()[-2000:])
	for n in needles:
		check(n in k.log(), f"kitchend should say {n!r}", k.log()[-2000:])
	check(not os.path.exists(os.path.join(k.runtime_dir, "control.sock")), "nothing should be bound")


def test_writable_dirs():
	for which in ("runtime", "state"):
		with Kitchen(start=False, chefs={"local": 0}) as k:
			d = k.runtime_dir if which == "runtime" else k.state_dir
			os.chmod(d, 0o777)
			refused_at_start(k, f"Failed to use {which} directory", "is writable by others (mode 0777")
		with Kitchen(start=False, chefs={"local": 0}) as k:
			d = k.runtime_dir if which == "runtime" else k.state_dir
			os.chmod(d, 0o775)
			refused_at_start(k, f"Failed to use {which} directory", "is writable by its group")


def useradd():
	rc, out, err = run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER])
	check(rc == 0, "useradd failed", out, err)
	import pwd
	return pwd.getpwnam(USER).pw_uid


def test_other_owner(uid):
	for which in ("runtime", "state"):
		with Kitchen(start=False, chefs={"local": 0}) as k:
			d = k.runtime_dir if which == "runtime" else k.state_dir
			os.chown(d, uid, uid)
			refused_at_start(k, f"Failed to use {which} directory", f"is owned by uid {uid}, not by uid 0")


def test_kitchenctl_default(uid):
	"""A user's kitchenctl with no XDG_RUNTIME_DIR looks in /tmp/kitchen-UID."""
	planted = f"/tmp/kitchen-{uid}"
	shutil.rmtree(planted, ignore_errors=True)
	os.mkdir(planted, 0o755)  # made by root: another user than the one who runs kitchenctl
	try:
		as_user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
		env = {k: v for k, v in clean_env().items() if k not in ("XDG_RUNTIME_DIR",)}
		env["HOME"] = "/"
		rc, out, err = run(as_user + [KITCHENCTL, "status"], env=env)
		check(rc != 0 and planted in err and "--control" in err and "KITCHEN_CONTROL" in err
		      and "owned by uid 0" in err, "kitchenctl should refuse a runtime directory of another user",
		      rc, out, err)
		# Told where, it tries (nobody listens there: unreachable, not refused).
		rc, out, err = run(as_user + [KITCHENCTL, "--timeout", "300", "--control",
					      f"ipc://{planted}/control.sock", "status"], env=env)
		check(rc == 3 and "owned by" not in err, "with --control kitchenctl should go on", rc, out, err)
	finally:
		shutil.rmtree(planted, ignore_errors=True)


def test_endpoint_file():
	with Kitchen(start=False, chefs={"local": 0}) as k:
		victim = os.path.join(k.dir, "precious")
		with open(victim, "w") as f:
			f.write("keep me\n")
		with open(k.config, "a") as f:
			f.write(f'endpoints = {{ sink = "ipc://{victim}"; }};\n')
		line = sum(1 for _ in open(k.config))
		rc, out, err = run([KITCHEND, "--config", k.config, "--check-config"], env=clean_env())
		check(rc != 0 and f"{k.config}:{line}:" in err and "exists and is not a socket" in err,
		      "--check-config should refuse an endpoint naming a file, with FILE:LINE", rc, out, err)
		refused_at_start(k, "exists and is not a socket")
		with open(victim) as f:
			check_eq(f.read(), "keep me\n", "the file an endpoint named")

	with Kitchen(chefs={"local": 1}) as k:
		dispatch = sockets(k)["dispatch"]
		os.unlink(dispatch)
		with open(dispatch, "w") as f:
			f.write("not a socket\n")
		check_eq(k.stop(), 0, "kitchend's exit status")
		check(os.path.isfile(dispatch), "kitchend removed a file that was not its socket at exit")


def test():
	test_umask()
	test_symlink()
	test_writable_dirs()
	test_endpoint_file()
	if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("setpriv"):
		print("not root (or no useradd/setpriv): skipping the parts with another user")
		return
	uid = useradd()
	try:
		test_other_owner(uid)
		test_kitchenctl_default(uid)
	finally:
		subprocess.run(["userdel", USER], stdin=subprocess.DEVNULL, capture_output=True)


main(test)
