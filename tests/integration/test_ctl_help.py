#!/usr/bin/env python3
"""
kitchenctl's help and "did you mean": `VERB --help`, `VERB -h` and
`help VERB` print that verb's usage and exit 0 without a kitchend; a
mistyped verb is a usage error (2) naming the verb meant; an order of a
mistyped dish is refused by kitchend and kitchenctl names the dish on its
menu; dish names match with Unicode case folded ("BRÛLÉE" is "Brûlée").
"""

from harness import KITCHENCTL, Kitchen, check, check_eq, clean_env, main, menu, run

VERBS = ["cancel", "chefs", "drain", "follow", "help", "keygen", "list", "menu", "metrics", "order",
	 "purge", "reload", "retry", "show", "status", "wait"]


def ctl(*args):
	# No kitchend and nowhere to find one: help must not need it.
	return run([KITCHENCTL, "--control", "ipc:///nonexistent/control.sock", *args],
		   env=clean_env(), timeout=10)


def test():
	rc, out, err = ctl("--help")
	check_eq(rc, 0, "--help: exit status", err)
	for verb in VERBS:
		check(f"\n  {verb} " in out, f"--help lists {verb} on a line of its own", out)
	for verb in VERBS:
		for argv in ([verb, "--help"], [verb, "-h"], ["help", verb]):
			rc, out, err = ctl(*argv)
			check_eq((rc, err), (0, ""), f"kitchenctl {' '.join(argv)}: exit status and stderr")
			check(out.startswith(f"Usage: kitchenctl [OPTIONS] {verb}"), f"{argv}: {verb}'s own usage", out)
	check("--priority" in ctl("order", "-h")[1] and "Examples:" in ctl("order", "-h")[1],
	      "order's help has its options and examples")

	rc, out, err = ctl("stauts")
	check_eq(rc, 2, "a mistyped verb: usage error", out, err)
	check("unknown verb 'stauts'; did you mean 'status'?" in err, "the verb meant", err)
	rc, out, err = ctl("help", "ordr")
	check(rc == 2 and "did you mean 'order'?" in err, "help of a mistyped verb", rc, err)
	rc, out, err = ctl("frobnicate")
	check(rc == 2 and "did you mean" not in err, "nothing close: no suggestion", rc, err)
	rc, out, err = ctl("-j", "-n")
	check(rc == 2 and "option '-n' needs an argument" in err, "-n without its argument", rc, err)

	with Kitchen(chefs={"local": 1}, timing={"cook_ms": 10},
		     menu=menu(("Pizza", ["Flour"]), ("Brûlée", ["Cream"]), ("Σούπα", ["Water"]))) as k:
		rc, out, err = k.ctl("order", "Piza")
		check_eq(rc, 1, "an unknown dish is refused", out, err)
		check("'Piza' is not on the menu" in err and "did you mean 'Pizza'?" in err, "the dish meant", err)
		rc, out, err = k.ctl("order", "Pizza", "Sushi")
		check(rc == 1 and "did you mean" not in err, "nothing close: no suggestion", rc, err)

		for name, meant in (("BRÛLÉE", "Brûlée"), ("ΣΟΎΠΑ", "Σούπα")):
			rc, out, err = k.ctl("-j", "order", "-w", name)
			check_eq(rc, 0, f"order {name}: Unicode case folded", out, err)
			check(f'"{meant}"' in out, f"{name} is served as the menu spells it", out)
		rc, out, err = k.ctl("order", "BRULEE")
		check(rc == 1 and "did you mean 'Brûlée'?" in err, "an accent missing: suggested", rc, err)


main(test)
