/*
 * test_sender.c - what the runtime checks about who sent a message, over real sockets on
 * several loopback addresses (all of 127.0.0.0/8 reaches lo): a Libprocess-From naming an
 * address other than the connection's is dropped and counted, outgoing connections leave from
 * the process' own address so that its messages pass that check, and handlers installed with
 * act_on_local take nothing from the network.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct sink {
    tu_counter got;
    act_pid last_from;
} sink;

static void on_ping(act_actor *self, const act_msg *m)
{
    sink *k = act_state(self);
    k->last_from = m->from; /* read by the test after the counter moved */
    tu_counter_add(&k->got, 1);
}

static sink *spawn_sink(void)
{
    static sink k;
    memset(&k, 0, sizeof k);
    tu_counter_init(&k.got);
    act_actor *a = act_new("sink", &k);
    act_on_message(a, "ping", on_ping);
    act_on_local(a, "internal.ping", on_ping);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    return &k;
}

static void start_runtime_at(const char *ip)
{
    act_config c = tu_loopback_config();
    c.ip = ip;
    tu_runtime_start_config(&c);
}

static uint64_t counter(const char *name)
{
    return act_counter_value(act_counter_get(name));
}

START_TEST(test_a_message_naming_another_host_is_dropped_and_counted)
{
    start_runtime_at("127.0.0.1");
    sink *k = spawn_sink();
    uint16_t port = act_port();
    /* From 127.0.0.2, claiming to be a process at 127.0.0.1 (say, the master). */
    ck_assert(tu_send_message_from("127.0.0.2", "127.0.0.1", port, "sink", "ping",
                                   "master@127.0.0.1:5050", "x", 1));
    ck_assert_uint_eq(counter("runtime/spoofed_messages"), 1);
    ck_assert_uint_eq(counter("runtime/dropped_messages"), 1);
    /* The same sender naming its own address is heard; the port may be any. */
    ck_assert(tu_send_message_from("127.0.0.2", "127.0.0.1", port, "sink", "ping",
                                   "scheduler@127.0.0.2:4242", "x", 1));
    ck_assert(tu_counter_wait(&k->got, 1, 10));
    char from[ACT_PID_STRLEN];
    ck_assert_str_eq(act_pid_format(&k->last_from, from, sizeof from),
                     "scheduler@127.0.0.2:4242");
    ck_assert_uint_eq(tu_counter_get(&k->got), 1);
    ck_assert_uint_eq(counter("runtime/spoofed_messages"), 1);
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(port, "/metrics/snapshot", &body), 200);
    ck_assert(strstr(body.data, "\"runtime\\/spoofed_messages\":1"));
    act_buf_free(&body);
    act_shutdown();
}
END_TEST

START_TEST(test_outgoing_connections_leave_from_the_process_address)
{
    start_runtime_at("127.0.0.2");
    /* The far process listens on 127.0.0.1 at the runtime's own port: a different process,
     * which the runtime must reach over TCP rather than take for itself. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(act_port()),
                             .sin_addr.s_addr = htonl(0x7f000001u)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 1), 0);
    act_pid to;
    ck_assert_int_eq(act_pid_make("far", 0x7f000001u, ntohs(sa.sin_port), &to), 0);
    ck_assert_int_eq(act_send(NULL, &to, "ping", "x", 1), 0);
    int fd = accept(lfd, (struct sockaddr *)&sa, &len);
    ck_assert_int_ge(fd, 0);
    char ip[16];
    ck_assert_str_eq(inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip), "127.0.0.2");
    close(fd);
    close(lfd);
    act_shutdown();
}
END_TEST

START_TEST(test_local_only_handlers_take_nothing_from_the_network)
{
    start_runtime_at("127.0.0.1");
    sink *k = spawn_sink();
    uint16_t port = act_port();
    ck_assert(tu_send_message_from("127.0.0.1", "127.0.0.1", port, "sink", "internal.ping",
                                   "anyone@127.0.0.1:1", "x", 1));
    static const char post[] = "POST /sink/internal.ping HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    ck_assert_int_eq(tu_http_raw(port, post, sizeof post - 1, NULL), 404);
    act_pid self = act_address();
    snprintf(self.id, sizeof self.id, "sink");
    ck_assert_int_eq(act_send(NULL, &self, "internal.ping", "x", 1), 0);
    ck_assert(tu_counter_wait(&k->got, 1, 10));
    ck_assert(act_pid_is_none(&k->last_from));
    ck_assert_uint_eq(tu_counter_get(&k->got), 1);
    ck_assert_uint_eq(counter("runtime/dropped_messages"), 1);
    act_shutdown();
}
END_TEST

Suite *sender_suite(void)
{
    Suite *s = suite_create("sender");
    TCase *tc = tcase_create("sender");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_message_naming_another_host_is_dropped_and_counted);
    tcase_add_test(tc, test_outgoing_connections_leave_from_the_process_address);
    tcase_add_test(tc, test_local_only_handlers_take_nothing_from_the_network);
    suite_add_tcase(s, tc);
    return s;
}
