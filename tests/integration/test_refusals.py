#!/usr/bin/env python3
"""Orders kitchend must refuse, clearly and without storing anything:
an unknown dish (exit 1, the message lists the menu; an order with one unknown
dish among known ones is refused whole), an empty order (exit 2 as a usage
error, or 1 if it was sent), a name longer than a name may be (64 bytes), one
bigger than a protocol frame, one that is not UTF-8 and one with a control
character (exit 1 or 2, an error on stderr, never 3 = "unreachable" and never a
hang). Also a few usage errors. Afterwards kitchend still serves.

What kitchend refuses as a bad request (too many dishes, a key or a name too
long, a name that is not text) kitchenctl refuses before sending, exit 2, in
kitchend's words: the same sentence as kitchend's ERR for the same request
(sent raw by `hostile --request`)."""

import os

from harness import CHEF, DEFAULT_DISHES, Kitchen, check, check_eq, main, run

HOSTILE = os.environ.get("HOSTILE") or os.path.join(os.path.dirname(CHEF), "tests", "integration", "hostile")


def counts(k):
	st = k.status()
	return st["dishes"], st["orders"]


def refused(k, args, codes, what, before):
	rc, out, err = k.ctl(*args, timeout=20)
	check(rc in codes, f"{what}: exit status should be one of {codes}", rc, out, err)
	check(err.strip() != "", f"{what}: nothing said on stderr", out)
	check(err.startswith("kitchenctl: ") or "usage" in err.lower(),
	      f"{what}: errors should read 'kitchenctl: ...'", err)
	check_eq(counts(k), before, f"{what}: nothing should be stored (status dishes, orders)")
	return err


def raw(flags, key, priority, due, *names):
	"""ORDER's fields for @names, each dish without input."""
	return [flags, key, priority, due] + [f for name in names for f in (name, "")]


def kitchend_says(k, fields):
	"""kitchend's ERR message for an ORDER of @fields (flags key priority due (dish input)...), sent raw."""
	rc, out, err = run([HOSTILE, "--control", k.control, "--request", "ORDER", "--", *fields])
	lines = out.split("\n")
	check(rc == 0 and lines[:2] == ["ERR", "bad-request"], "kitchend should refuse the raw ORDER",
	      fields[:3], rc, out, err)
	return lines[2]


def same_words(k, before):
	"""Refused by kitchenctl before sending (exit 2), as kitchend refuses it."""
	key, name = "k" * 129, "X" * 65
	for what, args, fields in (
		("151 dishes", ["Pizza"] * 151, raw("", "", "5", "0", *["Pizza"] * 151)),
		("a 129-byte key", ["--key", key, "Pizza"], raw("", key, "5", "0", "Pizza")),
		("a key on two lines", ["--key", "a\nb", "Pizza"], raw("", "a\nb", "5", "0", "Pizza")),
		("a 65-byte name", ["Pizza", name], raw("", "", "5", "0", "Pizza", name)),
		("a name that is not UTF-8", [b"Pi\xffzza"], raw("", "", "5", "0", b"Pi\xffzza")),
		("a name with a control character", ["Pizza\x01"], raw("", "", "5", "0", "Pizza\x01")),
		("a due time in 2099", ["--at", "2099-01-01T00:00:00Z", "Pizza"], raw("", "", "5", "4070908800000", "Pizza")),
	):
		words = kitchend_says(k, fields)
		err = refused(k, ["order", *args], (2,), f"order of {what}", before)
		check_eq(err.rstrip("\n"), f"kitchenctl: {words}", f"order of {what}: kitchenctl's words and kitchend's")
	# Priorities are 1..9 (kitchenctl refuses others as a usage error).
	for priority in ("0", "10", "x", ""):
		words = kitchend_says(k, raw("", "", priority, "0", "Pizza"))
		check_eq(words, "the priority must be a number from 1 to 9", f"kitchend's words for priority {priority!r}")
	for priority in ("0", "10", "x"):
		refused(k, ["order", "--priority", priority, "Pizza"], (2,), f"order --priority {priority}", before)
	words = kitchend_says(k, raw("", "", "5", "soon", "Pizza"))
	check("due time" in words, "kitchend's words for a due time that is no number", words)
	# --random: the longest key (KEY-N) is refused before anything is ordered.
	words = kitchend_says(k, raw("", "k" * 126 + "-10", "5", "0", "Pizza"))
	err = refused(k, ["order", "--random", "10", "--key", "k" * 126], (2,), "--random 10 with a 126-byte key",
		      before)
	check_eq(err.rstrip("\n"), f"kitchenctl: {words}", "--random with a key too long for its last customer")


def test():
	with Kitchen() as k:
		before = counts(k)
		check_eq(before, ({"queued": 0, "cooking": 0, "served": 0, "failed": 0, "cancelled": 0}, 0),
			 "status of a new kitchen")

		for args in (["order", "Lasagna"], ["order", "--wait", "Lasagna"],
			     ["order", "--follow", "Lasagna"], ["order", "Pizza", "Lasagna", "Salad"]):
			err = refused(k, args, (1,), " ".join(args), before)
			check("Lasagna" in err, f"{' '.join(args)}: the message should name the unknown dish", err)
			missing = [d for d in DEFAULT_DISHES if d not in err]
			check(not missing, f"{' '.join(args)}: the message should list the menu; missing",
			      missing, err)

		refused(k, ["order"], (1, 2), "order with no dish", before)
		refused(k, ["order", "--wait"], (1, 2), "order --wait with no dish", before)
		refused(k, ["order", ""], (1, 2), "order of an empty name", before)
		refused(k, ["order", "X" * 65], (1, 2), "order of a 65-byte name", before)
		refused(k, ["order", "Pizza", "Y" * 70000], (1, 2), "order with a 70000-byte name", before)
		refused(k, ["order", b"Pi\xffzza"], (1, 2), "order of a name that is not UTF-8", before)
		refused(k, ["order", b"\xc3\x28"], (1, 2), "order of an invalid UTF-8 sequence", before)
		refused(k, ["order", "Pi\nzza"], (1, 2), "order of a name with a newline", before)
		refused(k, ["order", "Pizza\x01"], (1, 2), "order of a name with a control character", before)

		same_words(k, before)

		# Usage errors: exit 2, before anything is sent.
		refused(k, ["bake", "Pizza"], (2,), "an unknown verb", before)
		refused(k, ["order", "--no-such-option", "Pizza"], (2,), "an unknown option", before)
		refused(k, ["order", "--random"], (2,), "--random without N", before)
		refused(k, ["order", "--random", "many"], (2,), "--random with a non-number", before)
		refused(k, ["show"], (2,), "show without an order", before)

		rc, out, err = k.ctl("show", "999999")
		check(rc == 1 and err.startswith("kitchenctl: "), "show of an unknown order: exit 1 with an error",
		      rc, out, err)

		# Case-insensitive names are accepted, not refused.
		rc, out, err = k.ctl("order", "--wait", "pizza")
		check_eq(rc, 0, f"order --wait pizza (case-insensitive) exit status ({err!r})")

		rc, out, err = k.ctl("order", "--wait", "Salad", "Pizza")
		check_eq((rc, out.splitlines()),
			 (0, ["I- Ordered Salad", "I- Ordered Pizza", "O- Served Salad", "O- Served Pizza"]),
			 "kitchend still serves after the refusals")
		dishes, orders = counts(k)
		check_eq(dishes, {"queued": 0, "cooking": 0, "served": 3, "failed": 0, "cancelled": 0},
			 "status dishes after the two good orders")
		check(orders in (0, 2), "status orders after the two good orders: 2 (all) or 0 (open ones)", orders)


main(test)
