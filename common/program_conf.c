/*
 * program_conf.c — a menu entry or a recipe, read with a small conftab table
 * of its own (see program_conf.h). The entry's name, ingredients and run are
 * CUSTOM keys that only note their setting; the checks that need them all
 * come once the walk is done.
 */
#include "program_conf.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "casefold.h"
#include "proto.h"
#include "util.h"

/* What one entry says, before it is checked as a whole. */
struct stage {
	const config_setting_t *name, *ingredients, *run;
	char *dir;
	uint64_t timeout_s;
	uint64_t max_output;
	uint64_t cpu_seconds, memory, open_files;
	bool has_program_key; /* any key beside name and ingredients */
};

static int note_name(struct conftab *t, void *obj, const config_setting_t *s)
{
	((struct stage *) obj)->name = s;
	return 0;
}

static int note_ingredients(struct conftab *t, void *obj, const config_setting_t *s)
{
	((struct stage *) obj)->ingredients = s;
	return 0;
}

static int note_run(struct conftab *t, void *obj, const config_setting_t *s)
{
	((struct stage *) obj)->run = s;
	return 0;
}

#define OFF(f) offsetof(struct stage, f)

static const struct conftab_key keys[] = {
	{ "name", CONFTAB_CUSTOM, .read = note_name },
	{ "ingredients", CONFTAB_CUSTOM, .read = note_ingredients },
	{ "run", CONFTAB_CUSTOM, .read = note_run },
	{ "dir", CONFTAB_STRING, OFF(dir), .check = conftab_check_path },
	{ "timeout", CONFTAB_DURATION, OFF(timeout_s), .min = 0, .max = PROGRAM_CONF_MAX_TIMEOUT_S,
	  .zero = "none" },
	{ "max_output", CONFTAB_U64, OFF(max_output), .min = 1, .max = PROTO_MAX_OUTPUT },
	{ "limits.cpu_seconds", CONFTAB_U64, OFF(cpu_seconds), .min = 0,
	  .max = PROGRAM_CONF_MAX_CPU_SECONDS },
	{ "limits.memory", CONFTAB_U64, OFF(memory), .min = 0, .max = PROGRAM_CONF_MAX_MEMORY },
	{ "limits.open_files", CONFTAB_U64, OFF(open_files), .min = 0,
	  .max = PROGRAM_CONF_MAX_OPEN_FILES },
};

bool program_conf_name_equal(const char *a, const char *b)
{
	return casefold_equal(a, b);
}

int program_conf_check_name(struct conftab *t, const config_setting_t *s, const char *what)
{
	char name[128];
	const char *v;
	size_t n;

	conftab_setting_name(s, name, sizeof(name));
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conftab_fail(t, s, "%s must be a string", name);
	v = config_setting_get_string(s);
	n = strlen(v);
	if (n < 1 || n > PROTO_MAX_NAME)
		return conftab_fail(t, s, "%s: %s names are 1..%d bytes, not %zu", name, what,
				    PROTO_MAX_NAME, n);
	if (!proto_text_valid(v, n, false))
		return conftab_fail(t, s, "%s must be UTF-8 text without control characters", name);
	return 0;
}

void program_conf_free(struct config_program **pp)
{
	struct config_program *p;

	if (!pp || !*pp)
		return;
	p = *pp;
	for (char **a = p->argv; a && *a; a++)
		free(*a);
	free(p->argv);
	free(p->dir);
	free(p);
	*pp = NULL;
}

void program_conf_entry_clear(struct program_conf_entry *e)
{
	free(e->name);
	program_conf_free(&e->program);
	*e = (struct program_conf_entry) {};
}

/* The argv of run = [ ... ], checked as recipe_invalid() will check it at the chef. */
static int read_run(struct conftab *t, const config_setting_t *s, const char *where, char ***ret)
{
	char **argv;
	int n, inputs = 0;

	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return conftab_fail(t, s, "%s.run must be an array: [ \"program\", \"argument\", ... ]",
				    where);
	n = config_setting_length(s);
	if (n < 1 || n > PROGRAM_CONF_MAX_ARGS)
		return conftab_fail(
			t, s, "%s.run: a program has 1..%d elements (itself and its arguments), not %d",
			where, PROGRAM_CONF_MAX_ARGS, n);
	argv = calloc((size_t) n + 1, sizeof(char *));
	if (!argv)
		return conftab_fail_errno(t, -ENOMEM, where);
	*ret = argv;
	for (int i = 0; i < n; i++) {
		const config_setting_t *a = config_setting_get_elem(s, (unsigned) i);
		const char *v;
		size_t len;

		if (config_setting_type(a) != CONFIG_TYPE_STRING)
			return conftab_fail(t, a, "%s.run[%d] must be a string", where, i);
		v = config_setting_get_string(a);
		len = strlen(v);
		if (i == 0 && len == 0)
			return conftab_fail(t, a, "%s.run[0], the program, must not be empty", where);
		if (i == 0 && strcmp(v, PROGRAM_CONF_INPUT) == 0)
			return conftab_fail(t, a, "%s.run[0], the program, cannot be the input", where);
		if (len > PROGRAM_CONF_MAX_ARG)
			return conftab_fail(t, a, "%s.run[%d] is %zu bytes, more than %d", where, i, len,
					    PROGRAM_CONF_MAX_ARG);
		if (!proto_text_valid(v, len, false))
			return conftab_fail(t, a,
					    "%s.run[%d] must be UTF-8 text without control characters",
					    where, i);
		if (i > 0 && strcmp(v, PROGRAM_CONF_INPUT) == 0 && ++inputs > 1)
			return conftab_fail(t, a, "%s.run has more than one \"" PROGRAM_CONF_INPUT "\"",
					    where);
		argv[i] = strdup(v);
		if (!argv[i])
			return conftab_fail_errno(t, -ENOMEM, where);
	}
	return 0;
}

/* The first member of @e that the table does not name, said with the entry's name. */
static int check_members(struct conftab *t, const config_setting_t *e, const char *where)
{
	for (int i = 0; i < config_setting_length(e); i++) {
		const config_setting_t *m = config_setting_get_elem(e, (unsigned) i);
		const char *name = config_setting_name(m);
		bool known = strcmp(name, "limits") == 0;

		for (size_t k = 0; !known && k < ELEMENTSOF(keys); k++)
			known = strcmp(keys[k].name, name) == 0;
		if (!known)
			return conftab_fail(t, m, "unknown key '%s.%s'", where, name);
	}
	return 0;
}

int program_conf_read(struct conftab *t, const config_setting_t *e, const char *where,
		      enum program_conf_kind kind, struct program_conf_entry *ret)
{
	/* The same file and messages, this table. */
	struct conftab sub = *t;
	struct stage st = {};
	struct config_program *p;
	int r;

	sub.keys = keys;
	sub.n_keys = ELEMENTSOF(keys);

	if (!config_setting_is_group(e))
		return kind == PROGRAM_CONF_MENU
			? conftab_fail(t, e,
				       "%s must be a group: { name = \"...\"; ingredients = [ \"...\", "
				       "... ]; } "
				       "or { name = \"...\"; run = [ \"program\", ... ]; }",
				       where)
			: conftab_fail(
				  t, e,
				  "%s must be a group: { name = \"...\"; run = [ \"program\", ... ]; }",
				  where);
	r = check_members(t, e, where);
	if (r < 0)
		return r;
	r = conftab_walk(&sub, &st, e);
	if (r < 0)
		goto out;
	st.has_program_key = st.run || config_setting_get_member(e, "dir") ||
		config_setting_get_member(e, "timeout") || config_setting_get_member(e, "max_output") ||
		config_setting_get_member(e, "limits");

	if (!st.name) {
		r = conftab_fail(t, e, "%s has no name", where);
		goto out;
	}
	r = program_conf_check_name(t, st.name, "dish");
	if (r < 0)
		goto out;
	if (kind == PROGRAM_CONF_RECIPE && st.ingredients) {
		r = conftab_fail(t, st.ingredients,
				 "%s: a recipe runs a program; ingredients belong on "
				 "kitchen.conf's menu",
				 where);
		goto out;
	}
	if (st.ingredients && st.has_program_key) {
		r = conftab_fail(t, st.run ? st.run : st.ingredients,
				 "%s has both ingredients and a program: a dish is either simulated "
				 "(ingredients) "
				 "or runs a program (run)",
				 where);
		goto out;
	}
	if (!st.ingredients && !st.run) {
		r = kind == PROGRAM_CONF_MENU
			? conftab_fail(t, e,
				       "%s has no ingredients and no run: a dish is either simulated "
				       "(ingredients = [ ... ]) or runs a program (run = [ ... ])",
				       where)
			: conftab_fail(t, e, "%s has no run = [ \"program\", ... ]", where);
		goto out;
	}

	ret->name = strdup(config_setting_get_string(st.name));
	if (!ret->name) {
		r = conftab_fail_errno(t, -ENOMEM, where);
		goto out;
	}
	if (st.ingredients) {
		ret->ingredients = st.ingredients;
		goto out;
	}

	p = calloc(1, sizeof(*p));
	if (!p) {
		r = conftab_fail_errno(t, -ENOMEM, where);
		goto out;
	}
	ret->program = p;
	r = read_run(t, st.run, where, &p->argv);
	if (r < 0)
		goto out;
	p->dir = st.dir;
	st.dir = NULL;
	p->timeout_ms = st.timeout_s * 1000;
	p->max_output = st.max_output ? st.max_output : PROGRAM_CONF_MAX_OUTPUT_DEFAULT;
	p->cpu_seconds = st.cpu_seconds;
	p->memory_bytes = st.memory;
	p->open_files = st.open_files;
out:
	free(st.dir);
	return r;
}

static void dump_u64(FILE *f, const char *key, uint64_t v)
{
	/* libconfig 1.5 wraps an int literal beyond 32 bits: those need the L. */
	fprintf(f, "%s = %" PRIu64 "%s; ", key, v, v > INT32_MAX ? "L" : "");
}

void program_conf_dump(const struct config_program *p, FILE *f)
{
	fputs("run = [ ", f);
	for (size_t i = 0; p->argv[i]; i++) {
		if (i > 0)
			fputs(", ", f);
		conftab_dump_string(f, p->argv[i]);
	}
	fputs(" ]; ", f);
	if (p->dir) {
		fputs("dir = ", f);
		conftab_dump_string(f, p->dir);
		fputs("; ", f);
	}
	if (p->timeout_ms)
		fprintf(f, "timeout = \"%" PRIu64 "s\"; ", p->timeout_ms / 1000);
	dump_u64(f, "max_output", p->max_output ? p->max_output : PROGRAM_CONF_MAX_OUTPUT_DEFAULT);
	if (p->cpu_seconds || p->memory_bytes || p->open_files) {
		fputs("limits = { ", f);
		if (p->cpu_seconds)
			dump_u64(f, "cpu_seconds", p->cpu_seconds);
		if (p->memory_bytes)
			dump_u64(f, "memory", p->memory_bytes);
		if (p->open_files)
			dump_u64(f, "open_files", p->open_files);
		fputs("}; ", f);
	}
}
