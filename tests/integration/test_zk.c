/*
 * test_zk.c - ZooKeeper sessions (master/zk.c) against a real ensemble (three servers from
 * tools/zk-test-server, shared by the tests of a case): zk:// URLs, and requests whose
 * replies arrive on the owning actor's loop. Actors run in this process on a real clock; a
 * probe actor records what they report and the test waits on that.
 */
#include "master/zk_int.h"
#include "tests/support/testutil.h"
#include "tests/support/zk.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static tz_ensemble *zk; /* started once per test case, in the runner (unchecked fixture) */

static void ensemble_up(void)
{
    zk = tz_start(3);
}

static void ensemble_down(void)
{
    tz_stop(zk);
    zk = NULL;
}

/* ---- the probe: an actor that records what it is told ------------------------------------ */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static char *events[512];
static size_t nevents;
static act_pid probe;
static zk_session *probe_zk;

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    act_buf b = {0};
    act_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&mu);
    if (nevents < sizeof events / sizeof events[0]) events[nevents++] = act_buf_detach(&b, NULL);
    else act_buf_free(&b);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Waits until an event starting with `prefix` is recorded at index >= *from; returns its
 * index (and moves *from past it) or -1 after `secs`. */
static int wait_event(size_t *from, const char *prefix, double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    pthread_mutex_lock(&mu);
    int found = -1;
    for (;;) {
        for (size_t i = *from; i < nevents && found < 0; i++)
            if (strncmp(events[i], prefix, strlen(prefix)) == 0) found = (int)i;
        if (found >= 0 || pthread_cond_timedwait(&cv, &mu, &ts) != 0) break;
    }
    if (found >= 0) *from = (size_t)found + 1;
    pthread_mutex_unlock(&mu);
    return found;
}

/* A copy of event i (free it). */
static char *event(size_t i)
{
    pthread_mutex_lock(&mu);
    char *e = act_strdup(i < nevents ? events[i] : "");
    pthread_mutex_unlock(&mu);
    return e;
}

/* How many events start with prefix. */
static size_t count_events(const char *prefix)
{
    size_t n = 0;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < nevents; i++) n += strncmp(events[i], prefix, strlen(prefix)) == 0;
    pthread_mutex_unlock(&mu);
    return n;
}

static void setup(void)
{
    nevents = 0;
    tu_runtime_start(1);
    act_actor *a = act_new("probe", NULL);
    probe = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
}

static void teardown(void)
{
    act_shutdown();
    zk_drain(10);
    zoo_deterministic_conn_order(0);
    for (size_t i = 0; i < nevents; i++) free(events[i]);
    nevents = 0;
}

/* ---- the probe's own ZooKeeper client ---------------------------------------------------- */

static void on_probe_event(act_actor *self, zk_session *s, zk_event ev, const char *path)
{
    if (ev == ZK_CONNECTED) record("zk:connected");
}

static void on_probe_reply(act_actor *self, zk_session *s, const zk_reply *r)
{
    record("zk:%s:%s:%.*s", zerror(r->rc), r->path, (int)r->len, r->data ? r->data : "");
}

typedef struct zk_call {
    char op;        /* 'o'pen, 'g'et, 'd'elete, 'e'phemeral create, 'c'lose */
    char arg[1024];
} zk_call;

static void run_call(act_actor *self, void *arg)
{
    zk_call *c = arg;
    if (!self) {
        free(c);
        return;
    }
    if (c->op == 'o') {
        zk_url url;
        char err[256];
        ck_assert_int_eq(zk_url_parse(c->arg, &url, err, sizeof err), 0);
        probe_zk = zk_open(self, &url, 10, on_probe_event, err, sizeof err);
        zk_url_free(&url);
    } else if (c->op == 'g') {
        zk_get(probe_zk, c->arg, false, 0, on_probe_reply);
    } else if (c->op == 'd') {
        zk_delete(probe_zk, c->arg, -1, 0, on_probe_reply);
    } else if (c->op == 'e') {
        zk_create(probe_zk, c->arg, "", 0, ZOO_EPHEMERAL, 0, on_probe_reply);
    } else if (c->op == 'p') {
        zk_create_path(probe_zk, c->arg, 0, on_probe_reply);
    } else if (c->op == 'c') {
        zk_close(probe_zk);
        probe_zk = NULL;
    }
    free(c);
}

/* Runs a zk call on the probe and, for requests, waits for its reply; returns "<rc>:<data>"
 * after "zk:" and the path (free it). */
static char *zk_call_wait(char op, const char *arg)
{
    size_t from = nevents;
    zk_call *c = act_calloc(1, sizeof *c);
    c->op = op;
    snprintf(c->arg, sizeof c->arg, "%s", arg);
    act_dispatch(&probe, run_call, c);
    if (op == 'c') return NULL;
    int i = wait_event(&from, op == 'o' ? "zk:connected" : "zk:", 20);
    ck_assert_msg(i >= 0, "no ZooKeeper reply for %c %s", op, arg);
    return event((size_t)i);
}

/* A zk call whose reply does not matter beyond having arrived. */
static void zk_do(char op, const char *arg)
{
    free(zk_call_wait(op, arg));
}

/* ---- tests ------------------------------------------------------------------------------- */

START_TEST(test_zk_urls_are_parsed_and_bad_ones_named)
{
    zk_url u;
    char err[256], text[256];
    ck_assert_int_eq(zk_url_parse("zk://alice:s3cret@h1:2181,h2:2182/mesos/", &u, err,
                                  sizeof err), 0);
    ck_assert_str_eq(u.servers, "h1:2181,h2:2182");
    ck_assert_str_eq(u.path, "/mesos");
    ck_assert_str_eq(u.credentials, "alice:s3cret");
    ck_assert_uint_eq(zk_server_count(&u), 2);
    ck_assert_str_eq(zk_url_format(&u, text, sizeof text), "zk://alice:***@h1:2181,h2:2182/mesos");
    zk_url_free(&u);
    const char *bad[] = {"zk://h1:2181", "zk://h1/mesos", "zk://h1:2181/", "zk://:2181/m",
                         "zk://h1:2181//m", "zk://h1:2181/a/../b", "zk://alice@h1:2181/m",
                         "zk://h1:2181,/m", "http://h1:2181/m", "zk://h1:99999/m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(zk_url_parse(bad[i], &u, err, sizeof err) == -EINVAL, "%s", bad[i]);
        ck_assert_ptr_nonnull(strstr(err, bad[i]));
    }
}
END_TEST

START_TEST(test_session_requests_reply_on_the_owners_loop_in_order)
{
    char path[64], url[1024], deep[200], node[300];
    tz_url(zk, NULL, tz_unique_path(path, sizeof path), url, sizeof url);
    snprintf(deep, sizeof deep, "%s/a/b", path);
    snprintf(node, sizeof node, "%s/n", deep);
    zk_do('o', url);
    char *r = zk_call_wait('p', deep); /* every missing ancestor made */
    ck_assert_msg(strncmp(r, "zk:ok:", 6) == 0, "%s", r);
    free(r);
    r = zk_call_wait('p', deep); /* again: exists is fine */
    ck_assert_msg(strncmp(r, "zk:ok:", 6) == 0, "%s", r);
    free(r);
    r = zk_call_wait('e', node);
    ck_assert_msg(strcmp(r + strlen(r) - strlen(node), node) == 0, "%s", r); /* created path */
    free(r);
    r = zk_call_wait('e', node);
    ck_assert_msg(strncmp(r, "zk:node exists", 14) == 0, "%s", r);
    free(r);
    r = zk_call_wait('g', node);
    ck_assert_msg(strncmp(r, "zk:ok:", 6) == 0, "%s", r);
    free(r);
    r = zk_call_wait('d', node);
    ck_assert_msg(strncmp(r, "zk:ok:", 6) == 0, "%s", r);
    free(r);
    r = zk_call_wait('d', node);
    ck_assert_msg(strncmp(r, "zk:no node", 10) == 0, "%s", r);
    free(r);
    zk_do('c', "");
    ck_assert_uint_eq(count_events("zk:connected"), 1);
}
END_TEST

Suite *zk_suite(void)
{
    Suite *s = suite_create("zk");
    TCase *tc = tcase_create("ensemble");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, ensemble_up, ensemble_down);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_zk_urls_are_parsed_and_bad_ones_named);
    tcase_add_test(tc, test_session_requests_reply_on_the_owners_loop_in_order);
    suite_add_tcase(s, tc);
    return s;
}
