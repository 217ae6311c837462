/*
 * web_write — kitchen-web's write actions, once web_auth.h let the request
 * through:
 *
 *	POST /api/orders             ORDER   -> 201 {"order": ID, "dishes": N}
 *	POST /api/orders/ID/cancel   REVOKE  -> 200 {"order": ID, "cancelled": N, "cancelling": N, "finished": N}
 *	POST /api/orders/ID/retry    RETRY   -> 200 {"order": ID, "retried": N}
 *
 * Bodies: web_body.h. An order is checked with proto_order_refusal() before
 * it is sent, so it is refused in kitchend's words (400); kitchend's own
 * refusals come back with their codes (web_reply.h).
 */
#pragma once

struct web_kitchend;
struct web_reply;
struct web_request;

/* Is @path a write route? */
int web_write_is_route(const char *path);

/* Answer the POST @req. 0, or -ENOMEM (nothing answered). */
int web_write_post(struct web_kitchend *k, const struct web_request *req, struct web_reply *rep);
