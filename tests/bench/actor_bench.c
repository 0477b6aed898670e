/*
 * actor_bench.c - throughput and latency of the actor runtime, one JSON line per figure:
 * local one-way and ping-pong (one loop), one-way between two loop threads, one-way between
 * two processes over loopback with the flight recorder off, on (the default) and watched with
 * bodies decoded (medians of rounds taken in turn), and ping-pong and round-trip percentiles
 * between two processes with 100-byte bodies; the remote one-way (recorder on), ping-pong and
 * percentiles again over TLS (the same figures suffixed .tls). One-way senders keep a bounded
 * window of unacknowledged messages so the figure is a sustained rate, not the speed of filling
 * memory. Arguments run only the groups whose names contain one of them (see main).
 */
#include "actor/actor.h"
#include "tests/support/selfsigned.h"
#include "wire/wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ACK_EVERY 4096
#define WINDOW (8 * ACK_EVERY)

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void emit(const char *name, double value, const char *unit)
{
    printf("{\"bench\": \"%s\", \"value\": %.1f, \"unit\": \"%s\"}\n", name, value, unit);
    fflush(stdout);
}

/* ---- completion signalling to the main thread -------------------------------------------- */

static pthread_mutex_t done_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static bool done;

static void signal_done(void)
{
    pthread_mutex_lock(&done_mu);
    done = true;
    pthread_cond_broadcast(&done_cv);
    pthread_mutex_unlock(&done_mu);
}

static void wait_done(void)
{
    pthread_mutex_lock(&done_mu);
    while (!done) pthread_cond_wait(&done_cv, &done_mu);
    done = false;
    pthread_mutex_unlock(&done_mu);
}

/* ---- one-way with a window: source sends, sink acks every ACK_EVERY ---------------------- */

typedef struct oneway {
    act_pid peer;
    const char *name; /* of the messages sent: "data" unless set */
    const void *body; /* body100 unless set */
    uint64_t total, sent, acked, received;
    uint64_t warm; /* acknowledged before the clock starts (a multiple of ACK_EVERY; 0: none) */
    size_t body_len;
    double start, end;
} oneway;

static char body100[100];

static void source_pump(act_actor *self, oneway *s)
{
    while (s->sent < s->total && s->sent - s->acked < WINDOW) {
        act_send(self, &s->peer, s->name ? s->name : "data", s->body ? s->body : body100,
                 s->body_len);
        s->sent++;
    }
}

static void source_start(act_actor *self, void *arg)
{
    oneway *s = act_state(self);
    s->start = mono();
    source_pump(self, s);
}

static void source_ack(act_actor *self, const act_msg *m)
{
    oneway *s = act_state(self);
    s->acked += ACK_EVERY;
    if (s->acked == s->warm) s->start = mono();
    if (s->acked >= s->total) {
        s->end = mono();
        signal_done();
        return;
    }
    source_pump(self, s);
}

static void sink_data(act_actor *self, const act_msg *m)
{
    oneway *s = act_state(self);
    if (++s->received % ACK_EVERY == 0) act_send(self, &m->from, "ack", NULL, 0);
}

static act_pid spawn_sink(oneway *state, int loop)
{
    act_actor *a = act_new("sink", state);
    act_on_message(a, "data", sink_data);
    act_on_message(a, "mesos.internal.StatusUpdateAcknowledgementMessage", sink_data);
    act_pid p = act_self(a);
    act_spawn(a, loop);
    return p;
}

static double run_oneway(oneway *src, int loop)
{
    act_actor *a = act_new("source", src);
    act_on_message(a, "ack", source_ack);
    act_pid p = act_self(a);
    act_spawn(a, loop);
    act_dispatch(&p, source_start, NULL);
    wait_done();
    act_terminate(&p);
    return (double)(src->total - src->warm) / (src->end - src->start);
}

/* One-way within a loop with the flight recorder switched off: what recording costs the
 * cheapest send there is. */
static void bench_local_oneway_recorder_off(void)
{
    act_config c;
    act_config_default(&c);
    c.recorder_events = -1;
    act_init(&c);
    act_start();
    static oneway sink, src;
    src.peer = spawn_sink(&sink, 0);
    src.total = 20000000 / ACK_EVERY * ACK_EVERY;
    emit("actor.local.oneway.recorder_off", run_oneway(&src, 0), "msgs/s");
    act_shutdown();
}

static void bench_local_oneway(void)
{
    act_config c;
    act_config_default(&c);
    c.loops = 2;
    act_init(&c);
    act_start();
    static oneway sink, src;
    memset(&sink, 0, sizeof sink);
    memset(&src, 0, sizeof src);
    src.peer = spawn_sink(&sink, 0);
    src.total = 20000000 / ACK_EVERY * ACK_EVERY;
    src.body_len = 0;
    emit("actor.local.oneway", run_oneway(&src, 0), "msgs/s");

    static oneway sink1, src1;
    memset(&sink1, 0, sizeof sink1);
    memset(&src1, 0, sizeof src1);
    act_actor *s1 = act_new("sink1", &sink1);
    act_on_message(s1, "data", sink_data);
    src1.peer = act_self(s1);
    act_spawn(s1, 1);
    src1.total = 5000000 / ACK_EVERY * ACK_EVERY;
    act_actor *a = act_new("source1", &src1);
    act_on_message(a, "ack", source_ack);
    act_pid p = act_self(a);
    act_spawn(a, 0);
    act_dispatch(&p, source_start, NULL);
    wait_done();
    emit("actor.crossloop.oneway", (double)src1.total / (src1.end - src1.start), "msgs/s");
    act_shutdown();
}

/* ---- ping-pong --------------------------------------------------------------------------- */

typedef struct pingpong {
    act_pid peer;
    uint64_t rounds, done_rounds;
    size_t body_len;
    double start, end, sent_at;
    double *rtt; /* microseconds per round */
} pingpong;

static void pp_ping(act_actor *self, pingpong *s)
{
    s->sent_at = mono();
    act_send(self, &s->peer, "ping", body100, s->body_len);
}

static void pp_start(act_actor *self, void *arg)
{
    pingpong *s = act_state(self);
    s->start = mono();
    pp_ping(self, s);
}

static void pp_pong(act_actor *self, const act_msg *m)
{
    pingpong *s = act_state(self);
    if (s->rtt) s->rtt[s->done_rounds] = (mono() - s->sent_at) * 1e6;
    if (++s->done_rounds == s->rounds) {
        s->end = mono();
        signal_done();
        return;
    }
    pp_ping(self, s);
}

static void echo_ping(act_actor *self, const act_msg *m)
{
    act_send(self, &m->from, "pong", m->body, m->len);
}

static act_pid spawn_echo(int loop)
{
    act_actor *a = act_new("echo", NULL);
    act_on_message(a, "ping", echo_ping);
    act_pid p = act_self(a);
    act_spawn(a, loop);
    return p;
}

static double run_pingpong(pingpong *s)
{
    act_actor *a = act_new("pinger", s);
    act_on_message(a, "pong", pp_pong);
    act_pid p = act_self(a);
    act_spawn(a, 0);
    act_dispatch(&p, pp_start, NULL);
    wait_done();
    act_terminate(&p);
    return 2.0 * (double)s->rounds / (s->end - s->start);
}

static void bench_local_pingpong(void)
{
    act_init(NULL);
    act_start();
    static pingpong s;
    memset(&s, 0, sizeof s);
    s.peer = spawn_echo(0);
    s.rounds = 2000000;
    emit("actor.local.pingpong", run_pingpong(&s), "msgs/s");
    act_shutdown();
}

/* ---- two processes ----------------------------------------------------------------------- */

/* The flight recorder while a process sends one-way to another: switched off in both, on (the
 * default), and on with a /__trace__ watcher of the receiver asking for bodies, which it decodes
 * through the wire schema (what mesos-inspect --watch --decode does). The message is a real
 * StatusUpdateAcknowledgementMessage (about 100 bytes), so the recorder reads its IDs too. */
typedef enum rec_mode { REC_OFF, REC_ON, REC_WATCHED } rec_mode;

static void runtime_for(rec_mode mode)
{
    act_config c;
    act_config_default(&c);
    c.port = 0;
    c.recorder_events = mode == REC_OFF ? -1 : 0;
    if (act_init(&c) != 0) _exit(2);
    act_recorder_set_tagger(wire_recorder_tags);
}

static pid_t fork_peer(uint16_t *port, rec_mode mode)
{
    int p[2];
    if (pipe(p) != 0) return -1;
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        runtime_for(mode);
        static oneway sink;
        spawn_sink(&sink, 0);
        spawn_echo(0);
        uint16_t port_ = act_port();
        if (write(p[1], &port_, sizeof port_) != sizeof port_) _exit(3);
        close(p[1]);
        act_run();
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], port, sizeof *port) != sizeof *port) return -1;
    close(p[0]);
    return child;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static act_buf ack_body; /* the encoded acknowledgement */
#define ACK_NAME "mesos.internal.StatusUpdateAcknowledgementMessage"

static void encode_ack(void)
{
    wire_status_update_acknowledgement_message a = {0};
    a.slave_id.value = "20150113-142013-16842879-5050-5237-S0";
    a.framework_id.value = "20150113-142013-16842879-5050-5237-0000";
    a.task_id.value = "web.6f2c3e1a-9b1d";
    static uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89};
    a.uuid = (wire_bytes){uuid, 16};
    wire_encode(WIRE_DESC(status_update_acknowledgement_message), &a, &ack_body);
}

/* A watcher of the peer's /__trace__ with bodies, decoding each one; stops at `stop`. */
typedef struct watcher {
    uint16_t port;
    _Atomic bool stop;
    uint64_t decoded;
} watcher;

/* Decodes the body of each event record of p[0, len) through the wire schema, reading the stream as
 * mesos-inspect --watch does (act_trace_record_parse): the watcher shares this machine's two
 * cores with both processes, and the figure is meant to show what being watched costs. */
static size_t watch_records(watcher *w, const uint8_t *p, size_t len, bool *head, bool *bad)
{
    size_t used = 0;
    char err[128];
    if (!*head) { /* returns how much was read; *bad on a stream that is not one */
        long n = act_trace_head_parse(p, len, err, sizeof err);
        if (n <= 0) {
            *bad = n < 0;
            return 0;
        }
        *head = true;
        used = (size_t)n;
    }
    act_trace_record r;
    for (long n; (n = act_trace_record_parse(p + used, len - used, &r, err, sizeof err)) != 0;
         used += (size_t)n) {
        if (n < 0) {
            fprintf(stderr, "actor_bench: /__trace__: %s\n", err);
            *bad = true;
            return used;
        }
        if (r.type != ACT_TRACE_REC_EVENT || !(r.flags & ACT_TRACE_F_BODY)) continue;
        wire_msg *m = NULL;
        if (wire_decode_by_name(r.name, r.body, r.body_len, &m, NULL, 0) == 0) w->decoded++;
        wire_msg_free(m);
    }
    return used;
}

/* The stream's bytes as they are read, in one buffer: the chunks' contents [0, body) (HTTP
 * chunked framing taken off in place), then what was read and not unframed yet [raw, len). */
typedef struct watch_in {
    act_buf b;
    size_t body, raw;
} watch_in;

/* Moves the contents of the whole chunks at in->raw down to in->body. */
static void dechunk(watch_in *in)
{
    for (;;) {
        char *p = in->b.data + in->raw, *end = in->b.data + in->b.len;
        char *crlf = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!crlf) return;
        size_t n = strtoul(p, NULL, 16);
        if ((size_t)(end - crlf) < 2 + n + 2) return;
        memmove(in->b.data + in->body, crlf + 2, n);
        in->body += n;
        in->raw = (size_t)(crlf - in->b.data) + 2 + n + 2;
    }
}

/* Drops the first `took` bytes of the contents, keeping the rest and the raw bytes after. */
static void watch_in_consume(watch_in *in, size_t took)
{
    memmove(in->b.data, in->b.data + took, in->body - took);
    size_t raw = in->b.len - in->raw;
    memmove(in->b.data + in->body - took, in->b.data + in->raw, raw);
    in->body -= took;
    in->raw = in->body;
    in->b.len = in->body + raw;
}

static void *watch_main(void *arg)
{
    watcher *w = arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(w->port),
                             .sin_addr.s_addr = htonl(0x7f000001u)};
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) return NULL;
    static const char req[] = "GET /__trace__?bodies=1&format=binary HTTP/1.1\r\n\r\n";
    if (write(fd, req, sizeof req - 1) < 0) return NULL;
    watch_in in = {{0}, 0, 0};
    bool in_body = false, head = false, bad = false;
    while (!atomic_load(&w->stop) && !bad) {
        act_buf_reserve(&in.b, 65536);
        ssize_t r = read(fd, in.b.data + in.b.len, 65536); /* straight into the buffer */
        if (r == 0) break;
        if (r < 0) continue;
        in.b.len += (size_t)r;
        if (!in_body) { /* the response head */
            char *end = memmem(in.b.data, in.b.len, "\r\n\r\n", 4);
            if (!end) continue;
            in.raw = (size_t)(end - in.b.data) + 4;
            in_body = true;
        }
        dechunk(&in);
        watch_in_consume(&in, watch_records(w, (const uint8_t *)in.b.data, in.body, &head, &bad));
    }
    act_buf_free(&in.b);
    close(fd);
    return NULL;
}

static double cpu_seconds(const struct timeval *user, const struct timeval *sys)
{
    return (double)(user->tv_sec + sys->tv_sec) + (double)(user->tv_usec + sys->tv_usec) / 1e6;
}

/* One round of one mode: messages per second; *cpu_ns (may be NULL): CPU time per message of
 * both processes (the sender's from its first message to its last ack, the receiver's whole
 * life), which sharing the machine disturbs far less than the rate. */
static double oneway_round(rec_mode mode, uint64_t total, double *cpu_ns)
{
    uint16_t port;
    pid_t child = fork_peer(&port, mode);
    if (child < 0) return 0;
    runtime_for(mode);
    act_start();
    watcher w = {.port = port};
    pthread_t t;
    if (mode == REC_WATCHED) pthread_create(&t, NULL, watch_main, &w);
    static oneway src;
    memset(&src, 0, sizeof src);
    act_pid_make("sink", 0x7f000001u, port, &src.peer);
    src.total = total / ACK_EVERY * ACK_EVERY;
    /* The first fifth is not timed: a process' first messages touch its recorder's rings and
     * the transport's buffers for the first time, and a page fault costs some 10 µs on a
     * virtual machine (the rate is a long-running process's) */
    src.warm = src.total / 5 / ACK_EVERY * ACK_EVERY;
    src.name = ACK_NAME;
    src.body = ack_body.data;
    src.body_len = ack_body.len;
    struct rusage before, after, peer;
    getrusage(RUSAGE_SELF, &before);
    double rate = run_oneway(&src, 0);
    getrusage(RUSAGE_SELF, &after);
    if (mode == REC_WATCHED) {
        atomic_store(&w.stop, true);
        pthread_join(t, NULL);
        if (w.decoded == 0) fprintf(stderr, "actor_bench: the watcher decoded nothing\n");
    }
    act_shutdown();
    kill(child, SIGTERM); /* not SIGKILL: callgrind writes its counts on SIGTERM */
    memset(&peer, 0, sizeof peer);
    wait4(child, NULL, 0, &peer);
    if (cpu_ns)
        *cpu_ns = (cpu_seconds(&after.ru_utime, &after.ru_stime) -
                   cpu_seconds(&before.ru_utime, &before.ru_stime) +
                   cpu_seconds(&peer.ru_utime, &peer.ru_stime)) * 1e9 / (double)src.total;
    return rate;
}

#define ROUNDS 9

static const char *const mode_names[] = {"off", "on", "watched"};

#if defined(__x86_64__) || defined(__i386__)
extern uint64_t act__rec_reuse_ticks; /* recorder.c */
#endif

/* One mode, one round of `msgs` messages, for counting instructions
 * (ACTOR_BENCH_CALLGRIND=1 ACTOR_BENCH_RECORDER=off|on|watched ACTOR_BENCH_MSGS=20000 valgrind
 * --tool=callgrind --trace-children=yes build/bench/actor_bench remote.oneway.recorder): the
 * figures of that round. */
static void bench_remote_recorder_one(const char *mode, uint64_t msgs)
{
#if defined(__x86_64__) || defined(__i386__)
    /* Under callgrind a thread's clock reading goes stale between any two events (valgrind
     * runs the program some 50 times slower), so each would read the clock: widened, every
     * event takes the path it takes at full speed. */
    const char *cg = getenv("ACTOR_BENCH_CALLGRIND");
    if (cg && *cg) act__rec_reuse_ticks = UINT64_MAX / 2;
#endif
    int m = 0;
    while (m < 3 && strcmp(mode, mode_names[m]) != 0) m++;
    if (m == 3) {
        fprintf(stderr, "actor_bench: ACTOR_BENCH_RECORDER is off, on or watched\n");
        return;
    }
    double cpu, rate = oneway_round((rec_mode)m, msgs, &cpu);
    printf("{\"bench\": \"recorder.%s\", \"msgs\": %llu, \"value\": %.1f, \"unit\": \"msgs/s\", "
           "\"cpu\": %.1f}\n", mode, (unsigned long long)msgs, rate, cpu);
}

/* The three modes measured in turn, ROUNDS times, each round starting with the next mode (the
 * machine may be shared): medians. Then, for on and watched, the median over the rounds of
 * each one's change from its round's off rate, in percent (.vs_off): on a shared machine the
 * rounds of one mode can differ by more than recording costs, and a round's three runs, back
 * to back, share more of the machine's state than the rounds do. */
static void bench_remote_recorder(void)
{
    static const char *const names[] = {"actor.remote.oneway.recorder_off", "actor.remote.oneway",
                                        "actor.remote.oneway.watched"};
    const char *one = getenv("ACTOR_BENCH_RECORDER"), *msgs = getenv("ACTOR_BENCH_MSGS");
    uint64_t total = msgs ? strtoull(msgs, NULL, 10) : 250000;
    if (total < ACK_EVERY) total = ACK_EVERY;
    if (one) {
        bench_remote_recorder_one(one, total);
        return;
    }
    double rate[3][ROUNDS], cpu[3][ROUNDS], change[3][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) /* each round starts with another mode */
        for (int k = 0; k < 3; k++) {
            int m = (r + k) % 3;
            rate[m][r] = oneway_round((rec_mode)m, total, &cpu[m][r]);
        }
    for (int m = 1; m < 3; m++)
        for (int r = 0; r < ROUNDS; r++)
            change[m][r] = rate[0][r] > 0 ? 100 * (rate[m][r] / rate[0][r] - 1) : 0;
    for (int m = 0; m < 3; m++) {
        qsort(rate[m], ROUNDS, sizeof rate[m][0], cmp_double);
        emit(names[m], rate[m][ROUNDS / 2], "msgs/s");
    }
    for (int m = 0; m < 3; m++) {
        char name[96];
        snprintf(name, sizeof name, "%s.cpu", names[m]);
        qsort(cpu[m], ROUNDS, sizeof cpu[m][0], cmp_double);
        emit(name, cpu[m][ROUNDS / 2], "ns/msg");
    }
    for (int m = 1; m < 3; m++) {
        char name[96];
        snprintf(name, sizeof name, "%s.vs_off", names[m]);
        qsort(change[m], ROUNDS, sizeof change[m][0], cmp_double);
        emit(name, change[m][ROUNDS / 2], "%");
    }
}

/* Figures under `name`, or `name`.tls when the runtime speaks TLS. */
static const char *figure(const char *name, bool tls)
{
    static char buf[96];
    snprintf(buf, sizeof buf, "%s%s", name, tls ? ".tls" : "");
    return buf;
}

static void bench_remote_pingpong(bool tls)
{
    uint16_t port;
    pid_t child = fork_peer(&port, REC_ON);
    if (child < 0) {
        fprintf(stderr, "actor_bench: cannot start the peer process\n");
        return;
    }
    act_init(NULL);
    act_start();
    static pingpong s;
    memset(&s, 0, sizeof s);
    act_pid_make("echo", 0x7f000001u, port, &s.peer);
    s.rounds = 50000;
    s.body_len = sizeof body100;
    s.rtt = calloc(s.rounds, sizeof *s.rtt);
    emit(figure("actor.remote.pingpong", tls), run_pingpong(&s), "msgs/s");
    qsort(s.rtt, s.rounds, sizeof *s.rtt, cmp_double);
    emit(figure("actor.remote.rtt_p50", tls), s.rtt[s.rounds / 2], "us");
    emit(figure("actor.remote.rtt_p99", tls), s.rtt[s.rounds * 99 / 100], "us");
    free(s.rtt);
    act_shutdown();
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

/* The remote figures again with TLS verified and required both ways, as a locked-down cluster
 * runs. */
static void bench_tls(void)
{
    char dir[32], rm[64];
    if (selfsigned_tls_env(dir, true)) {
        emit("actor.remote.oneway.tls", oneway_round(REC_ON, 300000, NULL), "msgs/s");
        bench_remote_pingpong(true);
        snprintf(rm, sizeof rm, "rm -rf %s", dir);
        if (system(rm) != 0) fprintf(stderr, "actor_bench: could not remove %s\n", dir);
    } else {
        fprintf(stderr, "actor_bench: no TLS figures (openssl failed)\n");
    }
}

/* Arguments pick groups of figures by a part of their names ("local", "recorder", "tls", ...);
 * none runs them all. */
static int nwant;
static char **want;

static bool wanted(const char *group)
{
    for (int i = 0; i < nwant; i++)
        if (strstr(group, want[i])) return true;
    return nwant == 0;
}

int main(int argc, char **argv)
{
    nwant = argc - 1;
    want = argv + 1;
    act_log_set_level(ACT_LOG_WARNING);
    memset(body100, 'x', sizeof body100);
    if (wanted("local.oneway.recorder")) bench_local_oneway_recorder_off();
    if (wanted("local.oneway crossloop")) bench_local_oneway();
    if (wanted("local.pingpong")) bench_local_pingpong();
    encode_ack();
    if (wanted("remote.oneway.recorder")) bench_remote_recorder();
    if (wanted("remote.pingpong")) bench_remote_pingpong(false);
    if (wanted("remote.tls")) bench_tls();
    act_buf_free(&ack_body);
    return 0;
}
