#include "brigade.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "evloop.h"
#include "log.h"
#include "station.h"
#include "timer_heap.h"
#include "util.h"

/* One brigade per process, so one name is enough. */
#define BRIGADE_ENDPOINT "inproc://brigade"
#define START_TIMEOUT_MS 5000
/* How long before its dish is due a station may get its next one (brigade.h). */
#define NEXT_LEAD_NS (2 * UINT64_C(1000000))

/* A dish a station holds. */
struct held {
	uint64_t id;
	uint64_t attempt;
	bool cancelled;      /* CANCEL sent for it */
};

struct slot {
	pthread_t thread;
	bool started;        /* the thread runs, or ran and is not joined yet */
	bool spoke;          /* said FREE at least once */
	bool free;
	uint64_t cancelled_ms;  /* when every dish it holds had been sent CANCEL */
	bool gone;           /* could not take a dish: the thread has ended */
	unsigned n_held;     /* the dishes of its batch, when !free */
	unsigned n_cancelled;   /* of those */
	unsigned n_next;     /* 1: held[n_held] is its next dish, handed while it cooks */
	uint64_t due_ns;     /* when its one dish of known length is done, or 0 */
	uint32_t due_gen;    /* its entry in brigade.due; any other is stale */
	uint64_t next_length_ns;  /* how long the next dish takes, when known; else 0 */
	struct held held[STATION_BATCH_MAX + 1];
};

struct brigade {
	void *router;
	bool loop;           /* one event-loop thread (evloop.h) holds the n slots */
	unsigned n;
	unsigned n_spoke;
	int failed;          /* a station's FAIL, as -errno */
	struct slot *slots;
	unsigned *lru;       /* ring of free stations, the one free longest first */
	unsigned lru_head;
	unsigned lru_len;
	struct ticket_queue queue;
	struct timer_heap due;  /* busy stations by when their one dish of known length is done */
};

static void lru_push(struct brigade *b, unsigned i)
{
	b->lru[(b->lru_head + b->lru_len) % b->n] = i;
	b->lru_len++;
}

static unsigned lru_pop(struct brigade *b)
{
	unsigned i = b->lru[b->lru_head];

	b->lru_head = (b->lru_head + 1) % b->n;
	b->lru_len--;
	return i;
}

/*
 * Station @i's dish is done at @due_ns, when it may get its next; 0: not
 * known, or no next. Its entry before is stale from here; once stale ones
 * are most of the heap (stations that free before anyone looks at it), the
 * heap is made again from the stations' own.
 */
static void set_due(struct brigade *b, unsigned i, uint64_t due_ns)
{
	struct slot *s = &b->slots[i];

	s->due_gen++;
	s->due_ns = due_ns;
	if (b->due.n >= 2 * (size_t) b->n + 16) {
		timer_heap_free(&b->due);
		for (unsigned k = 0; k < b->n; k++)
			if (k != i && b->slots[k].due_ns > 0)
				(void) timer_heap_push(&b->due, b->slots[k].due_ns, k, b->slots[k].due_gen);
	}
	/* Without room in the heap, it only gets no next dish. */
	if (due_ns > 0)
		(void) timer_heap_push(&b->due, due_ns, i, s->due_gen);
}

/* Send [station i][cmd][arg...] on the ROUTER; never blocks. 0 or -errno. */
static int send_to(struct brigade *b, unsigned i, const char *cmd,
		   const void *a, size_t a_len, const void *c, size_t c_len)
{
	char id[16];
	int n = snprintf(id, sizeof(id), "%u", b->loop ? 0 : i);

	/* ZMQ_ROUTER_MANDATORY: a station that is gone fails here, at the first frame. */
	if (zmq_send(b->router, id, (size_t) n, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
	    zmq_send(b->router, cmd, strlen(cmd), a ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT) < 0 ||
	    (a && zmq_send(b->router, a, a_len, c ? ZMQ_SNDMORE | ZMQ_DONTWAIT : ZMQ_DONTWAIT) < 0) ||
	    (c && zmq_send(b->router, c, c_len, ZMQ_DONTWAIT) < 0))
		return -errno;
	return 0;
}

static bool rcvmore(void *sock)
{
	int more = 0;
	size_t len = sizeof(more);

	return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more;
}

static void station_is_free(struct brigade *b, unsigned i)
{
	struct slot *s = &b->slots[i];

	if (!s->spoke) {
		s->spoke = true;
		b->n_spoke++;
	}
	if (s->free) {
		log_debug("station %u said FREE twice, ignoring", i);
		return;
	}
	if (s->n_next > 0) {
		/* It has begun the next dish already. */
		s->held[0] = s->held[s->n_held];
		s->n_held = 1;
		s->n_next = 0;
		s->n_cancelled = s->held[0].cancelled;
		if (s->n_cancelled)
			s->cancelled_ms = now_ms();
		set_due(b, i, s->next_length_ns ? now_ns() + s->next_length_ns : 0);
		return;
	}
	set_due(b, i, 0);
	s->free = true;
	s->n_held = s->n_cancelled = 0;
	lru_push(b, i);
}

/* Read one message from a station; -EAGAIN when none waits. */
static int recv_one(struct brigade *b, int flags)
{
	char id[16], cmd[16], arg[16], *idx = id;
	int id_len, cmd_len = -1, arg_len = -1;
	unsigned long i;
	char *end;

	id_len = zmq_recv(b->router, id, sizeof(id) - 1, flags);
	if (id_len < 0)
		return -errno;
	for (int k = 0; rcvmore(b->router); k++) {
		char junk[16];
		int n = zmq_recv(b->router, k == 0 ? cmd : k == 1 ? arg : junk, sizeof(junk) - 1, 0);

		if (n < 0)
			return -errno;
		if (k == 0)
			cmd_len = n;
		else if (k == 1)
			arg_len = n;
	}

	/* Only our own threads speak here; anything odd is a bug worth a line. */
	if (id_len >= (int) sizeof(id) || cmd_len < 0 || cmd_len >= (int) sizeof(cmd))
		goto bad;
	id[id_len] = '\0';
	cmd[cmd_len] = '\0';
	if (b->loop && strcmp(cmd, STATION_FREE) == 0) {
		/* The loop is station 0 to the ROUTER; its FREE names the slot. */
		if (arg_len <= 0 || arg_len >= (int) sizeof(arg))
			goto bad;
		arg[arg_len] = '\0';
		idx = arg;
	}
	errno = 0;
	i = strtoul(idx, &end, 10);
	if (errno != 0 || *end || end == idx || i >= b->n)
		goto bad;

	if (strcmp(cmd, STATION_FREE) == 0) {
		station_is_free(b, (unsigned) i);
		return 0;
	}
	if (strcmp(cmd, STATION_FAIL) == 0 && arg_len > 0 && arg_len < (int) sizeof(arg)) {
		int err;

		arg[arg_len] = '\0';
		err = atoi(arg);
		b->failed = err > 0 ? -err : -EIO;
		b->slots[i].spoke = true;
		return 0;
	}
bad:
	log_error("Unexpected message from a station, ignoring");
	return 0;
}

static int recv_all(struct brigade *b)
{
	for (;;) {
		int r = recv_one(b, ZMQ_DONTWAIT);

		if (r == -EAGAIN)
			return 0;
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
	}
}

/*
 * Short: well under a millisecond of work, so that dishes batched behind it
 * do not wait. A dish that waits nothing and does no CPU work, runs no
 * program (a fork and an exec alone are a millisecond), nobody follows (its
 * stage lines go out as they happen) and no fault is injected into; or one
 * that is only answered (rejected, or cancelled while queued).
 */
static bool dish_short(const struct ticket *d)
{
	if (d->reject)
		return true;
	return !d->recipe && d->fault == FAULT_NONE && !(d->flags & PROTO_DISH_FOLLOWED) &&
	       d->prep_ms == 0 && d->cook_ms == 0 && d->season_ms == 0 && d->cpu_work == 0;
}

/*
 * How long a dish takes when that is known beforehand: only waits, which a
 * station sleeps on time (0: not known, or no time at all).
 */
static uint64_t dish_length_ns(const struct ticket *d)
{
	uint64_t ms;

	if (d->reject || d->recipe || d->fault != FAULT_NONE || d->cpu_work > 0)
		return 0;
	ms = d->prep_ms + d->n_ingredients * (d->cook_ms + d->season_ms);
	return ms > UINT64_MAX / 1000000 / 2 ? 0 : ms * 1000000;
}

/* The busy station whose dish is due first, with no next dish yet, into
 * *ret: true, or false when there is none. */
static bool due_first(struct brigade *b, struct timer *ret)
{
	while (timer_heap_peek(&b->due, ret)) {
		const struct slot *s = &b->slots[ret->index];

		if (ret->gen == s->due_gen && !s->free && !s->gone && s->n_next == 0)
			return true;
		timer_heap_pop(&b->due);  /* stale */
	}
	return false;
}

/*
 * With no station free, give the head of the queue to the station whose
 * dish is due within NEXT_LEAD_NS, as its next: it begins that dish the
 * moment it is done, without the two thread wake-ups of FREE and DISH in
 * between. One next dish a station, behind a dish of known length only.
 */
static void hand_next(struct brigade *b)
{
	uint64_t now = now_ns();
	struct timer t;

	while (b->lru_len == 0 && b->queue.n > 0 && due_first(b, &t) && t.due_ns <= now + NEXT_LEAD_NS) {
		struct ticket *d = ticket_queue_pop(&b->queue);
		unsigned i = t.index;
		struct slot *s = &b->slots[i];
		int r;

		timer_heap_pop(&b->due);
		s->due_ns = 0;  /* one next dish at most */
		s->held[s->n_held] = (struct held) { .id = d->id, .attempt = d->attempt };
		s->next_length_ns = dish_length_ns(d);
		s->n_next = 1;
		r = send_to(b, i, STATION_DISH, &d, sizeof(d), b->loop ? &i : NULL, b->loop ? sizeof(i) : 0);
		if (r < 0) {
			log_error_errno(r, "Failed to hand dish %llu to station %u, dropping it: %m",
					(unsigned long long) s->held[s->n_held].id, i);
			s->n_next = 0;
			s->gone = true;
			ticket_free(&d);
		}
	}
}

/*
 * Give queued dishes to free stations, the one free longest first: a long
 * dish alone, short ones in a batch, each free station a fair share of the
 * queue (rounded up, at most STATION_BATCH_MAX), up to the next long dish.
 * Then, when dishes still wait, to stations about to be done (hand_next()).
 */
static void hand_out(struct brigade *b)
{
	while (b->lru_len > 0 && b->queue.n > 0) {
		size_t share = (b->queue.n + b->lru_len - 1) / b->lru_len;
		struct ticket *batch[STATION_BATCH_MAX];
		unsigned n = 0, i = lru_pop(b);
		struct slot *s = &b->slots[i];
		int r;

		if (share > STATION_BATCH_MAX)
			share = STATION_BATCH_MAX;
		batch[n++] = ticket_queue_pop(&b->queue);
		while (n < share && dish_short(batch[0]) && b->queue.head && dish_short(b->queue.head))
			batch[n++] = ticket_queue_pop(&b->queue);

		s->free = false;
		s->n_cancelled = 0;
		/* Once sent, the dishes are the station's: they may be freed before send_to() returns. */
		for (unsigned k = 0; k < n; k++)
			s->held[k] = (struct held) { .id = batch[k]->id, .attempt = batch[k]->attempt };
		s->n_held = n;
		set_due(b, i, n == 1 && dish_length_ns(batch[0]) ? now_ns() + dish_length_ns(batch[0]) : 0);
		r = send_to(b, i, STATION_DISH, batch, n * sizeof(batch[0]), b->loop ? &i : NULL,
			    b->loop ? sizeof(i) : 0);
		if (r < 0) {
			/* The station is gone (it logged why); it gets no more dishes. */
			log_error_errno(r, "Failed to hand %u dishes from dish %llu to station %u, dropping them: %m",
					n, (unsigned long long) s->held[0].id, i);
			s->n_held = 0;
			s->gone = true;
			for (unsigned k = 0; k < n; k++)
				ticket_free(&batch[k]);
		}
	}
	hand_next(b);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void brigade_free(struct brigade **bp)
{
	struct brigade *b;

	if (!bp || !*bp)
		return;
	b = *bp;

	/* STOP every station first so they all wind down at once, then join. */
	for (unsigned i = 0; i < b->n; i++) {
		struct slot *s = &b->slots[i];
		bool stop_sent;

		if (!s->started)
			continue;
		stop_sent = send_to(b, i, STATION_STOP, NULL, 0, NULL, 0) >= 0;
		/* Not connected yet, or gone already: whichever it is shows soon. */
		while (!stop_sent && pthread_tryjoin_np(s->thread, NULL) != 0) {
			sleep_ms(1);
			stop_sent = send_to(b, i, STATION_STOP, NULL, 0, NULL, 0) >= 0;
		}
		if (!stop_sent)
			s->started = false;
	}
	for (unsigned i = 0; i < b->n; i++)
		if (b->slots[i].started)
			pthread_join(b->slots[i].thread, NULL);

	if (b->router)
		zmq_close(b->router);
	ticket_queue_clear(&b->queue);
	timer_heap_free(&b->due);
	free(b->lru);
	free(b->slots);
	free(b);
	*bp = NULL;
}

int brigade_new(void *ctx, bool loop, unsigned n, const char *sink, const char *chef_id,
		const char *chef_name, const struct keys_client *curve, struct brigade **ret)
{
	int linger = 0, mandatory = 1, hwm = 0;
	struct brigade *b;
	uint64_t deadline;
	int r;

	if (n == 0)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->n = n;
	b->loop = loop;
	ticket_queue_init(&b->queue);
	b->slots = calloc(n, sizeof(*b->slots));
	b->lru = calloc(n, sizeof(*b->lru));
	if (!b->slots || !b->lru) {
		r = -ENOMEM;
		goto fail;
	}

	b->router = zmq_socket(ctx, ZMQ_ROUTER);
	if (!b->router ||
	    zmq_setsockopt(b->router, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(b->router, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory)) < 0 ||
	    /* The loop's slots: a message each at once, and no more (evloop.h). */
	    (loop && (zmq_setsockopt(b->router, ZMQ_SNDHWM, &hwm, sizeof(hwm)) < 0 ||
		      zmq_setsockopt(b->router, ZMQ_RCVHWM, &hwm, sizeof(hwm)) < 0)) ||
	    zmq_bind(b->router, BRIGADE_ENDPOINT) < 0) {
		r = -errno;
		goto fail;
	}

	for (unsigned i = 0; i < (loop ? 1 : n); i++) {
		struct station_args args = {
			.ctx = ctx,
			.index = i,
			.brigade = BRIGADE_ENDPOINT,
			.sink = sink,
			.chef_id = chef_id,
			.chef_name = chef_name,
			.curve = curve,
		};

		r = loop ? evloop_start(&args, n, &b->slots[i].thread) : station_start(&args, &b->slots[i].thread);
		if (r < 0)
			goto fail;
		b->slots[i].started = true;
	}

	/* Every station says FREE (or FAIL) once it has its sockets. */
	deadline = now_ms() + START_TIMEOUT_MS;
	while (b->n_spoke < n && b->failed == 0) {
		zmq_pollitem_t item = { .socket = b->router, .events = ZMQ_POLLIN };
		uint64_t now = now_ms();

		if (now >= deadline) {
			r = -ETIMEDOUT;
			goto fail;
		}
		if (zmq_poll(&item, 1, (long) (deadline - now)) < 0 && errno != EINTR) {
			r = -errno;
			goto fail;
		}
		r = recv_all(b);
		if (r < 0)
			goto fail;
	}
	if (b->failed < 0) {
		r = b->failed;
		goto fail;
	}

	*ret = b;
	return 0;
fail:
	brigade_free(&b);
	return r;
}

void *brigade_socket(struct brigade *b)
{
	return b->router;
}

int brigade_process(struct brigade *b)
{
	int r = recv_all(b);

	hand_out(b);
	return r;
}

int brigade_add(struct brigade *b, struct ticket **d)
{
	if (b->queue.n >= BRIGADE_QUEUE_MAX) {
		ticket_free(d);
		return -ENOBUFS;
	}
	ticket_queue_push(&b->queue, d);
	return 0;
}

void brigade_hand_out(struct brigade *b)
{
	hand_out(b);
}

/* CANCEL dish @k of station @i's batch (or its next, k == n_held), once. */
static void cancel_held(struct brigade *b, unsigned i, unsigned k)
{
	struct slot *s = &b->slots[i];
	struct held *h = &s->held[k];
	int r;

	if (s->free || s->gone || h->cancelled)
		return;
	r = send_to(b, i, STATION_CANCEL, &h->id, sizeof(h->id), &h->attempt, sizeof(h->attempt));
	if (r < 0) {
		log_warning_errno(r, "Failed to cancel dish %llu on station %u, ignoring: %m",
				  (unsigned long long) h->id, i);
		return;
	}
	h->cancelled = true;
	if (k < s->n_held && ++s->n_cancelled == s->n_held)
		s->cancelled_ms = now_ms();
}

int brigade_cancel(struct brigade *b, uint64_t id, uint64_t attempt)
{
	struct ticket *d = ticket_queue_take(&b->queue, id, attempt);

	if (d) {
		/* Not cooked: a station only answers it, so kitchend gets the credit back. */
		d->reject = STATION_CANCELLED;
		ticket_queue_push(&b->queue, &d);
		hand_out(b);
		return 1;
	}
	for (unsigned i = 0; i < b->n; i++) {
		struct slot *s = &b->slots[i];

		if (s->free || s->gone)
			continue;
		for (unsigned k = 0; k < s->n_held + s->n_next; k++)
			if (s->held[k].id == id && s->held[k].attempt == attempt) {
				cancel_held(b, i, k);
				return 1;
			}
	}
	return 0;
}

void brigade_abort(struct brigade *b)
{
	ticket_queue_clear(&b->queue);
	for (unsigned i = 0; i < b->n; i++)
		for (unsigned k = 0; k < b->slots[i].n_held + b->slots[i].n_next; k++)
			cancel_held(b, i, k);
}

long brigade_timeout_ms(struct brigade *b)
{
	struct timer t;
	uint64_t now;

	if (b->lru_len > 0 || b->queue.n == 0 || !due_first(b, &t))
		return -1;
	now = now_ns();
	if (t.due_ns <= now + NEXT_LEAD_NS)
		return 0;
	return (long) ((t.due_ns - NEXT_LEAD_NS - now + 999999) / 1000000);
}

unsigned brigade_free_stations(const struct brigade *b)
{
	return b->lru_len;
}

size_t brigade_queued(const struct brigade *b)
{
	return b->queue.n;
}

unsigned brigade_stuck(const struct brigade *b, uint64_t now, uint64_t after_ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < b->n; i++) {
		const struct slot *s = &b->slots[i];

		/* @now may be older than a CANCEL sent since. */
		if (!s->free && !s->gone && s->n_held > 0 && s->n_cancelled == s->n_held &&
		    now >= s->cancelled_ms + after_ms)
			n++;
	}
	return n;
}

unsigned brigade_busy(const struct brigade *b)
{
	unsigned n = 0;

	for (unsigned i = 0; i < b->n; i++)
		if (!b->slots[i].free && !b->slots[i].gone)
			n++;
	return n;
}
