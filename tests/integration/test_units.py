#!/usr/bin/env python3
"""
`meson install` (into a DESTDIR) puts everything where systemd, bash and man
look: the programs, kitchend.service, its two socket units (kitchend.socket,
kitchend-events.socket) and kitchen-chef@.service (with the real
sbindir, bindir and sysconfdir), the sysusers.d and tmpfiles.d entries, the
configuration, the four man pages and kitchenctl's bash completion. The
installed units pass `systemd-analyze verify` (executables and man pages
found, no warning at all) and `systemd-analyze security` rates both OK or
better (exposure <= 4.0). The sysusers.d entry makes the kitchen user with
home /var/lib/kitchen, and the tmpfiles.d entry gives it that directory with
mode 0750 (both applied to a scratch root). The installed configuration
passes `kitchend --check-config`.

Skipped (77) where systemd-analyze is missing (Debian's systemd package).
"""

import os
import re
import shutil
import stat
import tempfile

from harness import KITCHEND, TestSkip, check, check_eq, main, run

BUILD_ROOT = os.environ.get("KITCHEN_BUILD_ROOT") or os.path.dirname(KITCHEND)
MESON = os.environ.get("MESON") or shutil.which("meson") or "meson"
EXPOSURE_RE = re.compile(r"Overall exposure level for (\S+): (\d+\.\d+) (\w+)")


def find(root, suffix):
	"""The one installed file whose path ends with @suffix."""
	hits = []
	for top, _, names in os.walk(root):
		for n in names:
			p = os.path.join(top, n)
			if p.endswith(suffix):
				hits.append(p)
	check_eq(len(hits), 1, f"installed files ending with {suffix}", hits)
	return hits[0]


# systemd-analyze verify leaves this stamp behind: ours to remove if it was not there.
UNITS_LOAD_STAMP = "/run/systemd/systemd-units-load"


def test():
	if not shutil.which("systemd-analyze"):
		raise TestSkip("systemd-analyze is not installed (Debian package systemd)")
	stamp_was_there = os.path.lexists(UNITS_LOAD_STAMP)
	try:
		check_units()
	finally:
		if not stamp_was_there and os.path.lexists(UNITS_LOAD_STAMP):
			os.unlink(UNITS_LOAD_STAMP)


def check_units():
	with tempfile.TemporaryDirectory(prefix="kitchen-units-") as tmp:
		dest = os.path.join(tmp, "dest")
		rc, out, err = run([MESON, "install", "-C", BUILD_ROOT, "--no-rebuild", "--quiet",
				    "--destdir", dest], timeout=120)
		check(rc == 0, "meson install failed", out, err)

		# Where things land (the paths under the prefix vary with it).
		kitchend = find(dest, "/sbin/kitchend")
		prefix = os.path.dirname(os.path.dirname(kitchend))[len(dest):]
		find(dest, "/sbin/chef")
		kitchenctl = find(dest, "/bin/kitchenctl")
		unit = find(dest, "/lib/systemd/system/kitchend.service")
		chef_unit = find(dest, "/lib/systemd/system/kitchen-chef@.service")
		sockets = [find(dest, f"/lib/systemd/system/{u}") for u in ("kitchend.socket", "kitchend-events.socket")]
		sysusers = find(dest, "/sysusers.d/kitchen.conf")
		tmpfiles = find(dest, "/tmpfiles.d/kitchen.conf")
		conf = find(dest, "/kitchen/kitchen.conf")
		find(dest, "/bash-completion/completions/kitchenctl")
		mans = [find(dest, f"/man/man{s}/{p}.{s}")
			for p, s in (("kitchend", 8), ("chef", 8), ("kitchenctl", 1), ("kitchen.conf", 5))]
		man_root = os.path.dirname(os.path.dirname(mans[0]))

		# The units name the installed programs and configuration.
		with open(unit) as f:
			text = f.read()
		check(f"\nExecStart={prefix}/sbin/kitchend --config {conf[len(dest):]}\n" in text,
		      "ExecStart= of kitchend.service", prefix, conf, text)
		check(f"\nExecReload={kitchenctl[len(dest):]} " in text, "ExecReload= of kitchend.service", text)

		# verify: the Exec paths pointed into DESTDIR, so it finds them.
		units = os.path.join(tmp, "units")
		os.mkdir(units)
		for src in (unit, chef_unit, *sockets):
			with open(src) as f:
				lines = f.read().splitlines(True)
			with open(os.path.join(units, os.path.basename(src)), "w") as f:
				for line in lines:
					if line.startswith("Exec"):
						line = line.replace(f"={prefix}/", f"={dest}{prefix}/")
					f.write(line)
		env = dict(os.environ, MANPATH=man_root, SYSTEMD_COLORS="0", SYSTEMD_PAGER="")
		checked = [os.path.join(units, "kitchend.service"), os.path.join(units, "kitchen-chef@test.service")]
		rc, out, err = run(["systemd-analyze", "verify", *checked,
				    *(os.path.join(units, os.path.basename(u)) for u in sockets)], env=env)
		check(rc == 0 and not out.strip() and not err.strip(),
		      "systemd-analyze verify should pass without a word", rc, out, err)

		for u in checked:
			rc, out, err = run(["systemd-analyze", "security", "--offline=yes", u], env=env)
			m = EXPOSURE_RE.search(out)
			check(m is not None, f"no exposure level for {u}", rc, out, err)
			check(float(m.group(2)) <= 4.0 and m.group(3) in ("PERFECT", "SAFE", "OK"),
			      f"{os.path.basename(u)} should be rated OK or better (exposure <= 4.0)", m.group(0))

		# sysusers.d and tmpfiles.d, applied to a scratch root.
		scratch = os.path.join(tmp, "scratch")
		os.makedirs(os.path.join(scratch, "etc"))
		rc, out, err = run(["systemd-sysusers", f"--root={scratch}", sysusers])
		check(rc == 0, "systemd-sysusers on the sysusers.d entry", out, err)
		with open(os.path.join(scratch, "etc", "passwd")) as f:
			users = [l.rstrip("\n").split(":") for l in f if l.startswith("kitchen:")]
		check_eq(len(users), 1, "the kitchen user made by sysusers.d")
		check_eq(users[0][5], "/var/lib/kitchen", "home of the kitchen user")
		rc, out, err = run(["systemd-tmpfiles", "--create", f"--root={scratch}", tmpfiles])
		check(rc == 0, "systemd-tmpfiles on the tmpfiles.d entry", out, err)
		st = os.stat(os.path.join(scratch, "var", "lib", "kitchen"))
		check_eq((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
			 (int(users[0][2]), int(users[0][3]), 0o750), "/var/lib/kitchen made by tmpfiles.d")

		# The installed configuration is valid.
		rc, out, err = run([KITCHEND, "--check-config", "--config", conf])
		check(rc == 0 and ": OK" in out, "kitchend --check-config on the installed config", out, err)


main(test)
