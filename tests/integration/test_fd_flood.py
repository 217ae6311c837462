#!/usr/bin/env python3
"""Connections that never say a word cannot run kitchend out of descriptors.

kitchend is started with the soft limit of open files at 1024 (its hard
limit above), as a unit without LimitNOFILE= would have it. libzmq 4.3
aborts kitchend when accept(2) on an ipc socket fails with EMFILE.

1. 2,000 idle connections to control.sock, then to events.sock: kitchend
   stays up and answers kitchenctl meanwhile; they are cut off after the
   handshake time-out.
2. 10,000 key-less TCP connections to a CURVE dispatch endpoint, held open:
   kitchend stays up, answers a local kitchenctl, an allowed chef cooks an
   order, and the refusals are logged at a bounded rate.
"""

import os
import resource
import signal
import socket
import subprocess
import time

from harness import CHEF, Kitchen, SCALE, check, check_eq, clean_env, free_ports, keygen, main, note, show_argv

IDLE = 2000
FLOOD = 10000
HANDSHAKE_S = 5     # daemon/socket_limits.h: HANDSHAKE_MS
LOG_BURST = 20      # daemon/peer_log.h: PEER_LOG_BURST a minute


def raise_own_limit(need):
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	if hard != resource.RLIM_INFINITY and hard < need:
		from harness import TestSkip
		raise TestSkip(f"the hard limit of open files is {hard}, this test needs {need}")
	resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
	return hard




def connect_many(family, address, n, wait=True):
	"""@n connections to @address; without @wait, connects are only begun
	(kitchend's accept backlog is ZMQ_BACKLOG, 100: the rest keep knocking)."""
	conns = []
	for _ in range(n):
		s = socket.socket(family, socket.SOCK_STREAM)
		if wait:
			s.connect(address)
		else:
			s.setblocking(False)
			s.connect_ex(address)
		conns.append(s)
	return conns


def close_all(conns):
	for s in conns:
		s.close()


def soft_nofile(pid):
	with open(f"/proc/{pid}/limits") as f:
		for line in f:
			if line.startswith("Max open files"):
				return int(line.split()[3])
	return 0


def test_idle_ipc(hard):
	wrapper = ["prlimit", f"--nofile=1024:{hard}", "--"]
	with Kitchen(chefs={"local": 1}, wrapper=wrapper) as k:
		check(soft_nofile(k.proc.pid) > 1024, "kitchend should raise its soft limit of open files",
		      soft_nofile(k.proc.pid))
		for name in ("control", "events"):
			path = os.path.join(k.runtime_dir, f"{name}.sock")
			conns = connect_many(socket.AF_UNIX, path, IDLE)
			try:
				note(f"{IDLE} idle connections to {name}.sock")
				k.ctl_ok("status")
				k.ctl_ok("order", "--wait", "Salad")
				check(k.proc.poll() is None, f"kitchend died with {IDLE} idle connections on {name}.sock")
				if name == "control":
					# The handshake time-out cuts them off: after kitchend's
					# greeting, the idle peer reads EOF.
					conns[0].settimeout((HANDSHAKE_S + 10) * SCALE)
					t0 = time.monotonic()
					while conns[0].recv(4096):
						pass
					note(f"an idle connection cut off after {time.monotonic() - t0:.1f} s")
			finally:
				close_all(conns)
		k.ctl_ok("status")


def test_tcp_flood(hard):
	dispatch_port, sink_port = free_ports(2)
	dispatch, sink = f"tcp://127.0.0.1:{dispatch_port}", f"tcp://127.0.0.1:{sink_port}"
	wrapper = ["prlimit", f"--nofile=1024:{hard}", "--"]
	chef = None
	with Kitchen(start=False, chefs={"local": 0}, chefs_ready=1, wrapper=wrapper,
		     endpoints={"dispatch": dispatch, "sink": sink}) as k:
		keys, allow = os.path.join(k.dir, "keys"), os.path.join(k.dir, "chefs.d")
		os.mkdir(keys)
		os.mkdir(allow)
		for name in ("kitchend", "good"):
			keygen(name, keys)
		os.rename(os.path.join(keys, "good.pub"), os.path.join(allow, "good.pub"))
		with open(k.config, "a") as f:
			f.write(f'curve = {{ secret_key = "{keys}/kitchend.key"; chefs_allow = "{allow}"; }};\n')
		k.start(wait=False)
		argv = [CHEF, "--name", "good", "--dispatch", dispatch, "--sink", sink,
			"--server-key", os.path.join(keys, "kitchend.pub"), "--secret-key", os.path.join(keys, "good.key")]
		with open(k.log_path, "ab") as log:
			chef = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=clean_env())
		note(f"$ {show_argv(argv)} &  [pid {chef.pid}]")
		try:
			k.wait_ready()
			conns = []
			try:
				t0 = time.monotonic()
				conns = connect_many(socket.AF_INET, ("127.0.0.1", dispatch_port), FLOOD, wait=False)
				note(f"{FLOOD} key-less connections to {dispatch} begun in {time.monotonic() - t0:.1f} s")
				check(k.proc.poll() is None, f"kitchend died under {FLOOD} connections")
				k.ctl_ok("status")
				report = k.wait_order(k.order("Pizza", "Salad"))
				check_eq(report["state"], "served", "an order during the flood")
				check_eq({d["chef"] for d in report["dishes"]}, {"good"}, "who cooked it")
				time.sleep(HANDSHAKE_S + 1)  # the first ones time out: refusals to log
				check(k.proc.poll() is None, f"kitchend died under {FLOOD} connections")
				k.ctl_ok("status")
			finally:
				close_all(conns)
			check(k.proc.poll() is None, "kitchend died after the flood")
			k.ctl_ok("status")
			refused = [l for l in k.log().splitlines() if l.startswith("kitchend:") and "Refused" in l]
			check(len(refused) <= LOG_BURST + 1, f"{len(refused)} refusal lines: not a bounded rate",
			      refused[:5])
		finally:
			chef.send_signal(signal.SIGKILL)
			chef.wait()


def test():
	hard = raise_own_limit(FLOOD + IDLE + 1000)
	test_idle_ipc(hard)
	test_tcp_flood(hard)


main(test)
