#include "ticket.h"

#include "cookbook.h"
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Field positions inside a DISH group. */
enum {
	F_ID,
	F_ATTEMPT,
	F_FLAGS,
	F_ORDER,
	F_INDEX,
	F_NAME,
	F_INGREDIENTS,
	F_PREP_MS,
	F_COOK_MS,
	F_SEASON_MS,
	F_CPU_WORK,
	F_INPUT,
};
_Static_assert(F_INPUT + 1 == PROTO_DISH_GROUP, "a DISH group is these fields");

static bool name_valid(const char *s, size_t len)
{
	return len > 0 && len <= PROTO_MAX_NAME && proto_text_valid(s, len, false);
}

/* Split text[] at '\n' into d->ingredients; the reason when it is no good. */
static const char *split_ingredients(struct ticket *d, size_t len)
{
	char *p = d->text;
	char *end = d->text + len;

	if (len == 0)
		return NULL;  /* none: a dish that runs a program */
	if (!proto_text_valid(d->text, len, true))
		return "malformed dish: bad ingredients";
	for (;;) {
		char *nl = memchr(p, '\n', (size_t) (end - p));
		char *stop = nl ? nl : end;

		if (!name_valid(p, (size_t) (stop - p)))
			return "malformed dish: bad ingredient name";
		if (d->n_ingredients == TICKET_MAX_INGREDIENTS)
			return "malformed dish: too many ingredients";
		*stop = '\0';
		d->ingredients[d->n_ingredients++] = p;
		if (!nl)
			return NULL;
		p = nl + 1;
	}
}

int ticket_from_group(const struct proto_msg *m, size_t g, struct ticket **ret)
{
	const struct proto_field *name, *ingredients, *input, *token = &m->fields[0];
	uint64_t id, attempt, index;
	struct ticket *d;

	if (proto_u64(m, proto_group_field(m, g, F_ID), &id) < 0 ||
	    proto_u64(m, proto_group_field(m, g, F_ATTEMPT), &attempt) < 0 ||
	    token->len != PROTO_TOKEN_LEN || !proto_text_valid(token->data, token->len, false))
		return -EINVAL;

	ingredients = &m->fields[proto_group_field(m, g, F_INGREDIENTS)];
	input = &m->fields[proto_group_field(m, g, F_INPUT)];
	d = calloc(1, sizeof(*d) + ingredients->len + 1 + input->len + 1);
	if (!d)
		return -ENOMEM;
	/* After the ingredients and their NUL; NUL-terminated too, for nobody's harm. */
	d->input = d->text + ingredients->len + 1;
	if (input->len > 0)
		memcpy(d->text + ingredients->len + 1, input->data, input->len);
	d->input_len = input->len;
	d->id = id;
	d->attempt = attempt;
	memcpy(d->token, token->data, PROTO_TOKEN_LEN);
	*ret = d;

	const struct {
		size_t field;
		uint64_t *value;
		const char *reject;
	} numbers[] = {
		{ F_FLAGS,     &d->flags,     "malformed dish: bad flags" },
		{ F_ORDER,     &d->order,     "malformed dish: bad order_id" },
		{ F_INDEX,     &index,        "malformed dish: bad index" },
		{ F_PREP_MS,   &d->prep_ms,   "malformed dish: bad prep_ms" },
		{ F_COOK_MS,   &d->cook_ms,   "malformed dish: bad cook_ms" },
		{ F_SEASON_MS, &d->season_ms, "malformed dish: bad season_ms" },
		{ F_CPU_WORK,  &d->cpu_work,  "malformed dish: bad cpu_work" },
	};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (proto_u64(m, proto_group_field(m, g, numbers[i].field), numbers[i].value) < 0) {
			d->reject = numbers[i].reject;
			return 0;
		}
	if (index >= PROTO_ORDER_MAX_DISHES) {
		d->reject = "malformed dish: bad index";
		return 0;
	}
	d->number = (unsigned) index + 1;

	name = &m->fields[proto_group_field(m, g, F_NAME)];
	if (!name_valid(name->data, name->len)) {
		d->reject = "malformed dish: bad name";
		return 0;
	}
	memcpy(d->name, name->data, name->len);

	if (ingredients->len > 0)
		memcpy(d->text, ingredients->data, ingredients->len);
	d->reject = split_ingredients(d, ingredients->len);
	if (d->reject)
		d->n_ingredients = 0;
	return 0;
}

int ticket_log(int priority, int r, const struct ticket *d, const char *chef, const char *fmt, ...)
{
	const struct log_about about = { .order = d->order, .dish = d->number, .chef = chef };
	char what[1024];
	int saved = errno;
	va_list ap;

	if (priority > log_get_max_priority())
		return r;
	/* @fmt's %m is @r, as in log.h's own functions. */
	errno = r < 0 ? -r : saved;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	errno = saved;
	return log_fields(priority, r, &about, "Order %llu dish %u (%s) attempt %llu %s",
			  (unsigned long long) d->order, d->number, d->name, (unsigned long long) d->attempt, what);
}

void ticket_free(struct ticket **d)
{
	if (!d || !*d)
		return;
	cookbook_unref(&(*d)->book);
	free(*d);
	*d = NULL;
}

void ticket_queue_init(struct ticket_queue *q)
{
	*q = (struct ticket_queue) { .tail = &q->head };
}

void ticket_queue_push(struct ticket_queue *q, struct ticket **d)
{
	(*d)->next = NULL;
	*q->tail = *d;
	q->tail = &(*d)->next;
	q->n++;
	*d = NULL;
}

/* Unlink the dish *pp points at. */
static struct ticket *unlink_at(struct ticket_queue *q, struct ticket **pp)
{
	struct ticket *d = *pp;

	*pp = d->next;
	if (q->tail == &d->next)
		q->tail = pp;
	d->next = NULL;
	q->n--;
	return d;
}

struct ticket *ticket_queue_pop(struct ticket_queue *q)
{
	return q->head ? unlink_at(q, &q->head) : NULL;
}

struct ticket *ticket_queue_take(struct ticket_queue *q, uint64_t id, uint64_t attempt)
{
	for (struct ticket **pp = &q->head; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id && (*pp)->attempt == attempt)
			return unlink_at(q, pp);
	return NULL;
}

size_t ticket_queue_clear(struct ticket_queue *q)
{
	size_t n = q->n;
	struct ticket *d;

	while ((d = ticket_queue_pop(q)))
		ticket_free(&d);
	return n;
}
