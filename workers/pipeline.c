#include "pipeline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

__attribute__((format(printf, 3, 4)))
static int format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (size == 0)
		return -ENOBUFS;
	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= size) {
		buf[0] = '\0';
		return -ENOBUFS;
	}
	return 0;
}

int pipeline_text(enum pipeline_stage stage, const char *name, char *buf, size_t size)
{
	switch (stage) {
	case PIPELINE_GET:
		return format(buf, size, "Get ingredients for %s...", name);
	case PIPELINE_COOKING:
		return format(buf, size, "Cooking ingredient %s...", name);
	case PIPELINE_COOKED:
		return format(buf, size, "Cooked %s", name);
	case PIPELINE_SEASONING:
		return format(buf, size, "Seasoning Cooked %s...", name);
	case PIPELINE_SERVED:
		return format(buf, size, "Served Cooked %s with a pinch of magic", name);
	case _PIPELINE_STAGE_MAX:
		break;
	}
	if (size > 0)
		buf[0] = '\0';
	return -EINVAL;
}

int pipeline_result(const char *dish, char *buf, size_t size)
{
	return format(buf, size, "Served %s", dish);
}

int pipeline_item(const char *ingredient, uint64_t cpu_work, uint64_t digest, char *buf, size_t size)
{
	size_t n;
	int r;

	r = pipeline_text(PIPELINE_SERVED, ingredient, buf, size);
	if (r < 0 || cpu_work == 0)
		return r;
	n = strlen(buf);
	r = format(buf + n, size - n, " #%08x", (unsigned) (uint32_t) (digest >> 32));
	if (r < 0)
		buf[0] = '\0';
	return r;
}

uint64_t pipeline_digest_seed(const char *ingredient)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (const unsigned char *p = (const unsigned char *) ingredient; *p; p++) {
		h ^= *p;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

uint64_t pipeline_digest_run(uint64_t state, uint64_t rounds)
{
	while (rounds-- > 0) {
		uint64_t z = state + UINT64_C(0x9e3779b97f4a7c15);

		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		state = z ^ (z >> 31);
	}
	return state;
}

uint64_t pipeline_digest(const char *ingredient, uint64_t rounds)
{
	return pipeline_digest_run(pipeline_digest_seed(ingredient), rounds);
}
