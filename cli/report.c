/* The order report, and the field readers every report decoder uses. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report_field.h"
#include "term.h"
#include "unicode.h"
#include "util.h"
#include "when.h"

int report_text(const struct proto_msg *m, size_t i, bool multiline, char **ret)
{
	if (i >= m->n_fields)
		return -EBADMSG;
	return report_field_text(&m->fields[i], multiline, ret);
}

int report_field_text(const struct proto_field *f, bool multiline, char **ret)
{
	char *s;

	if (!proto_text_valid(f->data, f->len, multiline))
		return -EBADMSG;
	s = strndup(f->data, f->len);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int report_u64(const struct proto_msg *m, size_t i, uint64_t *ret)
{
	return proto_u64(m, i, ret) < 0 ? -EBADMSG : 0;
}

int report_bool(const struct proto_msg *m, size_t i, bool *ret)
{
	uint64_t v;

	if (report_u64(m, i, &v) < 0 || v > 1)
		return -EBADMSG;
	*ret = v;
	return 0;
}

bool report_state_done(enum proto_state s)
{
	switch (s) {
	case PROTO_STATE_QUEUED:
	case PROTO_STATE_COOKING:
	case _PROTO_STATE_MAX:  /* never decoded */
		return false;
	case PROTO_STATE_SERVED:
	case PROTO_STATE_FAILED:
	case PROTO_STATE_CANCELLED:
		return true;
	}
	return false;
}

static int field_state(const struct proto_field *f, enum proto_state *ret)
{
	int s = proto_state_from_name(f->data, f->len);

	if (s < 0)
		return -EBADMSG;
	*ret = (enum proto_state) s;
	return 0;
}

static int state_decode(const struct proto_msg *m, size_t i, enum proto_state *ret)
{
	if (i >= m->n_fields)
		return -EBADMSG;
	return field_state(&m->fields[i], ret);
}

static int field_u64(const struct proto_field *f, uint64_t *ret)
{
	return proto_field_u64(f, ret) < 0 ? -EBADMSG : 0;
}

void order_report_free(struct order_report **r)
{
	if (!r || !*r)
		return;
	for (size_t i = 0; i < (*r)->n_dishes; i++) {
		struct dish_report *d = &(*r)->dishes[i];

		free(d->name);
		free(d->chef);
		free(d->result);
		free(d->detail);
		if ((*r)->outputs)
			free((*r)->outputs[i].data);
	}
	free((*r)->outputs);
	free((*r)->dishes);
	free(*r);
	*r = NULL;
}

int order_report_placed(const struct proto_field *names, size_t n, uint64_t priority, uint64_t due_ms,
			struct order_report **ret)
{
	struct order_report *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	*o = (struct order_report) { .state = PROTO_STATE_QUEUED, .priority = priority, .due_ms = due_ms };
	o->dishes = calloc(n ? n : 1, sizeof(*o->dishes));
	if (!o->dishes) {
		free(o);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct dish_report *d = &o->dishes[i];

		o->n_dishes = i + 1;
		*d = (struct dish_report) { .index = i, .state = PROTO_STATE_QUEUED };
		d->name = strndup(names[i].data, names[i].len);
		d->chef = strdup("");
		d->result = strdup("");
		d->detail = strdup("");
		if (!d->name || !d->chef || !d->result || !d->detail) {
			order_report_free(&o);
			return -ENOMEM;
		}
	}
	*ret = o;
	return 0;
}

void order_report_served(struct order_report *r)
{
	r->state = PROTO_STATE_SERVED;
	r->served = r->n_dishes;
	r->failed = r->cancelled = 0;
	for (size_t i = 0; i < r->n_dishes; i++)
		r->dishes[i].state = PROTO_STATE_SERVED;
}

/* A dish's group: one packed frame (proto.h). */
static int dish_decode(const struct proto_field *group, struct dish_report *d)
{
	struct proto_field f[PROTO_ORDER_REPORT_GROUP];
	int r;

	if (proto_unpack(group, f, PROTO_ORDER_REPORT_GROUP) < 0)
		return -EBADMSG;
	if ((r = field_u64(&f[0], &d->index)) < 0 ||
	    (r = report_field_text(&f[1], false, &d->name)) < 0 ||
	    (r = field_state(&f[2], &d->state)) < 0 ||
	    (r = field_u64(&f[3], &d->attempts)) < 0 ||
	    (r = report_field_text(&f[4], false, &d->chef)) < 0 ||
	    (r = report_field_text(&f[5], false, &d->result)) < 0 ||
	    (r = report_field_text(&f[6], true, &d->detail)) < 0 ||
	    (r = field_u64(&f[7], &d->started_ms)) < 0 ||
	    (r = field_u64(&f[8], &d->finished_ms)) < 0)
		return r;
	return 0;
}

int order_report_decode(const struct proto_msg *m, struct order_report **ret)
{
	struct order_report *o;
	uint64_t n;
	size_t n_groups;
	int r;

	if (m->n_fields < PROTO_ORDER_REPORT_FIXED)
		return -EBADMSG;
	n_groups = m->n_fields - PROTO_ORDER_REPORT_FIXED;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	if ((r = report_u64(m, 0, &o->id)) < 0 ||
	    (r = state_decode(m, 1, &o->state)) < 0 ||
	    (r = report_u64(m, 2, &o->created_ms)) < 0 ||
	    (r = report_u64(m, 3, &n)) < 0 ||
	    (r = report_u64(m, 4, &o->served)) < 0 ||
	    (r = report_u64(m, 5, &o->failed)) < 0 ||
	    (r = report_u64(m, 6, &o->cancelled)) < 0 ||
	    (r = report_u64(m, 7, &o->priority)) < 0 ||
	    (r = report_u64(m, 8, &o->due_ms)) < 0)
		goto fail;
	if (o->priority < PROTO_PRIORITY_MIN || o->priority > PROTO_PRIORITY_MAX) {
		r = -EBADMSG;
		goto fail;
	}
	if (n != n_groups) {
		r = -EBADMSG;
		goto fail;
	}
	o->dishes = calloc(n_groups ? n_groups : 1, sizeof(*o->dishes));
	if (!o->dishes) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t g = 0; g < n_groups; g++) {
		/* Counted as it goes, so the free below sees what was filled. */
		o->n_dishes = g + 1;
		r = dish_decode(&m->fields[PROTO_ORDER_REPORT_FIXED + g], &o->dishes[g]);
		if (r < 0)
			goto fail;
	}
	*ret = o;
	return 0;

fail:
	order_report_free(&o);
	return r;
}

/* kitchend's final reason, "gave up after 3 attempts; last: why", without what
 * "failed after 3 attempts" says already: "why". */
static const char *reason_alone(const char *result)
{
	const char *last = "; last: ";
	const char *p;

	if (strncmp(result, "gave up after ", strlen("gave up after ")) != 0)
		return result;
	p = strstr(result, last);
	return p ? p + strlen(last) : result;
}

/* Whether @r's dishes still wait for its due time, by this machine's clock. */
static bool not_due(const struct order_report *r, uint64_t now)
{
	return r->due_ms > now && !report_state_done(r->state);
}

/* "     started 10:00:01, finished 10:00:02, took 1.2 s" under its dish; nothing for a queued one. */
static void times_print(const struct dish_report *d, uint64_t now, FILE *f)
{
	char when[WHEN_MAX];

	if (!d->started_ms && !d->finished_ms)
		return;
	fputs("     ", f);
	if (d->started_ms) {
		when_format(d->started_ms, now, when, sizeof(when));
		fprintf(f, "started %s", when);
	}
	if (d->finished_ms) {
		when_format(d->finished_ms, now, when, sizeof(when));
		fprintf(f, "%sfinished %s", d->started_ms ? ", " : "", when);
	}
	if (d->started_ms && d->finished_ms >= d->started_ms) {
		uint64_t took = d->finished_ms - d->started_ms;
		fprintf(f, ", took %llu.%llu s", (unsigned long long) (took / 1000),
			(unsigned long long) (took % 1000 / 100));
	}
	fputc('\n', f);
}

static void dish_print(const struct order_report *r, const struct dish_report *d, uint64_t now, FILE *f)
{
	char when[WHEN_MAX];

	/* For people, from 1, as --inputs' and --output's messages count; JSON keeps the index. */
	term_printf(f, "  #%llu %s: %s", (unsigned long long) d->index + 1, d->name,
		proto_state_name(d->state));
	switch (d->state) {
	case PROTO_STATE_QUEUED:
	case _PROTO_STATE_MAX:  /* never decoded */
		if (not_due(r, now) && d->attempts == 0) {
			when_format(r->due_ms, now, when, sizeof(when));
			fprintf(f, " until %s", when);
		}
		/* Back in the queue after a chef died or gave up. */
		if (d->attempts > 0)
			fprintf(f, " (after %llu %s)", (unsigned long long) d->attempts,
				plural(d->attempts, "attempt", "attempts"));
		/* Set aside: no chef that can cook it is there, or has room. */
		if (d->result[0])
			term_printf(f, ": %s", d->result);
		break;
	case PROTO_STATE_COOKING:
		if (d->chef[0])
			term_printf(f, " at %s", d->chef);
		fprintf(f, " (attempt %llu)", (unsigned long long) d->attempts);
		break;
	case PROTO_STATE_SERVED:
		if (d->chef[0])
			term_printf(f, " by %s", d->chef);
		fprintf(f, " (attempt %llu)", (unsigned long long) d->attempts);
		/* The start of its output (a program's), or the simulated dish's words. */
		if (d->result[0])
			term_printf(f, ": %s", d->result);
		break;
	case PROTO_STATE_FAILED:
		fprintf(f, " after %llu %s", (unsigned long long) d->attempts,
			plural(d->attempts, "attempt", "attempts"));
		if (d->result[0])
			term_printf(f, ": %s", reason_alone(d->result));
		break;
	case PROTO_STATE_CANCELLED:
		if (d->attempts > 0)
			fprintf(f, " after %llu %s", (unsigned long long) d->attempts,
				plural(d->attempts, "attempt", "attempts"));
		if (d->result[0])
			term_printf(f, ": %s", d->result);
		break;
	}
	fputc('\n', f);
	times_print(d, now, f);
}

/* Whether a served dish's result is its output cut (proto_text_preview()'s "..."). */
static bool preview_cut(const struct dish_report *d)
{
	size_t len = strlen(d->result);

	return d->state == PROTO_STATE_SERVED && len >= 3 && strcmp(d->result + len - 3, "...") == 0;
}

void order_report_print(const struct order_report *r, FILE *f)
{
	uint64_t now = wall_ms();
	bool cut = false;
	char when[WHEN_MAX];

	fprintf(f, "order %llu: %s, %zu %s (%llu served, %llu failed", (unsigned long long) r->id,
		proto_state_name(r->state), r->n_dishes, plural(r->n_dishes, "dish", "dishes"),
		(unsigned long long) r->served, (unsigned long long) r->failed);
	if (r->cancelled)
		fprintf(f, ", %llu cancelled", (unsigned long long) r->cancelled);
	fputc(')', f);
	when_format(r->created_ms, now, when, sizeof(when));
	fprintf(f, "; created %s", when);
	if (r->priority != PROTO_PRIORITY_DEFAULT)
		fprintf(f, "; priority %llu", (unsigned long long) r->priority);
	if (r->due_ms > r->created_ms) {
		when_format(r->due_ms, now, when, sizeof(when));
		fprintf(f, "; due at %s", when);
		if (not_due(r, now))
			fprintf(f, " (in %llu s)", (unsigned long long) ((r->due_ms - now + 999) / 1000));
	}
	fputc('\n', f);
	for (size_t i = 0; i < r->n_dishes; i++) {
		dish_print(r, &r->dishes[i], now, f);
		cut |= preview_cut(&r->dishes[i]);
	}
	if (cut)
		fprintf(f, "(a result is the first line of its output, at most %d bytes; "
			"'kitchenctl wait %llu --output' prints the outputs whole)\n", PROTO_PREVIEW_MAX,
			(unsigned long long) r->id);
}

static void dish_json(const struct dish_report *d, const struct dish_output *out, struct json *j)
{
	json_object_begin(j);
	json_key_u64(j, "index", d->index);
	json_key_string(j, "name", d->name);
	json_key_string(j, "state", proto_state_name(d->state));
	json_key_u64(j, "attempts", d->attempts);
	json_key(j, "chef");
	json_string_or_null(j, d->chef);
	json_key(j, "started_ms");
	json_u64_or_null(j, d->started_ms);
	json_key(j, "finished_ms");
	json_u64_or_null(j, d->finished_ms);
	switch (d->state) {
	case PROTO_STATE_QUEUED:
		/* Why it waits, when a chef that can cook it is missing or busy. */
		if (d->result[0])
			json_key_string(j, "waiting", d->result);
		break;
	case PROTO_STATE_COOKING:
	case _PROTO_STATE_MAX:  /* never decoded */
		break;
	case PROTO_STATE_SERVED:
		json_key_string(j, "result", d->result);
		json_key_lines(j, "items", d->detail);
		if (out && out->data && unicode_valid(out->data, out->len)) {
			json_key(j, "output");
			json_string_len(j, out->data, out->len);
		} else if (out && out->data) {
			json_key(j, "output_base64");
			json_base64(j, out->data, out->len);
		}
		break;
	case PROTO_STATE_FAILED:
	case PROTO_STATE_CANCELLED:
		json_key_string(j, "reason", d->result);
		json_key_lines(j, "reasons", d->detail);
		break;
	}
	json_object_end(j);
}

void order_report_json(const struct order_report *r, struct json *j)
{
	order_report_json_event(r, NULL, j);
}

void order_report_json_event(const struct order_report *r, const char *event, struct json *j)
{
	json_object_begin(j);
	if (event)
		json_key_string(j, "event", event);
	json_key_u64(j, "order", r->id);
	json_key_string(j, "state", proto_state_name(r->state));
	json_key_u64(j, "created_ms", r->created_ms);
	json_key_u64(j, "served", r->served);
	json_key_u64(j, "failed", r->failed);
	json_key_u64(j, "cancelled", r->cancelled);
	json_key_u64(j, "priority", r->priority);
	json_key_u64(j, "due_ms", r->due_ms);
	json_key(j, "dishes");
	json_array_begin(j);
	for (size_t i = 0; i < r->n_dishes; i++)
		dish_json(&r->dishes[i], r->outputs ? &r->outputs[i] : NULL, j);
	json_array_end(j);
	json_object_end(j);
}
