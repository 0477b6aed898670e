/*
 * command.c - the built-in executors' core (command_int.h; Mesos' CommandExecutor and, for
 * images, its DockerExecutor): one task as a child process, TASK_RUNNING once it runs, the
 * terminal update with how it ended, a kill on request, and exit once the slave acknowledged
 * that last update (bounded). The work happens in an actor of its own: the driver's callbacks
 * and a reaper thread (the one blocking waitpid) post into it, so nothing blocks a loop.
 */
#include "exec/command_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long the executor waits for the acknowledgement of its last update before exiting. */
#define CMD_ACK_WAIT_SECS 5.0
/* The same during a shutdown: well within the driver's shutdown grace period (5 s). */
#define CMD_SHUTDOWN_ACK_WAIT_SECS 1.0

typedef struct cmd {
    const cmd_ops *ops;
    exec_driver *driver;
    act_pid self;
    bool launched;      /* a task was accepted (a second one is refused) */
    bool killed;        /* the task was asked to end */
    bool done;          /* the terminal update was sent */
    bool away;          /* the slave is gone and may come back (checkpointing) */
    bool shutting_down; /* asked to shut down: exit without waiting for a slave */
    pid_t child;        /* the task's pid, 0 if none */
    char *task_id;      /* owned; NULL until launched */
    act_timer_id escalation;
} cmd;

/* ---- updates and the end ----------------------------------------------------------------- */

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

/* ---- the child and its signals ----------------------------------------------------------- */

/* The task's pid from its start until it is reaped: a signal goes to it only while its pid (and
 * so its process group) cannot name another process. Any thread may signal, hence the lock. */
static pthread_mutex_t child_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t live_child;

bool cmd_signal(pid_t child, int sig)
{
    pthread_mutex_lock(&child_mu);
    bool ours = child > 1 && child == live_child;
    if (ours && kill(-child, sig) != 0) kill(child, sig);
    pthread_mutex_unlock(&child_mu);
    return ours;
}

/* Waits for the child to end, then reaps it while no signal can be on its way. */
static int reap_child(pid_t pid)
{
    siginfo_t si;
    while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0 && errno == EINTR) {}
    pthread_mutex_lock(&child_mu);
    live_child = 0;
    int status;
    pid_t rc;
    while ((rc = waitpid(pid, &status, 0)) == -1 && errno == EINTR) {}
    pthread_mutex_unlock(&child_mu);
    return rc == pid ? status : -1;
}

/* ---- reaping ----------------------------------------------------------------------------- */

typedef struct reap {
    act_pid to;
    const cmd_ops *ops;
    pid_t pid;
    int status; /* wait status, or -1 if waitpid failed */
} reap;

static void on_running(act_actor *self, void *arg)
{
    cmd *c = self ? act_state(self) : NULL;
    if (c && !c->done) send_update(c, c->task_id, WIRE_TASK_RUNNING, NULL);
}

static void on_reaped(act_actor *self, void *arg);

/* The one blocking wait, on a thread of its own; what it learns goes back to the actor. */
static void *reaper(void *arg)
{
    reap *r = arg;
    if (r->ops->await_running && r->ops->await_running(r->ops->ctx, r->pid))
        act_dispatch(&r->to, on_running, NULL);
    r->status = reap_child(r->pid);
    act_dispatch(&r->to, on_reaped, r);
    return NULL;
}

static int start_reaper(cmd *c, pid_t pid)
{
    reap *r = act_calloc(1, sizeof *r);
    r->to = c->self;
    r->ops = c->ops;
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

static void on_reaped(act_actor *self, void *arg)
{
    reap *r = arg;
    cmd *c = self ? act_state(self) : NULL;
    if (c) {
        if (c->escalation) act_cancel(self, c->escalation);
        c->escalation = 0;
        c->child = 0;
        char msg[256];
        wire_task_state state = c->ops->ended(c->ops->ctx, r->status, c->killed, msg, sizeof msg);
        printf("%s (pid: %d)\n", msg, (int)r->pid);
        fflush(stdout);
        send_update(c, c->task_id, state, msg);
        finish(self, c);
    }
    free(r);
}

/* ---- killing ----------------------------------------------------------------------------- */

static void escalate(act_actor *self, void *arg)
{
    cmd *c = act_state(self);
    c->escalation = 0;
    if (c->child > 0) c->ops->escalate(c->ops->ctx, c->child);
}

static void kill_child(act_actor *self, cmd *c)
{
    if (c->child <= 0 || c->killed) return;
    c->killed = true;
    c->ops->kill(c->ops->ctx, c->child);
    fflush(stdout);
    if (c->ops->escalate)
        c->escalation = act_delay(self, c->ops->escalation_secs, escalate, NULL);
}

/* ---- launching --------------------------------------------------------------------------- */

/* A task that cannot run still gets its terminal update, then the executor exits. */
static void fail_launch(act_actor *self, cmd *c, const char *message)
{
    printf("%s\n", message);
    fflush(stdout);
    send_update(c, c->task_id, WIRE_TASK_FAILED, message);
    finish(self, c);
}

static void launch(act_actor *self, cmd *c, const wire_task_info *task)
{
    if (c->launched) {
        char msg[128];
        snprintf(msg, sizeof msg, "Attempted to run multiple tasks using a \"%s\" executor",
                 c->ops->kind);
        send_update(c, task->task_id.value, WIRE_TASK_FAILED, msg);
        return;
    }
    c->launched = true;
    c->task_id = act_strdup(task->task_id.value);
    printf("Starting task %s\n", c->task_id);
    fflush(stdout);
    fflush(stderr);
    char err[1024] = "";
    pid_t pid = c->ops->start(c->ops->ctx, task, err, sizeof err);
    if (pid < 0) {
        fail_launch(self, c, err[0] ? err : "Failed to start the task");
        return;
    }
    c->child = pid;
    pthread_mutex_lock(&child_mu);
    live_child = pid;
    pthread_mutex_unlock(&child_mu);
    int rc = start_reaper(c, pid);
    if (rc != 0) LOG_FATAL("Task %s: cannot start the reaper thread: %s", c->task_id,
                           strerror(-rc));
    if (!c->ops->await_running) send_update(c, c->task_id, WIRE_TASK_RUNNING, NULL);
}

/* ---- driver callbacks, posted into the actor --------------------------------------------- */

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
    wire_msg *msg; /* owned: a wire_task_info (launch) or NULL */
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
    cmd *c = exec_driver_ctx(d);
    if (strcmp(c->ops->kind, "command") == 0) printf("Registered executor on %s\n", si->hostname);
    else printf("Registered %s executor on %s\n", c->ops->kind, si->hostname);
    fflush(stdout);
    if (c->ops->registered) c->ops->registered(c->ops->ctx, ei);
}

static void cb_reregistered(exec_driver *d, const wire_slave_info *si)
{
    printf("Re-registered executor on %s\n", si->hostname);
    fflush(stdout);
    post(d, EV_REREGISTERED, NULL);
}

static void cb_disconnected(exec_driver *d)
{
    printf("Slave disconnected; waiting for it to come back\n");
    fflush(stdout);
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
    fflush(stdout);
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

static const exec_executor callbacks = {
    .registered = cb_registered,
    .reregistered = cb_reregistered,
    .disconnected = cb_disconnected,
    .launch_task = cb_launch,
    .kill_task = cb_kill,
    .shutdown = cb_shutdown,
    .error = cb_error,
    .acknowledged = cb_acknowledged,
};

/* ---- main -------------------------------------------------------------------------------- */

static void cmd_terminate(act_actor *self, void *arg)
{
    cmd *c = arg;
    free(c->task_id);
    c->task_id = NULL;
}

/* The runtime comes first so that the actor exists before any callback. */
static int start_runtime(cmd *c)
{
    int rc = act_init(NULL);
    if (rc == 0) rc = act_start();
    if (rc != 0) {
        fprintf(stderr, "Failed to start the actor runtime: %s\n", act_strerror(rc));
        return rc;
    }
    act_actor *a = act_new(c->ops->actor, c);
    act_on_terminate(a, cmd_terminate, c);
    c->self = act_self(a);
    return act_spawn(a, 0);
}

int cmd_main(const cmd_ops *ops)
{
    signal(SIGPIPE, SIG_IGN);
    static cmd c;
    c.ops = ops;
    if (start_runtime(&c) != 0) return EXIT_FAILURE;
    c.driver = exec_driver_new(&callbacks, &c);
    exec_status s = exec_driver_run(c.driver);
    exec_driver_free(c.driver);
    act_shutdown();
    return s == EXEC_DRIVER_STOPPED ? EXIT_SUCCESS : EXIT_FAILURE;
}
