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
    const char *master;          /* host:port or master@ip:port */
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
    double disk_watch_interval;
    const act_flags *flags;      /* borrowed, for state.json; may be NULL */
    const char *log_dir;
    act_pid containerizer;       /* a containerizer to use instead of spawning one (tests play
                                    it at the message level); id "" = spawn the real one */
} slave_config;

void slave_config_default(slave_config *c);

typedef enum executor_state {
    EXEC_LAUNCHING,     /* asked the containerizer; no registration yet */
    EXEC_RUNNING,       /* registered */
    EXEC_TERMINATING,   /* being shut down */
    EXEC_TERMINATED,    /* its process is gone; updates may still be pending */
} executor_state;

typedef struct s_task {
    wire_msg *msg;           /* a wire_task_info */
    wire_task_info *info;
    wire_task_state state;   /* the latest the executor reported (STAGING before) */
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
    act_timer_id registration_timer, shutdown_timer;
    int os_pid;
    bool reconnecting;       /* recovered; waiting for ReregisterExecutorMessage */
    char *failure;           /* why the slave ended it (registration timeout), or NULL */
} s_executor;

struct s_framework {
    char id[WIRE_ID_MAX];
    wire_msg *info_msg;      /* a wire_framework_info */
    wire_framework_info *info;
    act_pid pid;             /* the scheduler */
    act_map *executors;      /* executor id -> s_executor */
    bool shutting_down;
};

typedef struct slave {
    act_actor *self;
    act_pid pid;
    slave_config cfg;
    wire_msg *info_msg;      /* a wire_slave_info; id set once registered */
    wire_slave_info *info;
    res_set resources;
    char id[WIRE_ID_MAX];    /* "" until registered */
    act_pid master;
    bool connected;
    bool registering;
    double backoff;
    act_timer_id registration_timer, ping_timer;
    double ping_timeout;
    double start_time;
    act_map *frameworks;     /* id -> s_framework */
    act_pid containerizer, sum, files, gc;
    uint64_t launched_tasks, failed_tasks, finished_tasks, killed_tasks, lost_tasks;
    bool recovered;          /* recovery finished: registration may start */
} slave;

/* slave.c */
int slave_spawn(const slave_config *cfg, act_pid *out);
/* Shuts every executor down (their grace period applies), then stops the runtime. For
 * act_dispatch to the slave actor. */
void slave_shutdown(act_actor *self, void *arg);
void s_send(slave *s, const act_pid *to, const wire_desc *desc, const void *msg);
/* The framework record, or NULL. */
s_framework *s_framework_find(slave *s, const char *id);
void s_register(slave *s);   /* (re)start registration with the master */
bool s_from_master(slave *s, const act_msg *msg);

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
/* Checkpoints the executor's libprocess pid (for reconnection after a restart). */
void s_checkpoint_executor_pid(slave *s, s_executor *e);
/* Tasks and executors for ReregisterSlaveMessage. */
void s_collect_for_reregistration(slave *s, wire_msg *m, wire_reregister_slave_message *r);
void s_frameworks_free(slave *s);
void s_executor_remove(slave *s, s_executor *e);
s_executor *s_executor_find(slave *s, const char *framework_id, const char *executor_id);
/* The state.json "frameworks" array. */
void s_json_frameworks(slave *s, act_json *j);

/* recover.c */
/* Reads the checkpoint under work_dir/meta: fills s->id/info when the slave info still
 * matches, and rebuilds frameworks and executors (then reconnects or cleans them up). */
void s_recover(slave *s);
void s_checkpoint_slave_info(slave *s);
void s_checkpoint_framework(slave *s, s_framework *f);
void s_checkpoint_executor(slave *s, s_executor *e);
void s_checkpoint_task(slave *s, s_executor *e, const s_task *t);
void s_recover_handlers(act_actor *a);

#endif /* SLAVE_SLAVE_STATE_INT_H */
