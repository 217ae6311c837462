"""
container — a Debian 12 system booted under a real systemd, for the tests
that install kitchen as a distribution does (test_deb.py, test_nspawn.py).

	require_plain_root()               # else skip: root, plain (not ASan) build
	root = debian_tree()               # debootstrap once, cached
	deb = build_deb()                  # dpkg-buildpackage once per source tree
	with Container(root) as c:         # systemd-nspawn --boot, on an overlay
		c.copy_in(deb, "/var/tmp/kitchen.deb")
		c.ok("dpkg -i /var/tmp/kitchen.deb")
	check_eq(c.leftovers(), [], ...)   # nothing left behind

debian_tree(): `debootstrap --variant=minbase --include=systemd,...` of
bookworm into $KITCHEN_TEST_CACHE (default /var/cache/kitchen-test), under a
name made of what it holds, so later runs (and the other test) reuse it; a
stamp file marks a tree that finished. About a minute the first time.

build_deb(): copies the source tree (the files git tracks or would track,
but a debian/ at the top, left by a package built by hand in the checkout),
puts packaging/debian at debian/, and runs `dpkg-buildpackage -us -uc -b`; the
.deb is kept in the build directory under a hash of the sources, so the second
test of a run takes it as it is. Missing tools and build dependencies are
installed with apt-get; without apt-get (or the mirror) the test is skipped,
saying so.

Container(root): mounts an overlay (the cached tree read-only below, a
directory of its own above), boots it with `systemd-nspawn --boot
--register=no --keep-unit --private-network` (both of the first two are
needed where the host runs no systemd), in a cgroup of its own, and waits for
`systemctl is-system-running --wait`. sh()/ok() run a command inside with
nsenter (all namespaces of the container's PID 1). On the way out it powers
the container off (SIGTERM to nspawn; SIGKILL after 30 s), kills by PID
whatever is left in its cgroups, removes them, unmounts the overlay, deletes
its directory and what nspawn keeps under /run for it.
"""

import fcntl
import glob
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from harness import KITCHEND, REPO, TestFailure, TestSkip, _is_asan, check, note, show_argv

CACHE = os.environ.get("KITCHEN_TEST_CACHE") or "/var/cache/kitchen-test"
SUITE = "bookworm"
MIRROR = os.environ.get("KITCHEN_TEST_MIRROR") or "http://deb.debian.org/debian"
# systemd to boot, dbus for systemctl, the libraries the .deb depends on.
INCLUDE = ["systemd", "systemd-sysv", "dbus", "libzmq5", "libconfig9", "libsqlite3-0"]
MAX_AGE_S = 30 * 24 * 3600
BUILD_ROOT = os.environ.get("KITCHEN_BUILD_ROOT") or os.path.dirname(KITCHEND)

# command -> the Debian package that has it
HOST_TOOLS = {
	"debootstrap": "debootstrap",
	"systemd-nspawn": "systemd-container",
	"nsenter": "util-linux",
	"dpkg-buildpackage": "dpkg-dev",
	"dh": "debhelper",
	"lintian": "lintian",
}

PATH_IN = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def log(*what):
	print("container:", *what, file=sys.stderr, flush=True)


def require_plain_root():
	"""Skip unless root and the programs under test are a plain build."""
	if _is_asan(KITCHEND):
		raise TestSkip("runs in the plain build only: this build's programs use "
			       "AddressSanitizer, and the .deb is built from source anyway")
	if os.geteuid() != 0:
		raise TestSkip("needs root (debootstrap, mount, systemd-nspawn)")


def _apt_get(*args, timeout=900):
	env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
	argv = ["apt-get", "-q", "-y", *args]
	note(f"$ {show_argv(argv)}")
	return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
			      env=env, timeout=timeout)


def apt_install(packages, why):
	"""apt-get install @packages (apt-get update first if that fails);
	skip the test saying @why when apt cannot."""
	if not shutil.which("apt-get"):
		raise TestSkip(f"{why}: needs {' '.join(packages)}, and there is no apt-get to install them")
	log(f"installing {' '.join(packages)} ({why})")
	p = _apt_get("install", "--no-install-recommends", *packages)
	if p.returncode != 0:
		_apt_get("update")
		p = _apt_get("install", "--no-install-recommends", *packages)
	if p.returncode != 0:
		raise TestSkip(f"{why}: apt-get install {' '.join(packages)} failed: "
			       f"{p.stderr.strip()[-500:]}")


def ensure_host_tools(*commands):
	missing = sorted({HOST_TOOLS[c] for c in commands if not shutil.which(c)})
	if missing:
		apt_install(missing, "host tools")


def mirror_reachable():
	url = f"{MIRROR}/dists/{SUITE}/Release"
	try:
		with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=20):
			return True
	except OSError as e:
		log(f"{url}: {e}")
		return False


class _Lock:
	"""flock on @path, for the caches shared by tests and by build directories."""

	def __init__(self, path):
		self.path = path

	def __enter__(self):
		os.makedirs(os.path.dirname(self.path), exist_ok=True)
		self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
		fcntl.flock(self.fd, fcntl.LOCK_EX)
		return self

	def __exit__(self, *exc):
		os.close(self.fd)
		return False


def debian_tree():
	"""The path of a finished debootstrap of SUITE with INCLUDE (cached)."""
	ensure_host_tools("debootstrap")
	key = hashlib.sha256(f"{SUITE} minbase {','.join(INCLUDE)}".encode()).hexdigest()[:12]
	dest = os.path.join(CACHE, f"{SUITE}-{key}")
	root, stamp = os.path.join(dest, "root"), os.path.join(dest, "complete")
	with _Lock(os.path.join(CACHE, ".lock")):
		# A month old: bootstrap again, for the security updates.
		if os.path.exists(stamp) and time.time() - os.stat(stamp).st_mtime < MAX_AGE_S:
			note(f"# debootstrap tree cached in {root}")
			return root
		if not mirror_reachable():
			raise TestSkip(f"cannot reach Debian's mirror {MIRROR} for debootstrap "
				       "(set KITCHEN_TEST_MIRROR to another)")
		# Trees of other keys are older versions of this one.
		for old in glob.glob(os.path.join(CACHE, f"{SUITE}-*")):
			if old != dest:
				shutil.rmtree(old, ignore_errors=True)
		shutil.rmtree(dest, ignore_errors=True)
		os.makedirs(dest)
		argv = ["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}",
			SUITE, root, MIRROR]
		log(f"{show_argv(argv)} (once; about a minute)")
		note(f"$ {show_argv(argv)}")
		t0 = time.monotonic()
		with open(os.path.join(dest, "debootstrap.log"), "w") as out:
			try:
				p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out,
						   stderr=subprocess.STDOUT, timeout=1200)
			except subprocess.TimeoutExpired:
				raise TestSkip("debootstrap did not finish in 20 minutes (a slow mirror?)") from None
		if p.returncode != 0:
			with open(os.path.join(dest, "debootstrap.log")) as f:
				tail = f.read()[-3000:]
			if not mirror_reachable():
				raise TestSkip(f"debootstrap failed and Debian's mirror {MIRROR} is unreachable")
			raise TestFailure(f"debootstrap exited {p.returncode}:\n{tail}")
		# The container boots fast with nothing to wait for on a console.
		for unit in ("console-getty.service", "getty@tty1.service"):
			link = os.path.join(root, "etc/systemd/system", unit)
			if not os.path.lexists(link):
				os.symlink("/dev/null", link)
		with open(stamp, "w") as f:
			f.write(f"{time.monotonic() - t0:.0f} s\n")
		log(f"debootstrap took {time.monotonic() - t0:.0f} s")
		return root


def _source_files():
	"""The files of the source tree: what git tracks or would track."""
	try:
		out = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "-co", "--exclude-standard"],
				     capture_output=True, check=True, timeout=60).stdout
		files = [f for f in out.decode().split("\0") if f]
	except (OSError, subprocess.CalledProcessError):
		files = []
		for top, dirs, names in os.walk(REPO):
			rel = os.path.relpath(top, REPO)
			dirs[:] = [d for d in dirs if not (rel == "." and (d.startswith("build") or d == ".git"))
				   and d != "__pycache__"]
			files += [os.path.normpath(os.path.join(rel, n)) for n in names]
	# A debian/ at the top is a copy of packaging/debian left by a package
	# built by hand in the checkout: build_deb() puts its own there.
	return sorted(f for f in files if os.path.isfile(os.path.join(REPO, f)) and not f.startswith("debian/"))


def build_deb():
	"""Path of kitchen_*.deb built from the current source tree (cached by hash)."""
	ensure_host_tools("dpkg-buildpackage", "dh")
	files = _source_files()
	h = hashlib.sha256()
	for f in files:
		h.update(f.encode() + b"\0")
		with open(os.path.join(REPO, f), "rb") as fh:
			h.update(hashlib.sha256(fh.read()).digest())
	key = h.hexdigest()[:16]
	out_dir = os.path.join(BUILD_ROOT, "kitchen-test-deb", key)
	with _Lock(os.path.join(BUILD_ROOT, "kitchen-test-deb", ".lock")):
		debs = glob.glob(os.path.join(out_dir, "kitchen_*.deb"))
		if debs:
			note(f"# .deb of this source tree cached: {debs[0]}")
			return debs[0]
		for old in glob.glob(os.path.join(BUILD_ROOT, "kitchen-test-deb", "*")):
			shutil.rmtree(old, ignore_errors=True)
		work = tempfile.mkdtemp(prefix="kitchen-deb-", dir="/var/tmp")
		try:
			src = os.path.join(work, "kitchen")
			for f in files:
				os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
				shutil.copy2(os.path.join(REPO, f), os.path.join(src, f))
			shutil.copytree(os.path.join(src, "packaging", "debian"), os.path.join(src, "debian"))
			p = subprocess.run(["dpkg-checkbuilddeps"], cwd=src, capture_output=True, text=True)
			if p.returncode != 0:
				log(f"build dependencies: {p.stderr.strip()}")
				if not shutil.which("apt-get"):
					raise TestSkip(f"unmet build dependencies and no apt-get: {p.stderr.strip()}")
				r = _apt_get("build-dep", "--no-install-recommends", src)
				if r.returncode != 0:
					_apt_get("update")
					r = _apt_get("build-dep", "--no-install-recommends", src)
				if r.returncode != 0:
					raise TestSkip(f"apt-get build-dep failed: {r.stderr.strip()[-500:]}")
			argv = ["dpkg-buildpackage", "-us", "-uc", "-b"]
			note(f"$ cd {src} && {show_argv(argv)}")
			log(f"building the .deb in {src}")
			t0 = time.monotonic()
			# nocheck: the unit tests run in this build directory already.
			env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck parallel=2", LC_ALL="C.UTF-8")
			for k in list(env):
				if k.startswith(("KITCHEN", "MESON", "ASAN_", "UBSAN_", "LSAN_")):
					del env[k]
			with open(os.path.join(work, "build.log"), "w") as out:
				p = subprocess.run(argv, cwd=src, stdin=subprocess.DEVNULL, stdout=out,
						   stderr=subprocess.STDOUT, env=env, timeout=1200)
			if p.returncode != 0:
				with open(os.path.join(work, "build.log")) as f:
					raise TestFailure(f"dpkg-buildpackage exited {p.returncode}:\n{f.read()[-4000:]}")
			log(f"dpkg-buildpackage took {time.monotonic() - t0:.0f} s")
			debs = [d for d in glob.glob(os.path.join(work, "kitchen_*.deb"))]
			check(len(debs) == 1, "dpkg-buildpackage made no kitchen_*.deb (or several)", debs)
			os.makedirs(out_dir, exist_ok=True)
			dest = os.path.join(out_dir, os.path.basename(debs[0]))
			shutil.copy2(debs[0], dest)
			return dest
		finally:
			shutil.rmtree(work, ignore_errors=True)


def _children(pid):
	out = []
	for task in glob.glob(f"/proc/{pid}/task/*/children"):
		try:
			with open(task) as f:
				out += [int(x) for x in f.read().split()]
		except OSError:
			pass
	return out


def _ns_pid_one(pid):
	"""True when @pid is PID 1 of a PID namespace of its own."""
	try:
		with open(f"/proc/{pid}/status") as f:
			for line in f:
				if line.startswith("NSpid:"):
					ids = line.split()[1:]
					return len(ids) > 1 and ids[-1] == "1"
	except OSError:
		pass
	return False


def _own_cgroups(name):
	"""Directories for a cgroup of our own in each hierarchy systemd uses
	(cgroup2, or the name=systemd and unified ones of a hybrid host)."""
	paths = {}
	try:
		with open("/proc/self/cgroup") as f:
			for line in f:
				_, ctrl, path = line.rstrip("\n").split(":", 2)
				paths[ctrl] = path
	except OSError:
		return []
	if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
		mounts = [("/sys/fs/cgroup", paths.get(""))]
	else:
		mounts = [("/sys/fs/cgroup/systemd", paths.get("name=systemd")),
			  ("/sys/fs/cgroup/unified", paths.get(""))]
	return [os.path.join(m + p, name) for m, p in mounts
		if p is not None and os.path.ismount(m)]


class Container:
	def __init__(self, root, name=None):
		self.root = root
		self.name = name or f"kitchen-test-{os.getpid()}"
		self.work = None
		self.merged = None
		self.mounted = False
		self.proc = None
		self.leader = None
		self.cgroups = []
		self.console = None
		self.lock_file = None

	# --- lifetime ---

	def __enter__(self):
		try:
			self._boot()
		except BaseException:
			self.__exit__(*sys.exc_info())
			raise
		return self

	def _boot(self):
		ensure_host_tools("systemd-nspawn", "nsenter")
		self.work = tempfile.mkdtemp(prefix="kitchen-nspawn-", dir="/var/tmp")
		upper, wdir = os.path.join(self.work, "upper"), os.path.join(self.work, "overlay-work")
		self.merged = os.path.join(self.work, "root")
		for d in (upper, wdir, self.merged):
			os.mkdir(d)
		opts = f"lowerdir={self.root},upperdir={upper},workdir={wdir}"
		p = subprocess.run(["mount", "-t", "overlay", "overlay", "-o", opts, self.merged],
				   capture_output=True, text=True)
		if p.returncode != 0:
			raise TestSkip(f"cannot mount an overlay here: {p.stderr.strip()}")
		self.mounted = True
		st = os.stat(self.merged)
		self.lock_file = f"/run/systemd/nspawn/locks/inode-{st.st_dev}:{st.st_ino}"

		argv = ["systemd-nspawn", "--quiet", "--directory", self.merged, "--machine", self.name,
			"--boot", "--register=no", "--keep-unit", "--private-network",
			"--console=read-only"]
		preexec = None
		if os.path.isdir("/run/systemd/system"):
			# A host run by systemd: a scope of ours, delegated to nspawn.
			argv = ["systemd-run", "--quiet", "--scope", "-p", "Delegate=yes", "--"] + argv
		else:
			# No systemd here: nspawn (--keep-unit) puts the container in the
			# cgroup it runs in; make that one ours, so it is easy to clean.
			self.cgroups = _own_cgroups(self.name)
			for cg in self.cgroups:
				os.makedirs(cg, exist_ok=True)
			procs = [os.path.join(cg, "cgroup.procs") for cg in self.cgroups]

			def preexec():
				for path in procs:
					with open(path, "w") as f:
						f.write("0\n")
		self.console = open(os.path.join(self.work, "console.log"), "wb")
		note(f"$ {show_argv(argv)} &")
		t0 = time.monotonic()
		self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.console,
					     stderr=subprocess.STDOUT, preexec_fn=preexec)
		deadline = time.monotonic() + 30
		while self.leader is None:
			if self.proc.poll() is not None:
				raise TestFailure(f"systemd-nspawn exited {self.proc.returncode}:\n"
						  f"{self.console_text()[-3000:]}")
			if time.monotonic() > deadline:
				raise TestFailure(f"no PID 1 in the container after 30 s:\n{self.console_text()[-3000:]}")
			todo = [self.proc.pid]
			while todo and self.leader is None:
				pid = todo.pop()
				if pid != self.proc.pid and _ns_pid_one(pid):
					self.leader = pid
				todo += _children(pid)
			time.sleep(0.05)
		# Until PID 1 listens, systemctl cannot connect: try again.
		deadline = time.monotonic() + 120
		while True:
			rc, out, err = self.sh("systemctl is-system-running --wait", timeout=120, quiet=True)
			state = out.strip()
			if state not in ("", "offline") or time.monotonic() > deadline or self.proc.poll() is not None:
				break
			time.sleep(0.1)
		note(f"[{self.name}]# systemctl is-system-running --wait\n  -> {state!r} {err.strip()!r}")
		if state not in ("running", "degraded"):
			raise TestFailure(f"the container did not boot: is-system-running says {state!r} {err!r}\n"
					  f"{self.console_text()[-3000:]}")
		if state == "degraded":
			log("booted degraded:", self.sh("systemctl --failed --no-legend")[1].strip())
		log(f"{self.name} booted in {time.monotonic() - t0:.1f} s (PID 1 is {self.leader} here)")

	def __exit__(self, *exc):
		self.shutdown()
		return False

	def shutdown(self):
		if self.proc is not None and self.proc.poll() is None:
			note(f"$ kill -TERM {self.proc.pid}  # systemd-nspawn: power the container off")
			self.proc.send_signal(signal.SIGTERM)
			try:
				self.proc.wait(timeout=30)
			except subprocess.TimeoutExpired:
				log("the container did not power off in 30 s; killing it")
				self.proc.kill()
				self.proc.wait(timeout=10)
		if self.console:
			self.console.close()
			self.console = None
		# Whatever is left in our cgroups (nothing, after a clean power off).
		for _ in range(10):
			pids = self._cgroup_pids()
			if not pids:
				break
			for pid in pids:
				try:
					os.kill(pid, signal.SIGKILL)
				except ProcessLookupError:
					pass
			time.sleep(0.1)
		for cg in self.cgroups:
			for top, _, _ in os.walk(cg, topdown=False):  # the deepest first
				try:
					os.rmdir(top)
				except OSError:
					pass
		if self.mounted:
			for lazy in (False, True):
				p = subprocess.run(["umount"] + (["--lazy"] if lazy else []) + [self.merged],
						   capture_output=True, text=True)
				if p.returncode == 0:
					self.mounted = False
					break
				time.sleep(0.5)
		if self.work and not self.mounted:
			shutil.rmtree(self.work, ignore_errors=True)
		# nspawn removes these itself when it exits cleanly.
		for path in (f"/run/systemd/nspawn/propagate/{self.name}", self.lock_file):
			if path and os.path.lexists(path):
				if os.path.isdir(path) and not os.path.islink(path):
					shutil.rmtree(path, ignore_errors=True)
				else:
					os.unlink(path)
		for d in ("/run/systemd/nspawn/propagate", "/run/systemd/nspawn/locks", "/run/systemd/nspawn"):
			try:
				os.rmdir(d)  # only when empty: another container may use it
			except OSError:
				pass

	def _cgroup_pids(self):
		pids = set()
		for cg in self.cgroups:
			for f in glob.glob(os.path.join(cg, "**", "cgroup.procs"), recursive=True):
				try:
					with open(f) as fh:
						pids |= {int(x) for x in fh.read().split()}
				except OSError:
					pass
		return sorted(pids)

	def leftovers(self):
		"""What this container left on the host (after shutdown): [] is clean."""
		left = []
		if self.proc is not None and self.proc.poll() is None:
			left.append(f"systemd-nspawn pid {self.proc.pid}")
		left += [cg for cg in self.cgroups if os.path.exists(cg)]
		if self.mounted:
			left.append(f"mount {self.merged}")
		if self.work and os.path.exists(self.work):
			left.append(self.work)
		for path in (f"/run/systemd/nspawn/propagate/{self.name}", self.lock_file):
			if path and os.path.lexists(path):
				left.append(path)
		return left

	def console_text(self):
		try:
			with open(os.path.join(self.work, "console.log"), "rb") as f:
				return f.read().decode("utf-8", "replace")
		except (OSError, TypeError):
			return ""

	# --- inside ---

	def sh(self, script, timeout=60, quiet=False):
		"""Run @script with sh inside the container, as root; (rc, out, err)."""
		argv = ["nsenter", "--target", str(self.leader), "--all", "--",
			"env", "-i", f"PATH={PATH_IN}", "LANG=C.UTF-8", "HOME=/root", "TERM=dumb",
			"SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "DEBIAN_FRONTEND=noninteractive",
			"sh", "-c", script]
		t0 = time.monotonic()
		try:
			p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
		except subprocess.TimeoutExpired:
			note(f"[{self.name}]# {script}\n  -> no exit within {timeout} s")
			raise TestFailure(f"in the container, {script!r} did not finish within {timeout} s") from None
		out = p.stdout.decode("utf-8", "replace")
		err = p.stderr.decode("utf-8", "replace")
		if not quiet:
			note(f"[{self.name}]# {script}  [{time.monotonic() - t0:.2f} s]\n  -> rc {p.returncode}"
			     + (f"\n  stdout: {_clip(out)}" if out else "")
			     + (f"\n  stderr: {_clip(err)}" if err else ""))
		return p.returncode, out, err

	def ok(self, script, timeout=60):
		"""sh(@script), which must exit 0; its stdout."""
		rc, out, err = self.sh(script, timeout=timeout)
		check(rc == 0, f"in the container, {script!r} exited {rc}", out, err)
		return out

	def copy_in(self, src, dest):
		"""Copy host file @src to @dest inside the container (not under /tmp,
		which is a tmpfs of the container's own)."""
		target = os.path.join(self.merged, dest.lstrip("/"))
		os.makedirs(os.path.dirname(target), exist_ok=True)
		shutil.copy2(src, target)
		note(f"# copied {src} to {dest} in the container")

	def write(self, dest, text):
		"""Write @text to @dest inside the container."""
		rc, out, err = self.sh(f"mkdir -p \"$(dirname '{dest}')\" && cat > '{dest}' <<'KITCHEN_EOF'\n"
				       f"{text}KITCHEN_EOF")
		check(rc == 0, f"cannot write {dest} in the container", out, err)


def _clip(s, n=3000):
	s = s.rstrip("\n")
	return s if len(s) <= n else s[:n] + f"... ({len(s)} chars)"


def host_deb(package, tmp):
	"""This machine's .deb of @package, at the version installed here: apt's
	cache, else apt-get download (the container has no network)."""
	p = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
	version = p.stdout.strip()
	check(p.returncode == 0 and version, f"{package} should be installed here (tools/setup)", p.stderr)
	version = version.split(":")[-1]
	found = glob.glob(f"/var/cache/apt/archives/{package}_{version}_*.deb")
	if found:
		return found[0]
	p = subprocess.run(["apt-get", "download", f"{package}={version}"], cwd=tmp, capture_output=True,
			   stdin=subprocess.DEVNULL, timeout=300)
	found = glob.glob(os.path.join(tmp, f"{package}_*.deb"))
	if p.returncode != 0 or not found:
		raise TestSkip(f"cannot get the .deb of {package} for the container: {p.stderr.decode()[-300:]}")
	return found[0]
