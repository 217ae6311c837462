/*
 * zpoll — zmq_poll() with fewer system calls: what a loop over a few zmq
 * sockets and fds sleeps in.
 *
 * libzmq answers ZMQ_EVENTS by looking in the socket's mailbox, and on an
 * idle socket each look is two system calls (its fork check, getpid(), and
 * a poll() of the mailbox's fd). zmq_poll() looks at every socket, polls
 * with no timeout, looks at every socket again, then sleeps in poll(2) and
 * looks at every socket once more: on four idle sockets, eighteen system
 * calls a sleep, where zpoll() makes nine. It looks at each socket once,
 * sleeps in poll(2) on the sockets' ZMQ_FD and the plain fds (not at all
 * when a socket has input already), and looks again only at the sockets
 * whose fd woke it. A socket's ZMQ_FD says only that its mailbox changed,
 * and an operation on the socket may empty it: hence the first look, every
 * call.
 *
 * The items are zmq_poll()'s: a socket, or an fd with the socket NULL;
 * .events ZMQ_POLLIN and/or ZMQ_POLLOUT; .revents set on return, nonzero
 * for the items ready. With zpoll() a caller reads only the sockets whose
 * .revents says so: a read that finds nothing costs a look, too.
 *
 *	zmq_pollitem_t items[] = { { .socket = sock, .events = ZMQ_POLLIN }, { .fd = sfd, .events = ZMQ_POLLIN } };
 *	r = zpoll(items, 2, timeout_ms);           // the items ready, -EINTR, or -errno
 *	if (items[0].revents & ZMQ_POLLIN) ... read sock until EAGAIN ...
 */
#pragma once

#include <stddef.h>
#include <zmq.h>

#define ZPOLL_MAX 64  /* items a call */

/* Wait up to @timeout_ms (-1: no limit; 0: not at all) until an item is
 * ready. How many are (0: the time is up), or -errno: -EINVAL for more
 * than ZPOLL_MAX items, -EINTR, a socket's -ETERM. */
int zpoll(zmq_pollitem_t *items, size_t n, long timeout_ms);
