/*
 * exec_int.h - the executor driver's insides, shared by the files of exec/ only.
 *
 * An exec_driver has two halves: the part any thread may touch under `mu` (the status every
 * API call checks, the flags join and free wait on), and the actor's part, touched only on the
 * driver's loop thread (the slave's pid, connection state, the unacknowledged updates and
 * tasks). API calls never touch the actor's half: they post an exec_op with act_dispatch.
 */
#ifndef EXEC_EXEC_INT_H
#define EXEC_EXEC_INT_H

#include "exec/exec.h"

#include <pthread.h>
#include <stdatomic.h>

#define EXEC_RECOVERY_TIMEOUT_DEFAULT (15 * 60.0) /* slave --recovery_timeout */
#define EXEC_SHUTDOWN_GRACE_DEFAULT 5.0           /* slave --executor_shutdown_grace_period */

/* What the environment told the driver at start. Strings owned by the driver. */
typedef struct exec_env {
    act_pid slave;
    char *framework_id;
    char *executor_id;
    char *directory;
    char *sandbox;           /* MESOS_SANDBOX, else the directory */
    bool checkpoint;
    bool local;
    double recovery_timeout; /* seconds */
    double shutdown_grace;   /* seconds */
} exec_env;

struct exec_driver {
    /* Fixed at creation; read by any thread. */
    exec_executor exec;
    void *ctx;

    /* Under mu. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    exec_status status;
    bool spawned;      /* the actor was spawned */
    bool terminated;   /* its terminate callback ran */
    bool settled;      /* the actor handled stop/abort (join waits for it) */
    bool runtime_user; /* counted as a user of a runtime start() created */

    /* False once stop or abort was called: the actor makes no more callbacks. */
    atomic_bool running;

    /* Set at start, before the spawn; then the actor's. */
    exec_env env;

    /* The actor's half: its loop thread only. */
    act_actor *actor;        /* NULL once terminated */
    act_pid self;
    act_pid slave;           /* the current slave (env, then whoever reconnected) */
    char *slave_id;          /* owned; "" until registered */
    bool connected;          /* registered or re-registered with the current slave */
    bool aborted;            /* abort(): every slave message and exit is ignored */
    bool shutting_down;      /* shutdown began: only acknowledgements are still handled */
    act_timer_id recovery_timer; /* pending while waiting for a restarted slave, else 0 */
    wire_msg **updates;      /* unacknowledged wire_status_update messages, each owned */
    size_t nupdates, updates_cap;
    wire_msg **tasks;        /* wire_task_info of tasks no update of which was acked; owned */
    size_t ntasks, tasks_cap;
};

/* An API call posted into the actor: fn runs on the loop with the copied argument. */
typedef struct exec_op exec_op;
typedef void (*exec_op_fn)(exec_driver *d, exec_op *op);
struct exec_op {
    exec_driver *d;
    exec_op_fn fn;
    wire_msg *msg; /* owned; freed after fn; may be NULL */
};

/* ---- env.c: the environment ------------------------------------------------------------- */

/* Reads the MESOS_* variables into *env. Returns 0, or -EINVAL with the reason in err. */
int exec__env_load(exec_env *env, char *err, size_t errlen);
void exec__env_free(exec_env *env);

/* ---- process.c: the actor --------------------------------------------------------------- */

/* Creates the actor for d (executor(N), handlers installed) without spawning it. */
act_actor *exec__actor_new(exec_driver *d);
/* True once the registered slave went away (and until a restarted one re-registers): updates
 * are then only kept. */
bool exec__slave_away(const exec_driver *d);
/* Marks the actor's side of stop/abort done and wakes join(). */
void exec__settle(exec_driver *d);
/* Encodes obj (a desc struct) and sends it from the driver's actor to the slave. */
void exec__send(exec_driver *d, const wire_desc *desc, const void *obj);

/* ---- calls.c: API calls as they run on the loop ----------------------------------------- */

void exec__op_stop(exec_driver *d, exec_op *op);
void exec__op_abort(exec_driver *d, exec_op *op);
void exec__op_status_update(exec_driver *d, exec_op *op);
void exec__op_framework_message(exec_driver *d, exec_op *op);

/* ---- tables.c: unacknowledged updates and tasks ----------------------------------------- */

/* Keeps an update (takes ownership of m, a wire_status_update). */
void exec__update_add(exec_driver *d, wire_msg *m);
/* Removes and returns the update with this uuid (caller frees), or NULL. */
wire_msg *exec__update_take(exec_driver *d, const wire_bytes *uuid);
/* Keeps a copy of a launched task; false (nothing kept) if its ID is already kept. */
bool exec__task_add(exec_driver *d, const wire_task_info *task);
void exec__task_remove(exec_driver *d, const char *task_id);
void exec__tables_clear(exec_driver *d);

#endif
