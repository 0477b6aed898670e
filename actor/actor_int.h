/*
 * actor_int.h - structures shared by the runtime's own files (never included outside actor/).
 * The runtime is a set of loops; each loop owns its actors, a run queue of actors with mail,
 * a timer heap, and a lock-free MPSC inbox through which other threads hand it work. Loop 0
 * also owns every socket: the listener, incoming connections and the outgoing pool.
 */
#ifndef ACTOR_ACTOR_INT_H
#define ACTOR_ACTOR_INT_H

#include "actor/actor.h"

#include <ev.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* ---- entries: everything that travels through mailboxes and inboxes ---------------------- */

typedef enum entry_kind {
    E_MSG,          /* a message (body bytes or a posted object) for actor to_id */
    E_DISPATCH,     /* run u.call.fn in to_id's context */
    E_TIMER,        /* a due timer: u.timer_id */
    E_EXITED,       /* from (the pid) exited; for to_id */
    E_LINK,         /* from links to local actor to_id */
    E_HTTP,         /* an HTTP request u.req for actor to_id */
    E_TERMINATE,    /* terminate to_id */
    E_INIT,         /* first entry of every mailbox: run the init callback */
    E_SCHEDULE,     /* loop inbox only: put actor u.actor on the run queue */
    E_LOOP_CALL,    /* loop inbox only: run u.loop_call.fn on the loop, outside any actor */
    /* loop 0 (I/O) inbox only: */
    E_REMOTE_SEND,  /* encode and send to to_ip:to_port */
    E_REMOTE_LINK,  /* from links to a remote pid (to_id at to_ip:to_port) */
    E_HTTP_REPLY,   /* response bytes (body) for connection u.reply.conn_id, slot seq */
} entry_kind;

typedef struct act_entry act_entry;
typedef struct act_credit act_credit;
struct act_loop;
struct act_entry {
    _Atomic(act_entry *) next;
    entry_kind kind;
    uint32_t to_ip;
    uint16_t to_port;
    bool anonymous_http; /* E_MSG from a plain HTTP POST */
    bool skip_filter;    /* a held message being released */
    bool libprocess;     /* E_MSG: the sender is libprocess (act_msg.libprocess) */
    bool remote;         /* E_MSG: came in from the network (never for act_on_local handlers) */
    uint8_t to_len;      /* strlen(to_id) and strlen(name) when 1..255, else 0: the flight */
    uint8_t name_len;    /* recorder compares them without a call (recorder.c) */
    int8_t size_class;   /* its block's size class in the loops' entry pools; -1: none */
    char *ctype;         /* E_MSG, E_REMOTE_SEND: the body's media type; NULL = the default */
    char *to_id;         /* points into payload (or NULL) */
    char *name;          /* points into payload (E_MSG), right after to_id's NUL */
    uint8_t *body;       /* points into payload */
    size_t len;
    act_trace tc;        /* E_MSG, E_REMOTE_SEND: the message's context; E_DISPATCH: the
                            dispatcher's (what the call runs in) */
    act_credit *credit;  /* E_MSG from a connection under a queue bound: released when the
                            entry is freed (guard.c) */
    union {
        struct { void *obj; void (*free_obj)(void *); } post;
        struct { act_fn fn; void *arg; } call;
        struct { void (*fn)(struct act_loop *l, void *arg); void *arg; } loop_call;
        act_timer_id timer_id;
        act_http_req *req;
        act_actor *actor;
        struct { uint64_t conn_id; uint64_t seq; bool close; struct act_pull *pull; } reply;
    } u;
    act_pid from;
    char payload[];
};

/* Allocates an entry with room for to_id, name and body copied into its payload. */
act_entry *act__entry_new(entry_kind kind, const act_pid *from, const char *to_id,
                          const char *name, const void *body, size_t len);
/* The same for a message whose body has media type ctype (NULL = the default), copied too. */
act_entry *act__msg_entry_new(entry_kind kind, const act_pid *from, const char *to_id,
                              const char *name, const void *body, size_t len, const char *ctype);
/* Frees the entries a loop keeps for reuse (its teardown). */
void act__entry_pool_free(struct act_loop *l);
/* Releases an entry that will not be delivered: posted objects are freed, dispatches run
 * fn(NULL, arg), HTTP requests are answered 404. */
void act__entry_drop(act_entry *e);
/* Frees an entry and what it still owns (an E_HTTP_REPLY's producer, its credit). */
void act__entry_free(act_entry *e);
/* (guard.c) The entry that held one of a connection's credits is gone: when the connection
 * stopped reading for want of credits and enough have come back, loop 0 reads it again. Any
 * thread. */
void act__credit_release(act_credit *cr);

/* ---- MPSC inbox (Vyukov's intrusive queue) ----------------------------------------------- */

typedef struct mpsc_queue {
    _Atomic(act_entry *) head; /* producers exchange here */
    act_entry *tail;           /* the consumer's end */
    act_entry *stub;           /* owned; allocated by act__mpsc_init */
} mpsc_queue;

void act__mpsc_init(mpsc_queue *q);
void act__mpsc_push(mpsc_queue *q, act_entry *e);
/* Returns the oldest entry or NULL when empty (or momentarily inconsistent; retry later). */
act_entry *act__mpsc_pop(mpsc_queue *q);
bool act__mpsc_empty(mpsc_queue *q);
void act__mpsc_destroy(mpsc_queue *q); /* after draining it */

/* ---- actors ------------------------------------------------------------------------------ */

typedef struct handler_slot {
    const char *name; /* owned copy; NULL = empty slot */
    uint32_t hash;
    act_msg_fn fn;
    bool local_only;  /* act_on_local: messages from this process only */
} handler_slot;

typedef struct route {
    char *path;
    act_http_fn fn;
    char *help;
    bool protect;  /* act_route_protected: HTTP Basic when an authenticator is set */
} route;

typedef struct pid_list {
    act_pid *items;
    size_t count, cap;
} pid_list;

typedef struct timer_rec timer_rec;

struct act_actor {
    char name[ACT_ID_MAX];
    void *state;
    int loop;
    bool spawned;
    bool exiting;      /* act_exit called: terminate after this handler */
    bool terminated;
    /* immutable after spawn */
    handler_slot *handlers;
    size_t handler_cap, handler_count;
    route *routes;
    size_t route_count;
    act_exited_fn on_exited;
    act_fn on_init, on_term;
    void *init_arg, *term_arg;
    /* owned by the loop thread */
    act_entry *mb_head, *mb_tail;
    act_actor *runq_next;
    act_actor *tnext;      /* table chain */
    act_actor *lnext;      /* the loop's own lookup chain */
    bool in_runq;
    pid_list linkers;      /* actors to tell when we terminate */
    timer_rec *timers;     /* pending timers of this actor (doubly linked) */
    /* statistics, read by /__actors__ from loop 0 */
    _Atomic uint64_t stat_in, stat_out, stat_ns, stat_depth, stat_links;
    /* what waits in the mailbox by kind: messages, dispatches (and timers), HTTP requests */
    _Atomic uint64_t stat_queued[3];
};

/* The handler for messages named `name` that came from the network (remote) or from this
 * process; NULL if there is none for such a message. */
act_msg_fn act__find_handler(const act_actor *a, const char *name, bool remote);

/* ---- timers ------------------------------------------------------------------------------ */

struct timer_rec {
    act_timer_id id;
    double deadline;
    act_actor *actor;
    act_fn fn;
    void *arg;
    size_t heap_index;     /* position in the loop's heap while pending */
    bool fired;            /* its E_TIMER entry is in the mailbox */
    bool canceled;
    act_trace tc;          /* the context it was armed in, which its callback runs in */
    timer_rec *prev, *next; /* the actor's list */
    timer_rec *hnext;      /* id hash chain */
};

/* ---- loops ------------------------------------------------------------------------------- */

#define ACT_ENTRY_CLASSES 4 /* entry blocks of 256, 512, 1024 and 2048 bytes are pooled */

typedef struct act_loop {
    int index;
    struct ev_loop *ev;
    pthread_t thread;
    bool thread_started;
    ev_async wake;
    ev_prepare prepare;
    ev_check check;
    ev_idle idle;
    ev_timer timer;
    mpsc_queue inbox;
    act_actor *runq_head, *runq_tail;
    /* this loop's live actors by name: lock-free lookups for same-loop sends */
    act_actor **local;
    size_t local_cap, local_count;
    /* timers */
    timer_rec **heap;
    size_t heap_len, heap_cap;
    timer_rec **timer_hash;
    size_t timer_hash_cap, timer_count; /* count: records in the hash */
    /* settle */
    pthread_mutex_t settle_mu;
    pthread_cond_t settle_cv;
    uint64_t settle_req, settle_done;
    _Atomic uint64_t activity;
    double spin_until; /* poll without sleeping until then (monotonic seconds) */
    _Atomic bool stop;
    /* freed entries kept for reuse by this loop's thread, by size class (actor.c) */
    act_entry *pool[ACT_ENTRY_CLASSES];
    uint32_t pool_len[ACT_ENTRY_CLASSES];
    struct rec_ring *rec; /* the flight recorder's ring of its events (recorder.c) */
} act_loop;

typedef struct act_runtime {
    act_loop *loops;
    int nloops;
    act_pid address;      /* advertised */
    uint32_t bind_ip;
    uint16_t bind_port;
    size_t max_body;
    /* what one flood of clients may cost (act_config) */
    double header_timeout, body_timeout, idle_timeout, send_timeout;
    size_t max_input, max_output, max_conn_output;
    _Atomic size_t max_queued; /* act_set_max_queued_messages; 0: no bound */
    int listen_fd;
    /* actor table: name -> actor */
    pthread_rwlock_t table_lock;
    act_actor **table;
    size_t table_cap, table_count;
    char default_actor[ACT_ID_MAX];
    act_http_auth_fn http_auth; /* act_http_set_authenticator (under table_lock) */
    void *http_auth_ctx;
    char http_realm[64];
    _Atomic bool running;
    _Atomic uint64_t next_timer_id;
    act_counter *dropped;
    struct transport *transport; /* loop 0's sockets */
} act_runtime;

extern act_runtime *act__rt;
extern _Thread_local act_loop *act__current_loop;

/* Table access. act__table_lookup_* must be called with table_lock held. */
act_actor *act__table_find(const char *name);
int act__lookup_loop(const char *name); /* -1 if no such actor */

/* Delivery: routes an entry to the loop owning its target actor (or drops it). */
void act__deliver(act_entry *e);
/* Sends from threads that run no loop pass a gate: open while a runtime exists, closed by
 * act_shutdown once the actors are gone (later sends are dropped). */
void act__gate_open(void);
void act__gate_close(void);
/* Hands an E_REMOTE_SEND to the transport on loop 0. */
void act__send_remote(act_entry *e);
/* Puts an entry into a loop's inbox and wakes it. */
void act__loop_push(act_loop *l, act_entry *e);
/* Runs fn(l, arg) on loop `loop` between actors' handlers, where every mailbox of that loop
 * may be read; fn(NULL, arg) if the runtime shuts down first. Any thread. */
void act__loop_call(int loop, void (*fn)(act_loop *l, void *arg), void *arg);
/* Enqueues into a local actor's mailbox (loop thread only). */
void act__mailbox_put(act_loop *l, act_actor *a, act_entry *e);
/* Queues the actor to run if it has mail and is not queued (loop thread only). */
void act__runq_add(act_loop *l, act_actor *a);
bool act__is_local(uint32_t ip, uint16_t port);
void act__count_drop(const char *why, const char *to, const char *name);

/* ---- clock and timers (clock.c) ---------------------------------------------------------- */
void act__clock_init(void);
void act__timers_fire_due(act_loop *l);     /* move due timers into mailboxes */
void act__timers_arm(act_loop *l);          /* (re)arm the loop's ev_timer */
void act__timers_cancel_actor(act_loop *l, act_actor *a);
timer_rec *act__timer_take(act_loop *l, act_timer_id id); /* fired record, removed */
void act__timers_free(act_loop *l);
bool act__timers_due(act_loop *l);

/* ---- filters (filter.c) ------------------------------------------------------------------ */
/* Returns true when the entry (an E_MSG about to enter a mailbox, or an E_REMOTE_SEND about
 * to leave the process) was consumed (dropped or held) by a filter. Cheap when no filter is
 * installed. */
bool act__filter_apply(act_entry *e, const char *to_id);
void act__filters_reset(void);

/* ---- transport (transport.c), loop 0 only ------------------------------------------------ */
int act__transport_init(void);         /* listener on the configured address */
void act__transport_start(struct ev_loop *ev);
void act__transport_shutdown(void);
void act__transport_handle(act_entry *e); /* E_REMOTE_SEND / E_REMOTE_LINK / E_HTTP_REPLY */
void act__transport_flush(void);       /* write buffered output (prepare watcher) */
/* TLS (tls.c) from LIBPROCESS_SSL_*: read at act_init (0, or -EINVAL after logging why), and
 * released at act_shutdown. */
int act__tls_init(void);
void act__tls_shutdown(void);

/* ---- peers that are not ours (peer.c) ---------------------------------------------------- */
/* The media type of a Content-Type header value, without parameters, into out (n bytes):
 * "" for none, for ACT_CONTENT_TYPE_DEFAULT and for what does not fit. */
void act__content_type(const char *value, char *out, size_t n);
/* Records (or refreshes) the peer at ip:port that sent a message as libprocess or with a body
 * type other than the default. */
void act__peer_heard(uint32_t ip, uint16_t port, bool libprocess, const char *content_type);
/* True, with *out filled, if the peer at ip:port was recorded. */
bool act__peer_at(uint32_t ip, uint16_t port, act_peer *out);
void act__peers_reset(void);

/* A response body made by a producer as the client takes it: http.c builds it, the
 * transport drives it on loop 0 and frees it. */
typedef struct act_pull {
    act_http_producer p;
    int64_t left; /* bytes still owed when the length was announced, else -1 */
    bool chunked; /* framed as chunks (length unknown, HTTP/1.1) */
} act_pull;
/* Runs the producer's release and frees the pull. NULL is ignored. */
void act__pull_free(act_pull *pl);

/* Queues the response head (or a whole response) for slot seq of connection conn_id; the
 * slot is complete after it unless `stream` (a push stream follows) or `pull` (a produced
 * body follows; the transport takes it). close: close once written. */
void act__transport_reply(uint64_t conn_id, uint64_t seq, const void *data, size_t len,
                          bool close, bool stream, act_pull *pull);
/* A push stream's next chunk / its end. Returns 0, -EPIPE when the client is gone, or
 * -ENOBUFS when the connection's output is over its bound (the chunk is dropped). */
int act__transport_stream_write(uint64_t conn_id, const void *data, size_t len, bool end);
/* Bytes a push stream may queue now (SIZE_MAX once the client is gone: a write says so). */
size_t act__transport_stream_room(uint64_t conn_id);
size_t act__http_stream_room(const act_http_stream *s);

/* ---- HTTP (http.c) ----------------------------------------------------------------------- */
struct conn;
struct act_http_req {
    uint64_t conn_id;
    uint64_t seq;
    bool keep_alive;
    bool http10;
    char *method;
    char *url;
    char *path;          /* below the actor */
    char *query;         /* raw query string (no '?'), may be "" */
    char **hdr_names, **hdr_values;
    size_t hdr_count;
    uint8_t *body;
    size_t body_len;
    char **q_keys, **q_values; /* decoded query, built lazily */
    size_t q_count;
    bool q_parsed;
    char **f_keys, **f_values; /* decoded form body (a=1&b=2), built lazily */
    size_t f_count;
    bool f_parsed;
    act_http_fn fn;
    char *principal;     /* who authenticated with HTTP Basic, or NULL */
};
void act__http_route_request(act_http_req *req, const char *target_path);
/* (http_auth.c) For a request on a protected route: true if it may reach its handler (no
 * authenticator, or valid Basic credentials: req->principal is set); else false with the
 * realm to answer with. Call with table_lock held; answer (act__http_auth_refuse) without. */
bool act__http_auth_check(act_http_req *req, char *realm, size_t n);
void act__http_auth_refuse(act_http_req *req, const char *realm);
void act__http_req_free(act_http_req *req);
/* Builds the bytes of a full response. */
void act__http_format_response(act_buf *out, int status, const char *ctype, const void *body,
                               size_t len, const char *extra, bool keep_alive);
const char *act__http_reason(int status);
void act__internal_actors_spawn(void);
void act__trace_reset(void); /* the /__trace__ watchers (introspect.c) */

/* ---- trace contexts and the flight recorder (recorder.c) --------------------------------- */

/* The context of the entry running on this thread: set around each one by actor.c. */
extern _Thread_local act_trace act__cur_trace;
/* A new span, unique in practice across processes. */
uint64_t act__span_new(void);
/* The context of a message sent now: a child of the running entry's, or a new trace. */
act_trace act__trace_child(void);
/* "<trace>/<span>/<parent>" (16 hex digits each) into out (ACT_TRACE_STRLEN bytes). */
#define ACT_TRACE_STRLEN 52
void act__trace_format(const act_trace *tc, char *out);
/* Parses that form; false (out untouched) when malformed or a span is 0. */
bool act__trace_parse(const char *text, act_trace *out);

typedef enum rec_kind { REC_SEND, REC_RECV, REC_DROP } rec_kind;

/* One message event as the recording code describes it. */
typedef struct rec_msg {
    rec_kind kind;
    const act_pid *from;
    const char *to_id;          /* the receiving actor ... */
    uint32_t to_ip;             /* ... at this address */
    uint16_t to_port;
    const char *name;
    const uint8_t *body;        /* len bytes, or NULL (len is then only a size) */
    size_t len;
    const char *ctype;          /* NULL = the default */
    bool libprocess;
    const act_trace *tc;
    const char *reason;         /* REC_DROP: why */
    uint16_t to_room, name_room; /* bytes readable at to_id and name (at least the string's
                                  * length + 1; 0 = unknown, compared as C strings) */
    bool joined;                /* name follows to_id's NUL, both rooms exact (an entry's
                                 * payload): compared as one run */
} rec_msg;

/* True while events are recorded (the recorder is on, or someone watches /__trace__). */
extern _Atomic bool act__rec_on;
/* Records one event on the calling thread's ring. */
void act__rec(const rec_msg *m);
/* act__rec for an entry (E_MSG or E_REMOTE_SEND) sent, or received. */
void act__rec_sent(const act_entry *e);
void act__rec_received(const act_entry *e);
/* The same for an entry dropped for `reason`; to_id, when not NULL, is its receiver's name
 * (act_actor.name, act_pid.id: an array of ACT_ID_MAX bytes), e->to_id otherwise. */
void act__rec_entry_drop(const act_entry *e, const char *to_id, const char *reason);

/* A recorded event as read back. */
typedef struct rec_event {
    uint64_t seq;
    uint64_t ns;       /* wall clock, nanoseconds since the epoch */
    act_trace tc;
    uint8_t kind;      /* rec_kind */
    bool libprocess;
    uint32_t size;
    act_pid from, to;
    char name[112];
    char ctype[ACT_CONTENT_TYPE_MAX];
    char reason[64];
    act_tags tags;
    uint8_t *body;     /* a copy when captured (read with bodies), else NULL */
    uint32_t body_len;
    bool body_whole;   /* kept whole for a watcher, not only its start for the tags */
} rec_event;

/* Where a reader is in each ring (one position per ring, in events ever written there):
 * each ring has one writer and is read in order, so a reader that keeps its cursor misses
 * nothing that was not overwritten. Zeroed is "from the oldest kept". */
typedef struct rec_cursor {
    uint64_t *pos;
    size_t n;
    uint64_t *scratch; /* act__rec_read_binary's, kept from read to read */
    size_t scratch_n;
} rec_cursor;
void act__rec_cursor_free(rec_cursor *c);

/* The events after cursor c (advanced) with seq > since, in seq order, into *out (free with
 * act__rec_events_free); at most `max` are returned (the newest, when more are there).
 * *lost (may be NULL) counts events after the cursor that were overwritten before they could
 * be read. bodies: copy captured bodies. */
void act__rec_read(rec_cursor *c, uint64_t since, size_t max, bool bodies, rec_event **out,
                   size_t *n, uint64_t *lost);
void act__rec_events_free(rec_event *ev, size_t n);
/* Events overwritten since start; the ring capacity per loop (0: the recorder is off);
 * the last sequence number given out. */
uint64_t act__rec_overwritten(void);
size_t act__rec_capacity(void);
uint64_t act__rec_last_seq(void);
/* Events since start whose route fit in neither of their ring's tables (kept beside the slot). */
uint64_t act__rec_spilled(void);
/* Events since start whose route was not the last one their ring used (looked up in its table:
 * runs of one route are matched against the last one in place). */
uint64_t act__rec_route_lookups(void);
/* Watchers of /__trace__ (+1 / -1): recording is forced on while there are any, and bodies
 * are captured while a watcher wants them. */
void act__rec_watch(int delta, bool bodies);
/* Tells /__trace__ new events are there (introspect.c); called after an event is recorded
 * while someone watches. */
void act__trace_kick(void);
/* Writes one event as a JSON object. */
void act__rec_event_json(act_json *j, const rec_event *ev);
/* The events after cursor c (advanced past them), in seq order, appended to out as records
 * of /__trace__?format=binary (actor.h), up to `budget` bytes: those whose name contains
 * `name` and whose sender or receiver is the actor `actor` ("": any), each with the body bytes
 * kept for it (the whole body with bodies, else its start, for the reader's tagger). *n: the
 * events written; *lost: those overwritten before they could be read. True when the budget
 * left events for a next read; the first event is written even past the budget. */
bool act__rec_read_binary(rec_cursor *c, const char *name, const char *actor, bool bodies,
                          size_t budget, act_buf *out, size_t *n, uint64_t *lost);
/* Appends a record saying `count` events were missed. */
void act__rec_binary_lost(act_buf *out, uint64_t count);
/* Sets the rings up for nloops loops (act_init) and frees them (act_shutdown). */
int act__rec_init(int nloops, long events);
#if defined(__x86_64__) || defined(__i386__)
/* How many ticks of the CPU's time-stamp counter a thread reuses a clock reading for (20,000:
 * at most 20 µs). For counting instructions under callgrind only, which runs a program some
 * 50 times slower and so would read the clock for every event, as no real run does
 * (actor_bench's ACTOR_BENCH_CALLGRIND). */
extern uint64_t act__rec_reuse_ticks;
#endif
void act__rec_shutdown(void);

/* Hash helper shared by the tables (actor names, act_map keys). It takes the string eight
 * bytes at a time (a multiply and a shift per word, then a final mix so the low bits, which
 * pick the slot, depend on every byte): IDs of forty characters that differ only at the end
 * cost a tenth of a byte-at-a-time hash. */
static inline uint32_t act__hash(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)(uint8_t)s[i] << (8 * i);
    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return (uint32_t)(h ^ (h >> 32));
}

double act__mono(void);

#ifdef ACT_FUZZING
/* For fuzz targets: runs every loop on the calling thread until nothing is left to do. */
void act__fuzz_run_until_idle(void);
#endif

/* Sets the "system/" gauges from the host (introspect.c); each snapshot does it first. */
void act__host_metrics(void);

#endif /* ACTOR_ACTOR_INT_H */
