/*
 * test-config — config_load(), config_dump(), config_find_dish().
 *
 * A table of named cases, one TAP line each; the refused files are a second
 * table, one case per bad value, each checked for its "FILE:LINE: " prefix.
 * argv[1] is the source tree's etc/kitchen.conf.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "program_conf.h"
#include "proto.h"
#include "tap.h"
#include "util.h"

static const char *shipped_conf;
static const char *programs_example;  /* etc/examples/programs.conf */
static char tmpdir[] = "/tmp/test-config.XXXXXX";
static char conf_path[PATH_MAX];


static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
}

/* Write @text as the test's kitchen.conf and load it. */
static int load_text(const char *text, struct kitchen_config **ret, char *err, size_t err_size)
{
	write_file(conf_path, text);
	return config_load(conf_path, ret, err, err_size);
}

static bool str_equal(const char *what, const char *a, const char *b)
{
	if ((!a && !b) || (a && b && strcmp(a, b) == 0))
		return true;
	tap_diag("%s differs: \"%s\" vs \"%s\"", what, a ? a : "(null)", b ? b : "(null)");
	return false;
}

static bool u64_equal(const char *what, uint64_t a, uint64_t b)
{
	if (a == b)
		return true;
	tap_diag("%s differs: %llu vs %llu", what, (unsigned long long) a, (unsigned long long) b);
	return false;
}

static bool program_equal(const struct config_program *a, const struct config_program *b)
{
	bool eq = true;
	size_t k;

	if (!a || !b) {
		if (a != b)
			tap_diag("one dish runs a program, the other does not");
		return a == b;
	}
	for (k = 0; a->argv[k] && b->argv[k]; k++)
		eq &= str_equal("run", a->argv[k], b->argv[k]);
	eq &= str_equal("run's end", a->argv[k], b->argv[k]);
	eq &= str_equal("dir", a->dir, b->dir);
	eq &= u64_equal("timeout_ms", a->timeout_ms, b->timeout_ms);
	eq &= u64_equal("max_output", a->max_output, b->max_output);
	eq &= u64_equal("cpu_seconds", a->cpu_seconds, b->cpu_seconds);
	eq &= u64_equal("memory_bytes", a->memory_bytes, b->memory_bytes);
	eq &= u64_equal("open_files", a->open_files, b->open_files);
	return eq;
}

/* Every value but the path the config came from. */
static bool config_equal(const struct kitchen_config *a, const struct kitchen_config *b)
{
	bool eq = true;

	eq &= str_equal("log_level", a->log_level, b->log_level);
	eq &= str_equal("runtime_dir", a->runtime_dir, b->runtime_dir);
	eq &= str_equal("state_dir", a->state_dir, b->state_dir);
	for (unsigned i = 0; i < _CONFIG_ENDPOINT_MAX; i++)
		eq &= str_equal("endpoint", a->endpoints[i], b->endpoints[i]);
	eq &= u64_equal("chefs_local", a->chefs_local, b->chefs_local);
	eq &= u64_equal("chefs_threads", a->chefs_threads, b->chefs_threads);
	eq &= str_equal("chefs_command", a->chefs_command, b->chefs_command);
	eq &= u64_equal("prep_ms", a->timing.prep_ms, b->timing.prep_ms);
	eq &= u64_equal("cook_ms", a->timing.cook_ms, b->timing.cook_ms);
	eq &= u64_equal("season_ms", a->timing.season_ms, b->timing.season_ms);
	eq &= u64_equal("cpu_work", a->timing.cpu_work, b->timing.cpu_work);
	eq &= u64_equal("heartbeat_interval_ms", a->heartbeat_interval_ms, b->heartbeat_interval_ms);
	eq &= u64_equal("heartbeat_liveness", a->heartbeat_liveness, b->heartbeat_liveness);
	eq &= u64_equal("dishes_max_attempts", a->dishes_max_attempts, b->dishes_max_attempts);
	eq &= u64_equal("dishes_timeout_ms", a->dishes_timeout_ms, b->dishes_timeout_ms);
	eq &= u64_equal("orders_max_queued", a->orders_max_queued, b->orders_max_queued);
	eq &= u64_equal("orders_key_retention_s", a->orders_key_retention_s, b->orders_key_retention_s);
	eq &= u64_equal("history_keep_s", a->history_keep_s, b->history_keep_s);
	eq &= u64_equal("history_max_orders", a->history_max_orders, b->history_max_orders);
	eq &= u64_equal("drain_timeout_ms", a->drain_timeout_ms, b->drain_timeout_ms);
	eq &= str_equal("store_synchronous", a->store_synchronous, b->store_synchronous);
	eq &= str_equal("control_mode", a->control_mode, b->control_mode);
	eq &= str_equal("control_group", a->control_group, b->control_group);
	eq &= str_equal("curve_secret_key", a->curve_secret_key, b->curve_secret_key);
	eq &= str_equal("curve_chefs_allow", a->curve_chefs_allow, b->curve_chefs_allow);
	eq &= str_equal("curve_clients_allow", a->curve_clients_allow, b->curve_clients_allow);
	if (!u64_equal("n_menu", a->n_menu, b->n_menu))
		return false;
	for (size_t i = 0; i < a->n_menu; i++) {
		eq &= str_equal("dish", a->menu[i].name, b->menu[i].name);
		if (!u64_equal("n_ingredients", a->menu[i].n_ingredients, b->menu[i].n_ingredients)) {
			eq = false;
			continue;
		}
		for (size_t k = 0; k < a->menu[i].n_ingredients; k++)
			eq &= str_equal("ingredient", a->menu[i].ingredients[k], b->menu[i].ingredients[k]);
		eq &= program_equal(a->menu[i].program, b->menu[i].program);
	}
	return eq;
}

static struct kitchen_config *load_defaults(void)
{
	struct kitchen_config *c = NULL;
	char err[512];
	int r = config_load(NULL, &c, err, sizeof(err));

	if (r < 0) {
		tap_diag("defaults: %s", err);
		exit(99);
	}
	return c;
}

static void test_defaults(void)
{
	static const char *const menu[][8] = {
		{ "Pizza", "Flour", "Yeast", "Tomato Sauce", "Mozzarella Cheese", "Pepperoni", NULL },
		{ "Spaghetti", "Pasta", "Ground Beef", "Tomato Sauce", "Onion", "Garlic", NULL },
		{ "Chicken Stir Fry", "Chicken", "Broccoli", "Peppers", "Soy Sauce", "Ginger", "Rice", NULL },
		{ "Chicken Biryani", "Chicken", "Onion", "Garlic", "Rice", "Yogurt", "Spices", NULL },
		{ "Salad", "Mixed Greens", "Tomatoes", "Cucumbers", "Carrots", "Dressing", NULL },
	};
	struct kitchen_config *c = load_defaults();
	char *runtime_dir = NULL, *state_dir = NULL, ep[PATH_MAX];

	EXPECT(paths_default_runtime_dir(&runtime_dir) == 0);
	EXPECT(paths_default_state_dir(&state_dir) == 0);
	EXPECT(c->path == NULL);
	EXPECT_STR(c->log_level, "info");
	EXPECT_STR(c->runtime_dir, runtime_dir);
	EXPECT_STR(c->state_dir, state_dir);
	snprintf(ep, sizeof(ep), "ipc://%s/control.sock", runtime_dir);
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_CONTROL], ep);
	snprintf(ep, sizeof(ep), "ipc://%s/events.sock", runtime_dir);
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_EVENTS], ep);
	snprintf(ep, sizeof(ep), "ipc://%s/dispatch.sock", runtime_dir);
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_DISPATCH], ep);
	snprintf(ep, sizeof(ep), "ipc://%s/sink.sock", runtime_dir);
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_SINK], ep);
	EXPECT(c->chefs_local == 3);
	EXPECT(c->chefs_threads == 1);
	EXPECT(c->chefs_command == NULL);
	EXPECT(c->timing.prep_ms == 0);
	EXPECT(c->timing.cook_ms == 0);
	EXPECT(c->timing.season_ms == 0);
	EXPECT(c->timing.cpu_work == 0);
	EXPECT(c->heartbeat_interval_ms == 1000);
	EXPECT(c->heartbeat_liveness == 3);
	EXPECT(c->dishes_max_attempts == 3);
	EXPECT(c->dishes_timeout_ms == 3600000);
	EXPECT(c->orders_max_queued == 1000000);
	EXPECT(c->orders_key_retention_s == 86400);
	EXPECT(c->history_keep_s == 7 * 86400);
	EXPECT(c->history_max_orders == 0);
	EXPECT(c->drain_timeout_ms == 30000);
	EXPECT_STR(c->store_synchronous, "full");
	EXPECT_STR(c->control_mode, "0660");
	EXPECT(c->control_group == NULL);
	EXPECT(c->curve_secret_key == NULL);
	EXPECT(c->curve_chefs_allow == NULL);
	EXPECT(c->curve_clients_allow == NULL);
	EXPECT(c->n_menu == 5);
	for (size_t i = 0; i < 5 && i < c->n_menu; i++) {
		size_t n = 0;

		EXPECT_STR(c->menu[i].name, menu[i][0]);
		while (menu[i][n + 1])
			n++;
		EXPECT(c->menu[i].n_ingredients == n);
		for (size_t k = 0; k < n && k < c->menu[i].n_ingredients; k++)
			EXPECT_STR(c->menu[i].ingredients[k], menu[i][k + 1]);
	}
	free(runtime_dir);
	free(state_dir);
	config_free(&c);
}

static const char full_conf[] =
	"# every key, none at its default\n"
	"log_level = \"debug\";\n"
	"runtime_dir = \"/tmp/kt-run\";\n"
	"state_dir = \"/tmp/kt-state\";\n"
	"endpoints = {\n"
	"\tcontrol = \"ipc:///tmp/kt/ctl.sock\";\n"
	"\tevents = \"tcp://127.0.0.1:5556\";\n"
	"\tdispatch = \"tcp://*:5557\";\n"
	"\tsink = \"tcp://*:5558\";\n"
	"};\n"
	"chefs = { local = 0; threads = 256; command = \"/opt/kitchen/bin/chef\"; };\n"
	"timing = {\n"
	"\tprep_ms = 3600000;\n"
	"\tcook_ms = 1;\n"
	"\tseason_ms = 25L;\n"
	"\tcpu_work = 10000000000L;\n"
	"};\n"
	"heartbeat = { interval_ms = 10; liveness = 100; };\n"
	"dishes = { max_attempts = 1; timeout_ms = 86400000; };\n"
	"orders = { max_queued = 0x10; key_retention_s = 60; };\n"
	"drain_timeout_ms = 0;\n"
	"store = { synchronous = \"normal\"; };\n"
	"control = { mode = \"600\"; group = \"kitchen\"; };\n"
	"curve = {\n"
	"\tsecret_key = \"/etc/kitchen/kitchend.key\";\n"
	"\tchefs_allow = \"/etc/kitchen/chefs.d\";\n"
	"\tclients_allow = \"/etc/kitchen/clients.d\";\n"
	"};\n"
	"menu = (\n"
	"\t{ name = \"Crème brûlée\"; ingredients = [ \"Cream\", \"Sugar\", \"Vanilla\" ]; },\n"
	"\t{ name = \"Toast\"; ingredients = ( \"Bread\" ); }\n"
	");\n";

static void test_full_file(void)
{
	struct kitchen_config *c = NULL;
	char err[512] = "";

	EXPECT(load_text(full_conf, &c, err, sizeof(err)) == 0);
	if (!c) {
		tap_diag("%s", err);
		tap_failed = true;
		return;
	}
	EXPECT_STR(c->path, conf_path);
	EXPECT_STR(c->log_level, "debug");
	EXPECT_STR(c->runtime_dir, "/tmp/kt-run");
	EXPECT_STR(c->state_dir, "/tmp/kt-state");
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_CONTROL], "ipc:///tmp/kt/ctl.sock");
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_EVENTS], "tcp://127.0.0.1:5556");
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_DISPATCH], "tcp://*:5557");
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_SINK], "tcp://*:5558");
	EXPECT(c->chefs_local == 0);
	EXPECT(c->chefs_threads == 256);
	EXPECT_STR(c->chefs_command, "/opt/kitchen/bin/chef");
	EXPECT(c->timing.prep_ms == 3600000);
	EXPECT(c->timing.cook_ms == 1);
	EXPECT(c->timing.season_ms == 25);
	EXPECT(c->timing.cpu_work == 10000000000ull);
	EXPECT(c->heartbeat_interval_ms == 10);
	EXPECT(c->heartbeat_liveness == 100);
	EXPECT(c->dishes_max_attempts == 1);
	EXPECT(c->dishes_timeout_ms == 86400000);
	EXPECT(c->orders_max_queued == 16);
	EXPECT(c->orders_key_retention_s == 60);
	EXPECT(c->drain_timeout_ms == 0);
	EXPECT_STR(c->store_synchronous, "normal");
	EXPECT_STR(c->control_mode, "600");
	EXPECT_STR(c->control_group, "kitchen");
	EXPECT_STR(c->curve_secret_key, "/etc/kitchen/kitchend.key");
	EXPECT_STR(c->curve_chefs_allow, "/etc/kitchen/chefs.d");
	EXPECT_STR(c->curve_clients_allow, "/etc/kitchen/clients.d");
	EXPECT(c->n_menu == 2);
	if (c->n_menu == 2) {
		EXPECT_STR(c->menu[0].name, "Crème brûlée");
		EXPECT(c->menu[0].n_ingredients == 3);
		EXPECT_STR(c->menu[0].ingredients[2], "Vanilla");
		EXPECT_STR(c->menu[1].name, "Toast");
		EXPECT(c->menu[1].n_ingredients == 1);
		EXPECT_STR(c->menu[1].ingredients[0], "Bread");
	}
	config_free(&c);
}

static void test_empty_file(void)
{
	struct kitchen_config *c = NULL, *d = load_defaults();
	char err[512] = "";

	EXPECT(load_text("", &c, err, sizeof(err)) == 0);
	EXPECT(c && config_equal(c, d));
	config_free(&c);
	c = NULL;
	EXPECT(load_text("# only a comment\n\n// and another\n/* and a block */\n", &c, err, sizeof(err)) == 0);
	EXPECT(c && config_equal(c, d));
	config_free(&c);
	config_free(&d);
}

static void test_shipped_conf(void)
{
	struct kitchen_config *c = NULL, *d = load_defaults();
	char err[512] = "";
	int r;

	if (!shipped_conf) {
		tap_diag("no path to etc/kitchen.conf given");
		tap_failed = true;
		config_free(&d);
		return;
	}
	r = config_load(shipped_conf, &c, err, sizeof(err));
	if (r < 0)
		tap_diag("%s", err);
	EXPECT(r == 0);
	EXPECT(c && config_equal(c, d));
	config_free(&c);
	config_free(&d);
}

/*
 * The shipped file's commented-out values must be the defaults: uncomment
 * every "#key = ..." line ("# " lines are prose), however indented, and load it. Directories
 * there are root's, and chefs.command is an example, not a default.
 */
static void test_shipped_conf_uncommented(void)
{
	struct kitchen_config *c = NULL, *d = load_defaults();
	char *line = NULL, *text = NULL, err[512] = "";
	size_t cap = 0, size = 0;
	FILE *in, *out;
	int r;

	in = shipped_conf ? fopen(shipped_conf, "re") : NULL;
	if (!in) {
		tap_diag("cannot open %s", shipped_conf ? shipped_conf : "(null)");
		tap_failed = true;
		config_free(&d);
		return;
	}
	out = open_memstream(&text, &size);
	while (getline(&line, &cap, in) > 0) {
		size_t indent = strspn(line, " \t");
		char *hash = line + indent;

		if (hash[0] == '#' && hash[1] != ' ' && hash[1] != '\n' && hash[1] != '#')
			memmove(hash, hash + 1, strlen(hash));
		fputs(line, out);
	}
	fclose(out);
	fclose(in);
	free(line);

	r = load_text(text, &c, err, sizeof(err));
	if (r < 0)
		tap_diag("%s", err);
	EXPECT(r == 0);
	if (c) {
		EXPECT_STR(c->runtime_dir, "/run/kitchen");
		EXPECT_STR(c->state_dir, "/var/lib/kitchen");
		EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_CONTROL], "ipc:///run/kitchen/control.sock");
		EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_EVENTS], "ipc:///run/kitchen/events.sock");
		EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_DISPATCH], "ipc:///run/kitchen/dispatch.sock");
		EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_SINK], "ipc:///run/kitchen/sink.sock");
		EXPECT(c->chefs_command != NULL);
		/* examples, like chefs.command: they have no default */
		EXPECT_STR(c->control_group, "kitchen");
		EXPECT_STR(c->curve_secret_key, "/etc/kitchen/kitchend.key");
		EXPECT_STR(c->curve_chefs_allow, "/etc/kitchen/chefs.d");
		EXPECT_STR(c->curve_clients_allow, "/etc/kitchen/clients.d");
		free(c->control_group);
		free(c->curve_secret_key);
		free(c->curve_chefs_allow);
		free(c->curve_clients_allow);
		c->control_group = c->curve_secret_key = c->curve_chefs_allow = c->curve_clients_allow = NULL;
		/* the rest are the defaults */
		free(c->runtime_dir);
		free(c->state_dir);
		free(c->chefs_command);
		c->runtime_dir = strdup(d->runtime_dir);
		c->state_dir = strdup(d->state_dir);
		c->chefs_command = NULL;
		for (unsigned i = 0; i < _CONFIG_ENDPOINT_MAX; i++) {
			free(c->endpoints[i]);
			c->endpoints[i] = strdup(d->endpoints[i]);
		}
		EXPECT(config_equal(c, d));
	}
	free(text);
	config_free(&c);
	config_free(&d);
}

static void test_runtime_dir_moves_endpoints(void)
{
	struct kitchen_config *c = NULL;
	char err[512] = "";

	/* set last, still used for every endpoint not set */
	EXPECT(load_text("endpoints = { sink = \"tcp://*:7000\"; };\n"
			"runtime_dir = \"/srv/kitchen/run\";\n",
			&c, err, sizeof(err)) == 0);
	if (!c) {
		tap_diag("%s", err);
		tap_failed = true;
		return;
	}
	EXPECT_STR(c->runtime_dir, "/srv/kitchen/run");
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_CONTROL], "ipc:///srv/kitchen/run/control.sock");
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_EVENTS], "ipc:///srv/kitchen/run/events.sock");
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_DISPATCH], "ipc:///srv/kitchen/run/dispatch.sock");
	EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_SINK], "tcp://*:7000");
	config_free(&c);
	c = NULL;

	EXPECT(load_text("runtime_dir = \"/x\";\n", &c, err, sizeof(err)) == 0);
	if (c)
		EXPECT_STR(c->endpoints[CONFIG_ENDPOINT_CONTROL], "ipc:///x/control.sock");
	config_free(&c);
}

/* Values at the edges of their ranges and both ways of writing integers. */
static void test_accepted_values(void)
{
	static const struct {
		const char *text;
		size_t offset;
		size_t width;  /* sizeof the field */
		uint64_t value;
	} cases[] = {
#define F(f) offsetof(struct kitchen_config, f), sizeof(((struct kitchen_config *) 0)->f)
		{ "chefs = { local = 0; };", F(chefs_local), 0 },
		{ "chefs = { local = 64; };", F(chefs_local), 64 },
		{ "chefs = { local = 5L; };", F(chefs_local), 5 },
		{ "chefs = { local = 0x20; };", F(chefs_local), 32 },
		{ "chefs = { threads = 1; };", F(chefs_threads), 1 },
		{ "chefs = { threads = 256L; };", F(chefs_threads), 256 },
		{ "timing = { prep_ms = 0; };", F(timing.prep_ms), 0 },
		{ "timing = { cook_ms = 3600000; };", F(timing.cook_ms), 3600000 },
		{ "timing = { season_ms = 3600000L; };", F(timing.season_ms), 3600000 },
		{ "timing = { cpu_work = 2147483647; };", F(timing.cpu_work), 2147483647 },
		{ "timing = { cpu_work = 2147483648L; };", F(timing.cpu_work), 2147483648ull },
		{ "timing = { cpu_work = 10000000000L; };", F(timing.cpu_work), 10000000000ull },
		{ "timing = { cpu_work = 0x7fffffff; };", F(timing.cpu_work), 0x7fffffff },
		{ "heartbeat = { interval_ms = 10; };", F(heartbeat_interval_ms), 10 },
		{ "heartbeat = { interval_ms = 60000; };", F(heartbeat_interval_ms), 60000 },
		{ "heartbeat = { liveness = 1; };", F(heartbeat_liveness), 1 },
		{ "heartbeat = { liveness = 100; };", F(heartbeat_liveness), 100 },
		{ "dishes = { max_attempts = 100; };", F(dishes_max_attempts), 100 },
		{ "dishes = { timeout_ms = 86400000; };", F(dishes_timeout_ms), 86400000 },
		{ "orders = { max_queued = 1; };", F(orders_max_queued), 1 },
		{ "orders = { max_queued = 100000000; };", F(orders_max_queued), 100000000 },
		{ "orders = { key_retention_s = 1; };", F(orders_key_retention_s), 1 },
		{ "orders = { key_retention_s = 31536000; };", F(orders_key_retention_s), 31536000 },
		{ "drain_timeout_ms = 3600000;", F(drain_timeout_ms), 3600000 },
		{ "history = { keep = \"7d\"; };", F(history_keep_s), 7 * 86400 },
		{ "history = { keep = \"12h\"; };", F(history_keep_s), 12 * 3600 },
		{ "history = { keep = \"30m\"; };", F(history_keep_s), 1800 },
		{ "history = { keep = \"45s\"; };", F(history_keep_s), 45 },
		{ "history = { keep = 90; };", F(history_keep_s), 90 },
		{ "history = { keep = 0; };", F(history_keep_s), 0 },
		{ "history = { keep = \"forever\"; };", F(history_keep_s), 0 },
		{ "history = { keep = \"36500d\"; };", F(history_keep_s), 36500ull * 86400 },
		{ "history = { max_orders = 1000000; };", F(history_max_orders), 1000000 },
		{ "history = { max_orders = 0; };", F(history_max_orders), 0 },
		/* numbers in comments, strings and names are not integers */
		{ "# 99999999999\n/* 99999999999 */ // 99999999999\n"
		  "chefs = { command = \"/opt/99999999999/chef\"; local = 7; };",
		  F(chefs_local), 7 },
		/* libconfig's float syntax is refused as a type, not as a number */
#undef F
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct kitchen_config *c = NULL;
		char err[512] = "";
		uint64_t v;
		int r = load_text(cases[i].text, &c, err, sizeof(err));

		if (r < 0) {
			tap_diag("'%s' refused: %s", cases[i].text, err);
			tap_failed = true;
			continue;
		}
		if (cases[i].width == sizeof(unsigned))
			v = *(unsigned *) ((char *) c + cases[i].offset);
		else
			v = *(uint64_t *) ((char *) c + cases[i].offset);
		if (v != cases[i].value) {
			tap_diag("'%s' gave %llu", cases[i].text, (unsigned long long) v);
			tap_failed = true;
		}
		config_free(&c);
	}
}

static void test_accepted_names(void)
{
	struct kitchen_config *c = NULL;
	char err[512] = "", text[8192], name64[PROTO_MAX_NAME + 1], utf64[PROTO_MAX_NAME + 1] = "";
	FILE *f;
	int r;

	memset(name64, 'n', PROTO_MAX_NAME);
	name64[PROTO_MAX_NAME] = '\0';
	for (int i = 0; i < PROTO_MAX_NAME / 2; i++)
		strcat(utf64, "\xc3\xa9"); /* é, 2 bytes */

	f = fmemopen(text, sizeof(text), "w");
	fprintf(f, "menu = ( { name = \"%s\"; ingredients = [ \"%s\"", name64, utf64);
	for (int i = 1; i < 32; i++)
		fprintf(f, ", \"i%d\"", i);
	fprintf(f, " ]; }, { name = \"%s\"; ingredients = [ \"%s\" ]; } );\n", utf64, name64);
	fclose(f);

	r = load_text(text, &c, err, sizeof(err));
	if (r < 0)
		tap_diag("%s", err);
	EXPECT(r == 0);
	if (c) {
		EXPECT(c->n_menu == 2);
		EXPECT(c->menu[0].n_ingredients == 32);
		EXPECT_STR(c->menu[0].name, name64);
		EXPECT_STR(c->menu[1].name, utf64);
	}
	config_free(&c);
}

static void test_max_dishes(void)
{
	struct kitchen_config *c = NULL;
	char err[512] = "", *text = NULL;
	size_t size = 0;
	FILE *f;
	int r;

	for (int n = 256; n <= 257; n++) {
		f = open_memstream(&text, &size);
		fputs("menu = (\n", f);
		for (int i = 0; i < n; i++)
			fprintf(f, "\t{ name = \"Dish %d\"; ingredients = [ \"Salt\" ]; }%s\n", i, i + 1 < n ? "," : "");
		fputs(");\n", f);
		fclose(f);
		r = load_text(text, &c, err, sizeof(err));
		if (n == 256) {
			if (r < 0)
				tap_diag("%s", err);
			EXPECT(r == 0);
			EXPECT(c && c->n_menu == 256);
			EXPECT(c && config_find_dish(c, "dish 255") == &c->menu[255]);
		} else {
			EXPECT(r == -EINVAL);
			EXPECT(strstr(err, ":1: menu: a menu has 1..256 dishes, not 257") != NULL);
		}
		config_free(&c);
		c = NULL;
		free(text);
		text = NULL;
	}

	/* 255 dishes that run a program fit a local chef's skills; the 256th is refused. */
	f = open_memstream(&text, &size);
	fputs("menu = (\n", f);
	for (int i = 0; i < 256; i++)
		fprintf(f, "\t{ name = \"Run %d\"; run = [ \"true\" ]; }%s\n", i, i + 1 < 256 ? "," : "");
	fputs(");\n", f);
	fclose(f);
	EXPECT(load_text(text, &c, err, sizeof(err)) == -EINVAL);
	EXPECT(strstr(err, ":257: menu: at most 255 dishes run a program") != NULL);
	config_free(&c);
	free(text);
}

static void test_missing_file(void)
{
	struct kitchen_config *c = NULL;
	char err[512] = "", path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	EXPECT(config_load(path, &c, err, sizeof(err)) == -ENOENT);
	EXPECT(c == NULL);
	EXPECT(strncmp(err, path, strlen(path)) == 0);
	/* a directory is not a file */
	EXPECT(config_load(tmpdir, &c, err, sizeof(err)) == -EISDIR);
	EXPECT(c == NULL);
	EXPECT(strncmp(err, tmpdir, strlen(tmpdir)) == 0);
}

static void test_nul_byte(void)
{
	static const char text[] = "chefs = { local = 2; };\n\0chefs = { local = 99; };\n";
	struct kitchen_config *c = NULL;
	char err[512] = "", expect[PATH_MAX + 16];
	FILE *f = fopen(conf_path, "we");

	EXPECT(f && fwrite(text, 1, sizeof(text) - 1, f) == sizeof(text) - 1);
	if (f)
		fclose(f);
	EXPECT(config_load(conf_path, &c, err, sizeof(err)) == -EINVAL);
	EXPECT(c == NULL);
	snprintf(expect, sizeof(expect), "%s:2: ", conf_path);
	EXPECT(strncmp(err, expect, strlen(expect)) == 0);
}

static void test_small_error_buffer(void)
{
	struct kitchen_config *c = NULL;
	char err[8];

	memset(err, 'x', sizeof(err));
	EXPECT(load_text("chefs = { local = 65; };\n", &c, err, sizeof(err)) == -EINVAL);
	EXPECT(memchr(err, '\0', sizeof(err)) != NULL);
	EXPECT(load_text("chefs = { local = 65; };\n", &c, NULL, 0) == -EINVAL);
	EXPECT(load_text("chefs = { local = 65 };\n", &c, err, 1) == -EINVAL);
	EXPECT(err[0] == '\0');
	EXPECT(c == NULL);
}

static void test_include(void)
{
	struct kitchen_config *c = NULL;
	char err[512] = "", inc[PATH_MAX], expect[PATH_MAX + 64];
	int r;

	/* relative to the including file, whatever the cwd */
	snprintf(inc, sizeof(inc), "%s/menu.inc", tmpdir);
	write_file(inc, "menu = ( { name = \"Soup\"; ingredients = [ \"Water\", \"Stone\" ]; } );\n");
	r = load_text("chefs = { local = 1; };\n@include \"menu.inc\"\n", &c, err, sizeof(err));
	if (r < 0)
		tap_diag("%s", err);
	EXPECT(r == 0);
	EXPECT(c && c->n_menu == 1 && strcmp(c->menu[0].name, "Soup") == 0);
	config_free(&c);
	c = NULL;

	/* libconfig 1.5 puts include_dir before an absolute name too: refused, at its line */
	snprintf(expect, sizeof(expect), "\n\n@include \"%s\"\n", inc);
	EXPECT(load_text(expect, &c, err, sizeof(err)) == -EINVAL);
	snprintf(expect, sizeof(expect), "%s:3: cannot open include file", conf_path);
	if (strncmp(err, expect, strlen(expect)) != 0) {
		tap_diag("got '%s', want '%s...'", err, expect);
		tap_failed = true;
	}

	/* errors in it name it */
	write_file(inc, "\n\nmenu = ( { name = \"Soup\"; ingredients = [ ]; } );\n");
	EXPECT(load_text("@include \"menu.inc\"\n", &c, err, sizeof(err)) == -EINVAL);
	snprintf(expect, sizeof(expect), "%s:3: menu[0].ingredients", inc);
	if (strncmp(err, expect, strlen(expect)) != 0) {
		tap_diag("got '%s', want '%s...'", err, expect);
		tap_failed = true;
	}

	/* so do syntax errors */
	write_file(inc, "\nchefs = { local = = 1; };\n");
	EXPECT(load_text("\n\n@include \"menu.inc\"\n", &c, err, sizeof(err)) == -EINVAL);
	snprintf(expect, sizeof(expect), "%s:2: syntax error", inc);
	if (strncmp(err, expect, strlen(expect)) != 0) {
		tap_diag("got '%s', want '%s...'", err, expect);
		tap_failed = true;
	}

	/* and a 32-bit int wrapping in it is caught too */
	write_file(inc, "\n\ntiming = { cpu_work = 10000000000; };\n");
	EXPECT(load_text("@include \"menu.inc\"\n", &c, err, sizeof(err)) == -EINVAL);
	snprintf(expect, sizeof(expect), "%s:3: 10000000000 does not fit", inc);
	if (strncmp(err, expect, strlen(expect)) != 0) {
		tap_diag("got '%s', want '%s...'", err, expect);
		tap_failed = true;
	}
	EXPECT(c == NULL);
	unlink(inc);
}

static void check_dump_round_trip(const struct kitchen_config *c);

static const char programs_conf[] =
	"menu = (\n"
	"\t{ name = \"Pizza\"; ingredients = [ \"Flour\" ]; },\n"
	"\t{\n"
	"\t\tname = \"Prime Check\";\n"
	"\t\trun = [ \"factor\", \"--\", \"{input}\" ];\n"
	"\t\tdir = \"/var/lib/kitchen\";\n"
	"\t\ttimeout = \"30s\";\n"
	"\t\tmax_output = 16777216;\n"
	"\t\tlimits = { cpu_seconds = 10; memory = 4294967296L; open_files = 64; };\n"
	"\t},\n"
	"\t{ name = \"Cat\"; run = ( \"cat\" ); timeout = 90; },\n"
	"\t{ name = \"Quote\"; run = [ \"/bin/sh\", \"-c\", \"echo \\\"$1\\\"\", \"sh\", \"{input}\" ]; timeout = \"none\"; }\n"
	");\n";

static void test_programs(void)
{
	struct kitchen_config *c = NULL;
	const struct config_program *p;
	char err[512] = "";

	EXPECT(load_text(programs_conf, &c, err, sizeof(err)) == 0);
	if (!c) {
		tap_diag("%s", err);
		return;
	}
	EXPECT(c->n_menu == 4);
	EXPECT(!c->menu[0].program && c->menu[0].n_ingredients == 1);
	p = c->menu[1].program;
	EXPECT(p && c->menu[1].n_ingredients == 0 && !c->menu[1].ingredients);
	if (p) {
		EXPECT_STR(p->argv[0], "factor");
		EXPECT_STR(p->argv[2], "{input}");
		EXPECT(p->argv[3] == NULL);
		EXPECT_STR(p->dir, "/var/lib/kitchen");
		EXPECT(p->timeout_ms == 30000 && p->max_output == 16777216);
		EXPECT(p->cpu_seconds == 10 && p->memory_bytes == 4294967296ull && p->open_files == 64);
	}
	p = c->menu[2].program;
	EXPECT(p && p->timeout_ms == 90000 && p->max_output == 1048576 && !p->dir && !p->cpu_seconds);
	p = c->menu[3].program;
	EXPECT(p && p->timeout_ms == 0);
	if (p)
		EXPECT_STR(p->argv[2], "echo \"$1\"");
	EXPECT(config_find_dish(c, "prime CHECK") == &c->menu[1]);
	check_dump_round_trip(c);
	config_free(&c);
}

/* The shipped example: the default menu, then two programs. */
static void test_programs_example(void)
{
	struct kitchen_config *c = NULL, *d = load_defaults();
	char err[512] = "";
	int r;

	if (!programs_example) {
		tap_diag("no etc/examples/programs.conf given");
		tap_failed = true;
		config_free(&d);
		return;
	}
	r = config_load(programs_example, &c, err, sizeof(err));
	if (r < 0)
		tap_diag("%s", err);
	EXPECT(r == 0);
	if (c) {
		EXPECT(c->n_menu == d->n_menu + 2);
		for (size_t i = 0; i < d->n_menu && i < c->n_menu; i++)
			EXPECT_STR(c->menu[i].name, d->menu[i].name);
		EXPECT(config_find_dish(c, "Prime Check") && config_find_dish(c, "Prime Check")->program);
		EXPECT(config_find_dish(c, "Fetch") && config_find_dish(c, "Fetch")->program);
		check_dump_round_trip(c);
	}
	config_free(&c);
	config_free(&d);
}

static void test_find_dish(void)
{
	struct kitchen_config *c = load_defaults();

	EXPECT(config_find_dish(c, "Pizza") == &c->menu[0]);
	EXPECT(config_find_dish(c, "pizza") == &c->menu[0]);
	EXPECT(config_find_dish(c, "PIZZA") == &c->menu[0]);
	EXPECT(config_find_dish(c, "chicken STIR fry") == &c->menu[2]);
	EXPECT(config_find_dish(c, "Salad") == &c->menu[4]);
	EXPECT(config_find_dish(c, "Pizz") == NULL);
	EXPECT(config_find_dish(c, "Pizzas") == NULL);
	EXPECT(config_find_dish(c, "") == NULL);
	EXPECT(config_find_dish(c, NULL) == NULL);
	EXPECT(config_find_dish(NULL, "Pizza") == NULL);
	config_free(&c);
	config_free(NULL);
}

/* Dump @c, load the dump, compare; then the second dump must read the same. */
static void check_dump_round_trip(const struct kitchen_config *c)
{
	struct kitchen_config *back = NULL;
	char *one = NULL, *two = NULL, err[512] = "";
	size_t n1 = 0, n2 = 0;
	FILE *f;
	int r;

	f = open_memstream(&one, &n1);
	EXPECT(config_dump(c, f) == 0);
	fclose(f);
	r = load_text(one, &back, err, sizeof(err));
	if (r < 0) {
		tap_diag("dump does not load: %s", err);
		fputs(one, stdout);
		tap_failed = true;
		free(one);
		return;
	}
	EXPECT(config_equal(c, back));
	f = open_memstream(&two, &n2);
	EXPECT(config_dump(back, f) == 0);
	fclose(f);
	/* the first line names the source, the rest must be identical */
	EXPECT(strchr(one, '\n') && strchr(two, '\n') && strcmp(strchr(one, '\n'), strchr(two, '\n')) == 0);
	free(one);
	free(two);
	config_free(&back);
}

static void test_dump_round_trip(void)
{
	struct kitchen_config *c = load_defaults();
	char err[512] = "";

	check_dump_round_trip(c);
	config_free(&c);
	c = NULL;

	EXPECT(load_text(full_conf, &c, err, sizeof(err)) == 0);
	if (c)
		check_dump_round_trip(c);
	config_free(&c);
	c = NULL;

	/* characters libconfig strings must escape */
	EXPECT(load_text("chefs = { command = \"/opt/a \\\"b\\\"\\\\c\"; };\n"
			"menu = ( { name = \"Quote \\\" Dish\"; ingredients = [ \"Back\\\\slash\", \"日本\" ]; } );\n",
			&c, err, sizeof(err)) == 0);
	if (c) {
		EXPECT_STR(c->chefs_command, "/opt/a \"b\"\\c");
		EXPECT_STR(c->menu[0].name, "Quote \" Dish");
		check_dump_round_trip(c);
	}
	config_free(&c);
}

struct bad_case {
	const char *name;
	const char *text;
	unsigned line;      /* expected in "FILE:LINE: " */
	const char *what;   /* expected somewhere after it */
};

#define LONG_DIR "/" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct bad_case bad_cases[] = {
	{ "syntax error", "chefs = {\n\tlocal = 3;\n\tthreads = = 1;\n};\n", 3, "syntax error" },
	{ "missing quote", "\nlog_level = \"info;\nstate_dir = \"/x\";\n", 3, "syntax error" },
	{ "unterminated group", "chefs = {\n\tlocal = 3;\n", 3, "syntax error" },
	{ "duplicate key", "chefs = {\n\tlocal = 3;\n\tlocal = 4;\n};\n", 3, "duplicate setting name" },
	{ "unknown key", "# comment\ncolour = \"red\";\n", 2, "unknown key 'colour'" },
	{ "unknown key in a group", "chefs = {\n\tlokal = 3;\n};\n", 2, "unknown key 'chefs.lokal'" },
	{ "unknown group", "\nfoo = { bar = 1; };\n", 2, "unknown key 'foo'" },
	{ "unknown key in a dish",
	  "menu = (\n\t{ name = \"X\"; ingredients = [ \"a\" ];\n\t  price = 3; }\n);\n", 3,
	  "unknown key 'menu[0].price'" },
	{ "group given a value", "endpoints = \"ipc:///x\";\n", 1, "endpoints must be a group" },
	{ "key given a group", "log_level = { level = \"info\"; };\n", 1, "log_level must be a string" },
	{ "log_level unknown", "\n\nlog_level = \"loud\";\n", 3, "log_level = \"loud\" is not one of" },
	{ "log_level not a string", "log_level = 7;\n", 1, "log_level must be a string" },
	{ "runtime_dir relative", "runtime_dir = \"run/kitchen\";\n", 1, "not an absolute path" },
	{ "runtime_dir empty", "runtime_dir = \"\";\n", 1, "runtime_dir must not be empty" },
	{ "runtime_dir control character", "runtime_dir = \"/run/a\\tb\";\n", 1, "control characters" },
	{ "runtime_dir too long for a socket", "runtime_dir = \"" LONG_DIR "\";\n", 1, "more than a unix socket takes" },
	{ "state_dir relative", "\nstate_dir = \"./state\";\n", 2, "state_dir = \"./state\" is not an absolute path" },
	{ "endpoint inproc", "endpoints = {\n\tcontrol = \"inproc://x\";\n};\n", 2,
	  "endpoints.control = \"inproc://x\" is not an ipc:// or tcp:// endpoint" },
	{ "endpoint udp", "endpoints = { events = \"udp://1.2.3.4:5\"; };\n", 1, "endpoints.events" },
	{ "endpoint prefix only", "endpoints = { sink = \"ipc://\"; };\n", 1, "endpoints.sink" },
	{ "endpoint not a string", "endpoints = { dispatch = 5555; };\n", 1, "endpoints.dispatch must be a string" },
	{ "endpoint ipc path too long", "endpoints = { dispatch = \"ipc://" LONG_DIR "/dispatch-socket.sock\"; };\n", 1,
	  "endpoints.dispatch: the socket path" },
	{ "chefs.local 65", "chefs = { local = 65; };\n", 1, "chefs.local = 65 is out of range (0..64)" },
	{ "chefs.local negative", "chefs = { local = -1; };\n", 1, "chefs.local = -1 is out of range" },
	{ "chefs.local a string", "chefs = { local = \"3\"; };\n", 1, "chefs.local must be an integer" },
	{ "chefs.local a float", "chefs = { local = 3.0; };\n", 1, "chefs.local must be an integer" },
	{ "chefs.local a bool", "chefs = { local = true; };\n", 1, "chefs.local must be an integer" },
	{ "chefs.local a long float", "chefs = { local = .12345678901; };\n", 1, "chefs.local must be an integer" },
	{ "chefs.local a float with exponent", "chefs = { local = 12345678901e-9; };\n", 1, "chefs.local must be an integer" },
	{ "chefs.local wraps in 32 bits", "chefs = {\n\tlocal = 4294967299;\n};\n", 2,
	  "4294967299 does not fit in a 32-bit integer; write it as 4294967299L" },
	{ "chefs.local huge int64", "chefs = { local = 99999999999999999999L; };\n", 1, "chefs.local" },
	{ "chefs.threads 0", "chefs = { threads = 0; };\n", 1, "chefs.threads = 0 is out of range (1..256)" },
	{ "chefs.threads 257", "chefs = { threads = 257; };\n", 1, "chefs.threads = 257" },
	{ "chefs.command empty", "chefs = { command = \"\"; };\n", 1, "chefs.command must not be empty" },
	{ "timing.prep_ms too long", "timing = { prep_ms = 3600001; };\n", 1, "timing.prep_ms = 3600001" },
	{ "timing.cook_ms too long", "timing = { cook_ms = 3600001L; };\n", 1, "timing.cook_ms" },
	{ "timing.season_ms too long", "timing = { season_ms = 3600001; };\n", 1, "timing.season_ms" },
	{ "timing.cpu_work too much", "timing = { cpu_work = 10000000001L; };\n", 1, "timing.cpu_work = 10000000001" },
	{ "timing.cpu_work without L", "timing = {\n\n\tcpu_work = 10000000000;\n};\n", 3, "write it as 10000000000L" },
	{ "timing.cpu_work hex without L", "timing = { cpu_work = 0x80000000; };\n", 1, "0x80000000L" },
	{ "heartbeat.interval_ms 9", "heartbeat = { interval_ms = 9; };\n", 1, "heartbeat.interval_ms = 9 is out of range (10..60000)" },
	{ "heartbeat.interval_ms 60001", "heartbeat = { interval_ms = 60001; };\n", 1, "heartbeat.interval_ms" },
	{ "heartbeat.liveness 0", "heartbeat = { liveness = 0; };\n", 1, "heartbeat.liveness = 0" },
	{ "heartbeat.liveness 101", "heartbeat = { liveness = 101; };\n", 1, "heartbeat.liveness = 101" },
	{ "dishes.max_attempts 0", "dishes = { max_attempts = 0; };\n", 1, "dishes.max_attempts = 0" },
	{ "dishes.max_attempts 101", "dishes = { max_attempts = 101; };\n", 1, "dishes.max_attempts = 101" },
	{ "dishes.timeout_ms a day and 1", "dishes = { timeout_ms = 86400001; };\n", 1, "dishes.timeout_ms" },
	{ "orders.max_queued 0", "orders = { max_queued = 0; };\n", 1, "orders.max_queued = 0 is out of range (1..100000000)" },
	{ "orders.max_queued 100000001", "orders = { max_queued = 100000001; };\n", 1, "orders.max_queued" },
	{ "orders.key_retention_s 0", "orders = { key_retention_s = 0; };\n", 1, "orders.key_retention_s = 0 is out of range (1..31536000)" },
	{ "orders.key_retention_s a year and 1", "orders = { key_retention_s = 31536001; };\n", 1, "orders.key_retention_s" },
	{ "drain_timeout_ms too long", "drain_timeout_ms = 3600001;\n", 1, "drain_timeout_ms = 3600001" },
	{ "history.keep without a unit", "history = {\n\tkeep = \"7\";\n};\n", 2,
	  "history.keep must be a duration: seconds, or a string such as \"45s\", \"30m\", \"12h\", \"7d\", or \"forever\"" },
	{ "history.keep in weeks", "history = { keep = \"2w\"; };\n", 1, "history.keep must be a duration" },
	{ "history.keep 7 d", "history = { keep = \"7 d\"; };\n", 1, "history.keep must be a duration" },
	{ "history.keep never", "history = { keep = \"never\"; };\n", 1, "history.keep must be a duration" },
	{ "history.keep a float", "history = { keep = 1.5; };\n", 1, "history.keep must be a duration" },
	{ "history.keep too long", "history = { keep = \"36501d\"; };\n", 1,
	  "history.keep = \"36501d\" is out of range (0s..3153600000s)" },
	{ "history.keep beyond 64 bits", "history = { keep = \"99999999999999999999d\"; };\n", 1, "history.keep" },
	{ "history.max_orders negative", "history = { max_orders = -1; };\n", 1, "history.max_orders = -1 is out of range" },
	{ "store.synchronous off", "store = {\n\tsynchronous = \"off\";\n};\n", 2,
	  "store.synchronous = \"off\" is not \"full\" or \"normal\"" },
	{ "store.synchronous FULL", "store = { synchronous = \"FULL\"; };\n", 1, "store.synchronous" },
	{ "control.mode not octal", "control = {\n\tmode = \"0668\";\n};\n", 2,
	  "control.mode = \"0668\" is not an octal file mode" },
	{ "control.mode with setuid", "control = { mode = \"4660\"; };\n", 1, "control.mode = \"4660\"" },
	{ "control.mode too short", "control = { mode = \"66\"; };\n", 1, "control.mode = \"66\"" },
	{ "control.mode a number", "control = { mode = 0660; };\n", 1, "control.mode must be a string" },
	{ "control.group empty", "control = { group = \"\"; };\n", 1, "control.group must not be empty" },
	{ "control.group with a colon", "control = { group = \"a:b\"; };\n", 1, "control.group = \"a:b\" is not a group name" },
	{ "curve.secret_key relative", "curve = {\n\tsecret_key = \"kitchend.key\";\n};\n", 2,
	  "curve.secret_key = \"kitchend.key\" is not an absolute path" },
	{ "curve.chefs_allow empty", "curve = { chefs_allow = \"\"; };\n", 1, "curve.chefs_allow must not be empty" },
	{ "curve.clients_allow relative", "curve = { clients_allow = \"clients.d\"; };\n", 1, "curve.clients_allow" },
	{ "curve.public_key unknown", "curve = { public_key = \"/etc/kitchen/kitchend.pub\"; };\n", 1,
	  "unknown key 'curve.public_key'" },
	{ "curve a string", "curve = \"on\";\n", 1, "curve must be a group" },
	{ "menu empty", "menu = ( );\n", 1, "menu: a menu has 1..256 dishes, not 0" },
	{ "menu an array", "menu = [ \"Pizza\" ];\n", 1, "menu must be a list" },
	{ "menu a group", "menu = { name = \"Pizza\"; };\n", 1, "menu must be a list" },
	{ "dish not a group", "menu = (\n\t\"Pizza\" );\n", 2, "menu[0] must be a group" },
	{ "dish without name", "menu = (\n\t{ ingredients = [ \"a\" ]; }\n);\n", 2, "menu[0] has no name" },
	{ "dish without ingredients", "menu = ( { name = \"A\"; ingredients = [ \"a\" ]; },\n\t{ name = \"B\"; } );\n", 2,
	  "menu[1] has no ingredients" },
	{ "dish name empty", "menu = ( { name = \"\"; ingredients = [ \"a\" ]; } );\n", 1,
	  "menu[0].name: dish names are 1..64 bytes, not 0" },
	{ "dish name 65 bytes",
	  "menu = ( { name = \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; ingredients = [ \"a\" ]; } );\n",
	  1, "not 65" },
	{ "dish name 66 bytes of UTF-8",
	  "menu = ( { name = \"ééééééééééééééééééééééééééééééééé\"; ingredients = [ \"a\" ]; } );\n", 1, "not 66" },
	{ "dish name not UTF-8", "menu = ( { name = \"Pizz\xe0\"; ingredients = [ \"a\" ]; } );\n", 1,
	  "menu[0].name must be UTF-8 text" },
	{ "dish name multiline", "menu = ( { name = \"Pi\\nzza\"; ingredients = [ \"a\" ]; } );\n", 1,
	  "menu[0].name must be UTF-8 text" },
	{ "dish name a number", "menu = ( { name = 42; ingredients = [ \"a\" ]; } );\n", 1, "menu[0].name must be a string" },
	{ "duplicate dish",
	  "menu = (\n\t{ name = \"Pizza\"; ingredients = [ \"a\" ]; },\n\t{ name = \"Salad\"; ingredients = [ \"b\" ]; },\n"
	  "\t{ name = \"PIZZA\"; ingredients = [ \"c\" ]; }\n);\n",
	  4, "menu[2]: dish \"PIZZA\" is already on the menu as \"Pizza\"" },
	{ "duplicate dish but for Unicode case",
	  "menu = (\n\t{ name = \"Brûlée\"; ingredients = [ \"a\" ]; },\n\t{ name = \"BRÛLÉE\"; ingredients = [ \"b\" ]; }\n);\n",
	  3, "menu[1]: dish \"BRÛLÉE\" is already on the menu as \"Brûlée\"" },
	{ "no ingredients", "menu = (\n\t{ name = \"Air\";\n\t  ingredients = [ ]; }\n);\n", 3,
	  "menu[0].ingredients: a dish has 1..32 ingredients, not 0" },
	{ "33 ingredients",
	  "menu = ( { name = \"Stew\"; ingredients = [ \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\", \"10\","
	  " \"11\", \"12\", \"13\", \"14\", \"15\", \"16\", \"17\", \"18\", \"19\", \"20\", \"21\", \"22\", \"23\", \"24\","
	  " \"25\", \"26\", \"27\", \"28\", \"29\", \"30\", \"31\", \"32\", \"33\" ]; } );\n",
	  1, "not 33" },
	{ "ingredients a string", "menu = ( { name = \"A\"; ingredients = \"Flour\"; } );\n", 1,
	  "menu[0].ingredients must be an array" },
	{ "ingredient a number", "menu = ( { name = \"A\"; ingredients = [ 1, 2 ]; } );\n", 1,
	  "menu[0].ingredients[0] must be a string" },
	{ "ingredient in a list a number", "menu = ( { name = \"A\"; ingredients = ( \"a\",\n 2 ); } );\n", 2,
	  "menu[0].ingredients[1] must be a string" },
	{ "ingredient empty", "menu = ( { name = \"A\"; ingredients = [ \"a\", \"\" ]; } );\n", 1,
	  "menu[0].ingredients[1]: ingredient names are 1..64 bytes, not 0" },
	{ "program and ingredients", "menu = ( { name = \"A\"; ingredients = [ \"a\" ];\n\trun = [ \"true\" ]; } );\n", 2,
	  "menu[0] has both ingredients and a program" },
	{ "ingredients and a timeout", "menu = ( { name = \"A\";\n\tingredients = [ \"a\" ]; timeout = \"5s\"; } );\n", 2,
	  "menu[0] has both ingredients and a program" },
	{ "program without run", "menu = (\n\t{ name = \"A\"; timeout = \"5s\"; } );\n", 2,
	  "menu[0] has no ingredients and no run" },
	{ "run a string", "menu = ( { name = \"A\"; run = \"factor {input}\"; } );\n", 1, "menu[0].run must be an array" },
	{ "run empty", "menu = ( { name = \"A\"; run = [ ]; } );\n", 1, "menu[0].run: a program has 1..64 elements" },
	{ "run[0] empty", "menu = ( { name = \"A\";\n\trun = [ \"\", \"x\" ]; } );\n", 2,
	  "menu[0].run[0], the program, must not be empty" },
	{ "run[0] the input", "menu = ( { name = \"A\"; run = [ \"{input}\" ]; } );\n", 1, "cannot be the input" },
	{ "run two inputs", "menu = ( { name = \"A\"; run = [ \"cat\", \"{input}\",\n\t\"{input}\" ]; } );\n", 2,
	  "menu[0].run has more than one \"{input}\"" },
	{ "run with a control character", "menu = ( { name = \"A\"; run = [ \"echo\", \"a\\nb\" ]; } );\n", 1,
	  "menu[0].run[1] must be UTF-8 text" },
	{ "run a number", "menu = ( { name = \"A\"; run = ( \"echo\", 5 ); } );\n", 1, "menu[0].run[1] must be a string" },
	{ "dir relative", "menu = ( { name = \"A\"; run = [ \"x\" ]; dir = \"tmp\"; } );\n", 1,
	  "dir = \"tmp\" is not an absolute path" },
	{ "timeout a day and 1", "menu = ( { name = \"A\"; run = [ \"x\" ]; timeout = 86401; } );\n", 1,
	  "timeout = 86401 is out of range" },
	{ "timeout in ms", "menu = ( { name = \"A\"; run = [ \"x\" ]; timeout = \"500ms\"; } );\n", 1,
	  "timeout must be a duration" },
	{ "max_output 0", "menu = ( { name = \"A\"; run = [ \"x\" ]; max_output = 0; } );\n", 1,
	  "max_output = 0 is out of range (1..16777216)" },
	{ "max_output over 16 MiB", "menu = ( { name = \"A\"; run = [ \"x\" ]; max_output = 16777217; } );\n", 1,
	  "max_output = 16777217" },
	{ "limits unknown", "menu = ( { name = \"A\"; run = [ \"x\" ];\n\tlimits = { nice = 5; }; } );\n", 2,
	  "unknown key 'limits.nice'" },
	{ "limits a number", "menu = ( { name = \"A\"; run = [ \"x\" ]; limits = 5; } );\n", 1, "limits must be a group" },
	{ "memory without L", "menu = ( { name = \"A\"; run = [ \"x\" ]; limits = { memory = 4294967296; }; } );\n", 1,
	  "write it as 4294967296L" },
	{ "open_files too many", "menu = ( { name = \"A\"; run = [ \"x\" ]; limits = { open_files = 1048577; }; } );\n", 1,
	  "limits.open_files = 1048577" },
	{ "ingredient control character", "menu = ( { name = \"A\"; ingredients = [ \"a\\x07\" ]; } );\n", 1,
	  "menu[0].ingredients[0] must be UTF-8 text" },
};

static bool run_bad_case(const struct bad_case *b)
{
	struct kitchen_config *c = NULL;
	char err[512] = "", prefix[PATH_MAX + 32];
	int r = load_text(b->text, &c, err, sizeof(err));

	snprintf(prefix, sizeof(prefix), "%s:%u: ", conf_path, b->line);
	if (r != -EINVAL || c) {
		tap_diag("got %d (%s), want -EINVAL", r, err);
		config_free(&c);
		return false;
	}
	if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err + strlen(prefix), b->what)) {
		tap_diag("got '%s'", err);
		tap_diag("want '%s...%s...'", prefix, b->what);
		return false;
	}
	return true;
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{ "defaults without a file", test_defaults },
	{ "a file setting every key", test_full_file },
	{ "an empty file means the defaults", test_empty_file },
	{ "etc/kitchen.conf means the defaults", test_shipped_conf },
	{ "etc/kitchen.conf uncommented shows the defaults", test_shipped_conf_uncommented },
	{ "runtime_dir moves the endpoints", test_runtime_dir_moves_endpoints },
	{ "range edges and integer forms accepted", test_accepted_values },
	{ "names of 64 bytes and 32 ingredients accepted", test_accepted_names },
	{ "256 dishes accepted, 257 refused", test_max_dishes },
	{ "missing file and directory refused with errno", test_missing_file },
	{ "a NUL byte refused", test_nul_byte },
	{ "error buffer too small or NULL", test_small_error_buffer },
	{ "@include relative to the file, errors name it", test_include },
	{ "config_find_dish is case-insensitive", test_find_dish },
	{ "menu dishes that run programs, read and dumped", test_programs },
	{ "etc/examples/programs.conf: the default menu and two programs", test_programs_example },
	{ "config_dump round-trips", test_dump_round_trip },
};

int main(int argc, char **argv)
{
	size_t n_cases = ELEMENTSOF(cases);
	size_t n_bad = ELEMENTSOF(bad_cases);
	unsigned failed = 0, k = 0;

	shipped_conf = argc > 1 ? argv[1] : getenv("KITCHEN_CONF");
	programs_example = argc > 2 ? argv[2] : NULL;
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 99;
	}
	snprintf(conf_path, sizeof(conf_path), "%s/kitchen.conf", tmpdir);

	printf("1..%zu\n", n_cases + n_bad);
	for (size_t i = 0; i < n_cases; i++) {
		tap_failed = false;
		cases[i].run();
		printf("%s %u - %s\n", tap_failed ? "not ok" : "ok", ++k, cases[i].name);
		failed += tap_failed;
	}
	for (size_t i = 0; i < n_bad; i++) {
		bool ok = run_bad_case(&bad_cases[i]);

		printf("%s %u - refused: %s\n", ok ? "ok" : "not ok", ++k, bad_cases[i].name);
		failed += !ok;
	}

	unlink(conf_path);
	rmdir(tmpdir);
	return failed ? 1 : 0;
}
