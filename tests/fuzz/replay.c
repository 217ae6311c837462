/*
 * replay — run a libFuzzer harness over files, without libFuzzer: each
 * argument is a file or a directory of files, each file one input to
 * LLVMFuzzerTestOneInput(). Builds without -Dfuzz=true link the harnesses
 * with this, so every build replays the seed corpus (and any crash input
 * saved there) under its own compiler and sanitizers.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "re");
	uint8_t *data = NULL;
	long size;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	data = malloc(size ? (size_t) size : 1);
	if (!data || fread(data, 1, (size_t) size, f) != (size_t) size) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, (size_t) size);
	free(data);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	unsigned n = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		struct stat st;
		int k;

		if (stat(argv[i], &st) < 0 || !S_ISDIR(st.st_mode)) {
			bad += run_file(argv[i]) < 0;
			n++;
			continue;
		}
		k = scandir(argv[i], &names, NULL, by_name);
		if (k < 0) {
			fprintf(stderr, "replay: cannot list %s\n", argv[i]);
			bad++;
			continue;
		}
		for (int j = 0; j < k; j++) {
			char path[4096];

			if (names[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
				bad += run_file(path) < 0;
				n++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("replay: %u inputs, %u unreadable\n", n, bad);
	return bad || n == 0 ? 1 : 0;
}
