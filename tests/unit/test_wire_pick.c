/*
 * test_wire_pick.c - decoding with a pick: what it builds is exactly the whole decode cut to
 * the pick (every type, both encodings), and what it skips is still held to the framing,
 * presence, duplicate and nesting rules of the whole decode; picks are made from names and
 * refuse names the type lacks.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/mpwrite.h"
#include "wire/wire.h"

static const wire_format formats[] = {WIRE_MSGPACK, WIRE_PROTOBUF};

static wire_pick *pick_of(const wire_desc *d, const char *paths)
{
    char err[256] = "";
    wire_pick *p = wire_pick_new(d, paths, err, sizeof err);
    ck_assert_msg(p != NULL, "%s: %s", paths, err);
    return p;
}

/* Encodes random contents of the pick's type in f, decodes them whole and with the pick, and
 * checks the picked decode equals the whole one cut to the pick. With `builds`, it must also
 * differ from a decode that picks nothing (every pick below names a field that random contents
 * always fill), so a pick that keeps nothing, and a cut that cuts everything, both fail. */
static void check_pick(const wire_pick *p, uint64_t seed, wire_format f, bool builds)
{
    const wire_desc *d = wire_pick_type(p);
    wire_msg *src = wire_new(d), *whole = NULL, *picked = NULL;
    wire_random_fill(src, d, src->root, &seed);
    act_buf b = {0};
    ck_assert_int_eq(wire_encode_as(f, d, src->root, &b), 0);
    char err[256] = "";
    ck_assert_int_eq(wire_decode_as(f, d, b.data, b.len, &whole, err, sizeof err), 0);
    int rc = wire_decode_picked(f, p, b.data, b.len, &picked, err, sizeof err);
    ck_assert_msg(rc == 0, "%s (%s): %s", wire_type_name(d), wire_format_name(f), err);
    wire_pick_clear_rest(p, whole->root);
    ck_assert_msg(wire_equal(d, whole->root, picked->root), "%s (%s)", wire_type_name(d),
                  wire_format_name(f));
    ck_assert_uint_le(wire_msg_arena_bytes(picked), wire_msg_arena_bytes(whole));
    if (builds) {
        wire_pick *none = wire_pick_new(d, "", err, sizeof err);
        wire_msg *nothing = NULL;
        ck_assert_int_eq(wire_decode_picked(f, none, b.data, b.len, &nothing, err, sizeof err),
                         0);
        ck_assert_msg(!wire_equal(d, nothing->root, picked->root), "%s (%s): the pick built "
                      "nothing", wire_type_name(d), wire_format_name(f));
        wire_msg_free(nothing);
        wire_pick_free(none);
    }
    wire_msg_free(picked);
    wire_msg_free(whole);
    wire_msg_free(src);
    act_buf_free(&b);
}

START_TEST(test_picking_nothing_of_any_type_equals_its_whole_decode_cut_to_nothing)
{
    for (size_t i = 0; i < wire_type_count(); i++) {
        wire_pick *p = pick_of(wire_type_at(i), "");
        for (size_t f = 0; f < 2; f++) check_pick(p, 1000 + i, formats[f], false);
        wire_pick_free(p);
    }
}
END_TEST

START_TEST(test_a_picked_decode_equals_the_whole_decode_cut_to_the_pick)
{
    static const struct {
        const wire_desc *d;
        const char *paths;
    } picks[] = {
        {WIRE_DESC(run_task_message), "framework_id, task.name, task.task_id, task.executor, "
                                      "task.resources, task.labels, task.data"},
        {WIRE_DESC(run_task_message), "task.resources.name task.resources.scalar pid"},
        {WIRE_DESC(run_task_message), "task.command.uris.value, task, framework.id"},
        {WIRE_DESC(status_update_message), "update.status.task_id,update.uuid"},
        {WIRE_DESC(reregister_slave_message), "slave_id, tasks.task_id, tasks.resources"},
        {WIRE_DESC(resource_offers_message), "offers.id, offers.resources.ranges, pids"},
    };
    for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
        wire_pick *p = pick_of(picks[i].d, picks[i].paths);
        for (uint64_t seed = 1; seed <= 8; seed++)
            for (size_t f = 0; f < 2; f++) check_pick(p, seed * 7 + i, formats[f], true);
        wire_pick_free(p);
    }
}
END_TEST

START_TEST(test_every_truncation_is_an_error_with_a_pick_too)
{
    wire_pick *p = pick_of(WIRE_DESC(run_task_message), "framework_id task.task_id");
    for (size_t f = 0; f < 2; f++) {
        uint64_t seed = 42;
        wire_msg *src = wire_new(WIRE_DESC(run_task_message));
        wire_random_fill(src, WIRE_DESC(run_task_message), src->root, &seed);
        act_buf b = {0};
        ck_assert_int_eq(wire_encode_as(formats[f], WIRE_DESC(run_task_message), src->root, &b),
                         0);
        for (size_t n = 0; n < b.len; n++) {
            wire_msg *m = NULL;
            wire_msg *whole = NULL;
            int whole_rc = wire_decode_as(formats[f], WIRE_DESC(run_task_message), b.data, n,
                                          &whole, NULL, 0);
            int rc = wire_decode_picked(formats[f], p, b.data, n, &m, NULL, 0);
            /* a msgpack map cut short is never whole; protobuf has cut points between fields,
             * where the picked decode must read what the whole one reads */
            if (formats[f] == WIRE_MSGPACK) ck_assert_msg(rc != 0, "cut at %zu decoded", n);
            if (whole_rc == 0) ck_assert_msg(rc == 0, "cut at %zu refused", n);
            ck_assert(rc != 0 ? m == NULL : m != NULL);
            wire_msg_free(m);
            wire_msg_free(whole);
        }
        wire_msg_free(src);
        act_buf_free(&b);
    }
    wire_pick_free(p);
}
END_TEST

/* ---- msgpack made by hand ----------------------------------------------------------------- */

/* "key": {"value": id} */
static void mp_id_field(act_buf *b, const char *key, const char *id)
{
    mp_str(b, key);
    mp_id(b, id);
}

static int decode_kill(const act_buf *b, char *err)
{
    wire_pick *p = pick_of(WIRE_DESC(kill_task_message), "task_id");
    wire_msg *m = NULL;
    int rc = wire_decode_picked(WIRE_MSGPACK, p, b->data, b->len, &m, err, 256);
    if (rc == 0) {
        ck_assert_str_eq(((wire_kill_task_message *)m->root)->task_id.value, "t1");
        ck_assert_ptr_null(((wire_kill_task_message *)m->root)->framework_id.value);
    }
    wire_msg_free(m);
    wire_pick_free(p);
    return rc;
}

START_TEST(test_a_skipped_field_is_held_to_presence_duplicates_and_nesting)
{
    char err[256] = "";
    act_buf b = {0};
    mp_byte(&b, 0x82); /* both fields: framework_id skipped, task_id built */
    mp_id_field(&b, "framework_id", "f1");
    mp_id_field(&b, "task_id", "t1");
    ck_assert_int_eq(decode_kill(&b, err), 0);

    act_buf_reset(&b); /* the skipped required field missing */
    mp_byte(&b, 0x81);
    mp_id_field(&b, "task_id", "t1");
    ck_assert_int_eq(decode_kill(&b, err), WIRE_EMISSING);
    ck_assert_msg(strstr(err, "framework_id") != NULL, "%s", err);

    act_buf_reset(&b); /* the skipped field given twice */
    mp_byte(&b, 0x83);
    mp_id_field(&b, "framework_id", "f1");
    mp_id_field(&b, "framework_id", "f2");
    mp_id_field(&b, "task_id", "t1");
    ck_assert_int_eq(decode_kill(&b, err), WIRE_EDUPLICATE);

    act_buf_reset(&b); /* the skipped field nested past the limit */
    mp_byte(&b, 0x82);
    mp_id_field(&b, "task_id", "t1");
    mp_str(&b, "framework_id");
    for (int i = 0; i < 40; i++) mp_byte(&b, 0x91);
    mp_byte(&b, 0xc0);
    ck_assert_int_eq(decode_kill(&b, err), WIRE_EDEPTH);

    act_buf_reset(&b); /* the skipped field's string longer than the input */
    mp_byte(&b, 0x82);
    mp_id_field(&b, "task_id", "t1");
    mp_str(&b, "framework_id");
    mp_byte(&b, 0xdb);
    act_buf_append(&b, "\x7f\xff\xff\xff", 4);
    ck_assert_int_eq(decode_kill(&b, err), WIRE_ETRUNCATED);
    act_buf_free(&b);
}
END_TEST

START_TEST(test_a_pick_names_fields_the_type_has)
{
    char err[256] = "";
    const wire_desc *d = WIRE_DESC(run_task_message);
    ck_assert_ptr_null(wire_pick_new(d, "task.nope", err, sizeof err));
    ck_assert_msg(strstr(err, "TaskInfo has no field 'nope'") != NULL, "%s", err);
    ck_assert_ptr_null(wire_pick_new(d, "framework_id.value.x", err, sizeof err));
    ck_assert_msg(strstr(err, "is not a message") != NULL, "%s", err);
    ck_assert_ptr_null(wire_pick_new(d, "task_id", err, sizeof err));
    /* a field named whole and in part is kept whole, in either order */
    wire_pick *a = pick_of(d, "task task.name"), *b = pick_of(d, "task.name,task");
    uint64_t seed = 5;
    wire_msg *src = wire_new(d);
    wire_random_fill(src, d, src->root, &seed);
    act_buf buf = {0};
    ck_assert_int_eq(wire_encode(d, src->root, &buf), 0);
    wire_msg *ma = NULL, *mb = NULL;
    ck_assert_int_eq(wire_decode_picked(WIRE_MSGPACK, a, buf.data, buf.len, &ma, err, 256), 0);
    ck_assert_int_eq(wire_decode_picked(WIRE_MSGPACK, b, buf.data, buf.len, &mb, err, 256), 0);
    const wire_run_task_message *r = src->root;
    ck_assert(wire_equal(WIRE_DESC(task_info), &r->task,
                         &((wire_run_task_message *)ma->root)->task));
    ck_assert(wire_equal(WIRE_DESC(task_info), &r->task,
                         &((wire_run_task_message *)mb->root)->task));
    ck_assert_ptr_null(((wire_run_task_message *)ma->root)->framework_id.value);
    wire_msg_free(ma);
    wire_msg_free(mb);
    wire_msg_free(src);
    act_buf_free(&buf);
    wire_pick_free(a);
    wire_pick_free(b);
}
END_TEST

Suite *wire_pick_suite(void);
Suite *wire_pick_suite(void)
{
    Suite *s = suite_create("wire_pick");
    TCase *tc = tcase_create("pick");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_picking_nothing_of_any_type_equals_its_whole_decode_cut_to_nothing);
    tcase_add_test(tc, test_a_picked_decode_equals_the_whole_decode_cut_to_the_pick);
    tcase_add_test(tc, test_every_truncation_is_an_error_with_a_pick_too);
    tcase_add_test(tc, test_a_skipped_field_is_held_to_presence_duplicates_and_nesting);
    tcase_add_test(tc, test_a_pick_names_fields_the_type_has);
    suite_add_tcase(s, tc);
    return s;
}
