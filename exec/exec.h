/*
 * exec.h - libmesos-exec: the executor driver, the one public header of exec/.
 *
 * An executor fills an exec_executor with callbacks and hands it to a driver; the driver is an
 * actor (executor(1)) in the executor's process that registers with the slave named in the
 * environment (MESOS_SLAVE_PID ...), turns the slave's messages into callbacks and the
 * executor's calls into messages. It mirrors Mesos 0.22's MesosExecutorDriver.
 *
 * Threads: every exec_driver_* call is safe from any thread, including from inside a callback
 * (the call is copied and posted into the driver's actor). Callbacks run one at a time on the
 * driver's loop thread. exec_driver_join, exec_driver_run and exec_driver_free must not be
 * called from within a callback.
 *
 * Ownership: callbacks receive borrowed data, valid only during the call (copy with
 * wire_copy() what you keep). Every method copies its arguments before returning; the caller
 * keeps ownership of everything it passes.
 */
#ifndef EXEC_EXEC_H
#define EXEC_EXEC_H

#include "wire/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The driver's state, as Mesos' Status enum (same numbers as wire_driver_status). A call on a
 * driver that is not RUNNING does nothing and returns the state. */
typedef enum exec_status {
    EXEC_DRIVER_NOT_STARTED = 1,
    EXEC_DRIVER_RUNNING = 2,
    EXEC_DRIVER_ABORTED = 3,
    EXEC_DRIVER_STOPPED = 4,
} exec_status;

/* "DRIVER_RUNNING" ...; "UNKNOWN" for other values. */
const char *exec_status_name(exec_status s);

typedef struct exec_driver exec_driver;

/* The executor: callbacks the driver makes on its loop thread. Any may be NULL (the event is
 * then ignored). exec_driver_ctx(driver) gives the user pointer passed to exec_driver_new.
 * Every pointer argument is borrowed for the duration of the call. */
typedef struct exec_executor {
    /* The slave accepted the executor's registration. */
    void (*registered)(exec_driver *driver, const wire_executor_info *executor_info,
                       const wire_framework_info *framework_info,
                       const wire_slave_info *slave_info);
    /* A restarted slave reconnected to the executor (checkpointing frameworks only). */
    void (*reregistered)(exec_driver *driver, const wire_slave_info *slave_info);
    /* The slave went away; with checkpointing the driver waits MESOS_RECOVERY_TIMEOUT for it
     * to come back (then reregistered) before shutting the executor down. */
    void (*disconnected)(exec_driver *driver);
    /* Run a task. Report its progress with exec_driver_send_status_update. */
    void (*launch_task)(exec_driver *driver, const wire_task_info *task);
    /* Kill a task; report TASK_KILLED when it is gone. */
    void (*kill_task)(exec_driver *driver, const wire_task_id *task_id);
    /* Data from the scheduler (best effort). */
    void (*framework_message)(exec_driver *driver, const uint8_t *data, size_t len);
    /* Kill every task and exit. The slave (or the lack of one) asked for it; after this the
     * driver handles no more messages from the slave, and unless the executor stops the
     * driver within the shutdown grace period (MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD, 5 s),
     * the driver kills the process (see exec_driver_start). */
    void (*shutdown)(exec_driver *driver);
    /* An unrecoverable error (missing environment, a TASK_STAGING update). The driver is
     * already ABORTED when this runs. */
    void (*error)(exec_driver *driver, const char *message);
    /* Extension (not in Mesos): the slave acknowledged a status update this executor sent;
     * `status` is that update's TaskStatus. Lets an executor exit once its last update is
     * safe with the slave. */
    void (*acknowledged)(exec_driver *driver, const wire_task_status *status);
} exec_executor;

/* ---- lifecycle -------------------------------------------------------------------------- */

/* Creates a driver in state NOT_STARTED. The executor struct is copied; ctx is the caller's
 * (never touched). Returns NULL only if executor is NULL. */
exec_driver *exec_driver_new(const exec_executor *executor, void *ctx);

/* Terminates the driver's actor if it still runs, waits for it, and frees the driver. If
 * start() created the process's runtime and no other driver uses it, it is shut down too.
 * Must not be called from a callback or from the driver's loop thread. NULL is ignored. */
void exec_driver_free(exec_driver *driver);

/* The ctx given to exec_driver_new. */
void *exec_driver_ctx(const exec_driver *driver);

/* Starts the driver. Reads the environment the slave sets: MESOS_SLAVE_PID, MESOS_FRAMEWORK_ID,
 * MESOS_EXECUTOR_ID, MESOS_DIRECTORY (required), MESOS_SANDBOX, MESOS_CHECKPOINT ("1" = the
 * framework checkpoints), MESOS_RECOVERY_TIMEOUT (a duration, default 15mins),
 * MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD (a duration, default 5secs) and MESOS_LOCAL (set: the
 * executor runs inside another process, so the driver never kills the process: after a
 * shutdown's grace period it just stops itself). Creates a runtime if the process has none
 * (act_init honouring LIBPROCESS_IP / LIBPROCESS_PORT, then act_start) and spawns the actor,
 * which links the slave and registers. Returns RUNNING; ABORTED (after the error callback ran
 * on the calling thread) for a missing or bad variable or when no runtime could be created;
 * or the current state if the driver was started before. */
exec_status exec_driver_start(exec_driver *driver);

/* Stops the driver: its actor terminates (nothing is sent to the slave), no new callback
 * starts. Returns STOPPED, ABORTED when the driver was aborted (it is then stopped), or the
 * state if it was neither running nor aborted. */
exec_status exec_driver_stop(exec_driver *driver);

/* Aborts the driver: no more callbacks, messages from the slave are ignored. It can still be
 * stopped afterwards. Returns ABORTED, or the state if it was not running. */
exec_status exec_driver_abort(exec_driver *driver);

/* Waits until the driver is stopped or aborted and returns that state. Returns at once when
 * the driver is not running. */
exec_status exec_driver_join(exec_driver *driver);

/* start() then join(). */
exec_status exec_driver_run(exec_driver *driver);

/* ---- calls (each returns the driver's state; nothing happens unless it is RUNNING) ----- */

/* Sends a status update of a task to the slave. The driver fills in the framework, executor
 * and slave IDs, source SOURCE_EXECUTOR, the timestamp (if unset) and a fresh UUID, and keeps
 * the update until the slave acknowledges it (it is handed to a restarted slave on
 * reconnection; the slave's status update manager does the resending). While the slave is
 * away the update is only kept. TASK_STAGING is refused: the driver aborts and calls error. */
exec_status exec_driver_send_status_update(exec_driver *driver, const wire_task_status *status);

/* Sends data to the scheduler (ExecutorToFrameworkMessage via the slave; best effort). */
exec_status exec_driver_send_framework_message(exec_driver *driver, const void *data,
                                               size_t len);

#ifdef __cplusplus
}
#endif

#endif /* EXEC_EXEC_H */
