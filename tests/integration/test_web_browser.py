#!/usr/bin/env python3
"""The dashboard in a real browser (Debian's chromium, chromedriver and
python3-selenium; skipped when they are not installed): the page loads with
no console error, the chefs' lanes show the dishes being cooked and change as
they are served, the graphs of queue depth and dishes served per second draw
a line that rises while a queue builds and dishes are served, an order's page
shows its dishes' stages, a failed dish is listed with its reason, writes from the page are refused without the token
and work with it, and a dish named like markup is shown literally and runs
nothing."""

import os
import shutil
import time

from harness import Kitchen, TestSkip, check, check_eq, main, menu, note, poll
from web import TOKEN, Web

XSS = "<img src=x onerror=alert(1)>"


def browser():
	try:
		from selenium import webdriver
		from selenium.webdriver.chrome.service import Service
	except ImportError:
		raise TestSkip("python3-selenium is not installed (apt-get install python3-selenium)") from None
	chromium = shutil.which("chromium")
	driver = shutil.which("chromedriver")
	if not chromium or not driver:
		raise TestSkip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
	opts = webdriver.ChromeOptions()
	opts.binary_location = chromium
	for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		  "--no-first-run", "--disable-extensions", "--window-size=1280,1000"):
		opts.add_argument(a)
	opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
	try:
		return webdriver.Chrome(service=Service(executable_path=driver), options=opts)
	except Exception as e:  # a browser that cannot start here is a skip, said why
		raise TestSkip(f"chromium does not start here: {str(e).splitlines()[0]}") from None


def severe(d):
	return [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]


def no_alert(d):
	from selenium.common.exceptions import NoAlertPresentException
	try:
		text = d.switch_to.alert.text
	except NoAlertPresentException:
		return
	check(False, "an alert ran in the page: markup from kitchend was executed", text)


def test():
	with Kitchen(chefs={"local": 2, "threads": 2}, timing={"cook_ms": 1500},
		     menu=menu(("Soup", ["Water"]), (XSS, ["Flour"]), ("Burnt", ["Coal"])),
		     env={"KITCHEN_CHEF_FAULTS": "Burnt=fail"}) as k:
		with Web(k, write=True) as w:
			d = browser()
			try:
				run(k, w, d)
			finally:
				d.quit()


def texts(d, selector):
	"""The text of each element @selector matches, read at once (the page
	redraws its lanes every second, so elements found before go stale)."""
	return d.execute_script(
		"return [...document.querySelectorAll(arguments[0])].map(e => e.innerText)", selector)


def count(d, selector):
	return d.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


# The pixels of a graph's line (#a60 on the canvas) above its baseline: a
# value above zero was drawn at some time shown.
RISEN = """
const cv = document.getElementById(arguments[0]);
const px = cv.getContext("2d").getImageData(0, 0, cv.width, cv.height).data;
let n = 0;
for (let y = 16; y < cv.height - 8; y++)
	for (let x = 0; x < cv.width; x++) {
		const i = (y * cv.width + x) * 4;
		if (px[i + 3] > 64 && px[i] > 120 && px[i + 1] > 50 && px[i + 1] < 150 && px[i + 2] < 80) n++;
	}
return n;
"""


def check_graphs(k, d):
	"""A queue of 16 dishes for four stations, served in four rounds (a queue
	for 4.5 s): the page samples /api/status every second, and both graphs
	rise."""
	oid = k.order(*["Soup"] * 16)
	k.wait_order(oid, timeout=60)
	note("queue depths sampled: " + str(d.execute_script("return queueHist.map(p => p[1])")))
	for graph, what in (("g-queue", "queue depth"), ("g-rate", "dishes served per second")):
		n = poll(lambda: d.execute_script(RISEN, graph) or None, 15, f"the {what} graph to rise")
		note(f"{what}: {n} pixels of its line above the baseline")


def run(k, w, d):
	d.set_page_load_timeout(60)
	d.get(f"http://{w.host}/")
	poll(lambda: count(d, "#lanes .lane") or None, 20, "the chefs' lanes")
	check_eq(count(d, "#lanes .lane"), 2, "a lane per chef")
	check_eq(count(d, "#lanes .station"), 4, "a station per chef thread")
	poll(lambda: "connected" in texts(d, "#conn")[0] or None, 20, "the page to say connected")
	poll(lambda: d.execute_script("return queueHist.length") >= 3 or None, 20, "three samples of the queue")
	check_eq([d.execute_script(RISEN, g) for g in ("g-queue", "g-rate")], [0, 0],
		 "nothing queued or served yet: the graphs' lines lie on their baselines")

	oid = k.order(XSS, "Soup", XSS, "Soup", "Soup")

	def busy():
		s = texts(d, "#lanes .station.busy")
		return s if len(s) >= 2 and any(XSS in t for t in s) else None

	stations = poll(busy, 20, "lanes to show the dishes being cooked, the markup-like name literally")
	note(f"busy stations: {stations}")
	check_eq(count(d, "img"), 0, "no img element made from a dish name")
	no_alert(d)
	first = texts(d, "#counts")[0]

	k.wait_order(oid, timeout=60)
	poll(lambda: count(d, "#lanes .station.busy") == 0 or None, 20, "lanes to go idle once every dish is served")
	poll(lambda: "5 served" in texts(d, "#counts")[0] or None, 10,
	     f"the counters to change from '{first}' to five served")
	poll(lambda: XSS in texts(d, "#orders")[0] or None, 10, "the latest orders with the dish")

	errors = severe(d)
	check(not errors, f"console errors in the page: {errors}")
	check_graphs(k, d)
	check(not severe(d), "no console errors while the graphs draw", severe(d))

	# Writes from the page: refused without the token or with a wrong one, done with it.
	# (The browser logs the two 401 answers as errors: they are the test's.)
	orders = len(k.ctl_json("list", "--limit", "1000")["orders"])
	poll(lambda: count(d, "#order-dish option") == 3 or None, 10, "the menu in the order form")
	d.execute_script("document.getElementById('order-dish').value = 'Soup'")
	for token, expect in (("", "401"), ("wrong-token-0123456789", "401"), (TOKEN, "accepted")):
		d.execute_script("document.getElementById('token').value = arguments[0];"
				 "document.getElementById('order-result').textContent = '';", token)
		d.execute_script("document.querySelector('#order-form button').click()")
		got = poll(lambda: texts(d, "#order-result")[0] or None, 10, "the page to say what came of the order")
		check(expect in got, f"ordering from the page with token {token!r}: {expect} expected", got)
	check_eq(len(k.ctl_json("list", "--limit", "1000")["orders"]), orders + 1, "one order from the page")

	# A failed dish, with its reason, on the front page.
	burnt = k.order("Burnt")
	k.wait_order(burnt, timeout=60)
	poll(lambda: "injected failure" in texts(d, "#failed")[0] or None, 20, "the failed dish and its reason")
	check("Burnt" in texts(d, "#failed")[0], "the failed dish is named", texts(d, "#failed"))

	# Followed within the page: the stages it saw in the events are on the time line.
	d.execute_script("location.hash = arguments[0]", f"#order/{oid}")
	poll(lambda: count(d, "#timeline .tl-row") == 5 or None, 20, "the order's time line, a row per dish")
	check(XSS in texts(d, "#timeline")[0], "the order's page shows the name literally")
	check(sum("stage: " in t and "served: " in t for t in texts(d, "#timeline .tl-stages")) == 5, "the order's page shows its stages",
	      texts(d, "#timeline .tl-stages"))
	check_eq(count(d, "img"), 0, "no img element on the order's page")
	no_alert(d)
	errors = [e for e in severe(d) if not (e.get("source") == "network" and "status of 401" in e["message"])]
	check(not errors, f"console errors in the page: {errors}")


if __name__ == "__main__":
	main(test)
