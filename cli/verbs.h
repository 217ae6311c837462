/*
 * verbs — one function per kitchenctl verb; kitchenctl.c keeps the sorted
 * table. Each gets the verb's arguments (after the verb itself), with their
 * count already checked against the table, and returns as ctl.h says.
 */
#pragma once

#include <stddef.h>

#include "ctl.h"

int verb_cancel(struct ctl *ctl, char **args, size_t n_args);  /* verb_book.c */
int verb_chefs(struct ctl *ctl, char **args, size_t n_args);   /* verb_query.c */
int verb_drain(struct ctl *ctl, char **args, size_t n_args);   /* verb_admin.c */
int verb_follow(struct ctl *ctl, char **args, size_t n_args);  /* verb_wait.c */
int verb_keygen(struct ctl *ctl, char **args, size_t n_args);  /* verb_keygen.c */
int verb_list(struct ctl *ctl, char **args, size_t n_args);    /* verb_list.c */
int verb_menu(struct ctl *ctl, char **args, size_t n_args);    /* verb_query.c */
int verb_metrics(struct ctl *ctl, char **args, size_t n_args); /* verb_metrics.c */
int verb_order(struct ctl *ctl, char **args, size_t n_args);   /* verb_order.c */
int verb_purge(struct ctl *ctl, char **args, size_t n_args);   /* verb_book.c */
int verb_reload(struct ctl *ctl, char **args, size_t n_args);  /* verb_admin.c */
int verb_retry(struct ctl *ctl, char **args, size_t n_args);   /* verb_book.c */
int verb_show(struct ctl *ctl, char **args, size_t n_args);    /* verb_query.c */
int verb_status(struct ctl *ctl, char **args, size_t n_args);  /* verb_query.c */
int verb_wait(struct ctl *ctl, char **args, size_t n_args);    /* verb_wait.c */

/* LIST (verb_list.c, also for retry --failed): one page of at most @limit
 * orders in @state (NULL: any) below id @before (0: from the newest), with
 * the filters --dish, --key, --since and --until; checked to be one. */
struct order_page;
int list_page(struct ctl *ctl, const char *state, uint64_t limit, uint64_t before, struct order_page **ret);
