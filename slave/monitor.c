/*
 * monitor.c - serves GET /monitor/statistics.json in Mesos 0.22's format: for each running
 * executor, what its isolators measure (cpu times and throttling, memory, disk) and the limits
 * it was given. The "monitor" actor asks the containerizer for its containers by dispatching
 * into it, so the container table has one owner and the isolators run on its loop.
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
              "Resource usage of every running executor (cpu times and throttling, memory, "
              "disk, as its isolators measure them), with its limits.");
    act_on_terminate(a, monitor_terminate, state);
    int rc = act_spawn(a, loop);
    if (rc != 0) free(state);
    return rc;
}
