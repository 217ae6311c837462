#include "pool.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kitchen-build.h"
#include "log.h"
#include "util.h"

#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 10000u
#define STABLE_MS 10000u

int pool_find_chef(const char *configured, char **ret)
{
	char self[PATH_MAX], *p;
	ssize_t n;

	if (configured) {
		p = strdup(configured);
		goto out;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&p, "%s/chef", self) < 0)
				return -ENOMEM;
			if (access(p, X_OK) == 0)
				goto out;
			free(p);
		}
	}
	p = strdup(KITCHEN_SBINDIR "/chef");
out:
	if (!p)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int pool_init(struct pool *p, const struct pool_args *args, size_t n)
{
	*p = (struct pool) { 0 };
	p->slots = calloc(n ? n : 1, sizeof(*p->slots));
	if (!p->slots || pool_set_args(p, args) < 0) {
		free(p->slots);
		p->slots = NULL;
		return -ENOMEM;
	}
	p->n_slots = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(p->slots[i].name, sizeof(p->slots[i].name), "chef-%zu", i + 1);
		p->slots[i].backoff_ms = BACKOFF_MIN_MS;
	}
	return 0;
}

void pool_finish(struct pool *p)
{
	free(p->slots);
	free(p->dispatch_connect);
	free(p->sink_connect);
	*p = (struct pool) { 0 };
}

int pool_resize(struct pool *p, size_t n)
{
	size_t active = 0;

	for (size_t i = 0; i < p->n_slots; i++)
		if (!p->slots[i].retired)
			active++;
	if (n > p->n_slots) {
		struct pool_slot *slots = realloc(p->slots, n * sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		p->slots = slots;
		for (size_t i = p->n_slots; i < n; i++) {
			p->slots[i] = (struct pool_slot) { .backoff_ms = BACKOFF_MIN_MS };
			snprintf(p->slots[i].name, sizeof(p->slots[i].name), "chef-%zu", i + 1);
		}
		p->n_slots = n;
	}
	for (size_t i = 0; i < p->n_slots; i++) {
		struct pool_slot *s = &p->slots[i];
		if (i < n) {
			s->retired = false;
			continue;
		}
		if (!s->retired) {
			s->retired = true;
			s->told_to_go = false;
			s->retired_ms = now_ms();
		}
	}
	/* Also when slots come back: their chefs take dishes again. */
	p->retiring = true;
	log_debug("Local chefs: %zu -> %zu", active, n);
	return 0;
}

int pool_connect_endpoint(const char *bind, char **ret)
{
	static const struct {
		const char *wildcard, *loopback;
	} map[] = {
		{ "tcp://*:", "tcp://127.0.0.1:" },
		{ "tcp://0.0.0.0:", "tcp://127.0.0.1:" },
		{ "tcp://[::]:", "tcp://[::1]:" },
	};
	char *s = NULL;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t n = strlen(map[i].wildcard);
		if (strncmp(bind, map[i].wildcard, n) == 0) {
			if (asprintf(&s, "%s%s", map[i].loopback, bind + n) < 0)
				return -ENOMEM;
			*ret = s;
			return 0;
		}
	}
	s = strdup(bind);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int pool_set_args(struct pool *p, const struct pool_args *args)
{
	const char *chef_path = p->args.chef_path;
	char *dispatch = NULL, *sink = NULL;

	if (pool_connect_endpoint(args->dispatch, &dispatch) < 0 ||
	    pool_connect_endpoint(args->sink, &sink) < 0) {
		free(dispatch);
		return -ENOMEM;
	}
	free(p->dispatch_connect);
	free(p->sink_connect);
	p->dispatch_connect = dispatch;
	p->sink_connect = sink;
	p->args = *args;
	p->args.dispatch = dispatch;
	p->args.sink = sink;
	if (chef_path)
		p->args.chef_path = chef_path;
	return 0;
}

static int spawn(struct pool *p, struct pool_slot *s)
{
	char threads[16], slots[16], hb[24], liveness[16];
	const char *argv[28] = {
		p->args.chef_path,
		"--name", s->name,
		"--dispatch", p->args.dispatch,
		"--sink", p->args.sink,
		"--stations", threads,
		"--model", p->args.model,
		"--slots", slots,
		"--heartbeat-ms", hb,
		"--liveness", liveness,
		"--log-level", p->args.log_level,
	};
	size_t n = 19;
	pid_t parent = getpid(), pid;

	if (p->args.curve_key) {
		/* CURVE (on tcp endpoints): kitchend's own key pair, which its ZAP handler admits */
		argv[n++] = "--secret-key";
		argv[n++] = p->args.curve_key;
		argv[n++] = "--server-key";
		argv[n++] = p->args.curve_key;
	}
	if (p->args.kitchen_config) {
		argv[n++] = "--kitchen-config";
		argv[n++] = p->args.kitchen_config;
	}

	snprintf(threads, sizeof(threads), "%u", p->args.threads);
	snprintf(slots, sizeof(slots), "%u", p->args.slots);
	snprintf(hb, sizeof(hb), "%llu", (unsigned long long) p->args.heartbeat_ms);
	snprintf(liveness, sizeof(liveness), "%u", p->args.liveness);

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		sigset_t hup;

		/* Only async-signal-safe calls between fork and exec. A reload's
		 * SIGHUP waits for the chef's signalfd rather than killing it. */
		sigemptyset(&hup);
		sigaddset(&hup, SIGHUP);
		sigprocmask(SIG_SETMASK, &hup, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	s->pid = pid;
	return 0;
}

void pool_slot_stop(struct pool_slot *s)
{
	if (!s->pid || s->told_to_go)
		return;
	kill(s->pid, SIGTERM);
	s->told_to_go = true;
}

unsigned pool_start_due(struct pool *p, uint64_t now)
{
	unsigned failed = 0;

	if (p->stopping)
		return 0;
	for (size_t i = 0; i < p->n_slots; i++) {
		struct pool_slot *s = &p->slots[i];
		int r;

		if (s->pid || s->retired || s->restart_at_ms > now)
			continue;
		r = spawn(p, s);
		if (r < 0) {
			log_error_errno(r, "Failed to start %s (%s): %m", s->name, p->args.chef_path);
			s->restart_at_ms = now + s->backoff_ms;
			failed++;
			continue;
		}
		s->started_ms = now;
		s->absent_since_ms = now;
		s->told_to_go = false;
		log_debug("Started %s, pid %d", s->name, (int) s->pid);
	}
	return failed;
}

void pool_reap(struct pool *p, uint64_t now,
	       void (*on_exit)(struct pool_slot *slot, int status, void *u), void *u)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid <= 0)
			return;
		for (size_t i = 0; i < p->n_slots; i++) {
			struct pool_slot *s = &p->slots[i];
			if (s->pid != pid)
				continue;
			s->last_status = status;
			if (now - s->started_ms >= STABLE_MS)
				s->backoff_ms = BACKOFF_MIN_MS;
			s->restart_at_ms = now + s->backoff_ms;
			s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
			if (!p->stopping && !s->retired)
				s->restarts++;
			if (on_exit)
				on_exit(s, status, u);
			s->pid = 0;
			break;
		}
	}
}

static struct pool_slot *slot_of(struct pool *p, const char *name, pid_t pid)
{
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->slots[i].pid == pid && pid && strcmp(p->slots[i].name, name) == 0)
			return &p->slots[i];
	return NULL;
}

void pool_chef_joined(struct pool *p, const char *name, pid_t pid)
{
	struct pool_slot *s = slot_of(p, name, pid);

	if (s)
		s->absent_since_ms = 0;
}

void pool_chef_left(struct pool *p, const char *name, pid_t pid, uint64_t now)
{
	struct pool_slot *s = slot_of(p, name, pid);

	if (s && !s->absent_since_ms)
		s->absent_since_ms = now ? now : 1;
}

void pool_kill_absent(struct pool *p, uint64_t now, uint64_t grace_ms,
		      void (*killed)(const struct pool_slot *s, uint64_t absent_ms, void *u), void *u)
{
	if (p->stopping)
		return;
	for (size_t i = 0; i < p->n_slots; i++) {
		struct pool_slot *s = &p->slots[i];

		if (!s->pid || !s->absent_since_ms || s->retired || now < s->absent_since_ms + grace_ms)
			continue;
		if (killed)
			killed(s, now - s->absent_since_ms, u);
		kill(s->pid, SIGKILL);
		s->absent_since_ms = 0;  /* once: the reaper takes it from here */
	}
}

void pool_signal(struct pool *p, int sig)
{
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->slots[i].pid)
			kill(p->slots[i].pid, sig);
}

void pool_stop(struct pool *p, int sig)
{
	p->stopping = true;
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->slots[i].pid)
			kill(p->slots[i].pid, sig);
}

size_t pool_running(const struct pool *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_slots; i++)
		if (p->slots[i].pid)
			n++;
	return n;
}

uint64_t pool_next_start(const struct pool *p)
{
	uint64_t next = UINT64_MAX;

	if (p->stopping)
		return next;
	for (size_t i = 0; i < p->n_slots; i++) {
		const struct pool_slot *s = &p->slots[i];
		if (!s->pid && !s->retired && s->restart_at_ms < next)
			next = s->restart_at_ms;
	}
	return next;
}

void pool_describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended with wait status 0x%x", (unsigned) status);
}

bool pool_status_crashed(int status)
{
	if (!WIFSIGNALED(status))
		return false;
	switch (WTERMSIG(status)) {
	case SIGABRT: case SIGBUS: case SIGFPE: case SIGILL: case SIGSEGV: case SIGSYS: case SIGTRAP:
		return true;
	default:
		return false;
	}
}
