#!/usr/bin/env python3
"""A remote kitchenctl follows an order over CURVE: control and events on
tcp://127.0.0.1 with kitchend's key pair and an allowlist holding the
client's key; `kitchenctl --control tcp://... --events tcp://...
--server-key ... --secret-key ... order --follow Pizza` shows every stage
line. (The events socket's frame limit once refused CURVE's INITIATE, so
no subscription ever arrived and no stage line was shown.)

Without --events the same works: kitchenctl asks kitchend (STATUS's events
field), whose events endpoint is bound on every address (tcp://*:PORT), and
connects to it at the host it reached control by."""

import os

from harness import KITCHENCTL, Kitchen, check, check_eq, free_ports, keygen, main

INGREDIENTS = ["Flour", "Yeast", "Tomato Sauce", "Mozzarella Cheese", "Pepperoni"]




def test():
	control_port, events_port = free_ports(2)
	control, events = f"tcp://127.0.0.1:{control_port}", f"tcp://127.0.0.1:{events_port}"
	bound = {"control": control, "events": f"tcp://*:{events_port}"}
	with Kitchen(start=False, chefs={"local": 1}, endpoints=bound) as k:
		keys, allow = os.path.join(k.dir, "keys"), os.path.join(k.dir, "clients.d")
		os.mkdir(keys)
		os.mkdir(allow)
		for name in ("kitchend", "ops"):
			keygen(name, keys)
		os.rename(os.path.join(keys, "ops.pub"), os.path.join(allow, "ops.pub"))
		with open(k.config, "a") as f:
			f.write(f'curve = {{ secret_key = "{keys}/kitchend.key"; clients_allow = "{allow}"; }};\n')
		keyed = ["--server-key", os.path.join(keys, "kitchend.pub"), "--secret-key", os.path.join(keys, "ops.key")]
		k.ctl_argv = lambda args: [KITCHENCTL, "--control", control, "--events", events, *keyed, *args]
		k.start()
		expected = (["Get ingredients for Pizza..."]
			    + [f"Cooking ingredient {x}..." for x in INGREDIENTS]
			    + [f"Seasoning Cooked {x}..." for x in INGREDIENTS]
			    + [f"Served Cooked {x} with a pinch of magic" for x in INGREDIENTS])

		for oid, how in ((1, "with --events"), (2, "with --control only")):
			rc, out, err = k.ctl("order", "--follow", "Pizza")
			check_eq(rc, 0, f"order --follow over CURVE {how}: exit status", out, err)
			stages = [l.split("] ", 1)[1] for l in out.splitlines() if l.startswith(f"order {oid}: Pizza#1 [")]
			check_eq(sorted(stages), sorted(expected), f"the stage lines a remote follower sees {how}", out)
			check("O- Served Pizza" in out, f"the follower should see the dish served {how}", out)
			k.ctl_argv = lambda args: [KITCHENCTL, "--control", control, *keyed, *args]
		check("Admitted control key 'ops'" in k.log(), "kitchend should admit the client on events too")


main(test)
