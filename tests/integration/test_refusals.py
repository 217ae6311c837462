#!/usr/bin/env python3
"""Orders kitchend must refuse, clearly and without storing anything:
an unknown dish (exit 1, the message lists the menu; an order with one unknown
dish among known ones is refused whole), an empty order (exit 2 as a usage
error, or 1 if it was sent), a name longer than a name may be (64 bytes), one
bigger than a protocol frame, one that is not UTF-8 and one with a control
character (exit 1 or 2, an error on stderr, never 3 = "unreachable" and never a
hang). Also a few usage errors. Afterwards kitchend still serves."""

from harness import DEFAULT_DISHES, Kitchen, check, check_eq, main


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


def test():
	with Kitchen() as k:
		before = counts(k)
		check_eq(before, ({"queued": 0, "cooking": 0, "served": 0, "failed": 0}, 0),
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
		check_eq(dishes, {"queued": 0, "cooking": 0, "served": 3, "failed": 0},
			 "status dishes after the two good orders")
		check(orders in (0, 2), "status orders after the two good orders: 2 (all) or 0 (open ones)", orders)


main(test)
