/*
 * executors.c - tasks and executors in the slave: RunTaskMessage creates the framework and
 * the executor (the built-in command executor for command tasks) and launches it in a fresh
 * sandbox through the containerizer; tasks wait until the executor registers; status updates
 * from executors (and those the slave makes itself) go through the status update manager;
 * kills, framework shutdowns, framework messages, executor registration timeouts and executor
 * exits are handled here (PROTOCOL.md, "Offers, launch, status updates" and "Kill, shutdown").
 */
#include "slave/slave_state_int.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* ---- lookups ----------------------------------------------------------------------------- */

s_executor *s_executor_find(slave *s, const char *framework_id, const char *executor_id)
{
    s_framework *f = s_framework_find(s, framework_id);
    return f ? act_map_get(f->executors, executor_id) : NULL;
}

static s_executor *by_container(slave *s, const char *container_id)
{
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        s_executor *e;
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);)
            if (strcmp(e->container_id, container_id) == 0) return e;
    }
    return NULL;
}

/* The task in any of the executor's maps; *where tells which. */
static s_task *task_find(s_executor *e, const char *task_id, act_map **where)
{
    act_map *maps[] = {e->queued, e->launched, e->finishing};
    for (int i = 0; i < 3; i++) {
        s_task *t = act_map_get(maps[i], task_id);
        if (t) {
            if (where) *where = maps[i];
            return t;
        }
    }
    return NULL;
}

static void task_free(s_task *t)
{
    wire_msg_free(t->msg);
    free(t);
}

static void count_state(slave *s, wire_task_state st)
{
    if (st == WIRE_TASK_FINISHED) s->finished_tasks++;
    if (st == WIRE_TASK_FAILED) s->failed_tasks++;
    if (st == WIRE_TASK_KILLED) s->killed_tasks++;
    if (st == WIRE_TASK_LOST) s->lost_tasks++;
}

/* Moves a task to its new state; a terminal task waits in `finishing` for its ack. */
static void task_transition(slave *s, s_executor *e, s_task *t, act_map *where,
                            wire_task_state st)
{
    t->state = st;
    if (!wire_task_state_terminal(st) || where == e->finishing) return;
    count_state(s, st);
    act_map_remove(where, t->info->task_id.value);
    act_map_put(e->finishing, t->info->task_id.value, t);
}

/* ---- status updates ---------------------------------------------------------------------- */

static char *updates_path(slave *s, s_executor *e, const char *task_id, char *buf, size_t n)
{
    if (!s->cfg.checkpoint || !e || !e->framework->info->checkpoint) return NULL;
    return path_meta_task_updates(buf, n, s->cfg.work_dir, s->id, e->framework->id, e->id,
                                  e->container_id, task_id);
}

void s_forward_update(slave *s, s_executor *e, const wire_status_update *u,
                      const act_pid *executor)
{
    char path[PATH_MAX];
    sum_update *su = act_calloc(1, sizeof *su);
    su->update = wire_copy(WIRE_DESC(status_update), u);
    const char *p = updates_path(s, e, u->status.task_id.value, path, sizeof path);
    su->path = p ? act_strdup(p) : NULL;
    if (executor) su->executor = *executor;
    su->slave = s->pid;
    act_post(s->self, &s->sum, SUM_MSG_UPDATE, su, sum_update_free);
}

void s_send_update(slave *s, s_framework *f, s_executor *e, const char *task_id,
                   wire_task_state state, const char *message, wire_status_reason reason)
{
    wire_uuid uuid;
    wire_uuid_random(&uuid);
    wire_slave_id sid = {s->id};
    wire_executor_id eid = {e ? e->id : ""};
    wire_status_update u = {0};
    u.framework_id.value = f->id;
    u.executor_id = e ? &eid : NULL;
    u.slave_id = &sid;
    u.status.task_id.value = (char *)task_id;
    u.status.state = state;
    u.status.has_message = true;
    u.status.message = (char *)message;
    u.status.slave_id = &sid;
    u.status.executor_id = e ? &eid : NULL;
    u.status.has_timestamp = true;
    u.status.timestamp = act_now();
    u.status.has_source = true;
    u.status.source = WIRE_SOURCE_SLAVE;
    u.status.has_reason = true;
    u.status.reason = reason;
    u.timestamp = u.status.timestamp;
    u.uuid.data = uuid.bytes;
    u.uuid.len = sizeof uuid.bytes;
    LOG_INFO("Sending %s for task %s of framework %s: %s", wire_task_state_name(state), task_id,
             f->id, message);
    s_forward_update(s, e, &u, NULL);
    act_map *where;
    s_task *t = e ? task_find(e, task_id, &where) : NULL;
    if (t) task_transition(s, e, t, where, state);
}

static void on_status_update(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(status_update_message));
    if (!m) return;
    wire_status_update *u = &((wire_status_update_message *)m->root)->update;
    s_executor *e = u->executor_id ? s_executor_find(s, u->framework_id.value,
                                                     u->executor_id->value) : NULL;
    if (!e || !act_pid_equal(&e->pid, &msg->from)) {
        LOG_WARNING("Dropping a status update for task %s of framework %s from an unknown "
                    "executor", u->status.task_id.value, u->framework_id.value);
        act_counter_inc(act_counter_get("slave/invalid_status_updates"));
        wire_msg_free(m);
        return;
    }
    act_counter_inc(act_counter_get("slave/valid_status_updates"));
    if (!u->slave_id) {
        u->slave_id = wire_alloc(m, sizeof *u->slave_id);
        u->slave_id->value = wire_strdup(m, s->id);
    }
    act_map *where;
    s_task *t = task_find(e, u->status.task_id.value, &where);
    if (!t) { /* only tasks it runs: the ID also names a checkpoint path */
        LOG_WARNING("Dropping a status update from executor %s of framework %s for task %s, "
                    "which it does not run", e->id, e->framework->id, u->status.task_id.value);
        act_counter_inc(act_counter_get("slave/invalid_status_updates"));
        wire_msg_free(m);
        return;
    }
    task_transition(s, e, t, where, u->status.state);
    s_forward_update(s, e, u, &msg->from);
    wire_msg_free(m);
}

/* The master acknowledged an update: the manager advances that task's stream. */
static void on_ack(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(status_update_acknowledgement_message));
    if (!m) return;
    wire_status_update_acknowledgement_message *a = m->root;
    sum_ack *ack = act_calloc(1, sizeof *ack);
    snprintf(ack->framework_id, sizeof ack->framework_id, "%s", a->framework_id.value);
    snprintf(ack->task_id, sizeof ack->task_id, "%s", a->task_id.value);
    if (wire_uuid_from_bytes(a->uuid.data, a->uuid.len, &ack->uuid) == 0)
        act_post(self, &s->sum, SUM_MSG_ACK, ack, free);
    else
        free(ack);
    wire_msg_free(m);
}

static void maybe_remove_executor(slave *s, s_executor *e);

/* The manager says a task's terminal update was acknowledged: forget the task. */
static void on_acked(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    const sum_ack *a = msg->obj;
    if (!a || !a->terminal) return;
    s_framework *f = s_framework_find(s, a->framework_id);
    if (!f) return;
    s_executor *e;
    for (size_t it = 0; act_map_next(f->executors, &it, NULL, (void **)&e);) {
        s_task *t = act_map_remove(e->finishing, a->task_id);
        if (!t) continue;
        task_free(t);
        maybe_remove_executor(s, e);
        return;
    }
}

/* ---- launching ---------------------------------------------------------------------------- */

static s_framework *framework_get(slave *s, const wire_run_task_message *r, const act_pid *sched)
{
    s_framework *f = s_framework_find(s, r->framework_id.value);
    if (f) {
        f->pid = *sched;
        return f;
    }
    f = act_calloc(1, sizeof *f);
    snprintf(f->id, sizeof f->id, "%s", r->framework_id.value);
    f->info_msg = wire_copy(WIRE_DESC(framework_info), &r->framework);
    f->info = f->info_msg->root;
    f->pid = *sched;
    f->executors = act_map_new();
    act_map_put(s->frameworks, f->id, f);
    if (s->cfg.checkpoint && f->info->checkpoint) s_checkpoint_framework(s, f);
    return f;
}

/* The built-in command executor for a command task: mesos-executor with the task's
 * resources plus its own 0.1 cpus and 32 MB. */
static wire_msg *command_executor(slave *s, const char *framework_id, const wire_task_info *t)
{
    wire_msg *m = wire_new(WIRE_DESC(executor_info));
    wire_executor_info *e = m->root;
    e->executor_id.value = wire_strdup(m, t->task_id.value);
    e->framework_id = wire_alloc(m, sizeof *e->framework_id);
    e->framework_id->value = wire_strdup(m, framework_id);
    char name[1024], path[PATH_MAX];
    snprintf(name, sizeof name, "Command Executor (Task: %s) (Command: sh -c '%.200s')",
             t->task_id.value, t->command && t->command->has_value ? t->command->value : "");
    e->has_name = e->has_source = true;
    e->name = wire_strdup(m, name);
    e->source = wire_strdup(m, t->task_id.value);
    snprintf(path, sizeof path, "%s/mesos-executor",
             s->cfg.launcher_dir ? s->cfg.launcher_dir : ".");
    e->command.has_value = true;
    e->command.value = wire_strdup(m, path);
    e->command.has_shell = true;
    e->command.shell = false;
    e->command.arguments = wire_alloc(m, sizeof(char *));
    e->command.arguments[0] = wire_strdup(m, path);
    e->command.arguments_count = 1;
    if (t->command && t->command->has_user) {
        e->command.has_user = true;
        e->command.user = wire_strdup(m, t->command->user);
    }
    if (t->command && t->command->uris_count) { /* fetched into the sandbox before launch */
        e->command.uris_count = t->command->uris_count;
        e->command.uris = wire_alloc_array(m, WIRE_DESC(command_uri), t->command->uris_count);
        for (size_t i = 0; i < t->command->uris_count; i++)
            wire_copy_into(m, WIRE_DESC(command_uri), &e->command.uris[i], &t->command->uris[i]);
    }
    res_set r = {0};
    res_from_wire(t->resources, t->resources_count, &r, NULL, 0);
    res_add_scalar(&r, "cpus", "*", 0.1);
    res_add_scalar(&r, "mem", "*", 32);
    res_to_wire(&r, m, &e->resources, &e->resources_count);
    res_free(&r);
    return m;
}

static char *env_entry(const char *key, const char *value)
{
    size_t n = strlen(key) + strlen(value) + 2;
    char *e = act_malloc(n);
    snprintf(e, n, "%s=%s", key, value);
    return e;
}

static char **executor_env(slave *s, s_executor *e)
{
    char **env = act_calloc(16, sizeof *env);
    char pid[ACT_PID_STRLEN], dur[64], ip[16];
    int n = 0;
    env[n++] = env_entry("MESOS_SLAVE_PID", act_pid_format(&s->pid, pid, sizeof pid));
    env[n++] = env_entry("MESOS_SLAVE_ID", s->id);
    env[n++] = env_entry("MESOS_FRAMEWORK_ID", e->framework->id);
    env[n++] = env_entry("MESOS_EXECUTOR_ID", e->id);
    env[n++] = env_entry("MESOS_DIRECTORY", e->directory);
    env[n++] = env_entry("MESOS_SANDBOX", e->directory);
    env[n++] = env_entry("MESOS_CHECKPOINT",
                         s->cfg.checkpoint && e->framework->info->checkpoint ? "1" : "0");
    env[n++] = env_entry("MESOS_RECOVERY_TIMEOUT",
                         act_duration_format(s->cfg.recovery_timeout, dur, sizeof dur));
    env[n++] = env_entry("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
                         act_duration_format(s->cfg.executor_shutdown_grace_period, dur,
                                             sizeof dur));
    env[n++] = env_entry("LIBPROCESS_IP", act_ip_format(s->pid.ip, ip, sizeof ip));
    env[n++] = env_entry("LIBPROCESS_PORT", "0");
    return env;
}

/* Who the executor runs as: CommandInfo.user, else FrameworkInfo.user, when we may switch. */
static const char *executor_user(slave *s, s_executor *e)
{
    if (!s->cfg.switch_user || geteuid() != 0) return NULL;
    if (e->info->command.has_user && *e->info->command.user) return e->info->command.user;
    const char *u = e->framework->info->user;
    return u && *u ? u : NULL;
}

static void registration_timeout(act_actor *self, void *arg);

static int make_sandbox(slave *s, s_executor *e)
{
    char dir[PATH_MAX], latest[PATH_MAX], err[256];
    path_sandbox(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id,
                 e->container_id);
    int rc = ckpt_mkdirs(dir, 0755);
    if (rc != 0) {
        LOG_ERROR("Cannot create sandbox %s: %s", dir, strerror(-rc));
        return rc;
    }
    e->directory = act_strdup(dir);
    path_sandbox_latest(latest, sizeof latest, s->cfg.work_dir, s->id, e->framework->id, e->id);
    unlink(latest);
    if (symlink(dir, latest) != 0) LOG_WARNING("symlink %s: %s", latest, strerror(errno));
    (void)err;
    files_attach *fa = act_calloc(1, sizeof *fa);
    fa->path = act_strdup(dir);
    fa->name = act_strdup(dir);
    act_post(s->self, &s->files, FILES_MSG_ATTACH, fa, files_attach_free);
    return 0;
}

static void launch(slave *s, s_executor *e)
{
    cz_launch *l = act_calloc(1, sizeof *l);
    snprintf(l->container_id, sizeof l->container_id, "%s", e->container_id);
    snprintf(l->framework_id, sizeof l->framework_id, "%s", e->framework->id);
    snprintf(l->executor_id, sizeof l->executor_id, "%s", e->id);
    l->directory = act_strdup(e->directory);
    l->executor = wire_copy(WIRE_DESC(executor_info), e->info);
    const char *user = executor_user(s, e);
    l->user = user ? act_strdup(user) : NULL;
    l->env = executor_env(s, e);
    if (s->cfg.checkpoint && e->framework->info->checkpoint) {
        char p[PATH_MAX];
        path_meta_run(p, sizeof p, s->cfg.work_dir, s->id, e->framework->id, e->id,
                      e->container_id);
        size_t n = strlen(p) + 32;
        l->pid_file = act_malloc(n);
        snprintf(l->pid_file, n, "%s/pids/forked.pid", p);
    }
    l->frameworks_home = s->cfg.frameworks_home ? act_strdup(s->cfg.frameworks_home) : NULL;
    res_from_wire(e->info->resources, e->info->resources_count, &l->resources, NULL, 0);
    act_post(s->self, &s->containerizer, CZ_MSG_LAUNCH, l, cz_launch_free);
    e->registration_timer = act_delay(s->self, s->cfg.executor_registration_timeout,
                                      registration_timeout, e);
    LOG_INFO("Launching executor %s of framework %s in %s", e->id, e->framework->id,
             e->directory);
}

static s_executor *executor_new(slave *s, s_framework *f, wire_msg *info, bool command)
{
    s_executor *e = act_calloc(1, sizeof *e);
    e->info_msg = info;
    e->info = info->root;
    snprintf(e->id, sizeof e->id, "%s", e->info->executor_id.value);
    if (!e->info->framework_id) {
        e->info->framework_id = wire_alloc(info, sizeof *e->info->framework_id);
        e->info->framework_id->value = wire_strdup(info, f->id);
    }
    e->framework = f;
    e->command = command;
    wire_uuid u;
    wire_uuid_random(&u);
    wire_uuid_format(&u, e->container_id, sizeof e->container_id);
    e->queued = act_map_new();
    e->launched = act_map_new();
    e->finishing = act_map_new();
    e->state = EXEC_LAUNCHING;
    act_map_put(f->executors, e->id, e);
    return e;
}

static void send_run_task(slave *s, s_executor *e, s_task *t)
{
    char pid[ACT_PID_STRLEN];
    wire_run_task_message r = {.framework_id = {e->framework->id}, .framework = *e->framework->info,
                               .pid = act_pid_format(&e->framework->pid, pid, sizeof pid),
                               .task = *t->info};
    s_send(s, &e->pid, WIRE_DESC(run_task_message), &r);
}

static void on_run_task(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(run_task_message));
    if (!m) return;
    wire_run_task_message *r = m->root;
    act_pid sched;
    const char *eid = r->task.executor ? r->task.executor->executor_id.value
                                       : r->task.task_id.value;
    if (!wire_id_valid(r->task.task_id.value) || !wire_id_valid(eid) ||
        !wire_id_valid(r->framework_id.value)) { /* they name directories */
        LOG_WARNING("Ignoring task '%s' of framework '%s': invalid ID", r->task.task_id.value,
                    r->framework_id.value);
        wire_msg_free(m);
        return;
    }
    if (!s->connected || act_pid_parse(r->pid, &sched) != 0) {
        LOG_WARNING("Ignoring task %s: %s", r->task.task_id.value,
                    s->connected ? "invalid scheduler pid" : "not registered");
        wire_msg_free(m);
        return;
    }
    s_framework *f = framework_get(s, r, &sched);
    wire_msg *info = r->task.executor ? wire_copy(WIRE_DESC(executor_info), r->task.executor)
                                      : command_executor(s, f->id, &r->task);
    s_executor *e = act_map_get(f->executors, eid);
    s_task *t = act_calloc(1, sizeof *t);
    t->msg = wire_copy(WIRE_DESC(task_info), &r->task);
    t->info = t->msg->root;
    t->state = WIRE_TASK_STAGING;
    s->launched_tasks++;
    if (e && (e->state == EXEC_TERMINATING || e->state == EXEC_TERMINATED || f->shutting_down)) {
        wire_msg_free(info);
        act_map_put(e->finishing, t->info->task_id.value, t);
        s_send_update(s, f, e, t->info->task_id.value, WIRE_TASK_LOST,
                      "Executor is shutting down", WIRE_REASON_EXECUTOR_TERMINATED);
    } else if (e) {
        wire_msg_free(info);
        if (e->state == EXEC_RUNNING) {
            act_map_put(e->launched, t->info->task_id.value, t);
            send_run_task(s, e, t);
        } else {
            act_map_put(e->queued, t->info->task_id.value, t);
        }
    } else {
        e = executor_new(s, f, info, r->task.executor == NULL);
        act_map_put(e->queued, t->info->task_id.value, t);
        if (make_sandbox(s, e) != 0) {
            s_send_update(s, f, e, t->info->task_id.value, WIRE_TASK_FAILED,
                          "Failed to create the executor's sandbox",
                          WIRE_REASON_EXECUTOR_TERMINATED);
            maybe_remove_executor(s, e);
        } else {
            if (s->cfg.checkpoint && f->info->checkpoint) s_checkpoint_executor(s, e);
            launch(s, e);
        }
    }
    if (s->cfg.checkpoint && f->info->checkpoint && e) s_checkpoint_task(s, e, t);
    wire_msg_free(m);
}

/* ---- executor lifecycle ------------------------------------------------------------------ */

static void on_launched(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    const cz_result *r = msg->obj;
    s_executor *e = r ? by_container(s, r->container_id) : NULL;
    if (!e) return;
    if (r->pid > 0) {
        e->os_pid = r->pid;
        return;
    }
    LOG_WARNING("Failed to launch executor %s of framework %s: %s", e->id, e->framework->id,
                r->message);
    char why[640];
    snprintf(why, sizeof why, "Failed to launch executor: %s", r->message);
    const char *id;
    for (size_t it = 0; act_map_next(e->queued, &it, &id, NULL);)
        s_send_update(s, e->framework, e, id, WIRE_TASK_FAILED, e->failure ? e->failure : why,
                      e->failure ? WIRE_REASON_EXECUTOR_UNREGISTERED
                                 : WIRE_REASON_EXECUTOR_TERMINATED);
    e->state = EXEC_TERMINATED;
    if (e->registration_timer) act_cancel(self, e->registration_timer);
    e->registration_timer = 0;
    maybe_remove_executor(s, e);
}

static void destroy(slave *s, s_executor *e, double grace)
{
    cz_destroy *d = act_calloc(1, sizeof *d);
    snprintf(d->container_id, sizeof d->container_id, "%s", e->container_id);
    d->grace_seconds = grace;
    act_post(s->self, &s->containerizer, CZ_MSG_DESTROY, d, free);
}

static void registration_timeout(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    s_executor *e = arg; /* removal cancels this timer */
    e->registration_timer = 0;
    if (e->state != EXEC_LAUNCHING) return;
    char dur[64], why[256];
    snprintf(why, sizeof why, "Executor did not register within %s",
             act_duration_format(s->cfg.executor_registration_timeout, dur, sizeof dur));
    LOG_WARNING("%s: executor %s of framework %s", why, e->id, e->framework->id);
    /* its tasks fail once the containerizer reports the end (launched or not) */
    e->failure = act_strdup(why);
    e->state = EXEC_TERMINATING;
    destroy(s, e, 0);
}

static void on_register_executor(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(register_executor_message));
    if (!m) return;
    wire_register_executor_message *r = m->root;
    s_executor *e = s_executor_find(s, r->framework_id.value, r->executor_id.value);
    if (!e || e->state != EXEC_LAUNCHING) {
        LOG_WARNING("Shutting down unexpected executor %s of framework %s",
                    r->executor_id.value, r->framework_id.value);
        s_send(s, &msg->from, WIRE_DESC(shutdown_executor_message),
               &(wire_shutdown_executor_message){0});
        wire_msg_free(m);
        return;
    }
    e->pid = msg->from;
    e->state = EXEC_RUNNING;
    if (e->registration_timer) act_cancel(self, e->registration_timer);
    e->registration_timer = 0;
    act_link(self, &e->pid);
    s_checkpoint_executor_pid(s, e);
    LOG_INFO("Executor %s of framework %s registered", e->id, e->framework->id);
    wire_executor_registered_message reply = {.executor_info = *e->info,
                                              .framework_id = {e->framework->id},
                                              .framework_info = *e->framework->info,
                                              .slave_id = {s->id}, .slave_info = *s->info};
    s_send(s, &e->pid, WIRE_DESC(executor_registered_message), &reply);
    const char *id;
    s_task *t;
    for (size_t it = 0; act_map_next(e->queued, &it, &id, (void **)&t);) {
        act_map_remove(e->queued, id);
        act_map_put(e->launched, t->info->task_id.value, t);
        send_run_task(s, e, t);
    }
    wire_msg_free(m);
}

static void shutdown_executor(slave *s, s_executor *e);

static void on_terminated(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    const cz_result *r = msg->obj;
    s_executor *e = r ? by_container(s, r->container_id) : NULL;
    if (!e || e->state == EXEC_TERMINATED) return;
    bool expected = e->state == EXEC_TERMINATING || e->framework->shutting_down;
    LOG_INFO("Executor %s of framework %s terminated: %s", e->id, e->framework->id, r->message);
    e->state = EXEC_TERMINATED;
    if (e->registration_timer) act_cancel(self, e->registration_timer);
    if (e->shutdown_timer) act_cancel(self, e->shutdown_timer);
    e->registration_timer = e->shutdown_timer = 0;
    act_map *maps[] = {e->queued, e->launched};
    for (int i = 0; i < 2; i++) {
        const char *id;
        for (size_t it = 0; act_map_next(maps[i], &it, &id, NULL);)
            s_send_update(s, e->framework, e, id,
                          expected && e->framework->shutting_down ? WIRE_TASK_KILLED
                                                                  : WIRE_TASK_FAILED,
                          e->failure ? e->failure : expected ? "Executor terminated"
                                                             : "Abnormal executor termination",
                          e->failure ? WIRE_REASON_EXECUTOR_UNREGISTERED
                                     : WIRE_REASON_EXECUTOR_TERMINATED);
    }
    if (s->connected) {
        wire_exited_executor_message x = {.slave_id = {s->id},
                                          .framework_id = {e->framework->id},
                                          .executor_id = {e->id}, .status = r->status};
        s_send(s, &s->master, WIRE_DESC(exited_executor_message), &x);
    }
    if (e->directory) {
        gc_path *g = act_calloc(1, sizeof *g);
        g->path = act_strdup(e->directory);
        g->delay = s->cfg.gc_delay;
        act_post(self, &s->gc, GC_MSG_SCHEDULE, g, gc_path_free);
    }
    maybe_remove_executor(s, e);
}

static void shutdown_grace_expired(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    s_executor *e = arg; /* removal cancels this timer */
    e->shutdown_timer = 0;
    if (e->state != EXEC_TERMINATED) destroy(s, e, 0);
}

static void shutdown_executor(slave *s, s_executor *e)
{
    if (e->state == EXEC_TERMINATED || e->state == EXEC_TERMINATING) return;
    LOG_INFO("Shutting down executor %s of framework %s", e->id, e->framework->id);
    bool registered = e->state == EXEC_RUNNING;
    e->state = EXEC_TERMINATING;
    if (registered) {
        s_send(s, &e->pid, WIRE_DESC(shutdown_executor_message),
               &(wire_shutdown_executor_message){0});
        e->shutdown_timer = act_delay(s->self, s->cfg.executor_shutdown_grace_period,
                                      shutdown_grace_expired, e);
    } else {
        destroy(s, e, 0);
    }
}

static void framework_remove(slave *s, s_framework *f)
{
    LOG_INFO("Removing framework %s", f->id);
    act_map_remove(s->frameworks, f->id);
    act_post(s->self, &s->sum, SUM_MSG_CLEANUP, act_strdup(f->id), free);
    act_map_free(f->executors);
    wire_msg_free(f->info_msg);
    free(f);
}

void s_executor_remove(slave *s, s_executor *e)
{
    s_framework *f = e->framework;
    act_map_remove(f->executors, e->id);
    if (e->registration_timer) act_cancel(s->self, e->registration_timer);
    if (e->shutdown_timer) act_cancel(s->self, e->shutdown_timer);
    act_map *maps[] = {e->queued, e->launched, e->finishing};
    for (int i = 0; i < 3; i++) {
        s_task *t;
        for (size_t it = 0; act_map_next(maps[i], &it, NULL, (void **)&t);) task_free(t);
        act_map_free(maps[i]);
    }
    wire_msg_free(e->info_msg);
    free(e->directory);
    free(e->failure);
    free(e);
    if (act_map_size(f->executors) == 0 && f->shutting_down) framework_remove(s, f);
}

/* A terminated executor goes once every terminal update of its tasks is acknowledged. */
static void maybe_remove_executor(slave *s, s_executor *e)
{
    if (e->state != EXEC_TERMINATED) return;
    if (act_map_size(e->finishing) || act_map_size(e->queued) || act_map_size(e->launched))
        return;
    s_executor_remove(s, e);
}

/* ---- kills, shutdowns, messages ---------------------------------------------------------- */

static void on_kill_task(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(kill_task_message));
    if (!m) return;
    wire_kill_task_message *k = m->root;
    s_framework *f = s_framework_find(s, k->framework_id.value);
    s_executor *e;
    act_map *where = NULL;
    s_task *t = NULL;
    for (size_t it = 0; f && !t && act_map_next(f->executors, &it, NULL, (void **)&e);)
        t = task_find(e, k->task_id.value, &where);
    if (!t) {
        LOG_WARNING("Cannot kill unknown task %s of framework %s", k->task_id.value,
                    k->framework_id.value);
        if (f) s_send_update(s, f, NULL, k->task_id.value, WIRE_TASK_LOST,
                             "Cannot find the task to kill", WIRE_REASON_TASK_UNKNOWN);
    } else if (where == e->queued) {
        s_send_update(s, f, e, k->task_id.value, WIRE_TASK_KILLED,
                      "Killed before it was delivered to the executor",
                      WIRE_REASON_EXECUTOR_UNREGISTERED);
        if (!act_map_size(e->queued) && !act_map_size(e->launched)) shutdown_executor(s, e);
    } else if (where == e->launched && e->state == EXEC_RUNNING) {
        s_send(s, &e->pid, WIRE_DESC(kill_task_message), k);
    }
    wire_msg_free(m);
}

static void on_shutdown_framework(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(shutdown_framework_message));
    if (!m) return;
    s_framework *f = s_framework_find(s, ((wire_shutdown_framework_message *)m->root)
                                             ->framework_id.value);
    wire_msg_free(m);
    if (!f) return;
    LOG_INFO("Shutting down framework %s", f->id);
    f->shutting_down = true;
    if (act_map_size(f->executors) == 0) {
        framework_remove(s, f);
        return;
    }
    s_executor *e;
    for (size_t it = 0; act_map_next(f->executors, &it, NULL, (void **)&e);)
        shutdown_executor(s, e);
}

static void on_framework_to_executor(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_master(s, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(framework_to_executor_message));
    if (!m) return;
    wire_framework_to_executor_message *fm = m->root;
    s_executor *e = s_executor_find(s, fm->framework_id.value, fm->executor_id.value);
    if (e && e->state == EXEC_RUNNING)
        s_send(s, &e->pid, WIRE_DESC(framework_to_executor_message), fm);
    else
        LOG_WARNING("Dropping a framework message for executor %s: not running",
                    fm->executor_id.value);
    wire_msg_free(m);
}

static void on_executor_to_framework(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(executor_to_framework_message));
    if (!m) return;
    wire_executor_to_framework_message *em = m->root;
    s_executor *e = s_executor_find(s, em->framework_id.value, em->executor_id.value);
    if (e && act_pid_equal(&e->pid, &msg->from) && s->connected) {
        em->slave_id.value = s->id;
        s_send(s, &s->master, WIRE_DESC(executor_to_framework_message), em);
    }
    wire_msg_free(m);
}

/* ---- for re-registration, state.json and shutdown ----------------------------------------- */

static void add_task(wire_msg *m, wire_task *out, const s_executor *e, const s_task *t,
                     const char *slave_id)
{
    out->name = wire_strdup(m, t->info->name);
    out->task_id.value = wire_strdup(m, t->info->task_id.value);
    out->framework_id.value = wire_strdup(m, e->framework->id);
    if (!e->command) {
        out->executor_id = wire_alloc(m, sizeof *out->executor_id);
        out->executor_id->value = wire_strdup(m, e->id);
    }
    out->slave_id.value = wire_strdup(m, slave_id);
    out->state = t->state;
    out->resources_count = t->info->resources_count;
    out->resources = wire_alloc_array(m, WIRE_DESC(resource), out->resources_count);
    for (size_t i = 0; i < out->resources_count; i++)
        wire_copy_into(m, WIRE_DESC(resource), &out->resources[i], &t->info->resources[i]);
}

void s_collect_for_reregistration(slave *s, wire_msg *m, wire_reregister_slave_message *r)
{
    size_t ntasks = 0, nexec = 0;
    s_framework *f;
    s_executor *e;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);)
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) {
            ntasks += act_map_size(e->queued) + act_map_size(e->launched) +
                      act_map_size(e->finishing);
            nexec += !e->command;
        }
    r->tasks = wire_alloc_array(m, WIRE_DESC(task), ntasks);
    r->executor_infos = wire_alloc_array(m, WIRE_DESC(executor_info), nexec);
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);)
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) {
            if (!e->command)
                wire_copy_into(m, WIRE_DESC(executor_info),
                               &r->executor_infos[r->executor_infos_count++], e->info);
            act_map *maps[] = {e->queued, e->launched, e->finishing};
            for (int i = 0; i < 3; i++) {
                s_task *t;
                for (size_t q = 0; act_map_next(maps[i], &q, NULL, (void **)&t);)
                    add_task(m, &r->tasks[r->tasks_count++], e, t, s->id);
            }
        }
}

static void json_tasks(act_json *j, const char *key, act_map *tasks, const char *framework_id)
{
    act_json_key(j, key);
    act_json_array_begin(j);
    wire_framework_id fid = {(char *)framework_id};
    s_task *t;
    for (size_t it = 0; act_map_next(tasks, &it, NULL, (void **)&t);)
        wire_json_model_task_info(j, t->info, &fid, t->state, NULL, 0);
    act_json_array_end(j);
}

static void json_executor(act_json *j, const s_executor *e)
{
    act_json_object_begin(j);
    act_json_kv_string(j, "container", e->container_id);
    act_json_kv_string(j, "directory", e->directory ? e->directory : "");
    act_json_kv_string(j, "id", e->id);
    act_json_kv_string(j, "name", e->info->name);
    act_json_key(j, "resources");
    wire_json_model_resources_wire(j, e->info->resources, e->info->resources_count);
    act_json_kv_string(j, "source", e->info->source);
    json_tasks(j, "completed_tasks", e->finishing, e->framework->id);
    json_tasks(j, "queued_tasks", e->queued, e->framework->id);
    json_tasks(j, "tasks", e->launched, e->framework->id);
    act_json_object_end(j);
}

void s_json_frameworks(slave *s, act_json *j)
{
    act_json_key(j, "frameworks");
    act_json_array_begin(j);
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        act_json_object_begin(j);
        act_json_kv_bool(j, "checkpoint", f->info->checkpoint);
        act_json_key(j, "completed_executors");
        act_json_array_begin(j);
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
    act_json_array_end(j);
}

void s_frameworks_free(slave *s)
{
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) {
        s_executor *e;
        for (size_t k = 0; act_map_next(f->executors, &k, NULL, (void **)&e);) {
            if (e->state != EXEC_TERMINATED) destroy(s, e, s->cfg.executor_shutdown_grace_period);
            f->shutting_down = false; /* removal below, not via framework_remove */
            s_executor_remove(s, e);
        }
        act_map_remove(s->frameworks, f->id);
        act_map_free(f->executors);
        wire_msg_free(f->info_msg);
        free(f);
    }
}

void s_executor_handlers(act_actor *a)
{
    act_on_message(a, "mesos.internal.RunTaskMessage", on_run_task);
    act_on_message(a, "mesos.internal.RegisterExecutorMessage", on_register_executor);
    act_on_message(a, "mesos.internal.StatusUpdateMessage", on_status_update);
    act_on_message(a, "mesos.internal.StatusUpdateAcknowledgementMessage", on_ack);
    act_on_message(a, "mesos.internal.KillTaskMessage", on_kill_task);
    act_on_message(a, "mesos.internal.ShutdownFrameworkMessage", on_shutdown_framework);
    act_on_message(a, "mesos.internal.FrameworkToExecutorMessage", on_framework_to_executor);
    act_on_message(a, "mesos.internal.ExecutorToFrameworkMessage", on_executor_to_framework);
    act_on_message(a, CZ_MSG_LAUNCHED, on_launched);
    act_on_message(a, CZ_MSG_TERMINATED, on_terminated);
    act_on_message(a, SUM_MSG_ACKED, on_acked);
}
