#include "getpid_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 0: not known (before the constructor, in a forked child until its first call). */
static _Atomic pid_t cached;

static pid_t ask_kernel(void)
{
	return (pid_t) syscall(SYS_getpid);
}

static void forget(void)
{
	atomic_store_explicit(&cached, 0, memory_order_relaxed);
}

/* Filled before main(), so that no clone(CLONE_VM) child ever fills it in
 * its parent's memory. */
__attribute__((constructor)) static void getpid_cache_init(void)
{
	atomic_store_explicit(&cached, ask_kernel(), memory_order_relaxed);
	(void) pthread_atfork(NULL, NULL, forget);
}

pid_t getpid(void)
{
	pid_t pid = atomic_load_explicit(&cached, memory_order_relaxed);

	if (pid == 0) {
		pid = ask_kernel();
		atomic_store_explicit(&cached, pid, memory_order_relaxed);
	}
	return pid;
}
