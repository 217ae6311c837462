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
#include "kitchen-build.h"
#include "paths.h"
#include "proto.h"
#include "util.h"
#include "verbs.h"
#include "when.h"

#define DEFAULT_TIMEOUT_MS 3000
#define MAX_TIMEOUT_MS     86400000   /* a day: anything longer is a typo */
#define MAX_RANDOM         1000000
#define MAX_DEADLINE_MS    (30ull * 86400000)   /* 30 days */
#define DEFAULT_LIST_LIMIT 20
#define MAX_LIST_LIMIT     1000000

struct verb {
	const char *name;
	size_t min_args;
	size_t max_args;
	int (*run)(struct ctl *ctl, char **args, size_t n_args);
};

/* Sorted by name: run() looks verbs up with bsearch(). */
static const struct verb verbs[] = {
	{ "cancel", 1, SIZE_MAX, verb_cancel },
	{ "chefs",  0, 0,        verb_chefs },
	{ "drain",  0, 0,        verb_drain },
	{ "follow", 1, SIZE_MAX, verb_follow },
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

#define HELP_INDENT "                           "   /* where an option's text begins */

static void help(void)
{
	_cleanup_free_ char *dir = NULL, *control = NULL;

	if (paths_default_runtime_dir(&dir) < 0 || paths_ipc_endpoint(dir, "control", &control) < 0)
		control = NULL;

	printf("Usage: kitchenctl [OPTIONS] VERB [ARGS]...\n"
	       "\n"
	       "Order dishes from kitchend and ask how the kitchen is doing.\n"
	       "\n"
	       "Verbs:\n"
	       "  cancel ORDER [DISH...]   Cancel an order, or some dishes of it (by index, as show prints)\n"
	       "  chefs                    List the chefs and what they are doing\n"
	       "  drain                    Stop kitchend gently: no new orders, cooking dishes finish\n"
	       "  follow ORDER...          Follow orders placed before, as order --follow does\n"
	       "  keygen NAME              Write a CURVE key pair: NAME.key (secret) and NAME.pub\n"
	       "  list                     List orders, newest first\n"
	       "  menu                     List the dishes on the menu\n"
	       "  metrics                  Print kitchend's measurements for Prometheus (text format)\n"
	       "  order DISH...            Order dishes (one order); print the order id\n"
	       "  order DISH --inputs FILE\n"
	       "                           One DISH per line of FILE (- for stdin), its input the line\n"
	       "  order --random N         N customers each order one random dish\n"
	       "  purge                    Cancel every waiting dish (asks first)\n"
	       "  reload                   Ask kitchend to reload its configuration\n"
	       "  retry ORDER [DISH...]    Cook failed or cancelled dishes again, a new series of attempts\n"
	       "  retry --failed           The same for every failed order (of --dish, --since, --until)\n"
	       "  show ORDER               Show an order and its dishes\n"
	       "  status                   Show the kitchen's counters and chefs\n"
	       "  wait ORDER...            Wait for orders placed before, as order --wait does\n"
	       "\n"
	       "Options:\n"
	       "  -h --help                Show this help and exit\n"
	       "     --version             Show the version and exit\n"
	       "     --control EP          kitchend's control endpoint\n"
	       "                           (default: $KITCHEN_CONTROL, else %s%s)\n"
	       "     --events EP           kitchend's events endpoint, for --follow\n"
	       "                           (default: $KITCHEN_EVENTS, else events.sock beside control)\n"
	       "     --json                Print JSON instead of text\n"
	       "     --timeout MS          Wait this long for kitchend to answer (default %d)\n"
	       "     --server-key FILE     kitchend's public key, for a tcp:// control endpoint\n"
	       "                           with CURVE (default: $KITCHEN_SERVER_KEY)\n"
	       "     --secret-key FILE     this kitchenctl's key pair, with --server-key\n"
	       "                           (default: $KITCHEN_SECRET_KEY)\n"
	       "\n"
	       "Options of keygen:\n"
	       "     --dir DIR             Write the files into DIR (default: the current directory)\n"
	       "\n"
	       "Options of order:\n"
	       "     --wait                Wait; print each dish as served, in order of ordering\n"
	       "     --follow              Print every stage of every dish as it happens\n"
	       "     --random N            Place N one-dish orders of random menu dishes\n"
	       "     --key KEY             Idempotency key: ordering again with it orders nothing new\n"
	       "     --priority N          1 to 9, higher first (default %d)\n"
	       "     --at TIME             Cook at this time (2026-12-06T18:30:00, local; or with Z)\n"
	       "     --in DURATION         Cook after this long (1500ms, 30s, 5m, 2h; plain: s)\n"
	       "     --input TEXT          The input of every dish of the order\n"
	       "     --inputs FILE         One DISH per line of FILE (- for stdin), the line its input;\n"
	       "                           empty lines skipped; 150 dishes an order\n"
	       "\n"
	       "Options of list:\n"
	       "     --state STATE         Only orders queued, cooking, delayed, served, failed or cancelled\n"
	       "     --dish NAME           Only orders holding this dish\n"
	       "     --since T, --until T  Only orders placed from/until T: 2026-12-06, 2026-12-06T10:00:00,\n"
	       "                           @EPOCH_SECONDS, or a duration ago (30m, 2h, 7d)\n"
	       "     --key KEY             Only the order of this idempotency key\n"
	       "     --limit N             Show at most N orders (default %d)\n"
	       "     --after CURSOR        Go on after a list that said more orders were left\n"
	       "\n"
	       "Options of purge:\n"
	       "     --dish NAME           Only the waiting dishes of NAME\n"
	       "     --yes                 Do not ask\n"
	       "\n"
	       "Options of retry:\n"
	       "     --failed              Every failed order instead of ORDER, with list's --dish,\n"
	       "                           --since and --until\n"
	       "\n"
	       "Options of order --wait, order --follow, wait and follow:\n"
	       "     --deadline DURATION   Stop waiting after this long (1500ms, 30s, 5m, 2h; plain: s)\n"
	       "\n"
	       "Options of order --wait and wait:\n"
	       "     --output              Print the dishes' outputs, whole and raw, in order of ordering\n"
	       "                           (a dish that failed: a line on stderr)\n"
	       "\n"
	       "Exit status: 0 ok, 1 refused or a dish failed, 2 usage error, 3 kitchend unreachable,\n"
	       "4 accepted but not waited for to the end (kitchend lost, or --deadline).\n"
	       "See kitchenctl(1).\n",
	       control ? control : "ipc://RUNTIME_DIR/control.sock",
	       geteuid() != 0 ? ",\n" HELP_INDENT "then ipc://" PATHS_SYSTEM_RUNTIME_DIR "/control.sock" : "",
	       DEFAULT_TIMEOUT_MS,
	       PROTO_PRIORITY_DEFAULT, DEFAULT_LIST_LIMIT);
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
static int parse_argv(int argc, char **argv, struct ctl *ctl, char ***ret_args, size_t *ret_n_args)
{
	enum {
		ARG_VERSION = 0x100,
		ARG_CONTROL,
		ARG_EVENTS,
		ARG_JSON,
		ARG_TIMEOUT,
		ARG_WAIT,
		ARG_FOLLOW,
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
		ARG_LIMIT,
		ARG_AFTER,
		ARG_YES,
		ARG_FAILED,
		ARG_PRIORITY,
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
		{ "json",    no_argument,       NULL, ARG_JSON },
		{ "timeout", required_argument, NULL, ARG_TIMEOUT },
		{ "wait",    no_argument,       NULL, ARG_WAIT },
		{ "follow",  no_argument,       NULL, ARG_FOLLOW },
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
		{ "limit",   required_argument, NULL, ARG_LIMIT },
		{ "after",   required_argument, NULL, ARG_AFTER },
		{ "yes",     no_argument,       NULL, ARG_YES },
		{ "failed",  no_argument,       NULL, ARG_FAILED },
		{ "priority", required_argument, NULL, ARG_PRIORITY },
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
	char **args;
	size_t n = 0;
	const char *e;
	int c, r;

	/* argv[0] is not kept, so argc slots hold every positional argument. */
	args = calloc((size_t) argc, sizeof(*args));
	if (!args)
		return ctl_error(-ENOMEM, "%m");
	*ret_args = args;

	ctl->timeout_ms = DEFAULT_TIMEOUT_MS;
	ctl->list_limit = DEFAULT_LIST_LIMIT;
	ctl->priority = PROTO_PRIORITY_DEFAULT;
	opterr = 0;
	/* "-": positional arguments come back as 1, in order, whatever POSIXLY_CORRECT says. */
	while ((c = getopt_long(argc, argv, "-h", options, NULL)) >= 0) {
		switch (c) {
		case 1:
			args[n++] = optarg;
			break;
		case 'h':
			help();
			return 0;
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
		case ARG_JSON:
			ctl->json = true;
			break;
		case ARG_TIMEOUT:
			if (parse_u64(optarg, 1, MAX_TIMEOUT_MS, &ctl->timeout_ms) < 0)
				return ctl_usage("invalid --timeout '%s': milliseconds, 1 to %d",
						 optarg, MAX_TIMEOUT_MS);
			break;
		case ARG_WAIT:
		case ARG_FOLLOW:
			if (ctl->order_mode != ORDER_PLAIN &&
			    ctl->order_mode != (c == ARG_WAIT ? ORDER_WAIT : ORDER_FOLLOW))
				return ctl_usage("--wait and --follow exclude each other");
			ctl->order_mode = c == ARG_WAIT ? ORDER_WAIT : ORDER_FOLLOW;
			order_option = c == ARG_WAIT ? "--wait" : "--follow";
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
		case ARG_LIMIT:
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
		case ARG_PRIORITY:
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
		case ARG_YES:
			ctl->yes = true;
			purge_option = "--yes";
			break;
		case ARG_FAILED:
			ctl->retry_failed = true;
			break;
		case '?':
			if (optopt == 0)
				return ctl_usage("unknown option '%s'", argv[optind - 1]);
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

	if (n == 0)
		return ctl_usage("no verb given (one of: cancel chefs drain follow keygen list menu order purge reload "
				 "retry show status wait)");
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
		return ctl_usage("unknown verb '%s'", args[0]);
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
