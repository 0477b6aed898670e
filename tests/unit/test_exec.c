/*
 * test_exec.c - the executor driver and the executors built on it. In-process tests run the
 * driver against a fake slave actor written here (one runtime on loopback, paused clock,
 * MESOS_LOCAL so the driver never kills the test process) and an executor whose callbacks
 * record what they see. Process tests start the real mesos-executor and example-executor
 * binaries against a fake slave in the test process and follow their tasks by message.
 */
#include "exec/exec.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FW_ID "fw-1"
#define EX_ID "ex-1"
#define SLAVE_ID "slave-1"
#define NAME(m) wire_type_name(WIRE_DESC(m))

/* ---- the fake slave -------------------------------------------------------------------- */

typedef struct received {
    char name[96];
    wire_msg *msg; /* NULL if it did not decode */
} received;

typedef struct fake_slave {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    act_pid self;
    act_pid executor;    /* sender of the last message received */
    bool auto_register;  /* answer RegisterExecutorMessage with ExecutorRegisteredMessage */
    bool auto_ack;       /* acknowledge every status update */
    received *got;
    size_t ngot, cap;
} fake_slave;

static const wire_desc *const executor_messages[] = {
    WIRE_DESC(register_executor_message),   WIRE_DESC(reregister_executor_message),
    WIRE_DESC(status_update_message),       WIRE_DESC(executor_to_framework_message),
};

static void fs_reply(act_actor *self, const act_pid *to, const wire_desc *desc, const void *obj)
{
    act_buf b = {0};
    ck_assert_int_eq(wire_encode(desc, obj, &b), 0);
    act_send(self, to, wire_type_name(desc), b.data, b.len);
    act_buf_free(&b);
}

static void fs_answer_registration(act_actor *self, const act_pid *to)
{
    wire_executor_registered_message r;
    wire_init(WIRE_DESC(executor_registered_message), &r);
    r.executor_info.executor_id.value = EX_ID;
    r.executor_info.command.has_value = true;
    r.executor_info.command.value = "mesos-executor";
    r.framework_id.value = FW_ID;
    r.framework_info.user = "tester";
    r.framework_info.name = "test-framework";
    r.slave_id.value = SLAVE_ID;
    r.slave_info.hostname = "host1";
    fs_reply(self, to, WIRE_DESC(executor_registered_message), &r);
}

static void fs_answer_update(act_actor *self, const act_pid *to, const wire_msg *m)
{
    const wire_status_update *u = &((wire_status_update_message *)m->root)->update;
    wire_status_update_acknowledgement_message a = {
        .slave_id = {SLAVE_ID},
        .framework_id = u->framework_id,
        .task_id = u->status.task_id,
        .uuid = u->uuid,
    };
    fs_reply(self, to, WIRE_DESC(status_update_acknowledgement_message), &a);
}

static void fs_record(act_actor *self, const act_msg *msg)
{
    fake_slave *fs = act_state(self);
    wire_msg *m = NULL;
    wire_decode_by_name(msg->name, msg->body, msg->len, &m, NULL, 0);
    pthread_mutex_lock(&fs->mu);
    fs->executor = msg->from;
    if (fs->ngot == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 64;
        fs->got = realloc(fs->got, fs->cap * sizeof *fs->got);
    }
    snprintf(fs->got[fs->ngot].name, sizeof fs->got[fs->ngot].name, "%s", msg->name);
    fs->got[fs->ngot++].msg = m;
    bool reg = fs->auto_register, ack = fs->auto_ack;
    pthread_cond_broadcast(&fs->cv);
    pthread_mutex_unlock(&fs->mu);
    if (reg && strcmp(msg->name, NAME(register_executor_message)) == 0)
        fs_answer_registration(self, &msg->from);
    if (ack && m && strcmp(msg->name, NAME(status_update_message)) == 0)
        fs_answer_update(self, &msg->from, m);
}

static void fs_start(fake_slave *fs, const char *name)
{
    memset(fs, 0, sizeof *fs);
    pthread_mutex_init(&fs->mu, NULL);
    pthread_cond_init(&fs->cv, NULL);
    act_actor *a = act_new(name, fs);
    for (size_t i = 0; i < sizeof executor_messages / sizeof executor_messages[0]; i++)
        act_on_message(a, wire_type_name(executor_messages[i]), fs_record);
    fs->self = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
}

static void fs_free(fake_slave *fs)
{
    for (size_t i = 0; i < fs->ngot; i++) wire_msg_free(fs->got[i].msg);
    free(fs->got);
    fs->got = NULL;
    fs->ngot = fs->cap = 0;
}

static size_t fs_count_locked(fake_slave *fs, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < fs->ngot; i++) n += strcmp(fs->got[i].name, name) == 0;
    return n;
}

static size_t fs_count(fake_slave *fs, const char *name)
{
    pthread_mutex_lock(&fs->mu);
    size_t n = fs_count_locked(fs, name);
    pthread_mutex_unlock(&fs->mu);
    return n;
}

/* Waits (real time, bounded) until `n` messages named `name` have arrived. */
static bool fs_wait(fake_slave *fs, const char *name, size_t n, double secs)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)secs;
    pthread_mutex_lock(&fs->mu);
    int rc = 0;
    while (fs_count_locked(fs, name) < n && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&fs->cv, &fs->mu, &until);
    bool ok = fs_count_locked(fs, name) >= n;
    pthread_mutex_unlock(&fs->mu);
    return ok;
}

/* The decoded root of the i-th message named `name`, or NULL. Valid until fs_free. */
static void *fs_nth(fake_slave *fs, const char *name, size_t i)
{
    void *root = NULL;
    pthread_mutex_lock(&fs->mu);
    for (size_t k = 0; k < fs->ngot && !root; k++)
        if (strcmp(fs->got[k].name, name) == 0 && i-- == 0)
            root = fs->got[k].msg ? fs->got[k].msg->root : NULL;
    pthread_mutex_unlock(&fs->mu);
    return root;
}

static act_pid fs_executor(fake_slave *fs)
{
    pthread_mutex_lock(&fs->mu);
    act_pid p = fs->executor;
    pthread_mutex_unlock(&fs->mu);
    return p;
}

typedef struct outgoing {
    act_pid to;
    char name[96];
    act_buf body;
} outgoing;

static void fs_send_now(act_actor *self, void *arg)
{
    outgoing *o = arg;
    if (self) act_send(self, &o->to, o->name, o->body.data, o->body.len);
    act_buf_free(&o->body);
    free(o);
}

/* Sends raw bytes named `name` from the fake slave to the executor it last heard from. */
static void fs_send_raw(fake_slave *fs, const char *name, const void *body, size_t len)
{
    outgoing *o = calloc(1, sizeof *o);
    o->to = fs_executor(fs);
    snprintf(o->name, sizeof o->name, "%s", name);
    act_buf_append(&o->body, body, len);
    ck_assert_int_eq(act_dispatch(&fs->self, fs_send_now, o), 0);
}

static void fs_send(fake_slave *fs, const wire_desc *desc, const void *obj)
{
    act_buf b = {0};
    ck_assert_int_eq(wire_encode(desc, obj, &b), 0);
    fs_send_raw(fs, wire_type_name(desc), b.data, b.len);
    act_buf_free(&b);
}

/* ---- messages the fake slave sends ----------------------------------------------------- */

static void send_run_task_cmd(fake_slave *fs, const char *task_id, wire_command_info *cmd,
                              const char *data)
{
    wire_run_task_message m;
    wire_init(WIRE_DESC(run_task_message), &m);
    m.framework_id.value = FW_ID;
    m.framework.user = "tester";
    m.framework.name = "test-framework";
    m.pid = "scheduler-1@127.0.0.1:1";
    m.task.name = "task";
    m.task.task_id.value = (char *)task_id;
    m.task.slave_id.value = SLAVE_ID;
    m.task.command = cmd;
    if (data) {
        m.task.has_data = true;
        m.task.data = (wire_bytes){(uint8_t *)data, strlen(data)};
    }
    fs_send(fs, WIRE_DESC(run_task_message), &m);
}

/* A task whose command is `command` run by the shell. */
static void send_run_task(fake_slave *fs, const char *task_id, const char *command,
                          const char *data)
{
    wire_command_info cmd;
    wire_init(WIRE_DESC(command_info), &cmd);
    cmd.has_value = true;
    cmd.value = (char *)command;
    send_run_task_cmd(fs, task_id, &cmd, data);
}

static void send_kill_task(fake_slave *fs, const char *task_id)
{
    wire_kill_task_message m = {.framework_id = {FW_ID}, .task_id = {(char *)task_id}};
    fs_send(fs, WIRE_DESC(kill_task_message), &m);
}

static void send_shutdown(fake_slave *fs)
{
    wire_shutdown_executor_message m;
    wire_init(WIRE_DESC(shutdown_executor_message), &m);
    fs_send(fs, WIRE_DESC(shutdown_executor_message), &m);
}

static void send_ack(fake_slave *fs, const wire_status_update *u)
{
    wire_status_update_acknowledgement_message a = {
        .slave_id = {SLAVE_ID},
        .framework_id = u->framework_id,
        .task_id = u->status.task_id,
        .uuid = u->uuid,
    };
    fs_send(fs, WIRE_DESC(status_update_acknowledgement_message), &a);
}

static void set_env(const fake_slave *fs, bool checkpoint)
{
    char pid[ACT_PID_STRLEN];
    setenv("MESOS_SLAVE_PID", act_pid_format(&fs->self, pid, sizeof pid), 1);
    setenv("MESOS_FRAMEWORK_ID", FW_ID, 1);
    setenv("MESOS_EXECUTOR_ID", EX_ID, 1);
    setenv("MESOS_DIRECTORY", "/tmp", 1);
    setenv("MESOS_SANDBOX", "/tmp", 1);
    setenv("MESOS_CHECKPOINT", checkpoint ? "1" : "0", 1);
    setenv("MESOS_RECOVERY_TIMEOUT", "15mins", 1);
    setenv("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "5secs", 1);
}

/* ---- the recording executor ------------------------------------------------------------ */

typedef struct recorder {
    pthread_mutex_t mu;
    int registered, reregistered, disconnected, launched, killed, messages, shutdowns;
    int errors, acked;
    char executor_id[128], framework_name[128], hostname[128], task_id[128], killed_id[128];
    char data[128], error[512], acked_task[128];
    wire_task_state acked_state;
} recorder;

static fake_slave fs, other;
static recorder rec;
static exec_driver *drv;

static int rec_int(const int *field)
{
    pthread_mutex_lock(&rec.mu);
    int v = *field;
    pthread_mutex_unlock(&rec.mu);
    return v;
}

static void copy_str(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src); }

static void cb_registered(exec_driver *d, const wire_executor_info *ei,
                          const wire_framework_info *fi, const wire_slave_info *si)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->registered++;
    copy_str(r->executor_id, sizeof r->executor_id, ei->executor_id.value);
    copy_str(r->framework_name, sizeof r->framework_name, fi->name);
    copy_str(r->hostname, sizeof r->hostname, si->hostname);
    pthread_mutex_unlock(&r->mu);
}

static void cb_reregistered(exec_driver *d, const wire_slave_info *si)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->reregistered++;
    copy_str(r->hostname, sizeof r->hostname, si->hostname);
    pthread_mutex_unlock(&r->mu);
}

static void cb_disconnected(exec_driver *d)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->disconnected++;
    pthread_mutex_unlock(&r->mu);
}

static void cb_launch(exec_driver *d, const wire_task_info *t)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->launched++;
    copy_str(r->task_id, sizeof r->task_id, t->task_id.value);
    pthread_mutex_unlock(&r->mu);
}

static void cb_kill(exec_driver *d, const wire_task_id *id)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->killed++;
    copy_str(r->killed_id, sizeof r->killed_id, id->value);
    pthread_mutex_unlock(&r->mu);
}

static void cb_message(exec_driver *d, const uint8_t *data, size_t len)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->messages++;
    snprintf(r->data, sizeof r->data, "%.*s", (int)len, (const char *)data);
    pthread_mutex_unlock(&r->mu);
}

static void cb_shutdown(exec_driver *d)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->shutdowns++;
    pthread_mutex_unlock(&r->mu);
}

static void cb_error(exec_driver *d, const char *message)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->errors++;
    copy_str(r->error, sizeof r->error, message);
    pthread_mutex_unlock(&r->mu);
}

static void cb_acked(exec_driver *d, const wire_task_status *s)
{
    recorder *r = exec_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->acked++;
    copy_str(r->acked_task, sizeof r->acked_task, s->task_id.value);
    r->acked_state = s->state;
    pthread_mutex_unlock(&r->mu);
}

static const exec_executor executor = {
    .registered = cb_registered,
    .reregistered = cb_reregistered,
    .disconnected = cb_disconnected,
    .launch_task = cb_launch,
    .kill_task = cb_kill,
    .framework_message = cb_message,
    .shutdown = cb_shutdown,
    .error = cb_error,
    .acknowledged = cb_acked,
};

/* ---- fixture and helpers --------------------------------------------------------------- */

static void setup(void)
{
    act_clock_pause();
    tu_runtime_start(1);
    memset(&rec, 0, sizeof rec);
    pthread_mutex_init(&rec.mu, NULL);
    fs_start(&fs, "slave(1)");
    memset(&other, 0, sizeof other);
    set_env(&fs, true);
    setenv("MESOS_LOCAL", "1", 1);
    drv = NULL;
}

static void teardown(void)
{
    exec_driver_free(drv);
    drv = NULL;
    act_shutdown();
    fs_free(&fs);
    fs_free(&other);
    unsetenv("MESOS_LOCAL");
    act_clock_resume();
}

static void settle(void) { ck_assert_int_eq(act_clock_settle(), 0); }

static void advance(double secs)
{
    act_clock_advance(secs);
    settle();
}

static void start_driver(void)
{
    drv = exec_driver_new(&executor, &rec);
    ck_assert_int_eq(exec_driver_start(drv), EXEC_DRIVER_RUNNING);
    settle();
}

/* Starts the driver and registers it with the fake slave. */
static void register_driver(void)
{
    fs.auto_register = true;
    start_driver();
    ck_assert_uint_eq(fs_count(&fs, NAME(register_executor_message)), 1);
    ck_assert_int_eq(rec_int(&rec.registered), 1);
}

static void send_status(const char *task_id, wire_task_state state)
{
    wire_task_status st;
    wire_init(WIRE_DESC(task_status), &st);
    st.task_id.value = (char *)task_id;
    st.state = state;
    ck_assert_int_eq(exec_driver_send_status_update(drv, &st), EXEC_DRIVER_RUNNING);
    settle();
}

static wire_status_update *update_nth(fake_slave *s, size_t i)
{
    wire_status_update_message *m = fs_nth(s, NAME(status_update_message), i);
    ck_assert_ptr_nonnull(m);
    return &m->update;
}

/* ---- registration ---------------------------------------------------------------------- */

START_TEST(test_registers_with_the_slave_from_the_environment)
{
    start_driver();
    ck_assert_uint_eq(fs_count(&fs, NAME(register_executor_message)), 1);
    wire_register_executor_message *m = fs_nth(&fs, NAME(register_executor_message), 0);
    ck_assert_str_eq(m->framework_id.value, FW_ID);
    ck_assert_str_eq(m->executor_id.value, EX_ID);
    act_pid from = fs_executor(&fs);
    ck_assert_int_eq(strncmp(from.id, "executor(", 9), 0); /* executor(1) in a fresh process */
    ck_assert_int_eq(rec_int(&rec.registered), 0);

    fs.auto_register = true;
    wire_executor_registered_message r;
    wire_init(WIRE_DESC(executor_registered_message), &r);
    r.executor_info.executor_id.value = EX_ID;
    r.framework_id.value = FW_ID;
    r.framework_info.user = "tester";
    r.framework_info.name = "test-framework";
    r.slave_id.value = SLAVE_ID;
    r.slave_info.hostname = "host1";
    fs_send(&fs, WIRE_DESC(executor_registered_message), &r);
    settle();
    ck_assert_int_eq(rec_int(&rec.registered), 1);
    ck_assert_str_eq(rec.executor_id, EX_ID);
    ck_assert_str_eq(rec.framework_name, "test-framework");
    ck_assert_str_eq(rec.hostname, "host1");
}
END_TEST

START_TEST(test_missing_environment_aborts_with_an_error_naming_it)
{
    unsetenv("MESOS_EXECUTOR_ID");
    drv = exec_driver_new(&executor, &rec);
    ck_assert_int_eq(exec_driver_start(drv), EXEC_DRIVER_ABORTED);
    ck_assert_int_eq(rec_int(&rec.errors), 1);
    ck_assert_ptr_nonnull(strstr(rec.error, "MESOS_EXECUTOR_ID"));
    ck_assert_int_eq(exec_driver_join(drv), EXEC_DRIVER_ABORTED);
    settle();
    ck_assert_uint_eq(fs_count(&fs, NAME(register_executor_message)), 0);
}
END_TEST

START_TEST(test_bad_recovery_timeout_aborts)
{
    setenv("MESOS_RECOVERY_TIMEOUT", "15", 1); /* no unit */
    drv = exec_driver_new(&executor, &rec);
    ck_assert_int_eq(exec_driver_start(drv), EXEC_DRIVER_ABORTED);
    ck_assert_ptr_nonnull(strstr(rec.error, "MESOS_RECOVERY_TIMEOUT"));
}
END_TEST

START_TEST(test_messages_from_another_actor_are_ignored)
{
    register_driver();
    fs_start(&other, "impostor");
    pthread_mutex_lock(&other.mu);
    other.executor = fs_executor(&fs);
    pthread_mutex_unlock(&other.mu);
    send_run_task(&other, "t-1", "true", NULL);
    send_shutdown(&other);
    settle();
    ck_assert_int_eq(rec_int(&rec.launched), 0);
    ck_assert_int_eq(rec_int(&rec.shutdowns), 0);
    send_run_task(&fs, "t-1", "true", NULL);
    settle();
    ck_assert_int_eq(rec_int(&rec.launched), 1);
}
END_TEST

START_TEST(test_malformed_message_is_dropped_and_the_driver_keeps_working)
{
    register_driver();
    fs_send_raw(&fs, NAME(run_task_message), "\x81\xa4junk\xc1", 7);
    fs_send_raw(&fs, NAME(kill_task_message), "", 0);
    settle();
    ck_assert_int_eq(rec_int(&rec.launched) + rec_int(&rec.killed), 0);
    send_run_task(&fs, "t-1", "true", NULL);
    settle();
    ck_assert_int_eq(rec_int(&rec.launched), 1);
}
END_TEST

/* ---- tasks, updates, messages ---------------------------------------------------------- */

START_TEST(test_run_task_reaches_launch_task_once)
{
    register_driver();
    send_run_task(&fs, "t-1", "true", NULL);
    settle();
    ck_assert_int_eq(rec_int(&rec.launched), 1);
    ck_assert_str_eq(rec.task_id, "t-1");
    send_run_task(&fs, "t-1", "true", NULL); /* a duplicate launch is dropped */
    settle();
    ck_assert_int_eq(rec_int(&rec.launched), 1);
}
END_TEST

START_TEST(test_status_update_is_sent_with_ids_and_a_uuid_and_kept_until_acked)
{
    register_driver();
    send_run_task(&fs, "t-1", "true", NULL);
    send_status("t-1", WIRE_TASK_RUNNING);
    ck_assert_uint_eq(fs_count(&fs, NAME(status_update_message)), 1);
    wire_status_update_message *m = fs_nth(&fs, NAME(status_update_message), 0);
    char self[ACT_PID_STRLEN];
    act_pid ex = fs_executor(&fs);
    ck_assert_str_eq(m->pid, act_pid_format(&ex, self, sizeof self));
    wire_status_update *u = &m->update;
    ck_assert_str_eq(u->framework_id.value, FW_ID);
    ck_assert_str_eq(u->executor_id->value, EX_ID);
    ck_assert_str_eq(u->slave_id->value, SLAVE_ID);
    ck_assert_uint_eq(u->uuid.len, 16);
    ck_assert_str_eq(u->status.task_id.value, "t-1");
    ck_assert_int_eq(u->status.state, WIRE_TASK_RUNNING);
    ck_assert(u->status.has_source && u->status.source == WIRE_SOURCE_EXECUTOR);
    ck_assert(u->status.has_timestamp);

    /* The driver never resends: the slave's status update manager does. */
    advance(600);
    ck_assert_uint_eq(fs_count(&fs, NAME(status_update_message)), 1);

    send_ack(&fs, u);
    settle();
    ck_assert_int_eq(rec_int(&rec.acked), 1);
    ck_assert_str_eq(rec.acked_task, "t-1");
    ck_assert_int_eq(rec.acked_state, WIRE_TASK_RUNNING);
    send_ack(&fs, u); /* unknown now: ignored */
    settle();
    ck_assert_int_eq(rec_int(&rec.acked), 1);
}
END_TEST

START_TEST(test_two_updates_get_distinct_uuids)
{
    register_driver();
    send_status("t-1", WIRE_TASK_RUNNING);
    send_status("t-1", WIRE_TASK_FINISHED);
    wire_status_update *a = update_nth(&fs, 0), *b = update_nth(&fs, 1);
    ck_assert_int_eq(b->status.state, WIRE_TASK_FINISHED);
    ck_assert(memcmp(a->uuid.data, b->uuid.data, 16) != 0);
}
END_TEST

START_TEST(test_staging_update_aborts_with_an_error)
{
    register_driver();
    wire_task_status st;
    wire_init(WIRE_DESC(task_status), &st);
    st.task_id.value = "t-1";
    st.state = WIRE_TASK_STAGING;
    exec_driver_send_status_update(drv, &st);
    settle();
    ck_assert_uint_eq(fs_count(&fs, NAME(status_update_message)), 0);
    ck_assert_int_eq(rec_int(&rec.errors), 1);
    ck_assert_int_eq(exec_driver_join(drv), EXEC_DRIVER_ABORTED);
}
END_TEST

START_TEST(test_kill_and_framework_messages_reach_callbacks)
{
    register_driver();
    send_kill_task(&fs, "t-9");
    wire_framework_to_executor_message fm = {
        .slave_id = {SLAVE_ID}, .framework_id = {FW_ID}, .executor_id = {EX_ID},
        .data = {(uint8_t *)"ping", 4},
    };
    fs_send(&fs, WIRE_DESC(framework_to_executor_message), &fm);
    settle();
    ck_assert_int_eq(rec_int(&rec.killed), 1);
    ck_assert_str_eq(rec.killed_id, "t-9");
    ck_assert_int_eq(rec_int(&rec.messages), 1);
    ck_assert_str_eq(rec.data, "ping");

    ck_assert_int_eq(exec_driver_send_framework_message(drv, "pong", 4), EXEC_DRIVER_RUNNING);
    settle();
    wire_executor_to_framework_message *out =
        fs_nth(&fs, NAME(executor_to_framework_message), 0);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out->slave_id.value, SLAVE_ID);
    ck_assert_str_eq(out->framework_id.value, FW_ID);
    ck_assert_str_eq(out->executor_id.value, EX_ID);
    ck_assert_uint_eq(out->data.len, 4);
    ck_assert(memcmp(out->data.data, "pong", 4) == 0);
}
END_TEST

/* ---- shutdown, disconnection, recovery ------------------------------------------------- */

START_TEST(test_shutdown_reaches_the_callback_and_ends_the_driver_after_the_grace)
{
    register_driver();
    send_shutdown(&fs);
    settle();
    ck_assert_int_eq(rec_int(&rec.shutdowns), 1);
    send_run_task(&fs, "t-1", "true", NULL); /* after a shutdown nothing more is launched */
    send_shutdown(&fs);
    settle();
    ck_assert_int_eq(rec_int(&rec.launched), 0);
    ck_assert_int_eq(rec_int(&rec.shutdowns), 1);
    /* Updates still go out (a command executor reports TASK_KILLED while shutting down). */
    send_status("t-0", WIRE_TASK_KILLED);
    ck_assert_uint_eq(fs_count(&fs, NAME(status_update_message)), 1);
    advance(4.9);
    ck_assert_int_eq(exec_driver_stop(drv), EXEC_DRIVER_STOPPED);
    ck_assert_int_eq(exec_driver_join(drv), EXEC_DRIVER_STOPPED);
}
END_TEST

START_TEST(test_local_mode_stops_the_driver_when_the_grace_runs_out)
{
    register_driver();
    send_shutdown(&fs);
    settle();
    advance(4.9);
    ck_assert_int_eq(exec_driver_send_framework_message(drv, "x", 1), EXEC_DRIVER_RUNNING);
    advance(0.2);
    ck_assert_int_eq(exec_driver_join(drv), EXEC_DRIVER_STOPPED);
}
END_TEST

START_TEST(test_without_checkpointing_a_lost_slave_means_shutdown)
{
    set_env(&fs, false);
    register_driver();
    act_terminate(&fs.self);
    settle();
    ck_assert_int_eq(rec_int(&rec.shutdowns), 1);
    ck_assert_int_eq(rec_int(&rec.disconnected), 0);
}
END_TEST

/* Registers, runs t-1 and t-2, sends one update for each and has the slave ack t-1's. */
static void two_tasks_one_acked(void)
{
    register_driver();
    send_run_task(&fs, "t-1", "true", NULL);
    send_run_task(&fs, "t-2", "true", NULL);
    send_status("t-1", WIRE_TASK_RUNNING);
    send_status("t-2", WIRE_TASK_RUNNING);
    send_ack(&fs, update_nth(&fs, 0));
    settle();
    ck_assert_int_eq(rec_int(&rec.acked), 1);
}

static void send_reconnect(fake_slave *s, const char *slave_id)
{
    wire_reconnect_executor_message m = {.slave_id = {(char *)slave_id}};
    fs_send(s, WIRE_DESC(reconnect_executor_message), &m);
    settle();
}

/* A restarted slave: a new actor that knows the executor's pid from the checkpoint. */
static void restart_slave(void)
{
    act_pid ex = fs_executor(&fs);
    act_terminate(&fs.self);
    settle();
    fs_start(&other, "slave(2)");
    pthread_mutex_lock(&other.mu);
    other.executor = ex;
    pthread_mutex_unlock(&other.mu);
}

START_TEST(test_reconnecting_slave_gets_unacknowledged_updates_and_tasks)
{
    two_tasks_one_acked();
    restart_slave();
    ck_assert_int_eq(rec_int(&rec.disconnected), 1);
    ck_assert_int_eq(rec_int(&rec.shutdowns), 0);

    /* While the slave is away updates are kept, not sent. */
    send_status("t-2", WIRE_TASK_FINISHED);
    send_reconnect(&other, SLAVE_ID);
    ck_assert_uint_eq(fs_count(&other, NAME(reregister_executor_message)), 1);
    wire_reregister_executor_message *r = fs_nth(&other, NAME(reregister_executor_message), 0);
    ck_assert_str_eq(r->executor_id.value, EX_ID);
    ck_assert_str_eq(r->framework_id.value, FW_ID);
    ck_assert_uint_eq(r->updates_count, 2); /* t-2 RUNNING and FINISHED */
    ck_assert_str_eq(r->updates[0].status.task_id.value, "t-2");
    ck_assert_int_eq(r->updates[0].status.state, WIRE_TASK_RUNNING);
    ck_assert_int_eq(r->updates[1].status.state, WIRE_TASK_FINISHED);
    ck_assert_uint_eq(r->tasks_count, 1); /* t-1 had an update acknowledged */
    ck_assert_str_eq(r->tasks[0].task_id.value, "t-2");
    ck_assert_uint_eq(fs_count(&other, NAME(status_update_message)), 0);

    wire_executor_reregistered_message rr;
    wire_init(WIRE_DESC(executor_reregistered_message), &rr);
    rr.slave_id.value = SLAVE_ID;
    rr.slave_info.hostname = "host2";
    fs_send(&other, WIRE_DESC(executor_reregistered_message), &rr);
    settle();
    ck_assert_int_eq(rec_int(&rec.reregistered), 1);
    ck_assert_str_eq(rec.hostname, "host2");
    ck_assert_uint_eq(fs_count(&other, NAME(status_update_message)), 0); /* nothing resent */

    /* The new slave is the slave now; the recovery timeout no longer matters. */
    send_run_task(&other, "t-3", "true", NULL);
    advance(16 * 60);
    ck_assert_int_eq(rec_int(&rec.launched), 3);
    ck_assert_int_eq(rec_int(&rec.shutdowns), 0);
    send_status("t-3", WIRE_TASK_RUNNING);
    ck_assert_uint_eq(fs_count(&other, NAME(status_update_message)), 1);
}
END_TEST

START_TEST(test_reconnect_for_another_slave_id_is_ignored)
{
    two_tasks_one_acked();
    restart_slave();
    send_reconnect(&other, "slave-other");
    ck_assert_uint_eq(fs_count(&other, NAME(reregister_executor_message)), 0);
}
END_TEST

START_TEST(test_recovery_timeout_shuts_the_executor_down)
{
    two_tasks_one_acked();
    restart_slave();
    advance(15 * 60 - 1);
    ck_assert_int_eq(rec_int(&rec.shutdowns), 0);
    advance(1);
    ck_assert_int_eq(rec_int(&rec.shutdowns), 1);
    send_reconnect(&other, SLAVE_ID); /* too late */
    ck_assert_uint_eq(fs_count(&other, NAME(reregister_executor_message)), 0);
    advance(5);
    ck_assert_int_eq(exec_driver_join(drv), EXEC_DRIVER_STOPPED);
}
END_TEST

START_TEST(test_abort_ignores_the_slave_and_stop_returns_aborted)
{
    register_driver();
    ck_assert_int_eq(exec_driver_abort(drv), EXEC_DRIVER_ABORTED);
    ck_assert_int_eq(exec_driver_join(drv), EXEC_DRIVER_ABORTED);
    send_run_task(&fs, "t-1", "true", NULL);
    settle();
    ck_assert_int_eq(rec_int(&rec.launched), 0);
    ck_assert_int_eq(exec_driver_send_framework_message(drv, "x", 1), EXEC_DRIVER_ABORTED);
    ck_assert_int_eq(exec_driver_stop(drv), EXEC_DRIVER_ABORTED);
    ck_assert_int_eq(exec_driver_join(drv), EXEC_DRIVER_STOPPED);
}
END_TEST

START_TEST(test_calls_before_start_return_not_started)
{
    drv = exec_driver_new(&executor, &rec);
    ck_assert_int_eq(exec_driver_send_framework_message(drv, "x", 1), EXEC_DRIVER_NOT_STARTED);
    ck_assert_int_eq(exec_driver_stop(drv), EXEC_DRIVER_NOT_STARTED);
    ck_assert_int_eq(exec_driver_join(drv), EXEC_DRIVER_NOT_STARTED);
    ck_assert_str_eq(exec_status_name(EXEC_DRIVER_RUNNING), "DRIVER_RUNNING");
}
END_TEST

/* ---- the real binaries ------------------------------------------------------------------ */

static char *sandbox;
static char out_path[4200];
static int child_pid;

static void setup_proc(void)
{
    tu_runtime_start(1);
    fs_start(&fs, "slave(1)");
    fs.auto_register = true;
    fs.auto_ack = true;
    memset(&other, 0, sizeof other);
    set_env(&fs, false);
    unsetenv("MESOS_LOCAL");
    sandbox = tu_tmpdir();
    setenv("MESOS_DIRECTORY", sandbox, 1);
    setenv("MESOS_SANDBOX", sandbox, 1);
    snprintf(out_path, sizeof out_path, "%s/stdout", sandbox);
    child_pid = -1;
}

static void teardown_proc(void)
{
    if (child_pid > 0) tu_stop(child_pid, SIGKILL, 10);
    if (act_initialized()) act_shutdown();
    fs_free(&fs);
    tu_rmrf(sandbox);
    free(sandbox);
}

/* Starts build/check/bin/<name> with its stdout and stderr in the sandbox's stdout file and
 * waits for it to register with the fake slave. */
static void spawn_executor(const char *name)
{
    char *argv[] = {(char *)tu_bin(name), NULL};
    child_pid = tu_spawn(argv, out_path);
    ck_assert_int_gt(child_pid, 0);
    ck_assert_msg(fs_wait(&fs, NAME(register_executor_message), 1, 30),
                  "%s did not register", name);
}

/* Waits (bounded) for the executor process to exit; returns its exit code, -1 otherwise. */
static int wait_exit(double secs)
{
    int status = tu_stop(child_pid, 0, secs);
    child_pid = -1;
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void wait_updates(size_t n)
{
    ck_assert_msg(fs_wait(&fs, NAME(status_update_message), n, 30),
                  "expected %zu status updates, got %zu", n,
                  fs_count(&fs, NAME(status_update_message)));
}

static char *read_output(void)
{
    char *text = tu_read_file(out_path);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* The pid the command executor printed for its task ("Forked command at N"). */
static int forked_pid(void)
{
    char *out = read_output();
    const char *p = strstr(out, "Forked command at ");
    int pid = p ? atoi(p + strlen("Forked command at ")) : -1;
    free(out);
    return pid;
}

/* Waits (bounded) until the task printed `text`: the file is all there is to watch. */
static bool wait_output(const char *text, double secs)
{
    for (int i = 0; i < (int)(secs * 100); i++) {
        char *out = read_output();
        bool found = strstr(out, text) != NULL;
        free(out);
        if (found) return true;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

START_TEST(test_command_executor_reports_the_exit_status)
{
    spawn_executor("mesos-executor");
    send_run_task(&fs, "t-1", "echo hello; exit 3", NULL);
    wait_updates(2);
    wire_status_update *running = update_nth(&fs, 0), *failed = update_nth(&fs, 1);
    ck_assert_str_eq(running->status.task_id.value, "t-1");
    ck_assert_int_eq(running->status.state, WIRE_TASK_RUNNING);
    ck_assert_int_eq(failed->status.state, WIRE_TASK_FAILED);
    ck_assert_ptr_nonnull(strstr(failed->status.message, "exited with status 3"));
    ck_assert_int_eq(wait_exit(30), 0);
    char *out = read_output();
    ck_assert_ptr_nonnull(strstr(out, "hello\n"));
    free(out);
}
END_TEST

START_TEST(test_command_executor_runs_argv_without_a_shell_and_finishes)
{
    spawn_executor("mesos-executor");
    wire_environment_variable var = {.name = "GREETING", .value = "from-env"};
    wire_environment env = {.variables = &var, .variables_count = 1};
    char *args[] = {"sh", "-c", "echo argv-mode $GREETING $0", "dollar-zero"};
    wire_command_info cmd;
    wire_init(WIRE_DESC(command_info), &cmd);
    cmd.has_value = true;
    cmd.value = "sh";
    cmd.has_shell = true;
    cmd.shell = false;
    cmd.arguments = args;
    cmd.arguments_count = 4;
    cmd.environment = &env;
    send_run_task_cmd(&fs, "t-1", &cmd, NULL);
    wait_updates(2);
    ck_assert_int_eq(update_nth(&fs, 1)->status.state, WIRE_TASK_FINISHED);
    ck_assert_int_eq(wait_exit(30), 0);
    char *out = read_output();
    ck_assert_ptr_nonnull(strstr(out, "argv-mode from-env dollar-zero\n"));
    free(out);
}
END_TEST

START_TEST(test_command_executor_kills_the_task_group_and_refuses_a_second_task)
{
    spawn_executor("mesos-executor");
    send_run_task(&fs, "t-1", "sleep 1000 & sleep 1000", NULL);
    wait_updates(1);
    ck_assert_int_eq(update_nth(&fs, 0)->status.state, WIRE_TASK_RUNNING);
    int pgid = forked_pid();
    ck_assert_int_gt(pgid, 0);
    ck_assert_int_eq(kill(-pgid, 0), 0);

    send_run_task(&fs, "t-2", "true", NULL);
    wait_updates(2);
    wire_status_update *second = update_nth(&fs, 1);
    ck_assert_str_eq(second->status.task_id.value, "t-2");
    ck_assert_int_eq(second->status.state, WIRE_TASK_FAILED);

    send_kill_task(&fs, "t-1");
    wait_updates(3);
    wire_status_update *killed = update_nth(&fs, 2);
    ck_assert_str_eq(killed->status.task_id.value, "t-1");
    ck_assert_int_eq(killed->status.state, WIRE_TASK_KILLED);
    ck_assert_ptr_nonnull(strstr(killed->status.message, "signal"));
    ck_assert(tu_wait_group_gone(pgid, 10));
    ck_assert_int_eq(wait_exit(30), 0);
}
END_TEST

START_TEST(test_command_executor_escalates_to_sigkill)
{
    spawn_executor("mesos-executor");
    send_run_task(&fs, "t-1", "trap '' TERM; echo ready; sleep 1000", NULL);
    wait_updates(1);
    ck_assert(wait_output("ready\n", 10)); /* the trap is in place */
    int pgid = forked_pid();
    ck_assert_int_gt(pgid, 0);
    send_kill_task(&fs, "t-1");
    wait_updates(2);
    wire_status_update *killed = update_nth(&fs, 1);
    ck_assert_int_eq(killed->status.state, WIRE_TASK_KILLED);
    ck_assert_msg(strstr(killed->status.message, "signal 9"), "message: %s",
                  killed->status.message);
    ck_assert(tu_wait_group_gone(pgid, 10));
    ck_assert_int_eq(wait_exit(30), 0);
}
END_TEST

START_TEST(test_command_executor_shutdown_kills_the_task_and_exits)
{
    spawn_executor("mesos-executor");
    send_run_task(&fs, "t-1", "sleep 1000", NULL);
    wait_updates(1);
    int pgid = forked_pid();
    send_shutdown(&fs);
    wait_updates(2);
    ck_assert_int_eq(update_nth(&fs, 1)->status.state, WIRE_TASK_KILLED);
    ck_assert(tu_wait_group_gone(pgid, 10));
    ck_assert_int_eq(wait_exit(30), 0);
}
END_TEST

START_TEST(test_command_executor_without_environment_exits_1)
{
    unsetenv("MESOS_SLAVE_PID");
    char *argv[] = {(char *)tu_bin("mesos-executor"), NULL};
    child_pid = tu_spawn(argv, out_path);
    ck_assert_int_eq(wait_exit(30), 1);
    char *out = read_output();
    ck_assert_ptr_nonnull(strstr(out, "MESOS_SLAVE_PID"));
    free(out);
}
END_TEST

START_TEST(test_example_executor_prints_task_data_for_each_task)
{
    spawn_executor("example-executor");
    send_run_task(&fs, "t-1", "ignored", "data of task one");
    send_run_task(&fs, "t-2", "ignored", "data of task two");
    wait_updates(4);
    ck_assert_int_eq(update_nth(&fs, 0)->status.state, WIRE_TASK_RUNNING);
    ck_assert_int_eq(update_nth(&fs, 1)->status.state, WIRE_TASK_FINISHED);
    ck_assert_str_eq(update_nth(&fs, 3)->status.task_id.value, "t-2");
    ck_assert_int_eq(update_nth(&fs, 3)->status.state, WIRE_TASK_FINISHED);
    send_shutdown(&fs);
    ck_assert_int_eq(wait_exit(30), 0);
    char *out = read_output();
    ck_assert_ptr_nonnull(strstr(out, "data of task one\n"));
    ck_assert_ptr_nonnull(strstr(out, "data of task two\n"));
    free(out);
}
END_TEST


/* The slave process goes away: the test's runtime shuts down, which breaks the connection. */
static uint16_t stop_slave_runtime(act_pid *executor_pid)
{
    uint16_t port = act_port();
    *executor_pid = fs_executor(&fs);
    act_shutdown();
    fs_free(&fs);
    return port;
}

/* The slave comes back on the same address, as a restarted slave does. */
static void restart_slave_runtime(uint16_t port, const act_pid *executor_pid)
{
    act_config c = tu_loopback_config();
    c.port = port;
    tu_runtime_start_config(&c);
    fs_start(&fs, "slave(1)");
    fs.auto_ack = true;
    fs.executor = *executor_pid;
}

START_TEST(test_command_executor_hands_its_buffered_update_to_a_restarted_slave)
{
    setenv("MESOS_CHECKPOINT", "1", 1);
    spawn_executor("mesos-executor");
    send_run_task(&fs, "t-1", "sleep 1000", NULL);
    wait_updates(1);
    int pgid = forked_pid();
    ck_assert_int_gt(pgid, 0);
    act_pid executor_pid;
    uint16_t port = stop_slave_runtime(&executor_pid);
    ck_assert(wait_output("waiting for it to come back", 20));

    kill(-pgid, SIGKILL); /* the task ends while the slave is away */
    ck_assert(wait_output("until it reconnects", 20));
    restart_slave_runtime(port, &executor_pid);
    send_reconnect(&fs, SLAVE_ID);
    ck_assert(fs_wait(&fs, NAME(reregister_executor_message), 1, 30));
    wire_reregister_executor_message *r = fs_nth(&fs, NAME(reregister_executor_message), 0);
    ck_assert_uint_eq(r->updates_count, 1);
    ck_assert_int_eq(r->updates[0].status.state, WIRE_TASK_FAILED);
    ck_assert_ptr_nonnull(strstr(r->updates[0].status.message, "signal 9"));
    ck_assert_uint_eq(r->tasks_count, 0); /* its RUNNING update was acknowledged */

    wire_executor_reregistered_message rr;
    wire_init(WIRE_DESC(executor_reregistered_message), &rr);
    rr.slave_id.value = SLAVE_ID;
    rr.slave_info.hostname = "host1";
    fs_send(&fs, WIRE_DESC(executor_reregistered_message), &rr);
    ck_assert_int_eq(wait_exit(30), 0);
    ck_assert_uint_eq(fs_count(&fs, NAME(status_update_message)), 0); /* nothing resent */
}
END_TEST

START_TEST(test_command_executor_exits_when_no_slave_returns_in_time)
{
    setenv("MESOS_CHECKPOINT", "1", 1);
    setenv("MESOS_RECOVERY_TIMEOUT", "1secs", 1);
    spawn_executor("mesos-executor");
    send_run_task(&fs, "t-1", "sleep 1000", NULL);
    wait_updates(1);
    int pgid = forked_pid();
    ck_assert_int_gt(pgid, 0);
    act_pid executor_pid;
    stop_slave_runtime(&executor_pid);
    ck_assert_int_eq(wait_exit(30), 0);
    ck_assert(tu_wait_group_gone(pgid, 10));
    ck_assert(wait_output("recovery timeout", 1));
}
END_TEST

/* ---- suite ----------------------------------------------------------------------------- */

static TCase *tcase(const char *name, void (*up)(void), void (*down)(void))
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, up, down);
    tcase_set_timeout(tc, 90);
    return tc;
}

Suite *exec_suite(void)
{
    Suite *s = suite_create("exec");
    TCase *tc = tcase("driver", setup, teardown);
    tcase_add_test(tc, test_registers_with_the_slave_from_the_environment);
    tcase_add_test(tc, test_missing_environment_aborts_with_an_error_naming_it);
    tcase_add_test(tc, test_bad_recovery_timeout_aborts);
    tcase_add_test(tc, test_messages_from_another_actor_are_ignored);
    tcase_add_test(tc, test_malformed_message_is_dropped_and_the_driver_keeps_working);
    tcase_add_test(tc, test_run_task_reaches_launch_task_once);
    tcase_add_test(tc, test_status_update_is_sent_with_ids_and_a_uuid_and_kept_until_acked);
    tcase_add_test(tc, test_two_updates_get_distinct_uuids);
    tcase_add_test(tc, test_staging_update_aborts_with_an_error);
    tcase_add_test(tc, test_kill_and_framework_messages_reach_callbacks);
    tcase_add_test(tc, test_shutdown_reaches_the_callback_and_ends_the_driver_after_the_grace);
    tcase_add_test(tc, test_local_mode_stops_the_driver_when_the_grace_runs_out);
    tcase_add_test(tc, test_without_checkpointing_a_lost_slave_means_shutdown);
    tcase_add_test(tc, test_reconnecting_slave_gets_unacknowledged_updates_and_tasks);
    tcase_add_test(tc, test_reconnect_for_another_slave_id_is_ignored);
    tcase_add_test(tc, test_recovery_timeout_shuts_the_executor_down);
    tcase_add_test(tc, test_abort_ignores_the_slave_and_stop_returns_aborted);
    tcase_add_test(tc, test_calls_before_start_return_not_started);
    suite_add_tcase(s, tc);

    tc = tcase("binaries", setup_proc, teardown_proc);
    tcase_add_test(tc, test_command_executor_reports_the_exit_status);
    tcase_add_test(tc, test_command_executor_runs_argv_without_a_shell_and_finishes);
    tcase_add_test(tc, test_command_executor_kills_the_task_group_and_refuses_a_second_task);
    tcase_add_test(tc, test_command_executor_escalates_to_sigkill);
    tcase_add_test(tc, test_command_executor_shutdown_kills_the_task_and_exits);
    tcase_add_test(tc, test_command_executor_without_environment_exits_1);
    tcase_add_test(tc, test_command_executor_hands_its_buffered_update_to_a_restarted_slave);
    tcase_add_test(tc, test_command_executor_exits_when_no_slave_returns_in_time);
    tcase_add_test(tc, test_example_executor_prints_task_data_for_each_task);
    suite_add_tcase(s, tc);
    return s;
}
