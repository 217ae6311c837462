/*
 * cookbook — the recipes a chef knows, by dish name, and the dishes it says
 * it cooks (READY's skills).
 *
 * A chef gets its recipes from two places: its own file (chef --config:
 * chef.conf's recipes and dishes, chef_config.h) and, for a chef kitchend
 * spawns, kitchend's own file (chef --kitchen-config: the menu entries of
 * kitchen.conf that run a program, program_conf.h). A dish name is looked up
 * ASCII case ignored, as kitchend's menu does; the chef's own recipe wins
 * over kitchen.conf's of the same name. The skills are chef.conf's dishes
 * when it has them, else PROTO_SKILL_ANY and every recipe's name.
 *
 * A cookbook is built whole, checked (every recipe as recipe_invalid()
 * wants it) and never changed: a reload (SIGHUP) builds a new one. It is
 * shared by reference: the main thread holds the current one, and each
 * ticket of a program dish holds a reference to the one its recipe came from
 * (ticket.h), so a dish queued or cooking keeps the recipe it was given
 * while a reload swaps the chef's. The count is atomic: the last
 * cookbook_unref() may come from a station thread.
 *
 *	struct chef_config *file = ...;     // or NULL
 *	struct kitchen_config *menu = ...;  // or NULL
 *	r = cookbook_new(&file, &menu, &book, err, sizeof(err));   // takes both
 *	const struct recipe *rc = cookbook_find(book, "Prime Check");
 *	... ticket->book = cookbook_ref(book); ticket->recipe = rc;
 *	cookbook_unref(&book);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "chef_config.h"
#include "config.h"
#include "recipe.h"

/*
 * The SIGTERM-to-SIGKILL grace of a cancelled run. A station holds a
 * cancelled program dish until its group is gone, and the chef takes a
 * station that has not let go of a cancelled dish within STATION_STUCK_MS
 * (2 s, chef.c) for stuck: the grace stays well under it.
 */
#define COOKBOOK_GRACE_MS 1000
/* A recipe's working directory when it names none. */
#define COOKBOOK_DIR "/"

struct cookbook;

/*
 * Build a cookbook from *@file and *@menu (either may be NULL or point to
 * NULL), taking both (they are NULLed, and freed with the cookbook). 0, or
 * -EINVAL with the recipe and the reason in @err (also when, without the
 * file's dishes, "*" and the recipes' names are more than PROTO_MAX_SKILLS),
 * or -ENOMEM.
 */
int cookbook_new(struct chef_config **file, struct kitchen_config **menu, struct cookbook **ret,
		 char *err, size_t err_size);

/* One more reference to @b (NULL is fine); returns @b. */
struct cookbook *cookbook_ref(struct cookbook *b);
/* Drop *b's reference and NULL it; the last frees it. NULL and *b == NULL are fine. */
void cookbook_unref(struct cookbook **b);

/* The recipe for @dish, or NULL. Valid while the caller holds a reference. */
const struct recipe *cookbook_find(const struct cookbook *b, const char *dish);

/* READY's skills: '\n'-joined names; PROTO_SKILL_ANY among them unless
 * chef.conf's dishes leave it out. */
const char *cookbook_skills(const struct cookbook *b);

/* Recipes in @b. */
size_t cookbook_size(const struct cookbook *b);
