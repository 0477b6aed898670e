/*
 * tables.c - the two small tables the driver's actor keeps: the offers the framework holds
 * (so a launch on a used or rescinded offer is answered locally, as Mesos' driver keeps its
 * savedOffers), and, in explicit-acknowledgement mode, the UUID of the last update delivered
 * per task (TaskStatus carries no UUID in 0.22, so the driver remembers it for the
 * scheduler's acknowledgement). Offers are hashed by ID: a framework that holds offers while
 * it waits (a rate, a bound on tasks in flight) may hold one per slave, thousands, and every
 * launch and decline looks its offers up. Pending acknowledgements are a short array
 * searched linearly. Loop thread only.
 */
#include "sched/sched_int.h"

#include <string.h>

void sched__offer_add(sched_driver *d, const char *id, const char *slave_id)
{
    if (!d->offers) d->offers = act_map_new();
    if (act_map_get(d->offers, id)) return;
    act_map_put(d->offers, id, act_strdup(slave_id));
}

const char *sched__offer_slave(const sched_driver *d, const char *id)
{
    return d->offers ? act_map_get(d->offers, id) : NULL;
}

void sched__offer_remove(sched_driver *d, const char *id)
{
    if (d->offers) free(act_map_remove(d->offers, id));
}

void sched__offers_clear(sched_driver *d)
{
    void *slave;
    for (size_t it = 0; d->offers && act_map_next(d->offers, &it, NULL, &slave);) free(slave);
    act_map_free(d->offers);
    d->offers = NULL;
}

void sched__ack_release(sched_pending_ack *a)
{
    free(a->task_id);
    free(a->slave_id);
    free(a->uuid);
    memset(a, 0, sizeof *a);
}

static sched_pending_ack *ack_find(sched_driver *d, const char *task_id)
{
    for (size_t i = 0; i < d->nacks; i++)
        if (strcmp(d->acks[i].task_id, task_id) == 0) return &d->acks[i];
    return NULL;
}

void sched__ack_remember(sched_driver *d, const char *task_id, const char *slave_id,
                         wire_task_state state, const wire_bytes *uuid)
{
    sched_pending_ack *a = ack_find(d, task_id);
    if (a) {
        sched__ack_release(a);
    } else {
        if (d->nacks == d->acks_cap) {
            d->acks_cap = d->acks_cap ? d->acks_cap * 2 : 8;
            d->acks = act_realloc(d->acks, d->acks_cap * sizeof *d->acks);
        }
        a = &d->acks[d->nacks++];
    }
    a->task_id = act_strdup(task_id);
    a->slave_id = act_strdup(slave_id);
    a->state = state;
    a->uuid = act_malloc(uuid->len ? uuid->len : 1);
    memcpy(a->uuid, uuid->data, uuid->len);
    a->uuid_len = uuid->len;
}

bool sched__ack_take(sched_driver *d, const char *task_id, wire_task_state state,
                     sched_pending_ack *out)
{
    sched_pending_ack *a = ack_find(d, task_id);
    if (!a || a->state != state) return false;
    *out = *a;
    *a = d->acks[--d->nacks];
    return true;
}

void sched__acks_clear(sched_driver *d)
{
    for (size_t i = 0; i < d->nacks; i++) sched__ack_release(&d->acks[i]);
    free(d->acks);
    d->acks = NULL;
    d->nacks = d->acks_cap = 0;
}
