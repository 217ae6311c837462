/*
 * keys — CURVE key pairs, the files they live in, and the sockets they secure.
 *
 * A key is 32 bytes, written as 40 characters of Z85 (ZeroMQ RFC 32). A key
 * pair is kept in two files, in the ZPL form czmq's zcert uses, so either
 * tool reads the other's files:
 *
 *	NAME.pub   mode 0644: the public key, for the peers that must know NAME
 *	NAME.key   mode 0600: the public and the secret key; never leaves the host
 *
 *	metadata
 *	    name = "NAME"
 *	curve
 *	    public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *	    secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
 *
 * keys_load() reads such a file; it also takes a file holding nothing but a
 * 40-character Z85 line, which is a public key. Lines starting with '#' are
 * comments. A secret key file that anyone but its owner may read or write
 * (mode & 0077) is refused, and so is one in a directory others may write
 * (keys_load_secret()), where they could put a key of their own in its place;
 * an allowlist directory others may write, where they could add their key,
 * is refused too.
 *
 * CURVE applies to tcp:// endpoints only: keys_endpoint_secured() says which.
 * ipc sockets stay plain; file permissions guard them.
 *
 *	struct keys_client c;
 *	r = keys_client_load("/etc/kitchen/kitchend.pub", "/etc/kitchen/chef-oven.key", &c, err, sizeof(err));
 *	r = keys_client_for(sock, endpoint, &c);               // before zmq_connect()
 *
 * A directory of NAME.pub files is an allowlist (keys_allow_load()): the
 * peers whose public keys kitchend's ZAP handler admits.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYS_Z85_LEN 40          /* characters of a key in Z85 */
#define KEYS_BIN_LEN 32          /* bytes of a key */
#define KEYS_NAME_MAX 64         /* bytes of a key's name */
#define KEYS_FILE_MAX 4096       /* bytes of a key file read */
#define KEYS_ALLOW_MAX 4096      /* keys in one allowlist directory */

struct keys_pair {
	char public_key[KEYS_Z85_LEN + 1];
	char secret_key[KEYS_Z85_LEN + 1];   /* "" when only the public key is known */
};

/* A new random key pair. 0 or -errno (-ENOTSUP: libzmq without CURVE). */
int keys_generate(struct keys_pair *ret);

/* The public key of the Z85 @secret key. 0 or -EINVAL. */
int keys_public_from_secret(const char *secret, char ret_public[KEYS_Z85_LEN + 1]);

/* Whether @s is exactly a Z85 key: 40 characters of the Z85 alphabet. */
bool keys_z85_valid(const char *s);

/* Z85 <-> 32 bytes. keys_decode(): 0 or -EINVAL. */
int keys_decode(const char *z85, uint8_t ret[KEYS_BIN_LEN]);
void keys_encode(const uint8_t key[KEYS_BIN_LEN], char ret[KEYS_Z85_LEN + 1]);

/*
 * Read the key file @path into *ret: always the public key, the secret one
 * when the file has it (the public key is then checked against it, or
 * derived when missing). 0, -ENOENT/-EACCES/... from open(2), -EFBIG beyond
 * KEYS_FILE_MAX, -EBADMSG for no key or a malformed one, -EPERM for a
 * secret key file that anyone but its owner may read or write.
 */
int keys_load(const char *path, struct keys_pair *ret);

/* Whether @dir may hold keys: a directory others may not write. 0, -EPERM
 * (writable by others), -ENOTDIR, or stat(2)'s -errno. */
int keys_check_dir(const char *dir);

/*
 * Read the key pair @path whose secret key is this program's own:
 * keys_check_dir() of its directory, keys_load(), and a secret key in it.
 * On failure @err says which file, why, and what to chmod. 0 or -errno.
 */
int keys_load_secret(const char *path, struct keys_pair *ret, char *err, size_t err_size);

/* A key's name: 1..KEYS_NAME_MAX bytes of [A-Za-z0-9._-], not starting with '.'. */
bool keys_name_valid(const char *name);

/*
 * Write @k as DIR/NAME.key (mode 0600, with the secret key) and DIR/NAME.pub
 * (mode 0644), never replacing a file: -EEXIST when either exists (nothing
 * is written then). The paths written go to *ret_secret_path and
 * *ret_public_path (newly allocated; either may be NULL). 0 or -errno.
 */
int keys_save(const char *dir, const char *name, const struct keys_pair *k,
	      char **ret_secret_path, char **ret_public_path);

/* Whether CURVE applies to @endpoint: it is tcp://. */
bool keys_endpoint_secured(const char *endpoint);

/*
 * Make @sock a CURVE server with @server's secret key, its peers
 * authenticated by the ZAP handler under @zap_domain (ZMQ_ZAP_DOMAIN, and
 * ZMQ_ZAP_ENFORCE_DOMAIN, so that without a handler no peer gets in).
 * Before zmq_bind(). 0 or -errno.
 */
int keys_set_server(void *sock, const struct keys_pair *server, const char *zap_domain);

/* What a CURVE client needs: the server's public key and a pair of its own. */
struct keys_client {
	char server_key[KEYS_Z85_LEN + 1];
	struct keys_pair pair;
};

/* Make @sock a CURVE client as @c says. Before zmq_connect(). 0 or -errno. */
int keys_set_client(void *sock, const struct keys_client *c);

/* keys_set_client() when @c is not NULL and @endpoint is tcp://, else nothing:
 * the one call before connecting a socket that may be secured. 0 or -errno. */
int keys_client_for(void *sock, const char *endpoint, const struct keys_client *c);

/*
 * Fill *ret from the key files a client is given: @server_path (the
 * server's public key; a pair file does too) and @secret_path (the
 * client's own pair). On failure @err says which file and why. 0 or -errno.
 */
int keys_client_load(const char *server_path, const char *secret_path, struct keys_client *ret,
		     char *err, size_t err_size);

/* An allowlist: the public keys of a directory's *.pub files, with their names. */
struct keys_allow_entry {
	uint8_t key[KEYS_BIN_LEN];
	char name[KEYS_NAME_MAX + 1];   /* the file name without ".pub" */
};

struct keys_allow {
	struct keys_allow_entry *entries;
	size_t n;
};

/*
 * Read every NAME.pub in @dir (other files are ignored) into *ret. A file
 * that cannot be read or holds no valid key is skipped and reported to
 * @skipped (may be NULL) with its path and -errno; beyond KEYS_ALLOW_MAX
 * keys the rest are skipped with -E2BIG. 0 (even with no key at all) or
 * -errno when @dir itself cannot be read or others may write it (-EPERM,
 * keys_check_dir()); *ret is untouched then.
 */
int keys_allow_load(const char *dir, struct keys_allow *ret,
		    void (*skipped)(const char *path, int r, void *u), void *u);
void keys_allow_finish(struct keys_allow *a);  /* empties it; a zeroed one is fine */

/* The entry for @key, or NULL. */
const struct keys_allow_entry *keys_allow_find(const struct keys_allow *a, const uint8_t key[KEYS_BIN_LEN]);
