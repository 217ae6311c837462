#include "web_events.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "json.h"
#include "keys.h"
#include "proto.h"
#include "util.h"

struct web_events {
	void *sock; /* the thread's own once started */
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;
	bool cancelled;
	uint64_t next; /* the number the next event gets; event n is ring[n % RING] */
	char *ring[WEB_EVENTS_RING];
	unsigned streams;
};

/* An event as its JSON line; NULL for a message that is no event (or no memory). */
static char *encode(const struct proto_msg *m)
{
	static const char *names[_PROTO_CMD_MAX] = {
		[PROTO_ORDERED] = "ordered", [PROTO_STAGE] = "stage",         [PROTO_SERVED] = "served",
		[PROTO_FAILED] = "failed",   [PROTO_CANCELLED] = "cancelled", [PROTO_DONE] = "done",
		[PROTO_CHEF] = "chef",
	};
	char *buf = NULL;
	size_t len = 0;
	uint64_t u[4];
	struct json j;
	FILE *f;

	if (!names[m->cmd])
		return NULL;
	/* proto_recv() checked the field counts; numbers and text are checked here. */
	for (size_t i = 0; i < m->n_fields; i++) {
		const struct proto_field *fl = &m->fields[i];
		if (!proto_text_valid(fl->data, fl->len, true))
			return NULL;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	json_init(&j, f);
	json_object_begin(&j);
	json_key_string(&j, "event", names[m->cmd]);
	if (m->cmd == PROTO_CHEF) {
		if (proto_u64(m, 0, &u[0]) < 0)
			goto bad;
		json_key_u64(&j, "seq", u[0]);
		json_key(&j, "chef");
		json_string_len(&j, m->fields[1].data, m->fields[1].len);
		json_key(&j, "state");
		json_string_len(&j, m->fields[2].data, m->fields[2].len);
		json_key(&j, "detail");
		json_string_len(&j, m->fields[3].data, m->fields[3].len);
	} else {
		if (proto_u64(m, 0, &u[0]) < 0 || proto_u64(m, 1, &u[1]) < 0)
			goto bad;
		json_key_u64(&j, "order", u[0]);
		json_key_u64(&j, "seq", u[1]);
	}
	switch (m->cmd) {
	case PROTO_ORDERED: {
		_cleanup_free_ char *names_list = strndup(m->fields[2].data, m->fields[2].len);
		if (!names_list)
			goto bad;
		json_key_lines(&j, "dishes", names_list);
		break;
	}
	case PROTO_STAGE:
	case PROTO_SERVED:
	case PROTO_FAILED:
	case PROTO_CANCELLED:
		if (proto_u64(m, 2, &u[2]) < 0)
			goto bad;
		json_key_u64(&j, "index", u[2]);
		json_key(&j, "dish");
		json_string_len(&j, m->fields[3].data, m->fields[3].len);
		json_key(&j, "chef");
		json_string_len(&j, m->fields[4].data, m->fields[4].len);
		json_key(&j,
			 m->cmd == PROTO_STAGE            ? "text"
				 : m->cmd == PROTO_SERVED ? "result"
							  : "reason");
		json_string_len(&j, m->fields[5].data, m->fields[5].len);
		if (m->cmd == PROTO_SERVED) {
			_cleanup_free_ char *items = strndup(m->fields[6].data, m->fields[6].len);
			if (!items)
				goto bad;
			json_key_lines(&j, "items", items);
		}
		break;
	case PROTO_DONE:
		if (proto_u64(m, 3, &u[0]) < 0 || proto_u64(m, 4, &u[1]) < 0 ||
		    proto_u64(m, 5, &u[2]) < 0)
			goto bad;
		json_key(&j, "state");
		json_string_len(&j, m->fields[2].data, m->fields[2].len);
		json_key_u64(&j, "served", u[0]);
		json_key_u64(&j, "failed", u[1]);
		json_key_u64(&j, "cancelled", u[2]);
		break;
	default: break;
	}
	json_object_end(&j);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
bad:
	fclose(f);
	free(buf);
	return NULL;
}

static void push(struct web_events *e, char *line)
{
	pthread_mutex_lock(&e->lock);
	free(e->ring[e->next % WEB_EVENTS_RING]);
	e->ring[e->next % WEB_EVENTS_RING] = line;
	e->next++;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

static void *events_thread(void *data)
{
	struct web_events *e = data;
	struct proto_msg *m = proto_msg_new();

	if (!m)
		return NULL;
	while (!atomic_load(&e->stop)) {
		zmq_pollitem_t item = { .socket = e->sock, .events = ZMQ_POLLIN };
		int r = zmq_poll(&item, 1, 250);

		if (r <= 0)
			continue;
		/* Drain what is there; malformed ones are dropped whole by proto_recv(). */
		while ((r = proto_recv(e->sock, 1, m, ZMQ_DONTWAIT)) != -EAGAIN) {
			char *line;

			if (r < 0) {
				if (r == -EPROTO)
					continue;
				break;
			}
			line = encode(m);
			if (line)
				push(e, line);
		}
	}
	proto_msg_free(&m);
	return NULL;
}

static int set_int(void *sock, int opt, int v)
{
	return zmq_setsockopt(sock, opt, &v, sizeof(v)) < 0 ? -errno : 0;
}

int web_events_start(void *zctx, const char *endpoint, const struct keys_client *curve,
		     struct web_events **ret)
{
	struct web_events *e = calloc(1, sizeof(*e));
	int64_t max = PROTO_MAX_FIELD;
	int r;

	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->next = 1;
	e->sock = zmq_socket(zctx, ZMQ_SUB);
	if (!e->sock) {
		r = -errno;
		goto fail;
	}
	if ((r = set_int(e->sock, ZMQ_LINGER, 0)) < 0 || (r = set_int(e->sock, ZMQ_RCVHWM, 1000)) < 0)
		goto fail;
	if (zmq_setsockopt(e->sock, ZMQ_MAXMSGSIZE, &max, sizeof(max)) < 0 ||
	    zmq_setsockopt(e->sock, ZMQ_SUBSCRIBE, "order.", 6) < 0 ||
	    zmq_setsockopt(e->sock, ZMQ_SUBSCRIBE, PROTO_TOPIC_CHEFS, strlen(PROTO_TOPIC_CHEFS)) < 0) {
		r = -errno;
		goto fail;
	}
	/* Connect even when kitchend is not there yet: libzmq retries. */
	r = keys_client_for(e->sock, endpoint, curve);
	if (r < 0)
		goto fail;
	if (zmq_connect(e->sock, endpoint) < 0) {
		r = -errno;
		goto fail;
	}
	/* The socket is the thread's from here on; web_events_stop() closes it after the join. */
	r = -pthread_create(&e->thread, NULL, events_thread, e);
	if (r < 0)
		goto fail;
	*ret = e;
	return 0;
fail:
	if (e->sock)
		zmq_close(e->sock);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
	return r;
}

void web_events_cancel(struct web_events *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->cancelled = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

void web_events_stop(struct web_events **ep)
{
	struct web_events *e;

	if (!ep || !*ep)
		return;
	e = *ep;
	web_events_cancel(e);
	atomic_store(&e->stop, true);
	pthread_join(e->thread, NULL);
	zmq_close(e->sock);
	for (size_t i = 0; i < WEB_EVENTS_RING; i++)
		free(e->ring[i]);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
	*ep = NULL;
}

uint64_t web_events_now(struct web_events *e)
{
	uint64_t n;

	pthread_mutex_lock(&e->lock);
	n = e->next;
	pthread_mutex_unlock(&e->lock);
	return n;
}

int web_events_wait(struct web_events *e, uint64_t *cursor, uint64_t timeout_ms, char **ret)
{
	struct timespec until;
	uint64_t oldest;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t) (timeout_ms / 1000);
	until.tv_nsec += (long) (timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&e->lock);
	while (!e->cancelled && *cursor >= e->next && r == 0)
		r = -pthread_cond_timedwait(&e->cond, &e->lock, &until);
	if (e->cancelled)
		r = -ECANCELED;
	else if (*cursor < e->next) {
		oldest = e->next > WEB_EVENTS_RING ? e->next - WEB_EVENTS_RING : 1;
		if (*cursor < oldest) {
			r = asprintf(ret, "{\"event\": \"lost\", \"count\": %llu}",
				     (unsigned long long) (oldest - *cursor)) < 0
				? -ENOMEM
				: 0;
			if (r == 0)
				*cursor = oldest;
		} else {
			*ret = strdup(e->ring[*cursor % WEB_EVENTS_RING]);
			r = *ret ? 0 : -ENOMEM;
			if (r == 0)
				(*cursor)++;
		}
	} else
		r = -EAGAIN;
	pthread_mutex_unlock(&e->lock);
	return r;
}

int web_events_stream_open(struct web_events *e, unsigned max)
{
	int r = 0;

	pthread_mutex_lock(&e->lock);
	if (e->streams >= max)
		r = -EBUSY;
	else
		e->streams++;
	pthread_mutex_unlock(&e->lock);
	return r;
}

void web_events_stream_close(struct web_events *e)
{
	pthread_mutex_lock(&e->lock);
	e->streams--;
	pthread_mutex_unlock(&e->lock);
}
