/*
 * activation — the listening sockets systemd passes. See activation.h.
 */
#include "activation.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "log.h"
#include "sockets.h"

void activation_close(int fds[_CONFIG_ENDPOINT_MAX])
{
	for (int i = 0; i < _CONFIG_ENDPOINT_MAX; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

static int endpoint_of(const char *name)
{
	for (int i = 0; i < _CONFIG_ENDPOINT_MAX; i++)
		if (strcmp(name, kitchen_socket_name(i)) == 0)
			return i;
	return -1;
}

/* Whether @fd is what endpoint @ep binds: >0 yes, 0 no, -errno. */
static int matches(int fd, const char *ep)
{
	if (strncmp(ep, "ipc://", 6) == 0)
		return sd_is_socket_unix(fd, SOCK_STREAM, 1, ep[6] == '@' ? NULL : ep + 6, 0);
	if (strncmp(ep, "tcp://", 6) == 0)
		return sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1);
	return 0;
}

int activation_take(const struct kitchen_config *c, int ret_fds[_CONFIG_ENDPOINT_MAX])
{
	char **names = NULL;
	int n;

	for (int i = 0; i < _CONFIG_ENDPOINT_MAX; i++)
		ret_fds[i] = -1;
	n = sd_listen_fds_with_names(1, &names);
	if (n < 0)
		return log_error_errno(n, "Failed to take the sockets systemd passed: %m");
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i, which = endpoint_of(names[i]);

		if (which < 0 || ret_fds[which] >= 0) {
			log_warning("Socket '%s' from systemd is not named control, events, dispatch or sink "
				    "(FileDescriptorName=), or named twice: closing it, ignoring", names[i]);
			close(fd);
		} else if (matches(fd, c->endpoints[which]) <= 0) {
			log_warning("The %s socket from systemd is not a listening stream socket for "
				    "endpoints.%s = \"%s\": closing it and binding as configured (make the socket "
				    "unit's ListenStream= and kitchen.conf agree)", names[i], names[i],
				    c->endpoints[which]);
			close(fd);
		} else {
			ret_fds[which] = fd;
			log_info("Took the %s socket from systemd", names[i]);
		}
	}
	if (names)
		for (int i = 0; i < n; i++)
			free(names[i]);
	free(names);
	return 0;
}
