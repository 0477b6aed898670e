/*
 * test_containerizer.c - the containerizer with real processes and real files: launching a
 * command in its sandbox (output, exit status, environment, argv, user), failed launches,
 * destroying process groups with SIGTERM then SIGKILL on the paused clock, the fetcher (local,
 * file://, relative, archives, HTTP), recovery of executors we did not fork, and
 * /monitor/statistics.json.
 */
#include "slave/slave_int.h"
#include "tests/support/cgtest.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- a recorder for LAUNCHED and TERMINATED ---------------------------------------------- */

#define MAX_RESULTS 16

typedef struct recorder {
    pthread_mutex_t mu;
    tu_counter launched, terminated;
    cz_result l[MAX_RESULTS], t[MAX_RESULTS];
} recorder;

static recorder rec;
static act_pid rec_pid, cz_pid;
static char *tmp;

static void on_result(act_actor *self, const act_msg *m)
{
    const cz_result *r = m->obj;
    bool launched = strcmp(m->name, CZ_MSG_LAUNCHED) == 0;
    tu_counter *c = launched ? &rec.launched : &rec.terminated;
    pthread_mutex_lock(&rec.mu);
    uint64_t n = tu_counter_get(c);
    if (n < MAX_RESULTS) (launched ? rec.l : rec.t)[n] = *r;
    pthread_mutex_unlock(&rec.mu);
    tu_counter_add(c, 1);
}

static void start_with(const cz_config *cfg, bool paused);

static void start(bool paused)
{
    cz_config cfg;
    cz_config_default(&cfg);
    cfg.resource_monitoring_interval = 0; /* every statistics.json measures */
    start_with(&cfg, paused);
}

static void start_with(const cz_config *cfg, bool paused)
{
    if (paused) act_clock_pause();
    memset(&rec, 0, sizeof rec);
    pthread_mutex_init(&rec.mu, NULL);
    tu_counter_init(&rec.launched);
    tu_counter_init(&rec.terminated);
    tu_runtime_start(1);
    act_actor *a = act_new("recorder", NULL);
    act_on_message(a, CZ_MSG_LAUNCHED, on_result);
    act_on_message(a, CZ_MSG_TERMINATED, on_result);
    rec_pid = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    cz_kind mesos = CZ_MESOS;
    char err[512];
    cz_pid = composing_spawn(&mesos, 1, cfg, NULL, 0, err, sizeof err); /* and the monitor */
    ck_assert_msg(!act_pid_is_none(&cz_pid), "%s", err);
    tmp = tu_tmpdir();
    ck_assert_ptr_nonnull(tmp);
    chmod(tmp, 0755); /* so that "nobody" can reach a sandbox below it */
}

static void stop(void)
{
    act_shutdown();
    tu_rmrf(tmp);
    free(tmp);
}

/* Posts obj to the containerizer from the recorder, so replies come back to it. */
typedef struct post_job {
    const char *name;
    void *obj;
    void (*free_obj)(void *);
} post_job;

static void do_post(act_actor *self, void *arg)
{
    post_job *j = arg;
    if (self) act_post(self, &cz_pid, j->name, j->obj, j->free_obj);
    else j->free_obj(j->obj);
    free(j);
}

static void post(const char *name, void *obj, void (*free_obj)(void *))
{
    post_job *j = act_calloc(1, sizeof *j);
    *j = (post_job){name, obj, free_obj};
    ck_assert_int_eq(act_dispatch(&rec_pid, do_post, j), 0);
}

/* ---- building launches ------------------------------------------------------------------- */

static char *sandbox(const char *cid)
{
    act_buf b = {0};
    act_buf_printf(&b, "%s/%s", tmp, cid);
    ck_assert_int_eq(mkdir(b.data, 0755), 0);
    return act_buf_detach(&b, NULL);
}

static cz_launch *make_launch(const char *cid, const char *command)
{
    cz_launch *l = act_calloc(1, sizeof *l);
    snprintf(l->container_id, sizeof l->container_id, "%s", cid);
    snprintf(l->framework_id, sizeof l->framework_id, "fw-1");
    snprintf(l->executor_id, sizeof l->executor_id, "ex-%s", cid);
    l->directory = sandbox(cid);
    wire_msg *m = wire_new(WIRE_DESC(executor_info));
    wire_executor_info *ei = m->root;
    ei->executor_id.value = wire_strdup(m, l->executor_id);
    ei->has_name = true;
    ei->name = wire_strdup(m, "test executor");
    ei->has_source = true;
    ei->source = wire_strdup(m, "tests");
    ei->command.has_value = true;
    ei->command.value = wire_strdup(m, command);
    l->executor = m;
    return l;
}

static wire_command_info *command_of(cz_launch *l)
{
    return &((wire_executor_info *)l->executor->root)->command;
}

static void set_argv(cz_launch *l, const char *const *args, size_t n)
{
    wire_command_info *c = command_of(l);
    c->has_shell = true;
    c->shell = false;
    c->arguments = wire_alloc(l->executor, n * sizeof *c->arguments);
    for (size_t i = 0; i < n; i++) c->arguments[i] = wire_strdup(l->executor, args[i]);
    c->arguments_count = n;
}

typedef struct test_uri {
    const char *value;
    bool executable;
} test_uri;

static void set_uris(cz_launch *l, const test_uri *u, size_t n)
{
    wire_command_info *c = command_of(l);
    c->uris = wire_alloc_array(l->executor, WIRE_DESC(command_uri), n);
    for (size_t i = 0; i < n; i++) {
        c->uris[i].value = wire_strdup(l->executor, u[i].value);
        c->uris[i].has_executable = true;
        c->uris[i].executable = u[i].executable;
    }
    c->uris_count = n;
}

/* Launches and waits for LAUNCHED; returns its result. */
static cz_result launch(cz_launch *l)
{
    uint64_t n = tu_counter_get(&rec.launched);
    post(CZ_MSG_LAUNCH, l, cz_launch_free);
    ck_assert_msg(tu_counter_wait(&rec.launched, n + 1, 30), "no LAUNCHED");
    pthread_mutex_lock(&rec.mu);
    cz_result r = rec.l[n];
    pthread_mutex_unlock(&rec.mu);
    return r;
}

static cz_result wait_terminated(uint64_t nth)
{
    ck_assert_msg(tu_counter_wait(&rec.terminated, nth, 30), "no TERMINATED");
    pthread_mutex_lock(&rec.mu);
    cz_result r = rec.t[nth - 1];
    pthread_mutex_unlock(&rec.mu);
    return r;
}

static void destroy(const char *cid, double grace)
{
    cz_destroy *d = act_calloc(1, sizeof *d);
    snprintf(d->container_id, sizeof d->container_id, "%s", cid);
    d->grace_seconds = grace;
    post(CZ_MSG_DESTROY, d, free);
}

/* ---- files and processes ----------------------------------------------------------------- */

static char *slurp(const char *dir, const char *name)
{
    act_buf path = {0}, out = {0};
    act_buf_printf(&path, "%s/%s", dir, name);
    FILE *f = fopen(path.data, "r");
    act_buf_free(&path);
    act_buf_puts(&out, "");
    if (!f) return act_buf_detach(&out, NULL);
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) act_buf_append(&out, buf, n);
    fclose(f);
    return act_buf_detach(&out, NULL);
}

static void spit(const char *dir, const char *name, const char *text)
{
    act_buf path = {0};
    act_buf_printf(&path, "%s/%s", dir, name);
    FILE *f = fopen(path.data, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    act_buf_free(&path);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void pause_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (bounded) until file dir/name contains text. */
static bool wait_file_has(const char *dir, const char *name, const char *text, double secs)
{
    for (int i = 0; i < secs * 100; i++, pause_ms(10)) {
        char *s = slurp(dir, name);
        bool ok = strstr(s, text) != NULL;
        free(s);
        if (ok) return true;
    }
    return false;
}

/* ---- launch ------------------------------------------------------------------------------ */

START_TEST(test_command_runs_in_its_sandbox_and_its_exit_status_is_reported)
{
    start(false);
    cz_launch *l = make_launch("c1", "echo hello; echo oops >&2; echo \"x=$MESOS_X\"; "
                                     "echo \"y=$FROM_COMMAND\"; pwd; exit 3");
    char *dir = act_strdup(l->directory);
    l->env = act_calloc(2, sizeof *l->env);
    l->env[0] = act_strdup("MESOS_X=from-slave");
    wire_command_info *c = command_of(l);
    c->environment = wire_alloc(l->executor, sizeof *c->environment);
    c->environment->variables =
        wire_alloc_array(l->executor, WIRE_DESC(environment_variable), 1);
    c->environment->variables[0].name = wire_strdup(l->executor, "FROM_COMMAND");
    c->environment->variables[0].value = wire_strdup(l->executor, "from-command");
    c->environment->variables_count = 1;
    act_buf pids = {0};
    act_buf_printf(&pids, "%s/meta/runs/c1/pids", tmp);
    l->pids_dir = act_strdup(pids.data);

    cz_result r = launch(l);
    ck_assert_msg(r.pid > 0, "launch failed: %s", r.message);
    ck_assert_str_eq(r.container_id, "c1");
    cz_result t = wait_terminated(1);
    ck_assert_str_eq(t.container_id, "c1");
    ck_assert_int_eq(t.pid, r.pid);
    ck_assert(WIFEXITED(t.status));
    ck_assert_int_eq(WEXITSTATUS(t.status), 3);
    ck_assert_str_eq(t.message, "Executor exited with status 3");

    char *out = slurp(dir, "stdout"), *err = slurp(dir, "stderr");
    act_buf expect = {0};
    act_buf_printf(&expect, "hello\nx=from-slave\ny=from-command\n%s\n", dir);
    ck_assert_str_eq(out, expect.data);
    ck_assert_str_eq(err, "oops\n");
    char *pid_text = slurp(tmp, "meta/runs/c1/pids/forked.pid");
    ck_assert_int_eq(atoi(pid_text), r.pid);
    proc_identity id;
    char why[512];
    ck_assert_int_eq(proc_identity_load(pids.data, &id, why, sizeof why), 0);
    ck_assert_int_eq(id.pid, r.pid);
    ck_assert_int_eq(proc_identity_check(&id), -ESRCH); /* it exited and was reaped */
    ck_assert_uint_eq(act_counter_value(act_counter_get("containerizer/launches")), 1);
    free(pid_text), free(out), free(err), free(dir);
    act_buf_free(&expect), act_buf_free(&pids);
    stop();
}
END_TEST

START_TEST(test_shell_false_execs_the_arguments_as_argv)
{
    start(false);
    cz_launch *l = make_launch("c2", "echo");
    const char *args[] = {"echo", "a  b", "$HOME"};
    set_argv(l, args, 3);
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_msg(r.pid > 0, "launch failed: %s", r.message);
    cz_result t = wait_terminated(1);
    ck_assert(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0);
    char *out = slurp(dir, "stdout");
    ck_assert_str_eq(out, "a  b $HOME\n"); /* no shell: nothing expanded or split */
    free(out), free(dir);
    stop();
}
END_TEST

START_TEST(test_the_executor_inherits_no_descriptor_of_the_slave)
{
    start(false);
    cz_launch *l = make_launch("c7", "ls -l /proc/$$/fd | grep -c -e socket -e anon_inode; true");
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_msg(r.pid > 0, "launch failed: %s", r.message);
    wait_terminated(1);
    char *out = slurp(dir, "stdout");
    ck_assert_str_eq(out, "0\n"); /* no listening socket, pidfd or eventfd leaked */
    free(out), free(dir);
    stop();
}
END_TEST

START_TEST(test_a_missing_binary_fails_the_launch_and_leaves_no_zombie)
{
    start(false);
    cz_launch *l = make_launch("c3", "/no/such/binary");
    const char *args[] = {"binary"};
    set_argv(l, args, 1);
    cz_result r = launch(l);
    ck_assert_int_eq(r.pid, 0);
    ck_assert_msg(strstr(r.message, "Failed to execute '/no/such/binary'") &&
                      strstr(r.message, "No such file or directory"),
                  "message: %s", r.message);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&rec.terminated), 0);
    errno = 0;
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1); /* the failed child was reaped */
    ck_assert_int_eq(errno, ECHILD);
    ck_assert_uint_eq(act_counter_value(act_counter_get("containerizer/launch_failures")), 1);
    stop();
}
END_TEST

START_TEST(test_a_second_launch_of_the_same_container_is_refused)
{
    start(false);
    cz_result r = launch(make_launch("c4", "exec sleep 1000"));
    ck_assert_int_gt(r.pid, 0);
    cz_launch *again = make_launch("c4-dir", "true");
    snprintf(again->container_id, sizeof again->container_id, "c4");
    cz_result r2 = launch(again);
    ck_assert_int_eq(r2.pid, 0);
    ck_assert_str_eq(r2.message, "Container 'c4' already exists");
    destroy("c4", 0);
    cz_result t = wait_terminated(1);
    ck_assert(WIFSIGNALED(t.status) && WTERMSIG(t.status) == SIGKILL);
    ck_assert_uint_eq(tu_counter_get(&rec.terminated), 1);
    stop();
}
END_TEST

START_TEST(test_executor_runs_as_the_given_user)
{
    start(false);
    cz_launch *l = make_launch("c5", "id -un; touch mine");
    l->user = act_strdup("nobody");
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_msg(r.pid > 0, "launch failed: %s", r.message);
    cz_result t = wait_terminated(1);
    ck_assert(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0);
    char *out = slurp(dir, "stdout");
    ck_assert_str_eq(out, "nobody\n");
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_uint_eq(st.st_uid, 65534); /* the sandbox was given to the user */
    free(out), free(dir);

    cz_launch *bad = make_launch("c6", "true");
    bad->user = act_strdup("no-such-user-xyz");
    cz_result rb = launch(bad);
    ck_assert_int_eq(rb.pid, 0);
    ck_assert_msg(strstr(rb.message, "Failed to get user information for 'no-such-user-xyz'"),
                  "message: %s", rb.message);
    stop();
}
END_TEST

/* ---- destroy ----------------------------------------------------------------------------- */

START_TEST(test_destroy_terminates_the_whole_process_group)
{
    start(true);
    cz_launch *l = make_launch("d1", "sleep 1000 & echo started; sleep 1000");
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_int_gt(r.pid, 0);
    ck_assert(wait_file_has(dir, "stdout", "started", 20));
    ck_assert_int_eq(kill(-r.pid, 0), 0);
    destroy("d1", 5);
    cz_result t = wait_terminated(1);
    ck_assert_int_eq(t.pid, r.pid);
    ck_assert(WIFSIGNALED(t.status) && WTERMSIG(t.status) == SIGTERM);
    ck_assert_msg(strstr(t.message, "terminated by signal 15"), "message: %s", t.message);
    ck_assert(tu_wait_group_gone(r.pid, 30));
    free(dir);
    stop();
}
END_TEST

START_TEST(test_destroy_kills_after_the_grace_period_when_term_is_ignored)
{
    start(true);
    cz_launch *l = make_launch("d2", "trap '' TERM; echo ready; sleep 1000; echo survived");
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_int_gt(r.pid, 0);
    ck_assert(wait_file_has(dir, "stdout", "ready", 20));
    destroy("d2", 10);
    ck_assert_int_eq(act_clock_settle(), 0); /* SIGTERM sent and ignored */
    act_clock_advance(9);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_int_eq(kill(r.pid, 0), 0);
    ck_assert_uint_eq(tu_counter_get(&rec.terminated), 0);
    act_clock_advance(1.5);
    cz_result t = wait_terminated(1);
    ck_assert(WIFSIGNALED(t.status) && WTERMSIG(t.status) == SIGKILL);
    ck_assert(tu_wait_group_gone(r.pid, 30));
    char *out = slurp(dir, "stdout");
    ck_assert_str_eq(out, "ready\n");
    free(out), free(dir);
    stop();
}
END_TEST

START_TEST(test_when_the_leader_exits_the_rest_of_its_group_is_killed)
{
    start(false);
    cz_launch *l = make_launch("d3", "sleep 1000 & echo $! > bg.pid; exit 0");
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_int_gt(r.pid, 0);
    cz_result t = wait_terminated(1);
    ck_assert(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0);
    char *bg = slurp(dir, "bg.pid");
    ck_assert_int_gt(atoi(bg), 0);
    ck_assert(tu_wait_group_gone(r.pid, 30)); /* the background sleep went with its leader */
    free(bg), free(dir);
    stop();
}
END_TEST

START_TEST(test_destroying_an_unknown_container_reports_nothing)
{
    start(true);
    destroy("nope", 1);
    ck_assert_int_eq(act_clock_settle(), 0);
    act_clock_advance(2);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&rec.terminated), 0);
    ck_assert_uint_eq(tu_counter_get(&rec.launched), 0);
    stop();
}
END_TEST

/* ---- fetcher ----------------------------------------------------------------------------- */

/* tmp/src: plain.txt, run.sh, rel.txt, arch.tgz (tdir/t.txt), arch.zip (z.txt). */
static char *make_sources(void)
{
    act_buf b = {0};
    act_buf_printf(&b, "%s/src", tmp);
    char *src = act_buf_detach(&b, NULL);
    ck_assert_int_eq(mkdir(src, 0755), 0);
    spit(src, "plain.txt", "plain\n");
    spit(src, "rel.txt", "relative\n");
    spit(src, "run.sh", "#!/bin/sh\necho ran\n");
    chmod(src, 0755);
    sh("cd '%s' && mkdir tdir && echo tarred > tdir/t.txt && tar -czf arch.tgz tdir && "
       "rm -r tdir && echo zipped > z.txt && zip -q arch.zip z.txt && rm z.txt", src);
    return src;
}

START_TEST(test_fetcher_copies_chmods_and_extracts_local_uris)
{
    start(false);
    char *src = make_sources();
    cz_launch *l = make_launch("f1", "./run.sh && cat tdir/t.txt z.txt plain.txt rel.txt");
    l->frameworks_home = act_strdup(src);
    act_buf a = {0}, b = {0}, c = {0}, d = {0};
    act_buf_printf(&a, "%s/plain.txt", src);
    act_buf_printf(&b, "file://%s/run.sh", src);
    act_buf_printf(&c, "%s/arch.tgz", src);
    act_buf_printf(&d, "file://%s/arch.zip", src);
    test_uri uris[] = {{a.data, false}, {b.data, true}, {c.data, false}, {d.data, false},
                       {"rel.txt", false}};
    set_uris(l, uris, 5);
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_msg(r.pid > 0, "launch failed: %s", r.message);
    cz_result t = wait_terminated(1);
    ck_assert(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0);
    char *out = slurp(dir, "stdout");
    ck_assert_str_eq(out, "ran\ntarred\nzipped\nplain\nrelative\n");
    act_buf path = {0};
    act_buf_printf(&path, "%s/run.sh", dir);
    struct stat st;
    ck_assert_int_eq(stat(path.data, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0755);
    char *err = slurp(dir, "stderr");
    ck_assert_msg(strstr(err, "Fetching URI 'rel.txt'") && strstr(err, "Extracted resource"),
                  "stderr: %s", err);
    free(out), free(err), free(dir), free(src);
    act_buf_free(&a), act_buf_free(&b), act_buf_free(&c), act_buf_free(&d);
    act_buf_free(&path);
    stop();
}
END_TEST

START_TEST(test_fetch_failures_fail_the_launch_with_the_reason)
{
    start(false);
    cz_launch *l = make_launch("f2", "true");
    act_buf a = {0};
    act_buf_printf(&a, "%s/missing.txt", tmp);
    test_uri uris[] = {{a.data, false}};
    set_uris(l, uris, 1);
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_int_eq(r.pid, 0);
    ck_assert_msg(strstr(r.message, "Failed to fetch URIs") && strstr(r.message, "missing.txt") &&
                      strstr(r.message, "No such file or directory"),
                  "message: %s", r.message);
    char *err = slurp(dir, "stderr");
    ck_assert_msg(strstr(err, "Failed to fetch"), "stderr: %s", err);
    free(err), free(dir);

    cz_launch *rel = make_launch("f3", "true");
    test_uri relative[] = {{"some/relative.txt", false}};
    set_uris(rel, relative, 1);
    cz_result r2 = launch(rel);
    ck_assert_int_eq(r2.pid, 0);
    ck_assert_msg(strstr(r2.message, "frameworks_home"), "message: %s", r2.message);

    cz_launch *up = make_launch("f4", "true");
    test_uri parent[] = {{"file:///tmp/..", false}};
    set_uris(up, parent, 1);
    cz_result r3 = launch(up);
    ck_assert_int_eq(r3.pid, 0); /* nothing is written outside the sandbox */
    ck_assert_msg(strstr(r3.message, "Cannot tell a file name"), "message: %s", r3.message);
    ck_assert_uint_eq(tu_counter_get(&rec.terminated), 0);
    act_buf_free(&a);
    stop();
}
END_TEST

/* A tiny HTTP server: /web/files/<name> serves tmp/src/<name>. */
static void serve_file(act_actor *self, act_http_req *req)
{
    const char *name = act_http_path(req) + strlen("files/");
    act_buf path = {0};
    act_buf_printf(&path, "%s/src/%s", tmp, name);
    FILE *f = fopen(path.data, "r");
    act_buf_free(&path);
    if (!f) {
        act_http_respond_text(req, 404, "no such file");
        return;
    }
    act_buf body = {0};
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) act_buf_append(&body, buf, n);
    fclose(f);
    act_http_respond(req, 200, "application/octet-stream", body.data, body.len, NULL);
    act_buf_free(&body);
}

START_TEST(test_fetcher_downloads_http_uris_and_extracts_them)
{
    start(false);
    char *src = make_sources();
    act_actor *web = act_new("web", NULL);
    act_route(web, "files", serve_file, "test files");
    ck_assert_int_eq(act_spawn(web, 0), 0);
    cz_launch *l = make_launch("h1", "cat tdir/t.txt plain.txt");
    act_buf a = {0}, b = {0}, c = {0};
    act_buf_printf(&a, "http://127.0.0.1:%u/web/files/arch.tgz", (unsigned)act_port());
    act_buf_printf(&b, "http://127.0.0.1:%u/web/files/plain.txt?x=1", (unsigned)act_port());
    test_uri uris[] = {{a.data, false}, {b.data, false}};
    set_uris(l, uris, 2);
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_msg(r.pid > 0, "launch failed: %s", r.message);
    cz_result t = wait_terminated(1);
    ck_assert(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0);
    char *out = slurp(dir, "stdout");
    ck_assert_str_eq(out, "tarred\nplain\n");

    cz_launch *missing = make_launch("h2", "true");
    act_buf_printf(&c, "http://127.0.0.1:%u/web/files/nothing.tgz", (unsigned)act_port());
    test_uri none[] = {{c.data, false}};
    set_uris(missing, none, 1);
    cz_result r2 = launch(missing);
    ck_assert_int_eq(r2.pid, 0);
    ck_assert_msg(strstr(r2.message, "received HTTP return code 404"), "message: %s",
                  r2.message);
    free(out), free(dir), free(src);
    act_buf_free(&a), act_buf_free(&b), act_buf_free(&c);
    stop();
}
END_TEST

/* A route that holds its request until the test answers it: a fetch in progress. */
static act_http_req *held;
static tu_counter held_count;

static void hold_request(act_actor *self, act_http_req *req)
{
    held = req;
    tu_counter_add(&held_count, 1);
}

START_TEST(test_destroy_while_fetching_fails_the_launch_and_starts_nothing)
{
    start(true);
    tu_counter_init(&held_count);
    act_actor *web = act_new("web", NULL);
    act_route(web, "hold", hold_request, "held");
    ck_assert_int_eq(act_spawn(web, 0), 0);
    cz_launch *l = make_launch("h3", "echo started");
    act_buf a = {0};
    act_buf_printf(&a, "http://127.0.0.1:%u/web/hold/x.txt", (unsigned)act_port());
    test_uri uris[] = {{a.data, false}};
    set_uris(l, uris, 1);
    char *dir = act_strdup(l->directory);
    post(CZ_MSG_LAUNCH, l, cz_launch_free);
    ck_assert(tu_counter_wait(&held_count, 1, 30));
    destroy("h3", 5);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&rec.launched), 0);
    act_http_respond(held, 200, "text/plain", "x\n", 2, NULL);
    ck_assert(tu_counter_wait(&rec.launched, 1, 30));
    ck_assert_int_eq(rec.l[0].pid, 0);
    ck_assert_str_eq(rec.l[0].message, "Container destroyed while launching");
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&rec.terminated), 0);
    char *out = slurp(dir, "stdout");
    ck_assert_str_eq(out, "");
    errno = 0;
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
    free(out), free(dir);
    act_buf_free(&a);
    stop();
}
END_TEST

/* ---- recover ----------------------------------------------------------------------------- */

static void recover_as(const proc_identity *id, const char *cid)
{
    cz_recover *r = act_calloc(1, sizeof *r);
    r->v = act_calloc(1, sizeof *r->v);
    r->n = 1;
    snprintf(r->v[0].container_id, sizeof r->v[0].container_id, "%s", cid);
    snprintf(r->v[0].framework_id, sizeof r->v[0].framework_id, "fw-1");
    snprintf(r->v[0].executor_id, sizeof r->v[0].executor_id, "ex-%s", cid);
    r->v[0].identity = *id;
    r->v[0].directory = act_strdup(tmp);
    post(CZ_MSG_RECOVER, r, cz_recover_free);
}

/* Recovers pid with its identity as it is now (the checkpoint of a run that is still ours). */
static void recover(pid_t pid, const char *cid)
{
    proc_identity id;
    ck_assert_int_eq(proc_identity_read(pid, &id), 0);
    recover_as(&id, cid);
}

static pid_t fork_sleeper(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setsid();
        execl("/bin/sleep", "sleep", "1000", (char *)NULL);
        _exit(127);
    }
    return pid;
}

START_TEST(test_a_recovered_executor_is_watched_until_it_dies)
{
    start(true);
    pid_t pid = fork_sleeper();
    recover(pid, "r1");
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&rec.terminated), 0);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    cz_result t = wait_terminated(1);
    ck_assert_str_eq(t.container_id, "r1");
    ck_assert_int_eq(t.pid, pid);
    ck_assert_int_eq(t.status, -1); /* not the containerizer's child */
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    stop();
}
END_TEST

START_TEST(test_a_recovered_dead_executor_is_reported_at_once)
{
    start(true);
    pid_t pid = fork_sleeper();
    proc_identity id;
    ck_assert_int_eq(proc_identity_read(pid, &id), 0);
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    recover_as(&id, "r2");
    cz_result t = wait_terminated(1);
    ck_assert_str_eq(t.container_id, "r2");
    ck_assert_int_eq(t.status, -1);
    ck_assert_msg(strstr(t.message, "not running"), "message: %s", t.message);
    stop();
}
END_TEST

START_TEST(test_a_recovered_pid_that_names_another_process_is_never_signalled)
{
    start(true);
    pid_t decoy = fork_sleeper();
    proc_identity id;
    ck_assert_int_eq(proc_identity_read(decoy, &id), 0);
    id.start_time -= 1; /* the executor that had this pid started earlier */
    recover_as(&id, "r3");
    cz_result t = wait_terminated(1);
    ck_assert_str_eq(t.container_id, "r3");
    ck_assert_msg(strstr(t.message, "another process"), "message: %s", t.message);
    destroy("r3", 0); /* nothing known by that name any more */
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_msg(tu_never_signalled(decoy), "the decoy was signalled");
    kill(decoy, SIGKILL);
    waitpid(decoy, NULL, 0);
    stop();
}
END_TEST

/* ---- monitor ----------------------------------------------------------------------------- */

START_TEST(test_statistics_json_lists_a_running_executor_with_its_usage_and_limits)
{
    start(false);
    cz_launch *l = make_launch("m1", "exec sleep 1000");
    char err[256];
    ck_assert_int_eq(res_parse_text("cpus:0.5;mem:64", NULL, &l->resources, err, sizeof err), 0);
    cz_result r = launch(l);
    ck_assert_int_gt(r.pid, 0);
    act_buf body = {0};
    json_t *doc = NULL;
    for (int i = 0; i < 500; i++) { /* right after its exec the executor may have no page yet */
        act_buf_reset(&body);
        ck_assert_int_eq(tu_http_get(act_port(), "/monitor/statistics.json", &body), 200);
        json_decref(doc);
        doc = json_loads(body.data, 0, NULL);
        json_t *rss = json_object_get(json_object_get(json_array_get(doc, 0), "statistics"),
                                      "mem_rss_bytes");
        if (json_integer_value(rss) > 0) break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(doc && json_is_array(doc), "body: %s", body.data);
    ck_assert_uint_eq(json_array_size(doc), 1);
    json_t *e = json_array_get(doc, 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "executor_id")), "ex-m1");
    ck_assert_str_eq(json_string_value(json_object_get(e, "executor_name")), "test executor");
    ck_assert_str_eq(json_string_value(json_object_get(e, "framework_id")), "fw-1");
    ck_assert_str_eq(json_string_value(json_object_get(e, "source")), "tests");
    json_t *st = json_object_get(e, "statistics");
    ck_assert_double_eq(json_number_value(json_object_get(st, "cpus_limit")), 0.5);
    ck_assert_int_eq(json_integer_value(json_object_get(st, "mem_limit_bytes")), 64 << 20);
    ck_assert_int_gt(json_integer_value(json_object_get(st, "mem_rss_bytes")), 0);
    ck_assert(json_object_get(st, "cpus_user_time_secs"));
    ck_assert(json_object_get(st, "cpus_system_time_secs"));
    ck_assert(json_number_value(json_object_get(st, "timestamp")) > 0);
    json_decref(doc);
    act_buf_free(&body);
    destroy("m1", 0);
    wait_terminated(1);
    ck_assert_int_eq(tu_http_get(act_port(), "/monitor/statistics.json", &body), 200);
    ck_assert_str_eq(body.data, "[]");
    act_buf_free(&body);
    stop();
}
END_TEST

/* --resource_monitoring_interval=1mins: within a minute of a measurement statistics.json
 * answers it again; after that it measures anew. */
START_TEST(test_statistics_are_measured_at_most_once_per_monitoring_interval)
{
    cz_config cfg;
    cz_config_default(&cfg);
    cfg.resource_monitoring_interval = 60;
    start_with(&cfg, true);
    cz_launch *l = make_launch("m2", "exec sleep 1000");
    cz_result r = launch(l);
    ck_assert_int_gt(r.pid, 0);
    act_buf first = {0}, body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/monitor/statistics.json", &first), 200);
    ck_assert(strstr(first.data, "\"executor_id\":\"ex-m2\""));
    destroy("m2", 0);
    wait_terminated(1);
    act_clock_advance(59);
    ck_assert_int_eq(tu_http_get(act_port(), "/monitor/statistics.json", &body), 200);
    ck_assert_str_eq(body.data, first.data); /* the same measurement */
    act_buf_reset(&body);
    act_clock_advance(1);
    ck_assert_int_eq(tu_http_get(act_port(), "/monitor/statistics.json", &body), 200);
    ck_assert_str_eq(body.data, "[]");
    act_buf_free(&first);
    act_buf_free(&body);
    stop();
    act_clock_resume();
}
END_TEST

/* ---- isolators -------------------------------------------------------------------------- */

static void set_resources(cz_launch *l, const char *text)
{
    char err[256];
    res_free(&l->resources);
    ck_assert_int_eq(res_parse_text(text, NULL, &l->resources, err, sizeof err), 0);
}

static void update(const char *cid, const char *resources)
{
    cz_update *u = act_calloc(1, sizeof *u);
    snprintf(u->container_id, sizeof u->container_id, "%s", cid);
    char err[256];
    ck_assert_int_eq(res_parse_text(resources, NULL, &u->resources, err, sizeof err), 0);
    post(CZ_MSG_UPDATE, u, cz_update_free);
}

/* Waits (bounded) until the control file `file` of dir reads `value`. */
static bool wait_control(const char *dir, const char *file, uint64_t value)
{
    uint64_t v = 0;
    for (int i = 0; i < 1000; i++, pause_ms(10))
        if (cg_read_u64(dir, file, &v) == 0 && v == value) return true;
    return false;
}

/* Mesos' update: shares follow the cpus both ways; the hard memory limit only rises (lowering
 * it under use would provoke an OOM), the soft limit follows both ways. */
START_TEST(test_cgroup_limits_follow_the_resources_as_tasks_join_and_leave)
{
    cg_layout lay;
    const char *h;
    if (!tcg_layout_with(CG_V1, CG_BIT(CG_CPU) | CG_BIT(CG_MEMORY) | CG_BIT(CG_FREEZER),
                         "limits that follow updates", &lay, &h))
        return;
    char root[256], cg[512], cpu[PATH_MAX], mem[PATH_MAX];
    snprintf(root, sizeof root, "%s/updates", tcg_root());
    cz_config cfg;
    cz_config_default(&cfg);
    cfg.isolation = "cgroups/cpu,cgroups/mem";
    cfg.cgroups_hierarchy = h;
    cfg.cgroups_root = root;
    start_with(&cfg, false);
    cz_launch *l = make_launch("u1", "exec sleep 1000");
    set_resources(l, "cpus:0.5;mem:64");
    cz_result r = launch(l);
    ck_assert_msg(r.pid > 0, "launch failed: %s", r.message);
    snprintf(cg, sizeof cg, "%s/u1", root);
    cg_dir(&lay, CG_CPU, cg, cpu, sizeof cpu);
    cg_dir(&lay, CG_MEMORY, cg, mem, sizeof mem);
    ck_assert(wait_control(cpu, "cpu.shares", 512));
    ck_assert(wait_control(mem, "memory.limit_in_bytes", 64ULL << 20));
    ck_assert(wait_control(mem, "memory.soft_limit_in_bytes", 64ULL << 20));
    ck_assert_int_eq(cg_count(mem), 1);
    update("u1", "cpus:1.5;mem:128");
    ck_assert(wait_control(cpu, "cpu.shares", 1536));
    ck_assert(wait_control(mem, "memory.limit_in_bytes", 128ULL << 20));
    ck_assert(wait_control(mem, "memory.soft_limit_in_bytes", 128ULL << 20));
    update("u1", "cpus:0.25;mem:40");
    ck_assert(wait_control(cpu, "cpu.shares", 256));
    ck_assert(wait_control(mem, "memory.soft_limit_in_bytes", 40ULL << 20));
    ck_assert(wait_control(mem, "memory.limit_in_bytes", 128ULL << 20));
    destroy("u1", 0);
    cz_result t = wait_terminated(1);
    ck_assert(!t.limited);
    ck_assert(!cg_exists(&lay, CG_CPU, cg) && !cg_exists(&lay, CG_MEMORY, cg) &&
              !cg_exists(&lay, CG_FREEZER, cg));
    stop();
}
END_TEST

START_TEST(test_a_volume_over_the_sandbox_fails_the_launch_before_anything_runs)
{
    cg_layout lay;
    const char *h;
    if (!tcg_layout_with(CG_V1, CG_BIT(CG_FREEZER), "volumes that would hide the sandbox", &lay,
                         &h))
        return;
    char root[256];
    snprintf(root, sizeof root, "%s/volumes", tcg_root());
    cz_config cfg;
    cz_config_default(&cfg);
    cfg.isolation = "filesystem/shared";
    cfg.cgroups_hierarchy = h;
    cfg.cgroups_root = root;
    start_with(&cfg, false);
    const char *bad[][2] = {{"scratch", NULL}, {"../escape", "/var"}};
    for (int i = 0; i < 2; i++) {
        char cid[16];
        snprintf(cid, sizeof cid, "v%d", i);
        cz_launch *l = make_launch(cid, "touch ran");
        char *dir = act_strdup(l->directory);
        wire_executor_info *ei = l->executor->root;
        ei->container = wire_alloc(l->executor, sizeof *ei->container);
        ei->container->type = WIRE_CONTAINER_MESOS;
        ei->container->volumes = wire_alloc_array(l->executor, WIRE_DESC(volume), 1);
        ei->container->volumes_count = 1;
        wire_volume *v = &ei->container->volumes[0];
        v->host_path = wire_strdup(l->executor, bad[i][0]);
        v->container_path = wire_strdup(l->executor, bad[i][1] ? bad[i][1] : tmp);
        v->mode = WIRE_VOLUME_RW;
        cz_result r = launch(l);
        ck_assert_int_eq(r.pid, 0);
        ck_assert_msg(strstr(r.message, i == 0 ? "because it is under volume"
                                               : "cannot contain relative components"),
                      "message: %s", r.message);
        char path[4200];
        snprintf(path, sizeof path, "%s/ran", dir);
        ck_assert(access(path, F_OK) != 0);
        free(dir);
    }
    char cg[512];
    snprintf(cg, sizeof cg, "%s/v0", root);
    ck_assert(!cg_exists(&lay, CG_FREEZER, cg)); /* what prepare made is cleaned up */
    stop();
}
END_TEST

/* posix/disk on the paused clock: nothing is measured until the interval passes; then the
 * sandbox over its disk is destroyed and reported limited. */
START_TEST(test_a_sandbox_over_its_disk_is_destroyed_when_the_interval_passes)
{
    cz_config cfg;
    cz_config_default(&cfg);
    cfg.isolation = "posix/cpu,posix/mem,posix/disk";
    cfg.enforce_container_disk_quota = true;
    cfg.container_disk_watch_interval = 30;
    start_with(&cfg, true);
    cz_launch *l = make_launch("d1", "head -c 3000000 /dev/zero > big; echo written; "
                                     "exec sleep 1000");
    set_resources(l, "cpus:0.1;mem:32;disk:1");
    char *dir = act_strdup(l->directory);
    cz_result r = launch(l);
    ck_assert_msg(r.pid > 0, "launch failed: %s", r.message);
    ck_assert(wait_file_has(dir, "stdout", "written", 30));
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&rec.terminated), 0);
    act_clock_advance(30);
    ck_assert_int_eq(act_clock_settle(), 0);
    cz_result t = wait_terminated(1); /* the measurement runs on a thread: waited for */
    ck_assert(t.limited);
    ck_assert_msg(strncmp(t.message, "Disk usage exceeded: ", 21) == 0 &&
                  strstr(t.message, "quota 1MB"), "message: %s", t.message);
    free(dir);
    stop();
}
END_TEST

START_TEST(test_isolation_names_are_checked_and_every_unknown_one_is_named)
{
    cz_config c;
    cz_config_default(&c);
    char err[512];
    ck_assert_int_eq(cz_config_check(&c, err, sizeof err), 0);
    c.isolation = "cgroups"; /* Mesos' deprecated spellings */
    ck_assert_int_eq(cz_config_check(&c, err, sizeof err), 0);
    c.isolation = "process";
    ck_assert_int_eq(cz_config_check(&c, err, sizeof err), 0);
    c.isolation = "posix/cpu,foo/bar,network/port_mapping";
    ck_assert_int_eq(cz_config_check(&c, err, sizeof err), -EINVAL);
    ck_assert_msg(strstr(err, "isolators 'foo/bar', 'network/port_mapping'") &&
                  strstr(err, "namespaces/pid"), "%s", err);
    c.isolation = "cgroups/mem,cgroups/mem";
    ck_assert_int_eq(cz_config_check(&c, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "twice"));
    c.isolation = "";
    ck_assert_int_eq(cz_config_check(&c, err, sizeof err), -EINVAL);
    c.isolation = "posix/cpu";
    const char *roots[] = {"/mesos", "../mesos", "a//b", "a/./b", "mesos/", ""};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        c.cgroups_root = roots[i];
        ck_assert_msg(cz_config_check(&c, err, sizeof err) == -EINVAL, "%s", roots[i]);
    }
    c.cgroups_root = "mesos/slave-1";
    ck_assert_int_eq(cz_config_check(&c, err, sizeof err), 0);
}
END_TEST

Suite *containerizer_suite(void)
{
    Suite *s = suite_create("containerizer");
    TCase *tc = tcase_create("launch");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_command_runs_in_its_sandbox_and_its_exit_status_is_reported);
    tcase_add_test(tc, test_shell_false_execs_the_arguments_as_argv);
    tcase_add_test(tc, test_the_executor_inherits_no_descriptor_of_the_slave);
    tcase_add_test(tc, test_a_missing_binary_fails_the_launch_and_leaves_no_zombie);
    tcase_add_test(tc, test_a_second_launch_of_the_same_container_is_refused);
    tcase_add_test(tc, test_executor_runs_as_the_given_user);
    suite_add_tcase(s, tc);
    tc = tcase_create("destroy");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_destroy_terminates_the_whole_process_group);
    tcase_add_test(tc, test_destroy_kills_after_the_grace_period_when_term_is_ignored);
    tcase_add_test(tc, test_when_the_leader_exits_the_rest_of_its_group_is_killed);
    tcase_add_test(tc, test_destroying_an_unknown_container_reports_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("fetcher");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_fetcher_copies_chmods_and_extracts_local_uris);
    tcase_add_test(tc, test_fetch_failures_fail_the_launch_with_the_reason);
    tcase_add_test(tc, test_fetcher_downloads_http_uris_and_extracts_them);
    tcase_add_test(tc, test_destroy_while_fetching_fails_the_launch_and_starts_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("recover");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_a_recovered_executor_is_watched_until_it_dies);
    tcase_add_test(tc, test_a_recovered_dead_executor_is_reported_at_once);
    tcase_add_test(tc, test_a_recovered_pid_that_names_another_process_is_never_signalled);
    suite_add_tcase(s, tc);
    tc = tcase_create("monitor");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_statistics_json_lists_a_running_executor_with_its_usage_and_limits);
    tcase_add_test(tc, test_statistics_are_measured_at_most_once_per_monitoring_interval);
    suite_add_tcase(s, tc);
    tc = tcase_create("isolators");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_cgroup_limits_follow_the_resources_as_tasks_join_and_leave);
    tcase_add_test(tc, test_a_volume_over_the_sandbox_fails_the_launch_before_anything_runs);
    tcase_add_test(tc, test_a_sandbox_over_its_disk_is_destroyed_when_the_interval_passes);
    tcase_add_test(tc, test_isolation_names_are_checked_and_every_unknown_one_is_named);
    suite_add_tcase(s, tc);
    return s;
}
