/*
 * fuzz-config — libFuzzer harness for the configuration loader
 * (common/config.c): the input is written to kitchen.conf in a directory of
 * its own and loaded with config_load(). A file taken is dumped with
 * config_dump() and freed; a file refused must say why in @err, on one line.
 * AddressSanitizer's leak check covers both paths.
 *
 * tests/fuzz/corpus/config/ holds the seeds (etc/kitchen.conf and variants).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kitchen_config *c = NULL;
	char dir[] = "/tmp/fuzz-config-XXXXXX", path[sizeof(dir) + 16], err[512];
	FILE *f;
	int r;

	if (!devnull)
		devnull = fopen("/dev/null", "we");
	ASSERT(devnull);
	/* A directory of its own each time, gone before the next: nothing is
	 * left behind however libFuzzer exits. */
	ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/kitchen.conf", dir);
	f = fopen(path, "we");
	ASSERT(f);
	ASSERT(fwrite(data, 1, size, f) == size);
	ASSERT(fclose(f) == 0);

	r = config_load(path, &c, err, sizeof(err));
	ASSERT(unlink(path) == 0 && rmdir(dir) == 0);
	if (r < 0) {
		ASSERT(c == NULL);
		ASSERT(err[0] != '\0');
		ASSERT(strchr(err, '\n') == NULL);
		return 0;
	}
	ASSERT(c != NULL && c->n_menu > 0);
	ASSERT(config_dump(c, devnull) >= 0);
	(void) config_find_dish(c, c->menu[0].name);
	config_free(&c);
	return 0;
}
