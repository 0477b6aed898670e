/*
 * http.c - what the slave shows: /slave(1)/state.json in Mesos 0.22's model (src/slave/
 * http.cpp: frameworks with their executors and completed executors, each executor with its
 * tasks, queued tasks and completed tasks; completed_frameworks), /slave(1)/stats.json (Mesos'
 * counters and gauges, then every metric), /slave(1)/health, and the slave's gauges in
 * /metrics/snapshot, computed from the records when a snapshot is taken.
 */
#include "slave/slave_state_int.h"

#include <string.h>

/* ---- state.json -------------------------------------------------------------------------- */

static void json_task(act_json *j, const s_task *t, const char *framework_id)
{
    wire_framework_id fid = {(char *)framework_id};
    wire_json_model_task_info(j, t->info, &fid, t->state, t->statuses, t->nstatuses);
}

static void json_task_map(act_json *j, act_map *tasks, const char *framework_id)
{
    s_task *t;
    for (size_t it = 0; act_map_next(tasks, &it, NULL, (void **)&t);)
        json_task(j, t, framework_id);
}

/* Mesos' model(CommandInfo). */
static void json_command(act_json *j, const wire_command_info *c)
{
    act_json_object_begin(j);
    act_json_key(j, "argv");
    act_json_array_begin(j);
    for (size_t i = 0; i < c->arguments_count; i++) act_json_string(j, c->arguments[i]);
    act_json_array_end(j);
    if (c->environment) {
        act_json_key(j, "environment");
        act_json_object_begin(j);
        act_json_key(j, "variables");
        act_json_array_begin(j);
        for (size_t i = 0; i < c->environment->variables_count; i++) {
            act_json_object_begin(j);
            act_json_kv_string(j, "name", c->environment->variables[i].name);
            act_json_kv_string(j, "value", c->environment->variables[i].value);
            act_json_object_end(j);
        }
        act_json_array_end(j);
        act_json_object_end(j);
    }
    act_json_kv_bool(j, "shell", !c->has_shell || c->shell);
    act_json_key(j, "uris");
    act_json_array_begin(j);
    for (size_t i = 0; i < c->uris_count; i++) {
        act_json_object_begin(j);
        act_json_kv_bool(j, "executable", c->uris[i].has_executable && c->uris[i].executable);
        act_json_kv_string(j, "value", c->uris[i].value);
        act_json_object_end(j);
    }
    act_json_array_end(j);
    if (c->has_value) act_json_kv_string(j, "value", c->value);
    act_json_object_end(j);
}

/* A queued task as Mesos' model(TaskInfo): it has no state yet. */
static void json_queued_tasks(act_json *j, act_map *tasks)
{
    act_json_key(j, "queued_tasks");
    act_json_array_begin(j);
    s_task *t;
    for (size_t it = 0; act_map_next(tasks, &it, NULL, (void **)&t);) {
        const wire_task_info *i = t->info;
        act_json_object_begin(j);
        if (i->command) {
            act_json_key(j, "command");
            json_command(j, i->command);
        }
        act_json_key(j, "data");
        act_json_string_n(j, i->has_data ? (const char *)i->data.data : "",
                          i->has_data ? i->data.len : 0);
        if (i->executor) {
            act_json_key(j, "executor_id");
            act_json_object_begin(j);
            act_json_kv_string(j, "executor_id", i->executor->executor_id.value);
            act_json_kv_string(j, "name", i->executor->has_name ? i->executor->name : "");
            act_json_kv_string(j, "framework_id",
                               i->executor->framework_id ? i->executor->framework_id->value : "");
            act_json_key(j, "command");
            json_command(j, &i->executor->command);
            act_json_key(j, "resources");
            wire_json_model_resources_wire(j, i->executor->resources,
                                           i->executor->resources_count);
            act_json_object_end(j);
        }
        act_json_kv_string(j, "id", i->task_id.value);
        act_json_kv_string(j, "name", i->name);
        act_json_key(j, "resources");
        wire_json_model_resources_wire(j, i->resources, i->resources_count);
        act_json_kv_string(j, "slave_id", i->slave_id.value);
        act_json_object_end(j);
    }
    act_json_array_end(j);
}

/* completed_tasks: the acknowledged ones, then the terminal ones still waiting for their
 * acknowledgement (Mesos lists both). */
static void json_completed_tasks(act_json *j, const s_executor *e)
{
    act_json_key(j, "completed_tasks");
    act_json_array_begin(j);
    for (size_t i = 0; i < s_history_size(&e->completed); i++) {
        json_task(j, s_history_at(&e->completed, i), e->framework->id);
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
    json_queued_tasks(j, e->queued);
    act_json_key(j, "resources");
    res_set used;
    s_executor_resources(e, &used);
    wire_json_model_resources(j, &used);
    res_free(&used);
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
    char date[64];
    act_json_kv_string(&j, "build_date", wire_build_date(date, sizeof date));
    act_json_kv_double(&j, "build_time", wire_build_time());
    act_json_kv_string(&j, "build_user", wire_build_user());
    json_completed_frameworks(&j, s);
    if (s->cfg.external_log_file)
        act_json_kv_string(&j, "external_log_file", s->cfg.external_log_file);
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
    char pid[ACT_PID_STRLEN];
    if (s->connected) act_json_kv_string(&j, "master_hostname", s->master_hostname);
    act_json_kv_string(&j, "pid", act_pid_format(&s->pid, pid, sizeof pid));
    act_json_key(&j, "resources");
    wire_json_model_resources(&j, &s->resources);
    act_json_kv_uint(&j, "staged_tasks", s->launched_tasks);
    act_json_kv_double(&j, "start_time", s->start_time);
    act_json_kv_uint(&j, "started_tasks", s->started_tasks);
    act_json_kv_string(&j, "version", SLAVE_VERSION);
    act_json_object_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

/* Mesos' stats.json: counters since start-up and gauges, with every metric of
 * /metrics/snapshot merged in (these figures win a clash of names, as in Mesos). */
static void on_stats(act_actor *self, act_http_req *req)
{
    slave *s = act_state(self);
    s_metrics_refresh(self, NULL);
    size_t queued = 0, launched = 0;
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        s_executor *e;
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) {
            queued += act_map_size(e->queued);
            launched += act_map_size(e->launched);
        }
    }
    act_metric_value v[] = {
        {"uptime", act_now() - s->start_time},
        {"total_frameworks", (double)act_map_size(s->frameworks)},
        {"registered", s->connected ? 1 : 0},
        {"recovery_errors", (double)s->recovery_errors},
        {"staged_tasks", (double)s->launched_tasks},
        {"started_tasks", (double)s->started_tasks},
        {"finished_tasks", (double)s->finished_tasks},
        {"killed_tasks", (double)s->killed_tasks},
        {"failed_tasks", (double)s->failed_tasks},
        {"lost_tasks", (double)s->lost_tasks},
        {"valid_status_updates",
         (double)act_counter_value(act_counter_get("slave/valid_status_updates"))},
        {"invalid_status_updates",
         (double)act_counter_value(act_counter_get("slave/invalid_status_updates"))},
        {"queued_tasks_gauge", (double)queued},
        {"launched_tasks_gauge", (double)launched},
    };
    act_buf out = {0};
    act_metrics_snapshot_with(&out, v, sizeof v / sizeof v[0]);
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
    act_route(a, "stats.json", on_stats, "Mesos' task counters and gauges (staged_tasks ... "
              "queued_tasks_gauge), then every metric of /metrics/snapshot.");
}

/* ---- gauges ------------------------------------------------------------------------------ */

typedef struct census {
    size_t executors[EXEC_TERMINATED + 1];
    size_t staging, starting, running;
} census;

static void count_tasks(census *c, const s_executor *e, res_set *used)
{
    res_set r;
    s_executor_resources(e, &r);
    res_add(used, &r);
    res_free(&r);
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

/* Counters Mesos shows from start-up, before their first event. */
static const char *const counters[] = {
    "slave/valid_status_updates",     "slave/invalid_status_updates",
    "slave/valid_framework_messages", "slave/invalid_framework_messages",
};

void s_metrics_refresh(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) act_counter_get(counters[i]);
    census c;
    memset(&c, 0, sizeof c);
    res_set used = {0};
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        s_executor *e;
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) {
            c.executors[e->state]++;
            count_tasks(&c, e, &used);
        }
    }
    gauge("slave/uptime_secs", act_now() - s->start_time);
    gauge("slave/registered", s->connected);
    gauge("slave/recovery_errors", (double)s->recovery_errors);
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
    for (int i = 0; i < 3; i++)
        res_gauges("slave", names[i], res_scalar(&s->resources, names[i]),
                   res_scalar(&used, names[i]));
    res_free(&used);
}
