/*
 * exposition — the METRICS values as Prometheus text. See exposition.h.
 */
#include "exposition.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "util.h"

const uint64_t expo_bounds_us[EXPO_BUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000, 60000000, 300000000,
};
const char *const expo_bounds_le[EXPO_BUCKETS] = {
	"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
	"1", "2.5", "5", "10", "30", "60", "300",
};

unsigned expo_bucket(uint64_t us)
{
	unsigned i = 0;

	/* Most observations are short: from the bottom. */
	while (i < EXPO_BUCKETS && us > expo_bounds_us[i])
		i++;
	return i;
}

const char *const expo_sockets[EXPO_SOCKETS + 1] = { "control", "dispatch", "sink", "events", NULL };
_Static_assert(EXPO_MALFORMED_EVENTS - EXPO_MALFORMED_CONTROL + 1 == EXPO_SOCKETS, "one value per socket");

static const char *const dish_ends[] = { "served", "failed", "cancelled", NULL };
static const char *const dish_open[] = { "queued", "cooking", NULL };
static const char *const outcomes[] = { "served", "failed", "cancelled", "timed_out", "chef_lost", NULL };
static const char *const waiting[] = { "wait", "follow_order", "follow_all", "follow_chefs", NULL };

const struct expo_family expo_families[] = {
	{ "kitchen_start_time_seconds", EXPO_GAUGE,
	  "When kitchend started, in seconds since the epoch: the counters count from then.",
	  EXPO_START_TIME_MS, NULL, NULL, 1000 },
	{ "kitchen_orders_admitted_total", EXPO_COUNTER,
	  "Orders accepted.", EXPO_ORDERS_ADMITTED, NULL, NULL, 0 },
	{ "kitchen_orders_open", EXPO_GAUGE,
	  "Orders not finished.", EXPO_ORDERS_OPEN, NULL, NULL, 0 },
	{ "kitchen_dishes_total", EXPO_COUNTER,
	  "Dishes that ended in each state (a retried dish counts again when it ends again).",
	  EXPO_DISHES_SERVED, "state", dish_ends, 0 },
	{ "kitchen_dishes_open", EXPO_GAUGE,
	  "Dishes waiting for a chef, and dishes at a chef.", EXPO_DISHES_QUEUED, "state", dish_open, 0 },
	{ "kitchen_dishes_handed_total", EXPO_COUNTER,
	  "Attempts begun: dishes handed to a chef.", EXPO_HANDED, NULL, NULL, 0 },
	{ "kitchen_attempts_total", EXPO_COUNTER,
	  "Attempts ended, by how: the chef's result (served, failed, cancelled on request), "
	  "the dish's time-out, or its chef lost.",
	  EXPO_ATTEMPTS_SERVED, "outcome", outcomes, 0 },
	{ "kitchen_stale_results_total", EXPO_COUNTER,
	  "Results and stage lines of attempts no longer current, ignored.", EXPO_STALE_RESULTS, NULL, NULL, 0 },
	{ "kitchen_malformed_messages_total", EXPO_COUNTER,
	  "Malformed messages dropped, by socket.", EXPO_MALFORMED_CONTROL, "socket", expo_sockets, 0 },
	{ "kitchen_clients_waiting", EXPO_GAUGE,
	  "Clients waiting on kitchend: WAIT long polls held, order topics followed, "
	  "subscriptions to every order and to the chefs.",
	  EXPO_WAITING_WAIT, "kind", waiting, 0 },
	{ "kitchen_chefs", EXPO_GAUGE, "Chefs on the line.", EXPO_CHEFS, NULL, NULL, 0 },
	{ "kitchen_store_bytes", EXPO_GAUGE,
	  "Size of the order store's database (page_count * page_size).", EXPO_STORE_BYTES, NULL, NULL, 0 },
	{ "kitchen_store_full", EXPO_GAUGE,
	  "1 while the order store's disk is full and new orders are refused.", EXPO_STORE_FULL, NULL, NULL, 0 },
	{ "kitchen_dish_served_seconds", EXPO_HISTOGRAM,
	  "From an order's submission to each of its dishes served (to the millisecond).",
	  EXPO_SERVED_SECONDS, NULL, NULL, 1000000 },
	{ "kitchen_dish_queue_wait_seconds", EXPO_HISTOGRAM,
	  "From a dish joining the queue to its handing to a chef, per attempt (to the millisecond).",
	  EXPO_QUEUE_WAIT_SECONDS, NULL, NULL, 1000000 },
	{ "kitchen_dish_cooking_seconds", EXPO_HISTOGRAM,
	  "From a dish handed to a chef to the chef's result, per attempt (to the millisecond).",
	  EXPO_COOKING_SECONDS, NULL, NULL, 1000000 },
	{ "kitchen_store_commit_seconds", EXPO_HISTOGRAM,
	  "One batch of the order store applied and committed by its writer thread.",
	  EXPO_COMMIT_SECONDS, NULL, NULL, 1000000 },
};
const size_t expo_n_families = ELEMENTSOF(expo_families);

int expo_reply_decode(const struct proto_msg *m, struct expo_reply **ret)
{
	struct expo_reply *r;
	uint64_t n;
	size_t first;

	if (m->n_fields < 1 || proto_u64(m, 0, &n) < 0 || n < _EXPO_VALUES || n > m->n_fields - 1 ||
	    (m->n_fields - 1 - n) % EXPO_CHEF_GROUP != 0 ||
	    (m->n_fields - 1 - n) / EXPO_CHEF_GROUP > EXPO_CHEFS_MAX)
		return -EBADMSG;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < _EXPO_VALUES; i++)
		if (proto_u64(m, 1 + i, &r->v[i]) < 0)
			goto bad;
	first = 1 + (size_t) n;
	r->n_chefs = (m->n_fields - first) / EXPO_CHEF_GROUP;
	for (size_t i = 0; i < r->n_chefs; i++) {
		size_t f = first + i * EXPO_CHEF_GROUP;
		struct expo_chef *c = &r->chefs[i];

		if (proto_str(m, f, r->names[i], sizeof(r->names[i])) < 0 ||
		    proto_str(m, f + 1, r->hosts[i], sizeof(r->hosts[i])) < 0 ||
		    proto_u64(m, f + 2, &c->served) < 0 || proto_u64(m, f + 3, &c->failed) < 0)
			goto bad;
		c->name = r->names[i];
		c->host = r->hosts[i];
	}
	*ret = r;
	return 0;
bad:
	free(r);
	return -EBADMSG;
}

void expo_reply_free(struct expo_reply **r)
{
	if (r) {
		free(*r);
		*r = NULL;
	}
}

const char *expo_decimal(uint64_t v, unsigned scale, char *buf, size_t size)
{
	int digits = 0;
	uint64_t frac;

	if (scale <= 1) {
		snprintf(buf, size, "%" PRIu64, v);
		return buf;
	}
	for (unsigned s = scale; s > 1; s /= 10)
		digits++;
	frac = v % scale;
	if (frac == 0) {
		snprintf(buf, size, "%" PRIu64, v / scale);
		return buf;
	}
	/* Trailing zeros off: "1.25", not "1.250000". */
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, size, "%" PRIu64 ".%0*" PRIu64, v / scale, digits, frac);
	return buf;
}

/* A label value as the format quotes it: backslash, double quote, newline escaped. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void histogram(FILE *f, const struct expo_family *fam, const uint64_t *v)
{
	uint64_t cumulative = 0;
	char buf[32];

	for (unsigned i = 0; i < EXPO_BUCKETS; i++) {
		cumulative += v[i];
		fprintf(f, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", fam->name, expo_bounds_le[i], cumulative);
	}
	cumulative += v[EXPO_BUCKETS];
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", fam->name, cumulative);
	fprintf(f, "%s_sum %s\n", fam->name, expo_decimal(v[EXPO_BUCKETS + 1], fam->scale, buf, sizeof(buf)));
	fprintf(f, "%s_count %" PRIu64 "\n", fam->name, cumulative);
}

int expo_write(FILE *f, const uint64_t *v, const struct expo_chef *chefs, size_t n_chefs)
{
	char buf[32];

	for (size_t i = 0; i < expo_n_families; i++) {
		const struct expo_family *fam = &expo_families[i];

		header(f, fam->name, fam->type == EXPO_COUNTER ? "counter" :
				     fam->type == EXPO_GAUGE ? "gauge" : "histogram", fam->help);
		if (fam->type == EXPO_HISTOGRAM) {
			histogram(f, fam, v + fam->first);
			continue;
		}
		if (!fam->label) {
			fprintf(f, "%s %s\n", fam->name, expo_decimal(v[fam->first], fam->scale, buf, sizeof(buf)));
			continue;
		}
		for (size_t l = 0; fam->values[l]; l++)
			fprintf(f, "%s{%s=\"%s\"} %s\n", fam->name, fam->label, fam->values[l],
				expo_decimal(v[fam->first + l], fam->scale, buf, sizeof(buf)));
	}

	header(f, EXPO_CHEF_FAMILY, "counter",
	       "Results of each chef on the line, served or failed (kitchen_attempts_total counts every chef's, "
	       "gone ones too).");
	for (size_t i = 0; i < n_chefs; i++)
		for (int served = 1; served >= 0; served--) {
			fprintf(f, EXPO_CHEF_FAMILY "{chef=\"");
			label_value(f, chefs[i].name);
			fprintf(f, "\",host=\"");
			label_value(f, chefs[i].host);
			fprintf(f, "\",outcome=\"%s\"} %" PRIu64 "\n", served ? "served" : "failed",
				served ? chefs[i].served : chefs[i].failed);
		}
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}
