#include "paths.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Every caller passes a literal format; -Wformat=2 cannot see through the parameter. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int dup_path(const char *fmt, const char *a, char **ret)
{
	char *p;

	if (asprintf(&p, fmt, a) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}
#pragma GCC diagnostic pop

int paths_default_runtime_dir(char **ret)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char uid[32];

	if (geteuid() == 0)
		return dup_path("%s", PATHS_SYSTEM_RUNTIME_DIR, ret);
	if (xdg && xdg[0] == '/')
		return dup_path("%s/kitchen", xdg, ret);
	snprintf(uid, sizeof(uid), "%u", (unsigned) geteuid());
	return dup_path("/tmp/kitchen-%s", uid, ret);
}

int paths_default_state_dir(char **ret)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (geteuid() == 0)
		return dup_path("%s", "/var/lib/kitchen", ret);
	if (xdg && xdg[0] == '/')
		return dup_path("%s/kitchen", xdg, ret);
	if (home && home[0] == '/')
		return dup_path("%s/.local/state/kitchen", home, ret);
	return -ENOENT;
}

int paths_ipc_endpoint(const char *dir, const char *name, char **ret)
{
	char *p;

	if (asprintf(&p, "ipc://%s/%s.sock", dir, name) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int paths_mkdir_p(const char *dir, unsigned mode)
{
	char *p = strdup(dir);
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			r = -errno;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return r;
}

static int refuse(char *why, size_t size, int r, const char *path, const char *what)
{
	if (why && size > 0)
		snprintf(why, size, "%s %s", path, what);
	return r;
}

/* One directory on the way to the trusted one (@last: the trusted one itself). */
static int check_one(const char *path, bool last, char *why, size_t size)
{
	uid_t me = geteuid();
	struct stat st;
	char what[96];

	if (lstat(path, &st) < 0)
		return refuse(why, size, -errno, path, "cannot be looked at");
	if (S_ISLNK(st.st_mode)) {
		if (st.st_uid != me && st.st_uid != 0) {
			snprintf(what, sizeof(what), "is a symlink owned by uid %u, not by uid %u or root",
				 (unsigned) st.st_uid, (unsigned) me);
			return refuse(why, size, -EPERM, path, what);
		}
		if (stat(path, &st) < 0)
			return refuse(why, size, -errno, path, "is a symlink to nothing");
	}
	if (!S_ISDIR(st.st_mode))
		return refuse(why, size, -ENOTDIR, path, "is not a directory");
	if (last ? st.st_uid != me : st.st_uid != me && st.st_uid != 0) {
		snprintf(what, sizeof(what), "is owned by uid %u, not by uid %u%s (kitchen's user)",
			 (unsigned) st.st_uid, (unsigned) me, last ? "" : " or root");
		return refuse(why, size, -EPERM, path, what);
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (last || !(st.st_mode & S_ISVTX))) {
		snprintf(what, sizeof(what), "is writable by %s (mode %04o; chmod go-w it)",
			 st.st_mode & S_IWOTH ? "others" : "its group", (unsigned) (st.st_mode & 07777));
		return refuse(why, size, -EACCES, path, what);
	}
	return 0;
}

int paths_check_trusted(const char *dir, char *why, size_t why_size)
{
	_cleanup_free_ char *p = NULL;
	int r;

	if (!dir || dir[0] != '/')
		return refuse(why, why_size, -EINVAL, dir ? dir : "(none)", "is not an absolute path");
	p = strdup(dir);
	if (!p)
		return -ENOMEM;
	r = check_one("/", strcmp(dir, "/") == 0, why, why_size);
	for (char *s = p + 1; r >= 0 && *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		r = check_one(p, false, why, why_size);
		*s = '/';
	}
	if (r >= 0 && strcmp(dir, "/") != 0)
		r = check_one(dir, true, why, why_size);
	return r;
}

int paths_make_trusted_dir(const char *dir, unsigned mode, char *why, size_t why_size)
{
	int r = paths_mkdir_p(dir, mode);

	if (r < 0)
		return refuse(why, why_size, r, dir, "cannot be made");
	return paths_check_trusted(dir, why, why_size);
}

int paths_check_socket(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -errno;
	return S_ISSOCK(st.st_mode) ? 0 : -ENOTSOCK;
}

int paths_socket_access(const char *path, unsigned mode, gid_t gid)
{
	char proc[64];
	struct stat st;
	int fd, r = 0;

	/* O_PATH: the inode itself, whatever its mode; O_NOFOLLOW: a symlink stays one. */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISSOCK(st.st_mode))
		r = -ENOTSOCK;
	else if (st.st_uid != geteuid())
		r = -EPERM;
	else if (gid != (gid_t) -1 && fchownat(fd, "", (uid_t) -1, gid, AT_EMPTY_PATH) < 0)
		r = -errno;
	if (r == 0) {
		/* chmod(2) of an O_PATH descriptor, as glibc's fchmodat(AT_SYMLINK_NOFOLLOW) does it. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, (mode_t) mode) < 0)
			r = -errno;
	}
	close(fd);
	return r;
}

int paths_socket_unlink(const char *path)
{
	int r = paths_check_socket(path);

	if (r < 0)
		return r;
	return unlink(path) < 0 ? -errno : 0;
}
