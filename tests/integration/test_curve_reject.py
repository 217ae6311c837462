#!/usr/bin/env python3
"""CURVE on kitchend's tcp endpoints (loopback): a chef whose key is in the
allowlist cooks; a chef with an unknown key and a chef without CURVE get no
connection, so no dish, and kitchend logs each refusal with the peer's
address (the unknown key's with the key); the kitchen keeps serving. Local
chefs on such endpoints get in with kitchend's own key."""

import os
import re
import signal
import subprocess

from harness import CHEF, Kitchen, check, check_eq, clean_env, free_ports, keygen, main, note, poll, show_argv

DISHES = ["Pizza", "Salad", "Spaghetti", "Salad", "Pizza", "Chicken Biryani"]






def kitchend_lines(k, pattern):
	return [l for l in k.log().splitlines() if l.startswith("kitchend:") and re.search(pattern, l)]


def test_local_chefs():
	"""kitchend's own chefs on its CURVE tcp endpoints use kitchend's key pair."""
	dispatch_port, sink_port = free_ports(2)
	with Kitchen(start=False, chefs={"local": 2}, endpoints={"dispatch": f"tcp://127.0.0.1:{dispatch_port}",
								   "sink": f"tcp://127.0.0.1:{sink_port}"}) as k:
		keys = os.path.join(k.dir, "keys")
		os.mkdir(keys)
		keygen("kitchend", keys)
		with open(k.config, "a") as f:
			f.write(f'curve = {{ secret_key = "{keys}/kitchend.key"; }};\n')
		k.start()
		report = k.wait_order(k.order(*DISHES))
		check_eq(report["state"], "served", "an order cooked by local chefs over CURVE")
		check(kitchend_lines(k, r"Admitted chefs key 'kitchend \(local chef\)' from 127\.0\.0\.1"),
		      "kitchend should admit its local chefs by its own key")
		check(not kitchend_lines(k, r"Refused"), "nothing should be refused")


def test():
	test_local_chefs()
	dispatch_port, sink_port = free_ports(2)
	dispatch, sink = f"tcp://127.0.0.1:{dispatch_port}", f"tcp://127.0.0.1:{sink_port}"
	chefs = []
	with Kitchen(start=False, chefs={"local": 0}, chefs_ready=0, timing={"cook_ms": 10},
		     heartbeat={"interval_ms": 200, "liveness": 3},
		     endpoints={"dispatch": dispatch, "sink": sink}) as k:
		keys, allow = os.path.join(k.dir, "keys"), os.path.join(k.dir, "chefs.d")
		os.mkdir(keys)
		os.mkdir(allow)
		keygen("kitchend", keys)
		good = keygen("good", keys)
		stranger = keygen("stranger", keys)
		os.rename(os.path.join(keys, "good.pub"), os.path.join(allow, "good.pub"))
		with open(k.config, "a") as f:
			f.write(f'curve = {{ secret_key = "{keys}/kitchend.key"; chefs_allow = "{allow}"; }};\n')
		k.start()

		def start_chef(name, *extra):
			argv = [CHEF, "--name", name, "--dispatch", dispatch, "--sink", sink, "--stations", "2",
				"--heartbeat-ms", "200", "--log-level", "debug", *extra]
			with open(k.log_path, "ab") as log:
				p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=clean_env())
			note(f"$ {show_argv(argv)} &  [pid {p.pid}]")
			chefs.append(p)
			return p

		try:
			server = ["--server-key", os.path.join(keys, "kitchend.pub")]
			start_chef("good", *server, "--secret-key", os.path.join(keys, "good.key"))
			start_chef("stranger", *server, "--secret-key", os.path.join(keys, "stranger.key"))
			start_chef("plain")

			k.wait_ready(chefs=1)
			order = k.order(*DISHES)
			report = k.wait_order(order)
			check_eq(report["state"], "served", "the order with one allowed chef")
			check_eq({d["chef"] for d in report["dishes"]}, {"good"}, "who cooked the dishes")

			refused_key = poll(lambda: kitchend_lines(
				k, r"Refused chefs peer from 127\.0\.0\.1\b.*key not in the allowlist, key "
				+ re.escape(stranger)), 10, "kitchend to log the unknown key with its address")
			refused_plain = poll(lambda: kitchend_lines(
				k, r"Refused a peer on (dispatch|sink) from .*: it does not speak CURVE"), 10,
				"kitchend to log the chef without CURVE")
			note("logged:", *refused_key, *refused_plain)
			check(not kitchend_lines(k, re.escape(good) + r".*not in the allowlist"),
			      "the allowed key must never be refused")
			check(kitchend_lines(k, r"Admitted chefs key 'good' from 127\.0\.0\.1"),
			      "kitchend should log the allowed chef's admission")

			# The refused chefs are still there, retrying: the kitchen keeps serving.
			check(all(p.poll() is None for p in chefs), "every chef should still run",
			      [p.returncode for p in chefs])
			check_eq(sorted(c["name"] for c in k.chefs()), ["good"], "the chefs kitchend lists")
			order = k.order(*DISHES)
			report = k.wait_order(order)
			check_eq(report["state"], "served", "an order after the refusals")
			check_eq({d["chef"] for d in report["dishes"]}, {"good"}, "who cooked the second order")
			st = k.status()
			check_eq(st["dishes"], {"queued": 0, "cooking": 0, "served": 2 * len(DISHES), "failed": 0, "cancelled": 0},
				 "status counts")
			check_eq(st["malformed"], 0, "malformed messages")
		finally:
			for p in chefs:
				if p.poll() is None:
					p.send_signal(signal.SIGKILL)
				p.wait()


main(test)
