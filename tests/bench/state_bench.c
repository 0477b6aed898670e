/*
 * state_bench.c - /master/state.json of a large cluster, built in this process: a real master
 * (with its allocator and in-memory registrar) and 10,000 slaves and 1,000 frameworks as
 * actors that speak the master's messages; each framework launches 100 tasks, which the
 * slaves report RUNNING and the frameworks acknowledge. Then state.json is fetched over
 * loopback while a probe measures how long the master's loop goes without handling anything.
 *
 * Figures: state.render.large (ms from the request to the last byte of the response, the
 * best of a few; state.render.large.first is the first fetch, which makes every task's JSON,
 * made once the master has digested the build (its queues empty, its message counters
 * still); state.render.large.first_cpu_ms is the CPU time the master's loop spent on it),
 * state.size.large (bytes), state.render.large.blocked_ms (the longest time the master's loop
 * worked without handling a message while state.json was asked for and sent, in CPU time of
 * the loop's thread, so that time the thread spent preempted on a busy machine does not
 * count; state.render.large.blocked_wall_ms is the same in wall-clock time, preemption
 * included), state.render.large.cold (the median of a few fetches each made with no piece
 * kept, as after a failover; state.render.large.cold_cpu_ms is the master's loop's CPU time
 * for one), metrics.snapshot.rps (GET /metrics/snapshot per second over one keep-alive
 * connection, on the same master). STATE_BENCH_COLD=N does only N cold fetches (to profile
 * them).
 */
#include "master/master_int.h"
#include "tests/bench/bench_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLAVES 10000
#define FRAMEWORKS 1000
#define TASKS_PER_FRAMEWORK 100
#define TASKS (FRAMEWORKS * TASKS_PER_FRAMEWORK)
#define FAKE_LOOP 2 /* the master on loop 0, allocator and registrar on 1, the fakes here */

#define MI(name) "mesos.internal." #name

static act_pid master_pid;
static atomic_int registered_slaves, registered_frameworks, running;

/* ---- slaves ------------------------------------------------------------------------------ */

static void slave_registered(act_actor *self, const act_msg *msg)
{
    atomic_fetch_add(&registered_slaves, 1);
}

static void slave_ping(act_actor *self, const act_msg *msg)
{
    act_send(self, &msg->from, MI(PongSlaveMessage), NULL, 0);
}

/* Every task goes RUNNING at once. */
static void slave_run(act_actor *self, const act_msg *msg)
{
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(run_task_message));
    if (!m) return;
    const wire_run_task_message *r = m->root;
    wire_uuid uuid;
    wire_uuid_random(&uuid);
    char pid[ACT_PID_STRLEN];
    act_pid me = act_self(self);
    wire_status_update_message u = {0};
    u.update.framework_id = r->framework_id;
    u.update.slave_id = (wire_slave_id *)&r->task.slave_id;
    u.update.status.task_id = r->task.task_id;
    u.update.status.state = WIRE_TASK_RUNNING;
    u.update.status.has_source = true;
    u.update.status.source = WIRE_SOURCE_EXECUTOR;
    u.update.status.has_timestamp = true;
    u.update.status.timestamp = act_now();
    u.update.timestamp = act_now();
    u.update.uuid.data = uuid.bytes;
    u.update.uuid.len = sizeof uuid.bytes;
    u.has_pid = true;
    u.pid = act_pid_format(&me, pid, sizeof pid);
    wire_send(self, &master_pid, WIRE_DESC(status_update_message), &u);
    wire_msg_free(m);
}

static void ignore(act_actor *self, const act_msg *msg) {}

static void slave_init(act_actor *self, void *arg)
{
    int i = (int)(intptr_t)arg;
    wire_msg *m = wire_new(WIRE_DESC(register_slave_message));
    wire_register_slave_message *r = m->root;
    char host[64];
    snprintf(host, sizeof host, "host-%05d.example.com", i);
    r->slave.hostname = wire_strdup(m, host);
    r->slave.has_checkpoint = true;
    r->slave.checkpoint = true;
    res_set set = {0};
    res_parse_text("cpus:10;mem:10240;disk:102400;ports:[31000-32000]", "*", &set, NULL, 0);
    res_to_wire(&set, m, &r->slave.resources, &r->slave.resources_count);
    res_free(&set);
    attr_parse_text("rack:r1;zone:z2", m, &r->slave.attributes, &r->slave.attributes_count,
                    NULL, 0);
    wire_send(self, &master_pid, WIRE_DESC(register_slave_message), r);
    wire_msg_free(m);
}

static void spawn_slave(int i)
{
    char name[ACT_ID_MAX];
    snprintf(name, sizeof name, "slave(%d)", i + 1);
    act_actor *a = act_new(name, NULL);
    act_on_message(a, MI(SlaveRegisteredMessage), slave_registered);
    act_on_message(a, MI(PingSlaveMessage), slave_ping);
    act_on_message(a, MI(RunTaskMessage), slave_run);
    act_on_message(a, MI(StatusUpdateAcknowledgementMessage), ignore);
    act_on_init(a, slave_init, (void *)(intptr_t)i);
    act_spawn(a, FAKE_LOOP);
}

/* ---- frameworks -------------------------------------------------------------------------- */

typedef struct framework {
    int index, launched;
    char id[WIRE_ID_MAX];
} framework;

static framework frameworks[FRAMEWORKS];

static void framework_registered(act_actor *self, const act_msg *msg)
{
    framework *f = act_state(self);
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(framework_registered_message));
    if (!m) return;
    snprintf(f->id, sizeof f->id, "%s",
             ((wire_framework_registered_message *)m->root)->framework_id.value);
    wire_msg_free(m);
    atomic_fetch_add(&registered_frameworks, 1);
}

/* Launches up to 10 tasks of 1 cpu and 1 GB per offer (its slave's worth) until it has 100;
 * declines what it does not need. */
static void launch_on(act_actor *self, framework *f, const wire_offer *o)
{
    wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
    wire_launch_tasks_message *l = m->root;
    l->framework_id.value = f->id;
    l->offer_ids = (wire_offer_id *)&o->id;
    l->offer_ids_count = 1;
    l->filters.has_refuse_seconds = true;
    l->filters.refuse_seconds = 3600;
    int n = TASKS_PER_FRAMEWORK - f->launched;
    if (n > 10) n = 10;
    l->tasks = wire_alloc_array(m, WIRE_DESC(task_info), (size_t)(n > 0 ? n : 1));
    res_set r = {0};
    res_parse_text("cpus:1;mem:1024;disk:100", "*", &r, NULL, 0);
    for (int k = 0; k < n; k++) {
        wire_task_info *t = &l->tasks[l->tasks_count++];
        char id[64];
        snprintf(id, sizeof id, "task-%04d-%03d", f->index, f->launched++);
        t->name = wire_strdup(m, id);
        t->task_id.value = wire_strdup(m, id);
        t->slave_id = o->slave_id;
        res_to_wire(&r, m, &t->resources, &t->resources_count);
        t->command = wire_alloc(m, sizeof *t->command);
        t->command->has_value = true;
        t->command->value = "sleep 1000";
    }
    res_free(&r);
    wire_send(self, &master_pid, WIRE_DESC(launch_tasks_message), l);
    wire_msg_free(m);
}

static void framework_offers(act_actor *self, const act_msg *msg)
{
    framework *f = act_state(self);
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(resource_offers_message));
    if (!m) return;
    const wire_resource_offers_message *r = m->root;
    for (size_t i = 0; i < r->offers_count; i++) launch_on(self, f, &r->offers[i]);
    wire_msg_free(m);
}

static void framework_update(act_actor *self, const act_msg *msg)
{
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(status_update_message));
    if (!m) return;
    const wire_status_update *u = &((wire_status_update_message *)m->root)->update;
    if (u->status.state == WIRE_TASK_RUNNING) atomic_fetch_add(&running, 1);
    wire_status_update_acknowledgement_message a = {
        .slave_id = *u->slave_id, .framework_id = u->framework_id,
        .task_id = u->status.task_id, .uuid = u->uuid};
    wire_send(self, &master_pid, WIRE_DESC(status_update_acknowledgement_message), &a);
    wire_msg_free(m);
}

static void framework_init(act_actor *self, void *arg)
{
    framework *f = act_state(self);
    char name[64];
    snprintf(name, sizeof name, "framework-%04d", f->index);
    wire_register_framework_message r = {0};
    r.framework.user = "bench";
    r.framework.name = name;
    r.framework.has_hostname = true;
    r.framework.hostname = "scheduler.example.com";
    wire_send(self, &master_pid, WIRE_DESC(register_framework_message), &r);
}

static void spawn_framework(int i)
{
    framework *f = &frameworks[i];
    f->index = i;
    char name[ACT_ID_MAX];
    snprintf(name, sizeof name, "scheduler-%04d", i);
    act_actor *a = act_new(name, f);
    act_on_message(a, MI(FrameworkRegisteredMessage), framework_registered);
    act_on_message(a, MI(ResourceOffersMessage), framework_offers);
    act_on_message(a, MI(StatusUpdateMessage), framework_update);
    act_on_message(a, MI(RescindResourceOfferMessage), ignore);
    act_on_init(a, framework_init, NULL);
    act_spawn(a, FAKE_LOOP);
}

/* ---- the probe: how long the master's loop goes without handling anything ---------------- */

static atomic_bool probing;
static _Atomic double worst_gap, worst_cpu_gap, last_cpu, first_cpu;
static double epoch;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs on the master's loop; arg is when it was sent (microseconds since epoch). Probes are
 * sent every 0.5 ms, so while the loop works they wait: the loop's CPU time between two of
 * them is how long it worked without handling a message. */
static void probed(act_actor *self, void *arg)
{
    double gap = mono() - epoch - (double)(uintptr_t)arg / 1e6;
    if (gap > atomic_load(&worst_gap)) atomic_store(&worst_gap, gap);
    double cpu = thread_cpu(), last = atomic_load(&last_cpu);
    if (last > 0 && cpu - last > atomic_load(&worst_cpu_gap))
        atomic_store(&worst_cpu_gap, cpu - last);
    if (atomic_load(&first_cpu) == 0) atomic_store(&first_cpu, cpu);
    atomic_store(&last_cpu, cpu);
}

/* Every 0.5 ms while probing: a dispatch onto the master's loop; its delay is how long the
 * loop was busy with something else. */
static void *prober(void *arg)
{
    act_pid probe = act_address();
    snprintf(probe.id, sizeof probe.id, "probe");
    while (atomic_load(&probing)) {
        act_dispatch(&probe, probed, (void *)(uintptr_t)((mono() - epoch) * 1e6));
        struct timespec ts = {0, 500000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* ---- HTTP over loopback ------------------------------------------------------------------ */

static int connect_local(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(act_port()),
                             .sin_addr.s_addr = htonl(0x7f000001u)};
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One GET on fd (keep-alive); reads the whole response into out. Returns the body length,
 * or -1. Handles Content-Length and chunked bodies. */
static long get(int fd, const char *path, act_buf *out)
{
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) return -1;
    act_buf_reset(out);
    char buf[1 << 16];
    size_t head = 0;
    long length = -1;
    bool chunked = false;
    for (;;) {
        if (!head) {
            char *end = out->data ? strstr(out->data, "\r\n\r\n") : NULL;
            if (end) {
                head = (size_t)(end - out->data) + 4;
                const char *cl = strcasestr(out->data, "Content-Length:");
                if (cl && cl < end) length = atol(cl + 15);
                chunked = strcasestr(out->data, "Transfer-Encoding: chunked") != NULL;
            }
        }
        if (head && length >= 0 && out->len >= head + (size_t)length) return length;
        if (head && chunked && out->len >= 5 && memcmp(out->data + out->len - 5, "0\r\n\r\n", 5) == 0)
            return (long)(out->len - head);
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0) return -1;
        act_buf_append(out, buf, (size_t)r);
    }
}


/* ---- the run ----------------------------------------------------------------------------- */

static bool wait_for(atomic_int *v, int target, double secs)
{
    for (double end = mono() + secs; mono() < end; nap(20))
        if (atomic_load(v) >= target) return true;
    return atomic_load(v) >= target;
}

static void build_cluster(void)
{
    act_actor *p = act_new("probe", NULL);
    act_spawn(p, 0);
    master_config cfg;
    master_config_default(&cfg);
    cfg.allocator_loop = 1;
    cfg.allocation_interval = 0.5;
    cfg.hostname = "master.example.com";
    if (master_spawn(&cfg, &master_pid) != 0) {
        fprintf(stderr, "state_bench: the master did not start\n");
        exit(1);
    }
    double t0 = mono();
    for (int i = 0; i < SLAVES; i++) spawn_slave(i);
    if (!wait_for(&registered_slaves, SLAVES, 120)) {
        fprintf(stderr, "state_bench: %d of %d slaves registered\n",
                atomic_load(&registered_slaves), SLAVES);
        exit(1);
    }
    for (int i = 0; i < FRAMEWORKS; i++) spawn_framework(i);
    if (!wait_for(&running, TASKS, 300)) {
        fprintf(stderr, "state_bench: %d of %d tasks running\n", atomic_load(&running), TASKS);
        exit(1);
    }
    fprintf(stderr, "state_bench: %d slaves, %d frameworks, %d tasks running after %.1f s\n",
            SLAVES, FRAMEWORKS, TASKS, mono() - t0);
}

/* ---- settling ---------------------------------------------------------------------------
 * When the last task runs, the master still has the build to digest (acknowledgements,
 * declines of the offers that keep coming, the allocator's backlog). The first fetch waits
 * until that is done, read from the master's own /metrics/snapshot: its mailbox and the
 * allocator's queue empty and its message counters still over SETTLE_STILL_MS. */

#define SETTLE_STILL_MS 200
#define SETTLE_MAX_SECS 20

static const char *const queues[] = {"master/event_queue_messages",
                                     "master/event_queue_dispatches",
                                     "allocator/event_queue_dispatches"};
static const char *const counters[] = {"master/valid_status_updates",
                                       "master/valid_status_update_acknowledgements",
                                       "master/messages_decline_offers",
                                       "master/messages_launch_tasks"};

/* The sum of the counters, or -1 while something waits in a queue (or on error). */
static double master_activity(void)
{
    act_buf out = {0};
    double sum = -1;
    json_t *j = http_get(act_port(), "/metrics/snapshot", &out)
                    ? json_loadb(out.data, out.len, 0, NULL) : NULL;
    for (size_t i = 0; j && i < sizeof counters / sizeof *counters; i++)
        sum = (sum < 0 ? 0 : sum) + json_number_value(json_object_get(j, counters[i]));
    for (size_t i = 0; j && i < sizeof queues / sizeof *queues; i++)
        if (json_number_value(json_object_get(j, queues[i])) > 0) sum = -1;
    json_decref(j);
    act_buf_free(&out);
    return sum;
}

static void settle_master(void)
{
    double t0 = mono(), last = -1;
    while (mono() - t0 < SETTLE_MAX_SECS) {
        double now = master_activity();
        if (now >= 0 && now == last) {
            fprintf(stderr, "state_bench: the master settled in %.1f s\n", mono() - t0);
            return;
        }
        last = now;
        nap(SETTLE_STILL_MS);
    }
    fprintf(stderr, "state_bench: the master did not settle in %d s\n", SETTLE_MAX_SECS);
}

static void measure_state(void)
{
    int fd = connect_local();
    act_buf body = {0};
    double best = 1e9, first = 0, worst_blocked = 0, worst_wall = 0, first_cpu_ms = 0;
    long size = 0;
    for (int round = 0; round < 5; round++) {
        atomic_store(&worst_gap, 0);
        atomic_store(&worst_cpu_gap, 0);
        atomic_store(&last_cpu, 0);
        atomic_store(&first_cpu, 0);
        atomic_store(&probing, true);
        pthread_t t;
        pthread_create(&t, NULL, prober, NULL);
        nap(20);
        double t0 = mono();
        size = get(fd, "/master/state.json", &body);
        double ms = (mono() - t0) * 1000;
        nap(20);
        atomic_store(&probing, false);
        pthread_join(t, NULL);
        if (size <= 0) {
            fprintf(stderr, "state_bench: no state.json\n");
            exit(1);
        }
        if (round == 0) first = ms;
        if (round == 0) /* the loop's CPU time from the first probe to the last */
            first_cpu_ms = (atomic_load(&last_cpu) - atomic_load(&first_cpu)) * 1000;
        if (ms < best) best = ms;
        double wall = atomic_load(&worst_gap) * 1000, cpu = atomic_load(&worst_cpu_gap) * 1000;
        if (wall > worst_wall) worst_wall = wall;
        if (cpu > worst_blocked) worst_blocked = cpu;
    }
    close(fd);
    act_buf_free(&body);
    emit("state.render.large", best, "ms");
    emit("state.render.large.first", first, "ms");
    emit("state.render.large.first_cpu_ms", first_cpu_ms, "ms");
    emit("state.size.large", (double)size, "bytes");
    emit("state.render.large.blocked_ms", worst_blocked, "ms");
    emit("state.render.large.blocked_wall_ms", worst_wall, "ms");
}

/* Drops every kept piece on the master's loop, as a failover or a restart leaves it: the next
 * state.json makes every task's JSON again. */
static atomic_int forgotten;
static _Atomic double loop_cpu; /* the master's loop's CPU time when last read on it */

static void forget(act_actor *self, void *arg)
{
    m_state_forget(act_state(self));
    atomic_store(&loop_cpu, thread_cpu());
    atomic_fetch_add(&forgotten, 1);
}

static void read_cpu(act_actor *self, void *arg)
{
    atomic_store(&loop_cpu, thread_cpu());
    atomic_fetch_add(&forgotten, 1);
}

/* Runs fn on the master's loop and waits for it. */
static void on_master(act_fn fn)
{
    int before = atomic_load(&forgotten);
    act_dispatch(&master_pid, fn, NULL);
    if (!wait_for(&forgotten, before + 1, 10)) {
        fprintf(stderr, "state_bench: the master's loop did not answer\n");
        exit(1);
    }
}

static void sort_in(double *v, int n) /* v[0..n-2] sorted: puts v[n-1] in place */
{
    for (int k = n - 1; k > 0 && v[k] < v[k - 1]; k--) {
        double x = v[k];
        v[k] = v[k - 1], v[k - 1] = x;
    }
}

/* state.render.large.cold: the median of a few fetches, each with nothing kept (as after a
 * failover); state.render.large.cold_cpu_ms: the median CPU time of the master's loop from
 * dropping the pieces to the response's last byte. */
static void measure_cold(int rounds)
{
    int fd = connect_local();
    act_buf body = {0};
    double ms[64], cpu[64];
    if (rounds > 64) rounds = 64;
    for (int round = 0; round < rounds; round++) {
        on_master(forget);
        double cpu0 = atomic_load(&loop_cpu), t0 = mono();
        if (get(fd, "/master/state.json", &body) <= 0) {
            fprintf(stderr, "state_bench: no state.json\n");
            exit(1);
        }
        ms[round] = (mono() - t0) * 1000;
        on_master(read_cpu);
        cpu[round] = (atomic_load(&loop_cpu) - cpu0) * 1000;
        sort_in(ms, round + 1);
        sort_in(cpu, round + 1);
    }
    close(fd);
    act_buf_free(&body);
    emit("state.render.large.cold", ms[rounds / 2], "ms");
    emit("state.render.large.cold_cpu_ms", cpu[rounds / 2], "ms");
}

static void measure_snapshot(void)
{
    int fd = connect_local();
    act_buf body = {0};
    int n = 0;
    double t0 = mono();
    while (mono() - t0 < 2.0) {
        if (get(fd, "/metrics/snapshot", &body) <= 0) break;
        n++;
    }
    double secs = mono() - t0;
    close(fd);
    act_buf_free(&body);
    emit("metrics.snapshot.rps", n / secs, "requests/s");
}

int main(void)
{
    act_log_options lo = {"state_bench", NULL, ACT_LOG_WARNING, false, 0, 0};
    act_log_init(&lo);
    act_config c;
    act_config_default(&c);
    c.ip = "127.0.0.1";
    c.port = 0;
    c.loops = 3;
    if (act_init(&c) != 0 || act_start() != 0) return 1;
    epoch = mono();
    build_cluster();
    settle_master();
    const char *cold_only = getenv("STATE_BENCH_COLD"); /* N: only N cold renders (profiling) */
    if (cold_only) {
        measure_cold(atoi(cold_only));
    } else {
        measure_state();
        measure_cold(5);
        measure_snapshot();
    }
    act_shutdown();
    return 0;
}
