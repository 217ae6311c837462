#!/usr/bin/env python3
"""Key files and directories others could read or change are refused, by
every program that loads them, saying what to chmod:

- a secret key of mode 0640 or 0660 (readable by its group): kitchend
  (start and --check-config), chef --secret-key and kitchenctl --secret-key;
- a secret key in a directory of mode 0777;
- an allowlist directory of mode 0777 (anyone could allow themselves).

The recipe of the README (keygen, then chown of the .key, mode 0600 kept)
is accepted: kitchend starts with it."""

import os

from harness import CHEF, KITCHENCTL, KITCHEND, Kitchen, check, clean_env, main, poll, run


def keygen(name, directory):
	rc, out, err = run([KITCHENCTL, "keygen", name, "--dir", directory], env=clean_env())
	check(rc == 0, f"kitchenctl keygen {name} failed", out, err)
	return os.path.join(directory, f"{name}.key")


def refused(argv, *needles):
	rc, out, err = run(argv, timeout=10, env=clean_env())
	check(rc != 0, f"{argv[0]} should refuse", rc, out, err)
	for n in needles:
		check(n in err, f"{os.path.basename(argv[0])} should say {n!r}", err)


def test():
	with Kitchen(start=False, chefs={"local": 0}, endpoints={"dispatch": "tcp://127.0.0.1:0"}) as k:
		keys, allow = os.path.join(k.dir, "keys"), os.path.join(k.dir, "chefs.d")
		os.mkdir(keys, 0o755)
		os.mkdir(allow, 0o755)
		secret = keygen("kitchend", keys)
		chef_secret = keygen("chef", keys)
		with open(k.config, "a") as f:
			f.write(f'curve = {{ secret_key = "{secret}"; chefs_allow = "{allow}"; }};\n')
		server = os.path.join(keys, "kitchend.pub")

		for m in (0o640, 0o660):
			os.chmod(secret, m)
			refused([KITCHEND, "--config", k.config, "--check-config"], secret, "chmod 0600")
			refused([KITCHEND, "--config", k.config], secret, "chmod 0600")
			os.chmod(chef_secret, m)
			refused([CHEF, "--dispatch", "tcp://127.0.0.1:1", "--sink", "tcp://127.0.0.1:2",
				 "--server-key", server, "--secret-key", chef_secret], chef_secret, "chmod 0600")
			refused([KITCHENCTL, "--control", "tcp://127.0.0.1:1", "--server-key", server,
				 "--secret-key", chef_secret, "status"], chef_secret, "chmod 0600")
		os.chmod(secret, 0o600)
		os.chmod(chef_secret, 0o600)

		os.chmod(keys, 0o777)
		refused([KITCHEND, "--config", k.config, "--check-config"], f"chmod o-w {keys}")
		refused([CHEF, "--dispatch", "tcp://127.0.0.1:1", "--sink", "tcp://127.0.0.1:2",
			 "--server-key", server, "--secret-key", chef_secret], f"chmod o-w {keys}")
		os.chmod(keys, 0o755)

		os.chmod(allow, 0o777)
		refused([KITCHEND, "--config", k.config, "--check-config"], f"chmod o-w {allow}")
		refused([KITCHEND, "--config", k.config], f"chmod o-w {allow}")
		os.chmod(allow, 0o755)

		# The README's recipe: keygen, then chown (here to ourselves): accepted.
		os.chown(secret, os.getuid(), os.getgid())
		rc, out, err = run([KITCHEND, "--config", k.config, "--check-config"], env=clean_env())
		check(rc == 0, "--check-config with the keys as keygen made them", rc, out, err)
		k.start()
		poll(lambda: "CURVE on the tcp endpoints" in k.log(), 10, "kitchend to use its key")


main(test)
