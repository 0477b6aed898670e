/*
 * gc.c - the "gc" actor: removes the sandboxes of finished executors once their delay has
 * passed (Mesos' GarbageCollectorProcess), and sooner when the disk of the work directory
 * fills up (the slave's disk watch: every disk_watch_interval, paths older than
 * gc_delay * max(0, 1 - headroom - usage) go at once). It only ever removes paths strictly
 * below the work directory, never following symlinks.
 */
#include "slave/gc_int.h"
#include "slave/slave_int.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

typedef struct gc_entry {
    char *path;
    double scheduled_at; /* runtime clock */
    double delay;
    act_timer_id timer;
} gc_entry;

typedef struct gc_state {
    char *work_dir;
    double gc_delay;
    double headroom;       /* --gc_disk_headroom */
    double watch_interval; /* <= 0: no disk watch */
    act_map *entries;      /* path -> gc_entry (owned) */
    act_counter *removals, *failures;
} gc_state;

static _Atomic(gc_usage_fn) usage_probe;

void gc_set_usage_probe(gc_usage_fn fn)
{
    atomic_store(&usage_probe, fn);
}

void gc_path_free(void *p)
{
    gc_path *g = p;
    if (!g) return;
    free(g->path);
    free(g);
}

static void entry_free(gc_entry *e)
{
    free(e->path);
    free(e);
}

/* ---- removing a path --------------------------------------------------------------------- */

/* Resolves path for removal into out (PATH_MAX bytes): its parent directories canonical (so
 * neither "..", nor a symlinked parent, can lead elsewhere), its last component as given and
 * never followed (a trailing slash would make the kernel follow a symlink, so it goes).
 * Returns 0 if out is strictly below work_dir, -EPERM if not (or work_dir cannot be
 * resolved), -ENOENT if the parent is gone, or realpath's -errno. */
static int resolve_removable(const char *work_dir, const char *path, char *out)
{
    char copy[PATH_MAX], parent[PATH_MAX], root[PATH_MAX];
    if (path[0] != '/' || strlen(path) >= sizeof copy) return -EPERM;
    strcpy(copy, path);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/') copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    const char *base = slash + 1;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) return -EPERM;
    *slash = '\0';
    if (!realpath(copy[0] ? copy : "/", parent)) return errno == ENOTDIR ? -ENOENT : -errno;
    if (!realpath(work_dir, root)) return -EPERM;
    int w = snprintf(out, PATH_MAX, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, base);
    if (w < 0 || w >= PATH_MAX) return -EPERM;
    size_t r = strlen(root);
    if (r == 1) return 0; /* work_dir "/": every path but "/" itself is below it */
    if (strncmp(parent, root, r) != 0 || (parent[r] != '\0' && parent[r] != '/')) return -EPERM;
    return 0;
}

/* nftw gives its callback no context; removal runs on one loop thread at a time per actor. */
static _Thread_local int rm_first_error;

static int rm_entry(const char *p, const struct stat *s, int type, struct FTW *f)
{
    int rc = (type == FTW_DP || type == FTW_DNR) ? rmdir(p) : unlink(p);
    if (rc != 0 && errno != ENOENT) {
        if (!rm_first_error) rm_first_error = -errno;
        LOG_WARNING("Failed to remove '%s': %s", p, act_strerror(-errno));
    }
    return 0; /* keep going: free what can be freed, as Mesos does */
}

/* Removes path and everything below it, depth first, without following symlinks or
 * crossing into other file systems. Returns 0, -ENOENT, or the first failure's -errno. */
static int remove_tree(const char *path)
{
    rm_first_error = 0;
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0) return -errno;
    return rm_first_error;
}

static void remove_path(gc_state *st, const char *path)
{
    char target[PATH_MAX];
    int rc = resolve_removable(st->work_dir, path, target);
    if (rc == -EPERM) {
        LOG_ERROR("Refusing to remove '%s': it is not below the work directory '%s'", path,
                  st->work_dir);
        act_counter_inc(st->failures);
        return;
    }
    if (rc == 0) rc = remove_tree(target);
    if (rc == 0) {
        LOG_INFO("Deleted '%s'", path);
        act_counter_inc(st->removals);
    } else if (rc == -ENOENT) {
        LOG_INFO("Nothing to delete at '%s': it is already gone", path);
    } else {
        LOG_WARNING("Failed to delete '%s': %s", path, act_strerror(rc));
        act_counter_inc(st->failures);
    }
}

/* ---- scheduling -------------------------------------------------------------------------- */

static void on_due(act_actor *self, void *arg)
{
    gc_state *st = act_state(self);
    gc_entry *e = arg;
    act_map_remove(st->entries, e->path);
    remove_path(st, e->path);
    entry_free(e);
}

/* Forgets path's pending removal. True if there was one. */
static bool unschedule(act_actor *self, const char *path)
{
    gc_state *st = act_state(self);
    gc_entry *e = act_map_remove(st->entries, path);
    if (!e) return false;
    act_cancel(self, e->timer);
    entry_free(e);
    return true;
}

static void on_schedule(act_actor *self, const act_msg *msg)
{
    gc_state *st = act_state(self);
    const gc_path *p = msg->obj;
    if (!p || !p->path || !p->path[0]) {
        LOG_WARNING("Ignoring a %s without a path", GC_MSG_SCHEDULE);
        return;
    }
    unschedule(self, p->path); /* a second schedule replaces the first, as in Mesos */
    gc_entry *e = act_calloc(1, sizeof *e);
    e->path = act_strdup(p->path);
    e->scheduled_at = act_now();
    e->delay = isfinite(p->delay) && p->delay > 0 ? p->delay : 0;
    e->timer = act_delay(self, e->delay, on_due, e);
    act_map_put(st->entries, e->path, e);
    char d[32];
    LOG_INFO("Scheduling '%s' for gc %s in the future", e->path,
             act_duration_format(e->delay, d, sizeof d));
}

static void on_unschedule(act_actor *self, const act_msg *msg)
{
    const gc_path *p = msg->obj;
    if (!p || !p->path) return;
    if (unschedule(self, p->path)) LOG_INFO("Unscheduled '%s' from gc", p->path);
}

/* ---- the disk watch ---------------------------------------------------------------------- */

double gc_disk_usage(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v) != 0) return -errno;
    if (v.f_blocks == 0) return -EINVAL;
    return 1.0 - (double)v.f_bavail / (double)v.f_blocks;
}

/* Removes at once every path whose removal is due within gc_delay - max_age: Mesos'
 * prune(), which for a path scheduled gc_delay ahead means "scheduled max_age ago or more"
 * and for a recovered sandbox (scheduled gc_delay minus its age ahead) counts its age too. */
static void prune(act_actor *self, double max_age)
{
    gc_state *st = act_state(self);
    double now = act_now();
    void *v;
    for (size_t it = 0; act_map_next(st->entries, &it, NULL, &v);) {
        gc_entry *e = v;
        double remaining = e->scheduled_at + e->delay - now;
        if (remaining > st->gc_delay - max_age) continue;
        LOG_INFO("Pruning '%s' (due in %.0f s) to free disk space", e->path, remaining);
        act_map_remove(st->entries, e->path);
        act_cancel(self, e->timer);
        remove_path(st, e->path);
        entry_free(e);
    }
}

static void check_disk(act_actor *self, void *arg)
{
    gc_state *st = act_state(self);
    gc_usage_fn probe = atomic_load(&usage_probe);
    double usage = probe ? probe() : gc_disk_usage(st->work_dir);
    if (usage < 0) {
        LOG_WARNING("Failed to get the disk usage of '%s'", st->work_dir);
    } else {
        double max_age = st->gc_delay * fmax(0.0, 1.0 - st->headroom - usage);
        char d[32];
        LOG_INFO("Current disk usage %.2f%%. Max allowed age: %s", usage * 100,
                 act_duration_format(max_age, d, sizeof d));
        prune(self, max_age);
    }
    act_delay(self, st->watch_interval, check_disk, NULL);
}

/* ---- the actor --------------------------------------------------------------------------- */

static void on_init(act_actor *self, void *arg)
{
    gc_state *st = act_state(self);
    if (st->watch_interval > 0) act_delay(self, st->watch_interval, check_disk, NULL);
}

static void state_free(gc_state *st)
{
    void *e;
    for (size_t it = 0; act_map_next(st->entries, &it, NULL, &e);) entry_free(e);
    act_map_free(st->entries);
    free(st->work_dir);
    free(st);
}

static void on_terminate(act_actor *self, void *arg)
{
    state_free(act_state(self));
}

act_pid gc_spawn(const char *work_dir, double gc_delay, double headroom,
                 double disk_watch_interval, int loop)
{
    gc_state *st = act_calloc(1, sizeof *st);
    st->work_dir = act_strdup(work_dir);
    st->gc_delay = gc_delay > 0 ? gc_delay : 0;
    st->headroom = headroom >= 0 && headroom <= 1 ? headroom : GC_DISK_HEADROOM;
    st->watch_interval = isfinite(disk_watch_interval) ? disk_watch_interval : 0;
    st->entries = act_map_new();
    st->removals = act_counter_get("gc/path_removals");
    st->failures = act_counter_get("gc/path_removal_failures");
    act_actor *a = act_new(GC_ACTOR, st);
    act_on_local(a, GC_MSG_SCHEDULE, on_schedule);
    act_on_local(a, GC_MSG_UNSCHEDULE, on_unschedule);
    act_on_init(a, on_init, NULL);
    act_on_terminate(a, on_terminate, NULL);
    act_pid pid = act_self(a);
    if (act_spawn(a, loop) != 0) {
        state_free(st);
        return (act_pid){0};
    }
    return pid;
}
