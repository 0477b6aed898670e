/*
 * test_cli.c - the command-line tools against a live cluster of real binaries: `mesos ps`
 * lists a running task (and, with -i, a finished one); `mesos cat TASK stdout` prints its
 * output from a partial ID; `mesos tail -f` follows it until interrupted; `mesos ls` lists
 * the sandbox; the error cases (an unreachable master, no such task, an ambiguous ID, bad
 * usage) give their messages and exit codes; `mesos help` lists the commands; mesos-scp
 * copies a file over ssh to the slaves (to a throw-away dropbear server on loopback, in a
 * mount namespace of its own where root's home is a temporary directory holding the test's
 * key, so nothing of the machine's ssh setup is touched).
 */
#include "tests/support/cluster.h"

#include <check.h>
#include <stdarg.h>
#include <glob.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Two tasks that print a numbered line every 50 ms and one that finished, each launched by
 * mesos-execute (a framework of its own), so no driver thread lives in this process while
 * the tests fork. */
static const char *const TICK = "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.05; done";
static tc_cluster cluster;
static int tickers[2];
static char framework_id[WIRE_ID_MAX];

/* Starts mesos-execute for task `name`; with wait, runs it to its end and returns its exit
 * code, else returns its pid once the task is running. */
static int execute(const char *name, const char *command, bool wait)
{
    char m[96], n[96], c[256], log[4300], want[128];
    snprintf(m, sizeof m, "--master=%s", cluster.master_addr);
    snprintf(n, sizeof n, "--name=%s", name);
    snprintf(c, sizeof c, "--command=%s", command);
    snprintf(log, sizeof log, "%s/execute-%s.log", cluster.dir, name);
    char *argv[] = {(char *)tu_bin("mesos-execute"), m, n, c, "--resources=cpus:0.1;mem:16",
                    NULL};
    if (wait) return tu_run(argv, log, 60);
    int pid = tu_spawn(argv, log);
    snprintf(want, sizeof want, "TASK_RUNNING for task %s", name);
    ck_assert_msg(tu_wait_file_contains(log, want, 60), "%s did not run; see %s", name, log);
    char *text = tu_read_file(log), *at = strstr(text, "Framework registered with ");
    if (at) sscanf(at, "Framework registered with %63s", framework_id);
    free(text);
    return pid;
}

static void cluster_up(void)
{
    /* --hostname: mesos scp reaches the slave by the hostname it reports, and the test's sshd
     * listens on 127.0.0.1 only (a name could resolve to ::1 first) */
    static const char *const flags[] = {"--hostname=127.0.0.1", NULL};
    tc_start(&cluster, flags);
    tickers[0] = execute("ticker-alpha", TICK, false);
    tickers[1] = execute("ticker-beta", TICK, false); /* framework_id: this one's */
    ck_assert_int_eq(execute("quick-done", "echo done", true), 0);
}

static void cluster_down(void)
{
    for (int i = 0; i < 2; i++) tu_stop(tickers[i], SIGTERM, 30);
    tc_stop(&cluster);
}

/* Runs `mesos <args...>` (the check build's dispatcher) with output into a fresh file;
 * returns the exit code and the output in *out (free it). */
static int mesos(char **out, const char *arg, ...)
{
    char *argv[16] = {(char *)tu_bin("mesos")};
    va_list ap;
    va_start(ap, arg);
    int n = 1;
    for (const char *a = arg; a && n < 15; a = va_arg(ap, const char *)) argv[n++] = (char *)a;
    va_end(ap);
    char log[4300];
    snprintf(log, sizeof log, "%s/cli-%d.out", cluster.dir, (int)getpid());
    unlink(log);
    int rc = tu_run(argv, log, 60);
    *out = tu_read_file(log);
    if (!*out) *out = strdup("");
    return rc;
}

static char master_flag[128];

static const char *master(void)
{
    snprintf(master_flag, sizeof master_flag, "--master=%s", cluster.master_addr);
    return master_flag;
}

START_TEST(test_mesos_ps_lists_the_running_tasks_and_with_i_the_finished_one)
{
    char *out;
    ck_assert_int_eq(mesos(&out, "ps", master(), NULL), 0);
    ck_assert_msg(strstr(out, "USER") && strstr(out, "FRAMEWORK") && strstr(out, "STATE"),
                  "no header in:\n%s", out);
    ck_assert_msg(strstr(out, "ticker-alpha") && strstr(out, "RUNNING"), "%s", out);
    ck_assert_msg(!strstr(out, "quick-done"), "a finished task without -i:\n%s", out);
    free(out);
    ck_assert_int_eq(mesos(&out, "ps", "-i", master(), NULL), 0);
    ck_assert_msg(strstr(out, "quick-done") && strstr(out, "FINISHED"), "%s", out);
    free(out);
}
END_TEST

/* Runs `mesos cat <task> stdout` until it shows "tick 3" (bounded); the output (free it). */
static char *cat_until_tick_3(const char *task)
{
    char *out = NULL;
    for (int i = 0; i < 200 && (!out || !strstr(out, "tick 3\n")); i++) {
        free(out);
        ck_assert_int_eq(mesos(&out, "cat", master(), task, "stdout", NULL), 0);
    }
    return out;
}

START_TEST(test_mesos_cat_prints_a_tasks_stdout_from_a_partial_id_running_or_finished)
{
    char *out = cat_until_tick_3("alph");
    /* each tick on a line of its own, in order (the executor's own lines may come between) */
    const char *p = out;
    for (int k = 0; k < 4; k++) {
        char line[32];
        snprintf(line, sizeof line, "\ntick %d\n", k);
        p = strstr(p, line);
        ck_assert_msg(p != NULL, "no '%s' in order:\n%s", line + 1, out);
    }
    free(out);
    /* the long form, with the framework and the whole ID */
    char fw[WIRE_ID_MAX + 16];
    snprintf(fw, sizeof fw, "--framework=%s", framework_id);
    ck_assert_int_eq(mesos(&out, "cat", master(), fw, "--task=ticker-beta", "--file=stdout",
                           NULL), 0);
    ck_assert_msg(strstr(out, "Starting task ticker-beta\n") && strstr(out, "\ntick 0\n"),
                  "%s", out);
    free(out);
    /* a finished task's sandbox, through the slave's completed executors */
    ck_assert_int_eq(mesos(&out, "cat", master(), "quick", "stdout", NULL), 0);
    ck_assert_msg(strstr(out, "\ndone\n"), "%s", out);
    free(out);
}
END_TEST

/* The highest "tick N" in text, or -1. */
static int last_tick(const char *text)
{
    int last = -1, n;
    for (const char *p = text; (p = strstr(p, "tick ")); p += 5)
        if (sscanf(p, "tick %d", &n) == 1) last = n;
    return last;
}

START_TEST(test_mesos_tail_prints_the_last_lines_and_follows_until_interrupted)
{
    char *out = cat_until_tick_3("beta"); /* so its last two lines are ticks */
    free(out);
    ck_assert_int_eq(mesos(&out, "tail", master(), "-n", "2", "beta", NULL), 0);
    int a = last_tick(out), lines = 0;
    for (const char *p = out; *p; p++) lines += *p == '\n';
    ck_assert_msg(a >= 1 && lines == 2 && strncmp(out, "tick ", 5) == 0, "not two lines:\n%s",
                  out);
    free(out);

    char log[4300], want[32];
    snprintf(log, sizeof log, "%s/tail-f.out", cluster.dir);
    char *argv[] = {(char *)tu_bin("mesos"), "tail", "-f", "-n1", (char *)master(),
                    "--interval=50ms", "ticker-beta", NULL};
    int pid = tu_spawn(argv, log);
    snprintf(want, sizeof want, "tick %d\n", a + 20); /* written a second after the tail */
    bool followed = tu_wait_file_contains(log, want, 30);
    int status = tu_stop(pid, SIGINT, 10);
    ck_assert_msg(followed, "mesos tail -f did not show '%s'", want);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 130, "status %d", status);
}
END_TEST

START_TEST(test_mesos_ls_lists_the_sandbox)
{
    char *out;
    const char *tasks[] = {"alpha", "quick"}; /* running, finished */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(mesos(&out, "ls", master(), tasks[i], NULL), 0);
        ck_assert_msg(strstr(out, "-rw") && strstr(out, " stdout\n") &&
                      strstr(out, " stderr\n"), "%s", out);
        free(out);
    }
}
END_TEST

START_TEST(test_error_cases_have_their_messages_and_exit_codes)
{
    char *out;
    char dead[64];
    snprintf(dead, sizeof dead, "--master=127.0.0.1:%u", tu_free_port());
    ck_assert_int_eq(mesos(&out, "cat", dead, "alpha", "stdout", NULL), 3);
    ck_assert_msg(strstr(out, "Failed to get the master's state"), "%s", out);
    free(out);
    ck_assert_int_eq(mesos(&out, "ps", "--master=zk://127.0.0.1:1/none", "--timeout=1secs",
                           NULL), 3);
    ck_assert_msg(strstr(out, "Failed to detect master"), "%s", out);
    free(out);
    ck_assert_int_eq(mesos(&out, "cat", master(), "no-such-task", "stdout", NULL), 4);
    ck_assert_msg(strstr(out, "No task matches 'no-such-task'"), "%s", out);
    free(out);
    ck_assert_int_eq(mesos(&out, "tail", master(), "ticker", NULL), 5);
    ck_assert_msg(strstr(out, "ambiguous") && strstr(out, "ticker-alpha") &&
                  strstr(out, "ticker-beta"), "%s", out);
    free(out);
    ck_assert_int_eq(mesos(&out, "cat", master(), "alpha", "no-such-file", NULL), 1);
    ck_assert_msg(strstr(out, "No such file"), "%s", out);
    free(out);
    ck_assert_int_eq(mesos(&out, "ps", NULL), 2);
    ck_assert_msg(strstr(out, "Missing --master"), "%s", out);
    free(out);
    ck_assert_int_eq(mesos(&out, "no-such-command", NULL), 2);
    ck_assert_msg(strstr(out, "not a mesos command"), "%s", out);
    free(out);
}
END_TEST

START_TEST(test_mesos_help_lists_the_commands)
{
    char *out;
    ck_assert_int_eq(mesos(&out, "help", NULL), 0);
    const char *cmds[] = {"  cat\n", "  ls\n", "  ps\n", "  scp\n", "  tail\n", "  resolve\n"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        ck_assert_msg(strstr(out, cmds[i]), "no '%s' in:\n%s", cmds[i], out);
    free(out);
    ck_assert_int_eq(mesos(&out, "help", "tail", NULL), 0);
    ck_assert_msg(strstr(out, "--follow"), "%s", out);
    free(out);
}
END_TEST

/* ---- mesos-scp over ssh ------------------------------------------------------------------ */

START_TEST(test_mesos_scp_copies_a_file_to_every_slave_over_ssh)
{
    const char *d = cluster.dir;
    uint16_t port = tu_free_port();
    char log[4300];
    snprintf(log, sizeof log, "%s/ssh.log", d);
    /* A key pair for the client, a host key, and root's authorized_keys in a fake home. */
    ck_assert_int_eq(tu_sh(log, "set -e; cd %s; mkdir -p home/.ssh dest; chmod 700 home; "
                           "ssh-keygen -q -t ed25519 -N '' -f id; cp id.pub home/.ssh/authorized_keys; "
                           "chmod 600 home/.ssh/authorized_keys; dropbearkey -t ed25519 -f host >/dev/null; "
                           "echo payload-$$ > file.txt", d), 0);
    /* dropbear in a mount namespace where /root is that fake home (and only there). */
    char script[8192];
    snprintf(script, sizeof script, "mount --bind %s/home /root && exec dropbear -F -E -s -p "
             "127.0.0.1:%u -r %s/host -P %s/dropbear.pid", d, port, d, d);
    char *argv[] = {"/usr/bin/unshare", "--mount", "--propagation", "private", "sh", "-c",
                    script, NULL};
    int server = tu_spawn(argv, log);
    ck_assert_msg(tu_wait_file_contains(log, "Not backgrounding", 10), "dropbear: see %s", log);
    char opts[4600], dest[4400], file[4400];
    snprintf(opts, sizeof opts, "--scp_options=-O -P %u -i %s/id -o StrictHostKeyChecking=no "
             "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes", port, d);
    snprintf(dest, sizeof dest, "%s/dest", d);
    snprintf(file, sizeof file, "%s/file.txt", d);
    char *out;
    int rc = mesos(&out, "scp", master(), opts, file, dest, NULL);
    tu_stop(server, SIGTERM, 10);
    ck_assert_msg(rc == 0, "mesos scp exited %d:\n%s\n(dropbear: %s)", rc, out, log);
    ck_assert_msg(strstr(out, "127.0.0.1\tuploaded") &&
                  strstr(out, "----- 1 uploaded, 0 failed of total 1 slaves"), "%s", out);
    free(out);
    char copied[4500];
    snprintf(copied, sizeof copied, "%s/dest/file.txt", d);
    char *a = tu_read_file(file), *b = tu_read_file(copied);
    ck_assert_msg(a && b && strcmp(a, b) == 0, "the copy differs: '%s' vs '%s'", a, b);
    free(a);
    free(b);
    /* a slave it cannot reach is reported failed, with exit 1 */
    snprintf(opts, sizeof opts, "--scp_options=-O -P %u -o BatchMode=yes -o ConnectTimeout=5",
             tu_free_port());
    ck_assert_int_eq(mesos(&out, "scp", master(), opts, file, dest, NULL), 1);
    ck_assert_msg(strstr(out, "127.0.0.1\tfailed") &&
                  strstr(out, "----- 0 uploaded, 1 failed of total 1 slaves"), "%s", out);
    free(out);
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("tools");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, cluster_up, cluster_down);
    tcase_add_test(tc, test_mesos_ps_lists_the_running_tasks_and_with_i_the_finished_one);
    tcase_add_test(tc, test_mesos_cat_prints_a_tasks_stdout_from_a_partial_id_running_or_finished);
    tcase_add_test(tc, test_mesos_tail_prints_the_last_lines_and_follows_until_interrupted);
    tcase_add_test(tc, test_mesos_ls_lists_the_sandbox);
    tcase_add_test(tc, test_error_cases_have_their_messages_and_exit_codes);
    tcase_add_test(tc, test_mesos_help_lists_the_commands);
    tcase_add_test(tc, test_mesos_scp_copies_a_file_to_every_slave_over_ssh);
    suite_add_tcase(s, tc);
    return s;
}
