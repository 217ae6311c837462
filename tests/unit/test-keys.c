/*
 * test-keys — key files, allowlists, CURVE on real sockets, and the chef's config file.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "chef_config.h"
#include "tap.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-keys.XXXXXX";
static const char *shipped_chef_conf;  /* etc/chef.conf, from argv[1] */

static void write_file(const char *name, mode_t mode, const char *text)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t) strlen(text) || fchmod(fd, mode) < 0) {
		perror(path);
		exit(99);
	}
	close(fd);
}

static int load(const char *name, struct keys_pair *k)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return keys_load(path, k);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t) -1;
}

static int test_generate_save_load(void)
{
	struct keys_pair k, secret, pub;
	char *sp = NULL, *pp = NULL, derived[KEYS_Z85_LEN + 1];

	CHECK(keys_generate(&k) == 0);
	CHECK(strlen(k.public_key) == KEYS_Z85_LEN && keys_z85_valid(k.public_key));
	CHECK(strlen(k.secret_key) == KEYS_Z85_LEN && keys_z85_valid(k.secret_key));
	CHECK(keys_public_from_secret(k.secret_key, derived) == 0);
	CHECK(strcmp(derived, k.public_key) == 0);

	CHECK(keys_save(tmpdir, "oven-1", &k, &sp, &pp) == 0);
	CHECK(sp && pp);
	CHECK(mode_of(sp) == 0600);
	CHECK(mode_of(pp) == 0644);
	CHECK(keys_load(sp, &secret) == 0);
	CHECK(strcmp(secret.public_key, k.public_key) == 0);
	CHECK(strcmp(secret.secret_key, k.secret_key) == 0);
	CHECK(keys_load(pp, &pub) == 0);
	CHECK(strcmp(pub.public_key, k.public_key) == 0);
	CHECK(pub.secret_key[0] == '\0');
	/* never replaced, and nothing half-written */
	CHECK(keys_save(tmpdir, "oven-1", &k, NULL, NULL) == -EEXIST);
	unlink(sp);
	CHECK(keys_save(tmpdir, "oven-1", &k, NULL, NULL) == -EEXIST);
	CHECK(access(sp, F_OK) < 0);
	unlink(pp);
	free(sp);
	free(pp);
	CHECK(keys_save(tmpdir, "../x", &k, NULL, NULL) == -EINVAL);
	CHECK(keys_save("/nonexistent-dir", "x", &k, NULL, NULL) == -ENOENT);
	return 0;
}

static int test_file_forms(void)
{
	struct keys_pair k, g;
	char text[512];

	CHECK(keys_generate(&g) == 0);
	/* a bare key, with '#' comments around it (a key may itself start with '#') */
	snprintf(text, sizeof(text), "# a comment\n\n  %s  \r\n# another\n", g.public_key);
	write_file("bare.pub", 0644, text);
	CHECK(load("bare.pub", &k) == 0);
	CHECK(strcmp(k.public_key, g.public_key) == 0 && !k.secret_key[0]);
	/* zcert's secret file: both keys, unquoted too */
	snprintf(text, sizeof(text), "metadata\n    name = \"x\"\ncurve\n    public-key = %s\n    secret-key = \"%s\"\n",
		 g.public_key, g.secret_key);
	write_file("zcert.key", 0600, text);
	CHECK(load("zcert.key", &k) == 0);
	CHECK(strcmp(k.secret_key, g.secret_key) == 0 && strcmp(k.public_key, g.public_key) == 0);
	/* the secret alone: the public key is derived */
	snprintf(text, sizeof(text), "curve\n    secret-key = \"%s\"\n", g.secret_key);
	write_file("only-secret.key", 0600, text);
	CHECK(load("only-secret.key", &k) == 0);
	CHECK(strcmp(k.public_key, g.public_key) == 0);
	CHECK(keys_load_secret("only-secret.key", &k, NULL, 0) == -ENOENT);  /* relative: the cwd's */
	/* anyone but its owner may read or write it: refused, group included */
	for (size_t i = 0; i < 4; i++) {
		static const mode_t open_modes[] = { 0644, 0640, 0660, 0620 };
		char path[PATH_MAX], err[512] = "";

		write_file("open.key", open_modes[i], text);
		CHECK(load("open.key", &k) == -EPERM);
		snprintf(path, sizeof(path), "%s/open.key", tmpdir);
		CHECK(keys_load_secret(path, &k, err, sizeof(err)) == -EPERM);
		CHECK(strstr(err, "chmod 0600") != NULL);
	}
	/* a secret key in a directory others may write: refused, saying what to chmod */
	{
		char dir[PATH_MAX / 2], path[PATH_MAX], err[512] = "";

		snprintf(dir, sizeof(dir), "%s/open-dir", tmpdir);
		CHECK(mkdir(dir, 0755) == 0 && chmod(dir, 0777) == 0);
		write_file("open-dir/own.key", 0600, text);
		snprintf(path, sizeof(path), "%s/own.key", dir);
		CHECK(keys_load_secret(path, &k, err, sizeof(err)) == -EPERM);
		CHECK(strstr(err, "chmod o-w") != NULL);
		CHECK(chmod(dir, 0755) == 0);
		CHECK(keys_load_secret(path, &k, err, sizeof(err)) == 0);
		CHECK(strcmp(k.secret_key, g.secret_key) == 0);
		CHECK(unlink(path) == 0 && rmdir(dir) == 0);
	}
	/* a public key that is not the secret's */
	snprintf(text, sizeof(text), "public-key = \"%s\"\nsecret-key = \"%s\"\n", "0000000000000000000000000000000000000000",
		 g.secret_key);
	write_file("mismatch.key", 0600, text);
	CHECK(load("mismatch.key", &k) == -EBADMSG);
	/* no key, a short one, two public keys, a key that overflows Z85, a NUL */
	write_file("empty.pub", 0644, "# nothing\n");
	CHECK(load("empty.pub", &k) == -EBADMSG);
	write_file("short.pub", 0644, "public-key = \"abc\"\n");
	CHECK(load("short.pub", &k) == -EBADMSG);
	snprintf(text, sizeof(text), "%s\n%s\n", g.public_key, g.public_key);
	write_file("two.pub", 0644, text);
	CHECK(load("two.pub", &k) == -EBADMSG);
	write_file("overflow.pub", 0644, "public-key = \"########################################\"\n");
	CHECK(load("overflow.pub", &k) == -EBADMSG);
	CHECK(!keys_z85_valid("########################################"));
	CHECK(!keys_z85_valid("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf"));     /* 39 */
	CHECK(!keys_z85_valid("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 "));   /* 41 */
	CHECK(!keys_z85_valid("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]y\"7"));    /* '"' */
	CHECK(load("missing.pub", &k) == -ENOENT);
	{
		char big[KEYS_FILE_MAX + 100];

		memset(big, '#', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		write_file("big.pub", 0644, big);
		CHECK(load("big.pub", &k) == -EFBIG);
	}
	return 0;
}

static int test_names(void)
{
	CHECK(keys_name_valid("oven"));
	CHECK(keys_name_valid("chef-oven.2_b"));
	CHECK(!keys_name_valid(""));
	CHECK(!keys_name_valid(".hidden"));
	CHECK(!keys_name_valid("a/b"));
	CHECK(!keys_name_valid("a b"));
	CHECK(!keys_name_valid("x\"y"));
	CHECK(keys_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));   /* 64 */
	CHECK(!keys_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 65 */
	CHECK(keys_endpoint_secured("tcp://10.0.0.1:7001"));
	CHECK(!keys_endpoint_secured("ipc:///run/kitchen/dispatch.sock"));
	CHECK(!keys_endpoint_secured(NULL));
	return 0;
}

static int skipped_count;

static void on_skipped(const char *path, int r, void *u)
{
	(void) path;
	(void) r;
	(void) u;
	skipped_count++;
}

static int test_allowlist(void)
{
	struct keys_pair a, b, c;
	struct keys_allow list = { 0 };
	uint8_t bin[KEYS_BIN_LEN];
	char dir[PATH_MAX], *sp = NULL;
	const struct keys_allow_entry *e;

	snprintf(dir, sizeof(dir), "%s/allow", tmpdir);
	CHECK(mkdir(dir, 0755) == 0);
	CHECK(keys_generate(&a) == 0 && keys_generate(&b) == 0 && keys_generate(&c) == 0);
	CHECK(keys_save(dir, "zeta", &a, &sp, NULL) == 0);
	unlink(sp);  /* a secret key has no place in an allowlist */
	free(sp);
	CHECK(keys_save(dir, "alpha", &b, NULL, NULL) == 0);    /* alpha.key is not read: not .pub */
	write_file("allow/junk.pub", 0644, "not a key\n");
	write_file("allow/notes.txt", 0644, "hello\n");
	write_file("allow/.hidden.pub", 0644, c.public_key);

	skipped_count = 0;
	CHECK(keys_allow_load(dir, &list, on_skipped, NULL) == 0);
	CHECK(list.n == 2);
	CHECK(skipped_count == 1);  /* junk.pub */
	CHECK(strcmp(list.entries[0].name, "alpha") == 0 && strcmp(list.entries[1].name, "zeta") == 0);
	CHECK(keys_decode(a.public_key, bin) == 0);
	e = keys_allow_find(&list, bin);
	CHECK(e && strcmp(e->name, "zeta") == 0);
	CHECK(keys_decode(c.public_key, bin) == 0);
	CHECK(keys_allow_find(&list, bin) == NULL);
	keys_allow_finish(&list);
	CHECK(list.n == 0 && list.entries == NULL);
	/* a directory others may write: anyone could allow themselves */
	CHECK(chmod(dir, 0777) == 0);
	CHECK(keys_allow_load(dir, &list, on_skipped, NULL) == -EPERM);
	CHECK(chmod(dir, 0755) == 0);
	CHECK(keys_allow_load("/nonexistent-dir", &list, NULL, NULL) == -ENOENT);
	return 0;
}

/* Answer one ZAP request on @zap: 200 when the client key is @allowed. */
static int zap_answer(void *zap, const uint8_t *allowed)
{
	char frames[8][64];
	size_t sizes[8];
	int n = 0, more;
	size_t ms = sizeof(more);
	zmq_pollitem_t it = { .socket = zap, .events = ZMQ_POLLIN };

	if (zmq_poll(&it, 1, 5000) != 1)
		return -1;
	do {
		int len = zmq_recv(zap, frames[n], sizeof(frames[n]), 0);
		if (len < 0 || n >= 7)
			return -1;
		sizes[n++] = (size_t) len;
		zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &ms);
	} while (more);
	/* version, request id, domain, address, identity, mechanism, key */
	if (n != 7 || sizes[6] != KEYS_BIN_LEN || memcmp(frames[2], "chefs", 5) != 0)
		return -1;
	bool ok = memcmp(frames[6], allowed, KEYS_BIN_LEN) == 0;
	zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
	zmq_send(zap, frames[1], sizes[1], ZMQ_SNDMORE);
	zmq_send(zap, ok ? "200" : "400", 3, ZMQ_SNDMORE);
	zmq_send(zap, "", 0, ZMQ_SNDMORE);
	zmq_send(zap, "", 0, ZMQ_SNDMORE);
	zmq_send(zap, "", 0, 0);
	return ok;
}

/* A generated pair works: an allowed client talks, another key and plaintext do not. */
static int test_curve_sockets(void)
{
	void *ctx = zmq_ctx_new();
	void *zap = zmq_socket(ctx, ZMQ_REP);
	void *server = zmq_socket(ctx, ZMQ_PULL);
	void *good = zmq_socket(ctx, ZMQ_PUSH), *bad = zmq_socket(ctx, ZMQ_PUSH), *plain = zmq_socket(ctx, ZMQ_PUSH);
	struct keys_client gc, bc;
	struct keys_pair s;
	uint8_t allowed[KEYS_BIN_LEN];
	char ep[64], buf[16];
	size_t len = sizeof(ep);
	int zero = 0, timeout = 300;

	CHECK(zmq_bind(zap, "inproc://zeromq.zap.01") == 0);
	CHECK(keys_generate(&s) == 0 && keys_generate(&gc.pair) == 0 && keys_generate(&bc.pair) == 0);
	memcpy(gc.server_key, s.public_key, sizeof(gc.server_key));
	memcpy(bc.server_key, s.public_key, sizeof(bc.server_key));
	CHECK(keys_decode(gc.pair.public_key, allowed) == 0);

	CHECK(keys_set_server(server, &s, "chefs") == 0);
	zmq_setsockopt(server, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	CHECK(zmq_bind(server, "tcp://127.0.0.1:*") == 0);
	CHECK(zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, ep, &len) == 0);

	/* ipc is left alone, tcp is secured */
	CHECK(keys_client_for(good, "ipc:///x", &gc) == 0);
	CHECK(keys_client_for(good, ep, &gc) == 0);
	CHECK(keys_client_for(bad, ep, &bc) == 0);
	CHECK(keys_client_for(plain, ep, NULL) == 0);
	for (void **p = (void *[]) { good, bad, plain, NULL }; *p; p++)
		zmq_setsockopt(*p, ZMQ_LINGER, &zero, sizeof(zero));

	CHECK(zmq_connect(bad, ep) == 0);
	CHECK(zap_answer(zap, allowed) == 0);
	CHECK(zmq_connect(plain, ep) == 0);   /* fails the handshake: no ZAP request */
	CHECK(zmq_connect(good, ep) == 0);
	CHECK(zap_answer(zap, allowed) == 1);
	zmq_send(bad, "bad", 3, ZMQ_DONTWAIT);
	zmq_send(plain, "plain", 5, ZMQ_DONTWAIT);
	CHECK(zmq_send(good, "good", 4, 0) == 4);
	CHECK(zmq_recv(server, buf, sizeof(buf), 0) == 4 && memcmp(buf, "good", 4) == 0);
	CHECK(zmq_recv(server, buf, sizeof(buf), 0) < 0 && errno == EAGAIN);

	for (void **p = (void *[]) { good, bad, plain, server, zap, NULL }; *p; p++) {
		zmq_setsockopt(*p, ZMQ_LINGER, &zero, sizeof(zero));
		zmq_close(*p);
	}
	zmq_ctx_term(ctx);
	return 0;
}

/* Without a ZAP handler, nobody gets in (ZMQ_ZAP_ENFORCE_DOMAIN). */
static int test_curve_needs_handler(void)
{
	void *ctx = zmq_ctx_new();
	void *server = zmq_socket(ctx, ZMQ_PULL), *client = zmq_socket(ctx, ZMQ_PUSH);
	struct keys_client c;
	struct keys_pair s;
	char ep[64], buf[16];
	size_t len = sizeof(ep);
	int zero = 0, timeout = 500;

	CHECK(keys_generate(&s) == 0 && keys_generate(&c.pair) == 0);
	memcpy(c.server_key, s.public_key, sizeof(c.server_key));
	CHECK(keys_set_server(server, &s, "chefs") == 0);
	zmq_setsockopt(server, ZMQ_RCVTIMEO, &timeout, sizeof(timeout));
	CHECK(zmq_bind(server, "tcp://127.0.0.1:*") == 0);
	CHECK(zmq_getsockopt(server, ZMQ_LAST_ENDPOINT, ep, &len) == 0);
	CHECK(keys_set_client(client, &c) == 0);
	CHECK(zmq_connect(client, ep) == 0);
	zmq_send(client, "x", 1, ZMQ_DONTWAIT);
	CHECK(zmq_recv(server, buf, sizeof(buf), 0) < 0 && errno == EAGAIN);
	zmq_setsockopt(client, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(server, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_close(client);
	zmq_close(server);
	zmq_ctx_term(ctx);
	return 0;
}

/* A chef.conf of each text is refused, FILE:LINE first, with the words wanted. */
struct refusal {
	const char *text, *want;
};

static int refused_all(const char *path, const struct refusal *bad, size_t n)
{
	struct chef_config *c = NULL;
	char err[512];

	for (size_t i = 0; i < n; i++) {
		write_file("chef.conf", 0644, bad[i].text);
		if (chef_config_load(path, &c, err, sizeof(err)) != -EINVAL || c || !strstr(err, bad[i].want) ||
		    strncmp(err, path, strlen(path)) != 0) {
			printf("# case %zu: got '%s', want '%s'\n", i, err, bad[i].want);
			return __LINE__;
		}
	}
	return 0;
}

static int test_chef_config(void)
{
	struct chef_config *c = NULL;
	char path[PATH_MAX], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/chef.conf", tmpdir);
	write_file("chef.conf", 0644,
		   "# a remote chef\n"
		   "dispatch = \"tcp://10.0.0.1:7001\";\n"
		   "sink = \"tcp://10.0.0.1:7002\";\n"
		   "name = \"oven\";\n"
		   "stations = 4;\n"
		   "heartbeat = { interval_ms = 250; liveness = 5; };\n"
		   "log_level = \"debug\";\n"
		   "curve = { server_key = \"/etc/kitchen/kitchend.pub\"; secret_key = \"/etc/kitchen/chef-oven.key\"; };\n");
	CHECK(chef_config_load(path, &c, err, sizeof(err)) == 0);
	CHECK(strcmp(c->dispatch, "tcp://10.0.0.1:7001") == 0);
	CHECK(strcmp(c->sink, "tcp://10.0.0.1:7002") == 0);
	CHECK(strcmp(c->name, "oven") == 0);
	CHECK(c->stations == 4 && c->heartbeat_ms == 250 && c->liveness == 5);
	CHECK(strcmp(c->log_level, "debug") == 0);
	CHECK(strcmp(c->server_key, "/etc/kitchen/kitchend.pub") == 0);
	CHECK(strcmp(c->secret_key, "/etc/kitchen/chef-oven.key") == 0);
	chef_config_free(&c);
	CHECK(c == NULL);

	write_file("chef.conf", 0644, "");
	CHECK(chef_config_load(path, &c, err, sizeof(err)) == 0);
	CHECK(!c->dispatch && !c->secret_key && c->stations == 0);
	chef_config_free(&c);

	static const struct refusal bad[] = {
		{ "\nstations = 0;\n", ":2: stations = 0 is out of range (1..256)" },
		{ "stations = 257;\n", "stations = 257" },
		{ "dispatch = \"udp://x\";\n", "is not an ipc:// or tcp:// endpoint" },
		{ "\n\ncolour = 1;\n", ":3: unknown key 'colour'" },
		{ "curve = { public_key = \"/x\"; };\n", "unknown key 'curve.public_key'" },
		{ "curve = { secret_key = \"x.key\"; };\n", "curve.secret_key = \"x.key\" is not an absolute path" },
		{ "heartbeat = { interval_ms = 5; };\n", "heartbeat.interval_ms = 5" },
		{ "heartbeat = 1000;\n", "heartbeat must be a group" },
		{ "name = \"\";\n", "name must not be empty" },
		{ "log_level = \"loud\";\n", "log_level = \"loud\"" },
		{ "sink = 5;\n", "sink must be a string" },
		{ "stations = ;\n", "syntax error" },
	};
	r = refused_all(path, bad, ELEMENTSOF(bad));
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/no-such.conf", tmpdir);
	CHECK(chef_config_load(path, &c, err, sizeof(err)) == -ENOENT && strstr(err, "no-such.conf"));
	return 0;
}

static int test_chef_recipes(void)
{
	struct chef_config *c = NULL;
	char path[PATH_MAX], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/chef.conf", tmpdir);
	write_file("chef.conf", 0644,
		   "recipes = (\n"
		   "\t{ name = \"Resize\"; run = [ \"convert\", \"-\", \"-resize\", \"50%\", \"-\" ];\n"
		   "\t  timeout = \"1m\"; max_output = 16777216; limits = { memory = 1073741824L; }; },\n"
		   "\t{ name = \"Echo\"; run = ( \"echo\", \"{input}\" ); dir = \"/tmp\"; }\n"
		   ");\n"
		   "dishes = [ \"*\", \"Resize\", \"Prime Check\" ];\n");
	CHECK(chef_config_load(path, &c, err, sizeof(err)) == 0);
	CHECK(c->n_recipes == 2 && c->n_dishes == 3);
	CHECK(strcmp(c->recipes[0].name, "Resize") == 0 && c->recipes[0].program && !c->recipes[0].ingredients);
	CHECK(strcmp(c->recipes[0].program->argv[3], "50%") == 0 && !c->recipes[0].program->argv[5]);
	CHECK(c->recipes[0].program->timeout_ms == 60000 && c->recipes[0].program->max_output == 16777216);
	CHECK(c->recipes[0].program->memory_bytes == 1073741824 && !c->recipes[0].program->dir);
	CHECK(strcmp(c->recipes[1].program->dir, "/tmp") == 0 && c->recipes[1].program->max_output == 1048576);
	CHECK(strcmp(c->dishes[0], "*") == 0 && strcmp(c->dishes[2], "Prime Check") == 0);
	chef_config_free(&c);

	static const struct refusal bad[] = {
		{ "recipes = ( { name = \"A\"; ingredients = [ \"x\" ]; } );\n", "ingredients belong on kitchen.conf's menu" },
		{ "recipes = (\n { name = \"A\"; } );\n", ":2: recipes[0] has no run" },
		{ "recipes = ( { run = [ \"true\" ]; } );\n", "recipes[0] has no name" },
		{ "recipes = ( { name = \"A\"; run = [ \"true\" ]; },\n { name = \"a\"; run = [ \"false\" ]; } );\n",
		  ":2: recipes[1]: recipe \"a\" is already here as \"A\"" },
		{ "recipes = ( { name = \"A\"; run = [ \"\" ]; } );\n", "recipes[0].run[0], the program, must not be empty" },
		{ "recipes = ( { name = \"A\"; run = [ \"x\", \"{input}\", \"{input}\" ]; } );\n",
		  "more than one \"{input}\"" },
		{ "recipes = ( { name = \"A\"; run = [ \"x\" ]; colour = 1; } );\n", "unknown key 'recipes[0].colour'" },
		{ "recipes = ( { name = \"A\"; run = [ \"x\" ]; limits = { nice = 1; }; } );\n", "unknown key 'limits.nice'" },
		{ "recipes = { name = \"A\"; };\n", "recipes must be a list" },
		{ "dishes = [ ];\n", "dishes: a chef cooks 1..256 dishes, not 0" },
		{ "dishes = [ \"A\", \"a\" ];\n", "dishes[1]: \"a\" is already there as \"A\"" },
		{ "dishes = [ \"A\\tB\" ];\n", "dishes[0] must be UTF-8 text" },
		{ "dishes = \"A\";\n", "dishes must be an array" },
	};
	r = refused_all(path, bad, ELEMENTSOF(bad));
	if (r)
		return r;
	return 0;
}

/* The shipped example parses, and sets only the two endpoints. */
static int test_shipped_chef_conf(void)
{
	struct chef_config *c = NULL;
	char err[512] = "";

	CHECK(shipped_chef_conf != NULL);
	if (chef_config_load(shipped_chef_conf, &c, err, sizeof(err)) < 0) {
		printf("# %s\n", err);
		return __LINE__;
	}
	CHECK(strcmp(c->dispatch, "tcp://kitchen.example.org:5557") == 0);
	CHECK(strcmp(c->sink, "tcp://kitchen.example.org:5558") == 0);
	CHECK(!c->name && !c->stations && !c->heartbeat_ms && !c->liveness && !c->log_level);
	CHECK(!c->server_key && !c->secret_key);
	chef_config_free(&c);
	return 0;
}

static const struct tap_case cases[] = {
	{ "generate, save with modes, load", test_generate_save_load },
	{ "key file forms accepted and refused", test_file_forms },
	{ "key names and secured endpoints", test_names },
	{ "allowlist directory", test_allowlist },
	{ "CURVE: an allowed key talks, others and plaintext do not", test_curve_sockets },
	{ "CURVE without a ZAP handler admits nobody", test_curve_needs_handler },
	{ "chef config file", test_chef_config },
	{ "chef config recipes and dishes", test_chef_recipes },
	{ "etc/chef.conf parses", test_shipped_chef_conf },
};

int main(int argc, char **argv)
{
	char cmd[PATH_MAX + 16];
	int r;

	shipped_chef_conf = argc > 1 ? argv[1] : NULL;
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 99;
	}
	r = tap_run(cases, ELEMENTSOF(cases));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return r;
}
