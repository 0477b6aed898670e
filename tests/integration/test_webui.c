/*
 * test_webui.c - the web UI in a real browser: Debian's headless chromium, driven by
 * tests/browser/webui.js (playwright-core from npm, installed under build/browser/ from the
 * lockfile when missing), against real binaries on loopback. Every page loads with no console
 * error and no request leaving loopback and shows the running task; the task's page lists
 * its messages (RunTaskMessage, StatusUpdateMessage) from the master's and the slave's flight
 * recorders, reading them again while open, and says when the master's recorder no longer
 * holds the task's launch; the sandbox viewer shows the task's stdout growing; the slave's and the master's LOG links show their logs (the
 * master's is /master/log, its --external_log_file); a standby master sends the
 * browser to the leader. Screenshots of
 * each page are kept in build/webui-screenshots/. Also, without a browser: the master serves
 * the UI's files with their content types and refuses paths that leave --webui_dir.
 */
#include "tests/support/cluster.h"
#include "tests/support/zk.h"

#include <check.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TEST_SRC_DIR
#define TEST_SRC_DIR "."
#endif
#ifndef TEST_BUILD_DIR
#define TEST_BUILD_DIR "build"
#endif

#define BROWSER_DIR TEST_BUILD_DIR "/browser"
#define SHOTS TEST_BUILD_DIR "/webui-screenshots"

/* playwright-core from the lockfile, once per build tree. */
static void browser_setup(void)
{
    int rc = tu_sh(NULL, "set -e; [ -f " BROWSER_DIR "/node_modules/playwright-core/package.json ] "
                   "&& cmp -s " TEST_SRC_DIR "/tests/browser/package-lock.json " BROWSER_DIR
                   "/package-lock.json && exit 0; rm -rf " BROWSER_DIR "; mkdir -p " BROWSER_DIR
                   "; cp " TEST_SRC_DIR "/tests/browser/package.json " TEST_SRC_DIR
                   "/tests/browser/package-lock.json " BROWSER_DIR "/; cd " BROWSER_DIR
                   "; npm ci --no-audit --no-fund --loglevel=error >/dev/null");
    ck_assert_msg(rc == 0, "npm ci of tests/browser/ into " BROWSER_DIR " failed");
}

/* Runs webui.js with args; its report goes to log. Returns its exit code. */
static int run_browser(const char *log, const char *args)
{
    return tu_sh(log, "cd " BROWSER_DIR " && NODE_PATH=$PWD/node_modules timeout 150 node "
                 TEST_SRC_DIR "/tests/browser/webui.js --out=" SHOTS " %s", args);
}

START_TEST(test_every_page_shows_the_running_task_and_the_viewer_follows_stdout)
{
    tc_cluster c;
    char *logs = tu_tmpdir(), log_dir[4300];
    snprintf(log_dir, sizeof log_dir, "--log_dir=%s", logs);
    const char *slave_flags[] = {log_dir, NULL};
    tc_start(&c, slave_flags);
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t = {.id = "webui-task", .cpus = 0.1, .mem = 16,
                 .command = "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "webui-task", WIRE_TASK_RUNNING, 60));
    char log[4300], args[256];
    snprintf(log, sizeof log, "%s/browser.log", c.dir);
    snprintf(args, sizeof args, "--master=%s --task=webui-task", c.master_addr);
    int rc = run_browser(log, args);
    char *report = tu_read_file(log);
    tc_sched_stop(s);
    tc_stop(&c);
    tu_rmrf(logs);
    free(logs);
    ck_assert_msg(rc == 0, "the browser run failed (exit %d):\n%s", rc, report);
    ck_assert_msg(strstr(report, "the task's page lists") &&
                  strstr(report, "viewer follows the file as it grows") &&
                  strstr(report, "LOG link shows the slave's log") &&
                  strstr(report, "LOG link shows the master's log"), "%s", report);
    free(report);
}
END_TEST

/* True once the master's flight recorder has overwritten events and no longer holds a
 * RunTaskMessage. */
static bool master_lost_launch(tc_cluster *c)
{
    act_buf out = {0};
    bool lost = false;
    if (tu_http_get(c->master_port, "/__recorder__", &out) == 200 && out.data) {
        json_t *r = json_loadb(out.data, out.len, 0, NULL), *e;
        size_t i;
        lost = r && json_integer_value(json_object_get(r, "overwritten")) > 0;
        json_array_foreach(json_object_get(r, "events"), i, e)
            if (strstr(json_string_value(json_object_get(e, "name")) ?: "", "RunTaskMessage"))
                lost = false;
        json_decref(r);
    }
    act_buf_free(&out);
    return lost;
}

START_TEST(test_the_task_page_says_when_the_master_recorder_lost_its_launch)
{
    tc_cluster c;
    tc_options o = {.no_slave = true};
    /* the master alone keeps 16 events a loop; the offers (every 100 ms) soon overwrite the
     * launch, which the slave (with the default recorder) still holds */
    setenv("LIBPROCESS_RECORDER_EVENTS", "16", 1);
    tc_start_with(&c, &o);
    unsetenv("LIBPROCESS_RECORDER_EVENTS");
    tc_start_slave(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t = {.id = "wrapped-task", .cpus = 0.1, .mem = 16, .command = "sleep 300"};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "wrapped-task", WIRE_TASK_RUNNING, 60));
    bool lost = false;
    for (int i = 0; i < 3000 && !(lost = master_lost_launch(&c)); i++) usleep(10000);
    char log[4300], args[256];
    snprintf(log, sizeof log, "%s/browser.log", c.dir);
    snprintf(args, sizeof args, "--master=%s --wrapped=wrapped-task", c.master_addr);
    int rc = lost ? run_browser(log, args) : -1;
    char *report = lost ? tu_read_file(log) : NULL;
    tc_sched_stop(s);
    tc_stop(&c);
    ck_assert_msg(lost, "the master's recorder still holds the RunTaskMessage after 30 s");
    ck_assert_msg(rc == 0, "the browser run failed (exit %d):\n%s", rc, report);
    free(report);
}
END_TEST

static int start_zk_master(const char *zk, uint16_t port, const char *log)
{
    char p[32], z[600];
    snprintf(p, sizeof p, "--port=%u", port);
    snprintf(z, sizeof z, "--zk=%s", zk);
    /* --hostname: the redirect names the leader as the browser was told to expect it */
    char *argv[] = {(char *)tu_bin("mesos-master"), "--ip=127.0.0.1", "--hostname=127.0.0.1",
                    p, z, "--registry=in_memory", "--zk_session_timeout=3secs", NULL};
    return tu_spawn(argv, log);
}

/* True when the master on port says it leads (its state.json names itself). */
static bool leads(uint16_t port)
{
    act_buf out = {0};
    bool yes = tu_http_get(port, "/master/state.json", &out) == 200 && out.data &&
               strstr(out.data, "\"elected_time\"") != NULL;
    act_buf_free(&out);
    return yes;
}

START_TEST(test_a_standby_sends_the_browser_to_the_leader)
{
    tz_ensemble *zk = tz_start(1);
    char *dir = tu_tmpdir(), url[600], path[64], mlog[2][4300], log[4300], args[128];
    tz_url(zk, NULL, tz_unique_path(path, sizeof path), url, sizeof url);
    uint16_t port[2] = {tu_free_port(), 0};
    snprintf(mlog[0], sizeof mlog[0], "%s/master-a.log", dir);
    snprintf(mlog[1], sizeof mlog[1], "%s/master-b.log", dir);
    snprintf(log, sizeof log, "%s/browser.log", dir);
    int a = start_zk_master(url, port[0], mlog[0]);
    ck_assert(tu_wait_http(port[0], "/master/health", 30));
    for (int i = 0; i < 3000 && !leads(port[0]); i++) usleep(10000);
    ck_assert_msg(leads(port[0]), "the first master did not lead; see %s", mlog[0]);
    port[1] = tu_free_port();
    int b = start_zk_master(url, port[1], mlog[1]);
    ck_assert(tu_wait_http(port[1], "/master/health", 30));
    /* the standby learns the leader from ZooKeeper: wait until its redirect names it */
    for (int i = 0; i < 3000 && tu_http_get(port[1], "/master/redirect", NULL) != 307; i++)
        usleep(10000);
    snprintf(args, sizeof args, "--standby=127.0.0.1:%u --leader=127.0.0.1:%u", port[1],
             port[0]);
    int rc = run_browser(log, args);
    char *report = tu_read_file(log);
    tu_stop(b, SIGTERM, 30);
    tu_stop(a, SIGTERM, 30);
    tz_stop(zk);
    tu_rmrf(dir);
    free(dir);
    ck_assert_msg(rc == 0, "the browser run failed (exit %d):\n%s", rc, report);
    free(report);
}
END_TEST

START_TEST(test_the_master_serves_the_ui_files_and_nothing_outside_them)
{
    tc_cluster c;
    tc_start(&c, NULL);
    act_buf head = {0}, body = {0};
    ck_assert_int_eq(tu_http_get_head(c.master_port, "/", &head, &body), 200);
    ck_assert_msg(strstr(head.data, "Content-Type: text/html") && strstr(body.data, "app.js"),
                  "%s", head.data);
    act_buf_reset(&head);
    ck_assert_int_eq(tu_http_get_head(c.master_port, "/static/js/app.js", &head, NULL), 200);
    ck_assert_msg(strstr(head.data, "Content-Type: text/javascript"), "%s", head.data);
    ck_assert_int_eq(tu_http_get(c.master_port, "/static/vendor/bootstrap.min.css", NULL), 200);
    ck_assert_int_eq(tu_http_get(c.master_port, "/static/vendor/chart.min.js", NULL), 200);
    /* the ETag makes a second fetch a 304 */
    char *etag = strstr(head.data, "ETag: "), req[512];
    ck_assert_ptr_nonnull(etag);
    etag += 6;
    snprintf(req, sizeof req, "GET /static/js/app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: "
             "%.*s\r\nConnection: close\r\n\r\n", (int)strcspn(etag, "\r"), etag);
    ck_assert_int_eq(tu_http_raw(c.master_port, req, strlen(req), NULL), 304);
    const char *outside[] = {"/static/../../../../etc/passwd", "/static/%2e%2e/index.html",
                             "/static/js/../../index.html", "/static//etc/passwd",
                             "/static/", "/static/js", "/static/no-such-file.js"};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
        ck_assert_msg(tu_http_get(c.master_port, outside[i], NULL) == 404, "%s", outside[i]);
    act_buf_free(&head);
    act_buf_free(&body);
    tc_stop(&c);
}
END_TEST

Suite *webui_suite(void)
{
    Suite *s = suite_create("webui");
    TCase *tc = tcase_create("browser");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, browser_setup, NULL);
    tcase_add_test(tc, test_every_page_shows_the_running_task_and_the_viewer_follows_stdout);
    tcase_add_test(tc, test_the_task_page_says_when_the_master_recorder_lost_its_launch);
    tcase_add_test(tc, test_a_standby_sends_the_browser_to_the_leader);
    suite_add_tcase(s, tc);
    TCase *files = tcase_create("files");
    tcase_set_timeout(files, 60);
    tcase_add_test(files, test_the_master_serves_the_ui_files_and_nothing_outside_them);
    suite_add_tcase(s, files);
    return s;
}
