/*
 * iso_posix.c - the posix/cpu and posix/mem isolators (Mesos' PosixCpuIsolatorProcess and
 * PosixMemIsolatorProcess): they limit nothing and measure the executor's session from /proc
 * (every executor leads a session of its own, so the session is the container): cpu times
 * for posix/cpu, resident memory for posix/mem.
 */
#include "slave/isolator_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct session_usage {
    double user, system; /* seconds */
    uint64_t rss;        /* bytes */
} session_usage;

/* Parses /proc/<pid>/stat; the command name may hold spaces, so fields count from its ')'. */
static int read_stat(const char *pid, pid_t *sid, unsigned long *utime, unsigned long *stime,
                     long *rss)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f) return -errno;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    if (!p) return -EINVAL;
    int s;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     * cutime cstime priority nice threads itrealvalue starttime vsize rss */
    int got = sscanf(p + 2, "%*c %*d %*d %d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d "
                            "%*d %*d %*d %*u %*u %ld",
                     &s, utime, stime, rss);
    *sid = s;
    return got == 4 ? 0 : -EINVAL;
}

/* Sums the usage of every process in the session led by `sid`. Returns 0, or -ESRCH if no
 * process was found. */
static int session(pid_t sid, session_usage *u)
{
    memset(u, 0, sizeof *u);
    DIR *d = opendir("/proc");
    if (!d) return -errno;
    double tick = (double)sysconf(_SC_CLK_TCK);
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        pid_t s;
        unsigned long utime, stime;
        long rss;
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (read_stat(e->d_name, &s, &utime, &stime, &rss) != 0 || s != sid) continue;
        u->user += (double)utime / tick;
        u->system += (double)stime / tick;
        u->rss += rss > 0 ? (uint64_t)rss * page : 0;
        found++;
    }
    closedir(d);
    return found ? 0 : -ESRCH;
}

static void cpu_usage(isolator *iso, iso_container *c, cz_stats *st)
{
    session_usage u;
    if (c->pid <= 0 || session(c->pid, &u) != 0) return;
    st->has_cpus_times = true;
    st->cpus_user_time_secs = u.user;
    st->cpus_system_time_secs = u.system;
}

static void mem_usage(isolator *iso, iso_container *c, cz_stats *st)
{
    session_usage u;
    if (c->pid <= 0 || session(c->pid, &u) != 0) return;
    st->has_mem_rss = true;
    st->mem_rss_bytes = u.rss;
}

const iso_ops iso_posix_cpu = {.name = "posix/cpu", .usage = cpu_usage};
const iso_ops iso_posix_mem = {.name = "posix/mem", .usage = mem_usage};
