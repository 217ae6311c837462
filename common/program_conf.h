/*
 * program_conf — a dish that runs a program, as kitchen.conf's menu and
 * chef.conf's recipes write it: one reader for both files.
 *
 * An entry is a group. Its name, and then either the simulated pipeline's
 * ingredients (kitchen.conf only) or a program:
 *
 *	{ name = "Pizza"; ingredients = [ "Flour", "Yeast" ]; }
 *	{
 *		name = "Prime Check";
 *		run = [ "factor", "--", "{input}" ];  # argv, never a shell line
 *		dir = "/var/lib/kitchen";             # working directory; default "/"
 *		timeout = "30s";                      # a duration, as history.keep; "none" (default)
 *		max_output = 1048576;                 # bytes of stdout kept, 1..16 MiB; default 1 MiB
 *		limits = { cpu_seconds = 10; memory = 536870912; open_files = 64; };  # 0: not set
 *	}
 *
 * run is a list or an array of 1..PROGRAM_CONF_MAX_ARGS strings of text
 * (UTF-8, no control characters): argv[0] the program (a path, or a name
 * looked up in the chef's RECIPE_PATH), not empty and not "{input}"; at most
 * one later element exactly "{input}", which the dish's input replaces
 * (workers/recipe.h says how it can never become an option). Both
 * ingredients and run, or neither, are refused; so is any other key. Every
 * refusal is "FILE:LINE: ..." like the rest of the file (conftab.h).
 *
 * The strings of the result are copies the caller owns
 * (program_conf_free(), or config_free() / chef_config_free() for the
 * entries they hold); libconfig stays inside common/.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "conftab.h"

#define PROGRAM_CONF_INPUT "{input}"
#define PROGRAM_CONF_MAX_ARGS 64
#define PROGRAM_CONF_MAX_ARG 4096 /* bytes of one element */
#define PROGRAM_CONF_MAX_OUTPUT_DEFAULT (1024 * 1024)
#define PROGRAM_CONF_MAX_TIMEOUT_S 86400
#define PROGRAM_CONF_MAX_CPU_SECONDS 86400
#define PROGRAM_CONF_MAX_MEMORY (1ull << 44) /* 16 TiB: "no limit" has its own word, 0 */
#define PROGRAM_CONF_MAX_OPEN_FILES 1048576

/* Which file the entry is in. */
enum program_conf_kind {
	PROGRAM_CONF_MENU,   /* kitchen.conf's menu: ingredients or run */
	PROGRAM_CONF_RECIPE, /* chef.conf's recipes: run */
};

/* One entry as read; the caller takes what it keeps. */
struct program_conf_entry {
	char *name;                          /* checked: 1..PROTO_MAX_NAME bytes of text */
	const config_setting_t *ingredients; /* a menu dish's, for the caller to read; else NULL */
	struct config_program *program;      /* NULL when it has ingredients */
};

/*
 * Read the group @e (@where names it in messages: "menu[2]") into @ret,
 * which must be zeroed. 0, or -errno with t->err set; on failure @ret may
 * hold what was read so far: program_conf_entry_clear() it.
 */
int program_conf_read(struct conftab *t, const config_setting_t *e, const char *where,
		      enum program_conf_kind kind, struct program_conf_entry *ret);
void program_conf_entry_clear(struct program_conf_entry *e);

/* A dish or ingredient name (@what: "dish", "ingredient") at @s: 0 or conftab_fail(). */
int program_conf_check_name(struct conftab *t, const config_setting_t *s, const char *what);

/* Case ignored (casefold.h), as kitchend's menu compares dish names. */
bool program_conf_name_equal(const char *a, const char *b);

void program_conf_free(struct config_program **p); /* NULL and *p == NULL are fine */

/* Write @p's keys ("run = [ ... ]; dir = ...; ...") in libconfig syntax, on one line. */
void program_conf_dump(const struct config_program *p, FILE *f);
