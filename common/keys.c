/*
 * keys.c — Z85 key files (zcert's ZPL form), CURVE socket options, allowlists.
 */
#include "keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "util.h"

/* Draft in libzmq 4.3 (zmq.h hides it without ZMQ_BUILD_DRAFT_API), honoured by Debian's build. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

static const char z85_alphabet[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

bool keys_z85_valid(const char *s)
{
	uint8_t bin[KEYS_BIN_LEN];

	if (!s || strlen(s) != KEYS_Z85_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr(z85_alphabet, *p))
			return false;
	/* Five characters may still overflow 32 bits ("#####"): libzmq says so. */
	return zmq_z85_decode(bin, s) != NULL;
}

int keys_decode(const char *z85, uint8_t ret[KEYS_BIN_LEN])
{
	if (!keys_z85_valid(z85) || !zmq_z85_decode(ret, z85))
		return -EINVAL;
	return 0;
}

void keys_encode(const uint8_t key[KEYS_BIN_LEN], char ret[KEYS_Z85_LEN + 1])
{
	if (!zmq_z85_encode(ret, key, KEYS_BIN_LEN))
		ret[0] = '\0';  /* cannot happen: 32 is a multiple of 4 */
}

int keys_generate(struct keys_pair *ret)
{
	struct keys_pair k;

	if (!zmq_has("curve"))
		return -ENOTSUP;
	if (zmq_curve_keypair(k.public_key, k.secret_key) < 0)
		return -errno;
	*ret = k;
	return 0;
}

int keys_public_from_secret(const char *secret, char ret_public[KEYS_Z85_LEN + 1])
{
	char pub[KEYS_Z85_LEN + 1];

	if (!keys_z85_valid(secret))
		return -EINVAL;
	if (zmq_curve_public(pub, secret) < 0)
		return errno == ENOTSUP ? -ENOTSUP : -EINVAL;
	memcpy(ret_public, pub, sizeof(pub));
	return 0;
}

bool keys_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 1 || n > KEYS_NAME_MAX || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

bool keys_endpoint_secured(const char *endpoint)
{
	return endpoint && strncmp(endpoint, "tcp://", 6) == 0;
}

/* ---- reading ---- */

/* The whole (small) file, NUL-terminated; its mode in *ret_mode. */
static int read_small(const char *path, char *buf, size_t size, mode_t *ret_mode)
{
	struct stat st;
	size_t len = 0;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EBADMSG;
	else if (st.st_size >= (off_t) size)
		r = -EFBIG;
	while (r == 0) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else if (n == 0)
			break;
		else if ((len += (size_t) n) >= size - 1)
			r = -EFBIG;  /* it grew while we read */
	}
	close(fd);
	if (r < 0)
		return r;
	buf[len] = '\0';
	if (strlen(buf) != len)
		return -EBADMSG;  /* a NUL byte: not a key file */
	*ret_mode = st.st_mode;
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* "public-key = "KEY"" (quotes optional): 1 and the key in @ret; 0 for another line; -EBADMSG. */
static int match_setting(char *line, const char *name, char ret[KEYS_Z85_LEN + 1])
{
	size_t n = strlen(name);
	char *v;

	if (strncmp(line, name, n) != 0)
		return 0;
	v = trim(line + n);
	if (*v != '=')
		return 0;  /* "public-keys", say: not ours */
	v = trim(v + 1);
	if (*v == '"') {
		size_t len = strlen(v);

		if (len < 2 || v[len - 1] != '"')
			return -EBADMSG;
		v[len - 1] = '\0';
		v++;
	}
	if (!keys_z85_valid(v))
		return -EBADMSG;
	memcpy(ret, v, KEYS_Z85_LEN + 1);
	return 1;
}

int keys_load(const char *path, struct keys_pair *ret)
{
	char buf[KEYS_FILE_MAX + 1], *line, *next;
	struct keys_pair k = { "", "" };
	char derived[KEYS_Z85_LEN + 1];
	mode_t mode = 0;
	int r;

	r = read_small(path, buf, sizeof(buf), &mode);
	if (r < 0)
		return r;
	for (line = buf; line; line = next) {
		char key[KEYS_Z85_LEN + 1];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line = trim(line);
		if (keys_z85_valid(line)) {
			/* A bare key: the public one ('#' is Z85 too, so look before comments). */
			if (k.public_key[0])
				return -EBADMSG;
			memcpy(k.public_key, line, sizeof(k.public_key));
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		r = match_setting(line, "public-key", key);
		if (r == 1) {
			if (k.public_key[0])
				return -EBADMSG;
			memcpy(k.public_key, key, sizeof(key));
			continue;
		}
		if (r == 0)
			r = match_setting(line, "secret-key", key);
		if (r < 0)
			return r;
		if (r == 1) {
			if (k.secret_key[0])
				return -EBADMSG;
			memcpy(k.secret_key, key, sizeof(key));
		}
		/* Anything else ("metadata", "curve", "name = ...") is zcert's and not ours. */
	}

	if (k.secret_key[0]) {
		if (mode & 0077)
			return -EPERM;
		r = keys_public_from_secret(k.secret_key, derived);
		if (r < 0)
			return r == -ENOTSUP ? r : -EBADMSG;
		if (k.public_key[0] && strcmp(k.public_key, derived) != 0)
			return -EBADMSG;
		memcpy(k.public_key, derived, sizeof(derived));
	}
	if (!k.public_key[0])
		return -EBADMSG;
	*ret = k;
	return 0;
}

static void say(char *err, size_t size, const char *path, const char *what)
{
	if (err && size > 0)
		snprintf(err, size, "%s: %s", path, what);
}

int keys_check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return st.st_mode & S_IWOTH ? -EPERM : 0;
}

int keys_load_secret(const char *path, struct keys_pair *ret, char *err, size_t err_size)
{
	_cleanup_free_ char *dir = strdup(path);
	struct keys_pair k;
	char *slash;
	int r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';
	r = keys_check_dir(dir);
	if (r == -EPERM) {
		if (err && err_size > 0)
			snprintf(err, err_size, "%s: its directory %s is writable by others (chmod o-w %s)",
				 path, dir, dir);
		return r;
	}
	r = keys_load(path, &k);
	if (r < 0) {
		say(err, err_size, path, r == -EBADMSG ? "no valid key pair in it" :
					 r == -EPERM ? "readable or writable by others than its owner (chmod 0600 it)" :
					 strerror(-r));
		return r;
	}
	if (!k.secret_key[0]) {
		say(err, err_size, path, "no secret-key in it (a NAME.pub where NAME.key belongs?)");
		return -EBADMSG;
	}
	*ret = k;
	explicit_bzero(&k, sizeof(k));
	return 0;
}

/* ---- writing ---- */

static int write_new(const char *path, mode_t mode, const char *text)
{
	size_t len = strlen(text), done = 0;
	int fd, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0)
		return -errno;
	/* Exactly @mode, whatever the umask took away or left. */
	if (fchmod(fd, mode) < 0)
		r = -errno;
	while (r == 0 && done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			done += (size_t) n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		(void) unlink(path);
	return r;
}

int keys_save(const char *dir, const char *name, const struct keys_pair *k,
	      char **ret_secret_path, char **ret_public_path)
{
	_cleanup_free_ char *secret_path = NULL, *public_path = NULL, *secret_text = NULL, *public_text = NULL;
	struct stat st;
	int r;

	if (!keys_name_valid(name) || !keys_z85_valid(k->public_key) || !keys_z85_valid(k->secret_key))
		return -EINVAL;
	if (asprintf(&secret_path, "%s/%s.key", dir, name) < 0 ||
	    asprintf(&public_path, "%s/%s.pub", dir, name) < 0) {
		secret_path = public_path = NULL;
		return -ENOMEM;
	}
	if (asprintf(&public_text,
		     "#   kitchen CURVE public key of \"%s\".\n"
		     "#   Give it to the peers that must know %s: a chef's goes into kitchend's\n"
		     "#   allowlist (curve.chefs_allow), kitchend's to every chef (server_key).\n"
		     "\n"
		     "metadata\n"
		     "    name = \"%s\"\n"
		     "curve\n"
		     "    public-key = \"%s\"\n",
		     name, name, name, k->public_key) < 0) {
		public_text = NULL;
		return -ENOMEM;
	}
	if (asprintf(&secret_text,
		     "#   kitchen CURVE secret key of \"%s\". Keep it secret: mode 0600, readable\n"
		     "#   only by the program that is %s. Never copy it to another host.\n"
		     "\n"
		     "metadata\n"
		     "    name = \"%s\"\n"
		     "curve\n"
		     "    public-key = \"%s\"\n"
		     "    secret-key = \"%s\"\n",
		     name, name, name, k->public_key, k->secret_key) < 0) {
		secret_text = NULL;
		return -ENOMEM;
	}

	/* Neither file may exist: a pair is written whole or not at all. */
	if (lstat(public_path, &st) == 0 || lstat(secret_path, &st) == 0)
		return -EEXIST;
	r = write_new(secret_path, 0600, secret_text);
	if (r < 0)
		return r;
	r = write_new(public_path, 0644, public_text);
	if (r < 0) {
		(void) unlink(secret_path);
		return r;
	}
	if (ret_secret_path)
		*ret_secret_path = TAKE_PTR(secret_path);
	if (ret_public_path)
		*ret_public_path = TAKE_PTR(public_path);
	return 0;
}

/* ---- sockets ---- */

int keys_set_server(void *sock, const struct keys_pair *server, const char *zap_domain)
{
	int one = 1;

	if (!keys_z85_valid(server->secret_key) || !zap_domain || !zap_domain[0])
		return -EINVAL;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof(one)) < 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, server->secret_key, KEYS_Z85_LEN) < 0 ||
	    zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, zap_domain, strlen(zap_domain)) < 0)
		return -errno;
	/* Without it libzmq 4.3 lets every key in when no ZAP handler is bound. */
	if (zmq_setsockopt(sock, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof(one)) < 0)
		log_debug("ZMQ_ZAP_ENFORCE_DOMAIN not supported by this libzmq: %s", zmq_strerror(errno));
	return 0;
}

int keys_set_client(void *sock, const struct keys_client *c)
{
	if (!keys_z85_valid(c->server_key) || !keys_z85_valid(c->pair.public_key) ||
	    !keys_z85_valid(c->pair.secret_key))
		return -EINVAL;
	if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, c->server_key, KEYS_Z85_LEN) < 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, c->pair.public_key, KEYS_Z85_LEN) < 0 ||
	    zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, c->pair.secret_key, KEYS_Z85_LEN) < 0)
		return -errno;
	return 0;
}

int keys_client_for(void *sock, const char *endpoint, const struct keys_client *c)
{
	if (!c || !keys_endpoint_secured(endpoint))
		return 0;
	return keys_set_client(sock, c);
}

int keys_client_load(const char *server_path, const char *secret_path, struct keys_client *ret,
		     char *err, size_t err_size)
{
	struct keys_pair server, own;
	int r;

	r = keys_load(server_path, &server);
	if (r < 0) {
		say(err, err_size, server_path, r == -EBADMSG ? "no valid public-key in it" :
						r == -EPERM ? "a secret key file that others may read" : strerror(-r));
		return r;
	}
	r = keys_load_secret(secret_path, &own, err, err_size);
	if (r < 0)
		return r;
	memcpy(ret->server_key, server.public_key, sizeof(ret->server_key));
	ret->pair = own;
	explicit_bzero(&own, sizeof(own));
	return 0;
}

/* ---- allowlists ---- */

static int entry_compare(const void *a, const void *b)
{
	return strcmp(((const struct keys_allow_entry *) a)->name, ((const struct keys_allow_entry *) b)->name);
}

int keys_allow_load(const char *dir, struct keys_allow *ret,
		    void (*skipped)(const char *path, int r, void *u), void *u)
{
	struct keys_allow a = { 0 };
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int r = 0;

	r = keys_check_dir(dir);
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *path = NULL;
		struct keys_pair k;
		size_t n = strlen(de->d_name);
		char name[KEYS_NAME_MAX + 1];

		if (de->d_name[0] == '.' || n <= 4 || strcmp(de->d_name + n - 4, ".pub") != 0)
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
			path = NULL;
			r = -ENOMEM;
			break;
		}
		if (n - 4 > KEYS_NAME_MAX) {
			if (skipped)
				skipped(path, -ENAMETOOLONG, u);
			continue;
		}
		memcpy(name, de->d_name, n - 4);
		name[n - 4] = '\0';
		if (a.n >= KEYS_ALLOW_MAX) {
			if (skipped)
				skipped(path, -E2BIG, u);
			continue;
		}
		r = keys_load(path, &k);
		if (r < 0) {
			if (skipped)
				skipped(path, r, u);
			r = 0;
			continue;
		}
		if (a.n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct keys_allow_entry *e = realloc(a.entries, ncap * sizeof(*e));

			if (!e) {
				r = -ENOMEM;
				break;
			}
			a.entries = e;
			cap = ncap;
		}
		if (keys_decode(k.public_key, a.entries[a.n].key) < 0)
			continue;  /* keys_load() checked it */
		memcpy(a.entries[a.n].name, name, sizeof(name));
		a.n++;
	}
	if (r == 0 && errno != 0)
		r = -errno;
	closedir(d);
	if (r < 0) {
		keys_allow_finish(&a);
		return r;
	}
	/* The directory's order is the file system's: names read better sorted. */
	if (a.n > 1)
		qsort(a.entries, a.n, sizeof(*a.entries), entry_compare);
	*ret = a;
	return 0;
}

void keys_allow_finish(struct keys_allow *a)
{
	if (!a)
		return;
	free(a->entries);
	*a = (struct keys_allow) { 0 };
}

const struct keys_allow_entry *keys_allow_find(const struct keys_allow *a, const uint8_t key[KEYS_BIN_LEN])
{
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(a->entries[i].key, key, KEYS_BIN_LEN) == 0)
			return &a->entries[i];
	return NULL;
}
