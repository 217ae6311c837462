/*
 * skills — what one chef can cook, as its READY said (proto.h).
 *
 * READY's skills field names dishes, '\n'-joined, as on kitchend's menu
 * (ASCII case ignored), and PROTO_SKILL_ANY for every dish that runs no
 * program. A dish that runs a program goes only to a chef that names it:
 * only a chef's own configuration says which programs run on its machine.
 * A name that is not on the menu is kept, not an error (the menu may gain
 * it on a reload); skills_resolve() looks the names up again then.
 *
 * Most chefs cook everything (every local chef of the default
 * configuration): skills_all() says so, and the dispatcher asks nothing
 * more of them.
 *
 *	r = skills_parse(&c->skills, field->data, field->len);   // READY
 *	skills_resolve(&c->skills, &k->menu);                     // and at each reload
 *	if (skills_can(&c->skills, d->item)) ...
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct menu;
struct menu_item;

struct skills {
	bool any;                           /* PROTO_SKILL_ANY: every dish that runs no program */
	bool all;                           /* every dish of the current menu (skills_resolve()) */
	char *names;                        /* the names, NUL-separated, n of them */
	size_t n;
	const struct menu_item **items;     /* those on the current menu, n_items of them */
	size_t n_items;
};

/*
 * Read a READY's skills field (@len bytes at @text, not NUL-terminated) into
 * @s, which holds none yet. -EINVAL for a malformed field (a name that is
 * not a dish name, more than PROTO_MAX_SKILLS), -ENOMEM.
 */
int skills_parse(struct skills *s, const char *text, size_t len);
void skills_free(struct skills *s);

/* Look the names up on @menu (at READY, and after a reload). -ENOMEM. */
int skills_resolve(struct skills *s, struct menu *menu);

/* Whether @item can be cooked by a chef of skills @s (an item off the menu:
 * yes, so that it fails with its reason wherever it goes). */
bool skills_can(const struct skills *s, const struct menu_item *item);

/* The skills as a line for people: "every dish", "Pizza, Resize", "every
 * dish but programs, and Resize"; @buf of @size. */
const char *skills_describe(const struct skills *s, char *buf, size_t size);
