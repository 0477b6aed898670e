/*
 * test_cluster.c - master, allocator and real scheduler drivers in one process with a paused
 * clock, and fake slaves that speak the real slave messages: a framework's whole task life
 * through the driver's API, and weighted DRF (weights 1:3) and DRF between a CPU-heavy and a
 * memory-heavy framework measured on what the slaves were actually asked to run.
 */
#include "master/master_int.h"
#include "sched/sched.h"
#include "tests/support/fake.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <math.h>
#include <string.h>

static act_pid master_pid;
static char master_addr[64];

static const char *const slave_names[] = {MI(SlaveRegisteredMessage), MI(RunTaskMessage),
                                          MI(PingSlaveMessage),
                                          MI(StatusUpdateAcknowledgementMessage), NULL};

static void settle(void)
{
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void start(master_config *cfg)
{
    act_clock_pause();
    tu_runtime_start(2);
    cfg->allocator_loop = 1;
    ck_assert_int_eq(master_spawn(cfg, &master_pid), 0);
    snprintf(master_addr, sizeof master_addr, "127.0.0.1:%u", act_port());
    settle();
}

static fake *slave_up(int i, const char *resources)
{
    char name[32], host[32];
    snprintf(name, sizeof name, "slave(%d)", i);
    snprintf(host, sizeof host, "host%d", i);
    fake *s = fake_spawn(name, 0, slave_names);
    fake_autoreply(s, MI(PingSlaveMessage), MI(PongSlaveMessage));
    wire_msg *m = wire_new(WIRE_DESC(register_slave_message));
    wire_register_slave_message *r = m->root;
    r->slave.hostname = wire_strdup(m, host);
    res_set set = {0};
    ck_assert_int_eq(res_parse_text(resources, "*", &set, NULL, 0), 0);
    res_to_wire(&set, m, &r->slave.resources, &r->slave.resources_count);
    res_free(&set);
    fake_send(s, &master_pid, WIRE_DESC(register_slave_message), r);
    wire_msg_free(m);
    return s;
}

/* ---- a scheduler that runs tasks of a fixed size on every offer -------------------------- */

typedef struct runner {
    const char *name;
    const char *role;
    double cpus, mem;    /* per task (its command executor is not accounted, as in Mesos) */
    int launched, running, finished;
    char framework_id[WIRE_ID_MAX];
    sched_driver *driver;
} runner;

static double scalar(const wire_offer *o, const char *name)
{
    res_set s = {0};
    res_from_wire(o->resources, o->resources_count, &s, NULL, 0);
    double v = res_scalar(&s, name);
    res_free(&s);
    return v;
}

static void on_registered(sched_driver *d, const wire_framework_id *id, const wire_master_info *mi)
{
    runner *r = sched_driver_ctx(d);
    snprintf(r->framework_id, sizeof r->framework_id, "%s", id->value);
}

/* Launches as many tasks as fit in each offer; declines (for a long time) when none fits. */
static void on_offers(sched_driver *d, const wire_offer *offers, size_t n)
{
    runner *r = sched_driver_ctx(d);
    for (size_t i = 0; i < n; i++) {
        double cpus = scalar(&offers[i], "cpus"), mem = scalar(&offers[i], "mem");
        int fit = 0;
        while ((fit + 1) * r->cpus <= cpus + 1e-9 && (fit + 1) * r->mem <= mem)
            fit++;
        wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
        wire_task_info *tasks = wire_alloc_array(m, WIRE_DESC(task_info), (size_t)(fit ? fit : 1));
        for (int k = 0; k < fit; k++) {
            char id[64], res[128];
            snprintf(id, sizeof id, "%s-%d", r->name, r->launched++);
            snprintf(res, sizeof res, "cpus:%g;mem:%g", r->cpus, r->mem);
            wire_task_info *t = &tasks[k];
            t->name = wire_strdup(m, id);
            t->task_id.value = wire_strdup(m, id);
            t->slave_id = offers[i].slave_id;
            res_set s = {0};
            res_parse_text(res, "*", &s, NULL, 0);
            res_to_wire(&s, m, &t->resources, &t->resources_count);
            res_free(&s);
            t->command = wire_alloc(m, sizeof *t->command);
            t->command->has_value = true;
            t->command->value = "sleep 1000";
        }
        wire_filters long_refuse = {.has_refuse_seconds = true, .refuse_seconds = 10000};
        if (fit)
            sched_driver_launch_tasks(d, &offers[i].id, 1, tasks, (size_t)fit, &long_refuse);
        else
            sched_driver_decline_offer(d, &offers[i].id, &long_refuse);
        wire_msg_free(m);
    }
}

static void on_status(sched_driver *d, const wire_task_status *st)
{
    runner *r = sched_driver_ctx(d);
    r->running += st->state == WIRE_TASK_RUNNING;
    r->finished += st->state == WIRE_TASK_FINISHED;
}

static void runner_start(runner *r)
{
    sched_scheduler cb = {.registered = on_registered, .resource_offers = on_offers,
                          .status_update = on_status};
    wire_framework_info fi = {.user = "tester", .name = (char *)r->name,
                              .has_role = r->role != NULL, .role = (char *)r->role};
    r->driver = sched_driver_new(&cb, r, &fi, master_addr, NULL);
    ck_assert_int_eq(sched_driver_start(r->driver), SCHED_DRIVER_RUNNING);
}

static void runner_stop(runner *r)
{
    sched_driver_stop(r->driver, false);
    sched_driver_join(r->driver);
    sched_driver_free(r->driver);
}

/* What the slaves were asked to run for a framework. */
static void usage(fake **slaves, int n, const char *framework_id, double *cpus, double *mem)
{
    *cpus = *mem = 0;
    for (int i = 0; i < n; i++)
        for (size_t k = 0; k < fake_count(slaves[i], MI(RunTaskMessage)); k++) {
            wire_msg *m = fake_nth(slaves[i], MI(RunTaskMessage), WIRE_DESC(run_task_message), k);
            wire_run_task_message *r = m->root;
            if (strcmp(r->framework_id.value, framework_id) == 0) {
                res_set s = {0};
                res_from_wire(r->task.resources, r->task.resources_count, &s, NULL, 0);
                *cpus += res_scalar(&s, "cpus");
                *mem += res_scalar(&s, "mem");
                res_free(&s);
            }
            wire_msg_free(m);
        }
}

START_TEST(test_a_driver_framework_runs_a_task_to_completion)
{
    master_config cfg;
    master_config_default(&cfg);
    start(&cfg);
    fake *s = slave_up(1, "cpus:1;mem:512");
    settle();
    runner r = {.name = "one", .cpus = 0.6, .mem = 128};
    runner_start(&r);
    settle();
    ck_assert(r.framework_id[0]);
    ck_assert_int_eq(r.launched, 1); /* 0.6 fits once in 1 cpu */
    wire_msg *m = fake_last(s, MI(RunTaskMessage), WIRE_DESC(run_task_message));
    ck_assert_ptr_nonnull(m);
    wire_run_task_message *run = m->root;
    wire_task_state states[] = {WIRE_TASK_RUNNING, WIRE_TASK_FINISHED};
    for (int i = 0; i < 2; i++) {
        wire_uuid uuid;
        wire_uuid_random(&uuid);
        wire_status_update_message u = {0};
        u.update.framework_id = run->framework_id;
        u.update.slave_id = &run->task.slave_id;
        u.update.status.task_id = run->task.task_id;
        u.update.status.state = states[i];
        u.update.timestamp = act_now();
        u.update.uuid.data = uuid.bytes;
        u.update.uuid.len = 16;
        char pid[ACT_PID_STRLEN];
        act_pid me = fake_pid(s);
        u.has_pid = true;
        u.pid = act_pid_format(&me, pid, sizeof pid);
        fake_send(s, &master_pid, WIRE_DESC(status_update_message), &u);
        settle();
    }
    wire_msg_free(m);
    ck_assert_int_eq(r.running, 1);
    ck_assert_int_eq(r.finished, 1);
    ck_assert_uint_eq(fake_count(s, MI(StatusUpdateAcknowledgementMessage)), 2);
    runner_stop(&r);
    act_shutdown();
    act_clock_resume();
}
END_TEST

START_TEST(test_weights_one_to_three_give_shares_one_to_three)
{
    master_config cfg;
    master_config_default(&cfg);
    char *roles[] = {"a", "b"};
    double weights[] = {1, 3};
    cfg.weight_roles = roles;
    cfg.weights = weights;
    cfg.nweights = 2;
    start(&cfg);
    enum { N = 200 }; /* enough slaves that one tie-break cannot move the ratio much */
    fake *slaves[N];
    /* tasks fill a slave exactly, so no leftovers are offered around: offered resources
     * count as allocated in DRF, as in Mesos */
    runner a = {.name = "fa", .role = "a", .cpus = 1, .mem = 1024};
    runner b = {.name = "fb", .role = "b", .cpus = 1, .mem = 1024};
    runner_start(&a);
    runner_start(&b);
    settle();
    for (int i = 0; i < N; i++) slaves[i] = slave_up(i + 1, "cpus:1;mem:1024");
    for (int i = 0; i < 5; i++) {
        act_clock_advance(1.0);
        settle();
    }
    double ca, cb, ma, mb;
    usage(slaves, N, a.framework_id, &ca, &ma);
    usage(slaves, N, b.framework_id, &cb, &mb);
    ck_assert_int_eq(a.launched + b.launched, N); /* every slave is used */
    ck_assert_msg(fabs(cb / ca - 3.0) < 0.1, "cpus a=%g b=%g, ratio %g", ca, cb, cb / ca);
    runner_stop(&a);
    runner_stop(&b);
    act_shutdown();
    act_clock_resume();
}
END_TEST

START_TEST(test_drf_equalizes_a_cpu_heavy_and_a_memory_heavy_framework)
{
    master_config cfg;
    master_config_default(&cfg);
    start(&cfg);
    enum { N = 20 };
    fake *slaves[N];
    runner c = {.name = "cpu", .cpus = 1, .mem = 128};
    runner m = {.name = "mem", .cpus = 0.2, .mem = 1024};
    runner_start(&c);
    runner_start(&m);
    settle();
    for (int i = 0; i < N; i++) { /* one at a time: each is offered on the shares so far */
        slaves[i] = slave_up(i + 1, "cpus:2;mem:2048");
        settle();
    }
    for (int i = 0; i < 5; i++) {
        act_clock_advance(1.0);
        settle();
    }
    double cc, cm, mc, mm;
    usage(slaves, N, c.framework_id, &cc, &mc);
    usage(slaves, N, m.framework_id, &cm, &mm);
    double share_c = fmax(cc / (2.0 * N), mc / (2048.0 * N));
    double share_m = fmax(cm / (2.0 * N), mm / (2048.0 * N));
    ck_assert_msg(fabs(share_c - share_m) < 0.15, "dominant shares cpu=%g mem=%g", share_c,
                  share_m);
    ck_assert(share_c > 0.3 && share_m > 0.3);
    runner_stop(&c);
    runner_stop(&m);
    act_shutdown();
    act_clock_resume();
}
END_TEST

Suite *cluster_suite(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = tcase_create("drivers");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_driver_framework_runs_a_task_to_completion);
    tcase_add_test(tc, test_weights_one_to_three_give_shares_one_to_three);
    tcase_add_test(tc, test_drf_equalizes_a_cpu_heavy_and_a_memory_heavy_framework);
    suite_add_tcase(s, tc);
    return s;
}
