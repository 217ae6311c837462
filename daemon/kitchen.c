/*
 * kitchen — set-up and tear-down of kitchend: each part in order, undone in
 * the reverse order. See kitchen.h.
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

#include "activation.h"
#include "dispatch.h"
#include "events.h"
#include "log.h"
#include "orders.h"
#include "paths.h"
#include "pending.h"
#include "reload.h"
#include "sockets.h"
#include "store.h"
#include "util.h"
#include "zap.h"

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

int kitchen_new(struct kitchen_config *config, const char *log_level, struct kitchen **ret)
{
	_cleanup_free_ char *chef_path = NULL;
	unsigned converted_from = 0;
	uint64_t n_converted = 0, n_dishes, lost_first = 0, lost_last = 0;
	struct kitchen *k;
	struct store_retention retention;
	size_t n_orders;
	char why[512], err[512];
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->config = config;
	k->signal_fd = -1;
	r = activation_take(config, k->listen_fds);
	if (r < 0)
		goto fail;  /* logged */
	if (log_level) {
		k->log_level = strdup(log_level);
		if (!k->log_level) {
			config_free(&config);
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
	k->chef_log = (struct log_ratelimit) LOG_RATELIMIT_INIT(1000, 20);
	malformed_init(&k->malformed);
	metrics_init(&k->metrics);
	menu_init(&k->menu);

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

	r = paths_make_trusted_dir(config->runtime_dir, 0755, why, sizeof(why));
	if (r < 0) {
		log_error_errno(r, "Failed to use runtime directory '%s': %s", config->runtime_dir, why);
		goto fail;
	}
	r = paths_make_trusted_dir(config->state_dir, 0750, why, sizeof(why));
	if (r < 0) {
		log_error_errno(r, "Failed to use state directory '%s': %s", config->state_dir, why);
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
	if (store_converted(k->store, &converted_from, &n_converted))
		log_notice("Converted the order store in '%s' from schema version %u to %d (%llu order%s)",
			   config->state_dir, converted_from, STORE_SCHEMA_VERSION, (unsigned long long) n_converted,
			   n_converted == 1 ? "" : "s");
	kitchen_retention(config, &retention);
	store_set_retention(k->store, &retention);

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
	    (r = kitchen_open_socket(k, ZMQ_XPUB, CONFIG_ENDPOINT_EVENTS, &k->events_sock)) < 0 ||
	    (r = kitchen_open_socket(k, ZMQ_ROUTER, CONFIG_ENDPOINT_CONTROL, &k->control)) < 0)
		goto fail;
	activation_close(k->listen_fds);  /* passed for an endpoint configured otherwise: unused */

	if ((r = events_new(k->events_sock, &k->malformed, &k->events)) < 0 ||
	    (r = pending_new(&k->pending)) < 0 ||
	    (r = orders_new(k->store, k->events, &k->metrics, config->dishes_max_attempts, &k->orders)) < 0) {
		log_error_errno(r, "Failed to allocate: %m");
		goto fail;
	}
	r = orders_resume(k->orders, &k->menu, k->config->orders_max_queued, &n_orders, &n_dishes);
	if (r == -ENOMEM) {
		log_error_errno(r, "Failed to resume orders from the store: %m");
		goto fail;
	}
	if (r < 0) {
		log_error("Failed to resume orders from the store: %s", store_error(k->store));
		goto fail;
	}
	if (n_orders)
		log_info("Resuming %llu %s of %zu %s from the store", (unsigned long long) n_dishes,
			 plural(n_dishes, "dish", "dishes"), n_orders, plural(n_orders, "order", "orders"));

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

	/* Reverse order of kitchen_new, but for the local chefs: they are
	 * killed once the sockets are gone (below). A chef that dies while
	 * libzmq tears down a session in the middle of a message makes
	 * libzmq 4.3 abort (session_base.cpp, clean_pipes()); after a normal
	 * stop none is left running anyway. */
	dispatch_finish(k);
	orders_free(&k->orders);
	pending_free(&k->pending);
	events_free(&k->events);
	zmq_close(k->control);
	zmq_close(k->events_sock);
	zmq_close(k->sink);
	zmq_close(k->dispatch);
	zap_free(&k->zap);
	if (k->zctx) {
		zmq_ctx_term(k->zctx);
		/* Leave no socket files behind to look like a running kitchend;
		 * the runtime_dir lock says they are ours. */
		for (int i = 0; i < _CONFIG_ENDPOINT_MAX; i++)
			if (!k->activated[i] && strncmp(k->config->endpoints[i], "ipc://", 6) == 0)
				(void) paths_socket_unlink(k->config->endpoints[i] + 6);
	}
	activation_close(k->listen_fds);
	if (k->pool.slots) {
		pool_stop(&k->pool, SIGKILL);
		free(k->pool.chef_path);
		pool_finish(&k->pool);
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
	menu_finish(&k->menu);
	for (size_t i = 0; i < ELEMENTSOF(k->scratch); i++)
		free(k->scratch[i]);
	proto_msg_free(&k->msg);
	config_free(&k->config);
	free(k->log_level);
	free(k);
	*kp = NULL;
}
