/*
 * test_scale.c - a real mesos-master with 2,000 hollow slaves (mesos-fleet) and a load
 * framework (mesos-loadgen, 10 frameworks, at most 400 tasks each in flight) running 20,000
 * tasks of 0, 100 and 500 ms: every task reaches TASK_FINISHED exactly once as the frameworks
 * saw it, no framework had more than its bound in flight, each task was launched once on a
 * slave and finished there, and the master's state agrees (2,000 slaves; every task once among
 * its framework's completed tasks, as TASK_FINISHED, once the last acknowledgements reached
 * it; nothing left running). The three programs are the ASan builds, on free loopback ports.
 */
#include "tests/support/testutil.h"

#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define SLAVES 2000
#define TASKS 20000
#define FRAMEWORKS 10

typedef struct proc {
    int pid;
    char log[4200];
} proc;

static char *dir;
static uint16_t master_port, fleet_port;
static proc master, fleet, loadgen;

static void spawn(proc *p, const char *name, char **argv)
{
    snprintf(p->log, sizeof p->log, "%s/%s.log", dir, name);
    p->pid = tu_spawn(argv, p->log);
    ck_assert_int_gt(p->pid, 0);
}

static void stop(proc *p)
{
    int status = tu_stop(p->pid, SIGTERM, 30);
    ck_assert_msg(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s ended with status %d", p->log, status);
}

static void start_master_and_fleet(void)
{
    char port[32], work[4200], mflag[64], fport[32];
    master_port = tu_free_port();
    snprintf(port, sizeof port, "--port=%u", master_port);
    snprintf(work, sizeof work, "--work_dir=%s/master", dir);
    char *margv[] = {(char *)tu_bin("mesos-master"), "--ip=127.0.0.1", port, work,
                     "--max_completed_tasks_per_framework=20000", "--logging_level=WARNING",
                     NULL};
    spawn(&master, "master", margv);
    ck_assert_msg(tu_wait_http(master_port, "/master/health", 30), "the master did not start");
    fleet_port = tu_free_port();
    snprintf(mflag, sizeof mflag, "--master=127.0.0.1:%u", master_port);
    snprintf(fport, sizeof fport, "--port=%u", fleet_port);
    char *fargv[] = {(char *)tu_bin("mesos-fleet"), mflag, fport, "--num_slaves=2000",
                     "--racks=20", NULL};
    spawn(&fleet, "fleet", fargv);
    ck_assert_msg(tu_wait_metric(master_port, "master/slaves_active", SLAVES, 180),
                  "2,000 hollow slaves did not register (see %s)", fleet.log);
}

/* The loadgen's report: the JSON line of its output. */
static json_t *report(void)
{
    char *out = tu_read_file(loadgen.log);
    ck_assert_ptr_nonnull(out);
    char *line = strstr(out, "{\"frameworks\"");
    ck_assert_msg(line != NULL, "no report in %s", loadgen.log);
    char *end = strchr(line, '\n');
    if (end) *end = '\0';
    json_error_t e;
    json_t *r = json_loads(line, 0, &e);
    ck_assert_msg(r != NULL, "bad report: %s", e.text);
    free(out);
    return r;
}

static long field(json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    ck_assert_msg(json_is_number(v), "no number '%s'", name);
    return (long)json_number_value(v);
}

static json_t *master_state(void)
{
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(master_port, "/master/state.json", &body), 200);
    json_error_t e;
    json_t *state = json_loads(body.data, 0, &e);
    act_buf_free(&body);
    ck_assert_msg(state != NULL, "state.json: %s", e.text);
    return state;
}

/* Tasks the master still holds as not completed, over every framework. */
static size_t open_tasks(json_t *state)
{
    size_t n = 0, i;
    json_t *f;
    json_array_foreach(json_object_get(state, "frameworks"), i, f)
        n += json_array_size(json_object_get(f, "tasks"));
    return n;
}

/* The master's state once it completed every task (a task it forwarded TASK_FINISHED for
 * stays among its framework's tasks until the framework's acknowledgement arrives), or as it
 * is after 60 s. */
static json_t *settled_state(void)
{
    json_t *state = master_state();
    for (int i = 0; i < 600 && open_tasks(state) > 0; i++) {
        json_decref(state);
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        state = master_state();
    }
    return state;
}

/* Every task once, FINISHED, among the frameworks' completed tasks; none still running. */
static void check_master_state(void)
{
    json_t *state = settled_state();
    ck_assert_uint_eq(json_array_size(json_object_get(state, "slaves")), SLAVES);
    json_t *frameworks = json_object_get(state, "frameworks");
    ck_assert_uint_eq(json_array_size(frameworks), FRAMEWORKS);
    uint8_t *seen = calloc(TASKS, 1);
    size_t n = 0, i;
    json_t *f, *t;
    json_array_foreach(frameworks, i, f) {
        ck_assert_uint_eq(json_array_size(json_object_get(f, "tasks")), 0);
        size_t k;
        json_array_foreach(json_object_get(f, "completed_tasks"), k, t) {
            const char *id = json_string_value(json_object_get(t, "id"));
            const char *st = json_string_value(json_object_get(t, "state"));
            int idx = -1;
            ck_assert_msg(id && sscanf(id, "loadgen-%d", &idx) == 1 && idx >= 0 && idx < TASKS,
                          "unexpected task %s", id ? id : "(none)");
            ck_assert_msg(st && strcmp(st, "TASK_FINISHED") == 0, "task %s is %s", id, st);
            ck_assert_msg(!seen[idx]++, "task %s appears twice", id);
            n++;
        }
    }
    ck_assert_uint_eq(n, TASKS);
    free(seen);
    json_decref(state);
}

START_TEST(test_2000_hollow_slaves_run_20000_tasks_each_finished_exactly_once)
{
    dir = tu_tmpdir();
    start_master_and_fleet();
    char mflag[64];
    snprintf(mflag, sizeof mflag, "--master=127.0.0.1:%u", master_port);
    char *largv[] = {(char *)tu_bin("mesos-loadgen"), mflag, "--frameworks=10",
                     "--tasks=20000", "--durations=0secs,100ms,500ms", "--timeout=4mins",
                     "--max_in_flight=400", "--stay", NULL};
    spawn(&loadgen, "loadgen", largv);
    ck_assert_msg(tu_wait_file_contains(loadgen.log, "\"timed_out\"", 250),
                  "no report from mesos-loadgen (see %s)", loadgen.log);
    json_t *r = report();
    ck_assert_int_eq(field(r, "launched"), TASKS);
    ck_assert_int_eq(field(r, "running"), TASKS);
    ck_assert_int_eq(field(r, "finished"), TASKS);
    ck_assert_int_eq(field(r, "failed") + field(r, "killed") + field(r, "lost") +
                     field(r, "error"), 0);
    ck_assert_int_eq(field(r, "duplicate_terminal_updates"), 0);
    ck_assert(json_is_false(json_object_get(r, "timed_out")));
    /* no framework had more than its bound launched and not yet running */
    ck_assert_int_gt(field(r, "in_flight_peak"), 0);
    ck_assert_int_le(field(r, "in_flight_peak"), 400);
    json_t *lat = json_object_get(r, "launch_to_running_ms");
    double p50 = json_number_value(json_object_get(lat, "p50")),
           p99 = json_number_value(json_object_get(lat, "p99")),
           max = json_number_value(json_object_get(lat, "max"));
    ck_assert_msg(p50 > 0 && p50 <= p99 && p99 <= max, "latency p50 %g p99 %g max %g", p50,
                  p99, max);
    json_decref(r);
    /* what the slaves ran: each task launched once and finished there */
    ck_assert_int_eq((int)tu_metric(fleet_port, "fleet/tasks_launched"), TASKS);
    ck_assert_int_eq((int)tu_metric(fleet_port, "fleet/tasks_finished"), TASKS);
    ck_assert_int_eq((int)tu_metric(fleet_port, "fleet/tasks_running"), 0);
    ck_assert_int_eq((int)tu_metric(fleet_port, "fleet/slaves_registered"), SLAVES);
    check_master_state();
    stop(&loadgen);
    stop(&fleet);
    stop(&master);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *scale_suite(void)
{
    Suite *s = suite_create("scale");
    TCase *tc = tcase_create("fleet");
    tcase_set_timeout(tc, 420);
    tcase_add_test(tc, test_2000_hollow_slaves_run_20000_tasks_each_finished_exactly_once);
    suite_add_tcase(s, tc);
    return s;
}
