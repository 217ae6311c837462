/* The verbs that only ask: chefs, menu, show, status. */
#include <errno.h>
#include <stdio.h>

#include "json.h"
#include "report.h"
#include "util.h"
#include "verbs.h"

int verb_chefs(struct ctl *ctl, char **args, size_t n_args)
{
	const struct proto_msg *m;
	struct chef_list *l = NULL;
	struct json j;
	int r;

	r = ctl_request(ctl, PROTO_CHEFS, NULL, 0, 0, &m);
	if (r < 0)
		return r;
	r = chef_list_decode(m, &l);
	if (r < 0)
		return ctl_bad_reply(r, PROTO_CHEFS);
	if (ctl->json) {
		json_init(&j, stdout);
		chef_list_json(l, &j);
		json_newline(&j);
	} else
		chef_list_print(l, stdout);
	chef_list_free(&l);
	return 0;
}

int verb_menu(struct ctl *ctl, char **args, size_t n_args)
{
	const struct proto_msg *m;
	struct menu *menu = NULL;
	struct json j;
	int r;

	r = ctl_request(ctl, PROTO_MENU, NULL, 0, 0, &m);
	if (r < 0)
		return r;
	r = menu_decode(m, &menu);
	if (r < 0)
		return ctl_bad_reply(r, PROTO_MENU);
	if (ctl->json) {
		json_init(&j, stdout);
		menu_json(menu, &j);
		json_newline(&j);
	} else
		menu_print(menu, stdout);
	menu_free(&menu);
	return 0;
}

int verb_show(struct ctl *ctl, char **args, size_t n_args)
{
	const struct proto_msg *m;
	struct order_report *o = NULL;
	char buf[24];
	const char *req[] = { buf };
	uint64_t id;
	struct json j;
	int r;

	if (parse_u64(args[0], 0, UINT64_MAX, &id) < 0)
		return ctl_usage("invalid order id '%s': a number, as 'order' printed it", args[0]);
	/* "007" as typed; the protocol wants "7". */
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long) id);

	r = ctl_request(ctl, PROTO_SHOW, req, ELEMENTSOF(req), 0, &m);
	if (r < 0)
		return r;
	r = order_report_decode(m, &o);
	if (r < 0)
		return ctl_bad_reply(r, PROTO_SHOW);
	if (ctl->json) {
		json_init(&j, stdout);
		order_report_json(o, &j);
		json_newline(&j);
	} else
		order_report_print(o, stdout);
	order_report_free(&o);
	return 0;
}

int verb_status(struct ctl *ctl, char **args, size_t n_args)
{
	const struct proto_msg *m;
	struct status_report *s = NULL;
	struct json j;
	int r;

	r = ctl_request(ctl, PROTO_STATUS, NULL, 0, 0, &m);
	if (r < 0)
		return r;
	r = status_report_decode(m, &s);
	if (r < 0)
		return ctl_bad_reply(r, PROTO_STATUS);
	if (ctl->json) {
		json_init(&j, stdout);
		status_report_json(s, &j);
		json_newline(&j);
	} else
		status_report_print(s, stdout);
	status_report_free(&s);
	return 0;
}
