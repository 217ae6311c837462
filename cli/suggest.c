#include "suggest.h"

#include <stdint.h>
#include <string.h>

#include "casefold.h"

/* @s as folded characters into @cp; their count, or SIZE_MAX when too many. */
static size_t chars_of(const char *s, uint32_t cp[SUGGEST_MAX_CHARS])
{
	size_t len = strlen(s), n = 0;

	for (size_t i = 0; i < len; n++) {
		if (n == SUGGEST_MAX_CHARS)
			return SIZE_MAX;
		i += casefold_next(s + i, len - i, &cp[n]);
	}
	return n;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

size_t suggest_distance(const char *a, const char *b)
{
	uint32_t x[SUGGEST_MAX_CHARS], y[SUGGEST_MAX_CHARS];
	/* Three rows of the table: i - 2, i - 1 and i. */
	size_t rows[3][SUGGEST_MAX_CHARS + 1];
	size_t n = chars_of(a, x), m = chars_of(b, y);

	if (n == SIZE_MAX || m == SIZE_MAX)
		return SIZE_MAX;
	for (size_t k = 0; k <= m; k++)
		rows[0][k] = k;
	for (size_t i = 1; i <= n; i++) {
		size_t *cur = rows[i % 3], *up = rows[(i - 1) % 3], *up2 = rows[(i - 2) % 3];

		cur[0] = i;
		for (size_t k = 1; k <= m; k++) {
			size_t cost = x[i - 1] != y[k - 1];

			cur[k] = min3(up[k] + 1, cur[k - 1] + 1, up[k - 1] + cost);
			if (i > 1 && k > 1 && x[i - 1] == y[k - 2] && x[i - 2] == y[k - 1] && up2[k - 2] + 1 < cur[k])
				cur[k] = up2[k - 2] + 1;
		}
	}
	return rows[n % 3][m];
}

const char *suggest_closest(const char *typed, const char *const *names, size_t n)
{
	uint32_t cp[SUGGEST_MAX_CHARS];
	size_t len = chars_of(typed, cp), best = SIZE_MAX, limit;
	const char *found = NULL;

	if (len == SIZE_MAX)
		return NULL;
	limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = suggest_distance(typed, names[i]);

		if (d <= limit && d < best) {
			best = d;
			found = names[i];
		}
	}
	return found;
}
