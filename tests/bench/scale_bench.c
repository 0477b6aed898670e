/*
 * scale_bench.c - one real mesos-master (release build) on loopback against hollow slaves
 * (mesos-fleet) and load frameworks (mesos-loadgen), as docs/capacity-planning.md describes.
 * Figures (JSON lines):
 *   scale.slaves.register.<N>    s from starting a fleet of N slaves to the master counting
 *                                N active (N = 50,000)
 *   scale.master.rss_mb.<N>      the master's RSS then
 *   scale.master.kb_per_slave    (that RSS - the RSS before the fleet) / N
 *   scale.master.kb_per_task     the master's RSS growth per task while 100,000 tasks run (10
 *                                frameworks, tasks that run until killed; the frameworks then
 *                                unregister)
 *   scale.tasks.throughput       tasks/s launched to TASK_RUNNING with 10,000 slaves and 100
 *                                frameworks launching 100,000 tasks (0, 1 and 5 s long) at up
 *                                to 10,000/s with at most 100 tasks per framework launched and
 *                                not yet running, from the first launch to the last
 *                                TASK_RUNNING: the rate the cluster sustains when asked for
 *                                more (the line also says the rate offered, the rate launched
 *                                at and the bound). The sustained run the capacity target
 *                                names is SCALE_TASKS=1000000 (the default keeps `make bench`
 *                                bounded; docs/capacity-planning.md has figures)
 *   scale.tasks.latency_p99      ms from the launch call to TASK_RUNNING in that run (and p50)
 *   scale.tasks.cpu_us.<prog>    CPU time (user + system) per task of the master, the fleet and
 *                                the load frameworks in that run
 * SCALE_SLAVES, SCALE_TASK_SLAVES, SCALE_TASKS, SCALE_HELD_TASKS, SCALE_RATE and
 * SCALE_IN_FLIGHT (per framework; 0: no bound) in the environment run it smaller, at another
 * rate or with another bound.
 * scale.failover.reregistered.10000 is in ha_bench (it needs the ZooKeeper ensemble).
 */
#include "tests/bench/bench_cluster.h"

#include <sys/resource.h>

static char bin[PATH_MAX], dir[64];

/* Starts build/bin/<prog> with args (NULL-terminated), stdout to `out` (NULL: /dev/null) and
 * stderr to /dev/null. */
static pid_t start(const char *prog, const char *out, char **args)
{
    char exe[PATH_MAX + 64];
    snprintf(exe, sizeof exe, "%s/%s", bin, prog);
    char *argv[16] = {exe};
    for (int i = 0; args[i] && i < 14; i++) argv[i + 1] = args[i];
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out ? out : "/dev/null", "w", stdout)) _exit(127);
        if (!freopen("/dev/null", "w", stderr)) _exit(127);
        execv(exe, argv);
        _exit(127);
    }
    return pid;
}

static void stop(pid_t pid)
{
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 3000; i++, nap(10))
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Waits until the metric reaches `value` (from below; from above with `down`). */
static bool wait_metric(uint16_t port, const char *name, double value, bool down, double secs)
{
    for (double end = mono() + secs; mono() < end; nap(50)) {
        double v = metric(port, name);
        if (v >= 0 && (down ? v <= value : v >= value)) return true;
    }
    return false;
}

/* CPU seconds (user + system) the process has used so far. */
static double cpu_secs(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    text[n] = '\0';
    char *p = strrchr(text, ')'); /* the command's name may hold spaces */
    unsigned long utime = 0, stime = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                     &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) kb = strtod(line + 6, NULL);
    if (f) fclose(f);
    return kb;
}


static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && atoi(v) > 0 ? atoi(v) : dflt;
}

/* ---- a master and a fleet ------------------------------------------------------------------ */

typedef struct scale_cluster {
    uint16_t port;
    pid_t master, fleet;
    char mflag[64];
} scale_cluster;

static bool master_up(scale_cluster *c)
{
    char port[32], work[128];
    c->port = free_port();
    snprintf(port, sizeof port, "--port=%u", c->port);
    snprintf(work, sizeof work, "--work_dir=%s/master-%u", dir, c->port);
    snprintf(c->mflag, sizeof c->mflag, "--master=127.0.0.1:%u", c->port);
    char *args[] = {"--ip=127.0.0.1", port, work, "--quiet", NULL};
    c->master = start("mesos-master", NULL, args);
    return wait_metric(c->port, "master/elected", 1, false, 60);
}

/* Starts `n` hollow slaves; true once the master counts them active (within `secs`). */
static bool fleet_up(scale_cluster *c, int n, double secs)
{
    char num[32];
    snprintf(num, sizeof num, "--num_slaves=%d", n);
    char *args[] = {c->mflag, "--ip=127.0.0.1", num, "--racks=40", "--quiet", NULL};
    c->fleet = start("mesos-fleet", NULL, args);
    return wait_metric(c->port, "master/slaves_active", n, false, secs);
}

static void cluster_down(scale_cluster *c)
{
    stop(c->fleet);
    stop(c->master);
}

/* ---- mesos-loadgen ------------------------------------------------------------------------- */

/* CPU seconds the last mesos-loadgen that ended used. */
static double loadgen_cpu;

/* Runs mesos-loadgen with args (after --master) and returns its JSON report, or NULL. With
 * `stay` it returns once the report is out and leaves the process in *pid (stop it). */
static json_t *loadgen(scale_cluster *c, char **args, bool stay, pid_t *pid)
{
    struct rusage ru;
    char out[128];
    snprintf(out, sizeof out, "%s/loadgen-%d.json", dir, (int)mono());
    char *argv[12] = {c->mflag};
    int n = 1;
    for (int i = 0; args[i] && n < 10; i++) argv[n++] = args[i];
    if (stay) argv[n++] = "--stay";
    argv[n] = NULL;
    *pid = start("mesos-loadgen", out, argv);
    json_t *report = NULL;
    while (!report) {
        if (!stay && wait4(*pid, NULL, WNOHANG, &ru) == *pid) {
            *pid = 0;
            loadgen_cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                          (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
            report = json_load_file(out, JSON_DISABLE_EOF_CHECK, NULL);
            break;
        }
        report = stay ? json_load_file(out, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
        if (!report) nap(200);
    }
    return report;
}

static double num(json_t *o, const char *name)
{
    return json_number_value(json_object_get(o, name));
}

/* The throughput run's figures from the loadgen's report `r`; `cpu` holds the master's and
 * the fleet's CPU seconds over the run. */
static void emit_tasks(json_t *r, int in_flight, const double cpu[2])
{
    json_t *lat = json_object_get(r, "launch_to_running_ms");
    double tasks = num(r, "running");
    printf("{\"bench\": \"scale.tasks.throughput\", \"value\": %.1f, \"unit\": \"tasks/s\", "
           "\"tasks\": %.0f, \"rate_offered\": %.0f, \"launched_per_sec\": %.1f, "
           "\"max_in_flight_per_framework\": %d}\n", num(r, "running_per_sec"), tasks,
           num(r, "rate_target"), num(r, "launched_per_sec"), in_flight);
    emit("scale.tasks.latency_p50", num(lat, "p50"), "ms");
    emit("scale.tasks.latency_p99", num(lat, "p99"), "ms");
    emit("scale.tasks.cpu_us.master", cpu[0] / tasks * 1e6, "us/task");
    emit("scale.tasks.cpu_us.fleet", cpu[1] / tasks * 1e6, "us/task");
    emit("scale.tasks.cpu_us.loadgen", loadgen_cpu / tasks * 1e6, "us/task");
}

int main(void)
{
    bench_bin_dir(bin);
    snprintf(dir, sizeof dir, "/tmp/mesos-scale-bench-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    signal(SIGPIPE, SIG_IGN);
    int slaves = env_int("SCALE_SLAVES", 50000);
    int task_slaves = env_int("SCALE_TASK_SLAVES", 10000);
    int tasks = env_int("SCALE_TASKS", 100000);
    int held = env_int("SCALE_HELD_TASKS", 100000);
    int rate = env_int("SCALE_RATE", 10000);
    const char *bound = getenv("SCALE_IN_FLIGHT"); /* 0 means none, so not env_int */
    int in_flight = bound && atoi(bound) >= 0 ? atoi(bound) : 100;
    int ok = 1;

    /* registration and memory per slave */
    scale_cluster c = {0};
    if (master_up(&c)) {
        double before = rss_kb(c.master), t0 = mono();
        if (fleet_up(&c, slaves, 900)) {
            double secs = mono() - t0, after = rss_kb(c.master);
            char name[64];
            snprintf(name, sizeof name, "scale.slaves.register.%d", slaves);
            emit(name, secs, "s");
            snprintf(name, sizeof name, "scale.master.rss_mb.%d", slaves);
            emit(name, after / 1024, "MB");
            emit("scale.master.kb_per_slave", (after - before) / slaves, "kB");
        } else {
            fprintf(stderr, "scale_bench: %d hollow slaves did not register\n", slaves);
            ok = 0;
        }
    }
    cluster_down(&c);

    /* memory per running task, then task throughput and latency */
    scale_cluster t = {0};
    if (ok && master_up(&t) && fleet_up(&t, task_slaves, 600)) {
        char ntasks[32];
        snprintf(ntasks, sizeof ntasks, "--tasks=%d", held);
        char *hold[] = {"--frameworks=10", ntasks, "--durations=forever", "--timeout=10mins",
                        NULL};
        double before = rss_kb(t.master);
        pid_t pid;
        json_t *r = loadgen(&t, hold, true, &pid);
        if (r && num(r, "running") == held) {
            emit("scale.master.kb_per_task", (rss_kb(t.master) - before) / held, "kB");
        } else {
            fprintf(stderr, "scale_bench: %d tasks did not all run\n", held);
            ok = 0;
        }
        json_decref(r);
        stop(pid); /* its frameworks unregister: the master kills their tasks */
        if (!wait_metric(t.port, "master/tasks_running", 0, true, 300))
            fprintf(stderr, "scale_bench: the held tasks did not all end\n");
        snprintf(ntasks, sizeof ntasks, "--tasks=%d", tasks);
        char rflag[32], bflag[32];
        snprintf(rflag, sizeof rflag, "--rate=%d", rate);
        snprintf(bflag, sizeof bflag, "--max_in_flight=%d", in_flight);
        char *run[] = {"--frameworks=100", ntasks, rflag, bflag,
                       "--durations=0secs,1secs,5secs", "--timeout=30mins", NULL};
        double cpu[2] = {cpu_secs(t.master), cpu_secs(t.fleet)};
        r = loadgen(&t, run, false, &pid);
        cpu[0] = cpu_secs(t.master) - cpu[0];
        cpu[1] = cpu_secs(t.fleet) - cpu[1];
        if (r && num(r, "running") == tasks) {
            emit_tasks(r, in_flight, cpu);
        } else {
            char *got = r ? json_dumps(r, JSON_COMPACT) : NULL;
            fprintf(stderr, "scale_bench: the throughput run did not get every task running: %s\n",
                    got ? got : "no report");
            free(got);
            ok = 0;
        }
        json_decref(r);
    } else if (ok) {
        fprintf(stderr, "scale_bench: %d hollow slaves did not register\n", task_slaves);
        ok = 0;
    }
    cluster_down(&t);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0) fprintf(stderr, "scale_bench: could not remove %s\n", dir);
    return ok ? 0 : 1;
}
