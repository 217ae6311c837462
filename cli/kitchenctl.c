/*
 * kitchenctl — order dishes from kitchend and ask how the kitchen is doing.
 *
 * parse_argv() turns the command line into a struct ctl and the verb with its
 * arguments; run() finds the verb in the sorted table and calls it. The
 * manual is docs/man/kitchenctl.1.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "help.h"
#include "kitchen-build.h"
#include "paths.h"
#include "proto.h"
#include "suggest.h"
#include "util.h"
#include "verbs.h"
#include "when.h"

#define MAX_TIMEOUT_MS     86400000   /* a day: anything longer is a typo */
#define MAX_RANDOM         1000000
#define MAX_DEADLINE_MS    (30ull * 86400000)   /* 30 days */
#define MAX_LIST_LIMIT     1000000

struct verb {
	const char *name;
	size_t min_args;
	size_t max_args;
	int (*run)(struct ctl *ctl, char **args, size_t n_args);
};

static int verb_help(struct ctl *ctl, char **args, size_t n_args);

/* Sorted by name: run() looks verbs up with bsearch(). */
static const struct verb verbs[] = {
	{ "cancel", 1, SIZE_MAX, verb_cancel },
	{ "chefs",  0, 0,        verb_chefs },
	{ "drain",  0, 0,        verb_drain },
	{ "follow", 1, SIZE_MAX, verb_follow },
	{ "help",   0, 1,        verb_help },
	{ "keygen", 1, 1,        verb_keygen },
	{ "list",   0, 0,        verb_list },
	{ "menu",   0, 0,        verb_menu },
	{ "metrics", 0, 0,       verb_metrics },
	{ "order",  0, SIZE_MAX, verb_order },
	{ "purge",  0, 0,        verb_purge },
	{ "reload", 0, 0,        verb_reload },
	{ "retry",  0, SIZE_MAX, verb_retry },
	{ "show",   1, 1,        verb_show },
	{ "status", 0, 0,        verb_status },
	{ "wait",   1, SIZE_MAX, verb_wait },
};

static int verb_compare(const void *key, const void *elem)
{
	return strcmp(key, ((const struct verb *) elem)->name);
}

/* A usage error for @name, with the verb it may have meant. */
static int unknown_verb(const char *name)
{
	const char *names[ELEMENTSOF(verbs)];
	const char *meant;

	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		names[i] = verbs[i].name;
	meant = suggest_closest(name, names, ELEMENTSOF(names));
	if (meant)
		return ctl_usage("unknown verb '%s'; did you mean '%s'?", name, meant);
	return ctl_usage("unknown verb '%s'", name);
}

/* `help [VERB]`, `--help` and `VERB --help`: never a socket touched. */
static int verb_help(struct ctl *ctl, char **args, size_t n_args)
{
	if (n_args == 0) {
		help_global();
		return 0;
	}
	if (help_verb(args[0]) < 0)
		return unknown_verb(args[0]);
	return 0;
}

static int set_string(char **dst, const char *src)
{
	char *s = strdup(src);

	if (!s)
		return ctl_error(-ENOMEM, "%m");
	free(*dst);
	*dst = s;
	return 0;
}

/*
 * The user's own kitchend's control socket (paths.h), and for a user who is
 * not root the system kitchend's besides: a member of its group runs no
 * kitchend of their own, and ctl_connect() turns to it when theirs is not up.
 */
static int default_control(struct ctl *ctl)
{
	_cleanup_free_ char *dir = NULL;
	char why[512];
	int r;

	r = paths_default_runtime_dir(&dir);
	if (r < 0)
		return ctl_error(r, "cannot find the default runtime directory: %m");
	/* /tmp/kitchen-UID may be anyone's: talk to a socket there only when
	 * told to. root's /run/kitchen is the unit's (the kitchen user's). */
	if (geteuid() != 0) {
		r = paths_check_trusted(dir, why, sizeof(why));
		if (r < 0 && r != -ENOENT) {
			ctl_error(r, "not using the control socket in %s: %s; give --control or $KITCHEN_CONTROL "
				  "to use it anyway", dir, why);
			return -EINVAL;
		}
	}
	r = paths_ipc_endpoint(dir, "control", &ctl->control);
	if (r >= 0 && geteuid() != 0)
		r = paths_ipc_endpoint(PATHS_SYSTEM_RUNTIME_DIR, "control", &ctl->control_system);
	if (r < 0)
		return ctl_error(r, "%m");
	return 0;
}

/*
 * Fill @ctl from the command line and the environment; the verb and its
 * arguments are left at (*ret_args)[0..*ret_n_args). Returns 1 to go on,
 * 0 when done already (--help, --version), -EINVAL for a usage error.
 * Options may come anywhere (an argument after "--" is never an option), so
 * `kitchenctl show 42 --json` works as users expect.
 */
/* The short options: -h --help, -j --json, -w --wait, -f --follow, -y --yes,
 * -n --limit, -p --priority. The leading "-": positional arguments come back
 * as 1, in order, whatever POSIXLY_CORRECT says. */
#define SHORT_OPTIONS "-hjwfyn:p:"

static int parse_argv(int argc, char **argv, struct ctl *ctl, char ***ret_args, size_t *ret_n_args)
{
	enum {
		ARG_VERSION = 0x100,
		ARG_CONTROL,
		ARG_EVENTS,
		ARG_TIMEOUT,
		ARG_RANDOM,
		ARG_KEY,
		ARG_SERVER_KEY,
		ARG_SECRET_KEY,
		ARG_DIR,
		ARG_DEADLINE,
		ARG_STATE,
		ARG_DISH,
		ARG_SINCE,
		ARG_UNTIL,
		ARG_AFTER,
		ARG_FAILED,
		ARG_AT,
		ARG_IN,
		ARG_INPUT,
		ARG_INPUTS,
		ARG_OUTPUT,
	};
	static const struct option options[] = {
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, ARG_VERSION },
		{ "control", required_argument, NULL, ARG_CONTROL },
		{ "events",  required_argument, NULL, ARG_EVENTS },
		{ "json",    no_argument,       NULL, 'j' },
		{ "timeout", required_argument, NULL, ARG_TIMEOUT },
		{ "wait",    no_argument,       NULL, 'w' },
		{ "follow",  no_argument,       NULL, 'f' },
		{ "random",  required_argument, NULL, ARG_RANDOM },
		{ "key",     required_argument, NULL, ARG_KEY },
		{ "server-key", required_argument, NULL, ARG_SERVER_KEY },
		{ "secret-key", required_argument, NULL, ARG_SECRET_KEY },
		{ "dir",     required_argument, NULL, ARG_DIR },
		{ "deadline", required_argument, NULL, ARG_DEADLINE },
		{ "state",   required_argument, NULL, ARG_STATE },
		{ "dish",    required_argument, NULL, ARG_DISH },
		{ "since",   required_argument, NULL, ARG_SINCE },
		{ "until",   required_argument, NULL, ARG_UNTIL },
		{ "limit",   required_argument, NULL, 'n' },
		{ "after",   required_argument, NULL, ARG_AFTER },
		{ "yes",     no_argument,       NULL, 'y' },
		{ "failed",  no_argument,       NULL, ARG_FAILED },
		{ "priority", required_argument, NULL, 'p' },
		{ "at",      required_argument, NULL, ARG_AT },
		{ "in",      required_argument, NULL, ARG_IN },
		{ "input",   required_argument, NULL, ARG_INPUT },
		{ "inputs",  required_argument, NULL, ARG_INPUTS },
		{ "output",  no_argument,       NULL, ARG_OUTPUT },
		{}
	};
	const char *order_option = NULL;  /* one given, for the error if the verb is not order */
	bool dir_given = false;           /* likewise for keygen's --dir */
	const char *list_option = NULL;   /* likewise for list's */
	const char *window_option = NULL; /* list's --since, --until: retry --failed's too */
	const char *purge_option = NULL;  /* and for purge's */
	const char *due_option = NULL;    /* --at or --in, given once */
	bool want_help = false;           /* -h: the help of the verb given, if any */
	char **args;
	size_t n = 0;
	const char *e;
	int c, r;

	/* argv[0] is not kept, so argc slots hold every positional argument. */
	args = calloc((size_t) argc, sizeof(*args));
	if (!args)
		return ctl_error(-ENOMEM, "%m");
	*ret_args = args;

	ctl->timeout_ms = CTL_TIMEOUT_MS_DEFAULT;
	ctl->list_limit = CTL_LIST_LIMIT_DEFAULT;
	ctl->priority = PROTO_PRIORITY_DEFAULT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, SHORT_OPTIONS, options, NULL)) >= 0) {
		switch (c) {
		case 1:
			args[n++] = optarg;
			break;
		case 'h':
			want_help = true;
			break;
		case ARG_VERSION:
			printf("kitchenctl %s\n", KITCHEN_VERSION);
			return 0;
		case ARG_CONTROL:
			if (!*optarg)
				return ctl_usage("--control needs an endpoint");
			r = set_string(&ctl->control, optarg);
			if (r < 0)
				return r;
			break;
		case ARG_EVENTS:
			if (!*optarg)
				return ctl_usage("--events needs an endpoint");
			r = set_string(&ctl->events, optarg);
			if (r < 0)
				return r;
			break;
		case 'j':
			ctl->json = true;
			break;
		case ARG_TIMEOUT:
			if (parse_u64(optarg, 1, MAX_TIMEOUT_MS, &ctl->timeout_ms) < 0)
				return ctl_usage("invalid --timeout '%s': milliseconds, 1 to %d",
						 optarg, MAX_TIMEOUT_MS);
			break;
		case 'w':
		case 'f':
			if (ctl->order_mode != ORDER_PLAIN &&
			    ctl->order_mode != (c == 'w' ? ORDER_WAIT : ORDER_FOLLOW))
				return ctl_usage("--wait and --follow exclude each other");
			ctl->order_mode = c == 'w' ? ORDER_WAIT : ORDER_FOLLOW;
			order_option = c == 'w' ? "--wait" : "--follow";
			break;
		case ARG_RANDOM:
			if (parse_u64(optarg, 1, MAX_RANDOM, &ctl->random) < 0)
				return ctl_usage("invalid --random '%s': a number of customers, 1 to %d",
						 optarg, MAX_RANDOM);
			order_option = "--random";
			break;
		case ARG_KEY:
			/* "" is no key on the wire; the rest is checked as kitchend would. */
			if (!*optarg)
				return ctl_usage("--key needs a key");
			ctl->key = optarg;
			break;
		case ARG_SERVER_KEY:
		case ARG_SECRET_KEY:
			if (!*optarg)
				return ctl_usage("%s needs a file", c == ARG_SERVER_KEY ? "--server-key" : "--secret-key");
			if (c == ARG_SERVER_KEY)
				ctl->server_key = optarg;
			else
				ctl->secret_key = optarg;
			break;
		case ARG_DEADLINE:
			if (when_duration(optarg, MAX_DEADLINE_MS, &ctl->deadline_ms) < 0)
				return ctl_usage("invalid --deadline '%s': a duration such as 1500ms, 30s, 5m "
						 "or 2h (plain: seconds), at most 30 days", optarg);
			/* From now: the whole run, ordering included. */
			ctl->deadline_ms += now_ms();
			ctl->deadline = optarg;
			break;
		case ARG_STATE:
			ctl->list_state = optarg;
			list_option = "--state";
			break;
		case ARG_SINCE:
		case ARG_UNTIL:
			if (when_moment(optarg, wall_ms(), c == ARG_UNTIL,
					c == ARG_SINCE ? &ctl->list_since_ms : &ctl->list_until_ms) < 0)
				return ctl_usage("invalid %s '%s': a date and time such as 2026-12-06 or "
						 "2026-12-06T10:00:00 (local time, or with Z or +01:00), @EPOCH_SECONDS, "
						 "or a duration ago such as 30m, 2h or 7d",
						 c == ARG_SINCE ? "--since" : "--until", optarg);
			/* 0 is none on the wire: the epoch itself is the same as no bound. */
			window_option = c == ARG_SINCE ? "--since" : "--until";
			break;
		case 'n':
			if (parse_u64(optarg, 1, MAX_LIST_LIMIT, &ctl->list_limit) < 0)
				return ctl_usage("invalid --limit '%s': a number of orders, 1 to %d", optarg,
						 MAX_LIST_LIMIT);
			list_option = "--limit";
			break;
		case ARG_AFTER:
			if (parse_u64(optarg, 1, UINT64_MAX, &ctl->list_after) < 0)
				return ctl_usage("invalid --after '%s': the cursor a list printed", optarg);
			list_option = "--after";
			break;
		case 'p':
			if (parse_u64(optarg, PROTO_PRIORITY_MIN, PROTO_PRIORITY_MAX, &ctl->priority) < 0)
				return ctl_usage("invalid --priority '%s': a number from %d (last) to %d (first)",
						 optarg, PROTO_PRIORITY_MIN, PROTO_PRIORITY_MAX);
			order_option = "--priority";
			break;
		case ARG_AT:
		case ARG_IN:
			if (due_option)
				return ctl_usage("--at and --in exclude each other, and each is given once");
			due_option = c == ARG_AT ? "--at" : "--in";
			if (c == ARG_AT && when_at(optarg, &ctl->due_ms) < 0)
				return ctl_usage("invalid --at '%s': a time such as 2026-12-06T18:30:00 (local), "
						 "2026-12-06T17:30:00Z or 2026-12-06T18:30:00+01:00", optarg);
			if (c == ARG_IN) {
				if (when_duration(optarg, MAX_DEADLINE_MS, &ctl->due_ms) < 0)
					return ctl_usage("invalid --in '%s': a duration such as 1500ms, 30s, 5m "
							 "or 2h (plain: seconds), at most 30 days", optarg);
				ctl->due_ms += wall_ms();
			}
			order_option = due_option;
			break;
		case ARG_INPUT:
			/* "" is an input too: the empty one, as without --input. */
			ctl->input = optarg;
			order_option = "--input";
			break;
		case ARG_INPUTS:
			if (!*optarg)
				return ctl_usage("--inputs needs a file, or - for standard input");
			ctl->inputs = optarg;
			order_option = "--inputs";
			break;
		case ARG_OUTPUT:
			ctl->output = true;
			break;
		case ARG_DIR:
			if (!*optarg)
				return ctl_usage("--dir needs a directory");
			ctl->key_dir = optarg;
			dir_given = true;
			break;
		case ARG_DISH:
			if (!*optarg)
				return ctl_usage("--dish needs a dish name");
			ctl->dish = optarg;  /* purge's and list's */
			break;
		case 'y':
			ctl->yes = true;
			purge_option = "--yes";
			break;
		case ARG_FAILED:
			ctl->retry_failed = true;
			break;
		case '?':
			if (optopt == 0)
				return ctl_usage("unknown option '%s'", argv[optind - 1]);
			if (optopt < 0x100 && strchr(SHORT_OPTIONS, optopt))
				return ctl_usage("option '-%c' needs an argument", optopt);
			if (optopt < 0x100)
				return ctl_usage("unknown option '-%c'", optopt);
			if (strchr(argv[optind - 1], '='))
				return ctl_usage("option '%s' takes no argument", argv[optind - 1]);
			return ctl_usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			return ctl_usage("unexpected option");
		}
	}
	/* After "--": all positional. */
	while (optind < argc)
		args[n++] = argv[optind++];

	if (want_help) {
		/* "kitchenctl order --help", "kitchenctl -h", "kitchenctl help order -h", "kitchenctl help -h". */
		bool named = n > 1 && strcmp(args[0], "help") == 0;

		r = verb_help(ctl, args + named, n > 0 ? 1 : 0);
		return r < 0 ? r : 0;
	}
	if (n == 0)
		return ctl_usage("no verb given (one of: cancel chefs drain follow help keygen list menu metrics order "
				 "purge reload retry show status wait)");
	/* Before any option's checks and any endpoint: a typo is said as such. */
	if (!bsearch(args[0], verbs, ELEMENTSOF(verbs), sizeof(verbs[0]), verb_compare))
		return unknown_verb(args[0]);
	if (order_option && strcmp(args[0], "order") != 0)
		return ctl_usage("%s is an option of 'order', not of '%s'", order_option, args[0]);
	if (ctl->key && strcmp(args[0], "order") != 0 && strcmp(args[0], "list") != 0)
		return ctl_usage("--key is an option of 'order' and 'list', not of '%s'", args[0]);
	if (ctl->retry_failed && strcmp(args[0], "retry") != 0)
		return ctl_usage("--failed is an option of 'retry', not of '%s'", args[0]);
	if (list_option && strcmp(args[0], "list") != 0)
		return ctl_usage("%s is an option of 'list', not of '%s'", list_option, args[0]);
	if (window_option && strcmp(args[0], "list") != 0 && !ctl->retry_failed)
		return ctl_usage("%s is an option of 'list' and 'retry --failed', not of '%s'", window_option, args[0]);
	if (ctl->deadline && strcmp(args[0], "wait") != 0 && strcmp(args[0], "follow") != 0 &&
	    (strcmp(args[0], "order") != 0 || ctl->order_mode == ORDER_PLAIN))
		return ctl_usage("--deadline is an option of 'order --wait', 'order --follow', 'wait' and 'follow'");
	if (ctl->output && strcmp(args[0], "wait") != 0 &&
	    (strcmp(args[0], "order") != 0 || ctl->order_mode != ORDER_WAIT))
		return ctl_usage("--output is an option of 'order --wait' and 'wait'");
	if (purge_option && strcmp(args[0], "purge") != 0)
		return ctl_usage("%s is an option of 'purge', not of '%s'", purge_option, args[0]);
	if (ctl->dish && strcmp(args[0], "purge") != 0 && strcmp(args[0], "list") != 0 && !ctl->retry_failed)
		return ctl_usage("--dish is an option of 'purge', 'list' and 'retry --failed', not of '%s'", args[0]);
	if (dir_given && strcmp(args[0], "keygen") != 0)
		return ctl_usage("--dir is an option of 'keygen', not of '%s'", args[0]);
	/* Help needs no kitchend, nor keys and endpoints. */
	if (strcmp(args[0], "help") == 0) {
		*ret_n_args = n;
		return 1;
	}
	if (!ctl->server_key && (e = getenv("KITCHEN_SERVER_KEY")) && *e)
		ctl->server_key = e;
	if (!ctl->secret_key && (e = getenv("KITCHEN_SECRET_KEY")) && *e)
		ctl->secret_key = e;
	if (!ctl->server_key != !ctl->secret_key)
		return ctl_usage("CURVE needs both --server-key and --secret-key "
				 "($KITCHEN_SERVER_KEY and $KITCHEN_SECRET_KEY)");

	if (!ctl->control) {
		e = getenv("KITCHEN_CONTROL");
		r = e && *e ? set_string(&ctl->control, e) : default_control(ctl);
		if (r < 0)
			return r;
	}
	if (!ctl->events) {
		e = getenv("KITCHEN_EVENTS");
		if (e && *e && (r = set_string(&ctl->events, e)) < 0)
			return r;
	}
	*ret_n_args = n;
	return 1;
}

static int run(struct ctl *ctl, char **args, size_t n_args)
{
	const struct verb *v;

	v = bsearch(args[0], verbs, ELEMENTSOF(verbs), sizeof(verbs[0]), verb_compare);
	if (!v)
		return unknown_verb(args[0]);
	n_args--;
	if (n_args < v->min_args)
		return ctl_usage("'%s' needs %s argument", v->name,
				 v->min_args == 1 ? "an" : "more");
	if (n_args > v->max_args)
		return ctl_usage("too many arguments for '%s'", v->name);
	return v->run(ctl, args + 1, n_args);
}

static int exit_status(int r)
{
	if (r >= 0)
		return EXIT_SUCCESS;
	switch (r) {
	case -EINVAL:
		return 2;
	case -ETIMEDOUT:
	case -ETIME:
	case -EHOSTUNREACH:
		return 3;
	case -EINPROGRESS:
		return 4;
	default:
		return EXIT_FAILURE;
	}
}

int main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	_cleanup_free_ char **args = NULL;
	size_t n_args = 0;
	int r;

	r = parse_argv(argc, argv, &ctl, &args, &n_args);
	if (r > 0)
		r = run(&ctl, args, n_args);
	ctl_finish(&ctl);

	/* Results that never reached stdout (a full disk, a closed pipe) are a failure. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_error(errno > 0 ? -errno : -EIO, "failed to write the output: %m");
		if (r >= 0)
			r = -EIO;
	}
	return exit_status(r);
}
