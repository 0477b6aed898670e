/*
 * test_proctree.c - process identity and the one signal helper (slave/proctree.c) with real
 * processes: an identity checks out while its process lives and not after; a pid that now
 * names another process (a decoy) is never signalled; pids and groups <= 1 are refused; a
 * proven executor dies with its descendants and their sessions; what is left of a dead
 * leader's group is killed; checkpointed identities read back, and unprovable ones say why.
 */
#include "slave/slave_int.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The pid a file written by the test's shell holds (bounded wait). */
static pid_t read_pid_file(const char *path)
{
    for (int i = 0; i < 1000; i++) {
        char text[32];
        if (ckpt_read_text(path, text, sizeof text) > 0 && strchr(text, '\n'))
            return (pid_t)atoi(text);
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    ck_abort_msg("%s was never written", path);
    return 0;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

START_TEST(test_an_identity_checks_out_while_its_process_lives)
{
    pid_t pid = tu_spawn_session("exec sleep 1000");
    proc_identity id;
    ck_assert_int_eq(proc_identity_read(pid, &id), 0);
    ck_assert_int_eq(id.pid, pid);
    ck_assert_uint_gt(id.start_time, 0);
    ck_assert_uint_eq(strlen(id.boot_id), 36);
    ck_assert_int_eq(proc_identity_check(&id), 0);
    kill(pid, SIGKILL);
    ck_assert(tu_wait_gone(pid, 10));
    ck_assert_int_eq(proc_identity_check(&id), -ESRCH); /* a zombie is gone */
    waitpid(pid, NULL, 0);
    ck_assert_int_eq(proc_identity_check(&id), -ESRCH);
    ck_assert_int_eq(proc_identity_read(pid, &id), -ESRCH);
}
END_TEST

START_TEST(test_a_pid_that_names_another_process_is_never_signalled)
{
    pid_t decoy = tu_spawn_session("exec sleep 1000");
    proc_identity ours;
    ck_assert_int_eq(proc_identity_read(decoy, &ours), 0);
    proc_identity earlier = ours; /* the process we started had this pid before the decoy */
    earlier.start_time -= 1;
    ck_assert_int_eq(proc_identity_check(&earlier), -ESTALE);
    ck_assert_int_eq(proc_kill(&earlier, SIGKILL), -ESTALE);
    proc_identity other_boot = ours;
    other_boot.boot_id[0] = other_boot.boot_id[0] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(proc_kill(&other_boot, SIGKILL), -ESTALE);
    ck_assert_msg(tu_never_signalled(decoy), "the decoy was signalled");
    ck_assert_int_eq(proc_identity_check(&ours), 0);
    reap(decoy);
}
END_TEST

START_TEST(test_pids_and_groups_up_to_1_are_refused)
{
    /* signal 0: were the guard ever lost, kill(-1, 0) would still harm nothing */
    proc_identity id;
    memset(&id, 0, sizeof id);
    for (pid_t pid = -1; pid <= 1; pid++) {
        id.pid = pid;
        ck_assert_int_eq(proc_kill(&id, 0), -EINVAL);
        ck_assert_int_eq(proc_identity_check(&id), -EINVAL);
        ck_assert_int_eq(proc_identity_read(pid, &id), -EINVAL);
    }
}
END_TEST

START_TEST(test_a_proven_executor_dies_with_its_descendants_and_their_sessions)
{
    char *dir = tu_tmpdir(), cmd[4400], file[4300];
    snprintf(file, sizeof file, "%s/task.pid", dir);
    /* like the command executor: a task in a session of its own, then the executor waits */
    snprintf(cmd, sizeof cmd, "setsid sh -c 'echo $$ > %s; exec sleep 1000' & exec sleep 1000",
             file);
    pid_t executor = tu_spawn_session(cmd);
    pid_t task = read_pid_file(file);
    proc_identity id;
    ck_assert_int_eq(proc_identity_read(executor, &id), 0);
    ck_assert_int_eq(proc_kill(&id, SIGKILL), 0);
    ck_assert(tu_wait_gone(executor, 10));
    ck_assert_msg(tu_wait_gone(task, 10), "the task %d in its own session survived", (int)task);
    waitpid(executor, NULL, 0);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(test_what_is_left_of_a_dead_leaders_group_is_killed)
{
    char *dir = tu_tmpdir(), cmd[4400], file[4300];
    snprintf(file, sizeof file, "%s/member.pid", dir);
    snprintf(cmd, sizeof cmd, "sh -c 'echo $$ > %s; exec sleep 1000' & exit 0", file);
    pid_t leader = tu_spawn_session(cmd);
    proc_identity id;
    ck_assert_int_eq(proc_identity_read(leader, &id), 0);
    pid_t member = read_pid_file(file);
    ck_assert_int_eq(waitpid(leader, NULL, 0), leader);
    ck_assert_int_eq(proc_identity_check(&id), -ESRCH);
    ck_assert_int_eq(proc_kill(&id, SIGKILL), 0);
    ck_assert_msg(tu_wait_gone(member, 10), "group member %d survived", (int)member);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(test_a_checkpointed_identity_reads_back_and_an_unprovable_one_says_why)
{
    char *dir = tu_tmpdir(), why[512], path[4300];
    proc_identity id, back;
    ck_assert_int_eq(proc_identity_read(getpid(), &id), 0);
    ck_assert_int_eq(proc_identity_load(dir, &back, why, sizeof why), -ENOENT);
    ck_assert_int_eq(proc_identity_save(dir, &id, why, sizeof why), 0);
    ck_assert_int_eq(proc_identity_load(dir, &back, why, sizeof why), 0);
    ck_assert_int_eq(back.pid, id.pid);
    ck_assert_uint_eq(back.start_time, id.start_time);
    ck_assert_str_eq(back.boot_id, id.boot_id);
    snprintf(path, sizeof path, "%s/forked.identity", dir);
    ck_assert_int_eq(ckpt_write_text(path, "pid=12\nboot_id=x\n", why, sizeof why), 0);
    ck_assert_int_eq(proc_identity_load(dir, &back, why, sizeof why), -EBADMSG);
    ck_assert_msg(strstr(why, "forked.identity"), "%s", why);
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(proc_identity_load(dir, &back, why, sizeof why), -ENODATA);
    ck_assert_int_eq(back.pid, id.pid); /* the pid of forked.pid, which proves nothing */
    ck_assert_msg(strstr(why, "forked.pid"), "%s", why);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *proctree_suite(void)
{
    Suite *s = suite_create("proctree");
    TCase *tc = tcase_create("identity");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_an_identity_checks_out_while_its_process_lives);
    tcase_add_test(tc, test_a_pid_that_names_another_process_is_never_signalled);
    tcase_add_test(tc, test_pids_and_groups_up_to_1_are_refused);
    tcase_add_test(tc, test_a_proven_executor_dies_with_its_descendants_and_their_sessions);
    tcase_add_test(tc, test_what_is_left_of_a_dead_leaders_group_is_killed);
    tcase_add_test(tc, test_a_checkpointed_identity_reads_back_and_an_unprovable_one_says_why);
    suite_add_tcase(s, tc);
    return s;
}
