#!/usr/bin/env python3
"""
The Debian package. packaging/debian builds kitchen_*.deb with
`dpkg-buildpackage -us -uc -b` (in a copy of the source tree); it holds the
programs, units, config (a conffile), sysusers and tmpfiles entries, man
pages, docs (uncompressed, as the man pages cite them) and bash, zsh and
fish completion where Debian keeps them; lintian finds no error or warning.
Installed with dpkg -i into a booted Debian 12 (systemd-nspawn; never on
this machine) it creates
the kitchen user and /var/lib/kitchen, enables and starts kitchend.service,
which runs as kitchen with /etc/kitchen/kitchen.conf and serves an order;
`kitchend --check-config` passes on that config; systemd-analyze verifies
the installed units and rates them OK or better (exposure <= 4.0). A purge
stops the service and removes units, config and store.

Plain build and root only; skipped (77) when debootstrap cannot reach
Debian's mirror or apt-get cannot install what it needs. See container.py.
"""

import re
import tempfile

from container import Container, build_deb, debian_tree, ensure_host_tools, host_deb, require_plain_root
from harness import check, check_eq, main, poll, run

EXPECTED = [
	"./etc/kitchen/kitchen.conf",
	"./lib/systemd/system/kitchend.service",
	"./lib/systemd/system/kitchen-chef@.service",
	"./lib/systemd/system/kitchen-web.service",
	"./usr/bin/kitchenctl",
	"./usr/lib/sysusers.d/kitchen.conf",
	"./usr/lib/tmpfiles.d/kitchen.conf",
	"./usr/sbin/chef",
	"./usr/sbin/kitchen-web",
	"./usr/sbin/kitchend",
	"./usr/share/bash-completion/completions/kitchenctl",
	"./usr/share/doc/kitchen/examples/chef-example.conf",
	"./usr/share/doc/kitchen/examples/programs.conf",
	"./usr/share/doc/kitchen/examples/kitchen-web-example.conf",
	"./usr/share/doc/kitchen/architecture.md",
	"./usr/share/doc/kitchen/http-api.md",
	"./usr/share/doc/kitchen/performance.md",
	"./usr/share/doc/kitchen/protocol.md",
	"./usr/share/fish/vendor_completions.d/kitchenctl.fish",
	"./usr/share/man/man1/kitchenctl.1.gz",
	"./usr/share/man/man5/kitchen.conf.5.gz",
	"./usr/share/man/man8/chef.8.gz",
	"./usr/share/man/man8/kitchen-web.8.gz",
	"./usr/share/man/man8/kitchend.8.gz",
	"./usr/share/zsh/vendor-completions/_kitchenctl",
]
EXPOSURE_RE = re.compile(r"Overall exposure level for (\S+): (\d+\.\d+) (\w+)")


def check_package(deb):
	rc, out, err = run(["dpkg-deb", "--contents", deb])
	check(rc == 0, "dpkg-deb --contents failed", err)
	paths = {line.split()[-1] for line in out.splitlines() if line.strip()}
	missing = [p for p in EXPECTED if p not in paths]
	check_eq(missing, [], "files missing from the .deb", sorted(paths))

	rc, out, err = run(["dpkg-deb", "--info", deb, "conffiles"])
	check_eq(out.split(), ["/etc/kitchen/kitchen.conf"], "conffiles of the .deb", err)

	# The user before its directory, both before the service starts.
	rc, post, err = run(["dpkg-deb", "--info", deb, "postinst"])
	order = [post.find(s) for s in ("systemd-sysusers", "systemd-tmpfiles", "deb-systemd-invoke")]
	check(-1 not in order and order == sorted(order),
	      "postinst should run systemd-sysusers, systemd-tmpfiles, then start the service", post)

	# lintian: neither an error nor a warning.
	ensure_host_tools("lintian")
	rc, out, err = run(["lintian", "--no-tag-display-limit", deb], timeout=600)
	check_eq([l for l in out.splitlines() if l[:2] in ("E:", "W:")], [], "lintian's errors and warnings", err)


def check_installed(c):
	# kitchen-web's library is not in the debootstrap tree: from this machine.
	c.ok("dpkg -i /var/tmp/libmicrohttpd.deb", timeout=120)
	c.ok("dpkg -i /var/tmp/kitchen.deb", timeout=180)

	# The user and its directories.
	pw = c.ok("getent passwd kitchen").strip().split(":")
	check_eq((pw[5], pw[6]), ("/var/lib/kitchen", "/usr/sbin/nologin"), "home and shell of kitchen", pw)
	check_eq(c.ok("stat -c '%U:%G %a' /var/lib/kitchen").strip(), "kitchen:kitchen 750",
		 "owner and mode of /var/lib/kitchen")

	out = c.ok("runuser -u kitchen -- kitchend --check-config --config /etc/kitchen/kitchen.conf")
	check(out.startswith("/etc/kitchen/kitchen.conf: OK"), "kitchend --check-config", out)

	# The service: enabled, started by the postinst, as kitchen, with the config.
	check_eq(c.ok("systemctl is-enabled kitchend.service").strip(), "enabled", "is-enabled")
	poll(lambda: c.sh("systemctl is-active kitchend.service", quiet=True)[1].strip() == "active",
	     30, "kitchend.service active")
	pid = c.ok("systemctl show -P MainPID kitchend.service").strip()
	check(pid.isdigit() and pid != "0", "no MainPID", pid)
	argv = c.ok(f"tr '\\0' ' ' < /proc/{pid}/cmdline").split()
	check_eq(argv, ["/usr/sbin/kitchend", "--config", "/etc/kitchen/kitchen.conf"], "kitchend's command line")
	check_eq(c.ok(f"stat -c %U /proc/{pid}").strip(), "kitchen", "the user kitchend runs as")
	check_eq(c.ok("stat -c '%U:%G %a' /run/kitchen /var/lib/kitchen/kitchen.db").split("\n")[:2],
		 ["kitchen:kitchen 750", "kitchen:kitchen 640"], "the runtime directory and the store")

	# It serves.
	poll(lambda: re.match(r"3 chefs;", c.sh("systemctl show -P StatusText kitchend", quiet=True)[1]),
	     30, "STATUS= with 3 chefs")
	out = c.ok("kitchenctl order --wait Pizza Salad", timeout=60)
	check("O- Served Pizza" in out and "O- Served Salad" in out, "the installed kitchend serves", out)

	# kitchen-web: installed, not started until asked; then it serves kitchend's status.
	rc, out, _ = c.sh("systemctl is-enabled kitchen-web.service")
	check_eq(out.strip(), "disabled", "kitchen-web.service is not enabled by the package")
	c.ok("systemctl start kitchen-web.service", timeout=60)
	get = ("bash -c \"exec 3<>/dev/tcp/127.0.0.1/8080 && "
	       "printf 'GET /api/status HTTP/1.0\\r\\nHost: 127.0.0.1:8080\\r\\n\\r\\n' >&3 && cat <&3\"")
	out = poll(lambda: (lambda r: r[1] if r[0] == 0 and " 200 " in r[1] else None)(c.sh(get, quiet=True)), 30,
		   "kitchen-web.service to answer /api/status")
	check('"chefs": [{' in out, "kitchen-web.service reaches kitchend through its sandbox", out)

	# The installed units, as systemd loads them.
	rc, out, err = c.sh("systemd-analyze verify --man=no kitchend.service kitchen-chef@oven1.service "
			    "kitchen-web.service")
	check(rc == 0 and not out.strip() and not err.strip(), "systemd-analyze verify of the installed units",
	      rc, out, err)
	for unit in ("kitchend.service", "kitchen-chef@oven1.service", "kitchen-web.service"):
		rc, out, err = c.sh(f"systemd-analyze security {unit}")
		m = EXPOSURE_RE.search(out)
		check(m is not None, f"no exposure level for {unit}", out, err)
		check(float(m.group(2)) <= 4.0 and m.group(3) in ("PERFECT", "SAFE", "OK"),
		      f"{unit} should be rated OK or better (exposure <= 4.0)", m.group(0))

	# A purge takes it all away but the user.
	c.ok("dpkg --purge kitchen", timeout=120)
	rc, out, _ = c.sh("systemctl is-active kitchend.service")
	check(out.strip() in ("inactive", "unknown"), "kitchend after purge", out)
	rc, out, _ = c.sh("ls -d /lib/systemd/system/kitchend.service /etc/kitchen/kitchen.conf "
			  "/lib/systemd/system/kitchen-web.service /usr/sbin/kitchen-web "
			  "/var/lib/kitchen /usr/sbin/kitchend 2>/dev/null")
	check_eq(out.split(), [], "files left after purge")


def test():
	require_plain_root()
	root = debian_tree()  # first: it may skip (no mirror) before a build
	deb = build_deb()
	check_package(deb)
	c = Container(root)
	with c, tempfile.TemporaryDirectory(prefix="kitchen-deb-") as tmp:
		c.copy_in(host_deb("libmicrohttpd12", tmp), "/var/tmp/libmicrohttpd.deb")
		c.copy_in(deb, "/var/tmp/kitchen.deb")
		check_installed(c)
	check_eq(c.leftovers(), [], "what the container left on this machine")


main(test)
