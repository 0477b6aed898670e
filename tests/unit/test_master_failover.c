/*
 * test_master_failover.c - what a master does after a failover, in one process on a paused
 * clock with fake slaves and schedulers (tests/support/fake.h): it reads the admitted slaves
 * from the registry and removes those that do not re-register in time (unless more than
 * --recovery_slave_removal_limit would go), shows the tasks of frameworks that have not
 * re-registered yet as orphan_tasks, keeps the updates for them and delivers them once the
 * framework is back, and holds messages that arrive before the registry is read instead of
 * dropping them.
 */
#include "master/master_int.h"
#include "tests/support/fake.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <string.h>

static act_pid master_pid;
static char *work_dir;

static const char *const slave_names[] = {
    MI(SlaveRegisteredMessage), MI(SlaveReregisteredMessage), MI(PingSlaveMessage),
    MI(StatusUpdateAcknowledgementMessage), MI(ShutdownMessage), NULL};

static const char *const sched_names[] = {
    MI(FrameworkRegisteredMessage), MI(FrameworkReregisteredMessage), MI(StatusUpdateMessage),
    MI(ResourceOffersMessage), NULL};

static void settle(void)
{
    ck_assert_int_eq(act_clock_settle(), 0);
}

/* A master with the file registry in work_dir (kept across restarts). */
static void start(double removal_limit)
{
    act_clock_pause();
    tu_runtime_start(2);
    master_config cfg;
    master_config_default(&cfg);
    cfg.registry_in_memory = false;
    cfg.work_dir = work_dir;
    cfg.allocator_loop = 1;
    cfg.slave_reregister_timeout = 60;
    cfg.recovery_slave_removal_limit = removal_limit;
    ck_assert_int_eq(master_spawn(&cfg, &master_pid), 0);
    settle();
}

static void stop(void)
{
    act_shutdown();
    act_clock_resume();
}

static void setup(void)
{
    work_dir = tu_tmpdir();
}

static void teardown(void)
{
    tu_rmrf(work_dir);
    free(work_dir);
}

static void fill_info(wire_msg *m, wire_slave_info *info, const char *hostname)
{
    info->hostname = wire_strdup(m, hostname);
    info->has_checkpoint = true;
    info->checkpoint = true;
    res_set set = {0};
    ck_assert_int_eq(res_parse_text("cpus:2;mem:1024", "*", &set, NULL, 0), 0);
    res_to_wire(&set, m, &info->resources, &info->resources_count);
    res_free(&set);
}

/* Registers a new fake slave; returns its ID in id. */
static fake *slave_up(const char *name, char *id, size_t n)
{
    fake *s = fake_spawn(name, 0, slave_names);
    fake_autoreply(s, MI(PingSlaveMessage), MI(PongSlaveMessage));
    wire_msg *m = wire_new(WIRE_DESC(register_slave_message));
    wire_register_slave_message *r = m->root;
    fill_info(m, &r->slave, name);
    fake_send(s, &master_pid, WIRE_DESC(register_slave_message), r);
    wire_msg_free(m);
    settle();
    wire_msg *reg = fake_last(s, MI(SlaveRegisteredMessage), WIRE_DESC(slave_registered_message));
    ck_assert_ptr_nonnull(reg);
    snprintf(id, n, "%s", ((wire_slave_registered_message *)reg->root)->slave_id.value);
    wire_msg_free(reg);
    return s;
}

/* A slave that was admitted before the failover re-registers, running `task` of framework
 * `fid` (NULL: none). */
static fake *slave_back(const char *name, const char *id, const char *fid, const char *task)
{
    fake *s = fake_spawn(name, 0, slave_names);
    fake_autoreply(s, MI(PingSlaveMessage), MI(PongSlaveMessage));
    wire_msg *m = wire_new(WIRE_DESC(reregister_slave_message));
    wire_reregister_slave_message *r = m->root;
    r->slave_id.value = wire_strdup(m, id);
    fill_info(m, &r->slave, name);
    r->slave.id = wire_alloc(m, sizeof *r->slave.id);
    r->slave.id->value = wire_strdup(m, id);
    if (task) {
        r->tasks = wire_alloc_array(m, WIRE_DESC(task), 1);
        r->tasks_count = 1;
        wire_task *t = &r->tasks[0];
        t->name = wire_strdup(m, task);
        t->task_id.value = wire_strdup(m, task);
        t->framework_id.value = wire_strdup(m, fid);
        t->slave_id.value = wire_strdup(m, id);
        t->state = WIRE_TASK_RUNNING;
    }
    fake_send(s, &master_pid, WIRE_DESC(reregister_slave_message), r);
    wire_msg_free(m);
    settle();
    return s;
}

static uint64_t counter(const char *name)
{
    return act_counter_value(act_counter_get(name));
}

static char *state_json(void)
{
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/master/state.json", &out), 200);
    return act_buf_detach(&out, NULL);
}

/* ---- tests ------------------------------------------------------------------------------- */

START_TEST(test_slaves_that_do_not_reregister_after_a_failover_are_removed)
{
    char id1[WIRE_ID_MAX], id2[WIRE_ID_MAX];
    start(1.0);
    slave_up("slave(1)", id1, sizeof id1);
    slave_up("slave(2)", id2, sizeof id2);
    stop();

    start(1.0); /* a new master reads both from the registry */
    fake *s1 = slave_back("slave(1)", id1, NULL, NULL);
    ck_assert_uint_eq(fake_count(s1, MI(SlaveReregisteredMessage)), 1);
    act_clock_advance(59);
    settle();
    ck_assert_uint_eq(counter("master/recovery_slave_removals"), 0);
    act_clock_advance(2);
    settle();
    ck_assert_uint_eq(counter("master/recovery_slave_removals"), 1);
    fake *s2 = slave_back("slave(2)", id2, NULL, NULL); /* too late */
    ck_assert_uint_eq(fake_count(s2, MI(SlaveReregisteredMessage)), 0);
    ck_assert_uint_eq(fake_count(s2, MI(ShutdownMessage)), 1);
    stop();

    start(1.0); /* and the registry no longer holds it */
    slave_back("slave(1)", id1, NULL, NULL);
    act_clock_advance(61);
    settle();
    ck_assert_uint_eq(counter("master/slave_removals"), 0);
    stop();
}
END_TEST

START_TEST(test_no_slave_is_removed_when_more_than_the_limit_would_go)
{
    char id1[WIRE_ID_MAX], id2[WIRE_ID_MAX];
    start(0.4);
    slave_up("slave(1)", id1, sizeof id1);
    slave_up("slave(2)", id2, sizeof id2);
    stop();

    start(0.4); /* one of two missing is 50%, above 40% */
    slave_back("slave(1)", id1, NULL, NULL);
    act_clock_advance(61);
    settle();
    ck_assert_uint_eq(counter("master/slave_removals"), 0);
    fake *s2 = slave_back("slave(2)", id2, NULL, NULL); /* still welcome */
    ck_assert_uint_eq(fake_count(s2, MI(SlaveReregisteredMessage)), 1);
    stop();
}
END_TEST

START_TEST(test_orphan_tasks_and_their_updates_wait_for_the_framework)
{
    char id1[WIRE_ID_MAX];
    start(1.0);
    slave_up("slave(1)", id1, sizeof id1);
    stop();

    start(1.0);
    const char *fid = "20260101-000000-1-5050-1-0000"; /* registered with the old master */
    fake *s = slave_back("slave(1)", id1, fid, "t1");
    char *st = state_json();
    ck_assert_msg(strstr(st, "\"orphan_tasks\":[{") && strstr(st, "\"id\":\"t1\"") &&
                  strstr(st, "\"unregistered_frameworks\":[\"20260101-000000-1-5050-1-0000\"]"),
                  "%s", st);
    free(st);

    /* The task finishes while its framework is away: the update waits in the master. */
    wire_uuid uuid;
    wire_uuid_random(&uuid);
    wire_status_update_message u = {0};
    u.update.framework_id.value = (char *)fid;
    wire_slave_id sid = {id1};
    u.update.slave_id = &sid;
    u.update.status.task_id.value = "t1";
    u.update.status.state = WIRE_TASK_FINISHED;
    u.update.uuid.data = uuid.bytes;
    u.update.uuid.len = sizeof uuid.bytes;
    fake_send(s, &master_pid, WIRE_DESC(status_update_message), &u);
    settle();

    fake *sched = fake_spawn("scheduler-1", 0, sched_names);
    wire_reregister_framework_message r = {0};
    r.framework.user = "tester";
    r.framework.name = "fw";
    wire_framework_id fwid = {(char *)fid};
    r.framework.id = &fwid;
    fake_send(sched, &master_pid, WIRE_DESC(reregister_framework_message), &r);
    settle();
    ck_assert_uint_eq(fake_count(sched, MI(FrameworkReregisteredMessage)), 1);
    ck_assert_uint_eq(fake_count(sched, MI(StatusUpdateMessage)), 1);
    wire_msg *m = fake_last(sched, MI(StatusUpdateMessage), WIRE_DESC(status_update_message));
    const wire_status_update *got = &((wire_status_update_message *)m->root)->update;
    ck_assert_int_eq(got->status.state, WIRE_TASK_FINISHED);
    ck_assert_mem_eq(got->uuid.data, uuid.bytes, 16);
    wire_msg_free(m);
    st = state_json();
    ck_assert_msg(strstr(st, "\"orphan_tasks\":[]") &&
                  strstr(st, "\"unregistered_frameworks\":[]"), "%s", st);
    free(st);

    /* Its acknowledgement reaches the slave and releases the task. */
    wire_status_update_acknowledgement_message ack = {
        .slave_id = {id1}, .framework_id = {(char *)fid}, .task_id = {"t1"},
        .uuid = {uuid.bytes, 16}};
    fake_send(sched, &master_pid, WIRE_DESC(status_update_acknowledgement_message), &ack);
    settle();
    ck_assert_uint_eq(fake_count(s, MI(StatusUpdateAcknowledgementMessage)), 1);
    st = state_json();
    ck_assert_msg(strstr(st, "\"completed_tasks\":[{"), "%s", st);
    free(st);
    stop();
}
END_TEST

static act_filter_verdict hold_recovery(void *ctx, const act_filter_msg *m)
{
    return strcmp(m->name, REG_MSG_RECOVERED) == 0 ? ACT_FILTER_HOLD : ACT_FILTER_PASS;
}

START_TEST(test_messages_before_the_registry_is_read_are_held_then_handled)
{
    int filter = act_filter_add(hold_recovery, NULL);
    start(1.0);
    fake *s = fake_spawn("slave(1)", 0, slave_names);
    wire_msg *m = wire_new(WIRE_DESC(register_slave_message));
    wire_register_slave_message *r = m->root;
    fill_info(m, &r->slave, "host1");
    fake_send(s, &master_pid, WIRE_DESC(register_slave_message), r);
    wire_msg_free(m);
    settle();
    ck_assert_uint_eq(fake_count(s, MI(SlaveRegisteredMessage)), 0);
    ck_assert_uint_eq(counter("master/dropped_messages"), 0);
    act_filter_remove(filter);
    ck_assert_int_eq(act_filter_release(REG_MSG_RECOVERED), 1);
    settle();
    ck_assert_uint_eq(fake_count(s, MI(SlaveRegisteredMessage)), 1);
    stop();
}
END_TEST

Suite *master_failover_suite(void)
{
    Suite *s = suite_create("master_failover");
    TCase *tc = tcase_create("recovery");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_slaves_that_do_not_reregister_after_a_failover_are_removed);
    tcase_add_test(tc, test_no_slave_is_removed_when_more_than_the_limit_would_go);
    tcase_add_test(tc, test_orphan_tasks_and_their_updates_wait_for_the_framework);
    tcase_add_test(tc, test_messages_before_the_registry_is_read_are_held_then_handled);
    suite_add_tcase(s, tc);
    return s;
}
