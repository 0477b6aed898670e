/*
 * test_transport.c - the runtime over real loopback sockets: HTTP routes and their errors,
 * the introspection endpoints, messages between two OS processes (order, volume, exited on
 * kill), remote links to nothing, hostile input (malformed HTTP, oversized bodies), and the
 * output chunks kept for reuse after a peer that read slowly.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- an actor with routes ---------------------------------------------------------------- */

typedef struct web {
    tu_counter pings;
    char last_body[64];
} web;

static void on_hello(act_actor *self, act_http_req *req)
{
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_kv_string(&j, "path", act_http_path(req));
    const char *who = act_http_query(req, "who");
    act_json_kv_string(&j, "who", who);
    act_json_object_end(&j);
    act_http_respond_json(req, 200, &out);
    act_buf_free(&out);
}

static void on_web_ping(act_actor *self, const act_msg *m)
{
    web *w = act_state(self);
    snprintf(w->last_body, sizeof w->last_body, "%.*s", (int)m->len, (const char *)m->body);
    tu_counter_add(&w->pings, 1);
}

static web *spawn_web(void)
{
    static web w;
    memset(&w, 0, sizeof w);
    tu_counter_init(&w.pings);
    act_actor *a = act_new("web", &w);
    act_route(a, "hello", on_hello, "Says hello.");
    act_route(a, "static", on_hello, "Serves files below static/.");
    act_on_message(a, "ping", on_web_ping);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    return &w;
}

/* A runtime on loopback that takes request bodies of up to max bytes. */
static void start_with_max_body(size_t max)
{
    act_config c = tu_loopback_config();
    c.max_body = max;
    tu_runtime_start_config(&c);
}

START_TEST(test_routes_answer_and_unknown_paths_get_404)
{
    tu_runtime_start(1);
    spawn_web();
    uint16_t port = act_port();
    act_buf body = {0}, head = {0};
    ck_assert_int_eq(tu_http_get_head(port, "/web/hello?who=a%20b", &head, &body), 200);
    ck_assert_str_eq(body.data, "{\"path\":\"hello\",\"who\":\"a b\"}");
    ck_assert(strstr(head.data, "Access-Control-Allow-Origin: *"));
    act_buf_reset(&body);
    ck_assert_int_eq(tu_http_get(port, "/web/static/js/app.js", &body), 200);
    ck_assert(strstr(body.data, "\"path\":\"static/js/app.js\""));
    ck_assert_int_eq(tu_http_get(port, "/web/nothing", NULL), 404);
    ck_assert_int_eq(tu_http_get(port, "/nobody/hello", NULL), 404);
    ck_assert_int_eq(tu_http_get(port, "/", NULL), 404);
    act_buf_free(&body);
    act_buf_free(&head);
    act_shutdown();
}
END_TEST

START_TEST(test_default_actor_answers_short_paths_and_jsonp_wraps)
{
    tu_runtime_start(1);
    spawn_web();
    act_set_default_actor("web");
    act_buf body = {0}, head = {0};
    ck_assert_int_eq(tu_http_get_head(act_port(), "/hello?jsonp=cb", &head, &body), 200);
    ck_assert_str_eq(body.data, "cb({\"path\":\"hello\",\"who\":null});");
    ck_assert(strstr(head.data, "Content-Type: text/javascript"));
    ck_assert_int_eq(tu_http_get(act_port(), "/hello?jsonp=alert(1)", NULL), 400);
    act_buf_free(&body);
    act_buf_free(&head);
    act_shutdown();
}
END_TEST

START_TEST(test_help_lists_routes_with_their_help)
{
    tu_runtime_start(1);
    spawn_web();
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/help", &body), 200);
    ck_assert(strstr(body.data, "/web/hello\n    Says hello."));
    ck_assert(strstr(body.data, "/metrics/snapshot"));
    act_buf_reset(&body);
    ck_assert_int_eq(tu_http_get(act_port(), "/help/web/static", &body), 200);
    ck_assert(strstr(body.data, "/web/static"));
    ck_assert(!strstr(body.data, "/web/hello"));
    ck_assert_int_eq(tu_http_get(act_port(), "/help/nobody", NULL), 404);
    act_buf_free(&body);
    act_shutdown();
}
END_TEST

START_TEST(test_plain_post_to_a_message_endpoint_is_accepted)
{
    tu_runtime_start(1);
    web *w = spawn_web();
    static const char req[] = "POST /web/ping HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    ck_assert_int_eq(tu_http_raw(act_port(), req, sizeof req - 1, NULL), 202);
    ck_assert(tu_counter_wait(&w->pings, 1, 10));
    ck_assert_str_eq(w->last_body, "hello");
    static const char nope[] = "POST /web/pong HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    ck_assert_int_eq(tu_http_raw(act_port(), nope, sizeof nope - 1, NULL), 404);
    act_shutdown();
}
END_TEST

START_TEST(test_metrics_snapshot_and_actors_are_json)
{
    tu_runtime_start(1);
    spawn_web();
    act_counter_inc(act_counter_get("test/things"));
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/metrics/snapshot", &body), 200);
    ck_assert(strstr(body.data, "\"test\\/things\":1"));
    ck_assert(strstr(body.data, "\"runtime\\/dropped_messages\":0"));
    act_buf_reset(&body);
    ck_assert_int_eq(tu_http_get(act_port(), "/__actors__", &body), 200);
    ck_assert(strstr(body.data, "\"id\":\"web\""));
    ck_assert(strstr(body.data, "\"mailbox\":"));
    act_buf_free(&body);
    act_shutdown();
}
END_TEST

static void refresh_gauge(act_actor *self, void *arg)
{
    web *w = act_state(self);
    act_gauge_set(act_gauge_get("web/pings_seen"), (double)tu_counter_get(&w->pings) + 100);
}

START_TEST(test_metrics_collectors_refresh_gauges_before_the_snapshot)
{
    tu_runtime_start(2);
    spawn_web();
    act_pid web_pid;
    act_pid_make("web", 0x7f000001u, act_port(), &web_pid);
    act_metrics_add_collector(&web_pid, refresh_gauge);
    act_pid ghost = web_pid;
    strcpy(ghost.id, "ghost"); /* a collector whose actor is gone is skipped */
    act_metrics_add_collector(&ghost, refresh_gauge);
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/metrics/snapshot", &body), 200);
    ck_assert(strstr(body.data, "\"web\\/pings_seen\":100"));
    act_buf_free(&body);
    act_shutdown();
}
END_TEST

START_TEST(test_pipelined_requests_are_answered_in_order)
{
    tu_runtime_start(1);
    spawn_web();
    int fd = tu_connect(act_port());
    ck_assert_int_ge(fd, 0);
    static const char two[] = "GET /web/hello?who=1 HTTP/1.1\r\n\r\n"
                              "GET /web/hello?who=2 HTTP/1.1\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(write(fd, two, sizeof two - 1), (ssize_t)(sizeof two - 1));
    act_buf all = {0};
    ck_assert(tu_read_until_closed(fd, &all));
    char *first = strstr(all.data, "\"who\":\"1\""), *second = strstr(all.data, "\"who\":\"2\"");
    ck_assert(first && second && first < second);
    act_buf_free(&all);
    close(fd);
    act_shutdown();
}
END_TEST

/* Plain message POSTs skip http_parser (transport.c's fast path); one with a Connection
 * header, one cut in its head and one with a control byte go through it, in the same
 * stream, and everything is answered and delivered in order. */
START_TEST(test_plain_and_parsed_requests_mix_in_one_stream)
{
    tu_runtime_start(1);
    web *w = spawn_web();
    int fd = tu_connect(act_port());
    ck_assert_int_ge(fd, 0);
    static const char first[] =
        "POST /web/ping HTTP/1.1\r\nContent-Length: 3\r\n\r\none"
        "POST /web/ping HTTP/1.1\r\nConnection: Keep-Alive\r\nContent-Length: 3\r\n\r\ntwo"
        "POST /web/ping HTTP/1.1\r\nUser-Agent: t\r\nContent-Length: 5\r\n\r\nthree"
        "POST /web/ping HTTP/1.1\r\nConte";
    ck_assert_int_eq(write(fd, first, sizeof first - 1), (ssize_t)(sizeof first - 1));
    ck_assert(tu_counter_wait(&w->pings, 3, 10));
    ck_assert_str_eq(w->last_body, "three");
    static const char rest[] = "nt-Length: 4\r\n\r\nfour"
                               "POST /web/ping HTTP/1.1\r\nX-Bad: a\x01z\r\nContent-Length: 1\r\n\r\nx";
    ck_assert_int_eq(write(fd, rest, sizeof rest - 1), (ssize_t)(sizeof rest - 1));
    act_buf all = {0};
    ck_assert(tu_read_until_closed(fd, &all));
    const char *p = all.data;
    for (int i = 0; i < 4; i++) {
        ck_assert_msg(strncmp(p, "HTTP/1.1 202", 12) == 0, "answer %d: %s", i, p);
        p = strstr(p, "\r\n\r\n") + 4;
    }
    ck_assert(strncmp(p, "HTTP/1.1 400", 12) == 0);
    ck_assert(tu_counter_wait(&w->pings, 4, 10));
    ck_assert_str_eq(w->last_body, "four");
    ck_assert_int_eq(tu_counter_get(&w->pings), 4); /* "x" came with the bad header */
    act_buf_free(&all);
    close(fd);
    act_shutdown();
}
END_TEST

/* ---- the fast path held against http_parser ---------------------------------------------- */

/* transport.c, test builds: set, every request goes through http_parser; the count is of the
 * requests its fast path took. */
extern bool act__transport_parser_only;
extern uint64_t act__transport_fast_requests;

/* What the "seen" actor was handed, one line per message or request. */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static act_buf seen_log;

static void on_seen_message(act_actor *self, const act_msg *m)
{
    char from[ACT_PID_STRLEN];
    pthread_mutex_lock(&seen_mu);
    act_buf_printf(&seen_log, "msg %s from=%s type=%s lp=%d body=%zu:%.*s\n", m->name,
                   act_pid_format(&m->from, from, sizeof from),
                   m->content_type ? m->content_type : "-", m->libprocess, m->len,
                   (int)m->len, m->len ? (const char *)m->body : "");
    pthread_mutex_unlock(&seen_mu);
}

static const char *or_dash(const char *s) { return s ? s : "-"; }

static void on_seen_request(act_actor *self, act_http_req *req)
{
    size_t len;
    const uint8_t *body = act_http_body(req, &len);
    pthread_mutex_lock(&seen_mu);
    act_buf_printf(&seen_log, "req %s %s ua=%s a=%s b=%s te=%s body=%zu:%.*s\n",
                   act_http_method(req), act_http_url(req),
                   or_dash(act_http_header(req, "User-Agent")),
                   or_dash(act_http_header(req, "X-A")), or_dash(act_http_header(req, "X-B")),
                   or_dash(act_http_header(req, "Transfer-Encoding")), len, (int)len,
                   len ? (const char *)body : "");
    pthread_mutex_unlock(&seen_mu);
    act_http_respond_text(req, 200, "ok");
}

/* Sends what the runtime takes: it closes the connection on what it refuses. */
static void send_until_refused(int fd, const char *p, size_t n)
{
    for (ssize_t w; n && (w = send(fd, p, n, MSG_NOSIGNAL)) > 0; p += w, n -= (size_t)w) {}
}

/* Feeds `n` bytes on a new connection in two reads, cut after `split` (the second is sent
 * once the runtime has read the first, or has closed the connection), and puts into `out`
 * what was answered until the runtime closed it, then what the actor was handed. */
static void feed_stream(const char *bytes, size_t n, size_t split, act_buf *out)
{
    act_counter *received = act_counter_get("runtime/bytes_received");
    int fd = tu_connect(act_port());
    ck_assert_int_ge(fd, 0);
    uint64_t want = act_counter_value(received) + split;
    send_until_refused(fd, bytes, split);
    double deadline = tu_mono() + 10;
    struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
    const struct timespec tick = {.tv_nsec = 50000};
    while (act_counter_value(received) < want && ppoll(&pfd, 1, &tick, NULL) == 0)
        ck_assert_msg(tu_mono() < deadline, "the runtime did not read %zu bytes", split);
    send_until_refused(fd, bytes + split, n - split);
    tu_read_until_closed(fd, out);
    close(fd);
    /* The actor handles this after everything the stream delivered to it. */
    ck_assert_int_eq(tu_http_get(act_port(), "/seen/req?sync", NULL), 200);
    pthread_mutex_lock(&seen_mu);
    act_buf_printf(out, "\n--- seen:\n%s", seen_log.data ? seen_log.data : "");
    act_buf_reset(&seen_log);
    pthread_mutex_unlock(&seen_mu);
}

#define FROM "Libprocess-From: a@127.0.0.1:1\r\n"
#define PING(n, body) "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: " #n "\r\n\r\n" body
#define END "GET /seen/req?end HTTP/1.1\r\nConnection: close\r\n\r\n"

/* Byte streams, valid and hostile; each is cut at every `step`th byte. */
static const struct { const char *bytes; size_t len, step; } streams[] = {
#define S(text) {text, sizeof text - 1, 1}
    /* what the fast path takes: messages of ours, of libprocess and of protobuf peers, a
     * plain POST to a message endpoint, routes before and after */
    S(PING(3, "one") "POST /seen/ping HTTP/1.1\r\nContent-Length: 3\r\n\r\ntwo"
      "GET /seen/req?q=1 HTTP/1.1\r\nX-A: v\r\n\r\n"
      "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Type: application/x-protobuf\r\n"
      "Content-Length: 4\r\n\r\nfour"
      "POST /seen/ping HTTP/1.1\r\nUser-Agent: libprocess/a@127.0.0.1:1\r\n"
      "Content-Length: 0\r\n\r\n"
      "POST /seen/req HTTP/1.1\r\nX-A: a  b\r\nx-b:c\r\ncontent-length: 2\r\n\r\nhi"
      PING(64, "0123456789012345678901234567890123456789012345678901234567890123") END),
    /* what it leaves to http_parser, which takes it */
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: 003\r\nX-A: \xc3\xa9t\xc3\xa9\r\n"
      "X-B:\tt\r\n\r\nabc"
      "POST /seen/req HTTP/1.1\r\nX-A: folded\r\n  more\r\nContent-Length: 1\r\n\r\nz"
      "POST /seen/req HTTP/1.1\r\nX-A: trailing \r\nX-B:\r\nContent-Length: 1\r\n\r\nz"
      "POST /seen/req HTTP/1.1\nX-A: lf\nContent-Length: 1\n\nz"
      "POST /seen/req HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
      "POST /seen/req#frag HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
      "POST /seen/req?\xff=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
      "\r\nPOST /seen/ping HTTP/1.1\r\n" FROM "Connection: keep-alive\r\n"
      "Content-Length: 1\r\n\r\ny" END),
    /* what it must refuse as the parser does: each after a request it takes */
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: +3\r\n\r\nabc" END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: 3\r\n"
      "Content-Length: 4\r\n\r\nabcd" END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: 3\r\n"
      "Content-Length: 3\r\n\r\nabc" END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM
      "Content-Length: 99999999999999999999999\r\n\r\nabc" END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: 3 4\r\n\r\nabc" END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length : 3\r\n\r\nabc" END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: 3\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "X-A: a\0b\r\nContent-Length: 1\r\n\r\nx"
      END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "X-A: a\rb\r\nContent-Length: 1\r\n\r\nx"
      END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "X-A: \x7f\r\nContent-Length: 1\r\n\r\nx"
      END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: 65\r\n\r\nabc" END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.0\r\n" FROM "Content-Length: 1\r\n\r\nx"
      PING(2, "no") END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Connection: close\r\n"
      "Content-Length: 1\r\n\r\nx" PING(2, "no") END),
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Upgrade: websocket\r\n"
      "Content-Length: 1\r\n\r\nx" END),
    /* a body cut short: the request after it is read as the rest of the body */
    S(PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "Content-Length: 5\r\n\r\nabc" END),
#undef S
};

/* The same requests as above, too large to cut at every byte: 101 headers, a 70 kB head. */
static void big_streams(act_buf *many, act_buf *huge)
{
    act_buf_printf(many, PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM);
    for (int i = 0; i < 100; i++) act_buf_printf(many, "X-%d: v\r\n", i);
    act_buf_printf(many, "Content-Length: 1\r\n\r\nx" END);
    act_buf_printf(huge, PING(2, "ok") "POST /seen/ping HTTP/1.1\r\n" FROM "X-A: ");
    for (int i = 0; i < 7000; i++) act_buf_append(huge, "0123456789", 10);
    act_buf_printf(huge, "\r\nContent-Length: 1\r\n\r\nx" END);
}

/* What a stream does with the fast path, cut anywhere, is what it does through http_parser
 * alone in one read: the same answers on the connection and the same messages and requests,
 * header for header and byte for byte, handed to the actor. */
static void check_stream(int i, const char *bytes, size_t len, size_t step)
{
    act_buf want = {0}, got = {0};
    act__transport_parser_only = true;
    feed_stream(bytes, len, len, &want);
    act__transport_parser_only = false;
    for (size_t split = 0;; split = split + step < len ? split + step : len) {
        act_buf_reset(&got);
        feed_stream(bytes, len, split, &got);
        ck_assert_msg(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
                      "stream %d cut at %zu:\n%s\nthrough http_parser alone:\n%s", i, split,
                      got.data, want.data);
        if (split == len) break;
    }
    act_buf_free(&want);
    act_buf_free(&got);
}

START_TEST(test_fast_path_does_what_http_parser_does_at_every_cut)
{
    start_with_max_body(64);
    act_actor *a = act_new("seen", NULL);
    act_on_message(a, "ping", on_seen_message);
    act_route(a, "req", on_seen_request, "Records requests.");
    ck_assert_int_eq(act_spawn(a, 0), 0);
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        uint64_t fast = act__transport_fast_requests;
        check_stream((int)i, streams[i].bytes, streams[i].len, streams[i].step);
        ck_assert_msg(act__transport_fast_requests > fast, "stream %zu never took the fast path", i);
    }
    act_buf many = {0}, huge = {0};
    big_streams(&many, &huge);
    check_stream(100, many.data, many.len, 97);
    check_stream(101, huge.data, huge.len, 4093);
    act_buf_free(&many);
    act_buf_free(&huge);
    act_buf_free(&seen_log);
    act_shutdown();
}
END_TEST
#undef FROM
#undef PING
#undef END

/* The first "ping" waits (and holds its loop) until the test opens the gate. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static void on_gated_ping(act_actor *self, const act_msg *m)
{
    pthread_mutex_lock(&gate_mu);
    while (!gate_open) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    on_web_ping(self, m);
}

/* Ten whole messages in one read, to a connection allowed two waiting: the second throttles
 * the connection, and the eight after it wait in the transport (the fast path stops as the
 * parser does), so the connection is throttled once, not once per message. */
START_TEST(test_a_throttled_connection_stops_delivering_what_it_has_read)
{
    tu_runtime_start(2);
    act_set_max_queued_messages(2);
    static web w;
    memset(&w, 0, sizeof w);
    tu_counter_init(&w.pings);
    act_actor *a = act_new("gated", &w);
    act_on_message(a, "ping", on_gated_ping);
    ck_assert_int_eq(act_spawn(a, 1), 0);
    act_buf ten = {0};
    for (int i = 0; i < 10; i++)
        act_buf_printf(&ten, "POST /gated/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:1\r\n"
                       "Content-Length: 1\r\n\r\n%d", i);
    int fd = tu_connect(act_port());
    ck_assert(tu_write_all(fd, ten.data, ten.len));
    act_counter *throttles = act_counter_get("runtime/connections_throttled");
    ck_assert_msg(tu_wait_metric(act_port(), "runtime/connections_throttled", 1, 10),
                  "the connection was never throttled");
    /* loop 0 answers this once it is done with the read that throttled */
    ck_assert_int_eq(tu_http_get(act_port(), "/nobody/here", NULL), 404);
    ck_assert_int_eq(act_counter_value(throttles), 1);
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    ck_assert(tu_counter_wait(&w.pings, 10, 10));
    ck_assert_str_eq(w.last_body, "9");
    close(fd);
    act_buf_free(&ten);
    act_shutdown();
}
END_TEST

START_TEST(test_trace_streams_message_events_while_watched)
{
    tu_runtime_start(1);
    web *w = spawn_web();
    int fd = tu_connect(act_port());
    static const char req[] = "GET /__trace__?name=ping HTTP/1.1\r\n\r\n";
    ck_assert_int_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    act_buf in = {0};
    char buf[4096];
    /* the head arrives first; only then is the watcher surely installed */
    while (!in.data || !strstr(in.data, "\r\n\r\n")) {
        ssize_t r = read(fd, buf, sizeof buf);
        ck_assert_int_gt(r, 0);
        act_buf_append(&in, buf, (size_t)r);
    }
    ck_assert(strstr(in.data, "Transfer-Encoding: chunked"));
    act_pid web_pid;
    act_pid_make("web", 0x7f000001u, act_port(), &web_pid);
    act_send(NULL, &web_pid, "ping", "12345", 5);
    ck_assert(tu_counter_wait(&w->pings, 1, 10));
    while (!strstr(in.data, "\"name\":\"ping\"")) {
        ssize_t r = read(fd, buf, sizeof buf);
        ck_assert_int_gt(r, 0);
        act_buf_append(&in, buf, (size_t)r);
    }
    ck_assert(strstr(in.data, "\"to\":\"web@127.0.0.1:"));
    ck_assert(strstr(in.data, "\"size\":5"));
    act_buf_free(&in);
    close(fd);
    act_shutdown();
}
END_TEST

/* ---- hostile input ----------------------------------------------------------------------- */

START_TEST(test_malformed_http_gets_400_and_close)
{
    tu_runtime_start(1);
    spawn_web();
    int fd = tu_connect(act_port());
    static const char junk[] = "\x01\x02garbage that is not HTTP\r\n\r\n";
    ck_assert_int_eq(write(fd, junk, sizeof junk - 1), (ssize_t)(sizeof junk - 1));
    act_buf out = {0};
    ck_assert(tu_read_until_closed(fd, &out));
    ck_assert(strncmp(out.data, "HTTP/1.1 400", 12) == 0);
    act_buf_free(&out);
    close(fd);
    /* still serving */
    ck_assert_int_eq(tu_http_get(act_port(), "/web/hello", NULL), 200);
    act_shutdown();
}
END_TEST

START_TEST(test_oversized_body_closes_the_connection)
{
    start_with_max_body(1024);
    web *w = spawn_web();
    int fd = tu_connect(act_port());
    static const char head[] = "POST /web/ping HTTP/1.1\r\nLibprocess-From: x@127.0.0.1:1\r\n"
                               "Content-Length: 4096\r\n\r\n";
    ck_assert_int_eq(write(fd, head, sizeof head - 1), (ssize_t)(sizeof head - 1));
    ck_assert(tu_read_until_closed(fd, NULL));
    close(fd);
    /* chunked bodies are limited too */
    fd = tu_connect(act_port());
    static const char chunked[] = "POST /web/ping HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    ck_assert_int_eq(write(fd, chunked, sizeof chunked - 1), (ssize_t)(sizeof chunked - 1));
    char blob[700];
    memset(blob, 'x', sizeof blob);
    for (int i = 0; i < 2; i++) {
        dprintf(fd, "%zx\r\n", sizeof blob);
        ck_assert_int_eq(write(fd, blob, sizeof blob), (ssize_t)sizeof blob);
        dprintf(fd, "\r\n");
    }
    ck_assert(tu_read_until_closed(fd, NULL));
    close(fd);
    ck_assert_uint_eq(tu_counter_get(&w->pings), 0);
    ck_assert_int_eq(tu_http_get(act_port(), "/web/hello", NULL), 200);
    act_shutdown();
}
END_TEST

START_TEST(test_messages_to_unknown_actors_over_the_network_are_counted)
{
    tu_runtime_start(1);
    spawn_web();
    int fd = tu_connect(act_port());
    static const char msgs[] =
        "POST /ghost/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:9\r\nContent-Length: 0\r\n\r\n"
        "POST /web HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:9\r\nContent-Length: 0\r\n\r\n"
        "POST /web/ping HTTP/1.1\r\nLibprocess-From: not-a-pid\r\nContent-Length: 0\r\n\r\n"
        "GET /web/hello HTTP/1.1\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(write(fd, msgs, sizeof msgs - 1), (ssize_t)(sizeof msgs - 1));
    act_buf out = {0};
    ck_assert(tu_read_until_closed(fd, &out));
    /* messages get no response: the only answer is the GET's */
    ck_assert(strncmp(out.data, "HTTP/1.1 200", 12) == 0);
    ck_assert_ptr_null(strstr(out.data + 12, "HTTP/1.1"));
    ck_assert_uint_eq(act_counter_value(act_counter_get("runtime/dropped_messages")), 3);
    act_buf_free(&out);
    close(fd);
    act_shutdown();
}
END_TEST

/* ---- two processes ----------------------------------------------------------------------- */

#define CROSS_N 100000

typedef struct sink_state {
    uint64_t next, bad;
    act_pid reply_to;
} sink_state;

static void sink_seq(act_actor *self, const act_msg *m)
{
    sink_state *s = act_state(self);
    uint64_t seq = UINT64_MAX;
    if (m->len == sizeof seq) memcpy(&seq, m->body, sizeof seq);
    if (seq != s->next) s->bad++;
    s->next = seq + 1;
    if (s->next == CROSS_N) {
        uint64_t report[2] = {s->next, s->bad};
        act_send(self, &m->from, "report", report, sizeof report);
    }
}

/* The child process: a sink that checks order and reports; prints its port on `fd`. */
static void run_sink_process(int fd)
{
    act_config c;
    act_config_default(&c);
    c.ip = "127.0.0.1";
    c.port = 0;
    if (act_init(&c) != 0) _exit(2);
    static sink_state s;
    act_actor *a = act_new("sink", &s);
    act_on_message(a, "seq", sink_seq);
    act_spawn(a, 0);
    uint16_t port = act_port();
    if (write(fd, &port, sizeof port) != sizeof port) _exit(3);
    close(fd);
    act_run();
    _exit(0);
}

static pid_t fork_sink(uint16_t *port)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(p[0]);
        run_sink_process(p[1]);
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], port, sizeof *port), (ssize_t)sizeof *port);
    close(p[0]);
    return child;
}

typedef struct source_state {
    tu_counter reports, exited;
    uint64_t received, bad;
    char exited_id[ACT_ID_MAX];
} source_state;

static void source_report(act_actor *self, const act_msg *m)
{
    source_state *s = act_state(self);
    uint64_t report[2];
    ck_assert_uint_eq(m->len, sizeof report);
    memcpy(report, m->body, sizeof report);
    s->received = report[0];
    s->bad = report[1];
    tu_counter_add(&s->reports, 1);
}

static void source_exited(act_actor *self, const act_pid *pid)
{
    source_state *s = act_state(self);
    snprintf(s->exited_id, sizeof s->exited_id, "%s", pid->id);
    tu_counter_add(&s->exited, 1);
}

static act_pid sink_pid;

static void source_go(act_actor *self, void *arg)
{
    if (!self) return;
    act_link(self, &sink_pid);
    for (uint64_t i = 0; i < CROSS_N; i++) act_send(self, &sink_pid, "seq", &i, sizeof i);
}

/* The sink in a child process, and "source" here (reports and exits counted in s), which runs
 * `go`. Returns the child. */
static pid_t start_source(source_state *s, act_fn go)
{
    uint16_t port;
    pid_t child = fork_sink(&port);
    tu_runtime_start(1);
    memset(s, 0, sizeof *s);
    tu_counter_init(&s->reports);
    tu_counter_init(&s->exited);
    act_actor *a = act_new("source", s);
    act_on_message(a, "report", source_report);
    act_on_exited(a, source_exited);
    act_pid src = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    act_pid_make("sink", 0x7f000001u, port, &sink_pid);
    act_dispatch(&src, go, NULL);
    return child;
}

START_TEST(test_two_processes_exchange_100k_messages_in_order_and_see_exits)
{
    static source_state s;
    pid_t child = start_source(&s, source_go);
    ck_assert_msg(tu_counter_wait(&s.reports, 1, 120), "the sink never reported");
    ck_assert_uint_eq(s.received, CROSS_N);
    ck_assert_uint_eq(s.bad, 0);
    ck_assert_uint_eq(tu_counter_get(&s.exited), 0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    ck_assert_msg(tu_counter_wait(&s.exited, 1, 20), "no exited event after the kill");
    ck_assert_str_eq(s.exited_id, "sink");
    act_shutdown();
}
END_TEST

/* A master links each of thousands of slaves behind one address (mesos-fleet): each link,
 * made twice or not, is told once when the connection breaks. */
#define MANY_LINKS 5000

static void link_many(act_actor *self, void *arg)
{
    if (!self) return;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < MANY_LINKS; i++) {
            act_pid p;
            char id[32];
            snprintf(id, sizeof id, "slave(%d)", i + 1);
            act_pid_make(id, 0x7f000001u, sink_pid.port, &p);
            act_link(self, &p);
        }
    act_send(self, &sink_pid, "seq", &(uint64_t){0}, sizeof(uint64_t)); /* connected */
}

START_TEST(test_many_links_behind_one_address_are_each_told_once)
{
    static source_state s;
    pid_t child = start_source(&s, link_many);
    ck_assert(tu_wait_http(act_port(), "/__actors__", 10));
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    ck_assert_msg(tu_counter_wait(&s.exited, MANY_LINKS, 30), "only %llu exited events",
                  (unsigned long long)tu_counter_get(&s.exited));
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&s.exited), MANY_LINKS);
    act_shutdown();
}
END_TEST

START_TEST(test_link_to_an_address_nobody_listens_on_reports_exited)
{
    tu_runtime_start(1);
    static source_state s;
    memset(&s, 0, sizeof s);
    tu_counter_init(&s.exited);
    tu_counter_init(&s.reports);
    act_actor *a = act_new("source", &s);
    act_on_exited(a, source_exited);
    act_pid src = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    act_pid_make("nobody", 0x7f000001u, 1, &sink_pid); /* port 1: refused on loopback */
    act_dispatch(&src, source_go, NULL);
    ck_assert(tu_counter_wait(&s.exited, 1, 20));
    ck_assert_str_eq(s.exited_id, "nobody");
    /* a later send reconnects (and fails again) without harm */
    act_send(NULL, &sink_pid, "seq", NULL, 0);
    ck_assert_int_eq(tu_http_get(act_port(), "/__actors__", NULL), 200);
    act_shutdown();
}
END_TEST

/* ---- output chunks kept for reuse ------------------------------------------------------- */

extern _Atomic size_t act__transport_spares;

#define SPARE_MSGS 300
#define SPARE_KEPT 100 /* at least: the kernel takes some 50 chunks of what is queued here, and
                        * could take up to 200 with far larger socket buffers than the usual */
#define SPARE_BODY 60000 /* with its head, one 64 kB output chunk a message */

/* Reads n messages (heads with a Content-Length, and their bodies) from fd. */
static void read_messages(int fd, int n)
{
    act_buf in = {0};
    size_t at = 0; /* where the next message starts in `in` */
    char buf[65536];
    while (n > 0) {
        const char *p = in.data + at;
        const char *end = in.len > at ? memmem(p, in.len - at, "\r\n\r\n", 4) : NULL;
        const char *cl = end ? memmem(p, (size_t)(end - p), "Content-Length: ", 16) : NULL;
        size_t len = cl ? (size_t)(end + 4 - p) + strtoul(cl + 16, NULL, 10) : SIZE_MAX;
        if (in.len - at >= len) {
            at += len;
            n--;
            continue;
        }
        ssize_t r = read(fd, buf, sizeof buf);
        ck_assert_msg(r > 0, "the connection ended with %d messages to go", n);
        act_buf_append(&in, buf, (size_t)r);
    }
    ck_assert_uint_eq(in.len, at);
    act_buf_free(&in);
}

/* Waits up to 10 s of real time for act__transport_spares to be within [lo, hi]: loop 0 takes
 * a chunk back after the socket took the last of it, which may be after the peer read it. */
static size_t wait_spares(size_t lo, size_t hi)
{
    size_t n;
    double deadline = tu_mono() + 10;
    while (((n = atomic_load_explicit(&act__transport_spares, memory_order_relaxed)) < lo ||
            n > hi) && tu_mono() < deadline)
        usleep(1000);
    return n;
}

/* A peer that reads nothing for a while: the chunks of output queued for it, far more than the
 * 8 that used to be kept, are kept for the next burst once written. After two windows of the
 * runtime clock without output (SPARE_WINDOW, 1 s), a little output takes them back to 8. */
START_TEST(test_written_output_chunks_are_kept_as_many_as_were_queued_lately)
{
    act_clock_pause();
    tu_runtime_start(1);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096; /* inherited by the accepted socket: the kernel holds little unread */
    setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
    socklen_t sl = sizeof sa;
    ck_assert(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 1) == 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
    act_pid peer;
    act_pid_make("peer", 0x7f000001u, ntohs(sa.sin_port), &peer);
    static char body[SPARE_BODY];
    memset(body, 'x', sizeof body);
    for (int i = 0; i < SPARE_MSGS; i++) act_send(NULL, &peer, "blob", body, sizeof body);
    ck_assert_int_eq(act_clock_settle(), 0); /* all queued, most of it unwritten */
    int fd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    read_messages(fd, SPARE_MSGS);
    size_t kept = wait_spares(SPARE_KEPT, SIZE_MAX);
    ck_assert_msg(kept >= SPARE_KEPT, "%zu chunks kept", kept);
    /* Two windows later, a little output: what the last window needed is kept, no more. */
    act_clock_advance(2.5);
    act_send(NULL, &peer, "blob", body, 10);
    read_messages(fd, 1);
    kept = wait_spares(0, 8);
    ck_assert_msg(kept <= 8, "%zu chunks kept", kept);
    close(fd);
    close(lfd);
    act_shutdown();
    act_clock_resume();
}
END_TEST

Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("routes");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_routes_answer_and_unknown_paths_get_404);
    tcase_add_test(tc, test_default_actor_answers_short_paths_and_jsonp_wraps);
    tcase_add_test(tc, test_help_lists_routes_with_their_help);
    tcase_add_test(tc, test_plain_post_to_a_message_endpoint_is_accepted);
    tcase_add_test(tc, test_metrics_snapshot_and_actors_are_json);
    tcase_add_test(tc, test_metrics_collectors_refresh_gauges_before_the_snapshot);
    tcase_add_test(tc, test_pipelined_requests_are_answered_in_order);
    tcase_add_test(tc, test_plain_and_parsed_requests_mix_in_one_stream);
    tcase_add_test(tc, test_fast_path_does_what_http_parser_does_at_every_cut);
    tcase_add_test(tc, test_a_throttled_connection_stops_delivering_what_it_has_read);
    tcase_add_test(tc, test_trace_streams_message_events_while_watched);
    tcase_add_test(tc, test_malformed_http_gets_400_and_close);
    tcase_add_test(tc, test_oversized_body_closes_the_connection);
    tcase_add_test(tc, test_messages_to_unknown_actors_over_the_network_are_counted);
    suite_add_tcase(s, tc);
    return s;
}

Suite *remote_suite(void)
{
    Suite *s = suite_create("remote");
    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_two_processes_exchange_100k_messages_in_order_and_see_exits);
    tcase_add_test(tc, test_link_to_an_address_nobody_listens_on_reports_exited);
    tcase_add_test(tc, test_many_links_behind_one_address_are_each_told_once);
    tcase_add_test(tc, test_written_output_chunks_are_kept_as_many_as_were_queued_lately);
    suite_add_tcase(s, tc);
    return s;
}
