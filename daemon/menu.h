/*
 * menu — the dishes kitchend can cook, as queued dishes refer to them.
 *
 * Every dish name ever ordered is interned once as a struct menu_item and
 * lives until exit, so a queued dish holds a pointer, not a string, and a
 * reload that changes the menu cannot pull a name from under it. An item
 * whose dish left the menu keeps its name and loses its recipe (recipe ==
 * NULL): such a dish fails at dispatch with a clear reason.
 */
#pragma once

#include <stddef.h>

#include "config.h"

struct menu_item {
	char *name;
	const struct config_dish *recipe;  /* NULL when no longer on the menu */
	char *ingredients;                 /* '\n'-joined, for DISH messages */
	struct menu_item *next;
};

struct menu {
	struct menu_item *items;
	const struct kitchen_config *config;
};

void menu_init(struct menu *m);
void menu_finish(struct menu *m);

/* Point the menu at @c: recipes are re-resolved by name. 0 or -ENOMEM. */
int menu_apply(struct menu *m, const struct kitchen_config *c);

/* The item on the current menu called @name (case ignored: casefold.h), or NULL. */
struct menu_item *menu_lookup(struct menu *m, const char *name);

/* The item for @name, on the menu or not (for dishes recovered from the
 * store); NULL on ENOMEM. */
struct menu_item *menu_intern(struct menu *m, const char *name);

/* "Pizza, Spaghetti, ..." newly allocated, or NULL on ENOMEM. */
char *menu_list(const struct menu *m);
