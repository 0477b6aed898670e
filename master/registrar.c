/*
 * registrar.c - the registrar actor keeps the durable part of the cluster state, the
 * Registry (which slaves were admitted), and the master's side of talking to any registrar.
 * Standalone, the registry is a msgpack file <work_dir>/registry replaced atomically (temp
 * file, fsync, rename, fsync of the directory); with --registry=in_memory it lives only in
 * the actor; with --zk it lives in ZooKeeper (registrar_zk.c, same protocol). Operations
 * (admit, readmit, remove a slave) are applied in order; the master hears back only once an
 * operation is stored. Operations that arrive while one is being stored are applied together
 * and stored once, as Mesos' registrar batches them: 50,000 slaves registering at once cost
 * some forty stores, not 50,000 (each rewrites the whole registry). The registrar runs on the
 * allocator's loop so the master's loop never waits on the disk.
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
    act_map *admitted;   /* the registry's slave IDs (values unused) */
    reg_op **batch;      /* operations waiting for the next store, in arrival order */
    size_t batch_len, batch_cap;
    bool flush_queued;   /* a flush is in the mailbox behind them */
    reg_metrics metrics;
} registrar;

static void free_wire(void *p)
{
    wire_msg_free(p);
}

reg_metrics reg_metrics_get(void)
{
    return (reg_metrics){act_counter_get("registrar/operations"),
                         act_counter_get("registrar/operation_failures"),
                         act_timing_get("registrar/state_store_ms")};
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
    if (!r->path) return 0;
    double t0 = act_now();
    act_buf b = {0};
    int rc = wire_encode(WIRE_DESC(registry), next->root, &b);
    if (rc == 0) rc = store_file(r->path, &b, err, errlen);
    else snprintf(err, errlen, "encode: %s", wire_strerror(rc));
    act_buf_free(&b);
    act_timing_record(r->metrics.store_ms, (act_now() - t0) * 1000.0);
    return rc;
}

/* The registry's slave IDs, indexed again (after a load or a failed store). */
static void index_slaves(registrar *r)
{
    act_map_free(r->admitted);
    r->admitted = act_map_new();
    const wire_registry *reg = r->registry->root;
    for (size_t i = 0; reg->slaves && i < reg->slaves->slaves_count; i++)
        if (reg->slaves->slaves[i].info.id)
            act_map_put(r->admitted, reg->slaves->slaves[i].info.id->value, r);
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
    act_buf_free(&b);
    if (rc != 0) return rc;
    wire_msg_free(r->registry);
    r->registry = reg;
    index_slaves(r);
    return 0;
}

/* ---- operations -------------------------------------------------------------------------- */

static long find_slave(const wire_registry *reg, const char *id)
{
    if (!reg->slaves) return -1;
    for (size_t i = 0; i < reg->slaves->slaves_count; i++) {
        const wire_slave_info *info = &reg->slaves->slaves[i].info;
        if (info->id && strcmp(info->id->value, id) == 0) return (long)i;
    }
    return -1;
}

/* Appends info to the registry's slaves; *cap is the array's room, which doubles as needed
 * (a batch of admissions copies the array a few times, not once each). */
static void add_slave(wire_msg *m, wire_registry *reg, const wire_slave_info *info, size_t *cap)
{
    if (!reg->slaves) reg->slaves = wire_alloc(m, sizeof *reg->slaves);
    size_t n = reg->slaves->slaves_count;
    if (n == *cap) {
        *cap = n ? 2 * n : 16;
        wire_registry_slave *v = wire_alloc_array(m, WIRE_DESC(registry_slave), *cap);
        if (n) memcpy(v, reg->slaves->slaves, n * sizeof *v);
        reg->slaves->slaves = v;
    }
    wire_copy_into(m, WIRE_DESC(slave_info), &reg->slaves->slaves[n].info, info);
    reg->slaves->slaves_count = n + 1;
}

/* Applies op to the registry copy `next` (r->admitted follows it). Returns NULL or why it
 * cannot be applied. Only a removal searches the registry. */
static const char *apply(registrar *r, wire_msg *next, const reg_op *op, size_t *cap)
{
    wire_registry *reg = next->root;
    const wire_slave_info *info = op->info->root;
    bool known = act_map_get(r->admitted, info->id->value) != NULL;
    switch (op->kind) {
    case REG_ADMIT:
        if (known) return "Slave already admitted";
        add_slave(next, reg, info, cap);
        act_map_put(r->admitted, info->id->value, r);
        return NULL;
    case REG_READMIT:
        if (!known) { /* not strict: the registry may be newer */
            add_slave(next, reg, info, cap);
            act_map_put(r->admitted, info->id->value, r);
        }
        return NULL;
    case REG_REMOVE:
        if (known) {
            long at = find_slave(reg, info->id->value);
            size_t n = reg->slaves->slaves_count;
            memmove(&reg->slaves->slaves[at], &reg->slaves->slaves[at + 1],
                    (n - (size_t)at - 1) * sizeof reg->slaves->slaves[0]);
            reg->slaves->slaves_count--;
            act_map_remove(r->admitted, info->id->value);
        }
        return NULL;
    }
    return "Unknown operation";
}

static void answer(registrar *r, act_actor *self, const reg_op *op, const char *why)
{
    reg_result *res = act_calloc(1, sizeof *res);
    res->token = op->token;
    res->ok = why == NULL;
    if (why) {
        snprintf(res->error, sizeof res->error, "%s", why);
        act_counter_inc(r->metrics.failures);
        LOG_ERROR("Registrar operation failed: %s", why);
    }
    act_post(self, &r->master, REG_MSG_APPLIED, res, free);
}

/* Applies every waiting operation to one copy of the registry and stores it once; each
 * operation is answered in order (all fail if the store does). */
static void flush(act_actor *self, void *arg)
{
    (void)arg;
    if (!self) return; /* the registrar ended first: on_terminate freed the batch */
    registrar *r = act_state(self);
    r->flush_queued = false;
    size_t n = r->batch_len;
    r->batch_len = 0;
    wire_msg *next = wire_copy(WIRE_DESC(registry), r->registry->root);
    const wire_registry *reg = next->root;
    size_t cap = reg->slaves ? reg->slaves->slaves_count : 0, applied = 0;
    const char **why = act_calloc(n ? n : 1, sizeof *why);
    for (size_t i = 0; i < n; i++)
        if (!(why[i] = apply(r, next, r->batch[i], &cap))) applied++;
    char err[sizeof ((reg_result *)0)->error] = "";
    if (applied && store(r, next, err, sizeof err) != 0) {
        wire_msg_free(next);
        index_slaves(r); /* as it was: the registry is unchanged */
        for (size_t i = 0; i < n; i++)
            if (!why[i]) why[i] = err;
    } else {
        wire_msg_free(r->registry);
        r->registry = next;
    }
    for (size_t i = 0; i < n; i++) {
        answer(r, self, r->batch[i], why[i]);
        reg_op_free(r->batch[i]);
    }
    free(why);
}

static void on_apply(act_actor *self, const act_msg *msg)
{
    registrar *r = act_state(self);
    act_counter_inc(r->metrics.ops);
    if (r->batch_len == r->batch_cap) {
        r->batch_cap = r->batch_cap ? 2 * r->batch_cap : 64;
        r->batch = act_realloc(r->batch, r->batch_cap * sizeof *r->batch);
    }
    r->batch[r->batch_len++] = msg->obj;
    *msg->obj_taken = true;
    if (!r->flush_queued) {
        act_pid me = act_self(self);
        r->flush_queued = act_dispatch(&me, flush, NULL) == 0;
    }
}

static void on_recover(act_actor *self, const act_msg *msg)
{
    registrar *r = act_state(self);
    const reg_recover *rec = msg->obj;
    const wire_master_info *info = rec->info->root;
    char err[512] = "";
    if (load(r, err, sizeof err) != 0)
        LOG_FATAL("Failed to recover the registry: %s", err); /* never serve on a bad registry */
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
    for (size_t i = 0; i < r->batch_len; i++) reg_op_free(r->batch[i]);
    free(r->batch);
    act_map_free(r->admitted);
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
    r->admitted = act_map_new();
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
