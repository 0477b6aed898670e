/*
 * history.c - a bounded history, oldest first: what the slave keeps of finished work for
 * state.json (completed frameworks, their completed executors, each executor's completed
 * tasks), so that memory stays bounded however long a framework runs. Mesos keeps the same
 * with boost::circular_buffer.
 */
#include "slave/slave_state_int.h"

void s_history_init(s_history *h, size_t cap)
{
    h->v = act_calloc(cap ? cap : 1, sizeof *h->v);
    h->cap = cap ? cap : 1;
    h->start = h->n = 0;
}

void *s_history_push(s_history *h, void *item)
{
    if (h->n < h->cap) {
        h->v[(h->start + h->n++) % h->cap] = item;
        return NULL;
    }
    void *oldest = h->v[h->start];
    h->v[h->start] = item;
    h->start = (h->start + 1) % h->cap;
    return oldest;
}

size_t s_history_size(const s_history *h)
{
    return h->n;
}

void *s_history_at(const s_history *h, size_t i)
{
    return i < h->n ? h->v[(h->start + i) % h->cap] : NULL;
}

void s_history_free(s_history *h, void (*free_item)(void *))
{
    for (size_t i = 0; i < h->n && free_item; i++) free_item(s_history_at(h, i));
    free(h->v);
    h->v = NULL;
    h->n = h->cap = h->start = 0;
}
