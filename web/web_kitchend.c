#include "web_kitchend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "paths.h"
#include "util.h"
#include "web_config.h"

static int default_control(char **ret, char *err, size_t err_size)
{
	_cleanup_free_ char *dir = NULL;
	char why[256];
	int r;

	r = paths_default_runtime_dir(&dir);
	if (r < 0)
		return r;
	r = paths_check_trusted(dir, why, sizeof(why));
	if (r < 0 && r != -ENOENT) {
		snprintf(err, err_size, "not using the control socket in %s: %s; set control", dir, why);
		return -EINVAL;
	}
	return paths_ipc_endpoint(dir, "control", ret);
}

/* kitchend's events endpoint from STATUS (client_events_endpoint()); left
 * NULL when kitchend does not answer now. */
static void ask_events(struct web_kitchend *k)
{
	_cleanup_free_ char *announced = NULL;
	struct client *c = NULL;
	const struct proto_field *f;

	if (web_kitchend_call(k, PROTO_STATUS, NULL, 0, 0, &c) == 0 && c->reply->n_fields > PROTO_STATUS_EVENTS) {
		f = &c->reply->fields[PROTO_STATUS_EVENTS];
		if (f->len > 0 && proto_text_valid(f->data, f->len, false) && (announced = strndup(f->data, f->len)))
			(void) client_events_endpoint(k->control, announced, &k->events);
	}
	client_free(&c);
}

int web_kitchend_new(const struct web_config *cfg, struct web_kitchend **ret, char *err, size_t err_size)
{
	struct web_kitchend *k = calloc(1, sizeof(*k));
	int r = -ENOMEM;

	if (!k)
		goto fail;
	k->timeout_ms = cfg->timeout_ms;
	if (cfg->control)
		k->control = strdup(cfg->control);
	else if ((r = default_control(&k->control, err, err_size)) < 0)
		goto fail;
	if (!k->control)
		goto fail;
	if (cfg->events)
		k->events = strdup(cfg->events);
	else if (client_events_endpoint(k->control, NULL, &k->events) == -ENOMEM)
		goto fail;  /* -ENOENT: not beside control; asked below */
	if (cfg->events && !k->events)
		goto fail;
	if (!cfg->server_key != !cfg->secret_key) {
		snprintf(err, err_size, "CURVE needs both curve.server_key and curve.secret_key");
		r = -EINVAL;
		goto fail;
	}
	if (cfg->secret_key) {
		k->curve = calloc(1, sizeof(*k->curve));
		if (!k->curve)
			goto fail;
		r = keys_client_load(cfg->server_key, cfg->secret_key, k->curve, err, err_size);
		if (r < 0)
			goto fail;
	}
	k->zctx = zmq_ctx_new();
	if (!k->zctx) {
		r = -errno;
		goto fail;
	}
	if (!k->events)
		ask_events(k);
	*ret = k;
	return 0;
fail:
	if (r == -ENOMEM && err_size)
		snprintf(err, err_size, "%s", strerror(ENOMEM));
	web_kitchend_free(&k);
	return r;
}

void web_kitchend_free(struct web_kitchend **kp)
{
	struct web_kitchend *k;

	if (!kp || !*kp)
		return;
	k = *kp;
	/* Every socket has ZMQ_LINGER 0, so this does not wait. */
	if (k->zctx)
		zmq_ctx_term(k->zctx);
	free(k->control);
	free(k->events);
	if (k->curve)
		explicit_bzero(k->curve, sizeof(*k->curve));
	free(k->curve);
	free(k);
	*kp = NULL;
}

int web_kitchend_call(struct web_kitchend *k, enum proto_cmd cmd, const char *const *args, size_t n_args,
		      uint64_t extra_ms, struct client **ret)
{
	struct client *c = NULL;
	int r;

	*ret = NULL;
	r = client_new(k->zctx, k->control, k->timeout_ms, k->curve, &c);
	if (r < 0)
		return r;
	r = client_call(c, cmd, args, n_args, k->timeout_ms + extra_ms);
	*ret = c;
	return r;
}

unsigned web_kitchend_http_status(int r, const char *err_code)
{
	static const struct {
		const char *code;
		unsigned status;
	} codes[] = {
		{ PROTO_ERR_BAD_CONFIG, 500 },   { PROTO_ERR_BAD_REQUEST, 400 },
		{ PROTO_ERR_CLOSING, 503 },      { PROTO_ERR_FINISHED, 409 },
		{ PROTO_ERR_FULL, 503 },         { PROTO_ERR_INTERNAL, 500 },
		{ PROTO_ERR_KEY_REUSED, 409 },   { PROTO_ERR_NOT_FOUND, 404 },
		{ PROTO_ERR_UNKNOWN_DISH, 400 },
	};

	if (r == -EREMOTEIO) {
		for (size_t i = 0; err_code && i < ELEMENTSOF(codes); i++)
			if (strcmp(codes[i].code, err_code) == 0)
				return codes[i].status;
		return 502;
	}
	if (r == -EBADMSG || r == -EPROTONOSUPPORT || r == -ENOBUFS)
		return 502;
	return 503;
}
