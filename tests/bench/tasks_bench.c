/*
 * tasks_bench.c - task launch throughput and latency on a real cluster: the release
 * mesos-master and mesos-slave on loopback, a scheduler driver here. Figures (JSON lines):
 * tasks.launch.command (command tasks reaching TASK_RUNNING per second, each with its own
 * mesos-executor), tasks.launch.custom (tasks per second through one reused custom executor),
 * tasks.latency.p50 / p99 (ms from the launch call to TASK_RUNNING for a command task launched
 * on an otherwise idle cluster, one at a time), and the soak of a long-running framework:
 * 20,000 short tasks through one reused custom executor on one slave, with the slave's RSS
 * after 2,000 and after 20,000 tasks and its state.json size at both points
 * (slave.soak.rss_kb.2k, slave.soak.rss_kb.20k, slave.soak.state_bytes.2k, .20k): what a slave
 * keeps of finished work is bounded, so the RSS should not follow the task count. The command
 * launch rate and the latency are measured again with --isolation=cgroups/cpu,cgroups/mem
 * (tasks.launch.command.cgroups, tasks.latency.p50.cgroups / .p99.cgroups: each container's
 * cgroups made, joined, limited and removed) where the machine has those controllers and the
 * bench runs as root; otherwise it says they are skipped.
 */
#include "sched/sched.h"
#include "slave/cgroups_int.h"
#include "tests/bench/bench_cluster.h"

#include <pthread.h>

#define COMMAND_TASKS 200
#define CUSTOM_TASKS 2000
#define LATENCY_TASKS 40
#define SOAK_FIRST 2000
#define SOAK_TOTAL 20000
#define SOAK_IN_FLIGHT 400   /* tasks launched and not yet finished, at most */

typedef struct bench {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int total, launched, running;
    bool custom;
    bool one_at_a_time;  /* latency: the next task only after the previous is RUNNING */
    double *launched_at, *running_at;
    wire_msg *executor;
} bench;

static int task_index(const char *id)
{
    return atoi(id + 1);
}

/* Task `id` on the offer's slave with 0.01 cpus and 1 MB: through `executor` when given, else
 * the command `sleep 30`. */
static void fill_task(wire_msg *m, wire_task_info *ti, const char *id, const wire_offer *o,
                      const wire_msg *executor)
{
    ti->name = ti->task_id.value = wire_strdup(m, id);
    ti->slave_id = o->slave_id;
    res_set tr = {0};
    res_add_scalar(&tr, "cpus", "*", 0.01);
    res_add_scalar(&tr, "mem", "*", 1);
    res_to_wire(&tr, m, &ti->resources, &ti->resources_count);
    res_free(&tr);
    if (executor) {
        ti->executor = executor->root;
        return;
    }
    ti->command = wire_alloc(m, sizeof *ti->command);
    ti->command->has_value = true;
    ti->command->value = "sleep 30";
}

/* Launches the tasks on the offer, or declines it; either way the rest comes back at once. */
static void answer_offer(sched_driver *d, const wire_offer *o, const wire_task_info *t,
                         size_t count)
{
    wire_filters brief = {.has_refuse_seconds = true, .refuse_seconds = 0.01};
    if (count)
        sched_driver_launch_tasks(d, &o->id, 1, t, count, &brief);
    else
        sched_driver_decline_offer(d, &o->id, &brief);
}

static void offers(sched_driver *d, const wire_offer *o, size_t n)
{
    bench *b = sched_driver_ctx(d);
    for (size_t i = 0; i < n; i++) {
        res_set r = {0};
        res_from_wire(o[i].resources, o[i].resources_count, &r, NULL, 0);
        double cpus = res_scalar(&r, "cpus") - (b->custom ? 0.1 : 0);
        double mem = res_scalar(&r, "mem") - (b->custom ? 32 : 0);
        res_free(&r);
        double per_c = b->custom ? 0.01 : 0.11, per_m = b->custom ? 1 : 33;
        wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
        wire_task_info *t = wire_alloc_array(m, WIRE_DESC(task_info), (size_t)b->total);
        size_t k = 0;
        pthread_mutex_lock(&b->mu);
        while (b->launched < b->total && cpus >= per_c && mem >= per_m &&
               (!b->one_at_a_time || (b->launched == b->running && k == 0))) {
            char id[32];
            snprintf(id, sizeof id, "t%d", b->launched);
            fill_task(m, &t[k++], id, &o[i], b->custom ? b->executor : NULL);
            b->launched_at[b->launched++] = mono();
            cpus -= per_c;
            mem -= per_m;
        }
        pthread_mutex_unlock(&b->mu);
        answer_offer(d, &o[i], t, k);
        wire_msg_free(m);
    }
}

static void status(sched_driver *d, const wire_task_status *st)
{
    bench *b = sched_driver_ctx(d);
    if (st->state != WIRE_TASK_RUNNING) return;
    pthread_mutex_lock(&b->mu);
    int i = task_index(st->task_id.value);
    if (i >= 0 && i < b->total && b->running_at[i] == 0) {
        b->running_at[i] = mono();
        b->running++;
    }
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

/* example-executor as the custom executor `id`, with 0.1 cpus and 32 MB of its own. */
static wire_msg *custom_executor(const char *bin, const char *id)
{
    wire_msg *m = wire_new(WIRE_DESC(executor_info));
    wire_executor_info *e = m->root;
    e->executor_id.value = wire_strdup(m, id);
    e->command.has_value = true;
    char ex[PATH_MAX + 32];
    snprintf(ex, sizeof ex, "%s/example-executor", bin);
    e->command.value = wire_strdup(m, ex);
    res_set er = {0};
    res_add_scalar(&er, "cpus", "*", 0.1);
    res_add_scalar(&er, "mem", "*", 32);
    res_to_wire(&er, m, &e->resources, &e->resources_count);
    res_free(&er);
    return m;
}

/* Runs one round on a fresh master and slave; returns tasks/s, fills latencies. */
static double round_trip(const char *bin, bool custom, bool sequential, int total, double *p50,
                         double *p99, const char *const *slave_flags)
{
    cluster c;
    if (!cluster_start(bin, &c, slave_flags)) return 0;
    bench b = {.total = total, .custom = custom, .one_at_a_time = sequential};
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    b.launched_at = calloc((size_t)total, sizeof(double));
    b.running_at = calloc((size_t)total, sizeof(double));
    b.executor = custom_executor(bin, "bench");
    sched_scheduler cb = {.resource_offers = offers, .status_update = status};
    wire_framework_info fi = {.user = "", .name = "bench"};
    sched_driver *d = sched_driver_new(&cb, &b, &fi, c.master_addr, NULL);
    sched_driver_start(d);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 120;
    pthread_mutex_lock(&b.mu);
    while (b.running < total)
        if (pthread_cond_timedwait(&b.cv, &b.mu, &deadline) != 0) break;
    int done = b.running;
    pthread_mutex_unlock(&b.mu);
    double first = 1e300, last = 0;
    double *lat = calloc((size_t)total, sizeof(double));
    int nl = 0;
    for (int i = 0; i < total; i++) {
        if (b.launched_at[i] > 0 && b.launched_at[i] < first) first = b.launched_at[i];
        if (b.running_at[i] > last) last = b.running_at[i];
        if (b.running_at[i] > 0) lat[nl++] = (b.running_at[i] - b.launched_at[i]) * 1000;
    }
    qsort(lat, (size_t)nl, sizeof *lat, cmp);
    *p50 = nl ? lat[nl / 2] : 0;
    *p99 = nl ? lat[nl * 99 / 100] : 0;
    sched_driver_stop(d, false);
    sched_driver_join(d);
    sched_driver_free(d);
    cluster_stop(&c);
    wire_msg_free(b.executor);
    free(b.launched_at);
    free(b.running_at);
    free(lat);
    if (done < total) fprintf(stderr, "tasks_bench: only %d of %d tasks ran\n", done, total);
    return last > first ? done / (last - first) : 0;
}


/* ---- soak: a long-running framework on one slave -------------------------------------------- */

typedef struct soak {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int limit, launched, finished;
    wire_msg *executor;
} soak;

static void soak_offers(sched_driver *d, const wire_offer *o, size_t n)
{
    soak *k = sched_driver_ctx(d);
    for (size_t i = 0; i < n; i++) {
        res_set r = {0};
        res_from_wire(o[i].resources, o[i].resources_count, &r, NULL, 0);
        double cpus = res_scalar(&r, "cpus") - 0.1, mem = res_scalar(&r, "mem") - 32;
        res_free(&r);
        wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
        wire_task_info *t = wire_alloc_array(m, WIRE_DESC(task_info), SOAK_IN_FLIGHT);
        size_t count = 0;
        pthread_mutex_lock(&k->mu);
        while (k->launched < k->limit && k->launched - k->finished < SOAK_IN_FLIGHT &&
               cpus >= 0.01 && mem >= 1) {
            char id[32];
            snprintf(id, sizeof id, "s%d", k->launched++);
            fill_task(m, &t[count++], id, &o[i], k->executor);
            cpus -= 0.01;
            mem -= 1;
        }
        pthread_mutex_unlock(&k->mu);
        answer_offer(d, &o[i], t, count);
        wire_msg_free(m);
    }
}

static void soak_status(sched_driver *d, const wire_task_status *st)
{
    soak *k = sched_driver_ctx(d);
    if (st->state != WIRE_TASK_FINISHED) return;
    pthread_mutex_lock(&k->mu);
    k->finished++;
    pthread_cond_broadcast(&k->cv);
    pthread_mutex_unlock(&k->mu);
}

/* Waits (at most `secs`) until `finished` tasks finished; returns how many did. */
static int soak_wait(soak *k, int finished, int secs)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += secs;
    pthread_mutex_lock(&k->mu);
    while (k->finished < finished)
        if (pthread_cond_timedwait(&k->cv, &k->mu, &deadline) != 0) break;
    int done = k->finished;
    pthread_mutex_unlock(&k->mu);
    return done;
}

/* The slave has nothing left to send: every update of the finished tasks was acknowledged. */
static void slave_quiet(uint16_t port)
{
    for (int i = 0; i < 200; i++) {
        act_buf out = {0};
        json_t *j = http_get(port, "/metrics/snapshot", &out)
                        ? json_loadb(out.data, out.len, 0, NULL) : NULL;
        json_t *v = j ? json_object_get(j, "status-update-manager/pending") : NULL;
        bool quiet = v && json_number_value(v) == 0;
        json_decref(j);
        act_buf_free(&out);
        if (quiet) return;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
}

static double rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %lf kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

static double state_bytes(uint16_t port)
{
    act_buf out = {0};
    double n = http_get(port, "/state.json", &out) ? (double)out.len : 0;
    act_buf_free(&out);
    return n;
}

static void soak_round(const char *bin)
{
    cluster c;
    if (!cluster_start(bin, &c, NULL)) return;
    soak k = {.limit = SOAK_FIRST};
    pthread_mutex_init(&k.mu, NULL);
    pthread_cond_init(&k.cv, NULL);
    k.executor = custom_executor(bin, "soak");
    sched_scheduler cb = {.resource_offers = soak_offers, .status_update = soak_status};
    wire_framework_info fi = {.user = "", .name = "soak"};
    sched_driver *d = sched_driver_new(&cb, &k, &fi, c.master_addr, NULL);
    sched_driver_start(d);
    int done = soak_wait(&k, SOAK_FIRST, 300);
    slave_quiet(c.slave_port);
    emit("slave.soak.rss_kb.2k", rss_kb(c.slave), "kB");
    emit("slave.soak.state_bytes.2k", state_bytes(c.slave_port), "bytes");
    pthread_mutex_lock(&k.mu);
    k.limit = SOAK_TOTAL;
    pthread_mutex_unlock(&k.mu);
    sched_driver_revive_offers(d);
    done = soak_wait(&k, SOAK_TOTAL, 1200);
    slave_quiet(c.slave_port);
    emit("slave.soak.rss_kb.20k", rss_kb(c.slave), "kB");
    emit("slave.soak.state_bytes.20k", state_bytes(c.slave_port), "bytes");
    if (done < SOAK_TOTAL) fprintf(stderr, "tasks_bench: only %d of %d soak tasks finished\n",
                                   done, SOAK_TOTAL);
    sched_driver_stop(d, false);
    sched_driver_join(d);
    sched_driver_free(d);
    cluster_stop(&c);
    wire_msg_free(k.executor);
}

/* ---- the same with cgroups isolation ------------------------------------------------------ */

static void cgroups_rounds(const char *bin)
{
    cg_layout l;
    char err[512], root[64], flag[96];
    if (geteuid() != 0 || cg_layout_detect("/sys/fs/cgroup", &l, err, sizeof err) != 0 ||
        cg_layout_require(&l, CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT) | CG_BIT(CG_MEMORY) |
                          CG_BIT(CG_FREEZER), err, sizeof err) != 0) {
        fprintf(stderr, "tasks_bench: the cgroups figures are skipped: %s\n",
                geteuid() != 0 ? "not root" : err);
        return;
    }
    snprintf(root, sizeof root, "mesos-bench-%d", (int)getpid());
    snprintf(flag, sizeof flag, "--cgroups_root=%s", root);
    const char *flags[] = {"--isolation=cgroups/cpu,cgroups/mem", flag, NULL};
    double p50, p99, u1, u2;
    emit("tasks.launch.command.cgroups",
         round_trip(bin, false, false, COMMAND_TASKS, &u1, &u2, flags), "tasks/s");
    round_trip(bin, false, true, LATENCY_TASKS, &p50, &p99, flags);
    emit("tasks.latency.p50.cgroups", p50, "ms");
    emit("tasks.latency.p99.cgroups", p99, "ms");
    for (int c = 0; c < CG_NCONTROLLERS; c++) { /* the containers' cgroups went with them */
        char dir[PATH_MAX];
        if (cg_remove(cg_dir(&l, (cg_controller)c, root, dir, sizeof dir)) != 0)
            fprintf(stderr, "tasks_bench: cannot remove %s\n", dir);
    }
}

int main(void)
{
    char bin[PATH_MAX];
    bench_bin_dir(bin);
    act_log_set_level(ACT_LOG_ERROR);
    double p50, p99, u1, u2;
    double command = round_trip(bin, false, false, COMMAND_TASKS, &u1, &u2, NULL);
    emit("tasks.launch.command", command, "tasks/s");
    emit("tasks.launch.command.burst_latency_p50", u1, "ms"); /* 200 at once, queued */
    double custom = round_trip(bin, true, false, CUSTOM_TASKS, &u1, &u2, NULL);
    emit("tasks.launch.custom", custom, "tasks/s");
    /* latency from the launch call to TASK_RUNNING, one command task at a time */
    round_trip(bin, false, true, LATENCY_TASKS, &p50, &p99, NULL);
    emit("tasks.latency.p50", p50, "ms");
    emit("tasks.latency.p99", p99, "ms");
    cgroups_rounds(bin);
    soak_round(bin);
    return 0;
}
