/*
 * state.c - /master/state.json as Mesos 0.22 models it (src/master/http.cpp), for clusters of
 * any size without holding the master's loop. Every task and slave keeps its JSON as a blob
 * (act_blob), made the first time an endpoint needs it and dropped when the object changes.
 * A request first makes the blobs still missing, at full speed while nothing else waits on
 * the master's loop and in turns with whatever does; then, in one step, writes what is not kept
 * (the master's own fields, each framework's fields and offers) around references to the
 * blobs. The body, tens of megabytes for 100,000 tasks, is joined and sent off the loop
 * (act_http_respond_pieces).
 */
#include "master/master_int.h"

#include <string.h>
#include <time.h>

#define CHECK_SECS 0.0005 /* how often blob making looks for work waiting on the loop */
#define SLICE_SECS 0.002  /* the longest it keeps the loop from its sockets */

/* ---- blobs ------------------------------------------------------------------------------- */

#define BLOB_HINT 512 /* room a blob is started with: a task's JSON fits */

static act_blob *render(void (*fn)(act_json *, const void *), const void *obj)
{
    act_buf b;
    act_blob_buf_init(&b, BLOB_HINT);
    act_json j;
    act_json_init(&j, &b);
    fn(&j, obj);
    return act_blob_from_buf(&b);
}

static void task_model(act_json *j, const void *t)
{
    wire_json_model_task(j, t);
}

static void slave_model(act_json *j, const void *obj)
{
    const m_slave *s = obj;
    char pid[ACT_PID_STRLEN];
    wire_slave_view v = {s->id, act_pid_format(&s->pid, pid, sizeof pid), s->info, s->active,
                         s->registered_time, s->reregistered_time != s->registered_time,
                         s->reregistered_time};
    wire_json_model_slave(j, &v);
}

act_blob *m_task_json(m_task *t)
{
    if (!t->json) t->json = render(task_model, t->t);
    return t->json;
}

act_blob *m_done_json(m_done *d)
{
    if (!d->json) d->json = render(task_model, d->task->root);
    return d->json;
}

act_blob *m_slave_json(m_slave *s)
{
    if (!s->json) s->json = render(slave_model, s);
    return s->json;
}

void m_framework_changed(m_framework *f)
{
    act_pieces_free(f->json);
    f->json = NULL;
}

static void forget_framework(m_framework *f)
{
    m_framework_changed(f);
    act_blob_unref(f->tasks_json);
    act_blob_unref(f->completed_json);
    f->tasks_json = f->completed_json = NULL;
    for (size_t i = 0; i < f->ncompleted; i++) {
        act_blob_unref(f->completed[i].json);
        f->completed[i].json = NULL;
    }
}

void m_state_forget(master *m)
{
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) {
        act_blob_unref(s->json);
        s->json = NULL;
        m_task *t;
        for (size_t k = 0; act_map_next(s->tasks, &k, NULL, (void **)&t);) {
            act_blob_unref(t->json);
            t->json = NULL;
        }
    }
    m_framework *f;
    for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);) forget_framework(f);
    for (size_t i = 0; i < m->ncompleted_frameworks; i++)
        forget_framework(m->completed_frameworks[i]);
}

void m_task_list_changed(master *m, const char *framework_id)
{
    m_framework *f = m_framework_find(m, framework_id);
    if (!f) return;
    act_blob_unref(f->tasks_json);
    f->tasks_json = NULL;
    m_framework_changed(f);
}

void m_task_changed(master *m, m_task *t)
{
    act_blob_unref(t->json);
    t->json = NULL;
    m_task_list_changed(m, t->framework_id);
}

/* Blobs joined with commas: the elements of a JSON array. */
static void join_into(act_buf *b, act_blob *x)
{
    size_t len;
    const char *data = act_blob_data(x, &len);
    if (b->len) act_buf_putc(b, ',');
    act_buf_append(b, data, len);
}

static act_blob *framework_tasks_json(m_framework *f)
{
    if (f->tasks_json) return f->tasks_json;
    act_buf b = {0};
    m_task *t;
    for (size_t it = 0; act_map_next(f->tasks, &it, NULL, (void **)&t);)
        join_into(&b, m_task_json(t));
    f->tasks_json = act_blob_new(b.data, b.len);
    act_buf_free(&b);
    return f->tasks_json;
}

static act_blob *framework_completed_json(master *m, m_framework *f)
{
    if (f->completed_json) return f->completed_json;
    size_t cap = m->cfg.max_completed_tasks_per_framework;
    act_buf b = {0};
    for (size_t i = 0; i < f->ncompleted; i++)
        join_into(&b, m_done_json(&f->completed[f->ncompleted < cap ? i
                                                : (f->completed_next + i) % cap]));
    f->completed_json = act_blob_new(b.data, b.len);
    act_buf_free(&b);
    return f->completed_json;
}

/* ---- writing around blobs ---------------------------------------------------------------- */

void m_out_init(m_out *o)
{
    o->text = (act_buf){0};
    act_json_init(&o->j, &o->text);
    o->pieces = act_pieces_new();
}

void m_out_blob(m_out *o, act_blob *b)
{
    act_pieces_json_value(o->pieces, &o->j, b);
}

void m_out_respond(m_out *o, act_http_req *req)
{
    act_pieces_add_text(o->pieces, &o->text);
    act_buf_free(&o->text);
    act_http_respond_pieces(req, 200, o->pieces);
    o->pieces = NULL;
}

/* ---- frameworks --------------------------------------------------------------------------
 * A framework's model is kept as pieces: its own fields written out, and the blobs of its
 * task arrays between them. */

typedef struct fw_ctx {
    m_out *o;
    master *m;
    m_framework *f;
} fw_ctx;

/* The arrays' elements are one blob each (the array holds nothing after them). */
static void fw_tasks(act_json *j, void *ctx)
{
    fw_ctx *c = ctx;
    if (act_map_size(c->f->tasks)) m_out_blob(c->o, framework_tasks_json(c->f));
}

static void fw_completed(act_json *j, void *ctx)
{
    fw_ctx *c = ctx;
    if (c->f->ncompleted) m_out_blob(c->o, framework_completed_json(c->m, c->f));
}

static void fw_offers(act_json *j, void *ctx)
{
    fw_ctx *c = ctx;
    m_offer *o;
    for (size_t it = 0; act_map_next(c->f->offers, &it, NULL, (void **)&o);) {
        act_json_object_begin(j);
        act_json_kv_string(j, "framework_id", o->framework_id);
        act_json_kv_string(j, "id", o->id);
        act_json_key(j, "resources");
        wire_json_model_resources(j, &o->resources);
        act_json_kv_string(j, "slave_id", o->slave_id);
        act_json_object_end(j);
    }
}

static const act_pieces *framework_json(master *m, m_framework *f)
{
    if (f->json) return f->json;
    m_out o;
    m_out_init(&o);
    fw_ctx c = {&o, m, f};
    wire_framework_view v = {
        .id = f->id, .info = f->info, .active = f->active,
        .registered_time = f->registered_time, .unregistered_time = f->unregistered_time,
        .reregistered = f->reregistered_time != f->registered_time,
        .reregistered_time = f->reregistered_time, .used_resources = &f->used,
        .offered_resources = &f->offered, .tasks = fw_tasks, .completed_tasks = fw_completed,
        .offers = fw_offers, .ctx = &c};
    wire_json_model_framework(&o.j, &v);
    act_pieces_add_text(o.pieces, &o.text);
    act_buf_free(&o.text);
    f->json = o.pieces;
    return f->json;
}

/* ---- state.json ---------------------------------------------------------------------------
 * Keys in sorted order, as stout's JSON::Object (a std::map) writes them. */

static void count_task_states(m_out *o, master *m, const char *key, wire_task_state state)
{
    act_json_kv_uint(&o->j, key, m->task_states[state]);
}

/* Tasks on slaves whose framework has not registered (yet) with this master: after a
 * failover, until the framework re-registers (Mesos 0.22's orphan_tasks). */
static void write_orphans(m_out *o, master *m)
{
    act_json_key(&o->j, "orphan_tasks");
    act_json_array_begin(&o->j);
    m_task *t;
    for (size_t it = 0; act_map_next(m->orphans, &it, NULL, (void **)&t);)
        m_out_blob(o, m_task_json(t));
    act_json_array_end(&o->j);
}

/* The IDs of those frameworks, each once. */
static void write_unregistered(m_out *o, master *m)
{
    act_map *seen = act_map_new();
    m_task *t;
    for (size_t it = 0; act_map_next(m->orphans, &it, NULL, (void **)&t);)
        act_map_put(seen, t->framework_id, t);
    act_json_key(&o->j, "unregistered_frameworks");
    act_json_array_begin(&o->j);
    const char *id;
    for (size_t it = 0; act_map_next(seen, &it, &id, NULL);) act_json_string(&o->j, id);
    act_json_array_end(&o->j);
    act_map_free(seen);
}

static void write_slaves(m_out *o, master *m)
{
    act_json_key(&o->j, "slaves");
    act_json_array_begin(&o->j);
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);)
        m_out_blob(o, m_slave_json(s));
    act_json_array_end(&o->j);
}

static void write_framework_list(m_out *o, master *m, const char *key, bool completed)
{
    act_json_key(&o->j, key);
    act_json_array_begin(&o->j);
    if (completed) {
        for (size_t i = 0; i < m->ncompleted_frameworks; i++)
            act_pieces_json_pieces(o->pieces, &o->j,
                                   framework_json(m, m->completed_frameworks[i]));
    } else {
        m_framework *f;
        for (size_t it = 0; act_map_next(m->frameworks, &it, NULL, (void **)&f);)
            act_pieces_json_pieces(o->pieces, &o->j, framework_json(m, f));
    }
    act_json_array_end(&o->j);
}

static void write_state(m_out *o, master *m)
{
    act_json *j = &o->j;
    size_t active = 0;
    m_slave *s;
    for (size_t it = 0; act_map_next(m->slaves, &it, NULL, (void **)&s);) active += s->active;
    char date[32];
    act_json_object_begin(j);
    act_json_kv_uint(j, "activated_slaves", active);
    act_json_kv_string(j, "build_date", wire_build_date(date, sizeof date));
    act_json_kv_double(j, "build_time", wire_build_time());
    act_json_kv_string(j, "build_user", wire_build_user());
    if (m->cfg.cluster) act_json_kv_string(j, "cluster", m->cfg.cluster);
    write_framework_list(o, m, "completed_frameworks", true);
    act_json_kv_uint(j, "deactivated_slaves", act_map_size(m->slaves) - active);
    if (m->elected) act_json_kv_double(j, "elected_time", m->elected_time);
    if (m->cfg.external_log_file)
        act_json_kv_string(j, "external_log_file", m->cfg.external_log_file);
    count_task_states(o, m, "failed_tasks", WIRE_TASK_FAILED);
    count_task_states(o, m, "finished_tasks", WIRE_TASK_FINISHED);
    act_json_key(j, "flags");
    if (m->cfg.flags) {
        act_flags_json(m->cfg.flags, j);
    } else {
        act_json_object_begin(j);
        act_json_object_end(j);
    }
    write_framework_list(o, m, "frameworks", false);
    act_json_kv_string(j, "hostname", m->info->hostname);
    act_json_kv_string(j, "id", m->id);
    count_task_states(o, m, "killed_tasks", WIRE_TASK_KILLED);
    const wire_master_info *leader = m_leader(m);
    if (leader) act_json_kv_string(j, "leader", leader->pid);
    if (m->cfg.log_dir) act_json_kv_string(j, "log_dir", m->cfg.log_dir);
    count_task_states(o, m, "lost_tasks", WIRE_TASK_LOST);
    write_orphans(o, m);
    act_json_kv_string(j, "pid", m->info->pid);
    write_slaves(o, m);
    count_task_states(o, m, "staged_tasks", WIRE_TASK_STAGING);
    act_json_kv_double(j, "start_time", m->start_time);
    count_task_states(o, m, "started_tasks", WIRE_TASK_STARTING);
    write_unregistered(o, m);
    act_json_kv_string(j, "version", MASTER_VERSION);
    act_json_object_end(j);
}

/* ---- making blobs in slices ---------------------------------------------------------------
 * Before the body is written in one step, the blobs it needs are made in slices: every
 * CHECK_SECS a slice looks whether anything waits on the master's loop (a message, another
 * actor, a timer) and if so stops, to go on behind it; otherwise it stops after SLICE_SECS,
 * for the loop to poll its sockets, and goes on at once (the loop does not sleep for a timer
 * already due). Cursors are positions in the maps, safe across changes (an object added
 * or removed between slices is at worst visited twice or not at all: the final step makes any
 * blob still missing). */

struct m_state_req {
    m_state_req *next;  /* the master's list of requests in progress */
    act_http_req *req;
    int phase;      /* 0: slaves and their tasks; 1: frameworks' finished tasks; 2: those of
                       completed frameworks */
    size_t it, sub; /* position of the current slave or framework; within it */
    unsigned work;  /* blobs visited: the clock is read every 16 */
    double check_at, end_at; /* when to look next for work waiting on the loop; to stop */
    act_actor *self;
};
typedef m_state_req state_req;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* True when the slice should stop: something waits on the loop, or its time is up. */
static bool should_yield(state_req *r)
{
    if ((++r->work & 15) != 0) return false;
    double now = mono();
    if (now < r->check_at) return false;
    r->check_at = now + CHECK_SECS;
    return now >= r->end_at || act_loop_waiting(r->self);
}

/* Makes the missing blobs of one slave and its tasks from r->sub on; false if it yields. */
static bool warm_slave(m_slave *s, state_req *r)
{
    m_slave_json(s);
    m_task *t;
    while (act_map_next(s->tasks, &r->sub, NULL, (void **)&t)) {
        m_task_json(t);
        if (should_yield(r)) return false;
    }
    return !should_yield(r);
}

/* A framework's finished tasks, then its arrays of tasks. */
static bool warm_framework(master *m, m_framework *f, state_req *r)
{
    size_t cap = m->cfg.max_completed_tasks_per_framework;
    while (r->sub < f->ncompleted) {
        size_t at = f->ncompleted < cap ? r->sub : (f->completed_next + r->sub) % cap;
        m_done_json(&f->completed[at]);
        r->sub++;
        if (should_yield(r)) return false;
    }
    framework_json(m, f); /* its tasks' blobs were made with their slaves */
    return !should_yield(r);
}

/* The slave or framework a phase's cursor is at (advancing *next past it), or NULL. */
static void *at_cursor(master *m, const state_req *r, size_t *next)
{
    void *obj = NULL;
    *next = r->it;
    if (r->phase == 0) act_map_next(m->slaves, next, NULL, &obj);
    else if (r->phase == 1) act_map_next(m->frameworks, next, NULL, &obj);
    else if (r->it < m->ncompleted_frameworks) obj = m->completed_frameworks[(*next)++];
    return obj;
}

/* One slice; true when every blob has been visited. */
static bool warm(master *m, state_req *r)
{
    double now = mono();
    r->check_at = now + CHECK_SECS, r->end_at = now + SLICE_SECS;
    while (r->phase < 3) {
        size_t next;
        void *obj = at_cursor(m, r, &next);
        if (!obj) {
            r->phase++, r->it = r->sub = 0;
            continue;
        }
        if (r->phase == 0 ? !warm_slave(obj, r) : !warm_framework(m, obj, r))
            return false;
        r->it = next, r->sub = 0;
    }
    return true;
}

static void unlist(master *m, state_req *r)
{
    state_req **pp = &m->state_reqs;
    while (*pp != r) pp = &(*pp)->next;
    *pp = r->next;
}

/* A slice; the next one is a timer due at once, so what waits on the master's loop (its
 * messages, other actors, sockets) runs in between. */
static void state_step(act_actor *self, void *arg)
{
    master *m = act_state(self);
    state_req *r = arg;
    if (!warm(m, r)) {
        act_delay(self, 0, state_step, r);
        return;
    }
    unlist(m, r);
    m_out o;
    m_out_init(&o);
    write_state(&o, m);
    m_out_respond(&o, r->req);
    free(r);
}

void m_state_json(master *m, act_http_req *req)
{
    state_req *r = act_calloc(1, sizeof *r);
    r->req = req;
    r->self = m->self;
    r->next = m->state_reqs;
    m->state_reqs = r;
    state_step(m->self, r);
}

void m_state_abandon(master *m)
{
    while (m->state_reqs) {
        state_req *r = m->state_reqs;
        m->state_reqs = r->next;
        act_http_respond_text(r->req, 503, "The master is shutting down");
        free(r);
    }
}
