/*
 * executor_main.c - mesos-executor, the built-in command executor (Mesos'
 * src/launcher/executor.cpp): it runs one task's CommandInfo (`/bin/sh -c value`, or
 * execvp(value, arguments) when shell is false) in a session of its own, reports TASK_RUNNING,
 * then TASK_FINISHED or TASK_FAILED with the exit status, or TASK_KILLED after a kill (SIGTERM
 * to the task's process group, SIGKILL after a grace), and exits once the slave has
 * acknowledged that last update. The life cycle is the built-in executors' core (command.c);
 * what is here is how a command starts, is killed and ends.
 */
#include "exec/command_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* SIGTERM, then SIGKILL after this (Mesos' EXECUTOR_SIGNAL_ESCALATION_TIMEOUT). */
#define CMD_ESCALATION_SECS 3.0

/* ---- the child -------------------------------------------------------------------------- */

/* The environment for the task: ours plus CommandInfo.environment (which wins). The array is
 * malloc'ed; the strings are environ's or s's own (the caller frees `owned`). */
static char **task_env(const wire_command_info *ci, act_buf *owned_buf, char ***owned)
{
    size_t n = 0, extra = ci->environment ? ci->environment->variables_count : 0;
    while (environ[n]) n++;
    char **env = act_calloc(n + extra + 1, sizeof *env);
    *owned = act_calloc(extra + 1, sizeof **owned);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool overridden = false;
        for (size_t j = 0; j < extra && !overridden; j++) {
            const char *name = ci->environment->variables[j].name;
            size_t len = strlen(name);
            overridden = strncmp(environ[i], name, len) == 0 && environ[i][len] == '=';
        }
        if (!overridden) env[k++] = environ[i];
    }
    for (size_t j = 0; j < extra; j++) {
        const wire_environment_variable *v = &ci->environment->variables[j];
        act_buf_reset(owned_buf);
        act_buf_printf(owned_buf, "%s=%s", v->name, v->value ? v->value : "");
        (*owned)[j] = act_strdup(owned_buf->data);
        env[k++] = (*owned)[j];
    }
    return env;
}

/* argv for the task: sh -c value, or the arguments (value alone when there are none). */
static char **task_argv(const wire_command_info *ci)
{
    if (!ci->has_shell || ci->shell) {
        char **argv = act_calloc(4, sizeof *argv);
        argv[0] = "sh";
        argv[1] = "-c";
        argv[2] = ci->value;
        return argv;
    }
    size_t n = ci->arguments_count;
    char **argv = act_calloc(n + 2, sizeof *argv);
    for (size_t i = 0; i < n; i++) argv[i] = ci->arguments[i];
    if (n == 0) argv[0] = ci->value;
    return argv;
}

/* In the child: a session of its own (so the whole tree can be signalled), tell the parent,
 * exec. Only async-signal-safe calls: everything was prepared before fork. */
static void child_exec(const wire_command_info *ci, char **argv, char **envp, int ready_fd)
{
    if (setsid() == -1) {
        static const char msg[] = "Failed to put the command in its own session\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    close(ready_fd);
    if (!ci->has_shell || ci->shell)
        execve("/bin/sh", argv, envp);
    else
        execvpe(ci->value, argv, envp);
    static const char msg[] = "Failed to exec the command\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    _exit(127);
}

/* Forks the task; returns its pid once it runs in its own session, or -errno. */
static pid_t spawn_task(const wire_command_info *ci)
{
    act_buf buf = {0};
    char **owned = NULL;
    char **envp = task_env(ci, &buf, &owned);
    char **argv = task_argv(ci);
    int fds[2];
    pid_t pid = -1;
    if (pipe2(fds, O_CLOEXEC) == 0) {
        pid = fork();
        if (pid == 0) {
            close(fds[0]);
            child_exec(ci, argv, envp, fds[1]);
        }
        int saved = errno;
        close(fds[1]);
        char b;
        while (pid > 0 && read(fds[0], &b, 1) == -1 && errno == EINTR) {}
        close(fds[0]);
        errno = saved;
    }
    int err = errno;
    for (size_t i = 0; owned[i]; i++) free(owned[i]);
    free(owned);
    free(envp);
    free(argv);
    act_buf_free(&buf);
    return pid > 0 ? pid : -err;
}

/* ---- the steps of a command ------------------------------------------------------------- */

static pid_t start(void *ctx, const wire_task_info *task, char *err, size_t n)
{
    const wire_command_info *ci = task->command;
    if (!ci || !ci->has_value || !ci->value[0]) {
        snprintf(err, n, "Task has no command to run");
        return -EINVAL;
    }
    pid_t pid = spawn_task(ci);
    if (pid < 0) {
        snprintf(err, n, "Failed to fork the command: %s", strerror((int)-pid));
        return pid;
    }
    printf("Forked command at %d\n", (int)pid);
    return pid;
}

/* SIGTERM to the task's process group, SIGKILL later (Mesos' CommandExecutor::shutdown). */
static void kill_task(void *ctx, pid_t child)
{
    printf("Sending SIGTERM to process group %d\n", (int)child);
    cmd_signal(child, SIGTERM);
}

static void escalate(void *ctx, pid_t child)
{
    printf("Process %d did not terminate after %.0f secs, sending SIGKILL to its process "
           "group\n", (int)child, CMD_ESCALATION_SECS);
    fflush(stdout);
    cmd_signal(child, SIGKILL);
}

/* The state and message of the task's end, as Mesos words them. */
static wire_task_state ended(void *ctx, int status, bool killed, char *msg, size_t n)
{
    if (status == -1) {
        snprintf(msg, n, "Failed to get exit status for Command");
        return WIRE_TASK_FAILED;
    }
    if (WIFEXITED(status))
        snprintf(msg, n, "Command exited with status %d", WEXITSTATUS(status));
    else
        snprintf(msg, n, "Command terminated by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return WIRE_TASK_FINISHED;
    return killed ? WIRE_TASK_KILLED : WIRE_TASK_FAILED;
}

int main(int argc, char **argv)
{
    static const cmd_ops ops = {.kind = "command", .actor = "command-executor", .start = start,
                                .kill = kill_task, .escalate = escalate,
                                .escalation_secs = CMD_ESCALATION_SECS, .ended = ended};
    return cmd_main(&ops);
}
