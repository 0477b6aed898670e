/*
 * test_allocator.c - the hierarchical DRF allocator (master/allocator.c, master/sorter.c):
 * the DRF sorter's order under many updates; the core driven directly with explicit times
 * (offers, DRF splits, partial accepts, refuse filters, revive/suppress, reservations, role
 * weights, whitelists, removals, the minimum offer); and the actor on a paused runtime clock
 * (batched offers, the periodic cycle and its metrics).
 */
#include "master/allocator_int.h"
#include "master/sorter_int.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers ----------------------------------------------------------------------------- */

#define T0 1000.0 /* the core's clock in these tests: any fixed time */

typedef struct seen_offer {
    char fw[64];
    char slave[64];
    res_set res;
} seen_offer;

/* Offers one alloc_run made, in order. */
typedef struct offer_log {
    seen_offer *v;
    size_t n, cap;
} offer_log;

static void record_offer(void *ctx, const char *fw, const char *slave, const res_set *r)
{
    offer_log *log = ctx;
    if (log->n == log->cap) {
        log->cap = log->cap ? 2 * log->cap : 64;
        log->v = realloc(log->v, log->cap * sizeof *log->v);
        ck_assert_ptr_nonnull(log->v);
    }
    seen_offer *o = &log->v[log->n++];
    snprintf(o->fw, sizeof o->fw, "%s", fw);
    snprintf(o->slave, sizeof o->slave, "%s", slave);
    memset(&o->res, 0, sizeof o->res);
    res_copy(&o->res, r);
}

static void log_clear(offer_log *log)
{
    for (size_t i = 0; i < log->n; i++) res_free(&log->v[i].res);
    log->n = 0;
}

static void log_free(offer_log *log)
{
    log_clear(log);
    free(log->v);
    memset(log, 0, sizeof *log);
}

/* Runs one cycle at `now` into a cleared log; returns the number of offers. */
static size_t run(alloc_state *a, double now, offer_log *log)
{
    log_clear(log);
    size_t n = alloc_run(a, now, record_offer, log);
    ck_assert_uint_eq(n, log->n);
    return n;
}

static size_t offers_to(const offer_log *log, const char *fw)
{
    size_t n = 0;
    for (size_t i = 0; i < log->n; i++) n += strcmp(log->v[i].fw, fw) == 0;
    return n;
}

static const seen_offer *offer_of(const offer_log *log, const char *fw, const char *slave)
{
    for (size_t i = 0; i < log->n; i++)
        if (strcmp(log->v[i].fw, fw) == 0 && strcmp(log->v[i].slave, slave) == 0)
            return &log->v[i];
    return NULL;
}

static res_set parse(const char *text)
{
    res_set r = {0};
    char err[256];
    ck_assert_msg(res_parse_text(text, NULL, &r, err, sizeof err) == 0, "%s: %s", text, err);
    return r;
}

static bool res_is(const res_set *r, const char *text)
{
    res_set want = parse(text);
    bool eq = res_equal(r, &want);
    res_free(&want);
    return eq;
}

static alloc_state *new_allocator(void)
{
    alloc_config cfg = {.allocation_interval = 1.0};
    return alloc_create(&cfg);
}

static void add_slave(alloc_state *a, const char *id, const char *host, const char *resources)
{
    res_set r = parse(resources);
    alloc_add_slave(a, id, host, &r, NULL, NULL, 0);
    res_free(&r);
}

static void add_framework(alloc_state *a, const char *id, const char *role)
{
    alloc_add_framework(a, id, role, NULL, NULL, 0);
}

static void recover(alloc_state *a, const char *fw, const char *slave, const char *resources,
                    double refuse_seconds, double now)
{
    res_set r = parse(resources);
    alloc_recover(a, fw, slave, &r, refuse_seconds, now);
    res_free(&r);
}

/* Recovers everything a logged offer gave. */
static void decline(alloc_state *a, const seen_offer *o, double refuse_seconds, double now)
{
    alloc_recover(a, o->fw, o->slave, &o->res, refuse_seconds, now);
}

static double held(const alloc_state *a, const char *fw, const char *name)
{
    res_set r = {0};
    alloc_framework_allocated(a, fw, &r);
    double v = res_scalar(&r, name);
    res_free(&r);
    return v;
}

static bool available_is(const alloc_state *a, const char *slave, const char *text)
{
    res_set r = {0};
    alloc_slave_available(a, slave, &r);
    bool eq = text ? res_is(&r, text) : res_empty(&r);
    res_free(&r);
    return eq;
}

/* ---- the sorter --------------------------------------------------------------------------- */

/* Walks the order: every active client once, shares never decreasing. */
static void check_order(sorter *s, sorter_client **c, const bool *active, size_t n)
{
    size_t seen = 0, expected = 0;
    double last = -1;
    sorter_cursor cur = SORTER_CURSOR_INIT;
    for (sorter_client *x; (x = sorter_next(s, &cur));) {
        double share = sorter_share(s, x);
        ck_assert_msg(share >= last, "%s (%f) after a share of %f", sorter_client_name(x), share,
                      last);
        last = share;
        size_t i = (size_t)(uintptr_t)sorter_client_data(x);
        ck_assert(active[i]);
        ck_assert_ptr_eq(c[i], x);
        seen++;
    }
    for (size_t i = 0; i < n; i++) expected += active[i];
    ck_assert_uint_eq(seen, expected);
}

#define SIM_N 60

/* Clients, their state as the test sees it, and what the random steps change them by. */
typedef struct sorter_sim {
    sorter *s;
    sorter_client *c[SIM_N];
    bool active[SIM_N];
    int held_small[SIM_N];
    res_set small, big_mem;
} sorter_sim;

/* One random step: allocate, unallocate, (de)activate a client, or grow the total. */
static void sorter_sim_step(sorter_sim *sim, uint64_t r, int step)
{
    size_t i = (size_t)(r >> 33) % SIM_N;
    switch ((r >> 20) % 6) {
    case 0:
    case 1:
        sorter_allocated(sim->s, sim->c[i], &sim->small);
        sim->held_small[i]++;
        break;
    case 2:
        sorter_allocated(sim->s, sim->c[i], &sim->big_mem);
        break;
    case 3:
        if (sim->held_small[i] == 0) break;
        sorter_unallocated(sim->s, sim->c[i], &sim->small);
        sim->held_small[i]--;
        break;
    case 4:
        if (sim->active[i]) sorter_deactivate(sim->s, sim->c[i]);
        else sorter_activate(sim->s, sim->c[i]);
        sim->active[i] = !sim->active[i];
        break;
    default:
        if (step % 50 == 0) sorter_add_total(sim->s, &sim->small);
    }
}

START_TEST(test_sorter_keeps_drf_order_through_many_updates)
{
    sorter_sim sim = {.s = sorter_create()};
    res_set total = parse("cpus:1000;mem:1000000");
    sim.small = parse("cpus:1;mem:100");
    sim.big_mem = parse("mem:5000");
    sorter_add_total(sim.s, &total);
    char name[16];
    for (size_t i = 0; i < SIM_N; i++) {
        snprintf(name, sizeof name, "c%02zu", i);
        sim.c[i] = sorter_add(sim.s, name, 1.0 + (double)(i % 3), (void *)(uintptr_t)i);
        sim.active[i] = true;
    }
    uint64_t rng = 42;
    for (int step = 0; step < 3000; step++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        sorter_sim_step(&sim, rng, step);
        if (step % 10 == 0) check_order(sim.s, sim.c, sim.active, SIM_N);
    }
    check_order(sim.s, sim.c, sim.active, SIM_N);
    ck_assert_uint_eq(sorter_count(sim.s), SIM_N);
    sorter_remove(sim.s, sim.c[7]);
    sim.active[7] = false;
    sim.c[7] = NULL;
    check_order(sim.s, sim.c, sim.active, SIM_N);
    sorter_destroy(sim.s);
    res_free(&total);
    res_free(&sim.small);
    res_free(&sim.big_mem);
}
END_TEST

START_TEST(test_sorter_breaks_share_ties_by_allocations_then_name)
{
    sorter *s = sorter_create();
    res_set total = parse("cpus:10"), one = parse("cpus:1");
    sorter_add_total(s, &total);
    sorter_client *b = sorter_add(s, "b", 1, NULL), *a = sorter_add(s, "a", 1, NULL);
    sorter_cursor cur = SORTER_CURSOR_INIT;
    ck_assert_ptr_eq(sorter_next(s, &cur), a); /* equal shares and counts: by name */
    sorter_allocated(s, a, &one);
    sorter_unallocated(s, a, &one); /* share 0 again, but one allocation more */
    cur = (sorter_cursor)SORTER_CURSOR_INIT;
    ck_assert_ptr_eq(sorter_next(s, &cur), b);
    ck_assert_ptr_eq(sorter_next(s, &cur), a);
    ck_assert_ptr_null(sorter_next(s, &cur));
    sorter_destroy(s);
    res_free(&total);
    res_free(&one);
}
END_TEST

/* ---- offers and DRF ---------------------------------------------------------------------- */

START_TEST(test_single_framework_gets_the_whole_slave)
{
    alloc_state *a = new_allocator();
    const char *total = "cpus:4;mem:4096;disk:1000;ports:[31000-32000]";
    add_slave(a, "s1", "h1", total);
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    ck_assert_str_eq(log.v[0].fw, "f1");
    ck_assert_str_eq(log.v[0].slave, "s1");
    ck_assert(res_is(&log.v[0].res, total));
    ck_assert(available_is(a, "s1", NULL));
    ck_assert_double_eq_tol(alloc_framework_share(a, "f1"), 1.0, 1e-9);
    ck_assert_uint_eq(run(a, T0 + 1, &log), 0); /* everything is out */
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_two_frameworks_split_slaves_by_drf)
{
    alloc_state *a = new_allocator();
    char id[16];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "s%d", i);
        add_slave(a, id, id, "cpus:4;mem:4096");
    }
    add_framework(a, "f1", "*");
    add_framework(a, "f2", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 10);
    ck_assert_uint_eq(offers_to(&log, "f1"), 5);
    ck_assert_uint_eq(offers_to(&log, "f2"), 5);
    ck_assert_double_eq_tol(alloc_framework_share(a, "f1"), 0.5, 1e-9);
    ck_assert_double_eq_tol(alloc_framework_share(a, "f2"), 0.5, 1e-9);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_lowest_share_framework_is_offered_first)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_slave(a, "s2", "h2", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 2); /* f1 alone takes both */
    recover(a, "f1", "s2", "cpus:4;mem:4096", 0, T0);
    add_framework(a, "f2", "*"); /* share 0 < f1's 0.5 */
    ck_assert_uint_eq(run(a, T0, &log), 1);
    ck_assert_str_eq(log.v[0].fw, "f2");
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_partial_accept_makes_just_the_rest_available)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    /* f1 launches a task with cpus:3;mem:3072 and returns the rest. */
    recover(a, "f1", "s1", "cpus:1;mem:1024", 0, T0);
    ck_assert(available_is(a, "s1", "cpus:1;mem:1024"));
    ck_assert_double_eq_tol(held(a, "f1", "cpus"), 3, 1e-9);
    ck_assert_uint_eq(run(a, T0 + 1, &log), 1);
    ck_assert(res_is(&log.v[0].res, "cpus:1;mem:1024"));
    ck_assert_double_eq_tol(held(a, "f1", "cpus"), 4, 1e-9);
    /* The task ends: its resources come back too. */
    recover(a, "f1", "s1", "cpus:3;mem:3072", 0, T0 + 2);
    ck_assert(available_is(a, "s1", "cpus:3;mem:3072"));
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

/* ---- filters, revive, suppress ----------------------------------------------------------- */

START_TEST(test_decline_filter_hides_slave_for_refuse_seconds)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    decline(a, &log.v[0], 5.0, T0);
    ck_assert(available_is(a, "s1", "cpus:4;mem:4096"));
    ck_assert_uint_eq(run(a, T0 + 0.001, &log), 0);
    ck_assert_uint_eq(run(a, T0 + 4.999, &log), 0);
    ck_assert_uint_eq(run(a, T0 + 5.001, &log), 1);
    ck_assert_str_eq(log.v[0].fw, "f1");
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_declined_slave_still_goes_to_other_frameworks)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    add_framework(a, "f2", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    ck_assert_str_eq(log.v[0].fw, "f1"); /* equal shares: by name */
    decline(a, &log.v[0], 5.0, T0);
    ck_assert_uint_eq(run(a, T0 + 1, &log), 1);
    ck_assert_str_eq(log.v[0].fw, "f2");
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_filter_covers_only_the_declined_resources)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    /* f1 keeps cpus:2;mem:2048 and refuses the other half for 5 s ... */
    recover(a, "f1", "s1", "cpus:2;mem:2048", 5.0, T0);
    ck_assert_uint_eq(run(a, T0 + 1, &log), 0);
    /* ... but more than it refused (its task ended) is offered again at once. */
    recover(a, "f1", "s1", "cpus:1;mem:1024", 0, T0 + 1);
    ck_assert_uint_eq(run(a, T0 + 2, &log), 1);
    ck_assert(res_is(&log.v[0].res, "cpus:3;mem:3072"));
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_revive_clears_filters)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    decline(a, &log.v[0], 3600, T0);
    ck_assert_uint_eq(run(a, T0 + 1, &log), 0);
    alloc_revive(a, "f1");
    ck_assert_uint_eq(run(a, T0 + 2, &log), 1);
    ck_assert_str_eq(log.v[0].fw, "f1");
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_suppress_stops_offers_until_revive)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    alloc_suppress(a, "f1");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 0);
    ck_assert_uint_eq(run(a, T0 + 3600, &log), 0);
    alloc_revive(a, "f1");
    ck_assert_uint_eq(run(a, T0 + 3601, &log), 1);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

/* ---- roles ------------------------------------------------------------------------------- */

START_TEST(test_reserved_resources_reach_only_their_role)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus(prod):4;cpus:2;mem:1024");
    add_framework(a, "dev1", "dev");
    add_framework(a, "prod1", "prod");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 2);
    const seen_offer *dev = offer_of(&log, "dev1", "s1");
    const seen_offer *prod = offer_of(&log, "prod1", "s1");
    ck_assert_ptr_nonnull(dev);
    ck_assert_ptr_nonnull(prod);
    ck_assert(res_is(&dev->res, "cpus:2;mem:1024")); /* "*" only */
    ck_assert(res_is(&prod->res, "cpus(prod):4"));
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_reserved_resources_wait_for_their_role)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus(prod):4;mem(prod):1024");
    add_slave(a, "s2", "h2", "cpus:1;mem:512");
    add_framework(a, "dev1", "dev");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    ck_assert_str_eq(log.v[0].slave, "s2");
    add_framework(a, "prod1", "prod");
    ck_assert_uint_eq(run(a, T0 + 1, &log), 1);
    ck_assert_str_eq(log.v[0].fw, "prod1");
    ck_assert(res_is(&log.v[0].res, "cpus(prod):4;mem(prod):1024"));
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_weights_divide_the_cluster_by_role_weight)
{
    const char *roles[] = {"a", "b"};
    const double weights[] = {1, 3};
    alloc_config cfg = {.allocation_interval = 1, .weight_roles = roles, .weights = weights,
                        .nweights = 2};
    alloc_state *a = alloc_create(&cfg);
    char id[16];
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "s%d", i);
        add_slave(a, id, id, "cpus:1;mem:1024");
    }
    add_framework(a, "fa", "a");
    add_framework(a, "fb", "b");
    offer_log log = {0};
    for (int cycle = 0; cycle < 3; cycle++) run(a, T0 + cycle, &log); /* they keep it all */
    double ca = held(a, "fa", "cpus"), cb = held(a, "fb", "cpus");
    ck_assert_double_eq_tol(ca + cb, 400, 1e-9);
    ck_assert_double_eq_tol(ca, 100, 2);
    ck_assert_double_eq_tol(cb, 300, 2);
    ck_assert_double_eq_tol(alloc_role_share(a, "a"), alloc_role_share(a, "b"), 0.01);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

/* A framework that runs tasks of a fixed size: keeps as many as fit in each offer and
 * recovers the rest. */
typedef struct task_shape {
    const char *fw;
    int64_t cpus_milli, mem_milli;
} task_shape;

static void keep_tasks(alloc_state *a, const seen_offer *o, const task_shape *t, double now)
{
    int64_t cpus = res_scalar_milli(&o->res, "cpus"), mem = res_scalar_milli(&o->res, "mem");
    int64_t n = cpus / t->cpus_milli < mem / t->mem_milli ? cpus / t->cpus_milli
                                                          : mem / t->mem_milli;
    res_set keep = {0}, rest = {0};
    res_add_scalar(&keep, "cpus", "*", (double)(n * t->cpus_milli) / RES_SCALE);
    res_add_scalar(&keep, "mem", "*", (double)(n * t->mem_milli) / RES_SCALE);
    res_copy(&rest, &o->res);
    ck_assert_int_eq(res_subtract(&rest, &keep), 0);
    alloc_recover(a, o->fw, o->slave, &rest, 0, now);
    res_free(&keep);
    res_free(&rest);
}

START_TEST(test_drf_equalizes_dominant_shares)
{
    alloc_state *a = new_allocator();
    char id[16];
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof id, "s%d", i);
        add_slave(a, id, id, "cpus:4.5;mem:8448"); /* leftovers of one fit the other */
    }
    const task_shape shapes[] = {{"cpu_heavy", 1000, 64000}, {"mem_heavy", 100, 1024000}};
    add_framework(a, "cpu_heavy", "*");
    add_framework(a, "mem_heavy", "*");
    offer_log log = {0};
    for (int cycle = 0; cycle < 100; cycle++) {
        run(a, T0 + cycle, &log);
        for (size_t i = 0; i < log.n; i++)
            keep_tasks(a, &log.v[i], &shapes[strcmp(log.v[i].fw, "cpu_heavy") != 0], T0 + cycle);
    }
    double cpu_share = alloc_framework_share(a, "cpu_heavy");
    double mem_share = alloc_framework_share(a, "mem_heavy");
    /* cpu_heavy's dominant resource is cpus, mem_heavy's is mem. */
    ck_assert_double_eq_tol(cpu_share, held(a, "cpu_heavy", "cpus") / 180, 1e-9);
    ck_assert_double_eq_tol(mem_share, held(a, "mem_heavy", "mem") / 337920, 1e-9);
    ck_assert_msg(cpu_share > 0.7 && mem_share > 0.7, "shares %f %f", cpu_share, mem_share);
    ck_assert_msg(cpu_share - mem_share < 0.05 && mem_share - cpu_share < 0.05,
                  "dominant shares differ: cpu_heavy %f, mem_heavy %f", cpu_share, mem_share);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

/* ---- what gets offered at all ------------------------------------------------------------ */

START_TEST(test_inactive_frameworks_get_nothing)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    alloc_deactivate_framework(a, "f1");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 0);
    alloc_activate_framework(a, "f1");
    ck_assert_uint_eq(run(a, T0 + 1, &log), 1);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_inactive_slaves_are_not_offered)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    alloc_deactivate_slave(a, "s1");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 0);
    alloc_activate_slave(a, "s1");
    ck_assert_uint_eq(run(a, T0 + 1, &log), 1);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_whitelist_excludes_hosts)
{
    alloc_state *a = new_allocator();
    const char *hosts[] = {"h1"};
    alloc_update_whitelist(a, hosts, 1);
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_slave(a, "s2", "h2", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    ck_assert_str_eq(log.v[0].slave, "s1");
    alloc_update_whitelist(a, NULL, 0);
    ck_assert_uint_eq(run(a, T0 + 1, &log), 1);
    ck_assert_str_eq(log.v[0].slave, "s2");
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

/* An empty whitelist file offers no slave (Mesos); only no whitelist offers every one. */
START_TEST(test_an_empty_whitelist_offers_no_host)
{
    alloc_state *a = new_allocator();
    static const char *const none[1];
    alloc_update_whitelist(a, none, 0);
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 0);
    alloc_update_whitelist(a, NULL, 0);
    ck_assert_uint_eq(run(a, T0 + 1, &log), 1);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_nothing_below_min_cpus_or_min_mem_is_offered)
{
    alloc_state *a = new_allocator();
    add_slave(a, "tiny", "h1", "cpus:0.009;mem:31.999;disk:1000");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 0);
    add_slave(a, "cpu_only", "h2", "cpus:0.01");
    add_slave(a, "mem_only", "h3", "mem:32");
    ck_assert_uint_eq(run(a, T0 + 1, &log), 2);
    ck_assert_ptr_null(offer_of(&log, "f1", "tiny"));
    /* Leftovers below the minimum stay put too. */
    add_slave(a, "s1", "h4", "cpus:4;mem:4096");
    ck_assert_uint_eq(run(a, T0 + 2, &log), 1);
    recover(a, "f1", "s1", "cpus:0.005;mem:16", 0, T0 + 2);
    ck_assert_uint_eq(run(a, T0 + 3, &log), 0);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

/* ---- removals and re-registration -------------------------------------------------------- */

START_TEST(test_removing_a_slave_drops_its_allocations)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_slave(a, "s2", "h2", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    add_framework(a, "f2", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 2);
    const char *on_s1 = offer_of(&log, "f1", "s1") ? "f1" : "f2";
    const char *on_s2 = strcmp(on_s1, "f1") == 0 ? "f2" : "f1";
    ck_assert_double_eq_tol(alloc_framework_share(a, on_s1), 0.5, 1e-9);
    alloc_remove_slave(a, "s1");
    ck_assert_double_eq_tol(alloc_framework_share(a, on_s1), 0.0, 1e-9);
    ck_assert_double_eq_tol(held(a, on_s1, "cpus"), 0, 1e-9);
    ck_assert_double_eq_tol(alloc_framework_share(a, on_s2), 1.0, 1e-9); /* of a smaller total */
    recover(a, on_s1, "s1", "cpus:4;mem:4096", 0, T0); /* late: ignored */
    ck_assert_uint_eq(run(a, T0 + 1, &log), 0);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_removing_a_framework_frees_its_resources_for_others)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    add_framework(a, "f2", "*");
    ck_assert_uint_eq(run(a, T0 + 1, &log), 0);
    alloc_remove_framework(a, "f1");
    ck_assert(available_is(a, "s1", "cpus:4;mem:4096"));
    ck_assert_double_eq_tol(alloc_framework_share(a, "f1"), 0.0, 1e-9);
    ck_assert_uint_eq(run(a, T0 + 2, &log), 1);
    ck_assert_str_eq(log.v[0].fw, "f2");
    ck_assert(res_is(&log.v[0].res, "cpus:4;mem:4096"));
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_used_resources_are_counted_once_across_reregistration)
{
    alloc_state *a = new_allocator();
    /* After a master failover the slave comes back first, reporting f1's task ... */
    res_set total = parse("cpus:4;mem:4096"), used = parse("cpus:1;mem:1024");
    const char *fws[] = {"f1"}, *slaves[] = {"s1"};
    alloc_add_slave(a, "s1", "h1", &total, fws, &used, 1);
    ck_assert(available_is(a, "s1", "cpus:3;mem:3072"));
    /* ... then f1 re-registers with the same task. */
    alloc_add_framework(a, "f1", "*", slaves, &used, 1);
    ck_assert(available_is(a, "s1", "cpus:3;mem:3072"));
    ck_assert_double_eq_tol(held(a, "f1", "cpus"), 1, 1e-9);
    ck_assert_double_eq_tol(alloc_framework_share(a, "f1"), 0.25, 1e-9);
    recover(a, "f1", "s1", "cpus:1;mem:1024", 0, T0);
    ck_assert(available_is(a, "s1", "cpus:4;mem:4096"));
    res_free(&total);
    res_free(&used);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_unknown_ids_change_nothing)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    alloc_remove_framework(a, "nope");
    alloc_remove_slave(a, "nope");
    alloc_revive(a, "nope");
    recover(a, "nope", "s1", "cpus:1", 5, T0);
    recover(a, "f1", "nope", "cpus:1", 5, T0);
    recover(a, "f1", "s1", "cpus:1", 0, T0); /* holds nothing there yet */
    add_framework(a, "f1", "other"); /* already known */
    ck_assert(available_is(a, "s1", "cpus:4;mem:4096"));
    offer_log log = {0};
    ck_assert_uint_eq(run(a, T0, &log), 1);
    ck_assert_double_eq_tol(alloc_role_share(a, "other"), 0, 1e-9);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

/* ---- cycles over what changed ------------------------------------------------------------ */

static size_t run_changed(alloc_state *a, double now, offer_log *log)
{
    log_clear(log);
    size_t n = alloc_run_changed(a, now, record_offer, log);
    ck_assert_uint_eq(n, log->n);
    return n;
}

START_TEST(test_a_changed_cycle_visits_only_slaves_whose_resources_came_back)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_slave(a, "s2", "h2", "cpus:4;mem:4096");
    add_framework(a, "f1", "*");
    offer_log log = {0};
    ck_assert_uint_eq(run_changed(a, T0, &log), 2); /* all new: both */
    recover(a, "f1", "s2", "cpus:4;mem:4096", 5.0, T0); /* s2 back, but filtered for 5 s */
    ck_assert_uint_eq(run_changed(a, T0, &log), 0);
    recover(a, "f1", "s1", "cpus:4;mem:4096", 0, T0 + 10); /* s1 back; s2's filter is over,
                                                              but s2 did not change */
    ck_assert_uint_eq(run_changed(a, T0 + 10, &log), 1);
    ck_assert_ptr_nonnull(offer_of(&log, "f1", "s1"));
    ck_assert_uint_eq(run_changed(a, T0 + 10, &log), 0); /* nothing changed since */
    ck_assert_uint_eq(run(a, T0 + 10, &log), 1); /* the periodic cycle finds s2 */
    ck_assert_ptr_nonnull(offer_of(&log, "f1", "s2"));
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_a_new_or_revived_framework_makes_every_slave_changed)
{
    alloc_state *a = new_allocator();
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_slave(a, "s2", "h2", "cpus:4;mem:4096");
    offer_log log = {0};
    ck_assert_uint_eq(run_changed(a, T0, &log), 0); /* no framework yet */
    add_framework(a, "f1", "*");
    ck_assert_uint_eq(run_changed(a, T0, &log), 2);
    decline(a, &log.v[0], 100, T0);
    decline(a, &log.v[1], 100, T0);
    ck_assert_uint_eq(run_changed(a, T0 + 1, &log), 0); /* filtered */
    alloc_revive(a, "f1");
    ck_assert_uint_eq(run_changed(a, T0 + 1, &log), 2);
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

START_TEST(test_a_removed_slave_leaves_no_trace_among_the_changed)
{
    alloc_state *a = new_allocator();
    add_framework(a, "f1", "*");
    add_slave(a, "s1", "h1", "cpus:4;mem:4096");
    add_slave(a, "s2", "h2", "cpus:4;mem:4096");
    add_slave(a, "s3", "h3", "cpus:4;mem:4096");
    alloc_remove_slave(a, "s1");
    offer_log log = {0};
    ck_assert_uint_eq(run_changed(a, T0, &log), 2);
    ck_assert_ptr_null(offer_of(&log, "f1", "s1"));
    log_free(&log);
    alloc_destroy(a);
}
END_TEST

/* ---- the actor --------------------------------------------------------------------------- */

typedef struct test_master {
    tu_counter posts;   /* alloc.offers messages */
    tu_counter offers;  /* offers in them */
    char last_fw[64];
    char last_slave[64];
} test_master;

static void on_offers(act_actor *self, const act_msg *msg)
{
    test_master *m = act_state(self);
    const alloc_offers *o = msg->obj;
    ck_assert_ptr_nonnull(o);
    ck_assert_uint_gt(o->n, 0);
    snprintf(m->last_fw, sizeof m->last_fw, "%s", o->v[o->n - 1].framework_id);
    snprintf(m->last_slave, sizeof m->last_slave, "%s", o->v[o->n - 1].slave_id);
    tu_counter_add(&m->offers, o->n);
    tu_counter_add(&m->posts, 1);
}

/* Events handed to the allocator in one go, from the test master's own context (so they
 * are all in the allocator's mailbox before it runs). */
typedef struct event_batch {
    act_pid to;
    alloc_event *ev[8];
    size_t n;
} event_batch;

static void post_batch(act_actor *self, void *arg)
{
    event_batch *b = arg;
    for (size_t i = 0; i < b->n; i++) {
        if (self) act_post(self, &b->to, ALLOC_MSG_EVENT, b->ev[i], alloc_event_free);
        else alloc_event_free(b->ev[i]);
    }
    b->n = 0;
}

static alloc_event *ev_add_framework(const char *id)
{
    alloc_event *ev = alloc_event_new(ALLOC_ADD_FRAMEWORK, id, NULL);
    ev->role = act_strdup("*");
    return ev;
}

static alloc_event *ev_with_resources(alloc_event_kind kind, const char *fw, const char *slave,
                                      const char *resources)
{
    alloc_event *ev = alloc_event_new(kind, fw, slave);
    ev->resources = parse(resources);
    if (kind == ALLOC_ADD_SLAVE) ev->hostname = act_strdup(slave);
    return ev;
}

typedef struct actor_env {
    test_master m;
    act_pid master, alloc;
} actor_env;

static void actor_env_start(actor_env *env, double interval)
{
    memset(env, 0, sizeof *env);
    tu_counter_init(&env->m.posts);
    tu_counter_init(&env->m.offers);
    act_clock_pause();
    tu_runtime_start(1);
    act_actor *m = act_new("master", &env->m);
    act_on_message(m, ALLOC_MSG_OFFERS, on_offers);
    env->master = act_self(m);
    ck_assert_int_eq(act_spawn(m, 0), 0);
    alloc_config cfg = {.allocation_interval = interval};
    env->alloc = alloc_spawn(&cfg, &env->master, 0);
    ck_assert_str_eq(env->alloc.id, ALLOC_ACTOR);
}

static void send_events(actor_env *env, event_batch *b)
{
    b->to = env->alloc;
    ck_assert_int_eq(act_dispatch(&env->master, post_batch, b), 0);
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void actor_env_stop(void)
{
    act_shutdown();
    act_clock_resume();
}

START_TEST(test_actor_batches_a_cycle_after_events_into_one_post)
{
    actor_env env;
    actor_env_start(&env, 1.0);
    event_batch b = {.n = 3};
    b.ev[0] = ev_add_framework("f1");
    b.ev[1] = ev_with_resources(ALLOC_ADD_SLAVE, NULL, "s1", "cpus:4;mem:4096");
    b.ev[2] = ev_with_resources(ALLOC_ADD_SLAVE, NULL, "s2", "cpus:4;mem:4096");
    send_events(&env, &b);
    ck_assert_uint_eq(tu_counter_get(&env.m.posts), 1);
    ck_assert_uint_eq(tu_counter_get(&env.m.offers), 2);
    ck_assert_str_eq(env.m.last_fw, "f1");
    /* A recover brings a prompt cycle that offers the resources again. */
    b.n = 1;
    b.ev[0] = ev_with_resources(ALLOC_RECOVER, "f1", "s1", "cpus:4;mem:4096");
    send_events(&env, &b);
    ck_assert_uint_eq(tu_counter_get(&env.m.posts), 2);
    ck_assert_str_eq(env.m.last_slave, "s1");
    actor_env_stop();
}
END_TEST

START_TEST(test_actor_runs_a_cycle_every_allocation_interval)
{
    actor_env env;
    actor_env_start(&env, 1.0);
    act_counter *runs = act_counter_get("allocator/allocation_runs");
    event_batch b = {.n = 2};
    b.ev[0] = ev_add_framework("f1");
    b.ev[1] = ev_with_resources(ALLOC_ADD_SLAVE, NULL, "s1", "cpus:4;mem:4096");
    send_events(&env, &b);
    ck_assert_uint_eq(tu_counter_get(&env.m.posts), 1);
    /* Declined for 2.5 s: the prompt cycle and the periodic ones at +1 s, +2 s offer nothing. */
    b.n = 1;
    b.ev[0] = ev_with_resources(ALLOC_RECOVER, "f1", "s1", "cpus:4;mem:4096");
    b.ev[0]->refuse_seconds = 2.5;
    send_events(&env, &b);
    uint64_t before = act_counter_value(runs);
    for (int i = 1; i <= 2; i++) {
        act_clock_advance(1.0);
        ck_assert_int_eq(act_clock_settle(), 0);
        ck_assert_uint_eq(act_counter_value(runs), before + (uint64_t)i);
        ck_assert_uint_eq(tu_counter_get(&env.m.posts), 1);
    }
    act_clock_advance(1.0); /* +3 s: the filter has expired */
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(act_counter_value(runs), before + 3);
    ck_assert_uint_eq(tu_counter_get(&env.m.posts), 2);
    ck_assert_str_eq(env.m.last_fw, "f1");
    actor_env_stop();
}
END_TEST

START_TEST(test_actor_metrics_appear_in_the_snapshot)
{
    actor_env env;
    actor_env_start(&env, 1.0);
    ck_assert_int_eq(act_send(NULL, &env.alloc, ALLOC_MSG_RUN, NULL, 0), 0);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(act_counter_value(act_counter_get("allocator/allocation_runs")), 1);
    ck_assert_uint_eq(tu_counter_get(&env.m.posts), 0); /* nothing to offer: no post */
    act_buf out = {0};
    act_metrics_snapshot(&out);
    ck_assert_ptr_nonnull(strstr(out.data, "\"allocator\\/allocation_runs\":1"));
    ck_assert_ptr_nonnull(strstr(out.data, "\"allocator\\/allocation_run_ms\""));
    ck_assert_ptr_nonnull(strstr(out.data, "\"allocator\\/event_queue_dispatches\":0"));
    act_buf_free(&out);
    actor_env_stop();
}
END_TEST

Suite *allocator_suite(void)
{
    Suite *s = suite_create("allocator");
    TCase *sorting = tcase_create("sorter");
    tcase_add_test(sorting, test_sorter_keeps_drf_order_through_many_updates);
    tcase_add_test(sorting, test_sorter_breaks_share_ties_by_allocations_then_name);
    suite_add_tcase(s, sorting);
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_single_framework_gets_the_whole_slave);
    tcase_add_test(core, test_two_frameworks_split_slaves_by_drf);
    tcase_add_test(core, test_lowest_share_framework_is_offered_first);
    tcase_add_test(core, test_partial_accept_makes_just_the_rest_available);
    tcase_add_test(core, test_decline_filter_hides_slave_for_refuse_seconds);
    tcase_add_test(core, test_declined_slave_still_goes_to_other_frameworks);
    tcase_add_test(core, test_filter_covers_only_the_declined_resources);
    tcase_add_test(core, test_revive_clears_filters);
    tcase_add_test(core, test_suppress_stops_offers_until_revive);
    tcase_add_test(core, test_reserved_resources_reach_only_their_role);
    tcase_add_test(core, test_reserved_resources_wait_for_their_role);
    tcase_add_test(core, test_weights_divide_the_cluster_by_role_weight);
    tcase_add_test(core, test_drf_equalizes_dominant_shares);
    tcase_add_test(core, test_inactive_frameworks_get_nothing);
    tcase_add_test(core, test_inactive_slaves_are_not_offered);
    tcase_add_test(core, test_whitelist_excludes_hosts);
    tcase_add_test(core, test_an_empty_whitelist_offers_no_host);
    tcase_add_test(core, test_nothing_below_min_cpus_or_min_mem_is_offered);
    tcase_add_test(core, test_removing_a_slave_drops_its_allocations);
    tcase_add_test(core, test_removing_a_framework_frees_its_resources_for_others);
    tcase_add_test(core, test_used_resources_are_counted_once_across_reregistration);
    tcase_add_test(core, test_unknown_ids_change_nothing);
    tcase_add_test(core, test_a_changed_cycle_visits_only_slaves_whose_resources_came_back);
    tcase_add_test(core, test_a_new_or_revived_framework_makes_every_slave_changed);
    tcase_add_test(core, test_a_removed_slave_leaves_no_trace_among_the_changed);
    suite_add_tcase(s, core);
    TCase *actor = tcase_create("actor");
    tcase_set_timeout(actor, 30);
    tcase_add_test(actor, test_actor_batches_a_cycle_after_events_into_one_post);
    tcase_add_test(actor, test_actor_runs_a_cycle_every_allocation_interval);
    tcase_add_test(actor, test_actor_metrics_appear_in_the_snapshot);
    suite_add_tcase(s, actor);
    return s;
}
