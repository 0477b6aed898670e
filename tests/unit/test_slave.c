/*
 * test_slave.c - the slave actor's life cycle in one process on a paused clock
 * (tests/support/slavetest.h): a fake master, fake executors and a fake containerizer around
 * the real slave and its status update manager. Executors end by exit, launch failure or
 * destroy through one path that fails their tasks and retires them into completed_executors;
 * frameworks without executors retire into completed_frameworks; acknowledged tasks are
 * listed as completed, all within Mesos' bounds; updates that cannot be checkpointed still
 * go out; a restarted slave delivers what its checkpoint holds and reports executors that
 * died meanwhile; it never signals a process it cannot prove is its own; it stops as soon as
 * its executors are gone.
 */
#include "tests/support/slavetest.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static st_slave sl;

static void setup(void)
{
    st_start(&sl, NULL);
    st_register(&sl);
}

static void teardown(void)
{
    st_stop(&sl);
}

/* ---- helpers ----------------------------------------------------------------------------- */

/* Runs task on executor (launching and registering the executor if `ex` is NULL). Returns
 * the fake executor. */
static fake *start_task(const char *fw, bool checkpoint, const char *task, const char *executor,
                        fake *ex)
{
    st_run_task(&sl, fw, checkpoint, task, executor);
    if (ex) return ex;
    st_launch l = st_launch_of(&sl, executor);
    st_launched(&sl, l.container_id, 4242, "Launched");
    return st_executor(&sl, fw, executor);
}

/* The task runs and finishes, and the master acknowledges both updates. */
static void finish_task(fake *ex, const char *fw, const char *executor, const char *task,
                        uint8_t n)
{
    st_update(&sl, ex, fw, executor, task, WIRE_TASK_RUNNING, n);
    st_update(&sl, ex, fw, executor, task, WIRE_TASK_FINISHED, (uint8_t)(n + 1));
    st_ack_all(&sl);
}

/* How many updates ended task: TASK_FAILED or TASK_LOST. */
static size_t ended(const char *task)
{
    return st_updates(&sl, task, WIRE_TASK_FAILED) + st_updates(&sl, task, WIRE_TASK_LOST);
}

static json_t *framework_in(json_t *state, const char *key, const char *fw)
{
    return st_find(json_object_get(state, key), fw);
}

/* fw is listed in completed_frameworks and no longer among the frameworks. */
static bool retired(const char *fw)
{
    json_t *st = st_state(&sl);
    bool yes = framework_in(st, "completed_frameworks", fw) && !framework_in(st, "frameworks", fw);
    json_decref(st);
    return yes;
}

static size_t array_size(json_t *obj, const char *key)
{
    return json_array_size(json_object_get(obj, key));
}

/* The state of a task's i-th entry in state.json's statuses. */
static const char *status_state(json_t *statuses, size_t i)
{
    return json_string_value(json_object_get(json_array_get(statuses, i), "state"));
}

/* A message of the last update the master got for task. */
static void last_update(const char *task, wire_task_state *state, char *message, size_t n,
                        wire_status_reason *reason)
{
    size_t total = st_updates_total(&sl);
    for (size_t i = total; i-- > 0;) {
        wire_msg *m = fake_nth(sl.master, MI(StatusUpdateMessage),
                               WIRE_DESC(status_update_message), i);
        const wire_task_status *s = &((wire_status_update_message *)m->root)->update.status;
        if (strcmp(s->task_id.value, task) == 0) {
            *state = s->state;
            snprintf(message, n, "%s", s->has_message ? s->message : "");
            if (reason) *reason = s->has_reason ? s->reason : (wire_status_reason)-1;
            wire_msg_free(m);
            return;
        }
        wire_msg_free(m);
    }
    ck_abort_msg("no update for task %s", task);
}

/* ---- the basic path ---------------------------------------------------------------------- */

START_TEST(test_a_task_runs_through_its_executor_and_its_updates_reach_the_master)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    ck_assert_uint_eq(fake_count(ex, MI(ExecutorRegisteredMessage)), 1);
    ck_assert_uint_eq(fake_count(ex, MI(RunTaskMessage)), 1);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    ck_assert_uint_eq(st_updates(&sl, "t1", WIRE_TASK_RUNNING), 1);
    ck_assert_uint_eq(fake_count(ex, MI(StatusUpdateAcknowledgementMessage)), 1);
    ck_assert_uint_eq(st_ack_all(&sl), 1);
    json_t *st = st_state(&sl);
    json_t *f = framework_in(st, "frameworks", "fw1");
    ck_assert_ptr_nonnull(f);
    json_t *e = st_find(json_object_get(f, "executors"), "e1");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(array_size(e, "tasks"), 1);
    json_decref(st);
    ck_assert_int_eq((int)st_metric("slave/executors_running"), 1);
}
END_TEST

START_TEST(test_a_task_id_its_executor_already_runs_is_ignored)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    st_run_task(&sl, "fw1", false, "t1", "e1");
    ck_assert_uint_eq(fake_count(ex, MI(RunTaskMessage)), 1);
    json_t *st = st_state(&sl);
    json_t *e = st_find(json_object_get(framework_in(st, "frameworks", "fw1"), "executors"),
                        "e1");
    ck_assert_uint_eq(array_size(e, "tasks"), 1);
    json_decref(st);
}
END_TEST

/* state.json: a task keeps its updates' states and times, the first and the latest 99; the
 * STARTING one counts in started_tasks. */
START_TEST(test_a_task_lists_its_status_history_bounded_and_starting_is_counted)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_STARTING, 1);
    for (int i = 0; i < 150; i++)
        st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, (uint8_t)(2 + i));
    json_t *st = st_state(&sl);
    ck_assert_int_eq(json_integer_value(json_object_get(st, "started_tasks")), 1);
    json_t *e = st_find(json_object_get(framework_in(st, "frameworks", "fw1"), "executors"),
                        "e1");
    json_t *statuses = json_object_get(json_array_get(json_object_get(e, "tasks"), 0),
                                       "statuses");
    ck_assert_uint_eq(json_array_size(statuses), 100);
    ck_assert_str_eq(status_state(statuses, 0), "TASK_STARTING");
    ck_assert_str_eq(status_state(statuses, 99), "TASK_RUNNING");
    ck_assert(json_is_number(json_object_get(json_array_get(statuses, 99), "timestamp")));
    json_decref(st);
}
END_TEST

/* ---- item 2: the slave retires what is finished ------------------------------------------ */

START_TEST(test_an_exited_executor_and_its_framework_retire_with_their_tasks)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    finish_task(ex, "fw1", "e1", "t1", 1);
    st_terminated(&sl, st_launch_of(&sl, "e1").container_id, 0, "Executor exited with status 0");
    json_t *st = st_state(&sl);
    ck_assert_ptr_null(framework_in(st, "frameworks", "fw1"));
    json_t *f = framework_in(st, "completed_frameworks", "fw1");
    ck_assert_msg(f != NULL, "fw1 is not in completed_frameworks");
    ck_assert_uint_eq(array_size(f, "executors"), 0);
    json_t *e = st_find(json_object_get(f, "completed_executors"), "e1");
    ck_assert_ptr_nonnull(e);
    json_t *done = json_object_get(e, "completed_tasks");
    ck_assert_uint_eq(json_array_size(done), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(done, 0), "state")),
                     "TASK_FINISHED");
    ck_assert_uint_eq(array_size(e, "tasks"), 0);
    ck_assert_uint_eq(array_size(e, "queued_tasks"), 0);
    json_decref(st);
    ck_assert_int_eq((int)st_metric("slave/executors_running"), 0);
    ck_assert_int_eq((int)st_metric("slave/frameworks_active"), 0);
    ck_assert_int_eq((int)st_metric("status-update-manager/streams"), 0);
}
END_TEST

START_TEST(test_acknowledged_tasks_are_listed_as_completed_up_to_200_per_executor)
{
    fake *ex = NULL;
    char task[32];
    for (int i = 0; i < 205; i++) {
        snprintf(task, sizeof task, "t%d", i);
        ex = start_task("fw1", false, task, "e1", ex);
        finish_task(ex, "fw1", "e1", task, (uint8_t)(2 * i));
    }
    json_t *st = st_state(&sl);
    json_t *e = st_find(json_object_get(framework_in(st, "frameworks", "fw1"), "executors"),
                        "e1");
    ck_assert_ptr_nonnull(e);
    json_t *done = json_object_get(e, "completed_tasks");
    ck_assert_uint_eq(json_array_size(done), 200);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(done, 0), "id")), "t5");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(done, 199), "id")), "t204");
    ck_assert_uint_eq(array_size(e, "tasks"), 0);
    json_decref(st);
    ck_assert_int_eq((int)st_metric("status-update-manager/streams"), 0);
    ck_assert_int_eq((int)st_metric("slave/tasks_finished"), 205);
}
END_TEST

START_TEST(test_an_unacknowledged_terminal_task_is_completed_and_keeps_its_stream)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_FINISHED, 1);
    json_t *st = st_state(&sl);
    json_t *e = st_find(json_object_get(framework_in(st, "frameworks", "fw1"), "executors"),
                        "e1");
    ck_assert_uint_eq(array_size(e, "completed_tasks"), 1);
    ck_assert_uint_eq(array_size(e, "tasks"), 0);
    json_decref(st);
    ck_assert_int_eq((int)st_metric("status-update-manager/streams"), 1);
    st_ack_all(&sl);
    ck_assert_int_eq((int)st_metric("status-update-manager/streams"), 0);
}
END_TEST

START_TEST(test_completed_executors_are_bounded_to_150_per_framework)
{
    char task[32], executor[32];
    for (int i = 0; i < 152; i++) {
        snprintf(task, sizeof task, "t%d", i);
        snprintf(executor, sizeof executor, "e%d", i);
        fake *ex = start_task("fw1", false, task, executor, NULL);
        finish_task(ex, "fw1", executor, task, 1);
        if (i == 0) start_task("fw1", false, "keep", "keeper", NULL); /* fw1 stays active */
        st_terminated(&sl, st_launch_of(&sl, executor).container_id, 0, "exited");
    }
    json_t *st = st_state(&sl);
    json_t *f = framework_in(st, "frameworks", "fw1");
    ck_assert_ptr_nonnull(f);
    json_t *done = json_object_get(f, "completed_executors");
    ck_assert_uint_eq(json_array_size(done), 150);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(done, 0), "id")), "e2");
    ck_assert_uint_eq(array_size(f, "executors"), 1);
    json_decref(st);
}
END_TEST

START_TEST(test_completed_frameworks_are_bounded_to_50)
{
    char fw[32];
    for (int i = 0; i < 52; i++) {
        snprintf(fw, sizeof fw, "fw%d", i);
        fake *ex = start_task(fw, false, "t", "e", NULL);
        finish_task(ex, fw, "e", "t", 1);
        st_terminated(&sl, st_launch_at(&sl, (size_t)i).container_id, 0, "exited");
    }
    json_t *st = st_state(&sl);
    json_t *done = json_object_get(st, "completed_frameworks");
    ck_assert_uint_eq(json_array_size(done), 50);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(done, 0), "id")), "fw2");
    ck_assert_uint_eq(array_size(st, "frameworks"), 0);
    json_decref(st);
}
END_TEST

START_TEST(test_a_framework_shut_down_drops_its_pending_updates_and_retires)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1); /* never acknowledged */
    ck_assert_int_eq((int)st_metric("status-update-manager/pending"), 1);
    st_shutdown_framework(&sl, "fw1");
    ck_assert_uint_eq(fake_count(ex, MI(ShutdownExecutorMessage)), 1);
    ck_assert_int_eq((int)st_metric("status-update-manager/pending"), 0);
    size_t sent = st_updates_total(&sl);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_KILLED, 2); /* the executor obeys */
    st_terminated(&sl, st_launch_of(&sl, "e1").container_id, 0, "exited");
    st_advance(600); /* no resend of anything */
    ck_assert_uint_eq(st_updates_total(&sl), sent);
    ck_assert(retired("fw1"));
    ck_assert_int_eq((int)st_metric("status-update-manager/streams"), 0);
}
END_TEST

START_TEST(test_an_exit_with_live_tasks_fails_them_and_retires_after_the_acks)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    st_ack_all(&sl);
    st_terminated(&sl, st_launch_of(&sl, "e1").container_id, 9 /* SIGKILL */,
                  "Executor terminated by signal 9 (Killed)");
    wire_task_state state;
    char msg[256];
    last_update("t1", &state, msg, sizeof msg, NULL);
    ck_assert_int_eq(state, WIRE_TASK_FAILED);
    ck_assert_uint_eq(fake_count(sl.master, MI(ExitedExecutorMessage)), 1);
    ck_assert_int_eq((int)st_metric("slave/executors_running"), 0);
    json_t *st = st_state(&sl);
    ck_assert_ptr_nonnull(framework_in(st, "frameworks", "fw1")); /* waits for the ack */
    json_decref(st);
    st_ack_all(&sl);
    ck_assert(retired("fw1"));
}
END_TEST

/* ---- item 3: a launch failure ends the executor ------------------------------------------ */

START_TEST(test_a_sandbox_that_cannot_be_created_fails_every_task_of_that_executor)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/slaves/%s/frameworks", sl.work_dir, sl.id);
    ck_assert_int_eq(ckpt_mkdirs(path, 0755), 0);
    snprintf(path, sizeof path, "%s/slaves/%s/frameworks/fw1", sl.work_dir, sl.id);
    int fd = open(path, O_WRONLY | O_CREAT, 0644); /* a file in the way */
    ck_assert_int_ge(fd, 0);
    close(fd);
    st_run_task(&sl, "fw1", false, "t1", "e1");
    wire_task_state state;
    char msg[256];
    wire_status_reason reason;
    last_update("t1", &state, msg, sizeof msg, &reason);
    ck_assert_int_eq(state, WIRE_TASK_FAILED);
    ck_assert_msg(strstr(msg, "sandbox") && strstr(msg, "Not a directory"), "message: %s", msg);
    st_run_task(&sl, "fw1", false, "t2", "e1"); /* a later task for it gets an answer too */
    ck_assert_uint_eq(ended("t2"), 1);
    st_ack_all(&sl);
    ck_assert(retired("fw1"));
    ck_assert_int_eq((int)st_metric("slave/executors_registering"), 0);
    ck_assert_int_eq((int)st_metric("slave/tasks_staging"), 0);
}
END_TEST

START_TEST(test_a_failed_launch_fails_the_queued_tasks_with_the_reason_and_retires)
{
    st_run_task(&sl, "fw1", false, "t1", "e1");
    st_run_task(&sl, "fw1", false, "t2", "e1");
    st_launched(&sl, st_launch_of(&sl, "e1").container_id, 0,
                "Failed to checkpoint the executor's pid: No space left on device");
    for (int i = 1; i <= 2; i++) {
        char task[16], msg[256];
        snprintf(task, sizeof task, "t%d", i);
        wire_task_state state;
        last_update(task, &state, msg, sizeof msg, NULL);
        ck_assert_int_eq(state, WIRE_TASK_FAILED);
        ck_assert_msg(strstr(msg, "No space left on device"), "message: %s", msg);
    }
    st_ack_all(&sl);
    ck_assert(retired("fw1"));
}
END_TEST

START_TEST(test_an_update_that_cannot_be_checkpointed_still_reaches_the_master)
{
    fake *ex = start_task("fw1", true, "t1", "e1", NULL);
    st_launch l = st_launch_of(&sl, "e1");
    char path[4096];
    path_meta_task_updates(path, sizeof path, sl.work_dir, sl.id, "fw1", "e1", l.container_id,
                           "t1");
    ck_assert_int_eq(ckpt_mkdirs(path, 0755), 0); /* a directory where the log should go */
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    ck_assert_uint_eq(st_updates(&sl, "t1", WIRE_TASK_RUNNING), 1);
    /* not durable: the executor keeps it (no acknowledgement) and resends it after a restart */
    ck_assert_uint_eq(fake_count(ex, MI(StatusUpdateAcknowledgementMessage)), 0);
    ck_assert_uint_eq(st_ack_all(&sl), 1);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_FINISHED, 2);
    ck_assert_uint_eq(st_updates(&sl, "t1", WIRE_TASK_FINISHED), 1);
}
END_TEST


/* ---- item 4: finished work survives a restart; item 5: only our own processes ------------ */

/* What the launcher checkpoints for a run whose process is pid. */
static void checkpoint_process(const st_launch *l, pid_t pid)
{
    proc_identity id;
    char why[512];
    ck_assert_int_eq(proc_identity_read(pid, &id), 0);
    ck_assert_int_eq(proc_identity_save(l->pids_dir, &id, why, sizeof why), 0);
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* The uuid's first byte of the last update the master got for task in state. */
static int last_uuid(const char *task, wire_task_state state)
{
    int u = -1;
    for (size_t i = 0; i < st_updates_total(&sl); i++) {
        wire_msg *m = fake_nth(sl.master, MI(StatusUpdateMessage),
                               WIRE_DESC(status_update_message), i);
        const wire_status_update *up = &((wire_status_update_message *)m->root)->update;
        if (strcmp(up->status.task_id.value, task) == 0 && up->status.state == state)
            u = up->uuid.len ? up->uuid.data[0] : -1;
        wire_msg_free(m);
    }
    return u;
}

START_TEST(test_a_finished_update_checkpointed_before_a_restart_is_delivered_after_it)
{
    fake *ex = start_task("fw1", true, "t1", "e1", NULL);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    st_ack_all(&sl);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_FINISHED, 2); /* never acknowledged */
    st_terminated(&sl, st_launch_of(&sl, "e1").container_id, 0, "Executor exited with status 0");
    ck_assert_uint_eq(st_updates(&sl, "t1", WIRE_TASK_FINISHED), 1);
    st_restart(&sl, NULL); /* the fake master of the new runtime starts with nothing recorded */
    st_advance(120); /* the master is down meanwhile: nothing is sent to nobody */
    ck_assert_uint_eq(st_updates_total(&sl), 0);
    st_register(&sl);
    ck_assert_uint_eq(st_updates(&sl, "t1", WIRE_TASK_FINISHED), 1); /* sent again, after */
    ck_assert_int_eq(last_uuid("t1", WIRE_TASK_FINISHED), 2);         /* the same update */
    ck_assert_uint_eq(ended("t1"), 0);
    st_ack_all(&sl);
    st_advance(600);
    ck_assert_uint_eq(st_updates(&sl, "t1", WIRE_TASK_FINISHED), 1); /* and never again */
    json_t *st = st_state(&sl);
    json_t *f = framework_in(st, "completed_frameworks", "fw1");
    ck_assert_msg(f != NULL, "fw1 did not retire after the restart");
    json_t *e = st_find(json_object_get(f, "completed_executors"), "e1");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(array_size(e, "completed_tasks"), 1);
    json_decref(st);
}
END_TEST

START_TEST(test_an_executor_that_died_while_the_slave_was_down_is_reported_after_it)
{
    fake *ex = start_task("fw1", true, "t1", "e1", NULL);
    pid_t process = tu_spawn_session("exec sleep 1000");
    st_launch l = st_launch_of(&sl, "e1");
    checkpoint_process(&l, process);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    st_ack_all(&sl);
    reap(process); /* the executor dies while no slave runs */
    st_restart(&sl, NULL);
    ck_assert_uint_eq(st_recovered(&sl), 0); /* nothing alive to hand the containerizer */
    st_register(&sl);
    ck_assert_uint_eq(ended("t1"), 1);
    ck_assert_uint_eq(fake_count(sl.master, MI(ExitedExecutorMessage)), 1);
    wire_msg *m = fake_last(sl.master, MI(ExitedExecutorMessage),
                            WIRE_DESC(exited_executor_message));
    ck_assert_str_eq(((wire_exited_executor_message *)m->root)->executor_id.value, "e1");
    wire_msg_free(m);
    st_ack_all(&sl);
    ck_assert(retired("fw1"));
}
END_TEST

START_TEST(test_a_live_executor_is_reconnected_and_its_update_resent_after_a_restart)
{
    fake *ex = start_task("fw1", true, "t1", "e1", NULL);
    pid_t process = tu_spawn_session("exec sleep 1000");
    st_launch l = st_launch_of(&sl, "e1");
    checkpoint_process(&l, process);
    act_pid old = fake_pid(ex);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    st_ack_all(&sl);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_FINISHED, 2);
    st_restart(&sl, NULL);
    ck_assert(st_recovered_has(&sl, l.container_id));
    fake *again = st_executor_named(old.id); /* the executor process answers the reconnect */
    wire_reregister_executor_message r = {.executor_id = {"e1"}, .framework_id = {"fw1"}};
    fake_send(again, &sl.pid, WIRE_DESC(reregister_executor_message), &r);
    st_settle();
    ck_assert_uint_eq(fake_count(again, MI(ExecutorReregisteredMessage)), 1);
    st_register(&sl);
    ck_assert_int_eq(last_uuid("t1", WIRE_TASK_FINISHED), 2);
    st_ack_all(&sl);
    json_t *st = st_state(&sl);
    json_t *e = st_find(json_object_get(framework_in(st, "frameworks", "fw1"), "executors"),
                        "e1");
    ck_assert_ptr_nonnull(e); /* it still runs */
    ck_assert_uint_eq(array_size(e, "completed_tasks"), 1);
    /* its status history is rebuilt from the checkpointed updates */
    json_t *statuses = json_object_get(json_array_get(json_object_get(e, "completed_tasks"), 0),
                                       "statuses");
    ck_assert_uint_eq(json_array_size(statuses), 2);
    ck_assert_str_eq(status_state(statuses, 0), "TASK_RUNNING");
    ck_assert_str_eq(status_state(statuses, 1), "TASK_FINISHED");
    json_decref(st);
    reap(process);
}
END_TEST

/* A live, unrelated process whose pid is in the checkpoint (pid reuse, a corrupt file). */
static pid_t plant_decoy(bool with_identity)
{
    fake *ex = start_task("fw1", true, "t1", "e1", NULL);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    st_ack_all(&sl);
    pid_t decoy = tu_spawn_session("exec sleep 1000");
    st_launch l = st_launch_of(&sl, "e1");
    char why[512], path[4200];
    if (with_identity) { /* the identity of the process that had this pid before */
        proc_identity id;
        ck_assert_int_eq(proc_identity_read(decoy, &id), 0);
        id.start_time -= 1;
        ck_assert_int_eq(proc_identity_save(l.pids_dir, &id, why, sizeof why), 0);
    } else { /* a bare forked.pid, as Mesos writes it */
        char text[32];
        snprintf(path, sizeof path, "%s/forked.pid", l.pids_dir);
        snprintf(text, sizeof text, "%d", (int)decoy);
        ck_assert_int_eq(ckpt_write_text(path, text, why, sizeof why), 0);
    }
    return decoy;
}

static void decoy_survives_recovery(bool with_identity, bool cleanup)
{
    pid_t decoy = plant_decoy(with_identity);
    st_options o = {.real_containerizer = true, .cleanup = cleanup};
    st_restart(&sl, &o);
    st_advance(10); /* past any reconnection wait */
    if (cleanup) ck_assert_msg(st_exited(&sl, 10), "--recover=cleanup did not end the slave");
    ck_assert_msg(tu_never_signalled(decoy), "the decoy %d was signalled", (int)decoy);
    if (!cleanup) {
        st_register(&sl);
        ck_assert_uint_eq(ended("t1"), 1);
        ck_assert(tu_never_signalled(decoy));
    }
    reap(decoy);
}

START_TEST(test_a_recovered_pid_of_another_process_is_never_signalled)
{
    decoy_survives_recovery(true, false);
}
END_TEST

START_TEST(test_a_bare_checkpointed_pid_proves_nothing_and_is_never_signalled)
{
    decoy_survives_recovery(false, false);
}
END_TEST

START_TEST(test_recover_cleanup_never_signals_a_process_it_cannot_prove_is_its_own)
{
    decoy_survives_recovery(true, true);
}
END_TEST

/* A live executor process whose executor.info no longer decodes. */
static pid_t corrupt_executor_checkpoint(void)
{
    start_task("fw1", true, "t1", "e1", NULL);
    pid_t process = tu_spawn_session("exec sleep 1000");
    st_launch l = st_launch_of(&sl, "e1");
    checkpoint_process(&l, process);
    char path[4200], why[512];
    path_meta_executor(path, sizeof path, sl.work_dir, sl.id, "fw1", "e1");
    strcat(path, "/executor.info");
    ck_assert_int_eq(ckpt_write_text(path, "\xc1 not msgpack", why, sizeof why), 0);
    return process;
}

/* --strict (the default): the slave exits with status 1, registers nowhere, signals nothing. */
static void strict_recovery_fails(void)
{
    st_options o = {.real_containerizer = true};
    st_restart(&sl, &o);
    ck_assert_msg(st_exited(&sl, 10), "--strict recovery went on past an unreadable checkpoint");
    ck_assert_int_eq(sl.exit_status, 1);
    ck_assert_uint_eq(fake_count(sl.master, MI(RegisterSlaveMessage)) +
                      fake_count(sl.master, MI(ReregisterSlaveMessage)), 0);
}

START_TEST(test_strict_recovery_stops_at_a_corrupt_checkpoint_and_signals_nothing)
{
    pid_t process = corrupt_executor_checkpoint();
    strict_recovery_fails();
    ck_assert_msg(tu_never_signalled(process), "strict recovery signalled %d", (int)process);
    reap(process);
}
END_TEST

START_TEST(test_strict_recovery_stops_at_a_damaged_status_update_log)
{
    fake *ex = start_task("fw1", true, "t1", "e1", NULL);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    st_launch l = st_launch_of(&sl, "e1");
    char path[4200];
    path_meta_task(path, sizeof path, sl.work_dir, sl.id, "fw1", "e1", l.container_id, "t1");
    strcat(path, "/task.updates");
    FILE *f = fopen(path, "ab");
    ck_assert_ptr_nonnull(f);
    fwrite("\x00\x00\x00\x02\xc1\xc1", 1, 6, f); /* a whole record that is not one */
    fclose(f);
    strict_recovery_fails();
    st_restart(&sl, &(st_options){.no_strict = true}); /* --no-strict recovers the rest */
    ck_assert(!st_exited(&sl, 0));
    st_register(&sl);
}
END_TEST

START_TEST(test_no_strict_a_corrupt_executor_checkpoint_leaves_no_process_running)
{
    pid_t process = corrupt_executor_checkpoint();
    st_options o = {.real_containerizer = true, .no_strict = true};
    st_restart(&sl, &o);
    ck_assert_msg(tu_wait_gone(process, 10),
                  "the executor %d of the unreadable checkpoint still runs", (int)process);
    st_advance(10);
    st_register(&sl); /* the slave still comes up */
}
END_TEST

START_TEST(test_no_strict_a_corrupt_task_checkpoint_skips_that_task_only)
{
    fake *ex = start_task("fw1", true, "t1", "e1", NULL);
    start_task("fw1", true, "t2", "e1", ex);
    pid_t process = tu_spawn_session("exec sleep 1000");
    st_launch l = st_launch_of(&sl, "e1");
    checkpoint_process(&l, process);
    char path[4200], why[512];
    path_meta_task(path, sizeof path, sl.work_dir, sl.id, "fw1", "e1", l.container_id, "t1");
    strcat(path, "/task.info");
    ck_assert_int_eq(ckpt_write_text(path, "garbage", why, sizeof why), 0);
    act_pid old = fake_pid(ex);
    st_restart(&sl, &(st_options){.no_strict = true});
    fake *again = st_executor_named(old.id);
    wire_reregister_executor_message r = {.executor_id = {"e1"}, .framework_id = {"fw1"}};
    fake_send(again, &sl.pid, WIRE_DESC(reregister_executor_message), &r);
    st_settle();
    st_register(&sl);
    wire_msg *m = fake_last(sl.master, MI(ReregisterSlaveMessage),
                            WIRE_DESC(reregister_slave_message));
    wire_reregister_slave_message *rr = m->root;
    ck_assert_uint_eq(rr->tasks_count, 1);
    ck_assert_str_eq(rr->tasks[0].task_id.value, "t2");
    wire_msg_free(m);
    reap(process);
}
END_TEST

/* ---- item 6: shutdown -------------------------------------------------------------------- */

static void shut_down(void)
{
    ck_assert_int_eq(act_dispatch(&sl.pid, slave_shutdown, NULL), 0);
    st_settle();
}

START_TEST(test_an_idle_slave_stops_at_once)
{
    shut_down();
    ck_assert(st_exited(&sl, 10));
}
END_TEST

/* A shutdown of its own (a signal) unregisters first; one the master asks for does not. */
START_TEST(test_a_slave_that_shuts_itself_down_unregisters_first)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    shut_down();
    wire_msg *m = fake_last(sl.master, MI(UnregisterSlaveMessage),
                            WIRE_DESC(unregister_slave_message));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(((wire_unregister_slave_message *)m->root)->slave_id.value, sl.id);
    wire_msg_free(m);
    ck_assert_uint_eq(fake_count(ex, MI(ShutdownExecutorMessage)), 1);
    ck_assert_uint_eq(fake_count(sl.master, MI(UnregisterSlaveMessage)), 1);
}
END_TEST

START_TEST(test_a_slave_the_master_shuts_down_does_not_unregister)
{
    fake_send(sl.master, &sl.pid, WIRE_DESC(shutdown_message),
              &(wire_shutdown_message){.has_message = true, .message = "test"});
    ck_assert(st_exited(&sl, 10));
    ck_assert_uint_eq(fake_count(sl.master, MI(UnregisterSlaveMessage)), 0);
}
END_TEST

START_TEST(test_a_slave_stops_as_soon_as_its_executors_are_gone)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    shut_down();
    ck_assert_uint_eq(fake_count(ex, MI(ShutdownExecutorMessage)), 1);
    ck_assert(!st_exited(&sl, 0));
    st_terminated(&sl, st_launch_of(&sl, "e1").container_id, 0, "Executor exited with status 0");
    ck_assert(st_exited(&sl, 10)); /* no clock moved */
}
END_TEST

START_TEST(test_an_executor_that_ignores_the_shutdown_is_killed_after_its_grace_period)
{
    start_task("fw1", false, "t1", "e1", NULL);
    const char *cid = st_launch_of(&sl, "e1").container_id;
    shut_down();
    st_advance(4.9);
    ck_assert_uint_eq(st_destroys(&sl, cid), 0);
    st_advance(0.2);
    ck_assert_uint_eq(st_destroys(&sl, cid), 1);
    ck_assert(!st_exited(&sl, 0));
    st_terminated(&sl, cid, 9, "Executor terminated by signal 9 (Killed)");
    ck_assert(st_exited(&sl, 10));
}
END_TEST

/* ---- isolation: resources, limits, container info ------------------------------------- */

START_TEST(test_a_custom_executors_container_grows_and_shrinks_with_its_tasks)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    st_launch l = st_launch_of(&sl, "e1");
    ck_assert_int_eq(l.cpus, 200);   /* the executor's 0.1 and its first task's 0.1 */
    ck_assert_int_eq(l.mem, 48000);  /* 32 MB and 16 MB */
    ck_assert_uint_eq(st_cz_updates(&sl), 0);
    start_task("fw1", false, "t2", "e1", ex);
    ck_assert_uint_eq(st_cz_updates(&sl), 1);
    st_cz_update u = st_cz_update_at(&sl, 0);
    ck_assert_str_eq(u.container_id, l.container_id);
    ck_assert_int_eq(u.cpus, 300);
    ck_assert_int_eq(u.mem, 64000);
    finish_task(ex, "fw1", "e1", "t1", 1);
    ck_assert_uint_eq(st_cz_updates(&sl), 2);
    u = st_cz_update_at(&sl, 1);
    ck_assert_int_eq(u.cpus, 200);
    ck_assert_int_eq(u.mem, 48000);
}
END_TEST

START_TEST(test_a_container_destroyed_for_a_limit_fails_its_tasks_with_the_limit_and_its_reason)
{
    fake *ex = start_task("fw1", false, "t1", "e1", NULL);
    st_update(&sl, ex, "fw1", "e1", "t1", WIRE_TASK_RUNNING, 1);
    st_ack_all(&sl);
    const char *why = "Memory limit exceeded: Requested: 48MB Maximum Used: 48MB";
    st_limited(&sl, st_launch_of(&sl, "e1").container_id, why);
    ck_assert_uint_eq(st_updates(&sl, "t1", WIRE_TASK_FAILED), 1);
    wire_msg *m = fake_last(sl.master, MI(StatusUpdateMessage), WIRE_DESC(status_update_message));
    const wire_task_status *st = &((wire_status_update_message *)m->root)->update.status;
    ck_assert_str_eq(st->message, why);
    ck_assert(st->has_reason);
    ck_assert_int_eq(st->reason, WIRE_REASON_MEMORY_LIMIT);
    wire_msg_free(m);
}
END_TEST

START_TEST(test_the_default_container_info_goes_to_executors_that_bring_none)
{
    st_stop(&sl);
    st_options o = {.default_container_info = "{\"type\":\"MESOS\",\"volumes\":[{\"host_path\":"
                                              "\"tmp\",\"container_path\":\"/tmp\",\"mode\":\"RW\"}]}"};
    st_start(&sl, &o);
    st_register(&sl);
    st_run_task(&sl, "fw1", false, "t1", "e1");
    ck_assert(st_launch_of(&sl, "e1").has_container_info);
}
END_TEST

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    return tc;
}

Suite *slave_suite(void)
{
    Suite *s = suite_create("slave");
    TCase *tc = tcase("lifecycle");
    tcase_add_test(tc, test_a_task_runs_through_its_executor_and_its_updates_reach_the_master);
    tcase_add_test(tc, test_a_task_id_its_executor_already_runs_is_ignored);
    tcase_add_test(tc, test_a_task_lists_its_status_history_bounded_and_starting_is_counted);
    tcase_add_test(tc, test_an_exited_executor_and_its_framework_retire_with_their_tasks);
    tcase_add_test(tc, test_acknowledged_tasks_are_listed_as_completed_up_to_200_per_executor);
    tcase_add_test(tc, test_an_unacknowledged_terminal_task_is_completed_and_keeps_its_stream);
    tcase_add_test(tc, test_completed_executors_are_bounded_to_150_per_framework);
    tcase_add_test(tc, test_completed_frameworks_are_bounded_to_50);
    tcase_add_test(tc, test_a_framework_shut_down_drops_its_pending_updates_and_retires);
    tcase_add_test(tc, test_an_exit_with_live_tasks_fails_them_and_retires_after_the_acks);
    suite_add_tcase(s, tc);
    tc = tcase("launch_failures");
    tcase_add_test(tc, test_a_sandbox_that_cannot_be_created_fails_every_task_of_that_executor);
    tcase_add_test(tc, test_a_failed_launch_fails_the_queued_tasks_with_the_reason_and_retires);
    tcase_add_test(tc, test_an_update_that_cannot_be_checkpointed_still_reaches_the_master);
    suite_add_tcase(s, tc);
    tc = tcase("recovery");
    tcase_add_test(tc, test_a_finished_update_checkpointed_before_a_restart_is_delivered_after_it);
    tcase_add_test(tc, test_an_executor_that_died_while_the_slave_was_down_is_reported_after_it);
    tcase_add_test(tc, test_a_live_executor_is_reconnected_and_its_update_resent_after_a_restart);
    tcase_add_test(tc, test_a_recovered_pid_of_another_process_is_never_signalled);
    tcase_add_test(tc, test_a_bare_checkpointed_pid_proves_nothing_and_is_never_signalled);
    tcase_add_test(tc, test_recover_cleanup_never_signals_a_process_it_cannot_prove_is_its_own);
    tcase_add_test(tc, test_strict_recovery_stops_at_a_corrupt_checkpoint_and_signals_nothing);
    tcase_add_test(tc, test_strict_recovery_stops_at_a_damaged_status_update_log);
    tcase_add_test(tc, test_no_strict_a_corrupt_executor_checkpoint_leaves_no_process_running);
    tcase_add_test(tc, test_no_strict_a_corrupt_task_checkpoint_skips_that_task_only);
    suite_add_tcase(s, tc);
    tc = tcase("isolation");
    tcase_add_test(tc, test_a_custom_executors_container_grows_and_shrinks_with_its_tasks);
    tcase_add_test(tc, test_a_container_destroyed_for_a_limit_fails_its_tasks_with_the_limit_and_its_reason);
    tcase_add_test(tc, test_the_default_container_info_goes_to_executors_that_bring_none);
    suite_add_tcase(s, tc);
    tc = tcase("shutdown");
    tcase_add_test(tc, test_an_idle_slave_stops_at_once);
    tcase_add_test(tc, test_a_slave_that_shuts_itself_down_unregisters_first);
    tcase_add_test(tc, test_a_slave_the_master_shuts_down_does_not_unregister);
    tcase_add_test(tc, test_a_slave_stops_as_soon_as_its_executors_are_gone);
    tcase_add_test(tc, test_an_executor_that_ignores_the_shutdown_is_killed_after_its_grace_period);
    suite_add_tcase(s, tc);
    return s;
}
