/* A page of the order book (LIST reply): what `list` prints. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_field.h"
#include "term.h"
#include "util.h"

void order_page_free(struct order_page **p)
{
	if (!p || !*p)
		return;
	for (size_t i = 0; i < (*p)->n; i++) {
		free((*p)->orders[i].state);
		free((*p)->orders[i].key);
		free((*p)->orders[i].dishes);
	}
	free((*p)->orders);
	free(*p);
	*p = NULL;
}

static int listed_decode(const struct proto_msg *m, size_t k, struct listed_order *o)
{
	int r;

	if ((r = report_u64(m, k + 0, &o->id)) < 0 ||
	    (r = report_text(m, k + 1, false, &o->state)) < 0 ||
	    (r = report_u64(m, k + 2, &o->created_ms)) < 0 ||
	    (r = report_u64(m, k + 3, &o->due_ms)) < 0 ||
	    (r = report_text(m, k + 4, false, &o->key)) < 0 ||
	    (r = report_u64(m, k + 5, &o->queued)) < 0 || (r = report_u64(m, k + 6, &o->cooking)) < 0 ||
	    (r = report_u64(m, k + 7, &o->served)) < 0 || (r = report_u64(m, k + 8, &o->failed)) < 0 ||
	    (r = report_u64(m, k + 9, &o->cancelled)) < 0 ||
	    (r = report_text(m, k + 10, true, &o->dishes)) < 0)
		return r;
	if (proto_list_state_from_name(o->state, strlen(o->state)) < 0)
		return -EBADMSG;
	return 0;
}

int order_page_decode(const struct proto_msg *m, struct order_page **ret)
{
	struct order_page *p;
	size_t n;
	int r;

	if (m->n_fields < PROTO_LIST_FIXED || (m->n_fields - PROTO_LIST_FIXED) % PROTO_LIST_GROUP != 0)
		return -EBADMSG;
	n = (m->n_fields - PROTO_LIST_FIXED) / PROTO_LIST_GROUP;
	if (n > PROTO_LIST_MAX)
		return -EBADMSG;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->orders = calloc(n ? n : 1, sizeof(*p->orders));
	if (!p->orders) {
		free(p);
		return -ENOMEM;
	}
	r = report_u64(m, 0, &p->next);
	for (size_t i = 0; r >= 0 && i < n; i++, p->n++)
		r = listed_decode(m, PROTO_LIST_FIXED + i * PROTO_LIST_GROUP, &p->orders[i]);
	if (r < 0) {
		/* p->n counts the half-decoded one too: it is freed. */
		order_page_free(&p);
		return r;
	}
	*ret = p;
	return 0;
}

/* "2026-12-06 10:00:01", local time. */
static void format_ms(uint64_t ms, char *buf, size_t size)
{
	time_t t = (time_t) (ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "@%llu", (unsigned long long) (ms / 1000));
}

void listed_order_print(const struct listed_order *o, FILE *f)
{
	const struct {
		const char *name;
		uint64_t n;
	} counts[] = {
		{ "queued", o->queued },
		{ "cooking", o->cooking },
		{ "served", o->served },
		{ "failed", o->failed },
		{ "cancelled", o->cancelled },
	};
	uint64_t total = o->queued + o->cooking + o->served + o->failed + o->cancelled;
	char created[32], due[48] = "", summary[160] = "";
	size_t len = 0;
	_cleanup_free_ char *dishes = malloc(2 * strlen(o->dishes) + 1);

	for (size_t i = 0; i < ELEMENTSOF(counts) && len < sizeof(summary); i++)
		if (counts[i].n)
			len += (size_t) snprintf(summary + len, sizeof(summary) - len, "%s%llu %s",
						 len ? ", " : "", (unsigned long long) counts[i].n,
						 counts[i].name);
	format_ms(o->created_ms, created, sizeof(created));
	if (strcmp(o->state, PROTO_LIST_DELAYED) == 0) {
		char at[32];
		format_ms(o->due_ms, at, sizeof(at));
		snprintf(due, sizeof(due), " until %s", at);
	}
	/* The names on one line. */
	if (dishes) {
		char *d = dishes;
		for (const char *p = o->dishes; *p; p++)
			if (*p == '\n') {
				*d++ = ',';
				*d++ = ' ';
			} else
				*d++ = *p;
		*d = '\0';
	}
	term_printf(f, "order %llu  %s  %s%s  %llu dish%s (%s): %s", (unsigned long long) o->id, created,
		    o->state, due, (unsigned long long) total, total == 1 ? "" : "es", summary,
		    dishes ? dishes : "?");
	if (o->key[0])
		term_printf(f, "  key '%s'", o->key);
	fputc('\n', f);
}

void listed_order_json(const struct listed_order *o, struct json *j)
{
	json_object_begin(j);
	json_key_u64(j, "order", o->id);
	json_key_string(j, "state", o->state);
	json_key_u64(j, "created_ms", o->created_ms);
	json_key(j, "due_ms");
	json_u64_or_null(j, o->due_ms);
	json_key(j, "key");
	json_string_or_null(j, o->key);
	json_key_u64(j, "queued", o->queued);
	json_key_u64(j, "cooking", o->cooking);
	json_key_u64(j, "served", o->served);
	json_key_u64(j, "failed", o->failed);
	json_key_u64(j, "cancelled", o->cancelled);
	json_key_lines(j, "dishes", o->dishes);
	json_object_end(j);
}
