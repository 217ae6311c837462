#!/usr/bin/env python3
"""Graceful drain, by `kitchenctl drain` and by SIGTERM: new orders are refused
with a clear "closing" error while the cooking dishes finish (served, not
cooked again), the queued ones stay in the store untouched, the chefs exit and
kitchend exits 0. Started again, kitchend serves the queued ones. A dish still
cooking when drain_timeout_ms runs out does not hold kitchend up: it is cooked
again on the next start."""

import signal
import time

from harness import Kitchen, check, check_eq, main, menu, pids_mentioning, poll, store_dishes

# Two ingredients of 600 ms: a dish cooks for about 1.2 s.
STEW = ("Stew", ["Beef", "Carrot"])
TEA = ("Tea", ["Leaves"])


def dish_rows(k, order):
	return [(i, s, a) for o, i, _, s, a in store_dishes(k.store_path()) if o == order]


def drain(k, how, order):
	poll(lambda: k.status()["dishes"]["cooking"] == 2, 5, "two dishes to be cooking")
	t0 = time.monotonic()
	if how == "drain":
		k.ctl_ok("drain")
	else:
		k.proc.send_signal(signal.SIGTERM)

	# While the two cooking dishes finish: refused, clearly, storing nothing.
	rc, out, err = k.ctl("order", "Tea")
	check_eq(rc, 1, f"{how}: exit status of an order while draining", out, err)
	check("closing" in err, f"{how}: the refusal should say the kitchen is closing", err)
	check(k.proc.poll() is None, f"{how}: kitchend should still be draining when the order was refused "
	      f"({time.monotonic() - t0:.2f} s after the drain began)")

	try:
		rc = k.proc.wait(timeout=20)
	except Exception:
		check(False, f"{how}: kitchend did not exit within 20 s of the drain")
	check_eq(rc, 0, f"{how}: kitchend's exit status after the drain")
	poll(lambda: not pids_mentioning(k.dir), 5, f"{how}: every chef to exit")

	# The 2 cooking dishes were served (once); the 4 queued ones stay queued, never tried.
	rows = dish_rows(k, order)
	check_eq(sorted(r[1:] for r in rows), [(0, 0)] * 4 + [(2, 1)] * 2,
		 f"{how}: (state, attempts) of the order's dishes in the store after the drain", rows)
	check_eq(len(rows), 6, f"{how}: the refused order must not be in the store")

	k.start()
	report = k.wait_order(order, timeout=30)
	check_eq(report["state"], "served", f"{how}: the order after the restart")
	check_eq(sorted(d["attempts"] for d in report["dishes"]), [1] * 6,
		 f"{how}: each dish cooked once, the drained ones not again", report)


def test():
	for how in ("drain", "sigterm"):
		with Kitchen(chefs={"local": 2}, timing={"cook_ms": 600}, menu=menu(STEW, TEA)) as k:
			order = k.order(*["Stew"] * 6)
			drain(k, how, order)

	# drain_timeout_ms runs out: kitchend exits 0 anyway; the dish is cooked on the next start.
	with Kitchen(chefs={"local": 1}, timing={"cook_ms": 4000}, drain_timeout_ms=300,
		     menu=menu(("Roast", ["Lamb"]))) as k:
		order = k.order("Roast")
		poll(lambda: k.status()["dishes"]["cooking"] == 1, 5, "the Roast to be cooking")
		t0 = time.monotonic()
		k.ctl_ok("drain")
		try:
			rc = k.proc.wait(timeout=15)
		except Exception:
			check(False, "kitchend did not exit within 15 s of a drain with drain_timeout_ms 300")
		took = time.monotonic() - t0
		check_eq(rc, 0, "kitchend's exit status when drain_timeout_ms ran out")
		check(took < 3, f"kitchend should not wait for the 4 s dish, but it took {took:.1f} s")
		check_eq(dish_rows(k, order), [(0, 0, 1)],
			 "the Roast in the store: back in the queue (its chef was stopped) after attempt 1")
		k.start()
		report = k.wait_order(order, timeout=30)
		check_eq((report["state"], report["dishes"][0]["attempts"]), ("served", 2),
			 "the Roast after the restart: served at its second attempt")


main(test)
