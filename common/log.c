#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int log_full_errno(int priority, int r, const char *fmt, ...)
{
	char line[2048];
	int saved = errno;
	va_list ap;

	if (priority > log_max_priority)
		return r;

	errno = r < 0 ? -r : saved;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);

	if (log_to_journal)
		fprintf(stderr, "<%d>%s\n", priority, line);
	else if (priority <= LOG_WARNING)
		fprintf(stderr, "%s: %s: %s\n", log_ident,
			priority <= LOG_ERR ? "error" : "warning", line);
	else
		fprintf(stderr, "%s: %s\n", log_ident, line);

	errno = saved;
	return r;
}
