/* The status report and the chef list (STATUS and CHEFS share the chef group). */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report_field.h"
#include "term.h"
#include "util.h"

static void chefs_clear(struct chef_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->chefs[i].name);
		free(l->chefs[i].host);
		free(l->chefs[i].state);
		free(l->chefs[i].cooks);
	}
	free(l->chefs);
	*l = (struct chef_list) { 0 };
}

static int chef_decode(const struct proto_msg *m, size_t k, struct chef_report *c)
{
	int r;

	if ((r = report_text(m, k + 0, false, &c->name)) < 0 ||
	    (r = report_text(m, k + 1, false, &c->host)) < 0 ||
	    (r = report_u64(m, k + 2, &c->pid)) < 0 ||
	    (r = report_u64(m, k + 3, &c->stations)) < 0 ||
	    (r = report_u64(m, k + 4, &c->busy)) < 0 ||
	    (r = report_text(m, k + 5, false, &c->state)) < 0 ||
	    (r = report_u64(m, k + 6, &c->served)) < 0 ||
	    (r = report_bool(m, k + 7, &c->local)) < 0 ||
	    (r = report_text(m, k + 8, false, &c->cooks)) < 0)
		return r;
	return 0;
}

/* By name, in natural order (chef-2 before chef-10), then by pid. */
static int chef_cmp(const void *a, const void *b)
{
	const struct chef_report *x = a, *y = b;
	int c = strverscmp(x->name, y->name);

	if (c)
		return c;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The chef groups from field @first on, sorted for reading. */
static int chefs_decode(const struct proto_msg *m, size_t first, struct chef_list *l)
{
	size_t n;
	int r;

	if (m->n_fields < first || (m->n_fields - first) % PROTO_CHEF_GROUP != 0)
		return -EBADMSG;
	n = (m->n_fields - first) / PROTO_CHEF_GROUP;
	l->chefs = calloc(n ? n : 1, sizeof(*l->chefs));
	if (!l->chefs)
		return -ENOMEM;
	for (size_t g = 0; g < n; g++) {
		l->n = g + 1;
		r = chef_decode(m, first + g * PROTO_CHEF_GROUP, &l->chefs[g]);
		if (r < 0)
			return r;
	}
	qsort(l->chefs, n, sizeof(*l->chefs), chef_cmp);
	return 0;
}

int chef_list_decode(const struct proto_msg *m, struct chef_list **ret)
{
	struct chef_list *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	r = chefs_decode(m, 0, l);
	if (r < 0) {
		chef_list_free(&l);
		return r;
	}
	*ret = l;
	return 0;
}

void chef_list_free(struct chef_list **l)
{
	if (!l || !*l)
		return;
	chefs_clear(*l);
	free(*l);
	*l = NULL;
}

static int store_state(const struct proto_msg *m, size_t i, bool *ret_full)
{
	if (proto_field_is(m, i, PROTO_STORE_OK) || proto_field_is(m, i, PROTO_STORE_FULL)) {
		*ret_full = proto_field_is(m, i, PROTO_STORE_FULL);
		return 0;
	}
	return -EBADMSG;
}

/* STATUS's waiting: lines "N ABLE NAME". */
static int waiting_decode(const struct proto_msg *m, size_t i, struct status_report *s)
{
	_cleanup_free_ char *text = NULL;
	size_t n = 1;
	char *line, *save = NULL;
	int r;

	r = report_text(m, i, true, &text);
	if (r < 0 || !*text)
		return r;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	s->waiting = calloc(n, sizeof(*s->waiting));
	if (!s->waiting)
		return -ENOMEM;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct waiting_dish *w = &s->waiting[s->n_waiting];
		char *a = strchr(line, ' '), *b = a ? strchr(a + 1, ' ') : NULL;

		if (!a || !b || !b[1])
			return -EBADMSG;
		*a = *b = '\0';
		if (parse_u64(line, 0, UINT64_MAX, &w->dishes) < 0 || parse_u64(a + 1, 0, UINT64_MAX, &w->able) < 0)
			return -EBADMSG;
		w->name = strdup(b + 1);
		if (!w->name)
			return -ENOMEM;
		s->n_waiting++;
	}
	return 0;
}

int status_report_decode(const struct proto_msg *m, struct status_report **ret)
{
	struct status_report *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	if ((r = report_text(m, 0, false, &s->version)) < 0 ||
	    (r = report_u64(m, 1, &s->uptime_ms)) < 0 ||
	    (r = report_u64(m, 2, &s->queued)) < 0 ||
	    (r = report_u64(m, 3, &s->cooking)) < 0 ||
	    (r = report_u64(m, 4, &s->served)) < 0 ||
	    (r = report_u64(m, 5, &s->failed)) < 0 ||
	    (r = report_u64(m, 6, &s->orders)) < 0 ||
	    (r = report_u64(m, 7, &s->malformed)) < 0 ||
	    (r = store_state(m, 8, &s->store_full)) < 0 ||
	    (r = report_u64(m, 9, &s->cancelled)) < 0 ||
	    (r = waiting_decode(m, 10, s)) < 0 ||
	    (r = chefs_decode(m, PROTO_STATUS_FIXED, &s->chefs)) < 0) {
		status_report_free(&s);
		return r;
	}
	*ret = s;
	return 0;
}

void status_report_free(struct status_report **r)
{
	if (!r || !*r)
		return;
	free((*r)->version);
	for (size_t i = 0; i < (*r)->n_waiting; i++)
		free((*r)->waiting[i].name);
	free((*r)->waiting);
	chefs_clear(&(*r)->chefs);
	free(*r);
	*r = NULL;
}

/* "3d 4h 05m", "2h 03m 04s", "5m 06s", "7.2s" */
static void duration_print(uint64_t ms, FILE *f)
{
	unsigned long long s = ms / 1000, m = s / 60, h = m / 60, d = h / 24;

	if (d > 0)
		fprintf(f, "%llud %lluh %02llum", d, h % 24, m % 60);
	else if (h > 0)
		fprintf(f, "%lluh %02llum %02llus", h, m % 60, s % 60);
	else if (m > 0)
		fprintf(f, "%llum %02llus", m, s % 60);
	else
		fprintf(f, "%llu.%llus", s, (unsigned long long) (ms % 1000) / 100);
}

void status_report_print(const struct status_report *r, FILE *f)
{
	uint64_t stations = 0, busy = 0;

	for (size_t i = 0; i < r->chefs.n; i++) {
		stations += r->chefs.chefs[i].stations;
		busy += r->chefs.chefs[i].busy;
	}
	term_printf(f, "version:      %s\n", r->version);
	fprintf(f, "uptime:       ");
	duration_print(r->uptime_ms, f);
	fprintf(f, "\ndishes:       %llu queued, %llu cooking\n",
		(unsigned long long) r->queued, (unsigned long long) r->cooking);
	/* The store's counts, earlier runs too; a chef's SERVED_SINCE_JOIN is its own, since it joined. */
	fprintf(f, "all time:     %llu served, %llu failed, %llu cancelled\n",
		(unsigned long long) r->served, (unsigned long long) r->failed,
		(unsigned long long) r->cancelled);
	fprintf(f, "open orders:  %llu\n", (unsigned long long) r->orders);
	fprintf(f, "malformed:    %llu %s\n", (unsigned long long) r->malformed,
		plural(r->malformed, "message", "messages"));
	if (r->store_full)
		fprintf(f, "store:        the disk is full: new orders are refused until it has space\n");
	for (size_t i = 0; i < r->n_waiting; i++) {
		const struct waiting_dish *w = &r->waiting[i];
		if (w->able == 0)
			term_printf(f, "waiting:      %llu %s: no chef can cook it (0 of %zu %s it)\n",
				    (unsigned long long) w->dishes, w->name, r->chefs.n,
				    plural(r->chefs.n, "chef has", "chefs have"));
		else
			term_printf(f, "waiting:      %llu %s: for a chef that can cook it (%llu of %zu %s can)\n",
				    (unsigned long long) w->dishes, w->name, (unsigned long long) w->able, r->chefs.n,
				    plural(r->chefs.n, "chef", "chefs"));
	}
	fprintf(f, "chefs:        %zu (%llu of %llu %s busy)\n", r->chefs.n,
		(unsigned long long) busy, (unsigned long long) stations, plural(stations, "station", "stations"));
	if (r->chefs.n > 0) {
		fputc('\n', f);
		chef_list_print(&r->chefs, f);
	}
}

static void chef_json(const struct chef_report *c, struct json *j)
{
	json_object_begin(j);
	json_key_string(j, "name", c->name);
	json_key_string(j, "host", c->host);
	json_key_u64(j, "pid", c->pid);
	json_key_u64(j, "stations", c->stations);
	json_key_u64(j, "busy", c->busy);
	json_key_string(j, "state", c->state);
	json_key_u64(j, "served", c->served);
	json_key_bool(j, "local", c->local);
	json_key_string(j, "cooks", c->cooks);
	json_object_end(j);
}

void chef_list_json(const struct chef_list *l, struct json *j)
{
	json_array_begin(j);
	for (size_t i = 0; i < l->n; i++)
		chef_json(&l->chefs[i], j);
	json_array_end(j);
}

void status_report_json(const struct status_report *r, struct json *j)
{
	json_object_begin(j);
	json_key_string(j, "version", r->version);
	json_key_u64(j, "uptime_ms", r->uptime_ms);
	json_key(j, "dishes");
	json_object_begin(j);
	json_key_u64(j, "queued", r->queued);
	json_key_u64(j, "cooking", r->cooking);
	json_key_u64(j, "served", r->served);
	json_key_u64(j, "failed", r->failed);
	json_key_u64(j, "cancelled", r->cancelled);
	json_object_end(j);
	json_key_u64(j, "orders", r->orders);
	json_key_u64(j, "malformed", r->malformed);
	json_key_string(j, "store", r->store_full ? PROTO_STORE_FULL : PROTO_STORE_OK);
	json_key(j, "waiting");
	json_array_begin(j);
	for (size_t i = 0; i < r->n_waiting; i++) {
		json_object_begin(j);
		json_key_string(j, "dish", r->waiting[i].name);
		json_key_u64(j, "dishes", r->waiting[i].dishes);
		json_key_u64(j, "chefs_able", r->waiting[i].able);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "chefs");
	chef_list_json(&r->chefs, j);
	json_object_end(j);
}

enum column { COL_NAME, COL_HOST, COL_PID, COL_STATIONS, COL_BUSY, COL_STATE, COL_SERVED, COL_LOCAL, COL_COOKS,
	      _COL_MAX };

static const struct {
	const char *title;
	bool right;   /* numbers line up on the right */
} columns[_COL_MAX] = {
	[COL_NAME] = { "NAME", false },
	[COL_HOST] = { "HOST", false },
	[COL_PID] = { "PID", true },
	[COL_STATIONS] = { "STATIONS", true },
	[COL_BUSY] = { "BUSY", true },
	[COL_STATE] = { "STATE", false },
	[COL_SERVED] = { "SERVED_SINCE_JOIN", true },  /* status's "all time" counts the store's */
	[COL_LOCAL] = { "LOCAL", false },
	[COL_COOKS] = { "COOKS", false },
};

/* One row as text; numbers fit in 21 bytes, names in PROTO_MAX_FIELD. */
static void chef_cells(const struct chef_report *c, char num[_COL_MAX][24], const char *cells[_COL_MAX])
{
	snprintf(num[COL_PID], 24, "%llu", (unsigned long long) c->pid);
	snprintf(num[COL_STATIONS], 24, "%llu", (unsigned long long) c->stations);
	snprintf(num[COL_BUSY], 24, "%llu", (unsigned long long) c->busy);
	snprintf(num[COL_SERVED], 24, "%llu", (unsigned long long) c->served);
	cells[COL_NAME] = c->name;
	cells[COL_HOST] = c->host;
	cells[COL_PID] = num[COL_PID];
	cells[COL_STATIONS] = num[COL_STATIONS];
	cells[COL_BUSY] = num[COL_BUSY];
	cells[COL_STATE] = c->state;
	cells[COL_SERVED] = num[COL_SERVED];
	cells[COL_LOCAL] = c->local ? "yes" : "no";
	cells[COL_COOKS] = *c->cooks ? c->cooks : "-";
}

static void row_print(const char *const cells[_COL_MAX], const size_t width[_COL_MAX], FILE *f)
{
	for (int k = 0; k < _COL_MAX; k++) {
		int w = (int) width[k];
		bool last = k == _COL_MAX - 1;

		if (columns[k].right)
			term_printf(f, "%*s", w, cells[k]);
		else
			term_printf(f, "%-*s", last ? 0 : w, cells[k]);
		fputs(last ? "\n" : "  ", f);
	}
}

void chef_list_print(const struct chef_list *l, FILE *f)
{
	size_t width[_COL_MAX];
	const char *cells[_COL_MAX];
	char num[_COL_MAX][24];

	if (l->n == 0) {
		fputs("no chefs\n", f);
		return;
	}
	for (int k = 0; k < _COL_MAX; k++) {
		cells[k] = columns[k].title;
		width[k] = strlen(columns[k].title);
	}
	for (size_t i = 0; i < l->n; i++) {
		chef_cells(&l->chefs[i], num, cells);
		for (int k = 0; k < _COL_MAX; k++)
			if (strlen(cells[k]) > width[k])
				width[k] = strlen(cells[k]);
	}
	for (int k = 0; k < _COL_MAX; k++)
		cells[k] = columns[k].title;
	row_print(cells, width, f);
	for (size_t i = 0; i < l->n; i++) {
		chef_cells(&l->chefs[i], num, cells);
		row_print(cells, width, f);
	}
}
