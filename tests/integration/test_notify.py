#!/usr/bin/env python3
"""
kitchend speaks sd_notify(3) as a Type=notify service should, heard on a
NOTIFY_SOCKET of the test's own:

- READY=1 once the sockets are bound and the local chefs have joined (a
  status request right after it sees every chef);
- STATUS= kept current: chefs, queued, cooking, served, failed;
- WATCHDOG=1 from the loop, at least every WATCHDOG_USEC while it runs (also
  under load and across a reload), none while it is stopped (SIGSTOP), again
  at once after SIGCONT; none when WATCHDOG_PID names another process;
- SIGHUP: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC, now), the new
  menu applied, READY=1;
- a bad file: `kitchenctl reload` exits 1 naming FILE:LINE, SIGHUP logs it,
  RELOADING=1 then READY=1 both times, and the running menu stays;
- STOPPING=1 on SIGTERM, then exit 0;
- every message comes from kitchend's PID (NotifyAccess=main would drop
  any other).
"""

import os
import re
import signal
import time

from harness import (CHEF, SCALE, Kitchen, check, check_eq, conf_text, main, menu, note, poll,
		     proc_state)
from notify import NotifyListener

WATCHDOG_USEC = 2_000_000
WRAPPER = ["sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"']  # as systemd sets it: kitchend's PID
STATUS_RE = re.compile(r"(\d+) chefs; (\d+) queued, (\d+) cooking, (\d+) served, (\d+) failed")

PIZZA = ("Pizza", ["Flour", "Yeast", "Tomato Sauce", "Mozzarella Cheese", "Pepperoni"])
SOUP = ("Soup", ["Water", "Salt"])
STEW = ("Stew", ["Beef", "Carrots"])


def base_settings(k):
	return {
		"log_level": "debug",
		"runtime_dir": k.runtime_dir,
		"state_dir": k.state_dir,
		# Chefs ride out the stall below (they would reconnect after liveness).
		"heartbeat": {"interval_ms": 500, "liveness": 20},
	}


def write_config(k, chefs, timing, dishes, tail=""):
	settings = base_settings(k)
	settings["chefs"] = {"command": CHEF, "local": chefs}
	settings["timing"] = timing
	settings["menu"] = menu(*dishes)
	text = conf_text(settings) + tail
	with open(k.config, "w") as f:
		f.write(text)
	return text.count("\n")


def status_of(m):
	s = STATUS_RE.fullmatch(m.fields.get("STATUS", ""))
	return tuple(int(x) for x in s.groups()) if s else None


def watchdog_gaps(msgs):
	at = [m.at for m in msgs if m.fields.get("WATCHDOG") == "1"]
	return [b - a for a, b in zip(at, at[1:])]


def test_sequence(n):
	timing = {"cook_ms": 300}
	with Kitchen(start=False, wrapper=WRAPPER, env=n.env(watchdog_usec=WATCHDOG_USEC),
		     chefs={"local": 3}) as k:
		write_config(k, 3, timing, [PIZZA, SOUP])
		k.start(wait=False)
		pid = k.proc.pid

		# READY once bound and staffed: the very next status sees 3 chefs.
		ready = n.wait_for("READY=1", timeout=15)
		st = k.status()
		chefs = [c for c in st["chefs"] if Kitchen.chef_ready(c)]
		check_eq(len(chefs), 3, "ready chefs in the status right after READY=1", st)

		# STATUS, idle first.
		m = n.wait_for(lambda m: (status_of(m) or (0,))[0] == 3, after=ready.seq,
			       what="STATUS= with 3 chefs")
		check_eq(status_of(m)[1:], (0, 0, 0, 0), "idle STATUS= counters", m.text)

		# Under load: cooking shows, then everything served.
		t_load = n.mark()
		ids = [k.order("Pizza", "Pizza") for _ in range(3)]
		n.wait_for(lambda m: (status_of(m) or (0, 0, 0))[2] > 0, after=t_load,
			   what="STATUS= with a dish cooking")
		for i in ids:
			check_eq(k.wait_order(i, timeout=30)["state"], "served", f"order {i}")
		m = n.wait_for(lambda m: status_of(m) == (3, 0, 0, 6, 0), after=t_load, timeout=10,
			       what="STATUS= with 6 served, none queued or cooking")

		# Watchdog: pings all along, never further apart than WATCHDOG_USEC.
		pings = [m for m in n.since(0) if m.fields.get("WATCHDOG") == "1"]
		check(len(pings) >= 2, "too few WATCHDOG=1 while healthy", len(pings))
		gaps = watchdog_gaps(n.since(0))
		check(max(gaps) < WATCHDOG_USEC / 1e6,
		      f"WATCHDOG=1 gaps must stay under WATCHDOG_USEC ({WATCHDOG_USEC} us)", gaps)

		# A stalled loop sends no ping; a running one again at once.
		note(f"$ kill -STOP {pid}  # kitchend, for 1.5 x WATCHDOG_USEC")
		os.kill(pid, signal.SIGSTOP)
		try:
			poll(lambda: proc_state(pid) == "T", 5, "kitchend to be stopped")
			time.sleep(0.2)  # what it sent before it stopped is in
			t_stop = n.mark()
			time.sleep(1.5 * WATCHDOG_USEC / 1e6)
			stalled = [m.text for m in n.since(t_stop)]
		finally:
			os.kill(pid, signal.SIGCONT)
		check_eq(stalled, [], "messages from a stopped kitchend")
		t_cont = time.monotonic()
		resumed = n.wait_for("WATCHDOG=1", after=t_stop, timeout=WATCHDOG_USEC / 1e6,
				     what="WATCHDOG=1 after SIGCONT")
		check(resumed.at - t_cont < WATCHDOG_USEC / 1e6 * SCALE, "late first ping after SIGCONT",
		      resumed.at - t_cont)

		# Reload by SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1.
		write_config(k, 3, timing, [SOUP, STEW])
		t_hup = n.mark()
		before_us = time.monotonic_ns() // 1000
		note(f"$ kill -HUP {pid}  # kitchend, new menu: Soup, Stew")
		os.kill(pid, signal.SIGHUP)
		rel = n.wait_for("RELOADING=1", after=t_hup)
		after_us = int(rel.at * 1e6)
		check("MONOTONIC_USEC" in rel.fields, "RELOADING=1 without MONOTONIC_USEC", rel.text)
		mono = int(rel.fields["MONOTONIC_USEC"])
		# kitchend's clock has millisecond steps: allow one.
		check(before_us - 1000 <= mono <= after_us,
		      "MONOTONIC_USEC is not CLOCK_MONOTONIC at the reload", before_us, mono, after_us)
		n.wait_for("READY=1", after=rel.seq + 1, what="READY=1 after RELOADING=1")
		check_eq(sorted(d["name"] for d in k.ctl_json("menu")), ["Soup", "Stew"],
			 "menu after the reload")

		# A bad file: refused with FILE:LINE, the running config stays.
		bad_line = write_config(k, 3, timing, [("Pizza", ["Flour"])],
					tail="no_such_key = 1;\n")
		where = f"{k.config}:{bad_line}"
		t_bad = n.mark()
		rc, out, err = k.ctl("reload")
		check_eq(rc, 1, "kitchenctl reload of a bad file exits 1", out, err)
		check(where in err, f"kitchenctl reload should name {where}", err)
		rel = n.wait_for("RELOADING=1", after=t_bad)
		n.wait_for("READY=1", after=rel.seq + 1, what="READY=1 after a refused reload")
		check(where in k.log(), f"kitchend's log should name {where}")

		t_bad = n.mark()
		refused_before = k.log().count(where)
		os.kill(pid, signal.SIGHUP)
		rel = n.wait_for("RELOADING=1", after=t_bad)
		n.wait_for("READY=1", after=rel.seq + 1, what="READY=1 after a refused SIGHUP reload")
		check(k.log().count(where) > refused_before, f"SIGHUP reload should log {where}")
		check_eq(sorted(d["name"] for d in k.ctl_json("menu")), ["Soup", "Stew"],
			 "menu after refused reloads")
		i = k.order("Stew")
		check_eq(k.wait_order(i)["state"], "served", "an order after refused reloads")

		gaps = watchdog_gaps(n.since(resumed.seq))
		check(not gaps or max(gaps) < WATCHDOG_USEC / 1e6,
		      "WATCHDOG=1 gaps across the reloads", gaps)

		# Stop: STOPPING=1, exit 0, nothing after but more of the same.
		t_term = n.mark()
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		n.wait_for("STOPPING=1", after=t_term, timeout=1)
		late = [m.text for m in n.since(t_term) if "READY=1" in m.text]
		check_eq(late, [], "READY=1 after STOPPING=1")

		strangers = {m.pid for m in n.since(0)} - {pid}
		check_eq(strangers, set(), f"notify messages not from kitchend (pid {pid})")


def test_watchdog_off(n):
	"""WATCHDOG_PID of another process: the watchdog is not ours, no pings."""
	with Kitchen(start=False, env=n.env(watchdog_usec=200_000, watchdog_pid=1),
		     chefs={"local": 1}) as k:
		k.start(wait=False)
		ready = n.wait_for("READY=1", timeout=15)
		time.sleep(1.0)
		pings = [m.text for m in n.since(ready.seq) if m.fields.get("WATCHDOG") == "1"]
		check_eq(pings, [], "WATCHDOG=1 with WATCHDOG_PID of another process")
		check(any("STATUS" in m.fields for m in n.since(0)), "no STATUS= at all")


def test():
	with NotifyListener() as n:
		test_sequence(n)
	with NotifyListener() as n:
		test_watchdog_off(n)


main(test)
