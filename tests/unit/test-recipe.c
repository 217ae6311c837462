/*
 * test-recipe — one real program for one dish (workers/recipe.c), started
 * by workers/spawn.c, which is tested here through it.
 *
 * Real programs: coreutils, and /bin/sh scripts the test writes into a
 * temporary directory. A table of named cases; prints TAP. Every case is
 * bounded by its recipe's time-out (and an alarm() for the whole run), and
 * ends with as many fds open as it began with and no child left, zombie or
 * not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proto.h"
#include "recipe.h"
#include "tap.h"
#include "util.h"

static char tmp[] = "/tmp/test-recipe.XXXXXX";

/* What a time bound allows beyond its due on a loaded machine. */
#define SLACK_MS 3000

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

/* No child of ours is left, running or zombie. */
static bool no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

#define BEGIN int fds_before_ = fd_count()
#define END                                       \
	do {                                      \
		CHECK(fd_count() == fds_before_); \
		CHECK(no_children());             \
		return 0;                         \
	} while (0)

/* Write a /bin/sh script @name into the temporary directory; its path in a static buffer. */
static const char *script(const char *name, const char *body)
{
	static char path[4][256];
	static unsigned turn;
	char *p = path[turn++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", tmp, name);
	f = fopen(p, "w");
	if (!f)
		return NULL;
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(p, 0755);
	return p;
}

/* The stage lines seen, in order, '\n' after each. */
struct stages {
	char text[64 * 1024];
	size_t len;
	size_t n;
	bool all_text; /* every line was protocol text */
};

static void on_stage(void *userdata, const char *line)
{
	struct stages *s = userdata;
	size_t n = strlen(line);

	s->n++;
	if (!proto_text_valid(line, n, false) || n == 0 || n > RECIPE_LINE_MAX)
		s->all_text = false;
	if (s->len + n + 1 < sizeof(s->text)) {
		memcpy(s->text + s->len, line, n);
		s->len += n;
		s->text[s->len++] = '\n';
		s->text[s->len] = '\0';
	}
}

/* Run @argv in tmp for a dish with @input, blocking; the finished run in *ret. */
static int cook(const char *const *argv, const struct recipe *extra, const void *input, size_t len,
		struct stages *st, struct recipe_run **ret)
{
	struct recipe r = extra ? *extra : (struct recipe) { 0 };
	struct recipe_dish d = {
		.order = 7,
		.dish = 8,
		.dish_id = 31,
		.attempt = 2,
		.chef = "chef-a",
		.input = input,
		.input_len = len,
	};

	r.argv = argv;
	if (!r.dir)
		r.dir = tmp;
	if (r.timeout_ms == 0)
		r.timeout_ms = 10000;
	if (st)
		*st = (struct stages) { .all_text = true };
	return recipe_run(&r, &d, st ? on_stage : NULL, st, -1, ret);
}

static int test_echo_bytes(void)
{
	BEGIN;
	static const char in[] = "a\0b\377\376\n\0\0z";
	const char *argv[] = { "/bin/cat", NULL };
	struct recipe_run *run;
	struct recipe_result res;

	CHECK(cook(argv, NULL, in, sizeof(in), NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	CHECK(res.output_len == sizeof(in));
	CHECK(memcmp(res.output, in, sizeof(in)) == 0);
	CHECK(strcmp(res.reason, "") == 0);
	recipe_free(&run);
	CHECK(run == NULL);
	recipe_free(&run);
	END;
}

static int test_echo_big(void)
{
	BEGIN;
	/* More than any pipe holds, both ways at once: no deadlock. */
	size_t len = 8u << 20;
	char *in = malloc(len);
	const char *argv[] = { "cat", NULL };
	struct recipe r = { .max_output = len };
	struct recipe_run *run;
	struct recipe_result res;

	CHECK(in);
	for (size_t i = 0; i < len; i++)
		in[i] = (char) (i * 2654435761u >> 13);
	CHECK(cook(argv, &r, in, len, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	CHECK(res.output_len == len);
	CHECK(memcmp(res.output, in, len) == 0);
	recipe_free(&run);
	free(in);
	END;
}

static int test_exit_reason(void)
{
	BEGIN;
	const char *argv[] = { script("exit3", "echo starting >&2; echo 'no such file' >&2; exit 3"),
			       NULL };
	struct recipe_run *run;
	struct recipe_result res;
	struct stages st;

	CHECK(cook(argv, NULL, NULL, 0, &st, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_FAILED);
	EXPECT_STR(res.reason, "exit 3: no such file");
	EXPECT_STR(res.tail, "starting\nno such file");
	EXPECT_STR(st.text, "starting\nno such file\n");
	recipe_free(&run);

	/* The last five lines; an empty one is no line. */
	argv[0] = script("exit4", "for i in 1 2 3 4 5 6; do echo l$i >&2; done; echo >&2; exit 4");
	CHECK(cook(argv, NULL, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	EXPECT_STR(res.reason, "exit 4: l6");
	EXPECT_STR(res.tail, "l2\nl3\nl4\nl5\nl6");
	recipe_free(&run);

	/* No stderr: the status alone. */
	argv[0] = script("exit1", "exit 1");
	CHECK(cook(argv, NULL, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_FAILED);
	EXPECT_STR(res.reason, "exit 1");
	EXPECT_STR(res.tail, "");
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

static int test_signal_reason(void)
{
	BEGIN;
	const char *argv[] = { "/bin/sh", script("segv", "kill -SEGV $$"), NULL };
	struct recipe_run *run;
	struct recipe_result res;

	CHECK(cook(argv, NULL, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_FAILED);
	EXPECT_STR(res.reason, "killed by SIGSEGV");
	recipe_free(&run);

	argv[1] = script("abrt", "echo 'about to go' >&2; kill -ABRT $$");
	CHECK(cook(argv, NULL, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	EXPECT_STR(res.reason, "killed by SIGABRT: about to go");
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

/* A pid read from @path, 0 when there is none. */
static pid_t read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return (pid_t) pid;
}

/* @pid is gone, or dead and waiting for its parent (not us) to reap it; waits up to 2 s. */
static bool dead(pid_t pid)
{
	for (int i = 0; i < 200; i++) {
		char path[64], buf[512];
		FILE *f;
		char *p;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
		f = fopen(path, "r");
		if (!f)
			return true;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		p = p ? strrchr(buf, ')') : NULL;
		if (!p || (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')))
			return true;
		usleep(10000);
	}
	return false;
}

static int test_timeout(void)
{
	BEGIN;
	/* Deaf to SIGTERM, and so is its sleep: SIGKILL after the grace ends both. */
	const char *argv[] = {
		script("deaf", "trap '' TERM; echo $$ > deaf.pid; while :; do sleep 1; done"), NULL
	};
	struct recipe r = { .timeout_ms = 200, .grace_ms = 300 };
	struct recipe_run *run;
	struct recipe_result res;
	uint64_t t0 = now_ms(), took;

	CHECK(cook(argv, &r, NULL, 0, NULL, &run) == 0);
	took = now_ms() - t0;
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_TIMED_OUT);
	EXPECT_STR(res.reason, "timed out after 200 ms");
	tap_diag("deaf to SIGTERM: ended after %" PRIu64 " ms (time-out 200 + grace 300)", took);
	/* The upper bound leaves a loaded machine (an ASan build beside others) its slack. */
	CHECK(took >= 500 && took < 500 + SLACK_MS);
	recipe_free(&run);

	/* One that hears SIGTERM goes at once, not after the grace. */
	argv[0] = script("sleeper", "exec sleep 100");
	r.grace_ms = 5000;
	t0 = now_ms();
	CHECK(cook(argv, &r, NULL, 0, NULL, &run) == 0);
	took = now_ms() - t0;
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_TIMED_OUT);
	tap_diag("hears SIGTERM: ended after %" PRIu64 " ms (time-out 200, grace 5000)", took);
	CHECK(took >= 200 && took < 200 + SLACK_MS);
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

static int test_cancel_stop_fd(void)
{
	BEGIN;
	const char *argv[] = { script("sleeper", "exec sleep 100"), NULL };
	struct recipe r = { .argv = argv, .dir = tmp, .timeout_ms = 10000 };
	struct recipe_dish d = { .chef = "c" };
	struct itimerspec in200ms = { .it_value = { .tv_nsec = 200 * 1000000 } };
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct recipe_run *run;
	struct recipe_result res;
	uint64_t t0, took;

	CHECK(tfd >= 0);
	CHECK(timerfd_settime(tfd, 0, &in200ms, NULL) == 0);
	t0 = now_ms();
	CHECK(recipe_run(&r, &d, NULL, NULL, tfd, &run) == 0);
	took = now_ms() - t0;
	close(tfd);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_CANCELLED);
	EXPECT_STR(res.reason, "cancelled");
	CHECK(took >= 190 && took < 200 + SLACK_MS);
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

/* The event-driven way, as a station drives it: cancel after the second stage line. */
static int test_cancel_events(void)
{
	BEGIN;
	const char *argv[] = { script("stages", "echo one >&2; echo two >&2; sleep 100; echo never >&2"),
			       NULL };
	struct recipe r = { .argv = argv, .dir = tmp, .grace_ms = 100 };
	struct recipe_dish d = { .chef = "c" };
	struct stages st = { .all_text = true };
	struct recipe_run *run;
	struct recipe_result res;
	uint64_t t0 = now_ms();
	int steps = 0;

	CHECK(recipe_start(&r, &d, on_stage, &st, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_RUNNING);
	CHECK(recipe_timeout_ms(run) == -1); /* no time-out, not ending */
	while (recipe_step(run) == 0) {
		struct pollfd fds[RECIPE_POLL_MAX];
		size_t n;

		/* As a CANCEL from the brigade would, once the program is well under way. */
		if (st.n == 2)
			recipe_cancel(run);
		n = recipe_pollfds(run, fds);
		CHECK(n >= 1 && n <= RECIPE_POLL_MAX);
		CHECK(poll(fds, n, recipe_timeout_ms(run)) >= 0);
		steps++;
	}
	CHECK(now_ms() - t0 < 5000);
	CHECK(recipe_pollfds(run, NULL) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_CANCELLED);
	EXPECT_STR(st.text, "one\ntwo\n");
	EXPECT_STR(res.tail, "one\ntwo");
	tap_diag("cancelled after %d steps, %" PRIu64 " ms", steps, now_ms() - t0);
	recipe_cancel(run); /* finished: nothing */
	CHECK(recipe_step(run) == 1);
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

static int test_exit_before_late_look(void)
{
	BEGIN;
	/* The program is done before its time-out; the caller looks only after it. */
	const char *argv[] = { "printf", "in time", NULL };
	struct recipe r = { .argv = argv, .dir = tmp, .timeout_ms = 50 };
	struct recipe_dish d = { .chef = "c" };
	struct recipe_run *run;
	struct recipe_result res;
	struct pollfd fds[RECIPE_POLL_MAX];

	CHECK(recipe_start(&r, &d, NULL, NULL, &run) == 0);
	CHECK(recipe_pollfds(run, fds) >= 1);
	CHECK(poll(fds, 1, 5000) == 1); /* the pidfd: it has exited */
	usleep(150 * 1000);
	while (recipe_step(run) == 0)
		;
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	EXPECT_STR(res.output, "in time");
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

static int test_free_running(void)
{
	BEGIN;
	const char *argv[] = { script("sleeper", "exec sleep 100"), NULL };
	struct recipe r = { .argv = argv, .dir = tmp };
	struct recipe_dish d = { .chef = "c" };
	struct recipe_run *run;

	/* A station told to STOP frees its run mid-dish: killed and reaped at once. */
	CHECK(recipe_start(&r, &d, NULL, NULL, &run) == 0);
	CHECK(recipe_step(run) == 0);
	recipe_free(&run);
	CHECK(run == NULL);
	END;
}

static int test_grandchild(void)
{
	BEGIN;
	/* The background sleep keeps stdout and stderr open; the script exits at once. */
	const char *argv[] = { script("forker", "sleep 100 & echo $! > child.pid; echo done"), NULL };
	char pidfile[300];
	struct recipe_run *run;
	struct recipe_result res;
	uint64_t t0 = now_ms();
	pid_t pid;

	CHECK(cook(argv, NULL, NULL, 0, NULL, &run) == 0);
	CHECK(now_ms() - t0 < SLACK_MS);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	EXPECT_STR(res.output, "done\n");
	recipe_free(&run);
	snprintf(pidfile, sizeof(pidfile), "%s/child.pid", tmp);
	pid = read_pid(pidfile);
	CHECK(pid > 0);
	CHECK(dead(pid));
	CHECK(!tap_failed);
	END;
}

static int test_grandchild_escaped(void)
{
	BEGIN;
	/* It leaves the group (setsid), so the group's kill misses it: the run still ends. */
	const char *argv[] = { script("escaper",
				      "setsid sh -c 'echo $$ > escaped.pid; exec sleep 100' &\n"
				      "while [ ! -s escaped.pid ]; do sleep 0.01; done\n"
				      "echo done"),
			       NULL };
	char pidfile[300];
	struct recipe_run *run;
	struct recipe_result res;
	uint64_t t0 = now_ms();
	pid_t pid;

	if (access("/usr/bin/setsid", X_OK) != 0)
		return TAP_SKIP("no setsid(1)");
	CHECK(cook(argv, NULL, NULL, 0, NULL, &run) == 0);
	CHECK(now_ms() - t0 < SLACK_MS);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	EXPECT_STR(res.output, "done\n");
	recipe_free(&run);
	snprintf(pidfile, sizeof(pidfile), "%s/escaped.pid", tmp);
	pid = read_pid(pidfile);
	CHECK(pid > 0);
	CHECK(kill(pid, SIGKILL) == 0); /* documented: it escaped, it is ours to end */
	CHECK(dead(pid));
	CHECK(!tap_failed);
	END;
}

static int test_output_cut(void)
{
	BEGIN;
	const char *argv[] = { "head", "-c", "10000000", "/dev/zero", NULL };
	char note[64];
	struct recipe_run *run;
	struct recipe_result res;
	uint64_t t0 = now_ms();
	size_t n;

	CHECK(cook(argv, NULL, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	n = (size_t) snprintf(note, sizeof(note), RECIPE_CUT_NOTE, (size_t) RECIPE_MAX_OUTPUT);
	EXPECT_STR(note, "\n[output cut at 1048576 bytes]");
	CHECK(res.output_len == RECIPE_MAX_OUTPUT + n);
	for (size_t i = 0; i < RECIPE_MAX_OUTPUT; i++)
		CHECK(res.output[i] == '\0');
	CHECK(memcmp(res.output + RECIPE_MAX_OUTPUT, note, n) == 0);
	CHECK(res.output[res.output_len] == '\0');
	tap_diag("10 MB of stdout, 1 MiB kept, in %" PRIu64 " ms", now_ms() - t0);
	recipe_free(&run);

	/* A small limit. */
	{
		const char *echo[] = { "printf", "hello world", NULL };
		struct recipe r = { .max_output = 5 };

		CHECK(cook(echo, &r, NULL, 0, NULL, &run) == 0);
		recipe_result(run, &res);
		EXPECT_STR(res.output, "hello\n[output cut at 5 bytes]");
		recipe_free(&run);
	}
	CHECK(!tap_failed);
	END;
}

static int test_stage_lines(void)
{
	BEGIN;
	const char *argv[] = { script("chatty",
				      "echo one >&2; echo out; echo >&2; echo two >&2; sleep 0.1\n"
				      "printf 'bad \\377 \\001 ok\\r\\n' >&2\n"
				      "printf '\\303\\251t\\303\\251\\n' >&2\n"
				      "head -c 3000 /dev/zero | tr '\\0' x >&2; echo >&2\n"
				      "printf 'last, no newline' >&2"),
			       NULL };
	char want[4096], xs[RECIPE_LINE_MAX + 1];
	struct recipe_run *run;
	struct recipe_result res;
	struct stages st;

	CHECK(cook(argv, NULL, NULL, 0, &st, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	EXPECT_STR(res.output, "out\n");
	memset(xs, 'x', RECIPE_LINE_MAX);
	xs[RECIPE_LINE_MAX] = '\0';
	snprintf(want, sizeof(want), "one\ntwo\nbad ? ? ok\n\303\251t\303\251\n%s\nlast, no newline\n",
		 xs);
	EXPECT_STR(st.text, want);
	CHECK(st.n == 6);
	CHECK(st.all_text);
	/* The tail: the last five, oldest first. */
	snprintf(want, sizeof(want), "two\nbad ? ? ok\n\303\251t\303\251\n%s\nlast, no newline", xs);
	EXPECT_STR(res.tail, want);
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

/* Does @text have the line @line? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static int test_environment(void)
{
	BEGIN;
	const char *argv[] = { script("env", "pwd; /usr/bin/env"), NULL };
	char sub[300], line[400];
	struct recipe r = { 0 };
	struct recipe_run *run;
	struct recipe_result res;

	snprintf(sub, sizeof(sub), "%s/work", tmp);
	CHECK(mkdir(sub, 0700) == 0 || errno == EEXIST);
	r.dir = sub;
	setenv("KITCHEN_TEST_SECRET", "leak", 1);
	CHECK(cook(argv, &r, NULL, 0, NULL, &run) == 0);
	unsetenv("KITCHEN_TEST_SECRET");
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	CHECK(strncmp(res.output, sub, strlen(sub)) == 0 && res.output[strlen(sub)] == '\n');
	EXPECT(has_line(res.output, "KITCHEN_ORDER=7"));
	EXPECT(has_line(res.output, "KITCHEN_DISH=8"));
	EXPECT(has_line(res.output, "KITCHEN_DISH_ID=31"));
	EXPECT(has_line(res.output, "KITCHEN_ATTEMPT=2"));
	EXPECT(has_line(res.output, "KITCHEN_CHEF=chef-a"));
	EXPECT(has_line(res.output, "PATH=" RECIPE_PATH));
	EXPECT(has_line(res.output, "LANG=C.UTF-8"));
	snprintf(line, sizeof(line), "HOME=%s", sub);
	EXPECT(has_line(res.output, line));
	EXPECT(!strstr(res.output, "KITCHEN_TEST_SECRET"));
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

static int test_limits(void)
{
	BEGIN;
	const char *argv[] = {
		script("ulimits", "ulimit -n; ulimit -t; ulimit -v; ls /proc/self/fd | wc -l"), NULL
	};
	struct recipe r = { .open_files = 17, .cpu_seconds = 5, .memory_bytes = 512u << 20 };
	struct recipe_run *run;
	struct recipe_result res;
	unsigned nofile = 0, cpu = 0, vm = 0, fds = 0;

	CHECK(cook(argv, &r, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	CHECK(sscanf(res.output, "%u %u %u %u", &nofile, &cpu, &vm, &fds) == 4);
	CHECK(nofile == 17);
	CHECK(cpu == 5);
	CHECK(vm == 512 * 1024);
	/* ls's 0, 1, 2 and its directory: nothing of ours leaked into the child. */
	CHECK(fds == 4);
	recipe_free(&run);

	/* A CPU limit kills a spinning program. */
	argv[0] = script("spin", "while :; do :; done");
	r = (struct recipe) { .cpu_seconds = 1,
			      .timeout_ms = 60000 }; /* a loaded machine is slow to 1 s of CPU */
	CHECK(cook(argv, &r, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	EXPECT_STR(res.reason, "killed by SIGXCPU");
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

static int test_input_argument(void)
{
	BEGIN;
	const char *show = script("show", "printf '%d' $#; for a; do printf ' [%s]' \"$a\"; done");
	const char *plain[] = { show, RECIPE_INPUT_ARG, NULL };
	const char *ended[] = { show, "--", RECIPE_INPUT_ARG, "after", NULL };
	const char *basename_[] = { "basename", "--", RECIPE_INPUT_ARG, NULL };
	struct recipe_run *run;
	struct recipe_result res;

	/* One element, whatever it holds; stdin has it too. */
	CHECK(cook(plain, NULL, "two words; $(rm -rf /) *", 24, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	EXPECT_STR(res.output, "1 [two words; $(rm -rf /) *]");
	recipe_free(&run);

	/* Option-looking input without "--": refused, nothing runs. */
	CHECK(cook(plain, NULL, "-rf", 3, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_FAILED);
	EXPECT_STR(res.reason, "the input starts with '-' and the recipe has no '--' before {input}");
	recipe_free(&run);

	/* After "--" it is data. */
	CHECK(cook(ended, NULL, "-rf", 3, NULL, &run) == 0);
	recipe_result(run, &res);
	EXPECT_STR(res.output, "3 [--] [-rf] [after]");
	recipe_free(&run);
	CHECK(cook(basename_, NULL, "--help", 6, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	EXPECT_STR(res.output, "--help\n");
	recipe_free(&run);

	/* Not UTF-8, not a problem: bytes, exactly. */
	CHECK(cook(plain, NULL, "\377\376 \n\t", 5, NULL, &run) == 0);
	recipe_result(run, &res);
	EXPECT_STR(res.output, "1 [\377\376 \n\t]");
	recipe_free(&run);

	/* An empty input is one empty element. */
	CHECK(cook(plain, NULL, "", 0, NULL, &run) == 0);
	recipe_result(run, &res);
	EXPECT_STR(res.output, "1 []");
	recipe_free(&run);

	/* NUL cannot be in an argument; too long cannot either. */
	CHECK(cook(plain, NULL, "a\0b", 3, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_FAILED);
	EXPECT_STR(res.reason, "the input has a NUL byte, which an argument cannot hold");
	recipe_free(&run);
	{
		size_t len = RECIPE_ARG_MAX + 1;
		char *big = malloc(len);

		CHECK(big);
		memset(big, 'a', len);
		CHECK(cook(plain, NULL, big, len, NULL, &run) == 0);
		recipe_result(run, &res);
		EXPECT_STR(res.reason, "the input is too long for an argument");
		recipe_free(&run);
		free(big);
	}
	CHECK(!tap_failed);
	END;
}

static int test_unread_input(void)
{
	BEGIN;
	/* Neither reads its stdin: the writer gets EPIPE, and must not die of SIGPIPE. */
	size_t len = 10u << 20;
	char *in = calloc(1, len);
	const char *argv[] = { "true", NULL };
	const char *closer[] = { script("closer", "exec 0<&-; sleep 0.2; echo fine"), NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	struct recipe_run *run;
	struct recipe_result res;

	CHECK(in);
	CHECK(sigaction(SIGPIPE, &dfl, &old) == 0);
	CHECK(cook(argv, NULL, in, len, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	recipe_free(&run);
	CHECK(cook(closer, NULL, in, len, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	EXPECT_STR(res.output, "fine\n");
	recipe_free(&run);
	{
		sigset_t pending;

		CHECK(sigpending(&pending) == 0);
		CHECK(!sigismember(&pending, SIGPIPE));
	}
	CHECK(sigaction(SIGPIPE, &old, NULL) == 0);
	free(in);
	CHECK(!tap_failed);
	END;
}

static int test_cannot_start(void)
{
	BEGIN;
	const char *missing[] = { "no-such-program-kitchen", NULL };
	const char *missing_path[] = { "/no/such/program", NULL };
	const char *noexec[] = { NULL, NULL };
	struct recipe r = { .dir = "/no/such/dir" };
	const char *cat[] = { "cat", NULL };
	struct recipe_run *run;
	struct recipe_result res;
	char path[300];

	CHECK(cook(missing, NULL, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_FAILED);
	EXPECT_STR(res.reason, "cannot run no-such-program-kitchen: not found in " RECIPE_PATH);
	recipe_free(&run);

	CHECK(cook(missing_path, NULL, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	EXPECT_STR(res.reason, "cannot run /no/such/program: No such file or directory");
	recipe_free(&run);

	snprintf(path, sizeof(path), "%s/plain", tmp);
	CHECK(script("plain", "echo hi") != NULL);
	CHECK(chmod(path, 0644) == 0);
	noexec[0] = path;
	CHECK(cook(noexec, NULL, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	CHECK(strstr(res.reason, "Permission denied"));
	recipe_free(&run);

	CHECK(cook(cat, &r, NULL, 0, NULL, &run) == 0);
	recipe_result(run, &res);
	EXPECT_STR(res.reason, "cannot enter /no/such/dir: No such file or directory");
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

static int test_invalid_recipe(void)
{
	BEGIN;
	const char *none[] = { NULL };
	const char *two[] = { "cat", RECIPE_INPUT_ARG, RECIPE_INPUT_ARG, NULL };
	const char *first[] = { RECIPE_INPUT_ARG, NULL };
	const char *ok[] = { "cat", "x" RECIPE_INPUT_ARG, NULL };
	struct recipe r = { .argv = none, .dir = tmp };
	struct recipe_dish d = { 0 };
	struct recipe_run *run = NULL;

	CHECK(recipe_invalid(&r));
	CHECK(recipe_start(&r, &d, NULL, NULL, &run) == -EINVAL);
	r.argv = two;
	CHECK(recipe_invalid(&r));
	r.argv = first;
	CHECK(recipe_invalid(&r));
	r.argv = ok; /* only a whole element is the input */
	CHECK(!recipe_invalid(&r));
	CHECK(!recipe_refusal(&r, &(struct recipe_dish) { .input = "-x", .input_len = 2 }));
	r.max_output = RECIPE_MAX_OUTPUT_CAP + 1;
	CHECK(recipe_invalid(&r));
	r.max_output = RECIPE_MAX_OUTPUT_CAP;
	CHECK(!recipe_invalid(&r));
	r.dir = NULL;
	CHECK(recipe_invalid(&r));
	CHECK(run == NULL);
	END;
}

static int test_sigchld_ignored(void)
{
	BEGIN;
	/* Against the rules (recipe.h), the kernel reaps it: the run must still end. */
	const char *argv[] = { "sleep", "0.2", NULL };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	struct recipe_run *run;
	struct recipe_result res;
	int r;

	CHECK(sigaction(SIGCHLD, &ign, &old) == 0);
	r = cook(argv, NULL, NULL, 0, NULL, &run);
	CHECK(sigaction(SIGCHLD, &old, NULL) == 0);
	CHECK(r == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_FAILED);
	EXPECT_STR(res.reason, "its exit status was lost (reaped by another)");
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

static int test_signals_reset(void)
{
	BEGIN;
	/* The chef blocks SIGTERM and SIGINT and ignores SIGPIPE: none of it reaches the program. */
	const char *argv[] = { "grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status", NULL };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe, old_int;
	sigset_t block, old_mask;
	struct recipe_run *run;
	struct recipe_result res;
	int r;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	CHECK(pthread_sigmask(SIG_BLOCK, &block, &old_mask) == 0);
	CHECK(sigaction(SIGPIPE, &ign, &old_pipe) == 0);
	CHECK(sigaction(SIGINT, &ign, &old_int) == 0);
	r = cook(argv, NULL, NULL, 0, NULL, &run);
	CHECK(sigaction(SIGINT, &old_int, NULL) == 0);
	CHECK(sigaction(SIGPIPE, &old_pipe, NULL) == 0);
	CHECK(pthread_sigmask(SIG_SETMASK, &old_mask, NULL) == 0);
	CHECK(r == 0);
	recipe_result(run, &res);
	CHECK(res.outcome == RECIPE_SERVED);
	EXPECT_STR(res.output, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	recipe_free(&run);
	CHECK(!tap_failed);
	END;
}

#define STATIONS 4
#define RUNS_EACH 10

/* One station's share of test_stations(): its own inputs through cat, checked. */
static void *station_runs(void *arg)
{
	unsigned seed = (unsigned) (uintptr_t) arg;
	size_t len = 200 * 1024 + seed;
	char *in = malloc(len);
	const char *argv[] = { "cat", NULL };
	uintptr_t bad = 0;

	if (!in)
		return (void *) 1;
	for (int k = 0; k < RUNS_EACH && !bad; k++) {
		struct recipe_run *run;
		struct recipe_result res;

		for (size_t i = 0; i < len; i++)
			in[i] = (char) (i * 31 + seed * 7 + (unsigned) k);
		if (cook(argv, NULL, in, len, NULL, &run) < 0)
			bad = 2;
		else {
			recipe_result(run, &res);
			if (res.outcome != RECIPE_SERVED || res.output_len != len || memcmp(res.output, in, len) != 0)
				bad = 3;
			recipe_free(&run);
		}
	}
	free(in);
	return (void *) bad;
}

static int test_stations(void)
{
	BEGIN;
	/* Stations fork at once from their threads: no run sees another's pipes or waits on its exec. */
	pthread_t t[STATIONS];
	uint64_t t0 = now_ms();

	for (uintptr_t i = 0; i < STATIONS; i++)
		CHECK(pthread_create(&t[i], NULL, station_runs, (void *) (i + 1)) == 0);
	for (int i = 0; i < STATIONS; i++) {
		void *bad;

		CHECK(pthread_join(t[i], &bad) == 0);
		CHECK(bad == NULL);
	}
	tap_diag("%d stations x %d runs of cat with 200 KiB each: %" PRIu64 " ms", STATIONS, RUNS_EACH,
		 now_ms() - t0);
	END;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static const struct tap_case tests[] = {
	{ "cancel by events", test_cancel_events },
	{ "cancel by stop fd", test_cancel_stop_fd },
	{ "cannot start", test_cannot_start },
	{ "echo big input", test_echo_big },
	{ "echo bytes", test_echo_bytes },
	{ "environment and directory", test_environment },
	{ "exit before a late look", test_exit_before_late_look },
	{ "exit status reason", test_exit_reason },
	{ "free while running", test_free_running },
	{ "grandchild holds stdout", test_grandchild },
	{ "grandchild escapes the group", test_grandchild_escaped },
	{ "input as argument", test_input_argument },
	{ "invalid recipe", test_invalid_recipe },
	{ "limits", test_limits },
	{ "output cut", test_output_cut },
	{ "SIGCHLD ignored", test_sigchld_ignored },
	{ "signal reason", test_signal_reason },
	{ "signals reset", test_signals_reset },
	{ "stage lines", test_stage_lines },
	{ "stations at once", test_stations },
	{ "time-out", test_timeout },
	{ "unread input", test_unread_input },
};

int main(void)
{
	int r;

	alarm(120); /* whatever hangs, the test ends */
	/* Line by line: a sanitizer that ends the process must not take the TAP lines with it. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	r = tap_run(tests, ELEMENTSOF(tests));
	nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return r;
}
