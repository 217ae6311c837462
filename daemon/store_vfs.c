#include "store_vfs.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * A file of the store: SQLite's own (real: the unix VFS's, right after
 * this), and what is kept back of it.
 */
struct vfile {
	sqlite3_file base;
	sqlite3_file *real;
	struct vfile *main;       /* a -wal: its database's file, while both are open */
	struct vfile *wal;        /* a database: its -wal's, while both are open */
	bool gather_wal;          /* a database: its -wal's appends are gathered */
	bool in_checkpoint;       /* a database: between CKPT_START and CKPT_DONE */
	sqlite3_int64 room;       /* a database in a checkpoint: its size after the size hint */
	bool told;                /* a database in a checkpoint: SQLite was given an error */
	/* Writes kept back: the bytes of [at, at + len). */
	char *buf;
	size_t len;
	sqlite3_int64 at;
	/* A -wal during its database's checkpoint: [ra_at, ra_at + ra_len). */
	char *ra;
	size_t ra_len;
	sqlite3_int64 ra_at;
	sqlite3_int64 ra_end;     /* the -wal's size when the checkpoint started */
};

static sqlite3_vfs *unix_vfs;

/* Write what was kept back. On failure it stays, for the next try. */
static int flush(struct vfile *f)
{
	int r;

	if (f->len == 0)
		return SQLITE_OK;
	r = f->real->pMethods->xWrite(f->real, f->buf, (int) f->len, f->at);
	if (r == SQLITE_OK)
		f->len = 0;
	return r;
}

/* Whether a write of [off, off + n) may be kept back. */
static bool may_gather(const struct vfile *f, sqlite3_int64 off, int n)
{
	if (n >= STORE_VFS_GATHER)
		return false;
	if (f->main)
		return f->main->gather_wal;
	return f->in_checkpoint && off + n <= f->room;
}

static int v_close(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *) file;
	int r = flush(f), r2;

	if (f->main)
		f->main->wal = NULL;
	if (f->wal)
		f->wal->main = NULL;
	r2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	free(f->ra);
	return r != SQLITE_OK ? r : r2;
}

/* @r, which goes to SQLite: in a checkpoint of @main (may be NULL), SQLite
 * then leaves the pages uncopied. */
static int tell(struct vfile *main, int r)
{
	if (main && main->in_checkpoint && r != SQLITE_OK)
		main->told = true;
	return r;
}

static int v_read(sqlite3_file *file, void *data, int n, sqlite3_int64 off)
{
	struct vfile *f = (struct vfile *) file;
	int r = flush(f);

	if (r != SQLITE_OK)
		return r;
	if (f->main && f->main->in_checkpoint && n < STORE_VFS_GATHER) {
		if (!(off >= f->ra_at && off + n <= f->ra_at + (sqlite3_int64) f->ra_len)) {
			sqlite3_int64 want = f->ra_end - off < STORE_VFS_GATHER ? f->ra_end - off : STORE_VFS_GATHER;

			if (!f->ra)
				f->ra = malloc(STORE_VFS_GATHER);
			f->ra_len = 0;
			if (f->ra && want >= n &&
			    f->real->pMethods->xRead(f->real, f->ra, (int) want, off) == SQLITE_OK) {
				f->ra_at = off;
				f->ra_len = (size_t) want;
			}
		}
		if (off >= f->ra_at && off + n <= f->ra_at + (sqlite3_int64) f->ra_len) {
			memcpy(data, f->ra + (off - f->ra_at), (size_t) n);
			return SQLITE_OK;
		}
	}
	return tell(f->main, f->real->pMethods->xRead(f->real, data, n, off));
}

static int v_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
	struct vfile *f = (struct vfile *) file;
	int r;

	f->ra_len = 0;
	if (!may_gather(f, off, n)) {
		r = flush(f);
		return tell(f, r != SQLITE_OK ? r : f->real->pMethods->xWrite(f->real, data, n, off));
	}
	if (f->len > 0 && (off != f->at + (sqlite3_int64) f->len || f->len + (size_t) n > STORE_VFS_GATHER)) {
		r = flush(f);
		if (r != SQLITE_OK)
			return tell(f, r);
	}
	if (!f->buf) {
		f->buf = malloc(STORE_VFS_GATHER);
		if (!f->buf)
			return f->real->pMethods->xWrite(f->real, data, n, off);
	}
	if (f->len == 0)
		f->at = off;
	memcpy(f->buf + f->len, data, (size_t) n);
	f->len += (size_t) n;
	return SQLITE_OK;
}

static int v_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfile *f = (struct vfile *) file;
	int r = flush(f);

	f->ra_len = 0;
	return r != SQLITE_OK ? r : f->real->pMethods->xTruncate(f->real, size);
}

static int v_sync(sqlite3_file *file, int flags)
{
	struct vfile *f = (struct vfile *) file;
	int r = flush(f);

	if (r != SQLITE_OK) {
		/* All of it is the failing commit's (the last one's went out at
		 * its own sync), which SQLite now rolls back: never valid. */
		f->len = 0;
		return r;
	}
	return f->real->pMethods->xSync(f->real, flags);
}

static int v_file_size(sqlite3_file *file, sqlite3_int64 *ret)
{
	struct vfile *f = (struct vfile *) file;
	int r = flush(f);

	return r != SQLITE_OK ? r : f->real->pMethods->xFileSize(f->real, ret);
}

static int v_lock(sqlite3_file *file, int level)
{
	struct vfile *f = (struct vfile *) file;

	return f->real->pMethods->xLock(f->real, level);
}

static int v_unlock(sqlite3_file *file, int level)
{
	struct vfile *f = (struct vfile *) file;
	int r = flush(f);

	return r != SQLITE_OK ? r : f->real->pMethods->xUnlock(f->real, level);
}

static int v_check_reserved(sqlite3_file *file, int *ret)
{
	struct vfile *f = (struct vfile *) file;

	return f->real->pMethods->xCheckReservedLock(f->real, ret);
}

/*
 * A checkpoint's size hint: the file made @size long, zeros written in
 * large writes (the unix VFS would write a byte a block), so that the
 * copies that follow overwrite space the file has. SQLite ignores what
 * this returns; the copies past what could be made are written at once.
 */
static int grow(struct vfile *f, sqlite3_int64 size)
{
	static const char zeros[STORE_VFS_GATHER];
	int r;

	r = f->real->pMethods->xFileSize(f->real, &f->room);
	while (r == SQLITE_OK && f->room < size) {
		sqlite3_int64 n = size - f->room < STORE_VFS_GATHER ? size - f->room : STORE_VFS_GATHER;

		r = f->real->pMethods->xWrite(f->real, zeros, (int) n, f->room);
		if (r == SQLITE_OK)
			f->room += n;
	}
	return r;
}

static int v_file_control(sqlite3_file *file, int op, void *arg)
{
	struct vfile *f = (struct vfile *) file;
	int r;

	switch (op) {
	case STORE_VFS_FCNTL_GATHER:
		/* Stopped even when what was kept back cannot be written yet. */
		f->gather_wal = *(int *) arg != 0;
		return f->wal && !f->gather_wal ? flush(f->wal) : SQLITE_OK;
	case SQLITE_FCNTL_CKPT_START:
		f->in_checkpoint = true;
		f->told = false;
		if (f->real->pMethods->xFileSize(f->real, &f->room) != SQLITE_OK)
			f->room = 0;
		if (f->wal) {
			f->wal->ra_len = 0;
			if (f->wal->real->pMethods->xFileSize(f->wal->real, &f->wal->ra_end) != SQLITE_OK)
				f->wal->ra_end = 0;
		}
		break;
	case SQLITE_FCNTL_SIZE_HINT:
		if (!f->in_checkpoint)
			break;
		return grow(f, *(sqlite3_int64 *) arg);
	case SQLITE_FCNTL_CKPT_DONE:
		f->in_checkpoint = false;
		f->room = 0;
		if (f->wal)
			f->wal->ra_len = 0;
		/* SQLite marks the pages copied next, whatever this returns,
		 * unless it was given an error (then they stay in the -wal). */
		if (f->told)
			f->len = 0;
		if (flush(f) != SQLITE_OK && flush(f) != SQLITE_OK) {
			log_error("Failed to write a checkpoint's pages into kitchen.db, in space it has; "
				  "stopping before they count as copied (the next start copies them again)");
			abort();
		}
		break;
	default:
		r = flush(f);
		if (r != SQLITE_OK)
			return r;
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int v_sector_size(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *) file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int v_device_characteristics(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *) file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int v_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **ret)
{
	struct vfile *f = (struct vfile *) file;

	return f->real->pMethods->xShmMap(f->real, page, size, extend, ret);
}

static int v_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct vfile *f = (struct vfile *) file;

	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

/* SQLite's barrier before it publishes a commit in the -wal's index: what
 * the -wal kept back goes out first. */
static void v_shm_barrier(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *) file;

	if (f->wal)
		(void) flush(f->wal);
	f->real->pMethods->xShmBarrier(f->real);
}

static int v_shm_unmap(sqlite3_file *file, int delete)
{
	struct vfile *f = (struct vfile *) file;

	return f->real->pMethods->xShmUnmap(f->real, delete);
}

static int v_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **ret)
{
	struct vfile *f = (struct vfile *) file;
	int r = flush(f);

	return r != SQLITE_OK ? r : f->real->pMethods->xFetch(f->real, off, n, ret);
}

static int v_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	struct vfile *f = (struct vfile *) file;

	return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods methods = {
	.iVersion = 3,
	.xClose = v_close,
	.xRead = v_read,
	.xWrite = v_write,
	.xTruncate = v_truncate,
	.xSync = v_sync,
	.xFileSize = v_file_size,
	.xLock = v_lock,
	.xUnlock = v_unlock,
	.xCheckReservedLock = v_check_reserved,
	.xFileControl = v_file_control,
	.xSectorSize = v_sector_size,
	.xDeviceCharacteristics = v_device_characteristics,
	.xShmMap = v_shm_map,
	.xShmLock = v_shm_lock,
	.xShmBarrier = v_shm_barrier,
	.xShmUnmap = v_shm_unmap,
	.xFetch = v_fetch,
	.xUnfetch = v_unfetch,
};

#define REAL_OFFSET ((sizeof(struct vfile) + 15) & ~(size_t) 15)

static int v_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *ret_flags)
{
	struct vfile *f = (struct vfile *) file;
	int r;

	(void) vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *) ((char *) f + REAL_OFFSET);
	r = unix_vfs->xOpen(unix_vfs, name, f->real, flags, ret_flags);
	if (r != SQLITE_OK) {
		f->base.pMethods = NULL;
		return r;
	}
	if (flags & SQLITE_OPEN_WAL) {
		struct vfile *m = (struct vfile *) sqlite3_database_file_object(name);

		if (m && m->base.pMethods == &methods) {
			f->main = m;
			m->wal = f;
		}
	}
	f->base.pMethods = &methods;
	return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void) vfs;
	return unix_vfs->xDelete(unix_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *ret)
{
	(void) vfs;
	return unix_vfs->xAccess(unix_vfs, name, flags, ret);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void) vfs;
	return unix_vfs->xFullPathname(unix_vfs, name, n, out);
}

static void *v_dl_open(sqlite3_vfs *vfs, const char *name)
{
	(void) vfs;
	return unix_vfs->xDlOpen(unix_vfs, name);
}

static void v_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void) vfs;
	unix_vfs->xDlError(unix_vfs, n, msg);
}

static void (*v_dl_sym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void) vfs;
	return unix_vfs->xDlSym(unix_vfs, h, sym);
}

static void v_dl_close(sqlite3_vfs *vfs, void *h)
{
	(void) vfs;
	unix_vfs->xDlClose(unix_vfs, h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void) vfs;
	return unix_vfs->xRandomness(unix_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	(void) vfs;
	return unix_vfs->xSleep(unix_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *ret)
{
	(void) vfs;
	return unix_vfs->xCurrentTime(unix_vfs, ret);
}

static int v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void) vfs;
	return unix_vfs->xGetLastError(unix_vfs, n, out);
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *ret)
{
	(void) vfs;
	return unix_vfs->xCurrentTimeInt64(unix_vfs, ret);
}

static sqlite3_vfs vfs = {
	.iVersion = 2,
	.zName = STORE_VFS_NAME,
	.xOpen = v_open,
	.xDelete = v_delete,
	.xAccess = v_access,
	.xFullPathname = v_full_pathname,
	.xDlOpen = v_dl_open,
	.xDlError = v_dl_error,
	.xDlSym = v_dl_sym,
	.xDlClose = v_dl_close,
	.xRandomness = v_randomness,
	.xSleep = v_sleep,
	.xCurrentTime = v_current_time,
	.xGetLastError = v_last_error,
	.xCurrentTimeInt64 = v_current_time_int64,
};

static int registered;

static void register_once(void)
{
	unix_vfs = sqlite3_vfs_find("unix");
	if (!unix_vfs) {
		registered = -ENOENT;
		return;
	}
	vfs.szOsFile = (int) (REAL_OFFSET + (size_t) unix_vfs->szOsFile);
	vfs.mxPathname = unix_vfs->mxPathname;
	registered = sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? 0 : -ENOMEM;
}

int store_vfs_register(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_once);
	return registered;
}
