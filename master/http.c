/*
 * http.c - the master's operator endpoints with Mesos 0.22 field names: /master/state.json
 * (also /master/state and /state.json through the default actor), /master/health,
 * /master/redirect (307 to the leader, 503 while none is known), /master/flags, and the
 * gauges of /metrics/snapshot, refreshed from the master's state just before each snapshot
 * (master/elected, slaves_*, frameworks_*, tasks_*, outstanding_offers,
 * {cpus,mem,disk}_{total,used,percent}). A standby serves them too, with its empty state.
 */
#include "master/master_int.h"

#include <arpa/inet.h>
#include <string.h>

/* ---- state.json -------------------------------------------------------------------------- */

typedef struct fw_ctx {
    master *m;
    m_framework *f;
} fw_ctx;

static void fw_tasks(act_json *j, void *ctx)
{
    fw_ctx *c = ctx;
    m_task *t;
    for (size_t it = 0; c->f->tasks && act_map_next(c->f->tasks, &it, NULL, (void **)&t);)
        wire_json_model_task(j, t->t);
}

static void fw_completed(act_json *j, void *ctx)
{
    fw_ctx *c = ctx;
    size_t cap = c->m->cfg.max_completed_tasks_per_framework;
    for (size_t i = 0; i < c->f->ncompleted; i++) {
        size_t at = c->f->ncompleted < cap ? i : (c->f->completed_next + i) % cap;
        wire_json_model_task(j, c->f->completed[at]->root);
    }
}

static void fw_offers(act_json *j, void *ctx)
{
    fw_ctx *c = ctx;
    m_offer *o;
    for (size_t it = 0; act_map_next(c->m->offers, &it, NULL, (void **)&o);) {
        if (strcmp(o->framework_id, c->f->id) != 0) continue;
        act_json_object_begin(j);
        act_json_kv_string(j, "framework_id", o->framework_id);
        act_json_kv_string(j, "id", o->id);
        act_json_key(j, "resources");
        wire_json_model_resources(j, &o->resources);
        act_json_kv_string(j, "slave_id", o->slave_id);
        act_json_object_end(j);
    }
}

static void write_framework(act_json *j, master *m, m_framework *f)
{
    fw_ctx c = {m, f};
    wire_framework_view v = {
        .id = f->id, .info = f->info, .active = f->active,
        .registered_time = f->registered_time, .unregistered_time = f->unregistered_time,
        .reregistered = f->reregistered_time != f->registered_time,
        .reregistered_time = f->reregistered_time, .used_resources = &f->used,
        .offered_resources = &f->offered, .tasks = fw_tasks, .completed_tasks = fw_completed,
        .offers = fw_offers, .ctx = &c};
    wire_json_model_framework(j, &v);
}

static void write_slaves(act_json *j, master *m)
{
    act_json_key(j, "slaves");
    act_json_array_begin(j);
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        char pid[ACT_PID_STRLEN];
        wire_slave_view v = {s->id, act_pid_format(&s->pid, pid, sizeof pid), s->info, s->active,
                             s->registered_time, s->reregistered_time != s->registered_time,
                             s->reregistered_time};
        wire_json_model_slave(j, &v);
    }
    act_json_array_end(j);
}

static void write_frameworks(act_json *j, master *m)
{
    act_json_key(j, "frameworks");
    act_json_array_begin(j);
    m_framework *f;
    for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);)
        write_framework(j, m, f);
    act_json_array_end(j);
    act_json_key(j, "completed_frameworks");
    act_json_array_begin(j);
    for (size_t i = 0; i < m->ncompleted_frameworks; i++)
        write_framework(j, m, m->completed_frameworks[i]);
    act_json_array_end(j);
}

/* Tasks on slaves whose framework has not registered (yet) with this master: after a
 * failover, until the framework re-registers (Mesos 0.22's orphan_tasks). */
static void write_orphans(act_json *j, master *m)
{
    act_json_key(j, "orphan_tasks");
    act_json_array_begin(j);
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        m_task *t;
        for (size_t k = 0; act_map_next(s->tasks, &k, NULL, (void **)&t);)
            if (!m_framework_find(m, t->framework_id)) wire_json_model_task(j, t->t);
    }
    act_json_array_end(j);
}

/* The IDs of those frameworks, each once. */
static void write_unregistered(act_json *j, master *m)
{
    act_map *seen = act_map_new();
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        m_task *t;
        for (size_t k = 0; act_map_next(s->tasks, &k, NULL, (void **)&t);)
            if (!m_framework_find(m, t->framework_id)) act_map_put(seen, t->framework_id, t);
    }
    act_json_key(j, "unregistered_frameworks");
    act_json_array_begin(j);
    const char *id;
    for (size_t it = 0; act_map_next(seen, &it, &id, NULL);) act_json_string(j, id);
    act_json_array_end(j);
    act_map_free(seen);
}

static void on_state(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    size_t active = 0;
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) active += s->active;
    act_json_kv_uint(&j, "activated_slaves", active);
    act_json_kv_string(&j, "build_date", __DATE__);
    act_json_kv_string(&j, "build_user", "");
    if (m->cfg.cluster) act_json_kv_string(&j, "cluster", m->cfg.cluster);
    act_json_kv_uint(&j, "deactivated_slaves", act_map_size(m->slaves) - active);
    if (m->elected) act_json_kv_double(&j, "elected_time", m->elected_time);
    if (m->cfg.flags) {
        act_json_key(&j, "flags");
        act_flags_json(m->cfg.flags, &j);
    }
    write_frameworks(&j, m);
    act_json_kv_string(&j, "hostname", m->info->hostname);
    act_json_kv_string(&j, "id", m->id);
    const wire_master_info *leader = m_leader(m);
    if (leader) act_json_kv_string(&j, "leader", leader->pid);
    if (m->cfg.log_dir) act_json_kv_string(&j, "log_dir", m->cfg.log_dir);
    write_orphans(&j, m);
    act_json_kv_string(&j, "pid", m->info->pid);
    write_slaves(&j, m);
    act_json_kv_double(&j, "start_time", m->start_time);
    write_unregistered(&j, m);
    act_json_kv_string(&j, "version", MASTER_VERSION);
    act_json_object_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

static void on_health(act_actor *self, act_http_req *req)
{
    act_http_respond(req, 200, NULL, NULL, 0, NULL);
}

/* 307 to http://<leader hostname>:<port>, as Mesos; 503 while no leader is known. */
static void on_redirect(act_actor *self, act_http_req *req)
{
    const wire_master_info *leader = m_leader(act_state(self));
    if (!leader) {
        act_http_respond_text(req, 503, "No leading master is known yet");
        return;
    }
    char loc[512], ip[16];
    const char *host = leader->has_hostname && *leader->hostname
                           ? leader->hostname
                           : act_ip_format(ntohl(leader->ip), ip, sizeof ip);
    snprintf(loc, sizeof loc, "Location: http://%.300s:%u\r\n", host, (unsigned)leader->port);
    act_http_respond(req, 307, NULL, NULL, 0, loc);
}

static void on_flags(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_key(&j, "flags");
    if (m->cfg.flags) {
        act_flags_json(m->cfg.flags, &j);
    } else {
        act_json_object_begin(&j);
        act_json_object_end(&j);
    }
    act_json_object_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

void m_http_routes(act_actor *a)
{
    act_route(a, "state.json", on_state,
              "Everything the master knows: frameworks, slaves, tasks, offers (Mesos 0.22 "
              "fields).");
    act_route(a, "state", on_state, "Same as state.json.");
    act_route(a, "health", on_health, "200 while the master serves.");
    act_route(a, "redirect", on_redirect, "307 to the leading master.");
    act_route(a, "flags", on_flags, "The flags the master runs with.");
}
