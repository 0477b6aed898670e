/*
 * tables.c - what the driver keeps for a restarted slave: the status updates the slave has
 * not acknowledged yet and the tasks none of whose updates it has acknowledged (Mesos'
 * `updates` and `tasks`), handed over in ReregisterExecutorMessage. Small arrays: an executor
 * has a handful of tasks at a time. Loop thread only (and exec_driver_free).
 */
#include "exec/exec_int.h"

#include <string.h>

static void grow(wire_msg ***v, size_t n, size_t *cap)
{
    if (n < *cap) return;
    *cap = *cap ? *cap * 2 : 8;
    *v = act_realloc(*v, *cap * sizeof **v);
}

void exec__update_add(exec_driver *d, wire_msg *m)
{
    grow(&d->updates, d->nupdates, &d->updates_cap);
    d->updates[d->nupdates++] = m;
}

static bool same_uuid(const wire_bytes *a, const wire_bytes *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

wire_msg *exec__update_take(exec_driver *d, const wire_bytes *uuid)
{
    for (size_t i = 0; i < d->nupdates; i++) {
        wire_msg *m = d->updates[i];
        const wire_status_update *u = m->root;
        if (!same_uuid(&u->uuid, uuid)) continue;
        memmove(&d->updates[i], &d->updates[i + 1], (d->nupdates - i - 1) * sizeof *d->updates);
        d->nupdates--;
        return m;
    }
    return NULL;
}

static size_t task_index(const exec_driver *d, const char *task_id)
{
    for (size_t i = 0; i < d->ntasks; i++) {
        const wire_task_info *t = d->tasks[i]->root;
        if (strcmp(t->task_id.value, task_id) == 0) return i;
    }
    return d->ntasks;
}

bool exec__task_add(exec_driver *d, const wire_task_info *task)
{
    if (task_index(d, task->task_id.value) < d->ntasks) return false;
    grow(&d->tasks, d->ntasks, &d->tasks_cap);
    d->tasks[d->ntasks++] = wire_copy(WIRE_DESC(task_info), task);
    return true;
}

void exec__task_remove(exec_driver *d, const char *task_id)
{
    size_t i = task_index(d, task_id);
    if (i == d->ntasks) return;
    wire_msg_free(d->tasks[i]);
    memmove(&d->tasks[i], &d->tasks[i + 1], (d->ntasks - i - 1) * sizeof *d->tasks);
    d->ntasks--;
}

void exec__tables_clear(exec_driver *d)
{
    for (size_t i = 0; i < d->nupdates; i++) wire_msg_free(d->updates[i]);
    for (size_t i = 0; i < d->ntasks; i++) wire_msg_free(d->tasks[i]);
    free(d->updates);
    free(d->tasks);
    d->updates = NULL;
    d->tasks = NULL;
    d->nupdates = d->updates_cap = d->ntasks = d->tasks_cap = 0;
}
