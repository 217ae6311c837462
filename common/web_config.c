/* kitchen-web.conf: the key table (conftab.h reads it). */
#include "web_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conftab.h"
#include "util.h"

static int check_listen(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	const char *colon = strrchr(v, ':');
	uint64_t port;
	int r = conftab_check_text(t, s, name, v);

	if (r < 0)
		return r;
	if (!colon || colon == v || parse_u64(colon + 1, 1, 65535, &port) < 0)
		return conftab_fail(
			t, s, "%s: ADDRESS:PORT, as \"127.0.0.1:8080\" or \"[::1]:8080\", not '%s'",
			name, v);
	return 0;
}

static int read_write_enabled(struct conftab *t, void *obj, const config_setting_t *s)
{
	struct web_config *c = obj;

	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return conftab_fail(t, s, "write.enabled must be true or false");
	c->write_enabled = config_setting_get_bool(s);
	return 0;
}

#define OFF(f) offsetof(struct web_config, f)

static const struct conftab_key keys[] = {
	{ "control", CONFTAB_STRING, OFF(control), .check = conftab_check_endpoint },
	{ "curve.secret_key", CONFTAB_STRING, OFF(secret_key), .check = conftab_check_path },
	{ "curve.server_key", CONFTAB_STRING, OFF(server_key), .check = conftab_check_path },
	{ "events", CONFTAB_STRING, OFF(events), .check = conftab_check_endpoint },
	{ "limits.client_timeout_s", CONFTAB_UNSIGNED, OFF(client_timeout_s), .min = 1, .max = 3600 },
	{ "limits.connections", CONFTAB_UNSIGNED, OFF(connections), .min = 4, .max = 1024 },
	{ "limits.per_ip", CONFTAB_UNSIGNED, OFF(per_ip), .min = 1, .max = 1024 },
	{ "limits.sse_clients", CONFTAB_UNSIGNED, OFF(sse_clients), .min = 1, .max = 1024 },
	{ "listen", CONFTAB_STRING, OFF(listen), .check = check_listen },
	{ "log_level", CONFTAB_STRING, OFF(log_level), .check = conftab_check_log_level },
	{ "timeout_ms", CONFTAB_U64, OFF(timeout_ms), .min = 100, .max = 60000 },
	{ "write.enabled", CONFTAB_CUSTOM, 0, .read = read_write_enabled },
	{ "write.token_file", CONFTAB_STRING, OFF(token_file), .check = conftab_check_path },
};

int web_config_set(char **field, const char *v)
{
	char *copy = strdup(v);

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

int web_config_new(struct web_config **ret)
{
	struct web_config *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->timeout_ms = WEB_CONFIG_TIMEOUT_MS_DEFAULT;
	c->connections = WEB_CONFIG_CONNECTIONS_DEFAULT;
	c->per_ip = WEB_CONFIG_PER_IP_DEFAULT;
	c->client_timeout_s = WEB_CONFIG_CLIENT_TIMEOUT_S_DEFAULT;
	c->sse_clients = WEB_CONFIG_SSE_CLIENTS_DEFAULT;
	if (web_config_set(&c->listen, WEB_CONFIG_LISTEN_DEFAULT) < 0) {
		web_config_free(&c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

int web_config_load(const char *path, struct web_config **ret, char *err, size_t err_size)
{
	struct conftab t = {
		.keys = keys, .n_keys = ELEMENTSOF(keys), .path = path, .err = err, .err_size = err_size
	};
	struct web_config *c = NULL;
	int r;

	if (err && err_size > 0)
		err[0] = '\0';
	if (web_config_new(&c) < 0 || web_config_set(&c->path, path) < 0) {
		web_config_free(&c);
		return conftab_fail_errno(&t, -ENOMEM, "configuration");
	}
	r = conftab_read_file(&t, c);
	if (r == 0 && c->write_enabled && !c->token_file)
		r = conftab_fail(&t, NULL,
				 "write.enabled needs write.token_file: writing needs a token");
	if (r < 0) {
		web_config_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

void web_config_free(struct web_config **cp)
{
	struct web_config *c;

	if (!cp || !*cp)
		return;
	c = *cp;
	free(c->path);
	free(c->listen);
	free(c->control);
	free(c->events);
	free(c->server_key);
	free(c->secret_key);
	free(c->token_file);
	free(c->log_level);
	free(c);
	*cp = NULL;
}
