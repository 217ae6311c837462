#!/usr/bin/env python3
"""Peers of another protocol version (docs/protocol.md, "Versions").

This kitchen speaks KIT8, the release before KIT7. Against a kitchend of
KIT7 (played by `hostile --old-kitchend`, which answers every control request with ERR in
KIT7, as that kitchend does for what it cannot read, and every chef message
with a KIT7 HEARTBEAT):
- kitchenctl says which version kitchend speaks and to upgrade them
  together, exits 1 (not 3, "unreachable"), and does not hang;
- a chef logs that kitchend speaks KIT7 and goes on running.
The other way round (a KIT7 client of a KIT8 kitchend) is test_hostile.py's."""

import os
import signal
import subprocess
import tempfile
import time

from harness import CHEF, KITCHENCTL, check, check_eq, clean_env, main, note, poll, run

HOSTILE = os.environ.get("HOSTILE") or os.path.join(os.path.dirname(CHEF), "tests", "integration", "hostile")


def test():
	with tempfile.TemporaryDirectory(prefix="kversions-", dir="/tmp") as tmp:
		control, dispatch, sink = (f"ipc://{tmp}/{n}.sock" for n in ("control", "dispatch", "sink"))
		old = subprocess.Popen([HOSTILE, "--old-kitchend", "--control", control, "--dispatch", dispatch,
					"--seconds", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
		chef = None
		try:
			poll(lambda: os.path.exists(f"{tmp}/control.sock") and os.path.exists(f"{tmp}/dispatch.sock"),
			     10, "the old kitchend to bind")

			for args in (["status"], ["order", "Pizza"], ["show", "1"]):
				rc, out, err = run([KITCHENCTL, "--control", control, *args], timeout=20, env=clean_env())
				check_eq(rc, 1, f"kitchenctl {' '.join(args)} against KIT7: exit status", out, err)
				check("kitchend speaks protocol KIT7, this kitchenctl KIT8: upgrade them together" in err,
				      f"kitchenctl {' '.join(args)}: should say which versions differ", err)

			log = open(f"{tmp}/chef.log", "wb")
			chef = subprocess.Popen([CHEF, "--dispatch", dispatch, "--sink", sink, "--name", "chef-v",
						 "--heartbeat-ms", "100"], stdout=log, stderr=log, env=clean_env())

			def said():
				with open(f"{tmp}/chef.log", errors="replace") as f:
					text = f.read()
				return text if "in protocol KIT7, this chef speaks KIT8: upgrade them together" in text else None
			text = poll(said, 10, "the chef to say kitchend speaks KIT7")
			note(f"chef log: {text[:600]}")
			time.sleep(0.3)
			check(chef.poll() is None, "the chef should keep running", chef.returncode)
		finally:
			for p in (chef, old):
				if p and p.poll() is None:
					p.send_signal(signal.SIGKILL)
					p.wait(timeout=10)
		out = old.stdout.read().decode()
		note(f"old kitchend: {out.strip()}")


main(test)
