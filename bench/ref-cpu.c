/*
 * bench-ref-cpu — how far two threads scale on this machine, for the CPU
 * work scenario: the chef's own digest (pipeline_digest(), the work of
 * timing.cpu_work), on one thread, then on two at once, with nothing else.
 * kitchen's 2-station figure cannot beat this; a VM whose other tenants
 * take CPU shows it here as well as in kitchen.
 *
 *	bench-ref-cpu --rounds R --dishes N [--ingredients 5]
 *
 * prints {"one": dishes/s, "two": dishes/s, "scaling": two/one} and exits 0.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pipeline.h"

static uint64_t arg_rounds, arg_dishes;
static unsigned arg_ingredients = 5;
static volatile uint64_t sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void *cook(void *arg)
{
	uint64_t x = 0;

	(void) arg;
	for (uint64_t d = 0; d < arg_dishes; d++)
		for (unsigned i = 0; i < arg_ingredients; i++)
			x ^= pipeline_digest("Flour", arg_rounds);
	sink = x;
	return NULL;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "dishes", required_argument, NULL, 'd' },
		{ "ingredients", required_argument, NULL, 'i' },
		{}
	};
	pthread_t t[2];
	uint64_t t0, t1, t2;
	double one, two;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
		switch (c) {
		case 'r': arg_rounds = strtoull(optarg, NULL, 10); break;
		case 'd': arg_dishes = strtoull(optarg, NULL, 10); break;
		case 'i': arg_ingredients = (unsigned) atoi(optarg); break;
		default: return 2;
		}
	if (arg_rounds == 0 || arg_dishes == 0) {
		fputs("usage: bench-ref-cpu --rounds R --dishes N [--ingredients 5]\n", stderr);
		return 2;
	}
	t0 = now_ns();
	cook(NULL);
	t1 = now_ns();
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, cook, NULL) != 0)
			return 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	t2 = now_ns();
	one = arg_dishes / ((t1 - t0) / 1e9);
	two = 2 * arg_dishes / ((t2 - t1) / 1e9);
	printf("{\"one\": %.2f, \"two\": %.2f, \"scaling\": %.3f}\n", one, two, two / one);
	return 0;
}
