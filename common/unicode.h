/*
 * unicode — reading UTF-8, and the characters no reader should get raw.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length of the valid UTF-8 sequence at @p (of at most @len bytes), its
 * code point in *ret_cp; 0 when it is not one (overlong, a surrogate, cut). */
size_t unicode_next(const char *p, size_t len, uint32_t *ret_cp);

/* Whether the @len bytes at @p are all valid UTF-8 (NUL bytes and controls too). */
bool unicode_valid(const char *p, size_t len);

/*
 * Whether @cp can hide, reorder or fake the text around it on a screen:
 * C0 controls but '\n', DEL, C1 controls, line and paragraph separators,
 * bidirectional controls (U+061C, U+200E/F, U+202A..U+202E, U+2066..U+2069)
 * and the other default-ignorable characters that show nothing (U+00AD,
 * U+200B..U+200D, U+2060.., U+FEFF, tags, ...), but for the variation
 * selectors U+FE00..U+FE0F that emoji need.
 */
bool unicode_hidden(uint32_t cp);
