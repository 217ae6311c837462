/*
 * `kitchenctl wait ORDER...` and `follow ORDER...`: wait for orders placed
 * before (by an `order --wait` that lost kitchend, say) as `order --wait` and
 * `order --follow` do for new ones, without the "I- Ordered" lines: nothing
 * is ordered. Every dish's outcome is printed, also of dishes done already.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "order.h"
#include "util.h"
#include "verbs.h"

/* The orders named by @args, each with its first report; subscribed to first when @f.
 * Until every report is in, a failure is as for any request: kitchend was not reached. */
static int batch_of(struct ctl *ctl, char **args, size_t n_args, struct follow *f, struct order_batch *b)
{
	int r;

	b->orders = calloc(n_args, sizeof(*b->orders));
	if (!b->orders)
		return ctl_error(-ENOMEM, "%m");
	for (size_t i = 0; i < n_args; i++)
		if (parse_u64(args[i], 0, UINT64_MAX, &b->orders[i].id) < 0)
			return ctl_usage("invalid order id '%s': a number, as 'order' printed it", args[i]);
	b->n = n_args;
	/* Subscribed before asking, so what happens after the report is seen too. */
	for (size_t i = 0; f && i < b->n; i++) {
		r = follow_add(f, b->orders[i].id);
		if (r < 0)
			return ctl_error(r, "failed to subscribe to order %llu's events: %m",
					 (unsigned long long) b->orders[i].id);
	}
	for (size_t i = 0; i < b->n; i++) {
		r = order_refresh(ctl, &b->orders[i], 0);
		if (r < 0)
			return r;
		/* Dishes counted across the orders, as they are given (--output's messages). */
		if (i > 0)
			b->orders[i].first = b->orders[i - 1].first + b->orders[i - 1].n_dishes;
	}
	return 0;
}

int verb_wait(struct ctl *ctl, char **args, size_t n_args)
{
	struct order_batch b = { 0 };
	int r;

	r = batch_of(ctl, args, n_args, NULL, &b);
	if (r >= 0)
		r = order_batch_end(ctl, &b, order_wait(ctl, &b), "wait");
	order_batch_clear(&b);
	return r;
}

int verb_follow(struct ctl *ctl, char **args, size_t n_args)
{
	struct order_batch b = { 0 };
	struct follow *f = NULL;
	int r;

	/* Control first, so a missing daemon is reported as such. */
	r = ctl_connect(ctl);
	if (r >= 0)
		r = ctl_follow(ctl, &f);
	if (r >= 0)
		r = batch_of(ctl, args, n_args, f, &b);
	if (r >= 0)
		r = order_batch_end(ctl, &b, order_follow(ctl, f, &b), "follow");
	follow_free(&f);
	order_batch_clear(&b);
	return r;
}
