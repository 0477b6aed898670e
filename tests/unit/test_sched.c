/*
 * test_sched.c - the scheduler driver against a fake master: one runtime on loopback with a
 * paused clock, a "master" actor written here that decodes what the driver sends and answers
 * with real messages, and a scheduler whose callbacks record what they see. Each test pins
 * one behaviour of Mesos' driver: registration and its retries, re-registration, offers and
 * launches, status updates and their acknowledgements, the other callbacks, stop and abort.
 */
#include "sched/sched.h"
#include "sched/sched_int.h" /* sched__ended_kept */
#include "tests/support/testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FW_ID "fw-1"
#define SLAVE_PID "slave(1)@127.0.0.1:5051"
#define NAME(m) wire_type_name(WIRE_DESC(m))

/* ---- the fake master ------------------------------------------------------------------- */

typedef struct received {
    char name[96];
    wire_msg *msg; /* NULL if it did not decode */
} received;

typedef struct fake_master {
    pthread_mutex_t mu;
    act_pid self;
    act_pid driver;   /* sender of the last message received */
    bool link_driver; /* link the driver's pid when it registers */
    received *got;
    size_t ngot, cap;
    tu_counter count;
    tu_counter exited;
} fake_master;

static void fm_record(act_actor *self, const act_msg *msg)
{
    fake_master *fm = act_state(self);
    wire_msg *m = NULL;
    wire_decode_by_name(msg->name, msg->body, msg->len, &m, NULL, 0);
    pthread_mutex_lock(&fm->mu);
    fm->driver = msg->from;
    if (fm->ngot == fm->cap) {
        fm->cap = fm->cap ? fm->cap * 2 : 64;
        fm->got = realloc(fm->got, fm->cap * sizeof *fm->got);
    }
    snprintf(fm->got[fm->ngot].name, sizeof fm->got[fm->ngot].name, "%s", msg->name);
    fm->got[fm->ngot++].msg = m;
    pthread_mutex_unlock(&fm->mu);
    bool registration = strcmp(msg->name, NAME(register_framework_message)) == 0 ||
                        strcmp(msg->name, NAME(reregister_framework_message)) == 0;
    if (registration && fm->link_driver) act_link(self, &msg->from);
    tu_counter_add(&fm->count, 1);
}

static void fm_exited(act_actor *self, const act_pid *pid)
{
    fake_master *fm = act_state(self);
    tu_counter_add(&fm->exited, 1);
}

static const wire_desc *const driver_messages[] = {
    WIRE_DESC(register_framework_message),   WIRE_DESC(reregister_framework_message),
    WIRE_DESC(unregister_framework_message), WIRE_DESC(deactivate_framework_message),
    WIRE_DESC(resource_request_message),     WIRE_DESC(launch_tasks_message),
    WIRE_DESC(kill_task_message),            WIRE_DESC(revive_offers_message),
    WIRE_DESC(suppress_offers_message),      WIRE_DESC(reconcile_tasks_message),
    WIRE_DESC(framework_to_executor_message),
    WIRE_DESC(status_update_acknowledgement_message),
};

static void fm_start(fake_master *fm, const char *name)
{
    memset(fm, 0, sizeof *fm);
    pthread_mutex_init(&fm->mu, NULL);
    tu_counter_init(&fm->count);
    tu_counter_init(&fm->exited);
    act_actor *a = act_new(name, fm);
    for (size_t i = 0; i < sizeof driver_messages / sizeof driver_messages[0]; i++)
        act_on_message(a, wire_type_name(driver_messages[i]), fm_record);
    act_on_exited(a, fm_exited);
    fm->self = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
}

static void fm_free(fake_master *fm)
{
    for (size_t i = 0; i < fm->ngot; i++) wire_msg_free(fm->got[i].msg);
    free(fm->got);
    memset(fm, 0, sizeof *fm);
}

static size_t fm_count(fake_master *fm, const char *name)
{
    size_t n = 0;
    pthread_mutex_lock(&fm->mu);
    for (size_t i = 0; i < fm->ngot; i++) n += strcmp(fm->got[i].name, name) == 0;
    pthread_mutex_unlock(&fm->mu);
    return n;
}

/* The position of the first message named `name` among all received, or -1. */
static int fm_index(fake_master *fm, const char *name)
{
    int at = -1;
    pthread_mutex_lock(&fm->mu);
    for (size_t i = 0; i < fm->ngot && at < 0; i++)
        if (strcmp(fm->got[i].name, name) == 0) at = (int)i;
    pthread_mutex_unlock(&fm->mu);
    return at;
}

/* The decoded root of the last message named `name`, or NULL. */
static void *fm_last(fake_master *fm, const char *name)
{
    void *root = NULL;
    pthread_mutex_lock(&fm->mu);
    for (size_t i = fm->ngot; i-- > 0 && !root;)
        if (strcmp(fm->got[i].name, name) == 0) root = fm->got[i].msg ? fm->got[i].msg->root : "";
    pthread_mutex_unlock(&fm->mu);
    return root;
}

typedef struct outgoing {
    act_pid to;
    char name[96];
    act_buf body;
} outgoing;

static void fm_send_now(act_actor *self, void *arg)
{
    outgoing *o = arg;
    if (self) act_send(self, &o->to, o->name, o->body.data, o->body.len);
    act_buf_free(&o->body);
    free(o);
}

/* Sends raw bytes named `name` from the fake master to the driver. */
static void fm_send_raw(fake_master *fm, const char *name, const void *body, size_t len)
{
    outgoing *o = calloc(1, sizeof *o);
    pthread_mutex_lock(&fm->mu);
    o->to = fm->driver;
    pthread_mutex_unlock(&fm->mu);
    snprintf(o->name, sizeof o->name, "%s", name);
    act_buf_append(&o->body, body, len);
    ck_assert_int_eq(act_dispatch(&fm->self, fm_send_now, o), 0);
}

static void fm_send(fake_master *fm, const wire_desc *desc, const void *obj)
{
    act_buf b = {0};
    ck_assert_int_eq(wire_encode(desc, obj, &b), 0);
    fm_send_raw(fm, wire_type_name(desc), b.data, b.len);
    act_buf_free(&b);
}

/* ---- the recording scheduler ----------------------------------------------------------- */

typedef struct recorder {
    pthread_mutex_t mu;
    int registered, reregistered, disconnected, offer_calls, rescinded, updates, messages;
    int slaves_lost, executors_lost, errors;
    size_t offers;
    char framework_id[128], offer_id[128], rescinded_id[128], task_id[128], message[256];
    char error[512], slave_id[128], executor_id[128], data[128];
    wire_task_state state;
    wire_status_reason reason;
    int executor_status;
    wire_msg *last_status; /* a wire_task_status copy */
    bool decline_offers;   /* decline every offer from inside the callback */
    bool abort_on_update;  /* abort the driver from inside status_update */
    bool stop_on_update;   /* stop the driver from inside status_update */
    bool stop_on_registered;
} recorder;

static fake_master fm, other; /* other: a second master, or an impostor */
static recorder rec;
static sched_driver *drv;
static char master_addr[64];

/* Reads a counter of the recorder under its lock. */
static int rec_int(const int *field)
{
    pthread_mutex_lock(&rec.mu);
    int v = *field;
    pthread_mutex_unlock(&rec.mu);
    return v;
}

static void copy_str(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src); }

static void cb_registered(sched_driver *d, const wire_framework_id *id, const wire_master_info *mi)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->registered++;
    copy_str(r->framework_id, sizeof r->framework_id, id->value);
    bool stop = r->stop_on_registered;
    pthread_mutex_unlock(&r->mu);
    if (stop) sched_driver_stop(d, false);
}

static void cb_reregistered(sched_driver *d, const wire_master_info *mi)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->reregistered++;
    pthread_mutex_unlock(&r->mu);
}

static void cb_disconnected(sched_driver *d)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->disconnected++;
    pthread_mutex_unlock(&r->mu);
}

static void cb_offers(sched_driver *d, const wire_offer *offers, size_t count)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->offer_calls++;
    r->offers += count;
    if (count) copy_str(r->offer_id, sizeof r->offer_id, offers[count - 1].id.value);
    bool decline = r->decline_offers;
    pthread_mutex_unlock(&r->mu);
    for (size_t i = 0; decline && i < count; i++) sched_driver_decline_offer(d, &offers[i].id, NULL);
}

static void cb_rescinded(sched_driver *d, const wire_offer_id *id)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->rescinded++;
    copy_str(r->rescinded_id, sizeof r->rescinded_id, id->value);
    pthread_mutex_unlock(&r->mu);
}

static void cb_status(sched_driver *d, const wire_task_status *s)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->updates++;
    copy_str(r->task_id, sizeof r->task_id, s->task_id.value);
    copy_str(r->message, sizeof r->message, s->has_message ? s->message : "");
    r->state = s->state;
    r->reason = s->has_reason ? s->reason : (wire_status_reason)-1;
    wire_msg_free(r->last_status);
    r->last_status = wire_copy(WIRE_DESC(task_status), s);
    bool abort = r->abort_on_update, stop = r->stop_on_update;
    pthread_mutex_unlock(&r->mu);
    if (abort) sched_driver_abort(d);
    if (stop) sched_driver_stop(d, false);
}

static void cb_framework_message(sched_driver *d, const wire_executor_id *e,
                                 const wire_slave_id *s, const uint8_t *data, size_t len)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->messages++;
    copy_str(r->executor_id, sizeof r->executor_id, e->value);
    copy_str(r->slave_id, sizeof r->slave_id, s->value);
    snprintf(r->data, sizeof r->data, "%.*s", (int)len, (const char *)data);
    pthread_mutex_unlock(&r->mu);
}

static void cb_slave_lost(sched_driver *d, const wire_slave_id *s)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->slaves_lost++;
    copy_str(r->slave_id, sizeof r->slave_id, s->value);
    pthread_mutex_unlock(&r->mu);
}

static void cb_executor_lost(sched_driver *d, const wire_executor_id *e, const wire_slave_id *s,
                             int status)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->executors_lost++;
    copy_str(r->executor_id, sizeof r->executor_id, e->value);
    copy_str(r->slave_id, sizeof r->slave_id, s->value);
    r->executor_status = status;
    pthread_mutex_unlock(&r->mu);
}

static void cb_error(sched_driver *d, const char *message)
{
    recorder *r = sched_driver_ctx(d);
    pthread_mutex_lock(&r->mu);
    r->errors++;
    copy_str(r->error, sizeof r->error, message);
    pthread_mutex_unlock(&r->mu);
}

static const sched_scheduler scheduler = {
    .registered = cb_registered,
    .reregistered = cb_reregistered,
    .disconnected = cb_disconnected,
    .resource_offers = cb_offers,
    .offer_rescinded = cb_rescinded,
    .status_update = cb_status,
    .framework_message = cb_framework_message,
    .slave_lost = cb_slave_lost,
    .executor_lost = cb_executor_lost,
    .error = cb_error,
};

/* ---- fixture and builders -------------------------------------------------------------- */

static void setup(void)
{
    act_clock_pause();
    tu_runtime_start(1);
    memset(&rec, 0, sizeof rec);
    pthread_mutex_init(&rec.mu, NULL);
    fm_start(&fm, "master");
    snprintf(master_addr, sizeof master_addr, "127.0.0.1:%u", (unsigned)act_port());
    drv = NULL;
}

static void teardown(void)
{
    sched_driver_free(drv);
    drv = NULL;
    act_shutdown();
    fm_free(&fm);
    fm_free(&other);
    wire_msg_free(rec.last_status);
    act_clock_resume();
}

static void settle(void) { ck_assert_int_eq(act_clock_settle(), 0); }

static void advance(double secs)
{
    act_clock_advance(secs);
    settle();
}

/* A FrameworkInfo named test-framework, with `id` when not NULL. */
static sched_driver *new_driver(const char *master, const char *id)
{
    wire_framework_id fid = {(char *)id};
    wire_framework_info fw;
    wire_init(WIRE_DESC(framework_info), &fw);
    fw.user = "";
    fw.name = "test-framework";
    if (id) fw.id = &fid;
    return sched_driver_new(&scheduler, &rec, &fw, master, NULL);
}

/* Starts drv against the fake master and lets its first registration attempt arrive. */
static void start_driver(void)
{
    drv = new_driver(master_addr, NULL);
    ck_assert_int_eq(sched_driver_start(drv), SCHED_DRIVER_RUNNING);
    settle();
}

static void reply_registered(fake_master *m, const char *id)
{
    wire_framework_registered_message r = {
        .framework_id = {(char *)id},
        .master_info = {.id = "master-1", .ip = 0x7f000001u, .port = act_port()},
    };
    fm_send(m, WIRE_DESC(framework_registered_message), &r);
    settle();
}

/* start_driver, and the master accepts it as framework FW_ID. */
static void register_driver(void)
{
    start_driver();
    ck_assert_uint_eq(fm_count(&fm, NAME(register_framework_message)), 1);
    reply_registered(&fm, FW_ID);
    ck_assert_int_eq(rec_int(&rec.registered), 1);
}

static void send_offers(fake_master *m, const char *const *ids, size_t n)
{
    wire_offer offers[8];
    char *pids[8];
    wire_resource cpus = {.name = "cpus", .type = WIRE_VALUE_SCALAR,
                          .scalar = &(wire_value_scalar){2.0}};
    for (size_t i = 0; i < n; i++) {
        wire_init(WIRE_DESC(offer), &offers[i]);
        offers[i].id.value = (char *)ids[i];
        offers[i].framework_id.value = FW_ID;
        offers[i].slave_id.value = "s-1";
        offers[i].hostname = "host1";
        offers[i].resources = &cpus;
        offers[i].resources_count = 1;
        pids[i] = SLAVE_PID;
    }
    wire_resource_offers_message msg = {offers, n, pids, n};
    fm_send(m, WIRE_DESC(resource_offers_message), &msg);
    settle();
}

static wire_task_info make_task(const char *task_id)
{
    static wire_command_info cmd = {.has_value = true, .value = "true"};
    wire_task_info t;
    wire_init(WIRE_DESC(task_info), &t);
    t.name = "task";
    t.task_id.value = (char *)task_id;
    t.slave_id.value = "s-1";
    t.command = &cmd;
    return t;
}

static const uint8_t UUID16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* A StatusUpdateMessage for `task` in `state`; uuid NULL: none; pid "" : from the master. */
static void send_task_update(const char *task, wire_task_state state, const uint8_t *uuid,
                             const char *pid)
{
    wire_slave_id slave = {"s-1"};
    wire_status_update_message m;
    wire_init(WIRE_DESC(status_update_message), &m);
    m.update.framework_id.value = FW_ID;
    m.update.slave_id = &slave;
    m.update.status.task_id.value = (char *)task;
    m.update.status.state = state;
    m.update.timestamp = 1.0;
    m.update.uuid = (wire_bytes){(uint8_t *)uuid, uuid ? 16 : 0};
    m.has_pid = true;
    m.pid = (char *)pid;
    fm_send(&fm, WIRE_DESC(status_update_message), &m);
    settle();
}

static void send_update(wire_task_state state, const uint8_t *uuid, const char *pid)
{
    send_task_update("t-1", state, uuid, pid);
}

/* ---- registration ---------------------------------------------------------------------- */

START_TEST(test_registers_and_reports_the_framework_id)
{
    start_driver();
    wire_register_framework_message *reg = fm_last(&fm, NAME(register_framework_message));
    ck_assert_ptr_nonnull(reg);
    ck_assert_str_eq(reg->framework.name, "test-framework");
    ck_assert_str_ne(reg->framework.user, ""); /* empty user became the current user */
    ck_assert_ptr_null(reg->framework.id);
    ck_assert(strncmp(fm.driver.id, "scheduler-", 10) == 0);
    ck_assert_int_eq(rec_int(&rec.registered), 0);
    reply_registered(&fm, FW_ID);
    ck_assert_int_eq(rec_int(&rec.registered), 1);
    ck_assert_str_eq(rec.framework_id, FW_ID);
}
END_TEST

static int registrations_to_drop;

static act_filter_verdict drop_registrations(void *ctx, const act_filter_msg *m)
{
    if (strcmp(m->name, NAME(register_framework_message)) != 0 || registrations_to_drop == 0)
        return ACT_FILTER_PASS;
    registrations_to_drop--;
    return ACT_FILTER_DROP;
}

START_TEST(test_registration_is_retried_with_backoff_when_dropped)
{
    registrations_to_drop = 1;
    act_filter_add(drop_registrations, NULL);
    start_driver();
    const char *reg = NAME(register_framework_message);
    ck_assert_uint_eq(fm_count(&fm, reg), 0);
    advance(1.9);
    ck_assert_uint_eq(fm_count(&fm, reg), 0);
    advance(0.2); /* 2 s after the first attempt */
    ck_assert_uint_eq(fm_count(&fm, reg), 1);
    advance(3.8); /* the next retry comes 4 s later */
    ck_assert_uint_eq(fm_count(&fm, reg), 1);
    advance(0.4);
    ck_assert_uint_eq(fm_count(&fm, reg), 2);
    reply_registered(&fm, FW_ID);
    ck_assert_int_eq(rec_int(&rec.registered), 1);
    advance(300); /* registered: no more attempts */
    ck_assert_uint_eq(fm_count(&fm, reg), 2);
}
END_TEST

START_TEST(test_duplicate_registered_messages_are_ignored)
{
    register_driver();
    reply_registered(&fm, FW_ID);
    ck_assert_int_eq(rec_int(&rec.registered), 1);
}
END_TEST

START_TEST(test_reregisters_after_the_master_goes_away)
{
    register_driver();
    ck_assert_int_eq(act_terminate(&fm.self), 0);
    settle();
    ck_assert_int_eq(rec_int(&rec.disconnected), 1);
    fm_start(&other, "master");
    advance(2.1);
    const char *rereg = NAME(reregister_framework_message);
    ck_assert_uint_ge(fm_count(&other, rereg), 1);
    wire_reregister_framework_message *m = fm_last(&other, rereg);
    ck_assert_ptr_nonnull(m->framework.id);
    ck_assert_str_eq(m->framework.id->value, FW_ID);
    ck_assert(!m->failover);
    wire_framework_reregistered_message r = {.framework_id = {FW_ID},
                                             .master_info = {.id = "master-2"}};
    fm_send(&other, WIRE_DESC(framework_reregistered_message), &r);
    settle();
    ck_assert_int_eq(rec_int(&rec.reregistered), 1);
    size_t attempts = fm_count(&other, rereg);
    advance(300);
    ck_assert_uint_eq(fm_count(&other, rereg), attempts);
    ck_assert_int_eq(rec_int(&rec.disconnected), 1);
}
END_TEST

START_TEST(test_framework_with_an_id_fails_over)
{
    drv = new_driver(master_addr, "fw-9");
    ck_assert_int_eq(sched_driver_start(drv), SCHED_DRIVER_RUNNING);
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(register_framework_message)), 0);
    wire_reregister_framework_message *m = fm_last(&fm, NAME(reregister_framework_message));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->framework.id->value, "fw-9");
    ck_assert(m->failover);
    reply_registered(&fm, "fw-9"); /* the master answers a failover like a registration */
    ck_assert_int_eq(rec_int(&rec.registered), 1);
    ck_assert_str_eq(rec.framework_id, "fw-9");
}
END_TEST

START_TEST(test_messages_from_another_actor_are_ignored)
{
    start_driver();
    fm_start(&other, "impostor");
    other.driver = fm.driver;
    reply_registered(&other, "fw-evil");
    ck_assert_int_eq(rec_int(&rec.registered), 0);
    reply_registered(&fm, FW_ID);
    ck_assert_int_eq(rec_int(&rec.registered), 1);
    send_offers(&other, (const char *[]){"o-evil"}, 1);
    ck_assert_int_eq(rec_int(&rec.offer_calls), 0);
}
END_TEST

START_TEST(test_master_messages_before_registration_are_dropped)
{
    start_driver();
    send_offers(&fm, (const char *[]){"o-1"}, 1);
    ck_assert_int_eq(rec_int(&rec.offer_calls), 0);
}
END_TEST

START_TEST(test_master_address_forms)
{
    char path[] = "/tmp/test_sched_master_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    dprintf(fd, "  %s\n", master_addr);
    close(fd);
    char forms[3][128];
    snprintf(forms[0], sizeof forms[0], "master@%s", master_addr);
    snprintf(forms[1], sizeof forms[1], "localhost:%u", (unsigned)act_port());
    snprintf(forms[2], sizeof forms[2], "file://%s", path);
    for (int i = 0; i < 3; i++) {
        sched_driver *d = new_driver(forms[i], NULL);
        ck_assert_int_eq(sched_driver_start(d), SCHED_DRIVER_RUNNING);
        settle();
        ck_assert_uint_eq(fm_count(&fm, NAME(register_framework_message)), (size_t)i + 1);
        sched_driver_free(d);
    }
    unlink(path);
}
END_TEST

START_TEST(test_invalid_zookeeper_address_aborts_with_an_error)
{
    drv = new_driver("zk://127.0.0.1/mesos", NULL); /* no port */
    ck_assert_int_eq(sched_driver_start(drv), SCHED_DRIVER_ABORTED);
    ck_assert_int_eq(rec_int(&rec.errors), 1);
    ck_assert_ptr_nonnull(strstr(rec.error, "ZooKeeper"));
    ck_assert_int_eq(sched_driver_join(drv), SCHED_DRIVER_ABORTED);
    ck_assert_int_eq(sched_driver_revive_offers(drv), SCHED_DRIVER_ABORTED);
}
END_TEST

/* ---- offers and launches --------------------------------------------------------------- */

START_TEST(test_offers_reach_resource_offers)
{
    register_driver();
    send_offers(&fm, (const char *[]){"o-1", "o-2"}, 2);
    ck_assert_int_eq(rec_int(&rec.offer_calls), 1);
    ck_assert_uint_eq(rec.offers, 2);
    ck_assert_str_eq(rec.offer_id, "o-2");
}
END_TEST

START_TEST(test_launch_sends_tasks_and_filters)
{
    register_driver();
    send_offers(&fm, (const char *[]){"o-1"}, 1);
    wire_task_info task = make_task("t-1");
    wire_filters filters = {.has_refuse_seconds = true, .refuse_seconds = 10};
    wire_offer_id offer = {"o-1"};
    ck_assert_int_eq(sched_driver_launch_tasks(drv, &offer, 1, &task, 1, &filters),
                     SCHED_DRIVER_RUNNING);
    settle();
    wire_launch_tasks_message *m = fm_last(&fm, NAME(launch_tasks_message));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->framework_id.value, FW_ID);
    ck_assert_uint_eq(m->offer_ids_count, 1);
    ck_assert_str_eq(m->offer_ids[0].value, "o-1");
    ck_assert_uint_eq(m->tasks_count, 1);
    ck_assert_str_eq(m->tasks[0].task_id.value, "t-1");
    ck_assert_str_eq(m->tasks[0].command->value, "true");
    ck_assert(m->filters.has_refuse_seconds);
    ck_assert_double_eq(m->filters.refuse_seconds, 10);
}
END_TEST

START_TEST(test_executor_info_gets_the_framework_id)
{
    register_driver();
    send_offers(&fm, (const char *[]){"o-1"}, 1);
    wire_executor_info exec;
    wire_init(WIRE_DESC(executor_info), &exec);
    exec.executor_id.value = "e-1";
    exec.command.value = "./executor";
    exec.command.has_value = true;
    wire_task_info task = make_task("t-1");
    task.command = NULL;
    task.executor = &exec;
    wire_offer_id offer = {"o-1"};
    sched_driver_accept_offers(drv, &offer, 1, &task, 1, NULL);
    settle();
    wire_launch_tasks_message *m = fm_last(&fm, NAME(launch_tasks_message));
    ck_assert_ptr_nonnull(m->tasks[0].executor->framework_id);
    ck_assert_str_eq(m->tasks[0].executor->framework_id->value, FW_ID);
}
END_TEST

START_TEST(test_decline_sends_a_launch_without_tasks)
{
    register_driver();
    send_offers(&fm, (const char *[]){"o-2"}, 1);
    wire_offer_id offer = {"o-2"};
    ck_assert_int_eq(sched_driver_decline_offer(drv, &offer, NULL), SCHED_DRIVER_RUNNING);
    settle();
    wire_launch_tasks_message *m = fm_last(&fm, NAME(launch_tasks_message));
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->tasks_count, 0);
    ck_assert_uint_eq(m->offer_ids_count, 1);
    ck_assert_str_eq(m->offer_ids[0].value, "o-2");
    ck_assert(!m->filters.has_refuse_seconds);
}
END_TEST

START_TEST(test_launch_on_an_unknown_offer_is_lost_locally)
{
    register_driver();
    send_offers(&fm, (const char *[]){"o-1"}, 1);
    wire_task_info task = make_task("t-1");
    wire_offer_id used = {"o-1"}, bogus = {"bogus"};
    sched_driver_launch_tasks(drv, &used, 1, &task, 1, NULL);
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(launch_tasks_message)), 1);

    sched_driver_launch_tasks(drv, &used, 1, &task, 1, NULL); /* o-1 was used */
    settle();
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    ck_assert_int_eq(rec.state, WIRE_TASK_LOST);
    ck_assert_str_eq(rec.message, "Offer o-1 is no longer valid");
    ck_assert_int_eq(rec.reason, WIRE_REASON_INVALID_OFFERS);

    sched_driver_launch_tasks(drv, &bogus, 1, &task, 1, NULL);
    settle();
    ck_assert_int_eq(rec_int(&rec.updates), 2);
    ck_assert_str_eq(rec.message, "Offer bogus is no longer valid");
    ck_assert_uint_eq(fm_count(&fm, NAME(launch_tasks_message)), 1);
    ck_assert_uint_eq(fm_count(&fm, NAME(status_update_acknowledgement_message)), 0);
}
END_TEST

START_TEST(test_launch_on_a_rescinded_offer_is_lost_locally)
{
    register_driver();
    send_offers(&fm, (const char *[]){"o-1"}, 1);
    wire_rescind_resource_offer_message r = {{"o-1"}};
    fm_send(&fm, WIRE_DESC(rescind_resource_offer_message), &r);
    settle();
    ck_assert_int_eq(rec_int(&rec.rescinded), 1);
    ck_assert_str_eq(rec.rescinded_id, "o-1");
    wire_task_info task = make_task("t-1");
    wire_offer_id offer = {"o-1"};
    sched_driver_launch_tasks(drv, &offer, 1, &task, 1, NULL);
    settle();
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    ck_assert_int_eq(rec.state, WIRE_TASK_LOST);
    ck_assert_uint_eq(fm_count(&fm, NAME(launch_tasks_message)), 0);
}
END_TEST

/* Sends offers o-<first> .. o-<first+n-1>, eight to a message. */
static void send_numbered_offers(int first, int n)
{
    char names[8][16];
    const char *ids[8];
    for (int i = 0; i < n; i += 8) {
        int k = n - i < 8 ? n - i : 8;
        for (int j = 0; j < k; j++) {
            snprintf(names[j], sizeof names[j], "o-%d", first + i + j);
            ids[j] = names[j];
        }
        send_offers(&fm, ids, (size_t)k);
    }
}

/* A framework that holds offers while it waits holds many: each is used once, in any order,
 * and a used one is refused locally even after the table grew past it. */
START_TEST(test_many_held_offers_are_each_used_once)
{
    enum { HELD = 200 };
    register_driver();
    send_numbered_offers(0, HELD);
    ck_assert_uint_eq(rec.offers, HELD);
    wire_task_info task = make_task("t-1");
    char id[16];
    for (int i = 0; i < HELD; i++) { /* 7 is prime to 200: every offer once, out of order */
        snprintf(id, sizeof id, "o-%d", i * 7 % HELD);
        sched_driver_launch_tasks(drv, &(wire_offer_id){id}, 1, &task, 1, NULL);
    }
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(launch_tasks_message)), HELD);
    ck_assert_int_eq(rec_int(&rec.updates), 0);
    send_numbered_offers(HELD, HELD);
    sched_driver_launch_tasks(drv, &(wire_offer_id){"o-13"}, 1, &task, 1, NULL);
    settle();
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    ck_assert_str_eq(rec.message, "Offer o-13 is no longer valid");
    for (int i = HELD; i < 2 * HELD; i++) {
        snprintf(id, sizeof id, "o-%d", i);
        sched_driver_decline_offer(drv, &(wire_offer_id){id}, NULL);
    }
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(launch_tasks_message)), 2 * HELD);
    ck_assert_int_eq(rec_int(&rec.updates), 1);
}
END_TEST

START_TEST(test_launch_while_disconnected_is_lost_locally)
{
    start_driver(); /* never registered */
    wire_task_info task = make_task("t-1");
    wire_offer_id offer = {"o-1"};
    sched_driver_launch_tasks(drv, &offer, 1, &task, 1, NULL);
    settle();
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    ck_assert_int_eq(rec.state, WIRE_TASK_LOST);
    ck_assert_str_eq(rec.message, "Master Disconnected");
    ck_assert_int_eq(rec.reason, WIRE_REASON_MASTER_DISCONNECTED);
    ck_assert_uint_eq(fm_count(&fm, NAME(launch_tasks_message)), 0);
}
END_TEST

/* ---- status updates -------------------------------------------------------------------- */

START_TEST(test_status_update_is_acknowledged_implicitly)
{
    register_driver();
    send_update(WIRE_TASK_RUNNING, UUID16, SLAVE_PID);
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    ck_assert_str_eq(rec.task_id, "t-1");
    ck_assert_int_eq(rec.state, WIRE_TASK_RUNNING);
    const char *ack = NAME(status_update_acknowledgement_message);
    ck_assert_uint_eq(fm_count(&fm, ack), 1);
    wire_status_update_acknowledgement_message *a = fm_last(&fm, ack);
    ck_assert_str_eq(a->framework_id.value, FW_ID);
    ck_assert_str_eq(a->slave_id.value, "s-1");
    ck_assert_str_eq(a->task_id.value, "t-1");
    ck_assert_uint_eq(a->uuid.len, 16);
    ck_assert_mem_eq(a->uuid.data, UUID16, 16);
}
END_TEST

/* A slave that restarts before it records an acknowledgement resends the update: the driver
 * acknowledges it again and does not deliver it twice. */
START_TEST(test_a_resent_update_is_acknowledged_and_not_delivered_again)
{
    register_driver();
    send_update(WIRE_TASK_RUNNING, UUID16, SLAVE_PID);
    send_update(WIRE_TASK_RUNNING, UUID16, SLAVE_PID);
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    ck_assert_uint_eq(fm_count(&fm, NAME(status_update_acknowledgement_message)), 2);
}
END_TEST

/* The driver remembers live tasks and the latest sched__ended_kept ended ones, not every task
 * it ever saw: a resent terminal update of a task that ended long ago is delivered again. */
START_TEST(test_ended_tasks_are_remembered_up_to_a_bound)
{
    size_t kept = sched__ended_kept;
    sched__ended_kept = 2;
    register_driver();
    uint8_t uuid[3][16];
    const char *tasks[3] = {"t-1", "t-2", "t-3"};
    send_task_update("live", WIRE_TASK_RUNNING, UUID16, SLAVE_PID);
    for (int i = 0; i < 3; i++) {
        memset(uuid[i], i + 1, 16);
        send_task_update(tasks[i], WIRE_TASK_FINISHED, uuid[i], SLAVE_PID);
    }
    ck_assert_int_eq(rec_int(&rec.updates), 4);
    send_task_update("t-3", WIRE_TASK_FINISHED, uuid[2], SLAVE_PID); /* among the latest 2 */
    send_task_update("t-2", WIRE_TASK_FINISHED, uuid[1], SLAVE_PID);
    send_task_update("live", WIRE_TASK_RUNNING, UUID16, SLAVE_PID);  /* live: remembered */
    ck_assert_int_eq(rec_int(&rec.updates), 4);
    send_task_update("t-1", WIRE_TASK_FINISHED, uuid[0], SLAVE_PID); /* forgotten */
    ck_assert_int_eq(rec_int(&rec.updates), 5);
    ck_assert_str_eq(rec.task_id, "t-1");
    sched__ended_kept = kept;
}
END_TEST

START_TEST(test_updates_from_the_master_need_no_acknowledgement)
{
    register_driver();
    send_update(WIRE_TASK_LOST, UUID16, ""); /* generated by the master: no pid */
    send_update(WIRE_TASK_RUNNING, NULL, SLAVE_PID); /* a reconciliation answer: no uuid */
    ck_assert_int_eq(rec_int(&rec.updates), 2);
    ck_assert_uint_eq(fm_count(&fm, NAME(status_update_acknowledgement_message)), 0);
}
END_TEST

START_TEST(test_no_acknowledgement_when_the_scheduler_aborts_in_the_callback)
{
    register_driver();
    rec.abort_on_update = true;
    send_update(WIRE_TASK_RUNNING, UUID16, SLAVE_PID);
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    ck_assert_uint_eq(fm_count(&fm, NAME(status_update_acknowledgement_message)), 0);
    ck_assert_uint_eq(fm_count(&fm, NAME(deactivate_framework_message)), 1);
}
END_TEST

/* Mesos skips the acknowledgement only for an aborted driver: a scheduler that stops inside
 * status_update (mesos-execute, the example framework) still acknowledges that last update,
 * before its UnregisterFrameworkMessage, so the slave does not resend it forever. */
START_TEST(test_stop_in_the_callback_still_acknowledges_before_unregistering)
{
    register_driver();
    rec.stop_on_update = true;
    send_update(WIRE_TASK_FINISHED, UUID16, SLAVE_PID);
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    const char *ack = NAME(status_update_acknowledgement_message);
    const char *unregister = NAME(unregister_framework_message);
    ck_assert_uint_eq(fm_count(&fm, ack), 1);
    ck_assert_uint_eq(fm_count(&fm, unregister), 1);
    ck_assert_int_lt(fm_index(&fm, ack), fm_index(&fm, unregister));
    wire_status_update_acknowledgement_message *a = fm_last(&fm, ack);
    ck_assert_str_eq(a->task_id.value, "t-1");
    ck_assert_mem_eq(a->uuid.data, UUID16, 16);
    ck_assert_int_eq(sched_driver_join(drv), SCHED_DRIVER_STOPPED);
}
END_TEST

START_TEST(test_explicit_mode_acknowledges_only_when_asked)
{
    drv = new_driver(master_addr, NULL);
    ck_assert_int_eq(sched_driver_set_implicit_acknowledgements(drv, false),
                     SCHED_DRIVER_NOT_STARTED);
    ck_assert_int_eq(sched_driver_start(drv), SCHED_DRIVER_RUNNING);
    settle();
    reply_registered(&fm, FW_ID);
    send_update(WIRE_TASK_RUNNING, UUID16, SLAVE_PID);
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    const char *ack = NAME(status_update_acknowledgement_message);
    ck_assert_uint_eq(fm_count(&fm, ack), 0);
    advance(60);
    ck_assert_uint_eq(fm_count(&fm, ack), 0);

    ck_assert_int_eq(sched_driver_acknowledge_status_update(drv, rec.last_status->root),
                     SCHED_DRIVER_RUNNING);
    settle();
    ck_assert_uint_eq(fm_count(&fm, ack), 1);
    wire_status_update_acknowledgement_message *a = fm_last(&fm, ack);
    ck_assert_mem_eq(a->uuid.data, UUID16, 16);
    ck_assert_str_eq(a->slave_id.value, "s-1");

    sched_driver_acknowledge_status_update(drv, rec.last_status->root); /* nothing left */
    settle();
    ck_assert_uint_eq(fm_count(&fm, ack), 1);
}
END_TEST

/* ---- the other callbacks --------------------------------------------------------------- */

START_TEST(test_lost_slave_executor_lost_and_framework_message_reach_callbacks)
{
    register_driver();
    wire_lost_slave_message lost = {{"s-7"}};
    fm_send(&fm, WIRE_DESC(lost_slave_message), &lost);
    settle();
    ck_assert_int_eq(rec_int(&rec.slaves_lost), 1);
    ck_assert_str_eq(rec.slave_id, "s-7");

    wire_exited_executor_message exited = {{"s-1"}, {FW_ID}, {"e-1"}, 256};
    fm_send(&fm, WIRE_DESC(exited_executor_message), &exited);
    settle();
    ck_assert_int_eq(rec_int(&rec.executors_lost), 1);
    ck_assert_str_eq(rec.executor_id, "e-1");
    ck_assert_str_eq(rec.slave_id, "s-1");
    ck_assert_int_eq(rec.executor_status, 256);

    wire_executor_to_framework_message msg = {{"s-2"}, {FW_ID}, {"e-2"},
                                              {(uint8_t *)"hello", 5}};
    fm_send(&fm, WIRE_DESC(executor_to_framework_message), &msg);
    settle();
    ck_assert_int_eq(rec_int(&rec.messages), 1);
    ck_assert_str_eq(rec.executor_id, "e-2");
    ck_assert_str_eq(rec.slave_id, "s-2");
    ck_assert_str_eq(rec.data, "hello");
}
END_TEST

START_TEST(test_calls_reach_the_master_with_the_framework_id)
{
    register_driver();
    wire_task_id task = {"t-3"};
    wire_executor_id exec = {"e-3"};
    wire_slave_id slave = {"s-3"};
    wire_task_status status;
    wire_init(WIRE_DESC(task_status), &status);
    status.task_id = task;
    status.state = WIRE_TASK_RUNNING;
    wire_request request;
    wire_init(WIRE_DESC(request), &request);
    request.slave_id = &slave;
    ck_assert_int_eq(sched_driver_kill_task(drv, &task), SCHED_DRIVER_RUNNING);
    ck_assert_int_eq(sched_driver_revive_offers(drv), SCHED_DRIVER_RUNNING);
    ck_assert_int_eq(sched_driver_suppress_offers(drv), SCHED_DRIVER_RUNNING);
    ck_assert_int_eq(sched_driver_reconcile_tasks(drv, &status, 1), SCHED_DRIVER_RUNNING);
    ck_assert_int_eq(sched_driver_request_resources(drv, &request, 1), SCHED_DRIVER_RUNNING);
    ck_assert_int_eq(sched_driver_send_framework_message(drv, &exec, &slave, "ping", 4),
                     SCHED_DRIVER_RUNNING);
    settle();
    wire_kill_task_message *kill = fm_last(&fm, NAME(kill_task_message));
    ck_assert_str_eq(kill->framework_id.value, FW_ID);
    ck_assert_str_eq(kill->task_id.value, "t-3");
    wire_revive_offers_message *revive = fm_last(&fm, NAME(revive_offers_message));
    ck_assert_str_eq(revive->framework_id.value, FW_ID);
    wire_suppress_offers_message *suppress = fm_last(&fm, NAME(suppress_offers_message));
    ck_assert_str_eq(suppress->framework_id.value, FW_ID);
    wire_reconcile_tasks_message *rc = fm_last(&fm, NAME(reconcile_tasks_message));
    ck_assert_str_eq(rc->framework_id.value, FW_ID);
    ck_assert_uint_eq(rc->statuses_count, 1);
    ck_assert_str_eq(rc->statuses[0].task_id.value, "t-3");
    wire_resource_request_message *rr = fm_last(&fm, NAME(resource_request_message));
    ck_assert_str_eq(rr->framework_id.value, FW_ID);
    ck_assert_str_eq(rr->requests[0].slave_id->value, "s-3");
    wire_framework_to_executor_message *fx = fm_last(&fm, NAME(framework_to_executor_message));
    ck_assert_str_eq(fx->framework_id.value, FW_ID);
    ck_assert_str_eq(fx->executor_id.value, "e-3");
    ck_assert_str_eq(fx->slave_id.value, "s-3");
    ck_assert_uint_eq(fx->data.len, 4);
    ck_assert_mem_eq(fx->data.data, "ping", 4);
}
END_TEST

START_TEST(test_calls_while_disconnected_are_dropped)
{
    start_driver();
    wire_task_id task = {"t-3"};
    ck_assert_int_eq(sched_driver_kill_task(drv, &task), SCHED_DRIVER_RUNNING);
    ck_assert_int_eq(sched_driver_revive_offers(drv), SCHED_DRIVER_RUNNING);
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(kill_task_message)), 0);
    ck_assert_uint_eq(fm_count(&fm, NAME(revive_offers_message)), 0);
}
END_TEST

/* ---- errors, stop, abort --------------------------------------------------------------- */

START_TEST(test_framework_error_aborts_the_driver)
{
    register_driver();
    wire_framework_error_message e = {"Framework failed over"};
    fm_send(&fm, WIRE_DESC(framework_error_message), &e);
    settle();
    ck_assert_int_eq(rec_int(&rec.errors), 1);
    ck_assert_str_eq(rec.error, "Framework failed over");
    ck_assert_int_eq(sched_driver_join(drv), SCHED_DRIVER_ABORTED);
    /* Mesos' abort tells a connected master to deactivate the framework. */
    ck_assert_uint_eq(fm_count(&fm, NAME(deactivate_framework_message)), 1);
    wire_task_id task = {"t-1"};
    ck_assert_int_eq(sched_driver_kill_task(drv, &task), SCHED_DRIVER_ABORTED);
    send_offers(&fm, (const char *[]){"o-1"}, 1);
    ck_assert_int_eq(rec_int(&rec.offer_calls), 0);
    ck_assert_uint_eq(fm_count(&fm, NAME(kill_task_message)), 0);
}
END_TEST

START_TEST(test_stop_unregisters_and_join_returns_stopped)
{
    register_driver();
    ck_assert_int_eq(sched_driver_stop(drv, false), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_join(drv), SCHED_DRIVER_STOPPED);
    settle();
    wire_unregister_framework_message *m = fm_last(&fm, NAME(unregister_framework_message));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->framework_id.value, FW_ID);
    ck_assert_uint_eq(fm_count(&fm, NAME(deactivate_framework_message)), 0);
}
END_TEST

START_TEST(test_stop_with_failover_sends_nothing_and_leaves)
{
    fm.link_driver = true;
    register_driver();
    ck_assert_int_eq(sched_driver_stop(drv, true), SCHED_DRIVER_STOPPED);
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(unregister_framework_message)), 0);
    ck_assert_uint_eq(fm_count(&fm, NAME(deactivate_framework_message)), 0);
    ck_assert_uint_eq(tu_counter_get(&fm.exited), 1); /* the master sees the scheduler go */
}
END_TEST

START_TEST(test_methods_on_a_stopped_driver_return_its_status)
{
    register_driver();
    sched_driver_stop(drv, false);
    settle();
    wire_task_id task = {"t-1"};
    wire_offer_id offer = {"o-1"};
    ck_assert_int_eq(sched_driver_start(drv), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_stop(drv, false), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_abort(drv), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_kill_task(drv, &task), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_decline_offer(drv, &offer, NULL), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_revive_offers(drv), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_join(drv), SCHED_DRIVER_STOPPED);
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(unregister_framework_message)), 1);
    ck_assert_uint_eq(fm_count(&fm, NAME(kill_task_message)), 0);
    ck_assert_uint_eq(fm_count(&fm, NAME(launch_tasks_message)), 0);
}
END_TEST

START_TEST(test_methods_before_start_return_not_started)
{
    drv = new_driver(master_addr, NULL);
    wire_task_id task = {"t-1"};
    ck_assert_int_eq(sched_driver_kill_task(drv, &task), SCHED_DRIVER_NOT_STARTED);
    ck_assert_int_eq(sched_driver_join(drv), SCHED_DRIVER_NOT_STARTED);
    ck_assert_int_eq(sched_driver_stop(drv, false), SCHED_DRIVER_NOT_STARTED);
    ck_assert_int_eq(sched_driver_abort(drv), SCHED_DRIVER_NOT_STARTED);
}
END_TEST

START_TEST(test_abort_then_stop)
{
    register_driver();
    ck_assert_int_eq(sched_driver_abort(drv), SCHED_DRIVER_ABORTED);
    ck_assert_int_eq(sched_driver_join(drv), SCHED_DRIVER_ABORTED);
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(deactivate_framework_message)), 1);
    send_offers(&fm, (const char *[]){"o-1"}, 1);
    ck_assert_int_eq(rec_int(&rec.offer_calls), 0);
    ck_assert_int_eq(sched_driver_stop(drv, false), SCHED_DRIVER_ABORTED); /* as Mesos */
    ck_assert_int_eq(sched_driver_join(drv), SCHED_DRIVER_STOPPED);
    settle();
    /* The driver was connected, so stop(false) still unregisters. */
    ck_assert_uint_eq(fm_count(&fm, NAME(unregister_framework_message)), 1);
}
END_TEST

/* ---- robustness and threads ------------------------------------------------------------ */

START_TEST(test_malformed_message_is_dropped_and_the_driver_keeps_working)
{
    register_driver();
    static const uint8_t junk[] = {0xc1, 0xff, 0x00, 0x13, 0x37};
    fm_send_raw(&fm, NAME(resource_offers_message), junk, sizeof junk);
    fm_send_raw(&fm, NAME(status_update_message), junk, sizeof junk);
    fm_send_raw(&fm, NAME(framework_error_message), "", 0);
    settle();
    ck_assert_int_eq(rec_int(&rec.offer_calls), 0);
    ck_assert_int_eq(rec_int(&rec.updates), 0);
    ck_assert_int_eq(rec_int(&rec.errors), 0);
    send_offers(&fm, (const char *[]){"o-1"}, 1);
    ck_assert_int_eq(rec_int(&rec.offer_calls), 1);
    send_update(WIRE_TASK_RUNNING, UUID16, SLAVE_PID);
    ck_assert_int_eq(rec_int(&rec.updates), 1);
    ck_assert_uint_eq(fm_count(&fm, NAME(status_update_acknowledgement_message)), 1);
}
END_TEST

#define CALLS 200

static void *kill_many(void *arg)
{
    char id[32];
    for (int i = 0; i < CALLS; i++) {
        snprintf(id, sizeof id, "t-%d", i);
        wire_task_id task = {id};
        if (sched_driver_kill_task(drv, &task) != SCHED_DRIVER_RUNNING) return "not running";
    }
    return NULL;
}

START_TEST(test_calls_from_another_thread_while_callbacks_run)
{
    register_driver();
    rec.decline_offers = true; /* each resource_offers callback calls back into the driver */
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, kill_many, NULL), 0);
    char ids[CALLS][16];
    for (int i = 0; i < CALLS; i++) {
        snprintf(ids[i], sizeof ids[i], "o-%d", i);
        const char *one[] = {ids[i]};
        send_offers(&fm, one, 1);
    }
    void *err;
    pthread_join(t, &err);
    ck_assert_ptr_null(err);
    settle();
    ck_assert_int_eq(rec_int(&rec.offer_calls), CALLS);
    ck_assert_uint_eq(fm_count(&fm, NAME(kill_task_message)), CALLS);
    ck_assert_uint_eq(fm_count(&fm, NAME(launch_tasks_message)), CALLS);
}
END_TEST

static void *run_driver(void *arg)
{
    return (void *)(intptr_t)sched_driver_run(drv);
}

START_TEST(test_run_returns_when_a_callback_stops_the_driver)
{
    rec.stop_on_registered = true;
    drv = new_driver(master_addr, NULL);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, run_driver, NULL), 0);
    ck_assert(tu_counter_wait(&fm.count, 1, 10));
    settle();
    reply_registered(&fm, FW_ID);
    void *result;
    pthread_join(t, &result);
    ck_assert_int_eq((int)(intptr_t)result, SCHED_DRIVER_STOPPED);
    settle();
    ck_assert_uint_eq(fm_count(&fm, NAME(unregister_framework_message)), 1);
}
END_TEST

/* ---- a driver that brings its own runtime -------------------------------------------- */

START_TEST(test_start_creates_a_runtime_and_free_shuts_it_down)
{
    ck_assert(!act_initialized());
    memset(&rec, 0, sizeof rec);
    pthread_mutex_init(&rec.mu, NULL);
    sched_driver *d = new_driver("127.0.0.1:1", NULL); /* nobody there: retries, no harm */
    ck_assert_int_eq(sched_driver_start(d), SCHED_DRIVER_RUNNING);
    ck_assert(act_initialized());
    ck_assert_int_eq(sched_driver_stop(d, false), SCHED_DRIVER_STOPPED);
    ck_assert_int_eq(sched_driver_join(d), SCHED_DRIVER_STOPPED);
    sched_driver_free(d);
    ck_assert(!act_initialized());
    ck_assert_int_eq(rec.registered + rec.errors, 0);
}
END_TEST

/* ---- suite ----------------------------------------------------------------------------- */

static TCase *tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    return tc;
}

Suite *sched_suite(void)
{
    Suite *s = suite_create("sched");
    TCase *tc = tcase("registration");
    tcase_add_test(tc, test_registers_and_reports_the_framework_id);
    tcase_add_test(tc, test_registration_is_retried_with_backoff_when_dropped);
    tcase_add_test(tc, test_duplicate_registered_messages_are_ignored);
    tcase_add_test(tc, test_reregisters_after_the_master_goes_away);
    tcase_add_test(tc, test_framework_with_an_id_fails_over);
    tcase_add_test(tc, test_messages_from_another_actor_are_ignored);
    tcase_add_test(tc, test_master_messages_before_registration_are_dropped);
    tcase_add_test(tc, test_master_address_forms);
    tcase_add_test(tc, test_invalid_zookeeper_address_aborts_with_an_error);
    suite_add_tcase(s, tc);

    tc = tcase("offers");
    tcase_add_test(tc, test_offers_reach_resource_offers);
    tcase_add_test(tc, test_launch_sends_tasks_and_filters);
    tcase_add_test(tc, test_executor_info_gets_the_framework_id);
    tcase_add_test(tc, test_decline_sends_a_launch_without_tasks);
    tcase_add_test(tc, test_launch_on_an_unknown_offer_is_lost_locally);
    tcase_add_test(tc, test_launch_on_a_rescinded_offer_is_lost_locally);
    tcase_add_test(tc, test_many_held_offers_are_each_used_once);
    tcase_add_test(tc, test_launch_while_disconnected_is_lost_locally);
    suite_add_tcase(s, tc);

    tc = tcase("updates");
    tcase_add_test(tc, test_status_update_is_acknowledged_implicitly);
    tcase_add_test(tc, test_a_resent_update_is_acknowledged_and_not_delivered_again);
    tcase_add_test(tc, test_ended_tasks_are_remembered_up_to_a_bound);
    tcase_add_test(tc, test_updates_from_the_master_need_no_acknowledgement);
    tcase_add_test(tc, test_no_acknowledgement_when_the_scheduler_aborts_in_the_callback);
    tcase_add_test(tc, test_stop_in_the_callback_still_acknowledges_before_unregistering);
    tcase_add_test(tc, test_explicit_mode_acknowledges_only_when_asked);
    tcase_add_test(tc, test_lost_slave_executor_lost_and_framework_message_reach_callbacks);
    tcase_add_test(tc, test_calls_reach_the_master_with_the_framework_id);
    tcase_add_test(tc, test_calls_while_disconnected_are_dropped);
    suite_add_tcase(s, tc);

    tc = tcase("lifecycle");
    tcase_add_test(tc, test_framework_error_aborts_the_driver);
    tcase_add_test(tc, test_stop_unregisters_and_join_returns_stopped);
    tcase_add_test(tc, test_stop_with_failover_sends_nothing_and_leaves);
    tcase_add_test(tc, test_methods_on_a_stopped_driver_return_its_status);
    tcase_add_test(tc, test_methods_before_start_return_not_started);
    tcase_add_test(tc, test_abort_then_stop);
    tcase_add_test(tc, test_malformed_message_is_dropped_and_the_driver_keeps_working);
    tcase_add_test(tc, test_calls_from_another_thread_while_callbacks_run);
    tcase_add_test(tc, test_run_returns_when_a_callback_stops_the_driver);
    suite_add_tcase(s, tc);

    tc = tcase_create("own-runtime"); /* no fixture: the driver makes the runtime */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_start_creates_a_runtime_and_free_shuts_it_down);
    suite_add_tcase(s, tc);
    return s;
}
