/*
 * kitchen — set-up and tear-down of kitchend, and the few steps every part
 * shares (an order queued, an order finished, a malformed message counted).
 * The loop is in loop.c, the sockets in sockets.c, recovery and reload in
 * their own files. See kitchen.h for the turn.
 */
#include "kitchen.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"
#include "util.h"
#include "zap.h"

#define MALFORMED_LOG_INTERVAL_MS 1000

void kitchen_malformed(struct kitchen *k, const char *where, const char *why)
{
	static uint64_t last_log_ms, suppressed;
	uint64_t now = now_ms();

	k->n_malformed++;
	/* A hostile peer must not flood the journal: one line a second. */
	if (now - last_log_ms < MALFORMED_LOG_INTERVAL_MS && last_log_ms) {
		suppressed++;
		return;
	}
	log_warning("Dropped a malformed message on %s: %s (%llu dropped in all%s)", where, why,
		    (unsigned long long) k->n_malformed, suppressed ? ", some not logged" : "");
	last_log_ms = now;
	suppressed = 0;
}

void kitchen_refused(struct kitchen *k, const char *where, const struct proto_msg *m)
{
	static uint64_t last_log_ms;
	uint64_t now = now_ms();
	char why[32];

	/* A peer of another release is worth a line of its own, whatever
	 * else is being dropped (still at most one a second). */
	if (m->other_version[0] && (!last_log_ms || now - last_log_ms >= MALFORMED_LOG_INTERVAL_MS)) {
		log_warning("A peer on %s speaks protocol %s, this kitchend speaks %s (upgrade them together)",
			    where, m->other_version, PROTO_VERSION);
		last_log_ms = now;
	}
	snprintf(why, sizeof(why), "not a %s message", PROTO_VERSION);
	kitchen_malformed(k, where, why);
}

void kitchen_enqueue(struct kitchen *k, struct order *o)
{
	if (o->held && o->followers > 0)
		o->held = false;  /* its follower is already here */
	if (o->held) {
		o->hold_until_ms = now_ms() + FOLLOW_HOLD_MS;
		k->n_held_orders++;
		return;
	}
	for (uint32_t i = 0; i < o->n_dishes; i++)
		if (o->dishes[i].state == PROTO_STATE_QUEUED &&
		    dish_queue_push_back(&k->queue, &o->dishes[i]) < 0)
			log_error("Failed to queue dish %llu: out of memory", (unsigned long long) o->dishes[i].id);
}

void kitchen_order_finished(struct kitchen *k, struct order *o)
{
	enum proto_state state = order_state(o);
	int r;

	r = store_order_done(k->store, o->id, state);
	if (r < 0)
		log_error_errno(r, "Failed to record order %llu done: %m", (unsigned long long) o->id);
	log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id }, "Order %llu %s",
		   (unsigned long long) o->id, proto_state_name(state));
	events_done(k, o);
	if (o->held) {
		o->held = false;
		k->n_held_orders--;
	}
	idmap_remove(&k->orders, o->id);
	order_free(&o);
}

/* ---- set-up ---- */

static int lock_dir(const char *dir, int *ret_fd)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (asprintf(&path, "%s/kitchend.lock", dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int open_signals(struct kitchen *k)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	k->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (k->signal_fd < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int lock_fds[2] = { -1, -1 };

void kitchen_pool_args(const struct kitchen_config *c, struct pool_args *a);

int kitchen_new(struct kitchen_config *config, const char *log_level, struct kitchen **ret)
{
	_cleanup_free_ char *chef_path = NULL;
	struct kitchen *k;
	uint64_t n_converted = 0, lost_first = 0, lost_last = 0;
	char err[512];
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->config = config;
	k->signal_fd = -1;
	if (log_level) {
		k->log_level = strdup(log_level);
		if (!k->log_level) {
			config_free(config);
			free(k);
			return -ENOMEM;
		}
		free(config->log_level);
		config->log_level = strdup(log_level);
		if (!config->log_level) {
			r = log_error_errno(-ENOMEM, "Failed to allocate: %m");
			goto fail;
		}
	}
	k->started_ms = now_ms();
	menu_init(&k->menu);
	dish_queue_init(&k->queue);
	idmap_init(&k->orders);

	k->msg = proto_msg_new();
	for (size_t i = 0; i < ELEMENTSOF(k->scratch); i++)
		k->scratch[i] = malloc(PROTO_MAX_FIELD + 1);
	if (!k->msg || !k->scratch[0] || !k->scratch[1] || !k->scratch[2]) {
		r = log_error_errno(-ENOMEM, "Failed to allocate buffers: %m");
		goto fail;
	}
	r = menu_apply(&k->menu, config);
	if (r < 0) {
		log_error_errno(r, "Failed to set up the menu: %m");
		goto fail;
	}

	r = paths_mkdir_p(config->runtime_dir, 0755);
	if (r < 0) {
		log_error_errno(r, "Failed to create runtime directory '%s': %m", config->runtime_dir);
		goto fail;
	}
	r = paths_mkdir_p(config->state_dir, 0750);
	if (r < 0) {
		log_error_errno(r, "Failed to create state directory '%s': %m", config->state_dir);
		goto fail;
	}
	r = lock_dir(config->state_dir, &lock_fds[0]);
	if (r >= 0)
		r = lock_dir(config->runtime_dir, &lock_fds[1]);
	if (r == -EBUSY) {
		log_error("Another kitchend is running on '%s' or '%s'", config->state_dir, config->runtime_dir);
		goto fail;
	}
	if (r < 0) {
		log_error_errno(r, "Failed to lock '%s': %m", config->state_dir);
		goto fail;
	}

	r = store_open(config->state_dir, config->store_synchronous,
		       config->store_accept_lost ? STORE_OPEN_ACCEPT_LOST : 0, &k->store, err, sizeof(err));
	if (r == -ESTALE) {
		log_error("The order store in '%s' lost acknowledged orders: %s. Restore the store from a backup, "
			  "or start kitchend once with --accept-lost-orders to go on without them (their ids are "
			  "not used again)", config->state_dir, err);
		goto fail;
	}
	if (r == -EUCLEAN) {
		log_error("The order store in '%s' is damaged: %s. kitchend leaves it as it is: keep a copy of "
			  "its files, then restore kitchen.db from a backup, or copy what can be read into a new "
			  "kitchen.db as kitchend(8) shows under RECOVERY (what the damaged pages held is lost)",
			  config->state_dir, err);
		goto fail;
	}
	if (r == -EPROTONOSUPPORT) {
		log_error("The order store in '%s' was written by a newer kitchend (a schema newer than "
			  "version %d); leaving it untouched", config->state_dir, STORE_SCHEMA_VERSION);
		goto fail;
	}
	if (r < 0) {
		log_error("Failed to open the order store in '%s': %s", config->state_dir, err);
		goto fail;
	}
	if (store_lost_orders(k->store, &lost_first, &lost_last))
		log_warning("Accepted the loss of orders %llu to %llu from the order store in '%s' "
			    "(--accept-lost-orders); their ids are not used again", (unsigned long long) lost_first,
			    (unsigned long long) lost_last, config->state_dir);
	if (!store_checked(k->store))
		log_notice("The integrity check of the order store in '%s' was cut short after %d ms (a big "
			   "store); it found nothing until then", config->state_dir, STORE_CHECK_MS);
	if (store_full(k->store))
		log_warning("The order store in '%s' cannot be written: the disk is full", config->state_dir);
	if (store_converted(k->store, &n_converted))
		log_notice("Converted the order store in '%s' from schema version 1 to %d (%llu order%s)",
			   config->state_dir, STORE_SCHEMA_VERSION, (unsigned long long) n_converted,
			   n_converted == 1 ? "" : "s");
	r = kitchen_recover(k);
	if (r < 0) {
		log_error_errno(r, "Failed to resume orders from the store: %m");
		goto fail;
	}

	r = open_signals(k);
	if (r < 0) {
		log_error_errno(r, "Failed to set up signal handling: %m");
		goto fail;
	}

	k->zctx = zmq_ctx_new();
	if (!k->zctx) {
		r = log_error_errno(-errno, "Failed to create the ZeroMQ context: %m");
		goto fail;
	}
	if ((r = kitchen_open_curve(k)) < 0 ||
	    (r = kitchen_open_socket(k, ZMQ_ROUTER, CONFIG_ENDPOINT_DISPATCH, &k->dispatch)) < 0 ||
	    (r = kitchen_open_socket(k, ZMQ_PULL, CONFIG_ENDPOINT_SINK, &k->sink)) < 0 ||
	    (r = kitchen_open_socket(k, ZMQ_XPUB, CONFIG_ENDPOINT_EVENTS, &k->events)) < 0 ||
	    (r = kitchen_open_socket(k, ZMQ_ROUTER, CONFIG_ENDPOINT_CONTROL, &k->control)) < 0)
		goto fail;

	r = pool_find_chef(config->chefs_command, &chef_path);
	if (r < 0) {
		log_error_errno(r, "Failed to find the chef program: %m");
		goto fail;
	}
	struct pool_args args;
	kitchen_pool_args(config, &args);
	args.chef_path = chef_path;
	r = pool_init(&k->pool, &args, config->chefs_local);
	if (r < 0) {
		log_error_errno(r, "Failed to set up local chefs: %m");
		goto fail;
	}
	k->pool.chef_path = TAKE_PTR(chef_path);
	k->pool.args.chef_path = k->pool.chef_path;
	pool_start_due(&k->pool, now_ms());

	*ret = k;
	return 0;
fail:
	kitchen_free(&k);
	return r;
}

void kitchen_free(struct kitchen **kp)
{
	struct kitchen *k;

	if (!kp || !*kp)
		return;
	k = *kp;

	/* Reverse order of kitchen_new. */
	if (k->pool.slots) {
		pool_stop(&k->pool, SIGKILL);
		free(k->pool.chef_path);
		pool_finish(&k->pool);
	}
	while (k->chefs.head) {
		struct chef *c = k->chefs.head;
		chef_list_remove(&k->chefs, c);
		chef_free(&c);
	}
	zmq_close(k->control);
	zmq_close(k->events);
	zmq_close(k->sink);
	zmq_close(k->dispatch);
	zap_free(&k->zap);
	if (k->zctx) {
		zmq_ctx_term(k->zctx);
		/* Leave no socket files behind to look like a running kitchend;
		 * the runtime_dir lock says they are ours. */
		for (int i = 0; i < _CONFIG_ENDPOINT_MAX; i++)
			if (strncmp(k->config->endpoints[i], "ipc://", 6) == 0)
				(void) unlink(k->config->endpoints[i] + 6);
	}
	if (k->signal_fd >= 0)
		close(k->signal_fd);
	if (k->curve)
		explicit_bzero(k->curve, sizeof(*k->curve));
	freep(&k->curve);
	store_close(&k->store);
	for (int i = 0; i < 2; i++)
		if (lock_fds[i] >= 0) {
			close(lock_fds[i]);
			lock_fds[i] = -1;
		}
	while (k->acks) {
		struct pending_reply *p = k->acks;
		k->acks = p->next;
		free(p);
	}
	while (k->waits) {
		struct pending_reply *p = k->waits;
		k->waits = p->next;
		free(p);
	}
	for (size_t i = 0; i < k->orders.cap; i++)
		if (k->orders.keys[i])
			free(k->orders.values[i]);
	idmap_finish(&k->orders);
	dish_queue_finish(&k->queue);
	menu_finish(&k->menu);
	for (size_t i = 0; i < ELEMENTSOF(k->scratch); i++)
		free(k->scratch[i]);
	proto_msg_free(&k->msg);
	config_free(k->config);
	free(k->log_level);
	free(k);
	*kp = NULL;
}
