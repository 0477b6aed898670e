/*
 * test_floods.c - the real daemons under clients that send much and read little, as the
 * reports that motivated the runtime's bounds measured them: 40 connections that announce a
 * 64 MB body to mesos-master and send 16 MB of it keep the master's memory within its input
 * bound (LIBPROCESS_MAX_BUFFERED_INPUT=128MB here; it grew to 659 MB before there was one),
 * and twelve /files/download.json requests for a 60 MB sandbox file that read little keep
 * mesos-slave's growth under 64 MB while the file still arrives whole. A peer that sends
 * messages faster than the master handles them (an open-loop framework once queued 2.7
 * million in it, and /metrics/snapshot stopped answering) is read no faster than its bound
 * (--max_queued_messages_per_connection) lets its messages wait, while other peers and the
 * endpoints are served and every message it sent is handled. Memory is the kernel's
 * VmHWM (peak resident set) of the daemon; the ASan daemons run without their quarantine of
 * freed memory, which would otherwise hide frees.
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB (1024.0 * 1024.0)

/* A field of /proc/<pid>/status ("VmRSS", "VmHWM") in bytes. */
static double proc_status_bytes(int pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    double kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') kb = strtod(line + n + 1, NULL);
    fclose(f);
    ck_assert_msg(kb >= 0, "no %s in %s", field, path);
    return kb * 1024;
}

/* Daemons started from here free memory at once instead of quarantining it. */
static void asan_without_quarantine(void)
{
    const char *old = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
             old ? old : "", old && *old ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
}

/* ---- the master and partial large bodies ------------------------------------------------- */

START_TEST(test_partial_large_bodies_keep_the_master_within_its_input_bound)
{
    asan_without_quarantine();
    setenv("LIBPROCESS_MAX_BUFFERED_INPUT", "128MB", 1);
    char *dir = tu_tmpdir(), port[32], log[4200];
    uint16_t p = tu_free_port();
    snprintf(port, sizeof port, "--port=%u", p);
    snprintf(log, sizeof log, "%s/master.log", dir);
    char *argv[] = {(char *)tu_bin("mesos-master"), "--ip=127.0.0.1", port,
                    "--registry=in_memory", NULL};
    int master = tu_spawn(argv, log);
    ck_assert_msg(tu_wait_http(p, "/master/health", 30), "master did not start; see %s", log);
    double before = proc_status_bytes(master, "VmRSS");
    enum { CLIENTS = 40 };
    static const char head[] = "POST /master/upload HTTP/1.1\r\nContent-Length: 67108864\r\n\r\n";
    const size_t part = 16 << 20;
    char *block = act_calloc(1, part);
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = tu_connect(p);
        ck_assert_int_ge(fds[i], 0);
        ck_assert(tu_write_all(fds[i], head, sizeof head - 1));
        ck_assert(tu_write_all(fds[i], block, part));
    }
    /* Every byte sent has been read by the master. */
    double total = CLIENTS * (double)(part + sizeof head - 1);
    ck_assert_msg(tu_wait_metric(p, "runtime/bytes_received", total, 60),
                  "the master read %.0f of %.0f bytes", tu_metric(p, "runtime/bytes_received"),
                  total);
    /* Bodies were taken while they fit (what is held is real); every other one was refused,
     * or closed once it had stalled to make room for a later one. */
    double held = tu_metric(p, "runtime/buffered_input_bytes");
    ck_assert_msg(held > 32 * MB && held <= 128 * MB, "%.0f MB held", held / MB);
    ck_assert_int_ge(tu_metric(p, "runtime/bodies_refused") +
                     tu_metric(p, "runtime/stalled_requests_closed"), CLIENTS - 8);
    double peak = proc_status_bytes(master, "VmHWM");
    ck_assert_msg(peak - before < 128 * MB + 32 * MB, "the master grew from %.0f MB to %.0f MB",
                  before / MB, peak / MB);
    ck_assert_int_eq(tu_http_get(p, "/master/health", NULL), 200);
    for (int i = 0; i < CLIENTS; i++) close(fds[i]);
    int st = tu_stop(master, SIGTERM, 30);
    ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "mesos-master did not exit cleanly (status %d); see %s", st, log);
    free(block);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- the master and a peer that floods it with messages ---------------------------------- */

/* n ReviveOffersMessages for an unknown framework from "flood@127.0.0.1:9" (the master
 * counts each in master/messages_revive_offers and does nothing else), as one byte stream. */
static void flood_messages(act_buf *out, int n)
{
    wire_revive_offers_message rv = {.framework_id = {"flooding-framework"}};
    act_buf body = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(revive_offers_message), &rv, &body), 0);
    for (int i = 0; i < n; i++) {
        act_buf_printf(out, "POST /master/mesos.internal.ReviveOffersMessage HTTP/1.1\r\n"
                       "Libprocess-From: flood@127.0.0.1:9\r\nContent-Length: %zu\r\n\r\n",
                       body.len);
        act_buf_append(out, body.data, body.len);
    }
    act_buf_free(&body);
}

typedef struct flooder {
    int fd;
    act_buf bytes;
    _Atomic bool done, ok;
} flooder;

static void *flood(void *arg)
{
    flooder *f = arg;
    atomic_store(&f->ok, tu_write_all(f->fd, f->bytes.data, f->bytes.len));
    atomic_store(&f->done, true);
    return NULL;
}

/* Seconds /metrics/snapshot takes to answer with `name`'s value (into *value). */
static double timed_metric(uint16_t port, const char *name, double *value)
{
    double t0 = tu_mono();
    *value = tu_metric(port, name);
    return tu_mono() - t0;
}

START_TEST(test_a_flooding_peer_is_slowed_and_the_master_keeps_serving_others)
{
    asan_without_quarantine();
    enum { BOUND = 200, N = 200000 };
    char *dir = tu_tmpdir(), port[32], bound[64], log[4200];
    uint16_t p = tu_free_port();
    snprintf(port, sizeof port, "--port=%u", p);
    snprintf(bound, sizeof bound, "--max_queued_messages_per_connection=%d", BOUND);
    snprintf(log, sizeof log, "%s/master.log", dir);
    char *argv[] = {(char *)tu_bin("mesos-master"), "--ip=127.0.0.1", port,
                    "--registry=in_memory", bound, NULL};
    int master = tu_spawn(argv, log);
    ck_assert_msg(tu_wait_http(p, "/master/health", 30), "master did not start; see %s", log);
    ck_assert_int_eq(tu_metric(p, "runtime/connections_throttled"), 0);
    double before = proc_status_bytes(master, "VmRSS");
    flooder f = {.fd = tu_connect(p)};
    ck_assert_int_ge(f.fd, 0);
    flood_messages(&f.bytes, N);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, flood, &f), 0);
    ck_assert_msg(tu_wait_metric(p, "runtime/connections_throttled", 1, 30),
                  "the flooding connection was never throttled");
    /* Meanwhile another peer's message is handled, and the endpoints answer, behind at most
     * the flooder's bound of messages. */
    wire_suppress_offers_message su = {.framework_id = {"another-framework"}};
    act_buf body = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(suppress_offers_message), &su, &body), 0);
    ck_assert(tu_send_message_from(NULL, "127.0.0.1", p, "master",
                                   "mesos.internal.SuppressOffersMessage", "other@127.0.0.1:9",
                                   body.data, body.len));
    act_buf_free(&body);
    ck_assert(tu_wait_metric(p, "master/messages_suppress_offers", 1, 10));
    double handled, depth, peak_depth = 0;
    ck_assert_msg(timed_metric(p, "master/messages_revive_offers", &handled) < 5,
                  "/metrics/snapshot was slow to answer during the flood");
    ck_assert_msg(handled < N, "the flood (%d messages) was over before the other peer's "
                  "message was handled: make it longer", N);
    ck_assert_int_eq(tu_http_get(p, "/master/state.json", NULL), 200);
    while (!atomic_load(&f.done)) {
        ck_assert_msg(timed_metric(p, "master/event_queue_messages", &depth) < 5,
                      "/metrics/snapshot was slow to answer during the flood");
        if (depth > peak_depth) peak_depth = depth;
    }
    pthread_join(t, NULL);
    ck_assert(atomic_load(&f.ok));
    /* Nothing the flooder sent was lost; what waited in the master stayed within the bound
     * (the message being handled when the gauge was read, and the other peer's, aside). */
    ck_assert_msg(tu_wait_metric(p, "master/messages_revive_offers", N, 60), "%.0f of %d handled",
                  tu_metric(p, "master/messages_revive_offers"), N);
    ck_assert_int_eq(tu_metric(p, "master/messages_revive_offers"), N);
    ck_assert_msg(peak_depth > 0 && peak_depth <= BOUND + 2, "%.0f messages waited", peak_depth);
    ck_assert_int_eq(tu_metric(p, "runtime/throttled_connections"), 0);
    double peak = proc_status_bytes(master, "VmHWM");
    ck_assert_msg(peak - before < 32 * MB, "the master grew from %.0f MB to %.0f MB",
                  before / MB, peak / MB);
    close(f.fd);
    act_buf_free(&f.bytes);
    int st = tu_stop(master, SIGTERM, 30);
    ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "mesos-master did not exit cleanly (status %d); see %s", st, log);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- the slave and downloads that read little -------------------------------------------- */

/* The real path of the file `name` in task `id`'s sandbox (out: PATH_MAX + 64 bytes). */
static void sandbox_file(tc_cluster *c, const char *id, const char *name, char *out)
{
    char pattern[4600], real[PATH_MAX];
    snprintf(pattern, sizeof pattern, "%s/slaves/*/frameworks/*/executors/%s/runs/latest",
             tc_slave_work_dir(c), id);
    glob_t g;
    ck_assert_int_eq(glob(pattern, 0, NULL, &g), 0);
    ck_assert_ptr_nonnull(realpath(g.gl_pathv[0], real));
    globfree(&g);
    snprintf(out, PATH_MAX + 64, "%s/%.60s", real, name);
}

/* Reads `n` body bytes, which must all be zeros (the file is /dev/zero's). */
static void read_zeros(int fd, size_t n)
{
    static const char zeros[65536];
    char buf[65536];
    while (n) {
        ssize_t r = read(fd, buf, n < sizeof buf ? n : sizeof buf);
        ck_assert_int_gt(r, 0);
        ck_assert(memcmp(buf, zeros, (size_t)r) == 0);
        n -= (size_t)r;
    }
}

/* Sends the download request, reads the head (checking the length announced) and the first
 * `taken` bytes of the body. */
static int start_download(uint16_t port, const char *path, size_t size, size_t taken)
{
    int fd = tu_connect(port);
    ck_assert_int_ge(fd, 0);
    char req[PATH_MAX + 256], head[1024];
    int n = snprintf(req, sizeof req, "GET /files/download.json?path=%s HTTP/1.1\r\n\r\n", path);
    ck_assert(tu_write_all(fd, req, (size_t)n));
    size_t len = 0;
    while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
        ck_assert_uint_lt(len, sizeof head - 1);
        ck_assert_int_eq(read(fd, head + len, 1), 1);
        len++;
    }
    head[len] = '\0';
    char length[64];
    snprintf(length, sizeof length, "Content-Length: %zu\r\n", size);
    ck_assert_msg(strncmp(head, "HTTP/1.1 200", 12) == 0 && strstr(head, length), "%s", head);
    read_zeros(fd, taken);
    return fd;
}

START_TEST(test_downloads_that_read_little_keep_the_slave_small)
{
    asan_without_quarantine();
    tc_cluster c;
    tc_start(&c, NULL);
    tc_sched *s = tc_sched_start(&c, false);
    enum { SIZE = 60 << 20 };
    tc_task t = {.id = "big", .command = "head -c 62914560 /dev/zero > big", .cpus = 0.1,
                 .mem = 16};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "big", WIRE_TASK_FINISHED, 60), "see %s", c.slave_log);
    char path[PATH_MAX + 64];
    sandbox_file(&c, "big", "big", path);
    double before = proc_status_bytes(c.slave_pid, "VmRSS");
    enum { CLIENTS = 12, TAKEN = 8 << 20 };
    int fds[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) fds[i] = start_download(c.slave_port, path, SIZE, TAKEN);
    double peak = proc_status_bytes(c.slave_pid, "VmHWM");
    ck_assert_msg(peak - before < 64 * MB, "the slave grew from %.0f MB to %.0f MB",
                  before / MB, peak / MB);
    ck_assert_int_le(tu_metric(c.slave_port, "runtime/buffered_output_bytes"), CLIENTS * MB);
    ck_assert_int_eq(tu_http_get(c.slave_port, "/slave(1)/health", NULL), 200);
    /* Whoever reads on gets the whole file. */
    read_zeros(fds[0], SIZE - TAKEN);
    for (int i = 0; i < CLIENTS; i++) close(fds[i]);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

Suite *floods_suite(void)
{
    Suite *s = suite_create("floods");
    TCase *tc = tcase_create("daemons");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_partial_large_bodies_keep_the_master_within_its_input_bound);
    tcase_add_test(tc, test_a_flooding_peer_is_slowed_and_the_master_keeps_serving_others);
    tcase_add_test(tc, test_downloads_that_read_little_keep_the_slave_small);
    suite_add_tcase(s, tc);
    return s;
}
