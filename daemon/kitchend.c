/*
 * kitchend — the kitchen's order daemon. See kitchend(8).
 */
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "chef_config.h"
#include "config.h"
#include "kitchen-build.h"
#include "keys.h"
#include "kitchen.h"
#include "log.h"
#include "util.h"

struct args {
	const char *config;
	const char *log_level;
	bool accept_lost_orders;
	bool check_config;
	bool dump_config;
};

static void help(void)
{
	printf("Usage: kitchend [OPTION]...\n"
	       "The kitchen's order daemon: takes orders from kitchenctl, keeps them in a\n"
	       "durable store, hands dishes to chef processes, and collects what they serve.\n"
	       "\n"
	       "  -c, --config FILE     read FILE (default: embedded defaults only)\n"
	       "      --accept-lost-orders  start even if the order store lost acknowledged\n"
	       "                        orders (kitchend(8) says when); the loss is recorded\n"
	       "      --check-config    validate the configuration and exit\n"
	       "      --dump-config     print the effective configuration and exit\n"
	       "  -l, --log-level LEVEL err, warning, notice, info or debug (overrides the file)\n"
	       "  -h, --help            show this help\n"
	       "      --version         show the version\n");
}

/* >0: run; 0: exit successfully (help, version); <0: usage error, said already. */
static int parse_argv(int argc, char *argv[], struct args *a)
{
	enum { ARG_ACCEPT_LOST = 0x100, ARG_CHECK, ARG_DUMP, ARG_VERSION };
	static const struct option options[] = {
		{ "accept-lost-orders", no_argument, NULL, ARG_ACCEPT_LOST },
		{ "check-config", no_argument, NULL, ARG_CHECK },
		{ "config", required_argument, NULL, 'c' },
		{ "dump-config", no_argument, NULL, ARG_DUMP },
		{ "help", no_argument, NULL, 'h' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:hl:", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'l':
			a->log_level = optarg;
			break;
		case ARG_ACCEPT_LOST:
			a->accept_lost_orders = true;
			break;
		case ARG_CHECK:
			a->check_config = true;
			break;
		case ARG_DUMP:
			a->dump_config = true;
			break;
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("kitchend %s\n", KITCHEN_VERSION);
			return 0;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

static void allow_skipped(const char *path, int r, void *u)
{
	bool *ok = u;

	*ok = false;
	log_error_errno(r, "Failed to read allowed key '%s': %m", path);
}

/* What --check-config can see beyond the file: the files it names. */
static bool check_files(const struct kitchen_config *c)
{
	const char *dirs[] = { c->curve_chefs_allow, c->curve_clients_allow };
	struct keys_pair pair = { 0 };
	char err[512];
	bool ok = true;
	int r;

	if (c->curve_secret_key) {
		r = keys_load_secret(c->curve_secret_key, &pair, err, sizeof(err));
		if (r < 0) {
			log_error_errno(r, "Failed to read the key pair of curve.secret_key: %s", err);
			ok = false;
		}
		explicit_bzero(&pair, sizeof(pair));
	}
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		struct keys_allow allow = { 0 };

		if (!dirs[i])
			continue;
		r = keys_allow_load(dirs[i], &allow, allow_skipped, &ok);
		if (r == -EPERM)
			log_error("Failed to read the allowlist '%s': others may write it (chmod o-w %s)",
				  dirs[i], dirs[i]);
		else if (r < 0)
			log_error_errno(r, "Failed to read the allowlist '%s': %m", dirs[i]);
		ok = ok && r >= 0;
		keys_allow_finish(&allow);
	}
	return ok;
}

/*
 * Every connection costs kitchend a descriptor, and libzmq 4.3 aborts
 * (errno_assert in ipc_listener_t::accept()) when accept(2) on an ipc socket
 * fails with EMFILE. The soft limit (1024 by default) is raised to the hard
 * one (the unit's LimitNOFILE=): idle and unauthenticated connections then
 * run into HANDSHAKE_MS and the hard limit long before kitchend's own needs.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warning_errno(-errno, "Failed to raise the limit of open files to %llu, ignoring: %m",
				  (unsigned long long) rl.rlim_max);
}

static int run(const struct args *a)
{
	struct kitchen_config *config = NULL;
	_cleanup_free_ char *path = NULL;
	struct kitchen *k = NULL;
	const char *level;
	char err[512];
	int prio, r;

	/* Absolute, so a reload finds the file whatever the cwd. */
	if (a->config) {
		path = realpath(a->config, NULL);
		if (!path && errno != ENOENT) {
			log_error_errno(-errno, "Failed to resolve '%s': %m", a->config);
			return 1;
		}
	}
	r = config_load(path ? path : a->config, &config, err, sizeof(err));
	if (r < 0) {
		log_error("Failed to load the configuration: %s", err);
		return 1;
	}
	level = a->log_level ? a->log_level : config->log_level;
	prio = log_priority_from_name(level);
	if (prio < 0) {
		log_error("Unknown log level '%s'", level);
		config_free(&config);
		return 1;
	}
	log_set_max_priority(prio);

	if (a->check_config || a->dump_config) {
		if (a->dump_config)
			config_dump(config, stdout);
		else if (!check_files(config)) {
			config_free(&config);
			return 1;
		} else {
			/* An event-loop chef's dishes at once are its slots, on one thread. */
			bool loop = strcmp(config->chefs_model, CHEF_MODEL_EVENT_LOOP) == 0;
			unsigned each = loop ? config->chefs_slots : config->chefs_threads;

			printf("%s: OK (%zu %s on the menu, %u local %s of %u %s)\n",
			       a->config ? a->config : "embedded defaults", config->n_menu,
			       plural(config->n_menu, "dish", "dishes"), config->chefs_local,
			       plural(config->chefs_local, "chef", "chefs"), each,
			       loop ? plural(each, "event-loop slot", "event-loop slots") :
				      plural(each, "station", "stations"));
		}
		config_free(&config);
		return 0;
	}

	raise_nofile();
	config->store_accept_lost = a->accept_lost_orders;
	r = kitchen_new(config, a->log_level, &k);  /* takes config, also on failure */
	if (r < 0)
		return 1;
	r = kitchen_run(k);
	kitchen_free(&k);
	return r;
}

int main(int argc, char *argv[])
{
	struct args a = { 0 };
	int r;

	log_open("kitchend");
	/* No memory statistics: each of SQLite's allocations would take a
	 * lock every thread's connection shares. */
	(void) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	r = parse_argv(argc, argv, &a);
	if (r < 0) {
		fprintf(stderr, "Try 'kitchend --help'.\n");
		return 2;
	}
	if (r == 0)
		return 0;
	return run(&a);
}
