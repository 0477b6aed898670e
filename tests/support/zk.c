/*
 * zk.c - ZooKeeper servers for tests through tools/zk-test-server (see zk.h).
 */
#include "tests/support/zk.h"

#include "tests/support/testutil.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TEST_SRC_DIR
#define TEST_SRC_DIR "."
#endif

/* Reads the helper's ready file: the server list, then "<index> <pid> <port>" lines. */
static bool read_ready(tz_ensemble *e, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    bool ok = fgets(e->servers, sizeof e->servers, f) != NULL;
    e->servers[strcspn(e->servers, "\n")] = '\0';
    for (int i = 0; ok && i < e->n; i++) {
        int index, pid, port;
        ok = fscanf(f, "%d %d %d", &index, &pid, &port) == 3 && index == i + 1;
        if (ok) {
            e->pid[i] = pid;
            e->port[i] = (uint16_t)port;
        }
    }
    fclose(f);
    return ok;
}

tz_ensemble *tz_start(int n)
{
    ck_assert_int_ge(n, 1);
    ck_assert_int_le(n, TZ_MAX_SERVERS);
    tz_ensemble *e = act_calloc(1, sizeof *e);
    e->n = n;
    e->dir = tu_tmpdir();
    ck_assert_ptr_nonnull(e->dir);
    char script[4200], servers[32], dir[4200], ready[4300], ready_arg[4400], log[4300];
    snprintf(script, sizeof script, "%s/tools/zk-test-server", TEST_SRC_DIR);
    snprintf(servers, sizeof servers, "--servers=%d", n);
    snprintf(dir, sizeof dir, "--dir=%s", e->dir);
    snprintf(ready, sizeof ready, "%s/ready", e->dir);
    snprintf(ready_arg, sizeof ready_arg, "--ready-file=%s", ready);
    snprintf(log, sizeof log, "%s/helper.log", e->dir);
    char *argv[] = {script, servers, dir, ready_arg, NULL};
    e->helper_pid = tu_spawn(argv, log);
    ck_assert_int_gt(e->helper_pid, 0);
    for (int i = 0; i < 6000 && access(ready, R_OK) != 0; i++) { /* up to 60 s */
        int status;
        ck_assert_msg(waitpid(e->helper_pid, &status, WNOHANG) == 0,
                      "zk-test-server exited (status %d); see %s", status, log);
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(read_ready(e, ready), "ZooKeeper did not start within 60 s; see %s", log);
    return e;
}

void tz_stop(tz_ensemble *e)
{
    if (!e) return;
    tu_stop(e->helper_pid, SIGTERM, 30); /* the helper stops its servers */
    tu_rmrf(e->dir);
    free(e->dir);
    free(e);
}

void tz_signal(tz_ensemble *e, int i, int sig)
{
    ck_assert(i >= 0 && i < e->n);
    kill(e->pid[i], sig);
    if (sig == SIGKILL) e->killed[i] = true;
}

/* Asks server i a four-letter word; the answer goes into out. */
static bool ask(const tz_ensemble *e, int i, const char *word, act_buf *out)
{
    int fd = tu_connect(e->port[i]);
    if (fd < 0) return false;
    bool ok = write(fd, word, strlen(word)) == (ssize_t)strlen(word);
    if (ok) tu_read_until_closed(fd, out);
    close(fd);
    return ok && out->len > 0;
}

int tz_leader(const tz_ensemble *e)
{
    for (int i = 0; i < e->n; i++) {
        if (e->killed[i]) continue;
        act_buf out = {0};
        bool leads = ask(e, i, "srvr", &out) &&
                     (strstr(out.data, "Mode: leader") || strstr(out.data, "Mode: standalone"));
        act_buf_free(&out);
        if (leads) return i;
    }
    return -1;
}

const char *tz_url(const tz_ensemble *e, const char *credentials, const char *path, char *buf,
                   size_t n)
{
    snprintf(buf, n, "zk://%s%s%s%s", credentials ? credentials : "", credentials ? "@" : "",
             e->servers, path);
    return buf;
}

const char *tz_url_one(const tz_ensemble *e, int i, const char *path, char *buf, size_t n)
{
    snprintf(buf, n, "zk://127.0.0.1:%u%s", e->port[i], path);
    return buf;
}

const char *tz_unique_path(char *buf, size_t n)
{
    static int next;
    snprintf(buf, n, "/test-%d-%d", (int)getpid(), ++next);
    return buf;
}
