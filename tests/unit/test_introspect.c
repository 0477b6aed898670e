/*
 * test_introspect.c - the runtime's operator endpoints that every binary serves, over real
 * loopback sockets: /__processes__ (the events waiting in each mailbox, in libprocess'
 * format) with the mailbox counts behind master/event_queue_*, /logging/toggle without
 * arguments, and the system gauges (load, CPUs, memory) of /metrics/snapshot.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

/* "gate" (loop 1) blocks its loop in a handler until "opener" (loop 0) is asked over HTTP to
 * let it go; "busy" (loop 1) meanwhile gets messages, a dispatch and an HTTP request. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static tu_counter blocked, busy_ran;
static act_queue_depth depth_seen;

static void on_block(act_actor *self, const act_msg *m)
{
    tu_counter_add(&blocked, 1);
    pthread_mutex_lock(&gate_mu);
    while (!gate_open) pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void on_open(act_actor *self, act_http_req *req)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    act_http_respond(req, 200, NULL, NULL, 0, NULL);
}

static void on_work(act_actor *self, const act_msg *m)
{
    if (tu_counter_get(&busy_ran) == 0) depth_seen = act_queue_depth_of(self);
    tu_counter_add(&busy_ran, 1);
}

static void on_busy_http(act_actor *self, act_http_req *req)
{
    act_http_respond(req, 200, NULL, NULL, 0, NULL);
}

static void nothing(act_actor *self, void *arg) {}

static void spawn_actors(void)
{
    tu_counter_init(&blocked);
    tu_counter_init(&busy_ran);
    gate_open = false;
    act_actor *g = act_new("gate", NULL);
    act_on_message(g, "block", on_block);
    ck_assert_int_eq(act_spawn(g, 1), 0);
    act_actor *b = act_new("busy", NULL);
    act_on_message(b, "work", on_work);
    act_route(b, "x", on_busy_http, NULL);
    ck_assert_int_eq(act_spawn(b, 1), 0);
    act_actor *o = act_new("opener", NULL);
    act_route(o, "open", on_open, NULL);
    ck_assert_int_eq(act_spawn(o, 0), 0);
}

static json_t *find_process(json_t *list, const char *id)
{
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
        if (strcmp(json_string_value(json_object_get(p, "id")), id) == 0) return p;
    return NULL;
}

/* Reads responses from fd until `n` have arrived; returns everything read. */
static void read_responses(int fd, int n, act_buf *out)
{
    char buf[65536];
    int seen = 0;
    while (seen < n) {
        ssize_t r = read(fd, buf, sizeof buf);
        ck_assert_int_gt(r, 0);
        act_buf_append(out, buf, (size_t)r);
        seen = 0;
        for (const char *p = out->data; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++) seen++;
    }
}

START_TEST(test_processes_lists_the_events_waiting_in_each_mailbox)
{
    tu_runtime_start(2);
    spawn_actors();
    act_pid gate, busy;
    act_pid_make("gate", 0x7f000001u, act_port(), &gate);
    act_pid_make("busy", 0x7f000001u, act_port(), &busy);
    act_send(NULL, &gate, "block", NULL, 0);
    ck_assert(tu_counter_wait(&blocked, 1, 10)); /* loop 1 runs nothing else now */
    for (int i = 0; i < 3; i++) act_send(NULL, &busy, "work", "hello", 5);
    act_dispatch(&busy, nothing, NULL);
    /* One connection, routed in order: busy's request joins its mailbox, /__processes__ asks
     * each loop for its mailboxes, and only then is loop 1 let go. */
    int fd = tu_connect(act_port());
    ck_assert_int_ge(fd, 0);
    static const char pipeline[] = "GET /busy/x HTTP/1.1\r\n\r\n"
                                   "GET /__processes__ HTTP/1.1\r\n\r\n"
                                   "GET /opener/open HTTP/1.1\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(write(fd, pipeline, sizeof pipeline - 1), (ssize_t)sizeof pipeline - 1);
    act_buf all = {0};
    read_responses(fd, 3, &all);
    close(fd);
    const char *body = strstr(all.data, "\r\n\r\n[");
    ck_assert_ptr_nonnull(body);
    json_error_t jerr;
    json_t *list = json_loadb(body + 4, strlen(body + 4), JSON_DISABLE_EOF_CHECK, &jerr);
    ck_assert_msg(list && json_is_array(list), "not a JSON array: %s", jerr.text);
    json_t *events = json_object_get(find_process(list, "busy"), "events");
    ck_assert_uint_eq(json_array_size(events), 5);
    for (int i = 0; i < 3; i++) {
        json_t *e = json_array_get(events, i);
        ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "MESSAGE");
        ck_assert_str_eq(json_string_value(json_object_get(e, "name")), "work");
        ck_assert_str_eq(json_string_value(json_object_get(e, "body")), "hello");
        ck_assert(strncmp(json_string_value(json_object_get(e, "to")), "busy@", 5) == 0);
    }
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(events, 3), "type")),
                     "DISPATCH");
    json_t *http = json_array_get(events, 4);
    ck_assert_str_eq(json_string_value(json_object_get(http, "type")), "HTTP");
    ck_assert_str_eq(json_string_value(json_object_get(http, "method")), "GET");
    ck_assert_str_eq(json_string_value(json_object_get(http, "url")), "/busy/x");
    ck_assert_ptr_nonnull(find_process(list, "gate")); /* every actor is listed */
    json_decref(list);
    act_buf_free(&all);
    /* what busy's first handler saw still queued behind it */
    ck_assert(tu_counter_wait(&busy_ran, 3, 10));
    ck_assert_uint_eq(depth_seen.messages, 2);
    ck_assert_uint_eq(depth_seen.dispatches, 1);
    ck_assert_uint_eq(depth_seen.http_requests, 1);
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
    tcase_add_test(tc, test_logging_toggle_without_arguments_shows_the_level);
    tcase_add_test(tc, test_system_gauges_are_in_every_snapshot);
    suite_add_tcase(s, tc);
    return s;
}
