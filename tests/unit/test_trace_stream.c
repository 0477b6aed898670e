/*
 * test_trace_stream.c - /__trace__?format=binary, the watched recorder's compact form, read
 * as mesos-inspect reads it: it carries the events the JSON lines carry, field by field, with
 * the tags the watcher reads itself from the bodies; its filters apply; a watcher that falls
 * behind is told how many events it missed; and bytes that are not such a stream give a
 * clear error, never a crash, in the reader and in mesos-inspect --watch.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"
#include "tools/inspect.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#define END_SIZE 9 /* the size of the ping that ends traffic() (no other ping is as long) */

/* ---- a watcher ---------------------------------------------------------------------------- */

/* One /__trace__ stream: its chunks' contents in body as they come. */
typedef struct watch {
    int fd;
    act_buf raw, body;
    size_t at; /* in raw: where the next chunk starts */
} watch;

/* Opens /__trace__<query> on fd (connected to this process); it watches once its head is
 * read. */
static void watch_start(watch *w, int fd, const char *query)
{
    memset(w, 0, sizeof *w);
    w->fd = fd;
    ck_assert_int_ge(w->fd, 0);
    char req[256];
    int n = snprintf(req, sizeof req, "GET /__trace__%s HTTP/1.1\r\n\r\n", query);
    ck_assert(tu_write_all(w->fd, req, (size_t)n));
    char *end;
    while (!(end = w->raw.data ? memmem(w->raw.data, w->raw.len, "\r\n\r\n", 4) : NULL)) {
        char buf[4096];
        ssize_t r = read(w->fd, buf, sizeof buf); /* bounded: tu_connect's timeout */
        ck_assert_int_gt(r, 0);
        act_buf_append(&w->raw, buf, (size_t)r);
    }
    ck_assert_msg(strncmp(w->raw.data, "HTTP/1.1 200", 12) == 0, "%s", w->raw.data);
    w->at = (size_t)(end - w->raw.data) + 4;
}

/* Reads once more from the stream (failing the test after tu_connect's timeout) and moves
 * whole chunks into w->body. */
static void watch_read(watch *w)
{
    char buf[65536];
    ssize_t r = read(w->fd, buf, sizeof buf);
    ck_assert_int_gt(r, 0);
    act_buf_append(&w->raw, buf, (size_t)r);
    for (;;) {
        const char *p = w->raw.data + w->at;
        const char *crlf = memmem(p, w->raw.len - w->at, "\r\n", 2);
        if (!crlf) return;
        size_t n = strtoul(p, NULL, 16), data = (size_t)(crlf - w->raw.data) + 2;
        if (w->raw.len < data + n + 2) return;
        act_buf_append(&w->body, w->raw.data + data, n);
        w->at = data + n + 2;
    }
}

static void watch_open(watch *w, const char *query)
{
    watch_start(w, tu_connect(act_port()), query);
}

static void watch_close(watch *w)
{
    close(w->fd);
    act_buf_free(&w->raw);
    act_buf_free(&w->body);
}

/* Whether l holds the receipt of the marker traffic() ends with. */
static bool ended(const ins_events *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].kind == INS_RECEIVE && l->v[i].size == END_SIZE) return true;
    return false;
}

/* The events of a binary stream until `want` of them (lost records aside) were read, or with
 * want 0 until traffic()'s end was. */
static void binary_events(watch *w, const char *process, size_t want, ins_events *l)
{
    ins_trace_reader r = {0};
    char err[256];
    size_t fed = 0, events = 0;
    while (want ? events < want : !ended(l)) {
        watch_read(w);
        ck_assert_int_ge(ins_trace_feed(&r, w->body.data + fed, w->body.len - fed, process, l,
                                        err, sizeof err), 0);
        fed = w->body.len;
        events = 0;
        for (size_t i = 0; i < l->n; i++) events += l->v[i].kind != INS_LOST;
    }
    ins_trace_reader_free(&r);
}

/* The events of a JSON-lines stream until traffic()'s end was read. */
static void json_events(watch *w, const char *process, ins_events *l)
{
    char err[256];
    while (1) {
        size_t end = w->body.len;
        while (end && w->body.data[end - 1] != '\n') end--; /* whole lines only */
        ins_events_free(l);
        char *text = act_strndup(w->body.data ? w->body.data : "", end);
        ck_assert_int_ge(ins_events_load(l, text, process, err, sizeof err), 0);
        free(text);
        if (ended(l)) return;
        watch_read(w);
    }
}

/* ---- what the process does ---------------------------------------------------------------- */

static tu_counter arrived;

static void on_any(act_actor *self, const act_msg *m) { tu_counter_add(&arrived, 1); }

static act_pid spawn(const char *name, const char *msg, int loop)
{
    act_actor *a = act_new(name, NULL);
    act_on_message(a, msg, on_any);
    act_pid p = act_self(a);
    ck_assert_int_eq(act_spawn(a, loop), 0);
    return p;
}

#define UPDATE "mesos.internal.StatusUpdateMessage"

/* A status update about framework F-1, task T-<i>, slave S-1 (msgpack, or protobuf). */
static void encode_update(int i, bool protobuf, act_buf *out)
{
    wire_msg *m = wire_new(WIRE_DESC(status_update_message));
    wire_status_update_message *u = m->root;
    char task[32];
    snprintf(task, sizeof task, "T-%d", i);
    u->update.framework_id.value = "F-1";
    u->update.slave_id = wire_alloc(m, sizeof *u->update.slave_id);
    u->update.slave_id->value = "S-1";
    u->update.status.task_id.value = task;
    u->update.status.state = WIRE_TASK_RUNNING;
    uint8_t raw[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, (uint8_t)i};
    u->update.uuid = (wire_bytes){raw, 16};
    const wire_desc *d = WIRE_DESC(status_update_message);
    ck_assert_int_eq(protobuf ? wire_pb_encode(d, u, out) : wire_encode(d, u, out), 0);
    wire_msg_free(m);
}

/* Updates to `sink` (odd ones as protobuf), pings with bodies of every length up to 4 to
 * `other` and a message to an actor that is not there (a drop); once they all arrived, a ping
 * that ends it (ended()). */
static void traffic(const act_pid *sink, const act_pid *other, int n)
{
    uint64_t arrived_before = tu_counter_get(&arrived);
    for (int i = 0; i < n; i++) {
        act_buf body = {0};
        encode_update(i, i % 2, &body);
        if (i % 2)
            act_send_as(NULL, sink, UPDATE, body.data, body.len, "application/x-protobuf");
        else
            act_send(NULL, sink, UPDATE, body.data, body.len);
        act_buf_free(&body);
        act_send(NULL, other, "ping", "12345", (size_t)(i % 5));
    }
    act_pid nobody = *sink;
    snprintf(nobody.id, sizeof nobody.id, "nobody");
    act_send(NULL, &nobody, "ping", "x", 1);
    ck_assert(tu_counter_wait(&arrived, arrived_before + 2 * (uint64_t)n, 10));
    act_send(NULL, other, "ping", "the--end!", END_SIZE); /* recorded last */
}

/* Whether two events read from the two forms are the same, field by field. */
static void assert_same(const ins_event *j, const ins_event *b)
{
    ck_assert_uint_eq(j->seq, b->seq);
    ck_assert_int_eq(j->kind, b->kind);
    ck_assert_msg(j->time == b->time, "seq %llu: %.6f vs %.6f", (unsigned long long)j->seq,
                  j->time, b->time);
    ck_assert_str_eq(j->from, b->from);
    ck_assert_str_eq(j->to, b->to);
    ck_assert_str_eq(j->name, b->name);
    ck_assert_uint_eq(j->size, b->size);
    ck_assert(j->trace == b->trace && j->span == b->span && j->parent == b->parent);
    ck_assert_str_eq(j->reason, b->reason);
    ck_assert_str_eq(j->content_type, b->content_type);
    ck_assert_int_eq(j->libprocess, b->libprocess);
    ck_assert_int_eq(!j->body, !b->body);
    ck_assert_uint_eq(j->body_len, b->body_len);
    ck_assert(!j->body_len || memcmp(j->body, b->body, j->body_len) == 0);
    char *jt = json_dumps(j->tags, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *bt = json_dumps(b->tags, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_msg(strcmp(jt, bt) == 0, "seq %llu: tags %s vs %s", (unsigned long long)j->seq,
                  jt, bt);
    free(jt);
    free(bt);
}

static void runtime_start(long recorder_events)
{
    act_config c = tu_loopback_config();
    c.loops = 2; /* two rings of events (and the foreign thread's), merged by seq */
    c.recorder_events = recorder_events;
    tu_runtime_start_config(&c);
    tu_counter_init(&arrived);
}

/* ---- the same events --------------------------------------------------------------------- */

/* Real traffic watched in both forms, with and without bodies: the same events, every field
 * equal, the tags (read by the watcher from the bodies) included. */
START_TEST(test_the_binary_stream_carries_what_the_json_lines_carry)
{
    runtime_start(0);
    act_pid sink = spawn("sink", UPDATE, 0), other = spawn("other", "ping", 1);
    for (int bodies = 0; bodies < 2; bodies++) {
        watch wj, wb;
        watch_open(&wj, bodies ? "?bodies=1" : "");
        watch_open(&wb, bodies ? "?format=binary&bodies=1" : "?format=binary");
        const int n = 20;
        traffic(&sink, &other, n);
        ins_events j = {0}, b = {0};
        json_events(&wj, "p", &j);
        binary_events(&wb, "p", 0, &b);
        /* Events recorded at once on two threads come in either order (whichever a read
         * found published first); the same sort puts both lists in one. */
        ins_events_sort(&j);
        ins_events_sort(&b);
        ck_assert_uint_eq(j.n, b.n);
        ck_assert_uint_ge(j.n, 4 * n); /* sent and received, updates and pings */
        size_t tagged = 0, with_body = 0;
        for (size_t i = 0; i < j.n; i++) {
            assert_same(&j.v[i], &b.v[i]);
            tagged += ins_has_tag(&b.v[i], "framework", "F-1") && ins_tag(&b.v[i], "task");
            with_body += b.v[i].body != NULL;
        }
        ck_assert_uint_eq(tagged, 2 * n); /* each update: sent and received */
        ck_assert(bodies ? with_body >= 2 * n : with_body == 0);
        ins_events_free(&j);
        ins_events_free(&b);
        watch_close(&wj);
        watch_close(&wb);
    }
    act_shutdown();
}
END_TEST

/* ?name= and ?actor= pick events in the binary form as in the JSON one. */
START_TEST(test_binary_watchers_filter_by_name_and_actor)
{
    runtime_start(0);
    act_pid sink = spawn("sink", UPDATE, 0), other = spawn("other", "ping", 1);
    watch by_name, by_actor;
    watch_open(&by_name, "?format=binary&name=Update");
    watch_open(&by_actor, "?format=binary&actor=other");
    traffic(&sink, &other, 4);
    ins_events n = {0}, a = {0};
    binary_events(&by_name, "p", 8, &n);
    binary_events(&by_actor, "p", 0, &a); /* to the end */
    for (size_t i = 0; i < n.n; i++) ck_assert_str_eq(n.v[i].name, UPDATE);
    for (size_t i = 0; i < a.n; i++) {
        ck_assert_str_eq(a.v[i].name, "ping");
        ck_assert(strstr(a.v[i].to, "other@"));
    }
    ck_assert_uint_eq(n.n, 8);
    ck_assert_uint_eq(a.n, 10); /* 4 pings sent and received, and the end */
    ins_events_free(&n);
    ins_events_free(&a);
    watch_close(&by_name);
    watch_close(&by_actor);
    act_shutdown();
}
END_TEST

/* ---- falling behind ---------------------------------------------------------------------- */

static tu_counter blocked, release;

/* Holds loop 0 (where /__trace__ writes) until the test releases it. */
static void hold_loop(act_actor *self, void *arg)
{
    if (!self) return;
    tu_counter_add(&blocked, 1);
    tu_counter_wait(&release, 1, 20);
}

/* While /__trace__'s loop is held, a loop records more events than its ring keeps: the
 * watcher's next records start with how many it missed, then the newest. */
START_TEST(test_a_binary_watcher_that_falls_behind_is_told_what_it_missed)
{
    runtime_start(16);
    tu_counter_init(&blocked);
    tu_counter_init(&release);
    act_pid holder = spawn("holder", "none", 0), other = spawn("other", "ping", 1);
    watch w;
    watch_open(&w, "?format=binary");
    ck_assert_int_eq(act_dispatch(&holder, hold_loop, NULL), 0);
    ck_assert(tu_counter_wait(&blocked, 1, 10));
    for (int i = 0; i < 100; i++) act_send(NULL, &other, "ping", NULL, 0);
    ck_assert(tu_counter_wait(&arrived, 100, 10));
    tu_counter_add(&release, 1);
    ins_events l = {0};
    binary_events(&w, "p", 16, &l); /* the receipts that were kept at least */
    ck_assert_int_eq(l.v[0].kind, INS_LOST);
    ck_assert_uint_ge(l.v[0].lost, 100 - 16);
    size_t received = 0;
    for (size_t i = 1; i < l.n; i++) {
        ck_assert_int_ne(l.v[i].kind, INS_LOST);
        ck_assert(l.v[i].seq > l.v[i - 1].seq || i == 1);
        received += l.v[i].kind == INS_RECEIVE;
    }
    ck_assert_uint_le(received, 16);
    ins_events_free(&l);
    watch_close(&w);
    act_shutdown();
}
END_TEST

/* A watcher that stops reading while large bodies stream gets every event once it reads
 * again (what did not fit its connection waited in the rings, none is counted lost), the
 * last ones too although nothing is recorded after: they must not wait for a next event. */
START_TEST(test_a_watcher_that_reads_again_gets_the_last_events_without_new_ones)
{
    runtime_start(0);
    act_pid other = spawn("other", "ping", 1);
    watch w;
    watch_open(&w, "?format=binary&bodies=1&actor=other");
    static char big[60000];
    memset(big, 'b', sizeof big);
    const int n = 64;
    for (int i = 0; i < n; i++) act_send(NULL, &other, "ping", big, sizeof big);
    ck_assert(tu_counter_wait(&arrived, (uint64_t)n, 10));
    act_send(NULL, &other, "ping", "the--end!", END_SIZE); /* the last event recorded */
    ck_assert(tu_counter_wait(&arrived, (uint64_t)n + 1, 10));
    ins_events l = {0};
    binary_events(&w, "p", 0, &l); /* reads until the end's receipt (each read bounded) */
    size_t received = 0;
    for (size_t i = 0; i < l.n; i++) {
        ck_assert_int_ne(l.v[i].kind, INS_LOST); /* the rings kept them all: none is lost */
        received += l.v[i].kind == INS_RECEIVE;
    }
    ck_assert_uint_eq(received, (size_t)n + 1);
    ins_events_free(&l);
    watch_close(&w);
    act_shutdown();
}
END_TEST

extern _Atomic size_t act__transport_send_max;
extern _Atomic uint64_t act__transport_short_chunks;

/* n bodies of `size` bytes streamed to a watcher whose window is a few kilobytes, the socket
 * taking at most send_max bytes a send (0: as it will): they read as whole records, each body
 * byte for byte and in order. With a cap, chunks go to the socket in part and the rest is
 * queued behind (stream_chunk), which must have happened. */
static void stream_bodies(int n, size_t size, size_t send_max)
{
    runtime_start(0);
    act_pid other = spawn("other", "ping", 1);
    watch w;
    watch_start(&w, tu_connect_small(act_port(), 4096), "?format=binary&bodies=1&actor=other");
    atomic_store(&act__transport_send_max, send_max);
    uint64_t short_before = atomic_load(&act__transport_short_chunks);
    char *big = malloc((size_t)n * size);
    for (int i = 0; i < n; i++) {
        memset(big + (size_t)i * size, 'a' + i % 26, size);
        act_send(NULL, &other, "ping", big + (size_t)i * size, size);
    }
    ck_assert(tu_counter_wait(&arrived, (uint64_t)n, 10));
    act_send(NULL, &other, "ping", "the--end!", END_SIZE);
    ck_assert(tu_counter_wait(&arrived, (uint64_t)n + 1, 10));
    ins_events l = {0};
    binary_events(&w, "p", 0, &l);
    int next = 0; /* the body the next receipt must carry */
    for (size_t i = 0; i < l.n; i++) {
        ck_assert_int_ne(l.v[i].kind, INS_LOST);
        if (l.v[i].kind != INS_RECEIVE || l.v[i].size == END_SIZE) continue;
        ck_assert_int_lt(next, n);
        ck_assert_uint_eq(l.v[i].body_len, size);
        ck_assert_msg(memcmp(l.v[i].body, big + (size_t)next * size, size) == 0, "body %d", next);
        next++;
    }
    ck_assert_int_eq(next, n);
    if (send_max)
        ck_assert_uint_gt(atomic_load(&act__transport_short_chunks), short_before);
    atomic_store(&act__transport_send_max, 0);
    free(big);
    ins_events_free(&l);
    watch_close(&w);
    act_shutdown();
}

/* A body of `len` bytes that differs from every other one at every offset. */
static void body_of(size_t len, uint8_t *out)
{
    for (size_t i = 0; i < len; i++) out[i] = (uint8_t)(len * 7 + i * 13 + (i >> 8));
}

static const size_t run_lens[] = {1023, 1024, 1025, 5000}; /* after 0 to 300 */
#define RUN_SHORT 301
#define RUN_N (RUN_SHORT + sizeof run_lens / sizeof run_lens[0])

static size_t run_len(size_t k) { return k < RUN_SHORT ? k : run_lens[k - RUN_SHORT]; }

/* Sends the run's bodies to `other`, in order, from a loop: one route, so every event after
 * the first of each kind is written by the recorder's common path (the one that copies a
 * short body in line). */
static void send_run(act_actor *self, void *arg)
{
    const act_pid *other = arg;
    uint8_t body[5000];
    for (size_t k = 0; k < RUN_N; k++) {
        body_of(run_len(k), body);
        act_send(self, other, "ping", body, run_len(k));
    }
}

/* Bodies of every length from 0 to 300, and around and past the most kept in line (1024),
 * sent in one run between two loops: each sent and received event carries its body, byte for
 * byte. */
START_TEST(test_bodies_of_every_short_length_are_kept_byte_for_byte)
{
    runtime_start(0);
    act_pid other = spawn("other", "ping", 1);
    act_actor *src = act_new("src", NULL);
    act_on_init(src, send_run, &other);
    watch w;
    watch_open(&w, "?format=binary&bodies=1&actor=other");
    ck_assert_int_eq(act_spawn(src, 0), 0);
    ck_assert(tu_counter_wait(&arrived, RUN_N, 10));
    ins_events l = {0};
    binary_events(&w, "p", 2 * RUN_N, &l);
    size_t next[2] = {0, 0}; /* the body the next send, receipt must carry */
    uint8_t want[5000];
    for (size_t i = 0; i < l.n; i++) {
        ck_assert_int_ne(l.v[i].kind, INS_LOST);
        size_t *k = &next[l.v[i].kind == INS_RECEIVE];
        ck_assert_uint_lt(*k, RUN_N);
        size_t len = run_len(*k);
        ck_assert_uint_eq(l.v[i].size, len);
        ck_assert_uint_eq(l.v[i].body_len, len);
        body_of(len, want);
        ck_assert_msg(!len || memcmp(l.v[i].body, want, len) == 0, "the body of %zu bytes", len);
        (*k)++;
    }
    ck_assert_uint_eq(next[0], RUN_N);
    ck_assert_uint_eq(next[1], RUN_N);
    ins_events_free(&l);
    watch_close(&w);
    act_shutdown();
}
END_TEST

/* Megabytes (1.6 MB: the ring's arena keeps them all), in chunks of up to a megabyte. */
START_TEST(test_large_bodies_to_a_small_window_arrive_whole_and_in_order)
{
    stream_bodies(32, 50000, 0);
}
END_TEST

/* Each send cut at 1000 bytes (inside bodies), then at 3 (inside chunk heads and trailers). */
START_TEST(test_chunks_the_socket_takes_in_part_arrive_whole_and_in_order)
{
    stream_bodies(32, 50000, 1000);
    stream_bodies(12, 10, 3);
}
END_TEST

/* A connection that may never hold more than 64 kB (LIBPROCESS_MAX_CONNECTION_OUTPUT=64KB)
 * and a body longer than that: its record can never be sent, and is told lost; the events
 * behind it still come (they used to wait behind it for good). */
START_TEST(test_a_record_larger_than_the_connection_may_hold_is_told_lost_not_waited_for)
{
    act_config c = tu_loopback_config();
    c.loops = 2;
    c.max_conn_output = 64 << 10;
    tu_runtime_start_config(&c);
    tu_counter_init(&arrived);
    act_pid other = spawn("other", "ping", 1);
    watch w;
    watch_open(&w, "?format=binary&bodies=1&actor=other");
    static char big[70000];
    act_send(NULL, &other, "ping", big, sizeof big);
    ck_assert(tu_counter_wait(&arrived, 1, 10));
    act_send(NULL, &other, "ping", "the--end!", END_SIZE);
    ck_assert(tu_counter_wait(&arrived, 2, 10));
    ins_events l = {0};
    binary_events(&w, "p", 0, &l); /* reads until the end's receipt (each read bounded) */
    uint64_t lost = 0;
    for (size_t i = 0; i < l.n; i++) {
        lost += l.v[i].kind == INS_LOST ? l.v[i].lost : 0;
        ck_assert(l.v[i].kind == INS_LOST || l.v[i].size != sizeof big);
    }
    ck_assert_uint_ge(lost, 1);
    ins_events_free(&l);
    watch_close(&w);
    act_shutdown();
}
END_TEST

/* ---- hostile bytes ----------------------------------------------------------------------- */

/* A stream head and one event record with every field set, as the process writes them. */
static size_t sample_stream(uint8_t *out)
{
    static const uint8_t head[8] = {'A', 'T', 'R', 'C', 1, 0, 0, 0};
    memcpy(out, head, 8);
    uint8_t *r = out + 8, *e = r + 5;
    memset(r, 0, 5 + ACT_TRACE_EVENT_FIXED);
    e[0] = 7;                   /* seq */
    e[40] = 3;                  /* size */
    e[44] = 1, e[47] = 0x7f;    /* from 127.0.0.1 */
    e[52] = 0xba, e[53] = 0x13; /* :5050 */
    e[56] = 1;                  /* receive */
    e[58] = 1, e[59] = 2, e[60] = 4; /* from "a", to "bc", name "ping" */
    e[64] = 3;                  /* body_len */
    memcpy(e + ACT_TRACE_EVENT_FIXED, "abcpingxyz", 10);
    uint32_t len = 1 + ACT_TRACE_EVENT_FIXED + 10;
    memcpy(r, &len, 4); /* little-endian, as this test runs */
    r[4] = ACT_TRACE_REC_EVENT;
    return 8 + 4 + len;
}

START_TEST(test_bytes_that_are_not_a_trace_stream_give_a_clear_error)
{
    uint8_t s[256];
    char err[256];
    act_trace_record r;
    size_t n = sample_stream(s);
    ck_assert_int_eq(act_trace_head_parse(s, 8, err, sizeof err), 8);
    ck_assert_int_eq(act_trace_record_parse(s + 8, n - 8, &r, err, sizeof err), (long)(n - 8));
    ck_assert_uint_eq(r.seq, 7);
    ck_assert_str_eq(r.from.id, "a");
    ck_assert_str_eq(r.to.id, "bc");
    ck_assert_str_eq(r.name, "ping");
    ck_assert_uint_eq(r.from.ip, 0x7f000001u);
    ck_assert_uint_eq(r.from.port, 5050);
    ck_assert(r.body_len == 3 && memcmp(r.body, "xyz", 3) == 0);
    for (size_t k = 0; k < n - 8; k++) /* cut anywhere: "not yet", never a misread */
        ck_assert_int_eq(act_trace_record_parse(s + 8, k, &r, err, sizeof err), 0);
    ck_assert_int_eq(act_trace_head_parse(s, 3, err, sizeof err), 0);
    ck_assert_int_eq(act_trace_head_parse((const uint8_t *)"{\"seq\":1}", 9, err, sizeof err),
                     -EPROTO);
    ck_assert(strstr(err, "not a trace stream"));
    s[4] = 2; /* a later version */
    ck_assert_int_eq(act_trace_head_parse(s, 8, err, sizeof err), -EPROTO);
    ck_assert(strstr(err, "version 2"));
    s[4] = 1;
    /* each field a liar in turn */
    struct { size_t at; uint8_t v; const char *says; } lies[] = {
        {8 + 3, 0xff, "length out of bounds"},   /* a record of 4 GB */
        {8 + 5 + 56, 9, "unknown kind"},
        {8 + 5 + 60, 200, "longer than its field"}, /* a name of 200 bytes */
        {8 + 5 + 61, 60, "past its end"},            /* a content type past the record */
        {8 + 5 + 64, 4, "body not its length"},
    };
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        uint8_t bad[256];
        memcpy(bad, s, n);
        bad[lies[i].at] = lies[i].v;
        err[0] = '\0';
        ck_assert_int_eq(act_trace_record_parse(bad + 8, n - 8, &r, err, sizeof err), -EPROTO);
        ck_assert_msg(strstr(err, lies[i].says), "lie %zu: %s", i, err);
    }
    uint8_t zero[4] = {0};
    ck_assert_int_eq(act_trace_record_parse(zero, 4, &r, err, sizeof err), -EPROTO);
    /* a record of a type this reader does not know is skipped whole */
    uint8_t later[9] = {5, 0, 0, 0, 99, 1, 2, 3, 4};
    ck_assert_int_eq(act_trace_record_parse(later, 9, &r, err, sizeof err), 9);
    ck_assert_int_eq(r.type, 99);
    /* mesos-inspect's reader names the process and stops at the fault */
    ins_trace_reader reader = {0};
    ins_events l = {0};
    ck_assert_int_eq(ins_trace_feed(&reader, s, n, "10.0.0.1:5050", &l, err, sizeof err), 1);
    ck_assert_int_eq(ins_trace_feed(&reader, "\x10\0\0\0", 4, "10.0.0.1:5050", &l, err,
                                    sizeof err), 0); /* a length: its record is to come */
    static const uint8_t short_event[16] = {ACT_TRACE_REC_EVENT};
    ck_assert_int_eq(ins_trace_feed(&reader, short_event, 16, "10.0.0.1:5050", &l, err,
                                    sizeof err), -1);
    ck_assert_msg(strstr(err, "10.0.0.1:5050: not a trace stream"), "%s", err);
    ins_trace_reader_free(&reader);
    ins_events_free(&l);
}
END_TEST

/* An event that says its body was asked for and carries none (found by fuzz_trace_stream: the
 * reader copied from a NULL body) reads as an empty body. */
START_TEST(test_an_event_asking_for_a_body_that_is_empty_reads_with_an_empty_one)
{
    uint8_t s[256];
    char err[256];
    size_t n = sample_stream(s);
    uint8_t *len = s + 8, *e = s + 8 + 5;
    e[57] = ACT_TRACE_F_BODY;
    e[64] = 0; /* no body: the record ends with its strings */
    uint32_t shorter = 1 + ACT_TRACE_EVENT_FIXED + 7;
    memcpy(len, &shorter, 4);
    n -= 3;
    ins_trace_reader reader = {0};
    ins_events l = {0};
    ck_assert_int_eq(ins_trace_feed(&reader, s, n, "10.0.0.1:5050", &l, err, sizeof err), 1);
    ck_assert_uint_eq(l.n, 1);
    ck_assert_ptr_nonnull(l.v[0].body);
    ck_assert_uint_eq(l.v[0].body_len, 0);
    ck_assert_str_eq(l.v[0].name, "ping");
    ins_trace_reader_free(&reader);
    ins_events_free(&l);
}
END_TEST

/* A process whose /__trace__ answers something else (an older runtime's JSON lines, or any
 * bytes at all): mesos-inspect --watch says which process and what is wrong, and exits 1. */
START_TEST(test_watch_of_a_process_that_sends_no_trace_stream_says_so)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
    socklen_t sl = sizeof sa;
    ck_assert(bind(ls, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(ls, 1) == 0);
    ck_assert(getsockname(ls, (struct sockaddr *)&sa, &sl) == 0);
    char addr[32], out[64], want[96];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
    snprintf(out, sizeof out, "/tmp/mesos-test-watch-%d", (int)getpid());
    char *argv[] = {(char *)tu_bin("mesos-inspect"), "--watch", addr, "--duration=30secs", NULL};
    int pid = tu_spawn(argv, out);
    struct pollfd pf = {.fd = ls, .events = POLLIN};
    ck_assert_int_eq(poll(&pf, 1, 20000), 1);
    int fd = accept(ls, NULL, NULL);
    act_buf req = {0};
    char buf[1024];
    while (!req.data || !strstr(req.data, "\r\n\r\n")) {
        ck_assert_int_eq(poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 20000), 1);
        ssize_t r = read(fd, buf, sizeof buf);
        ck_assert_int_gt(r, 0);
        act_buf_append(&req, buf, (size_t)r);
    }
    ck_assert_msg(strstr(req.data, "GET /__trace__?format=binary"), "%s", req.data);
    static const char answer[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "b\r\n{\"seq\":1}\n\r\n\r\n";
    ck_assert(tu_write_all(fd, answer, sizeof answer - 1));
    int status = tu_stop(pid, 0, 30);
    char *text = tu_read_file(out);
    snprintf(want, sizeof want, "mesos-inspect: %s: not a trace stream", addr);
    ck_assert_msg(text && strstr(text, want), "%s", text ? text : "(no output)");
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
    free(text);
    unlink(out);
    act_buf_free(&req);
    close(fd);
    close(ls);
}
END_TEST

Suite *trace_stream_suite(void)
{
    Suite *s = suite_create("trace_stream");
    TCase *tc = tcase_create("trace_stream");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_binary_stream_carries_what_the_json_lines_carry);
    tcase_add_test(tc, test_binary_watchers_filter_by_name_and_actor);
    tcase_add_test(tc, test_a_binary_watcher_that_falls_behind_is_told_what_it_missed);
    tcase_add_test(tc, test_a_watcher_that_reads_again_gets_the_last_events_without_new_ones);
    tcase_add_test(tc, test_bodies_of_every_short_length_are_kept_byte_for_byte);
    tcase_add_test(tc, test_large_bodies_to_a_small_window_arrive_whole_and_in_order);
    tcase_add_test(tc, test_chunks_the_socket_takes_in_part_arrive_whole_and_in_order);
    tcase_add_test(tc,
                   test_a_record_larger_than_the_connection_may_hold_is_told_lost_not_waited_for);
    tcase_add_test(tc, test_bytes_that_are_not_a_trace_stream_give_a_clear_error);
    tcase_add_test(tc, test_an_event_asking_for_a_body_that_is_empty_reads_with_an_empty_one);
    tcase_add_test(tc, test_watch_of_a_process_that_sends_no_trace_stream_says_so);
    suite_add_tcase(s, tc);
    return s;
}
