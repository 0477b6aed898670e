/*
 * command_int.h - what the built-in executors share (command.c): mesos-executor runs a task's
 * command (executor_main.c), mesos-docker-executor runs it in a Docker container
 * (docker_executor_main.c). Both run one task as a child process, report TASK_RUNNING, then how
 * it ended, stop it when asked, and exit once the slave has acknowledged the last update. Each
 * supplies the few steps that differ as a cmd_ops table.
 */
#ifndef EXEC_COMMAND_INT_H
#define EXEC_COMMAND_INT_H

#include "exec/exec.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct cmd_ops {
    const char *kind;       /* "command", "docker": "... using a \"docker\" executor" */
    const char *actor;      /* the executor's actor: "command-executor" */
    void *ctx;              /* passed to every step */
    /* Remembers what registration says (the executor's resources ...). Optional. */
    void (*registered)(void *ctx, const wire_executor_info *executor);
    /* Starts the task as a child of this process, on the actor's loop. Returns its pid, or
     * -errno with the reason in err (the task then fails with it). */
    pid_t (*start)(void *ctx, const wire_task_info *task, char *err, size_t errlen);
    /* Optional; on the thread that waits for the child, before it waits: blocks until the task
     * may be reported running (docker: its container exists) or the child has ended. Returns
     * true to report TASK_RUNNING. NULL: TASK_RUNNING as soon as the child started. */
    bool (*await_running)(void *ctx, pid_t child);
    /* Asks the task to end, once, on the actor's loop. */
    void (*kill)(void *ctx, pid_t child);
    /* Optional: the task is still running `escalation_secs` after kill. */
    void (*escalate)(void *ctx, pid_t child);
    double escalation_secs;
    /* The terminal state and message for the child's wait status (-1 when unknown); killed:
     * kill was called. */
    wire_task_state (*ended)(void *ctx, int status, bool killed, char *msg, size_t n);
} cmd_ops;

/* Sends sig to the task's process group (or to it alone if it leads none) if `child` is the
 * task and not yet reaped, so that a reused pid is never signalled. Any thread may call it.
 * Returns whether it was sent. */
bool cmd_signal(pid_t child, int sig);

/* Runs the executor with these steps: starts the runtime, the actor and the executor driver,
 * and returns the process's exit status once the driver stopped. */
int cmd_main(const cmd_ops *ops);

#endif /* EXEC_COMMAND_INT_H */
