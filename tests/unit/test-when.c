/*
 * test-when — the times and durations of kitchenctl's command line (cli/when.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "tap.h"
#include "util.h"
#include "when.h"

/* 2026-12-06T10:00:00Z */
#define T0_MS 1796551200000ull

static int test_durations(void)
{
	uint64_t ms;

	CHECK(when_duration("1500ms", UINT64_MAX, &ms) == 0 && ms == 1500);
	CHECK(when_duration("30s", UINT64_MAX, &ms) == 0 && ms == 30000);
	CHECK(when_duration("5m", UINT64_MAX, &ms) == 0 && ms == 300000);
	CHECK(when_duration("2h", UINT64_MAX, &ms) == 0 && ms == 7200000);
	CHECK(when_duration("7d", UINT64_MAX, &ms) == 0 && ms == 7 * 86400000ull);
	CHECK(when_duration("90", UINT64_MAX, &ms) == 0 && ms == 90000);
	CHECK(when_duration("0s", UINT64_MAX, &ms) == -EINVAL);
	CHECK(when_duration("2h", 3600000, &ms) == -EINVAL);
	CHECK(when_duration("1y", UINT64_MAX, &ms) == -EINVAL);
	CHECK(when_duration("-1s", UINT64_MAX, &ms) == -EINVAL);
	CHECK(when_duration("", UINT64_MAX, &ms) == -EINVAL);
	return 0;
}

static int test_moments_utc(void)
{
	uint64_t ms;

	/* Local time is UTC here (main() sets TZ). */
	CHECK(when_moment("2026-12-06T10:00:00", 0, false, &ms) == 0 && ms == T0_MS);
	CHECK(when_moment("2026-12-06 10:00:00", 0, false, &ms) == 0 && ms == T0_MS);
	CHECK(when_moment("2026-12-06T10:00", 0, false, &ms) == 0 && ms == T0_MS);
	CHECK(when_moment("2026-12-06", 0, false, &ms) == 0 && ms == T0_MS - 10 * 3600000ull);
	CHECK(when_moment("2026-12-06", 0, true, &ms) == 0 && ms == T0_MS + 14 * 3600000ull - 1);
	CHECK(when_moment("2026-12-06T10:00:00Z", 0, false, &ms) == 0 && ms == T0_MS);
	CHECK(when_moment("2026-12-06T11:30:00+01:30", 0, false, &ms) == 0 && ms == T0_MS);
	CHECK(when_moment("2026-12-06T08:00:00-0200", 0, false, &ms) == 0 && ms == T0_MS);
	CHECK(when_moment("@1796551200", 0, false, &ms) == 0 && ms == T0_MS);
	CHECK(when_moment("1h", T0_MS, false, &ms) == 0 && ms == T0_MS - 3600000);
	CHECK(when_moment("30m", T0_MS, true, &ms) == 0 && ms == T0_MS - 1800000);
	return 0;
}

static int test_moments_refused(void)
{
	static const char *const bad[] = {
		"",
		"yesterday",
		"2026",
		"2026-12",
		"2026-02-31",
		"2026-13-01",
		"2026-12-06T25:00",
		"2026-12-06X",
		"2026-12-06T10:00:00+25:00",
		"2026-12-06T10:00:00 UTC",
		"@",
		"@12x",
		"1y",
	};
	uint64_t ms;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		EXPECT(when_moment(bad[i], T0_MS, false, &ms) == -EINVAL);
	/* Longer ago than the epoch. */
	CHECK(when_moment("2h", 3600000, false, &ms) == -EINVAL);
	return 0;
}

static int test_moments_local(void)
{
	uint64_t ms;

	/* Central European Time is UTC+1 in December. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	CHECK(when_moment("2026-12-06T11:00:00", 0, false, &ms) == 0 && ms == T0_MS);
	CHECK(when_moment("2026-12-06T10:00:00Z", 0, false, &ms) == 0 && ms == T0_MS);
	/* A day of 23 hours: the last Sunday of March. */
	uint64_t start, end;
	CHECK(when_moment("2026-03-29", 0, false, &start) == 0 &&
	      when_moment("2026-03-29", 0, true, &end) == 0);
	CHECK(end - start == 23 * 3600000ull - 1);
	setenv("TZ", "UTC0", 1);
	tzset();
	return 0;
}

static const struct tap_case cases[] = {
	{ "durations", test_durations },
	{ "moments in UTC", test_moments_utc },
	{ "moments refused", test_moments_refused },
	{ "moments in local time", test_moments_local },
};

int main(void)
{
	setenv("TZ", "UTC0", 1);
	tzset();
	return tap_run(cases, ELEMENTSOF(cases));
}
