/*
 * calls.c - the executor's calls as they run inside the driver's actor: each API function
 * (driver.c) copies its arguments into a wire message and posts it here, so calls are ordered
 * with the slave's messages and need no lock. Status updates get their IDs, source, timestamp
 * and UUID here and are kept until the slave acknowledges them.
 */
#include "exec/exec_int.h"

#include <stdio.h>
#include <string.h>

void exec__op_stop(exec_driver *d, exec_op *op)
{
    LOG_INFO("Executor %s of framework %s: stopping the driver", d->env.executor_id,
             d->env.framework_id);
    act_exit(d->actor);
}

void exec__op_abort(exec_driver *d, exec_op *op)
{
    LOG_INFO("Executor %s of framework %s: aborting the driver", d->env.executor_id,
             d->env.framework_id);
    d->aborted = true;
    exec__settle(d);
}

/* An ID message (every ID type is a struct of one string) in m's arena. */
static void *id_in(wire_msg *m, const char *value)
{
    wire_task_id *id = wire_alloc(m, sizeof *id);
    id->value = wire_strdup(m, value);
    return id;
}

/* A new StatusUpdate for `status`, filled in as the slave expects it from an executor. */
static wire_msg *build_update(exec_driver *d, const wire_task_status *status)
{
    wire_msg *m = wire_new(WIRE_DESC(status_update));
    wire_status_update *u = m->root;
    u->framework_id.value = wire_strdup(m, d->env.framework_id);
    u->executor_id = id_in(m, d->env.executor_id);
    u->slave_id = id_in(m, d->slave_id);
    wire_copy_into(m, WIRE_DESC(task_status), &u->status, status);
    wire_task_status *s = &u->status;
    s->has_source = true;
    s->source = WIRE_SOURCE_EXECUTOR;
    if (!s->has_timestamp) s->timestamp = act_now();
    s->has_timestamp = true;
    if (!s->executor_id) s->executor_id = u->executor_id;
    if (!s->slave_id && d->slave_id[0]) s->slave_id = u->slave_id;
    u->timestamp = act_now();
    wire_uuid uuid;
    wire_uuid_random(&uuid);
    u->uuid.data = wire_alloc(m, sizeof uuid.bytes + 1);
    memcpy(u->uuid.data, uuid.bytes, sizeof uuid.bytes);
    u->uuid.len = sizeof uuid.bytes;
    return m;
}

/* Executors may not send TASK_STAGING (the master's state alone): Mesos aborts the driver. */
static void refuse_staging(exec_driver *d, const wire_task_status *status)
{
    const char *why = "Attempted to send TASK_STAGING status update";
    LOG_ERROR("Executor %s of framework %s: %s for task %s; aborting", d->env.executor_id,
              d->env.framework_id, why, status->task_id.value);
    exec_driver_abort(d);
    if (d->exec.error) d->exec.error(d, why);
}

void exec__op_status_update(exec_driver *d, exec_op *op)
{
    const wire_task_status *status = op->msg->root;
    if (status->state == WIRE_TASK_STAGING) {
        refuse_staging(d, status);
        return;
    }
    wire_msg *m = build_update(d, status);
    wire_status_update *u = m->root;
    LOG_INFO("Executor %s of framework %s: sending %s for task %s", d->env.executor_id,
             d->env.framework_id, wire_task_state_name(status->state), status->task_id.value);
    exec__update_add(d, m);
    if (exec__slave_away(d)) {
        LOG_INFO("Executor %s of framework %s: the slave is away; keeping the update for "
                 "task %s until it reconnects", d->env.executor_id, d->env.framework_id,
                 status->task_id.value);
        return;
    }
    char pid[ACT_PID_STRLEN];
    wire_status_update_message msg = {
        .update = *u,
        .has_pid = true,
        .pid = act_pid_format(&d->self, pid, sizeof pid),
    };
    exec__send(d, WIRE_DESC(status_update_message), &msg);
}

void exec__op_framework_message(exec_driver *d, exec_op *op)
{
    wire_executor_to_framework_message *m = op->msg->root;
    if (exec__slave_away(d)) {
        VLOG(1, "Executor %s of framework %s: dropping a framework message: the slave is away",
             d->env.executor_id, d->env.framework_id);
        return;
    }
    m->slave_id.value = d->slave_id;
    m->framework_id.value = d->env.framework_id;
    m->executor_id.value = d->env.executor_id;
    exec__send(d, WIRE_DESC(executor_to_framework_message), m);
}
