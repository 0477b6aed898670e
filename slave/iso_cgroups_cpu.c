/*
 * iso_cgroups_cpu.c - the cgroups/cpu isolator (Mesos' CgroupsCpushareIsolatorProcess): each
 * container's cpu shares are 1024 per cpu (at least 10) and, with --cgroups_enable_cfs, its
 * CFS quota is cpus x 100 ms per 100 ms period (at least 1 ms), so it cannot use more; both
 * follow its tasks as they join and leave. Usage comes from the cgroup: cpu times, and the
 * throttling cpu.stat counts with CFS. In cgroup v1 the container has a cpu and a cpuacct
 * cgroup (one when they are comounted); in v2 its one cgroup, with cpu.weight and cpu.max.
 */
#include "slave/isolator_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define SHARES_PER_CPU 1024.0
#define MIN_SHARES 10
#define CFS_PERIOD_US 100000ULL
#define MIN_CFS_QUOTA_US 1000ULL

static const cg_layout *layout_of(const isolator *iso)
{
    return iso->env->layout;
}

static int create(isolator *iso, char *err, size_t errlen)
{
    const cg_layout *l = layout_of(iso);
    char probe[PATH_MAX + 32];
    if (!iso->env->cfg->cgroups_enable_cfs || l->version == CG_V2) return 0;
    snprintf(probe, sizeof probe, "%s/cpu.cfs_quota_us", l->mount[CG_CPU]);
    if (access(probe, F_OK) == 0) return 0;
    snprintf(err, errlen, "--cgroups_enable_cfs: no %s (the kernel may be too old for CFS "
             "bandwidth control)", probe);
    return -ENOTSUP;
}

/* v1: the container's cpu cgroup, and its cpuacct cgroup unless they are comounted. */
static int prepare(isolator *iso, iso_container *c, iso_plan *plan, char *err, size_t errlen)
{
    const cg_layout *l = layout_of(iso);
    if (l->version == CG_V1) {
        static const cg_controller mine[] = {CG_CPU, CG_CPUACCT};
        for (size_t i = 0; i < 2; i++) {
            if (i == 1 && strcmp(l->mount[CG_CPU], l->mount[CG_CPUACCT]) == 0) break;
            char dir[PATH_MAX];
            int rc = cg_create(l, mine[i], c->cgroup, 0, true, err, errlen);
            if (rc == 0)
                rc = iso_plan_join(plan, cg_dir(l, mine[i], c->cgroup, dir, sizeof dir), err,
                                   errlen);
            if (rc != 0) return rc;
        }
    }
    return iso->ops->update(iso, c, err, errlen);
}

/* cpu.weight of v2 for v1 shares (the mapping runc and systemd use). */
static uint64_t weight_of(uint64_t shares)
{
    uint64_t w = 1 + ((shares > 2 ? shares - 2 : 0) * 9999) / 262142;
    return w > 10000 ? 10000 : w;
}

static int update(isolator *iso, iso_container *c, char *err, size_t errlen)
{
    const cg_layout *l = layout_of(iso);
    int64_t milli = res_scalar_milli(&c->resources, "cpus");
    if (milli <= 0) {
        snprintf(err, errlen, "No cpus resource given");
        return -EINVAL;
    }
    double cpus = (double)milli / RES_SCALE;
    uint64_t shares = (uint64_t)(SHARES_PER_CPU * cpus);
    if (shares < MIN_SHARES) shares = MIN_SHARES;
    char dir[PATH_MAX];
    cg_dir(l, CG_CPU, c->cgroup, dir, sizeof dir);
    const char *file = l->version == CG_V2 ? "cpu.weight" : "cpu.shares";
    int rc = cg_write_u64(dir, file, l->version == CG_V2 ? weight_of(shares) : shares);
    if (rc != 0) {
        snprintf(err, errlen, "Failed to update '%s' in %s: %s", file, dir, strerror(-rc));
        return rc;
    }
    LOG_INFO("Updated '%s' to %llu (cpus %.3f) for container %s", file,
             (unsigned long long)(l->version == CG_V2 ? weight_of(shares) : shares), cpus,
             c->container_id);
    if (!iso->env->cfg->cgroups_enable_cfs) return 0;
    uint64_t quota = (uint64_t)((double)CFS_PERIOD_US * cpus);
    if (quota < MIN_CFS_QUOTA_US) quota = MIN_CFS_QUOTA_US;
    if (l->version == CG_V2) {
        char max[64];
        snprintf(max, sizeof max, "%llu %llu", (unsigned long long)quota, CFS_PERIOD_US);
        file = "cpu.max";
        rc = cg_write(dir, file, max);
    } else {
        file = "cpu.cfs_period_us";
        rc = cg_write_u64(dir, file, CFS_PERIOD_US);
        if (rc == 0) rc = cg_write_u64(dir, file = "cpu.cfs_quota_us", quota);
    }
    if (rc != 0) {
        snprintf(err, errlen, "Failed to update '%s' in %s: %s", file, dir, strerror(-rc));
        return rc;
    }
    LOG_INFO("Updated the CFS quota to %llu us per %llu us (cpus %.3f) for container %s",
             (unsigned long long)quota, CFS_PERIOD_US, cpus, c->container_id);
    return 0;
}

static void usage(isolator *iso, iso_container *c, cz_stats *st)
{
    cg_cpu_usage(layout_of(iso), c->cgroup, iso->env->cfg->cgroups_enable_cfs, st);
}

/* v1: its own cgroups (v2's one cgroup is the launcher's). */
static void cleanup(isolator *iso, iso_container *c)
{
    const cg_layout *l = layout_of(iso);
    if (l->version == CG_V2) return;
    static const cg_controller mine[] = {CG_CPU, CG_CPUACCT};
    for (size_t i = 0; i < 2; i++) {
        char dir[PATH_MAX];
        int rc = cg_remove(cg_dir(l, mine[i], c->cgroup, dir, sizeof dir));
        if (rc != 0) LOG_WARNING("Cannot remove cgroup %s: %s", dir, strerror(-rc));
    }
}

const iso_ops iso_cgroups_cpu = {
    .name = "cgroups/cpu",
    .controllers = CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT),
    .contains = true,
    .create = create,
    .prepare = prepare,
    .update = update,
    .usage = usage,
    .cleanup = cleanup,
};
