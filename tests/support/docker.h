/*
 * docker.h - a real Docker daemon for tests: tools/docker-test-daemon starts Debian's dockerd on
 * a private socket with its own data root under a temporary directory (no iptables; a private
 * bridge when asked for and the machine allows it). The helper dies with the test process that
 * started it and then removes every container, the daemon, its mounts, its bridge and its data
 * root, so a failing test leaks nothing. Starting a daemon takes seconds: a suite starts one in
 * an unchecked fixture and shares it across its tests. No registry is reachable, so images are
 * built here (busybox-static in a root filesystem, `docker import`ed).
 */
#ifndef TESTS_SUPPORT_DOCKER_H
#define TESTS_SUPPORT_DOCKER_H

#include "actor/actor.h"

#include <stdbool.h>

typedef struct td_daemon {
    int helper_pid;               /* tools/docker-test-daemon */
    char *dir;                    /* its directory: the data root, the socket, logs */
    char host[4300];              /* DOCKER_HOST: unix://<dir>/docker.sock */
    char client[4200];            /* the docker client tests and the slave use */
    char bridge[64];              /* the private bridge, or "" when there is none ... */
    char no_bridge[512];          /* ... and then why */
    char log[4300];               /* the helper's output */
} td_daemon;

/* Starts a daemon (with a private bridge when `bridge` and the machine allows one) and waits
 * until it serves (asserts on failure). DOCKER_HOST is set in this process's environment, so
 * daemons started from here (mesos-slave) reach it. */
td_daemon *td_start(bool bridge);
/* Stops the daemon, removes its data root and unsets DOCKER_HOST; NULL is ignored. */
void td_stop(td_daemon *d);
/* Runs `<client> <args>` (args: shell words, formatted) against the daemon; its stdout (and
 * stderr) go into out when not NULL. Returns the exit code, or -1. */
int td_docker(td_daemon *d, act_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Builds image `name` (e.g. "busybox:test"): /bin/busybox and a link per applet in /bin. */
void td_build_busybox_image(td_daemon *d, const char *name);

#endif
