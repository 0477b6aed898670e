/*
 * example_framework.c - the smallest useful framework, for reading first: it launches tasks
 * of 0.1 cpus and 32 MB on every offer until --tasks have finished, each run by a minimal
 * custom executor (example-executor) that prints the task's data. Exits 0 when all finished.
 */
#include <mesos/sched.h> /* built against the SDK headers, as a framework author would */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

typedef struct example_flags {
    char *master, *executor;
    int64_t tasks;
} example_flags;

#define F(name, type, def, help) \
    ACT_FLAG_ROW(example_flags, name, type, def, help, NULL, NULL)

static const act_flag flag_table[] = {
    F(master, STRING, NULL, "The master: host:port (required)."),
    F(tasks, INT, "5", "How many tasks to run."),
    F(executor, STRING, NULL, "Path of example-executor (default: next to this binary)."),
};

typedef struct example {
    int64_t total, launched, finished;
    wire_msg *executor; /* a wire_executor_info shared by every task */
    bool failed;
} example;

static bool fits(const wire_offer *o, double cpus, double mem)
{
    res_set r = {0};
    res_from_wire(o->resources, o->resources_count, &r, NULL, 0);
    bool ok = res_scalar(&r, "cpus") >= cpus - 1e-9 && res_scalar(&r, "mem") >= mem;
    res_free(&r);
    return ok;
}

static void offers(sched_driver *d, const wire_offer *o, size_t n)
{
    example *x = sched_driver_ctx(d);
    for (size_t i = 0; i < n; i++) {
        /* room for one task and, the first time on a slave, the executor itself */
        if (x->launched >= x->total || !fits(&o[i], 0.2, 64)) {
            sched_driver_decline_offer(d, &o[i].id, NULL);
            continue;
        }
        wire_msg *m = wire_new(WIRE_DESC(task_info));
        wire_task_info *t = m->root;
        char id[32], data[64];
        snprintf(id, sizeof id, "%lld", (long long)x->launched);
        snprintf(data, sizeof data, "Hello from task %lld", (long long)x->launched);
        t->name = id;
        t->task_id.value = id;
        t->slave_id = o[i].slave_id;
        res_set r = {0};
        res_add_scalar(&r, "cpus", "*", 0.1);
        res_add_scalar(&r, "mem", "*", 32);
        res_to_wire(&r, m, &t->resources, &t->resources_count);
        res_free(&r);
        t->executor = x->executor->root;
        t->has_data = true;
        t->data.data = (uint8_t *)data;
        t->data.len = strlen(data);
        printf("Launching task %s using offer %s\n", id, o[i].id.value);
        sched_driver_launch_tasks(d, &o[i].id, 1, t, 1, NULL);
        wire_msg_free(m);
        x->launched++;
    }
}

static void status(sched_driver *d, const wire_task_status *st)
{
    example *x = sched_driver_ctx(d);
    printf("Task %s is in state %s%s%s\n", st->task_id.value, wire_task_state_name(st->state),
           st->has_message && *st->message ? ": " : "", st->has_message ? st->message : "");
    fflush(stdout);
    if (st->state == WIRE_TASK_FINISHED && ++x->finished == x->total) {
        sched_driver_stop(d, false);
    } else if (st->state != WIRE_TASK_FINISHED && wire_task_state_terminal(st->state)) {
        fprintf(stderr, "Aborting because task %s is in unexpected state %s\n",
                st->task_id.value, wire_task_state_name(st->state));
        x->failed = true;
        sched_driver_abort(d);
    }
}

static void registered(sched_driver *d, const wire_framework_id *id, const wire_master_info *mi)
{
    printf("Registered with framework ID %s\n", id->value);
}

static wire_msg *executor_info(const char *path)
{
    wire_msg *m = wire_new(WIRE_DESC(executor_info));
    wire_executor_info *e = m->root;
    e->executor_id.value = "default";
    e->has_name = true;
    e->name = "Example Executor (C)";
    e->command.has_value = true;
    e->command.value = wire_strdup(m, path);
    res_set r = {0};
    res_add_scalar(&r, "cpus", "*", 0.1);
    res_add_scalar(&r, "mem", "*", 32);
    res_to_wire(&r, m, &e->resources, &e->resources_count);
    res_free(&r);
    return m;
}

int main(int argc, char **argv)
{
    example_flags f;
    act_flags flags = {"example-framework", NULL, "example-framework " WIRE_VERSION, flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512], path[PATH_MAX];
    int rc = act_flags_load(&flags, argc, argv, NULL, "MESOS_", err, sizeof err);
    if (rc == 0 && !f.master) snprintf(err, sizeof err, "--master is required"), rc = -EINVAL;
    if (rc == 0 && f.tasks < 1) snprintf(err, sizeof err, "--tasks must be at least 1"),
        rc = -EINVAL;
    if (rc != 0) {
        if (rc < 0) fprintf(stderr, "%s\n\nSee 'example-framework --help'.\n", err);
        act_flags_free(&flags);
        return rc < 0 ? 1 : 0;
    }
    if (f.executor) {
        snprintf(path, sizeof path, "%s", f.executor);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
        snprintf(path, sizeof path, "%s/example-executor", n > 0 ? dirname(self) : ".");
    }
    act_log_set_level(ACT_LOG_WARNING);
    example x = {.total = f.tasks, .executor = executor_info(path)};
    sched_scheduler cb = {.registered = registered, .resource_offers = offers,
                          .status_update = status};
    wire_framework_info fi = {.user = "", .name = "Example Framework (C)"};
    sched_driver *d = sched_driver_new(&cb, &x, &fi, f.master, NULL);
    sched_status st = sched_driver_run(d);
    sched_driver_free(d);
    wire_msg_free(x.executor);
    act_flags_free(&flags);
    printf("%lld of %lld task(s) finished\n", (long long)x.finished, (long long)x.total);
    return st == SCHED_DRIVER_STOPPED && !x.failed ? 0 : 1;
}
