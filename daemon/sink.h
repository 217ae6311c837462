/*
 * sink — kitchend's PULL socket: what chefs report.
 *
 * PROGRESS is a stage line of a followed dish, republished on the events
 * socket; RESULT answers a batch of dishes, each served or failed. A result
 * counts only for the dish's current attempt at the chef session that holds
 * it (its chef_id and session token, chef_release()); anything else is
 * stale, counted in k->n_stale and ignored, so nothing is served twice and
 * nobody but that session can serve or fail its dishes. What a result does to its dish is
 * orders.h's business.
 */
#pragma once

#include <stdbool.h>

struct kitchen;

/* Read what waits. true: stopped at its budget, there may be more. */
bool sink_read(struct kitchen *k);
