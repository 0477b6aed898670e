/*
 * lifecycle.c - the one life cycle of the slave's records (Mesos' Framework and Executor in
 * src/slave/slave.cpp). A framework is added by its first task and retires into
 * completed_frameworks once it has no executor left. An executor is launched, registers, and
 * ends by exactly one path, s_executor_terminated, whatever ended it (an exit, a failed launch
 * or sandbox, a registration timeout, a destroy, a death while the slave was down); it then
 * retires into its framework's completed executors as soon as no update of its tasks waits
 * for an acknowledgement. A task goes queued -> launched -> finishing (terminal, update not
 * yet acknowledged) -> completed. Every history is bounded (50 frameworks, 150 executors per
 * framework, 200 tasks per executor), so the slave's memory follows what runs, not what ran.
 */
#include "slave/slave_state_int.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

/* ---- freeing ----------------------------------------------------------------------------- */

void s_task_free(void *p)
{
    s_task *t = p;
    wire_msg_free(t->msg);
    free(t->statuses);
    free(t);
}

static void tasks_free(act_map *tasks)
{
    s_task *t;
    for (size_t it = 0; act_map_next(tasks, &it, NULL, (void **)&t);) s_task_free(t);
    act_map_free(tasks);
}

/* Frees the record only: timers die with the actor or were cancelled when it ended. */
static void executor_free(void *p)
{
    s_executor *e = p;
    tasks_free(e->queued);
    tasks_free(e->launched);
    tasks_free(e->finishing);
    s_history_free(&e->completed, s_task_free);
    wire_msg_free(e->info_msg);
    free(e->directory);
    free(e->failure);
    free(e);
}

static void framework_free(void *p)
{
    s_framework *f = p;
    s_executor *e;
    for (size_t it = 0; act_map_next(f->executors, &it, NULL, (void **)&e);) executor_free(e);
    act_map_free(f->executors);
    s_history_free(&f->completed, executor_free);
    wire_msg_free(f->info_msg);
    free(f);
}

/* An executor leaves the history: nothing lists its sandbox any more, so /files stops serving
 * it (gc removes it in its own time). */
static void executor_forget(slave *s, s_executor *e)
{
    if (e->directory) act_files_detach(&s->files, e->directory);
    executor_free(e);
}

static void framework_forget(slave *s, s_framework *f)
{
    for (size_t i = 0; i < s_history_size(&f->completed); i++)
        executor_forget(s, s_history_at(&f->completed, i));
    s_history_free(&f->completed, NULL);
    framework_free(f);
}

void s_frameworks_free(slave *s)
{
    s_framework *f;
    for (size_t it = 0; act_map_next(s->frameworks, &it, NULL, (void **)&f);) framework_free(f);
    act_map_free(s->frameworks);
    s->frameworks = NULL;
    s_history_free(&s->completed, framework_free);
    free(s->exited);
    s->exited = NULL;
    s->nexited = 0;
}

/* ---- adding ------------------------------------------------------------------------------ */

s_framework *s_framework_add(slave *s, const char *id, const wire_framework_info *info,
                             const act_pid *scheduler)
{
    s_framework *f = act_calloc(1, sizeof *f);
    snprintf(f->id, sizeof f->id, "%s", id);
    f->info_msg = wire_copy(WIRE_DESC(framework_info), info);
    f->info = f->info_msg->root;
    if (scheduler) f->pid = *scheduler;
    f->executors = act_map_new();
    s_history_init(&f->completed, S_MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK);
    act_map_put(s->frameworks, f->id, f);
    return f;
}

s_executor *s_executor_add(slave *s, s_framework *f, wire_msg *info, bool command,
                           const char *container_id)
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
    if (container_id) {
        snprintf(e->container_id, sizeof e->container_id, "%s", container_id);
    } else {
        wire_uuid u;
        wire_uuid_random(&u);
        wire_uuid_format(&u, e->container_id, sizeof e->container_id);
    }
    e->queued = act_map_new();
    e->launched = act_map_new();
    e->finishing = act_map_new();
    s_history_init(&e->completed, S_MAX_COMPLETED_TASKS_PER_EXECUTOR);
    e->state = EXEC_LAUNCHING;
    act_map_put(f->executors, e->id, e);
    return e;
}

/* ---- tasks ------------------------------------------------------------------------------- */

s_task *s_task_new(const wire_task_info *info)
{
    s_task *t = act_calloc(1, sizeof *t);
    t->msg = wire_copy(WIRE_DESC(task_info), info);
    t->info = t->msg->root;
    t->state = WIRE_TASK_STAGING;
    return t;
}

s_task *s_task_find(s_executor *e, const char *task_id, act_map **where)
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

static void count_terminal(slave *s, wire_task_state st)
{
    if (st == WIRE_TASK_FINISHED) s->finished_tasks++;
    if (st == WIRE_TASK_FAILED) s->failed_tasks++;
    if (st == WIRE_TASK_KILLED) s->killed_tasks++;
    if (st == WIRE_TASK_LOST) s->lost_tasks++;
}

/* Keeps the state and time of an update, as Mesos' Task.statuses: the first and the latest
 * S_MAX_TASK_STATUSES - 1, so an executor repeating updates cannot grow the slave. */
void s_task_add_status(s_task *t, const wire_task_status *st)
{
    if (t->nstatuses == S_MAX_TASK_STATUSES) {
        memmove(&t->statuses[1], &t->statuses[2], (t->nstatuses - 2) * sizeof *t->statuses);
        t->nstatuses--;
    } else {
        t->statuses = act_realloc(t->statuses, (t->nstatuses + 1) * sizeof *t->statuses);
    }
    wire_task_status *k = &t->statuses[t->nstatuses++];
    memset(k, 0, sizeof *k);
    k->state = st->state;
    k->has_timestamp = true;
    k->timestamp = st->has_timestamp ? st->timestamp : act_now();
}

void s_task_update(slave *s, s_executor *e, s_task *t, act_map *where,
                   const wire_task_status *status)
{
    if (where == e->finishing) return; /* nothing moves a task out of a terminal state */
    wire_task_state st = status->state;
    s_task_add_status(t, status);
    if (st == WIRE_TASK_STARTING) s->started_tasks++;
    t->state = st;
    if (!wire_task_state_terminal(st)) return;
    count_terminal(s, st);
    act_map_remove(where, t->info->task_id.value);
    act_map_put(e->finishing, t->info->task_id.value, t);
    s_executor_update(s, e); /* its container shrinks by the task */
}

void s_task_acknowledged(slave *s, const char *framework_id, const char *task_id)
{
    s_framework *f = s_framework_find(s, framework_id);
    s_executor *e;
    for (size_t it = 0; f && act_map_next(f->executors, &it, NULL, (void **)&e);) {
        s_task *t = act_map_remove(e->finishing, task_id);
        if (!t) continue;
        s_task *old = s_history_push(&e->completed, t);
        if (old) s_task_free(old);
        s_retire(s, e);
        return;
    }
}

/* ---- retiring ---------------------------------------------------------------------------- */

static bool incomplete(const s_executor *e)
{
    return act_map_size(e->queued) || act_map_size(e->launched) || act_map_size(e->finishing);
}

void s_executor_retire(slave *s, s_executor *e)
{
    s_framework *f = e->framework;
    LOG_INFO("Cleaning up executor %s of framework %s", e->id, f->id);
    act_map_remove(f->executors, e->id);
    s_checkpoint_executor_completed(s, e);
    if (e->registration_timer) act_cancel(s->self, e->registration_timer);
    if (e->shutdown_timer) act_cancel(s->self, e->shutdown_timer);
    e->registration_timer = e->shutdown_timer = 0;
    s_executor *old = s_history_push(&f->completed, e);
    if (old) executor_forget(s, old);
}

static void framework_retire(slave *s, s_framework *f)
{
    LOG_INFO("Cleaning up framework %s", f->id);
    act_map_remove(s->frameworks, f->id);
    act_post(s->self, &s->sum, SUM_MSG_CLEANUP, act_strdup(f->id), free);
    s_framework *old = s_history_push(&s->completed, f);
    if (old) framework_forget(s, old);
    if (s->terminating && act_map_size(s->frameworks) == 0) s_exit(s);
}

void s_framework_retire_if_idle(slave *s, s_framework *f)
{
    if (act_map_size(f->executors) == 0) framework_retire(s, f);
}

void s_retire(slave *s, s_executor *e)
{
    s_framework *f = e->framework;
    if (e->state != EXEC_TERMINATED) return;
    if (incomplete(e) && !f->shutting_down && !s->terminating) return;
    s_executor_retire(s, e);
    s_framework_retire_if_idle(s, f);
}

/* ---- ending an executor ------------------------------------------------------------------ */

void s_executor_fail(s_executor *e, wire_status_reason reason, const char *fmt, ...)
{
    if (e->failure) return; /* the first reason stands */
    act_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    act_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    e->failure = act_buf_detach(&b, NULL);
    e->failure_reason = reason;
}

/* How the queued and live tasks of an ended executor end: the slave's own reason fails them,
 * as does the end of a command executor or an exit whose status was seen (SPEC section 5);
 * an end nobody saw (the executor was not our child) loses them, as Mesos does. */
static wire_task_state end_of_tasks(const s_executor *e, int status, wire_status_reason *reason)
{
    if (e->failure) {
        *reason = e->failure_reason;
        return WIRE_TASK_FAILED;
    }
    *reason = e->command ? WIRE_REASON_COMMAND_EXECUTOR_FAILED : WIRE_REASON_EXECUTOR_TERMINATED;
    return e->command || status != -1 ? WIRE_TASK_FAILED : WIRE_TASK_LOST;
}

static void end_tasks(slave *s, s_executor *e, int status, const char *how)
{
    wire_status_reason reason;
    wire_task_state state = end_of_tasks(e, status, &reason);
    char message[1024];
    if (e->failure) snprintf(message, sizeof message, "%s", e->failure);
    else snprintf(message, sizeof message, "Abnormal executor termination: %s", how);
    act_map *maps[] = {e->queued, e->launched};
    for (int i = 0; i < 2; i++) {
        s_task *t;
        for (size_t it = 0; act_map_next(maps[i], &it, NULL, (void **)&t);)
            s_send_update(s, e->framework, e, t->info->task_id.value, state, message, reason);
    }
}

/* The master forgets the executor's resources and tells the scheduler (executorLost). It
 * knows nothing of command executors (Mesos sends nothing for them either). */
static void report_exit(slave *s, const s_executor *e, int status)
{
    if (e->command) return;
    s->exited = act_realloc(s->exited, (s->nexited + 1) * sizeof *s->exited);
    s_exited *x = &s->exited[s->nexited++];
    snprintf(x->framework_id, sizeof x->framework_id, "%s", e->framework->id);
    snprintf(x->executor_id, sizeof x->executor_id, "%s", e->id);
    x->status = status;
    if (s->connected) s_report_exits(s);
}

void s_report_exits(slave *s)
{
    for (size_t i = 0; i < s->nexited; i++) {
        wire_exited_executor_message x = {.slave_id = {s->id},
                                          .framework_id = {s->exited[i].framework_id},
                                          .executor_id = {s->exited[i].executor_id},
                                          .status = s->exited[i].status};
        s_send(s, &s->master, WIRE_DESC(exited_executor_message), &x);
    }
    free(s->exited);
    s->exited = NULL;
    s->nexited = 0;
}

void s_executor_terminated(slave *s, s_executor *e, int status, const char *how)
{
    if (e->state == EXEC_TERMINATED) return;
    s_framework *f = e->framework;
    LOG_INFO("Executor %s of framework %s terminated: %s", e->id, f->id, how);
    e->state = EXEC_TERMINATED;
    e->reconnecting = false;
    s->executors_terminated++;
    if (e->registration_timer) act_cancel(s->self, e->registration_timer);
    if (e->shutdown_timer) act_cancel(s->self, e->shutdown_timer);
    e->registration_timer = e->shutdown_timer = 0;
    if (!f->shutting_down && !s->terminating) end_tasks(s, e, status, how);
    report_exit(s, e, status);
    if (e->directory) {
        gc_path *g = act_calloc(1, sizeof *g);
        g->path = act_strdup(e->directory);
        g->delay = s->cfg.gc_delay;
        act_post(s->self, &s->gc, GC_MSG_SCHEDULE, g, gc_path_free);
    }
    s_retire(s, e);
}

void s_executor_destroy(slave *s, s_executor *e, double grace)
{
    cz_destroy *d = act_calloc(1, sizeof *d);
    snprintf(d->container_id, sizeof d->container_id, "%s", e->container_id);
    d->grace_seconds = grace;
    act_post(s->self, &s->containerizer, CZ_MSG_DESTROY, d, free);
}

static void shutdown_grace_expired(act_actor *self, void *arg)
{
    slave *s = act_state(self);
    s_executor *e = arg; /* retiring cancels this timer */
    e->shutdown_timer = 0;
    if (e->state == EXEC_TERMINATED) return;
    LOG_INFO("Killing executor %s of framework %s: it did not exit within the grace period",
             e->id, e->framework->id);
    s_executor_destroy(s, e, 0);
}

void s_executor_shutdown(slave *s, s_executor *e)
{
    if (e->state == EXEC_TERMINATED || e->state == EXEC_TERMINATING) return;
    LOG_INFO("Shutting down executor %s of framework %s", e->id, e->framework->id);
    bool registered = e->state == EXEC_RUNNING && !act_pid_is_none(&e->pid);
    e->state = EXEC_TERMINATING;
    if (!registered) {
        s_executor_destroy(s, e, 0);
        return;
    }
    s_send(s, &e->pid, WIRE_DESC(shutdown_executor_message), &(wire_shutdown_executor_message){0});
    e->shutdown_timer = act_delay(s->self, s->cfg.executor_shutdown_grace_period,
                                  shutdown_grace_expired, e);
}

void s_framework_shutdown(slave *s, s_framework *f)
{
    if (f->shutting_down) return;
    LOG_INFO("Shutting down framework %s", f->id);
    f->shutting_down = true;
    /* Its scheduler is gone: nobody will acknowledge what is pending. */
    act_post(s->self, &s->sum, SUM_MSG_CLEANUP, act_strdup(f->id), free);
    s_executor *e;
    for (size_t it = 0; act_map_next(f->executors, &it, NULL, (void **)&e);) {
        if (e->state == EXEC_TERMINATED) s_executor_retire(s, e);
        else s_executor_shutdown(s, e);
    }
    s_framework_retire_if_idle(s, f);
}
