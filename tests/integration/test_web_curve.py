#!/usr/bin/env python3
"""kitchen-web in front of a remote kitchend: control and events on
tcp://127.0.0.1 with CURVE, kitchen-web's key on kitchend's allowlist.
/api/status answers what kitchenctl over CURVE says, /api/events streams an
order's events; a kitchen-web whose key kitchend does not admit answers 503
(and stays up)."""

import os

from harness import KITCHENCTL, Kitchen, check, check_eq, free_ports, keygen, main, poll
from test_web import Stream, without
from web import Web


def test():
	control_port, events_port = free_ports(2)
	control, events = f"tcp://127.0.0.1:{control_port}", f"tcp://127.0.0.1:{events_port}"
	with Kitchen(start=False, chefs={"local": 1}, timing={"cook_ms": 50},
		     endpoints={"control": control, "events": events}) as k:
		keys, allow = os.path.join(k.dir, "keys"), os.path.join(k.dir, "clients.d")
		os.mkdir(keys)
		os.mkdir(allow)
		for name in ("kitchend", "web", "stranger"):
			keygen(name, keys)
		os.rename(os.path.join(keys, "web.pub"), os.path.join(allow, "web.pub"))
		with open(k.config, "a") as f:
			f.write(f'curve = {{ secret_key = "{keys}/kitchend.key"; clients_allow = "{allow}"; }};\n')
		k.ctl_argv = lambda args: [KITCHENCTL, "--control", control, "--events", events,
					   "--server-key", os.path.join(keys, "kitchend.pub"),
					   "--secret-key", os.path.join(keys, "web.key"), *args]
		k.start()

		def curve(name):
			return (f'curve = {{ server_key = "{keys}/kitchend.pub"; secret_key = "{keys}/{name}.key"; }};\n'
				"timeout_ms = 1500;\n")

		with Web(k, write=True, conf=curve("web")) as w, Web(k, conf=curve("stranger")) as stranger:
			check_eq(without(w.get("/api/status"), "uptime_ms"), without(k.status(), "uptime_ms"),
				 "/api/status over CURVE vs kitchenctl over CURVE")
			s = Stream(w)
			try:
				poll(lambda: b"text/event-stream" in s.raw, 10, "the event stream to open")
				status, body = w.post("/api/orders", {"dishes": ["Pizza"]})
				check_eq(status, 201, "an order over CURVE", body)
				oid = body["order"]
				poll(lambda: any(e.get("order") == oid and e["event"] == "done" for e in s.events), 20,
				     "the order's events over CURVE")
				check(any(e["event"] == "stage" for e in s.events), "stage lines over CURVE", s.events)
			finally:
				s.close()
			status, body = stranger.json("GET", "/api/status")
			check_eq((status, body["error"]), (503, "unavailable"), "a key kitchend does not admit", body)
			check_eq(stranger.json("GET", "/api/menu")[0], 503, "still 503, and still up")


main(test)
