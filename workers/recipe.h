/*
 * recipe — one real program run for one dish: input in, result out.
 *
 * A recipe (struct recipe, from the configuration) names a program as an
 * argv, never a shell line, and its working directory, limits and time-out.
 * recipe_start() runs it for one dish (struct recipe_dish) and gives back a
 * struct recipe_run: an event-driven object with no thread of its own, which
 * the caller drives from its own poll loop until it is finished:
 *
 *	stdin    the dish's input, byte-exact (NULs and all), written
 *	         non-blocking as the program reads it, then closed. A program
 *	         that exits or closes stdin before reading it all is fine: EPIPE
 *	         ends the writing, and SIGPIPE is blocked and swallowed around
 *	         each write (on the calling thread only), so it can never kill
 *	         the chef, whatever the process's SIGPIPE disposition.
 *	argv     when the recipe has an element that is exactly RECIPE_INPUT_ARG
 *	         ("{input}"), the input also replaces exactly that element: one
 *	         element, never split, never a second argument. It can never
 *	         become an option: an input that starts with '-' is accepted only
 *	         when the recipe wrote a "--" element before "{input}" (the
 *	         getopt end of options); otherwise the dish is refused. An input
 *	         with a NUL byte or longer than RECIPE_ARG_MAX is refused too.
 *	         stdin carries the input all the same. ("-" alone after "--"
 *	         stays an operand, which many programs read as "stdin": it
 *	         holds the same input.)
 *	stdout   the dish's result, bytes, up to max_output (RECIPE_MAX_OUTPUT by
 *	         default); the rest is read and thrown away, so the program never
 *	         blocks on a full pipe, and RECIPE_CUT_NOTE ("\n[output cut at %zu
 *	         bytes]") is appended to the result.
 *	stderr   stage lines: each line, as it arrives, goes to the caller's
 *	         recipe_stage_fn (for --follow), made protocol text first (invalid
 *	         UTF-8 and control characters become '?', a trailing '\r' goes,
 *	         a line is cut at RECIPE_LINE_MAX bytes, empty lines are skipped).
 *	         The last RECIPE_TAIL_LINES of them are kept for the reason.
 *	env      nothing of the chef's own environment; only
 *	         PATH=RECIPE_PATH, HOME=<the working directory>, LANG=C.UTF-8,
 *	         KITCHEN_ORDER (the order's id), KITCHEN_DISH (the dish's
 *	         number in its order, from 1), KITCHEN_DISH_ID (kitchend's id of
 *	         the dish, unique across orders), KITCHEN_ATTEMPT (decimal) and
 *	         KITCHEN_CHEF.
 *	argv[0]  a path with a '/' is run as it is (a relative one from the
 *	         working directory); a bare name is looked up in RECIPE_PATH.
 *	child    started by spawn.h: its own session and process group
 *	         (setsid()), the working directory, the limits as setrlimit()
 *	         (CPU seconds: SIGXCPU, then SIGKILL a second later; address
 *	         space; open files; each lowered to at most the chef's own hard
 *	         limit), every signal's disposition default and the mask empty
 *	         (the chef blocks signals), every other fd closed; a clone() that
 *	         shares our memory, and only async-signal-safe calls until execve().
 *
 * How it ends. Exit 0 is RECIPE_SERVED, with the result. Any other exit
 * status or a signal is RECIPE_FAILED with a reason: "exit 3: <the last
 * stderr line>" or "killed by SIGSEGV" (": <the last stderr line>" when
 * there is one). A program that cannot be started ("cannot run ...", "cannot
 * enter ...", a refused input) is a finished RECIPE_FAILED run too, so the
 * caller has one way to answer every dish; recipe_start() itself fails only
 * for an invalid recipe (-EINVAL) or a lack of resources (-errno).
 *
 * The process group is the unit. On the time-out (RECIPE_TIMED_OUT, "timed
 * out after N ms") or recipe_cancel() (RECIPE_CANCELLED, "cancelled") the
 * whole group gets SIGTERM, then SIGKILL grace_ms later (RECIPE_GRACE_MS by
 * default). When the program itself exits, the rest of its group gets
 * SIGKILL: the program's own exit is the end of the job, and a background
 * child it left holding stdout or stderr must not keep the dish open. That
 * kill goes while the exited program is still a zombie (waitid() WNOWAIT,
 * then reap), so the group id cannot have been reused. Then whatever is
 * already in the pipes is read and they are closed, without waiting for EOF:
 * even a grandchild that left the group with setsid() (which the kill misses)
 * cannot make the run hang; its later output is lost.
 *
 * Why an event-driven object: a station thread already sleeps in a poll on
 * its zmq DEALER (CANCEL and STOP within a millisecond), and design point 11
 * wants a chef that keeps many waiting dishes on one thread. Both put the
 * run's fds (recipe_pollfds(): a pidfd, and the stdin, stdout and stderr
 * pipes, all non-blocking and close-on-exec) into the poll they already do,
 * next to their own sockets, and call recipe_step() when it wakes; a CANCEL
 * calls recipe_cancel() and the loop goes on until the group is gone (at most
 * the grace), a STOP calls recipe_free(), which kills at once. No stop fd, no thread, no signal handler (SIGCHLD
 * is not used; the chef must not ignore it or reap children with wait(-1):
 * a run whose program was reaped elsewhere ends RECIPE_FAILED, "its exit
 * status was lost (reaped by another)").
 * recipe_run() is the same loop for a caller that has only a stop fd to
 * watch (a plain thread, the tests). The one wait inside: recipe_start()
 * returns when the program has been exec'd or has failed to be: a clone and
 * an exec, not the program's run.
 *
 *	struct recipe_run *run;
 *	r = recipe_start(&recipe, &dish, on_stage, st, &run);
 *	if (r < 0)
 *		return log_error_errno(r, "Failed to start a recipe: %m");
 *	while (recipe_step(run) == 0) {
 *		struct pollfd fds[RECIPE_POLL_MAX + 1];
 *		size_t n = recipe_pollfds(run, fds);
 *		fds[n] = (struct pollfd) { .fd = zmq_fd, .events = POLLIN };
 *		poll(fds, n + 1, recipe_timeout_ms(run));
 *		if (drain_dealer(st) == CANCELLED)     // ZMQ_FD is edge-triggered:
 *			recipe_cancel(run);            // drain before each poll
 *	}
 *	struct recipe_result res;
 *	recipe_result(run, &res);     // res.outcome, res.output, res.reason
 *	recipe_free(&run);            // kills and reaps one still running
 *
 * (For zmq_poll(): the items take .fd with .socket NULL; ZMQ_POLLIN/OUT
 * for POLLIN/POLLOUT, which have other values.)
 */
#pragma once

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

/* The argv element the input replaces. */
#define RECIPE_INPUT_ARG "{input}"
/* The longest input as an argv element (Linux's MAX_ARG_STRLEN, less the NUL). */
#define RECIPE_ARG_MAX (128 * 1024 - 1)
/* The program's PATH, and where a bare argv[0] is looked up. */
#define RECIPE_PATH "/usr/local/bin:/usr/bin:/bin"
#define RECIPE_MAX_OUTPUT (1024 * 1024)
/* The most a recipe may ask to keep (recipe_invalid()). */
#define RECIPE_MAX_OUTPUT_CAP ((size_t) 1 << 30)
#define RECIPE_MAX_OUTPUT_CAP_TEXT "1 GiB"
#define RECIPE_GRACE_MS 2000
#define RECIPE_CUT_NOTE "\n[output cut at %zu bytes]"
/* Bytes of one stage line (without its NUL), and stage lines kept for the reason. */
#define RECIPE_LINE_MAX 1024
#define RECIPE_TAIL_LINES 5
/* The most fds recipe_pollfds() fills in. */
#define RECIPE_POLL_MAX 4

/* A recipe, as the configuration gives it; recipe_start() copies what it keeps. */
struct recipe {
	const char *const *argv; /* NULL-terminated, at least argv[0]; at most one RECIPE_INPUT_ARG */
	const char *dir;         /* working directory, required */
	uint64_t timeout_ms;     /* 0: none */
	uint64_t grace_ms;       /* SIGTERM to SIGKILL; 0: RECIPE_GRACE_MS */
	size_t max_output;       /* bytes of stdout kept; 0: RECIPE_MAX_OUTPUT; at most _CAP */
	uint64_t cpu_seconds;    /* RLIMIT_CPU; 0: not set, and so on */
	uint64_t memory_bytes;   /* RLIMIT_AS */
	uint64_t open_files;     /* RLIMIT_NOFILE */
};

/* The dish to cook; @input is borrowed until recipe_free(). */
struct recipe_dish {
	uint64_t order, dish, attempt; /* KITCHEN_ORDER, KITCHEN_DISH (number in the order), KITCHEN_ATTEMPT */
	uint64_t dish_id;              /* KITCHEN_DISH_ID */
	const char *chef;              /* KITCHEN_CHEF */
	const void *input;             /* may be NULL when @input_len is 0 */
	size_t input_len;
};

enum recipe_outcome {
	RECIPE_RUNNING,
	RECIPE_SERVED,
	RECIPE_FAILED,
	RECIPE_TIMED_OUT,
	RECIPE_CANCELLED,
};

/* What recipe_result() shows; the pointers live until recipe_free(). */
struct recipe_result {
	enum recipe_outcome outcome;
	const char *output; /* stdout (+ the cut note), NUL-terminated past output_len */
	size_t output_len;
	const char *reason; /* "" when served; else one line of protocol text */
	const char *tail;   /* the last RECIPE_TAIL_LINES stage lines, '\n' between */
};

/* A stage line: protocol text, 1 to RECIPE_LINE_MAX bytes, NUL-terminated. */
typedef void (*recipe_stage_fn)(void *userdata, const char *line);

struct recipe_run;

/*
 * NULL when @r can run, else why not (static text): for the configuration to
 * check a recipe once, when it is loaded.
 */
const char *recipe_invalid(const struct recipe *r);

/* NULL when @d's input may be given to @r, else why not (static text). */
const char *recipe_refusal(const struct recipe *r, const struct recipe_dish *d);

/*
 * Start @r for @d. @stage (may be NULL) is called from recipe_step() with
 * @userdata for each stderr line. On success *ret is a new run, running or
 * already finished (a refused input, a program that could not start), and 0
 * is returned; -EINVAL for an invalid recipe, else -errno (no pipe, no clone).
 */
int recipe_start(const struct recipe *r, const struct recipe_dish *d, recipe_stage_fn stage,
		 void *userdata, struct recipe_run **ret);

/* Fill @fds (room for RECIPE_POLL_MAX) with what to poll; returns how many, 0 when finished. */
size_t recipe_pollfds(const struct recipe_run *run, struct pollfd *fds);

/* Milliseconds until the run's next deadline, for poll(); -1 when none (0 when finished). */
int recipe_timeout_ms(const struct recipe_run *run);

/*
 * Do all that can be done without blocking: write input, read output and
 * stage lines, act on deadlines, reap. Bounded work a call, so the caller's
 * own sockets get their turn: it may leave work for the next call, whose fds
 * will then poll ready. 0 while running, 1 when finished.
 */
int recipe_step(struct recipe_run *run);

/* End it: SIGTERM to the group, SIGKILL after the grace. No-op once finished or ending. */
void recipe_cancel(struct recipe_run *run);

/* The outcome so far (RECIPE_RUNNING until recipe_step() returned 1). */
void recipe_result(const struct recipe_run *run, struct recipe_result *ret);

/* Free *run and NULL it (NULL is fine); a run still going gets SIGKILL to its group and is reaped. */
void recipe_free(struct recipe_run **run);

/*
 * Start @r for @d and drive it to the end, blocking: recipe_cancel() when
 * @stop_fd (-1: none) polls readable (it is not read). 0 with *ret holding
 * the new, finished run, or -errno as recipe_start().
 */
int recipe_run(const struct recipe *r, const struct recipe_dish *d, recipe_stage_fn stage,
	       void *userdata, int stop_fd, struct recipe_run **ret);
