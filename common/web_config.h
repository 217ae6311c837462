/*
 * web_config — kitchen-web.conf, kitchen-web's configuration file.
 *
 * A small libconfig file read with conftab (so a bad one is refused with
 * "FILE:LINE: reason", as kitchend refuses kitchen.conf):
 *
 *	listen = "127.0.0.1:8080";        # ADDRESS:PORT; [ADDRESS]:PORT for IPv6
 *	control = "ipc:///run/kitchen/control.sock";
 *	events = "ipc:///run/kitchen/events.sock";
 *	timeout_ms = 3000;                # a control request's wait for kitchend
 *	curve = { server_key = "/etc/kitchen/kitchend.pub"; secret_key = "/etc/kitchen/web.key"; };
 *	limits = { connections = 64; per_ip = 16; client_timeout_s = 15; sse_clients = 16; };
 *	write = { enabled = false; token_file = "/etc/kitchen/web.token"; };
 *	log_level = "info";
 *
 * Every key may be left out: web_config_load() fills in the defaults below,
 * and kitchen-web's options override what the file says. write.enabled
 * without write.token_file is refused: writing needs a token.
 *
 *	struct web_config *c = NULL;
 *	r = web_config_load("/etc/kitchen/kitchen-web.conf", &c, err, sizeof(err));
 *	...
 *	web_config_free(&c);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_CONFIG_LISTEN_DEFAULT "127.0.0.1:8080"
#define WEB_CONFIG_TIMEOUT_MS_DEFAULT 3000
#define WEB_CONFIG_CONNECTIONS_DEFAULT 64
#define WEB_CONFIG_PER_IP_DEFAULT 16
#define WEB_CONFIG_CLIENT_TIMEOUT_S_DEFAULT 15
#define WEB_CONFIG_SSE_CLIENTS_DEFAULT 16

struct web_config {
	char *path;       /* the file read, or NULL: defaults only */
	char *listen;     /* "ADDRESS:PORT" */
	char *control;    /* endpoint; NULL: kitchenctl's default */
	char *events;     /* endpoint; NULL: events.sock beside an ipc:// control */
	char *server_key; /* CURVE for tcp:// endpoints: kitchend's public key file */
	char *secret_key; /* and kitchen-web's key pair */
	uint64_t timeout_ms;
	unsigned connections;      /* HTTP connections at once */
	unsigned per_ip;           /* of them from one address */
	unsigned client_timeout_s; /* an idle or slow client is dropped after this */
	unsigned sse_clients;      /* /api/events streams at once */
	bool write_enabled;
	char *token_file;
	char *log_level;
};

/* The defaults, no file read: 0 or -ENOMEM. */
int web_config_new(struct web_config **ret);
/* Read @path over the defaults into a new *ret. 0, or -errno with
 * "FILE:LINE: reason" in @err. */
int web_config_load(const char *path, struct web_config **ret, char *err, size_t err_size);
void web_config_free(struct web_config **c); /* NULL and *c == NULL are fine */

/* Replace the string *@field with a copy of @v: 0 or -ENOMEM. */
int web_config_set(char **field, const char *v);
