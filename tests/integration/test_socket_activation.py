#!/usr/bin/env python3
"""Socket activation as systemd does it (sd_listen_fds(3): LISTEN_PID,
LISTEN_FDS, LISTEN_FDNAMES, descriptors from 3), with the listening sockets
made here and held across kitchend's restarts, as kitchend.socket holds them:

- kitchend binds control and events on the sockets it is given (its log
  says so), gives them control.mode, and leaves the files when it stops;
- while no kitchend runs, a kitchenctl connects and waits instead of being
  refused, and is answered by the next kitchend;
- kitchend restarted (SIGTERM, then a new one) over and over while a client
  orders without pause: every order is accepted, each exactly once (as many
  orders in the store as kitchenctl said "accepted", their ids distinct).
  Each order has its key: kitchenctl sends a request again when its
  connection drops before the reply, and the reply of an order the old
  kitchend took at the moment it exited can be lost with it (seen about once
  in ten runs without keys: the order taken twice).

test_nspawn.py runs kitchend.socket itself under a real systemd.
"""

import fcntl
import os
import socket
import stat
import threading
import time

from harness import SCALE, Kitchen, TestFailure, check, check_eq, main, menu, poll

ROUNDS = 6
WRAPPER = 'LISTEN_PID=$$ LISTEN_FDS=2 LISTEN_FDNAMES=control:events exec "$0" "$@" 3<&"$C" 4<&"$E"'


def listener(path):
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	s.bind(path)
	s.listen(128)
	return s


def high(fd):
	"""A copy of @fd above 3 and 4, which the wrapper fills."""
	return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)


def orderer(k, stop, results):
	"""Order one Soup after another until @stop, each with a key of its own;
	(rc, id or error) each."""
	while not stop.is_set():
		rc, out, err = k.ctl("--timeout", str(int(20000 * SCALE)), "order", "--key", f"soup-{len(results)}",
				     "Soup", quiet=True, timeout=60)
		results.append((rc, out.strip() if rc == 0 else err.strip()))


def test():
	with Kitchen(start=False, chefs={"local": 1}, menu=menu(("Soup", ["Water"])),
		     timing={"cook_ms": 300, "prep_ms": 0, "season_ms": 0}) as k:
		ctl_path, ev_path = k.control[len("ipc://"):], k.events[len("ipc://"):]
		socks = [listener(ctl_path), listener(ev_path)]
		fds = [high(s.fileno()) for s in socks]
		for s in socks:
			s.close()
		try:
			k.pass_fds = tuple(fds)
			k.wrapper = ["bash", "-c", WRAPPER]
			k.env.update(C=str(fds[0]), E=str(fds[1]))
			k.start()
			for name in ("control", "events"):
				check(f"Took the {name} socket from systemd" in k.log(), f"kitchend's log on the {name} socket")
			for p in (ctl_path, ev_path):
				check_eq(stat.S_IMODE(os.stat(p).st_mode), 0o660, f"mode of {p} (control.mode)")
			out = k.ctl_ok("order", "--wait", "Soup")
			check("O- Served Soup" in out, "an order served on the passed sockets", out)

			# Stopped: the files stay, and a client waits for the next kitchend.
			check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
			check(os.path.exists(ctl_path) and os.path.exists(ev_path), "socket files kept for the next kitchend")
			waiting = k.ctl_popen("--timeout", str(int(20000 * SCALE)), "status")
			time.sleep(0.5)
			check(waiting.poll() is None, "kitchenctl should wait for the next kitchend, not fail",
			      waiting.stderr.read() if waiting.poll() is not None else "")
			k.start(wait=False)
			out, err = waiting.communicate(timeout=30 * SCALE)
			check_eq(waiting.returncode, 0, "kitchenctl status across the restart", out, err)
			k.wait_ready()

			# Restarts while a client orders.
			stop, results = threading.Event(), []
			t = threading.Thread(target=orderer, args=(k, stop, results))
			t.start()
			try:
				for _ in range(ROUNDS):
					n = len(results)
					poll(lambda: len(results) >= n + 3 or None, 30, "orders between restarts")
					check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
					time.sleep(0.1)
					k.start(wait=False)
					k.wait_ready()
			finally:
				stop.set()
				t.join(timeout=90 * SCALE)
			check(not t.is_alive(), "the ordering client should finish")
			failed = [r for r in results if r[0] != 0]
			check_eq(failed, [], "orders refused or lost across restarts")
			ids = [int(r[1]) for r in results]
			check_eq(len(set(ids)), len(ids), "each order id once", ids)
			listed = k.ctl_json("list", "--limit", "1000")
			stored = sorted(o["order"] for o in listed["orders"])
			check_eq(len(stored), len(ids) + 1, "orders in the store: the ones accepted and the first",
				 sorted(set(stored) - set(ids)))
		finally:
			for fd in fds:
				os.close(fd)


main(test)
