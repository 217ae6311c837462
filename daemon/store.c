#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "sql.h"
#include "store_check.h"
#include "store_ids.h"
#include "store_list.h"
#include "store_v1.h"
#include "store_vfs.h"
#include "store_writer.h"
#include "util.h"

/* The read connection's statements; the writes are store_writer.c's. */
enum stmt {
	STMT_FIND_KEY,
	STMT_GET_ORDER,
	STMT_GET_DISHES,
	STMT_OPEN_ORDERS,
	STMT_GET_INPUTS,
	STMT_GET_OUTPUTS,
	STMT_GET_STATES,
	_STMT_MAX,
};

static const char *const stmt_sql[_STMT_MAX] = {
	[STMT_FIND_KEY] = "SELECT id, created_ms FROM orders WHERE key = ?",
	[STMT_GET_ORDER] = ("SELECT id, created_ms, dishes, first_dish, names, priority, due_ms, finished_ms "
			    "FROM orders WHERE id = ?"),
	/* The rowid range of an order's dishes: no index needed, already in order. */
	[STMT_GET_DISHES] = ("SELECT id, state, attempts, chef, result, detail, started_ms, finished_ms FROM dishes "
			     "WHERE id >= ?1 AND id < ?2 ORDER BY id"),
	[STMT_OPEN_ORDERS] = ("SELECT id, created_ms, dishes, first_dish, names, priority, due_ms, finished_ms "
			      "FROM orders WHERE done = 0 ORDER BY id"),
	[STMT_GET_INPUTS] = "SELECT id, input FROM inputs WHERE id >= ?1 AND id < ?2 ORDER BY id",
	[STMT_GET_OUTPUTS] = ("SELECT id, state, CASE state WHEN 2 THEN result ELSE NULL END FROM dishes "
			      "WHERE id >= ?1 AND id < ?2 AND state != 0 ORDER BY id"),
	[STMT_GET_STATES] = "SELECT id, done, dishes FROM orders WHERE id >= ?1 AND id < ?2 ORDER BY id",
};

/* Schema 5, see store.h. Created on an empty file, or by a conversion. */
static const char schema_sql[] =
	"CREATE TABLE orders ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT UNIQUE,"
	"  created_ms INTEGER NOT NULL,"
	"  dishes INTEGER NOT NULL,"
	"  first_dish INTEGER NOT NULL,"
	"  done INTEGER NOT NULL DEFAULT 0,"  /* 0 open, else the final dish_state */
	"  names TEXT NOT NULL,"              /* '\n'-joined, in index order */
	"  priority INTEGER NOT NULL DEFAULT 5,"
	"  due_ms INTEGER NOT NULL DEFAULT 0,"
	"  finished_ms INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX orders_open ON orders(done) WHERE done = 0;"
	"CREATE INDEX orders_finished ON orders(finished_ms) WHERE done != 0;"
	"CREATE TABLE dishes ("
	"  id INTEGER PRIMARY KEY,"
	"  state INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL,"
	"  chef TEXT NOT NULL DEFAULT '',"
	"  result TEXT NOT NULL DEFAULT '',"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  started_ms INTEGER NOT NULL DEFAULT 0,"
	"  finished_ms INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE inputs ("
	"  id INTEGER PRIMARY KEY,"
	"  input BLOB NOT NULL"
	");"
	"PRAGMA user_version = 5;";

/* Schema 2 to 3: the columns of priorities, delays and retention. An order
 * finished before has its creation for its finish. */
static const char convert_v2_sql[] =
	"ALTER TABLE orders ADD COLUMN priority INTEGER NOT NULL DEFAULT 5;"
	"ALTER TABLE orders ADD COLUMN due_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE orders ADD COLUMN finished_ms INTEGER NOT NULL DEFAULT 0;"
	"UPDATE orders SET finished_ms = created_ms WHERE done != 0;"
	"CREATE INDEX orders_finished ON orders(finished_ms) WHERE done != 0;"
	"PRAGMA user_version = 3;";

/* Schema 3 to 4: the dishes' inputs. */
static const char convert_v3_sql[] =
	"CREATE TABLE inputs ("
	"  id INTEGER PRIMARY KEY,"
	"  input BLOB NOT NULL"
	");"
	"PRAGMA user_version = 4;";

/* Schema 4 to 5: when each dish's last attempt started and when it ended;
 * 0 for the dishes recorded before (a new column's default: no rewrite). */
static const char convert_v4_sql[] =
	"ALTER TABLE dishes ADD COLUMN started_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE dishes ADD COLUMN finished_ms INTEGER NOT NULL DEFAULT 0;"
	"PRAGMA user_version = 5;";

/* What retention deleted, so that store_count() counts it still: one row.
 * Made on every open, where missing (a store of version 3 made before it). */
static const char pruned_sql[] =
	"CREATE TABLE IF NOT EXISTS pruned ("
	"  orders INTEGER NOT NULL,"
	"  served INTEGER NOT NULL,"
	"  failed INTEGER NOT NULL,"
	"  cancelled INTEGER NOT NULL"
	");"
	"INSERT INTO pruned SELECT 0, 0, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM pruned);";

_Static_assert(STORE_SCHEMA_VERSION == 5, "schema_sql and the conversions write version 5");
_Static_assert(PROTO_PRIORITY_DEFAULT == 5, "the schema's default priority");

/* A dish row read back; its strings are offsets into store.text. */
struct row {
	uint64_t id;
	unsigned attempts;
	enum proto_state state;
	size_t chef, result, detail;
	size_t result_len;
	uint64_t started_ms, finished_ms;
};

/* An input read back: its bytes at an offset into store.text. */
struct input_row {
	uint64_t id;
	size_t at, len;
};

/*
 * The idempotency key of an order not yet committed, which the read
 * connection cannot see: in a hash chain for store_find_key(), and in a
 * list in batch order, to be dropped once its batch is committed.
 */
struct mem_key {
	char *key;
	uint64_t order_id, created_ms, batch;
	bool forgotten;                 /* expired: the record taking it off follows */
	struct mem_key *chain, *next;
};

#define KEY_BUCKETS 1024

struct store {
	sqlite3 *db;                    /* the read connection, the caller's thread */
	sqlite3_stmt *stmt[_STMT_MAX];
	struct store_lister *lister;    /* store_list(), on the read connection */
	struct store_writer *writer;    /* the writes, on their own thread and connection */
	bool converted;                 /* by store_open(), from converted_from */
	unsigned converted_from;
	uint64_t converted_orders;
	bool checked;                   /* store_open()'s check ran to its end */
	uint64_t lost_first, lost_last; /* the loss store_open() accepted; 0: none */
	uint64_t floor_order, floor_dish;  /* ids used or reserved before this open */
	char error[256];                /* the reason of the last failure */
	struct mem_key *keys[KEY_BUCKETS];
	struct mem_key *keys_head, *keys_tail;
	/* Scratch for reading an order back, kept for the next one. */
	struct row *rows;
	size_t rows_cap;
	char *text;
	size_t text_len, text_cap;
	struct input_row *inputs;
	size_t inputs_cap;
};


bool store_converted(const struct store *s, unsigned *ret_from, uint64_t *ret_orders)
{
	if (s->converted && ret_from)
		*ret_from = s->converted_from;
	if (s->converted && ret_orders)
		*ret_orders = s->converted_orders;
	return s->converted;
}

bool store_checked(const struct store *s)
{
	return s->checked;
}

bool store_lost_orders(const struct store *s, uint64_t *ret_first, uint64_t *ret_last)
{
	if (s->lost_first && ret_first)
		*ret_first = s->lost_first;
	if (s->lost_first && ret_last)
		*ret_last = s->lost_last;
	return s->lost_first != 0;
}

const char *store_error(const struct store *s)
{
	return s->error;
}

/* Keep the reason of failure @r (SQLite's, else the errno's) for store_error(). */
static int fail(struct store *s, int r)
{
	if (r < 0)
		snprintf(s->error, sizeof(s->error), "%s", *sql_last_error() ? sql_last_error() : strerror(-r));
	sql_clear_error();
	return r;
}

/* ---- keys of orders not yet committed ---- */

static size_t key_bucket(const char *key)
{
	uint64_t h = 14695981039346656037ULL;  /* FNV-1a */

	for (const unsigned char *p = (const unsigned char *) key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t) (h % KEY_BUCKETS);
}

static int key_remember(struct store *s, const char *key, uint64_t order_id, uint64_t created_ms)
{
	struct mem_key *e = calloc(1, sizeof(*e));
	size_t b = key_bucket(key);

	if (!e || !(e->key = strdup(key))) {
		free(e);
		return -ENOMEM;
	}
	e->order_id = order_id;
	e->created_ms = created_ms;
	e->batch = store_writer_current(s->writer);
	e->chain = s->keys[b];
	s->keys[b] = e;
	if (s->keys_tail)
		s->keys_tail->next = e;
	else
		s->keys_head = e;
	s->keys_tail = e;
	return 0;
}

static struct mem_key *key_lookup(struct store *s, const char *key)
{
	for (struct mem_key *e = s->keys[key_bucket(key)]; e; e = e->chain)
		if (!e->forgotten && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Take @e, which follows @prev in the list (NULL: the first), out of both and free it. */
static void key_unlink(struct store *s, struct mem_key *prev, struct mem_key *e)
{
	struct mem_key **p = &s->keys[key_bucket(e->key)];

	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	if (prev)
		prev->next = e->next;
	else
		s->keys_head = e->next;
	if (s->keys_tail == e)
		s->keys_tail = prev;
	free(e->key);
	free(e);
}

/* Drop the keys of batches up to @committed: the read connection sees them. */
static void keys_committed(struct store *s, uint64_t committed)
{
	while (s->keys_head && s->keys_head->batch <= committed)
		key_unlink(s, NULL, s->keys_head);
}

/* ---- the batches ---- */

int store_fd(const struct store *s)
{
	return store_writer_fd(s->writer);
}

void store_hand_over(struct store *s)
{
	store_writer_hand_over(s->writer);
}

int store_poll(struct store *s, uint64_t *ret_committed)
{
	int r = store_writer_poll(s->writer, ret_committed);

	keys_committed(s, *ret_committed);
	if (r < 0)
		snprintf(s->error, sizeof(s->error), "%s", store_writer_error(s->writer));
	return r;
}

int store_size(struct store *s, uint64_t *ret_bytes)
{
	return sql_query_u64(s->db, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
			     ret_bytes);
}

void store_commit_times(struct store *s, struct metrics_hist *h)
{
	store_writer_commit_times(s->writer, h);
}

int store_sync(struct store *s)
{
	int r = store_writer_sync(s->writer);

	keys_committed(s, store_writer_committed(s->writer));
	if (r < 0)
		snprintf(s->error, sizeof(s->error), "%s", store_writer_error(s->writer));
	return r;
}

bool store_full(const struct store *s)
{
	return store_writer_full(s->writer);
}

int store_pin_order(struct store *s, uint64_t order_id)
{
	return store_writer_pin(s->writer, order_id);
}

int store_drop_order(struct store *s, uint64_t order_id)
{
	struct mem_key *prev = NULL;
	int r = store_writer_drop_order(s->writer, order_id);

	if (r < 0)
		return r;
	for (struct mem_key *e = s->keys_head; e; prev = e, e = e->next)
		if (e->order_id == order_id) {
			key_unlink(s, prev, e);
			break;
		}
	return 0;
}

uint64_t store_written(const struct store *s)
{
	return store_writer_written(s->writer);
}

uint64_t store_committed(const struct store *s)
{
	return store_writer_committed(s->writer);
}

/* ---- retention ---- */

void store_set_retention(struct store *s, const struct store_retention *r)
{
	store_writer_set_retention(s->writer, r);
}

void store_pruned(struct store *s, struct store_pruned *ret, char *why, size_t why_size)
{
	store_writer_pruned(s->writer, ret, why, why_size);
}

int store_prune_sync(struct store *s)
{
	int r = store_writer_prune_sync(s->writer);

	if (r < 0) {
		char why[sizeof(s->error)];
		struct store_pruned ignored;

		store_writer_pruned(s->writer, &ignored, why, sizeof(why));
		snprintf(s->error, sizeof(s->error), "%s", why);
	}
	return r;
}

/* ---- opening ---- */

/* Refuse a newer schema before anything is written (even the journal mode). */
static int check_version(sqlite3 *db)
{
	uint64_t version;
	int r = sql_query_u64(db, "PRAGMA user_version", &version);

	if (r < 0)
		return r;
	if (version > STORE_SCHEMA_VERSION) {
		sql_set_error("kitchen.db is of schema version %llu, written by a newer kitchend "
			      "(this one knows up to %d); it is left untouched",
			      (unsigned long long) version, STORE_SCHEMA_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* Bring the file to STORE_SCHEMA_VERSION, in one transaction. */
static int set_up_schema(struct store *s, sqlite3 *db)
{
	uint64_t version = 0, n_orders = 0;
	int r;

	/* IMMEDIATE: what the version says stays true until the commit. */
	r = sql_exec(db, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = sql_query_u64(db, "PRAGMA user_version", &version);
	if (r >= 0) {
		if (version == 0)
			r = sql_exec(db, schema_sql);
		else if (version == 1) {
			r = store_v1_convert(db, schema_sql, &n_orders);
			if (r == -EBADMSG)
				sql_set_error("kitchen.db is of schema version 1 with dishes numbered in a way this "
					      "kitchend cannot convert; it is left untouched");
			if (r >= 0)
				r = sql_exec(db, "UPDATE orders SET finished_ms = created_ms WHERE done != 0;");
		} else if (version >= 2 && version <= 4) {
			r = version == 2 ? sql_exec(db, convert_v2_sql) : 0;
			if (r >= 0 && version <= 3)
				r = sql_exec(db, convert_v3_sql);
			if (r >= 0)
				r = sql_exec(db, convert_v4_sql);
			if (r >= 0)
				r = sql_query_u64(db, "SELECT count(*) FROM orders", &n_orders);
		}
		else if (version > STORE_SCHEMA_VERSION)
			r = check_version(db);  /* written meanwhile */
	}
	if (r >= 0)
		r = sql_exec(db, pruned_sql);
	if (r >= 0)
		r = sql_exec(db, "COMMIT");
	if (r < 0) {
		(void) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	if (version >= 1 && version < STORE_SCHEMA_VERSION) {
		s->converted_from = (unsigned) version;
		s->converted = true;
		s->converted_orders = n_orders;
	}
	return 0;
}

static int open_db(const char *path, sqlite3 **ret)
{
	int one = 1, r;

	/* The writer's -wal writes are gathered (store_vfs.h), once
	 * open_writer() says its commits sync. */
	r = store_vfs_register();
	if (r < 0)
		return r;
	if (sqlite3_open_v2(path, ret, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, STORE_VFS_NAME) != SQLITE_OK)
		return *ret ? sql_error(*ret, path) : -ENOMEM;
	/* SQLite falls back to reading a file it may not write. */
	if (sqlite3_db_readonly(*ret, "main") == 1) {
		sql_set_error("attempt to write a readonly database");
		return -EROFS;
	}
	sqlite3_busy_timeout(*ret, 5000);
	/* The -wal and -shm stay when the last connection closes: a store can
	 * then be opened again on a full disk (the -shm needs space when it is
	 * made); see store_writer_free() for the -wal. */
	sqlite3_file_control(*ret, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	return 0;
}

/* The store's next ids and highest order id, on @db. */
static int next_ids(sqlite3 *db, uint64_t *ret_order_id, uint64_t *ret_dish_id)
{
	uint64_t o, d, after_rows;
	int r;

	/* Ids only grow, orders' and dishes' together: the last order holds
	 * the highest dish ids. The dishes table is asked too, in case. */
	r = sql_query_u64(db, "SELECT IFNULL(MAX(id), 0) + 1 FROM orders", &o);
	if (r >= 0)
		r = sql_query_u64(db, "SELECT IFNULL((SELECT first_dish + dishes FROM orders ORDER BY id DESC LIMIT 1), 1)", &d);
	if (r >= 0)
		r = sql_query_u64(db, "SELECT IFNULL(MAX(id), 0) + 1 FROM dishes", &after_rows);
	if (r < 0)
		return r;
	*ret_order_id = o;
	*ret_dish_id = d > after_rows ? d : after_rows;
	return 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * The id file against the store (store.h): create it for a store that has
 * none, refuse a store older than it (or accept that once), and set the
 * ids this open continues from.
 */
static int open_ids(struct store *s, const char *dir, sqlite3 *db, unsigned flags, struct store_ids *ids)
{
	uint64_t next_o, next_d, have;
	int r;

	r = next_ids(db, &next_o, &next_d);
	if (r < 0)
		return r;
	have = next_o - 1;
	r = store_ids_load(dir, ids);
	if (r == -ENOENT) {
		/* A new store, or one of kitchen 0.2: the store says it all. */
		ids->next_order = next_o;
		ids->next_dish = next_d;
		ids->committed_order = have;
		r = store_ids_write(ids, true);
		if (r == -ENOSPC)
			r = 0;  /* the writer makes it before its first commit */
	} else if (r >= 0 && have < ids->committed_order) {
		uint64_t first = have + 1, last = ids->committed_order;

		if (!(flags & STORE_OPEN_ACCEPT_LOST)) {
			char holds[64] = "no orders";

			if (have)
				snprintf(holds, sizeof(holds), "orders up to %llu", (unsigned long long) have);
			sql_set_error("kitchen.db holds %s, but orders up to %llu were committed: orders %llu to %llu "
				      "are missing, and their idempotency keys with them (its -wal was lost or damaged, "
				      "or kitchen.db was replaced, truncated or removed)", holds,
				      (unsigned long long) last, (unsigned long long) first, (unsigned long long) last);
			return -ESTALE;
		}
		ids->lost_first = first;
		ids->lost_last = last;
		ids->lost_ms = wall_ms();
		ids->committed_order = have;
		ids->next_order = max_u64(ids->next_order, last + 1);
		r = store_ids_write(ids, true);
		s->lost_first = first;
		s->lost_last = last;
	}
	if (r < 0)
		return r;
	s->floor_order = max_u64(next_o, ids->next_order);
	s->floor_dish = max_u64(next_d, ids->next_dish);
	return 0;
}

/*
 * The writer's connection: the file checked and brought to the schema, its
 * writing proven, the id file checked against it, then the thread.
 */
static int open_writer(struct store *s, const char *dir, const char *path, const char *synchronous,
		       unsigned flags)
{
	struct store_ids ids = { .fd = -1 };
	sqlite3 *db = NULL;
	bool full = false;
	char pragma[64];
	int r;

	r = open_db(path, &db);
	/* WAL: the reads never block the writer nor it them, and a commit
	 * appends instead of rewriting pages. synchronous=FULL syncs the WAL at
	 * each commit, so an acknowledged order survives a power cut; NORMAL
	 * only survives a crash of kitchend itself. */
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = %s;",
		 strcmp(synchronous, "normal") == 0 ? "NORMAL" : "FULL");
	if (r >= 0)
		r = check_version(db);
	if (r >= 0)
		r = sql_exec(db, "PRAGMA journal_mode = WAL;");
	if (r >= 0)
		r = sql_exec(db, pragma);
	/* Only a connection whose every commit syncs the -wal may have its
	 * writes gathered (store_vfs.h); store_prune.c stops it for its steps. */
	if (r >= 0 && strcmp(synchronous, "normal") != 0)
		(void) sqlite3_file_control(db, "main", STORE_VFS_FCNTL_GATHER, &(int) { 1 });
	if (r >= 0)
		r = sql_exec(db, "PRAGMA foreign_keys = OFF; PRAGMA temp_store = MEMORY;");
	/* Pruning frees pages that new orders reuse; the -wal is reused from its
	 * start after each checkpoint, and cut back when something made it grow. */
	snprintf(pragma, sizeof(pragma), "PRAGMA journal_size_limit = %d;", STORE_WAL_LIMIT);
	if (r >= 0)
		r = sql_exec(db, pragma);
	/* Before the conversion: a damaged store is left as it is. */
	if (r >= 0)
		r = store_check(db, STORE_CHECK_MS, &s->checked);
	if (r >= 0)
		r = set_up_schema(s, db);
	if (r >= 0) {
		/* Found now, not at the first order's commit. A full disk is
		 * not a reason to stop: the store then waits for space. */
		r = sql_write_probe(db, STORE_SCHEMA_VERSION);
		full = r == -ENOSPC;
		if (full)
			r = 0;
	}
	if (r >= 0)
		r = open_ids(s, dir, db, flags, &ids);
	if (r < 0) {
		store_ids_close(&ids);
		sqlite3_close(db);
		return r;
	}
	/* Takes db and ids. */
	return store_writer_new(db, &ids, s->floor_order, s->floor_dish, full, &s->writer);
}

/*
 * Which file of the store cannot be written, for a failure to open it
 * with -EACCES or -EROFS (SQLite does not say which): @reason is SQLite's.
 */
static void explain_unwritable(const char *dir, const char *reason, char *err, size_t err_size)
{
	static const char *const names[] = { "kitchen.db", "kitchen.db-wal", "kitchen.db-shm", "kitchen.db-ids" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%s", dir, names[i]) < 0)
			break;
		if (access(p, F_OK) == 0 && access(p, W_OK) < 0) {
			snprintf(err, err_size, "%s: '%s' cannot be written (%m)", reason, p);
			return;
		}
	}
	if (access(dir, W_OK) < 0)
		snprintf(err, err_size, "%s: the directory '%s' cannot be written (%m)", reason, dir);
	else
		snprintf(err, err_size, "%s", reason);
}

int store_open(const char *dir, const char *synchronous, unsigned flags, struct store **ret_store,
	       char *err, size_t err_size)
{
	_cleanup_free_ char *path = NULL;
	struct store *s;
	int r;

	sql_clear_error();
	if (asprintf(&path, "%s/kitchen.db", dir) < 0 || !(s = calloc(1, sizeof(*s)))) {
		snprintf(err, err_size, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}

	r = open_writer(s, dir, path, synchronous, flags);
	if (r >= 0)
		r = open_db(path, &s->db);
	if (r < 0)
		goto fail;
	for (int k = 0; k < _STMT_MAX; k++)
		if (sqlite3_prepare_v3(s->db, stmt_sql[k], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->stmt[k], NULL) != SQLITE_OK) {
			r = sql_error(s->db, stmt_sql[k]);
			goto fail;
		}
	r = store_lister_new(s->db, &s->lister);
	if (r < 0)
		goto fail;

	*ret_store = s;
	return 0;
fail:
	(void) fail(s, r);
	if (r == -EACCES || r == -EROFS)
		explain_unwritable(dir, s->error, err, err_size);
	else
		snprintf(err, err_size, "%s", s->error);
	store_close(&s);
	return r;
}

void store_close(struct store **sp)
{
	struct store *s;

	if (!sp || !*sp)
		return;
	s = *sp;
	/* Reverse order of store_open(). */
	store_lister_free(&s->lister);
	for (int k = 0; k < _STMT_MAX; k++)
		sqlite3_finalize(s->stmt[k]);
	sqlite3_close(s->db);
	store_writer_free(&s->writer);  /* commits what remains first */
	keys_committed(s, UINT64_MAX);
	free(s->rows);
	free(s->text);
	free(s->inputs);
	free(s);
	*sp = NULL;
}

int store_next_ids(struct store *s, uint64_t *ret_order_id, uint64_t *ret_dish_id)
{
	uint64_t o, d;
	int r = next_ids(s->db, &o, &d);

	if (r < 0)
		return fail(s, r);
	*ret_order_id = max_u64(o, s->floor_order);
	*ret_dish_id = max_u64(d, s->floor_dish);
	return 0;
}

/* One statement, so one snapshot: a prune step committed between two
 * reads would count its dishes twice. */
int store_count(struct store *s, uint64_t counts[_PROTO_STATE_MAX])
{
	const char *sql = "SELECT state, COUNT(*) FROM dishes WHERE state >= 2 GROUP BY state "  /* done */
			  "UNION ALL SELECT 2, served FROM pruned "
			  "UNION ALL SELECT 3, failed FROM pruned "
			  "UNION ALL SELECT 4, cancelled FROM pruned";
	sqlite3_stmt *st;
	int rc, r;

	_Static_assert(PROTO_STATE_SERVED == 2 && PROTO_STATE_FAILED == 3 && PROTO_STATE_CANCELLED == 4,
		       "the states in the statement above");
	for (int i = 0; i < _PROTO_STATE_MAX; i++)
		counts[i] = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, sql_error(s->db, sql));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int state = sqlite3_column_int(st, 0);
		if (state == PROTO_STATE_SERVED || state == PROTO_STATE_FAILED || state == PROTO_STATE_CANCELLED)
			counts[state] += (uint64_t) sql_column_i64(st, 1);
	}
	r = rc == SQLITE_DONE ? 0 : sql_error(s->db, sql);
	sqlite3_finalize(st);
	return fail(s, r);
}

/* ---- writing: records for the writer ---- */

/* @p as a record's string (STORE_NO_TEXT for NULL), a '\n' appended if @line. */
static int text(struct store *s, const char *p, bool line, size_t *ret)
{
	size_t off = store_writer_text_begin(s->writer);
	int r = 0;

	if (!p) {
		*ret = STORE_NO_TEXT;
		return 0;
	}
	r = store_writer_text_put(s->writer, p, strlen(p));
	if (r >= 0 && line)
		r = store_writer_text_put(s->writer, "\n", 1);
	if (r >= 0)
		r = store_writer_text_end(s->writer);
	*ret = off;
	return r;
}

/* A record whose str[1] is @blob's bytes (str[0] @chef, str[2] @str2: NULL for
 * none), and whose numbers are @n: a dish's attempts, started_ms and
 * finished_ms (NULL for none). */
static int blob_rec(struct store *s, enum store_rec_kind kind, uint64_t id, const uint64_t *n, const char *chef,
		    const struct proto_field *blob, const char *str2)
{
	struct store_rec rec = { .kind = kind, .id = id, .blob_len = blob->len };
	int r;

	if (n)
		memcpy(rec.n, n, 3 * sizeof(*n));
	r = text(s, chef, false, &rec.str[0]);
	if (r >= 0) {
		rec.str[1] = store_writer_text_begin(s->writer);
		r = store_writer_text_put(s->writer, blob->data, blob->len);
		if (r >= 0)
			r = store_writer_text_end(s->writer);
	}
	if (r >= 0)
		r = text(s, str2, false, &rec.str[2]);
	if (r >= 0)
		r = store_writer_add(s->writer, &rec);
	return r;
}

int store_add_order(struct store *s, const struct store_new_order *o)
{
	struct store_rec rec = {
		.kind = STORE_REC_ADD_ORDER,
		.id = o->id,
		.n = { o->created_ms, o->n_dishes, o->first_dish, o->due_ms, o->priority },
	};
	const char *key = o->key && *o->key ? o->key : NULL;
	int r;

	for (size_t i = 0; i < o->n_dishes; i++)
		if (strchr(o->names[i], '\n'))
			return -EINVAL;

	r = text(s, key, false, &rec.str[0]);
	if (r < 0)
		return r;
	rec.str[1] = store_writer_text_begin(s->writer);
	for (size_t i = 0; r >= 0 && i < o->n_dishes; i++) {
		if (i > 0)
			r = store_writer_text_put(s->writer, "\n", 1);
		if (r >= 0)
			r = store_writer_text_put(s->writer, o->names[i], strlen(o->names[i]));
	}
	if (r >= 0)
		r = store_writer_text_end(s->writer);
	rec.str[2] = STORE_NO_TEXT;
	if (r >= 0 && key)
		r = key_remember(s, key, o->id, o->created_ms);
	if (r < 0)
		return r;
	r = store_writer_add(s->writer, &rec);
	for (size_t i = 0; r >= 0 && o->inputs && i < o->n_dishes; i++)
		if (o->inputs[i].len > 0)
			r = blob_rec(s, STORE_REC_INPUT, o->first_dish + i, NULL, NULL, &o->inputs[i], NULL);
	if (r < 0 && key) {
		/* Not written after all: the key just remembered goes. */
		struct mem_key *e = key_lookup(s, key);
		if (e && e->order_id == o->id)
			e->forgotten = true;
	}
	return r;
}

static int forget_key(struct store *s, uint64_t order_id)
{
	return store_writer_add(s->writer, &(struct store_rec) {
		.kind = STORE_REC_FORGET_KEY,
		.id = order_id,
		.str = { STORE_NO_TEXT, STORE_NO_TEXT, STORE_NO_TEXT },
	});
}

int store_find_key(struct store *s, const char *key, uint64_t since_ms, uint64_t *ret_order_id)
{
	sqlite3_stmt *st = s->stmt[STMT_FIND_KEY];
	struct mem_key *e = key_lookup(s, key);
	uint64_t id = 0, created_ms = 0;
	int rc, r;

	/* An order not yet committed first: the read connection cannot see it. */
	if (e) {
		if (e->created_ms >= since_ms) {
			*ret_order_id = e->order_id;
			return 0;
		}
		r = forget_key(s, e->order_id);
		if (r < 0)
			return r;
		e->forgotten = true;
		return -ENOENT;
	}

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = (uint64_t) sql_column_i64(st, 0);
		created_ms = (uint64_t) sql_column_i64(st, 1);
	}
	r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sql_error(s->db, stmt_sql[STMT_FIND_KEY]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r < 0)
		return fail(s, r);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (created_ms >= since_ms) {
		*ret_order_id = id;
		return 0;
	}

	/* Expired: the order stays, the key (UNIQUE) goes free. A record
	 * taking it off may already be on its way: a second one is harmless. */
	r = forget_key(s, id);
	return r < 0 ? r : -ENOENT;
}

static int dish_rec(struct store *s, enum store_rec_kind kind, uint64_t dish_id, unsigned attempts,
		    uint64_t started_ms, uint64_t finished_ms, const char *chef, const char *str1, bool line1,
		    const char *str2, bool line2)
{
	struct store_rec rec = { .kind = kind, .id = dish_id, .n = { attempts, started_ms, finished_ms } };
	int r;

	r = text(s, chef, false, &rec.str[0]);
	if (r >= 0)
		r = text(s, str1, line1, &rec.str[1]);
	if (r >= 0)
		r = text(s, str2, line2, &rec.str[2]);
	if (r >= 0)
		r = store_writer_add(s->writer, &rec);
	return r;
}

/* Reasons accumulate in detail, one line per attempt that did not serve. */
int store_dish_requeued(struct store *s, uint64_t dish_id, unsigned attempts, const char *chef,
			const char *reason)
{
	return dish_rec(s, STORE_REC_REQUEUED, dish_id, attempts, 0, 0, chef, reason, true, NULL, false);
}

int store_dish_served(struct store *s, uint64_t dish_id, unsigned attempts, uint64_t started_ms,
		      uint64_t finished_ms, const char *chef, const void *result, size_t result_len,
		      const char *items)
{
	return blob_rec(s, STORE_REC_SERVED, dish_id, (uint64_t[]) { attempts, started_ms, finished_ms }, chef,
			&(struct proto_field) { result, result_len }, items);
}

int store_dish_failed(struct store *s, uint64_t dish_id, unsigned attempts, uint64_t started_ms,
		      uint64_t finished_ms, const char *chef, const char *reason)
{
	return dish_rec(s, STORE_REC_FAILED, dish_id, attempts, started_ms, finished_ms, chef, reason, false,
			reason, true);
}

int store_dish_cancelled(struct store *s, uint64_t dish_id, unsigned attempts, uint64_t started_ms,
			 uint64_t finished_ms, const char *chef, const char *reason)
{
	return dish_rec(s, STORE_REC_CANCELLED, dish_id, attempts, started_ms, finished_ms, chef, reason, false,
			reason, true);
}

int store_order_done(struct store *s, uint64_t order_id, enum proto_state state, uint64_t finished_ms)
{
	return store_writer_add(s->writer, &(struct store_rec) {
		.kind = STORE_REC_ORDER_DONE,
		.id = order_id,
		.n = { (uint64_t) state, finished_ms },
		.str = { STORE_NO_TEXT, STORE_NO_TEXT, STORE_NO_TEXT },
	});
}

/* ---- reading orders back ---- */

/* Copy @len bytes of @p and a NUL into the scratch text; its offset in *ret. */
static int text_add(struct store *s, const char *p, size_t len, size_t *ret)
{
	if (buf_reserve(&s->text, &s->text_cap, s->text_len + len + 1) < 0)
		return -ENOMEM;
	memcpy(s->text + s->text_len, p, len);
	s->text[s->text_len + len] = '\0';
	*ret = s->text_len;
	s->text_len += len + 1;
	return 0;
}

static int column_add(struct store *s, sqlite3_stmt *st, int col, size_t *ret)
{
	const char *t = sql_column_text(st, col);

	return text_add(s, t, (size_t) sqlite3_column_bytes(st, col), ret);
}

/* An order read back: its row, and its dish rows in the scratch. */
struct reading {
	struct store_order o;
	size_t n_rows;
	size_t n_inputs;    /* in s->inputs, when asked for */
	size_t names;       /* offset of the names in the scratch text */
};

/* The inputs of @rd's dishes into s->inputs, their bytes into the scratch text. */
static int read_inputs(struct store *s, struct reading *rd)
{
	sqlite3_stmt *st = s->stmt[STMT_GET_INPUTS];
	int rc, r = 0;

	sqlite3_bind_int64(st, 1, (sqlite3_int64) rd->o.first_dish);
	sqlite3_bind_int64(st, 2, (sqlite3_int64) (rd->o.first_dish + rd->o.n_dishes));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 1);
		size_t len = (size_t) sqlite3_column_bytes(st, 1);
		struct input_row *in;

		if (rd->n_inputs == s->inputs_cap) {
			size_t cap = s->inputs_cap ? s->inputs_cap * 2 : 16;
			in = reallocarray(s->inputs, cap, sizeof(*in));
			if (!in) {
				r = -ENOMEM;
				break;
			}
			s->inputs = in;
			s->inputs_cap = cap;
		}
		in = &s->inputs[rd->n_inputs++];
		in->id = (uint64_t) sql_column_i64(st, 0);
		in->len = len;
		r = text_add(s, p ? p : "", len, &in->at);
		if (r < 0)
			break;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = sql_error(s->db, stmt_sql[STMT_GET_INPUTS]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return r;
}

/*
 * Order @st's current row (id, created_ms, dishes, first_dish, names,
 * priority, due_ms, finished_ms): read
 * its dish rows, once, into the scratch (their strings too if @text), and
 * count them into rd->o.
 */
static int read_order(struct store *s, sqlite3_stmt *st, bool text, bool inputs, struct reading *rd)
{
	sqlite3_stmt *ds = s->stmt[STMT_GET_DISHES];
	struct store_order *o = &rd->o;
	unsigned started = 0;
	int rc, r = 0;

	*rd = (struct reading) {
		.o = {
			.id = (uint64_t) sql_column_i64(st, 0),
			.created_ms = (uint64_t) sql_column_i64(st, 1),
			.n_dishes = (unsigned) sql_column_i64(st, 2),
			.first_dish = (uint64_t) sql_column_i64(st, 3),
			.priority = (unsigned) sqlite3_column_int(st, 5),
			.due_ms = (uint64_t) sql_column_i64(st, 6),
			.finished_ms = (uint64_t) sql_column_i64(st, 7),
		},
	};
	s->text_len = 0;
	if (text)
		r = column_add(s, st, 4, &rd->names);

	sqlite3_bind_int64(ds, 1, (sqlite3_int64) o->first_dish);
	sqlite3_bind_int64(ds, 2, (sqlite3_int64) (o->first_dish + o->n_dishes));
	while (r >= 0 && (rc = sqlite3_step(ds)) == SQLITE_ROW) {
		struct row *w;
		int state = sqlite3_column_int(ds, 1);

		if (rd->n_rows == s->rows_cap) {
			size_t cap = s->rows_cap ? s->rows_cap * 2 : 64;
			w = reallocarray(s->rows, cap, sizeof(*w));
			if (!w) {
				r = -ENOMEM;
				break;
			}
			s->rows = w;
			s->rows_cap = cap;
		}
		w = &s->rows[rd->n_rows++];
		*w = (struct row) {
			.id = (uint64_t) sql_column_i64(ds, 0),
			.attempts = (unsigned) sqlite3_column_int(ds, 2),
			.started_ms = (uint64_t) sql_column_i64(ds, 6),
			.finished_ms = (uint64_t) sql_column_i64(ds, 7),
			.state = state >= 0 && state < _PROTO_STATE_MAX ? (enum proto_state) state : PROTO_STATE_QUEUED,
		};
		if (w->state == PROTO_STATE_SERVED)
			o->served++;
		else if (w->state == PROTO_STATE_FAILED)
			o->failed++;
		else if (w->state == PROTO_STATE_CANCELLED)
			o->cancelled++;
		if (w->state != PROTO_STATE_QUEUED || w->attempts > 0)
			started++;
		if (text) {
			r = column_add(s, ds, 3, &w->chef);
			if (r >= 0)
				r = column_add(s, ds, 4, &w->result);
			w->result_len = (size_t) sqlite3_column_bytes(ds, 4);
			if (r >= 0)
				r = column_add(s, ds, 5, &w->detail);
		}
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = sql_error(s->db, stmt_sql[STMT_GET_DISHES]);
	sqlite3_reset(ds);
	sqlite3_clear_bindings(ds);
	if (r >= 0 && inputs)
		r = read_inputs(s, rd);
	if (r < 0)
		return r;

	if (o->served + o->failed + o->cancelled == o->n_dishes)
		o->state = proto_order_final_state(o->failed, o->cancelled);
	else
		o->state = started ? PROTO_STATE_COOKING : PROTO_STATE_QUEUED;
	return 0;
}

/* Hand the dishes of @rd (read with their text) to @cb in index order. */
static int emit_dishes(struct store *s, struct reading *rd, store_dish_cb cb, void *userdata)
{
	const struct store_order *o = &rd->o;
	char *name = s->text + rd->names;  /* the text moves no more: split in place */
	size_t next = 0, next_input = 0;
	int r;

	for (unsigned i = 0; i < o->n_dishes; i++) {
		char *nl = name ? strchr(name, '\n') : NULL;
		struct store_dish d = {
			.id = o->first_dish + i,
			.order_id = o->id,
			.index = i,
			.state = PROTO_STATE_QUEUED,  /* no row: never tried */
			.name = name ? name : "",
			.chef = "",
			.result = "",
			.detail = "",
		};

		if (nl)
			*nl = '\0';
		name = nl ? nl + 1 : NULL;
		if (next < rd->n_rows && s->rows[next].id == d.id) {
			const struct row *w = &s->rows[next++];
			d.state = w->state;
			d.attempts = w->attempts;
			d.started_ms = w->started_ms;
			d.finished_ms = w->finished_ms;
			d.chef = s->text + w->chef;
			d.result = s->text + w->result;
			d.result_len = w->result_len;
			d.detail = s->text + w->detail;
		}
		if (next_input < rd->n_inputs && s->inputs[next_input].id == d.id) {
			const struct input_row *in = &s->inputs[next_input++];
			d.input = s->text + in->at;
			d.input_len = in->len;
		}
		r = cb(&d, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

static int get_order(struct store *s, uint64_t id, bool inputs, struct store_order *ret_order,
		     store_dish_cb dish_cb, void *userdata)
{
	sqlite3_stmt *st = s->stmt[STMT_GET_ORDER];
	struct reading rd;
	int rc, r;

	sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = read_order(s, st, dish_cb != NULL, inputs && dish_cb, &rd);
	else
		r = rc == SQLITE_DONE ? -ENOENT : sql_error(s->db, stmt_sql[STMT_GET_ORDER]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r < 0)
		return r == -ENOENT ? r : fail(s, r);
	*ret_order = rd.o;
	return dish_cb ? emit_dishes(s, &rd, dish_cb, userdata) : 0;
}

int store_get_order(struct store *s, uint64_t id, struct store_order *ret_order,
		    store_dish_cb dish_cb, void *userdata)
{
	return get_order(s, id, false, ret_order, dish_cb, userdata);
}

int store_get_order_inputs(struct store *s, uint64_t id, struct store_order *ret_order,
			   store_dish_cb dish_cb, void *userdata)
{
	return get_order(s, id, true, ret_order, dish_cb, userdata);
}

int store_outputs(struct store *s, uint64_t id, unsigned first, store_output_cb cb, void *userdata,
		  unsigned *ret_next)
{
	sqlite3_stmt *os = s->stmt[STMT_GET_ORDER], *st = s->stmt[STMT_GET_OUTPUTS];
	uint64_t first_dish = 0, n = 0;
	unsigned next;
	int rc, r = 0;

	sqlite3_bind_int64(os, 1, (sqlite3_int64) id);
	rc = sqlite3_step(os);
	if (rc == SQLITE_ROW) {
		n = (uint64_t) sql_column_i64(os, 2);
		first_dish = (uint64_t) sql_column_i64(os, 3);
	} else
		r = rc == SQLITE_DONE ? -ENOENT : sql_error(s->db, stmt_sql[STMT_GET_ORDER]);
	sqlite3_reset(os);
	sqlite3_clear_bindings(os);
	if (r < 0)
		return r == -ENOENT ? r : fail(s, r);

	next = (unsigned) n;
	sqlite3_bind_int64(st, 1, (sqlite3_int64) (first_dish + first));
	sqlite3_bind_int64(st, 2, (sqlite3_int64) (first_dish + n));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		unsigned index = (unsigned) ((uint64_t) sql_column_i64(st, 0) - first_dish);
		int state = sqlite3_column_int(st, 1);
		const void *p = sqlite3_column_blob(st, 2);
		size_t len = (size_t) sqlite3_column_bytes(st, 2);

		if (state <= PROTO_STATE_COOKING || state >= _PROTO_STATE_MAX)
			continue;
		r = cb(index, (enum proto_state) state, p ? p : "", len, userdata);
		if (r != 0) {
			next = index;
			break;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sql_error(s->db, stmt_sql[STMT_GET_OUTPUTS]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r < 0)
		return fail(s, r);
	*ret_next = next;
	return 0;
}

int store_order_states(struct store *s, uint64_t first, size_t n, struct store_order_state *ret, size_t *ret_n)
{
	sqlite3_stmt *st = s->stmt[STMT_GET_STATES];
	size_t found = 0;
	int rc, r = 0;

	sqlite3_bind_int64(st, 1, (sqlite3_int64) first);
	sqlite3_bind_int64(st, 2, (sqlite3_int64) (first + n));
	while (found < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int done = sqlite3_column_int(st, 1);
		bool final = done > PROTO_STATE_COOKING && done < _PROTO_STATE_MAX;

		ret[found++] = (struct store_order_state) {
			.id = (uint64_t) sql_column_i64(st, 0),
			.done = final ? (enum proto_state) done : PROTO_STATE_QUEUED,
			.n_dishes = (uint64_t) sql_column_i64(st, 2),
		};
	}
	if (found < n && rc != SQLITE_DONE)
		r = sql_error(s->db, stmt_sql[STMT_GET_STATES]);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r < 0)
		return fail(s, r);
	*ret_n = found;
	return 0;
}

int store_load_open(struct store *s, store_order_cb order_cb, store_dish_cb dish_cb, void *userdata)
{
	sqlite3_stmt *st = s->stmt[STMT_OPEN_ORDERS];
	struct reading rd;
	int rc, r = 0;

	sql_clear_error();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = read_order(s, st, true, true, &rd);
		if (r >= 0)
			r = order_cb(&rd.o, userdata);
		if (r >= 0)
			r = emit_dishes(s, &rd, dish_cb, userdata);
		if (r < 0)
			break;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = sql_error(s->db, stmt_sql[STMT_OPEN_ORDERS]);
	sqlite3_reset(st);
	return fail(s, r);
}

int store_list(struct store *s, const struct store_list_query *q, store_list_cb cb, void *userdata,
	       uint64_t *ret_next)
{
	sql_clear_error();
	return fail(s, store_lister_run(s->lister, q, cb, userdata, ret_next));
}
