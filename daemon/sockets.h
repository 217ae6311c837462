/*
 * sockets — kitchend's four sockets: options and limits (socket_limits.h),
 * CURVE on tcp endpoints with the ZAP allowlists (zap.h), bind, and who may
 * connect to the ipc ones.
 */
#pragma once

#include "config.h"

struct kitchen;

/* kitchend's key pair and the ZAP handler, when curve.secret_key is set. */
int kitchen_open_curve(struct kitchen *k);
/* "control", "events", "dispatch", "sink". */
const char *kitchen_socket_name(enum config_endpoint which);
/* A socket of @type bound to endpoint @which, in *ret: on k->listen_fds[which]
 * when systemd passed one (activation.h), else a socket of its own. Logs failures. */
int kitchen_open_socket(struct kitchen *k, int type, enum config_endpoint which, void **ret);
/* Who may connect to the ipc socket of @which: control.mode and
 * control.group on control and events, 0600 on dispatch and sink. */
int kitchen_socket_access(const struct kitchen_config *c, enum config_endpoint which);
