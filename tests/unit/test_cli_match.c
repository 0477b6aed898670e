/*
 * test_cli_match.c - how the command-line tools name a task (tools/cli.c): an exact ID wins
 * over IDs that contain it, a part that several IDs contain is ambiguous and lists them, the
 * framework narrows the search, completed tasks and frameworks count, and short options
 * become their long flags.
 */
#include "tools/cli.h"

#include <check.h>
#include <string.h>

static json_t *state(void)
{
    json_error_t e;
    json_t *s = json_loads(
        "{\"slaves\":[{\"id\":\"S0\",\"hostname\":\"h0\",\"pid\":\"slave(1)@10.0.0.1:5051\"}],"
        "\"frameworks\":["
        " {\"id\":\"F1\",\"tasks\":[{\"id\":\"web\",\"slave_id\":\"S0\",\"state\":\"TASK_RUNNING\"},"
        "   {\"id\":\"web-2\",\"slave_id\":\"S0\",\"state\":\"TASK_RUNNING\"}],"
        "  \"completed_tasks\":[{\"id\":\"batch-7\",\"slave_id\":\"S9\",\"state\":\"TASK_FINISHED\"}]},"
        " {\"id\":\"F2\",\"tasks\":[{\"id\":\"web-3\",\"slave_id\":\"S0\",\"state\":\"TASK_STAGING\"}],"
        "  \"completed_tasks\":[]}],"
        "\"completed_frameworks\":[{\"id\":\"F3\",\"tasks\":[],"
        "  \"completed_tasks\":[{\"id\":\"old-job\",\"slave_id\":\"S0\",\"state\":\"TASK_KILLED\"}]}]}",
        0, &e);
    ck_assert_msg(s, "%s", e.text);
    return s;
}

START_TEST(test_an_exact_id_wins_over_ids_that_contain_it)
{
    json_t *s = state();
    cli_task t;
    char err[512];
    ck_assert_int_eq(cli_find_task(s, NULL, "web", &t, err, sizeof err), CLI_OK);
    ck_assert_str_eq(cli_str(t.task, "id"), "web");
    ck_assert(t.active);
    ck_assert_str_eq(cli_str(t.slave, "hostname"), "h0");
    char addr[64];
    cli_slave_addr(t.slave, addr, sizeof addr);
    ck_assert_str_eq(addr, "h0:5051");
    json_decref(s);
}
END_TEST

START_TEST(test_a_part_several_ids_contain_is_ambiguous_and_lists_them)
{
    json_t *s = state();
    cli_task t;
    char err[512];
    ck_assert_int_eq(cli_find_task(s, NULL, "web-", &t, err, sizeof err), CLI_AMBIGUOUS);
    ck_assert_msg(strstr(err, "web-2 (framework F1, TASK_RUNNING)") &&
                  strstr(err, "web-3 (framework F2, TASK_STAGING)") && !strstr(err, "  web ("),
                  "%s", err);
    /* the framework narrows it down to one */
    ck_assert_int_eq(cli_find_task(s, "F2", "web-", &t, err, sizeof err), CLI_OK);
    ck_assert_str_eq(cli_str(t.task, "id"), "web-3");
    json_decref(s);
}
END_TEST

START_TEST(test_completed_tasks_count_and_a_gone_slave_is_null)
{
    json_t *s = state();
    cli_task t;
    char err[512];
    ck_assert_int_eq(cli_find_task(s, NULL, "tch-", &t, err, sizeof err), CLI_OK);
    ck_assert_str_eq(cli_str(t.task, "id"), "batch-7");
    ck_assert(!t.active);
    ck_assert_ptr_null(t.slave);
    ck_assert_int_eq(cli_find_task(s, NULL, "old", &t, err, sizeof err), CLI_OK);
    ck_assert_str_eq(cli_str(t.framework, "id"), "F3");
    ck_assert_int_eq(cli_find_task(s, NULL, "nothing", &t, err, sizeof err), CLI_NO_TASK);
    ck_assert_str_eq(err, "No task matches 'nothing'");
    ck_assert_int_eq(cli_find_task(s, "F9", "web", &t, err, sizeof err), CLI_NO_TASK);
    json_decref(s);
}
END_TEST

START_TEST(test_short_options_become_long_flags)
{
    static const char *const shorts[][2] = {{"-n", "--lines="}, {"-f", "--follow"},
                                             {"-i", "--inactive"}};
    char *argv[] = {"mesos-tail", "-n", "5", "-f", "-n12", "TASK", "-x", "-i", NULL};
    int argc = 8;
    char **out = cli_expand_short(&argc, argv, shorts, 3);
    const char *want[] = {"mesos-tail", "--lines=5", "--follow", "--lines=12", "TASK", "-x",
                          "--inactive"};
    ck_assert_int_eq(argc, 7);
    for (int i = 0; i < argc; i++) ck_assert_str_eq(out[i], want[i]);
    ck_assert_ptr_null(out[argc]);
    cli_argv_free(out, argc);
}
END_TEST

Suite *cli_match_suite(void)
{
    Suite *s = suite_create("cli_match");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, test_an_exact_id_wins_over_ids_that_contain_it);
    tcase_add_test(tc, test_a_part_several_ids_contain_is_ambiguous_and_lists_them);
    tcase_add_test(tc, test_completed_tasks_count_and_a_gone_slave_is_null);
    tcase_add_test(tc, test_short_options_become_long_flags);
    suite_add_tcase(s, tc);
    return s;
}
