#include "ctl.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bar.h"
#include "guard.h"
#include "term.h"
#include "util.h"

void ctl_finish(struct ctl *ctl)
{
	client_free(&ctl->client);
	if (ctl->zctx) {
		/* Every socket has ZMQ_LINGER 0, so this does not wait. */
		zmq_ctx_term(ctl->zctx);
		ctl->zctx = NULL;
	}
	freep(&ctl->control);
	freep(&ctl->control_system);
	freep(&ctl->events);
	if (ctl->curve)
		explicit_bzero(ctl->curve, sizeof(*ctl->curve));
	freep(&ctl->curve);
}

__attribute__((format(printf, 2, 0)))
static void vsay(int r, const char *fmt, va_list ap)
{
	/* Our own prefix, not log.h's: a CLI's errors read "kitchenctl: ...". */
	int saved = errno;

	errno = r < 0 ? -r : saved;
	bar_clear_current();
	fflush(stdout);
	fputs("kitchenctl: ", stderr);
	/* Messages hold kitchend's words (ERR): shown on a terminal, they are filtered. */
	term_vprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	errno = saved;
}

int ctl_error(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(r, fmt, ap);
	va_end(ap);
	return r;
}

void ctl_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(0, fmt, ap);
	va_end(ap);
}

int ctl_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(0, fmt, ap);
	va_end(ap);
	fputs("Usage: kitchenctl [OPTIONS] VERB [ARGS]...\n"
	      "Try 'kitchenctl --help' for the verbs, 'kitchenctl help VERB' for one.\n", stderr);
	return -EINVAL;
}

static int zctx_get(struct ctl *ctl)
{
	if (ctl->zctx)
		return 0;
	ctl->zctx = zmq_ctx_new();
	if (!ctl->zctx)
		return ctl_error(-errno, "failed to create a ZeroMQ context: %m");
	return 0;
}

/* The CURVE keys for a tcp:// @endpoint, when --server-key and --secret-key name them. */
static int curve_get(struct ctl *ctl, const char *endpoint, const struct keys_client **ret)
{
	char err[512];
	int r;

	*ret = NULL;
	if (!ctl->secret_key || !keys_endpoint_secured(endpoint))
		return 0;
	if (!ctl->curve) {
		ctl->curve = calloc(1, sizeof(*ctl->curve));
		if (!ctl->curve)
			return ctl_error(-ENOMEM, "%m");
		r = keys_client_load(ctl->server_key, ctl->secret_key, ctl->curve, err, sizeof(err));
		if (r < 0) {
			freep(&ctl->curve);
			ctl_error(r, "cannot use the CURVE keys: %s", err);
			return -EINVAL;
		}
	}
	*ret = ctl->curve;
	return 0;
}

/* Why an endpoint cannot be reached, as a user wants to read it. */
int ctl_unreachable(int r, const char *what, const char *endpoint)
{
	const char *path = client_ipc_path(endpoint);

	/* The control socket tells whether kitchend runs; a missing events
	 * socket beside a live control socket is more likely a wrong --events. */
	bool control = strcmp(what, "control") == 0;

	switch (r) {
	case -EINVAL:
		return ctl_error(r, "invalid %s endpoint '%s'", what, endpoint);
	case -ENOENT:
		if (control)
			ctl_error(r, "kitchend is not running (no socket at %s)", path);
		else
			ctl_error(r, "no %s socket at %s", what, path);
		break;
	case -ECONNREFUSED:
		if (control)
			ctl_error(r, "kitchend is not running (nobody listens on %s)", path);
		else
			ctl_error(r, "nobody listens on the %s socket %s", what, path);
		break;
	default:
		ctl_error(r, "cannot reach kitchend's %s endpoint %s: %m", what, endpoint);
		break;
	}
	return -EHOSTUNREACH;
}

/* "no socket at PATH" or "nobody listens on PATH", for a list of places looked at. */
static const char *looked(int r, const char *endpoint, char *buf, size_t size)
{
	const char *path = client_ipc_path(endpoint);

	snprintf(buf, size, "%s %s", r == -ECONNREFUSED ? "nobody listens on" : "no socket at",
		 path ? path : endpoint);
	return buf;
}

/* Neither the user's own control socket nor the system kitchend's is up. */
static int say_none_up(struct ctl *ctl, const int errs[2])
{
	char own[PATH_MAX + 32], sys[PATH_MAX + 32];
	bool sys_absent = errs[1] == -ENOENT || errs[1] == -ECONNREFUSED;

	if (errs[0] != -ENOENT && errs[0] != -ECONNREFUSED)
		return ctl_unreachable(errs[0], "control", ctl->control);
	looked(errs[0], ctl->control, own, sizeof(own));
	if (errs[0] == -ENOENT && errs[1] == -ENOENT)
		ctl_error(errs[0], "kitchend is not running (%s, nor at %s)", own,
			  client_ipc_path(ctl->control_system));
	else if (sys_absent)
		ctl_error(errs[0], "kitchend is not running (%s; %s)", own,
			  looked(errs[1], ctl->control_system, sys, sizeof(sys)));
	else
		ctl_error(errs[1], "kitchend is not running (%s), and the system kitchend's socket %s "
			  "cannot be used: %m%s", own, client_ipc_path(ctl->control_system),
			  errs[1] == -EACCES ? " (it is for the members of its group)" : "");
	return -EHOSTUNREACH;
}

/* Settle which control endpoint to use: the first that is up, waiting a little. */
static int find_control(struct ctl *ctl)
{
	const char *eps[2] = { ctl->control, ctl->control_system };
	size_t n = ctl->control_system ? 2 : 1;
	uint64_t wait_ms = ctl->timeout_ms < CTL_APPEAR_MS ? ctl->timeout_ms : CTL_APPEAR_MS;
	int errs[2] = { 0, 0 }, i;

	i = client_find_ipc(eps, n, wait_ms, errs);
	if (i == 1) {
		free(ctl->control);
		ctl->control = TAKE_PTR(ctl->control_system);
	}
	if (i >= 0)
		return 0;
	if (n == 1)
		return ctl_unreachable(errs[0], "control", ctl->control);
	return say_none_up(ctl, errs);
}

int ctl_connect(struct ctl *ctl)
{
	const struct keys_client *curve;
	int r;

	if (ctl->client)
		return 0;
	r = find_control(ctl);
	if (r < 0)
		return r;
	r = curve_get(ctl, ctl->control, &curve);
	if (r < 0)
		return r;
	r = zctx_get(ctl);
	if (r < 0)
		return r;
	r = client_new(ctl->zctx, ctl->control, ctl->timeout_ms, curve, &ctl->client);
	if (r < 0)
		return ctl_unreachable(r, "control", ctl->control);
	return 0;
}

uint64_t ctl_deadline_left(const struct ctl *ctl)
{
	uint64_t now = now_ms();

	if (!ctl->deadline_ms)
		return UINT64_MAX;
	return now < ctl->deadline_ms ? ctl->deadline_ms - now : 0;
}

int ctl_deadline_passed(const struct ctl *ctl)
{
	return ctl_error(-ETIME, "the --deadline (%s) passed", ctl->deadline);
}

int ctl_request(struct ctl *ctl, enum proto_cmd cmd, const char *const *args, size_t n_args,
		uint64_t extra_ms, const struct proto_msg **ret_reply)
{
	_cleanup_free_ struct proto_field *fields = calloc(n_args ? n_args : 1, sizeof(*fields));

	if (!fields)
		return ctl_error(-ENOMEM, "%m");
	for (size_t i = 0; i < n_args; i++)
		fields[i] = (struct proto_field) { args[i], strlen(args[i]) };
	return ctl_request_fields(ctl, cmd, fields, n_args, extra_ms, ret_reply);
}

int ctl_request_fields(struct ctl *ctl, enum proto_cmd cmd, const struct proto_field *fields, size_t n,
		       uint64_t extra_ms, const struct proto_msg **ret_reply)
{
	uint64_t wait_ms = ctl->timeout_ms + extra_ms, left = ctl_deadline_left(ctl);
	bool cut = left < wait_ms;
	int r;

	if (left == 0)
		return ctl_deadline_passed(ctl);
	r = ctl_connect(ctl);
	if (r < 0)
		return r;
	r = client_call_fields(ctl->client, cmd, fields, n, cut ? left : wait_ms);
	if (r == -ETIMEDOUT && cut)
		return ctl_deadline_passed(ctl);
	if (r < 0)
		return ctl_call_failed(ctl, ctl->client, cmd, r);
	*ret_reply = ctl->client->reply;
	return 0;
}

int ctl_call_failed(const struct ctl *ctl, const struct client *c, enum proto_cmd cmd, int r)
{
	switch (r) {
	case -ETIMEDOUT:
		return ctl_error(r, "kitchend did not answer within %llu ms at %s%s",
				 (unsigned long long) ctl->timeout_ms, ctl->control,
				 keys_endpoint_secured(ctl->control) && !ctl->curve ?
				 " (if it uses CURVE, give --server-key and --secret-key)" : "");
	case -EREMOTEIO:
		return ctl_error(r, "%s (%s)", c->err_message, c->err_code);
	case -ECONNRESET:
		/* Only an ORDER without a key is not sent again (client.h). */
		return ctl_error(r, "kitchend went away before it answered the %s: it may have taken it "
				 "(see kitchenctl list); an order with --key is safe to place again",
				 proto_cmd_name(cmd));
	case -EBADMSG:
		return ctl_bad_reply(r, cmd);
	case -ENOBUFS:
		return ctl_error(r, "kitchend's reply to %s is larger than the protocol allows "
				 "(over %llu MiB): dropped", proto_cmd_name(cmd), GUARD_MAX_BYTES >> 20);
	case -EPROTONOSUPPORT:
		return ctl_error(r, "kitchend speaks protocol %s, this kitchenctl %s: upgrade them together",
				 c->reply->other_version, PROTO_VERSION);
	default:
		return ctl_error(r, "%s request to kitchend failed: %m", proto_cmd_name(cmd));
	}
}

int ctl_bad_reply(int r, enum proto_cmd cmd)
{
	if (r == -EBADMSG)
		return ctl_error(r, "kitchend sent a malformed reply to %s", proto_cmd_name(cmd));
	return ctl_error(r, "failed to read the reply to %s: %m", proto_cmd_name(cmd));
}

/* The events endpoint: beside an ipc control socket, else as kitchend
 * says in STATUS (client_events_endpoint()). Failures said. */
static int events_endpoint(struct ctl *ctl, char **ret)
{
	const struct proto_msg *m;
	const struct proto_field *f;
	_cleanup_free_ char *announced = NULL;
	int r;

	r = client_events_endpoint(ctl->control, NULL, ret);
	if (r != -ENOENT)
		return r < 0 ? ctl_error(r, "failed to find the events endpoint: %m") : 0;
	r = ctl_request(ctl, PROTO_STATUS, NULL, 0, 0, &m);
	if (r < 0)
		return r;
	f = m->n_fields > PROTO_STATUS_EVENTS ? &m->fields[PROTO_STATUS_EVENTS] : NULL;
	if (!f || f->len == 0 || !proto_text_valid(f->data, f->len, false))
		return ctl_bad_reply(-EBADMSG, PROTO_STATUS);
	announced = strndup(f->data, f->len);
	if (!announced || client_events_endpoint(ctl->control, announced, ret) < 0)
		return ctl_error(-ENOMEM, "failed to find the events endpoint: %m");
	return 0;
}

int ctl_follow(struct ctl *ctl, struct follow **ret)
{
	const struct keys_client *curve;
	int r;

	if (!ctl->events && (r = events_endpoint(ctl, &ctl->events)) < 0)
		return r;
	r = curve_get(ctl, ctl->events, &curve);
	if (r < 0)
		return r;
	r = zctx_get(ctl);
	if (r < 0)
		return r;
	r = follow_new(ctl->zctx, ctl->events, curve, ret);
	if (r < 0)
		return ctl_unreachable(r, "events", ctl->events);
	ctl->follow_wall_ms = wall_ms();
	return 0;
}
