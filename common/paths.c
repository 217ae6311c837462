#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		return dup_path("%s", "/run/kitchen", ret);
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
