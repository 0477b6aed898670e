/*
 * test_actor.c - the runtime inside one process: PIDs and names, local messaging and its
 * order, dispatch, links, the paused clock and timers, message filters, and FIFO between two
 * loop threads.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

/* ---- PIDs -------------------------------------------------------------------------------- */

START_TEST(test_pid_round_trips_through_text)
{
    act_pid p;
    ck_assert_int_eq(act_pid_parse("slave(1)@10.0.0.2:5051", &p), 0);
    ck_assert_str_eq(p.id, "slave(1)");
    ck_assert_uint_eq(p.ip, 0x0a000002u);
    ck_assert_uint_eq(p.port, 5051);
    char buf[ACT_PID_STRLEN];
    ck_assert_str_eq(act_pid_format(&p, buf, sizeof buf), "slave(1)@10.0.0.2:5051");
}
END_TEST

START_TEST(test_malformed_pids_are_rejected)
{
    static const char *bad[] = {"", "master", "master@", "@1.2.3.4:5", "m@1.2.3:5",
                                "m@1.2.3.4", "m@1.2.3.4:", "m@1.2.3.4:65536", "m@1.2.3.256:1",
                                "m@1.2.3.4:5x", "m/x@1.2.3.4:5", "m n@1.2.3.4:5",
                                "m@a.b.c.d:5"};
    act_pid p;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(act_pid_parse(bad[i], &p) < 0, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_unique_names_count_per_base)
{
    char a[32], b[32], c[32];
    act_unique_name("uniq-test", a, sizeof a);
    act_unique_name("uniq-test", b, sizeof b);
    act_unique_name("other-test", c, sizeof c);
    ck_assert_str_eq(a, "uniq-test(1)");
    ck_assert_str_eq(b, "uniq-test(2)");
    ck_assert_str_eq(c, "other-test(1)");
    ck_assert(act_name_valid(a));
}
END_TEST

/* base64 both ways, every length of the last group, against OpenSSL's encoder; text that is
 * not padded base64 is refused. */
START_TEST(test_base64_round_trips_and_refuses_what_is_not_base64)
{
    uint8_t data[64], back[64];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 97 + 13);
    for (size_t n = 0; n <= sizeof data; n++) {
        act_buf b = {0};
        act_buf_puts(&b, "x"); /* appended after what is there */
        act_buf_base64(&b, data, n);
        char want[100];
        EVP_EncodeBlock((unsigned char *)want, data, (int)n);
        ck_assert_str_eq(b.data + 1, want);
        ck_assert_int_eq(act_base64_decode(b.data + 1, b.len - 1, back), (long)n);
        ck_assert(memcmp(back, data, n) == 0);
        act_buf_free(&b);
    }
    static const char *const bad[] = {"abc", "ab!=", "a===", "ab=c", "abcde", "ab c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(act_base64_decode(bad[i], strlen(bad[i]), back), -1);
}
END_TEST

/* ---- a recording actor ------------------------------------------------------------------- */

typedef struct recorder {
    tu_counter count;
    tu_counter exited;
    tu_counter fired;
    uint64_t next_seq;  /* expected next sequence number */
    uint64_t out_of_order;
    char last_from[ACT_PID_STRLEN];
    char last_name[64];
    char exited_id[ACT_ID_MAX];
} recorder;

static void rec_init(recorder *r)
{
    memset(r, 0, sizeof *r);
    tu_counter_init(&r->count);
    tu_counter_init(&r->exited);
    tu_counter_init(&r->fired);
}

static void on_seq(act_actor *self, const act_msg *m)
{
    recorder *r = act_state(self);
    uint64_t seq;
    ck_assert_uint_eq(m->len, sizeof seq);
    memcpy(&seq, m->body, sizeof seq);
    if (seq != r->next_seq) r->out_of_order++;
    r->next_seq = seq + 1;
    act_pid_format(&m->from, r->last_from, sizeof r->last_from);
    snprintf(r->last_name, sizeof r->last_name, "%s", m->name);
    tu_counter_add(&r->count, 1);
}

static void on_any(act_actor *self, const act_msg *m)
{
    recorder *r = act_state(self);
    snprintf(r->last_name, sizeof r->last_name, "%s", m->name);
    act_pid_format(&m->from, r->last_from, sizeof r->last_from);
    tu_counter_add(&r->count, 1);
}

static void on_exited_rec(act_actor *self, const act_pid *pid)
{
    recorder *r = act_state(self);
    snprintf(r->exited_id, sizeof r->exited_id, "%s", pid->id);
    tu_counter_add(&r->exited, 1);
}

static act_pid spawn_recorder(const char *name, recorder *r, int loop)
{
    act_actor *a = act_new(name, r);
    act_on_message(a, "seq", on_seq);
    act_on_message(a, "ping", on_any);
    act_on_message(a, "pong", on_any);
    act_on_exited(a, on_exited_rec);
    act_pid pid = act_self(a);
    ck_assert_int_eq(act_spawn(a, loop), 0);
    return pid;
}

/* Sends `n` sequence-numbered messages from the actor in whose context it runs. */
typedef struct burst {
    act_pid to;
    uint64_t n;
} burst;

static void send_burst(act_actor *self, void *arg)
{
    burst *b = arg;
    if (!self) return;
    for (uint64_t i = 0; i < b->n; i++) act_send(self, &b->to, "seq", &i, sizeof i);
}

static act_pid spawn_sender(const char *name, int loop)
{
    act_actor *a = act_new(name, NULL);
    act_pid pid = act_self(a);
    ck_assert_int_eq(act_spawn(a, loop), 0);
    return pid;
}

/* ---- local messaging --------------------------------------------------------------------- */

START_TEST(test_local_messages_arrive_in_send_order)
{
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    burst b = {spawn_recorder("sink", &r, 0), 10000};
    act_pid src = spawn_sender("source", 0);
    act_dispatch(&src, send_burst, &b);
    ck_assert(tu_counter_wait(&r.count, 10000, 20));
    ck_assert_uint_eq(r.out_of_order, 0);
    ck_assert(strstr(r.last_from, "source@127.0.0.1:") == r.last_from);
    act_shutdown();
}
END_TEST

START_TEST(test_spawning_a_taken_name_fails)
{
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    spawn_recorder("dup", &r, 0);
    act_actor *again = act_new("dup", NULL);
    ck_assert_int_eq(act_spawn(again, 0), -EEXIST);
    ck_assert_ptr_null(act_new("bad/name", NULL));
    act_shutdown();
}
END_TEST

START_TEST(test_anonymous_send_from_a_foreign_thread_arrives)
{
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid sink = spawn_recorder("sink", &r, 0);
    ck_assert_int_eq(act_send(NULL, &sink, "ping", "x", 1), 0);
    ck_assert(tu_counter_wait(&r.count, 1, 10));
    ck_assert_str_eq(r.last_name, "ping");
    ck_assert_str_eq(r.last_from, "");
    ck_assert_int_eq(act_send(NULL, &sink, "bad name", "x", 1), -EINVAL);
    act_shutdown();
}
END_TEST

START_TEST(test_unknown_message_names_are_dropped_and_counted)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid sink = spawn_recorder("sink", &r, 0);
    act_pid nobody = sink;
    strcpy(nobody.id, "nobody");
    act_send(NULL, &sink, "no-such-message", NULL, 0);
    act_send(NULL, &nobody, "ping", NULL, 0);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.count), 0);
    ck_assert_uint_eq(act_counter_value(act_counter_get("runtime/dropped_messages")), 2);
    act_shutdown();
}
END_TEST

static void record_dispatch(act_actor *self, void *arg)
{
    int *where = arg;
    *where = self ? act_actor_loop(self) + 1 : -1;
}

START_TEST(test_dispatch_runs_in_the_actor_or_reports_it_gone)
{
    act_clock_pause();
    tu_runtime_start(2);
    recorder r;
    rec_init(&r);
    act_pid sink = spawn_recorder("sink", &r, 1);
    int where = 0, gone = 0;
    act_dispatch(&sink, record_dispatch, &where);
    act_pid nobody = sink;
    strcpy(nobody.id, "nobody");
    act_dispatch(&nobody, record_dispatch, &gone);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_int_eq(where, 2); /* loop 1 */
    ck_assert_int_eq(gone, -1);
    act_shutdown();
}
END_TEST

/* A helper thread (a ZooKeeper completion, a launch thread) that keeps dispatching into an
 * actor while another thread shuts the runtime down: every call either runs in the actor or
 * runs with NULL, none touches freed memory (ASan would say), none is lost. */
typedef struct dispatcher {
    act_pid to;
    atomic_bool stop;
    atomic_ulong sent, ran;
} dispatcher;

static void count_dispatch(act_actor *self, void *arg)
{
    dispatcher *d = arg;
    atomic_fetch_add(&d->ran, 1);
}

static void *dispatch_until_stopped(void *arg)
{
    dispatcher *d = arg;
    while (!atomic_load(&d->stop)) {
        act_dispatch(&d->to, count_dispatch, d);
        atomic_fetch_add(&d->sent, 1);
    }
    return NULL;
}

START_TEST(test_dispatch_from_a_helper_thread_during_shutdown_is_run_or_dropped_safely)
{
    tu_runtime_start(2);
    recorder r;
    rec_init(&r);
    dispatcher d = {.to = spawn_recorder("sink", &r, 1)};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, dispatch_until_stopped, &d), 0);
    while (atomic_load(&d.ran) < 1000) sched_yield(); /* it is busy in the runtime */
    act_shutdown();
    for (int i = 0; i < 1000; i++) { /* and keeps going after it: all dropped, none lost */
        act_dispatch(&d.to, count_dispatch, &d);
        atomic_fetch_add(&d.sent, 1);
    }
    atomic_store(&d.stop, true);
    pthread_join(t, NULL);
    ck_assert_uint_eq(atomic_load(&d.ran), atomic_load(&d.sent));
}
END_TEST

/* ---- links ------------------------------------------------------------------------------- */

static void link_to(act_actor *self, void *arg)
{
    if (self) act_link(self, arg);
}

START_TEST(test_link_reports_a_terminated_actor)
{
    act_clock_pause();
    tu_runtime_start(2);
    recorder watcher, target;
    rec_init(&watcher);
    rec_init(&target);
    act_pid w = spawn_recorder("watcher", &watcher, 0);
    act_pid t = spawn_recorder("target", &target, 1);
    act_dispatch(&w, link_to, &t);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&watcher.exited), 0);
    ck_assert_int_eq(act_terminate(&t), 0);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&watcher.exited), 1);
    ck_assert_str_eq(watcher.exited_id, "target");
    ck_assert_int_eq(act_terminate(&t), -ENOENT);
    act_shutdown();
}
END_TEST

START_TEST(test_link_to_a_missing_actor_reports_exited_at_once)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder watcher;
    rec_init(&watcher);
    act_pid w = spawn_recorder("watcher", &watcher, 0);
    act_pid ghost = w;
    strcpy(ghost.id, "ghost");
    act_dispatch(&w, link_to, &ghost);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&watcher.exited), 1);
    ck_assert_str_eq(watcher.exited_id, "ghost");
    act_shutdown();
}
END_TEST

/* ---- clock and timers -------------------------------------------------------------------- */

typedef struct timed {
    recorder *r;
    double secs;
    act_timer_id id;
    bool cancel_it;
} timed;

static void timer_fired(act_actor *self, void *arg)
{
    recorder *r = arg;
    tu_counter_add(&r->fired, 1);
}

static void arm_timer(act_actor *self, void *arg)
{
    timed *t = arg;
    if (!self) return;
    t->id = act_delay(self, t->secs, timer_fired, t->r);
    if (t->cancel_it) ck_assert(act_cancel(self, t->id));
}

START_TEST(test_paused_clock_fires_timers_only_when_advanced_past_them)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid a = spawn_recorder("timed", &r, 0);
    double start = act_now();
    timed t = {&r, 60.0, 0, false};
    act_dispatch(&a, arm_timer, &t);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.fired), 0);
    act_clock_advance(59.9);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.fired), 0);
    act_clock_advance(0.2);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.fired), 1);
    ck_assert_double_eq_tol(act_now() - start, 60.1, 1e-6);
    act_shutdown();
    act_clock_resume();
}
END_TEST

/* act_loop_waiting: what long work done in slices asks before it goes on. */
static void nothing(act_actor *self, void *arg) {}

static void look_at_loop(act_actor *self, void *arg)
{
    int *seen = arg; /* nothing waits; a timer due; none again; a dispatch */
    seen[0] = act_loop_waiting(self);
    act_timer_id id = act_delay(self, 0, nothing, NULL);
    seen[1] = act_loop_waiting(self);
    act_cancel(self, id);
    seen[2] = act_loop_waiting(self);
    act_pid me = act_self(self);
    act_dispatch(&me, nothing, NULL);
    seen[3] = act_loop_waiting(self);
}

START_TEST(test_loop_waiting_sees_timers_due_and_entries)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid a = spawn_recorder("looker", &r, 0);
    ck_assert_int_eq(act_clock_settle(), 0);
    int seen[4] = {-1, -1, -1, -1};
    act_dispatch(&a, look_at_loop, seen);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_int_eq(seen[0], 0);
    ck_assert_int_eq(seen[1], 1);
    ck_assert_int_eq(seen[2], 0);
    ck_assert_int_eq(seen[3], 1);
    act_shutdown();
    act_clock_resume();
}
END_TEST

START_TEST(test_cancelled_timer_never_fires)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid a = spawn_recorder("timed", &r, 0);
    timed t = {&r, 5.0, 0, true};
    act_dispatch(&a, arm_timer, &t);
    ck_assert_int_eq(act_clock_settle(), 0);
    act_clock_advance(10);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.fired), 0);
    act_shutdown();
}
END_TEST

START_TEST(test_timer_of_a_terminated_actor_never_fires)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid a = spawn_recorder("timed", &r, 0);
    timed t = {&r, 5.0, 0, false};
    act_dispatch(&a, arm_timer, &t);
    ck_assert_int_eq(act_clock_settle(), 0);
    act_terminate(&a);
    ck_assert_int_eq(act_clock_settle(), 0);
    act_clock_advance(10);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.fired), 0);
    act_shutdown();
}
END_TEST

/* A process with a timer per slave or per task holds tens of thousands at once: every one
 * is still found to cancel or to fire. */
#define MANY_TIMERS 20000

static void arm_many(act_actor *self, void *arg)
{
    recorder *r = arg;
    if (!self) return;
    act_timer_id *ids = act_calloc(MANY_TIMERS, sizeof *ids);
    for (int i = 0; i < MANY_TIMERS; i++)
        ids[i] = act_delay(self, 1.0 + (double)(i % 97), timer_fired, r);
    for (int i = 0; i < MANY_TIMERS; i += 2) ck_assert(act_cancel(self, ids[i]));
    for (int i = 0; i < MANY_TIMERS; i += 2) ck_assert(!act_cancel(self, ids[i]));
    free(ids);
}

START_TEST(test_tens_of_thousands_of_timers_fire_or_cancel_each_once)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid a = spawn_recorder("timed", &r, 0);
    act_dispatch(&a, arm_many, &r);
    ck_assert_int_eq(act_clock_settle(), 0);
    act_clock_advance(200);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.fired), MANY_TIMERS / 2);
    act_shutdown();
    act_clock_resume();
}
END_TEST

START_TEST(test_real_clock_timer_fires)
{
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid a = spawn_recorder("timed", &r, 0);
    timed t = {&r, 0.01, 0, false};
    act_dispatch(&a, arm_timer, &t);
    ck_assert(tu_counter_wait(&r.fired, 1, 10));
    act_shutdown();
}
END_TEST

/* ---- filters ----------------------------------------------------------------------------- */

static act_filter_verdict drop_pings(void *ctx, const act_filter_msg *m)
{
    return strcmp(m->name, "ping") == 0 ? ACT_FILTER_DROP : ACT_FILTER_PASS;
}

static act_filter_verdict hold_pings(void *ctx, const act_filter_msg *m)
{
    (*(int *)ctx)++;
    return strcmp(m->name, "ping") == 0 ? ACT_FILTER_HOLD : ACT_FILTER_PASS;
}

START_TEST(test_filter_drops_messages_by_name)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid sink = spawn_recorder("sink", &r, 0);
    int id = act_filter_add(drop_pings, NULL);
    act_send(NULL, &sink, "ping", NULL, 0);
    act_send(NULL, &sink, "pong", NULL, 0);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.count), 1);
    ck_assert_str_eq(r.last_name, "pong");
    act_filter_remove(id);
    act_send(NULL, &sink, "ping", NULL, 0);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.count), 2);
    act_shutdown();
}
END_TEST

START_TEST(test_held_messages_arrive_on_release_in_order)
{
    act_clock_pause();
    tu_runtime_start(1);
    recorder r;
    rec_init(&r);
    act_pid sink = spawn_recorder("sink", &r, 0);
    int seen = 0;
    act_filter_add(hold_pings, &seen);
    act_send(NULL, &sink, "ping", NULL, 0);
    act_send(NULL, &sink, "pong", NULL, 0);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_int_eq(seen, 2);
    ck_assert_uint_eq(tu_counter_get(&r.count), 1);
    ck_assert_int_eq(act_filter_release("ping"), 1);
    ck_assert_int_eq(act_clock_settle(), 0);
    ck_assert_uint_eq(tu_counter_get(&r.count), 2);
    ck_assert_str_eq(r.last_name, "ping");
    ck_assert_int_eq(seen, 2); /* a released message is not filtered again */
    act_shutdown();
}
END_TEST

/* ---- loops ------------------------------------------------------------------------------- */

START_TEST(test_fifo_holds_between_two_loop_threads)
{
    tu_runtime_start(2);
    recorder on1, on0;
    rec_init(&on1);
    rec_init(&on0);
    burst to1 = {spawn_recorder("sink1", &on1, 1), 100000};
    burst to0 = {spawn_recorder("sink0", &on0, 0), 100000};
    act_pid src0 = spawn_sender("src0", 0), src1 = spawn_sender("src1", 1);
    act_dispatch(&src0, send_burst, &to1);
    act_dispatch(&src1, send_burst, &to0);
    ck_assert(tu_counter_wait(&on1.count, 100000, 60));
    ck_assert(tu_counter_wait(&on0.count, 100000, 60));
    ck_assert_uint_eq(on1.out_of_order, 0);
    ck_assert_uint_eq(on0.out_of_order, 0);
    act_shutdown();
}
END_TEST

Suite *pid_suite(void)
{
    Suite *s = suite_create("pid");
    TCase *tc = tcase_create("pid");
    tcase_add_test(tc, test_pid_round_trips_through_text);
    tcase_add_test(tc, test_malformed_pids_are_rejected);
    tcase_add_test(tc, test_unique_names_count_per_base);
    tcase_add_test(tc, test_base64_round_trips_and_refuses_what_is_not_base64);
    suite_add_tcase(s, tc);
    return s;
}

Suite *actor_suite(void)
{
    Suite *s = suite_create("actor");
    TCase *tc = tcase_create("local");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_local_messages_arrive_in_send_order);
    tcase_add_test(tc, test_spawning_a_taken_name_fails);
    tcase_add_test(tc, test_anonymous_send_from_a_foreign_thread_arrives);
    tcase_add_test(tc, test_unknown_message_names_are_dropped_and_counted);
    tcase_add_test(tc, test_dispatch_runs_in_the_actor_or_reports_it_gone);
    tcase_add_test(tc, test_dispatch_from_a_helper_thread_during_shutdown_is_run_or_dropped_safely);
    tcase_add_test(tc, test_link_reports_a_terminated_actor);
    tcase_add_test(tc, test_link_to_a_missing_actor_reports_exited_at_once);
    tcase_add_test(tc, test_fifo_holds_between_two_loop_threads);
    suite_add_tcase(s, tc);
    return s;
}

Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("timers");
    tcase_add_test(tc, test_paused_clock_fires_timers_only_when_advanced_past_them);
    tcase_add_test(tc, test_cancelled_timer_never_fires);
    tcase_add_test(tc, test_loop_waiting_sees_timers_due_and_entries);
    tcase_add_test(tc, test_timer_of_a_terminated_actor_never_fires);
    tcase_add_test(tc, test_real_clock_timer_fires);
    tcase_add_test(tc, test_tens_of_thousands_of_timers_fire_or_cancel_each_once);
    suite_add_tcase(s, tc);
    return s;
}

Suite *filter_suite(void)
{
    Suite *s = suite_create("filter");
    TCase *tc = tcase_create("filter");
    tcase_add_test(tc, test_filter_drops_messages_by_name);
    tcase_add_test(tc, test_held_messages_arrive_on_release_in_order);
    suite_add_tcase(s, tc);
    return s;
}
