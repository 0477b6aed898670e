/*
 * test_recorder.c - trace contexts and the flight recorder, read as an operator reads them
 * (/__recorder__, /__trace__): a message sent while handling another inherits its trace, and
 * so do timers and dispatches made there; the context crosses the wire in the
 * Libprocess-Trace header and a message without one starts a trace; drops are events with
 * their reason; a full ring overwrites and counts; events read back whole however many
 * routes (sender, receiver, name) a ring has seen, and a ring past its table's size starts
 * a table over once it has turned; the tags of Mesos messages come from wire/.
 */
#include "actor/actor.h"
#include "actor/actor_int.h"
#include "tests/support/testutil.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- reading the recorder ---------------------------------------------------------------- */

/* GET /__recorder__ parsed (json_decref it). */
static json_t *recorder(void)
{
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/__recorder__", &body), 200);
    json_error_t err;
    json_t *root = json_loads(body.data, 0, &err);
    ck_assert_msg(root, "not JSON: %s", err.text);
    act_buf_free(&body);
    return root;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The first event of `kind` named `name` (and with that reason prefix, when given). */
static json_t *find(json_t *root, const char *kind, const char *name, const char *reason)
{
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(root, "events"), i, ev) {
        if (strcmp(str(ev, "kind"), kind) || strcmp(str(ev, "name"), name)) continue;
        if (reason && strncmp(str(ev, "reason"), reason, strlen(reason)) != 0) continue;
        return ev;
    }
    return NULL;
}

/* Polls the recorder until find() succeeds or `secs` pass; returns the root (decref it) and
 * the event in *out. */
static json_t *wait_event(const char *kind, const char *name, const char *reason, double secs,
                          json_t **out)
{
    for (double waited = 0;; waited += 0.02) {
        json_t *root = recorder();
        if ((*out = find(root, kind, name, reason)) || waited >= secs) return root;
        json_decref(root);
        usleep(20000);
    }
}

/* ---- actors that pass messages along ----------------------------------------------------- */

static tu_counter arrived;
static act_pid pid_b, pid_c;

static void on_start(act_actor *self, const act_msg *m) { act_send(self, &pid_b, "hop", "h", 1); }

static void send_late(act_actor *self, void *arg) { act_send(self, &pid_c, "late", NULL, 0); }

static void send_dispatched(act_actor *self, void *arg)
{
    if (self) act_send(self, &pid_c, "dispatched", NULL, 0);
}

static void on_hop(act_actor *self, const act_msg *m)
{
    act_send(self, &pid_c, "last", NULL, 0);
    act_delay(self, 5, send_late, NULL);
    act_dispatch(&pid_b, send_dispatched, NULL);
}

static void on_tick(act_actor *self, void *arg) { act_send(self, &pid_c, "tick", NULL, 0); }

static void b_init(act_actor *self, void *arg) { act_delay(self, 5, on_tick, NULL); }

static void on_any(act_actor *self, const act_msg *m) { tu_counter_add(&arrived, 1); }

static act_pid spawn(const char *name, const char *msg, act_msg_fn fn, act_fn init)
{
    act_actor *a = act_new(name, NULL);
    act_on_message(a, msg, fn);
    if (init) act_on_init(a, init, NULL);
    act_pid p = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    return p;
}

static void spawn_chain(void)
{
    tu_counter_init(&arrived);
    act_pid a = spawn("a", "start", on_start, NULL);
    pid_b = spawn("b", "hop", on_hop, b_init);
    act_actor *c = act_new("c", NULL);
    const char *names[] = {"last", "late", "dispatched", "tick"};
    for (size_t i = 0; i < 4; i++) act_on_message(c, names[i], on_any);
    pid_c = act_self(c);
    ck_assert_int_eq(act_spawn(c, 0), 0);
    act_send(NULL, &a, "start", NULL, 0);
}

START_TEST(test_a_message_sent_while_handling_another_inherits_its_trace)
{
    act_clock_pause();
    tu_runtime_start(1);
    spawn_chain();
    ck_assert(tu_counter_wait(&arrived, 2, 10)); /* last, dispatched */
    act_clock_advance(5);
    ck_assert(tu_counter_wait(&arrived, 4, 10)); /* late, tick */
    json_t *root = recorder();
    json_t *start = find(root, "send", "start", NULL), *hop = find(root, "send", "hop", NULL);
    json_t *last = find(root, "send", "last", NULL), *late = find(root, "send", "late", NULL);
    json_t *disp = find(root, "send", "dispatched", NULL), *tick = find(root, "send", "tick", NULL);
    ck_assert(start && hop && last && late && disp && tick);
    /* a foreign thread's message starts a trace: its span is the trace */
    ck_assert_str_eq(str(start, "trace"), str(start, "span"));
    ck_assert_str_eq(str(start, "parent"), "0000000000000000");
    ck_assert_str_eq(str(hop, "trace"), str(start, "trace"));
    ck_assert_str_eq(str(hop, "parent"), str(start, "span"));
    /* the handler's own send, its timer and its dispatch all descend from the hop */
    json_t *kids[] = {last, late, disp};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(str(kids[i], "trace"), str(start, "trace"));
        ck_assert_str_eq(str(kids[i], "parent"), str(hop, "span"));
    }
    /* a timer armed in init belongs to nothing: its message starts a trace of its own */
    ck_assert_str_ne(str(tick, "trace"), str(start, "trace"));
    ck_assert_str_eq(str(tick, "parent"), "0000000000000000");
    /* each message is received under the span it was sent with */
    json_t *got = find(root, "receive", "hop", NULL);
    ck_assert(got);
    ck_assert_str_eq(str(got, "span"), str(hop, "span"));
    ck_assert(strstr(str(got, "to"), "b@127.0.0.1:"));
    ck_assert(json_integer_value(json_object_get(got, "seq")) >
              json_integer_value(json_object_get(hop, "seq")));
    json_decref(root);
    act_shutdown();
}
END_TEST

/* ---- across the wire --------------------------------------------------------------------- */

static act_pid peer;

static void on_in(act_actor *self, const act_msg *m) { act_send(self, &peer, "out", "o", 1); }

/* A listening socket on a free loopback port. */
static int listen_any(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
    ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 4) == 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void post_in(const char *trace_header)
{
    char req[512];
    int n = snprintf(req, sizeof req, "POST /fwd/in HTTP/1.1\r\nLibprocess-From: "
                     "tester@127.0.0.1:1\r\n%sContent-Length: 0\r\n\r\n", trace_header);
    int fd = tu_connect(act_port());
    ck_assert(tu_write_all(fd, req, (size_t)n));
    close(fd);
}

/* Reads from fd until the text contains `until`. */
static void read_until(int fd, act_buf *in, const char *until)
{
    char buf[4096];
    while (!in->data || !strstr(in->data, until)) {
        ssize_t r = read(fd, buf, sizeof buf);
        ck_assert_int_gt(r, 0);
        act_buf_append(in, buf, (size_t)r);
    }
}

/* The Libprocess-Trace text: 16 lower-case hex digits a number, every digit in its place. */
START_TEST(test_a_trace_context_is_written_as_hex_and_read_back)
{
    act_trace tc = {.trace = 0x0123456789abcdefull, .span = 0xfedcba9876543210ull, .parent = 0xa};
    char text[51];
    act__trace_format(&tc, text);
    ck_assert_str_eq(text, "0123456789abcdef/fedcba9876543210/000000000000000a");
    act_trace back;
    ck_assert(act__trace_parse(text, &back));
    ck_assert(back.trace == tc.trace && back.span == tc.span && back.parent == tc.parent);
    ck_assert(act__trace_parse("0123456789ABCDEF/FEDCBA9876543210/000000000000000A", &back));
    ck_assert(back.trace == tc.trace && back.span == tc.span && back.parent == tc.parent);
    ck_assert(!act__trace_parse("0123456789abcdeg/fedcba9876543210/000000000000000a", &back));
    /* every byte value, in every place: taken exactly when it is a hex digit, as its value */
    for (size_t at = 0; at < 50; at++) {
        if (at == 16 || at == 33) continue;
        for (int b = 1; b < 256; b++) {
            char one[51];
            memcpy(one, text, sizeof one);
            one[at] = (char)b;
            bool taken = act__trace_parse(one, &back);
            ck_assert_msg(taken == (isxdigit(b) != 0), "byte %d at %zu", b, at);
            if (!taken) continue;
            uint64_t want[3] = {tc.trace, tc.span, tc.parent}, digit = (uint64_t)(
                b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
            size_t n = at / 17, shift = 4 * (15 - at % 17);
            want[n] = (want[n] & ~(15ull << shift)) | digit << shift;
            ck_assert(back.trace == want[0] && back.span == want[1] && back.parent == want[2]);
        }
    }
    /* and numbers of every shape, upper case too */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 1000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        act_trace r = {.trace = x, .span = x * 3 | 1, .parent = x >> (i % 64)};
        act__trace_format(&r, text);
        if (i % 2)
            for (char *c = text; *c; c++) *c = (char)toupper((unsigned char)*c);
        ck_assert_msg(act__trace_parse(text, &back) && back.trace == r.trace &&
                          back.span == r.span && back.parent == r.parent, "%s", text);
    }
}
END_TEST

START_TEST(test_the_trace_context_travels_in_the_message_head)
{
    tu_runtime_start(1);
    uint16_t port;
    int lfd = listen_any(&port);
    act_pid_make("peer", 0x7f000001u, port, &peer);
    spawn("fwd", "in", on_in, NULL);
    post_in("Libprocess-Trace: 00000000000000aa/00000000000000bb/00000000000000cc\r\n");
    int fd = accept(lfd, NULL, NULL);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    act_buf in = {0};
    read_until(fd, &in, "\r\n\r\n");
    /* the forwarded message is a child of the one received: same trace, parent its span */
    const char *h = strstr(in.data, "Libprocess-Trace: 00000000000000aa/");
    ck_assert_msg(h, "%s", in.data);
    ck_assert(strncmp(h + strlen("Libprocess-Trace: 00000000000000aa/") + 16,
                      "/00000000000000bb\r\n", 19) == 0);
    /* a message from a peer that sends no context starts a trace where it arrives */
    post_in("");
    read_until(fd, &in, "POST /peer/out HTTP/1.1\r\nLibprocess-From: fwd@127.0.0.1");
    json_t *root = recorder(), *ev;
    size_t i, received = 0;
    json_array_foreach(json_object_get(root, "events"), i, ev) {
        if (strcmp(str(ev, "kind"), "receive") || strcmp(str(ev, "name"), "in")) continue;
        if (received++ == 0) {
            ck_assert_str_eq(str(ev, "trace"), "00000000000000aa");
            ck_assert_str_eq(str(ev, "parent"), "00000000000000cc");
        } else {
            ck_assert_str_eq(str(ev, "trace"), str(ev, "span"));
            ck_assert_str_eq(str(ev, "parent"), "0000000000000000");
        }
    }
    ck_assert_int_eq(received, 2);
    json_decref(root);
    act_buf_free(&in);
    close(fd);
    close(lfd);
    act_shutdown();
}
END_TEST

/* ---- drops ------------------------------------------------------------------------------- */

static act_filter_verdict drop_doomed(void *ctx, const act_filter_msg *m)
{
    return strcmp(m->name, "doomed") == 0 ? ACT_FILTER_DROP : ACT_FILTER_PASS;
}

START_TEST(test_drops_are_events_with_their_reason)
{
    tu_runtime_start(1);
    act_pid nobody, web, dead;
    act_pid web_self = spawn("web", "ping", on_any, NULL);
    act_pid_make("nobody", 0x7f000001u, act_port(), &nobody);
    act_pid_make("web", 0x7f000001u, act_port(), &web);
    ck_assert(act_pid_equal(&web, &web_self));
    act_pid_make("gone", 0x7f000001u, tu_free_port(), &dead);
    act_filter_add(drop_doomed, NULL);
    tu_counter_init(&arrived);
    act_send(NULL, &nobody, "hello", NULL, 0);
    act_send(NULL, &web, "unheard", NULL, 0);
    act_send(NULL, &web, "doomed", NULL, 0);
    act_send(NULL, &dead, "lost", "x", 1);
    json_t *ev, *root = wait_event("drop", "lost", NULL, 10, &ev);
    ck_assert_msg(ev, "no drop of the message to a dead peer");
    ck_assert(strstr(str(ev, "reason"), "connect") || strstr(str(ev, "reason"), "refused"));
    ck_assert_msg(strncmp(str(ev, "to"), "gone@127.0.0.1:", 15) == 0, "%s", str(ev, "to"));
    ck_assert(find(root, "drop", "hello", "no such actor"));
    ck_assert(find(root, "drop", "doomed", "dropped by a filter"));
    json_decref(root);
    /* "no handler" is found when the actor runs the message: wait for it */
    root = wait_event("drop", "unheard", "no handler", 10, &ev);
    ck_assert(ev);
    ck_assert(strstr(str(ev, "to"), "web@"));
    json_decref(root);
    act_shutdown();
}
END_TEST

/* Messages queued behind one larger than the sockets hold are still unsent when the peer goes
 * away: each one's drop names who sent it, to whom, and what. */
#define BIG (32u << 20)
#define NQUEUED 3

static void send_big_then_small(act_actor *self, void *arg)
{
    act_send(self, &peer, "big", arg, BIG);
    for (int i = 0; i < NQUEUED; i++) act_send(self, &peer, "queued", "q", 1);
}

/* The events named "queued" of `kind`, in order, into out (at most NQUEUED); how many. */
static size_t queued_events(json_t *root, const char *kind, json_t *out[NQUEUED])
{
    size_t i, n = 0;
    json_t *ev;
    json_array_foreach(json_object_get(root, "events"), i, ev)
        if (!strcmp(str(ev, "kind"), kind) && !strcmp(str(ev, "name"), "queued") && n < NQUEUED)
            out[n++] = ev;
    return n;
}

/* A big message then small ones to a peer that reads a little and hangs up: the small ones,
 * still queued, are dropped with their name, sender, receiver and the trace context each was
 * sent with (read back from its head for our own peers, kept beside it for libprocess'). */
static void queued_then_dropped(bool libprocess)
{
    tu_runtime_start(1);
    uint16_t port;
    int lfd = listen_any(&port);
    act_pid_make("peer", 0x7f000001u, port, &peer);
    if (libprocess) act__peer_heard(peer.ip, peer.port, true, NULL);
    act_pid talker = spawn("talker", "x", on_any, NULL);
    char *big = calloc(1, BIG);
    act_dispatch(&talker, send_big_then_small, big);
    int fd = accept(lfd, NULL, NULL);
    char some[4096];
    ssize_t got = read(fd, some, sizeof some - 1);
    ck_assert_int_gt(got, 0); /* the big one is on its way */
    some[got] = '\0';
    ck_assert_int_eq(strstr(some, "User-Agent: libprocess/") != NULL, libprocess);
    close(fd); /* with data unread: the sender sees the connection reset */
    json_t *root, *drops[NQUEUED], *sends[NQUEUED];
    for (double waited = 0;; waited += 0.02) {
        root = recorder();
        if (queued_events(root, "drop", drops) == NQUEUED || waited >= 10) break;
        json_decref(root);
        usleep(20000);
    }
    ck_assert_uint_eq(queued_events(root, "drop", drops), NQUEUED);
    ck_assert_uint_eq(queued_events(root, "send", sends), NQUEUED);
    char from[64], to[64];
    snprintf(from, sizeof from, "talker@127.0.0.1:%u", act_port());
    snprintf(to, sizeof to, "peer@127.0.0.1:%u", port);
    for (int i = 0; i < NQUEUED; i++) { /* dropped in the order they were sent */
        ck_assert_msg(strncmp(str(drops[i], "reason"), "connection lost", 15) == 0, "%s",
                      str(drops[i], "reason"));
        ck_assert_str_eq(str(drops[i], "from"), from);
        ck_assert_str_eq(str(drops[i], "to"), to);
        ck_assert_str_eq(str(drops[i], "trace"), str(sends[i], "trace"));
        ck_assert_str_eq(str(drops[i], "span"), str(sends[i], "span"));
        ck_assert_str_eq(str(drops[i], "parent"), str(sends[i], "parent"));
    }
    json_decref(root);
    free(big);
    close(lfd);
    act_shutdown();
}

START_TEST(test_messages_queued_to_a_peer_that_goes_away_are_dropped_with_their_names)
{
    queued_then_dropped(false);
}
END_TEST

START_TEST(test_messages_queued_to_a_libprocess_peer_that_goes_away_keep_their_trace)
{
    queued_then_dropped(true);
}
END_TEST

/* ---- bounds, switching off, watchers ----------------------------------------------------- */

static void flood(act_actor *self, void *arg)
{
    for (int i = 0; i < 100; i++) act_send(self, &pid_c, "last", NULL, 0);
}

static void start_with_recorder(long events)
{
    act_config c = tu_loopback_config();
    c.recorder_events = events;
    tu_runtime_start_config(&c);
}

/* A runtime recording `events` a loop where b runs `fn`, sending to c, which counts the
 * "last" messages; returns b once `arrivals` came. */
static act_pid run_b(long events, act_fn fn, int arrivals)
{
    start_with_recorder(events);
    tu_counter_init(&arrived);
    pid_c = spawn("c", "last", on_any, NULL);
    act_pid b = spawn("b", "nothing", on_any, NULL);
    act_dispatch(&b, fn, NULL);
    ck_assert(tu_counter_wait(&arrived, arrivals, 10));
    return b;
}

START_TEST(test_a_full_ring_keeps_the_newest_and_counts_the_overwritten)
{
    run_b(16, flood, 100);
    json_t *root = recorder();
    ck_assert_int_eq(json_integer_value(json_object_get(root, "capacity")), 16);
    ck_assert_int_ge(json_integer_value(json_object_get(root, "overwritten")), 200 - 16);
    json_t *events = json_object_get(root, "events");
    ck_assert_int_le(json_array_size(events), 16 + 256); /* the loop's ring, the foreign one */
    ck_assert_int_ge(json_array_size(events), 16);
    json_decref(root);
    /* ?since= and ?limit= narrow it down */
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/__recorder__?limit=3", &body), 200);
    root = json_loads(body.data, 0, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(root, "events")), 3);
    json_decref(root);
    act_buf_reset(&body);
    ck_assert_int_eq(tu_http_get(act_port(), "/__recorder__?since=x", &body), 400);
    act_buf_free(&body);
    act_shutdown();
}
END_TEST

/* More distinct routes (sender, receiver, name, reason) than a ring's table holds (4,096)
 * within one turn of the ring: the events past it keep theirs beside their slots, and all
 * read back whole. */
#define MANY_ROUTES 4200

static void send_many_names(act_actor *self, void *arg)
{
    char name[16];
    for (int i = 0; i < MANY_ROUTES; i++) {
        snprintf(name, sizeof name, "m%d", i);
        act_send(self, &pid_c, name, NULL, 0);
    }
    act_send(self, &pid_c, "last", NULL, 0);
}

START_TEST(test_events_of_more_routes_than_the_table_holds_read_back_whole)
{
    act_pid b = run_b(16384, send_many_names, 1); /* "last" comes after every m<i> */
    char from[ACT_PID_STRLEN], to[ACT_PID_STRLEN];
    act_pid_format(&b, from, sizeof from);
    act_pid_format(&pid_c, to, sizeof to);
    static bool sent[MANY_ROUTES], received[MANY_ROUTES], dropped[MANY_ROUTES];
    memset(sent, 0, sizeof sent);
    memset(received, 0, sizeof received);
    memset(dropped, 0, sizeof dropped);
    json_t *root = recorder();
    size_t k;
    json_t *ev;
    json_array_foreach(json_object_get(root, "events"), k, ev) {
        const char *name = str(ev, "name");
        char *end;
        long i = name[0] == 'm' ? strtol(name + 1, &end, 10) : -1;
        if (i < 0 || i >= MANY_ROUTES || *end) continue;
        ck_assert_str_eq(str(ev, "from"), from);
        ck_assert_str_eq(str(ev, "to"), to);
        const char *kind = str(ev, "kind");
        if (strcmp(kind, "send") == 0 || strcmp(kind, "receive") == 0) {
            ck_assert_str_eq(str(ev, "reason"), "");
            (kind[0] == 's' ? sent : received)[i] = true;
        } else {
            ck_assert_str_eq(str(ev, "kind"), "drop");
            ck_assert_str_eq(str(ev, "reason"), "no handler");
            dropped[i] = true;
        }
    }
    for (int i = 0; i < MANY_ROUTES; i++) ck_assert_msg(sent[i] && received[i] && dropped[i], "m%d", i);
    ck_assert_uint_gt(act__rec_spilled(), 0);
    json_decref(root);
    act_shutdown();
}
END_TEST

/* The same 8,400 routes through a ring of 64 events: each time the table in use fills, no
 * event left names a route of the other one, which starts over; so no route is ever kept
 * beside a slot (the table does not stay full for good), and the events read back whole. */
START_TEST(test_a_ring_past_its_table_starts_the_other_one_over_once_it_has_turned)
{
    act_pid b = run_b(64, send_many_names, 1);
    ck_assert_uint_eq(act__rec_spilled(), 0);
    char from[ACT_PID_STRLEN], to[ACT_PID_STRLEN];
    act_pid_format(&b, from, sizeof from);
    act_pid_format(&pid_c, to, sizeof to);
    json_t *root = recorder();
    size_t k, seen = 0;
    json_t *ev;
    bool last_dropped[MANY_ROUTES] = {false};
    json_array_foreach(json_object_get(root, "events"), k, ev) {
        const char *name = str(ev, "name"), *kind = str(ev, "kind");
        char *end;
        long i = name[0] == 'm' ? strtol(name + 1, &end, 10) : -1;
        if (i < 0 || i >= MANY_ROUTES || *end) continue;
        ck_assert_str_eq(str(ev, "from"), from);
        ck_assert_str_eq(str(ev, "to"), to);
        ck_assert_str_eq(str(ev, "reason"), strcmp(kind, "drop") == 0 ? "no handler" : "");
        if (strcmp(kind, "drop") == 0) last_dropped[i] = true;
        seen++;
    }
    ck_assert_uint_ge(seen, 32); /* the ring's last turn: the last names' receives and drops */
    ck_assert(last_dropped[MANY_ROUTES - 1]);
    json_decref(root);
    act_shutdown();
}
END_TEST

/* Names that differ in one byte, at every place a word compare could miss it (the first, the
 * last, across an eighth byte, inside a 16-byte step of a long one), or only in length, sent
 * one after another to one receiver, then again to others whose names differ so ("c", "cc",
 * "c2"): each event is compared in place with the route before it, and must not be taken for
 * it. */
static const char *const similar[] = {
    "abcdefgh", "abcdefgi", "abcdefghi", "abcdefg", "bbcdefgh", "ab", "ac", "a", "b",
    "abcdefghijklmnopq", "abcdefghijklmnopr", "abcdefghijklmnop", "abcdefghijklmnopqr",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN", "abcdefghijklmnopqrsTuvwxyzABCDEFGHIJKLMN",
    "abcdefghijklmnopqrstuvwxyzABCDEFGHiJKLMN"};
#define NSIMILAR (sizeof similar / sizeof similar[0])
static act_pid pid_cc, pid_c2; /* no such actors: the sends to them are dropped */

static const act_pid *similar_to(size_t i)
{
    return i % 3 == 0 ? &pid_c : i % 3 == 1 ? &pid_cc : &pid_c2;
}

static void send_similar(act_actor *self, void *arg)
{
    for (size_t i = 0; i < 3 * NSIMILAR; i++)
        act_send(self, similar_to(i / NSIMILAR), similar[i % NSIMILAR], NULL, 0);
    act_send(self, &pid_c, "last", NULL, 0);
}

START_TEST(test_routes_that_differ_in_one_byte_or_in_length_are_told_apart)
{
    start_with_recorder(0);
    tu_counter_init(&arrived);
    pid_c = spawn("c", "last", on_any, NULL);
    act_pid_make("cc", pid_c.ip, pid_c.port, &pid_cc);
    act_pid_make("c2", pid_c.ip, pid_c.port, &pid_c2);
    act_pid b = spawn("b", "nothing", on_any, NULL);
    act_dispatch(&b, send_similar, NULL);
    ck_assert(tu_counter_wait(&arrived, 1, 10));
    char from[ACT_PID_STRLEN];
    act_pid_format(&b, from, sizeof from);
    json_t *root = recorder();
    size_t k, sent = 0;
    json_t *ev;
    json_array_foreach(json_object_get(root, "events"), k, ev) {
        if (strcmp(str(ev, "kind"), "send") || strcmp(str(ev, "from"), from) ||
            sent == 3 * NSIMILAR)
            continue;
        char to[ACT_PID_STRLEN];
        act_pid_format(similar_to(sent / NSIMILAR), to, sizeof to);
        ck_assert_str_eq(str(ev, "name"), similar[sent % NSIMILAR]);
        ck_assert_str_eq(str(ev, "to"), to);
        sent++;
    }
    ck_assert_uint_eq(sent, 3 * NSIMILAR);
    json_decref(root);
    act_shutdown();
}
END_TEST

/* Routes that differ from the one before only in the sender's name, the content type (one of
 * them in one byte) or the receiver's port, one after another: an event sent or received is
 * matched against its ring's last route straight from its entry, addresses and lengths first,
 * and must not be taken for it on any of them. */
typedef struct route_case {
    int sender;        /* of senders[] */
    const char *ctype; /* NULL: the default */
    bool elsewhere;    /* to "c" at another port */
} route_case;
static const route_case route_cases[] = {
    {0, NULL, false}, {1, NULL, false}, {0, NULL, false}, {0, "application/json", false},
    {0, "application/jsoN", false}, {0, "application/json", false}, {0, NULL, false},
    {0, NULL, true}, {0, NULL, false}, {1, "application/jsoN", true},
    {1, "application/jsoN", false}, {1, "application/json", false}};
#define NROUTE_CASES (sizeof route_cases / sizeof route_cases[0])
static act_actor *senders[2]; /* "b1" and "b2", both on this loop */
static act_pid pid_c_elsewhere;

static void send_route_cases(act_actor *self, void *arg)
{
    for (size_t i = 0; i < NROUTE_CASES; i++) {
        const route_case *rc = &route_cases[i];
        act_send_as(senders[rc->sender], rc->elsewhere ? &pid_c_elsewhere : &pid_c, "m", "x", 1,
                    rc->ctype);
    }
    act_send(self, &pid_c, "last", NULL, 0);
}

START_TEST(test_routes_that_differ_in_one_sender_content_type_or_port_are_told_apart)
{
    start_with_recorder(0);
    tu_counter_init(&arrived);
    act_actor *c = act_new("c", NULL);
    act_on_message(c, "m", on_any);
    act_on_message(c, "last", on_any);
    pid_c = act_self(c);
    ck_assert_int_eq(act_spawn(c, 0), 0);
    act_pid_make("c", pid_c.ip, tu_free_port(), &pid_c_elsewhere);
    const char *names[2] = {"b1", "b2"};
    char from[2][ACT_PID_STRLEN];
    for (int k = 0; k < 2; k++) {
        senders[k] = act_new(names[k], NULL);
        act_pid p = act_self(senders[k]);
        act_pid_format(&p, from[k], sizeof from[k]);
        ck_assert_int_eq(act_spawn(senders[k], 0), 0);
    }
    act_pid b1 = act_self(senders[0]);
    act_dispatch(&b1, send_route_cases, NULL);
    int here_cases = 1; /* and "last" */
    for (size_t i = 0; i < NROUTE_CASES; i++) here_cases += !route_cases[i].elsewhere;
    ck_assert(tu_counter_wait(&arrived, here_cases, 10));
    char here[ACT_PID_STRLEN], elsewhere[ACT_PID_STRLEN];
    act_pid_format(&pid_c, here, sizeof here);
    act_pid_format(&pid_c_elsewhere, elsewhere, sizeof elsewhere);
    json_t *root = recorder();
    size_t k, sent = 0;
    json_t *ev;
    json_array_foreach(json_object_get(root, "events"), k, ev) {
        if (strcmp(str(ev, "kind"), "send") || strcmp(str(ev, "name"), "m")) continue;
        ck_assert_uint_lt(sent, NROUTE_CASES);
        const route_case *rc = &route_cases[sent++];
        ck_assert_str_eq(str(ev, "from"), from[rc->sender]);
        ck_assert_str_eq(str(ev, "to"), rc->elsewhere ? elsewhere : here);
        ck_assert_str_eq(str(ev, "content_type"), rc->ctype ? rc->ctype : "");
    }
    ck_assert_uint_eq(sent, NROUTE_CASES);
    json_decref(root);
    act_shutdown();
}
END_TEST

/* A message its receiver has no handler for is sent, received and dropped, three times, all
 * on one loop, each sent after the drop of the one before (b sends the next from a timer, once
 * c ran): the drop's route is the others' plus a reason, and its ring's last route when the
 * next is sent. Sent and received events are matched against that last route straight from
 * their entries, and must not take the reason for theirs (nor a drop lose it). */
#define NUNHEARD 3
static int unheard_sent;

static void send_unheard(act_actor *self, void *arg)
{
    if (unheard_sent++ == NUNHEARD) {
        act_send(self, &pid_c, "last", NULL, 0);
        return;
    }
    act_send(self, &pid_c, "unheard", "x", 1);
    act_delay(self, 0.001, send_unheard, NULL);
}

START_TEST(test_a_route_that_differs_from_the_last_only_in_a_reason_is_told_apart)
{
    start_with_recorder(0);
    tu_counter_init(&arrived);
    unheard_sent = 0;
    pid_c = spawn("c", "last", on_any, NULL);
    act_pid b = spawn("b", "nothing", on_any, NULL);
    act_dispatch(&b, send_unheard, NULL);
    ck_assert(tu_counter_wait(&arrived, 1, 10)); /* "last" came after the drops */
    char from[ACT_PID_STRLEN], to[ACT_PID_STRLEN];
    act_pid_format(&b, from, sizeof from);
    act_pid_format(&pid_c, to, sizeof to);
    json_t *root = recorder();
    size_t k, sent = 0, received = 0, dropped = 0;
    json_t *ev;
    json_array_foreach(json_object_get(root, "events"), k, ev) {
        if (strcmp(str(ev, "name"), "unheard")) continue;
        const char *kind = str(ev, "kind");
        ck_assert_str_eq(str(ev, "from"), from);
        ck_assert_str_eq(str(ev, "to"), to);
        ck_assert_str_eq(str(ev, "reason"), strcmp(kind, "drop") ? "" : "no handler");
        sent += strcmp(kind, "send") == 0;
        received += strcmp(kind, "receive") == 0;
        dropped += strcmp(kind, "drop") == 0;
    }
    ck_assert_uint_eq(sent, NUNHEARD);
    ck_assert_uint_eq(received, NUNHEARD);
    ck_assert_uint_eq(dropped, NUNHEARD);
    json_decref(root);
    act_shutdown();
}
END_TEST

/* Names longer than a route keeps (111 bytes) are kept cut, so two that differ only past the
 * cut read back the same, and one that differs before it reads back as itself; and a run of
 * events of such a name still matches its ring's last route in place, as a run of short names
 * does (the route is not looked up in the table for each). */
#define CUT_KEEP 111
static char long_names[3][140]; /* 130 bytes; [1] differs from [0] past the cut, [2] before */
static uint64_t run_lookups;

static void send_long_names(act_actor *self, void *arg)
{
    act_send(self, &pid_c, long_names[0], NULL, 0);
    uint64_t before = act__rec_route_lookups();
    for (int i = 0; i < 100; i++) act_send(self, &pid_c, long_names[0], NULL, 0);
    run_lookups = act__rec_route_lookups() - before;
    act_send(self, &pid_c, long_names[1], NULL, 0);
    act_send(self, &pid_c, long_names[2], NULL, 0);
    act_send(self, &pid_c, "last", NULL, 0);
}

START_TEST(test_names_past_what_a_route_keeps_read_back_cut_and_still_run)
{
    for (int k = 0; k < 3; k++) {
        memset(long_names[k], 'n', 130);
        long_names[k][130] = '\0';
    }
    long_names[1][CUT_KEEP + 9] = 'x';
    long_names[2][50] = 'x';
    start_with_recorder(0);
    tu_counter_init(&arrived);
    act_actor *c = act_new("c", NULL);
    for (int k = 0; k < 3; k++) act_on_message(c, long_names[k], on_any);
    act_on_message(c, "last", on_any);
    pid_c = act_self(c);
    ck_assert_int_eq(act_spawn(c, 0), 0);
    act_pid b = spawn("b", "nothing", on_any, NULL);
    act_dispatch(&b, send_long_names, NULL);
    ck_assert(tu_counter_wait(&arrived, 101 + 2 + 1, 10));
    ck_assert_uint_eq(run_lookups, 0); /* each send and receive matched the one before */
    json_t *root = recorder();
    size_t k, sent = 0;
    json_t *ev;
    const char *want[] = {long_names[0], long_names[1], long_names[2]};
    json_array_foreach(json_object_get(root, "events"), k, ev) {
        const char *name = str(ev, "name");
        if (strcmp(str(ev, "kind"), "send") || name[0] != 'n') continue;
        const char *w = want[sent < 101 ? 0 : sent - 100];
        ck_assert_uint_eq(strlen(name), CUT_KEEP);
        ck_assert_msg(strncmp(name, w, CUT_KEEP) == 0, "send %zu: %s", sent, name);
        sent++;
    }
    ck_assert_uint_eq(sent, 103);
    json_decref(root);
    act_shutdown();
}
END_TEST

/* "body":"<base64 of p[0, n)>", a bit at a time. */
static void base64_reference(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *q = out + sprintf(out, "\"body\":\"");
    for (size_t bit = 0; bit < 8 * n; bit += 6) {
        int v = 0;
        for (size_t k = bit; k < bit + 6; k++)
            v = v << 1 | (k < 8 * n ? p[k / 8] >> (7 - k % 8) & 1 : 0);
        *q++ = digits[v];
    }
    while ((q - out - 8) % 4) *q++ = '=';
    strcpy(q, "\"");
}

START_TEST(test_switched_off_it_records_only_while_watched_and_bodies_on_request)
{
    start_with_recorder(-1);
    tu_counter_init(&arrived);
    act_pid web = spawn("web", "ping", on_any, NULL);
    act_send(NULL, &web, "ping", "12345", 5);
    ck_assert(tu_counter_wait(&arrived, 1, 10));
    json_t *root = recorder();
    ck_assert_int_eq(json_integer_value(json_object_get(root, "capacity")), 0);
    ck_assert_int_eq(json_array_size(json_object_get(root, "events")), 0);
    json_decref(root);
    int fd = tu_connect(act_port());
    static const char req[] = "GET /__trace__?name=ping&bodies=1 HTTP/1.1\r\n\r\n";
    ck_assert(tu_write_all(fd, req, sizeof req - 1));
    act_buf in = {0};
    read_until(fd, &in, "\r\n\r\n"); /* the head: the watcher is in place */
    act_send(NULL, &web, "ping", "12345", 5);
    read_until(fd, &in, "\"kind\":\"receive\"");
    ck_assert(strstr(in.data, "\"body\":\"MTIzNDU=\""));
    uint8_t every[256]; /* every byte value, and lengths that leave 0, 1 and 2 bytes over */
    for (int i = 0; i < 256; i++) every[i] = (uint8_t)(255 - i);
    for (size_t len = 254; len <= 256; len++) {
        act_send(NULL, &web, "ping", every, len);
        char want[400];
        base64_reference(every, len, want);
        read_until(fd, &in, want);
    }
    act_buf_free(&in);
    close(fd);
    act_shutdown();
}
END_TEST

/* ---- event times ------------------------------------------------------------------------- */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double event_time(json_t *ev)
{
    ck_assert(ev);
    return json_real_value(json_object_get(ev, "time"));
}

/* Events reuse a thread's clock reading only briefly: two sends 2 ms apart, from the same
 * thread, get the times they were made at (to the microsecond the JSON keeps). */
START_TEST(test_each_event_has_the_wall_time_it_happened_at)
{
    tu_runtime_start(1);
    tu_counter_init(&arrived);
    act_pid c = spawn("c", "one", on_any, NULL);
    act_pid d = spawn("d", "two", on_any, NULL);
    double t0 = wall_now();
    act_send(NULL, &c, "one", NULL, 0);
    double t1 = wall_now();
    while (wall_now() < t1 + 0.002) {} /* a gap far longer than a reading is reused */
    double t2 = wall_now();
    act_send(NULL, &d, "two", NULL, 0);
    ck_assert(tu_counter_wait(&arrived, 2, 10));
    double t3 = wall_now();
    json_t *root = recorder();
    const double us = 1.5e-6; /* the JSON's rounding */
    double one = event_time(find(root, "send", "one", NULL));
    double two = event_time(find(root, "send", "two", NULL));
    double got = event_time(find(root, "receive", "two", NULL));
    ck_assert_msg(one >= t0 - us && one <= t1 + us, "one at %.6f, not in [%.6f, %.6f]", one, t0, t1);
    ck_assert_msg(two >= t2 - us && two <= t3 + us, "two at %.6f, not in [%.6f, %.6f]", two, t2, t3);
    ck_assert_msg(got >= two - us && got <= t3 + us, "received at %.6f, sent at %.6f", got, two);
    json_decref(root);
    act_shutdown();
}
END_TEST

/* ---- tags -------------------------------------------------------------------------------- */

static void on_update(act_actor *self, const act_msg *m) { tu_counter_add(&arrived, 1); }

START_TEST(test_mesos_messages_are_tagged_with_the_ids_they_concern)
{
    tu_runtime_start(1);
    tu_counter_init(&arrived);
    act_pid sink = spawn("sink", "mesos.internal.StatusUpdateMessage", on_update, NULL);
    wire_msg *m = wire_new(WIRE_DESC(status_update_message));
    wire_status_update_message *u = m->root;
    u->update.framework_id.value = "F-1";
    u->update.slave_id = wire_alloc(m, sizeof *u->update.slave_id);
    u->update.slave_id->value = "S-1";
    u->update.executor_id = wire_alloc(m, sizeof *u->update.executor_id);
    u->update.executor_id->value = "E-1";
    u->update.status.task_id.value = "T-1";
    u->update.status.state = WIRE_TASK_RUNNING;
    uint8_t raw[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16};
    u->update.uuid = (wire_bytes){raw, 16};
    act_buf msgpack = {0}, protobuf = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(status_update_message), u, &msgpack), 0);
    ck_assert_int_eq(wire_pb_encode(WIRE_DESC(status_update_message), u, &protobuf), 0);
    act_send(NULL, &sink, "mesos.internal.StatusUpdateMessage", msgpack.data, msgpack.len);
    act_send_as(NULL, &sink, "mesos.internal.StatusUpdateMessage", protobuf.data, protobuf.len,
                "application/x-protobuf");
    act_send(NULL, &sink, "mesos.internal.StatusUpdateMessage", "\xde\xff", 2); /* junk */
    ck_assert(tu_counter_wait(&arrived, 3, 10));
    json_t *root = recorder(), *ev;
    size_t i, tagged = 0;
    json_array_foreach(json_object_get(root, "events"), i, ev) {
        if (strcmp(str(ev, "kind"), "receive")) continue;
        json_t *tags = json_object_get(ev, "tags");
        if (json_object_size(tags) == 0) continue; /* the junk has none, and did no harm */
        tagged++;
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(tags, "framework"), 0)),
                         "F-1");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(tags, "task"), 0)), "T-1");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(tags, "slave"), 0)), "S-1");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(tags, "executor"), 0)),
                         "E-1");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(tags, "uuid"), 0)),
                         "01020304-0506-4708-890a-0b0c0d0e0f10");
    }
    ck_assert_int_eq(tagged, 2);
    json_decref(root);
    act_buf_free(&msgpack);
    act_buf_free(&protobuf);
    wire_msg_free(m);
    act_shutdown();
}
END_TEST

/* What a body brings is escaped in the JSON: an ID with quotes, a backslash, a slash, a control
 * character and UTF-8 reads back as it was sent, in /__recorder__ and in /__trace__. */
START_TEST(test_ids_with_any_bytes_read_back_as_they_were)
{
    tu_runtime_start(1);
    tu_counter_init(&arrived);
    act_pid sink = spawn("sink", "mesos.internal.StatusUpdateAcknowledgementMessage", on_update,
                         NULL);
    int fd = tu_connect(act_port());
    static const char req[] = "GET /__trace__ HTTP/1.1\r\n\r\n";
    ck_assert(tu_write_all(fd, req, sizeof req - 1));
    act_buf in = {0};
    read_until(fd, &in, "\r\n\r\n"); /* the watcher is in place */
    static const char odd[] = "t\"1\\/\x01\xc3\xa9";
    wire_status_update_acknowledgement_message a = {0};
    a.slave_id.value = "S-1";
    a.framework_id.value = "F-1";
    a.task_id.value = (char *)odd;
    act_buf body = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(status_update_acknowledgement_message), &a, &body), 0);
    act_send(NULL, &sink, "mesos.internal.StatusUpdateAcknowledgementMessage", body.data,
             body.len);
    ck_assert(tu_counter_wait(&arrived, 1, 10));
    const char *hit;
    read_until(fd, &in, "\"kind\":\"receive\"");
    while (!strchr(hit = strstr(in.data, "\"kind\":\"receive\""), '\n')) { /* the line's end */
        char buf[4096];
        ssize_t r = read(fd, buf, sizeof buf);
        ck_assert_int_gt(r, 0);
        act_buf_append(&in, buf, (size_t)r);
    }
    const char *line = hit;
    while (line[-1] != '\n') line--;
    json_error_t err;
    json_t *streamed = json_loadb(line, (size_t)(strchr(hit, '\n') - line), 0, &err);
    ck_assert_msg(streamed, "not JSON: %s", err.text);
    json_t *root = recorder(), *ev = find(root, "receive",
                                          "mesos.internal.StatusUpdateAcknowledgementMessage", NULL);
    json_t *both[] = {streamed, ev};
    for (int i = 0; i < 2; i++) {
        ck_assert(both[i]);
        json_t *task = json_array_get(json_object_get(json_object_get(both[i], "tags"), "task"), 0);
        ck_assert_str_eq(json_string_value(task), odd);
    }
    json_decref(streamed);
    json_decref(root);
    act_buf_free(&body);
    act_buf_free(&in);
    close(fd);
    act_shutdown();
}
END_TEST

/* A tagger that gives one key several values, between pairs of other keys. */
static void tag_interleaved(const char *name, const uint8_t *body, size_t len,
                            const char *content_type, bool libprocess, act_tags *out)
{
    static const char *const pairs[][2] = {{"task", "a"}, {"slave", "s"}, {"task", "b"},
                                           {"uuid", "u"}, {"task", "c"}, {"slave", "s2"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        act_tags_add(out, pairs[i][0], pairs[i][1], strlen(pairs[i][1]));
}

/* The tags are written grouped by key, keys in the order they first came, values in theirs. */
START_TEST(test_tags_are_written_grouped_by_key_in_first_seen_order)
{
    tu_runtime_start(1);
    tu_counter_init(&arrived);
    act_recorder_set_tagger(tag_interleaved);
    act_pid sink = spawn("sink", "tagged", on_any, NULL);
    act_send(NULL, &sink, "tagged", "body", 4);
    ck_assert(tu_counter_wait(&arrived, 1, 10));
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/__recorder__", &body), 200);
    ck_assert_msg(strstr(body.data, "\"tags\":{\"task\":[\"a\",\"b\",\"c\"],"
                                    "\"slave\":[\"s\",\"s2\"],\"uuid\":[\"u\"]}"),
                  "%s", body.data);
    act_recorder_set_tagger(wire_recorder_tags);
    act_buf_free(&body);
    act_shutdown();
}
END_TEST

/* A tagger whose values are all control bytes: each is written six bytes long (\u0001). */
static void tag_control_bytes(const char *name, const uint8_t *body, size_t len,
                              const char *content_type, bool libprocess, act_tags *out)
{
    char v[100];
    memset(v, 1, sizeof v);
    act_tags_add(out, "a", v, sizeof v);
    act_tags_add(out, "b", v, sizeof v - 1);
}

/* An event written at its longest (tags that all need escapes, in /__trace__ and
 * /__recorder__) reads back whole. */
START_TEST(test_tags_that_need_escapes_throughout_read_back_whole)
{
    tu_runtime_start(1);
    tu_counter_init(&arrived);
    act_recorder_set_tagger(tag_control_bytes);
    act_pid sink = spawn("sink", "tagged", on_any, NULL);
    int fd = tu_connect(act_port());
    static const char req[] = "GET /__trace__?bodies=1 HTTP/1.1\r\n\r\n";
    ck_assert(tu_write_all(fd, req, sizeof req - 1));
    act_buf in = {0};
    read_until(fd, &in, "\r\n\r\n");
    act_send(NULL, &sink, "tagged", "body", 4);
    ck_assert(tu_counter_wait(&arrived, 1, 10));
    read_until(fd, &in, "\"kind\":\"receive\"");
    json_t *root = recorder(), *ev = find(root, "receive", "tagged", NULL);
    ck_assert(ev);
    json_t *a = json_array_get(json_object_get(json_object_get(ev, "tags"), "a"), 0);
    json_t *b = json_array_get(json_object_get(json_object_get(ev, "tags"), "b"), 0);
    ck_assert_int_eq(json_string_length(a), 100);
    ck_assert_int_eq(json_string_length(b), 99);
    ck_assert_int_eq(json_string_value(a)[99], 1);
    act_recorder_set_tagger(wire_recorder_tags);
    json_decref(root);
    act_buf_free(&in);
    close(fd);
    act_shutdown();
}
END_TEST

START_TEST(test_tags_keep_each_pair_once_and_say_when_some_did_not_fit)
{
    act_tags t = {.len = 0};
    ck_assert(act_tags_add(&t, "task", "a", 1));
    ck_assert(act_tags_add(&t, "task", "a", 1));
    ck_assert(act_tags_add(&t, "task", "b", 1));
    const char *k, *v;
    size_t at = 0, n = 0;
    while (act_tags_next(&t, &at, &k, &v)) n++;
    ck_assert_int_eq(n, 2);
    char big[ACT_TAGS_MAX];
    memset(big, 'x', sizeof big);
    ck_assert(!act_tags_add(&t, "task", big, sizeof big));
    ck_assert(t.truncated);
}
END_TEST

Suite *recorder_suite(void)
{
    Suite *s = suite_create("recorder");
    TCase *tc = tcase_create("recorder");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_message_sent_while_handling_another_inherits_its_trace);
    tcase_add_test(tc, test_a_trace_context_is_written_as_hex_and_read_back);
    tcase_add_test(tc, test_the_trace_context_travels_in_the_message_head);
    tcase_add_test(tc, test_drops_are_events_with_their_reason);
    tcase_add_test(tc, test_messages_queued_to_a_peer_that_goes_away_are_dropped_with_their_names);
    tcase_add_test(tc, test_messages_queued_to_a_libprocess_peer_that_goes_away_keep_their_trace);
    tcase_add_test(tc, test_a_full_ring_keeps_the_newest_and_counts_the_overwritten);
    tcase_add_test(tc, test_events_of_more_routes_than_the_table_holds_read_back_whole);
    tcase_add_test(tc, test_a_ring_past_its_table_starts_the_other_one_over_once_it_has_turned);
    tcase_add_test(tc, test_routes_that_differ_in_one_byte_or_in_length_are_told_apart);
    tcase_add_test(tc, test_routes_that_differ_in_one_sender_content_type_or_port_are_told_apart);
    tcase_add_test(tc, test_a_route_that_differs_from_the_last_only_in_a_reason_is_told_apart);
    tcase_add_test(tc, test_names_past_what_a_route_keeps_read_back_cut_and_still_run);
    tcase_add_test(tc, test_switched_off_it_records_only_while_watched_and_bodies_on_request);
    tcase_add_test(tc, test_each_event_has_the_wall_time_it_happened_at);
    tcase_add_test(tc, test_mesos_messages_are_tagged_with_the_ids_they_concern);
    tcase_add_test(tc, test_ids_with_any_bytes_read_back_as_they_were);
    tcase_add_test(tc, test_tags_keep_each_pair_once_and_say_when_some_did_not_fit);
    tcase_add_test(tc, test_tags_are_written_grouped_by_key_in_first_seen_order);
    tcase_add_test(tc, test_tags_that_need_escapes_throughout_read_back_whole);
    suite_add_tcase(s, tc);
    return s;
}
