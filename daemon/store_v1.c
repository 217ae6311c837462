#include "store_v1.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sql.h"
#include "store.h"
#include "util.h"

_Static_assert(STORE_SCHEMA_VERSION == 5, "store_v1_convert() fills the columns version 5 shares with 2");

struct migration {
	sqlite3 *db;
	sqlite3_stmt *orders, *dishes, *add_order, *add_dish;
	char *names;
	size_t names_cap;
};

static int names_append(struct migration *m, size_t *len, bool first, const char *name)
{
	size_t n = strlen(name);

	if (strchr(name, '\n'))
		return -EBADMSG;
	if (buf_reserve(&m->names, &m->names_cap, *len + n + 2) < 0)
		return -ENOMEM;
	if (!first)
		m->names[(*len)++] = '\n';
	memcpy(m->names + *len, name, n + 1);
	*len += n;
	return 0;
}

static int migrate_order(struct migration *m, uint64_t *next_dish)
{
	sqlite3_stmt *o = m->orders, *d = m->dishes;
	uint64_t order_id = (uint64_t) sql_column_i64(o, 0), n_dishes = (uint64_t) sql_column_i64(o, 3);
	uint64_t first = *next_dish, i = 0;
	size_t names_len = 0;
	int rc, r = 0;

	sqlite3_bind_int64(d, 1, (sqlite3_int64) order_id);
	while ((rc = sqlite3_step(d)) == SQLITE_ROW) {
		uint64_t id = (uint64_t) sql_column_i64(d, 0);
		int state = sqlite3_column_int(d, 3), attempts = sqlite3_column_int(d, 4);
		const char *chef = sql_column_text(d, 5), *result = sql_column_text(d, 6);
		const char *detail = sql_column_text(d, 7);

		if (i == 0)
			first = id;
		if ((uint64_t) sql_column_i64(d, 1) != i || id != first + i) {
			log_debug("store: version 1 order %llu: dish %llu is not #%llu",
				  (unsigned long long) order_id, (unsigned long long) id, (unsigned long long) i);
			r = -EBADMSG;
			break;
		}
		r = names_append(m, &names_len, i == 0, sql_column_text(d, 2));
		if (r < 0)
			break;
		i++;
		if (state == PROTO_STATE_COOKING)
			state = PROTO_STATE_QUEUED;  /* cut short by the stop: cooked again */
		if (state < 0 || state > PROTO_STATE_FAILED) {  /* the states of version 1 */
			r = -EBADMSG;
			break;
		}
		if (state == PROTO_STATE_QUEUED && attempts == 0 && !*chef && !*result && !*detail)
			continue;  /* never tried: version 2 keeps no row */
		sqlite3_bind_int64(m->add_dish, 1, (sqlite3_int64) id);
		sqlite3_bind_int(m->add_dish, 2, state);
		sqlite3_bind_int(m->add_dish, 3, attempts);
		sqlite3_bind_text(m->add_dish, 4, chef, -1, SQLITE_STATIC);
		sqlite3_bind_text(m->add_dish, 5, result, -1, SQLITE_STATIC);
		sqlite3_bind_text(m->add_dish, 6, detail, -1, SQLITE_STATIC);
		r = sql_step(m->db, m->add_dish);
		if (r < 0)
			break;
	}
	sqlite3_reset(d);
	sqlite3_clear_bindings(d);
	if (r < 0)
		return r;
	if (rc != SQLITE_DONE)
		return sql_error(m->db, sqlite3_sql(d));
	if (i != n_dishes) {
		log_debug("store: version 1 order %llu: %llu dishes, %llu rows", (unsigned long long) order_id,
			  (unsigned long long) n_dishes, (unsigned long long) i);
		return -EBADMSG;
	}

	for (int c = 0; c < 3; c++)  /* id, key, created_ms */
		sqlite3_bind_value(m->add_order, c + 1, sqlite3_column_value(o, c));
	sqlite3_bind_int64(m->add_order, 4, (sqlite3_int64) n_dishes);
	sqlite3_bind_int64(m->add_order, 5, (sqlite3_int64) first);
	sqlite3_bind_value(m->add_order, 6, sqlite3_column_value(o, 4));  /* done */
	sqlite3_bind_text(m->add_order, 7, i ? m->names : "", (int) names_len, SQLITE_STATIC);
	r = sql_step(m->db, m->add_order);
	if (r < 0)
		return r;
	if (first + n_dishes > *next_dish)
		*next_dish = first + n_dishes;
	return 0;
}

int store_v1_convert(sqlite3 *db, const char *schema_sql, uint64_t *ret_orders)
{
	static const char *const sql[] = {
		"SELECT id, key, created_ms, dishes, done FROM orders_v1 ORDER BY id",
		("SELECT id, idx, name, state, attempts, chef, result, detail FROM dishes_v1 "
		 "WHERE order_id = ? ORDER BY idx"),
		"INSERT INTO orders(id, key, created_ms, dishes, first_dish, done, names) VALUES (?, ?, ?, ?, ?, ?, ?)",
		"INSERT INTO dishes(id, state, attempts, chef, result, detail) VALUES (?, ?, ?, ?, ?, ?)",
	};
	struct migration m = { .db = db };
	sqlite3_stmt **st[] = { &m.orders, &m.dishes, &m.add_order, &m.add_dish };
	uint64_t next_dish = 1, n_orders = 0;
	int rc = SQLITE_DONE, r;

	/* The old tables step aside (their index orders_open with them, as
	 * version 2 has one of that name); dishes_order serves the reading. */
	r = sql_exec(db, "DROP INDEX orders_open;"
			 "ALTER TABLE orders RENAME TO orders_v1;"
			 "ALTER TABLE dishes RENAME TO dishes_v1;");
	if (r >= 0)
		r = sql_exec(db, schema_sql);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sql); i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, st[i], NULL) != SQLITE_OK)
			r = sql_error(db, sql[i]);
	while (r >= 0 && (rc = sqlite3_step(m.orders)) == SQLITE_ROW) {
		r = migrate_order(&m, &next_dish);
		n_orders++;
	}
	if (r >= 0 && rc != SQLITE_DONE)
		r = sql_error(db, sql[0]);
	for (size_t i = 0; i < ELEMENTSOF(sql); i++)
		sqlite3_finalize(*st[i]);
	free(m.names);
	if (r >= 0)
		r = sql_exec(db, "DROP TABLE dishes_v1; DROP TABLE orders_v1;");
	if (r < 0)
		return r;
	log_debug("store: converted %llu orders from version 1", (unsigned long long) n_orders);
	*ret_orders = n_orders;
	return 0;
}
