/*
 * metrics.c - the process-wide metrics registry behind /metrics/snapshot: counters, gauges
 * and timings found by name, updated from any thread, and written as one flat JSON object
 * sorted by key ("master\/elected":1), the form Mesos' monitoring tools parse.
 *
 * Counters and gauges are lock-free atomics; a timing has a mutex and a ring of its last
 * ACT_TIMING_WINDOW samples, from which the snapshot derives count, min, max and the
 * percentiles p50 p90 p95 p99 p999 p9999 (linear interpolation between closest ranks, as
 * libprocess' Statistics does: position = p * (n - 1)). The registry is a sorted array under
 * one mutex.
 *
 * Asking for an existing name as a different kind logs an error and returns a shared dummy
 * of the kind asked for: it works but never appears in the snapshot, so no caller gets NULL.
 * act_metric_remove and act_metrics_reset free the objects: pointers callers cached to them
 * must not be used afterwards (that is the caller's contract, as with any freed object).
 */
#include "actor/actor_int.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define ACT_TIMING_WINDOW 1000

typedef enum metric_kind { KIND_COUNTER, KIND_GAUGE, KIND_TIMING } metric_kind;

struct act_counter {
    atomic_uint_fast64_t value;
};

/* A double kept as its bit pattern so it can be updated atomically. */
struct act_gauge {
    atomic_uint_fast64_t bits;
};

struct act_timing {
    pthread_mutex_t lock;
    double window[ACT_TIMING_WINDOW];
    size_t next;  /* slot the next sample goes to */
    size_t count; /* samples in the window (<= ACT_TIMING_WINDOW) */
    double last;
};

typedef struct metric {
    char *name;
    metric_kind kind;
    void *obj;
} metric;

static struct {
    pthread_mutex_t lock;
    metric *items; /* sorted by name (strcmp) */
    size_t len, cap;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER};

static act_counter dummy_counter;
static act_gauge dummy_gauge;
static act_timing dummy_timing = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const char *const kind_names[] = {"counter", "gauge", "timing"};

/* ---- registry ---------------------------------------------------------------------------- */

/* Index of `name`, or of where it would be inserted; *found tells which. */
static size_t search(const char *name, bool *found)
{
    size_t lo = 0, hi = R.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(R.items[mid].name, name);
        if (cmp == 0) {
            *found = true;
            return mid;
        }
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = false;
    return lo;
}

static void *new_object(metric_kind kind)
{
    if (kind == KIND_COUNTER) return act_calloc(1, sizeof(act_counter));
    if (kind == KIND_GAUGE) return act_calloc(1, sizeof(act_gauge));
    act_timing *t = act_calloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

static void free_object(metric_kind kind, void *obj)
{
    if (kind == KIND_TIMING) pthread_mutex_destroy(&((act_timing *)obj)->lock);
    free(obj);
}

static void *dummy_of(metric_kind kind)
{
    if (kind == KIND_COUNTER) return &dummy_counter;
    if (kind == KIND_GAUGE) return &dummy_gauge;
    return &dummy_timing;
}

static void insert_at(size_t at, const char *name, metric_kind kind, void *obj)
{
    if (R.len == R.cap) {
        R.cap = R.cap ? R.cap * 2 : 64;
        R.items = act_realloc(R.items, R.cap * sizeof *R.items);
    }
    memmove(&R.items[at + 1], &R.items[at], (R.len - at) * sizeof *R.items);
    R.items[at] = (metric){act_strdup(name), kind, obj};
    R.len++;
}

static void *get_or_create(const char *name, metric_kind kind)
{
    pthread_mutex_lock(&R.lock);
    bool found;
    size_t at = search(name, &found);
    void *obj = NULL;
    metric_kind existing = kind;
    if (found) {
        existing = R.items[at].kind;
        if (existing == kind) obj = R.items[at].obj;
    } else {
        obj = new_object(kind);
        insert_at(at, name, kind, obj);
    }
    pthread_mutex_unlock(&R.lock);
    if (obj) return obj;
    LOG_ERROR("Metric '%s' is a %s, not a %s: updates through this handle are discarded", name,
              kind_names[existing], kind_names[kind]);
    return dummy_of(kind);
}

act_counter *act_counter_get(const char *name) { return get_or_create(name, KIND_COUNTER); }
act_gauge *act_gauge_get(const char *name) { return get_or_create(name, KIND_GAUGE); }
act_timing *act_timing_get(const char *name) { return get_or_create(name, KIND_TIMING); }

void act_metric_remove(const char *name)
{
    pthread_mutex_lock(&R.lock);
    bool found;
    size_t at = search(name, &found);
    if (found) {
        metric m = R.items[at];
        memmove(&R.items[at], &R.items[at + 1], (R.len - at - 1) * sizeof *R.items);
        R.len--;
        free(m.name);
        free_object(m.kind, m.obj);
    }
    pthread_mutex_unlock(&R.lock);
}

void act_metrics_reset(void)
{
    pthread_mutex_lock(&R.lock);
    for (size_t i = 0; i < R.len; i++) {
        free(R.items[i].name);
        free_object(R.items[i].kind, R.items[i].obj);
    }
    free(R.items);
    R.items = NULL;
    R.len = R.cap = 0;
    pthread_mutex_unlock(&R.lock);
}

/* ---- counters and gauges ----------------------------------------------------------------- */

void act_counter_inc(act_counter *c)
{
    atomic_fetch_add_explicit(&c->value, 1, memory_order_relaxed);
}

void act_counter_add(act_counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(&c->value, n, memory_order_relaxed);
}

uint64_t act_counter_value(const act_counter *c)
{
    /* Older C11 compilers reject atomic loads through a const pointer; nothing is written. */
    return atomic_load_explicit(&((act_counter *)c)->value, memory_order_relaxed);
}

static uint64_t double_bits(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

static double bits_double(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

void act_gauge_set(act_gauge *g, double v)
{
    atomic_store_explicit(&g->bits, double_bits(v), memory_order_relaxed);
}

void act_gauge_add(act_gauge *g, double delta)
{
    uint_fast64_t old = atomic_load_explicit(&g->bits, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&g->bits, &old,
                                                  double_bits(bits_double(old) + delta),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

double act_gauge_value(const act_gauge *g)
{
    return bits_double(atomic_load_explicit(&((act_gauge *)g)->bits, memory_order_relaxed));
}

/* ---- timings ----------------------------------------------------------------------------- */

/* Non-finite samples are dropped: they would make the order of the window undefined. */
void act_timing_record(act_timing *t, double value)
{
    if (!isfinite(value)) return;
    pthread_mutex_lock(&t->lock);
    t->window[t->next] = value;
    t->next = (t->next + 1) % ACT_TIMING_WINDOW;
    if (t->count < ACT_TIMING_WINDOW) t->count++;
    t->last = value;
    pthread_mutex_unlock(&t->lock);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The p-th percentile (0 < p < 1) of n >= 1 sorted values, linearly interpolated. */
static double percentile(const double *sorted, size_t n, double p)
{
    double pos = p * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i + 1 >= n) return sorted[n - 1];
    return sorted[i] + (pos - (double)i) * (sorted[i + 1] - sorted[i]);
}

/* ---- snapshot ---------------------------------------------------------------------------- */

/* One key of the snapshot; keys are collected first so the object comes out fully sorted
 * even when one metric's name is a prefix of another's ("t/count" vs "t-x"). */
typedef struct snap_item {
    char *key;
    bool is_uint;
    bool extra;   /* given by the caller of act_metrics_snapshot_with: wins a clash */
    uint64_t u;
    double d;
} snap_item;

typedef struct snap {
    snap_item *items;
    size_t len, cap;
} snap;

static void snap_add(snap *s, const char *name, const char *suffix, bool is_uint, uint64_t u,
                     double d)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->items = act_realloc(s->items, s->cap * sizeof *s->items);
    }
    act_buf key = {0};
    act_buf_printf(&key, "%s%s", name, suffix);
    s->items[s->len++] = (snap_item){act_buf_detach(&key, NULL), is_uint, false, u, d};
}

static void snap_timing(snap *s, const char *name, act_timing *t)
{
    double sorted[ACT_TIMING_WINDOW];
    pthread_mutex_lock(&t->lock);
    size_t n = t->count;
    double last = t->last;
    memcpy(sorted, t->window, n * sizeof *sorted);
    pthread_mutex_unlock(&t->lock);
    snap_add(s, name, "/count", true, n, 0);
    if (n == 0) return;
    qsort(sorted, n, sizeof *sorted, cmp_double);
    snap_add(s, name, "", false, 0, last);
    snap_add(s, name, "/max", false, 0, sorted[n - 1]);
    snap_add(s, name, "/min", false, 0, sorted[0]);
    static const struct { const char *key; double p; } ps[] = {
        {"/p50", 0.50}, {"/p90", 0.90}, {"/p95", 0.95},
        {"/p99", 0.99}, {"/p999", 0.999}, {"/p9999", 0.9999}};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        snap_add(s, name, ps[i].key, false, 0, percentile(sorted, n, ps[i].p));
}

static void snap_metric(snap *s, const metric *m)
{
    if (m->kind == KIND_COUNTER) {
        snap_add(s, m->name, "", true, act_counter_value(m->obj), 0);
    } else if (m->kind == KIND_GAUGE) {
        double v = act_gauge_value(m->obj);
        if (isfinite(v)) snap_add(s, m->name, "", false, 0, v); /* numbers only */
    } else {
        snap_timing(s, m->name, m->obj);
    }
}

/* By key; of two equal keys the caller's (extra) first. */
static int cmp_item(const void *a, const void *b)
{
    const snap_item *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (int)y->extra - (int)x->extra;
}

void act_metrics_snapshot_with(act_buf *out, const act_metric_value *extra, size_t n)
{
    if (act_initialized()) act__host_metrics(); /* a process that runs has a host */
    snap s = {0};
    pthread_mutex_lock(&R.lock);
    for (size_t i = 0; i < R.len; i++) snap_metric(&s, &R.items[i]);
    pthread_mutex_unlock(&R.lock);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(extra[i].value)) continue;
        snap_add(&s, extra[i].key, "", false, 0, extra[i].value);
        s.items[s.len - 1].extra = true;
    }
    if (s.len) qsort(s.items, s.len, sizeof *s.items, cmp_item);
    act_json j;
    act_json_init(&j, out);
    j.escape_slash = true;
    act_json_object_begin(&j);
    for (size_t i = 0; i < s.len; i++) {
        if (i > 0 && strcmp(s.items[i - 1].key, s.items[i].key) == 0) continue; /* a clash */
        if (s.items[i].is_uint) act_json_kv_uint(&j, s.items[i].key, s.items[i].u);
        else act_json_kv_double(&j, s.items[i].key, s.items[i].d);
    }
    for (size_t i = 0; i < s.len; i++) free(s.items[i].key);
    act_json_object_end(&j);
    free(s.items);
}

void act_metrics_snapshot(act_buf *out)
{
    act_metrics_snapshot_with(out, NULL, 0);
}
