/*
 * test_guard.c - the runtime under hostile and sloppy clients, over real loopback sockets:
 * half a request head, a body that stops and an idle HTTP client are closed after their
 * timeouts on the paused clock while an idle actor peer stays; large bodies beyond the
 * process' input bound are refused and a stalled one is closed to make room; a streamed body
 * is produced only as fast as its client reads; a client that pipelines requests and reads
 * nothing stops being read, and past the process' output bound a stalled client is closed to
 * make room; with RLIMIT_NOFILE at 256 (in a child process) 400 idle
 * connections leave /health answering without the process spinning, and with no descriptor
 * left at all surplus clients are closed at once while the listener pauses; and every
 * warning a peer provokes appears once per interval.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- a runtime with small bounds and an actor to talk to --------------------------------- */

typedef struct limits {
    double header, body, idle, send;
    size_t max_input, max_output, max_conn_output, max_body;
} limits;

static const limits relaxed = {.header = 1000, .body = 1000, .idle = 1000, .send = 1000};

static void start(const limits *l)
{
    act_config c = tu_loopback_config();
    c.header_timeout = l->header;
    c.body_timeout = l->body;
    c.idle_timeout = l->idle;
    c.send_timeout = l->send;
    c.max_input = l->max_input;
    c.max_output = l->max_output;
    c.max_conn_output = l->max_conn_output;
    c.max_body = l->max_body;
    tu_runtime_start_config(&c);
}

static tu_counter pings;
static _Atomic uint64_t produced; /* bytes handed out by the pattern producer */

static void on_ping(act_actor *self, const act_msg *m)
{
    tu_counter_add(&pings, 1);
}

static void on_health(act_actor *self, act_http_req *req)
{
    act_http_respond_text(req, 200, "OK");
}

/* POST bodies are answered with their length. */
static void on_upload(act_actor *self, act_http_req *req)
{
    size_t len;
    act_http_body(req, &len);
    char text[32];
    snprintf(text, sizeof text, "%zu", len);
    act_http_respond_text(req, 200, text);
}

/* A body of ?size= bytes, byte i being 'a' + i % 26, made as the client reads. */
typedef struct pattern {
    uint64_t at, size;
} pattern;

static int pattern_produce(void *ctx, act_buf *out, size_t room)
{
    pattern *p = ctx;
    size_t n = p->size - p->at < room ? (size_t)(p->size - p->at) : room;
    for (size_t i = 0; i < n; i++) act_buf_putc(out, (char)('a' + (p->at + i) % 26));
    p->at += n;
    atomic_fetch_add(&produced, n);
    return p->at == p->size ? 1 : 0;
}

static void on_pattern(act_actor *self, act_http_req *req)
{
    pattern *p = act_calloc(1, sizeof *p);
    p->size = strtoull(act_http_query(req, "size"), NULL, 10);
    act_http_producer prod = {.produce = pattern_produce, .release = free, .ctx = p};
    act_http_respond_stream(req, 200, "text/plain", (int64_t)p->size, NULL, &prod);
}

/* An 8 MB answer built whole, as most handlers build theirs. */
static void on_big(act_actor *self, act_http_req *req)
{
    size_t len = 8 << 20;
    char *body = act_calloc(1, len);
    act_http_respond(req, 200, "application/octet-stream", body, len, NULL);
    free(body);
}

static void spawn_web(void)
{
    tu_counter_init(&pings);
    atomic_store(&produced, 0);
    act_actor *a = act_new("web", NULL);
    act_on_message(a, "ping", on_ping);
    act_route(a, "health", on_health, NULL);
    act_route(a, "upload", on_upload, NULL);
    act_route(a, "pattern", on_pattern, NULL);
    act_route(a, "big", on_big, NULL);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    act_set_default_actor("web");
}

static void send_text(int fd, const char *text)
{
    ck_assert(tu_write_all(fd, text, strlen(text)));
}

/* Sends n bytes of body filler. */
static void send_filler(int fd, size_t n)
{
    static char block[64 * 1024];
    memset(block, 'x', sizeof block);
    while (n) {
        size_t k = n < sizeof block ? n : sizeof block;
        ck_assert(tu_write_all(fd, block, k));
        n -= k;
    }
}

/* True while the server keeps the connection open (nothing to read, no EOF). */
static bool still_open(int fd)
{
    char c;
    return recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

static bool closed_by_server(int fd)
{
    return tu_read_until_closed(fd, NULL);
}

static double metric(const char *name)
{
    return tu_metric(act_port(), name);
}

/* Advances the paused clock and lets every due timer run. */
static void advance(double secs)
{
    act_clock_advance(secs);
    ck_assert_int_eq(act_clock_settle(), 0);
}

static int upload_head(size_t length)
{
    int fd = tu_connect(act_port());
    char head[128];
    snprintf(head, sizeof head, "POST /web/upload HTTP/1.1\r\nContent-Length: %zu\r\n\r\n",
             length);
    send_text(fd, head);
    return fd;
}

static int read_status(int fd, act_buf *body)
{
    act_buf all = {0};
    char buf[4096];
    ssize_t r;
    while ((!all.data || !strstr(all.data, "\r\n\r\n")) && (r = read(fd, buf, sizeof buf)) > 0)
        act_buf_append(&all, buf, (size_t)r);
    int status = -1;
    if (all.data) sscanf(all.data, "HTTP/1.1 %d", &status);
    const char *end = all.data ? strstr(all.data, "\r\n\r\n") : NULL;
    if (body && end) act_buf_puts(body, end + 4);
    act_buf_free(&all);
    return status;
}

/* ---- timeouts ---------------------------------------------------------------------------- */

START_TEST(test_half_a_request_head_is_closed_after_the_header_timeout)
{
    act_clock_pause();
    limits l = relaxed;
    l.header = 10;
    start(&l);
    spawn_web();
    int silent = tu_connect(act_port()), half = tu_connect(act_port());
    send_text(half, "GET /web/health HTTP/1.1\r\nHost: loc");
    /* both accepted (and the snapshot's own connection): their clocks started */
    ck_assert(tu_wait_metric(act_port(), "runtime/inbound_connections", 3, 10));
    advance(9);
    ck_assert(still_open(silent) && still_open(half));
    advance(2);
    ck_assert(closed_by_server(silent));
    ck_assert(closed_by_server(half));
    ck_assert_int_eq((int)metric("runtime/header_timeouts"), 2);
    ck_assert_int_eq(tu_http_get(act_port(), "/health", NULL), 200);
    close(silent);
    close(half);
    act_shutdown();
    act_clock_resume();
}
END_TEST

START_TEST(test_limits_come_from_the_environment_and_bad_values_are_refused)
{
    act_config c;
    act_config_default(&c);
    c.ip = "127.0.0.1";
    c.port = 0;
    setenv("LIBPROCESS_HTTP_IDLE_TIMEOUT", "soon", 1);
    ck_assert_int_eq(act_init(&c), -EINVAL);
    setenv("LIBPROCESS_HTTP_IDLE_TIMEOUT", "0secs", 1);
    ck_assert_int_eq(act_init(&c), -EINVAL);
    setenv("LIBPROCESS_HTTP_IDLE_TIMEOUT", "1mins", 1);
    setenv("LIBPROCESS_MAX_BUFFERED_INPUT", "lots", 1);
    ck_assert_int_eq(act_init(&c), -EINVAL);
    unsetenv("LIBPROCESS_MAX_BUFFERED_INPUT");
    setenv("LIBPROCESS_HTTP_HEADER_TIMEOUT", "3secs", 1);
    act_clock_pause();
    ck_assert_int_eq(act_init(&c), 0);
    ck_assert_int_eq(act_start(), 0);
    int fd = tu_connect(act_port());
    ck_assert(tu_wait_metric(act_port(), "runtime/inbound_connections", 2, 10));
    advance(2);
    ck_assert(still_open(fd));
    advance(2);
    ck_assert(closed_by_server(fd));
    close(fd);
    act_shutdown();
    act_clock_resume();
}
END_TEST

START_TEST(test_a_body_that_stops_is_closed_after_the_body_timeout)
{
    act_clock_pause();
    limits l = relaxed;
    l.body = 30;
    start(&l);
    spawn_web();
    int fd = upload_head(10000);
    send_filler(fd, 1000);
    ck_assert(tu_wait_metric(act_port(), "runtime/buffered_input_bytes", 1000, 10));
    advance(29);
    send_filler(fd, 1000); /* progress restarts the clock */
    ck_assert(tu_wait_metric(act_port(), "runtime/buffered_input_bytes", 2000, 10));
    advance(29);
    ck_assert(still_open(fd));
    advance(2);
    ck_assert(closed_by_server(fd));
    ck_assert_int_eq((int)metric("runtime/body_timeouts"), 1);
    ck_assert_int_eq((int)metric("runtime/buffered_input_bytes"), 0);
    close(fd);
    act_shutdown();
    act_clock_resume();
}
END_TEST

START_TEST(test_an_idle_http_client_is_closed_but_an_idle_actor_peer_stays)
{
    act_clock_pause();
    limits l = relaxed;
    l.idle = 60;
    start(&l);
    spawn_web();
    int client = tu_connect(act_port()), peer = tu_connect(act_port());
    send_text(client, "GET /web/health HTTP/1.1\r\n\r\n");
    char buf[256];
    ck_assert_int_gt(read(client, buf, sizeof buf), 0); /* answered; now idle */
    send_text(peer, "POST /web/ping HTTP/1.1\r\nLibprocess-From: peer@127.0.0.1:9\r\n"
                    "Content-Length: 0\r\n\r\n");
    ck_assert(tu_counter_wait(&pings, 1, 10));
    advance(59);
    ck_assert(still_open(client));
    advance(2);
    ck_assert(closed_by_server(client));
    advance(3600);
    ck_assert(still_open(peer));
    ck_assert_int_eq((int)metric("runtime/idle_timeouts"), 1);
    close(client);
    close(peer);
    act_shutdown();
    act_clock_resume();
}
END_TEST

/* ---- bounded input ----------------------------------------------------------------------- */

START_TEST(test_large_bodies_beyond_the_input_bound_are_refused_and_stalled_ones_closed)
{
    act_clock_pause();
    limits l = relaxed;
    l.max_input = 1 << 20;
    l.max_body = 8 << 20;
    start(&l);
    spawn_web();
    /* A holds 700 KB of a 900 KB body and goes quiet. */
    int a = upload_head(900 << 10);
    send_filler(a, 700 << 10);
    ck_assert(tu_wait_metric(act_port(), "runtime/buffered_input_bytes", 700 << 10, 10));
    /* B's 900 KB do not fit beside, and A is not stalled yet: B is refused, read to its end
     * and answered 503. */
    int b = upload_head(900 << 10);
    send_filler(b, 900 << 10);
    ck_assert_int_eq(read_status(b, NULL), 503);
    ck_assert_int_eq((int)metric("runtime/bodies_refused"), 1);
    ck_assert(still_open(a));
    /* A second later A is stalled: C's body makes room by closing it. */
    advance(2);
    int c = upload_head(800 << 10);
    send_filler(c, 800 << 10);
    act_buf body = {0};
    ck_assert_int_eq(read_status(c, &body), 200);
    ck_assert_str_eq(body.data, "819200");
    ck_assert(closed_by_server(a));
    ck_assert_int_eq((int)metric("runtime/stalled_requests_closed"), 1);
    ck_assert_int_le(metric("runtime/buffered_input_bytes"), 1 << 20);
    /* Small bodies always fit. */
    int d = upload_head(10);
    send_text(d, "0123456789");
    ck_assert_int_eq(read_status(d, NULL), 200);
    act_buf_free(&body);
    close(a);
    close(b);
    close(c);
    close(d);
    act_shutdown();
    act_clock_resume();
}
END_TEST

/* ---- bounded output ---------------------------------------------------------------------- */

/* Returns once the server began producing and then stopped: a whole loop iteration went by
 * without the producer being asked for more (its socket is full). */
static void wait_until_blocked(void)
{
    uint64_t before;
    int rounds = 0;
    do {
        before = atomic_load(&produced);
        ck_assert_int_eq(act_clock_settle(), 0);
    } while ((before == 0 || atomic_load(&produced) != before) && ++rounds < 100000);
    ck_assert_uint_gt(before, 0);
}

/* A client with a small receive buffer, so the kernel holds little of what it does not read. */
static int connect_small(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 64 << 10;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(0x7f000001u)};
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

START_TEST(test_a_streamed_body_is_produced_only_as_fast_as_the_client_reads)
{
    limits l = relaxed;
    l.max_conn_output = 256 << 10;
    start(&l);
    spawn_web();
    const size_t size = 64 << 20;
    int fd = connect_small(act_port());
    char req[128];
    snprintf(req, sizeof req, "GET /web/pattern?size=%zu HTTP/1.1\r\n\r\n", size);
    send_text(fd, req);
    /* Nothing is read: the server fills the socket buffers and stops. */
    wait_until_blocked();
    ck_assert_uint_lt(atomic_load(&produced), 16 << 20);
    ck_assert_int_le(metric("runtime/buffered_output_bytes"), 256 << 10);
    /* Reading takes the whole body, intact. */
    act_buf head = {0};
    char buf[65536];
    uint64_t got = 0;
    bool intact = true, in_body = false;
    while (got < size) {
        ssize_t r = read(fd, buf, sizeof buf);
        ck_assert_int_gt(r, 0);
        size_t off = 0;
        if (!in_body) {
            act_buf_append(&head, buf, (size_t)r);
            char *end = strstr(head.data, "\r\n\r\n");
            if (!end) continue;
            in_body = true;
            ck_assert(strstr(head.data, "Content-Length: 67108864\r\n"));
            size_t body_in_head = head.len - (size_t)(end + 4 - head.data);
            off = (size_t)r - body_in_head;
        }
        for (size_t i = off; i < (size_t)r; i++, got++)
            intact = intact && buf[i] == (char)('a' + got % 26);
    }
    ck_assert(intact);
    ck_assert_uint_eq(got, size);
    ck_assert_int_eq(tu_http_get(act_port(), "/web/health", NULL), 200);
    act_buf_free(&head);
    close(fd);
    act_shutdown();
}
END_TEST

START_TEST(test_a_client_that_does_not_read_stops_being_read_and_times_out)
{
    act_clock_pause();
    limits l = relaxed;
    l.send = 60;
    l.max_conn_output = 64 << 10;
    start(&l);
    spawn_web();
    int fd = connect_small(act_port());
    /* 2000 pipelined requests for 64 KB each, and not one byte read. */
    act_buf many = {0};
    for (int i = 0; i < 2000; i++)
        act_buf_puts(&many, "GET /web/pattern?size=65536 HTTP/1.1\r\n\r\n");
    ck_assert(tu_write_all(fd, many.data, many.len));
    wait_until_blocked();
    ck_assert_uint_lt(atomic_load(&produced), 2000u * 65536 / 4);
    ck_assert_int_le(metric("runtime/buffered_output_bytes"), 64 << 10);
    advance(61);
    ck_assert(closed_by_server(fd));
    ck_assert_int_eq((int)metric("runtime/send_timeouts"), 1);
    act_buf_free(&many);
    close(fd);
    act_shutdown();
    act_clock_resume();
}
END_TEST

START_TEST(test_past_the_output_bound_a_stalled_client_is_closed_for_a_new_one)
{
    act_clock_pause();
    limits l = relaxed;
    l.max_output = 1 << 20;
    start(&l);
    spawn_web();
    /* A asks for 8 MB and reads none: what the kernel does not hold waits in the process. */
    int a = connect_small(act_port());
    send_text(a, "GET /web/big HTTP/1.1\r\n\r\n");
    ck_assert(tu_wait_metric(act_port(), "runtime/buffered_output_bytes", 1 << 20, 10));
    /* Two seconds later B asks too: A, stalled, goes to make room. */
    advance(2);
    int b = tu_connect(act_port());
    send_text(b, "GET /web/big HTTP/1.1\r\n\r\n");
    act_buf body = {0};
    ck_assert_int_eq(read_status(b, &body), 200);
    ck_assert(closed_by_server(a));
    ck_assert_int_eq((int)metric("runtime/stalled_responses_closed"), 1);
    act_buf_free(&body);
    close(a);
    close(b);
    act_shutdown();
    act_clock_resume();
}
END_TEST

/* ---- descriptors ------------------------------------------------------------------------- */

/* utime + stime of pid, in seconds. */
static double cpu_seconds(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    unsigned long utime = 0, stime = 0;
    const char *p = strrchr(text, ')'); /* the command may hold spaces */
    ck_assert(p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                          &utime, &stime) == 2);
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* A child process running a runtime under RLIMIT_NOFILE=256, its log kept in a file. With
 * `starve`, files then take every descriptor left, until the parent writes a byte to `cmd`
 * (64 are given back). */
typedef struct child {
    pid_t pid;
    uint16_t port;
    int cmd, log_fd;
} child;

static void child_main(int port_fd, int cmd_fd, int log_fd, bool starve)
{
    struct rlimit rl = {256, 256};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(2);
    dup2(log_fd, STDERR_FILENO);
    act_config c;
    act_config_default(&c);
    c.ip = "127.0.0.1";
    c.port = 0;
    if (act_init(&c) != 0) _exit(3);
    spawn_web();
    if (act_start() != 0) _exit(4);
    int files[256], n = 0;
    while (starve && n < 256 && (files[n] = open("/dev/null", O_RDONLY)) >= 0) n++;
    uint16_t port = act_port();
    if (write(port_fd, &port, sizeof port) != sizeof port) _exit(5);
    char b;
    if (read(cmd_fd, &b, 1) == 1)
        for (int i = 0; i < 64 && n > 0; i++) close(files[--n]);
    while (read(cmd_fd, &b, 1) > 0) {} /* until the parent goes */
    _exit(0);
}

static void child_start(child *ch, bool starve)
{
    char log_path[] = "/tmp/test_guard_log.XXXXXX";
    ch->log_fd = mkstemp(log_path);
    ck_assert_int_ge(ch->log_fd, 0);
    unlink(log_path);
    int port[2], cmd[2];
    ck_assert_int_eq(pipe(port), 0);
    ck_assert_int_eq(pipe(cmd), 0);
    ch->pid = fork();
    ck_assert_int_ge(ch->pid, 0);
    if (ch->pid == 0) {
        close(port[0]);
        close(cmd[1]);
        child_main(port[1], cmd[0], ch->log_fd, starve);
    }
    close(port[1]);
    close(cmd[0]);
    ch->cmd = cmd[1];
    ck_assert_int_eq(read(port[0], &ch->port, sizeof ch->port), (ssize_t)sizeof ch->port);
    close(port[0]);
}

/* Ends the child; returns its log (free it). */
static char *child_stop(child *ch)
{
    kill(ch->pid, SIGKILL);
    waitpid(ch->pid, NULL, 0);
    close(ch->cmd);
    off_t len = lseek(ch->log_fd, 0, SEEK_END);
    char *log = act_calloc(1, (size_t)len + 1);
    ck_assert_int_eq(pread(ch->log_fd, log, (size_t)len, 0), len);
    close(ch->log_fd);
    return log;
}

static int count_in(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++) n++;
    return n;
}

/* The window CPU use is measured over, once the clients did what they came for. */
static void measuring_window(void)
{
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
}

START_TEST(test_idle_connections_beyond_the_descriptor_limit_leave_health_answering)
{
    child ch;
    child_start(&ch, false);
    double cpu0 = cpu_seconds(ch.pid), wall0 = tu_mono();
    enum { IDLE = 400 };
    static int fds[IDLE];
    for (int i = 0; i < IDLE; i++) {
        fds[i] = tu_connect(ch.port);
        ck_assert_int_ge(fds[i], 0);
    }
    /* Ten health checks: each within a second, however many idle connections there are. */
    for (int i = 0; i < 10; i++) {
        double t = tu_mono();
        ck_assert_int_eq(tu_http_get(ch.port, "/health", NULL), 200);
        ck_assert_msg(tu_mono() - t < 1.0, "/health took %.3f s", tu_mono() - t);
    }
    ck_assert_int_ge(tu_metric(ch.port, "runtime/connections_evicted"), IDLE - 256);
    measuring_window();
    double cpu = cpu_seconds(ch.pid) - cpu0, wall = tu_mono() - wall0;
    ck_assert_msg(cpu < 0.1 * wall, "%.2f s of CPU in %.2f s", cpu, wall);
    for (int i = 0; i < IDLE; i++) close(fds[i]);
    char *log = child_stop(&ch);
    /* Whatever the child warned about, it did so at most once per interval. */
    ck_assert_int_le(count_in(log, "accept:"), 1);
    ck_assert_int_le(count_in(log, "Refusing a connection"), 1);
    ck_assert_uint_lt(strlen(log), 16384);
    free(log);
}
END_TEST

START_TEST(test_accept_without_a_descriptor_closes_the_surplus_and_pauses_instead_of_spinning)
{
    child ch;
    child_start(&ch, true); /* its descriptors are all taken by files */
    double cpu0 = cpu_seconds(ch.pid), wall0 = tu_mono();
    enum { SURPLUS = 50 };
    int fds[SURPLUS];
    for (int i = 0; i < SURPLUS; i++) fds[i] = tu_connect(ch.port);
    for (int i = 0; i < SURPLUS; i++) {
        ck_assert_msg(closed_by_server(fds[i]), "client %d was left waiting", i);
        close(fds[i]);
    }
    measuring_window();
    double cpu = cpu_seconds(ch.pid) - cpu0, wall = tu_mono() - wall0;
    ck_assert_msg(cpu < 0.1 * wall, "%.2f s of CPU in %.2f s", cpu, wall);
    /* Descriptors come back: the paused listener accepts again. */
    ck_assert_int_eq(write(ch.cmd, "x", 1), 1);
    ck_assert(tu_wait_http(ch.port, "/health", 10));
    ck_assert_int_ge(tu_metric(ch.port, "runtime/descriptors_exhausted"), 1);
    ck_assert_int_ge(tu_metric(ch.port, "runtime/connections_refused"), SURPLUS);
    char *log = child_stop(&ch);
    ck_assert_msg(count_in(log, "accept: Too many open files") == 1, "%s", log);
    free(log);
}
END_TEST

/* ---- logging ----------------------------------------------------------------------------- */

/* Twenty of each thing a peer can do wrong over the network. */
static void provoke(void)
{
    int half[20];
    for (int i = 0; i < 20; i++) {
        int fd = tu_connect(act_port());
        send_text(fd, "POST /web/upload HTTP/1.1\r\nContent-Length: 999999\r\n\r\n");
        closed_by_server(fd); /* over max_body */
        close(fd);
        fd = tu_connect(act_port());
        send_text(fd, "POST /ghost/ping HTTP/1.1\r\nLibprocess-From: a@127.0.0.1:9\r\n"
                      "Content-Length: 0\r\n\r\nGET /web/health HTTP/1.1\r\n\r\n");
        ck_assert_int_eq(read_status(fd, NULL), 200); /* the drop happened before */
        close(fd);
        half[i] = tu_connect(act_port());
        send_text(half[i], "GET /web/health HTTP/1.1\r\n");
    }
    ck_assert(tu_wait_metric(act_port(), "runtime/inbound_connections", 21, 10));
    advance(11); /* twenty header timeouts */
    for (int i = 0; i < 20; i++) {
        ck_assert(closed_by_server(half[i]));
        close(half[i]);
    }
}

START_TEST(test_each_warning_a_peer_provokes_appears_once_per_interval)
{
    act_clock_pause();
    limits l = relaxed;
    l.header = 10;
    l.max_body = 1000;
    start(&l);
    spawn_web();
    tu_stderr_begin();
    provoke();
    advance(ACT_LOG_LIMIT_SECS);
    provoke();
    char *out = tu_stderr_end();
    ck_assert_msg(count_in(out, "request body over the 1000 byte limit") == 2, "%s", out);
    ck_assert_msg(count_in(out, "Dropping message 'ping' for 'ghost'") == 2, "%s", out);
    ck_assert_msg(count_in(out, "no complete request head") == 2, "%s", out);
    ck_assert_msg(count_in(out, "(19 similar lines suppressed)") == 3, "%s", out);
    free(out);
    act_shutdown();
    act_clock_resume();
}
END_TEST

Suite *guard_suite(void)
{
    Suite *s = suite_create("guard");
    TCase *tc = tcase_create("floods");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_half_a_request_head_is_closed_after_the_header_timeout);
    tcase_add_test(tc, test_limits_come_from_the_environment_and_bad_values_are_refused);
    tcase_add_test(tc, test_a_body_that_stops_is_closed_after_the_body_timeout);
    tcase_add_test(tc, test_an_idle_http_client_is_closed_but_an_idle_actor_peer_stays);
    tcase_add_test(tc,
                   test_large_bodies_beyond_the_input_bound_are_refused_and_stalled_ones_closed);
    tcase_add_test(tc, test_a_streamed_body_is_produced_only_as_fast_as_the_client_reads);
    tcase_add_test(tc, test_a_client_that_does_not_read_stops_being_read_and_times_out);
    tcase_add_test(tc, test_past_the_output_bound_a_stalled_client_is_closed_for_a_new_one);
    tcase_add_test(tc, test_idle_connections_beyond_the_descriptor_limit_leave_health_answering);
    tcase_add_test(tc,
                   test_accept_without_a_descriptor_closes_the_surplus_and_pauses_instead_of_spinning);
    tcase_add_test(tc, test_each_warning_a_peer_provokes_appears_once_per_interval);
    suite_add_tcase(s, tc);
    return s;
}
