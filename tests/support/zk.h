/*
 * zk.h - a real ZooKeeper for tests: one server or an ensemble started by tools/zk-test-server
 * (Debian's zookeeper package, free loopback ports, a temporary data directory). The helper
 * process dies with the test process that started it, and its servers die with it, so a
 * failing test leaks nothing. A suite may start one in an unchecked fixture and share it
 * across its tests (the JVMs take a second or two to start).
 */
#ifndef TESTS_SUPPORT_ZK_H
#define TESTS_SUPPORT_ZK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TZ_MAX_SERVERS 9

typedef struct tz_ensemble {
    int helper_pid;                 /* tools/zk-test-server */
    int n;
    int pid[TZ_MAX_SERVERS];        /* each server's JVM */
    uint16_t port[TZ_MAX_SERVERS];  /* client ports */
    bool killed[TZ_MAX_SERVERS];
    char servers[512];              /* "127.0.0.1:p1,127.0.0.1:p2,..." */
    char *dir;
} tz_ensemble;

/* Starts n servers and waits until each serves (asserts on failure). */
tz_ensemble *tz_start(int n);
/* Stops every server and removes the data; NULL is ignored. */
void tz_stop(tz_ensemble *e);
/* Sends sig to server i (0-based); SIGKILL marks it gone (and reaps nothing: the helper's). */
void tz_signal(tz_ensemble *e, int i, int sig);
/* The index of the server that leads the ensemble ("Mode: leader" or "standalone"), or -1. */
int tz_leader(const tz_ensemble *e);
/* Writes "zk://[credentials@]<servers><path>" into buf and returns it. credentials: NULL or
 * "user:pass". */
const char *tz_url(const tz_ensemble *e, const char *credentials, const char *path, char *buf,
                   size_t n);
/* Like tz_url but naming only server i. */
const char *tz_url_one(const tz_ensemble *e, int i, const char *path, char *buf, size_t n);
/* A path no other test uses ("/test-<pid>-<n>"). */
const char *tz_unique_path(char *buf, size_t n);

#endif
