/*
 * idmap — open orders by id: an open-addressing hash from uint64_t to a pointer.
 *
 * Ids are never 0 (0 marks an empty slot). Deletion uses backward shifting,
 * so lookups never wade through tombstones after long runs of churn.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct idmap {
	uint64_t *keys;
	void **values;
	size_t cap;   /* a power of two, or 0 */
	size_t len;
};

void idmap_init(struct idmap *m);
void idmap_finish(struct idmap *m);

int idmap_put(struct idmap *m, uint64_t id, void *value);  /* 0, -ENOMEM, -EEXIST */
void *idmap_get(const struct idmap *m, uint64_t id);      /* NULL when absent */
void *idmap_remove(struct idmap *m, uint64_t id);         /* the value, or NULL */

/* Visit every value; @cb may not change the map. */
void idmap_foreach(const struct idmap *m, void (*cb)(void *value, void *u), void *u);
