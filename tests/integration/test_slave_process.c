/*
 * test_slave_process.c - tasks end to end on real processes: the mesos-master and mesos-slave
 * binaries on loopback, mesos-executor and custom executors forked by the slave, and a
 * scheduler driver in this test process. 100 command tasks finish with their output in their
 * sandboxes; a kill ends a task and its process group; a crashing executor and one that never
 * registers fail their tasks; a slave SIGKILLed and restarted finds its task still running and
 * every later update arrives exactly once; the fetcher unpacks an archive served over HTTP;
 * finished sandboxes are garbage collected.
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(test_hundred_command_tasks_finish_with_their_output_in_stdout)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    enum { N = 100 };
    static tc_task tasks[N];
    static char ids[N][16], cmds[N][64];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "t%d", i);
        snprintf(cmds[i], sizeof cmds[i], "echo output-of-%d", i);
        tasks[i] = (tc_task){.id = ids[i], .command = cmds[i], .cpus = 0.1, .mem = 16};
    }
    tc_sched_launch(s, tasks, N);
    for (int i = 0; i < N; i++)
        ck_assert_msg(tc_wait_state(s, ids[i], WIRE_TASK_FINISHED, 120),
                      "task %s did not finish; see %s", ids[i], c.slave_log);
    char pattern[4600], text[64];
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text, "output-of-%d", i);
        tc_sandbox_glob(&c, ids[i], "stdout", pattern, sizeof pattern);
        ck_assert_msg(tc_wait_glob_contains(pattern, text, 5), "no '%s' in %s", text, pattern);
        ck_assert_int_eq(tc_count_state(s, ids[i], WIRE_TASK_FINISHED), 1);
    }
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_killed_task_ends_killed_and_its_process_group_is_gone)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t = {.id = "sleeper", .command = "echo pid=$$; exec sleep 1000", .cpus = 0.1,
                 .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "sleeper", WIRE_TASK_RUNNING, 60));
    char pattern[4600];
    tc_sandbox_glob(&c, "sleeper", "stdout", pattern, sizeof pattern);
    ck_assert(tc_wait_glob_contains(pattern, "pid=", 20));
    glob_t g;
    ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
    FILE *f = fopen(g.gl_pathv[0], "r");
    char out[4096] = "";
    size_t got = fread(out, 1, sizeof out - 1, f);
    out[got] = '\0';
    fclose(f);
    int pid = 0;
    ck_assert_int_eq(sscanf(strstr(out, "pid="), "pid=%d", &pid), 1);
    globfree(&g);
    ck_assert_int_eq(kill(-pid, 0), 0); /* its group is alive */
    tc_kill(s, "sleeper");
    ck_assert(tc_wait_state(s, "sleeper", WIRE_TASK_KILLED, 60));
    ck_assert_msg(tu_wait_group_gone(pid, 30), "the task's process group %d survived the kill",
                  pid);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

static wire_executor_info *shell_executor(wire_msg *m, const char *id, const char *command)
{
    wire_executor_info *e = wire_alloc(m, sizeof *e);
    e->executor_id.value = wire_strdup(m, id);
    e->command.has_value = true;
    e->command.value = wire_strdup(m, command);
    res_set r = {0};
    res_add_scalar(&r, "cpus", "*", 0.1);
    res_add_scalar(&r, "mem", "*", 32);
    res_to_wire(&r, m, &e->resources, &e->resources_count);
    res_free(&r);
    return e;
}

START_TEST(test_crashing_executor_fails_its_task_and_is_reported_lost)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *m = wire_new(WIRE_DESC(executor_info));
    tc_task t = {.id = "doomed", .executor = shell_executor(m, "crasher", "exit 7"),
                 .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "doomed", WIRE_TASK_FAILED, 60));
    for (int i = 0; i < 1000 && tc_executor_lost_count(s) == 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_int_eq(tc_executor_lost_count(s), 1);
    wire_msg_free(m);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_executor_that_never_registers_times_out)
{
    tc_cluster c;
    const char *flags[] = {"--executor_registration_timeout=1secs", NULL};
    tc_start(&c, flags);
    tc_sched *s = tc_sched_start(&c, false);
    wire_msg *m = wire_new(WIRE_DESC(executor_info));
    tc_task t = {.id = "stuck", .executor = shell_executor(m, "silent", "sleep 1000"),
                 .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "stuck", WIRE_TASK_FAILED, 60));
    char msg[256];
    ck_assert_msg(strstr(tc_last_message(s, "stuck", msg, sizeof msg), "did not register"),
                  "message: %s", msg);
    wire_msg_free(m);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_restarted_slave_finds_its_task_and_updates_arrive_exactly_once)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, true);
    char go[4300], cmd[4400];
    snprintf(go, sizeof go, "%s/go", c.dir);
    snprintf(cmd, sizeof cmd, "while [ ! -e %s ]; do sleep 0.05; done; echo finished", go);
    tc_task t = {.id = "survivor", .command = cmd, .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "survivor", WIRE_TASK_RUNNING, 60));
    tc_kill_slave(&c, SIGKILL);
    tc_start_slave(&c, NULL);
    FILE *f = fopen(go, "w"); /* let the task finish only now */
    fclose(f);
    ck_assert_msg(tc_wait_state(s, "survivor", WIRE_TASK_FINISHED, 60),
                  "no TASK_FINISHED after the restart; see %s", c.slave_log);
    ck_assert_int_eq(tc_count_state(s, "survivor", WIRE_TASK_RUNNING), 1);
    ck_assert_int_eq(tc_count_state(s, "survivor", WIRE_TASK_FINISHED), 1);
    ck_assert_int_eq(tc_count_state(s, "survivor", WIRE_TASK_LOST), 0);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- an HTTP server in this process for the fetcher --------------------------------------- */

static act_buf archive;

static void serve_archive(act_actor *self, act_http_req *req)
{
    act_http_respond(req, 200, "application/octet-stream", archive.data, archive.len, NULL);
}

START_TEST(test_fetcher_extracts_an_archive_served_over_http)
{
    tu_runtime_start(1); /* the driver will use this runtime; it also serves the archive */
    act_actor *a = act_new("web", NULL);
    act_route(a, "bundle.tgz", serve_archive, "test archive");
    act_spawn(a, 0);
    char *tmp = tu_tmpdir(), cmd[4400];
    snprintf(cmd, sizeof cmd, "cd %s && mkdir -p b && echo fetched-content > b/hello.txt && "
             "tar czf bundle.tgz -C b hello.txt", tmp);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/bundle.tgz", tmp);
    FILE *f = fopen(cmd, "rb");
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) act_buf_append(&archive, chunk, n);
    fclose(f);
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/web/bundle.tgz", act_port());
    wire_command_uri uri = {.value = url, .has_extract = true, .extract = true};
    tc_task t = {.id = "fetching", .command = "cat hello.txt", .cpus = 0.1, .mem = 16,
                 .uris = &uri, .nuris = 1};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "fetching", WIRE_TASK_FINISHED, 60), "see %s", c.slave_log);
    char pattern[4600];
    tc_sandbox_glob(&c, "fetching", "stdout", pattern, sizeof pattern);
    ck_assert(tc_wait_glob_contains(pattern, "fetched-content", 5));
    tc_sched_stop(s);
    tc_stop(&c);
    act_shutdown();
    act_buf_free(&archive);
    tu_rmrf(tmp);
    free(tmp);
}
END_TEST

START_TEST(test_finished_sandboxes_are_garbage_collected)
{
    tc_cluster c;
    const char *flags[] = {"--gc_delay=3secs", NULL};
    tc_start(&c, flags);
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t = {.id = "brief", .command = "echo sandbox-was-here", .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "brief", WIRE_TASK_FINISHED, 60));
    char pattern[4600], out[4600];
    snprintf(pattern, sizeof pattern, "%s/slaves/*/frameworks/*/executors/brief/runs/*-*",
             tc_slave_work_dir(&c));
    /* first the sandbox exists (so its absence below means something) */
    tc_sandbox_glob(&c, "brief", "stdout", out, sizeof out);
    ck_assert(tc_wait_glob_contains(out, "sandbox-was-here", 2));
    bool gone = false;
    for (int i = 0; i < 3000 && !gone; i++) {
        glob_t g;
        gone = glob(pattern, 0, NULL, &g) == GLOB_NOMATCH;
        if (!gone) globfree(&g);
        struct timespec ts = {0, 10000000};
        if (!gone) nanosleep(&ts, NULL);
    }
    ck_assert_msg(gone, "the sandbox %s was not collected", pattern);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* The pid a task printed as "pid=N" in its stdout (bounded wait). */
static int task_pid(tc_cluster *c, const char *task_id)
{
    char pattern[4600];
    tc_sandbox_glob(c, task_id, "stdout", pattern, sizeof pattern);
    ck_assert(tc_wait_glob_contains(pattern, "pid=", 20));
    glob_t g;
    ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
    FILE *f = fopen(g.gl_pathv[0], "r");
    char out[4096] = "";
    size_t got = fread(out, 1, sizeof out - 1, f);
    out[got] = '\0';
    fclose(f);
    globfree(&g);
    int pid = 0;
    ck_assert_int_eq(sscanf(strstr(out, "pid="), "pid=%d", &pid), 1);
    return pid;
}

START_TEST(test_recover_cleanup_kills_the_old_tasks_and_exits)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, true);
    tc_task t = {.id = "old", .command = "echo pid=$$; exec sleep 1000", .cpus = 0.1,
                 .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "old", WIRE_TASK_RUNNING, 60));
    int pid = task_pid(&c, "old");
    tc_kill_slave(&c, SIGKILL);
    ck_assert_int_eq(kill(pid, 0), 0); /* the task survived its slave */
    char log[4300];
    snprintf(log, sizeof log, "%s/cleanup.log", c.dir);
    const char *cleanup[] = {"--recover=cleanup", NULL};
    int status = tu_stop(tc_spawn_slave(&c, cleanup, log), 0, 60); /* signal 0: only wait */
    ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "cleanup did not exit 0 (%d); see %s", status, log);
    ck_assert_msg(tu_wait_gone(pid, 30), "the old task %d survived --recover=cleanup", pid);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* --strict (the default): a checkpoint that does not read stops the restarted slave, which
 * names the file and the remedy and leaves the old task alone. */
START_TEST(test_strict_recovery_exits_at_a_corrupt_checkpoint_leaving_the_task)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, true);
    tc_task t = {.id = "kept", .command = "echo pid=$$; exec sleep 1000", .cpus = 0.1,
                 .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "kept", WIRE_TASK_RUNNING, 60));
    int pid = task_pid(&c, "kept"), executor = tu_parent(pid);
    char comm[64];
    snprintf(comm, sizeof comm, "/proc/%d/comm", executor);
    char *name = tu_read_file(comm);
    ck_assert_msg(name && strcmp(name, "mesos-executor\n") == 0, "the task's parent is %s",
                  name ? name : "gone"); /* the command executor, which forked it */
    free(name);
    tc_kill_slave(&c, SIGKILL);
    ck_assert_int_eq(tu_sh(NULL, "f=$(find '%s/meta' -path '*/tasks/kept/task.info') && "
                           "[ -n \"$f\" ] && printf '\\301' > \"$f\"",
                           tc_slave_work_dir(&c)), 0);
    char log[4300];
    snprintf(log, sizeof log, "%s/strict.log", c.dir);
    int status = tu_stop(tc_spawn_slave(&c, NULL, log), 0, 60); /* signal 0: only wait */
    ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1,
                  "strict recovery did not exit 1 (%d); see %s", status, log);
    char *text = tu_read_file(log);
    ck_assert_msg(text && strstr(text, "Failed to perform recovery") &&
                  strstr(text, "kept/task.info") && strstr(text, "rm -f"),
                  "the log does not name the file and the remedy: %s", log);
    free(text);
    ck_assert_msg(tu_alive(pid), "strict recovery killed the task %d", pid);
    kill(pid, SIGKILL);
    kill(executor, SIGKILL); /* no slave comes back for it: it would wait out its recovery */
    ck_assert(tu_wait_gone(executor, 30));
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

START_TEST(test_malformed_messages_to_the_slave_are_counted_and_it_keeps_working)
{
    tc_cluster c;
    tc_start(&c, NULL);
    static const char *names[] = {"RunTaskMessage", "KillTaskMessage", "StatusUpdateMessage",
                                  "RegisterExecutorMessage", "PingSlaveMessage"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char req[512];
        int n = snprintf(req, sizeof req,
                         "POST /slave(1)/mesos.internal.%s HTTP/1.1\r\n"
                         "Libprocess-From: master@127.0.0.1:%u\r\nContent-Length: 5\r\n\r\n"
                         "\xdf\xff\xff\xff\xff", names[i], c.master_port);
        int fd = tu_connect(c.slave_port);
        ck_assert_int_eq(write(fd, req, (size_t)n), n);
        close(fd);
    }
    bool counted = false;
    for (int i = 0; i < 1000 && !counted; i++) {
        act_buf m = {0};
        counted = tu_http_get(c.slave_port, "/metrics/snapshot", &m) == 200 &&
                  strstr(m.data, "\"wire\\/malformed_messages\":5");
        act_buf_free(&m);
        struct timespec ts = {0, 10000000};
        if (!counted) nanosleep(&ts, NULL);
    }
    ck_assert_msg(counted, "the slave did not count 5 malformed messages");
    tc_sched *s = tc_sched_start(&c, false); /* and it still runs tasks */
    tc_task t = {.id = "after", .command = "true", .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "after", WIRE_TASK_FINISHED, 60));
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

static int run_tool(char *const argv[], const char *log)
{
    int pid = tu_spawn(argv, log);
    int status = -1;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_mesos_execute_exits_zero_only_when_the_task_finished)
{
    tc_cluster c;
    tc_start(&c, NULL);
    char master[96], log[4300], out[4096] = "";
    snprintf(master, sizeof master, "--master=%s", c.master_addr);
    snprintf(log, sizeof log, "%s/execute.log", c.dir);
    char *ok[] = {(char *)tu_bin("mesos-execute"), master, "--name=ok", "--command=echo hi",
                  "--resources=cpus:0.1;mem:32", NULL};
    ck_assert_int_eq(run_tool(ok, log), 0);
    FILE *f = fopen(log, "r");
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    ck_assert(strstr(out, "Framework registered with"));
    ck_assert(strstr(out, "TASK_FINISHED"));
    char *bad[] = {(char *)tu_bin("mesos-execute"), master, "--name=bad", "--command=exit 3",
                   "--resources=cpus:0.1;mem:32", NULL};
    ck_assert_int_eq(run_tool(bad, log), 1);
    char *missing[] = {(char *)tu_bin("mesos-execute"), master, "--name=x", NULL};
    ck_assert_int_eq(run_tool(missing, log), 1);
    /* the slave serves the sandbox of the finished task through /files */
    char pattern[4600];
    glob_t g;
    tc_sandbox_glob(&c, "ok", "stdout", pattern, sizeof pattern);
    ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
    char real[4096], url[4400];
    ck_assert_ptr_nonnull(realpath(g.gl_pathv[0], real));
    globfree(&g);
    *strrchr(real, '/') = '\0';
    snprintf(url, sizeof url, "/files/read.json?path=%s/stdout&offset=0", real);
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(c.slave_port, url, &body), 200);
    ck_assert_msg(strstr(body.data, "hi\\n"), "read.json: %s", body.data);
    act_buf_free(&body);
    tc_stop(&c);
}
END_TEST

START_TEST(test_mesos_local_runs_a_master_and_slaves_and_stops_cleanly)
{
    char *dir = tu_tmpdir(), port[32], work[4200], log[4300];
    uint16_t p = tu_free_port();
    snprintf(port, sizeof port, "--port=%u", p);
    snprintf(work, sizeof work, "--work_dir=%s", dir);
    snprintf(log, sizeof log, "%s/local.log", dir);
    char *argv[] = {(char *)tu_bin("mesos-local"), port, work, "--num_slaves=2",
                    "--resources=cpus:1;mem:256;disk:64", NULL};
    int pid = tu_spawn(argv, log);
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
    int status = tu_stop(pid, SIGTERM, 30);
    ck_assert(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_ne(tu_http_get(p, "/master/health", NULL), 200); /* the master is gone too */
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *slave_process_suite(void)
{
    Suite *s = suite_create("slave_process");
    TCase *tc = tcase_create("end_to_end");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_hundred_command_tasks_finish_with_their_output_in_stdout);
    tcase_add_test(tc, test_killed_task_ends_killed_and_its_process_group_is_gone);
    tcase_add_test(tc, test_crashing_executor_fails_its_task_and_is_reported_lost);
    tcase_add_test(tc, test_executor_that_never_registers_times_out);
    tcase_add_test(tc, test_restarted_slave_finds_its_task_and_updates_arrive_exactly_once);
    tcase_add_test(tc, test_fetcher_extracts_an_archive_served_over_http);
    tcase_add_test(tc, test_finished_sandboxes_are_garbage_collected);
    tcase_add_test(tc, test_mesos_execute_exits_zero_only_when_the_task_finished);
    tcase_add_test(tc, test_mesos_local_runs_a_master_and_slaves_and_stops_cleanly);
    tcase_add_test(tc, test_recover_cleanup_kills_the_old_tasks_and_exits);
    tcase_add_test(tc, test_strict_recovery_exits_at_a_corrupt_checkpoint_leaving_the_task);
    tcase_add_test(tc, test_malformed_messages_to_the_slave_are_counted_and_it_keeps_working);
    suite_add_tcase(s, tc);
    return s;
}
