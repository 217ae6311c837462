#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * @a, @b and @c joined into @buf: 0, or -ENOBUFS (@buf "") when they do not
 * fit. Not snprintf(): a no-op dish makes six of these texts, and at that
 * rate printf's machinery costs more than the dish (bench throughput).
 */
static int join(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	const char *parts[] = { a, b, c };
	size_t n = 0;

	for (size_t i = 0; i < 3; i++) {
		size_t len = strlen(parts[i]);

		if (len >= size - n) {
			if (size > 0)
				buf[0] = '\0';
			return -ENOBUFS;
		}
		memcpy(buf + n, parts[i], len);
		n += len;
	}
	buf[n] = '\0';
	return 0;
}

int pipeline_text(enum pipeline_stage stage, const char *name, char *buf, size_t size)
{
	switch (stage) {
	case PIPELINE_GET:
		return join(buf, size, "Get ingredients for ", name, "...");
	case PIPELINE_COOKING:
		return join(buf, size, "Cooking ingredient ", name, "...");
	case PIPELINE_COOKED:
		return join(buf, size, "Cooked ", name, "");
	case PIPELINE_SEASONING:
		return join(buf, size, "Seasoning Cooked ", name, "...");
	case PIPELINE_SERVED:
		return join(buf, size, "Served Cooked ", name, " with a pinch of magic");
	case _PIPELINE_STAGE_MAX:
		break;
	}
	if (size > 0)
		buf[0] = '\0';
	return -EINVAL;
}

int pipeline_result(const char *dish, char *buf, size_t size)
{
	return join(buf, size, "Served ", dish, "");
}

int pipeline_item(const char *ingredient, uint64_t cpu_work, uint64_t digest, char *buf, size_t size)
{
	char tag[16];
	size_t n;
	int r;

	r = pipeline_text(PIPELINE_SERVED, ingredient, buf, size);
	if (r < 0 || cpu_work == 0)
		return r;
	/* Only after CPU work, which costs far more than printf. */
	snprintf(tag, sizeof(tag), " #%08x", (unsigned) (uint32_t) (digest >> 32));
	n = strlen(buf);
	r = join(buf + n, size - n, tag, "", "");
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
