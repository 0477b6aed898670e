/*
 * test_mesos_go.c - our protobuf and our daemons held against a real Mesos client library:
 * Debian's mesos-go (v0 bindings), whose programs in tests/go/ are built in GOPATH mode from
 * the packaged sources. wirecheck shows that mesos-go still writes the golden bytes our unit
 * tests pin, and that every schema type we encode, with random contents, is read by mesos-go
 * without an error or a field it does not know (except the few fields and types listed below
 * that later Mesos dropped or that are ours) and written back byte for byte. Then a mesos-go
 * scheduler runs a command task and tasks of a mesos-go executor on our master and slave,
 * beside our own C scheduler, and re-registers after the master restarts.
 */
#include <check.h>
#include <glob.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "tests/support/cluster.h"
#include "tests/support/golden.h"
#include "tests/support/testutil.h"
#include "wire/wire.h"

/* Types mesos-go does not have: ACLs and the registry never leave a master, RoleInfo is the
 * master's, SuppressOffersMessage is ours, FrameworkExpiredMessage predates 0.22. */
static const char *const types_mesos_go_lacks[] = {
    "mesos.ACL.Entity", "mesos.ACL.RegisterFramework", "mesos.ACL.RunTask",
    "mesos.ACL.ShutdownFramework", "mesos.ACLs", "mesos.internal.RoleInfo",
    "mesos.internal.Registry", "mesos.internal.Registry.Master", "mesos.internal.Registry.Slave",
    "mesos.internal.Registry.Slaves", "mesos.internal.SuppressOffersMessage",
    "mesos.internal.FrameworkExpiredMessage",
};

/* Types later Mesos (whose .proto files mesos-go follows) redefined with the same numbers:
 * ResourceUsage was the slave monitor's record in 0.22 and never reaches a framework. */
static const char *const types_mesos_go_redefined[] = {"mesos.ResourceUsage"};

/* Fields of 0.22 that the later Mesos mesos-go follows removed, as "<Type>:<number>". */
static const char *const fields_mesos_go_lacks[] = {
    "ExecutorInfo:10",          /* source */
    "ReregisterSlaveMessage:1", /* slave_id, removed in 0.22 already */
};

static bool listed(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0) return true;
    return false;
}

#define LISTED(list, s) listed(list, sizeof list / sizeof list[0], s)

/* Runs wirecheck with args and returns its output (free it), failing the test if it fails. */
static char *wirecheck(const char *mode, const char *file)
{
    char *dir = tu_tmpdir(), out[4200];
    snprintf(out, sizeof out, "%s/out", dir);
    char *argv[] = {(char *)tu_go_bin("wirecheck"), (char *)mode, (char *)file, NULL};
    int rc = tu_run(argv, out, 60);
    FILE *f = fopen(out, "r");
    ck_assert_ptr_nonnull(f);
    act_buf text = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) act_buf_append(&text, chunk, n);
    fclose(f);
    tu_rmrf(dir);
    free(dir);
    ck_assert_msg(rc == 0, "wirecheck %s exited %d: %.500s", mode, rc, text.data);
    return act_buf_detach(&text, NULL);
}

START_TEST(test_mesos_go_still_writes_the_golden_bytes)
{
    char *out = wirecheck("golden", NULL);
    size_t found = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char *hex = strchr(line, ' ');
        ck_assert_ptr_nonnull(hex);
        *hex++ = '\0';
        for (size_t i = 0; i < tg_golden_count; i++) {
            if (strcmp(tg_golden_msgs[i].name, line) != 0) continue;
            ck_assert_msg(strcmp(tg_golden_msgs[i].hex, hex) == 0,
                          "%s: mesos-go now writes %s", line, hex);
            found++;
        }
    }
    ck_assert_uint_eq(found, tg_golden_count);
    free(out);
}
END_TEST

/* Checks one wirecheck verdict for a message of type d we encoded as `ours`. */
static void check_verdict(const wire_desc *d, const wire_msg *sent, const act_buf *ours,
                          char *verdict)
{
    const char *name = wire_type_name(d);
    if (strcmp(verdict, "unknown-type") == 0) {
        ck_assert_msg(LISTED(types_mesos_go_lacks, name), "mesos-go has no %s", name);
        return;
    }
    ck_assert_msg(!LISTED(types_mesos_go_lacks, name), "%s is listed but mesos-go has it", name);
    if (LISTED(types_mesos_go_redefined, name)) return;
    ck_assert_msg(strncmp(verdict, "error", 5) != 0, "%s: mesos-go says %s", name, verdict);
    char *hex = strrchr(verdict, ' ');
    ck_assert_ptr_nonnull(hex);
    *hex++ = '\0';
    if (strncmp(verdict, "unrecognized ", 13) == 0) {
        for (char *f = strtok(verdict + 13, ","); f; f = strtok(NULL, ","))
            ck_assert_msg(LISTED(fields_mesos_go_lacks, f), "%s: mesos-go does not know %s",
                          name, f);
    } else {
        ck_assert_str_eq(verdict, "ok");
        act_buf again = {0};
        tg_hex(ours->data, ours->len, &again);
        ck_assert_msg(strcmp(again.data, hex) == 0, "%s: mesos-go wrote it back differently",
                      name);
        act_buf_free(&again);
    }
    /* Whatever mesos-go wrote back, we read as the message we sent. */
    act_buf theirs = {0};
    ck_assert(tg_unhex(hex, &theirs));
    wire_msg *back = NULL;
    char err[256] = "";
    ck_assert_msg(wire_pb_decode(d, theirs.data, theirs.len, &back, err, sizeof err) == 0,
                  "%s: %s", name, err);
    ck_assert_msg(wire_equal(d, sent->root, back->root), "%s changed through mesos-go", name);
    wire_msg_free(back);
    act_buf_free(&theirs);
}

START_TEST(test_every_type_reads_in_mesos_go_and_comes_back_byte_for_byte)
{
    enum { SEEDS = 3 };
    size_t n = wire_type_count() * SEEDS;
    wire_msg **sent = calloc(n, sizeof *sent);
    act_buf *enc = calloc(n, sizeof *enc), lines = {0};
    for (size_t i = 0; i < n; i++) {
        const wire_desc *d = wire_type_at(i / SEEDS);
        uint64_t rng = 1000 + i;
        sent[i] = wire_new(d);
        wire_random_fill(sent[i], d, sent[i]->root, &rng);
        ck_assert_int_eq(wire_pb_encode(d, sent[i]->root, &enc[i]), 0);
        act_buf_printf(&lines, "%s ", wire_type_name(d));
        tg_hex(enc[i].data, enc[i].len, &lines);
        act_buf_putc(&lines, '\n');
    }
    char *dir = tu_tmpdir(), in[4200];
    snprintf(in, sizeof in, "%s/in", dir);
    FILE *f = fopen(in, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(lines.data, 1, lines.len, f);
    fclose(f);

    char *out = wirecheck("crosscheck", in), *save = NULL;
    size_t i = 0;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        ck_assert_uint_lt(i, n);
        check_verdict(wire_type_at(i / SEEDS), sent[i], &enc[i], line);
    }
    ck_assert_uint_eq(i, n);

    for (i = 0; i < n; i++) {
        wire_msg_free(sent[i]);
        act_buf_free(&enc[i]);
    }
    free(sent);
    free(enc);
    free(out);
    act_buf_free(&lines);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- a mesos-go framework on our cluster --------------------------------------------------- */

/* Appends a whole file to out; false if it cannot be opened. */
static bool read_file(const char *path, act_buf *out)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) act_buf_append(out, chunk, n);
    fclose(f);
    act_buf_puts(out, "");
    return true;
}

/* Polls cond(ctx) until it holds or `secs` pass: for what another process does (its output,
 * the master's state). True if it held. */
static bool poll_until(bool (*cond)(void *), void *ctx, double secs)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (cond(ctx)) return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > secs)
            return false;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
}

typedef struct line_wait {
    const char *path, *line;
} line_wait;

/* The Go programs print one line per event: has the file a line starting with `line`? */
static bool has_line(void *arg)
{
    const line_wait *w = arg;
    act_buf text = {0};
    act_buf_putc(&text, '\n');
    char needle[256];
    snprintf(needle, sizeof needle, "\n%s", w->line);
    bool found = read_file(w->path, &text) && strstr(text.data, needle);
    act_buf_free(&text);
    return found;
}

/* Fails with the end of the file, so that a failure in CI shows what the Go driver logged. */
static void expect_line(const char *path, const char *line)
{
    line_wait w = {path, line};
    if (poll_until(has_line, &w, 60)) return;
    act_buf text = {0};
    read_file(path, &text);
    size_t tail = text.len > 3000 ? text.len - 3000 : 0;
    ck_abort_msg("no \"%s\" in %s, which ends:\n%s", line, path, text.data ? text.data + tail : "");
}

/* The master's view of the framework named `name`: how many tasks it still tracks and how
 * many completed ones it lists (tasks move there when their terminal update is acknowledged).
 * False if the master does not list it. */
static bool framework_tasks(const tc_cluster *c, const char *name, size_t *active,
                            size_t *completed)
{
    act_buf out = {0};
    bool found = false;
    if (tu_http_get(c->master_port, "/master/state.json", &out) == 200) {
        json_t *root = json_loads(out.data, 0, NULL), *fw;
        size_t i;
        json_array_foreach(json_object_get(root, "frameworks"), i, fw)
        {
            if (strcmp(json_string_value(json_object_get(fw, "name")) ?: "", name) != 0) continue;
            *active = json_array_size(json_object_get(fw, "tasks"));
            *completed = json_array_size(json_object_get(fw, "completed_tasks"));
            found = true;
        }
        json_decref(root);
    }
    act_buf_free(&out);
    return found;
}

/* The first file matching pattern, read into out (replaced). */
static bool read_glob(const char *pattern, act_buf *out)
{
    glob_t g;
    act_buf_reset(out);
    bool ok = glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0 && read_file(g.gl_pathv[0], out);
    globfree(&g);
    return ok;
}

typedef struct tasks_wait {
    const tc_cluster *c;
    size_t active, completed;
} tasks_wait;

static bool go_tasks_completed(void *arg)
{
    tasks_wait *w = arg;
    return framework_tasks(w->c, "mesos-go test framework", &w->active, &w->completed) &&
           w->active == 0 && w->completed == 3;
}

/* The restarted master has the slave back (so it knows the executor it must shut down). */
static bool slave_back(void *arg)
{
    const tc_cluster *c = arg;
    act_buf out = {0};
    bool back = tu_http_get(c->master_port, "/master/state.json", &out) == 200 &&
                strstr(out.data, "\"activated_slaves\":1");
    act_buf_free(&out);
    return back;
}

typedef struct glob_wait {
    const char *pattern, *text;
    act_buf out;
} glob_wait;

static bool glob_has(void *arg)
{
    glob_wait *w = arg;
    return read_glob(w->pattern, &w->out) && strstr(w->out.data, w->text);
}

/* Starts the Go scheduler against c's master with the Go executor and `extra` flags (NULL-
 * terminated); its output goes to <c.dir>/go-scheduler.log (written into log). */
static int go_scheduler(const tc_cluster *c, char *log, size_t n, const char *const *extra)
{
    char master[96], executor[4200];
    snprintf(log, n, "%s/go-scheduler.log", c->dir);
    snprintf(master, sizeof master, "-master=%s", c->master_addr);
    snprintf(executor, sizeof executor, "-executor=%s", tu_go_bin("executor"));
    char *argv[8] = {(char *)tu_go_bin("scheduler"), master, executor};
    for (size_t i = 0; extra && extra[i] && i < 4; i++) argv[3 + i] = (char *)extra[i];
    int pid = tu_spawn(argv, log);
    ck_assert_int_gt(pid, 0);
    return pid;
}

/* The Go executor's stdout, in the slave's sandbox. */
static void executor_stdout(const tc_cluster *c, char *pattern, size_t n)
{
    snprintf(pattern, n, "%s/slaves/*/frameworks/*/executors/go-executor/runs/latest/stdout",
             tc_slave_work_dir(c));
}

/* Stops the Go scheduler (it unregisters) and waits for the slave to shut its executor down,
 * which the executor prints to its stdout (gw watches it). */
static void stop_go_scheduler(int go, glob_wait *gw)
{
    int st = tu_stop(go, SIGTERM, 30);
    ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the Go scheduler exited %d",
                  st);
    gw->text = "shutdown";
    ck_assert_msg(poll_until(glob_has, gw, 30), "%s", gw->out.data);
    act_buf_free(&gw->out);
}

START_TEST(test_mesos_go_framework_and_executor_run_on_our_cluster_beside_ours)
{
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *ours = tc_sched_start(&c, false);
    tc_task c_task = {.id = "c-task", .command = "echo ours", .cpus = 0.1, .mem = 32};
    tc_sched_launch(ours, &c_task, 1);

    char log[4300];
    int go = go_scheduler(&c, log, sizeof log, NULL);
    expect_line(log, "registered ");
    expect_line(log, "status cmd TASK_FINISHED");
    expect_line(log, "message go-executor pong");
    expect_line(log, "status msg TASK_FINISHED");
    expect_line(log, "status kill TASK_RUNNING REASON_RECONCILIATION");
    expect_line(log, "status kill TASK_KILLED");
    expect_line(log, "done");
    ck_assert(tc_wait_state(ours, "c-task", WIRE_TASK_FINISHED, 60));

    /* Every terminal update was acknowledged through the master: it moved the tasks. */
    tasks_wait tw = {&c, 1, 0};
    ck_assert_msg(poll_until(go_tasks_completed, &tw, 30), "%zu tasks active, %zu completed",
                  tw.active, tw.completed);

    char pattern[4400];
    executor_stdout(&c, pattern, sizeof pattern);
    glob_wait gw = {pattern, "message ping", {0}};
    ck_assert(poll_until(glob_has, &gw, 30));
    ck_assert_msg(strstr(gw.out.data, "registered go-executor of mesos-go test framework"), "%s",
                  gw.out.data);

    /* The master restarts: the framework is told, and re-registers with the new one. */
    tc_kill_master(&c, SIGKILL);
    expect_line(log, "disconnected");
    tc_start_master(&c);
    expect_line(log, "reregistered ");
    ck_assert(poll_until(slave_back, &c, 30));

    /* Stopping the framework shuts its executor down through the slave. */
    stop_go_scheduler(go, &gw);
    tc_sched_stop(ours);
    tc_stop(&c);
}
END_TEST

/* A checkpointing mesos-go framework's executor outlives its slave: the restarted slave asks
 * it to reconnect in protobuf (it saved how the executor speaks), and afterwards kills reach
 * it and its updates reach the scheduler. */
START_TEST(test_a_mesos_go_executor_reregisters_with_a_restarted_slave)
{
    tc_cluster c;
    tc_start(&c, NULL);
    char log[4300], pattern[4400];
    const char *const flags[] = {"-tasks=wait", "-checkpoint", NULL};
    int go = go_scheduler(&c, log, sizeof log, flags);
    expect_line(log, "status wait TASK_RUNNING");
    executor_stdout(&c, pattern, sizeof pattern);
    glob_wait gw = {pattern, "launch wait", {0}};
    ck_assert(poll_until(glob_has, &gw, 30));

    tc_kill_slave(&c, SIGKILL);
    tc_start_slave(&c, NULL);
    gw.text = "reregistered";
    ck_assert_msg(poll_until(glob_has, &gw, 30), "%s", gw.out.data);

    ck_assert_int_eq(kill(go, SIGUSR1), 0);
    expect_line(log, "status wait TASK_KILLED");
    expect_line(log, "done");
    stop_go_scheduler(go, &gw);
    tc_stop(&c);
}
END_TEST

/* mesos-go authenticates with its own CRAM-MD5 (from a process of its own on another port):
 * our master lets the right secret in and refuses a wrong one, as Mesos' master does. */
START_TEST(test_a_mesos_go_framework_authenticates_with_our_master)
{
    char *dir = tu_tmpdir(), creds[4200], flag[4300];
    snprintf(creds, sizeof creds, "%s/credentials", dir);
    FILE *f = fopen(creds, "w");
    ck_assert_ptr_nonnull(f);
    fputs("gofw gosecret\n", f);
    fclose(f);
    snprintf(flag, sizeof flag, "--credentials=%s", creds);
    const char *master_flags[] = {"--authenticate", flag, NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags};
    tc_start_with(&c, &o);
    char log[4300];
    const char *const wrong[] = {"-tasks=cmd", "-principal=gofw", "-secret=nope", NULL};
    int go = go_scheduler(&c, log, sizeof log, wrong);
    ck_assert(tu_wait_metric(c.master_port, "master/authentication_failures", 1, 60));
    size_t active, completed;
    ck_assert(!framework_tasks(&c, "mesos-go test framework", &active, &completed));
    tu_stop(go, SIGKILL, 10);

    const char *const right[] = {"-tasks=cmd", "-principal=gofw", "-secret=gosecret", NULL};
    go = go_scheduler(&c, log, sizeof log, right);
    expect_line(log, "registered ");
    expect_line(log, "status cmd TASK_FINISHED");
    expect_line(log, "done");
    int st = tu_stop(go, SIGTERM, 30);
    ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the Go scheduler exited %d",
                  st);
    tc_stop(&c);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *mesos_go_suite(void);
Suite *mesos_go_suite(void)
{
    Suite *s = suite_create("mesos_go");
    TCase *wire = tcase_create("wire");
    tcase_set_timeout(wire, 120);
    tcase_add_test(wire, test_mesos_go_still_writes_the_golden_bytes);
    tcase_add_test(wire, test_every_type_reads_in_mesos_go_and_comes_back_byte_for_byte);
    suite_add_tcase(s, wire);
    TCase *cluster = tcase_create("cluster");
    tcase_set_timeout(cluster, 240);
    tcase_add_test(cluster, test_mesos_go_framework_and_executor_run_on_our_cluster_beside_ours);
    tcase_add_test(cluster, test_a_mesos_go_executor_reregisters_with_a_restarted_slave);
    tcase_add_test(cluster, test_a_mesos_go_framework_authenticates_with_our_master);
    suite_add_tcase(s, cluster);
    return s;
}
