/*
 * reports — what kitchend says about its orders and itself, as OK replies
 * on the control socket (their fields: proto.h, docs/protocol.md).
 *
 * An order's report is the store's record (what is committed), overlaid for
 * an order still open with what kitchend holds in memory: handing a dish to
 * a chef is not stored (store.h), so a dish at a chef shows cooking, with
 * its chef, the attempt under way and when it was handed over. The caller makes sure the store has
 * committed what the report must show (pending.h).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct kitchen;

/* SHOW, WAIT: order @id, or ERR not-found. */
void reports_order(struct kitchen *k, const void *rid, size_t rid_len, uint64_t id);
/* WAITS: a packed group (order_id state dishes) for each of the @n ids from
 * @first, in id order; state "unknown" (0 dishes) for an id that is no
 * order (never was, or pruned). */
void reports_order_states(struct kitchen *k, const void *rid, size_t rid_len, uint64_t first, uint32_t n);
void reports_status(struct kitchen *k, const void *rid, size_t rid_len);
void reports_chefs(struct kitchen *k, const void *rid, size_t rid_len);
void reports_menu(struct kitchen *k, const void *rid, size_t rid_len);
/* METRICS: the values of exposition.h, gathered from metrics.h and the
 * parts that count for themselves; the chefs on the line, those of one
 * name and host added up (the first EXPO_CHEFS_MAX). */
void reports_metrics(struct kitchen *k, const void *rid, size_t rid_len);
