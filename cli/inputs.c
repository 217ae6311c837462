/* The lines of --inputs: split as they come, each checked against the limit as soon as it grows. */
#include "inputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void inputs_init(struct inputs *in, size_t max)
{
	*in = (struct inputs) { .max = max };
}

void inputs_clear(struct inputs *in)
{
	free(in->buf);
	free(in->items);
	inputs_init(in, in->max);
}

/* The line from in->start to @end (exclusive, its '\n' not included) is whole. */
static int line_done(struct inputs *in, size_t end)
{
	size_t len = end - in->start;

	in->line++;
	if (len > 0) {
		if (in->n == in->n_items_size) {
			size_t size = in->n_items_size ? 2 * in->n_items_size : 256;
			struct inputs_item *items = reallocarray(in->items, size, sizeof(*items));

			if (!items)
				return -ENOMEM;
			in->items = items;
			in->n_items_size = size;
		}
		in->items[in->n++] = (struct inputs_item) { in->start, len, in->line };
	}
	return 0;
}

int inputs_add(struct inputs *in, const void *data, size_t len)
{
	int r;

	if (in->bad_line)
		return -E2BIG;
	if (len == 0)
		return 0;
	if (buf_reserve(&in->buf, &in->size, in->len + len) < 0)
		return -ENOMEM;
	memcpy(in->buf + in->len, data, len);
	in->len += len;

	while (in->scanned < in->len) {
		const char *nl = memchr(in->buf + in->scanned, '\n', in->len - in->scanned);
		size_t end = nl ? (size_t) (nl - in->buf) : in->len;

		/* Too long whether or not its end is here: say so before reading more. */
		if (end - in->start > in->max) {
			in->bad_line = in->line + 1;
			in->bad_len = end - in->start;
			return -E2BIG;
		}
		in->scanned = end;
		if (!nl)
			break;
		r = line_done(in, end);
		if (r < 0)
			return r;
		in->start = in->scanned = end + 1;
	}
	return 0;
}

int inputs_end(struct inputs *in)
{
	if (in->bad_line)
		return -E2BIG;
	if (in->start == in->len)
		return 0;
	/* A last line without its '\n'. */
	return line_done(in, in->len);
}

int inputs_read(struct inputs *in, int fd)
{
	char chunk[65536];
	ssize_t k;
	int r;

	for (;;) {
		k = read(fd, chunk, sizeof(chunk));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return inputs_end(in);
		r = inputs_add(in, chunk, (size_t) k);
		if (r < 0)
			return r;
	}
}
