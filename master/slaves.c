/*
 * slaves.c - slaves in the master: registration (admitted durably through the registrar),
 * re-registration (reconciling the tasks the slave reports with those the master knows),
 * health pings, disconnection, and removal, which makes the slave's tasks TASK_LOST and tells
 * frameworks slaveLost (PROTOCOL.md, "Slave registration" and "Health and loss of a slave").
 */
#include "master/master_int.h"

#include <string.h>

m_slave *m_slave_find(master *m, const char *id)
{
    return act_map_get(m->slaves, id);
}

m_slave *m_slave_from_slave(master *m, const act_msg *msg, const char *id)
{
    m_slave *s = m_slave_find(m, id);
    if (!s) {
        m_drop(m, msg, "unknown slave");
        return NULL;
    }
    if (!act_pid_equal(&s->pid, &msg->from)) {
        act_count_refused();
        m_drop(m, msg, "not from that slave");
        return NULL;
    }
    return s;
}

m_slave *m_slave_by_pid(master *m, const act_pid *pid)
{
    char key[ACT_PID_STRLEN];
    return act_map_get(m->slaves_by_pid, act_pid_format(pid, key, sizeof key));
}

/* Drops the slave from the pid index (only if the entry is still this slave's: a new slave
 * may have registered from the same pid since). */
static void unindex(master *m, m_slave *s)
{
    char key[ACT_PID_STRLEN];
    act_pid_format(&s->pid, key, sizeof key);
    if (act_map_get(m->slaves_by_pid, key) == s) act_map_remove(m->slaves_by_pid, key);
}

/* What state.json shows of the slave changed: its JSON is made again when next asked for. */
static void changed(m_slave *s)
{
    act_blob_unref(s->json);
    s->json = NULL;
}

/* Points the slave at a (new) pid, keeping the pid index in step. */
static void set_pid(master *m, m_slave *s, const act_pid *pid)
{
    changed(s);
    char key[ACT_PID_STRLEN];
    if (!act_pid_is_none(&s->pid)) unindex(m, s);
    s->pid = *pid;
    act_map_put(m->slaves_by_pid, act_pid_format(pid, key, sizeof key), s);
}

static void send_shutdown(master *m, const act_pid *to, const char *why)
{
    wire_shutdown_message sd = {.has_message = true, .message = (char *)why};
    m_send(m, to, WIRE_DESC(shutdown_message), &sd);
}

/* With --authenticate_slaves, a slave that did not authenticate is told to shut down (Mesos).
 * True if the registration may go on. */
static bool authenticated(master *m, const act_msg *msg)
{
    if (!m->cfg.authenticate_slaves || m_auth_principal(m, &msg->from)) return true;
    char from[ACT_PID_STRLEN];
    LOG_WARNING_LIMITED("Refusing registration of slave at %s: it is not authenticated",
                        act_pid_format(&msg->from, from, sizeof from));
    send_shutdown(m, &msg->from, "Slave is not authenticated");
    return false;
}

static void send_registered(master *m, m_slave *s, bool reregistered)
{
    wire_master_slave_connection conn = {
        .has_total_ping_timeout_seconds = true,
        .total_ping_timeout_seconds = m->cfg.slave_ping_timeout * m->cfg.max_slave_ping_timeouts};
    wire_slave_id id = {s->id};
    if (reregistered) {
        wire_slave_reregistered_message r = {.slave_id = id, .connection = &conn};
        m_send(m, &s->pid, WIRE_DESC(slave_reregistered_message), &r);
    } else {
        wire_slave_registered_message r = {.slave_id = id, .connection = &conn};
        m_send(m, &s->pid, WIRE_DESC(slave_registered_message), &r);
    }
}

/* ---- health pings ------------------------------------------------------------------------ */

/* Slaves that failed their health checks are removed one per --slave_removal_rate_limit
 * interval, in order; a pong before its turn cancels a removal (Mesos' SlaveObserver with
 * its RateLimiter). Without the flag they are removed at once. */
static void arm_removals(master *m);

static void removal_due(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m->removal_timer = 0;
    m_slave *s;
    if (!act_map_next(m->removals, &(size_t){0}, NULL, (void **)&s)) return;
    m->last_removal = act_now();
    LOG_INFO("Shutting down slave %s due to health check timeout", s->id);
    m_slave_remove(m, s, "health check timed out"); /* leaves m->removals */
    arm_removals(m);
}

static void arm_removals(master *m)
{
    if (m->removal_timer || act_map_size(m->removals) == 0) return;
    double wait = m->last_removal + m->cfg.slave_removal_interval - act_now();
    m->removal_timer = act_delay(m->self, wait > 0 ? wait : 0, removal_due, NULL);
}

/* Takes a slave out of the removal queue (a pong, or it is removed for another reason). */
static void unschedule_removal(master *m, m_slave *s)
{
    if (!s->removal_scheduled) return;
    s->removal_scheduled = false;
    act_map_remove(m->removals, s->id);
    if (m->removal_timer && act_map_size(m->removals) == 0) {
        act_cancel(m->self, m->removal_timer);
        m->removal_timer = 0;
    }
}

/* Returns true if the slave was removed at once (s is freed). */
static bool schedule_removal(master *m, m_slave *s)
{
    if (s->removal_scheduled) return false;
    m_count(m, M_SLAVE_SHUTDOWNS_SCHEDULED);
    if (m->cfg.slave_removal_interval <= 0) {
        m_slave_remove(m, s, "health check timed out");
        return true;
    }
    LOG_INFO("Scheduling shutdown of slave %s due to health check timeout", s->id);
    s->removal_scheduled = true;
    act_map_put(m->removals, s->id, s);
    arm_removals(m);
    return false;
}

static void ping(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m_slave *s = arg; /* removal cancels this timer */
    s->ping_timer = 0;
    if (s->pong_received) {
        s->missed_pings = 0;
    } else if (++s->missed_pings >= m->cfg.max_slave_ping_timeouts &&
               schedule_removal(m, s)) {
        return;
    }
    s->pong_received = false;
    wire_ping_slave_message p = {.connected = s->connected};
    m_send(m, &s->pid, WIRE_DESC(ping_slave_message), &p);
    s->ping_timer = act_delay(self, m->cfg.slave_ping_timeout, ping, s);
}

static void on_pong(act_actor *self, const act_msg *msg)
{
    master *m = act_state(self);
    m_slave *s = m_slave_by_pid(m, &msg->from);
    if (!s) return;
    s->pong_received = true;
    if (!s->removal_scheduled) return;
    LOG_INFO("Canceling shutdown of slave %s since a pong is received", s->id);
    m_count(m, M_SLAVE_SHUTDOWNS_CANCELED);
    s->missed_pings = 0;
    unschedule_removal(m, s);
}

/* ---- adding ------------------------------------------------------------------------------ */

/* A slave record from (validated) info whose id is set; linked, pinged, given to the
 * allocator with what its tasks and executors use. */
static m_slave *slave_add(master *m, const wire_slave_info *info, const act_pid *pid,
                          const res_set *total)
{
    m_slave *s = act_calloc(1, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", info->id->value);
    s->info_msg = wire_copy(WIRE_DESC(slave_info), info);
    s->info = s->info_msg->root;
    set_pid(m, s, pid);
    s->connected = s->active = true;
    s->registered_time = s->reregistered_time = act_now();
    res_copy(&s->total, total);
    m_count_resources(m, total, +1, false);
    s->tasks = act_map_new();
    s->executors = act_map_new();
    s->pong_received = true;
    act_map_put(m->slaves, s->id, s);
    act_link(m->self, pid);
    s->ping_timer = act_delay(m->self, m->cfg.slave_ping_timeout, ping, s);
    return s;
}

static void tell_allocator(master *m, m_slave *s)
{
    alloc_event *ev = alloc_event_new(ALLOC_ADD_SLAVE, NULL, s->id);
    ev->hostname = act_strdup(s->info->hostname);
    res_copy(&ev->resources, &s->total);
    act_map *per_fw = act_map_new(); /* framework id -> res_set* */
    m_task *t;
    for (size_t it = 0; act_map_next(s->tasks, &it, NULL, (void **)&t);) {
        res_set *u = act_map_get(per_fw, t->framework_id);
        if (!u) act_map_put(per_fw, t->framework_id, u = act_calloc(1, sizeof *u));
        res_add(u, &t->resources);
    }
    m_executor *e;
    for (size_t it = 0; act_map_next(s->executors, &it, NULL, (void **)&e);) {
        res_set *u = act_map_get(per_fw, e->framework_id);
        if (!u) act_map_put(per_fw, e->framework_id, u = act_calloc(1, sizeof *u));
        res_add(u, &e->resources);
    }
    const char *fw;
    res_set *u;
    for (size_t it = 0; act_map_next(per_fw, &it, &fw, (void **)&u);) {
        alloc_event_add_used(ev, fw, u);
        res_free(u);
        free(u);
    }
    act_map_free(per_fw);
    m_alloc(m, ev);
}

/* Checks the info a slave sent; fills *total. Returns a reason or NULL. */
static const char *validate_info(const wire_slave_info *info, res_set *total, char *err,
                                 size_t errlen)
{
    if (!info->hostname || !*info->hostname) return "SlaveInfo.hostname is empty";
    if (res_from_wire(info->resources, info->resources_count, total, err, errlen) != 0)
        return err;
    return NULL;
}

typedef struct admission {
    wire_msg *info;   /* wire_slave_info with the id */
    wire_msg *report; /* re-registration: the wire_reregister_slave_message copy, or NULL */
    act_pid pid;
    char pid_text[ACT_PID_STRLEN];
} admission;

static void admission_free(void *p)
{
    admission *a = p;
    wire_msg_free(a->info);
    wire_msg_free(a->report);
    free(a);
}

static void admitted(master *m, bool ok, const char *error, void *ctx)
{
    admission *a = ctx;
    act_map_remove(m->registering, a->pid_text);
    const wire_slave_info *info = a->info->root;
    if (!ok) {
        LOG_WARNING("Slave %s at %s was not admitted: %s", info->id->value, a->pid_text, error);
        send_shutdown(m, &a->pid, error);
        admission_free(a);
        return;
    }
    res_set total = {0};
    char err[256];
    validate_info(info, &total, err, sizeof err);
    m_slave *s = slave_add(m, info, &a->pid, &total);
    res_free(&total);
    if (a->report) {
        const wire_reregister_slave_message *r = a->report->root;
        for (size_t i = 0; i < r->executor_infos_count; i++) {
            const wire_executor_info *e = &r->executor_infos[i];
            m_executor_add(m, s, e->framework_id ? e->framework_id->value : "", e);
        }
        for (size_t i = 0; i < r->tasks_count; i++) m_task_add_reported(m, s, &r->tasks[i]);
        wire_msg *w = act_map_remove(m->recovered_slaves, s->id);
        wire_msg_free(w);
        m_count(m, M_SLAVE_REREGISTRATIONS);
        LOG_INFO("Re-admitted slave %s at %s (%s) with %zu task(s)", s->id, a->pid_text,
                 info->hostname, r->tasks_count);
        send_registered(m, s, true);
    } else {
        m_count(m, M_SLAVE_REGISTRATIONS);
        char *res = res_to_string(&s->total);
        LOG_INFO("Registered slave %s at %s (%s) with %s", s->id, a->pid_text, info->hostname,
                 res);
        free(res);
        send_registered(m, s, false);
    }
    tell_allocator(m, s);
    admission_free(a);
}

static void on_register(master *m, const act_msg *msg, void *decoded)
{
    wire_register_slave_message *r = decoded;
    char from[ACT_PID_STRLEN], err[256];
    act_pid_format(&msg->from, from, sizeof from);
    if (!authenticated(m, msg)) return;
    m_slave *s = m_slave_by_pid(m, &msg->from);
    if (s) {
        LOG_INFO("Slave %s at %s already registered, resending acknowledgement", s->id, from);
        send_registered(m, s, false);
        return;
    }
    if (act_map_get(m->registering, from)) return; /* admission in progress */
    res_set total = {0};
    const char *invalid = validate_info(&r->slave, &total, err, sizeof err);
    res_free(&total);
    if (invalid) {
        LOG_WARNING_LIMITED("Refusing registration of slave at %s: %s", from, invalid);
        send_shutdown(m, &msg->from, invalid);
        return;
    }
    admission *a = act_calloc(1, sizeof *a);
    a->info = wire_copy(WIRE_DESC(slave_info), &r->slave);
    wire_slave_info *info = a->info->root;
    char id[WIRE_ID_MAX];
    wire_id_slave(id, sizeof id, m->id, m->next_slave++);
    if (!info->id) info->id = wire_alloc(a->info, sizeof *info->id);
    info->id->value = wire_strdup(a->info, id);
    a->pid = msg->from;
    snprintf(a->pid_text, sizeof a->pid_text, "%s", from);
    act_map_put(m->registering, from, (void *)1);
    m_registrar_apply(m, REG_ADMIT, info, admitted, a, admission_free);
}

/* ---- re-registration --------------------------------------------------------------------- */

static bool reported(const wire_reregister_slave_message *r, const m_task *t)
{
    for (size_t i = 0; i < r->tasks_count; i++)
        if (strcmp(r->tasks[i].task_id.value, t->t->task_id.value) == 0 &&
            strcmp(r->tasks[i].framework_id.value, t->framework_id) == 0)
            return true;
    return false;
}

/* A known slave came back: reconcile what it runs with what the master knows. */
static void reconnect(master *m, m_slave *s, const act_pid *pid,
                      const wire_reregister_slave_message *r)
{
    if (s->reregister_timer) act_cancel(m->self, s->reregister_timer);
    s->reregister_timer = 0;
    if (!act_pid_equal(&s->pid, pid)) {
        set_pid(m, s, pid);
        act_link(m->self, pid);
    }
    s->connected = true;
    s->reregistered_time = act_now();
    changed(s);
    if (!s->active) {
        s->active = true;
        m_alloc(m, alloc_event_new(ALLOC_ACTIVATE_SLAVE, NULL, s->id));
    }
    m_task *t;
    for (size_t it = 0; act_map_next(s->tasks, &it, NULL, (void **)&t);)
        if (!reported(r, t) && t->t->state != WIRE_TASK_STAGING && !t->terminal) {
            m_task_fail(m, t, WIRE_TASK_LOST, "Task is unknown to the slave",
                        WIRE_REASON_TASK_UNKNOWN);
            m_task_remove(m, t); /* the slave does not run it: its resources are free */
        }
    for (size_t i = 0; i < r->tasks_count; i++) {
        char key[WIRE_KEY_MAX];
        wire_id_key(key, r->tasks[i].framework_id.value, r->tasks[i].task_id.value);
        if (!act_map_get(s->tasks, key)) m_task_add_reported(m, s, &r->tasks[i]);
    }
    m_count(m, M_SLAVE_REREGISTRATIONS);
    LOG_INFO("Slave %s (%s) re-registered with %zu task(s)", s->id, s->info->hostname,
             r->tasks_count);
    send_registered(m, s, true);
}

static void on_reregister(master *m, const act_msg *msg, void *decoded)
{
    wire_reregister_slave_message *r = decoded;
    char from[ACT_PID_STRLEN], err[256];
    act_pid_format(&msg->from, from, sizeof from);
    const char *id = r->slave_id.value;
    if (!wire_id_valid(id)) {
        m_drop(m, msg, "invalid slave ID");
        return;
    }
    if (!authenticated(m, msg)) return;
    if (act_map_get(m->removed_slaves, id)) {
        LOG_WARNING("Slave %s at %s attempted to re-register after removal", id, from);
        send_shutdown(m, &msg->from, "Slave attempted to re-register after removal");
        return;
    }
    m_slave *s = m_slave_find(m, id);
    if (s && s->pid.ip != msg->from.ip) {
        /* A restarted slave may come back with a new pid, but from its own host. */
        act_count_refused();
        m_drop(m, msg, "the slave with that ID is registered from another host");
        return;
    }
    if (s) {
        reconnect(m, s, &msg->from, r);
        return;
    }
    if (act_map_get(m->registering, from)) return;
    res_set total = {0};
    const char *invalid = validate_info(&r->slave, &total, err, sizeof err);
    res_free(&total);
    if (invalid) {
        send_shutdown(m, &msg->from, invalid);
        return;
    }
    admission *a = act_calloc(1, sizeof *a);
    a->info = wire_copy(WIRE_DESC(slave_info), &r->slave);
    wire_slave_info *info = a->info->root;
    if (!info->id) info->id = wire_alloc(a->info, sizeof *info->id);
    info->id->value = wire_strdup(a->info, id);
    a->report = wire_copy(WIRE_DESC(reregister_slave_message), r);
    a->pid = msg->from;
    snprintf(a->pid_text, sizeof a->pid_text, "%s", from);
    act_map_put(m->registering, from, (void *)1);
    m_registrar_apply(m, REG_READMIT, info, admitted, a, admission_free);
}

/* ---- leaving ----------------------------------------------------------------------------- */

static void removed(master *m, bool ok, const char *error, void *ctx)
{
    char *id = ctx;
    if (!ok) LOG_ERROR("Failed to remove slave %s from the registry: %s", id, error);
    free(id);
}

static void slave_free(m_slave *s)
{
    act_blob_unref(s->json);
    act_map_free(s->tasks);
    act_map_free(s->executors);
    wire_msg_free(s->info_msg);
    res_free(&s->total);
    res_free(&s->used);
    res_free(&s->offered);
    free(s);
}

void m_slave_remove(master *m, m_slave *s, const char *reason)
{
    LOG_WARNING("Removing slave %s at %s (%s): %s", s->id, s->info->hostname, s->info->hostname,
                reason);
    m_registrar_apply(m, REG_REMOVE, s->info, removed, act_strdup(s->id), free);
    unschedule_removal(m, s);
    if (s->ping_timer) act_cancel(m->self, s->ping_timer);
    if (s->reregister_timer) act_cancel(m->self, s->reregister_timer);
    m_offers_remove_matching(m, NULL, s->id, true);
    char message[512];
    snprintf(message, sizeof message, "Slave %s removed: %s", s->info->hostname, reason);
    m_task *t;
    for (size_t it = 0; act_map_next(s->tasks, &it, NULL, (void **)&t);) {
        if (!t->terminal) m_task_fail(m, t, WIRE_TASK_LOST, message, WIRE_REASON_SLAVE_REMOVED);
        m_task_remove(m, t);
    }
    const char *key;
    for (size_t it = 0; act_map_next(s->executors, &it, &key, NULL);) m_executor_remove(m, s, key);
    m_alloc(m, alloc_event_new(ALLOC_REMOVE_SLAVE, NULL, s->id));
    wire_lost_slave_message lost = {.slave_id = {s->id}};
    m_framework *f;
    for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);)
        if (f->connected) m_send(m, &f->pid, WIRE_DESC(lost_slave_message), &lost);
    send_shutdown(m, &s->pid, reason);
    act_map_put(m->removed_slaves, s->id, (void *)1);
    m_count_resources(m, &s->total, -1, false);
    act_map_remove(m->slaves, s->id);
    unindex(m, s);
    m_count(m, M_SLAVE_REMOVALS);
    slave_free(s);
}

static void reregister_timeout(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m_slave *s = arg; /* reconnection and removal cancel this timer */
    s->reregister_timer = 0;
    if (!s->connected) m_slave_remove(m, s, "did not re-register within the timeout");
}

void m_slave_exited(master *m, const act_pid *pid)
{
    m_slave *s = m_slave_by_pid(m, pid);
    if (!s || !s->connected) return;
    if (!s->info->has_checkpoint || !s->info->checkpoint) {
        m_slave_remove(m, s, "disconnected and not checkpointing");
        return;
    }
    LOG_INFO("Slave %s (%s) disconnected; waiting for it to re-register", s->id,
             s->info->hostname);
    s->connected = false;
    s->active = false;
    changed(s);
    m_alloc(m, alloc_event_new(ALLOC_DEACTIVATE_SLAVE, NULL, s->id));
    m_offers_remove_matching(m, NULL, s->id, true);
    s->reregister_timer = act_delay(m->self, m->cfg.slave_reregister_timeout,
                                    reregister_timeout, s);
}

static void on_unregister(master *m, const act_msg *msg, void *decoded)
{
    wire_unregister_slave_message *u = decoded;
    m_slave *s = m_slave_from_slave(m, msg, u->slave_id.value);
    if (!s) return;
    m_slave_remove(m, s, "the slave unregistered");
}

/* ---- after a master failover ------------------------------------------------------------- */

static void recovery_timeout(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m->recovery_timer = 0;
    size_t missing = act_map_size(m->recovered_slaves);
    size_t total = missing + act_map_size(m->slaves);
    if (!missing) return;
    if (total && (double)missing / (double)total > m->cfg.recovery_slave_removal_limit) {
        LOG_ERROR("%zu of %zu slaves did not re-register, more than "
                  "--recovery_slave_removal_limit allows: NOT removing them", missing, total);
        return;
    }
    const char *id;
    wire_msg *w;
    for (size_t it = 0; act_map_next(m->recovered_slaves, &it, &id, (void **)&w);) {
        LOG_WARNING("Slave %s did not re-register after the master failover: removing it", id);
        m_registrar_apply(m, REG_REMOVE, w->root, removed, act_strdup(id), free);
        act_map_put(m->removed_slaves, id, (void *)1);
        act_map_remove(m->recovered_slaves, id);
        wire_msg_free(w);
        m_count(m, M_RECOVERY_SLAVE_REMOVALS);
    }
}

void m_slaves_recovered(master *m, wire_msg *registry)
{
    const wire_registry *r = registry->root;
    size_t n = r->slaves ? r->slaves->slaves_count : 0;
    for (size_t i = 0; i < n; i++) {
        const wire_slave_info *info = &r->slaves->slaves[i].info;
        if (info->id) act_map_put(m->recovered_slaves, info->id->value,
                                  wire_copy(WIRE_DESC(slave_info), info));
    }
    if (n) {
        LOG_INFO("Recovered %zu slave(s) from the registry; waiting %.0f s for them to "
                 "re-register", n, m->cfg.slave_reregister_timeout);
        m->recovery_timer = act_delay(m->self, m->cfg.slave_reregister_timeout,
                                      recovery_timeout, NULL);
    }
}

void m_slaves_free(master *m)
{
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        m_task *t;
        for (size_t k = 0; act_map_next(s->tasks, &k, NULL, (void **)&t);) m_task_free(t);
        m_executor *e;
        for (size_t k = 0; act_map_next(s->executors, &k, NULL, (void **)&e);) {
            wire_msg_free(e->msg);
            res_free(&e->resources);
            free(e);
        }
        slave_free(s);
    }
}

void m_slave_handlers(act_actor *a)
{
    m_handle(a, WIRE_DESC(register_slave_message), on_register);
    m_handle(a, WIRE_DESC(reregister_slave_message), on_reregister);
    m_handle(a, WIRE_DESC(unregister_slave_message), on_unregister);
    act_on_message(a, "mesos.internal.PongSlaveMessage", on_pong);
}
