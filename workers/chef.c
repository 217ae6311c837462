/*
 * chef — cooks dishes for kitchend on a few station threads, or on one
 * event-loop thread (--model event-loop, evloop.h) that keeps --slots
 * dishes going at once.
 *
 * The main thread is one zpoll() loop over a signalfd (SIGTERM, SIGINT),
 * the brigade's inproc ROUTER (stations saying FREE) and the DEALER to
 * kitchend (session.h: READY, heartbeats, reconnects). kitchend sends DISH
 * against the credit the chef announced; each dish goes to a free station
 * (brigade.h), which cooks it (pipeline.h) and pushes PROGRESS and RESULT to
 * kitchend's sink itself (station.h). When the session with kitchend is lost,
 * every dish it brought is aborted, so that the next READY can announce every
 * station again. KITCHEN_CHEF_FAULTS (fault.h) makes chosen dishes misbehave,
 * for tests. See chef --help and chef(8) for the options; a remote chef
 * usually reads them from a file, chef --config (chef_config.h), and speaks
 * CURVE to kitchend's tcp:// endpoints with the keys named there (keys.h).
 *
 * Dishes that run a program are cooked from the chef's cookbook
 * (cookbook.h): the recipes of its --config file and, for a local chef,
 * the program dishes of kitchend's own file (--kitchen-config). SIGHUP reads
 * both again: a good pair replaces the cookbook (dishes already taken keep
 * the recipe they were given); a bad one is logged and the old cookbook
 * kept. When the dishes the chef cooks change, kitchend must hear them in a
 * READY, so the session starts over (session_set_skills()) and the dishes
 * of the old one are aborted, as when a session is lost: kitchend sends
 * them again. Only the recipes and dishes are read again; the rest of
 * --config holds until the chef restarts.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include "kitchen-build.h"

#include "brigade.h"
#include "chef_config.h"
#include "config.h"
#include "cookbook.h"
#include "ticket.h"
#include "session.h"
#include "fault.h"
#include "keys.h"
#include "log.h"
#include "proto.h"
#include "util.h"
#include "zpoll.h"

/* Messages read from kitchend in one loop turn, so signals and stations get a look in. */
#define BATCH_MAX 256
/* A station that has not let go of a CANCELled dish by then is stuck on it. */
#define STATION_STUCK_MS 2000

/* Options; 0 and NULL are "not given", then the --config file's value, then the default. */
static const char *arg_config;
static const char *arg_kitchen_config;
static const char *arg_dispatch;
static const char *arg_sink;
static unsigned arg_stations;
static const char *arg_model;
static unsigned arg_slots;
static const char *arg_name;
static uint64_t arg_heartbeat_ms;
static unsigned arg_liveness;
static const char *arg_log_level;
static const char *arg_server_key;
static const char *arg_secret_key;
/* The --config file, kept while the arg_ strings point into it. */
static struct chef_config *file_config;
/* KITCHEN_CHEF_FAULTS, read once at start; NULL or empty in production. */
static struct fault_table *faults;
/* The recipes now: read at start and on SIGHUP. Each program dish's ticket holds its own reference. */
static struct cookbook *book;

static void help(void)
{
	printf("Usage: chef --dispatch EP --sink EP [OPTIONS]\n"
	       "       chef --config FILE [OPTIONS]\n"
	       "\n"
	       "Cook dishes for kitchend: take them from its dispatch endpoint, cook them on\n"
	       "STATIONS threads at once (or SLOTS at once on one event-loop thread), push\n"
	       "stage lines and results to its sink.\n"
	       "\n"
	       "  --config FILE       read these options from FILE (see chef(8)); options\n"
	       "                      given beside it win over the file; its recipes and\n"
	       "                      dishes are read again on SIGHUP\n"
	       "  --kitchen-config FILE\n"
	       "                      cook the dishes of kitchend's FILE that run a program\n"
	       "                      (kitchend gives it to its local chefs); read again on SIGHUP\n"
	       "  --dispatch EP       kitchend's dispatch endpoint (its ROUTER), required\n"
	       "  --sink EP           kitchend's sink endpoint (its PULL), required\n"
	       "  --stations N        dishes cooked at once, 1..256 (default 1): threads model\n"
	       "  --model MODEL       threads (a thread a station, the default) or event-loop\n"
	       "                      (one cooking thread keeps SLOTS dishes going)\n"
	       "  --slots N           event loop: dishes at once, 1..10000 (default 3)\n"
	       "  --name NAME         the chef's name (default: the host name)\n"
	       "  --heartbeat-ms MS   heartbeat interval, 10..60000 (default 1000)\n"
	       "  --liveness N        silent intervals before reconnecting, 1..100 (default 3)\n"
	       "  --log-level LEVEL   err, warning, notice, info or debug (default info)\n"
	       "  --server-key FILE   kitchend's public key: CURVE on tcp:// endpoints\n"
	       "  --secret-key FILE   this chef's key pair (kitchenctl keygen), with --server-key\n"
	       "  -h, --help          show this help\n"
	       "      --version       show the version\n"
	       "\n"
	       "Exits 0 on SIGTERM or SIGINT, 1 on a failure, 2 on a usage error.\n"
	       "SIGHUP reads the recipes again.\n"
	       "In tests, " FAULT_ENV " makes chosen dishes crash, hang or fail: see chef(8).\n");
}

/* What --config sets and the command line does not; then the defaults. */
static int merge_config_file(void)
{
	char err[512];
	int r;

	if (arg_config) {
		r = chef_config_load(arg_config, &file_config, err, sizeof(err));
		if (r < 0)
			return log_error_errno(r, "Failed to read --config: %s", err);
		arg_dispatch = arg_dispatch ? arg_dispatch : file_config->dispatch;
		arg_sink = arg_sink ? arg_sink : file_config->sink;
		arg_name = arg_name ? arg_name : file_config->name;
		arg_stations = arg_stations ? arg_stations : file_config->stations;
		arg_model = arg_model ? arg_model : file_config->model;
		arg_slots = arg_slots ? arg_slots : file_config->slots;
		arg_heartbeat_ms = arg_heartbeat_ms ? arg_heartbeat_ms : file_config->heartbeat_ms;
		arg_liveness = arg_liveness ? arg_liveness : file_config->liveness;
		arg_log_level = arg_log_level ? arg_log_level : file_config->log_level;
		arg_server_key = arg_server_key ? arg_server_key : file_config->server_key;
		arg_secret_key = arg_secret_key ? arg_secret_key : file_config->secret_key;
	}
	arg_stations = arg_stations ? arg_stations : 1;
	arg_model = arg_model ? arg_model : CHEF_MODEL_THREADS;
	arg_slots = arg_slots ? arg_slots : CHEF_SLOTS_DEFAULT;
	arg_heartbeat_ms = arg_heartbeat_ms ? arg_heartbeat_ms : 1000;
	arg_liveness = arg_liveness ? arg_liveness : 3;
	if (arg_log_level)
		log_set_max_priority(log_priority_from_name(arg_log_level));
	return 0;
}

/* >0: run; 0: exit successfully (help, version); <0: usage error, said already. */
static int parse_argv(int argc, char *argv[])
{
	enum {
		ARG_CONFIG = 0x100,
		ARG_DISPATCH,
		ARG_HEARTBEAT_MS,
		ARG_KITCHEN_CONFIG,
		ARG_LIVENESS,
		ARG_LOG_LEVEL,
		ARG_MODEL,
		ARG_NAME,
		ARG_SECRET_KEY,
		ARG_SERVER_KEY,
		ARG_SINK,
		ARG_SLOTS,
		ARG_STATIONS,
		ARG_VERSION,
	};
	static const struct option options[] = {
		{ "config",       required_argument, NULL, ARG_CONFIG },
		{ "dispatch",     required_argument, NULL, ARG_DISPATCH },
		{ "heartbeat-ms", required_argument, NULL, ARG_HEARTBEAT_MS },
		{ "help",         no_argument,       NULL, 'h' },
		{ "kitchen-config", required_argument, NULL, ARG_KITCHEN_CONFIG },
		{ "liveness",     required_argument, NULL, ARG_LIVENESS },
		{ "log-level",    required_argument, NULL, ARG_LOG_LEVEL },
		{ "model",        required_argument, NULL, ARG_MODEL },
		{ "name",         required_argument, NULL, ARG_NAME },
		{ "secret-key",   required_argument, NULL, ARG_SECRET_KEY },
		{ "server-key",   required_argument, NULL, ARG_SERVER_KEY },
		{ "sink",         required_argument, NULL, ARG_SINK },
		{ "slots",        required_argument, NULL, ARG_SLOTS },
		{ "stations",     required_argument, NULL, ARG_STATIONS },
		{ "version",      no_argument,       NULL, ARG_VERSION },
		{}
	};
	uint64_t v;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("chef %s\n", KITCHEN_VERSION);
			return 0;
		case ARG_CONFIG:
			arg_config = optarg;
			break;
		case ARG_DISPATCH:
			arg_dispatch = optarg;
			break;
		case ARG_KITCHEN_CONFIG:
			arg_kitchen_config = optarg;
			break;
		case ARG_SECRET_KEY:
			arg_secret_key = optarg;
			break;
		case ARG_SERVER_KEY:
			arg_server_key = optarg;
			break;
		case ARG_SINK:
			arg_sink = optarg;
			break;
		case ARG_NAME:
			if (!*optarg || strlen(optarg) > PROTO_MAX_NAME ||
			    !proto_text_valid(optarg, strlen(optarg), false)) {
				log_error("Bad --name '%s': 1..%d bytes of text", optarg, PROTO_MAX_NAME);
				return -EINVAL;
			}
			arg_name = optarg;
			break;
		case ARG_STATIONS:
			r = parse_u64(optarg, CHEF_STATIONS_MIN, CHEF_STATIONS_MAX, &v);
			if (r < 0)
				return log_error_errno(r, "Bad --stations '%s', want %d..%d", optarg,
						       CHEF_STATIONS_MIN, CHEF_STATIONS_MAX);
			arg_stations = (unsigned) v;
			break;
		case ARG_MODEL:
			if (!chef_model_valid(optarg)) {
				log_error("Bad --model '%s', want " CHEF_MODEL_THREADS " or " CHEF_MODEL_EVENT_LOOP, optarg);
				return -EINVAL;
			}
			arg_model = optarg;
			break;
		case ARG_SLOTS:
			r = parse_u64(optarg, CHEF_SLOTS_MIN, CHEF_SLOTS_MAX, &v);
			if (r < 0)
				return log_error_errno(r, "Bad --slots '%s', want %d..%d", optarg,
						       CHEF_SLOTS_MIN, CHEF_SLOTS_MAX);
			arg_slots = (unsigned) v;
			break;
		case ARG_HEARTBEAT_MS:
			r = parse_u64(optarg, CHEF_HEARTBEAT_MS_MIN, CHEF_HEARTBEAT_MS_MAX, &v);
			if (r < 0)
				return log_error_errno(r, "Bad --heartbeat-ms '%s', want %d..%d", optarg,
						       CHEF_HEARTBEAT_MS_MIN, CHEF_HEARTBEAT_MS_MAX);
			arg_heartbeat_ms = v;
			break;
		case ARG_LIVENESS:
			r = parse_u64(optarg, CHEF_LIVENESS_MIN, CHEF_LIVENESS_MAX, &v);
			if (r < 0)
				return log_error_errno(r, "Bad --liveness '%s', want %d..%d", optarg,
						       CHEF_LIVENESS_MIN, CHEF_LIVENESS_MAX);
			arg_liveness = (unsigned) v;
			break;
		case ARG_LOG_LEVEL:
			r = log_priority_from_name(optarg);
			if (r < 0)
				return log_error_errno(r, "Bad --log-level '%s'", optarg);
			arg_log_level = optarg;
			break;
		default:
			/* '?': getopt_long() has said what is wrong */
			return -EINVAL;
		}

	if (optind < argc) {
		log_error("Unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	r = merge_config_file();
	if (r < 0)
		return r;
	if (!arg_dispatch || !arg_sink) {
		log_error("--dispatch and --sink are required, or dispatch and sink in --config (see --help)");
		return -EINVAL;
	}
	if (!arg_server_key != !arg_secret_key) {
		log_error("CURVE needs both --server-key and --secret-key (curve.server_key and curve.secret_key)");
		return -EINVAL;
	}
	return 1;
}

/* Block SIGTERM, SIGINT and SIGHUP (threads started later inherit it) and read them from a signalfd. */
static int signals_open(int *ret_fd)
{
	sigset_t mask;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return -EINVAL;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* "<name>.<pid>.<8 random hex>": unique across restarts and hosts. */
static int make_chef_id(const char *name, char *buf, size_t size)
{
	uint32_t rnd;
	int n;

	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
		rnd = (uint32_t) (now_ms() ^ ((uint64_t) getpid() << 16) ^ wall_ms());
	n = snprintf(buf, size, "%s.%d.%08x", name, (int) getpid(), (unsigned) rnd);
	return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

/* A program dish gets its recipe and a hold on the cookbook it is in; a dish
 * with neither a recipe nor ingredients, the reason it cannot be cooked. */
static void give_recipe(struct ticket *d)
{
	const struct recipe *rc;

	if (d->reject)
		return;
	rc = cookbook_find(book, d->name);
	if (rc) {
		d->book = cookbook_ref(book);
		d->recipe = rc;
	} else if (d->n_ingredients == 0) {
		/* kitchend puts "chef NAME: " before every reason. */
		snprintf(d->why, sizeof(d->why), "no recipe for %s", d->name);
		d->reject = d->why;
	}
}

static void take_dishes(struct brigade *b, const struct proto_msg *m)
{
	size_t n = proto_groups(m);

	for (size_t g = 0; g < n; g++) {
		struct ticket *d;
		struct log_about about;
		int r;

		r = ticket_from_group(m, g, &d);
		if (r == -EINVAL) {
			log_warning("Dropping a dish from kitchend with a bad dish_id or attempt");
			continue;
		}
		if (r < 0) {
			log_error_errno(r, "Failed to take a dish, dropping it: %m");
			continue;
		}
		about = (struct log_about) { .order = d->order, .dish = d->number, .chef = arg_name };
		d->fault = fault_table_find(faults, d->name);
		give_recipe(d);
		r = brigade_add(b, &d);
		if (r < 0)
			log_fields(LOG_WARNING, r, &about,
				   "Order %llu dish %llu dropped: %zu dishes wait already: %m", about.order,
				   about.dish, brigade_queued(b));
	}
	brigade_hand_out(b);
	log_debug("Took %zu %s, %u %s free, %zu waiting", n, plural(n, "dish", "dishes"),
		  brigade_free_stations(b), plural(brigade_free_stations(b), "station", "stations"),
		  brigade_queued(b));
}

static void cancel_dish(struct brigade *b, const struct proto_msg *m)
{
	uint64_t id, attempt;

	if (proto_u64(m, 0, &id) < 0 || proto_u64(m, 1, &attempt) < 0) {
		log_warning("Dropping a CANCEL from kitchend with a bad dish_id or attempt");
		return;
	}
	if (brigade_cancel(b, id, attempt) == 0)
		log_debug("CANCEL of dish %llu attempt %llu: not here, ignoring",
			  (unsigned long long) id, (unsigned long long) attempt);
}

static void heartbeat(struct brigade *b, const struct proto_msg *m)
{
	/* session_recv() has noted that kitchend lives. */
}

/* What kitchend may send a chef; NULL: unexpected. */
static void (*const from_kitchend_handlers[_PROTO_CMD_MAX])(struct brigade *b, const struct proto_msg *m) = {
	[PROTO_CANCEL] = cancel_dish,
	[PROTO_DISH] = take_dishes,
	[PROTO_HEARTBEAT] = heartbeat,
};

static void handle_message(struct brigade *b, const struct proto_msg *m)
{
	if (from_kitchend_handlers[m->cmd])
		return from_kitchend_handlers[m->cmd](b, m);
	log_warning("Dropping an unexpected %s from kitchend", proto_cmd_name(m->cmd));
}

static void from_kitchend(struct brigade *b, struct session *d, struct proto_msg *m, uint64_t now)
{
	for (unsigned k = 0; k < BATCH_MAX; k++) {
		int r = session_recv(d, m, now);

		if (r == -EAGAIN)
			return;
		if (r == -EINTR)
			continue;
		if (r == -EPROTO && m->other_version[0]) {
			log_warning("Dropping a message from kitchend in protocol %s, this chef speaks %s: "
				    "upgrade them together (%llu dropped so far)", m->other_version, PROTO_VERSION,
				    (unsigned long long) session_malformed(d));
			continue;
		}
		if (r == -EPROTO) {
			log_warning("Dropping a malformed message from kitchend (%llu so far)",
				    (unsigned long long) session_malformed(d));
			continue;
		}
		if (r < 0) {
			log_warning_errno(r, "Failed to receive from kitchend, ignoring: %m");
			return;
		}
		handle_message(b, m);
	}
}

/* Read --config's recipes and --kitchen-config's program dishes into a new
 * cookbook. 0 or -errno, logged. */
static int cookbook_load(struct cookbook **ret)
{
	struct kitchen_config *menu = NULL;
	struct chef_config *file = NULL;
	char err[512];
	int r;

	if (arg_config) {
		r = chef_config_load(arg_config, &file, err, sizeof(err));
		if (r < 0)
			return log_error_errno(r, "Failed to read the recipes of --config: %s", err);
	}
	if (arg_kitchen_config) {
		r = config_load(arg_kitchen_config, &menu, err, sizeof(err));
		if (r < 0) {
			chef_config_free(&file);
			return log_error_errno(r, "Failed to read the menu of --kitchen-config: %s",
					       err);
		}
	}
	r = cookbook_new(&file, &menu, ret, err, sizeof(err));
	if (r == -EINVAL)
		return log_error_errno(r, "Bad recipe: %s", err);
	if (r < 0)
		return log_error_errno(r, "Failed to build the cookbook: %m");
	return 0;
}

/* kitchend will send every dish of the lost session again, to whom it likes. */
static void abort_session(struct brigade *b)
{
	unsigned cooking = brigade_busy(b);
	size_t queued = brigade_queued(b);

	brigade_abort(b);
	if (cooking + queued > 0)
		log_warning("Aborting the %u dishes cooking and %zu waiting of the lost session: "
			    "kitchend sends them again", cooking, queued);
}

/* SIGHUP: a new cookbook, and a new session when the chef's skills changed. */
static void reload(struct brigade *b, struct session *d)
{
	struct cookbook *fresh = NULL;

	if (cookbook_load(&fresh) < 0) {
		log_warning("Keeping the %zu recipes the chef has", cookbook_size(book));
		return;
	}
	cookbook_unref(&book);
	book = fresh;
	log_info("Read the recipes again: %zu recipes", cookbook_size(book));
	switch (session_set_skills(d, cookbook_skills(book), now_ms())) {
	case 1:
		abort_session(b);
		break;
	case 0:
		break;
	default:
		log_error("Out of memory saying the new dishes, ignoring");
	}
}

static int loop(int sfd, struct brigade *b, struct session *d, struct proto_msg *m)
{
	for (;;) {
		zmq_pollitem_t items[] = {
			{ .fd = sfd, .events = ZMQ_POLLIN },
			{ .socket = brigade_socket(b), .events = ZMQ_POLLIN },
			{ .socket = session_socket(d), .events = ZMQ_POLLIN },
		};
		size_t n_items = items[2].socket ? 3 : 2;
		uint64_t now = now_ms();
		long timeout = session_timeout(d, now), next = brigade_timeout_ms(b);
		int r;

		if (next >= 0 && (timeout < 0 || next < timeout))
			timeout = next;
		r = zpoll(items, n_items, timeout);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return log_error_errno(r, "Failed to poll: %m");

		if (items[0].revents & ZMQ_POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != (ssize_t) sizeof(si))
				;  /* taken already: nothing to do */
			else if (si.ssi_signo == SIGHUP)
				reload(b, d);
			else {
				log_info("Got %s, stopping", strsignal((int) si.ssi_signo));
				return 0;
			}
		}
		if (items[1].revents & ZMQ_POLLIN) {
			r = brigade_process(b);
			if (r < 0)
				return log_error_errno(r, "Failed to hear from the stations: %m");
		}
		now = now_ms();
		if (n_items == 3 && (items[2].revents & ZMQ_POLLIN))
			from_kitchend(b, d, m, now);

		if (session_tick(d, now, brigade_busy(b)) == SESSION_LOST)
			abort_session(b);
		brigade_hand_out(b);  /* a station may be about to be done */

		/* kitchend keeps a stuck station's credit, so no dish waits on it;
		 * but the chef is a station short for good. A fresh chef is not.
		 * No clean exit: the stuck thread's sockets would hold
		 * zmq_ctx_term() forever. */
		if (brigade_stuck(b, now, STATION_STUCK_MS) > 0) {
			log_error("A station has not let go of a cancelled dish for %d ms: it is stuck; "
				  "exiting so that a fresh chef takes over", STATION_STUCK_MS);
			_exit(EXIT_FAILURE);
		}
	}
}

/* Read KITCHEN_CHEF_FAULTS once, and say loudly that it is set. */
static int faults_load(void)
{
	const char *spec = getenv(FAULT_ENV);
	const char *bad;
	int r;

	r = fault_table_parse(spec, &faults);
	if (r < 0)
		return r;
	for (size_t i = 0; (bad = fault_table_ignored(faults, i)); i++)
		log_warning("Ignoring '%s' in " FAULT_ENV ": want DISH=crash, DISH=hang or DISH=fail", bad);
	if (fault_table_size(faults) > 0)
		log_warning(FAULT_ENV "='%s' is set: %zu dishes crash, hang or fail on purpose (for tests only)",
			    spec, fault_table_size(faults));
	return 0;
}

static int run(void)
{
	char host[HOST_NAME_MAX + 1] = "";
	char chef_id[PROTO_MAX_NAME + 32];
	char err[512];
	struct keys_client curve, *secured = NULL;
	struct proto_msg *m = NULL;
	struct brigade *b = NULL;
	struct session *d = NULL;
	void *ctx = NULL;
	int sfd = -1;
	int r;
	/* The event loop's slots stand for stations: the same credit, the same accounting. */
	bool loop_model = strcmp(arg_model, CHEF_MODEL_EVENT_LOOP) == 0;
	unsigned cooks = loop_model ? arg_slots : arg_stations;

	if (gethostname(host, sizeof(host) - 1) < 0 || !*host)
		strcpy(host, "localhost");
	if (!arg_name) {
		if (strlen(host) > PROTO_MAX_NAME || !proto_text_valid(host, strlen(host), false))
			return log_error_errno(-EINVAL, "Host name '%s' is no chef name, say --name", host);
		arg_name = host;
	}
	r = make_chef_id(arg_name, chef_id, sizeof(chef_id));
	if (r < 0)
		return log_error_errno(r, "Failed to make a chef id: %m");
	if (arg_secret_key) {
		r = keys_client_load(arg_server_key, arg_secret_key, &curve, err, sizeof(err));
		if (r < 0)
			return log_error_errno(r, "Failed to read the CURVE keys: %s", err);
		secured = &curve;
	}

	r = signals_open(&sfd);
	if (r < 0)
		return log_error_errno(r, "Failed to set up signals: %m");

	r = faults_load();
	if (r < 0) {
		log_error_errno(r, "Failed to read " FAULT_ENV ": %m");
		goto finish;
	}

	m = proto_msg_new();
	ctx = zmq_ctx_new();
	if (!m || !ctx) {
		r = log_error_errno(-ENOMEM, "Failed to allocate: %m");
		goto finish;
	}

	r = cookbook_load(&book);
	if (r < 0)
		goto finish;

	r = brigade_new(ctx, loop_model, cooks, arg_sink, chef_id, arg_name, secured, &b);
	if (r < 0) {
		log_error_errno(r, "Failed to start %u %s pushing to '%s': %m", cooks,
				loop_model ? "event-loop slots" : "stations", arg_sink);
		goto finish;
	}

	r = session_new(&(struct session_config) {
			.ctx = ctx,
			.endpoint = arg_dispatch,
			.chef_id = chef_id,
			.name = arg_name,
			.host = host,
			.stations = cooks,
			.heartbeat_ms = arg_heartbeat_ms,
			.liveness = arg_liveness,
			.curve = secured,
			.skills = cookbook_skills(book),
		}, &d);
	if (r < 0) {
		log_error_errno(r, "Failed to allocate: %m");
		goto finish;
	}
	r = session_connect(d, now_ms());
	if (r < 0) {
		log_error_errno(r, "Failed to connect to kitchend at '%s': %m", arg_dispatch);
		goto finish;
	}
	log_info("Chef %s ready with %u %s%s%s and %zu recipe%s, dispatch %s, sink %s%s%s",
		 chef_id, cooks, loop_model ? "slot" : "station", cooks == 1 ? "" : "s",
		 loop_model ? " (event loop)" : "", cookbook_size(book),
		 cookbook_size(book) == 1 ? "" : "s", arg_dispatch, arg_sink,
		 secured ? ", CURVE public key " : "", secured ? curve.pair.public_key : "");

	r = loop(sfd, b, d, m);

finish:
	/* Reverse order: the session, then the stations, then the context. */
	session_free(&d);
	brigade_free(&b);
	cookbook_unref(&book);
	if (ctx)
		zmq_ctx_term(ctx);
	proto_msg_free(&m);
	fault_table_free(&faults);
	if (sfd >= 0)
		close(sfd);
	explicit_bzero(&curve, sizeof(curve));
	return r;
}

int main(int argc, char *argv[])
{
	int r;

	log_open("chef");
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? 2 : EXIT_SUCCESS;
	r = run();
	chef_config_free(&file_config);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
