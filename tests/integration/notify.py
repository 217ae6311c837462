"""
notify — stand in for systemd's end of sd_notify(3) in a test.

	with NotifyListener() as n:
		with Kitchen(start=False, env=n.env(watchdog_usec=2_000_000)) as k:
			k.start(wait=False)
			n.wait_for("READY=1", pid=k.proc.pid, timeout=15)

NotifyListener binds a datagram socket in a temporary directory of its own
(NOTIFY_SOCKET names it) and collects every message sent to it, with the
sender's PID as the kernel tells it (SO_PASSCRED), as systemd does to apply
NotifyAccess=main. Messages are Notify(seq, at, pid, fields, text): @fields
the "KEY=VALUE" lines as a dict, @at time.monotonic() on receipt.
"""

import os
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections import namedtuple

from harness import SCALE, TestFailure, note

Notify = namedtuple("Notify", "seq at pid fields text")

_UCRED = struct.Struct("iII")  # pid, uid, gid


class NotifyListener:
	def __init__(self):
		self.dir = None
		self.sock = None
		self.messages = []
		self.cond = threading.Condition()
		self.thread = None
		self.closed = False

	def __enter__(self):
		self.dir = tempfile.mkdtemp(prefix="kitchen-notify-", dir="/tmp")
		self.path = os.path.join(self.dir, "notify.sock")
		self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
		self.sock.bind(self.path)
		self.sock.settimeout(0.1)
		self.thread = threading.Thread(target=self._receive, daemon=True)
		self.thread.start()
		return self

	def __exit__(self, *exc):
		self.closed = True
		if self.thread:
			self.thread.join(5)
		if self.sock:
			self.sock.close()
		shutil.rmtree(self.dir, ignore_errors=True)
		return False

	def env(self, watchdog_usec=None, watchdog_pid=None):
		"""kitchend's environment for this listener, as systemd sets it."""
		e = {"NOTIFY_SOCKET": self.path}
		if watchdog_usec is not None:
			e["WATCHDOG_USEC"] = str(watchdog_usec)
		if watchdog_pid is not None:
			e["WATCHDOG_PID"] = str(watchdog_pid)
		return e

	def _receive(self):
		space = socket.CMSG_SPACE(_UCRED.size)
		while not self.closed:
			try:
				data, anc, _, _ = self.sock.recvmsg(65536, space)
			except socket.timeout:
				continue
			except OSError:
				return
			pid = None
			for level, kind, cdata in anc:
				if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
					pid = _UCRED.unpack(cdata[:_UCRED.size])[0]
			text = data.decode("utf-8", "replace")
			fields = {}
			for line in text.split("\n"):
				if "=" in line:
					k, v = line.split("=", 1)
					fields[k] = v
			with self.cond:
				m = Notify(len(self.messages), time.monotonic(), pid, fields, text)
				self.messages.append(m)
				self.cond.notify_all()

	def since(self, seq=0):
		"""Messages from number @seq on."""
		with self.cond:
			return list(self.messages[seq:])

	def mark(self):
		"""The number of the next message, for since() and wait_for()."""
		with self.cond:
			return len(self.messages)

	def wait_for(self, match, after=0, timeout=10, what=None):
		"""The first message numbered @after or later for which @match holds
		(a callable on a Notify, or a "KEY=VALUE" line it must contain);
		fails after @timeout s (times SCALE)."""
		if isinstance(match, str):
			key, value = match.split("=", 1)
			pred = lambda m: m.fields.get(key) == value
			what = what or match
		else:
			pred = match
		deadline = time.monotonic() + timeout * SCALE
		with self.cond:
			while True:
				for m in self.messages[after:]:
					if pred(m):
						note(f"  notify #{m.seq} from pid {m.pid}: {m.text!r}")
						return m
				left = deadline - time.monotonic()
				if left <= 0:
					last = [m.text for m in self.messages[after:]][-8:]
					raise TestFailure(f"no {what or 'matching message'} on NOTIFY_SOCKET within "
							  f"{timeout * SCALE:g} s; the last messages: {last!r}")
				self.cond.wait(min(left, 0.2))
