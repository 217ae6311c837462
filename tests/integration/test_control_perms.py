#!/usr/bin/env python3
"""control.mode and control.group: the ipc control and events sockets get the
mode (0660 by default) and the group; dispatch and sink are kitchend's
user's alone (0600). A reload applies a new mode; a group that does not exist stops
kitchend at start, saying so. As root (with setpriv), a user outside the
group cannot use kitchenctl and a member of the group can."""

import grp
import os
import shutil
import stat

from harness import KITCHENCTL, Kitchen, check, check_eq, clean_env, main, poll, run


def mode(path):
	return stat.S_IMODE(os.stat(path).st_mode)


def sockets(k):
	return {n: os.path.join(k.runtime_dir, f"{n}.sock") for n in ("control", "events", "dispatch", "sink")}


def other_group():
	"""A group that is not our primary one that we may give files to, or None."""
	if os.geteuid() == 0:
		for g in grp.getgrall():
			if g.gr_gid != os.getgid() and g.gr_gid != 0:
				return g
		return None
	for gid in os.getgroups():
		if gid != os.getgid():
			try:
				return grp.getgrgid(gid)
			except KeyError:
				pass
	return None


def test_default():
	with Kitchen(chefs={"local": 1}) as k:
		s = sockets(k)
		for name in ("control", "events"):
			st = os.stat(s[name])
			check_eq(stat.S_IMODE(st.st_mode), 0o660, f"mode of {name}.sock by default")
			check_eq(st.st_gid, os.getgid(), f"group of {name}.sock by default: kitchend's own")
		for name in ("dispatch", "sink"):
			check_eq(mode(s[name]), 0o600, f"mode of {name}.sock")
		k.ctl_ok("status")


def test_mode_group_reload(g):
	with Kitchen(chefs={"local": 1}, control={"mode": "0640", "group": g.gr_name}) as k:
		s = sockets(k)
		for name in ("control", "events"):
			st = os.stat(s[name])
			check_eq(stat.S_IMODE(st.st_mode), 0o640, f"mode of {name}.sock")
			check_eq(st.st_gid, g.gr_gid, f"group of {name}.sock")

		with open(k.config) as f:
			text = f.read()
		with open(k.config, "w") as f:
			f.write(text.replace('"0640"', '"0600"'))
		k.ctl_ok("reload")
		poll(lambda: mode(s["control"]) == 0o600 and mode(s["events"]) == 0o600, 5,
		     "the sockets to get mode 0600 after the reload")
		if os.geteuid() == 0 and shutil.which("setpriv"):
			check_access(k, g)


def check_access(k, g):
	"""Connecting is ordering: only the owner and the group may."""
	os.chmod(k.dir, 0o755)  # let other users reach the runtime directory
	with open(k.config) as f:
		text = f.read()
	with open(k.config, "w") as f:
		f.write(text.replace('"0600"', '"0660"'))
	k.ctl_ok("reload")
	poll(lambda: mode(sockets(k)["control"]) == 0o660, 5, "mode 0660 after the reload")
	as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
	as_member = ["setpriv", "--reuid=65534", f"--regid={g.gr_gid}", "--clear-groups", "--"]
	rc, out, err = run(as_user + k.ctl_argv(["status"]), env=clean_env())
	check(rc == 3 and "Permission denied" in err, "a user outside the group must not reach kitchend", rc, out, err)
	rc, out, err = run(as_member + k.ctl_argv(["order", "Salad"]), env=clean_env())
	check(rc == 0, "a member of the group may order", rc, out, err)


def test_unknown_group():
	with Kitchen(start=False, chefs={"local": 0}, control={"group": "no-such-group-kitchen"}) as k:
		k.start(wait=False)
		poll(lambda: k.proc.poll() is not None, 10, "kitchend to refuse to start")
		check(k.proc.returncode != 0, "kitchend should fail with an unknown control.group")
		check("Failed to find group 'no-such-group-kitchen'" in k.log(),
		      "kitchend should say which group it did not find")


def test():
	os.umask(0o022)
	test_default()
	g = other_group()
	if g is None:
		print("no second group to give the sockets to: skipping that part")
	else:
		test_mode_group_reload(g)
	test_unknown_group()


main(test)
