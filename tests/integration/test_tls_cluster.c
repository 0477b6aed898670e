/*
 * test_tls_cluster.c - a cluster whose every connection is TLS (LIBPROCESS_SSL_* with
 * certificates the test makes with openssl, verified and required both ways, no downgrade):
 * the real master and slave, the command executor the slave starts (it inherits the
 * environment) and the test scheduler run a task end to end, and mesos-ps reads it over HTTPS;
 * a plain-text client and a client whose certificate another CA signed are refused.
 */
#include "tests/support/cluster.h"
#include "tests/support/tlsutil.h"

#include <check.h>
#include <string.h>

START_TEST(test_a_tls_cluster_runs_a_task_and_refuses_strangers)
{
    char *dir = tu_tmpdir();
    tls_make_certs(dir);
    tls_env(dir, "node", true, true, false);
    tls_http_client(dir, "node");
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t = {.id = "t1", .command = "echo over-tls", .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "t1", WIRE_TASK_FINISHED, 60));

    static const char get[] = "GET /master/health HTTP/1.1\r\n\r\n";
    ck_assert_int_eq(tu_http_raw(c.master_port, get, sizeof get - 1, NULL), -1);
    ck_assert_int_eq(tls_https_get(dir, "rogue", c.master_ip, c.master_port, "/master/health",
                                   NULL), -1);
    ck_assert(tu_wait_metric_at(c.master_ip, c.master_port, "runtime/tls_refused_connections",
                                2, 10));
    ck_assert_int_eq(tls_https_get(dir, "node", c.master_ip, c.master_port, "/master/health",
                                   NULL), 200);
    /* The command-line tools read the cluster over HTTPS with the same environment. */
    char master[96], out[4400];
    snprintf(master, sizeof master, "--master=%s", c.master_addr);
    snprintf(out, sizeof out, "%s/ps.out", c.dir);
    char *ps[] = {(char *)tu_bin("mesos-ps"), master, "--inactive", NULL};
    ck_assert_msg(tu_run(ps, out, 60) == 0, "mesos-ps failed over TLS; see %s", out);
    ck_assert(tu_wait_file_contains(out, "t1", 1));
    tc_sched_stop(s);
    tc_stop(&c);
    tu_http_set_client(NULL);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *tls_cluster_suite(void)
{
    Suite *s = suite_create("tls_cluster");
    TCase *tc = tcase_create("binaries");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_a_tls_cluster_runs_a_task_and_refuses_strangers);
    suite_add_tcase(s, tc);
    return s;
}
