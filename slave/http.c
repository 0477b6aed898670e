/*
 * http.c - what the slave shows: /slave(1)/state.json in Mesos 0.22's model (src/slave/
 * http.cpp: frameworks with their executors and completed executors, each executor with its
 * tasks, queued tasks and completed tasks; completed_frameworks), /slave(1)/health, and the
 * slave's gauges in /metrics/snapshot, computed from the records when a snapshot is taken.
 */
#include "slave/slave_state_int.h"

#include <string.h>

/* ---- state.json -------------------------------------------------------------------------- */

static void json_task_map(act_json *j, act_map *tasks, const char *framework_id)
{
    wire_framework_id fid = {(char *)framework_id};
    s_task *t;
    for (size_t it = 0; act_map_next(tasks, &it, NULL, (void **)&t);)
        wire_json_model_task_info(j, t->info, &fid, t->state, NULL, 0);
}

/* completed_tasks: the acknowledged ones, then the terminal ones still waiting for their
 * acknowledgement (Mesos lists both). */
static void json_completed_tasks(act_json *j, const s_executor *e)
{
    wire_framework_id fid = {(char *)e->framework->id};
    act_json_key(j, "completed_tasks");
    act_json_array_begin(j);
    for (size_t i = 0; i < s_history_size(&e->completed); i++) {
        const s_task *t = s_history_at(&e->completed, i);
        wire_json_model_task_info(j, t->info, &fid, t->state, NULL, 0);
    }
    json_task_map(j, e->finishing, e->framework->id);
    act_json_array_end(j);
}

static void json_executor(act_json *j, const s_executor *e)
{
    act_json_object_begin(j);
    json_completed_tasks(j, e);
    act_json_kv_string(j, "container", e->container_id);
    act_json_kv_string(j, "directory", e->directory ? e->directory : "");
    act_json_kv_string(j, "id", e->id);
    act_json_kv_string(j, "name", e->info->name);
    act_json_key(j, "queued_tasks");
    act_json_array_begin(j);
    json_task_map(j, e->queued, e->framework->id);
    act_json_array_end(j);
    act_json_key(j, "resources");
    wire_json_model_resources_wire(j, e->info->resources, e->info->resources_count);
    act_json_kv_string(j, "source", e->info->source);
    act_json_key(j, "tasks");
    act_json_array_begin(j);
    json_task_map(j, e->launched, e->framework->id);
    act_json_array_end(j);
    act_json_object_end(j);
}

static void json_framework(act_json *j, const s_framework *f)
{
    act_json_object_begin(j);
    act_json_kv_bool(j, "checkpoint", f->info->checkpoint);
    act_json_key(j, "completed_executors");
    act_json_array_begin(j);
    for (size_t i = 0; i < s_history_size(&f->completed); i++)
        json_executor(j, s_history_at(&f->completed, i));
    act_json_array_end(j);
    act_json_key(j, "executors");
    act_json_array_begin(j);
    s_executor *e;
    for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) json_executor(j, e);
    act_json_array_end(j);
    act_json_kv_double(j, "failover_timeout", f->info->failover_timeout);
    act_json_kv_string(j, "hostname", f->info->hostname);
    act_json_kv_string(j, "id", f->id);
    act_json_kv_string(j, "name", f->info->name);
    act_json_kv_string(j, "role", f->info->role);
    act_json_kv_string(j, "user", f->info->user);
    act_json_object_end(j);
}

static void json_completed_frameworks(act_json *j, const slave *s)
{
    act_json_key(j, "completed_frameworks");
    act_json_array_begin(j);
    for (size_t i = 0; i < s_history_size(&s->completed); i++)
        json_framework(j, s_history_at(&s->completed, i));
    act_json_array_end(j);
}

static void json_frameworks(act_json *j, const slave *s)
{
    act_json_key(j, "frameworks");
    act_json_array_begin(j);
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) json_framework(j, f);
    act_json_array_end(j);
}

static void on_state(act_actor *self, act_http_req *req)
{
    slave *s = act_state(self);
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_key(&j, "attributes");
    wire_json_model_attributes(&j, s->info->attributes, s->info->attributes_count);
    act_json_kv_string(&j, "build_date", __DATE__);
    json_completed_frameworks(&j, s);
    act_json_kv_uint(&j, "failed_tasks", s->failed_tasks);
    act_json_kv_uint(&j, "finished_tasks", s->finished_tasks);
    if (s->cfg.flags) {
        act_json_key(&j, "flags");
        act_flags_json(s->cfg.flags, &j);
    }
    json_frameworks(&j, s);
    act_json_kv_string(&j, "hostname", s->info->hostname);
    act_json_kv_string(&j, "id", s->id);
    act_json_kv_uint(&j, "killed_tasks", s->killed_tasks);
    if (s->cfg.log_dir) act_json_kv_string(&j, "log_dir", s->cfg.log_dir);
    act_json_kv_uint(&j, "lost_tasks", s->lost_tasks);
    char pid[ACT_PID_STRLEN], ip[16];
    act_json_kv_string(&j, "master_hostname", s->connected ? act_ip_format(s->master.ip, ip,
                                                                           sizeof ip) : "");
    act_json_kv_string(&j, "pid", act_pid_format(&s->pid, pid, sizeof pid));
    act_json_key(&j, "resources");
    wire_json_model_resources(&j, &s->resources);
    act_json_kv_uint(&j, "staged_tasks", s->launched_tasks);
    act_json_kv_double(&j, "start_time", s->start_time);
    act_json_kv_string(&j, "version", SLAVE_VERSION);
    act_json_object_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

static void on_health(act_actor *self, act_http_req *req)
{
    act_http_respond(req, 200, NULL, NULL, 0, NULL);
}

void s_http_routes(act_actor *a)
{
    act_route(a, "state.json", on_state, "What this slave runs and ran: frameworks, executors, "
              "tasks, and the completed ones.");
    act_route(a, "state", on_state, "Same as state.json.");
    act_route(a, "health", on_health, "200 while the slave serves.");
}

/* ---- gauges ------------------------------------------------------------------------------ */

typedef struct census {
    size_t executors[EXEC_TERMINATED + 1];
    size_t staging, starting, running;
} census;

static void count_tasks(census *c, const s_executor *e)
{
    c->staging += act_map_size(e->queued);
    s_task *t;
    for (size_t q = 0; act_map_next(e->launched, &q, NULL, (void **)&t);) {
        c->staging += t->state == WIRE_TASK_STAGING;
        c->starting += t->state == WIRE_TASK_STARTING;
        c->running += t->state == WIRE_TASK_RUNNING;
    }
}

static void gauge(const char *name, double v)
{
    act_gauge_set(act_gauge_get(name), v);
}

void s_metrics_refresh(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    census c;
    memset(&c, 0, sizeof c);
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        s_executor *e;
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) {
            c.executors[e->state]++;
            count_tasks(&c, e);
        }
    }
    gauge("slave/uptime_secs", act_now() - s->start_time);
    gauge("slave/registered", s->connected);
    gauge("slave/frameworks_active", (double)act_map_size(s->frameworks));
    gauge("slave/executors_registering", (double)c.executors[EXEC_LAUNCHING]);
    gauge("slave/executors_running", (double)c.executors[EXEC_RUNNING]);
    gauge("slave/executors_terminating", (double)c.executors[EXEC_TERMINATING]);
    gauge("slave/executors_terminated", (double)s->executors_terminated);
    gauge("slave/tasks_staging", (double)c.staging);
    gauge("slave/tasks_starting", (double)c.starting);
    gauge("slave/tasks_running", (double)c.running);
    gauge("slave/tasks_finished", (double)s->finished_tasks);
    gauge("slave/tasks_failed", (double)s->failed_tasks);
    gauge("slave/tasks_killed", (double)s->killed_tasks);
    gauge("slave/tasks_lost", (double)s->lost_tasks);
    static const char *names[] = {"cpus", "mem", "disk"};
    for (int i = 0; i < 3; i++) {
        char key[64];
        snprintf(key, sizeof key, "slave/%s_total", names[i]);
        gauge(key, res_scalar(&s->resources, names[i]));
    }
}
