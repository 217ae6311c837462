#!/usr/bin/env python3
"""
bench/slow-http.py — the lesson scenario's waiting work: an HTTP server on
127.0.0.1 that answers each GET after a delay, as a slow remote service
would, without using any CPU while it waits.

	bench/slow-http.py [--port 0] [--delay-ms 50]

It prints the port it listens on (one line, then flushes) and serves until
it gets SIGTERM or SIGINT. Each request has a thread of its own (stdlib
ThreadingHTTPServer) and the listen backlog is 1024, so hundreds of
requests wait at once, each for the delay, not one after another. The
answer is "ok PATH\n".
"""

import argparse
import http.server
import signal
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
	delay = 0.05

	def do_GET(self):
		time.sleep(self.delay)
		body = f"ok {self.path}\n".encode()
		self.send_response(200)
		self.send_header("Content-Type", "text/plain")
		self.send_header("Content-Length", str(len(body)))
		self.end_headers()
		self.wfile.write(body)

	def log_message(self, *args):
		pass  # thousands of requests: no log line each


class Server(http.server.ThreadingHTTPServer):
	request_queue_size = 1024
	daemon_threads = True


def main():
	ap = argparse.ArgumentParser(prog="bench/slow-http.py")
	ap.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
	ap.add_argument("--delay-ms", type=float, default=50)
	args = ap.parse_args()
	Handler.delay = args.delay_ms / 1000
	server = Server(("127.0.0.1", args.port), Handler)
	signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
	print(server.server_address[1], flush=True)
	try:
		server.serve_forever()
	except KeyboardInterrupt:
		pass
	finally:
		server.server_close()
	return 0


if __name__ == "__main__":
	sys.exit(main())
