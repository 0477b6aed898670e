/*
 * test_binaries.c - what a new user meets first, on the real binaries: `--version` prints
 * "mesos 0.22.0" once, a --log_dir that cannot be used stops a daemon at start-up, the slave
 * names the master's full PID when it registers, and mesos-execute says what it waits for
 * when no offer fits instead of waiting silently.
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs a binary of the build with one argument; returns its exit code and output. */
static int run_capturing(const char *bin, const char *arg, const char *dir, char **out)
{
    char log[4200];
    snprintf(log, sizeof log, "%s/%s.out", dir, bin);
    char *argv[] = {(char *)tu_bin(bin), (char *)arg, NULL};
    int rc = tu_run(argv, log, 60);
    *out = tu_read_file(log);
    ck_assert_ptr_nonnull(*out);
    return rc;
}

START_TEST(test_every_binary_prints_the_mesos_version_once)
{
    char *dir = tu_tmpdir();
    static const char *const bins[] = {"mesos-master", "mesos-slave", "mesos-execute",
                                       "mesos-local"};
    for (size_t i = 0; i < sizeof bins / sizeof bins[0]; i++) {
        char *out;
        ck_assert_int_eq(run_capturing(bins[i], "--version", dir, &out), 0);
        ck_assert_msg(strcmp(out, "mesos " WIRE_VERSION "\n") == 0, "%s --version: '%s'",
                      bins[i], out);
        free(out);
    }
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(test_unusable_log_dir_stops_a_daemon_at_startup)
{
    char *dir = tu_tmpdir(), file[4200], flag[4300];
    snprintf(file, sizeof file, "%s/not-a-dir", dir);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(flag, sizeof flag, "--log_dir=%s/logs", file); /* under a regular file */
    static const char *const daemons[] = {"mesos-master", "mesos-slave"};
    for (size_t i = 0; i < 2; i++) {
        char log[4300], work[4300];
        snprintf(log, sizeof log, "%s/%s.out", dir, daemons[i]);
        snprintf(work, sizeof work, "--work_dir=%s/work", dir);
        char *argv[] = {(char *)tu_bin(daemons[i]), flag, work, "--master=127.0.0.1:1",
                        "--port=0", NULL};
        if (i == 0) argv[3] = "--registry=in_memory"; /* the master has no --master */
        ck_assert_int_eq(tu_run(argv, log, 60), 1);
        char *out = tu_read_file(log);
        ck_assert_msg(out && strstr(out, "Cannot write logs to --log_dir=") &&
                          strstr(out, "Not a directory"),
                      "%s: %s", daemons[i], out ? out : "(no output)");
        free(out);
    }
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(test_slave_logs_the_masters_full_pid_when_it_registers)
{
    tc_cluster c;
    tc_start(&c, NULL);
    char attempt[128], done[128];
    snprintf(attempt, sizeof attempt, "Registering with master master@127.0.0.1:%u\n",
             c.master_port);
    snprintf(done, sizeof done, "Registered with master master@127.0.0.1:%u; given slave ID ",
             c.master_port);
    ck_assert_msg(tu_wait_file_contains(c.slave_log, attempt, 30), "no '%s' in %s", attempt,
                  c.slave_log);
    ck_assert_msg(tu_wait_file_contains(c.slave_log, done, 30), "no '%s' in %s", done,
                  c.slave_log);
    tc_stop(&c);
}
END_TEST

START_TEST(test_mesos_execute_says_what_it_waits_for_and_the_largest_offer)
{
    tc_cluster c;
    tc_start(&c, NULL); /* the slave has cpus:4;mem:2048 */
    char master[96], log[4300];
    snprintf(master, sizeof master, "--master=%s", c.master_addr);
    snprintf(log, sizeof log, "%s/execute.log", c.dir);
    char *argv[] = {(char *)tu_bin("mesos-execute"), master, "--name=big", "--command=true",
                    "--resources=cpus:8;mem:64", NULL};
    int pid = tu_spawn(argv, log);
    ck_assert_msg(tu_wait_file_contains(log, "No offer fits after 5 s: waiting for cpus(*):8; "
                                             "mem(*):64 (plus 0.1 cpus and 32 MB",
                                        30),
                  "see %s", log);
    char *out = tu_read_file(log);
    ck_assert_msg(strstr(out, "the largest offer so far is cpus(*):4; mem(*):2048;"), "%s", out);
    json_t *st = tc_slave_state(&c); /* the offer names the slave by the hostname it reports */
    char on[300];
    snprintf(on, sizeof on, "ports(*):[31000-31100] on %s\n",
             json_string_value(json_object_get(st, "hostname")));
    json_decref(st);
    ck_assert_msg(strstr(out, on), "%s", out);
    free(out);
    tu_stop(pid, SIGKILL, 10);
    tc_stop(&c);
}
END_TEST

Suite *binaries_suite(void)
{
    Suite *s = suite_create("binaries");
    TCase *tc = tcase_create("first_contact");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_every_binary_prints_the_mesos_version_once);
    tcase_add_test(tc, test_unusable_log_dir_stops_a_daemon_at_startup);
    tcase_add_test(tc, test_slave_logs_the_masters_full_pid_when_it_registers);
    tcase_add_test(tc, test_mesos_execute_says_what_it_waits_for_and_the_largest_offer);
    suite_add_tcase(s, tc);
    return s;
}
