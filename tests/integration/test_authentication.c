/*
 * test_authentication.c - authentication with the real binaries: a master with --authenticate
 * and --authenticate_slaves lets in the slave and the framework whose credentials are right
 * (both credential file forms, a trailing newline, file:// and a bare path), refuses wrong and
 * missing ones with Mesos' errors, never lists what it refused and never logs a secret;
 * mesos-execute authenticates with --principal and --secret; and an authenticated pid stays
 * authenticated only until its connection breaks.
 */
#include "master/auth.h"
#include "tests/support/cluster.h"
#include "tests/support/fake.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *write_file(const char *dir, const char *name, const char *text)
{
    char *path = act_malloc(4300);
    snprintf(path, 4300, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
    return path;
}

static bool log_has(const char *path, const char *text)
{
    char *log = tu_read_file(path);
    bool has = log && strstr(log, text);
    free(log);
    return has;
}

static json_t *master_state(tc_cluster *c)
{
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get_at(c->master_ip, c->master_port, "/master/state.json", &out),
                     200);
    json_t *j = json_loadb(out.data, out.len, 0, NULL);
    act_buf_free(&out);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* The names of the frameworks the master lists, comma-separated, into buf. */
static const char *framework_names(tc_cluster *c, char *buf, size_t n)
{
    json_t *st = master_state(c), *f;
    size_t i;
    buf[0] = '\0';
    json_array_foreach(json_object_get(st, "frameworks"), i, f) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", len ? "," : "",
                 json_string_value(json_object_get(f, "name")));
    }
    json_decref(st);
    return buf;
}

static tc_sched *framework(tc_cluster *c, const char *name, const char *secret)
{
    wire_credential cred = {.principal = "sherman", .has_secret = true,
                            .secret = {(uint8_t *)secret, secret ? strlen(secret) : 0}};
    tc_sched_options o = {.name = name, .principal = "sherman",
                          .credential = secret ? &cred : NULL};
    return tc_sched_start_with(c->master_addr, &o);
}

START_TEST(test_right_credentials_register_and_wrong_or_missing_are_refused)
{
    char *dir = tu_tmpdir();
    char *creds = write_file(dir, "credentials", "sherman kitesurf\nslave1 secret1\n");
    char *cred = write_file(dir, "credential", "slave1 secret1\n");
    char creds_flag[4400], cred_flag[4400];
    snprintf(creds_flag, sizeof creds_flag, "--credentials=%s", creds);
    snprintf(cred_flag, sizeof cred_flag, "--credential=file://%s", cred);
    const char *master_flags[] = {"--authenticate", "--authenticate_slaves", creds_flag, NULL};
    const char *slave_flags[] = {cred_flag, NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags, .slave_flags = slave_flags};
    tc_start_with(&c, &o); /* the slave authenticated: it registered */

    tc_sched *good = framework(&c, "good", "kitesurf");
    ck_assert(tc_wait_registrations(good, 1, 30));
    tc_task t = {.id = "t1", .command = "true", .cpus = 0.1, .mem = 16};
    tc_sched_launch(good, &t, 1);
    ck_assert(tc_wait_state(good, "t1", WIRE_TASK_FINISHED, 60));

    char error[512], names[256];
    tc_sched *wrong = framework(&c, "wrong", "windsurf");
    ck_assert(tc_wait_error(wrong, error, sizeof error, 30));
    ck_assert_str_eq(error, "Master refused authentication");
    tc_sched *none = framework(&c, "none", NULL);
    ck_assert(tc_wait_error(none, error, sizeof error, 30));
    ck_assert_msg(strstr(error, "is not authenticated"), "%s", error);
    ck_assert_str_eq(framework_names(&c, names, sizeof names), "good");
    ck_assert(log_has(c.master_log, "Failed to authenticate principal 'sherman'"));

    tc_sched_stop(wrong);
    tc_sched_stop(none);
    tc_sched_stop(good);
    tc_stop(&c);
    static const char *const secrets[] = {"kitesurf", "secret1", "windsurf"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_msg(!log_has(c.master_log, secrets[i]), "the master logged a secret");
        ck_assert_msg(!log_has(c.slave_log, secrets[i]), "the slave logged a secret");
    }
    free(creds);
    free(cred);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* Starts a slave with flags that the master must refuse, and waits for it to give up. */
static void refused_slave(tc_cluster *c, const char *flag, const char *expect)
{
    char log[4400];
    snprintf(log, sizeof log, "%s/refused-slave.log", c->dir);
    const char *flags[] = {flag, NULL};
    int pid = tc_spawn_slave(c, flag ? flags : NULL, log);
    ck_assert_msg(tu_wait_gone(pid, 60), "a refused slave still runs; see %s", log);
    tu_stop(pid, SIGKILL, 5);
    ck_assert_msg(log_has(log, expect), "'%s' not in %s", expect, log);
    ck_assert(tc_slaves_active(c, 0));
}

static int run_execute(tc_cluster *c, const char *secret, const char *out)
{
    char master[96], sec[128];
    snprintf(master, sizeof master, "--master=%s", c->master_addr);
    snprintf(sec, sizeof sec, "--secret=%s", secret);
    char *argv[] = {(char *)tu_bin("mesos-execute"), master, "--name=exec", "--command=true",
                    "--resources=cpus:0.1;mem:16", "--principal=sherman", sec, NULL};
    return tu_run(argv, out, 120);
}

START_TEST(test_json_credentials_refuse_slaves_that_do_not_prove_themselves)
{
    char *dir = tu_tmpdir();
    char *creds = write_file(dir, "credentials.json",
                             "{\"credentials\": [{\"principal\": \"sherman\", \"secret\": "
                             "\"kitesurf\"}, {\"principal\": \"slave1\", \"secret\": "
                             "\"secret1\"}]}\n");
    char *wrong = write_file(dir, "wrong", "{\"principal\": \"slave1\", \"secret\": \"nope\"}");
    char *right = write_file(dir, "right", "slave1 secret1");
    char creds_flag[4400], wrong_flag[4400], right_flag[4400];
    snprintf(creds_flag, sizeof creds_flag, "--credentials=file://%s", creds);
    snprintf(wrong_flag, sizeof wrong_flag, "--credential=%s", wrong);
    snprintf(right_flag, sizeof right_flag, "--credential=%s", right);
    const char *master_flags[] = {"--authenticate_slaves", "--authenticate", creds_flag, NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags, .no_slave = true};
    tc_start_with(&c, &o);
    refused_slave(&c, NULL, "Slave is not authenticated");
    refused_slave(&c, wrong_flag, "The master refused this slave's authentication");
    const char *good[] = {right_flag, NULL};
    tc_start_slave(&c, good);

    char out[4400];
    snprintf(out, sizeof out, "%s/execute.out", c.dir);
    ck_assert_msg(run_execute(&c, "kitesurf", out) == 0, "mesos-execute failed; see %s", out);
    ck_assert(log_has(out, "TASK_FINISHED"));
    ck_assert_int_eq(run_execute(&c, "windsurf", out), 1);
    ck_assert(log_has(out, "Master refused authentication"));
    tc_stop(&c);
    free(creds);
    free(wrong);
    free(right);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- an authenticated pid, until its connection breaks ----------------------------------- */

static const char *const scheduler_names[] = {MI(FrameworkRegisteredMessage),
                                              MI(FrameworkErrorMessage), AUTH_MSG_RESULT,
                                              NULL};

static void runtime_at(uint16_t port)
{
    act_config rc;
    act_config_default(&rc);
    rc.ip = "127.0.0.1";
    rc.port = port;
    int err = act_init(&rc);
    for (int i = 0; err == -EADDRINUSE && i < 500; i++) { /* the old connections linger */
        usleep(10000);
        err = act_init(&rc);
    }
    ck_assert_int_eq(err, 0);
    ck_assert_int_eq(act_start(), 0);
}

static bool wait_count(fake *f, const char *name, size_t n)
{
    for (int i = 0; i < 3000 && fake_count(f, name) < n; i++) usleep(10000);
    return fake_count(f, name) >= n;
}

static void send_registration(fake *f, tc_cluster *c)
{
    act_pid master;
    char text[96];
    snprintf(text, sizeof text, "master@%s", c->master_addr);
    ck_assert_int_eq(act_pid_parse(text, &master), 0);
    wire_register_framework_message r = {
        .framework = {.user = "", .name = "plain", .has_principal = true,
                      .principal = "sherman"}};
    fake_send(f, &master, WIRE_DESC(register_framework_message), &r);
}

/* Waits (bounded) until the master shows its one framework inactive, or removed (its failover
 * timeout is 0): it saw the scheduler's connection break, and so forgot that pid's
 * authentication in the same step. */
static bool framework_inactive(tc_cluster *c)
{
    for (int i = 0; i < 3000; i++) {
        json_t *st = master_state(c);
        json_t *f = json_array_get(json_object_get(st, "frameworks"), 0);
        bool inactive = !f || json_is_false(json_object_get(f, "active"));
        json_decref(st);
        if (inactive) return true;
        usleep(10000);
    }
    return false;
}

START_TEST(test_an_authenticated_pid_stays_so_until_its_connection_breaks)
{
    char *dir = tu_tmpdir();
    char *creds = write_file(dir, "credentials", "sherman kitesurf\n");
    char creds_flag[4400];
    snprintf(creds_flag, sizeof creds_flag, "--credentials=%s", creds);
    const char *master_flags[] = {"--authenticate", creds_flag, NULL};
    tc_cluster c;
    tc_options o = {.master_flags = master_flags, .no_slave = true};
    tc_start_with(&c, &o);

    runtime_at(0);
    uint16_t port = act_port();
    fake *f = fake_spawn("scheduler(1)", 0, scheduler_names);
    act_pid self = fake_pid(f), master, authenticatee;
    char text[96];
    snprintf(text, sizeof text, "master@%s", c.master_addr);
    ck_assert_int_eq(act_pid_parse(text, &master), 0);
    wire_credential cred = {.principal = "sherman", .has_secret = true,
                            .secret = {(uint8_t *)"kitesurf", 8}};
    ck_assert_int_eq(auth_authenticatee_spawn(&master, &self, &cred, 0, &authenticatee), 0);
    ck_assert(wait_count(f, AUTH_MSG_RESULT, 1));
    send_registration(f, &c);
    ck_assert(wait_count(f, MI(FrameworkRegisteredMessage), 1));

    /* The process goes away and comes back at the same address: the master forgot it. */
    act_shutdown();
    ck_assert_msg(framework_inactive(&c), "the master did not see the connection break");
    runtime_at(port);
    f = fake_spawn("scheduler(1)", 0, scheduler_names);
    send_registration(f, &c);
    ck_assert(wait_count(f, MI(FrameworkErrorMessage), 1));
    wire_msg *e = fake_last(f, MI(FrameworkErrorMessage), WIRE_DESC(framework_error_message));
    ck_assert(strstr(((wire_framework_error_message *)e->root)->message, "not authenticated"));
    wire_msg_free(e);
    act_shutdown();
    tc_stop(&c);
    free(creds);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *authentication_suite(void)
{
    Suite *s = suite_create("authentication");
    TCase *tc = tcase_create("binaries");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_right_credentials_register_and_wrong_or_missing_are_refused);
    tcase_add_test(tc, test_json_credentials_refuse_slaves_that_do_not_prove_themselves);
    tcase_add_test(tc, test_an_authenticated_pid_stays_so_until_its_connection_breaks);
    suite_add_tcase(s, tc);
    return s;
}
