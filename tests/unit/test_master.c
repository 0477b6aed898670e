/*
 * test_master.c - the master and its allocator in one process with a paused clock, driven
 * at the message level by fake slaves and fake schedulers (tests/support/fake.h): slave and
 * framework registration, offers, launches valid and invalid, status updates and their
 * acknowledgements, kills, reconciliation, declines and filters, reservations, offer
 * timeouts, slave health, framework failover, and hostile input.
 */
#include "master/master_int.h"
#include "tests/support/fake.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <jansson.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static act_pid master_pid;

static const char *const slave_names[] = {
    MI(SlaveRegisteredMessage), MI(SlaveReregisteredMessage), MI(RunTaskMessage),
    MI(KillTaskMessage), MI(PingSlaveMessage), MI(StatusUpdateAcknowledgementMessage),
    MI(ShutdownFrameworkMessage), MI(ShutdownMessage), MI(FrameworkToExecutorMessage), NULL};

static const char *const sched_names[] = {
    MI(FrameworkRegisteredMessage), MI(FrameworkReregisteredMessage),
    MI(ResourceOffersMessage), MI(RescindResourceOfferMessage), MI(StatusUpdateMessage),
    MI(LostSlaveMessage), MI(FrameworkErrorMessage), MI(ExitedExecutorMessage),
    MI(ExecutorToFrameworkMessage), NULL};

static void settle(void)
{
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void start(master_config *cfg)
{
    act_clock_pause();
    tu_runtime_start(2);
    master_config def;
    if (!cfg) {
        master_config_default(&def);
        cfg = &def;
    }
    cfg->allocator_loop = 1;
    ck_assert_int_eq(master_spawn(cfg, &master_pid), 0);
    settle();
}

static void stop(void)
{
    act_shutdown();
    act_clock_resume();
}

/* ---- fake slaves ------------------------------------------------------------------------- */

static fake *slave_up(const char *name, const char *hostname, const char *resources,
                      bool checkpoint)
{
    fake *s = fake_spawn(name, 0, slave_names);
    fake_autoreply(s, MI(PingSlaveMessage), MI(PongSlaveMessage));
    wire_msg *m = wire_new(WIRE_DESC(register_slave_message));
    wire_register_slave_message *r = m->root;
    r->slave.hostname = wire_strdup(m, hostname);
    r->slave.has_checkpoint = true;
    r->slave.checkpoint = checkpoint;
    res_set set = {0};
    char err[256];
    ck_assert_int_eq(res_parse_text(resources, "*", &set, err, sizeof err), 0);
    res_to_wire(&set, m, &r->slave.resources, &r->slave.resources_count);
    res_free(&set);
    fake_send(s, &master_pid, WIRE_DESC(register_slave_message), r);
    wire_msg_free(m);
    settle();
    ck_assert_uint_eq(fake_count(s, MI(SlaveRegisteredMessage)), 1);
    return s;
}

static char *slave_id_of(fake *s)
{
    static char id[WIRE_ID_MAX];
    wire_msg *m = fake_last(s, MI(SlaveRegisteredMessage), WIRE_DESC(slave_registered_message));
    ck_assert_ptr_nonnull(m);
    snprintf(id, sizeof id, "%s", ((wire_slave_registered_message *)m->root)->slave_id.value);
    wire_msg_free(m);
    return id;
}

/* ---- fake schedulers --------------------------------------------------------------------- */

typedef struct fw {
    fake *f;
    char id[WIRE_ID_MAX];
} fw;

static fw framework_up(const char *name, const char *role, double failover_timeout)
{
    fw out = {fake_spawn(name, 0, sched_names), ""};
    wire_register_framework_message r = {0};
    r.framework.user = "tester";
    r.framework.name = (char *)name;
    r.framework.has_role = role != NULL;
    r.framework.role = (char *)(role ? role : "*");
    r.framework.has_failover_timeout = true;
    r.framework.failover_timeout = failover_timeout;
    fake_send(out.f, &master_pid, WIRE_DESC(register_framework_message), &r);
    settle();
    wire_msg *m = fake_last(out.f, MI(FrameworkRegisteredMessage),
                            WIRE_DESC(framework_registered_message));
    ck_assert_ptr_nonnull(m);
    snprintf(out.id, sizeof out.id, "%s",
             ((wire_framework_registered_message *)m->root)->framework_id.value);
    wire_msg_free(m);
    return out;
}

/* The offers of the n-th ResourceOffersMessage (free with wire_msg_free). */
static wire_msg *offers(fw *f, size_t nth)
{
    return fake_nth(f->f, MI(ResourceOffersMessage), WIRE_DESC(resource_offers_message), nth);
}

static wire_resource_offers_message *ro(wire_msg *m)
{
    return m->root;
}

static double offered(const wire_offer *o, const char *name)
{
    res_set s = {0};
    ck_assert_int_eq(res_from_wire(o->resources, o->resources_count, &s, NULL, 0), 0);
    double v = res_scalar(&s, name);
    res_free(&s);
    return v;
}

/* Launches tasks on offer `offer_id`; each task is "id resources" with a command. */
static void launch(fw *f, const char *offer_id, const char *slave_id, const char **tasks,
                   size_t n, double refuse)
{
    wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
    wire_launch_tasks_message *l = m->root;
    l->framework_id.value = f->id;
    l->offer_ids = wire_alloc_array(m, WIRE_DESC(offer_id), 1);
    l->offer_ids_count = 1;
    l->offer_ids[0].value = wire_strdup(m, offer_id);
    l->filters.has_refuse_seconds = true;
    l->filters.refuse_seconds = refuse;
    l->tasks = wire_alloc_array(m, WIRE_DESC(task_info), n);
    l->tasks_count = n;
    for (size_t i = 0; i < n; i++) {
        char id[64], res[256];
        ck_assert_int_eq(sscanf(tasks[i], "%63s %255s", id, res), 2);
        wire_task_info *t = &l->tasks[i];
        t->name = wire_strdup(m, id);
        t->task_id.value = wire_strdup(m, id);
        t->slave_id.value = wire_strdup(m, slave_id);
        res_set s = {0};
        ck_assert_int_eq(res_parse_text(res, "*", &s, NULL, 0), 0);
        res_to_wire(&s, m, &t->resources, &t->resources_count);
        res_free(&s);
        t->command = wire_alloc(m, sizeof *t->command);
        t->command->has_value = true;
        t->command->value = wire_strdup(m, "sleep 1000");
    }
    fake_send(f->f, &master_pid, WIRE_DESC(launch_tasks_message), l);
    wire_msg_free(m);
    settle();
}

static void decline(fw *f, const char *offer_id, const char *slave_id, double refuse)
{
    launch(f, offer_id, slave_id, NULL, 0, refuse);
}

/* The state of the last status update the scheduler got for task_id, or -1. */
static int last_state(fw *f, const char *task_id, char *message, size_t n)
{
    size_t count = fake_count(f->f, MI(StatusUpdateMessage));
    for (size_t i = count; i-- > 0;) {
        wire_msg *m = fake_nth(f->f, MI(StatusUpdateMessage), WIRE_DESC(status_update_message), i);
        wire_status_update_message *u = m->root;
        int state = -1;
        if (strcmp(u->update.status.task_id.value, task_id) == 0) {
            state = (int)u->update.status.state;
            if (message) snprintf(message, n, "%s", u->update.status.message);
        }
        wire_msg_free(m);
        if (state >= 0) return state;
    }
    return -1;
}

/* The slave reports a status for a task; returns the uuid it used. */
/* A status update from fake slave s, sent without waiting for the master to handle it. */
static wire_uuid send_update(fake *s, const char *framework_id, const char *slave_id,
                             const char *task_id, wire_task_state state)
{
    wire_uuid uuid;
    wire_uuid_random(&uuid);
    wire_slave_id sid = {(char *)slave_id};
    wire_status_update_message u = {0};
    u.update.framework_id.value = (char *)framework_id;
    u.update.slave_id = &sid;
    u.update.status.task_id.value = (char *)task_id;
    u.update.status.state = state;
    u.update.timestamp = act_now();
    u.update.uuid.data = uuid.bytes;
    u.update.uuid.len = sizeof uuid.bytes;
    char pid[ACT_PID_STRLEN];
    act_pid me = fake_pid(s);
    u.has_pid = true;
    u.pid = act_pid_format(&me, pid, sizeof pid);
    fake_send(s, &master_pid, WIRE_DESC(status_update_message), &u);
    return uuid;
}

static wire_uuid slave_update(fake *s, const char *framework_id, const char *slave_id,
                              const char *task_id, wire_task_state state)
{
    wire_uuid uuid = send_update(s, framework_id, slave_id, task_id, state);
    settle();
    return uuid;
}

/* An acknowledgement from the scheduler, sent without waiting for the master to handle it. */
static void send_ack(fw *f, const char *slave_id, const char *task_id, const wire_uuid *uuid)
{
    wire_status_update_acknowledgement_message a = {
        .slave_id = {(char *)slave_id}, .framework_id = {f->id}, .task_id = {(char *)task_id},
        .uuid = {(uint8_t *)uuid->bytes, sizeof uuid->bytes}};
    fake_send(f->f, &master_pid, WIRE_DESC(status_update_acknowledgement_message), &a);
}

static void ack(fw *f, const char *slave_id, const char *task_id, const wire_uuid *uuid)
{
    send_ack(f, slave_id, task_id, uuid);
    settle();
}

static double gauge(const char *name)
{
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/metrics/snapshot", &out), 200);
    char key[128];
    snprintf(key, sizeof key, "\"%s\":", name);
    /* keys are written with escaped slashes */
    char esc[160], *k = esc;
    for (const char *p = key; *p; p++) {
        if (*p == '/') *k++ = '\\';
        *k++ = *p;
    }
    *k = '\0';
    char *at = strstr(out.data, esc);
    double v = at ? strtod(at + strlen(esc), NULL) : -1;
    act_buf_free(&out);
    return v;
}

/* ---- tests ------------------------------------------------------------------------------- */

START_TEST(test_registered_framework_gets_the_slave_in_an_offer)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096;disk:1000;ports:[31000-32000]", true);
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(ro(m)->offers_count, 1);
    const wire_offer *o = &ro(m)->offers[0];
    ck_assert_str_eq(o->slave_id.value, slave_id_of(s));
    ck_assert_str_eq(o->framework_id.value, f.id);
    ck_assert_str_eq(o->hostname, "host1");
    ck_assert_double_eq(offered(o, "cpus"), 4);
    ck_assert_double_eq(offered(o, "mem"), 4096);
    ck_assert_uint_eq(ro(m)->pids_count, 1);
    wire_msg_free(m);
    ck_assert(strstr(f.id, "-0000") != NULL);
    stop();
}
END_TEST

START_TEST(test_partial_accept_returns_the_rest)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    const char *task[] = {"t1 cpus:1;mem:512"};
    launch(&f, ro(m)->offers[0].id.value, sid, task, 1, 0);
    wire_msg_free(m);
    ck_assert_uint_eq(fake_count(s, MI(RunTaskMessage)), 1);
    wire_msg *run = fake_last(s, MI(RunTaskMessage), WIRE_DESC(run_task_message));
    ck_assert_str_eq(((wire_run_task_message *)run->root)->task.task_id.value, "t1");
    wire_msg_free(run);
    act_clock_advance(1.0); /* the next allocation cycle */
    settle();
    m = offers(&f, 1);
    ck_assert_ptr_nonnull(m);
    /* the task stays used; its command executor's 0.1 cpus and 32 MB are not accounted by
     * the master (Mesos 0.22: the slave over-commits them) */
    ck_assert_double_eq_tol(offered(&ro(m)->offers[0], "cpus"), 3, 1e-9);
    ck_assert_double_eq_tol(offered(&ro(m)->offers[0], "mem"), 4096 - 512, 1e-9);
    wire_msg_free(m);
    stop();
}
END_TEST

/* The master sends the allocator the recovers of finished tasks in batches (up to 64 a
 * message): 70 tasks acknowledged back to back make a full batch and a partial one, and every
 * task's resources must come back. */
START_TEST(test_resources_of_many_finished_tasks_all_return_to_the_allocator)
{
    enum { N = 70 };
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    char text[N][48], ids[N][16];
    const char *tasks[N];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "t%d", i);
        snprintf(text[i], sizeof text[i], "%s cpus:0.05;mem:8", ids[i]);
        tasks[i] = text[i];
    }
    launch(&f, ro(m)->offers[0].id.value, sid, tasks, N, 0);
    wire_msg_free(m);
    ck_assert_uint_eq(fake_count(s, MI(RunTaskMessage)), N);
    wire_uuid u[N];
    for (int i = 0; i < N; i++) u[i] = send_update(s, f.id, sid, ids[i], WIRE_TASK_FINISHED);
    settle();
    for (int i = 0; i < N; i++) send_ack(&f, sid, ids[i], &u[i]);
    settle();
    ck_assert_double_eq(gauge("master/cpus_used"), 0);
    act_clock_advance(1.0); /* the next allocation cycle */
    settle();
    /* the offers since the launch (the rest of the first offer, and as many as the cycles
     * that saw tasks' resources come back) hold all of the slave */
    double cpus = 0, mem = 0;
    for (size_t i = 1; i < fake_count(f.f, MI(ResourceOffersMessage)); i++) {
        m = offers(&f, i);
        for (size_t k = 0; k < ro(m)->offers_count; k++) {
            cpus += offered(&ro(m)->offers[k], "cpus");
            mem += offered(&ro(m)->offers[k], "mem");
        }
        wire_msg_free(m);
    }
    ck_assert_double_eq_tol(cpus, 4, 1e-9);
    ck_assert_double_eq_tol(mem, 4096, 1e-9);
    ck_assert_double_eq(gauge("allocator/event_queue_dispatches"), 0);
    stop();
}
END_TEST

START_TEST(test_decline_filters_the_slave_for_refuse_seconds_and_revive_clears_it)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    decline(&f, ro(m)->offers[0].id.value, sid, 10);
    wire_msg_free(m);
    for (int i = 0; i < 9; i++) { /* cycles every second: nothing for 9 s */
        act_clock_advance(1.0);
        settle();
    }
    ck_assert_uint_eq(fake_count(f.f, MI(ResourceOffersMessage)), 1);
    act_clock_advance(1.5);
    settle();
    ck_assert_uint_eq(fake_count(f.f, MI(ResourceOffersMessage)), 2);
    /* decline again, then revive: offered at once */
    m = offers(&f, 1);
    decline(&f, ro(m)->offers[0].id.value, sid, 100);
    wire_msg_free(m);
    act_clock_advance(1.0);
    settle();
    ck_assert_uint_eq(fake_count(f.f, MI(ResourceOffersMessage)), 2);
    wire_revive_offers_message rv = {.framework_id = {f.id}};
    fake_send(f.f, &master_pid, WIRE_DESC(revive_offers_message), &rv);
    settle();
    act_clock_advance(1.0);
    settle();
    ck_assert_uint_eq(fake_count(f.f, MI(ResourceOffersMessage)), 3);
    stop();
}
END_TEST

START_TEST(test_reserved_resources_reach_only_their_role)
{
    master_config cfg;
    master_config_default(&cfg);
    start(&cfg);
    slave_up("slave(1)", "host1", "cpus(prod):2;mem(prod):1024;cpus:2;mem:1024", true);
    fw other = framework_up("other", "dev", 0);
    wire_msg *m = offers(&other, 0);
    ck_assert_ptr_nonnull(m);
    for (size_t i = 0; i < ro(m)->offers[0].resources_count; i++)
        ck_assert_str_eq(ro(m)->offers[0].resources[i].role, "*");
    ck_assert_double_eq(offered(&ro(m)->offers[0], "cpus"), 2);
    wire_msg_free(m);
    fw prod = framework_up("prod", "prod", 0);
    act_clock_advance(1.0);
    settle();
    m = offers(&prod, 0);
    ck_assert_ptr_nonnull(m);
    ck_assert_double_eq(offered(&ro(m)->offers[0], "cpus"), 2); /* its reservation */
    for (size_t i = 0; i < ro(m)->offers[0].resources_count; i++)
        ck_assert_str_eq(ro(m)->offers[0].resources[i].role, "prod");
    wire_msg_free(m);
    stop();
}
END_TEST

START_TEST(test_invalid_launches_get_task_error_or_lost_with_a_reason)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX], msg[512];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    char oid[WIRE_ID_MAX];
    snprintf(oid, sizeof oid, "%s", ro(m)->offers[0].id.value);
    wire_msg_free(m);
    const char *tasks[] = {"ok cpus:1;mem:128", "ok cpus:1;mem:128", "big cpus:10;mem:128",
                           "bad/id cpus:1;mem:128"};
    launch(&f, oid, sid, tasks, 4, 0);
    ck_assert_int_eq(last_state(&f, "big", msg, sizeof msg), WIRE_TASK_ERROR);
    ck_assert(strstr(msg, "more resources"));
    ck_assert_int_eq(last_state(&f, "bad/id", msg, sizeof msg), WIRE_TASK_ERROR);
    ck_assert(strstr(msg, "invalid"));
    ck_assert_int_eq(last_state(&f, "ok", msg, sizeof msg), WIRE_TASK_ERROR);
    ck_assert(strstr(msg, "duplicate"));
    ck_assert_uint_eq(fake_count(s, MI(RunTaskMessage)), 1);
    /* the offer is gone now: launching on it again loses the task */
    const char *again[] = {"late cpus:1;mem:128"};
    launch(&f, oid, sid, again, 1, 0);
    ck_assert_int_eq(last_state(&f, "late", msg, sizeof msg), WIRE_TASK_LOST);
    ck_assert(strstr(msg, "no longer valid"));
    stop();
}
END_TEST

START_TEST(test_status_updates_reach_the_scheduler_and_acks_reach_the_slave)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    const char *task[] = {"t1 cpus:1;mem:512"};
    launch(&f, ro(m)->offers[0].id.value, sid, task, 1, 0);
    wire_msg_free(m);
    ck_assert_double_eq(gauge("master/tasks_staging"), 1);
    wire_uuid u1 = slave_update(s, f.id, sid, "t1", WIRE_TASK_RUNNING);
    ck_assert_int_eq(last_state(&f, "t1", NULL, 0), WIRE_TASK_RUNNING);
    ck_assert_double_eq(gauge("master/tasks_running"), 1);
    ack(&f, sid, "t1", &u1);
    wire_msg *a = fake_last(s, MI(StatusUpdateAcknowledgementMessage),
                            WIRE_DESC(status_update_acknowledgement_message));
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(memcmp(((wire_status_update_acknowledgement_message *)a->root)->uuid.data,
                            u1.bytes, 16), 0);
    wire_msg_free(a);
    wire_uuid u2 = slave_update(s, f.id, sid, "t1", WIRE_TASK_FINISHED);
    ck_assert_int_eq(last_state(&f, "t1", NULL, 0), WIRE_TASK_FINISHED);
    ck_assert_double_eq(gauge("master/cpus_used"), 1); /* held until acknowledged */
    ack(&f, sid, "t1", &u2);
    ck_assert_double_eq(gauge("master/cpus_used"), 0);
    ck_assert_double_eq(gauge("master/valid_status_updates"), 2);
    stop();
}
END_TEST

START_TEST(test_kill_goes_to_the_slave_and_unknown_tasks_are_lost)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    const char *task[] = {"t1 cpus:1;mem:512"};
    launch(&f, ro(m)->offers[0].id.value, sid, task, 1, 0);
    wire_msg_free(m);
    wire_kill_task_message k = {.framework_id = {f.id}, .task_id = {"t1"}};
    fake_send(f.f, &master_pid, WIRE_DESC(kill_task_message), &k);
    wire_kill_task_message k2 = {.framework_id = {f.id}, .task_id = {"nope"}};
    fake_send(f.f, &master_pid, WIRE_DESC(kill_task_message), &k2);
    settle();
    ck_assert_uint_eq(fake_count(s, MI(KillTaskMessage)), 1);
    ck_assert_int_eq(last_state(&f, "nope", NULL, 0), WIRE_TASK_LOST);
    stop();
}
END_TEST

START_TEST(test_reconciliation_answers_every_task)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    const char *tasks[] = {"a cpus:1;mem:128", "b cpus:1;mem:128"};
    launch(&f, ro(m)->offers[0].id.value, sid, tasks, 2, 0);
    wire_msg_free(m);
    slave_update(s, f.id, sid, "a", WIRE_TASK_RUNNING);
    fake_clear(f.f);
    wire_reconcile_tasks_message all = {.framework_id = {f.id}};
    fake_send(f.f, &master_pid, WIRE_DESC(reconcile_tasks_message), &all);
    settle();
    ck_assert_uint_eq(fake_count(f.f, MI(StatusUpdateMessage)), 2);
    ck_assert_int_eq(last_state(&f, "a", NULL, 0), WIRE_TASK_RUNNING);
    ck_assert_int_eq(last_state(&f, "b", NULL, 0), WIRE_TASK_STAGING);
    wire_msg *answer = fake_last(f.f, MI(StatusUpdateMessage), WIRE_DESC(status_update_message));
    const wire_status_update *u = &((wire_status_update_message *)answer->root)->update;
    ck_assert(u->status.has_reason && u->status.reason == WIRE_REASON_RECONCILIATION);
    ck_assert_uint_eq(u->uuid.len, 0); /* nothing to acknowledge */
    wire_msg_free(answer);
    fake_clear(f.f);
    wire_task_status st[2] = {{.task_id = {"b"}, .state = WIRE_TASK_RUNNING},
                              {.task_id = {"ghost"}, .state = WIRE_TASK_RUNNING}};
    wire_reconcile_tasks_message some = {.framework_id = {f.id}, .statuses = st,
                                         .statuses_count = 2};
    fake_send(f.f, &master_pid, WIRE_DESC(reconcile_tasks_message), &some);
    settle();
    ck_assert_int_eq(last_state(&f, "b", NULL, 0), WIRE_TASK_STAGING);
    ck_assert_int_eq(last_state(&f, "ghost", NULL, 0), WIRE_TASK_LOST);
    stop();
}
END_TEST

START_TEST(test_offer_timeout_rescinds_the_offer)
{
    master_config cfg;
    master_config_default(&cfg);
    cfg.offer_timeout = 30;
    cfg.allocation_interval = 1000; /* no periodic cycle to muddle the count */
    start(&cfg);
    slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    char oid[WIRE_ID_MAX];
    snprintf(oid, sizeof oid, "%s", ro(m)->offers[0].id.value);
    wire_msg_free(m);
    act_clock_advance(29);
    settle();
    ck_assert_uint_eq(fake_count(f.f, MI(RescindResourceOfferMessage)), 0);
    act_clock_advance(2);
    settle();
    wire_msg *r = fake_last(f.f, MI(RescindResourceOfferMessage),
                            WIRE_DESC(rescind_resource_offer_message));
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(((wire_rescind_resource_offer_message *)r->root)->offer_id.value, oid);
    wire_msg_free(r);
    stop();
}
END_TEST

START_TEST(test_slave_that_stops_answering_pings_is_removed_and_its_tasks_lost)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    const char *task[] = {"t1 cpus:1;mem:512"};
    launch(&f, ro(m)->offers[0].id.value, sid, task, 1, 0);
    wire_msg_free(m);
    for (int i = 0; i < 3; i++) { /* pinged and answering: kept */
        act_clock_advance(15);
        settle();
    }
    ck_assert_uint_eq(fake_count(s, MI(PingSlaveMessage)), 3);
    ck_assert_uint_eq(fake_count(f.f, MI(LostSlaveMessage)), 0);
    fake_mute(s, true);
    for (int i = 0; i < 6; i++) {
        act_clock_advance(15);
        settle();
    }
    ck_assert_uint_eq(fake_count(f.f, MI(LostSlaveMessage)), 1);
    ck_assert_int_eq(last_state(&f, "t1", NULL, 0), WIRE_TASK_LOST);
    ck_assert_uint_eq(fake_count(s, MI(ShutdownMessage)), 1);
    ck_assert_double_eq(gauge("master/slave_removals"), 1);
    ck_assert_double_eq(gauge("master/slaves_active"), 0);
    stop();
}
END_TEST

static void failover_case(double timeout, double wait, bool expect_kept)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, timeout);
    wire_msg *m = offers(&f, 0);
    const char *task[] = {"t1 cpus:1;mem:512"};
    launch(&f, ro(m)->offers[0].id.value, sid, task, 1, 0);
    wire_msg_free(m);
    act_pid old = fake_pid(f.f);
    act_terminate(&old); /* the scheduler goes away */
    settle();
    act_clock_advance(wait);
    settle();
    fw again = {fake_spawn("sched2", 0, sched_names), ""};
    snprintf(again.id, sizeof again.id, "%s", f.id);
    wire_framework_id fid = {f.id};
    wire_reregister_framework_message r = {.failover = true};
    r.framework.user = "tester";
    r.framework.name = "sched1";
    r.framework.id = &fid;
    fake_send(again.f, &master_pid, WIRE_DESC(reregister_framework_message), &r);
    settle();
    if (expect_kept) {
        ck_assert_uint_eq(fake_count(again.f, MI(FrameworkReregisteredMessage)), 1);
        ck_assert_uint_eq(fake_count(s, MI(ShutdownFrameworkMessage)), 0);
        ck_assert_double_eq(gauge("master/tasks_staging"), 1);
    } else {
        ck_assert_uint_eq(fake_count(s, MI(ShutdownFrameworkMessage)), 1);
        ck_assert_uint_eq(fake_count(again.f, MI(FrameworkErrorMessage)), 1);
        ck_assert_double_eq(gauge("master/tasks_staging"), 0);
    }
    stop();
}

START_TEST(test_framework_failover_within_the_timeout_keeps_its_tasks)
{
    failover_case(60, 30, true);
}
END_TEST

START_TEST(test_framework_failover_after_the_timeout_kills_its_tasks)
{
    failover_case(60, 61, false);
}
END_TEST

START_TEST(test_failover_takeover_tells_the_old_scheduler)
{
    start(NULL);
    fw f = framework_up("sched1", NULL, 60);
    fake *other = fake_spawn("sched2", 0, sched_names);
    wire_framework_id fid = {f.id};
    wire_reregister_framework_message r = {.failover = true};
    r.framework.user = "tester";
    r.framework.name = "sched1";
    r.framework.id = &fid;
    fake_send(other, &master_pid, WIRE_DESC(reregister_framework_message), &r);
    settle();
    ck_assert_uint_eq(fake_count(other, MI(FrameworkReregisteredMessage)), 1);
    wire_msg *e = fake_last(f.f, MI(FrameworkErrorMessage), WIRE_DESC(framework_error_message));
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(((wire_framework_error_message *)e->root)->message, "Framework failed over");
    wire_msg_free(e);
    stop();
}
END_TEST

START_TEST(test_roles_whitelist_refuses_other_roles)
{
    master_config cfg;
    master_config_default(&cfg);
    char *roles[] = {"prod"};
    cfg.roles = roles;
    cfg.nroles = 1;
    start(&cfg);
    fake *f = fake_spawn("sched1", 0, sched_names);
    wire_register_framework_message r = {0};
    r.framework.user = "u";
    r.framework.name = "n";
    r.framework.has_role = true;
    r.framework.role = "dev";
    fake_send(f, &master_pid, WIRE_DESC(register_framework_message), &r);
    settle();
    ck_assert_uint_eq(fake_count(f, MI(FrameworkRegisteredMessage)), 0);
    ck_assert_uint_eq(fake_count(f, MI(FrameworkErrorMessage)), 1);
    stop();
}
END_TEST

START_TEST(test_hostile_messages_leave_the_master_serving)
{
    start(NULL);
    fake *evil = fake_spawn("evil", 0, sched_names);
    static const uint8_t huge_map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0x00};
    static const uint8_t wrong[] = {0x81, 0xa9, 'f', 'r', 'a', 'm', 'e', 'w', 'o', 'r', 'k', 0x05};
    fake_send_raw(evil, &master_pid, MI(RegisterFrameworkMessage), "garbage", 7);
    fake_send_raw(evil, &master_pid, MI(RegisterFrameworkMessage), huge_map, sizeof huge_map);
    fake_send_raw(evil, &master_pid, MI(LaunchTasksMessage), wrong, sizeof wrong);
    fake_send_raw(evil, &master_pid, MI(StatusUpdateMessage), "", 0);
    fake_send_raw(evil, &master_pid, MI(RegisterSlaveMessage), huge_map, 3);
    fake_send_raw(evil, &master_pid, "mesos.internal.NoSuchMessage", "x", 1);
    settle();
    ck_assert_double_eq(gauge("master/dropped_messages"), 5);
    /* and over the network */
    int fd = tu_connect(act_port());
    static const char req[] = "POST /master/mesos.internal.RegisterSlaveMessage HTTP/1.1\r\n"
                              "Libprocess-From: x@127.0.0.1:1\r\nContent-Length: 2\r\n\r\n\xdc\xff"
                              "GET /master/health HTTP/1.1\r\n\r\n";
    ck_assert_int_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    close(fd);
    settle();
    ck_assert_int_eq(tu_http_get(act_port(), "/master/health", NULL), 200);
    fw f = framework_up("sched1", NULL, 0); /* still works */
    ck_assert(f.id[0]);
    stop();
}
END_TEST

START_TEST(test_state_json_lists_frameworks_slaves_and_tasks)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    const char *task[] = {"t1 cpus:1;mem:512"};
    launch(&f, ro(m)->offers[0].id.value, sid, task, 1, 0);
    wire_msg_free(m);
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/master/state.json", &out), 200);
    ck_assert(strstr(out.data, "\"activated_slaves\":1"));
    ck_assert(strstr(out.data, "\"hostname\":\"host1\""));
    ck_assert(strstr(out.data, "\"name\":\"sched1\""));
    ck_assert(strstr(out.data, "\"state\":\"TASK_STAGING\""));
    act_buf_free(&out);
    stop();
}
END_TEST

START_TEST(test_framework_and_executor_messages_are_relayed)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_framework_to_executor_message to = {.slave_id = {sid}, .framework_id = {f.id},
                                             .executor_id = {"e1"},
                                             .data = {(uint8_t *)"ping", 4}};
    fake_send(f.f, &master_pid, WIRE_DESC(framework_to_executor_message), &to);
    wire_executor_to_framework_message back = {.slave_id = {sid}, .framework_id = {f.id},
                                               .executor_id = {"e1"},
                                               .data = {(uint8_t *)"pong", 4}};
    fake_send(s, &master_pid, WIRE_DESC(executor_to_framework_message), &back);
    settle();
    wire_msg *m = fake_last(s, MI(FrameworkToExecutorMessage),
                            WIRE_DESC(framework_to_executor_message));
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(memcmp(((wire_framework_to_executor_message *)m->root)->data.data, "ping", 4), 0);
    wire_msg_free(m);
    m = fake_last(f.f, MI(ExecutorToFrameworkMessage), WIRE_DESC(executor_to_framework_message));
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(memcmp(((wire_executor_to_framework_message *)m->root)->data.data, "pong", 4), 0);
    wire_msg_free(m);
    stop();
}
END_TEST

/* The counters move as tasks and messages do, named as Mesos 0.22 names them. */
START_TEST(test_metrics_move_as_tasks_and_messages_do)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    ck_assert_double_eq(gauge("master/tasks_finished"), 0); /* there before any task */
    ck_assert_double_eq(gauge("master/messages_decline_offers"), 0);
    ck_assert_double_eq(gauge("registrar/state_fetch_ms/count"), 1); /* read at election */
    ck_assert(gauge("registrar/registry_size_bytes") > 0);           /* holds the slave */
    ck_assert_double_eq(gauge("registrar/queued_operations"), 0);
    wire_msg *m = offers(&f, 0);
    const char *tasks[] = {"t1 cpus:1;mem:512", "t2 cpus:1;mem:512", "t3 cpus:100;mem:1"};
    launch(&f, ro(m)->offers[0].id.value, sid, tasks, 3, 0);
    wire_msg_free(m);
    ck_assert_double_eq(gauge("master/messages_launch_tasks"), 1);
    ck_assert_double_eq(gauge("master/tasks_error"), 1); /* t3 does not fit */
    ck_assert_double_eq(gauge("master/task_error/source_master/reason_task_invalid"), 1);
    slave_update(s, f.id, sid, "t1", WIRE_TASK_RUNNING);
    wire_uuid done = slave_update(s, f.id, sid, "t1", WIRE_TASK_FINISHED);
    ck_assert_double_eq(gauge("master/tasks_finished"), 1);
    ack(&f, sid, "t1", &done);
    ack(&f, "no-such-slave", "t1", &done);
    ck_assert_double_eq(gauge("master/valid_status_update_acknowledgements"), 1);
    ck_assert_double_eq(gauge("master/invalid_status_update_acknowledgements"), 1);
    act_clock_advance(5); /* the filter of the launch expires: another offer, declined */
    settle();
    m = offers(&f, 1);
    ck_assert_ptr_nonnull(m);
    decline(&f, ro(m)->offers[0].id.value, sid, 0);
    wire_msg_free(m);
    ck_assert_double_eq(gauge("master/messages_decline_offers"), 1);
    ck_assert_double_eq(gauge("master/messages_launch_tasks"), 1);
    wire_framework_to_executor_message to = {.slave_id = {sid}, .framework_id = {f.id},
                                             .executor_id = {"e1"}, .data = {NULL, 0}};
    fake_send(f.f, &master_pid, WIRE_DESC(framework_to_executor_message), &to);
    to.slave_id.value = "no-such-slave";
    fake_send(f.f, &master_pid, WIRE_DESC(framework_to_executor_message), &to);
    settle();
    ck_assert_double_eq(gauge("master/valid_framework_to_executor_messages"), 1);
    ck_assert_double_eq(gauge("master/invalid_framework_to_executor_messages"), 1);
    ck_assert_double_eq(gauge("master/tasks_staging"), 1); /* t2 */
    ck_assert_double_eq(gauge("master/cpus_used"), 1);
    ck_assert_double_eq(gauge("master/cpus_total"), 4);
    fake_mute(s, true); /* t2 is lost with the slave */
    for (int i = 0; i < 6; i++) {
        act_clock_advance(15);
        settle();
    }
    ck_assert_double_eq(gauge("master/tasks_lost"), 1);
    ck_assert_double_eq(gauge("master/task_lost/source_master/reason_slave_removed"), 1);
    ck_assert_double_eq(gauge("master/slave_shutdowns_scheduled"), 1);
    ck_assert_double_eq(gauge("master/slave_shutdowns_canceled"), 0);
    ck_assert_double_eq(gauge("master/tasks_staging"), 0);
    ck_assert_double_eq(gauge("master/cpus_used"), 0);
    ck_assert_double_eq(gauge("master/cpus_total"), 0);
    stop();
}
END_TEST

/* ---- what state.json keeps of each object follows every change ---------------------------- */

static void forget(act_actor *self, void *arg)
{
    m_state_forget(act_state(self));
}

/* state.json from the JSON the master kept equals state.json made from scratch. */
static void assert_state_current(const char *after)
{
    act_buf kept = {0}, fresh = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/master/state.json", &kept), 200);
    act_dispatch(&master_pid, forget, NULL);
    settle();
    ck_assert_int_eq(tu_http_get(act_port(), "/master/state.json", &fresh), 200);
    ck_assert_msg(kept.len == fresh.len && memcmp(kept.data, fresh.data, kept.len) == 0,
                  "state.json kept stale JSON after %s:\nkept:  %s\nfresh: %s", after,
                  kept.data, fresh.data);
    act_buf_free(&kept);
    act_buf_free(&fresh);
}

/* Each step follows a request that left every JSON kept, so a change that does not drop what
 * it affects shows as a difference. */
START_TEST(test_state_json_kept_between_requests_follows_every_change)
{
    start(NULL);
    assert_state_current("start");
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096;ports:[31000-31010]", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    assert_state_current("a slave registered");
    fw f = framework_up("sched1", NULL, 60);
    assert_state_current("a framework registered");
    wire_msg *m = offers(&f, 0);
    decline(&f, ro(m)->offers[0].id.value, sid, 0.5); /* not offered again at once */
    wire_msg_free(m);
    assert_state_current("a decline");
    act_clock_advance(1);
    settle();
    assert_state_current("an offer");
    m = offers(&f, 1);
    const char *tasks[] = {"t1 cpus:1;mem:512", "t2 cpus:1;mem:512", "t3 cpus:9;mem:1"};
    launch(&f, ro(m)->offers[0].id.value, sid, tasks, 3, 0);
    wire_msg_free(m);
    assert_state_current("a launch");
    slave_update(s, f.id, sid, "t1", WIRE_TASK_RUNNING);
    assert_state_current("an update");
    wire_uuid done = slave_update(s, f.id, sid, "t1", WIRE_TASK_FINISHED);
    assert_state_current("a terminal update");
    ack(&f, sid, "t1", &done);
    assert_state_current("a task completed");
    act_clock_advance(5);
    settle();
    assert_state_current("another offer");
    act_pid old = fake_pid(f.f);
    act_terminate(&old); /* the scheduler goes: inactive, its offers rescinded */
    settle();
    assert_state_current("a framework disconnected");
    fw again = {fake_spawn("sched2", 0, sched_names), ""};
    snprintf(again.id, sizeof again.id, "%s", f.id);
    wire_reregister_framework_message rr = {0};
    rr.framework.user = "tester";
    rr.framework.name = "sched1";
    rr.framework.id = &(wire_framework_id){f.id};
    rr.failover = true;
    fake_send(again.f, &master_pid, WIRE_DESC(reregister_framework_message), &rr);
    settle();
    assert_state_current("a framework re-registered");
    act_buf body = {0};
    char form[WIRE_ID_MAX + 32], req[512];
    int n = snprintf(form, sizeof form, "frameworkId=%s", f.id);
    snprintf(req, sizeof req, "POST /master/shutdown HTTP/1.1\r\nContent-Length: %d\r\n"
             "Connection: close\r\n\r\n%s", n, form);
    ck_assert_int_eq(tu_http_raw(act_port(), req, strlen(req), &body), 200);
    act_buf_free(&body);
    settle();
    assert_state_current("a framework shut down");
    fake *s2 = slave_up("slave(2)", "host2", "cpus:1;mem:64", true);
    assert_state_current("a second slave registered");
    act_pid gone = fake_pid(s2);
    act_terminate(&gone); /* a checkpointing slave that disconnects stays, inactive */
    settle();
    assert_state_current("a slave disconnected");
    fw f3 = framework_up("sched3", NULL, 0);
    act_clock_advance(1);
    settle();
    m = offers(&f3, 0);
    ck_assert_ptr_nonnull(m);
    const char *t4[] = {"t4 cpus:1;mem:64"};
    launch(&f3, ro(m)->offers[0].id.value, sid, t4, 1, 0);
    wire_msg_free(m);
    fake_mute(s, true); /* the slave stops answering: removed, t4 lost */
    for (int i = 0; i < 6; i++) {
        act_clock_advance(15);
        settle();
    }
    assert_state_current("a slave removed");
    stop();
}
END_TEST

/* Reads what fd has ready into out without waiting; false once the peer has closed. */
static bool read_ready(int fd, act_buf *out)
{
    struct pollfd p = {fd, POLLIN, 0};
    char buf[1 << 16];
    while (poll(&p, 1, 0) == 1) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return false;
        act_buf_append(out, buf, (size_t)n);
    }
    return true;
}

#define WALKED_TASKS 1000 /* enough that state.json walks them in several slices */

/* How many tasks of the first framework in state.json `body` (headers first) are in `state`,
 * -1 if it does not parse; its finished_tasks in *counted. */
static int tasks_in_state(const act_buf *body, const char *state, json_int_t *counted)
{
    const char *json = strstr(body->data, "\r\n\r\n");
    json_t *j = json ? json_loads(json + 4, 0, NULL) : NULL;
    json_t *tasks = json_object_get(json_array_get(json_object_get(j, "frameworks"), 0), "tasks");
    int n = tasks ? 0 : -1;
    for (size_t i = 0; i < json_array_size(tasks); i++)
        n += strcmp(json_string_value(json_object_get(json_array_get(tasks, i), "state")),
                    state) == 0;
    *counted = json_integer_value(json_object_get(j, "finished_tasks"));
    json_decref(j);
    return n;
}

/* Whether the master is in the middle of a state.json (asked on its loop, between slices). */
typedef struct busy_probe {
    tu_counter answered;
    bool busy;
} busy_probe;

static void probe_busy(act_actor *self, void *arg)
{
    busy_probe *p = arg;
    p->busy = ((master *)act_state(self))->state_reqs != NULL;
    tu_counter_add(&p->answered, 1);
}

static bool rendering_state(void)
{
    busy_probe p = {.busy = false};
    tu_counter_init(&p.answered);
    act_dispatch(&master_pid, probe_busy, &p);
    ck_assert(tu_counter_wait(&p.answered, 1, 10));
    return p.busy;
}

#define CHANGED_TASKS 100 /* finished while the walk is under way */

/* Asks for state.json with nothing kept and, once the master is in the middle of it, sends
 * CHANGED_TASKS updates; the body goes to `body`. False if the body came before the master was
 * caught in the middle (nothing sent). */
static bool state_json_with_changes(fake *s, const fw *f, const char *sid, act_buf *body)
{
    act_dispatch(&master_pid, forget, NULL);
    settle();
    int fd = tu_connect(act_port());
    ck_assert_int_ge(fd, 0);
    const char req[] = "GET /master/state.json HTTP/1.1\r\nConnection: close\r\n\r\n";
    ck_assert(tu_write_all(fd, req, sizeof req - 1));
    act_buf_reset(body);
    bool caught = false;
    while (!caught && read_ready(fd, body)) caught = rendering_state();
    for (int i = 0; caught && i < CHANGED_TASKS; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%04d", i);
        send_update(s, f->id, sid, id, WIRE_TASK_FINISHED);
    }
    ck_assert(tu_read_until_closed(fd, body));
    close(fd);
    return caught;
}

/* state.json walks a framework's tasks a few milliseconds at a time, joining their JSON into
 * the framework's array as it goes. Here tasks finish while it runs, the updates landing
 * between the walk's slices: an array joined before a change must be dropped, so the body
 * shows each task as it was when the body was written (as many finished in the array as
 * finished_tasks counts), and what the master keeps afterwards is current. */
START_TEST(test_state_json_walk_keeps_no_array_of_tasks_changed_during_it)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:1000;mem:100000", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 60);
    static char specs[WALKED_TASKS][32];
    const char *tasks[WALKED_TASKS];
    for (int i = 0; i < WALKED_TASKS; i++) {
        snprintf(specs[i], sizeof specs[i], "t%04d cpus:1;mem:1", i);
        tasks[i] = specs[i];
    }
    wire_msg *m = offers(&f, 0);
    launch(&f, ro(m)->offers[0].id.value, sid, tasks, WALKED_TASKS, 0);
    wire_msg_free(m);
    act_buf body = {0};
    bool caught = false;
    for (int attempt = 0; attempt < 20 && !caught; attempt++)
        caught = state_json_with_changes(s, &f, sid, &body);
    ck_assert_msg(caught, "state.json was never caught in the middle of its walk");
    json_int_t counted;
    int finished = tasks_in_state(&body, "TASK_FINISHED", &counted);
    ck_assert_int_eq(finished, counted);
    act_buf_free(&body);
    settle();
    assert_state_current("updates during a state.json");
    stop();
}
END_TEST

/* --slave_removal_rate_limit=1/10mins: slaves that fail their health checks go one per ten
 * minutes, in order, and one that answers a ping before its turn stays. */
START_TEST(test_removal_rate_limit_spaces_removals_and_a_pong_cancels_one)
{
    master_config cfg;
    master_config_default(&cfg);
    cfg.slave_removal_interval = 600;
    start(&cfg);
    fake *s[3];
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "slave(%d)", i + 1);
        s[i] = slave_up(name, "host", "cpus:1;mem:128", true);
        fake_mute(s[i], true);
    }
    for (int i = 0; i < 6; i++) { /* five pings missed: all three are scheduled */
        act_clock_advance(15);
        settle();
    }
    ck_assert_double_eq(gauge("master/slave_shutdowns_scheduled"), 3);
    ck_assert_double_eq(gauge("master/slave_removals"), 1); /* the first goes at once */
    ck_assert_uint_eq(fake_count(s[0], MI(ShutdownMessage)), 1);
    fake_mute(s[2], false); /* answers the next ping */
    act_clock_advance(15);
    settle();
    ck_assert_double_eq(gauge("master/slave_shutdowns_canceled"), 1);
    act_clock_advance(570); /* just before ten minutes after the first removal */
    settle();
    ck_assert_double_eq(gauge("master/slave_removals"), 1);
    act_clock_advance(15);
    settle();
    ck_assert_double_eq(gauge("master/slave_removals"), 2);
    ck_assert_uint_eq(fake_count(s[1], MI(ShutdownMessage)), 1);
    act_clock_advance(1200);
    settle();
    ck_assert_double_eq(gauge("master/slave_removals"), 2);
    ck_assert_uint_eq(fake_count(s[2], MI(ShutdownMessage)), 0);
    ck_assert_double_eq(gauge("master/slaves_active"), 1);
    stop();
}
END_TEST

START_TEST(test_completed_tasks_are_kept_up_to_the_bound)
{
    master_config cfg;
    master_config_default(&cfg);
    cfg.max_completed_tasks_per_framework = 2;
    start(&cfg);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    const char *tasks[] = {"c1 cpus:0.5;mem:64", "c2 cpus:0.5;mem:64", "c3 cpus:0.5;mem:64"};
    launch(&f, ro(m)->offers[0].id.value, sid, tasks, 3, 0);
    wire_msg_free(m);
    const char *ids[] = {"c1", "c2", "c3"};
    for (int i = 0; i < 3; i++) {
        wire_uuid u = slave_update(s, f.id, sid, ids[i], WIRE_TASK_FINISHED);
        ack(&f, sid, ids[i], &u);
    }
    act_buf out = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/master/state.json", &out), 200);
    char *completed = strstr(out.data, "\"completed_tasks\":[");
    ck_assert_ptr_nonnull(completed);
    ck_assert_ptr_null(strstr(completed, "\"id\":\"c1\"")); /* the oldest fell out */
    ck_assert_ptr_nonnull(strstr(completed, "\"id\":\"c2\""));
    ck_assert_ptr_nonnull(strstr(completed, "\"id\":\"c3\""));
    act_buf_free(&out);
    stop();
}
END_TEST

START_TEST(test_reregistering_slave_without_a_task_makes_it_lost_and_frees_it)
{
    start(NULL);
    fake *s = slave_up("slave(1)", "host1", "cpus:4;mem:4096", true);
    char sid[WIRE_ID_MAX];
    snprintf(sid, sizeof sid, "%s", slave_id_of(s));
    fw f = framework_up("sched1", NULL, 0);
    wire_msg *m = offers(&f, 0);
    const char *task[] = {"t1 cpus:1;mem:512"};
    launch(&f, ro(m)->offers[0].id.value, sid, task, 1, 0);
    wire_msg_free(m);
    slave_update(s, f.id, sid, "t1", WIRE_TASK_RUNNING);
    ck_assert_double_eq_tol(gauge("master/cpus_used"), 1, 1e-9);
    /* the slave comes back (say after a restart) and no longer runs t1 */
    wire_msg *rm = wire_new(WIRE_DESC(reregister_slave_message));
    wire_reregister_slave_message *r = rm->root;
    r->slave_id.value = sid;
    r->slave.hostname = "host1";
    res_set set = {0};
    res_parse_text("cpus:4;mem:4096", "*", &set, NULL, 0);
    res_to_wire(&set, rm, &r->slave.resources, &r->slave.resources_count);
    res_free(&set);
    fake_send(s, &master_pid, WIRE_DESC(reregister_slave_message), r);
    wire_msg_free(rm);
    settle();
    ck_assert_uint_eq(fake_count(s, MI(SlaveReregisteredMessage)), 1);
    char msg[256];
    ck_assert_int_eq(last_state(&f, "t1", msg, sizeof msg), WIRE_TASK_LOST);
    ck_assert(strstr(msg, "unknown to the slave"));
    ck_assert_double_eq(gauge("master/cpus_used"), 0);
    stop();
}
END_TEST

Suite *master_suite(void)
{
    Suite *s = suite_create("master");
    TCase *tc = tcase_create("cluster");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_registered_framework_gets_the_slave_in_an_offer);
    tcase_add_test(tc, test_partial_accept_returns_the_rest);
    tcase_add_test(tc, test_resources_of_many_finished_tasks_all_return_to_the_allocator);
    tcase_add_test(tc, test_decline_filters_the_slave_for_refuse_seconds_and_revive_clears_it);
    tcase_add_test(tc, test_reserved_resources_reach_only_their_role);
    tcase_add_test(tc, test_invalid_launches_get_task_error_or_lost_with_a_reason);
    tcase_add_test(tc, test_status_updates_reach_the_scheduler_and_acks_reach_the_slave);
    tcase_add_test(tc, test_kill_goes_to_the_slave_and_unknown_tasks_are_lost);
    tcase_add_test(tc, test_reconciliation_answers_every_task);
    tcase_add_test(tc, test_offer_timeout_rescinds_the_offer);
    tcase_add_test(tc, test_slave_that_stops_answering_pings_is_removed_and_its_tasks_lost);
    tcase_add_test(tc, test_framework_failover_within_the_timeout_keeps_its_tasks);
    tcase_add_test(tc, test_framework_failover_after_the_timeout_kills_its_tasks);
    tcase_add_test(tc, test_failover_takeover_tells_the_old_scheduler);
    tcase_add_test(tc, test_roles_whitelist_refuses_other_roles);
    tcase_add_test(tc, test_hostile_messages_leave_the_master_serving);
    tcase_add_test(tc, test_state_json_lists_frameworks_slaves_and_tasks);
    tcase_add_test(tc, test_framework_and_executor_messages_are_relayed);
    tcase_add_test(tc, test_completed_tasks_are_kept_up_to_the_bound);
    tcase_add_test(tc, test_metrics_move_as_tasks_and_messages_do);
    tcase_add_test(tc, test_state_json_kept_between_requests_follows_every_change);
    tcase_add_test(tc, test_state_json_walk_keeps_no_array_of_tasks_changed_during_it);
    tcase_add_test(tc, test_removal_rate_limit_spaces_removals_and_a_pong_cancels_one);
    tcase_add_test(tc, test_reregistering_slave_without_a_task_makes_it_lost_and_frees_it);
    suite_add_tcase(s, tc);
    return s;
}
