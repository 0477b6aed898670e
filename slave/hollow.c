/*
 * hollow.c - one hollow slave of mesos-fleet (fleet_int.h): the slave's side of PROTOCOL.md's
 * registration, health, task and acknowledgement flows, with the executors simulated. It
 * registers with randomized exponential backoff (re-registers with its tasks once it has an
 * ID), answers pings and re-registers when they stop, and runs a launched task by sending
 * TASK_RUNNING at once and TASK_FINISHED when the task's duration has passed. Its updates go
 * through a status update manager of its own (status_update_manager.c) run inside the slave's
 * actor (calls, not messages to a second actor), so retries and acknowledgements are the real
 * slave's. A task's record goes once its terminal update is
 * acknowledged, so memory follows the tasks in flight.
 */
#include "slave/fleet_int.h"
#include "slave/slave_int.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#define MAX_BACKOFF 60.0
#define DEFAULT_PING_TIMEOUT 75.0

typedef struct h_task {
    wire_msg *msg;          /* its RunTaskMessage, whose arena also holds t */
    wire_task *t;           /* what re-registration reports; state kept current */
    act_timer_id finish;    /* TASK_FINISHED is due then; 0 when not */
    char key[WIRE_KEY_MAX];
} h_task;

typedef struct hollow {
    act_actor *self;
    act_pid pid, master;       /* master: id "" while none is known */
    sum_state *sum;            /* its status update manager, run in this actor */
    char id[WIRE_ID_MAX];      /* given by the master; "" before */
    wire_msg *info_msg;        /* a wire_slave_info */
    wire_slave_info *info;
    double backoff_factor, backoff, ping_timeout;
    bool connected;
    act_timer_id registration_timer, ping_timer;
    act_map *tasks;            /* "<framework-id>/<task-id>" -> h_task */
    act_map *executors;        /* "<framework-id>/<executor-id>" -> wire_msg (executor_info) */
} hollow;

/* The fleet's metrics, process-wide (set by hollow_metrics_init before any slave runs). */
static struct {
    act_gauge *registered, *running;
    act_counter *registrations, *reregistrations, *launched, *finished, *killed, *failed,
        *lost, *shutdowns;
} metrics;

void hollow_metrics_init(void)
{
    metrics.registered = act_gauge_get("fleet/slaves_registered");
    metrics.running = act_gauge_get("fleet/tasks_running");
    metrics.registrations = act_counter_get("fleet/registrations");
    metrics.reregistrations = act_counter_get("fleet/reregistrations");
    metrics.launched = act_counter_get("fleet/tasks_launched");
    metrics.finished = act_counter_get("fleet/tasks_finished");
    metrics.killed = act_counter_get("fleet/tasks_killed");
    metrics.failed = act_counter_get("fleet/tasks_failed");
    metrics.lost = act_counter_get("fleet/tasks_lost");
    metrics.shutdowns = act_counter_get("fleet/shutdowns");
}

/* What a hollow slave reads of the messages it gets most, one per task or update: of a
 * RunTaskMessage (task_new, executor_add, task_duration) not the FrameworkInfo, the command
 * or the container; of an acknowledgement not the slave ID. The rest is walked, not built. */
#define RUN_TASK_PICK "framework_id, task.name, task.task_id, task.executor, task.resources, " \
                      "task.labels, task.data"
#define ACK_PICK "framework_id, task_id, uuid"

typedef struct hollow_picks {
    wire_pick *run_task, *ack;
} hollow_picks;
static hollow_picks pick_set;
static pthread_once_t pick_set_once = PTHREAD_ONCE_INIT;

static void picks_make(void)
{
    pick_set.run_task = wire_pick_new(WIRE_DESC(run_task_message), RUN_TASK_PICK, NULL, 0);
    pick_set.ack = wire_pick_new(WIRE_DESC(status_update_acknowledgement_message), ACK_PICK,
                                 NULL, 0);
    ACT_CHECK(pick_set.run_task && pick_set.ack); /* the paths are this file's constants */
}

/* The picks, made on first use and kept for the process's life. */
static const hollow_picks *picks(void)
{
    pthread_once(&pick_set_once, picks_make);
    return &pick_set;
}

static bool from_master(hollow *h, const act_msg *msg)
{
    if (act_pid_equal(&msg->from, &h->master)) return true;
    char from[ACT_PID_STRLEN];
    LOG_WARNING_LIMITED("Hollow slave %s: ignoring %s from %s: not the master", h->pid.id,
                        msg->name, act_pid_format(&msg->from, from, sizeof from));
    return false;
}

/* ---- status updates ---------------------------------------------------------------------- */

/* Sends an update about task `task_id` through the slave's manager: built in the arena the
 * manager keeps (no copy), the slave and executor IDs shared by the update and its status. */
static void send_update(hollow *h, const char *framework_id, const char *task_id,
                        const wire_executor_id *executor, wire_task_state state,
                        wire_status_source source, const char *message)
{
    wire_msg *m = wire_new(WIRE_DESC(status_update));
    wire_status_update *u = m->root;
    wire_uuid *uuid = wire_alloc(m, sizeof *uuid);
    wire_uuid_random(uuid);
    wire_slave_id *sid = wire_alloc(m, sizeof *sid);
    sid->value = wire_strdup(m, h->id);
    u->framework_id.value = wire_strdup(m, framework_id);
    if (executor) {
        u->executor_id = wire_alloc(m, sizeof *u->executor_id);
        u->executor_id->value = wire_strdup(m, executor->value);
    }
    u->slave_id = sid;
    u->status.task_id.value = wire_strdup(m, task_id);
    u->status.state = state;
    u->status.has_message = message != NULL;
    u->status.message = (char *)(message ? message : ""); /* a literal: outlives m */
    u->status.slave_id = sid;
    u->status.executor_id = u->executor_id;
    u->status.has_timestamp = true;
    u->status.timestamp = act_now();
    u->status.has_source = true;
    u->status.source = source;
    u->timestamp = u->status.timestamp;
    u->uuid.data = uuid->bytes;
    u->uuid.len = sizeof uuid->bytes;
    sum_update su = {.update = m, .slave = h->pid};
    sum_take_update(h->sum, &su);
    wire_msg_free(su.update); /* still ours only if the manager refused it */
}

/* Moves a task to `state` and reports it. */
static void task_update(hollow *h, h_task *t, wire_task_state state, wire_status_source source,
                        const char *message)
{
    bool was_running = t->t->state == WIRE_TASK_RUNNING;
    t->t->state = state;
    if (was_running != (state == WIRE_TASK_RUNNING))
        act_gauge_add(metrics.running, was_running ? -1 : 1);
    if (wire_task_state_terminal(state) && t->finish) {
        act_cancel(h->self, t->finish);
        t->finish = 0;
    }
    send_update(h, t->t->framework_id.value, t->t->task_id.value, t->t->executor_id, state,
                source, message);
}

/* Forgets a task (its terminal update was acknowledged, or its framework is gone). */
static void task_free(hollow *h, h_task *t)
{
    if (t->finish) act_cancel(h->self, t->finish);
    if (t->t->state == WIRE_TASK_RUNNING) act_gauge_add(metrics.running, -1);
    act_map_remove(h->tasks, t->key);
    wire_msg_free(t->msg);
    free(t);
}

static void task_finished(act_actor *self, void *arg)
{
    h_task *t = arg; /* removal cancels this timer */
    t->finish = 0;
    act_counter_inc(metrics.finished);
    task_update(act_state(self), t, WIRE_TASK_FINISHED, WIRE_SOURCE_EXECUTOR, NULL);
}

/* ---- registration ------------------------------------------------------------------------ */

static double jitter(double max)
{
    return max * ((double)random() / (double)RAND_MAX);
}

static void send_reregistration(hollow *h)
{
    wire_msg *m = wire_new(WIRE_DESC(reregister_slave_message));
    wire_reregister_slave_message *r = m->root;
    r->slave_id.value = h->id;
    r->slave = *h->info;
    r->has_version = true;
    r->version = SLAVE_VERSION;
    r->tasks = wire_alloc_array(m, WIRE_DESC(task), act_map_size(h->tasks));
    r->executor_infos = wire_alloc_array(m, WIRE_DESC(executor_info),
                                         act_map_size(h->executors));
    h_task *t;
    for (size_t it = 0; act_map_next(h->tasks, &it, NULL, (void **)&t);)
        wire_copy_into(m, WIRE_DESC(task), &r->tasks[r->tasks_count++], t->t);
    wire_msg *e;
    for (size_t it = 0; act_map_next(h->executors, &it, NULL, (void **)&e);)
        wire_copy_into(m, WIRE_DESC(executor_info),
                       &r->executor_infos[r->executor_infos_count++], e->root);
    wire_send(h->self, &h->master, WIRE_DESC(reregister_slave_message), r);
    wire_msg_free(m);
}

static void registration_attempt(act_actor *self, void *arg)
{
    hollow *h = act_state(self);
    h->registration_timer = 0;
    if (h->connected || act_pid_is_none(&h->master)) return;
    if (h->id[0]) {
        send_reregistration(h);
    } else {
        wire_register_slave_message r = {.slave = *h->info, .has_version = true,
                                         .version = SLAVE_VERSION};
        wire_send(self, &h->master, WIRE_DESC(register_slave_message), &r);
    }
    h->backoff = h->backoff * 2 < MAX_BACKOFF ? h->backoff * 2 : MAX_BACKOFF;
    h->registration_timer = act_delay(self, jitter(h->backoff), registration_attempt, NULL);
}

/* Starts (re-)registering with the known master, first after a random part of the backoff
 * factor, as the slave does. */
static void start_registering(hollow *h)
{
    if (h->registration_timer || act_pid_is_none(&h->master)) return;
    h->backoff = h->backoff_factor;
    h->registration_timer = act_delay(h->self, jitter(h->backoff), registration_attempt, NULL);
}

/* No longer registered: no pings expected, status updates wait. */
static void lose_master(hollow *h)
{
    if (h->connected) act_gauge_add(metrics.registered, -1);
    h->connected = false;
    if (h->ping_timer) act_cancel(h->self, h->ping_timer);
    h->ping_timer = 0;
    sum_set_master(h->sum, NULL);
}

static void disconnected(hollow *h, const char *why)
{
    if (!h->connected) return;
    LOG_INFO("Hollow slave %s (%s): %s; re-registering", h->pid.id, h->id, why);
    lose_master(h);
    start_registering(h);
}

static void no_ping(act_actor *self, void *arg)
{
    hollow *h = act_state(self);
    h->ping_timer = 0;
    disconnected(h, "no ping from the master");
}

static void arm_ping_timer(hollow *h)
{
    if (h->ping_timer) act_cancel(h->self, h->ping_timer);
    h->ping_timer = act_delay(h->self, h->ping_timeout, no_ping, NULL);
}

static void registered(hollow *h, const char *id, const wire_master_slave_connection *conn,
                       bool re)
{
    if (h->connected && strcmp(h->id, id) == 0) return; /* a duplicate acknowledgement */
    if (h->id[0] && strcmp(h->id, id) != 0) {
        LOG_ERROR("Hollow slave %s: the master gave slave ID %s, but it is %s; ignoring",
                  h->pid.id, id, h->id);
        return;
    }
    snprintf(h->id, sizeof h->id, "%s", id);
    if (!h->info->id) h->info->id = wire_alloc(h->info_msg, sizeof *h->info->id);
    h->info->id->value = wire_strdup(h->info_msg, id);
    h->connected = true;
    act_gauge_add(metrics.registered, 1);
    act_counter_inc(re ? metrics.reregistrations : metrics.registrations);
    if (h->registration_timer) act_cancel(h->self, h->registration_timer);
    h->registration_timer = 0;
    h->ping_timeout = conn && conn->has_total_ping_timeout_seconds &&
                      conn->total_ping_timeout_seconds > 0 ? conn->total_ping_timeout_seconds
                                                           : DEFAULT_PING_TIMEOUT;
    arm_ping_timer(h);
    sum_set_master(h->sum, &h->master);
    VLOG(1, "Hollow slave %s %s as %s", h->pid.id, re ? "re-registered" : "registered", id);
}

static void on_registered(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    if (!from_master(h, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(slave_registered_message));
    if (!m) return;
    wire_slave_registered_message *r = m->root;
    registered(h, r->slave_id.value, r->connection, false);
    wire_msg_free(m);
}

static void on_reregistered(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    if (!from_master(h, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(slave_reregistered_message));
    if (!m) return;
    wire_slave_reregistered_message *r = m->root;
    registered(h, r->slave_id.value, r->connection, true);
    wire_msg_free(m);
}

static void on_ping(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    if (!from_master(h, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(ping_slave_message));
    bool connected = m ? ((wire_ping_slave_message *)m->root)->connected : true;
    wire_msg_free(m);
    act_send(self, &msg->from, "mesos.internal.PongSlaveMessage", "\x80", 1);
    if (!h->connected) return;
    arm_ping_timer(h);
    if (!connected) disconnected(h, "the master says this slave is disconnected");
}

/* The master removed this slave: it ends, as a slave does. */
static void on_shutdown(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    if (!from_master(h, msg)) return;
    LOG_WARNING("Hollow slave %s (%s): the master asked it to shut down", h->pid.id, h->id);
    act_counter_inc(metrics.shutdowns);
    act_exit(self);
}

/* ---- from the fleet ---------------------------------------------------------------------- */

static void on_leader(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    const act_pid *leader = msg->obj;
    lose_master(h);
    if (h->registration_timer) act_cancel(self, h->registration_timer);
    h->registration_timer = 0;
    h->master = leader ? *leader : (act_pid){0};
    start_registering(h);
}

static void on_link_broken(act_actor *self, const act_msg *msg)
{
    disconnected(act_state(self), "the connection to the master broke");
}

/* ---- tasks ------------------------------------------------------------------------------- */

/* How long a task runs: its duration label, else its data as a duration. Returns 1 with
 * *secs, 0 when it names none (it runs until killed), -EINVAL when what it names is not a
 * duration. */
static int task_duration(const wire_task_info *ti, double *secs)
{
    char text[64];
    const char *value = NULL;
    for (size_t i = 0; ti->labels && i < ti->labels->labels_count; i++)
        if (strcmp(ti->labels->labels[i].key, FLEET_DURATION_LABEL) == 0)
            value = ti->labels->labels[i].value;
    if (!value && ti->has_data && ti->data.len > 0) {
        if (ti->data.len >= sizeof text) return -EINVAL;
        memcpy(text, ti->data.data, ti->data.len);
        text[ti->data.len] = '\0';
        value = text;
    }
    if (!value) return 0;
    return act_duration_parse(value, secs) == 0 ? 1 : -EINVAL;
}

/* Records a launched task, taking `m` (its decoded RunTaskMessage, `key` its task key): the
 * task's Task points into the message's arena instead of copying what it shares with it. */
static h_task *task_new(hollow *h, wire_msg *m, const char *key)
{
    const wire_run_task_message *r = m->root;
    const wire_task_info *ti = &r->task;
    h_task *t = act_calloc(1, sizeof *t);
    t->msg = m;
    t->t = wire_alloc(m, sizeof *t->t);
    wire_init(WIRE_DESC(task), t->t);
    t->t->name = ti->name;
    t->t->task_id = ti->task_id;
    t->t->framework_id = r->framework_id;
    t->t->slave_id.value = wire_strdup(m, h->id);
    if (ti->executor) t->t->executor_id = &ti->executor->executor_id;
    t->t->state = WIRE_TASK_STAGING;
    t->t->resources = ti->resources;
    t->t->resources_count = ti->resources_count;
    memcpy(t->key, key, sizeof t->key);
    act_map_put(h->tasks, t->key, t);
    return t;
}

/* A simulated custom executor lives until its framework is shut down. */
static void executor_add(hollow *h, const char *framework_id, const wire_executor_info *e)
{
    char key[WIRE_KEY_MAX];
    wire_id_key(key, framework_id, e->executor_id.value);
    if (act_map_get(h->executors, key)) return;
    wire_msg *copy = wire_copy(WIRE_DESC(executor_info), e);
    wire_executor_info *info = copy->root;
    if (!info->framework_id) {
        info->framework_id = wire_alloc(copy, sizeof *info->framework_id);
        info->framework_id->value = wire_strdup(copy, framework_id);
    }
    act_map_put(h->executors, key, copy);
}

static void on_run_task(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    if (!from_master(h, msg)) return;
    wire_msg *m = wire_decode_msg_picked(msg, picks()->run_task);
    if (!m) return;
    wire_run_task_message *r = m->root;
    char key[WIRE_KEY_MAX];
    wire_id_key(key, r->framework_id.value, r->task.task_id.value);
    if (act_map_get(h->tasks, key)) {
        LOG_WARNING_LIMITED("Hollow slave %s: ignoring a second launch of task %s of "
                            "framework %s", h->id, r->task.task_id.value, r->framework_id.value);
        wire_msg_free(m);
        return;
    }
    act_counter_inc(metrics.launched);
    if (r->task.executor) executor_add(h, r->framework_id.value, r->task.executor);
    double secs = 0;
    int how = task_duration(&r->task, &secs);
    h_task *t = task_new(h, m, key); /* takes m */
    if (how < 0) {
        act_counter_inc(metrics.failed);
        task_update(h, t, WIRE_TASK_FAILED, WIRE_SOURCE_SLAVE, "The task's duration (label '"
                    FLEET_DURATION_LABEL "' or data) is not a duration such as '10secs'");
    } else {
        task_update(h, t, WIRE_TASK_RUNNING, WIRE_SOURCE_EXECUTOR, NULL);
        if (how > 0) t->finish = act_delay(self, secs, task_finished, t);
    }
}

static void on_kill_task(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    if (!from_master(h, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(kill_task_message));
    if (!m) return;
    wire_kill_task_message *k = m->root;
    char key[WIRE_KEY_MAX];
    wire_id_key(key, k->framework_id.value, k->task_id.value);
    h_task *t = act_map_get(h->tasks, key);
    if (!t) {
        act_counter_inc(metrics.lost);
        send_update(h, k->framework_id.value, k->task_id.value, NULL, WIRE_TASK_LOST,
                    WIRE_SOURCE_SLAVE, "Cannot find the task to kill");
    } else if (!wire_task_state_terminal(t->t->state)) {
        act_counter_inc(metrics.killed);
        task_update(h, t, WIRE_TASK_KILLED, WIRE_SOURCE_EXECUTOR, NULL);
    }
    wire_msg_free(m);
}

/* The framework is gone from the master: its tasks and executors end here without updates
 * (nobody would acknowledge them), its executors' exits are reported, and its status update
 * streams are dropped, as the slave does once the executors are gone. */
static void on_shutdown_framework(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    if (!from_master(h, msg)) return;
    wire_msg *m = wire_decode_msg(msg, WIRE_DESC(shutdown_framework_message));
    if (!m) return;
    const char *fid = ((wire_shutdown_framework_message *)m->root)->framework_id.value;
    h_task *t;
    for (size_t it = 0; act_map_next(h->tasks, &it, NULL, (void **)&t);)
        if (strcmp(t->t->framework_id.value, fid) == 0) task_free(h, t);
    const char *key;
    wire_msg *e;
    for (size_t it = 0; act_map_next(h->executors, &it, &key, (void **)&e);) {
        wire_executor_info *info = e->root;
        if (strcmp(info->framework_id->value, fid) != 0) continue;
        wire_exited_executor_message x = {.slave_id = {h->id}, .framework_id = {(char *)fid},
                                          .executor_id = info->executor_id, .status = 0};
        if (h->connected) wire_send(self, &h->master, WIRE_DESC(exited_executor_message), &x);
        act_map_remove(h->executors, key);
        wire_msg_free(e);
    }
    sum_forget_framework(h->sum, fid);
    wire_msg_free(m);
}

/* The master acknowledged an update: the manager advances that task's stream; after a
 * terminal update the task is done. */
static void on_ack(act_actor *self, const act_msg *msg)
{
    hollow *h = act_state(self);
    if (!from_master(h, msg)) return;
    wire_msg *m = wire_decode_msg_picked(msg, picks()->ack);
    if (!m) return;
    wire_status_update_acknowledgement_message *a = m->root;
    sum_ack ack;
    if (strlen(a->framework_id.value) < WIRE_ID_MAX && strlen(a->task_id.value) < WIRE_ID_MAX &&
        wire_uuid_from_bytes(a->uuid.data, a->uuid.len, &ack.uuid) == 0) {
        wire_id_copy(ack.framework_id, a->framework_id.value);
        wire_id_copy(ack.task_id, a->task_id.value);
        if (sum_take_ack(h->sum, &ack) == 1) {
            char key[WIRE_KEY_MAX];
            wire_id_key(key, ack.framework_id, ack.task_id);
            h_task *t = act_map_get(h->tasks, key);
            if (t) task_free(h, t);
        }
    } else {
        LOG_WARNING_LIMITED("Hollow slave %s: ignoring a malformed acknowledgement", h->id);
    }
    wire_msg_free(m);
}

/* ---- life cycle -------------------------------------------------------------------------- */

static void on_terminate(act_actor *self, void *arg)
{
    hollow *h = act_state(self);
    if (h->connected) act_gauge_add(metrics.registered, -1);
    h_task *t;
    for (size_t it = 0; act_map_next(h->tasks, &it, NULL, (void **)&t);) task_free(h, t);
    act_map_free(h->tasks);
    wire_msg *e;
    for (size_t it = 0; act_map_next(h->executors, &it, NULL, (void **)&e);) wire_msg_free(e);
    act_map_free(h->executors);
    sum_free(h->sum);
    wire_msg_free(h->info_msg);
    free(h);
}

act_pid hollow_spawn(wire_msg *info, double backoff_factor, int loop)
{
    char name[ACT_ID_MAX];
    hollow *h = act_calloc(1, sizeof *h);
    h->info_msg = info;
    h->info = info->root;
    h->backoff_factor = backoff_factor;
    h->tasks = act_map_new();
    h->executors = act_map_new();
    act_actor *a = act_new(act_unique_name("slave", name, sizeof name), h);
    h->self = a;
    h->sum = sum_new(a);
    h->pid = act_self(a);
    act_on_terminate(a, on_terminate, NULL);
    act_on_message(a, FLEET_MSG_LEADER, on_leader);
    act_on_message(a, FLEET_MSG_LINK_BROKEN, on_link_broken);
    act_on_message(a, "mesos.internal.SlaveRegisteredMessage", on_registered);
    act_on_message(a, "mesos.internal.SlaveReregisteredMessage", on_reregistered);
    act_on_message(a, "mesos.internal.PingSlaveMessage", on_ping);
    act_on_message(a, "mesos.internal.ShutdownMessage", on_shutdown);
    act_on_message(a, "mesos.internal.RunTaskMessage", on_run_task);
    act_on_message(a, "mesos.internal.KillTaskMessage", on_kill_task);
    act_on_message(a, "mesos.internal.ShutdownFrameworkMessage", on_shutdown_framework);
    act_on_message(a, "mesos.internal.StatusUpdateAcknowledgementMessage", on_ack);
    act_pid pid = h->pid;
    if (act_spawn(a, loop) != 0) { /* the runtime destroyed the actor, not its state */
        sum_free(h->sum);
        act_map_free(h->tasks);
        act_map_free(h->executors);
        wire_msg_free(info);
        free(h);
        return (act_pid){0};
    }
    return pid;
}
