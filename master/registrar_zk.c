/*
 * registrar_zk.c - the registry in ZooKeeper (--zk): the registrar actor of registrar.c's
 * protocol, storing each admitted slave as its own znode
 *
 *     <zk path>/registry/slaves/<bucket>/<slave-id>    data: the SlaveInfo, msgpack
 *
 * with <bucket> one of 64 ("00".."3f", a hash of the slave ID). Why one node per slave: a
 * znode holds at most 1 MB and 50,000 SlaveInfos take some 20 MB, so one node cannot hold the
 * registry; chunks could, but every admission would then rewrite a chunk of up to 1 MB, while
 * a node per slave makes each operation one small create or delete. Why buckets: listing
 * 50,000 children at once answers with more than ZooKeeper's 1 MB packet limit; 64 buckets
 * keep each listing near 40 KB. Recovery lists the buckets and reads every node, pipelined.
 *
 * Only the leader can write: every operation is a transaction that first checks that the
 * leader's own contender znode still exists. That znode is ephemeral, so once the leader's
 * session expires (and another master may lead) its writes fail, and the master aborts.
 * Operations are pipelined in order; a write cut off by a lost connection is sent again once
 * reconnected (a repeated create or delete is recognised). If none of the waiting operations
 * completes within --registry_store_timeout the master aborts, as it does when recovery
 * exceeds --registry_fetch_timeout (Mesos' registrar rules).
 */
#include "master/master_int.h"

#include <string.h>

#define BUCKETS 64
#define MAX_NODE_BYTES (1000u * 1024u) /* ZooKeeper's limit is 1 MB, headers included */

typedef struct zop {
    reg_op *op;
    act_buf data;       /* the SlaveInfo, encoded (admissions) */
    struct zop *next;
    bool resent;        /* sent again after a lost connection */
    double started;
} zop;

typedef struct zreg {
    act_actor *self;
    act_pid master;
    zk_url url;
    double session_timeout, store_timeout, fetch_timeout;
    int quorum;
    bool quorum_checked;
    zk_session *zk;
    char *fence;              /* the leader's contender znode, once recovering */
    zop *head, *tail;         /* operations in order, sent or waiting for a connection */
    zop *unsent;              /* the first of them not sent yet, or NULL */
    act_timer_id progress_timer; /* no operation completed for --registry_store_timeout */
    /* recovery */
    bool recovering;
    uint64_t gen;             /* recovery attempt; replies of older attempts are ignored */
    size_t outstanding;
    wire_msg **found;         /* the SlaveInfos read so far */
    size_t nfound, found_cap;
    act_timer_id fetch_timer;
    double fetch_started;
    bool failed;
    reg_metrics metrics;
    size_t queued;            /* operations in the queue */
    act_map *sizes;           /* slave id -> (void *)(bytes + 1) of its znode */
    size_t size;              /* their sum: registrar/registry_size_bytes */
} zreg;

/* ---- paths ------------------------------------------------------------------------------- */

static unsigned bucket_of(const char *slave_id)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)slave_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % BUCKETS;
}

static void bucket_path(const zreg *z, unsigned b, char *out, size_t n)
{
    snprintf(out, n, "%s/registry/slaves/%02x", z->url.path, b);
}

static void slave_path(const zreg *z, const char *id, char *out, size_t n)
{
    char bucket[1100];
    bucket_path(z, bucket_of(id), bucket, sizeof bucket);
    snprintf(out, n, "%s/%s", bucket, id);
}

/* ---- failure ----------------------------------------------------------------------------- */

/* The registry cannot be used: the master aborts. Reported once. */
static void fail(zreg *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(zreg *z, const char *fmt, ...)
{
    if (z->failed) return;
    z->failed = true;
    va_list ap;
    va_start(ap, fmt);
    act_buf b = {0};
    act_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    LOG_ERROR("Registry in ZooKeeper failed: %s", b.data);
    act_post(z->self, &z->master, REG_MSG_FAILED, act_buf_detach(&b, NULL), free);
}

/* ---- operations -------------------------------------------------------------------------- */

static void reply(zreg *z, zop *o, bool ok, bool fatal, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void reply(zreg *z, zop *o, bool ok, bool fatal, const char *fmt, ...)
{
    reg_result *res = act_calloc(1, sizeof *res);
    res->token = o->op->token;
    res->ok = ok;
    res->fatal = fatal;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->error, sizeof res->error, fmt, ap);
        va_end(ap);
    }
    if (!ok) act_counter_inc(z->metrics.failures);
    act_timing_record(z->metrics.store_ms, (act_now() - o->started) * 1000.0);
    act_post(z->self, &z->master, REG_MSG_APPLIED, res, free);
}

static void store_timeout(act_actor *self, void *arg)
{
    zreg *z = act_state(self);
    z->progress_timer = 0;
    char limit[32];
    fail(z, "no registry operation was stored within --registry_store_timeout=%s",
         act_duration_format(z->store_timeout, limit, sizeof limit));
}

/* While operations wait, one of them must complete every --registry_store_timeout (a timeout
 * per operation would fail a long queue, such as thousands of slaves registering at once,
 * that ZooKeeper is working through). Called whenever the queue changes. */
static void watch_progress(zreg *z, bool progressed)
{
    if (z->progress_timer && (progressed || !z->head)) {
        act_cancel(z->self, z->progress_timer);
        z->progress_timer = 0;
    }
    if (z->head && !z->progress_timer)
        z->progress_timer = act_delay(z->self, z->store_timeout, store_timeout, NULL);
}

/* The registry's size as stored: the SlaveInfo znodes' bytes (bytes 0: the slave is gone). */
static void set_size(zreg *z, const char *slave_id, size_t bytes)
{
    size_t old = (size_t)(uintptr_t)act_map_get(z->sizes, slave_id);
    if (old) z->size -= old - 1;
    if (bytes) act_map_put(z->sizes, slave_id, (void *)(uintptr_t)(bytes + 1));
    else act_map_remove(z->sizes, slave_id);
    z->size += bytes;
    act_gauge_set(z->metrics.size, (double)z->size);
}

/* Unlinks o from the queue (replies come in order: it is usually the head) and frees it. */
static void drop(zreg *z, zop *o)
{
    zop **pp = &z->head, *prev = NULL;
    while (*pp && *pp != o) prev = *pp, pp = &(*pp)->next;
    if (!*pp) return;
    act_gauge_set(z->metrics.queued, (double)--z->queued);
    *pp = o->next;
    if (z->tail == o) z->tail = prev;
    if (z->unsent == o) z->unsent = o->next;
    reg_op_free(o->op);
    act_buf_free(&o->data);
    free(o);
}

static zop *find(zreg *z, uint64_t token)
{
    for (zop *o = z->head; o; o = o->next)
        if (o->op->token == token) return o;
    return NULL;
}

/* The connection went: every operation still queued is sent again once reconnected. */
static void resend_all(zreg *z)
{
    for (zop *o = z->head; o && o != z->unsent; o = o->next) o->resent = true;
    z->unsent = z->head;
}

static void on_written(act_actor *self, zk_session *s, const zk_reply *r)
{
    zreg *z = act_state(self);
    zop *o = find(z, r->tag);
    if (!o) return;
    const char *id = ((const wire_slave_info *)o->op->info->root)->id->value;
    if (r->rc != ZOK && zk_retryable(r->rc)) {
        resend_all(z);
        return;
    }
    if (r->rc == ZOK) {
        set_size(z, id, o->op->kind == REG_REMOVE ? 0 : o->data.len);
        reply(z, o, true, false, NULL);
    } else if (r->failed_op == 0) {
        reply(z, o, false, true, "this master no longer leads: its znode %s is gone (%s)",
              z->fence, zerror(r->rc));
    } else if (r->rc == ZNODEEXISTS && o->op->kind == REG_ADMIT && !o->resent) {
        reply(z, o, false, false, "Slave %s already admitted", id);
    } else if ((r->rc == ZNODEEXISTS && o->op->kind != REG_REMOVE) ||
               (r->rc == ZNONODE && o->op->kind == REG_REMOVE)) {
        reply(z, o, true, false, NULL); /* already so, or our earlier attempt landed */
    } else {
        reply(z, o, false, true, "writing slave %s: %s", id, zerror(r->rc));
    }
    drop(z, o);
    watch_progress(z, true);
}

static void send_op(zreg *z, zop *o)
{
    const wire_slave_info *info = o->op->info->root;
    char path[1300];
    slave_path(z, info->id->value, path, sizeof path);
    zk_txn *t = zk_txn_new();
    zk_txn_check(t, z->fence, -1);
    if (o->op->kind == REG_REMOVE) zk_txn_delete(t, path, -1);
    else zk_txn_create(t, path, o->data.data, o->data.len);
    zk_commit(z->zk, t, o->op->token, on_written);
}

/* Sends what waits, in order, once the registry was read and the session is up. */
static void flush(zreg *z)
{
    if (!zk_connected(z->zk) || !z->fence || z->recovering) return;
    for (; z->unsent; z->unsent = z->unsent->next) send_op(z, z->unsent);
}

static void on_apply(act_actor *self, const act_msg *msg)
{
    zreg *z = act_state(self);
    zop *o = act_calloc(1, sizeof *o);
    o->op = msg->obj;
    *msg->obj_taken = true;
    o->started = act_now();
    act_counter_inc(z->metrics.ops);
    if (z->tail) z->tail->next = o;
    else z->head = o;
    z->tail = o;
    act_gauge_set(z->metrics.queued, (double)++z->queued);
    if (o->op->kind != REG_REMOVE) wire_encode(WIRE_DESC(slave_info), o->op->info->root, &o->data);
    if (!z->fence || o->data.len > MAX_NODE_BYTES) {
        if (!z->fence) reply(z, o, false, true, "an operation before the registry was recovered");
        else reply(z, o, false, false, "a SlaveInfo of %zu bytes is too large for the registry",
                   o->data.len);
        drop(z, o);
        return;
    }
    if (!z->unsent) z->unsent = o;
    watch_progress(z, false);
    flush(z);
}

/* ---- recovery ---------------------------------------------------------------------------- */

static void found_clear(zreg *z)
{
    for (size_t i = 0; i < z->nfound; i++) wire_msg_free(z->found[i]);
    free(z->found);
    z->found = NULL;
    z->nfound = z->found_cap = 0;
}

/* The registry of the slaves found (a wire_registry, posted to the master). */
static wire_msg *registry_of(zreg *z)
{
    wire_msg *m = wire_new(WIRE_DESC(registry));
    wire_registry *reg = m->root;
    reg->slaves = wire_alloc(m, sizeof *reg->slaves);
    reg->slaves->slaves = wire_alloc_array(m, WIRE_DESC(registry_slave), z->nfound);
    reg->slaves->slaves_count = z->nfound;
    for (size_t i = 0; i < z->nfound; i++)
        wire_copy_into(m, WIRE_DESC(slave_info), &reg->slaves->slaves[i].info,
                       z->found[i]->root);
    return m;
}

static void free_wire(void *p)
{
    wire_msg_free(p);
}

static void recovery_step_done(zreg *z)
{
    if (--z->outstanding > 0) return;
    z->recovering = false;
    if (z->fetch_timer) act_cancel(z->self, z->fetch_timer);
    z->fetch_timer = 0;
    LOG_INFO("Recovered the registry from ZooKeeper (%s/registry): %zu slave(s)", z->url.path,
             z->nfound);
    act_timing_record(z->metrics.fetch_ms, (act_now() - z->fetch_started) * 1000.0);
    act_post(z->self, &z->master, REG_MSG_RECOVERED, registry_of(z), free_wire);
    found_clear(z);
    flush(z);
}

/* A retryable error restarts recovery on the next connection; others abort. */
static bool recovery_error(zreg *z, const zk_reply *r, const char *what)
{
    if (r->rc == ZOK) return false;
    if (zk_retryable(r->rc)) {
        LOG_WARNING("Registry recovery interrupted (%s %s: %s); restarting once reconnected",
                    what, r->path, zerror(r->rc));
        z->gen++; /* ignore the rest of this attempt */
    } else {
        fail(z, "%s %s: %s", what, r->path, zerror(r->rc));
    }
    return true;
}

static void on_slave_node(act_actor *self, zk_session *s, const zk_reply *r)
{
    zreg *z = act_state(self);
    if (r->tag != z->gen) return;
    if (r->rc != ZNONODE && recovery_error(z, r, "reading")) return;
    if (r->rc == ZOK) {
        wire_msg *m = NULL;
        char err[256];
        if (wire_decode(WIRE_DESC(slave_info), r->data, r->len, &m, err, sizeof err) != 0 ||
            !((wire_slave_info *)m->root)->id) {
            wire_msg_free(m);
            fail(z, "%s does not hold a SlaveInfo: %s", r->path, m ? "no id" : err);
            return;
        }
        if (z->nfound == z->found_cap) {
            z->found_cap = z->found_cap ? 2 * z->found_cap : 64;
            z->found = act_realloc(z->found, z->found_cap * sizeof *z->found);
        }
        z->found[z->nfound++] = m;
        set_size(z, ((wire_slave_info *)m->root)->id->value, r->len);
    }
    recovery_step_done(z);
}

static void on_bucket(act_actor *self, zk_session *s, const zk_reply *r)
{
    zreg *z = act_state(self);
    if (r->tag != z->gen || recovery_error(z, r, "listing")) return;
    z->outstanding += r->nchildren;
    for (size_t i = 0; i < r->nchildren; i++) {
        char path[1300];
        snprintf(path, sizeof path, "%s/%s", r->path, r->children[i]);
        zk_get(s, path, false, z->gen, on_slave_node);
    }
    recovery_step_done(z);
}

static void on_bucket_made(act_actor *self, zk_session *s, const zk_reply *r)
{
    zreg *z = act_state(self);
    if (r->tag != z->gen || (r->rc != ZNODEEXISTS && recovery_error(z, r, "creating"))) return;
    recovery_step_done(z);
}

/* The buckets that exist: make the missing ones (the first leader does), list them all. */
static void on_buckets(act_actor *self, zk_session *s, const zk_reply *r)
{
    zreg *z = act_state(self);
    if (r->tag != z->gen || recovery_error(z, r, "listing")) return;
    z->outstanding = BUCKETS;
    for (unsigned b = 0; b < BUCKETS; b++) {
        char path[1100], name[8];
        bucket_path(z, b, path, sizeof path);
        snprintf(name, sizeof name, "%02x", b);
        bool exists = false;
        for (size_t i = 0; i < r->nchildren && !exists; i++)
            exists = strcmp(r->children[i], name) == 0;
        if (!exists) {
            z->outstanding++; /* made before it is listed: ZooKeeper keeps the order */
            zk_create(s, path, NULL, 0, 0, z->gen, on_bucket_made);
        }
        zk_children(s, path, false, z->gen, on_bucket);
    }
}

static void on_layout(act_actor *self, zk_session *s, const zk_reply *r)
{
    zreg *z = act_state(self);
    if (r->tag != z->gen || recovery_error(z, r, "creating")) return;
    zk_children(s, r->path, false, z->gen, on_buckets);
}

static void start_recovery(zreg *z)
{
    if (!z->recovering || !zk_connected(z->zk)) return;
    found_clear(z);
    char path[1100];
    snprintf(path, sizeof path, "%s/registry/slaves", z->url.path);
    zk_create_path(z->zk, path, ++z->gen, on_layout);
}

static void fetch_timeout(act_actor *self, void *arg)
{
    zreg *z = act_state(self);
    z->fetch_timer = 0;
    char limit[32];
    fail(z, "the registry was not read within --registry_fetch_timeout=%s",
         act_duration_format(z->fetch_timeout, limit, sizeof limit));
}

static void on_recover(act_actor *self, const act_msg *msg)
{
    zreg *z = act_state(self);
    const reg_recover *rec = msg->obj;
    free(z->fence);
    z->fence = rec->fence ? act_strdup(rec->fence) : NULL;
    if (!z->fence) {
        fail(z, "recovery without a candidacy znode to fence writes on");
        return;
    }
    LOG_INFO("Recovering the registry from ZooKeeper; writes are fenced on %s", z->fence);
    z->recovering = true;
    z->fetch_started = act_now();
    z->fetch_timer = act_delay(self, z->fetch_timeout, fetch_timeout, NULL);
    start_recovery(z);
}

/* ---- the session ------------------------------------------------------------------------- */

/* Participants in /zookeeper/config ("server.N=host:p:p[:participant|:observer];..."). */
static size_t participants(const char *config)
{
    size_t n = 0;
    for (const char *line = config; line && *line; line = strchr(line, '\n'), line += !!line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "server.", 7) == 0 && !memmem(line, len, "observer", 8)) n++;
    }
    return n;
}

static void on_config(act_actor *self, zk_session *s, const zk_reply *r)
{
    zreg *z = act_state(self);
    if (r->rc != ZOK) {
        if (!zk_retryable(r->rc)) {
            LOG_WARNING("Cannot read %s (%s): checking --quorum against the %zu server(s) of "
                        "--zk", ZOO_CONFIG_NODE, zerror(r->rc), zk_server_count(&z->url));
        } else {
            return; /* asked again once reconnected */
        }
    }
    size_t n = r->rc == ZOK ? participants(r->data) : zk_server_count(&z->url);
    if (n == 0) n = 1; /* a standalone server lists none */
    z->quorum_checked = true;
    if ((size_t)z->quorum > n || (size_t)z->quorum <= n / 2)
        fail(z, "--quorum=%d does not fit the ZooKeeper ensemble of %zu server(s): it must be "
             "a majority (%zu)", z->quorum, n, n / 2 + 1);
    else
        LOG_INFO("--quorum=%d: a majority of the %zu ZooKeeper server(s)", z->quorum, n);
}

static void open_session(zreg *z);

static void on_zk_event(act_actor *self, zk_session *s, zk_event ev, const char *path)
{
    zreg *z = act_state(self);
    switch (ev) {
    case ZK_CONNECTED:
        if (z->quorum && !z->quorum_checked) zk_get(s, ZOO_CONFIG_NODE, false, 0, on_config);
        start_recovery(z);
        flush(z);
        break;
    case ZK_EXPIRED:
        LOG_WARNING("The registrar's ZooKeeper session expired; opening another");
        zk_close(z->zk);
        z->zk = NULL;
        resend_all(z);
        open_session(z);
        break;
    case ZK_AUTH_FAILED:
        fail(z, "ZooKeeper refused the credentials");
        break;
    case ZK_DISCONNECTED:
    case ZK_CHILDREN:
    case ZK_NODE:
        break;
    }
}

static void open_session(zreg *z)
{
    char err[512];
    z->zk = zk_open(z->self, &z->url, z->session_timeout, on_zk_event, err, sizeof err);
    if (!z->zk) fail(z, "%s", err);
}

static void on_init(act_actor *self, void *arg)
{
    open_session(act_state(self));
}

static void on_terminate(act_actor *self, void *arg)
{
    zreg *z = act_state(self);
    zk_close(z->zk);
    while (z->head) drop(z, z->head);
    found_clear(z);
    act_map_free(z->sizes);
    zk_url_free(&z->url);
    free(z->fence);
    free(z);
}

act_pid registrar_zk_spawn(const master_config *cfg, const act_pid *owner, int loop)
{
    zreg *z = act_calloc(1, sizeof *z);
    char err[256];
    if (zk_url_parse(cfg->zk, &z->url, err, sizeof err) != 0) LOG_FATAL("%s", err);
    z->master = *owner;
    z->session_timeout = cfg->zk_session_timeout;
    z->store_timeout = cfg->registry_store_timeout;
    z->fetch_timeout = cfg->registry_fetch_timeout;
    z->quorum = cfg->quorum;
    z->metrics = reg_metrics_get();
    z->sizes = act_map_new();
    char name[ACT_ID_MAX];
    act_actor *a = act_new(act_unique_name(REGISTRAR_ACTOR, name, sizeof name), z);
    z->self = a;
    act_on_local(a, REG_MSG_RECOVER, on_recover);
    act_on_local(a, REG_MSG_APPLY, on_apply);
    act_on_init(a, on_init, NULL);
    act_on_terminate(a, on_terminate, NULL);
    act_pid pid = act_self(a);
    act_spawn(a, loop);
    return pid;
}
