/*
 * mesos_loadgen.c - mesos-loadgen: a load framework. It registers --frameworks frameworks in
 * one process (one scheduler driver each, libmesos-sched) and launches --tasks command tasks
 * over them, at --rate tasks per second or as fast as offers allow, with at most
 * --max_in_flight tasks per framework launched and not yet running, each with a duration from
 * the --durations mix (the task's "duration" label, which mesos-fleet's hollow slaves obey,
 * and a `sleep` command, which real slaves run). When every task has ended (or is running, for
 * tasks that run forever), or --timeout passed, it prints one JSON object: how many tasks
 * reached each state, the rate asked for and the rate launched at, tasks per second to
 * TASK_RUNNING and to TASK_FINISHED, the latency from the launch call to TASK_RUNNING (p50,
 * p90, p99, max, from a histogram) and how many terminal updates arrived more than once for a
 * task (0 unless something is wrong).
 *
 * A task needs only its own resources in an offer: the command executor's allowance is the
 * slave's overcommit (as in Mesos 0.22, whose master and mesos-execute do not count it).
 *
 * Threads: the drivers' callbacks run on the runtime's loop thread, a pacer thread launches
 * on held offers when a --rate or a --max_in_flight is set, and main() waits and reports;
 * `mu` guards the state.
 */
#include "sched/sched.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#define PACER_TICK_MS 5
#define PROGRESS_SECS 10.0
#define FOREVER (-1.0)
/* The latency histogram: bucket 0 holds latencies under 1 ms, bucket i >= 1 those in
 * [LAT_BASE^(i-1), LAT_BASE^i) ms, so a percentile is within 1% of the sample's; the last
 * bucket also holds everything longer. */
#define LAT_BASE 1.01
#define LAT_BUCKETS 2048 /* 1.01^2048 ms: about 8 days */

typedef struct loadgen_flags {
    char *master, *durations, *task_resources, *role, *name;
    int64_t frameworks, tasks, max_in_flight;
    double rate, timeout;
    bool stay;
} loadgen_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(loadgen_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    F(master, STRING, NULL, "The master: host:port, zk://host:port[,...]/path or "
      "file:///path (required)."),
    F(frameworks, INT, "1", "How many frameworks to register (one scheduler driver each)."),
    F(tasks, INT, "1000", "How many tasks to launch over all frameworks."),
    F(rate, DOUBLE, "0", "Tasks launched per second over all frameworks (0: as fast as "
      "offers allow)."),
    F(max_in_flight, INT, "0", "At most this many tasks per framework launched and not yet "
      "running (or ended); offers wait meanwhile (0: no bound). With --rate it finds the rate "
      "the cluster sustains."),
    F(durations, STRING, "1secs", "Comma-separated task durations, taken in turn (e.g. "
      "'0secs,1secs,30secs'); 'forever' runs until killed."),
    F(task_resources, STRING, "cpus:0.1;mem:32", "Each task's resources."),
    F(role, STRING, "*", "The frameworks' role."),
    F(name, STRING, "loadgen", "Framework names are <name>-<i>; task IDs <name>-<n>."),
    F(timeout, DURATION, "10mins", "Give up (and report) after this long."),
    F(stay, BOOL, "false", "After the report, keep the frameworks and their tasks until "
      "SIGINT or SIGTERM (to measure a master holding them)."),
};

struct loadgen;

/* An offer waiting for the rate's budget or its framework's room in flight. */
typedef struct held_offer {
    wire_offer_id id;    /* value owned */
    wire_slave_id slave; /* value owned */
    size_t fit;          /* tasks it can take */
} held_offer;

typedef struct lg_framework {
    struct loadgen *lg;
    sched_driver *driver;
    bool done;         /* offers suppressed: nothing more to launch */
    size_t in_flight;  /* launched, neither running nor ended yet */
    held_offer *held;  /* its held offers, oldest first from held[head] */
    size_t head, nheld, held_cap;
} lg_framework;

/* What every task with one duration shares, built once: the driver copies a launch's tasks,
 * so they point here instead of each carrying its own copies. */
typedef struct task_shape {
    wire_command_info command;
    wire_labels *labels;  /* the duration label; NULL for tasks that run forever */
} task_shape;

typedef struct loadgen {
    const loadgen_flags *f;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    res_set task;       /* a task's resources */
    double *durations;
    size_t ndurations;
    wire_msg *shared;   /* owns what the shapes and resources point at */
    task_shape *shapes; /* by duration */
    wire_resource *resources; /* a task's resources, as sent */
    size_t nresources;
    lg_framework *fws;
    size_t nfws, total;
    size_t name_len;    /* of --name, the task IDs' prefix */
    size_t next_fw;     /* the framework the pacer's next round starts with */
    size_t launched, running, finished, failed, killed, lost, errors, duplicates;
    size_t settled;     /* tasks that ended, or run forever and are running */
    size_t in_flight_peak; /* the most any framework had in flight */
    double start, first_launch, last_launch, last_running, last_finished;
    double *launched_at;              /* per task, monotonic seconds */
    size_t latency[LAT_BUCKETS + 1];  /* launch to TASK_RUNNING; see LAT_BASE */
    double latency_max;               /* ms */
    bool *is_running;                 /* per task: TASK_RUNNING seen */
    uint8_t *ended;                   /* per task: terminal updates received (saturating) */
    bool *is_settled;
    char *error;                      /* a driver's error, if any */
    bool signalled;
} loadgen;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- tasks ------------------------------------------------------------------------------- */

/* Task n's index from its ID "<name>-<n>"; -1 if it is not one of ours. Runs for every
 * status update, so it reads the digits itself. */
static long task_index(const loadgen *lg, const char *id)
{
    size_t len = lg->name_len, n = 0;
    if (strncmp(id, lg->f->name, len) != 0 || id[len] != '-') return -1;
    const char *p = id + len + 1;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((n = 10 * n + (size_t)(*p - '0')) >= lg->total) return -1;
    return *p ? -1 : (long)n;
}

/* Task n's ID, "<name>-<n>", in m's arena. Runs for every task launched, so it writes the
 * digits itself. */
static char *task_id(const loadgen *lg, wire_msg *m, size_t n)
{
    char digits[24];
    size_t len = lg->name_len, ndigits = (size_t)(act_put_u64(digits, n) - digits);
    char *id = wire_alloc(m, len + ndigits + 2);
    memcpy(id, lg->f->name, len);
    id[len] = '-';
    memcpy(id + len + 1, digits, ndigits);
    id[len + 1 + ndigits] = '\0';
    return id;
}

/* Builds what the tasks of each duration share: a `sleep` command (real slaves run it) and
 * the duration label (hollow slaves obey it). */
static void shapes_build(loadgen *lg)
{
    wire_msg *m = lg->shared = wire_new(WIRE_DESC(labels));
    res_to_wire(&lg->task, m, &lg->resources, &lg->nresources);
    lg->shapes = act_calloc(lg->ndurations, sizeof *lg->shapes);
    for (size_t i = 0; i < lg->ndurations; i++) {
        char text[64];
        double secs = lg->durations[i];
        task_shape *sh = &lg->shapes[i];
        wire_init(WIRE_DESC(command_info), &sh->command);
        if (secs == FOREVER) snprintf(text, sizeof text, "sleep infinity");
        else snprintf(text, sizeof text, "sleep %.3f", secs);
        sh->command.has_value = true;
        sh->command.value = wire_strdup(m, text);
        if (secs == FOREVER) continue;
        sh->labels = wire_alloc(m, sizeof *sh->labels);
        wire_init(WIRE_DESC(labels), sh->labels);
        sh->labels->labels = wire_alloc_array(m, WIRE_DESC(label), 1);
        sh->labels->labels_count = 1;
        sh->labels->labels[0].key = "duration";
        snprintf(text, sizeof text, "%.3fsecs", secs);
        sh->labels->labels[0].has_value = true;
        sh->labels->labels[0].value = wire_strdup(m, text);
    }
}

/* Fills task n for the offer's slave: its ID (also its name) in m's arena, the rest pointing
 * at the shared shapes and at `slave`, which the launch copies. */
static void task_fill(loadgen *lg, wire_msg *m, wire_task_info *t, size_t n,
                      const wire_slave_id *slave)
{
    task_shape *sh = &lg->shapes[n % lg->ndurations];
    t->name = t->task_id.value = task_id(lg, m, n);
    t->slave_id = *slave;
    t->resources = lg->resources;
    t->resources_count = lg->nresources;
    t->command = &sh->command;
    t->labels = sh->labels;
}

/* How many more tasks may be launched now (the rate's budget, the tasks left). */
static size_t budget(const loadgen *lg)
{
    size_t left = lg->total - lg->launched;
    if (lg->f->rate <= 0) return left;
    double allowed = floor(lg->f->rate * (mono() - lg->start)) - (double)lg->launched;
    return allowed <= 0 ? 0 : allowed < (double)left ? (size_t)allowed : left;
}

/* How many tasks fit in the offer's resources, in one pass over the task's: the fewest any one
 * of them allows. A scalar allows the offer's amount over the task's; ranges or set items,
 * once one task takes them, are gone, so they allow one. */
static size_t fit(const loadgen *lg, const wire_offer *o)
{
    res_set have = {0};
    res_from_wire(o->resources, o->resources_count, &have, NULL, 0);
    size_t n = res_contains(&have, &lg->task) ? SIZE_MAX : 0;
    for (size_t i = 0; i < lg->task.n && n > 0; i++) {
        const res_entry *want = &lg->task.v[i];
        size_t k = 1;
        if (want->type == WIRE_VALUE_SCALAR)
            k = (size_t)(res_find(&have, want->name, want->role, want->type)->scalar /
                         want->scalar);
        if (k < n) n = k;
    }
    res_free(&have);
    return n;
}

/* Launches n tasks on one offer (mu held); what they leave goes back to the master at once. */
static void launch_on(loadgen *lg, lg_framework *fw, const wire_offer_id *id,
                      const wire_slave_id *slave, size_t n)
{
    wire_msg *m = wire_new(WIRE_DESC(launch_tasks_message));
    wire_task_info *tasks = wire_alloc_array(m, WIRE_DESC(task_info), n);
    double now = mono();
    for (size_t i = 0; i < n; i++) {
        size_t k = lg->launched++;
        task_fill(lg, m, &tasks[i], k, slave);
        lg->launched_at[k] = now;
    }
    wire_filters filters = {.has_refuse_seconds = true, .refuse_seconds = 0};
    if (!lg->first_launch) lg->first_launch = now;
    lg->last_launch = now;
    fw->in_flight += n;
    if (fw->in_flight > lg->in_flight_peak) lg->in_flight_peak = fw->in_flight;
    sched_driver_launch_tasks(fw->driver, id, 1, tasks, n, &filters);
    wire_msg_free(m);
    if (lg->launched == lg->total) pthread_cond_broadcast(&lg->cv);
}

/* Nothing more to launch: no more offers for this framework. */
static void finish_launching(lg_framework *fw)
{
    if (fw->done) return;
    fw->done = true;
    sched_driver_suppress_offers(fw->driver);
}

/* ---- held offers (a --rate, a --max_in_flight) --------------------------------------------
 * Offers wait until the rate's budget and their framework's room in flight cover all the
 * tasks one can take (or all that are left, or the bound), then get them in one launch: the
 * rate holds on average, in whole offers. Each framework queues its own, oldest first, and
 * launches in that order: an offer its room in flight cannot take yet waits, and the
 * framework's later ones with it. So a pacer round looks at one offer per framework however
 * many wait (with ten thousand slaves, thousands do while every framework is at its bound). */

static bool holds_offers(const loadgen *lg)
{
    return lg->f->rate > 0 || lg->f->max_in_flight > 0;
}

/* How many tasks the framework may still put in flight. */
static size_t room(const loadgen *lg, const lg_framework *fw)
{
    size_t max = (size_t)lg->f->max_in_flight;
    if (!max) return SIZE_MAX;
    return fw->in_flight < max ? max - fw->in_flight : 0;
}

/* How many tasks one launch on the held offer takes. */
static size_t batch(const loadgen *lg, const held_offer *h)
{
    size_t left = lg->total - lg->launched, want = h->fit < left ? h->fit : left;
    size_t max = (size_t)lg->f->max_in_flight;
    return max && want > max ? max : want;
}

static void hold(lg_framework *fw, const wire_offer *o, size_t n)
{
    if (fw->head + fw->nheld == fw->held_cap) {
        if (fw->head) { /* room at the front: the queue moves there */
            memmove(fw->held, fw->held + fw->head, fw->nheld * sizeof *fw->held);
            fw->head = 0;
        } else {
            fw->held_cap = fw->held_cap ? 2 * fw->held_cap : 16;
            fw->held = act_realloc(fw->held, fw->held_cap * sizeof *fw->held);
        }
    }
    held_offer *h = &fw->held[fw->head + fw->nheld++];
    h->id.value = act_strdup(o->id.value);
    h->slave.value = act_strdup(o->slave_id.value);
    h->fit = n;
}

static void held_free(held_offer *h)
{
    free(h->id.value);
    free(h->slave.value);
}

/* Forgets fw's held offer with this id (NULL: all of them); declines them first when
 * `decline`. */
static void held_drop(lg_framework *fw, const char *id, bool decline)
{
    size_t k = 0;
    for (size_t i = fw->head; i < fw->head + fw->nheld; i++) {
        held_offer *h = &fw->held[i];
        if (id && strcmp(h->id.value, id) != 0) {
            fw->held[k++] = *h;
            continue;
        }
        if (decline) sched_driver_decline_offer(fw->driver, &h->id, NULL);
        held_free(h);
    }
    fw->head = 0;
    fw->nheld = k;
}

/* Launches fw's oldest held offers while *allowed and its room in flight cover them (mu
 * held). Returns false once the budget does not: that offer waits, first in line. */
static bool launch_framework(loadgen *lg, lg_framework *fw, size_t *allowed)
{
    for (; fw->nheld; fw->head++, fw->nheld--) {
        held_offer *h = &fw->held[fw->head];
        size_t want = batch(lg, h);
        if (want > *allowed) return false;
        if (want == 0 || want > room(lg, fw)) return true;
        launch_on(lg, fw, &h->id, &h->slave, want);
        *allowed -= want;
        held_free(h);
    }
    fw->head = 0;
    return true;
}

/* One round of launches on held offers within the budget, a framework at a time (mu held).
 * Rounds start one framework further each time, and where the budget ran out the last time,
 * so no framework is always first in line. */
static void launch_held(loadgen *lg)
{
    size_t allowed = budget(lg);
    for (size_t j = 0; j < lg->nfws; j++) {
        size_t i = (lg->next_fw + j) % lg->nfws;
        if (!launch_framework(lg, &lg->fws[i], &allowed)) {
            lg->next_fw = i;
            return;
        }
    }
    lg->next_fw = (lg->next_fw + 1) % lg->nfws;
}

/* ---- callbacks --------------------------------------------------------------------------- */

static void on_offers(sched_driver *d, const wire_offer *offers, size_t count)
{
    lg_framework *fw = sched_driver_ctx(d);
    loadgen *lg = fw->lg;
    pthread_mutex_lock(&lg->mu);
    for (size_t i = 0; i < count; i++) {
        const wire_offer *o = &offers[i];
        size_t n = fit(lg, o), left = lg->total - lg->launched;
        if (left == 0) {
            wire_filters forever = {.has_refuse_seconds = true, .refuse_seconds = 3600};
            sched_driver_decline_offer(d, &o->id, &forever);
            finish_launching(fw);
        } else if (n == 0) {
            sched_driver_decline_offer(d, &o->id, NULL); /* too small: the default filter */
        } else if (holds_offers(lg)) {
            hold(fw, o, n);
        } else {
            launch_on(lg, fw, &o->id, &o->slave_id, n < left ? n : left);
        }
    }
    pthread_mutex_unlock(&lg->mu);
}

static void on_rescinded(sched_driver *d, const wire_offer_id *id)
{
    lg_framework *fw = sched_driver_ctx(d);
    pthread_mutex_lock(&fw->lg->mu);
    held_drop(fw, id->value, false);
    pthread_mutex_unlock(&fw->lg->mu);
}

/* The master is gone for now: the offers it made are void. */
static void on_disconnected(sched_driver *d)
{
    lg_framework *fw = sched_driver_ctx(d);
    pthread_mutex_lock(&fw->lg->mu);
    held_drop(fw, NULL, false);
    pthread_mutex_unlock(&fw->lg->mu);
}

static void settle(loadgen *lg, long n)
{
    if (lg->is_settled[n]) return;
    lg->is_settled[n] = true;
    if (++lg->settled == lg->total) pthread_cond_broadcast(&lg->cv);
}

static void count_terminal(loadgen *lg, long n, wire_task_state state, double now)
{
    if (lg->ended[n] < UINT8_MAX) lg->ended[n]++;
    if (lg->ended[n] > 1) {
        lg->duplicates++;
        return;
    }
    switch (state) {
    case WIRE_TASK_FINISHED: lg->finished++, lg->last_finished = now; break;
    case WIRE_TASK_FAILED: lg->failed++; break;
    case WIRE_TASK_KILLED: lg->killed++; break;
    case WIRE_TASK_LOST: lg->lost++; break;
    default: lg->errors++; break;
    }
    settle(lg, n);
}

/* Task n reached TASK_RUNNING `ms` after its launch call. */
static void count_running(loadgen *lg, long n, double now)
{
    lg->is_running[n] = true;
    lg->running++;
    lg->last_running = now;
    double ms = (now - lg->launched_at[n]) * 1000.0;
    size_t b = ms < 1 ? 0 : 1 + (size_t)(log(ms) / log(LAT_BASE));
    lg->latency[b < LAT_BUCKETS ? b : LAT_BUCKETS]++;
    if (ms > lg->latency_max) lg->latency_max = ms;
    if (lg->durations[n % lg->ndurations] == FOREVER) settle(lg, n);
}

static void on_status(sched_driver *d, const wire_task_status *st)
{
    lg_framework *fw = sched_driver_ctx(d);
    loadgen *lg = fw->lg;
    long n = task_index(lg, st->task_id.value);
    if (n < 0) return;
    double now = mono();
    pthread_mutex_lock(&lg->mu);
    bool was_in_flight = !lg->is_running[n] && !lg->ended[n];
    if (wire_task_state_terminal(st->state)) count_terminal(lg, n, st->state, now);
    else if (st->state == WIRE_TASK_RUNNING && !lg->is_running[n]) count_running(lg, n, now);
    if (was_in_flight && (lg->is_running[n] || lg->ended[n]) && fw->in_flight > 0)
        fw->in_flight--;
    pthread_mutex_unlock(&lg->mu);
}

static void on_error(sched_driver *d, const char *message)
{
    lg_framework *fw = sched_driver_ctx(d);
    pthread_mutex_lock(&fw->lg->mu);
    if (!fw->lg->error) fw->lg->error = act_strdup(message);
    pthread_cond_broadcast(&fw->lg->cv);
    pthread_mutex_unlock(&fw->lg->mu);
}

/* ---- the pacer (held offers) ------------------------------------------------------------- */

static bool finished(const loadgen *lg)
{
    return lg->settled == lg->total || lg->error || lg->signalled;
}

static void *pacer(void *arg)
{
    loadgen *lg = arg;
    pthread_mutex_lock(&lg->mu);
    while (!finished(lg)) {
        launch_held(lg);
        for (size_t i = 0; lg->launched == lg->total && i < lg->nfws; i++) {
            held_drop(&lg->fws[i], NULL, true);
            finish_launching(&lg->fws[i]);
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += PACER_TICK_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&lg->cv, &lg->mu, &ts);
    }
    pthread_mutex_unlock(&lg->mu);
    return NULL;
}

/* ---- the report -------------------------------------------------------------------------- */

/* Percentile p (0..1) of the launch-to-running latencies in ms: the upper bound of the
 * bucket holding the sample of rank ceil(p * n), but never above the largest sample. */
static double percentile(const loadgen *lg, double p)
{
    size_t rank = (size_t)ceil(p * (double)lg->running), seen = 0;
    if (rank == 0) return 0;
    for (size_t b = 0; b <= LAT_BUCKETS; b++) {
        seen += lg->latency[b];
        if (seen >= rank) return fmin(pow(LAT_BASE, (double)b), lg->latency_max);
    }
    return lg->latency_max;
}

static double per_second(size_t count, double from, double to)
{
    return count && to > from ? (double)count / (to - from) : 0;
}

static void latency_json(const loadgen *lg, act_json *j)
{
    act_json_key(j, "launch_to_running_ms");
    act_json_object_begin(j);
    act_json_kv_double(j, "p50", round(percentile(lg, 0.5) * 10) / 10);
    act_json_kv_double(j, "p90", round(percentile(lg, 0.9) * 10) / 10);
    act_json_kv_double(j, "p99", round(percentile(lg, 0.99) * 10) / 10);
    act_json_kv_double(j, "max", round(lg->latency_max * 10) / 10);
    act_json_object_end(j);
}

static void report(const loadgen *lg, bool timed_out)
{
    act_buf out = {0};
    act_json j;
    act_json_init(&j, &out);
    act_json_object_begin(&j);
    act_json_kv_int(&j, "frameworks", (int64_t)lg->nfws);
    act_json_kv_int(&j, "tasks", (int64_t)lg->total);
    act_json_kv_double(&j, "rate_target", lg->f->rate);
    act_json_kv_int(&j, "max_in_flight", lg->f->max_in_flight);
    act_json_kv_int(&j, "in_flight_peak", (int64_t)lg->in_flight_peak);
    act_json_kv_int(&j, "launched", (int64_t)lg->launched);
    act_json_kv_int(&j, "running", (int64_t)lg->running);
    act_json_kv_int(&j, "finished", (int64_t)lg->finished);
    act_json_kv_int(&j, "failed", (int64_t)lg->failed);
    act_json_kv_int(&j, "killed", (int64_t)lg->killed);
    act_json_kv_int(&j, "lost", (int64_t)lg->lost);
    act_json_kv_int(&j, "error", (int64_t)lg->errors);
    act_json_kv_int(&j, "duplicate_terminal_updates", (int64_t)lg->duplicates);
    double t0 = lg->first_launch;
    act_json_kv_double(&j, "elapsed_secs", round((mono() - lg->start) * 1000) / 1000);
    act_json_kv_double(&j, "launched_per_sec",
                       round(per_second(lg->launched, t0, lg->last_launch) * 10) / 10);
    act_json_kv_double(&j, "running_per_sec",
                       round(per_second(lg->running, t0, lg->last_running) * 10) / 10);
    act_json_kv_double(&j, "finished_per_sec",
                       round(per_second(lg->finished, t0, lg->last_finished) * 10) / 10);
    latency_json(lg, &j);
    act_json_kv_bool(&j, "timed_out", timed_out);
    if (lg->error) act_json_kv_string(&j, "driver_error", lg->error);
    act_json_object_end(&j);
    printf("%s\n", out.data);
    fflush(stdout);
    act_buf_free(&out);
}

/* ---- set-up ------------------------------------------------------------------------------ */

/* Parses the --durations list into lg. Returns 0 or -1 with the reason in err. */
static int parse_durations(loadgen *lg, const char *text, char *err, size_t errlen)
{
    char *copy = act_strdup(text), *save = NULL;
    for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        while (*p == ' ') p++;
        double secs = FOREVER;
        if (strcmp(p, "forever") != 0 && (act_duration_parse(p, &secs) != 0 || secs < 0)) {
            snprintf(err, errlen, "--durations: '%s' is not a duration (e.g. 10secs) nor "
                     "'forever'", p);
            free(copy);
            return -1;
        }
        lg->durations = act_realloc(lg->durations, (lg->ndurations + 1) * sizeof(double));
        lg->durations[lg->ndurations++] = secs;
    }
    free(copy);
    return lg->ndurations ? 0 : (snprintf(err, errlen, "--durations is empty"), -1);
}

static int setup(loadgen *lg, const loadgen_flags *f, char *err, size_t errlen)
{
    if (!f->master) return snprintf(err, errlen, "--master is required"), -1;
    if (f->frameworks < 1 || f->tasks < 1)
        return snprintf(err, errlen, "--frameworks and --tasks must be at least 1"), -1;
    if (f->rate < 0) return snprintf(err, errlen, "--rate must not be negative"), -1;
    if (f->max_in_flight < 0)
        return snprintf(err, errlen, "--max_in_flight must not be negative"), -1;
    if (!act_name_valid(f->name)) return snprintf(err, errlen, "--name '%s' is not usable in "
                                                  "task IDs", f->name), -1;
    if (parse_durations(lg, f->durations, err, errlen) != 0) return -1;
    if (res_parse(f->task_resources, "*", &lg->task, err, errlen) != 0) return -1;
    if (res_empty(&lg->task)) return snprintf(err, errlen, "--task_resources is empty"), -1;
    shapes_build(lg);
    lg->f = f;
    lg->total = (size_t)f->tasks;
    lg->name_len = strlen(f->name);
    lg->launched_at = act_calloc(lg->total, sizeof(double));
    lg->is_running = act_calloc(lg->total, sizeof(bool));
    lg->ended = act_calloc(lg->total, 1);
    lg->is_settled = act_calloc(lg->total, sizeof(bool));
    return 0;
}

static void cleanup(loadgen *lg)
{
    for (size_t i = 0; i < lg->nfws; i++) {
        held_drop(&lg->fws[i], NULL, false);
        free(lg->fws[i].held);
    }
    free(lg->fws);
    free(lg->durations);
    free(lg->shapes);
    wire_msg_free(lg->shared);
    free(lg->launched_at);
    free(lg->is_running);
    free(lg->ended);
    free(lg->is_settled);
    free(lg->error);
    res_free(&lg->task);
}

static void start_frameworks(loadgen *lg)
{
    static const sched_scheduler callbacks = {
        .disconnected = on_disconnected, .resource_offers = on_offers,
        .offer_rescinded = on_rescinded, .status_update = on_status, .error = on_error};
    lg->fws = act_calloc((size_t)lg->f->frameworks, sizeof *lg->fws);
    for (int64_t i = 0; i < lg->f->frameworks; i++) {
        char name[160];
        snprintf(name, sizeof name, "%s-%lld", lg->f->name, (long long)i);
        wire_framework_info fi = {.user = "", .name = name, .has_role = true,
                                  .role = lg->f->role};
        lg_framework *fw = &lg->fws[lg->nfws++];
        fw->lg = lg;
        fw->driver = sched_driver_new(&callbacks, fw, &fi, lg->f->master, NULL);
        sched_driver_start(fw->driver);
    }
}

static void stop_frameworks(loadgen *lg)
{
    for (size_t i = 0; i < lg->nfws; i++) sched_driver_stop(lg->fws[i].driver, false);
    for (size_t i = 0; i < lg->nfws; i++) sched_driver_free(lg->fws[i].driver);
}

/* SIGINT/SIGTERM: report what there is (or end --stay). */
static void *signal_thread(void *arg)
{
    loadgen *lg = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int sig;
    if (sigwait(&set, &sig) != 0) return NULL;
    pthread_mutex_lock(&lg->mu);
    lg->signalled = true;
    pthread_cond_broadcast(&lg->cv);
    pthread_mutex_unlock(&lg->mu);
    return NULL;
}

/* Waits until every task settled, an error, a signal or the timeout; prints progress to
 * stderr meanwhile. Returns true on the timeout. */
static bool wait_until_settled(loadgen *lg)
{
    double deadline = lg->start + lg->f->timeout, next = lg->start + PROGRESS_SECS;
    pthread_mutex_lock(&lg->mu);
    while (!finished(lg) && mono() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&lg->cv, &lg->mu, &ts);
        if (mono() < next) continue;
        next += PROGRESS_SECS;
        fprintf(stderr, "mesos-loadgen: %.0f s: %zu launched, %zu running, %zu finished, %zu "
                "failed or lost\n", mono() - lg->start, lg->launched, lg->running, lg->finished,
                lg->failed + lg->lost + lg->killed + lg->errors);
    }
    bool timed_out = !finished(lg);
    pthread_mutex_unlock(&lg->mu);
    return timed_out;
}

static int start_runtime(void)
{
    act_config rc;
    act_config_default(&rc);
    int err = act_init(&rc);
    if (err == 0) err = act_start();
    if (err != 0) fprintf(stderr, "Failed to start the runtime: %s\n", act_strerror(err));
    return err;
}

/* Every expected state reached: FINISHED (RUNNING for tasks that run forever), nothing
 * failed, nothing twice. */
static bool all_well(const loadgen *lg)
{
    size_t forever = 0;
    for (size_t i = 0; i < lg->total; i++)
        forever += lg->durations[i % lg->ndurations] == FOREVER;
    return !lg->error && lg->settled == lg->total && lg->finished == lg->total - forever &&
           lg->duplicates == 0;
}

int main(int argc, char **argv)
{
    loadgen_flags f;
    act_flags flags = {"mesos-loadgen", NULL, "mesos " WIRE_VERSION, flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512];
    int rc = act_flags_load(&flags, argc, argv, NULL, "MESOS_", err, sizeof err);
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-loadgen --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    act_log_options lo = {"mesos-loadgen", NULL, ACT_LOG_WARNING, false, 0, 0};
    act_log_init(&lo);
    loadgen lg = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    if (setup(&lg, &f, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        cleanup(&lg);
        act_flags_free(&flags);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread from here on leaves them to one */
    pthread_t sig_thread, pacer_thread;
    pthread_create(&sig_thread, NULL, signal_thread, &lg);
    pthread_detach(sig_thread);
    if (start_runtime() != 0) {
        cleanup(&lg);
        act_flags_free(&flags);
        return 1;
    }
    lg.start = mono();
    start_frameworks(&lg);
    bool paced = holds_offers(&lg);
    if (paced) pthread_create(&pacer_thread, NULL, pacer, &lg);
    bool timed_out = wait_until_settled(&lg);
    pthread_mutex_lock(&lg.mu);
    report(&lg, timed_out);
    bool ok = all_well(&lg);
    while (f.stay && !lg.signalled) pthread_cond_wait(&lg.cv, &lg.mu);
    lg.signalled = true; /* ends the pacer */
    pthread_cond_broadcast(&lg.cv);
    pthread_mutex_unlock(&lg.mu);
    if (paced) pthread_join(pacer_thread, NULL);
    stop_frameworks(&lg);
    act_shutdown();
    cleanup(&lg);
    act_flags_free(&flags);
    act_log_close();
    return ok ? 0 : 1;
}
