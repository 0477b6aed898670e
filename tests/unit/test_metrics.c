/*
 * test_metrics.c - the metrics registry: the exact /metrics/snapshot text for a small
 * registry, timing statistics over the sample window (percentiles by linear interpolation
 * between closest ranks, position = p * (n - 1), as libprocess computes them), kind
 * mismatches, removal, and exact totals under concurrent updates.
 */
#include "actor/actor.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

static void setup(void)
{
    act_metrics_reset();
}

static void teardown(void)
{
    act_metrics_reset();
}

/* The current snapshot as a string (free it). */
static char *snapshot(void)
{
    act_buf b = {0};
    act_metrics_snapshot(&b);
    return act_buf_detach(&b, NULL);
}

#define ASSERT_SNAPSHOT(expected)                                                              \
    do {                                                                                       \
        char *got_ = snapshot();                                                               \
        ck_assert_str_eq(got_, expected);                                                      \
        free(got_);                                                                            \
    } while (0)

START_TEST(test_empty_registry_is_an_empty_object)
{
    ASSERT_SNAPSHOT("{}");
}
END_TEST

START_TEST(test_snapshot_of_a_small_registry_is_exact)
{
    act_counter_inc(act_counter_get("master/elected"));
    act_counter_add(act_counter_get("master/tasks_running"), 3);
    act_gauge_set(act_gauge_get("master/cpus_total"), 4.5);
    act_timing *t = act_timing_get("allocator/allocation_run_ms");
    /* Sorted: 1 2 3 4. p50 at position 1.5 -> 2.5; p90 at 2.7 -> 3.7; p95 at 2.85 -> 3.85;
     * p99 at 2.97 -> 3.97; p999 at 2.997 -> 3.997; p9999 at 2.9997 -> 3.9997.
     * The last sample recorded (2) is the bare value. */
    act_timing_record(t, 3);
    act_timing_record(t, 1);
    act_timing_record(t, 4);
    act_timing_record(t, 2);
    ASSERT_SNAPSHOT("{\"allocator\\/allocation_run_ms\":2,"
                    "\"allocator\\/allocation_run_ms\\/count\":4,"
                    "\"allocator\\/allocation_run_ms\\/max\":4,"
                    "\"allocator\\/allocation_run_ms\\/min\":1,"
                    "\"allocator\\/allocation_run_ms\\/p50\":2.5,"
                    "\"allocator\\/allocation_run_ms\\/p90\":3.7,"
                    "\"allocator\\/allocation_run_ms\\/p95\":3.85,"
                    "\"allocator\\/allocation_run_ms\\/p99\":3.97,"
                    "\"allocator\\/allocation_run_ms\\/p999\":3.997,"
                    "\"allocator\\/allocation_run_ms\\/p9999\":3.9997,"
                    "\"master\\/cpus_total\":4.5,"
                    "\"master\\/elected\":1,"
                    "\"master\\/tasks_running\":3}");
}
END_TEST

START_TEST(test_percentiles_of_0_to_100_are_the_ranks)
{
    act_timing *t = act_timing_get("t");
    for (int i = 100; i >= 0; i--) act_timing_record(t, i);
    ASSERT_SNAPSHOT("{\"t\":0,\"t\\/count\":101,\"t\\/max\":100,\"t\\/min\":0,\"t\\/p50\":50,"
                    "\"t\\/p90\":90,\"t\\/p95\":95,\"t\\/p99\":99,\"t\\/p999\":99.9,"
                    "\"t\\/p9999\":99.99}");
}
END_TEST

START_TEST(test_one_sample_is_every_statistic)
{
    act_timing_record(act_timing_get("t"), 0.25);
    ASSERT_SNAPSHOT("{\"t\":0.25,\"t\\/count\":1,\"t\\/max\":0.25,\"t\\/min\":0.25,"
                    "\"t\\/p50\":0.25,\"t\\/p90\":0.25,\"t\\/p95\":0.25,\"t\\/p99\":0.25,"
                    "\"t\\/p999\":0.25,\"t\\/p9999\":0.25}");
}
END_TEST

START_TEST(test_timing_without_samples_shows_only_its_count)
{
    act_timing_get("registrar/state_store_ms");
    ASSERT_SNAPSHOT("{\"registrar\\/state_store_ms\\/count\":0}");
}
END_TEST

START_TEST(test_timing_window_keeps_the_last_1000_samples)
{
    act_timing *t = act_timing_get("t");
    for (int i = 0; i < 1500; i++) act_timing_record(t, i);
    /* Window 500..1499: p50 at position 499.5 -> 999.5, p90 at 899.1 -> 1399.1,
     * p95 at 949.05 -> 1449.05, p99 at 989.01 -> 1489.01, p999 at 998.001 -> 1498.001,
     * p9999 at 998.9001 -> 1498.9001. */
    ASSERT_SNAPSHOT("{\"t\":1499,\"t\\/count\":1000,\"t\\/max\":1499,\"t\\/min\":500,"
                    "\"t\\/p50\":999.5,\"t\\/p90\":1399.1,\"t\\/p95\":1449.05,"
                    "\"t\\/p99\":1489.01,\"t\\/p999\":1498.001,\"t\\/p9999\":1498.9001}");
}
END_TEST

START_TEST(test_non_finite_values_are_left_out)
{
    act_gauge_set(act_gauge_get("g"), NAN);
    act_timing *t = act_timing_get("t");
    act_timing_record(t, INFINITY);
    act_timing_record(t, NAN);
    ASSERT_SNAPSHOT("{\"t\\/count\":0}");
}
END_TEST

START_TEST(test_keys_sort_as_bytes_across_metrics)
{
    /* '-' sorts before '/', so "t-x" comes between "t" and "t/count". */
    act_counter_get("t-x");
    act_timing_record(act_timing_get("t"), 1);
    act_gauge_set(act_gauge_get("a"), -2);
    ASSERT_SNAPSHOT("{\"a\":-2,\"t\":1,\"t-x\":0,\"t\\/count\":1,\"t\\/max\":1,\"t\\/min\":1,"
                    "\"t\\/p50\":1,\"t\\/p90\":1,\"t\\/p95\":1,\"t\\/p99\":1,\"t\\/p999\":1,"
                    "\"t\\/p9999\":1}");
}
END_TEST

/* Mesos' stats.json: the endpoint's own figures merged in by key, winning a clash. */
START_TEST(test_snapshot_with_merges_entries_that_win_a_clash)
{
    act_counter_add(act_counter_get("master/elected"), 1);
    act_counter_get("m");
    act_metric_value extra[] = {{"uptime", 12.5}, {"m", 7}, {"a/b", 2}, {"nan", NAN}};
    act_buf out = {0};
    act_metrics_snapshot_with(&out, extra, 4);
    ck_assert_str_eq(out.data, "{\"a\\/b\":2,\"m\":7,\"master\\/elected\":1,\"uptime\":12.5}");
    act_buf_free(&out);
}
END_TEST

START_TEST(test_get_returns_the_same_object_for_a_name)
{
    act_counter *c = act_counter_get("c");
    ck_assert_ptr_eq(act_counter_get("c"), c);
    act_gauge *g = act_gauge_get("g");
    ck_assert_ptr_eq(act_gauge_get("g"), g);
    act_timing *t = act_timing_get("t");
    ck_assert_ptr_eq(act_timing_get("t"), t);
    act_counter_add(c, 5);
    ck_assert_uint_eq(act_counter_value(act_counter_get("c")), 5);
}
END_TEST

START_TEST(test_gauge_set_and_add)
{
    act_gauge *g = act_gauge_get("g");
    ck_assert_double_eq(act_gauge_value(g), 0);
    act_gauge_set(g, 1.5);
    act_gauge_add(g, -4);
    ck_assert_double_eq(act_gauge_value(g), -2.5);
}
END_TEST

START_TEST(test_kind_mismatch_returns_a_working_dummy_outside_the_snapshot)
{
    act_counter_inc(act_counter_get("x"));
    act_log_options quiet = {.quiet = true}; /* the mismatch is logged as an error */
    act_log_init(&quiet);
    act_gauge *g = act_gauge_get("x");
    act_timing *t = act_timing_get("x");
    act_log_close();
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(t);
    act_gauge_set(g, 9);
    ck_assert_double_eq(act_gauge_value(g), 9);
    act_timing_record(t, 1);
    ASSERT_SNAPSHOT("{\"x\":1}");
}
END_TEST

START_TEST(test_remove_drops_the_metric_and_its_name_can_be_reused)
{
    act_counter_inc(act_counter_get("frameworks/f1/messages_received"));
    act_counter_inc(act_counter_get("frameworks/f2/messages_received"));
    act_metric_remove("frameworks/f1/messages_received");
    act_metric_remove("no/such/metric");
    ASSERT_SNAPSHOT("{\"frameworks\\/f2\\/messages_received\":1}");
    act_gauge_set(act_gauge_get("frameworks/f1/messages_received"), 7);
    ASSERT_SNAPSHOT("{\"frameworks\\/f1\\/messages_received\":7,"
                    "\"frameworks\\/f2\\/messages_received\":1}");
}
END_TEST

START_TEST(test_reset_removes_everything)
{
    act_counter_get("a");
    act_gauge_get("b");
    act_timing_record(act_timing_get("c"), 1);
    act_metrics_reset();
    ASSERT_SNAPSHOT("{}");
}
END_TEST

START_TEST(test_many_names_stay_sorted)
{
    for (int i = 299; i >= 0; i--) {
        char name[32];
        snprintf(name, sizeof name, "m/%03d", (i * 7) % 300);
        act_counter_add(act_counter_get(name), (uint64_t)((i * 7) % 300));
    }
    char *got = snapshot();
    const char *p = got;
    for (int i = 0; i < 300; i++) {
        char key[48];
        snprintf(key, sizeof key, "\"m\\/%03d\":%d", i, i);
        const char *hit = strstr(p, key);
        ck_assert_msg(hit, "missing or out of order: %s", key);
        p = hit;
    }
    free(got);
}
END_TEST

#define THREADS 4
#define INCREMENTS 100000

static void *incrementer(void *arg)
{
    (void)arg;
    for (int i = 0; i < INCREMENTS; i++) {
        /* Looking the counter up each time also races get-or-create. */
        act_counter_inc(act_counter_get("hits"));
        if (i % 10 == 0) act_gauge_add(act_gauge_get("level"), 1);
        if (i % 100 == 0) act_timing_record(act_timing_get("lat"), i);
    }
    return NULL;
}

START_TEST(test_concurrent_updates_give_exact_totals)
{
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, incrementer, NULL);
    for (int i = 0; i < THREADS; i++) {
        char *snap = snapshot(); /* snapshots race the writers too */
        free(snap);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    ck_assert_uint_eq(act_counter_value(act_counter_get("hits")), (uint64_t)THREADS * INCREMENTS);
    ck_assert_double_eq(act_gauge_value(act_gauge_get("level")), THREADS * INCREMENTS / 10);
    char *snap = snapshot();
    ck_assert_ptr_nonnull(strstr(snap, "\"lat\\/count\":1000,"));
    free(snap);
}
END_TEST

Suite *metrics_suite(void);

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_empty_registry_is_an_empty_object);
    tcase_add_test(tc, test_snapshot_of_a_small_registry_is_exact);
    tcase_add_test(tc, test_percentiles_of_0_to_100_are_the_ranks);
    tcase_add_test(tc, test_one_sample_is_every_statistic);
    tcase_add_test(tc, test_timing_without_samples_shows_only_its_count);
    tcase_add_test(tc, test_timing_window_keeps_the_last_1000_samples);
    tcase_add_test(tc, test_non_finite_values_are_left_out);
    tcase_add_test(tc, test_keys_sort_as_bytes_across_metrics);
    tcase_add_test(tc, test_get_returns_the_same_object_for_a_name);
    tcase_add_test(tc, test_snapshot_with_merges_entries_that_win_a_clash);
    tcase_add_test(tc, test_gauge_set_and_add);
    tcase_add_test(tc, test_kind_mismatch_returns_a_working_dummy_outside_the_snapshot);
    tcase_add_test(tc, test_remove_drops_the_metric_and_its_name_can_be_reused);
    tcase_add_test(tc, test_reset_removes_everything);
    tcase_add_test(tc, test_many_names_stay_sorted);
    tcase_add_test(tc, test_concurrent_updates_give_exact_totals);
    suite_add_tcase(s, tc);
    return s;
}
