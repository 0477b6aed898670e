/*
 * iso_disk.c - the posix/disk isolator (Mesos' PosixDiskIsolatorProcess): every
 * --container_disk_watch_interval (on the runtime clock) the sandboxes of the running
 * containers are measured, as `du -s` would (blocks in use, each inode once), on a thread of
 * its own so the containerizer's loop never waits on a disk; the figures go to
 * /monitor/statistics.json (disk_used_bytes beside disk_limit_bytes, the container's disk
 * resource), and with --enforce_container_disk_quota a container using more than its disk is
 * destroyed: its tasks fail with "Disk usage exceeded". One measurement round runs at a time.
 */
#include "slave/isolator_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 256

typedef struct entry {
    char *directory;
    uint64_t quota;           /* bytes; 0: no disk resource, nothing enforced */
    bool measured;
    uint64_t used;
} entry;

typedef struct disk {
    act_map *entries;         /* container_id -> entry */
    double interval;
    bool enforce;
    act_actor *cz;
    act_pid cz_pid;
    bool running;             /* a round's thread runs */
    pthread_t thread;
    atomic_bool stop;
    act_timer_id timer;
} disk;

/* One measurement round: what the thread measures, and its results. */
typedef struct round {
    disk *d;
    size_t n;
    char (*ids)[WIRE_UUID_STRLEN];
    char **dirs;
    uint64_t *bytes;
    int *rc;
} round;

/* ---- measuring --------------------------------------------------------------------------- */

typedef struct du_walk {
    uint64_t bytes;
    struct { dev_t dev; ino_t ino; } *seen; /* inodes with several links, counted once */
    size_t n, cap;
    const atomic_bool *stop;
} du_walk;

static bool seen_before(du_walk *w, const struct stat *st)
{
    if (st->st_nlink < 2 || S_ISDIR(st->st_mode)) return false;
    for (size_t i = 0; i < w->n; i++)
        if (w->seen[i].dev == st->st_dev && w->seen[i].ino == st->st_ino) return true;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->seen = act_realloc(w->seen, w->cap * sizeof *w->seen);
    }
    w->seen[w->n].dev = st->st_dev;
    w->seen[w->n++].ino = st->st_ino;
    return false;
}

/* Adds what the directory open at dfd (taken) holds. */
static int du_dir(du_walk *w, int dfd, int depth)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return -e;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && !atomic_load(w->stop)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue; /* gone */
        if (!seen_before(w, &st)) w->bytes += (uint64_t)st.st_blocks * 512;
        if (!S_ISDIR(st.st_mode) || depth >= MAX_DEPTH) continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) du_dir(w, fd, depth + 1);
    }
    closedir(d);
    return 0;
}

static int du(const char *path, uint64_t *bytes, const atomic_bool *stop)
{
    du_walk w = {.stop = stop};
    struct stat st;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return -e;
    }
    w.bytes = (uint64_t)st.st_blocks * 512;
    int rc = du_dir(&w, fd, 0);
    free(w.seen);
    *bytes = w.bytes;
    return rc;
}

static void round_free(round *r)
{
    for (size_t i = 0; i < r->n; i++) free(r->dirs[i]);
    free(r->ids);
    free(r->dirs);
    free(r->bytes);
    free(r->rc);
    free(r);
}

/* ---- rounds on the runtime clock --------------------------------------------------------- */

static void tick(act_actor *self, void *arg);

static void schedule(disk *d)
{
    d->timer = act_delay(d->cz, d->interval, tick, d);
}

static void judge(disk *d, act_actor *self, const char *id, entry *e)
{
    char used[32], quota[32], msg[512];
    if (!d->enforce || e->quota == 0 || e->used <= e->quota) return;
    snprintf(msg, sizeof msg, "Disk usage exceeded: %s used, quota %s (%s)",
             act_bytes_format(e->used, used, sizeof used),
             act_bytes_format(e->quota, quota, sizeof quota), e->directory);
    cz__limited(self, id, msg);
}

static void measured(act_actor *self, void *arg)
{
    round *r = arg;
    if (!self) { /* the containerizer is gone (it joined the thread) */
        round_free(r);
        return;
    }
    disk *d = r->d;
    pthread_join(d->thread, NULL);
    d->running = false;
    for (size_t i = 0; i < r->n; i++) {
        entry *e = act_map_get(d->entries, r->ids[i]);
        if (!e || r->rc[i] != 0) continue;
        e->used = r->bytes[i];
        e->measured = true;
        judge(d, self, r->ids[i], e);
    }
    round_free(r);
    schedule(d);
}

static void *measure_thread(void *arg)
{
    round *r = arg;
    for (size_t i = 0; i < r->n; i++) r->rc[i] = du(r->dirs[i], &r->bytes[i], &r->d->stop);
    act_dispatch(&r->d->cz_pid, measured, r);
    return NULL;
}

static void tick(act_actor *self, void *arg)
{
    disk *d = arg;
    d->timer = 0;
    size_t n = act_map_size(d->entries);
    if (n == 0 || d->running) {
        if (!d->running) schedule(d);
        return;
    }
    round *r = act_calloc(1, sizeof *r);
    r->d = d;
    r->ids = act_calloc(n, sizeof *r->ids);
    r->dirs = act_calloc(n, sizeof *r->dirs);
    r->bytes = act_calloc(n, sizeof *r->bytes);
    r->rc = act_calloc(n, sizeof *r->rc);
    const char *id;
    entry *e;
    for (size_t it = 0; act_map_next(d->entries, &it, &id, (void **)&e);) {
        snprintf(r->ids[r->n], sizeof r->ids[0], "%s", id);
        r->dirs[r->n++] = act_strdup(e->directory);
    }
    if (pthread_create(&d->thread, NULL, measure_thread, r) != 0) {
        LOG_ERROR("Cannot start a thread to measure the sandboxes");
        round_free(r);
        schedule(d);
        return;
    }
    d->running = true;
}

/* ---- the isolator ------------------------------------------------------------------------ */

static int create(isolator *iso, char *err, size_t errlen)
{
    disk *d = act_calloc(1, sizeof *d);
    d->entries = act_map_new();
    d->interval = iso->env->cfg->container_disk_watch_interval;
    d->enforce = iso->env->cfg->enforce_container_disk_quota;
    iso->priv = d;
    return 0;
}

static void start(isolator *iso, act_actor *cz)
{
    disk *d = iso->priv;
    d->cz = cz;
    d->cz_pid = act_self(cz);
    schedule(d);
}

static void destroy(isolator *iso)
{
    disk *d = iso->priv;
    atomic_store(&d->stop, true);
    if (d->running) pthread_join(d->thread, NULL);
    const char *id;
    entry *e;
    for (size_t it = 0; act_map_next(d->entries, &it, &id, (void **)&e);) {
        free(e->directory);
        free(e);
    }
    act_map_free(d->entries);
    free(d);
}

static uint64_t quota_of(const iso_container *c)
{
    int64_t milli = res_scalar_milli(&c->resources, "disk");
    return milli > 0 ? (uint64_t)milli * 1024 * 1024 / RES_SCALE : 0;
}

static void track(disk *d, iso_container *c)
{
    entry *e = act_calloc(1, sizeof *e);
    e->directory = act_strdup(c->directory);
    e->quota = quota_of(c);
    entry *old = act_map_put(d->entries, c->container_id, e);
    if (old) {
        free(old->directory);
        free(old);
    }
}

static void recover(isolator *iso, iso_container *const *live, size_t n)
{
    for (size_t i = 0; i < n; i++) track(iso->priv, live[i]);
}

static int prepare(isolator *iso, iso_container *c, iso_plan *plan, char *err, size_t errlen)
{
    track(iso->priv, c);
    return 0;
}

static int update(isolator *iso, iso_container *c, char *err, size_t errlen)
{
    entry *e = act_map_get(((disk *)iso->priv)->entries, c->container_id);
    if (e) e->quota = quota_of(c);
    return 0;
}

static void usage(isolator *iso, iso_container *c, cz_stats *st)
{
    entry *e = act_map_get(((disk *)iso->priv)->entries, c->container_id);
    if (!e) return;
    st->has_disk_limit = e->quota > 0;
    st->disk_limit_bytes = e->quota;
    st->has_disk_used = e->measured;
    st->disk_used_bytes = e->used;
}

static void cleanup(isolator *iso, iso_container *c)
{
    entry *e = act_map_remove(((disk *)iso->priv)->entries, c->container_id);
    if (!e) return;
    free(e->directory);
    free(e);
}

const iso_ops iso_posix_disk = {
    .name = "posix/disk",
    .create = create,
    .destroy = destroy,
    .start = start,
    .recover = recover,
    .prepare = prepare,
    .update = update,
    .usage = usage,
    .cleanup = cleanup,
};
