/*
 * actor_bench.c - throughput and latency of the actor runtime, one JSON line per figure:
 * local one-way and ping-pong (one loop), one-way between two loop threads, and one-way,
 * ping-pong and round-trip percentiles between two processes over loopback with 100-byte
 * bodies, in plain text and again over TLS (the same figures suffixed .tls). One-way senders keep a bounded window of unacknowledged messages so the figure is
 * a sustained rate, not the speed of filling memory.
 */
#include "actor/actor.h"
#include "tests/support/selfsigned.h"

#include <pthread.h>
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
    uint64_t total, sent, acked, received;
    size_t body_len;
    double start, end;
} oneway;

static char body100[100];

static void source_pump(act_actor *self, oneway *s)
{
    while (s->sent < s->total && s->sent - s->acked < WINDOW) {
        act_send(self, &s->peer, "data", body100, s->body_len);
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
    return (double)src->total / (src->end - src->start);
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

static pid_t fork_peer(uint16_t *port)
{
    int p[2];
    if (pipe(p) != 0) return -1;
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        act_config c;
        act_config_default(&c);
        c.port = 0;
        if (act_init(&c) != 0) _exit(2);
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

/* Figures under `name`, or `name`.tls when the runtime speaks TLS. */
static const char *figure(const char *name, bool tls)
{
    static char buf[96];
    snprintf(buf, sizeof buf, "%s%s", name, tls ? ".tls" : "");
    return buf;
}

static void bench_remote(bool tls)
{
    uint16_t port;
    pid_t child = fork_peer(&port);
    if (child < 0) {
        fprintf(stderr, "actor_bench: cannot start the peer process\n");
        return;
    }
    act_init(NULL);
    act_start();
    static oneway src;
    memset(&src, 0, sizeof src);
    act_pid_make("sink", 0x7f000001u, port, &src.peer);
    src.total = 2000000 / ACK_EVERY * ACK_EVERY;
    src.body_len = sizeof body100;
    emit(figure("actor.remote.oneway", tls), run_oneway(&src, 0), "msgs/s");

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

int main(void)
{
    act_log_set_level(ACT_LOG_WARNING);
    memset(body100, 'x', sizeof body100);
    bench_local_oneway();
    bench_local_pingpong();
    bench_remote(false);
    char dir[32], rm[64];
    if (selfsigned_tls_env(dir, true)) { /* verified and required both ways, as a locked-down
                                           cluster runs */
        bench_remote(true);
        snprintf(rm, sizeof rm, "rm -rf %s", dir);
        if (system(rm) != 0) fprintf(stderr, "actor_bench: could not remove %s\n", dir);
    } else {
        fprintf(stderr, "actor_bench: no TLS figures (openssl failed)\n");
    }
    return 0;
}
