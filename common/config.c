/*
 * config.c — kitchen.conf read with libconfig 1.5, checked, copied out.
 *
 * One table (keys[]) names every scalar key with its field, its range or its
 * check; it drives both loading and config_dump(), so a key added there is
 * read, refused when wrong and dumped alike. The menu, a list of groups, has
 * its own loader. Values a file does not set are filled in afterwards, in
 * order: runtime_dir and state_dir, then the endpoints inside runtime_dir,
 * then the menu, so a file that only moves runtime_dir moves the sockets.
 *
 * Two libconfig 1.5 habits are handled here: integer literals beyond 32 bits
 * without an L are wrapped silently (check_int_literals() refuses them), and
 * @include names are taken relative to include_dir, set to the directory of
 * the file (an absolute name cannot be included: 1.5 prefixes it as well).
 */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"
#include "paths.h"
#include "proto.h"
#include "util.h"

#define CONFIG_MAX_DISHES 256
#define CONFIG_MAX_INGREDIENTS 32
#define CONFIG_MAX_FILE (16u << 20)
#define CONFIG_MAX_INCLUDE_DEPTH 10  /* libconfig 1.5's own limit */
/* The longest ipc path a unix socket takes: sun_path less its NUL. */
#define CONFIG_MAX_IPC_PATH (sizeof(((struct sockaddr_un *) 0)->sun_path) - 1)

/* The tutorial's menu: name first, then the ingredients, NULL-terminated. */
static const char *const default_menu[][8] = {
	{ "Pizza", "Flour", "Yeast", "Tomato Sauce", "Mozzarella Cheese", "Pepperoni", NULL },
	{ "Spaghetti", "Pasta", "Ground Beef", "Tomato Sauce", "Onion", "Garlic", NULL },
	{ "Chicken Stir Fry", "Chicken", "Broccoli", "Peppers", "Soy Sauce", "Ginger", "Rice", NULL },
	{ "Chicken Biryani", "Chicken", "Onion", "Garlic", "Rice", "Yogurt", "Spices", NULL },
	{ "Salad", "Mixed Greens", "Tomatoes", "Cucumbers", "Carrots", "Dressing", NULL },
};

static const char *const endpoint_names[_CONFIG_ENDPOINT_MAX] = {
	[CONFIG_ENDPOINT_CONTROL] = "control",
	[CONFIG_ENDPOINT_EVENTS] = "events",
	[CONFIG_ENDPOINT_DISPATCH] = "dispatch",
	[CONFIG_ENDPOINT_SINK] = "sink",
};

/* Where errors go while one file is read. */
struct loader {
	const char *path;  /* NULL: embedded defaults only */
	const char *include_dir;  /* libconfig names an included file as written: relative to this */
	char *err;
	size_t err_size;
	unsigned include_depth;  /* of the file being checked for literals */
};

static void setting_name(const config_setting_t *s, char *buf, size_t size)
{
	const config_setting_t *p = config_setting_parent(s);
	size_t n;

	buf[0] = '\0';
	if (!p)
		return;
	setting_name(p, buf, size);
	n = strlen(buf);
	if (config_setting_name(s))
		snprintf(buf + n, size - n, "%s%s", n ? "." : "", config_setting_name(s));
	else
		snprintf(buf + n, size - n, "[%d]", config_setting_index(s));
}

/* "FILE:LINE: message" about @s (or "FILE: message", or "message" without a file); -EINVAL. */
static int fail(struct loader *l, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct loader *l, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = s ? config_setting_source_file(s) : NULL;
	va_list ap;
	int n = 0;

	if (!l->err || l->err_size == 0)
		return -EINVAL;
	if (file)
		n = snprintf(l->err, l->err_size, "%s%s%s:%u: ", file[0] != '/' && l->include_dir ? l->include_dir : "",
			     file[0] != '/' && l->include_dir ? "/" : "", file, config_setting_source_line(s));
	else if (l->path && s)
		n = snprintf(l->err, l->err_size, "%s:%u: ", l->path, config_setting_source_line(s));
	else if (l->path)
		n = snprintf(l->err, l->err_size, "%s: ", l->path);
	if (n < 0 || (size_t) n >= l->err_size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->err_size - (size_t) n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int fail_errno(struct loader *l, int r, const char *what)
{
	if (l->err && l->err_size > 0)
		snprintf(l->err, l->err_size, "%s%s%s: %s", l->path ? l->path : "", l->path ? ": " : "",
			 what, strerror(-r));
	return r;
}

/* The scalar keys, in the order config_dump() writes them. */
enum key_kind {
	KEY_STRING,
	KEY_UNSIGNED,
	KEY_U64,
};

struct key {
	const char *name;
	enum key_kind kind;
	size_t offset;
	uint64_t min, max;
	int (*check)(struct loader *l, const config_setting_t *s, const char *name, const char *v);
	const char *unset;  /* what a string left NULL means, for config_dump() */
};

static int check_text(struct loader *l, const config_setting_t *s, const char *name, const char *v)
{
	if (!v[0])
		return fail(l, s, "%s must not be empty", name);
	if (!proto_text_valid(v, strlen(v), false))
		return fail(l, s, "%s must be UTF-8 text without control characters", name);
	return 0;
}

static int check_log_level(struct loader *l, const config_setting_t *s, const char *name, const char *v)
{
	if (log_priority_from_name(v) < 0)
		return fail(l, s, "%s = \"%s\" is not one of err, warning, notice, info, debug", name, v);
	return 0;
}

static int check_dir(struct loader *l, const config_setting_t *s, const char *name, const char *v)
{
	int r = check_text(l, s, name, v);

	if (r < 0)
		return r;
	if (v[0] != '/')
		return fail(l, s, "%s = \"%s\" is not an absolute path", name, v);
	return 0;
}

/* Named so the message can say which key made it: an endpoint, or the runtime_dir it came from. */
static int check_ipc_length(struct loader *l, const config_setting_t *s, const char *name, const char *ep)
{
	size_t n = strlen(ep) - strlen("ipc://");

	if (strncmp(ep, "ipc://", 6) != 0 || n <= CONFIG_MAX_IPC_PATH)
		return 0;
	return fail(l, s, "%s: the socket path %s is %zu bytes, more than a unix socket takes (%zu)",
		    name, ep + 6, n, CONFIG_MAX_IPC_PATH);
}

static int check_endpoint(struct loader *l, const config_setting_t *s, const char *name, const char *v)
{
	int r = check_text(l, s, name, v);

	if (r < 0)
		return r;
	if ((strncmp(v, "ipc://", 6) != 0 && strncmp(v, "tcp://", 6) != 0) || !v[6])
		return fail(l, s, "%s = \"%s\" is not an ipc:// or tcp:// endpoint", name, v);
	return check_ipc_length(l, s, name, v);
}

/* The sockets go inside it, so the longest of their paths must fit a unix socket. */
static int check_runtime_dir(struct loader *l, const config_setting_t *s, const char *name, const char *v)
{
	char *ep;
	int r = check_dir(l, s, name, v);

	if (r < 0)
		return r;
	r = paths_ipc_endpoint(v, "dispatch", &ep);
	if (r < 0)
		return fail_errno(l, r, name);
	r = check_ipc_length(l, s, name, ep);
	free(ep);
	return r;
}

static int check_synchronous(struct loader *l, const config_setting_t *s, const char *name, const char *v)
{
	if (strcmp(v, "full") != 0 && strcmp(v, "normal") != 0)
		return fail(l, s, "%s = \"%s\" is not \"full\" or \"normal\"", name, v);
	return 0;
}

/* A file mode in octal, as chmod(1) takes it: "0660", "660". */
static int check_mode(struct loader *l, const config_setting_t *s, const char *name, const char *v)
{
	size_t n = strlen(v);

	if (n < 3 || n > 4 || strspn(v, "01234567") != n || (n == 4 && v[0] != '0'))
		return fail(l, s, "%s = \"%s\" is not an octal file mode such as \"0660\"", name, v);
	return 0;
}

/* A group name or number; whether it exists is seen when the socket is made. */
static int check_group(struct loader *l, const config_setting_t *s, const char *name, const char *v)
{
	int r = check_text(l, s, name, v);

	if (r < 0)
		return r;
	if (strlen(v) > 64 || strpbrk(v, ":/ \n"))
		return fail(l, s, "%s = \"%s\" is not a group name", name, v);
	return 0;
}

#define OFF(field) offsetof(struct kitchen_config, field)

static const struct key keys[] = {
	{ "log_level", KEY_STRING, OFF(log_level), .check = check_log_level },
	{ "runtime_dir", KEY_STRING, OFF(runtime_dir), .check = check_runtime_dir },
	{ "state_dir", KEY_STRING, OFF(state_dir), .check = check_dir },
	{ "endpoints.control", KEY_STRING, OFF(endpoints[CONFIG_ENDPOINT_CONTROL]), .check = check_endpoint },
	{ "endpoints.events", KEY_STRING, OFF(endpoints[CONFIG_ENDPOINT_EVENTS]), .check = check_endpoint },
	{ "endpoints.dispatch", KEY_STRING, OFF(endpoints[CONFIG_ENDPOINT_DISPATCH]), .check = check_endpoint },
	{ "endpoints.sink", KEY_STRING, OFF(endpoints[CONFIG_ENDPOINT_SINK]), .check = check_endpoint },
	{ "control.mode", KEY_STRING, OFF(control_mode), .check = check_mode },
	{ "control.group", KEY_STRING, OFF(control_group), .check = check_group,
	  .unset = "kitchend's own group" },
	{ "curve.secret_key", KEY_STRING, OFF(curve_secret_key), .check = check_dir,
	  .unset = "no CURVE: tcp endpoints are plaintext" },
	{ "curve.chefs_allow", KEY_STRING, OFF(curve_chefs_allow), .check = check_dir,
	  .unset = "no chef key is admitted" },
	{ "curve.clients_allow", KEY_STRING, OFF(curve_clients_allow), .check = check_dir,
	  .unset = "no kitchenctl key is admitted" },
	{ "chefs.local", KEY_UNSIGNED, OFF(chefs_local), .min = 0, .max = 64 },
	{ "chefs.threads", KEY_UNSIGNED, OFF(chefs_threads), .min = 1, .max = 256 },
	{ "chefs.command", KEY_STRING, OFF(chefs_command), .check = check_text,
	  .unset = "the chef beside kitchend, else the installed one" },
	{ "timing.prep_ms", KEY_U64, OFF(timing.prep_ms), .min = 0, .max = 3600000 },
	{ "timing.cook_ms", KEY_U64, OFF(timing.cook_ms), .min = 0, .max = 3600000 },
	{ "timing.season_ms", KEY_U64, OFF(timing.season_ms), .min = 0, .max = 3600000 },
	{ "timing.cpu_work", KEY_U64, OFF(timing.cpu_work), .min = 0, .max = 10000000000ull },
	{ "heartbeat.interval_ms", KEY_U64, OFF(heartbeat_interval_ms), .min = 10, .max = 60000 },
	{ "heartbeat.liveness", KEY_UNSIGNED, OFF(heartbeat_liveness), .min = 1, .max = 100 },
	{ "dishes.max_attempts", KEY_UNSIGNED, OFF(dishes_max_attempts), .min = 1, .max = 100 },
	{ "dishes.timeout_ms", KEY_U64, OFF(dishes_timeout_ms), .min = 0, .max = 86400000 },
	{ "orders.max_queued", KEY_U64, OFF(orders_max_queued), .min = 1, .max = 100000000 },
	{ "orders.key_retention_s", KEY_U64, OFF(orders_key_retention_s), .min = 1, .max = 31536000 },
	{ "drain_timeout_ms", KEY_U64, OFF(drain_timeout_ms), .min = 0, .max = 3600000 },
	{ "store.synchronous", KEY_STRING, OFF(store_synchronous), .check = check_synchronous },
};

static const struct key *key_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* "chefs" is a group when some key is "chefs.something". */
static bool is_group(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strncmp(keys[i].name, name, n) == 0 && keys[i].name[n] == '.')
			return true;
	return false;
}

static int read_integer(struct loader *l, const config_setting_t *s, const char *name,
			uint64_t min, uint64_t max, uint64_t *ret)
{
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return fail(l, s, "%s must be an integer", name);
	v = config_setting_get_int64(s);
	if (v < 0 || (unsigned long long) v < min || (unsigned long long) v > max)
		return fail(l, s, "%s = %lld is out of range (%llu..%llu)", name, v,
			    (unsigned long long) min, (unsigned long long) max);
	*ret = (uint64_t) v;
	return 0;
}

static int apply_key(struct loader *l, struct kitchen_config *c, const struct key *k, const config_setting_t *s)
{
	char *field = (char *) c + k->offset;
	const char *v;
	uint64_t u = 0;  /* -O3 cannot see read_integer() sets it */
	char *copy;
	int r;

	switch (k->kind) {
	case KEY_STRING:
		if (config_setting_type(s) != CONFIG_TYPE_STRING)
			return fail(l, s, "%s must be a string", k->name);
		v = config_setting_get_string(s);
		r = k->check(l, s, k->name, v);
		if (r < 0)
			return r;
		copy = strdup(v);
		if (!copy)
			return fail_errno(l, -ENOMEM, k->name);
		free(*(char **) field);
		*(char **) field = copy;
		return 0;
	case KEY_UNSIGNED:
		r = read_integer(l, s, k->name, k->min, k->max, &u);
		if (r < 0)
			return r;
		*(unsigned *) field = (unsigned) u;
		return 0;
	case KEY_U64:
		r = read_integer(l, s, k->name, k->min, k->max, &u);
		if (r < 0)
			return r;
		*(uint64_t *) field = u;
		return 0;
	}
	return -EINVAL;
}

static bool ascii_equal_nocase(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char) *a, y = (unsigned char) *b;

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
		if (!x)
			return true;
	}
}

static int check_name(struct loader *l, const config_setting_t *s, const char *what)
{
	char name[128];
	const char *v;
	size_t n;

	setting_name(s, name, sizeof(name));
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(l, s, "%s must be a string", name);
	v = config_setting_get_string(s);
	n = strlen(v);
	if (n < 1 || n > PROTO_MAX_NAME)
		return fail(l, s, "%s: %s names are 1..%d bytes, not %zu", name, what, PROTO_MAX_NAME, n);
	if (!proto_text_valid(v, n, false))
		return fail(l, s, "%s must be UTF-8 text without control characters", name);
	return 0;
}

static int load_dish(struct loader *l, struct kitchen_config *c, const config_setting_t *e, struct config_dish *d)
{
	const config_setting_t *name = NULL, *ingredients = NULL;
	char where[128];
	int n, r;

	setting_name(e, where, sizeof(where));
	if (!config_setting_is_group(e))
		return fail(l, e, "%s must be a group: { name = \"...\"; ingredients = [ \"...\", ... ]; }", where);
	for (int i = 0; i < config_setting_length(e); i++) {
		const config_setting_t *m = config_setting_get_elem(e, (unsigned) i);

		if (strcmp(config_setting_name(m), "name") == 0)
			name = m;
		else if (strcmp(config_setting_name(m), "ingredients") == 0)
			ingredients = m;
		else
			return fail(l, m, "unknown key '%s.%s'", where, config_setting_name(m));
	}
	if (!name)
		return fail(l, e, "%s has no name", where);
	if (!ingredients)
		return fail(l, e, "%s has no ingredients", where);

	r = check_name(l, name, "dish");
	if (r < 0)
		return r;
	for (const struct config_dish *o = c->menu; o < d; o++)
		if (ascii_equal_nocase(o->name, config_setting_get_string(name)))
			return fail(l, name, "%s: dish \"%s\" is already on the menu as \"%s\"", where,
				    config_setting_get_string(name), o->name);
	d->name = strdup(config_setting_get_string(name));
	if (!d->name)
		return fail_errno(l, -ENOMEM, where);

	if (!config_setting_is_array(ingredients) && !config_setting_is_list(ingredients))
		return fail(l, ingredients, "%s.ingredients must be an array: [ \"...\", ... ]", where);
	n = config_setting_length(ingredients);
	if (n < 1 || n > CONFIG_MAX_INGREDIENTS)
		return fail(l, ingredients, "%s.ingredients: a dish has 1..%d ingredients, not %d", where,
			    CONFIG_MAX_INGREDIENTS, n);
	d->ingredients = calloc((size_t) n, sizeof(char *));
	if (!d->ingredients)
		return fail_errno(l, -ENOMEM, where);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(ingredients, (unsigned) i);

		r = check_name(l, g, "ingredient");
		if (r < 0)
			return r;
		d->ingredients[i] = strdup(config_setting_get_string(g));
		if (!d->ingredients[i])
			return fail_errno(l, -ENOMEM, where);
		d->n_ingredients++;
	}
	return 0;
}

static int load_menu(struct loader *l, struct kitchen_config *c, const config_setting_t *s)
{
	int n;

	if (!config_setting_is_list(s))
		return fail(l, s, "menu must be a list: ( { name = \"...\"; ingredients = [ ... ]; }, ... )");
	n = config_setting_length(s);
	if (n < 1 || n > CONFIG_MAX_DISHES)
		return fail(l, s, "menu: a menu has 1..%d dishes, not %d", CONFIG_MAX_DISHES, n);
	c->menu = calloc((size_t) n, sizeof(*c->menu));
	if (!c->menu)
		return fail_errno(l, -ENOMEM, "menu");
	c->n_menu = (size_t) n;
	for (int i = 0; i < n; i++) {
		int r = load_dish(l, c, config_setting_get_elem(s, (unsigned) i), &c->menu[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int load_group(struct loader *l, struct kitchen_config *c, const config_setting_t *g, const char *prefix)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned) i);
		const struct key *k;
		char name[128];
		int r;

		snprintf(name, sizeof(name), "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
			 config_setting_name(s));
		if (!prefix && strcmp(name, "menu") == 0)
			r = load_menu(l, c, s);
		else if ((k = key_find(name)))
			r = apply_key(l, c, k, s);
		else if (!prefix && is_group(name)) {
			if (!config_setting_is_group(s))
				return fail(l, s, "%s must be a group: %s = { ... };", name, name);
			r = load_group(l, c, s, name);
		} else
			r = fail(l, s, "unknown key '%s'", name);
		if (r < 0)
			return r;
	}
	return 0;
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
		if (size + n > CONFIG_MAX_FILE) {
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
static int check_int_literals(struct loader *l, const char *file, const char *text);

static int check_include(struct loader *l, const char *file, unsigned line, const char *name)
{
	char *path = NULL, *text = NULL;
	struct stat st;
	size_t size;
	int r;

	if (l->include_depth >= CONFIG_MAX_INCLUDE_DEPTH) {
		if (l->err && l->err_size > 0)
			snprintf(l->err, l->err_size, "%s:%u: @include nested more than %d deep", file, line,
				 CONFIG_MAX_INCLUDE_DEPTH);
		return -EINVAL;
	}
	/* libconfig 1.5 resolves it the same way: include_dir, a '/', the name. */
	if (asprintf(&path, "%s%s%s", l->include_dir ? l->include_dir : "", l->include_dir ? "/" : "", name) < 0)
		return fail_errno(l, -ENOMEM, "@include");
	/* libconfig 1.5 exit()s reading a directory, and a FIFO or a device may
	 * never end: refuse what is not a file. One that cannot be read,
	 * libconfig reports itself. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (l->err && l->err_size > 0)
			snprintf(l->err, l->err_size, "%s:%u: cannot include %s: not a regular file", file, line, path);
		r = -EINVAL;
	} else if (read_text(path, &text, &size) < 0)
		r = 0;
	else {
		l->include_depth++;
		r = check_int_literals(l, path, text);
		l->include_depth--;
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

static int check_int_literals(struct loader *l, const char *file, const char *text)
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
				return fail_errno(l, -ENOMEM, "@include");
			r = check_include(l, file, line, name);
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
				if (l->err && l->err_size > 0)
					snprintf(l->err, l->err_size,
						 "%s:%u: %.*s does not fit in a 32-bit integer; write it as %.*sL",
						 file, line, (int) (p - start), start, (int) (p - start), start);
				return -EINVAL;
			}
		} else
			p++;
	}
	return 0;
}

static int load_file(struct loader *l, struct kitchen_config *c)
{
	char *text = NULL, *dir = NULL, *slash;
	size_t size;
	config_t cf;
	int r;

	r = read_text(l->path, &text, &size);
	if (r < 0)
		return fail_errno(l, r, "cannot read");
	if (strlen(text) != size) {
		/* libconfig would stop reading there and take the rest for missing */
		unsigned line = 1;

		for (const char *p = text; *p; p++)
			line += *p == '\n';
		if (l->err && l->err_size > 0)
			snprintf(l->err, l->err_size, "%s:%u: a NUL byte: not a text file", l->path, line);
		free(text);
		return -EINVAL;
	}

	/* Relative @include names are relative to this file, not to kitchend's cwd. */
	dir = strdup(l->path);
	if (!dir) {
		free(text);
		return fail_errno(l, -ENOMEM, "cannot read");
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
	l->include_dir = dir;
	/* Before libconfig: it exit()s on an @include of a directory ("input in
	 * flex scanner failed"), and this reads every included file first. */
	r = check_int_literals(l, l->path, text);
	if (r == 0 && !config_read_string(&cf, text)) {
		const char *file = config_error_file(&cf);
		bool in_dir = file && file[0] != '/';

		if (l->err && l->err_size > 0)
			snprintf(l->err, l->err_size, "%s%s%s:%d: %s", in_dir ? dir : "", in_dir ? "/" : "",
				 file ? file : l->path, config_error_line(&cf),
				 config_error_text(&cf) ? config_error_text(&cf) : "syntax error");
		r = -EINVAL;
	} else if (r == 0)
		r = load_group(l, c, config_root_setting(&cf), NULL);
	config_destroy(&cf);
	l->include_dir = NULL;
	free(dir);
	free(text);
	return r;
}

static int set_default_menu(struct kitchen_config *c)
{
	size_t n = ELEMENTSOF(default_menu);

	c->menu = calloc(n, sizeof(*c->menu));
	if (!c->menu)
		return -ENOMEM;
	c->n_menu = n;
	for (size_t i = 0; i < n; i++) {
		struct config_dish *d = &c->menu[i];
		size_t k = 0;

		while (default_menu[i][k + 1])
			k++;
		d->name = strdup(default_menu[i][0]);
		d->ingredients = calloc(k, sizeof(char *));
		if (!d->name || !d->ingredients)
			return -ENOMEM;
		for (size_t j = 0; j < k; j++) {
			d->ingredients[j] = strdup(default_menu[i][j + 1]);
			if (!d->ingredients[j])
				return -ENOMEM;
			d->n_ingredients++;
		}
	}
	return 0;
}

/* What no file set: directories, then endpoints inside runtime_dir, then the menu. */
static int set_defaults_after(struct loader *l, struct kitchen_config *c)
{
	int r;

	if (!c->runtime_dir) {
		r = paths_default_runtime_dir(&c->runtime_dir);
		if (r < 0)
			return fail_errno(l, r, "no default runtime_dir");
	}
	if (!c->state_dir) {
		r = paths_default_state_dir(&c->state_dir);
		if (r == -ENOENT) {
			fail(l, NULL, "state_dir: no default without $XDG_STATE_HOME or $HOME; set state_dir");
			return r;
		}
		if (r < 0)
			return fail_errno(l, r, "no default state_dir");
	}
	for (unsigned i = 0; i < _CONFIG_ENDPOINT_MAX; i++) {
		if (c->endpoints[i])
			continue;
		r = paths_ipc_endpoint(c->runtime_dir, endpoint_names[i], &c->endpoints[i]);
		if (r < 0)
			return fail_errno(l, r, "endpoints");
		/* a runtime_dir from the file was checked with its line; this is the default one */
		r = check_ipc_length(l, NULL, "runtime_dir", c->endpoints[i]);
		if (r < 0)
			return r;
	}
	if (!c->menu) {
		r = set_default_menu(c);
		if (r < 0)
			return fail_errno(l, r, "menu");
	}
	return 0;
}

int config_load(const char *path, struct kitchen_config **ret_config, char *err, size_t err_size)
{
	struct loader l = { .path = path, .err = err, .err_size = err_size };
	struct kitchen_config *c;
	int r;

	if (err && err_size > 0)
		err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c)
		return fail_errno(&l, -ENOMEM, "configuration");
	*c = (struct kitchen_config) {
		.chefs_local = 3,
		.chefs_threads = 1,
		.heartbeat_interval_ms = 1000,
		.heartbeat_liveness = 3,
		.dishes_max_attempts = 3,
		.orders_max_queued = 1000000,
		.orders_key_retention_s = 86400,
		.drain_timeout_ms = 30000,
	};
	c->log_level = strdup("info");
	c->store_synchronous = strdup("full");
	c->control_mode = strdup("0660");
	if (path)
		c->path = strdup(path);
	if (!c->log_level || !c->store_synchronous || !c->control_mode || (path && !c->path)) {
		r = fail_errno(&l, -ENOMEM, "configuration");
		goto fail;
	}

	if (path) {
		r = load_file(&l, c);
		if (r < 0)
			goto fail;
	}
	r = set_defaults_after(&l, c);
	if (r < 0)
		goto fail;

	*ret_config = c;
	return 0;
fail:
	config_free(c);
	/* A value quoted back may hold a newline or other control: keep it one line. */
	for (char *p = err; p && err_size > 0 && *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = '?';
	return r;
}

void config_free(struct kitchen_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->log_level);
	free(c->runtime_dir);
	free(c->state_dir);
	for (unsigned i = 0; i < _CONFIG_ENDPOINT_MAX; i++)
		free(c->endpoints[i]);
	free(c->chefs_command);
	free(c->store_synchronous);
	free(c->curve_secret_key);
	free(c->curve_chefs_allow);
	free(c->curve_clients_allow);
	free(c->control_mode);
	free(c->control_group);
	for (size_t i = 0; i < c->n_menu; i++) {
		for (size_t k = 0; k < c->menu[i].n_ingredients; k++)
			free(c->menu[i].ingredients[k]);
		free(c->menu[i].ingredients);
		free(c->menu[i].name);
	}
	free(c->menu);
	free(c);
}

const struct config_dish *config_find_dish(const struct kitchen_config *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n_menu; i++)
		if (ascii_equal_nocase(c->menu[i].name, name))
			return &c->menu[i];
	return NULL;
}

/* A libconfig string literal: quotes, backslashes and (never valid here) controls escaped. */
static void dump_string(FILE *f, const char *s)
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

static void dump_integer(FILE *f, uint64_t v)
{
	/* libconfig 1.5 wraps an int literal beyond 32 bits: those need the L. */
	fprintf(f, "%llu%s", (unsigned long long) v, v > INT_MAX ? "L" : "");
}

int config_dump(const struct kitchen_config *c, FILE *f)
{
	const char *group = NULL;
	size_t group_len = 0;

	fputs("# kitchen configuration in effect: ", f);
	if (c->path)
		dump_string(f, c->path);
	else
		fputs("embedded defaults", f);
	fputc('\n', f);
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		const struct key *k = &keys[i];
		const char *field = (const char *) c + k->offset;
		const char *dot = strchr(k->name, '.');
		const char *leaf = dot ? dot + 1 : k->name;

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

		switch (k->kind) {
		case KEY_STRING:
			if (!*(char *const *) field) {
				fprintf(f, "# %s: not set: %s\n", leaf, k->unset ? k->unset : "built in");
				continue;
			}
			fprintf(f, "%s = ", leaf);
			dump_string(f, *(char *const *) field);
			break;
		case KEY_UNSIGNED:
			fprintf(f, "%s = ", leaf);
			dump_integer(f, *(const unsigned *) field);
			break;
		case KEY_U64:
			fprintf(f, "%s = ", leaf);
			dump_integer(f, *(const uint64_t *) field);
			break;
		}
		fputs(";\n", f);
	}
	if (group)
		fputs("};\n", f);

	fputs("menu = (\n", f);
	for (size_t i = 0; i < c->n_menu; i++) {
		fputs("\t{ name = ", f);
		dump_string(f, c->menu[i].name);
		fputs("; ingredients = [ ", f);
		for (size_t k = 0; k < c->menu[i].n_ingredients; k++) {
			if (k > 0)
				fputs(", ", f);
			dump_string(f, c->menu[i].ingredients[k]);
		}
		fprintf(f, " ]; }%s\n", i + 1 < c->n_menu ? "," : "");
	}
	fputs(");\n", f);

	if (fflush(f) != 0 || ferror(f))
		return errno > 0 ? -errno : -EIO;
	return 0;
}
