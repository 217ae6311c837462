/*
 * config — kitchen.conf(5): every key, its embedded default, and the checks.
 *
 * The file is libconfig syntax; every key is optional, so no file at all is a
 * complete configuration (the five-dish menu of the tutorial, 3 local chefs
 * of 1 station, ipc sockets in runtime_dir, the store in state_dir).
 * libconfig stays inside config.c (and conftab.c, which reads the file against
 * its table): what comes out is this plain struct, with every string copied
 * and owned by it.
 *
 *	struct kitchen_config *c;
 *	char err[256];
 *	r = config_load(path, &c, err, sizeof(err));
 *	if (r < 0)
 *		return log_error_errno(r, "Failed to load configuration: %s", err);
 *
 * A file that does not parse or holds a bad value is refused whole, with
 * "FILE:LINE: what is wrong" in @err; an unknown key is refused the same way
 * (a typo must not silently fall back to a default).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum config_endpoint {
	CONFIG_ENDPOINT_CONTROL,
	CONFIG_ENDPOINT_EVENTS,
	CONFIG_ENDPOINT_DISPATCH,
	CONFIG_ENDPOINT_SINK,
	_CONFIG_ENDPOINT_MAX,
};

/*
 * A dish that runs a program instead of the simulated pipeline: the menu
 * entry's "run" and the keys beside it (kitchen.conf(5)). kitchend's local
 * chefs cook it as it says; a remote chef cooks a dish of that name only with
 * a recipe of its own configuration (chef(8)).
 */
struct config_program {
	char **argv;               /* NULL-terminated; argv[0] the program, at most one "{input}" */
	char *dir;                 /* working directory; NULL: "/" */
	uint64_t timeout_ms;       /* an attempt's limit at the chef; 0: none */
	uint64_t max_output;       /* bytes of stdout kept; 0: RECIPE_MAX_OUTPUT */
	uint64_t cpu_seconds;      /* limits; 0: not set */
	uint64_t memory_bytes;
	uint64_t open_files;
};

struct config_dish {
	char *name;                /* 1..PROTO_MAX_NAME bytes of text */
	char **ingredients;        /* n_ingredients names, 1..32 of them; none for a program */
	size_t n_ingredients;
	struct config_program *program;  /* NULL: the simulated pipeline */
};

struct config_timing {
	uint64_t prep_ms;          /* waiting per dish: "Get ingredients" */
	uint64_t cook_ms;          /* waiting per ingredient: "Cooking ingredient" */
	uint64_t season_ms;        /* waiting per ingredient: "Seasoning" */
	uint64_t cpu_work;         /* rounds of deterministic CPU work per ingredient */
};

struct kitchen_config {
	char *path;                /* the file read, or NULL for embedded defaults */
	char *log_level;           /* "info"; see log_priority_from_name() */
	char *runtime_dir;         /* sockets: /run/kitchen, $XDG_RUNTIME_DIR/kitchen */
	char *state_dir;           /* the store: /var/lib/kitchen, $XDG_STATE_HOME/kitchen */
	char *endpoints[_CONFIG_ENDPOINT_MAX];  /* bind addresses; ipc in runtime_dir */

	unsigned chefs_local;      /* chef processes kitchend spawns (0..64), 3 */
	unsigned chefs_threads;    /* stations per local chef (1..256), 1 */
	char *chefs_model;         /* CHEF_MODEL_THREADS (chef_config.h) or CHEF_MODEL_EVENT_LOOP, "threads" */
	unsigned chefs_slots;      /* an event-loop local chef's slots (1..10000), 3 */
	char *chefs_command;       /* chef binary; NULL: beside kitchend, else installed */

	struct config_timing timing;

	uint64_t heartbeat_interval_ms;  /* 1000 */
	unsigned heartbeat_liveness;     /* 3 */
	unsigned dishes_max_attempts;    /* 3 */
	uint64_t dishes_timeout_ms;      /* 0: no limit */
	uint64_t dishes_max_input;       /* bytes of one dish's input, 65536; at most PROTO_MAX_INPUT */
	uint64_t orders_max_queued;      /* dishes waiting, 1000000 */
	uint64_t orders_key_retention_s; /* how long an order key is remembered, 86400 */
	uint64_t history_keep_s;         /* finished longer ago: deleted; 0: never; 7 days */
	uint64_t history_max_orders;     /* at most this many finished orders kept; 0: no limit */
	uint64_t drain_timeout_ms;       /* 30000 */
	char *store_synchronous;         /* "full" or "normal" (SQLite PRAGMA), "full" */
	bool store_accept_lost;          /* no key: kitchend --accept-lost-orders, this start only */

	/* CURVE on the tcp:// endpoints: on when curve_secret_key is set. */
	char *curve_secret_key;          /* kitchend's key pair file (keys.h); NULL: no CURVE */
	char *curve_chefs_allow;         /* directory of the chefs' NAME.pub; NULL: none */
	char *curve_clients_allow;       /* directory of remote kitchenctls' NAME.pub; NULL: none */
	/* The ipc control and events sockets. */
	char *control_mode;              /* octal, "0660" */
	char *control_group;             /* group owning them; NULL: kitchend's own */

	struct config_dish *menu;
	size_t n_menu;
};

/*
 * Load @path (NULL: embedded defaults only). On success store a new config
 * in *ret_config and return 0; otherwise return -errno (-EINVAL for a bad
 * file, -ENOENT when it does not exist) with a one-line reason in @err.
 */
int config_load(const char *path, struct kitchen_config **ret_config, char *err, size_t err_size);

/* Dishes a local chef cooks at once: chefs.threads, or chefs.slots for the event loop. */
unsigned config_chef_cooks(const struct kitchen_config *c);
void config_free(struct kitchen_config **c);  /* frees *c, sets it NULL; NULL and *c == NULL are fine */

/* The menu entry called @name, or NULL. */
const struct config_dish *config_find_dish(const struct kitchen_config *c, const char *name);

/* Write the effective configuration in kitchen.conf syntax (for --dump-config). */
int config_dump(const struct kitchen_config *c, FILE *f);
