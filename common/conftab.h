/*
 * conftab — a table of typed keys read from a libconfig file.
 *
 * A loader (config.c for kitchen.conf, chef_config.c for chef.conf) names its
 * keys in one table: the key's name ("key", or "group.key": one level of
 * groups), its type, the offset of its field in the loader's struct, and its
 * range or its check. conftab walks a parsed file against that table and
 * stores each value in its field, so a key added to the table is read,
 * refused when wrong (and dumped) alike:
 *
 *	static const struct conftab_key keys[] = {
 *		{ "log_level", CONFTAB_STRING, offsetof(struct foo, log_level), .check = conftab_check_log_level },
 *		{ "pool.size", CONFTAB_UNSIGNED, offsetof(struct foo, pool_size), .min = 1, .max = 64 },
 *	};
 *	struct conftab t = { .keys = keys, .n_keys = ELEMENTSOF(keys), .path = path, .err = err, .err_size = n };
 *	r = conftab_read_file(&t, foo);
 *
 * Every function that refuses something returns -errno (-EINVAL for a bad
 * file) with one reason in t->err, "FILE:LINE: what is wrong": FILE is the
 * file the setting came from (an @included one is named as libconfig opened
 * it), else t->path. A key the table does not name is refused ("unknown key
 * 'group.key'"), so a typo never falls back to a default silently. Values are
 * stored as they are read: on failure the object may hold some of them, and
 * its owner frees it whole.
 *
 * libconfig 1.5 has two habits conftab_read_file() guards against: an integer
 * literal beyond 32 bits without an L is wrapped silently (it is refused,
 * "... does not fit in a 32-bit integer; write it as NL"), and it exit()s on an
 * @include of a directory (what is not a regular file is refused; includes
 * nest at most 10 deep). @include names are relative to the directory of the
 * file: libconfig prefixes even an absolute name with it, so one cannot be
 * included. A file is at most 16 MiB and holds no NUL byte. libconfig reads
 * an included file again on every path to it, so the whole tree is bounded:
 * at most 64 files read in all, each read counted, and 16 MiB of them
 * ("FILE:LINE: @include: more than 64 files or 16 MiB included in all").
 *
 * libconfig's types appear here only for the loaders inside common/: what a
 * loader hands out is its own plain struct, every string copied.
 */
#pragma once

#include <libconfig.h>
#include <stdint.h>
#include <stdio.h>

enum conftab_type {
	CONFTAB_STRING,    /* char *: a copy, the old value freed; .check says what it may hold */
	CONFTAB_UNSIGNED,  /* unsigned: an integer .min..max (max at most UINT_MAX) */
	CONFTAB_U64,       /* uint64_t: an integer .min..max */
	CONFTAB_DURATION,  /* uint64_t seconds: an integer (seconds), or a string "45s", "30m",
			    * "12h", "7d" (one number, one unit); .zero is a word for 0 ("forever"),
			    * 0 itself when .min allows; .min..max in seconds; dumped in the largest
			    * unit that divides it */
	CONFTAB_CUSTOM,    /* .read takes the setting whole: a list, a group of its own */
};

struct conftab;

/* @v is the string value of @s, the key called @name: 0, or conftab_fail(). */
typedef int (*conftab_check_fn)(struct conftab *t, const config_setting_t *s, const char *name, const char *v);

struct conftab_key {
	const char *name;
	enum conftab_type type;
	size_t offset;             /* of the field in the loader's struct */
	uint64_t min, max;         /* CONFTAB_UNSIGNED, CONFTAB_U64 */
	conftab_check_fn check;    /* CONFTAB_STRING: required */
	int (*read)(struct conftab *t, void *obj, const config_setting_t *s);  /* CONFTAB_CUSTOM */
	const char *unset;         /* CONFTAB_STRING left NULL: what that means, for conftab_dump() */
	const char *zero;          /* CONFTAB_DURATION: the word for 0, or NULL */
};

/* One file being read: the caller sets the first five, zeroes the rest. */
struct conftab {
	const struct conftab_key *keys;
	size_t n_keys;
	const char *path;          /* the file; NULL: no file (messages name none) */
	char *err;                 /* NULL or err_size 0: no reason kept */
	size_t err_size;

	const char *include_dir;   /* while conftab_read_file() runs: where @include names start */
	unsigned include_depth;
	unsigned include_files;    /* files @included so far, each read counted */
	size_t include_bytes;      /* and their bytes */
};

/* Read t->path (above: the literal and @include checks, then libconfig) and
 * walk it into @obj. A file that cannot be read gives "PATH: cannot read: %m". */
int conftab_read_file(struct conftab *t, void *obj);

/* Walk @root, a file libconfig has parsed, into @obj: every setting must be
 * a key of the table or a group holding only such keys. */
int conftab_walk(struct conftab *t, void *obj, const config_setting_t *root);

/* "FILE:LINE: " about @s (or "PATH: " when @s is NULL, or nothing without a
 * path) and the message into t->err; returns -EINVAL. */
int conftab_fail(struct conftab *t, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "PATH: WHAT: strerror(-r)" into t->err; returns @r. */
int conftab_fail_errno(struct conftab *t, int r, const char *what);

/* @s's full name for a message: "menu[2].ingredients[0]". */
void conftab_setting_name(const config_setting_t *s, char *buf, size_t size);

/* Checks for CONFTAB_STRING keys, each refusing with "NAME ..." at @s's line. */
int conftab_check_text(struct conftab *t, const config_setting_t *s, const char *name, const char *v);  /* not empty, UTF-8 without controls */
int conftab_check_path(struct conftab *t, const config_setting_t *s, const char *name, const char *v);  /* text, and absolute */
int conftab_check_endpoint(struct conftab *t, const config_setting_t *s, const char *name, const char *v);  /* text, ipc://X or tcp://X */
int conftab_check_log_level(struct conftab *t, const config_setting_t *s, const char *name, const char *v);  /* err, warning, notice, info, debug */
int conftab_check_chef_model(struct conftab *t, const config_setting_t *s, const char *name, const char *v);  /* CHEF_MODEL_* */

/* Write the keys of @obj in libconfig syntax, in table order, a group where
 * the names go on with one ("a.x", "a.y": a = { x = ...; y = ...; };). A NULL
 * string is written as a comment with its .unset; CONFTAB_CUSTOM keys are left
 * to the caller. Integers beyond 32 bits get their L. */
void conftab_dump(const struct conftab_key *keys, size_t n_keys, const void *obj, FILE *f);

/* @s as a libconfig string literal, quotes and backslashes escaped. */
void conftab_dump_string(FILE *f, const char *s);
