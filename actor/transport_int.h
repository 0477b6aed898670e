/*
 * transport_int.h - the connection and the socket table that transport.c (sockets, framing,
 * replies, streamed bodies) and guard.c (what keeps a flood of clients from taking the
 * process down: timeouts per connection state, descriptor exhaustion, bounds on buffered
 * input and output) share. Loop 0 only; included by those two files alone.
 */
#ifndef ACTOR_TRANSPORT_INT_H
#define ACTOR_TRANSPORT_INT_H

#include "actor/actor_int.h"

#include <http_parser.h>
#include <sys/uio.h>

typedef struct chunk {
    struct chunk *next;
    size_t len, off, cap;
    char data[];
} chunk;

typedef struct reply {
    struct reply *next;
    uint64_t seq;
    bool close;
    bool stream; /* a stream head: the slot stays open after it */
    act_pull *pull; /* a head whose body comes from this producer (owned) */
    size_t len;
    char data[];
} reply;

typedef struct link_pair {
    act_pid linker, target;
} link_pair;

enum conn_state { C_CONNECTING, C_OPEN, C_DEAD };

/* Where an inbound connection is between and within requests. Each state with a timeout
 * keeps its connections in a list ordered by deadline, as nginx keeps one timeout per
 * connection state; the sweep only ever looks at list heads. */
enum in_state {
    IN_NONE, /* outgoing, or a request of it is being answered: no input deadline */
    IN_HEAD, /* a request head has begun (or the connection is new): header timeout */
    IN_BODY, /* reading a body: body timeout since the last bytes */
    IN_IDLE, /* an HTTP client between requests: idle timeout */
    IN_PEER, /* an actor peer between messages: no deadline */
    N_IN_STATES
};

/* The headers a message's delivery reads (transport.c). */
enum known_header { H_USER_AGENT, H_FROM, H_TRACE, H_CONTENT_TYPE, N_KNOWN_HEADERS };

typedef struct conn conn;
typedef struct act_tls act_tls;
typedef struct conn_link {
    conn *prev, *next;
} conn_link;
typedef struct conn_list {
    conn *head, *tail;
} conn_list;

struct conn {
    uint64_t id;
    int fd;
    bool outgoing;
    enum conn_state state;
    uint32_t ip;
    uint16_t port;
    ev_io rio, wio;
    chunk *out_head, *out_tail;
    size_t out_bytes;
    bool in_flush_list;
    struct conn *flush_next, *dead_next;
    struct conn *id_next, *addr_next;
    /* incoming parsing */
    http_parser parser;
    act_buf url, hdrs, body;
    size_t nhdrs, head_bytes;
    size_t known[N_KNOWN_HEADERS]; /* where the headers messages need start in hdrs (one
                                      scan once the head is complete); SIZE_MAX: absent */
    uint64_t body_seen;  /* body bytes received, kept or discarded */
    bool in_value;
    bool too_large;
    bool in_request;     /* a request has begun and is not complete */
    bool head_done;      /* ... and its head is complete */
    bool discard;        /* its body is refused: read and thrown away, then answered 503 */
    bool paused;         /* the parser waits for this request's answer; `rest` holds what
                            followed it */
    act_buf rest;
    /* responses, written in request order */
    uint64_t next_seq, write_seq;
    reply *pending;
    bool close_after_write;
    bool streaming;
    act_pull *pull;      /* the body being produced for the current response */
    /* guards (guard.c) */
    bool actor;          /* it delivered a message: an actor peer, never idle-closed */
    enum in_state in_state;
    double in_since;     /* entered its state, or (IN_BODY) last received bytes */
    double req_start;    /* the current request head began (a new connection: accepted) */
    conn_link in_link;   /* in T->in[in_state] */
    size_t in_held;      /* bytes of its incomplete request counted in T->in_bytes */
    double out_since;    /* last write progress while output is pending */
    conn_link out_link;  /* in T->sending while inbound output is pending */
    bool sending, starved;
    conn_link starve_link; /* in T->starved: waits for room under the process' output bound */
    act_credit *credit;  /* counts its messages not yet handled (act_set_max_queued_messages) */
    bool throttled;      /* not read until enough of them have been handled */
    /* TLS (tls.c): the session, or NULL for plain text; an inbound connection with TLS on
     * is decided by its first byte (plain: only with downgrade support) */
    act_tls *tls;
    bool plain;
    /* outgoing: links to pids at this address, and which (linker, target) ids are there, so
     * that a master linking each of 50,000 slaves behind one address does not scan them all
     * for each ("<linker id>
<target id>" -> a marker; NULL while there are none) */
    link_pair *links;
    size_t nlinks, links_cap;
    act_map *link_index;
    int connect_err; /* connect() failed at once: reported after the caller's queueing */
    /* outgoing, while the recorder is on: the trace contexts of the messages queued to a peer
     * that is not ours and not yet written (their heads do not carry them), so those a broken
     * connection loses are recorded as dropped with them (transport.c) */
    struct unsent_tc *foreign;
    size_t foreign_first, foreign_len, foreign_cap;
    uint64_t queued_total, written_total; /* bytes ever queued / written */
};

typedef struct transport {
    int listen_fd;
    ev_io accept_io;
    struct ev_loop *ev;
    conn **by_id;   /* hash by id */
    conn **by_addr; /* hash by ip:port, outgoing only */
    size_t cap;     /* both tables */
    size_t count;
    uint64_t next_id;
    conn *flush_list;
    conn *dead_list;
    http_parser_settings settings;
    act_buf scratch; /* a producer's output before framing */
    chunk *spare;    /* written output chunks kept for reuse (transport.c) */
    size_t nspare;
    size_t chunks_queued;                   /* chunks of the usual size in output queues */
    size_t chunks_peak, chunks_peak_before; /* the most at once in this window, the last */
    double chunks_since;                    /* when this window started */
    /* guards (guard.c) */
    double now;               /* runtime clock, refreshed at each callback's entry */
    size_t inbound;           /* open inbound connections */
    size_t max_sockets;       /* inbound + outgoing, below RLIMIT_NOFILE with headroom */
    int reserve_fd;           /* spent to accept and close a connection without a slot */
    ev_timer accept_retry;    /* the accept watcher, paused, restarts on it */
    conn_list in[N_IN_STATES];
    conn_list sending;        /* inbound output pending, least recent progress first */
    size_t in_bytes, out_bytes; /* buffered incomplete requests; queued inbound output */
    conn_list starved;
    size_t throttled;         /* connections not read for their messages queued */
    act_counter *received;    /* runtime/bytes_received: request bytes read from clients */
    act_actor *sweeper;       /* "__transport__": its timer runs the timeout sweep */
    act_timer_id sweep_id;
    double sweep_at;
} transport;

extern transport *act__T;

/* ---- transport.c, for guard.c ------------------------------------------------------------ */
/* Closes the socket, drops queued output, tells linkers; the memory goes at a safe point.
 * why: for the log of an outgoing connection (NULL: closed quietly). */
void act__conn_kill(conn *c, const char *why);
/* Puts the connection on the list written at the next flush. */
void act__conn_schedule_flush(conn *c);
/* "ip:port" of the peer into buf (24 bytes). */
const char *act__conn_peer(const conn *c, char *buf, size_t n);

/* ---- guard.c ----------------------------------------------------------------------------- */
void act__guard_start(void);
void act__guard_stop(void);
/* Refreshes T->now from the runtime clock; call at the entry of each callback. */
void act__guard_tick(void);
/* A new inbound connection: makes a slot for it (evicting an idle one) or refuses it.
 * True when c may live; otherwise it has been closed. */
bool act__guard_admit(conn *c);
/* accept() or socket() failed with err. True when room was made and a retry may succeed;
 * otherwise accept() failures have paused the listener for a moment. */
bool act__guard_accept_failed(int err);
bool act__guard_socket_failed(int err);
/* Places an inbound connection in the list its parsing and answering state calls for. */
void act__guard_update(conn *c);
/* Takes a dying connection out of every list and bound. */
void act__guard_forget(conn *c);
/* n more bytes of an incomplete request's head or body held by c. */
void act__guard_hold(conn *c, size_t n);
/* The request is done (or refused): what it held no longer counts. */
void act__guard_release(conn *c);
/* May c buffer `len` more body bytes (the whole declared body, or the bytes just read)?
 * Closes stalled requests to make room; false when the body must be refused. */
bool act__guard_body_room(conn *c, uint64_t len);
/* Output accounting for inbound connections: n bytes queued / written. */
void act__guard_queued(conn *c, size_t n);
void act__guard_written(conn *c, size_t n);
/* Bytes c may queue now under its own and the process' output bounds. */
size_t act__guard_room(const conn *c);
/* c found no room: it is flushed again when some appears (its own writes wake it when its
 * own bound was the limit). */
void act__guard_wait(conn *c);
/* A message from c is about to be delivered in e, which takes one of c's credits. True when
 * c's messages not yet handled have reached the bound: the caller stops reading c after this
 * one, and the guard flushes c (which reads on) once half of them have been handled. */
bool act__guard_message(conn *c, act_entry *e);

/* ---- tls.c: TLS on the transport (LIBPROCESS_SSL_*) -------------------------------------- */
bool act__tls_on(void);
/* An outgoing connection (its connect begun) gets a client session when TLS is on. */
void act__tls_connect(conn *c);
/* An inbound connection's first bytes decide it: TLS (a server session), plain text (with
 * downgrade support), or refused (c is killed, -EPROTO). 0 when decided or nothing to decide;
 * -EAGAIN when nothing has arrived yet. */
int act__tls_accept(conn *c);
/* Through the session, as recv and sendmsg: bytes; 0 at the end; -EAGAIN when it must wait
 * (the watchers are set); -EPROTO when the connection failed (it has been killed). */
ssize_t act__tls_read(conn *c, void *buf, size_t n);
ssize_t act__tls_writev(conn *c, const struct iovec *iov, int n);
/* Decrypted bytes wait in the session (no socket event will announce them). */
bool act__tls_pending(const conn *c);
/* The last read needs the socket writable / the last write needs it readable to go on. */
bool act__tls_read_wants_write(const conn *c);
bool act__tls_write_wants_read(const conn *c);
void act__tls_free(conn *c);

#endif /* ACTOR_TRANSPORT_INT_H */
