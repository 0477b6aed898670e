/*
 * test_zk.c - leader election, detection and the registry against a real ZooKeeper ensemble
 * (three servers from tools/zk-test-server, shared by the tests of a case): contenders'
 * json.info_ znodes and their MasterInfo JSON, the lowest sequence leading, detection through
 * a lost connection (kept) and an expired session (no leader, then detected again), lost
 * candidacies, digest credentials and ACLs, file:// addresses, and the registry in ZooKeeper
 * with its fencing on the leader's znode and the --quorum check. Actors run in this process
 * on a real clock; a probe actor records what they report and the test waits on that.
 */
#include "master/detector.h"
#include "master/master_int.h"
#include "tests/support/testutil.h"
#include "tests/support/zk.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SESSION 1.0 /* seconds: short, so that expiry tests are quick */

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

static void on_leader(act_actor *self, const act_msg *msg)
{
    const detector_leader *l = msg->obj;
    if (l->error) record("error:%s", l->error);
    else if (l->info) record("leader:%s", ((wire_master_info *)l->info->root)->id);
    else record("leader:none");
}

static void on_contender(act_actor *self, const act_msg *msg)
{
    const contender_event *e = msg->obj;
    if (e->node) record("node:%s", e->node);
    else record("lost:%s%s", e->fatal ? "fatal:" : "", e->lost);
}

static void on_recovered(act_actor *self, const act_msg *msg)
{
    const wire_registry *r = ((wire_msg *)msg->obj)->root;
    size_t n = r->slaves ? r->slaves->slaves_count : 0;
    act_buf b = {0};
    for (size_t i = 0; i < n; i++)
        act_buf_printf(&b, "%s%s", i ? "," : "", r->slaves->slaves[i].info.id->value);
    record("recovered:%zu:%s", n, b.data ? b.data : "");
    act_buf_free(&b);
}

static void on_applied(act_actor *self, const act_msg *msg)
{
    const reg_result *r = msg->obj;
    record("applied:%llu:%s:%s", (unsigned long long)r->token,
           r->ok ? "ok" : r->fatal ? "fatal" : "refused", r->error);
}

static void on_failed(act_actor *self, const act_msg *msg)
{
    record("failed:%s", (const char *)msg->obj);
}

static void setup(void)
{
    nevents = 0;
    tu_runtime_start(1);
    act_actor *a = act_new("probe", NULL);
    act_on_message(a, DETECTOR_MSG_LEADER, on_leader);
    act_on_message(a, CONTENDER_MSG, on_contender);
    act_on_message(a, REG_MSG_RECOVERED, on_recovered);
    act_on_message(a, REG_MSG_APPLIED, on_applied);
    act_on_message(a, REG_MSG_FAILED, on_failed);
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

/* ---- helpers ----------------------------------------------------------------------------- */

static act_pid spawn_detector(const char *address, double session)
{
    char err[512];
    detector_address *a = detector_parse(address, err, sizeof err);
    ck_assert_msg(a != NULL, "%s", err);
    return detector_spawn(a, session, &probe, 0);
}

static uint64_t counter(const char *name)
{
    return act_counter_value(act_counter_get(name));
}

/* A contender for a made-up master `id`; returns its pid. */
static act_pid spawn_contender(const char *url_text, const char *id, uint16_t port)
{
    zk_url url;
    char err[256];
    ck_assert_int_eq(zk_url_parse(url_text, &url, err, sizeof err), 0);
    wire_msg *m = wire_new(WIRE_DESC(master_info));
    wire_master_info *mi = m->root;
    char pid[64];
    snprintf(pid, sizeof pid, "master@127.0.0.1:%u", port);
    mi->id = wire_strdup(m, id);
    mi->ip = 0x0100007f;
    mi->port = port;
    mi->has_pid = mi->has_hostname = mi->has_version = true;
    mi->pid = wire_strdup(m, pid);
    mi->hostname = wire_strdup(m, "localhost");
    mi->version = wire_strdup(m, "0.22.0");
    char *json = detector_info_json(mi);
    act_pid c = contender_spawn(&url, SESSION, json, &probe, 0);
    free(json);
    wire_msg_free(m);
    zk_url_free(&url);
    return c;
}

/* The expected next event of the actors under test, exactly (the probe's own ZooKeeper
 * client's events, "zk:...", are skipped). */
static void expect_next(size_t *from, const char *want, double secs)
{
    char *e = NULL;
    do {
        free(e);
        int i = wait_event(from, "", secs);
        ck_assert_msg(i >= 0, "no event (wanted %s)", want);
        e = event((size_t)i);
    } while (strncmp(e, "zk:", 3) == 0);
    ck_assert_msg(strncmp(e, want, strlen(want)) == 0, "event '%s', wanted '%s'", e, want);
    free(e);
}

/* Two live followers of the ensemble (not its leader). */
static void followers(int *a, int *b)
{
    int leader = tz_leader(zk);
    ck_assert_int_ge(leader, 0);
    *a = (leader + 1) % 3;
    *b = (leader + 2) % 3;
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
    char *dir = tu_tmpdir(), path[4200], file[4300];
    snprintf(path, sizeof path, "%s/a", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "file:///etc/passwd\n");
    fclose(f);
    snprintf(file, sizeof file, "file://%s", path);
    ck_assert_ptr_null(detector_parse(file, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "points at another file"));
    ck_assert_ptr_null(detector_parse("file:///nonexistent/zk", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/zk"));
    ck_assert_ptr_null(detector_parse("master@127.0.0.1", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "expected host:port"));
    tu_rmrf(dir);
    free(dir);
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

START_TEST(test_lowest_json_info_znode_leads_and_holds_master_info_json)
{
    char path[64], url[1024];
    tz_url(zk, NULL, tz_unique_path(path, sizeof path), url, sizeof url);
    size_t from = 0;
    act_pid first = spawn_contender(url, "master-1", 5051);
    ck_assert_int_ge(wait_event(&from, "node:", 20), 0);
    char *node1 = event(from - 1);
    spawn_contender(url, "master-2", 5052);
    ck_assert_int_ge(wait_event(&from, "node:", 20), 0);
    char *node2 = event(from - 1);
    ck_assert_msg(strncmp(node1 + 5, path, strlen(path)) == 0 &&
                  strstr(node1, "/json.info_") && strcmp(node1, node2) < 0, "%s %s", node1, node2);

    zk_do('o', url);
    char *data = zk_call_wait('g', node1 + 5);
    ck_assert_msg(strstr(data, "{\"hostname\":\"localhost\",\"id\":\"master-1\","
                               "\"ip\":16777343,\"pid\":\"master@127.0.0.1:5051\","
                               "\"port\":5051,\"version\":\"0.22.0\"}"), "%s", data);
    free(data);

    spawn_detector(url, SESSION);
    expect_next(&from, "leader:master-1", 20);
    act_terminate(&first); /* its session closes: its znode goes */
    expect_next(&from, "leader:master-2", 20);
    data = zk_call_wait('g', node1 + 5);
    ck_assert_msg(strncmp(data, "zk:no node", 10) == 0, "%s", data);
    free(data);
    free(node1);
    free(node2);
}
END_TEST

START_TEST(test_detector_keeps_the_leader_through_a_lost_connection)
{
    int a, b;
    followers(&a, &b);
    char path[64], url[1024], det[1024];
    tz_unique_path(path, sizeof path);
    snprintf(url, sizeof url, "zk://127.0.0.1:%u%s", zk->port[b], path);
    snprintf(det, sizeof det, "zk://127.0.0.1:%u,127.0.0.1:%u%s", zk->port[a], zk->port[b], path);
    zoo_deterministic_conn_order(1); /* the detector connects to follower a first */
    size_t from = 0;
    act_pid first = spawn_contender(url, "master-1", 5051);
    expect_next(&from, "node:", 20);
    spawn_contender(url, "master-2", 5052);
    expect_next(&from, "node:", 20);
    spawn_detector(det, 3.0);
    expect_next(&from, "leader:master-1", 20);
    /* The detector's server goes silent: after 2/3 of the session timeout the client gives
     * it up and moves to b, within the session's life. */
    tz_signal(zk, a, SIGSTOP);
    for (int i = 0; i < 2000 && counter("zookeeper/disconnections") == 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    tz_signal(zk, a, SIGCONT);
    ck_assert_uint_eq(counter("zookeeper/disconnections"), 1);
    act_terminate(&first);
    expect_next(&from, "leader:master-2", 20); /* kept master-1 all along, still detecting */
    ck_assert_uint_eq(counter("zookeeper/session_expirations"), 0);
}
END_TEST

START_TEST(test_expired_session_reports_no_leader_then_detects_again)
{
    int a, b;
    followers(&a, &b);
    char path[64], url[1024], det[1024];
    tz_unique_path(path, sizeof path);
    snprintf(url, sizeof url, "zk://127.0.0.1:%u%s", zk->port[b], path);
    tz_url_one(zk, a, path, det, sizeof det);
    size_t from = 0;
    spawn_contender(url, "master-1", 5051);
    expect_next(&from, "node:", 20); /* before the detector starts: the two race otherwise */
    spawn_detector(det, SESSION);
    expect_next(&from, "leader:master-1", 20);
    tz_signal(zk, a, SIGSTOP); /* longer than the session: the detector gives it up */
    expect_next(&from, "leader:none", 20);
    tz_signal(zk, a, SIGCONT);
    expect_next(&from, "leader:master-1", 20);
}
END_TEST

START_TEST(test_contender_whose_session_expires_loses_and_contends_again)
{
    int a, b;
    followers(&a, &b);
    char path[64], url[1024];
    tz_url_one(zk, a, tz_unique_path(path, sizeof path), url, sizeof url);
    size_t from = 0;
    spawn_contender(url, "master-1", 5051);
    expect_next(&from, "node:", 20);
    char *node1 = event(from - 1);
    tz_signal(zk, a, SIGSTOP);
    expect_next(&from, "lost:", 20);
    tz_signal(zk, a, SIGCONT);
    expect_next(&from, "node:", 20);
    char *node2 = event(from - 1);
    ck_assert_str_ne(node1, node2);
    char other[1024];
    tz_url(zk, NULL, path, other, sizeof other);
    zk_do('o', other);
    char *data = zk_call_wait('g', node1 + 5); /* the server expired the old session */
    ck_assert_msg(strncmp(data, "zk:no node", 10) == 0, "%s", data);
    free(data);
    free(node1);
    free(node2);
}
END_TEST

START_TEST(test_credentials_in_the_url_authenticate_and_protect_the_znodes)
{
    char path[64], url[1024], anon[1024], other[1024];
    tz_unique_path(path, sizeof path);
    tz_url(zk, "alice:s3cret", path, url, sizeof url);
    tz_url(zk, NULL, path, anon, sizeof anon);
    tz_url(zk, "mallory:guess", path, other, sizeof other);
    size_t from = 0;
    spawn_contender(url, "master-1", 5051);
    expect_next(&from, "node:", 20);
    char *node = event(from - 1);
    spawn_detector(url, SESSION);
    expect_next(&from, "leader:master-1", 20);
    spawn_detector(anon, SESSION); /* anyone may read, as with Mesos' ACL */
    expect_next(&from, "leader:master-1", 20);
    zk_do('o', other); /* but only alice may change anything */
    char *r = zk_call_wait('d', node + 5);
    ck_assert_msg(strncmp(r, "zk:not authenticated", 20) == 0, "%s", r);
    free(r);
    char child[1200];
    snprintf(child, sizeof child, "%s/intruder", path);
    r = zk_call_wait('e', child);
    ck_assert_msg(strncmp(r, "zk:not authenticated", 20) == 0, "%s", r);
    free(r);
    free(node);
}
END_TEST

/* The client refuses credentials between connection attempts (ZINVALIDSTATE): with the first
 * server in the URL down, they were lost and every node the contender made failed with
 * "invalid acl" (seen in CI once an ensemble member had been killed). */
START_TEST(test_credentials_hold_when_the_first_server_is_down)
{
    char path[64], url[1024];
    tz_unique_path(path, sizeof path);
    snprintf(url, sizeof url, "zk://alice:s3cret@127.0.0.1:%u,127.0.0.1:%u%s", tu_free_port(),
             zk->port[0], path);
    zoo_deterministic_conn_order(1); /* the dead server first */
    size_t from = 0;
    spawn_contender(url, "master-1", 5051);
    expect_next(&from, "node:", 20);
}
END_TEST

START_TEST(test_file_address_holding_a_zk_url_detects)
{
    char path[64], url[1024];
    tz_url(zk, NULL, tz_unique_path(path, sizeof path), url, sizeof url);
    char *dir = tu_tmpdir(), file[4200], address[4300];
    snprintf(file, sizeof file, "%s/zk", dir);
    FILE *f = fopen(file, "w");
    fprintf(f, "  %s\n", url);
    fclose(f);
    snprintf(address, sizeof address, "file://%s", file);
    size_t from = 0;
    spawn_contender(url, "master-7", 5057);
    spawn_detector(address, SESSION);
    ck_assert_int_ge(wait_event(&from, "leader:master-7", 20), 0);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- the registry ------------------------------------------------------------------------ */

static act_pid spawn_registrar(const char *url, int quorum)
{
    master_config cfg;
    master_config_default(&cfg);
    cfg.registry_in_memory = false;
    cfg.zk = url;
    cfg.zk_session_timeout = 10;
    cfg.quorum = quorum;
    return registrar_zk_spawn(&cfg, &probe, 0);
}

static void recover(act_pid *registrar, const char *fence)
{
    reg_recover *r = act_calloc(1, sizeof *r);
    r->info = wire_new(WIRE_DESC(master_info));
    r->fence = act_strdup(fence);
    act_post(NULL, registrar, REG_MSG_RECOVER, r, reg_recover_free);
}

static void apply(act_pid *registrar, registrar_op_kind kind, const char *id, uint64_t token)
{
    reg_op *op = act_calloc(1, sizeof *op);
    op->kind = kind;
    op->token = token;
    op->info = wire_new(WIRE_DESC(slave_info));
    wire_slave_info *info = op->info->root;
    info->hostname = wire_strdup(op->info, "host");
    info->id = wire_alloc(op->info, sizeof *info->id);
    info->id->value = wire_strdup(op->info, id);
    act_post(NULL, registrar, REG_MSG_APPLY, op, reg_op_free);
}

START_TEST(test_registry_in_zookeeper_stores_slaves_and_only_the_leader_writes)
{
    char path[64], url[1024], fence[1200];
    tz_url(zk, NULL, tz_unique_path(path, sizeof path), url, sizeof url);
    snprintf(fence, sizeof fence, "%s/json.info_0000000000", path);
    zk_do('o', url);
    zk_do('p', path);
    zk_do('e', fence); /* stands in for the leader's contender znode */

    size_t from = 0;
    act_pid reg = spawn_registrar(url, 2);
    recover(&reg, fence);
    expect_next(&from, "recovered:0:", 30);
    apply(&reg, REG_ADMIT, "S-1", 1);
    apply(&reg, REG_ADMIT, "S-2", 2);
    apply(&reg, REG_ADMIT, "S-1", 3);
    apply(&reg, REG_REMOVE, "S-2", 4);
    apply(&reg, REG_READMIT, "S-3", 5);
    expect_next(&from, "applied:1:ok", 20);
    expect_next(&from, "applied:2:ok", 20);
    expect_next(&from, "applied:3:refused:Slave S-1 already admitted", 20);
    expect_next(&from, "applied:4:ok", 20);
    expect_next(&from, "applied:5:ok", 20);
    /* the registrar gauges: nothing waits; the two SlaveInfos are stored */
    act_buf one = {0};
    wire_slave_info info = {.hostname = "host", .id = &(wire_slave_id){"S-1"}};
    ck_assert_int_eq(wire_encode(WIRE_DESC(slave_info), &info, &one), 0);
    ck_assert_double_eq(act_gauge_value(act_gauge_get("registrar/queued_operations")), 0);
    ck_assert_double_eq(act_gauge_value(act_gauge_get("registrar/registry_size_bytes")),
                        2.0 * (double)one.len);
    act_buf_free(&one);

    act_pid again = spawn_registrar(url, 0); /* what a new leader reads */
    recover(&again, fence);
    int i = wait_event(&from, "recovered:", 30);
    ck_assert_int_ge(i, 0);
    char *e = event((size_t)i);
    ck_assert_msg(strcmp(e, "recovered:2:S-1,S-3") == 0 || strcmp(e, "recovered:2:S-3,S-1") == 0,
                  "%s", e);
    free(e);

    zk_do('c', ""); /* the "leader's" session ends: its znode goes */
    zk_do('o', url);
    for (int k = 0; k < 200; k++) {
        char *r = zk_call_wait('g', fence);
        bool gone = strncmp(r, "zk:no node", 10) == 0;
        free(r);
        if (gone) break;
    }
    apply(&reg, REG_ADMIT, "S-4", 6);
    i = wait_event(&from, "applied:6:", 20);
    ck_assert_int_ge(i, 0);
    e = event((size_t)i);
    ck_assert_msg(strstr(e, "applied:6:fatal:this master no longer leads"), "%s", e);
    free(e);
}
END_TEST

START_TEST(test_quorum_must_be_a_majority_of_the_ensemble)
{
    char path[64], url[1024];
    tz_url(zk, NULL, tz_unique_path(path, sizeof path), url, sizeof url);
    size_t from = 0;
    spawn_registrar(url, 1);
    int i = wait_event(&from, "failed:", 20);
    ck_assert_int_ge(i, 0);
    char *e = event((size_t)i);
    ck_assert_msg(strstr(e, "--quorum=1 does not fit the ZooKeeper ensemble of 3 server(s)"),
                  "%s", e);
    free(e);
    char fence[1200];
    snprintf(fence, sizeof fence, "%s/json.info_0000000000", path);
    zk_do('o', url);
    zk_do('p', path);
    zk_do('e', fence);
    act_pid fine = spawn_registrar(url, 2);
    recover(&fine, fence); /* answered after the check, which ZooKeeper answered first */
    ck_assert_int_ge(wait_event(&from, "recovered:", 30), 0);
    ck_assert_uint_eq(count_events("failed:"), 1);
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
    tcase_add_test(tc, test_lowest_json_info_znode_leads_and_holds_master_info_json);
    tcase_add_test(tc, test_detector_keeps_the_leader_through_a_lost_connection);
    tcase_add_test(tc, test_expired_session_reports_no_leader_then_detects_again);
    tcase_add_test(tc, test_contender_whose_session_expires_loses_and_contends_again);
    tcase_add_test(tc, test_credentials_in_the_url_authenticate_and_protect_the_znodes);
    tcase_add_test(tc, test_credentials_hold_when_the_first_server_is_down);
    tcase_add_test(tc, test_file_address_holding_a_zk_url_detects);
    tcase_add_test(tc, test_registry_in_zookeeper_stores_slaves_and_only_the_leader_writes);
    tcase_add_test(tc, test_quorum_must_be_a_majority_of_the_ensemble);
    suite_add_tcase(s, tc);
    return s;
}
