/*
 * sched.h - libmesos-sched: the scheduler driver, the one public header of sched/.
 *
 * A framework scheduler fills a sched_scheduler with callbacks and hands it to a driver; the
 * driver is an actor (scheduler-<uuid>) in the framework's process that registers the
 * framework with the master, turns the master's messages into callbacks and the scheduler's
 * calls into messages. It mirrors Mesos 0.22's MesosSchedulerDriver method for method.
 *
 * Threads: every sched_driver_* call is safe from any thread, including from inside a callback
 * (the call is copied and posted into the driver's actor). Callbacks run one at a time on the
 * driver's loop thread. Three calls must not be made from within a callback: sched_driver_join
 * and sched_driver_run (they would wait for the thread they block) and sched_driver_free.
 * An application that owns the runtime may shut it down before freeing a driver, but must make
 * no other call on the driver after that.
 *
 * Ownership: callbacks receive borrowed data, valid only during the call (copy with
 * wire_copy() what you keep). Every method copies its arguments before returning; the caller
 * keeps ownership of everything it passes. The driver owns nothing of the caller's.
 */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include "wire/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The driver's state, as Mesos' Status enum (same numbers as wire_driver_status). A call on a
 * driver that is not RUNNING does nothing and returns the state. */
typedef enum sched_status {
    SCHED_DRIVER_NOT_STARTED = 1,
    SCHED_DRIVER_RUNNING = 2,
    SCHED_DRIVER_ABORTED = 3,
    SCHED_DRIVER_STOPPED = 4,
} sched_status;

/* "DRIVER_RUNNING" ...; "UNKNOWN" for other values. */
const char *sched_status_name(sched_status s);

typedef struct sched_driver sched_driver;

/* The scheduler: callbacks the driver makes on its loop thread. Any may be NULL (the event is
 * then ignored). sched_driver_ctx(driver) gives the user pointer passed to sched_driver_new.
 * Every pointer argument is borrowed for the duration of the call. */
typedef struct sched_scheduler {
    /* The master registered the framework and gave it an ID (first registration, or a
     * failover registration that the master treated as new). */
    void (*registered)(sched_driver *driver, const wire_framework_id *framework_id,
                       const wire_master_info *master_info);
    /* The framework re-registered (after a disconnection or with a known ID). */
    void (*reregistered)(sched_driver *driver, const wire_master_info *master_info);
    /* The connection to the master broke; the driver keeps re-registering on its own. */
    void (*disconnected)(sched_driver *driver);
    /* New offers. Use each offer once: launch on it or decline it. */
    void (*resource_offers)(sched_driver *driver, const wire_offer *offers, size_t count);
    /* The master took an offer back (another use of it gives TASK_LOST). */
    void (*offer_rescinded)(sched_driver *driver, const wire_offer_id *offer_id);
    /* A task changed state. With implicit acknowledgements (the default) the driver
     * acknowledges after this returns; otherwise call sched_driver_acknowledge_status_update. */
    void (*status_update)(sched_driver *driver, const wire_task_status *status);
    /* An executor sent data (best effort; no acknowledgement). */
    void (*framework_message)(sched_driver *driver, const wire_executor_id *executor_id,
                              const wire_slave_id *slave_id, const uint8_t *data, size_t len);
    /* A slave was removed; its tasks have become (or will become) TASK_LOST. */
    void (*slave_lost)(sched_driver *driver, const wire_slave_id *slave_id);
    /* An executor exited with `status` (a wait status). */
    void (*executor_lost)(sched_driver *driver, const wire_executor_id *executor_id,
                          const wire_slave_id *slave_id, int status);
    /* An unrecoverable error (the master refused or removed the framework, a bad master
     * address ...). The driver is already ABORTED when this runs. */
    void (*error)(sched_driver *driver, const char *message);
} sched_scheduler;

/* ---- lifecycle -------------------------------------------------------------------------- */

/* Creates a driver in state NOT_STARTED. The scheduler struct, framework info, master address
 * and credential are copied; ctx is the caller's (never touched). An empty framework user
 * becomes the current user. master: "host:port", "master@ip:port",
 * "zk://[user:pass@]host:port[,host:port...]/path" (the driver follows the leading master
 * ZooKeeper names: on a change it calls disconnected, then re-registers with the new leader)
 * or "file:///path" (a file holding one of these). With a credential the driver
 * authenticates (CRAM-MD5) before it registers, with every master it registers with; a master
 * that refuses the credential aborts the driver with error("Master refused authentication").
 * The credential may be NULL. Returns NULL only if scheduler, framework or master is NULL. */
sched_driver *sched_driver_new(const sched_scheduler *scheduler, void *ctx,
                               const wire_framework_info *framework, const char *master,
                               const wire_credential *credential);

/* Terminates the driver's actor if it still runs, waits for it, and frees the driver. If
 * start() created the process's runtime and no other driver uses it, it is shut down too.
 * Must not be called from a callback or from the driver's loop thread. NULL is ignored. */
void sched_driver_free(sched_driver *driver);

/* The ctx given to sched_driver_new. */
void *sched_driver_ctx(const sched_driver *driver);

/* Chooses implicit (true, the default) or explicit acknowledgements. Only before start():
 * later calls change nothing. Returns the driver's state. */
sched_status sched_driver_set_implicit_acknowledgements(sched_driver *driver, bool implicit);

/* Starts the driver: creates a runtime if the process has none (act_init honouring
 * LIBPROCESS_IP / LIBPROCESS_PORT, then act_start), checks the master address and spawns
 * the actor and its detector (master/detector.h), which registers the framework with the
 * leading master once it is known. Returns RUNNING; ABORTED (after the error
 * callback ran on the calling thread) if the master address is unusable or no runtime could
 * be created; or the current state if the driver was started before. */
sched_status sched_driver_start(sched_driver *driver);

/* Stops the driver. failover=false: the framework is unregistered (its tasks are killed).
 * failover=true: nothing is sent, the driver's actor just terminates, so the master sees the
 * scheduler go and keeps the framework for its failover_timeout; a new scheduler can
 * re-register with the same framework ID. After this call returns no new callback starts (one
 * already under way on the loop thread may finish). Returns STOPPED, ABORTED when the driver was aborted (it is then
 * stopped), or the state if it was neither running nor aborted. */
sched_status sched_driver_stop(sched_driver *driver, bool failover);

/* Aborts the driver: no more callbacks (as for stop); if connected, the master is told to deactivate the
 * framework (DeactivateFrameworkMessage: no more offers, tasks keep running). The driver can
 * still be stopped afterwards. Returns ABORTED, or the state if it was not running. */
sched_status sched_driver_abort(sched_driver *driver);

/* Waits until the driver is stopped or aborted and returns that state. Returns at once when
 * the driver is not running. */
sched_status sched_driver_join(sched_driver *driver);

/* start() then join(). */
sched_status sched_driver_run(sched_driver *driver);

/* ---- calls (each returns the driver's state; nothing happens unless it is RUNNING) ----- */
/* Calls made while the driver is disconnected from the master are dropped (launches answer
 * with a local TASK_LOST instead), as Mesos does. */

/* Asks the allocator for resources (ResourceRequestMessage). */
sched_status sched_driver_request_resources(sched_driver *driver, const wire_request *requests,
                                            size_t count);

/* Launches tasks on offers (all on one slave) with filters for what the tasks leave unused
 * (NULL: defaults, refuse_seconds = 5). No tasks = decline the offers. If the driver no longer
 * holds one of the offers (used, rescinded, never seen), no task reaches the master: each gets
 * a local TASK_LOST status update ("Offer <id> is no longer valid", REASON_INVALID_OFFERS)
 * and the offers it still holds are declined with the filters. An ExecutorInfo without a
 * framework_id gets the framework's ID filled in. */
sched_status sched_driver_launch_tasks(sched_driver *driver, const wire_offer_id *offer_ids,
                                       size_t offer_count, const wire_task_info *tasks,
                                       size_t task_count, const wire_filters *filters);

/* The 0.22 acceptOffers in its simplest form: the same as sched_driver_launch_tasks. */
sched_status sched_driver_accept_offers(sched_driver *driver, const wire_offer_id *offer_ids,
                                        size_t offer_count, const wire_task_info *tasks,
                                        size_t task_count, const wire_filters *filters);

/* Declines one offer (a launch with no tasks). filters may be NULL. */
sched_status sched_driver_decline_offer(sched_driver *driver, const wire_offer_id *offer_id,
                                        const wire_filters *filters);

/* Asks the master to kill a task (the task then reports TASK_KILLED, or TASK_LOST if the
 * master does not know it). */
sched_status sched_driver_kill_task(sched_driver *driver, const wire_task_id *task_id);

/* Removes every filter the framework set and ends a suppression. */
sched_status sched_driver_revive_offers(sched_driver *driver);

/* Asks for no more offers until sched_driver_revive_offers. */
sched_status sched_driver_suppress_offers(sched_driver *driver);

/* Explicit acknowledgements only: acknowledges the last status update delivered for
 * status->task_id (the driver remembers its UUID, since TaskStatus does not carry one).
 * Updates without a UUID (from the master or the driver itself) need none and are ignored.
 * With implicit acknowledgements on, logs an error and does nothing. */
sched_status sched_driver_acknowledge_status_update(sched_driver *driver,
                                                    const wire_task_status *status);

/* Sends data to an executor (FrameworkToExecutorMessage, relayed by the master and slave;
 * best effort). */
sched_status sched_driver_send_framework_message(sched_driver *driver,
                                                 const wire_executor_id *executor_id,
                                                 const wire_slave_id *slave_id,
                                                 const void *data, size_t len);

/* Asks for the latest state of the listed tasks (count 0: of every task the master knows for
 * the framework); answers arrive as status updates. */
sched_status sched_driver_reconcile_tasks(sched_driver *driver, const wire_task_status *statuses,
                                          size_t count);

#ifdef __cplusplus
}
#endif

#endif /* SCHED_SCHED_H */
