/*
 * reload — SIGHUP and kitchenctl reload. See reload.h.
 */
#include "reload.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "chefs.h"
#include "kitchen.h"
#include "log.h"
#include "orders.h"
#include "sockets.h"
#include "util.h"
#include "zap.h"

void kitchen_pool_args(const struct kitchen_config *c, struct pool_args *a)
{
	*a = (struct pool_args) {
		.dispatch = c->endpoints[CONFIG_ENDPOINT_DISPATCH],
		.sink = c->endpoints[CONFIG_ENDPOINT_SINK],
		.threads = c->chefs_threads,
		.model = c->chefs_model,
		.slots = c->chefs_slots,
		.heartbeat_ms = c->heartbeat_interval_ms,
		.liveness = c->heartbeat_liveness,
		.log_level = c->log_level,
		.curve_key = c->curve_secret_key,
		.kitchen_config = c->path,
	};
}

void kitchen_retention(const struct kitchen_config *c, struct store_retention *r)
{
	*r = (struct store_retention) {
		.keep_ms = c->history_keep_s * 1000,
		.max_orders = c->history_max_orders,
		.key_retention_ms = c->orders_key_retention_s * 1000,
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
	struct store_retention retention;
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
			config_free(&new);
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
		config_free(&new);
		goto out;
	}
	keep_fixed(new, old);
	k->config = new;
	/* What the chefs can cook, on the new menu (a name may have come or gone). */
	for (struct chef *c = k->chefs.head; c; c = c->next)
		if (skills_resolve(&c->skills, &k->menu) < 0)
			log_warning("Failed to look chef %s's dishes up on the new menu: out of memory", c->name);
	(void) zap_reload(k->zap, new);  /* logged; the lists in force stay on failure */
	(void) kitchen_socket_access(new, CONFIG_ENDPOINT_CONTROL);
	(void) kitchen_socket_access(new, CONFIG_ENDPOINT_EVENTS);
	kitchen_pool_args(new, &args);
	if (pool_set_args(&k->pool, &args) < 0)
		log_error("Failed to apply the new chef arguments: out of memory");
	r = pool_resize(&k->pool, new->chefs_local);
	if (r < 0)
		log_error_errno(r, "Failed to change the number of local chefs: %m");
	/* They read the file's programs again (pool.h). */
	pool_signal(&k->pool, SIGHUP);
	orders_set_max_attempts(k->orders, new->dishes_max_attempts);
	kitchen_retention(new, &retention);
	store_set_retention(k->store, &retention);
	if (prio >= 0)
		log_set_max_priority(prio);
	config_free(&old);
	k->next_heartbeat_ms = 0;

	log_notice("Reloaded %s: %zu %s on the menu, %u local %s of %u %s",
		   new->path ? new->path : "embedded defaults", new->n_menu, plural(new->n_menu, "dish", "dishes"),
		   new->chefs_local, plural(new->chefs_local, "chef", "chefs"), new->chefs_threads,
		   plural(new->chefs_threads, "station", "stations"));
	r = 0;
out:
	sd_notify(0, "READY=1");
	return r;
}
