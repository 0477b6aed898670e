/*
 * test_foreign_peers.c - per-peer encoding over real loopback sockets. A test socket plays a
 * peer process in each of the header forms real senders use: mesos-go (Libprocess-From and
 * Content-Type: application/x-protobuf, expecting 202 Accepted), libprocess 0.22 (User-Agent:
 * libprocess/<pid> and Libprocess-From, no Content-Type, a chunked body, expecting no answer),
 * libprocess 0.21 (User-Agent alone) and our own processes (msgpack). An actor of ours answers
 * each with wire_send; the test reads what arrives at the peer's listening socket.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- our side: a "master" that answers registrations --------------------------------------- */

typedef struct master {
    tu_counter registrations, malformed;
    wire_format format;
    char name[64];
} master;

static void on_register(act_actor *self, const act_msg *msg)
{
    master *m = act_state(self);
    wire_msg *in = wire_decode_msg(msg, WIRE_DESC(register_framework_message));
    if (!in) {
        tu_counter_add(&m->malformed, 1);
        return;
    }
    wire_register_framework_message *r = in->root;
    m->format = wire_msg_format(msg);
    snprintf(m->name, sizeof m->name, "%s", r->framework.name);
    wire_framework_registered_message out;
    wire_init(WIRE_DESC(framework_registered_message), &out);
    out.framework_id.value = "fw-1";
    out.master_info.id = "m-1";
    out.master_info.port = act_port();
    wire_send(self, &msg->from, WIRE_DESC(framework_registered_message), &out);
    wire_msg_free(in);
    tu_counter_add(&m->registrations, 1);
}

static master *spawn_master(void)
{
    static master m;
    memset(&m, 0, sizeof m);
    tu_counter_init(&m.registrations);
    tu_counter_init(&m.malformed);
    act_actor *a = act_new("master", &m);
    act_on_message(a, "mesos.internal.RegisterFrameworkMessage", on_register);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    return &m;
}

/* A RegisterFrameworkMessage for framework `name` in format f. */
static void registration(wire_format f, const char *name, act_buf *out)
{
    wire_register_framework_message r;
    wire_init(WIRE_DESC(register_framework_message), &r);
    r.framework.user = "";
    r.framework.name = (char *)name;
    ck_assert_int_eq(wire_encode_as(f, WIRE_DESC(register_framework_message), &r, out), 0);
}

/* ---- the peer's side: raw sockets ---------------------------------------------------------- */

static int listen_on(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(fd, 4), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static int accept_one(int lfd)
{
    struct timeval tv = {10, 0};
    setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int fd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads until `head` holds a whole head (through the blank line) and `body` its
 * Content-Length bytes. */
static void read_http(int fd, act_buf *head, act_buf *body)
{
    act_buf in = {0};
    char chunk[4096];
    char *end = NULL;
    size_t want = 0;
    for (;;) {
        if (!end && in.data && (end = strstr(in.data, "\r\n\r\n"))) {
            const char *cl = strcasestr(in.data, "Content-Length: ");
            want = (size_t)(end + 4 - in.data) + (cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0);
        }
        if (end && in.len >= want) break;
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        ck_assert_msg(n > 0, "the connection ended with %zu bytes: %s", in.len, in.data);
        act_buf_append(&in, chunk, (size_t)n);
    }
    size_t hl = (size_t)(end + 4 - in.data);
    act_buf_append(head, in.data, hl);
    act_buf_append(body, in.data + hl, want - hl);
    act_buf_free(&in);
}

static void send_all(int fd, const void *data, size_t n)
{
    ck_assert_int_eq(send(fd, data, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Sends a POST of `body` to our master with the given sender headers. */
static void post(int fd, const char *headers, const act_buf *body, bool chunked)
{
    act_buf req = {0};
    act_buf_printf(&req, "POST /master/mesos.internal.RegisterFrameworkMessage HTTP/1.1\r\n%s",
                   headers);
    if (chunked) {
        act_buf_printf(&req, "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", body->len);
        act_buf_append(&req, body->data, body->len);
        act_buf_puts(&req, "\r\n0\r\n\r\n");
    } else {
        act_buf_printf(&req, "Content-Length: %zu\r\n\r\n", body->len);
        act_buf_append(&req, body->data, body->len);
    }
    send_all(fd, req.data, req.len);
    act_buf_free(&req);
}

/* What our master sent the peer: its head, and the framework ID its body decodes to (in the
 * format `f`, which must decode it). */
static void expect_registered(int lfd, wire_format f, act_buf *head)
{
    int fd = accept_one(lfd);
    act_buf body = {0};
    read_http(fd, head, &body);
    static const char line[] =
        "POST /scheduler(1)/mesos.internal.FrameworkRegisteredMessage HTTP/1.1\r\n";
    ck_assert_msg(strncmp(head->data, line, sizeof line - 1) == 0, "%s", head->data);
    wire_msg *m = NULL;
    char err[200] = "";
    ck_assert_msg(wire_decode_as(f, WIRE_DESC(framework_registered_message), body.data, body.len,
                                 &m, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(((wire_framework_registered_message *)m->root)->framework_id.value, "fw-1");
    wire_msg_free(m);
    act_buf_free(&body);
    close(fd);
}

/* Checks nothing answered the message just sent on fd: the first answer on the connection
 * must be the one to a request sent after it. */
static void expect_no_answer(int fd)
{
    static const char get[] = "GET /help HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(fd, get, sizeof get - 1);
    act_buf answer = {0}, ignored = {0};
    read_http(fd, &answer, &ignored);
    ck_assert_msg(strncmp(answer.data, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", answer.data);
    act_buf_free(&answer);
    act_buf_free(&ignored);
}

/* The pid of the peer's scheduler actor at 127.0.0.1:port. */
static act_pid peer_pid(uint16_t port)
{
    act_pid pid;
    char text[64];
    snprintf(text, sizeof text, "scheduler(1)@127.0.0.1:%u", port);
    ck_assert_int_eq(act_pid_parse(text, &pid), 0);
    return pid;
}

/* ---- the header forms -------------------------------------------------------------------- */

START_TEST(test_a_mesos_go_peer_gets_202_and_protobuf_in_its_header_form)
{
    tu_runtime_start(2);
    master *m = spawn_master();
    uint16_t peer_port;
    int lfd = listen_on(&peer_port);
    act_buf body = {0}, headers = {0}, head = {0}, answer = {0}, ignored = {0};
    registration(WIRE_PROTOBUF, "go", &body);
    act_buf_printf(&headers,
                   "Host: 127.0.0.1:%u\r\nUser-Agent: Go-http-client/1.1\r\nConnection: "
                   "Keep-Alive\r\nContent-Type: application/x-protobuf\r\n"
                   "Libprocess-From: scheduler(1)@127.0.0.1:%u\r\n",
                   act_port(), peer_port);
    int fd = tu_connect(act_port());
    post(fd, headers.data, &body, false);
    read_http(fd, &answer, &ignored);
    ck_assert_msg(strncmp(answer.data, "HTTP/1.1 202 Accepted\r\n", 23) == 0, "%s", answer.data);

    ck_assert(tu_counter_wait(&m->registrations, 1, 10));
    ck_assert_int_eq(m->format, WIRE_PROTOBUF);
    ck_assert_str_eq(m->name, "go");
    act_pid peer = peer_pid(peer_port);
    act_peer info;
    ck_assert(act_peer_get(&peer, &info));
    ck_assert(!info.libprocess);
    ck_assert_str_eq(info.content_type, "application/x-protobuf");

    expect_registered(lfd, WIRE_PROTOBUF, &head);
    char from[64];
    snprintf(from, sizeof from, "\r\nLibprocess-From: master@127.0.0.1:%u\r\n", act_port());
    ck_assert_msg(strstr(head.data, from), "%s", head.data);
    ck_assert(strstr(head.data, "\r\nConnection: Keep-Alive\r\n"));
    ck_assert(strstr(head.data, "\r\nContent-Type: application/x-protobuf\r\n"));
    ck_assert(!strstr(head.data, "User-Agent"));
    close(fd);
    close(lfd);
    act_buf_free(&body);
    act_buf_free(&headers);
    act_buf_free(&head);
    act_buf_free(&answer);
    act_buf_free(&ignored);
    act_shutdown();
}
END_TEST

/* libprocess 0.22 (both headers, chunked, no Content-Type) and 0.21 (User-Agent alone). */
static void libprocess_peer(bool with_from)
{
    tu_runtime_start(1);
    master *m = spawn_master();
    uint16_t peer_port;
    int lfd = listen_on(&peer_port);
    act_buf body = {0}, headers = {0}, head = {0};
    registration(WIRE_PROTOBUF, "libmesos", &body);
    act_buf_printf(&headers, "User-Agent: libprocess/scheduler(1)@127.0.0.1:%u\r\n", peer_port);
    if (with_from)
        act_buf_printf(&headers, "Libprocess-From: scheduler(1)@127.0.0.1:%u\r\n", peer_port);
    act_buf_puts(&headers, "Connection: Keep-Alive\r\nHost: \r\n");
    int fd = tu_connect(act_port());
    post(fd, headers.data, &body, true);
    expect_no_answer(fd);

    ck_assert(tu_counter_wait(&m->registrations, 1, 10));
    ck_assert_int_eq(m->format, WIRE_PROTOBUF);
    ck_assert_str_eq(m->name, "libmesos");
    expect_registered(lfd, WIRE_PROTOBUF, &head);
    char ua[96], from[96];
    snprintf(ua, sizeof ua, "\r\nUser-Agent: libprocess/master@127.0.0.1:%u\r\n", act_port());
    snprintf(from, sizeof from, "\r\nLibprocess-From: master@127.0.0.1:%u\r\n", act_port());
    ck_assert_msg(strstr(head.data, ua), "%s", head.data);
    ck_assert(strstr(head.data, from));
    ck_assert(strstr(head.data, "\r\nConnection: Keep-Alive\r\n"));
    close(fd);
    close(lfd);
    act_buf_free(&body);
    act_buf_free(&headers);
    act_buf_free(&head);
    act_shutdown();
}

START_TEST(test_a_libprocess_0_22_peer_gets_no_answer_and_protobuf_with_its_user_agent)
{
    libprocess_peer(true);
}
END_TEST

START_TEST(test_a_libprocess_peer_naming_itself_only_in_user_agent_is_understood)
{
    libprocess_peer(false);
}
END_TEST

START_TEST(test_our_own_peers_keep_msgpack_and_get_no_answer)
{
    tu_runtime_start(1);
    master *m = spawn_master();
    uint16_t peer_port;
    int lfd = listen_on(&peer_port);
    act_buf body = {0}, headers = {0}, head = {0};
    registration(WIRE_MSGPACK, "ours", &body);
    act_buf_printf(&headers, "Libprocess-From: scheduler(1)@127.0.0.1:%u\r\n"
                             "Content-Type: application/x-msgpack\r\n", peer_port);
    int fd = tu_connect(act_port());
    post(fd, headers.data, &body, false);
    expect_no_answer(fd);

    ck_assert(tu_counter_wait(&m->registrations, 1, 10));
    ck_assert_int_eq(m->format, WIRE_MSGPACK);
    act_pid peer = peer_pid(peer_port);
    act_peer info;
    ck_assert(!act_peer_get(&peer, &info));
    expect_registered(lfd, WIRE_MSGPACK, &head);
    ck_assert(strstr(head.data, "\r\nContent-Type: application/x-msgpack\r\n"));
    ck_assert(!strstr(head.data, "User-Agent"));
    ck_assert(!strstr(head.data, "Connection"));
    close(fd);
    close(lfd);
    act_buf_free(&body);
    act_buf_free(&headers);
    act_buf_free(&head);
    act_shutdown();
}
END_TEST

static void send_registered(act_actor *self, void *arg)
{
    wire_framework_registered_message out;
    wire_init(WIRE_DESC(framework_registered_message), &out);
    out.framework_id.value = "fw-1";
    out.master_info.id = "m-1";
    wire_send(self, arg, WIRE_DESC(framework_registered_message), &out);
}

START_TEST(test_a_peer_set_from_its_saved_form_is_spoken_to_in_it_before_it_speaks)
{
    tu_runtime_start(1);
    uint16_t peer_port;
    int lfd = listen_on(&peer_port);
    static act_pid peer;
    peer = peer_pid(peer_port);
    act_peer form = {.libprocess = true};
    act_peer_set(&peer, &form);
    ck_assert_int_eq(wire_peer_format(&peer), WIRE_PROTOBUF);

    spawn_master();
    act_pid me = act_address();
    snprintf(me.id, sizeof me.id, "master");
    ck_assert_int_eq(act_dispatch(&me, send_registered, &peer), 0);
    act_buf head = {0};
    expect_registered(lfd, WIRE_PROTOBUF, &head);
    char ua[96];
    snprintf(ua, sizeof ua, "\r\nUser-Agent: libprocess/master@127.0.0.1:%u\r\n", act_port());
    ck_assert_msg(strstr(head.data, ua), "%s", head.data);
    ck_assert(strstr(head.data, "\r\nContent-Type: application/x-protobuf\r\n"));
    close(lfd);
    act_buf_free(&head);
    act_shutdown();
}
END_TEST

/* ---- failures ---------------------------------------------------------------------------- */

START_TEST(test_an_unreadable_body_and_an_unencodable_message_are_logged_and_counted)
{
    tu_runtime_start(1);
    master *m = spawn_master();
    act_buf garbage = {0}, headers = {0}, answer = {0}, ignored = {0};
    act_buf_append(&garbage, "\x0a\x05" "ab", 4); /* a length past the end */
    act_buf_puts(&headers, "Content-Type: application/x-protobuf\r\n"
                           "Libprocess-From: scheduler(1)@127.0.0.1:1\r\n");
    int fd = tu_connect(act_port());
    post(fd, headers.data, &garbage, false);
    read_http(fd, &answer, &ignored);
    ck_assert(tu_counter_wait(&m->malformed, 1, 10));
    ck_assert_uint_eq(act_counter_value(act_counter_get("wire/malformed_messages")), 1);
    ck_assert_uint_eq(tu_counter_get(&m->registrations), 0);

    /* An enum value the enum lacks cannot be encoded for that (now known) protobuf peer. */
    wire_status_update_message u;
    wire_init(WIRE_DESC(status_update_message), &u);
    u.update.status.state = (wire_task_state)99;
    act_pid peer;
    ck_assert_int_eq(act_pid_parse("scheduler(1)@127.0.0.1:1", &peer), 0);
    ck_assert_int_eq(wire_peer_format(&peer), WIRE_PROTOBUF);
    ck_assert_int_eq(wire_send(NULL, &peer, WIRE_DESC(status_update_message), &u), WIRE_EENUM);
    ck_assert_uint_eq(act_counter_value(act_counter_get("wire/unencodable_messages")), 1);
    close(fd);
    act_buf_free(&garbage);
    act_buf_free(&headers);
    act_buf_free(&answer);
    act_buf_free(&ignored);
    act_shutdown();
}
END_TEST

Suite *foreign_peers_suite(void);
Suite *foreign_peers_suite(void)
{
    Suite *s = suite_create("foreign_peers");
    TCase *tc = tcase_create("foreign_peers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_mesos_go_peer_gets_202_and_protobuf_in_its_header_form);
    tcase_add_test(tc, test_a_libprocess_0_22_peer_gets_no_answer_and_protobuf_with_its_user_agent);
    tcase_add_test(tc, test_a_libprocess_peer_naming_itself_only_in_user_agent_is_understood);
    tcase_add_test(tc, test_our_own_peers_keep_msgpack_and_get_no_answer);
    tcase_add_test(tc, test_a_peer_set_from_its_saved_form_is_spoken_to_in_it_before_it_speaks);
    tcase_add_test(tc, test_an_unreadable_body_and_an_unencodable_message_are_logged_and_counted);
    suite_add_tcase(s, tc);
    return s;
}
