#include "store_check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sql.h"
#include "store.h"
#include "util.h"

/* Findings kept (quick_check's own limit) and objects named. */
#define MAX_FINDINGS 10
#define MAX_NAMES 4

struct deadline {
	uint64_t end_ns;
	bool hit;
};

static int past_deadline(void *userdata)
{
	struct deadline *d = userdata;

	if (now_ns() < d->end_ns)
		return 0;
	d->hit = true;
	return 1;  /* interrupts the statement */
}

/*
 * The name of the table or index @sql (one parameter, @n) finds, in @name;
 * false if none: the one holding page @n ("... FROM dbstat WHERE pageno = ?";
 * also false without dbstat in this SQLite), or whose root page it is.
 */
static bool name_of(sqlite3 *db, const char *sql, unsigned long n, char *name, size_t len)
{
	sqlite3_stmt *st;
	bool found = false;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(st, 1, (sqlite3_int64) n);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(name, len, "%s", sql_column_text(st, 0));
		found = true;
	}
	sqlite3_finalize(st);
	return found;
}

#define PAGE_OWNER "SELECT name FROM dbstat WHERE pageno = ?"
#define ROOT_OWNER "SELECT name FROM sqlite_schema WHERE rootpage = ?"

/* What @name is, for a person: "the orders table", "the index orders_open of the orders table". */
static void describe(sqlite3 *db, const char *name, char *out, size_t len)
{
	sqlite3_stmt *st;

	if (strcmp(name, "sqlite_schema") == 0 || strcmp(name, "sqlite_master") == 0) {
		snprintf(out, len, "the schema");
		return;
	}
	snprintf(out, len, "%s", name);
	if (sqlite3_prepare_v2(db, "SELECT type, tbl_name FROM sqlite_schema WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = sql_column_text(st, 0), *table = sql_column_text(st, 1);
		if (strcmp(type, "table") == 0)
			snprintf(out, len, "the %s table", name);
		else if (strcmp(type, "index") == 0)
			snprintf(out, len, "the index %s of the %s table", name, table);
	}
	sqlite3_finalize(st);
}

/*
 * The object a finding of quick_check is about, in @name: by the root page
 * of "Tree N page M" (SQLite 3.43 on), by the page of "On tree page M",
 * "Page M", "... page M", or by name for "... in index NAME".
 */
static bool finding_owner(sqlite3 *db, const char *f, char *name, size_t len)
{
	unsigned long n;
	const char *p;
	char idx[128];

	if (sscanf(f, "Tree %lu page", &n) == 1)
		return name_of(db, ROOT_OWNER, n, name, len);
	p = strstr(f, " index ");
	if (p && sscanf(p, " index %127s", idx) == 1) {
		snprintf(name, len, "%s", idx);
		return true;
	}
	for (p = f; (p = strcasestr(p, "page ")); p += 5)
		if (sscanf(p + 5, "%lu", &n) == 1)
			return name_of(db, PAGE_OWNER, n, name, len);
	return false;
}

static void join_names(char *out, size_t len, char names[][160], size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t) snprintf(out + used, len - used, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
					  names[i]);
}

int store_check(sqlite3 *db, unsigned budget_ms, bool *ret_complete)
{
	struct deadline d = { .end_ns = now_ns() + (uint64_t) budget_ms * 1000000 };
	char findings[MAX_FINDINGS][256], names[MAX_NAMES][160], what[MAX_NAMES * 160 + 16], owner[128];
	size_t n_names = 0, n_findings = 0;
	bool complete;
	sqlite3_stmt *st;
	int rc, r = 0;

	sqlite3_progress_handler(db, 1000, past_deadline, &d);
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(10)", -1, &st, NULL) != SQLITE_OK) {
		r = sql_error(db, "PRAGMA quick_check");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *f = sql_column_text(st, 0);

		/* The first finding of a database comes after a line naming it. */
		if (strncmp(f, "*** ", 4) == 0)
			f = strchr(f, '\n') ? strchr(f, '\n') + 1 : "";
		if (!*f || strcmp(f, "ok") == 0 || n_findings == MAX_FINDINGS)
			continue;
		log_debug("store: quick_check: %s", f);
		snprintf(findings[n_findings++], sizeof(findings[0]), "%s", f);
	}
	complete = !(rc == SQLITE_INTERRUPT && d.hit);
	/* After its findings, SQLITE_CORRUPT for a page it could not read;
	 * a store too damaged to begin with fails at once. */
	if (rc != SQLITE_DONE && complete) {
		r = sql_error(db, "PRAGMA quick_check");
		if (r == -EUCLEAN && n_findings == 0)
			snprintf(findings[n_findings++], sizeof(findings[0]), "%s", sql_last_error());
	}
	sqlite3_finalize(st);
	if (n_findings == 0)
		goto out_checked;

	/* Naming what is damaged gets a budget of its own. */
	d = (struct deadline) { .end_ns = now_ns() + (uint64_t) budget_ms * 1000000 };
	for (size_t i = 0; i < n_findings && n_names < MAX_NAMES; i++) {
		char described[160];
		bool dup = false;

		if (!finding_owner(db, findings[i], owner, sizeof(owner)))
			continue;
		describe(db, owner, described, sizeof(described));
		for (size_t j = 0; j < n_names; j++)
			dup |= strcmp(names[j], described) == 0;
		if (!dup)
			snprintf(names[n_names++], sizeof(names[0]), "%s", described);
	}
	join_names(what, sizeof(what), names, n_names);
	sql_set_error("%s of kitchen.db %s unreadable (%s%s)", n_names ? what : "a page",
		      n_names > 1 ? "are" : "is", findings[0], n_findings > 1 ? "; and more" : "");
	r = -EUCLEAN;
out_checked:
	*ret_complete = complete;
out:
	sqlite3_progress_handler(db, 0, NULL, NULL);
	return r;
}
