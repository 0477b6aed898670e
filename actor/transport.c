/*
 * transport.c - every socket of the process, on loop 0: the listener, incoming connections
 * (parsed with http-parser; a POST carrying Libprocess-From is a message, anything else an
 * HTTP request for a route), and the pool of outgoing keep-alive connections, one per peer
 * address, on which messages are queued as POST requests and written many per sendmsg.
 * A broken or refused outgoing connection drops what it had queued and tells the actors that
 * linked to pids at that address. Connections are freed at a safe point (the prepare watcher),
 * never in the middle of a callback that may still use them.
 */
#include "actor/transport_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define T act__T /* the process' one transport, loop 0's */

#define CHUNK_SIZE (64 * 1024)
#define MAX_IOV 64
#define MAX_HEAD_BYTES (64 * 1024)
#define MAX_HEADERS 100
#define READ_SIZE (64 * 1024)
#define ACCEPT_BATCH 64
/* A producer is asked for at most this much at a time, and a connection's writes and
 * productions alternate at most this many times per loop iteration, so one fast reader of a
 * large file does not hold up the loop. */
#define PULL_MAX (256 * 1024)
#define PULL_ROUNDS 4

transport *act__T;

static void conn_kill(conn *c, const char *why);
static void conn_flush(conn *c);
static void handle_parsed_request(conn *c);

/* ---- connection tables ------------------------------------------------------------------- */

static size_t addr_hash(uint32_t ip, uint16_t port)
{
    uint64_t k = ((uint64_t)ip << 16) | port;
    k *= 0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 32);
}

static void tables_grow(void)
{
    size_t cap = T->cap ? T->cap * 2 : 256;
    conn **by_id = act_calloc(cap, sizeof *by_id), **by_addr = act_calloc(cap, sizeof *by_addr);
    for (size_t i = 0; i < T->cap; i++) {
        for (conn *c = T->by_id[i], *n; c; c = n) {
            n = c->id_next;
            c->id_next = by_id[c->id & (cap - 1)];
            by_id[c->id & (cap - 1)] = c;
        }
        for (conn *c = T->by_addr[i], *n; c; c = n) {
            n = c->addr_next;
            size_t h = addr_hash(c->ip, c->port) & (cap - 1);
            c->addr_next = by_addr[h];
            by_addr[h] = c;
        }
    }
    free(T->by_id);
    free(T->by_addr);
    T->by_id = by_id;
    T->by_addr = by_addr;
    T->cap = cap;
}

static conn *find_by_id(uint64_t id)
{
    if (!T || !T->cap) return NULL;
    conn *c = T->by_id[id & (T->cap - 1)];
    while (c && c->id != id) c = c->id_next;
    return c;
}

static conn *find_by_addr(uint32_t ip, uint16_t port)
{
    if (!T->cap) return NULL;
    conn *c = T->by_addr[addr_hash(ip, port) & (T->cap - 1)];
    while (c && !(c->ip == ip && c->port == port)) c = c->addr_next;
    return c;
}

static void table_add(conn *c)
{
    if (T->count + 1 > T->cap / 2) tables_grow();
    size_t h = c->id & (T->cap - 1);
    c->id_next = T->by_id[h];
    T->by_id[h] = c;
    if (c->outgoing) {
        size_t a = addr_hash(c->ip, c->port) & (T->cap - 1);
        c->addr_next = T->by_addr[a];
        T->by_addr[a] = c;
    }
    T->count++;
}

static void table_del(conn *c)
{
    conn **pp = &T->by_id[c->id & (T->cap - 1)];
    while (*pp && *pp != c) pp = &(*pp)->id_next;
    if (*pp) *pp = c->id_next;
    if (c->outgoing) {
        pp = &T->by_addr[addr_hash(c->ip, c->port) & (T->cap - 1)];
        while (*pp && *pp != c) pp = &(*pp)->addr_next;
        if (*pp) *pp = c->addr_next;
    }
    T->count--;
}

/* ---- output ------------------------------------------------------------------------------ */

/* Written chunks of the usual size wait in T->spare for the next output rather than going back
 * to malloc: as many as were queued at once in this window of SPARE_WINDOW seconds or the last
 * (at least SPARE_MIN, at most SPARE_MAX). A sender that outruns its peer queues hundreds of
 * chunks and drains them again and again; freeing all but a few made glibc trim its heap each
 * time and fault in fresh pages for every 4 kB written, which halved such a sender's rate.
 * Spares beyond what the two windows needed are freed as written chunks come back. */
#define SPARE_MIN 8
#define SPARE_MAX 512 /* 32 MB */
#define SPARE_WINDOW 1.0

#ifdef ACT_TEST_BUILD
/* For tests of the reuse: how many written chunks wait in T->spare, as of the last change. */
_Atomic size_t act__transport_spares;
#define SHOW_SPARES() \
    atomic_store_explicit(&act__transport_spares, T->nspare, memory_order_relaxed)
#else
#define SHOW_SPARES() ((void)0)
#endif

/* Starts a new window once this one is over (or the clock went back). The window before it
 * is the last one only if this one began less than a window ago; else the last went by without
 * output, and what was queued all through it is its peak. */
static void spare_window(void)
{
    double since = T->now - T->chunks_since;
    if (since >= 0 && since < SPARE_WINDOW) return;
    T->chunks_peak_before = since < 2 * SPARE_WINDOW ? T->chunks_peak : T->chunks_queued;
    T->chunks_peak = T->chunks_queued;
    T->chunks_since = T->now;
}

static chunk *chunk_get(size_t n)
{
    chunk *t;
    if (n <= CHUNK_SIZE && T->spare) {
        t = T->spare;
        T->spare = t->next;
        T->nspare--;
    } else {
        size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;
        t = act_malloc(sizeof *t + cap);
        t->cap = cap;
    }
    if (t->cap == CHUNK_SIZE) {
        spare_window();
        if (++T->chunks_queued > T->chunks_peak) T->chunks_peak = T->chunks_queued;
    }
    SHOW_SPARES();
    t->next = NULL;
    t->len = t->off = 0;
    return t;
}

static void chunk_put(chunk *t)
{
    if (t->cap != CHUNK_SIZE) {
        free(t);
        return;
    }
    spare_window();
    T->chunks_queued--;
    size_t keep = T->chunks_peak > T->chunks_peak_before ? T->chunks_peak : T->chunks_peak_before;
    keep = keep < SPARE_MIN ? SPARE_MIN : keep > SPARE_MAX ? SPARE_MAX : keep;
    t->next = T->spare;
    T->spare = t;
    T->nspare++;
    while (T->nspare > keep) {
        chunk *k = T->spare;
        T->spare = k->next;
        T->nspare--;
        free(k);
    }
    SHOW_SPARES();
}

static char *out_reserve(conn *c, size_t n)
{
    chunk *t = c->out_tail;
    if (!t || t->cap - t->len < n) {
        t = chunk_get(n);
        if (c->out_tail)
            c->out_tail->next = t;
        else
            c->out_head = t;
        c->out_tail = t;
    }
    return t->data + t->len;
}

static void out_commit(conn *c, size_t n)
{
    c->out_tail->len += n;
    c->out_bytes += n;
    c->queued_total += n;
    if (!c->outgoing) act__guard_queued(c, n);
}

static void out_append(conn *c, const void *p, size_t n)
{
    if (!n) return;
    memcpy(out_reserve(c, n), p, n);
    out_commit(c, n);
}

/* ---- messages queued on an outgoing connection and not yet written ----------------------- */

/* Nothing is kept per message for the recorder: what a broken connection loses is read back
 * from its output when it breaks. Only queue_message writes there, each message whole in one
 * chunk, so every chunk starts with a message, and a chunk stays until all of it is written:
 * the messages not written in full are those that end past the first chunk's `off`, and all
 * of the chunks after it. Each head names the receiver, the message and its sender, and ends
 * with its Content-Length. The heads to our own peers carry the trace context too; those to
 * peers that are not ours do not, so those messages' contexts are kept beside, by where each
 * ends in the output (`foreign`, trimmed as the output is written). */
typedef struct unsent_tc {
    uint64_t end; /* the connection's queued_total once the message was queued */
    act_trace tc;
} unsent_tc;

static void foreign_push(conn *c, const act_entry *e)
{
    if (c->foreign_len == c->foreign_cap) {
        size_t cap = c->foreign_cap ? c->foreign_cap * 2 : 16; /* a power of two */
        unsent_tc *u = act_malloc(cap * sizeof *u);
        for (size_t i = 0; i < c->foreign_len; i++)
            u[i] = c->foreign[(c->foreign_first + i) & (c->foreign_cap - 1)];
        free(c->foreign);
        c->foreign = u;
        c->foreign_cap = cap;
        c->foreign_first = 0;
    }
    size_t at = (c->foreign_first + c->foreign_len++) & (c->foreign_cap - 1);
    c->foreign[at] = (unsent_tc){.end = c->queued_total, .tc = e->tc};
}

/* Forgets the contexts of the messages written in full. */
static void foreign_written(conn *c)
{
    while (c->foreign_len && c->foreign[c->foreign_first].end <= c->written_total) {
        c->foreign_first = (c->foreign_first + 1) & (c->foreign_cap - 1);
        c->foreign_len--;
    }
}

/* The value of header `key` ("\r\nName: ") in head[0, len), or NULL; *n its length. */
static const char *head_value(const char *head, size_t len, const char *key, size_t key_len,
                              size_t *n)
{
    const char *v = memmem(head, len, key, key_len);
    if (!v) return NULL;
    v += key_len;
    const char *eol = memchr(v, '\r', len - (size_t)(v - head));
    if (!eol) return NULL;
    *n = (size_t)(eol - v);
    return v;
}

/* The length of the message at p, of at most `room` bytes, and of its head in *head_len; 0 if
 * what is there is not one of the messages queue_message writes. */
static size_t message_len(const char *p, size_t room, size_t *head_len)
{
    const char *blank = memmem(p, room, "\r\n\r\n", 4);
    if (!blank) return 0;
    *head_len = (size_t)(blank - p) + 4;
    static const char key[] = "\r\nContent-Length: ";
    size_t n;
    const char *v = head_value(p, *head_len, key, sizeof key - 1, &n);
    if (!v) return 0;
    uint64_t body = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9' || body > room) return 0;
        body = body * 10 + (uint64_t)(v[i] - '0');
    }
    return body <= room - *head_len ? *head_len + (size_t)body : 0;
}

/* The receiver, name, sender and trace context of the unsent message whose head is
 * head[0, len) ("POST /to/name HTTP/1.1", Libprocess-From and Libprocess-Trace, which
 * own_head and foreign_head write). False when the head carries no context (a message to a
 * peer that is not ours): *tc is then zero. */
static bool unsent_parse(const char *head, size_t len, char *to, char *name, size_t name_max,
                         act_pid *from, act_trace *tc)
{
    const char *p = head + 6, *stop = head + len;
    const char *eol = memchr(p, '\r', (size_t)(stop - p));
    const char *slash = memchr(p, '/', (size_t)(eol - p));
    static const size_t version = sizeof " HTTP/1.1" - 1;
    to[0] = name[0] = '\0';
    memset(from, 0, sizeof *from);
    memset(tc, 0, sizeof *tc);
    if (slash && (size_t)(eol - slash) > version + 1 && (size_t)(slash - p) < ACT_ID_MAX) {
        snprintf(to, ACT_ID_MAX, "%.*s", (int)(slash - p), p);
        snprintf(name, name_max, "%.*s", (int)(eol - version - slash - 1), slash + 1);
    }
    static const char from_key[] = "\r\nLibprocess-From: ", tc_key[] = "\r\n" ACT_TRACE_HEADER ": ";
    char text[ACT_PID_STRLEN];
    size_t n;
    const char *v = head_value(eol, (size_t)(stop - eol), from_key, sizeof from_key - 1, &n);
    if (v && n < sizeof text) {
        snprintf(text, sizeof text, "%.*s", (int)n, v);
        if (act_pid_parse(text, from) != 0) memset(from, 0, sizeof *from);
    }
    v = head_value(eol, (size_t)(stop - eol), tc_key, sizeof tc_key - 1, &n);
    if (v && n < sizeof text) {
        snprintf(text, sizeof text, "%.*s", (int)n, v);
        act__trace_parse(text, tc);
    }
    return v != NULL;
}

/* The context c->foreign keeps for the message that ends at `end` in the output, if any,
 * looked for from its *f-th on: messages are asked for in the order of the output, which is
 * the order it keeps them in, so a broken connection's are all found in one pass. */
static void foreign_tc(const conn *c, size_t *f, uint64_t end, act_trace *tc)
{
    for (; *f < c->foreign_len; ++*f) {
        const unsent_tc *u = &c->foreign[(c->foreign_first + *f) & (c->foreign_cap - 1)];
        if (u->end < end) continue;
        if (u->end == end) *tc = u->tc;
        return;
    }
}

/* The connection broke: what was not written is recorded as dropped. */
static void unsent_drop(conn *c, const char *why)
{
    char reason[64];
    snprintf(reason, sizeof reason, "connection lost: %s", why ? why : "closed by peer");
    bool on = atomic_load_explicit(&act__rec_on, memory_order_relaxed);
    uint64_t start = c->written_total - (c->out_head ? c->out_head->off : 0); /* of a chunk */
    size_t f = 0; /* where foreign_tc looks from */
    for (chunk *k = c->out_head; on && k; start += k->len, k = k->next) {
        size_t len, head_len;
        for (size_t at = 0; at < k->len; at += len) {
            if (!(len = message_len(k->data + at, k->len - at, &head_len))) break;
            if (at + len <= k->off) continue; /* written */
            char to[ACT_ID_MAX], name[112];
            act_pid from;
            act_trace tc;
            if (!unsent_parse(k->data + at, head_len, to, name, sizeof name, &from, &tc))
                foreign_tc(c, &f, start + at + len, &tc);
            rec_msg m = {.kind = REC_DROP, .from = &from, .to_id = to, .to_ip = c->ip,
                         .to_port = c->port, .name = name, .tc = &tc, .reason = reason};
            act__rec(&m);
        }
    }
    free(c->foreign);
    c->foreign = NULL;
    c->foreign_len = c->foreign_cap = c->foreign_first = 0;
}

static void schedule_flush(conn *c)
{
    if (c->in_flush_list || c->state != C_OPEN) return;
    c->in_flush_list = true;
    c->flush_next = T->flush_list;
    T->flush_list = c;
}

void act__conn_schedule_flush(conn *c)
{
    schedule_flush(c);
}

static void out_free(conn *c)
{
    while (c->out_head) {
        chunk *n = c->out_head->next;
        chunk_put(c->out_head);
        c->out_head = n;
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
}

#ifdef ACT_TEST_BUILD
/* For tests of writes a socket takes in part (loopback's buffers take megabytes whole): set,
 * no send hands the socket more than this many bytes. Counted: the stream chunks that went to
 * the socket in part, the rest queued. */
_Atomic size_t act__transport_send_max;
_Atomic uint64_t act__transport_short_chunks;
#endif

/* Sends through the connection's TLS session, or on its socket. Bytes, or a negative errno
 * (-EAGAIN: wait for the socket; -EPROTO: TLS failed, the connection is already dead). */
static ssize_t send_iov(conn *c, struct iovec *iov, int n)
{
    if (c->tls) return act__tls_writev(c, iov, n);
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
#ifdef ACT_TEST_BUILD
    struct iovec cut[MAX_IOV];
    size_t left = atomic_load_explicit(&act__transport_send_max, memory_order_relaxed);
    if (left) {
        int k = 0;
        for (; k < n && k < MAX_IOV && left; left -= cut[k++].iov_len) {
            cut[k] = iov[k];
            if (cut[k].iov_len > left) cut[k].iov_len = left;
        }
        mh.msg_iov = cut;
        mh.msg_iovlen = (size_t)k;
    }
#endif
    ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    return w < 0 ? -errno : w;
}

/* Writes as much as the socket takes. True when nothing is left to write; false when the
 * socket is full (the write watcher then waits for it) or the connection died. */
static bool write_out(conn *c)
{
    while (c->out_head) {
        struct iovec iov[MAX_IOV];
        int n = 0;
        for (chunk *k = c->out_head; k && n < MAX_IOV; k = k->next)
            if (k->len > k->off) {
                iov[n].iov_base = k->data + k->off;
                iov[n].iov_len = k->len - k->off;
                n++;
            }
        if (n == 0) {
            out_free(c);
            break;
        }
        ssize_t w = send_iov(c, iov, n);
        if (w < 0) {
            if (w == -EINTR) continue;
            if (w == -EAGAIN || w == -EWOULDBLOCK) {
                if (!c->tls && !ev_is_active(&c->wio)) ev_io_start(T->ev, &c->wio);
                return false;
            }
            if (w != -EPROTO) conn_kill(c, strerror((int)-w));
            return false;
        }
        size_t left = (size_t)w;
        c->out_bytes -= left;
        while (left && c->out_head) {
            chunk *k = c->out_head;
            size_t take = k->len - k->off < left ? k->len - k->off : left;
            k->off += take;
            left -= take;
            if (k->off == k->len) {
                c->out_head = k->next;
                if (!c->out_head) c->out_tail = NULL;
                chunk_put(k);
            }
        }
        c->written_total += (uint64_t)w;
        if (c->foreign_len) foreign_written(c);
        if (!c->outgoing) act__guard_written(c, (size_t)w);
    }
    return true;
}

static void write_ready_replies(conn *c);

/* The produced body is complete, or ended short of the length its head announced: then the
 * connection closes, the only way the client can tell. */
static void pull_finish(conn *c)
{
    act_pull *pl = c->pull;
    if (pl->chunked) out_append(c, "0\r\n\r\n", 5);
    if (pl->left > 0) {
        char peer[32];
        LOG_WARNING_LIMITED("A response to %s ended %lld bytes short of its length; closing",
                            act__conn_peer(c, peer, sizeof peer), (long long)pl->left);
        c->close_after_write = true;
    }
    c->pull = NULL;
    act__pull_free(pl);
    c->streaming = false;
    c->write_seq++;
    write_ready_replies(c);
}

/* Asks the current response's producer for what the bounds allow and queues it, framed. */
static void pull_pump(conn *c, size_t room)
{
    act_pull *pl = c->pull;
    if (room > PULL_MAX) room = PULL_MAX;
    if (pl->left >= 0 && (uint64_t)pl->left < room) room = (size_t)pl->left;
    act_buf *b = &T->scratch;
    act_buf_reset(b);
    int rc = room ? pl->p.produce(pl->p.ctx, b, room) : 1;
    if (rc < 0 || (rc == 0 && b->len == 0)) {
        char peer[32];
        LOG_WARNING_LIMITED("Abandoning a response to %s: %s", act__conn_peer(c, peer, sizeof peer),
                            rc < 0 ? act_strerror(rc) : "its producer gave nothing");
        conn_kill(c, NULL);
        return;
    }
    size_t n = b->len;
    if (pl->left >= 0 && n > (uint64_t)pl->left) n = (size_t)pl->left; /* never past its length */
    if (n && pl->chunked) {
        char head[24];
        out_append(c, head, (size_t)snprintf(head, sizeof head, "%zx\r\n", n));
    }
    out_append(c, b->data, n);
    if (n && pl->chunked) out_append(c, "\r\n", 2);
    if (pl->left >= 0) pl->left -= (int64_t)n;
    if (rc == 1 || pl->left == 0) pull_finish(c);
}

/* Parses what followed a request once that request's answer is out of the way. */
static void conn_resume(conn *c);

/* The next request is read once every answer is queued and the output has room. */
static bool can_resume(conn *c)
{
    if (!c->parser.data || c->write_seq != c->next_seq || c->streaming || c->throttled)
        return false;
    if (act__guard_room(c)) return true;
    act__guard_wait(c);
    return false;
}

/* Writes what is queued, alternating with the producer of a streamed body while the socket
 * takes it and the bounds allow, then reads on if the connection was waiting to. */
static void conn_flush(conn *c)
{
    int rounds = 0;
    while (c->state == C_OPEN && write_out(c) && c->pull) {
        size_t room = act__guard_room(c);
        if (!room) {
            act__guard_wait(c);
            break;
        }
        if (rounds++ == PULL_ROUNDS) { /* the socket is still writable: go on next time */
            if (!ev_is_active(&c->wio)) ev_io_start(T->ev, &c->wio);
            return;
        }
        pull_pump(c, room);
    }
    if (c->state != C_OPEN || c->out_head) return; /* dead, or the write watcher waits */
    if (ev_is_active(&c->wio)) ev_io_stop(T->ev, &c->wio);
    if (c->close_after_write && !c->pull)
        conn_kill(c, NULL);
    else if (c->paused && can_resume(c))
        conn_resume(c);
}

void act__transport_flush(void)
{
    if (!T) return;
    if (T->flush_list) act__guard_tick();
    while (T->flush_list) {
        conn *c = T->flush_list;
        T->flush_list = c->flush_next;
        c->in_flush_list = false;
        conn_flush(c);
    }
    while (T->dead_list) {
        conn *c = T->dead_list;
        T->dead_list = c->dead_next;
        act_buf_free(&c->url);
        act_buf_free(&c->hdrs);
        act_buf_free(&c->body);
        act_buf_free(&c->rest);
        free(c->links);
        act_map_free(c->link_index);
        free(c);
    }
}

/* ---- connection lifecycle ---------------------------------------------------------------- */

static void tell_linkers(conn *c)
{
    for (size_t i = 0; i < c->nlinks; i++) {
        act_entry *e = act__entry_new(E_EXITED, &c->links[i].target, c->links[i].linker.id,
                                      NULL, NULL, 0);
        act__deliver(e);
    }
    c->nlinks = 0;
    act_map_free(c->link_index);
    c->link_index = NULL;
}

const char *act__conn_peer(const conn *c, char *buf, size_t n)
{
    char ip[16];
    snprintf(buf, n, "%s:%u", act_ip_format(c->ip, ip, sizeof ip), c->port);
    return buf;
}

/* Closes the socket, drops queued output, tells linkers; the memory goes at a safe point. */
static void conn_kill(conn *c, const char *why)
{
    if (c->state == C_DEAD) return;
    bool was_connecting = c->state == C_CONNECTING;
    if (!c->outgoing) act__guard_forget(c);
    c->state = C_DEAD;
    ev_io_stop(T->ev, &c->rio);
    ev_io_stop(T->ev, &c->wio);
    act__tls_free(c);
    close(c->fd);
    table_del(c);
    if (c->outgoing) {
        char peer[32];
        if (why || c->out_bytes)
            LOG_WARNING_LIMITED("%s %s: %s%s", was_connecting ? "Failed to connect to" :
                                "Connection to", act__conn_peer(c, peer, sizeof peer),
                                why ? why : "closed by peer",
                                c->out_bytes ? " (queued messages dropped)" : "");
        tell_linkers(c);
        unsent_drop(c, why);
    }
    out_free(c);
    while (c->pending) {
        reply *r = c->pending;
        c->pending = r->next;
        act__pull_free(r->pull);
        free(r);
    }
    act__pull_free(c->pull);
    c->pull = NULL;
    c->dead_next = T->dead_list;
    T->dead_list = c;
}

void act__conn_kill(conn *c, const char *why)
{
    conn_kill(c, why);
}

static void set_socket_options(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Outgoing connections leave from the address this process advertises (else the one it is
 * bound to), so that receivers, which check that a message's Libprocess-From names the
 * address it came from, accept it: on a host with several addresses (127.0.0.2, 127.0.0.3 ...
 * all reach lo) the kernel would otherwise pick one by route. An address this host does not
 * have (an advertised NAT address) is skipped. */
static void bind_source(int fd)
{
    uint32_t ips[2] = {act__rt->address.ip, act__rt->bind_ip};
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    for (int i = 0; i < 2; i++) {
        if (!ips[i]) continue;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(ips[i])};
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return;
    }
}

static void on_readable(struct ev_loop *ev, ev_io *w, int revents);
static void on_writable(struct ev_loop *ev, ev_io *w, int revents);

static conn *conn_new(int fd, bool outgoing, uint32_t ip, uint16_t port)
{
    conn *c = act_calloc(1, sizeof *c);
    c->id = ++T->next_id;
    c->fd = fd;
    c->outgoing = outgoing;
    c->ip = ip;
    c->port = port;
    ev_io_init(&c->rio, on_readable, fd, EV_READ);
    ev_io_init(&c->wio, on_writable, fd, EV_WRITE);
    c->rio.data = c->wio.data = c;
    if (!outgoing) {
        http_parser_init(&c->parser, HTTP_REQUEST);
        c->parser.data = c;
    }
    table_add(c);
    return c;
}

/* The outgoing connection to ip:port, connecting if there is none. NULL if the connect
 * failed at once (linkers and queued data have then been handled). */
static conn *get_outgoing(uint32_t ip, uint16_t port)
{
    conn *c = find_by_addr(ip, port);
    if (c) return c;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && act__guard_socket_failed(errno))
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        LOG_ERROR_LIMITED("socket: %s", strerror(errno));
        return NULL;
    }
    set_socket_options(fd);
    bind_source(fd);
    c = conn_new(fd, true, ip, port);
    act__tls_connect(c);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(ip)};
    c->state = C_CONNECTING;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        c->state = C_OPEN;
        ev_io_start(T->ev, &c->rio);
    } else if (errno == EINPROGRESS) {
        ev_io_start(T->ev, &c->wio);
    } else {
        c->connect_err = errno;
    }
    return c;
}

static void on_writable(struct ev_loop *ev, ev_io *w, int revents)
{
    conn *c = w->data;
    act__guard_tick();
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            err = errno;
        if (err) {
            conn_kill(c, strerror(err));
            return;
        }
        c->state = C_OPEN;
        ev_io_start(T->ev, &c->rio);
    }
    if (act__tls_read_wants_write(c)) on_readable(ev, &c->rio, EV_READ);
    if (c->state == C_OPEN) conn_flush(c);
}

/* ---- incoming: accept and parse ---------------------------------------------------------- */

/* A connection from a client: admitted (which may evict an idle one) and read from. */
static conn *inbound_open(int fd, uint32_t ip, uint16_t port)
{
    set_socket_options(fd);
    conn *c = conn_new(fd, false, ip, port);
    c->state = C_OPEN;
    if (!act__guard_admit(c)) return NULL;
    ev_io_start(T->ev, &c->rio);
    return c;
}

static void on_accept(struct ev_loop *ev, ev_io *w, int revents)
{
    act__guard_tick();
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        int fd = accept4(T->listen_fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            inbound_open(fd, ntohl(sa.sin_addr.s_addr), ntohs(sa.sin_port));
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else if (errno != EINTR && errno != ECONNABORTED && !act__guard_accept_failed(errno)) {
            return; /* the listener is paused for a moment */
        }
    }
}

static void reset_request(conn *c)
{
    for (int h = 0; h < N_KNOWN_HEADERS; h++) c->known[h] = SIZE_MAX;
    act_buf_reset(&c->url);
    act_buf_reset(&c->hdrs);
    act_buf_reset(&c->body);
    c->nhdrs = 0;
    c->head_bytes = 0;
    c->body_seen = 0;
    c->in_value = false;
    c->head_done = false;
    c->discard = false;
}

static int head_grow(conn *c, size_t n)
{
    c->head_bytes += n;
    act__guard_hold(c, n);
    return c->head_bytes > MAX_HEAD_BYTES ? -1 : 0;
}

static int on_message_begin(http_parser *p)
{
    conn *c = p->data;
    reset_request(c);
    if (c->in_state != IN_HEAD) c->req_start = T->now; /* a new connection's counts from accept */
    c->in_request = true;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    conn *c = p->data;
    if (head_grow(c, n)) return -1;
    act_buf_append(&c->url, at, n);
    return 0;
}

/* Headers are kept as "name\0value\0" pairs in one buffer. */
static int on_header_field(http_parser *p, const char *at, size_t n)
{
    conn *c = p->data;
    if (head_grow(c, n)) return -1;
    if (c->in_value || c->nhdrs == 0) {
        if (c->nhdrs) act_buf_putc(&c->hdrs, '\0'); /* end the previous value */
        if (++c->nhdrs > MAX_HEADERS) return -1;
        c->in_value = false;
    }
    act_buf_append(&c->hdrs, at, n);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    conn *c = p->data;
    if (head_grow(c, n + 1)) return -1;
    if (!c->in_value) {
        act_buf_putc(&c->hdrs, '\0');
        c->in_value = true;
    }
    act_buf_append(&c->hdrs, at, n);
    return 0;
}

/* Refuses the current request's body for want of room under the process' input bound: what
 * it held is freed, the rest is read and thrown away, and the request is then answered 503
 * (a message is dropped). */
static void refuse_body(conn *c)
{
    c->discard = true;
    act__guard_release(c);
    act_buf_free(&c->body);
}

/* Which known header a field is (its name is n bytes long). */
static int known_header(const char *name, size_t n)
{
#define KNOWN(s) {s, sizeof s - 1}
    static const struct { const char *name; size_t len; } known[N_KNOWN_HEADERS] = {
        [H_USER_AGENT] = KNOWN("User-Agent"), [H_FROM] = KNOWN("Libprocess-From"),
        [H_TRACE] = KNOWN(ACT_TRACE_HEADER), [H_CONTENT_TYPE] = KNOWN("Content-Type")};
#undef KNOWN
    for (int h = 0; h < N_KNOWN_HEADERS; h++)
        if (known[h].len == n && strcasecmp(known[h].name, name) == 0) return h;
    return -1;
}

/* Notes where the known headers are (the first of each), in one pass over the head: a
 * message reads four, and a scan for each was 2% of a busy master's time. Offsets, since
 * trailers of a chunked body may still grow hdrs. */
static void note_headers(conn *c)
{
    const char *p = c->hdrs.data;
    for (size_t i = 0; i < c->nhdrs; i++) {
        size_t n = strlen(p);
        const char *value = p + n + 1;
        int h = known_header(p, n);
        if (h >= 0 && c->known[h] == SIZE_MAX) c->known[h] = (size_t)(value - c->hdrs.data);
        p = value + strlen(value) + 1;
    }
}

static int on_headers_complete(http_parser *p)
{
    conn *c = p->data;
    if (c->nhdrs) act_buf_putc(&c->hdrs, '\0');
    if (c->nhdrs && !c->in_value) act_buf_putc(&c->hdrs, '\0'); /* a field without value */
    note_headers(c);
    if (p->content_length != ULLONG_MAX && p->content_length > act__rt->max_body) {
        c->too_large = true;
        return -1;
    }
    if (p->upgrade) return -1;
    c->head_done = true;
    if (p->content_length != ULLONG_MAX && !act__guard_body_room(c, p->content_length))
        refuse_body(c);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    conn *c = p->data;
    c->body_seen += n;
    if (c->body_seen > act__rt->max_body) {
        c->too_large = true;
        return -1;
    }
    if (c->discard) return 0;
    if (!act__guard_body_room(c, n)) {
        refuse_body(c);
        return 0;
    }
    act_buf_append(&c->body, at, n);
    act__guard_hold(c, n);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    conn *c = p->data;
    c->in_request = false;
    http_parser_pause(p, 1); /* conn_feed goes on: the next request may skip the parser */
    handle_parsed_request(c);
    act__guard_release(c);
    /* A large body's memory is not kept for the life of the connection. */
    if (c->body.cap > CHUNK_SIZE) act_buf_free(&c->body);
    return 0;
}

/* ---- the message fast path --------------------------------------------------------------- */

#ifdef ACT_TEST_BUILD
/* For tests that hold the fast path against http_parser: set, every request goes through the
 * parser; the count is of requests the fast path took. Loop 0 only. */
bool act__transport_parser_only;
uint64_t act__transport_fast_requests;
#define FAST_PATH_ON (!act__transport_parser_only)
#define FAST_PATH_TOOK() act__transport_fast_requests++
#else
#define FAST_PATH_ON true
#define FAST_PATH_TOOK() ((void)0)
#endif

/* Length of the line at p (before its CRLF) if it ends within `end` in a CRLF and holds no
 * control character, else SIZE_MAX: http_parser refuses some (NUL, a lone CR) and takes
 * others (a tab, DEL in a value, a bare LF), so a line with any is left to it. Eight bytes at
 * a time: a byte under 0x20 or 0x7f ends the fast scan. */
static size_t plain_line(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    const char *q = p;
    for (; end - q >= 8; q += 8) {
        uint64_t x, del, hits;
        memcpy(&x, q, sizeof x);
        del = x ^ (0x7f * ones);
        hits = (((x - 0x20 * ones) & ~x) | ((del - ones) & ~del)) & highs;
        if (hits) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* a borrow marks only bytes above a hit: the lowest marked is one */
            q += __builtin_ctzll(hits) / 8;
#endif
            break;
        }
    }
    for (; q + 1 < end; q++) {
        unsigned char ch = (unsigned char)*q;
        if (ch == '\r') return q[1] == '\n' ? (size_t)(q - p) : SIZE_MAX;
        if (ch < 0x20 || ch == 0x7f) return SIZE_MAX;
    }
    return SIZE_MAX;
}

/* The bytes of a header name the fast path takes (http_parser takes more, and gets those). */
static const bool name_char[256] = {
    ['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true, ['-'] = true,
};

static bool name_is(const char *name, size_t n, const char *s)
{
    return strlen(s) == n && strncasecmp(name, s, n) == 0;
}

/* The head of a plain request, as fast_request found it in the bytes read. */
typedef struct plain_head {
    const char *url;
    size_t url_len, nh, length; /* length: the one Content-Length (SIZE_MAX: none yet) */
    struct { const char *name, *value; size_t name_len, value_len; } h[MAX_HEADERS];
} plain_head;

/* Takes the header line at p (`line` bytes, before its CRLF) into ph if it is "Name: value"
 * with a plain name and a value without edge spaces, and neither a second Content-Length nor
 * a header that changes the framing; false leaves the request to http_parser. */
static bool plain_header(plain_head *ph, const char *p, size_t line)
{
    const char *colon = memchr(p, ':', line);
    if (!colon || colon == p || ph->nh == MAX_HEADERS) return false;
    const char *v = colon + 1, *v_end = p + line;
    while (v < v_end && *v == ' ') v++;
    if (v == v_end || v_end[-1] == ' ') return false; /* the parser's trimming is its own */
    for (const char *q = p; q < colon; q++)
        if (!name_char[(unsigned char)*q]) return false;
    size_t nl = (size_t)(colon - p), vl = (size_t)(v_end - v);
    if (name_is(p, nl, "Transfer-Encoding") || name_is(p, nl, "Connection") ||
        name_is(p, nl, "Proxy-Connection") || name_is(p, nl, "Upgrade"))
        return false;
    if (name_is(p, nl, "Content-Length")) {
        if (ph->length != SIZE_MAX || vl > 9) return false;
        ph->length = 0;
        for (size_t i = 0; i < vl; i++) {
            if ((unsigned)(v[i] - '0') >= 10) return false;
            ph->length = ph->length * 10 + (size_t)(v[i] - '0');
        }
    }
    ph->h[ph->nh].name = p;
    ph->h[ph->nh].name_len = nl;
    ph->h[ph->nh].value = v;
    ph->h[ph->nh++].value_len = vl;
    return true;
}

/* Reads the head of a plain request at `data` (n bytes) into ph: "POST <path> HTTP/1.1", then
 * plain header lines (plain_header) and an empty line, all within n bytes and half the head
 * limit. Returns the head's bytes, or 0 to leave the request to http_parser. */
static size_t plain_head_read(plain_head *ph, const char *data, size_t n)
{
    static const char method[] = "POST /", version[] = " HTTP/1.1";
    const char *end = data + n, *p = data;
    if (n < sizeof method || memcmp(data, method, sizeof method - 1) != 0) return 0;
    size_t line = plain_line(p, end);
    if (line == SIZE_MAX || line < sizeof method + sizeof version - 2) return 0;
    const char *url = p + sizeof method - 2, *url_end = p + line - (sizeof version - 1);
    if (memcmp(url_end, version, sizeof version - 1) != 0) return 0;
    /* http_parser takes any other byte of a line in a path; a fragment is left to it */
    if (memchr(url, ' ', (size_t)(url_end - url)) || memchr(url, '#', (size_t)(url_end - url)))
        return 0;
    ph->url = url;
    ph->url_len = (size_t)(url_end - url);
    ph->nh = 0;
    ph->length = SIZE_MAX;
    for (p += line + 2; (line = plain_line(p, end)) != 0; p += line + 2)
        if (line == SIZE_MAX || !plain_header(ph, p, line)) return 0;
    p += 2;
    return (size_t)(p - data) > MAX_HEAD_BYTES / 2 ? 0 : (size_t)(p - data);
}

/* A plain request in full at `data` (n bytes) is handled here without http_parser, whose
 * byte-at-a-time state machine was 17% of a busy master's and of mesos-fleet's instructions:
 * "POST <path> HTTP/1.1", header lines "Name: value" of printable ASCII, one Content-Length
 * and the whole body. It goes through the same callbacks the parser calls. Anything else
 * (another method or version, Transfer-Encoding, Connection, Upgrade, a head or body that
 * is not all here) returns 0 and is left to http_parser, which is then at the start of a
 * request as well. Returns the bytes used. */
static size_t fast_request(conn *c, const char *data, size_t n)
{
    plain_head ph;
    size_t head = plain_head_read(&ph, data, n);
    if (!head || ph.length == SIZE_MAX || ph.length > act__rt->max_body ||
        n - head < ph.length)
        return 0;
    FAST_PATH_TOOK();
    http_parser *hp = &c->parser;
    hp->method = HTTP_POST;
    hp->http_major = 1;
    hp->http_minor = 1;
    hp->upgrade = 0;
    hp->flags = 0;
    hp->content_length = ph.length;
    /* The head fits the limits, so none of these refuses it. */
    on_message_begin(hp);
    on_url(hp, ph.url, ph.url_len);
    for (size_t i = 0; i < ph.nh; i++) {
        on_header_field(hp, ph.h[i].name, ph.h[i].name_len);
        on_header_value(hp, ph.h[i].value, ph.h[i].value_len);
    }
    on_headers_complete(hp);
    if (ph.length) on_body(hp, data + head, ph.length);
    hp->content_length = 0;
    on_message_complete(hp);
    return head + ph.length;
}

/* Feeds received bytes to the parser; on a framing error answers 400 and closes. */
static void conn_feed(conn *c, const char *data, size_t n)
{
    if (c->paused) { /* reading stops while paused; only the fuzz target feeds more */
        act_buf_append(&c->rest, data, n);
        return;
    }
    enum http_errno err = HPE_OK;
    while (n) {
        /* Between requests on a connection that stays open, a whole plain request skips the
         * parser; the parser takes anything else, and stops after each request it ends
         * (on_message_complete pauses it) so that the next may skip it again. */
        size_t took = 0, used;
        if (FAST_PATH_ON && !c->in_request &&
            (c->parser.http_major == 0 || http_should_keep_alive(&c->parser)))
            took = fast_request(c, data, n);
        if (took) {
            used = took;
        } else {
            used = http_parser_execute(&c->parser, &T->settings, data, n);
        }
        if (c->state == C_DEAD) return;
        err = HTTP_PARSER_ERRNO(&c->parser);
        bool more = took != 0;
        if (err == HPE_PAUSED && !c->paused) { /* one request done, none waits */
            http_parser_pause(&c->parser, 0);
            err = HPE_OK;
            more = true;
        }
        data += used;
        n -= used;
        /* A request that must wait (its answer, or its actor's queue under the
         * per-connection bound: deliver_message paused us) stops the loop, whichever path
         * read it; what follows is kept in `rest` below. */
        if (!more || c->paused) break;
    }
    if (err == HPE_PAUSED) { /* a request waits for its answer: keep what followed it */
        act_buf_append(&c->rest, data, n);
        ev_io_stop(T->ev, &c->rio);
        return;
    }
    if (err == HPE_OK && n == 0) return;
    char peer[32];
    act__conn_peer(c, peer, sizeof peer);
    if (c->too_large) {
        LOG_WARNING_LIMITED("Closing connection from %s: request body over the %zu byte limit",
                            peer, act__rt->max_body);
        conn_kill(c, NULL);
        return;
    }
    VLOG(1, "Bad HTTP from %s: %s", peer, http_errno_description(err));
    static const char bad[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    /* Earlier pipelined answers still pending are abandoned: the stream is unusable. */
    out_append(c, bad, sizeof bad - 1);
    c->close_after_write = true;
    c->parser.data = NULL; /* nothing more is parsed */
    ev_io_stop(T->ev, &c->rio);
    schedule_flush(c);
}

static void conn_resume(conn *c)
{
    c->paused = false;
    http_parser_pause(&c->parser, 0);
    act_buf rest = c->rest;
    act_buf_init(&c->rest);
    if (rest.len) conn_feed(c, rest.data, rest.len);
    act_buf_free(&rest);
    if (c->state != C_OPEN) return;
    if (!c->paused && c->parser.data) {
        ev_io_start(T->ev, &c->rio);
        if (act__tls_pending(c)) ev_feed_event(T->ev, &c->rio, EV_READ); /* no socket event */
    }
    act__guard_update(c);
}

/* Reads through the connection's TLS session (deciding an inbound connection's first), or
 * from its socket: bytes, 0 at the end, or a negative errno (-EPROTO: already dead). */
static ssize_t receive(conn *c, char *buf, size_t n)
{
    if (!c->outgoing && act__tls_on() && !c->tls && !c->plain) {
        int rc = act__tls_accept(c);
        if (rc < 0) return rc;
    }
    if (c->tls) return act__tls_read(c, buf, n);
    ssize_t r = recv(c->fd, buf, n, 0);
    return r < 0 ? -errno : r;
}

static void on_readable(struct ev_loop *ev, ev_io *w, int revents)
{
    conn *c = w->data;
    if (act__tls_write_wants_read(c)) {
        conn_flush(c);
        if (c->state != C_OPEN) return;
    }
    char buf[READ_SIZE];
    ssize_t r;
    do { /* peers answer messages with nothing we need: an outgoing connection drains */
        r = receive(c, buf, sizeof buf);
    } while (r > 0 && c->outgoing && act__tls_pending(c));
    if (r < 0) {
        if (r == -EAGAIN || r == -EWOULDBLOCK || r == -EINTR || r == -EPROTO) return;
        conn_kill(c, c->outgoing ? strerror((int)-r) : NULL);
        return;
    }
    if (r == 0) {
        conn_kill(c, NULL);
        return;
    }
    if (c->outgoing) return;
    act_counter_add(T->received, (uint64_t)r);
    act__guard_tick();
    conn_feed(c, buf, (size_t)r);
    if (c->state != C_OPEN) return;
    act__guard_update(c);
    if (act__tls_pending(c) && !c->paused && c->parser.data) /* more, next round */
        ev_feed_event(T->ev, &c->rio, EV_READ);
}

/* ---- dispatching what was parsed --------------------------------------------------------- */

/* The value of a known header of the current request, or NULL. */
static const char *header(conn *c, enum known_header h)
{
    return c->known[h] == SIZE_MAX ? NULL : c->hdrs.data + c->known[h];
}

/* A POST with Libprocess-From, or from libprocess itself (User-Agent: libprocess/<pid>, which
 * older versions send alone), is a message. */
static bool is_message(conn *c, act_pid *from, bool *libprocess)
{
    if (c->parser.method != HTTP_POST) return false;
    const char *ua = header(c, H_USER_AGENT);
    *libprocess = ua && strncmp(ua, "libprocess/", 11) == 0;
    const char *f = header(c, H_FROM);
    if (!f) {
        if (!*libprocess) return false;
        f = ua + 11;
    }
    if (act_pid_parse(f, from) != 0) memset(from, 0, sizeof *from);
    return true;
}

static void queue_reply(uint64_t conn_id, uint64_t seq, const void *data, size_t len,
                        bool close, bool stream, act_pull *pull);

/* Answers a message from a peer that is not libprocess itself, as libprocess answers them (it
 * answers libprocess nothing), in order with any other answers on the connection. */
static void answer_message(conn *c, int status)
{
    char head[96];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", status,
                     act__http_reason(status));
    queue_reply(c->id, c->next_seq++, head, (size_t)n, !http_should_keep_alive(&c->parser),
                false, NULL);
}

/* The message's trace context from its head; one that came without (a peer that is not
 * ours) starts a trace here. */
static act_trace received_trace(conn *c)
{
    act_trace tc;
    if (act__trace_parse(header(c, H_TRACE), &tc)) return tc;
    tc.span = tc.trace = act__span_new();
    tc.parent = 0;
    return tc;
}

/* Counts and records a message from the network that will not be delivered. */
static void drop_received(conn *c, const act_pid *from, const char *to, const char *name,
                          const act_trace *tc, const char *why)
{
    act__count_drop(why, to, name);
    if (!atomic_load_explicit(&act__rec_on, memory_order_relaxed)) return;
    rec_msg m = {.kind = REC_DROP, .from = from, .to_id = to, .to_ip = act__rt->address.ip,
                 .to_port = act__rt->address.port, .name = name, .len = c->body_seen,
                 .tc = tc, .reason = why};
    act__rec(&m);
}

/* Hands a message to its actor; false if it was dropped (counted and recorded): for
 * `refusal` (when not NULL), or because its path is malformed. */
static bool deliver_message(conn *c, const act_pid *from, bool libprocess, const char *ctype,
                            const char *refusal)
{
    act_trace tc = received_trace(c);
    /* URL: /<actor>/<name>[?...] */
    char *url = c->url.data ? c->url.data : "";
    url[strcspn(url, "?#")] = '\0';
    char *slash = url[0] == '/' ? strchr(url + 1, '/') : NULL;
    if (!slash || act_pid_is_none(from)) {
        drop_received(c, from, url, "", &tc,
                      slash ? "invalid Libprocess-From" : "malformed message path");
        return false;
    }
    *slash = '\0';
    const char *to = url + 1, *name = slash + 1;
    if (!act_name_valid(to) || !*name || strchr(name, '/')) {
        drop_received(c, from, to, name, &tc, "malformed message path");
        return false;
    }
    if (refusal) {
        drop_received(c, from, to, name, &tc, refusal);
        return false;
    }
    c->actor = true;
    act_entry *e = act__msg_entry_new(E_MSG, from, to, name, c->body.data, c->body.len,
                                      ctype[0] ? ctype : NULL);
    e->libprocess = libprocess;
    e->remote = true;
    e->tc = tc;
    if (act__guard_message(c, e)) { /* its queue is full: read on once it has room */
        http_parser_pause(&c->parser, 1);
        c->paused = true;
    }
    act__deliver(e);
    return true;
}

/* A sender names itself in Libprocess-From; its port is whatever port it listens on (the
 * connection comes from another), but its address must be the connection's: a message that
 * names another host is forged and is dropped (libprocess trusted the header; we do not). */
static bool sender_matches_peer(conn *c, const act_pid *from)
{
    if (act_pid_is_none(from) || from->ip == c->ip) return true;
    char claimed[ACT_PID_STRLEN], peer[16];
    act_counter_inc(act_counter_get("runtime/spoofed_messages"));
    if (act__rt->dropped) act_counter_inc(act__rt->dropped);
    LOG_WARNING_LIMITED("Dropping message %s: Libprocess-From %s but sent from %s",
                        c->url.data ? c->url.data : "", act_pid_format(from, claimed,
                        sizeof claimed), act_ip_format(c->ip, peer, sizeof peer));
    return false;
}

/* A message from a peer that is not ours (libprocess, or another body type) first records the
 * peer (peer.c), so whatever its actor answers goes out in the peer's form, and unless it is
 * libprocess itself gets 202 Accepted (503 when refused for lack of room, 400 if malformed or
 * forged). */
static void handle_message(conn *c, const act_pid *from, bool libprocess, const char *refusal)
{
    char ctype[ACT_CONTENT_TYPE_MAX];
    act__content_type(header(c, H_CONTENT_TYPE), ctype, sizeof ctype);
    bool foreign = libprocess || ctype[0];
    if (!sender_matches_peer(c, from)) {
        if (foreign && !libprocess) answer_message(c, 400);
        return;
    }
    if (foreign && !act_pid_is_none(from)) act__peer_heard(from->ip, from->port, libprocess, ctype);
    bool delivered = deliver_message(c, from, libprocess, ctype, refusal);
    if (foreign && !libprocess) answer_message(c, delivered ? 202 : refusal ? 503 : 400);
}

static act_http_req *build_request(conn *c)
{
    act_http_req *r = act_calloc(1, sizeof *r);
    r->conn_id = c->id;
    r->seq = c->next_seq++;
    r->keep_alive = http_should_keep_alive(&c->parser);
    r->http10 = c->parser.http_major < 1 ||
                (c->parser.http_major == 1 && c->parser.http_minor == 0);
    r->method = act_strdup(http_method_str((enum http_method)c->parser.method));
    r->url = act_strdup(c->url.data ? c->url.data : "/");
    const char *q = strchr(r->url, '?');
    r->query = act_strdup(q ? q + 1 : "");
    r->hdr_count = c->nhdrs;
    r->hdr_names = act_calloc(c->nhdrs + 1, sizeof *r->hdr_names);
    r->hdr_values = act_calloc(c->nhdrs + 1, sizeof *r->hdr_values);
    const char *p = c->hdrs.data;
    for (size_t i = 0; i < c->nhdrs; i++) {
        r->hdr_names[i] = act_strdup(p);
        p += strlen(p) + 1;
        r->hdr_values[i] = act_strdup(p);
        p += strlen(p) + 1;
    }
    r->body_len = c->body.len;
    r->body = act_malloc(c->body.len + 1);
    if (c->body.len) memcpy(r->body, c->body.data, c->body.len);
    r->body[c->body.len] = 0;
    return r;
}

static void handle_parsed_request(conn *c)
{
    act_pid from;
    bool libprocess;
    if (is_message(c, &from, &libprocess)) {
        handle_message(c, &from, libprocess, c->discard ? "too much buffered input" : NULL);
        return;
    }
    /* One request at a time: the next is parsed once this one's answer is queued and the
     * connection's output has room, so a client that sends and never reads stops being read. */
    http_parser_pause(&c->parser, 1);
    c->paused = true;
    if (c->discard) {
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                   "Connection: close\r\n\r\n";
        queue_reply(c->id, c->next_seq++, busy, sizeof busy - 1, true, false, NULL);
        return;
    }
    act_http_req *req = build_request(c);
    char *path = act_strdup(req->url);
    path[strcspn(path, "?#")] = '\0';
    act__http_route_request(req, path);
    free(path);
}

/* ---- replies ----------------------------------------------------------------------------- */

static void write_ready_replies(conn *c)
{
    while (c->pending && c->pending->seq == c->write_seq && !c->streaming) {
        reply *r = c->pending;
        c->pending = r->next;
        out_append(c, r->data, r->len);
        if (r->stream || r->pull) {
            c->streaming = true;
            c->pull = r->pull;
        } else {
            c->write_seq++;
        }
        if (r->close) {
            c->close_after_write = true;
            if (c->parser.data) ev_io_stop(T->ev, &c->rio);
        }
        free(r);
    }
    act__guard_update(c);
    schedule_flush(c);
}

/* Queues a complete response (or a stream head) for slot seq of connection conn_id. */
static void queue_reply(uint64_t conn_id, uint64_t seq, const void *data, size_t len,
                        bool close, bool stream, act_pull *pull)
{
    conn *c = find_by_id(conn_id);
    if (!c || c->state == C_DEAD) { /* the client went away */
        act__pull_free(pull);
        return;
    }
    reply *r = act_malloc(sizeof *r + len);
    r->seq = seq;
    r->close = close;
    r->stream = stream;
    r->pull = pull;
    r->len = len;
    memcpy(r->data, data, len);
    reply **pp = &c->pending;
    while (*pp && (*pp)->seq < seq) pp = &(*pp)->next;
    r->next = *pp;
    *pp = r;
    write_ready_replies(c);
}

void act__transport_reply(uint64_t conn_id, uint64_t seq, const void *data, size_t len,
                          bool close, bool stream, act_pull *pull)
{
    queue_reply(conn_id, seq, data, len, close, stream, pull);
}

size_t act__transport_stream_room(uint64_t conn_id)
{
    conn *c = find_by_id(conn_id);
    if (!c || c->state == C_DEAD) return SIZE_MAX; /* a write finds out, and says so */
    return c->streaming ? act__guard_room(c) : 0;
}

/* Queues len bytes of a streamed body as one chunk. With nothing queued before it, a plain
 * socket takes the chunk straight from data (a /__trace__ flush is tens of kB: no copy into
 * the output); what it does not take, or all of it on any error, is queued as usual and
 * conn_flush meets the error. */
static void stream_chunk(conn *c, const void *data, size_t len)
{
    char head[24];
    int n = snprintf(head, sizeof head, "%zx\r\n", len);
    struct iovec iov[3] = {{head, (size_t)n}, {(void *)data, len}, {"\r\n", 2}};
    size_t sent = 0;
    if (!c->out_head && !c->tls && c->state == C_OPEN) {
        ssize_t w = send_iov(c, iov, 3);
        if (w > 0) sent = (size_t)w;
#ifdef ACT_TEST_BUILD
        if (sent && sent < (size_t)n + len + 2)
            atomic_fetch_add_explicit(&act__transport_short_chunks, 1, memory_order_relaxed);
#endif
        c->queued_total += sent;
        c->written_total += sent;
    }
    for (int i = 0; i < 3; i++) {
        size_t skip = sent < iov[i].iov_len ? sent : iov[i].iov_len;
        sent -= skip;
        out_append(c, (const char *)iov[i].iov_base + skip, iov[i].iov_len - skip);
    }
}

int act__transport_stream_write(uint64_t conn_id, const void *data, size_t len, bool end)
{
    conn *c = find_by_id(conn_id);
    if (!c || c->state == C_DEAD) return -EPIPE;
    if (!c->streaming) return 0; /* head not written yet: best effort, drop */
    if (len && act__guard_room(c) < len) return -ENOBUFS;
    if (len) stream_chunk(c, data, len);
    if (end) {
        out_append(c, "0\r\n\r\n", 5);
        c->streaming = false;
        c->write_seq++;
        write_ready_replies(c);
    }
    schedule_flush(c);
    return 0;
}

/* ---- sending messages -------------------------------------------------------------------- */

/* The head of a message to a peer that is not ours (peer.c): the User-Agent libprocess sends,
 * if the peer sent it, Libprocess-From, and the Connection and Host such peers expect. */
static int foreign_head(char *p, size_t n, const act_entry *e, const char *from,
                        const act_peer *peer, const char *ctype)
{
    char ip[16];
    act_ip_format(e->to_ip, ip, sizeof ip);
    return snprintf(p, n,
                    "POST /%s/%s HTTP/1.1\r\n%s%s%sLibprocess-From: %s\r\n"
                    "Connection: Keep-Alive\r\nHost: %s:%u\r\nContent-Type: %s\r\n"
                    "Content-Length: %zu\r\n\r\n",
                    e->to_id, e->name, peer->libprocess ? "User-Agent: libprocess/" : "",
                    peer->libprocess ? from : "", peer->libprocess ? "\r\n" : "", from, ip,
                    e->to_port, ctype, e->len);
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* The head of a message to one of our own peers, written piece by piece (a snprintf of it
 * cost a busy master 4% of its time); queue_message reserved room for it. */
static int own_head(char *start, const act_entry *e, const char *from, const char *tc,
                    const char *ctype)
{
    char *p = put_str(start, "POST /");
    p = put_str(put_str(put_str(p, e->to_id), "/"), e->name);
    p = put_str(p, " HTTP/1.1\r\n");
    if (from[0]) p = put_str(put_str(put_str(p, "Libprocess-From: "), from), "\r\n");
    p = put_str(put_str(put_str(p, ACT_TRACE_HEADER ": "), tc), "\r\n");
    p = put_str(put_str(put_str(p, "Content-Type: "), ctype), "\r\n");
    p = put_str(act_put_u64(put_str(p, "Content-Length: "), e->len), "\r\n\r\n");
    return (int)(p - start);
}

/* Our own peers get the message's trace context (peers that are not ours, none). */
static void queue_message(conn *c, const act_entry *e)
{
    char from[ACT_PID_STRLEN], tc[ACT_TRACE_STRLEN];
    act_pid_format(&e->from, from, sizeof from);
    act__trace_format(&e->tc, tc);
    const char *ctype = e->ctype ? e->ctype : ACT_CONTENT_TYPE_DEFAULT;
    size_t max_head = 320 + strlen(e->to_id) + strlen(e->name) + 2 * strlen(from) +
                      strlen(ctype);
    char *p = out_reserve(c, max_head + e->len);
    act_peer peer;
    bool foreign = from[0] && act__peer_at(e->to_ip, e->to_port, &peer);
    int n = foreign ? foreign_head(p, max_head, e, from, &peer, ctype)
                    : own_head(p, e, from, tc, ctype);
    memcpy(p + n, e->body, e->len);
    out_commit(c, (size_t)n + e->len);
    if (foreign && atomic_load_explicit(&act__rec_on, memory_order_relaxed)) foreign_push(c, e);
    schedule_flush(c);
}

/* Links are one-shot: a second link of the same pair while the first is pending is the same
 * link. The linker is local and the target at c's address, so their ids name the pair. */
static void add_link(conn *c, const act_pid *linker, const act_pid *target)
{
    char key[2 * ACT_ID_MAX + 2];
    snprintf(key, sizeof key, "%s\n%s", linker->id, target->id);
    if (!c->link_index) c->link_index = act_map_new();
    if (act_map_put(c->link_index, key, (void *)1)) return;
    if (c->nlinks == c->links_cap) {
        c->links_cap = c->links_cap ? c->links_cap * 2 : 4;
        c->links = act_realloc(c->links, c->links_cap * sizeof *c->links);
    }
    c->links[c->nlinks].linker = *linker;
    c->links[c->nlinks].target = *target;
    c->nlinks++;
}

void act__transport_handle(act_entry *e)
{
    if (e->kind == E_HTTP_REPLY) {
        act_pull *pull = e->u.reply.pull;
        e->u.reply.pull = NULL; /* the transport's now */
        if (T) act__guard_tick();
        queue_reply(e->u.reply.conn_id, e->u.reply.seq, e->body, e->len, e->u.reply.close,
                    false, pull);
        act__entry_free(e);
        return;
    }
    conn *c = T ? get_outgoing(e->to_ip, e->to_port) : NULL;
    if (e->kind == E_REMOTE_SEND) {
        if (c) {
            queue_message(c, e);
        } else {
            act__count_drop("cannot connect", e->to_id, e->name);
            if (atomic_load_explicit(&act__rec_on, memory_order_relaxed))
                act__rec_entry_drop(e, NULL, "cannot connect");
        }
    } else if (e->kind == E_REMOTE_LINK) {
        act_pid target;
        memset(&target, 0, sizeof target);
        snprintf(target.id, sizeof target.id, "%s", e->to_id);
        target.ip = e->to_ip;
        target.port = e->to_port;
        if (c)
            add_link(c, &e->from, &target);
        else
            act__deliver(act__entry_new(E_EXITED, &target, e->from.id, NULL, NULL, 0));
    }
    if (c && c->connect_err) conn_kill(c, strerror(c->connect_err));
    act__entry_free(e);
}

/* ---- setup and teardown ------------------------------------------------------------------ */

int act__transport_init(void)
{
    act_runtime *rt = act__rt;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(rt->bind_port),
                             .sin_addr.s_addr = htonl(rt->bind_ip)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) {
        int err = errno;
        char ip[16];
        LOG_ERROR("Failed to bind %s:%u: %s", act_ip_format(rt->bind_ip, ip, sizeof ip),
                  rt->bind_port, strerror(err));
        close(fd);
        return -err;
    }
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    rt->bind_port = ntohs(sa.sin_port);
    rt->listen_fd = fd;
    return 0;
}

void act__transport_start(struct ev_loop *ev)
{
    T = act_calloc(1, sizeof *T);
    T->ev = ev;
    T->listen_fd = act__rt->listen_fd;
    http_parser_settings_init(&T->settings);
    T->settings.on_message_begin = on_message_begin;
    T->settings.on_url = on_url;
    T->settings.on_header_field = on_header_field;
    T->settings.on_header_value = on_header_value;
    T->settings.on_headers_complete = on_headers_complete;
    T->settings.on_body = on_body;
    T->settings.on_message_complete = on_message_complete;
    tables_grow();
    if (T->listen_fd >= 0) {
        ev_io_init(&T->accept_io, on_accept, T->listen_fd, EV_READ);
        ev_io_start(ev, &T->accept_io);
    }
    act__guard_start();
}

void act__transport_shutdown(void)
{
    if (!T) return;
    for (size_t i = 0; i < T->cap; i++)
        while (T->by_id[i]) {
            conn *c = T->by_id[i];
            c->nlinks = 0; /* the actors are gone: no exited events */
            conn_kill(c, NULL);
        }
    act__transport_flush();
    act__guard_stop();
    if (T->listen_fd >= 0) {
        ev_io_stop(T->ev, &T->accept_io);
        close(T->listen_fd);
    }
    act_buf_free(&T->scratch);
    while (T->spare) {
        chunk *k = T->spare;
        T->spare = k->next;
        free(k);
    }
    free(T->by_id);
    free(T->by_addr);
    free(T);
    T = NULL;
    act__peers_reset();
}

#ifdef ACT_FUZZING
/* For the fuzz targets: an incoming connection on fd (one end of a socketpair); 0 if the
 * guard refused it. */
uint64_t act__transport_fuzz_open(int fd);
uint64_t act__transport_fuzz_open(int fd)
{
    act__guard_tick();
    conn *c = inbound_open(fd, 0x7f000001u, 1);
    return c ? c->id : 0;
}

/* Runs the connection's read handler once (what arrived on its socket goes through TLS and
 * the parser) and writes what it has to; false once the connection is gone. */
bool act__transport_fuzz_pump(uint64_t id);
bool act__transport_fuzz_pump(uint64_t id)
{
    conn *c = find_by_id(id);
    if (!c || c->state != C_OPEN) return false;
    on_readable(T->ev, &c->rio, EV_READ);
    if ((c = find_by_id(id)) && c->state == C_OPEN) conn_flush(c);
    return (c = find_by_id(id)) && c->state == C_OPEN;
}

/* Lets the loops answer the connection's requests one by one, as they would, then closes it
 * (the loops may have closed and freed it already: it is looked up each time). */
void act__transport_fuzz_close(uint64_t id);
void act__transport_fuzz_close(uint64_t id)
{
    conn *c;
    for (int i = 0; i < 256 && (c = find_by_id(id)) && c->paused; i++)
        act__fuzz_run_until_idle();
    if ((c = find_by_id(id))) conn_kill(c, NULL);
    act__transport_flush();
}

/* An incoming connection on a socketpair nobody reads fed the given bytes in two reads. */
int act__transport_fuzz_feed(const uint8_t *data, size_t n, size_t split);
int act__transport_fuzz_feed(const uint8_t *data, size_t n, size_t split)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return -errno;
    uint64_t id = act__transport_fuzz_open(sv[0]);
    conn *c = find_by_id(id);
    if (split > n) split = n;
    if (c) conn_feed(c, (const char *)data, split);
    if (c && c->state == C_OPEN && c->parser.data)
        conn_feed(c, (const char *)data + split, n - split);
    act__transport_fuzz_close(id);
    close(sv[1]);
    return 0;
}
#endif
