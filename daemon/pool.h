/*
 * pool — the local chef processes kitchend spawns and keeps alive.
 *
 * Slot K runs "chef --name chef-K ..." (fork/exec; the child gets
 * PR_SET_PDEATHSIG so it never outlives kitchend), with "--kitchen-config
 * PATH" when kitchend read a file: the chef cooks that file's program
 * dishes as the file says (cookbook.h). On a reload kitchend sends every
 * local chef SIGHUP (pool_signal()), and the chef reads the file again. The
 * child starts with SIGHUP blocked, so one that comes before the chef has
 * its signalfd waits for it instead of killing it. A chef that exits while
 * kitchend runs is restarted after a back-off that doubles from 100 ms up to
 * 10 s and resets once a chef has run for 10 s, so a chef that crashes on
 * start does not spin.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pool_slot {
	char name[32];
	pid_t pid;                 /* 0 when not running */
	uint64_t started_ms;
	uint64_t restart_at_ms;    /* when to start it again */
	unsigned backoff_ms;
	unsigned restarts;
	int last_status;           /* wait status of its last exit */
	bool retired;              /* scaled away: not restarted */
	bool told_to_go;           /* retired, and sent SIGTERM */
	uint64_t retired_ms;       /* when it was retired */
	uint64_t absent_since_ms;  /* its chef not on the line since then (started, or its
				      session ended); 0 while it is on the line */
};

struct pool_args {
	const char *chef_path;
	const char *dispatch;
	const char *sink;
	unsigned threads;
	const char *model;         /* --model: "threads" or "event-loop" */
	unsigned slots;            /* --slots, for the event loop */
	uint64_t heartbeat_ms;
	unsigned liveness;
	const char *log_level;
	const char *curve_key;     /* kitchend's key pair file, or NULL: --secret-key and --server-key */
	const char *kitchen_config;  /* kitchend's configuration file, or NULL: --kitchen-config */
};

struct pool {
	struct pool_slot *slots;
	size_t n_slots;
	struct pool_args args;          /* dispatch and sink point at the two below */
	char *dispatch_connect;         /* where a local chef connects to the binds */
	char *sink_connect;
	char *chef_path;
	bool stopping;
	bool retiring;                  /* some retired slot's chef was not told to go yet */
};

/* Where the chef binary is: @configured, else beside this program, else the
 * installed one. Newly allocated in *ret. */
int pool_find_chef(const char *configured, char **ret);

int pool_init(struct pool *p, const struct pool_args *args, size_t n);
void pool_finish(struct pool *p);  /* signals nothing: call pool_stop first */

/*
 * Run @n chefs from now on: new slots start at the next pool_start_due();
 * slots beyond @n are retired: never restarted, and told to go with
 * pool_slot_stop() once their chef holds no dish (dispatch_retire() decides
 * when). 0 or -ENOMEM.
 */
int pool_resize(struct pool *p, size_t n);

/* SIGTERM to the chef of retired slot @s, once. */
void pool_slot_stop(struct pool_slot *s);

/* Chefs started from now on get @args (chef_path is kept). 0 or -ENOMEM. */
int pool_set_args(struct pool *p, const struct pool_args *args);

/*
 * The address a chef on this machine connects to for kitchend's bind address
 * @bind: a wildcard TCP bind ("tcp://" "*:5555" or "tcp://0.0.0.0:5555") becomes
 * loopback; anything else is the same string. Newly allocated in *ret.
 */
int pool_connect_endpoint(const char *bind, char **ret);

/* Start every slot whose time has come; returns how many failed to start. */
unsigned pool_start_due(struct pool *p, uint64_t now);

/*
 * Collect exited children (call on SIGCHLD). For each, @on_exit gets the slot
 * and the wait status; the slot is scheduled for restart unless stopping.
 */
void pool_reap(struct pool *p, uint64_t now,
	       void (*on_exit)(struct pool_slot *slot, int status, void *u), void *u);

/*
 * Whether each slot's chef is on the line (dispatch.c tells): a chef joined,
 * or left it while its process may live on. pool_kill_absent() SIGKILLs the
 * process of every slot absent for @grace_ms or more (hung, stopped, or
 * unable to reach kitchend), calling @killed for each; it is restarted once
 * reaped, like any chef that exits.
 */
void pool_chef_joined(struct pool *p, const char *name, pid_t pid);
void pool_chef_left(struct pool *p, const char *name, pid_t pid, uint64_t now);
void pool_kill_absent(struct pool *p, uint64_t now, uint64_t grace_ms,
		      void (*killed)(const struct pool_slot *s, uint64_t absent_ms, void *u), void *u);

/* Send @sig to every running chef (SIGHUP: read the recipes again). */
void pool_signal(struct pool *p, int sig);

/* Send @sig to every running chef and stop restarting them. */
void pool_stop(struct pool *p, int sig);

size_t pool_running(const struct pool *p);

/* Earliest restart time of a slot waiting for one, or UINT64_MAX. */
uint64_t pool_next_start(const struct pool *p);

/* Render a wait status: "exited with status 1", "killed by signal 9 (Killed)". */
void pool_describe_status(int status, char *buf, size_t size);

/* Whether a wait status is a crash (a core-dumping signal such as SIGSEGV or
 * SIGABRT), as opposed to being stopped or killed from outside. */
bool pool_status_crashed(int status);
