/*
 * security_bench.c - what rate limiting costs the frameworks that keep to their limits: a
 * release master with --rate_limits (principal "flood" at FLOOD_QPS) and a slave; a "calm"
 * framework measures how long an offer takes after it revives (it declines every offer for
 * long), first alone, then while "flood" sends ten times its qps (from the moment a backlog
 * has built up in its queue). Figures: master.rate_limit.offer_latency_p50.unloaded and
 * .loaded (ms), their ratio master.rate_limit.offer_latency_ratio (the issue asks for at most
 * 2), master.rate_limit.flood_sent_qps and master.rate_limit.flood_handled_qps (what "flood"
 * sent, and what the master let through, over FLOOD_SECONDS).
 */
#include "sched/sched.h"
#include "tests/bench/bench_cluster.h"

#include <pthread.h>
#include <stdatomic.h>

#define FLOOD_QPS 50
#define ROUNDS 40
#define BACKLOG_SECONDS 1.0 /* flooding before the loaded latency is measured */
#define FLOOD_SECONDS 3.0   /* the whole flood: long enough for a rate, against its 1st message */

/* A framework that declines every offer for long and counts them. */
typedef struct decliner {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool registered;
    int offers;
} decliner;

static void decliner_registered(sched_driver *d, const wire_framework_id *id,
                            const wire_master_info *mi)
{
    decliner *c = sched_driver_ctx(d);
    pthread_mutex_lock(&c->mu);
    c->registered = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void decliner_offers(sched_driver *d, const wire_offer *o, size_t n)
{
    decliner *c = sched_driver_ctx(d);
    wire_filters long_refuse = {.has_refuse_seconds = true, .refuse_seconds = 1000};
    for (size_t i = 0; i < n; i++) sched_driver_decline_offer(d, &o[i].id, &long_refuse);
    pthread_mutex_lock(&c->mu);
    c->offers++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits until offers > seen (at most 10 s); false if none came. */
static bool wait_offer(decliner *c, int seen)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&c->mu);
    while (c->offers <= seen && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0) {}
    bool ok = c->offers > seen;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

/* The median time (ms) from revive to the next offer, over ROUNDS rounds. */
static double offer_latency_p50(sched_driver *d, decliner *c)
{
    double t[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&c->mu);
        int seen = c->offers;
        pthread_mutex_unlock(&c->mu);
        double start = mono();
        sched_driver_revive_offers(d);
        if (!wait_offer(c, seen)) return -1;
        t[i] = (mono() - start) * 1000;
    }
    qsort(t, ROUNDS, sizeof t[0], cmp);
    return t[ROUNDS / 2];
}

static atomic_bool flooding;
static atomic_int flood_sent;

static void *flood_thread(void *arg)
{
    sched_driver *d = arg;
    while (atomic_load(&flooding)) {
        sched_driver_reconcile_tasks(d, NULL, 0);
        atomic_fetch_add(&flood_sent, 1);
        struct timespec ts = {0, (long)(1e9 / (10 * FLOOD_QPS))};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void sleep_until(double t)
{
    for (double left; (left = t - mono()) > 0;) {
        struct timespec ts = {(time_t)left, (long)((left - (time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static sched_driver *start(const char *master, const char *principal, sched_scheduler *cb,
                           void *ctx)
{
    wire_framework_info fi = {.user = "", .name = (char *)principal, .has_principal = true,
                              .principal = (char *)principal};
    sched_driver *d = sched_driver_new(cb, ctx, &fi, master, NULL);
    sched_driver_start(d);
    return d;
}

int main(void)
{
    char bin[PATH_MAX];
    bench_bin_dir(bin);
    act_log_set_level(ACT_LOG_ERROR);
    char flag[128];
    snprintf(flag, sizeof flag, "--rate_limits={\"limits\": [{\"principal\": \"flood\", "
             "\"qps\": %d}]}", FLOOD_QPS);
    cluster cl;
    if (!cluster_start_with(bin, &cl, flag, NULL)) return 1;
    decliner c = {.registered = false};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    sched_scheduler decliner_cb = {.registered = decliner_registered, .resource_offers = decliner_offers};
    sched_driver *quiet = start(cl.master_addr, "calm", &decliner_cb, &c);
    if (!wait_offer(&c, 0)) {
        fprintf(stderr, "security_bench: no offer; is the cluster up?\n");
        cluster_stop(&cl);
        return 1;
    }
    double unloaded = offer_latency_p50(quiet, &c);
    /* The flood's framework declines what it is offered (for long), as the calm one does. */
    decliner f = {.registered = false};
    pthread_mutex_init(&f.mu, NULL);
    pthread_cond_init(&f.cv, NULL);
    sched_driver *loud = start(cl.master_addr, "flood", &decliner_cb, &f);
    if (!wait_offer(&f, 0)) {
        fprintf(stderr, "security_bench: the flooding framework got no offer\n");
        cluster_stop(&cl);
        return 1;
    }
    double handled0 = metric(cl.master_port, "frameworks/flood/messages_processed");
    double t0 = mono();
    atomic_store(&flooding, true);
    pthread_t th;
    pthread_create(&th, NULL, flood_thread, loud);
    sleep_until(t0 + BACKLOG_SECONDS); /* "flood"'s queue holds most of what it sent */
    double loaded = offer_latency_p50(quiet, &c);
    sleep_until(t0 + FLOOD_SECONDS);
    double handled = metric(cl.master_port, "frameworks/flood/messages_processed") - handled0;
    double secs = mono() - t0;
    atomic_store(&flooding, false);
    pthread_join(th, NULL);
    emit("master.rate_limit.offer_latency_p50.unloaded", unloaded, "ms");
    emit("master.rate_limit.offer_latency_p50.loaded", loaded, "ms");
    emit("master.rate_limit.offer_latency_ratio", unloaded > 0 ? loaded / unloaded : -1, "x");
    emit("master.rate_limit.flood_sent_qps", atomic_load(&flood_sent) / secs, "msgs/s");
    emit("master.rate_limit.flood_handled_qps", handled / secs, "msgs/s");
    sched_driver_abort(loud);
    sched_driver_abort(quiet);
    sched_driver_join(loud);
    sched_driver_join(quiet);
    sched_driver_free(loud);
    sched_driver_free(quiet);
    cluster_stop(&cl);
    return 0;
}
