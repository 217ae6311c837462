#!/usr/bin/env python3
"""kitchend --check-config --config F: a good file passes (exit 0); a bad one
is refused (non-zero) with "F:LINE" on stderr naming the offending line; a
missing one is refused naming the file. kitchend started on a bad file refuses
to start the same way. Nothing is started by --check-config."""

import os
import re
import shutil
import signal
import tempfile

from harness import CHEF, KITCHEND, check, check_eq, clean_env, main, pids_mentioning, run

GOOD = """\
# every key, at a value of its own
log_level = "debug";
runtime_dir = "{d}/runtime";
state_dir = "{d}/state";
endpoints = {{
	control = "ipc://{d}/runtime/c.sock";
	events = "ipc://{d}/runtime/e.sock";
	dispatch = "ipc://{d}/runtime/d.sock";
	sink = "ipc://{d}/runtime/s.sock";
}};
chefs = {{ local = 2; threads = 4; command = "{chef}"; }};
timing = {{ prep_ms = 1; cook_ms = 2; season_ms = 3; cpu_work = 4; }};
heartbeat = {{ interval_ms = 500; liveness = 5; }};
dishes = {{ max_attempts = 2; timeout_ms = 60000; }};
orders = {{ max_queued = 1000; }};
drain_timeout_ms = 5000;
store = {{ synchronous = "normal"; }};
menu = (
	{{ name = "Toast"; ingredients = [ "Bread", "Butter" ]; }},
	{{ name = "Tea"; ingredients = [ "Leaves" ]; }}
);
"""

# (what, text, line of the error)
BAD = [
	("syntax error", 'log_level = "info";\ntiming = {\n\tcook_ms = ;\n};\n', 3),
	("unknown top-level key", 'log_level = "info";\n\nchefz = { local = 1; };\n', 3),
	("unknown key in a group", 'timing = {\n\tcook_ms = 10;\n\tcokk_ms = 5;\n};\n', 3),
	("chefs.local out of range", '# chefs\nchefs = {\n\tlocal = 65;\n};\n', 3),
	("chefs.threads zero", 'chefs = {\n\tthreads = 0;\n};\n', 2),
	("a number given as text", 'log_level = "info";\ntiming = { cook_ms = "fast"; };\n', 2),
	("a bad log level", '\n\nlog_level = "loud";\n', 3),
	("a bad store.synchronous", 'store = {\n\tsynchronous = "sometimes";\n};\n', 2),
	("heartbeat liveness zero", 'heartbeat = {\n\tinterval_ms = 100;\n\tliveness = 0;\n};\n', 3),
	("a dish without ingredients", 'menu = (\n\t{ name = "Toast"; ingredients = [ "Bread" ]; },\n'
	 '\t{ name = "Air"; ingredients = [ ]; }\n);\n', 3),
	("a dish name longer than 64 bytes", 'menu = (\n\t{ name = "' + "N" * 65 + '"; ingredients = [ "X" ]; }\n);\n', 2),
	("a dish on the menu twice", 'menu = (\n\t{ name = "Tea"; ingredients = [ "Leaves" ]; },\n'
	 '\t{ name = "Tea"; ingredients = [ "Leaves" ]; }\n);\n', 3),
]


def check_config(path, what):
	rc, out, err = run([KITCHEND, "--check-config", "--config", path], timeout=10, env=clean_env())
	return rc, out, err


def test_include_fanout(d):
	"""libconfig reads an @included file again on every path to it: 8 levels
	of 10 @includes would be 10^8 reads. The tree is bounded (64 reads) and
	refused at once, naming the @include that went past the bound."""
	tree = os.path.join(d, "tree")
	os.mkdir(tree)
	for level in range(8):
		with open(os.path.join(tree, f"level{level}.conf"), "w") as f:
			f.write(f"# level {level}\n" + f'@include "level{level + 1}.conf"\n' * 10)
	with open(os.path.join(tree, "level8.conf"), "w") as f:
		f.write("# the leaf\n")
	top = os.path.join(tree, "kitchen.conf")
	with open(top, "w") as f:
		f.write('log_level = "info";\n@include "level0.conf"\n')
	rc, out, err = check_config(top, "an @include fan-out")
	check(rc != 0 and re.search(re.escape(tree) + r"/level\d\.conf:\d+: @include: more than 64 files", err),
	      "--check-config should refuse an @include fan-out, naming FILE:LINE", rc, err)

	# A file included twice on purpose is fine below the bound.
	with open(os.path.join(tree, "small.conf"), "w") as f:
		f.write('@include "level7.conf"\n@include "level7.conf"\nchefs = { local = 1; };\n')
	rc, out, err = check_config(os.path.join(tree, "small.conf"), "a small tree")
	check_eq(rc, 0, f"--check-config of 22 included files (stderr {err!r})")


def test_models(d):
	"""What a local chef holds at once, in its model's word."""
	for text, says in (('chefs = { local = 2; threads = 4; };\n', "2 local chefs of 4 stations"),
			   ('chefs = { local = 1; model = "event-loop"; slots = 50; };\n',
			    "1 local chef of 50 event-loop slots")):
		path = os.path.join(d, "model.conf")
		with open(path, "w") as f:
			f.write(text)
		rc, out, err = check_config(path, says)
		check(rc == 0 and out == f"{path}: OK (5 dishes on the menu, {says})\n", f"--check-config: {says}",
		      rc, out, err)


def test():
	d = tempfile.mkdtemp(prefix="kitchen-it-", dir="/tmp")
	try:
		os.mkdir(os.path.join(d, "runtime"))
		os.mkdir(os.path.join(d, "state"))
		good = os.path.join(d, "good.conf")
		with open(good, "w") as f:
			f.write(GOOD.format(d=d, chef=CHEF))
		rc, out, err = check_config(good, "good")
		check_eq(rc, 0, f"--check-config of a file with every key (stderr {err!r})")
		check_eq(os.listdir(os.path.join(d, "runtime")), [], "--check-config should bind no socket")
		check_eq(pids_mentioning(d), [], "--check-config should leave no process behind")

		empty = os.path.join(d, "empty.conf")
		open(empty, "w").close()
		rc, out, err = check_config(empty, "empty")
		check_eq(rc, 0, f"--check-config of an empty file (all defaults) (stderr {err!r})")

		for i, (what, text, line) in enumerate(BAD):
			path = os.path.join(d, f"bad{i}.conf")
			with open(path, "w") as f:
				f.write(text)
			rc, out, err = check_config(path, what)
			check(rc != 0, f"--check-config should refuse {what}", text, out, err)
			check(re.search(re.escape(path) + rf":{line}\b", err) is not None,
			      f"--check-config of {what}: stderr should name {path}:{line}", text, err)

		# kitchend itself refuses to start on a bad file, the same way.
		path = os.path.join(d, "bad0.conf")
		rc, out, err = run([KITCHEND, "--config", path], timeout=10, env=clean_env())
		check(rc != 0 and re.search(re.escape(path) + r":3\b", err) is not None,
		      "kitchend on a bad file should refuse to start, naming FILE:LINE", rc, err)

		missing = os.path.join(d, "missing.conf")
		rc, out, err = check_config(missing, "missing")
		check(rc != 0 and missing in err, "--check-config of a missing file: refuse, naming it", rc, err)

		# The files the configuration names are checked too: a key pair and
		# an allowlist that are not there are refused, each named.
		no_key = os.path.join(d, "nokey.key")
		no_dir = os.path.join(d, "chefs.d")
		curve = os.path.join(d, "curve.conf")
		with open(curve, "w") as f:
			f.write(f'curve = {{ secret_key = "{no_key}"; chefs_allow = "{no_dir}"; }};\n')
		rc, out, err = check_config(curve, "curve")
		check(rc != 0 and no_key in err and no_dir in err,
		      "--check-config should refuse a missing key pair and allowlist, naming both", rc, err)
		check_eq(pids_mentioning(d), [], "no process should be left")

		test_include_fanout(d)
		test_models(d)
	finally:
		for pid in pids_mentioning(d):
			os.kill(pid, signal.SIGKILL)
		shutil.rmtree(d, ignore_errors=True)


main(test)
