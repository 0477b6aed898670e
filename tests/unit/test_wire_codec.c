/*
 * test_wire_codec.c - the msgpack codec: every schema type round-trips with random contents
 * (in protobuf too, whose own rules test_wire_protobuf.c pins), every truncation and a
 * catalogue of hostile inputs give errors (never crashes or huge allocations), and the decoder
 * accepts what other versions may send (unknown keys, other integer widths, nil, unknown
 * optional enum names).
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/mpwrite.h"
#include "wire/wire.h"

static int decode_buf(const wire_desc *d, const act_buf *b, wire_msg **m, char *err)
{
    return wire_decode(d, b->data, b->len, m, err, 200);
}

/* ---- round trips ------------------------------------------------------------------------- */

static void round_trip(const wire_desc *d, uint64_t seed, wire_format f)
{
    uint64_t rng = seed;
    wire_msg *m = wire_new(d);
    wire_random_fill(m, d, m->root, &rng);
    act_buf enc = {0}, again = {0};
    ck_assert_int_eq(wire_encode_as(f, d, m->root, &enc), 0);

    wire_msg *back = NULL;
    char err[200] = "";
    int rc = wire_decode_as(f, d, enc.data, enc.len, &back, err, sizeof err);
    ck_assert_msg(rc == 0, "%s in %s, seed %llu: %s", wire_type_name(d), wire_format_name(f),
                  (unsigned long long)seed, err);
    ck_assert_msg(wire_equal(d, m->root, back->root), "%s differs after a round trip in %s",
                  wire_type_name(d), wire_format_name(f));
    ck_assert_int_eq(wire_encode_as(f, d, back->root, &again), 0);
    ck_assert_uint_eq(again.len, enc.len);
    ck_assert(memcmp(again.data, enc.data, enc.len) == 0);

    wire_msg *copy = wire_copy(d, back->root);
    wire_msg_free(back);
    ck_assert(wire_equal(d, m->root, copy->root));
    wire_msg_free(copy);
    wire_msg_free(m);
    act_buf_free(&enc);
    act_buf_free(&again);
}

START_TEST(test_every_type_round_trips_with_random_contents_in_both_encodings)
{
    ck_assert_uint_gt(wire_type_count(), 100);
    for (size_t i = 0; i < wire_type_count(); i++)
        for (uint64_t seed = 1; seed <= 12; seed++) {
            round_trip(wire_type_at(i), seed * 7919 + i, WIRE_MSGPACK);
            round_trip(wire_type_at(i), seed * 7919 + i, WIRE_PROTOBUF);
        }
}
END_TEST

START_TEST(test_every_truncation_of_a_valid_encoding_is_an_error)
{
    for (size_t i = 0; i < wire_type_count(); i++) {
        const wire_desc *d = wire_type_at(i);
        uint64_t rng = 42 + i;
        wire_msg *m = wire_new(d);
        wire_random_fill(m, d, m->root, &rng);
        act_buf enc = {0};
        ck_assert_int_eq(wire_encode(d, m->root, &enc), 0);
        for (size_t cut = 0; cut < enc.len; cut++) {
            wire_msg *out = (wire_msg *)1;
            /* a heap copy of the prefix, so reading past it is caught by ASan */
            char *prefix = malloc(cut ? cut : 1);
            memcpy(prefix, enc.data, cut);
            ck_assert_int_lt(wire_decode(d, prefix, cut, &out, NULL, 0), 0);
            ck_assert_ptr_null(out);
            free(prefix);
        }
        act_buf_free(&enc);
        wire_msg_free(m);
    }
}
END_TEST

START_TEST(test_type_lookup_by_name_finds_every_type)
{
    ck_assert_ptr_eq(wire_type_by_name("mesos.internal.StatusUpdateMessage"),
                     WIRE_DESC(status_update_message));
    ck_assert_ptr_eq(wire_type_by_name("mesos.TaskInfo"), WIRE_DESC(task_info));
    ck_assert_ptr_null(wire_type_by_name("mesos.internal.NoSuchMessage"));
    for (size_t i = 0; i < wire_type_count(); i++)
        ck_assert_ptr_eq(wire_type_by_name(wire_type_name(wire_type_at(i))), wire_type_at(i));
}
END_TEST

START_TEST(test_encoding_is_a_map_keyed_by_field_names_with_enum_names)
{
    wire_task_status s;
    wire_init(WIRE_DESC(task_status), &s);
    s.task_id.value = "t1";
    s.state = WIRE_TASK_RUNNING;
    act_buf b = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(task_status), &s, &b), 0);
    static const char expect[] = "\x82\xa7task_id\x81\xa5value\xa2t1\xa5state\xacTASK_RUNNING";
    ck_assert_uint_eq(b.len, sizeof expect - 1);
    ck_assert(memcmp(b.data, expect, b.len) == 0);
    act_buf_free(&b);
}
END_TEST

START_TEST(test_encoding_an_enum_value_the_enum_lacks_is_an_error)
{
    wire_task_status s;
    wire_init(WIRE_DESC(task_status), &s);
    s.state = (wire_task_state)99;
    act_buf b = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(task_status), &s, &b), WIRE_EENUM);
    ck_assert_uint_eq(b.len, 0);
    act_buf_free(&b);
}
END_TEST

/* ---- what other versions may send -------------------------------------------------------- */

START_TEST(test_unknown_keys_are_skipped_however_they_nest)
{
    act_buf b = {0};
    mp_map(&b, 3);
    mp_str(&b, "future");
    mp_map(&b, 2);
    mp_str(&b, "a");
    mp_arr(&b, 3);
    mp_byte(&b, 1);
    mp_map(&b, 0);
    mp_byte(&b, 0xcb);
    act_buf_append(&b, "\0\0\0\0\0\0\0\0", 8);
    mp_str(&b, "b");
    mp_byte(&b, 0xc4); /* bin 8 */
    mp_byte(&b, 2);
    act_buf_append(&b, "xy", 2);
    mp_str(&b, "value");
    mp_str(&b, "fw-1");
    mp_str(&b, "ext");
    mp_byte(&b, 0xd4); /* fixext 1 */
    mp_byte(&b, 5);
    mp_byte(&b, 9);
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(framework_id), &b, &m, err), 0);
    ck_assert_str_eq(((wire_framework_id *)m->root)->value, "fw-1");
    wire_msg_free(m);
    act_buf_free(&b);
}
END_TEST

/* Keys are compared a word at a time (the last word overlapping): a key one byte off a field's
 * name, at any position, is an unknown key, for names of 4, 8, 9 and 16 bytes. */
START_TEST(test_a_key_one_byte_off_a_field_name_is_skipped_as_unknown)
{
    static const char *const names[] = {"role", "hostname", "principal", "failover_timeout"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t n = strlen(names[k]);
        for (size_t i = 0; i <= n; i++) { /* i == n: the name itself */
            char key[32];
            memcpy(key, names[k], n + 1);
            if (i < n) key[i] ^= 0x20;
            act_buf b = {0};
            mp_map(&b, 3);
            mp_str(&b, "user");
            mp_str(&b, "u");
            mp_str(&b, "name");
            mp_str(&b, "n");
            mp_str(&b, key);
            if (k == 3)
                mp_byte(&b, 7); /* failover_timeout: a number */
            else
                mp_str(&b, "x");
            wire_msg *m;
            char err[200];
            ck_assert_int_eq(decode_buf(WIRE_DESC(framework_info), &b, &m, err), 0);
            const wire_framework_info *fi = m->root;
            bool set = fi->has_role || fi->has_hostname || fi->has_principal ||
                       fi->has_failover_timeout;
            ck_assert_msg(set == (i == n), "key '%s'", key);
            wire_msg_free(m);
            act_buf_free(&b);
        }
    }
}
END_TEST

/* {"deep": [[[...nil...]]], "value": "x"} with `levels` nested arrays */
static act_buf nested_unknown(int levels)
{
    act_buf b = {0};
    mp_map(&b, 2);
    mp_str(&b, "deep");
    for (int i = 0; i < levels; i++) mp_arr(&b, 1);
    mp_byte(&b, 0xc0);
    mp_str(&b, "value");
    mp_str(&b, "x");
    return b;
}

START_TEST(test_nested_unknown_values_are_skipped_up_to_the_depth_limit)
{
    wire_msg *m;
    char err[200];
    act_buf b = nested_unknown(20);
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_id), &b, &m, err), 0);
    wire_msg_free(m);
    act_buf_free(&b);

    b = nested_unknown(200000);
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_id), &b, &m, err), WIRE_EDEPTH);
    ck_assert_str_eq(err, "TaskID: nested deeper than 32");
    act_buf_free(&b);
}
END_TEST

START_TEST(test_integers_of_any_msgpack_width_are_accepted_where_they_fit)
{
    act_buf b = {0};
    mp_map(&b, 4);
    mp_str(&b, "slave_id");
    mp_id(&b, "s");
    mp_str(&b, "framework_id");
    mp_id(&b, "f");
    mp_str(&b, "executor_id");
    mp_id(&b, "e");
    mp_str(&b, "status");
    mp_byte(&b, 0xd3); /* int64 holding -2 */
    act_buf_append(&b, "\xff\xff\xff\xff\xff\xff\xff\xfe", 8);
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(exited_executor_message), &b, &m, err), 0);
    ck_assert_int_eq(((wire_exited_executor_message *)m->root)->status, -2);
    wire_msg_free(m);

    b.len -= 9; /* an int32 field given 2^40 as uint64 */
    mp_byte(&b, 0xcf);
    act_buf_append(&b, "\x00\x00\x01\x00\x00\x00\x00\x00", 8);
    ck_assert_int_eq(decode_buf(WIRE_DESC(exited_executor_message), &b, &m, err), WIRE_ERANGE);
    ck_assert_str_eq(err, "ExitedExecutorMessage.status: integer out of range");
    act_buf_free(&b);
}
END_TEST

START_TEST(test_absent_optional_fields_take_their_defaults)
{
    act_buf b = {0};
    mp_map(&b, 2);
    mp_str(&b, "user");
    mp_str(&b, "");
    mp_str(&b, "name");
    mp_str(&b, "fw");
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(framework_info), &b, &m, err), 0);
    wire_framework_info *fi = m->root;
    ck_assert(!fi->has_role);
    ck_assert_str_eq(fi->role, "*");
    ck_assert_str_eq(fi->hostname, "");
    ck_assert(!fi->has_failover_timeout);
    ck_assert(fi->failover_timeout == 0.0);
    ck_assert_ptr_null(fi->id);
    wire_msg_free(m);

    act_buf_reset(&b);
    mp_map(&b, 0);
    ck_assert_int_eq(decode_buf(WIRE_DESC(filters), &b, &m, err), 0);
    ck_assert(((wire_filters *)m->root)->refuse_seconds == 5.0);
    wire_msg_free(m);
    act_buf_free(&b);
}
END_TEST

START_TEST(test_nil_reads_as_absent)
{
    act_buf b = {0};
    mp_map(&b, 3);
    mp_str(&b, "user");
    mp_str(&b, "u");
    mp_str(&b, "name");
    mp_str(&b, "n");
    mp_str(&b, "role");
    mp_byte(&b, 0xc0);
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(framework_info), &b, &m, err), 0);
    ck_assert(!((wire_framework_info *)m->root)->has_role);
    wire_msg_free(m);
    act_buf_free(&b);
}
END_TEST

START_TEST(test_an_unknown_name_in_an_optional_enum_reads_as_absent)
{
    act_buf b = {0};
    mp_map(&b, 3);
    mp_str(&b, "task_id");
    mp_id(&b, "t");
    mp_str(&b, "state");
    mp_str(&b, "TASK_RUNNING");
    mp_str(&b, "reason");
    mp_str(&b, "REASON_FROM_2030");
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_status), &b, &m, err), 0);
    ck_assert(!((wire_task_status *)m->root)->has_reason);
    wire_msg_free(m);
    act_buf_free(&b);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------ */

START_TEST(test_an_unknown_name_in_a_required_enum_is_an_error)
{
    act_buf b = {0};
    mp_map(&b, 2);
    mp_str(&b, "task_id");
    mp_id(&b, "t");
    mp_str(&b, "state");
    mp_str(&b, "TASK_DANCING");
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_status), &b, &m, err), WIRE_EENUM);
    ck_assert_str_eq(err, "TaskStatus.state: unknown mesos.TaskState value 'TASK_DANCING'");
    act_buf_free(&b);
}
END_TEST

START_TEST(test_a_missing_required_field_is_an_error_naming_it)
{
    act_buf b = {0};
    mp_map(&b, 2);
    mp_str(&b, "name");
    mp_str(&b, "n");
    mp_str(&b, "task_id");
    mp_id(&b, "t");
    wire_msg *m = (wire_msg *)1;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_info), &b, &m, err), WIRE_EMISSING);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(err, "TaskInfo.slave_id: missing required field");
    act_buf_free(&b);
}
END_TEST

START_TEST(test_a_wrong_type_is_an_error_naming_the_path)
{
    act_buf b = {0};
    mp_map(&b, 4);
    mp_str(&b, "name");
    mp_str(&b, "n");
    mp_str(&b, "task_id");
    mp_id(&b, "t");
    mp_str(&b, "slave_id");
    mp_id(&b, "s");
    mp_str(&b, "resources");
    mp_arr(&b, 3);
    for (int i = 0; i < 2; i++) {
        mp_map(&b, 3);
        mp_str(&b, "name");
        mp_str(&b, "cpus");
        mp_str(&b, "type");
        mp_str(&b, "SCALAR");
        mp_str(&b, "scalar");
        mp_map(&b, 1);
        mp_str(&b, "value");
        mp_byte(&b, 1);
    }
    mp_map(&b, 1);
    mp_str(&b, "name");
    mp_byte(&b, 7);
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_info), &b, &m, err), WIRE_ETYPE);
    ck_assert_str_eq(err, "TaskInfo.resources[2].name: expected string");
    act_buf_free(&b);
}
END_TEST

START_TEST(test_hostile_sizes_are_refused_before_allocating)
{
    static const struct {
        const char *bytes;
        size_t len;
    } cases[] = {
        {"\xdf\xff\xff\xff\xff", 5},                     /* map of 4G pairs */
        {"\x81\xa5value\xdb\xff\xff\xff\xff", 12},       /* str of 4 GB */
        {"\x81\xa5value\xc6\x7f\xff\xff\xff", 12},       /* bin of 2 GB */
        {"\x81\xa5value\xdd\xff\xff\xff\xf0", 12},       /* array of 4G */
        {"\x81\xa3zzz\xdf\x10\x00\x00\x00\x01\x02", 12}, /* unknown key, huge map */
        {"\x81\xa3zzz\xc9\xff\xff\xff\xff\x01", 11},     /* ext 32 of 4 GB */
        {"\xde\x00\x10", 3},                             /* map16 of 16 pairs, no bytes */
        {"\x81\xa5value\xc1", 8},                        /* the never-used tag */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wire_msg *m;
        char err[200] = "";
        int rc = wire_decode(WIRE_DESC(task_id), cases[i].bytes, cases[i].len, &m, err, sizeof err);
        ck_assert_msg(rc < 0, "case %zu decoded", i);
        ck_assert_msg(strlen(err) > 0, "case %zu gave no reason", i);
    }
}
END_TEST

START_TEST(test_decoding_that_would_expand_past_16x_is_refused)
{
    /* 5000 empty Request maps: each byte would become a 24-byte struct. */
    act_buf b = {0};
    mp_map(&b, 2);
    mp_str(&b, "framework_id");
    mp_id(&b, "f");
    mp_str(&b, "requests");
    mp_byte(&b, 0xdc);
    mp_byte(&b, 5000 >> 8);
    mp_byte(&b, 5000 & 0xff);
    for (int i = 0; i < 5000; i++) mp_map(&b, 0);
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(resource_request_message), &b, &m, err), WIRE_ELIMIT);

    /* A sensible message stays well inside the cap. */
    uint64_t rng = 7;
    wire_msg *src = wire_new(WIRE_DESC(resource_offers_message));
    wire_random_fill(src, WIRE_DESC(resource_offers_message), src->root, &rng);
    act_buf_reset(&b);
    ck_assert_int_eq(wire_encode(WIRE_DESC(resource_offers_message), src->root, &b), 0);
    ck_assert_int_eq(decode_buf(WIRE_DESC(resource_offers_message), &b, &m, err), 0);
    ck_assert_uint_le(wire_msg_arena_bytes(m), WIRE_EXPANSION * b.len + WIRE_ARENA_SLACK);
    wire_msg_free(m);
    wire_msg_free(src);
    act_buf_free(&b);
}
END_TEST

START_TEST(test_duplicate_keys_nul_bytes_and_trailing_bytes_are_errors)
{
    act_buf b = {0};
    wire_msg *m;
    char err[200];
    mp_map(&b, 2);
    mp_str(&b, "value");
    mp_str(&b, "a");
    mp_str(&b, "value");
    mp_str(&b, "b");
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_id), &b, &m, err), WIRE_EDUPLICATE);

    act_buf_reset(&b);
    mp_map(&b, 1);
    mp_str(&b, "value");
    mp_byte(&b, 0xa3);
    act_buf_append(&b, "a\0b", 3);
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_id), &b, &m, err), WIRE_EINVAL);

    act_buf_reset(&b);
    mp_id(&b, "x");
    mp_byte(&b, 0xc0);
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_id), &b, &m, err), WIRE_ETRAILING);

    ck_assert_int_eq(wire_decode(WIRE_DESC(task_id), NULL, 0, &m, err, sizeof err),
                     WIRE_ETRUNCATED);
    ck_assert_int_eq(wire_decode(WIRE_DESC(task_id), "\x93\x01\x02\x03", 4, &m, err, sizeof err),
                     WIRE_ETYPE);
    ck_assert_str_eq(err, "TaskID: expected map");
    act_buf_free(&b);
}
END_TEST

START_TEST(test_decode_by_name_and_strerror)
{
    wire_msg *m;
    char err[200];
    ck_assert_int_eq(wire_decode_by_name("mesos.Nope", "\x80", 1, &m, err, sizeof err),
                     WIRE_ENOTFOUND);
    ck_assert_int_eq(
        wire_decode_by_name("mesos.internal.PongSlaveMessage", "\x80", 1, &m, err, sizeof err), 0);
    ck_assert_ptr_eq(m->desc, WIRE_DESC(pong_slave_message));
    wire_msg_free(m);
    ck_assert_str_eq(wire_strerror(WIRE_EMISSING), "missing required field");
    ck_assert_str_eq(wire_task_state_name(WIRE_TASK_ERROR), "TASK_ERROR");
    ck_assert_str_eq(wire_task_state_name(42), "UNKNOWN");
    wire_task_state st;
    ck_assert_int_eq(wire_task_state_parse("TASK_LOST", &st), 0);
    ck_assert_int_eq(st, WIRE_TASK_LOST);
    ck_assert_int_eq(wire_task_state_parse("LOST", &st), WIRE_EENUM);
}
END_TEST

START_TEST(test_terminal_task_states_are_the_five_that_never_change)
{
    static const wire_task_state terminal[] = {WIRE_TASK_FINISHED, WIRE_TASK_FAILED,
                                               WIRE_TASK_KILLED, WIRE_TASK_LOST,
                                               WIRE_TASK_ERROR};
    static const wire_task_state live[] = {WIRE_TASK_STAGING, WIRE_TASK_STARTING,
                                           WIRE_TASK_RUNNING};
    for (size_t i = 0; i < sizeof terminal / sizeof terminal[0]; i++)
        ck_assert_msg(wire_task_state_terminal(terminal[i]), "%s",
                      wire_task_state_name(terminal[i]));
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++)
        ck_assert_msg(!wire_task_state_terminal(live[i]), "%s", wire_task_state_name(live[i]));
}
END_TEST

START_TEST(test_a_message_extended_through_its_arena_encodes)
{
    wire_msg *m = wire_new(WIRE_DESC(resource_offers_message));
    wire_resource_offers_message *r = m->root;
    r->offers = wire_alloc_array(m, WIRE_DESC(offer), 2);
    r->offers_count = 2;
    r->offers[1].hostname = wire_strdup(m, "host");
    r->pids = wire_alloc(m, sizeof(char *));
    r->pids[0] = wire_strdup(m, "slave(1)@10.0.0.1:5051");
    r->pids_count = 1;
    act_buf b = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(resource_offers_message), r, &b), 0);
    wire_msg *back;
    char err[200];
    ck_assert_int_eq(decode_buf(WIRE_DESC(resource_offers_message), &b, &back, err), 0);
    ck_assert(wire_equal(WIRE_DESC(resource_offers_message), r, back->root));
    wire_msg_free(back);
    wire_msg_free(m);
    act_buf_free(&b);
}
END_TEST

/* What one thread decodes one message after another: by name, alternating types (the type
 * found last is tried first, and must not be the answer for another name), each into the
 * memory of the one freed before it (the thread's spare chunk), every one whole. */
static void *decode_in_turn(void *arg)
{
    static const char *const names[] = {"mesos.internal.StatusUpdateAcknowledgementMessage",
                                        "mesos.internal.StatusUpdateMessage",
                                        "mesos.internal.StatusUpdateAcknowledgementMessage",
                                        "mesos.internal.PongSlaveMessage"};
    uint64_t rng = 7;
    for (int round = 0; round < 8; round++) {
        const char *name = names[round % 4];
        const wire_desc *d = wire_type_by_name(name);
        ck_assert_ptr_nonnull(d);
        ck_assert_str_eq(wire_type_name(d), name);
        wire_msg *m = wire_new(d);
        wire_random_fill(m, d, m->root, &rng);
        act_buf enc = {0};
        ck_assert_int_eq(wire_encode(d, m->root, &enc), 0);
        wire_msg *back = NULL;
        char err[200] = "";
        ck_assert_msg(wire_decode_by_name(name, enc.data, enc.len, &back, err, sizeof err) == 0,
                      "%s: %s", name, err);
        ck_assert_ptr_eq(back->desc, d);
        ck_assert(wire_equal(d, m->root, back->root));
        wire_msg_free(back);
        wire_msg_free(m);
        act_buf_free(&enc);
    }
    return arg;
}

START_TEST(test_messages_decoded_in_turn_by_name_are_each_whole)
{
    decode_in_turn(NULL);
    pthread_t t; /* a thread of its own, which exits holding a spare chunk to free */
    ck_assert_int_eq(pthread_create(&t, NULL, decode_in_turn, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
}
END_TEST

Suite *wire_codec_suite(void);
Suite *wire_codec_suite(void)
{
    Suite *s = suite_create("wire_codec");
    TCase *tc = tcase_create("codec");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_type_round_trips_with_random_contents_in_both_encodings);
    tcase_add_test(tc, test_every_truncation_of_a_valid_encoding_is_an_error);
    tcase_add_test(tc, test_type_lookup_by_name_finds_every_type);
    tcase_add_test(tc, test_encoding_is_a_map_keyed_by_field_names_with_enum_names);
    tcase_add_test(tc, test_encoding_an_enum_value_the_enum_lacks_is_an_error);
    tcase_add_test(tc, test_unknown_keys_are_skipped_however_they_nest);
    tcase_add_test(tc, test_a_key_one_byte_off_a_field_name_is_skipped_as_unknown);
    tcase_add_test(tc, test_nested_unknown_values_are_skipped_up_to_the_depth_limit);
    tcase_add_test(tc, test_integers_of_any_msgpack_width_are_accepted_where_they_fit);
    tcase_add_test(tc, test_absent_optional_fields_take_their_defaults);
    tcase_add_test(tc, test_nil_reads_as_absent);
    tcase_add_test(tc, test_an_unknown_name_in_an_optional_enum_reads_as_absent);
    tcase_add_test(tc, test_an_unknown_name_in_a_required_enum_is_an_error);
    tcase_add_test(tc, test_a_missing_required_field_is_an_error_naming_it);
    tcase_add_test(tc, test_a_wrong_type_is_an_error_naming_the_path);
    tcase_add_test(tc, test_hostile_sizes_are_refused_before_allocating);
    tcase_add_test(tc, test_messages_decoded_in_turn_by_name_are_each_whole);
    tcase_add_test(tc, test_decoding_that_would_expand_past_16x_is_refused);
    tcase_add_test(tc, test_duplicate_keys_nul_bytes_and_trailing_bytes_are_errors);
    tcase_add_test(tc, test_decode_by_name_and_strerror);
    tcase_add_test(tc, test_a_message_extended_through_its_arena_encodes);
    tcase_add_test(tc, test_terminal_task_states_are_the_five_that_never_change);
    suite_add_tcase(s, tc);
    return s;
}
