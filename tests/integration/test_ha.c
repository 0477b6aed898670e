/*
 * test_ha.c - high availability with real processes: a three-server ZooKeeper ensemble
 * (shared by the tests of the case), mesos-master binaries contending in it, mesos-slave
 * binaries and a scheduler driver in this process finding the leader through it.
 *
 * Failover: the leader is SIGKILLed; a standby is elected, both slaves and the framework
 * re-register with it, the tasks run on, an update sent while no master led arrives exactly
 * once, the other standby redirects to the new leader; then the ZooKeeper leader is killed
 * and the cluster keeps launching tasks; then every master stops and a fresh one recovers the
 * admitted slaves from the registry. Also: a deposed leader (stopped past its session)
 * exits; a mesos-go scheduler follows a failover through mesos-go's own ZooKeeper detector;
 * detection by the slave, the driver and mesos-resolve through zk:// URLs with credentials
 * (digest ACLs on the znodes), file:// and host:port.
 */
#include "tests/support/cluster.h"
#include "tests/support/testutil.h"
#include "tests/support/zk.h"

#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SESSION "--zk_session_timeout=3secs"

static tz_ensemble *zk;

static void ensemble_up(void)
{
    zk = tz_start(3);
}

static void ensemble_down(void)
{
    tz_stop(zk);
    zk = NULL;
}

/* ---- processes --------------------------------------------------------------------------- */

typedef struct proc {
    int pid;
    uint16_t port;
    char log[4200];
} proc;

static char *dir;      /* this test's temporary directory */
static int started;    /* processes started, for log names */

static void setup(void)
{
    dir = tu_tmpdir();
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    tu_rmrf(dir);
    free(dir);
}

static void spawn(proc *p, char **argv, const char *what)
{
    snprintf(p->log, sizeof p->log, "%.4000s/%s-%d.log", dir, what, ++started);
    p->pid = tu_spawn(argv, p->log);
    ck_assert_int_gt(p->pid, 0);
}

/* A master contending in `zk_url`; extra: NULL-terminated further flags. */
static proc start_master(const char *zk_url, const char *const *extra)
{
    proc m = {0};
    char port[32], zkflag[1200];
    m.port = tu_free_port();
    snprintf(port, sizeof port, "--port=%u", m.port);
    snprintf(zkflag, sizeof zkflag, "--zk=%s", zk_url);
    char *argv[32] = {(char *)tu_bin("mesos-master"), "--ip=127.0.0.1", port, zkflag,
                      "--quorum=2", SESSION, "--allocation_interval=100ms"};
    int n = 7;
    for (size_t i = 0; extra && extra[i] && n < 31; i++) argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    spawn(&m, argv, "master");
    ck_assert_msg(tu_wait_http(m.port, "/master/health", 30), "master did not start: %s", m.log);
    return m;
}

static proc start_slave(const char *master, int i)
{
    proc s = {0};
    char port[32], work[4300], flag[1300], launcher[4300];
    s.port = tu_free_port();
    snprintf(port, sizeof port, "--port=%u", s.port);
    snprintf(work, sizeof work, "--work_dir=%s/slave-%d", dir, i);
    snprintf(flag, sizeof flag, "--master=%s", master);
    snprintf(launcher, sizeof launcher, "--launcher_dir=%s", tu_bin(""));
    char *argv[] = {(char *)tu_bin("mesos-slave"), "--ip=127.0.0.1", port, work, flag,
                    launcher, "--resources=cpus:1;mem:512;disk:512;ports:[31000-31100]",
                    "--registration_backoff_factor=100ms", "--recovery_timeout=1mins",
                    "--executor_shutdown_grace_period=1secs", NULL};
    spawn(&s, argv, "slave");
    return s;
}

/* SIGTERM and a clean exit. */
static void stop(proc *p, const char *what)
{
    int st = tu_stop(p->pid, SIGTERM, 30);
    ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "%s did not exit cleanly (status %d); see %s", what, st, p->log);
    p->pid = 0;
}

static bool alive(const proc *p)
{
    int st;
    return p->pid > 0 && waitpid(p->pid, &st, WNOHANG) == 0;
}

/* ---- what the masters say ---------------------------------------------------------------- */

static bool elected(uint16_t port)
{
    act_buf out = {0};
    bool yes = tu_http_get(port, "/metrics/snapshot", &out) == 200 && out.data &&
               strstr(out.data, "\"master\\/elected\":1");
    act_buf_free(&out);
    return yes;
}

/* A counter or gauge of /metrics/snapshot (0 if absent: counters appear once counted). */
static double metric(uint16_t port, const char *name)
{
    act_buf out = {0};
    double v = 0;
    if (tu_http_get(port, "/metrics/snapshot", &out) == 200 && out.data) {
        json_t *j = json_loads(out.data, 0, NULL);
        json_t *x = j ? json_object_get(j, name) : NULL;
        if (x) v = json_number_value(x);
        json_decref(j);
    }
    act_buf_free(&out);
    return v;
}

static void pause_briefly(void)
{
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
}

/* The index of the one elected master among m[0..n), waiting up to secs; -1 if none. */
static int wait_leader(proc *m, int n, double secs)
{
    for (double end = tu_mono() + secs; tu_mono() < end; pause_briefly())
        for (int i = 0; i < n; i++)
            if (m[i].pid > 0 && elected(m[i].port)) return i;
    return -1;
}

static json_t *state(uint16_t port)
{
    act_buf out = {0};
    json_t *j = NULL;
    if (tu_http_get(port, "/master/state.json", &out) == 200 && out.data)
        j = json_loads(out.data, 0, NULL);
    act_buf_free(&out);
    return j;
}

static json_t *find_framework(json_t *st, const char *key, const char *id)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(st, key), i, f)
        if (strcmp(json_string_value(json_object_get(f, "id")), id) == 0) return f;
    return NULL;
}

/* The state of task `id` in the framework's active ("tasks") or "completed_tasks" list. */
static const char *task_state(json_t *fw, const char *list, const char *id)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(fw, list), i, t)
        if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
            return json_string_value(json_object_get(t, "state"));
    return NULL;
}

typedef bool (*state_pred)(json_t *st, const void *arg);

/* Polls the master's state.json until pred holds (bounded). */
static bool wait_state(uint16_t port, state_pred pred, const void *arg, double secs)
{
    for (double end = tu_mono() + secs; tu_mono() < end; pause_briefly()) {
        json_t *st = state(port);
        bool ok = st && pred(st, arg);
        json_decref(st);
        if (ok) return true;
    }
    return false;
}

static bool slaves_active(json_t *st, const void *n)
{
    return json_integer_value(json_object_get(st, "activated_slaves")) == *(const int *)n;
}

static bool framework_active(json_t *st, const void *id)
{
    json_t *f = find_framework(st, "frameworks", id);
    return f && json_is_true(json_object_get(f, "active"));
}

typedef struct task_in {
    const char *framework, *list, *task, *state;
} task_in;

static bool task_is(json_t *st, const void *arg)
{
    const task_in *t = arg;
    json_t *f = find_framework(st, "frameworks", t->framework);
    const char *s = f ? task_state(f, t->list, t->task) : NULL;
    return s && strcmp(s, t->state) == 0;
}

static void zk_url(const char *credentials, char *out, size_t n)
{
    char path[64];
    tz_url(zk, credentials, tz_unique_path(path, sizeof path), out, n);
}

/* ---- failover ---------------------------------------------------------------------------- */

START_TEST(test_leader_failover_keeps_tasks_and_reregisters_everyone)
{
    char url[1024], go[4200], waiter[4400];
    zk_url(NULL, url, sizeof url);
    proc m[4] = {0};
    for (int i = 0; i < 3; i++) m[i] = start_master(url, NULL);
    int leader = wait_leader(m, 3, 30);
    ck_assert_int_ge(leader, 0);
    proc s1 = start_slave(url, 1), s2 = start_slave(url, 2);
    int two = 2, one = 1;
    ck_assert_msg(wait_state(m[leader].port, slaves_active, &two, 30), "slaves did not register");

    tc_sched *fw = tc_sched_start_at(url, true);
    snprintf(go, sizeof go, "%s/go", dir);
    snprintf(waiter, sizeof waiter, "while [ ! -e %s ]; do sleep 0.05; done", go);
    tc_task tasks[] = {{.id = "t1", .command = "sleep 600", .cpus = 0.4, .mem = 64},
                       {.id = "t2", .command = "sleep 600", .cpus = 0.4, .mem = 64},
                       {.id = "t3", .command = waiter, .cpus = 0.4, .mem = 64}};
    tc_sched_launch(fw, tasks, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(tc_wait_state(fw, tasks[i].id, WIRE_TASK_RUNNING, 60), "%s not running",
                      tasks[i].id);
    char fid[WIRE_ID_MAX];
    snprintf(fid, sizeof fid, "%s", tc_framework_id(fw));

    /* The leader dies; t3 finishes while no master leads. */
    tu_stop(m[leader].pid, SIGKILL, 10);
    m[leader].pid = 0;
    FILE *f = fopen(go, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    int next = wait_leader(m, 3, 30);
    ck_assert_msg(next >= 0 && next != leader, "no standby took over");
    ck_assert_msg(wait_state(m[next].port, slaves_active, &two, 30), "slaves did not come back");
    ck_assert_msg(tc_wait_registrations(fw, 2, 30), "the framework did not re-register");
    ck_assert_msg(wait_state(m[next].port, framework_active, fid, 30), "framework not active");
    ck_assert_int_eq(tc_disconnected_count(fw), 1);
    task_in running1 = {fid, "tasks", "t1", "TASK_RUNNING"};
    task_in running2 = {fid, "tasks", "t2", "TASK_RUNNING"};
    ck_assert(wait_state(m[next].port, task_is, &running1, 10));
    ck_assert(wait_state(m[next].port, task_is, &running2, 10));
    /* The update sent during the failover: delivered once, acknowledged, released. */
    ck_assert_msg(tc_wait_state(fw, "t3", WIRE_TASK_FINISHED, 60), "t3's update never came");
    task_in done3 = {fid, "completed_tasks", "t3", "TASK_FINISHED"};
    ck_assert(wait_state(m[next].port, task_is, &done3, 30));
    ck_assert_int_eq(tc_count_state(fw, "t3", WIRE_TASK_FINISHED), 1);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(tc_count_state(fw, tasks[i].id, WIRE_TASK_RUNNING), 1);
        ck_assert_int_eq(tc_count_state(fw, tasks[i].id, WIRE_TASK_LOST), 0);
    }

    /* The remaining standby sends users to the new leader. */
    int standby = 3 - leader - next;
    act_buf head = {0};
    ck_assert_int_eq(tu_http_get_head(m[standby].port, "/master/redirect", &head, NULL), 307);
    char location[400], host[256]; /* the masters' hostname: what 127.0.0.1 resolves to */
    snprintf(location, sizeof location, "Location: http://%s:%u\r\n",
             act_ip_hostname(0x7f000001u, host, sizeof host), m[next].port);
    ck_assert_msg(strstr(head.data, location), "%s", head.data);
    act_buf_free(&head);

    /* The ZooKeeper leader dies: sessions move to the others; the cluster keeps working. */
    int zk_leader = tz_leader(zk);
    ck_assert_int_ge(zk_leader, 0);
    tz_signal(zk, zk_leader, SIGKILL);
    tc_task t4 = {.id = "t4", .command = "sleep 600", .cpus = 0.4, .mem = 64};
    tc_sched_launch(fw, &t4, 1);
    ck_assert_msg(tc_wait_state(fw, "t4", WIRE_TASK_RUNNING, 60), "no task runs after the "
                  "ZooKeeper leader died");
    ck_assert(alive(&m[next]) && alive(&m[standby]) && elected(m[next].port));

    /* Every master stops; one slave goes too. A fresh master recovers both admitted slaves
     * from the registry: one re-registers, the other is removed once its time is up. */
    stop(&m[standby], "a standby");
    stop(&m[next], "the leader");
    stop(&s2, "slave 2");
    const char *quick[] = {"--slave_reregister_timeout=3secs", NULL};
    m[3] = start_master(url, quick);
    ck_assert_int_eq(wait_leader(&m[3], 1, 30), 0);
    ck_assert_msg(wait_state(m[3].port, slaves_active, &one, 30), "slave 1 did not come back");
    const char *removals = "master/recovery_slave_removals";
    for (double end = tu_mono() + 30; tu_mono() < end && metric(m[3].port, removals) < 1;)
        pause_briefly();
    ck_assert_msg(metric(m[3].port, removals) == 1, "slave 2 was not in the registry the new "
                  "master read");
    ck_assert(metric(m[3].port, "master/slave_registrations") == 0); /* none were new */

    tc_sched_stop(fw);
    stop(&s1, "slave 1");
    stop(&m[3], "the last master");
}
END_TEST

START_TEST(test_deposed_leader_exits_once_it_notices)
{
    char url[1024];
    zk_url(NULL, url, sizeof url);
    proc m[2] = {start_master(url, NULL), {0}};
    ck_assert_int_eq(wait_leader(m, 1, 30), 0);
    m[1] = start_master(url, NULL);
    proc s = start_slave(url, 1);
    int one = 1;
    ck_assert(wait_state(m[0].port, slaves_active, &one, 30));

    kill(m[0].pid, SIGSTOP); /* frozen past its session: deposed without knowing it */
    ck_assert_int_eq(wait_leader(&m[1], 1, 30), 0);
    ck_assert(wait_state(m[1].port, slaves_active, &one, 30));
    kill(m[0].pid, SIGCONT);
    int st = tu_stop(m[0].pid, 0, 30); /* signal 0: just wait for it */
    ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1,
                  "the deposed leader did not exit 1 (status %d); see %s", st, m[0].log);
    ck_assert(elected(m[1].port));
    stop(&s, "the slave");
    stop(&m[1], "the new leader");
}
END_TEST

/* A framework written with mesos-go (Debian's v0 bindings) finds the leader through
 * mesos-go's own ZooKeeper detector, which reads the json.info_ znodes our masters write, and
 * follows a failover: it re-registers with the new leader, which then kills its task. */
START_TEST(test_a_mesos_go_scheduler_follows_a_failover_through_zookeeper)
{
    char url[1024], master[1100], executor[4200];
    zk_url(NULL, url, sizeof url);
    proc m[2] = {start_master(url, NULL), {0}};
    ck_assert_int_eq(wait_leader(m, 1, 30), 0);
    m[1] = start_master(url, NULL);
    proc s = start_slave(url, 1);
    int one = 1;
    ck_assert(wait_state(m[0].port, slaves_active, &one, 30));

    proc go = {0};
    snprintf(master, sizeof master, "-master=%s", url);
    snprintf(executor, sizeof executor, "-executor=%s", tu_go_bin("executor"));
    char *argv[] = {(char *)tu_go_bin("scheduler"), master, executor, "-tasks=wait",
                    "-checkpoint", NULL};
    spawn(&go, argv, "go-scheduler");
    ck_assert_msg(tu_wait_file_contains(go.log, "status wait TASK_RUNNING", 60),
                  "the task did not start; see %s", go.log);

    tu_stop(m[0].pid, SIGKILL, 10);
    m[0].pid = 0;
    ck_assert_int_eq(wait_leader(&m[1], 1, 30), 0);
    ck_assert_msg(tu_wait_file_contains(go.log, "reregistered ", 60),
                  "the Go scheduler did not re-register with the new leader; see %s", go.log);
    /* Killed once the slave is back: a kill before that gets TASK_LOST, as in Mesos 0.22. */
    ck_assert(wait_state(m[1].port, slaves_active, &one, 30));
    ck_assert_int_eq(kill(go.pid, SIGUSR1), 0);
    ck_assert_msg(tu_wait_file_contains(go.log, "status wait TASK_KILLED", 60),
                  "the new leader did not kill the task; see %s", go.log);
    ck_assert(tu_wait_file_contains(go.log, "done", 30));
    stop(&go, "the Go scheduler");
    stop(&s, "the slave");
    stop(&m[1], "the new leader");
}
END_TEST

/* ---- detection --------------------------------------------------------------------------- */

/* Runs mesos-resolve with args; returns its exit status and output. */
static int resolve(const char *master, const char *timeout, char *out, size_t n)
{
    char log[4300];
    snprintf(log, sizeof log, "%s/resolve.out", dir);
    char *argv[] = {(char *)tu_bin("mesos-resolve"), (char *)timeout, (char *)master, NULL};
    int pid = tu_spawn(argv, log);
    int st = tu_stop(pid, 0, 30);
    FILE *f = fopen(log, "r");
    size_t len = f ? fread(out, 1, n - 1, f) : 0;
    out[len] = '\0';
    if (f) fclose(f);
    return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_slave_driver_and_resolve_detect_through_zk_file_and_credentials)
{
    char url[1024], anon[1024], file[4300], file_url[4400], out[1024], expect[64];
    zk_url("alice:s3cret", url, sizeof url);
    snprintf(anon, sizeof anon, "zk://%s%s", zk->servers, strchr(url + 5, '/'));
    snprintf(file, sizeof file, "%s/zk", dir);
    FILE *f = fopen(file, "w");
    fprintf(f, "%s\n", url);
    fclose(f);
    snprintf(file_url, sizeof file_url, "file://%s", file);

    ck_assert_int_eq(resolve(url, "--timeout=1secs", out, sizeof out), 1); /* none yet */
    ck_assert_msg(strstr(out, "Failed to detect master from 'zk://alice:s3cret@") &&
                  strstr(out, "within 1secs"), "%s", out);

    proc m = start_master(url, NULL); /* its znodes: anyone reads, alice writes */
    ck_assert_int_eq(wait_leader(&m, 1, 30), 0);
    proc s = start_slave(file_url, 1);
    int one = 1;
    ck_assert_msg(wait_state(m.port, slaves_active, &one, 30), "the slave did not register");
    tc_sched *fw = tc_sched_start_at(url, false);
    ck_assert_msg(tc_wait_registrations(fw, 1, 30), "the driver did not register");
    tc_sched *fw2 = tc_sched_start_at(file_url, false);
    ck_assert_msg(tc_wait_registrations(fw2, 1, 30), "the driver did not register (file://)");

    snprintf(expect, sizeof expect, "127.0.0.1:%u\n", m.port);
    char direct[64];
    snprintf(direct, sizeof direct, "localhost:%u", m.port);
    const char *forms[] = {url, anon, file_url, direct};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(resolve(forms[i], "--timeout=10secs", out, sizeof out), 0);
        ck_assert_msg(strcmp(out, expect) == 0, "%s: '%s'", forms[i], out);
    }
    ck_assert_int_eq(resolve("zk://127.0.0.1/mesos", "--timeout=1secs", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "Invalid ZooKeeper URL"), "%s", out);

    tc_sched_stop(fw);
    tc_sched_stop(fw2);
    stop(&s, "the slave");
    stop(&m, "the master");
}
END_TEST

Suite *ha_suite(void)
{
    Suite *s = suite_create("ha");
    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, ensemble_up, ensemble_down);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_leader_failover_keeps_tasks_and_reregisters_everyone);
    tcase_add_test(tc, test_deposed_leader_exits_once_it_notices);
    tcase_add_test(tc, test_a_mesos_go_scheduler_follows_a_failover_through_zookeeper);
    tcase_add_test(tc, test_slave_driver_and_resolve_detect_through_zk_file_and_credentials);
    suite_add_tcase(s, tc);
    return s;
}
