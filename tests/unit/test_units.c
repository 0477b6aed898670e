/*
 * test_units.c - durations and byte sizes: every unit parses, every malformed form is
 * rejected, and formatting gives the text Mesos' stout prints (which is also what
 * /master/flags shows for duration and byte flags); act_put_u64 writes decimal numbers as printf
 * does.
 */
#include "actor/actor.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct duration_case {
    const char *text;
    double secs;
} duration_case;

START_TEST(test_duration_parses_every_unit)
{
    static const duration_case cases[] = {
        {"10ns", 10e-9},   {"5us", 5e-6},       {"1ms", 1e-3},      {"1secs", 1},
        {"5mins", 300},    {"2hrs", 7200},      {"1days", 86400},   {"1weeks", 604800},
        {"0secs", 0},      {"100ms", 0.1},      {"0.25secs", 0.25}, {"1.5mins", 90},
        {".5secs", 0.5},   {"007secs", 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double secs = -1;
        ck_assert_msg(act_duration_parse(cases[i].text, &secs) == 0, "%s", cases[i].text);
        ck_assert_msg(fabs(secs - cases[i].secs) <= 1e-12 * fmax(1, cases[i].secs), "%s -> %.17g",
                      cases[i].text, secs);
    }
}
END_TEST

START_TEST(test_duration_rejects_malformed_text)
{
    static const char *const bad[] = {
        "",         "5",         "5 secs",   " 5secs",    "5secs ",      "-5secs",
        "+5secs",   "5Secs",     "5SECS",    "5minutes",  "5sec",        "secs",
        ".secs",    "1.2.3secs", "5e3secs",  "1e-3secs",  "nan",         "nansecs",
        "inf",      "infsecs",   "0x10secs", "5secsx",    "5secs\n",     "5 mins",
        "5s",       "5m",        "5h",       "5d",        "5w",          "1,5secs",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double secs = 42;
        ck_assert_msg(act_duration_parse(bad[i], &secs) == -EINVAL, "accepted '%s'", bad[i]);
        ck_assert_msg(secs == 42, "'%s' wrote the output", bad[i]);
    }
    double secs;
    ck_assert_int_eq(act_duration_parse(NULL, &secs), -EINVAL);
}
END_TEST

START_TEST(test_duration_rejects_values_beyond_int64_nanoseconds)
{
    double secs;
    ck_assert_int_eq(act_duration_parse("106751days", &secs), 0);
    ck_assert_int_eq(act_duration_parse("106752days", &secs), -EINVAL);
    ck_assert_int_eq(act_duration_parse("9223372036854775808ns", &secs), -EINVAL);
    ck_assert_int_eq(act_duration_parse("99999999999999999999weeks", &secs), -EINVAL);
    char huge[512];
    memset(huge, '9', 400);
    strcpy(huge + 400, "ns"); /* 400 digits: strtod gives inf */
    ck_assert_int_eq(act_duration_parse(huge, &secs), -EINVAL);
}
END_TEST

typedef struct format_case {
    double secs;
    const char *text;
} format_case;

START_TEST(test_duration_format_matches_stout)
{
    static const format_case cases[] = {
        {0, "0ns"},           {1e-8, "10ns"},        {1.5e-6, "1500ns"},  {5e-6, "5us"},
        {0.0015, "1500us"},   {0.1, "100ms"},        {1, "1secs"},        {1.5, "1500ms"},
        {1.0000001, "1.0000001secs"}, {90, "90secs"}, {300, "5mins"},     {5400, "90mins"},
        {3600, "1hrs"},       {86400, "1days"},      {129600, "36hrs"},   {604800, "1weeks"},
        {864000, "10days"},   {907200, "1.5weeks"},  {-5, "-5secs"},      {NAN, "0ns"},
        {60480000, "100weeks"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[64];
        ck_assert_str_eq(act_duration_format(cases[i].secs, buf, sizeof buf), cases[i].text);
    }
}
END_TEST

START_TEST(test_duration_format_saturates_huge_values)
{
    char buf[64];
    act_duration_format(1e300, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "15250.", 6) == 0 && strstr(buf, "weeks"), "%s", buf);
    act_duration_format(-INFINITY, buf, sizeof buf);
    ck_assert_msg(buf[0] == '-' && strstr(buf, "weeks"), "%s", buf);
}
END_TEST

START_TEST(test_duration_text_round_trips)
{
    static const char *const texts[] = {"10ns", "1500us", "100ms", "1secs", "0.5secs",
                                        "5mins", "2hrs", "3days", "1weeks", "1.5weeks"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        double secs;
        char buf[64];
        ck_assert_int_eq(act_duration_parse(texts[i], &secs), 0);
        act_duration_format(secs, buf, sizeof buf);
        /* "0.5secs" is 500ms in stout's output; the others come back unchanged. */
        ck_assert_str_eq(buf, strcmp(texts[i], "0.5secs") == 0 ? "500ms" : texts[i]);
    }
}
END_TEST

START_TEST(test_format_writes_at_most_n_bytes)
{
    char buf[8] = "xxxxxxx";
    ck_assert_str_eq(act_duration_format(1.5, buf, 4), "150");
    memcpy(buf, "xxxxxxx", 8);
    ck_assert_str_eq(act_bytes_format(1536 * 1024, buf, 3), "15");
    memcpy(buf, "xxxxxxx", 8);
    act_duration_format(1, buf, 0);
    act_bytes_format(1, buf, 0);
    ck_assert_str_eq(buf, "xxxxxxx");
}
END_TEST

typedef struct bytes_case {
    const char *text;
    uint64_t bytes;
} bytes_case;

START_TEST(test_bytes_parses_every_unit)
{
    static const bytes_case cases[] = {
        {"0B", 0},
        {"512B", 512},
        {"64KB", 64ULL << 10},
        {"64MB", 64ULL << 20},
        {"1GB", 1ULL << 30},
        {"2TB", 2ULL << 40},
        {"64mb", 64ULL << 20}, /* stout upper-cases the unit */
        {"18446744073709551615B", UINT64_MAX},
        {"16777215TB", 16777215ULL << 40},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t bytes = 1;
        ck_assert_msg(act_bytes_parse(cases[i].text, &bytes) == 0, "%s", cases[i].text);
        ck_assert_msg(bytes == cases[i].bytes, "%s -> %llu", cases[i].text,
                      (unsigned long long)bytes);
    }
}
END_TEST

START_TEST(test_bytes_rejects_malformed_text_and_overflow)
{
    static const char *const bad[] = {
        "",      "512",  "1.5GB", "-1B",   "+1B",    " 1B",    "1B ",   "1 B",
        "1PB",   "1KiB", "B",     "1BB",   "1e3B",   "0x10B",  "MB",    "1GB\n",
        "18446744073709551616B", "16777216TB", "99999999999999999999999KB", ".5KB",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t bytes = 42;
        ck_assert_msg(act_bytes_parse(bad[i], &bytes) == -EINVAL, "accepted '%s'", bad[i]);
        ck_assert_msg(bytes == 42, "'%s' wrote the output", bad[i]);
    }
    uint64_t bytes;
    ck_assert_int_eq(act_bytes_parse(NULL, &bytes), -EINVAL);
}
END_TEST

START_TEST(test_bytes_format_raises_unit_only_without_loss)
{
    static const bytes_case cases[] = {
        {"0B", 0},
        {"10B", 10},
        {"1025B", 1025},
        {"1KB", 1024},
        {"1536KB", 1536ULL << 10},
        {"64MB", 64ULL << 20},
        {"1GB", 1ULL << 30},
        {"2TB", 2ULL << 40},
        {"1024TB", 1ULL << 50},
        {"18446744073709551615B", UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        ck_assert_str_eq(act_bytes_format(cases[i].bytes, buf, sizeof buf), cases[i].text);
    }
}
END_TEST

/* act_put_u64 writes what printf's %llu writes, from 0 to the largest 20-digit value. */
START_TEST(test_put_u64_writes_the_digits_printf_writes)
{
    static const uint64_t cases[] = {0, 7, 10, 99, 65535, 1000000007ULL, 9999999999999999999ULL,
                                     10000000000000000000ULL, UINT64_MAX};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[24], want[24];
        *act_put_u64(got, cases[i]) = '\0';
        snprintf(want, sizeof want, "%llu", (unsigned long long)cases[i]);
        ck_assert_str_eq(got, want);
    }
}
END_TEST

Suite *units_suite(void);

Suite *units_suite(void)
{
    Suite *s = suite_create("units");
    TCase *tc = tcase_create("units");
    tcase_add_test(tc, test_duration_parses_every_unit);
    tcase_add_test(tc, test_duration_rejects_malformed_text);
    tcase_add_test(tc, test_duration_rejects_values_beyond_int64_nanoseconds);
    tcase_add_test(tc, test_duration_format_matches_stout);
    tcase_add_test(tc, test_duration_format_saturates_huge_values);
    tcase_add_test(tc, test_duration_text_round_trips);
    tcase_add_test(tc, test_format_writes_at_most_n_bytes);
    tcase_add_test(tc, test_bytes_parses_every_unit);
    tcase_add_test(tc, test_bytes_rejects_malformed_text_and_overflow);
    tcase_add_test(tc, test_bytes_format_raises_unit_only_without_loss);
    tcase_add_test(tc, test_put_u64_writes_the_digits_printf_writes);
    suite_add_tcase(s, tc);
    return s;
}
