/*
 * http.c - the master's operator endpoints, with Mesos 0.22's paths, fields and answers
 * (src/master/http.cpp): state.json (state.c), stats.json, slaves, tasks.json, roles.json,
 * health, redirect, flags and observe (shutdown is frameworks.c's), under /master/ and, through the default
 * actor, as /state.json and /stats.json. A standby serves them too, with its empty state.
 */
#include "master/master_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static void respond(act_http_req *req, act_buf *out)
{
    act_http_respond_json(req, 200, out);
    act_buf_free(out);
}

static void on_state(act_actor *self, act_http_req *req)
{
    m_state_json(act_state(self), req);
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
    respond(req, &out);
}

/* ---- /master/slaves ---------------------------------------------------------------------- */

static void on_slaves(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    m_out o;
    m_out_init(&o);
    act_json_object_begin(&o.j);
    act_json_key(&o.j, "slaves");
    act_json_array_begin(&o.j);
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);)
        m_out_blob(&o, m_slave_json(s));
    act_json_array_end(&o.j);
    act_json_object_end(&o.j);
    m_out_respond(&o, req);
}

/* ---- /master/stats.json ------------------------------------------------------------------ */

typedef struct stats {
    act_metric_value *v;
    size_t n, cap;
    char **names; /* the keys this list made (freed with it) */
} stats;

static void stat(stats *s, const char *key, double value)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 32;
        s->v = act_realloc(s->v, s->cap * sizeof *s->v);
        s->names = act_realloc(s->names, s->cap * sizeof *s->names);
    }
    s->names[s->n] = act_strdup(key);
    s->v[s->n] = (act_metric_value){s->names[s->n], value};
    s->n++;
}

/* <name>_total, _used and _percent of every scalar resource the slaves have. */
static void resource_stats(master *m, stats *st)
{
    res_set total = {0}, used = {0};
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        res_add(&total, &s->total);
        res_add(&used, &s->used);
    }
    res_set flat = {0};
    res_flatten(&total, "*", &flat);
    for (size_t i = 0; i < flat.n; i++) {
        if (flat.v[i].type != WIRE_VALUE_SCALAR) continue;
        char key[256];
        double t = res_scalar(&flat, flat.v[i].name), u = res_scalar(&used, flat.v[i].name);
        snprintf(key, sizeof key, "%s_total", flat.v[i].name);
        stat(st, key, t);
        snprintf(key, sizeof key, "%s_used", flat.v[i].name);
        stat(st, key, u);
        snprintf(key, sizeof key, "%s_percent", flat.v[i].name);
        stat(st, key, t > 0 ? u / t : 0);
    }
    res_free(&flat);
    res_free(&total);
    res_free(&used);
}

/* Mesos 0.22's figures, with every metric of /metrics/snapshot merged in (the endpoint's
 * own figures win a clash of names, as stout's map insert keeps the first). */
static void on_stats(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    m_metrics_refresh(self, NULL);
    stats st = {0};
    size_t active = 0, fa = 0, tasks = 0;
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) active += s->active;
    m_framework *f;
    for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);) {
        fa += f->active;
        tasks += act_map_size(f->tasks);
    }
    stat(&st, "uptime", act_now() - m->start_time);
    stat(&st, "elected", m->elected ? 1 : 0);
    stat(&st, "total_schedulers", (double)act_map_size(m->frameworks));
    stat(&st, "active_schedulers", (double)fa);
    stat(&st, "activated_slaves", (double)active);
    stat(&st, "deactivated_slaves", (double)(act_map_size(m->slaves) - active));
    stat(&st, "outstanding_offers", (double)act_map_size(m->offers));
    static const struct { const char *key; wire_task_state state; } counts[] = {
        {"staged_tasks", WIRE_TASK_STAGING}, {"started_tasks", WIRE_TASK_STARTING},
        {"finished_tasks", WIRE_TASK_FINISHED}, {"killed_tasks", WIRE_TASK_KILLED},
        {"failed_tasks", WIRE_TASK_FAILED}, {"lost_tasks", WIRE_TASK_LOST}};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        stat(&st, counts[i].key, (double)m->task_states[counts[i].state]);
    stat(&st, "valid_status_updates",
         (double)act_counter_value(act_counter_get("master/valid_status_updates")));
    stat(&st, "invalid_status_updates",
         (double)act_counter_value(act_counter_get("master/invalid_status_updates")));
    stat(&st, "active_tasks_gauge", (double)tasks);
    resource_stats(m, &st);
    act_buf out = {0};
    act_metrics_snapshot_with(&out, st.v, st.n);
    for (size_t i = 0; i < st.n; i++) free(st.names[i]);
    free(st.names);
    free(st.v);
    respond(req, &out);
}

/* ---- /master/tasks.json ------------------------------------------------------------------ */

/* A task of the listing: its JSON and when its first status came (none: it has not had one). */
typedef struct listed {
    act_blob *json;
    bool has_time;
    double time;
} listed;

/* Mesos' TaskComparator: by the first status' timestamp; tasks without one first when
 * ascending, last when descending. */
static int cmp_listed(const listed *a, const listed *b, bool asc)
{
    if (!a->has_time || !b->has_time) {
        if (a->has_time == b->has_time) return 0;
        return asc == !a->has_time ? -1 : 1;
    }
    if (a->time == b->time) return 0;
    return (a->time < b->time) == asc ? -1 : 1;
}

static int cmp_asc(const void *a, const void *b)
{
    return cmp_listed(a, b, true);
}

static int cmp_desc(const void *a, const void *b)
{
    return cmp_listed(a, b, false);
}

typedef struct listing {
    listed *v;
    size_t n, cap;
} listing;

static void list_task(listing *l, act_blob *json, const wire_task *t)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->v = act_realloc(l->v, l->cap * sizeof *l->v);
    }
    bool has = t->statuses_count > 0;
    l->v[l->n++] = (listed){json, has, has ? t->statuses[0].timestamp : 0};
}

static void list_framework(master *m, listing *l, m_framework *f)
{
    m_task *t;
    for (size_t it = 0; act_map_next(f->tasks, &it, NULL, (void **)&t);)
        list_task(l, m_task_json(t), t->t);
    for (size_t i = 0; i < f->ncompleted; i++)
        list_task(l, m_done_json(&f->completed[i]), f->completed[i].task->root);
}

/* A non-negative integer query parameter; `def` when absent or not a number (Mesos ignores
 * formatting errors in limit and offset). */
static size_t query_count(act_http_req *req, const char *key, size_t def)
{
    const char *v = act_http_query(req, key);
    char *end;
    long long n = v && *v ? strtoll(v, &end, 10) : -1;
    return v && *v && !*end && n >= 0 ? (size_t)n : def;
}

#define TASK_LIMIT 100 /* Mesos' default page */

/* The tasks of registered and completed frameworks, running and finished, ordered by their
 * first status (newest first unless order=asc), `limit` of them from `offset`. */
static void on_tasks(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    size_t limit = query_count(req, "limit", TASK_LIMIT), offset = query_count(req, "offset", 0);
    const char *order = act_http_query(req, "order");
    listing l = {0};
    m_framework *f;
    for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);)
        list_framework(m, &l, f);
    for (size_t i = 0; i < m->ncompleted_frameworks; i++)
        list_framework(m, &l, m->completed_frameworks[i]);
    bool asc = order && strcmp(order, "asc") == 0;
    if (l.n) qsort(l.v, l.n, sizeof *l.v, asc ? cmp_asc : cmp_desc);
    m_out o;
    m_out_init(&o);
    act_json_object_begin(&o.j);
    act_json_key(&o.j, "tasks");
    act_json_array_begin(&o.j);
    for (size_t i = offset; i < l.n && i - offset < limit; i++) m_out_blob(&o, l.v[i].json);
    act_json_array_end(&o.j);
    act_json_object_end(&o.j);
    free(l.v);
    m_out_respond(&o, req);
}

/* ---- /master/roles.json ------------------------------------------------------------------ */

/* "*", the --roles whitelist and (without one, any role is allowed) the roles of registered
 * frameworks; each with its weight, frameworks and what they use and are offered. */
static void write_role(act_json *j, master *m, const char *role)
{
    double weight = 1;
    for (size_t i = 0; i < m->cfg.nweights; i++)
        if (strcmp(m->cfg.weight_roles[i], role) == 0) weight = m->cfg.weights[i];
    res_set r = {0};
    act_json_object_begin(j);
    act_json_key(j, "frameworks");
    act_json_array_begin(j);
    m_framework *f;
    for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);) {
        const char *fr = f->info->has_role && *f->info->role ? f->info->role : "*";
        if (strcmp(fr, role) != 0) continue;
        act_json_string(j, f->id);
        res_add(&r, &f->used);
        res_add(&r, &f->offered);
    }
    act_json_array_end(j);
    act_json_kv_string(j, "name", role);
    act_json_key(j, "resources");
    wire_json_model_resources(j, &r);
    act_json_kv_double(j, "weight", weight);
    act_json_object_end(j);
    res_free(&r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void on_roles(act_actor *self, act_http_req *req)
{
    master *m = act_state(self);
    act_map *names = act_map_new();
    act_map_put(names, "*", (void *)1);
    for (size_t i = 0; i < m->cfg.nroles; i++) act_map_put(names, m->cfg.roles[i], (void *)1);
    m_framework *f;
    for (size_t it = 0; !m->cfg.nroles && act_map_next(m->frameworks, &it, NULL, (void **)&f);)
        if (f->info->has_role && *f->info->role) act_map_put(names, f->info->role, (void *)1);
    size_t n = act_map_size(names), k = 0;
    const char **sorted = act_malloc(n * sizeof *sorted);
    const char *name;
    for (size_t it = 0; act_map_next(names, &it, &name, NULL);) sorted[k++] = name;
    qsort(sorted, n, sizeof *sorted, cmp_str);
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_key(&j, "roles");
    act_json_array_begin(&j);
    for (size_t i = 0; i < n; i++) write_role(&j, m, sorted[i]);
    act_json_array_end(&j);
    act_json_object_end(&j);
    free(sorted);
    act_map_free(names);
    respond(req, &out);
}

/* ---- /master/observe: a form in the body (/master/shutdown is frameworks.c's) ------------ */

/* A form field of the body, non-empty; NULL (and a 400 sent) otherwise. */
static const char *form_field(act_http_req *req, const char *key)
{
    const char *v = act_http_form(req, key);
    if (v && *v) return v;
    char why[128];
    snprintf(why, sizeof why, v ? "Empty string for '%s'." : "Missing value for '%s'.", key);
    act_http_respond_text(req, 400, why);
    return NULL;
}

/* Mesos' health report of hosts by a monitor: echoed back, with isHealthy (level OK). */
static void on_observe(act_actor *self, act_http_req *req)
{
    const char *monitor = form_field(req, "monitor");
    const char *hosts = monitor ? form_field(req, "hosts") : NULL;
    const char *level = hosts ? form_field(req, "level") : NULL;
    if (!level) return;
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_key(&j, "hosts");
    act_json_array_begin(&j);
    for (const char *p = hosts;; p++) {
        size_t n = strcspn(p, ",");
        act_json_string_n(&j, p, n);
        p += n;
        if (!*p) break;
    }
    act_json_array_end(&j);
    act_json_kv_bool(&j, "isHealthy", strcasecmp(level, "OK") == 0);
    act_json_kv_string(&j, "monitor", monitor);
    act_json_object_end(&j);
    respond(req, &out);
}

void m_http_routes(act_actor *a)
{
    act_route(a, "state.json", on_state,
              "Everything the master knows: frameworks, slaves, tasks, offers (Mesos 0.22 "
              "fields).");
    act_route(a, "state", on_state, "Same as state.json.");
    act_route(a, "stats.json", on_stats,
              "Counts of slaves, frameworks and tasks, resources, and every metric.");
    act_route(a, "slaves", on_slaves, "The registered slaves.");
    act_route(a, "tasks.json", on_tasks,
              "Tasks, newest first: ?limit= (100), ?offset=, ?order=asc|desc.");
    act_route(a, "tasks", on_tasks, "Same as tasks.json.");
    act_route(a, "roles.json", on_roles, "Roles with their weights, frameworks and resources.");
    act_route(a, "health", on_health, "200 while the master serves.");
    act_route(a, "redirect", on_redirect, "307 to the leading master.");
    act_route(a, "flags", on_flags, "The flags the master runs with.");
    act_route(a, "observe", on_observe,
              "POST monitor=&hosts=a,b&level=OK: a monitor's report on hosts, echoed back.");
}
