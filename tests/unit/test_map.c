/*
 * test_map.c - the insertion-ordered string map: lookups, replacement, removal (also during
 * iteration) and order, checked against a plain array model under many random operations.
 */
#include "actor/actor.h"

#include <check.h>
#include <string.h>

START_TEST(test_map_keeps_insertion_order_and_survives_removal_while_iterating)
{
    act_map *m = act_map_new();
    static int v[10];
    char key[16];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_ptr_null(act_map_put(m, key, &v[i]));
    }
    const char *k;
    void *val;
    int expect = 0;
    for (size_t it = 0; act_map_next(m, &it, &k, &val); expect++) {
        snprintf(key, sizeof key, "k%d", expect);
        ck_assert_str_eq(k, key);
        if (expect % 2 == 0) ck_assert_ptr_eq(act_map_remove(m, k), &v[expect]);
    }
    ck_assert_int_eq(expect, 10);
    ck_assert_uint_eq(act_map_size(m), 5);
    ck_assert_ptr_null(act_map_get(m, "k0"));
    ck_assert_ptr_eq(act_map_get(m, "k1"), &v[1]);
    ck_assert_ptr_eq(act_map_put(m, "k1", &v[0]), &v[1]);
    act_map_free(m);
}
END_TEST

START_TEST(test_map_agrees_with_a_model_under_random_operations)
{
    enum { KEYS = 300, OPS = 200000 };
    static int slots[KEYS];
    void *model[KEYS] = {0};
    act_map *m = act_map_new();
    uint64_t rng = 42;
    char key[16];
    for (int op = 0; op < OPS; op++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        int k = (int)((rng >> 33) % KEYS);
        snprintf(key, sizeof key, "key-%d", k);
        switch ((rng >> 20) % 3) {
        case 0:
            ck_assert_ptr_eq(act_map_put(m, key, &slots[k]), model[k]);
            model[k] = &slots[k];
            break;
        case 1:
            ck_assert_ptr_eq(act_map_remove(m, key), model[k]);
            model[k] = NULL;
            break;
        default:
            ck_assert_ptr_eq(act_map_get(m, key), model[k]);
        }
    }
    size_t live = 0;
    for (int k = 0; k < KEYS; k++) live += model[k] != NULL;
    ck_assert_uint_eq(act_map_size(m), live);
    act_map_free(m);
}
END_TEST

Suite *map_suite(void)
{
    Suite *s = suite_create("map");
    TCase *tc = tcase_create("map");
    tcase_add_test(tc, test_map_keeps_insertion_order_and_survives_removal_while_iterating);
    tcase_add_test(tc, test_map_agrees_with_a_model_under_random_operations);
    suite_add_tcase(s, tc);
    return s;
}
