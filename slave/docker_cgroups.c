/*
 * docker_cgroups.c - a Docker container's usage, read from the cgroups the daemon put it in:
 * the cgroups of its first process (/proc/<pid>/cgroup) under the mounts of /proc/self/mountinfo,
 * cpu times from cpuacct.stat (v1) or cpu.stat (v2), memory from memory.usage_in_bytes (v1) or
 * memory.current (v2), as Mesos 0.22 reports mem_rss_bytes for a cgroup. A minimal reader for
 * the Docker containerizer until the slave's cgroups module (issue 16) lands: then this file is
 * replaced by its cg_of_pid, cg_cpu_usage and cg_mem_usage.
 */
#include "slave/cz_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The mount point of the v1 hierarchy holding `controller`, or of the v2 hierarchy (NULL). */
static bool find_mount(const char *controller, char *out, size_t n)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return false;
    char line[2048];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char root[PATH_MAX], point[PATH_MAX], fstype[64], opts[1024];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %1023s %1023s", root, point) != 2 ||
            sscanf(dash + 3, "%63s %*s %1023s", fstype, opts) != 2 || strcmp(root, "/") != 0)
            continue;
        if (!controller) {
            found = strcmp(fstype, "cgroup2") == 0;
        } else if (strcmp(fstype, "cgroup") == 0) {
            for (char *save = NULL, *o = strtok_r(opts, ",", &save); o && !found;
                 o = strtok_r(NULL, ",", &save))
                found = strcmp(o, controller) == 0;
        }
        if (found) snprintf(out, n, "%s", point);
    }
    fclose(f);
    return found;
}

/* The cgroup path of pid for `controller` (v1), or its v2 path (NULL). */
static bool cgroup_of(pid_t pid, const char *controller, char *out, size_t n)
{
    char path[64], line[2048];
    snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c2 = '\0';
        const char *controllers = c1 + 1;
        if (!controller) {
            found = controllers[0] == '\0';
        } else {
            for (char *save = NULL, *o = strtok_r((char *)controllers, ",", &save); o && !found;
                 o = strtok_r(NULL, ",", &save))
                found = strcmp(o, controller) == 0;
        }
        if (found) snprintf(out, n, "%s", c2 + 1);
    }
    fclose(f);
    return found;
}

static bool join(const char *controller, pid_t pid, char *out, size_t n)
{
    char mount[PATH_MAX], cg[PATH_MAX];
    if (!find_mount(controller, mount, sizeof mount) || !cgroup_of(pid, controller, cg, sizeof cg))
        return false;
    size_t a = strlen(mount), b = strlen(cg);
    if (a + b + 1 > n) return false;
    memcpy(out, mount, a);
    memcpy(out + a, cg, b + 1);
    return access(out, R_OK) == 0;
}

int dz__cgroups_of(pid_t pid, dz_cgroups *out)
{
    memset(out, 0, sizeof *out);
    if (join("cpuacct", pid, out->cpu, sizeof out->cpu) &&
        join("memory", pid, out->memory, sizeof out->memory))
        return 0;
    if (join(NULL, pid, out->cpu, sizeof out->cpu)) {
        snprintf(out->memory, sizeof out->memory, "%s", out->cpu);
        out->v2 = true;
        return 0;
    }
    return -ENOENT;
}

/* The value after `key ` in a "key value" file. */
static bool stat_value(const char *dir, const char *file, const char *key, uint64_t *out)
{
    char path[PATH_MAX + 64], line[256];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    size_t klen = strlen(key);
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            found = sscanf(line + klen + 1, "%lu", (unsigned long *)out) == 1;
    fclose(f);
    return found;
}

static bool single_value(const char *dir, const char *file, uint64_t *out)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    bool ok = fscanf(f, "%lu", (unsigned long *)out) == 1;
    fclose(f);
    return ok;
}

int dz__cgroups_usage(const dz_cgroups *cg, cz_stats *u)
{
    uint64_t user = 0, system = 0, mem = 0;
    bool ok;
    if (cg->v2) {
        ok = stat_value(cg->cpu, "cpu.stat", "user_usec", &user) &&
             stat_value(cg->cpu, "cpu.stat", "system_usec", &system) &&
             single_value(cg->memory, "memory.current", &mem);
        u->cpus_user_time_secs = (double)user / 1e6;
        u->cpus_system_time_secs = (double)system / 1e6;
    } else {
        double tick = (double)sysconf(_SC_CLK_TCK);
        ok = stat_value(cg->cpu, "cpuacct.stat", "user", &user) &&
             stat_value(cg->cpu, "cpuacct.stat", "system", &system) &&
             single_value(cg->memory, "memory.usage_in_bytes", &mem);
        u->cpus_user_time_secs = (double)user / tick;
        u->cpus_system_time_secs = (double)system / tick;
    }
    u->mem_rss_bytes = mem;
    u->has_cpus_times = u->has_mem_rss = ok;
    return ok ? 0 : -ENOENT;
}
