/*
 * linux_launcher.c - containment (Mesos' LinuxLauncher): when an isolator needs it, every
 * container gets a cgroup of its own (the freezer's in cgroup v1, its one cgroup in v2) that
 * the executor joins before exec, so each process it ever starts, daemonized or reparented or
 * not, is found there: destroy signals and kills them all through the cgroup. After a
 * restart, cgroups under --cgroups_root that belong to no recovered container were left by a
 * slave that was killed; they are destroyed (their processes are provably ours: they are in
 * our cgroups).
 */
#include "slave/isolator_int.h"

#include <errno.h>
#include <string.h>

/* The distinct directories of cgroup `cg` in the hierarchies the set uses (one in v2; in v1
 * one per mount, comounted controllers once). Returns how many. */
static size_t dirs_of(const iso_set *s, const char *cg, char dirs[][PATH_MAX], size_t max)
{
    unsigned used = iso_set_controllers(s);
    size_t n = 0;
    for (int c = 0; c < CG_NCONTROLLERS && n < max; c++) {
        if (!(used & CG_BIT(c))) continue;
        cg_dir(&s->layout, (cg_controller)c, cg, dirs[n], PATH_MAX);
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++) seen = strcmp(dirs[k], dirs[n]) == 0;
        if (!seen) n++;
    }
    return n;
}

char *ll_dir(const iso_set *s, const char *cg, char *buf, size_t n)
{
    return cg_dir(&s->layout, CG_FREEZER, cg, buf, n);
}

int ll_prepare(const iso_set *s, iso_container *c, iso_plan *plan, char *err, size_t errlen)
{
    unsigned enable = iso_set_controllers(s) & (CG_BIT(CG_CPU) | CG_BIT(CG_MEMORY));
    int rc = cg_create(&s->layout, CG_FREEZER, c->cgroup, enable, true, err, errlen);
    if (rc != 0) return rc;
    c->contained = true;
    char dir[PATH_MAX];
    return iso_plan_join(plan, ll_dir(s, c->cgroup, dir, sizeof dir), err, errlen);
}

int ll_signal(const iso_set *s, const iso_container *c, int sig)
{
    char dir[PATH_MAX];
    return c->contained ? cg_signal(ll_dir(s, c->cgroup, dir, sizeof dir), sig) : -ENOENT;
}

int ll_destroy(const iso_set *s, const char *cg, bool remove)
{
    char dirs[CG_NCONTROLLERS][PATH_MAX];
    size_t n = dirs_of(s, cg, dirs, CG_NCONTROLLERS);
    int rc = 0;
    for (size_t i = 0; i < n; i++) { /* every process joined them all; any left is killed */
        if (cg_kill_all(&s->layout, dirs[i], 60) != 0) {
            LOG_ERROR("Processes are left in cgroup %s after 60 s of killing them", dirs[i]);
            rc = -EBUSY;
        }
    }
    for (size_t i = 0; remove && rc == 0 && i < n; i++) {
        int removed = cg_remove(dirs[i]);
        if (removed == 0) continue;
        LOG_WARNING("Cannot remove cgroup %s: %s", dirs[i], strerror(-removed));
        rc = removed;
    }
    return rc;
}

void ll_cleanup(const iso_set *s, iso_container *c)
{
    char dir[PATH_MAX];
    if (!c->contained) return;
    int rc = cg_remove(ll_dir(s, c->cgroup, dir, sizeof dir));
    if (rc != 0) LOG_WARNING("Cannot remove cgroup %s of container %s: %s", dir, c->container_id,
                             strerror(-rc));
    c->contained = false;
}

typedef struct orphan_walk {
    iso_container *const *live;
    size_t n;
    char (*seen)[WIRE_UUID_STRLEN + 64];
    size_t nseen, cap;
    void (*fn)(void *ctx, const char *name);
    void *ctx;
} orphan_walk;

static void consider(void *ctx, const char *name)
{
    orphan_walk *w = ctx;
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->live[i]->container_id, name) == 0) return;
    for (size_t i = 0; i < w->nseen; i++)
        if (strcmp(w->seen[i], name) == 0) return;
    if (w->nseen == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 8;
        w->seen = act_realloc(w->seen, w->cap * sizeof *w->seen);
    }
    snprintf(w->seen[w->nseen++], sizeof w->seen[0], "%s", name);
    w->fn(w->ctx, name);
}

void ll_orphans(const iso_set *s, iso_container *const *live, size_t n,
                void (*fn)(void *ctx, const char *name), void *ctx)
{
    orphan_walk w = {live, n, NULL, 0, 0, fn, ctx};
    unsigned used = iso_set_controllers(s);
    for (int c = 0; c < CG_NCONTROLLERS; c++)
        if (used & CG_BIT(c)) cg_children(&s->layout, (cg_controller)c, s->cfg.cgroups_root, consider, &w);
    free(w.seen);
}
