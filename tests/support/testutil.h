/*
 * testutil.h - small helpers shared by the test suites: waiting on a condition with a bound
 * (never sleep-and-hope), a blocking HTTP client for talking to a runtime over loopback, and
 * a runtime started on a free loopback port.
 */
#ifndef TESTS_SUPPORT_TESTUTIL_H
#define TESTS_SUPPORT_TESTUTIL_H

#include "actor/actor.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A counter another thread can wait on. */
typedef struct tu_counter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t value;
} tu_counter;

void tu_counter_init(tu_counter *c);
void tu_counter_add(tu_counter *c, uint64_t n);
uint64_t tu_counter_get(tu_counter *c);
/* Waits until value >= target or `secs` of real time pass. True if reached. */
bool tu_counter_wait(tu_counter *c, uint64_t target, double secs);

/* The config of a runtime on 127.0.0.1 at a port the kernel picks, with one loop: a test
 * changes what it needs and passes it to tu_runtime_start_config. */
act_config tu_loopback_config(void);
/* act_init with c and act_start, asserting both succeed. */
void tu_runtime_start_config(const act_config *c);
/* Starts a runtime on 127.0.0.1, any free port, with `loops` loops, and starts its threads. */
void tu_runtime_start(int loops);

/* Sends `request` (raw bytes) to 127.0.0.1:port and reads one response. Returns the HTTP
 * status (or -1 on error/timeout) and fills body (may be NULL; a chunked body is decoded).
 * Waits at most 10 s. */
int tu_http_raw(uint16_t port, const char *request, size_t len, act_buf *body);
/* GET path; returns the status. */
int tu_http_get(uint16_t port, const char *path, act_buf *body);
/* Fills headers (the response head) too. */
int tu_http_get_head(uint16_t port, const char *path, act_buf *head, act_buf *body);

/* The value of metric `name` ("runtime/bodies_refused") in /metrics/snapshot of the process
 * at 127.0.0.1:port; -1 if it cannot be read or is absent. */
double tu_metric(uint16_t port, const char *name);
/* Polls tu_metric until it is >= min or `secs` pass. True if it got there. */
bool tu_wait_metric(uint16_t port, const char *name, double min, double secs);
/* The same for the process at ip:port. */
double tu_metric_at(const char *ip, uint16_t port, const char *name);
bool tu_wait_metric_at(const char *ip, uint16_t port, const char *name, double min, double secs);
/* The value of this process' counter `name` (act_counter_get). */
uint64_t tu_own_counter(const char *name);
/* Polls it until it is >= min or `secs` pass. For counts a loop thread makes after the peer
 * has already seen the outcome (a server sends its TLS alert, then counts the refusal). */
bool tu_wait_own_counter(const char *name, uint64_t min, double secs);

/* Seconds on the monotonic clock (real time, whatever the runtime's clock says). */
double tu_mono(void);

/* Writes all of data to fd (blocking). False on an error. */
bool tu_write_all(int fd, const void *data, size_t len);

/* Points stderr at a temporary file until tu_stderr_end, which returns what was written
 * meanwhile (free() it). One capture at a time. */
void tu_stderr_begin(void);
char *tu_stderr_end(void);

/* Connects to 127.0.0.1:port; returns the fd (blocking, 10 s timeouts) or -1. */
int tu_connect(uint16_t port);
/* Connects from src_ip (NULL: as the kernel picks) to dst_ip:port, as tu_connect does. Every
 * 127.x.y.z address reaches lo, so tests play several hosts on one machine. */
int tu_connect_addr(const char *src_ip, const char *dst_ip, uint16_t port);
/* tu_connect with a receive buffer of about `rcvbuf` bytes, set before connecting so the
 * window the peer sees is that small: the peer's writes to it soon go in part. */
int tu_connect_small(uint16_t port, int rcvbuf);
/* GET path from the process at ip:port, as tu_http_get does. */
int tu_http_get_at(const char *ip, uint16_t port, const char *path, act_buf *body);
/* Makes every tu_http_get* (and so the cluster helpers' waits) go through fn, e.g. over TLS
 * (tests/support/tlsutil.h); NULL: plain sockets again. */
typedef int (*tu_http_get_fn)(const char *ip, uint16_t port, const char *path, act_buf *head,
                              act_buf *body);
void tu_http_set_client(tu_http_get_fn fn);
/* Sends one message as a process sending from src_ip would: POST /<to_actor>/<name> with
 * Libprocess-From: from (any text: the tests forge it) and the body, on a new connection to
 * dst_ip:port, which is closed after the peer had a moment to read it. True if written. */
bool tu_send_message_from(const char *src_ip, const char *dst_ip, uint16_t port,
                          const char *to_actor, const char *name, const char *from,
                          const void *body, size_t len);
/* Reads until EOF or timeout; returns true if the peer closed the connection. */
bool tu_read_until_closed(int fd, act_buf *out);

/* A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range (so no
 * outgoing connection takes it before the daemon it is for binds it); 0 if none. */
uint16_t tu_free_port(void);
/* Starts argv[0] (a path) with argv in a new process whose stdout and stderr go to
 * `log_path` (NULL: inherited). Returns the pid or -1. */
int tu_spawn(char *const argv[], const char *log_path);
/* Starts `/bin/sh -c command` as the leader of a session of its own (as the slave starts an
 * executor), output to /dev/null; it is killed if the test process dies. Returns its pid. */
int tu_spawn_session(const char *command);
/* True if pid (a child of this process) has received no signal that stops or kills it: it is
 * stopped with SIGSTOP, which a SIGKILL sent earlier by anyone would precede, then continued. */
bool tu_never_signalled(int pid);
/* Waits up to `secs` until pid is gone or a zombie. True if it is. */
bool tu_wait_gone(int pid, double secs);
/* Waits up to `secs` until no process of group pgid runs (zombies left for init to reap do not
 * count). True if none does. */
bool tu_wait_group_gone(int pgid, double secs);
/* Running, not a zombie: works for any process (tu_never_signalled needs a child). */
bool tu_alive(int pid);
/* The parent of process pid, -1 if there is no such process. */
int tu_parent(int pid);
/* Sends sig to pid and waits up to `secs` for it to exit (SIGKILL after that). Returns its
 * wait status, or -1. */
int tu_stop(int pid, int sig, double secs);
/* Runs `sh -c` on the formatted command with stdout and stderr appended to `log_path`
 * (NULL: inherited), for at most TU_RUN_MAX_SECS. Returns the exit code, or -1. */
int tu_sh(const char *log_path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The whole file as a NUL-terminated string (free() it), or NULL if it cannot be read. */
char *tu_read_file(const char *path);
/* Waits until the file at `path` contains `text` or `secs` pass. True if it did. */
bool tu_wait_file_contains(const char *path, const char *text, double secs);
/* Polls GET path on 127.0.0.1:port until it answers 200 or `secs` pass. True on 200. */
bool tu_wait_http(uint16_t port, const char *path, double secs);
/* The same at ip:port. */
bool tu_wait_http_at(const char *ip, uint16_t port, const char *path, double secs);
/* The path of a build/check binary ("mesos-master"). */
const char *tu_bin(const char *name);
/* The path of a Go test program built from tests/go/<name> (build/go/bin/<name>). */
const char *tu_go_bin(const char *name);
/* Runs argv (a path first) to completion with stdout and stderr into `out_path` (NULL:
 * inherited), waiting at most `secs` (then it is killed). Returns its exit code, or -1 if it
 * could not run, died of a signal or took too long. */
int tu_run(char *const argv[], const char *out_path, double secs);
/* The bound for commands that build (make deb, make install): long, but never forever. */
#define TU_RUN_MAX_SECS 600.0
/* A fresh temporary directory (removed by the caller with tu_rmrf). */
char *tu_tmpdir(void);
void tu_rmrf(const char *path);

#endif
