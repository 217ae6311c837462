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
	};
	current = b;
}

void bar_draw(struct bar *b, uint64_t done, uint64_t total)
{
	uint64_t ms = now_ms() - b->start_ms;
	uint64_t fill = total ? done * BAR_WIDTH / total : BAR_WIDTH;
	char line[BAR_WIDTH + 3];

	if (!b->on)
		return;
	line[0] = '[';
	for (uint64_t i = 0; i < BAR_WIDTH; i++)
		line[i + 1] = i < fill ? '#' : '-';
	line[BAR_WIDTH + 1] = ']';
	line[BAR_WIDTH + 2] = '\0';
	/* stdout first: its lines must not land in the middle of the bar. */
	fflush(stdout);
	fprintf(stderr, "\r\033[K%s %llu/%llu %s  %llu.%llus", line,
		(unsigned long long) done, (unsigned long long) total,
		total == 1 ? "dish" : "dishes",
		(unsigned long long) ms / 1000, (unsigned long long) ms % 1000 / 100);
	fflush(stderr);
	b->drawn = true;
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
