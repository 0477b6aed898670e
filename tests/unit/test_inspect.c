/*
 * test_inspect.c - mesos-inspect on recorded streams: the events of several processes merge
 * by time, filters pick by actor, side, name and the IDs a message concerns, --json lines read
 * back as the same events (and the binary watches files as it watches processes), and a
 * task's diagram puts causes first whatever the clocks say, and marks drops, resends and
 * messages that never arrived; --decode shows a body as its JSON, msgpack or protobuf.
 */
#include "tests/support/testutil.h"
#include "tools/inspect.h"
#include "wire/wire.h"

#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* One event as the runtime writes it. */
static void ev(act_buf *out, const char *process, int seq, double time, const char *kind,
               const char *from, const char *to, const char *name, int span, int parent,
               const char *tags, const char *reason)
{
    act_buf_printf(out, "{\"process\":\"%s\",\"seq\":%d,\"time\":%.6f,\"kind\":\"%s\","
                   "\"from\":\"%s\",\"to\":\"%s\",\"name\":\"%s\",\"size\":10,"
                   "\"trace\":\"0000000000000001\",\"span\":\"%016x\",\"parent\":\"%016x\","
                   "\"tags\":{%s}%s%s%s}\n", process, seq, time, kind, from, to, name, span,
                   parent, tags, reason ? ",\"reason\":\"" : "", reason ? reason : "",
                   reason ? "\"" : "");
}

#define M "master@127.0.0.1:5050"
#define S "slave(1)@127.0.0.1:5051"
#define X "executor(1)@127.0.0.1:6000"
#define P_M "127.0.0.1:5050"
#define P_S "127.0.0.1:5051"
#define T1 "\"task\":[\"t1\"],\"framework\":[\"f1\"]"
#define T2 "\"task\":[\"t2\"],\"framework\":[\"f1\"]"

/* The master's and the slave's recorders around task t1 (and a little of t2). At the end the
 * slave's clock runs ahead of the master's: the master acknowledges an update before, by the
 * slave's clock, it was sent. */
static void recorded(act_buf *master, act_buf *slave)
{
    ev(master, P_M, 1, 100.000, "send", M, S, "mesos.internal.RunTaskMessage", 1, 0, T1, NULL);
    ev(master, P_M, 2, 100.001, "send", M, S, "mesos.internal.RunTaskMessage", 2, 0, T2, NULL);
    ev(slave, P_S, 1, 100.0005, "receive", M, S, "mesos.internal.RunTaskMessage", 1, 0, T1, NULL);
    ev(slave, P_S, 2, 100.0015, "receive", M, S, "mesos.internal.RunTaskMessage", 2, 0, T2, NULL);
    /* the executor registers: its own trace, named by executor and framework */
    ev(slave, P_S, 3, 100.050, "receive", X, S, "mesos.internal.RegisterExecutorMessage", 3, 0,
       "\"executor\":[\"t1\"],\"framework\":[\"f1\"]", NULL);
    ev(slave, P_S, 4, 100.051, "send", S, X, "mesos.internal.RunTaskMessage", 4, 3, T1, NULL);
    /* the update reaches the master only the second time */
    ev(slave, P_S, 5, 100.060, "send", S, M, "mesos.internal.StatusUpdateMessage", 5, 9,
       T1 ",\"uuid\":[\"u1\"]", NULL);
    ev(master, P_M, 3, 100.061, "drop", S, M, "mesos.internal.StatusUpdateMessage", 5, 9,
       T1 ",\"uuid\":[\"u1\"]", "dropped by a filter");
    ev(slave, P_S, 6, 100.512, "send", S, M, "mesos.internal.StatusUpdateMessage", 6, 9,
       T1 ",\"uuid\":[\"u1\"]", NULL);
    ev(master, P_M, 4, 100.508, "receive", S, M, "mesos.internal.StatusUpdateMessage", 6, 9,
       T1 ",\"uuid\":[\"u1\"]", NULL);
    /* the acknowledgement the master sends never arrives */
    ev(master, P_M, 5, 100.509, "send", M, S, "mesos.internal.StatusUpdateAcknowledgementMessage", 7,
       6, T1, NULL);
    ev(slave, P_S, 7, 100.600, "send", S, "gc@127.0.0.1:5051", "gc.schedule", 8, 0, "", NULL);
}

static void load(ins_events *l, act_buf *text, const char *process)
{
    char err[256] = "";
    ck_assert_msg(ins_events_load(l, text->data, process, err, sizeof err) > 0, "%s", err);
}

START_TEST(test_the_streams_of_several_processes_merge_by_time)
{
    act_buf m = {0}, s = {0};
    recorded(&m, &s);
    ins_events l = {0};
    load(&l, &s, P_S);
    load(&l, &m, P_M);
    ins_events_sort(&l);
    ck_assert_int_eq(l.n, 12);
    for (size_t i = 1; i < l.n; i++) ck_assert(l.v[i - 1].time <= l.v[i].time);
    ck_assert_str_eq(l.v[0].process, P_M);
    ck_assert_str_eq(l.v[l.n - 1].name, "gc.schedule");
    /* a /__recorder__ answer loads too, its address naming the process */
    ins_events r = {0};
    act_buf answer = {0};
    act_buf_printf(&answer, "{\"address\":\"127.0.0.1:7\",\"events\":[{\"seq\":1,\"time\":1,"
                   "\"kind\":\"send\",\"from\":\"a@127.0.0.1:7\",\"to\":\"b@127.0.0.1:7\","
                   "\"name\":\"x\",\"span\":\"0000000000000001\",\"tags\":{}}]}");
    load(&r, &answer, "source");
    ck_assert_str_eq(r.v[0].process, "127.0.0.1:7");
    char err[128];
    ck_assert_int_eq(ins_events_load(&r, "not json\nat all\n", "junk", err, sizeof err), -1);
    ins_events_free(&r);
    ins_events_free(&l);
    act_buf_free(&m);
    act_buf_free(&s);
    act_buf_free(&answer);
}
END_TEST

static size_t count(const ins_events *l, ins_filter f)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) n += ins_filter_match(&f, &l->v[i]);
    return n;
}

START_TEST(test_filters_pick_by_actor_side_name_and_ids)
{
    act_buf m = {0}, s = {0};
    recorded(&m, &s);
    ins_events l = {0};
    load(&l, &m, P_M);
    load(&l, &s, P_S);
    ck_assert_int_eq(count(&l, (ins_filter){0}), 12);
    ck_assert_int_eq(count(&l, (ins_filter){.task = "t2"}), 2);
    ck_assert_int_eq(count(&l, (ins_filter){.task = "t1"}), 8);
    ck_assert_int_eq(count(&l, (ins_filter){.framework = "f1"}), 11);
    ck_assert_int_eq(count(&l, (ins_filter){.actor = "executor(1)"}), 2);
    ck_assert_int_eq(count(&l, (ins_filter){.actor = "127.0.0.1:6000"}), 2); /* by address */
    ck_assert_int_eq(count(&l, (ins_filter){.from = X}), 1);                 /* by pid */
    ck_assert_int_eq(count(&l, (ins_filter){.to = "gc"}), 1);
    ck_assert_int_eq(count(&l, (ins_filter){.name = "StatusUpdate"}), 5);
    ck_assert_int_eq(count(&l, (ins_filter){.name = "StatusUpdate", .to = "master"}), 4);
    ck_assert_int_eq(count(&l, (ins_filter){.actor = "slave"}), 0); /* names are whole */
    ins_events_free(&l);
    act_buf_free(&m);
    act_buf_free(&s);
}
END_TEST

START_TEST(test_json_lines_read_back_as_the_same_events)
{
    act_buf m = {0}, s = {0};
    recorded(&m, &s);
    ins_events l = {0}, back = {0};
    load(&l, &m, P_M);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    for (size_t i = 0; i < l.n; i++) ins_event_print_json(&l.v[i], out);
    fclose(out);
    char err[128];
    ck_assert_int_eq(ins_events_load(&back, text, "elsewhere", err, sizeof err), (int)l.n);
    for (size_t i = 0; i < l.n; i++) {
        ck_assert_str_eq(back.v[i].process, P_M); /* kept from the lines, not "elsewhere" */
        ck_assert_str_eq(back.v[i].name, l.v[i].name);
        ck_assert(back.v[i].time == l.v[i].time);
        ck_assert(back.v[i].span == l.v[i].span && back.v[i].parent == l.v[i].parent);
        ck_assert_str_eq(back.v[i].reason, l.v[i].reason);
        ck_assert(json_equal(back.v[i].tags, l.v[i].tags));
    }
    free(text);
    ins_events_free(&l);
    ins_events_free(&back);
    act_buf_free(&m);
    act_buf_free(&s);
}
END_TEST

/* Writes text to the file at path. */
static void write_file(const char *path, const act_buf *text)
{
    FILE *f = fopen(path, "w");
    ck_assert(f && fwrite(text->data, 1, text->len, f) == text->len);
    fclose(f);
}

START_TEST(test_watch_merges_and_filters_recorded_files_into_json_lines)
{
    act_buf m = {0}, s = {0};
    recorded(&m, &s);
    char *dir = tu_tmpdir(), mp[4200], sp[4200], outp[4200];
    snprintf(mp, sizeof mp, "%s/master.ndjson", dir);
    snprintf(sp, sizeof sp, "%s/slave.ndjson", dir);
    snprintf(outp, sizeof outp, "%s/out", dir);
    write_file(mp, &m);
    write_file(sp, &s);
    char *argv[] = {(char *)tu_bin("mesos-inspect"), "--watch", mp, sp, "--task", "t1",
                    "--name=StatusUpdate", "--json", NULL};
    ck_assert_int_eq(tu_run(argv, outp, 30), 0);
    ins_events got = {0};
    char *text = tu_read_file(outp), err[128];
    ck_assert_int_eq(ins_events_load(&got, text, "out", err, sizeof err), 5);
    for (size_t i = 1; i < got.n; i++) ck_assert(got.v[i - 1].time <= got.v[i].time);
    ck_assert_str_eq(got.v[0].process, P_S);
    ck_assert_str_eq(got.v[1].process, P_M);
    ck_assert_int_eq(got.v[1].kind, INS_DROP);
    free(text);
    ins_events_free(&got);
    /* the same as lines for a person, the drop with its reason */
    char *argv2[] = {(char *)tu_bin("mesos-inspect"), "--watch", mp, sp, "--to=master",
                     "--count=2", NULL};
    ck_assert_int_eq(tu_run(argv2, outp, 30), 0);
    text = tu_read_file(outp);
    ck_assert_msg(strstr(text, "DROP slave(1)@127.0.0.1:5051 -> master@127.0.0.1:5050 "
                         "StatusUpdateMessage 10B") && strstr(text, "(dropped by a filter)"),
                  "%s", text);
    ck_assert_int_eq((int)(strchr(strchr(text, '\n') + 1, '\n') - text + 1), (int)strlen(text));
    free(text);
    tu_rmrf(dir);
    free(dir);
    act_buf_free(&m);
    act_buf_free(&s);
}
END_TEST

START_TEST(test_a_diagram_puts_causes_first_and_marks_drops_resends_and_the_lost)
{
    act_buf m = {0}, s = {0};
    recorded(&m, &s);
    ins_events l = {0};
    load(&l, &m, P_M);
    load(&l, &s, P_S);
    char *read[] = {P_M, P_S};
    ins_diagram d;
    ck_assert_int_eq(ins_diagram_build(&d, &l, "t1", read, 2), 6);
    const char *want[] = {"mesos.internal.RunTaskMessage", "mesos.internal.RegisterExecutorMessage",
                          "mesos.internal.RunTaskMessage", "mesos.internal.StatusUpdateMessage",
                          "mesos.internal.StatusUpdateMessage",
                          "mesos.internal.StatusUpdateAcknowledgementMessage"};
    for (size_t i = 0; i < 6; i++) ck_assert_str_eq(d.hops[i].name, want[i]);
    ck_assert_str_eq(d.hops[0].from, M);
    ck_assert(d.hops[0].sent && d.hops[0].received);
    ck_assert_int_eq(d.hops[2].cause, 1); /* the executor's RunTask answers its registration */
    ck_assert(d.hops[3].dropped && strcmp(d.hops[3].dropped->reason, "dropped by a filter") == 0);
    ck_assert_int_eq(d.hops[4].resend_of, 3);
    /* the acknowledgement comes after the update it answers, whatever the clocks say */
    ck_assert(d.hops[5].unanswered);
    ck_assert_int_eq(d.hops[5].cause, 4);
    act_buf text = {0};
    ins_diagram_text(&d, &text);
    ck_assert_msg(strstr(text.data, "DROPPED: dropped by a filter") &&
                  strstr(text.data, "RESENT (first #4)") && strstr(text.data, "NEVER RECEIVED"),
                  "%s", text.data);
    ck_assert(!strstr(text.data, "gc.schedule")); /* not about the task */
    act_map *peers = act_map_new();
    ins_diagram_peers(&l, "t1", peers);
    ck_assert(act_map_get(peers, "127.0.0.1:6000") && act_map_get(peers, P_M));
    act_map_free(peers);
    act_buf_free(&text);
    ins_diagram_free(&d);
    ck_assert_int_eq(ins_diagram_build(&d, &l, "nothing", read, 2), 0);
    ins_diagram_free(&d);
    ins_events_free(&l);
    act_buf_free(&m);
    act_buf_free(&s);
}
END_TEST

/* --decode: a recorded body (base64, as /__trace__?bodies=1 gives it) shows as the message's
 * JSON under its line, whether it was our msgpack or a Mesos framework's protobuf. */
START_TEST(test_decode_shows_msgpack_and_protobuf_bodies_as_json)
{
    wire_msg *msg = wire_new(WIRE_DESC(status_update_acknowledgement_message));
    wire_status_update_acknowledgement_message *a = msg->root;
    a->framework_id.value = "f1";
    a->slave_id.value = "s1";
    a->task_id.value = "t1";
    a->uuid = (wire_bytes){(uint8_t *)"0123456789abcdef", 16};
    for (int pb = 0; pb < 2; pb++) {
        act_buf raw = {0}, text = {0}, line = {0};
        const wire_desc *d = WIRE_DESC(status_update_acknowledgement_message);
        ck_assert_int_eq(pb ? wire_pb_encode(d, a, &raw) : wire_encode(d, a, &raw), 0);
        unsigned char b64[512];
        EVP_EncodeBlock(b64, (const unsigned char *)raw.data, (int)raw.len);
        act_buf_printf(&text, "{\"seq\":1,\"time\":1.0,\"kind\":\"receive\",\"from\":\"%s\","
                       "\"to\":\"%s\",\"name\":\"%s\",\"size\":%zu,\"trace\":\"1\","
                       "\"span\":\"1\",\"parent\":\"0\",%s\"body\":\"%s\"}\n",
                       "scheduler(1)@127.0.0.1:7000", M, wire_type_name(d), raw.len,
                       pb ? "\"content_type\":\"application/x-protobuf\",\"libprocess\":true,"
                          : "", (const char *)b64);
        ins_events l = {0};
        load(&l, &text, P_M);
        ck_assert_uint_eq(l.n, 1);
        ins_event_line(&l.v[0], true, &line);
        ck_assert_msg(strstr(line.data, "\"task_id\":{\"value\":\"t1\"}") &&
                      strstr(line.data, "\"slave_id\":{\"value\":\"s1\"}"),
                      "%s body not decoded: %s", pb ? "protobuf" : "msgpack", line.data);
        char *json = NULL;
        size_t json_len = 0;
        FILE *mem = open_memstream(&json, &json_len);
        ins_event_print_json(&l.v[0], mem); /* --json gives the body back as it came */
        fclose(mem);
        ck_assert_msg(strstr(json, (const char *)b64), "%s", json);
        free(json);
        ins_events_free(&l);
        act_buf_free(&raw);
        act_buf_free(&text);
        act_buf_free(&line);
    }
    act_buf text = {0}, line = {0}; /* a body that is not base64 says so */
    act_buf_printf(&text, "{\"seq\":1,\"time\":1.0,\"kind\":\"receive\",\"from\":\"%s\","
                   "\"to\":\"%s\",\"name\":\"%s\",\"size\":3,\"trace\":\"1\","
                   "\"span\":\"1\",\"parent\":\"0\",\"body\":\"no!\"}\n",
                   "scheduler(1)@127.0.0.1:7000", M,
                   wire_type_name(WIRE_DESC(status_update_acknowledgement_message)));
    ins_events l = {0};
    load(&l, &text, P_M);
    ck_assert_uint_eq(l.n, 1);
    ins_event_line(&l.v[0], true, &line);
    ck_assert_msg(strstr(line.data, "(body is not base64)"), "%s", line.data);
    ins_events_free(&l);
    act_buf_free(&text);
    act_buf_free(&line);
    wire_msg_free(msg);
}
END_TEST

Suite *inspect_suite(void)
{
    Suite *s = suite_create("inspect");
    TCase *tc = tcase_create("inspect");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_streams_of_several_processes_merge_by_time);
    tcase_add_test(tc, test_filters_pick_by_actor_side_name_and_ids);
    tcase_add_test(tc, test_json_lines_read_back_as_the_same_events);
    tcase_add_test(tc, test_watch_merges_and_filters_recorded_files_into_json_lines);
    tcase_add_test(tc, test_a_diagram_puts_causes_first_and_marks_drops_resends_and_the_lost);
    tcase_add_test(tc, test_decode_shows_msgpack_and_protobuf_bodies_as_json);
    suite_add_tcase(s, tc);
    return s;
}
