/*
 * test_auth.c - authentication: credential files in both of Mesos' forms, CRAM-MD5 against
 * RFC 2195's own example, and the whole exchange between the real master and the real
 * scheduler driver in one process on a paused clock: the right secret registers, a wrong one
 * and none are refused with the errors Mesos gives, a lost answer is tried again after the
 * timeout, nobody authenticates a pid on another host, and a slave that did not
 * authenticate is told to shut down.
 */
#include "master/auth.h"
#include "sched/sched.h"
#include "tests/support/fake.h"
#include "tests/support/mastertest.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <string.h>

/* ---- credentials ------------------------------------------------------------------------- */

static auth_credentials *parse(const char *text, int want_rc, char *err, size_t n)
{
    auth_credentials *c = NULL;
    ck_assert_int_eq(auth_credentials_parse(text, strlen(text), &c, err, n), want_rc);
    return c;
}

static const char *secret_of(const auth_credentials *c, const char *principal)
{
    const wire_bytes *b = auth_credentials_secret(c, principal);
    return b ? (const char *)b->data : NULL;
}

START_TEST(test_text_credentials_take_one_principal_per_line_and_a_trailing_newline)
{
    char err[256];
    auth_credentials *c = parse("sherman kitesurf\n\n  ops\t s3cret  \r\n", 0, err, sizeof err);
    ck_assert_uint_eq(auth_credentials_count(c), 2);
    ck_assert_str_eq(secret_of(c, "sherman"), "kitesurf");
    ck_assert_str_eq(secret_of(c, "ops"), "s3cret");
    ck_assert_ptr_null(secret_of(c, "nobody"));
    auth_credentials_free(c);
    parse("sherman kitesurf\nlonely\n", -EINVAL, err, sizeof err);
    ck_assert_str_eq(err, "Invalid credential format at line 2 (expected 'principal secret')");
    parse("sherman kite surf\n", -EINVAL, err, sizeof err);
    ck_assert(!strstr(err, "kite")); /* the reason names no secret */
    parse("\n\n", -EINVAL, err, sizeof err);
    ck_assert_str_eq(err, "No credentials");
}
END_TEST

START_TEST(test_json_credentials_are_read_as_mesos_prints_them)
{
    char err[256];
    auth_credentials *c = parse(
        "{\"credentials\": [{\"principal\": \"sherman\", \"secret\": \"kitesurf\"},\n"
        "                  {\"principal\": \"ops\", \"secret\": \"s3cret\"}]}\n",
        0, err, sizeof err);
    ck_assert_uint_eq(auth_credentials_count(c), 2);
    ck_assert_str_eq(secret_of(c, "ops"), "s3cret");
    auth_credentials_free(c);
    parse("{\"credentials\": [{\"secret\": \"x\"}]}", -EINVAL, err, sizeof err);
    ck_assert(strstr(err, "principal"));
    parse("{\"credentials\": ", -EINVAL, err, sizeof err);
    ck_assert(strstr(err, "Invalid JSON credentials"));
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(test_a_slave_credential_is_exactly_one_in_any_form)
{
    char *dir = tu_tmpdir(), path[4200], err[512];
    snprintf(path, sizeof path, "%s/credential", dir);
    static const char *const ones[] = {"slave1 secret1\n", "{\"principal\": \"slave1\", "
                                       "\"secret\": \"secret1\"}",
                                       "{\"credentials\": [{\"principal\": \"slave1\", "
                                       "\"secret\": \"secret1\"}]}"};
    for (size_t i = 0; i < 3; i++) {
        write_file(path, ones[i]);
        wire_msg *m = NULL;
        ck_assert_int_eq(auth_credential_read(path, &m, err, sizeof err), 0);
        const wire_credential *cr = m->root;
        ck_assert_str_eq(cr->principal, "slave1");
        ck_assert_int_eq(cr->secret.len, 7);
        ck_assert_int_eq(memcmp(cr->secret.data, "secret1", 7), 0);
        wire_msg_free(m);
    }
    write_file(path, "a x\nb y\n");
    wire_msg *m = NULL;
    ck_assert_int_eq(auth_credential_read(path, &m, err, sizeof err), -EINVAL);
    ck_assert(strstr(err, "expected exactly one credential, found 2"));
    write_file(path, "");
    ck_assert_int_eq(auth_credential_read(path, &m, err, sizeof err), -EINVAL);
    snprintf(path, sizeof path, "%s/missing", dir);
    ck_assert_int_eq(auth_credential_read(path, &m, err, sizeof err), -ENOENT);
    ck_assert(strstr(err, "Failed to read credentials file"));
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- CRAM-MD5 ---------------------------------------------------------------------------- */

static const char rfc_challenge[] = "<1896.697170952@postoffice.reston.mci.net>";

START_TEST(test_cram_md5_answers_rfc_2195s_example)
{
    wire_bytes secret = {(uint8_t *)"tanstaaftanstaaf", 16};
    act_buf out = {0};
    auth_cram_response("tim", &secret, rfc_challenge, strlen(rfc_challenge), &out);
    ck_assert_str_eq(out.data, "tim b913a602c7eda7a495b4e6e7334d3890");
    act_buf_free(&out);
}
END_TEST

START_TEST(test_cram_md5_verifies_the_principal_and_its_secret_only)
{
    char err[128], who[64];
    auth_credentials *c = parse("tim tanstaaftanstaaf\nann other\n", 0, err, sizeof err);
    const char *good = "tim b913a602c7eda7a495b4e6e7334d3890";
    const char *upper = "tim B913A602C7EDA7A495B4E6E7334D3890";
    const char *wrong = "ann b913a602c7eda7a495b4e6e7334d3890"; /* tim's digest for ann */
    const char *nobody = "bob b913a602c7eda7a495b4e6e7334d3890";
    size_t cl = strlen(rfc_challenge);
    ck_assert_int_eq(auth_cram_verify(c, rfc_challenge, cl, good, strlen(good), who, 64), 0);
    ck_assert_str_eq(who, "tim");
    ck_assert_int_eq(auth_cram_verify(c, rfc_challenge, cl, upper, strlen(upper), who, 64), 0);
    ck_assert_int_eq(auth_cram_verify(c, rfc_challenge, cl, wrong, strlen(wrong), who, 64),
                     -EACCES);
    ck_assert_int_eq(auth_cram_verify(c, rfc_challenge, cl, nobody, strlen(nobody), who, 64),
                     -EACCES);
    ck_assert_int_eq(auth_cram_verify(c, "<other@host>", 12, good, strlen(good), who, 64),
                     -EACCES);
    static const char *const bad[] = {"tim", "timb913a602c7eda7a495b4e6e7334d3890",
                                      " b913a602c7eda7a495b4e6e7334d3890",
                                      "t\nm b913a602c7eda7a495b4e6e7334d3890",
                                      "tim b913a602c7eda7a495b4e6e7334d38zz"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(auth_cram_verify(c, rfc_challenge, cl, bad[i], strlen(bad[i]), who,
                                          64), -EINVAL);
    auth_credentials_free(c);
}
END_TEST

START_TEST(test_challenges_are_fresh)
{
    char a[AUTH_CHALLENGE_MAX], b[AUTH_CHALLENGE_MAX];
    auth_cram_challenge("master.example", a);
    auth_cram_challenge("master.example", b);
    ck_assert_str_ne(a, b);
    ck_assert(a[0] == '<' && strstr(a, "@master.example>"));
}
END_TEST

/* ---- the exchange between the real master and the real driver ---------------------------- */

static act_pid master_pid;
static char master_addr[64];
static auth_credentials *creds;

typedef struct client {
    int registered;
    char error[256];
    char framework_id[WIRE_ID_MAX];
    sched_driver *driver;
} client;

static void on_registered(sched_driver *d, const wire_framework_id *id,
                          const wire_master_info *mi)
{
    client *c = sched_driver_ctx(d);
    snprintf(c->framework_id, sizeof c->framework_id, "%s", id->value);
    c->registered++;
}

static void on_reregistered(sched_driver *d, const wire_master_info *mi)
{
    ((client *)sched_driver_ctx(d))->registered++;
}

static void on_error(sched_driver *d, const char *message)
{
    client *c = sched_driver_ctx(d);
    snprintf(c->error, sizeof c->error, "%s", message);
}

static void settle(void)
{
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void start_master(void)
{
    char err[128];
    creds = parse("sherman kitesurf\nslave1 secret1\nmallory evil\n", 0, err, sizeof err);
    master_config cfg;
    master_config_default(&cfg);
    cfg.credentials = creds;
    cfg.authenticate_frameworks = true;
    cfg.authenticate_slaves = true;
    mt_start(&cfg, &master_pid, master_addr, sizeof master_addr);
}

static void stop_master(void)
{
    act_shutdown();
    act_clock_resume();
    auth_credentials_free(creds);
}

/* A driver that authenticates as `principal` with `secret` (NULL: no credential), names
 * `named` as FrameworkInfo.principal (NULL: none), and re-registers framework `id` when given
 * one. */
static void start_named(client *c, const char *principal, const char *secret,
                        const char *named, const char *id)
{
    memset(c, 0, sizeof *c);
    sched_scheduler cb = {.registered = on_registered, .reregistered = on_reregistered,
                          .error = on_error};
    wire_framework_id fid = {(char *)id};
    wire_framework_info fi = {.user = "", .name = "auth", .id = id ? &fid : NULL,
                              .has_principal = named != NULL, .principal = (char *)named};
    wire_credential cred = {.principal = (char *)principal, .has_secret = true,
                            .secret = {(uint8_t *)secret, secret ? strlen(secret) : 0}};
    c->driver = sched_driver_new(&cb, c, &fi, master_addr, secret ? &cred : NULL);
    ck_assert_int_eq(sched_driver_start(c->driver), SCHED_DRIVER_RUNNING);
    settle();
}

static void start_as(client *c, const char *principal, const char *secret, const char *id)
{
    start_named(c, principal, secret, NULL, id);
}

/* A driver for framework principal "sherman" with the given secret (NULL: no credential). */
static void start_client(client *c, const char *secret)
{
    start_named(c, "sherman", secret, "sherman", NULL);
}

static void stop_client(client *c)
{
    sched_driver_stop(c->driver, false);
    sched_driver_join(c->driver);
    sched_driver_free(c->driver);
}

static size_t frameworks(void)
{
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/master/state.json", &body), 200);
    size_t n = 0;
    for (const char *p = body.data; (p = strstr(p, "\"name\":\"auth\"")); p++) n++;
    act_buf_free(&body);
    return n;
}

START_TEST(test_a_framework_with_the_right_secret_registers)
{
    start_master();
    client c;
    start_client(&c, "kitesurf");
    ck_assert_int_eq(c.registered, 1);
    ck_assert_str_eq(c.error, "");
    ck_assert_uint_eq(frameworks(), 1);
    stop_client(&c);
    stop_master();
}
END_TEST

START_TEST(test_a_wrong_secret_or_none_is_refused_with_mesos_errors)
{
    start_master();
    client wrong, none;
    start_client(&wrong, "windsurf");
    ck_assert_int_eq(wrong.registered, 0);
    ck_assert_str_eq(wrong.error, "Master refused authentication");
    ck_assert_uint_eq(act_counter_value(act_counter_get("master/authentication_failures")), 1);
    start_client(&none, NULL);
    ck_assert_int_eq(none.registered, 0);
    ck_assert(strstr(none.error, "is not authenticated"));
    ck_assert_uint_eq(frameworks(), 0);
    stop_client(&wrong);
    stop_client(&none);
    stop_master();
}
END_TEST

/* With --authenticate a framework belongs to the principal that registered it: another one,
 * authenticated or not, cannot take it over by re-registering (failover) with its ID. */
START_TEST(test_another_principal_cannot_take_a_framework_over)
{
    start_master();
    client owner, thief, same;
    start_client(&owner, "kitesurf");
    ck_assert_int_eq(owner.registered, 1);
    start_as(&thief, "mallory", "evil", owner.framework_id);
    ck_assert_int_eq(thief.registered, 0);
    char want[256];
    snprintf(want, sizeof want, "Framework %s was registered by principal 'sherman'",
             owner.framework_id);
    ck_assert_str_eq(thief.error, want);
    ck_assert_str_eq(owner.error, ""); /* still its framework */
    client liar;
    start_named(&liar, "mallory", "evil", "sherman", NULL);
    ck_assert_str_eq(liar.error, "Framework principal 'sherman' does not match authenticated "
                                 "principal 'mallory'");
    stop_client(&liar);
    start_as(&same, "sherman", "kitesurf", owner.framework_id); /* its own failover: fine */
    ck_assert_int_eq(same.registered, 1);
    ck_assert_str_eq(owner.error, "Framework failed over");
    stop_client(&thief);
    stop_client(&same);
    stop_client(&owner);
    stop_master();
}
END_TEST

static act_filter_verdict drop_first_mechanisms(void *ctx, const act_filter_msg *m)
{
    int *dropped = ctx;
    if (strcmp(m->name, MI(AuthenticationMechanismsMessage)) != 0 || *dropped) return
        ACT_FILTER_PASS;
    (*dropped)++;
    return ACT_FILTER_DROP;
}

START_TEST(test_an_unanswered_attempt_is_made_again_after_the_timeout)
{
    start_master();
    int dropped = 0;
    act_filter_add(drop_first_mechanisms, &dropped);
    client c;
    start_client(&c, "kitesurf");
    ck_assert_int_eq(dropped, 1);
    ck_assert_int_eq(c.registered, 0);
    act_clock_advance(AUTH_TIMEOUT);
    settle();
    ck_assert_int_eq(c.registered, 1);
    stop_client(&c);
    stop_master();
}
END_TEST

static const char *const auth_names[] = {MI(AuthenticationErrorMessage),
                                         MI(AuthenticationMechanismsMessage),
                                         MI(ShutdownMessage), NULL};

START_TEST(test_nobody_authenticates_a_pid_on_another_host)
{
    start_master();
    fake *f = fake_spawn("crammd5_authenticatee(9)", 0, auth_names);
    wire_authenticate_message a = {.pid = "scheduler-1@10.1.2.3:5050"};
    fake_send(f, &master_pid, WIRE_DESC(authenticate_message), &a);
    settle();
    ck_assert_uint_eq(fake_count(f, MI(AuthenticationMechanismsMessage)), 0);
    ck_assert_uint_eq(fake_count(f, MI(AuthenticationErrorMessage)), 1);
    ck_assert_uint_eq(act_counter_value(act_counter_get("runtime/refused_messages")), 1);
    stop_master();
}
END_TEST

START_TEST(test_a_slave_that_did_not_authenticate_is_told_to_shut_down)
{
    start_master();
    fake *s = fake_spawn("slave(1)", 0, auth_names);
    wire_register_slave_message r = {.slave = {.hostname = "h1"}};
    fake_send(s, &master_pid, WIRE_DESC(register_slave_message), &r);
    settle();
    wire_msg *m = fake_last(s, MI(ShutdownMessage), WIRE_DESC(shutdown_message));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(((wire_shutdown_message *)m->root)->message, "Slave is not authenticated");
    wire_msg_free(m);
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/master/state.json", &body), 200);
    ck_assert(strstr(body.data, "\"slaves\":[]"));
    act_buf_free(&body);
    stop_master();
}
END_TEST

Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("credentials");
    tcase_add_test(tc, test_text_credentials_take_one_principal_per_line_and_a_trailing_newline);
    tcase_add_test(tc, test_json_credentials_are_read_as_mesos_prints_them);
    tcase_add_test(tc, test_a_slave_credential_is_exactly_one_in_any_form);
    tcase_add_test(tc, test_cram_md5_answers_rfc_2195s_example);
    tcase_add_test(tc, test_cram_md5_verifies_the_principal_and_its_secret_only);
    tcase_add_test(tc, test_challenges_are_fresh);
    suite_add_tcase(s, tc);
    tc = tcase_create("exchange");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_framework_with_the_right_secret_registers);
    tcase_add_test(tc, test_a_wrong_secret_or_none_is_refused_with_mesos_errors);
    tcase_add_test(tc, test_an_unanswered_attempt_is_made_again_after_the_timeout);
    tcase_add_test(tc, test_another_principal_cannot_take_a_framework_over);
    tcase_add_test(tc, test_nobody_authenticates_a_pid_on_another_host);
    tcase_add_test(tc, test_a_slave_that_did_not_authenticate_is_told_to_shut_down);
    suite_add_tcase(s, tc);
    return s;
}
