/*
 * executor_main.c - mesos-executor, the built-in command executor (Mesos'
 * src/launcher/executor.cpp): it runs one task's CommandInfo (`/bin/sh -c value`, or
 * execvp(value, arguments) when shell is false) in a session of its own, reports TASK_RUNNING,
 * then TASK_FINISHED or TASK_FAILED with the exit status, or TASK_KILLED after a kill (SIGTERM
 * to the task's process group, SIGKILL after a grace), and exits once the slave has
 * acknowledged that last update.
 *
 * The work happens in an actor of its own, "command-executor": the driver's callbacks and a
 * reaper thread (the one blocking waitpid) post into it, so nothing blocks a loop.
 */
#include "exec/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* SIGTERM, then SIGKILL after this (Mesos' EXECUTOR_SIGNAL_ESCALATION_TIMEOUT). */
#define CMD_ESCALATION_SECS 3.0
/* How long the executor waits for the acknowledgement of its last update before exiting. */
#define CMD_ACK_WAIT_SECS 5.0
/* The same during a shutdown: well within the driver's shutdown grace period (5 s). */
#define CMD_SHUTDOWN_ACK_WAIT_SECS 1.0

typedef struct cmd {
    exec_driver *driver;
    act_pid self;
    bool launched;      /* a task was accepted (a second one is refused) */
    bool killed;        /* the task was signalled: a non-zero end is TASK_KILLED */
    bool done;          /* the terminal update was sent */
    bool away;          /* the slave is gone and may come back (checkpointing) */
    bool shutting_down; /* asked to shut down: exit without waiting for a slave */
    pid_t child;        /* the task's pid (and process group), 0 if none */
    char *task_id;      /* owned; NULL until launched */
    act_timer_id escalation;
} cmd;

/* ---- small helpers ---------------------------------------------------------------------- */

static void send_update(cmd *c, const char *task_id, wire_task_state state, const char *message)
{
    wire_task_status st;
    wire_init(WIRE_DESC(task_status), &st);
    st.task_id.value = (char *)task_id;
    st.state = state;
    if (message) {
        st.has_message = true;
        st.message = (char *)message;
    }
    exec_driver_send_status_update(c->driver, &st);
}

/* The bound on waiting for the last acknowledgement. While the slave is away the update is
 * only held by the driver, so the wait goes on (a restarted slave takes the update over on
 * re-registration; the recovery timeout ends the wait otherwise). */
static void ack_wait_over(act_actor *self, void *arg)
{
    cmd *c = act_state(self);
    if (c->away && !c->shutting_down)
        act_delay(self, CMD_ACK_WAIT_SECS, ack_wait_over, NULL);
    else
        exec_driver_stop(c->driver);
}

/* After the terminal update: exit once it is acknowledged, or after a bound. During a
 * shutdown the driver's grace period is running, so the bound is short, and with no slave
 * to acknowledge there is nothing to wait for. */
static void finish(act_actor *self, cmd *c)
{
    c->done = true;
    if (c->shutting_down && c->away) {
        exec_driver_stop(c->driver);
        return;
    }
    double bound = c->shutting_down ? CMD_SHUTDOWN_ACK_WAIT_SECS : CMD_ACK_WAIT_SECS;
    act_delay(self, bound, ack_wait_over, NULL);
}

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

/* ---- reaping ---------------------------------------------------------------------------- */

typedef struct reap {
    act_pid to;
    pid_t pid;
    int status; /* wait status, or -1 if waitpid failed */
} reap;

static void on_reaped(act_actor *self, void *arg);

/* The one blocking wait, on a thread of its own; the result goes back to the actor. */
static void *reaper(void *arg)
{
    reap *r = arg;
    int status;
    pid_t rc;
    while ((rc = waitpid(r->pid, &status, 0)) == -1 && errno == EINTR) {}
    r->status = rc == r->pid ? status : -1;
    act_dispatch(&r->to, on_reaped, r);
    return NULL;
}

static int start_reaper(cmd *c, pid_t pid)
{
    reap *r = act_calloc(1, sizeof *r);
    r->to = c->self;
    r->pid = pid;
    pthread_t t;
    int rc = pthread_create(&t, NULL, reaper, r);
    if (rc != 0) {
        free(r);
        return -rc;
    }
    pthread_detach(t);
    return 0;
}

/* The state and message of the task's end, as Mesos words them. */
static wire_task_state end_state(const cmd *c, int status, char *msg, size_t n)
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
    return c->killed ? WIRE_TASK_KILLED : WIRE_TASK_FAILED;
}

static void on_reaped(act_actor *self, void *arg)
{
    reap *r = arg;
    cmd *c = self ? act_state(self) : NULL;
    if (c) {
        if (c->escalation) act_cancel(self, c->escalation);
        c->escalation = 0;
        c->child = 0;
        char msg[160];
        wire_task_state state = end_state(c, r->status, msg, sizeof msg);
        printf("%s (pid: %d)\n", msg, (int)r->pid);
        send_update(c, c->task_id, state, msg);
        finish(self, c);
    }
    free(r);
}

/* ---- killing ---------------------------------------------------------------------------- */

static void escalate(act_actor *self, void *arg)
{
    cmd *c = act_state(self);
    c->escalation = 0;
    if (c->child <= 0) return;
    printf("Process %d did not terminate after %.0f secs, sending SIGKILL to its process "
           "group\n", (int)c->child, CMD_ESCALATION_SECS);
    if (kill(-c->child, SIGKILL) == -1) kill(c->child, SIGKILL);
}

/* SIGTERM to the task's process group, SIGKILL later (Mesos' CommandExecutor::shutdown). */
static void kill_child(act_actor *self, cmd *c)
{
    if (c->child <= 0 || c->killed) return;
    printf("Sending SIGTERM to process group %d\n", (int)c->child);
    if (kill(-c->child, SIGTERM) == -1) kill(c->child, SIGTERM);
    c->escalation = act_delay(self, CMD_ESCALATION_SECS, escalate, NULL);
    c->killed = true;
}

/* ---- launching -------------------------------------------------------------------------- */

/* A task that cannot run still gets its terminal update, then the executor exits. */
static void fail_launch(act_actor *self, cmd *c, const char *message)
{
    printf("%s\n", message);
    send_update(c, c->task_id, WIRE_TASK_FAILED, message);
    finish(self, c);
}

static void launch(act_actor *self, cmd *c, const wire_task_info *task)
{
    const wire_command_info *ci = task->command;
    if (c->launched) {
        send_update(c, task->task_id.value, WIRE_TASK_FAILED,
                    "Attempted to run multiple tasks using a \"command\" executor");
        return;
    }
    c->launched = true;
    c->task_id = act_strdup(task->task_id.value);
    if (!ci || !ci->has_value || !ci->value[0]) {
        fail_launch(self, c, "Task has no command to run");
        return;
    }
    printf("Starting task %s\n", c->task_id);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = spawn_task(ci);
    char msg[160];
    if (pid < 0) {
        snprintf(msg, sizeof msg, "Failed to fork the command: %s", strerror((int)-pid));
        fail_launch(self, c, msg);
        return;
    }
    printf("Forked command at %d\n", (int)pid);
    c->child = pid;
    int rc = start_reaper(c, pid);
    if (rc != 0) LOG_FATAL("Task %s: cannot start the reaper thread: %s", c->task_id,
                           strerror(-rc));
    send_update(c, c->task_id, WIRE_TASK_RUNNING, NULL);
}

/* ---- driver callbacks, posted into the actor -------------------------------------------- */

typedef enum cmd_event {
    EV_LAUNCH,
    EV_KILL,
    EV_SHUTDOWN,
    EV_ACKED,
    EV_DISCONNECTED,
    EV_REREGISTERED,
} cmd_event;

typedef struct posted {
    cmd_event ev;
    wire_msg *msg; /* owned: a wire_task_info (launch), a wire_task_status (acked) or NULL */
} posted;

static void handle(act_actor *self, cmd *c, posted *p)
{
    switch (p->ev) {
    case EV_LAUNCH: launch(self, c, p->msg->root); break;
    case EV_KILL: kill_child(self, c); break;
    case EV_SHUTDOWN: /* with no task left there is nothing to wait for */
        c->shutting_down = true;
        if (c->child > 0) kill_child(self, c);
        else exec_driver_stop(c->driver);
        break;
    case EV_ACKED:
        if (c->done) exec_driver_stop(c->driver);
        break;
    case EV_DISCONNECTED: c->away = true; break;
    case EV_REREGISTERED: c->away = false; break;
    }
}

static void on_posted(act_actor *self, void *arg)
{
    posted *p = arg;
    if (self) handle(self, act_state(self), p);
    wire_msg_free(p->msg);
    free(p);
}

static void post(exec_driver *d, cmd_event ev, wire_msg *msg)
{
    cmd *c = exec_driver_ctx(d);
    posted *p = act_calloc(1, sizeof *p);
    p->ev = ev;
    p->msg = msg;
    act_dispatch(&c->self, on_posted, p);
}

static void cb_registered(exec_driver *d, const wire_executor_info *ei,
                          const wire_framework_info *fi, const wire_slave_info *si)
{
    printf("Registered executor on %s\n", si->hostname);
}

static void cb_reregistered(exec_driver *d, const wire_slave_info *si)
{
    printf("Re-registered executor on %s\n", si->hostname);
    post(d, EV_REREGISTERED, NULL);
}

static void cb_disconnected(exec_driver *d)
{
    printf("Slave disconnected; waiting for it to come back\n");
    post(d, EV_DISCONNECTED, NULL);
}

static void cb_launch(exec_driver *d, const wire_task_info *task)
{
    post(d, EV_LAUNCH, wire_copy(WIRE_DESC(task_info), task));
}

static void cb_kill(exec_driver *d, const wire_task_id *task_id) { post(d, EV_KILL, NULL); }

static void cb_shutdown(exec_driver *d)
{
    printf("Shutting down\n");
    post(d, EV_SHUTDOWN, NULL);
}

static void cb_acknowledged(exec_driver *d, const wire_task_status *status)
{
    if (wire_task_state_terminal(status->state)) post(d, EV_ACKED, NULL);
}

static void cb_error(exec_driver *d, const char *message)
{
    fprintf(stderr, "Executor driver error: %s\n", message);
}

static const exec_executor command_executor = {
    .registered = cb_registered,
    .reregistered = cb_reregistered,
    .disconnected = cb_disconnected,
    .launch_task = cb_launch,
    .kill_task = cb_kill,
    .shutdown = cb_shutdown,
    .error = cb_error,
    .acknowledged = cb_acknowledged,
};

/* ---- main ------------------------------------------------------------------------------- */

static void cmd_terminate(act_actor *self, void *arg)
{
    cmd *c = arg;
    free(c->task_id);
    c->task_id = NULL;
}

/* The runtime comes first so that the command actor exists before any callback. */
static int start_runtime(cmd *c)
{
    int rc = act_init(NULL);
    if (rc == 0) rc = act_start();
    if (rc != 0) {
        fprintf(stderr, "Failed to start the actor runtime: %s\n", act_strerror(rc));
        return rc;
    }
    act_actor *a = act_new("command-executor", c);
    act_on_terminate(a, cmd_terminate, c);
    c->self = act_self(a);
    return act_spawn(a, 0);
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    static cmd c;
    if (start_runtime(&c) != 0) return EXIT_FAILURE;
    c.driver = exec_driver_new(&command_executor, &c);
    exec_status s = exec_driver_run(c.driver);
    exec_driver_free(c.driver);
    act_shutdown();
    return s == EXEC_DRIVER_STOPPED ? EXIT_SUCCESS : EXIT_FAILURE;
}
