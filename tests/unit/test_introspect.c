/*
 * test_introspect.c - the runtime's operator endpoints that every binary serves, over real
 * loopback sockets: /__processes__ (the events waiting in each mailbox, in libprocess'
 * format; Mesos messages decoded to JSON, msgpack or protobuf) with the mailbox counts behind
 * master/event_queue_*, /logging/toggle without
 * arguments, and the system gauges (load, CPUs, memory) of /metrics/snapshot.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"
#include "wire/wire.h"

#include <check.h>
#include <stdatomic.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

/* "busy" (loop 1) keeps a message and a dispatch waiting in its mailbox at every moment:
 * each "work" sends itself the next one and dispatches to itself, until told to stop. */
static atomic_bool stop_busy;
static tu_counter busy_ran;

static void again(act_actor *self, void *arg) {}

static void on_work(act_actor *self, const act_msg *m)
{
    tu_counter_add(&busy_ran, 1);
    if (atomic_load(&stop_busy)) return;
    act_pid me = act_self(self);
    act_send(self, &me, "work", "hello", 5);
    act_dispatch(&me, again, NULL);
}

static json_t *find_process(json_t *list, const char *id)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
        if (strcmp(json_string_value(json_object_get(p, "id")), id) == 0) return p;
    return NULL;
}

static size_t count_events(json_t *events, const char *type)
{
    size_t i, n = 0;
    json_t *e;
    json_array_foreach(events, i, e)
        n += strcmp(json_string_value(json_object_get(e, "type")), type) == 0;
    return n;
}

START_TEST(test_processes_lists_the_events_waiting_in_each_mailbox)
{
    tu_runtime_start(2);
    tu_counter_init(&busy_ran);
    atomic_store(&stop_busy, false);
    act_actor *a = act_new("busy", NULL);
    act_on_message(a, "work", on_work);
    ck_assert_int_eq(act_spawn(a, 1), 0);
    act_pid busy;
    act_pid_make("busy", 0x7f000001u, act_port(), &busy);
    act_send(NULL, &busy, "work", "hello", 5);
    ck_assert(tu_counter_wait(&busy_ran, 1, 10));
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/__processes__", &body), 200);
    json_error_t jerr;
    json_t *list = json_loadb(body.data, body.len, 0, &jerr);
    ck_assert_msg(list && json_is_array(list), "not a JSON array: %s", jerr.text);
    json_t *events = json_object_get(find_process(list, "busy"), "events");
    ck_assert_uint_ge(count_events(events, "MESSAGE"), 1);
    ck_assert_uint_ge(count_events(events, "DISPATCH"), 1);
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        if (strcmp(json_string_value(json_object_get(e, "type")), "MESSAGE") != 0) continue;
        ck_assert_str_eq(json_string_value(json_object_get(e, "name")), "work");
        ck_assert_str_eq(json_string_value(json_object_get(e, "body")), "hello");
        ck_assert(strncmp(json_string_value(json_object_get(e, "from")), "busy@", 5) == 0);
        ck_assert(strncmp(json_string_value(json_object_get(e, "to")), "busy@", 5) == 0);
    }
    ck_assert_ptr_nonnull(find_process(list, "__processes__")); /* every actor is listed */
    ck_assert_ptr_null(json_object_get(find_process(list, "busy"), "events_omitted"));
    json_decref(list);
    act_buf_free(&body);
    /* a bound: the first event listed, the others counted */
    ck_assert_int_eq(tu_http_get(act_port(), "/__processes__?max_events=1", &body), 200);
    list = json_loadb(body.data, body.len, 0, &jerr);
    ck_assert_ptr_nonnull(list);
    json_t *busy_p = find_process(list, "busy");
    ck_assert_uint_eq(json_array_size(json_object_get(busy_p, "events")), 1);
    ck_assert_int_ge(json_integer_value(json_object_get(busy_p, "events_omitted")), 1);
    json_decref(list);
    act_buf_free(&body);
    ck_assert_int_eq(tu_http_get(act_port(), "/__processes__?max_events=x", &body), 400);
    act_buf_free(&body);
    atomic_store(&stop_busy, true);
    act_shutdown();
}
END_TEST

/* "updates" (loop 1) keeps a status update waiting in its mailbox, sent to itself again in
 * the format it came in: protobuf as from a Mesos framework, or msgpack as from our own. */
static act_buf update_body[2];
static const char *const update_ctype[2] = {"application/x-protobuf", NULL};
static tu_counter updates_ran;

static void on_update(act_actor *self, const act_msg *m)
{
    tu_counter_add(&updates_ran, 1);
    if (atomic_load(&stop_busy)) return;
    int k = m->content_type ? 0 : 1;
    act_pid me = act_self(self);
    act_send_as(self, &me, m->name, update_body[k].data, update_body[k].len, update_ctype[k]);
}

/* Every event waiting in "updates"' mailbox shows the status update as JSON. */
static void check_updates_decoded(const act_buf *body)
{
    json_error_t jerr;
    json_t *list = json_loadb(body->data, body->len, JSON_ALLOW_NUL, &jerr); /* bytes */
    ck_assert_msg(list, "not JSON (%s): %.*s", jerr.text, (int)body->len, body->data);
    json_t *events = json_object_get(find_process(list, "updates"), "events");
    size_t i;
    json_t *e;
    ck_assert_uint_ge(json_array_size(events), 1);
    json_array_foreach(events, i, e) {
        json_t *update = json_object_get(json_object_get(e, "body"), "update");
        ck_assert_msg(json_is_object(update), "a body not shown as JSON: %s", body->data);
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(update,
                                                           "framework_id"), "value")), "F-1");
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(update, "status"),
                                                           "state")), "TASK_RUNNING");
    }
    json_decref(list);
}

START_TEST(test_processes_shows_mesos_bodies_as_json_in_either_encoding)
{
    tu_runtime_start(2);
    tu_counter_init(&updates_ran);
    atomic_store(&stop_busy, false);
    wire_msg *msg = wire_new(WIRE_DESC(status_update_message));
    wire_status_update_message *u = msg->root;
    u->update.framework_id.value = "F-1";
    u->update.status.task_id.value = "T-1";
    u->update.status.state = WIRE_TASK_RUNNING;
    u->update.timestamp = 1.5;
    uint8_t uuid[16] = {1};
    u->update.uuid = (wire_bytes){uuid, 16};
    ck_assert_int_eq(wire_pb_encode(WIRE_DESC(status_update_message), u, &update_body[0]), 0);
    ck_assert_int_eq(wire_encode(WIRE_DESC(status_update_message), u, &update_body[1]), 0);
    act_actor *a = act_new("updates", NULL);
    const char *name = wire_type_name(WIRE_DESC(status_update_message));
    act_on_message(a, name, on_update);
    ck_assert_int_eq(act_spawn(a, 1), 0);
    act_pid to;
    act_pid_make("updates", 0x7f000001u, act_port(), &to);
    for (int k = 0; k < 2; k++) { /* protobuf alone, then msgpack beside it */
        act_send_as(NULL, &to, name, update_body[k].data, update_body[k].len, update_ctype[k]);
        ck_assert(tu_counter_wait(&updates_ran, 1, 10));
        act_buf body = {0};
        ck_assert_int_eq(tu_http_get(act_port(), "/__processes__", &body), 200);
        check_updates_decoded(&body);
        act_buf_free(&body);
    }
    atomic_store(&stop_busy, true);
    act_shutdown();
    for (int k = 0; k < 2; k++) act_buf_free(&update_body[k]);
    wire_msg_free(msg);
}
END_TEST

/* What waits in a mailbox, by kind: "feeder" (loop 1) puts three messages and a dispatch in
 * "counted"'s mailbox (same loop: they are queued before it runs); its first handler sees
 * the rest behind it. */
static act_queue_depth depth_seen;
static tu_counter counted_ran;

static void on_counted(act_actor *self, const act_msg *m)
{
    if (tu_counter_get(&counted_ran) == 0) depth_seen = act_queue_depth_of(self);
    tu_counter_add(&counted_ran, 1);
}

static void nothing(act_actor *self, void *arg) {}

static void on_feed(act_actor *self, const act_msg *m)
{
    act_pid to = act_self(self);
    snprintf(to.id, sizeof to.id, "counted");
    for (int i = 0; i < 3; i++) act_send(self, &to, "count", NULL, 0);
    act_dispatch(&to, nothing, NULL);
}

START_TEST(test_queue_depth_counts_what_waits_by_kind)
{
    tu_runtime_start(2);
    tu_counter_init(&counted_ran);
    act_actor *c = act_new("counted", NULL);
    act_on_message(c, "count", on_counted);
    ck_assert_int_eq(act_spawn(c, 1), 0);
    act_actor *f = act_new("feeder", NULL);
    act_on_message(f, "feed", on_feed);
    ck_assert_int_eq(act_spawn(f, 1), 0);
    act_pid feeder;
    act_pid_make("feeder", 0x7f000001u, act_port(), &feeder);
    act_send(NULL, &feeder, "feed", NULL, 0);
    ck_assert(tu_counter_wait(&counted_ran, 3, 10));
    ck_assert_uint_eq(depth_seen.messages, 2);
    ck_assert_uint_eq(depth_seen.dispatches, 1);
    ck_assert_uint_eq(depth_seen.http_requests, 0);
    act_shutdown();
}
END_TEST

START_TEST(test_logging_toggle_without_arguments_shows_the_level)
{
    tu_runtime_start(1);
    act_log_set_verbosity(0);
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/logging/toggle", &body), 200);
    ck_assert_str_eq(body.data, "0\n");
    act_buf_reset(&body);
    ck_assert_int_eq(tu_http_get(act_port(), "/logging/toggle?level=2", &body), 400);
    ck_assert(strstr(body.data, "duration"));
    act_buf_reset(&body);
    ck_assert_int_eq(tu_http_get(act_port(), "/logging/toggle?level=2&duration=1mins", &body),
                     200);
    act_buf_reset(&body);
    ck_assert_int_eq(tu_http_get(act_port(), "/logging/toggle", &body), 200);
    ck_assert_str_eq(body.data, "2\n");
    act_buf_free(&body);
    act_log_set_verbosity(0);
    act_shutdown();
}
END_TEST

START_TEST(test_system_gauges_are_in_every_snapshot)
{
    tu_runtime_start(1);
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(act_port(), "/metrics/snapshot", &body), 200);
    json_t *snap = json_loadb(body.data, body.len, 0, NULL);
    ck_assert_ptr_nonnull(snap);
    static const char *const names[] = {"system/load_1min", "system/load_5min",
                                        "system/load_15min", "system/cpus_total",
                                        "system/mem_total_bytes", "system/mem_free_bytes"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(json_is_number(json_object_get(snap, names[i])), "%s missing", names[i]);
    ck_assert_double_eq(json_number_value(json_object_get(snap, "system/cpus_total")),
                        (double)sysconf(_SC_NPROCESSORS_ONLN));
    ck_assert(json_number_value(json_object_get(snap, "system/mem_total_bytes")) > 0);
    json_decref(snap);
    act_buf_free(&body);
    act_shutdown();
}
END_TEST

Suite *introspect_suite(void);
Suite *introspect_suite(void)
{
    Suite *s = suite_create("introspect");
    TCase *tc = tcase_create("endpoints");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_processes_lists_the_events_waiting_in_each_mailbox);
    tcase_add_test(tc, test_processes_shows_mesos_bodies_as_json_in_either_encoding);
    tcase_add_test(tc, test_queue_depth_counts_what_waits_by_kind);
    tcase_add_test(tc, test_logging_toggle_without_arguments_shows_the_level);
    tcase_add_test(tc, test_system_gauges_are_in_every_snapshot);
    suite_add_tcase(s, tc);
    return s;
}
