/*
 * fault — failure injection into the chef, for tests. NOT FOR PRODUCTION.
 *
 * This seam exists so that tests can make a real chef crash, hang or fail
 * on a dish of their choosing and check what kitchend makes of it (retries,
 * poison dishes, timeouts, respawns). It must never be set on a production
 * chef: a faulty dish there crashes the chef or stops a station for good.
 *
 * The chef reads the environment variable KITCHEN_CHEF_FAULTS once, at start:
 *
 *	KITCHEN_CHEF_FAULTS="Poison=crash,Glue=hang,Soup=fail"
 *
 * a comma-separated list of DISH=KIND. DISH matches a dish's whole name,
 * ignoring case; spaces around DISH and KIND are ignored; empty entries are
 * skipped; a later entry for the same dish wins. KIND is one of
 *
 *	crash   the station raises SIGSEGV: the whole chef dies of signal 11
 *	hang    the station loops forever, deaf to CANCEL (STOP, i.e. SIGTERM
 *	        to the chef, still ends it)
 *	fail    the station answers RESULT "failed" "injected failure"
 *
 * An entry without '=', with an empty or over-long DISH, or with another KIND
 * is ignored; fault_table_ignored() lists those so the caller can warn. The
 * fault acts when a station starts the dish, before its first stage line.
 *
 *	r = fault_table_parse(getenv(FAULT_ENV), &t);
 *	d->fault = fault_table_find(t, d->name);   // main thread, per dish
 *	fault_table_free(&t);
 */
#pragma once

#include <stddef.h>

#define FAULT_ENV "KITCHEN_CHEF_FAULTS"
#define FAULT_FAIL_REASON "injected failure"

enum fault_kind {
	FAULT_NONE,
	FAULT_CRASH,
	FAULT_HANG,
	FAULT_FAIL,
	_FAULT_KIND_MAX,
};

struct fault_table;

/*
 * Parse @spec (NULL or "" give an empty table) into a new table in *ret.
 * 0 or -ENOMEM; bad entries are not an error (see fault_table_ignored()).
 */
int fault_table_parse(const char *spec, struct fault_table **ret);
void fault_table_free(struct fault_table **t);  /* NULL is fine */

/* The fault for the dish @name; FAULT_NONE when none (or @t is NULL). */
enum fault_kind fault_table_find(const struct fault_table *t, const char *name);

/* Faults in the table (after overrides). */
size_t fault_table_size(const struct fault_table *t);

/* The @i-th ignored entry of the spec, as written; NULL past the last. */
const char *fault_table_ignored(const struct fault_table *t, size_t i);

/* "crash", "hang", "fail"; "none" for FAULT_NONE. */
const char *fault_kind_to_string(enum fault_kind k);

/* Die of SIGSEGV, whatever handler (a sanitizer's, say) was installed. */
_Noreturn void fault_crash(void);
