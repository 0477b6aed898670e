/*
 * test_tls.c - TLS on the transport between real processes over loopback, with certificates
 * the test makes with openssl: messages go both ways over TLS; HTTP endpoints answer HTTPS on
 * the same port; a plain-text client is refused unless downgrade is supported (then both work
 * on the one port); with REQUIRE_CERT a client whose certificate another CA signed, or that
 * has none, is refused; and a verifying client refuses a server whose certificate does not
 * name the address it connected to.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"
#include "tests/support/tlsutil.h"

#include <check.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *dir;

static void setup(void)
{
    dir = tu_tmpdir();
    tls_make_certs(dir);
}

static void teardown(void)
{
    tu_rmrf(dir);
    free(dir);
}

/* ---- a peer process: an echo actor under its own TLS settings ------------------------------ */

static void on_ping(act_actor *self, const act_msg *m)
{
    act_send(self, &m->from, "pong", m->body, m->len);
}

/* Forks a process whose runtime (TLS as tls_env left it, then `name`'s certificate) runs
 * "echo"; returns its pid and port. Call before this process starts its own runtime. */
static pid_t fork_echo(const char *name, uint16_t *port)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.pem", dir, name);
        setenv("LIBPROCESS_SSL_CERT_FILE", path, 1);
        snprintf(path, sizeof path, "%s/%s.key", dir, name);
        setenv("LIBPROCESS_SSL_KEY_FILE", path, 1);
        act_config c;
        act_config_default(&c);
        c.ip = "127.0.0.1";
        c.port = 0;
        if (act_init(&c) != 0) _exit(2);
        act_actor *a = act_new("echo", NULL);
        act_on_message(a, "ping", on_ping);
        act_spawn(a, 0);
        uint16_t port_ = act_port();
        if (write(p[1], &port_, sizeof port_) != sizeof port_) _exit(3);
        close(p[1]);
        act_run();
        _exit(0);
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], port, sizeof *port), sizeof *port);
    close(p[0]);
    return child;
}

static void stop_child(pid_t child)
{
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

typedef struct client {
    tu_counter pongs, exits;
} client;

static void on_pong(act_actor *self, const act_msg *m)
{
    tu_counter_add(&((client *)act_state(self))->pongs, 1);
}

static void on_exited(act_actor *self, const act_pid *pid)
{
    tu_counter_add(&((client *)act_state(self))->exits, 1);
}

static act_actor *spawn_client(client *c)
{
    tu_counter_init(&c->pongs);
    tu_counter_init(&c->exits);
    act_actor *a = act_new("client", c);
    act_on_message(a, "pong", on_pong);
    act_on_exited(a, on_exited);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    return a;
}

static void ping_from(act_actor *self, void *arg)
{
    act_pid *to = arg;
    act_link(self, to);
    for (int i = 0; i < 100; i++) act_send(self, to, "ping", "x", 1);
}

/* The client actor links the echo at port and sends it 100 pings. */
static void ping_echo(client *c, uint16_t port)
{
    spawn_client(c);
    static act_pid echo;
    act_pid self = act_address();
    act_pid_make("echo", 0x7f000001u, port, &echo);
    snprintf(self.id, sizeof self.id, "client");
    act_dispatch(&self, ping_from, &echo);
}

START_TEST(test_two_processes_exchange_messages_over_tls)
{
    tls_env(dir, "node", true, true, false); /* TLS only, certificates required both ways */
    uint16_t port;
    pid_t child = fork_echo("node", &port);
    tu_runtime_start(1);
    client c;
    ping_echo(&c, port);
    ck_assert(tu_counter_wait(&c.pongs, 100, 10));
    ck_assert_uint_eq(tu_counter_get(&c.exits), 0);
    act_shutdown();
    stop_child(child);
}
END_TEST

START_TEST(test_http_over_tls_on_the_same_port_and_plain_text_refused)
{
    tls_env(dir, "node", false, false, false);
    tu_runtime_start(1);
    act_buf body = {0};
    ck_assert_int_eq(tls_https_get(dir, NULL, "127.0.0.1", act_port(), "/metrics/snapshot",
                                   &body), 200);
    ck_assert(strstr(body.data, "\"runtime\\/"));
    static const char get[] = "GET /metrics/snapshot HTTP/1.1\r\n\r\n";
    ck_assert_int_eq(tu_http_raw(act_port(), get, sizeof get - 1, NULL), -1);
    ck_assert_uint_eq(tu_own_counter("runtime/tls_refused_connections"), 1);
    act_buf_free(&body);
    act_shutdown();
}
END_TEST

START_TEST(test_with_downgrade_both_speak_on_one_port)
{
    tls_env(dir, "node", false, false, true);
    tu_runtime_start(1);
    ck_assert_int_eq(tls_https_get(dir, NULL, "127.0.0.1", act_port(), "/help", NULL), 200);
    ck_assert_int_eq(tu_http_get(act_port(), "/help", NULL), 200);
    ck_assert_uint_eq(tu_own_counter("runtime/tls_refused_connections"), 0);
    act_shutdown();
}
END_TEST

START_TEST(test_a_client_certificate_of_another_ca_or_none_is_refused)
{
    tls_env(dir, "node", true, true, false);
    tu_runtime_start(1);
    uint16_t port = act_port();
    ck_assert_int_eq(tls_https_get(dir, "node", "127.0.0.1", port, "/help", NULL), 200);
    ck_assert_int_eq(tls_https_get(dir, "rogue", "127.0.0.1", port, "/help", NULL), -1);
    ck_assert_int_eq(tls_https_get(dir, NULL, "127.0.0.1", port, "/help", NULL), -1);
    /* the server's alert reaches the client before the server's loop counts the refusal */
    ck_assert(tu_wait_own_counter("runtime/tls_refused_connections", 2, 10));
    ck_assert_uint_eq(tu_own_counter("runtime/tls_refused_connections"), 2);
    act_shutdown();
}
END_TEST

START_TEST(test_a_server_certificate_that_names_another_address_is_refused)
{
    tls_env(dir, "node", true, false, false);
    uint16_t port;
    pid_t child = fork_echo("nosan", &port); /* trusted CA, but no address named */
    tu_runtime_start(1);
    client c;
    ping_echo(&c, port);
    ck_assert(tu_counter_wait(&c.exits, 1, 10)); /* the connection failed */
    ck_assert_uint_eq(tu_counter_get(&c.pongs), 0);
    act_shutdown();
    stop_child(child);
}
END_TEST

Suite *tls_suite(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("transport");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_two_processes_exchange_messages_over_tls);
    tcase_add_test(tc, test_http_over_tls_on_the_same_port_and_plain_text_refused);
    tcase_add_test(tc, test_with_downgrade_both_speak_on_one_port);
    tcase_add_test(tc, test_a_client_certificate_of_another_ca_or_none_is_refused);
    tcase_add_test(tc, test_a_server_certificate_that_names_another_address_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
