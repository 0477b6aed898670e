/*
 * test_inspector.c - mesos-inspect against a live cluster: the real master and slave binaries,
 * a real command executor, and the scheduler driver in this process (whose runtime serves its
 * own recorder). --watch of the master and the slave streams the task's messages live, merged
 * by time; the actors' table and --top answer. --follow-task given only the master finds the
 * other processes and prints
 * the task's chain (launch, RunTask, the executor's registration, the status update and its
 * acknowledgement) in causal order across the four of them; with a test filter dropping the
 * scheduler's first acknowledgement, the diagram shows the drop and the slave's resend, and
 * its HTML page opens in headless Chromium with no console error.
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>

#define TASK "inspected"

/* Runs mesos-inspect with args (NULL-terminated) into out_path; returns its exit code. */
static int inspect(const char *out_path, const char *const *args)
{
    char *argv[16] = {(char *)tu_bin("mesos-inspect")};
    int n = 1;
    while (*args && n < 15) argv[n++] = (char *)*args++;
    argv[n] = NULL;
    return tu_run(argv, out_path, 60);
}

/* The diagram of TASK as JSON objects, one per message (json_decref it). */
static json_t *follow(tc_cluster *c)
{
    char out[4300];
    snprintf(out, sizeof out, "%s/follow.json", c->dir);
    const char *args[] = {"--follow-task", TASK, "--json", c->master_addr, NULL};
    ck_assert_int_eq(inspect(out, args), 0);
    char *text = tu_read_file(out);
    json_t *hops = json_array();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *h = json_loads(line, 0, NULL);
        ck_assert_msg(h, "not JSON: %s", line);
        json_array_append_new(hops, h);
    }
    free(text);
    return hops;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* One expected message: its name and the start of its sender's and receiver's pids. */
typedef struct want {
    const char *name, *from, *to;
} want;

/* The index of the first hop at or after `from` that matches w, or -1. */
static int find_hop(json_t *hops, size_t from, const want *w, bool delivered)
{
    for (size_t i = from; i < json_array_size(hops); i++) {
        json_t *h = json_array_get(hops, i);
        if (strcmp(str(h, "name"), w->name) || strncmp(str(h, "from"), w->from, strlen(w->from)) ||
            strncmp(str(h, "to"), w->to, strlen(w->to)))
            continue;
        if (delivered && !(json_is_true(json_object_get(h, "sent")) &&
                           json_is_true(json_object_get(h, "received"))))
            continue;
        return (int)i;
    }
    return -1;
}

static char *dump(json_t *hops)
{
    return json_dumps(hops, JSON_INDENT(1));
}

#define MSG(n) "mesos.internal." n
static const want chain[] = {
    {MSG("LaunchTasksMessage"), "scheduler-", "master@"},
    {MSG("RunTaskMessage"), "master@", "slave(1)@"},
    {MSG("RegisterExecutorMessage"), "executor(1)@", "slave(1)@"},
    {MSG("ExecutorRegisteredMessage"), "slave(1)@", "executor(1)@"},
    {MSG("RunTaskMessage"), "slave(1)@", "executor(1)@"},
    {MSG("StatusUpdateMessage"), "executor(1)@", "slave(1)@"},
    {MSG("StatusUpdateMessage"), "status-update-manager@", "master@"},
    {MSG("StatusUpdateMessage"), "master@", "scheduler-"},
    {MSG("StatusUpdateAcknowledgementMessage"), "scheduler-", "master@"},
    {MSG("StatusUpdateAcknowledgementMessage"), "master@", "slave(1)@"},
};

static void launch(tc_cluster *c, tc_sched *s)
{
    tc_task t = {.id = TASK, .command = "sleep 60", .cpus = 0.1, .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, TASK, WIRE_TASK_RUNNING, 60));
    /* the update was acknowledged all the way down */
    ck_assert(tc_wait_slave_metric(c, "status-update-manager/pending", 0, 30));
}

static void run_task(tc_cluster *c, tc_sched **s)
{
    tc_start(c, NULL);
    *s = tc_sched_start(c, false);
    launch(c, *s);
}

/* Starts `mesos-inspect --watch` of the master and the slave for the task's messages, and
 * waits until it says both streams are open. Returns its pid. */
static int start_watch(tc_cluster *c, const char *out)
{
    char slave[32];
    snprintf(slave, sizeof slave, "127.0.0.1:%u", c->slave_port);
    char *argv[] = {(char *)tu_bin("mesos-inspect"), "--watch", c->master_addr, slave,
                    "--task=" TASK, "--json", "--count=6", "--duration=60secs", NULL};
    int pid = tu_spawn(argv, out);
    ck_assert_int_gt(pid, 0);
    ck_assert(tu_wait_file_contains(out, "mesos-inspect: watching 2 processes", 30));
    return pid;
}

/* The live events the watch printed: six, about the task, from both processes, in time
 * order. */
static void check_watch(tc_cluster *c, int pid, const char *out)
{
    int status = -1;
    ck_assert_msg(tu_wait_gone(pid, 60), "the watch did not end by itself after --count");
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "watch status %d", status);
    char *text = tu_read_file(out);
    json_t *prev = NULL;
    int n = 0, from_master = 0, from_slave = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != '{') continue; /* what it said on stderr */
        n++;
        json_t *e = json_loads(line, 0, NULL);
        ck_assert_msg(e && strstr(line, "\"task\":[\"" TASK "\"]"), "%s", line);
        if (strcmp(str(e, "process"), c->master_addr) == 0)
            from_master++;
        else
            from_slave++;
        if (prev) ck_assert(json_number_value(json_object_get(prev, "time")) <=
                            json_number_value(json_object_get(e, "time")));
        json_decref(prev);
        prev = e;
    }
    json_decref(prev);
    ck_assert_int_eq(n, 6);
    ck_assert_msg(from_master > 0 && from_slave > 0, "%d from the master, %d from the slave",
                  from_master, from_slave);
    free(text);
}

START_TEST(test_follow_task_from_the_master_alone_prints_the_chain_across_four_processes)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    char watch_out[4300];
    snprintf(watch_out, sizeof watch_out, "%s/watch.json", c.dir);
    int watch = start_watch(&c, watch_out);
    launch(&c, s);
    check_watch(&c, watch, watch_out);
    json_t *hops = follow(&c);
    int at = 0;
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
        int k = find_hop(hops, (size_t)at, &chain[i], true);
        char *text = dump(hops);
        ck_assert_msg(k >= 0, "no %s from %s to %s (sent and received) after #%d in:\n%s",
                      chain[i].name, chain[i].from, chain[i].to, at, text);
        free(text);
        at = k + 1;
    }
    /* the terminal diagram of the same: one column per actor of the four processes */
    char out[4300];
    snprintf(out, sizeof out, "%s/follow.txt", c.dir);
    const char *args[] = {"--follow-task=" TASK, c.master_addr, NULL};
    ck_assert_int_eq(inspect(out, args), 0);
    char *text = tu_read_file(out), me[32];
    snprintf(me, sizeof me, "127.0.0.1:%u", act_port()); /* this process: the scheduler's */
    ck_assert_msg(strstr(text, "Task " TASK ": ") && strstr(text, c.master_addr) &&
                  strstr(text, me) && strstr(text, "executor(1)@") &&
                  strstr(text, "|-") && strstr(text, "RegisterExecutorMessage"), "%s", text);
    free(text);
    /* the master's actors, then refreshed with rates */
    const char *table[] = {c.master_addr, NULL};
    ck_assert_int_eq(inspect(out, table), 0);
    text = tu_read_file(out);
    ck_assert_msg(strstr(text, "MAILBOX") && strstr(text, "\nmaster ") &&
                  strstr(text, "\nallocator "), "%s", text);
    free(text);
    const char *top[] = {"--top", "--count=2", "--interval=100ms", c.master_addr, NULL};
    ck_assert_int_eq(inspect(out, top), 0);
    text = tu_read_file(out);
    char *rates = strstr(text, "IN/S"); /* the second round, which has one to compare with */
    ck_assert_msg(rates && !strstr(rates + 1, "IN/S") && strstr(text, "(every 0.1s)") &&
                  strstr(rates, "\nmaster "), "%s", text);
    free(text);
    json_decref(hops);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* Drops the first acknowledgement the scheduler sends. */
static _Atomic int acks_dropped;

static act_filter_verdict drop_first_ack(void *ctx, const act_filter_msg *m)
{
    if (strcmp(m->name, MSG("StatusUpdateAcknowledgementMessage")) != 0 ||
        strncmp(m->from->id, "scheduler-", 10) != 0)
        return ACT_FILTER_PASS;
    int zero = 0;
    return atomic_compare_exchange_strong(&acks_dropped, &zero, 1) ? ACT_FILTER_DROP
                                                                   : ACT_FILTER_PASS;
}

/* Opens the page in headless Chromium: true when its script ran (it marks the body ready)
 * and the console stayed silent; *report gets what went wrong. */
static bool opens_clean(const char *dir, const char *page, char *report, size_t n)
{
    char dom[4300], log[4300];
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    snprintf(log, sizeof log, "%s/chromium.log", dir);
    int rc = tu_sh(NULL, "d=$(mktemp -d) && timeout 90 chromium --headless --no-sandbox "
                   "--disable-gpu --no-first-run --disable-background-networking "
                   "--disable-component-update --disable-sync --user-data-dir=$d "
                   "--enable-logging=stderr --v=0 --dump-dom file://%s > %s 2> %s; "
                   "s=$?; rm -rf $d; exit $s", page, dom, log);
    char *d = tu_read_file(dom), *l = tu_read_file(log);
    bool ok = rc == 0 && d && strstr(d, "data-ready=\"1\"") && l && !strstr(l, "CONSOLE");
    snprintf(report, n, "chromium exit %d; console: %.1500s", rc, l ? l : "(no log)");
    free(d);
    free(l);
    return ok;
}

START_TEST(test_a_dropped_acknowledgement_and_the_resend_show_in_the_diagram_and_its_page)
{
    setenv("MESOS_TEST_STATUS_UPDATE_RETRY_INTERVAL", "500ms", 1); /* the slave inherits it */
    int filter = act_filter_add(drop_first_ack, NULL);
    tc_cluster c;
    tc_sched *s;
    run_task(&c, &s); /* its pending update reaches 0 only after the resend */
    ck_assert_int_eq(atomic_load(&acks_dropped), 1);
    ck_assert(tc_slave_metric(&c, "status-update-manager/retries") >= 1);
    json_t *hops = follow(&c);
    char *text = dump(hops);
    want ack = {MSG("StatusUpdateAcknowledgementMessage"), "scheduler-", "master@"};
    int dropped = find_hop(hops, 0, &ack, false);
    ck_assert_msg(dropped >= 0, "%s", text);
    json_t *d = json_array_get(hops, (size_t)dropped);
    ck_assert_msg(strcmp(str(d, "dropped"), "dropped by a filter") == 0, "%s", text);
    /* then the slave resends the update, which goes up again and is acknowledged */
    want update = {MSG("StatusUpdateMessage"), "status-update-manager@", "master@"};
    int resent = find_hop(hops, (size_t)dropped + 1, &update, true);
    ck_assert_msg(resent >= 0 && json_integer_value(json_object_get(
                      json_array_get(hops, (size_t)resent), "resent_of")) > 0, "%s", text);
    int acked = find_hop(hops, (size_t)resent + 1, &ack, true);
    want down = {MSG("StatusUpdateAcknowledgementMessage"), "master@", "slave(1)@"};
    ck_assert_msg(acked >= 0 && find_hop(hops, (size_t)acked + 1, &down, true) >= 0, "%s", text);
    free(text);
    json_decref(hops);
    /* the terminal diagram says so, and the page to share opens clean in a browser */
    char out[4300], html[4300], flag[4400], report[2048];
    snprintf(out, sizeof out, "%s/follow.txt", c.dir);
    snprintf(html, sizeof html, "%s/" TASK ".html", c.dir);
    snprintf(flag, sizeof flag, "--html=%s", html);
    const char *args[] = {"--follow-task", TASK, flag, c.master_addr, NULL};
    ck_assert_int_eq(inspect(out, args), 0);
    text = tu_read_file(out);
    ck_assert_msg(strstr(text, "DROPPED: dropped by a filter") && strstr(text, "RESENT (first #"),
                  "%s", text);
    free(text);
    text = tu_read_file(html);
    ck_assert(text && strstr(text, "dropped by a filter") && !strstr(text, "http://") &&
              !strstr(text, "https://"));
    free(text);
    ck_assert_msg(opens_clean(c.dir, html, report, sizeof report), "%s", report);
    act_filter_remove(filter);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

Suite *inspector_suite(void)
{
    Suite *s = suite_create("inspector");
    TCase *tc = tcase_create("inspector");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_follow_task_from_the_master_alone_prints_the_chain_across_four_processes);
    tcase_add_test(tc, test_a_dropped_acknowledgement_and_the_resend_show_in_the_diagram_and_its_page);
    suite_add_tcase(s, tc);
    return s;
}
