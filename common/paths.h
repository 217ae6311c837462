/*
 * paths — where kitchen keeps its sockets and its store by default.
 *
 * root:    /run/kitchen                 /var/lib/kitchen
 * others:  $XDG_RUNTIME_DIR/kitchen     $XDG_STATE_HOME/kitchen
 *          (else /tmp/kitchen-UID)      (else ~/.local/state/kitchen)
 *
 * kitchend and kitchenctl agree through these, so kitchenctl finds a daemon
 * started with defaults without being told where.
 */
#pragma once

/* Store a newly allocated path in *ret; 0 or -errno. */
int paths_default_runtime_dir(char **ret);
int paths_default_state_dir(char **ret);

/* "ipc://DIR/NAME.sock", newly allocated, in *ret; 0 or -errno. */
int paths_ipc_endpoint(const char *dir, const char *name, char **ret);

/* Create @dir and its parents with @mode where missing; 0 or -errno. */
int paths_mkdir_p(const char *dir, unsigned mode);
