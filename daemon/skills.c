#include "skills.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "menu.h"
#include "proto.h"

int skills_parse(struct skills *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char *names;
	size_t n = 0, at = 0;

	*s = (struct skills) { 0 };
	names = malloc(len + 1);
	if (!names)
		return -ENOMEM;
	while (len > 0 && p <= end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t k = (size_t) ((nl ? nl : end) - p);

		if (k == 0 || k > PROTO_MAX_NAME || !proto_text_valid(p, k, false) || n == PROTO_MAX_SKILLS) {
			free(names);
			return -EINVAL;
		}
		if (k == strlen(PROTO_SKILL_ANY) && memcmp(p, PROTO_SKILL_ANY, k) == 0)
			s->any = true;
		else {
			memcpy(names + at, p, k);
			names[at + k] = '\0';
			at += k + 1;
			n++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	s->names = names;
	s->n = n;
	return 0;
}

void skills_free(struct skills *s)
{
	free(s->names);
	free(s->items);
	*s = (struct skills) { 0 };
}

int skills_resolve(struct skills *s, struct menu *menu)
{
	const struct menu_item **items = NULL;
	const char *name = s->names;
	size_t n_items = 0, on_menu = 0, programs = 0, named_programs = 0;

	if (s->n > 0) {
		items = calloc(s->n, sizeof(*items));
		if (!items)
			return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++, name += strlen(name) + 1) {
		const struct menu_item *it = menu_lookup(menu, name);

		if (!it)
			continue;
		/* A name twice ("Pizza", "pizza") counts once. */
		bool again = false;
		for (size_t j = 0; j < n_items; j++)
			again = again || items[j] == it;
		if (!again)
			items[n_items++] = it;
	}
	for (const struct menu_item *it = menu->items; it; it = it->next) {
		if (!it->recipe)
			continue;
		on_menu++;
		if (it->recipe->program)
			programs++;
	}
	for (size_t j = 0; j < n_items; j++)
		named_programs += items[j]->recipe->program != NULL;
	free(s->items);
	s->items = items;
	s->n_items = n_items;
	/* Every program named, and everything else by "*" or by name. */
	s->all = named_programs == programs && (s->any || n_items == on_menu);
	return 0;
}

bool skills_can(const struct skills *s, const struct menu_item *item)
{
	if (s->all || !item->recipe)
		return true;
	if (s->any && !item->recipe->program)
		return true;
	for (size_t i = 0; i < s->n_items; i++)
		if (s->items[i] == item)
			return true;
	return false;
}

const char *skills_describe(const struct skills *s, char *buf, size_t size)
{
	const char *name = s->names;
	size_t at;

	if (s->all)
		return "every dish";
	at = (size_t) snprintf(buf, size, "%s", s->any ? "every dish but programs" : "");
	for (size_t i = 0; i < s->n && at < size; i++, name += strlen(name) + 1)
		at += (size_t) snprintf(buf + at, size - at, "%s%s", at ? (s->any && i == 0 ? ", and " : ", ") : "",
					name);
	if (at == 0)
		snprintf(buf, size, "no dish");
	return buf;
}
