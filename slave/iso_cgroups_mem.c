/*
 * iso_cgroups_mem.c - the cgroups/mem isolator (Mesos' CgroupsMemIsolatorProcess): each
 * container's memory is limited to what it was given (at least 32 MB; with
 * --cgroups_limit_swap, memory and swap together). As tasks join, the limit rises; as they
 * leave, only the soft limit falls (lowering the hard limit under use would provoke the OOM
 * it is meant to report). When the container reaches its limit the kernel's OOM killer is
 * kept from picking one of its processes (v1: oom_kill_disable; the container waits at its
 * limit) or made to take all of them at once (v2: memory.oom.group), so no process of it
 * survives to report the end in its own words: the isolator is notified (an eventfd on
 * memory.oom_control in v1, memory.events in v2), and the container ends with "Memory limit
 * exceeded" and its usage then. Usage is the cgroup's (memory.stat).
 */
#include "slave/isolator_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MIN_MEMORY (32ULL * 1024 * 1024)

static const cg_layout *layout_of(const isolator *iso)
{
    return iso->env->layout;
}

static char *dir_of(const isolator *iso, const iso_container *c, char *buf, size_t n)
{
    return cg_dir(layout_of(iso), CG_MEMORY, c->cgroup, buf, n);
}

static int prepare(isolator *iso, iso_container *c, iso_plan *plan, char *err, size_t errlen)
{
    const cg_layout *l = layout_of(iso);
    char dir[PATH_MAX];
    dir_of(iso, c, dir, sizeof dir);
    int rc = 0;
    if (l->version == CG_V1) {
        rc = cg_create(l, CG_MEMORY, c->cgroup, 0, true, err, errlen);
        if (rc == 0) rc = iso_plan_join(plan, dir, err, errlen);
        if (rc != 0) return rc;
    }
    const char *file = l->version == CG_V2 ? "memory.oom.group" : "memory.oom_control";
    rc = cg_write(dir, file, "1");
    if (rc != 0) {
        snprintf(err, errlen, "Failed to write '%s' in %s: %s", file, dir, strerror(-rc));
        return rc;
    }
    return iso->ops->update(iso, c, err, errlen);
}

static int write_limit(const char *dir, const char *file, uint64_t bytes, char *err,
                       size_t errlen)
{
    int rc = cg_write_u64(dir, file, bytes);
    if (rc != 0) snprintf(err, errlen, "Failed to set '%s' in %s: %s", file, dir, strerror(-rc));
    return rc;
}

/* v1: memory.memsw.limit_in_bytes may never be below memory.limit_in_bytes, so it moves
 * first when rising and second when falling (the first limit falls from "unlimited"). */
static int update_v1(const char *dir, uint64_t limit, bool first, bool swap, char *err,
                     size_t errlen)
{
    uint64_t current = 0;
    int rc = write_limit(dir, "memory.soft_limit_in_bytes", limit, err, errlen);
    if (rc == 0 && (rc = cg_read_u64(dir, "memory.limit_in_bytes", &current)) != 0)
        snprintf(err, errlen, "Failed to read 'memory.limit_in_bytes' in %s: %s", dir,
                 strerror(-rc));
    if (rc != 0 || !(first || limit > current)) return rc;
    bool rising = limit > current;
    if (swap && rising) rc = write_limit(dir, "memory.memsw.limit_in_bytes", limit, err, errlen);
    if (rc == 0) rc = write_limit(dir, "memory.limit_in_bytes", limit, err, errlen);
    if (rc == 0 && swap && !rising)
        rc = write_limit(dir, "memory.memsw.limit_in_bytes", limit, err, errlen);
    return rc;
}

static int update_v2(const char *dir, uint64_t limit, bool first, bool swap, char *err,
                     size_t errlen)
{
    uint64_t current = 0;
    cg_read_u64(dir, "memory.max", &current);
    int rc = 0;
    if (first || limit > current) rc = write_limit(dir, "memory.max", limit, err, errlen);
    if (rc == 0 && first && swap) rc = write_limit(dir, "memory.swap.max", 0, err, errlen);
    return rc;
}

static int update(isolator *iso, iso_container *c, char *err, size_t errlen)
{
    int64_t milli = res_scalar_milli(&c->resources, "mem");
    if (milli <= 0) {
        snprintf(err, errlen, "No memory resource given");
        return -EINVAL;
    }
    uint64_t limit = (uint64_t)milli * 1024 * 1024 / RES_SCALE;
    if (limit < MIN_MEMORY) limit = MIN_MEMORY;
    char dir[PATH_MAX], text[32];
    dir_of(iso, c, dir, sizeof dir);
    bool first = c->pid <= 0, swap = iso->env->cfg->cgroups_limit_swap;
    int rc = layout_of(iso)->version == CG_V2 ? update_v2(dir, limit, first, swap, err, errlen)
                                              : update_v1(dir, limit, first, swap, err, errlen);
    if (rc == 0)
        LOG_INFO("Updated the memory limit to %s for container %s",
                 act_bytes_format(limit, text, sizeof text), c->container_id);
    return rc;
}

static void usage(isolator *iso, iso_container *c, cz_stats *st)
{
    cg_mem_usage(layout_of(iso), c->cgroup, st);
}

/* v1: an eventfd registered for memory.oom_control; v2: memory.events, which signals
 * POLLPRI whenever it changes. */
static int notify_fd(isolator *iso, iso_container *c, short *events)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    dir_of(iso, c, dir, sizeof dir);
    bool v2 = layout_of(iso)->version == CG_V2;
    snprintf(path, sizeof path, "%s/%s", dir, v2 ? "memory.events" : "memory.oom_control");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || v2) {
        if (fd < 0) LOG_ERROR("Cannot listen for OOM events of container %s: open %s: %s",
                              c->container_id, path, strerror(errno));
        *events = POLLPRI;
        return fd;
    }
    int efd = eventfd(0, EFD_CLOEXEC);
    char text[64];
    snprintf(text, sizeof text, "%d %d", efd, fd);
    int rc = efd < 0 ? -errno : cg_write(dir, "cgroup.event_control", text);
    close(fd);
    if (rc != 0) {
        LOG_ERROR("Cannot listen for OOM events of container %s: %s", c->container_id,
                  strerror(-rc));
        if (efd >= 0) close(efd);
        return -1;
    }
    *events = POLLIN;
    return efd;
}

/* "Memory limit exceeded: Requested: 96MB Maximum Used: 96MB" and what it held then. */
static bool limited(isolator *iso, iso_container *c, char *msg, size_t n)
{
    char dir[PATH_MAX];
    dir_of(iso, c, dir, sizeof dir);
    bool v2 = layout_of(iso)->version == CG_V2;
    uint64_t kills = 0, under = 0, limit = 0, peak = 0;
    if (v2) {
        cg_stat(dir, "memory.events", "oom_kill", &kills);
        cg_stat(dir, "memory.events", "oom_group_kill", &under);
    } else {
        cg_stat(dir, "memory.oom_control", "oom_kill", &kills);
        cg_stat(dir, "memory.oom_control", "under_oom", &under);
    }
    if (kills == 0 && under == 0) return false;
    cg_read_u64(dir, v2 ? "memory.max" : "memory.limit_in_bytes", &limit);
    if (cg_read_u64(dir, v2 ? "memory.peak" : "memory.max_usage_in_bytes", &peak) != 0)
        cg_read_u64(dir, v2 ? "memory.current" : "memory.usage_in_bytes", &peak);
    cz_stats st = {0};
    cg_mem_usage(layout_of(iso), c->cgroup, &st);
    char a[32], b[32], rss[32], cache[32];
    snprintf(msg, n, "Memory limit exceeded: Requested: %s Maximum Used: %s (anon %s, cache %s)",
             act_bytes_format(limit, a, sizeof a), act_bytes_format(peak, b, sizeof b),
             act_bytes_format(st.mem_anon_bytes, rss, sizeof rss),
             act_bytes_format(st.mem_file_bytes, cache, sizeof cache));
    return true;
}

static void cleanup(isolator *iso, iso_container *c)
{
    char dir[PATH_MAX];
    if (layout_of(iso)->version == CG_V2) return; /* v2's one cgroup is the launcher's */
    int rc = cg_remove(dir_of(iso, c, dir, sizeof dir));
    if (rc != 0) LOG_WARNING("Cannot remove cgroup %s: %s", dir, strerror(-rc));
}

const iso_ops iso_cgroups_mem = {
    .name = "cgroups/mem",
    .controllers = CG_BIT(CG_MEMORY),
    .contains = true,
    .prepare = prepare,
    .update = update,
    .usage = usage,
    .notify_fd = notify_fd,
    .limited = limited,
    .cleanup = cleanup,
};
