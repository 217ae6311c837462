/*
 * store_vfs — SQLite's unix VFS under the store, with its small writes
 * gathered into large ones.
 *
 * SQLite writes a page at a time: a commit puts each page into the -wal as
 * two writes (its 24-byte frame header, then the page), and a checkpoint
 * copies each page back into kitchen.db as one read and one write. On this
 * kind of machine (a VM whose system calls cost microseconds) that is most
 * of what the writer and the checkpoint thread spend beyond SQLite itself.
 * This VFS (named STORE_VFS_NAME, registered beside "unix", never as the
 * default) passes everything to "unix", except that it keeps back writes
 * that follow one another in a file, up to STORE_VFS_GATHER bytes, and
 * writes them in one:
 *
 *   - the -wal's, while the database's connection asks for it with
 *     STORE_VFS_FCNTL_GATHER (sqlite3_file_control() on "main"). Only a
 *     connection whose every commit syncs the -wal may ask (synchronous =
 *     FULL): the sync writes what was kept back first, so a commit fails as
 *     before when its pages cannot be written (it is rolled back, and what
 *     it kept back dropped), and no other connection can see a frame
 *     before it is in the file. Anything else done to the file (a read,
 *     its size, a truncation, a file control, closing it) writes it first
 *     too, as does SQLite's memory barrier on the database's shared memory
 *     (xShmBarrier), which precedes every change another connection can
 *     see;
 *   - kitchen.db's, during a checkpoint (between SQLITE_FCNTL_CKPT_START
 *     and SQLITE_FCNTL_CKPT_DONE), within the size the file has: SQLite's
 *     size hint, which the unix VFS ignores, makes it grow first, with
 *     zeros in large writes, so that these writes only overwrite space the
 *     file has and cannot find the disk full. They go out at CKPT_DONE,
 *     the last SQLite hears before it marks the pages copied, and it can
 *     no longer hear of an error: if they still cannot be written then,
 *     kitchend stops at once (abort()), before they are marked, and the
 *     next start copies them again from the -wal. A write past that size
 *     is made at once. Its error, or any other SQLite is given during the
 *     checkpoint, makes SQLite leave the pages uncopied (in the -wal), and
 *     what was kept back is dropped.
 *
 * During a checkpoint it also reads the -wal ahead, STORE_VFS_GATHER bytes
 * at a time: the pages it copies lie mostly one after another. Only frames
 * already committed are read there, which no writer changes until the
 * checkpoint ends; a read that fails is made again as asked.
 *
 * Each file is used by one connection, so by one thread at a time; the
 * VFS itself holds nothing that changes after its registration. Nothing
 * here logs above debug, but for the abort above.
 *
 *	r = store_vfs_register();
 *	sqlite3_open_v2(path, &db, flags, STORE_VFS_NAME);
 *	sqlite3_file_control(db, "main", STORE_VFS_FCNTL_GATHER, &(int) { 1 });
 */
#pragma once

#include <sqlite3.h>

#define STORE_VFS_NAME "kitchen"

/* The most kept back of one file, and the -wal's read-ahead: below the
 * unix VFS's largest single write (128 KiB). */
#define STORE_VFS_GATHER (120 << 10)

/* sqlite3_file_control() on "main", with an int: nonzero to gather the
 * -wal's writes, 0 to stop. Stopping writes what was kept back, and says
 * SQLITE_OK or why it could not (it is stopped either way; the next write
 * tries again). */
#define STORE_VFS_FCNTL_GATHER 0x4b495401

/* Register the VFS, once a process: 0 or -errno. */
int store_vfs_register(void);
