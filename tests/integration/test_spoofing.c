/*
 * test_spoofing.c - the attacks issue 15 found on a live cluster, replayed against the real
 * binaries, each from another host and each refused. The master runs on 127.0.0.1, the slave
 * (and so its executors) on 127.0.0.2, the test scheduler in this process on 127.0.0.1, and
 * the attacker on 127.0.0.3 (every 127.x address reaches lo). Each attack is sent twice: with
 * a forged Libprocess-From naming the process it impersonates (dropped by the receiving
 * runtime: runtime/spoofed_messages) and with the attacker's own address (refused by the
 * handler, which takes it only from the peer that may send it: runtime/refused_messages).
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <glob.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ATTACKER "127.0.0.3"

typedef struct target {
    const char *ip;   /* where the victim listens */
    uint16_t port;
    act_pid pid;      /* the victim */
    act_pid trusted;  /* whom it trusts for this message */
    double (*metric)(const struct target *t, const char *name);
} target;

static double remote_metric(const target *t, const char *name)
{
    return tu_metric_at(t->ip, t->port, name);
}

static double own_metric(const target *t, const char *name)
{
    return (double)act_counter_value(act_counter_get(name));
}

/* Waits until the victim's counter reached n (bounded). */
static bool counted(const target *t, const char *name, double n)
{
    for (int i = 0; i < 2000; i++) {
        if (t->metric(t, name) >= n) return true;
        usleep(10000);
    }
    return false;
}

/* Sends the message to the victim twice from the attacker's host: claiming to be the trusted
 * peer, then as itself at the trusted peer's port; checks that each was refused and counted. */
static void attack(const target *t, const wire_desc *desc, const void *msg, int round)
{
    act_buf body = {0};
    ck_assert_int_eq(wire_encode(desc, msg, &body), 0);
    char forged[ACT_PID_STRLEN], own[ACT_PID_STRLEN];
    act_pid_format(&t->trusted, forged, sizeof forged);
    act_pid me = t->trusted;
    ck_assert_int_eq(act_ip_parse(ATTACKER, &me.ip), 0);
    act_pid_format(&me, own, sizeof own);
    const char *name = wire_type_name(desc);
    ck_assert(tu_send_message_from(ATTACKER, t->ip, t->port, t->pid.id, name, forged, body.data,
                                   body.len));
    ck_assert_msg(counted(t, "runtime/spoofed_messages", round),
                  "%s claiming to be %s was not counted as spoofed", name, forged);
    ck_assert(tu_send_message_from(ATTACKER, t->ip, t->port, t->pid.id, name, own, body.data,
                                   body.len));
    ck_assert_msg(counted(t, "runtime/refused_messages", round),
                  "%s from %s was not refused", name, own);
    act_buf_free(&body);
}

/* The executor's pid, as the slave checkpointed it. */
static act_pid executor_pid(tc_cluster *c)
{
    char pattern[4400];
    snprintf(pattern, sizeof pattern,
             "%s/meta/slaves/*/frameworks/*/executors/*/runs/latest/pids/libprocess.pid",
             tc_slave_work_dir(c));
    glob_t g;
    ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
    char *text = tu_read_file(g.gl_pathv[0]);
    globfree(&g);
    ck_assert_ptr_nonnull(text);
    text[strcspn(text, "\n")] = '\0';
    act_pid pid;
    ck_assert_int_eq(act_pid_parse(text, &pid), 0);
    free(text);
    return pid;
}

/* The pid of the scheduler driver's actor in this process. */
static act_pid scheduler_pid(void)
{
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/__actors__", &out), 200);
    const char *id = strstr(out.data, "\"id\":\"scheduler-");
    ck_assert_ptr_nonnull(id);
    id += 6;
    act_pid pid = act_address();
    snprintf(pid.id, sizeof pid.id, "%.*s", (int)strcspn(id, "\""), id);
    act_buf_free(&out);
    return pid;
}

static act_pid slave_pid(tc_cluster *c, char *slave_id, size_t n)
{
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get_at(c->master_ip, c->master_port, "/master/state.json", &out),
                     200);
    json_t *st = json_loadb(out.data, out.len, 0, NULL);
    json_t *s = json_array_get(json_object_get(st, "slaves"), 0);
    act_pid pid;
    ck_assert_int_eq(act_pid_parse(json_string_value(json_object_get(s, "pid")), &pid), 0);
    snprintf(slave_id, n, "%s", json_string_value(json_object_get(s, "id")));
    json_decref(st);
    act_buf_free(&out);
    return pid;
}

START_TEST(test_every_attack_from_another_host_is_refused_and_counted)
{
    tc_cluster c;
    tc_options o = {.master_ip = "127.0.0.1", .slave_ip = "127.0.0.2"};
    tc_start_with(&c, &o);
    tc_sched *s = tc_sched_start(&c, true);
    tc_task task = {.id = "t1", .command = "sleep 1000", .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &task, 1);
    ck_assert(tc_wait_state(s, "t1", WIRE_TASK_RUNNING, 60));
    char slave_id[WIRE_ID_MAX], pwned[4400];
    act_pid master, slave = slave_pid(&c, slave_id, sizeof slave_id);
    ck_assert_int_eq(act_pid_parse("master@127.0.0.1:1", &master), 0);
    master.port = c.master_port;
    snprintf(pwned, sizeof pwned, "%s/pwned", c.dir);

    /* The slave runs a command as root for a framework that does not exist, and kills. */
    target sl = {c.slave_ip, c.slave_port, slave, master, remote_metric};
    char command[4500];
    snprintf(command, sizeof command, "touch %s", pwned);
    wire_command_info cmd = {.has_value = true, .value = command};
    wire_run_task_message run = {
        .framework_id = {"evil"}, .framework = {.user = "root", .name = "evil"},
        .pid = "scheduler@" ATTACKER ":1",
        .task = {.name = "x", .task_id = {"x"}, .slave_id = {slave_id}, .command = &cmd}};
    attack(&sl, WIRE_DESC(run_task_message), &run, 1);
    wire_kill_task_message kill = {.framework_id = {(char *)tc_framework_id(s)},
                                   .task_id = {"t1"}};
    attack(&sl, WIRE_DESC(kill_task_message), &kill, 2);

    /* The executor is taken away from its slave. */
    act_pid executor = executor_pid(&c);
    target ex = {c.slave_ip, executor.port, executor, slave, remote_metric};
    wire_reconnect_executor_message reconnect = {.slave_id = {slave_id}};
    attack(&ex, WIRE_DESC(reconnect_executor_message), &reconnect, 1);

    /* The scheduler is aborted, or told its task finished. */
    target sc = {"127.0.0.1", act_port(), scheduler_pid(), master, own_metric};
    wire_framework_error_message error = {.message = "you are aborted"};
    attack(&sc, WIRE_DESC(framework_error_message), &error, 1);
    wire_status_update_message finished = {
        .update = {.framework_id = {(char *)tc_framework_id(s)},
                   .status = {.task_id = {"t1"}, .state = WIRE_TASK_FINISHED},
                   .timestamp = 1}};
    attack(&sc, WIRE_DESC(status_update_message), &finished, 2);

    /* The master hands a slave's tasks, or a framework's, to someone else. */
    target ms = {c.master_ip, c.master_port, master, slave, remote_metric};
    wire_reregister_slave_message rereg = {
        .slave = {.hostname = "evil", .id = &(wire_slave_id){slave_id}}, .slave_id = {slave_id}};
    attack(&ms, WIRE_DESC(reregister_slave_message), &rereg, 1);
    ms.trusted = sc.pid;
    attack(&ms, WIRE_DESC(kill_task_message), &kill, 2);

    /* Nothing happened: the task still runs for its scheduler, which can still kill it
     * through its slave's executor, and nothing ran for "evil". */
    tc_kill(s, "t1");
    ck_assert(tc_wait_state(s, "t1", WIRE_TASK_KILLED, 60));
    ck_assert_int_eq(tc_count_state(s, "t1", WIRE_TASK_FINISHED), 0);
    struct stat st;
    ck_assert_int_ne(stat(pwned, &st), 0);
    ck_assert(tu_wait_file_contains(c.slave_log, "but sent from " ATTACKER, 10));
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

Suite *spoofing_suite(void)
{
    Suite *s = suite_create("spoofing");
    TCase *tc = tcase_create("attacks");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_every_attack_from_another_host_is_refused_and_counted);
    suite_add_tcase(s, tc);
    return s;
}
