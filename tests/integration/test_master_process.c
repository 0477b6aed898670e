/*
 * test_master_process.c - the real mesos-master binary on a free loopback port, a real
 * scheduler driver in this test process, and a fake slave (real slave messages) beside it:
 * a framework registers, gets an offer, launches a task, sees it run and finish, and stops;
 * hostile bytes sent to the master's port leave it serving; SIGTERM stops it cleanly.
 */
#include "sched/sched.h"
#include "tests/support/fake.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct master_proc {
    int pid;
    uint16_t port;
    char *dir;
    char log[4096];
} master_proc;

static master_proc start_master(void)
{
    master_proc m = {0};
    m.dir = tu_tmpdir();
    ck_assert_ptr_nonnull(m.dir);
    m.port = tu_free_port();
    char port[32], work[4200];
    snprintf(port, sizeof port, "--port=%u", m.port);
    snprintf(work, sizeof work, "--work_dir=%s", m.dir);
    snprintf(m.log, sizeof m.log, "%s/master.log", m.dir);
    char *argv[] = {(char *)tu_bin("mesos-master"), "--ip=127.0.0.1", port, work,
                    "--allocation_interval=100ms", NULL};
    m.pid = tu_spawn(argv, m.log);
    ck_assert_int_gt(m.pid, 0);
    ck_assert_msg(tu_wait_http(m.port, "/master/health", 20), "the master did not come up");
    return m;
}

static void stop_master(master_proc *m)
{
    int status = tu_stop(m->pid, SIGTERM, 20);
    ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "mesos-master did not exit cleanly on SIGTERM (status %d), see %s", status,
                  m->log);
    tu_rmrf(m->dir);
    free(m->dir);
}

/* ---- the scheduler ----------------------------------------------------------------------- */

typedef struct sched_state {
    tu_counter registered, offers, running, finished;
    char framework_id[WIRE_ID_MAX];
    bool launched;
} sched_state;

static void on_registered(sched_driver *d, const wire_framework_id *id, const wire_master_info *mi)
{
    sched_state *s = sched_driver_ctx(d);
    snprintf(s->framework_id, sizeof s->framework_id, "%s", id->value);
    tu_counter_add(&s->registered, 1);
}

static void on_offers(sched_driver *d, const wire_offer *offers, size_t n)
{
    sched_state *s = sched_driver_ctx(d);
    for (size_t i = 0; i < n; i++) {
        if (s->launched) {
            sched_driver_decline_offer(d, &offers[i].id, NULL);
            continue;
        }
        s->launched = true;
        wire_msg *m = wire_new(WIRE_DESC(task_info));
        wire_task_info *t = m->root;
        t->name = "echo";
        t->task_id.value = "task-1";
        t->slave_id = offers[i].slave_id;
        res_set r = {0};
        res_parse_text("cpus:0.5;mem:64", "*", &r, NULL, 0);
        res_to_wire(&r, m, &t->resources, &t->resources_count);
        res_free(&r);
        t->command = wire_alloc(m, sizeof *t->command);
        t->command->has_value = true;
        t->command->value = "echo hello";
        sched_driver_launch_tasks(d, &offers[i].id, 1, t, 1, NULL);
        wire_msg_free(m);
    }
    tu_counter_add(&s->offers, 1);
}

static void on_status(sched_driver *d, const wire_task_status *st)
{
    sched_state *s = sched_driver_ctx(d);
    if (st->state == WIRE_TASK_RUNNING) tu_counter_add(&s->running, 1);
    if (st->state == WIRE_TASK_FINISHED) tu_counter_add(&s->finished, 1);
}

/* ---- the fake slave ---------------------------------------------------------------------- */

static bool wait_count(fake *f, const char *name, size_t n, double secs)
{
    for (int i = 0; i < (int)(secs * 100); i++) {
        if (fake_count(f, name) >= n) return true;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static const char *const slave_names[] = {
    MI(SlaveRegisteredMessage), MI(RunTaskMessage), MI(PingSlaveMessage),
    MI(StatusUpdateAcknowledgementMessage), MI(ShutdownFrameworkMessage), NULL};

static void send_registration(fake *s, const act_pid *master)
{
    wire_msg *m = wire_new(WIRE_DESC(register_slave_message));
    wire_register_slave_message *r = m->root;
    r->slave.hostname = "fake-host";
    res_set set = {0};
    res_parse_text("cpus:2;mem:1024;ports:[31000-31010]", "*", &set, NULL, 0);
    res_to_wire(&set, m, &r->slave.resources, &r->slave.resources_count);
    res_free(&set);
    fake_send(s, master, WIRE_DESC(register_slave_message), r);
    wire_msg_free(m);
}

/* A fake slave registered with the master. The master drops registrations until it has
 * recovered its registry (its /master/health answers before that), so, as a real slave does,
 * it sends again until one is answered. */
static fake *register_slave(const act_pid *master)
{
    fake *s = fake_spawn("slave(1)", 0, slave_names);
    fake_autoreply(s, MI(PingSlaveMessage), MI(PongSlaveMessage));
    for (int i = 0; i < 60 && fake_count(s, MI(SlaveRegisteredMessage)) == 0; i++) {
        send_registration(s, master);
        wait_count(s, MI(SlaveRegisteredMessage), 1, 1);
    }
    return s;
}


static void slave_reports(fake *s, const act_pid *master, const wire_run_task_message *run,
                          wire_task_state state)
{
    wire_uuid uuid;
    wire_uuid_random(&uuid);
    wire_status_update_message u = {0};
    u.update.framework_id = run->framework_id;
    u.update.slave_id = (wire_slave_id *)&run->task.slave_id;
    u.update.status.task_id = run->task.task_id;
    u.update.status.state = state;
    u.update.timestamp = act_now();
    u.update.uuid.data = uuid.bytes;
    u.update.uuid.len = 16;
    char pid[ACT_PID_STRLEN];
    act_pid me = fake_pid(s);
    u.has_pid = true;
    u.pid = act_pid_format(&me, pid, sizeof pid);
    fake_send(s, master, WIRE_DESC(status_update_message), &u);
}

START_TEST(test_real_master_binary_serves_a_scheduler_in_another_process)
{
    master_proc mp = start_master();
    tu_runtime_start(1);
    act_pid master;
    act_pid_make("master", 0x7f000001u, mp.port, &master);
    fake *slave = register_slave(&master);
    ck_assert(wait_count(slave, MI(SlaveRegisteredMessage), 1, 60));

    static sched_state st;
    memset(&st, 0, sizeof st);
    tu_counter_init(&st.registered);
    tu_counter_init(&st.offers);
    tu_counter_init(&st.running);
    tu_counter_init(&st.finished);
    sched_scheduler cb = {.registered = on_registered, .resource_offers = on_offers,
                          .status_update = on_status};
    wire_framework_info fi = {.user = "", .name = "integration"};
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", mp.port);
    sched_driver *d = sched_driver_new(&cb, &st, &fi, addr, NULL);
    ck_assert_int_eq(sched_driver_start(d), SCHED_DRIVER_RUNNING);
    ck_assert(tu_counter_wait(&st.registered, 1, 20));
    ck_assert(tu_counter_wait(&st.offers, 1, 20));
    ck_assert(wait_count(slave, MI(RunTaskMessage), 1, 20));

    wire_msg *run = fake_last(slave, MI(RunTaskMessage), WIRE_DESC(run_task_message));
    wire_run_task_message *r = run->root;
    ck_assert_str_eq(r->task.task_id.value, "task-1");
    ck_assert_str_eq(r->framework_id.value, st.framework_id);
    slave_reports(slave, &master, r, WIRE_TASK_RUNNING);
    ck_assert(tu_counter_wait(&st.running, 1, 20));
    ck_assert(wait_count(slave, MI(StatusUpdateAcknowledgementMessage), 1, 20));
    slave_reports(slave, &master, r, WIRE_TASK_FINISHED);
    ck_assert(tu_counter_wait(&st.finished, 1, 20));
    ck_assert(wait_count(slave, MI(StatusUpdateAcknowledgementMessage), 2, 20));
    wire_msg_free(run);

    act_buf state = {0};
    ck_assert_int_eq(tu_http_get(mp.port, "/master/state.json", &state), 200);
    ck_assert(strstr(state.data, "\"name\":\"integration\""));
    ck_assert(strstr(state.data, "\"state\":\"TASK_FINISHED\""));
    act_buf_free(&state);

    ck_assert_int_eq(sched_driver_stop(d, false), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_join(d), SCHED_DRIVER_STOPPED);
    bool completed = false; /* the master moves the framework to completed_frameworks */
    for (int i = 0; i < 2000 && !completed; i++) {
        act_buf js = {0};
        tu_http_get(mp.port, "/master/state.json", &js);
        char *c = js.data ? strstr(js.data, "\"completed_frameworks\":[{") : NULL;
        completed = c && strstr(c, "\"name\":\"integration\"");
        act_buf_free(&js);
        struct timespec ts = {0, 10000000};
        if (!completed) nanosleep(&ts, NULL);
    }
    ck_assert(completed);
    sched_driver_free(d);
    act_shutdown();
    stop_master(&mp);
}
END_TEST

START_TEST(test_hostile_bytes_on_the_master_port_leave_it_serving)
{
    master_proc mp = start_master();
    static const char *attacks[] = {
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* a TLS hello */
        "GET /" "%%%%%%%%" " HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /master/mesos.internal.RegisterFrameworkMessage HTTP/1.1\r\n"
        "Libprocess-From: s@127.0.0.1:9\r\nContent-Length: 6\r\n\r\n\xdf\xff\xff\xff\xff\x81",
        "POST /master/mesos.internal.LaunchTasksMessage HTTP/1.1\r\n"
        "Libprocess-From: s@127.0.0.1:9\r\nContent-Length: 3\r\n\r\n\x93\x01\x02",
        "POST /master/mesos.internal.NoSuchThing HTTP/1.1\r\n"
        "Libprocess-From: s@127.0.0.1:9\r\nContent-Length: 0\r\n\r\n",
        "POST /master/x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    };
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
        int fd = tu_connect(mp.port);
        ck_assert_int_ge(fd, 0);
        ssize_t n = (ssize_t)strlen(attacks[i]);
        ck_assert_int_eq(write(fd, attacks[i], (size_t)n), n);
        shutdown(fd, SHUT_WR);
        tu_read_until_closed(fd, NULL);
        close(fd);
    }
    ck_assert_int_eq(tu_http_get(mp.port, "/master/health", NULL), 200);
    act_buf m = {0};
    ck_assert_int_eq(tu_http_get(mp.port, "/metrics/snapshot", &m), 200);
    ck_assert(strstr(m.data, "\"master\\/dropped_messages\":2"));
    act_buf_free(&m);
    stop_master(&mp);
}
END_TEST

START_TEST(test_master_binary_rejects_bad_flags_naming_them)
{
    char *dir = tu_tmpdir();
    char log[4200];
    snprintf(log, sizeof log, "%s/out", dir);
    char *bad[][4] = {{(char *)tu_bin("mesos-master"), "--prot=1", NULL},
                      {(char *)tu_bin("mesos-master"), "--registry=in_memory",
                       "--allocation_interval=fast", NULL},
                      {(char *)tu_bin("mesos-master"), NULL},
                      {(char *)tu_bin("mesos-master"), "--registry=in_memory", "--zk=zk://x/y",
                       NULL},
                      {(char *)tu_bin("mesos-master"), "--registry=in_memory", "--quorum=2",
                       NULL},
                      {(char *)tu_bin("mesos-master"), "--registry=paxos", NULL}};
    const char *expect[] = {"prot", "allocation_interval", "--work_dir",
                            "--zk: Invalid ZooKeeper URL", "--quorum",
                            "Invalid --registry 'paxos'"};
    for (int i = 0; i < 6; i++) {
        int pid = tu_spawn(bad[i], log);
        int status;
        waitpid(pid, &status, 0);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        FILE *f = fopen(log, "r");
        char text[4096] = "";
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
        ck_assert_msg(strstr(text, expect[i]), "'%s' not in: %s", expect[i], text);
    }
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *master_process_suite(void)
{
    Suite *s = suite_create("master_process");
    TCase *tc = tcase_create("binary");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_real_master_binary_serves_a_scheduler_in_another_process);
    tcase_add_test(tc, test_hostile_bytes_on_the_master_port_leave_it_serving);
    tcase_add_test(tc, test_master_binary_rejects_bad_flags_naming_them);
    suite_add_tcase(s, tc);
    return s;
}
