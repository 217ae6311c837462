/*
 * report — kitchend's replies as structs, and how kitchenctl prints them.
 *
 * Decoders take an OK reply (struct proto_msg, fields after "OK") and check
 * every field: counts, numbers, text, the state words. Anything off is
 * -EBADMSG, so a bad reply is refused as a whole instead of half-printed.
 * Decoded strings are copies, owned by the struct; *_free() accepts NULL.
 *
 * Each report prints two ways: for people (*_print, on a FILE) and as
 * JSON (*_json, one value on a struct json). The formats are kitchenctl(1)'s.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "proto.h"

/* Whether a dish, or an order, is done: served, failed or cancelled (proto.h names the states). */
bool report_state_done(enum proto_state s);

struct dish_report {
	uint64_t index;
	char *name;
	enum proto_state state;
	uint64_t attempts;
	char *chef;            /* "" when no chef has it */
	char *result;          /* "Served Pizza", or the reason it failed or was cancelled */
	char *detail;          /* '\n'-joined items (served) or reasons (failed, cancelled) */
	uint64_t started_ms;   /* wall clock: its last attempt handed to a chef; 0: none (queued) */
	uint64_t finished_ms;  /* wall clock: served, failed or cancelled; 0: not yet */
};

/* A dish's whole output, as OUTPUT gives it (--output --json). */
struct dish_output {
	char *data;            /* NULL: the dish was not served */
	size_t len;
};

struct order_report {
	uint64_t id;
	enum proto_state state;
	uint64_t created_ms;
	uint64_t served;
	uint64_t failed;
	uint64_t cancelled;
	uint64_t priority;            /* PROTO_PRIORITY_MIN .. PROTO_PRIORITY_MAX */
	uint64_t due_ms;              /* wall clock: its dishes wait until then; 0: at once */
	size_t n_dishes;
	struct dish_report *dishes;   /* in order of ordering */
	struct dish_output *outputs;  /* n_dishes of them, filled by --output --json; else NULL */
};

/* OK order_id state created_ms dishes served failed cancelled priority due_ms
 * (index name state attempts chef result detail started_ms finished_ms)...,
 * each dish's group one packed frame. */
int order_report_decode(const struct proto_msg *m, struct order_report **ret);
void order_report_free(struct order_report **r);
/* The report of an order just placed, without asking kitchend: @n dishes
 * named @names (the menu's spelling), all queued; priority and due time as
 * ordered. Its id is 0 until the caller sets it. */
int order_report_placed(const struct proto_field *names, size_t n, uint64_t priority, uint64_t due_ms,
			struct order_report **ret);
/* @r is served, as a WAITS said: every dish served (their chefs, results
 * and times stay as they were: a WAITS does not say them). */
void order_report_served(struct order_report *r);
/* "order 42: served, 2 dishes (2 served, 0 failed)", then "; priority 7" when
 * not the default and "; due at 18:30:00" for an order due later than it was
 * made, and a line per dish (a queued one of an order not yet due: "queued
 * until 18:30:00"; a served one with its result, the start of its output).
 * When a result is an output cut short, a last line says how to get them
 * whole (`wait ID --output`). */
void order_report_print(const struct order_report *r, FILE *f);
/* With r->outputs, a served dish has its "output" too: a string when it is
 * UTF-8, else "output_base64". */
void order_report_json(const struct order_report *r, struct json *j);
/* The same with a first key "event" (a line of a --follow stream): @event; NULL: none. */
void order_report_json_event(const struct order_report *r, const char *event, struct json *j);

struct chef_report {
	char *name;
	char *host;
	uint64_t pid;
	uint64_t stations;
	uint64_t busy;
	char *state;
	uint64_t served;
	bool local;
	char *cooks;          /* its skills, for people: "every dish", "Pizza, Resize" */
};

struct chef_list {
	size_t n;
	struct chef_report *chefs;
};

struct status_report {
	char *version;
	uint64_t uptime_ms;
	uint64_t queued, cooking, served, failed, cancelled;
	uint64_t orders;
	uint64_t malformed;
	bool store_full;      /* the order store's disk is full: orders are refused */
	size_t n_waiting;
	struct waiting_dish {
		char *name;
		uint64_t dishes, able;  /* dishes set aside; chefs that can cook it */
	} *waiting;               /* STATUS's waiting (proto.h) */
	struct chef_list chefs;
};

/* OK version uptime_ms queued cooking served failed orders malformed store cancelled waiting (chef group)... */
int status_report_decode(const struct proto_msg *m, struct status_report **ret);
void status_report_free(struct status_report **r);
void status_report_print(const struct status_report *r, FILE *f);
void status_report_json(const struct status_report *r, struct json *j);

/* OK (name host pid stations busy state served local skills)... */
int chef_list_decode(const struct proto_msg *m, struct chef_list **ret);
void chef_list_free(struct chef_list **l);
/* A table with a header line; "no chefs" when empty. */
void chef_list_print(const struct chef_list *l, FILE *f);
void chef_list_json(const struct chef_list *l, struct json *j);

struct menu_dish {
	char *name;
	char *ingredients;     /* '\n'-joined */
};

struct menu {
	size_t n;
	struct menu_dish *dishes;
};

/* OK (name ingredients)... */
int menu_decode(const struct proto_msg *m, struct menu **ret);
void menu_free(struct menu **m);
/* "Pizza: Flour, Yeast, ..." per dish. */
void menu_print(const struct menu *m, FILE *f);
void menu_json(const struct menu *m, struct json *j);

/* An order as LIST lists it. */
struct listed_order {
	uint64_t id;
	char *state;           /* a dish state's name, or PROTO_LIST_DELAYED */
	uint64_t created_ms;
	uint64_t due_ms;       /* 0: at once */
	char *key;             /* "" for none */
	uint64_t queued, cooking, served, failed, cancelled;
	char *dishes;          /* '\n'-joined */
};

/* A page of LIST. */
struct order_page {
	uint64_t next;         /* the next page's "before"; 0: none left */
	size_t n;
	struct listed_order *orders;
};

/* OK next (order_id state created_ms due_ms key queued cooking served failed cancelled dishes)... */
int order_page_decode(const struct proto_msg *m, struct order_page **ret);
void order_page_free(struct order_page **p);
/* "order 42  2026-12-06 10:00:01  served  2 dishes (2 served): Pizza, Salad  key 'k'" */
void listed_order_print(const struct listed_order *o, FILE *f);
/* {"order": 42, "state": "served", "created_ms": ..., "due_ms": null, "key": "k",
 *  "queued": 0, "cooking": 0, "served": 2, "failed": 0, "cancelled": 0, "dishes": [...]} */
void listed_order_json(const struct listed_order *o, struct json *j);
