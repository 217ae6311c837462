/*
 * verb metrics — kitchend's measurements (METRICS) in the Prometheus text
 * exposition format, or with --json as one object: each family by name, a
 * labelled one as an object by label value, a histogram as its cumulative
 * buckets by le, its sum (seconds) and count; the chefs as an array.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exposition.h"
#include "json.h"
#include "verbs.h"

struct metrics_reply {
	uint64_t v[_EXPO_VALUES];
	struct expo_chef chefs[EXPO_CHEFS_MAX];
	char names[EXPO_CHEFS_MAX][PROTO_MAX_NAME + 1];
	char hosts[EXPO_CHEFS_MAX][PROTO_MAX_NAME + 1];
	size_t n_chefs;
};

/* -EBADMSG unless @m is a METRICS reply holding at least the values we know. */
static int decode(const struct proto_msg *m, struct metrics_reply *ret)
{
	uint64_t n;
	size_t first;

	if (m->n_fields < 1 || proto_u64(m, 0, &n) < 0 || n < _EXPO_VALUES || n > m->n_fields - 1 ||
	    (m->n_fields - 1 - n) % EXPO_CHEF_GROUP != 0 ||
	    (m->n_fields - 1 - n) / EXPO_CHEF_GROUP > EXPO_CHEFS_MAX)
		return -EBADMSG;
	for (size_t i = 0; i < _EXPO_VALUES; i++)
		if (proto_u64(m, 1 + i, &ret->v[i]) < 0)
			return -EBADMSG;
	first = 1 + (size_t) n;
	ret->n_chefs = (m->n_fields - first) / EXPO_CHEF_GROUP;
	for (size_t i = 0; i < ret->n_chefs; i++) {
		size_t f = first + i * EXPO_CHEF_GROUP;
		struct expo_chef *c = &ret->chefs[i];

		if (proto_str(m, f, ret->names[i], sizeof(ret->names[i])) < 0 ||
		    proto_str(m, f + 1, ret->hosts[i], sizeof(ret->hosts[i])) < 0 ||
		    proto_u64(m, f + 2, &c->served) < 0 || proto_u64(m, f + 3, &c->failed) < 0)
			return -EBADMSG;
		c->name = ret->names[i];
		c->host = ret->hosts[i];
	}
	return 0;
}

static void histogram_json(struct json *j, const struct expo_family *fam, const uint64_t *v)
{
	uint64_t cumulative = 0;

	json_object_begin(j);
	json_key(j, "buckets");
	json_object_begin(j);
	for (unsigned i = 0; i < EXPO_BUCKETS; i++) {
		cumulative += v[i];
		json_key_u64(j, expo_bounds_le[i], cumulative);
	}
	cumulative += v[EXPO_BUCKETS];
	json_key_u64(j, "+Inf", cumulative);
	json_object_end(j);
	json_key(j, "sum");
	json_decimal(j, v[EXPO_BUCKETS + 1], fam->scale);
	json_key_u64(j, "count", cumulative);
	json_object_end(j);
}

static void metrics_json(const struct metrics_reply *r, struct json *j)
{
	json_object_begin(j);
	for (size_t i = 0; i < expo_n_families; i++) {
		const struct expo_family *fam = &expo_families[i];

		json_key(j, fam->name);
		if (fam->type == EXPO_HISTOGRAM)
			histogram_json(j, fam, r->v + fam->first);
		else if (!fam->label)
			json_decimal(j, r->v[fam->first], fam->scale);
		else {
			json_object_begin(j);
			for (size_t l = 0; fam->values[l]; l++) {
				json_key(j, fam->values[l]);
				json_decimal(j, r->v[fam->first + l], fam->scale);
			}
			json_object_end(j);
		}
	}
	json_key(j, EXPO_CHEF_FAMILY);
	json_array_begin(j);
	for (size_t i = 0; i < r->n_chefs; i++) {
		json_object_begin(j);
		json_key_string(j, "chef", r->chefs[i].name);
		json_key_string(j, "host", r->chefs[i].host);
		json_key_u64(j, "served", r->chefs[i].served);
		json_key_u64(j, "failed", r->chefs[i].failed);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

int verb_metrics(struct ctl *ctl, char **args, size_t n_args)
{
	static struct metrics_reply reply;  /* 33 KB of names: not on the stack */
	const struct proto_msg *m;
	struct json j;
	int r;

	r = ctl_request(ctl, PROTO_METRICS, NULL, 0, 0, &m);
	if (r < 0)
		return r;
	r = decode(m, &reply);
	if (r < 0)
		return ctl_bad_reply(r, PROTO_METRICS);
	if (ctl->json) {
		json_init(&j, stdout);
		metrics_json(&reply, &j);
		json_newline(&j);
		return 0;
	}
	r = expo_write(stdout, reply.v, reply.chefs, reply.n_chefs);
	if (r < 0)
		return ctl_error(r, "Failed to write the metrics: %m");
	return 0;
}
