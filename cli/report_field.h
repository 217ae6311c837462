/*
 * report_field — the checked field readers the report decoders share.
 * Private to report*.c. Both return -EBADMSG for a field that is missing
 * or not of the type, so a decoder can just pass the error on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Field @i as a new string: valid text, with '\n' only when @multiline. */
int report_text(const struct proto_msg *m, size_t i, bool multiline, char **ret);
/* The same for a field of a packed group (proto_unpack()). */
int report_field_text(const struct proto_field *f, bool multiline, char **ret);
int report_u64(const struct proto_msg *m, size_t i, uint64_t *ret);
/* "0" or "1". */
int report_bool(const struct proto_msg *m, size_t i, bool *ret);
