/*
 * tasks_bench.c - task launch throughput and latency on a real cluster: the release
 * mesos-master and mesos-slave on loopback, a scheduler driver here. Figures (JSON lines):
 * tasks.launch.command (command tasks reaching TASK_RUNNING per second, each with its own
 * mesos-executor), tasks.launch.custom (tasks per second through one reused custom executor),
 * tasks.latency.p50 / p99 (ms from the launch call to TASK_RUNNING for a command task launched
 * on an otherwise idle cluster, one at a time).
 */
#include "sched/sched.h"

#include <arpa/inet.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COMMAND_TASKS 200
#define CUSTOM_TASKS 2000
#define LATENCY_TASKS 40

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001u)};
    socklen_t len = sizeof sa;
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

static pid_t spawn(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

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
            wire_task_info *ti = &t[k++];
            ti->name = ti->task_id.value = wire_strdup(m, id);
            ti->slave_id = o[i].slave_id;
            res_set tr = {0};
            res_add_scalar(&tr, "cpus", "*", b->custom ? 0.01 : 0.01);
            res_add_scalar(&tr, "mem", "*", 1);
            res_to_wire(&tr, m, &ti->resources, &ti->resources_count);
            res_free(&tr);
            if (b->custom) {
                ti->executor = b->executor->root;
            } else {
                ti->command = wire_alloc(m, sizeof *ti->command);
                ti->command->has_value = true;
                ti->command->value = "sleep 30";
            }
            b->launched_at[b->launched++] = mono();
            cpus -= per_c;
            mem -= per_m;
        }
        pthread_mutex_unlock(&b->mu);
        wire_filters brief = {.has_refuse_seconds = true, .refuse_seconds = 0.01};
        if (k)
            sched_driver_launch_tasks(d, &o[i].id, 1, t, k, &brief);
        else
            sched_driver_decline_offer(d, &o[i].id, &brief);
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

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, c = *(const double *)y;
    return a < c ? -1 : a > c;
}

static void emit(const char *name, double v, const char *unit)
{
    printf("{\"bench\": \"%s\", \"value\": %.1f, \"unit\": \"%s\"}\n", name, v, unit);
    fflush(stdout);
}

/* Runs one round on a fresh master and slave; returns tasks/s, fills latencies. */
static double round_trip(const char *bin, bool custom, bool sequential, int total, double *p50,
                         double *p99)
{
    char dir[] = "/tmp/mesos-bench-XXXXXX";
    if (!mkdtemp(dir)) return 0;
    uint16_t mp = free_port(), sp = free_port();
    char exe[PATH_MAX + 32], a1[64], a2[PATH_MAX + 32], a3[64];
    snprintf(exe, sizeof exe, "%s/mesos-master", bin);
    snprintf(a1, sizeof a1, "--port=%u", mp);
    snprintf(a2, sizeof a2, "--work_dir=%s/m", dir);
    char *margv[] = {exe, "--ip=127.0.0.1", a1, a2, "--quiet", "--allocation_interval=50ms", NULL};
    pid_t master = spawn(margv);
    char sexe[PATH_MAX + 32], s1[64], s2[PATH_MAX + 32], s3[64], s4[PATH_MAX + 32];
    snprintf(sexe, sizeof sexe, "%s/mesos-slave", bin);
    snprintf(s1, sizeof s1, "--port=%u", sp);
    snprintf(s2, sizeof s2, "--work_dir=%s/s", dir);
    snprintf(s3, sizeof s3, "--master=127.0.0.1:%u", mp);
    snprintf(s4, sizeof s4, "--launcher_dir=%s", bin);
    char *sargv[] = {sexe, "--ip=127.0.0.1", s1, s2, s3, s4, "--quiet",
                     "--resources=cpus:64;mem:65536;disk:1024", NULL};
    pid_t slave = spawn(sargv);
    bench b = {.total = total, .custom = custom, .one_at_a_time = sequential};
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    b.launched_at = calloc((size_t)total, sizeof(double));
    b.running_at = calloc((size_t)total, sizeof(double));
    b.executor = wire_new(WIRE_DESC(executor_info));
    wire_executor_info *e = b.executor->root;
    e->executor_id.value = "bench";
    e->command.has_value = true;
    char ex[PATH_MAX + 32];
    snprintf(ex, sizeof ex, "%s/example-executor", bin);
    e->command.value = wire_strdup(b.executor, ex);
    res_set er = {0};
    res_add_scalar(&er, "cpus", "*", 0.1);
    res_add_scalar(&er, "mem", "*", 32);
    res_to_wire(&er, b.executor, &e->resources, &e->resources_count);
    res_free(&er);
    snprintf(a3, sizeof a3, "127.0.0.1:%u", mp);
    sched_scheduler cb = {.resource_offers = offers, .status_update = status};
    wire_framework_info fi = {.user = "", .name = "bench"};
    sched_driver *d = sched_driver_new(&cb, &b, &fi, a3, NULL);
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
    kill(slave, SIGTERM);
    waitpid(slave, NULL, 0);
    kill(master, SIGTERM);
    waitpid(master, NULL, 0);
    char rm[PATH_MAX + 16];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0) fprintf(stderr, "tasks_bench: could not remove %s\n", dir);
    wire_msg_free(b.executor);
    free(b.launched_at);
    free(b.running_at);
    free(lat);
    if (done < total) fprintf(stderr, "tasks_bench: only %d of %d tasks ran\n", done, total);
    return last > first ? done / (last - first) : 0;
}

int main(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    char bin[PATH_MAX];
    snprintf(bin, sizeof bin, "%s/../bin", dirname(self)); /* build/bench -> build/bin */
    act_log_set_level(ACT_LOG_ERROR);
    double p50, p99, u1, u2;
    double command = round_trip(bin, false, false, COMMAND_TASKS, &u1, &u2);
    emit("tasks.launch.command", command, "tasks/s");
    emit("tasks.launch.command.burst_latency_p50", u1, "ms"); /* 200 at once, queued */
    double custom = round_trip(bin, true, false, CUSTOM_TASKS, &u1, &u2);
    emit("tasks.launch.custom", custom, "tasks/s");
    /* latency from the launch call to TASK_RUNNING, one command task at a time */
    round_trip(bin, false, true, LATENCY_TASKS, &p50, &p99);
    emit("tasks.latency.p50", p50, "ms");
    emit("tasks.latency.p99", p99, "ms");
    return 0;
}
