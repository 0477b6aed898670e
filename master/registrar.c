/*
 * registrar.c - the registrar actor keeps the durable part of the cluster state, the
 * Registry (which slaves were admitted), and the master's side of talking to any registrar.
 * Standalone, the registry is a msgpack file <work_dir>/registry replaced atomically (temp
 * file, fsync, rename, fsync of the directory); with --registry=in_memory it lives only in
 * the actor; with --zk it lives in ZooKeeper (registrar_zk.c, same protocol). Operations
 * (admit, readmit, remove a slave) are applied in order, those that arrive together in one
 * batch and one write; the master hears back only once an operation is stored. The
 * registrar runs on the allocator's loop so the master's loop never waits on the disk.
 */
#include "master/master_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct registrar {
    char *path;          /* NULL: in memory */
    act_pid master;
    wire_msg *registry;  /* a wire_registry */
    reg_metrics metrics;
    reg_op **pending;    /* operations received, applied at the next flush */
    size_t npending, pending_cap;
    bool flush_queued;
} registrar;

static void free_wire(void *p)
{
    wire_msg_free(p);
}

reg_metrics reg_metrics_get(void)
{
    return (reg_metrics){act_counter_get("registrar/operations"),
                         act_counter_get("registrar/operation_failures"),
                         act_timing_get("registrar/state_store_ms"),
                         act_timing_get("registrar/state_fetch_ms"),
                         act_gauge_get("registrar/queued_operations"),
                         act_gauge_get("registrar/registry_size_bytes")};
}

void reg_op_free(void *p)
{
    reg_op *op = p;
    wire_msg_free(op->info);
    free(op);
}

void reg_recover_free(void *p)
{
    reg_recover *r = p;
    wire_msg_free(r->info);
    free(r->fence);
    free(r);
}

/* ---- storage ----------------------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Replaces path with bytes, atomically and durably. */
static int store_file(const char *path, const act_buf *bytes, char *err, size_t errlen)
{
    char tmp[4096], dir[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return snprintf(err, errlen, "open %.200s: %s", tmp, strerror(errno)), -errno;
    int rc = write_all(fd, bytes->data, bytes->len);
    if (rc == 0 && fsync(fd) != 0) rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0) rc = -errno;
    if (rc != 0) {
        snprintf(err, errlen, "write %.200s: %s", path, strerror(-rc));
        unlink(tmp);
        return rc;
    }
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Writes `next` (the registry with the operation applied) before it replaces the current. */
static int store(registrar *r, const wire_msg *next, char *err, size_t errlen)
{
    double t0 = act_now();
    act_buf b = {0};
    int rc = wire_encode(WIRE_DESC(registry), next->root, &b);
    if (rc == 0 && r->path) rc = store_file(r->path, &b, err, errlen);
    else if (rc != 0) snprintf(err, errlen, "encode: %s", wire_strerror(rc));
    if (rc == 0) act_gauge_set(r->metrics.size, (double)b.len);
    act_buf_free(&b);
    if (r->path) act_timing_record(r->metrics.store_ms, (act_now() - t0) * 1000.0);
    return rc;
}

/* Reads the registry file; a missing file is an empty registry. */
static int load(registrar *r, char *err, size_t errlen)
{
    if (!r->path) return 0;
    FILE *f = fopen(r->path, "rb");
    if (!f) {
        if (errno == ENOENT) return 0;
        return snprintf(err, errlen, "open %.200s: %s", r->path, strerror(errno)), -errno;
    }
    act_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) act_buf_append(&b, chunk, n);
    fclose(f);
    wire_msg *reg = NULL;
    int rc = wire_decode(WIRE_DESC(registry), b.data, b.len, &reg, err, errlen);
    if (rc == 0) act_gauge_set(r->metrics.size, (double)b.len);
    act_buf_free(&b);
    if (rc != 0) return rc;
    wire_msg_free(r->registry);
    r->registry = reg;
    return 0;
}

/* ---- operations --------------------------------------------------------------------------
 * Operations that arrive together are applied together (as Mesos' registrar does): one copy
 * of the registry and one write per batch, so a thousand slaves registering at once cost
 * about what one does. Each operation is still answered on its own, in order. */

/* What a batch did to one slave ID. */
typedef struct slot {
    bool present;
    const wire_slave_info *info; /* admitted in this batch; NULL: the registry's own entry */
} slot;

typedef struct batch {
    act_map *index;   /* slave id -> (void *)(position + 1) in the current registry */
    act_map *touched; /* slave id -> slot *, in the order first touched */
} batch;

static bool present(const batch *b, const char *id)
{
    slot *t = act_map_get(b->touched, id);
    return t ? t->present : act_map_get(b->index, id) != NULL;
}

static void set_slot(batch *b, const char *id, bool is_present, const wire_slave_info *info)
{
    slot *t = act_map_get(b->touched, id);
    if (!t) act_map_put(b->touched, id, t = act_calloc(1, sizeof *t));
    t->present = is_present;
    t->info = info;
}

/* Applies op to the batch. Returns NULL or why it cannot be applied. */
static const char *apply(batch *b, const reg_op *op)
{
    const wire_slave_info *info = op->info->root;
    const char *id = info->id->value;
    switch (op->kind) {
    case REG_ADMIT:
        if (present(b, id)) return "Slave already admitted";
        set_slot(b, id, true, info);
        return NULL;
    case REG_READMIT:
        if (!present(b, id)) set_slot(b, id, true, info); /* not strict: it may be newer */
        return NULL;
    case REG_REMOVE:
        if (present(b, id)) set_slot(b, id, false, NULL);
        return NULL;
    }
    return "Unknown operation";
}

/* The registry after the batch: the entries it kept, then those it admitted. */
static wire_msg *batch_result(const wire_registry *cur, batch *b)
{
    size_t n = cur->slaves ? cur->slaves->slaves_count : 0, count = 0;
    const wire_slave_info **keep = act_malloc((n + act_map_size(b->touched) + 1) * sizeof *keep);
    for (size_t i = 0; i < n; i++) {
        const wire_slave_info *info = &cur->slaves->slaves[i].info;
        slot *t = act_map_get(b->touched, info->id->value);
        if (!t || (t->present && !t->info)) keep[count++] = info;
    }
    slot *t;
    for (size_t it = 0; act_map_next(b->touched, &it, NULL, (void **)&t);)
        if (t->present && t->info) keep[count++] = t->info;
    wire_msg *m = wire_new(WIRE_DESC(registry));
    wire_registry *reg = m->root;
    wire_copy_into(m, WIRE_DESC(master_info), &reg->master.info, &cur->master.info);
    reg->slaves = wire_alloc(m, sizeof *reg->slaves);
    reg->slaves->slaves = wire_alloc_array(m, WIRE_DESC(registry_slave), count);
    reg->slaves->slaves_count = count;
    for (size_t i = 0; i < count; i++)
        wire_copy_into(m, WIRE_DESC(slave_info), &reg->slaves->slaves[i].info, keep[i]);
    free(keep);
    return m;
}

static void batch_init(batch *b, const wire_registry *cur)
{
    b->index = act_map_new();
    b->touched = act_map_new();
    size_t n = cur->slaves ? cur->slaves->slaves_count : 0;
    for (size_t i = 0; i < n; i++)
        if (cur->slaves->slaves[i].info.id)
            act_map_put(b->index, cur->slaves->slaves[i].info.id->value, (void *)(i + 1));
}

static void batch_free(batch *b)
{
    void *t;
    for (size_t it = 0; act_map_next(b->touched, &it, NULL, &t);) free(t);
    act_map_free(b->touched);
    act_map_free(b->index);
}

/* Applies every pending operation, stores the result once, answers each operation. */
static void flush(act_actor *self, void *arg)
{
    if (!self) return; /* terminated: on_terminate released the pending operations */
    registrar *r = act_state(self);
    r->flush_queued = false;
    batch b;
    batch_init(&b, r->registry->root);
    reg_result **res = act_malloc((r->npending ? r->npending : 1) * sizeof *res);
    size_t applied = 0;
    for (size_t i = 0; i < r->npending; i++) {
        res[i] = act_calloc(1, sizeof *res[i]);
        res[i]->token = r->pending[i]->token;
        const char *why = apply(&b, r->pending[i]);
        if (why) snprintf(res[i]->error, sizeof res[i]->error, "%s", why);
        else applied++, res[i]->ok = true;
    }
    char err[256] = "";
    wire_msg *next = applied ? batch_result(r->registry->root, &b) : NULL;
    if (next && store(r, next, err, sizeof err) == 0) {
        wire_msg_free(r->registry);
        r->registry = next;
    } else if (next) {
        wire_msg_free(next);
        for (size_t i = 0; i < r->npending; i++)
            if (res[i]->ok) res[i]->ok = false, snprintf(res[i]->error, sizeof res[i]->error,
                                                         "%s", err);
    }
    for (size_t i = 0; i < r->npending; i++) {
        if (!res[i]->ok) {
            act_counter_inc(r->metrics.failures);
            LOG_ERROR("Registrar operation failed: %s", res[i]->error);
        }
        act_post(self, &r->master, REG_MSG_APPLIED, res[i], free);
        reg_op_free(r->pending[i]);
    }
    free(res);
    r->npending = 0;
    act_gauge_set(r->metrics.queued, 0);
    batch_free(&b);
}

static void on_apply(act_actor *self, const act_msg *msg)
{
    registrar *r = act_state(self);
    act_counter_inc(r->metrics.ops);
    if (r->npending == r->pending_cap) {
        r->pending_cap = r->pending_cap ? 2 * r->pending_cap : 64;
        r->pending = act_realloc(r->pending, r->pending_cap * sizeof *r->pending);
    }
    r->pending[r->npending++] = msg->obj;
    *msg->obj_taken = true;
    act_gauge_set(r->metrics.queued, (double)r->npending);
    if (r->flush_queued) return;
    r->flush_queued = true; /* after what is in the mailbox now: the batch */
    act_pid me = act_self(self);
    act_dispatch(&me, flush, NULL);
}

static void on_recover(act_actor *self, const act_msg *msg)
{
    registrar *r = act_state(self);
    const reg_recover *rec = msg->obj;
    const wire_master_info *info = rec->info->root;
    char err[512] = "";
    double t0 = act_now();
    if (load(r, err, sizeof err) != 0)
        LOG_FATAL("Failed to recover the registry: %s", err); /* never serve on a bad registry */
    act_timing_record(r->metrics.fetch_ms, (act_now() - t0) * 1000.0);
    wire_registry *reg = r->registry->root;
    wire_copy_into(r->registry, WIRE_DESC(master_info), &reg->master.info, info);
    size_t n = reg->slaves ? reg->slaves->slaves_count : 0;
    LOG_INFO("Recovered the registry%s%s: %zu slave(s)", r->path ? " from " : " (in memory)",
             r->path ? r->path : "", n);
    act_post(self, &r->master, REG_MSG_RECOVERED, wire_copy(WIRE_DESC(registry), reg),
             free_wire);
}

static void on_terminate(act_actor *self, void *arg)
{
    registrar *r = act_state(self);
    for (size_t i = 0; i < r->npending; i++) reg_op_free(r->pending[i]);
    free(r->pending);
    wire_msg_free(r->registry);
    free(r->path);
    free(r);
}

act_pid registrar_spawn(const master_config *cfg, const act_pid *owner, int loop)
{
    if (cfg->zk && !cfg->registry_in_memory) return registrar_zk_spawn(cfg, owner, loop);
    registrar *r = act_calloc(1, sizeof *r);
    if (!cfg->registry_in_memory) {
        size_t n = strlen(cfg->work_dir) + 16;
        r->path = act_malloc(n);
        snprintf(r->path, n, "%s/registry", cfg->work_dir);
        mkdir(cfg->work_dir, 0755);
    }
    r->master = *owner;
    r->registry = wire_new(WIRE_DESC(registry));
    r->metrics = reg_metrics_get();
    act_actor *a = act_new(REGISTRAR_ACTOR, r);
    act_on_local(a, REG_MSG_RECOVER, on_recover);
    act_on_local(a, REG_MSG_APPLY, on_apply);
    act_on_terminate(a, on_terminate, NULL);
    act_pid pid = act_self(a);
    act_spawn(a, loop);
    return pid;
}

/* ---- the master's side ------------------------------------------------------------------- */

typedef struct pending_op {
    registrar_done_fn done;
    void *ctx;
    void (*free_ctx)(void *);
} pending_op;

void m_registrar_apply(master *m, registrar_op_kind kind, const wire_slave_info *info,
                       registrar_done_fn done, void *ctx, void (*free_ctx)(void *))
{
    reg_op *op = act_calloc(1, sizeof *op);
    op->kind = kind;
    op->info = wire_copy(WIRE_DESC(slave_info), info);
    op->token = ++m->next_token;
    pending_op *p = act_calloc(1, sizeof *p);
    p->done = done;
    p->ctx = ctx;
    p->free_ctx = free_ctx;
    char key[32];
    snprintf(key, sizeof key, "%llu", (unsigned long long)op->token);
    act_map_put(m->pending_ops, key, p);
    act_post(m->self, &m->registrar, REG_MSG_APPLY, op, reg_op_free);
}

static void on_applied(act_actor *self, const act_msg *msg)
{
    master *m = act_state(self);
    const reg_result *res = msg->obj;
    char key[32];
    snprintf(key, sizeof key, "%llu", (unsigned long long)res->token);
    pending_op *p = act_map_remove(m->pending_ops, key);
    if (!p) return;
    if (res->fatal) { /* the registry cannot be written: nothing may go on as if it were */
        if (p->free_ctx) p->free_ctx(p->ctx);
        free(p);
        char why[320];
        snprintf(why, sizeof why, "Registrar failed: %s", res->error);
        m_abort(m, why);
        return;
    }
    p->done(m, res->ok, res->error, p->ctx);
    free(p);
}

static void on_failed(act_actor *self, const act_msg *msg)
{
    char why[512];
    snprintf(why, sizeof why, "Registrar failed: %s", (const char *)msg->obj);
    m_abort(act_state(self), why);
}

void m_registrar_abandon(master *m)
{
    pending_op *p;
    for (size_t it = 0; act_map_next(m->pending_ops, &it, NULL, (void **)&p);) {
        if (p->free_ctx) p->free_ctx(p->ctx);
        free(p);
    }
    act_map_free(m->pending_ops);
    m->pending_ops = NULL;
}

void m_registrar_recover(master *m)
{
    reg_recover *r = act_calloc(1, sizeof *r);
    r->info = wire_copy(WIRE_DESC(master_info), m->info);
    r->fence = m->candidacy ? act_strdup(m->candidacy) : NULL;
    act_post(m->self, &m->registrar, REG_MSG_RECOVER, r, reg_recover_free);
}

static void on_recovered(act_actor *self, const act_msg *msg)
{
    m_recovered(act_state(self), msg->obj);
}

void m_recovered(master *m, wire_msg *registry)
{
    if (m->aborted) return;
    m->recovering = false;
    m->recovered = true;
    m_slaves_recovered(m, registry);
    m_replay_held(m);
}

void m_registrar_handlers(act_actor *a)
{
    act_on_local(a, REG_MSG_APPLIED, on_applied);
    act_on_local(a, REG_MSG_RECOVERED, on_recovered);
    act_on_local(a, REG_MSG_FAILED, on_failed);
}
