/*
 * kitchen-web: kitchen's HTTP API and dashboard, a client of kitchend's
 * control and events sockets (docs/http-api.md, kitchen-web(8)).
 *
 * main() reads the options and the configuration file, then run() sets up
 * in order (kitchend link, events, auth, HTTP) and tears down in reverse
 * once SIGTERM or SIGINT comes.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "kitchen-build.h"
#include "log.h"
#include "util.h"
#include "web_auth.h"
#include "web_config.h"
#include "web_events.h"
#include "web_http.h"
#include "web_kitchend.h"

#define DEFAULT_CONFIG KITCHEN_SYSCONFDIR "/kitchen/kitchen-web.conf"

struct args {
	const char *config; /* NULL: DEFAULT_CONFIG when it exists */
	const char *listen, *control, *events, *server_key, *secret_key;
	bool check_config;
};

static void help(void)
{
	printf("Usage: kitchen-web [OPTIONS]\n"
	       "Serve kitchen's HTTP API and dashboard, as a client of kitchend.\n\n"
	       "  -c, --config FILE       kitchen-web.conf (default: %s, when it exists)\n"
	       "      --listen ADDR:PORT  where to serve HTTP (default: %s)\n"
	       "      --control ENDPOINT  kitchend's control socket (default: $KITCHEN_CONTROL,\n"
	       "                          else kitchenctl's)\n"
	       "      --events ENDPOINT   kitchend's events socket (default: $KITCHEN_EVENTS,\n"
	       "                          else beside control)\n"
	       "      --server-key FILE   kitchend's public key, for tcp:// endpoints with CURVE\n"
	       "      --secret-key FILE   kitchen-web's key pair, with --server-key\n"
	       "      --check-config      read the configuration, print it, and exit\n"
	       "  -h, --help              show this help\n"
	       "      --version           show the version\n",
	       DEFAULT_CONFIG, WEB_CONFIG_LISTEN_DEFAULT);
}

static int parse_argv(int argc, char **argv, struct args *a)
{
	enum {
		ARG_LISTEN = 0x100,
		ARG_CONTROL,
		ARG_EVENTS,
		ARG_SERVER_KEY,
		ARG_SECRET_KEY,
		ARG_CHECK,
		ARG_VERSION
	};
	static const struct option options[] = {
		{ "check-config", no_argument, NULL, ARG_CHECK },
		{ "config", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, ARG_CONTROL },
		{ "events", required_argument, NULL, ARG_EVENTS },
		{ "help", no_argument, NULL, 'h' },
		{ "listen", required_argument, NULL, ARG_LISTEN },
		{ "secret-key", required_argument, NULL, ARG_SECRET_KEY },
		{ "server-key", required_argument, NULL, ARG_SERVER_KEY },
		{ "version", no_argument, NULL, ARG_VERSION },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'h': help(); return 0;
		case ARG_VERSION: printf("kitchen-web %s\n", KITCHEN_VERSION); return 0;
		case ARG_LISTEN: a->listen = optarg; break;
		case ARG_CONTROL: a->control = optarg; break;
		case ARG_EVENTS: a->events = optarg; break;
		case ARG_SERVER_KEY: a->server_key = optarg; break;
		case ARG_SECRET_KEY: a->secret_key = optarg; break;
		case ARG_CHECK: a->check_config = true; break;
		default:
			fprintf(stderr, "Try 'kitchen-web --help' for more information.\n");
			return -EINVAL;
		}
	if (optind < argc) {
		fprintf(stderr, "kitchen-web: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	return 1;
}

/* The file, then the options over it. */
static int load_config(const struct args *a, struct web_config **ret)
{
	const char *path = a->config;
	struct web_config *c = NULL;
	const char *e;
	char err[1024];
	int r;

	if (!path && access(DEFAULT_CONFIG, F_OK) == 0)
		path = DEFAULT_CONFIG;
	r = path ? web_config_load(path, &c, err, sizeof(err)) : web_config_new(&c);
	if (r < 0)
		return log_error_errno(r, "%s", path ? err : "Out of memory");
	/* As kitchenctl: $KITCHEN_CONTROL and $KITCHEN_EVENTS where nothing else says. */
	if ((!a->control && !c->control && (e = getenv("KITCHEN_CONTROL")) && *e &&
	     web_config_set(&c->control, e) < 0) ||
	    (!a->events && !c->events && (e = getenv("KITCHEN_EVENTS")) && *e &&
	     web_config_set(&c->events, e) < 0) ||
	    (a->listen && web_config_set(&c->listen, a->listen) < 0) ||
	    (a->control && web_config_set(&c->control, a->control) < 0) ||
	    (a->events && web_config_set(&c->events, a->events) < 0) ||
	    (a->server_key && web_config_set(&c->server_key, a->server_key) < 0) ||
	    (a->secret_key && web_config_set(&c->secret_key, a->secret_key) < 0)) {
		web_config_free(&c);
		return log_error_errno(-ENOMEM, "Out of memory");
	}
	*ret = c;
	return 0;
}

static void print_config(const struct web_config *c, const struct web_kitchend *k)
{
	printf("listen = \"%s\";\ncontrol = \"%s\";\nevents = \"%s\";\ntimeout_ms = %llu;\n", c->listen,
	       k->control, k->events ? k->events : "", (unsigned long long) c->timeout_ms);
	printf("limits = { connections = %u; per_ip = %u; client_timeout_s = %u; sse_clients = %u; };\n",
	       c->connections, c->per_ip, c->client_timeout_s, c->sse_clients);
	printf("write = { enabled = %s; token_file = \"%s\"; };\n", c->write_enabled ? "true" : "false",
	       c->token_file ? c->token_file : "");
}

/* Each HTTP connection holds a socket: the soft limit of open files goes up to
 * the hard one (systemd starts services at 1024), and a limit too low for
 * limits.connections is said once. */
static void raise_nofile(unsigned connections)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_debug_errno(-errno, "Failed to raise the open files limit: %m, ignoring");
			rl.rlim_cur = was;
		} else
			log_debug("Open files limit raised from %llu to %llu", (unsigned long long) was,
				  (unsigned long long) rl.rlim_cur);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t) connections + WEB_HTTP_SPARE_FDS)
		log_warning("limits.connections = %u needs about %u open files, the limit is %llu: "
			    "connections past it are refused",
			    connections, connections + WEB_HTTP_SPARE_FDS, (unsigned long long) rl.rlim_cur);
}

static int run(const struct args *a)
{
	struct web_config *cfg = NULL;
	struct web_kitchend *k = NULL;
	struct web_events *events = NULL;
	struct web_auth *auth = NULL;
	struct web_http *http = NULL;
	struct web_http_ctx ctx = { 0 };
	char err[1024] = "";
	sigset_t mask;
	int r, sig;

	r = load_config(a, &cfg);
	if (r < 0)
		return r;
	if (cfg->log_level)
		log_set_max_priority(log_priority_from_name(cfg->log_level));
	r = web_kitchend_new(cfg, &k, err, sizeof(err));
	if (r < 0) {
		log_error_errno(r, "Cannot set up the link to kitchend: %s", err);
		goto out;
	}
	r = web_auth_new(cfg->write_enabled ? cfg->token_file : NULL, &auth, err, sizeof(err));
	if (r < 0) {
		log_error_errno(r, "Cannot enable writing: %s", err);
		goto out;
	}
	if (a->check_config) {
		print_config(cfg, k);
		goto out;
	}

	/* Signals are waited for here; every thread started below inherits the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (k->events) {
		r = web_events_start(k->zctx, k->events, k->curve, &events);
		if (r < 0) {
			log_error_errno(r, "Cannot subscribe to kitchend's events at %s: %m", k->events);
			goto out;
		}
	} else
		log_warning("No events endpoint known (control is %s): /api/events is unavailable",
			    k->control);
	raise_nofile(cfg->connections);
	ctx = (struct web_http_ctx) { .cfg = cfg, .kitchend = k, .events = events, .auth = auth };
	r = web_http_start(&ctx, &http, err, sizeof(err));
	if (r < 0) {
		log_error_errno(r, "%s", err);
		goto out;
	}
	log_info("Serving http://%s/ for kitchend at %s (%s)", cfg->listen, k->control,
		 cfg->write_enabled ? "orders, cancel and retry with the token" : "read-only");
	sd_notify(0, "READY=1");
	do
		sig = sigwaitinfo(&mask, NULL);
	while (sig == SIGHUP || (sig < 0 && errno == EINTR));
	sd_notify(0, "STOPPING=1");
	log_info("Stopping");
	/* Event streams end first, so the server's threads can be joined. */
	web_events_cancel(events);
	r = 0;
out:
	web_http_stop(&http);
	web_events_stop(&events);
	web_auth_free(&auth);
	web_kitchend_free(&k);
	web_config_free(&cfg);
	return r;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	int r;

	log_open("kitchen-web");
	r = parse_argv(argc, argv, &a);
	if (r <= 0)
		return r < 0 ? 2 : 0;
	r = run(&a);
	return r < 0 ? 1 : 0;
}
