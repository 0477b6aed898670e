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

static void drop_joins_of(master *m, const m_framework *f);

void m_task_list_changed(master *m, m_framework *f)
{
    if (!f) return;
    act_blob_unref(f->tasks_json);
    f->tasks_json = NULL;
    drop_joins_of(m, f);
    m_framework_changed(f);
}

void m_task_changed(master *m, m_task *t)
{
    act_blob_unref(t->json);
    t->json = NULL;
    m_task_list_changed(m, m_framework_find(m, t->framework_id));
}

/* Blobs joined with commas, the elements of a JSON array, in a blob written in place
 * (act_blob_buf_init): `count` is how many it holds so far. */
static void join_into(act_buf *b, size_t *count, act_blob *x)
{
    size_t len;
    const char *data = act_blob_data(x, &len);
    if ((*count)++) act_buf_putc(b, ',');
    act_buf_append(b, data, len);
}

#define JOIN_HINT 384 /* room per element a joined array is started with */

static act_blob *framework_tasks_json(m_framework *f)
{
    if (f->tasks_json) return f->tasks_json;
    act_buf b;
    act_blob_buf_init(&b, act_map_size(f->tasks) * JOIN_HINT);
    size_t count = 0;
    m_task *t;
    for (size_t it = 0; act_map_next(f->tasks, &it, NULL, (void **)&t);)
        join_into(&b, &count, m_task_json(t));
    f->tasks_json = act_blob_from_buf(&b);
    return f->tasks_json;
}

static act_blob *framework_completed_json(master *m, m_framework *f)
{
    if (f->completed_json) return f->completed_json;
    size_t cap = m->cfg.max_completed_tasks_per_framework, count = 0;
    act_buf b;
    act_blob_buf_init(&b, f->ncompleted * JOIN_HINT);
    for (size_t i = 0; i < f->ncompleted; i++)
        join_into(&b, &count, m_done_json(&f->completed[f->ncompleted < cap ? i
                                                : (f->completed_next + i) % cap]));
    f->completed_json = act_blob_from_buf(&b);
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
 * blob still missing).
 *
 * A framework's tasks are walked once: each task's blob is made where missing and appended
 * to the framework's "tasks" array as it goes, while it is still in the cache. A change to
 * the framework's tasks between two slices drops that array (m_task_list_changed): the walk
 * goes on making blobs and the final step joins them. */

struct m_state_req {
    m_state_req *next;  /* the master's list of requests in progress */
    act_http_req *req;
    int phase;      /* 0: slaves; 1: frameworks (their tasks, then their finished tasks); 2:
                       completed frameworks; 3: tasks of frameworks not registered */
    size_t it, sub; /* position of the current slave, framework or task; within a framework,
                       of its next task, then of its next finished task */
    bool tasks_done; /* the current framework's tasks have been walked */
    m_framework *joining; /* whose tasks `join` holds; NULL: none, or they changed */
    char joining_id[WIRE_ID_MAX];
    act_buf join;   /* a blob being written in place (act_blob_buf_init) */
    size_t joined;  /* elements in it */
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

static void drop_join(state_req *r)
{
    act_buf_free(&r->join);
    r->joining = NULL;
    r->joined = 0;
}

/* Called when f's tasks change: a join of them in progress no longer holds them all. */
static void drop_joins_of(master *m, const m_framework *f)
{
    for (state_req *r = m->state_reqs; r; r = r->next)
        if (r->joining == f) drop_join(r);
}

static void start_join(state_req *r, m_framework *f)
{
    drop_join(r);
    r->joining = f;
    snprintf(r->joining_id, sizeof r->joining_id, "%s", f->id);
    act_blob_buf_init(&r->join, act_map_size(f->tasks) * JOIN_HINT);
}

/* The join, if it is f's own and complete, becomes f's tasks array. */
static void finish_join(state_req *r, m_framework *f)
{
    if (r->joining == f && strcmp(r->joining_id, f->id) == 0 && !f->tasks_json)
        f->tasks_json = act_blob_from_buf(&r->join);
    drop_join(r);
}

/* ---- looking ahead -------------------------------------------------------------------------
 * Writing a task's JSON reads its record, its wire_task and what that points to, each a cache
 * miss in a large cluster: a walk of 100,000 tasks waits on memory most of its time, one miss
 * after the other. The walk asks for what a task reads a few tasks before it gets there, in
 * three steps as the pointers arrive: its record; then its wire_task (or its blob); then the
 * strings, resources and statuses the wire_task points to. */

#define FAR 16 /* tasks ahead of the one written whose record is fetched */
#define MID 8  /* ... whose wire_task or blob is fetched */
#define NEAR 4 /* ... whose parts are fetched */
#define NEXT 2 /* ... whose resources' values are fetched */

typedef struct walk {
    const act_map *tasks;
    size_t far, mid, near, next; /* positions FAR, MID, NEAR and NEXT tasks ahead */
} walk;

static void fetch(const void *p, size_t bytes)
{
    for (size_t at = 0; p && at < bytes; at += 64) __builtin_prefetch((const char *)p + at);
}

static void fetch_record(const m_task *t)
{
    __builtin_prefetch(&t->t);
    __builtin_prefetch(&t->json);
}

static void fetch_wire(const m_task *t)
{
    if (t->json) fetch(t->json, 128);
    else fetch(t->t, sizeof *t->t);
}

static void fetch_parts(const m_task *t)
{
    if (t->json) { /* it is copied whole into the framework's array */
        size_t len;
        act_blob_data(t->json, &len);
        fetch(t->json, len + 64);
        return;
    }
    const wire_task *w = t->t;
    fetch(w->name, 1);
    fetch(w->task_id.value, 1);
    fetch(w->framework_id.value, 1);
    fetch(w->slave_id.value, 1);
    /* the resources' names and values were allocated just after them */
    fetch(w->resources, w->resources_count * sizeof *w->resources + 128);
    fetch(w->statuses, w->statuses_count * sizeof *w->statuses);
}

static void fetch_values(const m_task *t)
{
    if (t->json) return;
    const wire_task *w = t->t;
    for (size_t i = 0; i < w->resources_count; i++) {
        fetch(w->resources[i].name, 1);
        fetch(w->resources[i].scalar, 1);
    }
}

static void walk_ahead(walk *w, size_t *at, void (*fn)(const m_task *))
{
    m_task *t;
    if (act_map_next(w->tasks, at, NULL, (void **)&t)) fn(t);
}

/* Starts looking ahead of position `at` of a map of tasks. */
static void walk_start(walk *w, const act_map *tasks, size_t at)
{
    *w = (walk){tasks, at, at, at, at};
    for (int i = 0; i < FAR; i++) walk_ahead(w, &w->far, fetch_record);
    for (int i = 0; i < MID; i++) walk_ahead(w, &w->mid, fetch_wire);
    for (int i = 0; i < NEAR; i++) walk_ahead(w, &w->near, fetch_parts);
    for (int i = 0; i < NEXT; i++) walk_ahead(w, &w->next, fetch_values);
}

/* One task further. */
static void walk_step(walk *w)
{
    walk_ahead(w, &w->far, fetch_record);
    walk_ahead(w, &w->mid, fetch_wire);
    walk_ahead(w, &w->near, fetch_parts);
    walk_ahead(w, &w->next, fetch_values);
}

/* Makes the missing blobs of f's tasks from r->sub on, joining them; false if it yields. */
static bool warm_tasks(m_framework *f, state_req *r)
{
    if (r->sub == 0 && !f->tasks_json) start_join(r, f);
    walk w;
    walk_start(&w, f->tasks, r->sub);
    m_task *t;
    while (act_map_next(f->tasks, &r->sub, NULL, (void **)&t)) {
        walk_step(&w);
        act_blob *json = m_task_json(t);
        if (r->joining == f) join_into(&r->join, &r->joined, json);
        if (should_yield(r)) return false;
    }
    finish_join(r, f);
    r->tasks_done = true, r->sub = 0;
    return true;
}

/* A framework's tasks, then its finished tasks, then its model. */
static bool warm_framework(master *m, m_framework *f, state_req *r)
{
    if (!r->tasks_done && !warm_tasks(f, r)) return false;
    size_t cap = m->cfg.max_completed_tasks_per_framework;
    while (r->sub < f->ncompleted) {
        size_t at = f->ncompleted < cap ? r->sub : (f->completed_next + r->sub) % cap;
        m_done_json(&f->completed[at]);
        r->sub++;
        if (should_yield(r)) return false;
    }
    framework_json(m, f);
    return !should_yield(r);
}

/* The slave, framework or task a phase's cursor is at (advancing *next past it), or NULL. */
static void *at_cursor(master *m, const state_req *r, size_t *next)
{
    void *obj = NULL;
    *next = r->it;
    if (r->phase == 0) act_map_next(m->slaves, next, NULL, &obj);
    else if (r->phase == 1) act_map_next(m->frameworks, next, NULL, &obj);
    else if (r->phase == 2 && r->it < m->ncompleted_frameworks)
        obj = m->completed_frameworks[(*next)++];
    else if (r->phase == 3) act_map_next(m->orphans, next, NULL, &obj);
    return obj;
}

static bool warm_one(master *m, state_req *r, void *obj)
{
    switch (r->phase) {
    case 0: m_slave_json(obj); break;
    case 3: m_task_json(obj); break;
    default: return warm_framework(m, obj, r);
    }
    return !should_yield(r);
}

/* One slice; true when every blob has been visited. */
static bool warm(master *m, state_req *r)
{
    double now = mono();
    r->check_at = now + CHECK_SECS, r->end_at = now + SLICE_SECS;
    while (r->phase < 4) {
        size_t next;
        void *obj = at_cursor(m, r, &next);
        if (!obj) {
            r->phase++, r->it = r->sub = 0;
            continue;
        }
        if (!warm_one(m, r, obj)) return false;
        r->it = next, r->sub = 0, r->tasks_done = false;
        drop_join(r);
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
    drop_join(r);
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
        drop_join(r);
        free(r);
    }
}
