/*
 * reload — SIGHUP and kitchenctl reload: the configuration file read again
 * and applied, or refused whole with the running one kept. What a reload
 * changes and what needs a restart: kitchend(8).
 */
#pragma once

#include <stddef.h>

#include "config.h"
#include "pool.h"
#include "store.h"

struct kitchen;

/* Re-read the configuration file and apply it; on failure keep the running
 * one and put the reason (FILE:LINE: ...) in @err. 0 or -errno. */
int kitchen_reload(struct kitchen *k, char *err, size_t err_size);

/* What local chefs are started with, from @c. */
void kitchen_pool_args(const struct kitchen_config *c, struct pool_args *a);

/* What the order store keeps of finished orders, from @c (history.*, and
 * orders.key_retention_s: a keyed order stays while its key is valid). */
void kitchen_retention(const struct kitchen_config *c, struct store_retention *r);
