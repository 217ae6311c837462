#include "web_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "util.h"
#include "web_kitchend.h"
#include "web_reply.h"

#define LIST_DEFAULT_LIMIT 20
#define LIST_MAX_LIMIT 1000
/* What one /api/orders/ID/output answer holds at most; more is cut, and said. */
#define OUTPUT_MAX_BYTES (64u * 1024 * 1024)

int web_api_order_path(const char *path, unsigned long long *ret_id, const char **ret_rest)
{
	const char *prefix = "/api/orders/", *p, *end;
	char num[24];
	uint64_t id;

	if (strncmp(path, prefix, strlen(prefix)) != 0)
		return -EINVAL;
	p = path + strlen(prefix);
	end = p + strspn(p, "0123456789");
	if (end == p || (size_t) (end - p) >= sizeof(num))
		return -EINVAL;
	memcpy(num, p, (size_t) (end - p));
	num[end - p] = '\0';
	if (parse_u64(num, 1, UINT64_MAX, &id) < 0)
		return -EINVAL;
	*ret_id = id;
	*ret_rest = end;
	return 0;
}

int web_api_is_route(const char *path)
{
	unsigned long long id;
	const char *rest;

	if (strcmp(path, "/api/status") == 0 || strcmp(path, "/api/chefs") == 0 ||
	    strcmp(path, "/api/menu") == 0 || strcmp(path, "/api/orders") == 0)
		return 1;
	return web_api_order_path(path, &id, &rest) == 0 && (!*rest || strcmp(rest, "/output") == 0);
}

/* Ask once; on failure the error reply is made and 1 returned (0: *ret holds the client). */
static int ask(struct web_kitchend *k, enum proto_cmd cmd, const char *const *args, size_t n,
	       struct web_reply *rep, struct client **ret, int *ret_r)
{
	int r = web_kitchend_call(k, cmd, args, n, 0, ret);

	if (r == 0)
		return 0;
	*ret_r = web_reply_call_failed(rep, r, *ret, proto_cmd_name(cmd));
	client_free(ret);
	return 1;
}

static int bad_reply(struct web_reply *rep, int r, enum proto_cmd cmd)
{
	if (r == -ENOMEM)
		return r;
	return web_reply_error(rep, 502, "bad-reply", "kitchend sent a malformed reply to %s",
			       proto_cmd_name(cmd));
}

static int get_status(struct web_kitchend *k, struct web_reply *rep)
{
	struct client *c = NULL;
	struct status_report *s = NULL;
	struct web_json b;
	int r;

	if (ask(k, PROTO_STATUS, NULL, 0, rep, &c, &r))
		return r;
	r = status_report_decode(c->reply, &s);
	client_free(&c);
	if (r < 0)
		return bad_reply(rep, r, PROTO_STATUS);
	r = web_json_begin(&b);
	if (r == 0) {
		status_report_json(s, &b.j);
		r = web_json_end(&b, 200, rep);
	}
	status_report_free(&s);
	return r;
}

static int get_chefs(struct web_kitchend *k, struct web_reply *rep)
{
	struct client *c = NULL;
	struct chef_list *l = NULL;
	struct web_json b;
	int r;

	if (ask(k, PROTO_CHEFS, NULL, 0, rep, &c, &r))
		return r;
	r = chef_list_decode(c->reply, &l);
	client_free(&c);
	if (r < 0)
		return bad_reply(rep, r, PROTO_CHEFS);
	r = web_json_begin(&b);
	if (r == 0) {
		chef_list_json(l, &b.j);
		r = web_json_end(&b, 200, rep);
	}
	chef_list_free(&l);
	return r;
}

static int get_menu(struct web_kitchend *k, struct web_reply *rep)
{
	struct client *c = NULL;
	struct menu *m = NULL;
	struct web_json b;
	int r;

	if (ask(k, PROTO_MENU, NULL, 0, rep, &c, &r))
		return r;
	r = menu_decode(c->reply, &m);
	client_free(&c);
	if (r < 0)
		return bad_reply(rep, r, PROTO_MENU);
	r = web_json_begin(&b);
	if (r == 0) {
		menu_json(m, &b.j);
		r = web_json_end(&b, 200, rep);
	}
	menu_free(&m);
	return r;
}

static int get_order(struct web_kitchend *k, unsigned long long id, struct web_reply *rep)
{
	char buf[24];
	const char *args[] = { buf };
	struct client *c = NULL;
	struct order_report *o = NULL;
	struct web_json b;
	int r;

	snprintf(buf, sizeof(buf), "%llu", id);
	if (ask(k, PROTO_SHOW, args, 1, rep, &c, &r))
		return r;
	r = order_report_decode(c->reply, &o);
	client_free(&c);
	if (r < 0)
		return bad_reply(rep, r, PROTO_SHOW);
	r = web_json_begin(&b);
	if (r == 0) {
		order_report_json(o, &b.j);
		r = web_json_end(&b, 200, rep);
	}
	order_report_free(&o);
	return r;
}

static int get_output(struct web_kitchend *k, unsigned long long id, struct web_reply *rep)
{
	char order[24], first[24];
	const char *args[] = { order, first };
	uint64_t from = 0, bytes = 0;
	bool cut = false;
	struct web_json b;
	int r;

	snprintf(order, sizeof(order), "%llu", id);
	r = web_json_begin(&b);
	if (r < 0)
		return r;
	json_object_begin(&b.j);
	json_key_u64(&b.j, "order", id);
	json_key(&b.j, "outputs");
	json_array_begin(&b.j);
	for (;;) {
		struct client *c = NULL;
		uint64_t next;
		size_t groups;

		snprintf(first, sizeof(first), "%llu", (unsigned long long) from);
		if (ask(k, PROTO_OUTPUT, args, 2, rep, &c, &r)) {
			web_json_abandon(&b);
			return r;
		}
		/* An OK's fields are all of one kind to proto.c: the groups are counted here. */
		groups = (c->reply->n_fields - PROTO_OUTPUT_FIXED) / PROTO_OUTPUT_GROUP;
		if (proto_u64(c->reply, 0, &next) < 0 ||
		    (c->reply->n_fields - PROTO_OUTPUT_FIXED) % PROTO_OUTPUT_GROUP) {
			client_free(&c);
			web_json_abandon(&b);
			return bad_reply(rep, -EBADMSG, PROTO_OUTPUT);
		}
		for (size_t g = 0; g < groups; g++) {
			size_t f = PROTO_OUTPUT_FIXED + g * PROTO_OUTPUT_GROUP;
			const struct proto_field *out = &c->reply->fields[f + 2];
			char state[16];
			uint64_t index;

			if (proto_u64(c->reply, f, &index) < 0 ||
			    proto_str(c->reply, f + 1, state, sizeof(state)) < 0) {
				client_free(&c);
				web_json_abandon(&b);
				return bad_reply(rep, -EBADMSG, PROTO_OUTPUT);
			}
			if (bytes + out->len > OUTPUT_MAX_BYTES) {
				cut = true;
				next = index;
				break;
			}
			bytes += out->len;
			json_object_begin(&b.j);
			json_key_u64(&b.j, "index", index);
			json_key_string(&b.j, "state", state);
			json_key(&b.j, "output");
			json_string_len(&b.j, out->data, out->len);
			json_object_end(&b.j);
		}
		client_free(&c);
		if (cut || groups == 0 || next <= from)
			break;
		from = next;
	}
	json_array_end(&b.j);
	/* Outputs past the bound: ask kitchenctl, or a page of fewer dishes. */
	json_key(&b.j, "next");
	if (cut)
		json_u64(&b.j, from);
	else
		json_null(&b.j);
	json_object_end(&b.j);
	return web_json_end(&b, 200, rep);
}

/* A query parameter that is a number of @what; "" and absent are 0. */
static int arg_u64(const struct web_request *req, const char *name, uint64_t max, uint64_t *ret,
		   struct web_reply *rep, int *ret_r)
{
	const char *v = req->arg(req->data, name);

	*ret = 0;
	if (!v || !*v)
		return 0;
	if (parse_u64(v, 0, max, ret) < 0) {
		*ret_r = web_reply_error(rep, 400, "bad-request",
					 "invalid %s '%s': a number (up to %llu)", name, v,
					 (unsigned long long) max);
		return 1;
	}
	return 0;
}

static const char *arg_str(const struct web_request *req, const char *name)
{
	const char *v = req->arg(req->data, name);

	return v ? v : "";
}

static int get_orders(struct web_kitchend *k, const struct web_request *req, struct web_reply *rep)
{
	const char *state = arg_str(req, "state"), *dish = arg_str(req, "dish"),
		   *key = arg_str(req, "key");
	uint64_t since, until, limit, before, shown = 0;
	struct web_json b;
	int r;

	if (arg_u64(req, "since", UINT64_MAX, &since, rep, &r) ||
	    arg_u64(req, "until", UINT64_MAX, &until, rep, &r) ||
	    arg_u64(req, "limit", LIST_MAX_LIMIT, &limit, rep, &r) ||
	    arg_u64(req, "after", UINT64_MAX, &before, rep, &r))
		return r;
	if (!req->arg(req->data, "limit"))
		limit = LIST_DEFAULT_LIMIT;
	if (limit == 0)
		return web_reply_error(rep, 400, "bad-request", "invalid limit 0: 1 to %d",
				       LIST_MAX_LIMIT);
	if (*state && proto_list_state_from_name(state, strlen(state)) < 0)
		return web_reply_error(
			rep, 400, "bad-request",
			"invalid state '%s': one of queued, cooking, %s, served, failed, cancelled",
			state, PROTO_LIST_DELAYED);
	if (strlen(dish) > PROTO_MAX_NAME || !proto_text_valid(dish, strlen(dish), false))
		return web_reply_error(rep, 400, "bad-request",
				       "invalid dish: a dish name of at most %d bytes on one line",
				       PROTO_MAX_NAME);
	if (strlen(key) > PROTO_KEY_MAX || !proto_text_valid(key, strlen(key), false))
		return web_reply_error(rep, 400, "bad-request",
				       "invalid key: text of at most %d bytes on one line",
				       PROTO_KEY_MAX);
	if (since && until && since > until)
		return web_reply_error(rep, 400, "bad-request",
				       "since is after until: no order can be in between");

	r = web_json_begin(&b);
	if (r < 0)
		return r;
	json_object_begin(&b.j);
	json_key(&b.j, "orders");
	json_array_begin(&b.j);
	for (;;) {
		char s_since[24], s_until[24], s_lim[24], s_bef[24];
		const char *args[] = { state, dish, key, s_since, s_until, s_lim, s_bef };
		uint64_t want = limit - shown;
		struct order_page *p = NULL;
		struct client *c = NULL;

		snprintf(s_since, sizeof(s_since), "%llu", (unsigned long long) since);
		snprintf(s_until, sizeof(s_until), "%llu", (unsigned long long) until);
		snprintf(s_lim, sizeof(s_lim), "%llu",
			 (unsigned long long) (want < PROTO_LIST_MAX ? want : PROTO_LIST_MAX));
		snprintf(s_bef, sizeof(s_bef), "%llu", (unsigned long long) before);
		if (ask(k, PROTO_LIST, args, ELEMENTSOF(args), rep, &c, &r)) {
			web_json_abandon(&b);
			return r;
		}
		r = order_page_decode(c->reply, &p);
		client_free(&c);
		/* Newest first and below the cursor, or it is no answer to this. */
		if (r == 0 && p->next && before && p->next >= before)
			r = -EBADMSG;
		for (size_t i = 0; r == 0 && i < p->n; i++)
			if ((before && p->orders[i].id >= before) ||
			    (p->next && p->orders[i].id < p->next))
				r = -EBADMSG;
		if (r < 0) {
			order_page_free(&p);
			web_json_abandon(&b);
			return bad_reply(rep, r, PROTO_LIST);
		}
		for (size_t i = 0; i < p->n; i++)
			listed_order_json(&p->orders[i], &b.j);
		shown += p->n;
		before = p->next;
		order_page_free(&p);
		if (before == 0 || shown >= limit)
			break;
	}
	json_array_end(&b.j);
	json_key(&b.j, "next");
	if (before)
		json_u64(&b.j, before);
	else
		json_null(&b.j);
	json_object_end(&b.j);
	return web_json_end(&b, 200, rep);
}

int web_api_get(struct web_kitchend *k, const struct web_request *req, struct web_reply *rep)
{
	unsigned long long id;
	const char *rest;

	if (strcmp(req->path, "/api/status") == 0)
		return get_status(k, rep);
	if (strcmp(req->path, "/api/chefs") == 0)
		return get_chefs(k, rep);
	if (strcmp(req->path, "/api/menu") == 0)
		return get_menu(k, rep);
	if (strcmp(req->path, "/api/orders") == 0)
		return get_orders(k, req, rep);
	if (web_api_order_path(req->path, &id, &rest) == 0) {
		if (!*rest)
			return get_order(k, id, rep);
		if (strcmp(rest, "/output") == 0)
			return get_output(k, id, rep);
	}
	return web_reply_error(rep, 404, "not-found", "no such resource");
}
