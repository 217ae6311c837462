/*
 * chef_config.c — a chef's libconfig file, checked against one small table.
 */
#include "chef_config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "util.h"

enum kind {
	KIND_ENDPOINT,
	KIND_NAME,
	KIND_PATH,
	KIND_LOG_LEVEL,
	KIND_UNSIGNED,
	KIND_U64,
};

struct key {
	const char *name;
	enum kind kind;
	size_t offset;
	uint64_t min, max;
};

#define OFF(f) offsetof(struct chef_config, f)

/* The same ranges as chef's command-line options. */
static const struct key keys[] = {
	{ "curve.secret_key", KIND_PATH, OFF(secret_key), 0, 0 },
	{ "curve.server_key", KIND_PATH, OFF(server_key), 0, 0 },
	{ "dispatch", KIND_ENDPOINT, OFF(dispatch), 0, 0 },
	{ "heartbeat.interval_ms", KIND_U64, OFF(heartbeat_ms), 10, 3600000 },
	{ "heartbeat.liveness", KIND_UNSIGNED, OFF(liveness), 1, 100 },
	{ "log_level", KIND_LOG_LEVEL, OFF(log_level), 0, 0 },
	{ "name", KIND_NAME, OFF(name), 0, 0 },
	{ "sink", KIND_ENDPOINT, OFF(sink), 0, 0 },
	{ "stations", KIND_UNSIGNED, OFF(stations), 1, 256 },
};

struct loader {
	const char *path;
	char *err;
	size_t err_size;
};

static int fail(struct loader *l, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct loader *l, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!l->err || l->err_size == 0)
		return -EINVAL;
	n = snprintf(l->err, l->err_size, "%s:%u: ", l->path, s ? config_setting_source_line(s) : 0);
	if (n < 0 || (size_t) n >= l->err_size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->err_size - (size_t) n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int check_string(struct loader *l, const config_setting_t *s, const struct key *k, const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return fail(l, s, "%s must not be empty", k->name);
	if (!proto_text_valid(v, n, false))
		return fail(l, s, "%s must be UTF-8 text without control characters", k->name);
	switch (k->kind) {
	case KIND_ENDPOINT:
		if ((strncmp(v, "ipc://", 6) != 0 && strncmp(v, "tcp://", 6) != 0) || !v[6])
			return fail(l, s, "%s = \"%s\" is not an ipc:// or tcp:// endpoint", k->name, v);
		return 0;
	case KIND_NAME:
		if (n > PROTO_MAX_NAME)
			return fail(l, s, "%s: a chef name is 1..%d bytes, not %zu", k->name, PROTO_MAX_NAME, n);
		return 0;
	case KIND_PATH:
		if (v[0] != '/')
			return fail(l, s, "%s = \"%s\" is not an absolute path", k->name, v);
		return 0;
	case KIND_LOG_LEVEL:
		if (log_priority_from_name(v) < 0)
			return fail(l, s, "%s = \"%s\" is not one of err, warning, notice, info, debug", k->name, v);
		return 0;
	case KIND_UNSIGNED:
	case KIND_U64:
		break;
	}
	return 0;
}

static int apply(struct loader *l, struct chef_config *c, const struct key *k, const config_setting_t *s)
{
	char *field = (char *) c + k->offset;
	long long v;
	char *copy;
	int r;

	switch (k->kind) {
	case KIND_ENDPOINT:
	case KIND_NAME:
	case KIND_PATH:
	case KIND_LOG_LEVEL:
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return fail(l, s, "%s must be a string", k->name);
		r = check_string(l, s, k, config_setting_get_string(s));
		if (r < 0)
			return r;
		copy = strdup(config_setting_get_string(s));
		if (!copy)
			return -ENOMEM;
		free(*(char **) field);
		*(char **) field = copy;
		return 0;
	case KIND_UNSIGNED:
	case KIND_U64:
		if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
			return fail(l, s, "%s must be an integer", k->name);
		v = config_setting_get_int64(s);
		if (v < 0 || (unsigned long long) v < k->min || (unsigned long long) v > k->max)
			return fail(l, s, "%s = %lld is out of range (%llu..%llu)", k->name, v,
				    (unsigned long long) k->min, (unsigned long long) k->max);
		if (k->kind == KIND_UNSIGNED)
			*(unsigned *) field = (unsigned) v;
		else
			*(uint64_t *) field = (uint64_t) v;
		return 0;
	}
	return -EINVAL;
}

static const struct key *key_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static bool is_group(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strncmp(keys[i].name, name, n) == 0 && keys[i].name[n] == '.')
			return true;
	return false;
}

static int load_group(struct loader *l, struct chef_config *c, const config_setting_t *g, const char *prefix)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned) i);
		const struct key *k;
		char name[128];
		int r;

		snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
			 config_setting_name(s));
		if ((k = key_find(name)))
			r = apply(l, c, k, s);
		else if (!prefix && is_group(name)) {
			if (!config_setting_is_group(s))
				return fail(l, s, "%s must be a group: %s = { ... };", name, name);
			r = load_group(l, c, s, name);
		} else
			r = fail(l, s, "unknown key '%s'", name);
		if (r < 0)
			return r;
	}
	return 0;
}

int chef_config_load(const char *path, struct chef_config **ret, char *err, size_t err_size)
{
	struct loader l = { .path = path, .err = err, .err_size = err_size };
	struct chef_config *c;
	config_t cf;
	FILE *f;
	int r;

	if (err && err_size > 0)
		err[0] = '\0';
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		if (err && err_size > 0)
			snprintf(err, err_size, "%s: %s", path, strerror(-r));
		return r;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		fclose(f);
		free(c);
		return -ENOMEM;
	}

	config_init(&cf);
	if (!config_read(&cf, f)) {
		if (err && err_size > 0)
			snprintf(err, err_size, "%s:%d: %s", path, config_error_line(&cf),
				 config_error_text(&cf) ? config_error_text(&cf) : "syntax error");
		r = -EINVAL;
	} else
		r = load_group(&l, c, config_root_setting(&cf), NULL);
	config_destroy(&cf);
	fclose(f);
	if (r == -ENOMEM && err && err_size > 0)
		snprintf(err, err_size, "%s: %s", path, strerror(ENOMEM));
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
