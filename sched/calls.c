/*
 * calls.c - the scheduler's calls as they run inside the driver's actor: each API function
 * (driver.c) copies its arguments into a wire message and posts it here, so calls are ordered
 * with the master's messages and need no lock. As in Mesos, calls made while disconnected are
 * dropped, except launches, which answer every task with a local TASK_LOST.
 */
#include "sched/sched_int.h"

#include <stdio.h>
#include <string.h>

static wire_framework_id *framework_id(const sched_driver *d)
{
    const wire_framework_info *fw = d->framework->root;
    return fw->id;
}

void sched__op_stop(sched_driver *d, sched_op *op)
{
    bool failover = op->flag;
    LOG_INFO("Stopping framework %s%s", sched__fid(d),
             failover ? " without unregistering (failover)" : "");
    if (d->connected && !failover) {
        wire_unregister_framework_message m = {.framework_id = *framework_id(d)};
        sched__send(d, WIRE_DESC(unregister_framework_message), &m);
    }
    act_exit(d->actor);
}

void sched__op_abort(sched_driver *d, sched_op *op)
{
    LOG_INFO("Aborting framework %s", sched__fid(d));
    if (d->connected) {
        wire_deactivate_framework_message m = {.framework_id = *framework_id(d)};
        sched__send(d, WIRE_DESC(deactivate_framework_message), &m);
    } else {
        VLOG(1, "Framework %s: not deactivating: the master is disconnected", sched__fid(d));
    }
    sched__settle(d);
}

void sched__op_send(sched_driver *d, sched_op *op)
{
    if (!d->connected) {
        VLOG(1, "Framework %s: dropping %s: the master is disconnected", sched__fid(d),
             wire_type_name(op->msg->desc));
        return;
    }
    if (op->framework_id) op->framework_id->value = framework_id(d)->value;
    sched__send(d, op->msg->desc, op->msg->root);
}

void sched__op_acknowledge(sched_driver *d, sched_op *op)
{
    const wire_task_status *status = op->msg->root;
    if (!d->connected) {
        VLOG(1, "Framework %s: dropping the acknowledgement for task %s: the master is "
             "disconnected", sched__fid(d), status->task_id.value);
        return;
    }
    sched_pending_ack a;
    if (!sched__ack_take(d, status->task_id.value, status->state, &a)) {
        VLOG(1, "Framework %s: no unacknowledged %s update of task %s", sched__fid(d),
             wire_task_state_name(status->state), status->task_id.value);
        return;
    }
    sched__send_ack(d, a.task_id, a.slave_id, a.uuid, a.uuid_len);
    sched__ack_release(&a);
}

/* ---- launch ----------------------------------------------------------------------------- */

/* Tells the scheduler, from the driver itself, that each task of m is lost. */
static void lose_tasks(sched_driver *d, const wire_launch_tasks_message *m, const char *why,
                       wire_status_reason reason)
{
    for (size_t i = 0; i < m->tasks_count; i++) {
        wire_task_status st;
        wire_init(WIRE_DESC(task_status), &st);
        st.task_id = m->tasks[i].task_id;
        st.state = WIRE_TASK_LOST;
        st.has_message = true;
        st.message = (char *)why;
        st.has_timestamp = true;
        st.timestamp = act_now();
        st.has_source = true;
        st.source = WIRE_SOURCE_MASTER;
        st.has_reason = true;
        st.reason = reason;
        LOG_WARNING("Framework %s: task %s lost: %s", sched__fid(d), st.task_id.value, why);
        sched__deliver_status(d, &st);
    }
}

static const char *first_unknown_offer(const sched_driver *d, const wire_launch_tasks_message *m)
{
    for (size_t i = 0; i < m->offer_ids_count; i++)
        if (!sched__offer_slave(d, m->offer_ids[i].value)) return m->offer_ids[i].value;
    return NULL;
}

/* Drops the offer IDs the driver does not hold from m. */
static void keep_known_offers(const sched_driver *d, wire_launch_tasks_message *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->offer_ids_count; i++)
        if (sched__offer_slave(d, m->offer_ids[i].value)) m->offer_ids[n++] = m->offer_ids[i];
    m->offer_ids_count = n;
}

/* Warns about tasks aimed at another slave than their offers' (the master refuses them). */
static void check_slaves(const sched_driver *d, const wire_launch_tasks_message *m)
{
    for (size_t i = 0; i < m->offer_ids_count; i++) {
        const char *slave = sched__offer_slave(d, m->offer_ids[i].value);
        for (size_t t = 0; slave && t < m->tasks_count; t++)
            if (strcmp(m->tasks[t].slave_id.value, slave) != 0)
                LOG_WARNING("Framework %s: task %s names slave %s but offer %s is on %s",
                            sched__fid(d), m->tasks[t].task_id.value,
                            m->tasks[t].slave_id.value, m->offer_ids[i].value, slave);
    }
}

/* The framework ID goes into the message and into every ExecutorInfo that lacks one. */
static void fill_framework_ids(sched_driver *d, wire_msg *msg)
{
    wire_launch_tasks_message *m = msg->root;
    const char *fid = framework_id(d)->value;
    m->framework_id.value = (char *)fid;
    for (size_t i = 0; i < m->tasks_count; i++) {
        wire_executor_info *e = m->tasks[i].executor;
        if (!e || e->framework_id) continue;
        e->framework_id = wire_alloc(msg, sizeof *e->framework_id);
        e->framework_id->value = wire_strdup(msg, fid);
    }
}

void sched__op_launch(sched_driver *d, sched_op *op)
{
    wire_launch_tasks_message *m = op->msg->root;
    if (!d->connected) {
        lose_tasks(d, m, "Master Disconnected", WIRE_REASON_MASTER_DISCONNECTED);
        return;
    }
    const char *unknown = first_unknown_offer(d, m);
    if (unknown) {
        char why[WIRE_ID_MAX + 64];
        snprintf(why, sizeof why, "Offer %s is no longer valid", unknown);
        lose_tasks(d, m, why, WIRE_REASON_INVALID_OFFERS);
        m->tasks_count = 0;
        keep_known_offers(d, m);
        if (m->offer_ids_count == 0) return;
    }
    check_slaves(d, m);
    for (size_t i = 0; i < m->offer_ids_count; i++) sched__offer_remove(d, m->offer_ids[i].value);
    fill_framework_ids(d, op->msg);
    sched__send(d, WIRE_DESC(launch_tasks_message), m);
}
