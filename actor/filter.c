/*
 * filter.c - message filters for tests: a test installs a function that sees every message
 * about to enter a local mailbox or to leave for another process, and may let it pass, drop
 * it, or hold it for later release
 * (Mesos' DROP_MESSAGE / FUTURE_MESSAGE style). When no filter is installed the cost is one
 * relaxed atomic load per message.
 */
#include "actor/actor_int.h"

#include <string.h>

#define MAX_FILTERS 16

static pthread_mutex_t filter_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int nfilters;
static struct { int id; act_filter_fn fn; void *ctx; } filters[MAX_FILTERS];
static int next_id = 1;
static act_entry *held_head, *held_tail; /* under filter_mu, linked through next */

int act_filter_add(act_filter_fn fn, void *ctx)
{
    pthread_mutex_lock(&filter_mu);
    int n = atomic_load(&nfilters);
    ACT_CHECK(n < MAX_FILTERS);
    int id = next_id++;
    filters[n].id = id;
    filters[n].fn = fn;
    filters[n].ctx = ctx;
    atomic_store(&nfilters, n + 1);
    pthread_mutex_unlock(&filter_mu);
    return id;
}

void act_filter_remove(int id)
{
    pthread_mutex_lock(&filter_mu);
    int n = atomic_load(&nfilters);
    for (int i = 0; i < n; i++)
        if (filters[i].id == id) {
            memmove(&filters[i], &filters[i + 1], (size_t)(n - i - 1) * sizeof filters[0]);
            atomic_store(&nfilters, n - 1);
            break;
        }
    pthread_mutex_unlock(&filter_mu);
}

bool act__filter_apply(act_entry *e, const char *to_id)
{
    if (atomic_load_explicit(&nfilters, memory_order_relaxed) == 0 || e->skip_filter)
        return false;
    act_pid to = act__rt->address;
    snprintf(to.id, sizeof to.id, "%s", to_id);
    if (e->kind == E_REMOTE_SEND) {
        to.ip = e->to_ip;
        to.port = e->to_port;
    }
    act_filter_msg m = {&e->from, &to, e->name, e->body, e->len};
    pthread_mutex_lock(&filter_mu);
    act_filter_verdict v = ACT_FILTER_PASS;
    int n = atomic_load(&nfilters);
    for (int i = 0; i < n && v == ACT_FILTER_PASS; i++) v = filters[i].fn(filters[i].ctx, &m);
    if (v == ACT_FILTER_HOLD) {
        atomic_store_explicit(&e->next, NULL, memory_order_relaxed);
        if (held_tail)
            atomic_store_explicit(&held_tail->next, e, memory_order_relaxed);
        else
            held_head = e;
        held_tail = e;
    }
    pthread_mutex_unlock(&filter_mu);
    if (v == ACT_FILTER_DROP) {
        if (atomic_load_explicit(&act__rec_on, memory_order_relaxed))
            act__rec_entry_drop(e, to_id, "dropped by a filter");
        if (e->u.post.obj && e->u.post.free_obj) e->u.post.free_obj(e->u.post.obj);
        act__entry_free(e);
    }
    return v != ACT_FILTER_PASS;
}

/* Takes the held entries matching name (all when NULL) out of the list, in order. */
static act_entry *take_held(const char *name)
{
    act_entry *out = NULL, *out_tail = NULL;
    act_entry *keep = NULL, *keep_tail = NULL;
    pthread_mutex_lock(&filter_mu);
    act_entry *e = held_head;
    while (e) {
        act_entry *next = atomic_load_explicit(&e->next, memory_order_relaxed);
        atomic_store_explicit(&e->next, NULL, memory_order_relaxed);
        if (!name || strcmp(e->name, name) == 0) {
            if (out_tail)
                atomic_store_explicit(&out_tail->next, e, memory_order_relaxed);
            else
                out = e;
            out_tail = e;
        } else {
            if (keep_tail)
                atomic_store_explicit(&keep_tail->next, e, memory_order_relaxed);
            else
                keep = e;
            keep_tail = e;
        }
        e = next;
    }
    held_head = keep;
    held_tail = keep_tail;
    pthread_mutex_unlock(&filter_mu);
    return out;
}

int act_filter_release(const char *name)
{
    int n = 0;
    act_entry *e = take_held(name);
    while (e) {
        act_entry *next = atomic_load_explicit(&e->next, memory_order_relaxed);
        e->skip_filter = true;
        if (e->kind == E_REMOTE_SEND)
            act__send_remote(e);
        else
            act__deliver(e);
        e = next;
        n++;
    }
    return n;
}

static void drop_list(act_entry *e)
{
    while (e) {
        act_entry *next = atomic_load_explicit(&e->next, memory_order_relaxed);
        if (e->u.post.obj && e->u.post.free_obj) e->u.post.free_obj(e->u.post.obj);
        act__entry_free(e);
        e = next;
    }
}

void act_filter_discard(void)
{
    drop_list(take_held(NULL));
}

void act__filters_reset(void)
{
    act_filter_discard();
    pthread_mutex_lock(&filter_mu);
    atomic_store(&nfilters, 0);
    pthread_mutex_unlock(&filter_mu);
}
