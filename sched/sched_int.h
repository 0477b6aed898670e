/*
 * sched_int.h - the scheduler driver's insides, shared by the files of sched/ only.
 *
 * A sched_driver has two halves: the part any thread may touch under `mu` (the status that
 * every API call checks, the flags join and free wait on), and the actor's part, touched only
 * on the driver's loop thread (master pid, connection state, the offers the framework holds,
 * the updates awaiting an explicit acknowledgement). API calls never touch the actor's half:
 * they post a sched_op into the actor with act_dispatch.
 */
#ifndef SCHED_SCHED_INT_H
#define SCHED_SCHED_INT_H

#include "master/auth.h"
#include "master/detector.h"
#include "sched/sched.h"

#include <pthread.h>
#include <stdatomic.h>

/* Registration retries: the first attempt at once, then after 2 s, doubling, capped at 1 min. */
#define SCHED_BACKOFF_INITIAL 2.0
#define SCHED_BACKOFF_MAX 60.0

/* A status update delivered in explicit mode and not yet acknowledged, by task. */
typedef struct sched_pending_ack {
    char *task_id;  /* owned */
    char *slave_id; /* owned */
    wire_task_state state;
    uint8_t *uuid;  /* owned */
    size_t uuid_len;
} sched_pending_ack;

/* The last update delivered for a task (by its UUID), to drop it when a slave resends it. */
typedef struct sched_delivered {
    uint8_t uuid[16];
    uint64_t ended;  /* its place among terminal deliveries (sched_driver.ended_seq), 0: live */
} sched_delivered;

/* A task in the ring of ended ones, with the place its terminal delivery had. */
typedef struct sched_ended {
    char *task_id;   /* owned */
    uint64_t seq;
} sched_ended;

struct sched_driver {
    /* Fixed at creation; read by any thread. */
    sched_scheduler sched;
    void *ctx;
    char *master_text; /* owned */
    char *name;        /* owned copy of framework.name, for logs on any thread */

    /* Under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sched_status status;
    bool implicit_acks;   /* copied to the actor's half at start */
    bool spawned;         /* the actor was spawned */
    bool terminated;      /* its terminate callback ran */
    bool settled;         /* the actor handled stop/abort (join waits for it) */
    bool runtime_user;    /* counted as a user of a runtime start() created */

    /* False once stop or abort was called: the actor makes no more callbacks. */
    atomic_bool running;
    /* True once abort was called: the only case in which an update handed to the scheduler
     * is not acknowledged (Mesos' SchedulerProcess::aborted). */
    atomic_bool aborted;

    /* The actor's half: its loop thread only (set up before spawn). */
    act_actor *actor;        /* NULL once terminated */
    act_pid self;
    detector_address *address; /* the master address, until the actor's init takes it */
    act_pid detector;        /* finds the leading master (master/detector.h) */
    act_pid master;          /* the leading master as detected; none while unknown */
    wire_msg *framework;     /* owned; root is a wire_framework_info; id set on registration */
    wire_msg *credential;    /* owned or NULL; root is a wire_credential */
    act_pid authenticatee;   /* authenticating with the master (master/auth.h); none if not */
    bool implicit;           /* the acknowledgement mode in force */
    bool connected;          /* registered with the current master */
    bool failover;           /* the next re-registration takes over from another scheduler */
    bool linked;             /* a link to the master is in place */
    double backoff;          /* delay before the next registration attempt */
    act_timer_id reg_timer;  /* pending registration retry, 0 if none */
    act_map *offers;         /* the offers the framework holds: offer id -> slave id (owned) */
    sched_pending_ack *acks;
    size_t nacks, acks_cap;
    act_map *delivered;      /* task id -> sched_delivered: the last update delivered */
    sched_ended *ended;      /* ring of the tasks whose last delivered update was terminal */
    size_t ended_cap, ended_head, nended;
    uint64_t ended_seq;      /* terminal deliveries so far */
};

/* How many ended tasks the driver remembers to drop a resent terminal update (tests lower
 * it); live tasks are always remembered. */
extern size_t sched__ended_kept;

/* An API call posted into the actor: fn runs on the loop with the copied arguments in msg
 * (a wire message of the kind the call sends; NULL for calls that need none). */
typedef struct sched_op sched_op;
typedef void (*sched_op_fn)(sched_driver *d, sched_op *op);
struct sched_op {
    sched_driver *d;
    sched_op_fn fn;
    wire_msg *msg;                   /* owned; freed after fn; may be NULL */
    wire_framework_id *framework_id; /* the field of msg's root to fill in, or NULL */
    bool flag;                       /* stop: failover */
};

/* ---- process.c: the actor --------------------------------------------------------------- */

/* Creates the actor for d (name scheduler-<uuid>, handlers installed) without spawning it. */
act_actor *sched__actor_new(sched_driver *d);
/* The framework ID, or "(unregistered)"; for log lines on the loop thread. */
const char *sched__fid(const sched_driver *d);
/* Encodes obj (a desc struct) and sends it from the driver's actor to the master. */
void sched__send(sched_driver *d, const wire_desc *desc, const void *obj);
/* Hands a status update to the scheduler if the driver still runs. */
void sched__deliver_status(sched_driver *d, const wire_task_status *status);
/* Sends StatusUpdateAcknowledgementMessage for one update to the master. */
void sched__send_ack(sched_driver *d, const char *task_id, const char *slave_id,
                     const uint8_t *uuid, size_t uuid_len);
/* Marks the actor's side of stop/abort done and wakes join(). */
void sched__settle(sched_driver *d);

/* ---- calls.c: API calls as they run on the loop ----------------------------------------- */

void sched__op_stop(sched_driver *d, sched_op *op);
void sched__op_abort(sched_driver *d, sched_op *op);
void sched__op_launch(sched_driver *d, sched_op *op);
/* Fills op->framework_id and sends op->msg to the master, if connected. */
void sched__op_send(sched_driver *d, sched_op *op);
void sched__op_acknowledge(sched_driver *d, sched_op *op);

/* ---- tables.c: offers and pending acknowledgements -------------------------------------- */

/* Remembers a held offer (what launch_tasks checks its offer IDs against). */
void sched__offer_add(sched_driver *d, const char *id, const char *slave_id);
/* The slave of the held offer with this ID, or NULL if the framework does not hold it. */
const char *sched__offer_slave(const sched_driver *d, const char *id);
void sched__offer_remove(sched_driver *d, const char *id);
void sched__offers_clear(sched_driver *d);

/* Remembers (replacing any earlier one for the task) an update to acknowledge later. */
void sched__ack_remember(sched_driver *d, const char *task_id, const char *slave_id,
                         wire_task_state state, const wire_bytes *uuid);
/* Moves the pending acknowledgement of task_id, if it is for an update in `state`, into *out
 * (the caller frees it with sched__ack_release). Returns false if there is none. */
bool sched__ack_take(sched_driver *d, const char *task_id, wire_task_state state,
                     sched_pending_ack *out);
void sched__ack_release(sched_pending_ack *a);
void sched__acks_clear(sched_driver *d);

#endif
