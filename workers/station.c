#include "station.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "ticket.h"
#include "cookbook.h"
#include "fault.h"
#include "keys.h"
#include "log.h"
#include "pipeline.h"
#include "proto.h"
#include "recipe.h"
#include "util.h"

/* Digest rounds between two looks at the DEALER: well under a millisecond. */
#define CPU_SLICE (UINT64_C(1) << 16)
/* How long a closing sink socket may still try to deliver results. */
#define SINK_LINGER_MS 1000

/* Room kept in the answers' text for one more dish: its result and items. */
#define TEXT_PER_DISH ((TICKET_MAX_INGREDIENTS + 1) * PIPELINE_TEXT_MAX)

/* What a message from the brigade means for the dish being cooked. */
enum interrupt {
	GO_ON,
	CANCELLED,
	STOPPED,
};

/* How a dish of the batch is answered in the batch's RESULT. */
struct answer {
	bool cancelled;        /* a CANCEL came: "failed" STATION_CANCELLED, whatever else */
	const char *outcome;   /* PROTO_OUTCOME_SERVED or _FAILED; NULL while not cooked */
	const char *reason;    /* static text of a "failed" one, items ""; else NULL and */
	size_t result, items;  /* where its texts start in the station's text */
	struct recipe_run *run;  /* a program dish's run: its output is the result, raw */
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
	struct ticket *batch[STATION_BATCH_MAX];  /* the dishes given, cooked in this order */
	struct answer answers[STATION_BATCH_MAX];
	size_t n_batch;        /* 0: idle */
	size_t cooking;        /* index of the dish below in batch[] */
	struct ticket *dish;     /* the one being cooked, or NULL */
	char *text;            /* the answers' results and items, NUL-terminated each */
	size_t text_len;
	size_t text_size;
	uint64_t due_ns;       /* when the dish's current wait ends (CLOCK_MONOTONIC) */
	bool pipe_quiet;       /* nothing came on pipe since it was last drained */
};

/* Free the batch's dishes and forget their answers. */
static void batch_clear(struct station *st)
{
	for (size_t i = 0; i < st->n_batch; i++) {
		recipe_free(&st->answers[i].run);  /* kills and reaps a program still running (STOP) */
		ticket_free(&st->batch[i]);
	}
	st->n_batch = 0;
	st->dish = NULL;
	st->text_len = 0;
}

static void station_free(struct station **s)
{
	if (!s || !*s)
		return;
	batch_clear(*s);
	free((*s)->text);
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

static bool rcvmore(void *sock)
{
	int more = 0;
	size_t len = sizeof(more);

	return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more;
}

static bool frame_is(const char *data, int len, const char *word)
{
	return len >= 0 && (size_t) len == strlen(word) && memcmp(data, word, (size_t) len) == 0;
}

/* CANCEL of (@id, @attempt): mark its answer; CANCELLED when it is the one cooking. */
static enum interrupt cancel(struct station *st, uint64_t id, uint64_t attempt)
{
	for (size_t i = 0; i < st->n_batch; i++) {
		const struct ticket *d = st->batch[i];

		if (d->id != id || d->attempt != attempt)
			continue;
		ticket_log(LOG_DEBUG, 0, d, st->chef_name, "cancelled at station %u", st->index);
		st->answers[i].cancelled = true;
		return st->dish && i == st->cooking ? CANCELLED : GO_ON;
	}
	return GO_ON;  /* answered already: the brigade has not seen our FREE yet */
}

/* An idle station adopts the @len bytes of dish pointers of a DISH. */
static void adopt(struct station *st, const unsigned char *ptrs, size_t len)
{
	size_t n = len / sizeof(struct ticket *);

	if (st->n_batch > 0) {
		/* The brigade hands dishes to free stations only. */
		ticket_log(LOG_ERR, 0, st->batch[0], st->chef_name,
			   "is cooking at station %u, which got %zu more dishes: dropping them", st->index, n);
		for (size_t i = 0; i < n; i++) {
			struct ticket *d;

			memcpy(&d, ptrs + i * sizeof(d), sizeof(d));
			ticket_free(&d);
		}
		return;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(&st->batch[i], ptrs + i * sizeof(st->batch[i]), sizeof(st->batch[i]));
		st->answers[i] = (struct answer) {};
	}
	st->n_batch = n;
}

/*
 * Read one message from the brigade (-EAGAIN when none waits and @flags has
 * ZMQ_DONTWAIT) and act on it: an idle station adopts a DISH; *ret says
 * whether the dish being cooked must stop.
 */
static int pipe_recv(struct station *st, int flags, enum interrupt *ret)
{
	char cmd[16];
	unsigned char arg0[STATION_BATCH_MAX * sizeof(struct ticket *)], arg1[16];
	int n, alen[2] = { -1, -1 };
	size_t k = 0;

	n = zmq_recv(st->pipe, cmd, sizeof(cmd), flags);
	if (n < 0)
		return -errno;
	while (rcvmore(st->pipe)) {
		unsigned char junk[16];
		int m = k == 0 ? zmq_recv(st->pipe, arg0, sizeof(arg0), 0)
			: zmq_recv(st->pipe, k == 1 ? arg1 : junk, sizeof(junk), 0);

		if (m < 0)
			return -errno;
		if (k < 2)
			alen[k] = m;
		k++;
	}

	*ret = GO_ON;
	if (frame_is(cmd, n, STATION_STOP) && k == 0) {
		*ret = STOPPED;
	} else if (frame_is(cmd, n, STATION_CANCEL) && k == 2 && alen[0] == 8 && alen[1] == 8) {
		uint64_t id, attempt;

		memcpy(&id, arg0, sizeof(id));
		memcpy(&attempt, arg1, sizeof(attempt));
		*ret = cancel(st, id, attempt);
	} else if (frame_is(cmd, n, STATION_DISH) && k == 1 && alen[0] > 0 &&
		   (size_t) alen[0] <= sizeof(arg0) && alen[0] % sizeof(struct ticket *) == 0) {
		adopt(st, arg0, (size_t) alen[0]);
	} else
		log_error("station %u: unknown message from the brigade, ignoring", st->index);
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
	struct proto_out o;
	int r;

	if (!(st->dish->flags & PROTO_DISH_FOLLOWED))
		return;
	proto_out_begin(&o, st->push, PROTO_PROGRESS);
	proto_out_str(&o, st->chef_id);
	proto_out_str(&o, st->dish->token);
	proto_out_u64(&o, st->dish->id);
	proto_out_u64(&o, st->dish->attempt);
	proto_out_str(&o, text);
	/* A stage line is worth less than a stalled station: drop it when the sink is full. */
	r = proto_out_end(&o, ZMQ_DONTWAIT);
	if (r < 0)
		ticket_log(LOG_DEBUG, r, st->dish, st->chef_name, "at station %u: dropping a stage line: %m",
			   st->index);
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
	st->answers[st->cooking].outcome = PROTO_OUTCOME_FAILED;
	st->answers[st->cooking].reason = reason;
	return GO_ON;
}

/* Room for TEXT_PER_DISH more bytes of answers' text. 0 or -ENOMEM. */
static int text_reserve(struct station *st)
{
	return buf_reserve(&st->text, &st->text_size, st->text_len + TEXT_PER_DISH);
}

/* Put the batch's RESULT on the sink without waiting: 0 or -errno (-EAGAIN when full). */
static int result_try(struct station *st)
{
	struct proto_out o;

	/* A batch is of one session: an old session's dishes are all
	 * cancelled before a new one brings any (session.h). */
	proto_out_begin(&o, st->push, PROTO_RESULT);
	proto_out_str(&o, st->chef_id);
	proto_out_str(&o, st->batch[0]->token);
	for (size_t i = 0; i < st->n_batch; i++) {
		const struct answer *a = &st->answers[i];

		proto_out_u64(&o, st->batch[i]->id);
		proto_out_u64(&o, st->batch[i]->attempt);
		if (a->cancelled || !a->outcome) {  /* not cooked: only a CANCEL does that */
			proto_out_str(&o, PROTO_OUTCOME_FAILED);
			proto_out_str(&o, "");
			proto_out_str(&o, STATION_CANCELLED);
		} else if (a->reason) {
			proto_out_str(&o, a->outcome);
			proto_out_str(&o, "");
			proto_out_str(&o, a->reason);
		} else if (a->run) {
			struct recipe_result res;

			recipe_result(a->run, &res);
			proto_out_str(&o, a->outcome);
			proto_out_str(&o, "");
			proto_out_mem(&o, res.output, res.output_len);
		} else {
			proto_out_str(&o, a->outcome);
			proto_out_str(&o, st->text + a->items);
			proto_out_str(&o, st->text + a->result);
		}
	}
	return proto_out_end(&o, ZMQ_DONTWAIT);
}

static bool all_cancelled(const struct station *st)
{
	for (size_t i = 0; i < st->n_batch; i++)
		if (!st->answers[i].cancelled)
			return false;
	return true;
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
		bool cancelled = all_cancelled(st);
		int r = result_try(st);

		if (r == 0)
			return GO_ON;
		if (cancelled) {
			ticket_log(LOG_DEBUG, r, st->batch[0], st->chef_name,
				   "(first of %zu at station %u): not answering their CANCEL: %m", st->n_batch,
				   st->index);
			return GO_ON;
		}
		if (r != -EAGAIN && r != -EINTR) {
			ticket_log(LOG_ERR, r, st->batch[0], st->chef_name,
				   "(first of %zu at station %u): failed to send their results: %m",
				   st->n_batch, st->index);
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
	struct answer *a = &st->answers[st->cooking];
	struct recipe_dish rd = {
		.order = d->order,
		.dish = d->number,
		.dish_id = d->id,
		.attempt = d->attempt,
		.chef = st->chef_name,
		.input = d->input,
		.input_len = d->input_len,
	};
	struct recipe_result res;
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

	recipe_result(a->run, &res);
	if (res.outcome == RECIPE_SERVED) {
		ticket_log(LOG_DEBUG, 0, d, st->chef_name, "served at station %u", st->index);
		a->outcome = PROTO_OUTCOME_SERVED;
		return GO_ON;
	}
	/* Exceptional: said at info, where kitchend says it goes back to the queue. */
	ticket_log(LOG_INFO, 0, d, st->chef_name, "failed at station %u: %s", st->index, res.reason);
	/* The reason lives in the run, until batch_clear(). */
	return answer_failed(st, res.reason);
}

/* Cook st->dish through the pipeline, or its program, and note its answer. */
static enum interrupt cook(struct station *st)
{
	const struct ticket *d = st->dish;
	struct answer *a = &st->answers[st->cooking];
	uint64_t digests[TICKET_MAX_INGREDIENTS];
	char *items, *result;
	size_t len = 0;
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

	/* The texts go where the batch's RESULT reads them: the result, then the items. */
	if (text_reserve(st) < 0)
		return answer_failed(st, "internal error: out of memory");
	result = st->text + st->text_len;
	items = result + PIPELINE_TEXT_MAX;
	items[0] = '\0';
	for (size_t i = 0; i < d->n_ingredients; i++) {
		stage(st, PIPELINE_SEASONING, d->ingredients[i]);
		ev = station_wait(st, d->season_ms);
		if (ev != GO_ON)
			return ev;
		stage(st, PIPELINE_SERVED, d->ingredients[i]);

		/* Names are at most PROTO_MAX_NAME bytes: every item fits its share. */
		if (i > 0)
			items[len++] = '\n';
		if (pipeline_item(d->ingredients[i], d->cpu_work, digests[i], items + len, PIPELINE_TEXT_MAX) < 0)
			return answer_failed(st, "internal error: item too long");
		len += strlen(items + len);
	}

	if (pipeline_result(d->name, result, PIPELINE_TEXT_MAX) < 0)
		return answer_failed(st, "internal error: result too long");
	/* What station_wait() left to sleep. A dish with nothing left does not
	 * look at the brigade here: cook_batch() does, once for the batch. */
	if (st->due_ns > now_ns()) {
		ev = sleep_until_due(st);
		if (ev != GO_ON)
			return ev;
	}
	a->outcome = PROTO_OUTCOME_SERVED;
	a->result = st->text_len;
	a->items = st->text_len + PIPELINE_TEXT_MAX;
	st->text_len = a->items + len + 1;
	return GO_ON;
}

/*
 * Cook every dish of the batch in order, then send their RESULT. A dish
 * cancelled before its turn is not cooked, one cancelled mid-dish not
 * further; both are answered STATION_CANCELLED. STOPPED when told to STOP.
 */
static enum interrupt cook_batch(struct station *st)
{
	if (st->n_batch > 1)
		ticket_log(LOG_DEBUG, 0, st->batch[0], st->chef_name, "(first of %zu): a batch at station %u",
			   st->n_batch, st->index);
	st->text_len = 0;
	for (size_t i = 0; i < st->n_batch; i++) {
		enum interrupt ev;

		if (st->answers[i].cancelled)
			continue;
		st->cooking = i;
		st->dish = st->batch[i];
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
	int linger = 0, sink_linger = SINK_LINGER_MS;
	char id[16];
	int r;

	st->pipe = zmq_socket(st->ctx, ZMQ_DEALER);
	if (!st->pipe)
		return -errno;
	snprintf(id, sizeof(id), "%u", st->index);
	if (zmq_setsockopt(st->pipe, ZMQ_LINGER, &linger, sizeof(linger)) < 0 ||
	    zmq_setsockopt(st->pipe, ZMQ_ROUTING_ID, id, strlen(id)) < 0 ||
	    zmq_connect(st->pipe, st->brigade) < 0) {
		r = -errno;
		zmq_close(st->pipe);
		st->pipe = NULL;
		return r;
	}

	/* From here on the brigade hears of a failure. */
	st->push = zmq_socket(st->ctx, ZMQ_PUSH);
	r = 0;
	if (!st->push ||
	    zmq_setsockopt(st->push, ZMQ_LINGER, &sink_linger, sizeof(sink_linger)) < 0 ||
	    (r = keys_client_for(st->push, st->sink, st->secured ? &st->curve : NULL)) < 0 ||
	    zmq_connect(st->push, st->sink) < 0) {
		char err[16];
		int n;

		if (r == 0)
			r = -errno;
		n = snprintf(err, sizeof(err), "%d", -r);
		zmq_send(st->pipe, STATION_FAIL, strlen(STATION_FAIL), ZMQ_SNDMORE);
		zmq_send(st->pipe, err, (size_t) n, 0);
		return r;
	}
	return 0;
}

static void *station_main(void *arg)
{
	struct station *st = arg;
	int r;

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
		r = pipe_recv(st, 0, &ev);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			log_error_errno(r, "station %u: failed to receive from the brigade: %m", st->index);
			break;
		}
		if (ev == STOPPED)
			break;
		if (st->n_batch == 0)
			continue;
		told = false;
		ev = cook_batch(st);
		batch_clear(st);
		if (ev == STOPPED)
			break;
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
