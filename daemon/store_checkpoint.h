/*
 * store_checkpoint — the -wal copied back into kitchen.db on a thread of
 * its own, beside the store's writer (store_writer.h), so that a commit
 * seldom waits behind a checkpoint.
 *
 * SQLite checkpoints in the connection that commits: once a commit leaves
 * the -wal at STORE_WAL_PAGES pages (its wal_autocheckpoint), that
 * connection reads the pages back from the -wal, writes them into
 * kitchen.db and syncs both, before it returns: on the writer, a thousand
 * preads, a thousand pwrites and two fsyncs every thousand pages, before
 * the next batch and every acknowledgement it holds.
 *
 * Here the writer's connection gets a WAL hook instead (store_checkpoint_attach()),
 * which runs after each of its commits with the -wal's size:
 *   - every STORE_CHECKPOINT_PAGES pages the -wal grew, it wakes this
 *     thread, which runs a PASSIVE checkpoint on a connection of its own:
 *     it copies what no reader still needs, without the writer's lock,
 *     while the writer goes on committing;
 *   - at STORE_WAL_PAGES, the writer checkpoints itself, as SQLite would
 *     have (PASSIVE too, so it never waits for this thread: a checkpoint
 *     under way makes it skip to its next commit). By then this thread has
 *     copied most of the -wal, so the writer copies the rest. The -wal
 *     starts over at its beginning only at a commit that follows a
 *     checkpoint that copied all of it (SQLite's rule), whichever
 *     connection ran it: so it stays at about STORE_WAL_PAGES pages, as
 *     before.
 *
 * A failed checkpoint loses nothing (the pages stay in the -wal, and the
 * next checkpoint copies them); as with SQLite's own, the writer does not
 * hear of it. The thread counts its checkpoints and their failures
 * (store_checkpoint_counts()), each failure's reason goes to the debug log,
 * and nothing here logs above debug.
 *
 *	r = store_checkpoint_new(path, &c);     // its connection and thread
 *	store_checkpoint_attach(c, writer_db);  // before the writer's thread starts
 *	...
 *	store_checkpoint_free(&c);              // after the writer's last commit
 */
#pragma once

#include <sqlite3.h>
#include <stdint.h>

/* SQLite's default wal_autocheckpoint: the writer's own checkpoint. */
#define STORE_WAL_PAGES 1000
/* The -wal's growth that wakes the thread: a quarter of the above. */
#define STORE_CHECKPOINT_PAGES 250

struct store_checkpoint;

/* Open a connection of its own to the store at @path (which exists, in WAL
 * mode) and start the thread, which blocks every signal. 0 or -errno. */
int store_checkpoint_new(const char *path, struct store_checkpoint **ret);

/* Set the WAL hook of the writer's connection @db, which is then used by
 * one thread at a time: its own, after store_writer_new(). */
void store_checkpoint_attach(struct store_checkpoint *c, sqlite3 *db);

/* Checkpoints the thread ran, and of them the failed, so far. */
void store_checkpoint_counts(struct store_checkpoint *c, uint64_t *ret_runs, uint64_t *ret_failures);

/* Stop the thread (after the checkpoint under way) and close; NULL is
 * fine. The hook must not run any more (the writer's thread has ended), or
 * be detached. */
void store_checkpoint_free(struct store_checkpoint **c);
