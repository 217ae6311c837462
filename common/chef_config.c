/*
 * chef_config.c — a chef's libconfig file, checked against one small table
 * (conftab.h reads it).
 */
#include "chef_config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conftab.h"
#include "program_conf.h"
#include "proto.h"
#include "util.h"

static int check_name(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	int r = conftab_check_text(t, s, name, v);

	if (r < 0)
		return r;
	if (strlen(v) > PROTO_MAX_NAME)
		return conftab_fail(t, s, "%s: a chef name is 1..%d bytes, not %zu", name, PROTO_MAX_NAME, strlen(v));
	return 0;
}

static int check_log_level(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	int r = conftab_check_text(t, s, name, v);

	if (r < 0)
		return r;
	return conftab_check_log_level(t, s, name, v);
}

static int load_recipes(struct conftab *t, void *obj, const config_setting_t *s)
{
	struct chef_config *c = obj;
	int n;

	if (!config_setting_is_list(s))
		return conftab_fail(
			t, s, "recipes must be a list: ( { name = \"...\"; run = [ ... ]; }, ... )");
	n = config_setting_length(s);
	if (n > CHEF_MAX_RECIPES)
		return conftab_fail(t, s, "recipes: a chef has at most %d recipes, not %d",
				    CHEF_MAX_RECIPES, n);
	c->recipes = calloc((size_t) n + 1, sizeof(*c->recipes));
	if (!c->recipes)
		return conftab_fail_errno(t, -ENOMEM, "recipes");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
		struct program_conf_entry entry = {};
		char where[64];
		int r;

		conftab_setting_name(e, where, sizeof(where));
		r = program_conf_read(t, e, where, PROGRAM_CONF_RECIPE, &entry);
		for (size_t k = 0; r >= 0 && k < c->n_recipes; k++)
			if (program_conf_name_equal(c->recipes[k].name, entry.name))
				r = conftab_fail(t, config_setting_get_member(e, "name"),
						 "%s: recipe \"%s\" is already here as \"%s\"", where,
						 entry.name, c->recipes[k].name);
		if (r < 0) {
			program_conf_entry_clear(&entry);
			return r;
		}
		c->recipes[c->n_recipes++] = (struct config_dish) {
			.name = TAKE_PTR(entry.name),
			.program = TAKE_PTR(entry.program),
		};
	}
	return 0;
}

static int load_dishes(struct conftab *t, void *obj, const config_setting_t *s)
{
	struct chef_config *c = obj;
	int n;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return conftab_fail(t, s, "dishes must be an array: [ \"*\", \"Resize\", ... ]");
	n = config_setting_length(s);
	if (n < 1 || n > PROTO_MAX_SKILLS)
		return conftab_fail(t, s, "dishes: a chef cooks 1..%d dishes, not %d", PROTO_MAX_SKILLS,
				    n);
	c->dishes = calloc((size_t) n, sizeof(char *));
	if (!c->dishes)
		return conftab_fail_errno(t, -ENOMEM, "dishes");
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
		const char *v;
		int r = 0;

		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    strcmp(config_setting_get_string(e), PROTO_SKILL_ANY) != 0)
			r = program_conf_check_name(t, e, "dish");
		if (r < 0)
			return r;
		v = config_setting_get_string(e);
		for (size_t k = 0; k < c->n_dishes; k++)
			if (program_conf_name_equal(c->dishes[k], v))
				return conftab_fail(t, e,
						    "dishes[%d]: \"%s\" is already there as \"%s\"", i,
						    v, c->dishes[k]);
		c->dishes[i] = strdup(v);
		if (!c->dishes[i])
			return conftab_fail_errno(t, -ENOMEM, "dishes");
		c->n_dishes++;
	}
	return 0;
}

#define OFF(f) offsetof(struct chef_config, f)

/* The same ranges as chef's command-line options. */
static const struct conftab_key keys[] = {
	{ "curve.secret_key", CONFTAB_STRING, OFF(secret_key), .check = conftab_check_path },
	{ "curve.server_key", CONFTAB_STRING, OFF(server_key), .check = conftab_check_path },
	{ "dishes", CONFTAB_CUSTOM, .read = load_dishes },
	{ "dispatch", CONFTAB_STRING, OFF(dispatch), .check = conftab_check_endpoint },
	{ "heartbeat.interval_ms", CONFTAB_U64, OFF(heartbeat_ms), .min = CHEF_HEARTBEAT_MS_MIN,
	  .max = CHEF_HEARTBEAT_MS_MAX },
	{ "heartbeat.liveness", CONFTAB_UNSIGNED, OFF(liveness), .min = CHEF_LIVENESS_MIN,
	  .max = CHEF_LIVENESS_MAX },
	{ "log_level", CONFTAB_STRING, OFF(log_level), .check = check_log_level },
	{ "model", CONFTAB_STRING, OFF(model), .check = conftab_check_chef_model },
	{ "name", CONFTAB_STRING, OFF(name), .check = check_name },
	{ "recipes", CONFTAB_CUSTOM, .read = load_recipes },
	{ "sink", CONFTAB_STRING, OFF(sink), .check = conftab_check_endpoint },
	{ "slots", CONFTAB_UNSIGNED, OFF(slots), .min = CHEF_SLOTS_MIN, .max = CHEF_SLOTS_MAX },
	{ "stations", CONFTAB_UNSIGNED, OFF(stations), .min = CHEF_STATIONS_MIN,
	  .max = CHEF_STATIONS_MAX },
};

int chef_config_load(const char *path, struct chef_config **ret, char *err, size_t err_size)
{
	struct conftab t = { .keys = keys, .n_keys = ELEMENTSOF(keys), .path = path, .err = err, .err_size = err_size };
	struct chef_config *c;
	int r;

	if (err && err_size > 0)
		err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		return conftab_fail_errno(&t, -ENOMEM, "configuration");
	}
	/* The same guarded reader as kitchen.conf: 32-bit wrap, @include checks. */
	r = conftab_read_file(&t, c);
	if (r < 0) {
		chef_config_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void chef_config_free(struct chef_config **cp)
{
	struct chef_config *c;

	if (!cp || !*cp)
		return;
	c = *cp;
	free(c->path);
	free(c->dispatch);
	free(c->sink);
	free(c->name);
	free(c->log_level);
	free(c->model);
	free(c->server_key);
	free(c->secret_key);
	for (size_t i = 0; i < c->n_recipes; i++) {
		free(c->recipes[i].name);
		program_conf_free(&c->recipes[i].program);
	}
	free(c->recipes);
	for (size_t i = 0; i < c->n_dishes; i++)
		free(c->dishes[i]);
	free(c->dishes);
	free(c);
	*cp = NULL;
}
