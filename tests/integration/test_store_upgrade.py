#!/usr/bin/env python3
"""The order store's schema: kitchend started on a store of version 1 (a row
per dish, "cooking" stored) converts it to version 5 and carries on with what
version 1 meant: a done order stays as it was, its key still names it; an
open order's queued and cooking dishes are cooked (the cooking one at its
second attempt, as version 1 counted the first), its reasons kept; kitchend
says once, above debug level, that it converted the store. A store of
version 2 (kitchen 0.2 and 0.3) gains its new columns and keeps every order.
A store of version 4 (kitchen 0.5 and 0.6) gains the dishes' times: its
dishes finished before have none, the ones cooked after have both.
A store of a newer version is refused with a clear error and left
untouched."""

import os
import sqlite3
import time

from harness import Kitchen, check, check_eq, main, menu, store_dishes

MENU = menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]))

V1_SCHEMA = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, key TEXT UNIQUE, created_ms INTEGER NOT NULL,
	dishes INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0);
CREATE INDEX orders_open ON orders(done) WHERE done = 0;
CREATE TABLE dishes (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, idx INTEGER NOT NULL,
	name TEXT NOT NULL, state INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
	chef TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
CREATE INDEX dishes_order ON dishes(order_id, idx);
PRAGMA user_version = 1;
"""


def write_db(path, script, rows=()):
	db = sqlite3.connect(path)
	try:
		db.executescript(script)
		for sql, args in rows:
			db.execute(sql, args)
		db.commit()
	finally:
		db.close()


def user_version(path):
	db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
	try:
		return db.execute("PRAGMA user_version").fetchone()[0]
	finally:
		db.close()


def file_bytes(path):
	with open(path, "rb") as f:
		return f.read()


def converted_lines(k):
	return [line for line in k.log().splitlines() if "Converted the order store" in line]


def start_converted(k, version, orders):
	"""Start kitchend on the store of @version, of @orders orders, written by the test."""
	k.start()
	check_eq(user_version(k.store_path()), 5, "the store's version once kitchend runs")
	check_eq(converted_lines(k),
		 [f"kitchend: Converted the order store in '{k.state_dir}' from schema version {version} to 5 "
		  f"({orders} order{'s' if orders != 1 else ''})"],
		 "what kitchend says of the conversion")


def upgrade():
	now = int(time.time() * 1000)
	with Kitchen(start=False, chefs={"local": 1}, menu=MENU) as k:
		o = "INSERT INTO orders VALUES (?, ?, ?, ?, ?)"
		d = "INSERT INTO dishes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
		write_db(k.store_path(), V1_SCHEMA, [
			(o, (1, "up-1", now, 1, 2)),
			(d, (1, 1, 0, "Tea", 2, 1, "chef-x", "Served Tea", "Brewed Leaves")),
			(o, (2, None, now, 3, 0)),
			(d, (2, 2, 0, "Toast", 0, 0, "", "", "")),
			(d, (3, 2, 1, "Tea", 1, 1, "chef-x", "", "")),
			(d, (4, 2, 2, "Toast", 0, 1, "chef-x", "", "chef chef-x died\n")),
		])
		start_converted(k, 1, 2)

		report = k.wait_order(2)
		check_eq(report["state"], "served", "the open order of the version-1 store", report)
		check_eq([(x["name"], x["state"], x["attempts"]) for x in report["dishes"]],
			 [("Toast", "served", 1), ("Tea", "served", 2), ("Toast", "served", 2)],
			 "its dishes: each served, counting version 1's attempts", report)

		done = k.show(1)
		check_eq((done["state"], [(x["name"], x["chef"], x["result"]) for x in done["dishes"]]),
			 ("served", [("Tea", "chef-x", "Served Tea")]), "the done order, as version 1 had it", done)
		out = k.ctl_ok("order", "--key", "up-1", "Tea")
		check_eq(out.strip(), "1", "the key of version 1's order still names it")

		new = k.order("Toast")
		check_eq(new, 3, "a new order after the conversion takes the next id")
		check_eq(k.wait_order(new)["dishes"][0]["state"], "served", "the new order")
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		check_eq(store_dishes(k.store_path()),
			 [(1, 0, "Tea", 2, 1), (2, 0, "Toast", 2, 1), (2, 1, "Tea", 2, 2), (2, 2, "Toast", 2, 2),
			  (3, 0, "Toast", 2, 1)], "every dish in the store after the run")


V2_SCHEMA = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, key TEXT UNIQUE, created_ms INTEGER NOT NULL,
	dishes INTEGER NOT NULL, first_dish INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,
	names TEXT NOT NULL);
CREATE INDEX orders_open ON orders(done) WHERE done = 0;
CREATE TABLE dishes (id INTEGER PRIMARY KEY, state INTEGER NOT NULL, attempts INTEGER NOT NULL,
	chef TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
PRAGMA user_version = 2;
"""


def upgrade_v2():
	"""A store of kitchen 0.3: its done order stays, its open one is cooked."""
	now = int(time.time() * 1000)
	with Kitchen(start=False, chefs={"local": 1}, menu=MENU) as k:
		o = "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)"
		d = "INSERT INTO dishes VALUES (?, ?, ?, ?, ?, ?)"
		write_db(k.store_path(), V2_SCHEMA, [
			(o, (1, "v2-1", now, 1, 1, 2, "Tea")),
			(d, (1, 2, 1, "chef-x", "Served Tea", "Brewed Leaves")),
			(o, (2, None, now, 2, 2, 0, "Toast\nTea")),
			(d, (2, 0, 1, "chef-x", "", "chef chef-x died\n")),
		])
		start_converted(k, 2, 2)
		report = k.wait_order(2)
		check_eq([(x["name"], x["state"], x["attempts"]) for x in report["dishes"]],
			 [("Toast", "served", 2), ("Tea", "served", 1)], "the open order of the version-2 store", report)
		check_eq(k.show(1)["dishes"][0]["result"], "Served Tea", "the done order, as version 2 had it")
		check_eq(k.ctl_ok("order", "--key", "v2-1", "Tea").strip(), "1", "the key of version 2's order")
		check_eq(k.order("Toast"), 3, "a new order after the conversion takes the next id")
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")


V3_SCHEMA = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, key TEXT UNIQUE, created_ms INTEGER NOT NULL,
	dishes INTEGER NOT NULL, first_dish INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0,
	names TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 5, due_ms INTEGER NOT NULL DEFAULT 0,
	finished_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX orders_open ON orders(done) WHERE done = 0;
CREATE INDEX orders_finished ON orders(finished_ms) WHERE done != 0;
CREATE TABLE dishes (id INTEGER PRIMARY KEY, state INTEGER NOT NULL, attempts INTEGER NOT NULL,
	chef TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
CREATE TABLE pruned (orders INTEGER NOT NULL, served INTEGER NOT NULL, failed INTEGER NOT NULL,
	cancelled INTEGER NOT NULL);
INSERT INTO pruned VALUES (0, 0, 0, 0);
PRAGMA user_version = 3;
"""


def upgrade_v3():
	"""A store of kitchen 0.4: it gains the inputs table; its open order is cooked."""
	now = int(time.time() * 1000)
	with Kitchen(start=False, chefs={"local": 1}, menu=MENU) as k:
		o = "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		write_db(k.store_path(), V3_SCHEMA, [
			(o, (1, None, now, 2, 1, 0, "Toast\nTea", 7, 0, 0)),
		])
		start_converted(k, 3, 1)
		report = k.wait_order(1)
		check_eq([(x["name"], x["state"]) for x in report["dishes"]], [("Toast", "served"), ("Tea", "served")],
			 "the open order of the version-3 store", report)
		check_eq(report["priority"], 7, "its priority, kept")
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")


V4_SCHEMA = V3_SCHEMA.replace("PRAGMA user_version = 3;", """
CREATE TABLE inputs (id INTEGER PRIMARY KEY, input BLOB NOT NULL);
PRAGMA user_version = 4;""")


def upgrade_v4():
	"""A store of kitchen 0.6: a done order keeps its dishes without times;
	its open order's dish, taken back once, is cooked and gets both."""
	now = int(time.time() * 1000)
	with Kitchen(start=False, chefs={"local": 1}, menu=MENU) as k:
		o = "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		d = "INSERT INTO dishes VALUES (?, ?, ?, ?, ?, ?)"
		write_db(k.store_path(), V4_SCHEMA, [
			(o, (1, "v4-1", now - 5000, 1, 1, 2, "Tea", 5, 0, now - 4000)),
			(d, (1, 2, 1, "chef-x", "Served Tea", "Brewed Leaves")),
			(o, (2, None, now - 3000, 1, 2, 0, "Toast", 5, 0, 0)),
			(d, (2, 0, 1, "chef-x", "", "chef chef-x died\n")),
		])
		start_converted(k, 4, 2)
		old = k.show(1)["dishes"][0]
		check_eq((old["state"], old["result"], old["started_ms"], old["finished_ms"]),
			 ("served", "Served Tea", None, None), "the done order's dish: as 0.6 had it, no times", old)
		report = k.wait_order(2)
		toast = report["dishes"][0]
		check_eq((toast["state"], toast["attempts"]), ("served", 2), "the open order of the 0.6 store", report)
		check(toast["started_ms"] is not None and report["created_ms"] <= toast["started_ms"] <= toast["finished_ms"],
		      "the dish cooked after the conversion has its times", report)
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		db = sqlite3.connect(f"file:{k.store_path()}?mode=ro", uri=True)
		try:
			rows = db.execute("SELECT id, started_ms, finished_ms FROM dishes ORDER BY id").fetchall()
		finally:
			db.close()
		check_eq([(i, s > 0, f > 0) for i, s, f in rows], [(1, False, False), (2, True, True)],
			 "the dishes' times in the converted store: 0 for the old row, set for the new", rows)


def said_once():
	"""The line is not debug (kitchend at log level notice says it), and a
	store already converted is not converted again."""
	with Kitchen(start=False, chefs={"local": 1}, menu=MENU, log_level="notice") as k:
		write_db(k.store_path(), V1_SCHEMA)
		k.start()
		check_eq(len(converted_lines(k)), 1, "conversion lines at log level notice", k.log()[-2000:])
		check(converted_lines(k)[0].endswith("(0 orders)"), "an empty version-1 store: 0 orders",
		      converted_lines(k))
		check_eq(k.stop(), 0, "kitchend's exit status on SIGTERM")
		k.start()
		check_eq(user_version(k.store_path()), 5, "the store's version after a second start")
		check_eq(len(converted_lines(k)), 1, "conversion lines after a second start on the converted store",
			 k.log()[-2000:])


def newer():
	with Kitchen(start=False, chefs={"local": 1}, menu=MENU) as k:
		write_db(k.store_path(), "CREATE TABLE orders (id INTEGER PRIMARY KEY); PRAGMA user_version = 6;")
		before = file_bytes(k.store_path())
		k.start(wait=False)
		try:
			rc = k.proc.wait(timeout=10)
		except Exception:
			check(False, "kitchend did not exit within 10 s on a store of a newer version")
		check(rc != 0, f"kitchend's exit status on a store of a newer version: {rc}")
		log = k.log()
		check("written by a newer kitchend" in log, "kitchend should say the store is newer", log[-2000:])
		check(file_bytes(k.store_path()) == before, "the newer store should be left as it was")
		check_eq(converted_lines(k), [], "a newer store is not said to be converted")
		check_eq(sorted(f for f in os.listdir(k.state_dir) if f.startswith("kitchen.db")), ["kitchen.db"],
			 "files of the newer store: no journal made")


def test():
	upgrade()
	upgrade_v2()
	upgrade_v3()
	upgrade_v4()
	said_once()
	newer()


main(test)
