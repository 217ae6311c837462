/*
 * web_metrics — GET /metrics. See web_metrics.h.
 */
#include "web_metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "exposition.h"
#include "util.h"
#include "web_kitchend.h"
#include "web_reply.h"

int web_metrics_get(struct web_kitchend *k, struct web_reply *rep)
{
	struct expo_reply *m = NULL;
	struct client *c = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	r = web_kitchend_call(k, PROTO_METRICS, NULL, 0, 0, &c);
	if (r < 0) {
		r = web_reply_call_failed(rep, r, c, proto_cmd_name(PROTO_METRICS));
		client_free(&c);
		return r;
	}
	r = expo_reply_decode(c->reply, &m);
	client_free(&c);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return web_reply_error(rep, 502, "bad-reply", "kitchend sent a malformed reply to %s",
				       proto_cmd_name(PROTO_METRICS));
	f = open_memstream(&text, &len);
	if (!f) {
		expo_reply_free(&m);
		return -ENOMEM;
	}
	r = expo_write(f, m->v, m->chefs, m->n_chefs);
	expo_reply_free(&m);
	if (fclose(f) != 0 || r < 0) {
		free(text);
		return -ENOMEM;
	}
	web_reply_clear(rep);
	*rep = (struct web_reply) { .status = 200, .type = WEB_METRICS_TYPE, .body = text, .len = len, .owned = 1 };
	return 0;
}
