#include "session.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "util.h"

#define BACKOFF_FACTOR_MAX 32
#define BACKOFF_CEILING_MS 60000

struct session {
	void *ctx;
	void *sock;                /* NULL between sessions */
	char *endpoint;
	char *chef_id;
	char *name;
	char *host;
	char *skills;
	unsigned stations;
	uint64_t heartbeat_ms;
	unsigned liveness;
	struct keys_client curve;
	bool secured;              /* curve is set */

	uint64_t last_heard;
	uint64_t next_heartbeat;
	uint64_t reconnect_at;     /* when sock == NULL */
	uint64_t backoff_ms;       /* the wait after the next lost session */
	bool lost;                 /* a session was lost and kitchend has not spoken since */
	uint64_t malformed;
};

static uint64_t backoff_max(const struct session *d)
{
	uint64_t m = d->heartbeat_ms * BACKOFF_FACTOR_MAX;

	if (m > BACKOFF_CEILING_MS)
		m = BACKOFF_CEILING_MS;
	return m > d->heartbeat_ms ? m : d->heartbeat_ms;
}

int session_new(const struct session_config *cfg, struct session **ret)
{
	struct session *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	*d = (struct session) {
		.ctx = cfg->ctx,
		.endpoint = strdup(cfg->endpoint),
		.chef_id = strdup(cfg->chef_id),
		.name = strdup(cfg->name),
		.host = strdup(cfg->host),
		.skills = strdup(cfg->skills ? cfg->skills : PROTO_SKILL_ANY),
		.stations = cfg->stations,
		.heartbeat_ms = cfg->heartbeat_ms,
		.liveness = cfg->liveness,
		.backoff_ms = cfg->heartbeat_ms,
	};
	if (cfg->curve) {
		d->curve = *cfg->curve;
		d->secured = true;
	}
	if (!d->endpoint || !d->chef_id || !d->name || !d->host || !d->skills) {
		session_free(&d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

void session_free(struct session **dp)
{
	struct session *d;

	if (!dp || !*dp)
		return;
	d = *dp;
	if (d->sock)
		zmq_close(d->sock);
	free(d->endpoint);
	free(d->chef_id);
	free(d->name);
	free(d->host);
	free(d->skills);
	explicit_bzero(&d->curve, sizeof(d->curve));
	free(d);
	*dp = NULL;
}

static void send_ready(struct session *d)
{
	/* Every station, plus a window of dishes that wait here for one
	 * (kitchend uses as much of it as the dishes' length allows). */
	unsigned credit = d->stations + SESSION_WINDOW;
	struct proto_out o;
	int r;

	proto_out_begin(&o, d->sock, PROTO_READY);
	proto_out_str(&o, d->name);
	proto_out_str(&o, d->host);
	proto_out_u64(&o, (uint64_t) getpid());
	proto_out_u64(&o, d->stations);
	proto_out_u64(&o, credit);
	proto_out_str(&o, d->skills);
	r = proto_out_end(&o, ZMQ_DONTWAIT);
	if (r < 0)
		/* The session runs out without an answer and the next one says READY again. */
		log_warning_errno(r, "Failed to send READY to kitchend, ignoring: %m");
	else
		log_debug("READY sent to %s as %s, credit %u", d->endpoint, d->chef_id, credit);
}

int session_connect(struct session *d, uint64_t now)
{
	int linger = 0;
	int64_t max_size = PROTO_MAX_INPUT + PROTO_MAX_FIELD;  /* a DISH group; ZMTP checks it per frame */
	void *sock;
	int r = 0;

	sock = zmq_socket(d->ctx, ZMQ_DEALER);
	if (!sock)
		return -errno;
	if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max_size, sizeof(max_size)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_ROUTING_ID, d->chef_id, strlen(d->chef_id)) < 0 ||
	    (r = keys_client_for(sock, d->endpoint, d->secured ? &d->curve : NULL)) < 0 ||
	    zmq_connect(sock, d->endpoint) < 0) {
		if (r == 0)
			r = -errno;
		zmq_close(sock);
		return r;
	}

	d->sock = sock;
	d->last_heard = now;
	d->next_heartbeat = now + d->heartbeat_ms;
	send_ready(d);
	return 0;
}

void *session_socket(struct session *d)
{
	return d->sock;
}

long session_timeout(const struct session *d, uint64_t now)
{
	uint64_t at;

	if (!d->sock)
		at = now < d->reconnect_at ? d->reconnect_at : d->reconnect_at + SESSION_SETTLE_MS;
	else {
		uint64_t dead = d->last_heard + d->heartbeat_ms * d->liveness;

		at = d->next_heartbeat < dead ? d->next_heartbeat : dead;
	}
	if (at <= now)
		return 0;
	return at - now > INT_MAX ? INT_MAX : (long) (at - now);
}

int session_recv(struct session *d, struct proto_msg *m, uint64_t now)
{
	int r;

	if (!d->sock)
		return -EAGAIN;
	r = proto_recv(d->sock, 0, m, ZMQ_DONTWAIT);
	if (r == -EPROTO)
		d->malformed++;
	if (r == 0 || r == -EPROTO) {
		d->last_heard = now;
		if (d->lost) {
			log_info("kitchend at %s answers again", d->endpoint);
			d->lost = false;
			d->backoff_ms = d->heartbeat_ms;
		}
	}
	return r;
}

enum session_event session_tick(struct session *d, uint64_t now, unsigned busy)
{
	struct proto_out o;
	int r;

	if (!d->sock) {
		if (now < d->reconnect_at)
			return SESSION_NOTHING;
		if (busy > 0 && now < d->reconnect_at + SESSION_SETTLE_MS)
			return SESSION_NOTHING;  /* a CANCELled station says FREE within ms */
		if (busy > 0)
			log_warning("%u stations still busy with dishes of the lost session after %d ms, "
				    "announcing all %u anyway", busy, SESSION_SETTLE_MS, d->stations);
		log_info("Reconnecting to kitchend at %s, credit %u", d->endpoint, d->stations);
		r = session_connect(d, now);
		if (r < 0) {
			log_warning_errno(r, "Failed to reconnect to kitchend at %s, retrying in %llu ms: %m",
					  d->endpoint, (unsigned long long) d->backoff_ms);
			d->reconnect_at = now + d->backoff_ms;
		}
		return SESSION_NOTHING;
	}

	if (now - d->last_heard >= d->heartbeat_ms * d->liveness) {
		log_warning("kitchend at %s silent for %llu ms, reconnecting in %llu ms",
			    d->endpoint, (unsigned long long) (now - d->last_heard),
			    (unsigned long long) d->backoff_ms);
		zmq_close(d->sock);
		d->sock = NULL;
		d->lost = true;
		d->reconnect_at = now + d->backoff_ms;
		d->backoff_ms *= 2;
		if (d->backoff_ms > backoff_max(d))
			d->backoff_ms = backoff_max(d);
		return SESSION_LOST;
	}

	if (now >= d->next_heartbeat) {
		proto_out_begin(&o, d->sock, PROTO_HEARTBEAT);
		r = proto_out_end(&o, ZMQ_DONTWAIT);
		if (r < 0)
			log_debug_errno(r, "Failed to send a heartbeat, ignoring: %m");
		d->next_heartbeat = now + d->heartbeat_ms;
	}
	return SESSION_NOTHING;
}

int session_set_skills(struct session *d, const char *skills, uint64_t now)
{
	char *copy;

	if (strcmp(d->skills, skills) == 0)
		return 0;
	copy = strdup(skills);
	if (!copy)
		return -ENOMEM;
	free(d->skills);
	d->skills = copy;
	if (!d->sock)
		return 0;  /* the next READY says them */
	log_info("The dishes this chef cooks changed: starting a new session with kitchend at %s",
		 d->endpoint);
	zmq_close(d->sock);
	d->sock = NULL;
	d->reconnect_at = now;
	return 1;
}

uint64_t session_malformed(const struct session *d)
{
	return d->malformed;
}
