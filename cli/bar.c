#include "bar.h"

#include <stdio.h>
#include <unistd.h>

#include "util.h"

#define BAR_WIDTH 30

static struct bar *current;

void bar_init(struct bar *b)
{
	*b = (struct bar) {
		.on = isatty(STDERR_FILENO),
		.start_ms = now_ms(),
		.what = "done",
	};
	b->phase_ms = b->start_ms;
	current = b;
}

void bar_phase(struct bar *b, const char *what)
{
	b->what = what;
	b->phase_ms = now_ms();
}

/* "4s", "2m05s", "3h12m": short enough for a line that must not wrap. */
static void duration(char *buf, size_t size, uint64_t s)
{
	if (s < 60)
		snprintf(buf, size, "%llus", (unsigned long long) s);
	else if (s < 3600)
		snprintf(buf, size, "%llum%02llus", (unsigned long long) s / 60, (unsigned long long) s % 60);
	else
		snprintf(buf, size, "%lluh%02llum", (unsigned long long) s / 3600,
			 (unsigned long long) s / 60 % 60);
}

/* "  1234/s  ETA 4s" once the phase has gone on long enough to say; else "". */
static void pace(char *buf, size_t size, const struct bar *b, uint64_t now, uint64_t done, uint64_t total)
{
	uint64_t ms = now - b->phase_ms;
	double rate;
	char eta[32];

	buf[0] = '\0';
	if (ms < 2 * BAR_EVERY_MS || done == 0)
		return;
	rate = done * 1000.0 / ms;
	duration(eta, sizeof(eta), (uint64_t) ((total - done) / rate + 0.5));
	if (rate >= 10)
		snprintf(buf, size, "  %.0f/s  ETA %s", rate, eta);
	else
		snprintf(buf, size, "  %.1f/s  ETA %s", rate, eta);
}

bool bar_due(const struct bar *b)
{
	return b->on && (!b->drawn_ms || now_ms() - b->drawn_ms >= BAR_EVERY_MS);
}

void bar_draw(struct bar *b, uint64_t done, uint64_t total)
{
	uint64_t now = now_ms(), ms = now - b->start_ms;
	uint64_t fill = total ? done * BAR_WIDTH / total : BAR_WIDTH;
	char line[BAR_WIDTH + 3], speed[64];

	if (!b->on)
		return;
	/* A terminal wants news, not every reply: at most every BAR_EVERY_MS. */
	if (b->drawn_ms && now - b->drawn_ms < BAR_EVERY_MS && (done < total || done == b->last_done))
		return;
	line[0] = '[';
	for (uint64_t i = 0; i < BAR_WIDTH; i++)
		line[i + 1] = i < fill ? '#' : '-';
	line[BAR_WIDTH + 1] = ']';
	line[BAR_WIDTH + 2] = '\0';
	pace(speed, sizeof(speed), b, now, done > total ? total : done, total);
	/* stdout first: its lines must not land in the middle of the bar. */
	fflush(stdout);
	fprintf(stderr, "\r\033[K%s  %llu/%llu %s %s%s  %llu.%llus", line,
		(unsigned long long) done, (unsigned long long) total,
		total == 1 ? "dish" : "dishes", b->what, speed,
		(unsigned long long) ms / 1000, (unsigned long long) ms % 1000 / 100);
	fflush(stderr);
	b->drawn = true;
	b->last_done = done;
	b->drawn_ms = now ? now : 1;
}

void bar_clear(struct bar *b)
{
	if (!b->on || !b->drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	b->drawn = false;
}

void bar_clear_current(void)
{
	if (current)
		bar_clear(current);
}

void bar_finish(struct bar *b)
{
	bar_clear(b);
	if (current == b)
		current = NULL;
}
