/*
 * test_fleet.c - mesos-fleet's hollow slaves against a fake master (tests/support/fake.h) on a
 * paused clock: registration with backoff and what each slave reports (hostname, rack,
 * resources), pongs, re-registration with its tasks and executors when pings stop, a task that
 * runs for its duration label, one without a duration that runs until killed, a malformed
 * duration, updates resent until acknowledged (each slave's own status update manager), a
 * framework shut down, a slave the master shuts down, and messages from anyone but the master.
 */
#include "slave/fleet_int.h"
#include "tests/support/fake.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <string.h>

static const char *const master_names[] = {
    MI(RegisterSlaveMessage), MI(ReregisterSlaveMessage), MI(PongSlaveMessage),
    MI(StatusUpdateMessage), MI(ExitedExecutorMessage), NULL};

static fake *master;

static void settle(void)
{
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void advance(double secs)
{
    act_clock_advance(secs);
    settle();
}

static double metric(const char *name)
{
    return act_gauge_value(act_gauge_get(name));
}

static double count(const char *name)
{
    return (double)act_counter_value(act_counter_get(name));
}

/* A fake master and `n` hollow slaves (cpus:4;mem:4096, os:debian, 2 racks) following it. */
static void start(size_t n)
{
    act_clock_pause();
    tu_runtime_start(2);
    master = fake_spawn("master", 0, master_names);
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", act_port());
    fleet_config cfg = {addr, n, "cpus:4;mem:4096", "os:debian", 2, "hollow", true, 1.0};
    act_pid pid;
    ck_assert_int_eq(fleet_spawn(&cfg, &pid), 0);
    settle();
}

static void stop(void)
{
    act_shutdown();
    act_clock_resume();
}

/* ---- playing the master ------------------------------------------------------------------ */

/* The i-th distinct slave that asked to register. */
static act_pid slave_pid(size_t i)
{
    act_pid seen[16];
    size_t n = 0, total = fake_count(master, MI(RegisterSlaveMessage));
    for (size_t k = 0; k < total && n < 16; k++) {
        act_pid p = fake_nth_sender(master, MI(RegisterSlaveMessage), k);
        bool known = false;
        for (size_t j = 0; j < n; j++) known = known || act_pid_equal(&seen[j], &p);
        if (!known) seen[n++] = p;
    }
    ck_assert_uint_gt(n, i);
    return seen[i];
}

/* Registers the i-th slave that asked as "S<i>", with this total ping timeout. */
static void admit(size_t i, double ping_timeout)
{
    char id[16];
    snprintf(id, sizeof id, "S%zu", i);
    wire_master_slave_connection conn = {.has_total_ping_timeout_seconds = true,
                                         .total_ping_timeout_seconds = ping_timeout};
    wire_slave_registered_message r = {.slave_id = {id}, .connection = &conn};
    act_pid to = slave_pid(i);
    fake_send(master, &to, WIRE_DESC(slave_registered_message), &r);
    settle();
}

/* Starts one slave and registers it; it expects a ping within ping_timeout. */
static act_pid registered_slave(double ping_timeout)
{
    start(1);
    advance(1.0); /* the first attempt comes within the backoff factor */
    admit(0, ping_timeout);
    return slave_pid(0);
}

/* The same, with pings that would come long after anything the test does. */
static act_pid one_registered_slave(void)
{
    return registered_slave(1e6);
}

/* Launches task `id` of framework F1 on `to`; duration: its label or NULL; executor: a
 * custom executor's ID or NULL (a command task). */
static void run_task(const act_pid *to, const char *id, const char *duration,
                     const char *executor)
{
    wire_msg *m = wire_new(WIRE_DESC(run_task_message));
    wire_run_task_message *r = m->root;
    r->framework_id.value = "F1";
    r->framework.user = "u";
    r->framework.name = "fw";
    r->pid = "scheduler-1@127.0.0.1:1";
    r->task.name = (char *)id;
    r->task.task_id.value = (char *)id;
    r->task.slave_id.value = "S0";
    res_set res = {0};
    ck_assert_int_eq(res_parse_text("cpus:1;mem:64", "*", &res, NULL, 0), 0);
    res_to_wire(&res, m, &r->task.resources, &r->task.resources_count);
    res_free(&res);
    if (executor) {
        r->task.executor = wire_alloc(m, sizeof *r->task.executor);
        r->task.executor->executor_id.value = (char *)executor;
    } else {
        r->task.command = wire_alloc(m, sizeof *r->task.command);
    }
    if (duration) {
        r->task.labels = wire_alloc(m, sizeof *r->task.labels);
        r->task.labels->labels = wire_alloc_array(m, WIRE_DESC(label), 1);
        r->task.labels->labels_count = 1;
        r->task.labels->labels[0].key = FLEET_DURATION_LABEL;
        r->task.labels->labels[0].has_value = true;
        r->task.labels->labels[0].value = (char *)duration;
    }
    fake_send(master, to, WIRE_DESC(run_task_message), r);
    wire_msg_free(m);
    settle();
}

static size_t updates(void)
{
    return fake_count(master, MI(StatusUpdateMessage));
}

/* The i-th status update the master got (free it). */
static wire_msg *update(size_t i)
{
    wire_msg *m = fake_nth(master, MI(StatusUpdateMessage), WIRE_DESC(status_update_message), i);
    ck_assert_ptr_nonnull(m);
    return m;
}

static wire_task_state update_state(size_t i)
{
    wire_msg *m = update(i);
    wire_task_state s = ((wire_status_update_message *)m->root)->update.status.state;
    wire_msg_free(m);
    return s;
}

/* Acknowledges the i-th update, as the master relays a framework's acknowledgement. */
static void ack(const act_pid *to, size_t i)
{
    wire_msg *m = update(i);
    wire_status_update *u = &((wire_status_update_message *)m->root)->update;
    wire_status_update_acknowledgement_message a = {
        .slave_id = *u->slave_id, .framework_id = u->framework_id, .task_id = u->status.task_id,
        .uuid = u->uuid};
    fake_send(master, to, WIRE_DESC(status_update_acknowledgement_message), &a);
    wire_msg_free(m);
    settle();
}

/* ---- registration and health ------------------------------------------------------------- */

START_TEST(test_slaves_register_with_backoff_reporting_hostname_rack_and_resources)
{
    start(4);
    ck_assert_uint_eq(fake_count(master, MI(RegisterSlaveMessage)), 0);
    advance(1.0); /* every first attempt comes within the backoff factor */
    bool seen[4] = {false};
    for (size_t i = 0; i < fake_count(master, MI(RegisterSlaveMessage)); i++) {
        wire_msg *m = fake_nth(master, MI(RegisterSlaveMessage),
                               WIRE_DESC(register_slave_message), i);
        wire_slave_info *info = &((wire_register_slave_message *)m->root)->slave;
        int n = 0;
        ck_assert_int_eq(sscanf(info->hostname, "hollow-%d", &n), 1);
        ck_assert(n >= 1 && n <= 4);
        seen[n - 1] = true;
        char rack[16];
        snprintf(rack, sizeof rack, "rack-%d", (n - 1) % 2);
        const wire_attribute *a = attr_find(info->attributes, info->attributes_count, "rack");
        ck_assert_ptr_nonnull(a);
        ck_assert_str_eq(a->text->value, rack);
        ck_assert_ptr_nonnull(attr_find(info->attributes, info->attributes_count, "os"));
        res_set r = {0};
        ck_assert_int_eq(res_from_wire(info->resources, info->resources_count, &r, NULL, 0), 0);
        ck_assert_double_eq(res_scalar(&r, "cpus"), 4);
        ck_assert_double_eq(res_scalar(&r, "mem"), 4096);
        res_free(&r);
        ck_assert(info->checkpoint);
        wire_msg_free(m);
    }
    ck_assert(seen[0] && seen[1] && seen[2] && seen[3]);
    advance(2.0); /* unanswered: each tries again within its doubled backoff */
    ck_assert_uint_ge(fake_count(master, MI(RegisterSlaveMessage)), 8);
    for (size_t i = 0; i < 4; i++) admit(i, 75);
    ck_assert_double_eq(metric("fleet/slaves_registered"), 4);
    ck_assert_double_eq(count("fleet/registrations"), 4);
    size_t before = fake_count(master, MI(RegisterSlaveMessage));
    advance(60); /* registered: no more attempts */
    ck_assert_uint_eq(fake_count(master, MI(RegisterSlaveMessage)), before);
}
END_TEST

START_TEST(test_pings_are_answered_and_silence_means_reregistering_with_tasks)
{
    act_pid s = registered_slave(75);
    run_task(&s, "T1", NULL, "E1");
    wire_ping_slave_message p = {.connected = true};
    for (int i = 0; i < 3; i++) {
        advance(50);
        fake_send(master, &s, WIRE_DESC(ping_slave_message), &p);
        settle();
    }
    ck_assert_uint_eq(fake_count(master, MI(PongSlaveMessage)), 3);
    ck_assert_uint_eq(fake_count(master, MI(ReregisterSlaveMessage)), 0);
    advance(76); /* no ping within the total ping timeout: re-register */
    ck_assert_double_eq(metric("fleet/slaves_registered"), 0);
    advance(1.0);
    ck_assert_uint_ge(fake_count(master, MI(ReregisterSlaveMessage)), 1);
    wire_msg *m = fake_last(master, MI(ReregisterSlaveMessage),
                            WIRE_DESC(reregister_slave_message));
    wire_reregister_slave_message *r = m->root;
    ck_assert_str_eq(r->slave_id.value, "S0");
    ck_assert_uint_eq(r->tasks_count, 1);
    ck_assert_str_eq(r->tasks[0].task_id.value, "T1");
    ck_assert_int_eq(r->tasks[0].state, WIRE_TASK_RUNNING);
    ck_assert_uint_eq(r->executor_infos_count, 1);
    ck_assert_str_eq(r->executor_infos[0].executor_id.value, "E1");
    ck_assert_str_eq(r->executor_infos[0].framework_id->value, "F1");
    wire_msg_free(m);
    wire_slave_reregistered_message rr = {.slave_id = {"S0"}};
    fake_send(master, &s, WIRE_DESC(slave_reregistered_message), &rr);
    settle();
    ck_assert_double_eq(metric("fleet/slaves_registered"), 1);
    ck_assert_double_eq(count("fleet/reregistrations"), 1);
}
END_TEST

START_TEST(test_a_ping_saying_disconnected_makes_the_slave_reregister)
{
    act_pid s = one_registered_slave();
    wire_ping_slave_message p = {.connected = false};
    fake_send(master, &s, WIRE_DESC(ping_slave_message), &p);
    settle();
    ck_assert_uint_eq(fake_count(master, MI(PongSlaveMessage)), 1);
    advance(1.0);
    ck_assert_uint_ge(fake_count(master, MI(ReregisterSlaveMessage)), 1);
}
END_TEST

/* The fleet holds the one link to the master for all its slaves. */
START_TEST(test_when_the_master_goes_away_every_slave_reregisters_with_the_next)
{
    start(2);
    advance(1.0);
    admit(0, 1e6);
    admit(1, 1e6);
    act_pid s = slave_pid(0);
    run_task(&s, "T1", NULL, NULL);
    act_pid gone = fake_pid(master);
    ck_assert_int_eq(act_terminate(&gone), 0);
    settle();
    ck_assert_double_eq(metric("fleet/slaves_registered"), 0);
    master = fake_spawn("master", 0, master_names); /* a master restarted at that address */
    advance(3.0);
    ck_assert_uint_ge(fake_count(master, MI(ReregisterSlaveMessage)), 2);
    bool with_task = false;
    for (size_t i = 0; i < fake_count(master, MI(ReregisterSlaveMessage)); i++) {
        wire_msg *m = fake_nth(master, MI(ReregisterSlaveMessage),
                               WIRE_DESC(reregister_slave_message), i);
        wire_reregister_slave_message *r = m->root;
        with_task = with_task || (strcmp(r->slave_id.value, "S0") == 0 && r->tasks_count == 1);
        wire_msg_free(m);
    }
    ck_assert(with_task);
}
END_TEST

/* ---- tasks ------------------------------------------------------------------------------- */

START_TEST(test_a_task_runs_at_once_and_finishes_after_its_duration)
{
    act_pid s = one_registered_slave();
    run_task(&s, "T1", "5secs", NULL);
    ck_assert_uint_eq(updates(), 1);
    wire_msg *m = update(0);
    wire_status_update_message *u = m->root;
    ck_assert_int_eq(u->update.status.state, WIRE_TASK_RUNNING);
    ck_assert_str_eq(u->update.slave_id->value, "S0");
    ck_assert_str_eq(u->update.framework_id.value, "F1");
    char pid[ACT_PID_STRLEN];
    ck_assert_str_eq(u->pid, act_pid_format(&s, pid, sizeof pid));
    wire_msg_free(m);
    ck_assert_double_eq(metric("fleet/tasks_running"), 1);
    ack(&s, 0);
    advance(4.9);
    ck_assert_uint_eq(updates(), 1);
    advance(0.1);
    ck_assert_uint_eq(updates(), 2);
    ck_assert_int_eq(update_state(1), WIRE_TASK_FINISHED);
    ck_assert_double_eq(metric("fleet/tasks_running"), 0);
    ck_assert_double_eq(metric("status-update-manager/streams"), 1);
    ack(&s, 1); /* the terminal acknowledgement: the task is forgotten */
    ck_assert_double_eq(metric("status-update-manager/streams"), 0);
    ck_assert_double_eq(count("fleet/tasks_finished"), 1);
    advance(600);
    ck_assert_uint_eq(updates(), 2);
}
END_TEST

START_TEST(test_an_unacknowledged_update_is_resent_until_acknowledged)
{
    act_pid s = one_registered_slave();
    run_task(&s, "T1", "1secs", NULL);
    advance(5); /* FINISHED waits behind the unacknowledged RUNNING */
    ck_assert_uint_eq(updates(), 1);
    advance(5);
    ck_assert_uint_eq(updates(), 2);
    ck_assert_int_eq(update_state(1), WIRE_TASK_RUNNING);
    wire_msg *a = update(0), *b = update(1);
    ck_assert(wire_equal(WIRE_DESC(status_update_message), a->root, b->root));
    wire_msg_free(a);
    wire_msg_free(b);
    ack(&s, 1);
    ck_assert_uint_eq(updates(), 3);
    ck_assert_int_eq(update_state(2), WIRE_TASK_FINISHED);
}
END_TEST

START_TEST(test_a_task_without_a_duration_runs_until_killed)
{
    act_pid s = one_registered_slave();
    run_task(&s, "T1", NULL, NULL);
    ack(&s, 0);
    advance(3600);
    ck_assert_uint_eq(updates(), 1);
    wire_kill_task_message k = {.framework_id = {"F1"}, .task_id = {"T1"}};
    fake_send(master, &s, WIRE_DESC(kill_task_message), &k);
    settle();
    ck_assert_uint_eq(updates(), 2);
    ck_assert_int_eq(update_state(1), WIRE_TASK_KILLED);
    wire_kill_task_message unknown = {.framework_id = {"F1"}, .task_id = {"T9"}};
    fake_send(master, &s, WIRE_DESC(kill_task_message), &unknown);
    settle();
    ck_assert_uint_eq(updates(), 3);
    ck_assert_int_eq(update_state(2), WIRE_TASK_LOST);
}
END_TEST

START_TEST(test_a_malformed_duration_fails_the_task)
{
    act_pid s = one_registered_slave();
    run_task(&s, "T1", "soon", NULL);
    ck_assert_uint_eq(updates(), 1);
    wire_msg *m = update(0);
    wire_task_status *st = &((wire_status_update_message *)m->root)->update.status;
    ck_assert_int_eq(st->state, WIRE_TASK_FAILED);
    ck_assert_ptr_nonnull(strstr(st->message, "duration"));
    wire_msg_free(m);
    ck_assert_double_eq(count("fleet/tasks_failed"), 1);
}
END_TEST

START_TEST(test_a_framework_shut_down_takes_its_tasks_and_reports_its_executors)
{
    act_pid s = one_registered_slave();
    run_task(&s, "T1", NULL, "E1");
    run_task(&s, "T2", NULL, "E1");
    ck_assert_double_eq(metric("fleet/tasks_running"), 2);
    wire_shutdown_framework_message sf = {.framework_id = {"F1"}};
    fake_send(master, &s, WIRE_DESC(shutdown_framework_message), &sf);
    settle();
    ck_assert_double_eq(metric("fleet/tasks_running"), 0);
    ck_assert_double_eq(metric("status-update-manager/streams"), 0);
    ck_assert_uint_eq(fake_count(master, MI(ExitedExecutorMessage)), 1);
    wire_msg *m = fake_last(master, MI(ExitedExecutorMessage),
                            WIRE_DESC(exited_executor_message));
    ck_assert_str_eq(((wire_exited_executor_message *)m->root)->executor_id.value, "E1");
    wire_msg_free(m);
    advance(600);
    ck_assert_uint_eq(updates(), 2); /* the two RUNNING: nothing is resent */
}
END_TEST

START_TEST(test_a_slave_the_master_shuts_down_ends)
{
    start(2);
    advance(1.0);
    admit(0, 75);
    admit(1, 75);
    act_pid s = slave_pid(0);
    wire_shutdown_message sd = {.has_message = true, .message = "removed"};
    fake_send(master, &s, WIRE_DESC(shutdown_message), &sd);
    settle();
    ck_assert_double_eq(count("fleet/shutdowns"), 1);
    ck_assert_double_eq(metric("fleet/slaves_registered"), 1);
    run_task(&s, "T1", "1secs", NULL); /* nobody is there any more */
    ck_assert_uint_eq(updates(), 0);
}
END_TEST

START_TEST(test_messages_from_anyone_but_the_master_are_ignored)
{
    act_pid s = one_registered_slave();
    const char *const none[] = {NULL};
    fake *impostor = fake_spawn("impostor", 0, none);
    wire_shutdown_message sd = {.has_message = true, .message = "go away"};
    fake_send(impostor, &s, WIRE_DESC(shutdown_message), &sd);
    settle();
    ck_assert_double_eq(count("fleet/shutdowns"), 0);
    ck_assert_double_eq(metric("fleet/slaves_registered"), 1);
}
END_TEST

Suite *fleet_suite(void)
{
    Suite *s = suite_create("fleet");
    TCase *tc = tcase_create("hollow");
    tcase_add_checked_fixture(tc, NULL, stop);
    tcase_add_test(tc, test_slaves_register_with_backoff_reporting_hostname_rack_and_resources);
    tcase_add_test(tc, test_pings_are_answered_and_silence_means_reregistering_with_tasks);
    tcase_add_test(tc, test_a_ping_saying_disconnected_makes_the_slave_reregister);
    tcase_add_test(tc, test_when_the_master_goes_away_every_slave_reregisters_with_the_next);
    tcase_add_test(tc, test_a_task_runs_at_once_and_finishes_after_its_duration);
    tcase_add_test(tc, test_an_unacknowledged_update_is_resent_until_acknowledged);
    tcase_add_test(tc, test_a_task_without_a_duration_runs_until_killed);
    tcase_add_test(tc, test_a_malformed_duration_fails_the_task);
    tcase_add_test(tc, test_a_framework_shut_down_takes_its_tasks_and_reports_its_executors);
    tcase_add_test(tc, test_a_slave_the_master_shuts_down_ends);
    tcase_add_test(tc, test_messages_from_anyone_but_the_master_are_ignored);
    suite_add_tcase(s, tc);
    return s;
}
