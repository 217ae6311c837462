/*
 * hint — "did you mean" for a dish kitchend did not know.
 *
 * kitchend refuses an order with an unknown dish (ERR unknown-dish, said
 * already); hint_dish() then asks its menu (MENU, as `kitchenctl menu`)
 * and adds the closest dish on it (suggest.h) to the refusal:
 *
 *	kitchenctl: 'Piza' is not on the menu; the menu has: Pizza, ... (unknown-dish)
 *	kitchenctl: did you mean 'Pizza'?
 *
 * Quiet when the last reply was another refusal, when nothing on the menu
 * is close, or when the menu cannot be had: the refusal said enough.
 */
#pragma once

#include <stddef.h>

#include "ctl.h"
#include "proto.h"

/* After an order of the @n dishes @names was refused: hint at the first not on the menu. */
void hint_dish(struct ctl *ctl, const struct proto_field *names, size_t n);
