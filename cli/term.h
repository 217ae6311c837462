/*
 * term — what kitchenctl prints, as a terminal may show it.
 *
 * What kitchend sends (dish and chef names, results, reasons, stage lines,
 * error messages) is checked text, but text may still hold characters that
 * reorder or hide what is around them on a screen: bidirectional overrides,
 * zero-width characters (unicode_hidden()). Printed to a terminal, each of
 * them is written as "\u{202E}", and a byte that is not UTF-8 as "\x{FF}";
 * printed to a pipe or a file, the text is left as it is, for scripts. (JSON
 * output escapes them always, json.c, which changes no value.)
 *
 * Our own format strings hold none of them, so the whole line is filtered:
 *
 *	term_printf(stdout, "O- Served %s\n", name);
 */
#pragma once

#include <stdarg.h>
#include <stdio.h>

int term_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int term_vprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
