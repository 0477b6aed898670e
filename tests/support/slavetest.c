/*
 * slavetest.c - the in-process slave with a fake master, fake executors and a fake
 * containerizer (see slavetest.h).
 */
#include "tests/support/slavetest.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

static const char *const master_names[] = {
    MI(RegisterSlaveMessage),   MI(ReregisterSlaveMessage), MI(StatusUpdateMessage),
    MI(ExitedExecutorMessage),  MI(UnregisterSlaveMessage), MI(ExecutorToFrameworkMessage),
    MI(PongSlaveMessage),       NULL};

static const char *const executor_names[] = {
    MI(ExecutorRegisteredMessage), MI(ExecutorReregisteredMessage), MI(RunTaskMessage),
    MI(KillTaskMessage),           MI(ShutdownExecutorMessage),
    MI(StatusUpdateAcknowledgementMessage), MI(ReconnectExecutorMessage),
    MI(FrameworkToExecutorMessage), NULL};

void st_settle(void)
{
    ck_assert_int_eq(act_clock_settle(), 0);
}

void st_advance(double secs)
{
    act_clock_advance(secs);
    st_settle();
}

/* ---- the fake containerizer -------------------------------------------------------------- */

struct st_cz {
    pthread_mutex_t mu;
    act_pid self;
    act_pid slave;                 /* who asked for the launches */
    st_launch *launches;
    size_t nlaunches;
    char (*destroyed)[WIRE_UUID_STRLEN];
    size_t ndestroyed;
    char (*recovered)[WIRE_UUID_STRLEN];
    size_t nrecovered;
    st_cz_update *updates;
    size_t nupdates;
};

static void cz_on_launch(act_actor *self, const act_msg *msg)
{
    st_cz *c = act_state(self);
    const cz_launch *l = msg->obj;
    pthread_mutex_lock(&c->mu);
    c->slave = msg->from;
    c->launches = act_realloc(c->launches, (c->nlaunches + 1) * sizeof *c->launches);
    st_launch *out = &c->launches[c->nlaunches++];
    memset(out, 0, sizeof *out);
    snprintf(out->container_id, sizeof out->container_id, "%s", l->container_id);
    snprintf(out->framework_id, sizeof out->framework_id, "%s", l->framework_id);
    snprintf(out->executor_id, sizeof out->executor_id, "%s", l->executor_id);
    snprintf(out->directory, sizeof out->directory, "%s", l->directory);
    if (l->pids_dir) snprintf(out->pids_dir, sizeof out->pids_dir, "%s", l->pids_dir);
    out->cpus = res_scalar_milli(&l->resources, "cpus");
    out->mem = res_scalar_milli(&l->resources, "mem");
    out->has_container_info = ((const wire_executor_info *)l->executor->root)->container != NULL;
    pthread_mutex_unlock(&c->mu);
}

static void cz_on_update(act_actor *self, const act_msg *msg)
{
    st_cz *c = act_state(self);
    const cz_update *u = msg->obj;
    pthread_mutex_lock(&c->mu);
    c->updates = act_realloc(c->updates, (c->nupdates + 1) * sizeof *c->updates);
    st_cz_update *out = &c->updates[c->nupdates++];
    snprintf(out->container_id, sizeof out->container_id, "%s", u->container_id);
    out->cpus = res_scalar_milli(&u->resources, "cpus");
    out->mem = res_scalar_milli(&u->resources, "mem");
    pthread_mutex_unlock(&c->mu);
}

static void cz_on_destroy(act_actor *self, const act_msg *msg)
{
    st_cz *c = act_state(self);
    const cz_destroy *d = msg->obj;
    pthread_mutex_lock(&c->mu);
    c->destroyed = act_realloc(c->destroyed, (c->ndestroyed + 1) * sizeof *c->destroyed);
    snprintf(c->destroyed[c->ndestroyed++], WIRE_UUID_STRLEN, "%s", d->container_id);
    pthread_mutex_unlock(&c->mu);
}

static void cz_on_recover(act_actor *self, const act_msg *msg)
{
    st_cz *c = act_state(self);
    const cz_recover *r = msg->obj;
    pthread_mutex_lock(&c->mu);
    c->slave = msg->from;
    for (size_t i = 0; i < r->n; i++) {
        c->recovered = act_realloc(c->recovered, (c->nrecovered + 1) * sizeof *c->recovered);
        snprintf(c->recovered[c->nrecovered++], WIRE_UUID_STRLEN, "%s", r->v[i].container_id);
    }
    pthread_mutex_unlock(&c->mu);
}

static void cz_on_terminate(act_actor *self, void *arg)
{
    st_cz *c = act_state(self);
    free(c->launches);
    free(c->destroyed);
    free(c->recovered);
    free(c->updates);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static st_cz *cz_spawn(void)
{
    st_cz *c = act_calloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    act_actor *a = act_new(CONTAINERIZER_ACTOR, c);
    act_on_message(a, CZ_MSG_LAUNCH, cz_on_launch);
    act_on_message(a, CZ_MSG_DESTROY, cz_on_destroy);
    act_on_message(a, CZ_MSG_RECOVER, cz_on_recover);
    act_on_message(a, CZ_MSG_UPDATE, cz_on_update);
    act_on_terminate(a, cz_on_terminate, NULL);
    c->self = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    return c;
}

typedef struct cz_reply {
    const char *name;
    cz_result *result;
} cz_reply;

static void cz_post(act_actor *self, void *arg)
{
    cz_reply *r = arg;
    if (self) {
        st_cz *c = act_state(self);
        act_post(self, &c->slave, r->name, r->result, free);
    } else {
        free(r->result);
    }
    free(r);
}

static void cz_reply_now(st_slave *s, const char *name, const char *container_id, int pid,
                         int status, const char *message, bool limited)
{
    ck_assert_ptr_nonnull(s->cz);
    cz_reply *r = act_calloc(1, sizeof *r);
    r->name = name;
    r->result = act_calloc(1, sizeof *r->result);
    snprintf(r->result->container_id, sizeof r->result->container_id, "%s", container_id);
    r->result->pid = pid;
    r->result->status = status;
    snprintf(r->result->message, sizeof r->result->message, "%s", message ? message : "");
    r->result->limited = limited;
    ck_assert_int_eq(act_dispatch(&s->cz->self, cz_post, r), 0);
    st_settle();
}

void st_launched(st_slave *s, const char *container_id, int pid, const char *message)
{
    cz_reply_now(s, CZ_MSG_LAUNCHED, container_id, pid, -1, message, false);
}

void st_terminated(st_slave *s, const char *container_id, int status, const char *message)
{
    cz_reply_now(s, CZ_MSG_TERMINATED, container_id, 0, status, message, false);
}

void st_limited(st_slave *s, const char *container_id, const char *message)
{
    cz_reply_now(s, CZ_MSG_TERMINATED, container_id, 0, SIGKILL, message, true);
}

size_t st_cz_updates(st_slave *s)
{
    pthread_mutex_lock(&s->cz->mu);
    size_t n = s->cz->nupdates;
    pthread_mutex_unlock(&s->cz->mu);
    return n;
}

st_cz_update st_cz_update_at(st_slave *s, size_t i)
{
    pthread_mutex_lock(&s->cz->mu);
    ck_assert_uint_lt(i, s->cz->nupdates);
    st_cz_update u = s->cz->updates[i];
    pthread_mutex_unlock(&s->cz->mu);
    return u;
}

size_t st_launches(st_slave *s)
{
    pthread_mutex_lock(&s->cz->mu);
    size_t n = s->cz->nlaunches;
    pthread_mutex_unlock(&s->cz->mu);
    return n;
}

st_launch st_launch_at(st_slave *s, size_t i)
{
    pthread_mutex_lock(&s->cz->mu);
    ck_assert_uint_lt(i, s->cz->nlaunches);
    st_launch l = s->cz->launches[i];
    pthread_mutex_unlock(&s->cz->mu);
    return l;
}

st_launch st_launch_of(st_slave *s, const char *executor_id)
{
    for (size_t i = st_launches(s); i-- > 0;) {
        st_launch l = st_launch_at(s, i);
        if (strcmp(l.executor_id, executor_id) == 0) return l;
    }
    ck_abort_msg("no launch for executor %s", executor_id);
    st_launch none;
    memset(&none, 0, sizeof none);
    return none;
}

size_t st_destroys(st_slave *s, const char *container_id)
{
    size_t n = 0;
    pthread_mutex_lock(&s->cz->mu);
    for (size_t i = 0; i < s->cz->ndestroyed; i++)
        n += strcmp(s->cz->destroyed[i], container_id) == 0;
    pthread_mutex_unlock(&s->cz->mu);
    return n;
}

size_t st_recovered(st_slave *s)
{
    pthread_mutex_lock(&s->cz->mu);
    size_t n = s->cz->nrecovered;
    pthread_mutex_unlock(&s->cz->mu);
    return n;
}

bool st_recovered_has(st_slave *s, const char *container_id)
{
    bool found = false;
    pthread_mutex_lock(&s->cz->mu);
    for (size_t i = 0; i < s->cz->nrecovered; i++)
        found |= strcmp(s->cz->recovered[i], container_id) == 0;
    pthread_mutex_unlock(&s->cz->mu);
    return found;
}

/* ---- the slave ------------------------------------------------------------------------- */

/* Counts the slave's end: it links to the slave actor. */
static void on_slave_exited(act_actor *self, const act_pid *pid)
{
    tu_counter_add(act_state(self), 1);
}

static void watch_slave(act_actor *self, void *arg)
{
    act_link(self, arg);
    free(arg);
}

static void spawn_watcher(st_slave *s)
{
    if (!s->exited) s->exited = act_calloc(1, sizeof *s->exited);
    tu_counter_init(s->exited);
    act_actor *a = act_new("slave-watcher", s->exited);
    act_on_exited(a, on_slave_exited);
    act_pid me = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    act_pid *target = act_malloc(sizeof *target);
    *target = s->pid;
    ck_assert_int_eq(act_dispatch(&me, watch_slave, target), 0);
}

bool st_exited(st_slave *s, double secs)
{
    return tu_counter_wait(s->exited, 1, secs);
}

/* The runtime listens on `port` (0: any free port): a restart keeps the port, as a slave
 * restarted with its --port does, so that the executors' pids stay what was checkpointed. */
static void spawn_all(st_slave *s, const st_options *o, uint16_t port)
{
    act_clock_pause();
    act_config rc;
    act_config_default(&rc);
    rc.ip = "127.0.0.1";
    rc.port = port;
    /* The old runtime's connections may hold the port for a moment after it closed them. */
    int rc_init = act_init(&rc);
    for (int i = 0; rc_init == -EADDRINUSE && i < 500; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        rc_init = act_init(&rc);
    }
    ck_assert_int_eq(rc_init, 0);
    ck_assert_int_eq(act_start(), 0);
    s->master = fake_spawn("master", 0, master_names);
    fake_autoreply(s->master, MI(PingSlaveMessage), MI(PongSlaveMessage));
    s->cz = o && o->real_containerizer ? NULL : cz_spawn();
    s->acked = 0;
    slave_config cfg;
    slave_config_default(&cfg);
    char master[ACT_PID_STRLEN];
    act_pid mpid = fake_pid(s->master);
    cfg.master = act_pid_format(&mpid, master, sizeof master);
    cfg.work_dir = s->work_dir;
    cfg.resources = "cpus:8;mem:4096;disk:1024;ports:[31000-32000]";
    cfg.hostname = "slavetest";
    cfg.launcher_dir = tu_bin("");
    cfg.switch_user = false;
    cfg.recover_reconnect = !(o && o->cleanup);
    cfg.strict = !(o && o->no_strict);
    s->exit_status = 0;
    cfg.exit_status = &s->exit_status;
    cfg.registration_backoff_factor = 0.01;
    cfg.gc_delay = 3600;
    if (o && o->grace > 0) cfg.executor_shutdown_grace_period = o->grace;
    if (o && o->registration_timeout > 0)
        cfg.executor_registration_timeout = o->registration_timeout;
    if (s->cz) cfg.containerizer = s->cz->self;
    if (o) cfg.default_container_info = o->default_container_info;
    ck_assert_int_eq(slave_spawn(&cfg, &s->pid), 0);
    spawn_watcher(s);
    st_settle();
}

void st_start(st_slave *s, const st_options *o)
{
    memset(s, 0, sizeof *s);
    s->work_dir = o && o->work_dir ? act_strdup(o->work_dir) : tu_tmpdir();
    spawn_all(s, o, 0);
}

void st_restart(st_slave *s, const st_options *o)
{
    uint16_t port = act_port();
    act_shutdown();
    spawn_all(s, o, port);
}

void st_stop(st_slave *s)
{
    act_shutdown();
    act_clock_resume();
    tu_rmrf(s->work_dir);
    free(s->work_dir);
    s->work_dir = NULL;
    free(s->exited);
    s->exited = NULL;
}

void st_register(st_slave *s)
{
    size_t reg = fake_count(s->master, MI(RegisterSlaveMessage));
    size_t rereg = fake_count(s->master, MI(ReregisterSlaveMessage));
    st_advance(1); /* the first attempt comes within the backoff factor */
    bool again = fake_count(s->master, MI(ReregisterSlaveMessage)) > rereg;
    ck_assert_msg(again || fake_count(s->master, MI(RegisterSlaveMessage)) > reg,
                  "the slave did not try to register");
    if (again) {
        wire_msg *m = fake_last(s->master, MI(ReregisterSlaveMessage),
                                WIRE_DESC(reregister_slave_message));
        ck_assert_ptr_nonnull(m);
        snprintf(s->id, sizeof s->id, "%s",
                 ((wire_reregister_slave_message *)m->root)->slave_id.value);
        wire_msg_free(m);
        wire_slave_reregistered_message r = {.slave_id = {s->id}};
        fake_send(s->master, &s->pid, WIRE_DESC(slave_reregistered_message), &r);
    } else {
        snprintf(s->id, sizeof s->id, "S1");
        wire_slave_registered_message r = {.slave_id = {s->id}};
        fake_send(s->master, &s->pid, WIRE_DESC(slave_registered_message), &r);
    }
    st_settle();
}

/* ---- messages ---------------------------------------------------------------------------- */

static void fill_resources(wire_msg *m, wire_resource **out, size_t *n, double cpus, double mem)
{
    res_set r = {0};
    res_add_scalar(&r, "cpus", "*", cpus);
    res_add_scalar(&r, "mem", "*", mem);
    res_to_wire(&r, m, out, n);
    res_free(&r);
}

void st_run_task(st_slave *s, const char *fw, bool checkpoint, const char *task_id,
                 const char *executor_id)
{
    wire_msg *m = wire_new(WIRE_DESC(run_task_message));
    wire_run_task_message *r = m->root;
    r->framework_id.value = wire_strdup(m, fw);
    r->framework.user = "";
    r->framework.name = wire_strdup(m, fw);
    r->framework.has_checkpoint = true;
    r->framework.checkpoint = checkpoint;
    char pid[ACT_PID_STRLEN];
    snprintf(pid, sizeof pid, "scheduler-%s@127.0.0.1:%u", fw, act_port());
    r->pid = wire_strdup(m, pid);
    wire_task_info *t = &r->task;
    t->name = t->task_id.value = wire_strdup(m, task_id);
    t->slave_id.value = wire_strdup(m, s->id);
    fill_resources(m, &t->resources, &t->resources_count, 0.1, 16);
    t->executor = wire_alloc(m, sizeof *t->executor);
    t->executor->executor_id.value = wire_strdup(m, executor_id);
    t->executor->command.has_value = true;
    t->executor->command.value = "exit 0";
    fill_resources(m, &t->executor->resources, &t->executor->resources_count, 0.1, 32);
    fake_send(s->master, &s->pid, WIRE_DESC(run_task_message), r);
    wire_msg_free(m);
    st_settle();
}

void st_shutdown_framework(st_slave *s, const char *fw)
{
    wire_shutdown_framework_message m = {.framework_id = {(char *)fw}};
    fake_send(s->master, &s->pid, WIRE_DESC(shutdown_framework_message), &m);
    st_settle();
}

fake *st_executor_named(const char *name)
{
    fake *e = fake_spawn(name, 0, executor_names);
    ck_assert_ptr_nonnull(e);
    return e;
}

fake *st_executor(st_slave *s, const char *fw, const char *executor_id)
{
    char name[ACT_ID_MAX];
    fake *e = st_executor_named(act_unique_name("executor", name, sizeof name));
    wire_register_executor_message m = {.framework_id = {(char *)fw},
                                        .executor_id = {(char *)executor_id}};
    fake_send(e, &s->pid, WIRE_DESC(register_executor_message), &m);
    st_settle();
    return e;
}

void st_update(st_slave *s, fake *executor, const char *fw, const char *executor_id,
               const char *task_id, wire_task_state state, uint8_t n)
{
    uint8_t uuid[16] = {n, 0x5a};
    uuid[15] = n;
    char pid[ACT_PID_STRLEN];
    act_pid epid = fake_pid(executor);
    wire_executor_id eid = {(char *)executor_id};
    wire_slave_id sid = {s->id};
    wire_status_update_message m;
    wire_init(WIRE_DESC(status_update_message), &m);
    m.update.framework_id.value = (char *)fw;
    m.update.executor_id = &eid;
    m.update.slave_id = &sid;
    m.update.status.task_id.value = (char *)task_id;
    m.update.status.state = state;
    m.update.timestamp = act_now();
    m.update.uuid = (wire_bytes){uuid, sizeof uuid};
    m.has_pid = true;
    m.pid = act_pid_format(&epid, pid, sizeof pid);
    fake_send(executor, &s->pid, WIRE_DESC(status_update_message), &m);
    st_settle();
}

size_t st_updates_total(st_slave *s)
{
    return fake_count(s->master, MI(StatusUpdateMessage));
}

size_t st_updates(st_slave *s, const char *task_id, wire_task_state state)
{
    size_t n = 0, total = st_updates_total(s);
    for (size_t i = 0; i < total; i++) {
        wire_msg *m = fake_nth(s->master, MI(StatusUpdateMessage),
                               WIRE_DESC(status_update_message), i);
        ck_assert_ptr_nonnull(m);
        const wire_status_update *u = &((wire_status_update_message *)m->root)->update;
        n += strcmp(u->status.task_id.value, task_id) == 0 && u->status.state == state;
        wire_msg_free(m);
    }
    return n;
}

size_t st_ack_all(st_slave *s)
{
    size_t done = 0;
    while (s->acked < st_updates_total(s)) {
        wire_msg *m = fake_nth(s->master, MI(StatusUpdateMessage),
                               WIRE_DESC(status_update_message), s->acked++);
        ck_assert_ptr_nonnull(m);
        const wire_status_update *u = &((wire_status_update_message *)m->root)->update;
        wire_status_update_acknowledgement_message a = {
            .slave_id = {s->id}, .framework_id = u->framework_id,
            .task_id = u->status.task_id, .uuid = u->uuid};
        fake_send(s->master, &s->pid, WIRE_DESC(status_update_acknowledgement_message), &a);
        wire_msg_free(m);
        st_settle();
        done++;
    }
    return done;
}

/* ---- state.json and metrics ---------------------------------------------------------------- */

json_t *st_state(st_slave *s)
{
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/state.json", &out), 200);
    json_error_t err;
    json_t *j = json_loadb(out.data, out.len, 0, &err);
    ck_assert_msg(j != NULL, "state.json does not parse: %s", err.text);
    act_buf_free(&out);
    return j;
}

double st_metric(const char *name)
{
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/metrics/snapshot", &out), 200);
    json_t *j = json_loadb(out.data, out.len, 0, NULL);
    act_buf_free(&out);
    ck_assert_ptr_nonnull(j);
    json_t *v = json_object_get(j, name);
    double d = v && json_is_number(v) ? json_number_value(v) : -1;
    json_decref(j);
    return d;
}

json_t *st_find(json_t *array, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v) {
        const char *vid = json_string_value(json_object_get(v, "id"));
        if (vid && strcmp(vid, id) == 0) return v;
    }
    return NULL;
}
