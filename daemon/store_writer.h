/*
 * store_writer — the order store's writes, applied on a thread of its own
 * (store.h says what its callers see; this is store.c's side).
 *
 * The caller (the loop thread, through store.c) appends records to the
 * current batch, their strings copied into the batch's text, and returns at
 * once. store_writer_hand_over() gives the current batch to the writer
 * thread when that is idle; the next one accumulates meanwhile. The thread
 * applies a batch in one transaction on its own connection (the one given
 * to store_writer_new(), used by no other thread from then on), commits it,
 * and says so on an eventfd (store_writer_fd()). The thread blocks every
 * signal: kitchend's loop takes them from its signalfd.
 *
 * Batches are numbered from 1, in the order they are written; the caller
 * learns the highest committed number from store_writer_poll(). After a
 * failed commit nothing more is applied: every later call reports the
 * failure; but a commit that failed for lack of space (-ENOSPC) is rolled
 * back and its batch given back: the caller's side puts it in front of the
 * current batch (taking the current batch's number), and the writer tries
 * again at most every STORE_RETRY_MS. While the store is full, a batch that
 * holds no record to write is applied as a write probe (sql_write_probe()),
 * so that the end of the full disk is noticed without a record to write.
 *
 * Before it commits a batch holding an order id or dish id beyond what the
 * id file (store_ids.h) reserves, the thread reserves the next
 * STORE_IDS_BLOCK ids there and syncs it; after a commit holding orders it
 * records the highest order id committed (not synced). At a close after
 * which everything is committed, the reservation is brought back to what
 * is used, so that a clean restart continues without a gap.
 *
 * Two batches take turns (one written to, one applied), so a busy store
 * allocates nothing once they have grown to size.
 *
 * Pruning (store_prune.h) is the thread's too, on the same connection, so
 * it never takes a lock a commit waits for. Whenever the thread has no
 * batch to apply and store_writer_set_retention() gave it rules, it runs
 * one step (at most STORE_PRUNE_ORDERS orders, one transaction) when one is
 * due, then looks for a batch again. A batch handed over during a step
 * cuts it short: the step looks at a flag every 16 orders, and then commits
 * what it deleted so far, so the batch waits for a few orders' deletes and
 * a commit without fdatasync. A step that stopped at its limit (or was cut
 * short) makes the next one due 9 times its own duration later, at least
 * STORE_PRUNE_PAUSE_MS: a backlog takes at most a tenth of the thread's
 * idle time (and of a core the loop may need). A thread that is never idle
 * would never catch up, so while steps leave a backlog the commits count
 * what they finished: once that owes STORE_PRUNE_OWED deletions (each
 * finished order a quarter more than one, up to 4 steps' worth), a step
 * runs before the next batch and deletes what the last commit added to
 * the debt (at least STORE_PRUNE_OWED_STEP orders, at most
 * STORE_PRUNE_OWED_MAX or the whole debt) before it yields. Under a steady
 * load the store stops growing, and the deletes are spread over the
 * batches: a batch waits for the deletes of about as many orders as the one
 * before it finished, STORE_PRUNE_OWED_MAX at most. A load that finishes
 * more than that between two batches outruns retention (the store grows)
 * rather than wait longer: a step as large as the last batch's share would
 * make the next batch larger still, until acknowledgements stop (seen: 3,004
 * orders unacknowledged for a minute at 70,000 dishes/s). A step that found the
 * end makes the next one due STORE_PRUNE_IDLE_MS later; one that failed (rolled
 * back: not fatal, the batches go on), STORE_PRUNE_RETRY_MS later. No
 * step runs while the store is full or after a failed commit. What was
 * pruned is counted under the lock, for store_writer_pruned().
 */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_ids.h"

struct store_writer;

enum store_rec_kind {
	STORE_REC_ADD_ORDER,     /* id; n: created_ms, dishes, first_dish, due_ms, priority; str: key, names */
	STORE_REC_FORGET_KEY,    /* id: the order whose key goes */
	STORE_REC_REQUEUED,      /* id: dish; n[0] attempts; str: chef, detail line */
	STORE_REC_SERVED,        /* id: dish; n: attempts, started_ms, finished_ms; str: chef, result (blob_len bytes), items */
	STORE_REC_FAILED,        /* id: dish; n: attempts, started_ms, finished_ms; str: chef, result, detail line */
	STORE_REC_CANCELLED,     /* id: dish; n: attempts, started_ms, finished_ms; str: chef, result, detail line */
	STORE_REC_ORDER_DONE,    /* id: order; n: its final enum proto_state (0: open again), finished_ms */
	STORE_REC_INPUT,         /* id: dish; str[1]: its input (blob_len bytes) */
	STORE_REC_DROPPED,       /* taken out by store_writer_drop_order(): nothing to apply */
	_STORE_REC_MAX,
};

/* A string of a record: none (SQL NULL), else an offset into the batch's text. */
#define STORE_NO_TEXT SIZE_MAX

#define STORE_REC_NUMS 5
#define STORE_REC_STRS 3

struct store_rec {
	enum store_rec_kind kind;
	uint64_t id;
	uint64_t n[STORE_REC_NUMS];
	size_t str[STORE_REC_STRS];
	size_t blob_len;         /* SERVED, INPUT: str[1] is bytes (NULs too), bound as a blob */
};

/*
 * Start the writer thread on @db (a connection to a store already set up)
 * and @ids (the id file as store_open() left it, ids below @floor_order and
 * @floor_dish used or reserved before), which it takes, also on failure;
 * @full: the store was found full (its write probe failed for lack of
 * space).
 */
int store_writer_new(sqlite3 *db, struct store_ids *ids, uint64_t floor_order, uint64_t floor_dish,
		     bool full, struct store_writer **ret);
/* Apply what is written (once more if the store is full), stop the thread,
 * close its connection; NULL is fine. */
void store_writer_free(struct store_writer **w);

/*
 * A string for the next record, in pieces: store_writer_text_begin() gives
 * its offset, store_writer_text_put() appends bytes, store_writer_text_end()
 * closes it (a NUL). -ENOMEM leaves the batch as it was for records.
 */
size_t store_writer_text_begin(struct store_writer *w);
int store_writer_text_put(struct store_writer *w, const char *p, size_t len);
int store_writer_text_end(struct store_writer *w);
/* Append @rec to the current batch. */
int store_writer_add(struct store_writer *w, const struct store_rec *rec);

/* The batch records go into now; the last one holding a record (0: none). */
uint64_t store_writer_current(const struct store_writer *w);
uint64_t store_writer_written(const struct store_writer *w);
/* The highest committed batch the caller has learnt (poll, sync). */
uint64_t store_writer_committed(const struct store_writer *w);
/* Whether the last commit the caller learnt of failed for lack of space. */
bool store_writer_full(const struct store_writer *w);
/* The reason of the last failure the caller learnt of (poll, sync); "". */
const char *store_writer_error(const struct store_writer *w);

/* Readable when a batch was committed (or failed). */
int store_writer_fd(const struct store_writer *w);
/* Give the current batch to the writer if it is idle and the batch holds
 * something (or the store is full and STORE_RETRY_MS have passed since
 * the last try); never waits. */
void store_writer_hand_over(struct store_writer *w);
/* Read the eventfd; the highest committed batch in *ret. -ENOSPC when a
 * commit failed for lack of space since the last call, the error after a
 * failed commit. */
int store_writer_poll(struct store_writer *w, uint64_t *ret_committed);
/* Add the commit times so far to @h (store_commit_times()). */
struct metrics_hist;
void store_writer_commit_times(struct store_writer *w, struct metrics_hist *h);
/* Hand over and wait until everything written so far is committed; tries a
 * full store once more, then -ENOSPC. */
int store_writer_sync(struct store_writer *w);
/*
 * Take order @order_id (its STORE_REC_ADD_ORDER and every record of it and
 * of its dishes) out of what is not yet handed over. -ENOENT when no such
 * order waits, -EBUSY when the writer is applying it now.
 */
int store_writer_drop_order(struct store_writer *w, uint64_t order_id);
/*
 * Pin order @order_id, about to be read back and opened again, until the
 * batch records go into now is committed: no prune step deletes it
 * meanwhile (store_prune.h). -EBUSY when STORE_WRITER_PINS are pinned.
 */
#define STORE_WRITER_PINS 64
int store_writer_pin(struct store_writer *w, uint64_t order_id);

/* Prune by @r from now on (the next step is due at once); all 0: never. */
void store_writer_set_retention(struct store_writer *w, const struct store_retention *r);
/* What was pruned, and the reason of the last failed step ("" for none). */
void store_writer_pruned(struct store_writer *w, struct store_pruned *ret, char *why, size_t why_size);
/* Wait until the thread has run steps, without pause, until one found the
 * end (or failed: its error; or cannot run: 0). */
int store_writer_prune_sync(struct store_writer *w);
