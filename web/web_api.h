/*
 * web_api — the read side of kitchen-web's HTTP API: each GET under /api/
 * asks kitchend once (or a few times, for pages and outputs) and answers
 * JSON of the shapes `kitchenctl --json` prints (docs/http-api.md):
 *
 *	GET /api/status              STATUS    as `kitchenctl --json status`
 *	GET /api/chefs               CHEFS     as `kitchenctl --json chefs`
 *	GET /api/menu                MENU      as `kitchenctl --json menu`
 *	GET /api/orders?state=&dish=&key=&since=&until=&limit=&after=
 *	                             LIST      as `kitchenctl --json list ...`
 *	GET /api/orders/ID           SHOW      as `kitchenctl --json show ID`
 *	GET /api/orders/ID/output    OUTPUT    {"order": ID, "outputs": [{"index", "state", "output"}]}
 *
 * Query parameters are checked before kitchend is asked, with the words
 * kitchenctl uses. Any failure is an error reply (web_reply.h): 400 for a
 * bad parameter, kitchend's refusals as their status, 503 when kitchend
 * cannot be reached.
 */
#pragma once

#include <stddef.h>

struct web_kitchend;
struct web_reply;

/* One HTTP request, as kitchen-web's handlers see it. */
struct web_request {
	const char *method;
	const char *path;                                 /* "/api/orders/42" */
	const char *(*arg)(void *data, const char *name); /* a query parameter, NULL if absent */
	void *data;
	const char *body; /* POST: the whole body */
	size_t body_len;
};

/* Is @path one of the GET routes above? */
int web_api_is_route(const char *path);

/* Answer the GET @req into @rep. 0, or -ENOMEM (nothing answered). */
int web_api_get(struct web_kitchend *k, const struct web_request *req, struct web_reply *rep);

/* "/api/orders/42..." -> 42 and the rest ("" or "/output" or "/cancel"); -EINVAL if not such a path. */
int web_api_order_path(const char *path, unsigned long long *ret_id, const char **ret_rest);
