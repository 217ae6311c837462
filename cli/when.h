/*
 * when — the times kitchenctl reads and prints: `order --at TIME` and an
 * order's due time in `show`.
 *
 * TIME is ISO 8601 to the minute or second: local time
 * ("2026-12-06T18:30:00", "2026-12-06T18:30"), UTC with "Z"
 * ("2026-12-06T17:30:00Z") or with an offset ("2026-12-06T18:30:00+01:00");
 * a space may stand for the "T". A local time that the clock skips (the
 * spring change of daylight saving time) or a date that does not exist
 * (February 30) is refused.
 *
 *	uint64_t due;
 *	if (when_parse("2026-12-06T18:30:00", &due) < 0) ... usage error
 *	char buf[WHEN_MAX];
 *	when_format(due, wall_ms(), buf, sizeof(buf));   // "18:30:00", or "2026-12-07 18:30:00"
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define WHEN_MAX 32

/* @s as wall clock ms since the epoch in *ret; 0 or -EINVAL. */
int when_parse(const char *s, uint64_t *ret);

/* @ms (wall clock) in local time: "HH:MM:SS" on the day of @now_ms, else
 * "YYYY-MM-DD HH:MM:SS". */
void when_format(uint64_t ms, uint64_t now_ms, char *buf, size_t size);
