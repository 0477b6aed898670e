/*
 * ratelimit.c - framework rate limiting (--rate_limits, Mesos' BoundedRateLimiter in
 * Master::visit) and the per-principal message counters. Every message from a registered
 * framework's scheduler is counted in frameworks/<principal>/messages_received when it
 * arrives and messages_processed once handled. A principal listed with a qps, or any other
 * framework when aggregate_default_qps is set (all of them sharing one limiter), has its
 * messages handled one every 1/qps seconds of runtime clock, in arrival order, the rest
 * waiting in its queue; other frameworks' messages do not wait behind them. A message that
 * finds its queue holding `capacity` messages is dropped and the framework gets
 * FrameworkErrorMessage (its driver aborts). An exited event of a framework whose messages
 * wait is queued behind them, so the master never sees a disconnection before what was sent
 * before it. A principal listed without qps is not limited.
 */
#include "master/master_int.h"

#include <math.h>
#include <string.h>

typedef struct m_principal {
    int frameworks;                /* registered frameworks with this principal */
    act_counter *received, *processed;
} m_principal;

typedef struct queued {
    m_held msg;
    bool exited;                   /* an exited event of msg.from, not a message */
} queued;

struct m_limiter {
    char *principal;               /* NULL: the aggregate default */
    double interval;               /* seconds between two messages: 1 / qps */
    uint64_t capacity;             /* most messages waiting; 0: no bound */
    double next;                   /* runtime clock time the next message may go */
    queued *q;                     /* ring of waiting messages */
    size_t head, n, cap;
    act_timer_id timer;
};

static char unlimited; /* the limiter of a principal listed without qps */

/* ---- configuration ------------------------------------------------------------------------ */

const char *m_rate_limits_check(const wire_rate_limits *r, char *buf, size_t n)
{
    for (size_t i = 0; i < r->limits_count; i++) {
        const wire_rate_limit *l = &r->limits[i];
        for (size_t k = 0; k < i; k++)
            if (strcmp(r->limits[k].principal, l->principal) == 0)
                return snprintf(buf, n, "Duplicate principal %s found in RateLimits "
                                "configuration", l->principal), buf;
        if (l->has_qps && !(l->qps > 0))
            return snprintf(buf, n, "Invalid qps: %g. It must be a positive number", l->qps),
                   buf;
    }
    if (r->has_aggregate_default_qps && !(r->aggregate_default_qps > 0))
        return snprintf(buf, n, "Invalid aggregate_default_qps: %g. It must be a positive "
                        "number", r->aggregate_default_qps), buf;
    return NULL;
}

static m_limiter *limiter_new(const char *principal, double qps, bool has_capacity,
                              uint64_t capacity)
{
    m_limiter *l = act_calloc(1, sizeof *l);
    l->principal = principal ? act_strdup(principal) : NULL;
    l->interval = 1.0 / qps;
    l->capacity = has_capacity ? capacity : 0;
    return l;
}

static void limiter_free(m_limiter *l)
{
    for (size_t i = 0; i < l->n; i++) m_held_free(&l->q[(l->head + i) % l->cap].msg);
    free(l->q);
    free(l->principal);
    free(l);
}

void m_rate_limits_init(master *m)
{
    m->principals = act_map_new();
    m->limiters = act_map_new();
    const wire_rate_limits *r = m->cfg.rate_limits;
    if (!r) return;
    for (size_t i = 0; i < r->limits_count; i++) {
        const wire_rate_limit *l = &r->limits[i];
        act_map_put(m->limiters, l->principal,
                    l->has_qps ? (void *)limiter_new(l->principal, l->qps, l->has_capacity,
                                                     l->capacity)
                               : (void *)&unlimited);
    }
    if (r->has_aggregate_default_qps)
        m->default_limiter = limiter_new(NULL, r->aggregate_default_qps,
                                         r->has_aggregate_default_capacity,
                                         r->aggregate_default_capacity);
    LOG_INFO("Framework rate limiting enabled");
}

void m_rate_limits_free(master *m)
{
    void *v;
    for (size_t it = 0; act_map_next(m->limiters, &it, NULL, &v);)
        if (v != &unlimited) limiter_free(v);
    act_map_free(m->limiters);
    if (m->default_limiter) limiter_free(m->default_limiter);
    for (size_t it = 0; act_map_next(m->principals, &it, NULL, &v);) free(v);
    act_map_free(m->principals);
}

/* ---- per-principal counters ------------------------------------------------------------- */

static const char *principal_of(const m_framework *f)
{
    return f->info->has_principal && *f->info->principal ? f->info->principal : NULL;
}

void m_principal_add(master *m, const m_framework *f)
{
    const char *p = principal_of(f);
    if (!p) return;
    m_principal *c = act_map_get(m->principals, p);
    if (!c) {
        char name[M_PRINCIPAL_MAX + 64];
        c = act_calloc(1, sizeof *c);
        snprintf(name, sizeof name, "frameworks/%s/messages_received", p);
        c->received = act_counter_get(name);
        snprintf(name, sizeof name, "frameworks/%s/messages_processed", p);
        c->processed = act_counter_get(name);
        act_map_put(m->principals, p, c);
    }
    c->frameworks++;
}

void m_principal_remove(master *m, const m_framework *f)
{
    const char *p = principal_of(f);
    m_principal *c = p ? act_map_get(m->principals, p) : NULL;
    if (!c || --c->frameworks > 0) return;
    char name[M_PRINCIPAL_MAX + 64];
    snprintf(name, sizeof name, "frameworks/%s/messages_received", p);
    act_metric_remove(name);
    snprintf(name, sizeof name, "frameworks/%s/messages_processed", p);
    act_metric_remove(name);
    free(act_map_remove(m->principals, p));
}

bool m_principal_of(master *m, const act_pid *pid, char *buf, size_t n)
{
    if (act_map_size(m->principals) == 0) return false;
    m_framework *f = m_framework_by_pid(m, pid);
    const char *p = f ? principal_of(f) : NULL;
    if (!p) return false;
    snprintf(buf, n, "%s", p);
    return true;
}

void m_principal_processed(master *m, const char *principal)
{
    m_principal *c = act_map_get(m->principals, principal); /* gone if its last one left */
    if (c) act_counter_inc(c->processed);
}

/* ---- the limiters ------------------------------------------------------------------------ */

/* The limiter a framework's messages wait behind, or NULL. */
static m_limiter *limiter_of(master *m, const m_framework *f)
{
    const char *p = principal_of(f);
    void *l = p ? act_map_get(m->limiters, p) : NULL;
    if (l == &unlimited) return NULL;
    return l ? l : m->default_limiter;
}

/* Handles the oldest waiting message (or exit), then arms the timer for the next one. */
static void drain(act_actor *self, void *arg)
{
    master *m = act_state(self);
    m_limiter *l = arg; /* limiters live as long as the master; its end cancels this timer */
    l->timer = 0;
    if (!l->n) return;
    queued e = l->q[l->head];
    l->head = (l->head + 1) % l->cap;
    l->n--;
    /* The next turn is one interval after this one was due, not after this late timer fired
     * (a loaded host wakes timers late): the rate stays qps. A turn more than an interval late
     * gains at most one interval back, so there is never a burst. */
    double now = act_now();
    l->next = fmax(l->next, now - l->interval) + l->interval;
    if (l->n) l->timer = act_delay(self, l->next - now, drain, l);
    if (e.exited) {
        m_exited(m, &e.msg.from);
    } else {
        bool taken;
        act_msg msg = m_held_msg(&e.msg, &taken);
        m_dispatch(m, &msg);
    }
    m_held_free(&e.msg);
}

static void enqueue(master *m, m_limiter *l, const queued *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        queued *q = act_malloc(cap * sizeof *q);
        for (size_t i = 0; i < l->n; i++) q[i] = l->q[(l->head + i) % l->cap];
        free(l->q);
        l->q = q;
        l->head = 0;
        l->cap = cap;
    }
    l->q[(l->head + l->n++) % l->cap] = *e;
    if (!l->timer) l->timer = act_delay(m->self, l->next - act_now(), drain, l);
}

static void over_capacity(master *m, m_limiter *l, const act_msg *msg)
{
    char error[512];
    snprintf(error, sizeof error, "Message %s dropped: capacity(%llu) exceeded", msg->name,
             (unsigned long long)l->capacity);
    m_drop(m, msg, error);
    m_framework_error(m, &msg->from, error);
}

bool m_rate_limited(master *m, const act_msg *msg)
{
    if (act_map_size(m->principals) == 0 && !m->default_limiter) return false;
    m_framework *f = m_framework_by_pid(m, &msg->from);
    if (!f) return false;
    const char *p = principal_of(f);
    m_principal *c = p ? act_map_get(m->principals, p) : NULL;
    if (c) act_counter_inc(c->received);
    m_limiter *l = limiter_of(m, f);
    if (!l || (!l->n && act_now() >= l->next)) { /* its turn: now */
        if (l) l->next = act_now() + l->interval;
        return false;
    }
    if (l->capacity && l->n >= l->capacity) {
        over_capacity(m, l, msg);
        return true;
    }
    queued e = {.exited = false};
    m_held_copy(&e.msg, msg);
    enqueue(m, l, &e);
    return true;
}

bool m_rate_limited_exit(master *m, const act_pid *pid)
{
    m_framework *f = act_map_size(m->limiters) || m->default_limiter ?
                     m_framework_by_pid(m, pid) : NULL;
    m_limiter *l = f ? limiter_of(m, f) : NULL;
    if (!l || !l->n) return false;
    queued e = {.exited = true, .msg = {.from = *pid}};
    enqueue(m, l, &e); /* exits wait, but never count against the capacity (Mesos) */
    return true;
}
