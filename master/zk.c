/*
 * zk.c - ZooKeeper sessions whose events and replies run on their owner actor's loop (see
 * zk_int.h), and zk:// URLs.
 *
 * The client's threads touch only a small shared `zk_link` (the owner's pid, a closed flag, a
 * reference count, the requests not yet answered); everything they report is copied into a
 * heap item and dispatched to the owner, where it is dropped if the session was closed
 * meanwhile. The session itself (timer, state) is touched only on the owner's loop.
 * zookeeper_close may wait for the server, so it runs on a short-lived thread of its own.
 */
#include "master/zk_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* ---- URLs -------------------------------------------------------------------------------- */

static int url_error(char *err, size_t errlen, const char *text, const char *why)
{
    snprintf(err, errlen, "Invalid ZooKeeper URL '%s': %s", text, why);
    return -EINVAL;
}

/* Each server must be host:port with a port in 1..65535. */
static bool servers_valid(const char *servers)
{
    char *copy = act_strdup(servers), *save = NULL;
    bool ok = *servers != '\0';
    for (char *s = strtok_r(copy, ",", &save); ok && s; s = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(s, ':'), *end = NULL;
        long port = colon ? strtol(colon + 1, &end, 10) : 0;
        ok = colon && colon != s && end && *end == '\0' && colon[1] && port > 0 && port < 65536;
    }
    free(copy);
    return ok && servers[strlen(servers) - 1] != ',';
}

/* An absolute path without empty, "." or ".." segments. */
static bool path_valid(const char *path)
{
    if (path[0] != '/' || strlen(path) > 1000) return false;
    for (const char *p = path; *p;) {
        const char *seg = p + 1, *next = strchr(seg, '/');
        size_t n = next ? (size_t)(next - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        p = seg + n;
    }
    return true;
}

int zk_url_parse(const char *text, zk_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (strncmp(text, "zk://", 5) != 0) return url_error(err, errlen, text, "expected zk://");
    const char *rest = text + 5, *slash = strchr(rest, '/');
    if (!slash) return url_error(err, errlen, text, "expected a path (zk://host:port/path)");
    const char *at = memchr(rest, '@', (size_t)(slash - rest));
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        if (!colon || colon == rest || colon + 1 == at)
            return url_error(err, errlen, text, "credentials must be user:password");
        out->credentials = act_strndup(rest, (size_t)(at - rest));
        rest = at + 1;
    }
    out->servers = act_strndup(rest, (size_t)(slash - rest));
    out->path = act_strdup(slash);
    size_t n = strlen(out->path);
    while (n > 1 && out->path[n - 1] == '/') out->path[--n] = '\0';
    const char *why = NULL;
    if (!servers_valid(out->servers)) why = "servers must be host:port[,host:port...]";
    else if (strcmp(out->path, "/") == 0) why = "a path other than '/' is needed";
    else if (!path_valid(out->path)) why = "invalid path";
    if (why) {
        zk_url_free(out);
        return url_error(err, errlen, text, why);
    }
    return 0;
}

void zk_url_free(zk_url *u)
{
    free(u->servers);
    free(u->path);
    free(u->credentials);
    memset(u, 0, sizeof *u);
}

void zk_url_copy(zk_url *dst, const zk_url *src)
{
    dst->servers = act_strdup(src->servers);
    dst->path = act_strdup(src->path);
    dst->credentials = src->credentials ? act_strdup(src->credentials) : NULL;
}

char *zk_url_format(const zk_url *u, char *buf, size_t n)
{
    if (u->credentials) {
        const char *colon = strchr(u->credentials, ':');
        snprintf(buf, n, "zk://%.*s:***@%s%s", (int)(colon - u->credentials), u->credentials,
                 u->servers, u->path);
    } else {
        snprintf(buf, n, "zk://%s%s", u->servers, u->path);
    }
    return buf;
}

size_t zk_server_count(const zk_url *u)
{
    size_t n = 1;
    for (const char *p = u->servers; *p; p++) n += *p == ',';
    return n;
}

bool zk_retryable(int rc)
{
    return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
           rc == ZSESSIONMOVED || rc == ZINVALIDSTATE || rc == ZCLOSING;
}

/* ---- what the client's threads share with the owner ------------------------------------- */

typedef struct zk_link {
    atomic_int refs;
    atomic_bool closed;  /* set on the owner's loop by zk_close */
    act_pid owner;
    zk_session *s;       /* read only on the owner's loop while !closed */
    char *credentials;   /* "user:password" for digest authentication, or NULL */
    bool auth_added;     /* by the watcher, on the client's completion thread */
    pthread_mutex_t mu;  /* guards unanswered */
    struct zk_req *unanswered; /* requests whose completion the client has not called */
} zk_link;

struct zk_session {
    act_actor *owner;
    zk_link *link;
    zhandle_t *zh;
    zk_event_fn on_event;
    double timeout;            /* seconds; the negotiated value once connected */
    struct ACL acl_entries[2];
    struct ACL_vector acl;
    bool connected, expired;
    act_timer_id expiry_timer; /* disconnected: when to give the session up */
};

static void link_unref(zk_link *l)
{
    if (atomic_fetch_sub(&l->refs, 1) != 1) return;
    pthread_mutex_destroy(&l->mu);
    free(l->credentials);
    free(l);
}

/* ---- events ------------------------------------------------------------------------------ */

typedef struct event_item {
    zk_link *link;
    zk_event ev;
    char *path;
} event_item;

static void deliver(zk_session *s, zk_event ev, const char *path)
{
    s->on_event(s->owner, s, ev, path);
}

static void local_expiry(act_actor *self, void *arg)
{
    zk_session *s = arg; /* zk_close cancels this timer */
    s->expiry_timer = 0;
    if (s->connected || s->expired) return;
    LOG_WARNING("Timed out waiting to reconnect to ZooKeeper: giving up the session");
    act_counter_inc(act_counter_get("zookeeper/session_expirations"));
    s->expired = true;
    deliver(s, ZK_EXPIRED, NULL);
}

/* Tracks the connection state; false if the event is not to be reported. */
static bool session_event(zk_session *s, zk_event ev)
{
    if (s->expired) return false; /* dead: only zk_close is left to do */
    if (ev == ZK_CONNECTED) {
        s->connected = true;
        int ms = zoo_recv_timeout(s->zh);
        if (ms > 0) s->timeout = ms / 1000.0;
        if (s->expiry_timer) act_cancel(s->owner, s->expiry_timer);
        s->expiry_timer = 0;
    } else if (ev == ZK_DISCONNECTED) {
        if (!s->connected) return false; /* still trying the first connection */
        act_counter_inc(act_counter_get("zookeeper/disconnections"));
        s->connected = false;
        s->expiry_timer = act_delay(s->owner, s->timeout, local_expiry, s);
    } else if (ev == ZK_EXPIRED || ev == ZK_AUTH_FAILED) {
        if (ev == ZK_EXPIRED) act_counter_inc(act_counter_get("zookeeper/session_expirations"));
        s->connected = false;
        s->expired = true;
        if (s->expiry_timer) act_cancel(s->owner, s->expiry_timer);
        s->expiry_timer = 0;
    }
    return true;
}

static void run_event(act_actor *self, void *arg)
{
    event_item *it = arg;
    if (self && !atomic_load(&it->link->closed)) {
        zk_session *s = it->link->s;
        bool is_watch = it->ev == ZK_CHILDREN || it->ev == ZK_NODE;
        if (is_watch ? !s->expired : session_event(s, it->ev)) deliver(s, it->ev, it->path);
    }
    link_unref(it->link);
    free(it->path);
    free(it);
}

static void post_event(zk_link *l, zk_event ev, const char *path)
{
    event_item *it = act_calloc(1, sizeof *it);
    atomic_fetch_add(&l->refs, 1);
    it->link = l;
    it->ev = ev;
    it->path = path ? act_strdup(path) : NULL;
    act_dispatch(&l->owner, run_event, it);
}

static void auth_done(int rc, const void *data)
{
    if (rc == ZAUTHFAILED) LOG_ERROR("ZooKeeper refused the credentials");
}

/* Hands the credentials to the client when the session first connects. Not at
 * zookeeper_init: between connection attempts (for about a millisecond after a server refuses)
 * the client refuses them with ZINVALIDSTATE, and they were lost when the first server tried was
 * down. Once added, the client sends them ahead of everything else on every connection. */
static void add_auth(zhandle_t *zh, zk_link *l)
{
    if (!l->credentials || l->auth_added) return;
    int rc = zoo_add_auth(zh, "digest", l->credentials, (int)strlen(l->credentials), auth_done,
                          NULL);
    if (rc == ZOK)
        l->auth_added = true;
    else
        LOG_ERROR("Failed to hand the credentials to the ZooKeeper client: %s", zerror(rc));
}

/* The client's watcher, on its completion thread. */
static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    zk_link *l = ctx;
    if (type == ZOO_SESSION_EVENT) {
        if (state == ZOO_CONNECTED_STATE || state == ZOO_READONLY_STATE) {
            /* Before the owner hears of the connection: its writes (nodes whose ACL names
             * the creator) wait for that, and the credentials go ahead of them. */
            add_auth(zh, l);
            post_event(l, ZK_CONNECTED, NULL);
        } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE ||
                 state == ZOO_NOTCONNECTED_STATE)
            post_event(l, ZK_DISCONNECTED, NULL);
        else if (state == ZOO_EXPIRED_SESSION_STATE)
            post_event(l, ZK_EXPIRED, NULL);
        else if (state == ZOO_AUTH_FAILED_STATE)
            post_event(l, ZK_AUTH_FAILED, NULL);
    } else if (type == ZOO_CHILD_EVENT) {
        post_event(l, ZK_CHILDREN, path);
    } else if (type == ZOO_CREATED_EVENT || type == ZOO_DELETED_EVENT ||
               type == ZOO_CHANGED_EVENT) {
        post_event(l, ZK_NODE, path);
    }
}

static void client_log(const char *message)
{
    size_t n = strlen(message);
    while (n && (message[n - 1] == '\n' || message[n - 1] == '\r')) n--;
    LOG_INFO("ZooKeeper client: %.*s", (int)n, message);
}

/* ---- opening and closing ----------------------------------------------------------------- */

static void set_acl(zk_session *s, bool authenticated)
{
    if (authenticated) {
        s->acl_entries[0] = (struct ACL){ZOO_PERM_READ, ZOO_ANYONE_ID_UNSAFE};
        s->acl_entries[1] = (struct ACL){ZOO_PERM_ALL, ZOO_AUTH_IDS};
        s->acl = (struct ACL_vector){2, s->acl_entries};
    } else {
        s->acl = ZOO_OPEN_ACL_UNSAFE;
    }
}

static pthread_once_t client_once = PTHREAD_ONCE_INIT;

static void client_init(void)
{
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
}

zk_session *zk_open(act_actor *self, const zk_url *url, double session_timeout,
                    zk_event_fn on_event, char *err, size_t errlen)
{
    pthread_once(&client_once, client_init);
    zk_session *s = act_calloc(1, sizeof *s);
    zk_link *l = act_calloc(1, sizeof *l);
    atomic_init(&l->refs, 1); /* the handle's, released once it is closed */
    atomic_init(&l->closed, false);
    pthread_mutex_init(&l->mu, NULL);
    l->owner = act_self(self);
    l->s = s;
    l->credentials = url->credentials ? act_strdup(url->credentials) : NULL;
    s->owner = self;
    s->link = l;
    s->on_event = on_event;
    s->timeout = session_timeout;
    set_acl(s, url->credentials != NULL);
    int ms = session_timeout * 1000 > 1 ? (int)(session_timeout * 1000) : 1;
    s->zh = zookeeper_init2(url->servers, watcher, ms, NULL, l, 0, client_log);
    if (!s->zh) {
        snprintf(err, errlen, "Failed to start a ZooKeeper client for '%s': %s", url->servers,
                 strerror(errno));
        link_unref(l);
        free(s);
        return NULL;
    }
    return s;
}

static pthread_mutex_t closing_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closing_cv = PTHREAD_COND_INITIALIZER;
static int closing;

typedef struct closer {
    zhandle_t *zh;
    zk_link *link;
} closer;

static void free_unanswered(zk_link *l);

static void *close_thread(void *arg)
{
    closer *c = arg;
    zookeeper_close(c->zh); /* its threads are joined: no completion runs after this */
    free_unanswered(c->link);
    link_unref(c->link);
    free(c);
    pthread_mutex_lock(&closing_mu);
    closing--;
    pthread_cond_broadcast(&closing_cv);
    pthread_mutex_unlock(&closing_mu);
    return NULL;
}

void zk_close(zk_session *s)
{
    if (!s) return;
    atomic_store(&s->link->closed, true);
    if (s->expiry_timer) act_cancel(s->owner, s->expiry_timer);
    closer *c = act_malloc(sizeof *c);
    *c = (closer){s->zh, s->link};
    pthread_mutex_lock(&closing_mu);
    closing++;
    pthread_mutex_unlock(&closing_mu);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, close_thread, c) != 0) close_thread(c);
    pthread_attr_destroy(&attr);
    free(s);
}

bool zk_drain(double secs)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)secs;
    deadline.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&closing_mu);
    while (closing > 0)
        if (pthread_cond_timedwait(&closing_cv, &closing_mu, &deadline) != 0) break;
    bool done = closing == 0;
    pthread_mutex_unlock(&closing_mu);
    return done;
}

bool zk_connected(const zk_session *s)
{
    return s && s->connected && !s->expired;
}

/* ---- requests ---------------------------------------------------------------------------- */

/* One request in flight: released when its completion has been dispatched, or by the close
 * if the client never calls that completion. */
typedef struct zk_req {
    zk_link *link;
    struct zk_req *prev, *next; /* in link->unanswered until the completion is called */
    zk_reply_fn done; /* NULL: an intermediate step of zk_create_path */
    uint64_t tag;
    char *path;
    struct mkpath *mk;       /* zk_create_path: shared by its steps */
    zk_txn *txn;
} zk_req;

/* zk_create_path's steps, one create per ancestor, all sent at once: ZooKeeper answers them
 * in order, so the last step reports the first real error of any. */
typedef struct mkpath {
    atomic_int refs;
    atomic_int first_error;
} mkpath;

static void mkpath_unref(mkpath *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1) free(m);
}

static void mkpath_error(mkpath *m, int rc)
{
    int none = ZOK;
    if (rc != ZOK && rc != ZNODEEXISTS) atomic_compare_exchange_strong(&m->first_error, &none, rc);
}

typedef struct result_item {
    zk_req *req;
    zk_reply r;
    char *data;
    char **children;
} result_item;

typedef struct txn_op {
    int type; /* ZOO_CREATE_OP, ZOO_DELETE_OP, ZOO_CHECK_OP */
    char *path;
    char *data;
    size_t len;
    int version;
} txn_op;

struct zk_txn {
    txn_op *ops;
    size_t n, cap;
    zoo_op_t *zops;          /* built at commit */
    zoo_op_result_t *results;
    char (*bufs)[1024];      /* created paths */
};

static void txn_free(zk_txn *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->ops[i].path);
        free(t->ops[i].data);
    }
    free(t->ops);
    free(t->zops);
    free(t->results);
    free(t->bufs);
    free(t);
}

static void req_free(zk_req *q)
{
    link_unref(q->link);
    mkpath_unref(q->mk);
    txn_free(q->txn);
    free(q->path);
    free(q);
}

static zk_req *req_new(zk_session *s, const char *path, uint64_t tag, zk_reply_fn done)
{
    zk_req *q = act_calloc(1, sizeof *q);
    zk_link *l = s->link;
    atomic_fetch_add(&l->refs, 1);
    q->link = l;
    q->done = done;
    q->tag = tag;
    q->path = act_strdup(path);
    pthread_mutex_lock(&l->mu);
    q->next = l->unanswered;
    if (q->next) q->next->prev = q;
    l->unanswered = q;
    pthread_mutex_unlock(&l->mu);
    return q;
}

/* The client called q's completion (or the request failed at once). */
static void answered(zk_req *q)
{
    zk_link *l = q->link;
    pthread_mutex_lock(&l->mu);
    if (q->prev) q->prev->next = q->next;
    else l->unanswered = q->next;
    if (q->next) q->next->prev = q->prev;
    pthread_mutex_unlock(&l->mu);
}

/* After zookeeper_close: libzookeeper_mt 3.8 queues a ZCLOSING reply for every request still
 * waiting, but its completion thread may already have stopped, and then those completions
 * never run (ZOOKEEPER-2894 is fixed only for the single-threaded client). Their requests
 * would leak; nothing can be delivered for a closed session anyway. */
static void free_unanswered(zk_link *l)
{
    pthread_mutex_lock(&l->mu);
    zk_req *q = l->unanswered;
    l->unanswered = NULL;
    pthread_mutex_unlock(&l->mu);
    while (q) {
        zk_req *next = q->next;
        req_free(q);
        q = next;
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_result(act_actor *self, void *arg)
{
    result_item *it = arg;
    zk_req *q = it->req;
    if (self && q->done && !atomic_load(&q->link->closed)) {
        it->r.tag = q->tag;
        it->r.path = q->path;
        it->r.data = it->data;
        it->r.children = it->children;
        q->done(self, q->link->s, &it->r);
    }
    for (size_t i = 0; i < it->r.nchildren; i++) free(it->children[i]);
    free(it->children);
    free(it->data);
    req_free(q);
    free(it);
}

/* Hands a finished request to its owner (from any thread). */
static void finish(zk_req *q, result_item *it)
{
    answered(q);
    it->req = q;
    if (!q->done) { /* an intermediate step: nothing to report */
        run_result(NULL, it);
        return;
    }
    act_dispatch(&q->link->owner, run_result, it);
}

static result_item *item_new(int rc)
{
    result_item *it = act_calloc(1, sizeof *it);
    it->r.rc = rc;
    it->r.failed_op = -1;
    return it;
}

static void fail_now(zk_req *q, int rc)
{
    finish(q, item_new(rc));
}

static void copy_data(result_item *it, const char *data, size_t len)
{
    it->data = act_malloc(len + 1);
    if (len) memcpy(it->data, data, len);
    it->data[len] = '\0';
    it->r.len = len;
}

static void string_done(int rc, const char *value, const void *data)
{
    zk_req *q = (zk_req *)data;
    if (q->mk) {
        mkpath_error(q->mk, rc);
        rc = atomic_load(&q->mk->first_error);
    }
    result_item *it = item_new(rc);
    if (rc == ZOK && value) copy_data(it, value, strlen(value));
    finish(q, it);
}

static void data_done(int rc, const char *value, int value_len, const struct Stat *stat,
                      const void *data)
{
    result_item *it = item_new(rc);
    if (rc == ZOK) {
        copy_data(it, value ? value : "", value && value_len > 0 ? (size_t)value_len : 0);
        if (stat) it->r.version = stat->version;
    }
    finish((zk_req *)data, it);
}

static void strings_done(int rc, const struct String_vector *v, const void *data)
{
    result_item *it = item_new(rc);
    if (rc == ZOK && v && v->count > 0) {
        it->children = act_calloc((size_t)v->count, sizeof *it->children);
        for (int32_t i = 0; i < v->count; i++) it->children[i] = act_strdup(v->data[i]);
        it->r.nchildren = (size_t)v->count;
        qsort(it->children, it->r.nchildren, sizeof *it->children, cmp_names);
    }
    finish((zk_req *)data, it);
}

static void stat_done(int rc, const struct Stat *stat, const void *data)
{
    result_item *it = item_new(rc);
    if (rc == ZOK && stat) it->r.version = stat->version;
    finish((zk_req *)data, it);
}

static void void_done(int rc, const void *data)
{
    zk_req *q = (zk_req *)data;
    result_item *it = item_new(rc);
    if (q->txn && rc != ZOK)
        for (size_t i = 0; i < q->txn->n; i++) {
            int e = q->txn->results[i].err;
            if (e != ZOK && e != ZRUNTIMEINCONSISTENCY) {
                it->r.failed_op = (int)i;
                break;
            }
        }
    finish(q, it);
}

void zk_create(zk_session *s, const char *path, const void *data, size_t len, int mode,
               uint64_t tag, zk_reply_fn done)
{
    zk_req *q = req_new(s, path, tag, done);
    int rc = zoo_acreate(s->zh, path, data, data ? (int)len : -1, &s->acl, mode, string_done, q);
    if (rc != ZOK) fail_now(q, rc);
}

void zk_create_path(zk_session *s, const char *path, uint64_t tag, zk_reply_fn done)
{
    mkpath *m = act_calloc(1, sizeof *m);
    atomic_init(&m->refs, 1);
    atomic_init(&m->first_error, ZOK);
    for (const char *p = strchr(path + 1, '/');; p = strchr(p + 1, '/')) {
        char *prefix = p ? act_strndup(path, (size_t)(p - path)) : act_strdup(path);
        zk_req *q = req_new(s, prefix, tag, p ? NULL : done);
        free(prefix);
        atomic_fetch_add(&m->refs, 1);
        q->mk = m;
        int rc = zoo_acreate(s->zh, q->path, NULL, -1, &s->acl, 0, string_done, q);
        if (rc != ZOK) {
            mkpath_error(m, rc);
            fail_now(q, atomic_load(&m->first_error));
        }
        if (!p) break;
    }
    mkpath_unref(m);
}

void zk_get(zk_session *s, const char *path, bool watch, uint64_t tag, zk_reply_fn done)
{
    zk_req *q = req_new(s, path, tag, done);
    int rc = zoo_aget(s->zh, path, watch, data_done, q);
    if (rc != ZOK) fail_now(q, rc);
}

void zk_children(zk_session *s, const char *path, bool watch, uint64_t tag, zk_reply_fn done)
{
    zk_req *q = req_new(s, path, tag, done);
    int rc = zoo_aget_children(s->zh, path, watch, strings_done, q);
    if (rc != ZOK) fail_now(q, rc);
}

void zk_exists(zk_session *s, const char *path, bool watch, uint64_t tag, zk_reply_fn done)
{
    zk_req *q = req_new(s, path, tag, done);
    int rc = zoo_aexists(s->zh, path, watch, stat_done, q);
    if (rc != ZOK) fail_now(q, rc);
}

void zk_delete(zk_session *s, const char *path, int version, uint64_t tag, zk_reply_fn done)
{
    zk_req *q = req_new(s, path, tag, done);
    int rc = zoo_adelete(s->zh, path, version, void_done, q);
    if (rc != ZOK) fail_now(q, rc);
}

/* ---- transactions ------------------------------------------------------------------------ */

zk_txn *zk_txn_new(void)
{
    return act_calloc(1, sizeof(zk_txn));
}

static void txn_add(zk_txn *t, int type, const char *path, const void *data, size_t len,
                    int version)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->ops = act_realloc(t->ops, t->cap * sizeof *t->ops);
    }
    txn_op *op = &t->ops[t->n++];
    *op = (txn_op){type, act_strdup(path), NULL, len, version};
    if (data) {
        op->data = act_malloc(len ? len : 1);
        if (len) memcpy(op->data, data, len);
    }
}

void zk_txn_check(zk_txn *t, const char *path, int version)
{
    txn_add(t, ZOO_CHECK_OP, path, NULL, 0, version);
}

void zk_txn_create(zk_txn *t, const char *path, const void *data, size_t len)
{
    txn_add(t, ZOO_CREATE_OP, path, data, len, 0);
}

void zk_txn_delete(zk_txn *t, const char *path, int version)
{
    txn_add(t, ZOO_DELETE_OP, path, NULL, 0, version);
}

size_t zk_txn_count(const zk_txn *t)
{
    return t->n;
}

void zk_commit(zk_session *s, zk_txn *t, uint64_t tag, zk_reply_fn done)
{
    zk_req *q = req_new(s, "", tag, done);
    q->txn = t;
    size_t n = t->n ? t->n : 1;
    t->zops = act_calloc(n, sizeof *t->zops);
    t->results = act_calloc(n, sizeof *t->results);
    t->bufs = act_calloc(n, sizeof *t->bufs);
    for (size_t i = 0; i < t->n; i++) {
        txn_op *op = &t->ops[i];
        if (op->type == ZOO_CREATE_OP)
            zoo_create_op_init(&t->zops[i], op->path, op->data, op->data ? (int)op->len : -1,
                               &s->acl, 0, t->bufs[i], sizeof t->bufs[i]);
        else if (op->type == ZOO_DELETE_OP)
            zoo_delete_op_init(&t->zops[i], op->path, op->version);
        else
            zoo_check_op_init(&t->zops[i], op->path, op->version);
    }
    int rc = zoo_amulti(s->zh, (int)t->n, t->zops, t->results, void_done, q);
    if (rc != ZOK) fail_now(q, rc);
}
