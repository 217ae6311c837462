/*
 * zap — who may connect to kitchend's CURVE endpoints (ZeroMQ RFC 27).
 *
 * With curve.secret_key set, every tcp:// endpoint of kitchend is a CURVE
 * server (keys_set_server()) whose peers libzmq hands to the ZAP handler
 * here: a ROUTER bound to inproc://zeromq.zap.01 in kitchend's own context,
 * read in kitchend's loop like any other socket, never waited on. It admits
 * a peer when its public key is in the allowlist of the socket's ZAP domain:
 *
 *	"chefs"    dispatch and sink   curve.chefs_allow/ *.pub, and kitchend's own
 *	                               key (its local chefs use it)
 *	"control"  control and events  curve.clients_allow/ *.pub
 *
 * Anyone else gets status 400 and no connection, so an unknown chef never
 * sees a dish. The endpoints also set ZMQ_ZAP_ENFORCE_DOMAIN: were the
 * handler ever missing, libzmq would refuse every peer instead of admitting
 * all of them.
 *
 * A peer that does not speak CURVE at all (or has the wrong server key)
 * fails before ZAP is asked: zap_watch() puts a monitor on the socket
 * (handshake.h) that logs those, and the handler reads it with its own
 * requests.
 *
 * What is logged: an admitted key at info, a refused one (key, address,
 * endpoint) at warning, through peer_log.h's limit (each peer once a minute,
 * PEER_LOG_BURST lines a minute in all), so a peer that retries in a loop
 * cannot flood the journal. The handler keeps no per-peer state.
 *
 * zap_reload() reads the allowlists again (SIGHUP); a directory that cannot
 * be read keeps the lists in force.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <zmq.h>

#include "config.h"
#include "handshake.h"
#include "keys.h"

#define ZAP_DOMAIN_CHEFS "chefs"
#define ZAP_DOMAIN_CONTROL "control"
#define ZAP_POLL_MAX (1 + HANDSHAKE_WATCH_MAX)

struct zap;

/*
 * Bind the handler in @zctx and load the allowlists of @config; @own is
 * kitchend's key pair (admitted as a chef). 0 or -errno; a missing or
 * unreadable allowlist directory is an error here (logged).
 */
int zap_new(void *zctx, const struct kitchen_config *config, const struct keys_pair *own, struct zap **ret);
void zap_free(struct zap **z);   /* NULL and *z == NULL are fine; before zmq_ctx_term() */

/* Monitor the secured socket @sock (before its bind), named @what in the log
 * (handshake_watch()). 0 or -errno. */
int zap_watch(struct zap *z, void *sock, const char *what);

/* Append the handler's poll items (POLLIN) to @items; how many (0 for NULL @z). */
size_t zap_poll_items(struct zap *z, zmq_pollitem_t *items);

/* Answer waiting ZAP requests and read handshake events, up to a budget;
 * true when it stopped at the budget. NULL @z is fine. */
bool zap_read(struct zap *z);

/* Read the allowlists of @config again. 0, or -errno with the lists kept (logged). */
int zap_reload(struct zap *z, const struct kitchen_config *config);
