#include "answers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "pipeline.h"
#include "proto.h"
#include "recipe.h"
#include "util.h"

/* Room kept in the text for one more dish: its result and items. */
#define TEXT_PER_DISH ((TICKET_MAX_INGREDIENTS + 1) * PIPELINE_TEXT_MAX)

/* Room for @n dishes in batch[] and a[]. 0 or -ENOMEM. */
static int reserve(struct answers *b, size_t n)
{
	struct ticket **batch;
	struct answer *a;

	if (n <= b->cap)
		return 0;
	batch = reallocarray(b->batch, n, sizeof(*batch));
	if (!batch)
		return -ENOMEM;
	b->batch = batch;
	a = reallocarray(b->a, n, sizeof(*a));
	if (!a)
		return -ENOMEM;
	b->a = a;
	b->cap = n;
	return 0;
}

int answers_adopt(struct answers *b, const unsigned char *ptrs, size_t len)
{
	size_t n = len / sizeof(struct ticket *);
	int r = b->n > 0 ? -EBUSY : n > STATION_BATCH_MAX ? -EINVAL : reserve(b, n);

	if (r < 0) {
		for (size_t i = 0; i < n; i++) {
			struct ticket *d;

			memcpy(&d, ptrs + i * sizeof(d), sizeof(d));
			ticket_free(&d);
		}
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		memcpy(&b->batch[i], ptrs + i * sizeof(b->batch[i]), sizeof(b->batch[i]));
		b->a[i] = (struct answer) {};
	}
	b->n = n;
	b->text_len = 0;
	return 0;
}

void answers_clear(struct answers *b)
{
	for (size_t i = 0; i < b->n; i++) {
		recipe_free(&b->a[i].run);
		ticket_free(&b->batch[i]);
	}
	b->n = 0;
	b->text_len = 0;
}

void answers_free(struct answers *b)
{
	answers_clear(b);
	free(b->batch);
	free(b->a);
	free(b->text);
	*b = (struct answers) {};
}

int answers_cancel(struct answers *b, uint64_t id, uint64_t attempt)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->batch[i]->id == id && b->batch[i]->attempt == attempt) {
			b->a[i].cancelled = true;
			return (int) i;
		}
	return -ENOENT;
}

bool answers_all_cancelled(const struct answers *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (!b->a[i].cancelled)
			return false;
	return true;
}

void answers_failed(struct answers *b, size_t i, const char *reason)
{
	b->a[i].outcome = PROTO_OUTCOME_FAILED;
	b->a[i].reason = reason;
}

void answers_served(struct answers *b, size_t i, const uint64_t *digests)
{
	const struct ticket *d = b->batch[i];
	struct answer *a = &b->a[i];
	char *result, *items;
	size_t len = 0;

	/* The texts go where answers_send() reads them: the result, then the items. */
	if (buf_reserve(&b->text, &b->text_size, b->text_len + TEXT_PER_DISH) < 0)
		return answers_failed(b, i, "internal error: out of memory");
	result = b->text + b->text_len;
	items = result + PIPELINE_TEXT_MAX;
	items[0] = '\0';
	for (size_t k = 0; k < d->n_ingredients; k++) {
		/* Names are at most PROTO_MAX_NAME bytes: every item fits its share. */
		if (k > 0)
			items[len++] = '\n';
		if (pipeline_item(d->ingredients[k], d->cpu_work, digests[k], items + len, PIPELINE_TEXT_MAX) < 0)
			return answers_failed(b, i, "internal error: item too long");
		len += strlen(items + len);
	}
	if (pipeline_result(d->name, result, PIPELINE_TEXT_MAX) < 0)
		return answers_failed(b, i, "internal error: result too long");
	a->outcome = PROTO_OUTCOME_SERVED;
	a->result = b->text_len;
	a->items = b->text_len + PIPELINE_TEXT_MAX;
	b->text_len = a->items + len + 1;
}

const char *answers_ran(struct answers *b, size_t i)
{
	struct recipe_result res;

	recipe_result(b->a[i].run, &res);
	if (res.outcome == RECIPE_SERVED) {
		b->a[i].outcome = PROTO_OUTCOME_SERVED;
		return NULL;
	}
	/* The reason lives in the run, until answers_clear(). */
	answers_failed(b, i, res.reason);
	return res.reason;
}

int answers_send(const struct answers *b, void *push, const char *chef_id, int flags)
{
	struct proto_out o;

	/* A batch is of one session: an old session's dishes are all
	 * cancelled before a new one brings any (session.h). */
	proto_out_begin(&o, push, PROTO_RESULT);
	proto_out_str(&o, chef_id);
	proto_out_str(&o, b->batch[0]->token);
	for (size_t i = 0; i < b->n; i++) {
		const struct answer *a = &b->a[i];

		proto_out_u64(&o, b->batch[i]->id);
		proto_out_u64(&o, b->batch[i]->attempt);
		if (a->cancelled || !a->outcome) {  /* not cooked: only a CANCEL does that */
			proto_out_str(&o, PROTO_OUTCOME_FAILED);
			proto_out_str(&o, "");
			proto_out_str(&o, STATION_CANCELLED);
		} else if (a->reason) {
			proto_out_str(&o, a->outcome);
			proto_out_str(&o, "");
			proto_out_str(&o, a->reason);
		} else if (a->run) {
			struct recipe_result res;

			recipe_result(a->run, &res);
			proto_out_str(&o, a->outcome);
			proto_out_str(&o, "");
			proto_out_mem(&o, res.output, res.output_len);
		} else {
			proto_out_str(&o, a->outcome);
			proto_out_str(&o, b->text + a->items);
			proto_out_str(&o, b->text + a->result);
		}
	}
	return proto_out_end(&o, flags);
}

void progress_send(void *push, const char *chef_id, const struct ticket *d, const char *text)
{
	struct proto_out o;
	int r;

	if (!(d->flags & PROTO_DISH_FOLLOWED))
		return;
	proto_out_begin(&o, push, PROTO_PROGRESS);
	proto_out_str(&o, chef_id);
	proto_out_str(&o, d->token);
	proto_out_u64(&o, d->id);
	proto_out_u64(&o, d->attempt);
	proto_out_str(&o, text);
	r = proto_out_end(&o, ZMQ_DONTWAIT);
	if (r < 0)
		ticket_log(LOG_DEBUG, r, d, NULL, "dropping a stage line (the sink is full): %m");
}
