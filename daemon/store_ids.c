#include "store_ids.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sql.h"
#include "util.h"

#define IDS_MAGIC "kitchen.db-ids 1\n"
#define IDS_FORMAT                                     \
	IDS_MAGIC                                      \
	"next-order %020" PRIu64 "\n"                  \
	"next-dish %020" PRIu64 "\n"                   \
	"committed-order %020" PRIu64 "\n"             \
	"lost-orders %020" PRIu64 " %020" PRIu64 " %020" PRIu64 "\n"
/* 17 + 32 + 31 + 37 + 75: every number has 20 digits */
#define IDS_SIZE 192

/* The reason in sql_last_error(); a quota exceeded is a full disk, as for SQLite. */
static int fail(int r, const char *what, const char *path)
{
	sql_set_error("%s '%s': %s", what, path, strerror(-r));
	log_debug("store: %s", sql_last_error());
	return r == -EDQUOT ? -ENOSPC : r;
}

int store_ids_load(const char *dir, struct store_ids *ids)
{
	char buf[IDS_SIZE + 1], *p = NULL;
	uint64_t v[7];
	ssize_t n;
	int fd;

	*ids = (struct store_ids) { .fd = -1 };
	if (asprintf(&p, "%s/kitchen.db-ids", dir) < 0)
		return -ENOMEM;
	ids->path = p;
	fd = open(p, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : fail(-errno, "cannot open", p);
	n = pread(fd, buf, sizeof(buf), 0);
	if (n == 0) {
		close(fd);  /* created but never written: as if none */
		return -ENOENT;
	}
	if (n < 0) {
		close(fd);
		return fail(-errno, "cannot read", p);
	}
	buf[n] = '\0';
	if (n != IDS_SIZE || strncmp(buf, IDS_MAGIC, strlen(IDS_MAGIC)) != 0 ||
	    sscanf(buf + strlen(IDS_MAGIC),
		   "next-order %" SCNu64 " next-dish %" SCNu64 " committed-order %" SCNu64
		   " lost-orders %" SCNu64 " %" SCNu64 " %" SCNu64,
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) {
		close(fd);
		sql_set_error("'%s' is damaged (not a kitchen.db-ids file of version 1); removing it makes kitchend "
			      "start it again from kitchen.db, which is right only if kitchen.db lost nothing", p);
		return -EBADMSG;
	}
	ids->fd = fd;
	ids->next_order = v[0];
	ids->next_dish = v[1];
	ids->committed_order = v[2];
	ids->lost_first = v[3];
	ids->lost_last = v[4];
	ids->lost_ms = v[5];
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n = pwrite(fd, buf, len, 0);

	if (n < 0)
		return -errno;
	return (size_t) n == len ? 0 : -ENOSPC;  /* short: nothing else shortens a pwrite */
}

/* Write a new file beside the path, sync it, rename it into place, sync the directory. */
static int create(struct store_ids *ids, const char *buf)
{
	_cleanup_free_ char *tmp = NULL, *dir = NULL;
	struct stat st;
	char *slash;
	int fd, dfd, r;

	if (asprintf(&tmp, "%s.new", ids->path) < 0 || !(dir = strdup(ids->path)))
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(-errno, "cannot create", tmp);
	/* As SQLite does for its -wal and -shm: kitchend run as root on a store
	 * of another user leaves it a file that user can still write. */
	if (geteuid() == 0) {
		_cleanup_free_ char *db = NULL;
		if (asprintf(&db, "%s/kitchen.db", slash ? dir : ".") >= 0 && stat(db, &st) == 0 &&
		    fchown(fd, st.st_uid, st.st_gid) < 0)
			log_debug("store: failed to give '%s' the owner of kitchen.db: %m", tmp);
	}
	r = write_all(fd, buf, IDS_SIZE);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && rename(tmp, ids->path) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		(void) unlink(tmp);
		return fail(r, "cannot write", tmp);
	}
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0) {
		r = fail(-errno, "cannot sync the directory of", ids->path);
		if (dfd >= 0)
			close(dfd);
		close(fd);
		return r;
	}
	close(dfd);
	ids->fd = fd;
	return 0;
}

int store_ids_write(struct store_ids *ids, bool sync)
{
	char buf[IDS_SIZE + 1];
	int r;

	if (snprintf(buf, sizeof(buf), IDS_FORMAT, ids->next_order, ids->next_dish, ids->committed_order,
		     ids->lost_first, ids->lost_last, ids->lost_ms) != IDS_SIZE)
		return -EINVAL;  /* cannot be: every number has 20 digits */
	if (ids->fd < 0)
		return create(ids, buf);
	r = write_all(ids->fd, buf, IDS_SIZE);
	if (r >= 0 && sync && fdatasync(ids->fd) < 0)
		r = -errno;
	return r < 0 ? fail(r, "cannot write", ids->path) : 0;
}

void store_ids_close(struct store_ids *ids)
{
	if (ids->fd >= 0)
		close(ids->fd);
	free(ids->path);
	*ids = (struct store_ids) { .fd = -1 };
}
