/*
 * frameworks.c - frameworks in the master: registration, re-registration (including a
 * failover=true takeover, and frameworks returning after a master failover), unregistration,
 * deactivation, disconnection with the failover timeout, and removal, which kills their tasks
 * and moves them to the bounded list of completed frameworks (PROTOCOL.md, "Framework
 * registration" and "Framework failover").
 */
#include "master/master_int.h"

#include <string.h>

m_framework *m_framework_find(master *m, const char *id)
{
    return act_map_get(m->frameworks, id);
}

m_framework *m_framework_by_pid(master *m, const act_pid *pid)
{
    char key[ACT_PID_STRLEN];
    return act_map_get(m->frameworks_by_pid, act_pid_format(pid, key, sizeof key));
}

/* Drops the framework's scheduler from the pid index (if the entry is still its own). */
static void unindex_pid(master *m, m_framework *f)
{
    char key[ACT_PID_STRLEN];
    if (act_map_get(m->frameworks_by_pid, act_pid_format(&f->pid, key, sizeof key)) == f)
        act_map_remove(m->frameworks_by_pid, key);
}

/* The framework's scheduler is (now) pid, in the pid index. */
static void index_pid(master *m, m_framework *f, const act_pid *pid)
{
    char key[ACT_PID_STRLEN];
    unindex_pid(m, f);
    f->pid = *pid;
    act_map_put(m->frameworks_by_pid, act_pid_format(pid, key, sizeof key), f);
}

void m_framework_error(master *m, const act_pid *to, const char *message)
{
    wire_framework_error_message e = {.message = (char *)message};
    m_send(m, to, WIRE_DESC(framework_error_message), &e);
}

static void send_registered(master *m, m_framework *f, bool reregistered)
{
    wire_framework_id id = {f->id};
    if (reregistered) {
        wire_framework_reregistered_message r = {.framework_id = id, .master_info = *m->info};
        m_send(m, &f->pid, WIRE_DESC(framework_reregistered_message), &r);
    } else {
        wire_framework_registered_message r = {.framework_id = id, .master_info = *m->info};
        m_send(m, &f->pid, WIRE_DESC(framework_registered_message), &r);
    }
}

/* The reason a framework may not register with this info (written into buf when it needs
 * formatting), or NULL: its role must be one of --roles and one the register_frameworks ACLs
 * let its principal use. */
static const char *validate_info(master *m, const wire_framework_info *info, char *buf,
                                 size_t n)
{
    const char *role = info->has_role ? info->role : "*";
    if (!*role) return "Role must not be empty";
    if (!m->cfg.root_submissions && strcmp(info->user, "root") == 0)
        return "User 'root' is not allowed to run frameworks without --root_submissions set";
    bool listed = m->cfg.nroles == 0;
    for (size_t i = 0; i < m->cfg.nroles && !listed; i++)
        listed = strcmp(m->cfg.roles[i], role) == 0;
    if (!listed) return "Role is not in the list of roles the master was started with (--roles)";
    if (m_authorize_role(m->cfg.acls, info->has_principal ? info->principal : NULL, role))
        return NULL;
    snprintf(buf, n, "Not authorized to use role '%s'", role);
    return buf;
}

/* With --authenticate, why a framework at `from` may not (re-)register with `info`, written
 * into buf; else NULL (Mesos' Master::validate). An authenticated framework that names no
 * principal in its FrameworkInfo is let in with a warning, as in Mesos. */
static const char *unauthenticated(master *m, const act_pid *from,
                                   const wire_framework_info *info, char *buf, size_t n)
{
    if (!m->cfg.authenticate_frameworks) return NULL;
    char pid[ACT_PID_STRLEN];
    act_pid_format(from, pid, sizeof pid);
    const char *principal = m_auth_principal(m, from);
    if (!principal)
        snprintf(buf, n, "Framework at %s is not authenticated", pid);
    else if (info->has_principal && strcmp(info->principal, principal) != 0)
        snprintf(buf, n, "Framework principal '%s' does not match authenticated principal '%s'",
                 info->principal, principal);
    else {
        if (!info->has_principal)
            LOG_WARNING_LIMITED("Framework at %s (authenticated as '%s') does not specify "
                                "principal in its FrameworkInfo", pid, principal);
        return NULL;
    }
    return buf;
}

static m_framework *framework_new(master *m, const char *id, const wire_framework_info *info,
                                  const act_pid *pid)
{
    m_framework *f = act_calloc(1, sizeof *f);
    snprintf(f->id, sizeof f->id, "%s", id);
    f->info_msg = wire_copy(WIRE_DESC(framework_info), info);
    f->info = f->info_msg->root;
    if (!f->info->id) f->info->id = wire_alloc(f->info_msg, sizeof *f->info->id);
    f->info->id->value = wire_strdup(f->info_msg, id);
    index_pid(m, f, pid);
    m_principal_add(m, f);
    const char *proved = m_auth_principal(m, pid);
    f->authenticated_as = proved ? act_strdup(proved) : NULL;
    f->connected = f->active = true;
    f->registered_time = f->reregistered_time = act_now();
    f->tasks = act_map_new();
    f->offers = act_map_new();
    size_t cap = m->cfg.max_completed_tasks_per_framework;
    f->completed = act_calloc(cap ? cap : 1, sizeof *f->completed);
    act_map_put(m->frameworks, id, f);
    act_link(m->self, pid);
    return f;
}

static const char *role_of(const m_framework *f)
{
    return f->info->has_role && *f->info->role ? f->info->role : "*";
}

/* Tells the allocator about a framework, with what it already holds on each slave. */
static void alloc_add(master *m, m_framework *f)
{
    alloc_event *ev = alloc_event_new(ALLOC_ADD_FRAMEWORK, f->id, NULL);
    ev->role = act_strdup(role_of(f));
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        res_set used = {0};
        m_task *t;
        for (size_t k = 0; act_map_next(s->tasks, &k, NULL, (void **)&t);)
            if (strcmp(t->framework_id, f->id) == 0) res_add(&used, &t->resources);
        m_executor *e;
        for (size_t k = 0; act_map_next(s->executors, &k, NULL, (void **)&e);)
            if (strcmp(e->framework_id, f->id) == 0) res_add(&used, &e->resources);
        if (!res_empty(&used)) alloc_event_add_used(ev, s->id, &used);
        res_free(&used);
    }
    m_alloc(m, ev);
}

static void on_register(master *m, const act_msg *msg, void *decoded)
{
    wire_register_framework_message *r = decoded;
    char from[ACT_PID_STRLEN];
    act_pid_format(&msg->from, from, sizeof from);
    m_framework *f = m_framework_by_pid(m, &msg->from);
    if (f) {
        LOG_INFO("Framework %s at %s already registered, resending acknowledgement", f->id,
                 from);
        send_registered(m, f, false);
        return;
    }
    char why[512];
    const char *invalid = unauthenticated(m, &msg->from, &r->framework, why, sizeof why);
    if (!invalid) invalid = validate_info(m, &r->framework, why, sizeof why);
    if (invalid) {
        LOG_WARNING_LIMITED("Refusing registration of framework '%s' at %s: %s",
                            r->framework.name, from, invalid);
        m_framework_error(m, &msg->from, invalid);
        return;
    }
    char id[WIRE_ID_MAX];
    wire_id_framework(id, sizeof id, m->id, m->next_framework++);
    f = framework_new(m, id, &r->framework, &msg->from);
    LOG_INFO("Registered framework %s (%s) at %s with role %s", id, r->framework.name, from,
             role_of(f));
    alloc_add(m, f);
    send_registered(m, f, false);
}

/* Tasks the slaves reported for a framework the master did not know yet. */
static void adopt_tasks(master *m, m_framework *f)
{
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        m_task *t;
        for (size_t k = 0; act_map_next(s->tasks, &k, NULL, (void **)&t);)
            if (strcmp(t->framework_id, f->id) == 0) {
                act_map_put(f->tasks, t->t->task_id.value, t);
                act_map_remove(m->orphans, t->key);
                m_task_changed(m, t);
                res_add(&f->used, &t->resources);
            }
    }
}

static void reactivate(master *m, m_framework *f, const act_pid *pid)
{
    if (f->failover_timer) act_cancel(m->self, f->failover_timer);
    f->failover_timer = 0;
    if (!act_pid_equal(&f->pid, pid)) {
        index_pid(m, f, pid);
        act_link(m->self, pid);
    }
    f->connected = true;
    f->reregistered_time = act_now();
    m_framework_changed(f);
    if (!f->active) {
        f->active = true;
        m_alloc(m, alloc_event_new(ALLOC_ACTIVATE_FRAMEWORK, f->id, NULL));
    }
}

static void on_reregister(master *m, const act_msg *msg, void *decoded)
{
    wire_reregister_framework_message *r = decoded;
    char from[ACT_PID_STRLEN];
    act_pid_format(&msg->from, from, sizeof from);
    const wire_framework_info *info = &r->framework;
    if (!info->id || !wire_id_valid(info->id->value)) {
        m_framework_error(m, &msg->from, "Framework re-registered without a valid ID");
        return;
    }
    char why[512];
    const char *id = info->id->value;
    const char *invalid = unauthenticated(m, &msg->from, info, why, sizeof why);
    if (!invalid) invalid = validate_info(m, info, why, sizeof why);
    m_framework *f = m_framework_find(m, id);
    const char *proved = m_auth_principal(m, &msg->from);
    if (!invalid && f && m->cfg.authenticate_frameworks && f->authenticated_as &&
        strcmp(f->authenticated_as, proved ? proved : "") != 0) { /* nobody takes another's */
        snprintf(why, sizeof why, "Framework %s was registered by principal '%s'", id,
                 f->authenticated_as);
        invalid = why;
    }
    if (invalid) {
        LOG_WARNING_LIMITED("Refusing re-registration of framework %s at %s: %s", id, from,
                            invalid);
        m_framework_error(m, &msg->from, invalid);
        return;
    }
    if (!f) {
        for (size_t i = 0; i < m->ncompleted_frameworks; i++)
            if (strcmp(m->completed_frameworks[i]->id, id) == 0) {
                m_framework_error(m, &msg->from, "Framework has been removed");
                return;
            }
        f = framework_new(m, id, info, &msg->from);
        adopt_tasks(m, f);
        LOG_INFO("Re-registered framework %s (%s) at %s after a master failover", id,
                 info->name, from);
        alloc_add(m, f);
        send_registered(m, f, true);
        m_tasks_forward_held(m, f);
        return;
    }
    if (r->failover) {
        if (f->connected && !act_pid_equal(&f->pid, &msg->from)) {
            char old[ACT_PID_STRLEN];
            LOG_INFO("Framework %s failed over from %s to %s", id,
                     act_pid_format(&f->pid, old, sizeof old), from);
            m_framework_error(m, &f->pid, "Framework failed over");
        }
    } else if (f->connected && !act_pid_equal(&f->pid, &msg->from)) {
        LOG_WARNING("Refusing re-registration of framework %s from %s: registered elsewhere",
                    id, from);
        m_framework_error(m, &msg->from, "Framework failed over");
        return;
    }
    reactivate(m, f, &msg->from);
    LOG_INFO("Re-registered framework %s (%s) at %s", id, f->info->name, from);
    send_registered(m, f, true);
    m_tasks_forward_held(m, f);
}

/* ---- leaving ----------------------------------------------------------------------------- */

static void deactivate(master *m, m_framework *f)
{
    m_framework_changed(f);
    if (f->active) {
        f->active = false;
        m_alloc(m, alloc_event_new(ALLOC_DEACTIVATE_FRAMEWORK, f->id, NULL));
    }
    m_offers_remove_matching(m, f->id, NULL, false);
}

static void framework_free(m_framework *f)
{
    free(f->authenticated_as);
    for (size_t i = 0; i < f->ncompleted; i++) {
        wire_msg_free(f->completed[i].task);
        act_blob_unref(f->completed[i].json);
    }
    free(f->completed);
    act_blob_unref(f->tasks_json);
    act_blob_unref(f->completed_json);
    act_pieces_free(f->json);
    act_map_free(f->offers);
    act_map_free(f->tasks);
    wire_msg_free(f->info_msg);
    res_free(&f->used);
    res_free(&f->offered);
    free(f);
}

/* Keeps the last max_completed_frameworks removed frameworks for the endpoints. */
static void add_completed_framework(master *m, m_framework *f)
{
    size_t cap = m->cfg.max_completed_frameworks;
    if (cap == 0) {
        framework_free(f);
        return;
    }
    if (!m->completed_frameworks) m->completed_frameworks = act_calloc(cap, sizeof f);
    size_t slot = m->completed_frameworks_next;
    if (m->completed_frameworks[slot]) framework_free(m->completed_frameworks[slot]);
    m->completed_frameworks[slot] = f;
    m->completed_frameworks_next = (slot + 1) % cap;
    if (m->ncompleted_frameworks < cap) m->ncompleted_frameworks++;
}

/* Removes a framework for good: its tasks and executors end, slaves are told to shut it down. */
static void framework_remove(master *m, m_framework *f, const char *why)
{
    LOG_INFO("Removing framework %s (%s): %s", f->id, f->info->name, why);
    deactivate(m, f);
    if (f->failover_timer) act_cancel(m->self, f->failover_timer);
    f->failover_timer = 0;
    wire_shutdown_framework_message sd = {.framework_id = {f->id}};
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        bool has = false;
        m_task *t;
        for (size_t k = 0; act_map_next(s->tasks, &k, NULL, (void **)&t);)
            if (strcmp(t->framework_id, f->id) == 0) {
                has = true;
                m_task_abandon(m, t, f->id);
            }
        const char *key;
        m_executor *e;
        for (size_t k = 0; act_map_next(s->executors, &k, &key, (void **)&e);)
            if (strcmp(e->framework_id, f->id) == 0) {
                has = true;
                m_executor_remove(m, s, key);
            }
        if (has && s->connected) m_send(m, &s->pid, WIRE_DESC(shutdown_framework_message), &sd);
    }
    m_alloc(m, alloc_event_new(ALLOC_REMOVE_FRAMEWORK, f->id, NULL));
    act_map_remove(m->frameworks, f->id);
    m_principal_remove(m, f);
    unindex_pid(m, f);
    f->failover_timer = 0;
    f->connected = f->active = false;
    f->unregistered_time = act_now();
    m_framework_changed(f);
    add_completed_framework(m, f);
}

m_framework *m_framework_from_scheduler(master *m, const act_msg *msg, const char *id)
{
    m_framework *f = m_framework_find(m, id);
    if (!f) {
        m_drop(m, msg, "unknown framework");
        return NULL;
    }
    if (!act_pid_equal(&f->pid, &msg->from)) {
        act_count_refused();
        m_drop(m, msg, "not from the framework's scheduler");
        return NULL;
    }
    return f;
}

static void on_unregister(master *m, const act_msg *msg, void *decoded)
{
    wire_unregister_framework_message *u = decoded;
    m_framework *f = m_framework_from_scheduler(m, msg, u->framework_id.value);
    if (f) framework_remove(m, f, "the framework unregistered");
}

/* arg is the framework: removal and reconnection cancel this timer, so it is still there. */
static void failover_timeout(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m_framework *f = arg;
    f->failover_timer = 0;
    if (f->connected) return;
    framework_remove(m, f, "its failover timeout expired");
}

static void start_failover_timer(master *m, m_framework *f)
{
    double timeout = f->info->has_failover_timeout ? f->info->failover_timeout : 0;
    if (timeout < 0) timeout = 0;
    if (f->failover_timer) act_cancel(m->self, f->failover_timer);
    LOG_INFO("Framework %s has %.3f s to fail over", f->id, timeout);
    f->failover_timer = act_delay(m->self, timeout, failover_timeout, f);
}

static void on_deactivate(master *m, const act_msg *msg, void *decoded)
{
    wire_deactivate_framework_message *d = decoded;
    m_framework *f = m_framework_from_scheduler(m, msg, d->framework_id.value);
    if (!f) return;
    LOG_INFO("Deactivating framework %s (%s)", f->id, f->info->name);
    deactivate(m, f);
    f->connected = false;
    start_failover_timer(m, f);
}

void m_framework_exited(master *m, const act_pid *pid)
{
    m_framework *f = m_framework_by_pid(m, pid);
    if (!f || !f->connected) return;
    LOG_INFO("Framework %s (%s) disconnected", f->id, f->info->name);
    f->connected = false;
    deactivate(m, f);
    start_failover_timer(m, f);
}

static void on_revive(master *m, const act_msg *msg, void *decoded)
{
    wire_revive_offers_message *r = decoded;
    m_framework *f = m_framework_from_scheduler(m, msg, r->framework_id.value);
    if (f) m_alloc(m, alloc_event_new(ALLOC_REVIVE, f->id, NULL));
}

static void on_suppress(master *m, const act_msg *msg, void *decoded)
{
    wire_suppress_offers_message *r = decoded;
    m_framework *f = m_framework_from_scheduler(m, msg, r->framework_id.value);
    if (f) m_alloc(m, alloc_event_new(ALLOC_SUPPRESS, f->id, NULL));
}

static void on_resource_request(master *m, const act_msg *msg, void *decoded)
{
    /* Mesos' allocator ignores requests too; they are only counted. */
}

/* ---- /master/shutdown ------------------------------------------------------------------- */

/* POST /master/shutdown with frameworkId=<id> in a form body (Mesos' Master::Http::shutdown):
 * the framework is removed as if it had unregistered, if the shutdown_frameworks ACLs let the
 * requester (its HTTP principal, ANY without one) shut down frameworks of its principal. */
static void on_shutdown_http(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    if (strcmp(act_http_method(req), "POST") != 0) {
        act_http_respond_text(req, 400, "Expecting POST");
        return;
    }
    const char *id = act_http_form(req, "frameworkId");
    m_framework *f = id ? m_framework_find(m, id) : NULL;
    const char *requester = act_http_principal(req);
    if (!f) {
        act_http_respond_text(req, 400, id ? "No framework found with specified ID"
                                           : "Missing 'frameworkId' query parameter");
    } else if (!m_authorize_shutdown(m->cfg.acls, requester,
                                     f->info->has_principal ? f->info->principal : NULL)) {
        LOG_WARNING_LIMITED("Refusing to shut down framework %s for %s: not authorized", f->id,
                            requester ? requester : "an anonymous request");
        act_http_respond_unauthorized(req);
    } else {
        char why[256];
        snprintf(why, sizeof why, "shut down through /master/shutdown by %s",
                 requester ? requester : "an anonymous request");
        framework_remove(m, f, why);
        act_http_respond(req, 200, NULL, NULL, 0, NULL);
    }
}

void m_frameworks_free(master *m)
{
    m_framework *f;
    for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);) framework_free(f);
    for (size_t i = 0; i < m->ncompleted_frameworks; i++)
        framework_free(m->completed_frameworks[i]);
    free(m->completed_frameworks);
}

void m_framework_handlers(act_actor *a)
{
    m_handle(a, WIRE_DESC(register_framework_message), on_register);
    m_handle(a, WIRE_DESC(reregister_framework_message), on_reregister);
    m_handle(a, WIRE_DESC(unregister_framework_message), on_unregister);
    m_handle(a, WIRE_DESC(deactivate_framework_message), on_deactivate);
    m_handle(a, WIRE_DESC(revive_offers_message), on_revive);
    m_handle(a, WIRE_DESC(suppress_offers_message), on_suppress);
    m_handle(a, WIRE_DESC(resource_request_message), on_resource_request);
    act_route_protected(a, "shutdown", on_shutdown_http,
                        "POST frameworkId=<id>: shuts the framework down (its tasks are "
                        "killed), if the shutdown_frameworks ACLs allow it.");
}
