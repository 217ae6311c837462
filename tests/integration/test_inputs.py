#!/usr/bin/env python3
"""Dishes that carry input, and their outputs (issue 12), from kitchenctl's side.

- `order --input TEXT`: accepted, every dish with it; an input over kitchend's
  dishes.max_input is refused in kitchend's words, exit 1, nothing ordered.
- `order DISH --inputs FILE` (and `-`): one dish per line, empty lines
  skipped, NUL bytes and bytes that are not UTF-8 kept; 400 lines are 3
  orders of 150, 150 and 100 dishes, placed in input order; a line over
  kitchend's limit refuses its order, named by its lines; one over the
  protocol's (1 MiB) is refused before anything is sent, naming the line;
  no line at all orders nothing (exit 0).
- `--wait --output` and `wait ID... --output`: the outputs alone on stdout,
  raw and in the order of the dishes (the simulated dishes' are their
  result words); a failed dish prints nothing there and a line on stderr,
  exit 1; `--json --output` has each served dish's "output".
- usage errors (exit 2): --input with --inputs, --inputs with two dishes or
  with --random, --output without --wait or with --follow.
- real programs (a menu of factor and cat): `seq 1 100 | kitchenctl order
  "Prime Check" --inputs - --wait --output` prints factor's 100 lines in input
  order; 400 lines through cat come back byte-exact (NUL, '\r', "-n", bytes
  that are not UTF-8: "output_base64" in --json) and in order across 3
  orders; 9 MB of outputs come whole across OUTPUT's pages; a program that
  fails is said on stderr with its line; show gives the first line of a
  multi-line output and how to get it whole.
"""

import base64
import re
import subprocess

from harness import SCALE, Kitchen, check, check_eq, clean_env, main, menu, note, order_lines, parse_json, show_argv

MAX_INPUT = 200   # dishes.max_input here, so the refusals are cheap
MENU = menu(("Tea", ["Leaves"]), ("Toast", ["Bread"]), ("Soup", ["Water"]))


def ctl_in(k, data, *args, timeout=60):
	"""kitchenctl @args with @data (bytes) on stdin: (rc, stdout bytes, stderr text)."""
	argv = k.ctl_argv(args)
	p = subprocess.run(argv, input=data, capture_output=True, timeout=timeout * SCALE, env=clean_env())
	err = p.stderr.decode("utf-8", "replace")
	note(f"$ ... | {show_argv(argv)}\n  -> rc {p.returncode}\n  stdout: {p.stdout[:300]!r}\n  stderr: {err[-1500:]}")
	check("Sanitizer" not in err and "runtime error:" not in err, "a sanitizer report", err)
	return p.returncode, p.stdout, err


def newest(k):
	"""The id of the newest order in the book, 0 when none."""
	orders = k.ctl_json("list", "--limit", "1")["orders"]
	return orders[0]["order"] if orders else 0


def usage(k):
	for args, words in (
		(["order", "Tea", "--input", "x", "--inputs", "-"], "--input and --inputs exclude each other"),
		(["order", "Tea", "Toast", "--inputs", "-"], "--inputs takes one dish"),
		(["order", "--random", "3", "--inputs", "-"], "--inputs is for the dishes named, not for --random"),
		(["order", "--random", "3", "--input", "x"], "--input is for the dishes named, not for --random"),
		(["order", "Tea", "--output"], "--output is an option of 'order --wait' and 'wait'"),
		(["order", "Tea", "--follow", "--output"], "--output is an option of 'order --wait' and 'wait'"),
		(["follow", "1", "--output"], "--output is an option of 'order --wait' and 'wait'"),
		(["show", "1", "--input", "x"], "--input is an option of 'order', not of 'show'"),
		(["order", "Tea", "--inputs", ""], "--inputs needs a file"),
	):
		rc, out, err = ctl_in(k, b"1\n", *args)
		check(rc == 2 and words in err and out == b"", f"{' '.join(args)}: a usage error", rc, out, err)


def inputs_placed(k):
	# --input: every dish of the order; the empty one and one at the limit too.
	rc, out, err = k.ctl("order", "Tea", "Toast", "--input", "x" * MAX_INPUT, "--wait")
	check(rc == 0 and order_lines(out) == ["I- Ordered Tea", "I- Ordered Toast", "O- Served Tea", "O- Served Toast"],
	      "order --input at the limit: served", rc, out, err)
	k.order("Tea", "--input", "")

	# kitchend's limit, in kitchend's words; nothing ordered.
	before = newest(k)
	rc, out, err = k.ctl("order", "Tea", "--input", "y" * (MAX_INPUT + 1))
	check(rc == 1 and out == "" and f"dish 1: its input is {MAX_INPUT + 1} bytes; at most {MAX_INPUT} are taken "
	      "(dishes.max_input)" in err, "an input over dishes.max_input: refused by kitchend", rc, out, err)
	check_eq(newest(k), before, "nothing ordered by the refused order")

	# 400 lines, blank ones among them, NUL and non-UTF-8 bytes: 3 orders, in input order.
	lines = [str(i).encode() for i in range(1, 401)]
	lines[7] = b"a\0b\xff\xfe \r"
	data = b"\n".join(lines[:200]) + b"\n\n\n" + b"\n".join(lines[200:])  # no last '\n'
	rc, out, err = ctl_in(k, data, "--json", "order", "Toast", "--inputs", "-")
	check_eq(rc, 0, "--inputs of 400 lines: exit status", out, err)
	placed = parse_json(out.decode(), "order --inputs --json")["orders"]
	check_eq([len(o["dishes"]) for o in placed], [150, 150, 100], "400 lines: orders of 150, 150 and 100 dishes")
	check(all(o["dishes"] == ["Toast"] * len(o["dishes"]) for o in placed), "every dish a Toast", placed)
	ids = [o["order"] for o in placed]
	# Placed 64 at a time, they may be numbered in another order; the report's order is the input's.
	check_eq(len(set(ids)), 3, "three orders placed")
	for o in ids:
		check_eq(len(k.wait_order(o)["dishes"]), len(placed[ids.index(o)]["dishes"]), f"order {o}'s dishes")

	# The same from a file, plain: the ids, one a line.
	path = k.dir + "/inputs"
	with open(path, "wb") as f:
		f.write(data)
	rc, out, err = k.ctl("order", "Toast", "--inputs", path)
	check(rc == 0 and re.fullmatch(r"(\d+\n){3}", out), "--inputs FILE: 3 ids", rc, out, err)

	# A line over kitchend's limit: its order refused, named by its lines; the ones before accepted.
	data = b"\n".join([b"z"] * 200 + [b"w" * (MAX_INPUT + 1)] + [b"z"] * 10) + b"\n"
	rc, out, err = ctl_in(k, data, "order", "Tea", "--inputs", "-")
	check(rc == 1 and re.fullmatch(rb"\d+\n", out) and
	      f"dish 51: its input is {MAX_INPUT + 1} bytes; at most {MAX_INPUT} are taken (dishes.max_input)" in err
	      and "the order refused held the dishes of lines 151 to 211; the orders before it were accepted" in err,
	      "a line over dishes.max_input: its order refused, the first one accepted", rc, out, err)

	# A line over the protocol's limit: nothing sent.
	before = newest(k)
	data = b"1\n2\n\n" + b"v" * (1024 * 1024 + 1) + b"\n5\n"
	rc, out, err = ctl_in(k, data, "order", "Tea", "--inputs", "-")
	check(rc == 2 and out == b"" and "line 4 of standard input is over 1048576 bytes" in err
	      and "nothing was ordered" in err, "a line over 1 MiB: refused before sending", rc, out, err)
	rc, out, err = k.ctl("order", "Tea", "--inputs", k.dir + "/none")
	check(rc == 1 and out == "" and "cannot open --inputs" in err, "--inputs of a file that is not there", rc, err)
	check_eq(newest(k), before, "nothing ordered by the refusals")

	# No line at all: nothing to do.
	rc, out, err = ctl_in(k, b"\n\n", "order", "Tea", "--inputs", "-", "--wait", "--output")
	check(rc == 0 and out == b"" and "nothing ordered" in err, "--inputs of blank lines: nothing ordered", rc, out, err)
	rc, out, err = ctl_in(k, b"", "--json", "order", "Tea", "--inputs", "-")
	check(rc == 0 and out == b'{"orders": []}\n', "--inputs of nothing, --json: no orders", rc, out, err)


def outputs(k):
	# Simulated dishes: their outputs are their results; raw, in order, nothing else on stdout.
	rc, out, err = ctl_in(k, b"", "--json", "order", "Tea", "Toast", "Tea", "--wait", "--output")
	check_eq(rc, 0, "--json order --wait --output: exit status", out, err)
	report = parse_json(out.decode(), "order --wait --output --json")["orders"][0]
	got = [d.get("output") for d in report["dishes"]]
	check(all(isinstance(o, str) and o.rstrip("\n") == d["result"] for o, d in zip(got, report["dishes"])),
	      "--json --output: each served dish's output, its result for a simulated dish", report)
	rc, raw, err = ctl_in(k, b"", "wait", str(report["order"]), "--output")
	check(rc == 0 and raw.decode() == "".join(got), "wait ID --output: the outputs alone, raw, in order", rc, raw, err)
	check("O- " not in err and "I- " not in err, "no outcome lines with --output", err)

	rc, raw, err = ctl_in(k, b"", "order", "Toast", "Tea", "--wait", "--output")
	check(rc == 0 and raw.decode().replace("\n", "") == "Served ToastServed Tea",
	      "order --wait --output: Toast's output, then Tea's", rc, raw, err)

	# Several orders of --inputs: in input order, across them.
	rc, raw, err = ctl_in(k, b"\n".join(b"%d" % i for i in range(1, 321)), "order", "Tea", "--inputs", "-",
			      "--wait", "--output")
	check(rc == 0 and raw.decode().replace("\n", "") == "Served Tea" * 320,
	      "--inputs of 320 lines --wait --output: 320 outputs", rc, raw[-200:], err)
	check(re.fullmatch(r"kitchenctl: 3 orders of 320 dishes accepted: ids \d+ to \d+\n", err),
	      "the orders accepted, said once", err)

	# A dish that fails: nothing on stdout for it, a line on stderr, exit 1.
	rc, raw, err = ctl_in(k, b"", "order", "Tea", "Soup", "Toast", "--wait", "--output")
	m = re.search(r"kitchenctl: dish 2 \(Soup\) failed: [^\n]*injected failure \[order (\d+) #2\]\n", err)
	check(rc == 1 and raw.decode().replace("\n", "") == "Served TeaServed Toast" and m,
	      "a failed dish under --output: said on stderr, the others on stdout, exit 1", rc, raw, err)
	rc, raw, err = ctl_in(k, b"", "wait", "--output", str(report["order"]), m.group(1))
	check(rc == 1 and re.search(r"kitchenctl: dish 5 \(Soup\) failed: [^\n]*injected failure \[order \d+ #2\]", err),
	      "wait of two orders --output: the dishes counted across them", rc, raw, err)
	data = b"1\n\n2\n"
	rc, raw, err = ctl_in(k, data, "order", "Soup", "--inputs", "-", "--wait", "--output")
	check(rc == 1 and raw == b"" and re.search(r"dish 2 \(Soup\) failed: [^\n]*injected failure \[order \d+ #2, line 3\]", err),
	      "a failed dish of --inputs: its line said", rc, raw, err)

	# show: a served dish's result.
	rc, out, err = k.ctl("show", m.group(1))
	check(rc == 0 and re.search(r"#1 Tea: served by \S+ \(attempt 1\): Served Tea\n", out)
	      and re.search(r"#2 Soup: failed after 1 attempt: [^\n]*injected failure\n", out), "show: each dish's result", rc, out, err)


PROGRAM_MENU = [
	{"name": "Tea", "ingredients": ["Leaves"]},
	{"name": "Prime Check", "run": ["factor", "--", "{input}"]},
	{"name": "Cat", "run": ["cat"]},
]


def programs():
	"""Real programs: factor's lines in input order, inputs and outputs byte-exact."""
	with Kitchen(chefs={"local": 2, "threads": 2}, menu=PROGRAM_MENU, log_level="info") as k:
		# The tutorial's executor.map: 100 lines in, 100 lines out, in input order.
		data = b"".join(b"%d\n" % i for i in range(1, 101))
		want = subprocess.run(["factor"], input=data, capture_output=True, check=True).stdout
		rc, out, err = ctl_in(k, data, "order", "Prime Check", "--inputs", "-", "--wait", "--output")
		check(rc == 0 and out == want and len(out.splitlines()) == 100,
		      "seq 1 100 | order 'Prime Check' --inputs - --wait --output: factor's 100 lines, in order",
		      rc, out[-300:], err)
		check_eq(out.splitlines()[:3], [b"1:", b"2: 2", b"3: 3"], "the first lines")

		# 400 lines through cat, in 3 orders: the bytes back in order, NUL, '\r', '-x' and non-UTF-8 too.
		lines = [b"%d" % i for i in range(1, 401)]
		lines[5], lines[160], lines[390] = b"a\0b \r", b"\xff\xfe-\x80", b"-n"
		rc, out, err = ctl_in(k, b"\n".join(lines) + b"\n", "order", "Cat", "--inputs", "-", "--wait", "--output")
		check(rc == 0 and out == b"".join(lines), "400 inputs through cat: byte-exact, in input order",
		      rc, out[:200], err)
		rc, out, err = ctl_in(k, b"\n".join(lines[:10] + [lines[160]]), "--json", "order", "Cat", "--inputs", "-",
				      "--wait", "--output")
		check_eq(rc, 0, "--json --output: exit status", err)
		dishes = parse_json(out.decode(), "--json order --inputs --wait --output")["orders"][0]["dishes"]
		check_eq([d.get("output") for d in dishes[:10]], [l.decode() for l in lines[:10]],
			 "--json: each output a string when it is UTF-8 (a NUL byte too)")
		check_eq(("output" in dishes[10], base64.b64decode(dishes[10].get("output_base64", ""))),
			 (False, lines[160]), "--json: an output that is not UTF-8 in base64")

		# Outputs larger than one OUTPUT reply (8 MiB): 150 dishes of 60000 bytes, fetched in pages.
		text = "".join(chr(ord("a") + i % 26) for i in range(60000))
		rc, out, err = ctl_in(k, b"", "order", *["Cat"] * 150, "--input", text, "--wait", "--output", timeout=120)
		check(rc == 0 and out == text.encode() * 150, "9 MB of outputs: every byte, in order",
		      rc, len(out), err)

		# A failed program: nothing on stdout for it, its reason on stderr, exit 1.
		rc, out, err = ctl_in(k, b"12\nnone\n7\n", "order", "Prime Check", "--inputs", "-", "--wait", "--output")
		check(rc == 1 and out == b"12: 2 2 3\n7: 7\n" and
		      re.search(r"kitchenctl: dish 2 \(Prime Check\) failed: [^\n]*exit 1[^\n]* \[order \d+ #2, line 2\]\n", err),
		      "a program that fails under --output", rc, out, err)

		# show: a result is the output's first line; a last line says how to get them whole.
		rc, out, err = k.ctl("order", "Cat", "--input", "first line\nsecond line\n", "--wait")
		order = re.search(r"order (\d+) accepted", err).group(1)
		rc, out, err = k.ctl("show", order)
		check(rc == 0 and re.search(r"#1 Cat: served by \S+ \(attempt 1\): first line\.\.\.\n", out)
		      and f"'kitchenctl wait {order} --output' prints the outputs whole" in out,
		      "show: the first line of a multi-line output, and how to get it whole", rc, out, err)
		rc, out, err = ctl_in(k, b"", "wait", order, "--output")
		check(rc == 0 and out == b"first line\nsecond line\n", "wait --output: the whole output", rc, out, err)


def test():
	with Kitchen(chefs={"local": 2, "threads": 2}, menu=MENU, dishes={"max_input": MAX_INPUT, "max_attempts": 1},
		     env={"KITCHEN_CHEF_FAULTS": "Soup=fail"}, log_level="info") as k:
		usage(k)
		inputs_placed(k)
		outputs(k)
	programs()


main(test)
