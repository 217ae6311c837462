#!/usr/bin/env python3
"""kitchenctl keygen NAME [--dir DIR]: NAME.key (mode 0600, both keys) and
NAME.pub (0644, the public key) in Z85, never replacing a key; bad names and
misplaced options are usage errors. The keys work: kitchend with its own
generated pair on a tcp control endpoint answers a kitchenctl whose generated
public key is in curve.clients_allow, and nobody else; the allowlist is read
again on SIGHUP."""

import json
import os
import re
import shutil
import signal
import socket
import stat
import tempfile

from harness import KITCHENCTL, Kitchen, check, check_eq, clean_env, main, poll, run

Z85 = re.compile(r"[0-9a-zA-Z.\-:+=^!/*?&<>()\[\]{}@%$#]{40}")


def keygen(*args, cwd=None):
	return run([KITCHENCTL, *args], env=clean_env()) if cwd is None else \
		run(["sh", "-c", 'cd "$0" && exec "$@"', cwd, KITCHENCTL, *args], env=clean_env())


def setting(path, name):
	"""The values of "name = "..."" lines in a key file."""
	with open(path) as f:
		return re.findall(r'^\s*' + name + r'\s*=\s*"([^"]*)"\s*$', f.read(), re.M)


def mode(path):
	return stat.S_IMODE(os.stat(path).st_mode)


def check_files(d, name):
	secret, public = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.pub")
	check_eq(mode(secret), 0o600, f"mode of {secret}")
	check_eq(mode(public), 0o644, f"mode of {public}")
	pub = setting(public, "public-key")
	check_eq(len(pub), 1, f"public-key lines in {public}")
	check(Z85.fullmatch(pub[0]) is not None, f"{public}: not 40 characters of Z85", pub)
	check_eq(setting(public, "secret-key"), [], f"secret-key lines in {public}")
	check_eq(setting(secret, "public-key"), pub, f"the public key in {secret}")
	sec = setting(secret, "secret-key")
	check(len(sec) == 1 and Z85.fullmatch(sec[0]) is not None and sec[0] != pub[0],
	      f"{secret}: one secret-key of 40 characters of Z85", sec)
	return pub[0]


def free_port():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return port


def test_files(d):
	os.umask(0o077)  # the public file is 0644 all the same
	rc, out, err = keygen("keygen", "oven", "--dir", d)
	check(rc == 0, "keygen oven --dir failed", out, err)
	pub = check_files(d, "oven")
	check(pub in out and f"{d}/oven.key" in out and f"{d}/oven.pub" in out,
	      "keygen should name both files and print the public key", out)

	rc, out, err = keygen("--json", "keygen", "grill", "--dir", d)
	check(rc == 0, "keygen --json failed", out, err)
	obj = json.loads(out)
	check_eq(obj, {"name": "grill", "public_key": check_files(d, "grill"),
		       "secret_file": f"{d}/grill.key", "public_file": f"{d}/grill.pub"}, "keygen --json")

	# Without --dir: the current directory.
	sub = os.path.join(d, "cwd")
	os.mkdir(sub)
	rc, out, err = keygen("keygen", "here", cwd=sub)
	check(rc == 0, "keygen without --dir failed", out, err)
	check_files(sub, "here")

	# Never replaced: same files, same keys.
	before = {n: open(os.path.join(d, n)).read() for n in ("oven.key", "oven.pub")}
	rc, out, err = keygen("keygen", "oven", "--dir", d)
	check(rc == 1 and "exists" in err, "keygen over an existing pair should fail with exit 1", rc, out, err)
	check_eq({n: open(os.path.join(d, n)).read() for n in before}, before, "the pair after a refused keygen")
	os.unlink(os.path.join(d, "oven.pub"))
	rc, out, err = keygen("keygen", "oven", "--dir", d)
	check(rc == 1, "keygen with NAME.key left should fail too", rc, out, err)
	check(not os.path.exists(os.path.join(d, "oven.pub")), "a refused keygen must write nothing")

	for bad in ("../evil", ".hidden", "a b", "x" * 65, ""):
		rc, out, err = keygen("keygen", bad, "--dir", d)
		check(rc == 2 and "invalid key name" in err, f"keygen {bad!r} should be a usage error", rc, out, err)
	rc, out, err = keygen("keygen", "x", "--dir", os.path.join(d, "missing"))
	check(rc == 1, "keygen into a missing directory should fail", rc, out, err)
	rc, out, err = keygen("status", "--dir", d)
	check(rc == 2 and "--dir is an option of 'keygen'" in err, "--dir with another verb", rc, out, err)
	rc, out, err = keygen("keygen")
	check(rc == 2, "keygen without a name", rc, out, err)
	check_eq(sorted(os.listdir(d)), ["cwd", "grill.key", "grill.pub", "oven.key"], "files made")


def test_keys_work(d):
	for name in ("kitchend", "ops", "intern"):
		rc, out, err = keygen("keygen", name, "--dir", d)
		check(rc == 0, f"keygen {name} failed", out, err)
	allow = os.path.join(d, "clients.d")
	os.mkdir(allow)
	shutil.copy(os.path.join(d, "ops.pub"), allow)
	control = f"tcp://127.0.0.1:{free_port()}"
	server = ["--server-key", os.path.join(d, "kitchend.pub")]

	def ctl(*args, env=None):
		return run([KITCHENCTL, "--control", control, "--timeout", "1500", *args], env=clean_env(**(env or {})))

	with Kitchen(start=False, chefs={"local": 1}, endpoints={"control": control},
		     curve={"secret_key": os.path.join(d, "kitchend.key"), "clients_allow": allow}) as k:
		k.start(wait=False)

		def ready():
			check(k.proc.poll() is None, f"kitchend exited {k.proc.returncode}")
			rc, out, _ = ctl(*server, "--secret-key", os.path.join(d, "ops.key"), "--json", "status")
			return rc == 0 and len(json.loads(out)["chefs"]) == 1
		poll(ready, 15, "kitchend to answer the allowed kitchenctl over CURVE")

		rc, out, err = ctl("--wait", "order", "Salad", *server, "--secret-key", os.path.join(d, "ops.key"))
		check(rc == 0 and "O- Served Salad" in out, "an order over CURVE", rc, out, err)
		rc, out, err = ctl("status", env={"KITCHEN_SERVER_KEY": server[1],
						  "KITCHEN_SECRET_KEY": os.path.join(d, "ops.key")})
		check(rc == 0, "the keys from $KITCHEN_SERVER_KEY and $KITCHEN_SECRET_KEY", rc, out, err)

		rc, out, err = ctl("status")
		check(rc == 3 and "--server-key" in err, "a plaintext kitchenctl gets no answer", rc, out, err)
		rc, out, err = ctl("status", *server, "--secret-key", os.path.join(d, "intern.key"))
		check_eq(rc, 3, "a kitchenctl whose key is not allowed gets no answer", out, err)
		rc, out, err = ctl("status", *server)
		check(rc == 2 and "both" in err, "--server-key without --secret-key", rc, out, err)
		rc, out, err = ctl("status", *server, "--secret-key", os.path.join(d, "intern.pub"))
		check(rc == 2 and "no secret-key" in err, "a public key file given as --secret-key", rc, out, err)
		check(re.search(r"Refused control peer from 127\.0\.0\.1\b.*not in the allowlist", k.log()),
		      "kitchend should log the refused kitchenctl")

		# The allowlist is read again on SIGHUP: intern in, ops out.
		shutil.copy(os.path.join(d, "intern.pub"), allow)
		os.unlink(os.path.join(allow, "ops.pub"))
		k.proc.send_signal(signal.SIGHUP)
		poll(lambda: ctl("status", *server, "--secret-key", os.path.join(d, "intern.key"))[0] == 0, 10,
		     "the newly allowed key to be admitted after SIGHUP")
		rc, out, err = ctl("status", *server, "--secret-key", os.path.join(d, "ops.key"))
		check_eq(rc, 3, "a key removed from the allowlist, after SIGHUP", out, err)


def test():
	d = tempfile.mkdtemp(prefix="kitchen-keygen-")
	try:
		test_files(d)
		shutil.rmtree(d)
		os.mkdir(d)
		test_keys_work(d)
	finally:
		shutil.rmtree(d, ignore_errors=True)


main(test)
