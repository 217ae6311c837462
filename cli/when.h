/*
 * when — the times and durations people type on kitchenctl's command line.
 *
 * It reads `order --at TIME`, `--in`, `--deadline`, `list --since/--until`
 * and prints an order's due time in `show`.
 *
 * A duration: "1500ms", "30s", "5m", "2h", "7d", or plain seconds
 * ("90"), never 0. A moment (list --since/--until): an ISO 8601 date and
 * time in local time, "2026-12-06", "2026-12-06T10:00", "2026-12-06T10:00:00"
 * (a space instead of the "T" too), with "Z" or "+01:00" for another zone
 * than the local one; "@1765015200" (seconds since the Unix epoch, as
 * date(1) takes it); or a duration, meaning that long ago ("1h": an hour
 * ago). A date alone is the start of that day, or with @end_of_day its
 * last millisecond (so that "--until 2026-12-06" holds that day).
 *
 *	r = when_duration("30s", 86400000, &ms);      // 30000
 *	r = when_moment("1h", now, false, &at_ms);    // now - 3600000
 *	r = when_at("2026-12-06T18:30:00", &due);     // a date and time only
 *	when_format(due, now, buf, WHEN_MAX);         // "18:30:00", or "2026-12-07 18:30:00"
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHEN_MAX 32

/* A duration of at most @max_ms, in ms, in *ret; -EINVAL otherwise. */
int when_duration(const char *s, uint64_t max_ms, uint64_t *ret);

/* A moment as wall-clock ms since the epoch in *ret, @now_ms being now
 * (for durations ago); -EINVAL for anything else, or before the epoch. */
int when_moment(const char *s, uint64_t now_ms, bool end_of_day, uint64_t *ret);

/* A moment that is a date and time (or @EPOCH_SECONDS), not a duration ago:
 * `order --at`. */
int when_at(const char *s, uint64_t *ret);

/* @ms (wall clock) in local time: "HH:MM:SS" on the day of @now_ms, else
 * "YYYY-MM-DD HH:MM:SS". */
void when_format(uint64_t ms, uint64_t now_ms, char *buf, size_t size);
