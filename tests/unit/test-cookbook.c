/*
 * test-cookbook — the chef's recipes (workers/cookbook.c) from a chef.conf
 * and a kitchen.conf the test writes: lookup ignoring case, the chef's own
 * recipe first, the skills READY says, a bad recipe refused, and a
 * reference that outlives the chef's; more recipes than READY's skills
 * hold, refused.
 */
#include "cookbook.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-cookbook.XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
	return path;
}

static int load(const char *chef_text, const char *kitchen_text, struct cookbook **ret, char *err, size_t size)
{
	struct chef_config *file = NULL;
	struct kitchen_config *menu = NULL;
	int r;

	if (chef_text && chef_config_load(write_file("chef.conf", chef_text), &file, err, size) < 0)
		return -EIO;
	if (kitchen_text &&
	    config_load(write_file("kitchen.conf", kitchen_text), &menu, err, size) < 0) {
		chef_config_free(&file);
		return -EIO;
	}
	r = cookbook_new(&file, &menu, ret, err, size);
	if (file || menu)
		return -EFAULT;  /* taken, whatever happened */
	return r;
}

static const char kitchen_conf[] =
	"state_dir = \"/tmp\";\n"
	"menu = ( { name = \"Pizza\"; ingredients = [ \"Flour\" ]; },\n"
	"\t{ name = \"Prime Check\"; run = [ \"factor\", \"--\", \"{input}\" ]; timeout = \"30s\"; },\n"
	"\t{ name = \"Resize\"; run = [ \"false\" ]; } );\n";

static int test_both_files(void)
{
	struct cookbook *b = NULL, *held;
	const struct recipe *r;
	char err[512] = "";

	CHECK(load("recipes = ( { name = \"RESIZE\"; run = [ \"convert\", \"-\" ]; dir = \"/srv\"; "
		   "limits = { open_files = 64; }; } );\n",
		   kitchen_conf, &b, err, sizeof(err)) == 0);
	CHECK(cookbook_size(b) == 2);
	r = cookbook_find(b, "prime check");
	CHECK(r && strcmp(r->argv[0], "factor") == 0 && r->timeout_ms == 30000);
	CHECK(strcmp(r->dir, COOKBOOK_DIR) == 0 && r->grace_ms == COOKBOOK_GRACE_MS);
	CHECK(r->max_output == RECIPE_MAX_OUTPUT);
	/* The chef's own recipe wins. */
	r = cookbook_find(b, "Resize");
	CHECK(r && strcmp(r->argv[0], "convert") == 0 && strcmp(r->dir, "/srv") == 0 && r->open_files == 64);
	CHECK(cookbook_find(b, "Pizza") == NULL && cookbook_find(b, "Prime") == NULL);
	CHECK(strcmp(cookbook_skills(b), "*\nRESIZE\nPrime Check") == 0);

	/* A ticket's reference keeps the recipe after the chef let go of the cookbook. */
	held = cookbook_ref(b);
	r = cookbook_find(held, "Prime Check");
	cookbook_unref(&b);
	CHECK(b == NULL);
	CHECK(strcmp(r->argv[2], "{input}") == 0);
	cookbook_unref(&held);
	cookbook_unref(&held);
	cookbook_unref(NULL);
	return 0;
}

static int test_skills(void)
{
	struct cookbook *b = NULL;
	char err[512] = "";

	CHECK(load(NULL, NULL, &b, err, sizeof(err)) == 0);
	CHECK(cookbook_size(b) == 0 && strcmp(cookbook_skills(b), "*") == 0);
	CHECK(cookbook_find(b, "Pizza") == NULL);
	cookbook_unref(&b);

	/* dishes say it all: no "*" unless written. */
	CHECK(load("dishes = [ \"Prime Check\", \"Salad\" ];\n", kitchen_conf, &b, err, sizeof(err)) == 0);
	CHECK(strcmp(cookbook_skills(b), "Prime Check\nSalad") == 0);
	CHECK(cookbook_size(b) == 2);
	cookbook_unref(&b);
	return 0;
}

static int test_refused(void)
{
	struct cookbook *b = NULL;
	char err[512] = "";

	/* Loaders check what recipe_invalid() checks; a dir too long only it sees. */
	char text[PATH_MAX + 200];

	snprintf(text, sizeof(text), "recipes = ( { name = \"Long\"; run = [ \"x\" ]; dir = \"/%0*d\"; } );\n",
		 PATH_MAX, 0);
	CHECK(load(text, NULL, &b, err, sizeof(err)) == -EINVAL && b == NULL);
	CHECK(strstr(err, "dish \"Long\": the recipe's working directory is too long") != NULL);
	return 0;
}

/* 255 recipes and "*" fill READY's skills; one more is refused, not cut. */
static int test_too_many(void)
{
	struct cookbook *b = NULL;
	char err[512] = "";
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	for (int n = 255; n <= 256; n++) {
		f = open_memstream(&text, &len);
		CHECK(f != NULL);
		fputs("recipes = (", f);
		for (int i = 0; i < n; i++)
			fprintf(f, "%s{ name = \"R%d\"; run = [ \"true\" ]; }", i ? ", " : "", i);
		fputs(");\n", f);
		CHECK(fclose(f) == 0);
		if (n == 255) {
			CHECK(load(text, NULL, &b, err, sizeof(err)) == 0);
			CHECK(strstr(cookbook_skills(b), "\nR254") != NULL);
			cookbook_unref(&b);
		} else {
			CHECK(load(text, NULL, &b, err, sizeof(err)) == -EINVAL && b == NULL);
			CHECK(strstr(err, "256 recipes and \"*\" are more names") != NULL);
		}
		free(text);
		text = NULL;
	}
	return 0;
}

static const struct tap_case cases[] = {
	{ "recipes of chef.conf and kitchen.conf, the chef's first", test_both_files },
	{ "skills: \"*\" and recipes, or dishes", test_skills },
	{ "a recipe recipe_invalid() refuses", test_refused },
	{ "more recipes than skills hold without dishes: refused", test_too_many },
};

int main(void)
{
	int r;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 99;
	}
	r = tap_run(cases, ELEMENTSOF(cases));
	unlink(write_file("chef.conf", ""));
	unlink(write_file("kitchen.conf", ""));
	rmdir(tmpdir);
	return r;
}
