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

#define OFF(f) offsetof(struct chef_config, f)

/* The same ranges as chef's command-line options. */
static const struct conftab_key keys[] = {
	{ "curve.secret_key", CONFTAB_STRING, OFF(secret_key), .check = conftab_check_path },
	{ "curve.server_key", CONFTAB_STRING, OFF(server_key), .check = conftab_check_path },
	{ "dispatch", CONFTAB_STRING, OFF(dispatch), .check = conftab_check_endpoint },
	{ "heartbeat.interval_ms", CONFTAB_U64, OFF(heartbeat_ms), .min = CHEF_HEARTBEAT_MS_MIN,
	  .max = CHEF_HEARTBEAT_MS_MAX },
	{ "heartbeat.liveness", CONFTAB_UNSIGNED, OFF(liveness), .min = CHEF_LIVENESS_MIN, .max = CHEF_LIVENESS_MAX },
	{ "log_level", CONFTAB_STRING, OFF(log_level), .check = check_log_level },
	{ "name", CONFTAB_STRING, OFF(name), .check = check_name },
	{ "sink", CONFTAB_STRING, OFF(sink), .check = conftab_check_endpoint },
	{ "stations", CONFTAB_UNSIGNED, OFF(stations), .min = CHEF_STATIONS_MIN, .max = CHEF_STATIONS_MAX },
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
	free(c->server_key);
	free(c->secret_key);
	free(c);
	*cp = NULL;
}
