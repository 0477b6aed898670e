/*
 * introspect.c - the runtime's own actors, present in every binary: /help (generated from
 * the routes' help text), /metrics/snapshot, /__actors__ (every actor's mailbox depth,
 * traffic, handler time and links), /__processes__ (libprocess' view: the events waiting in
 * every mailbox, bodies decoded to JSON by the renderer wire/ installs), /__recorder__ (the flight recorder's recent message events) and /__trace__
 * (a live chunked stream of them), /logging/toggle, and /system/stats.json with the system
 * gauges (load, CPUs, memory).
 */
#include "actor/actor_int.h"

#include <errno.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

/* ---- /help ------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lines "/<actor>/<path>\n    help" for the actor named `only` (NULL = all), sorted. */
static void help_text(act_buf *out, const char *only, const char *only_path)
{
    act_runtime *rt = act__rt;
    char **lines = NULL;
    size_t n = 0;
    pthread_rwlock_rdlock(&rt->table_lock);
    for (size_t i = 0; i < rt->table_cap; i++)
        for (act_actor *a = rt->table[i]; a; a = a->tnext) {
            if (only && strcmp(a->name, only) != 0) continue;
            for (size_t k = 0; k < a->route_count; k++) {
                const route *r = &a->routes[k];
                if (only_path && strcmp(r->path, only_path) != 0) continue;
                act_buf line = {0};
                act_buf_printf(&line, "/%s%s%s\n", a->name, r->path[0] ? "/" : "", r->path);
                if (r->help[0]) act_buf_printf(&line, "    %s\n", r->help);
                lines = act_realloc(lines, (n + 1) * sizeof *lines);
                lines[n++] = act_buf_detach(&line, NULL);
            }
        }
    pthread_rwlock_unlock(&rt->table_lock);
    if (n) qsort(lines, n, sizeof *lines, cmp_str);
    for (size_t i = 0; i < n; i++) {
        act_buf_puts(out, lines[i]);
        free(lines[i]);
    }
    free(lines);
}

static void on_help(act_actor *self, act_http_req *req)
{
    const char *path = act_http_path(req);
    char actor[ACT_ID_MAX] = "";
    const char *sub = NULL;
    if (path[0]) {
        size_t n = strcspn(path, "/");
        snprintf(actor, sizeof actor, "%.*s", (int)(n < sizeof actor ? n : sizeof actor - 1),
                 path);
        if (path[n]) sub = path + n + 1;
    }
    act_buf out = {0};
    help_text(&out, actor[0] ? actor : NULL, sub);
    if (!out.len) {
        act_buf_free(&out);
        act_http_respond_text(req, 404, "No such endpoint");
        return;
    }
    act_http_respond(req, 200, "text/plain; charset=utf-8", out.data, out.len, NULL);
    act_buf_free(&out);
}

/* ---- /metrics/snapshot ------------------------------------------------------------------- */

#define MAX_COLLECTORS 32

static pthread_mutex_t coll_mu = PTHREAD_MUTEX_INITIALIZER;
static struct collector { act_pid owner; act_fn fn; } collectors[MAX_COLLECTORS];
static int ncollectors;
static act_pid metrics_pid;

void act_metrics_add_collector(const act_pid *owner, act_fn fn)
{
    pthread_mutex_lock(&coll_mu);
    ACT_CHECK(ncollectors < MAX_COLLECTORS);
    collectors[ncollectors].owner = *owner;
    collectors[ncollectors].fn = fn;
    ncollectors++;
    pthread_mutex_unlock(&coll_mu);
}

void act_metrics_remove_collector(const act_pid *owner)
{
    pthread_mutex_lock(&coll_mu);
    for (int i = 0; i < ncollectors; i++)
        if (act_pid_equal(&collectors[i].owner, owner)) collectors[i--] = collectors[--ncollectors];
    pthread_mutex_unlock(&coll_mu);
}

/* One snapshot request waiting for its collectors (touched on the metrics actor's loop). */
typedef struct pending_snapshot {
    act_http_req *req;
    int remaining;
} pending_snapshot;

typedef struct collect_call {
    pending_snapshot *snap;
    act_fn fn;
} collect_call;

static void respond_snapshot(act_http_req *req)
{
    act_buf out = {0};
    act_metrics_snapshot(&out);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

/* Back on the metrics actor: one collector finished. */
static void collected(act_actor *self, void *arg)
{
    pending_snapshot *snap = arg;
    if (--snap->remaining > 0) return;
    respond_snapshot(snap->req);
    free(snap);
}

/* In the collector's actor (self NULL if it is gone). */
static void run_collector(act_actor *self, void *arg)
{
    collect_call *c = arg;
    if (self) c->fn(self, NULL);
    act_dispatch(&metrics_pid, collected, c->snap);
    free(c);
}

static void on_snapshot(act_actor *self, act_http_req *req)
{
    struct collector list[MAX_COLLECTORS];
    pthread_mutex_lock(&coll_mu);
    int n = ncollectors;
    memcpy(list, collectors, sizeof collectors);
    pthread_mutex_unlock(&coll_mu);
    if (n == 0) {
        respond_snapshot(req);
        return;
    }
    pending_snapshot *snap = act_malloc(sizeof *snap);
    snap->req = req;
    snap->remaining = n;
    for (int i = 0; i < n; i++) {
        collect_call *c = act_malloc(sizeof *c);
        c->snap = snap;
        c->fn = list[i].fn;
        act_dispatch(&list[i].owner, run_collector, c);
    }
}

void act__collectors_reset(void);
void act__collectors_reset(void)
{
    pthread_mutex_lock(&coll_mu);
    ncollectors = 0;
    pthread_mutex_unlock(&coll_mu);
}

/* ---- /__actors__ ------------------------------------------------------------------------- */

static void on_actors(act_actor *self, act_http_req *req)
{
    act_runtime *rt = act__rt;
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_array_begin(&j);
    pthread_rwlock_rdlock(&rt->table_lock);
    for (size_t i = 0; i < rt->table_cap; i++)
        for (act_actor *a = rt->table[i]; a; a = a->tnext) {
            char pid[ACT_PID_STRLEN];
            act_pid p = act_self(a);
            act_json_object_begin(&j);
            act_json_kv_string(&j, "id", a->name);
            act_json_kv_string(&j, "pid", act_pid_format(&p, pid, sizeof pid));
            act_json_kv_int(&j, "loop", a->loop);
            act_json_kv_uint(&j, "mailbox", atomic_load(&a->stat_depth));
            act_json_kv_uint(&j, "messages_received", atomic_load(&a->stat_in));
            act_json_kv_uint(&j, "messages_sent", atomic_load(&a->stat_out));
            act_json_kv_double(&j, "handler_time_ms", (double)atomic_load(&a->stat_ns) / 1e6);
            act_json_kv_uint(&j, "links", atomic_load(&a->stat_links));
            act_json_object_end(&j);
        }
    pthread_rwlock_unlock(&rt->table_lock);
    act_json_array_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

/* ---- /__recorder__ ---------------------------------------------------------------------- */

static bool parse_count(const char *text, uint64_t *out)
{
    if (!text) return true;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || text[0] == '-') return false;
    *out = v;
    return true;
}

/* The flight recorder as one JSON object: where it is, how much it keeps and lost, and its
 * events after ?since=SEQ (at most ?limit=N, the newest). */
static void on_recorder(act_actor *self, act_http_req *req)
{
    uint64_t since = 0, limit = 0;
    if (!parse_count(act_http_query(req, "since"), &since) ||
        !parse_count(act_http_query(req, "limit"), &limit)) {
        act_http_respond_text(req, 400, "Expecting numbers in 'since=' and 'limit='");
        return;
    }
    rec_cursor cur = {0};
    rec_event *ev;
    size_t n;
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    char addr[32], ip[16];
    act_pid me = act_address();
    snprintf(addr, sizeof addr, "%s:%u", act_ip_format(me.ip, ip, sizeof ip), me.port);
    act_json_kv_string(&j, "address", addr);
    act_json_kv_uint(&j, "capacity", act__rec_capacity());
    act_json_kv_int(&j, "loops", act_loop_count());
    act_json_kv_uint(&j, "overwritten", act__rec_overwritten());
    act_json_kv_uint(&j, "last_seq", act__rec_last_seq());
    act__rec_read(&cur, since, (size_t)limit, false, &ev, &n, NULL);
    act_json_key(&j, "events");
    act_json_array_begin(&j);
    for (size_t i = 0; i < n; i++) act__rec_event_json(&j, &ev[i]);
    act_json_array_end(&j);
    act_json_object_end(&j);
    act__rec_events_free(ev, n);
    act__rec_cursor_free(&cur);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

/* ---- /__trace__ -------------------------------------------------------------------------- */

#define MAX_WATCHERS 16

/* A live stream of the recorder's events from the moment it opened (loop 0 only). */
static struct watcher {
    act_http_stream *stream;
    char name[128], actor[ACT_ID_MAX];
    bool bodies, binary; /* ?format=binary: records (actor.h), not JSON lines */
    rec_cursor cursor;
    uint64_t lost; /* events it missed, told with its next line */
} watchers[MAX_WATCHERS];
static int nwatchers;
static act_buf flush_out; /* what a flush writes; its memory is kept from flush to flush */
#define FLUSH_KEEP (1u << 20)   /* ... up to this much */
static act_pid trace_pid;
static _Atomic bool flush_queued;

static void trace_flush(act_actor *self, void *arg);

void act__trace_kick(void)
{
    if (!atomic_exchange(&flush_queued, true)) act_dispatch(&trace_pid, trace_flush, NULL);
}

static bool watcher_wants(const struct watcher *w, const rec_event *ev)
{
    if (w->name[0] && !strstr(ev->name, w->name)) return false;
    return !w->actor[0] || strcmp(ev->to.id, w->actor) == 0 || strcmp(ev->from.id, w->actor) == 0;
}

static void drop_watcher(int i)
{
    act_http_stream_close(watchers[i].stream);
    act__rec_cursor_free(&watchers[i].cursor);
    act__rec_watch(-1, watchers[i].bodies);
    watchers[i] = watchers[--nwatchers];
}

/* Below this much room toward a watcher, its events wait in the recorder (and are counted
 * lost if overwritten meanwhile): a slow watcher costs the process nothing. */
#define WATCH_ROOM (64 * 1024)
#define CHUNK_FRAMING 32 /* what the chunked encoding adds to a write */

/* What watcher w has not seen yet as JSON lines into out: how many events. */
static size_t lines_of(struct watcher *w, act_buf *out)
{
    rec_event *ev;
    size_t n, wanted = 0;
    uint64_t lost;
    act__rec_read(&w->cursor, 0, 0, w->bodies, &ev, &n, &lost);
    w->lost += lost;
    act_json j;
    if (w->lost) act_buf_printf(out, "{\"kind\":\"lost\",\"count\":%llu}\n",
                                (unsigned long long)w->lost);
    for (size_t i = 0; i < n; i++) {
        if (!watcher_wants(w, &ev[i])) continue;
        act_json_init(&j, out);
        act__rec_event_json(&j, &ev[i]);
        act_buf_putc(out, '\n');
        wanted++;
    }
    act__rec_events_free(ev, n);
    return wanted;
}

/* The same as binary records, from out->data + *skip, up to about `budget` bytes (*more: some
 * are left for the next flush): the events are read in after room for a lost record, which
 * is written there if any were missed (else skipped). */
#define LOST_RECORD 13
static size_t records_of(struct watcher *w, act_buf *out, size_t *skip, size_t budget,
                         bool *more)
{
    size_t n;
    uint64_t lost;
    act_buf_reserve(out, LOST_RECORD);
    out->len = LOST_RECORD;
    *more = act__rec_read_binary(&w->cursor, w->name, w->actor, w->bodies,
                                 budget - LOST_RECORD - CHUNK_FRAMING, out, &n, &lost);
    w->lost += lost;
    *skip = LOST_RECORD;
    if (w->lost) {
        size_t end = out->len;
        out->len = 0;
        act__rec_binary_lost(out, w->lost);
        out->len = end;
        *skip = 0;
    }
    return n;
}

/* What a flush did for a watcher. */
typedef enum flush_rc { FLUSH_DONE, FLUSH_LATER, FLUSH_GONE } flush_rc;

/* While a watcher has no room, its next try is this long after (no event may come to kick
 * one: the last events would wait for the next). */
#define WATCH_RETRY_SECS 0.05
static bool retry_armed;

/* Writes what watcher w has not seen yet: FLUSH_LATER when its connection has no room for
 * all of it (a binary watcher gets what fits, the rest stays in the rings), FLUSH_GONE when
 * its client went away. */
static flush_rc flush_one(struct watcher *w)
{
    size_t room = act__http_stream_room(w->stream);
    if (room < WATCH_ROOM) return FLUSH_LATER;
    act_buf *out = &flush_out;
    act_buf_reset(out);
    size_t skip = 0, wanted;
    bool more = false;
    if (w->binary) wanted = records_of(w, out, &skip, room, &more);
    else wanted = lines_of(w, out);
    int rc = out->len > skip ? act_http_stream_write(w->stream, out->data + skip,
                                                     out->len - skip) : 0;
    if (out->cap > FLUSH_KEEP) act_buf_free(out); /* a burst of large bodies: not for good */
    if (rc == 0) w->lost = 0;
    if (rc == -ENOBUFS) w->lost += wanted; /* JSON lines that did not fit: told next time */
    if (rc == -EPIPE) return FLUSH_GONE;
    return more || rc == -ENOBUFS ? FLUSH_LATER : FLUSH_DONE;
}

static void trace_retry(act_actor *self, void *arg);

static void trace_flush(act_actor *self, void *arg)
{
    if (!self) return;
    atomic_store(&flush_queued, false); /* events from here on kick again */
    bool later = false;
    for (int i = 0; i < nwatchers; i++) {
        flush_rc rc = flush_one(&watchers[i]);
        if (rc == FLUSH_GONE) drop_watcher(i--);
        later |= rc == FLUSH_LATER;
    }
    if (later && !retry_armed) {
        retry_armed = true;
        act_delay(self, WATCH_RETRY_SECS, trace_retry, arg);
    }
}

static void trace_retry(act_actor *self, void *arg)
{
    retry_armed = false;
    trace_flush(self, arg);
}

static void on_trace(act_actor *self, act_http_req *req)
{
    const char *bodies = act_http_query(req, "bodies");
    bool with_bodies = bodies && (strcmp(bodies, "1") == 0 || strcmp(bodies, "true") == 0);
    const char *format = act_http_query(req, "format");
    if (format && strcmp(format, "json") != 0 && strcmp(format, "binary") != 0) {
        act_http_respond_text(req, 400, "Expecting 'format=json' or 'format=binary'");
        return;
    }
    /* Bodies carry task data: behind HTTP Basic when the process asks for it. */
    if (with_bodies && !act_http_authenticate(req)) return;
    if (nwatchers == MAX_WATCHERS) {
        act_http_respond_text(req, 503, "Too many trace watchers");
        return;
    }
    struct watcher *w = &watchers[nwatchers];
    memset(w, 0, sizeof *w);
    const char *name = act_http_query(req, "name"), *actor = act_http_query(req, "actor");
    snprintf(w->name, sizeof w->name, "%s", name ? name : "");
    snprintf(w->actor, sizeof w->actor, "%s", actor ? actor : "");
    w->bodies = with_bodies;
    w->binary = format && strcmp(format, "binary") == 0;
    rec_event *ev;
    size_t n;
    act__rec_read(&w->cursor, UINT64_MAX, 0, false, &ev, &n, NULL); /* from now on */
    act__rec_events_free(ev, n);
    w->stream = act_http_stream_open(req, w->binary ? "application/octet-stream"
                                                    : "application/x-ndjson");
    if (w->binary) {
        uint8_t head[ACT_TRACE_HEAD_LEN] = ACT_TRACE_MAGIC;
        head[4] = ACT_TRACE_VERSION; /* little-endian u32 */
        act_http_stream_write(w->stream, head, sizeof head);
    }
    nwatchers++;
    act__rec_watch(+1, w->bodies);
    /* The head goes out now; an empty first write also detects a dead client later. */
}

void act__trace_reset(void)
{
    for (int i = 0; i < nwatchers; i++) {
        free(watchers[i].stream);
        act__rec_cursor_free(&watchers[i].cursor);
    }
    nwatchers = 0;
    act_buf_free(&flush_out);
    atomic_store(&flush_queued, false);
    retry_armed = false;
}

/* ---- /__processes__ --------------------------------------------------------------------- */

/* One request: each loop adds its actors, the last loop to finish answers. */
typedef struct proc_item {
    char *id, *json;
} proc_item;

/* Events listed per process: a mailbox of a million (an overloaded master) is counted, and
 * only its first events are rendered (each body is decoded). ?max_events=N changes it. */
#define PROCESSES_MAX_EVENTS 1000

typedef struct processes_req {
    act_http_req *req;
    size_t max_events;
    pthread_mutex_t mu;
    int remaining;
    proc_item *items;
    size_t n, cap;
} processes_req;

static _Atomic(act_body_renderer) body_renderer;

void act_set_body_renderer(act_body_renderer fn)
{
    atomic_store(&body_renderer, fn);
}

static void write_event(act_json *j, const act_actor *a, const act_entry *e)
{
    char pid[ACT_PID_STRLEN];
    act_json_object_begin(j);
    if (e->kind == E_MSG) {
        act_json_key(j, "body");
        act_body_renderer render = atomic_load(&body_renderer);
        if (!render || !render(e->name, e->body, e->len, e->ctype, e->libprocess, j))
            act_json_string_n(j, (const char *)e->body, e->len);
        act_json_kv_string(j, "from", act_pid_format(&e->from, pid, sizeof pid));
        act_json_kv_string(j, "name", e->name);
        act_pid to = act_self(a);
        act_json_kv_string(j, "to", act_pid_format(&to, pid, sizeof pid));
        act_json_kv_string(j, "type", "MESSAGE");
    } else if (e->kind == E_HTTP) {
        act_json_kv_string(j, "method", act_http_method(e->u.req));
        act_json_kv_string(j, "type", "HTTP");
        act_json_kv_string(j, "url", act_http_url(e->u.req));
    } else {
        act_json_kv_string(j, "type", e->kind == E_EXITED      ? "EXITED"
                                      : e->kind == E_TERMINATE ? "TERMINATE"
                                                               : "DISPATCH");
    }
    act_json_object_end(j);
}

static void add_process(processes_req *p, const act_actor *a)
{
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_key(&j, "events");
    act_json_array_begin(&j);
    size_t listed = 0, omitted = 0;
    for (const act_entry *e = a->mb_head; e; e = atomic_load(&((act_entry *)e)->next)) {
        if (e->kind != E_MSG && e->kind != E_HTTP && e->kind != E_DISPATCH &&
            e->kind != E_TIMER && e->kind != E_EXITED && e->kind != E_TERMINATE)
            continue;
        if (listed == p->max_events) {
            omitted++;
            continue;
        }
        write_event(&j, a, e);
        listed++;
    }
    act_json_array_end(&j);
    if (omitted) act_json_kv_uint(&j, "events_omitted", omitted); /* ours, not libprocess' */
    act_json_kv_string(&j, "id", a->name);
    act_json_object_end(&j);
    pthread_mutex_lock(&p->mu);
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 32;
        p->items = act_realloc(p->items, p->cap * sizeof *p->items);
    }
    p->items[p->n++] = (proc_item){act_strdup(a->name), act_buf_detach(&out, NULL)};
    pthread_mutex_unlock(&p->mu);
}

static int cmp_proc(const void *a, const void *b)
{
    return strcmp(((const proc_item *)a)->id, ((const proc_item *)b)->id);
}

static void respond_processes(processes_req *p)
{
    if (p->n) qsort(p->items, p->n, sizeof *p->items, cmp_proc);
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_array_begin(&j);
    for (size_t i = 0; i < p->n; i++) {
        act_json_raw(&j, p->items[i].json, strlen(p->items[i].json));
        free(p->items[i].id);
        free(p->items[i].json);
    }
    act_json_array_end(&j);
    act_http_respond_json(p->req, 200, &out);
    act_buf_free(&out);
    pthread_mutex_destroy(&p->mu);
    free(p->items);
    free(p);
}

/* On loop l (NULL: the runtime is going away): its actors, read by the thread owning them. */
static void list_loop(act_loop *l, void *arg)
{
    processes_req *p = arg;
    for (size_t i = 0; l && i < l->local_cap; i++)
        for (const act_actor *a = l->local[i]; a; a = a->lnext) add_process(p, a);
    pthread_mutex_lock(&p->mu);
    bool last = --p->remaining == 0;
    pthread_mutex_unlock(&p->mu);
    if (last) respond_processes(p);
}

static void on_processes(act_actor *self, act_http_req *req)
{
    const char *max = act_http_query(req, "max_events");
    char *end = NULL;
    long long n = max ? strtoll(max, &end, 10) : PROCESSES_MAX_EVENTS;
    if (max && (*max == '\0' || *end || n < 0)) {
        act_http_respond_text(req, 400, "Invalid max_events: expecting a count");
        return;
    }
    processes_req *p = act_calloc(1, sizeof *p);
    p->req = req;
    p->max_events = (size_t)n;
    pthread_mutex_init(&p->mu, NULL);
    p->remaining = act_loop_count();
    for (int i = 0; i < act_loop_count(); i++) act__loop_call(i, list_loop, p);
}

/* ---- /logging/toggle and /system/stats.json ---------------------------------------------- */

/* As libprocess: no arguments shows the verbosity; both set it for a while. */
static void on_toggle(act_actor *self, act_http_req *req)
{
    const char *level = act_http_query(req, "level"), *duration = act_http_query(req, "duration");
    if (!level && !duration) {
        char text[32];
        int n = snprintf(text, sizeof text, "%d\n", act_log_verbosity());
        act_http_respond(req, 200, "text/plain; charset=utf-8", text, (size_t)n, NULL);
        return;
    }
    if (!level || !duration) {
        act_http_respond_text(req, 400, level ? "Expecting 'duration=value' in query"
                                              : "Expecting 'level=value' in query");
        return;
    }
    char *end;
    long v = strtol(level, &end, 10);
    double secs;
    if (*end || v < 0 || v > 100) {
        act_http_respond_text(req, 400, "Invalid level");
        return;
    }
    if (act_duration_parse(duration, &secs) != 0) {
        act_http_respond_text(req, 400, "Invalid duration");
        return;
    }
    act_log_toggle((int)v, secs);
    act_http_respond(req, 200, NULL, NULL, 0, NULL);
}

/* The host as libprocess' System process reads it: load averages, online CPUs, memory. */
typedef struct host_stats {
    double load[3];
    long cpus;
    uint64_t mem_total, mem_free;
} host_stats;

static host_stats read_host(void)
{
    host_stats h = {{0, 0, 0}, sysconf(_SC_NPROCESSORS_ONLN), 0, 0};
    getloadavg(h.load, 3);
    struct sysinfo si;
    if (sysinfo(&si) == 0) {
        h.mem_total = (uint64_t)si.totalram * si.mem_unit;
        h.mem_free = (uint64_t)si.freeram * si.mem_unit;
    }
    return h;
}

static void on_system_stats(act_actor *self, act_http_req *req)
{
    host_stats h = read_host();
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_kv_double(&j, "avg_load_15min", h.load[2]);
    act_json_kv_double(&j, "avg_load_1min", h.load[0]);
    act_json_kv_double(&j, "avg_load_5min", h.load[1]);
    act_json_kv_int(&j, "cpus_total", h.cpus);
    act_json_kv_uint(&j, "mem_free_bytes", h.mem_free);
    act_json_kv_uint(&j, "mem_total_bytes", h.mem_total);
    act_json_object_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

void act__host_metrics(void)
{
    host_stats h = read_host();
    act_gauge_set(act_gauge_get("system/load_1min"), h.load[0]);
    act_gauge_set(act_gauge_get("system/load_5min"), h.load[1]);
    act_gauge_set(act_gauge_get("system/load_15min"), h.load[2]);
    act_gauge_set(act_gauge_get("system/cpus_total"), (double)h.cpus);
    act_gauge_set(act_gauge_get("system/mem_total_bytes"), (double)h.mem_total);
    act_gauge_set(act_gauge_get("system/mem_free_bytes"), (double)h.mem_free);
}

/* ---- spawning ---------------------------------------------------------------------------- */

static void spawn_one(const char *name, const char *path, act_http_fn fn, const char *help)
{
    act_actor *a = act_new(name, NULL);
    if (fn == on_toggle) /* it changes how the process logs (act_route_protected) */
        act_route_protected(a, path, fn, help);
    else
        act_route(a, path, fn, help);
    if (strcmp(name, "help") == 0) act_route(a, "*", fn, NULL);
    act_spawn(a, 0);
}

void act__internal_actors_spawn(void)
{
    spawn_one("help", "", on_help,
              "Lists every endpoint with its help; /help/<actor>[/<path>] narrows it down.");
    spawn_one("metrics", "snapshot", on_snapshot,
              "A flat JSON object of every metric of this process (counters, gauges, timers).");
    spawn_one("__actors__", "", on_actors,
              "Every actor: mailbox depth, messages received and sent, handler time, links.");
    spawn_one("__trace__", "", on_trace,
              "A live stream of message events (one JSON object per line): sent, received "
              "and dropped, with trace context and tags; ?name= (part of the message name) "
              "and ?actor= (sender or receiver) filter it, ?bodies=1 adds each body (base64; "
              "HTTP Basic credentials needed with --authenticate_http); ?format=binary streams "
              "length-prefixed records instead (see docs/debugging-message-flows.md).");
    spawn_one("__recorder__", "", on_recorder,
              "The flight recorder: the process' recent message events (sent, received, "
              "dropped) as one JSON object; ?since=SEQ gives only later ones, ?limit=N the "
              "newest N.");
    spawn_one("logging", "toggle", on_toggle,
              "Raises verbose logging to ?level=N for ?duration=5mins, then restores it.");
    spawn_one("system", "stats.json", on_system_stats,
              "Load averages, CPU count and memory of the host.");
    spawn_one("__processes__", "", on_processes,
              "Every actor (libprocess' processes) with the events waiting in its mailbox; "
              "a body of a known message type is shown as its JSON. At most 1000 events "
              "per actor (?max_events=N), the rest counted in events_omitted.");
    trace_pid = act__rt->address;
    snprintf(trace_pid.id, sizeof trace_pid.id, "__trace__");
    metrics_pid = act__rt->address;
    snprintf(metrics_pid.id, sizeof metrics_pid.id, "metrics");
}
