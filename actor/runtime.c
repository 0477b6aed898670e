/*
 * runtime.c - the runtime's lifecycle and its event loops: act_init binds the socket and
 * builds the loops, act_start/act_run run them, act_stop and act_shutdown take everything
 * down again. Each loop iteration drains the loop's MPSC inbox, moves due timers into
 * mailboxes and runs actors from the run queue; an idle watcher keeps the loop from blocking
 * while work is queued, and loop 0 flushes socket output just before it would block.
 */
#include "actor/actor_int.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

int act__run_queue(act_loop *l, int budget);
void act__inbox_deliver(act_loop *l, act_entry *e);
void act__inbox_schedule(act_loop *l, const char *name);
void act__actors_destroy_all(void);
void act__collectors_reset(void);

#define RUN_BUDGET 4096   /* entries per loop iteration before I/O gets a turn */
#define INBOX_BUDGET 8192 /* inbox entries per iteration */
/* After doing work a loop polls without blocking for this long before it sleeps: waking a
 * sleeping thread costs tens of microseconds on a VM, a reply usually comes sooner. */
#define SPIN_SECS 50e-6

double act__mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- loop callbacks ---------------------------------------------------------------------- */

/* Returns how many entries it took. */
static int drain_inbox(act_loop *l)
{
    for (int i = 0; i < INBOX_BUDGET; i++) {
        act_entry *e = act__mpsc_pop(&l->inbox);
        if (!e) return i;
        switch (e->kind) {
        case E_SCHEDULE: /* a new actor: its init entry waits in its mailbox */
            act__inbox_schedule(l, e->to_id);
            act__entry_free(e);
            break;
        case E_REMOTE_SEND:
        case E_REMOTE_LINK:
        case E_HTTP_REPLY:
            act__transport_handle(e);
            break;
        case E_LOOP_CALL:
            e->u.loop_call.fn(l, e->u.loop_call.arg);
            act__entry_free(e);
            break;
        default:
            act__inbox_deliver(l, e);
        }
        atomic_fetch_add_explicit(&l->activity, 1, memory_order_release); /* after the work */
    }
    ev_async_send(l->ev, &l->wake); /* budget spent: come back soon */
    return INBOX_BUDGET;
}

static bool loop_idle(act_loop *l)
{
    return !l->runq_head && act__mpsc_empty(&l->inbox) && !act__timers_due(l);
}

bool act_loop_waiting(const act_actor *self)
{
    act_loop *l = &act__rt->loops[self->loop];
    ACT_CHECK(act__current_loop == l);
    return self->mb_head || !loop_idle(l);
}

static void on_check(struct ev_loop *ev, ev_check *w, int revents)
{
    act_loop *l = w->data;
    if (atomic_load(&l->stop)) {
        ev_break(ev, EVBREAK_ALL);
        return;
    }
    int work = drain_inbox(l);
    act__timers_fire_due(l);
    work += act__run_queue(l, RUN_BUDGET);
    double now = act__mono();
    if (work) l->spin_until = now + SPIN_SECS;
    if (!l->runq_head && now >= l->spin_until && ev_is_active(&l->idle))
        ev_idle_stop(ev, &l->idle);
}

static void report_settled(act_loop *l)
{
    pthread_mutex_lock(&l->settle_mu);
    if (l->settle_done != l->settle_req) {
        l->settle_done = l->settle_req;
        pthread_cond_broadcast(&l->settle_cv);
    }
    pthread_mutex_unlock(&l->settle_mu);
}

static void on_prepare(struct ev_loop *ev, ev_prepare *w, int revents)
{
    act_loop *l = w->data;
    if (l->index == 0) act__transport_flush();
    act__timers_arm(l);
    /* work waiting, a timer due included: no wait in the backend (whose least is 1 ms) */
    if (!act__mpsc_empty(&l->inbox) || l->runq_head || act__timers_due(l)) {
        if (!ev_is_active(&l->idle)) ev_idle_start(ev, &l->idle);
        return;
    }
    if (loop_idle(l)) report_settled(l);
}

static void on_wake(struct ev_loop *ev, ev_async *w, int revents) {}
static void on_idle(struct ev_loop *ev, ev_idle *w, int revents) {}
static void on_timer(struct ev_loop *ev, ev_timer *w, int revents) {}

static void *loop_main(void *arg)
{
    act_loop *l = arg;
    act__current_loop = l;
    ev_run(l->ev, 0);
    act__current_loop = NULL;
    return NULL;
}

static void loop_setup(act_loop *l, int index)
{
    l->index = index;
    l->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
    ACT_CHECK(l->ev != NULL);
    act__mpsc_init(&l->inbox);
    ev_async_init(&l->wake, on_wake);
    ev_prepare_init(&l->prepare, on_prepare);
    ev_check_init(&l->check, on_check);
    ev_idle_init(&l->idle, on_idle);
    ev_timer_init(&l->timer, on_timer, 0., 0.);
    l->prepare.data = l->check.data = l->idle.data = l->timer.data = l->wake.data = l;
    ev_async_start(l->ev, &l->wake);
    ev_prepare_start(l->ev, &l->prepare);
    ev_check_start(l->ev, &l->check);
    /* The runtime's own watchers must not keep a loop alive: ev_run ends only by act_stop. */
    pthread_mutex_init(&l->settle_mu, NULL);
    pthread_cond_init(&l->settle_cv, NULL);
}

/* ---- configuration ----------------------------------------------------------------------- */

void act_config_default(act_config *c)
{
    memset(c, 0, sizeof *c);
    c->port = -1;
    c->advertise_port = -1;
    c->loops = 1;
    c->listen = true;
}

static int env_port(const char *name, int *out)
{
    const char *v = getenv(name);
    if (!v || !*v) return 0;
    char *end;
    long p = strtol(v, &end, 10);
    if (*end || p < 0 || p > 65535) {
        LOG_ERROR("%s='%s' is not a port number", name, v);
        return -EINVAL;
    }
    *out = (int)p;
    return 0;
}

/* The bounds on what clients may cost: a field of act_config left 0 takes its environment
 * variable, else the default. Durations and sizes are written as Mesos writes them. */
static const struct limit_spec {
    const char *env, *def;
    bool bytes; /* a size_t byte count, else a double of seconds */
    size_t offset;
} limits[] = {
    {"LIBPROCESS_HTTP_HEADER_TIMEOUT", "20secs", false, offsetof(act_config, header_timeout)},
    {"LIBPROCESS_HTTP_BODY_TIMEOUT", "30secs", false, offsetof(act_config, body_timeout)},
    {"LIBPROCESS_HTTP_IDLE_TIMEOUT", "60secs", false, offsetof(act_config, idle_timeout)},
    {"LIBPROCESS_HTTP_SEND_TIMEOUT", "60secs", false, offsetof(act_config, send_timeout)},
    {"LIBPROCESS_MAX_BUFFERED_INPUT", "256MB", true, offsetof(act_config, max_input)},
    {"LIBPROCESS_MAX_BUFFERED_OUTPUT", "256MB", true, offsetof(act_config, max_output)},
    {"LIBPROCESS_MAX_CONNECTION_OUTPUT", "1MB", true, offsetof(act_config, max_conn_output)},
};

static int resolve_limit(const struct limit_spec *l, act_config *c)
{
    char *field = (char *)c + l->offset;
    if (l->bytes ? *(size_t *)field != 0 : *(double *)field > 0) return 0;
    const char *v = getenv(l->env);
    const char *text = v && *v ? v : l->def;
    uint64_t bytes = 0;
    double secs = 0;
    int rc = l->bytes ? act_bytes_parse(text, &bytes) : act_duration_parse(text, &secs);
    if (rc != 0 || (l->bytes ? bytes == 0 || bytes > SIZE_MAX : !(secs > 0))) {
        LOG_ERROR("%s='%s' is not a positive %s", l->env, text, l->bytes ? "size (e.g. 64MB)"
                  : "duration (e.g. 30secs)");
        return -EINVAL;
    }
    if (l->bytes)
        *(size_t *)field = (size_t)bytes;
    else
        *(double *)field = secs;
    return 0;
}

static int resolve_config(const act_config *in, act_config *c)
{
    *c = *in;
    if (!c->ip) c->ip = getenv("LIBPROCESS_IP");
    if (!c->ip || !*c->ip) c->ip = "127.0.0.1";
    if (!c->advertise_ip) c->advertise_ip = getenv("LIBPROCESS_ADVERTISE_IP");
    if (c->port < 0) {
        c->port = 0;
        if (env_port("LIBPROCESS_PORT", &c->port) != 0) return -EINVAL;
    }
    if (c->advertise_port < 0 && env_port("LIBPROCESS_ADVERTISE_PORT", &c->advertise_port) != 0)
        return -EINVAL;
    if (c->port > 65535) return -EINVAL;
    if (c->loops <= 0) c->loops = 1;
    if (c->max_body == 0) c->max_body = 64u << 20;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++)
        if (resolve_limit(&limits[i], c) != 0) return -EINVAL;
    return 0;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

int act_init_daemon(const char *ip, int64_t port, const char *advertise_ip,
                    int64_t advertise_port, int loops)
{
    act_config c;
    act_config_default(&c);
    c.ip = ip;
    c.port = (int)port;
    c.advertise_ip = advertise_ip;
    c.advertise_port = advertise_port > 0 ? (int)advertise_port : -1;
    c.loops = loops;
    int err = act_init(&c);
    if (err != 0) fprintf(stderr, "Failed to start the runtime: %s\n", act_strerror(err));
    return err;
}

void act_set_max_queued_messages(size_t max)
{
    if (act__rt) atomic_store_explicit(&act__rt->max_queued, max, memory_order_relaxed);
}

int act_init(const act_config *cfg)
{
    if (act__rt) return -EALREADY;
    act_config def, c;
    if (!cfg) {
        act_config_default(&def);
        cfg = &def;
    }
    int rc = resolve_config(cfg, &c);
    if (rc != 0) return rc;
    uint32_t ip;
    if (act_ip_parse(c.ip, &ip) != 0) {
        LOG_ERROR("Invalid IP address '%s'", c.ip);
        return -EINVAL;
    }
    if ((rc = act__tls_init()) != 0) return rc; /* LIBPROCESS_SSL_* */
    signal(SIGPIPE, SIG_IGN);
    act_runtime *rt = act_calloc(1, sizeof *rt);
    act__rt = rt;
    rt->bind_ip = ip;
    rt->bind_port = (uint16_t)c.port;
    rt->max_body = c.max_body;
    rt->header_timeout = c.header_timeout;
    rt->body_timeout = c.body_timeout;
    rt->idle_timeout = c.idle_timeout;
    rt->send_timeout = c.send_timeout;
    rt->max_input = c.max_input;
    rt->max_output = c.max_output;
    rt->max_conn_output = c.max_conn_output;
    rt->listen_fd = -1;
    pthread_rwlock_init(&rt->table_lock, NULL);
    rt->nloops = c.loops;
    rt->loops = act_calloc((size_t)c.loops, sizeof *rt->loops);
    for (int i = 0; i < c.loops; i++) loop_setup(&rt->loops[i], i);
    act__clock_init();
    if ((rc = act__rec_init(c.loops, c.recorder_events)) != 0 ||
        (c.listen && (rc = act__transport_init()) != 0)) {
        act_shutdown();
        return rc;
    }
    rt->address.ip = rt->bind_ip;
    rt->address.port = rt->bind_port;
    if (c.advertise_ip && *c.advertise_ip && act_ip_parse(c.advertise_ip, &rt->address.ip)) {
        LOG_ERROR("Invalid advertise IP address '%s'", c.advertise_ip);
        act_shutdown();
        return -EINVAL;
    }
    if (c.advertise_port > 0) rt->address.port = (uint16_t)c.advertise_port;
    rt->dropped = act_counter_get("runtime/dropped_messages");
    act__transport_start(rt->loops[0].ev);
    act__internal_actors_spawn();
    act__gate_open(); /* threads that run no loop may send from now on */
    char addr[32];
    LOG_INFO("Runtime listening on %s:%u (advertised as %s:%u), %d loop(s)",
             act_ip_format(rt->bind_ip, addr, sizeof addr), rt->bind_port,
             act_ip_format(rt->address.ip, addr + 16, 16), rt->address.port, rt->nloops);
    return 0;
}

bool act_initialized(void) { return act__rt != NULL; }

/* A runtime created by act_runtime_acquire is shared by its acquirers and shut down with the
 * last of them. */
static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static bool shared_owned;
static int shared_users;

int act_runtime_acquire(bool *user)
{
    int rc = 0;
    *user = false;
    pthread_mutex_lock(&shared_mu);
    if (!act_initialized()) {
        rc = act_init(NULL);
        if (rc == 0 && (rc = act_start()) != 0) act_shutdown();
        shared_owned = rc == 0;
    }
    if (rc == 0 && shared_owned) {
        shared_users++;
        *user = true;
    }
    pthread_mutex_unlock(&shared_mu);
    return rc;
}

void act_runtime_release(bool user)
{
    if (!user) return;
    pthread_mutex_lock(&shared_mu);
    if (--shared_users == 0 && shared_owned) {
        act_shutdown();
        shared_owned = false;
    }
    pthread_mutex_unlock(&shared_mu);
}

static int start_threads(int first)
{
    act_runtime *rt = act__rt;
    if (!rt) return -EINVAL;
    if (atomic_exchange(&rt->running, true)) return -EALREADY;
    for (int i = first; i < rt->nloops; i++) {
        act_loop *l = &rt->loops[i];
        atomic_store(&l->stop, false);
        if (pthread_create(&l->thread, NULL, loop_main, l) != 0)
            LOG_FATAL("Cannot start loop thread %d", i);
        l->thread_started = true;
    }
    return 0;
}

int act_start(void) { return start_threads(0); }

int act_run(void)
{
    int rc = start_threads(1);
    if (rc != 0) return rc;
    atomic_store(&act__rt->loops[0].stop, false);
    loop_main(&act__rt->loops[0]);
    return 0;
}

void act_stop(void)
{
    act_runtime *rt = act__rt;
    if (!rt) return;
    for (int i = 0; i < rt->nloops; i++) {
        atomic_store(&rt->loops[i].stop, true);
        ev_async_send(rt->loops[i].ev, &rt->loops[i].wake);
    }
}

static void join_loops(void)
{
    act_runtime *rt = act__rt;
    for (int i = 0; i < rt->nloops; i++) {
        act_loop *l = &rt->loops[i];
        if (l->thread_started) pthread_join(l->thread, NULL);
        l->thread_started = false;
    }
    atomic_store(&rt->running, false);
}

static void loop_teardown(act_loop *l)
{
    act__current_loop = l;
    act__timers_free(l);
    act__current_loop = NULL;
    act__mpsc_destroy(&l->inbox);
    act__entry_pool_free(l);
    ev_loop_destroy(l->ev);
    pthread_mutex_destroy(&l->settle_mu);
    pthread_cond_destroy(&l->settle_cv);
}

/* With every loop stopped: release whatever still waits in the inboxes. Dropping can create
 * new entries (exited events, 404 answers), hence two passes. */
static void drain_inboxes_for_shutdown(act_runtime *rt)
{
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < rt->nloops; i++) {
            act_entry *e;
            act__current_loop = &rt->loops[i];
            while ((e = act__mpsc_pop(&rt->loops[i].inbox)) != NULL) {
                if (e->kind == E_HTTP_REPLY || e->kind == E_REMOTE_SEND ||
                    e->kind == E_REMOTE_LINK || e->kind == E_SCHEDULE)
                    act__entry_free(e);
                else
                    act__entry_drop(e);
            }
            act__current_loop = NULL;
        }
}

void act_shutdown(void)
{
    act_runtime *rt = act__rt;
    if (!rt) return;
    ACT_CHECK(act__current_loop == NULL);
    act_stop();
    join_loops();
    act__actors_destroy_all();
    act__gate_close(); /* helper threads' sends from now on are dropped, not enqueued */
    drain_inboxes_for_shutdown(rt);
    act__transport_shutdown();
    act__tls_shutdown();
    for (int i = 0; i < rt->nloops; i++) loop_teardown(&rt->loops[i]);
    for (int i = 0; i < rt->nloops; i++) free(rt->loops[i].local);
    free(rt->loops);
    free(rt->table);
    pthread_rwlock_destroy(&rt->table_lock);
    act__filters_reset();
    act__trace_reset();
    act__rec_shutdown();
    act__collectors_reset();
    act_metrics_reset();
    free(rt);
    act__rt = NULL;
}

act_pid act_address(void) { return act__rt->address; }
uint16_t act_port(void) { return act__rt->bind_port; }
int act_loop_count(void) { return act__rt ? act__rt->nloops : 0; }
int act_current_loop(void) { return act__current_loop ? act__current_loop->index : -1; }

/* Used by settle (clock.c): ask loop l to report once it is idle; wait up to `deadline`. */
int act__loop_barrier(act_loop *l, double deadline);
int act__loop_barrier(act_loop *l, double deadline)
{
    pthread_mutex_lock(&l->settle_mu);
    uint64_t want = ++l->settle_req;
    pthread_mutex_unlock(&l->settle_mu);
    ev_async_send(l->ev, &l->wake);
    pthread_mutex_lock(&l->settle_mu);
    int rc = 0;
    while (l->settle_done < want && rc == 0) {
        double left = deadline - act__mono();
        if (left <= 0) {
            rc = -ETIMEDOUT;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double slice = left < 0.05 ? left : 0.05;
        ts.tv_nsec += (long)(slice * 1e9);
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&l->settle_cv, &l->settle_mu, &ts);
        if (l->settle_done < want) ev_async_send(l->ev, &l->wake);
    }
    pthread_mutex_unlock(&l->settle_mu);
    return rc;
}

#ifdef ACT_FUZZING
void act__fuzz_run_until_idle(void)
{
    for (int round = 0; round < 64; round++) {
        bool idle = true;
        for (int i = 0; i < act__rt->nloops; i++) {
            act_loop *l = &act__rt->loops[i];
            act__current_loop = l;
            ev_run(l->ev, EVRUN_NOWAIT);
            act__current_loop = NULL;
            idle = idle && loop_idle(l);
        }
        if (idle) return;
    }
}
#endif
