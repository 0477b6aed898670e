/*
 * driver.c - the public face of libmesos-sched (sched.h): creating, starting, stopping,
 * joining and freeing a driver, and every scheduler call. Calls run on the caller's thread:
 * they check the driver's status under its mutex, copy their arguments into a wire message
 * and post it into the driver's actor (calls.c), which does the work on its loop.
 */
#include "sched/sched_int.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- creation --------------------------------------------------------------------------- */

const char *sched_status_name(sched_status s)
{
    return wire_driver_status_name((int)s);
}

/* FrameworkInfo.user may be empty: it then means the user running the scheduler. */
static void default_user(wire_msg *fw_msg)
{
    wire_framework_info *fw = fw_msg->root;
    if (fw->user && fw->user[0]) return;
    char buf[4096];
    struct passwd pw, *res = NULL;
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res) {
        fw->user = wire_strdup(fw_msg, res->pw_name);
    } else {
        LOG_WARNING("Framework '%s': cannot find the current user; leaving user empty",
                    fw->name ? fw->name : "");
        fw->user = wire_strdup(fw_msg, "");
    }
}

/* FrameworkInfo.hostname, when empty, is this machine's name (as the Mesos driver sets it). */
static void default_hostname(wire_msg *fw_msg)
{
    wire_framework_info *fw = fw_msg->root;
    char host[256];
    if ((fw->has_hostname && fw->hostname[0]) || !act_host_name(host, sizeof host)) return;
    fw->has_hostname = true;
    fw->hostname = wire_strdup(fw_msg, host);
}

sched_driver *sched_driver_new(const sched_scheduler *scheduler, void *ctx,
                               const wire_framework_info *framework, const char *master,
                               const wire_credential *credential)
{
    if (!scheduler || !framework || !master) return NULL;
    sched_driver *d = act_calloc(1, sizeof *d);
    d->sched = *scheduler;
    d->ctx = ctx;
    d->master_text = act_strdup(master);
    d->framework = wire_copy(WIRE_DESC(framework_info), framework);
    default_user(d->framework);
    default_hostname(d->framework);
    wire_framework_info *fw = d->framework->root;
    if (fw->id && (!fw->id->value || !fw->id->value[0])) fw->id = NULL;
    d->failover = fw->id != NULL;
    d->name = act_strdup(fw->name ? fw->name : "");
    d->credential = credential ? wire_copy(WIRE_DESC(credential), credential) : NULL;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->status = SCHED_DRIVER_NOT_STARTED;
    d->implicit_acks = true;
    atomic_init(&d->running, false);
    atomic_init(&d->aborted, false);
    d->backoff = SCHED_BACKOFF_INITIAL;
    return d;
}

void *sched_driver_ctx(const sched_driver *d) { return d->ctx; }

sched_status sched_driver_set_implicit_acknowledgements(sched_driver *d, bool implicit)
{
    pthread_mutex_lock(&d->mu);
    if (d->status == SCHED_DRIVER_NOT_STARTED) d->implicit_acks = implicit;
    sched_status s = d->status;
    pthread_mutex_unlock(&d->mu);
    return s;
}

/* ---- start ------------------------------------------------------------------------------ */

static int spawn_actor(sched_driver *d, char *err, size_t errlen)
{
    d->implicit = d->implicit_acks;
    act_actor *a = sched__actor_new(d);
    if (!a) {
        snprintf(err, errlen, "Failed to create the scheduler actor");
        return -EINVAL;
    }
    d->self = act_self(a);
    d->actor = a;
    atomic_store(&d->running, true);
    int rc = act_spawn(a, 0);
    if (rc != 0) {
        atomic_store(&d->running, false);
        d->actor = NULL;
        snprintf(err, errlen, "Failed to spawn the scheduler actor: %s", act_strerror(rc));
        return rc;
    }
    d->spawned = true;
    return 0;
}

/* Checks the master address, makes sure a runtime runs, spawns the actor and its detector,
 * which tells the actor who leads. */
static int start_locked(sched_driver *d, char *err, size_t errlen)
{
    detector_address *a = detector_parse(d->master_text, err, errlen);
    if (!a) return -EINVAL;
    int rc = act_runtime_acquire(&d->runtime_user);
    if (rc != 0) {
        snprintf(err, errlen, "Failed to start the actor runtime: %s", act_strerror(rc));
        detector_address_free(a);
        return rc;
    }
    d->address = a; /* the actor's init spawns the detector with it */
    return spawn_actor(d, err, errlen);
}

sched_status sched_driver_start(sched_driver *d)
{
    pthread_mutex_lock(&d->mu);
    if (d->status != SCHED_DRIVER_NOT_STARTED) {
        sched_status s = d->status;
        pthread_mutex_unlock(&d->mu);
        return s;
    }
    char err[512];
    int rc = start_locked(d, err, sizeof err);
    d->status = rc == 0 ? SCHED_DRIVER_RUNNING : SCHED_DRIVER_ABORTED;
    pthread_mutex_unlock(&d->mu);
    if (rc == 0) return SCHED_DRIVER_RUNNING;
    LOG_ERROR("Framework '%s': %s", d->name, err);
    if (d->sched.error) d->sched.error(d, err);
    return SCHED_DRIVER_ABORTED;
}

/* ---- posting calls into the actor ------------------------------------------------------- */

static void run_op(act_actor *self, void *arg)
{
    sched_op *op = arg;
    if (self) op->fn(op->d, op);
    wire_msg_free(op->msg);
    free(op);
}

/* Posts fn(msg) into the actor; the caller holds d->mu and the driver was spawned. */
static void post_locked(sched_driver *d, sched_op_fn fn, wire_msg *msg,
                        wire_framework_id *framework_id, bool flag)
{
    sched_op *op = act_calloc(1, sizeof *op);
    *op = (sched_op){d, fn, msg, framework_id, flag};
    act_dispatch(&d->self, run_op, op);
}

/* Posts the call if the driver runs; otherwise frees msg. Returns the status either way. */
static sched_status post(sched_driver *d, sched_op_fn fn, wire_msg *msg,
                         wire_framework_id *framework_id)
{
    pthread_mutex_lock(&d->mu);
    sched_status s = d->status;
    if (s == SCHED_DRIVER_RUNNING) post_locked(d, fn, msg, framework_id, false);
    pthread_mutex_unlock(&d->mu);
    if (s != SCHED_DRIVER_RUNNING) wire_msg_free(msg);
    return s;
}

/* ---- stop, abort, join, run, free ------------------------------------------------------- */

sched_status sched_driver_stop(sched_driver *d, bool failover)
{
    pthread_mutex_lock(&d->mu);
    sched_status s = d->status;
    if (s == SCHED_DRIVER_RUNNING || s == SCHED_DRIVER_ABORTED) {
        LOG_INFO("Framework '%s': asked to stop the driver", d->name);
        atomic_store(&d->running, false);
        if (d->spawned) post_locked(d, sched__op_stop, NULL, NULL, failover);
        d->status = SCHED_DRIVER_STOPPED;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return s == SCHED_DRIVER_RUNNING ? SCHED_DRIVER_STOPPED : s;
}

sched_status sched_driver_abort(sched_driver *d)
{
    pthread_mutex_lock(&d->mu);
    sched_status s = d->status;
    if (s == SCHED_DRIVER_RUNNING) {
        LOG_INFO("Framework '%s': aborting the driver", d->name);
        atomic_store(&d->aborted, true);
        atomic_store(&d->running, false);
        post_locked(d, sched__op_abort, NULL, NULL, false);
        s = d->status = SCHED_DRIVER_ABORTED;
        pthread_cond_broadcast(&d->cv);
    }
    pthread_mutex_unlock(&d->mu);
    return s;
}

/* Returns once the driver is no longer running and its actor has acted on that (so an
 * UnregisterFrameworkMessage or DeactivateFrameworkMessage is on its way). */
sched_status sched_driver_join(sched_driver *d)
{
    pthread_mutex_lock(&d->mu);
    if (d->status == SCHED_DRIVER_RUNNING)
        while (d->status == SCHED_DRIVER_RUNNING || !d->settled)
            pthread_cond_wait(&d->cv, &d->mu);
    sched_status s = d->status;
    pthread_mutex_unlock(&d->mu);
    return s;
}

sched_status sched_driver_run(sched_driver *d)
{
    sched_status s = sched_driver_start(d);
    return s == SCHED_DRIVER_RUNNING ? sched_driver_join(d) : s;
}

/* Terminates the actor (after what is already in its mailbox) and waits for it. */
static void terminate_actor(sched_driver *d)
{
    pthread_mutex_lock(&d->mu);
    bool alive = d->spawned && !d->terminated;
    pthread_mutex_unlock(&d->mu);
    if (!alive) return;
    if (act_current_loop() == 0)
        LOG_FATAL("Framework '%s': sched_driver_free called on the driver's loop thread "
                  "(from a callback?)", d->name);
    atomic_store(&d->running, false);
    act_terminate(&d->self);
    pthread_mutex_lock(&d->mu);
    while (!d->terminated) pthread_cond_wait(&d->cv, &d->mu);
    pthread_mutex_unlock(&d->mu);
}

void sched_driver_free(sched_driver *d)
{
    if (!d) return;
    terminate_actor(d);
    act_runtime_release(d->runtime_user);
    d->runtime_user = false;
    sched__offers_clear(d);
    sched__acks_clear(d);
    wire_msg_free(d->framework);
    wire_msg_free(d->credential);
    detector_address_free(d->address);
    free(d->master_text);
    free(d->name);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d);
}

/* ---- calls ------------------------------------------------------------------------------ */

sched_status sched_driver_request_resources(sched_driver *d, const wire_request *requests,
                                            size_t count)
{
    wire_msg *msg = wire_new(WIRE_DESC(resource_request_message));
    wire_resource_request_message *m = msg->root;
    m->requests = wire_alloc_array(msg, WIRE_DESC(request), count);
    for (size_t i = 0; i < count; i++)
        wire_copy_into(msg, WIRE_DESC(request), &m->requests[i], &requests[i]);
    m->requests_count = count;
    return post(d, sched__op_send, msg, &m->framework_id);
}

sched_status sched_driver_launch_tasks(sched_driver *d, const wire_offer_id *offer_ids,
                                       size_t offer_count, const wire_task_info *tasks,
                                       size_t task_count, const wire_filters *filters)
{
    wire_msg *msg = wire_new(WIRE_DESC(launch_tasks_message));
    wire_launch_tasks_message *m = msg->root;
    m->offer_ids = wire_alloc_array(msg, WIRE_DESC(offer_id), offer_count);
    for (size_t i = 0; i < offer_count; i++)
        wire_copy_into(msg, WIRE_DESC(offer_id), &m->offer_ids[i], &offer_ids[i]);
    m->offer_ids_count = offer_count;
    m->tasks = wire_alloc_array(msg, WIRE_DESC(task_info), task_count);
    for (size_t i = 0; i < task_count; i++)
        wire_copy_into(msg, WIRE_DESC(task_info), &m->tasks[i], &tasks[i]);
    m->tasks_count = task_count;
    if (filters) wire_copy_into(msg, WIRE_DESC(filters), &m->filters, filters);
    return post(d, sched__op_launch, msg, NULL);
}

sched_status sched_driver_accept_offers(sched_driver *d, const wire_offer_id *offer_ids,
                                        size_t offer_count, const wire_task_info *tasks,
                                        size_t task_count, const wire_filters *filters)
{
    return sched_driver_launch_tasks(d, offer_ids, offer_count, tasks, task_count, filters);
}

sched_status sched_driver_decline_offer(sched_driver *d, const wire_offer_id *offer_id,
                                        const wire_filters *filters)
{
    return sched_driver_launch_tasks(d, offer_id, 1, NULL, 0, filters);
}

sched_status sched_driver_kill_task(sched_driver *d, const wire_task_id *task_id)
{
    wire_msg *msg = wire_new(WIRE_DESC(kill_task_message));
    wire_kill_task_message *m = msg->root;
    wire_copy_into(msg, WIRE_DESC(task_id), &m->task_id, task_id);
    return post(d, sched__op_send, msg, &m->framework_id);
}

sched_status sched_driver_revive_offers(sched_driver *d)
{
    wire_msg *msg = wire_new(WIRE_DESC(revive_offers_message));
    wire_revive_offers_message *m = msg->root;
    return post(d, sched__op_send, msg, &m->framework_id);
}

sched_status sched_driver_suppress_offers(sched_driver *d)
{
    wire_msg *msg = wire_new(WIRE_DESC(suppress_offers_message));
    wire_suppress_offers_message *m = msg->root;
    return post(d, sched__op_send, msg, &m->framework_id);
}

sched_status sched_driver_acknowledge_status_update(sched_driver *d,
                                                    const wire_task_status *status)
{
    pthread_mutex_lock(&d->mu);
    bool implicit = d->implicit_acks;
    sched_status s = d->status;
    pthread_mutex_unlock(&d->mu);
    if (s == SCHED_DRIVER_RUNNING && implicit) {
        LOG_ERROR("Framework '%s': acknowledge_status_update called with implicit "
                  "acknowledgements on; ignored", d->name);
        return s;
    }
    return post(d, sched__op_acknowledge, wire_copy(WIRE_DESC(task_status), status), NULL);
}

sched_status sched_driver_send_framework_message(sched_driver *d,
                                                 const wire_executor_id *executor_id,
                                                 const wire_slave_id *slave_id,
                                                 const void *data, size_t len)
{
    wire_msg *msg = wire_new(WIRE_DESC(framework_to_executor_message));
    wire_framework_to_executor_message *m = msg->root;
    wire_copy_into(msg, WIRE_DESC(executor_id), &m->executor_id, executor_id);
    wire_copy_into(msg, WIRE_DESC(slave_id), &m->slave_id, slave_id);
    m->data.data = wire_alloc(msg, len + 1);
    if (len) memcpy(m->data.data, data, len);
    m->data.len = len;
    return post(d, sched__op_send, msg, &m->framework_id);
}

sched_status sched_driver_reconcile_tasks(sched_driver *d, const wire_task_status *statuses,
                                          size_t count)
{
    wire_msg *msg = wire_new(WIRE_DESC(reconcile_tasks_message));
    wire_reconcile_tasks_message *m = msg->root;
    m->statuses = wire_alloc_array(msg, WIRE_DESC(task_status), count);
    for (size_t i = 0; i < count; i++)
        wire_copy_into(msg, WIRE_DESC(task_status), &m->statuses[i], &statuses[i]);
    m->statuses_count = count;
    return post(d, sched__op_send, msg, &m->framework_id);
}
