/*
 * config.c — kitchen.conf: its keys, their checks, the menu and the defaults.
 *
 * One table (keys[]) names every key with its field, its range or its check;
 * conftab (conftab.h) reads the file against it and config_dump() writes it
 * back, so a key added there is read, refused when wrong and dumped alike.
 * The menu, a list of groups, has its own loader behind the table's "menu".
 * Values a file does not set are filled in afterwards, in order: runtime_dir
 * and state_dir, then the endpoints inside runtime_dir, then the menu, so a
 * file that only moves runtime_dir moves the sockets.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "chef_config.h"
#include "conftab.h"
#include "paths.h"
#include "program_conf.h"
#include "proto.h"
#include "util.h"

#define CONFIG_MAX_DISHES 256
#define CONFIG_MAX_INGREDIENTS 32
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

/* Named so the message can say which key made it: an endpoint, or the runtime_dir it came from. */
static int check_ipc_length(struct conftab *t, const config_setting_t *s, const char *name, const char *ep)
{
	size_t n = strlen(ep) - strlen("ipc://");

	if (strncmp(ep, "ipc://", 6) != 0 || n <= CONFIG_MAX_IPC_PATH)
		return 0;
	return conftab_fail(t, s, "%s: the socket path %s is %zu bytes, more than a unix socket takes (%zu)",
			    name, ep + 6, n, CONFIG_MAX_IPC_PATH);
}

/* libzmq unlinks whatever is at an ipc path before it binds there: only a socket may be. */
static int check_ipc_free(struct conftab *t, const config_setting_t *s, const char *name, const char *ep)
{
	if (strncmp(ep, "ipc://", 6) != 0 || ep[6] == '@' || paths_check_socket(ep + 6) != -ENOTSOCK)
		return 0;
	return conftab_fail(t, s, "%s: %s exists and is not a socket; kitchend binds only where nothing "
			    "or a socket is", name, ep + 6);
}

static int check_endpoint(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	int r = conftab_check_endpoint(t, s, name, v);

	if (r >= 0)
		r = check_ipc_length(t, s, name, v);
	if (r >= 0)
		r = check_ipc_free(t, s, name, v);
	return r;
}

/* The sockets go inside it, so the longest of their paths must fit a unix socket. */
static int check_runtime_dir(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	char *ep;
	int r = conftab_check_path(t, s, name, v);

	if (r < 0)
		return r;
	r = paths_ipc_endpoint(v, "dispatch", &ep);
	if (r < 0)
		return conftab_fail_errno(t, r, name);
	r = check_ipc_length(t, s, name, ep);
	free(ep);
	return r;
}

static int check_synchronous(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	if (strcmp(v, "full") != 0 && strcmp(v, "normal") != 0)
		return conftab_fail(t, s, "%s = \"%s\" is not \"full\" or \"normal\"", name, v);
	return 0;
}

/* A file mode in octal, as chmod(1) takes it: "0660", "660". */
static int check_mode(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	size_t n = strlen(v);

	if (n < 3 || n > 4 || strspn(v, "01234567") != n || (n == 4 && v[0] != '0'))
		return conftab_fail(t, s, "%s = \"%s\" is not an octal file mode such as \"0660\"", name, v);
	return 0;
}

/* A group name or number; whether it exists is seen when the socket is made. */
static int check_group(struct conftab *t, const config_setting_t *s, const char *name, const char *v)
{
	int r = conftab_check_text(t, s, name, v);

	if (r < 0)
		return r;
	if (strlen(v) > 64 || strpbrk(v, ":/ \n"))
		return conftab_fail(t, s, "%s = \"%s\" is not a group name", name, v);
	return 0;
}

static int load_dish(struct conftab *t, struct kitchen_config *c, const config_setting_t *e, struct config_dish *d)
{
	struct program_conf_entry entry = {};
	const config_setting_t *ingredients;
	char where[128];
	int n, r;

	conftab_setting_name(e, where, sizeof(where));
	r = program_conf_read(t, e, where, PROGRAM_CONF_MENU, &entry);
	if (r < 0) {
		program_conf_entry_clear(&entry);
		return r;
	}
	for (const struct config_dish *o = c->menu; o < d; o++)
		if (program_conf_name_equal(o->name, entry.name)) {
			r = conftab_fail(t, config_setting_get_member(e, "name"),
					 "%s: dish \"%s\" is already on the menu as \"%s\"", where,
					 entry.name, o->name);
			program_conf_entry_clear(&entry);
			return r;
		}
	d->name = TAKE_PTR(entry.name);
	d->program = TAKE_PTR(entry.program);
	ingredients = entry.ingredients;
	if (!ingredients)
		return 0;

	if (!config_setting_is_array(ingredients) && !config_setting_is_list(ingredients))
		return conftab_fail(t, ingredients, "%s.ingredients must be an array: [ \"...\", ... ]", where);
	n = config_setting_length(ingredients);
	if (n < 1 || n > CONFIG_MAX_INGREDIENTS)
		return conftab_fail(t, ingredients, "%s.ingredients: a dish has 1..%d ingredients, not %d", where,
			    CONFIG_MAX_INGREDIENTS, n);
	d->ingredients = calloc((size_t) n, sizeof(char *));
	if (!d->ingredients)
		return conftab_fail_errno(t, -ENOMEM, where);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(ingredients, (unsigned) i);

		r = program_conf_check_name(t, g, "ingredient");
		if (r < 0)
			return r;
		d->ingredients[i] = strdup(config_setting_get_string(g));
		if (!d->ingredients[i])
			return conftab_fail_errno(t, -ENOMEM, where);
		d->n_ingredients++;
	}
	return 0;
}

static int load_menu(struct conftab *t, void *obj, const config_setting_t *s)
{
	struct kitchen_config *c = obj;
	int n, programs = 0;

	if (!config_setting_is_list(s))
		return conftab_fail(t, s,
				    "menu must be a list: ( { name = \"...\"; ingredients = [ ... ]; }, "
				    "{ name = \"...\"; run = [ ... ]; }, ... )");
	n = config_setting_length(s);
	if (n < 1 || n > CONFIG_MAX_DISHES)
		return conftab_fail(t, s, "menu: a menu has 1..%d dishes, not %d", CONFIG_MAX_DISHES, n);
	c->menu = calloc((size_t) n, sizeof(*c->menu));
	if (!c->menu)
		return conftab_fail_errno(t, -ENOMEM, "menu");
	c->n_menu = (size_t) n;
	for (int i = 0; i < n; i++) {
		int r = load_dish(t, c, config_setting_get_elem(s, (unsigned) i), &c->menu[i]);
		if (r < 0)
			return r;
		if (c->menu[i].program && ++programs >= PROTO_MAX_SKILLS)
			return conftab_fail(t, config_setting_get_elem(s, (unsigned) i),
					    "menu: at most %d dishes run a program (a local chef names each "
					    "one, and \"*\", in its skills)", PROTO_MAX_SKILLS - 1);
	}
	return 0;
}

#define OFF(field) offsetof(struct kitchen_config, field)

/* Every key, in the order config_dump() writes them. */
static const struct conftab_key keys[] = {
	{ "log_level", CONFTAB_STRING, OFF(log_level), .check = conftab_check_log_level },
	{ "runtime_dir", CONFTAB_STRING, OFF(runtime_dir), .check = check_runtime_dir },
	{ "state_dir", CONFTAB_STRING, OFF(state_dir), .check = conftab_check_path },
	{ "endpoints.control", CONFTAB_STRING, OFF(endpoints[CONFIG_ENDPOINT_CONTROL]), .check = check_endpoint },
	{ "endpoints.events", CONFTAB_STRING, OFF(endpoints[CONFIG_ENDPOINT_EVENTS]), .check = check_endpoint },
	{ "endpoints.dispatch", CONFTAB_STRING, OFF(endpoints[CONFIG_ENDPOINT_DISPATCH]), .check = check_endpoint },
	{ "endpoints.sink", CONFTAB_STRING, OFF(endpoints[CONFIG_ENDPOINT_SINK]), .check = check_endpoint },
	{ "control.mode", CONFTAB_STRING, OFF(control_mode), .check = check_mode },
	{ "control.group", CONFTAB_STRING, OFF(control_group), .check = check_group,
	  .unset = "kitchend's own group" },
	{ "curve.secret_key", CONFTAB_STRING, OFF(curve_secret_key), .check = conftab_check_path,
	  .unset = "no CURVE: tcp endpoints are plaintext" },
	{ "curve.chefs_allow", CONFTAB_STRING, OFF(curve_chefs_allow), .check = conftab_check_path,
	  .unset = "no chef key is admitted" },
	{ "curve.clients_allow", CONFTAB_STRING, OFF(curve_clients_allow), .check = conftab_check_path,
	  .unset = "no kitchenctl key is admitted" },
	{ "chefs.local", CONFTAB_UNSIGNED, OFF(chefs_local), .min = 0, .max = 64 },
	{ "chefs.threads", CONFTAB_UNSIGNED, OFF(chefs_threads), .min = CHEF_STATIONS_MIN, .max = CHEF_STATIONS_MAX },
	{ "chefs.command", CONFTAB_STRING, OFF(chefs_command), .check = conftab_check_text,
	  .unset = "the chef beside kitchend, else the installed one" },
	{ "timing.prep_ms", CONFTAB_U64, OFF(timing.prep_ms), .min = 0, .max = 3600000 },
	{ "timing.cook_ms", CONFTAB_U64, OFF(timing.cook_ms), .min = 0, .max = 3600000 },
	{ "timing.season_ms", CONFTAB_U64, OFF(timing.season_ms), .min = 0, .max = 3600000 },
	{ "timing.cpu_work", CONFTAB_U64, OFF(timing.cpu_work), .min = 0, .max = 10000000000ull },
	{ "heartbeat.interval_ms", CONFTAB_U64, OFF(heartbeat_interval_ms), .min = CHEF_HEARTBEAT_MS_MIN,
	  .max = CHEF_HEARTBEAT_MS_MAX },
	{ "heartbeat.liveness", CONFTAB_UNSIGNED, OFF(heartbeat_liveness), .min = CHEF_LIVENESS_MIN,
	  .max = CHEF_LIVENESS_MAX },
	{ "dishes.max_attempts", CONFTAB_UNSIGNED, OFF(dishes_max_attempts), .min = 1, .max = 100 },
	{ "dishes.timeout_ms", CONFTAB_U64, OFF(dishes_timeout_ms), .min = 0, .max = 86400000 },
	{ "dishes.max_input", CONFTAB_U64, OFF(dishes_max_input), .min = 0, .max = PROTO_MAX_INPUT },
	{ "orders.max_queued", CONFTAB_U64, OFF(orders_max_queued), .min = 1, .max = 100000000 },
	{ "orders.key_retention_s", CONFTAB_U64, OFF(orders_key_retention_s), .min = 1, .max = 31536000 },
	{ "history.keep", CONFTAB_DURATION, OFF(history_keep_s), .min = 0, .max = 36500ull * 86400,
	  .zero = "forever" },
	{ "history.max_orders", CONFTAB_U64, OFF(history_max_orders), .min = 0,
	  .max = 1000000000000ull },
	{ "drain_timeout_ms", CONFTAB_U64, OFF(drain_timeout_ms), .min = 0, .max = 3600000 },
	{ "store.synchronous", CONFTAB_STRING, OFF(store_synchronous), .check = check_synchronous },
	{ "menu", CONFTAB_CUSTOM, .read = load_menu },  /* config_dump() writes it last */
};

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
static int set_defaults_after(struct conftab *t, struct kitchen_config *c)
{
	int r;

	if (!c->runtime_dir) {
		r = paths_default_runtime_dir(&c->runtime_dir);
		if (r < 0)
			return conftab_fail_errno(t, r, "no default runtime_dir");
	}
	if (!c->state_dir) {
		r = paths_default_state_dir(&c->state_dir);
		if (r == -ENOENT) {
			conftab_fail(t, NULL, "state_dir: no default without $XDG_STATE_HOME or $HOME; set state_dir");
			return r;
		}
		if (r < 0)
			return conftab_fail_errno(t, r, "no default state_dir");
	}
	for (unsigned i = 0; i < _CONFIG_ENDPOINT_MAX; i++) {
		if (c->endpoints[i])
			continue;
		r = paths_ipc_endpoint(c->runtime_dir, endpoint_names[i], &c->endpoints[i]);
		if (r < 0)
			return conftab_fail_errno(t, r, "endpoints");
		/* a runtime_dir from the file was checked with its line; this is the default one */
		r = check_ipc_length(t, NULL, "runtime_dir", c->endpoints[i]);
		if (r >= 0)
			r = check_ipc_free(t, NULL, endpoint_names[i], c->endpoints[i]);
		if (r < 0)
			return r;
	}
	if (!c->menu) {
		r = set_default_menu(c);
		if (r < 0)
			return conftab_fail_errno(t, r, "menu");
	}
	return 0;
}

int config_load(const char *path, struct kitchen_config **ret_config, char *err, size_t err_size)
{
	struct conftab t = { .keys = keys, .n_keys = ELEMENTSOF(keys), .path = path, .err = err, .err_size = err_size };
	struct kitchen_config *c;
	int r;

	if (err && err_size > 0)
		err[0] = '\0';
	c = calloc(1, sizeof(*c));
	if (!c)
		return conftab_fail_errno(&t, -ENOMEM, "configuration");
	*c = (struct kitchen_config) {
		.chefs_local = 3,
		.chefs_threads = 1,
		.heartbeat_interval_ms = 1000,
		.heartbeat_liveness = 3,
		.dishes_max_attempts = 3,
		.dishes_timeout_ms = 3600000,
		.dishes_max_input = 65536,
		.orders_max_queued = 1000000,
		.orders_key_retention_s = 86400,
		.history_keep_s = 7 * 86400,
		.drain_timeout_ms = 30000,
	};
	c->log_level = strdup("info");
	c->store_synchronous = strdup("full");
	c->control_mode = strdup("0660");
	if (path)
		c->path = strdup(path);
	if (!c->log_level || !c->store_synchronous || !c->control_mode || (path && !c->path)) {
		r = conftab_fail_errno(&t, -ENOMEM, "configuration");
		goto fail;
	}

	if (path) {
		r = conftab_read_file(&t, c);
		if (r < 0)
			goto fail;
	}
	r = set_defaults_after(&t, c);
	if (r < 0)
		goto fail;

	*ret_config = c;
	return 0;
fail:
	config_free(&c);
	/* A value quoted back may hold a newline or other control: keep it one line. */
	for (char *p = err; p && err_size > 0 && *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			*p = '?';
	return r;
}

void config_free(struct kitchen_config **cp)
{
	struct kitchen_config *c;

	if (!cp || !*cp)
		return;
	c = *cp;
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
		program_conf_free(&c->menu[i].program);
	}
	free(c->menu);
	free(c);
	*cp = NULL;
}

const struct config_dish *config_find_dish(const struct kitchen_config *c, const char *name)
{
	if (!c || !name)
		return NULL;
	for (size_t i = 0; i < c->n_menu; i++)
		if (program_conf_name_equal(c->menu[i].name, name))
			return &c->menu[i];
	return NULL;
}

int config_dump(const struct kitchen_config *c, FILE *f)
{
	fputs("# kitchen configuration in effect: ", f);
	if (c->path)
		conftab_dump_string(f, c->path);
	else
		fputs("embedded defaults", f);
	fputc('\n', f);
	conftab_dump(keys, ELEMENTSOF(keys), c, f);

	fputs("menu = (\n", f);
	for (size_t i = 0; i < c->n_menu; i++) {
		fputs("\t{ name = ", f);
		conftab_dump_string(f, c->menu[i].name);
		fputs("; ", f);
		if (c->menu[i].program) {
			program_conf_dump(c->menu[i].program, f);
			fprintf(f, "}%s\n", i + 1 < c->n_menu ? "," : "");
			continue;
		}
		fputs("ingredients = [ ", f);
		for (size_t k = 0; k < c->menu[i].n_ingredients; k++) {
			if (k > 0)
				fputs(", ", f);
			conftab_dump_string(f, c->menu[i].ingredients[k]);
		}
		fprintf(f, " ]; }%s\n", i + 1 < c->n_menu ? "," : "");
	}
	fputs(");\n", f);

	if (fflush(f) != 0 || ferror(f))
		return errno > 0 ? -errno : -EIO;
	return 0;
}
