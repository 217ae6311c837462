#!/usr/bin/env python3
"""
make-corpus — write the seed corpora of tests/fuzz/corpus/: proto/ (one valid
message of every KIT8 command, with the envelopes kitchend reads, and a few
malformed ones) in fuzz-proto.c's input format, and config/ (etc/kitchen.conf
and variants). Run it again after a protocol or config change; libFuzzer adds
what it finds to a copy in build-fuzz/, never here.

	tests/fuzz/make-corpus.py
"""
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def encode(n_env, frames):
	out = bytearray([n_env])
	for f in frames:
		f = f.encode() if isinstance(f, str) else f
		out += len(f).to_bytes(2, "big") + f
	return bytes(out)


CHEF = "chef-1.4242.9f3a61c0"
TOKEN = "5d41402abc4b2a76b9719d911017c592"  # the chef session's, in DISH, PROGRESS, RESULT


def pack(*groups):
	"""Groups of DISH, RESULT and ORDERS: fields joined by tabs, each group
	after its length, as many as a frame holds."""
	out = b""
	for g in groups:
		g = g.encode("utf-8", "surrogateescape") if isinstance(g, str) else g
		out += str(len(g)).encode() + b":" + g
	return out


DISH = "\t".join(["31", "1", "1", "7", "0", "Salad", "Mixed Greens\nTomatoes", "0", "10", "0", "0", ""])
DISH_INPUT = "\t".join(["32", "1", "0", "7", "1", "Prime Check", "", "0", "0", "0", "0", "17\t\0-x"])
PROTO = {
	# control requests as kitchend's ROUTER sees them: [rid][""]
	"order": (2, ["\0\x80\0\0\x29", "", "KIT8", "ORDER", "", "", "5", "0", "Pizza", "", "salad", "-n\0\t1"]),
	"order-follow-key": (2, ["rid", "", "KIT8", "ORDER", "follow", "nightly-7", "9", "1800000000000", "Pizza", ""]),
	"orders": (2, ["rid", "", "KIT8", "ORDERS", "", "5", "0", pack("0\tPizza\t", "1\tsalad\t-n\0\t1"), pack("1\tSoup\t")]),
	"wait": (2, ["rid", "", "KIT8", "WAIT", "7", "60000"]),
	"waits": (2, ["rid", "", "KIT8", "WAITS", "7", "400", "60000"]),
	"show": (2, ["rid", "", "KIT8", "SHOW", "18446744073709551615"]),
	"status": (2, ["rid", "", "KIT8", "STATUS"]),
	"menu": (2, ["rid", "", "KIT8", "MENU"]),
	"chefs": (2, ["rid", "", "KIT8", "CHEFS"]),
	"drain": (2, ["rid", "", "KIT8", "DRAIN"]),
	"reload": (2, ["rid", "", "KIT8", "RELOAD"]),
	"revoke": (2, ["rid", "", "KIT8", "REVOKE", "7", "0", "2"]),
	"purge": (2, ["rid", "", "KIT8", "PURGE", "Pizza"]),
	"retry": (2, ["rid", "", "KIT8", "RETRY", "7"]),
	"list": (2, ["rid", "", "KIT8", "LIST", "failed", "pizza", "", "1700000000000", "0", "20", "4242"]),
	"output": (2, ["rid", "", "KIT8", "OUTPUT", "7", "0"]),
	"ok-output": (0, ["KIT8", "OK", "2", "0", "served", "2 3\n", "1", "failed", ""]),
	# replies as kitchenctl's REQ sees them
	"ok-order": (0, ["KIT8", "OK", "7", "2"]),
	"ok-orders": (0, ["KIT8", "OK", "7", "2", "3"]),
	"ok-waits": (0, ["KIT8", "OK", "7\tserved\t1", "8\tfailed\t2", "9\tunknown\t0"]),
	# the order report's dish groups are packed too, by hand
	"ok-report": (0, ["KIT8", "OK", "7", "served", "1700000000000", "1", "1", "0", "0", "5", "0",
			  "\t".join(["0", "Salad", "served", "1", "chef-1", "Served Salad",
				     "Served Cooked Tomatoes with a pinch of magic", "1700000000100", "1700000001300"])]),
	"err": (0, ["KIT8", "ERR", "unknown-dish", "'Sushi' is not on the menu"]),
	# dispatch: [chef_id] on kitchend's ROUTER, nothing on the chef's DEALER
	"ready": (1, [CHEF, "KIT8", "READY", "chef-1", "host", "4242", "2", "2", "*\nPrime Check"]),
	"heartbeat": (1, [CHEF, "KIT8", "HEARTBEAT"]),
	"dish": (0, ["KIT8", "DISH", TOKEN, pack(DISH, DISH)]),
	"dish-input": (0, ["KIT8", "DISH", TOKEN, pack(DISH_INPUT)]),
	"cancel": (0, ["KIT8", "CANCEL", "31", "1"]),
	# sink
	"progress": (0, ["KIT8", "PROGRESS", CHEF, TOKEN, "31", "1", "Cooking ingredient Tomatoes..."]),
	"result": (0, ["KIT8", "RESULT", CHEF, TOKEN, pack("31\t1\tserved\t"
		       "Served Cooked Mixed Greens with a pinch of magic\nServed Cooked Tomatoes with a pinch of magic\tServed Salad",
		       "32\t1\tserved\t\tServed Pizza")]),
	"result-failed": (0, ["KIT8", "RESULT", CHEF, TOKEN, pack("31\t2\tfailed\t\tmalformed dish: bad cook_ms")]),
	"result-output": (0, ["KIT8", "RESULT", CHEF, TOKEN, pack(b"32\t1\tserved\t\t17: 17\n\t\0\xff")]),
	# events: [topic], then the order (if any) and the event's seq
	"ordered": (1, ["order.7.", "KIT8", "ORDERED", "7", "1", "Pizza\nSalad"]),
	"stage": (1, ["order.7.", "KIT8", "STAGE", "7", "2", "0", "Salad", "chef-1", "Seasoning Cooked Tomatoes..."]),
	"served": (1, ["order.7.", "KIT8", "SERVED", "7", "3", "0", "Salad", "chef-1", "Served Salad", "x\ny"]),
	"failed": (1, ["order.7.", "KIT8", "FAILED", "7", "3", "0", "Salad", "", "gave up after 3 attempts"]),
	"cancelled": (1, ["order.7.", "KIT8", "CANCELLED", "7", "3", "0", "Salad", "", "cancelled on request"]),
	"done": (1, ["order.7.", "KIT8", "DONE", "7", "4", "served", "1", "0", "0"]),
	"chef": (1, ["chef.", "KIT8", "CHEF", "1", "chef-1", "joined", "host"]),
	# malformed
	"bad-version": (2, ["rid", "", "KIT7", "STATUS"]),
	"bad-utf8": (0, ["KIT8", "RESULT", CHEF, TOKEN, pack(b"31\t1\tserved\t\xc0\xaf\xed\xa0\x80\t\x85")]),
	"bad-groups": (0, ["KIT8", "RESULT", CHEF, TOKEN, pack("31\t1\tserved")]),
	"bad-length": (0, ["KIT8", "RESULT", CHEF, TOKEN, b"99:31\t1\tserved\t\tServed Salad"]),
	"no-length": (0, ["KIT8", "RESULT", CHEF, TOKEN, "31\t1\tserved\t\tServed Salad"]),
	"unpacked-group": (0, ["KIT8", "RESULT", CHEF, TOKEN, "31", "1", "served", "Served Salad", ""]),
	"no-envelope": (3, ["KIT8", "STATUS"]),
	"too-many-frames": (0, ["KIT8", "OK"] + ["1"] * 1099),
}


def config_variants():
	with open(os.path.join(REPO, "etc", "kitchen.conf")) as f:
		shipped = f.read()
	return {
		"shipped": shipped,
		"empty": "",
		"menu": 'menu = ( { name = "Soup"; ingredients = [ "Water", "Salt" ]; },\n'
			'         { name = "Tea"; ingredients = ( "Leaves" ); } );\n',
		"programs": 'menu = ( { name = "Pizza"; ingredients = [ "Flour" ]; },\n'
			    '  { name = "Prime Check"; run = [ "factor", "--", "{input}" ]; timeout = "30s";\n'
			    '    max_output = 1048576; dir = "/tmp";\n'
			    '    limits = { cpu_seconds = 10; memory = 536870912; open_files = 64; }; },\n'
			    '  { name = "Cat"; run = ( "cat" ); timeout = 5; } );\n',
		"program-bad": 'menu = ( { name = "Both"; ingredients = [ "a" ]; run = [ "true" ]; },\n'
			       '  { name = "Two"; run = [ "echo", "{input}", "{input}" ]; limits = { nice = 1; }; } );\n',
		"groups": 'log_level = "debug";\nchefs = { local = 2; threads = 4; };\n'
			  'timing = { cook_ms = 100; cpu_work = 10000000000L; };\n'
			  'heartbeat = { interval_ms = 250; liveness = 5; };\n'
			  'dishes = { max_attempts = 5; timeout_ms = 0x7fff; };\n'
			  'orders = { max_queued = 1000L; };\nstore = { synchronous = "normal"; };\n',
		"endpoints": 'runtime_dir = "/tmp/k";\nstate_dir = "/tmp/s";\n'
			     'endpoints = { control = "tcp://127.0.0.1:5555"; sink = "ipc:///tmp/k/x.sock"; };\n',
		"include": '@include "other.conf"\nchefs = { local = 1; };\n',
		"bad-int": "chefs = { local = 10000000000; };\n",
		"bad-key": "chefs = { locl = 1; };\n",
		"comments": "# hash\n// slashes\n/* block\n */ drain_timeout_ms = -1;\n",
		# found by the fuzzer: a value quoted back in the error put a newline in it
		"newline-in-value": 'log_level = "de\nbug";\n',
		# found by the fuzzer: libconfig exit()ed on an @include of a directory
		"include-dir": '@include ""\nchefs = { local = 1; };\n',
		# fuzz-config names its file kitchen.conf: this includes itself
		"include-self": '@include "kitchen.conf"\n',
	}


def write_dir(name, files):
	d = os.path.join(HERE, "corpus", name)
	shutil.rmtree(d, ignore_errors=True)
	os.makedirs(d)
	for k, data in files.items():
		with open(os.path.join(d, k), "wb") as f:
			f.write(data if isinstance(data, bytes) else data.encode())


write_dir("proto", {k: encode(*v) for k, v in PROTO.items()})
write_dir("config", config_variants())
print(f"wrote {len(PROTO)} proto seeds, {len(config_variants())} config seeds")
