/*
 * map.c - an insertion-ordered hash map from strings to pointers. Entries live in an array
 * in insertion order (removed ones become holes, squeezed out when the array grows); an open-
 * addressing index of positions finds them. Daemons keep frameworks, slaves, tasks and offers
 * in these maps, and iterate them in a stable order for their JSON endpoints.
 */
#include "actor/actor_int.h"

#include <string.h>

typedef struct map_entry {
    char *key; /* NULL: a removed entry */
    void *value;
    uint32_t hash;
} map_entry;

struct act_map {
    map_entry *entries;
    size_t n, cap, live;  /* n used slots of entries, live of them not removed */
    uint32_t *index;      /* position + 1 into entries; 0 = empty */
    size_t index_cap;
};

act_map *act_map_new(void)
{
    return act_calloc(1, sizeof(act_map));
}

void act_map_free(act_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) free(m->entries[i].key);
    free(m->entries);
    free(m->index);
    free(m);
}

/* The index slot holding key, or the empty slot where it would go. */
static size_t find_slot(const act_map *m, const char *key, uint32_t h)
{
    size_t mask = m->index_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t pos = m->index[i];
        if (pos == 0) return i;
        const map_entry *e = &m->entries[pos - 1];
        if (e->hash == h && e->key && strcmp(e->key, key) == 0) return i;
    }
}

/* Rebuilds the entries (without holes) and the index, with room for `want` entries. */
static void rebuild(act_map *m, size_t want)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->entries[i].key) m->entries[k++] = m->entries[i];
    m->n = k;
    if (want > m->cap) {
        m->cap = want;
        m->entries = act_realloc(m->entries, m->cap * sizeof *m->entries);
    }
    size_t icap = 16;
    while (icap < m->cap * 2) icap *= 2;
    free(m->index);
    m->index = act_calloc(icap, sizeof *m->index);
    m->index_cap = icap;
    for (size_t i = 0; i < m->n; i++)
        m->index[find_slot(m, m->entries[i].key, m->entries[i].hash)] = (uint32_t)i + 1;
}

void *act_map_get(const act_map *m, const char *key)
{
    if (!m->index_cap) return NULL;
    uint32_t pos = m->index[find_slot(m, key, act__hash(key))];
    return pos ? m->entries[pos - 1].value : NULL;
}

void *act_map_put(act_map *m, const char *key, void *value)
{
    ACT_CHECK(value != NULL);
    uint32_t h = act__hash(key);
    if (m->index_cap) {
        uint32_t pos = m->index[find_slot(m, key, h)];
        if (pos) {
            void *old = m->entries[pos - 1].value;
            m->entries[pos - 1].value = value;
            return old;
        }
    }
    if (m->n == m->cap) rebuild(m, m->live * 2 > 8 ? m->live * 2 : 8);
    map_entry *e = &m->entries[m->n];
    e->key = act_strdup(key);
    e->value = value;
    e->hash = h;
    m->index[find_slot(m, key, h)] = (uint32_t)++m->n;
    m->live++;
    return NULL;
}

void *act_map_remove(act_map *m, const char *key)
{
    if (!m->index_cap) return NULL;
    size_t slot = find_slot(m, key, act__hash(key));
    uint32_t pos = m->index[slot];
    if (!pos) return NULL;
    map_entry *e = &m->entries[pos - 1];
    void *value = e->value;
    free(e->key);
    e->key = NULL;
    e->value = NULL;
    m->live--;
    /* Backward-shift deletion keeps the probe sequences intact. */
    size_t mask = m->index_cap - 1, i = slot;
    for (size_t j = (i + 1) & mask; m->index[j]; j = (j + 1) & mask) {
        size_t home = m->entries[m->index[j] - 1].hash & mask;
        bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->index[i] = m->index[j];
            i = j;
        }
    }
    m->index[i] = 0;
    return value;
}

size_t act_map_size(const act_map *m)
{
    return m->live;
}

bool act_map_next(const act_map *m, size_t *iter, const char **key, void **value)
{
    while (*iter < m->n) {
        const map_entry *e = &m->entries[(*iter)++];
        if (!e->key) continue;
        if (key) *key = e->key;
        if (value) *value = e->value;
        return true;
    }
    return false;
}
