/*
 * test_rate_limits.c - --rate_limits with the real master: a framework sending ten times its
 * qps is handled no faster than its qps (the counters say so), while another framework
 * registers and gets offers meanwhile; a framework that fills its queue's capacity gets the
 * error callback. (How long the other framework waits for offers under the flood, against
 * its wait without it, is a figure of `make bench`: tests/bench/security_bench.c.)
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <string.h>
#include <time.h>

static double counter(tc_cluster *c, const char *principal, const char *which)
{
    char name[128];
    snprintf(name, sizeof name, "frameworks/%s/messages_%s", principal, which);
    return tu_metric_at(c->master_ip, c->master_port, name);
}

static tc_sched *framework(tc_cluster *c, const char *principal)
{
    tc_sched_options o = {.name = principal, .principal = principal};
    tc_sched *s = tc_sched_start_with(c->master_addr, &o);
    ck_assert(tc_wait_registrations(s, 1, 30));
    return s;
}

START_TEST(test_a_framework_at_ten_times_its_qps_is_slowed_to_it)
{
    const double qps = 20;
    const char *master_flags[] = {"--rate_limits={\"limits\": [{\"principal\": \"flood\", "
                                  "\"qps\": 20}]}", NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags};
    tc_start_with(&c, &o);
    tc_sched *flood = framework(&c, "flood");
    double start = tu_mono(), processed0 = counter(&c, "flood", "processed");
    int sent = 0;
    while (tu_mono() - start < 2.0) { /* 10 x qps, paced by the clock */
        tc_reconcile(flood);
        sent++;
        struct timespec ts = {0, (long)(1e9 / (10 * qps))};
        nanosleep(&ts, NULL);
    }
    tc_sched *calm = framework(&c, "calm"); /* registers and is offered meanwhile */
    for (int i = 0; i < 3000 && tc_offer_count(calm) == 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_int_gt(tc_offer_count(calm), 0);
    double elapsed = tu_mono() - start;
    double handled = counter(&c, "flood", "processed") - processed0;
    ck_assert_msg(handled <= qps * elapsed + 1, "%.0f of %d messages handled in %.2f s at %g "
                  "qps", handled, sent, elapsed, qps);
    ck_assert_msg(handled >= 1, "nothing handled");
    ck_assert(tu_wait_metric_at(c.master_ip, c.master_port, "frameworks/flood/messages_received",
                                processed0 + sent, 30));
    tc_sched_stop(calm);
    tc_sched_stop(flood);
    tc_stop(&c);
}
END_TEST

START_TEST(test_past_its_capacity_a_framework_gets_the_error_callback)
{
    const char *master_flags[] = {"--rate_limits={\"limits\": [{\"principal\": \"flood\", "
                                  "\"qps\": 1, \"capacity\": 5}]}", NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags, .no_slave = true};
    tc_start_with(&c, &o);
    tc_sched *flood = framework(&c, "flood");
    for (int i = 0; i < 20; i++) tc_reconcile(flood);
    char error[512];
    ck_assert(tc_wait_error(flood, error, sizeof error, 30));
    ck_assert_str_eq(error, "Message mesos.internal.ReconcileTasksMessage dropped: capacity(5) "
                            "exceeded");
    tc_sched_stop(flood);
    tc_stop(&c);
}
END_TEST

Suite *rate_limits_suite(void)
{
    Suite *s = suite_create("rate_limits");
    TCase *tc = tcase_create("binaries");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_a_framework_at_ten_times_its_qps_is_slowed_to_it);
    tcase_add_test(tc, test_past_its_capacity_a_framework_gets_the_error_callback);
    suite_add_tcase(s, tc);
    return s;
}
