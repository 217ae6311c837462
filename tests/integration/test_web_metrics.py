#!/usr/bin/env python3
"""kitchen-web's /metrics (issue 13) after a run with served and failed
dishes: the same text as `kitchenctl metrics` (both write it with
common/exposition), accepted by `promtool check metrics` (skipped, 77, only
when promtool is missing), with the content type of the text format 0.0.4;
its counters reconcile with `status --json` (dishes served and failed, each
chef's served); no token is needed, even where writing is enabled; HEAD
answers no body; kitchend down is a 503."""

from harness import Kitchen, check, check_eq, main, menu, note, poll
from promtext import parse_text, promtool_check, promtool_path
from web import Web

MENU = menu(("Tea", ["Leaves"]), ("Soup", ["Water"]))
FAULTS = {"KITCHEN_CHEF_FAULTS": "Soup=fail"}
TYPE = "text/plain; version=0.0.4; charset=utf-8"


def scrape(w):
	status, hdrs, body = w.request("GET", "/metrics")
	check_eq((status, hdrs.get("Content-Type")), (200, TYPE), "/metrics: 200 and the text format", body[:500])
	return body.decode()


def test():
	promtool = promtool_path()
	with Kitchen(chefs={"local": 2, "threads": 2}, env=FAULTS, dishes={"max_attempts": 1}, menu=MENU) as k:
		with Web(k, write=True) as w:
			before = parse_text(scrape(w))[0]
			check_eq(before[("kitchen_dishes_total", (("state", "served"),))], 0, "a new kitchen served nothing")

			orders = [k.order("Tea", "Tea", "Soup"), k.order(*["Tea"] * 4), k.order("Soup", "Tea")]
			for o in orders:
				k.wait_order(o)

			# Both ask kitchend; in between nothing moves once the orders are done.
			def same():
				text = scrape(w)
				return text if text == k.ctl_ok("metrics") else None

			text = poll(same, 10, "/metrics to print what kitchenctl metrics prints")
			promtool_check(promtool, text, "kitchen-web's /metrics")
			samples, typed = parse_text(text)
			check_eq(typed["kitchen_dishes_total"], "counter", "kitchen_dishes_total is a counter")
			status = k.status()
			got = {s: int(samples[("kitchen_dishes_total", (("state", s),))]) for s in ("served", "failed")}
			check_eq(got, {"served": 7, "failed": 2}, "7 Teas served, 2 Soups failed")
			check_eq(got, {s: status["dishes"][s] for s in ("served", "failed")},
				 "served and failed: /metrics and status --json", status)
			per_chef = {labels[0][1]: v for (name, labels), v in samples.items()
				    if name == "kitchen_chef_dishes_total" and ("outcome", "served") in labels}
			check_eq(per_chef, {c["name"]: c["served"] for c in status["chefs"]},
				 "each chef's served: /metrics and status --json")

			status, hdrs, body = w.request("HEAD", "/metrics")
			check_eq((status, hdrs.get("Content-Type"), body), (200, TYPE, b""), "HEAD /metrics")
			status, hdrs, body = w.request("POST", "/metrics")
			check_eq(status, 405, "/metrics is read, not written", body)

			k.stop()
			status, body = w.json("GET", "/metrics")
			check_eq((status, body.get("error")), (503, "unavailable"), "kitchend down: /metrics is 503", body)
			k.start()
			note("kitchend back: counters start again from zero, as Prometheus expects of a restart")
			after = parse_text(scrape(w))[0]
			check_eq(after[("kitchen_dishes_total", (("state", "served"),))], 0, "a restarted kitchend's count")


if __name__ == "__main__":
	main(test)
