/*
 * paths — where kitchen keeps its sockets and its store by default.
 *
 * root:    /run/kitchen                 /var/lib/kitchen
 * others:  $XDG_RUNTIME_DIR/kitchen     $XDG_STATE_HOME/kitchen
 *          (else /tmp/kitchen-UID)      (else ~/.local/state/kitchen)
 *
 * kitchend and kitchenctl agree through these, so kitchenctl finds a daemon
 * started with defaults without being told where.
 *
 * Such a directory is trusted only when paths_check_trusted() says so: a
 * user without XDG_RUNTIME_DIR shares /tmp with everyone, and whoever made
 * /tmp/kitchen-UID first could put their own control.sock there. Socket
 * files are changed and removed only through the paths_socket_*() calls,
 * which never follow a symlink and leave anything that is not a socket
 * alone.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* root's runtime directory: the system kitchend's (the unit's RuntimeDirectory=).
 * kitchenctl of another user turns to it when that user runs no kitchend. */
#define PATHS_SYSTEM_RUNTIME_DIR "/run/kitchen"

/* Store a newly allocated path in *ret; 0 or -errno. */
int paths_default_runtime_dir(char **ret);
int paths_default_state_dir(char **ret);

/* "ipc://DIR/NAME.sock", newly allocated, in *ret; 0 or -errno. */
int paths_ipc_endpoint(const char *dir, const char *name, char **ret);

/* Create @dir and its parents with @mode where missing; 0 or -errno. */
int paths_mkdir_p(const char *dir, unsigned mode);

/*
 * Whether the user kitchen runs as may trust @dir: @dir must be a directory
 * owned by that user and writable by nobody else (no group or other write
 * bit: neither the unit nor tmpfiles.d make kitchen's directories
 * group-writable), and every directory above it owned by that user or root
 * and writable by nobody else unless sticky (/tmp). A symlink on the way must
 * be owned by that user or root. 0, or -errno: -EPERM (owned by another
 * user), -EACCES (writable by others), -ENOTDIR, or lstat(2)'s (-ENOENT).
 * On failure @why says which path and what is wrong with it.
 */
int paths_check_trusted(const char *dir, char *why, size_t why_size);

/* paths_mkdir_p(@dir, @mode), then paths_check_trusted(). 0 or -errno, with @why. */
int paths_make_trusted_dir(const char *dir, unsigned mode, char *why, size_t why_size);

/*
 * What is at @path, never following a symlink: 0 for a unix socket,
 * -ENOENT for nothing, -ENOTSOCK for anything else (a file, a directory, a
 * symlink, even to a socket), or lstat(2)'s -errno.
 */
int paths_check_socket(const char *path);

/*
 * Give the socket file @path mode @mode and (unless @gid is (gid_t) -1)
 * group @gid, never following a symlink: the file must be a socket owned
 * by the caller's user. 0, -ENOTSOCK (not a socket, or a symlink), -EPERM
 * (owned by another user), or -errno from the system calls.
 */
int paths_socket_access(const char *path, unsigned mode, gid_t gid);

/* Remove @path if it is a socket (paths_check_socket()); anything else stays.
 * 0, or -ENOENT, -ENOTSOCK, unlink(2)'s -errno. */
int paths_socket_unlink(const char *path);
