/*
 * test_acls.c - authorization decisions against every example of Mesos' authorization guide
 * (docs/authorization.md of 0.22): run_tasks (1-4), register_frameworks (5-7) and
 * shutdown_frameworks (8), parsed from the JSON an operator writes. The first matching ACL
 * decides; `permissive` decides when none matches; a framework without a principal asks as
 * ANY.
 */
#include "master/master_int.h"

#include <check.h>
#include <string.h>

static wire_msg *acls(const char *json)
{
    wire_msg *m = NULL;
    char err[256];
    ck_assert_msg(wire_from_json(WIRE_DESC(acls), json, strlen(json), &m, err, sizeof err) == 0,
                  "%s", err);
    return m;
}

#define RUN(m, principal, user) m_authorize_user((m)->root, principal, user)
#define ROLE(m, principal, role) m_authorize_role((m)->root, principal, role)
#define SHUTDOWN(m, principal, fw) m_authorize_shutdown((m)->root, principal, fw)

START_TEST(test_1_frameworks_foo_and_bar_can_run_tasks_as_alice)
{
    wire_msg *m = acls("{\"run_tasks\": [{\"principals\": {\"values\": [\"foo\", \"bar\"]}, "
                       "\"users\": {\"values\": [\"alice\"]}}]}");
    ck_assert(RUN(m, "foo", "alice"));
    ck_assert(RUN(m, "bar", "alice"));
    ck_assert(RUN(m, "baz", "alice")); /* no ACL matches: permissive */
    ck_assert(RUN(m, "foo", "bob"));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_2_any_framework_can_run_tasks_as_guest)
{
    wire_msg *m = acls("{\"run_tasks\": [{\"principals\": {\"type\": \"ANY\"}, "
                       "\"users\": {\"values\": [\"guest\"]}}]}");
    ck_assert(RUN(m, "foo", "guest"));
    ck_assert(RUN(m, NULL, "guest"));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_3_no_framework_can_run_tasks_as_root)
{
    wire_msg *m = acls("{\"run_tasks\": [{\"principals\": {\"type\": \"NONE\"}, "
                       "\"users\": {\"values\": [\"root\"]}}]}");
    ck_assert(!RUN(m, "foo", "root"));
    ck_assert(!RUN(m, NULL, "root"));
    ck_assert(RUN(m, "foo", "alice"));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_4_foo_can_run_tasks_only_as_guest)
{
    wire_msg *m = acls("{\"run_tasks\": [{\"principals\": {\"values\": [\"foo\"]}, "
                       "\"users\": {\"values\": [\"guest\"]}}, "
                       "{\"principals\": {\"values\": [\"foo\"]}, \"users\": {\"type\": "
                       "\"NONE\"}}]}");
    ck_assert(RUN(m, "foo", "guest"));
    ck_assert(!RUN(m, "foo", "root"));
    ck_assert(!RUN(m, "foo", "alice"));
    ck_assert(RUN(m, "bar", "root"));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_5_foo_can_register_with_analytics_and_ads)
{
    wire_msg *m = acls("{\"register_frameworks\": [{\"principals\": {\"values\": [\"foo\"]}, "
                       "\"roles\": {\"values\": [\"analytics\", \"ads\"]}}]}");
    ck_assert(ROLE(m, "foo", "analytics"));
    ck_assert(ROLE(m, "foo", "ads"));
    ck_assert(ROLE(m, "foo", "other"));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_6_only_foo_can_register_with_analytics)
{
    wire_msg *m = acls("{\"register_frameworks\": [{\"principals\": {\"values\": [\"foo\"]}, "
                       "\"roles\": {\"values\": [\"analytics\"]}}, "
                       "{\"principals\": {\"type\": \"NONE\"}, \"roles\": {\"values\": "
                       "[\"analytics\"]}}]}");
    ck_assert(ROLE(m, "foo", "analytics"));
    ck_assert(!ROLE(m, "bar", "analytics"));
    ck_assert(!ROLE(m, NULL, "analytics"));
    ck_assert(ROLE(m, "bar", "ads"));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_7_foo_only_analytics_and_nobody_else_anything)
{
    wire_msg *m = acls("{\"permissive\": false, \"register_frameworks\": [{\"principals\": "
                       "{\"values\": [\"foo\"]}, \"roles\": {\"values\": [\"analytics\"]}}]}");
    ck_assert(ROLE(m, "foo", "analytics"));
    ck_assert(!ROLE(m, "foo", "ads"));
    ck_assert(!ROLE(m, "bar", "analytics"));
    ck_assert(!ROLE(m, NULL, "*"));
    ck_assert(!RUN(m, "foo", "alice")); /* not permissive: nothing unlisted passes */
    wire_msg_free(m);
}
END_TEST

START_TEST(test_8_only_ops_can_shut_down_frameworks)
{
    wire_msg *m = acls("{\"permissive\": false, \"shutdown_frameworks\": [{\"principals\": "
                       "{\"values\": [\"ops\"]}, \"framework_principals\": {\"type\": "
                       "\"ANY\"}}]}");
    ck_assert(SHUTDOWN(m, "ops", "foo"));
    ck_assert(SHUTDOWN(m, "ops", NULL));
    ck_assert(!SHUTDOWN(m, "foo", "foo"));
    ck_assert(!SHUTDOWN(m, NULL, "foo"));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_without_acls_everything_is_allowed)
{
    ck_assert(m_authorize_user(NULL, NULL, "root"));
    ck_assert(m_authorize_role(NULL, "x", "y"));
    ck_assert(m_authorize_shutdown(NULL, NULL, NULL));
    wire_msg *m = acls("{}");
    ck_assert(RUN(m, "foo", "root")); /* permissive by default */
    wire_msg_free(m);
}
END_TEST

Suite *acls_suite(void)
{
    Suite *s = suite_create("acls");
    TCase *tc = tcase_create("mesos guide examples");
    tcase_add_test(tc, test_1_frameworks_foo_and_bar_can_run_tasks_as_alice);
    tcase_add_test(tc, test_2_any_framework_can_run_tasks_as_guest);
    tcase_add_test(tc, test_3_no_framework_can_run_tasks_as_root);
    tcase_add_test(tc, test_4_foo_can_run_tasks_only_as_guest);
    tcase_add_test(tc, test_5_foo_can_register_with_analytics_and_ads);
    tcase_add_test(tc, test_6_only_foo_can_register_with_analytics);
    tcase_add_test(tc, test_7_foo_only_analytics_and_nobody_else_anything);
    tcase_add_test(tc, test_8_only_ops_can_shut_down_frameworks);
    tcase_add_test(tc, test_without_acls_everything_is_allowed);
    suite_add_tcase(s, tc);
    return s;
}
