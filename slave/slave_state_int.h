/*
 * slave_state_int.h - the slave actor's own state and the functions its files share: its
 * frameworks, their executors and tasks, its link to the master. slave.c registers with the
 * master and answers it; executors.c runs tasks through executors; recover.c writes and reads
 * the checkpoints that let a restarted slave find its executors again.
 */
#ifndef SLAVE_SLAVE_STATE_INT_H
#define SLAVE_SLAVE_STATE_INT_H

#include "slave/slave_int.h"

typedef struct slave_config {
    const char *master;          /* host:port, master@ip:port, zk://... or file:// */
    const char *work_dir;
    const char *resources;       /* --resources text or JSON, may be NULL */
    const char *attributes;
    const char *default_role;
    const char *hostname;
    const char *launcher_dir;    /* where mesos-executor lives */
    const char *frameworks_home;
    bool checkpoint;
    bool switch_user;
    bool recover_reconnect;      /* --recover=reconnect (else cleanup) */
    bool strict;
    double executor_registration_timeout;
    double executor_shutdown_grace_period;
    double recovery_timeout;
    double registration_backoff_factor;
    double gc_delay;
    double gc_disk_headroom;     /* the share of the disk gc keeps free */
    double disk_watch_interval;
    cz_config isolation;         /* --isolation and its isolators' flags */
    const char *default_container_info; /* JSON ContainerInfo for executors without one */
    const act_flags *flags;      /* borrowed, for state.json; may be NULL */
    const wire_credential *credential; /* --credential, borrowed (outlives the slave): the
                                    slave authenticates before it registers; NULL: it does not */
    const char *log_dir;
    const char *containerizers;  /* --containerizers: "mesos", "docker,mesos" ... */
    dz_config docker;            /* the Docker containerizer's flags (work_dir is set from
                                    work_dir when the slave spawns) */
    const char *external_log_file; /* served as /slave/log (else --log_dir's INFO file) */
    act_pid containerizer;       /* a containerizer to use instead of spawning one (tests play
                                    it at the message level); id "" = spawn the real one */
    bool stop_runtime;           /* when the slave ends, stop the runtime (the binary: the
                                    process exits); tests watch the actor end instead */
    int *exit_status;            /* where a slave that fails (recovery under --strict, no master
                                    to detect) writes 1 before it ends; may be NULL */
} slave_config;

void slave_config_default(slave_config *c);

typedef enum executor_state {
    EXEC_LAUNCHING,     /* asked the containerizer; no registration yet */
    EXEC_RUNNING,       /* registered */
    EXEC_TERMINATING,   /* being shut down */
    EXEC_TERMINATED,    /* its process is gone; updates may still be pending */
} executor_state;

/* What the slave remembers of finished work (Mesos keeps the same numbers). */
#define S_MAX_COMPLETED_FRAMEWORKS 50
#define S_MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK 150
#define S_MAX_COMPLETED_TASKS_PER_EXECUTOR 200
#define S_MAX_TASK_STATUSES 100 /* per task in state.json (Mesos keeps every one) */

/* A bounded history, oldest first (Mesos' circular buffers of completed work). */
typedef struct s_history {
    void **v;
    size_t cap, start, n;
} s_history;

typedef struct s_task {
    wire_msg *msg;           /* a wire_task_info */
    wire_task_info *info;
    wire_task_state state;   /* the latest the executor reported (STAGING before) */
    wire_task_status *statuses; /* each update's state and timestamp, in order (state.json): */
                                /* the first and the latest, S_MAX_TASK_STATUSES in all */
    size_t nstatuses;
} s_task;

typedef struct s_framework s_framework;

typedef struct s_executor {
    char id[WIRE_ID_MAX];
    char container_id[WIRE_UUID_STRLEN];
    s_framework *framework;
    wire_msg *info_msg;      /* a wire_executor_info */
    wire_executor_info *info;
    bool command;            /* the built-in command executor */
    char *directory;
    act_pid pid;             /* once registered */
    executor_state state;
    act_map *queued;         /* task id -> s_task: waiting for registration */
    act_map *launched;       /* task id -> s_task: sent, not yet terminal */
    act_map *finishing;      /* task id -> s_task: terminal, update not yet acknowledged */
    s_history completed;     /* s_task: terminal and acknowledged */
    act_timer_id registration_timer, shutdown_timer;
    int os_pid;
    proc_identity identity;  /* recovered: what the checkpoint proves of its process */
    bool reconnecting;       /* recovered; waiting for ReregisterExecutorMessage */
    char *failure;           /* why the slave ended it (launch failure, registration timeout),
                                or NULL */
    wire_status_reason failure_reason;
} s_executor;

struct s_framework {
    char id[WIRE_ID_MAX];
    wire_msg *info_msg;      /* a wire_framework_info */
    wire_framework_info *info;
    act_pid pid;             /* the scheduler */
    act_map *executors;      /* executor id -> s_executor */
    s_history completed;     /* s_executor: terminated, every update acknowledged */
    bool shutting_down;      /* the master (or the slave's own shutdown) ends it */
};

/* An ExitedExecutorMessage waiting for the slave to be registered. */
typedef struct s_exited {
    char framework_id[WIRE_ID_MAX];
    char executor_id[WIRE_ID_MAX];
    int status;
} s_exited;

typedef struct slave {
    act_actor *self;
    act_pid pid;
    slave_config cfg;
    wire_msg *info_msg;      /* a wire_slave_info; id set once registered */
    wire_slave_info *info;
    res_set resources;
    char id[WIRE_ID_MAX];    /* "" until registered */
    act_pid master;          /* the leading master as detected; none while unknown */
    act_pid detector;        /* master/detector.h: reports the leading master */
    act_pid authenticatee;   /* master/auth.h: authenticating with the master; none if not */
    bool authenticated;      /* with the current master, since the last disconnection */
    struct detector_address *master_address; /* until the actor's init spawns the detector */
    bool connected;
    char master_hostname[256]; /* the master's IP resolved at registration (state.json) */
    bool registering;
    double backoff;
    act_timer_id registration_timer, ping_timer;
    double ping_timeout;
    double start_time;
    act_map *frameworks;     /* id -> s_framework */
    s_history completed;     /* s_framework: every executor gone */
    s_exited *exited;        /* executor exits the master has not been told of yet */
    size_t nexited;
    act_pid containerizer, sum, files, gc;
    wire_msg *default_container; /* a wire_container_info (--default_container_info), or NULL */
    uint64_t launched_tasks, started_tasks, failed_tasks, finished_tasks, killed_tasks, lost_tasks;
    uint64_t recovery_errors; /* what a non-strict recovery skipped (Mesos: recoveryErrors) */
    uint64_t executors_terminated;
    bool recovered;          /* recovery finished: registration may start */
    bool terminating;        /* shutting down: stops once every framework is gone */
    bool exiting;            /* s_exit was called */
} slave;

/* slave.c */
int slave_spawn(const slave_config *cfg, act_pid *out);
/* Unregisters from the master, shuts every executor down (their grace period applies) and
 * stops the slave as soon as they are gone: at once when there are none. For act_dispatch to
 * the slave actor (signals, mesos-local). */
void slave_shutdown(act_actor *self, void *arg);
void s_send(slave *s, const act_pid *to, const wire_desc *desc, const void *msg);
/* The framework record, or NULL. */
s_framework *s_framework_find(slave *s, const char *id);
void s_register(slave *s);   /* (re)start registration with the master */
/* Sender checks (counted in runtime/refused_messages and logged when they fail): the master
 * this slave is registered with (exactly its pid); an executor of this slave, which runs on
 * this host and binds this slave's address (LIBPROCESS_IP), so that a process elsewhere
 * cannot register or re-register as one. */
bool s_from_master(slave *s, const act_msg *msg);
bool s_from_this_host(slave *s, const act_msg *msg);
/* Ends the slave: its actor terminates (and, in the binary, the process exits). */
void s_exit(slave *s);

/* history.c */
void s_history_init(s_history *h, size_t cap);
/* Appends item; when the history is full the oldest item is taken out and returned for the
 * caller to free, else NULL. */
void *s_history_push(s_history *h, void *item);
size_t s_history_size(const s_history *h);
void *s_history_at(const s_history *h, size_t i);   /* 0 = the oldest */
void s_history_free(s_history *h, void (*free_item)(void *));

/* lifecycle.c: the one life cycle of tasks, executors and frameworks in the slave. */
s_framework *s_framework_add(slave *s, const char *id, const wire_framework_info *info,
                             const act_pid *scheduler);
/* A new executor record of f in state LAUNCHING; takes info (a wire_executor_info). The
 * container ID is random unless given. */
s_executor *s_executor_add(slave *s, s_framework *f, wire_msg *info, bool command,
                           const char *container_id);
/* The task in any of the executor's maps; *where (may be NULL) tells which. */
s_task *s_task_find(s_executor *e, const char *task_id, act_map **where);
s_task *s_task_new(const wire_task_info *info);
/* A task moves to state st; a terminal task waits in `finishing` for its acknowledgement. */
/* Frees a task record (for maps and histories). */
void s_task_free(void *t);
/* Appends an update's state and timestamp to t->statuses (bounded: the first and the latest). */
void s_task_add_status(s_task *t, const wire_task_status *status);
void s_task_update(slave *s, s_executor *e, s_task *t, act_map *where,
                   const wire_task_status *st);
/* The terminal update of task_id was acknowledged: the task is completed, and its executor
 * and framework retire when nothing else is left. */
void s_task_acknowledged(slave *s, const char *framework_id, const char *task_id);
/* Records why the slave itself ended an executor (its tasks fail with this). */
void s_executor_fail(s_executor *e, wire_status_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The one way an executor ends, whatever ended it (exit, launch failure, registration
 * timeout, destroy, death while the slave was down): its queued and live tasks fail or are
 * lost with the reason, the master hears of the exit (at once or when registered), and the
 * executor retires into its framework's completed executors once no update of its tasks
 * waits for an acknowledgement (at once when the framework or the slave is going). status:
 * the wait status, -1 when unknown; how: the containerizer's account of the end. */
void s_executor_terminated(slave *s, s_executor *e, int status, const char *how);
/* Sends the ExitedExecutorMessages that waited for the slave to be registered. */
void s_report_exits(slave *s);
/* ShutdownExecutorMessage and the grace period, then destroy; an executor that has not
 * registered is destroyed at once. */
void s_executor_shutdown(slave *s, s_executor *e);
void s_executor_destroy(slave *s, s_executor *e, double grace);
/* The master shut the framework down: its pending updates are dropped, its executors shut
 * down, and it retires once they are gone. */
void s_framework_shutdown(slave *s, s_framework *f);
/* Retires the executor if it ended and nothing of it waits, then its framework if it has no
 * executor left (and stops a terminating slave that has no framework left). */
void s_retire(slave *s, s_executor *e);
/* Moves an ended executor into its framework's completed executors, whatever it still holds. */
void s_executor_retire(slave *s, s_executor *e);
void s_framework_retire_if_idle(slave *s, s_framework *f);
/* Frees every record without side effects (the slave actor terminates). */
void s_frameworks_free(slave *s);

/* executors.c */
void s_executor_handlers(act_actor *a);
/* A status update made by the slave itself (TASK_LOST, TASK_FAILED ...), through the status
 * update manager like any other. */
void s_send_update(slave *s, s_framework *f, s_executor *e, const char *task_id,
                   wire_task_state state, const char *message, wire_status_reason reason);
/* Hands an update to the status update manager (checkpointed when the framework
 * checkpoints); executor (may be NULL) is acknowledged once it is recorded. */
void s_forward_update(slave *s, s_executor *e, const wire_status_update *u,
                      const act_pid *executor);
/* What the executor's container is given: the executor's own resources and, for a custom
 * executor, those of its queued and running tasks (a command executor's info holds its task's
 * already). Fills out (res_free it). */
void s_executor_resources(const s_executor *e, res_set *out);
/* Tells the containerizer the executor's resources changed (a task joined or left). */
void s_executor_update(slave *s, s_executor *e);
/* Checkpoints the executor's libprocess pid (for reconnection after a restart). */
void s_checkpoint_executor_pid(slave *s, s_executor *e);
/* Tasks and executors for ReregisterSlaveMessage. */
void s_collect_for_reregistration(slave *s, wire_msg *m, wire_reregister_slave_message *r);
s_executor *s_executor_find(slave *s, const char *framework_id, const char *executor_id);

/* http.c */
/* Routes state.json, state and health on a, and the slave's gauges. */
void s_http_routes(act_actor *a);
void s_metrics_refresh(act_actor *self, void *arg);

/* recover.c */
/* Reads the checkpoint under work_dir/meta: fills s->id/info when the slave info still
 * matches, and rebuilds frameworks and executors (then reconnects or cleans them up). */
void s_recover(slave *s);
void s_checkpoint_slave_info(slave *s);
void s_checkpoint_framework(slave *s, s_framework *f);
void s_checkpoint_executor(slave *s, s_executor *e);
void s_checkpoint_task(slave *s, s_executor *e, const s_task *t);
/* Marks the executor's run completed (Mesos' sentinel): a restart lists it as completed. */
void s_checkpoint_executor_completed(slave *s, s_executor *e);
void s_recover_handlers(act_actor *a);

#endif /* SLAVE_SLAVE_STATE_INT_H */
