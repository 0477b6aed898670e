/*
 * test_ratelimit.c - --rate_limits with the real master and real scheduler drivers in one
 * process on a paused clock: a flooding framework's messages are handled one per 1/qps and in
 * order while another framework's go at once; over its capacity the framework gets the error
 * callback; frameworks not listed share the aggregate default limit, a listed principal
 * without qps is not limited; and the per-principal counters live as long as a framework of
 * that principal does.
 */
#include "sched/sched.h"
#include "tests/support/mastertest.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <string.h>

static act_pid master_pid;
static char master_addr[64];
static wire_msg *limits;

typedef struct fw {
    int registered;
    char error[256];
    sched_driver *driver;
} fw;

static void on_registered(sched_driver *d, const wire_framework_id *id,
                          const wire_master_info *mi)
{
    ((fw *)sched_driver_ctx(d))->registered++;
}

static void on_error(sched_driver *d, const char *message)
{
    snprintf(((fw *)sched_driver_ctx(d))->error, 256, "%s", message);
}

static void settle(void)
{
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void start_master(const char *json)
{
    char err[256];
    ck_assert_msg(wire_from_json(WIRE_DESC(rate_limits), json, strlen(json), &limits, err,
                                 sizeof err) == 0, "%s", err);
    ck_assert_ptr_null(m_rate_limits_check(limits->root, err, sizeof err));
    master_config cfg;
    master_config_default(&cfg);
    cfg.rate_limits = limits->root;
    mt_start(&cfg, &master_pid, master_addr, sizeof master_addr);
}

static void stop_master(void)
{
    act_shutdown();
    act_clock_resume();
    wire_msg_free(limits);
}

static void start_fw(fw *f, const char *principal)
{
    memset(f, 0, sizeof *f);
    sched_scheduler cb = {.registered = on_registered, .error = on_error};
    wire_framework_info fi = {.user = "", .name = "rl", .has_principal = principal != NULL,
                              .principal = (char *)principal};
    f->driver = sched_driver_new(&cb, f, &fi, master_addr, NULL);
    ck_assert_int_eq(sched_driver_start(f->driver), SCHED_DRIVER_RUNNING);
    settle();
    ck_assert_int_eq(f->registered, 1);
}

static void stop_fw(fw *f)
{
    sched_driver_stop(f->driver, false);
    sched_driver_join(f->driver);
    sched_driver_free(f->driver);
    settle();
}

static void flood(fw *f, int n)
{
    for (int i = 0; i < n; i++) sched_driver_reconcile_tasks(f->driver, NULL, 0);
    settle();
}

static double metric(const char *principal, const char *which)
{
    char name[256];
    snprintf(name, sizeof name, "frameworks/%s/messages_%s", principal, which);
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/metrics/snapshot", &body), 200);
    char key[300];
    snprintf(key, sizeof key, "\"frameworks\\/%s\\/messages_%s\":", principal, which);
    const char *p = strstr(body.data, key);
    double v = p ? strtod(p + strlen(key), NULL) : -1;
    act_buf_free(&body);
    return v;
}

static void advance(int steps, double secs)
{
    for (int i = 0; i < steps; i++) {
        act_clock_advance(secs);
        settle();
    }
}

START_TEST(test_a_flooding_framework_goes_at_its_qps_and_others_at_once)
{
    start_master("{\"limits\": [{\"principal\": \"flood\", \"qps\": 10}]}");
    fw a, b;
    start_fw(&a, "flood");
    start_fw(&b, "calm");
    double before = metric("flood", "processed");
    flood(&a, 100);
    ck_assert_double_eq(metric("flood", "received"), before + 100);
    ck_assert_double_eq(metric("flood", "processed"), before + 1); /* the first at once */
    double calm = metric("calm", "processed");
    flood(&b, 5);
    ck_assert_double_eq(metric("calm", "processed"), calm + 5); /* not behind the flood */
    advance(10, 0.1);
    ck_assert_double_eq(metric("flood", "processed"), before + 11);
    advance(89, 0.1);
    ck_assert_double_eq(metric("flood", "processed"), before + 100);
    ck_assert_str_eq(a.error, "");
    stop_fw(&a);
    stop_fw(&b);
    stop_master();
}
END_TEST

/* A loaded host wakes timers late: here every turn comes half an interval late, and the
 * framework still goes at its qps, neither slower nor in bursts. */
START_TEST(test_late_timers_keep_the_rate)
{
    start_master("{\"limits\": [{\"principal\": \"flood\", \"qps\": 10}]}");
    fw a;
    start_fw(&a, "flood");
    double before = metric("flood", "processed");
    flood(&a, 100);
    advance(20, 0.15);
    /* 3 s at 10 qps after the first (a turn due at a step's very end may fall to the next) */
    double handled = metric("flood", "processed") - before;
    ck_assert_msg(handled >= 30 && handled <= 31, "%.0f handled", handled);
    advance(1, 1.0); /* a whole second late: at most one interval gained back, not ten */
    double more = metric("flood", "processed") - before - handled;
    ck_assert_msg(more >= 1 && more <= 3, "%.0f handled after 1 s late", more);
    stop_fw(&a);
    stop_master();
}
END_TEST

START_TEST(test_over_its_capacity_a_framework_gets_the_error_callback)
{
    start_master("{\"limits\": [{\"principal\": \"flood\", \"qps\": 1, \"capacity\": 3}]}");
    fw a;
    start_fw(&a, "flood");
    flood(&a, 10);
    ck_assert_str_eq(a.error, "Message mesos.internal.ReconcileTasksMessage dropped: "
                              "capacity(3) exceeded");
    stop_fw(&a);
    stop_master();
}
END_TEST

START_TEST(test_unlisted_frameworks_share_the_default_and_listed_without_qps_go_free)
{
    start_master("{\"limits\": [{\"principal\": \"free\"}], \"aggregate_default_qps\": 2}");
    fw x, y, z;
    start_fw(&x, "x");
    start_fw(&y, NULL); /* no principal: the default limiter too */
    start_fw(&z, "free");
    double x0 = metric("x", "processed"), z0 = metric("free", "processed");
    flood(&x, 4);
    flood(&y, 4);
    flood(&z, 4);
    ck_assert_double_eq(metric("free", "processed"), z0 + 4);
    ck_assert_double_eq(metric("x", "processed"), x0 + 1);
    advance(3, 0.5); /* x's three others, then y's (one limiter for both, in order) */
    ck_assert_double_eq(metric("x", "processed"), x0 + 4);
    stop_fw(&x);
    stop_fw(&y);
    stop_fw(&z);
    stop_master();
}
END_TEST

START_TEST(test_a_principals_counters_go_with_its_last_framework)
{
    start_master("{}");
    fw a, b;
    start_fw(&a, "p");
    start_fw(&b, "p");
    ck_assert_double_ge(metric("p", "received"), 0);
    stop_fw(&a);
    ck_assert_double_ge(metric("p", "received"), 0);
    stop_fw(&b);
    ck_assert_double_eq(metric("p", "received"), -1);
    stop_master();
}
END_TEST

START_TEST(test_invalid_limits_are_refused_as_mesos_does)
{
    static const char *const bad[][2] = {
        {"{\"limits\": [{\"principal\": \"a\", \"qps\": 0}]}",
         "Invalid qps: 0. It must be a positive number"},
        {"{\"limits\": [{\"principal\": \"a\"}, {\"principal\": \"a\", \"qps\": 1}]}",
         "Duplicate principal a found in RateLimits configuration"},
        {"{\"aggregate_default_qps\": -1}",
         "Invalid aggregate_default_qps: -1. It must be a positive number"}};
    for (size_t i = 0; i < 3; i++) {
        wire_msg *m;
        char err[256], why[256];
        ck_assert_int_eq(wire_from_json(WIRE_DESC(rate_limits), bad[i][0], strlen(bad[i][0]),
                                        &m, err, sizeof err), 0);
        ck_assert_str_eq(m_rate_limits_check(m->root, why, sizeof why), bad[i][1]);
        wire_msg_free(m);
    }
}
END_TEST

Suite *ratelimit_suite(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_flooding_framework_goes_at_its_qps_and_others_at_once);
    tcase_add_test(tc, test_late_timers_keep_the_rate);
    tcase_add_test(tc, test_over_its_capacity_a_framework_gets_the_error_callback);
    tcase_add_test(tc, test_unlisted_frameworks_share_the_default_and_listed_without_qps_go_free);
    tcase_add_test(tc, test_a_principals_counters_go_with_its_last_framework);
    tcase_add_test(tc, test_invalid_limits_are_refused_as_mesos_does);
    suite_add_tcase(s, tc);
    return s;
}
