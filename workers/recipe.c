#include "recipe.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "spawn.h"
#include "util.h"

/* Reads of one pipe in one recipe_step(): 1 MiB, then the caller's turn. */
#define READS_A_STEP 16
#define READ_CHUNK 65536
/* Input bytes written a step, likewise. */
#define WRITE_CHUNK 65536

/* What recipe_start() makes for spawn_start(), freed once the program runs. */
struct prepared {
	char *path;        /* the program, found */
	const char **argv; /* points into the recipe's argv, and at arg */
	char *arg;         /* the input as an argv element, or NULL */
	char *envp[9];     /* the 8 variables recipe.h names, then NULL */
	struct spawn_limit limits[3];
	size_t n_limits;
};

struct recipe_run {
	/* from the recipe */
	uint64_t timeout_ms;
	uint64_t grace_ms;
	size_t max_output;
	recipe_stage_fn stage;
	void *userdata;

	/* the input, borrowed */
	const unsigned char *input;
	size_t input_len;
	size_t input_done;

	/* the program: pid 0 when none was started; -1 for an fd closed */
	pid_t pid;
	int pidfd;
	int fd_in, fd_out, fd_err;
	bool reaped;
	bool lost; /* reaped elsewhere: no status */
	siginfo_t status;

	/* ending it */
	enum recipe_outcome ending; /* RECIPE_TIMED_OUT or _CANCELLED once asked to end */
	uint64_t started_ms;
	uint64_t kill_at_ms; /* when SIGKILL follows SIGTERM */
	bool killed;

	/* stdout */
	char *out;
	size_t out_len, out_size;
	bool cut;

	/* stderr */
	char line[RECIPE_LINE_MAX];
	size_t line_len;
	char tail[RECIPE_TAIL_LINES][RECIPE_LINE_MAX + 1];
	size_t n_lines; /* stage lines seen; the last ones are in tail[n % TAIL] */

	/* the end */
	enum recipe_outcome outcome;
	char reason[RECIPE_LINE_MAX + 256];
	char tail_text[RECIPE_TAIL_LINES * (RECIPE_LINE_MAX + 1)];
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

const char *recipe_invalid(const struct recipe *r)
{
	size_t inputs = 0;

	if (!r->argv || !r->argv[0] || !r->argv[0][0])
		return "the recipe has no program";
	if (strcmp(r->argv[0], RECIPE_INPUT_ARG) == 0)
		return "the program cannot be the input";
	if (!r->dir || !r->dir[0])
		return "the recipe has no working directory";
	if (strlen(r->dir) >= PATH_MAX)
		return "the recipe's working directory is too long";
	if (r->max_output > RECIPE_MAX_OUTPUT_CAP)
		return "the recipe's max_output is over " RECIPE_MAX_OUTPUT_CAP_TEXT;
	for (size_t i = 1; r->argv[i]; i++)
		if (strcmp(r->argv[i], RECIPE_INPUT_ARG) == 0)
			inputs++;
	if (inputs > 1)
		return "the recipe has more than one " RECIPE_INPUT_ARG;
	return NULL;
}

/* The index of the input's element in @r->argv, -1 when it has none; *ret_ended: a "--" is before it. */
static int input_arg(const struct recipe *r, bool *ret_ended)
{
	bool ended = false;

	for (int i = 1; r->argv[i]; i++) {
		if (strcmp(r->argv[i], "--") == 0)
			ended = true;
		else if (strcmp(r->argv[i], RECIPE_INPUT_ARG) == 0) {
			*ret_ended = ended;
			return i;
		}
	}
	return -1;
}

const char *recipe_refusal(const struct recipe *r, const struct recipe_dish *d)
{
	bool ended;

	if (input_arg(r, &ended) < 0)
		return NULL; /* stdin takes any bytes */
	if (d->input_len > RECIPE_ARG_MAX)
		return "the input is too long for an argument";
	if (d->input_len > 0 && memchr(d->input, '\0', d->input_len))
		return "the input has a NUL byte, which an argument cannot hold";
	if (d->input_len > 0 && ((const char *) d->input)[0] == '-' && !ended)
		return "the input starts with '-' and the recipe has no '--' before " RECIPE_INPUT_ARG;
	return NULL;
}

/* Make @n bytes of a line protocol text in @dst (room for @n + 1). */
static void line_text(char *dst, const unsigned char *s, size_t n)
{
	size_t i = 0, o = 0;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	while (i < n) {
		unsigned c = s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : 4;

		if (i + len <= n && proto_text_valid((const char *) s + i, len, false)) {
			memcpy(dst + o, s + i, len);
			o += len;
			i += len;
		} else {
			dst[o++] = '?';
			i++;
		}
	}
	dst[o] = '\0';
}

/* Finish @run as failed before it started: the reason is "@what: @err", as protocol text. */
static void fail_early(struct recipe_run *run, const char *what, int err)
{
	char buf[PATH_MAX + 256];
	int n;

	run->outcome = RECIPE_FAILED;
	n = snprintf(buf, sizeof(buf), "%s%s%s", what, err ? ": " : "", err ? strerrordesc_np(err) : "");
	if (n < 0)
		n = 0;
	/* A path from the configuration may be long or not text. */
	line_text(run->reason, (const unsigned char *) buf,
		  (size_t) n < sizeof(run->reason) - 1 ? (size_t) n : sizeof(run->reason) - 1);
}

static void prepared_done(struct prepared *p)
{
	free(p->path);
	free(p->argv);
	free(p->arg);
	for (size_t i = 0; p->envp[i]; i++)
		free(p->envp[i]);
}

static void add_limit(struct prepared *p, int resource, uint64_t soft, uint64_t hard)
{
	p->limits[p->n_limits++] = (struct spawn_limit) { resource, soft, hard };
}

/* Append one "NAME=value" to the program's environment; 0 or -ENOMEM. */
static int env_add(struct prepared *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int env_add(struct prepared *p, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;
	char *e;
	int r;

	while (p->envp[n])
		n++;
	if (n + 1 >= ELEMENTSOF(p->envp))
		return -ENOMEM;
	va_start(ap, fmt);
	r = vasprintf(&e, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	p->envp[n] = e;
	return 0;
}

/* Make the program's argv, environment and limits, and find it. 0, -ENOENT or -ENOMEM. */
static int prepare(struct prepared *p, const struct recipe *r, const struct recipe_dish *d)
{
	size_t argc = 0;
	bool ended;
	int in;

	*p = (struct prepared) { 0 };
	while (r->argv[argc])
		argc++;
	p->argv = calloc(argc + 1, sizeof(*p->argv));
	if (!p->argv)
		return -ENOMEM;
	for (size_t i = 0; i < argc; i++)
		p->argv[i] = r->argv[i];
	in = input_arg(r, &ended);
	if (in >= 0) {
		p->arg = malloc(d->input_len + 1);
		if (!p->arg)
			return -ENOMEM;
		if (d->input_len > 0)
			memcpy(p->arg, d->input, d->input_len);
		p->arg[d->input_len] = '\0';
		p->argv[in] = p->arg;
	}

	if (env_add(p, "PATH=%s", RECIPE_PATH) < 0 || env_add(p, "HOME=%s", r->dir) < 0 ||
	    env_add(p, "LANG=C.UTF-8") < 0 || env_add(p, "KITCHEN_ORDER=%" PRIu64, d->order) < 0 ||
	    env_add(p, "KITCHEN_DISH=%" PRIu64, d->dish) < 0 ||
	    env_add(p, "KITCHEN_DISH_ID=%" PRIu64, d->dish_id) < 0 ||
	    env_add(p, "KITCHEN_ATTEMPT=%" PRIu64, d->attempt) < 0 ||
	    env_add(p, "KITCHEN_CHEF=%s", d->chef ? d->chef : "") < 0)
		return -ENOMEM;

	/* CPU: SIGXCPU at the limit, SIGKILL a second later. */
	if (r->cpu_seconds > 0)
		add_limit(p, RLIMIT_CPU, r->cpu_seconds, r->cpu_seconds + (r->cpu_seconds < UINT64_MAX));
	if (r->memory_bytes > 0)
		add_limit(p, RLIMIT_AS, r->memory_bytes, r->memory_bytes);
	if (r->open_files > 0)
		add_limit(p, RLIMIT_NOFILE, r->open_files, r->open_files);

	return spawn_find(r->argv[0], RECIPE_PATH, &p->path);
}

/* Reap the program, blocking: for one that is dead or about to be. */
static void reap(struct recipe_run *run)
{
	while (waitid(P_PID, (id_t) run->pid, &run->status, WEXITED) < 0 && errno == EINTR)
		;
	run->reaped = true;
}

/* Start the prepared program: 0 with it running, or the run finished as failed; else -errno. */
static int start(struct recipe_run *run, const struct prepared *p, const struct recipe *r)
{
	struct spawn_args a = {
		.path = p->path,
		.argv = p->argv,
		.envp = (const char *const *) p->envp,
		.dir = r->dir,
		.limits = p->limits,
		.n_limits = p->n_limits,
	};
	struct spawn_child c;
	int k;

	k = spawn_start(&a, &c);
	if (k < 0)
		return k;
	run->pid = c.pid;
	run->started_ms = now_ms();
	if (c.error) {
		char what[PATH_MAX + 64];

		run->reaped = true; /* by spawn_start() */
		/* "cannot enter DIR", "cannot set the limits", "cannot run PATH", "cannot start PATH" */
		if (c.failed_at == SPAWN_LIMIT)
			snprintf(what, sizeof(what), "%s", spawn_step_to_string(c.failed_at));
		else
			snprintf(what, sizeof(what), "%s %s", spawn_step_to_string(c.failed_at),
				 c.failed_at == SPAWN_CHDIR ? r->dir : p->path);
		fail_early(run, what, c.error);
		return 0;
	}
	run->pidfd = c.pidfd;
	run->fd_in = c.in;
	run->fd_out = c.out;
	run->fd_err = c.err;
	if (run->input_len == 0)
		close_fd(&run->fd_in);
	return 0;
}

int recipe_start(const struct recipe *r, const struct recipe_dish *d, recipe_stage_fn stage,
		 void *userdata, struct recipe_run **ret)
{
	struct recipe_run *run;
	struct prepared p;
	const char *why;
	int k;

	if (recipe_invalid(r))
		return -EINVAL;
	run = calloc(1, sizeof(*run));
	if (!run)
		return -ENOMEM;
	run->timeout_ms = r->timeout_ms;
	run->grace_ms = r->grace_ms ? r->grace_ms : RECIPE_GRACE_MS;
	run->max_output = r->max_output ? r->max_output : RECIPE_MAX_OUTPUT;
	run->stage = stage;
	run->userdata = userdata;
	run->input = d->input;
	run->input_len = d->input ? d->input_len : 0;
	run->pidfd = run->fd_in = run->fd_out = run->fd_err = -1;
	run->outcome = RECIPE_RUNNING;
	run->ending = RECIPE_RUNNING;

	why = recipe_refusal(r, d);
	if (why) {
		fail_early(run, why, 0);
		*ret = run;
		return 0;
	}

	k = prepare(&p, r, d);
	if (k == -ENOENT) {
		char what[PATH_MAX + 32];

		snprintf(what, sizeof(what), "cannot run %s: not found in " RECIPE_PATH, r->argv[0]);
		fail_early(run, what, 0);
	} else if (k == 0)
		k = start(run, &p, r);
	prepared_done(&p);
	if (k < 0 && k != -ENOENT) {
		free(run);
		return k;
	}
	*ret = run;
	return 0;
}

size_t recipe_pollfds(const struct recipe_run *run, struct pollfd *fds)
{
	size_t n = 0;

	if (run->outcome != RECIPE_RUNNING)
		return 0;
	if (run->pidfd >= 0)
		fds[n++] = (struct pollfd) { .fd = run->pidfd, .events = POLLIN };
	if (run->fd_in >= 0)
		fds[n++] = (struct pollfd) { .fd = run->fd_in, .events = POLLOUT };
	if (run->fd_out >= 0)
		fds[n++] = (struct pollfd) { .fd = run->fd_out, .events = POLLIN };
	if (run->fd_err >= 0)
		fds[n++] = (struct pollfd) { .fd = run->fd_err, .events = POLLIN };
	return n;
}

/* The next deadline in CLOCK_MONOTONIC ms, UINT64_MAX for none. */
static uint64_t next_deadline(const struct recipe_run *run)
{
	if (run->outcome != RECIPE_RUNNING || run->reaped || run->killed)
		return UINT64_MAX;
	if (run->ending != RECIPE_RUNNING)
		return run->kill_at_ms;
	if (run->timeout_ms == 0 || run->timeout_ms > UINT64_MAX - run->started_ms)
		return UINT64_MAX;
	return run->started_ms + run->timeout_ms;
}

int recipe_timeout_ms(const struct recipe_run *run)
{
	uint64_t due = next_deadline(run), now;

	if (run->outcome != RECIPE_RUNNING)
		return 0;
	if (due == UINT64_MAX)
		return -1;
	now = now_ms();
	if (due <= now)
		return 0;
	return due - now > INT_MAX ? INT_MAX : (int) (due - now);
}

/* write() that can neither raise SIGPIPE in the process nor leave one pending. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old, pending;
	bool was_pending;
	ssize_t n;
	int err;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	n = write(fd, buf, len);
	err = errno;
	if (n < 0 && err == EPIPE && !was_pending) {
		const struct timespec zero = { 0 };

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return n;
}

static void write_input(struct recipe_run *run)
{
	for (size_t done = 0; run->fd_in >= 0 && done < WRITE_CHUNK * 16;) {
		size_t left = run->input_len - run->input_done;
		ssize_t n;

		if (left == 0) {
			close_fd(&run->fd_in); /* EOF for the program */
			return;
		}
		n = write_nosigpipe(run->fd_in, run->input + run->input_done,
				    left < WRITE_CHUNK ? left : WRITE_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			close_fd(&run->fd_in); /* EPIPE: it wants no more */
			return;
		}
		run->input_done += (size_t) n;
		done += (size_t) n;
	}
}

/* Keep what fits of @n stdout bytes; the rest is cut. */
static void keep_output(struct recipe_run *run, const char *p, size_t n)
{
	size_t room = run->max_output - run->out_len, take = n < room ? n : room;

	if (take < n)
		run->cut = true;
	if (take == 0)
		return;
	if (run->out_len + take + 1 > run->out_size) {
		size_t size = run->out_size ? run->out_size * 2 : 4096;
		char *p2;

		if (size < run->out_len + take + 1)
			size = run->out_len + take + 1;
		if (size > run->max_output + 1)
			size = run->max_output + 1;
		p2 = realloc(run->out, size);
		if (!p2) {
			run->cut = true; /* the note says how much was kept */
			run->max_output = run->out_len;
			return;
		}
		run->out = p2;
		run->out_size = size;
	}
	memcpy(run->out + run->out_len, p, take);
	run->out_len += take;
}

/* The line gathered so far is done: a stage, and one of the tail. */
static void line_end(struct recipe_run *run)
{
	char text[RECIPE_LINE_MAX + 1];

	line_text(text, (const unsigned char *) run->line, run->line_len);
	run->line_len = 0;
	if (!text[0])
		return;
	memcpy(run->tail[run->n_lines % RECIPE_TAIL_LINES], text, sizeof(text));
	run->n_lines++;
	if (run->stage)
		run->stage(run->userdata, text);
}

static void stderr_bytes(struct recipe_run *run, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t) (nl - p) : n, room = RECIPE_LINE_MAX - run->line_len;

		/* Beyond RECIPE_LINE_MAX, the rest of the line is dropped. */
		memcpy(run->line + run->line_len, p, len < room ? len : room);
		run->line_len += len < room ? len : room;
		if (!nl)
			return;
		line_end(run);
		p = nl + 1;
		n -= len + 1;
	}
}

/* Read what @fd has, up to @reads reads; closes it at EOF or on an error. */
static void drain(struct recipe_run *run, int *fd, bool is_stdout, int reads)
{
	char buf[READ_CHUNK];

	while (*fd >= 0 && reads-- > 0) {
		ssize_t n = read(*fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_fd(fd);
			return;
		}
		if (is_stdout)
			keep_output(run, buf, (size_t) n);
		else
			stderr_bytes(run, buf, (size_t) n);
	}
}

static void signal_group(struct recipe_run *run, int sig)
{
	/* Only while the leader is unreaped: then the group id is surely ours. */
	if (!run->reaped)
		(void) kill(-run->pid, sig);
}

static void end_with(struct recipe_run *run, enum recipe_outcome why)
{
	uint64_t now;

	if (run->outcome != RECIPE_RUNNING || run->reaped || run->ending != RECIPE_RUNNING)
		return;
	run->ending = why;
	now = now_ms();
	run->kill_at_ms = run->grace_ms > UINT64_MAX - now ? UINT64_MAX : now + run->grace_ms;
	signal_group(run, SIGTERM);
}

void recipe_cancel(struct recipe_run *run)
{
	end_with(run, RECIPE_CANCELLED);
}

static const char *last_line(const struct recipe_run *run)
{
	return run->n_lines ? run->tail[(run->n_lines - 1) % RECIPE_TAIL_LINES] : NULL;
}

/* The program is reaped and its pipes are read: say how it went. */
static void finish(struct recipe_run *run)
{
	const char *last;

	if (run->line_len > 0)
		line_end(run); /* a last line without '\n' */
	last = last_line(run);
	if (run->ending == RECIPE_TIMED_OUT) {
		run->outcome = RECIPE_TIMED_OUT;
		snprintf(run->reason, sizeof(run->reason), "timed out after %" PRIu64 " ms",
			 run->timeout_ms);
	} else if (run->ending == RECIPE_CANCELLED) {
		run->outcome = RECIPE_CANCELLED;
		snprintf(run->reason, sizeof(run->reason), "cancelled");
	} else if (run->lost) {
		run->outcome = RECIPE_FAILED;
		snprintf(run->reason, sizeof(run->reason), "its exit status was lost (reaped by another)");
	} else if (run->status.si_code == CLD_EXITED && run->status.si_status == 0) {
		run->outcome = RECIPE_SERVED;
	} else if (run->status.si_code == CLD_EXITED) {
		run->outcome = RECIPE_FAILED;
		snprintf(run->reason, sizeof(run->reason), "exit %d%s%s", run->status.si_status,
			 last ? ": " : "", last ? last : "");
	} else {
		const char *abbrev = sigabbrev_np(run->status.si_status);

		run->outcome = RECIPE_FAILED;
		if (abbrev)
			snprintf(run->reason, sizeof(run->reason), "killed by SIG%s%s%s", abbrev,
				 last ? ": " : "", last ? last : "");
		else
			snprintf(run->reason, sizeof(run->reason), "killed by signal %d%s%s",
				 run->status.si_status, last ? ": " : "", last ? last : "");
	}

	/* The tail, oldest first. */
	for (size_t i = run->n_lines > RECIPE_TAIL_LINES ? run->n_lines - RECIPE_TAIL_LINES : 0, len = 0;
	     i < run->n_lines; i++) {
		const char *t = run->tail[i % RECIPE_TAIL_LINES];
		size_t n = strlen(t);

		if (len > 0)
			run->tail_text[len++] = '\n';
		memcpy(run->tail_text + len, t, n + 1);
		len += n;
	}

	if (run->cut) {
		char note[64];
		int n = snprintf(note, sizeof(note), RECIPE_CUT_NOTE, run->out_len);
		char *p = realloc(run->out, run->out_len + (size_t) n + 1);

		if (p) {
			memcpy(p + run->out_len, note, (size_t) n);
			run->out = p;
			run->out_len += (size_t) n;
			run->out_size = run->out_len + 1;
		}
	}
	if (run->out)
		run->out[run->out_len] = '\0';
	close_fd(&run->fd_in);
	close_fd(&run->fd_out);
	close_fd(&run->fd_err);
	close_fd(&run->pidfd);
}

/* Has the program exited? Peeks (WNOWAIT): the zombie keeps the group id ours for the kill. */
static bool exited(struct recipe_run *run)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, (id_t) run->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
		return si.si_pid != 0;
	if (errno != ECHILD)
		return false;
	/* Reaped by someone else (SIGCHLD ignored, a wait(-1)): gone all the same. */
	run->reaped = true;
	run->lost = true;
	return true;
}

int recipe_step(struct recipe_run *run)
{
	uint64_t now;

	if (run->outcome != RECIPE_RUNNING)
		return 1;
	write_input(run);
	drain(run, &run->fd_out, true, READS_A_STEP);
	drain(run, &run->fd_err, false, READS_A_STEP);

	/* An exit that came first counts, even when a deadline has passed since. */
	if (!exited(run)) {
		now = now_ms();
		if (run->ending == RECIPE_RUNNING && next_deadline(run) <= now)
			end_with(run, RECIPE_TIMED_OUT);
		if (run->ending != RECIPE_RUNNING && !run->killed && run->kill_at_ms <= now) {
			signal_group(run, SIGKILL);
			run->killed = true;
		}
		return 0;
	}
	if (!run->reaped) {
		signal_group(run, SIGKILL);
		reap(run);
	}
	/* What the program wrote is in the pipes by now; what is left of its group is being killed. */
	drain(run, &run->fd_out, true, READS_A_STEP);
	drain(run, &run->fd_err, false, READS_A_STEP);
	finish(run);
	return 1;
}

void recipe_result(const struct recipe_run *run, struct recipe_result *ret)
{
	*ret = (struct recipe_result) {
		.outcome = run->outcome,
		.output = run->out ? run->out : "",
		.output_len = run->out_len,
		.reason = run->reason,
		.tail = run->tail_text,
	};
}

void recipe_free(struct recipe_run **run)
{
	struct recipe_run *r;

	if (!run || !*run)
		return;
	r = *run;
	if (r->pid > 0 && !r->reaped) {
		signal_group(r, SIGKILL);
		reap(r);
	}
	close_fd(&r->fd_in);
	close_fd(&r->fd_out);
	close_fd(&r->fd_err);
	close_fd(&r->pidfd);
	free(r->out);
	free(r);
	*run = NULL;
}

int recipe_run(const struct recipe *r, const struct recipe_dish *d, recipe_stage_fn stage,
	       void *userdata, int stop_fd, struct recipe_run **ret)
{
	struct recipe_run *run;
	int k;

	k = recipe_start(r, d, stage, userdata, &run);
	if (k < 0)
		return k;
	while (recipe_step(run) == 0) {
		struct pollfd fds[RECIPE_POLL_MAX + 1];
		size_t n = recipe_pollfds(run, fds);

		if (stop_fd >= 0 && run->ending == RECIPE_RUNNING)
			fds[n++] = (struct pollfd) { .fd = stop_fd, .events = POLLIN };
		if (poll(fds, n, recipe_timeout_ms(run)) < 0 && errno != EINTR) {
			k = -errno;
			recipe_free(&run);
			return k;
		}
		if (stop_fd >= 0 && run->ending == RECIPE_RUNNING &&
		    (fds[n - 1].revents & (POLLIN | POLLHUP)))
			recipe_cancel(run);
	}
	*ret = run;
	return 0;
}
