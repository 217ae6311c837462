/* The verbs of the order book: cancel, purge, retry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "report.h"
#include "util.h"
#include "verbs.h"

#define ID_LEN 24
#define PURGE_EXTRA_MS 60000

/* ORDER [DISH...]: the order id and the dishes' numbers ("3" or "#3", from 1, as
 * `show` prints them) as the protocol's indexes (from 0). */
static int parse_order_dishes(char **args, size_t n_args, char (*out)[ID_LEN], const char **req)
{
	uint64_t v;

	if (parse_u64(args[0], 0, UINT64_MAX, &v) < 0)
		return ctl_usage("invalid order id '%s': a number, as 'order' printed it", args[0]);
	snprintf(out[0], ID_LEN, "%llu", (unsigned long long) v);
	req[0] = out[0];
	for (size_t i = 1; i < n_args; i++) {
		const char *a = args[i][0] == '#' ? args[i] + 1 : args[i];

		if (parse_u64(a, 1, PROTO_ORDER_MAX_DISHES, &v) < 0)
			return ctl_usage("invalid dish '%s': its number in the order, as 'show' prints it (1 or #1)",
					 args[i]);
		snprintf(out[i], ID_LEN, "%llu", (unsigned long long) v - 1);
		req[i] = out[i];
	}
	return 0;
}

static void numbers_json(const char *const *names, const struct proto_msg *m, size_t n)
{
	struct json j;
	uint64_t v;

	json_init(&j, stdout);
	json_object_begin(&j);
	for (size_t i = 0; i < n; i++) {
		(void) proto_u64(m, i, &v);
		json_key_u64(&j, names[i], v);
	}
	json_object_end(&j);
	json_newline(&j);
}

/* The reply's @n numbers, or -EBADMSG. */
static int numbers(const struct proto_msg *m, enum proto_cmd cmd, size_t n, uint64_t *ret)
{
	if (m->n_fields != n)
		return ctl_bad_reply(-EBADMSG, cmd);
	for (size_t i = 0; i < n; i++)
		if (proto_u64(m, i, &ret[i]) < 0)
			return ctl_bad_reply(-EBADMSG, cmd);
	return 0;
}

/* ORDER [DISH...] as request @cmd; the reply's @n numbers in @ret. */
static int order_request(struct ctl *ctl, enum proto_cmd cmd, char **args, size_t n_args, size_t n,
			 const struct proto_msg **ret_m, uint64_t *ret)
{
	char ids[1 + PROTO_ORDER_MAX_DISHES][ID_LEN];
	const char *req[1 + PROTO_ORDER_MAX_DISHES];
	int r;

	if (n_args > 1 + PROTO_ORDER_MAX_DISHES)
		return ctl_usage("an order has at most %d dishes", PROTO_ORDER_MAX_DISHES);
	r = parse_order_dishes(args, n_args, ids, req);
	if (r < 0)
		return r;
	r = ctl_request(ctl, cmd, req, n_args, 0, ret_m);
	if (r < 0)
		return r;
	return numbers(*ret_m, cmd, n, ret);
}

int verb_cancel(struct ctl *ctl, char **args, size_t n_args)
{
	static const char *const names[] = { "order", "cancelled", "cancelling", "finished" };
	const struct proto_msg *m;
	uint64_t n[4];
	int r;

	r = order_request(ctl, PROTO_REVOKE, args, n_args, 4, &m, n);
	if (r < 0)
		return r;
	if (ctl->json) {
		numbers_json(names, m, 4);
		return 0;
	}
	printf("order %llu: %llu %s cancelled", (unsigned long long) n[0], (unsigned long long) n[1],
	       n[1] == 1 ? "dish" : "dishes");
	if (n[2])
		printf(", %llu being cancelled at %s chef%s (cancelled, or served if it was ready first)",
		       (unsigned long long) n[2], n[2] == 1 ? "its" : "their", n[2] == 1 ? "" : "s");
	if (n[3])
		printf(", %llu done already", (unsigned long long) n[3]);
	putchar('\n');
	return 0;
}

/* Ask on the terminal; -ECANCELED unless the answer is yes. */
static int confirm(const char *dish)
{
	char line[16];

	fprintf(stderr, "Cancel every waiting dish%s%s? [y/N] ", dish ? " of " : "", dish ? dish : "");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y')) {
		ctl_note("nothing purged");
		return -ECANCELED;
	}
	return 0;
}

int verb_purge(struct ctl *ctl, char **args, size_t n_args)
{
	const char *req[] = { ctl->dish ? ctl->dish : "" };
	const struct proto_msg *m;
	uint64_t n;
	int r;

	if (!ctl->yes) {
		if (!isatty(STDIN_FILENO))
			return ctl_usage("purge cancels every waiting dish: give --yes (there is no terminal to ask)");
		r = confirm(ctl->dish);
		if (r < 0)
			return r;
	}
	/* A million dishes take a while to commit: --timeout is for an answer, not for the work. */
	r = ctl_request(ctl, PROTO_PURGE, req, 1, PURGE_EXTRA_MS, &m);
	if (r < 0)
		return r;
	r = numbers(m, PROTO_PURGE, 1, &n);
	if (r < 0)
		return r;
	if (ctl->json)
		numbers_json((const char *const[]) { "cancelled" }, m, 1);
	else
		printf("%llu waiting %s cancelled\n", (unsigned long long) n, n == 1 ? "dish" : "dishes");
	return 0;
}

/*
 * retry --failed: the failed orders LIST finds (their ids first, all of
 * them, so that the orders retried do not move the pages), then RETRY of
 * each: its failed and cancelled dishes.
 */
static int retry_failed(struct ctl *ctl)
{
	_cleanup_free_ uint64_t *ids = NULL;
	size_t n_ids = 0, cap = 0;
	uint64_t before = 0, dishes = 0, orders = 0, n[2];
	const struct proto_msg *m;
	struct json j;
	int r;

	do {
		struct order_page *p = NULL;

		r = list_page(ctl, proto_state_name(PROTO_STATE_FAILED), PROTO_LIST_MAX, before, &p);
		if (r < 0)
			return r;
		if (n_ids + p->n > cap) {
			size_t want = (n_ids + p->n) * 2;
			uint64_t *grown = reallocarray(ids, want, sizeof(*ids));
			if (!grown) {
				order_page_free(&p);
				return ctl_error(-ENOMEM, "%m");
			}
			ids = grown;
			cap = want;
		}
		for (size_t i = 0; i < p->n; i++)
			ids[n_ids++] = p->orders[i].id;
		before = p->next;
		order_page_free(&p);
	} while (before);

	for (size_t i = 0; i < n_ids; i++) {
		char id[ID_LEN];
		const char *req[] = { id };

		snprintf(id, sizeof(id), "%llu", (unsigned long long) ids[i]);
		r = ctl_request(ctl, PROTO_RETRY, req, 1, 0, &m);
		if (r == -EREMOTEIO)
			continue;  /* retried meanwhile, or gone: said, and the others go on */
		if (r < 0)
			return r;
		r = numbers(m, PROTO_RETRY, 2, n);
		if (r < 0)
			return r;
		orders++;
		dishes += n[1];
	}
	if (ctl->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_key_u64(&j, "orders", orders);
		json_key_u64(&j, "retried", dishes);
		json_object_end(&j);
		json_newline(&j);
	} else
		printf("%llu failed %s: %llu %s queued again\n", (unsigned long long) orders,
		       orders == 1 ? "order" : "orders", (unsigned long long) dishes, dishes == 1 ? "dish" : "dishes");
	return orders == n_ids ? 0 : -EREMOTEIO;
}

int verb_retry(struct ctl *ctl, char **args, size_t n_args)
{
	static const char *const names[] = { "order", "retried" };
	const struct proto_msg *m;
	uint64_t n[2];
	int r;

	if (ctl->retry_failed) {
		if (n_args > 0)
			return ctl_usage("retry takes an ORDER or --failed, not both");
		return retry_failed(ctl);
	}
	if (n_args == 0)
		return ctl_usage("'retry' needs an ORDER, or --failed");

	r = order_request(ctl, PROTO_RETRY, args, n_args, 2, &m, n);
	if (r < 0)
		return r;
	if (ctl->json)
		numbers_json(names, m, 2);
	else
		printf("order %llu: %llu %s queued again\n", (unsigned long long) n[0], (unsigned long long) n[1],
		       n[1] == 1 ? "dish" : "dishes");
	return 0;
}
