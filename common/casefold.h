/*
 * casefold — names compared as people read them, case ignored in every
 * script: "BRÛLÉE" is "Brûlée", "ΣΟΥΠΑ" is "σουπα".
 *
 * A character folds to the lower case of its upper case, as glibc's C.UTF-8
 * locale maps them (towupper_l, towlower_l): Unicode's simple case mappings,
 * one character for one, so "ß" stays "ß" (not "ss") and "ς", "σ" and "Σ"
 * are one. Without the C.UTF-8 locale (glibc before 2.35) only ASCII folds.
 * Bytes that are not UTF-8 compare as themselves, never as a character.
 *
 *	if (casefold_equal(menu_name, ordered)) ...
 *
 * Thread-safe; the locale object is made once and kept until exit.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Read the character (or lone byte) at @p, of at most @len > 0 bytes: its
 * folded code point in *ret (a byte that is not UTF-8: 0x110000 + the byte).
 * Returns the bytes read, 1 to 4. */
size_t casefold_next(const char *p, size_t len, uint32_t *ret);

/* Whether @a and @b (@a_len and @b_len bytes) are the same but for case. */
bool casefold_equal_n(const char *a, size_t a_len, const char *b, size_t b_len);

/* The same for two NUL-terminated strings. */
bool casefold_equal(const char *a, const char *b);
