#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>

#include "zpoll.h"

/* Ask socket item @it what it is ready for now. 0 or -errno. */
static int look(zmq_pollitem_t *it)
{
	int events = 0;
	size_t len = sizeof(events);

	if (zmq_getsockopt(it->socket, ZMQ_EVENTS, &events, &len) < 0)
		return -errno;
	it->revents = (short) (events & it->events);
	return 0;
}

/* poll(2)'s revents of plain fd item @it, in zmq_poll()'s terms. */
static short fd_revents(const zmq_pollitem_t *it, short revents)
{
	short r = 0;

	if (revents & (POLLIN | POLLHUP))
		r |= it->events & ZMQ_POLLIN;
	if (revents & POLLOUT)
		r |= it->events & ZMQ_POLLOUT;
	if (revents & (POLLERR | POLLNVAL))
		r |= ZMQ_POLLERR;
	return r;
}

int zpoll(zmq_pollitem_t *items, size_t n, long timeout_ms)
{
	struct pollfd fds[ZPOLL_MAX];
	bool ready = false;
	int r, count = 0;

	if (n > ZPOLL_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		zmq_pollitem_t *it = &items[i];

		it->revents = 0;
		if (!it->socket) {
			fds[i] = (struct pollfd) {
				.fd = it->fd,
				.events = (short) (((it->events & ZMQ_POLLIN) ? POLLIN : 0) |
						   ((it->events & ZMQ_POLLOUT) ? POLLOUT : 0)),
			};
			continue;
		}
		size_t len = sizeof(fds[i].fd);

		if (zmq_getsockopt(it->socket, ZMQ_FD, &fds[i].fd, &len) < 0)
			return -errno;
		fds[i].events = POLLIN;  /* the mailbox changed; not what the socket is ready for */
		r = look(it);
		if (r < 0)
			return r;
		ready |= it->revents != 0;
	}
	r = poll(fds, n, ready ? 0 : timeout_ms > INT_MAX ? INT_MAX : (int) timeout_ms);
	if (r < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		zmq_pollitem_t *it = &items[i];

		if (!it->socket)
			it->revents = fd_revents(it, fds[i].revents);
		else if (fds[i].revents && !it->revents) {
			r = look(it);
			if (r < 0)
				return r;
		}
		count += it->revents != 0;
	}
	return count;
}
