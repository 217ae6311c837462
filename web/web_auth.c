#include "web_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct web_auth {
	char *token; /* NULL: read-only */
	size_t len;
};

static int read_token(const char *path, char **ret, char *err, size_t err_size)
{
	char buf[WEB_AUTH_TOKEN_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, err_size, "%s: cannot read the token: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0007)) {
		close(fd);
		snprintf(err, err_size,
			 "%s: the token file must be a regular file others cannot read (chmod o-rwx)",
			 path);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0) {
		snprintf(err, err_size, "%s: cannot read the token: %s", path, strerror(-r));
		return r;
	}
	len = (size_t) n < sizeof(buf) ? (size_t) n : sizeof(buf) - 1;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (buf[i] <= ' ' || buf[i] > '~')
			len = 0;
	if (len < WEB_AUTH_TOKEN_MIN || len > WEB_AUTH_TOKEN_MAX) {
		explicit_bzero(buf, sizeof(buf));
		snprintf(err, err_size,
			 "%s: the token is one line of %d to %d printable characters, no spaces", path,
			 WEB_AUTH_TOKEN_MIN, WEB_AUTH_TOKEN_MAX);
		return -EINVAL;
	}
	*ret = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return *ret ? 0 : -ENOMEM;
}

int web_auth_new(const char *token_file, struct web_auth **ret, char *err, size_t err_size)
{
	struct web_auth *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	if (token_file) {
		r = read_token(token_file, &a->token, err, err_size);
		if (r < 0) {
			free(a);
			return r;
		}
		a->len = strlen(a->token);
	}
	*ret = a;
	return 0;
}

void web_auth_free(struct web_auth **ap)
{
	struct web_auth *a;

	if (!ap || !*ap)
		return;
	a = *ap;
	if (a->token) {
		explicit_bzero(a->token, a->len);
		free(a->token);
	}
	free(a);
	*ap = NULL;
}

int web_auth_equal(const char *a, size_t a_len, const char *b, size_t b_len)
{
	/* Every byte of the longer one is looked at, whatever differs first. */
	size_t n = a_len > b_len ? a_len : b_len;
	unsigned char diff = a_len != b_len;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char) ((i < a_len ? a[i] : 0) ^ (i < b_len ? b[i] : 0));
	return diff == 0;
}

/* The Origin a page of this server has: "http://" + Host. */
static int origin_is_own(const char *origin, const char *host)
{
	const char *scheme = "http://";

	if (!host || strncasecmp(origin, scheme, strlen(scheme)) != 0)
		return 0;
	return strcasecmp(origin + strlen(scheme), host) == 0;
}

unsigned web_auth_check(const struct web_auth *a, const struct web_auth_request *req,
			const char **ret_code, const char **ret_message)
{
	const char *bearer = "Bearer ", *token;
	size_t ct_len = strlen("application/json");

	if (!a->token) {
		*ret_code = "read-only";
		*ret_message = "kitchen-web is read-only: set write.enabled and write.token_file to "
			       "order, cancel or retry";
		return 403;
	}
	if (req->origin && !origin_is_own(req->origin, req->host)) {
		*ret_code = "forbidden";
		*ret_message = "a request from another origin may not write";
		return 403;
	}
	if (!req->authorization || strncasecmp(req->authorization, bearer, strlen(bearer)) != 0) {
		*ret_code = "unauthorized";
		*ret_message = "writing needs the header 'Authorization: Bearer TOKEN'";
		return 401;
	}
	token = req->authorization + strlen(bearer);
	if (!web_auth_equal(token, strlen(token), a->token, a->len)) {
		*ret_code = "unauthorized";
		*ret_message = "wrong token";
		return 401;
	}
	if (!req->content_type || strncasecmp(req->content_type, "application/json", ct_len) != 0 ||
	    (req->content_type[ct_len] && req->content_type[ct_len] != ';' &&
	     req->content_type[ct_len] != ' ')) {
		*ret_code = "unsupported-media-type";
		*ret_message = "a write sends its body as Content-Type: application/json";
		return 415;
	}
	return 0;
}
