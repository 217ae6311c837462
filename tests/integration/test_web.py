#!/usr/bin/env python3
"""kitchen-web against a real kitchend: each /api endpoint answers what
`kitchenctl --json` prints for the same question; /api/events streams an
order's events while it is cooked; writes are refused without the token, from
another origin or as another content type, and work with the token; kitchend
down is a 503 and kitchen-web finds it again; hostile HTTP (a bad request
line, a 1 MB header, a 10 MB body, 1,000 idle connections, most past
limits.connections) leaves kitchen-web up and bounded, and kitchend
unaffected (test_web_hostile: 1,000 held at once, clients that never read)."""

import json
import resource
import socket
import time

from harness import Kitchen, check, check_eq, main, menu, note, poll
from web import TOKEN, Stream, Web

XSS = "<img src=x onerror=alert(1)>"
MENU = menu(("Soup", ["Water", "Salt"]), ("Bread", ["Flour"]), (XSS, ["Quote\"s"]))


def without(d, *keys):
	return {k: v for k, v in d.items() if k not in keys}


def check_reads(k, w):
	st = w.get("/api/status")
	ctl = k.status()
	check_eq(without(st, "uptime_ms"), without(ctl, "uptime_ms"), "/api/status vs status --json")
	check_eq(w.get("/api/chefs"), k.ctl_json("chefs"), "/api/chefs vs chefs --json")
	m = w.get("/api/menu")
	check_eq(m, k.ctl_json("menu"), "/api/menu vs menu --json")
	check(any(d["name"] == XSS for d in m),
	      "the menu's markup-like name comes back as text", m)


def check_orders(k, w, ids):
	check_eq(w.get("/api/orders"), k.ctl_json("list"), "/api/orders vs list --json")
	check_eq(w.get("/api/orders?limit=2"), k.ctl_json("list", "--limit", "2"), "limit=2 vs list --limit 2")
	page = w.get("/api/orders?limit=2")
	check(page["next"], "a page of 2 of 4 orders has a next", page)
	check_eq(w.get(f"/api/orders?limit=2&after={page['next']}"),
		 k.ctl_json("list", "--limit", "2", "--after", str(page["next"])), "after= vs --after")
	check_eq(w.get("/api/orders?state=served&dish=Soup"), k.ctl_json("list", "--state", "served", "--dish", "Soup"),
		 "state= and dish= vs --state --dish")
	since = k.show(ids[1])["created_ms"]
	check_eq([o["order"] for o in w.get(f"/api/orders?since={since}")["orders"]],
		 [o["order"] for o in w.get("/api/orders")["orders"] if o["created_ms"] >= since], "since=")
	check_eq(w.get("/api/orders?until=1")["orders"], [], "until=1: nothing that old")
	for oid in ids:
		check_eq(w.get(f"/api/orders/{oid}"), k.show(oid), f"/api/orders/{oid} vs show --json")
	out = w.get(f"/api/orders/{ids[0]}/output")
	check_eq(out["order"], ids[0], "output: order")
	rep = k.show(ids[0])
	check_eq([(o["index"], o["state"]) for o in out["outputs"]], [(d["index"], d["state"]) for d in rep["dishes"]],
		 "output: a group per dish, in order")
	for o, d in zip(out["outputs"], rep["dishes"]):
		check(o["output"].startswith(d["result"].rstrip(".")) or o["output"] == d["result"],
		      "output: the whole of what the report previews", o, d)
	# Refusals, in kitchenctl's words, before kitchend is asked, and kitchend's own.
	for bad in ("state=boiling", "limit=0", "limit=x", "since=5&until=4", "dish=" + "x" * 70):
		status, body = w.json("GET", "/api/orders?" + bad)
		check_eq((status, body.get("error")), (400, "bad-request"), f"/api/orders?{bad[:20]} refused", body)
	status, body = w.json("GET", "/api/orders/999999")
	check_eq((status, body["error"]), (404, "not-found"), "an unknown order is 404 not-found", body)
	for host in ("evil.example", f"evil.example:{w.port}", None):
		status, body = w.json("GET", "/api/status", headers={"Host": host} if host else {"Host": ""})
		check_eq((status, body["error"]), (421, "misdirected"), f"Host {host!r}: DNS rebinding refused", body)
	check_eq(w.json("GET", "/api/status", headers={"Host": f"localhost:{w.port}"})[0], 200, "Host localhost:PORT")
	status, body = w.json("GET", "/api/nothing")
	check_eq(status, 404, "an unknown path is 404", body)


def check_events_and_writes(k, w, ro):
	s = Stream(w)
	try:
		poll(lambda: b"text/event-stream" in s.raw, 10, "the event stream to open")
		status, body = w.post("/api/orders", {"dishes": ["Soup", XSS, "bread"], "priority": 7, "key": "web-1"})
		check_eq(status, 201, "an order with the token", body)
		oid = body["order"]
		check_eq(body["dishes"], 3, "three dishes ordered")
		k.wait_order(oid)

		def done():
			evs = [e for e in s.events if e.get("order") == oid]
			return evs if any(e["event"] == "done" for e in evs) else None

		evs = poll(done, 15, f"the events of order {oid} to end with done")
		kinds = [e["event"] for e in evs]
		note(f"events of order {oid}: {kinds}")
		check("stage" in kinds and kinds.count("served") == 3, "stages and three served events", evs)
		check(any(e.get("dish") == XSS for e in evs), "the markup-like name arrives as text in events", evs)
		check_eq(evs[-1], {"event": "done", "order": oid, "seq": evs[-1]["seq"], "state": "served",
				   "served": 3, "failed": 0, "cancelled": 0}, "the done event")
		rep = k.show(oid)
		check_eq((rep["priority"], [d["name"] for d in rep["dishes"]]), (7, ["Soup", XSS, "Bread"]),
			 "the order as kitchend has it")
		status, again = w.post("/api/orders", {"dishes": ["Soup", XSS, "Bread"], "key": "web-1"})
		check_eq((status, again["order"]), (201, oid), "the same key is the same order")
	finally:
		s.close()

	# Refused: read-only, no token, a wrong one, another origin, another content type.
	order = json.dumps({"dishes": ["Soup"]}).encode()
	hj = {"Content-Type": "application/json"}
	auth = {"Authorization": f"Bearer {TOKEN}"}
	before = len(k.ctl_json("list", "--limit", "1000")["orders"])
	for what, srv, headers, status, code in (
		("read-only kitchen-web", ro, {**hj, **auth}, 403, "read-only"),
		("no token", w, hj, 401, "unauthorized"),
		("a wrong token", w, {**hj, "Authorization": "Bearer " + TOKEN[:-1] + "x"}, 401, "unauthorized"),
		("a longer token", w, {**hj, "Authorization": "Bearer " + TOKEN + "x"}, 401, "unauthorized"),
		("basic auth", w, {**hj, "Authorization": "Basic " + TOKEN}, 401, "unauthorized"),
		("another origin", w, {**hj, **auth, "Origin": "http://evil.example"}, 403, "forbidden"),
		("a null origin", w, {**hj, **auth, "Origin": "null"}, 403, "forbidden"),
		("a form's content type", w, {**auth, "Content-Type": "application/x-www-form-urlencoded"}, 415,
		 "unsupported-media-type"),
		("text/plain", w, {**auth, "Content-Type": "text/plain"}, 415, "unsupported-media-type"),
		("no content type", w, auth, 415, "unsupported-media-type"),
	):
		got, body = srv.json("POST", "/api/orders", order, headers)
		check_eq((got, body.get("error")), (status, code), f"POST with {what}", body)
	got, hdrs, _ = w.request("POST", "/api/orders", order, hj)
	check(hdrs.get("WWW-Authenticate", "").startswith("Bearer"), "401 says Bearer", hdrs)
	got, body = w.json("POST", "/api/orders", order, {**hj, **auth, "Origin": f"http://{w.host}"})
	check_eq(got, 201, "the server's own origin may write", body)
	check_eq(len(k.ctl_json("list", "--limit", "1000")["orders"]), before + 1, "only that one was ordered")
	k.wait_order(body["order"])
	got, body = w.json("GET", "/api/orders/1/cancel")
	check_eq(got, 405, "GET of a write route", body)
	got, body = w.json("DELETE", "/api/orders")
	check_eq(got, 405, "DELETE", body)
	for bad, why in (({"dishes": []}, "no dishes"), ({"dishes": ["Sushi"]}, "not on the menu"),
			 ({"dishes": ["Soup"], "priority": 11}, "priority 11"), ({"dish": ["Soup"]}, "unknown member"),
			 ({"dishes": ["So\nup"]}, "a control character")):
		got, body = w.post("/api/orders", bad)
		check_eq(got, 400, f"an order with {why}", body)
	got, body = w.json("POST", "/api/orders", b'{"dishes": ["Soup"', {**hj, **auth})
	check_eq(got, 400, "a body cut short", body)

	# Cancel and retry: a slow dish, cancelled while queued behind two others.
	status, body = w.post("/api/orders", {"dishes": ["Soup"] * 6})
	check_eq(status, 201, "six soups", body)
	oid = body["order"]
	status, c = w.post(f"/api/orders/{oid}/cancel", {})
	check_eq(status, 200, "cancel with the token", c)
	check_eq(c["order"], oid, "cancel answers the order")
	check_eq(c["cancelled"] + c["cancelling"] + c["finished"], 6, "cancel counts every dish", c)
	k.wait_order(oid)
	rep = k.show(oid)
	check(rep["cancelled"] > 0, "some soups were cancelled", rep)
	status, body = w.post(f"/api/orders/{oid}/cancel", {})
	check_eq((status, body["error"]), (409, "finished"), "a second cancel", body)
	status, body = w.post(f"/api/orders/{oid}/retry", {"index": [5]})
	check_eq(status, 200, "retry one dish", body)
	check_eq(body, {"order": oid, "retried": 1}, "retry answers the dishes retried")
	k.wait_order(oid)
	check_eq(k.show(oid)["dishes"][5]["state"], "served", "the retried soup was served")
	status, body = w.post("/api/orders/999999/retry", {})
	check_eq((status, body["error"]), (404, "not-found"), "retry of an unknown order", body)
	status, body = w.post(f"/api/orders/{oid}/retry", {"index": [99]})
	check_eq(status, 400, "retry of an index out of the order", body)


def raw_exchange(w, data, read=True):
	"""Send @data on a new connection; what comes back until close (or 10 s)."""
	s = socket.create_connection(("127.0.0.1", w.port), timeout=10)
	got = b""
	try:
		try:
			s.sendall(data)
		except OSError:
			pass
		while read:
			try:
				chunk = s.recv(65536)
			except OSError:
				break
			if not chunk:
				break
			got += chunk
	finally:
		s.close()
	return got


def check_hostile(k, w):
	rss0 = w.rss_kb()
	got = raw_exchange(w, b"GARBAGE\x00\x01 / \r\n\r\n")
	check(got == b"" or got.startswith(b"HTTP/1.1 4"), "a malformed request line: a 4xx or a close", got[:200])
	got = raw_exchange(w, b"GET /api/status HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
	check(got == b"" or got.startswith(b"HTTP/1.1 4"), "a 1 MB header: a 4xx or a close", got[:200])
	t0 = time.monotonic()
	head = (f"POST /api/orders HTTP/1.1\r\nHost: {w.host}\r\nAuthorization: Bearer {TOKEN}\r\n"
		f"Content-Type: application/json\r\nContent-Length: {10 << 20}\r\n\r\n").encode()
	got = raw_exchange(w, head + b"[" * (10 << 20))
	check(got.startswith(b"HTTP/1.1 413"), "a 10 MB body is 413", got[:200])
	got = raw_exchange(w, f"POST /api/orders HTTP/1.1\r\nHost: {w.host}\r\nAuthorization: Bearer {TOKEN}\r\n"
			      f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode() +
			   (b"100000\r\n" + b"[" * 0x100000 + b"\r\n") * 10 + b"0\r\n\r\n")
	check(got.startswith(b"HTTP/1.1 413"), "a 10 MB chunked body is 413", got[:200])
	note(f"hostile requests answered in {time.monotonic() - t0:.1f} s")

	idle = []
	try:
		soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
		resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
		for _ in range(1000):
			try:
				idle.append(socket.create_connection(("127.0.0.1", w.port), timeout=5))
			except OSError:
				pass
		note(f"{len(idle)} idle connections open; kitchen-web has {w.threads()} threads")
		check(w.threads() <= 64 + 8, "threads bounded by limits.connections", w.threads())
		check(w.proc.poll() is None, "kitchen-web is up with 1,000 idle connections")
		check_eq(k.status()["malformed"], 0, "kitchend unaffected")
		# Idle ones are dropped after limits.client_timeout_s (3 s here): it answers again.
		def answers():
			try:
				return w.request("GET", "/api/status", timeout=5)[0] == 200 or None
			except OSError:
				return None  # refused while the slots are taken

		poll(answers, 30, "kitchen-web to answer once the idle connections timed out")
	finally:
		for s in idle:
			s.close()
	check(w.proc.poll() is None, "kitchen-web is up")
	rss = w.rss_kb()
	note(f"kitchen-web RSS {rss0} kB before, {rss} kB after")
	check(rss < rss0 + 64 * 1024, "kitchen-web's memory stays bounded", rss0, rss)
	check_eq(w.get("/api/menu"), k.ctl_json("menu"), "kitchen-web still answers")


def check_kitchend_down(k, w):
	k.stop()
	status, body = w.json("GET", "/api/status")
	check_eq((status, body["error"]), (503, "unavailable"), "kitchend down: 503", body)
	status, body = w.json("GET", "/api/orders/1")
	check_eq(status, 503, "kitchend down: an order is 503 too", body)
	s = Stream(w)
	try:
		poll(lambda: b"text/event-stream" in s.raw, 10, "the event stream opens while kitchend is down")
		k.start()
		check_eq(without(w.get("/api/status"), "uptime_ms"), without(k.status(), "uptime_ms"),
			 "kitchend back: answered again")
		status, body = w.post("/api/orders", {"dishes": ["Bread"]})
		check_eq(status, 201, "order after kitchend came back", body)
		oid = body["order"]
		poll(lambda: any(e.get("order") == oid and e["event"] == "done" for e in s.events), 20,
		     "events of an order placed after kitchend came back (the SUB reconnected)")
	finally:
		s.close()


def test():
	with Kitchen(chefs={"local": 2, "threads": 1}, timing={"cook_ms": 100}, menu=MENU) as k:
		conf = "limits = { connections = 64; per_ip = 64; client_timeout_s = 3; };\n"
		with Web(k, write=True, conf=conf) as w, Web(k) as ro:
			check_reads(k, w)
			ids = [k.order("Soup", "Bread"), k.order("Soup"), k.order(XSS, "Soup"), k.order("Bread")]
			for oid in ids:
				k.wait_order(oid)
			check_reads(k, w)
			check_orders(k, w, ids)
			check_eq(ro.get("/api/orders"), w.get("/api/orders"), "read-only kitchen-web reads the same")
			check_events_and_writes(k, w, ro)
			check_hostile(k, w)
			check_kitchend_down(k, w)
			status, hdrs, page = w.request("GET", "/")
			check(status == 200 and hdrs["Content-Type"].startswith("text/html") and b"/app.js" in page,
			      "the dashboard", status, hdrs)
			check("script-src 'self'" in hdrs.get("Content-Security-Policy", ""), "a CSP with no inline script", hdrs)
			status, hdrs, js = w.request("GET", "/app.js")
			check(status == 200 and b"textContent" in js and b"innerHTML" not in js, "app.js: textContent only")


if __name__ == "__main__":
	main(test)
