/*
 * sockets — kitchend's four sockets. See sockets.h.
 */
#include "sockets.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "kitchen.h"
#include "log.h"
#include "paths.h"
#include "socket_limits.h"
#include "util.h"
#include "zap.h"

static int set_int(void *sock, int option, int value)
{
	return zmq_setsockopt(sock, option, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* Resolve a group name (or number) to its gid: 0 or -errno (-ENOENT: no such group). */
static int group_id(const char *name, gid_t *ret)
{
	char buf[16384];
	struct group g, *found = NULL;
	uint64_t id;
	int r;

	r = getgrnam_r(name, &g, buf, sizeof(buf), &found);
	if (r == 0 && found) {
		*ret = found->gr_gid;
		return 0;
	}
	if (parse_u64(name, 0, UINT32_MAX - 1, &id) == 0) {
		*ret = (gid_t) id;
		return 0;
	}
	return r > 0 ? -r : -ENOENT;
}

/* The file of an ipc:// endpoint, or NULL (tcp, or an abstract socket "ipc://@..."). */
static const char *ipc_path(const char *ep)
{
	return strncmp(ep, "ipc://", 6) == 0 && ep[6] != '@' ? ep + 6 : NULL;
}

/*
 * Who may connect to an ipc socket: control.mode and control.group on
 * control and events (who may connect may order, reload and drain), 0600 on
 * dispatch and sink (local chefs run as kitchend's own user), whatever the
 * umask. Never through a symlink (paths_socket_access()).
 */
int kitchen_socket_access(const struct kitchen_config *c, enum config_endpoint which)
{
	const char *path = ipc_path(c->endpoints[which]);
	bool public = which == CONFIG_ENDPOINT_CONTROL || which == CONFIG_ENDPOINT_EVENTS;
	unsigned mode = public ? (unsigned) strtoul(c->control_mode, NULL, 8) : 0600;
	gid_t gid = (gid_t) -1;
	int r;

	if (!path)
		return 0;
	if (public && c->control_group) {
		r = group_id(c->control_group, &gid);
		if (r < 0)
			return log_error_errno(r, "Failed to find group '%s' for %s: %m", c->control_group, path);
	}
	r = paths_socket_access(path, mode, gid);
	if (r == -ENOTSOCK)
		return log_error_errno(r, "Failed to set the mode of %s: it is not a socket (a symlink?), "
				       "leaving it alone", path);
	if (r < 0)
		return log_error_errno(r, "Failed to set mode %04o%s%s on %s: %m", mode,
				       gid != (gid_t) -1 ? " and group " : "", gid != (gid_t) -1 ? c->control_group : "",
				       path);
	return 0;
}

static const char *const socket_names[_CONFIG_ENDPOINT_MAX] = {
	[CONFIG_ENDPOINT_CONTROL] = "control",
	[CONFIG_ENDPOINT_EVENTS] = "events",
	[CONFIG_ENDPOINT_DISPATCH] = "dispatch",
	[CONFIG_ENDPOINT_SINK] = "sink",
};

const char *kitchen_socket_name(enum config_endpoint which)
{
	return (unsigned) which < _CONFIG_ENDPOINT_MAX ? socket_names[which] : "?";
}

/* CURVE on a tcp:// endpoint when kitchend has a key pair, with its ZAP domain. */
static int secure_socket(struct kitchen *k, void *s, enum config_endpoint which)
{
	const char *ep = k->config->endpoints[which];
	bool chefs = which == CONFIG_ENDPOINT_DISPATCH || which == CONFIG_ENDPOINT_SINK;
	int r;

	if (!keys_endpoint_secured(ep))
		return 0;
	if (!k->curve) {
		log_warning("%s endpoint %s is plaintext TCP: anyone who reaches it is %s "
			    "(set curve.secret_key in the configuration)", socket_names[which], ep,
			    chefs ? "a chef" : "a kitchenctl");
		return 0;
	}
	r = keys_set_server(s, k->curve, chefs ? ZAP_DOMAIN_CHEFS : ZAP_DOMAIN_CONTROL);
	if (r >= 0)
		r = zap_watch(k->zap, s, socket_names[which]);
	if (r < 0)
		return log_error_errno(r, "Failed to set up CURVE on '%s': %m", ep);
	return 0;
}

/*
 * zmq_bind(), refusing an ipc path where something else than a socket is
 * (libzmq would unlink it), and with umask 0077 while libzmq makes the
 * socket file, so that nobody else may connect before its mode is set.
 */
static int bind_socket(void *s, const char *ep)
{
	const char *path = ipc_path(ep);
	mode_t old;
	int r = 0;

	if (path && paths_check_socket(path) == -ENOTSOCK)
		return log_error_errno(-EEXIST, "Failed to bind '%s': %s exists and is not a socket "
				       "(kitchend removes only sockets)", ep, path);
	old = umask(0077);
	if (zmq_bind(s, ep) < 0)
		r = -errno;
	umask(old);
	if (r < 0)
		return log_error_errno(r, "Failed to bind '%s': %m", ep);
	return 0;
}

/* zmq_bind() on the listening socket systemd passed (activation.h): libzmq
 * still wants the endpoint, and neither makes nor (on close) removes the file. */
static int bind_passed(void *s, const char *ep, int fd)
{
	int r = set_int(s, ZMQ_USE_FD, fd);

	if (r >= 0 && zmq_bind(s, ep) < 0)
		r = -errno;
	if (r < 0)
		return log_error_errno(r, "Failed to bind '%s' on the socket systemd passed: %m", ep);
	return 0;
}

/*
 * How long closing a socket systemd passed may wait for the last replies to
 * go out: the next kitchend takes the clients over, so a reply lost now is
 * a request sent again (client.h). libzmq copies the option into each
 * connection as it is made: it is set before the bind.
 */
#define PASSED_LINGER_MS 2000

int kitchen_open_socket(struct kitchen *k, int type, enum config_endpoint which, void **ret)
{
	const char *ep = k->config->endpoints[which];
	int passed = k->listen_fds[which];
	void *s = zmq_socket(k->zctx, type);
	int r = 0;

	if (!s)
		return -errno;
	r = set_int(s, ZMQ_LINGER, passed >= 0 ? PASSED_LINGER_MS : 0);
	if (r >= 0 && type == ZMQ_ROUTER)
		r = set_int(s, ZMQ_ROUTER_MANDATORY, 1);
	if (r >= 0 && which == CONFIG_ENDPOINT_DISPATCH)
		r = set_int(s, ZMQ_ROUTER_HANDOVER, 1);
	if (r >= 0 && type == ZMQ_XPUB)
		r = set_int(s, ZMQ_XPUB_VERBOSER, 1);
	if (r >= 0)
		r = socket_limits_apply(s, which, ep);
	if (r >= 0 && (r = secure_socket(k, s, which)) < 0) {
		zmq_close(s);
		return r;
	}
	if (r >= 0 && passed >= 0) {
		r = bind_passed(s, ep, passed);
		if (r >= 0)
			k->listen_fds[which] = -1;   /* libzmq's now: zmq_close() closes it */
		k->activated[which] = r >= 0;
	} else if (r >= 0)
		r = bind_socket(s, ep);
	if (r < 0) {
		zmq_close(s);
		return r;
	}
	r = kitchen_socket_access(k->config, which);
	if (r < 0) {
		zmq_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

/* kitchend's key pair and the ZAP handler, when curve.secret_key is set. */
int kitchen_open_curve(struct kitchen *k)
{
	const char *path = k->config->curve_secret_key;
	char err[512];
	int r;

	if (!path)
		return 0;
	k->curve = calloc(1, sizeof(*k->curve));
	if (!k->curve)
		return log_error_errno(-ENOMEM, "Failed to allocate: %m");
	r = keys_load_secret(path, k->curve, err, sizeof(err));
	if (r < 0)
		return log_error_errno(r, "Failed to read the key pair of curve.secret_key: %s", err);
	r = zap_new(k->zctx, k->config, k->curve, &k->zap);
	if (r < 0)
		return r;  /* logged */
	log_info("CURVE on the tcp endpoints, public key %s", k->curve->public_key);
	return 0;
}
