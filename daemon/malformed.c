#include "malformed.h"

#include <stdio.h>
#include <string.h>

#include "exposition.h"
#include "util.h"

#define MALFORMED_LOG_INTERVAL_MS 1000

void malformed_init(struct malformed *m)
{
	*m = (struct malformed) { .log = LOG_RATELIMIT_INIT(MALFORMED_LOG_INTERVAL_MS, 1) };
	for (size_t i = 0; i < ELEMENTSOF(m->versions); i++)
		m->versions[i].log = (struct log_ratelimit) LOG_RATELIMIT_INIT(MALFORMED_LOG_INTERVAL_MS, 1);
}

void malformed_count(struct malformed *m, const char *where, const char *why)
{
	uint64_t held;

	m->count++;
	for (size_t i = 0; i < EXPO_SOCKETS; i++)
		if (strcmp(where, expo_sockets[i]) == 0)
			m->by_socket[i]++;
	if (log_ratelimit(&m->log, now_ms(), &held))
		log_warning("Dropped a malformed message on %s: %s (%llu dropped in all%s)", where, why,
			    (unsigned long long) m->count, held ? ", some not logged" : "");
}

/* The slot of version @v: its own while there is room, else the shared last one. */
static struct log_ratelimit *version_log(struct malformed *m, const char *v)
{
	size_t i;

	for (i = 0; i < MALFORMED_VERSIONS && m->versions[i].name[0]; i++)
		if (strcmp(m->versions[i].name, v) == 0)
			return &m->versions[i].log;
	if (i < MALFORMED_VERSIONS)
		snprintf(m->versions[i].name, sizeof(m->versions[i].name), "%s", v);
	return &m->versions[i].log;
}

void malformed_refused(struct malformed *m, const char *where, const struct proto_msg *msg)
{
	char why[32];
	uint64_t held;

	/* Each release a peer speaks shows in the journal, however busy
	 * another one keeps the line of its own. */
	if (msg->other_version[0] && log_ratelimit(version_log(m, msg->other_version), now_ms(), &held))
		log_warning("A peer on %s speaks protocol %s, this kitchend speaks %s (upgrade them together)",
			    where, msg->other_version, PROTO_VERSION);
	snprintf(why, sizeof(why), "not a %s message", PROTO_VERSION);
	malformed_count(m, where, why);
}
