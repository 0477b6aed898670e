/*
 * status_update_manager.c - the actor "status-update-manager": makes a task's status updates
 * reach the master reliably and in order (Mesos' StatusUpdateManager). Each task has a stream
 * of pending updates; only its oldest is in flight, resent after 10 s doubling to 10 min until
 * the master's acknowledgement arrives (via the slave); duplicates (same uuid) are dropped. A
 * stream is freed as soon as its terminal update is acknowledged, so memory follows the tasks
 * in flight, not every task ever run. With checkpointing every update and acknowledgement is
 * appended to the task's task.updates log first, and a restarted slave replays those logs
 * (SUM_MSG_RECOVER). An update that cannot be checkpointed (a full disk) is still forwarded,
 * but the executor is not told it is safe, so it keeps it until a slave has it on disk.
 * The manager's state and operations (sum_new, sum_take_update, ...) also run inside another
 * actor: each of mesos-fleet's hollow slaves embeds one instead of posting to an actor.
 */
#include "slave/slave_int.h"

#include <errno.h>
#include <string.h>

#define SUM_RETRY_MIN 10.0  /* STATUS_UPDATE_RETRY_INTERVAL_MIN */
#define SUM_RETRY_MAX 600.0 /* STATUS_UPDATE_RETRY_INTERVAL_MAX */
/* For tests of a live cluster only (docs/debugging-message-flows.md): a shorter first resend,
 * so a lost acknowledgement's retry can be seen without waiting 10 s of real time. */
#define SUM_RETRY_ENV "MESOS_TEST_STATUS_UPDATE_RETRY_INTERVAL"

#define SEEN_FEW 4

typedef struct pending {
    wire_msg *msg;                /* a wire_status_update; owned */
    wire_uuid uuid;
    struct pending *next;
} pending;

/* The updates of one task, oldest first. */
typedef struct stream {
    struct sum_state *st;         /* its manager (the retry timer's) */
    char framework_id[WIRE_ID_MAX];
    char task_id[WIRE_ID_MAX];
    char *path;                   /* task.updates, or NULL: not checkpointed (or no longer: a
                                     record could not be written); owned */
    act_pid slave;                /* sent as StatusUpdateMessage.pid */
    pending *head, *tail;
    /* Every uuid ever received: the first SEEN_FEW inline (a task's stream rarely has more),
     * the rest in `seen` (uuid text -> &seen_mark), made when first needed. */
    wire_uuid seen_few[SEEN_FEW];
    size_t nseen;
    act_map *seen;
    act_timer_id timer;           /* the retry timer, 0 when none; it may have been armed */
    double timer_at;              /* for an earlier head, due at timer_at (<= due) */
    double interval;              /* the head's current retry interval */
    double due;                   /* when the head is resent unless acknowledged */
} stream;

struct sum_state {
    act_actor *self;              /* the actor it runs in: sends and timers are its */
    act_pid master;               /* id "": paused */
    act_map *frameworks;          /* framework id -> act_map (task id -> stream) */
    size_t npending, nstreams;
    act_gauge *pending_gauge, *streams_gauge;
    act_counter *retries;
    double retry_min;             /* SUM_RETRY_MIN, unless SUM_RETRY_ENV says otherwise */
    act_pid slave;                /* the slave pid last forwarded, and its text: formatted */
    char slave_text[ACT_PID_STRLEN]; /* again only when a stream's differs ("" for none) */
};

static char seen_mark;

/* ---- freeing ----------------------------------------------------------------------------- */

void sum_update_free(void *p)
{
    sum_update *u = p;
    if (!u) return;
    wire_msg_free(u->update);
    free(u->path);
    free(u);
}

void sum_recover_free(void *p)
{
    sum_recover *r = p;
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) free(r->v[i].path);
    free(r->v);
    free(r);
}

/* ---- helpers ----------------------------------------------------------------------------- */

static const wire_status_update *update_of(const pending *p)
{
    return p->msg->root;
}

static char *uuid_text(const wire_uuid *u, char buf[WIRE_UUID_STRLEN])
{
    return wire_uuid_format(u, buf, WIRE_UUID_STRLEN);
}

static bool paused(const sum_state *st)
{
    return st->master.id[0] == '\0';
}

/* The gauges are the process's: several managers (mesos-fleet's hollow slaves) add to them. */
static void count_pending(sum_state *st, int delta)
{
    st->npending = (size_t)((long)st->npending + delta);
    act_gauge_add(st->pending_gauge, delta);
}

static void count_streams(sum_state *st, int delta)
{
    st->nstreams = (size_t)((long)st->nstreams + delta);
    act_gauge_add(st->streams_gauge, delta);
}

static void cancel_retry(sum_state *st, stream *s)
{
    if (s->timer) act_cancel(st->self, s->timer);
    s->timer = 0;
}

/* ---- streams ----------------------------------------------------------------------------- */

static stream *stream_find(sum_state *st, const char *framework_id, const char *task_id)
{
    act_map *tasks = act_map_get(st->frameworks, framework_id);
    return tasks ? act_map_get(tasks, task_id) : NULL;
}

static stream *stream_new(sum_state *st, const char *framework_id, const char *task_id)
{
    stream *s = act_calloc(1, sizeof *s);
    s->st = st;
    wire_id_copy(s->framework_id, framework_id);
    wire_id_copy(s->task_id, task_id);
    return s;
}

/* Frees s and its pending updates; the caller cancelled its timer and unlinked it. */
static void stream_free(sum_state *st, stream *s)
{
    while (s->head) {
        pending *p = s->head;
        s->head = p->next;
        wire_msg_free(p->msg);
        free(p);
        count_pending(st, -1);
    }
    act_map_free(s->seen);
    free(s->path);
    free(s);
}

static void stream_insert(sum_state *st, stream *s)
{
    act_map *tasks = act_map_get(st->frameworks, s->framework_id);
    if (!tasks) {
        tasks = act_map_new();
        act_map_put(st->frameworks, s->framework_id, tasks);
    }
    act_map_put(tasks, s->task_id, s);
    count_streams(st, +1);
}

/* Frees a stream that was inserted; the caller unlinked it. */
static void stream_drop(sum_state *st, stream *s)
{
    cancel_retry(st, s);
    stream_free(st, s);
    count_streams(st, -1);
}

/* Unlinks and frees one stream (its framework's table goes with its last stream). */
static void stream_remove(sum_state *st, stream *s)
{
    act_map *tasks = act_map_get(st->frameworks, s->framework_id);
    act_map_remove(tasks, s->task_id);
    if (act_map_size(tasks) == 0) act_map_free(act_map_remove(st->frameworks, s->framework_id));
    stream_drop(st, s);
}

/* Stops checkpointing a stream whose log could not be written: what follows would not match
 * what the log holds. */
static void stop_checkpointing(stream *s)
{
    LOG_ERROR("Status updates of task %s of framework %s are no longer checkpointed",
              s->task_id, s->framework_id);
    free(s->path);
    s->path = NULL;
}

static bool stream_seen(const stream *s, const wire_uuid *uuid)
{
    for (size_t i = 0; i < s->nseen && i < SEEN_FEW; i++)
        if (wire_uuid_equal(&s->seen_few[i], uuid)) return true;
    char u[WIRE_UUID_STRLEN];
    return s->seen && act_map_get(s->seen, uuid_text(uuid, u)) != NULL;
}

static void stream_see(stream *s, const wire_uuid *uuid)
{
    if (s->nseen < SEEN_FEW) {
        s->seen_few[s->nseen++] = *uuid;
        return;
    }
    if (!s->seen) s->seen = act_map_new();
    char u[WIRE_UUID_STRLEN];
    act_map_put(s->seen, uuid_text(uuid, u), &seen_mark);
    s->nseen++;
}

/* Appends an update (owned from now on) to the stream. */
static void stream_push(sum_state *st, stream *s, wire_msg *msg, const wire_uuid *uuid)
{
    pending *p = act_calloc(1, sizeof *p);
    p->msg = msg;
    p->uuid = *uuid;
    if (s->tail) s->tail->next = p;
    else s->head = p;
    s->tail = p;
    stream_see(s, uuid);
    count_pending(st, +1);
}

/* Removes the head; returns whether it was terminal. */
static bool stream_pop(sum_state *st, stream *s)
{
    pending *p = s->head;
    s->head = p->next;
    if (!s->head) s->tail = NULL;
    bool terminal = wire_task_state_terminal(update_of(p)->status.state);
    wire_msg_free(p->msg);
    free(p);
    count_pending(st, -1);
    return terminal;
}

/* ---- sending ----------------------------------------------------------------------------- */

static void on_retry(act_actor *self, void *arg);

/* Arms the retry timer for s->due, unless one armed for an earlier head fires before it (it
 * then re-arms for the rest: on_retry). An acknowledgement followed by the next update costs
 * no timer removal and insertion that way. */
static void arm_retry(sum_state *st, stream *s)
{
    if (s->timer && s->timer_at > s->due) cancel_retry(st, s);
    if (s->timer) return;
    s->timer = act_delay(st->self, s->due - act_now(), on_retry, s);
    s->timer_at = s->due;
}

/* Sends the stream's head to the master; it is resent after `interval` seconds unless
 * acknowledged before. */
static void forward_head(sum_state *st, stream *s, double interval)
{
    if (!s->head || paused(st)) {
        cancel_retry(st, s);
        return;
    }
    const wire_status_update *u = update_of(s->head);
    char id[WIRE_UUID_STRLEN], master[ACT_PID_STRLEN];
    if (!act_pid_equal(&s->slave, &st->slave)) {
        st->slave = s->slave;
        act_pid_format(&st->slave, st->slave_text, sizeof st->slave_text);
    }
    /* its other field, pid, is optional: nothing else needs wire_init's defaults */
    wire_status_update_message m = {.update = *u, .has_pid = st->slave_text[0] != '\0',
                                    .pid = st->slave_text};
    wire_send(st->self, &st->master, WIRE_DESC(status_update_message), &m);
    LOG_INFO("Forwarding status update %s (UUID: %s) for task %s of framework %s to %s",
             wire_task_state_name(u->status.state), uuid_text(&s->head->uuid, id), s->task_id,
             s->framework_id, act_pid_format(&st->master, master, sizeof master));
    s->interval = interval;
    s->due = act_now() + interval;
    arm_retry(st, s);
}

static void on_retry(act_actor *self, void *arg)
{
    stream *s = arg;
    sum_state *st = s->st;
    s->timer = 0;
    if (!s->head || paused(st)) return;
    if (s->due - act_now() > 1e-6) { /* armed for an earlier head: this one is not due yet */
        arm_retry(st, s);
        return;
    }
    char id[WIRE_UUID_STRLEN];
    LOG_WARNING("Resending status update %s (UUID: %s) for task %s of framework %s",
                wire_task_state_name(update_of(s->head)->status.state),
                uuid_text(&s->head->uuid, id), s->task_id, s->framework_id);
    act_counter_inc(st->retries);
    double next = s->interval * 2;
    forward_head(st, s, next < SUM_RETRY_MAX ? next : SUM_RETRY_MAX);
}

/* Tells the executor its update is recorded: it may forget it. */
static void ack_executor(sum_state *st, const act_pid *executor, const wire_status_update *u)
{
    if (act_pid_is_none(executor)) return;
    wire_status_update_acknowledgement_message a;
    wire_init(WIRE_DESC(status_update_acknowledgement_message), &a);
    const wire_slave_id *sid = u->slave_id ? u->slave_id : u->status.slave_id;
    a.slave_id.value = sid ? sid->value : "";
    a.framework_id = u->framework_id;
    a.task_id = u->status.task_id;
    a.uuid = u->uuid;
    wire_send(st->self, executor, WIRE_DESC(status_update_acknowledgement_message), &a);
}

/* ---- checkpoint records ------------------------------------------------------------------ */

static int record_update(const char *path, const wire_status_update *u)
{
    wire_status_update_record r;
    wire_init(WIRE_DESC(status_update_record), &r);
    r.type = WIRE_RECORD_UPDATE;
    r.update = (wire_status_update *)u;
    char err[512];
    int rc = ckpt_append(path, WIRE_DESC(status_update_record), &r, err, sizeof err);
    if (rc != 0) LOG_ERROR("Failed to checkpoint status update: %s", err);
    return rc;
}

static int record_ack(const char *path, const wire_uuid *uuid)
{
    wire_status_update_record r;
    wire_init(WIRE_DESC(status_update_record), &r);
    r.type = WIRE_RECORD_ACK;
    r.has_uuid = true;
    r.uuid.data = (uint8_t *)uuid->bytes;
    r.uuid.len = sizeof uuid->bytes;
    char err[512];
    int rc = ckpt_append(path, WIRE_DESC(status_update_record), &r, err, sizeof err);
    if (rc != 0) LOG_ERROR("Failed to checkpoint status update acknowledgement: %s", err);
    return rc;
}

/* ---- SUM_MSG_UPDATE ---------------------------------------------------------------------- */

/* Checks the update names a task and carries a 16-byte uuid (reconciliation answers do not
 * and never come here). */
static bool update_valid(const wire_status_update *u, wire_uuid *uuid)
{
    if (!u || !u->framework_id.value || !u->status.task_id.value) return false;
    if (strlen(u->framework_id.value) >= WIRE_ID_MAX) return false;
    if (strlen(u->status.task_id.value) >= WIRE_ID_MAX) return false;
    return wire_uuid_from_bytes(u->uuid.data, u->uuid.len, uuid) == 0;
}

/* Logs and acknowledges an update the stream already has. True if the update was handled
 * that way. */
static bool drop_known(sum_state *st, stream *s, const sum_update *in, const wire_uuid *uuid)
{
    if (!s || !stream_seen(s, uuid)) return false;
    const wire_status_update *u = in->update->root;
    char id[WIRE_UUID_STRLEN];
    LOG_WARNING("Ignoring duplicate status update %s (UUID: %s) for task %s of framework %s",
                wire_task_state_name(u->status.state), uuid_text(uuid, id), s->task_id,
                s->framework_id);
    ack_executor(st, &in->executor, u);
    return true;
}

void sum_take_update(sum_state *st, sum_update *in)
{
    wire_uuid uuid;
    const wire_status_update *u = in->update ? in->update->root : NULL;
    if (!update_valid(u, &uuid)) {
        LOG_ERROR("Dropping a status update for task %s of framework %s: it needs both IDs "
                  "and a 16-byte uuid", u && u->status.task_id.value ? u->status.task_id.value
                  : "?", u && u->framework_id.value ? u->framework_id.value : "?");
        return;
    }
    stream *s = stream_find(st, u->framework_id.value, u->status.task_id.value);
    if (drop_known(st, s, in, &uuid)) return;
    char id[WIRE_UUID_STRLEN];
    LOG_INFO("Received status update %s (UUID: %s) for task %s of framework %s",
             wire_task_state_name(u->status.state), uuid_text(&uuid, id),
             u->status.task_id.value, u->framework_id.value);
    bool fresh = !s;
    if (fresh) {
        s = stream_new(st, u->framework_id.value, u->status.task_id.value);
        stream_insert(st, s);
        if (in->path) s->path = act_strdup(in->path);
    }
    bool durable = !in->path || (s->path && record_update(s->path, u) == 0);
    if (!durable && s->path) stop_checkpointing(s);
    s->slave = in->slave;
    if (durable) ack_executor(st, &in->executor, u); /* else it keeps it: nothing on disk */
    stream_push(st, s, in->update, &uuid);
    in->update = NULL; /* the stream owns it now */
    if (s->head == s->tail) forward_head(st, s, st->retry_min);
}

static void on_update(act_actor *self, const act_msg *msg)
{
    sum_take_update(act_state(self), msg->obj);
}

/* ---- SUM_MSG_ACK ------------------------------------------------------------------------- */

static bool ack_matches_head(const stream *s, const sum_ack *a)
{
    char id[WIRE_UUID_STRLEN];
    if (!s) {
        LOG_WARNING("Ignoring acknowledgement (UUID: %s) for unknown task %s of framework %s",
                    uuid_text(&a->uuid, id), a->task_id, a->framework_id);
        return false;
    }
    if (s->head && wire_uuid_equal(&s->head->uuid, &a->uuid)) return true;
    LOG_WARNING("Ignoring %s acknowledgement (UUID: %s) for task %s of framework %s",
                stream_seen(s, &a->uuid) ? "duplicate" : "unexpected", uuid_text(&a->uuid, id),
                a->task_id, a->framework_id);
    return false;
}

/* A terminal update was acknowledged: the stream is done. What is still pending after it is
 * dropped, as Mesos does. */
static void close_stream(sum_state *st, stream *s)
{
    if (s->head)
        LOG_WARNING("Acknowledged a terminal status update for task %s of framework %s but "
                    "updates are still pending; dropping them", s->task_id, s->framework_id);
    LOG_INFO("Closing status update stream for task %s of framework %s", s->task_id,
             s->framework_id);
    stream_remove(st, s);
}

int sum_take_ack(sum_state *st, const sum_ack *a)
{
    stream *s = stream_find(st, a->framework_id, a->task_id);
    if (!ack_matches_head(s, a)) return -1;
    if (s->path && record_ack(s->path, &a->uuid) != 0) stop_checkpointing(s);
    char id[WIRE_UUID_STRLEN];
    LOG_INFO("Status update (UUID: %s) for task %s of framework %s acknowledged",
             uuid_text(&a->uuid, id), a->task_id, a->framework_id);
    bool terminal = stream_pop(st, s); /* the retry timer stays for the next head */
    if (terminal) close_stream(st, s);
    else forward_head(st, s, st->retry_min);
    return terminal;
}

static void on_ack(act_actor *self, const act_msg *msg)
{
    const sum_ack *a = msg->obj;
    int terminal = sum_take_ack(act_state(self), a);
    if (terminal < 0) return;
    sum_ack *out = act_malloc(sizeof *out);
    *out = *a;
    out->terminal = terminal;
    act_post(self, &msg->from, SUM_MSG_ACKED, out, free);
}

/* ---- SUM_MSG_MASTER ---------------------------------------------------------------------- */

static void for_each_stream(sum_state *st, void (*fn)(sum_state *, stream *))
{
    void *tasks, *s;
    for (size_t i = 0; act_map_next(st->frameworks, &i, NULL, &tasks);)
        for (size_t j = 0; act_map_next(tasks, &j, NULL, &s);) fn(st, s);
}

static void resend_head(sum_state *st, stream *s)
{
    forward_head(st, s, st->retry_min);
}

void sum_set_master(sum_state *st, const act_pid *master)
{
    char text[ACT_PID_STRLEN];
    if (!master || act_pid_is_none(master)) {
        LOG_INFO("Pausing sending status updates");
        st->master = (act_pid){0};
        for_each_stream(st, cancel_retry);
        return;
    }
    LOG_INFO("Sending status updates to the master at %s",
             act_pid_format(master, text, sizeof text));
    st->master = *master;
    for_each_stream(st, resend_head);
}

static void on_master(act_actor *self, const act_msg *msg)
{
    sum_set_master(act_state(self), msg->obj);
}

/* ---- SUM_MSG_RECOVER --------------------------------------------------------------------- */

/* Replays one task.updates log into a new stream. */
typedef struct replay {
    sum_state *st;
    stream *s;
    bool terminated;              /* its terminal update was acknowledged: nothing to resume */
    int error;                    /* 0, or -EBADMSG on an out-of-order record */
} replay;

static void replay_update(replay *r, const wire_status_update *u)
{
    wire_uuid uuid;
    if (!update_valid(u, &uuid)) {
        r->error = -EBADMSG;
        return;
    }
    if (!r->s) r->s = stream_new(r->st, u->framework_id.value, u->status.task_id.value);
    if (strcmp(r->s->framework_id, u->framework_id.value) != 0 ||
        strcmp(r->s->task_id, u->status.task_id.value) != 0) {
        r->error = -EBADMSG;
        return;
    }
    if (stream_seen(r->s, &uuid)) return;
    stream_push(r->st, r->s, wire_copy(WIRE_DESC(status_update), u), &uuid);
}

static void replay_ack(replay *r, const wire_bytes *bytes)
{
    wire_uuid uuid;
    if (!r->s || !r->s->head || wire_uuid_from_bytes(bytes->data, bytes->len, &uuid) != 0 ||
        !wire_uuid_equal(&r->s->head->uuid, &uuid)) {
        r->error = -EBADMSG;
        return;
    }
    if (stream_pop(r->st, r->s)) r->terminated = true;
}

static void replay_record(void *ctx, const void *record)
{
    replay *r = ctx;
    const wire_status_update_record *rec = record;
    if (r->error || r->terminated) return; /* records after the end mean nothing */
    if (rec->type == WIRE_RECORD_UPDATE && rec->update) replay_update(r, rec->update);
    else if (rec->type == WIRE_RECORD_ACK) replay_ack(r, &rec->uuid);
    else r->error = -EBADMSG;
}

/* Reads one log; returns the replayed stream or NULL (logged). */
static stream *recover_stream(sum_state *st, const sum_recover_stream *in)
{
    replay r = {st, NULL, false, 0};
    char err[512];
    int rc = ckpt_read_records(in->path, WIRE_DESC(status_update_record), replay_record, &r,
                               err, sizeof err);
    if (rc == -ENOENT) {
        LOG_WARNING("No status updates found in %s", in->path);
        return NULL;
    }
    if (rc < 0 || r.error || r.terminated) {
        if (!r.terminated)
            LOG_ERROR("Skipping status updates of %s: %s", in->path,
                      rc < 0 ? err : "records out of order");
        if (r.s) stream_free(st, r.s);
        return NULL;
    }
    if (r.s) {
        r.s->path = act_strdup(in->path);
        r.s->slave = in->slave;
    }
    return r.s;
}

static void adopt_recovered(sum_state *st, stream *s)
{
    if (stream_find(st, s->framework_id, s->task_id)) {
        LOG_WARNING("Ignoring recovered status updates for task %s of framework %s: the "
                    "stream already exists", s->task_id, s->framework_id);
        stream_free(st, s);
        return;
    }
    LOG_INFO("Recovered status update stream for task %s of framework %s", s->task_id,
             s->framework_id);
    stream_insert(st, s);
    forward_head(st, s, st->retry_min);
}

static void on_recover(act_actor *self, const act_msg *msg)
{
    sum_state *st = act_state(self);
    const sum_recover *r = msg->obj;
    for (size_t i = 0; r && i < r->n; i++) {
        stream *s = recover_stream(st, &r->v[i]);
        if (s) adopt_recovered(st, s);
    }
}

/* ---- SUM_MSG_CLEANUP and termination ----------------------------------------------------- */

/* Frees a framework's table (already unlinked) and every stream in it. */
static void forget_tasks(sum_state *st, act_map *tasks)
{
    void *s;
    for (size_t j = 0; act_map_next(tasks, &j, NULL, &s);) stream_drop(st, s);
    act_map_free(tasks);
}

void sum_forget_framework(sum_state *st, const char *framework_id)
{
    if (!framework_id) return;
    act_map *tasks = act_map_remove(st->frameworks, framework_id);
    LOG_INFO("Closing status update streams for framework %s (%zu streams)", framework_id,
             tasks ? act_map_size(tasks) : 0);
    if (tasks) forget_tasks(st, tasks);
}

static void on_cleanup(act_actor *self, const act_msg *msg)
{
    sum_forget_framework(act_state(self), msg->obj);
}

void sum_free(sum_state *st)
{
    if (!st) return;
    void *tasks;
    for (size_t i = 0; act_map_next(st->frameworks, &i, NULL, &tasks);) forget_tasks(st, tasks);
    act_map_free(st->frameworks);
    free(st);
}

static void on_terminate(act_actor *self, void *arg)
{
    sum_free(act_state(self));
}

sum_state *sum_new(act_actor *self)
{
    sum_state *st = act_calloc(1, sizeof *st);
    st->self = self;
    st->frameworks = act_map_new();
    st->pending_gauge = act_gauge_get("status-update-manager/pending");
    st->streams_gauge = act_gauge_get("status-update-manager/streams");
    st->retries = act_counter_get("status-update-manager/retries");
    st->retry_min = SUM_RETRY_MIN;
    const char *test = getenv(SUM_RETRY_ENV);
    if (test && *test && (act_duration_parse(test, &st->retry_min) != 0 || st->retry_min <= 0)) {
        LOG_WARNING("Ignoring %s='%s': not a positive duration", SUM_RETRY_ENV, test);
        st->retry_min = SUM_RETRY_MIN;
    } else if (test && *test) {
        LOG_WARNING("Status updates are resent first after %s (%s: for tests only)", test,
                    SUM_RETRY_ENV);
    }
    return st;
}

act_pid sum_spawn(const char *name, int loop)
{
    sum_state *st = sum_new(NULL);
    act_actor *a = act_new(name ? name : SUM_ACTOR, st);
    st->self = a;
    act_on_local(a, SUM_MSG_UPDATE, on_update);
    act_on_local(a, SUM_MSG_ACK, on_ack);
    act_on_local(a, SUM_MSG_MASTER, on_master);
    act_on_local(a, SUM_MSG_RECOVER, on_recover);
    act_on_local(a, SUM_MSG_CLEANUP, on_cleanup);
    act_on_terminate(a, on_terminate, NULL);
    act_pid pid = act_self(a);
    if (act_spawn(a, loop) != 0) { /* the runtime destroyed the actor, not its state */
        sum_free(st);
        return (act_pid){0};
    }
    return pid;
}
