/*
 * test_cgroups.c - the cgroup helpers (slave/cgroups.c) on the cgroups this machine has, for
 * each layout it offers (cgroup v1 controllers, the v2 unified hierarchy): the layout is
 * detected and a missing one is a clear error; a process that double-forks and detaches inside
 * a cgroup is still found and killed with its cgroup removed, and a process outside is never
 * signalled; a process' cgroup is found from its pid; cpu usage is read from the cgroup.
 */
#include "slave/cgroups_int.h"
#include "tests/support/cgtest.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const cg_version layouts[] = {CG_V1, CG_V2};

/* A shell in a session of its own that waits until it is in cgroup `cg` and then runs `then`. */
static pid_t spawn_in(const cg_layout *l, const char *cg, const char *then)
{
    char cmd[2048], dir[PATH_MAX];
    snprintf(cmd, sizeof cmd, "until grep -q ':/%s$' /proc/$$/cgroup; do sleep 0.01; done; %s",
             cg, then);
    pid_t pid = tu_spawn_session(cmd);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(cg_assign(cg_dir(l, CG_FREEZER, cg, dir, sizeof dir), pid), 0);
    return pid;
}

static pid_t read_pid(const char *path)
{
    for (int i = 0; i < 2000; i++) {
        char *text = tu_read_file(path);
        int pid = text && strchr(text, '\n') ? atoi(text) : 0;
        free(text);
        if (pid > 0) return pid;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_abort_msg("%s was never written", path);
    return 0;
}

START_TEST(test_the_layouts_of_this_machine_are_detected_and_described)
{
    cg_layout l;
    const char *h;
    char text[2048];
    if (tcg_layout(CG_V1, "cgroup v1 detection", &l, &h)) {
        ck_assert_int_eq(l.version, CG_V1);
        ck_assert_str_eq(l.hierarchy, h);
        for (int c = 0; c < CG_NCONTROLLERS; c++)
            ck_assert_msg(!(l.available & CG_BIT(c)) || strncmp(l.mount[c], h, strlen(h)) == 0,
                          "%s mounted at %s", cg_controller_name(c), l.mount[c]);
        ck_assert_ptr_nonnull(strstr(cg_layout_describe(&l, text, sizeof text), "cgroup v1"));
    }
    if (tcg_layout(CG_V2, "cgroup v2 detection", &l, &h)) {
        ck_assert_int_eq(l.version, CG_V2);
        ck_assert_str_eq(l.hierarchy, h);
        /* the core files every v2 cgroup has stand in for the freezer and cpuacct */
        ck_assert(l.available & CG_BIT(CG_FREEZER));
        ck_assert(l.available & CG_BIT(CG_CPUACCT));
        ck_assert_ptr_nonnull(strstr(cg_layout_describe(&l, text, sizeof text), "cgroup v2"));
    }
}
END_TEST

START_TEST(test_a_place_without_cgroups_is_a_clear_error)
{
    cg_layout l;
    char err[512];
    ck_assert_int_eq(cg_layout_detect("/nonexistent/cgroups", &l, err, sizeof err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/cgroups"));
    char *dir = tu_tmpdir();
    ck_assert_int_eq(cg_layout_detect(dir, &l, err, sizeof err), -ENOENT);
    ck_assert_msg(strstr(err, "No cgroup hierarchy") && strstr(err, dir), "%s", err);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(test_a_missing_controller_is_named_with_where_it_was_looked_for)
{
    cg_layout l;
    const char *h;
    char err[512];
    memset(&l, 0, sizeof l);
    l.version = CG_V1;
    snprintf(l.hierarchy, sizeof l.hierarchy, "/sys/fs/cgroup");
    l.available = CG_BIT(CG_FREEZER);
    ck_assert_int_eq(cg_layout_require(&l, CG_BIT(CG_MEMORY), err, sizeof err), -ENOTSUP);
    ck_assert_msg(strstr(err, "'memory'") && strstr(err, "/sys/fs/cgroup/memory"), "%s", err);
    ck_assert_int_eq(cg_layout_require(&l, CG_BIT(CG_FREEZER), err, sizeof err), 0);
    if (tcg_layout(CG_V2, "a v2 hierarchy without its cpu controller", &l, &h) &&
        !(l.available & CG_BIT(CG_CPU))) {
        ck_assert_int_eq(cg_layout_require(&l, CG_BIT(CG_CPU), err, sizeof err), -ENOTSUP);
        ck_assert_msg(strstr(err, "'cpu'") && strstr(err, "cgroup v2") && strstr(err, h), "%s",
                      err);
    }
}
END_TEST

/* A process that double-forks and detaches (a new session, reparented away from its parent)
 * is still in the cgroup: killing the cgroup ends it; a process outside is left alone. */
static void kill_all_reaches_detached(cg_version v)
{
    cg_layout l;
    const char *h;
    if (!tcg_layout(v, "killing a cgroup's detached processes", &l, &h)) return;
    char cg[128], dir[PATH_MAX], err[512], then[4400], *tmp = tu_tmpdir();
    snprintf(cg, sizeof cg, "%s/detached", tcg_root());
    ck_assert_msg(cg_create(&l, CG_FREEZER, cg, 0, true, err, sizeof err) == 0, "%s", err);
    cg_dir(&l, CG_FREEZER, cg, dir, sizeof dir);
    ck_assert_int_eq(cg_create(&l, CG_FREEZER, cg, 0, true, err, sizeof err), -EEXIST);
    snprintf(then, sizeof then, "(setsid sh -c 'echo $$ > %s/pid.tmp; mv %s/pid.tmp %s/pid; "
             "exec sleep 1000' &); exec sleep 1000", tmp, tmp, tmp);
    pid_t leader = spawn_in(&l, cg, then);
    char pidfile[4200];
    snprintf(pidfile, sizeof pidfile, "%s/pid", tmp);
    pid_t detached = read_pid(pidfile);
    char mine[256];
    ck_assert_int_eq(cg_of_pid(&l, CG_FREEZER, detached, mine, sizeof mine), 0);
    ck_assert_str_eq(mine, cg);
    pid_t decoy = tu_spawn_session("exec sleep 1000");
    ck_assert_int_eq(cg_kill_all(&l, dir, 30), 0);
    ck_assert_uint_eq(cg_count(dir), 0);
    ck_assert(tu_wait_gone(detached, 30));
    int status;
    ck_assert_int_eq(waitpid(leader, &status, 0), leader);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ck_assert_msg(tu_never_signalled(decoy), "a process outside the cgroup was signalled");
    kill(decoy, SIGKILL);
    waitpid(decoy, NULL, 0);
    ck_assert_int_eq(cg_remove(dir), 0);
    ck_assert(!cg_exists(&l, CG_FREEZER, cg));
    ck_assert_int_eq(cg_remove(dir), 0); /* gone already: nothing to do */
    tu_rmrf(tmp);
    free(tmp);
}

START_TEST(test_killing_a_cgroup_reaches_processes_that_left_their_parent)
{
    kill_all_reaches_detached(layouts[_i]);
}
END_TEST

static void cpu_usage_is_read(cg_version v)
{
    cg_layout l;
    const char *h;
    if (!tcg_layout(v, "cpu usage from a cgroup", &l, &h)) return;
    char cg[128], dir[PATH_MAX], err[512];
    snprintf(cg, sizeof cg, "%s/busy", tcg_root());
    ck_assert_msg(cg_create(&l, CG_FREEZER, cg, 0, true, err, sizeof err) == 0, "%s", err);
    if (v == CG_V1) { /* the same process in cpuacct's cgroup too */
        ck_assert_msg(cg_create(&l, CG_CPUACCT, cg, 0, true, err, sizeof err) == 0, "%s", err);
    }
    pid_t pid = tu_spawn_session("exec sleep 1000");
    cg_dir(&l, CG_CPUACCT, cg, dir, sizeof dir);
    ck_assert_int_eq(cg_assign(dir, pid), 0);
    cg_dir(&l, CG_FREEZER, cg, dir, sizeof dir);
    ck_assert_int_eq(cg_assign(dir, pid), 0);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    /* a shell counting in the cgroup until it has used some cpu */
    pid = spawn_in(&l, cg, "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done");
    if (v == CG_V1) {
        char acct[PATH_MAX];
        ck_assert_int_eq(cg_assign(cg_dir(&l, CG_CPUACCT, cg, acct, sizeof acct), pid), 0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    cz_stats st;
    memset(&st, 0, sizeof st);
    ck_assert_int_eq(cg_cpu_usage(&l, cg, false, &st), 0);
    ck_assert(st.has_cpus_times);
    ck_assert_msg(st.cpus_user_time_secs + st.cpus_system_time_secs > 0.05,
                  "user %.3f system %.3f", st.cpus_user_time_secs, st.cpus_system_time_secs);
    ck_assert(!st.has_cpus_throttling);
    ck_assert_int_eq(cg_remove(dir), 0);
    if (v == CG_V1) ck_assert_int_eq(cg_remove(cg_dir(&l, CG_CPUACCT, cg, dir, sizeof dir)), 0);
}

START_TEST(test_cpu_usage_is_read_from_the_cgroup)
{
    cpu_usage_is_read(layouts[_i]);
}
END_TEST

Suite *cgroups_suite(void)
{
    Suite *s = suite_create("cgroups");
    TCase *tc = tcase_create("cgroups");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_the_layouts_of_this_machine_are_detected_and_described);
    tcase_add_test(tc, test_a_place_without_cgroups_is_a_clear_error);
    tcase_add_test(tc, test_a_missing_controller_is_named_with_where_it_was_looked_for);
    tcase_add_loop_test(tc, test_killing_a_cgroup_reaches_processes_that_left_their_parent, 0, 2);
    tcase_add_loop_test(tc, test_cpu_usage_is_read_from_the_cgroup, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
