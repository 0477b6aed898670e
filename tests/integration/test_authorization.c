/*
 * test_authorization.c - what the master lets whom do, with the real binaries: --acls decide
 * the roles frameworks register with and the users their tasks run as; /master/shutdown,
 * /logging/toggle and the slave's /files endpoints need HTTP Basic credentials with
 * --authenticate_http, and shutdown_frameworks decides who may shut a framework down; a
 * --whitelist offers only the slaves it lists and is re-read when it changes.
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

static char *write_file(const char *dir, const char *name, const char *text)
{
    char *path = act_malloc(4300);
    snprintf(path, 4300, "%s/%s", dir, name);
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(rename(tmp, path), 0); /* a watcher never sees half a file */
    return path;
}

static tc_sched *framework(tc_cluster *c, const char *name, const char *principal,
                           const char *role)
{
    tc_sched_options o = {.name = name, .principal = principal, .role = role};
    return tc_sched_start_with(c->master_addr, &o);
}

START_TEST(test_acls_decide_roles_and_users)
{
    char *dir = tu_tmpdir();
    char *acls = write_file(dir, "acls.json",
        "{\"register_frameworks\": ["
        "  {\"principals\": {\"values\": [\"foo\"]}, \"roles\": {\"values\": [\"analytics\"]}},"
        "  {\"principals\": {\"type\": \"NONE\"}, \"roles\": {\"values\": [\"analytics\"]}}],"
        " \"run_tasks\": ["
        "  {\"principals\": {\"type\": \"NONE\"}, \"users\": {\"values\": [\"nobody\"]}}]}\n");
    char flag[4400];
    snprintf(flag, sizeof flag, "--acls=file://%s", acls);
    const char *master_flags[] = {flag, NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags};
    tc_start_with(&c, &o);

    tc_sched *foo = framework(&c, "foo", "foo", "analytics");
    ck_assert(tc_wait_registrations(foo, 1, 30));
    tc_task tasks[] = {{.id = "as-me", .command = "true", .cpus = 0.1, .mem = 16},
                       {.id = "as-nobody", .command = "true", .cpus = 0.1, .mem = 16,
                        .user = "nobody"}};
    tc_sched_launch(foo, tasks, 2);
    ck_assert(tc_wait_state(foo, "as-me", WIRE_TASK_FINISHED, 60));
    ck_assert(tc_wait_state(foo, "as-nobody", WIRE_TASK_ERROR, 60));
    char msg[256], error[256];
    ck_assert_str_eq(tc_last_message(foo, "as-nobody", msg, sizeof msg),
                     "Not authorized to launch as user 'nobody'");

    tc_sched *bar = framework(&c, "bar", "bar", "analytics");
    ck_assert(tc_wait_error(bar, error, sizeof error, 30));
    ck_assert_str_eq(error, "Not authorized to use role 'analytics'");
    tc_sched_stop(bar);
    tc_sched_stop(foo);
    tc_stop(&c);
    free(acls);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- HTTP Basic and /master/shutdown ----------------------------------------------------- */

/* Sends a request with optional Basic credentials ("user:password") to ip:port; returns the
 * status and the response head in head (may be NULL). A stream's response is read only up to
 * the end of its head. */
static int request(const char *ip, uint16_t port, const char *method, const char *path,
                   const char *userpass, const char *body, act_buf *head)
{
    char auth[256] = "";
    if (userpass) {
        unsigned char b64[200];
        EVP_EncodeBlock(b64, (const unsigned char *)userpass, (int)strlen(userpass));
        snprintf(auth, sizeof auth, "Authorization: Basic %s\r\n", b64);
    }
    act_buf req = {0};
    act_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: "
                   "application/x-www-form-urlencoded\r\nContent-Length: %zu\r\nConnection: "
                   "close\r\n\r\n%s", method, path, auth, body ? strlen(body) : 0,
                   body ? body : "");
    int fd = tu_connect_addr(NULL, ip, port);
    ck_assert_int_ge(fd, 0);
    ck_assert(tu_write_all(fd, req.data, req.len));
    act_buf out = {0};
    char chunk[4096];
    ssize_t r;
    while ((!out.data || !strstr(out.data, "\r\n\r\n")) &&
           (r = read(fd, chunk, sizeof chunk)) > 0)
        act_buf_append(&out, chunk, (size_t)r);
    close(fd);
    int status = -1;
    if (out.data) sscanf(out.data, "HTTP/1.1 %d", &status);
    if (head && out.data) act_buf_puts(head, out.data);
    act_buf_free(&out);
    act_buf_free(&req);
    return status;
}

static bool framework_listed(tc_cluster *c, const char *id)
{
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get_at(c->master_ip, c->master_port, "/master/state.json", &out),
                     200);
    json_t *st = json_loadb(out.data, out.len, 0, NULL), *f;
    size_t i;
    bool found = false;
    json_array_foreach(json_object_get(st, "frameworks"), i, f)
        found |= strcmp(json_string_value(json_object_get(f, "id")), id) == 0;
    json_decref(st);
    act_buf_free(&out);
    return found;
}

START_TEST(test_endpoints_need_credentials_and_shutdown_needs_the_acl)
{
    char *dir = tu_tmpdir();
    char *creds = write_file(dir, "credentials", "ops opspass\nsherman kitesurf\n");
    char creds_flag[4400], http_flag[4400];
    snprintf(creds_flag, sizeof creds_flag, "--credentials=%s", creds);
    snprintf(http_flag, sizeof http_flag, "--http_credentials=%s", creds);
    const char *master_flags[] = {
        creds_flag, "--authenticate_http",
        "--acls={\"permissive\": false, \"shutdown_frameworks\": [{\"principals\": {\"values\": "
        "[\"ops\"]}, \"framework_principals\": {\"type\": \"ANY\"}}], \"register_frameworks\": "
        "[{\"principals\": {\"type\": \"ANY\"}, \"roles\": {\"type\": \"ANY\"}}]}", NULL};
    const char *slave_flags[] = {"--authenticate_http", http_flag, NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags, .slave_flags = slave_flags};
    tc_start_with(&c, &o);
    tc_sched *s = framework(&c, "victim", "sherman", NULL);
    ck_assert(tc_wait_registrations(s, 1, 30));
    char body[128];
    snprintf(body, sizeof body, "frameworkId=%s", tc_framework_id(s));
    const char *ip = c.master_ip;
    uint16_t port = c.master_port;

    act_buf head = {0};
    ck_assert_int_eq(request(ip, port, "POST", "/master/shutdown", NULL, body, &head), 401);
    ck_assert(strstr(head.data, "WWW-Authenticate: Basic realm=\"Mesos master\""));
    ck_assert_int_eq(request(ip, port, "POST", "/master/shutdown", "ops:wrong", body, NULL),
                     401);
    ck_assert_int_eq(request(ip, port, "POST", "/master/shutdown", "sherman:kitesurf", body,
                             NULL), 401); /* authenticated, but the ACL says no */
    ck_assert(framework_listed(&c, tc_framework_id(s)));
    ck_assert_int_eq(request(ip, port, "POST", "/master/shutdown", "ops:opspass", body, NULL),
                     200);
    ck_assert(!framework_listed(&c, tc_framework_id(s)));

    const char *toggle = "/logging/toggle?level=1&duration=1secs";
    ck_assert_int_eq(request(ip, port, "GET", toggle, NULL, NULL, NULL), 401);
    ck_assert_int_eq(request(ip, port, "GET", toggle, "sherman:kitesurf", NULL, NULL), 200);
    ck_assert_int_eq(request(ip, port, "GET", "/master/state.json", NULL, NULL, NULL), 200);
    /* The message stream is open to all; its bodies are not. */
    ck_assert_int_eq(request(ip, port, "GET", "/__trace__", NULL, NULL, NULL), 200);
    ck_assert_int_eq(request(ip, port, "GET", "/__trace__?bodies=1", NULL, NULL, NULL), 401);
    ck_assert_int_eq(request(ip, port, "GET", "/__trace__?bodies=1", "ops:opspass", NULL,
                             NULL), 200);
    ck_assert_int_eq(request(c.slave_ip, c.slave_port, "GET", "/files/debug.json", NULL, NULL,
                             NULL), 401);
    ck_assert_int_eq(request(c.slave_ip, c.slave_port, "GET", "/files/debug.json",
                             "ops:opspass", NULL, NULL), 200);
    act_buf_free(&head);
    tc_sched_stop(s);
    tc_stop(&c);
    free(creds);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- --whitelist ------------------------------------------------------------------------- */

START_TEST(test_a_whitelist_offers_only_listed_slaves_and_follows_the_file)
{
    char *dir = tu_tmpdir();
    char *list = write_file(dir, "whitelist", "other\n");
    char flag[4400];
    snprintf(flag, sizeof flag, "--whitelist=file://%s", list);
    const char *master_flags[] = {flag, NULL};
    const char *slave_flags[] = {"--hostname=good", NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags, .slave_flags = slave_flags};
    tc_start_with(&c, &o);
    tc_sched *s = tc_sched_start(&c, false);
    ck_assert(tc_wait_registrations(s, 1, 30));
    /* Several allocation cycles with the framework and the slave, and no offer. */
    double runs = tu_metric_at(c.master_ip, c.master_port, "allocator/allocation_runs");
    ck_assert(tu_wait_metric_at(c.master_ip, c.master_port, "allocator/allocation_runs",
                                runs + 3, 30));
    ck_assert_int_eq(tc_offer_count(s), 0);
    free(write_file(dir, "whitelist", "other\n  good  \n"));
    for (int i = 0; i < 1000 && tc_offer_count(s) == 0; i++) usleep(10000);
    ck_assert_int_gt(tc_offer_count(s), 0);
    tc_sched_stop(s);
    tc_stop(&c);
    free(list);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *authorization_suite(void)
{
    Suite *s = suite_create("authorization");
    TCase *tc = tcase_create("binaries");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_acls_decide_roles_and_users);
    tcase_add_test(tc, test_endpoints_need_credentials_and_shutdown_needs_the_acl);
    tcase_add_test(tc, test_a_whitelist_offers_only_listed_slaves_and_follows_the_file);
    suite_add_tcase(s, tc);
    return s;
}
