/* The order helpers order.h declares: a batch, its reports, one outcome told once. */
#include "order.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bar.h"
#include "term.h"
#include "util.h"

void order_batch_clear(struct order_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		order_report_free(&b->orders[i].report);
		free(b->orders[i].told);
	}
	free(b->orders);
	bar_finish(&b->bar);
	*b = (struct order_batch) { 0 };
}

static bool batch_failed(const struct order_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->orders[i].report && b->orders[i].report->failed + b->orders[i].report->cancelled > 0)
			return true;
	return false;
}

int order_refresh(struct ctl *ctl, struct order *o, uint64_t wait_ms)
{
	enum proto_cmd cmd = wait_ms ? PROTO_WAIT : PROTO_SHOW;
	char id[24], ms[24];
	const char *args[] = { id, ms };
	const struct proto_msg *m;
	int r;

	snprintf(id, sizeof(id), "%llu", (unsigned long long) o->id);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long) wait_ms);
	r = ctl_request(ctl, cmd, args, wait_ms ? 2 : 1, wait_ms, &m);
	if (r < 0)
		return r;
	return order_take_report(o, m, cmd);
}

int order_take_report(struct order *o, const struct proto_msg *m, enum proto_cmd cmd)
{
	struct order_report *report = NULL;
	int r;

	r = order_report_decode(m, &report);
	if (r < 0)
		return ctl_bad_reply(r, cmd);
	/* The dishes of an order never change; a report that says otherwise is not ours. */
	if (report->id != o->id || (o->n_dishes && report->n_dishes != o->n_dishes)) {
		order_report_free(&report);
		return ctl_bad_reply(-EBADMSG, cmd);
	}
	if (!o->told) {
		o->told = calloc(report->n_dishes ? report->n_dishes : 1, sizeof(*o->told));
		if (!o->told) {
			order_report_free(&report);
			return ctl_error(-ENOMEM, "%m");
		}
	}
	o->n_dishes = report->n_dishes;
	order_report_free(&o->report);
	o->report = report;
	return 0;
}

void order_tell(struct ctl *ctl, struct order *o, size_t i)
{
	const struct dish_report *d = &o->report->dishes[i];
	struct json j;

	if (o->told[i])
		return;
	o->told[i] = true;
	if (ctl->json) {
		json_init(&j, stdout);
		json_object_begin(&j);
		json_key_string(&j, "event", d->state == PROTO_STATE_SERVED ? "served" :
					     d->state == PROTO_STATE_CANCELLED ? "cancelled" : "failed");
		json_key_u64(&j, "order", o->id);
		json_key_u64(&j, "index", d->index);
		json_key_string(&j, "dish", d->name);
		json_key_string(&j, "chef", d->chef);
		if (d->state == PROTO_STATE_SERVED) {
			json_key_string(&j, "result", d->result);
			json_key_lines(&j, "items", d->detail);
		} else
			json_key_string(&j, "reason", d->result[0] ? d->result : proto_state_name(d->state));
		json_object_end(&j);
		json_newline(&j);
	} else if (d->state == PROTO_STATE_SERVED)
		order_outcome_print(ctl, o->id, "Served", d->name, NULL);
	else if (d->state == PROTO_STATE_FAILED)
		order_outcome_print(ctl, o->id, "Failed", d->name, d->result);
	else if (d->state == PROTO_STATE_CANCELLED)
		order_outcome_print(ctl, o->id, "Cancelled", d->name, d->result);
	else
		/* A done order with an undone dish: kitchend's bug, but say something. */
		order_outcome_print(ctl, o->id, "Failed", d->name, "still not done when the order was done");
	fflush(stdout);
}

void order_outcome_print(const struct ctl *ctl, uint64_t order_id, const char *what, const char *dish,
			 const char *why)
{
	term_printf(stdout, "O- %s %s", what, dish);
	if (ctl->many_orders)
		printf(" [order %llu]", (unsigned long long) order_id);
	if (why)
		term_printf(stdout, ": %s", why);
	putchar('\n');
}

void order_batch_json(const struct order_batch *b)
{
	struct json j;

	json_init(&j, stdout);
	json_object_begin(&j);
	json_key(&j, "orders");
	json_array_begin(&j);
	for (size_t i = 0; i < b->n; i++)
		order_report_json(b->orders[i].report, &j);
	json_array_end(&j);
	json_object_end(&j);
	json_newline(&j);
}

void order_batch_json_lines(const struct order_batch *b)
{
	struct json j;

	json_init(&j, stdout);
	for (size_t i = 0; i < b->n; i++) {
		order_report_json_event(b->orders[i].report, "report", &j);
		json_newline(&j);
	}
}

/* Whether @r means that kitchend keeps the orders but cannot be waited on now. */
bool order_wait_refused(const char *code)
{
	/* Too many waiting (full), stopping (closing), or its store failed (internal). */
	return code && (strcmp(code, PROTO_ERR_FULL) == 0 || strcmp(code, PROTO_ERR_CLOSING) == 0 ||
			strcmp(code, PROTO_ERR_INTERNAL) == 0);
}

static bool lost(const struct ctl *ctl, const struct order_batch *b, int r)
{
	if (r == -ETIMEDOUT || r == -ETIME || r == -EHOSTUNREACH)
		return true;
	return r == -EREMOTEIO && (b->wait_refused || order_wait_refused(ctl->client ? ctl->client->err_code : NULL));
}

int order_batch_end(struct ctl *ctl, const struct order_batch *b, int r, const char *verb)
{
	_cleanup_free_ char *ids = NULL;
	size_t len = 0, size = 0, left = 0;

	if (r >= 0)
		return batch_failed(b) ? -EREMOTEIO : 0;
	if (!lost(ctl, b, r))
		return r;
	for (size_t i = 0; i < b->n; i++) {
		if (b->orders[i].done)
			continue;
		if (buf_reserve(&ids, &size, len + 22) < 0)
			return ctl_error(-ENOMEM, "%m");
		len += (size_t) sprintf(ids + len, " %llu", (unsigned long long) b->orders[i].id);
		left++;
	}
	if (left == 0)
		return r;
	/* The --deadline has been said: what matters now is that the orders are open. */
	ctl_error(-EINPROGRESS, "order%s%s %s; %s %s again with: kitchenctl %s%s",
		  left == 1 ? "" : "s", ids,
		  r == -ETIME ? (left == 1 ? "is still open" : "are still open") :
				(left == 1 ? "was accepted" : "were accepted"),
		  strcmp(verb, "follow") == 0 ? "follow" : "wait for", left == 1 ? "it" : "them", verb, ids);
	return -EINPROGRESS;
}
