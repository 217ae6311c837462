#include "chefs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "order.h"

/* PROTO_TOKEN_LEN hex digits of random bytes into @token. */
static int token_new(char token[PROTO_TOKEN_LEN + 1])
{
	uint8_t bytes[PROTO_TOKEN_LEN / 2];

	if (getrandom(bytes, sizeof(bytes), 0) != (ssize_t) sizeof(bytes))
		return -EIO;
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(token + 2 * i, 3, "%02x", bytes[i]);
	return 0;
}

bool chef_token_is(const struct chef *c, const struct proto_field *f)
{
	unsigned char diff = 0;

	if (f->len != PROTO_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < PROTO_TOKEN_LEN; i++)
		diff |= (unsigned char) (c->token[i] ^ f->data[i]);
	return diff == 0;
}

struct chef *chef_new(const char *id, size_t id_len, unsigned credit)
{
	struct chef *c;

	if (id_len > CHEF_ID_MAX || credit == 0 || credit > CHEF_MAX_CREDIT)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (token_new(c->token) < 0) {
		free(c);
		return NULL;
	}
	c->inflight = calloc(credit, sizeof(*c->inflight));
	c->since_ms = calloc(credit, sizeof(*c->since_ms));
	c->cook_ms = calloc(credit, sizeof(*c->cook_ms));
	c->due_ms = calloc(credit, sizeof(*c->due_ms));
	c->cancelled = calloc(credit, sizeof(*c->cancelled));
	if (!c->inflight || !c->since_ms || !c->cook_ms || !c->due_ms || !c->cancelled) {
		free(c->inflight);
		free(c->since_ms);
		free(c->cook_ms);
		free(c->due_ms);
		free(c->cancelled);
		free(c);
		return NULL;
	}
	memcpy(c->id, id, id_len);
	c->id_len = id_len;
	c->credit = credit;
	return c;
}

void chef_free(struct chef **c)
{
	if (!c || !*c)
		return;
	free((*c)->inflight);
	free((*c)->since_ms);
	free((*c)->cook_ms);
	free((*c)->due_ms);
	free((*c)->cancelled);
	skills_free(&(*c)->skills);
	free(*c);
	*c = NULL;
}

struct chef *chef_list_find(struct chef_list *l, const char *id, size_t id_len)
{
	for (struct chef *c = l->head; c; c = c->next)
		if (c->id_len == id_len && memcmp(c->id, id, id_len) == 0)
			return c;
	return NULL;
}

struct chef *chef_list_find_name(struct chef_list *l, const char *name)
{
	for (struct chef *c = l->head; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void chef_list_add(struct chef_list *l, struct chef *c)
{
	struct chef **p = &l->head;

	/* Keep them in arrival order: listings read naturally. */
	while (*p)
		p = &(*p)->next;
	c->next = NULL;
	*p = c;
	l->len++;
}

void chef_list_remove(struct chef_list *l, struct chef *c)
{
	for (struct chef **p = &l->head; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			c->next = NULL;
			l->len--;
			return;
		}
}

/* The dish at @at starts cooking at @now, if its time is known. */
static void start(struct chef *c, unsigned at, uint64_t now)
{
	c->due_ms[at] = c->cook_ms[at] ? now + c->cook_ms[at] : 0;
}

void chef_hold(struct chef *c, struct dish *d, uint64_t now, uint32_t dish_ms)
{
	unsigned at = c->n_inflight;

	c->cook_ms[at] = dish_ms;
	c->due_ms[at] = 0;
	if (at < c->stations)
		start(c, at, now);
	c->since_ms[at] = now;
	c->inflight[c->n_inflight++] = d;
	if (d->suspect)
		c->holds_suspect = true;
}

/* Whether dishes of @dish_us are too long for even one dish of window at @c. */
static bool no_window(const struct chef *c, uint64_t dish_us)
{
	return dish_us && (uint64_t) c->stations * CHEF_WINDOW_US / dish_us == 0;
}

uint64_t chef_next_lead(const struct chef *c, uint64_t dish_us, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	if (chef_free_credit(c) == 0 || !no_window(c, dish_us))
		return next;
	for (unsigned i = 0; i < c->n_inflight && i < c->stations; i++)
		if (c->due_ms[i] > now + CHEF_LEAD_MS && c->due_ms[i] - CHEF_LEAD_MS < next)
			next = c->due_ms[i] - CHEF_LEAD_MS;
	return next;
}

struct dish *chef_release(struct chef *c, uint64_t dish_id, uint64_t attempt, uint64_t now)
{
	for (unsigned i = 0; i < c->n_inflight; i++) {
		struct dish *d = c->inflight[i];
		if (d->id != dish_id)
			continue;
		if (d->attempts != attempt)
			return NULL;
		/* Keep the list in the order dishes went out: results come back
		 * in about that order, so the next one is found first. */
		c->n_inflight--;
		memmove(&c->inflight[i], &c->inflight[i + 1], (c->n_inflight - i) * sizeof(*c->inflight));
		memmove(&c->since_ms[i], &c->since_ms[i + 1], (c->n_inflight - i) * sizeof(*c->since_ms));
		memmove(&c->cook_ms[i], &c->cook_ms[i + 1], (c->n_inflight - i) * sizeof(*c->cook_ms));
		memmove(&c->due_ms[i], &c->due_ms[i + 1], (c->n_inflight - i) * sizeof(*c->due_ms));
		/* A station freed: the first dish that waited behind it starts. */
		if (i < c->stations && c->n_inflight >= c->stations)
			start(c, c->stations - 1, now);
		if (d->suspect)
			c->holds_suspect = false;
		return d;
	}
	return NULL;
}

struct dish *chef_cancel(struct chef *c, uint64_t dish_id, uint64_t attempt, uint64_t now)
{
	struct dish *d = chef_release(c, dish_id, attempt, now);

	/* Its credit stays taken until the chef answers the CANCEL. */
	if (d)
		c->cancelled[c->n_cancelled++] = (struct chef_cancelled) { dish_id, attempt };
	return d;
}

bool chef_dropped(struct chef *c, uint64_t dish_id, uint64_t attempt)
{
	for (unsigned i = 0; i < c->n_cancelled; i++)
		if (c->cancelled[i].dish_id == dish_id && c->cancelled[i].attempt == attempt) {
			c->cancelled[i] = c->cancelled[--c->n_cancelled];
			return true;
		}
	return false;
}

/* The dishes @c cooks that are due within the lead of @now, before or after. */
static unsigned ending(const struct chef *c, uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_inflight && i < c->stations; i++) {
		uint64_t due = c->due_ms[i];
		n += due && due <= now + CHEF_LEAD_MS && now <= due + CHEF_LEAD_MS;
	}
	return n;
}

unsigned chef_usable_credit(const struct chef *c, uint64_t dish_us, uint64_t now, bool lead)
{
	unsigned free = chef_free_credit(c), held;
	uint64_t limit;

	if (free == 0)
		return 0;
	held = c->credit - free;
	limit = dish_us ? c->stations + (uint64_t) c->stations * CHEF_WINDOW_US / dish_us : c->credit;
	if (lead && no_window(c, dish_us))
		limit += ending(c, now);  /* no window: the lead stands in for it */
	if (limit > c->credit)
		limit = c->credit;
	return held >= limit ? 0 : limit - held < free ? (unsigned) (limit - held) : free;
}
