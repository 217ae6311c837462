/*
 * chef_config — the file a remote chef reads: `chef --config FILE`.
 *
 * libconfig syntax, every key optional (command-line options given beside
 * --config win over the file), unknown keys refused with FILE:LINE:
 *
 *	dispatch = "tcp://kitchen.example.org:5557";   # kitchend's dispatch endpoint
 *	sink = "tcp://kitchen.example.org:5558";       # kitchend's sink endpoint
 *	name = "oven";                                 # default: the host name
 *	stations = 4;                                  # CHEF_STATIONS_MIN..MAX
 *	model = "event-loop";                          # "threads" (default) or "event-loop"
 *	slots = 200;                                   # event loop: dishes at once, CHEF_SLOTS_MIN..MAX
 *	heartbeat = { interval_ms = 1000; liveness = 3; };   # as kitchend's
 *	log_level = "info";
 *	curve = {
 *		server_key = "/etc/kitchen/kitchend.pub";      # kitchend's public key
 *		secret_key = "/etc/kitchen/chef-oven.key";     # this chef's pair
 *	};
 *	recipes = (                                    # dishes that run a program here
 *		{ name = "Resize"; run = [ "convert", "-", "-resize", "50%", "-" ];
 *		  timeout = "1m"; max_output = 16777216; limits = { memory = 1073741824L; }; }
 *	);
 *	dishes = [ "*", "Resize" ];                    # the chef's skills
 *
 * A recipe has the keys of a kitchen.conf menu entry that runs a program
 * (program_conf.h), never ingredients; names are unique, ASCII case ignored.
 * dishes are the names the chef says it cooks (READY's skills): "*" stands
 * for every simulated dish; a name without a recipe here is fine (a
 * simulated dish, or a program of kitchen.conf for a local chef). Without
 * dishes the chef cooks "*" and the names of its recipes.
 *
 * Only paths are read here; the key files are read by the chef (keys.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"

/*
 * What a chef may be set to, wherever it is set: kitchend's chefs.threads and
 * heartbeat.* (for its local chefs and its own side), a chef's file, and its
 * command line. One range each.
 */
#define CHEF_STATIONS_MIN 1
#define CHEF_STATIONS_MAX 256
#define CHEF_HEARTBEAT_MS_MIN 10
#define CHEF_HEARTBEAT_MS_MAX 60000
#define CHEF_LIVENESS_MIN 1
#define CHEF_LIVENESS_MAX 100
/* The chef models (chef(8)): station threads, or one event-loop thread with slots. */
#define CHEF_MODEL_THREADS "threads"
#define CHEF_MODEL_EVENT_LOOP "event-loop"
#define CHEF_SLOTS_MIN 1
#define CHEF_SLOTS_MAX 10000
#define CHEF_SLOTS_DEFAULT 3   /* the tutorial's asyncio Semaphore(3) */

/* True when @v names a chef model. */
static inline bool chef_model_valid(const char *v)
{
	return strcmp(v, CHEF_MODEL_THREADS) == 0 || strcmp(v, CHEF_MODEL_EVENT_LOOP) == 0;
}

struct chef_config {
	char *path;
	char *dispatch;          /* NULL when not set, as for every field */
	char *sink;
	char *name;
	unsigned stations;       /* 0: not set */
	char *model;             /* CHEF_MODEL_*, NULL when not set */
	unsigned slots;          /* 0: not set */
	uint64_t heartbeat_ms;   /* 0: not set */
	unsigned liveness;       /* 0: not set */
	char *log_level;
	char *server_key;        /* file with kitchend's public key */
	char *secret_key;        /* file with this chef's key pair */
	struct config_dish *recipes; /* n_recipes, each with a program and no ingredients */
	size_t n_recipes;
	char **dishes; /* n_dishes names, or "*"; NULL when not set */
	size_t n_dishes;
};

/* The most recipes, and names in dishes (READY's skills: PROTO_MAX_SKILLS). */
#define CHEF_MAX_RECIPES 256

/* Read @path into a new *ret. 0, or -errno with "FILE:LINE: reason" in @err
 * (-EINVAL for a bad file, -ENOENT and others when it cannot be read). */
int chef_config_load(const char *path, struct chef_config **ret, char *err, size_t err_size);
void chef_config_free(struct chef_config **c);  /* NULL and *c == NULL are fine */
