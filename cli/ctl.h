/*
 * ctl — what every kitchenctl verb gets: the options, the connections, and
 * the one place that turns a failure into a message and an exit status.
 *
 * Verbs return 0 or a negative errno, after saying what went wrong on stderr
 * ("kitchenctl: ..."). main() maps the errno to kitchenctl(1)'s exit status:
 *
 *	0             0  success
 *	-EINVAL       2  usage error: bad option, argument or endpoint; an order
 *	                 kitchend would refuse as a bad request
 *	-ETIMEDOUT    3  kitchend did not answer within --timeout
 *	-ETIME        3  ... nor before the --deadline
 *	-EHOSTUNREACH 3  kitchend is not running / cannot be reached
 *	-EINPROGRESS  4  orders accepted, not waited for to the end: kitchend was
 *	                 lost or would not wait (ERR full, closing), or the
 *	                 --deadline passed; they are kept, `kitchenctl wait` them
 *	anything else 1  refused (ERR reply: -EREMOTEIO), a dish failed, a bad reply
 *
 * 4 wins over 1: an outcome still to come may be the one that matters.
 *
 * Connections are made on first use, so `kitchenctl --help` or a usage error
 * never touches a socket.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "keys.h"
#include "follow.h"
#include "proto.h"

enum order_mode {
	ORDER_PLAIN,    /* print the order id and leave */
	ORDER_WAIT,     /* --wait */
	ORDER_FOLLOW,   /* --follow */
};

struct ctl {
	/* Global options. */
	char *control;            /* endpoint */
	char *control_system;     /* the system kitchend's, used when control (a non-root
	                           * user's default) is not up; NULL: control alone */
	char *events;             /* endpoint; NULL: found by ctl_follow() */
	bool json;
	uint64_t timeout_ms;
	const char *server_key;   /* --server-key FILE: CURVE on tcp:// endpoints, or NULL */
	const char *secret_key;   /* --secret-key FILE, set with server_key */
	/* `keygen` options. */
	const char *key_dir;      /* --dir, or NULL: the current directory */
	/* Waiting: `order --wait/--follow`, `wait`, `follow`. */
	uint64_t deadline_ms;     /* --deadline, as a now_ms() time; 0: none */
	uint64_t follow_wall_ms;  /* wall clock when ctl_follow() subscribed: orders made since are ours */
	const char *deadline;     /* as given, for messages */
	/* `order` options. */
	enum order_mode order_mode;
	bool many_orders;         /* waiting for or following more than one: O- lines name theirs */
	uint64_t random;          /* --random N; 0: dishes from the command line */
	const char *key;          /* --key, or NULL (also of `list`) */
	uint64_t priority;        /* --priority; PROTO_PRIORITY_DEFAULT unless given */
	uint64_t due_ms;          /* --at or --in, as a wall_ms() time; 0: at once */
	const char *input;        /* --input TEXT: every dish's input; NULL: none ("") */
	const char *inputs;       /* --inputs FILE ("-": stdin): a dish per line; or NULL */
	/* `order --wait` and `wait` options. */
	bool output;              /* --output: the dishes' outputs (OUTPUT), raw, in order */
	/* `purge` and `list` options. */
	const char *dish;         /* --dish, or NULL: every dish */
	bool yes;                 /* --yes: do not ask (purge) */
	bool retry_failed;        /* --failed: retry every failed order (of --dish, --since, --until) */
	/* `list` options. */
	const char *list_state;   /* --state, or NULL */
	uint64_t list_since_ms;   /* --since, wall clock; 0: none */
	uint64_t list_until_ms;   /* --until; 0: none */
	uint64_t list_limit;      /* --limit */
	uint64_t list_after;      /* --after CURSOR; 0: from the newest */

	void *zctx;
	struct client *client;
	struct keys_client *curve;   /* read from the two files on first connect */
};

void ctl_finish(struct ctl *ctl);

/* "kitchenctl: <message>\n" on stderr; %m is @r's error. Returns @r. */
int ctl_error(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for news that is no error ("order 42 accepted"). */
void ctl_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the message, then a hint at --help. Returns -EINVAL. */
int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The defaults of --timeout and list's --limit. */
#define CTL_TIMEOUT_MS_DEFAULT 3000
#define CTL_LIST_LIMIT_DEFAULT 20

/*
 * How long kitchenctl waits for a control socket that is not there (yet):
 * a kitchend started just before binds it a moment later. At most --timeout.
 */
#define CTL_APPEAR_MS 2000

/*
 * Connect to the control endpoint now (ctl_request() does when need be):
 * the first of control and control_system that is up, waiting up to
 * CTL_APPEAR_MS for one (client_find_ipc()); when none is, say where it
 * looked (-EHOSTUNREACH).
 */
int ctl_connect(struct ctl *ctl);
/* Say why kitchend's @what ("control", "events") endpoint could not be
 * reached (client_new()'s @r: -ENOENT "kitchend is not running", ...):
 * -EHOSTUNREACH (exit 3), or -EINVAL for an endpoint libzmq refuses. */
int ctl_unreachable(int r, const char *what, const char *endpoint);

/*
 * Send @cmd with @n_args text fields to kitchend's control endpoint (connect
 * first if need be) and wait --timeout plus @extra_ms for the reply, or
 * until the --deadline if that comes first (-ETIME).
 * 0 with the OK reply in *ret_reply (valid until the next request); else
 * the failure is said on stderr and returned as in the table above.
 */
int ctl_request(struct ctl *ctl, enum proto_cmd cmd, const char *const *args, size_t n_args,
		uint64_t extra_ms, const struct proto_msg **ret_reply);
/* The same with fields of bytes (NUL bytes and all): ORDER's inputs. */
int ctl_request_fields(struct ctl *ctl, enum proto_cmd cmd, const struct proto_field *fields, size_t n,
		       uint64_t extra_ms, const struct proto_msg **ret_reply);

/* Say why a request @cmd on @c failed with @r (< 0, as client_call_fields()
 * returns it), as ctl_request() does. Returns @r, or the exit status's errno. */
int ctl_call_failed(const struct ctl *ctl, const struct client *c, enum proto_cmd cmd, int r);

/* Milliseconds left before the --deadline: UINT64_MAX without one, 0 once passed. */
uint64_t ctl_deadline_left(const struct ctl *ctl);
/* Say that the --deadline passed. Returns -ETIME. */
int ctl_deadline_passed(const struct ctl *ctl);

/* Say that a reply to @cmd did not decode (r: -EBADMSG or -ENOMEM). Returns r. */
int ctl_bad_reply(int r, enum proto_cmd cmd);

/* A subscriber on the events endpoint: --events, $KITCHEN_EVENTS, or
 * events.sock beside an ipc:// control socket, else the one kitchend names
 * in STATUS (client_events_endpoint()). Failures said, as above. */
int ctl_follow(struct ctl *ctl, struct follow **ret);
