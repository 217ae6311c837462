/* The times and durations of the command line. See when.h. */
#include "when.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

int when_duration(const char *s, uint64_t max_ms, uint64_t *ret)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = { { "ms", 1 },      { "s", 1000 },     { "m", 60000 },
		      { "h", 3600000 }, { "d", 86400000 }, { "", 1000 } };
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (strcmp(end, units[i].suffix) == 0) {
			if (v == 0 || v > max_ms / units[i].ms)
				return -EINVAL;
			*ret = v * units[i].ms;
			return 0;
		}
	return -EINVAL;
}

/* "Z", "+HH:MM", "-HH:MM", "+HHMM", "+HH": the offset east of UTC in seconds. */
static int zone(const char *p, long *ret)
{
	int sign, hh, mm = 0;
	size_t n = strlen(p);

	if (strcmp(p, "Z") == 0) {
		*ret = 0;
		return 0;
	}
	if ((p[0] != '+' && p[0] != '-') || (n != 3 && n != 5 && n != 6))
		return -EINVAL;
	sign = p[0] == '-' ? -1 : 1;
	for (size_t i = 1; i < n; i++)
		if ((i != 3 || n != 6) && (p[i] < '0' || p[i] > '9'))
			return -EINVAL;
	if (n == 6 && p[3] != ':')
		return -EINVAL;
	hh = (p[1] - '0') * 10 + (p[2] - '0');
	if (n > 3)
		mm = (p[n - 2] - '0') * 10 + (p[n - 1] - '0');
	if (hh > 23 || mm > 59)
		return -EINVAL;
	*ret = sign * (hh * 3600L + mm * 60L);
	return 0;
}

static int epoch(const char *s, uint64_t *ret)
{
	uint64_t v;

	if (parse_u64(s, 0, UINT64_MAX / 1000, &v) < 0)
		return -EINVAL;
	*ret = v * 1000;
	return 0;
}

int when_moment(const char *s, uint64_t now_ms, bool end_of_day, uint64_t *ret)
{
	static const char *const forms[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
					     "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	uint64_t ago;
	long offset = 0;
	bool zoned = false;
	time_t t;

	if (s[0] == '@')
		return epoch(s + 1, ret);
	/* With its unit: "2026" alone is no time ago but a typo. */
	if (*s && (s[strlen(s) - 1] < '0' || s[strlen(s) - 1] > '9') &&
	    when_duration(s, UINT64_MAX, &ago) == 0) {
		if (ago > now_ms)
			return -EINVAL;
		*ret = now_ms - ago;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		struct tm tm = { .tm_isdst = -1 };
		const char *rest = strptime(s, forms[i], &tm);
		bool date_only = i == ELEMENTSOF(forms) - 1;

		if (!rest)
			continue;
		if (*rest) {
			if (date_only || zone(rest, &offset) < 0)
				continue;
			zoned = true;
		}
		/* strptime() takes "2026-02-31": mktime() would move it to March. */
		int mday = tm.tm_mday, mon = tm.tm_mon;
		t = zoned ? timegm(&tm) - offset : mktime(&tm);
		if (t == (time_t) -1 || t < 0 || tm.tm_mday != mday || tm.tm_mon != mon)
			return -EINVAL;
		*ret = (uint64_t) t * 1000;
		if (date_only && end_of_day) {
			/* The day's last ms: the next day's start (DST may make it 23 or 25 h), less 1. */
			struct tm next = { .tm_year = tm.tm_year,
					   .tm_mon = tm.tm_mon,
					   .tm_mday = tm.tm_mday + 1,
					   .tm_isdst = -1 };
			time_t n = mktime(&next);
			if (n == (time_t) -1)
				return -EINVAL;
			*ret = (uint64_t) n * 1000 - 1;
		}
		return 0;
	}
	return -EINVAL;
}

int when_at(const char *s, uint64_t *ret)
{
	/* "YYYY-MM-DD..." or "@...": a duration would mean that long ago. */
	if (!(s[0] == '@' || (strlen(s) >= 10 && s[4] == '-')))
		return -EINVAL;
	return when_moment(s, 0, false, ret);
}

void when_format(uint64_t ms, uint64_t now_ms, char *buf, size_t size)
{
	time_t t = (time_t) (ms / 1000), now = (time_t) (now_ms / 1000);
	struct tm tm, today;

	if (!localtime_r(&t, &tm) || !localtime_r(&now, &today)) {
		snprintf(buf, size, "%llu ms", (unsigned long long) ms);
		return;
	}
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		strftime(buf, size, "%H:%M:%S", &tm);
	else
		strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}
