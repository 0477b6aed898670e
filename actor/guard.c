/*
 * guard.c - what keeps hostile or sloppy clients from taking a process down, done the way
 * mature servers do it. Descriptors: sockets stay below RLIMIT_NOFILE with headroom for the
 * rest of the process; a client beyond that evicts the connection that matters least (nginx's
 * idle-connection reuse), and when accept() itself finds no descriptor, a reserved one is
 * spent to accept and close the surplus and the listener pauses on a timer instead of
 * spinning. Time: every inbound connection state has its timeout (nginx's header, body,
 * keep-alive and send timeouts), kept as lists ordered by deadline and swept on the runtime
 * clock, so tests drive them with act_clock_advance; actor peers may idle forever. Memory: a
 * process-wide bound on bytes held by incomplete requests (large bodies beyond it are refused
 * and the oldest stalled ones closed) and on output queued toward HTTP clients (redis'
 * client output buffer limits), which streamed bodies wait for. Queues: a peer whose messages
 * wait unhandled in mailboxes up to act_set_max_queued_messages is not read until half of
 * them are handled (TCP slows the sender; nothing is dropped). Loop 0 only, but for the
 * release of those messages' credits, which happens wherever their actor runs.
 */
#include "actor/transport_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define T act__T /* the process' one transport, loop 0's */

#define RESERVED_FDS_MIN 64    /* descriptors kept for files, pipes and logs (and 1/8th) */
#define ACCEPT_RETRY_SECS 0.1  /* a listener paused for want of descriptors retries this soon */
#define ACCEPT_REFUSE_MAX 64   /* pending connections refused per pause */
#define SMALL_BODY (64 * 1024) /* bodies up to this are never refused (a message, a form) */
#define STALLED_SECS 1.0       /* no progress this long: first to go when memory is short */

#define IN_LINK offsetof(conn, in_link)
#define OUT_LINK offsetof(conn, out_link)
#define STARVE_LINK offsetof(conn, starve_link)

static struct {
    act_counter *fd_exhausted, *evicted, *refused, *bodies_refused, *stalled_requests,
        *stalled_responses, *send_timeouts, *timeouts[N_IN_STATES], *throttles;
} M;

/* ---- intrusive lists --------------------------------------------------------------------- */

static conn_link *link_of(conn *c, size_t off)
{
    return (conn_link *)((char *)c + off);
}

static void list_append(conn_list *l, conn *c, size_t off)
{
    conn_link *k = link_of(c, off);
    k->prev = l->tail;
    k->next = NULL;
    if (l->tail)
        link_of(l->tail, off)->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void list_remove(conn_list *l, conn *c, size_t off)
{
    conn_link *k = link_of(c, off);
    if (k->prev)
        link_of(k->prev, off)->next = k->next;
    else
        l->head = k->next;
    if (k->next)
        link_of(k->next, off)->prev = k->prev;
    else
        l->tail = k->prev;
    k->prev = k->next = NULL;
}

/* ---- the timeout sweep ------------------------------------------------------------------- */

void act__guard_tick(void)
{
    T->now = act_now();
}

static double state_timeout(enum in_state s)
{
    switch (s) {
    case IN_HEAD: return act__rt->header_timeout;
    case IN_BODY: return act__rt->body_timeout;
    case IN_IDLE: return act__rt->idle_timeout;
    default: return 0;
    }
}

static void sweep(act_actor *self, void *arg);

/* Makes sure the sweep runs by `deadline`. */
static void arm(double deadline)
{
    if (!T->sweeper || (T->sweep_id && T->sweep_at <= deadline)) return;
    if (T->sweep_id) act_cancel(T->sweeper, T->sweep_id);
    T->sweep_at = deadline;
    T->sweep_id = act_delay(T->sweeper, deadline - T->now, sweep, NULL);
}

/* Arms the sweep for the earliest deadline left, if any. */
static void rearm(void)
{
    double next = 0;
    for (int s = IN_HEAD; s < N_IN_STATES; s++) {
        double t = state_timeout((enum in_state)s);
        conn *c = T->in[s].head;
        if (c && t > 0 && (next == 0 || c->in_since + t < next)) next = c->in_since + t;
    }
    conn *c = T->sending.head;
    if (c && (next == 0 || c->out_since + act__rt->send_timeout < next))
        next = c->out_since + act__rt->send_timeout;
    if (next > 0) arm(next);
}

static void expire(conn *c, enum in_state s)
{
    static const char *const what[N_IN_STATES] = {
        [IN_HEAD] = "no complete request head", [IN_BODY] = "no request body progress",
        [IN_IDLE] = "idle"};
    char peer[32], d[32];
    act_counter_inc(M.timeouts[s]);
    act_duration_format(state_timeout(s), d, sizeof d);
    if (s == IN_IDLE)
        VLOG(2, "Closing connection from %s: %s for %s", act__conn_peer(c, peer, sizeof peer),
             what[s], d);
    else
        LOG_WARNING_LIMITED("Closing connection from %s: %s for %s",
                            act__conn_peer(c, peer, sizeof peer), what[s], d);
    act__conn_kill(c, NULL);
}

static void sweep(act_actor *self, void *arg)
{
    T->sweep_id = 0;
    act__guard_tick();
    for (int s = IN_HEAD; s < N_IN_STATES; s++) {
        double t = state_timeout((enum in_state)s);
        conn *c;
        while (t > 0 && (c = T->in[s].head) && c->in_since + t <= T->now)
            expire(c, (enum in_state)s);
    }
    conn *c;
    while ((c = T->sending.head) && c->out_since + act__rt->send_timeout <= T->now) {
        char peer[32], d[32];
        act_counter_inc(M.send_timeouts);
        LOG_WARNING_LIMITED("Closing connection to %s: it took none of its response for %s",
                            act__conn_peer(c, peer, sizeof peer),
                            act_duration_format(act__rt->send_timeout, d, sizeof d));
        act__conn_kill(c, NULL);
    }
    rearm();
}

/* Moves c into state s's list (at its tail: since never runs backwards). */
static void move(conn *c, enum in_state s, double since)
{
    if (c->in_state == s && c->in_since == since) return;
    if (c->in_state != IN_NONE) list_remove(&T->in[c->in_state], c, IN_LINK);
    c->in_state = s;
    c->in_since = since;
    if (s == IN_NONE) return;
    list_append(&T->in[s], c, IN_LINK);
    double t = state_timeout(s);
    if (t > 0) arm(since + t);
}

void act__guard_update(conn *c)
{
    if (c->outgoing || c->state != C_OPEN) return;
    if (!c->parser.data)
        move(c, IN_NONE, 0); /* answered 400; closing */
    else if (c->in_request && !c->head_done)
        move(c, IN_HEAD, c->req_start);
    else if (c->in_request)
        move(c, IN_BODY, T->now); /* bytes arrived: progress */
    else if (c->paused || c->streaming || c->write_seq != c->next_seq)
        move(c, IN_NONE, 0); /* being answered */
    else if (c->actor)
        move(c, IN_PEER, T->now); /* least recently heard from first */
    else
        move(c, IN_IDLE, c->in_state == IN_IDLE ? c->in_since : T->now);
}

/* ---- descriptors ------------------------------------------------------------------------- */

/* Closes the inbound connection that matters least, to make room for another: the client that
 * has waited longest without completing a request head, else the HTTP client idle longest,
 * else the actor peer heard from least recently. Connections in the middle of a body or of an
 * answer are kept. */
static bool evict(const conn *except)
{
    conn *victim = NULL;
    for (conn *c = T->in[IN_HEAD].head; c && !victim; c = c->in_link.next)
        if (!c->actor && c != except) victim = c;
    if (!victim) victim = T->in[IN_IDLE].head;
    if (!victim) victim = T->in[IN_PEER].head;
    if (!victim) return false;
    char peer[32];
    act_counter_inc(M.evicted);
    VLOG(1, "Closing connection from %s to make room for a new one",
         act__conn_peer(victim, peer, sizeof peer));
    act__conn_kill(victim, NULL);
    return true;
}

bool act__guard_admit(conn *c)
{
    T->inbound++;
    c->req_start = T->now;
    move(c, IN_HEAD, T->now);
    if (T->count <= T->max_sockets || evict(c)) return true;
    char peer[32];
    act_counter_inc(M.refused);
    LOG_WARNING_LIMITED("Refusing a connection from %s: %zu sockets open, the most this process "
                        "keeps below its descriptor limit", act__conn_peer(c, peer, sizeof peer),
                        T->count - 1);
    act__conn_kill(c, NULL);
    return false;
}

static void accept_resume(struct ev_loop *ev, ev_timer *w, int revents)
{
    if (T->reserve_fd < 0) T->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ev_io_start(T->ev, &T->accept_io);
}

/* No descriptor for accept(): spends the reserved one to accept and close what is pending,
 * so those clients learn at once instead of waiting in the backlog. */
static void refuse_pending(void)
{
    if (T->reserve_fd < 0) return;
    close(T->reserve_fd);
    for (int i = 0; i < ACCEPT_REFUSE_MAX; i++) {
        int fd = accept(T->listen_fd, NULL, NULL);
        if (fd < 0) break;
        close(fd);
        act_counter_inc(M.refused);
    }
    T->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool act__guard_accept_failed(int err)
{
    if (err == EMFILE || err == ENFILE) {
        act_counter_inc(M.fd_exhausted);
        LOG_WARNING_LIMITED("accept: %s (%zu sockets open); closing idle connections to make "
                            "room", strerror(err), T->count);
        if (evict(NULL)) return true;
        refuse_pending();
    } else {
        LOG_WARNING_LIMITED("accept: %s", strerror(err));
    }
    ev_io_stop(T->ev, &T->accept_io);
    ev_timer_set(&T->accept_retry, ACCEPT_RETRY_SECS, 0.);
    ev_timer_start(T->ev, &T->accept_retry);
    return false;
}

bool act__guard_socket_failed(int err)
{
    if (err != EMFILE && err != ENFILE) return false;
    act_counter_inc(M.fd_exhausted);
    return evict(NULL);
}

/* ---- buffered input ---------------------------------------------------------------------- */

void act__guard_hold(conn *c, size_t n)
{
    c->in_held += n;
    T->in_bytes += n;
}

void act__guard_release(conn *c)
{
    T->in_bytes -= c->in_held;
    c->in_held = 0;
}

/* Closes requests whose bodies made no progress for STALLED_SECS, least recent first, until
 * `len` more bytes fit under the bound. */
static void close_stalled_requests(const conn *except, uint64_t len)
{
    conn *c = T->in[IN_BODY].head;
    while (c && T->in_bytes + len > act__rt->max_input && T->now - c->in_since >= STALLED_SECS) {
        conn *next = c->in_link.next;
        if (c != except && c->in_held > 0) {
            char peer[32];
            act_counter_inc(M.stalled_requests);
            LOG_WARNING_LIMITED("Closing connection from %s: its request body of which %zu bytes "
                                "are buffered stalled while memory for requests is short",
                                act__conn_peer(c, peer, sizeof peer), c->in_held);
            act__conn_kill(c, NULL);
        }
        c = next;
    }
}

bool act__guard_body_room(conn *c, uint64_t len)
{
    size_t limit = act__rt->max_input;
    if (T->in_bytes + len <= limit || c->body.len + len <= SMALL_BODY) return true;
    close_stalled_requests(c, len);
    if (T->in_bytes + len <= limit) return true;
    char peer[32];
    act_counter_inc(M.bodies_refused);
    LOG_WARNING_LIMITED("Refusing a request body from %s: %zu bytes of incomplete requests are "
                        "buffered, the limit is %zu", act__conn_peer(c, peer, sizeof peer),
                        T->in_bytes, limit);
    return false;
}

/* ---- queued output ----------------------------------------------------------------------- */

static void wake_starved(void)
{
    while (T->starved.head && T->out_bytes < act__rt->max_output) {
        conn *c = T->starved.head;
        list_remove(&T->starved, c, STARVE_LINK);
        c->starved = false;
        act__conn_schedule_flush(c);
    }
}

/* Over the process' output bound: closes the connections whose output made no progress for
 * STALLED_SECS, least recent first, until under it. */
static void close_stalled_responses(const conn *except)
{
    conn *c = T->sending.head;
    while (c && T->out_bytes > act__rt->max_output && T->now - c->out_since >= STALLED_SECS) {
        conn *next = c->out_link.next;
        if (c != except) {
            char peer[32];
            act_counter_inc(M.stalled_responses);
            LOG_WARNING_LIMITED("Closing connection to %s: %zu bytes queued toward it, none taken "
                                "for a while, and output memory is short",
                                act__conn_peer(c, peer, sizeof peer), c->out_bytes);
            act__conn_kill(c, NULL);
        }
        c = next;
    }
}

void act__guard_queued(conn *c, size_t n)
{
    T->out_bytes += n;
    if (!c->sending) {
        c->sending = true;
        c->out_since = T->now;
        list_append(&T->sending, c, OUT_LINK);
        arm(T->now + act__rt->send_timeout);
    }
    if (T->out_bytes > act__rt->max_output) close_stalled_responses(c);
}

void act__guard_written(conn *c, size_t n)
{
    T->out_bytes -= n;
    if (c->sending) list_remove(&T->sending, c, OUT_LINK);
    c->sending = c->out_bytes > 0;
    if (c->sending) {
        c->out_since = T->now;
        list_append(&T->sending, c, OUT_LINK);
    }
    wake_starved();
}

size_t act__guard_room(const conn *c)
{
    const act_runtime *rt = act__rt;
    size_t own = c->out_bytes < rt->max_conn_output ? rt->max_conn_output - c->out_bytes : 0;
    size_t all = T->out_bytes < rt->max_output ? rt->max_output - T->out_bytes : 0;
    return own < all ? own : all;
}

void act__guard_wait(conn *c)
{
    if (c->starved || c->out_bytes >= act__rt->max_conn_output) return;
    c->starved = true;
    list_append(&T->starved, c, STARVE_LINK);
}

/* ---- messages queued per connection ------------------------------------------------------ */

/* One reference for the connection while it lives and one for each message it delivered
 * whose entry is not freed yet: refs - 1 of its messages wait (or run) while it lives. */
struct act_credit {
    _Atomic size_t refs;
    _Atomic bool throttled; /* the connection stopped reading ... */
    _Atomic bool wake_sent; /* ... and loop 0 has been asked to read it again */
    size_t low;             /* it is read again once this few wait (set before throttled) */
    conn *c;                /* loop 0 only; NULL once the connection is gone */
};

static void credit_wake(act_loop *l, void *arg);

/* Asks loop 0, once per throttling, to read the connection again. */
static void credit_send_wake(act_credit *cr)
{
    if (atomic_exchange(&cr->wake_sent, true)) return;
    atomic_fetch_add(&cr->refs, 1); /* the call's own */
    act__loop_call(0, credit_wake, cr);
}

/* The throttled flag and the count are seq_cst on both sides, so either the releaser sees
 * the connection throttled or act__guard_message sees the count already low. */
void act__credit_release(act_credit *cr)
{
    size_t left = atomic_fetch_sub(&cr->refs, 1) - 1;
    if (left == 0) {
        free(cr);
        return;
    }
    if (atomic_load(&cr->throttled) && left - 1 <= cr->low) credit_send_wake(cr);
}

static void unthrottle(conn *c)
{
    atomic_store(&c->credit->throttled, false);
    atomic_store(&c->credit->wake_sent, false);
    c->throttled = false;
    T->throttled--;
}

/* On loop 0 (l NULL: the runtime is going down): no new message came while it was not read,
 * so those waiting are still under the low mark. */
static void credit_wake(act_loop *l, void *arg)
{
    act_credit *cr = arg;
    conn *c = l ? cr->c : NULL;
    if (c && c->throttled) {
        unthrottle(c);
        act__conn_schedule_flush(c); /* which reads on (can_resume) */
    }
    act__credit_release(cr);
}

bool act__guard_message(conn *c, act_entry *e)
{
    size_t max = atomic_load_explicit(&act__rt->max_queued, memory_order_relaxed);
    if (!max) return false;
    act_credit *cr = c->credit;
    if (!cr) {
        cr = c->credit = act_calloc(1, sizeof *cr);
        atomic_init(&cr->refs, 1);
        cr->c = c;
    }
    e->credit = cr;
    if (atomic_fetch_add(&cr->refs, 1) < max) return false; /* the count before, + 1 - 1 */
    c->throttled = true;
    T->throttled++;
    act_counter_inc(M.throttles);
    cr->low = max / 2;
    atomic_store(&cr->throttled, true);
    if (atomic_load(&cr->refs) - 1 <= cr->low) credit_send_wake(cr); /* handled meanwhile */
    return true;
}

/* The connection is gone: its messages still waiting release the credits alone. */
static void credit_forget(conn *c)
{
    if (!c->credit) return;
    if (c->throttled) unthrottle(c);
    c->credit->c = NULL;
    act__credit_release(c->credit);
    c->credit = NULL;
}

void act__guard_forget(conn *c)
{
    credit_forget(c);
    T->inbound--;
    move(c, IN_NONE, 0);
    act__guard_release(c);
    T->out_bytes -= c->out_bytes;
    if (c->sending) list_remove(&T->sending, c, OUT_LINK);
    if (c->starved) list_remove(&T->starved, c, STARVE_LINK);
    c->sending = c->starved = false;
    wake_starved();
}

/* ---- setup ------------------------------------------------------------------------------- */

static void refresh_gauges(act_actor *self, void *arg)
{
    act_gauge_set(act_gauge_get("runtime/inbound_connections"), (double)T->inbound);
    act_gauge_set(act_gauge_get("runtime/buffered_input_bytes"), (double)T->in_bytes);
    act_gauge_set(act_gauge_get("runtime/buffered_output_bytes"), (double)T->out_bytes);
    act_gauge_set(act_gauge_get("runtime/throttled_connections"), (double)T->throttled);
}

static void sweeper_gone(act_actor *self, void *arg)
{
    if (!T) return;
    T->sweeper = NULL;
    T->sweep_id = 0;
}

/* Sockets the process keeps: its descriptor limit less headroom for everything else. */
static size_t socket_budget(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
    size_t limit = (size_t)rl.rlim_cur, reserved = limit / 8;
    if (reserved < RESERVED_FDS_MIN) reserved = RESERVED_FDS_MIN;
    return limit > 2 * reserved ? limit - reserved : limit / 2;
}

void act__guard_start(void)
{
    M.fd_exhausted = act_counter_get("runtime/descriptors_exhausted");
    M.evicted = act_counter_get("runtime/connections_evicted");
    M.refused = act_counter_get("runtime/connections_refused");
    M.bodies_refused = act_counter_get("runtime/bodies_refused");
    M.stalled_requests = act_counter_get("runtime/stalled_requests_closed");
    M.stalled_responses = act_counter_get("runtime/stalled_responses_closed");
    M.send_timeouts = act_counter_get("runtime/send_timeouts");
    M.timeouts[IN_HEAD] = act_counter_get("runtime/header_timeouts");
    M.timeouts[IN_BODY] = act_counter_get("runtime/body_timeouts");
    M.timeouts[IN_IDLE] = act_counter_get("runtime/idle_timeouts");
    M.throttles = act_counter_get("runtime/connections_throttled");
    T->received = act_counter_get("runtime/bytes_received");
    T->max_sockets = socket_budget();
    T->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ev_timer_init(&T->accept_retry, accept_resume, 0., 0.);
    act__guard_tick();
    act_actor *a = act_new("__transport__", NULL);
    act_on_terminate(a, sweeper_gone, NULL);
    act_pid pid = act_self(a);
    if (act_spawn(a, 0) != 0) return;
    T->sweeper = a;
    act_metrics_add_collector(&pid, refresh_gauges);
}

void act__guard_stop(void)
{
    ev_timer_stop(T->ev, &T->accept_retry);
    if (T->reserve_fd >= 0) close(T->reserve_fd);
    T->reserve_fd = -1;
}
