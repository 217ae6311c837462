/*
 * list — an intrusive doubly linked list: the link lives in the element,
 * so putting an element on a list allocates nothing and taking it off
 * anywhere is O(1).
 *
 *	struct order { ...; struct list_link link; };
 *	struct list held = LIST_INIT;
 *
 *	list_append(&held, &o->link);
 *	for (struct list_link *l = held.head; l; l = l->next) {
 *		struct order *o = list_entry(l, struct order, link);
 *		...
 *	}
 *	list_remove(&held, &o->link);
 *
 * An element may be on as many lists at once as it has links.
 */
#pragma once

#include <stddef.h>

struct list_link {
	struct list_link *prev, *next;
};

struct list {
	struct list_link *head, *tail;
	size_t len;
};

#define LIST_INIT { 0 }

/* The element that holds link @l, a @member of struct @type. */
#define list_entry(l, type, member) ((type *) ((char *) (l) - offsetof(type, member)))

static inline void list_append(struct list *list, struct list_link *l)
{
	l->prev = list->tail;
	l->next = NULL;
	if (list->tail)
		list->tail->next = l;
	else
		list->head = l;
	list->tail = l;
	list->len++;
}

static inline void list_remove(struct list *list, struct list_link *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		list->head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		list->tail = l->prev;
	l->prev = l->next = NULL;
	list->len--;
}
