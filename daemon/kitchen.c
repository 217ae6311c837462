/*
 * kitchen — set-up, the loop, and recovery. See kitchen.h for the turn.
 */
#include "kitchen.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "keys.h"
#include "log.h"
#include "paths.h"
#include "socket_limits.h"
#include "util.h"
#include "zap.h"

#define STOP_GRACE_MS 5000
/*
 * Writes that nobody waits for (dishes handed out, results) may wait for the
 * next commit up to this long, so that a busy kitchen pays one fsync per
 * COMMIT_DEFER_MS rather than one per loop turn, and a turn that only hands
 * out dishes does not stall the loop in fsync while results come in. What a
 * client waits for is committed in its own turn: an order's OK, a WAIT's
 * answer. A crash loses at most this much bookkeeping of dishes, which are
 * then cooked again (cooking is at least once; no acknowledged order is lost).
 */
#define COMMIT_DEFER_MS 10
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
		if (o->dishes[i].state == DISH_STATE_QUEUED &&
		    dish_queue_push_back(&k->queue, &o->dishes[i]) < 0)
			log_error("Failed to queue dish %llu: out of memory", (unsigned long long) o->dishes[i].id);
}

void kitchen_order_finished(struct kitchen *k, struct order *o)
{
	enum dish_state state = order_state(o);
	int r;

	r = store_order_done(k->store, o->id, state);
	if (r < 0)
		log_error_errno(r, "Failed to record order %llu done: %m", (unsigned long long) o->id);
	log_fields(LOG_DEBUG, 0, &(struct log_about) { .order = o->id }, "Order %llu %s",
		   (unsigned long long) o->id, dish_state_name(state));
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

static int set_int(void *sock, int option, int value)
{
	return zmq_setsockopt(sock, option, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* Resolve a group name (or number) to its gid: 0 or -errno (-ENOENT: no such group). */
static int group_id(const char *name, gid_t *ret)
{
	char buf[16384];
	struct group g, *found = NULL;
	uint64_t id;
	int r;

	r = getgrnam_r(name, &g, buf, sizeof(buf), &found);
	if (r == 0 && found) {
		*ret = found->gr_gid;
		return 0;
	}
	if (parse_u64(name, 0, UINT32_MAX - 1, &id) == 0) {
		*ret = (gid_t) id;
		return 0;
	}
	return r > 0 ? -r : -ENOENT;
}

/*
 * control.mode and control.group on the ipc control and events sockets:
 * who may connect is who may order, reload and drain. The other two stay as
 * the umask made them (local chefs run as kitchend's own user).
 */
static int set_socket_access(const struct kitchen_config *c, enum config_endpoint which)
{
	const char *ep = c->endpoints[which];
	unsigned long mode = strtoul(c->control_mode, NULL, 8);
	gid_t gid;
	int r;

	if ((which != CONFIG_ENDPOINT_CONTROL && which != CONFIG_ENDPOINT_EVENTS) ||
	    strncmp(ep, "ipc://", 6) != 0 || ep[6] == '@')
		return 0;
	if (c->control_group) {
		r = group_id(c->control_group, &gid);
		if (r < 0)
			return log_error_errno(r, "Failed to find group '%s' for %s: %m", c->control_group, ep + 6);
		if (chown(ep + 6, (uid_t) -1, gid) < 0)
			return log_error_errno(-errno, "Failed to give %s to group '%s': %m", ep + 6, c->control_group);
	}
	if (chmod(ep + 6, (mode_t) mode) < 0)
		return log_error_errno(-errno, "Failed to set mode %s on %s: %m", c->control_mode, ep + 6);
	return 0;
}

static const char *const socket_names[_CONFIG_ENDPOINT_MAX] = {
	[CONFIG_ENDPOINT_CONTROL] = "control",
	[CONFIG_ENDPOINT_EVENTS] = "events",
	[CONFIG_ENDPOINT_DISPATCH] = "dispatch",
	[CONFIG_ENDPOINT_SINK] = "sink",
};

/* CURVE on a tcp:// endpoint when kitchend has a key pair, with its ZAP domain. */
static int secure_socket(struct kitchen *k, void *s, enum config_endpoint which)
{
	const char *ep = k->config->endpoints[which];
	bool chefs = which == CONFIG_ENDPOINT_DISPATCH || which == CONFIG_ENDPOINT_SINK;
	int r;

	if (!keys_endpoint_secured(ep))
		return 0;
	if (!k->curve) {
		log_warning("%s endpoint %s is plaintext TCP: anyone who reaches it is %s "
			    "(set curve.secret_key in the configuration)", socket_names[which], ep,
			    chefs ? "a chef" : "a kitchenctl");
		return 0;
	}
	r = keys_set_server(s, k->curve, chefs ? ZAP_DOMAIN_CHEFS : ZAP_DOMAIN_CONTROL);
	if (r >= 0)
		r = zap_watch(k->zap, s, socket_names[which]);
	if (r < 0)
		return log_error_errno(r, "Failed to set up CURVE on '%s': %m", ep);
	return 0;
}

static int open_socket(struct kitchen *k, int type, enum config_endpoint which, void **ret)
{
	const char *ep = k->config->endpoints[which];
	int64_t max = PROTO_MAX_FIELD;
	void *s = zmq_socket(k->zctx, type);
	int r = 0;

	if (!s)
		return -errno;
	r = set_int(s, ZMQ_LINGER, 0);
	if (r >= 0 && zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0)
		r = -errno;
	if (r >= 0 && type == ZMQ_ROUTER)
		r = set_int(s, ZMQ_ROUTER_MANDATORY, 1);
	if (r >= 0 && which == CONFIG_ENDPOINT_DISPATCH)
		r = set_int(s, ZMQ_ROUTER_HANDOVER, 1);
	if (r >= 0 && type == ZMQ_XPUB) {
		r = set_int(s, ZMQ_XPUB_VERBOSER, 1);
		if (r >= 0)
			r = set_int(s, ZMQ_SNDHWM, 100000);
	}
	if (r >= 0)
		r = socket_limits_apply(s, which);
	if (r >= 0 && (r = secure_socket(k, s, which)) < 0) {
		zmq_close(s);
		return r;
	}
	if (r >= 0 && zmq_bind(s, ep) < 0)
		r = -errno;
	if (r < 0) {
		log_error_errno(r, "Failed to bind '%s': %m", ep);
		zmq_close(s);
		return r;
	}
	r = set_socket_access(k->config, which);
	if (r < 0) {
		zmq_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

/* kitchend's key pair and the ZAP handler, when curve.secret_key is set. */
static int open_curve(struct kitchen *k)
{
	const char *path = k->config->curve_secret_key;
	int r;

	if (!path)
		return 0;
	k->curve = calloc(1, sizeof(*k->curve));
	if (!k->curve)
		return log_error_errno(-ENOMEM, "Failed to allocate: %m");
	r = keys_load(path, k->curve);
	if (r == -EPERM)
		return log_error_errno(r, "Failed to read the key pair '%s': others may read it (chmod 0600 it)", path);
	if (r < 0)
		return log_error_errno(r, "Failed to read the key pair '%s': %m", path);
	if (!k->curve->secret_key[0])
		return log_error_errno(-EINVAL, "Failed to read the key pair '%s': it holds no secret-key "
				       "(curve.secret_key names NAME.key, not NAME.pub)", path);
	r = zap_new(k->zctx, k->config, k->curve, &k->zap);
	if (r < 0)
		return r;  /* logged */
	log_info("CURVE on the tcp endpoints, public key %s", k->curve->public_key);
	return 0;
}

struct recovery {
	struct kitchen *k;
	struct order *order;
};

static int recover_order(const struct store_order *so, void *userdata)
{
	struct recovery *rec = userdata;
	struct kitchen *k = rec->k;
	struct order *o = order_new(so->id, so->created_ms, so->n_dishes, 0);

	if (!o || idmap_put(&k->orders, o->id, o) < 0) {
		order_free(&o);
		return -ENOMEM;
	}
	o->committed = true;
	rec->order = o;
	return 0;
}

static int recover_dish(const struct store_dish *sd, void *userdata)
{
	struct recovery *rec = userdata;
	struct kitchen *k = rec->k;
	struct order *o = rec->order;
	struct dish *d;

	if (sd->index >= o->n_dishes)
		return 0;
	d = &o->dishes[sd->index];
	d->id = sd->id;
	d->attempts = (uint16_t) sd->attempts;
	d->item = menu_intern(&k->menu, sd->name);
	if (!d->item)
		return -ENOMEM;
	switch ((enum dish_state) sd->state) {
	case DISH_STATE_SERVED:
		d->state = DISH_STATE_SERVED;
		o->n_served++;
		break;
	case DISH_STATE_FAILED:
		d->state = DISH_STATE_FAILED;
		o->n_failed++;
		break;
	case DISH_STATE_QUEUED:
	case DISH_STATE_COOKING:
	case _DISH_STATE_MAX:
		/* Whatever was cooking when kitchend stopped is cooked again. */
		d->state = DISH_STATE_QUEUED;
		k->n_queued++;
		if (dish_queue_push_back(&k->queue, d) < 0)
			return -ENOMEM;
		break;
	}
	return 0;
}

static int recover(struct kitchen *k)
{
	struct recovery rec = { .k = k };
	uint64_t counts[_DISH_STATE_MAX];
	int r;

	r = store_next_ids(k->store, &k->next_order_id, &k->next_dish_id);
	if (r >= 0)
		r = store_count(k->store, counts);
	if (r >= 0)
		r = store_load_open(k->store, recover_order, recover_dish, &rec);
	if (r < 0)
		return r;
	k->n_served = counts[DISH_STATE_SERVED];
	k->n_failed = counts[DISH_STATE_FAILED];

	/* An order whose last dish finished just as kitchend died. */
	for (size_t i = 0; i < k->orders.cap; i++) {
		struct order *o = k->orders.values[i];
		if (k->orders.keys[i] && order_done(o)) {
			kitchen_order_finished(k, o);
			i = (size_t) -1;  /* the map shifted; look again */
		}
	}
	if (k->orders.len)
		log_info("Resuming %llu dishes of %zu orders from the store",
			 (unsigned long long) k->n_queued, k->orders.len);
	return store_commit(k->store);
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

static void pool_args_from(const struct kitchen_config *c, struct pool_args *a);

int kitchen_new(struct kitchen_config *config, const char *log_level, struct kitchen **ret)
{
	_cleanup_free_ char *chef_path = NULL;
	struct kitchen *k;
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

	r = store_open(config->state_dir, config->store_synchronous, &k->store);
	if (r < 0) {
		log_error_errno(r, "Failed to open the order store in '%s': %m", config->state_dir);
		goto fail;
	}
	r = recover(k);
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
	if ((r = open_curve(k)) < 0 ||
	    (r = open_socket(k, ZMQ_ROUTER, CONFIG_ENDPOINT_DISPATCH, &k->dispatch)) < 0 ||
	    (r = open_socket(k, ZMQ_PULL, CONFIG_ENDPOINT_SINK, &k->sink)) < 0 ||
	    (r = open_socket(k, ZMQ_XPUB, CONFIG_ENDPOINT_EVENTS, &k->events)) < 0 ||
	    (r = open_socket(k, ZMQ_ROUTER, CONFIG_ENDPOINT_CONTROL, &k->control)) < 0)
		goto fail;

	r = pool_find_chef(config->chefs_command, &chef_path);
	if (r < 0) {
		log_error_errno(r, "Failed to find the chef program: %m");
		goto fail;
	}
	struct pool_args args;
	pool_args_from(config, &args);
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

/* ---- reload ---- */

static void pool_args_from(const struct kitchen_config *c, struct pool_args *a)
{
	*a = (struct pool_args) {
		.dispatch = c->endpoints[CONFIG_ENDPOINT_DISPATCH],
		.sink = c->endpoints[CONFIG_ENDPOINT_SINK],
		.threads = c->chefs_threads,
		.heartbeat_ms = c->heartbeat_interval_ms,
		.liveness = c->heartbeat_liveness,
		.log_level = c->log_level,
		.curve_key = c->curve_secret_key,
	};
}

/* Keys bound at start: a reload keeps the running value and says so. */
static void keep_fixed(struct kitchen_config *new, struct kitchen_config *old)
{
	static const char *const endpoint_keys[_CONFIG_ENDPOINT_MAX] = {
		"endpoints.control", "endpoints.events", "endpoints.dispatch", "endpoints.sink",
	};
	struct {
		const char *key;
		char **new_value, **old_value;
	} fixed[5 + _CONFIG_ENDPOINT_MAX] = {
		{ "runtime_dir", &new->runtime_dir, &old->runtime_dir },
		{ "state_dir", &new->state_dir, &old->state_dir },
		{ "store.synchronous", &new->store_synchronous, &old->store_synchronous },
		{ "chefs.command", &new->chefs_command, &old->chefs_command },
		/* the sockets were made secure with it, or not */
		{ "curve.secret_key", &new->curve_secret_key, &old->curve_secret_key },
	};

	for (int i = 0; i < _CONFIG_ENDPOINT_MAX; i++)
		fixed[5 + i] = (typeof(fixed[0])) { endpoint_keys[i], &new->endpoints[i], &old->endpoints[i] };

	for (size_t i = 0; i < ELEMENTSOF(fixed); i++) {
		char *a = *fixed[i].new_value, *b = *fixed[i].old_value;
		if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
			log_warning("Reload: %s changes only with a restart; keeping '%s'", fixed[i].key,
				    b ? b : "(default)");
		/* Swap, so each config frees what it holds. */
		*fixed[i].new_value = b;
		*fixed[i].old_value = a;
	}
}

int kitchen_reload(struct kitchen *k, char *err, size_t err_size)
{
	struct kitchen_config *new = NULL, *old = k->config;
	struct pool_args args;
	int prio, r;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long) now_ms() * 1000);
	r = config_load(old->path, &new, err, err_size);
	if (r < 0) {
		log_error("Reload refused, keeping the running configuration: %s", err);
		goto out;
	}
	if (k->log_level) {
		char *level = strdup(k->log_level);
		if (!level) {
			snprintf(err, err_size, "out of memory");
			config_free(new);
			r = -ENOMEM;
			goto out;
		}
		free(new->log_level);
		new->log_level = level;
	}
	prio = log_priority_from_name(new->log_level);

	r = menu_apply(&k->menu, new);
	if (r < 0) {
		snprintf(err, err_size, "out of memory");
		/* Point the menu back at the config that stays. */
		(void) menu_apply(&k->menu, old);
		config_free(new);
		goto out;
	}
	keep_fixed(new, old);
	k->config = new;
	(void) zap_reload(k->zap, new);  /* logged; the lists in force stay on failure */
	(void) set_socket_access(new, CONFIG_ENDPOINT_CONTROL);
	(void) set_socket_access(new, CONFIG_ENDPOINT_EVENTS);
	pool_args_from(new, &args);
	if (pool_set_args(&k->pool, &args) < 0)
		log_error("Failed to apply the new chef arguments: out of memory");
	r = pool_resize(&k->pool, new->chefs_local);
	if (r < 0)
		log_error_errno(r, "Failed to change the number of local chefs: %m");
	if (prio >= 0)
		log_set_max_priority(prio);
	config_free(old);
	k->next_heartbeat_ms = 0;

	log_notice("Reloaded %s: %zu dishes on the menu, %u local chefs of %u stations",
		   new->path ? new->path : "embedded defaults", new->n_menu, new->chefs_local, new->chefs_threads);
	r = 0;
out:
	sd_notify(0, "READY=1");
	return r;
}

/* ---- the loop ---- */

static void on_chef_exit(struct pool_slot *slot, int status, void *u)
{
	struct kitchen *k = u;
	char how[128];

	pool_describe_status(status, how, sizeof(how));
	if (slot->retired)
		log_info("%s (pid %d) %s: scaled down", slot->name, (int) slot->pid, how);
	else if (k->pool.stopping)
		log_debug("%s (pid %d) %s", slot->name, (int) slot->pid, how);
	else
		log_warning("%s (pid %d) %s; restarting it in %llu ms", slot->name, (int) slot->pid, how,
			    (unsigned long long) (slot->restart_at_ms - now_ms()));
	dispatch_local_exit(k, slot->name, (uint64_t) slot->pid, how, pool_status_crashed(status));
	events_chef(k, slot->name, "exited", how);
}

static void begin_stop(struct kitchen *k, const char *why)
{
	if (k->stop_deadline_ms)
		return;
	log_notice("Stopping (%s): no new orders; %llu cooking dishes may finish, %llu queued ones stay in the store",
		   why, (unsigned long long) k->n_cooking, (unsigned long long) k->n_queued);
	sd_notify(0, "STOPPING=1");
	k->stopping = true;
	k->stop_deadline_ms = now_ms() + k->config->drain_timeout_ms;
}

static void read_signals(struct kitchen *k)
{
	struct signalfd_siginfo si;

	while (read(k->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (k->stop_deadline_ms) {
				/* Asked twice: don't wait for the cooking any more. */
				k->stop_deadline_ms = now_ms();
				break;
			}
			begin_stop(k, si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		case SIGHUP: {
			char err[512];
			(void) kitchen_reload(k, err, sizeof(err));
			break;
		}
		case SIGCHLD:
			pool_reap(&k->pool, now_ms(), on_chef_exit, k);
			break;
		default:
			break;
		}
	}
}

/*
 * Stopping: first the cooking dishes finish (or drain_timeout_ms passes),
 * then the local chefs are told to go, then killed if they linger.
 */
static void advance_stop(struct kitchen *k, uint64_t now)
{
	if (!k->stopping)
		return;
	if (!k->stop_deadline_ms)
		begin_stop(k, "drain requested");
	if (!k->pool.stopping) {
		if (k->n_cooking > 0 && now < k->stop_deadline_ms)
			return;
		if (k->n_cooking > 0)
			log_warning("%llu dishes still cooking after %llu ms; they will be cooked again on the next start",
				    (unsigned long long) k->n_cooking,
				    (unsigned long long) k->config->drain_timeout_ms);
		pool_stop(&k->pool, SIGTERM);
		k->stop_deadline_ms = now + STOP_GRACE_MS;
	}
	if (pool_running(&k->pool) == 0) {
		k->done = true;
		return;
	}
	if (now >= k->stop_deadline_ms) {
		log_warning("Local chefs did not stop within %u ms; killing them", STOP_GRACE_MS);
		pool_stop(&k->pool, SIGKILL);
		k->stop_deadline_ms = now + STOP_GRACE_MS;
	}
}

static void notify_status(struct kitchen *k, uint64_t now)
{
	static uint64_t last_ms;

	if (now - last_ms < 1000)
		return;
	last_ms = now;
	sd_notifyf(0, "STATUS=%zu chefs; %llu queued, %llu cooking, %llu served, %llu failed",
		   k->chefs.len, (unsigned long long) k->n_queued, (unsigned long long) k->n_cooking,
		   (unsigned long long) k->n_served, (unsigned long long) k->n_failed);
}

/* WATCHDOG=1 from the loop itself: a loop that stalls stops the pings,
 * and systemd restarts it. */
static void notify_watchdog(struct kitchen *k, uint64_t now)
{
	if (!k->watchdog_ms || now < k->next_watchdog_ms)
		return;
	sd_notify(0, "WATCHDOG=1");
	k->next_watchdog_ms = now + k->watchdog_ms;
}

static long poll_timeout(struct kitchen *k, uint64_t now, bool busy)
{
	uint64_t next = k->next_heartbeat_ms;
	uint64_t t;

	if (k->watchdog_ms && k->next_watchdog_ms < next)
		next = k->next_watchdog_ms;
	if (busy)
		return 0;
	if (!k->stopping && dish_queue_len(&k->queue) > 0 && dispatch_has_credit(k))
		return 0;
	t = pool_next_start(&k->pool);
	if (t < next)
		next = t;
	t = control_next_deadline(k);
	if (t < next)
		next = t;
	if ((k->n_held_orders > 0 || !k->ready_sent) && now + 100 < next)
		next = now + 100;
	if ((k->stopping || k->config->dishes_timeout_ms) && now + 100 < next)
		next = now + 100;
	if (k->dirty_since_ms && k->dirty_since_ms + COMMIT_DEFER_MS < next)
		next = k->dirty_since_ms + COMMIT_DEFER_MS;
	if (now + 1000 < next)
		next = now + 1000;
	return next > now ? (long) (next - now) : 0;
}

/*
 * READY=1 once the local chefs have joined (or READY_WAIT_MS passed: a chef
 * that cannot start must not keep systemd waiting; status shows it).
 */
#define READY_WAIT_MS 5000

static void notify_ready(struct kitchen *k, uint64_t now)
{
	size_t joined = 0;

	if (k->ready_sent)
		return;
	for (const struct chef *c = k->chefs.head; c; c = c->next)
		if (c->local)
			joined++;
	if (joined < k->config->chefs_local && now - k->started_ms < READY_WAIT_MS)
		return;
	k->ready_sent = true;
	sd_notify(0, "READY=1");
	log_info("Ready: %zu of %u local chefs joined; control on %s", joined, k->config->chefs_local,
		 k->config->endpoints[CONFIG_ENDPOINT_CONTROL]);
}

/* Whether this turn commits: see COMMIT_DEFER_MS. */
static bool commit_due(struct kitchen *k)
{
	uint64_t now = now_ms();

	if (!store_dirty(k->store)) {
		k->dirty_since_ms = 0;
		return false;
	}
	if (!k->dirty_since_ms)
		k->dirty_since_ms = now;
	return k->new_orders || k->acks || k->stopping || now >= k->dirty_since_ms + COMMIT_DEFER_MS ||
	       control_replies_due(k, now);
}

int kitchen_run(struct kitchen *k)
{
	bool busy = false;
	uint64_t usec;

	k->next_heartbeat_ms = now_ms();
	if (sd_watchdog_enabled(0, &usec) > 0)
		k->watchdog_ms = usec / 2000 ? usec / 2000 : 1;

	while (!k->done) {
		zmq_pollitem_t items[5 + ZAP_POLL_MAX] = {
			{ .socket = k->sink, .events = ZMQ_POLLIN },
			{ .socket = k->dispatch, .events = ZMQ_POLLIN },
			{ .socket = k->control, .events = ZMQ_POLLIN },
			{ .socket = k->events, .events = ZMQ_POLLIN },
			{ .fd = k->signal_fd, .events = ZMQ_POLLIN },
		};
		size_t n_items = 5 + zap_poll_items(k->zap, items + 5);
		uint64_t now = now_ms();
		int r;

		r = zmq_poll(items, (int) n_items, poll_timeout(k, now, busy));
		if (r < 0 && errno != EINTR)
			return log_error_errno(-errno, "Failed to poll: %m"), 1;

		read_signals(k);
		busy = zap_read(k->zap);  /* first: a handshake waits for it */
		busy |= sink_read(k);
		busy |= dispatch_read(k);
		busy |= control_read(k);
		busy |= events_read(k);

		now = now_ms();
		dispatch_heartbeat(k, now);
		dispatch_expire(k, now);
		pool_start_due(&k->pool, now);
		events_release_held(k, now);
		dispatch_retire(k, now);
		dispatch_cook(k);

		r = 0;
		if (commit_due(k)) {
			r = store_commit(k->store);
			k->dirty_since_ms = 0;
		}
		if (r < 0) {
			/* Memory is now ahead of the store. Stop, so that the next
			 * start resumes from the last commit; nothing acknowledged
			 * is lost, and cooking is at-least-once anyway. */
			log_error_errno(r, "Failed to commit to the order store, stopping: %m");
			store_rollback(k->store);
			k->done = true;
			k->exit_code = 1;
		}
		control_after_commit(k, r >= 0);

		advance_stop(k, now);
		notify_ready(k, now);
		notify_status(k, now);
		notify_watchdog(k, now);
		/* A socket read up to its budget may hold more: the next poll does not wait. */
	}

	if (k->exit_code)
		return k->exit_code;
	log_info("Stopped: %llu served, %llu failed, %llu queued dishes kept for the next start",
		 (unsigned long long) k->n_served, (unsigned long long) k->n_failed,
		 (unsigned long long) k->n_queued);
	return 0;
}
