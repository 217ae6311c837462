"""kitchen-web for the integration tests: start it against a harness
Kitchen on a free loopback port, speak HTTP to it with http.client."""

import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import threading
import time

from harness import REPO, _sanitizer_check, check, clean_env, free_ports, note, poll

KITCHEN_WEB = os.path.abspath(os.environ.get("KITCHEN_WEB") or os.path.join(REPO, "build", "kitchen-web"))
TOKEN = "t0ken-for-the-tests-4f9a1c2e"


class Web:
	def __init__(self, kitchen, write=False, conf="", nofile=None):
		"""@nofile: kitchen-web's soft limit of open files at start."""
		self.k = kitchen
		self.nofile = nofile
		self.port = free_ports(1)[0]
		self.host = f"127.0.0.1:{self.port}"
		d = kitchen.dir
		n = len([f for f in os.listdir(d) if f.startswith("kitchen-web")])
		self.conf_path = os.path.join(d, f"kitchen-web-{n}.conf")
		self.log_path = os.path.join(d, f"kitchen-web-{n}.log")
		self.token_path = os.path.join(d, "web.token")
		with open(self.token_path, "w") as f:
			f.write(TOKEN + "\n")
		os.chmod(self.token_path, 0o600)
		text = (f'listen = "{self.host}";\ncontrol = "{kitchen.control}";\nevents = "{kitchen.events}";\n'
			f'write = {{ enabled = {"true" if write else "false"}; token_file = "{self.token_path}"; }};\n'
			+ conf)
		with open(self.conf_path, "w") as f:
			f.write(text)
		self.proc = None

	def start(self):
		argv = [KITCHEN_WEB, "--config", self.conf_path]
		with open(self.log_path, "ab") as log:
			self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
						     env=clean_env(), preexec_fn=self._limits if self.nofile else None)
		note(f"$ kitchen-web --config {self.conf_path} &  [pid {self.proc.pid}]")

		def up():
			check(self.proc.poll() is None, "kitchen-web exited at start", self.log())
			try:
				self.request("GET", "/api/menu")
				return True
			except OSError:
				return None

		poll(up, 15, "kitchen-web to answer")
		return self

	def _limits(self):
		resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

	def nofile_limits(self):
		"""kitchen-web's (soft, hard) limits of open files now."""
		with open(f"/proc/{self.proc.pid}/limits") as f:
			for line in f:
				if line.startswith("Max open files"):
					soft, hard = line.split()[3:5]
					return int(soft), int(hard)
		return None

	def log(self):
		with open(self.log_path, errors="replace") as f:
			return f.read()

	def stop(self):
		if self.proc and self.proc.poll() is None:
			self.proc.send_signal(signal.SIGTERM)
			try:
				rc = self.proc.wait(30)
			except subprocess.TimeoutExpired:
				self.proc.kill()
				self.proc.wait()
				check(False, "kitchen-web did not stop within 30 s of SIGTERM", self.log())
			check(rc == 0, f"kitchen-web exited {rc}", self.log())
		_sanitizer_check(self.log(), "kitchen-web's log")

	def __enter__(self):
		return self.start()

	def __exit__(self, *exc):
		if exc[0] is None:
			self.stop()
		elif self.proc and self.proc.poll() is None:
			self.proc.kill()
			self.proc.wait()

	def request(self, method, path, body=None, headers=None, timeout=30):
		"""(status, headers, body bytes)."""
		c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
		try:
			c.request(method, path, body=body, headers=headers or {})
			r = c.getresponse()
			return r.status, dict(r.getheaders()), r.read()
		finally:
			c.close()

	def json(self, method, path, body=None, headers=None):
		"""(status, parsed JSON body)."""
		status, hdrs, data = self.request(method, path, body, headers)
		check(hdrs.get("Content-Type", "").startswith("application/json"),
		      f"{method} {path}: JSON expected", status, hdrs, data[:500])
		try:
			return status, json.loads(data)
		except ValueError:
			check(False, f"{method} {path}: not JSON", data[:500])

	def get(self, path, status=200):
		got, body = self.json("GET", path)
		check(got == status, f"GET {path}: {status} expected, got {got}", body)
		return body

	def post(self, path, obj, token=TOKEN, headers=None):
		h = {"Content-Type": "application/json"}
		if token:
			h["Authorization"] = f"Bearer {token}"
		h.update(headers or {})
		return self.json("POST", path, json.dumps(obj).encode(), h)

	def rss_kb(self):
		with open(f"/proc/{self.proc.pid}/status") as f:
			for line in f:
				if line.startswith("VmRSS:"):
					return int(line.split()[1])
		return 0

	def threads(self):
		return len(os.listdir(f"/proc/{self.proc.pid}/task"))


class Stream:
	"""/api/events read on a thread of its own, with a plain socket."""

	def __init__(self, w):
		self.events = []
		self.raw = b""
		self.sock = socket.create_connection(("127.0.0.1", w.port), timeout=60)
		self.sock.sendall(f"GET /api/events HTTP/1.1\r\nHost: {w.host}\r\nAccept: text/event-stream\r\n\r\n".encode())
		self.thread = threading.Thread(target=self.read, daemon=True)
		self.thread.start()

	def read(self):
		buf = b""
		try:
			while True:
				data = self.sock.recv(65536)
				if not data:
					return
				self.raw += data
				buf += data
				while b"\n" in buf:
					line, buf = buf.split(b"\n", 1)
					line = line.strip(b"\r")
					if line.startswith(b"data: "):
						self.events.append(json.loads(line[6:]))
		except OSError:
			return

	def close(self):
		self.sock.close()
