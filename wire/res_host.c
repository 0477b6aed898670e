/*
 * res_host.c - the resources a slave offers when --resources does not name them: online
 * cores, memory less what the OS keeps, free disk under work_dir less a reserve, and the
 * default port range (Mesos' Containerizer::resources). Probing and deciding are separate so
 * the decision is testable with made-up hosts.
 */
#include "wire/wire_int.h"

#include <errno.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MB ((uint64_t)1 << 20)
#define GB ((uint64_t)1 << 30)
#define DEFAULT_PORTS_BEGIN 31000
#define DEFAULT_PORTS_END 32000

int res_host_probe(const char *work_dir, res_host *h, char *err, size_t errlen)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (cpus <= 0 || pages <= 0 || page <= 0) {
        int e = errno ? -errno : -EINVAL;
        return wire__fail(err, errlen, e, "sysconf: %s", act_strerror(e));
    }
    struct statvfs fs;
    if (statvfs(work_dir, &fs) != 0) {
        int e = -errno;
        return wire__fail(err, errlen, e, "statvfs %s: %s", work_dir, act_strerror(e));
    }
    h->cpus = cpus;
    h->mem_bytes = (uint64_t)pages * (uint64_t)page;
    h->disk_bytes = (uint64_t)fs.f_blocks * (uint64_t)fs.f_frsize; /* its size, as Mesos */
    return 0;
}

static bool has_name(const res_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0) return true;
    return false;
}

/* total less min(reserve, half), in whole MB. */
static double usable_mb(uint64_t total, uint64_t reserve)
{
    uint64_t keep = total / 2 < reserve ? total / 2 : reserve;
    return (double)((total - keep) / MB);
}

void res_add_defaults(res_set *s, const res_host *h, const char *default_role)
{
    const char *role = default_role ? default_role : "*";
    if (has_name(s, "cpu"))
        LOG_WARNING("Resource 'cpu' is a custom resource, not 'cpus'; did you mean 'cpus'?");
    if (!has_name(s, "cpus")) res_add_scalar(s, "cpus", role, (double)(h->cpus > 0 ? h->cpus : 1));
    if (!has_name(s, "mem")) res_add_scalar(s, "mem", role, usable_mb(h->mem_bytes, 1 * GB));
    if (!has_name(s, "disk")) res_add_scalar(s, "disk", role, usable_mb(h->disk_bytes, 5 * GB));
    if (!has_name(s, "ports"))
        res_add_range(s, "ports", role, DEFAULT_PORTS_BEGIN, DEFAULT_PORTS_END);
}

int res_detect_defaults(const char *work_dir, const char *default_role, res_set *s, char *err,
                        size_t errlen)
{
    res_host h;
    int rc = res_host_probe(work_dir, &h, err, errlen);
    if (rc) return rc;
    res_add_defaults(s, &h, default_role);
    return 0;
}
