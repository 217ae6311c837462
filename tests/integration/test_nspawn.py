#!/usr/bin/env python3
"""
kitchend.service under a real systemd: a Debian 12 booted with systemd-nspawn
(see container.py), the .deb installed in it.

- `systemctl status kitchend`: active (running), with kitchend's STATUS line;
  an order is served and the line counts it.
- Socket activation: kitchend.socket and kitchend-events.socket are active
  and kitchend takes both (its journal says so); `systemctl restart
  kitchend`, again and again while a client orders without pause (each
  order with its key, see test_socket_activation.py): every order is
  accepted, each exactly once (none refused while kitchend was away: the
  client waited in the listen backlog).
- `systemctl reload kitchend` applies a new file (log_level debug, 2 local
  chefs instead of 3, slower cooking); a bad file makes `systemctl reload`
  fail, kitchend stays active with the config it had, and the journal names
  FILE:LINE.
- The journal: `journalctl -u kitchend KITCHEN_ORDER=N` traces one order
  (KITCHEN_DISH, the dish's number in its order, and KITCHEN_CHEF on the line
  of a dish whose chef was killed mid-dish); `journalctl KITCHEN_ORDER=N` of
  an order whose dish runs a failing program holds kitchend's lines and the
  chef's (each attempt's failure at the chef, the dish going back to the
  queue, its failure for good); every line has its priority.
- The watchdog (WatchdogSec=2s in a drop-in): pings keep a healthy kitchend
  alive; a SIGSTOPped one is killed and restarted (NRestarts rises, a new
  MainPID that serves).
- kitchen-chef@oven1.service, reading /etc/kitchen/chef-oven1.conf, joins
  kitchend over TCP and cooks.
- `systemctl stop kitchend` stops it cleanly: Result=success, exit status 0,
  no chef left; and nothing of the container is left on this machine.

Plain build and root only; skipped (77) when debootstrap cannot reach
Debian's mirror or apt-get cannot install what it needs.
"""

import json
import re
import tempfile
import time

from container import Container, build_deb, debian_tree, host_deb, require_plain_root
from harness import TestFailure, check, check_eq, main, poll

CONF = "/etc/kitchen/kitchen.conf"
DEBUG_CONF = """\
log_level = "debug";
endpoints = {
	dispatch = "tcp://127.0.0.1:5557";
	sink = "tcp://127.0.0.1:5558";
};
chefs = { local = 2; };
timing = { cook_ms = 300; };
menu = (
	{ name = "Pizza"; ingredients = [ "Flour", "Yeast", "Tomato Sauce", "Mozzarella Cheese", "Pepperoni" ]; },
	{ name = "Salad"; ingredients = [ "Mixed Greens", "Tomatoes", "Cucumbers", "Carrots", "Dressing" ]; },
	{ name = "Fail"; run = [ "sh", "-c", "echo no luck >&2; exit 3" ]; }
);
"""
CHEF_CONF = """\
dispatch = "tcp://127.0.0.1:5557";
sink = "tcp://127.0.0.1:5558";
name = "oven1";
stations = 2;
"""


def show(c, prop, unit="kitchend.service"):
	return c.sh(f"systemctl show -P {prop} {unit}", quiet=True)[1].strip()


def journal(c, *matches):
	"""kitchend.service's journal entries (with @matches) as dicts."""
	rc, out, err = c.sh("journalctl --no-pager -o json -u kitchend.service " + " ".join(matches),
			    quiet=True)
	check(rc == 0, "journalctl failed", err)
	return [json.loads(l) for l in out.splitlines() if l.strip()]


def messages(c, *matches):
	return [e.get("MESSAGE", "") for e in journal(c, *matches)]


def chefs(c):
	rc, out, _ = c.sh("kitchenctl --json chefs", quiet=True)
	return json.loads(out) if rc == 0 else []


def order(c, *dishes):
	out = c.ok("kitchenctl order " + " ".join(f"'{d}'" for d in dishes)).strip()
	check(out.isdigit(), "kitchenctl order should print the order id", out)
	return int(out)


def order_report(c, oid):
	return json.loads(c.ok(f"kitchenctl --json show {oid}"))


def wait_served(c, oid, timeout=60):
	def done():
		r = order_report(c, oid)
		return r if r["state"] in ("served", "failed") else None
	r = poll(done, timeout, f"order {oid} done", interval=0.2)
	check_eq(r["state"], "served", f"order {oid}", r)
	return r


def installed(c):
	# kitchen-web's library is not in the debootstrap tree: from this machine.
	c.ok("dpkg -i /var/tmp/libmicrohttpd.deb", timeout=120)
	c.ok("dpkg -i /var/tmp/kitchen.deb", timeout=180)
	poll(lambda: show(c, "ActiveState") == "active", 30, "kitchend.service active")
	poll(lambda: show(c, "StatusText").startswith("3 chefs;"), 30, "STATUS= with 3 chefs")

	out = c.ok("systemctl status --no-pager --lines=0 kitchend.service")
	check("Active: active (running)" in out, "systemctl status: active (running)", out)
	check(re.search(r'Status: "3 chefs; \d+ queued, \d+ cooking, \d+ served, 0 failed"', out),
	      "systemctl status should show kitchend's STATUS line", out)

	out = c.ok("kitchenctl order --wait Pizza", timeout=60)
	check("O- Served Pizza" in out, "an order served", out)
	poll(lambda: re.match(r"3 chefs; 0 queued, 0 cooking, 1 served, 0 failed$", show(c, "StatusText")),
	     10, "STATUS= counting the served dish")


ORDERS = 30


def socket_restarts(c):
	for u in ("kitchend.socket", "kitchend-events.socket"):
		check_eq(show(c, "ActiveState", u), "active", f"{u} after the install")
	text = c.ok("journalctl --no-pager -u kitchend.service -o cat")
	for name in ("control", "events"):
		check(f"Took the {name} socket from systemd" in text, f"kitchend took the {name} socket", text)

	before = len(order_ids(c))
	c.ok("systemd-run --unit=orderer --collect --property=Type=exec sh -c "
	     f"'for i in $(seq {ORDERS}); do kitchenctl --timeout 60000 order --key salad-$i Salad || echo refused; "
	     "sleep 0.2; done "
	     ">/var/tmp/orders.out 2>&1'")
	restarts = 0
	while show(c, "ActiveState", "orderer.service") == "active" or restarts < 3:
		c.ok("systemctl restart kitchend.service", timeout=120)
		restarts += 1
		# Under StartLimitBurst= (5 starts in 10 s), which would fail the
		# unit and its sockets.
		time.sleep(2.5)
		check(restarts <= 20, "the orderer should finish within 20 restarts")
	out = c.ok("cat /var/tmp/orders.out")
	lines = out.split()
	check_eq(len(lines), ORDERS, "one line per order", out)
	check(all(l.isdigit() for l in lines), "every order accepted across restarts", out)
	check_eq(len(set(lines)), ORDERS, "each order id once", out)
	check_eq(len(order_ids(c)), before + ORDERS, "orders in the store: each accepted one, once")


def order_ids(c):
	return [o["order"] for o in json.loads(c.ok("kitchenctl --json list --limit 100"))["orders"]]


def reloads(c):
	c.write(CONF, DEBUG_CONF)
	c.ok("systemctl reload kitchend.service", timeout=60)
	check_eq(show(c, "ActiveState"), "active", "ActiveState after reload")
	poll(lambda: sorted(x["name"] for x in chefs(c) if x.get("local")) == ["chef-1", "chef-2"], 20,
	     "2 local chefs after the reload")
	poll(lambda: any(m.startswith(f"Reloaded {CONF}: ") for m in messages(c)), 10, "'Reloaded' in the journal")

	# A bad file: systemctl reload fails, kitchend goes on as it was.
	bad_line = DEBUG_CONF.count("\n") + 1
	c.write(CONF, DEBUG_CONF + "no_such_key = 1;\n")
	rc, out, err = c.sh("systemctl reload kitchend.service", timeout=60)
	check(rc != 0, "systemctl reload of a bad file should fail", rc, out, err)
	check_eq(show(c, "ActiveState"), "active", "ActiveState after a refused reload")
	where = f"{CONF}:{bad_line}"
	poll(lambda: any(where in m for m in messages(c)), 10, f"{where} in the journal")
	poll(lambda: show(c, "StatusText").startswith("2 chefs;"), 10, "STATUS= with 2 chefs still")
	c.write(CONF, DEBUG_CONF)
	c.ok("systemctl reload kitchend.service", timeout=60)


def journal_fields(c):
	# A dish whose chef is killed mid-dish: its line names order, dish and chef.
	oid = order(c, "Pizza")
	busy = poll(lambda: [x for x in chefs(c) if x.get("busy")], 20, "a chef cooking", interval=0.05)
	c.ok(f"kill -KILL {busy[0]['pid']}")
	wait_served(c, oid)

	def traced():
		entries = journal(c, f"KITCHEN_ORDER={oid}")
		texts = [e.get("MESSAGE", "") for e in entries]
		if not any("back in the queue" in t for t in texts) or not any(f"Order {oid} served" in t for t in texts):
			return None
		return entries
	entries = poll(traced, 15, f"journalctl KITCHEN_ORDER={oid} tracing the order")
	for e in entries:
		check_eq(e.get("KITCHEN_ORDER"), str(oid), "KITCHEN_ORDER of a traced entry", e)
		check(e.get("SYSLOG_IDENTIFIER") in ("kitchend", "chef"), "SYSLOG_IDENTIFIER", e)
		check(e.get("PRIORITY") in "01234567", "PRIORITY of a traced entry", e)
	requeued = [e for e in entries if "back in the queue" in e.get("MESSAGE", "")]
	check_eq(requeued[0].get("KITCHEN_DISH"), "1", "KITCHEN_DISH, the dish's number, on the requeue line",
		 requeued[0])
	check_eq(requeued[0].get("KITCHEN_CHEF"), busy[0]["name"], "KITCHEN_CHEF on the requeue line", requeued[0])

	# A dish whose program fails: the order's whole story, from kitchend and
	# from the chefs, in one journalctl without -u.
	oid = order(c, "Fail")
	poll(lambda: order_report(c, oid)["state"] == "failed", 60, f"order {oid} to fail")

	def story():
		rc, out, _ = c.sh(f"journalctl --no-pager -o json KITCHEN_ORDER={oid}", quiet=True)
		entries = [json.loads(l) for l in out.splitlines() if l.strip()] if rc == 0 else []
		chef = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "chef" and "failed at station" in e.get("MESSAGE", "")]
		failed = [e for e in entries if e.get("SYSLOG_IDENTIFIER") == "kitchend"
			  and f"Order {oid} dish 1 (Fail) failed: " in e.get("MESSAGE", "")]
		return (entries, chef, failed) if chef and failed else None
	entries, chef, failed = poll(story, 15, f"journalctl KITCHEN_ORDER={oid}: kitchend's and a chef's lines")
	for e in chef + failed:
		check_eq((e.get("KITCHEN_ORDER"), e.get("KITCHEN_DISH")), (str(oid), "1"), "the failing dish's fields", e)
		check(e.get("KITCHEN_CHEF", "").startswith("chef-"), "KITCHEN_CHEF on the failing dish's lines", e)
	check("exit 3: no luck" in chef[0].get("MESSAGE", ""), "the chef says why the program failed", chef[0])
	check_eq(failed[0].get("PRIORITY"), "4", "the failure for good, a warning", failed[0])
	texts = [e.get("MESSAGE", "") for e in entries]
	for step in (f"Order {oid} accepted", "attempt 1 to chef", "back in the queue", f"Order {oid} failed"):
		check(any(step in t for t in texts), f"'{step}' in the order's story", texts)

	# Lines about a chef, and priorities on plain lines too.
	gone = [e for e in journal(c, f"KITCHEN_CHEF={busy[0]['name']}") if "is gone" in e.get("MESSAGE", "")]
	check(gone and gone[0].get("PRIORITY") == "4", "the warning about the killed chef, at priority 4", gone)
	reloaded = [e for e in journal(c) if e.get("MESSAGE", "").startswith("Reloaded ")]
	check(reloaded and reloaded[0].get("PRIORITY") == "5", "the 'Reloaded' notice at priority 5", reloaded)


def watchdog(c):
	c.write("/etc/systemd/system/kitchend.service.d/test-watchdog.conf",
		"[Service]\nWatchdogSec=2s\nRestartSec=200ms\n")
	c.ok("systemctl daemon-reload && systemctl restart kitchend.service", timeout=90)
	check_eq(show(c, "WatchdogUSec"), "2s", "WatchdogUSec from the drop-in")
	poll(lambda: show(c, "StatusText").startswith("2 chefs;"), 30, "STATUS= with 2 chefs after restart")
	before = int(show(c, "NRestarts"))
	pid = show(c, "MainPID")

	# Healthy for three watchdog periods: no restart.
	c.ok("sleep 6")
	check_eq((int(show(c, "NRestarts")), show(c, "MainPID")), (before, pid),
		 "a healthy kitchend must not be restarted by the watchdog")

	c.ok(f"kill -STOP {pid}")
	poll(lambda: int(show(c, "NRestarts")) > before, 30, "NRestarts to rise after the stall")
	poll(lambda: show(c, "ActiveState") == "active" and show(c, "MainPID") not in (pid, "0"), 30,
	     "kitchend active again with a new MainPID")
	check(c.sh(f"test -e /proc/{pid}", quiet=True)[0] != 0, "the stalled kitchend should be gone")
	text = c.ok("journalctl --no-pager -u kitchend.service -o cat")
	check("Watchdog timeout" in text, "the journal should say the watchdog fired")
	out = c.ok("kitchenctl order --wait Salad", timeout=60)
	check("O- Served Salad" in out, "the restarted kitchend serves", out)


def chef_unit(c):
	c.write("/etc/kitchen/chef-oven1.conf", CHEF_CONF)
	c.ok("systemctl start kitchen-chef@oven1.service", timeout=30)
	oven = poll(lambda: [x for x in chefs(c) if x["name"] == "oven1"], 20, "chef oven1 joined")[0]
	check_eq((oven["local"], oven["stations"]), (False, 2), "oven1 as kitchenctl chefs lists it", oven)
	ids = [order(c, "Pizza", "Salad") for _ in range(3)]
	for i in ids:
		wait_served(c, i)
	oven = [x for x in chefs(c) if x["name"] == "oven1"][0]
	check(oven["served"] > 0, "oven1 should cook some of six dishes", oven)
	check_eq(show(c, "User", "kitchen-chef@oven1.service"), "kitchen", "the chef unit's user")
	c.ok("systemctl stop kitchen-chef@oven1.service", timeout=60)


def stop(c):
	c.ok("systemctl stop kitchend.service", timeout=90)
	check_eq((show(c, "ActiveState"), show(c, "Result"), show(c, "ExecMainStatus")),
		 ("inactive", "success", "0"), "kitchend.service after systemctl stop")
	rc, out, _ = c.sh("grep -lx -e chef -e kitchend /proc/[0-9]*/comm")
	check_eq(out.split(), [], "kitchend or chef processes left after stop")
	check(any(m.startswith("Stopped: ") for m in messages(c)), "kitchend's 'Stopped:' line in the journal")


def test():
	require_plain_root()
	root = debian_tree()  # first: it may skip (no mirror) before a build
	deb = build_deb()
	c = Container(root)
	with c, tempfile.TemporaryDirectory(prefix="kitchen-deb-") as tmp:
		c.copy_in(host_deb("libmicrohttpd12", tmp), "/var/tmp/libmicrohttpd.deb")
		c.copy_in(deb, "/var/tmp/kitchen.deb")
		try:
			installed(c)
			socket_restarts(c)
			reloads(c)
			journal_fields(c)
			watchdog(c)
			chef_unit(c)
			stop(c)
		except TestFailure:
			rc, out, _ = c.sh("journalctl --no-pager -n 80 -o short-monotonic", quiet=True)
			print(f"--- the container's journal, last lines ---\n{out}--- end ---", flush=True)
			raise
	check_eq(c.leftovers(), [], "what the container left on this machine")


main(test)
