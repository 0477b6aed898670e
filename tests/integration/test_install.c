/*
 * test_install.c - what `make install` and `make deb` produce, used as their users use them.
 *
 * sdk: the SDK as a framework author meets it: `make install` into a temporary
 * prefix, then the README's scheduler (sched/examples/minimal_scheduler.c) and an executor
 * (exec/examples/example_executor.c) copied out of the tree and compiled with pkg-config
 * alone: the scheduler against the shared libraries, the executor against the static
 * archives. They run against a master and a slave started from the installed binaries until
 * the task is TASK_FINISHED; the installed tools find the daemons and mesos-executor where
 * the Mesos layout puts them; the libraries carry sonames and export only their API; and
 * `make uninstall` takes every file away again. The installed mesos-init-wrapper starts both
 * daemons from flag files under <prefix>/etc.
 *
 * deb (as root): `make deb`, `dpkg -i` of every package, the systemd units verified, master
 * and slave started through /usr/bin/mesos-init-wrapper with their flags as files under
 * /etc/mesos-master/ and /etc/mesos-slave/ (an attribute among them), the slave seen
 * registered with that attribute and running a command task (seen by `mesos ps`), the web UI
 * served from /usr/share/mesos/webui, then `dpkg --purge`, after which
 * nothing the packages or the daemons put on the machine is left.
 *
 * docs: `make docs-check`, the flag and endpoint tables of the operator's guide against the
 * programs' --help and /help (and that a stale table is caught).
 */
#include "tests/support/testutil.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>
#include <time.h>

#ifndef TEST_SRC_DIR
#define TEST_SRC_DIR "."
#endif
#ifndef TEST_BUILD_DIR
#define TEST_BUILD_DIR "build"
#endif

static char *prefix; /* the installed SDK, shared by the suite's tests */
static char log_path[4200];

/* The end of the suite's log (commands and their output), for failure messages. */
static const char *log_tail(void)
{
    static char tail[2048];
    char *text = tu_read_file(log_path);
    size_t n = text ? strlen(text) : 0;
    snprintf(tail, sizeof tail, "%s", text ? text + (n > 2000 ? n - 2000 : 0) : "(no log)");
    free(text);
    return tail;
}

/* Asserts that a command exited 0; on failure shows what the log ends with. */
#define ASSERT_RAN(rc, what) \
    ck_assert_msg((rc) == 0, "%s failed; the log ends:\n%s", what, log_tail())

/* A make in the source tree, not the one running `make check`: no inherited jobserver. */
#define MAKE "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C " \
             TEST_SRC_DIR " BUILD=" TEST_BUILD_DIR

static void install_sdk(void)
{
    prefix = tu_tmpdir();
    ck_assert_ptr_nonnull(prefix);
    snprintf(log_path, sizeof log_path, "%s.log", prefix);
    ASSERT_RAN(tu_sh(log_path, MAKE " install PREFIX=%s", prefix), "make install");
}

static void remove_sdk(void)
{
    tu_rmrf(prefix);
    unlink(log_path);
    free(prefix);
}

/* Runs a shell command in `dir` with the installed SDK on PKG_CONFIG_PATH and nothing of
 * the source tree on any compiler path. Returns its exit code; output goes to the log. */
static int sdk_sh(const char *dir, const char *cmd)
{
    return tu_sh(log_path, "cd '%s' && unset CPATH C_INCLUDE_PATH LIBRARY_PATH && "
                 "export PKG_CONFIG_PATH='%s/lib/pkgconfig' && %s", dir, prefix, cmd);
}

static int start_installed(const char *path, char *const flags[], const char *log)
{
    char *argv[16] = {(char *)path};
    for (int i = 0; flags[i] && i < 14; i++) argv[i + 1] = flags[i];
    return tu_spawn(argv, log);
}

/* True once the master's state.json contains `text`. */
static bool master_state_has(uint16_t port, const char *text, double secs)
{
    for (int i = 0; i < (int)(secs * 100); i++) {
        act_buf body = {0};
        bool found = tu_http_get(port, "/master/state.json", &body) == 200 &&
                     strstr(body.data, text);
        act_buf_free(&body);
        if (found) return true;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    return false;
}

typedef struct cluster {
    char *dir;
    int master, slave;
    uint16_t port;
} cluster;

/* A master and a slave from <prefix>/sbin; the slave finds mesos-executor on its own. */
static void start_cluster(cluster *c)
{
    c->dir = tu_tmpdir();
    c->port = tu_free_port();
    char bin[4300], port[32], master[64], work[4300], log[4300];
    snprintf(port, sizeof port, "--port=%u", c->port);
    snprintf(master, sizeof master, "--master=127.0.0.1:%u", c->port);
    snprintf(bin, sizeof bin, "%s/sbin/mesos-master", prefix);
    snprintf(log, sizeof log, "%s/master.log", c->dir);
    c->master = start_installed(bin, (char *[]){"--ip=127.0.0.1", port, "--registry=in_memory",
                                                "--allocation_interval=100ms", NULL}, log);
    ck_assert_msg(tu_wait_http(c->port, "/master/health", 30), "no master; see %s", log);
    snprintf(bin, sizeof bin, "%s/sbin/mesos-slave", prefix);
    snprintf(work, sizeof work, "--work_dir=%s/slave", c->dir);
    snprintf(log, sizeof log, "%s/slave.log", c->dir);
    c->slave = start_installed(bin, (char *[]){"--ip=127.0.0.1", "--port=0", master, work,
                                               "--resources=cpus:2;mem:512;disk:64",
                                               "--registration_backoff_factor=10ms",
                                               "--executor_shutdown_grace_period=1secs", NULL},
                               log);
}

/* Stops the slave, then the master (SIGTERM); both must exit 0. */
static void stop_daemons(int slave, int master)
{
    int st = tu_stop(slave, SIGTERM, 30);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the slave exited with status %d", st);
    st = tu_stop(master, SIGTERM, 30);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the master exited with status %d", st);
}

static void stop_cluster(cluster *c)
{
    stop_daemons(c->slave, c->master);
    tu_rmrf(c->dir);
    free(c->dir);
}

START_TEST(test_readme_scheduler_builds_with_pkg_config_alone_and_its_task_finishes)
{
    cluster c;
    start_cluster(&c);
    ck_assert_int_eq(tu_sh(log_path, "cp " TEST_SRC_DIR "/sched/examples/minimal_scheduler.c "
                           TEST_SRC_DIR "/exec/examples/example_executor.c '%s'", c.dir), 0);
    /* The scheduler against the shared libraries, found at run time through an rpath. */
    ASSERT_RAN(sdk_sh(c.dir, "cc -Wall -Werror minimal_scheduler.c -o minimal-scheduler "
                      "$(pkg-config --cflags --libs mesos-sched) "
                      "-Wl,-rpath,$(pkg-config --variable=libdir mesos-sched)"),
               "compiling the scheduler");
    /* The executor against the static archives and their Libs.private. */
    ASSERT_RAN(sdk_sh(c.dir, "cc -Wall -Werror example_executor.c -o example-executor "
                      "$(pkg-config --cflags mesos-exec) -Wl,-Bstatic "
                      "$(pkg-config --libs-only-L --libs-only-l mesos-exec) -Wl,-Bdynamic "
                      "$(pkg-config --static --libs-only-l mesos-exec | "
                      "sed s/-lmesos-[a-z]*//g)"),
               "compiling the executor");
    ck_assert_int_eq(sdk_sh(c.dir, "ldd minimal-scheduler | grep -q \"$(pkg-config "
                            "--variable=libdir mesos-sched)/libmesos-sched.so.0\""), 0);
    ck_assert_int_eq(sdk_sh(c.dir, "! ldd example-executor | grep -q libmesos"), 0);

    char out[4300], cmd[8800];
    snprintf(out, sizeof out, "%s/scheduler.out", c.dir);
    snprintf(cmd, sizeof cmd, "./minimal-scheduler 127.0.0.1:%u \"$PWD/example-executor\" "
             "> scheduler.out 2>&1", c.port);
    int rc = sdk_sh(c.dir, cmd);
    char *text = tu_read_file(out);
    ck_assert_msg(rc == 0 && text && strstr(text, "Task hello is TASK_FINISHED"),
                  "the scheduler exited %d:\n%s", rc, text ? text : "");
    free(text);
    ck_assert_int_eq(tu_sh(log_path, "grep -q 'Hello from the minimal scheduler' "
                           "'%s'/slave/slaves/*/frameworks/*/executors/minimal-executor/runs/"
                           "latest/stdout", c.dir), 0);

    /* A command task: the installed slave found <prefix>/libexec/mesos/mesos-executor. */
    snprintf(cmd, sizeof cmd, "'%s/bin/mesos-execute' --master=127.0.0.1:%u --name=hi "
             "--command=true --resources='cpus:0.1;mem:32'", prefix, c.port);
    ASSERT_RAN(tu_sh(log_path, "%s", cmd), "mesos-execute");
    stop_cluster(&c);
}
END_TEST

START_TEST(test_installed_mesos_local_finds_the_daemons_in_sbin)
{
    char *dir = tu_tmpdir(), bin[4300], port[32], work[4300], log[4300];
    uint16_t p = tu_free_port();
    snprintf(bin, sizeof bin, "%s/bin/mesos-local", prefix);
    snprintf(port, sizeof port, "--port=%u", p);
    snprintf(work, sizeof work, "--work_dir=%s", dir);
    snprintf(log, sizeof log, "%s/local.log", dir);
    int pid = start_installed(bin, (char *[]){port, work, "--resources=cpus:1;mem:128;disk:8",
                                              NULL}, log);
    bool up = master_state_has(p, "\"activated_slaves\":1", 30);
    char *text = tu_read_file(log);
    ck_assert_msg(up, "the installed mesos-local brought up no slave:\n%s", text ? text : "");
    free(text);
    int st = tu_stop(pid, SIGTERM, 30);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* The installed master finds the web UI in <prefix>/share/mesos/webui on its own, with the
 * libraries it uses copied beside it; the installed `mesos` finds the installed tools. */
START_TEST(test_installed_master_serves_the_web_ui_and_mesos_finds_the_tools)
{
    char *dir = tu_tmpdir(), bin[4300], port[32], log[4300];
    uint16_t p = tu_free_port();
    snprintf(bin, sizeof bin, "%s/sbin/mesos-master", prefix);
    snprintf(port, sizeof port, "--port=%u", p);
    snprintf(log, sizeof log, "%s/master.log", dir);
    int pid = start_installed(bin, (char *[]){"--ip=127.0.0.1", port, "--registry=in_memory",
                                              NULL}, log);
    ck_assert_msg(tu_wait_http(p, "/master/health", 30), "no master; see %s", log);
    act_buf body = {0};
    ck_assert_int_eq(tu_http_get(p, "/", &body), 200);
    ck_assert_msg(strstr(body.data, "static/js/app.js"), "%s", body.data);
    const char *files[] = {"/static/js/app.js", "/static/js/pages/home.js",
                           "/static/vendor/bootstrap.min.css", "/static/vendor/chart.min.js",
                           "/static/pailer.html"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        ck_assert_msg(tu_http_get(p, files[i], NULL) == 200, "%s", files[i]);
    act_buf_free(&body);
    int st = tu_stop(pid, SIGTERM, 30);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    snprintf(bin, sizeof bin, "%s/bin/mesos", prefix);
    snprintf(log, sizeof log, "%s/help.out", dir);
    ck_assert_int_eq(tu_run((char *[]){bin, "help", NULL}, log, 60), 0);
    char *out = tu_read_file(log);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(strstr(out, "  ps\n") && strstr(out, "  scp\n") && strstr(out, "  tail\n"),
                  "%s", out);
    free(out);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* Writes text to the file at path, creating its directory. */
static void write_file(const char *path, const char *text)
{
    ASSERT_RAN(tu_sh(log_path, "mkdir -p \"$(dirname '%s')\"", path), path);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes text to <prefix>/etc/<path>. */
static void etc_file(const char *path, const char *text)
{
    char file[4400];
    snprintf(file, sizeof file, "%s/etc/%s", prefix, path);
    write_file(file, text);
}

/* Runs `wrapper master`, then `wrapper slave` (their output in dir), and waits until the
 * master on `port` shows the slave's state containing `expect`. */
static void start_wrapped(const char *wrapper, uint16_t port, const char *dir,
                          const char *expect, int *master, int *slave)
{
    char log[4300];
    snprintf(log, sizeof log, "%s/master.log", dir);
    *master = tu_spawn((char *[]){(char *)wrapper, "master", NULL}, log);
    ck_assert_msg(tu_wait_http(port, "/master/health", 30), "no master; see %s", log);
    snprintf(log, sizeof log, "%s/slave.log", dir);
    *slave = tu_spawn((char *[]){(char *)wrapper, "slave", NULL}, log);
    ck_assert_msg(master_state_has(port, expect, 30), "no slave with %s; see %s", expect, log);
}

START_TEST(test_init_wrapper_starts_the_daemons_from_files_under_etc)
{
    char wrapper[4300], *dir = tu_tmpdir(), log[4300], text[4400];
    snprintf(wrapper, sizeof wrapper, "%s/bin/mesos-init-wrapper", prefix);
    snprintf(log, sizeof log, "%s/no-master.log", dir);
    ck_assert_int_eq(tu_run((char *[]){wrapper, "slave", NULL}, log, 60), 1);
    char *out = tu_read_file(log);
    ck_assert_msg(out && strstr(out, "no master for the slave"), "%s", out ? out : "");
    free(out);

    uint16_t port = tu_free_port();
    snprintf(text, sizeof text, "IP=127.0.0.1\nLOGS=%s/logs\nULIMIT=\"-n 4096\"\n", dir);
    etc_file("default/mesos", text);
    snprintf(text, sizeof text, "PORT=%u\nMESOS_allocation_interval=100ms\n", port);
    etc_file("default/mesos-master", text);
    etc_file("mesos-master/registry", "in_memory");
    etc_file("mesos-master/port~", "not a flag: an editor's backup");
    etc_file("mesos-master/?no-authenticate", "");
    snprintf(text, sizeof text, "127.0.0.1:%u\n", port);
    etc_file("mesos-slave/master", text);
    etc_file("mesos-slave/port", "0");
    snprintf(text, sizeof text, "%s/slave", dir);
    etc_file("mesos-slave/work_dir", text);
    etc_file("mesos-slave/registration_backoff_factor", "10ms");
    etc_file("mesos-slave/executor_shutdown_grace_period", "1secs");
    etc_file("mesos-slave/?no-switch_user", "");
    etc_file("mesos-slave/attributes/rack", "r1\n");
    etc_file("mesos-slave/attributes/os", "debian");
    etc_file("mesos-slave/resources/cpus", "1");
    etc_file("mesos-slave/resources/mem", "256");
    etc_file("mesos-slave/resources/disk", "16");

    int master, slave;
    start_wrapped(wrapper, port, dir, "\"attributes\":{\"os\":\"debian\",\"rack\":\"r1\"}",
                  &master, &slave);
    ck_assert(master_state_has(port, "\"resources\":{\"cpus\":1,\"disk\":16,\"mem\":256", 1));
    /* LOGS became --log_dir, and the wrapper exec'd the daemons (same pids). */
    snprintf(text, sizeof text, "%s/logs/mesos-slave.INFO", dir);
    ck_assert(tu_wait_file_contains(text, "Registered with master", 30));
    stop_daemons(slave, master);
    ASSERT_RAN(tu_sh(log_path, "rm -r '%s/etc'", prefix), "removing etc");
    tu_rmrf(dir);
    free(dir);
}
END_TEST

START_TEST(test_libraries_have_sonames_and_export_only_their_api)
{
    static const char *const libs[][2] = {{"mesos-core", "(act|wire|res|attr)_"},
                                          {"mesos-sched", "sched_"},
                                          {"mesos-exec", "exec_"}};
    for (int i = 0; i < 3; i++) {
        ck_assert_msg(tu_sh(log_path, "readelf -d '%s/lib/lib%s.so' | grep -q "
                            "'SONAME.*\\[lib%s.so.0\\]'", prefix, libs[i][0], libs[i][0]) == 0,
                      "lib%s.so has no soname lib%s.so.0", libs[i][0], libs[i][0]);
        ck_assert_msg(tu_sh(log_path, "nm -D --defined-only '%s/lib/lib%s.so' | awk '{print $3}'"
                            " | grep -Ev '^%s' | grep -Ev '^(_init|_fini)$' | "
                            "sed 's/^/exported, not API: /' | (! grep .)", prefix, libs[i][0],
                            libs[i][1]) == 0,
                      "lib%s.so exports symbols that are not its API:\n%s", libs[i][0],
                      log_tail());
    }
    /* The runtime's internals (act__*) stay inside libmesos-core. */
    ck_assert_int_eq(tu_sh(log_path, "nm -D --defined-only '%s/lib/libmesos-core.so' | "
                           "grep -q ' act_init$' && ! nm -D --defined-only "
                           "'%s/lib/libmesos-core.so' | grep -q ' act__'", prefix, prefix), 0);
}
END_TEST

START_TEST(test_uninstall_removes_every_installed_file)
{
    ASSERT_RAN(tu_sh(log_path, MAKE " uninstall PREFIX=%s", prefix), "make uninstall");
    /* etc/ is the wrapper test's configuration, not something make install wrote */
    ASSERT_RAN(tu_sh(log_path, "find '%s' ! -type d ! -path '%s/etc/*' | "
                     "sed 's/^/left behind: /' | (! grep .)", prefix, prefix),
               "checking that nothing is left");
}
END_TEST

Suite *sdk_suite(void)
{
    Suite *s = suite_create("sdk");
    TCase *tc = tcase_create("installed");
    tcase_set_timeout(tc, 180);
    tcase_add_unchecked_fixture(tc, install_sdk, remove_sdk);
    tcase_add_test(tc, test_readme_scheduler_builds_with_pkg_config_alone_and_its_task_finishes);
    tcase_add_test(tc, test_installed_mesos_local_finds_the_daemons_in_sbin);
    tcase_add_test(tc, test_installed_master_serves_the_web_ui_and_mesos_finds_the_tools);
    tcase_add_test(tc, test_init_wrapper_starts_the_daemons_from_files_under_etc);
    tcase_add_test(tc, test_libraries_have_sonames_and_export_only_their_api);
    tcase_add_test(tc, test_uninstall_removes_every_installed_file); /* last: it removes them */
    suite_add_tcase(s, tc);
    return s;
}

/* ---- deb ----------------------------------------------------------------------------------- */

#define DEB_PACKAGES "mesos libmesos-dev libmesos-core0 libmesos-sched0 libmesos-exec0"
/* What the packages' maintainer scripts and the daemons create beside the packaged files. */
#define DEB_EXTRA_PATHS "/etc/mesos /etc/mesos-master /etc/mesos-slave /var/lib/mesos " \
                        "/var/log/mesos /etc/systemd/system/multi-user.target.wants/mesos-* " \
                        "/var/lib/systemd/deb-systemd-helper-enabled/*mesos-* " \
                        "/var/lib/systemd/deb-systemd-helper-enabled/*/mesos-*"
/* One package test at a time on a machine: they all install the same packages. */
#define DEB_LOCK "/tmp/mesos-deb-test.lock"

static char *deb_work;     /* logs, file lists and the "we installed" mark */
static bool deb_can_run;

/* Takes the machine-wide package test lock; closing the fd (or exiting) releases it. */
static int deb_lock(void)
{
    int fd = open(DEB_LOCK, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX), 0);
    return fd;
}

static void deb_setup(void)
{
    deb_can_run = geteuid() == 0 && tu_sh(NULL, "command -v dpkg-buildpackage >/dev/null") == 0;
    if (!deb_can_run) {
        fprintf(stderr, "deb: skipped: building and installing packages needs root and "
                        "dpkg-buildpackage\n");
        return;
    }
    deb_work = tu_tmpdir();
    snprintf(log_path, sizeof log_path, "%s/test.log", deb_work);
}

/* Purges the packages if this test installed them, whatever happened to it. */
static void deb_teardown(void)
{
    if (!deb_can_run) return;
    int lock = deb_lock();
    if (tu_sh(log_path, "test -e '%s/installed'", deb_work) == 0 &&
        tu_sh(log_path, "dpkg --purge " DEB_PACKAGES) != 0)
        fprintf(stderr, "deb: could not purge the packages; see %s\n", log_path);
    else
        tu_rmrf(deb_work);
    free(deb_work);
    close(lock);
}

START_TEST(test_packages_install_run_through_the_wrapper_and_purge_without_a_trace)
{
    if (!deb_can_run) return;
    deb_lock(); /* held until this test's process exits */
    ASSERT_RAN(tu_sh(log_path, "! dpkg-query -W -f='${db:Status-Status}\\n' " DEB_PACKAGES
                     " 2>/dev/null | grep -qv '^not-installed$' && "
                     "! ls -d " DEB_EXTRA_PATHS " 2>/dev/null"),
               "checking that no mesos package or its files are on this machine already");
    ASSERT_RAN(tu_sh(log_path, MAKE " deb"), "make deb");
    ASSERT_RAN(tu_sh(log_path, "for d in " TEST_BUILD_DIR "/deb/*.deb; do dpkg-deb -c $d; "
                     "done | awk '$1 !~ /^d/ { sub(/^\\./, \"\", $6); print $6 }' > '%s/files'",
                     deb_work), "listing the packages' files");
    ASSERT_RAN(tu_sh(log_path, "touch '%s/installed' && dpkg -i " TEST_BUILD_DIR "/deb/*.deb",
                     deb_work), "dpkg -i");
    ASSERT_RAN(tu_sh(log_path, "! command -v systemd-analyze || systemd-analyze verify "
                     "/lib/systemd/system/mesos-master.service "
                     "/lib/systemd/system/mesos-slave.service"), "systemd-analyze verify");

    uint16_t port = tu_free_port();
    char text[256];
    snprintf(text, sizeof text, "%u\n", port);
    write_file("/etc/mesos-master/port", text);
    write_file("/etc/mesos-master/ip", "127.0.0.1\n");
    snprintf(text, sizeof text, "127.0.0.1:%u\n", port);
    write_file("/etc/mesos-slave/master", text);
    write_file("/etc/mesos-slave/ip", "127.0.0.1\n");
    write_file("/etc/mesos-slave/port", "0\n");
    write_file("/etc/mesos-slave/registration_backoff_factor", "10ms\n");
    write_file("/etc/mesos-slave/executor_shutdown_grace_period", "1secs\n");
    write_file("/etc/mesos-slave/?no-switch_user", "");
    write_file("/etc/mesos-slave/attributes/rack", "r7\n");
    write_file("/etc/mesos-slave/resources/cpus", "1\n");
    write_file("/etc/mesos-slave/resources/mem", "256\n");
    write_file("/etc/mesos-slave/resources/disk", "16\n");
    int master, slave;
    start_wrapped("/usr/bin/mesos-init-wrapper", port, deb_work, "\"attributes\":{\"rack\":\"r7\"}",
                  &master, &slave);
    ASSERT_RAN(tu_sh(log_path, "/usr/bin/mesos-execute --master=127.0.0.1:%u --name=deb "
                     "--command=true --resources='cpus:0.1;mem:32'", port), "mesos-execute");
    ck_assert(tu_wait_file_contains("/var/log/mesos/mesos-slave.INFO", "Registered with", 5));
    /* the packaged master serves the web UI from /usr/share/mesos/webui, and mesos ps works */
    ck_assert_int_eq(tu_http_get(port, "/static/vendor/chart.min.js", NULL), 200);
    ASSERT_RAN(tu_sh(log_path, "/usr/bin/mesos ps -i --master=127.0.0.1:%u | grep -q FINISHED",
                     port), "mesos ps");
    stop_daemons(slave, master);

    ASSERT_RAN(tu_sh(log_path, "dpkg --purge " DEB_PACKAGES " && rm '%s/installed'", deb_work),
               "dpkg --purge");
    ASSERT_RAN(tu_sh(log_path, "! dpkg-query -W -f='${db:Status-Status}\\n' " DEB_PACKAGES
                     " 2>/dev/null | grep -qv '^not-installed$'"),
               "checking the packages are gone");
    ASSERT_RAN(tu_sh(log_path, "{ ls -d " DEB_EXTRA_PATHS " 2>/dev/null; while read -r f; do "
                     "[ ! -e \"$f\" ] && [ ! -L \"$f\" ] || echo \"$f\"; done < '%s/files'; } "
                     "| sed 's/^/left behind: /' | (! grep .)", deb_work),
               "checking that nothing is left behind");
}
END_TEST

Suite *deb_suite(void)
{
    Suite *s = suite_create("deb");
    TCase *tc = tcase_create("packages");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, deb_setup, deb_teardown);
    tcase_add_test(tc, test_packages_install_run_through_the_wrapper_and_purge_without_a_trace);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- docs ---------------------------------------------------------------------------------- */

START_TEST(test_operators_guide_matches_every_programs_flags_and_endpoints)
{
    char *dir = tu_tmpdir();
    snprintf(log_path, sizeof log_path, "%s/docs.log", dir);
    ASSERT_RAN(tu_sh(log_path, MAKE " docs-check"), "make docs-check");
    /* The check can fail: a guide whose default for --port differs is stale. */
    ck_assert_int_ne(tu_sh(log_path, "cd " TEST_SRC_DIR " && sed 's/^| `--port` | `5050` |/"
                           "| `--port` | `5051` |/' docs/operators-guide.md > '%s/guide.md' && "
                           "! cmp -s docs/operators-guide.md '%s/guide.md' && "
                           "tools/gen-docs.sh --check --bin " TEST_BUILD_DIR "/bin '%s/guide.md'",
                           dir, dir, dir), 0);
    ck_assert_msg(strstr(log_tail(), "is out of date with the code"), "%s", log_tail());
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *docs_suite(void)
{
    Suite *s = suite_create("docs");
    TCase *tc = tcase_create("generated");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_operators_guide_matches_every_programs_flags_and_endpoints);
    suite_add_tcase(s, tc);
    return s;
}
