/*
 * cluster.c - a real master and slave for integration tests, and a recording test scheduler
 * (see cluster.h).
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

/* ---- processes --------------------------------------------------------------------------- */

/* Appends NULL-terminated flags to argv (n used of cap, the last kept for NULL). */
static int add_flags(char **argv, int n, int cap, const char *const *flags)
{
    for (size_t i = 0; flags && flags[i] && n < cap - 1; i++) argv[n++] = (char *)flags[i];
    argv[n] = NULL;
    return n;
}

void tc_start_master(tc_cluster *c)
{
    char ip[32], port[32], work[4200], log[4300];
    if (!c->master_ip[0]) snprintf(c->master_ip, sizeof c->master_ip, "127.0.0.1");
    if (!c->master_port) c->master_port = tu_free_port();
    snprintf(ip, sizeof ip, "--ip=%s", c->master_ip);
    snprintf(port, sizeof port, "--port=%u", c->master_port);
    snprintf(work, sizeof work, "--work_dir=%s/master", c->dir);
    static int starts;
    snprintf(c->master_log, sizeof c->master_log, "%.4000s/master-%d.log", c->dir, ++starts);
    /* its output is its log: served as /master/log, as a supervisor's file would be */
    snprintf(log, sizeof log, "--external_log_file=%s", c->master_log);
    char *argv[32] = {(char *)tu_bin("mesos-master"), ip, port, work,
                      "--allocation_interval=100ms", log};
    add_flags(argv, 6, 32, c->master_flags);
    c->master_pid = tu_spawn(argv, c->master_log);
    ck_assert_msg(tu_wait_http_at(c->master_ip, c->master_port, "/master/health", 30),
                  "master did not start; see %s", c->master_log);
    snprintf(c->master_addr, sizeof c->master_addr, "%s:%u", c->master_ip, c->master_port);
}

const char *tc_slave_work_dir(const tc_cluster *c)
{
    static char dir[4200];
    snprintf(dir, sizeof dir, "%s/slave", c->dir);
    return dir;
}

char *tc_sandbox_glob(tc_cluster *c, const char *executor_id, const char *file, char *buf,
                      size_t n)
{
    snprintf(buf, n, "%s/slaves/*/frameworks/*/executors/%s/runs/latest/%s",
             tc_slave_work_dir(c), executor_id, file);
    return buf;
}

char *tc_read_glob(const char *pattern)
{
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0) return NULL;
    char *text = g.gl_pathc ? tu_read_file(g.gl_pathv[0]) : NULL;
    globfree(&g);
    return text;
}

bool tc_wait_glob_contains(const char *pattern, const char *text, double secs)
{
    for (int i = 0; i < (int)(secs * 100); i++) {
        glob_t g;
        bool found = false;
        if (glob(pattern, 0, NULL, &g) == 0) {
            for (size_t k = 0; k < g.gl_pathc && !found; k++) {
                char *content = tu_read_file(g.gl_pathv[k]);
                found = content && strstr(content, text) != NULL;
                free(content);
            }
            globfree(&g);
        }
        if (found) return true;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

bool tc_slaves_active(tc_cluster *c, int n)
{
    act_buf out = {0};
    char want[64];
    snprintf(want, sizeof want, "\"activated_slaves\":%d", n);
    bool ok = tu_http_get_at(c->master_ip, c->master_port, "/master/state.json", &out) == 200 &&
              strstr(out.data, want);
    act_buf_free(&out);
    return ok;
}

static bool slave_registered(tc_cluster *c)
{
    return tc_slaves_active(c, 1);
}

int tc_spawn_slave(tc_cluster *c, const char *const *slave_flags, const char *log)
{
    if (!c->slave_ip[0]) snprintf(c->slave_ip, sizeof c->slave_ip, "127.0.0.1");
    if (!c->slave_port) c->slave_port = tu_free_port();
    char ip[32], port[32], work[4300], master[96], launcher[4300];
    snprintf(ip, sizeof ip, "--ip=%s", c->slave_ip);
    snprintf(port, sizeof port, "--port=%u", c->slave_port);
    snprintf(work, sizeof work, "--work_dir=%s", tc_slave_work_dir(c));
    snprintf(master, sizeof master, "--master=%s", c->master_addr);
    snprintf(launcher, sizeof launcher, "--launcher_dir=%s", tu_bin(""));
    char *argv[32] = {(char *)tu_bin("mesos-slave"), ip, port, work, master,
                      launcher, "--resources=cpus:4;mem:2048;disk:1024;ports:[31000-31100]",
                      "--registration_backoff_factor=10ms", "--recovery_timeout=1mins"};
    add_flags(argv, 9, 32, slave_flags);
    return tu_spawn(argv, log);
}

void tc_start_slave(tc_cluster *c, const char *const *slave_flags)
{
    static int starts;
    snprintf(c->slave_log, sizeof c->slave_log, "%.4000s/slave-%d.log", c->dir, ++starts);
    c->slave_pid = tc_spawn_slave(c, slave_flags, c->slave_log);
    ck_assert_int_gt(c->slave_pid, 0);
    for (int i = 0; i < 3000 && !slave_registered(c); i++) {
        int status;
        ck_assert_msg(waitpid(c->slave_pid, &status, WNOHANG) == 0,
                      "the slave exited (status %d); see %s", status, c->slave_log);
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(slave_registered(c), "the slave did not register; see %s", c->slave_log);
}

void tc_start_with(tc_cluster *c, const tc_options *o)
{
    memset(c, 0, sizeof *c);
    c->dir = tu_tmpdir();
    ck_assert_ptr_nonnull(c->dir);
    snprintf(c->master_ip, sizeof c->master_ip, "%s", o->master_ip ? o->master_ip : "127.0.0.1");
    snprintf(c->slave_ip, sizeof c->slave_ip, "%s", o->slave_ip ? o->slave_ip : "127.0.0.1");
    c->master_flags = o->master_flags;
    tc_start_master(c);
    if (!o->no_slave) tc_start_slave(c, o->slave_flags);
}

void tc_start(tc_cluster *c, const char *const *slave_flags)
{
    tc_options o = {.slave_flags = slave_flags};
    tc_start_with(c, &o);
}

void tc_kill_slave(tc_cluster *c, int sig)
{
    tu_stop(c->slave_pid, sig, 30);
    c->slave_pid = 0;
}

void tc_kill_master(tc_cluster *c, int sig)
{
    tu_stop(c->master_pid, sig, 30);
    c->master_pid = 0;
}

json_t *tc_slave_state(tc_cluster *c)
{
    act_buf out = {0};
    json_t *j = NULL;
    if (tu_http_get_at(c->slave_ip, c->slave_port, "/state.json", &out) == 200)
        j = json_loadb(out.data, out.len, 0, NULL);
    act_buf_free(&out);
    ck_assert_msg(j != NULL, "no state.json from the slave; see %s", c->slave_log);
    return j;
}

double tc_slave_metric(tc_cluster *c, const char *name)
{
    return tu_metric_at(c->slave_ip, c->slave_port, name);
}

bool tc_wait_slave_metric(tc_cluster *c, const char *name, double value, double secs)
{
    for (int i = 0; i < (int)(secs * 20); i++) {
        if (tc_slave_metric(c, name) == value) return true;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

void tc_stop(tc_cluster *c)
{
    if (c->slave_pid) {
        int st = tu_stop(c->slave_pid, SIGTERM, 30);
        ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "mesos-slave did not exit cleanly (status %d); see %s", st, c->slave_log);
    }
    if (c->master_pid) {
        int st = tu_stop(c->master_pid, SIGTERM, 30);
        ck_assert_msg(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                      "mesos-master did not exit cleanly (status %d); see %s", st,
                      c->master_log);
    }
    tu_rmrf(c->dir);
    free(c->dir);
}

/* ---- the test scheduler ------------------------------------------------------------------ */

typedef struct update {
    char task[64];
    wire_task_state state;
    char message[1024];
    int reason;                /* -1: none */
} update;

struct tc_sched {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sched_driver *driver;
    tc_task *queue;
    size_t nqueue;
    update *updates;
    size_t nupdates, cap;
    int executor_lost;
    int registrations, disconnections; /* registered + reregistered; disconnected */
    int offers;
    char framework_id[WIRE_ID_MAX];
    char error[1024];                  /* the error callback's message; "" until it came */
    bool errored;
};

static double scalar(const wire_offer *o, const char *name)
{
    res_set s = {0};
    res_from_wire(o->resources, o->resources_count, &s, NULL, 0);
    double v = res_scalar(&s, name);
    res_free(&s);
    return v;
}

static void fill_task(wire_msg *m, wire_task_info *t, const tc_task *q, const wire_offer *o)
{
    t->name = wire_strdup(m, q->id);
    t->task_id.value = wire_strdup(m, q->id);
    t->slave_id.value = wire_strdup(m, o->slave_id.value);
    res_set r = {0};
    res_add_scalar(&r, "cpus", "*", q->cpus);
    res_add_scalar(&r, "mem", "*", q->mem);
    if (q->disk > 0) res_add_scalar(&r, "disk", "*", q->disk);
    if (q->ports) {
        char text[128];
        res_set ports = {0};
        snprintf(text, sizeof text, "ports:%s", q->ports);
        ck_assert_int_eq(res_parse(text, "*", &ports, NULL, 0), 0);
        res_add(&r, &ports);
        res_free(&ports);
    }
    res_to_wire(&r, m, &t->resources, &t->resources_count);
    res_free(&r);
    if (q->container) {
        t->container = wire_alloc(m, sizeof *t->container);
        wire_copy_into(m, WIRE_DESC(container_info), t->container, q->container);
    }
    if (q->executor) {
        t->executor = wire_alloc(m, sizeof *t->executor);
        wire_copy_into(m, WIRE_DESC(executor_info), t->executor, q->executor);
        if (q->command) {
            t->has_data = true;
            t->data.data = (uint8_t *)wire_strdup(m, q->command);
            t->data.len = strlen(q->command);
        }
        return;
    }
    t->command = wire_alloc(m, sizeof *t->command);
    t->command->has_value = true;
    t->command->value = wire_strdup(m, q->command);
    t->command->uris = (wire_command_uri *)q->uris;
    t->command->uris_count = q->nuris;
    t->command->environment = (wire_environment *)q->environment;
    t->command->has_user = q->user != NULL;
    t->command->user = (char *)q->user;
}

static void on_offers(sched_driver *d, const wire_offer *offers, size_t n)
{
    tc_sched *s = sched_driver_ctx(d);
    wire_filters quick = {.has_refuse_seconds = true, .refuse_seconds = 0.1};
    pthread_mutex_lock(&s->mu);
    s->offers += (int)n;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n; i++) {
        double cpus = scalar(&offers[i], "cpus"), mem = scalar(&offers[i], "mem");
        wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
        pthread_mutex_lock(&s->mu);
        wire_task_info *tasks = wire_alloc_array(m, WIRE_DESC(task_info), s->nqueue + 1);
        size_t k = 0;
        while (s->nqueue) {
            const tc_task *q = &s->queue[0];
            double need_c = q->cpus + 0.1, need_m = q->mem + 32; /* executor's share */
            if (need_c > cpus + 1e-9 || need_m > mem) break;
            fill_task(m, &tasks[k++], q, &offers[i]);
            cpus -= need_c;
            mem -= need_m;
            memmove(&s->queue[0], &s->queue[1], --s->nqueue * sizeof s->queue[0]);
        }
        pthread_mutex_unlock(&s->mu);
        if (k)
            sched_driver_launch_tasks(d, &offers[i].id, 1, tasks, k, &quick);
        else
            sched_driver_decline_offer(d, &offers[i].id, &quick);
        wire_msg_free(m);
    }
}

static void on_status(sched_driver *d, const wire_task_status *st)
{
    tc_sched *s = sched_driver_ctx(d);
    pthread_mutex_lock(&s->mu);
    if (s->nupdates == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->updates = act_realloc(s->updates, s->cap * sizeof *s->updates);
    }
    update *u = &s->updates[s->nupdates++];
    snprintf(u->task, sizeof u->task, "%s", st->task_id.value);
    u->state = st->state;
    snprintf(u->message, sizeof u->message, "%s", st->has_message ? st->message : "");
    u->reason = st->has_reason ? (int)st->reason : -1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void on_registered(sched_driver *d, const wire_framework_id *id, const wire_master_info *mi)
{
    tc_sched *s = sched_driver_ctx(d);
    pthread_mutex_lock(&s->mu);
    snprintf(s->framework_id, sizeof s->framework_id, "%s", id->value);
    s->registrations++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void on_reregistered(sched_driver *d, const wire_master_info *mi)
{
    tc_sched *s = sched_driver_ctx(d);
    pthread_mutex_lock(&s->mu);
    s->registrations++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void on_disconnected(sched_driver *d)
{
    tc_sched *s = sched_driver_ctx(d);
    pthread_mutex_lock(&s->mu);
    s->disconnections++;
    pthread_mutex_unlock(&s->mu);
}

static void on_executor_lost(sched_driver *d, const wire_executor_id *e, const wire_slave_id *sl,
                             int status)
{
    tc_sched *s = sched_driver_ctx(d);
    pthread_mutex_lock(&s->mu);
    s->executor_lost++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void on_error(sched_driver *d, const char *message)
{
    tc_sched *s = sched_driver_ctx(d);
    pthread_mutex_lock(&s->mu);
    snprintf(s->error, sizeof s->error, "%s", message);
    s->errored = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

tc_sched *tc_sched_start_with(const char *master, const tc_sched_options *o)
{
    tc_sched *s = act_calloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    sched_scheduler cb = {.registered = on_registered, .reregistered = on_reregistered,
                          .disconnected = on_disconnected, .resource_offers = on_offers,
                          .status_update = on_status, .executor_lost = on_executor_lost,
                          .error = on_error};
    wire_framework_info fi = {.user = (char *)(o->user ? o->user : ""),
                              .name = (char *)(o->name ? o->name : "integration"),
                              .has_checkpoint = true, .checkpoint = o->checkpoint,
                              .has_failover_timeout = true, .failover_timeout = 3600,
                              .has_principal = o->principal != NULL,
                              .principal = (char *)o->principal, .has_role = o->role != NULL,
                              .role = (char *)o->role};
    s->driver = sched_driver_new(&cb, s, &fi, master, o->credential);
    if (o->unacknowledging) sched_driver_set_implicit_acknowledgements(s->driver, false);
    ck_assert_int_eq(sched_driver_start(s->driver), SCHED_DRIVER_RUNNING);
    return s;
}

tc_sched *tc_sched_start(tc_cluster *c, bool checkpoint)
{
    tc_sched_options o = {.checkpoint = checkpoint};
    return tc_sched_start_with(c->master_addr, &o);
}

tc_sched *tc_sched_start_at(const char *master, bool checkpoint)
{
    tc_sched_options o = {.checkpoint = checkpoint};
    return tc_sched_start_with(master, &o);
}

tc_sched *tc_sched_start_unacknowledging(tc_cluster *c, bool checkpoint)
{
    tc_sched_options o = {.checkpoint = checkpoint, .unacknowledging = true};
    return tc_sched_start_with(c->master_addr, &o);
}

bool tc_wait_error(tc_sched *s, char *buf, size_t n, double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    pthread_mutex_lock(&s->mu);
    while (!s->errored)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0) break;
    bool ok = s->errored;
    if (buf) snprintf(buf, n, "%s", s->error);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

int tc_offer_count(tc_sched *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->offers;
    pthread_mutex_unlock(&s->mu);
    return n;
}

bool tc_wait_registrations(tc_sched *s, int n, double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    pthread_mutex_lock(&s->mu);
    while (s->registrations < n)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0) break;
    bool ok = s->registrations >= n;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

int tc_disconnected_count(tc_sched *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->disconnections;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void tc_sched_launch(tc_sched *s, const tc_task *tasks, size_t n)
{
    pthread_mutex_lock(&s->mu);
    s->queue = act_realloc(s->queue, (s->nqueue + n) * sizeof *s->queue);
    memcpy(&s->queue[s->nqueue], tasks, n * sizeof *tasks);
    s->nqueue += n;
    pthread_mutex_unlock(&s->mu);
    sched_driver_revive_offers(s->driver);
}

static int count_locked(tc_sched *s, const char *id, wire_task_state state)
{
    int n = 0;
    for (size_t i = 0; i < s->nupdates; i++)
        n += strcmp(s->updates[i].task, id) == 0 && s->updates[i].state == state;
    return n;
}

int tc_wait_either(tc_sched *s, const char *id, wire_task_state a, wire_task_state b,
                   double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    pthread_mutex_lock(&s->mu);
    while (count_locked(s, id, a) == 0 && count_locked(s, id, b) == 0)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0) break;
    int got = count_locked(s, id, a) ? (int)a : count_locked(s, id, b) ? (int)b : -1;
    pthread_mutex_unlock(&s->mu);
    return got;
}

bool tc_wait_state(tc_sched *s, const char *id, wire_task_state state, double secs)
{
    return tc_wait_either(s, id, state, state, secs) >= 0;
}

int tc_count_state(tc_sched *s, const char *id, wire_task_state state)
{
    pthread_mutex_lock(&s->mu);
    int n = count_locked(s, id, state);
    pthread_mutex_unlock(&s->mu);
    return n;
}

const char *tc_last_message(tc_sched *s, const char *id, char *buf, size_t n)
{
    buf[0] = '\0';
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nupdates; i++)
        if (strcmp(s->updates[i].task, id) == 0) snprintf(buf, n, "%s", s->updates[i].message);
    pthread_mutex_unlock(&s->mu);
    return buf;
}

int tc_last_reason(tc_sched *s, const char *id)
{
    int reason = -1;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nupdates; i++)
        if (strcmp(s->updates[i].task, id) == 0) reason = s->updates[i].reason;
    pthread_mutex_unlock(&s->mu);
    return reason;
}

int tc_executor_lost_count(tc_sched *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->executor_lost;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void tc_kill(tc_sched *s, const char *task_id)
{
    wire_task_id id = {(char *)task_id};
    sched_driver_kill_task(s->driver, &id);
}

void tc_reconcile(tc_sched *s)
{
    sched_driver_reconcile_tasks(s->driver, NULL, 0);
}

const char *tc_framework_id(tc_sched *s)
{
    return s->framework_id;
}

void tc_sched_stop(tc_sched *s)
{
    sched_driver_stop(s->driver, false);
    sched_driver_join(s->driver);
    sched_driver_free(s->driver);
    free(s->queue);
    free(s->updates);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
