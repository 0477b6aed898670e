/*
 * test_resources.c - resources as operators write them and as the allocator computes with
 * them: parsing the text and JSON forms (and refusing every malformed form clearly), printing
 * back, arithmetic laws over random sets, exactness of fixed-point scalars, and the defaults a
 * slave detects.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

static res_set parse_ok(const char *text, const char *role)
{
    res_set s = {0};
    char err[256] = "";
    int rc = res_parse(text, role, &s, err, sizeof err);
    ck_assert_msg(rc == 0, "'%s': %s", text, err);
    return s;
}

static void assert_formats(const res_set *s, const char *expect)
{
    char *text = res_to_string(s);
    ck_assert_str_eq(text, expect);
    free(text);
}

/* ---- parsing ----------------------------------------------------------------------------- */

START_TEST(test_parses_and_prints_the_spec_example)
{
    const char *text = "cpus(prod):8; mem(prod):16384; disk(*):65536; ports(*):[31000-32000]";
    res_set s = parse_ok(text, NULL);
    ck_assert_uint_eq(s.n, 4);
    ck_assert(res_scalar(&s, "cpus") == 8.0);
    ck_assert_int_eq(res_scalar_milli(&s, "mem"), 16384000);
    ck_assert_ptr_nonnull(res_find(&s, "cpus", "prod", WIRE_VALUE_SCALAR));
    ck_assert_ptr_null(res_find(&s, "cpus", "*", WIRE_VALUE_SCALAR));
    assert_formats(&s, text);
    res_free(&s);
}
END_TEST

START_TEST(test_role_defaults_to_the_default_role)
{
    res_set s = parse_ok(" cpus : 2 ;mem:1024;; ", "dev");
    assert_formats(&s, "cpus(dev):2; mem(dev):1024");
    res_free(&s);
    s = parse_ok("cpus:0.5", NULL);
    assert_formats(&s, "cpus(*):0.5");
    res_free(&s);
}
END_TEST

START_TEST(test_repeated_entries_add_up_and_zero_amounts_vanish)
{
    res_set s = parse_ok("cpus:1; cpus:2.5; mem:0; gpus(prod):1; gpus:1", NULL);
    assert_formats(&s, "cpus(*):3.5; gpus(prod):1; gpus(*):1");
    res_free(&s);
}
END_TEST

START_TEST(test_ranges_coalesce_and_sets_sort)
{
    res_set s = parse_ok("ports:[3-4, 1-2, 10-20, 15-25]; disks:{ssd2, ssd1}; none:[]", NULL);
    assert_formats(&s, "ports(*):[1-4, 10-25]; disks(*):{ssd1, ssd2}");
    res_range *r;
    size_t n;
    res_ranges(&s, "ports", &r, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(r[1].end, 25);
    free(r);
    res_free(&s);
}
END_TEST

START_TEST(test_every_malformed_text_is_a_clear_error)
{
    static const char *const bad[] = {
        "cpus",
        "cpus:",
        "cpus:abc",
        "cpus:-1",
        "cpus(prod:1",
        "cpus)prod(:1",
        "cpus():1",
        "(prod):1",
        ":1",
        "cpus:1:2",
        "ports:[1-2",
        "ports:[2-1]",
        "ports:[a-b]",
        "ports:[1-]",
        "ports:[-5-7]",
        "ports:[1-2]x",
        "ports:x[1-2]",
        "disks:{a,a}",
        "disks:{a",
        "disks:a}",
        "cpus:1;cpus:[1-2]",
        "cpus:nan",
        "cpus:inf",
        "cpus:1e300",
        "cpus:0x10",
        "cpus(a b):1",
        "cpus(prod)x:1",
        "ports:[1-99999999999999999999999]",
        "cpus:1;mem",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        res_set s = {0};
        ck_assert_int_eq(res_add_scalar(&s, "junk", NULL, 1), 0);
        char err[256] = "";
        int rc = res_parse_text(bad[i], NULL, &s, err, sizeof err);
        ck_assert_msg(rc < 0, "'%s' parsed", bad[i]);
        ck_assert_msg(strlen(err) > 10, "'%s' gave no reason", bad[i]);
        ck_assert_msg(res_empty(&s), "'%s' left resources behind", bad[i]);
        res_free(&s);
    }
}
END_TEST

START_TEST(test_errors_say_what_is_wrong)
{
    res_set s = {0};
    char err[256];
    ck_assert_int_eq(res_parse_text("cpus:-1", NULL, &s, err, sizeof err), WIRE_EINVAL);
    ck_assert_str_eq(err, "Invalid scalar resource 'cpus': value < 0");
    ck_assert_int_eq(res_parse_text("cpus:1;cpus:{a}", NULL, &s, err, sizeof err), WIRE_EINVAL);
    ck_assert_str_eq(err,
                     "Resources with the same name ('cpus') but different types are not allowed");
    ck_assert_int_eq(res_parse_text("cpus:lots", NULL, &s, err, sizeof err), WIRE_EPARSE);
    ck_assert_str_eq(err,
                     "Bad value for resource 'cpus': 'lots' is not a number, [ranges] or {set}");
    res_free(&s);
}
END_TEST

START_TEST(test_parses_json_resources)
{
    const char *json =
        "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":8},\"role\":\"prod\"},"
        " {\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":31000,\"end\":"
        "32000}]}},"
        " {\"name\":\"disks\",\"type\":\"SET\",\"set\":{\"item\":[\"b\",\"a\"]},\"extra\":1}]";
    res_set s = parse_ok(json, "dev");
    assert_formats(&s, "cpus(prod):8; ports(dev):[31000-32000]; disks(dev):{a, b}");
    res_free(&s);
}
END_TEST

START_TEST(test_every_malformed_json_is_a_clear_error)
{
    static const char *const bad[] = {
        "[",
        "{}",
        "[1]",
        "[{\"type\":\"SCALAR\",\"scalar\":{\"value\":1}}]",
        "[{\"name\":\"cpus\",\"type\":\"SCALER\",\"scalar\":{\"value\":1}}]",
        "[{\"name\":\"cpus\",\"type\":\"SCALAR\"}]",
        "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":\"8\"}}]",
        "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":-8}}]",
        "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"ranges\":{}}]",
        "[{\"name\":\"p\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":5,\"end\":1}]}}]",
        "[{\"name\":\"p\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":-5,\"end\":1}]}}]",
        "[{\"name\":\"t\",\"type\":\"TEXT\"}]",
        "[{\"name\":\"d\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"disk\":{}}]",
        "[{\"name\":\"s\",\"type\":\"SET\",\"set\":{\"item\":[\"a\",\"a\"]}}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        res_set s = {0};
        char err[256] = "";
        ck_assert_msg(res_parse_json(bad[i], NULL, &s, err, sizeof err) < 0, "%s parsed", bad[i]);
        ck_assert_msg(strlen(err) > 10, "%s gave no reason", bad[i]);
        ck_assert(res_empty(&s));
        res_free(&s);
    }
}
END_TEST

/* ---- arithmetic -------------------------------------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* A random set. Ranges and set items are sets, not counts, so a + b - b == a only holds when
 * a and b share none: each `zone` draws them from its own region. */
static res_set random_set(uint64_t *seed, unsigned zone)
{
    static const char *const roles[] = {"*", "prod"};
    res_set s = {0};
    for (int i = 0; i < 4; i++) {
        const char *role = roles[rnd(seed) % 2];
        if (rnd(seed) % 2) res_add_scalar(&s, "cpus", role, (double)(rnd(seed) % 16000) / 1000.0);
        if (rnd(seed) % 2) res_add_scalar(&s, "mem", role, (double)(rnd(seed) % 65536));
        if (rnd(seed) % 2) {
            uint64_t b = 31000 + 10000 * zone + rnd(seed) % 1000;
            res_add_range(&s, "ports", role, b, b + rnd(seed) % 50);
        }
        if (rnd(seed) % 3 == 0) {
            char text[64];
            res_set one = {0};
            snprintf(text, sizeof text, "disks(%s):{z%ud%u, z%ud%u}", role, zone,
                     (unsigned)(rnd(seed) % 5), zone, (unsigned)(rnd(seed) % 5 + 5));
            ck_assert_int_eq(res_parse_text(text, NULL, &one, NULL, 0), 0);
            ck_assert_int_eq(res_add(&s, &one), 0);
            res_free(&one);
        }
    }
    return s;
}

START_TEST(test_adding_then_subtracting_returns_the_start)
{
    uint64_t seed = 12345;
    for (int i = 0; i < 500; i++) {
        res_set a = random_set(&seed, 0), b = random_set(&seed, 1), sum = {0};
        res_copy(&sum, &a);
        ck_assert_int_eq(res_add(&sum, &b), 0);
        ck_assert(res_contains(&sum, &a));
        ck_assert(res_contains(&sum, &b));
        ck_assert_int_eq(res_subtract(&sum, &b), 0);
        char *ta = res_to_string(&a), *tb = res_to_string(&b), *ts = res_to_string(&sum);
        ck_assert_msg(res_equal(&sum, &a), "a + b - b != a: a=%s b=%s a+b-b=%s", ta, tb, ts);
        free(ta);
        free(tb);
        free(ts);
        res_free(&a);
        res_free(&b);
        res_free(&sum);
    }
}
END_TEST

START_TEST(test_overlapping_sums_contain_both_and_subtract_within_the_start)
{
    uint64_t seed = 999;
    for (int i = 0; i < 500; i++) {
        res_set a = random_set(&seed, 0), b = random_set(&seed, 0), sum = {0};
        res_copy(&sum, &a);
        ck_assert_int_eq(res_add(&sum, &b), 0);
        ck_assert(res_contains(&sum, &a) && res_contains(&sum, &b));
        ck_assert_int_eq(res_subtract(&sum, &b), 0);
        ck_assert(res_contains(&a, &sum));
        for (size_t k = 0; k < sum.n; k++)
            ck_assert(sum.v[k].type != WIRE_VALUE_SCALAR || sum.v[k].scalar > 0);
        res_free(&a);
        res_free(&b);
        res_free(&sum);
    }
}
END_TEST

START_TEST(test_subtracting_more_than_present_is_an_error)
{
    res_set a = parse_ok("cpus:1; mem:512; ports:[1-10]; disks:{a,b}", NULL);
    static const char *const more[] = {"cpus:1.001", "mem:513", "ports:[5-11]", "ports:[0-1]",
                                       "disks:{c}",  "gpus:1",  "cpus(prod):1"};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        res_set b = parse_ok(more[i], NULL), before = {0};
        res_copy(&before, &a);
        ck_assert(!res_contains(&a, &b));
        ck_assert_int_eq(res_subtract(&a, &b), WIRE_ENOTCONTAINED);
        ck_assert_msg(res_equal(&a, &before), "a changed after subtracting %s", more[i]);
        res_free(&b);
        res_free(&before);
    }
    res_free(&a);
}
END_TEST

START_TEST(test_ten_thousand_tenth_cpu_cycles_return_exactly)
{
    res_set a = parse_ok("cpus:8; mem:1024", NULL), start = {0}, tenth = parse_ok("cpus:0.1", NULL);
    res_copy(&start, &a);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(res_subtract(&a, &tenth), i < 80 ? 0 : WIRE_ENOTCONTAINED);
    ck_assert(res_scalar(&a, "cpus") == 0.0);
    for (int i = 0; i < 10000; i++) ck_assert_int_eq(res_add(&a, &tenth), 0);
    ck_assert_int_eq(res_scalar_milli(&a, "cpus"), 1000000);
    for (int i = 0; i < 9920; i++) ck_assert_int_eq(res_subtract(&a, &tenth), 0);
    ck_assert(res_equal(&a, &start));
    res_free(&a);
    res_free(&start);
    res_free(&tenth);
}
END_TEST

START_TEST(test_ranges_and_sets_split_and_merge)
{
    res_set a = parse_ok("ports:[1-10, 20-30]; disks:{a,b,c}", NULL);
    res_set b = parse_ok("ports:[3-4, 10-10, 20-20, 25-30]; disks:{b}", NULL);
    ck_assert_int_eq(res_subtract(&a, &b), 0);
    assert_formats(&a, "ports(*):[1-2, 5-9, 21-24]; disks(*):{a, c}");
    ck_assert_int_eq(res_add(&a, &b), 0);
    assert_formats(&a, "ports(*):[1-10, 20-30]; disks(*):{a, b, c}");
    ck_assert_int_eq(res_add(&a, &a), 0);
    assert_formats(&a, "ports(*):[1-10, 20-30]; disks(*):{a, b, c}");
    ck_assert_int_eq(res_subtract(&a, &a), 0);
    ck_assert(res_empty(&a));
    res_free(&a);
    res_free(&b);
}
END_TEST

START_TEST(test_equality_ignores_order_and_filter_and_flatten_regroup_roles)
{
    res_set a = parse_ok("cpus(prod):2; mem:10; cpus:1", NULL);
    res_set b = parse_ok("cpus:1; cpus(prod):2; mem:10", NULL), c = {0};
    ck_assert(res_equal(&a, &b));
    res_filter_role(&a, "prod", &c);
    assert_formats(&c, "cpus(prod):2");
    res_flatten(&a, NULL, &c);
    assert_formats(&c, "cpus(*):3; mem(*):10");
    res_flatten(&a, "dev", &a);
    assert_formats(&a, "cpus(dev):3; mem(dev):10");
    res_free(&a);
    res_free(&b);
    res_free(&c);
}
END_TEST

START_TEST(test_wire_resources_round_trip_through_the_codec)
{
    res_set a = parse_ok(
                "cpus(prod):0.125; mem:16384; ports:[31000-32000, 33000-33005]; disks:{x,y}", NULL),
            b = {0};
    wire_msg *m = wire_new(WIRE_DESC(slave_info));
    wire_slave_info *si = m->root;
    si->hostname = "h";
    res_to_wire(&a, m, &si->resources, &si->resources_count);
    act_buf enc = {0};
    ck_assert_int_eq(wire_encode(WIRE_DESC(slave_info), si, &enc), 0);
    wire_msg *back;
    ck_assert_int_eq(wire_decode(WIRE_DESC(slave_info), enc.data, enc.len, &back, NULL, 0), 0);
    wire_slave_info *bi = back->root;
    char err[200];
    ck_assert_int_eq(res_from_wire(bi->resources, bi->resources_count, &b, err, sizeof err), 0);
    ck_assert(res_equal(&a, &b));
    ck_assert_str_eq(bi->resources[0].role, "prod");
    ck_assert(bi->resources[0].scalar->value == 0.125);
    wire_msg_free(back);
    wire_msg_free(m);
    act_buf_free(&enc);
    res_free(&a);
    res_free(&b);
}
END_TEST

/* ---- slave defaults ---------------------------------------------------------------------- */

START_TEST(test_defaults_fill_only_missing_names)
{
    res_host big = {.cpus = 4, .mem_bytes = 16ull << 30, .disk_bytes = 100ull << 30};
    res_set s = {0};
    res_add_defaults(&s, &big, NULL);
    assert_formats(&s, "cpus(*):4; mem(*):15360; disk(*):97280; ports(*):[31000-32000]");
    res_free(&s);

    res_host small = {.cpus = 1, .mem_bytes = 1ull << 30, .disk_bytes = 4ull << 30};
    s = parse_ok("cpus:2; ports:[5-6]; cpu:9", "r");
    res_add_defaults(&s, &small, "r");
    assert_formats(&s, "cpus(r):2; ports(r):[5-6]; cpu(r):9; mem(r):512; disk(r):2048");
    res_free(&s);
}
END_TEST

START_TEST(test_detects_this_host)
{
    res_set s = {0};
    char err[200];
    ck_assert_int_eq(res_detect_defaults("/tmp", NULL, &s, err, sizeof err), 0);
    ck_assert(res_scalar(&s, "cpus") >= 1);
    ck_assert(res_scalar(&s, "mem") > 0);
    ck_assert_ptr_nonnull(res_find(&s, "ports", "*", WIRE_VALUE_RANGES));
    res_free(&s);
    ck_assert_int_lt(res_detect_defaults("/no/such/dir", NULL, &s, err, sizeof err), 0);
}
END_TEST

Suite *resources_suite(void);
Suite *resources_suite(void)
{
    Suite *s = suite_create("resources");
    TCase *tc = tcase_create("resources");
    tcase_add_test(tc, test_parses_and_prints_the_spec_example);
    tcase_add_test(tc, test_role_defaults_to_the_default_role);
    tcase_add_test(tc, test_repeated_entries_add_up_and_zero_amounts_vanish);
    tcase_add_test(tc, test_ranges_coalesce_and_sets_sort);
    tcase_add_test(tc, test_every_malformed_text_is_a_clear_error);
    tcase_add_test(tc, test_errors_say_what_is_wrong);
    tcase_add_test(tc, test_parses_json_resources);
    tcase_add_test(tc, test_every_malformed_json_is_a_clear_error);
    tcase_add_test(tc, test_adding_then_subtracting_returns_the_start);
    tcase_add_test(tc, test_overlapping_sums_contain_both_and_subtract_within_the_start);
    tcase_add_test(tc, test_subtracting_more_than_present_is_an_error);
    tcase_add_test(tc, test_ten_thousand_tenth_cpu_cycles_return_exactly);
    tcase_add_test(tc, test_ranges_and_sets_split_and_merge);
    tcase_add_test(tc, test_equality_ignores_order_and_filter_and_flatten_regroup_roles);
    tcase_add_test(tc, test_wire_resources_round_trip_through_the_codec);
    tcase_add_test(tc, test_defaults_fill_only_missing_names);
    tcase_add_test(tc, test_detects_this_host);
    suite_add_tcase(s, tc);
    return s;
}
