/*
 * driver.c - the public face of libmesos-exec (exec.h): creating, starting, stopping, joining
 * and freeing a driver, and the executor's two calls. Calls run on the caller's thread: they
 * check the driver's status under its mutex, copy their arguments into a wire message and
 * post it into the driver's actor (calls.c), which does the work on its loop.
 */
#include "exec/exec_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- creation --------------------------------------------------------------------------- */

const char *exec_status_name(exec_status s)
{
    return wire_driver_status_name((int)s);
}

exec_driver *exec_driver_new(const exec_executor *executor, void *ctx)
{
    if (!executor) return NULL;
    exec_driver *d = act_calloc(1, sizeof *d);
    d->exec = *executor;
    d->ctx = ctx;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->status = EXEC_DRIVER_NOT_STARTED;
    atomic_init(&d->running, false);
    d->slave_id = act_strdup("");
    return d;
}

void *exec_driver_ctx(const exec_driver *d) { return d->ctx; }

/* ---- start ------------------------------------------------------------------------------ */

/* A slave in this very process may be named by a loopback address; messages from it carry
 * the runtime's advertised address, so the driver uses that to recognise them. */
static void localize_slave(act_pid *slave)
{
    act_pid self = act_address();
    if (slave->port == act_port() && slave->ip == 0x7f000001u) {
        slave->ip = self.ip;
        slave->port = self.port;
    }
}

static int spawn_actor(exec_driver *d, char *err, size_t errlen)
{
    act_actor *a = exec__actor_new(d);
    if (!a) {
        snprintf(err, errlen, "Failed to create the executor actor");
        return -EINVAL;
    }
    d->self = act_self(a);
    d->actor = a;
    atomic_store(&d->running, true);
    int rc = act_spawn(a, 0);
    if (rc != 0) {
        atomic_store(&d->running, false);
        d->actor = NULL;
        snprintf(err, errlen, "Failed to spawn the executor actor: %s", act_strerror(rc));
        return rc;
    }
    d->spawned = true;
    return 0;
}

/* Reads the environment, makes sure a runtime runs and spawns the actor. */
static int start_locked(exec_driver *d, char *err, size_t errlen)
{
    int rc = exec__env_load(&d->env, err, errlen);
    if (rc != 0) return rc;
    rc = act_runtime_acquire(&d->runtime_user);
    if (rc != 0) {
        snprintf(err, errlen, "Failed to start the actor runtime: %s", act_strerror(rc));
        return rc;
    }
    localize_slave(&d->env.slave);
    d->slave = d->env.slave;
    return spawn_actor(d, err, errlen);
}

exec_status exec_driver_start(exec_driver *d)
{
    pthread_mutex_lock(&d->mu);
    if (d->status != EXEC_DRIVER_NOT_STARTED) {
        exec_status s = d->status;
        pthread_mutex_unlock(&d->mu);
        return s;
    }
    /* Mesos does this too: task output reaches the sandbox files line by line. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IOLBF, 0);
    char err[512];
    int rc = start_locked(d, err, sizeof err);
    d->status = rc == 0 ? EXEC_DRIVER_RUNNING : EXEC_DRIVER_ABORTED;
    pthread_mutex_unlock(&d->mu);
    if (rc == 0) return EXEC_DRIVER_RUNNING;
    LOG_ERROR("Executor driver: %s", err);
    if (d->exec.error) d->exec.error(d, err);
    return EXEC_DRIVER_ABORTED;
}

/* ---- posting calls into the actor ------------------------------------------------------- */

static void run_op(act_actor *self, void *arg)
{
    exec_op *op = arg;
    if (self) op->fn(op->d, op);
    wire_msg_free(op->msg);
    free(op);
}

/* Posts fn(msg) into the actor; the caller holds d->mu and the driver was spawned. Takes
 * ownership of msg. */
static void post_locked(exec_driver *d, exec_op_fn fn, wire_msg *msg)
{
    exec_op *op = act_calloc(1, sizeof *op);
    *op = (exec_op){d, fn, msg};
    act_dispatch(&d->self, run_op, op);
}

/* Posts the call if the driver runs; otherwise frees msg. Returns the status either way. */
static exec_status post(exec_driver *d, exec_op_fn fn, wire_msg *msg)
{
    pthread_mutex_lock(&d->mu);
    exec_status s = d->status;
    if (s == EXEC_DRIVER_RUNNING) post_locked(d, fn, msg);
    pthread_mutex_unlock(&d->mu);
    if (s != EXEC_DRIVER_RUNNING) wire_msg_free(msg);
    return s;
}

/* ---- stop, abort, join, run, free ------------------------------------------------------- */

exec_status exec_driver_stop(exec_driver *d)
{
    pthread_mutex_lock(&d->mu);
    exec_status s = d->status;
    if (s == EXEC_DRIVER_RUNNING || s == EXEC_DRIVER_ABORTED) {
        atomic_store(&d->running, false);
        if (d->spawned) post_locked(d, exec__op_stop, NULL);
        d->status = EXEC_DRIVER_STOPPED;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return s == EXEC_DRIVER_RUNNING ? EXEC_DRIVER_STOPPED : s;
}

exec_status exec_driver_abort(exec_driver *d)
{
    pthread_mutex_lock(&d->mu);
    exec_status s = d->status;
    if (s == EXEC_DRIVER_RUNNING) {
        atomic_store(&d->running, false);
        post_locked(d, exec__op_abort, NULL);
        s = d->status = EXEC_DRIVER_ABORTED;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return s;
}

/* Returns once the driver is no longer running and its actor has acted on that. */
exec_status exec_driver_join(exec_driver *d)
{
    pthread_mutex_lock(&d->mu);
    if (d->status == EXEC_DRIVER_RUNNING)
        while (d->status == EXEC_DRIVER_RUNNING || !d->settled)
            pthread_cond_wait(&d->cv, &d->mu);
    exec_status s = d->status;
    pthread_mutex_unlock(&d->mu);
    return s;
}

exec_status exec_driver_run(exec_driver *d)
{
    exec_status s = exec_driver_start(d);
    return s == EXEC_DRIVER_RUNNING ? exec_driver_join(d) : s;
}

/* Terminates the actor (after what is already in its mailbox) and waits for it. */
static void terminate_actor(exec_driver *d)
{
    pthread_mutex_lock(&d->mu);
    bool alive = d->spawned && !d->terminated;
    pthread_mutex_unlock(&d->mu);
    if (!alive) return;
    if (act_current_loop() == 0)
        LOG_FATAL("Executor %s: exec_driver_free called on the driver's loop thread "
                  "(from a callback?)", d->env.executor_id);
    atomic_store(&d->running, false);
    act_terminate(&d->self);
    pthread_mutex_lock(&d->mu);
    while (!d->terminated) pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
}

void exec_driver_free(exec_driver *d)
{
    if (!d) return;
    terminate_actor(d);
    act_runtime_release(d->runtime_user);
    d->runtime_user = false;
    exec__tables_clear(d);
    exec__env_free(&d->env);
    free(d->slave_id);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

/* ---- calls ------------------------------------------------------------------------------ */

exec_status exec_driver_send_status_update(exec_driver *d, const wire_task_status *status)
{
    return post(d, exec__op_status_update, wire_copy(WIRE_DESC(task_status), status));
}

exec_status exec_driver_send_framework_message(exec_driver *d, const void *data, size_t len)
{
    wire_msg *msg = wire_new(WIRE_DESC(executor_to_framework_message));
    wire_executor_to_framework_message *m = msg->root;
    m->data.data = wire_alloc(msg, len + 1);
    if (len) memcpy(m->data.data, data, len);
    m->data.len = len;
    return post(d, exec__op_framework_message, msg);
}
