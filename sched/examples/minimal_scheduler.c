/*
 * minimal_scheduler.c - the scheduler README.md shows, complete. It registers a framework,
 * launches one task of 0.1 cpus and 32 MB on the first offer with room for it and its
 * executor (a custom one: argv[2], e.g. example-executor, which prints the task's data), and
 * exits 0 once the task has finished. It builds against an installed SDK with nothing else:
 *
 *     cc minimal_scheduler.c $(pkg-config --cflags --libs mesos-sched) -o minimal-scheduler
 *     ./minimal-scheduler 127.0.0.1:5050 /usr/local/bin/my-executor
 */
#include <mesos/sched.h>

#include <stdio.h>

static const char *executor_path; /* argv[2] */
static bool launched, finished;

/* The task, allocated in m: 0.1 cpus and 32 MB, run by our executor, which takes as much. */
static wire_task_info *make_task(wire_msg *m, const wire_slave_id *slave)
{
    res_set r = {0};
    res_parse("cpus:0.1;mem:32", "*", &r, NULL, 0);
    wire_executor_info *e = wire_alloc_array(m, WIRE_DESC(executor_info), 1);
    e->executor_id.value = "minimal-executor";
    e->command.has_value = true;
    e->command.value = (char *)executor_path;
    res_to_wire(&r, m, &e->resources, &e->resources_count);
    wire_task_info *t = m->root;
    t->name = t->task_id.value = "hello";
    t->slave_id = *slave;
    t->executor = e;
    res_to_wire(&r, m, &t->resources, &t->resources_count);
    static const char data[] = "Hello from the minimal scheduler";
    t->has_data = true;
    t->data = (wire_bytes){(uint8_t *)data, sizeof data - 1};
    res_free(&r);
    return t;
}

static void offers(sched_driver *d, const wire_offer *o, size_t n)
{
    res_set need = {0};
    res_parse("cpus:0.2;mem:64", "*", &need, NULL, 0); /* the task and its executor */
    for (size_t i = 0; i < n; i++) {
        res_set have = {0};
        res_from_wire(o[i].resources, o[i].resources_count, &have, NULL, 0);
        if (!launched && res_contains(&have, &need)) {
            wire_msg *m = wire_new(WIRE_DESC(task_info));
            sched_driver_launch_tasks(d, &o[i].id, 1, make_task(m, &o[i].slave_id), 1, NULL);
            wire_msg_free(m); /* the driver copied what it needs */
            launched = true;
        } else {
            sched_driver_decline_offer(d, &o[i].id, NULL);
        }
        res_free(&have);
    }
    res_free(&need);
}

static void status_update(sched_driver *d, const wire_task_status *st)
{
    printf("Task %s is %s\n", st->task_id.value, wire_task_state_name(st->state));
    fflush(stdout);
    if (st->state == WIRE_TASK_FINISHED) finished = true;
    if (st->state != WIRE_TASK_STAGING && st->state != WIRE_TASK_STARTING &&
        st->state != WIRE_TASK_RUNNING)
        sched_driver_stop(d, false); /* finished, or failed for good: we are done either way */
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "Usage: %s MASTER EXECUTOR_PATH\n", argv[0]);
        return 2;
    }
    executor_path = argv[2];
    sched_scheduler s = {.resource_offers = offers, .status_update = status_update};
    wire_framework_info fw = {.user = "", .name = "minimal-scheduler"};
    sched_driver *d = sched_driver_new(&s, NULL, &fw, argv[1], NULL);
    sched_status st = sched_driver_run(d); /* until stop() or abort() */
    sched_driver_free(d);
    return st == SCHED_DRIVER_STOPPED && finished ? 0 : 1;
}
