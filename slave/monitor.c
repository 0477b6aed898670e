/*
 * monitor.c - measures running executors (the posix/cpu and posix/mem isolators: usage read
 * from /proc, summed over the executor's session) and serves GET /monitor/statistics.json in
 * Mesos 0.22's format. The "monitor" actor asks the containerizer for its containers by
 * dispatching into it, so the container table has one owner.
 */
#include "slave/cz_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- usage from /proc -------------------------------------------------------------------- */

typedef struct proc_stat {
    pid_t sid;
    unsigned long utime, stime; /* clock ticks */
    long rss;                   /* pages */
} proc_stat;

/* Parses /proc/<pid>/stat; the command name may hold spaces, so fields count from its ')'. */
static int read_stat(const char *pid, proc_stat *ps)
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
    int sid;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     * cutime cstime priority nice threads itrealvalue starttime vsize rss */
    int got = sscanf(p + 2, "%*c %*d %*d %d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d "
                            "%*d %*d %*d %*u %*u %ld",
                     &sid, &ps->utime, &ps->stime, &ps->rss);
    ps->sid = sid;
    return got == 4 ? 0 : -EINVAL;
}

int cz__usage(pid_t sid, cz_usage *u)
{
    memset(u, 0, sizeof *u);
    DIR *d = opendir("/proc");
    if (!d) return -errno;
    double tick = (double)sysconf(_SC_CLK_TCK);
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) {
        proc_stat ps;
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (read_stat(e->d_name, &ps) != 0 || ps.sid != sid) continue;
        u->cpus_user_time_secs += (double)ps.utime / tick;
        u->cpus_system_time_secs += (double)ps.stime / tick;
        u->mem_rss_bytes += ps.rss > 0 ? (uint64_t)ps.rss * page : 0;
        found++;
    }
    closedir(d);
    return found ? 0 : -ESRCH;
}

/* ---- statistics.json --------------------------------------------------------------------- */

void cz__stats_json(act_json *j, const cz_stat_view *v)
{
    cz_usage u;
    if (cz__usage(v->pid, &u) != 0) memset(&u, 0, sizeof u);
    act_json_object_begin(j);
    act_json_kv_string(j, "executor_id", v->executor_id);
    act_json_kv_string(j, "executor_name", v->executor_name ? v->executor_name : "");
    act_json_kv_string(j, "framework_id", v->framework_id);
    act_json_kv_string(j, "source", v->source ? v->source : "");
    act_json_key(j, "statistics");
    act_json_object_begin(j);
    /* Limits only for what the container was given, as Mesos sets them. */
    int64_t cpus = res_scalar_milli(v->resources, "cpus");
    int64_t mem = res_scalar_milli(v->resources, "mem");
    if (cpus > 0) act_json_kv_double(j, "cpus_limit", (double)cpus / RES_SCALE);
    act_json_kv_double(j, "cpus_system_time_secs", u.cpus_system_time_secs);
    act_json_kv_double(j, "cpus_user_time_secs", u.cpus_user_time_secs);
    if (mem > 0) act_json_kv_uint(j, "mem_limit_bytes", (uint64_t)mem * 1024 * 1024 / RES_SCALE);
    act_json_kv_uint(j, "mem_rss_bytes", u.mem_rss_bytes);
    act_json_kv_double(j, "timestamp", act_now());
    act_json_object_end(j);
    act_json_object_end(j);
}

static void stats_one(const cz_stat_view *v, void *ctx)
{
    cz__stats_json(ctx, v);
}

/* Runs in the containerizer: renders every running container and answers. */
static void stats_in_containerizer(act_actor *cz, void *arg)
{
    act_http_req *req = arg;
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_array_begin(&j);
    if (cz) cz__each_container(cz, stats_one, &j);
    act_json_array_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

static void on_statistics(act_actor *self, act_http_req *req)
{
    act_pid *cz = act_state(self);
    if (act_dispatch(cz, stats_in_containerizer, req) != 0)
        act_http_respond_text(req, 503, "The containerizer is not running");
}

static void monitor_terminate(act_actor *self, void *arg)
{
    free(arg);
}

int cz__monitor_spawn(const act_pid *cz, int loop)
{
    act_pid *state = act_malloc(sizeof *state);
    *state = *cz;
    act_actor *a = act_new(CZ_MONITOR_ACTOR, state);
    if (!a) {
        free(state);
        return -EINVAL;
    }
    act_route(a, "statistics.json", on_statistics,
              "Resource usage of every running executor (cpus, mem), with its limits.");
    act_on_terminate(a, monitor_terminate, state);
    int rc = act_spawn(a, loop);
    if (rc != 0) free(state);
    return rc;
}
