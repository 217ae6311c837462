/*
 * conftab.c — a table of typed keys read from a libconfig file; see conftab.h.
 *
 * The two libconfig 1.5 habits are handled before libconfig parses the file:
 * check_int_literals() reads the text (and every file it @includes) for
 * integer literals that would wrap, and check_include() refuses to hand
 * libconfig what is not a regular file. include_dir is the directory of the
 * file, so relative @include names are relative to it, not to the cwd.
 */
#include "conftab.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chef_config.h"
#include "log.h"
#include "proto.h"

#define CONFTAB_MAX_FILE (16u << 20)
#define CONFTAB_MAX_INCLUDE_DEPTH 10  /* libconfig 1.5's own limit */
#define CONFTAB_MAX_INCLUDES 64       /* files read for one file, every @include on every path counted */

void conftab_setting_name(const config_setting_t *s, char *buf, size_t size)
{
	const config_setting_t *p = config_setting_parent(s);
	size_t n;

	buf[0] = '\0';
	if (!p)
		return;
	conftab_setting_name(p, buf, size);
	n = strlen(buf);
	if (config_setting_name(s))
		snprintf(buf + n, size - n, "%s%s", n ? "." : "", config_setting_name(s));
	else
		snprintf(buf + n, size - n, "[%d]", config_setting_index(s));
}

int conftab_fail(struct conftab *t, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	va_list ap;
	int n = 0;

	if (!t->err || t->err_size == 0)
		return -EINVAL;
	if (file)
		n = snprintf(t->err, t->err_size, "%s%s%s:%u: ", file[0] != '/' && t->include_dir ? t->include_dir : "",
			     file[0] != '/' && t->include_dir ? "/" : "", file, config_setting_source_line(s));
	else if (t->path && s)
		n = snprintf(t->err, t->err_size, "%s:%u: ", t->path, config_setting_source_line(s));
	else if (t->path)
		n = snprintf(t->err, t->err_size, "%s: ", t->path);
	if (n < 0 || (size_t) n >= t->err_size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(t->err + n, t->err_size - (size_t) n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int conftab_fail_errno(struct conftab *t, int r, const char *what)
{
	if (t->err && t->err_size > 0)
		snprintf(t->err, t->err_size, "%s%s%s: %s", t->path ? t->path : "", t->path ? ": " : "",
			 what, strerror(-r));
	return r;
}

int conftab_check_text(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	if (!v[0])
		return conftab_fail(t, s, "%s must not be empty", name);
	if (!proto_text_valid(v, strlen(v), false))
		return conftab_fail(t, s, "%s must be UTF-8 text without control characters", name);
	return 0;
}

int conftab_check_path(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	int r = conftab_check_text(t, s, name, v);

	if (r < 0)
		return r;
	if (v[0] != '/')
		return conftab_fail(t, s, "%s = \"%s\" is not an absolute path", name, v);
	return 0;
}

int conftab_check_endpoint(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	int r = conftab_check_text(t, s, name, v);

	if (r < 0)
		return r;
	if ((strncmp(v, "ipc://", 6) != 0 && strncmp(v, "tcp://", 6) != 0) || !v[6])
		return conftab_fail(t, s, "%s = \"%s\" is not an ipc:// or tcp:// endpoint", name, v);
	return 0;
}

int conftab_check_log_level(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	if (log_priority_from_name(v) < 0)
		return conftab_fail(t, s, "%s = \"%s\" is not one of err, warning, notice, info, debug", name, v);
	return 0;
}

int conftab_check_chef_model(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	if (!chef_model_valid(v))
		return conftab_fail(t, s, "%s = \"%s\" is not a chef model: want \"" CHEF_MODEL_THREADS "\" or \""
				    CHEF_MODEL_EVENT_LOOP "\"", name, v);
	return 0;
}

static const struct conftab_key *key_find(const struct conftab *t, const char *name)
{
	for (size_t i = 0; i < t->n_keys; i++)
		if (strcmp(t->keys[i].name, name) == 0)
			return &t->keys[i];
	return NULL;
}

/* "chefs" is a group when some key is "chefs.something". */
static bool is_group(const struct conftab *t, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < t->n_keys; i++)
		if (strncmp(t->keys[i].name, name, n) == 0 && t->keys[i].name[n] == '.')
			return true;
	return false;
}

static int read_integer(struct conftab *t, const config_setting_t *s, const char *name,
			uint64_t min, uint64_t max, uint64_t *ret)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return conftab_fail(t, s, "%s must be an integer", name);
	v = config_setting_get_int64(s);
	if (v < 0 || (unsigned long long) v < min || (unsigned long long) v > max)
		return conftab_fail(t, s, "%s = %lld is out of range (%llu..%llu)", name, v,
				    (unsigned long long) min, (unsigned long long) max);
	*ret = (uint64_t) v;
	return 0;
}

/* A duration (CONFTAB_DURATION) in seconds; one number and one unit, or .zero. */
static int read_duration(struct conftab *t, const config_setting_t *s, const struct conftab_key *k,
			 uint64_t *ret)
{
	static const struct { char unit; uint64_t s; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	const char *v, *p;
	uint64_t n = 0, mult = 0;

	if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64)
		return read_integer(t, s, k->name, k->min, k->max, ret);
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		goto bad;
	v = config_setting_get_string(s);
	if (k->zero && strcmp(v, k->zero) == 0) {
		*ret = 0;
		return 0;
	}
	for (p = v; *p >= '0' && *p <= '9'; p++) {
		if (n > (UINT64_MAX - 9) / 10)
			goto range;
		n = n * 10 + (uint64_t) (*p - '0');
	}
	for (size_t i = 0; p > v && i < sizeof(units) / sizeof(units[0]); i++)
		if (p[0] == units[i].unit && p[1] == '\0')
			mult = units[i].s;
	if (!mult)
		goto bad;
	if (n > UINT64_MAX / mult)
		goto range;
	n *= mult;
	if (n < k->min || n > k->max)
		goto range;
	*ret = n;
	return 0;
range:
	return conftab_fail(t, s, "%s = \"%s\" is out of range (%llus..%llus)", k->name, v,
			    (unsigned long long) k->min, (unsigned long long) k->max);
bad:
	return conftab_fail(t, s,
			    "%s must be a duration: seconds, or a string such as \"45s\", \"30m\", \"12h\", "
			    "\"7d\"%s%s%s", k->name, k->zero ? ", or \"" : "", k->zero ? k->zero : "",
			    k->zero ? "\"" : "");
}

static int apply_key(struct conftab *t, void *obj, const struct conftab_key *k, const config_setting_t *s)
{
	char *field = (char *) obj + k->offset;
	const char *v;
	uint64_t u = 0;  /* -O3 cannot see read_integer() sets it */
	char *copy;
	int r;

	switch (k->type) {
	case CONFTAB_STRING:
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return conftab_fail(t, s, "%s must be a string", k->name);
		v = config_setting_get_string(s);
		r = k->check(t, s, k->name, v);
		if (r < 0)
			return r;
		copy = strdup(v);
		if (!copy)
			return conftab_fail_errno(t, -ENOMEM, k->name);
		free(*(char **) field);
		*(char **) field = copy;
		return 0;
	case CONFTAB_UNSIGNED:
		r = read_integer(t, s, k->name, k->min, k->max, &u);
		if (r < 0)
			return r;
		*(unsigned *) field = (unsigned) u;
		return 0;
	case CONFTAB_U64:
		r = read_integer(t, s, k->name, k->min, k->max, &u);
		if (r < 0)
			return r;
		*(uint64_t *) field = u;
		return 0;
	case CONFTAB_DURATION:
		r = read_duration(t, s, k, &u);
		if (r < 0)
			return r;
		*(uint64_t *) field = u;
		return 0;
	case CONFTAB_CUSTOM:
		return k->read(t, obj, s);
	}
	return -EINVAL;
}

static int walk_group(struct conftab *t, void *obj, const config_setting_t *g, const char *prefix)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned) i);
		const struct conftab_key *k;
		char name[128];
		int r;

		snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
			 config_setting_name(s));
		if ((k = key_find(t, name)))
			r = apply_key(t, obj, k, s);
		else if (!prefix && is_group(t, name)) {
			if (!config_setting_is_group(s))
				return conftab_fail(t, s, "%s must be a group: %s = { ... };", name, name);
			r = walk_group(t, obj, s, name);
		} else
			r = conftab_fail(t, s, "unknown key '%s'", name);
		if (r < 0)
			return r;
	}
	return 0;
}

int conftab_walk(struct conftab *t, void *obj, const config_setting_t *root)
{
	return walk_group(t, obj, root, NULL);
}

/* The whole of @path, NUL-terminated, in *ret and its size in *ret_size; 0 or -errno. */
static int read_text(const char *path, char **ret, size_t *ret_size)
{
	char *text = NULL, buf[8192];
	size_t size = 0, n;
	FILE *f, *m;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	m = open_memstream(&text, &size);
	if (!m) {
		fclose(f);
		return -ENOMEM;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (size + n > CONFTAB_MAX_FILE) {
			r = -EFBIG;
			break;
		}
		if (fwrite(buf, 1, n, m) != n || fflush(m) != 0) {
			r = -ENOMEM;
			break;
		}
	}
	if (r == 0 && ferror(f))
		r = errno > 0 ? -errno : -EIO;
	if (fclose(m) != 0 && r == 0)
		r = -ENOMEM;
	fclose(f);
	if (r < 0) {
		free(text);
		return r;
	}
	*ret = text;
	*ret_size = size;
	return 0;
}

/*
 * libconfig 1.5 reads an integer without the L suffix into an int and wraps
 * whatever does not fit: "cpu_work = 10000000000;" would quietly become
 * 1410065408, in range. The parsed value cannot tell, so look at the text
 * (before libconfig parses it, so it may not be well-formed) and refuse such
 * literals.
 */
static int check_int_literals(struct conftab *t, const char *file, const char *text);

static int check_include(struct conftab *t, const char *file, unsigned line, const char *name)
{
	char *path = NULL, *text = NULL;
	struct stat st;
	size_t size;
	int r;

	if (t->include_depth >= CONFTAB_MAX_INCLUDE_DEPTH) {
		if (t->err && t->err_size > 0)
			snprintf(t->err, t->err_size, "%s:%u: @include nested more than %d deep", file, line,
				 CONFTAB_MAX_INCLUDE_DEPTH);
		return -EINVAL;
	}
	/* libconfig 1.5 resolves it the same way: include_dir, a '/', the name. */
	if (asprintf(&path, "%s%s%s", t->include_dir ? t->include_dir : "", t->include_dir ? "/" : "", name) < 0)
		return conftab_fail_errno(t, -ENOMEM, "@include");
	/* libconfig 1.5 exit()s reading a directory, and a FIFO or a device may
	 * never end: refuse what is not a file. One that cannot be read,
	 * libconfig reports itself. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (t->err && t->err_size > 0)
			snprintf(t->err, t->err_size, "%s:%u: cannot include %s: not a regular file", file, line, path);
		r = -EINVAL;
	} else if (read_text(path, &text, &size) < 0)
		r = 0;
	else if (++t->include_files > CONFTAB_MAX_INCLUDES || (t->include_bytes += size) > CONFTAB_MAX_FILE) {
		/* libconfig reads a file again on every path to it: 8 levels of 10
		 * @includes would be 10^8 reads. Bound what the whole tree costs. */
		if (t->err && t->err_size > 0)
			snprintf(t->err, t->err_size, "%s:%u: @include: more than %d files or %u MiB included "
				 "in all (every @include of a file counts, on every path to it)", file, line,
				 CONFTAB_MAX_INCLUDES, CONFTAB_MAX_FILE >> 20);
		r = -EINVAL;
	} else {
		t->include_depth++;
		r = check_int_literals(t, path, text);
		t->include_depth--;
	}
	free(text);
	free(path);
	return r;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-' || c == '*';
}

static int check_int_literals(struct conftab *t, const char *file, const char *text)
{
	unsigned line = 1;
	const char *p = text;

	while (*p) {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (*p)
				p += 2;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (*p == '\n')
					line++;
			}
			if (*p)
				p++;
		} else if (strncmp(p, "@include", 8) == 0) {
			const char *start;
			char *name;
			int r;

			for (p += 8; *p == ' ' || *p == '\t'; p++)
				;
			if (*p != '"')
				continue;
			for (start = ++p; *p && *p != '"' && *p != '\n'; p++)
				;
			name = strndup(start, (size_t) (p - start));
			if (*p == '"')
				p++;
			if (!name)
				return conftab_fail_errno(t, -ENOMEM, "@include");
			r = check_include(t, file, line, name);
			free(name);
			if (r < 0)
				return r;
		} else if (is_name_char(*p) && !is_digit(*p) && *p != '-') {
			/* a setting name, or true/false: digits in it are no number */
			while (is_name_char(*p))
				p++;
		} else if (is_digit(*p) || ((*p == '-' || *p == '+' || *p == '.') && (is_digit(p[1]) || p[1] == '.'))) {
			const char *start = p;
			bool negative = *p == '-', hex, is_float = false, wide = false, big = false;
			unsigned long long v = 0, limit;

			if (*p == '-' || *p == '+')
				p++;
			hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
			if (hex)
				p += 2;
			for (;; p++) {
				unsigned d;

				if (is_digit(*p))
					d = (unsigned) (*p - '0');
				else if (hex && *p >= 'a' && *p <= 'f')
					d = (unsigned) (*p - 'a' + 10);
				else if (hex && *p >= 'A' && *p <= 'F')
					d = (unsigned) (*p - 'A' + 10);
				else
					break;
				if (v > (ULLONG_MAX - d) / (hex ? 16 : 10))
					big = true;
				else
					v = v * (hex ? 16 : 10) + d;
			}
			if (!hex && (*p == '.' || *p == 'e' || *p == 'E')) {
				/* a float (".5", "1.", "1e9", "2.5e-3"): libconfig keeps it a double */
				is_float = true;
				while (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E' ||
				       ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
					p++;
			}
			while (*p == 'L')
				p++, wide = true;
			limit = negative ? (unsigned long long) INT_MAX + 1 : INT_MAX;
			if (!is_float && !wide && (big || v > limit)) {
				if (t->err && t->err_size > 0)
					snprintf(t->err, t->err_size,
						 "%s:%u: %.*s does not fit in a 32-bit integer; write it as %.*sL",
						 file, line, (int) (p - start), start, (int) (p - start), start);
				return -EINVAL;
			}
		} else
			p++;
	}
	return 0;
}

int conftab_read_file(struct conftab *t, void *obj)
{
	char *text = NULL, *dir = NULL, *slash;
	size_t size;
	config_t cf;
	int r;

	r = read_text(t->path, &text, &size);
	if (r < 0)
		return conftab_fail_errno(t, r, "cannot read");
	if (strlen(text) != size) {
		/* libconfig would stop reading there and take the rest for missing */
		unsigned line = 1;

		for (const char *p = text; *p; p++)
			line += *p == '\n';
		if (t->err && t->err_size > 0)
			snprintf(t->err, t->err_size, "%s:%u: a NUL byte: not a text file", t->path, line);
		free(text);
		return -EINVAL;
	}

	/* Relative @include names are relative to this file, not to the cwd. */
	dir = strdup(t->path);
	if (!dir) {
		free(text);
		return conftab_fail_errno(t, -ENOMEM, "cannot read");
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';

	config_init(&cf);
	config_set_include_dir(&cf, dir);
	t->include_dir = dir;
	/* Before libconfig: it exit()s on an @include of a directory ("input in
	 * flex scanner failed"), and this reads every included file first. */
	r = check_int_literals(t, t->path, text);
	if (r == 0 && !config_read_string(&cf, text)) {
		const char *file = config_error_file(&cf);
		bool in_dir = file && file[0] != '/';

		if (t->err && t->err_size > 0)
			snprintf(t->err, t->err_size, "%s%s%s:%d: %s", in_dir ? dir : "", in_dir ? "/" : "",
				 file ? file : t->path, config_error_line(&cf),
				 config_error_text(&cf) ? config_error_text(&cf) : "syntax error");
		r = -EINVAL;
	} else if (r == 0)
		r = conftab_walk(t, obj, config_root_setting(&cf));
	config_destroy(&cf);
	t->include_dir = NULL;
	free(dir);
	free(text);
	return r;
}

void conftab_dump_string(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char) *s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			putc(ch, f);
	}
	putc('"', f);
}

static void dump_duration(FILE *f, const struct conftab_key *k, uint64_t v)
{
	if (v == 0 && k->zero) {
		conftab_dump_string(f, k->zero);
		return;
	}
	if (v == 0 || v % 60)
		fprintf(f, "\"%llus\"", (unsigned long long) v);
	else if (v % 3600)
		fprintf(f, "\"%llum\"", (unsigned long long) (v / 60));
	else if (v % 86400)
		fprintf(f, "\"%lluh\"", (unsigned long long) (v / 3600));
	else
		fprintf(f, "\"%llud\"", (unsigned long long) (v / 86400));
}

static void dump_integer(FILE *f, uint64_t v)
{
	/* libconfig 1.5 wraps an int literal beyond 32 bits: those need the L. */
	fprintf(f, "%llu%s", (unsigned long long) v, v > INT_MAX ? "L" : "");
}

void conftab_dump(const struct conftab_key *keys, size_t n_keys, const void *obj, FILE *f)
{
	const char *group = NULL;
	size_t group_len = 0;

	for (size_t i = 0; i < n_keys; i++) {
		const struct conftab_key *k = &keys[i];
		const char *field = (const char *) obj + k->offset;
		const char *dot = strchr(k->name, '.');
		const char *leaf = dot ? dot + 1 : k->name;

		if (k->type == CONFTAB_CUSTOM)
			continue;
		if (group && (!dot || (size_t) (dot - k->name) != group_len || strncmp(k->name, group, group_len) != 0)) {
			fputs("};\n", f);
			group = NULL;
		}
		if (dot && !group) {
			group = k->name;
			group_len = (size_t) (dot - k->name);
			fprintf(f, "%.*s = {\n", (int) group_len, group);
		}
		fputs(group ? "\t" : "", f);

		switch (k->type) {
		case CONFTAB_STRING:
			if (!*(char *const *) field) {
				fprintf(f, "# %s: not set: %s\n", leaf, k->unset ? k->unset : "built in");
				continue;
			}
			fprintf(f, "%s = ", leaf);
			conftab_dump_string(f, *(char *const *) field);
			break;
		case CONFTAB_UNSIGNED:
			fprintf(f, "%s = ", leaf);
			dump_integer(f, *(const unsigned *) field);
			break;
		case CONFTAB_U64:
			fprintf(f, "%s = ", leaf);
			dump_integer(f, *(const uint64_t *) field);
			break;
		case CONFTAB_DURATION:
			fprintf(f, "%s = ", leaf);
			dump_duration(f, k, *(const uint64_t *) field);
			break;
		case CONFTAB_CUSTOM:
			break;
		}
		fputs(";\n", f);
	}
	if (group)
		fputs("};\n", f);
}
