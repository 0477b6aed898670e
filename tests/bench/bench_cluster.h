/*
 * bench_cluster.h - what the cluster benchmarks share: the clock and naps, the JSON figure line, and a
 * release mesos-master and mesos-slave started on loopback in a temporary directory (with
 * an extra master flag), and reading their HTTP endpoints. Header-only: each benchmark is one program built from one file.
 */
#ifndef TESTS_BENCH_BENCH_CLUSTER_H
#define TESTS_BENCH_BENCH_CLUSTER_H

#include "actor/actor.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline void emit(const char *name, double v, const char *unit)
{
    printf("{\"bench\": \"%s\", \"value\": %.1f, \"unit\": \"%s\"}\n", name, v, unit);
    fflush(stdout);
}

static inline int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, c = *(const double *)y;
    return a < c ? -1 : a > c;
}

static inline uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
    socklen_t len = sizeof sa;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

static inline pid_t spawn(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* build/bin, next to this benchmark's build/bench. */
static inline const char *bench_bin_dir(char bin[PATH_MAX])
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    snprintf(bin, PATH_MAX, "%s/../bin", dirname(self));
    return bin;
}

static inline size_t collect(void *data, size_t size, size_t n, void *ctx)
{
    act_buf_append(ctx, data, size * n);
    return size * n;
}

/* GET http://127.0.0.1:port<path> into out. Returns true on 200. */
static inline bool http_get(uint16_t port, const char *path, act_buf *out)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    long code = 0;
    bool ok = curl_easy_perform(h) == CURLE_OK &&
              curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code == 200;
    curl_easy_cleanup(h);
    return ok;
}

/* A number of /metrics/snapshot of the process at 127.0.0.1:port; -1 if absent. */
static inline double metric(uint16_t port, const char *name)
{
    act_buf out = {0};
    double v = -1;
    if (http_get(port, "/metrics/snapshot", &out)) {
        json_t *j = json_loadb(out.data, out.len, 0, NULL);
        json_t *x = json_object_get(j, name);
        if (json_is_number(x)) v = json_number_value(x);
        json_decref(j);
    }
    act_buf_free(&out);
    return v;
}

/* A release mesos-master and mesos-slave on loopback in a temporary directory. */
typedef struct cluster {
    char dir[32];
    uint16_t master_port, slave_port;
    pid_t master, slave;
    char master_addr[64];
} cluster;

/* Starts both; master_flag (may be NULL) is one more flag for the master, slave_extra more
 * slave flags (NULL-terminated, may be NULL). */
static inline bool cluster_start_with(const char *bin, cluster *c, const char *master_flag,
                                      const char *const *slave_extra)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/mesos-bench-XXXXXX");
    if (!mkdtemp(c->dir)) return false;
    c->master_port = free_port();
    c->slave_port = free_port();
    char exe[PATH_MAX + 32], a1[64], a2[PATH_MAX + 32];
    snprintf(exe, sizeof exe, "%s/mesos-master", bin);
    snprintf(a1, sizeof a1, "--port=%u", c->master_port);
    snprintf(a2, sizeof a2, "--work_dir=%s/m", c->dir);
    char *margv[] = {exe, "--ip=127.0.0.1", a1, a2, "--quiet", "--allocation_interval=50ms",
                     (char *)master_flag, NULL};
    c->master = spawn(margv);
    char sexe[PATH_MAX + 32], s1[64], s2[PATH_MAX + 32], s3[64], s4[PATH_MAX + 32];
    snprintf(sexe, sizeof sexe, "%s/mesos-slave", bin);
    snprintf(s1, sizeof s1, "--port=%u", c->slave_port);
    snprintf(s2, sizeof s2, "--work_dir=%s/s", c->dir);
    snprintf(s3, sizeof s3, "--master=127.0.0.1:%u", c->master_port);
    snprintf(s4, sizeof s4, "--launcher_dir=%s", bin);
    char *sargv[16] = {sexe, "--ip=127.0.0.1", s1, s2, s3, s4, "--quiet",
                       "--resources=cpus:64;mem:65536;disk:1024"};
    for (int i = 0, k = 8; slave_extra && slave_extra[i] && k < 15; i++)
        sargv[k++] = (char *)slave_extra[i];
    c->slave = spawn(sargv);
    snprintf(c->master_addr, sizeof c->master_addr, "127.0.0.1:%u", c->master_port);
    return true;
}

/* extra: more slave flags (NULL-terminated, may be NULL). */
static inline bool cluster_start(const char *bin, cluster *c, const char *const *extra)
{
    return cluster_start_with(bin, c, NULL, extra);
}

static inline void cluster_stop(cluster *c)
{
    kill(c->slave, SIGTERM);
    waitpid(c->slave, NULL, 0);
    kill(c->master, SIGTERM);
    waitpid(c->master, NULL, 0);
    char rm[PATH_MAX + 16];
    snprintf(rm, sizeof rm, "rm -rf %s", c->dir);
    if (system(rm) != 0) fprintf(stderr, "bench: could not remove %s\n", c->dir);
}

#endif
