/*
 * suggest — "did you mean": the known name closest to a mistyped one.
 *
 * Closeness is the edit distance between the two names as characters, case
 * folded (casefold.h): one insertion, deletion, substitution or swap of two
 * neighbours counts 1 (the optimal string alignment distance), so "stauts"
 * is 1 from "status" and "Piza" 1 from "Pizza". A name is suggested only
 * when close: at most a third of the typed name's characters wrong (at
 * least 1, at most 3). Of names equally close, the first given wins.
 *
 *	const char *s = suggest_closest(typed, names, n);
 *	if (s)
 *		fprintf(stderr, "did you mean '%s'?\n", s);
 */
#pragma once

#include <stddef.h>

/* The characters compared at most; longer names are never suggested. */
#define SUGGEST_MAX_CHARS 128

/* The distance between @a and @b; SIZE_MAX when either is over SUGGEST_MAX_CHARS. */
size_t suggest_distance(const char *a, const char *b);

/* Of the @n @names, the one closest to @typed if close enough, else NULL. */
const char *suggest_closest(const char *typed, const char *const *names, size_t n);
