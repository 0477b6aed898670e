/*
 * example_executor.c - example-executor, the minimal custom executor of SPEC section 11: for
 * every task it is given it prints the task's data to stdout (its sandbox's stdout file) and
 * reports TASK_RUNNING then TASK_FINISHED. Tasks with the same executor ID share one process,
 * so it serves any number of tasks; it exits when the slave shuts it down.
 */
#include <mesos/exec.h> /* built against the SDK headers, as a framework author would */

#include <stdio.h>
#include <string.h>

static void send_state(exec_driver *d, const wire_task_id *task_id, wire_task_state state)
{
    wire_task_status st;
    wire_init(WIRE_DESC(task_status), &st);
    st.task_id = *task_id;
    st.state = state;
    exec_driver_send_status_update(d, &st);
}

static void registered(exec_driver *d, const wire_executor_info *ei,
                       const wire_framework_info *fi, const wire_slave_info *si)
{
    printf("Registered executor %s on %s\n", ei->executor_id.value, si->hostname);
}

static void launch_task(exec_driver *d, const wire_task_info *task)
{
    printf("Running task %s\n", task->task_id.value);
    send_state(d, &task->task_id, WIRE_TASK_RUNNING);
    if (task->has_data) printf("%.*s\n", (int)task->data.len, (const char *)task->data.data);
    fflush(stdout);
    send_state(d, &task->task_id, WIRE_TASK_FINISHED);
}

static void kill_task(exec_driver *d, const wire_task_id *task_id)
{
    /* Tasks finish as soon as they start: there is never one to kill. */
    printf("Asked to kill task %s; it has already finished\n", task_id->value);
}

static void shutdown_executor(exec_driver *d)
{
    printf("Shutting down\n");
    exec_driver_stop(d);
}

static void error(exec_driver *d, const char *message)
{
    fprintf(stderr, "Executor driver error: %s\n", message);
}

int main(void)
{
    const exec_executor executor = {
        .registered = registered,
        .launch_task = launch_task,
        .kill_task = kill_task,
        .shutdown = shutdown_executor,
        .error = error,
    };
    exec_driver *d = exec_driver_new(&executor, NULL);
    exec_status s = exec_driver_run(d);
    exec_driver_free(d);
    return s == EXEC_DRIVER_STOPPED ? 0 : 1;
}
