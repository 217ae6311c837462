#!/usr/bin/env python3
"""
kitchenctl's zsh and fish completion (packaging/zsh-completion/_kitchenctl,
packaging/fish-completion/kitchenctl.fish), in the real shells: each parses
(zsh -n, fish -n); verbs, `help VERB`, a verb after --server-key's value,
options of a verb, and the dishes of the running kitchen's menu.

zsh completes in an interactive zsh on a pseudo-terminal: a key bound to
complete-word, then the line written to a file. fish answers `complete -C`.
A shell that is not installed is skipped (Debian packages zsh and fish);
both missing: 77.
"""

import os
import pty
import shutil
import subprocess
import tempfile
import time

from harness import (KITCHENCTL, REPO, Kitchen, TestSkip, check, check_eq, clean_env, main, menu, note,
		     poll)

ZSH_DIR = os.path.join(REPO, "packaging", "zsh-completion")
FISH_SCRIPT = os.path.join(REPO, "packaging", "fish-completion", "kitchenctl.fish")


def env_for(k):
	return clean_env(KITCHEN_CONTROL=k.control, HOME=k.dir, TERM="dumb",
			 PATH=os.path.dirname(KITCHENCTL) + ":" + os.environ.get("PATH", "/usr/bin:/bin"))


class Zsh:
	"""An interactive zsh -f on a pty; complete(line) -> the line after one complete-word."""

	def __init__(self, env, tmp):
		self.out = os.path.join(tmp, "zsh-lines")
		master, slave = pty.openpty()
		self.master = master
		self.proc = subprocess.Popen(["zsh", "-f", "-i"], stdin=slave, stdout=slave, stderr=slave,
					     env=env, start_new_session=True)
		os.close(slave)
		self.n = 0
		self.send(f"fpath=({ZSH_DIR} $fpath); autoload -Uz compinit; compinit -u -D -d {tmp}/zcompdump\n"
			  "unsetopt beep; zstyle ':completion:*' menu no\n"
			  f"shot() {{ zle complete-word; print -r -- \"$BUFFER\" >> {self.out}; BUFFER=; }}\n"
			  "zle -N shot; bindkey '^X' shot\n")

	def send(self, text):
		os.write(self.master, text.encode())

	def complete(self, line):
		self.n += 1
		self.send(line + "\x18")

		def written():
			try:
				with open(self.out) as f:
					lines = f.read().split("\n")
			except FileNotFoundError:
				return None
			return lines[self.n - 1] if len(lines) > self.n else None
		got = poll(written, 20, f"zsh to complete {line!r}", interval=0.05).rstrip()
		note(f"zsh: {line!r} -> {got!r}")
		return got

	def close(self):
		os.killpg(self.proc.pid, 9)
		self.proc.wait(timeout=10)
		os.close(self.master)


def fish_complete(env, line):
	p = subprocess.run(["fish", "--no-config", "-c", f"source {FISH_SCRIPT}; complete -C {line!r}"],
			   capture_output=True, text=True, env=env, timeout=30)
	got = sorted(l.split("\t")[0] for l in p.stdout.split("\n") if l)
	note(f"fish: {line!r} -> {got!r}" + (f"\n  stderr: {p.stderr}" if p.stderr else ""))
	return got


def test_zsh(k):
	p = subprocess.run(["zsh", "-n", os.path.join(ZSH_DIR, "_kitchenctl")], capture_output=True, text=True)
	check_eq((p.returncode, p.stderr), (0, ""), "zsh -n _kitchenctl")
	tmp = tempfile.mkdtemp(prefix="kitchen-zsh-", dir=k.dir)
	z = Zsh(env_for(k), tmp)
	try:
		check_eq(z.complete("kitchenctl stat"), "kitchenctl status", "zsh: a verb")
		check_eq(z.complete("kitchenctl help ord"), "kitchenctl help order", "zsh: help VERB")
		check_eq(z.complete("kitchenctl --server-key k.pub --secret-key c.key rel"),
			 "kitchenctl --server-key k.pub --secret-key c.key reload", "zsh: a verb after key files")
		check_eq(z.complete("kitchenctl purge --ye"), "kitchenctl purge --yes", "zsh: an option of purge")
		check_eq(z.complete("kitchenctl keygen --di"), "kitchenctl keygen --dir=", "zsh: --dir of keygen")
		check_eq(z.complete("kitchenctl order -w Piz"), "kitchenctl order -w Pizza", "zsh: a dish")
		check_eq(z.complete("kitchenctl -j order -p 3 Brû"), "kitchenctl -j order -p 3 Brûlée",
			 "zsh: a dish after -j and -p's value")
		check_eq(z.complete("kitchenctl order Chicken\\ St"), "kitchenctl order Chicken\\ Stew",
			 "zsh: a dish with a space, quoted")
	finally:
		z.close()


def test_fish(k):
	p = subprocess.run(["fish", "-n", FISH_SCRIPT], capture_output=True, text=True)
	check_eq((p.returncode, p.stderr), (0, ""), "fish -n kitchenctl.fish")
	env = env_for(k)
	check_eq(fish_complete(env, "kitchenctl st"), ["status"], "fish: a verb")
	check_eq(fish_complete(env, "kitchenctl help or"), ["order"], "fish: help VERB")
	check_eq(fish_complete(env, "kitchenctl --server-key k.pub --secret-key c.key rel"), ["reload"],
		 "fish: a verb after key files")
	check_eq(fish_complete(env, "kitchenctl purge --y"), ["--yes"], "fish: an option of purge")
	check_eq(fish_complete(env, "kitchenctl keygen --d"), ["--dir"], "fish: --dir of keygen")
	check_eq(fish_complete(env, "kitchenctl order -w P"), ["Pizza"], "fish: a dish")
	check_eq(fish_complete(env, "kitchenctl order Ch"), ["Chicken Stew"], "fish: a dish with a space")
	check_eq(fish_complete(env, "kitchenctl list --state c"), ["cancelled", "cooking"], "fish: list --state")


def test():
	shells = [s for s in ("zsh", "fish") if shutil.which(s)]
	if not shells:
		raise TestSkip("neither zsh nor fish is installed (Debian packages zsh, fish)")
	with Kitchen(chefs={"local": 1},
		     menu=menu(("Pizza", ["Flour"]), ("Brûlée", ["Cream"]), ("Chicken Stew", ["Chicken"]))) as k:
		for s in ("zsh", "fish"):
			if s in shells:
				(test_zsh if s == "zsh" else test_fish)(k)
			else:
				note(f"{s} is not installed: its completion is not tried")


main(test)
