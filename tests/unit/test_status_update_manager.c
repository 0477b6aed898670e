/*
 * test_status_update_manager.c - the status update manager on a paused clock, between a fake
 * master and a fake executor (tests/support/fake.h) and a stand-in slave actor that posts the
 * manager its messages and records what comes back: one update of a task in flight at a time,
 * retries at 10 s doubling to 10 min, duplicates, pause and resume, terminal streams,
 * checkpoint records, recovery from task.updates logs and framework cleanup.
 */
#include "slave/slave_int.h"
#include "tests/support/fake.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUM_UPDATE_MSG MI(StatusUpdateMessage)
#define SUM_EXEC_ACK MI(StatusUpdateAcknowledgementMessage)

static const char *const master_names[] = {SUM_UPDATE_MSG, NULL};
static const char *const executor_names[] = {SUM_EXEC_ACK, NULL};

static act_pid sum, slave;
static fake *master, *executor;
static char *dir;

/* ---- the stand-in slave: posts for the tests, records SUM_MSG_ACKED ---------------------- */

static pthread_mutex_t acked_mu = PTHREAD_MUTEX_INITIALIZER;
static sum_ack acked[32];
static size_t nacked;

static void on_acked(act_actor *self, const act_msg *msg)
{
    pthread_mutex_lock(&acked_mu);
    if (nacked < 32) acked[nacked] = *(const sum_ack *)msg->obj;
    nacked++;
    pthread_mutex_unlock(&acked_mu);
}

static size_t acked_count(void)
{
    pthread_mutex_lock(&acked_mu);
    size_t n = nacked;
    pthread_mutex_unlock(&acked_mu);
    return n;
}

typedef struct outgoing {
    const char *name;
    void *obj;
    void (*free_obj)(void *);
} outgoing;

static void do_post(act_actor *self, void *arg)
{
    outgoing *o = arg;
    if (self) act_post(self, &sum, o->name, o->obj, o->free_obj);
    else o->free_obj(o->obj);
    free(o);
}

/* Posts obj to the manager from the stand-in slave and waits until everything settled. */
static void post(const char *name, void *obj, void (*free_obj)(void *))
{
    outgoing *o = act_malloc(sizeof *o);
    *o = (outgoing){name, obj, free_obj};
    ck_assert_int_eq(act_dispatch(&slave, do_post, o), 0);
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void start(void)
{
    act_clock_pause();
    tu_runtime_start(1);
    nacked = 0;
    act_actor *a = act_new("slave(1)", NULL);
    act_on_message(a, SUM_MSG_ACKED, on_acked);
    slave = act_self(a);
    ck_assert_int_eq(act_spawn(a, 0), 0);
    sum = sum_spawn(NULL, 0);
    ck_assert(!act_pid_is_none(&sum));
    master = fake_spawn("master", 0, master_names);
    executor = fake_spawn("executor(1)", 0, executor_names);
    dir = tu_tmpdir();
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void stop(void)
{
    act_shutdown();
    act_clock_resume();
    tu_rmrf(dir);
    free(dir);
}

/* ---- building messages ------------------------------------------------------------------- */

static wire_uuid uuid_n(uint8_t n)
{
    wire_uuid u = {{0}};
    u.bytes[0] = n;
    u.bytes[15] = 0xab;
    return u;
}

static wire_msg *make_update(const char *fw, const char *task, wire_task_state state, uint8_t n)
{
    wire_msg *m = wire_new(WIRE_DESC(status_update));
    wire_status_update *u = m->root;
    u->framework_id.value = wire_strdup(m, fw);
    u->status.task_id.value = wire_strdup(m, task);
    u->status.state = state;
    u->slave_id = wire_alloc(m, sizeof *u->slave_id);
    u->slave_id->value = wire_strdup(m, "S1");
    u->timestamp = 1.0;
    wire_uuid id = uuid_n(n);
    u->uuid.data = wire_alloc(m, 17);
    memcpy(u->uuid.data, id.bytes, 16);
    u->uuid.len = 16;
    return m;
}

/* An update from the slave `from` (a task's stream keeps the first one's). */
static void send_update_from(const act_pid *from, const char *fw, const char *task,
                             wire_task_state state, uint8_t n, const char *path)
{
    sum_update *u = act_calloc(1, sizeof *u);
    u->update = make_update(fw, task, state, n);
    u->path = path ? act_strdup(path) : NULL;
    u->executor = fake_pid(executor);
    u->slave = *from;
    post(SUM_MSG_UPDATE, u, sum_update_free);
}

static void send_update_to(const char *fw, const char *task, wire_task_state state, uint8_t n,
                           const char *path)
{
    send_update_from(&slave, fw, task, state, n, path);
}

static void send_update(const char *task, wire_task_state state, uint8_t n)
{
    send_update_to("F1", task, state, n, NULL);
}

static void ack_to(const char *fw, const char *task, uint8_t n)
{
    sum_ack *a = act_calloc(1, sizeof *a);
    snprintf(a->framework_id, sizeof a->framework_id, "%s", fw);
    snprintf(a->task_id, sizeof a->task_id, "%s", task);
    a->uuid = uuid_n(n);
    post(SUM_MSG_ACK, a, free);
}

static void ack(const char *task, uint8_t n)
{
    ack_to("F1", task, n);
}

static void set_master(bool present)
{
    act_pid *p = act_calloc(1, sizeof *p);
    if (present) *p = fake_pid(master);
    post(SUM_MSG_MASTER, p, free);
}

static size_t sent(void)
{
    return fake_count(master, SUM_UPDATE_MSG);
}

/* The uuid's first byte and the task of the i-th StatusUpdateMessage the master got. */
static uint8_t sent_uuid(size_t i, char *task, size_t n)
{
    wire_msg *m = fake_nth(master, SUM_UPDATE_MSG, WIRE_DESC(status_update_message), i);
    ck_assert_ptr_nonnull(m);
    wire_status_update_message *s = m->root;
    char pid[ACT_PID_STRLEN];
    ck_assert_str_eq(s->pid, act_pid_format(&slave, pid, sizeof pid));
    ck_assert_uint_eq(s->update.uuid.len, 16);
    uint8_t b = s->update.uuid.data[0];
    if (task) snprintf(task, n, "%s", s->update.status.task_id.value);
    wire_msg_free(m);
    return b;
}

/* The pid the i-th StatusUpdateMessage the master got names, into buf. */
static const char *sent_pid(size_t i, char *buf, size_t n)
{
    wire_msg *m = fake_nth(master, SUM_UPDATE_MSG, WIRE_DESC(status_update_message), i);
    ck_assert_ptr_nonnull(m);
    wire_status_update_message *s = m->root;
    snprintf(buf, n, "%s", s->has_pid ? s->pid : "(none)");
    wire_msg_free(m);
    return buf;
}

static void advance(double secs)
{
    act_clock_advance(secs);
    ck_assert_int_eq(act_clock_settle(), 0);
}

/* ---- reading task.updates ---------------------------------------------------------------- */

typedef struct records {
    int n;
    wire_record_type type[8];
    uint8_t uuid[8];
} records;

static void collect(void *ctx, const void *record)
{
    records *r = ctx;
    const wire_status_update_record *rec = record;
    const wire_bytes *u = rec->update ? &rec->update->uuid : &rec->uuid;
    if (r->n < 8) {
        r->type[r->n] = rec->type;
        r->uuid[r->n] = u->len ? u->data[0] : 0;
    }
    r->n++;
}

static records read_log(const char *path)
{
    records r = {0};
    char err[512];
    int rc = ckpt_read_records(path, WIRE_DESC(status_update_record), collect, &r, err,
                               sizeof err);
    ck_assert_msg(rc >= 0, "%s", err);
    return r;
}

static void log_update(const char *path, const char *task, wire_task_state state, uint8_t n)
{
    wire_msg *m = make_update("F1", task, state, n);
    wire_status_update_record r;
    wire_init(WIRE_DESC(status_update_record), &r);
    r.type = WIRE_RECORD_UPDATE;
    r.update = m->root;
    char err[512];
    ck_assert_int_eq(ckpt_append(path, WIRE_DESC(status_update_record), &r, err, sizeof err), 0);
    wire_msg_free(m);
}

static void log_ack(const char *path, uint8_t n)
{
    wire_uuid u = uuid_n(n);
    wire_status_update_record r;
    wire_init(WIRE_DESC(status_update_record), &r);
    r.type = WIRE_RECORD_ACK;
    r.has_uuid = true;
    r.uuid.data = u.bytes;
    r.uuid.len = 16;
    char err[512];
    ck_assert_int_eq(ckpt_append(path, WIRE_DESC(status_update_record), &r, err, sizeof err), 0);
}

static char *task_log(char *buf, const char *task)
{
    return path_meta_task_updates(buf, PATH_MAX, dir, "S1", "F1", "E1", "C1", task);
}

static void recover(const char *const *paths, size_t n)
{
    sum_recover *r = act_calloc(1, sizeof *r);
    r->v = act_calloc(n, sizeof *r->v);
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        r->v[i].path = act_strdup(paths[i]);
        r->v[i].slave = slave;
    }
    post(SUM_MSG_RECOVER, r, sum_recover_free);
}

/* ---- in flight, acknowledgements, retries ------------------------------------------------ */

START_TEST(test_only_the_oldest_update_of_a_task_is_in_flight)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    send_update("T1", WIRE_TASK_FINISHED, 2);
    ck_assert_uint_eq(sent(), 1);
    ck_assert_uint_eq(sent_uuid(0, NULL, 0), 1);
    ck_assert_uint_eq(fake_count(executor, SUM_EXEC_ACK), 2); /* both recorded */
    send_update("T2", WIRE_TASK_RUNNING, 3);                   /* another task: its own stream */
    ck_assert_uint_eq(sent(), 2);
    ck_assert_uint_eq(sent_uuid(1, NULL, 0), 3);
    ck_assert_double_eq(act_gauge_value(act_gauge_get("status-update-manager/pending")), 3);
}
END_TEST

START_TEST(test_executor_ack_names_the_update)
{
    send_update("T1", WIRE_TASK_RUNNING, 9);
    wire_msg *m = fake_last(executor, SUM_EXEC_ACK,
                            WIRE_DESC(status_update_acknowledgement_message));
    ck_assert_ptr_nonnull(m);
    wire_status_update_acknowledgement_message *a = m->root;
    ck_assert_str_eq(a->slave_id.value, "S1");
    ck_assert_str_eq(a->framework_id.value, "F1");
    ck_assert_str_eq(a->task_id.value, "T1");
    ck_assert_uint_eq(a->uuid.len, 16);
    ck_assert_uint_eq(a->uuid.data[0], 9);
    wire_msg_free(m);
    ck_assert_uint_eq(sent(), 0); /* no master yet */
}
END_TEST

START_TEST(test_ack_of_the_head_sends_the_next)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    send_update("T1", WIRE_TASK_FINISHED, 2);
    ack("T1", 1);
    ck_assert_uint_eq(sent(), 2);
    ck_assert_uint_eq(sent_uuid(1, NULL, 0), 2);
    ck_assert_uint_eq(acked_count(), 1);
    ck_assert_str_eq(acked[0].task_id, "T1");
    ck_assert_str_eq(acked[0].framework_id, "F1");
    wire_uuid one = uuid_n(1);
    ck_assert(wire_uuid_equal(&acked[0].uuid, &one));
    ck_assert(!acked[0].terminal);
}
END_TEST

START_TEST(test_retries_at_10s_doubling_capped_at_10min)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    ck_assert_uint_eq(sent(), 1);
    const double intervals[] = {10, 20, 40, 80, 160, 320, 600, 600, 600};
    size_t n = sizeof intervals / sizeof intervals[0];
    for (size_t i = 0; i < n; i++) {
        advance(intervals[i] - 0.5);
        ck_assert_msg(sent() == i + 1, "before retry %zu: %zu sent", i + 1, sent());
        advance(0.5);
        ck_assert_msg(sent() == i + 2, "at retry %zu: %zu sent", i + 1, sent());
        ck_assert_uint_eq(sent_uuid(i + 1, NULL, 0), 1);
    }
    ck_assert_uint_eq(act_counter_value(act_counter_get("status-update-manager/retries")), n);
}
END_TEST

START_TEST(test_ack_cancels_the_retry)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    ack("T1", 1);
    advance(3600);
    ck_assert_uint_eq(sent(), 1);
}
END_TEST

/* The retry timer outlives an acknowledgement that forwards the next update: that update's
 * retry still comes exactly retry_min after it was sent, whether the timer was due sooner
 * (it re-arms) or later (after a doubled interval: it is replaced). */
START_TEST(test_the_next_update_is_retried_10s_after_it_was_sent)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    send_update("T1", WIRE_TASK_RUNNING, 2);
    advance(6);
    ack("T1", 1); /* 2 sent at 6 s; the timer armed for 1 is due at 10 s */
    ck_assert_uint_eq(sent(), 2);
    advance(9.5);
    ck_assert_uint_eq(sent(), 2);
    advance(0.5);
    ck_assert_uint_eq(sent(), 3);
    ck_assert_uint_eq(sent_uuid(2, NULL, 0), 2);
    send_update("T1", WIRE_TASK_RUNNING, 3);
    advance(2); /* 2 is next due 20 s after its retry, at 36 s; acknowledged at 18 s */
    ack("T1", 2);
    ck_assert_uint_eq(sent(), 4);
    advance(9.5);
    ck_assert_uint_eq(sent(), 4);
    advance(0.5); /* 28 s: 3's retry, not 36 s */
    ck_assert_uint_eq(sent(), 5);
    ck_assert_uint_eq(sent_uuid(4, NULL, 0), 3);
}
END_TEST

START_TEST(test_duplicate_uuid_is_not_forwarded_twice_and_still_acked)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    send_update("T1", WIRE_TASK_RUNNING, 1); /* pending duplicate */
    ck_assert_uint_eq(sent(), 1);
    ck_assert_uint_eq(fake_count(executor, SUM_EXEC_ACK), 2);
    ack("T1", 1);
    send_update("T1", WIRE_TASK_RUNNING, 1); /* already acknowledged */
    ck_assert_uint_eq(sent(), 1);
    ck_assert_uint_eq(fake_count(executor, SUM_EXEC_ACK), 3);
    advance(60);
    ck_assert_uint_eq(sent(), 1); /* nothing pending, nothing resent */
    ck_assert_double_eq(act_gauge_value(act_gauge_get("status-update-manager/pending")), 0);
}
END_TEST

/* The first few uuids of a stream are kept inline, the rest in a table: duplicates are known
 * on both sides of that line, acknowledged or still pending. */
START_TEST(test_duplicates_are_known_in_a_long_stream)
{
    set_master(true);
    for (uint8_t n = 1; n <= 9; n++) send_update("T1", WIRE_TASK_RUNNING, n);
    for (uint8_t n = 1; n <= 3; n++) ack("T1", n);
    ck_assert_uint_eq(sent(), 4);
    send_update("T1", WIRE_TASK_RUNNING, 2); /* acknowledged, inline */
    send_update("T1", WIRE_TASK_RUNNING, 4); /* pending (in flight), inline */
    send_update("T1", WIRE_TASK_RUNNING, 8); /* pending, in the table */
    ck_assert_uint_eq(fake_count(executor, SUM_EXEC_ACK), 12);
    ck_assert_double_eq(act_gauge_value(act_gauge_get("status-update-manager/pending")), 6);
    for (uint8_t n = 4; n <= 9; n++) ack("T1", n);
    ck_assert_uint_eq(sent(), 9); /* each once, in order */
    for (size_t i = 0; i < 9; i++) ck_assert_uint_eq(sent_uuid(i, NULL, 0), i + 1);
    send_update("T1", WIRE_TASK_RUNNING, 9); /* acknowledged, in the table */
    send_update("T1", WIRE_TASK_RUNNING, 10); /* new */
    ck_assert_uint_eq(sent(), 10);
    ck_assert_uint_eq(sent_uuid(9, NULL, 0), 10);
}
END_TEST

START_TEST(test_pause_stops_sending_and_resume_resends_heads_at_once)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    send_update("T2", WIRE_TASK_RUNNING, 2);
    ck_assert_uint_eq(sent(), 2);
    set_master(false);
    advance(100);
    send_update("T3", WIRE_TASK_RUNNING, 3);
    send_update("T1", WIRE_TASK_FINISHED, 4);
    ck_assert_uint_eq(sent(), 2);
    set_master(true);
    ck_assert_uint_eq(sent(), 5); /* the heads of T1, T2, T3: not T1's second update */
    char task[WIRE_ID_MAX];
    bool seen[3] = {false};
    for (size_t i = 2; i < 5; i++) {
        uint8_t u = sent_uuid(i, task, sizeof task);
        ck_assert(u >= 1 && u <= 3);
        seen[u - 1] = true;
    }
    ck_assert(seen[0] && seen[1] && seen[2]);
    advance(9.5);
    ck_assert_uint_eq(sent(), 5);
    advance(0.5); /* retries re-armed from 10 s */
    ck_assert_uint_eq(sent(), 8);
}
END_TEST

static double gauge(const char *name)
{
    return act_gauge_value(act_gauge_get(name));
}

START_TEST(test_terminal_ack_reports_terminal_and_frees_the_stream)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    send_update("T1", WIRE_TASK_FINISHED, 2);
    send_update("T2", WIRE_TASK_RUNNING, 3);
    ck_assert_double_eq(gauge("status-update-manager/streams"), 2);
    ack("T1", 1);
    ack("T1", 2);
    ck_assert_uint_eq(acked_count(), 2);
    ck_assert(!acked[0].terminal);
    ck_assert(acked[1].terminal);
    ck_assert_double_eq(gauge("status-update-manager/streams"), 1); /* T2's is left */
    ck_assert_double_eq(gauge("status-update-manager/pending"), 1);
    ack("T1", 2); /* stale: the stream is gone */
    ck_assert_uint_eq(acked_count(), 2);
    advance(60);
    ck_assert_uint_eq(sent(), 4); /* T1 twice, T2 and T2's retry */
}
END_TEST

START_TEST(test_updates_after_a_terminal_one_are_dropped_with_it)
{
    set_master(true);
    send_update("T1", WIRE_TASK_FINISHED, 1);
    send_update("T1", WIRE_TASK_RUNNING, 2); /* behind the terminal one */
    ack("T1", 1);
    ck_assert(acked[0].terminal);
    ck_assert_uint_eq(sent(), 1);
    ck_assert_double_eq(gauge("status-update-manager/streams"), 0);
    ck_assert_double_eq(gauge("status-update-manager/pending"), 0);
    advance(600);
    ck_assert_uint_eq(sent(), 1);
}
END_TEST

START_TEST(test_stale_or_unknown_ack_is_ignored)
{
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    send_update("T1", WIRE_TASK_RUNNING, 2);
    ack("T1", 2);                /* not the head */
    ack("T9", 1);                /* unknown task */
    ack_to("F9", "T1", 1);       /* unknown framework */
    ck_assert_uint_eq(acked_count(), 0);
    ck_assert_uint_eq(sent(), 1);
    ack("T1", 1);
    ack("T1", 1);                /* a second ack for the same update */
    ck_assert_uint_eq(acked_count(), 1);
    ck_assert_uint_eq(sent(), 2);
}
END_TEST

/* ---- checkpoints and recovery ------------------------------------------------------------ */

START_TEST(test_checkpoint_records_after_update_and_ack)
{
    char p[PATH_MAX];
    task_log(p, "T1");
    send_update_to("F1", "T1", WIRE_TASK_RUNNING, 1, p);
    send_update_to("F1", "T1", WIRE_TASK_FINISHED, 2, p);
    records r = read_log(p);
    ck_assert_int_eq(r.n, 2);
    ck_assert_int_eq(r.type[0], WIRE_RECORD_UPDATE);
    ck_assert_int_eq(r.uuid[0], 1);
    ck_assert_int_eq(r.type[1], WIRE_RECORD_UPDATE);
    ck_assert_int_eq(r.uuid[1], 2);
    set_master(true);
    ack("T1", 1);
    r = read_log(p);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.type[2], WIRE_RECORD_ACK);
    ck_assert_int_eq(r.uuid[2], 1);
    send_update_to("F1", "T1", WIRE_TASK_FINISHED, 2, p); /* a duplicate is not recorded */
    ck_assert_int_eq(read_log(p).n, 3);
}
END_TEST

START_TEST(test_recovery_resends_the_unacknowledged_update_when_the_master_is_set)
{
    char p[PATH_MAX];
    task_log(p, "T1");
    log_update(p, "T1", WIRE_TASK_RUNNING, 1);
    log_update(p, "T1", WIRE_TASK_FINISHED, 2);
    log_ack(p, 1);
    const char *paths[] = {p};
    recover(paths, 1);
    ck_assert_uint_eq(sent(), 0);
    set_master(true);
    ck_assert_uint_eq(sent(), 1);
    char task[WIRE_ID_MAX];
    ck_assert_uint_eq(sent_uuid(0, task, sizeof task), 2);
    ck_assert_str_eq(task, "T1");
    send_update_to("F1", "T1", WIRE_TASK_RUNNING, 1, p); /* replayed uuids are duplicates */
    ck_assert_uint_eq(sent(), 1);
    ack("T1", 2);
    ck_assert_uint_eq(acked_count(), 1);
    ck_assert(acked[0].terminal);
    records r = read_log(p);
    ck_assert_int_eq(r.n, 4);
    ck_assert_int_eq(r.type[3], WIRE_RECORD_ACK);
    ck_assert_int_eq(r.uuid[3], 2);
}
END_TEST

START_TEST(test_a_recovered_stream_whose_terminal_update_was_acknowledged_is_not_kept)
{
    char p[PATH_MAX];
    task_log(p, "T1");
    log_update(p, "T1", WIRE_TASK_FINISHED, 1);
    log_ack(p, 1);
    log_update(p, "T1", WIRE_TASK_RUNNING, 2); /* after the end: means nothing */
    const char *paths[] = {p};
    recover(paths, 1);
    set_master(true);
    ck_assert_uint_eq(sent(), 0);
    ck_assert_double_eq(gauge("status-update-manager/streams"), 0);
    ck_assert_double_eq(gauge("status-update-manager/pending"), 0);
}
END_TEST

START_TEST(test_an_update_that_cannot_be_checkpointed_is_forwarded_but_kept_by_the_executor)
{
    char p[PATH_MAX];
    task_log(p, "T1");
    ck_assert_int_eq(ckpt_mkdirs(p, 0755), 0); /* a directory where the log should be */
    set_master(true);
    send_update_to("F1", "T1", WIRE_TASK_RUNNING, 1, p);
    ck_assert_uint_eq(sent(), 1);
    ck_assert_uint_eq(fake_count(executor, SUM_EXEC_ACK), 0);
    ack("T1", 1);
    send_update_to("F1", "T1", WIRE_TASK_FINISHED, 2, p);
    ck_assert_uint_eq(sent(), 2); /* the stream goes on, no longer checkpointed */
    ck_assert_uint_eq(fake_count(executor, SUM_EXEC_ACK), 0);
    ack("T1", 2);
    ck_assert_uint_eq(acked_count(), 2);
    ck_assert_double_eq(gauge("status-update-manager/streams"), 0);
}
END_TEST

START_TEST(test_an_acknowledgement_that_cannot_be_checkpointed_still_advances_the_stream)
{
    char p[PATH_MAX];
    task_log(p, "T1");
    set_master(true);
    send_update_to("F1", "T1", WIRE_TASK_RUNNING, 1, p);
    send_update_to("F1", "T1", WIRE_TASK_FINISHED, 2, p);
    ck_assert_int_eq(unlink(p), 0);
    ck_assert_int_eq(ckpt_mkdirs(p, 0755), 0); /* the log can no longer be appended to */
    ack("T1", 1);
    ck_assert_uint_eq(acked_count(), 1);
    ck_assert_uint_eq(sent(), 2);
    ck_assert_uint_eq(sent_uuid(1, NULL, 0), 2);
}
END_TEST

START_TEST(test_recovery_ignores_and_truncates_a_torn_record)
{
    char p[PATH_MAX];
    task_log(p, "T1");
    log_update(p, "T1", WIRE_TASK_RUNNING, 1);
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    off_t whole = st.st_size;
    FILE *f = fopen(p, "ab");
    ck_assert_ptr_nonnull(f);
    fwrite("\x00\x00\x00\x30\x82", 1, 5, f); /* an ACK cut short by a crash */
    fclose(f);
    const char *paths[] = {p};
    recover(paths, 1);
    set_master(true);
    ck_assert_uint_eq(sent(), 1);
    ck_assert_uint_eq(sent_uuid(0, NULL, 0), 1);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(st.st_size, whole);
}
END_TEST

START_TEST(test_recovery_skips_a_corrupt_log_and_keeps_the_others)
{
    char bad[PATH_MAX], good[PATH_MAX], absent[PATH_MAX];
    task_log(bad, "T1");
    task_log(good, "T2");
    task_log(absent, "T3");
    log_update(bad, "T1", WIRE_TASK_RUNNING, 1);
    FILE *f = fopen(bad, "ab");
    fwrite("\x00\x00\x00\x02\xc1\xc1", 1, 6, f); /* whole, but not a record */
    fclose(f);
    log_update(good, "T2", WIRE_TASK_RUNNING, 2);
    log_ack(good, 7); /* an ack that matches nothing: out of order, skipped too */
    char odd[PATH_MAX];
    task_log(odd, "T4");
    log_update(odd, "T4", WIRE_TASK_RUNNING, 4);
    const char *paths[] = {bad, good, absent, odd};
    recover(paths, 4);
    set_master(true);
    ck_assert_uint_eq(sent(), 1);
    ck_assert_uint_eq(sent_uuid(0, NULL, 0), 4);
}
END_TEST

START_TEST(test_cleanup_forgets_a_framework)
{
    set_master(true);
    send_update_to("F1", "T1", WIRE_TASK_RUNNING, 1, NULL);
    send_update_to("F2", "T1", WIRE_TASK_RUNNING, 2, NULL);
    ck_assert_uint_eq(sent(), 2);
    post(SUM_MSG_CLEANUP, act_strdup("F1"), free);
    advance(10);
    ck_assert_uint_eq(sent(), 3);
    ck_assert_uint_eq(sent_uuid(2, NULL, 0), 2);
    ack_to("F1", "T1", 1);
    ck_assert_uint_eq(acked_count(), 0);
    send_update_to("F1", "T1", WIRE_TASK_RUNNING, 1, NULL); /* a new stream after cleanup */
    ck_assert_uint_eq(sent(), 4);
    ck_assert_double_eq(act_gauge_value(act_gauge_get("status-update-manager/pending")), 2);
}
END_TEST

START_TEST(test_update_without_uuid_is_dropped)
{
    set_master(true);
    sum_update *u = act_calloc(1, sizeof *u);
    u->update = make_update("F1", "T1", WIRE_TASK_RUNNING, 1);
    ((wire_status_update *)u->update->root)->uuid.len = 0;
    u->executor = fake_pid(executor);
    u->slave = slave;
    post(SUM_MSG_UPDATE, u, sum_update_free);
    ck_assert_uint_eq(sent(), 0);
    ck_assert_uint_eq(fake_count(executor, SUM_EXEC_ACK), 0);
}
END_TEST

/* Each update names its own stream's slave, also when one manager's streams name different
 * ones one after the other (the manager keeps the last one's text). */
START_TEST(test_each_update_names_its_streams_slave)
{
    act_pid other;
    ck_assert_int_eq(act_pid_make("slave(2)", slave.ip, (uint16_t)(slave.port + 1), &other), 0);
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    send_update_from(&other, "F1", "T2", WIRE_TASK_RUNNING, 2, NULL);
    send_update("T3", WIRE_TASK_RUNNING, 3);
    ck_assert_uint_eq(sent(), 3);
    char want[ACT_PID_STRLEN], got[ACT_PID_STRLEN];
    ck_assert_str_eq(sent_pid(0, got, sizeof got), act_pid_format(&slave, want, sizeof want));
    ck_assert_str_eq(sent_pid(1, got, sizeof got), act_pid_format(&other, want, sizeof want));
    ck_assert_str_eq(sent_pid(2, got, sizeof got), act_pid_format(&slave, want, sizeof want));
}
END_TEST

/* mesos-fleet runs one manager per hollow slave in one process: each has its own master and
 * pause, and the gauges count them all. */
START_TEST(test_several_managers_in_one_process_are_independent)
{
    act_pid first = sum;
    sum = sum_spawn("status-update-manager(2)", 0);
    ck_assert(!act_pid_is_none(&sum));
    act_pid second = sum;
    send_update("T2", WIRE_TASK_RUNNING, 2); /* the second one: paused (no master yet) */
    sum = first;
    set_master(true);
    send_update("T1", WIRE_TASK_RUNNING, 1);
    ck_assert_uint_eq(sent(), 1); /* only the first's: the second is still paused */
    ck_assert_uint_eq(sent_uuid(0, NULL, 0), 1);
    ck_assert_double_eq(gauge("status-update-manager/pending"), 2);
    ck_assert_double_eq(gauge("status-update-manager/streams"), 2);
    ck_assert_int_eq(act_terminate(&second), 0); /* its stream goes with it */
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_double_eq(gauge("status-update-manager/pending"), 1);
    ck_assert_double_eq(gauge("status-update-manager/streams"), 1);
}
END_TEST

Suite *status_update_manager_suite(void)
{
    Suite *s = suite_create("status_update_manager");
    TCase *flow = tcase_create("flow");
    tcase_add_checked_fixture(flow, start, stop);
    tcase_add_test(flow, test_only_the_oldest_update_of_a_task_is_in_flight);
    tcase_add_test(flow, test_executor_ack_names_the_update);
    tcase_add_test(flow, test_each_update_names_its_streams_slave);
    tcase_add_test(flow, test_ack_of_the_head_sends_the_next);
    tcase_add_test(flow, test_retries_at_10s_doubling_capped_at_10min);
    tcase_add_test(flow, test_ack_cancels_the_retry);
    tcase_add_test(flow, test_the_next_update_is_retried_10s_after_it_was_sent);
    tcase_add_test(flow, test_duplicate_uuid_is_not_forwarded_twice_and_still_acked);
    tcase_add_test(flow, test_duplicates_are_known_in_a_long_stream);
    tcase_add_test(flow, test_pause_stops_sending_and_resume_resends_heads_at_once);
    tcase_add_test(flow, test_terminal_ack_reports_terminal_and_frees_the_stream);
    tcase_add_test(flow, test_updates_after_a_terminal_one_are_dropped_with_it);
    tcase_add_test(flow, test_stale_or_unknown_ack_is_ignored);
    tcase_add_test(flow, test_cleanup_forgets_a_framework);
    tcase_add_test(flow, test_update_without_uuid_is_dropped);
    tcase_add_test(flow, test_several_managers_in_one_process_are_independent);
    suite_add_tcase(s, flow);

    TCase *disk = tcase_create("checkpoint");
    tcase_add_checked_fixture(disk, start, stop);
    tcase_add_test(disk, test_checkpoint_records_after_update_and_ack);
    tcase_add_test(disk, test_recovery_resends_the_unacknowledged_update_when_the_master_is_set);
    tcase_add_test(disk, test_recovery_ignores_and_truncates_a_torn_record);
    tcase_add_test(disk, test_recovery_skips_a_corrupt_log_and_keeps_the_others);
    tcase_add_test(disk, test_a_recovered_stream_whose_terminal_update_was_acknowledged_is_not_kept);
    tcase_add_test(disk,
                   test_an_update_that_cannot_be_checkpointed_is_forwarded_but_kept_by_the_executor);
    tcase_add_test(disk,
                   test_an_acknowledgement_that_cannot_be_checkpointed_still_advances_the_stream);
    suite_add_tcase(s, disk);
    return s;
}
