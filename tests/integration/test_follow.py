#!/usr/bin/env python3
"""--follow shows every stage line of the tutorial, as it happens, each
with its order (stderr says the order's id as soon as it is accepted):

	I- Ordered Pizza
	order 7: Pizza#0 [chef-2] Get ingredients for Pizza...
	order 7: Pizza#0 [chef-2] Cooking ingredient Flour...          (each ingredient)
	order 7: Pizza#0 [chef-2] Seasoning Cooked Flour...            (each ingredient)
	order 7: Pizza#0 [chef-2] Served Cooked Flour with a pinch of magic   (each)
	O- Served Pizza

so two orders of one dish can be told apart; and --json --follow gives the
same as one event object per line, then the final report. An idempotency
key used again follows the order of then, done: its report ends the command."""

import json
import re
import time

from harness import DEFAULT_MENU, Kitchen, check, check_eq, main, menu

INGREDIENTS = dict(DEFAULT_MENU)
STAGE_RE = re.compile(r"^order (?P<order>\d+): (?P<dish>.+)#(?P<index>\d+) \[(?P<chef>[^\]]+)\] (?P<text>.+)$")
ACCEPTED_RE = re.compile(r"^kitchenctl: order (\d+) accepted$", re.M)


def expected_stages(dish):
	ing = INGREDIENTS[dish]
	return ([f"Get ingredients for {dish}..."]
		+ [f"Cooking ingredient {x}..." for x in ing]
		+ [f"Seasoning Cooked {x}..." for x in ing]
		+ [f"Served Cooked {x} with a pinch of magic" for x in ing])


def check_stage_order(dish, texts):
	"""@texts: the stage texts of one dish, in the order they were printed."""
	ing = INGREDIENTS[dish]
	check_eq(sorted(texts), sorted(expected_stages(dish)), f"{dish}: the set of stage lines")
	check_eq(texts[0], f"Get ingredients for {dish}...", f"{dish}: first stage line")
	pos = {t: i for i, t in enumerate(texts)}
	cooking = [pos[f"Cooking ingredient {x}..."] for x in ing]
	seasoning = [pos[f"Seasoning Cooked {x}..."] for x in ing]
	served = [pos[f"Served Cooked {x} with a pinch of magic"] for x in ing]
	check(cooking == sorted(cooking), f"{dish}: Cooking lines not in ingredient order", texts)
	check(seasoning == sorted(seasoning), f"{dish}: Seasoning lines not in ingredient order", texts)
	check(served == sorted(served), f"{dish}: Served Cooked lines not in ingredient order", texts)
	check(max(cooking) < min(seasoning), f"{dish}: seasoning began before all was cooked", texts)
	check(all(s < v for s, v in zip(seasoning, served)),
	      f"{dish}: an ingredient was served before it was seasoned", texts)


def follow_human(k, dishes):
	rc, out, err = k.ctl("order", "--follow", *dishes)
	check_eq(rc, 0, f"order --follow {' '.join(dishes)}: exit status")
	ids = ACCEPTED_RE.findall(err)
	check_eq(len(ids), 1, "--follow: the order's id said once on stderr", err)
	lines = out.splitlines()
	n = len(dishes)
	check_eq(lines[:n], [f"I- Ordered {d}" for d in dishes], "--follow: the I- lines come first")
	stages = {i: [] for i in range(n)}
	served_at = {}
	for pos, line in enumerate(lines[n:], n):
		if line.startswith("O- "):
			m = re.fullmatch(r"O- Served (.+)", line)
			check(m is not None, "--follow: unexpected O- line", line)
			idx = next((i for i, d in enumerate(dishes) if d == m.group(1) and i not in served_at), None)
			check(idx is not None, "--follow: O- Served for a dish not ordered (or twice)", line)
			served_at[idx] = pos
			continue
		m = STAGE_RE.match(line)
		check(m is not None, "--follow: a line that is neither a stage nor O- line", line)
		i = int(m.group("index"))
		check(i in stages and m.group("dish") == dishes[i],
		      "--follow: a stage line names a dish#index that was not ordered", line)
		check_eq(m.group("order"), ids[0], "--follow: the order a stage line names")
		check(re.fullmatch(r"chef-\d+", m.group("chef")) is not None,
		      "--follow: the chef should be a local chef's name", line)
		check(i not in served_at, "--follow: a stage line after that dish's O- Served", line)
		stages[i].append(m.group("text"))
	check_eq(sorted(served_at), list(range(n)), "--follow: one O- Served line per dish")
	for i, d in enumerate(dishes):
		check_stage_order(d, stages[i])


def follow_json(k, dish):
	rc, out, err = k.ctl("--json", "order", "--follow", dish)
	check_eq(rc, 0, f"--json order --follow {dish}: exit status")
	objs = [json.loads(l) for l in out.splitlines() if l.strip()]
	check(len(objs) >= 3, "--json --follow printed too little", out)
	events = [o for o in objs if "event" in o]
	report = objs[-1]
	check("event" not in report and report.get("state") == "served"
	      and [d["name"] for d in report.get("dishes", [])] == [dish],
	      "--json --follow: the last object should be the final report", report)
	order = report["order"]
	stages = [e for e in events if e["event"] == "stage"]
	for e in stages:
		check((e.get("order"), e.get("index"), e.get("dish")) == (order, 0, dish)
		      and isinstance(e.get("chef"), str), "--json --follow: a bad stage event", e)
	check_stage_order(dish, [e["text"] for e in stages])
	served = [e for e in events if e["event"] == "served"]
	check_eq(len(served), 1, "--json --follow: served events")
	check_eq((served[0].get("result"), served[0].get("items")),
		 (f"Served {dish}", [f"Served Cooked {x} with a pinch of magic" for x in INGREDIENTS[dish]]),
		 "--json --follow: the served event's result and items")
	done = [e for e in events if e["event"] == "done"]
	check(len(done) == 1 and done[0].get("state") == "served",
	      "--json --follow: one done event with state served", done)
	check(events.index(done[0]) == len(events) - 1, "--json --follow: done is the last event", events)


def same_dish_twice(k):
	"""Two orders of one dish (--random 2 from a menu of one): told apart by their order."""
	rc, out, err = k.ctl("order", "--follow", "--random", "2")
	check_eq(rc, 0, "order --follow --random 2: exit status", out, err)
	ids = ACCEPTED_RE.findall(err)
	check_eq(len(set(ids)), 2, "--random 2: two orders accepted", err)
	stages = {i: [] for i in ids}
	for line in out.splitlines():
		m = STAGE_RE.match(line)
		if m:
			check(m.group("order") in stages and m.group("dish") == "Salad" and m.group("index") == "0",
			      "--random 2: a stage line of another order or dish", line)
			stages[m.group("order")].append(m.group("text"))
	for i in ids:
		check_stage_order("Salad", stages[i])
	# And so are their O- lines: each names its order after the dish.
	check_eq(sorted(l for l in out.splitlines() if l.startswith("O- ")),
		 sorted(f"O- Served Salad [order {i}]" for i in ids), "--random 2: O- lines naming their orders", out)


def key_again(k):
	"""--follow with an idempotency key used before: the order of then, done,
	sends no event; its report ends the command at once (an order placed now
	would wait for its DONE event)."""
	rc, out, err = k.ctl("order", "--follow", "--key", "again", "Salad")
	check_eq(rc, 0, "order --follow --key: exit status", out, err)
	time.sleep(0.5)  # an order made before we follow, by more than kitchenctl's clock slack
	t0 = time.monotonic()
	rc, out2, err = k.ctl("order", "--follow", "--key", "again", "Salad")
	took = time.monotonic() - t0
	check_eq(rc, 0, "order --follow with the key again: exit status", out2, err)
	check("O- Served Salad" in out2.splitlines(), "the key's order told from its report", out2)
	check(took < 5, f"the key's done order ends the command without waiting for events ({took:.1f} s)")


def test():
	with Kitchen() as k:
		key_again(k)
		follow_human(k, ["Pizza"])
		follow_human(k, ["Salad", "Chicken Biryani"])
		follow_json(k, "Spaghetti")
	# Waits make the stages take time: the follower still sees each one.
	with Kitchen(chefs={"local": 2}, timing={"prep_ms": 20, "cook_ms": 20, "season_ms": 20}) as k:
		follow_human(k, ["Chicken Stir Fry", "Pizza"])
	with Kitchen(chefs={"local": 2}, menu=menu(("Salad", INGREDIENTS["Salad"]))) as k:
		same_dish_twice(k)


main(test)
