/*
 * help — what `kitchenctl --help`, `kitchenctl help [VERB]` and
 * `kitchenctl VERB --help` print, on stdout.
 *
 * The global help lists the verbs one line each and the options every verb
 * takes; a verb's help gives its usage, its own options and a few examples.
 * One table holds every verb's text, so the two cannot disagree; the
 * manual (kitchenctl(1)) says it all at length.
 */
#pragma once

#include <stddef.h>

/* The global help. */
void help_global(void);

/* @verb's help: 0, or -ENOENT when there is no such verb. */
int help_verb(const char *verb);
