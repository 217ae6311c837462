#include "evloop.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "answers.h"
#include "fault.h"
#include "keys.h"
#include "link.h"
#include "log.h"
#include "pipeline.h"
#include "proto.h"
#include "recipe.h"
#include "ticket.h"
#include "timer_heap.h"
#include "util.h"

/* Timers fired in one turn before the loop looks at the brigade again. */
#define TURN_NS (UINT64_C(1000000))

enum slot_state {
	SLOT_IDLE,
	SLOT_COOKING,    /* its dish waits for a timer, or runs a program */
	SLOT_HANGING,    /* a fault: deaf until STOP */
	SLOT_ANSWERING,  /* its RESULT waits for room in the sink */
};

struct evloop;

struct slot {
	struct evloop *l;
	unsigned index;
	enum slot_state state;
	struct answers b;
	struct answers *next;    /* handed while b cooked (brigade.h): begun once b is answered;
				  * allocated for the first, so an idle slot stays small */
	size_t cooking;          /* the dish of b being cooked */
	unsigned step;           /* where it is in the pipeline (step_*()) */
	uint64_t due_ns;         /* when its waits so far end */
	uint32_t gen;            /* its timer in the heap; another is stale */
	bool timer;              /* a timer of gen is in the heap */
	uint64_t digests[TICKET_MAX_INGREDIENTS];
};

struct evloop {
	void *ctx;
	unsigned n;
	char *brigade;
	char *sink;
	char *chef_id;
	char *chef_name;
	struct keys_client curve;
	bool secured;
	void *pipe;
	void *push;
	struct slot *slots;
	struct timer_heap timers;
	unsigned answering;      /* slots in SLOT_ANSWERING */
	unsigned programs;       /* slots running a program */
	bool stop;
};

static struct ticket *dish_of(struct slot *s)
{
	return s->b.batch[s->cooking];
}

static struct recipe_run *run_of(struct slot *s)
{
	return s->state == SLOT_COOKING && s->b.n > 0 ? s->b.a[s->cooking].run : NULL;
}

static void timer_set(struct slot *s, uint64_t due_ns)
{
	s->gen++;
	s->timer = timer_heap_push(&s->l->timers, due_ns, s->index, s->gen) == 0;
	if (!s->timer)
		ticket_log(LOG_ERR, 0, dish_of(s), s->l->chef_name,
			   "in event-loop slot %u: out of memory for its timer; it waits for a CANCEL", s->index);
}

static void timer_drop(struct slot *s)
{
	s->gen++;
	s->timer = false;
}

static void tell_free(struct evloop *l, unsigned i)
{
	char idx[16];
	int n = snprintf(idx, sizeof(idx), "%u", i);

	/* The pipes have no high-water mark (evloop_open()): this never blocks for long. */
	if (zmq_send(l->pipe, STATION_FREE, strlen(STATION_FREE), ZMQ_SNDMORE) < 0 ||
	    zmq_send(l->pipe, idx, (size_t) n, 0) < 0) {
		log_error_errno(-errno, "event loop: failed to tell the brigade slot %u is free: %m", i);
		l->stop = true;
	}
}

static void slot_run(struct slot *s, bool resume);

/* The batch is answered: FREE, and begin the next one if the slot has it. */
static void slot_release(struct slot *s)
{
	timer_drop(s);
	answers_clear(&s->b);
	s->state = SLOT_IDLE;
	tell_free(s->l, s->index);
	if (s->next && s->next->n > 0 && !s->l->stop) {
		struct answers done = s->b;

		s->b = *s->next;
		*s->next = done;
		s->state = SLOT_COOKING;
		s->cooking = 0;
		slot_run(s, false);  /* its answer releases the slot again, with no next */
	}
}

/* Send the batch's RESULT, or keep it until the sink has room. */
static void answer(struct slot *s)
{
	struct evloop *l = s->l;
	bool cancelled = answers_all_cancelled(&s->b);
	int r = answers_send(&s->b, l->push, l->chef_id, ZMQ_DONTWAIT);

	if (r == -EAGAIN && !cancelled) {
		if (s->state != SLOT_ANSWERING)
			l->answering++;
		s->state = SLOT_ANSWERING;
		return;
	}
	if (r < 0)
		log_full_errno(cancelled ? LOG_DEBUG : LOG_ERR, r,
			       "event loop: failed to send the results of %zu dishes from dish %llu: %m",
			       s->b.n, (unsigned long long) s->b.batch[0]->id);
	if (s->state == SLOT_ANSWERING)
		l->answering--;
	slot_release(s);
}

static void stage(struct slot *s, enum pipeline_stage st, const char *name)
{
	char text[PIPELINE_TEXT_MAX];

	if (!(dish_of(s)->flags & PROTO_DISH_FOLLOWED) || pipeline_text(st, name, text, sizeof(text)) < 0)
		return;
	progress_send(s->l->push, s->l->chef_id, dish_of(s), text);
}

static void add_wait(struct slot *s, uint64_t ms)
{
	s->due_ns = ms > (UINT64_MAX - s->due_ns) / 1000000 ? UINT64_MAX : s->due_ns + ms * 1000000;
}

static void program_stage(void *userdata, const char *line)
{
	struct slot *s = userdata;

	progress_send(s->l->push, s->l->chef_id, dish_of(s), line);
}

/* Start dish_of(s)'s program; false when it is answered already. */
static bool program_start(struct slot *s)
{
	const struct ticket *d = dish_of(s);
	struct answer *a = &s->b.a[s->cooking];
	struct recipe_dish rd = {
		.order = 0,  /* a DISH does not say its order */
		.dish = d->id,
		.attempt = d->attempt,
		.chef = s->l->chef_name,
		.input = d->input,
		.input_len = d->input_len,
	};
	int r;

	ticket_log(LOG_DEBUG, 0, d, s->l->chef_name, "runs %s in event-loop slot %u", d->recipe->argv[0],
		   s->index);
	r = recipe_start(d->recipe, &rd, program_stage, s, &a->run);
	if (r < 0) {
		ticket_log(LOG_ERR, r, d, s->l->chef_name, "in event-loop slot %u: failed to start its program: %m",
			   s->index);
		answers_failed(&s->b, s->cooking, "chef error: cannot start the program");
		return false;
	}
	s->l->programs++;
	return true;
}

/*
 * The pipeline of dish_of(s) as steps: 0 "Get ingredients", then for each
 * ingredient k a "Cooking" step (1 + 2k) and its CPU step (2 + 2k), then for
 * each a "Seasoning" step (1 + 2n + 2k) and a "Served" step (2 + 2n + 2k),
 * and 1 + 4n, the end. A step waits for the deadline first when the dish is
 * followed (its line goes out on time), or when it is CPU work or the end.
 */
static bool step_waits(const struct ticket *d, unsigned step)
{
	unsigned n = (unsigned) d->n_ingredients;

	if (d->flags & PROTO_DISH_FOLLOWED)
		return true;
	if (step == 1 + 4 * n)
		return true;
	return step <= 2 * n && step % 2 == 0 && step > 0 && d->cpu_work > 0;
}

/* Run the dish's steps until one must wait (false) or the dish is answered (true). */
static bool steps(struct slot *s)
{
	const struct ticket *d = dish_of(s);
	unsigned n = (unsigned) d->n_ingredients;

	for (;;) {
		unsigned t = s->step;

		if (t > 0 && step_waits(d, t) && s->due_ns > now_ns()) {
			timer_set(s, s->due_ns);
			return false;
		}
		s->step++;
		if (t == 0) {
			stage(s, PIPELINE_GET, d->name);
			s->due_ns = now_ns();
			add_wait(s, d->prep_ms);
		} else if (t <= 2 * n && t % 2 == 1) {
			stage(s, PIPELINE_COOKING, d->ingredients[(t - 1) / 2]);
			add_wait(s, d->cook_ms);
		} else if (t <= 2 * n) {
			/* Inline, whole: the loop does nothing else meanwhile (evloop.h). */
			s->digests[(t - 2) / 2] = pipeline_digest(d->ingredients[(t - 2) / 2], d->cpu_work);
			if (d->cpu_work > 0) {
				/* The next wait starts after the work; the others get their turn first. */
				s->due_ns = now_ns();
				timer_set(s, s->due_ns);
				return false;
			}
		} else if (t <= 4 * n && t % 2 == 1) {
			stage(s, PIPELINE_SEASONING, d->ingredients[(t - 1 - 2 * n) / 2]);
			add_wait(s, d->season_ms);
		} else if (t <= 4 * n) {
			stage(s, PIPELINE_SERVED, d->ingredients[(t - 2 - 2 * n) / 2]);
		} else {
			answers_served(&s->b, s->cooking, s->digests);
			return true;
		}
	}
}

/* Start dish_of(s): false when it waits (a timer, a program, a hang), true when answered. */
static bool dish_begin(struct slot *s)
{
	const struct ticket *d = dish_of(s);

	s->step = 0;
	if (d->reject) {
		ticket_log(LOG_WARNING, 0, d, s->l->chef_name, "fails in event-loop slot %u: %s", s->index,
			   d->reject);
		answers_failed(&s->b, s->cooking, d->reject);
		return true;
	}
	if (d->fault != FAULT_NONE) {
		ticket_log(LOG_WARNING, 0, d, s->l->chef_name, "in event-loop slot %u: injecting a %s (" FAULT_ENV ")",
			   s->index, fault_kind_to_string(d->fault));
		switch (d->fault) {
		case FAULT_CRASH:
			fault_crash();
		case FAULT_HANG:
			s->state = SLOT_HANGING;
			return false;
		case FAULT_FAIL:
			answers_failed(&s->b, s->cooking, FAULT_FAIL_REASON);
			return true;
		case FAULT_NONE:
		case _FAULT_KIND_MAX:
			break;
		}
	}
	if (d->recipe)
		return !program_start(s);
	return steps(s);
}

/* Go on with the slot's batch from its current dish: cook until something
 * waits, or answer the batch when every dish is done. */
static void slot_run(struct slot *s, bool resume)
{
	for (; s->cooking < s->b.n; s->cooking++, resume = false) {
		if (s->b.a[s->cooking].cancelled)
			continue;
		if (!(resume ? steps(s) : dish_begin(s)))
			return;
	}
	answer(s);
}

/* The slot's program has finished: its answer, then the rest of the batch. */
static void program_done(struct slot *s)
{
	const struct ticket *d = s->b.batch[s->cooking];
	const char *reason;

	s->l->programs--;
	reason = answers_ran(&s->b, s->cooking);
	if (reason)
		ticket_log(LOG_INFO, 0, d, s->l->chef_name, "failed in event-loop slot %u: %s", s->index, reason);
	else
		ticket_log(LOG_DEBUG, 0, d, s->l->chef_name, "served in event-loop slot %u", s->index);
	s->cooking++;
	slot_run(s, false);
}

static void cancel(struct evloop *l, uint64_t id, uint64_t attempt)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct slot *s = &l->slots[i];
		int k;

		if (s->state == SLOT_IDLE)
			continue;
		if (s->next && answers_cancel(s->next, id, attempt) >= 0)
			return;  /* answered when its turn comes */
		if ((k = answers_cancel(&s->b, id, attempt)) < 0)
			continue;
		ticket_log(LOG_DEBUG, 0, s->b.batch[k], l->chef_name, "cancelled in event-loop slot %u", s->index);
		if (s->state == SLOT_COOKING && (size_t) k == s->cooking) {
			struct recipe_run *run = run_of(s);

			if (run) {
				recipe_cancel(run);  /* answered when its group is gone */
				return;
			}
			timer_drop(s);
			s->cooking++;
			slot_run(s, false);
		} else if (s->state == SLOT_ANSWERING && answers_all_cancelled(&s->b)) {
			answer(s);  /* one last try */
		}
		return;
	}
}

static void adopt(struct evloop *l, const unsigned char *ptrs, size_t len, unsigned i)
{
	struct slot *s = i < l->n ? &l->slots[i] : NULL;
	struct answers *into = NULL;

	if (s && s->state == SLOT_IDLE)
		into = &s->b;
	else if (s && (s->next || (s->next = calloc(1, sizeof(*s->next)))) && s->next->n == 0)
		into = s->next;  /* its next (brigade.h) */
	if (!into) {
		struct answers junk = {};

		log_error("event loop: dishes for a slot that is busy, not there or out of memory, dropping them");
		(void) answers_adopt(&junk, ptrs, len);
		answers_free(&junk);
		return;
	}
	if (answers_adopt(into, ptrs, len) < 0 || into != &s->b)
		return;
	s->state = SLOT_COOKING;
	s->cooking = 0;
	slot_run(s, false);
}

/* Read and act on one message from the brigade: 0, or -errno (-EAGAIN: none). */
static int pipe_recv(struct evloop *l)
{
	struct link_msg m;
	int r = link_recv(l->pipe, ZMQ_DONTWAIT, &m);

	if (r < 0)
		return r;
	switch (m.cmd) {
	case LINK_STOP:
		l->stop = true;
		break;
	case LINK_CANCEL:
		cancel(l, m.id, m.attempt);
		break;
	case LINK_DISH:
		if (m.has_slot)
			adopt(l, m.ptrs, m.len, m.slot);
		else  /* a loop's DISH names its slot */
			log_error("event loop: a DISH without its slot, ignoring");
		break;
	case LINK_UNKNOWN:
		log_error("event loop: unknown message from the brigade, ignoring");
		break;
	}
	return 0;
}

/* Everything the brigade said, until ZMQ_EVENTS says nothing is left (ZMQ_FD is edge-triggered). */
static void pipe_drain(struct evloop *l)
{
	while (!l->stop) {
		int r = pipe_recv(l), events = 0;
		size_t len = sizeof(events);

		if (r == 0 || r == -EINTR)
			continue;
		if (r != -EAGAIN) {
			log_error_errno(r, "event loop: failed to receive from the brigade: %m");
			l->stop = true;
			return;
		}
		if (zmq_getsockopt(l->pipe, ZMQ_EVENTS, &events, &len) < 0 || !(events & ZMQ_POLLIN))
			return;
	}
}

/* Fire the timers that are due, for about TURN_NS at most. */
static void timers_fire(struct evloop *l)
{
	uint64_t start = now_ns();
	struct timer t;

	while (!l->stop && timer_heap_peek(&l->timers, &t) && t.due_ns <= now_ns()) {
		struct slot *s = &l->slots[t.index];

		timer_heap_pop(&l->timers);
		if (!s->timer || t.gen != s->gen || s->state != SLOT_COOKING)
			continue;  /* stale */
		s->timer = false;
		slot_run(s, true);
		if (now_ns() - start > TURN_NS)
			return;
	}
}

/* Retry the RESULTs that wait for the sink, while it takes them. */
static void answers_retry(struct evloop *l)
{
	for (unsigned i = 0; i < l->n && l->answering > 0; i++)
		if (l->slots[i].state == SLOT_ANSWERING) {
			answer(&l->slots[i]);
			if (l->slots[i].state == SLOT_ANSWERING)
				return;  /* still full */
		}
}

static bool has_events(void *sock, int what)
{
	int events = 0;
	size_t len = sizeof(events);

	return zmq_getsockopt(sock, ZMQ_EVENTS, &events, &len) == 0 && (events & what);
}

/* One turn: sleep in ppoll() until something happens, then act on it. */
static int turn(struct evloop *l, struct pollfd **fds, unsigned **owner, size_t *fds_size)
{
	size_t need = 2 + (size_t) l->programs * RECIPE_POLL_MAX, n = 0;
	int64_t timeout_ns = -1;
	struct timer t;
	int fd, r;
	size_t len = sizeof(fd);

	if (need > *fds_size) {
		struct pollfd *f = reallocarray(*fds, need, sizeof(**fds));
		unsigned *o;

		if (!f)
			return -ENOMEM;
		*fds = f;
		o = reallocarray(*owner, need, sizeof(**owner));
		if (!o)
			return -ENOMEM;
		*owner = o;
		*fds_size = need;
	}

	if (zmq_getsockopt(l->pipe, ZMQ_FD, &fd, &len) < 0)
		return -errno;
	(*fds)[n] = (struct pollfd) { .fd = fd, .events = POLLIN };
	(*owner)[n++] = UINT_MAX;
	if (l->answering > 0) {
		if (has_events(l->push, ZMQ_POLLOUT))
			timeout_ns = 0;
		len = sizeof(fd);
		if (zmq_getsockopt(l->push, ZMQ_FD, &fd, &len) < 0)
			return -errno;
		(*fds)[n] = (struct pollfd) { .fd = fd, .events = POLLIN };
		(*owner)[n++] = UINT_MAX;
	}
	for (unsigned i = 0; i < l->n && n + RECIPE_POLL_MAX <= need; i++) {
		struct recipe_run *run = run_of(&l->slots[i]);
		size_t k;
		int ms;

		if (!run)
			continue;
		k = recipe_pollfds(run, *fds + n);
		for (size_t j = 0; j < k; j++)
			(*owner)[n + j] = i;
		n += k;
		ms = recipe_timeout_ms(run);
		if (ms >= 0 && (timeout_ns < 0 || (int64_t) ms * 1000000 < timeout_ns))
			timeout_ns = (int64_t) ms * 1000000;
	}
	/* Sending (FREE, RESULT) may have taken the DEALER's edge: look before sleeping. */
	if (has_events(l->pipe, ZMQ_POLLIN))
		timeout_ns = 0;
	if (timer_heap_peek(&l->timers, &t)) {
		uint64_t now = now_ns();
		int64_t left = t.due_ns > now ? (int64_t) (t.due_ns - now) : 0;

		if (timeout_ns < 0 || left < timeout_ns)
			timeout_ns = left;
	}

	struct timespec ts = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
	r = ppoll(*fds, n, timeout_ns < 0 ? NULL : &ts, NULL);
	if (r < 0 && errno != EINTR)
		return -errno;

	/* Programs first: the runs with an fd ready (a step is bounded work). */
	for (size_t j = 0, last = UINT_MAX; r > 0 && j < n; j++) {
		struct slot *s;
		struct recipe_run *run;

		if ((*owner)[j] == UINT_MAX || !(*fds)[j].revents || (*owner)[j] == last)
			continue;
		last = (*owner)[j];
		s = &l->slots[last];
		run = run_of(s);
		if (run && recipe_step(run) != 0)
			program_done(s);
	}
	/* Runs whose deadline passed (a time-out, the end of the grace) with no fd to say so. */
	for (unsigned i = 0; i < l->n && l->programs > 0; i++) {
		struct recipe_run *run = run_of(&l->slots[i]);

		if (run && recipe_timeout_ms(run) == 0 && recipe_step(run) != 0)
			program_done(&l->slots[i]);
	}
	pipe_drain(l);
	timers_fire(l);
	if (l->answering > 0 && has_events(l->push, ZMQ_POLLOUT))
		answers_retry(l);
	return 0;
}

static int evloop_open(struct evloop *l)
{
	/* Up to a message per slot each way at once: no high-water mark, the slots bound it. */
	return link_open(l->ctx, "0", true, l->brigade, l->sink, l->secured ? &l->curve : NULL, &l->pipe, &l->push);
}

static void evloop_free(struct evloop **lp)
{
	struct evloop *l = *lp;

	if (!l)
		return;
	for (unsigned i = 0; l->slots && i < l->n; i++) {
		answers_free(&l->slots[i].b);  /* kills and reaps programs still running */
		if (l->slots[i].next)
			answers_free(l->slots[i].next);
		free(l->slots[i].next);
	}
	free(l->slots);
	timer_heap_free(&l->timers);
	if (l->push)
		zmq_close(l->push);
	if (l->pipe)
		zmq_close(l->pipe);
	free(l->brigade);
	free(l->sink);
	free(l->chef_id);
	free(l->chef_name);
	explicit_bzero(&l->curve, sizeof(l->curve));
	free(l);
	*lp = NULL;
}

static void *evloop_main(void *arg)
{
	struct evloop *l = arg;
	struct pollfd *fds = NULL;
	unsigned *owner = NULL;
	size_t fds_size = 0;
	int r;

	r = evloop_open(l);
	if (r < 0) {
		log_full_errno(l->pipe ? LOG_DEBUG : LOG_ERR, r, "event loop: failed to open its sockets: %m");
		goto out;
	}
	for (unsigned i = 0; i < l->n && !l->stop; i++)
		tell_free(l, i);
	while (!l->stop) {
		r = turn(l, &fds, &owner, &fds_size);
		if (r < 0) {
			log_error_errno(r, "event loop: failed to poll: %m");
			break;
		}
	}
out:
	log_debug("event loop: stopped");
	free(fds);
	free(owner);
	evloop_free(&l);
	return NULL;
}

int evloop_start(const struct station_args *args, unsigned slots, pthread_t *ret_thread)
{
	struct evloop *l;
	pthread_t t;
	int r;

	if (slots == 0)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ctx = args->ctx;
	l->n = slots;
	l->brigade = strdup(args->brigade);
	l->sink = strdup(args->sink);
	l->chef_id = strdup(args->chef_id);
	l->chef_name = strdup(args->chef_name ? args->chef_name : args->chef_id);
	l->slots = calloc(slots, sizeof(*l->slots));
	if (args->curve) {
		l->curve = *args->curve;
		l->secured = true;
	}
	if (!l->brigade || !l->sink || !l->chef_id || !l->chef_name || !l->slots) {
		evloop_free(&l);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < slots; i++) {
		l->slots[i].l = l;
		l->slots[i].index = i;
	}

	r = pthread_create(&t, NULL, evloop_main, l);
	if (r != 0) {
		evloop_free(&l);
		return -r;
	}
	(void) pthread_setname_np(t, "evloop");
	*ret_thread = t;
	return 0;
}
