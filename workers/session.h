/*
 * session — the chef's DEALER to kitchend: READY, heartbeats, reconnects.
 *
 * One session is one DEALER socket, its routing id the chef_id, that starts
 * with READY name host pid stations credit skills (the dishes the chef
 * cooks, cookbook.h; PROTO_SKILL_ANY when not set); the credit is always every
 * station plus SESSION_WINDOW dishes that may wait here for a station
 * (kitchend uses the window only for dishes short enough, design brief
 * decision 1), because a session starts with nothing cooking. Both sides send
 * HEARTBEAT every heartbeat interval; anything heard from kitchend keeps the
 * session alive.
 *
 * When kitchend has been silent for liveness intervals the session is lost:
 * the socket is closed (linger 0) and session_tick() returns SESSION_LOST.
 * That happens when kitchend is stuck or unreachable, and also when it was
 * restarted: the DEALER reconnects to the new kitchend underneath, but that
 * one ignores the heartbeats of a chef it does not know and sends none. A
 * new READY tells kitchend the chef holds nothing of the old session (it
 * sends those dishes again, and takes any result of theirs as stale), so the
 * caller must make that true: on SESSION_LOST it aborts every dish it holds
 * (brigade_abort()) and from then on passes the stations still busy to
 * session_tick(). After a back-off that starts at one interval and doubles
 * up to 32 (at most a minute; it starts over once kitchend answers), and once
 * no station is busy (or SESSION_SETTLE_MS later, when one is stuck: it
 * says so), a new socket connects with the same chef_id and says READY with
 * every station as credit.
 *
 *	d = session_new(&cfg);
 *	r = session_connect(d, now_ms());
 *	loop: zmq_poll on session_socket(d) (may be NULL) and the stations
 *	      for session_timeout(d, now) ms;
 *	      while (session_recv(d, m, now) != -EAGAIN) ...;
 *	      if (session_tick(d, now, busy_stations) == SESSION_LOST) abort every dish;
 *	session_free(&d);
 */
#pragma once

#include <stdint.h>

#include "keys.h"
#include "proto.h"

/* Dishes announced beyond the stations (brigade.h queues them; well under
 * BRIGADE_QUEUE_MAX and the ROUTER's high-water mark of 1000). */
#define SESSION_WINDOW 256

struct session_config {
	void *ctx;
	const char *endpoint;
	const char *chef_id;
	const char *name;
	const char *host;
	unsigned stations;
	uint64_t heartbeat_ms;
	unsigned liveness;
	const struct keys_client *curve;  /* CURVE for a tcp:// endpoint, or NULL; copied */
	const char *skills;        /* READY's skills, copied; NULL: PROTO_SKILL_ANY */
};

/* How long a reconnect waits for busy stations beyond the back-off. */
#define SESSION_SETTLE_MS 1000

enum session_event {
	SESSION_NOTHING,
	SESSION_LOST,       /* the session ended: abort every dish it brought */
};

struct session;

/* Copies @cfg; does not connect yet. 0 or -ENOMEM. */
int session_new(const struct session_config *cfg, struct session **ret);
void session_free(struct session **d);  /* NULL is fine; closes the socket */

/* Open a session: a new DEALER, connect, READY with every station as
 * credit. 0 or -errno (a bad endpoint shows here). */
int session_connect(struct session *d, uint64_t now);

/* The DEALER of the current session, NULL while waiting to reconnect. */
void *session_socket(struct session *d);

/* Milliseconds until session_tick() has something to do (for zmq_poll;
 * while it waits for busy stations, their FREE wakes the poll sooner). */
long session_timeout(const struct session *d, uint64_t now);

/*
 * Receive one message from kitchend into @m (proto_recv(), no envelope).
 * 0, -EAGAIN when none waits, -EPROTO for a malformed one (dropped and
 * counted; it still shows kitchend is alive), other -errno.
 */
int session_recv(struct session *d, struct proto_msg *m, uint64_t now);

/*
 * Heartbeat when due, notice a silent kitchend (SESSION_LOST), reconnect
 * once the back-off has passed and @busy (stations still cooking a dish of
 * the lost session) is 0, or SESSION_SETTLE_MS after that regardless.
 * Logs what it does.
 */
enum session_event session_tick(struct session *d, uint64_t now, unsigned busy);

/*
 * Say @skills in every READY from now on. kitchend hears skills only in a
 * READY, and a READY starts a new session: when @skills differ from those
 * said, the session ends at once, as a lost one does but without the
 * back-off, and the caller must abort every dish as for SESSION_LOST (the
 * next session_tick() reconnects once no station is busy). 1 when it ended
 * the session, 0 when the skills are the same, -ENOMEM.
 */
int session_set_skills(struct session *d, const char *skills, uint64_t now);

/* Malformed messages received so far. */
uint64_t session_malformed(const struct session *d);
