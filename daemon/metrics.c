/*
 * metrics — kitchend's measurements. See metrics.h.
 */
#include "metrics.h"

#include "util.h"

void metrics_init(struct metrics *m)
{
	*m = (struct metrics) { .start_ms = now_ms(), .start_wall_ms = wall_ms() };
	m->wall_ms = m->start_wall_ms;
}

void metrics_turn(struct metrics *m)
{
	m->now = (uint32_t) (now_ms() - m->start_ms);
	m->wall_ms = wall_ms();
}

void metrics_hist_values(const struct metrics_hist *h, uint64_t *v)
{
	for (unsigned i = 0; i <= EXPO_BUCKETS; i++)
		v[i] += h->buckets[i];
	v[EXPO_BUCKETS + 1] += h->sum_us;
}
