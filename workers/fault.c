/* Failure injection for tests; see fault.h. Must not be used in production. */
#include "fault.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "proto.h"

struct fault {
	const char *name;          /* points into buf */
	enum fault_kind kind;
};

struct fault_table {
	char *buf;                 /* the spec, cut up in place */
	struct fault *faults;
	size_t n;
	const char **ignored;      /* whole entries, pointing into buf */
	size_t n_ignored;
};

static const char *const kind_names[_FAULT_KIND_MAX] = {
	[FAULT_NONE] = "none",
	[FAULT_CRASH] = "crash",
	[FAULT_HANG] = "hang",
	[FAULT_FAIL] = "fail",
};

const char *fault_kind_to_string(enum fault_kind k)
{
	return k < _FAULT_KIND_MAX ? kind_names[k] : NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cut the blanks off both ends of @s, in place. */
static char *strip(char *s)
{
	char *end;

	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	return s;
}

/* The kind named @s; FAULT_NONE for none ("none" included). */
static enum fault_kind kind_from_string(const char *s)
{
	for (enum fault_kind k = FAULT_NONE + 1; k < _FAULT_KIND_MAX; k++)
		if (strcasecmp(s, kind_names[k]) == 0)
			return k;
	return FAULT_NONE;
}

/* Add one entry (NUL-terminated, cut up only when good), or remember it as ignored. */
static void add_entry(struct fault_table *t, char *entry)
{
	char *eq, *name_end, *kind;
	enum fault_kind k;

	entry = strip(entry);
	if (!*entry)
		return;  /* "a,,b" or a trailing comma */
	eq = strchr(entry, '=');
	if (!eq)
		goto ignore;
	for (name_end = eq; name_end > entry && is_blank(name_end[-1]); name_end--)
		;
	for (kind = eq + 1; is_blank(*kind); kind++)
		;
	k = kind_from_string(kind);
	if (name_end == entry || (size_t) (name_end - entry) > PROTO_MAX_NAME || k == FAULT_NONE)
		goto ignore;

	*name_end = '\0';
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->faults[i].name, entry) == 0) {
			t->faults[i].kind = k;
			return;
		}
	t->faults[t->n++] = (struct fault) { .name = entry, .kind = k };
	return;
ignore:
	t->ignored[t->n_ignored++] = entry;
}

int fault_table_parse(const char *spec, struct fault_table **ret)
{
	struct fault_table *t;
	size_t max = 1;
	char *p;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->buf = strdup(spec ? spec : "");
	if (!t->buf)
		goto oom;
	for (p = t->buf; *p; p++)
		if (*p == ',')
			max++;
	t->faults = calloc(max, sizeof(*t->faults));
	t->ignored = calloc(max, sizeof(*t->ignored));
	if (!t->faults || !t->ignored)
		goto oom;

	for (p = t->buf; p;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		add_entry(t, p);
		p = comma ? comma + 1 : NULL;
	}
	*ret = t;
	return 0;
oom:
	fault_table_free(&t);
	return -ENOMEM;
}

void fault_table_free(struct fault_table **tp)
{
	struct fault_table *t;

	if (!tp || !*tp)
		return;
	t = *tp;
	free(t->faults);
	free(t->ignored);
	free(t->buf);
	free(t);
	*tp = NULL;
}

enum fault_kind fault_table_find(const struct fault_table *t, const char *name)
{
	if (!t)
		return FAULT_NONE;
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->faults[i].name, name) == 0)
			return t->faults[i].kind;
	return FAULT_NONE;
}

size_t fault_table_size(const struct fault_table *t)
{
	return t ? t->n : 0;
}

const char *fault_table_ignored(const struct fault_table *t, size_t i)
{
	return t && i < t->n_ignored ? t->ignored[i] : NULL;
}

_Noreturn void fault_crash(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t set;

	/* A sanitizer's SIGSEGV handler would turn the signal into an exit(1). */
	sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGSEGV, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	(void) pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGSEGV);
	/* Not reached: the default action of SIGSEGV ends the process. */
	_exit(128 + SIGSEGV);
}
