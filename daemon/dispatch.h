/*
 * dispatch — chefs on the dispatch socket: who they are, what they hold,
 * whether they live, and handing them dishes against their credit.
 *
 * A chef joins with READY and is on the line (k->chefs, chef.h) until it is
 * declared gone: silent for heartbeat.liveness intervals, unroutable,
 * announced again, or (a local chef) its process exited. The dishes a gone
 * chef held go back to the queue, oldest at the front (orders.h decides
 * their fate). A local chef whose process lives on after it was declared
 * gone (hung, stopped) and does not join again is killed, so that the pool
 * starts another (pool.h).
 *
 * dispatch_cook() fills chefs in turn with what orders_next_for() offers
 * each (what its skills let it cook: skills.h; the dishes it cannot cook go
 * on the shelf for one that can: shelf.h), as far as each one's usable
 * credit goes (chef_usable_credit()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chef;
struct kitchen;

/* Read READYs and heartbeats. true: stopped at its budget. */
bool dispatch_read(struct kitchen *k);
/* Hand queued dishes to chefs with usable credit at @now (ms, monotonic;
 * none while stopping). */
void dispatch_cook(struct kitchen *k, uint64_t now);
/* Whether a queued dish could go out at @now. */
bool dispatch_has_credit(const struct kitchen *k, uint64_t now);
/* When a chef's credit next grows by the lead (chef_usable_credit()) while
 * dishes wait: the loop wakes then. UINT64_MAX: no such time. */
uint64_t dispatch_next_lead(const struct kitchen *k, uint64_t now);

struct menu_item;
/* How many chefs on the line can cook @item. */
unsigned dispatch_able(const struct kitchen *k, const struct menu_item *item);
/* Why dishes of @item wait on the shelf, for people: "no chef can cook
 * Resize: 0 of 3 chefs have it", or "waits for a chef that can cook
 * Resize: 1 of 3 can". */
const char *dispatch_why_waiting(const struct kitchen *k, const struct menu_item *item, char *buf, size_t size);

/* Timers of a loop turn: heartbeats and silent chefs; dishes past
 * dishes.timeout_ms; local chefs scaled away (retire) or hung (supervise). */
void dispatch_heartbeat(struct kitchen *k, uint64_t now);
void dispatch_expire(struct kitchen *k, uint64_t now);
void dispatch_retire(struct kitchen *k, uint64_t now);
void dispatch_supervise(struct kitchen *k, uint64_t now);

/* Local chef @name's process @pid exited (@why; @crashed: by a crash). */
void dispatch_local_exit(struct kitchen *k, const char *name, uint64_t pid, const char *why, bool crashed);
/* Take every chef off the line as kitchend stops; their dishes stay as they are. */
void dispatch_finish(struct kitchen *k);

/* The chefs' in-flight lists against orders.c's cooking dishes: 0, or
 * -EUCLEAN with what disagrees at debug level (orders_check()'s partner). */
int dispatch_check(const struct kitchen *k);
