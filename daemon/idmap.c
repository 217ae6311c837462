#include "idmap.h"

#include <errno.h>
#include <stdlib.h>

static size_t slot_of(uint64_t id, size_t cap)
{
	/* Fibonacci hashing: ids are sequential, spread them out. */
	return (size_t) ((id * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

void idmap_init(struct idmap *m)
{
	*m = (struct idmap) { 0 };
}

void idmap_finish(struct idmap *m)
{
	free(m->keys);
	free(m->values);
	*m = (struct idmap) { 0 };
}

static int resize(struct idmap *m, size_t cap)
{
	uint64_t *keys = calloc(cap, sizeof(*keys));
	void **values = calloc(cap, sizeof(*values));

	if (!keys || !values) {
		free(keys);
		free(values);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t s = slot_of(m->keys[i], cap);
		while (keys[s])
			s = (s + 1) & (cap - 1);
		keys[s] = m->keys[i];
		values[s] = m->values[i];
	}
	free(m->keys);
	free(m->values);
	m->keys = keys;
	m->values = values;
	m->cap = cap;
	return 0;
}

int idmap_put(struct idmap *m, uint64_t id, void *value)
{
	size_t s;

	if (id == 0)
		return -EINVAL;
	if ((m->len + 1) * 4 > m->cap * 3 && resize(m, m->cap ? m->cap * 2 : 64) < 0)
		return -ENOMEM;
	s = slot_of(id, m->cap);
	while (m->keys[s]) {
		if (m->keys[s] == id)
			return -EEXIST;
		s = (s + 1) & (m->cap - 1);
	}
	m->keys[s] = id;
	m->values[s] = value;
	m->len++;
	return 0;
}

static size_t find(const struct idmap *m, uint64_t id)
{
	size_t s;

	if (m->cap == 0 || id == 0)
		return SIZE_MAX;
	s = slot_of(id, m->cap);
	while (m->keys[s]) {
		if (m->keys[s] == id)
			return s;
		s = (s + 1) & (m->cap - 1);
	}
	return SIZE_MAX;
}

void *idmap_get(const struct idmap *m, uint64_t id)
{
	size_t s = find(m, id);

	return s == SIZE_MAX ? NULL : m->values[s];
}

void *idmap_remove(struct idmap *m, uint64_t id)
{
	size_t s = find(m, id), next;
	void *value;

	if (s == SIZE_MAX)
		return NULL;
	value = m->values[s];
	m->keys[s] = 0;
	m->values[s] = NULL;
	m->len--;

	/* Backward shift: pull later members of the run into the hole when
	 * their home slot does not lie strictly between the hole and them. */
	next = (s + 1) & (m->cap - 1);
	while (m->keys[next]) {
		size_t home = slot_of(m->keys[next], m->cap);
		size_t dist_next = (next - home) & (m->cap - 1);
		size_t dist_hole = (s - home) & (m->cap - 1);
		if (dist_hole < dist_next || home == s) {
			m->keys[s] = m->keys[next];
			m->values[s] = m->values[next];
			m->keys[next] = 0;
			m->values[next] = NULL;
			s = next;
		}
		next = (next + 1) & (m->cap - 1);
	}
	return value;
}

void idmap_foreach(const struct idmap *m, void (*cb)(void *value, void *u), void *u)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i])
			cb(m->values[i], u);
}
