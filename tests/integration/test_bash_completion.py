#!/usr/bin/env python3
"""
kitchenctl's bash completion (packaging/bash-completion/kitchenctl, loaded
with the bash-completion library as bash would): verbs, options, the options
of order (--priority and -p offer 1..9; --inputs a file), list, wait
(--output), follow, keygen and purge, short options, `help VERB`,
list --state's words, and for `order`, `purge --dish` and `list --dish` the
dishes on the running kitchen's menu, quoted for the shell (they hold
spaces).

Skipped (77) without bash-completion (Debian package bash-completion).
"""

import os
import subprocess

from harness import KITCHENCTL, REPO, Kitchen, TestSkip, check_eq, clean_env, main, note

LIBRARY = "/usr/share/bash-completion/bash_completion"
SCRIPT = os.path.join(REPO, "packaging", "bash-completion", "kitchenctl")

# complete WORD...: what _kitchenctl offers for the last word, one a line.
DRIVER = r'''
source "$LIBRARY"
source "$SCRIPT"
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_kitchenctl kitchenctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
'''


def complete(k, *words):
	script = DRIVER + "complete_words " + " ".join(f"'{w}'" for w in words) + "\n"
	env = clean_env(LIBRARY=LIBRARY, SCRIPT=SCRIPT, KITCHEN_CONTROL=k.control,
			PATH=os.path.dirname(KITCHENCTL) + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
	p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
			   text=True, env=env, timeout=30)
	got = [l for l in p.stdout.split("\n") if l]
	note(f"$ complete {' '.join(words)!r}\n  -> {got!r}" + (f"\n  stderr: {p.stderr}" if p.stderr else ""))
	return got


def test():
	if not os.path.exists(LIBRARY):
		raise TestSkip(f"no {LIBRARY} (Debian package bash-completion)")
	with Kitchen(chefs={"local": 1}) as k:
		check_eq(complete(k, "kitchenctl", ""),
			 ["cancel", "chefs", "drain", "follow", "help", "keygen", "list", "menu", "metrics", "order", "purge",
			  "reload", "retry", "show", "status", "wait"],
			 "verbs")
		check_eq(complete(k, "kitchenctl", "rel"), ["reload"], "a verb begun")
		check_eq(complete(k, "kitchenctl", "help", "re"), ["reload", "retry"], "help VERB")
		check_eq(complete(k, "kitchenctl", "help", "order", ""), [], "help takes one verb")
		check_eq(complete(k, "kitchenctl", "--server-key", "k.pub", "--secret-key", "c.key", "st"), ["status"],
			 "a verb after the key files")
		check_eq(complete(k, "kitchenctl", "-j", "order", "-p", ""), [str(p) for p in range(1, 10)],
			 "-p: the priorities")
		check_eq(complete(k, "kitchenctl", "-j", "order", "-w", "-p", "3", "Pi"), ["Pizza"],
			 "a dish after -j, -w and -p's value")
		check_eq(complete(k, "kitchenctl", "purge", "-"), ["--control", "--dish", "--events", "--help",
			 "--json", "--secret-key", "--server-key", "--timeout", "--version", "--yes", "-h", "-j", "-y"],
			 "long and short options of purge")
		check_eq(complete(k, "kitchenctl", "purge", "--y"), ["--yes"], "an option of purge")
		check_eq(complete(k, "kitchenctl", "--ti"), ["--timeout"], "a global option")
		check_eq(complete(k, "kitchenctl", "--json", "order", "--w"), ["--wait"], "an option of order")
		check_eq(complete(k, "kitchenctl", "order", "--wait", "--dead"), ["--deadline"], "--deadline of order")
		check_eq(complete(k, "kitchenctl", "wait", "--dead"), ["--deadline"], "--deadline of wait")
		check_eq(complete(k, "kitchenctl", "--deadline", "5s", "follow", "--d"), ["--deadline"],
			 "--deadline of follow, after a --deadline given before the verb")
		check_eq(complete(k, "kitchenctl", "keygen", "--d"), ["--dir"], "--dir of keygen")
		check_eq(complete(k, "kitchenctl", "--deadline", "5s", "w"), ["wait"], "a verb after --deadline's value")
		check_eq(complete(k, "kitchenctl", "order", "Chi"),
			 ["Chicken\\ Biryani", "Chicken\\ Stir\\ Fry"], "dishes, quoted")
		check_eq(complete(k, "kitchenctl", "--timeout", "900", "order", "Pizza", "S"),
			 ["Salad", "Spaghetti"], "more dishes")
		check_eq(complete(k, "kitchenctl", "purge", "--dish", "Chi"),
			 ["Chicken\\ Biryani", "Chicken\\ Stir\\ Fry"], "a dish for purge --dish")
		check_eq(complete(k, "kitchenctl", "order", "--pri"), ["--priority"], "--priority of order")
		check_eq(complete(k, "kitchenctl", "order", "--priority", ""), [str(p) for p in range(1, 10)],
			 "the priorities")
		check_eq(complete(k, "kitchenctl", "order", "--a"), ["--at"], "--at of order")
		check_eq(complete(k, "kitchenctl", "order", "--in", "5s", "--priority", "8", "S"),
			 ["Salad", "Spaghetti"], "dishes after --in's and --priority's values")
		check_eq(complete(k, "kitchenctl", "order", "--inp"), ["--input", "--inputs"], "--input and --inputs of order")
		check_eq(complete(k, "kitchenctl", "order", "--wait", "--ou"), ["--output"], "--output of order")
		check_eq(complete(k, "kitchenctl", "wait", "--ou"), ["--output"], "--output of wait")
		check_eq(complete(k, "kitchenctl", "follow", "--ou"), [], "no --output for follow")
		check_eq(complete(k, "kitchenctl", "order", "--input", "Pi"), [], "no dish as --input's text")
		check_eq(complete(k, "kitchenctl", "order", "--input", "x", "Pi"), ["Pizza"], "a dish after --input's text")
		check_eq(complete(k, "kitchenctl", "order", "Pizza", "--inputs", REPO + "/packaging/bash-completion/kitchen"),
			 [REPO + "/packaging/bash-completion/kitchenctl"], "a file for --inputs")
		check_eq(complete(k, "kitchenctl", "--inputs", "f", "or"), ["order"], "a verb after --inputs' file")
		check_eq(complete(k, "kitchenctl", "status", "x"), [], "nothing after status")
		check_eq(complete(k, "kitchenctl", "list", "--s"), ["--secret-key", "--server-key", "--since", "--state"],
			 "options of list")
		check_eq(complete(k, "kitchenctl", "list", "--state", "c"), ["cancelled", "cooking"], "list --state")
		check_eq(complete(k, "kitchenctl", "list", "--dish", "Chi"), ["Chicken\\ Biryani", "Chicken\\ Stir\\ Fry"],
			 "list --dish: the menu's dishes")
		check_eq(complete(k, "kitchenctl", "list", "--limit", "5", "--after", "9", "Pi"), [],
			 "no dishes after list but for --dish")


main(test)
