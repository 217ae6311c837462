/*
 * spawn — start a program from a threaded process: in its own session and
 * process group, with three pipes, a clean slate, and nothing of ours.
 *
 * spawn_start() clones a child that shares our memory until its execve()
 * and waits for that (CLONE_VM | CLONE_VFORK, as posix_spawn() does, so no
 * copy of a large chef's page tables for each program); the child, calling
 * only async-signal-safe functions and with every signal blocked until its
 * handlers are reset:
 *
 *	- sets every signal's disposition to the default (SIG_IGN survives an
 *	  exec: the chef ignores SIGPIPE) and empties the mask (the chef blocks
 *	  SIGTERM and SIGINT in every thread);
 *	- setsid(): its own session and process group, whose id is its pid, so
 *	  kill(-pid) reaches it and whatever it starts, and no terminal;
 *	- PR_SET_PDEATHSIG SIGKILL: when the thread that started it ends (the
 *	  chef killed or crashed), so does the program (not what it started,
 *	  which the unit's cgroup ends under systemd);
 *	- puts the pipes on 0, 1 and 2, enters the directory, sets the limits,
 *	  marks every other fd close-on-exec (ours are already, whichever thread
 *	  starts it: every fd here is made O_CLOEXEC) and execs.
 *
 * A failure before the exec comes back in the memory the child shares.
 * So spawn_start() waits for one clone and one exec, never for the program;
 * the pidfd comes from clone() itself (CLONE_PIDFD). It returns 0 for a program that runs, with a
 * pidfd and the parent's ends of the pipes, non-blocking; and 0 too for a
 * child that failed before its exec (chdir, setrlimit, execve), which is
 * reaped already and says where and why in @failed_at and @error: that is
 * the program's failure, not ours. -errno only for our own failures (no
 * pipe, no clone).
 *
 * The caller reaps the child (waitid()), and must not ignore SIGCHLD.
 *
 *	struct spawn_limit lim = { RLIMIT_NOFILE, 64, 64 };
 *	struct spawn_args a = { .path = path, .argv = argv, .envp = envp, .dir = dir,
 *				.limits = &lim, .n_limits = 1 };
 *	struct spawn_child c;
 *	r = spawn_start(&a, &c);
 *	if (r < 0) ...            // ours
 *	else if (c.error) ...     // "cannot run", "cannot enter": spawn_step_to_string(c.failed_at)
 *	else ...                  // poll c.pidfd, c.in, c.out, c.err
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Where a child failed before its exec. */
enum spawn_step {
	SPAWN_SETUP, /* signals, session, pipes */
	SPAWN_CHDIR,
	SPAWN_LIMIT,
	SPAWN_EXEC,
	_SPAWN_STEP_MAX,
};

#define SPAWN_LIMITS_MAX 8

/* A setrlimit(), each value lowered to at most our own hard limit. */
struct spawn_limit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct spawn_args {
	const char *path;        /* the program: a path (spawn_find() for a bare name) */
	const char *const *argv; /* NULL-terminated */
	const char *const *envp; /* NULL-terminated: the whole environment */
	const char *dir;         /* the working directory */
	const struct spawn_limit *limits;
	size_t n_limits; /* at most SPAWN_LIMITS_MAX */
};

struct spawn_child {
	pid_t pid;           /* the child, also its process group */
	int pidfd;           /* -1 and the rest too when it failed before its exec */
	int in, out, err;    /* our ends of its stdin, stdout, stderr; non-blocking, close-on-exec */
	enum spawn_step failed_at;
	int error;           /* 0 when it runs, else the errno of @failed_at (the child is reaped) */
};

/*
 * Find @name in the ':'-separated directories of @path: a new string in
 * *ret; a @name with a '/' is copied as it is. 0, -ENOENT or -ENOMEM.
 */
int spawn_find(const char *name, const char *path, char **ret);

/* Start @a; see above. 0 with *ret filled in, or -errno (EINVAL for too many limits). */
int spawn_start(const struct spawn_args *a, struct spawn_child *ret);

/* "cannot start", "cannot enter", "cannot set the limits", "cannot run". */
const char *spawn_step_to_string(enum spawn_step s);
