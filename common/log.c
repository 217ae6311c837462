#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

static const char *log_ident = "kitchen";
static int log_max_priority = LOG_INFO;
static bool log_to_journal;

static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_open(const char *ident)
{
	log_ident = ident;
	log_to_journal = stderr_is_journal();
}

void log_set_max_priority(int priority)
{
	log_max_priority = priority;
}

int log_get_max_priority(void)
{
	return log_max_priority;
}

static const char *const priority_names[] = {
	[LOG_EMERG] = "emerg",
	[LOG_ALERT] = "alert",
	[LOG_CRIT] = "crit",
	[LOG_ERR] = "err",
	[LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

int log_priority_from_name(const char *name)
{
	for (int i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(name, priority_names[i]) == 0)
			return i;
	if (strcmp(name, "error") == 0)
		return LOG_ERR;
	return -EINVAL;
}

static void write_journal(int priority, const struct log_about *about, const char *line)
{
	char prio[16], order[48], dish[48], chef[160], ident[96];
	struct iovec iov[6];
	int n = 0;

#define ADD(buf, ...) do { \
		snprintf(buf, sizeof(buf), __VA_ARGS__); \
		iov[n++] = (struct iovec) { .iov_base = buf, .iov_len = strlen(buf) }; \
	} while (0)

	ADD(prio, "PRIORITY=%d", priority);
	ADD(ident, "SYSLOG_IDENTIFIER=%s", log_ident);
	if (about->order)
		ADD(order, "KITCHEN_ORDER=%llu", about->order);
	if (about->dish)
		ADD(dish, "KITCHEN_DISH=%llu", about->dish);
	if (about->chef && about->chef[0])
		ADD(chef, "KITCHEN_CHEF=%s", about->chef);
#undef ADD
	/* MESSAGE last: it is the one field of unbounded length. */
	char *message;
	if (asprintf(&message, "MESSAGE=%s", line) < 0)
		return;
	iov[n++] = (struct iovec) { .iov_base = message, .iov_len = strlen(message) };
	if (sd_journal_sendv(iov, n) < 0)
		fprintf(stderr, "<%d>%s\n", priority, line);
	free(message);
}

static int log_va(int priority, int r, const struct log_about *about, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
static int log_va(int priority, int r, const struct log_about *about, const char *fmt, va_list ap)
{
	char line[2048];
	int saved = errno;

	if (priority > log_max_priority)
		return r;

	errno = r < 0 ? -r : saved;
	vsnprintf(line, sizeof(line), fmt, ap);

	if (log_to_journal && about)
		write_journal(priority, about, line);
	else if (log_to_journal)
		fprintf(stderr, "<%d>%s\n", priority, line);
	else if (priority <= LOG_WARNING)
		fprintf(stderr, "%s: %s: %s\n", log_ident,
			priority <= LOG_ERR ? "error" : "warning", line);
	else
		fprintf(stderr, "%s: %s\n", log_ident, line);

	errno = saved;
	return r;
}

int log_full_errno(int priority, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = log_va(priority, r, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int log_fields(int priority, int r, const struct log_about *about, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = log_va(priority, r, about, fmt, ap);
	va_end(ap);
	return r;
}

bool log_ratelimit(struct log_ratelimit *rl, uint64_t now, uint64_t *ret_held)
{
	if (!rl->window_ms || now - rl->window_ms >= rl->interval_ms) {
		rl->window_ms = now ? now : 1;
		rl->written = 0;
	}
	if (rl->written >= rl->burst) {
		rl->held++;
		return false;
	}
	rl->written++;
	*ret_held = rl->held;
	rl->held = 0;
	return true;
}
