/* kitchen-web's pure pieces: the write bodies (web_body.c), the token
 * comparison and the write checks (web_auth.c), the order paths (web_api.c's
 * parser is reached through web_write_is_route()), kitchen-web.conf. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"
#include "web_auth.h"
#include "web_body.h"
#include "web_config.h"

static int parse(const char *s, struct web_body *b)
{
	char err[256];

	return web_body_parse(s, strlen(s), b, err, sizeof(err));
}

static int test_body_order(void)
{
	struct web_body b;

	CHECK(parse("{\"dishes\": [\"Pizza\", \"Sal\\u0061d\"], \"priority\": 7, \"key\": \"k-1\"}",
		    &b) == 0);
	CHECK(b.n_dishes == 2 && strcmp(b.dishes[0], "Pizza") == 0 && strcmp(b.dishes[1], "Salad") == 0);
	CHECK(b.priority == 7 && strcmp(b.key, "k-1") == 0);
	web_body_clear(&b);
	/* A surrogate pair is one character, in UTF-8. */
	CHECK(parse("{\"dishes\": [\"\\ud83c\\udf55\"]}", &b) == 0);
	CHECK(strcmp(b.dishes[0], "\xf0\x9f\x8d\x95") == 0);
	web_body_clear(&b);
	CHECK(parse("  ", &b) == 0 && b.n_dishes == 0);
	CHECK(parse("{}", &b) == 0 && b.n_dishes == 0 && !b.key);
	CHECK(parse("{\"index\": [0, 2, 10]}", &b) == 0 && b.n_index == 3 && b.index[2] == 10);
	return 0;
}

static int test_body_refused(void)
{
	static const char *bad[] = {
		"[]",
		"{",
		"{\"dishes\": [\"a\"]",
		"{\"dishes\": \"a\"}",
		"{\"dish\": [\"a\"]}",
		"{\"priority\": -1}",
		"{\"priority\": 1.5}",
		"{\"priority\": 01}",
		"{\"priority\": 99999999999999999999}",
		"{\"dishes\": [\"a\"]} x",
		"{\"key\": \"\\ud800\"}",
		"{\"key\": \"\\u0000\"}",
		"{\"key\": \"a\nb\"}",
		"{\"key\": \"\\q\"}",
		"{\"dishes\": [\"a\",]}",
		"{,}",
	};
	struct web_body b;
	char many[4096] = "{\"index\": [";

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		int r = parse(bad[i], &b);
		if (r != -EINVAL)
			tap_diag("accepted: %s", bad[i]);
		CHECK(r == -EINVAL);
		CHECK(b.n_dishes == 0 && !b.key);
	}
	for (int i = 0; i <= PROTO_ORDER_MAX_DISHES; i++)
		strcat(many, i ? ",1" : "1");
	strcat(many, "]}");
	CHECK(parse(many, &b) == -EINVAL);
	return 0;
}

static int test_auth_equal(void)
{
	CHECK(web_auth_equal("abc", 3, "abc", 3));
	CHECK(!web_auth_equal("abc", 3, "abd", 3));
	CHECK(!web_auth_equal("abc", 3, "abcd", 4));
	CHECK(!web_auth_equal("abc", 3, "ab", 2));
	CHECK(!web_auth_equal("", 0, "a", 1));
	CHECK(web_auth_equal("", 0, "", 0));
	/* The lengths differ but the bytes of the shorter, padded with NUL, match. */
	CHECK(!web_auth_equal("a\0", 2, "a", 1));
	return 0;
}

static int test_auth_check(void)
{
	char path[] = "/tmp/test-web-token-XXXXXX", err[256];
	const char *code, *msg;
	struct web_auth *ro = NULL, *a = NULL;
	struct web_auth_request ok = { .host = "127.0.0.1:8080",
				       .authorization = "Bearer 0123456789abcdef",
				       .content_type = "application/json; charset=utf-8" };
	struct web_auth_request r;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, "0123456789abcdef\n", 17) == 17);
	close(fd);
	CHECK(web_auth_new(NULL, &ro, err, sizeof(err)) == 0);
	CHECK(web_auth_check(ro, &ok, &code, &msg) == 403 && strcmp(code, "read-only") == 0);
	chmod(path, 0644);
	CHECK(web_auth_new(path, &a, err, sizeof(err)) == -EPERM);
	chmod(path, 0600);
	CHECK(web_auth_new(path, &a, err, sizeof(err)) == 0);
	CHECK(web_auth_check(a, &ok, &code, &msg) == 0);
	r = ok, r.origin = "http://127.0.0.1:8080";
	CHECK(web_auth_check(a, &r, &code, &msg) == 0);
	r = ok, r.origin = "http://evil.example";
	CHECK(web_auth_check(a, &r, &code, &msg) == 403);
	r = ok, r.authorization = NULL;
	CHECK(web_auth_check(a, &r, &code, &msg) == 401);
	r = ok, r.authorization = "Bearer 0123456789abcdeF";
	CHECK(web_auth_check(a, &r, &code, &msg) == 401);
	r = ok, r.content_type = "application/jsonx";
	CHECK(web_auth_check(a, &r, &code, &msg) == 415);
	r = ok, r.content_type = "text/plain";
	CHECK(web_auth_check(a, &r, &code, &msg) == 415);
	web_auth_free(&a);
	web_auth_free(&ro);
	CHECK(!a && !ro);
	/* Too short a token. */
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, "short\n", 6) == 6);
	close(fd);
	CHECK(web_auth_new(path, &a, err, sizeof(err)) == -EINVAL);
	unlink(path);
	return 0;
}

static int test_config(void)
{
	char path[] = "/tmp/test-web-conf-XXXXXX", err[512];
	struct web_config *c = NULL;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	CHECK(f);
	fputs("listen = \"[::1]:9000\";\nwrite = { enabled = true;\n\ttoken_file = \"/x/t\"; };\n"
	      "limits = { per_ip = 2; };\n",
	      f);
	fclose(f);
	CHECK(web_config_load(path, &c, err, sizeof(err)) == 0);
	CHECK(strcmp(c->listen, "[::1]:9000") == 0 && c->write_enabled &&
	      strcmp(c->token_file, "/x/t") == 0);
	CHECK(c->per_ip == 2 && c->connections == WEB_CONFIG_CONNECTIONS_DEFAULT);
	web_config_free(&c);
	CHECK(!c);
	f = fopen(path, "w");
	fputs("# comment\nwrite = { enabled = 1; };\n", f);
	fclose(f);
	CHECK(web_config_load(path, &c, err, sizeof(err)) == -EINVAL);
	tap_diag("%s", err);
	CHECK(strstr(err, ":2: write.enabled must be true or false"));
	f = fopen(path, "w");
	fputs("write = { enabled = true; };\n", f);
	fclose(f);
	CHECK(web_config_load(path, &c, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "needs write.token_file"));
	f = fopen(path, "w");
	fputs("listen = \"127.0.0.1\";\n", f);
	fclose(f);
	CHECK(web_config_load(path, &c, err, sizeof(err)) == -EINVAL && strstr(err, ":1: listen"));
	unlink(path);
	return 0;
}

static const struct tap_case cases[] = {
	{ "body-order", test_body_order }, { "body-refused", test_body_refused },
	{ "auth-equal", test_auth_equal }, { "auth-check", test_auth_check },
	{ "config", test_config },
};

int main(void)
{
	return tap_run(cases, ELEMENTSOF(cases));
}
