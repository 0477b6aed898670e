/*
 * ha_bench.c - high availability on a real three-server ZooKeeper ensemble
 * (tools/zk-test-server).
 *
 * Failover: three release mesos-master contend, N mesos-slave and a scheduler driver here
 * find the leader through ZooKeeper with Mesos' default registration backoff (1 s); the
 * leader is SIGKILLed and the clock runs from the kill. Figures (ms):
 * failover.zk_session_timeout (the killed leader's znode lives that long, so the election
 * cannot come sooner), failover.elected (a standby reports itself elected),
 * failover.reregistered.2 / .50 (every slave and the framework re-registered with it) and
 * failover.reregistered_after_election.2 / .50, the part after the election (target: < 1 s).
 * The same with 10,000 hollow slaves of one mesos-fleet: scale.failover.reregistered.10000,
 * ms from the election to every slave and the framework re-registered.
 * Progress is polled from /metrics/snapshot every 5 ms.
 *
 * The registry: 50,000 slaves admitted through the ZooKeeper registrar (registry.zk.admit,
 * operations/s), then read back by a fresh one as a new leader would (registry.zk.recover,
 * ms).
 */
#include "master/master_int.h"
#include "tests/bench/bench_cluster.h"
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

#define MASTERS 3
#define SESSION_SECS 3

#define REGISTRY_SLAVES 50000
#define HOLLOW_SLAVES 10000 /* scale.failover.reregistered: slaves of one mesos-fleet */

static char bin[PATH_MAX], root[PATH_MAX], dir[64], zk_servers[512];

/* Starts argv with stdout and stderr to /dev/null (or `log`). */
static pid_t start(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(log ? log : "/dev/null", "w", stdout);
        if (f) dup2(fileno(f), 2);
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* ---- the framework ----------------------------------------------------------------------- */

typedef struct fw {
    pthread_mutex_t mu;
    double reregistered_at; /* when the driver called reregistered */
} fw;

static void reregistered(sched_driver *d, const wire_master_info *mi)
{
    fw *f = sched_driver_ctx(d);
    pthread_mutex_lock(&f->mu);
    f->reregistered_at = mono();
    pthread_mutex_unlock(&f->mu);
}

static void decline(sched_driver *d, const wire_offer *o, size_t n)
{
    wire_filters forever = {.has_refuse_seconds = true, .refuse_seconds = 3600};
    for (size_t i = 0; i < n; i++) sched_driver_decline_offer(d, &o[i].id, &forever);
}

/* ---- one failover ------------------------------------------------------------------------ */

typedef struct result {
    double elected, reregistered; /* ms after the kill; 0: did not happen */
} result;

/* The elected master among ports[0..n) (-1: none yet). */
static int leader(const uint16_t *ports, const pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        if (pids[i] > 0 && metric(ports[i], "master/elected") == 1) return i;
    return -1;
}

static bool wait_for(uint16_t port, const char *name, double value, double secs)
{
    for (double end = mono() + secs; mono() < end; nap(5))
        if (metric(port, name) == value) return true;
    return false;
}

/* A failover with nslaves slaves: mesos-slave processes, or hollow ones in one mesos-fleet. */
static result failover(int nslaves, bool hollow)
{
    result res = {0, 0};
    char url[700], zkflag[800], session[64];
    snprintf(url, sizeof url, "zk://%s/bench-%d%s", zk_servers, nslaves, hollow ? "-hollow" : "");
    snprintf(zkflag, sizeof zkflag, "--zk=%s", url);
    snprintf(session, sizeof session, "--zk_session_timeout=%dsecs", SESSION_SECS);
    uint16_t mport[MASTERS];
    pid_t mpid[MASTERS];
    char mexe[PATH_MAX + 32], sexe[PATH_MAX + 32], launcher[PATH_MAX + 32];
    snprintf(mexe, sizeof mexe, "%s/mesos-master", bin);
    snprintf(sexe, sizeof sexe, "%s/mesos-slave", bin);
    snprintf(launcher, sizeof launcher, "--launcher_dir=%s", bin);
    for (int i = 0; i < MASTERS; i++) {
        char port[32];
        mport[i] = free_port();
        snprintf(port, sizeof port, "--port=%u", mport[i]);
        char *argv[] = {mexe, "--ip=127.0.0.1", port, zkflag, "--quorum=2", session, "--quiet",
                        NULL};
        mpid[i] = start(argv, NULL);
    }
    int first = -1;
    for (double end = mono() + 60; first < 0 && mono() < end; nap(10))
        first = leader(mport, mpid, MASTERS);
    pid_t *slave = calloc((size_t)nslaves, sizeof *slave);
    if (hollow && first >= 0) {
        char fexe[PATH_MAX + 32], mflag[800], num[32];
        snprintf(fexe, sizeof fexe, "%s/mesos-fleet", bin);
        snprintf(mflag, sizeof mflag, "--master=%s", url);
        snprintf(num, sizeof num, "--num_slaves=%d", nslaves);
        char *argv[] = {fexe, "--ip=127.0.0.1", mflag, num, "--quiet", NULL};
        slave[0] = start(argv, NULL);
    }
    for (int i = 0; i < nslaves && first >= 0 && !hollow; i++) {
        char port[32], work[128], mflag[800];
        snprintf(port, sizeof port, "--port=%u", free_port());
        snprintf(work, sizeof work, "--work_dir=%s/slave-%d-%d", dir, nslaves, i);
        snprintf(mflag, sizeof mflag, "--master=%s", url);
        char *argv[] = {sexe, "--ip=127.0.0.1", port, work, mflag, launcher, "--quiet",
                        "--resources=cpus:1;mem:256;disk:64;ports:[31000-31010]", NULL};
        slave[i] = start(argv, NULL);
    }
    fw f = {.reregistered_at = 0};
    pthread_mutex_init(&f.mu, NULL);
    sched_scheduler cb = {.reregistered = reregistered, .resource_offers = decline};
    wire_framework_info fi = {.user = "", .name = "failover-bench", .has_failover_timeout = true,
                              .failover_timeout = 3600};
    sched_driver *d = sched_driver_new(&cb, &f, &fi, url, NULL);
    sched_driver_start(d);
    bool ready = first >= 0 && wait_for(mport[first], "master/slaves_active", nslaves, 120) &&
                 wait_for(mport[first], "master/frameworks_active", 1, 60);
    if (ready) {
        double t0 = mono();
        kill(mpid[first], SIGKILL);
        waitpid(mpid[first], NULL, 0);
        mpid[first] = 0;
        int next = -1;
        for (double end = t0 + 60; next < 0 && mono() < end; nap(5))
            next = leader(mport, mpid, MASTERS);
        if (next >= 0) {
            res.elected = (mono() - t0) * 1000;
            if (wait_for(mport[next], "master/slaves_active", nslaves, 60) &&
                wait_for(mport[next], "master/frameworks_active", 1, 60)) {
                double end = mono();
                pthread_mutex_lock(&f.mu);
                if (f.reregistered_at > end) end = f.reregistered_at;
                pthread_mutex_unlock(&f.mu);
                res.reregistered = (end - t0) * 1000;
            }
        }
    } else {
        fprintf(stderr, "ha_bench: the cluster of %d slave(s) did not come up\n", nslaves);
    }
    sched_driver_stop(d, false);
    sched_driver_join(d);
    sched_driver_free(d);
    for (int i = 0; i < nslaves; i++)
        if (slave[i] > 0) kill(slave[i], SIGTERM);
    for (int i = 0; i < nslaves; i++)
        if (slave[i] > 0) waitpid(slave[i], NULL, 0);
    for (int i = 0; i < MASTERS; i++)
        if (mpid[i] > 0) kill(mpid[i], SIGTERM), waitpid(mpid[i], NULL, 0);
    free(slave);
    pthread_mutex_destroy(&f.mu);
    return res;
}

/* ---- the registry ------------------------------------------------------------------------ */

typedef struct regb {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char fence[1200];
    size_t applied, refused, recovered;
    bool have_recovered, failed;
} regb;

static regb rb = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, "", 0, 0, 0, false, false};

static void rb_update(void (*fn)(const act_msg *), const act_msg *msg)
{
    pthread_mutex_lock(&rb.mu);
    fn(msg);
    pthread_cond_broadcast(&rb.cv);
    pthread_mutex_unlock(&rb.mu);
}

static void got_candidacy(const act_msg *msg)
{
    const contender_event *e = msg->obj;
    if (e->node) snprintf(rb.fence, sizeof rb.fence, "%s", e->node);
}

static void got_recovered(const act_msg *msg)
{
    const wire_registry *r = ((const wire_msg *)msg->obj)->root;
    rb.recovered = r->slaves ? r->slaves->slaves_count : 0;
    rb.have_recovered = true;
}

static void got_applied(const act_msg *msg)
{
    const reg_result *r = msg->obj;
    if (r->ok) rb.applied++;
    else rb.refused++;
    if (!r->ok) fprintf(stderr, "ha_bench: registry operation failed: %s\n", r->error);
}

static void got_failed(const act_msg *msg)
{
    rb.failed = true;
    fprintf(stderr, "ha_bench: the registry failed: %s\n", (const char *)msg->obj);
}

static void on_candidacy(act_actor *self, const act_msg *msg) { rb_update(got_candidacy, msg); }
static void on_recovered(act_actor *self, const act_msg *msg) { rb_update(got_recovered, msg); }
static void on_applied(act_actor *self, const act_msg *msg) { rb_update(got_applied, msg); }
static void on_failed(act_actor *self, const act_msg *msg) { rb_update(got_failed, msg); }

/* Waits until done() holds, the registry failed, or secs pass. */
static bool rb_wait(bool (*done)(void), double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    pthread_mutex_lock(&rb.mu);
    while (!done() && !rb.failed)
        if (pthread_cond_timedwait(&rb.cv, &rb.mu, &ts) != 0) break;
    bool ok = done() && !rb.failed;
    pthread_mutex_unlock(&rb.mu);
    return ok;
}

static bool fenced(void) { return rb.fence[0] != '\0'; }
static bool recovered(void) { return rb.have_recovered; }
static bool all_applied(void) { return rb.applied + rb.refused == REGISTRY_SLAVES; }

static act_pid registrar(const char *url, const act_pid *owner)
{
    master_config cfg;
    master_config_default(&cfg);
    cfg.registry_in_memory = false;
    cfg.zk = url;
    cfg.registry_store_timeout = 60;
    cfg.registry_fetch_timeout = 600;
    act_pid reg = registrar_zk_spawn(&cfg, owner, 0);
    reg_recover *r = act_calloc(1, sizeof *r);
    r->info = wire_new(WIRE_DESC(master_info));
    r->fence = act_strdup(rb.fence);
    pthread_mutex_lock(&rb.mu);
    rb.have_recovered = false;
    pthread_mutex_unlock(&rb.mu);
    act_post(NULL, &reg, REG_MSG_RECOVER, r, reg_recover_free);
    return reg;
}

/* An admission of a slave that looks like a real one (resources, attributes): ~300 bytes. */
static void admit(const act_pid *reg, size_t i)
{
    reg_op *op = act_calloc(1, sizeof *op);
    op->kind = REG_ADMIT;
    op->token = i + 1;
    op->info = wire_new(WIRE_DESC(slave_info));
    wire_slave_info *info = op->info->root;
    char text[128];
    snprintf(text, sizeof text, "host-%05zu.rack-%02zu.example.com", i, i % 40);
    info->hostname = wire_strdup(op->info, text);
    snprintf(text, sizeof text, "20261201-120000-16777343-5050-4242-S%zu", i);
    info->id = wire_alloc(op->info, sizeof *info->id);
    info->id->value = wire_strdup(op->info, text);
    res_set r = {0};
    res_parse_text("cpus:32;mem:257000;disk:1800000;ports:[31000-32000]", "*", &r, NULL, 0);
    res_to_wire(&r, op->info, &info->resources, &info->resources_count);
    res_free(&r);
    snprintf(text, sizeof text, "rack:r%02zu;os:debian12;zone:z%zu", i % 40, i % 3);
    attr_parse_text(text, op->info, &info->attributes, &info->attributes_count, NULL, 0);
    act_post(NULL, reg, REG_MSG_APPLY, op, reg_op_free);
}

/* Returns false if the registry could not be written or read back. */
static bool registry_bench(double *admits_per_sec, double *recover_ms)
{
    act_actor *a = act_new("registry-bench", NULL);
    act_on_message(a, CONTENDER_MSG, on_candidacy);
    act_on_message(a, REG_MSG_RECOVERED, on_recovered);
    act_on_message(a, REG_MSG_APPLIED, on_applied);
    act_on_message(a, REG_MSG_FAILED, on_failed);
    act_pid self = act_self(a);
    act_spawn(a, 0);
    char url[700];
    snprintf(url, sizeof url, "zk://%s/registry-bench", zk_servers);
    zk_url u;
    if (zk_url_parse(url, &u, NULL, 0) != 0) return false;
    act_pid contender = contender_spawn(&u, 10, "{}", &self, 0);
    zk_url_free(&u);
    if (!rb_wait(fenced, 60)) return false;
    act_pid reg = registrar(url, &self);
    if (!rb_wait(recovered, 60)) return false;
    double t0 = mono();
    for (size_t i = 0; i < REGISTRY_SLAVES; i++) admit(&reg, i);
    if (!rb_wait(all_applied, 600) || rb.refused) return false;
    *admits_per_sec = REGISTRY_SLAVES / (mono() - t0);
    act_terminate(&reg);
    t0 = mono();
    act_pid again = registrar(url, &self);
    if (!rb_wait(recovered, 600) || rb.recovered != REGISTRY_SLAVES) return false;
    *recover_ms = (mono() - t0) * 1000;
    act_terminate(&again);
    act_terminate(&contender);
    return true;
}

/* ---- ZooKeeper --------------------------------------------------------------------------- */

static pid_t zk_start(void)
{
    char script[PATH_MAX + 32], ready[128], ready_flag[160], dir_flag[128];
    snprintf(script, sizeof script, "%s/tools/zk-test-server", root);
    snprintf(ready, sizeof ready, "%s/zk.ready", dir);
    snprintf(ready_flag, sizeof ready_flag, "--ready-file=%s", ready);
    snprintf(dir_flag, sizeof dir_flag, "--dir=%s/zk", dir);
    char *argv[] = {script, "--servers=3", dir_flag, ready_flag, NULL};
    pid_t pid = start(argv, NULL);
    for (int i = 0; i < 6000 && access(ready, R_OK) != 0; i++) nap(10);
    FILE *f = fopen(ready, "r");
    if (!f || !fgets(zk_servers, sizeof zk_servers, f)) {
        if (f) fclose(f);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return -1;
    }
    fclose(f);
    zk_servers[strcspn(zk_servers, "\n")] = '\0';
    return pid;
}

int main(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    snprintf(bin, sizeof bin, "%s/../bin", dirname(self)); /* build/bench -> build/bin */
    if (!getcwd(root, sizeof root)) return 1;                /* make bench runs in the tree */
    snprintf(dir, sizeof dir, "/tmp/mesos-bench-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    act_log_set_level(ACT_LOG_ERROR);
    signal(SIGPIPE, SIG_IGN);
    pid_t zk = zk_start();
    if (zk < 0) {
        fprintf(stderr, "ha_bench: ZooKeeper did not start (tools/zk-test-server)\n");
        return 1;
    }
    act_config rc;
    act_config_default(&rc);
    rc.port = 0;
    if (act_init(&rc) != 0 || act_start() != 0) return 1;
    result two = failover(2, false), fifty = failover(50, false);
    result fleet = failover(HOLLOW_SLAVES, true);
    double admits = 0, recover = 0;
    bool registry_ok = registry_bench(&admits, &recover);
    emit("failover.zk_session_timeout", SESSION_SECS * 1000.0, "ms");
    emit("failover.elected", two.elected, "ms");
    emit("failover.reregistered.2", two.reregistered, "ms");
    emit("failover.reregistered_after_election.2", two.reregistered - two.elected, "ms");
    emit("failover.elected.50", fifty.elected, "ms");
    emit("failover.reregistered.50", fifty.reregistered, "ms");
    emit("failover.reregistered_after_election.50", fifty.reregistered - fifty.elected, "ms");
    char name[64];
    snprintf(name, sizeof name, "scale.failover.reregistered.%d", HOLLOW_SLAVES);
    emit(name, fleet.reregistered - fleet.elected, "ms");
    printf("{\"bench\": \"registry.zk.admit.%d\", \"value\": %.1f, \"unit\": \"ops/s\"}\n",
           REGISTRY_SLAVES, admits);
    printf("{\"bench\": \"registry.zk.recover.%d\", \"value\": %.1f, \"unit\": \"ms\"}\n",
           REGISTRY_SLAVES, recover);
    act_shutdown();
    kill(zk, SIGTERM);
    waitpid(zk, NULL, 0);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0) fprintf(stderr, "ha_bench: could not remove %s\n", dir);
    return two.reregistered > 0 && fifty.reregistered > 0 && fleet.reregistered > 0 &&
                   registry_ok
               ? 0
               : 1;
}
