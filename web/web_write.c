#include "web_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "util.h"
#include "web_api.h"
#include "web_body.h"
#include "web_kitchend.h"
#include "web_reply.h"

int web_write_is_route(const char *path)
{
	unsigned long long id;
	const char *rest;

	if (strcmp(path, "/api/orders") == 0)
		return 1;
	return web_api_order_path(path, &id, &rest) == 0 &&
		(strcmp(rest, "/cancel") == 0 || strcmp(rest, "/retry") == 0);
}

static int post_order(struct web_kitchend *k, const struct web_body *body, struct web_reply *rep)
{
	struct proto_field names[PROTO_ORDER_MAX_DISHES];
	const char *args[4 + 2 * PROTO_ORDER_MAX_DISHES];
	char prio[24], err[512];
	struct proto_order_ask ask = {
		.key = { body->key ? body->key : "", body->key ? strlen(body->key) : 0 },
		.priority = body->priority ? body->priority : PROTO_PRIORITY_DEFAULT,
		.now_ms = wall_ms(),
		.names = names,
		.max_input = PROTO_MAX_INPUT,
		.n = body->n_dishes,
	};
	struct client *c = NULL;
	uint64_t id, n;
	struct web_json b;
	int r;

	for (size_t i = 0; i < body->n_dishes; i++)
		names[i] = (struct proto_field) { body->dishes[i], strlen(body->dishes[i]) };
	if (proto_order_refusal(&ask, err, sizeof(err)) < 0)
		return web_reply_error(rep, 400, PROTO_ERR_BAD_REQUEST, "%s", err);

	snprintf(prio, sizeof(prio), "%llu", (unsigned long long) ask.priority);
	args[0] = "";
	args[1] = body->key ? body->key : "";
	args[2] = prio;
	args[3] = "0";
	for (size_t i = 0; i < body->n_dishes; i++) {
		args[4 + 2 * i] = body->dishes[i];
		args[5 + 2 * i] = "";
	}
	r = web_kitchend_call(k, PROTO_ORDER, args, 4 + 2 * body->n_dishes, 0, &c);
	if (r < 0) {
		r = web_reply_call_failed(rep, r, c, "ORDER");
		client_free(&c);
		return r;
	}
	r = proto_u64(c->reply, 0, &id) < 0 || proto_u64(c->reply, 1, &n) < 0 ? -EBADMSG : 0;
	client_free(&c);
	if (r < 0)
		return web_reply_error(rep, 502, "bad-reply",
				       "kitchend sent a malformed reply to ORDER");
	r = web_json_begin(&b);
	if (r < 0)
		return r;
	json_object_begin(&b.j);
	json_key_u64(&b.j, "order", id);
	json_key_u64(&b.j, "dishes", n);
	json_object_end(&b.j);
	return web_json_end(&b, 201, rep);
}

/* REVOKE or RETRY of order @id: the reply's numbers under @keys. */
static int post_book(struct web_kitchend *k, enum proto_cmd cmd, unsigned long long id,
		     const struct web_body *body, const char *const *keys, size_t n_keys,
		     struct web_reply *rep)
{
	char order[24], idx[PROTO_ORDER_MAX_DISHES][24];
	const char *args[1 + PROTO_ORDER_MAX_DISHES];
	struct client *c = NULL;
	uint64_t v[4];
	struct web_json b;
	int r;

	if (body->n_dishes || body->key || body->priority)
		return web_reply_error(rep, 400, PROTO_ERR_BAD_REQUEST,
				       "a cancel or retry names dishes by \"index\" only");
	snprintf(order, sizeof(order), "%llu", id);
	args[0] = order;
	for (size_t i = 0; i < body->n_index; i++) {
		snprintf(idx[i], sizeof(idx[i]), "%llu", (unsigned long long) body->index[i]);
		args[1 + i] = idx[i];
	}
	r = web_kitchend_call(k, cmd, args, 1 + body->n_index, 0, &c);
	if (r < 0) {
		r = web_reply_call_failed(rep, r, c, proto_cmd_name(cmd));
		client_free(&c);
		return r;
	}
	r = c->reply->n_fields != n_keys + 1 ? -EBADMSG : 0;
	for (size_t i = 0; r == 0 && i <= n_keys; i++)
		r = proto_u64(c->reply, i, &v[i]) < 0 ? -EBADMSG : 0;
	client_free(&c);
	if (r < 0)
		return web_reply_error(rep, 502, "bad-reply", "kitchend sent a malformed reply to %s",
				       proto_cmd_name(cmd));
	r = web_json_begin(&b);
	if (r < 0)
		return r;
	json_object_begin(&b.j);
	json_key_u64(&b.j, "order", v[0]);
	for (size_t i = 0; i < n_keys; i++)
		json_key_u64(&b.j, keys[i], v[1 + i]);
	json_object_end(&b.j);
	return web_json_end(&b, 200, rep);
}

int web_write_post(struct web_kitchend *k, const struct web_request *req, struct web_reply *rep)
{
	static const char *const revoke_keys[] = { "cancelled", "cancelling", "finished" };
	static const char *const retry_keys[] = { "retried" };
	struct web_body body;
	unsigned long long id;
	const char *rest;
	char err[256];
	int r;

	r = web_body_parse(req->body, req->body_len, &body, err, sizeof(err));
	if (r == -EINVAL)
		return web_reply_error(rep, 400, PROTO_ERR_BAD_REQUEST, "%s", err);
	if (r < 0)
		return r;
	if (strcmp(req->path, "/api/orders") == 0) {
		if (body.n_index)
			r = web_reply_error(rep, 400, PROTO_ERR_BAD_REQUEST,
					    "an order names its dishes in \"dishes\"");
		else
			r = post_order(k, &body, rep);
	} else if (web_api_order_path(req->path, &id, &rest) == 0 && strcmp(rest, "/cancel") == 0)
		r = post_book(k, PROTO_REVOKE, id, &body, revoke_keys, ELEMENTSOF(revoke_keys), rep);
	else if (web_api_order_path(req->path, &id, &rest) == 0 && strcmp(rest, "/retry") == 0)
		r = post_book(k, PROTO_RETRY, id, &body, retry_keys, ELEMENTSOF(retry_keys), rep);
	else
		r = web_reply_error(rep, 404, "not-found", "no such resource");
	web_body_clear(&body);
	return r;
}
