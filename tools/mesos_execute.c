/*
 * mesos_execute.c - mesos-execute: a one-task framework. It registers with the master, runs
 * --command (in --docker_image when given) with --resources on the first offer big enough,
 * prints the framework ID and each status update, and exits 0 only if the task finished
 * (TASK_FINISHED), as Mesos' tool does. While no offer fits it does not wait silently: after a
 * few seconds it says what it waits for and the largest offer it has seen. With --principal
 * and --secret it authenticates first.
 */
#include "sched/sched.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#define FIRST_REPORT_SECS 5   /* the first "still waiting" report */
#define REPORT_EVERY_SECS 30  /* and then this often */

typedef struct execute_flags {
    char *master, *name, *command, *resources, *docker_image, *principal, *secret;
    bool checkpoint;
} execute_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(execute_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    F(master, STRING, NULL, "The master: host:port, zk://host:port[,...]/path or "
      "file:///path (required)."),
    F(name, STRING, NULL, "Name of the framework and the task (required)."),
    F(command, STRING, NULL, "Shell command to run (required)."),
    F(resources, STRING, "cpus:1;mem:128", "Resources the task needs."),
    F(docker_image, STRING, NULL, "Run the command in this Docker image (<image>[:<tag>], "
      "e.g. busybox or python:3) on a slave with --containerizers=docker,..."),
    F(checkpoint, BOOL, "false", "Enable checkpointing for the framework."),
    F(principal, STRING, NULL, "The framework's principal (FrameworkInfo.principal): what "
      "the master's ACLs and rate limits know it by."),
    F(secret, STRING, NULL, "With --principal: authenticate with the master (CRAM-MD5) with "
      "this secret before registering (file:///path reads it from a file)."),
};

/* The callbacks run on the driver's thread and main() reports from its own, so everything
 * below `mu` is read and written under it. */
typedef struct execute {
    const execute_flags *f;
    res_set need;        /* the task's resources */
    res_set need_total;  /* plus the command executor's 0.1 cpus and 32 MB */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool registered, launched, done;
    wire_task_state final;
    double best_share;   /* of need_total that the largest offer seen covers, 0..1 */
    char *best_offer;    /* that offer's resources and host, or NULL before any offer */
} execute;

static void registered(sched_driver *d, const wire_framework_id *id, const wire_master_info *mi)
{
    execute *x = sched_driver_ctx(d);
    pthread_mutex_lock(&x->mu);
    x->registered = true;
    pthread_mutex_unlock(&x->mu);
    printf("Framework registered with %s\n", id->value);
    fflush(stdout);
}

/* How much of the scalars in `need` the offer covers: the smallest have/need ratio, capped
 * at 1. The offer that scores highest is the "largest" one for the waiting report. */
static double covered_share(const res_set *have, const res_set *need)
{
    double share = 1;
    for (size_t i = 0; i < need->n; i++) {
        const res_entry *e = &need->v[i];
        if (e->type != WIRE_VALUE_SCALAR) continue;
        double r = (double)res_scalar_milli(have, e->name) / (double)e->scalar;
        if (r < share) share = r;
    }
    return share;
}

/* Remembers the offer if it is the largest seen so far. Called with x->mu held. */
static void note_offer(execute *x, const wire_offer *o, const res_set *have)
{
    double share = covered_share(have, &x->need_total);
    if (x->best_offer && share <= x->best_share) return;
    act_buf text = {0};
    res_format(have, &text);
    act_buf_printf(&text, " on %s", o->hostname);
    free(x->best_offer);
    x->best_offer = act_strdup(text.data);
    x->best_share = share;
    act_buf_free(&text);
}

static void launch(sched_driver *d, execute *x, const wire_offer *o)
{
    wire_msg *m = wire_new(WIRE_DESC(task_info));
    wire_task_info *t = m->root;
    t->name = (char *)x->f->name;
    t->task_id.value = (char *)x->f->name;
    t->slave_id = o->slave_id;
    res_to_wire(&x->need, m, &t->resources, &t->resources_count);
    t->command = wire_alloc(m, sizeof *t->command);
    wire_init(WIRE_DESC(command_info), t->command);
    t->command->has_value = true;
    t->command->value = (char *)x->f->command;
    if (x->f->docker_image) { /* the host's network, as Mesos' tool asks for */
        t->container = wire_alloc(m, sizeof *t->container);
        wire_init(WIRE_DESC(container_info), t->container);
        t->container->type = WIRE_CONTAINER_DOCKER;
        t->container->docker = wire_alloc(m, sizeof *t->container->docker);
        wire_init(WIRE_DESC(docker_info), t->container->docker);
        t->container->docker->image = (char *)x->f->docker_image;
    }
    sched_driver_launch_tasks(d, &o->id, 1, t, 1, NULL);
    wire_msg_free(m);
    printf("task %s submitted to slave %s\n", x->f->name, o->slave_id.value);
    fflush(stdout);
}

static void offers(sched_driver *d, const wire_offer *o, size_t n)
{
    execute *x = sched_driver_ctx(d);
    for (size_t i = 0; i < n; i++) {
        res_set have = {0};
        res_from_wire(o[i].resources, o[i].resources_count, &have, NULL, 0);
        pthread_mutex_lock(&x->mu);
        bool fits = !x->launched && res_contains(&have, &x->need_total);
        if (fits) x->launched = true;
        else if (!x->launched) note_offer(x, &o[i], &have);
        pthread_cond_broadcast(&x->cv);
        pthread_mutex_unlock(&x->mu);
        res_free(&have);
        if (fits) launch(d, x, &o[i]);
        else sched_driver_decline_offer(d, &o[i].id, NULL);
    }
}

/* Marks the run over (the final state is meaningful only after a status update). */
static void finish(execute *x, wire_task_state final)
{
    pthread_mutex_lock(&x->mu);
    x->final = final;
    x->done = true;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

static void status(sched_driver *d, const wire_task_status *st)
{
    execute *x = sched_driver_ctx(d);
    printf("Received status update %s for task %s%s%s\n", wire_task_state_name(st->state),
           st->task_id.value, st->has_message && *st->message ? ": " : "",
           st->has_message ? st->message : "");
    fflush(stdout);
    if (wire_task_state_terminal(st->state)) {
        finish(x, st->state);
        sched_driver_stop(d, false);
    }
}

static void error(sched_driver *d, const char *message)
{
    fprintf(stderr, "Error: %s\n", message);
    finish(sched_driver_ctx(d), WIRE_TASK_ERROR);
}

/* Prints what the tool still waits for. Called with x->mu held. */
static void report_waiting(const execute *x, int waited)
{
    if (!x->registered) {
        printf("Still waiting after %d s to register with the master at %s\n", waited,
               x->f->master);
    } else {
        char *need = res_to_string(&x->need);
        printf("No offer fits after %d s: waiting for %s (plus 0.1 cpus and 32 MB for the "
               "command executor); %s%s\n", waited, need,
               x->best_offer ? "the largest offer so far is " : "no offer received yet",
               x->best_offer ? x->best_offer : "");
        free(need);
    }
    fflush(stdout);
}

/* Waits until the task is launched or the run is over, reporting now and then. */
static void wait_for_launch(execute *x)
{
    struct timespec start, until;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int next = FIRST_REPORT_SECS;
    pthread_mutex_lock(&x->mu);
    while (!x->launched && !x->done) {
        until = start;
        until.tv_sec += next;
        if (pthread_cond_timedwait(&x->cv, &x->mu, &until) != ETIMEDOUT) continue;
        report_waiting(x, next);
        next += REPORT_EVERY_SECS;
    }
    pthread_mutex_unlock(&x->mu);
}

static sched_status run(execute *x)
{
    act_log_set_level(ACT_LOG_WARNING);
    sched_scheduler cb = {.registered = registered, .resource_offers = offers,
                          .status_update = status, .error = error};
    wire_framework_info fi = {.user = "", .name = x->f->name, .has_checkpoint = true,
                              .checkpoint = x->f->checkpoint,
                              .has_principal = x->f->principal != NULL,
                              .principal = x->f->principal};
    wire_credential cred = {.principal = x->f->principal, .has_secret = true,
                            .secret = {(uint8_t *)x->f->secret,
                                       x->f->secret ? strlen(x->f->secret) : 0}};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&x->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&x->mu, NULL);
    sched_driver *d = sched_driver_new(&cb, x, &fi, x->f->master,
                                       x->f->secret ? &cred : NULL);
    sched_status st = sched_driver_start(d);
    if (st == SCHED_DRIVER_RUNNING) {
        wait_for_launch(x);
        st = sched_driver_join(d);
    }
    sched_driver_free(d);
    pthread_cond_destroy(&x->cv);
    pthread_mutex_destroy(&x->mu);
    return st;
}

int main(int argc, char **argv)
{
    execute_flags f;
    act_flags flags = {"mesos-execute", NULL, "mesos " WIRE_VERSION, flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512];
    int rc = act_flags_load(&flags, argc, argv, NULL, "MESOS_", err, sizeof err);
    if (rc == 0 && (!f.master || !f.name || !f.command)) {
        snprintf(err, sizeof err, "Missing required flag: --%s",
                 !f.master ? "master" : !f.name ? "name" : "command");
        rc = -EINVAL;
    }
    if (rc == 0 && f.secret && !f.principal) {
        snprintf(err, sizeof err, "--secret needs --principal");
        rc = -EINVAL;
    }
    execute x = {.f = &f};
    if (rc == 0 && res_parse(f.resources, "*", &x.need, err, sizeof err) != 0) rc = -EINVAL;
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'mesos-execute --help'.\n", err);
        res_free(&x.need);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    res_copy(&x.need_total, &x.need);
    res_add_scalar(&x.need_total, "cpus", "*", 0.1);
    res_add_scalar(&x.need_total, "mem", "*", 32);
    sched_status st = run(&x);
    res_free(&x.need);
    res_free(&x.need_total);
    free(x.best_offer);
    act_flags_free(&flags);
    return st == SCHED_DRIVER_STOPPED && x.done && x.final == WIRE_TASK_FINISHED ? 0 : 1;
}
