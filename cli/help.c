#include "help.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "paths.h"
#include "proto.h"
#include "util.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

#define USAGE  "Usage: kitchenctl [OPTIONS] "
#define INDENT "                           "   /* where an option's text begins */

struct verb_help {
	const char *name;
	const char *usage;     /* after "kitchenctl [OPTIONS] ", a line each */
	const char *summary;   /* one line, for the global list */
	const char *options;   /* the verb's own, or NULL */
	const char *examples;  /* a command line each, or NULL */
};

#define WAIT_OPTIONS \
	"  -w --wait                Wait; print each dish as served, in order of ordering\n" \
	"     --output              With --wait: print the dishes' outputs, whole and raw,\n" \
	INDENT "in order of ordering (a dish that failed: a line on stderr)\n"
#define DEADLINE_OPTION \
	"     --deadline DURATION   Stop waiting after this long (1500ms, 30s, 5m, 2h; plain: s)\n"
#define WINDOW_OPTIONS \
	"     --dish NAME           Only orders holding this dish\n" \
	"     --since T, --until T  Only orders placed from/until T: 2026-12-06, 2026-12-06T10:00:00,\n" \
	INDENT "@EPOCH_SECONDS, or a duration ago (30m, 2h, 7d)\n"

/* Sorted by name, as kitchenctl.c's verb table. */
static const struct verb_help verbs[] = {
	{ "cancel", "cancel ORDER [DISH...]",
	  "Cancel an order, or some dishes of it (by index, as show prints)", NULL,
	  "kitchenctl cancel 42\nkitchenctl cancel 42 0 2" },
	{ "chefs", "chefs", "List the chefs and what they are doing", NULL,
	  "kitchenctl chefs\nkitchenctl -j chefs" },
	{ "drain", "drain", "Stop kitchend gently: no new orders, cooking dishes finish", NULL,
	  "kitchenctl drain" },
	{ "follow", "follow [--deadline DURATION] ORDER...",
	  "Follow orders placed before, as order --follow does", DEADLINE_OPTION,
	  "kitchenctl follow 42\nkitchenctl follow --deadline 5m 42 43" },
	{ "help", "help [VERB]", "Show this help, or a verb's", NULL,
	  "kitchenctl help order" },
	{ "keygen", "keygen [--dir DIR] NAME", "Write a CURVE key pair: NAME.key (secret) and NAME.pub",
	  "     --dir DIR             Write the files into DIR (default: the current directory)\n",
	  "kitchenctl keygen ops\nkitchenctl keygen --dir /etc/kitchen/keys kitchend" },
	{ "list", "list [--state STATE] [--dish NAME] [--since T] [--until T] [--key KEY]\n"
		  "     [-n N] [--after CURSOR]",
	  "List orders, newest first",
	  "     --state STATE         Only orders queued, cooking, delayed, served, failed or cancelled\n"
	  WINDOW_OPTIONS
	  "     --key KEY             Only the order of this idempotency key\n"
	  "  -n --limit N             Show at most N orders (default " STR(CTL_LIST_LIMIT_DEFAULT) ")\n"
	  "     --after CURSOR        Go on after a list that said more orders were left\n",
	  "kitchenctl list\nkitchenctl list --state failed --since 2h\nkitchenctl list --dish Pizza -n 5" },
	{ "menu", "menu", "List the dishes on the menu", NULL, "kitchenctl menu\nkitchenctl -j menu" },
	{ "metrics", "metrics", "Print kitchend's measurements for Prometheus (text format)", NULL,
	  "kitchenctl metrics" },
	{ "order", "order [-w [--output] | -f] [--deadline DURATION] [--key KEY] [-p N]\n"
		   "      [--at TIME | --in DURATION] [--input TEXT] DISH...\n"
		   "order [OPTIONS] DISH --inputs FILE\n"
		   "order [OPTIONS] --random N",
	  "Order dishes (one order of at most " STR(PROTO_ORDER_MAX_DISHES) "); print the order id",
	  WAIT_OPTIONS
	  "  -f --follow              Print every stage of every dish as it happens\n"
	  DEADLINE_OPTION
	  "     --random N            Place N one-dish orders of random menu dishes\n"
	  "     --key KEY             Idempotency key: ordering again with it orders nothing new\n"
	  "  -p --priority N          1 to 9, higher first (default " STR(PROTO_PRIORITY_DEFAULT) ")\n"
	  "     --at TIME             Cook at this time (2026-12-06T18:30:00, local; or with Z)\n"
	  "     --in DURATION         Cook after this long (1500ms, 30s, 5m, 2h; plain: s)\n"
	  "     --input TEXT          The input of every dish of the order\n"
	  "     --inputs FILE         One DISH per line of FILE (- for stdin), the line its input;\n"
	  INDENT "empty lines skipped; " STR(PROTO_ORDER_MAX_DISHES) " dishes an order\n"
	  "\nDish names are matched with case ignored (\"PIZZA\" is Pizza).\n",
	  "kitchenctl order Pizza Salad\nkitchenctl order -w --deadline 2m Pizza\n"
	  "kitchenctl order Fetch --inputs urls.txt -p 8" },
	{ "purge", "purge [--dish NAME] [-y]", "Cancel every waiting dish (asks first)",
	  "     --dish NAME           Only the waiting dishes of NAME\n"
	  "  -y --yes                 Do not ask\n",
	  "kitchenctl purge\nkitchenctl purge --dish Pizza -y" },
	{ "reload", "reload", "Ask kitchend to reload its configuration", NULL, "kitchenctl reload" },
	{ "retry", "retry ORDER [DISH...]\nretry --failed [--dish NAME] [--since T] [--until T]",
	  "Cook failed or cancelled dishes again, a new series of attempts",
	  "     --failed              Every failed order instead of ORDER, with:\n"
	  WINDOW_OPTIONS,
	  "kitchenctl retry 42\nkitchenctl retry --failed --since 1h" },
	{ "show", "show ORDER", "Show an order and its dishes", NULL, "kitchenctl show 42\nkitchenctl -j show 42" },
	{ "status", "status", "Show the kitchen's counters and chefs", NULL, "kitchenctl status\nkitchenctl -j status" },
	{ "wait", "wait [--output] [--deadline DURATION] ORDER...",
	  "Wait for orders placed before, as order --wait does",
	  "     --output              Print the dishes' outputs, whole and raw, in order of ordering\n"
	  INDENT "(a dish that failed: a line on stderr)\n"
	  DEADLINE_OPTION,
	  "kitchenctl wait 42\nkitchenctl wait --output --deadline 30s 42 43" },
};

/* Each line of @text after @prefix (the first) or as many spaces (the others). */
static void print_lines(const char *prefix, const char *text)
{
	size_t pad = strlen(prefix);

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		printf("%*s%.*s\n", (int) pad, p == text ? prefix : "", (int) n, p);
		p += n + (p[n] == '\n');
	}
}

int help_verb(const char *verb)
{
	const struct verb_help *v = NULL;

	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (strcmp(verbs[i].name, verb) == 0)
			v = &verbs[i];
	if (!v)
		return -ENOENT;
	for (const char *p = v->usage; *p;) {
		size_t n = strcspn(p, "\n");

		/* A line that begins with a space goes on the one above it. */
		if (*p == ' ')
			printf("%*s%.*s\n", (int) strlen(USAGE), "", (int) n, p);
		else
			printf("%s%.*s\n", p == v->usage ? USAGE : "       kitchenctl [OPTIONS] ", (int) n, p);
		p += n + (p[n] == '\n');
	}
	printf("\n%s.\n", v->summary);
	if (v->options) {
		printf("\nOptions:\n");
		fputs(v->options, stdout);
	}
	if (v->examples) {
		printf("\nExamples:\n");
		print_lines("  ", v->examples);
	}
	printf("\nThe options every verb takes: kitchenctl --help. See kitchenctl(1).\n");
	return 0;
}

void help_global(void)
{
	_cleanup_free_ char *dir = NULL, *control = NULL;

	if (paths_default_runtime_dir(&dir) < 0 || paths_ipc_endpoint(dir, "control", &control) < 0)
		control = NULL;

	printf("Usage: kitchenctl [OPTIONS] VERB [ARGS]...\n"
	       "\n"
	       "Order dishes from kitchend and ask how the kitchen is doing.\n"
	       "\n"
	       "Verbs:\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		printf("  %-9s %s\n", verbs[i].name, verbs[i].summary);
	printf("\n"
	       "Options:\n"
	       "  -h --help                Show this help (after a verb: the verb's) and exit\n"
	       "     --version             Show the version and exit\n"
	       "     --control EP          kitchend's control endpoint\n"
	       "                           (default: $KITCHEN_CONTROL, else %s%s)\n"
	       "     --events EP           kitchend's events endpoint, for --follow\n"
	       "                           (default: $KITCHEN_EVENTS, else events.sock beside control)\n"
	       "  -j --json                Print JSON instead of text\n"
	       "     --timeout MS          Wait this long for kitchend to answer (default %d)\n"
	       "     --server-key FILE     kitchend's public key, for a tcp:// control endpoint\n"
	       "                           with CURVE (default: $KITCHEN_SERVER_KEY)\n"
	       "     --secret-key FILE     this kitchenctl's key pair, with --server-key\n"
	       "                           (default: $KITCHEN_SECRET_KEY)\n"
	       "\n"
	       "A verb's own options and examples: kitchenctl help VERB, or kitchenctl VERB --help.\n"
	       "\n"
	       "Exit status: 0 ok, 1 refused or a dish failed, 2 usage error, 3 kitchend unreachable,\n"
	       "4 accepted but not waited for to the end (kitchend lost, or --deadline).\n"
	       "See kitchenctl(1).\n",
	       control ? control : "ipc://RUNTIME_DIR/control.sock",
	       geteuid() != 0 ? ",\n" INDENT "then ipc://" PATHS_SYSTEM_RUNTIME_DIR "/control.sock" : "",
	       CTL_TIMEOUT_MS_DEFAULT);
}
