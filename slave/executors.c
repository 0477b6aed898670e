/*
 * executors.c - tasks and executors in the slave: RunTaskMessage creates the framework and
 * the executor (the built-in command executor for command tasks) and launches it in a fresh
 * sandbox through the containerizer; tasks wait until the executor registers; status updates
 * from executors (and those the slave makes itself) go through the status update manager;
 * kills, framework shutdowns, framework messages and what the containerizer reports (launched,
 * terminated) are handled here, every end of an executor through lifecycle.c (PROTOCOL.md,
 * "Offers, launch, status updates" and "Kill, shutdown").
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

/* ---- status updates ---------------------------------------------------------------------- */

static bool checkpointing(const slave *s, const s_framework *f)
{
    return s->cfg.checkpoint && f->info->checkpoint;
}

static char *updates_path(slave *s, s_executor *e, const char *task_id, char *buf, size_t n)
{
    if (!e || !checkpointing(s, e->framework)) return NULL;
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
    s_task *t = e ? s_task_find(e, task_id, &where) : NULL;
    if (t) s_task_update(s, e, t, where, &u.status);
}

static void drop_update(const wire_status_update *u, const char *why)
{
    LOG_WARNING("Dropping a status update %s for task %s of framework %s: %s",
                wire_task_state_name(u->status.state), u->status.task_id.value,
                u->framework_id.value, why);
    act_counter_inc(act_counter_get("slave/invalid_status_updates"));
}

static void on_status_update(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(status_update_message));
    if (!m) return;
    wire_status_update *u = &((wire_status_update_message *)m->root)->update;
    s_executor *e = u->executor_id ? s_executor_find(s, u->framework_id.value,
                                                     u->executor_id->value) : NULL;
    act_map *where = NULL;
    s_task *t = e ? s_task_find(e, u->status.task_id.value, &where) : NULL;
    if (!e || !act_pid_equal(&e->pid, &msg->from))
        drop_update(u, "not from its executor");
    else if (e->framework->shutting_down) /* nobody would acknowledge it (Mesos) */
        drop_update(u, "the framework is shutting down");
    else if (!t) /* only tasks it runs: the ID also names a checkpoint path */
        drop_update(u, "its executor does not run it");
    else {
        act_counter_inc(act_counter_get("slave/valid_status_updates"));
        if (!u->slave_id) {
            u->slave_id = wire_alloc(m, sizeof *u->slave_id);
            u->slave_id->value = wire_strdup(m, s->id);
        }
        s_task_update(s, e, t, where, &u->status);
        s_forward_update(s, e, u, &msg->from);
    }
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

/* The manager says a task's terminal update was acknowledged: the task is completed. */
static void on_acked(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    const sum_ack *a = msg->obj;
    if (a && a->terminal) s_task_acknowledged(s, a->framework_id, a->task_id);
}

/* ---- launching ---------------------------------------------------------------------------- */

/* The built-in command executor for a command task: mesos-executor (mesos-docker-executor for
 * a task in a Docker image, whose ContainerInfo it then carries, so that the containerizer
 * that runs it is known after a restart too) with the task's resources plus its own 0.1 cpus
 * and 32 MB. */
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
    bool docker = t->container && t->container->type == WIRE_CONTAINER_DOCKER;
    snprintf(path, sizeof path, "%s/%s", s->cfg.launcher_dir ? s->cfg.launcher_dir : ".",
             docker ? "mesos-docker-executor" : "mesos-executor");
    if (docker) {
        e->container = wire_alloc(m, sizeof *e->container);
        wire_copy_into(m, WIRE_DESC(container_info), e->container, t->container);
    }
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

/* --default_container_info for an executor that brings no ContainerInfo (Mesos'
 * getExecutorInfo). */
static void default_container(slave *s, wire_msg *info)
{
    wire_executor_info *ei = info->root;
    if (ei->container || !s->default_container) return;
    ei->container = wire_alloc(info, sizeof *ei->container);
    wire_copy_into(info, WIRE_DESC(container_info), ei->container, s->default_container->root);
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

/* Creates the sandbox (and runs/latest) and exposes it through /files. Returns 0, or -errno
 * with the executor failed for that reason. */
static int make_sandbox(slave *s, s_executor *e)
{
    char dir[PATH_MAX], latest[PATH_MAX];
    path_sandbox(dir, sizeof dir, s->cfg.work_dir, s->id, e->framework->id, e->id,
                 e->container_id);
    int rc = ckpt_mkdirs(dir, 0755);
    if (rc != 0) {
        LOG_ERROR("Cannot create sandbox %s: %s", dir, strerror(-rc));
        s_executor_fail(e, WIRE_REASON_EXECUTOR_TERMINATED,
                        "Failed to create the executor's sandbox %s: %s", dir, strerror(-rc));
        return rc;
    }
    e->directory = act_strdup(dir);
    path_sandbox_latest(latest, sizeof latest, s->cfg.work_dir, s->id, e->framework->id, e->id);
    unlink(latest);
    if (symlink(dir, latest) != 0) LOG_WARNING("symlink %s: %s", latest, strerror(errno));
    act_files_attach(&s->files, dir, dir);
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
    if (checkpointing(s, e->framework)) {
        char p[PATH_MAX];
        l->pids_dir = act_strdup(path_meta_pids(p, sizeof p, s->cfg.work_dir, s->id,
                                                e->framework->id, e->id, e->container_id));
    }
    l->frameworks_home = s->cfg.frameworks_home ? act_strdup(s->cfg.frameworks_home) : NULL;
    s_executor_resources(e, &l->resources);
    l->command = e->command;
    act_post(s->self, &s->containerizer, CZ_MSG_LAUNCH, l, cz_launch_free);
    e->registration_timer = act_delay(s->self, s->cfg.executor_registration_timeout,
                                      registration_timeout, e);
    LOG_INFO("Launching executor %s of framework %s in %s", e->id, e->framework->id,
             e->directory);
}

void s_executor_resources(const s_executor *e, res_set *out)
{
    memset(out, 0, sizeof *out);
    res_from_wire(e->info->resources, e->info->resources_count, out, NULL, 0);
    if (e->command) return;
    act_map *maps[] = {e->queued, e->launched};
    for (int i = 0; i < 2; i++) {
        s_task *t;
        for (size_t it = 0; act_map_next(maps[i], &it, NULL, (void **)&t);) {
            res_set r = {0};
            res_from_wire(t->info->resources, t->info->resources_count, &r, NULL, 0);
            res_add(out, &r);
            res_free(&r);
        }
    }
}

void s_executor_update(slave *s, s_executor *e)
{
    if (e->command || (e->state != EXEC_RUNNING && e->state != EXEC_LAUNCHING)) return;
    cz_update *u = act_calloc(1, sizeof *u);
    snprintf(u->container_id, sizeof u->container_id, "%s", e->container_id);
    s_executor_resources(e, &u->resources);
    act_post(s->self, &s->containerizer, CZ_MSG_UPDATE, u, cz_update_free);
}

static void send_run_task(slave *s, s_executor *e, s_task *t)
{
    char pid[ACT_PID_STRLEN];
    wire_run_task_message r = {.framework_id = {e->framework->id}, .framework = *e->framework->info,
                               .pid = act_pid_format(&e->framework->pid, pid, sizeof pid),
                               .task = *t->info};
    s_send(s, &e->pid, WIRE_DESC(run_task_message), &r);
}

/* Hands a task to its executor: sent when it runs, queued while it registers, lost when it is
 * going (Mesos' "Executor terminating/terminated"). */
static void run_on(slave *s, s_executor *e, s_task *t)
{
    const char *id = t->info->task_id.value;
    switch (e->state) {
    case EXEC_RUNNING:
        act_map_put(e->launched, id, t);
        send_run_task(s, e, t);
        break;
    case EXEC_LAUNCHING:
        act_map_put(e->queued, id, t);
        break;
    case EXEC_TERMINATING:
    case EXEC_TERMINATED:
        act_map_put(e->queued, id, t);
        s_send_update(s, e->framework, e, id, WIRE_TASK_LOST, "Executor terminating/terminated",
                      WIRE_REASON_EXECUTOR_TERMINATED);
        return;
    }
    if (checkpointing(s, e->framework)) s_checkpoint_task(s, e, t);
}

/* Why a RunTaskMessage is not taken at all, or NULL. */
static const char *refusal(slave *s, const wire_run_task_message *r, const char *executor_id,
                           act_pid *sched)
{
    if (!wire_id_valid(r->task.task_id.value) || !wire_id_valid(executor_id) ||
        !wire_id_valid(r->framework_id.value)) /* they name directories */
        return "invalid ID";
    if (!s->connected) return "not registered";
    if (s->terminating) return "the slave is shutting down";
    if (act_pid_parse(r->pid, sched) != 0) return "invalid scheduler pid";
    s_framework *f = s_framework_find(s, r->framework_id.value);
    if (f && f->shutting_down) return "the framework is shutting down";
    return NULL;
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
    const char *why = refusal(s, r, eid, &sched);
    if (why) {
        LOG_WARNING("Ignoring task '%s' of framework '%s': %s", r->task.task_id.value,
                    r->framework_id.value, why);
        wire_msg_free(m);
        return;
    }
    s_framework *f = s_framework_find(s, r->framework_id.value);
    if (f) {
        f->pid = sched;
    } else {
        f = s_framework_add(s, r->framework_id.value, &r->framework, &sched);
        if (checkpointing(s, f)) s_checkpoint_framework(s, f);
    }
    s_executor *e = act_map_get(f->executors, eid);
    if (e && s_task_find(e, r->task.task_id.value, NULL)) {
        LOG_WARNING("Ignoring task '%s' of framework '%s': its executor has it already",
                    r->task.task_id.value, f->id);
        wire_msg_free(m);
        return;
    }
    s_task *t = s_task_new(&r->task);
    s->launched_tasks++;
    if (e) {
        run_on(s, e, t);
        s_executor_update(s, e); /* its container grows by the task (Mesos: before it runs) */
    } else {
        wire_msg *info = r->task.executor ? wire_copy(WIRE_DESC(executor_info), r->task.executor)
                                          : command_executor(s, f->id, &r->task);
        default_container(s, info);
        e = s_executor_add(s, f, info, r->task.executor == NULL, NULL);
        if (make_sandbox(s, e) != 0) {
            act_map_put(e->queued, t->info->task_id.value, t); /* it fails with the executor */
            s_executor_terminated(s, e, -1, e->failure);
        } else {
            if (checkpointing(s, f)) s_checkpoint_executor(s, e);
            run_on(s, e, t);
            launch(s, e);
        }
    }
    wire_msg_free(m);
}

/* ---- what the containerizer reports --------------------------------------------------------- */

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
    s_executor_fail(e, WIRE_REASON_EXECUTOR_TERMINATED, "Failed to launch executor: %s",
                    r->message);
    s_executor_terminated(s, e, -1, r->message);
}

/* A container destroyed for a limit it hit fails its tasks with the isolator's message; Mesos
 * 0.22 gives every such end REASON_MEMORY_LIMIT (a disk quota too), and so do we. */
static void on_terminated(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    const cz_result *r = msg->obj;
    s_executor *e = r ? by_container(s, r->container_id) : NULL;
    if (!e) return;
    if (r->limited) s_executor_fail(e, WIRE_REASON_MEMORY_LIMIT, "%s", r->message);
    s_executor_terminated(s, e, r->status, r->message);
}

static void registration_timeout(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    s_executor *e = arg; /* retiring cancels this timer */
    e->registration_timer = 0;
    if (e->state != EXEC_LAUNCHING) return;
    char dur[64];
    s_executor_fail(e, WIRE_REASON_EXECUTOR_UNREGISTERED, "Executor did not register within %s",
                    act_duration_format(s->cfg.executor_registration_timeout, dur, sizeof dur));
    LOG_WARNING("%s: executor %s of framework %s", e->failure, e->id, e->framework->id);
    /* its tasks fail once the containerizer reports the end (launched or not) */
    e->state = EXEC_TERMINATING;
    s_executor_destroy(s, e, 0);
}

static void on_register_executor(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    if (!s_from_this_host(s, msg)) return;
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
        t = s_task_find(e, k->task_id.value, &where);
    if (!t) {
        LOG_WARNING("Cannot kill unknown task %s of framework %s", k->task_id.value,
                    k->framework_id.value);
        if (f) s_send_update(s, f, NULL, k->task_id.value, WIRE_TASK_LOST,
                             "Cannot find the task to kill", WIRE_REASON_TASK_UNKNOWN);
    } else if (where == e->queued) {
        s_send_update(s, f, e, k->task_id.value, WIRE_TASK_KILLED,
                      "Killed before it was delivered to the executor",
                      WIRE_REASON_EXECUTOR_UNREGISTERED);
        if (!act_map_size(e->queued) && !act_map_size(e->launched)) s_executor_shutdown(s, e);
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
    if (f) s_framework_shutdown(s, f);
}

/* From the master, or straight from the framework's scheduler: Mesos' drivers (libmesos,
 * mesos-go) send to a slave they know from an offer directly. */
static void on_framework_to_executor(act_actor *self, const act_msg *msg)
{
    slave *s = act_state(self);
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(framework_to_executor_message));
    if (!m) return;
    wire_framework_to_executor_message *fm = m->root;
    s_framework *f = s_framework_find(s, fm->framework_id.value);
    if (!(f && act_pid_equal(&msg->from, &f->pid)) && !s_from_master(s, msg)) {
        wire_msg_free(m);
        return;
    }
    s_executor *e = s_executor_find(s, fm->framework_id.value, fm->executor_id.value);
    if (e && e->state == EXEC_RUNNING) {
        act_counter_inc(act_counter_get("slave/valid_framework_messages"));
        s_send(s, &e->pid, WIRE_DESC(framework_to_executor_message), fm);
    } else {
        act_counter_inc(act_counter_get("slave/invalid_framework_messages"));
        LOG_WARNING("Dropping a framework message for executor %s: not running",
                    fm->executor_id.value);
    }
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

/* ---- for re-registration ----------------------------------------------------------------- */

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
    act_on_local(a, CZ_MSG_LAUNCHED, on_launched);
    act_on_local(a, CZ_MSG_TERMINATED, on_terminated);
    act_on_local(a, SUM_MSG_ACKED, on_acked);
}
