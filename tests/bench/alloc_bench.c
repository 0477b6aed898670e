/*
 * alloc_bench.c - the allocator core's cycle time at cluster scale, one JSON line per figure.
 * For each size (slaves x frameworks, frameworks spread over a few roles) it times one full
 * alloc_run in which every slave is free (the figure the allocation_interval must cover),
 * counts its offers, then has every framework decline its offers for 5 s and times the next
 * cycle, in which each slave must pass over the framework that declined it.
 */
#include "master/allocator_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define ROLES 4
#define SLAVE_RESOURCES "cpus:16;mem:65536;disk:1000000;ports:[31000-32000]"

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void emit(const char *what, size_t slaves, size_t frameworks, double value,
                 const char *unit)
{
    /* Counts print as integers, times with one decimal. */
    int decimals = strcmp(unit, "ms") == 0 ? 1 : 0;
    printf("{\"bench\": \"alloc.%s.%zux%zu\", \"value\": %.*f, \"unit\": \"%s\"}\n", what,
           slaves, frameworks, decimals, value, unit);
    fflush(stdout);
}

/* The offers of one cycle, kept so they can be declined afterwards. */
typedef struct decisions {
    char (*fw)[24];
    char (*slave)[24];
    res_set *res;
    size_t n, cap;
} decisions;

static void keep_offer(void *ctx, const char *fw, const char *slave, const res_set *r)
{
    decisions *d = ctx;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 1024;
        d->fw = act_realloc(d->fw, d->cap * sizeof *d->fw);
        d->slave = act_realloc(d->slave, d->cap * sizeof *d->slave);
        d->res = act_realloc(d->res, d->cap * sizeof *d->res);
    }
    snprintf(d->fw[d->n], sizeof d->fw[d->n], "%s", fw);
    snprintf(d->slave[d->n], sizeof d->slave[d->n], "%s", slave);
    memset(&d->res[d->n], 0, sizeof d->res[d->n]);
    res_copy(&d->res[d->n], r);
    d->n++;
}

static void decisions_free(decisions *d)
{
    for (size_t i = 0; i < d->n; i++) res_free(&d->res[i]);
    free(d->fw);
    free(d->slave);
    free(d->res);
    memset(d, 0, sizeof *d);
}

static alloc_state *build(size_t slaves, size_t frameworks)
{
    alloc_config cfg = {.allocation_interval = 1.0};
    alloc_state *a = alloc_create(&cfg);
    res_set total = {0};
    if (res_parse_text(SLAVE_RESOURCES, NULL, &total, NULL, 0) != 0) abort();
    char id[32], host[32], role[16];
    for (size_t i = 0; i < slaves; i++) {
        snprintf(id, sizeof id, "S%zu", i);
        snprintf(host, sizeof host, "host%zu", i);
        alloc_add_slave(a, id, host, &total, NULL, NULL, 0);
    }
    for (size_t i = 0; i < frameworks; i++) {
        snprintf(id, sizeof id, "F%04zu", i);
        snprintf(role, sizeof role, "role%zu", i % ROLES);
        alloc_add_framework(a, id, role, NULL, NULL, 0);
    }
    res_free(&total);
    return a;
}

static void bench(size_t slaves, size_t frameworks)
{
    alloc_state *a = build(slaves, frameworks);
    decisions d = {0};
    double now = 1000.0;
    double start = mono_ms();
    size_t offers = alloc_run(a, now, keep_offer, &d);
    emit("cycle", slaves, frameworks, mono_ms() - start, "ms");
    emit("offers", slaves, frameworks, (double)offers, "offers");
    for (size_t i = 0; i < d.n; i++) alloc_recover(a, d.fw[i], d.slave[i], &d.res[i], 5.0, now);
    decisions_free(&d);
    start = mono_ms();
    alloc_run(a, now + 1, keep_offer, &d);
    emit("cycle_after_decline", slaves, frameworks, mono_ms() - start, "ms");
    decisions_free(&d);
    alloc_destroy(a);
}

int main(void)
{
    act_log_set_level(ACT_LOG_WARNING);
    bench(1000, 100);
    bench(10000, 1000);
    bench(50000, 200);
    return 0;
}
