/*
 * web_auth — who may use kitchen-web's write actions (ordering, cancel,
 * retry): nobody unless write.enabled, and then only a request that
 *
 *   - carries no Origin, or its own one ("http://" + its Host header): a
 *     page of another site cannot make a browser send it;
 *   - says "Authorization: Bearer TOKEN" with the token of write.token_file
 *     (compared in constant time). A browser never adds that header by
 *     itself (unlike a cookie), so a cross-site form or image cannot either;
 *   - sends its body as "Content-Type: application/json", which no HTML form
 *     can send, so a cross-site request would have to be a preflighted one
 *     (and kitchen-web answers no CORS preflight).
 *
 * The token file holds one line of at least WEB_AUTH_TOKEN_MIN printable
 * ASCII characters (a trailing newline is dropped) and must not be readable
 * by others (mode & 0007).
 *
 *	struct web_auth *a;
 *	r = web_auth_new(cfg->write_enabled ? cfg->token_file : NULL, &a, err, sizeof(err));
 *	unsigned status = web_auth_check(a, &headers, &code);   // 0: allowed
 */
#pragma once

#include <stddef.h>

#define WEB_AUTH_TOKEN_MIN 16
#define WEB_AUTH_TOKEN_MAX 1024

struct web_auth;

/* @token_file NULL: read-only. 0, or -errno with the reason in @err. */
int web_auth_new(const char *token_file, struct web_auth **ret, char *err, size_t err_size);
void web_auth_free(struct web_auth **a); /* NULL and *a == NULL are fine */

/* What web_auth_check() looks at; a header left out is NULL. */
struct web_auth_request {
	const char *host;
	const char *origin;
	const char *authorization;
	const char *content_type;
};

/*
 * 0 when @req may write; else the HTTP status to refuse it with and, in
 * *ret_code and *ret_message, the error code and a sentence: 403
 * "read-only", 403 "forbidden" (another Origin), 401 "unauthorized" (no or a
 * wrong token), 415 "unsupported-media-type".
 */
unsigned web_auth_check(const struct web_auth *a, const struct web_auth_request *req,
			const char **ret_code, const char **ret_message);

/* Whether the two byte strings are equal, in a time that depends on their
 * lengths only. */
int web_auth_equal(const char *a, size_t a_len, const char *b, size_t b_len);
