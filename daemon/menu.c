#include "menu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "casefold.h"

void menu_init(struct menu *m)
{
	*m = (struct menu) { 0 };
}

static void item_free(struct menu_item *it)
{
	free(it->name);
	free(it->ingredients);
	free(it);
}

void menu_finish(struct menu *m)
{
	while (m->items) {
		struct menu_item *next = m->items->next;
		item_free(m->items);
		m->items = next;
	}
	m->config = NULL;
}

static char *join_ingredients(const struct config_dish *d)
{
	size_t len = 0, off = 0;
	char *s;

	for (size_t i = 0; i < d->n_ingredients; i++)
		len += strlen(d->ingredients[i]) + 1;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < d->n_ingredients; i++) {
		size_t n = strlen(d->ingredients[i]);
		if (i > 0)
			s[off++] = '\n';
		memcpy(s + off, d->ingredients[i], n);
		off += n;
	}
	s[off] = '\0';
	return s;
}

/* Names differ from one another even with case ignored, so the item spelt
 * exactly as @name is the one; most names come so (from the store, or from
 * the menu itself), and strcmp() costs a fraction of folding them. */
static struct menu_item *find_item(struct menu *m, const char *name)
{
	for (struct menu_item *it = m->items; it; it = it->next)
		if (strcmp(it->name, name) == 0)
			return it;
	for (struct menu_item *it = m->items; it; it = it->next)
		if (casefold_equal(it->name, name))
			return it;
	return NULL;
}

struct menu_item *menu_intern(struct menu *m, const char *name)
{
	struct menu_item *it = find_item(m, name);

	if (it)
		return it;
	it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->name = strdup(name);
	if (!it->name) {
		free(it);
		return NULL;
	}
	it->next = m->items;
	m->items = it;
	return it;
}

int menu_apply(struct menu *m, const struct kitchen_config *c)
{
	/* Intern every dish of the new menu first, so a failure leaves the
	 * old recipes in place. */
	for (size_t i = 0; i < c->n_menu; i++)
		if (!menu_intern(m, c->menu[i].name))
			return -ENOMEM;

	for (struct menu_item *it = m->items; it; it = it->next) {
		const struct config_dish *d = config_find_dish(c, it->name);
		char *ingredients = NULL;

		if (d) {
			ingredients = join_ingredients(d);
			if (!ingredients)
				return -ENOMEM;
			/* Keep the menu's spelling for names ordered in another case. */
			if (strcmp(it->name, d->name) != 0 && strlen(it->name) == strlen(d->name))
				memcpy(it->name, d->name, strlen(d->name));
		}
		free(it->ingredients);
		it->ingredients = ingredients;
		it->recipe = d;
	}
	m->config = c;
	return 0;
}

struct menu_item *menu_lookup(struct menu *m, const char *name)
{
	struct menu_item *it = find_item(m, name);

	return it && it->recipe ? it : NULL;
}

char *menu_list(const struct menu *m)
{
	const struct kitchen_config *c = m->config;
	size_t len = 1, off = 0;
	char *s;

	for (size_t i = 0; i < c->n_menu; i++)
		len += strlen(c->menu[i].name) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	for (size_t i = 0; i < c->n_menu; i++) {
		size_t n = strlen(c->menu[i].name);
		if (i > 0) {
			memcpy(s + off, ", ", 2);
			off += 2;
		}
		memcpy(s + off, c->menu[i].name, n);
		off += n;
	}
	s[off] = '\0';
	return s;
}
