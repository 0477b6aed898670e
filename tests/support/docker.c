/*
 * docker.c - a Docker daemon for tests through tools/docker-test-daemon (see docker.h).
 */
#include "tests/support/docker.h"

#include "tests/support/testutil.h"

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TEST_SRC_DIR
#define TEST_SRC_DIR "."
#endif

#define TD_START_SECS 90

/* Reads the helper's ready file ("host ...", "pid ...", "bridge ..." or "no-bridge ..."). */
static bool read_ready(td_daemon *d, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[1024];
    bool host = false;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "host ", 5) == 0) {
            snprintf(d->host, sizeof d->host, "%s", line + 5);
            host = true;
        } else if (strncmp(line, "bridge ", 7) == 0) {
            snprintf(d->bridge, sizeof d->bridge, "%.60s", line + 7);
        } else if (strncmp(line, "no-bridge ", 10) == 0) {
            snprintf(d->no_bridge, sizeof d->no_bridge, "%.500s", line + 10);
        }
    }
    fclose(f);
    return host;
}

td_daemon *td_start(bool bridge)
{
    td_daemon *d = act_calloc(1, sizeof *d);
    d->dir = tu_tmpdir();
    ck_assert_ptr_nonnull(d->dir);
    snprintf(d->client, sizeof d->client, "%s",
             access("/usr/bin/docker", X_OK) == 0 ? "/usr/bin/docker" : "docker");
    char script[4200], dir[4300], ready[4300], ready_arg[4400];
    snprintf(script, sizeof script, "%s/tools/docker-test-daemon", TEST_SRC_DIR);
    snprintf(dir, sizeof dir, "--dir=%s", d->dir);
    snprintf(ready, sizeof ready, "%s/ready", d->dir);
    snprintf(ready_arg, sizeof ready_arg, "--ready-file=%s", ready);
    snprintf(d->log, sizeof d->log, "%s/helper.log", d->dir);
    char *argv[] = {script, dir, ready_arg, bridge ? "--bridge" : NULL, NULL};
    d->helper_pid = tu_spawn(argv, d->log);
    ck_assert_int_gt(d->helper_pid, 0);
    for (int i = 0; i < TD_START_SECS * 100 && access(ready, R_OK) != 0; i++) {
        int status;
        ck_assert_msg(waitpid(d->helper_pid, &status, WNOHANG) == 0,
                      "docker-test-daemon exited (status %d); see %s", status, d->log);
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(read_ready(d, ready), "dockerd did not start within %d s; see %s",
                  TD_START_SECS, d->log);
    setenv("DOCKER_HOST", d->host, 1);
    return d;
}

void td_stop(td_daemon *d)
{
    if (!d) return;
    unsetenv("DOCKER_HOST");
    tu_stop(d->helper_pid, SIGTERM, 120); /* the helper removes containers, daemon, data */
    tu_rmrf(d->dir);
    free(d->dir);
    free(d);
}

int td_docker(td_daemon *d, act_buf *out, const char *fmt, ...)
{
    act_buf args = {0};
    va_list ap;
    va_start(ap, fmt);
    act_buf_vprintf(&args, fmt, ap);
    va_end(ap);
    char path[4400];
    snprintf(path, sizeof path, "%s/td_docker.%d.out", d->dir, (int)getpid());
    unlink(path);
    int rc = tu_sh(path, "DOCKER_HOST='%s' '%s' %s", d->host, d->client, args.data);
    if (out) {
        char *text = tu_read_file(path);
        act_buf_puts(out, text ? text : "");
        free(text);
    }
    unlink(path);
    act_buf_free(&args);
    return rc;
}

void td_build_busybox_image(td_daemon *d, const char *name)
{
    char log[4400];
    snprintf(log, sizeof log, "%s/image.log", d->dir);
    int rc = tu_sh(log,
                   "set -e; root='%s/rootfs'; rm -rf \"$root\"; mkdir -p \"$root/bin\" "
                   "\"$root/tmp\" \"$root/etc\"; cp /bin/busybox \"$root/bin/busybox\"; "
                   "for a in $(/bin/busybox --list); do [ \"$a\" = busybox ] || "
                   "ln -s busybox \"$root/bin/$a\"; done; echo 'root:x:0:0:root:/:/bin/sh' > "
                   "\"$root/etc/passwd\"; tar -C \"$root\" -c . | DOCKER_HOST='%s' '%s' import "
                   "- '%s'; rm -rf \"$root\"",
                   d->dir, d->host, d->client, name);
    ck_assert_msg(rc == 0, "could not build image %s (is busybox-static installed?); see %s",
                  name, log);
}
