/*
 * test-getpid-cache — getpid() as common/getpid_cache.c defines it for the
 * programs: the kernel's answer, the one the dynamic linker gives every
 * library (libzmq), and a forked child's own.
 *
 * A table of named cases; prints TAP. Each case returns 0 or the line of its
 * first failed check.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "getpid_cache.h"
#include "tap.h"

static pid_t kernel_pid(void)
{
	return (pid_t) syscall(SYS_getpid);
}

/* The cached answer is the kernel's, every time. */
static int test_kernel(void)
{
	CHECK(getpid() == kernel_pid());
	CHECK(getpid() == getpid());
	return 0;
}

/* The symbol a library's call binds to is the program's, not libc's. */
static int test_interposed(void)
{
	Dl_info ours, bound;
	void *sym = dlsym(RTLD_DEFAULT, "getpid");

	CHECK(sym != NULL);
	CHECK(sym == (void *) getpid);
	CHECK(dladdr((void *) getpid, &ours) != 0 && dladdr(sym, &bound) != 0);
	CHECK(ours.dli_fbase == bound.dli_fbase);
	return 0;
}

/* A forked child gets its own pid, and so does libzmq in it (a context
 * made and ended in the child); the parent keeps its own. */
static int test_fork(void)
{
	pid_t parent = getpid(), child;
	int status;

	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		void *ctx;
		bool ok = getpid() == kernel_pid() && getpid() != parent;

		ctx = zmq_ctx_new();
		ok = ok && ctx && zmq_ctx_term(ctx) == 0;
		_exit(ok ? 0 : 1);
	}
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(getpid() == parent && parent == kernel_pid());
	return 0;
}

static const struct tap_case cases[] = {
	{ "kernel", test_kernel },
	{ "interposed", test_interposed },
	{ "fork", test_fork },
};

int main(void)
{
	return tap_run(cases, sizeof(cases) / sizeof(cases[0]));
}
