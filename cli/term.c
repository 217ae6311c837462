#include "term.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "unicode.h"

/* isatty() of stdout and stderr, asked once; other streams every time. */
static bool is_terminal(FILE *f)
{
	static int known[3] = { -1, -1, -1 };
	int fd = fileno(f);

	if (fd < 0)
		return false;
	if (fd > 2)
		return isatty(fd);
	if (known[fd] < 0)
		known[fd] = isatty(fd);
	return known[fd];
}

static void put_escaped(const char *s, size_t len, FILE *f)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = unicode_next(s + i, len - i, &cp);

		if (n == 0) {
			fprintf(f, "\\x{%02X}", (unsigned char) s[i]);
			n = 1;
		} else if (unicode_hidden(cp))
			fprintf(f, "\\u{%04X}", (unsigned) cp);
		else
			fwrite(s + i, 1, n, f);
		i += n;
	}
}

int term_vprintf(FILE *f, const char *fmt, va_list ap)
{
	int saved = errno;   /* for a %m: isatty() sets it */
	bool tty = is_terminal(f);
	char *s;
	int n;

	errno = saved;
	if (!tty)
		return vfprintf(f, fmt, ap);
	n = vasprintf(&s, fmt, ap);
	if (n < 0)
		return -ENOMEM;
	put_escaped(s, (size_t) n, f);
	free(s);
	return n;
}

int term_printf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = term_vprintf(f, fmt, ap);
	va_end(ap);
	return n;
}
