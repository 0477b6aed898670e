/*
 * mesos_execute.c - mesos-execute: a one-task framework. It registers with the master, runs
 * --command with --resources on the first offer big enough, prints the framework ID and each
 * status update, and exits 0 only if the task finished (TASK_FINISHED), as Mesos' tool does.
 */
#include "sched/sched.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

typedef struct execute_flags {
    char *master, *name, *command, *resources, *docker_image;
    bool checkpoint;
} execute_flags;

#define F(name, type, def, help) \
    {#name, ACT_FLAG_##type, def, help, offsetof(execute_flags, name), NULL}

static const act_flag flag_table[] = {
    F(master, STRING, NULL, "The master: host:port (required)."),
    F(name, STRING, NULL, "Name of the framework and the task (required)."),
    F(command, STRING, NULL, "Shell command to run (required)."),
    F(resources, STRING, "cpus:1;mem:128", "Resources the task needs."),
    F(docker_image, STRING, NULL, "Run the command in this Docker image. Not supported by "
      "this build yet."),
    F(checkpoint, BOOL, "false", "Enable checkpointing for the framework."),
};

typedef struct execute {
    const execute_flags *f;
    res_set need;        /* the task's resources */
    res_set need_total;  /* plus the command executor's 0.1 cpus and 32 MB */
    bool launched;
    wire_task_state final;
    bool done;
} execute;

static void registered(sched_driver *d, const wire_framework_id *id, const wire_master_info *mi)
{
    printf("Framework registered with %s\n", id->value);
    fflush(stdout);
}

static void offers(sched_driver *d, const wire_offer *o, size_t n)
{
    execute *x = sched_driver_ctx(d);
    for (size_t i = 0; i < n; i++) {
        res_set have = {0};
        res_from_wire(o[i].resources, o[i].resources_count, &have, NULL, 0);
        bool fits = !x->launched && res_contains(&have, &x->need_total);
        res_free(&have);
        if (!fits) {
            sched_driver_decline_offer(d, &o[i].id, NULL);
            continue;
        }
        wire_msg *m = wire_new(WIRE_DESC(task_info));
        wire_task_info *t = m->root;
        t->name = (char *)x->f->name;
        t->task_id.value = (char *)x->f->name;
        t->slave_id = o[i].slave_id;
        res_to_wire(&x->need, m, &t->resources, &t->resources_count);
        t->command = wire_alloc(m, sizeof *t->command);
        t->command->has_value = true;
        t->command->value = (char *)x->f->command;
        sched_driver_launch_tasks(d, &o[i].id, 1, t, 1, NULL);
        wire_msg_free(m);
        x->launched = true;
        printf("task %s submitted to slave %s\n", x->f->name, o[i].slave_id.value);
        fflush(stdout);
    }
}

static void status(sched_driver *d, const wire_task_status *st)
{
    execute *x = sched_driver_ctx(d);
    printf("Received status update %s for task %s%s%s\n", wire_task_state_name(st->state),
           st->task_id.value, st->has_message && *st->message ? ": " : "",
           st->has_message ? st->message : "");
    fflush(stdout);
    if (wire_task_state_terminal(st->state)) {
        x->final = st->state;
        x->done = true;
        sched_driver_stop(d, false);
    }
}

static void error(sched_driver *d, const char *message)
{
    fprintf(stderr, "Error: %s\n", message);
}

int main(int argc, char **argv)
{
    execute_flags f;
    act_flags flags = {"mesos-execute", NULL, "mesos-execute 0.22.0", flag_table,
                       sizeof flag_table / sizeof flag_table[0], &f, NULL};
    char err[512];
    int rc = act_flags_load(&flags, argc, argv, NULL, "MESOS_", err, sizeof err);
    if (rc == 0 && (!f.master || !f.name || !f.command)) {
        snprintf(err, sizeof err, "Missing required flag: --%s",
                 !f.master ? "master" : !f.name ? "name" : "command");
        rc = -EINVAL;
    }
    if (rc == 0 && f.docker_image) {
        snprintf(err, sizeof err, "--docker_image: the Docker containerizer is not in this "
                 "build yet");
        rc = -ENOTSUP;
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
    act_log_set_level(ACT_LOG_WARNING);
    sched_scheduler cb = {.registered = registered, .resource_offers = offers,
                          .status_update = status, .error = error};
    wire_framework_info fi = {.user = "", .name = f.name, .has_checkpoint = true,
                              .checkpoint = f.checkpoint};
    sched_driver *d = sched_driver_new(&cb, &x, &fi, f.master, NULL);
    sched_status st = sched_driver_run(d);
    sched_driver_free(d);
    res_free(&x.need);
    res_free(&x.need_total);
    act_flags_free(&flags);
    return st == SCHED_DRIVER_STOPPED && x.done && x.final == WIRE_TASK_FINISHED ? 0 : 1;
}
