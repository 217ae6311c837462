/*
 * samples — the clock and the figures of the reference programs' latency
 * runs (bench-ref-rtt, bench-ref-pipeline), header only: they link
 * nothing of kitchen's.
 *
 *	uint64_t t = now_ns();  ...  v[i] = now_ns() - t;
 *	printf("{");
 *	samples_print(v, n);    // sorts v: "count": N, "p50_us": ..., "mean_us": ...
 *	printf("}\n");
 */
#pragma once

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static inline int samples_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

/* The value at quantile @q of sorted @v (nearest rank), in µs. */
static inline double samples_us(const uint64_t *v, size_t n, double q)
{
	size_t i = (size_t) (q * (double) n);

	return (i >= n ? v[n - 1] : v[i]) / 1e3;
}

/* Sort the @n (> 0) durations in ns at @v and print them as JSON members,
 * without braces: count, p50_us, p90_us, p99_us, max_us, mean_us. */
static inline void samples_print(uint64_t *v, size_t n)
{
	uint64_t sum = 0;

	qsort(v, n, sizeof(*v), samples_cmp);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	printf("\"count\": %zu, \"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"max_us\": %.1f, "
	       "\"mean_us\": %.1f", n, samples_us(v, n, 0.5), samples_us(v, n, 0.9), samples_us(v, n, 0.99),
	       v[n - 1] / 1e3, (double) sum / (double) n / 1e3);
}
