/*
 * test_attributes.c - slave attributes as --attributes gives them: each value becomes text, a
 * scalar, ranges or a set as SPEC section 3 says, prints back the same way, and a malformed
 * pair is a clear error.
 */
#include <check.h>
#include <string.h>

#include "wire/wire.h"

START_TEST(test_values_become_text_scalars_ranges_and_sets)
{
    wire_msg *m = wire_new(WIRE_DESC(slave_info));
    wire_attribute *a;
    size_t n;
    char err[200];
    ck_assert_int_eq(attr_parse_text("rack:1-1; os:rhel7; pythons:python2,python3; level:10; "
                                     "ports:[1-2, 7-9]; s:{a,b}\nzone : us east ",
                                     m, &a, &n, err, sizeof err),
                     0);
    ck_assert_uint_eq(n, 7);
    ck_assert_str_eq(a[0].name, "rack");
    ck_assert_int_eq(a[0].type, WIRE_VALUE_TEXT);
    ck_assert_str_eq(a[0].text->value, "1-1");
    ck_assert_int_eq(a[2].type, WIRE_VALUE_TEXT);
    ck_assert_str_eq(a[2].text->value, "python2,python3");
    ck_assert_int_eq(a[3].type, WIRE_VALUE_SCALAR);
    ck_assert(a[3].scalar->value == 10.0);
    ck_assert_int_eq(a[4].type, WIRE_VALUE_RANGES);
    ck_assert_uint_eq(a[4].ranges->range_count, 2);
    ck_assert_uint_eq(a[4].ranges->range[1].end, 9);
    ck_assert_int_eq(a[5].type, WIRE_VALUE_SET);
    ck_assert_uint_eq(a[5].set->item_count, 2);
    ck_assert_str_eq(a[6].name, "zone");
    ck_assert_str_eq(a[6].text->value, "useast"); /* Mesos drops the blanks inside values */
    ck_assert_ptr_eq(attr_find(a, n, "level"), &a[3]);
    ck_assert_ptr_null(attr_find(a, n, "nope"));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_prints_back_in_the_same_form)
{
    wire_msg *m = wire_new(WIRE_DESC(slave_info));
    wire_attribute *a;
    size_t n;
    const char *text = "rack:1-1; os:rhel7; level:10; weight:0.25; ports:[1-2, 7-9]; s:{a, b}";
    ck_assert_int_eq(attr_parse_text(text, m, &a, &n, NULL, 0), 0);
    act_buf b = {0};
    attr_format(a, n, &b);
    ck_assert_str_eq(b.data, text);
    act_buf_free(&b);

    /* and they travel in a SlaveInfo */
    wire_slave_info *si = m->root;
    si->hostname = "h";
    si->attributes = a;
    si->attributes_count = n;
    act_buf enc = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(slave_info), si, &enc), 0);
    wire_msg *back;
    ck_assert_int_eq(wire_decode(WIRE_DESC(slave_info), enc.data, enc.len, &back, NULL, 0), 0);
    ck_assert(wire_equal(WIRE_DESC(slave_info), si, back->root));
    wire_msg_free(back);
    act_buf_free(&enc);
    wire_msg_free(m);
}
END_TEST

START_TEST(test_malformed_pairs_are_clear_errors)
{
    static const char *const bad[] = {"rack", ":x",      "rack:",  "a:[1-",
                                      "a:{b", "a:[2-1]", "a:x[1]", "ok:1; broken"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wire_msg *m = wire_new(WIRE_DESC(slave_info));
        wire_attribute *a;
        size_t n = 99;
        char err[200] = "";
        ck_assert_msg(attr_parse_text(bad[i], m, &a, &n, err, sizeof err) == WIRE_EPARSE,
                      "'%s' parsed", bad[i]);
        ck_assert_msg(strlen(err) > 10, "'%s' gave no reason", bad[i]);
        ck_assert_uint_eq(n, 0);
        wire_msg_free(m);
    }
    wire_msg *m = wire_new(WIRE_DESC(slave_info));
    wire_attribute *a;
    size_t n;
    ck_assert_int_eq(attr_parse_text("  ;\n; ", m, &a, &n, NULL, 0), 0);
    ck_assert_uint_eq(n, 0);
    wire_msg_free(m);
}
END_TEST

Suite *attributes_suite(void);
Suite *attributes_suite(void)
{
    Suite *s = suite_create("attributes");
    TCase *tc = tcase_create("attributes");
    tcase_add_test(tc, test_values_become_text_scalars_ranges_and_sets);
    tcase_add_test(tc, test_prints_back_in_the_same_form);
    tcase_add_test(tc, test_malformed_pairs_are_clear_errors);
    suite_add_tcase(s, tc);
    return s;
}
