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

static void metrics_json(const struct expo_reply *r, struct json *j)
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
	struct expo_reply *reply = NULL;
	const struct proto_msg *m;
	struct json j;
	int r;

	r = ctl_request(ctl, PROTO_METRICS, NULL, 0, 0, &m);
	if (r < 0)
		return r;
	r = expo_reply_decode(m, &reply);
	if (r == -ENOMEM)
		return ctl_error(r, "Failed to read the metrics: %m");
	if (r < 0)
		return ctl_bad_reply(r, PROTO_METRICS);
	if (ctl->json) {
		json_init(&j, stdout);
		metrics_json(reply, &j);
		json_newline(&j);
	} else
		r = expo_write(stdout, reply->v, reply->chefs, reply->n_chefs);
	expo_reply_free(&reply);
	if (r < 0)
		return ctl_error(r, "Failed to write the metrics: %m");
	return 0;
}
