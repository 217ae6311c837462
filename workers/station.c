#include "station.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <zmq.h>

#include "answers.h"
#include "ticket.h"
#include "cookbook.h"
#include "fault.h"
#include "keys.h"
#include "link.h"
#include "log.h"
#include "pipeline.h"
#include "proto.h"
#include "recipe.h"
#include "util.h"

/* Digest rounds between two looks at the DEALER: well under a millisecond. */
#define CPU_SLICE (UINT64_C(1) << 16)

/* What a message from the brigade means for the dish being cooked. */
enum interrupt {
	GO_ON,
	CANCELLED,
	STOPPED,
};

struct station {
	void *ctx;
	unsigned index;
	char *brigade;
	char *sink;
	char *chef_id;
	char *chef_name;       /* KITCHEN_CHEF of a program */
	struct keys_client curve;
	bool secured;          /* curve is set */
	void *pipe;            /* DEALER to the brigade */
	void *push;            /* PUSH to kitchend's sink */
	struct answers b;      /* the batch given: n 0 when idle */
	struct answers next;   /* one handed while b was cooked (brigade.h): cooked next */
	size_t cooking;        /* index of the dish below in b.batch[] */
	struct ticket *dish;     /* the one being cooked, or NULL */
	uint64_t due_ns;       /* when the dish's current wait ends (CLOCK_MONOTONIC) */
	bool pipe_quiet;       /* nothing came on pipe since it was last drained */
};

/* Free the batch's dishes (killing a program still running: STOP) and forget their answers. */
static void batch_clear(struct station *st)
{
	answers_clear(&st->b);
	st->dish = NULL;
}

static void station_free(struct station **s)
{
	if (!s || !*s)
		return;
	batch_clear(*s);
	answers_free(&(*s)->b);
	answers_free(&(*s)->next);
	if ((*s)->push)
		zmq_close((*s)->push);
	if ((*s)->pipe)
		zmq_close((*s)->pipe);
	free((*s)->brigade);
	free((*s)->sink);
	free((*s)->chef_id);
	free((*s)->chef_name);
	explicit_bzero(&(*s)->curve, sizeof((*s)->curve));
	free(*s);
	*s = NULL;
}

/* CANCEL of (@id, @attempt): mark its answer; CANCELLED when it is the one cooking. */
static enum interrupt cancel(struct station *st, uint64_t id, uint64_t attempt)
{
	int i = answers_cancel(&st->b, id, attempt);

	if (i < 0) {
		/* Waiting its turn in the next batch; or answered already, and the
		 * brigade has not seen our FREE yet. */
		(void) answers_cancel(&st->next, id, attempt);
		return GO_ON;
	}
	ticket_log(LOG_DEBUG, 0, st->b.batch[i], st->chef_name, "cancelled at station %u", st->index);
	return st->dish && (size_t) i == st->cooking ? CANCELLED : GO_ON;
}

/* Adopt the @len bytes of dish pointers of a DISH: the batch of an idle
 * station, or the next one of a station cooking (brigade.h: one at most). */
static void adopt(struct station *st, const unsigned char *ptrs, size_t len)
{
	int r = answers_adopt(st->b.n == 0 ? &st->b : &st->next, ptrs, len);

	if (r == -EBUSY)
		ticket_log(LOG_ERR, 0, st->b.batch[0], st->chef_name,
			   "is cooking at station %u, which has its next dishes and got more: dropping them",
			   st->index);
	else if (r < 0)
		log_error_errno(r, "station %u: failed to take %zu dishes, dropping them: %m", st->index,
				len / sizeof(struct ticket *));
}

/*
 * Read one message from the brigade (-EAGAIN when none waits and @flags has
 * ZMQ_DONTWAIT) and act on it: an idle station adopts a DISH; *ret says
 * whether the dish being cooked must stop.
 */
static int pipe_recv(struct station *st, int flags, enum interrupt *ret)
{
	struct link_msg m;
	int r = link_recv(st->pipe, flags, &m);

	if (r < 0)
		return r;
	*ret = GO_ON;
	switch (m.cmd) {
	case LINK_STOP:
		*ret = STOPPED;
		break;
	case LINK_CANCEL:
		*ret = cancel(st, m.id, m.attempt);
		break;
	case LINK_DISH:
		adopt(st, m.ptrs, m.len);
		break;
	case LINK_UNKNOWN:
		log_error("station %u: unknown message from the brigade, ignoring", st->index);
		break;
	}
	return 0;
}

/* Act on every message waiting; the first that interrupts the dish ends it. */
static enum interrupt pipe_drain(struct station *st)
{
	st->pipe_quiet = false;  /* station_wait() says when it is quiet again */
	for (;;) {
		enum interrupt ev;
		int r = pipe_recv(st, ZMQ_DONTWAIT, &ev);

		if (r == -EAGAIN)
			return GO_ON;
		if (r == -EINTR)
			continue;
		if (r < 0) {
			log_error_errno(r, "station %u: failed to receive from the brigade: %m", st->index);
			return STOPPED;
		}
		if (ev != GO_ON)
			return ev;
	}
}

/*
 * Sleep until st->due_ns, or less when the brigade interrupts. The deadline
 * runs on from the dish's previous wait (station_wait()), not from when that
 * wait really ended: a timer wakes up late (0.1 to 0.4 ms a time, seen on a
 * busy VM), and a dish of five 1 ms waits must still take 5 ms, not 7. The
 * sleep is a ppoll() on the DEALER's ZMQ_FD, to the nanosecond (zmq_poll()
 * counts whole milliseconds). ZMQ_FD is edge-triggered: the pipe is drained
 * and ZMQ_EVENTS checked before a sleep, unless the last sleep timed out with
 * the fd quiet (st->pipe_quiet), which says nothing has come since.
 */
static enum interrupt sleep_until_due(struct station *st)
{
	size_t len = sizeof(int);
	int fd;

	if (zmq_getsockopt(st->pipe, ZMQ_FD, &fd, &len) < 0) {
		log_error_errno(-errno, "station %u: failed to get the brigade's fd: %m", st->index);
		return STOPPED;
	}
	for (;;) {
		uint64_t now, left;
		int r;

		if (!st->pipe_quiet) {
			enum interrupt ev = pipe_drain(st);
			int events = 0;

			if (ev != GO_ON)
				return ev;
			len = sizeof(events);
			if (zmq_getsockopt(st->pipe, ZMQ_EVENTS, &events, &len) == 0 && (events & ZMQ_POLLIN))
				continue;
			st->pipe_quiet = true;
		}
		now = now_ns();
		if (now >= st->due_ns)
			return GO_ON;
		left = st->due_ns - now;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct timespec ts = {
			.tv_sec = left / 1000000000u > INT_MAX ? INT_MAX : (time_t) (left / 1000000000u),
			.tv_nsec = (long) (left % 1000000000u),
		};
		r = ppoll(&p, 1, &ts, NULL);
		if (r < 0 && errno != EINTR) {
			log_error_errno(-errno, "station %u: failed to poll: %m", st->index);
			return STOPPED;
		}
		/* Timed out: the fd stayed quiet, so nothing came. Else look. */
		st->pipe_quiet = r == 0;
	}
}

/*
 * Wait @ms milliseconds more, or less when the brigade interrupts. For a
 * dish that somebody follows, each stage line goes out on time, so each
 * wait is slept at once. For one nobody follows, nothing shows between the
 * stages: the waits are only added up here and slept before CPU work and
 * before the result, one wake-up a dish instead of one a stage, which counts
 * with hundreds of stations (design brief: stages cost nothing unfollowed).
 */
static enum interrupt station_wait(struct station *st, uint64_t ms)
{
	if (ms == 0)
		return GO_ON;
	st->due_ns = ms > (UINT64_MAX - st->due_ns) / 1000000 ? UINT64_MAX : st->due_ns + ms * 1000000;
	if (!(st->dish->flags & PROTO_DISH_FOLLOWED))
		return GO_ON;
	return sleep_until_due(st);
}

/* The CPU work of one ingredient, in slices with a look at the brigade between. */
static enum interrupt station_cpu(struct station *st, const char *ingredient, uint64_t rounds, uint64_t *ret)
{
	uint64_t state = pipeline_digest_seed(ingredient);
	enum interrupt ev;

	if (rounds == 0) {
		*ret = state;
		return GO_ON;
	}
	/* The waits before the work come first. */
	ev = sleep_until_due(st);
	if (ev != GO_ON)
		return ev;
	while (rounds > 0) {
		uint64_t n = rounds < CPU_SLICE ? rounds : CPU_SLICE;

		state = pipeline_digest_run(state, n);
		rounds -= n;
		ev = pipe_drain(st);
		if (ev != GO_ON)
			return ev;
	}
	*ret = state;
	/* The next wait starts after the work, not on the waits' schedule. */
	st->due_ns = now_ns();
	return GO_ON;
}

/* A line of text, sent as PROGRESS when someone follows the dish. */
static void stage_text(struct station *st, const char *text)
{
	progress_send(st->push, st->chef_id, st->dish, text);
}

/* A stage of the simulated pipeline. */
static void stage(struct station *st, enum pipeline_stage s, const char *name)
{
	char text[PIPELINE_TEXT_MAX];

	if (!(st->dish->flags & PROTO_DISH_FOLLOWED))
		return;
	if (pipeline_text(s, name, text, sizeof(text)) < 0)
		return;
	stage_text(st, text);
}

/* Answer the dish being cooked "failed" with @reason: static text, or its
 * run's (which lives until batch_clear()). */
static enum interrupt answer_failed(struct station *st, const char *reason)
{
	answers_failed(&st->b, st->cooking, reason);
	return GO_ON;
}

/*
 * Send the batch's RESULT; wait while the sink is full, acting on what the
 * brigade says meanwhile (a CANCEL turns that dish's group into "failed"
 * STATION_CANCELLED). Once every dish is cancelled, one try is enough: the
 * answers give kitchend its credit back sooner, but when the sink cannot take
 * them (kitchend is away, the link is down) waiting would leave the station
 * stuck on dishes nobody wants, and kitchend takes them back anyway when it
 * gives this chef up.
 */
static enum interrupt send_results(struct station *st)
{
	for (;;) {
		zmq_pollitem_t poll[] = {
			{ .socket = st->push, .events = ZMQ_POLLOUT },
			{ .socket = st->pipe, .events = ZMQ_POLLIN },
		};
		bool cancelled = answers_all_cancelled(&st->b);
		int r = answers_send(&st->b, st->push, st->chef_id, ZMQ_DONTWAIT);

		if (r == 0)
			return GO_ON;
		if (cancelled) {
			ticket_log(LOG_DEBUG, r, st->b.batch[0], st->chef_name,
				   "(first of %zu at station %u): not answering their CANCEL: %m", st->b.n, st->index);
			return GO_ON;
		}
		if (r != -EAGAIN && r != -EINTR) {
			ticket_log(LOG_ERR, r, st->b.batch[0], st->chef_name,
				   "(first of %zu at station %u): failed to send their results: %m", st->b.n, st->index);
			return GO_ON;
		}

		log_debug("station %u: sink is full, waiting to send a result", st->index);
		if (zmq_poll(poll, ELEMENTSOF(poll), -1) < 0 && errno != EINTR) {
			log_error_errno(-errno, "station %u: failed to poll: %m", st->index);
			return STOPPED;
		}
		/* Not cooking: CANCEL only marks an answer; STOP ends it all. */
		if ((poll[1].revents & ZMQ_POLLIN) && pipe_drain(st) == STOPPED)
			return STOPPED;
	}
}

/* Block until STOP, deaf to CANCEL: a stuck dish, as a test asked for. */
static enum interrupt hang(struct station *st)
{
	for (;;) {
		zmq_pollitem_t item = { .socket = st->pipe, .events = ZMQ_POLLIN };

		if (zmq_poll(&item, 1, -1) < 0 && errno != EINTR) {
			log_error_errno(-errno, "station %u: failed to poll: %m", st->index);
			return STOPPED;
		}
		if (pipe_drain(st) == STOPPED)
			return STOPPED;
	}
}

/* Misbehave on purpose, as KITCHEN_CHEF_FAULTS says (fault.h). */
static enum interrupt inject_fault(struct station *st)
{
	const struct ticket *d = st->dish;

	ticket_log(LOG_WARNING, 0, d, st->chef_name, "at station %u: injecting a %s (" FAULT_ENV ")",
		   st->index, fault_kind_to_string(d->fault));
	switch (d->fault) {
	case FAULT_CRASH:
		fault_crash();
	case FAULT_HANG:
		return hang(st);
	case FAULT_FAIL:
		return answer_failed(st, FAULT_FAIL_REASON);
	case FAULT_NONE:
	case _FAULT_KIND_MAX:
		break;
	}
	return GO_ON;
}

/* A program's stderr line: a stage line for whoever follows the dish. */
static void program_stage(void *userdata, const char *line)
{
	stage_text(userdata, line);
}

/*
 * Run st->dish's recipe, polling its fds and the DEALER together: a CANCEL
 * ends the program's group (TERM, then KILL after the grace) and the run
 * goes on until it is gone; a STOP kills it at once (batch_clear()). The
 * DEALER is a zmq socket in the zmq_poll, so its edge-triggered ZMQ_FD is
 * zmq's business; it is drained once first, for what came before the poll.
 */
static enum interrupt cook_program(struct station *st)
{
	const struct ticket *d = st->dish;
	struct answer *a = &st->b.a[st->cooking];
	const char *reason;
	struct recipe_dish rd = {
		.order = d->order,
		.dish = d->number,
		.dish_id = d->id,
		.attempt = d->attempt,
		.chef = st->chef_name,
		.input = d->input,
		.input_len = d->input_len,
	};
	enum interrupt ev;
	int r;

	ticket_log(LOG_DEBUG, 0, d, st->chef_name, "running %s at station %u", d->recipe->argv[0], st->index);
	r = recipe_start(d->recipe, &rd, program_stage, st, &a->run);
	if (r < 0) {
		ticket_log(LOG_ERR, r, d, st->chef_name, "at station %u: failed to start its program: %m",
			   st->index);
		return answer_failed(st, "chef error: cannot start the program");
	}
	ev = pipe_drain(st);
	for (;;) {
		zmq_pollitem_t items[RECIPE_POLL_MAX + 1];
		struct pollfd fds[RECIPE_POLL_MAX];
		size_t n;

		if (ev == STOPPED)
			return STOPPED;
		if (ev == CANCELLED)
			recipe_cancel(a->run);
		if (recipe_step(a->run) != 0)
			break;
		n = recipe_pollfds(a->run, fds);
		for (size_t i = 0; i < n; i++)
			items[i] = (zmq_pollitem_t) {
				.fd = fds[i].fd,
				.events = (short) (((fds[i].events & POLLIN) ? ZMQ_POLLIN : 0) |
						   ((fds[i].events & POLLOUT) ? ZMQ_POLLOUT : 0)),
			};
		items[n] = (zmq_pollitem_t) { .socket = st->pipe, .events = ZMQ_POLLIN };
		if (zmq_poll(items, (int) n + 1, recipe_timeout_ms(a->run)) < 0 && errno != EINTR) {
			log_error_errno(-errno, "station %u: failed to poll: %m", st->index);
			return STOPPED;
		}
		ev = (items[n].revents & ZMQ_POLLIN) ? pipe_drain(st) : GO_ON;
	}

	reason = answers_ran(&st->b, st->cooking);
	if (reason)
		/* Exceptional: said at info, where kitchend says it goes back to the queue. */
		ticket_log(LOG_INFO, 0, d, st->chef_name, "failed at station %u: %s", st->index, reason);
	else
		ticket_log(LOG_DEBUG, 0, d, st->chef_name, "served at station %u", st->index);
	return GO_ON;
}

/* Cook st->dish through the pipeline, or its program, and note its answer. */
static enum interrupt cook(struct station *st)
{
	const struct ticket *d = st->dish;
	uint64_t digests[TICKET_MAX_INGREDIENTS];
	enum interrupt ev;

	if (d->reject) {
		ticket_log(LOG_WARNING, 0, d, st->chef_name, "failed at station %u: %s", st->index, d->reject);
		return answer_failed(st, d->reject);
	}
	if (d->fault != FAULT_NONE)
		return inject_fault(st);
	if (d->recipe)
		return cook_program(st);
	ticket_log(LOG_DEBUG, 0, d, st->chef_name, "cooking at station %u", st->index);

	stage(st, PIPELINE_GET, d->name);
	st->due_ns = now_ns();
	st->pipe_quiet = false;  /* the brigade may have said more since the dish came */
	ev = station_wait(st, d->prep_ms);
	if (ev != GO_ON)
		return ev;

	for (size_t i = 0; i < d->n_ingredients; i++) {
		stage(st, PIPELINE_COOKING, d->ingredients[i]);
		ev = station_wait(st, d->cook_ms);
		if (ev == GO_ON)
			ev = station_cpu(st, d->ingredients[i], d->cpu_work, &digests[i]);
		if (ev != GO_ON)
			return ev;
	}

	for (size_t i = 0; i < d->n_ingredients; i++) {
		stage(st, PIPELINE_SEASONING, d->ingredients[i]);
		ev = station_wait(st, d->season_ms);
		if (ev != GO_ON)
			return ev;
		stage(st, PIPELINE_SERVED, d->ingredients[i]);
	}

	/* What station_wait() left to sleep. A dish with nothing left does not
	 * look at the brigade here: cook_batch() does, once for the batch. */
	if (st->due_ns > now_ns()) {
		ev = sleep_until_due(st);
		if (ev != GO_ON)
			return ev;
	}
	answers_served(&st->b, st->cooking, digests);
	return GO_ON;
}

/*
 * Cook every dish of the batch in order, then send their RESULT. A dish
 * cancelled before its turn is not cooked, one cancelled mid-dish not
 * further; both are answered STATION_CANCELLED. STOPPED when told to STOP.
 */
static enum interrupt cook_batch(struct station *st)
{
	if (st->b.n > 1)
		ticket_log(LOG_DEBUG, 0, st->b.batch[0], st->chef_name, "(first of %zu): a batch at station %u",
			   st->b.n, st->index);
	for (size_t i = 0; i < st->b.n; i++) {
		enum interrupt ev;

		if (st->b.a[i].cancelled)
			continue;
		st->cooking = i;
		st->dish = st->b.batch[i];
		ev = cook(st);
		st->dish = NULL;
		if (ev == STOPPED)
			return STOPPED;
	}
	/* A STOP, or CANCELs of dishes cooked already, before the answers go
	 * (unless the last wait timed out with nothing come since). */
	if (!st->pipe_quiet && pipe_drain(st) == STOPPED)
		return STOPPED;
	return send_results(st);
}

static int station_open(struct station *st)
{
	char id[16];

	snprintf(id, sizeof(id), "%u", st->index);
	return link_open(st->ctx, id, false, st->brigade, st->sink, st->secured ? &st->curve : NULL,
			 &st->pipe, &st->push);
}

static void *station_main(void *arg)
{
	struct station *st = arg;
	int r;

	/* A dish's waits end on time: without this the kernel may wake the
	 * thread up to 50 µs late (its default timer slack), every dish. */
	(void) prctl(PR_SET_TIMERSLACK, 1UL);
	r = station_open(st);
	if (r < 0) {
		/* With its DEALER open it has told the brigade, which says it once for all. */
		log_full_errno(st->pipe ? LOG_DEBUG : LOG_ERR, r,
			       "station %u: failed to open its sockets: %m", st->index);
		goto out;
	}

	for (bool told = false;;) {
		enum interrupt ev;

		if (!told) {
			if (zmq_send(st->pipe, STATION_FREE, strlen(STATION_FREE), 0) < 0) {
				log_error_errno(-errno, "station %u: failed to tell the brigade: %m", st->index);
				break;
			}
			told = true;
		}
		if (st->b.n == 0) {
			r = pipe_recv(st, 0, &ev);
			if (r == -EINTR)
				continue;
			if (r < 0) {
				log_error_errno(r, "station %u: failed to receive from the brigade: %m", st->index);
				break;
			}
			if (ev == STOPPED)
				break;
			if (st->b.n == 0)
				continue;
		}
		told = false;
		ev = cook_batch(st);
		batch_clear(st);
		if (ev == STOPPED)
			break;
		if (st->next.n > 0) {
			/* Handed while we cooked: begun at once, after our FREE for this batch. */
			struct answers done = st->b;

			st->b = st->next;
			st->next = done;
		}
	}
out:
	log_debug("station %u: stopped", st->index);
	station_free(&st);
	return NULL;
}

int station_start(const struct station_args *args, pthread_t *ret_thread)
{
	struct station *st;
	char name[16];
	pthread_t t;
	int r;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->ctx = args->ctx;
	st->index = args->index;
	st->brigade = strdup(args->brigade);
	st->sink = strdup(args->sink);
	st->chef_id = strdup(args->chef_id);
	st->chef_name = strdup(args->chef_name ? args->chef_name : args->chef_id);
	if (args->curve) {
		st->curve = *args->curve;
		st->secured = true;
	}
	if (!st->brigade || !st->sink || !st->chef_id || !st->chef_name) {
		station_free(&st);
		return -ENOMEM;
	}

	r = pthread_create(&t, NULL, station_main, st);
	if (r != 0) {
		station_free(&st);
		return -r;
	}
	snprintf(name, sizeof(name), "station-%u", args->index);
	(void) pthread_setname_np(t, name);
	*ret_thread = t;
	return 0;
}
