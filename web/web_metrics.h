/*
 * web_metrics — kitchen-web's GET /metrics: kitchend's METRICS reply as
 * Prometheus reads it, the same text `kitchenctl metrics` prints (both
 * decode and write it with common/exposition.h), with the content type of
 * the text exposition format 0.0.4. Read-only like every GET: no token.
 * kitchend asked and not answering: 503, as for /api/status.
 *
 *	r = web_metrics_get(kitchend, &rep);
 */
#pragma once

#define WEB_METRICS_PATH "/metrics"
#define WEB_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct web_kitchend;
struct web_reply;

/* Ask kitchend and answer into @rep. 0, or -ENOMEM (nothing answered). */
int web_metrics_get(struct web_kitchend *k, struct web_reply *rep);
