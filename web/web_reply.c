#include "web_reply.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "util.h"
#include "web_kitchend.h"

void web_reply_clear(struct web_reply *r)
{
	if (r->owned)
		free(r->body);
	*r = (struct web_reply) { 0 };
}

int web_json_begin(struct web_json *b)
{
	*b = (struct web_json) { 0 };
	b->f = open_memstream(&b->buf, &b->len);
	if (!b->f)
		return -errno;
	json_init(&b->j, b->f);
	return 0;
}

void web_json_abandon(struct web_json *b)
{
	if (b->f)
		fclose(b->f);
	freep(&b->buf);
	b->f = NULL;
}

int web_json_end(struct web_json *b, unsigned status, struct web_reply *rep)
{
	json_newline(&b->j);
	if (fclose(b->f) != 0) {
		b->f = NULL;
		freep(&b->buf);
		return -ENOMEM;
	}
	b->f = NULL;
	web_reply_clear(rep);
	rep->status = status;
	rep->type = "application/json";
	rep->body = TAKE_PTR(b->buf);
	rep->len = b->len;
	rep->owned = 1;
	return 0;
}

int web_reply_error(struct web_reply *rep, unsigned status, const char *code, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	struct web_json b;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = web_json_begin(&b);
	if (r < 0)
		return r;
	json_object_begin(&b.j);
	json_key_string(&b.j, "error", code);
	json_key_string(&b.j, "message", msg);
	json_object_end(&b.j);
	return web_json_end(&b, status, rep);
}

int web_reply_call_failed(struct web_reply *rep, int r, const struct client *c, const char *what)
{
	unsigned status = web_kitchend_http_status(r, c ? c->err_code : NULL);

	switch (r) {
	case -EREMOTEIO: return web_reply_error(rep, status, c->err_code, "%s", c->err_message);
	case -EBADMSG:
	case -ENOBUFS:
		return web_reply_error(rep, status, "bad-reply", "kitchend sent a malformed reply to %s",
				       what);
	case -EPROTONOSUPPORT:
		return web_reply_error(rep, status, "bad-reply",
				       "kitchend speaks protocol %s, kitchen-web %s",
				       c && c->reply ? c->reply->other_version : "?", PROTO_VERSION);
	case -ETIMEDOUT:
		return web_reply_error(rep, status, "unavailable", "kitchend did not answer %s in time",
				       what);
	default:
		return web_reply_error(rep, status, "unavailable", "kitchend cannot be reached: %s",
				       strerror(-r));
	}
}
