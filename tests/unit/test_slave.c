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

static json_t *framework_in(json_t *state, const char *key, const char *fw)
{
    return st_find(json_object_get(state, key), fw);
}

static size_t array_size(json_t *obj, const char *key)
{
    return json_array_size(json_object_get(obj, key));
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

Suite *slave_suite(void)
{
    Suite *s = suite_create("slave");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_task_runs_through_its_executor_and_its_updates_reach_the_master);
    suite_add_tcase(s, tc);
    return s;
}
