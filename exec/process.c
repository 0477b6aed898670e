/*
 * process.c - the driver's actor (Mesos' ExecutorProcess): registration with the slave, every
 * message the slave sends, each decoded, checked (driver still running, sent by the current
 * slave) and turned into an executor callback, and what happens when the slave goes away:
 * with checkpointing a wait of MESOS_RECOVERY_TIMEOUT for a restarted slave to reconnect,
 * otherwise (or when the wait ends) the executor's shutdown. Loop thread only.
 */
#include "exec/exec_int.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------- */

static bool running(const exec_driver *d) { return atomic_load(&d->running); }
static const char *eid(const exec_driver *d) { return d->env.executor_id; }
static const char *fid(const exec_driver *d) { return d->env.framework_id; }

void exec__send(exec_driver *d, const wire_desc *desc, const void *obj)
{
    wire_send(d->actor, &d->slave, desc, obj);
}

bool exec__slave_away(const exec_driver *d)
{
    return !d->connected && d->slave_id[0] != '\0';
}

void exec__settle(exec_driver *d)
{
    pthread_mutex_lock(&d->mu);
    d->settled = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* ---- shutdown --------------------------------------------------------------------------- */

/* The grace period after a shutdown ran out and the executor is still here. Mesos'
 * ShutdownProcess kills the process group (the slave made the executor its leader) and exits
 * abnormally; we do the same, but never signal a group we do not lead. In local mode (the
 * executor lives inside another process, e.g. a test) the driver only stops itself. */
static void shutdown_grace_expired(act_actor *self, void *arg)
{
    exec_driver *d = arg;
    if (d->env.local) {
        LOG_INFO("Executor %s of framework %s: shutdown grace period over; stopping the "
                 "driver (local mode)", eid(d), fid(d));
        exec_driver_stop(d);
        return;
    }
    LOG_WARNING("Executor %s of framework %s did not exit within the shutdown grace period; "
                "committing suicide", eid(d), fid(d));
    act_log_close();
    if (getpgrp() == getpid()) killpg(0, SIGKILL);
    _exit(EXIT_FAILURE);
}

/* Starts the executor's shutdown: the shutdown callback runs, and from now on only
 * acknowledgements are handled; the process goes after the grace period at the latest. */
static void begin_shutdown(exec_driver *d, const char *why)
{
    if (d->shutting_down || d->aborted) return;
    LOG_INFO("Executor %s of framework %s: %s; shutting down", eid(d), fid(d), why);
    d->shutting_down = true;
    if (d->recovery_timer) act_cancel(d->actor, d->recovery_timer);
    d->recovery_timer = 0;
    act_delay(d->actor, d->env.shutdown_grace, shutdown_grace_expired, d);
    if (running(d) && d->exec.shutdown) d->exec.shutdown(d);
}

static void recovery_timeout(act_actor *self, void *arg)
{
    exec_driver *d = arg;
    d->recovery_timer = 0;
    if (d->connected) return;
    char dur[32];
    act_duration_format(d->env.recovery_timeout, dur, sizeof dur);
    char why[96];
    snprintf(why, sizeof why, "no slave reconnected within the recovery timeout (%s)", dur);
    begin_shutdown(d, why);
}

/* ---- actor lifecycle -------------------------------------------------------------------- */

static void on_init(act_actor *self, void *arg)
{
    exec_driver *d = arg;
    d->actor = self;
    char slave[ACT_PID_STRLEN];
    LOG_INFO("Executor %s of framework %s registering with slave %s", eid(d), fid(d),
             act_pid_format(&d->slave, slave, sizeof slave));
    act_link(self, &d->slave);
    wire_register_executor_message m = {
        .framework_id = {d->env.framework_id},
        .executor_id = {d->env.executor_id},
    };
    exec__send(d, WIRE_DESC(register_executor_message), &m);
}

static void on_terminate(act_actor *self, void *arg)
{
    exec_driver *d = arg;
    d->actor = NULL;
    pthread_mutex_lock(&d->mu);
    d->terminated = true;
    d->settled = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* The link to the slave broke. With checkpointing and a registration behind us, wait for a
 * restarted slave to reconnect; otherwise shut down at once (as Mesos does). */
static void on_exited(act_actor *self, const act_pid *pid)
{
    exec_driver *d = act_state(self);
    if (!act_pid_equal(pid, &d->slave) || d->aborted || d->shutting_down) return;
    if (!d->env.checkpoint || !d->connected) {
        d->connected = false;
        begin_shutdown(d, "the slave exited");
        return;
    }
    char dur[32];
    LOG_INFO("Executor %s of framework %s: the slave exited, but the framework checkpoints; "
             "waiting %s for it to reconnect", eid(d), fid(d),
             act_duration_format(d->env.recovery_timeout, dur, sizeof dur));
    d->connected = false;
    d->recovery_timer = act_delay(self, d->env.recovery_timeout, recovery_timeout, d);
    if (running(d) && d->exec.disconnected) d->exec.disconnected(d);
}

/* ---- messages from the slave ------------------------------------------------------------ */

static void on_registered(exec_driver *d, const act_msg *msg, void *root)
{
    wire_executor_registered_message *m = root;
    if (d->connected) {
        VLOG(1, "Executor %s of framework %s: ignoring a duplicate registration", eid(d), fid(d));
        return;
    }
    free(d->slave_id);
    d->slave_id = act_strdup(m->slave_id.value);
    d->connected = true;
    LOG_INFO("Executor %s of framework %s registered on slave %s", eid(d), fid(d), d->slave_id);
    if (d->exec.registered)
        d->exec.registered(d, &m->executor_info, &m->framework_info, &m->slave_info);
}

static void on_reregistered(exec_driver *d, const act_msg *msg, void *root)
{
    wire_executor_reregistered_message *m = root;
    if (strcmp(m->slave_id.value, d->slave_id) != 0) {
        LOG_WARNING("Executor %s of framework %s: ignoring re-registration on slave %s: "
                    "registered on slave %s", eid(d), fid(d), m->slave_id.value, d->slave_id);
        return;
    }
    d->connected = true;
    if (d->recovery_timer) act_cancel(d->actor, d->recovery_timer);
    d->recovery_timer = 0;
    LOG_INFO("Executor %s of framework %s re-registered on slave %s", eid(d), fid(d),
             d->slave_id);
    if (d->exec.reregistered) d->exec.reregistered(d, &m->slave_info);
}

/* ReregisterExecutorMessage with everything kept for a restarted slave. The arrays hold
 * shallow copies of the kept messages, which outlive the send. */
static void send_reregistration(exec_driver *d)
{
    wire_msg *out = wire_new(WIRE_DESC(reregister_executor_message));
    wire_reregister_executor_message *r = out->root;
    r->executor_id.value = d->env.executor_id;
    r->framework_id.value = d->env.framework_id;
    r->updates = wire_alloc_array(out, WIRE_DESC(status_update), d->nupdates);
    for (size_t i = 0; i < d->nupdates; i++)
        r->updates[i] = *(const wire_status_update *)d->updates[i]->root;
    r->updates_count = d->nupdates;
    r->tasks = wire_alloc_array(out, WIRE_DESC(task_info), d->ntasks);
    for (size_t i = 0; i < d->ntasks; i++)
        r->tasks[i] = *(const wire_task_info *)d->tasks[i]->root;
    r->tasks_count = d->ntasks;
    exec__send(d, WIRE_DESC(reregister_executor_message), r);
    wire_msg_free(out);
}

/* A restarted slave (a new pid on the same host) asks the executor back: it becomes the slave,
 * and gets what
 * it may have missed: the unacknowledged updates and the tasks none of whose updates it
 * acknowledged. Its status update manager takes the updates over. */
static void on_reconnect(exec_driver *d, const act_msg *msg, void *root)
{
    wire_reconnect_executor_message *m = root;
    char from[ACT_PID_STRLEN];
    act_pid_format(&msg->from, from, sizeof from);
    if (strcmp(m->slave_id.value, d->slave_id) != 0) {
        LOG_WARNING("Executor %s of framework %s: ignoring a reconnection from %s for slave "
                    "%s: registered on slave %s", eid(d), fid(d), from, m->slave_id.value,
                    d->slave_id);
        return;
    }
    LOG_INFO("Executor %s of framework %s: slave %s at %s reconnected; re-registering with "
             "%zu unacknowledged updates and %zu tasks", eid(d), fid(d), d->slave_id, from,
             d->nupdates, d->ntasks);
    d->slave = msg->from;
    act_link(d->actor, &d->slave);
    send_reregistration(d);
}

static void on_run_task(exec_driver *d, const act_msg *msg, void *root)
{
    wire_run_task_message *m = root;
    const wire_task_info *t = &m->task;
    if (!exec__task_add(d, t)) {
        LOG_WARNING("Executor %s of framework %s: ignoring a second launch of task %s", eid(d),
                    fid(d), t->task_id.value);
        return;
    }
    LOG_INFO("Executor %s of framework %s asked to run task %s", eid(d), fid(d),
             t->task_id.value);
    if (d->exec.launch_task) d->exec.launch_task(d, t);
}

static void on_kill_task(exec_driver *d, const act_msg *msg, void *root)
{
    wire_kill_task_message *m = root;
    LOG_INFO("Executor %s of framework %s asked to kill task %s", eid(d), fid(d),
             m->task_id.value);
    if (d->exec.kill_task) d->exec.kill_task(d, &m->task_id);
}

static void on_ack(exec_driver *d, const act_msg *msg, void *root)
{
    wire_status_update_acknowledgement_message *m = root;
    wire_msg *u = exec__update_take(d, &m->uuid);
    if (!u) {
        LOG_WARNING("Executor %s of framework %s: ignoring an unknown status update "
                    "acknowledgement for task %s", eid(d), fid(d), m->task_id.value);
        return;
    }
    const wire_status_update *up = u->root;
    VLOG(1, "Executor %s of framework %s: %s update of task %s acknowledged", eid(d), fid(d),
         wire_task_state_name(up->status.state), m->task_id.value);
    exec__task_remove(d, m->task_id.value);
    if (running(d) && d->exec.acknowledged) d->exec.acknowledged(d, &up->status);
    wire_msg_free(u);
}

static void on_framework_message(exec_driver *d, const act_msg *msg, void *root)
{
    wire_framework_to_executor_message *m = root;
    if (d->exec.framework_message) d->exec.framework_message(d, m->data.data, m->data.len);
}

static void on_shutdown(exec_driver *d, const act_msg *msg, void *root)
{
    begin_shutdown(d, "asked to shut down by the slave");
}

/* ---- dispatching ------------------------------------------------------------------------ */

typedef enum guard {
    FROM_SLAVE,          /* from the current slave, before any shutdown */
    FROM_SLAVE_ANY_TIME, /* from the current slave, also during a shutdown */
    FROM_SLAVE_HOST,     /* a restarted slave may have a new pid, but lives on the same
                            host: the address the executor binds (LIBPROCESS_IP) */
    FROM_SLAVE_PROCESS,  /* any actor of the slave's process: its status update manager
                            acknowledges once the update is recorded; also during shutdown */
} guard;

typedef struct handler {
    const wire_desc *desc;
    void (*fn)(exec_driver *d, const act_msg *msg, void *root);
    guard guard;
} handler;

static const handler handlers[] = {
    {WIRE_DESC(executor_registered_message), on_registered, FROM_SLAVE},
    {WIRE_DESC(executor_reregistered_message), on_reregistered, FROM_SLAVE},
    {WIRE_DESC(reconnect_executor_message), on_reconnect, FROM_SLAVE_HOST},
    {WIRE_DESC(run_task_message), on_run_task, FROM_SLAVE},
    {WIRE_DESC(kill_task_message), on_kill_task, FROM_SLAVE},
    {WIRE_DESC(status_update_acknowledgement_message), on_ack, FROM_SLAVE_PROCESS},
    {WIRE_DESC(framework_to_executor_message), on_framework_message, FROM_SLAVE},
    {WIRE_DESC(shutdown_executor_message), on_shutdown, FROM_SLAVE},
};

static const handler *find_handler(const char *name)
{
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(wire_type_name(handlers[i].desc), name) == 0) return &handlers[i];
    return NULL;
}

static bool guard_passes(const exec_driver *d, const handler *h, const act_msg *msg)
{
    if (d->aborted) return false;
    if (d->shutting_down && h->guard != FROM_SLAVE_ANY_TIME && h->guard != FROM_SLAVE_PROCESS) {
        VLOG(1, "Executor %s of framework %s: ignoring %s: shutting down", eid(d), fid(d),
             msg->name);
        return false;
    }
    if (act_pid_equal(&msg->from, &d->slave)) return true;
    if (h->guard == FROM_SLAVE_HOST && !act_pid_is_none(&msg->from) &&
        msg->from.ip == d->slave.ip)
        return true;
    if (h->guard == FROM_SLAVE_PROCESS && msg->from.ip == d->slave.ip &&
        msg->from.port == d->slave.port)
        return true;
    act_count_refused();
    char from[ACT_PID_STRLEN], slave[ACT_PID_STRLEN];
    LOG_WARNING_LIMITED("Executor %s of framework %s: ignoring %s from %s: the slave is %s",
                        eid(d), fid(d), msg->name, act_pid_format(&msg->from, from, sizeof from),
                        act_pid_format(&d->slave, slave, sizeof slave));
    return false;
}

static void on_message(act_actor *self, const act_msg *msg)
{
    exec_driver *d = act_state(self);
    const handler *h = find_handler(msg->name);
    if (!h || !running(d) || !guard_passes(d, h, msg)) return;
    wire_msg *m = NULL;
    char err[256];
    int rc = wire_decode_body(msg, h->desc, &m, err, sizeof err);
    if (rc != 0) {
        char from[ACT_PID_STRLEN];
        LOG_WARNING_LIMITED("Executor %s of framework %s: dropping malformed %s from %s: %s",
                            eid(d), fid(d), msg->name,
                            act_pid_format(&msg->from, from, sizeof from), err);
        return;
    }
    h->fn(d, msg, m->root);
    wire_msg_free(m);
}

act_actor *exec__actor_new(exec_driver *d)
{
    char name[ACT_ID_MAX];
    act_actor *a = act_new(act_unique_name("executor", name, sizeof name), d);
    if (!a) return NULL;
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        act_on_message(a, wire_type_name(handlers[i].desc), on_message);
    act_on_exited(a, on_exited);
    act_on_init(a, on_init, d);
    act_on_terminate(a, on_terminate, d);
    return a;
}
