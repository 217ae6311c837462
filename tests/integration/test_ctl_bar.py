#!/usr/bin/env python3
"""kitchenctl's progress bar on a terminal (a pty on stderr): `order --random
N --wait` draws it while placing ("dishes placed") and while waiting ("dishes
done"), with a rate and an ETA, at most ~10 times a second however many
replies come, its clock counting from the start of the command."""

import os
import pty
import re
import select
import subprocess
import time

from harness import Kitchen, check, clean_env, main, note

REDRAW = b"\r\x1b[K["
MAX_PER_S = 12


def run_on_pty(argv, timeout):
	"""Run @argv with stderr on a pty: (rc, stdout, [(time, bytes)] of stderr)."""
	master, slave = pty.openpty()
	p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
			     env=clean_env())
	os.close(slave)
	chunks, t0, out = [], time.monotonic(), b""
	try:
		while True:
			ready, _, _ = select.select([master, p.stdout], [], [], 1)
			if time.monotonic() - t0 > timeout:
				raise AssertionError(f"{argv}: still running after {timeout} s")
			if master in ready:
				try:
					data = os.read(master, 65536)
				except OSError:  # EIO: the pty's other side is closed
					data = b""
				if data:
					chunks.append((time.monotonic() - t0, data))
			if p.stdout in ready:
				data = os.read(p.stdout.fileno(), 65536)
				out += data
				if not data and p.poll() is not None:
					break
			if not ready and p.poll() is not None:
				break
	finally:
		if p.poll() is None:
			p.kill()
		p.wait()
		os.close(master)
	return p.returncode, out.decode(), chunks


def test():
	with Kitchen(chefs={"local": 2}, timing={"cook_ms": 1}) as k:
		n = 800
		rc, out, chunks = run_on_pty(k.ctl_argv(["order", "--random", str(n), "--wait"]), 60)
		err = b"".join(c for _, c in chunks)
		check(rc == 0, "order --random --wait on a terminal: exit status", rc, err[-2000:])
		check(out.count("O- Served ") == n, "every dish served", out[-500:])
		# A redraw's time is its chunk's; within a chunk they came together.
		times = [t for t, c in chunks for _ in range(c.count(REDRAW))]
		end = chunks[-1][0]
		note(f"{len(times)} redraws, {len(err)} bytes of stderr in {end:.1f} s")
		check(len(times) >= 2, "the bar was drawn", err[-500:])
		for t in times:
			near = [u for u in times if t <= u < t + 1]
			check(len(near) <= MAX_PER_S, f"{len(near)} redraws in the second from {t:.2f} s", times)
		text = err.decode("utf-8", "replace")
		# What is not a note ("kitchenctl: order N accepted") is the bar's.
		bar = re.sub(r"kitchenctl: [^\r\x1b]*\r?\n", "", text)
		check(len(bar) < 150 * (len(times) + 2), "no more bytes than the redraws need", len(bar), len(times))
		check(re.search(r"\d+/800 dishes placed", text), "the bar shows the orders being placed", text[-800:])
		check(re.search(r"\d+/800 dishes done  \d+(\.\d)?/s  ETA \d+", text),
		      "the bar shows a rate and an ETA while waiting", text[-800:])
		clock = [float(x) for x in re.findall(r"  (\d+\.\d)s(?=\r|\x1b|$)", text)]
		check(clock and clock == sorted(clock), "the bar's clock counts on", clock)


main(test)
