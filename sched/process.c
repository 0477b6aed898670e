/*
 * process.c - the driver's actor (Mesos' SchedulerProcess): following the leading master its
 * detector reports, registration with the master and its retries, the reaction to a broken
 * link, and every message the master sends, each decoded, checked (driver still running, sent
 * by the current master, connected) and turned into a scheduler callback. Everything here
 * runs on the driver's loop thread.
 */
#include "sched/sched_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------------------- */

static wire_framework_info *framework(const sched_driver *d) { return d->framework->root; }

static bool has_framework_id(const sched_driver *d)
{
    const wire_framework_info *fw = framework(d);
    return fw->id && fw->id->value && fw->id->value[0];
}

const char *sched__fid(const sched_driver *d)
{
    return has_framework_id(d) ? framework(d)->id->value : "(unregistered)";
}

static bool running(const sched_driver *d) { return atomic_load(&d->running); }
static bool aborted(const sched_driver *d) { return atomic_load(&d->aborted); }

void sched__send(sched_driver *d, const wire_desc *desc, const void *obj)
{
    wire_send(d->actor, &d->master, desc, obj);
}

void sched__settle(sched_driver *d)
{
    pthread_mutex_lock(&d->mu);
    d->settled = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

void sched__deliver_status(sched_driver *d, const wire_task_status *status)
{
    if (running(d) && d->sched.status_update) d->sched.status_update(d, status);
}

void sched__send_ack(sched_driver *d, const char *task_id, const char *slave_id,
                     const uint8_t *uuid, size_t uuid_len)
{
    wire_status_update_acknowledgement_message m = {
        .slave_id = {(char *)slave_id},
        .framework_id = {framework(d)->id->value},
        .task_id = {(char *)task_id},
        .uuid = {(uint8_t *)uuid, uuid_len},
    };
    VLOG(1, "Framework %s: acknowledging status update of task %s", sched__fid(d), task_id);
    sched__send(d, WIRE_DESC(status_update_acknowledgement_message), &m);
}

/* ---- registration ----------------------------------------------------------------------- */

static void register_now(sched_driver *d);

static void registration_timer(act_actor *self, void *arg)
{
    sched_driver *d = arg;
    d->reg_timer = 0;
    register_now(d);
}

/* Arms the next attempt after the current backoff, then doubles the backoff (capped). */
static void schedule_registration(sched_driver *d)
{
    if (d->reg_timer) return;
    d->reg_timer = act_delay(d->actor, d->backoff, registration_timer, d);
    d->backoff = fmin(d->backoff * 2, SCHED_BACKOFF_MAX);
}

static void send_registration(sched_driver *d)
{
    char master[ACT_PID_STRLEN];
    act_pid_format(&d->master, master, sizeof master);
    if (!has_framework_id(d)) {
        LOG_INFO("Registering framework '%s' with master %s", d->name, master);
        wire_register_framework_message m = {.framework = *framework(d)};
        sched__send(d, WIRE_DESC(register_framework_message), &m);
        return;
    }
    LOG_INFO("Re-registering framework %s with master %s (failover: %s)", sched__fid(d),
             master, d->failover ? "true" : "false");
    wire_reregister_framework_message m = {.framework = *framework(d), .failover = d->failover};
    sched__send(d, WIRE_DESC(reregister_framework_message), &m);
}

/* One registration attempt (links the master first if needed) and the retry after it. */
static void register_now(sched_driver *d)
{
    if (!running(d) || d->connected || act_pid_is_none(&d->master)) return;
    if (!d->linked) {
        act_link(d->actor, &d->master);
        d->linked = true;
    }
    send_registration(d);
    schedule_registration(d);
}

/* ---- authentication (with a credential) ------------------------------------------------- */

static void abandon_authentication(sched_driver *d)
{
    if (!act_pid_is_none(&d->authenticatee)) act_terminate(&d->authenticatee);
    d->authenticatee = (act_pid){0};
}

/* Registration with d->master starts over. With a credential the driver authenticates first,
 * every time (the master forgets a pid whose connection broke), as Mesos' driver does. */
static void start_registration(sched_driver *d)
{
    abandon_authentication(d);
    if (!running(d) || act_pid_is_none(&d->master)) return;
    if (!d->credential) {
        register_now(d);
        return;
    }
    if (auth_authenticatee_spawn(&d->master, &d->self, d->credential->root,
                                 act_actor_loop(d->actor), &d->authenticatee) != 0)
        d->authenticatee = (act_pid){0};
}

static void fail(sched_driver *d, const char *message);

/* The authenticatee the driver spawned last is done: register, or, refused, abort with an
 * error to the scheduler ("Master refused authentication", as Mesos). */
static void on_authenticated(act_actor *self, const act_msg *msg)
{
    sched_driver *d = act_state(self);
    if (!act_pid_equal(&msg->from, &d->authenticatee)) return; /* an abandoned attempt's */
    d->authenticatee = (act_pid){0};
    if (!running(d)) return;
    if (((const auth_result *)msg->obj)->completed)
        register_now(d);
    else
        fail(d, "Master refused authentication");
}

static void mark_connected(sched_driver *d)
{
    d->connected = true;
    d->failover = false;
    d->backoff = SCHED_BACKOFF_INITIAL;
    if (d->reg_timer) act_cancel(d->actor, d->reg_timer);
    d->reg_timer = 0;
}

static void on_init(act_actor *self, void *arg)
{
    sched_driver *d = arg;
    d->actor = self;
    d->detector = detector_spawn(d->address, DETECTOR_ZK_SESSION_TIMEOUT, &d->self, 0);
    d->address = NULL;
}

static void delivered_free(sched_driver *d)
{
    void *v;
    for (size_t it = 0; d->delivered && act_map_next(d->delivered, &it, NULL, &v);) free(v);
    act_map_free(d->delivered);
    d->delivered = NULL;
    for (size_t i = 0; i < d->nended; i++)
        free(d->ended[(d->ended_head + i) % d->ended_cap].task_id);
    free(d->ended);
    d->ended = NULL;
    d->ended_cap = d->ended_head = d->nended = 0;
}

static void on_terminate(act_actor *self, void *arg)
{
    sched_driver *d = arg;
    if (!act_pid_is_none(&d->detector)) act_terminate(&d->detector);
    abandon_authentication(d);
    d->actor = NULL;
    delivered_free(d);
    pthread_mutex_lock(&d->mu);
    d->terminated = true;
    d->settled = true;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* No longer registered: offers and pending acknowledgements are void; tell the scheduler. */
static void lose_connection(sched_driver *d)
{
    if (!d->connected) return;
    d->connected = false;
    sched__offers_clear(d);
    sched__acks_clear(d);
    if (d->sched.disconnected) d->sched.disconnected(d);
}

/* The link to the master broke (or could not be made). Connected: tell the scheduler and
 * re-register at once (failover=false, as Mesos does after a registration), then back off.
 * Not connected: the pending retry stands. With ZooKeeper the detector also reports the
 * master's successor, which the driver then follows. */
static void on_exited(act_actor *self, const act_pid *pid)
{
    sched_driver *d = act_state(self);
    if (!act_pid_equal(pid, &d->master)) return;
    d->linked = false;
    if (!running(d)) return;
    if (!d->connected && !d->credential) {
        schedule_registration(d);
        return;
    }
    char master[ACT_PID_STRLEN];
    LOG_WARNING("Framework %s: master %s disconnected; re-registering", sched__fid(d),
                act_pid_format(pid, master, sizeof master));
    lose_connection(d);
    if (d->reg_timer) act_cancel(d->actor, d->reg_timer);
    d->reg_timer = 0;
    d->backoff = SCHED_BACKOFF_INITIAL;
    start_registration(d);
}

/* A master in this very process may be named by a loopback address; messages from it carry
 * the runtime's advertised address, so the driver uses that to recognise them. */
static void localize(act_pid *master)
{
    act_pid self = act_address();
    if (master->port == act_port() && master->ip == 0x7f000001u) {
        master->ip = self.ip;
        master->port = self.port;
    }
}

/* The detector reports a new leading master, or none (Mesos' SchedulerProcess::detected):
 * a connected driver tells the scheduler it is disconnected, then registers with the new
 * master at once (re-registers, with its framework ID). */
static void on_detected(act_actor *self, const act_msg *msg)
{
    sched_driver *d = act_state(self);
    const detector_leader *l = msg->obj;
    if (!running(d)) return;
    if (l->error) {
        char why[512];
        snprintf(why, sizeof why, "Failed to detect a master: %s", l->error);
        fail(d, why);
        return;
    }
    lose_connection(d);
    abandon_authentication(d);
    if (d->reg_timer) act_cancel(d->actor, d->reg_timer);
    d->reg_timer = 0;
    d->linked = false;
    d->backoff = SCHED_BACKOFF_INITIAL;
    d->master = l->info ? l->pid : (act_pid){0};
    if (!l->info) {
        LOG_INFO("Framework %s: no master detected; waiting for one", sched__fid(d));
        return;
    }
    localize(&d->master);
    char master[ACT_PID_STRLEN];
    LOG_INFO("Framework %s: new master detected at %s", sched__fid(d),
             act_pid_format(&d->master, master, sizeof master));
    start_registration(d);
}

/* ---- messages from the master ----------------------------------------------------------- */

static void on_registered(sched_driver *d, void *root)
{
    wire_framework_registered_message *m = root;
    if (d->connected) {
        VLOG(1, "Framework %s: ignoring FrameworkRegisteredMessage: already connected",
             sched__fid(d));
        return;
    }
    wire_framework_info *fw = framework(d);
    if (!has_framework_id(d) || strcmp(fw->id->value, m->framework_id.value) != 0) {
        fw->id = wire_alloc(d->framework, sizeof *fw->id);
        fw->id->value = wire_strdup(d->framework, m->framework_id.value);
    }
    mark_connected(d);
    LOG_INFO("Framework registered with %s", sched__fid(d));
    if (d->sched.registered) d->sched.registered(d, &m->framework_id, &m->master_info);
}

static void on_reregistered(sched_driver *d, void *root)
{
    wire_framework_reregistered_message *m = root;
    if (d->connected) {
        VLOG(1, "Framework %s: ignoring FrameworkReregisteredMessage: already connected",
             sched__fid(d));
        return;
    }
    if (!has_framework_id(d) || strcmp(sched__fid(d), m->framework_id.value) != 0) {
        LOG_WARNING("Framework %s: ignoring FrameworkReregisteredMessage for framework %s",
                    sched__fid(d), m->framework_id.value);
        return;
    }
    mark_connected(d);
    LOG_INFO("Framework %s re-registered", sched__fid(d));
    if (d->sched.reregistered) d->sched.reregistered(d, &m->master_info);
}

static void on_offers(sched_driver *d, void *root)
{
    wire_resource_offers_message *m = root;
    if (m->offers_count != m->pids_count)
        LOG_WARNING("Framework %s: ResourceOffersMessage with %zu offers and %zu pids",
                    sched__fid(d), m->offers_count, m->pids_count);
    for (size_t i = 0; i < m->offers_count; i++)
        sched__offer_add(d, m->offers[i].id.value, m->offers[i].slave_id.value);
    VLOG(1, "Framework %s: received %zu offers", sched__fid(d), m->offers_count);
    if (d->sched.resource_offers) d->sched.resource_offers(d, m->offers, m->offers_count);
}

static void on_rescind(sched_driver *d, void *root)
{
    wire_rescind_resource_offer_message *m = root;
    VLOG(1, "Framework %s: offer %s rescinded", sched__fid(d), m->offer_id.value);
    sched__offer_remove(d, m->offer_id.value);
    if (d->sched.offer_rescinded) d->sched.offer_rescinded(d, &m->offer_id);
}

size_t sched__ended_kept = 100000;

/* A task whose last delivered update is terminal joins the ring of ended tasks; the oldest
 * beyond sched__ended_kept is forgotten (unless a later delivery replaced its record), so a
 * driver that runs for months remembers its live tasks and its latest ended ones only. */
static void remember_ended(sched_driver *d, const char *task_id, sched_delivered *rec)
{
    if (sched__ended_kept == 0) { /* remember no ended task */
        free(act_map_remove(d->delivered, task_id));
        return;
    }
    rec->ended = ++d->ended_seq;
    if (d->nended >= sched__ended_kept) { /* forget the oldest */
        sched_ended *old = &d->ended[d->ended_head];
        sched_delivered *o = act_map_get(d->delivered, old->task_id);
        if (o && o->ended == old->seq) free(act_map_remove(d->delivered, old->task_id));
        free(old->task_id);
        d->ended_head = (d->ended_head + 1) % d->ended_cap;
        d->nended--;
    }
    if (d->nended == d->ended_cap) { /* grow, keeping the order from the head */
        size_t cap = d->ended_cap ? 2 * d->ended_cap : 64;
        sched_ended *v = act_malloc(cap * sizeof *v);
        for (size_t i = 0; i < d->nended; i++) v[i] = d->ended[(d->ended_head + i) % d->ended_cap];
        free(d->ended);
        d->ended = v;
        d->ended_cap = cap;
        d->ended_head = 0;
    }
    d->ended[(d->ended_head + d->nended++) % d->ended_cap] =
        (sched_ended){act_strdup(task_id), rec->ended};
}

/* True if this update (by uuid) is the one last delivered for its task; records it otherwise.
 * The slave resends an update whose acknowledgement it never recorded (PROTOCOL.md: duplicates
 * are dropped by the driver); for an ended task, as long as it is among the latest
 * sched__ended_kept ended ones. */
static bool duplicate(sched_driver *d, const wire_status_update *u)
{
    if (u->uuid.len != 16) return false;
    if (!d->delivered) d->delivered = act_map_new();
    const char *task = u->status.task_id.value;
    sched_delivered *last = act_map_get(d->delivered, task);
    if (last && memcmp(last->uuid, u->uuid.data, 16) == 0) return true;
    if (!last) {
        last = act_calloc(1, sizeof *last);
        act_map_put(d->delivered, task, last);
    }
    memcpy(last->uuid, u->uuid.data, 16);
    last->ended = 0;
    if (wire_task_state_terminal(u->status.state)) remember_ended(d, task, last);
    return false;
}

/* Updates from a slave carry a UUID and the slave's pid and need an acknowledgement; updates
 * the master generated itself (pid empty) and reconciliation answers do not. As in Mesos, an
 * update handed to the scheduler is acknowledged even when the scheduler stopped the driver
 * inside the callback (the acknowledgement leaves before the stop's message); only an abort
 * skips it. */
static void on_status_update(sched_driver *d, void *root)
{
    wire_status_update_message *m = root;
    wire_status_update *u = &m->update;
    if (strcmp(u->framework_id.value, sched__fid(d)) != 0) {
        LOG_WARNING("Framework %s: ignoring status update for framework %s", sched__fid(d),
                    u->framework_id.value);
        return;
    }
    VLOG(1, "Framework %s: task %s is now %s", sched__fid(d), u->status.task_id.value,
         wire_task_state_name(u->status.state));
    bool needs_ack = u->uuid.len > 0 && m->pid && m->pid[0];
    if (duplicate(d, u)) { /* resent after a slave restart: acknowledge, do not deliver */
        LOG_INFO("Framework %s: dropping a duplicate %s update for task %s", sched__fid(d),
                 wire_task_state_name(u->status.state), u->status.task_id.value);
        if (!aborted(d) && needs_ack)
            sched__send_ack(d, u->status.task_id.value, u->slave_id ? u->slave_id->value : "",
                            u->uuid.data, u->uuid.len);
        return;
    }
    sched__deliver_status(d, &u->status);
    if (aborted(d) || !needs_ack) return;
    const char *slave = u->slave_id ? u->slave_id->value : "";
    if (d->implicit)
        sched__send_ack(d, u->status.task_id.value, slave, u->uuid.data, u->uuid.len);
    else
        sched__ack_remember(d, u->status.task_id.value, slave, u->status.state, &u->uuid);
}

static void on_lost_slave(sched_driver *d, void *root)
{
    wire_lost_slave_message *m = root;
    LOG_INFO("Framework %s: slave %s lost", sched__fid(d), m->slave_id.value);
    if (d->sched.slave_lost) d->sched.slave_lost(d, &m->slave_id);
}

static void on_exited_executor(sched_driver *d, void *root)
{
    wire_exited_executor_message *m = root;
    LOG_INFO("Framework %s: executor %s on slave %s exited with status %d", sched__fid(d),
             m->executor_id.value, m->slave_id.value, (int)m->status);
    if (d->sched.executor_lost)
        d->sched.executor_lost(d, &m->executor_id, &m->slave_id, (int)m->status);
}

static void on_framework_message(sched_driver *d, void *root)
{
    wire_executor_to_framework_message *m = root;
    if (d->sched.framework_message)
        d->sched.framework_message(d, &m->executor_id, &m->slave_id, m->data.data, m->data.len);
}

/* Abort first (so no other callback follows), then tell the scheduler, as Mesos does. */
static void fail(sched_driver *d, const char *message)
{
    sched_driver_abort(d);
    if (d->sched.error) d->sched.error(d, message);
}

/* The master refused or removed the framework. */
static void on_error(sched_driver *d, void *root)
{
    wire_framework_error_message *m = root;
    LOG_ERROR("Framework %s: error from the master: %s", sched__fid(d), m->message);
    fail(d, m->message);
}

/* ---- dispatching ------------------------------------------------------------------------ */

/* Which messages a handler accepts, beyond "the driver still runs". */
typedef enum guard {
    FROM_MASTER,          /* registration answers and errors: from the current master */
    FROM_MASTER_CONNECTED /* everything else: from the current master, while registered (our
                             slaves relay executor messages through the master; Mesos 0.22
                             drivers took those and errors from anyone) */
} guard;

typedef struct handler {
    const wire_desc *desc;
    void (*fn)(sched_driver *d, void *root);
    guard guard;
} handler;

/* The busiest first: find_handler compares names in this order (two updates per task). */
static const handler handlers[] = {
    {WIRE_DESC(status_update_message), on_status_update, FROM_MASTER_CONNECTED},
    {WIRE_DESC(resource_offers_message), on_offers, FROM_MASTER_CONNECTED},
    {WIRE_DESC(framework_registered_message), on_registered, FROM_MASTER},
    {WIRE_DESC(framework_reregistered_message), on_reregistered, FROM_MASTER},
    {WIRE_DESC(rescind_resource_offer_message), on_rescind, FROM_MASTER_CONNECTED},
    {WIRE_DESC(lost_slave_message), on_lost_slave, FROM_MASTER_CONNECTED},
    {WIRE_DESC(exited_executor_message), on_exited_executor, FROM_MASTER_CONNECTED},
    {WIRE_DESC(executor_to_framework_message), on_framework_message, FROM_MASTER_CONNECTED},
    {WIRE_DESC(framework_error_message), on_error, FROM_MASTER},
};

static const handler *find_handler(const char *name)
{
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(wire_type_name(handlers[i].desc), name) == 0) return &handlers[i];
    return NULL;
}

static bool guard_passes(const sched_driver *d, const handler *h, const act_msg *msg)
{
    if (h->guard == FROM_MASTER_CONNECTED && !d->connected) {
        VLOG(1, "Framework %s: ignoring %s: not connected", sched__fid(d), msg->name);
        return false;
    }
    if (act_pid_equal(&msg->from, &d->master)) return true;
    act_count_refused();
    char from[ACT_PID_STRLEN], master[ACT_PID_STRLEN];
    LOG_WARNING_LIMITED("Framework %s: ignoring %s from %s: the master is %s", sched__fid(d),
                        msg->name, act_pid_format(&msg->from, from, sizeof from),
                        act_pid_format(&d->master, master, sizeof master));
    return false;
}

static void on_message(act_actor *self, const act_msg *msg)
{
    sched_driver *d = act_state(self);
    const handler *h = find_handler(msg->name);
    if (!h || !running(d) || !guard_passes(d, h, msg)) return;
    wire_msg *m = NULL;
    char err[256];
    int rc = wire_decode_body(msg, h->desc, &m, err, sizeof err);
    if (rc != 0) {
        char from[ACT_PID_STRLEN];
        LOG_WARNING_LIMITED("Framework %s: dropping malformed %s from %s: %s", sched__fid(d),
                            msg->name, act_pid_format(&msg->from, from, sizeof from), err);
        return;
    }
    h->fn(d, m->root);
    wire_msg_free(m);
}

act_actor *sched__actor_new(sched_driver *d)
{
    wire_uuid uuid;
    char text[WIRE_UUID_STRLEN], name[ACT_ID_MAX];
    wire_uuid_random(&uuid);
    snprintf(name, sizeof name, "scheduler-%s", wire_uuid_format(&uuid, text, sizeof text));
    act_actor *a = act_new(name, d);
    if (!a) return NULL;
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        act_on_message(a, wire_type_name(handlers[i].desc), on_message);
    act_on_local(a, DETECTOR_MSG_LEADER, on_detected);
    act_on_local(a, AUTH_MSG_RESULT, on_authenticated);
    act_on_exited(a, on_exited);
    act_on_init(a, on_init, d);
    act_on_terminate(a, on_terminate, d);
    return a;
}
