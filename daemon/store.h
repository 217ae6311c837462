/*
 * store — the order book on disk: state_dir/kitchen.db, SQLite in WAL mode.
 *
 * Writes are not made on the caller's thread. Each write function appends a
 * record (its strings copied) to the current batch in memory and returns at
 * once; a writer thread of the store's own, on a connection of its own,
 * applies a batch in one transaction and commits it (an fdatasync with
 * store.synchronous=full). Whenever the writer is idle, store_hand_over()
 * gives it the current batch (if it holds anything) and a new batch starts;
 * while the writer is busy the next batch accumulates, so a burst costs one
 * fsync per batch, not per write (group commit, with no deferral).
 *
 * Batches are numbered from 1 in the order they are written:
 * store_written() is the last one holding a write. When the writer has
 * committed one it makes store_fd() readable; store_poll() then says the
 * highest number committed, which is what store_committed() says until the
 * next poll. Whatever must not be promised before it is durable (an order's
 * acknowledgement) waits for the batch holding it: store_written() right
 * after the write; it is satisfied once any batch >= it is committed.
 * After a failed commit nothing more is committed and store_poll() and
 * store_sync() return its error (the caller stops: memory is then ahead of
 * the store), with the exception of a full disk.
 *
 * A full disk. A commit that fails for lack of space (SQLITE_FULL, or an
 * I/O error whose errno is ENOSPC or EDQUOT) is rolled back and is not
 * fatal: the store keeps every write not yet committed (the failed batch
 * goes back in front of what was written since, records in their order,
 * and takes the number of the current batch), store_poll() returns -ENOSPC
 * once per failed attempt, and store_full() is true. store_hand_over()
 * then tries again at most every STORE_RETRY_MS, with
 * whatever was written meanwhile, and when nothing is written with a write
 * probe (a transaction that rewrites user_version: one page); the first
 * commit that succeeds ends the state. While the store is full, reads work
 * and writes are accepted into memory; store_drop_order() takes an order
 * not yet committed back out, so that the caller can refuse it. Right
 * after store_poll() returned -ENOSPC the writer is idle until the next
 * try, so a drop then never meets -EBUSY.
 *
 * Opening on a full disk works when the store's -shm exists: SQLite makes
 * it (32 KiB) when the first connection opens a store in WAL mode, and
 * cannot on a full disk (SQLITE_IOERR_SHMSIZE: not even reads work). So
 * the store keeps its -wal and -shm when it closes (SQLITE_FCNTL_PERSIST_WAL);
 * a clean close empties the -wal (wal_checkpoint(TRUNCATE)), so that only
 * the -shm holds space and no old -wal can ever be applied to a kitchen.db
 * restored from a backup. store_open() then succeeds on a full disk with
 * store_full() true. Creating a store (or the -shm of a store last closed
 * by kitchen 0.2) needs space: -ENOSPC.
 *
 * Every start checks:
 * - that the store can be written: store_open() proves it with the write
 *   probe, and fails (-EROFS, -EACCES, with the file that cannot be
 *   written) for a read-only kitchen.db, -wal or -shm, or a read-only
 *   directory where one of them or the id file must be made, instead of at
 *   the first commit;
 * - its integrity: PRAGMA quick_check (store_check.h), stopped after
 *   STORE_CHECK_MS (store_checked() is then false); a damaged store is
 *   refused (-EUCLEAN) with what is unreadable ("the orders table", "the
 *   index orders_open of the orders table") and SQLite's first finding,
 *   and left untouched (it is not converted either);
 * - that no committed order was lost, with the id file below.
 *
 * The id file, DIR/kitchen.db-ids (mode 0600; store_ids.h has its format).
 * SQLite cannot tell that its -wal was lost or damaged (it reads the store
 * as of the last checkpoint), nor that kitchen.db was truncated or replaced
 * by an older copy; the ids of the lost orders would be used again and
 * their idempotency keys would name new orders. The id file holds:
 * - a reservation of order and dish ids: before it commits a batch using
 *   an id beyond the reservation, the writer reserves STORE_IDS_BLOCK more
 *   (write and fdatasync; a rename and a directory fsync when the file is
 *   made), so a commit costs nothing more but once every 100,000 ids;
 * - the highest order id committed, rewritten (pwrite, no sync) after each
 *   commit that holds an order.
 * store_open() continues the ids after both the store's and the
 * reservation (store_next_ids()): an id is never used twice. A clean close
 * brings the reservation back to what is used, so only a restart after a
 * crash skips ids. When the store's highest order id is below the one
 * committed, orders were lost: store_open() fails with -ESTALE, saying
 * which orders are missing and what probably happened; with
 * STORE_OPEN_ACCEPT_LOST it goes on, records the loss in the id file (the
 * ids stay reserved; store_lost_orders()), and the next open is normal.
 * A store without an id file (kitchen 0.2 made none) gets one made from
 * the store; an id file beside a store without orders (a zero-length or
 * missing kitchen.db) is a loss. A damaged id file is refused (-EBADMSG):
 * removing it makes store_open() start it again from the store. Not seen:
 * a lost -wal that held only dish records (their dishes are cooked again),
 * and a loss of the last commits before the highest order id committed was
 * written (the ids stay reserved all the same).
 *
 The id file is not part of the schema: a store last opened without one
 * (kitchen 0.2 made none) gets one; the ids continue after the store's and
 * the reservation's, whichever is higher.
 *
 * Reads (store_get_order, store_find_key, store_load_open, store_count,
 * store_next_ids) go through a second connection on the caller's thread
 * and see only what is committed; threads never share a connection. The
 * one exception is an idempotency key: the store keeps the keys of orders
 * not yet committed in memory, and store_find_key() looks there first.
 *
 * All functions are for one thread (kitchend's loop); only the writer runs
 * on its own.
 *
 * Schema version 5 (PRAGMA user_version) writes per order, not per dish:
 *
 *   orders(id, key, created_ms, dishes, first_dish, done, names, priority,
 *          due_ms, finished_ms)
 *     one row per order, written once by store_add_order(): its dishes are
 *     ids first_dish .. first_dish + dishes - 1, their names '\n'-joined in
 *     index order in names (dish names never hold a '\n': menu names are
 *     text without control characters); priority (PROTO_PRIORITY_*) and
 *     due_ms (wall clock; 0: at once) as ordered. done is 0 while open,
 *     else the order's final enum proto_state, written with finished_ms
 *     (wall clock). Indexes: orders_open (the open orders), orders_finished
 *     (finished_ms of the finished ones).
 *   dishes(id, state, attempts, chef, result, detail, started_ms, finished_ms)
 *     only dishes with something to remember: taken back (queued again with
 *     a reason), served or failed; written by one upsert each. started_ms
 *     and finished_ms (wall clock) are when the last attempt was handed to
 *     its chef and when the dish was served, failed or cancelled; 0 when
 *     not (yet): a dish queued again has none, one cancelled or failed
 *     before a chef had it has only finished_ms. A dish
 *     without a row is queued, never tried. There is no secondary index: an
 *     order's rows are the rowid range of its dishes. A served dish's
 *     result is bytes (a blob: a program's output), else text.
 *   inputs(id, input)
 *     a dish's input, bytes, written with its order; only for a dish that
 *     has one (not empty). Deleted with its order.
 *   pruned(orders, served, failed, cancelled)
 *     one row: the orders, and the served, failed and cancelled dishes
 *     retention deleted (made at open where missing).
 *
 * "cooking" is never stored: handing a dish to a chef writes nothing, so
 * the store reports a dish at a chef as it was before (queued, its attempts
 * not counting the one under way); kitchend overlays what it holds in
 * memory for open orders. A dish that was at a chef when kitchend died is
 * cooked again on the next start, and that interrupted attempt is not
 * counted (a chef's own time-out, death or crash is: those are recorded).
 *
 * Retention. Nothing is deleted until store_set_retention() says what to
 * keep: then the store's writer thread, on its own connection, deletes the
 * finished orders it no longer keeps, each with its dish rows
 * (store_prune.h says which: older than keep_ms, or beyond max_orders; never
 * one whose idempotency key is still valid, nor the order of the highest
 * id). It does so in steps of at most STORE_PRUNE_ORDERS orders, one
 * transaction each (committed without an fdatasync), while it has no
 * batch to commit (a batch handed over cuts the step under way short), in
 * at most a tenth of its time while there is a backlog, else one look
 * every STORE_PRUNE_IDLE_MS; and, while a backlog stays, between batches
 * as many as the batches finished and a quarter more, so that retention
 * keeps pace with any load (store_writer.h has the pace). Never
 * on a full store, nor after a failed commit. A pruned order is not found
 * (store_get_order: -ENOENT); the served, failed and cancelled dishes pruned are
 * counted in the table pruned, so store_count() still counts them (in one
 * statement: one snapshot, as every read that spans several rows must take
 * while steps commit beside it). SQLite
 * reuses the freed pages (its freelist) for new orders: the file stops
 * growing once as many orders finish as are pruned; it does not shrink
 * (a VACUUM with kitchend stopped does that). The -wal is copied back into
 * kitchen.db by a thread of its own every STORE_CHECKPOINT_PAGES pages, and
 * by the writer at STORE_WAL_PAGES (1000, SQLite's wal_autocheckpoint),
 * after which it starts over (store_checkpoint.h); it is cut back to
 * STORE_WAL_LIMIT after a checkpoint when it grew beyond (journal_size_limit).
 *
 * An older store is converted to version 5 by store_open() in one
 * transaction: version 4 gains the dishes' columns started_ms and
 * finished_ms (0 for the dishes recorded before); version 3 the table
 * inputs too; version 2 the columns
 * priority, due_ms and finished_ms too (an order finished before has its
 * created_ms for its finish); version 1 (a dish row per dish, "cooking" stored) is rewritten
 * (store_v1.h). A newer one is refused. store_converted() tells the
 * caller, which may say so.
 *
 * Ids are chosen by the caller (kitchend keeps the counters, seeded from
 * store_next_ids()), so an order's dishes are numbered before they are
 * written. Dish and order states are enum proto_state values (proto.h).
 *
 * Every function returns 0 or -errno; nothing here logs above debug. An
 * SQLite failure becomes the errno that fits its result code:
 *
 *   SQLITE_FULL                      -ENOSPC
 *   SQLITE_IOERR  with errno ENOSPC, EDQUOT   -ENOSPC
 *                 with errno EROFS, EACCES, EPERM   that errno
 *                 else               -EIO
 *   SQLITE_READONLY                  -EROFS
 *   SQLITE_CORRUPT, SQLITE_NOTADB    -EUCLEAN
 *   SQLITE_CANTOPEN                  the system's errno (-ENOENT, -EACCES,
 *                                    -EROFS, ...), -EACCES without one
 *   SQLITE_PERM, SQLITE_AUTH         -EACCES
 *   SQLITE_BUSY, SQLITE_LOCKED       -EBUSY
 *   SQLITE_NOMEM                     -ENOMEM
 *   SQLITE_TOOBIG                    -E2BIG
 *   anything else (a constraint)     -EIO
 *
 * and its reason, SQLite's message with the system's error where there is
 * one ("database or disk is full", "disk I/O error (No space left on
 * device)"), is what store_error() says, so that the caller can log "Failed
 * to commit to the order store: database or disk is full".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"


/* The schema this code writes; store_open() converts older ones. */
#define STORE_SCHEMA_VERSION 5
/* How long store_open()'s integrity check may take. */
#define STORE_CHECK_MS 2000
/* How often a full store tries again to commit. */
#define STORE_RETRY_MS 1000
/* Retention's pace (store_writer.h): between steps while there is a
 * backlog, between looks when there is none, after a failed step. */
/* Finished orders examined by one step of retention (one transaction). */
#define STORE_PRUNE_ORDERS 500
#define STORE_PRUNE_PAUSE_MS 10
#define STORE_PRUNE_IDLE_MS 1000
#define STORE_PRUNE_RETRY_MS 10000
/* While a backlog stays, a step runs before the next batch once the
 * batches finished enough orders to owe this many deletions, and deletes
 * what the last batch owes (at least STORE_PRUNE_OWED_STEP, at most
 * STORE_PRUNE_OWED_MAX) before it yields to the next. */
#define STORE_PRUNE_OWED 16
#define STORE_PRUNE_OWED_STEP 16
#define STORE_PRUNE_OWED_MAX 64
/* The -wal is cut back to this after a checkpoint (PRAGMA journal_size_limit). */
#define STORE_WAL_LIMIT (8 << 20)

struct store;

struct store_order {
	uint64_t id;
	uint64_t created_ms;
	uint64_t first_dish;    /* dish ids first_dish .. first_dish + n_dishes - 1 */
	unsigned n_dishes;
	unsigned served;
	unsigned failed;
	unsigned cancelled;
	unsigned priority;
	uint64_t due_ms;        /* wall clock; 0: at once */
	uint64_t finished_ms;   /* wall clock; 0 while open */
	/* Of the order as a whole: when every dish is done, as
	 * proto_order_final_state() says; cooking when any dish has a record
	 * (see above), else queued. */
	enum proto_state state;
};

struct store_dish {
	uint64_t id;
	uint64_t order_id;
	unsigned index;
	unsigned attempts;
	enum proto_state state;  /* never cooking: see above */
	const char *name;
	const char *chef;     /* the chef that last had it, as recorded; "" without a record */
	const char *result;   /* "Served Pizza", or the failure reason; "" (NUL-terminated) */
	size_t result_len;    /* its bytes: a program's output may hold NULs */
	const void *input;    /* store_get_order_inputs(), store_load_open(): its input; else NULL */
	size_t input_len;
	const char *detail;   /* items when served, else the reasons, one per line ending in '\n'; "" */
	uint64_t started_ms;  /* wall clock: its last attempt handed to a chef; 0: none (see above) */
	uint64_t finished_ms; /* wall clock: served, failed or cancelled; 0: not */
};

/* store_open() @flags. */
enum {
	/* A store that lost committed orders is opened all the same, once. */
	STORE_OPEN_ACCEPT_LOST = 1 << 0,
};

/*
 * Open (creating if needed) DIR/kitchen.db and DIR/kitchen.db-ids.
 * @synchronous: "full" | "normal". A version-1 store is converted first
 * (all or nothing). On failure the reason, a sentence without the
 * directory, is in @err:
 *   -EPROTONOSUPPORT  a schema newer than STORE_SCHEMA_VERSION (written by
 *                     a newer kitchend: left untouched)
 *   -EBADMSG          a version-1 store whose dish ids are not numbered as
 *                     kitchend numbers them; or a damaged id file
 *   -EUCLEAN          a damaged store (see above: left untouched)
 *   -ESTALE           a store that lost committed orders (see above)
 *   -EROFS, -EACCES   a file of the store that cannot be written
 *   -ENOSPC           no space to create the store or its -shm
 * A full disk otherwise is no failure: see store_full().
 */
int store_open(const char *dir, const char *synchronous, unsigned flags, struct store **ret_store,
	       char *err, size_t err_size);
/* Commits what is written (store_sync: a full store is tried once more,
 * then what is not committed is given up), stops the writer, closes both
 * connections; NULL is fine. */
void store_close(struct store **s);

/* The reason of the last failure of a function of @s (see above); "" before any. */
const char *store_error(const struct store *s);

/* Readable when a batch was committed (or a commit failed): for poll(). */
int store_fd(const struct store *s);
/* Hand the current batch to the writer, if it is idle and the batch holds
 * something; on a full store, at most every STORE_RETRY_MS, with or without
 * something to write. Never waits: call it every turn. */
void store_hand_over(struct store *s);
/* Clear store_fd(); the highest committed batch in *ret_committed (also on
 * failure). -ENOSPC when a commit failed for lack of space since the last
 * call (not fatal: see above); the error (-EIO, ...) once a commit failed
 * otherwise. */
int store_poll(struct store *s, uint64_t *ret_committed);
/* Hand over and wait until everything written so far is committed (or a
 * commit failed: its error; a full store is tried once, then -ENOSPC).
 * For recovery, tests and store_close(). */
int store_sync(struct store *s);
/* Whether the last commit store_poll() or store_sync() learnt of failed
 * for lack of space (or store_open() found the disk full), and none has
 * succeeded since. */
bool store_full(const struct store *s);
/*
 * Take order @order_id, written by store_add_order() and not yet committed,
 * out of what waits to be committed: its row, every record of it and of its
 * dishes, and its idempotency key (store_find_key() no longer finds it by
 * that key). 0; -ENOENT when it does not wait (committed already, or
 * unknown); -EBUSY when the writer is committing it at this moment.
 */
int store_drop_order(struct store *s, uint64_t order_id);
/*
 * Keep finished order @order_id from retention until what is written from
 * now on is committed: call it before reading the order back to open it
 * again (a retry), so that it is either gone already (the read says
 * -ENOENT) or kept until its reopening is committed. -EBUSY when too many
 * are pinned at once (try again after a commit).
 */
int store_pin_order(struct store *s, uint64_t order_id);
/* The last batch holding a write (0: none yet), and the highest one known
 * committed (by store_poll() or store_sync()): everything written is
 * committed when store_written() <= store_committed(). */
uint64_t store_written(const struct store *s);
uint64_t store_committed(const struct store *s);

/* For METRICS: the database's size (page_count * page_size, read on the
 * loop's connection); and how long the writer took to apply and commit
 * each batch with something to write, added to @h (copied under the
 * writer's lock: it measures on its own thread, metrics.h). */
int store_size(struct store *s, uint64_t *ret_bytes);
struct metrics_hist;
void store_commit_times(struct store *s, struct metrics_hist *h);

/* Whether store_open() converted @s; if so, from which version and how
 * many orders (each pointer may be NULL). */
bool store_converted(const struct store *s, unsigned *ret_from, uint64_t *ret_orders);
/* Whether store_open()'s integrity check ran to its end (false: it was
 * stopped after STORE_CHECK_MS, and found nothing until then). */
bool store_checked(const struct store *s);
/* Whether store_open() accepted a loss of orders (STORE_OPEN_ACCEPT_LOST);
 * if so, which order ids were missing. */
bool store_lost_orders(const struct store *s, uint64_t *ret_first, uint64_t *ret_last);

/* The next free order and dish ids: after every id in the store and every
 * id used or reserved before (the id file); 1 on a new store. */
int store_next_ids(struct store *s, uint64_t *ret_order_id, uint64_t *ret_dish_id);

/* Dishes ever served, failed and cancelled (pruned ones too), in
 * counts[PROTO_STATE_SERVED], ...; the other counts are 0 (queued dishes
 * are counted as store_load_open() hands them over). */
int store_count(struct store *s, uint64_t counts[_PROTO_STATE_MAX]);

/* An order to record. */
struct store_new_order {
	uint64_t id;
	const char *key;          /* idempotency key; NULL or "" for none */
	uint64_t created_ms;      /* wall clock */
	uint64_t due_ms;          /* wall clock: its dishes wait until then; 0: at once */
	uint64_t first_dish;      /* dish ids first_dish .. first_dish + n_dishes - 1 */
	size_t n_dishes;
	const char *const *names; /* n_dishes */
	const struct proto_field *inputs;  /* n_dishes, or NULL: none has one */
	unsigned priority;        /* PROTO_PRIORITY_MIN .. PROTO_PRIORITY_MAX */
};

/* Record order @o as one row. -EINVAL for a name holding a '\n'. */
int store_add_order(struct store *s, const struct store_new_order *o);

/*
 * The order submitted with idempotency @key at or after @since_ms (wall
 * clock), or -ENOENT; an order not yet committed is found too. A key older
 * than that has expired: a record taking it off its order is written (to
 * the current batch, ahead of any new order's), so that a new order may
 * carry it.
 */
int store_find_key(struct store *s, const char *key, uint64_t since_ms, uint64_t *ret_order_id);

/*
 * What happened to dish @dish_id at its attempt number @attempts, which
 * @chef had (a name; "" for none), handed to it at @started_ms (wall clock;
 * 0: no chef had it) and ended at @finished_ms.
 * requeued: back in the queue; @reason is appended to detail as a line;
 *   its times go back to 0.
 * served: detail becomes @items.
 * failed for good: result is @reason, also appended to detail as a line;
 *   with @chef "" the chef recorded before stays.
 * cancelled: as failed, in state cancelled. A dish being cooked is
 *   recorded cancelled as soon as its chef is told to stop: if it is
 *   served after all, the served record replaces it.
 * A dish retried (a new series of attempts) is requeued with @attempts 0.
 */
int store_dish_requeued(struct store *s, uint64_t dish_id, unsigned attempts, const char *chef,
			const char *reason);
int store_dish_served(struct store *s, uint64_t dish_id, unsigned attempts, uint64_t started_ms,
		      uint64_t finished_ms, const char *chef, const void *result, size_t result_len,
		      const char *items);
int store_dish_failed(struct store *s, uint64_t dish_id, unsigned attempts, uint64_t started_ms,
		      uint64_t finished_ms, const char *chef, const char *reason);
int store_dish_cancelled(struct store *s, uint64_t dish_id, unsigned attempts, uint64_t started_ms,
			 uint64_t finished_ms, const char *chef, const char *reason);
/* Order @order_id finished in @state at @finished_ms; PROTO_STATE_QUEUED
 * (with 0) opens it again (a dish of it is retried). */
int store_order_done(struct store *s, uint64_t order_id, enum proto_state state, uint64_t finished_ms);

/*
 * Read order @id (as committed) and call @dish_cb (may be NULL) for each of its dishes in
 * index order; -ENOENT for no such order. The order and its dish rows are
 * read (once) before anything is handed over: *ret_order is filled before
 * the first @dish_cb, and an error other than the callback's own comes
 * before it. The strings live until the callback returns; a callback must
 * not call into the store.
 */
typedef int (*store_dish_cb)(const struct store_dish *d, void *userdata);
int store_get_order(struct store *s, uint64_t id, struct store_order *ret_order,
		    store_dish_cb dish_cb, void *userdata);
/* The same, each dish with its input. */
int store_get_order_inputs(struct store *s, uint64_t id, struct store_order *ret_order,
			   store_dish_cb dish_cb, void *userdata);

/*
 * The outputs of order @id's dishes from index @first on, as committed: @cb
 * gets each dish that has ended (never tried and queued ones are skipped)
 * with its index, state and, when served, its result (bytes, valid until
 * it returns), in index order, until it returns > 0 (enough: that dish is
 * not taken) or < 0 (an error, returned). *ret_next: the index of the dish
 * not taken, or the order's dish count when the walk reached its end.
 * -ENOENT for no such order.
 */
typedef int (*store_output_cb)(unsigned index, enum proto_state state, const void *output, size_t len,
			       void *userdata);
int store_outputs(struct store *s, uint64_t id, unsigned first, store_output_cb cb, void *userdata,
		  unsigned *ret_next);

/*
 * The orders of ids @first to @first + @n - 1 that the store holds, as
 * committed, into @ret (room for @n), in id order, their number in *ret_n:
 * each one's id, its final state when done (PROTO_STATE_QUEUED while open)
 * and its number of dishes. One range read of the orders' rows, no dish row.
 */
struct store_order_state {
	uint64_t id;
	enum proto_state done;  /* served, failed or cancelled; PROTO_STATE_QUEUED while open */
	uint64_t n_dishes;
};
int store_order_states(struct store *s, uint64_t first, size_t n, struct store_order_state *ret, size_t *ret_n);

/*
 * For recovery: call @order_cb for every order not yet done, oldest first,
 * then @dish_cb for each of its dishes, as store_get_order_inputs() does.
 */
typedef int (*store_order_cb)(const struct store_order *o, void *userdata);
int store_load_open(struct store *s, store_order_cb order_cb, store_dish_cb dish_cb, void *userdata);

/*
 * The order book newest first, a page at a time (LIST, daemon/listing.h).
 * Ids grow with time, so orders are walked by id downwards from
 * q->before (exclusive; 0: from the newest): the primary key's order, no
 * sort. One call looks at no more than STORE_LIST_EXAMINE rows, whatever
 * the filter, so that it costs a bounded time on kitchend's loop: a rare
 * filter returns a short page (even an empty one) and a cursor to go on
 * from. Each order that passes the filter goes to @cb, which says whether
 * it takes it (> 0; it may filter further) or not (0); the call ends once
 * @cb took q->limit orders. *ret_next is the q->before of the next page: the
 * lowest id looked at, or 0 when no older order is left to look at.
 *
 * Filters: q->key (the one order of that key: its UNIQUE index), q->open
 * (open orders only: the orders_open index), q->done (finished in that
 * state), q->since_ms and q->until_ms (created within, wall clock; since
 * ids grow with time, the walk starts below the first order created after
 * until_ms, found by bisecting the ids, and ends at the first order older
 * than since_ms), q->dish (holding a dish of that name, ignoring ASCII
 * case as the menu does). Only what is committed is seen.
 */
#define STORE_LIST_EXAMINE 5000

struct store_list_query {
	uint64_t before;        /* ids below it; 0: all */
	size_t limit;           /* orders @cb may take, at least 1 */
	bool open;              /* open orders only */
	enum proto_state done;  /* with !open: finished in this state; _PROTO_STATE_MAX: any */
	uint64_t since_ms;      /* created at or after; 0: any */
	uint64_t until_ms;      /* created at or before; 0: any */
	const char *key;        /* NULL or "": any */
	const char *dish;       /* NULL or "": any */
};

/* An order as listed. The strings live until the callback returns. */
struct store_listed {
	struct store_order order;  /* dish counts as stored (never cooking, see above) */
	const char *key;           /* "" for none */
	const char *names;         /* its dishes, '\n'-joined in index order */
};

typedef int (*store_list_cb)(const struct store_listed *l, void *userdata);
int store_list(struct store *s, const struct store_list_query *q, store_list_cb cb, void *userdata,
	       uint64_t *ret_next);

/* What the store keeps of finished orders (see Retention above). All 0: everything. */
struct store_retention {
	uint64_t keep_ms;           /* finished longer ago than this go; 0: no limit by age */
	uint64_t max_orders;        /* at most this many finished orders; 0: no limit */
	uint64_t key_retention_ms;  /* an order whose key is this young stays */
};

/* What was pruned since store_open(). */
struct store_pruned {
	uint64_t orders, dishes;    /* deleted */
	uint64_t steps;             /* transactions that deleted something */
	uint64_t failures;          /* steps that failed (rolled back; tried again later) */
};

/* Apply @r from now on (at start, and at each reload); the writer looks at
 * once. */
void store_set_retention(struct store *s, const struct store_retention *r);
/* The counts so far in *ret; the reason of the last failed step in @why
 * ("" for none). */
void store_pruned(struct store *s, struct store_pruned *ret, char *why, size_t why_size);
/* Wait until the writer, idle, has pruned everything the rules let go at
 * this moment (at once without rules; a step failing ends it: its error).
 * For tests and tools: a big backlog takes a while. */
int store_prune_sync(struct store *s);
