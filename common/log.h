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
 *
 * Lines about one order, dish or chef carry it as a journal field, so that
 * `journalctl KITCHEN_ORDER=42` traces one order:
 *
 *	log_fields(LOG_WARNING, 0, &(struct log_about) { .order = 42, .chef = "chef-1" },
 *		   "Order 42: Pizza failed: %s", reason);
 *
 * Under the journal such lines go to it directly with KITCHEN_ORDER=,
 * KITCHEN_DISH= and KITCHEN_CHEF=; on a plain stderr the fields are only in
 * the text.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Call once, first thing in main(). @ident names the program in lines. */
void log_open(const char *ident);

/* Lines above @priority (LOG_ERR .. LOG_DEBUG) are dropped; default LOG_INFO. */
void log_set_max_priority(int priority);
int log_get_max_priority(void);

/* Parse "err", "warning", "notice", "info", "debug"; -EINVAL on others. */
int log_priority_from_name(const char *name);

int log_full_errno(int priority, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* What a line is about; 0 and NULL leave a field out. */
struct log_about {
	unsigned long long order;
	unsigned long long dish;
	const char *chef;
};

int log_fields(int priority, int r, const struct log_about *about, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

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

/*
 * A line a peer could make a program write at any rate (a malformed
 * message, a chef joining) goes out at most @burst times per @interval_ms:
 *
 *	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(1000, 1);
 *	uint64_t held;
 *	if (log_ratelimit(&rl, now_ms(), &held))
 *		log_warning("Dropped ... (%llu more not logged)", held);
 *
 * true: write this one; *ret_held is how many were held back since the
 * last one written.
 */
struct log_ratelimit {
	uint64_t interval_ms;
	unsigned burst;
	uint64_t window_ms;   /* when the current window began; 0: none yet */
	unsigned written;     /* in the current window */
	uint64_t held;
};
#define LOG_RATELIMIT_INIT(ms, n) { .interval_ms = (ms), .burst = (n) }
bool log_ratelimit(struct log_ratelimit *rl, uint64_t now, uint64_t *ret_held);
