#!/usr/bin/env python3
"""The order book's cancel, purge and retry (issue 11), with real processes.

One chef of one station and dishes of 3 s each: the first dish of an order
cooks, the others wait at kitchend.
- cancel: waiting dishes end cancelled at once; the cooking one gets CANCEL
  at its chef and ends cancelled when the chef lets it go; a second cancel,
  and a cancel of an unknown order, say so (exit 1), a dish out of the
  order is refused;
- kill -9 of kitchend right after a cancel's answer: after the restart every
  dish of it is still cancelled, none is cooked again;
- retry: a dish of a cancelled order is cooked again (the order opens, is
  served, its earlier reasons kept); a dish failed by fault injection,
  retried once the fault is gone, is served with its reasons kept; and
  retry --failed retries every failed order at once;
- purge (behind a dish that holds the station for good): every waiting dish
  (of a dish) is cancelled, with a count; without a terminal it wants
  --yes."""

import subprocess
import time

from harness import Kitchen, check, check_eq, main, menu, poll

COOK_MS = 3000
MENU = menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]), ("Soup", ["Water"]), ("Glue", ["Resin"]))
HANG = {"KITCHEN_CHEF_FAULTS": "Glue=hang"}  # a Glue holds its station for good


def cooking(k, order_id):
	"""Wait until dish #0 of the order cooks (the one station's only dish)."""
	return poll(lambda: k.show(order_id)["dishes"][0]["state"] == "cooking" or None, 10,
		    f"dish #0 of order {order_id} to cook")


def states(report):
	return [d["state"] for d in report["dishes"]]


def cancel_and_retry(k):
	o1 = k.order(*["Tea"] * 6)
	cooking(k, o1)
	got = k.ctl_json("cancel", str(o1))
	check_eq(got, {"order": o1, "cancelled": 5, "cancelling": 1, "finished": 0},
		 "cancel of an order of 6, one cooking")
	report = poll(lambda: (lambda r: r if r["state"] == "cancelled" else None)(k.show(o1)), 10,
		      f"order {o1} to end cancelled")
	check_eq(states(report), ["cancelled"] * 6, "every dish cancelled", report)
	check("stopped it" in report["dishes"][0]["reason"], "the cooking dish was stopped at its chef", report)

	rc, out, err = k.ctl("wait", str(o1))
	check_eq((rc, out), (1, "O- Cancelled Tea: " + report["dishes"][0]["reason"] + "\n" +
			     "O- Cancelled Tea: cancelled on request\n" * 5),
		 "wait of a cancelled order: a line per dish in order, exit 1", err)
	rc, out, err = k.ctl("cancel", str(o1))
	check_eq(rc, 1, "a second cancel of the order: nothing to do", out, err)
	check(f"order {o1} is finished (cancelled)" in err, "it says the order is finished", err)
	rc, out, err = k.ctl("cancel", "999999")
	check_eq(rc, 1, "a cancel of an unknown order", out, err)
	check("no order 999999" in err, "it says there is no such order", err)

	# A follower sees its order cancelled.
	o3 = k.order("Tea", "Tea")
	cooking(k, o3)
	follower = k.ctl_popen("follow", str(o3))
	time.sleep(0.5)  # subscribed or not, follow checks the order when it ends
	k.ctl_ok("cancel", str(o3))
	try:
		out, err = follower.communicate(timeout=30)
	except subprocess.TimeoutExpired:
		follower.kill()
		follower.communicate()
		check(False, "follow did not end when its order was cancelled")
	check_eq(follower.returncode, 1, "follow of a cancelled order: exit 1", out, err)
	check_eq(sorted(l for l in out.splitlines() if l.startswith("O- ")),
		 ["O- Cancelled Tea: cancelled on request", "O- Cancelled Tea: cancelled; chef chef-1 stopped it"],
		 "follow says each dish cancelled", out)

	# Some dishes only; an index out of the order changes nothing.
	o2 = k.order("Tea", "Toast", "Tea")
	cooking(k, o2)
	rc, out, err = k.ctl("cancel", str(o2), "#5")
	check_eq(rc, 1, "a dish out of the order", out, err)
	check("order %d has only 3 dishes" % o2 in err, "it says how many dishes the order has", err)
	check_eq(k.ctl_json("cancel", str(o2), "#3"), {"order": o2, "cancelled": 1, "cancelling": 0, "finished": 0},
		 "cancel of dish #3 only (counted from 1, as show prints it)")
	report = k.wait_order(o2)
	check_eq(states(report), ["served", "served", "cancelled"], "the others are served", report)
	check_eq(report["state"], "cancelled", "an order with a cancelled dish ends cancelled", report)

	# Retry: dish #1 of the cancelled order is cooked again; there is no #0.
	rc, out, err = k.ctl("retry", str(o1), "0")
	check(rc == 2 and "its number in the order, as 'show' prints it (1 or #1)" in err, "retry of dish 0", rc, err)
	check_eq(k.ctl_json("retry", str(o1), "1"), {"order": o1, "retried": 1}, "retry of dish #1")
	rc, out, err = k.ctl("retry", str(o1), "1")
	check_eq(rc, 1, "retrying it again while it waits: nothing to retry", out, err)
	check("no dish named has failed or was cancelled" in err, "it says so", err)
	report = poll(lambda: (lambda r: r if r["dishes"][0]["state"] == "served" else None)(k.show(o1)), 15,
		      f"dish #0 of order {o1} to be served")
	check_eq(states(report), ["served"] + ["cancelled"] * 5, "dish #0 served, the others still cancelled",
		 report)
	report = k.wait_order(o1)
	check_eq((report["served"], report["cancelled"]), (1, 5), "the order's counts after the retry", report)


def purge(k):
	# The one station hangs on a Glue: whatever comes after it waits.
	cooking(k, k.order("Glue", "Tea", "Tea"))
	k.order("Toast", "Toast", "Tea")
	k.order("Toast")
	rc, out, err = k.ctl("purge")
	check_eq(rc, 2, "purge without a terminal and without --yes", out, err)
	check("--yes" in err, "it asks for --yes", err)
	check_eq(k.ctl_json("purge", "--yes", "--dish", "Toast"), {"cancelled": 3}, "purge of the Toasts")
	check_eq(k.ctl_json("purge", "--yes"), {"cancelled": 3}, "purge of the rest that waits")
	st = k.status()
	check_eq((st["dishes"]["queued"], st["dishes"]["cooking"]), (0, 1), "only the cooking dish is left", st)


def crash_after_cancel(k):
	o = k.order(*["Tea"] * 4)
	cooking(k, o)
	got = k.ctl_json("cancel", str(o))
	check_eq((got["cancelled"], got["cancelling"]), (3, 1), "cancel before the crash")
	k.kill()
	k.start()
	report = k.show(o)
	check_eq(states(report), ["cancelled"] * 4, "after kill -9 and a restart, every dish is cancelled", report)
	check_eq(report["state"], "cancelled", "and the order", report)
	st = k.status()
	check_eq((st["dishes"]["queued"], st["dishes"]["cooking"]), (0, 0), "nothing of it is cooked again", st)


def retry_failed():
	with Kitchen(chefs={"local": 1}, menu=MENU, env={"KITCHEN_CHEF_FAULTS": "Soup=fail"},
		     dishes={"max_attempts": 2}) as k:
		o = k.order("Soup", "Tea")
		o2, o3 = k.order("Soup"), k.order("Soup", "Soup")
		report = k.wait_order(o)
		check_eq(states(report), ["failed", "served"], "Soup fails by fault injection", report)
		check_eq(states(k.wait_order(o3)), ["failed", "failed"], "and in the other orders", report)
		reasons = report["dishes"][0]["reasons"]
		check_eq(k.stop(), 0, "kitchend stops")
		k.env = {}
		k.start()
		check_eq(k.ctl_json("retry", str(o)), {"order": o, "retried": 1}, "retry of the failed dish")
		report = k.wait_order(o)
		check_eq((report["state"], states(report)), ("served", ["served", "served"]),
			 "served once the fault is gone", report)
		# Many at once: every failed order (of the last hour) found by list.
		check_eq(k.ctl_json("retry", "--failed", "--since", "1h"), {"orders": 2, "retried": 3},
			 "retry --failed: the two other failed orders")
		for other in (o2, o3):
			check_eq(k.wait_order(other)["state"], "served", f"order {other} after retry --failed")
		check_eq(k.ctl_json("retry", "--failed"), {"orders": 0, "retried": 0}, "nothing failed is left")
		check_eq(report["dishes"][0]["attempts"], 1, "a new series of attempts", report)
		rc, out, err = k.ctl("retry", str(o))
		check_eq(rc, 1, "nothing left to retry", out, err)
		check(len(reasons) == 2, "the failed dish had a reason per attempt", reasons)
		status = k.status()
		check_eq(status["dishes"]["failed"], 0, "the failure counted no more once retried", status)


def test():
	with Kitchen(chefs={"local": 1, "threads": 1}, menu=MENU, timing={"cook_ms": COOK_MS}, env=HANG,
		     drain_timeout_ms=0) as k:
		cancel_and_retry(k)
		purge(k)
	with Kitchen(chefs={"local": 1, "threads": 1}, menu=MENU, timing={"cook_ms": COOK_MS}) as k:
		crash_after_cancel(k)
	retry_failed()


main(test)
