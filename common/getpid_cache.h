/*
 * getpid_cache — getpid(), asked of the kernel once a process.
 *
 * libzmq calls getpid() on every look into a socket's mailbox (its check
 * that the process has not forked: ZMQ_HAVE_FORK), so on every send,
 * receive and ZMQ_EVENTS that finds no message waiting. glibc stopped
 * caching getpid() in 2.25, and each call is a system call: on a busy
 * chef or kitchend, about a third of all the system calls they make. On
 * the VMs kitchen is measured on, a system call costs a microsecond or
 * more, and caching getpid() took 14–22 % off the CPU a dish cost in
 * the throughput scenario (docs/performance.md, 0.7.4: "getpid(), once a
 * process").
 *
 * getpid_cache.c defines getpid() in the program itself, where the dynamic
 * linker finds it before libc's, for libzmq as for kitchen's own code. The
 * cache is filled before main(), and emptied in the child of fork() (a
 * pthread_atfork() handler), so a forked child has its own pid again. A
 * child of vfork() or clone(CLONE_VM) runs no such handler and shares the
 * parent's memory: between the clone and its exec it must not call
 * getpid(); kitchen's do not (daemon/pool.c forks, workers/spawn.c clones,
 * and both only exec).
 *
 * Nothing to call: every program linked with common_dep (common/meson.build
 * compiles this file into each) has it.
 */
#pragma once
