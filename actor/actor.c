/*
 * actor.c - actors: creation and spawn, the process-wide table of actors by name, mailboxes,
 * and everything that puts work into them (send, post, dispatch, link, terminate). Delivery
 * to an actor on the caller's own loop is a direct mailbox enqueue; delivery to another loop
 * goes through that loop's MPSC inbox; delivery to another process goes through loop 0's
 * transport. Each actor runs one entry at a time on its own loop.
 */
#include "actor/actor_int.h"

#include <errno.h>
#include <string.h>
#include <time.h>

act_runtime *act__rt;
_Thread_local act_loop *act__current_loop;

/* ---- entries ----------------------------------------------------------------------------- */

/* Every message is an entry, allocated when it is sent and freed when it has been handled;
 * a loop keeps the blocks it frees (up to POOL_MAX of each size class) and its thread reuses
 * them, so a busy loop does not go through malloc and free per message. Threads that run no
 * loop use malloc and free. Under AddressSanitizer a pooled block is poisoned past its link,
 * so a use after free is still caught. */
#define POOL_MAX 256
#define CLASS_BYTES(c) ((size_t)256 << (c))

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POOL_POISON(e, c) \
    ASAN_POISON_MEMORY_REGION((char *)(e) + sizeof((e)->next), CLASS_BYTES(c) - sizeof((e)->next))
#define POOL_UNPOISON(e, c) ASAN_UNPOISON_MEMORY_REGION((e), CLASS_BYTES(c))
#else
#define POOL_POISON(e, c) ((void)(e), (void)(c))
#define POOL_UNPOISON(e, c) ((void)(e), (void)(c))
#endif

static int size_class(size_t size)
{
    for (int c = 0; c < ACT_ENTRY_CLASSES; c++)
        if (size <= CLASS_BYTES(c)) return c;
    return -1;
}

static act_entry *entry_alloc(size_t size)
{
    int c = size_class(size);
    act_loop *l = act__current_loop;
    act_entry *e;
    if (c >= 0 && l && l->pool[c]) {
        e = l->pool[c];
        POOL_UNPOISON(e, c);
        l->pool[c] = atomic_load_explicit(&e->next, memory_order_relaxed);
        l->pool_len[c]--;
    } else {
        e = act_malloc(c >= 0 ? CLASS_BYTES(c) : size);
    }
    e->size_class = (int8_t)c;
    return e;
}

static void entry_release(act_entry *e)
{
    int c = e->size_class;
    act_loop *l = act__current_loop;
    if (c < 0 || !l || l->pool_len[c] >= POOL_MAX) {
        free(e);
        return;
    }
    atomic_store_explicit(&e->next, l->pool[c], memory_order_relaxed);
    l->pool[c] = e;
    l->pool_len[c]++;
    POOL_POISON(e, c);
}

void act__entry_pool_free(act_loop *l)
{
    for (int c = 0; c < ACT_ENTRY_CLASSES; c++) {
        while (l->pool[c]) {
            act_entry *e = l->pool[c];
            POOL_UNPOISON(e, c);
            l->pool[c] = atomic_load_explicit(&e->next, memory_order_relaxed);
            free(e);
        }
        l->pool_len[c] = 0;
    }
}

act_entry *act__msg_entry_new(entry_kind kind, const act_pid *from, const char *to_id,
                              const char *name, const void *body, size_t len, const char *ctype)
{
    size_t tl = to_id ? strlen(to_id) + 1 : 0;
    size_t nl = name ? strlen(name) + 1 : 0;
    size_t cl = ctype ? strlen(ctype) + 1 : 0;
    act_entry *e = entry_alloc(sizeof *e + tl + nl + cl + len);
    atomic_store_explicit(&e->next, NULL, memory_order_relaxed);
    e->kind = kind;
    e->to_ip = 0;
    e->to_port = 0;
    e->anonymous_http = false;
    e->skip_filter = false;
    e->libprocess = false;
    e->remote = false;
    e->to_len = tl >= 2 && tl <= 256 ? (uint8_t)(tl - 1) : 0;
    e->name_len = nl >= 2 && nl <= 256 ? (uint8_t)(nl - 1) : 0;
    memset(&e->tc, 0, sizeof e->tc);
    memset(&e->u, 0, sizeof e->u);
    e->credit = NULL;
    if (from)
        e->from = *from;
    else
        memset(&e->from, 0, sizeof e->from);
    char *p = e->payload;
    e->to_id = tl ? memcpy(p, to_id, tl) : NULL;
    p += tl;
    e->name = nl ? memcpy(p, name, nl) : NULL;
    p += nl;
    e->ctype = cl ? memcpy(p, ctype, cl) : NULL;
    p += cl;
    e->body = (uint8_t *)p;
    if (len) memcpy(p, body, len);
    e->len = len;
    return e;
}

act_entry *act__entry_new(entry_kind kind, const act_pid *from, const char *to_id,
                          const char *name, const void *body, size_t len)
{
    return act__msg_entry_new(kind, from, to_id, name, body, len, NULL);
}

void act__entry_free(act_entry *e)
{
    if (e->kind == E_HTTP_REPLY) act__pull_free(e->u.reply.pull);
    if (e->credit) act__credit_release(e->credit);
    entry_release(e);
}

void act__count_drop(const char *why, const char *to, const char *name)
{
    static _Atomic uint64_t drops;
    uint64_t n = atomic_fetch_add(&drops, 1);
    if (act__rt && act__rt->dropped) act_counter_inc(act__rt->dropped);
    LOG_WARNING_LIMITED("Dropping message '%s' for '%s': %s (%llu dropped so far)",
                        name ? name : "?", to ? to : "?", why, (unsigned long long)n + 1);
}

void act_count_refused(void)
{
    act_counter_inc(act_counter_get("runtime/refused_messages"));
}

static void send_exited(const char *dead_id, const act_pid *to)
{
    act_pid dead;
    memset(&dead, 0, sizeof dead);
    snprintf(dead.id, sizeof dead.id, "%s", dead_id);
    dead.ip = act__rt->address.ip;
    dead.port = act__rt->address.port;
    act__deliver(act__entry_new(E_EXITED, &dead, to->id, NULL, NULL, 0));
}

void act__entry_drop(act_entry *e)
{
    switch (e->kind) {
    case E_MSG:
        act__count_drop("no such actor", e->to_id, e->name);
        if (atomic_load_explicit(&act__rec_on, memory_order_relaxed))
            act__rec_entry_drop(e, NULL, "no such actor");
        if (e->u.post.obj && e->u.post.free_obj) e->u.post.free_obj(e->u.post.obj);
        break;
    case E_DISPATCH:
        e->u.call.fn(NULL, e->u.call.arg);
        break;
    case E_LINK:
        send_exited(e->to_id, &e->from);
        break;
    case E_HTTP:
        act_http_respond_text(e->u.req, 404, "No such actor");
        break;
    case E_TIMER:
        if (act__current_loop) free(act__timer_take(act__current_loop, e->u.timer_id));
        break;
    case E_LOOP_CALL:
        e->u.loop_call.fn(NULL, e->u.loop_call.arg);
        break;
    default:
        break;
    }
    act__entry_free(e);
}

/* ---- the actor table --------------------------------------------------------------------- */

act_actor *act__table_find(const char *name)
{
    act_runtime *rt = act__rt;
    if (!rt->table_cap) return NULL;
    act_actor *a = rt->table[act__hash(name) & (rt->table_cap - 1)];
    while (a && strcmp(a->name, name) != 0) a = a->tnext;
    return a;
}

static void table_grow(act_runtime *rt)
{
    size_t cap = rt->table_cap ? rt->table_cap * 2 : 64;
    act_actor **t = act_calloc(cap, sizeof *t);
    for (size_t i = 0; i < rt->table_cap; i++) {
        act_actor *a = rt->table[i];
        while (a) {
            act_actor *next = a->tnext;
            size_t h = act__hash(a->name) & (cap - 1);
            a->tnext = t[h];
            t[h] = a;
            a = next;
        }
    }
    free(rt->table);
    rt->table = t;
    rt->table_cap = cap;
}

static int table_insert(act_actor *a)
{
    act_runtime *rt = act__rt;
    pthread_rwlock_wrlock(&rt->table_lock);
    if (act__table_find(a->name)) {
        pthread_rwlock_unlock(&rt->table_lock);
        return -EEXIST;
    }
    if (rt->table_count + 1 > rt->table_cap) table_grow(rt);
    size_t h = act__hash(a->name) & (rt->table_cap - 1);
    a->tnext = rt->table[h];
    rt->table[h] = a;
    rt->table_count++;
    pthread_rwlock_unlock(&rt->table_lock);
    return 0;
}

static void table_remove(act_actor *a)
{
    act_runtime *rt = act__rt;
    pthread_rwlock_wrlock(&rt->table_lock);
    act_actor **pp = &rt->table[act__hash(a->name) & (rt->table_cap - 1)];
    while (*pp && *pp != a) pp = &(*pp)->tnext;
    if (*pp) {
        *pp = a->tnext;
        rt->table_count--;
    }
    pthread_rwlock_unlock(&rt->table_lock);
}

int act__lookup_loop(const char *name)
{
    pthread_rwlock_rdlock(&act__rt->table_lock);
    act_actor *a = act__table_find(name);
    int loop = a ? a->loop : -1;
    pthread_rwlock_unlock(&act__rt->table_lock);
    return loop;
}

/* ---- creating actors --------------------------------------------------------------------- */

act_actor *act_new(const char *name, void *state)
{
    if (!act_name_valid(name)) {
        LOG_ERROR("Invalid actor name '%s'", name);
        return NULL;
    }
    act_actor *a = act_calloc(1, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->state = state;
    return a;
}

static const handler_slot *find_slot(const act_actor *a, const char *name)
{
    if (!a->handler_cap) return NULL;
    uint32_t h = act__hash(name);
    for (size_t i = h & (a->handler_cap - 1);; i = (i + 1) & (a->handler_cap - 1)) {
        const handler_slot *s = &a->handlers[i];
        if (!s->name) return NULL;
        if (s->hash == h && strcmp(s->name, name) == 0) return s;
    }
}

act_msg_fn act__find_handler(const act_actor *a, const char *name, bool remote)
{
    const handler_slot *s = find_slot(a, name);
    return s && !(remote && s->local_only) ? s->fn : NULL;
}

static void handlers_put(handler_slot *slots, size_t cap, const handler_slot *in)
{
    size_t i = in->hash & (cap - 1);
    while (slots[i].name && strcmp(slots[i].name, in->name) != 0) i = (i + 1) & (cap - 1);
    slots[i] = *in;
}

static void add_handler(act_actor *a, const char *name, act_msg_fn fn, bool local_only)
{
    ACT_CHECK(!a->spawned);
    handler_slot *old = (handler_slot *)find_slot(a, name);
    if (old) {
        old->fn = fn;
        old->local_only = local_only;
        return;
    }
    if ((a->handler_count + 1) * 2 > a->handler_cap) {
        size_t cap = a->handler_cap ? a->handler_cap * 2 : 16;
        handler_slot *slots = act_calloc(cap, sizeof *slots);
        for (size_t i = 0; i < a->handler_cap; i++)
            if (a->handlers[i].name) handlers_put(slots, cap, &a->handlers[i]);
        free(a->handlers);
        a->handlers = slots;
        a->handler_cap = cap;
    }
    handler_slot in = {act_strdup(name), act__hash(name), fn, local_only};
    handlers_put(a->handlers, a->handler_cap, &in);
    a->handler_count++;
}

void act_on_message(act_actor *a, const char *name, act_msg_fn fn)
{
    add_handler(a, name, fn, false);
}

void act_on_local(act_actor *a, const char *name, act_msg_fn fn)
{
    add_handler(a, name, fn, true);
}

void act_on_exited(act_actor *a, act_exited_fn fn) { a->on_exited = fn; }

void act_on_init(act_actor *a, act_fn fn, void *arg)
{
    a->on_init = fn;
    a->init_arg = arg;
}

void act_on_terminate(act_actor *a, act_fn fn, void *arg)
{
    a->on_term = fn;
    a->term_arg = arg;
}

static void actor_free(act_actor *a)
{
    for (size_t i = 0; i < a->handler_cap; i++) free((char *)a->handlers[i].name);
    free(a->handlers);
    for (size_t i = 0; i < a->route_count; i++) {
        free(a->routes[i].path);
        free(a->routes[i].help);
    }
    free(a->routes);
    free(a->linkers.items);
    free(a);
}

int act_spawn(act_actor *a, int loop)
{
    if (!act__rt || loop < 0 || loop >= act__rt->nloops) {
        actor_free(a);
        return -EINVAL;
    }
    a->loop = loop;
    a->spawned = true;
    /* The init entry goes first, before anyone can find the actor. */
    act_entry *init = act__entry_new(E_INIT, NULL, NULL, NULL, NULL, 0);
    a->mb_head = a->mb_tail = init;
    atomic_store(&a->stat_depth, 1);
    int rc = table_insert(a);
    if (rc != 0) {
        LOG_ERROR("Cannot spawn actor '%s': the name is taken", a->name);
        act__entry_free(init);
        actor_free(a);
        return rc;
    }
    act_loop *l = &act__rt->loops[loop];
    if (act__current_loop == l) {
        act__runq_add(l, a);
    } else {
        /* By name, not pointer: the actor may be gone by the time the loop looks. */
        act__loop_push(l, act__entry_new(E_SCHEDULE, NULL, a->name, NULL, NULL, 0));
    }
    return 0;
}

act_pid act_self(const act_actor *a)
{
    act_pid p = act__rt->address;
    memcpy(p.id, a->name, sizeof p.id); /* name is NUL-padded */
    return p;
}

const char *act_name(const act_actor *a) { return a->name; }
void *act_state(const act_actor *a) { return a->state; }
int act_actor_loop(const act_actor *a) { return a->loop; }

/* ---- each loop's own lookup table (no lock: only its thread touches it) ------------------ */

static act_actor *local_find(act_loop *l, const char *name)
{
    if (!l->local_cap) return NULL;
    act_actor *a = l->local[act__hash(name) & (l->local_cap - 1)];
    while (a && strcmp(a->name, name) != 0) a = a->lnext;
    return a;
}

static void local_add(act_loop *l, act_actor *a)
{
    if (l->local_count + 1 > l->local_cap) {
        size_t cap = l->local_cap ? l->local_cap * 2 : 64;
        act_actor **t = act_calloc(cap, sizeof *t);
        for (size_t i = 0; i < l->local_cap; i++)
            for (act_actor *x = l->local[i], *n; x; x = n) {
                n = x->lnext;
                x->lnext = t[act__hash(x->name) & (cap - 1)];
                t[act__hash(x->name) & (cap - 1)] = x;
            }
        free(l->local);
        l->local = t;
        l->local_cap = cap;
    }
    act_actor **slot = &l->local[act__hash(a->name) & (l->local_cap - 1)];
    a->lnext = *slot;
    *slot = a;
    l->local_count++;
}

static void local_remove(act_loop *l, act_actor *a)
{
    if (!l->local_cap) return;
    act_actor **pp = &l->local[act__hash(a->name) & (l->local_cap - 1)];
    while (*pp && *pp != a) pp = &(*pp)->lnext;
    if (*pp) {
        *pp = a->lnext;
        l->local_count--;
    }
}

/* ---- delivery ---------------------------------------------------------------------------- */

/* True if ip:port reaches this process: its advertised address, the address it is bound to,
 * or, bound to every address (0.0.0.0), any loopback address at its port. A process bound to
 * one address is not reached at another with the same port (127.0.0.1:P is somebody else
 * when we listen on 127.0.0.2:P), nor is a process on another host that uses our port. */
bool act__is_local(uint32_t ip, uint16_t port)
{
    const act_runtime *rt = act__rt;
    if (ip == rt->address.ip && port == rt->address.port) return true;
    if (port != rt->bind_port) return false;
    return ip == rt->bind_ip || (rt->bind_ip == 0 && (ip >> 24) == 127);
}

void act__loop_push(act_loop *l, act_entry *e)
{
    act__mpsc_push(&l->inbox, e);
    ev_async_send(l->ev, &l->wake);
}

void act__loop_call(int loop, void (*fn)(act_loop *l, void *arg), void *arg)
{
    act_entry *e = act__entry_new(E_LOOP_CALL, NULL, NULL, NULL, NULL, 0);
    e->u.loop_call.fn = fn;
    e->u.loop_call.arg = arg;
    act__loop_push(&act__rt->loops[loop], e);
}

/* Which of act_queue_depth's counts an entry kind belongs to, or -1. */
static int queue_kind(entry_kind k)
{
    if (k == E_MSG) return 0;
    if (k == E_DISPATCH || k == E_TIMER) return 1;
    if (k == E_HTTP) return 2;
    return -1;
}

act_queue_depth act_queue_depth_of(const act_actor *a)
{
    act_actor *x = (act_actor *)a; /* relaxed loads of statistics; nothing is written */
    act_queue_depth d = {atomic_load_explicit(&x->stat_queued[0], memory_order_relaxed),
                         atomic_load_explicit(&x->stat_queued[1], memory_order_relaxed),
                         atomic_load_explicit(&x->stat_queued[2], memory_order_relaxed)};
    return d;
}

void act__mailbox_put(act_loop *l, act_actor *a, act_entry *e)
{
    atomic_store_explicit(&e->next, NULL, memory_order_relaxed);
    if (a->mb_tail)
        atomic_store_explicit(&a->mb_tail->next, e, memory_order_relaxed);
    else
        a->mb_head = e;
    a->mb_tail = e;
    atomic_fetch_add_explicit(&a->stat_depth, 1, memory_order_relaxed);
    int q = queue_kind(e->kind);
    if (q >= 0) atomic_fetch_add_explicit(&a->stat_queued[q], 1, memory_order_relaxed);
    act__runq_add(l, a);
}

void act__runq_add(act_loop *l, act_actor *a)
{
    if (a->in_runq || a->terminated || !a->mb_head) return;
    a->in_runq = true;
    a->runq_next = NULL;
    if (l->runq_tail)
        l->runq_tail->runq_next = a;
    else
        l->runq_head = a;
    l->runq_tail = a;
    if (!ev_is_active(&l->idle)) ev_idle_start(l->ev, &l->idle);
}

/* On the owning loop: filters and the recorder see messages here, once each. */
static void deliver_local(act_loop *l, act_actor *a, act_entry *e)
{
    if (e->kind == E_MSG) {
        if (act__filter_apply(e, a->name)) return;
        if (atomic_load_explicit(&act__rec_on, memory_order_relaxed))
            act__rec_received(e); /* a was found by e->to_id: its name is in the entry */
    }
    act__mailbox_put(l, a, e);
}

void act__deliver(act_entry *e)
{
    act_runtime *rt = act__rt;
    act_loop *cur = act__current_loop;
    act_actor *mine = cur ? local_find(cur, e->to_id) : NULL;
    if (mine && !mine->terminated) {
        deliver_local(cur, mine, e);
        return;
    }
    pthread_rwlock_rdlock(&rt->table_lock);
    act_actor *a = act__table_find(e->to_id);
    int loop = a && !a->terminated ? a->loop : -1;
    pthread_rwlock_unlock(&rt->table_lock);
    if (loop < 0) {
        act__entry_drop(e);
    } else if (cur && cur->index == loop) {
        deliver_local(cur, a, e); /* only this thread can free a */
    } else {
        act__loop_push(&rt->loops[loop], e);
    }
}

/* An entry popped from this loop's inbox whose target should live here. */
void act__inbox_deliver(act_loop *l, act_entry *e);
void act__inbox_deliver(act_loop *l, act_entry *e)
{
    act_actor *a = local_find(l, e->to_id);
    if (!a) {
        pthread_rwlock_rdlock(&act__rt->table_lock);
        a = act__table_find(e->to_id);
        pthread_rwlock_unlock(&act__rt->table_lock);
    }
    if (!a || a->terminated || a->loop != l->index)
        act__entry_drop(e);
    else
        deliver_local(l, a, e);
}

void act__inbox_schedule(act_loop *l, const char *name);
void act__inbox_schedule(act_loop *l, const char *name)
{
    pthread_rwlock_rdlock(&act__rt->table_lock);
    act_actor *a = act__table_find(name);
    pthread_rwlock_unlock(&act__rt->table_lock);
    if (a && a->loop == l->index) act__runq_add(l, a); /* only this thread frees it */
}

/* Printable ASCII but for what would end a URL path segment ('#', '/', '?'): a lookup per
 * character (a chain of comparisons cost a busy master 2% of its time). */
static const bool msg_name_char[256] = {
    ['!' ... '"'] = true, ['$' ... '.'] = true, ['0' ... '>'] = true, ['@' ... '~'] = true,
};

static bool msg_name_valid(const char *name)
{
    size_t n = 0;
    while (msg_name_char[(unsigned char)name[n]]) n++;
    return name[n] == '\0' && n > 0 && n < 256;
}

static act_pid sender_pid(act_actor *from)
{
    act_pid p;
    if (from) return act_self(from);
    memset(&p, 0, sizeof p);
    return p;
}

/* ---- sends from threads that run no loop -------------------------------------------------- */

/* A thread that runs no loop (a helper thread, a ZooKeeper completion, a driver caller) may
 * send while act_shutdown runs on another. The gate lets such sends finish before shutdown
 * frees what they use, and turns later ones into drops (a dispatch's fn runs with NULL, a
 * post's object is freed) instead of touching freed memory. Loop threads need no gate:
 * act_shutdown joins them before it closes the gate. */
static pthread_rwlock_t gate = PTHREAD_RWLOCK_INITIALIZER;
static bool gate_closed = true; /* under gate: no runtime to deliver to */

void act__gate_open(void)
{
    pthread_rwlock_wrlock(&gate);
    gate_closed = false;
    pthread_rwlock_unlock(&gate);
}

void act__gate_close(void)
{
    pthread_rwlock_wrlock(&gate); /* waits for the sends in progress */
    gate_closed = true;
    pthread_rwlock_unlock(&gate);
}

/* True when the caller may deliver; then it must call gate_leave(). */
static bool gate_enter(void)
{
    if (act__current_loop) return true;
    pthread_rwlock_rdlock(&gate);
    if (!gate_closed) return true;
    pthread_rwlock_unlock(&gate);
    return false;
}

static void gate_leave(void)
{
    if (!act__current_loop) pthread_rwlock_unlock(&gate);
}

int act_send(act_actor *from, const act_pid *to, const char *name, const void *body,
             size_t len)
{
    return act_send_as(from, to, name, body, len, NULL);
}

static void send_as(act_actor *from, const act_pid *to, const char *name, const void *body,
                    size_t len, const char *content_type);

int act_send_as(act_actor *from, const act_pid *to, const char *name, const void *body,
                size_t len, const char *content_type)
{
    if (!msg_name_valid(name) || !act_name_valid(to->id)) return -EINVAL;
    if (!gate_enter()) return 0; /* the runtime is shutting down: dropped */
    send_as(from, to, name, body, len, content_type);
    gate_leave();
    return 0;
}

static void send_as(act_actor *from, const act_pid *to, const char *name, const void *body,
                    size_t len, const char *content_type)
{
    char ctype[ACT_CONTENT_TYPE_MAX];
    act__content_type(content_type, ctype, sizeof ctype);
    const char *type = ctype[0] ? ctype : NULL;
    act_pid fp = sender_pid(from);
    if (from) atomic_fetch_add_explicit(&from->stat_out, 1, memory_order_relaxed);
    bool local = act__is_local(to->ip, to->port);
    act_entry *e = act__msg_entry_new(local ? E_MSG : E_REMOTE_SEND, &fp, to->id, name, body,
                                      len, type);
    e->tc = act__trace_child();
    if (!local) {
        e->to_ip = to->ip;
        e->to_port = to->port;
    }
    if (atomic_load_explicit(&act__rec_on, memory_order_relaxed))
        act__rec_sent(e);
    if (local)
        act__deliver(e);
    else if (!act__filter_apply(e, to->id))
        act__send_remote(e);
}

void act__send_remote(act_entry *e)
{
    if (act__current_loop == &act__rt->loops[0])
        act__transport_handle(e);
    else
        act__loop_push(&act__rt->loops[0], e);
}

int act_post(act_actor *from, const act_pid *to, const char *name, void *obj,
             void (*free_obj)(void *))
{
    if (!msg_name_valid(name) || !act_name_valid(to->id) || !act__is_local(to->ip, to->port)) {
        if (obj && free_obj) free_obj(obj);
        return act_name_valid(to->id) && msg_name_valid(name) ? -EXDEV : -EINVAL;
    }
    if (!gate_enter()) { /* the runtime is shutting down: dropped */
        if (obj && free_obj) free_obj(obj);
        return 0;
    }
    act_pid fp = sender_pid(from);
    if (from) atomic_fetch_add_explicit(&from->stat_out, 1, memory_order_relaxed);
    act_entry *e = act__entry_new(E_MSG, &fp, to->id, name, NULL, 0);
    e->u.post.obj = obj;
    e->u.post.free_obj = free_obj;
    e->tc = act__trace_child();
    if (atomic_load_explicit(&act__rec_on, memory_order_relaxed))
        act__rec_sent(e);
    act__deliver(e);
    gate_leave();
    return 0;
}

int act_dispatch(const act_pid *to, act_fn fn, void *arg)
{
    if (!act_name_valid(to->id)) return -EINVAL;
    if (!gate_enter()) { /* the runtime is shutting down: the actor is gone */
        fn(NULL, arg);
        return 0;
    }
    act_entry *e = act__entry_new(E_DISPATCH, NULL, to->id, NULL, NULL, 0);
    e->u.call.fn = fn;
    e->u.call.arg = arg;
    e->tc = act__cur_trace; /* the call runs in the dispatcher's context */
    act__deliver(e);
    gate_leave();
    return 0;
}

int act_link(act_actor *self, const act_pid *pid)
{
    if (!act_name_valid(pid->id)) return -EINVAL;
    act_pid me = act_self(self);
    atomic_fetch_add_explicit(&self->stat_links, 1, memory_order_relaxed);
    if (act__is_local(pid->ip, pid->port)) {
        act__deliver(act__entry_new(E_LINK, &me, pid->id, NULL, NULL, 0));
        return 0;
    }
    act_entry *e = act__entry_new(E_REMOTE_LINK, &me, pid->id, NULL, NULL, 0);
    e->to_ip = pid->ip;
    e->to_port = pid->port;
    if (act__current_loop == &act__rt->loops[0])
        act__transport_handle(e);
    else
        act__loop_push(&act__rt->loops[0], e);
    return 0;
}

int act_terminate(const act_pid *pid)
{
    if (!act_name_valid(pid->id) || !act__is_local(pid->ip, pid->port)) return -ENOENT;
    if (act__lookup_loop(pid->id) < 0) return -ENOENT;
    act__deliver(act__entry_new(E_TERMINATE, NULL, pid->id, NULL, NULL, 0));
    return 0;
}

void act_exit(act_actor *self) { self->exiting = true; }

/* ---- running entries --------------------------------------------------------------------- */

static void add_linker(act_actor *a, const act_pid *p)
{
    pid_list *l = &a->linkers;
    for (size_t i = 0; i < l->count; i++)
        if (act_pid_equal(&l->items[i], p)) return;
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->items = act_realloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->count++] = *p;
}

static void terminate_now(act_loop *l, act_actor *a)
{
    a->terminated = true;
    if (a->on_term) a->on_term(a, a->term_arg);
    local_remove(l, a);
    table_remove(a);
    for (size_t i = 0; i < a->linkers.count; i++) send_exited(a->name, &a->linkers.items[i]);
    act__timers_cancel_actor(l, a);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_message(act_actor *a, act_entry *e)
{
    act_msg_fn fn = act__find_handler(a, e->name, e->remote);
    bool taken = false;
    if (!fn) {
        const char *why = find_slot(a, e->name) ? "only this process' own actors may send it"
                                                : "no handler for this message name";
        act__count_drop(why, a->name, e->name);
        if (atomic_load_explicit(&act__rec_on, memory_order_relaxed))
            act__rec_entry_drop(e, a->name, find_slot(a, e->name) ? why : "no handler");
    } else {
        act_msg m = {.from = e->from, .name = e->name, .body = e->body, .len = e->len,
                     .obj = e->u.post.obj, .obj_taken = &taken, .content_type = e->ctype,
                     .libprocess = e->libprocess};
        atomic_fetch_add_explicit(&a->stat_in, 1, memory_order_relaxed);
        fn(a, &m);
    }
    if (e->u.post.obj && !taken && e->u.post.free_obj) e->u.post.free_obj(e->u.post.obj);
}

/* What sends made while the entry runs descend from: a message, or the context a dispatch
 * or a timer was made in; nothing for the rest. */
static act_trace entry_context(const act_entry *e)
{
    static const act_trace none;
    if (e->kind == E_MSG || e->kind == E_DISPATCH) return e->tc;
    return none;
}

static void run_entry(act_loop *l, act_actor *a, act_entry *e)
{
    act__cur_trace = entry_context(e);
    switch (e->kind) {
    case E_INIT:
        local_add(l, a);
        if (a->on_init) a->on_init(a, a->init_arg);
        break;
    case E_MSG:
        run_message(a, e);
        break;
    case E_DISPATCH:
        e->u.call.fn(a, e->u.call.arg);
        break;
    case E_TIMER: {
        timer_rec *t = act__timer_take(l, e->u.timer_id);
        if (t) act__cur_trace = t->tc;
        if (t && !t->canceled) t->fn(a, t->arg);
        free(t);
        break;
    }
    case E_EXITED:
        if (a->on_exited) a->on_exited(a, &e->from);
        break;
    case E_LINK:
        add_linker(a, &e->from);
        break;
    case E_HTTP:
        e->u.req->fn(a, e->u.req);
        break;
    case E_TERMINATE:
        a->exiting = true;
        break;
    default:
        LOG_ERROR("Unexpected entry kind %d in mailbox of %s", (int)e->kind, a->name);
    }
    memset(&act__cur_trace, 0, sizeof act__cur_trace);
    act__entry_free(e);
}

static void actor_destroy(act_loop *l, act_actor *a)
{
    if (a->in_runq) { /* unlink from the run queue */
        act_actor **pp = &l->runq_head, *prev = NULL;
        while (*pp && *pp != a) prev = *pp, pp = &(*pp)->runq_next;
        if (*pp) {
            *pp = a->runq_next;
            if (l->runq_tail == a) l->runq_tail = prev;
        }
    }
    act_entry *e = a->mb_head;
    while (e) {
        act_entry *next = atomic_load_explicit(&e->next, memory_order_relaxed);
        act__entry_drop(e);
        e = next;
    }
    actor_free(a);
}

/* Runs up to `budget` entries of the actors in the run queue. Returns how many ran. */
int act__run_queue(act_loop *l, int budget);
int act__run_queue(act_loop *l, int budget)
{
    int ran = 0;
    act_actor *stop_at = l->runq_tail; /* one pass: actors re-queued go after this point */
    while (l->runq_head && ran < budget) {
        act_actor *a = l->runq_head;
        l->runq_head = a->runq_next;
        if (!l->runq_head) l->runq_tail = NULL;
        a->in_runq = false;
        bool last = a == stop_at;
        uint64_t t0 = now_ns(); /* handler time per batch: a clock read per message costs */
        for (int n = 0; n < 128 && a->mb_head && !a->terminated; n++, ran++) {
            act_entry *e = a->mb_head;
            a->mb_head = atomic_load_explicit(&e->next, memory_order_relaxed);
            if (!a->mb_head) a->mb_tail = NULL;
            atomic_fetch_sub_explicit(&a->stat_depth, 1, memory_order_relaxed);
            int q = queue_kind(e->kind);
            if (q >= 0) atomic_fetch_sub_explicit(&a->stat_queued[q], 1, memory_order_relaxed);
            run_entry(l, a, e);
            if (a->exiting) terminate_now(l, a);
            /* counted after the work: settle must see work that began before it looked */
            atomic_fetch_add_explicit(&l->activity, 1, memory_order_release);
        }
        atomic_fetch_add_explicit(&a->stat_ns, now_ns() - t0, memory_order_relaxed);
        if (a->terminated) {
            actor_destroy(l, a);
        } else {
            act__runq_add(l, a);
        }
        if (last) break;
    }
    return ran;
}

/* Called by act_shutdown with every loop stopped: terminate and free every actor. */
void act__actors_destroy_all(void);
void act__actors_destroy_all(void)
{
    act_runtime *rt = act__rt;
    for (;;) {
        pthread_rwlock_rdlock(&rt->table_lock);
        act_actor *a = NULL;
        for (size_t i = 0; i < rt->table_cap && !a; i++) a = rt->table[i];
        pthread_rwlock_unlock(&rt->table_lock);
        if (!a) break;
        act_loop *l = &rt->loops[a->loop];
        act_loop *saved = act__current_loop;
        act__current_loop = l;
        if (!a->terminated) terminate_now(l, a);
        actor_destroy(l, a);
        act__current_loop = saved;
    }
}
