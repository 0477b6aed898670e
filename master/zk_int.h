/*
 * zk_int.h - ZooKeeper as the contender, the detector and the registrar use it (zk.c): zk://
 * URLs, and sessions whose events and replies arrive on the owning actor's loop.
 *
 * The C client (libzookeeper_mt) runs an I/O thread and a completion thread of its own. zk.c
 * never blocks the owner: every request is asynchronous, and whatever the client's threads
 * hand over (session events, watch notifications, replies) is copied and dispatched into the
 * owner (act_dispatch), in the order the client produced it. Owner code therefore never locks
 * and never waits on ZooKeeper; it reacts to events, as Mesos' zookeeper::Group does.
 *
 * Sessions follow Mesos' rules: a lost connection is reported (ZK_DISCONNECTED) and the
 * session lives on while the client reconnects; if it has not reconnected within the session
 * timeout, or the server says the session expired, ZK_EXPIRED is reported once and the
 * session is dead (its ephemeral nodes and watches are gone): close it and open another.
 * Both are counted (zookeeper/disconnections, zookeeper/session_expirations).
 *
 * This file and zk.c depend on actor/ only, so a scheduler library can carry them with the
 * detector (link with -lzookeeper_mt).
 */
#ifndef MASTER_ZK_INT_H
#define MASTER_ZK_INT_H

#include "actor/actor.h"

#include <zookeeper/zookeeper.h>

/* ---- URLs -------------------------------------------------------------------------------- */

typedef struct zk_url {
    char *servers;     /* "h1:2181,h2:2181" */
    char *path;        /* "/mesos": absolute, no trailing '/', never "/" alone */
    char *credentials; /* "user:pass" for digest authentication, or NULL */
} zk_url;

/* Parses "zk://[user:pass@]h1:p1[,h2:p2...]/path" (Mesos' zookeeper::URL). Returns 0, or
 * -EINVAL with the reason in err. On success the caller frees out with zk_url_free. */
int zk_url_parse(const char *text, zk_url *out, char *err, size_t errlen);
void zk_url_free(zk_url *u);
/* Copies src into dst (free dst with zk_url_free). */
void zk_url_copy(zk_url *dst, const zk_url *src);
/* The URL for logs, password hidden: "zk://user:***@h1:2181/mesos". Returns buf. */
char *zk_url_format(const zk_url *u, char *buf, size_t n);

/* ---- sessions ---------------------------------------------------------------------------- */

typedef struct zk_session zk_session;

typedef enum zk_event {
    ZK_CONNECTED,    /* connected, first time or again: (re)issue reads */
    ZK_DISCONNECTED, /* connection lost; the session may still come back */
    ZK_EXPIRED,      /* the session is dead (reported once): zk_close it, open a new one */
    ZK_AUTH_FAILED,  /* the credentials were refused: permanent */
    ZK_CHILDREN,     /* a children watch on `path` fired */
    ZK_NODE,         /* a data or existence watch on `path` fired */
} zk_event;

/* Runs on the owner's loop. path is set for ZK_CHILDREN and ZK_NODE, NULL otherwise. */
typedef void (*zk_event_fn)(act_actor *self, zk_session *s, zk_event ev, const char *path);

/* A reply, valid only during the callback. */
typedef struct zk_reply {
    int rc;               /* ZOK or a ZooKeeper error code (zerror() names it) */
    uint64_t tag;         /* what the request passed */
    const char *path;     /* the path the request named ("" for a transaction) */
    const char *data;     /* get: the node's data; create: the created path; else NULL */
    size_t len;
    char **children;      /* children: names (not paths), sorted; else NULL */
    size_t nchildren;
    int32_t version;      /* get and exists: the node's data version */
    int failed_op;        /* a transaction: index of the op that failed, or -1 */
} zk_reply;

/* Runs on the owner's loop, never inside the call that made the request. */
typedef void (*zk_reply_fn)(act_actor *self, zk_session *s, const zk_reply *r);

/* Opens a session for the actor `self` (call from its loop); the client connects in the
 * background and reports ZK_CONNECTED. With credentials, the session authenticates with
 * the digest scheme and nodes it creates get Mesos' ACL (anyone may read, the creator may do
 * everything); without, nodes are open. Returns NULL (err set) if the client refuses the
 * server list. The session belongs to self: close it before self's state goes. */
zk_session *zk_open(act_actor *self, const zk_url *url, double session_timeout,
                    zk_event_fn on_event, char *err, size_t errlen);
/* Closes the session in the background (its ephemeral nodes go at once when connected).
 * No event or reply is delivered for it after this returns. NULL is ignored. */
void zk_close(zk_session *s);
/* Waits up to `secs` for sessions being closed in the background (daemons call it before
 * exiting so their ephemeral nodes go at once). Returns true if none is left. */
bool zk_drain(double secs);

bool zk_connected(const zk_session *s);
/* The ensemble's servers as the URL gave them: for --quorum checks. */
size_t zk_server_count(const zk_url *u);

/* True for errors that say nothing about the request but about the connection (retry once
 * connected again): connection loss, operation timeout, moved or expired session. */
bool zk_retryable(int rc);

/* Requests. Node data is at most 1 MB (ZooKeeper's limit). */
void zk_create(zk_session *s, const char *path, const void *data, size_t len, int mode,
               uint64_t tag, zk_reply_fn done);
/* Creates path and its missing ancestors (persistent, empty); an existing path is success. */
void zk_create_path(zk_session *s, const char *path, uint64_t tag, zk_reply_fn done);
void zk_get(zk_session *s, const char *path, bool watch, uint64_t tag, zk_reply_fn done);
void zk_children(zk_session *s, const char *path, bool watch, uint64_t tag, zk_reply_fn done);
/* rc ZNONODE when absent; with watch, ZK_NODE fires when it is created, changed or deleted. */
void zk_exists(zk_session *s, const char *path, bool watch, uint64_t tag, zk_reply_fn done);
void zk_delete(zk_session *s, const char *path, int version, uint64_t tag, zk_reply_fn done);

/* A transaction (multi): every op applies, or none does. */
typedef struct zk_txn zk_txn;
zk_txn *zk_txn_new(void);
/* Fails the transaction unless path exists (version -1) or has that data version. */
void zk_txn_check(zk_txn *t, const char *path, int version);
void zk_txn_create(zk_txn *t, const char *path, const void *data, size_t len);
void zk_txn_delete(zk_txn *t, const char *path, int version);
size_t zk_txn_count(const zk_txn *t);
/* Sends the transaction (takes it). r->failed_op names the op that failed. */
void zk_commit(zk_session *s, zk_txn *t, uint64_t tag, zk_reply_fn done);

#endif /* MASTER_ZK_INT_H */
