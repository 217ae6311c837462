/*
 * `kitchenctl list`: the order book, newest first. kitchend answers a page
 * at a time, each costing it a bounded time (a rare filter gives short
 * pages); this asks page after page until --limit orders are shown or none
 * is left, and prints each as it comes. What is left is said with the
 * cursor to go on from: `list --after CURSOR` with the same filters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "util.h"
#include "verbs.h"

/* What kitchend would refuse as a bad request, refused before it is sent. */
static int check_filters(const struct ctl *ctl)
{
	const char *dish = ctl->dish ? ctl->dish : "", *key = ctl->key ? ctl->key : "";

	if (ctl->list_state && proto_list_state_from_name(ctl->list_state, strlen(ctl->list_state)) < 0)
		return ctl_usage(
			"invalid --state '%s': one of queued, cooking, %s, served, failed, cancelled",
			ctl->list_state, PROTO_LIST_DELAYED);
	if (strlen(dish) > PROTO_MAX_NAME || !proto_text_valid(dish, strlen(dish), false))
		return ctl_usage("invalid --dish: a dish name of at most %d bytes on one line",
				 PROTO_MAX_NAME);
	if (strlen(key) > PROTO_KEY_MAX || !proto_text_valid(key, strlen(key), false))
		return ctl_usage("invalid --key: text of at most %d bytes on one line", PROTO_KEY_MAX);
	if (ctl->list_since_ms && ctl->list_until_ms && ctl->list_since_ms > ctl->list_until_ms)
		return ctl_usage("--since is after --until: no order can be in between");
	return 0;
}

int list_page(struct ctl *ctl, const char *state, uint64_t limit, uint64_t before, struct order_page **ret)
{
	char since[24], until[24], lim[24], bef[24];
	const char *args[] = {
		state ? state : "",
		ctl->dish ? ctl->dish : "",
		ctl->key ? ctl->key : "",
		since,
		until,
		lim,
		bef,
	};
	const struct proto_msg *m;
	int r;

	snprintf(since, sizeof(since), "%llu", (unsigned long long) ctl->list_since_ms);
	snprintf(until, sizeof(until), "%llu", (unsigned long long) ctl->list_until_ms);
	snprintf(lim, sizeof(lim), "%llu", (unsigned long long) limit);
	snprintf(bef, sizeof(bef), "%llu", (unsigned long long) before);
	r = ctl_request(ctl, PROTO_LIST, args, ELEMENTSOF(args), 0, &m);
	if (r < 0)
		return r;
	r = order_page_decode(m, ret);
	if (r < 0)
		return ctl_bad_reply(r, PROTO_LIST);
	/* Newest first, and below the cursor: anything else is not an answer to this. */
	for (size_t i = 0; i < (*ret)->n; i++) {
		uint64_t id = (*ret)->orders[i].id;
		if ((before && id >= before) || (i > 0 && id >= (*ret)->orders[i - 1].id) ||
		    ((*ret)->next && id < (*ret)->next)) {
			order_page_free(ret);
			return ctl_bad_reply(-EBADMSG, PROTO_LIST);
		}
	}
	if ((*ret)->next && before && (*ret)->next >= before) {
		order_page_free(ret);
		return ctl_bad_reply(-EBADMSG, PROTO_LIST);
	}
	return 0;
}

int verb_list(struct ctl *ctl, char **args, size_t n_args)
{
	uint64_t limit = ctl->list_limit, shown = 0, before = ctl->list_after;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *out = NULL;
	struct json j;
	int r;

	r = check_filters(ctl);
	if (r < 0)
		return r;
	if (ctl->json) {
		/* Kept until the last page came: no half a JSON value on a failure. */
		out = open_memstream(&buf, &len);
		if (!out)
			return ctl_error(-errno, "%m");
		json_init(&j, out);
		json_object_begin(&j);
		json_key(&j, "orders");
		json_array_begin(&j);
	}
	for (;;) {
		struct order_page *p = NULL;
		uint64_t want = limit - shown;

		r = list_page(ctl, ctl->list_state, want < PROTO_LIST_MAX ? want : PROTO_LIST_MAX, before, &p);
		if (r < 0) {
			if (out)
				fclose(out);
			return r;
		}
		for (size_t i = 0; i < p->n; i++)
			if (ctl->json)
				listed_order_json(&p->orders[i], &j);
			else
				listed_order_print(&p->orders[i], stdout);
		shown += p->n;
		before = p->next;
		order_page_free(&p);
		if (before == 0 || shown >= limit)
			break;
	}
	if (ctl->json) {
		json_array_end(&j);
		json_key(&j, "next");
		if (before)
			json_u64(&j, before);
		else
			json_null(&j);
		json_object_end(&j);
		json_newline(&j);
		if (fclose(out) != 0)
			return ctl_error(-errno, "%m");
		fwrite(buf, 1, len, stdout);
	} else {
		if (shown == 0)
			puts("no orders");
		if (before)
			ctl_note("more orders: list --after %llu (with the same filters)",
				 (unsigned long long) before);
	}
	return 0;
}
