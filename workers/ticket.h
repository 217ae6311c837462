/*
 * ticket — one dish as a chef holds it: a DISH group from kitchend, checked
 * (kitchend's own record of a dish is struct dish, daemon/order.h).
 *
 * kitchend sends dishes in DISH messages: the session's token, then 12
 * fields a group: dish_id attempt flags order_id index name ingredients
 * prep_ms cook_ms season_ms cpu_work input (proto.h). The wire's index counts
 * from 0; the ticket keeps the dish's number for people, from 1, which is
 * what KITCHEN_DISH and log lines say (ticket_about()). The input is bytes (NULs and all): the
 * ticket keeps its own copy, in the same allocation as the ticket. An empty
 * ingredients field is a dish with none (one that runs a program, or one
 * the chef has no recipe for). The token goes back with the dish's
 * PROGRESS and RESULT. ticket_from_group() turns one group into a struct ticket that the
 * caller owns; the main thread queues it in a ticket_queue, then moves it to
 * one station, which frees it when it is done with it.
 *
 * A group whose dish_id or attempt is not a number, or a message without a
 * token, cannot be answered: it is refused (-EINVAL), the caller drops and logs it. Any other bad field still
 * gives a dish, with @reject set to a short reason: the station answers it
 * with a "failed" RESULT without cooking, so kitchend gets its credit back and
 * the failure is visible to whoever ordered it.
 *
 * The chef's main thread looks the name up in its cookbook (cookbook.h)
 * before a station sees the ticket: a dish with a recipe gets @recipe and a
 * reference to the cookbook it is in (@book, dropped by ticket_free()); a
 * dish with neither a recipe nor ingredients gets a reject of its own words
 * in @why.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fault.h"
#include "log.h"
#include "proto.h"

#define TICKET_MAX_INGREDIENTS 64
/* "chef NAME has no recipe for DISH" and the like. */
#define TICKET_WHY_MAX (2 * PROTO_MAX_NAME + 64)

struct cookbook;
struct recipe;

struct ticket {
	uint64_t id;
	uint64_t attempt;
	uint64_t flags;            /* PROTO_DISH_*; unknown bits are ignored */
	uint64_t order;            /* its order's id */
	unsigned number;           /* its number in the order, from 1 (index + 1); 0 when rejected before */
	uint64_t prep_ms;
	uint64_t cook_ms;
	uint64_t season_ms;
	uint64_t cpu_work;
	const char *reject;        /* static text or @why, or NULL for a good dish */
	char token[PROTO_TOKEN_LEN + 1];  /* the session's, for its PROGRESS and RESULT */
	enum fault_kind fault;     /* for tests (fault.h); FAULT_NONE from ticket_from_group() */
	char name[PROTO_MAX_NAME + 1];
	size_t n_ingredients;
	const char *ingredients[TICKET_MAX_INGREDIENTS];  /* point into text[] */
	const void *input;         /* input_len bytes in text[], after the ingredients */
	size_t input_len;
	struct cookbook *book;     /* a reference, with @recipe; NULL for a simulated dish */
	const struct recipe *recipe;
	char why[TICKET_WHY_MAX];
	struct ticket *next;         /* in a ticket_queue */
	char text[];               /* the ingredients field, split at '\n'; then the input */
};

/*
 * Read group @g of the DISH message @m into a new dish in *ret; 0, -EINVAL
 * when dish_id or attempt is not a number (nothing stored), -ENOMEM.
 */
int ticket_from_group(const struct proto_msg *m, size_t g, struct ticket **ret);
void ticket_free(struct ticket **d);  /* NULL and *d == NULL are fine */

/*
 * Log a line about dish @d at chef @chef, as kitchend names a dish: "Order
 * 42 dish 3 (Pizza) attempt 2 " and then @fmt, with KITCHEN_ORDER,
 * KITCHEN_DISH (its number in the order) and KITCHEN_CHEF for the journal
 * (log.h). %m in @fmt is @r. Returns @r.
 *
 *	ticket_log(LOG_DEBUG, 0, d, chef, "cooking at station %u", i);
 */
int ticket_log(int priority, int r, const struct ticket *d, const char *chef, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A FIFO of dishes: the dishes a chef holds that no station cooks yet. */
struct ticket_queue {
	struct ticket *head;
	struct ticket **tail;
	size_t n;
};

void ticket_queue_init(struct ticket_queue *q);
/* Append *d; the queue owns it and *d becomes NULL. */
void ticket_queue_push(struct ticket_queue *q, struct ticket **d);
/* Remove and return the first dish, or NULL when empty. */
struct ticket *ticket_queue_pop(struct ticket_queue *q);
/* Remove and return the dish (@id, @attempt), or NULL when it is not queued. */
struct ticket *ticket_queue_take(struct ticket_queue *q, uint64_t id, uint64_t attempt);
/* Free every queued dish; returns how many there were. */
size_t ticket_queue_clear(struct ticket_queue *q);
