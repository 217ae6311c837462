"""Prometheus text for the integration tests: `promtool check metrics`
(Debian package prometheus), and a parser that checks every sample has its
family's HELP and TYPE, used by test_metrics (kitchenctl metrics) and
test_web_metrics (kitchen-web's /metrics)."""

import re
import shutil
import subprocess

from harness import TestSkip, check, check_eq, note

SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)')


def parse_text(text):
	"""{(name, ((label, value), ...)): float}, checking HELP and TYPE come first."""
	samples, typed = {}, {}
	helped = set()
	for line in text.splitlines():
		if line.startswith("# HELP "):
			helped.add(line.split(" ")[2])
			continue
		if line.startswith("# TYPE "):
			_, _, name, kind = line.split(" ")
			typed[name] = kind
			continue
		m = SAMPLE.fullmatch(line)
		check(m is not None, "a sample line", line)
		name, labels, value = m.groups()
		family = name
		if name not in typed:
			family = re.sub(r"_(bucket|sum|count)$", "", name)
			check_eq(typed.get(family), "histogram", f"{name}: a histogram's sample, or a family of its own")
		check(family in helped, f"{family} has a HELP line")
		pairs = tuple(LABEL.findall(labels or ""))
		key = (name, pairs)
		check(key not in samples, "each series once", key)
		samples[key] = float(value)
	return samples, typed


def histogram_ok(samples, name, j):
	"""Cumulative buckets ending at +Inf = count, and the same as --json."""
	buckets = [(les, v) for (n, les), v in samples.items() if n == name + "_bucket"]
	check_eq(len(buckets), 18, f"{name}: 17 bounds and +Inf")
	values = [v for _, v in buckets]
	check_eq(values, sorted(values), f"{name}: buckets are cumulative", buckets)
	check_eq(buckets[-1][0], (("le", "+Inf"),), f"{name}: the last bucket is +Inf")
	count = samples[(name + "_count", ())]
	check_eq(buckets[-1][1], count, f"{name}: +Inf is the count")
	check_eq(count, j[name]["count"], f"{name}: the text's count is --json's")
	check_eq({les[0][1]: v for les, v in buckets}, {k: float(v) for k, v in j[name]["buckets"].items()},
		 f"{name}: the text's buckets are --json's")
	check(abs(samples[(name + "_sum", ())] - j[name]["sum"]) < 1e-9, f"{name}: the sums agree")
	return int(count)


def promtool_path():
	"""promtool, or the test is skipped (77) saying why."""
	promtool = shutil.which("promtool")
	if not promtool:
		raise TestSkip("no promtool (Debian package prometheus; tools/setup installs it)")
	return promtool


def promtool_check(promtool, text, what):
	p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
	note(f"$ promtool check metrics  # {what} -> {p.returncode}\n{p.stdout}{p.stderr}")
	check_eq(p.returncode, 0, f"promtool check metrics accepts {what}", p.stdout, p.stderr, text)
