/*
 * cookbook.c — the chef's recipes by dish name; see cookbook.h.
 *
 * The recipes point into the two configurations the cookbook took, which
 * live as long as it does: nothing is copied but the table of pointers.
 */
#include "cookbook.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program_conf.h"
#include "proto.h"
#include "util.h"

_Static_assert(PROGRAM_CONF_MAX_OUTPUT_DEFAULT == RECIPE_MAX_OUTPUT, "one default for max_output");

struct entry {
	const char *name;
	struct recipe recipe;
};

struct cookbook {
	atomic_uint refs;
	struct chef_config *file;
	struct kitchen_config *menu;
	struct entry *entries;
	size_t n;
	char *skills;
};

static const struct entry *find(const struct cookbook *b, const char *dish)
{
	for (size_t i = 0; i < b->n; i++)
		if (program_conf_name_equal(b->entries[i].name, dish))
			return &b->entries[i];
	return NULL;
}

/* Add @d's program unless a recipe of its name is here already (the chef's own wins). */
static int add(struct cookbook *b, const struct config_dish *d, const char *from, char *err,
	       size_t err_size)
{
	const struct config_program *p = d->program;
	struct entry *e;
	const char *why;

	if (!p || find(b, d->name))
		return 0;
	e = &b->entries[b->n];
	*e = (struct entry) {
		.name = d->name,
		.recipe = {
			.argv = (const char *const *) p->argv,
			.dir = p->dir ? p->dir : COOKBOOK_DIR,
			.timeout_ms = p->timeout_ms,
			.grace_ms = COOKBOOK_GRACE_MS,
			.max_output = p->max_output,
			.cpu_seconds = p->cpu_seconds,
			.memory_bytes = p->memory_bytes,
			.open_files = p->open_files,
		},
	};
	why = recipe_invalid(&e->recipe);
	if (why) {
		snprintf(err, err_size, "%s: dish \"%s\": %s", from, d->name, why);
		return -EINVAL;
	}
	b->n++;
	return 0;
}

static int make_skills(struct cookbook *b, char *err, size_t err_size)
{
	size_t len = 0, n = 0;
	FILE *f;

	if (!(b->file && b->file->dishes) && b->n + 1 > PROTO_MAX_SKILLS) {
		snprintf(err, err_size,
			 "%zu recipes and \"*\" are more names than a chef's skills hold (%d): "
			 "list the dishes this chef cooks in \"dishes\"",
			 b->n, PROTO_MAX_SKILLS);
		return -EINVAL;
	}
	f = open_memstream(&b->skills, &len);
	if (!f)
		return -ENOMEM;
	if (b->file && b->file->dishes) {
		for (size_t i = 0; i < b->file->n_dishes; i++)
			fprintf(f, "%s%s", n++ ? "\n" : "", b->file->dishes[i]);
	} else {
		fputs(PROTO_SKILL_ANY, f);
		for (size_t i = 0; i < b->n; i++)
			fprintf(f, "\n%s", b->entries[i].name);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	return 0;
}

int cookbook_new(struct chef_config **file, struct kitchen_config **menu, struct cookbook **ret,
		 char *err, size_t err_size)
{
	struct cookbook *b = calloc(1, sizeof(*b));
	size_t max;
	int r;

	if (!b)
		return -ENOMEM;
	atomic_init(&b->refs, 1);
	b->file = file ? TAKE_PTR(*file) : NULL;
	b->menu = menu ? TAKE_PTR(*menu) : NULL;
	max = (b->file ? b->file->n_recipes : 0) + (b->menu ? b->menu->n_menu : 0);
	b->entries = calloc(max + 1, sizeof(*b->entries));
	if (!b->entries) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; b->file && i < b->file->n_recipes; i++) {
		r = add(b, &b->file->recipes[i], b->file->path, err, err_size);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; b->menu && i < b->menu->n_menu; i++) {
		r = add(b, &b->menu->menu[i], b->menu->path ? b->menu->path : "kitchen.conf", err,
			err_size);
		if (r < 0)
			goto fail;
	}
	r = make_skills(b, err, err_size);
	if (r < 0)
		goto fail;
	*ret = b;
	return 0;
fail:
	cookbook_unref(&b);
	return r;
}

struct cookbook *cookbook_ref(struct cookbook *b)
{
	if (b)
		atomic_fetch_add(&b->refs, 1);
	return b;
}

void cookbook_unref(struct cookbook **bp)
{
	struct cookbook *b;

	if (!bp || !*bp)
		return;
	b = TAKE_PTR(*bp);
	if (atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	chef_config_free(&b->file);
	config_free(&b->menu);
	free(b->entries);
	free(b->skills);
	free(b);
}

const struct recipe *cookbook_find(const struct cookbook *b, const char *dish)
{
	const struct entry *e = b ? find(b, dish) : NULL;

	return e ? &e->recipe : NULL;
}

const char *cookbook_skills(const struct cookbook *b)
{
	return b && b->skills ? b->skills : PROTO_SKILL_ANY;
}

size_t cookbook_size(const struct cookbook *b)
{
	return b ? b->n : 0;
}
