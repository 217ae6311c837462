#!/usr/bin/env python3
"""Chefs with skills (issue 12): a dish that runs a program goes only to a
chef whose own configuration has its recipe, and kitchend says why a dish
waits.

kitchend spawns no chef. Its menu has Tea (simulated) and Resize (a
program). Two remote chefs join over ipc, each a real chef process:
- "plain", with no configuration: it cooks every simulated dish ("*");
- later "oven", whose chef.conf has a recipe for Resize (a script this test
  writes) and names only Resize among its dishes.

With only plain on the line, an order of Resize and Tea gets its Tea served
and its Resize set aside: status says "no chef can cook it (0 of 1 chefs
have it)", show says so for the dish, status --json lists it under
"waiting", chefs says what each cooks. When oven joins, the Resize is
cooked there (its output is the script's), and nothing is waiting any
more. Tea ordered afterwards is never given to oven (it does not cook Tea),
and Resize never to plain."""

import os
import tempfile

from harness import Kitchen, check, check_eq, main, menu, poll

SCRIPT = '#!/bin/sh\necho "resized by $KITCHEN_CHEF"\n'


def waiting(k):
	return k.status()["waiting"]


def test():
	with tempfile.TemporaryDirectory(prefix="kskills-", dir="/tmp") as tmp:
		script = os.path.join(tmp, "resize.sh")
		with open(script, "w") as f:
			f.write(SCRIPT)
		os.chmod(script, 0o755)
		oven_conf = os.path.join(tmp, "oven.conf")
		with open(oven_conf, "w") as f:
			f.write('dishes = [ "Resize" ];\n'
				f'recipes = ( {{ name = "Resize"; run = [ "{script}" ]; }} );\n')

		with Kitchen(chefs={"local": 0}, chefs_ready=0,
			     menu=[{"name": "Tea", "ingredients": ["Leaves"]},
				   {"name": "Resize", "run": [script]}]) as k:
			k.start_chef("plain")
			poll(lambda: len(k.status()["chefs"]) == 1, 10, "chef plain to join")

			order = k.order("Resize", "Tea")
			report = poll(lambda: (lambda r: r if r["dishes"][1]["state"] == "served" else None)(k.show(order)),
				      20, "the Tea to be served by plain")
			check_eq(report["dishes"][0]["state"], "queued", "the Resize, which plain cannot cook", report)
			check_eq(report["dishes"][0].get("waiting"), "no chef can cook Resize: 0 of 1 chef has it",
				 "why the Resize waits, in show --json", report)
			check_eq(report["dishes"][1]["chef"], "plain", "who served the Tea", report)
			check_eq(waiting(k), [{"dish": "Resize", "dishes": 1, "chefs_able": 0}], "status --json: waiting")
			out = k.ctl_ok("status")
			check("waiting:      1 Resize: no chef can cook it (0 of 1 chef has it)" in out,
			      "status says why the Resize waits", out)
			out = k.ctl_ok("show", str(order))
			check("no chef can cook Resize" in out, "show says why the Resize waits", out)
			cooks = {c["name"]: c["cooks"] for c in k.chefs()}
			check_eq(cooks, {"plain": "every dish but programs"}, "chefs --json: what plain cooks")

			k.start_chef("oven", config=oven_conf)
			report = k.wait_order(order)
			check_eq([(d["name"], d["state"], d["chef"]) for d in report["dishes"]],
				 [("Resize", "served", "oven"), ("Tea", "served", "plain")],
				 "the order once oven joined", report)
			check_eq(report["dishes"][0]["result"], "resized by oven", "the Resize's output (its preview)",
				 report)
			check_eq(waiting(k), [], "status --json: nothing waits once oven is on the line")
			cooks = {c["name"]: c["cooks"] for c in k.chefs()}
			check_eq(cooks, {"plain": "every dish but programs", "oven": "Resize"},
				 "chefs --json: what each cooks")

			# Each chef gets only what it cooks, whoever has room.
			teas = [k.order("Tea") for _ in range(6)]
			resizes = [k.order("Resize") for _ in range(3)]
			for o in teas:
				check_eq(k.wait_order(o)["dishes"][0]["chef"], "plain", f"order {o}: Tea cooked by")
			for o in resizes:
				check_eq(k.wait_order(o)["dishes"][0]["chef"], "oven", f"order {o}: Resize cooked by")
			check_eq(waiting(k), [], "status --json: nothing waits at the end")


main(test)
