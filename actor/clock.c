/*
 * clock.c - the runtime clock and timers. Time is the wall clock until a test pauses it; from
 * then on it moves only by act_clock_advance, and act_clock_settle waits until every loop has
 * nothing left to do, so a 60-second timeout is tested in microseconds and deterministically.
 * Each loop keeps its actors' timers in a binary heap ordered by deadline; due timers become
 * E_TIMER entries in their actor's mailbox, in order with its messages.
 */
#include "actor/actor_int.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

int act__loop_barrier(act_loop *l, double deadline);

static pthread_mutex_t clock_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic bool paused;
static double paused_at; /* the frozen time, under clock_mu */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double act_now(void)
{
    if (!atomic_load_explicit(&paused, memory_order_acquire)) return wall_now();
    pthread_mutex_lock(&clock_mu);
    double t = paused_at;
    pthread_mutex_unlock(&clock_mu);
    return t;
}

void act__clock_init(void)
{
    /* A paused clock survives act_shutdown/act_init within one test on purpose: tests pause
     * first, then build their cluster. */
}

static void wake_all(void)
{
    if (!act__rt) return;
    for (int i = 0; i < act__rt->nloops; i++)
        ev_async_send(act__rt->loops[i].ev, &act__rt->loops[i].wake);
}

void act_clock_pause(void)
{
    pthread_mutex_lock(&clock_mu);
    if (!atomic_load(&paused)) {
        paused_at = wall_now();
        atomic_store(&paused, true);
    }
    pthread_mutex_unlock(&clock_mu);
    wake_all();
}

void act_clock_resume(void)
{
    atomic_store(&paused, false);
    wake_all();
}

bool act_clock_paused(void) { return atomic_load(&paused); }

void act_clock_advance(double secs)
{
    if (!(secs > 0)) return;
    pthread_mutex_lock(&clock_mu);
    if (atomic_load(&paused)) paused_at += secs;
    pthread_mutex_unlock(&clock_mu);
    wake_all();
}

int act_clock_settle(void)
{
    ACT_CHECK(act__current_loop == NULL);
    act_runtime *rt = act__rt;
    if (!rt) return 0;
    double deadline = act__mono() + 30.0;
    for (;;) {
        uint64_t before = 0, after = 0;
        for (int i = 0; i < rt->nloops; i++) before += atomic_load(&rt->loops[i].activity);
        for (int i = 0; i < rt->nloops; i++)
            if (act__loop_barrier(&rt->loops[i], deadline) != 0) {
                LOG_ERROR("act_clock_settle: loop %d did not go idle within 30 s", i);
                return -ETIMEDOUT;
            }
        for (int i = 0; i < rt->nloops; i++) after += atomic_load(&rt->loops[i].activity);
        if (before == after) return 0;
    }
}

/* ---- the timer heap ---------------------------------------------------------------------- */

static void heap_swap(act_loop *l, size_t i, size_t j)
{
    timer_rec *t = l->heap[i];
    l->heap[i] = l->heap[j];
    l->heap[j] = t;
    l->heap[i]->heap_index = i;
    l->heap[j]->heap_index = j;
}

static bool heap_less(act_loop *l, size_t i, size_t j)
{
    const timer_rec *a = l->heap[i], *b = l->heap[j];
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->id < b->id);
}

static void heap_up(act_loop *l, size_t i)
{
    while (i > 0 && heap_less(l, i, (i - 1) / 2)) {
        heap_swap(l, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(act_loop *l, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, m = i;
        if (c < l->heap_len && heap_less(l, c, m)) m = c;
        if (c + 1 < l->heap_len && heap_less(l, c + 1, m)) m = c + 1;
        if (m == i) return;
        heap_swap(l, i, m);
        i = m;
    }
}

static void heap_push(act_loop *l, timer_rec *t)
{
    if (l->heap_len == l->heap_cap) {
        l->heap_cap = l->heap_cap ? l->heap_cap * 2 : 64;
        l->heap = act_realloc(l->heap, l->heap_cap * sizeof *l->heap);
    }
    t->heap_index = l->heap_len;
    l->heap[l->heap_len++] = t;
    heap_up(l, t->heap_index);
}

static void heap_remove(act_loop *l, timer_rec *t)
{
    size_t i = t->heap_index;
    l->heap_len--;
    if (i != l->heap_len) {
        l->heap[i] = l->heap[l->heap_len];
        l->heap[i]->heap_index = i;
        heap_down(l, i);
        heap_up(l, i);
    }
}

/* ---- the id table (to find fired or pending timers by id) --------------------------------
 * Chained by id, grown to keep about one timer per bucket: a process with a timer per slave
 * or per task (mesos-fleet, a master with 50,000 slaves) has hundreds of thousands. */

#define TIMER_HASH_MIN 1024

static timer_rec **hash_slot(act_loop *l, act_timer_id id)
{
    return &l->timer_hash[id & (l->timer_hash_cap - 1)];
}

static void hash_grow(act_loop *l)
{
    size_t old_cap = l->timer_hash_cap;
    timer_rec **old = l->timer_hash;
    l->timer_hash_cap = old_cap ? 2 * old_cap : TIMER_HASH_MIN;
    l->timer_hash = act_calloc(l->timer_hash_cap, sizeof *l->timer_hash);
    for (size_t i = 0; i < old_cap; i++)
        while (old[i]) {
            timer_rec *t = old[i];
            old[i] = t->hnext;
            timer_rec **s = hash_slot(l, t->id);
            t->hnext = *s;
            *s = t;
        }
    free(old);
}

static void hash_insert(act_loop *l, timer_rec *t)
{
    if (l->timer_count >= l->timer_hash_cap) hash_grow(l);
    timer_rec **s = hash_slot(l, t->id);
    t->hnext = *s;
    *s = t;
    l->timer_count++;
}

static timer_rec *hash_take(act_loop *l, act_timer_id id)
{
    if (!l->timer_hash_cap) return NULL;
    for (timer_rec **pp = hash_slot(l, id); *pp; pp = &(*pp)->hnext)
        if ((*pp)->id == id) {
            timer_rec *t = *pp;
            *pp = t->hnext;
            l->timer_count--;
            return t;
        }
    return NULL;
}

static timer_rec *hash_find(act_loop *l, act_timer_id id)
{
    if (!l->timer_hash_cap) return NULL;
    for (timer_rec *t = *hash_slot(l, id); t; t = t->hnext)
        if (t->id == id) return t;
    return NULL;
}

static void actor_list_remove(timer_rec *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else if (t->actor)
        t->actor->timers = t->next;
    if (t->next) t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

/* ---- timers ------------------------------------------------------------------------------ */

act_timer_id act_delay(act_actor *self, double secs, act_fn fn, void *arg)
{
    act_loop *l = &act__rt->loops[self->loop];
    ACT_CHECK(act__current_loop == l || !atomic_load(&act__rt->running));
    timer_rec *t = act_calloc(1, sizeof *t);
    t->id = atomic_fetch_add(&act__rt->next_timer_id, 1) + 1;
    t->deadline = act_now() + (isfinite(secs) && secs > 0 ? secs : 0);
    t->actor = self;
    t->fn = fn;
    t->arg = arg;
    t->tc = act__cur_trace; /* a retry armed by a handler belongs to that handler's trace */
    t->next = self->timers;
    if (self->timers) self->timers->prev = t;
    self->timers = t;
    hash_insert(l, t);
    heap_push(l, t);
    return t->id;
}

bool act_cancel(act_actor *self, act_timer_id id)
{
    act_loop *l = &act__rt->loops[self->loop];
    timer_rec *t = hash_find(l, id);
    if (!t || t->actor != self || t->canceled) return false;
    if (t->fired) { /* its entry is queued: make it a no-op */
        t->canceled = true;
        return true;
    }
    heap_remove(l, t);
    actor_list_remove(t);
    hash_take(l, id);
    free(t);
    return true;
}

bool act__timers_due(act_loop *l)
{
    return l->heap_len > 0 && l->heap[0]->deadline <= act_now();
}

void act__timers_fire_due(act_loop *l)
{
    if (!l->heap_len) return;
    double now = act_now();
    while (l->heap_len && l->heap[0]->deadline <= now) {
        timer_rec *t = l->heap[0];
        heap_remove(l, t);
        actor_list_remove(t);
        t->fired = true; /* from now on only its entry refers to it */
        act_entry *e = act__entry_new(E_TIMER, NULL, NULL, NULL, NULL, 0);
        e->u.timer_id = t->id;
        atomic_fetch_add_explicit(&l->activity, 1, memory_order_relaxed);
        act__mailbox_put(l, t->actor, e);
    }
}

timer_rec *act__timer_take(act_loop *l, act_timer_id id)
{
    return hash_take(l, id);
}

void act__timers_arm(act_loop *l)
{
    if (ev_is_active(&l->timer)) ev_timer_stop(l->ev, &l->timer);
    if (!l->heap_len || atomic_load(&paused)) return;
    double wait = l->heap[0]->deadline - act_now();
    ev_timer_set(&l->timer, wait > 0 ? wait : 0, 0.);
    ev_timer_start(l->ev, &l->timer);
}

void act__timers_cancel_actor(act_loop *l, act_actor *a)
{
    while (a->timers) {
        timer_rec *t = a->timers;
        actor_list_remove(t);
        heap_remove(l, t);
        hash_take(l, t->id);
        free(t);
    }
}

void act__timers_free(act_loop *l)
{
    for (size_t i = 0; i < l->timer_hash_cap; i++)
        while (l->timer_hash[i]) {
            timer_rec *t = l->timer_hash[i];
            l->timer_hash[i] = t->hnext;
            free(t);
        }
    free(l->timer_hash);
    free(l->heap);
    l->timer_hash = NULL;
    l->heap = NULL;
    l->heap_len = l->heap_cap = l->timer_hash_cap = l->timer_count = 0;
}
