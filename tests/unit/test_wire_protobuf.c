/*
 * test_wire_protobuf.c - the protobuf codec (test_wire_codec.c round-trips every type in it
 * too): fields go out in field-number order, every prefix of an encoding is either an error or
 * exactly the message its complete fields make, and the decoder follows protobuf's rules for
 * what other encoders may send (unknown fields and groups, packed repeated numbers,
 * repeated scalars and messages, negative int32, unknown enum values) while refusing hostile
 * input with a reason. Golden bytes written by mesos-go (tests/support/golden.h) pin the
 * encoding of a few messages, negative int32 and unpacked repeated numbers included.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/golden.h"
#include "wire/wire.h"

/* ---- a tiny protobuf writer for hand-made inputs ----------------------------------------- */

static void pb_varint(act_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        act_buf_putc(b, (char)(uint8_t)(v | 0x80));
        v >>= 7;
    }
    act_buf_putc(b, (char)(uint8_t)v);
}

static void pb_tag(act_buf *b, unsigned number, unsigned wire_type)
{
    pb_varint(b, (uint64_t)number << 3 | wire_type);
}

static void pb_uint(act_buf *b, unsigned number, uint64_t v)
{
    pb_tag(b, number, 0);
    pb_varint(b, v);
}

static void pb_bytes(act_buf *b, unsigned number, const void *data, size_t n)
{
    pb_tag(b, number, 2);
    pb_varint(b, n);
    act_buf_append(b, data, n);
}

static void pb_str(act_buf *b, unsigned number, const char *s)
{
    pb_bytes(b, number, s, strlen(s));
}

/* A nested message: its bytes are `inner`. */
static void pb_sub(act_buf *b, unsigned number, const act_buf *inner)
{
    pb_bytes(b, number, inner->data ? inner->data : "", inner->len);
}

/* An ID message ({value: s}) as field `number`. */
static void pb_id(act_buf *b, unsigned number, const char *s)
{
    act_buf id = {0};
    pb_str(&id, 1, s);
    pb_sub(b, number, &id);
    act_buf_free(&id);
}

static int decode_buf(const wire_desc *d, const act_buf *b, wire_msg **m, char *err)
{
    return wire_pb_decode(d, b->data ? b->data : "", b->len, m, err, 200);
}

/* Reads one varint at *p (test inputs are well formed). */
static uint64_t read_varint(const uint8_t **p)
{
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return v;
    }
}

/* ---- round trips and order --------------------------------------------------------------- */

START_TEST(test_fields_go_out_in_ascending_field_number_order)
{
    for (size_t i = 0; i < wire_type_count(); i++) {
        const wire_desc *d = wire_type_at(i);
        uint64_t rng = 99 + i;
        wire_msg *m = wire_new(d);
        wire_random_fill(m, d, m->root, &rng);
        act_buf enc = {0};
        ck_assert_int_eq(wire_pb_encode(d, m->root, &enc), 0);
        const uint8_t *p = (const uint8_t *)enc.data, *end = p + enc.len;
        uint64_t last = 0;
        while (p < end) {
            uint64_t tag = read_varint(&p);
            ck_assert_msg(tag >> 3 >= last, "%s: field %llu after %llu", wire_type_name(d),
                          (unsigned long long)(tag >> 3), (unsigned long long)last);
            last = tag >> 3;
            switch (tag & 7) {
            case 0: read_varint(&p); break;
            case 1: p += 8; break;
            case 2: p += read_varint(&p); break;
            default: ck_abort_msg("%s: wire type %d", wire_type_name(d), (int)(tag & 7));
            }
        }
        ck_assert_ptr_eq(p, end);
        act_buf_free(&enc);
        wire_msg_free(m);
    }
}
END_TEST

/* A prefix that ends between two top-level fields is a valid, shorter message (if it holds the
 * required fields) whose encoding is the prefix itself; any other prefix is an error. */
START_TEST(test_every_prefix_is_an_error_or_exactly_its_complete_fields)
{
    for (size_t i = 0; i < wire_type_count(); i++) {
        const wire_desc *d = wire_type_at(i);
        uint64_t rng = 42 + i;
        wire_msg *m = wire_new(d);
        wire_random_fill(m, d, m->root, &rng);
        act_buf enc = {0};
        ck_assert_int_eq(wire_pb_encode(d, m->root, &enc), 0);
        for (size_t cut = 0; cut < enc.len; cut++) {
            wire_msg *out = (wire_msg *)1;
            /* a heap copy of the prefix, so reading past it is caught by ASan */
            char *prefix = malloc(cut ? cut : 1);
            memcpy(prefix, enc.data, cut);
            if (wire_pb_decode(d, prefix, cut, &out, NULL, 0) == 0) {
                act_buf again = {0};
                ck_assert_int_eq(wire_pb_encode(d, out->root, &again), 0);
                ck_assert_msg(again.len == cut && memcmp(again.data, prefix, cut) == 0,
                              "%s: a %zu-byte prefix decoded to something else", wire_type_name(d),
                              cut);
                act_buf_free(&again);
                wire_msg_free(out);
            } else {
                ck_assert_ptr_null(out);
            }
            free(prefix);
        }
        act_buf_free(&enc);
        wire_msg_free(m);
    }
}
END_TEST

/* ---- mesos-go's bytes -------------------------------------------------------------------- */

START_TEST(test_golden_messages_encode_to_mesos_gos_bytes_and_decode_from_them)
{
    ck_assert_uint_ge(tg_golden_count, 5);
    for (size_t i = 0; i < tg_golden_count; i++) {
        const tg_golden *g = &tg_golden_msgs[i];
        wire_msg *m = g->build();
        ck_assert_str_eq(wire_type_name(m->desc), g->name);
        act_buf enc = {0}, hex = {0}, golden = {0};
        ck_assert_int_eq(wire_pb_encode(m->desc, m->root, &enc), 0);
        tg_hex(enc.data, enc.len, &hex);
        ck_assert_msg(strcmp(hex.data, g->hex) == 0, "%s:\n ours %s\n mesos-go %s", g->name,
                      hex.data, g->hex);

        ck_assert(tg_unhex(g->hex, &golden));
        wire_msg *back = NULL;
        char err[200] = "";
        ck_assert_msg(wire_pb_decode(m->desc, golden.data, golden.len, &back, err, sizeof err) == 0,
                      "%s: %s", g->name, err);
        ck_assert_msg(wire_equal(m->desc, m->root, back->root), "%s decodes to another message",
                      g->name);
        wire_msg_free(back);
        wire_msg_free(m);
        act_buf_free(&enc);
        act_buf_free(&hex);
        act_buf_free(&golden);
    }
}
END_TEST

/* ---- what other encoders may send -------------------------------------------------------- */

START_TEST(test_unknown_fields_of_every_wire_type_are_skipped_groups_included)
{
    act_buf b = {0};
    pb_uint(&b, 7, 300);                      /* varint */
    pb_tag(&b, 8, 1);                         /* fixed64 */
    act_buf_append(&b, "12345678", 8);
    pb_str(&b, 1, "t1");                      /* the one known field */
    pb_str(&b, 9, "skipped");                 /* length-delimited */
    pb_tag(&b, 10, 5);                        /* fixed32 */
    act_buf_append(&b, "1234", 4);
    pb_tag(&b, 11, 3);                        /* a group holding fields and a nested group */
    pb_uint(&b, 1, 5);
    pb_tag(&b, 12, 3);
    pb_str(&b, 1, "deep");
    pb_tag(&b, 12, 4);
    pb_tag(&b, 11, 4);
    wire_msg *m;
    char err[200] = "";
    ck_assert_msg(decode_buf(WIRE_DESC(task_id), &b, &m, err) == 0, "%s", err);
    ck_assert_str_eq(((wire_task_id *)m->root)->value, "t1");
    wire_msg_free(m);
    act_buf_free(&b);
}
END_TEST

START_TEST(test_a_known_number_with_another_wire_type_is_skipped_like_an_unknown_field)
{
    act_buf b = {0};
    pb_uint(&b, 1, 5); /* TaskID.value as a varint: not a string, so not the field */
    pb_str(&b, 1, "t1");
    wire_msg *m;
    char err[200] = "";
    ck_assert_msg(decode_buf(WIRE_DESC(task_id), &b, &m, err) == 0, "%s", err);
    ck_assert_str_eq(((wire_task_id *)m->root)->value, "t1");
    wire_msg_free(m);

    act_buf_reset(&b);
    pb_uint(&b, 1, 5);
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_id), &b, &m, err), WIRE_EMISSING);
    ck_assert_str_eq(err, "TaskID.value: missing required field");
    act_buf_free(&b);
}
END_TEST

START_TEST(test_repeated_numbers_are_read_packed_and_unpacked_alike)
{
    /* HealthCheck.HTTP{port: 80, statuses: [200, 204] packed, 301 unpacked, [302] packed} */
    act_buf b = {0}, packed = {0};
    pb_uint(&b, 1, 80);
    pb_varint(&packed, 200);
    pb_varint(&packed, 204);
    pb_sub(&b, 4, &packed);
    pb_uint(&b, 4, 301);
    act_buf_reset(&packed);
    pb_varint(&packed, 302);
    pb_sub(&b, 4, &packed);
    wire_msg *m;
    char err[200] = "";
    ck_assert_msg(decode_buf(WIRE_DESC(health_check_http), &b, &m, err) == 0, "%s", err);
    wire_health_check_http *h = m->root;
    ck_assert_uint_eq(h->port, 80);
    ck_assert_uint_eq(h->statuses_count, 4);
    ck_assert_uint_eq(h->statuses[0], 200);
    ck_assert_uint_eq(h->statuses[1], 204);
    ck_assert_uint_eq(h->statuses[2], 301);
    ck_assert_uint_eq(h->statuses[3], 302);
    ck_assert_str_eq(h->path, "/"); /* the default */
    wire_msg_free(m);

    /* A packed run that ends inside a varint is truncated input. */
    act_buf_reset(&b);
    pb_uint(&b, 1, 80);
    pb_bytes(&b, 4, "\xc8\x81", 2);
    ck_assert_int_eq(decode_buf(WIRE_DESC(health_check_http), &b, &m, err), WIRE_ETRUNCATED);
    act_buf_free(&b);
    act_buf_free(&packed);
}
END_TEST

START_TEST(test_a_scalar_given_twice_keeps_the_last_and_a_message_given_twice_merges)
{
    /* RunTaskMessage with `framework` split in two occurrences: user in one, name in the
     * other. Both are required, so only the merge makes it valid. */
    act_buf b = {0}, fw1 = {0}, fw2 = {0}, task = {0};
    pb_id(&b, 1, "fw");
    pb_str(&fw1, 1, "alice");
    pb_str(&fw1, 6, "first-role");
    pb_sub(&b, 2, &fw1);
    pb_str(&b, 3, "scheduler(1)@10.0.0.1:1");
    pb_str(&b, 3, "scheduler(1)@10.0.0.1:2");
    pb_str(&task, 1, "task");
    pb_id(&task, 2, "t1");
    pb_id(&task, 3, "s1");
    pb_sub(&b, 4, &task);
    pb_str(&fw2, 2, "web");
    pb_str(&fw2, 6, "second-role");
    pb_sub(&b, 2, &fw2);
    wire_msg *m;
    char err[200] = "";
    ck_assert_msg(decode_buf(WIRE_DESC(run_task_message), &b, &m, err) == 0, "%s", err);
    wire_run_task_message *r = m->root;
    ck_assert_str_eq(r->framework.user, "alice");
    ck_assert_str_eq(r->framework.name, "web");
    ck_assert_str_eq(r->framework.role, "second-role");
    ck_assert_str_eq(r->pid, "scheduler(1)@10.0.0.1:2");
    ck_assert_str_eq(r->task.task_id.value, "t1");
    wire_msg_free(m);
    act_buf_free(&b);
    act_buf_free(&fw1);
    act_buf_free(&fw2);
    act_buf_free(&task);
}
END_TEST

START_TEST(test_absent_optional_fields_take_their_proto_defaults)
{
    act_buf b = {0};
    pb_str(&b, 1, "root");
    pb_str(&b, 2, "fw");
    wire_msg *m;
    char err[200] = "";
    ck_assert_msg(decode_buf(WIRE_DESC(framework_info), &b, &m, err) == 0, "%s", err);
    wire_framework_info *f = m->root;
    ck_assert(!f->has_role);
    ck_assert_str_eq(f->role, "*");
    ck_assert(!f->has_failover_timeout);
    ck_assert(f->failover_timeout == 0.0);
    ck_assert_str_eq(f->hostname, "");
    ck_assert_ptr_null(f->id);
    wire_msg_free(m);

    act_buf_reset(&b);
    ck_assert_msg(decode_buf(WIRE_DESC(filters), &b, &m, err) == 0, "%s", err);
    ck_assert(((wire_filters *)m->root)->refuse_seconds == 5.0);
    wire_msg_free(m);
    act_buf_free(&b);
}
END_TEST

START_TEST(test_unknown_enum_values_are_absent_when_optional_and_fail_when_required)
{
    act_buf b = {0};
    pb_id(&b, 1, "t1");
    pb_uint(&b, 2, WIRE_TASK_RUNNING);
    pb_uint(&b, 9, 99); /* source: no such value */
    wire_msg *m;
    char err[200] = "";
    ck_assert_msg(decode_buf(WIRE_DESC(task_status), &b, &m, err) == 0, "%s", err);
    wire_task_status *s = m->root;
    ck_assert_int_eq(s->state, WIRE_TASK_RUNNING);
    ck_assert(!s->has_source);
    wire_msg_free(m);

    act_buf_reset(&b);
    pb_id(&b, 1, "t1");
    pb_uint(&b, 2, 42);
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_status), &b, &m, err), WIRE_EENUM);
    ck_assert_str_eq(err, "TaskStatus.state: unknown mesos.TaskState value");
    act_buf_free(&b);
}
END_TEST

START_TEST(test_a_missing_required_field_is_an_error_naming_its_path)
{
    act_buf b = {0}, task = {0};
    pb_id(&b, 1, "fw");
    act_buf fw = {0};
    pb_str(&fw, 1, "u");
    pb_str(&fw, 2, "n");
    pb_sub(&b, 2, &fw);
    pb_str(&b, 3, "pid");
    pb_str(&task, 1, "task");
    pb_id(&task, 3, "s1"); /* no task_id */
    pb_sub(&b, 4, &task);
    wire_msg *m;
    char err[200] = "";
    ck_assert_int_eq(decode_buf(WIRE_DESC(run_task_message), &b, &m, err), WIRE_EMISSING);
    ck_assert_str_eq(err, "RunTaskMessage.task.task_id: missing required field");

    /* and inside a repeated field, with its index */
    act_buf_reset(&b);
    pb_id(&b, 1, "fw");
    act_buf st = {0};
    pb_id(&st, 1, "a");
    pb_uint(&st, 2, WIRE_TASK_RUNNING);
    pb_sub(&b, 2, &st);
    act_buf_reset(&st);
    pb_uint(&st, 2, WIRE_TASK_RUNNING);
    pb_sub(&b, 2, &st);
    ck_assert_int_eq(decode_buf(WIRE_DESC(reconcile_tasks_message), &b, &m, err), WIRE_EMISSING);
    ck_assert_str_eq(err, "ReconcileTasksMessage.statuses[1].task_id: missing required field");
    act_buf_free(&b);
    act_buf_free(&fw);
    act_buf_free(&st);
    act_buf_free(&task);
}
END_TEST

/* ---- hostile input ----------------------------------------------------------------------- */

START_TEST(test_hostile_framing_is_refused_with_a_reason)
{
    static const struct {
        const char *bytes;
        size_t len;
        int rc;
    } cases[] = {
        {"\x0a\xff\xff\xff\xff\x0f", 6, WIRE_ETRUNCATED},       /* string of 4 GB */
        {"\x0a\x05" "ab", 4, WIRE_ETRUNCATED},                  /* string past the end */
        {"\x0a", 1, WIRE_ETRUNCATED},                           /* tag, no length */
        {"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, WIRE_EPARSE}, /* 11-byte varint */
        {"\x08\x80", 2, WIRE_ETRUNCATED},                       /* varint cut short */
        {"\x0e\x00", 2, WIRE_EPARSE},                           /* wire type 6 */
        {"\x0f\x00", 2, WIRE_EPARSE},                           /* wire type 7 */
        {"\x02\x00", 2, WIRE_EPARSE},                           /* field number 0 */
        {"\x5c", 1, WIRE_EPARSE},                               /* end of a group never opened */
        {"\x5b\x64", 2, WIRE_EPARSE},                           /* group closed by another */
        {"\x5b", 1, WIRE_ETRUNCATED},                           /* group never closed */
        {"\x80\x80\x80\x80\x10", 5, WIRE_EPARSE},               /* tag beyond 32 bits */
        {"\x09\x01\x02", 3, WIRE_ETRUNCATED},                   /* fixed64 cut short */
        {"\x0a\x03" "a\0b", 5, WIRE_EINVAL},                    /* NUL inside a string */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wire_msg *m = (wire_msg *)1;
        char err[200] = "";
        int rc = wire_pb_decode(WIRE_DESC(task_id), cases[i].bytes, cases[i].len, &m, err,
                                sizeof err);
        ck_assert_msg(rc == cases[i].rc, "case %zu: %d (%s)", i, rc, err);
        ck_assert_msg(strlen(err) > 0, "case %zu gave no reason", i);
        ck_assert_ptr_null(m);
    }
}
END_TEST

START_TEST(test_unknown_groups_nested_past_the_depth_limit_are_refused)
{
    /* The schema cannot nest messages that deep; unknown groups can, and are bounded. */
    act_buf b = {0};
    for (int i = 0; i < 40; i++) pb_tag(&b, 9, 3);
    for (int i = 0; i < 40; i++) pb_tag(&b, 9, 4);
    wire_msg *m;
    char err[200] = "";
    ck_assert_int_eq(decode_buf(WIRE_DESC(task_id), &b, &m, err), WIRE_EDEPTH);
    act_buf_free(&b);
}
END_TEST

START_TEST(test_decoding_that_would_expand_past_16x_is_refused)
{
    /* Archive.Framework needs only an empty user and name: 8 bytes of input each, a
     * framework_info and more in memory. */
    act_buf b = {0}, fw = {0}, info = {0};
    pb_str(&info, 1, "");
    pb_str(&info, 2, "");
    pb_sub(&fw, 1, &info);
    for (int i = 0; i < 5000; i++) pb_sub(&b, 1, &fw);
    wire_msg *m;
    char err[200] = "";
    ck_assert_int_eq(decode_buf(WIRE_DESC(archive), &b, &m, err), WIRE_ELIMIT);

    /* Sensible messages stay well inside the cap. */
    for (size_t i = 0; i < wire_type_count(); i++) {
        const wire_desc *d = wire_type_at(i);
        uint64_t rng = 7 + i;
        wire_msg *src = wire_new(d);
        wire_random_fill(src, d, src->root, &rng);
        act_buf_reset(&b);
        ck_assert_int_eq(wire_pb_encode(d, src->root, &b), 0);
        ck_assert_msg(decode_buf(d, &b, &m, err) == 0, "%s", err);
        ck_assert_uint_le(wire_msg_arena_bytes(m), WIRE_EXPANSION * b.len + WIRE_ARENA_SLACK);
        wire_msg_free(m);
        wire_msg_free(src);
    }
    act_buf_free(&b);
    act_buf_free(&fw);
    act_buf_free(&info);
}
END_TEST

Suite *wire_protobuf_suite(void);
Suite *wire_protobuf_suite(void)
{
    Suite *s = suite_create("wire_protobuf");
    TCase *tc = tcase_create("protobuf");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fields_go_out_in_ascending_field_number_order);
    tcase_add_test(tc, test_every_prefix_is_an_error_or_exactly_its_complete_fields);
    tcase_add_test(tc, test_golden_messages_encode_to_mesos_gos_bytes_and_decode_from_them);
    tcase_add_test(tc, test_unknown_fields_of_every_wire_type_are_skipped_groups_included);
    tcase_add_test(tc, test_a_known_number_with_another_wire_type_is_skipped_like_an_unknown_field);
    tcase_add_test(tc, test_repeated_numbers_are_read_packed_and_unpacked_alike);
    tcase_add_test(tc, test_a_scalar_given_twice_keeps_the_last_and_a_message_given_twice_merges);
    tcase_add_test(tc, test_absent_optional_fields_take_their_proto_defaults);
    tcase_add_test(tc, test_unknown_enum_values_are_absent_when_optional_and_fail_when_required);
    tcase_add_test(tc, test_a_missing_required_field_is_an_error_naming_its_path);
    tcase_add_test(tc, test_hostile_framing_is_refused_with_a_reason);
    tcase_add_test(tc, test_unknown_groups_nested_past_the_depth_limit_are_refused);
    tcase_add_test(tc, test_decoding_that_would_expand_past_16x_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
