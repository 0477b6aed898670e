/*
 * monitor.c - serves GET /monitor/statistics.json in Mesos 0.22's format: for each running
 * executor, what its isolators measure (cpu times and throttling, memory, disk; a Docker
 * container's cgroups) and the limits it was given. The "monitor" actor asks each
 * containerizer in turn for its containers by dispatching into it, so every container table
 * has one owner and the isolators run on its loop.
 */
#include "slave/cz_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- statistics.json --------------------------------------------------------------------- */

/* Mesos 0.22's ResourceStatistics fields, plus mem_cache_bytes (later Mesos' name for
 * mem_file_bytes) for tools that read it. */
static void stats_fields(act_json *j, const cz_stats *u)
{
    if (u->has_cpus_times) {
        act_json_kv_double(j, "cpus_system_time_secs", u->cpus_system_time_secs);
        act_json_kv_double(j, "cpus_user_time_secs", u->cpus_user_time_secs);
    }
    if (u->has_cpus_throttling) {
        act_json_kv_uint(j, "cpus_nr_periods", u->cpus_nr_periods);
        act_json_kv_uint(j, "cpus_nr_throttled", u->cpus_nr_throttled);
        act_json_kv_double(j, "cpus_throttled_time_secs", u->cpus_throttled_time_secs);
    }
    if (u->has_disk_limit) act_json_kv_uint(j, "disk_limit_bytes", u->disk_limit_bytes);
    if (u->has_disk_used) act_json_kv_uint(j, "disk_used_bytes", u->disk_used_bytes);
    if (u->has_mem_breakdown) {
        act_json_kv_uint(j, "mem_anon_bytes", u->mem_anon_bytes);
        act_json_kv_uint(j, "mem_cache_bytes", u->mem_file_bytes);
        act_json_kv_uint(j, "mem_file_bytes", u->mem_file_bytes);
        act_json_kv_uint(j, "mem_mapped_file_bytes", u->mem_mapped_file_bytes);
    }
    if (u->has_mem_rss) act_json_kv_uint(j, "mem_rss_bytes", u->mem_rss_bytes);
}

void cz__stats_json(act_json *j, const cz_stat_view *v)
{
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
    if (mem > 0) act_json_kv_uint(j, "mem_limit_bytes", (uint64_t)mem * 1024 * 1024 / RES_SCALE);
    stats_fields(j, &v->stats);
    act_json_kv_double(j, "timestamp", act_now());
    act_json_object_end(j);
    act_json_object_end(j);
}

static void stats_one(const cz_stat_view *v, void *ctx)
{
    cz__stats_json(ctx, v);
}

/* The monitor measures at most once per --resource_monitoring_interval: a request within
 * that time of the last measurement gets it again (Mesos measures every interval whether or
 * not anyone asks; here nothing is measured until someone does). */
typedef struct monitor {
    cz_source sources[CZ_KINDS_MAX];
    size_t n;
    act_pid self;
    double interval;
    act_buf last;   /* the last statistics.json body */
    double last_at; /* when it was measured; < 0: never */
} monitor;

/* One request walking the containerizers in turn, each rendering its containers in its own
 * context (the container tables have one owner each); the monitor keeps and answers it. */
typedef struct stats_walk {
    act_http_req *req;
    act_pid monitor;
    act_buf out;
    act_json j;
    cz_source sources[CZ_KINDS_MAX];
    size_t n, next;
} stats_walk;

static void walk_next(stats_walk *w);

static void stats_in_containerizer(act_actor *cz, void *arg)
{
    stats_walk *w = arg;
    if (cz) w->sources[w->next - 1].each(cz, stats_one, &w->j);
    walk_next(w);
}

/* Back on the monitor (self NULL if it is gone): keeps the measurement and answers with it. */
static void measured(act_actor *self, void *arg)
{
    stats_walk *w = arg;
    if (self) {
        monitor *m = act_state(self);
        act_buf_reset(&m->last);
        act_buf_append(&m->last, w->out.data, w->out.len);
        m->last_at = act_now();
    }
    act_http_respond_json(w->req, 200, &w->out);
    act_buf_free(&w->out);
    free(w);
}

static void walk_next(stats_walk *w)
{
    while (w->next < w->n) {
        const cz_source *src = &w->sources[w->next++];
        if (act_dispatch(&src->pid, stats_in_containerizer, w) == 0) return;
    }
    act_json_array_end(&w->j);
    if (act_dispatch(&w->monitor, measured, w) != 0) measured(NULL, w);
}

static void on_statistics(act_actor *self, act_http_req *req)
{
    monitor *m = act_state(self);
    if (m->last_at >= 0 && act_now() - m->last_at < m->interval) {
        act_buf copy = {0};
        act_buf_append(&copy, m->last.data, m->last.len);
        act_http_respond_json(req, 200, &copy);
        act_buf_free(&copy);
        return;
    }
    stats_walk *w = act_calloc(1, sizeof *w);
    w->req = req;
    w->monitor = m->self;
    memcpy(w->sources, m->sources, sizeof w->sources);
    w->n = m->n;
    act_json_init(&w->j, &w->out);
    act_json_array_begin(&w->j);
    walk_next(w);
}

static void monitor_terminate(act_actor *self, void *arg)
{
    monitor *m = arg;
    act_buf_free(&m->last);
    free(m);
}

int cz__monitor_spawn(const cz_source *sources, size_t n, double interval, int loop)
{
    if (n > CZ_KINDS_MAX) return -EINVAL;
    monitor *state = act_calloc(1, sizeof *state);
    memcpy(state->sources, sources, n * sizeof *sources);
    state->n = n;
    state->interval = interval;
    state->last_at = -1;
    act_actor *a = act_new(CZ_MONITOR_ACTOR, state);
    if (!a) {
        free(state);
        return -EINVAL;
    }
    state->self = act_self(a);
    act_route(a, "statistics.json", on_statistics,
              "Resource usage of every running executor (cpu times and throttling, memory, "
              "disk, as its isolators measure them), with its limits; measured at most once "
              "per --resource_monitoring_interval.");
    act_on_terminate(a, monitor_terminate, state);
    int rc = act_spawn(a, loop);
    if (rc != 0) free(state);
    return rc;
}
