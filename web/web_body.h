/*
 * web_body — the JSON bodies of kitchen-web's write actions, read strictly.
 *
 *	POST /api/orders             {"dishes": ["Pizza", "Salad"], "priority": 5, "key": "nightly-7"}
 *	POST /api/orders/ID/cancel   {} or {"index": [0, 2]}
 *	POST /api/orders/ID/retry    {} or {"index": [1]}
 *
 * One object, only the members named (an unknown one is refused, so a typo
 * never passes silently), strings with their escapes (\uXXXX too, surrogate
 * pairs joined), numbers that are whole and not negative, at most
 * PROTO_ORDER_MAX_DISHES entries in an array. Whether the strings are valid
 * dish names is proto_order_refusal()'s to say, as for kitchenctl.
 * On failure, @err holds a sentence for the client.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct web_body {
	size_t n_dishes;
	char *dishes[PROTO_ORDER_MAX_DISHES]; /* POST /api/orders */
	uint64_t priority;                    /* 0: not given */
	char *key;                            /* NULL: not given */
	size_t n_index;
	uint64_t index[PROTO_ORDER_MAX_DISHES]; /* cancel, retry */
};

/* Parse @len bytes at @s (an empty body is {}). 0, or -EINVAL with @err. */
int web_body_parse(const char *s, size_t len, struct web_body *ret, char *err, size_t err_size);
void web_body_clear(struct web_body *b);
