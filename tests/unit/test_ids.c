/*
 * test_ids.c - master, framework, slave and offer IDs in Mesos' formats, the ID check the
 * master applies to framework-chosen IDs, task keys, and UUIDs in text and raw form.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

START_TEST(test_ids_have_mesos_formats)
{
    setenv("TZ", "UTC", 1);
    tzset();
    char master[WIRE_ID_MAX], id[WIRE_ID_MAX];
    uint32_t ip = (127u << 24) | (0u << 16) | (1u << 8) | 1u; /* 127.0.1.1, host order */
    ck_assert_str_eq(wire_id_master(master, sizeof master, 1421158813, ip, 5050, 5237),
                     "20150113-142013-16842879-5050-5237");
    ck_assert_str_eq(wire_id_framework(id, sizeof id, master, 7),
                     "20150113-142013-16842879-5050-5237-0007");
    ck_assert_str_eq(wire_id_framework(id, sizeof id, master, 12345),
                     "20150113-142013-16842879-5050-5237-12345");
    ck_assert_str_eq(wire_id_slave(id, sizeof id, master, 3),
                     "20150113-142013-16842879-5050-5237-S3");
    ck_assert_str_eq(wire_id_offer(id, sizeof id, master, 12),
                     "20150113-142013-16842879-5050-5237-O12");
}
END_TEST

START_TEST(test_ids_used_in_paths_must_be_plain)
{
    ck_assert(wire_id_valid("task-1.web_2"));
    static const char *const bad[] = {"",    ".",         "..",   "a/b", "a\\b",
                                      "a b", "tab\there", "nl\n", "\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!wire_id_valid(bad[i]), "'%s' accepted", bad[i]);
    char longid[300];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    ck_assert(!wire_id_valid(longid));
}
END_TEST

/* The key of a task among its framework's: both IDs, cut to fit however long they are; a
 * copy of one ID is cut the same way. */
START_TEST(test_id_keys_join_the_framework_and_the_id)
{
    char key[WIRE_KEY_MAX], id[WIRE_ID_MAX + 8];
    memset(id, 'x', sizeof id);
    ck_assert_str_eq(wire_id_copy(id, "task-7"), "task-7");
    ck_assert_str_eq(wire_id_copy(id, ""), "");
    ck_assert_str_eq(wire_id_key(key, "f-0001", "task-7"), "f-0001/task-7");
    ck_assert_str_eq(wire_id_key(key, "", ""), "/");
    char longid[400];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    ck_assert_uint_eq(strlen(wire_id_key(key, longid, "t")), WIRE_KEY_MAX - 1);
    ck_assert_uint_eq(strlen(wire_id_key(key, "f", longid)), WIRE_KEY_MAX - 1);
    ck_assert_int_eq(key[1], '/');
    ck_assert_uint_eq(strlen(wire_id_copy(id, longid)), WIRE_ID_MAX - 1);
    ck_assert_int_eq(id[WIRE_ID_MAX], 'x'); /* nothing written past WIRE_ID_MAX */
}
END_TEST

START_TEST(test_uuids_are_random_v4_and_round_trip)
{
    wire_uuid a, b, c;
    wire_uuid_random(&a);
    wire_uuid_random(&b);
    ck_assert(!wire_uuid_equal(&a, &b));
    char text[WIRE_UUID_STRLEN];
    wire_uuid_format(&a, text, sizeof text);
    ck_assert_uint_eq(strlen(text), 36);
    ck_assert_int_eq(text[14], '4');
    ck_assert(strchr("89ab", text[19]) != NULL);
    ck_assert_int_eq(wire_uuid_parse(text, &c), 0);
    ck_assert(wire_uuid_equal(&a, &c));
    ck_assert_int_eq(wire_uuid_parse("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", &c), 0);
    ck_assert_str_eq(wire_uuid_format(&c, text, sizeof text),
                     "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    static const char *const bad[] = {
        "", "6ba7b810-9dad-11d1-80b4-00c04fd430c", "6ba7b810x9dad-11d1-80b4-00c04fd430c8",
        "6ba7b810-9dad-11d1-80b4-00c04fd430cg", "6ba7b810-9dad-11d1-80b4-00c04fd430c8a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(wire_uuid_parse(bad[i], &c), WIRE_EPARSE);
    ck_assert_int_eq(wire_uuid_from_bytes(a.bytes, 16, &c), 0);
    ck_assert(wire_uuid_equal(&a, &c));
    ck_assert_int_eq(wire_uuid_from_bytes(a.bytes, 15, &c), WIRE_EINVAL);
}
END_TEST

Suite *ids_suite(void);
Suite *ids_suite(void)
{
    Suite *s = suite_create("ids");
    TCase *tc = tcase_create("ids");
    tcase_add_test(tc, test_ids_have_mesos_formats);
    tcase_add_test(tc, test_ids_used_in_paths_must_be_plain);
    tcase_add_test(tc, test_id_keys_join_the_framework_and_the_id);
    tcase_add_test(tc, test_uuids_are_random_v4_and_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
