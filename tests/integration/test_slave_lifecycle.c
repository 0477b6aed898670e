/*
 * test_slave_lifecycle.c - the slave's life cycle with the real binaries on loopback: schedulers
 * that stop inside their callback leave nothing pending on the slave, and finished frameworks
 * are listed as completed with their executors and tasks; finished updates checkpointed before
 * a SIGKILL reach the scheduler exactly once after the restart, also when the master was down
 * meanwhile; a full work directory fails tasks with the reason; a checkpointed pid that now
 * names an unrelated process (a `sleep` decoy) is never signalled, with --recover=reconnect or
 * cleanup; SIGTERM stops an idle slave, and mesos-local, at once.
 */
#include "slave/slave_int.h"
#include "tests/support/cluster.h"

#include <check.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs a tool to its end (bounded); returns its exit code, -1 if it did not exit. */
static int run(char *const argv[], const char *log)
{
    int status = tu_stop(tu_spawn(argv, log), 0, 120); /* signal 0: only wait */
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static json_t *find(json_t *array, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v) {
        const char *s = json_string_value(json_object_get(v, key));
        if (s && strcmp(s, value) == 0) return v;
    }
    return NULL;
}

static bool file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

/* ---- stopping inside the callback, completed frameworks ---------------------------------- */

/* Every completed framework lists its executors and their finished tasks. */
static void assert_completed(json_t *frameworks, const char *name, size_t tasks)
{
    json_t *f = find(frameworks, "name", name);
    ck_assert_msg(f != NULL, "%s is not in completed_frameworks", name);
    json_t *executors = json_object_get(f, "completed_executors");
    size_t finished = 0, i;
    json_t *e;
    json_array_foreach(executors, i, e) {
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(e, "completed_tasks"), k, t)
            finished += strcmp(json_string_value(json_object_get(t, "state")),
                               "TASK_FINISHED") == 0;
    }
    ck_assert_msg(finished == tasks, "%s: %zu finished tasks listed, not %zu", name, finished,
                  tasks);
    ck_assert_uint_eq(json_array_size(json_object_get(f, "executors")), 0);
}

START_TEST(test_schedulers_stopping_in_callbacks_leave_nothing_pending_and_complete)
{
    tc_cluster c;
    tc_start(&c, NULL);
    char master[96], log[4300];
    snprintf(master, sizeof master, "--master=%s", c.master_addr);
    snprintf(log, sizeof log, "%s/tools.log", c.dir);
    char *execute[] = {(char *)tu_bin("mesos-execute"), master, "--name=execute",
                       "--command=echo hi", "--resources=cpus:0.1;mem:32", NULL};
    ck_assert_int_eq(run(execute, log), 0);
    char *example[] = {(char *)tu_bin("example-framework"), master, "--tasks=3", NULL};
    ck_assert_msg(run(example, log) == 0, "example-framework failed; see %s", log);
    ck_assert_msg(tc_wait_slave_metric(&c, "status-update-manager/pending", 0, 30),
                  "updates are still pending on the slave; see %s", c.slave_log);
    ck_assert(tc_wait_slave_metric(&c, "status-update-manager/streams", 0, 30));
    ck_assert(tc_wait_slave_metric(&c, "slave/frameworks_active", 0, 30));
    ck_assert_int_eq((int)tc_slave_metric(&c, "slave/executors_running"), 0);
    json_t *st = tc_slave_state(&c);
    json_t *done = json_object_get(st, "completed_frameworks");
    ck_assert_uint_eq(json_array_size(done), 2);
    assert_completed(done, "execute", 1);
    assert_completed(done, "Example Framework (C)", 3);
    ck_assert_uint_eq(json_array_size(json_object_get(st, "frameworks")), 0);
    json_decref(st);
    ck_assert_msg(!file_has(c.slave_log, "Resending status update"), "see %s", c.slave_log);
    tc_stop(&c);
}
END_TEST

/* ---- finished work across a SIGKILL -------------------------------------------------------- */

static void finished_updates_survive(bool master_down)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start_unacknowledging(&c, true);
    tc_task t[] = {{.id = "f1", .command = "echo one", .cpus = 0.1, .mem = 16},
                   {.id = "f2", .command = "echo two", .cpus = 0.1, .mem = 16}};
    tc_sched_launch(s, t, 2);
    ck_assert(tc_wait_state(s, "f1", WIRE_TASK_FINISHED, 60));
    ck_assert(tc_wait_state(s, "f2", WIRE_TASK_FINISHED, 60));
    /* both executors have exited; their TASK_FINISHED waits for the scheduler */
    ck_assert_msg(tc_wait_slave_metric(&c, "slave/executors_terminated", 2, 60), "see %s",
                  c.slave_log);
    ck_assert_int_eq((int)tc_slave_metric(&c, "status-update-manager/pending"), 2);
    tc_kill_slave(&c, SIGKILL);
    if (master_down) {
        tc_kill_master(&c, SIGKILL);
        tc_start_master(&c);
    }
    tc_start_slave(&c, NULL);
    ck_assert_msg(tc_wait_slave_metric(&c, "status-update-manager/pending", 0, 90),
                  "the resent updates were never acknowledged; see %s", c.slave_log);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(tc_count_state(s, t[i].id, WIRE_TASK_FINISHED), 1);
        ck_assert_int_eq(tc_count_state(s, t[i].id, WIRE_TASK_LOST), 0);
        ck_assert_int_eq(tc_count_state(s, t[i].id, WIRE_TASK_FAILED), 0);
    }
    /* with no executor left the framework retired (its scheduler still runs, as in Mesos) */
    ck_assert(tc_wait_slave_metric(&c, "slave/frameworks_active", 0, 30));
    json_t *st = tc_slave_state(&c);
    json_t *f = find(json_object_get(st, "completed_frameworks"), "id", tc_framework_id(s));
    ck_assert_msg(f != NULL, "the framework is not listed on the restarted slave");
    ck_assert_uint_eq(json_array_size(json_object_get(f, "completed_executors")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(f, "executors")), 0);
    json_decref(st);
    tc_sched_stop(s);
    tc_stop(&c);
}

START_TEST(test_finished_updates_from_before_a_sigkill_arrive_once_after_restart)
{
    finished_updates_survive(false);
}
END_TEST

START_TEST(test_finished_updates_arrive_once_when_the_master_was_down_meanwhile_too)
{
    finished_updates_survive(true);
}
END_TEST

/* ---- a full work directory ----------------------------------------------------------------- */

START_TEST(test_a_full_work_directory_fails_tasks_with_the_reason)
{
    tc_cluster c;
    memset(&c, 0, sizeof c);
    c.dir = tu_tmpdir();
    tc_start_master(&c);
    /* The slave in a mount namespace of its own, on a 1 MB tmpfs filled to the last byte: the
     * mount goes away with the slave, whatever happens to the test. */
    c.slave_port = tu_free_port();
    char script[32768], work[4200], slave_bin[4200], launcher_dir[4200];
    snprintf(work, sizeof work, "%s/full", c.dir);
    snprintf(slave_bin, sizeof slave_bin, "%s", tu_bin("mesos-slave"));
    snprintf(launcher_dir, sizeof launcher_dir, "%s", tu_bin(""));
    ck_assert_int_eq(mkdir(work, 0755), 0);
    snprintf(script, sizeof script,
             "mount -t tmpfs -o size=1m tmpfs %s || exit 97; "
             "dd if=/dev/zero of=%s/filler bs=64k 2>/dev/null; "
             "exec %s --ip=127.0.0.1 --port=%u --work_dir=%s --master=%s --launcher_dir=%s "
             "--resources='cpus:4;mem:2048;disk:1024;ports:[31000-31100]' "
             "--registration_backoff_factor=10ms", work, work, slave_bin, c.slave_port, work,
             c.master_addr, launcher_dir);
    snprintf(c.slave_log, sizeof c.slave_log, "%.4000s/slave-full.log", c.dir);
    char *argv[] = {"/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                    script, NULL};
    c.slave_pid = tu_spawn(argv, c.slave_log);
    ck_assert_int_gt(c.slave_pid, 0);
    bool up = false;
    for (int i = 0; i < 3000 && !up; i++) {
        act_buf out = {0};
        up = tu_http_get(c.master_port, "/master/state.json", &out) == 200 &&
             strstr(out.data, "\"activated_slaves\":1");
        act_buf_free(&out);
        struct timespec ts = {0, 10000000};
        if (!up) nanosleep(&ts, NULL);
    }
    ck_assert_msg(up, "the slave on a full disk did not register; see %s", c.slave_log);
    tc_sched *s = tc_sched_start(&c, true);
    tc_task t = {.id = "nospace", .command = "echo never", .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "nospace", WIRE_TASK_FAILED, 60), "no TASK_FAILED; see %s",
                  c.slave_log);
    char msg[256];
    tc_last_message(s, "nospace", msg, sizeof msg);
    ck_assert_msg(strstr(msg, "No space left on device"), "message: %s", msg);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- a decoy in the checkpoint -------------------------------------------------------------- */

/* Runs a checkpointing task, SIGKILLs the slave, ends the executor and its task (as a crash
 * would), and puts the decoy's pid where the executor's was: in forked.pid, and in its
 * identity with the executor's own start time (the pid was reused). */
static pid_t plant_decoy(tc_cluster *c, tc_sched **s)
{
    *s = tc_sched_start(c, true);
    tc_task t = {.id = "victim", .command = "exec sleep 1000", .cpus = 0.1, .mem = 16};
    tc_sched_launch(*s, &t, 1);
    ck_assert(tc_wait_state(*s, "victim", WIRE_TASK_RUNNING, 60));
    tc_kill_slave(c, SIGKILL);
    char pattern[4400], why[512];
    snprintf(pattern, sizeof pattern,
             "%s/meta/slaves/*/frameworks/*/executors/victim/runs/latest/pids",
             tc_slave_work_dir(c));
    glob_t g;
    ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
    char pids[4400];
    snprintf(pids, sizeof pids, "%s", g.gl_pathv[0]);
    globfree(&g);
    proc_identity executor;
    ck_assert_int_eq(proc_identity_load(pids, &executor, why, sizeof why), 0);
    ck_assert_int_eq(proc_kill(&executor, SIGKILL), 0); /* the executor and its task die */
    ck_assert(tu_wait_gone(executor.pid, 30));
    pid_t decoy = tu_spawn_session("exec sleep 1000");
    proc_identity planted = executor;
    planted.pid = decoy;
    ck_assert_int_eq(proc_identity_save(pids, &planted, why, sizeof why), 0);
    return decoy;
}

START_TEST(test_a_recovering_slave_never_signals_the_process_now_at_its_executors_pid)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s;
    pid_t decoy = plant_decoy(&c, &s);
    tc_start_slave(&c, NULL);
    ck_assert_msg(tc_wait_state(s, "victim", WIRE_TASK_FAILED, 60), /* a command executor's */
                  "the task of the vanished executor was not reported; see %s", c.slave_log);
    ck_assert_msg(tu_never_signalled(decoy), "the decoy was signalled; see %s", c.slave_log);
    tc_sched_stop(s);
    tc_stop(&c);
    ck_assert(tu_never_signalled(decoy));
    kill(decoy, SIGKILL);
    waitpid(decoy, NULL, 0);
}
END_TEST

START_TEST(test_recover_cleanup_never_signals_the_process_now_at_its_executors_pid)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s;
    pid_t decoy = plant_decoy(&c, &s);
    char log[4300];
    snprintf(log, sizeof log, "%s/cleanup.log", c.dir);
    const char *cleanup[] = {"--recover=cleanup", NULL};
    int status = tu_stop(tc_spawn_slave(&c, cleanup, log), 0, 60); /* signal 0: only wait */
    ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "--recover=cleanup did not exit 0 (%d); see %s", status, log);
    ck_assert_msg(tu_never_signalled(decoy), "the decoy was signalled; see %s", log);
    kill(decoy, SIGKILL);
    waitpid(decoy, NULL, 0);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- stopping -------------------------------------------------------------------------------- */

START_TEST(test_sigterm_stops_an_idle_slave_without_waiting_for_a_grace_period)
{
    tc_cluster c;
    const char *flags[] = {"--executor_shutdown_grace_period=60secs", NULL};
    tc_start(&c, flags);
    int status = tu_stop(c.slave_pid, SIGTERM, 30); /* far less than the grace period */
    c.slave_pid = 0;
    ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the idle slave did not exit at once (status %d); see %s", status, c.slave_log);
    tc_stop(&c);
}
END_TEST

/* SIGUSR1 (Mesos' signal) and SIGTERM: the slave unregisters, so the master removes even a
 * checkpointing slave at once (it would otherwise wait --slave_reregister_timeout, 10 min). */
START_TEST(test_sigusr1_unregisters_and_the_master_removes_the_slave_at_once)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, true);
    tc_task t = {.id = "t", .command = "exec sleep 1000", .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "t", WIRE_TASK_RUNNING, 60));
    int status = tu_stop(c.slave_pid, SIGUSR1, 30);
    c.slave_pid = 0;
    ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the slave did not exit 0 on SIGUSR1 (status %d); see %s", status, c.slave_log);
    ck_assert_msg(tu_wait_metric(c.master_port, "master/slave_removals", 1, 30),
                  "the master did not remove the unregistered slave; see %s", c.master_log);
    ck_assert(tc_wait_state(s, "t", WIRE_TASK_LOST, 30));
    ck_assert_double_eq(tu_metric(c.master_port, "master/slaves_active"), 0);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_mesos_local_stops_its_idle_slaves_at_once)
{
    char *dir = tu_tmpdir(), port[32], work[4200], log[4300];
    uint16_t p = tu_free_port();
    snprintf(port, sizeof port, "--port=%u", p);
    snprintf(work, sizeof work, "--work_dir=%s", dir);
    snprintf(log, sizeof log, "%s/local.log", dir);
    setenv("MESOS_executor_shutdown_grace_period", "60secs", 1); /* the slaves read it */
    char *argv[] = {(char *)tu_bin("mesos-local"), port, work, "--num_slaves=2",
                    "--resources=cpus:1;mem:256;disk:64", NULL};
    int pid = tu_spawn(argv, log);
    unsetenv("MESOS_executor_shutdown_grace_period");
    bool two = false;
    for (int i = 0; i < 3000 && !two; i++) {
        act_buf out = {0};
        two = tu_http_get(p, "/master/state.json", &out) == 200 &&
              strstr(out.data, "\"activated_slaves\":2");
        act_buf_free(&out);
        struct timespec ts = {0, 10000000};
        if (!two) nanosleep(&ts, NULL);
    }
    ck_assert_msg(two, "mesos-local did not bring up two slaves; see %s", log);
    int status = tu_stop(pid, SIGINT, 30); /* Ctrl-C; far less than the grace period */
    ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "mesos-local did not stop at once (status %d); see %s", status, log);
    ck_assert_int_ne(tu_http_get(p, "/master/health", NULL), 200);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *slave_lifecycle_suite(void)
{
    Suite *s = suite_create("slave_lifecycle");
    TCase *tc = tcase_create("real_binaries");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_schedulers_stopping_in_callbacks_leave_nothing_pending_and_complete);
    tcase_add_test(tc, test_finished_updates_from_before_a_sigkill_arrive_once_after_restart);
    tcase_add_test(tc, test_finished_updates_arrive_once_when_the_master_was_down_meanwhile_too);
    tcase_add_test(tc, test_a_full_work_directory_fails_tasks_with_the_reason);
    tcase_add_test(tc, test_a_recovering_slave_never_signals_the_process_now_at_its_executors_pid);
    tcase_add_test(tc, test_recover_cleanup_never_signals_the_process_now_at_its_executors_pid);
    tcase_add_test(tc, test_sigterm_stops_an_idle_slave_without_waiting_for_a_grace_period);
    tcase_add_test(tc, test_sigusr1_unregisters_and_the_master_removes_the_slave_at_once);
    tcase_add_test(tc, test_mesos_local_stops_its_idle_slaves_at_once);
    suite_add_tcase(s, tc);
    return s;
}
