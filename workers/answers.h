/*
 * answers — a batch of dishes and how each is answered: what a station
 * (station.h) and the event loop (evloop.h) hold for one DISH of the
 * brigade, and the one RESULT that answers it on kitchend's sink.
 *
 * A batch is 1 to STATION_BATCH_MAX dishes, cooked in order. Each dish's
 * answer is "served" with its texts (the simulated pipeline: the result and
 * the items, kept in the batch's text), "served" with its program's stdout
 * (its recipe_run, kept until answers_clear()), or "failed" with a reason; a
 * dish cancelled (answers_cancel()) or never cooked is answered "failed"
 * STATION_CANCELLED, whatever else it has.
 *
 *	answers_adopt(&b, ptrs, len);             // a DISH's frame of ticket pointers
 *	... cook b.batch[i]; answers_served(&b, i, digests) or answers_failed(&b, i, why)
 *	r = answers_send(&b, push, chef_id, ZMQ_DONTWAIT);  // -EAGAIN: the sink is full
 *	answers_clear(&b);                        // frees the dishes and their runs
 *
 * progress_send() is the PROGRESS of a followed dish, dropped when the sink
 * is full: a stage line is worth less than a stalled cook.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "station.h"
#include "ticket.h"

struct recipe_run;

struct answer {
	bool cancelled;        /* a CANCEL came: "failed" STATION_CANCELLED, whatever else */
	const char *outcome;   /* PROTO_OUTCOME_SERVED or _FAILED; NULL while not cooked */
	const char *reason;    /* static text or its run's, of a "failed" one; else NULL and */
	size_t result, items;  /* where its texts start in the batch's text */
	struct recipe_run *run;  /* a program dish's run: its output is the result, raw */
};

struct answers {
	struct ticket **batch; /* owned, cooked in this order */
	struct answer *a;
	size_t n;              /* 0: no batch */
	size_t cap;            /* of batch[] and a[]: the largest batch yet, so that a
				* station or slot given one dish at a time stays small */
	char *text;            /* the answers' results and items, NUL-terminated each */
	size_t text_len;
	size_t text_size;
};

/* Take the @len bytes of ticket pointers of a DISH as the batch. 0, or
 * -EBUSY when it has one already, -EINVAL for more than STATION_BATCH_MAX,
 * -ENOMEM: then the dishes are freed. */
int answers_adopt(struct answers *b, const unsigned char *ptrs, size_t len);

/* Free the batch's dishes, kill and reap their programs still running, and
 * forget their answers; the memory stays for the next batch. */
void answers_clear(struct answers *b);
/* answers_clear(), and the memory too. */
void answers_free(struct answers *b);

/* Mark the dish (@id, @attempt) cancelled: its index, or -ENOENT. */
int answers_cancel(struct answers *b, uint64_t id, uint64_t attempt);
bool answers_all_cancelled(const struct answers *b);

/* Dish @i failed with @reason (static, or living as long as the batch). */
void answers_failed(struct answers *b, size_t i, const char *reason);

/* Dish @i went through the simulated pipeline: "served", with its result
 * and items (pipeline.h) from the digests of its ingredients. */
void answers_served(struct answers *b, size_t i, const uint64_t *digests);

/* Dish @i's run has finished (answer.run): "served" with its output
 * (returns NULL), or "failed" with its reason (returned, for the caller's
 * log line; it lives until answers_clear()). */
const char *answers_ran(struct answers *b, size_t i);

/* The batch's RESULT on @push: 0 or -errno (-EAGAIN when the sink is full
 * and @flags has ZMQ_DONTWAIT). */
int answers_send(const struct answers *b, void *push, const char *chef_id, int flags);

/* PROGRESS of @d with @text when somebody follows it; never waits. */
void progress_send(void *push, const char *chef_id, const struct ticket *d, const char *text);
