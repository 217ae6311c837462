#!/usr/bin/env python3
"""A hostile peer cannot crash kitchend, starve real orders or run it out of memory.

hostile (tests/integration/hostile.c, $HOSTILE) sends, for 5 s and from a
fixed seed, random and crafted malformed KIT8 to control, dispatch and sink:
wrong versions and commands, wrong field counts, half groups, messages over
PROTO_MAX_FRAMES, frames over PROTO_MAX_FIELD (libzmq drops the connection;
hostile reconnects), invalid UTF-8, numbers that overflow, READYs with absurd
credit, RESULTs and PROGRESS for nobody, floods of WAIT. It also joins as the
chef "fake": a valid READY with credit 1024, then silence, so it takes dishes
and never cooks them.

Meanwhile 4 clients place 5 orders each with `kitchenctl order --wait`. Then:
kitchend stayed up; every real order was served and no dish failed (the
fake's dishes came back after its liveness: the log says so); STATUS's
malformed counter rose by at least what hostile sent that must count; its
resident memory grew by less than a generous bound; and (the harness) SIGTERM
stops it with status 0.

hostile itself (not kitchend) may abort inside libzmq 4.3 when a connection
is torn down mid-message (libzmq issue 3442, "Resource temporarily
unavailable (src/session_base.cpp:260)"), which kitchend's hang-ups on
oversized frames provoke now and then: then the whole attack runs again
with the next seed, at most three times, kitchend's survival checked each
time.
"""

import os
import signal
import subprocess
import threading
import time

from harness import REPO, SCALE, Kitchen, check, check_eq, main, measure_memory, note, proc_status

HOSTILE = os.path.abspath(os.environ.get("HOSTILE")
			  or os.path.join(REPO, "build", "tests", "integration", "hostile"))
SECONDS = 5
SEED = 42
CLIENTS = 4
ORDERS_PER_CLIENT = 5
DISHES = ["Pizza", "Salad"]
# kitchend holds a proto_msg (~40 KiB) and scratch buffers from the start; what
# a flood may add is bounded by the pipes' high-water marks. This is far above
# what a bounded kitchend uses and far below what an unbounded one reaches.
RSS_GROWTH_MAX_KIB = 160 * 1024




def test():
	check(os.access(HOSTILE, os.X_OK), f"hostile client {HOSTILE} is not built")
	measure_memory()
	with Kitchen(chefs={"local": 2, "threads": 2}, timing={"cook_ms": 10}) as k:
		dispatch = f"ipc://{k.runtime_dir}/dispatch.sock"
		sink = f"ipc://{k.runtime_dir}/sink.sock"
		pid = k.proc.pid

		for seed in (SEED, SEED + 1, SEED + 2):
			# Settle first, so the baseline has the store and the chefs warm.
			k.ctl_ok("order", "--wait", "Salad")
			before = k.status()
			rss_before = proc_status(pid, "VmRSS")

			argv = [HOSTILE, "--control", k.control, "--dispatch", dispatch, "--sink", sink,
				"--seconds", str(SECONDS), "--seed", str(seed), "--fake-chef", "fake"]
			note("$ " + " ".join(argv) + " &")
			hostile = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
						   stderr=subprocess.PIPE, text=True)
			results = []
			lock = threading.Lock()

			def client(n):
				for i in range(ORDERS_PER_CLIENT):
					argv = k.ctl_argv(["--timeout", str(int(20000 * SCALE)), "order", "--wait", *DISHES])
					try:
						p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
								   text=True, timeout=90 * SCALE)
						r = (n, i, p.returncode, p.stdout, p.stderr)
					except subprocess.TimeoutExpired:
						r = (n, i, "timeout", "", "")
					with lock:
						results.append(r)

			threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
			try:
				for t in threads:
					t.start()
				rss_peak = rss_before
				while hostile.poll() is None:
					check(k.proc.poll() is None,
					      f"kitchend died under the hostile peer (exit {k.proc.returncode})")
					rss_peak = max(rss_peak, proc_status(pid, "VmRSS"))
					time.sleep(0.1)
				out, err = hostile.communicate(timeout=30)
			finally:
				if hostile.poll() is None:
					hostile.kill()
					hostile.wait()
				for t in threads:
					t.join(timeout=120 * SCALE)
			note(f"  -> hostile exited {hostile.returncode}\n  stdout: {out.strip()}\n  stderr: {err.strip()}")
			if hostile.returncode == -signal.SIGABRT and "session_base.cpp" in err:
				# The tool itself, not kitchend: libzmq 4.3 asserts in a session
				# torn down mid-message (libzmq issue 3442), which kitchend's
				# hang-ups on oversized frames provoke. Again, with the next seed.
				note(f"  hostile aborted inside libzmq (seed {seed}); once more with seed {seed + 1}")
				check(k.proc.poll() is None, f"kitchend died under the hostile peer (exit {k.proc.returncode})")
				continue
			check_eq(hostile.returncode, 0, "hostile's exit status", err)
			stats = dict((l.split()[0], int(l.split()[1])) for l in out.splitlines() if l.strip())
			check(k.proc.poll() is None, f"kitchend died under the hostile peer (exit {k.proc.returncode})")

			# It really was hostile, on every socket, and really reconnected.
			for what in ("sent_control", "sent_dispatch", "sent_sink"):
				check(stats[what] > 100, f"hostile sent too little to test anything: {what}", stats)
			check(stats["oversized"] >= 10 and stats["reconnects"] == stats["oversized"],
			      "hostile should have sent oversized frames and reconnected after each", stats)
			check(stats["too_many_frames"] > 0 and stats["waits"] > 0 and stats["bad_readies"] > 0,
			      "hostile should have sent every kind of message", stats)
			check(stats["replies"] > 0, "control should have answered hostile's malformed requests", stats)
			# Past a client's share its oldest WAITs are answered early, never
			# refused (test_wait_share.py counts them).
			check_eq(stats["replies_full"], 0, "WAITs refused with ERR full", stats)
			check_eq(stats["old_version_answered"], 1,
				 "a KIT7 client should get ERR bad-request in KIT7, naming KIT8", stats)

			# Every real order served, none failed, none timed out.
			check(all(not t.is_alive() for t in threads), "a client is still waiting for its order")
			check_eq(len(results), CLIENTS * ORDERS_PER_CLIENT, "orders placed")
			bad = [r for r in results if r[2] != 0]
			check(not bad, f"{len(bad)} real orders were not served", bad[:3])
			after = k.status()
			served = after["dishes"]["served"] - before["dishes"]["served"]
			check_eq(served, CLIENTS * ORDERS_PER_CLIENT * len(DISHES), "dishes served during the attack")
			check_eq(after["dishes"]["failed"], before["dishes"]["failed"], "dishes failed")

			# The fake chef took dishes, fell silent, and kitchend took them back.
			check(stats["fake_dishes"] > 0, "the fake chef should have been handed dishes", stats)
			log = k.log()
			check("speaks protocol KIT7, this kitchend speaks KIT8 (upgrade them together)" in log,
			      "kitchend should say when a peer speaks another protocol version")
			check("Chef fake is gone (silent for" in log,
			      "kitchend should have declared the silent fake chef gone")
			check(all(c["name"] != "fake" for c in after["chefs"]), "the fake chef is still listed",
			      after["chefs"])

			# Counted: everything that cannot be a message, at least. Messages
			# over PROTO_MAX_FRAMES all count; oversized ones never arrive.
			rose = after["malformed"] - before["malformed"]
			check(rose >= stats["too_many_frames"] // 2,
			      f"malformed rose by only {rose}", stats)
			check(rose > 1000, f"malformed rose by only {rose}", stats)

			rss_after = proc_status(pid, "VmRSS")
			note(f"  kitchend VmRSS: {rss_before} KiB before, {rss_peak} KiB peak, {rss_after} KiB after")
			check(rss_peak - rss_before < RSS_GROWTH_MAX_KIB,
			      f"kitchend's memory grew by {rss_peak - rss_before} KiB under attack "
			      f"(from {rss_before} KiB to a peak of {rss_peak} KiB)")

			break
		else:
			check(False, "hostile aborted inside libzmq with three seeds in a row")

		# Still answering as usual.
		k.ctl_ok("order", "--wait", "Salad")
		print(f"hostile: {stats}; malformed +{rose}; VmRSS {rss_before} -> peak {rss_peak} "
		      f"-> {rss_after} KiB")


if __name__ == "__main__":
	main(test)
