/*
 * activation — the listening sockets systemd passes (socket activation,
 * sd_listen_fds_with_names(3)): kitchend.socket holds the control and
 * events sockets, named by FileDescriptorName= after the endpoint they stand
 * for ("control", "events"; "dispatch" and "sink" are taken too). kitchend
 * binds its ZeroMQ socket on the one it is given (ZMQ_USE_FD, still with
 * the configured endpoint) instead of making one, so the socket outlives a
 * restart: a client that connects meanwhile waits in the listen backlog for
 * the next kitchend instead of being refused.
 *
 *	int fds[_CONFIG_ENDPOINT_MAX];
 *	r = activation_take(config, fds);   // -1 where nothing was passed
 *	...                                 // kitchen_open_socket() uses fds[which]
 *	activation_close(fds);              // the ones no socket took
 *
 * Without LISTEN_FDS (not socket-activated) every entry is -1 and kitchend
 * binds as it always did.
 */
#pragma once

#include "config.h"

/*
 * Take the passed descriptors into @ret_fds, by name; LISTEN_* is unset, so
 * chefs do not inherit it (and the descriptors are close-on-exec). Each is
 * checked against its configured endpoint: a unix stream socket listening
 * on the endpoint's path for ipc://, a listening stream socket for tcp://.
 * One of no known name, or that does not match, is closed with a warning
 * (kitchend binds that endpoint itself). 0, or -errno from
 * sd_listen_fds_with_names() (logged).
 */
int activation_take(const struct kitchen_config *c, int ret_fds[_CONFIG_ENDPOINT_MAX]);
/* Close the descriptors of @fds that are still >= 0 and set them -1. */
void activation_close(int fds[_CONFIG_ENDPOINT_MAX]);
