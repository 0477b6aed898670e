/*
 * testutil.c - helpers shared by the test suites (see testutil.h).
 */
#include "tests/support/testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void tu_counter_init(tu_counter *c)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->value = 0;
}

void tu_counter_add(tu_counter *c, uint64_t n)
{
    pthread_mutex_lock(&c->mu);
    c->value += n;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

uint64_t tu_counter_get(tu_counter *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t v = c->value;
    pthread_mutex_unlock(&c->mu);
    return v;
}

bool tu_counter_wait(tu_counter *c, uint64_t target, double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    ts.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&c->mu);
    while (c->value < target)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT) break;
    bool ok = c->value >= target;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

act_config tu_loopback_config(void)
{
    act_config c;
    act_config_default(&c);
    c.ip = "127.0.0.1";
    c.port = 0;
    return c;
}

void tu_runtime_start_config(const act_config *c)
{
    ck_assert_int_eq(act_init(c), 0);
    ck_assert_int_eq(act_start(), 0);
}

void tu_runtime_start(int loops)
{
    act_config c = tu_loopback_config();
    c.loops = loops;
    tu_runtime_start_config(&c);
}

static int connect_with(const char *src_ip, const char *dst_ip, uint16_t port, int rcvbuf)
{
    struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET,
                                                            .sin_port = htons(port)};
    if (inet_pton(AF_INET, dst_ip, &dst.sin_addr) != 1) return -1;
    if (src_ip && inet_pton(AF_INET, src_ip, &src.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if ((src_ip && bind(fd, (struct sockaddr *)&src, sizeof src) != 0) ||
        connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int tu_connect_addr(const char *src_ip, const char *dst_ip, uint16_t port)
{
    return connect_with(src_ip, dst_ip, port, 0);
}

int tu_connect(uint16_t port)
{
    return tu_connect_addr(NULL, "127.0.0.1", port);
}

int tu_connect_small(uint16_t port, int rcvbuf)
{
    return connect_with(NULL, "127.0.0.1", port, rcvbuf);
}

bool tu_read_until_closed(int fd, act_buf *out)
{
    char buf[4096];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0) return true;
        if (r < 0) return errno == ECONNRESET;
        if (out) act_buf_append(out, buf, (size_t)r);
    }
}

/* Reads until `in` holds at least `want` bytes; false at EOF or on error. */
static bool read_at_least(int fd, act_buf *in, size_t want)
{
    char buf[4096];
    while (in->len < want) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0) return false;
        act_buf_append(in, buf, (size_t)r);
    }
    return true;
}

/* Decodes a chunked body that starts at in[at]; appends it to body. False if cut short. */
static bool read_chunked(int fd, act_buf *in, size_t at, act_buf *body)
{
    for (;;) {
        char *eol;
        while (!(eol = in->len > at ? strstr(in->data + at, "\r\n") : NULL))
            if (!read_at_least(fd, in, in->len + 1)) return false;
        size_t size = strtoul(in->data + at, NULL, 16), data = (size_t)(eol - in->data) + 2;
        if (!read_at_least(fd, in, data + size + 2)) return false;
        if (size == 0) return true;
        if (body) act_buf_append(body, in->data + data, size);
        at = data + size + 2;
    }
}

/* Reads one response: head, then Content-Length bytes, a chunked body, or until close. */
static int read_response(int fd, act_buf *head_out, act_buf *body)
{
    act_buf in = {0};
    char *end = NULL;
    while (!(end = in.data ? strstr(in.data, "\r\n\r\n") : NULL)) {
        if (!read_at_least(fd, &in, in.len + 1)) {
            act_buf_free(&in);
            return -1;
        }
    }
    size_t head_len = (size_t)(end - in.data) + 4;
    int status = -1;
    sscanf(in.data, "HTTP/1.%*d %d", &status);
    const char *cl = strcasestr(in.data, "Content-Length:");
    const char *te = strcasestr(in.data, "Transfer-Encoding: chunked");
    if (head_out) act_buf_append(head_out, in.data, head_len);
    if (te && te < end) {
        if (!read_chunked(fd, &in, head_len, body)) status = -1;
    } else {
        long want = cl && cl < end ? strtol(cl + 15, NULL, 10) : -1;
        if (want >= 0)
            read_at_least(fd, &in, head_len + (size_t)want);
        else
            while (read_at_least(fd, &in, in.len + 1)) {}
        if (body) act_buf_append(body, in.data + head_len, in.len - head_len);
    }
    act_buf_free(&in);
    return status;
}

int tu_http_raw(uint16_t port, const char *request, size_t len, act_buf *body)
{
    int fd = tu_connect(port);
    if (fd < 0) return -1;
    if (write(fd, request, len) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    int status = read_response(fd, NULL, body);
    close(fd);
    return status;
}

static tu_http_get_fn http_client; /* tu_http_set_client: how GETs go (TLS), or NULL */

void tu_http_set_client(tu_http_get_fn fn)
{
    http_client = fn;
}

static int http_get_head(const char *ip, uint16_t port, const char *path, act_buf *head,
                         act_buf *body)
{
    if (http_client) return http_client(ip, port, path, head, body);
    int fd = tu_connect_addr(NULL, ip, port);
    if (fd < 0) return -1;
    act_buf req = {0};
    act_buf_printf(&req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", path);
    ssize_t w = write(fd, req.data, req.len);
    int status = w == (ssize_t)req.len ? read_response(fd, head, body) : -1;
    act_buf_free(&req);
    close(fd);
    return status;
}

int tu_http_get_head(uint16_t port, const char *path, act_buf *head, act_buf *body)
{
    return http_get_head("127.0.0.1", port, path, head, body);
}

int tu_http_get(uint16_t port, const char *path, act_buf *body)
{
    return tu_http_get_head(port, path, NULL, body);
}

int tu_http_get_at(const char *ip, uint16_t port, const char *path, act_buf *body)
{
    return http_get_head(ip, port, path, NULL, body);
}

double tu_metric(uint16_t port, const char *name)
{
    return tu_metric_at("127.0.0.1", port, name);
}

bool tu_wait_metric(uint16_t port, const char *name, double min, double secs)
{
    return tu_wait_metric_at("127.0.0.1", port, name, min, secs);
}

bool tu_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

static int saved_stderr = -1, capture_fd = -1;

void tu_stderr_begin(void)
{
    char path[] = "/tmp/tu_stderr.XXXXXX";
    capture_fd = mkstemp(path);
    ck_assert_int_ge(capture_fd, 0);
    unlink(path);
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    dup2(capture_fd, STDERR_FILENO);
}

char *tu_stderr_end(void)
{
    fflush(stderr);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    off_t len = lseek(capture_fd, 0, SEEK_END);
    char *text = act_calloc(1, (size_t)len + 1);
    ck_assert_int_eq(pread(capture_fd, text, (size_t)len, 0), len);
    close(capture_fd);
    return text;
}

double tu_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Binds 127.0.0.1:port and lets it go again; true if nothing held it. */
static bool port_free(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(0x7f000001u)};
    bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Ports from 10000 up to 30000 (below the slaves' usual 31000-32000 and the kernel's
 * ephemeral range, 32768 and up): the kernel hands out ephemeral ports to every outgoing
 * connection, and one could take a port picked there before its daemon binds it. Each test
 * process walks the range from its own starting point, so concurrent runs rarely meet. */
uint16_t tu_free_port(void)
{
    enum { LO = 10000, SPAN = 20000 };
    static unsigned next;
    static bool seeded;
    if (!seeded) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        next = ((unsigned)getpid() * 7919u + (unsigned)ts.tv_nsec) % SPAN;
        seeded = true;
    }
    for (unsigned tries = 0; tries < SPAN; tries++) {
        uint16_t port = (uint16_t)(LO + next++ % SPAN);
        if (port_free(port)) return port;
    }
    return 0;
}

int tu_spawn(char *const argv[], const char *log_path)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* A daemon must not outlive a test that failed before stopping it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    if (log_path) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
    }
    execv(argv[0], argv);
    _exit(127);
}

int tu_spawn_session(const char *command)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    setsid();
    execl("/bin/sh", "sh", "-c", command, (char *)NULL);
    _exit(127);
}

bool tu_never_signalled(int pid)
{
    int status;
    if (kill(pid, SIGSTOP) != 0 || waitpid(pid, &status, WUNTRACED) != pid) return false;
    kill(pid, SIGCONT);
    return WIFSTOPPED(status);
}

/* Gone, or a zombie nobody reaped yet. */
/* Reads pid's state letter and process group from /proc. False if pid is gone. */
static bool proc_stat_ppid(int pid, char *state, int *ppid, int *pgrp)
{
    char path[64], buf[512] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold anything */
    return p && sscanf(p + 1, " %c %d %d", state, ppid, pgrp) == 3;
}

static bool proc_stat(int pid, char *state, int *pgrp)
{
    int ppid;
    return proc_stat_ppid(pid, state, &ppid, pgrp);
}

int tu_parent(int pid)
{
    char state;
    int ppid, pgrp;
    return proc_stat_ppid(pid, &state, &ppid, &pgrp) ? ppid : -1;
}

static bool gone(int pid)
{
    char state;
    int pgrp;
    return !proc_stat(pid, &state, &pgrp) || state == 'Z' || state == 'X';
}

/* True if no process of group pgid runs. Zombies do not count: an orphan's zombie waits for
 * init to reap it, which here can take seconds, and kill(-pgid, 0) still finds it. */
static bool group_gone(int pgid)
{
    if (kill(-pgid, 0) != 0 && errno == ESRCH) return true;
    DIR *d = opendir("/proc");
    if (!d) return false;
    bool live = false;
    for (struct dirent *e; !live && (e = readdir(d));) {
        int pid = atoi(e->d_name), pgrp;
        char state;
        if (pid > 0 && proc_stat(pid, &state, &pgrp) && pgrp == pgid)
            live = state != 'Z' && state != 'X';
    }
    closedir(d);
    return !live;
}

bool tu_wait_group_gone(int pgid, double secs)
{
    for (int i = 0; i < (int)(secs * 100); i++) {
        if (group_gone(pgid)) return true;
        struct timespec ts = {0, 10000000}; /* polling the kernel: there is no event */
        nanosleep(&ts, NULL);
    }
    return group_gone(pgid);
}

bool tu_alive(int pid)
{
    return !gone(pid);
}

bool tu_wait_gone(int pid, double secs)
{
    for (int i = 0; i < (int)(secs * 100); i++) {
        if (gone(pid)) return true;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return gone(pid);
}

int tu_stop(int pid, int sig, double secs)
{
    if (pid <= 0) return -1;
    kill(pid, sig);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0) return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed > secs) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        struct timespec ts = {0, 5000000}; /* polling the exit, not waiting for an event */
        nanosleep(&ts, NULL);
    }
}

int tu_sh(const char *log_path, const char *fmt, ...)
{
    act_buf cmd = {0};
    va_list ap;
    va_start(ap, fmt);
    act_buf_printf(&cmd, "{ ");
    act_buf_vprintf(&cmd, fmt, ap);
    va_end(ap);
    act_buf_printf(&cmd, "\n}");
    if (log_path) act_buf_printf(&cmd, " >>'%s' 2>&1", log_path);
    char *argv[] = {"/bin/sh", "-c", cmd.data, NULL};
    int rc = tu_run(argv, NULL, TU_RUN_MAX_SECS);
    act_buf_free(&cmd);
    return rc;
}

char *tu_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    act_buf text = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) act_buf_append(&text, chunk, n);
    fclose(f);
    act_buf_putc(&text, '\0');
    return text.data;
}

bool tu_wait_file_contains(const char *path, const char *text, double secs)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        char *content = tu_read_file(path);
        bool found = content && strstr(content, text);
        free(content);
        if (found) return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > secs)
            return false;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

bool tu_wait_http(uint16_t port, const char *path, double secs)
{
    return tu_wait_http_at("127.0.0.1", port, path, secs);
}

bool tu_wait_http_at(const char *ip, uint16_t port, const char *path, double secs)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (tu_http_get_at(ip, port, path, NULL) == 200) return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > secs)
            return false;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

const char *tu_bin(const char *name)
{
    static char path[4096];
#ifdef TEST_BIN_DIR
    snprintf(path, sizeof path, "%s/%s", TEST_BIN_DIR, name);
#else
    snprintf(path, sizeof path, "build/check/bin/%s", name);
#endif
    return path;
}

const char *tu_go_bin(const char *name)
{
    static char path[4096];
#ifdef TEST_BIN_DIR
    snprintf(path, sizeof path, "%s/../../go/bin/%s", TEST_BIN_DIR, name);
#else
    snprintf(path, sizeof path, "build/go/bin/%s", name);
#endif
    return path;
}

int tu_run(char *const argv[], const char *out_path, double secs)
{
    int pid = tu_spawn(argv, out_path);
    int status = tu_stop(pid, 0, secs);
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *tu_tmpdir(void)
{
    char *dir = act_strdup("/tmp/mesos-test-XXXXXX");
    if (!mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    return dir;
}

void tu_rmrf(const char *path)
{
    if (!path || strncmp(path, "/tmp/", 5) != 0) return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) fprintf(stderr, "tu_rmrf: could not remove %s\n", path);
}

double tu_metric_at(const char *ip, uint16_t port, const char *name)
{
    act_buf body = {0};
    double v = -1;
    if (tu_http_get_at(ip, port, "/metrics/snapshot", &body) == 200) {
        json_t *all = json_loadb(body.data, body.len, 0, NULL);
        json_t *m = json_object_get(all, name);
        if (json_is_number(m)) v = json_number_value(m);
        json_decref(all);
    }
    act_buf_free(&body);
    return v;
}

bool tu_wait_metric_at(const char *ip, uint16_t port, const char *name, double min, double secs)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (tu_metric_at(ip, port, name) >= min) return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > secs)
            return false;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

uint64_t tu_own_counter(const char *name)
{
    return act_counter_value(act_counter_get(name));
}

bool tu_wait_own_counter(const char *name, uint64_t min, double secs)
{
    double end = tu_mono() + secs;
    while (tu_own_counter(name) < min) {
        if (tu_mono() > end) return false;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return true;
}

bool tu_send_message_from(const char *src_ip, const char *dst_ip, uint16_t port,
                          const char *to_actor, const char *name, const char *from,
                          const void *body, size_t len)
{
    int fd = tu_connect_addr(src_ip, dst_ip, port);
    if (fd < 0) return false;
    act_buf req = {0};
    act_buf_printf(&req, "POST /%s/%s HTTP/1.1\r\nLibprocess-From: %s\r\n"
                   "Content-Type: application/x-msgpack\r\nContent-Length: %zu\r\n\r\n",
                   to_actor, name, from, len);
    act_buf_append(&req, body, len);
    bool ok = write(fd, req.data, req.len) == (ssize_t)req.len;
    act_buf_free(&req);
    shutdown(fd, SHUT_WR); /* the peer reads the message, then sees the end */
    tu_read_until_closed(fd, NULL);
    close(fd);
    return ok;
}
