#include "reply.h"

#include <stdarg.h>
#include <stdio.h>

#include "kitchen.h"
#include "log.h"

static void begin_version(struct kitchen *k, struct proto_out *out, enum proto_cmd cmd,
			  const void *rid, size_t rid_len, const char *version)
{
	proto_out_begin_version(out, k->control, cmd, version);
	proto_out_env(out, rid, rid_len);
	proto_out_env(out, "", 0);
}

void reply_begin(struct kitchen *k, struct proto_out *out, enum proto_cmd cmd, const void *rid, size_t rid_len)
{
	begin_version(k, out, cmd, rid, rid_len, PROTO_VERSION);
}

void reply_end(struct proto_out *out)
{
	int r = proto_out_end(out, ZMQ_DONTWAIT);

	/* The client may have given up and gone: nothing to do about it. */
	if (r < 0)
		log_debug_errno(r, "Failed to answer a control request: %m");
}

void reply_err(struct kitchen *k, const void *rid, size_t rid_len, const char *code, const char *fmt, ...)
{
	struct proto_out out;
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reply_begin(k, &out, PROTO_ERR, rid, rid_len);
	proto_out_str(&out, code);
	proto_out_str(&out, text);
	reply_end(&out);
}

void reply_refused(struct kitchen *k, const struct proto_msg *m)
{
	struct proto_out out;
	char text[128];

	/* A REQ client waits for an answer: give it one if we can. */
	if (m->n_env != 2 || m->env[1].len != 0)
		return;
	snprintf(text, sizeof(text), "malformed request (this kitchend speaks %s%s%s)", PROTO_VERSION,
		 m->other_version[0] ? ", not " : "", m->other_version);
	begin_version(k, &out, PROTO_ERR, m->env[0].data, m->env[0].len,
		      m->other_version[0] ? m->other_version : PROTO_VERSION);
	proto_out_str(&out, PROTO_ERR_BAD_REQUEST);
	proto_out_str(&out, text);
	reply_end(&out);
}
