/*
 * log — one place where kitchen's programs write what happened.
 *
 * Lines go to stderr. When stderr is the journal (JOURNAL_STREAM matches it,
 * as under systemd) each line starts with a "<N>" priority prefix that
 * journald reads (sd-daemon(3)); otherwise lines read "kitchend: warning: ...".
 *
 * Library code logs at debug at most; the caller that decides logs once:
 *
 *	r = store_open(dir, &store);
 *	if (r < 0)
 *		return log_error_errno(r, "Failed to open order store in '%s': %m", dir);
 *
 * The *_errno forms set errno from @r for %m and return @r (which is
 * negative), so they end a function in one line.
 */
#pragma once

#include <syslog.h>

/* Call once, first thing in main(). @ident names the program in lines. */
void log_open(const char *ident);

/* Lines above @priority (LOG_ERR .. LOG_DEBUG) are dropped; default LOG_INFO. */
void log_set_max_priority(int priority);
int log_get_max_priority(void);

/* Parse "err", "warning", "notice", "info", "debug"; -EINVAL on others. */
int log_priority_from_name(const char *name);

int log_full_errno(int priority, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_full(prio, ...) ((void) log_full_errno((prio), 0, __VA_ARGS__))

#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)

#define log_error_errno(r, ...)   log_full_errno(LOG_ERR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full_errno(LOG_WARNING, (r), __VA_ARGS__)
#define log_notice_errno(r, ...)  log_full_errno(LOG_NOTICE, (r), __VA_ARGS__)
#define log_info_errno(r, ...)    log_full_errno(LOG_INFO, (r), __VA_ARGS__)
#define log_debug_errno(r, ...)   log_full_errno(LOG_DEBUG, (r), __VA_ARGS__)
