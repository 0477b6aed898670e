/*
 * tasks.c - tasks and executors in the master: creating task records, applying status updates
 * from slaves and forwarding them to schedulers, routing acknowledgements back to slaves (a
 * terminal update's acknowledgement releases the task), kills, reconciliation, messages
 * between schedulers and executors, and executors that exit (PROTOCOL.md, "Offers, launch,
 * status updates, acknowledgements" and "Kill, shutdown, messages").
 */
#include "master/master_int.h"

#include <string.h>


/* r is used on s by framework f (NULL: not registered). */
static void add_used(master *m, m_framework *f, m_slave *s, const res_set *r)
{
    res_add(&s->used, r);
    m_count_resources(m, r, +1, true);
    if (f) res_add(&f->used, r), m_framework_changed(f);
}

static void sub_used(master *m, m_framework *f, m_slave *s, const res_set *r)
{
    if (s && res_subtract(&s->used, r) == 0) m_count_resources(m, r, -1, true);
    if (f) res_subtract(&f->used, r), m_framework_changed(f);
}

/* The record of the task in msg (taken), whose resources are `resources` when the caller
 * has them as a set already (NULL: read from msg). */
static m_task *task_record(master *m, m_slave *s, wire_msg *msg, const res_set *resources)
{
    m_task *t = act_calloc(1, sizeof *t);
    t->msg = msg;
    t->t = msg->root;
    snprintf(t->framework_id, sizeof t->framework_id, "%s", t->t->framework_id.value);
    snprintf(t->slave_id, sizeof t->slave_id, "%s", s->id);
    wire_id_key(t->key, t->framework_id, t->t->task_id.value);
    if (resources)
        res_copy(&t->resources, resources);
    else
        res_from_wire(t->t->resources, t->t->resources_count, &t->resources, NULL, 0);
    act_map_put(s->tasks, t->key, t);
    m_count_live_task(m, t->t->state, +1);
    m_framework *f = m_framework_find(m, t->framework_id);
    if (f) act_map_put(f->tasks, t->t->task_id.value, t);
    else act_map_put(m->orphans, t->key, t);
    m_task_list_changed(m, f); /* a new record has no JSON to drop */
    add_used(m, f, s, &t->resources);
    return t;
}

m_task *m_task_add(master *m, m_framework *f, m_slave *s, const wire_task_info *ti,
                   const res_set *resources)
{
    wire_msg *msg = wire_new(WIRE_DESC(task));
    wire_task *t = msg->root;
    t->name = wire_strdup(msg, ti->name);
    t->task_id.value = wire_strdup(msg, ti->task_id.value);
    t->framework_id.value = wire_strdup(msg, f->id);
    t->slave_id.value = wire_strdup(msg, s->id);
    if (ti->executor) {
        t->executor_id = wire_alloc(msg, sizeof *t->executor_id);
        t->executor_id->value = wire_strdup(msg, ti->executor->executor_id.value);
    }
    t->state = WIRE_TASK_STAGING;
    res_to_wire(resources, msg, &t->resources, &t->resources_count);
    if (ti->labels) {
        t->labels = wire_alloc(msg, sizeof *t->labels);
        wire_copy_into(msg, WIRE_DESC(labels), t->labels, ti->labels);
    }
    if (ti->discovery) {
        t->discovery = wire_alloc(msg, sizeof *t->discovery);
        wire_copy_into(msg, WIRE_DESC(discovery_info), t->discovery, ti->discovery);
    }
    m_count_task_state(m, WIRE_TASK_STAGING, WIRE_SOURCE_MASTER, -1);
    return task_record(m, s, msg, resources);
}

m_task *m_task_add_reported(master *m, m_slave *s, const wire_task *reported)
{
    wire_msg *msg = wire_copy(WIRE_DESC(task), reported);
    wire_task *t = msg->root;
    t->slave_id.value = wire_strdup(msg, s->id);
    m_task *rec = task_record(m, s, msg, NULL);
    if (wire_task_state_terminal(t->state)) rec->terminal = rec->terminal_uuid_unknown = true;
    return rec;
}

/* Takes the task's record and JSON into the framework's ring of finished tasks. */
static void add_completed_task(master *m, m_framework *f, m_task *t)
{
    size_t cap = m->cfg.max_completed_tasks_per_framework;
    if (!f || cap == 0) {
        wire_msg_free(t->msg);
        act_blob_unref(t->json);
        return;
    }
    act_blob_unref(f->completed_json);
    f->completed_json = NULL;
    m_framework_changed(f);
    m_done *slot = &f->completed[f->completed_next];
    wire_msg_free(slot->task);
    act_blob_unref(slot->json);
    *slot = (m_done){t->msg, t->json};
    f->completed_next = (f->completed_next + 1) % cap;
    if (f->ncompleted < cap) f->ncompleted++;
}

void m_task_free(m_task *t)
{
    wire_msg_free(t->msg);
    wire_msg_free(t->held_update);
    act_blob_unref(t->json);
    res_free(&t->resources);
    free(t);
}

void m_task_remove(master *m, m_task *t)
{
    m_slave *s = m_slave_find(m, t->slave_id);
    m_framework *f = m_framework_find(m, t->framework_id);
    m_task_list_changed(m, f);
    m_count_live_task(m, t->t->state, -1);
    sub_used(m, f, s, &t->resources);
    alloc_event *ev = alloc_event_new(ALLOC_RECOVER, t->framework_id, t->slave_id);
    ev->resources = t->resources; /* the task goes: its resources move, not copied */
    t->resources = (res_set){0};
    m_alloc_recover(m, ev);
    if (s) act_map_remove(s->tasks, t->key);
    if (f) act_map_remove(f->tasks, t->t->task_id.value);
    act_map_remove(m->orphans, t->key);
    add_completed_task(m, f, t);
    t->msg = NULL;
    t->json = NULL;
    m_task_free(t);
}

/* ---- status updates ---------------------------------------------------------------------- */

/* A status made by the master; reason is a wire_status_reason, or -1 for none. */
static void status_fill(wire_task_status *st, const char *task_id, const char *slave_id,
                        wire_task_state state, const char *message, int reason,
                        wire_slave_id *sid)
{
    st->task_id.value = (char *)task_id;
    st->state = state;
    st->has_message = message != NULL;
    st->message = (char *)(message ? message : "");
    st->has_timestamp = true;
    st->timestamp = act_now();
    st->has_source = true;
    st->source = WIRE_SOURCE_MASTER;
    st->has_reason = reason >= 0;
    st->reason = reason >= 0 ? (wire_status_reason)reason : 0;
    if (slave_id && *slave_id) {
        sid->value = (char *)slave_id;
        st->slave_id = sid;
    }
}

/* Sends an update made by the master; a uuid makes it one the scheduler acknowledges; reason
 * is a wire_status_reason, or -1 for none. */
static void send_update(master *m, const act_pid *to, const char *framework_id,
                        const char *slave_id, const char *task_id, wire_task_state state,
                        const char *message, const wire_uuid *uuid, int reason)
{
    wire_slave_id sid = {0}, sid2 = {(char *)slave_id};
    wire_status_update_message u = {0};
    u.update.framework_id.value = (char *)framework_id;
    status_fill(&u.update.status, task_id, slave_id, state, message, reason, &sid);
    if (slave_id && *slave_id) u.update.slave_id = &sid2;
    u.update.timestamp = u.update.status.timestamp;
    u.update.uuid.data = uuid ? (uint8_t *)uuid->bytes : NULL;
    u.update.uuid.len = uuid ? sizeof uuid->bytes : 0;
    u.has_pid = false;
    u.pid = "";
    m_send(m, to, WIRE_DESC(status_update_message), &u);
}

void m_send_status(master *m, const act_pid *to, const char *framework_id, const char *slave_id,
                   const char *task_id, wire_task_state state, const char *message, int reason,
                   bool with_uuid)
{
    wire_uuid uuid;
    if (with_uuid) wire_uuid_random(&uuid);
    send_update(m, to, framework_id, slave_id, task_id, state, message,
                with_uuid ? &uuid : NULL, reason);
}

/* Records a status in the task's history and moves its state. As Mesos, a status of the same
 * state as the latest replaces it, and its data is not kept (it may be large). */
static void record_status(master *m, m_task *t, const wire_task_status *st)
{
    m_count_status(m, st);
    m_task_changed(m, t);
    wire_task *task = t->t;
    size_t n = task->statuses_count;
    if (n && task->statuses[n - 1].state == st->state) n--;
    wire_task_status *v = wire_alloc_array(t->msg, WIRE_DESC(task_status), n + 1);
    if (n) memcpy(v, task->statuses, n * sizeof *v);
    wire_task_status copy = *st;
    copy.has_data = false;
    copy.data = (wire_bytes){0};
    wire_copy_into(t->msg, WIRE_DESC(task_status), &v[n], &copy);
    task->statuses = v;
    task->statuses_count = n + 1;
    m_count_live_task(m, task->state, -1);
    m_count_live_task(m, st->state, +1);
    task->state = st->state;
}

/* A terminal status made by the master, recorded (nobody is told). */
static void record_terminal(master *m, m_task *t, wire_task_state state, const char *message,
                            int reason)
{
    wire_slave_id sid = {0};
    wire_task_status st = {0};
    status_fill(&st, t->t->task_id.value, t->slave_id, state, message, reason, &sid);
    record_status(m, t, &st);
    t->terminal = true;
    wire_uuid_random(&t->terminal_uuid);
}

void m_task_fail(master *m, m_task *t, wire_task_state state, const char *message, int reason)
{
    record_terminal(m, t, state, message, reason);
    m_framework *f = m_framework_find(m, t->framework_id);
    if (f && f->connected)
        send_update(m, &f->pid, t->framework_id, t->slave_id, t->t->task_id.value, state,
                    message, &t->terminal_uuid, reason);
}

void m_task_abandon(master *m, m_task *t, const char *framework_id)
{
    if (!t->terminal) {
        char message[WIRE_ID_MAX + 32];
        snprintf(message, sizeof message, "Framework %s removed", framework_id);
        record_terminal(m, t, WIRE_TASK_KILLED, message, WIRE_REASON_FRAMEWORK_REMOVED);
    }
    m_task_remove(m, t);
}

static void apply_update(master *m, m_task *t, const wire_status_update *u)
{
    wire_uuid uuid;
    bool has_uuid = wire_uuid_from_bytes(u->uuid.data, u->uuid.len, &uuid) == 0;
    if (has_uuid && t->has_uuid && wire_uuid_equal(&uuid, &t->uuid)) return; /* a resend */
    if (t->terminal) { /* nothing moves a task out of a terminal state */
        if (t->terminal_uuid_unknown && has_uuid && wire_task_state_terminal(u->status.state)) {
            t->terminal_uuid = uuid; /* its acknowledgement releases the task */
            t->terminal_uuid_unknown = false;
        }
        return;
    }
    record_status(m, t, &u->status);
    if (has_uuid) {
        t->has_uuid = true;
        t->uuid = uuid;
    }
    if (wire_task_state_terminal(u->status.state)) {
        t->terminal = true;
        t->terminal_uuid = uuid;
    }
}

static void on_status_update(master *m, const act_msg *msg, void *decoded)
{
    wire_status_update_message *um = decoded;
    const wire_status_update *u = &um->update;
    m_slave *s = u->slave_id ? m_slave_find(m, u->slave_id->value) : m_slave_by_pid(m, &msg->from);
    /* The slave's status update manager, an actor of the slave's process, forwards them. */
    if (!s || s->pid.ip != msg->from.ip || s->pid.port != msg->from.port) {
        if (s) act_count_refused();
        m_count(m, M_INVALID_STATUS_UPDATES);
        m_drop(m, msg, "status update not from that slave's process");
        return;
    }
    m_framework *f = m_framework_find(m, u->framework_id.value);
    char key[WIRE_KEY_MAX];
    wire_id_key(key, u->framework_id.value, u->status.task_id.value);
    m_task *t = act_map_get(s->tasks, key);
    if (!f && !t) {
        m_count(m, M_INVALID_STATUS_UPDATES);
        m_drop(m, msg, "status update for an unknown framework");
        return;
    }
    if (t) apply_update(m, t, u);
    m_count(m, M_VALID_STATUS_UPDATES);
    VLOG(1, "Status update %s for task %s of framework %s from slave %s",
         wire_task_state_name(u->status.state), u->status.task_id.value,
         u->framework_id.value, s->id);
    if (f && f->connected) {
        m_forward(m, &f->pid, WIRE_DESC(status_update_message), msg, um);
    } else if (t) { /* after a failover the framework may not be back yet: keep the latest */
        wire_msg_free(t->held_update);
        t->held_update = wire_copy(WIRE_DESC(status_update_message), um);
    }
}

void m_tasks_forward_held(master *m, m_framework *f)
{
    m_task *t;
    for (size_t it = 0; act_map_next(f->tasks, &it, NULL, (void **)&t);) {
        if (!t->held_update) continue;
        m_send(m, &f->pid, WIRE_DESC(status_update_message), t->held_update->root);
        wire_msg_free(t->held_update);
        t->held_update = NULL;
    }
}

static void on_ack(master *m, const act_msg *msg, void *decoded)
{
    wire_status_update_acknowledgement_message *a = decoded;
    m_framework *f = m_framework_from_scheduler(m, msg, a->framework_id.value);
    if (!f) {
        m_count(m, M_INVALID_STATUS_UPDATE_ACKNOWLEDGEMENTS);
        return;
    }
    m_slave *s = m_slave_find(m, a->slave_id.value);
    if (!s) {
        m_count(m, M_INVALID_STATUS_UPDATE_ACKNOWLEDGEMENTS);
        m_drop(m, msg, "acknowledgement for an unknown slave");
        return;
    }
    if (s->connected) {
        m_forward(m, &s->pid, WIRE_DESC(status_update_acknowledgement_message), msg, a);
        m_count(m, M_VALID_STATUS_UPDATE_ACKNOWLEDGEMENTS);
    } else {
        m_count(m, M_INVALID_STATUS_UPDATE_ACKNOWLEDGEMENTS);
    }
    char key[WIRE_KEY_MAX];
    m_task *t = act_map_get(s->tasks, wire_id_key(key, f->id, a->task_id.value));
    wire_uuid uuid;
    if (t && t->terminal && wire_uuid_from_bytes(a->uuid.data, a->uuid.len, &uuid) == 0 &&
        wire_uuid_equal(&uuid, &t->terminal_uuid))
        m_task_remove(m, t);
}

/* ---- kill, reconcile, messages ----------------------------------------------------------- */

static void on_kill(master *m, const act_msg *msg, void *decoded)
{
    wire_kill_task_message *k = decoded;
    m_framework *f = m_framework_from_scheduler(m, msg, k->framework_id.value);
    if (!f) return;
    m_task *t = act_map_get(f->tasks, k->task_id.value);
    if (!t) {
        LOG_WARNING_LIMITED("Framework %s asked to kill unknown task %s", f->id,
                            k->task_id.value);
        m_send_status(m, &f->pid, f->id, NULL, k->task_id.value, WIRE_TASK_LOST,
                      "Attempted to kill an unknown task", WIRE_REASON_TASK_UNKNOWN, false);
        return;
    }
    m_slave *s = m_slave_find(m, t->slave_id);
    LOG_INFO("Asking slave %s to kill task %s of framework %s", t->slave_id, k->task_id.value,
             f->id);
    if (s && s->connected) m_send(m, &s->pid, WIRE_DESC(kill_task_message), k);
}

/* Reconciliation answers carry no UUID (nothing to acknowledge) and, as in Mesos,
 * REASON_RECONCILIATION. */
static void answer_latest(master *m, m_framework *f, const m_task *t)
{
    send_update(m, &f->pid, f->id, t->slave_id, t->t->task_id.value, t->t->state,
                "Reconciliation: latest task state", NULL, WIRE_REASON_RECONCILIATION);
}

static void on_reconcile(master *m, const act_msg *msg, void *decoded)
{
    wire_reconcile_tasks_message *r = decoded;
    m_framework *f = m_framework_from_scheduler(m, msg, r->framework_id.value);
    if (!f) return;
    if (r->statuses_count == 0) {
        m_task *t;
        for (size_t it = 0; act_map_next(f->tasks, &it, NULL, (void **)&t);)
            answer_latest(m, f, t);
        return;
    }
    for (size_t i = 0; i < r->statuses_count; i++) {
        const char *id = r->statuses[i].task_id.value;
        m_task *t = act_map_get(f->tasks, id);
        if (t)
            answer_latest(m, f, t);
        else
            send_update(m, &f->pid, f->id, NULL, id, WIRE_TASK_LOST,
                        "Reconciliation: task is unknown to the master", NULL,
                        WIRE_REASON_RECONCILIATION);
    }
}

static void on_framework_to_executor(master *m, const act_msg *msg, void *decoded)
{
    wire_framework_to_executor_message *fm = decoded;
    m_framework *f = m_framework_from_scheduler(m, msg, fm->framework_id.value);
    m_slave *s = f ? m_slave_find(m, fm->slave_id.value) : NULL;
    if (f && (!s || !s->connected))
        m_drop(m, msg, "framework message for an unknown or disconnected slave");
    if (!s || !s->connected) {
        m_count(m, M_INVALID_FRAMEWORK_TO_EXECUTOR_MESSAGES);
        return;
    }
    m_send(m, &s->pid, WIRE_DESC(framework_to_executor_message), fm);
    m_count(m, M_VALID_FRAMEWORK_TO_EXECUTOR_MESSAGES);
}

static void on_executor_to_framework(master *m, const act_msg *msg, void *decoded)
{
    wire_executor_to_framework_message *em = decoded;
    m_slave *s = m_slave_from_slave(m, msg, em->slave_id.value);
    m_framework *f = s ? m_framework_find(m, em->framework_id.value) : NULL;
    if (s && !(f && f->connected)) m_drop(m, msg, "executor message for an absent framework");
    if (!s || !(f && f->connected)) return;
    m_send(m, &f->pid, WIRE_DESC(executor_to_framework_message), em);
}

/* ---- executors --------------------------------------------------------------------------- */

void m_executor_add(master *m, m_slave *s, const char *framework_id,
                    const wire_executor_info *info)
{
    char key[WIRE_KEY_MAX];
    wire_id_key(key, framework_id, info->executor_id.value);
    if (act_map_get(s->executors, key)) return;
    m_executor *e = act_calloc(1, sizeof *e);
    e->msg = wire_copy(WIRE_DESC(executor_info), info);
    e->info = e->msg->root;
    if (!e->info->framework_id) {
        e->info->framework_id = wire_alloc(e->msg, sizeof *e->info->framework_id);
        e->info->framework_id->value = wire_strdup(e->msg, framework_id);
    }
    snprintf(e->framework_id, sizeof e->framework_id, "%s", framework_id);
    res_from_wire(info->resources, info->resources_count, &e->resources, NULL, 0);
    act_map_put(s->executors, key, e);
    add_used(m, m_framework_find(m, framework_id), s, &e->resources);
}

void m_executor_remove(master *m, m_slave *s, const char *key)
{
    m_executor *e = act_map_remove(s->executors, key);
    if (!e) return;
    sub_used(m, m_framework_find(m, e->framework_id), s, &e->resources);
    if (!res_empty(&e->resources)) {
        alloc_event *ev = alloc_event_new(ALLOC_RECOVER, e->framework_id, s->id);
        res_copy(&ev->resources, &e->resources);
        m_alloc(m, ev);
    }
    wire_msg_free(e->msg);
    res_free(&e->resources);
    free(e);
}

static void on_exited_executor(master *m, const act_msg *msg, void *decoded)
{
    wire_exited_executor_message *x = decoded;
    m_slave *s = m_slave_from_slave(m, msg, x->slave_id.value);
    if (!s) return;
    char key[WIRE_KEY_MAX];
    wire_id_key(key, x->framework_id.value, x->executor_id.value);
    LOG_INFO("Executor %s of framework %s on slave %s exited with status %d",
             x->executor_id.value, x->framework_id.value, s->id, x->status);
    m_executor_remove(m, s, key);
    m_framework *f = m_framework_find(m, x->framework_id.value);
    if (f && f->connected) m_send(m, &f->pid, WIRE_DESC(exited_executor_message), x);
}

void m_task_handlers(act_actor *a)
{
    m_handle(a, WIRE_DESC(status_update_message), on_status_update);
    m_handle(a, WIRE_DESC(status_update_acknowledgement_message), on_ack);
    m_handle(a, WIRE_DESC(kill_task_message), on_kill);
    m_handle(a, WIRE_DESC(reconcile_tasks_message), on_reconcile);
    m_handle(a, WIRE_DESC(framework_to_executor_message), on_framework_to_executor);
    m_handle(a, WIRE_DESC(executor_to_framework_message), on_executor_to_framework);
    m_handle(a, WIRE_DESC(exited_executor_message), on_exited_executor);
}
