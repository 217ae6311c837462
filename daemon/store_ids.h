/*
 * store_ids — the order store's id file, DIR/kitchen.db-ids (store.h says
 * what it is for; this is the file).
 *
 * A few lines of text, of fixed length, so that every update is one pwrite
 * of the whole file at offset 0 (within one sector: it is never half
 * written):
 *
 *   kitchen.db-ids 1
 *   next-order 00000000000000100001    ids below are reserved (synced before use)
 *   next-dish 00000000000000100001
 *   committed-order 00000000000000000042   highest order id committed (not synced)
 *   lost-orders 00000000000000000000 00000000000000000000 00000000000000000000
 *       first and last order id of the last loss accepted, and when (ms since
 *       the epoch); 0 0 0: none
 *
 * The file is created whole (a temporary file, synced, renamed, its
 * directory synced) with mode 0600, owned like kitchen.db; from then on it
 * is rewritten in place. Nothing here logs above debug; a failure's reason
 * is sql_last_error().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Ids reserved at a time: a reservation (one fsync) every this many ids. */
#define STORE_IDS_BLOCK 100000

struct store_ids {
	int fd;                 /* -1: no file (yet) */
	char *path;
	uint64_t next_order, next_dish;  /* ids below these are reserved */
	uint64_t committed_order;        /* the highest order id committed */
	uint64_t lost_first, lost_last, lost_ms;
};

/*
 * Read DIR/kitchen.db-ids into @ids (which then holds its descriptor, open
 * for writing, and path): 0; -ENOENT when there is none (or an empty one:
 * its creation was cut short), @ids zero but for the path; -EBADMSG when it
 * is not such a file; else -errno (-EACCES: not writable).
 */
int store_ids_load(const char *dir, struct store_ids *ids);
/* Write @ids to its file, creating it (synced) if there is none yet; with
 * @sync, also fdatasync() it. -ENOSPC for a full disk (or quota). */
int store_ids_write(struct store_ids *ids, bool sync);
/* Close the file, free the path; @ids is zero after (fd -1). */
void store_ids_close(struct store_ids *ids);
