#include "when.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Exactly @n digits at *@s, as a number; advances *@s. */
static int digits(const char **s, unsigned n, int *ret)
{
	int v = 0;

	for (unsigned i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -EINVAL;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*ret = v;
	return 0;
}

static int expect(const char **s, char c)
{
	if (**s != c)
		return -EINVAL;
	(*s)++;
	return 0;
}

int when_parse(const char *s, uint64_t *ret)
{
	int year, mon, day, hour, min, sec = 0, off_h = 0, off_m = 0, off_sign = 0;
	bool utc = false;
	struct tm tm, check;
	time_t t;

	if (digits(&s, 4, &year) < 0 || expect(&s, '-') < 0 || digits(&s, 2, &mon) < 0 ||
	    expect(&s, '-') < 0 || digits(&s, 2, &day) < 0)
		return -EINVAL;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -EINVAL;
	s++;
	if (digits(&s, 2, &hour) < 0 || expect(&s, ':') < 0 || digits(&s, 2, &min) < 0)
		return -EINVAL;
	if (*s == ':') {
		s++;
		if (digits(&s, 2, &sec) < 0)
			return -EINVAL;
	}
	if (*s == 'Z' || *s == 'z') {
		utc = true;
		s++;
	} else if (*s == '+' || *s == '-') {
		utc = true;
		off_sign = *s++ == '+' ? 1 : -1;
		if (digits(&s, 2, &off_h) < 0)
			return -EINVAL;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &off_m) < 0 || off_h > 23 || off_m > 59)
			return -EINVAL;
	}
	if (*s || year < 1970 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59)
		return -EINVAL;

	tm = (struct tm) { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
			   .tm_hour = hour, .tm_min = min, .tm_sec = sec, .tm_isdst = -1 };
	check = tm;
	t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t) -1)
		return -EINVAL;
	/* Normalized: February 30 became March 2, or 02:30 skipped by the clock became 03:30. */
	if (tm.tm_year != check.tm_year || tm.tm_mon != check.tm_mon || tm.tm_mday != check.tm_mday ||
	    tm.tm_hour != check.tm_hour || tm.tm_min != check.tm_min || tm.tm_sec != check.tm_sec)
		return -EINVAL;
	t -= off_sign * (off_h * 3600 + off_m * 60);
	if (t < 0)
		return -EINVAL;
	*ret = (uint64_t) t * 1000;
	return 0;
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
