#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

/* The child's own stack while it shares our memory, until its exec. */
#define CHILD_STACK_SIZE (64 * 1024)

/* All the child needs, made before clone(): after it, nothing is allocated.
 * The child shares our memory, so it writes where it failed here. */
struct plan {
	const struct spawn_args *a;
	struct rlimit limit[SPAWN_LIMITS_MAX];
	int fds[3];   /* the child's stdin, stdout, stderr */
	pid_t parent; /* our pid, for the child to tell that we died before its prctl() */
	int failed;   /* set by a child that failed before its exec */
	int step;     /* enum spawn_step */
	int error;    /* errno */
};

static const char *const step_text[_SPAWN_STEP_MAX] = {
	[SPAWN_SETUP] = "cannot start",
	[SPAWN_CHDIR] = "cannot enter",
	[SPAWN_LIMIT] = "cannot set the limits",
	[SPAWN_EXEC] = "cannot run",
};

const char *spawn_step_to_string(enum spawn_step s)
{
	return s >= 0 && s < _SPAWN_STEP_MAX ? step_text[s] : NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Hand over an fd: return it and leave -1 in its place. */
static int take_fd(int *fd)
{
	int f = *fd;

	*fd = -1;
	return f;
}

int spawn_find(const char *name, const char *path, char **ret)
{
	const char *p = path;

	if (strchr(name, '/')) {
		char *copy = strdup(name);

		if (!copy)
			return -ENOMEM;
		*ret = copy;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ":");
		char *full;

		if (asprintf(&full, "%.*s/%s", (int) n, p, name) < 0)
			return -ENOMEM;
		if (access(full, X_OK) == 0) {
			*ret = full;
			return 0;
		}
		free(full);
		p += n;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

/* In the child: say where it failed, in our shared memory, and go. */
_Noreturn static void child_fail(struct plan *p, enum spawn_step step)
{
	p->step = step;
	p->error = errno;
	p->failed = 1;
	_exit(127);
}

/* In the child, between clone() and execve(): async-signal-safe calls only,
 * no write to memory but its own stack and @p's report. */
static int child(void *arg)
{
	struct plan *p = arg;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int fd[3];

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void) sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0 || setsid() < 0)
		child_fail(p, SPAWN_SETUP);
	/* A chef killed with SIGKILL (or crashed) cannot end its programs: they
	 * end with it. The signal comes when the starting thread ends; a station
	 * thread ends only after it has killed its run. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != p->parent)
		child_fail(p, SPAWN_SETUP);
	/* Above 2 first, so that no dup2() below overwrites a pipe still to be moved. */
	for (int i = 0; i < 3; i++) {
		fd[i] = fcntl(p->fds[i], F_DUPFD_CLOEXEC, 3);
		if (fd[i] < 0)
			child_fail(p, SPAWN_SETUP);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fd[i], i) < 0)
			child_fail(p, SPAWN_SETUP);
	if (chdir(p->a->dir) < 0)
		child_fail(p, SPAWN_CHDIR);
	for (size_t i = 0; i < p->a->n_limits; i++)
		if (setrlimit(p->a->limits[i].resource, &p->limit[i]) < 0)
			child_fail(p, SPAWN_LIMIT);
	/* Ours are close-on-exec already; whatever else the process has open goes too. */
	(void) close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(p->a->path, (char *const *) p->a->argv, (char *const *) p->a->envp);
	child_fail(p, SPAWN_EXEC);
}

static int pipe_nonblock(int fds[2], int end)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if (fcntl(fds[end], F_SETFL, O_NONBLOCK) < 0) {
		int r = -errno;

		close_fd(&fds[0]);
		close_fd(&fds[1]);
		return r;
	}
	return 0;
}

static void reap(pid_t pid)
{
	siginfo_t si;

	while (waitid(P_PID, (id_t) pid, &si, WEXITED) < 0 && errno == EINTR)
		;
}

/* Each limit as an rlimit, lowered to at most our own hard limit (raising it would fail). */
static void plan_limits(struct plan *p)
{
	for (size_t i = 0; i < p->a->n_limits; i++) {
		const struct spawn_limit *l = &p->a->limits[i];
		uint64_t soft = l->soft, hard = l->hard;
		struct rlimit now;

		if (getrlimit(l->resource, &now) == 0 && now.rlim_max != RLIM_INFINITY) {
			soft = soft < now.rlim_max ? soft : now.rlim_max;
			hard = hard < now.rlim_max ? hard : now.rlim_max;
		}
		p->limit[i].rlim_cur = (rlim_t) soft;
		p->limit[i].rlim_max = (rlim_t) hard;
	}
}

int spawn_start(const struct spawn_args *a, struct spawn_child *ret)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct plan p = { .a = a };
	sigset_t all, mask;
	int pidfd = -1, r;
	char *stack;
	pid_t pid;

	if (a->n_limits > SPAWN_LIMITS_MAX)
		return -EINVAL;
	plan_limits(&p);
	stack = malloc(CHILD_STACK_SIZE);
	if (!stack)
		return -ENOMEM;
	if ((r = pipe_nonblock(in, 1)) < 0 || (r = pipe_nonblock(out, 0)) < 0 ||
	    (r = pipe_nonblock(err, 0)) < 0)
		goto fail;
	p.fds[0] = in[0];
	p.fds[1] = out[1];
	p.fds[2] = err[1];
	p.parent = getpid();

	/* The child runs in our memory until its exec, and we wait for that
	 * (CLONE_VFORK): no copy of the chef's page tables for a program that
	 * replaces them at once. No handler of ours may run in it: every signal
	 * is blocked until it has set them all to the default. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	pid = clone(child, stack + CHILD_STACK_SIZE, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &p,
		    &pidfd);
	r = pid < 0 ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (r < 0)
		goto fail;

	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	if (p.failed) {
		close_fd(&pidfd);
		reap(pid);
		*ret = (struct spawn_child) {
			.pid = pid,
			.pidfd = -1,
			.in = -1,
			.out = -1,
			.err = -1,
			.failed_at = p.step >= 0 && p.step < _SPAWN_STEP_MAX ? p.step : SPAWN_SETUP,
			.error = p.error ? p.error : EIO,
		};
		r = 0;
		goto fail;
	}
	free(stack);
	*ret = (struct spawn_child) {
		.pid = pid,
		.pidfd = pidfd,
		.in = take_fd(&in[1]),
		.out = take_fd(&out[0]),
		.err = take_fd(&err[0]),
	};
	return 0;

fail:
	close_fd(&err[1]);
	close_fd(&err[0]);
	close_fd(&out[1]);
	close_fd(&out[0]);
	close_fd(&in[1]);
	close_fd(&in[0]);
	free(stack);
	return r;
}
