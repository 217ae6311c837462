/*
 * util — the few helpers every kitchen program uses.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Milliseconds on CLOCK_MONOTONIC, and on CLOCK_REALTIME (for the record). */
uint64_t now_ms(void);
/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t now_ns(void);
uint64_t wall_ms(void);

/* free(*p) and NULL it: ownership moves stay visible at the call site. */
static inline void freep(void *p)
{
	void **pp = p;

	free(*pp);
	*pp = NULL;
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(freep)

/* The word for @n things, for messages: printf("%u %s", n, plural(n, "dish", "dishes")). */
static inline const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Make *@buf (of *@size bytes allocated) hold at least @need bytes, growing
 * it to twice what is needed (at least 256 bytes). 0, or -ENOMEM with *@buf
 * and *@size as they were.
 */
int buf_reserve(char **buf, size_t *size, size_t need);

/* FNV-1a of @n bytes at @data, going on from @h (FNV1A_SEED to start): a
 * hash for tables and rate limits, not a cryptographic one. */
#define FNV1A_SEED 0xcbf29ce484222325ull
uint64_t fnv1a(uint64_t h, const void *data, size_t n);

/* Parse a whole decimal number in [min, max] into *ret; 0 or -EINVAL/-ERANGE. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Hand over a pointer: return it and NULL the variable it was in. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
