/*
 * test_isolation.c - the isolators with the real binaries, as root, on each cgroup layout this
 * machine offers (cgroup v1 controllers; the v2 unified hierarchy, which here has no
 * controllers of its own: there the tests that need cpu or memory limits say they are
 * skipped, and containment runs on v2's own cgroup.procs, cgroup.freeze and cgroup.kill).
 * A task allocating twice its container's memory is OOM-killed and fails with the reason; a
 * CPU hog given 0.5 cpus with CFS uses about 0.5 cpus by its cgroup's own accounting; a task
 * that double-forks and detaches is still killed when its container ends; a task in a pid
 * namespace sees none of the slave's processes; a volume of --default_container_info is
 * private to each container (and a read-only one is read-only); a sandbox over its disk quota
 * fails its task; cgroups left by a SIGKILLed slave are destroyed when it recovers, while a
 * recovered container keeps its own; a slave refuses isolators this machine cannot give, and
 * names unknown ones. Every cgroup goes under the test process' own root (cgtest.h).
 */
#include "tests/support/cgtest.h"
#include "tests/support/cluster.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const cg_version layouts[] = {CG_V1, CG_V2};

/* ---- slave flags ------------------------------------------------------------------------- */

typedef struct iso_flags {
    char isolation[128], hierarchy[PATH_MAX + 32], root[320], cg_root[256];
    const char *v[16];
} iso_flags;

/* --isolation, --cgroups_hierarchy and a --cgroups_root of this test's own, then `extra`. */
static const char *const *slave_flags(iso_flags *f, const char *isolation,
                                      const char *hierarchy, const char *name,
                                      const char *const *extra)
{
    snprintf(f->cg_root, sizeof f->cg_root, "%s/%s", tcg_root(), name);
    snprintf(f->isolation, sizeof f->isolation, "--isolation=%s", isolation);
    snprintf(f->hierarchy, sizeof f->hierarchy, "--cgroups_hierarchy=%s", hierarchy);
    snprintf(f->root, sizeof f->root, "--cgroups_root=%s", f->cg_root);
    size_t n = 0;
    f->v[n++] = f->isolation;
    f->v[n++] = f->hierarchy;
    f->v[n++] = f->root;
    for (size_t i = 0; extra && extra[i] && n < 15; i++) f->v[n++] = extra[i];
    f->v[n] = NULL;
    return f->v;
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The one container cgroup under the test's root for controller c ("" when none yet). */
static bool container_cgroup(const cg_layout *l, cg_controller c, const char *root, char *out,
                             size_t n, double secs)
{
    char dir[PATH_MAX];
    cg_dir(l, c, root, dir, sizeof dir);
    for (int i = 0; i < (int)(secs * 100); i++, pause_ms(10)) {
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
            snprintf(out, n, "%s/%s", dir, e->d_name);
            closedir(d);
            return true;
        }
        if (d) closedir(d);
    }
    return false;
}

/* Waits (bounded) until no cgroup is left under the test's root for controller c. */
static bool no_container_cgroups(const cg_layout *l, cg_controller c, const char *root,
                                 double secs)
{
    char any[PATH_MAX];
    for (int i = 0; i < (int)(secs * 10); i++) {
        if (!container_cgroup(l, c, root, any, sizeof any, 0.01)) return true;
        pause_ms(100);
    }
    return false;
}

static char *sandbox_file(tc_cluster *c, const char *executor, const char *file, char *buf,
                          size_t n)
{
    snprintf(buf, n, "%s/slaves/*/frameworks/*/executors/%s/runs/latest/%s",
             tc_slave_work_dir(c), executor, file);
    return buf;
}

/* The contents of the file `pattern` (a glob naming one file) once it holds `text`. */
static char *wait_contents(const char *pattern, const char *text, double secs)
{
    for (int i = 0; i < (int)(secs * 100); i++, pause_ms(10)) {
        glob_t g;
        char *data = NULL;
        if (glob(pattern, 0, NULL, &g) == 0) {
            data = tu_read_file(g.gl_pathv[0]);
            globfree(&g);
        }
        if (data && strstr(data, text)) return data;
        free(data);
    }
    return NULL;
}

static pid_t read_pid_in(const char *pattern)
{
    char *text = wait_contents(pattern, "\n", 60);
    ck_assert_msg(text != NULL, "%s was never written", pattern);
    pid_t pid = (pid_t)atoi(text);
    free(text);
    return pid;
}

/* ---- memory ------------------------------------------------------------------------------ */

START_TEST(test_a_task_over_its_memory_is_oom_killed_and_fails_with_the_reason)
{
    cg_layout l;
    const char *h;
    if (!tcg_layout_with(layouts[_i], CG_BIT(CG_MEMORY) | CG_BIT(CG_FREEZER),
                         "the OOM of a task over its memory", &l, &h))
        return;
    iso_flags f;
    tc_cluster c;
    tc_start(&c, slave_flags(&f, "cgroups/cpu,cgroups/mem", h, "oom", NULL));
    tc_sched *s = tc_sched_start(&c, false);
    /* 64 MB for the task and 32 MB for its executor: the container may use 96 MB; the task's
     * shell holds 192 MB in a variable (copied in user space, where a page fault over the
     * limit is an OOM kill; a read() into a fresh buffer may instead fail with EFAULT, as
     * tail's once did, and the task then finished) */
    tc_task t = {.id = "hog", .command = "x=$(head -c 192M /dev/zero | tr '\\0' a) && "
                                         "echo survived", .cpus = 0.1, .mem = 64};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "hog", WIRE_TASK_FAILED, 90), "no TASK_FAILED; see %s",
                  c.slave_log);
    char msg[1024], path[4400];
    tc_last_message(s, "hog", msg, sizeof msg);
    ck_assert_msg(strncmp(msg, "Memory limit exceeded: Requested: 96MB Maximum Used: ", 53) == 0,
                  "message: %s", msg);
    ck_assert_int_eq(tc_last_reason(s, "hog"), WIRE_REASON_MEMORY_LIMIT);
    char *out = tu_read_file(sandbox_file(&c, "hog", "stdout", path, sizeof path));
    ck_assert(!out || !strstr(out, "survived"));
    free(out);
    ck_assert_msg(no_container_cgroups(&l, CG_MEMORY, f.cg_root, 30), "cgroup left behind");
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- cpu --------------------------------------------------------------------------------- */

/* The cgroup's own cpu time in seconds: cpuacct.usage (v1), cpu.stat usage_usec (v2). */
static double cpu_seconds(const cg_layout *l, const char *cpuacct_dir)
{
    uint64_t v = 0;
    if (l->version == CG_V2) {
        ck_assert_int_eq(cg_stat(cpuacct_dir, "cpu.stat", "usage_usec", &v), 0);
        return (double)v / 1e6;
    }
    ck_assert_int_eq(cg_read_u64(cpuacct_dir, "cpuacct.usage", &v), 0);
    return (double)v / 1e9;
}

static json_t *statistics_of(tc_cluster *c)
{
    act_buf out = {0};
    json_t *j = NULL;
    if (tu_http_get(c->slave_port, "/monitor/statistics.json", &out) == 200)
        j = json_loadb(out.data, out.len, 0, NULL);
    act_buf_free(&out);
    ck_assert_msg(json_array_size(j) == 1, "statistics.json does not list one executor");
    return j;
}

/* The most weight a cgroup can have, on every level from the test's root down to `dir` (the
 * test owns them all): what competes at the top is the test root, not the container. */
static void raise_shares(const cg_layout *l, const char *dir)
{
    char base[PATH_MAX], level[PATH_MAX];
    cg_dir(l, CG_CPU, tcg_root(), base, sizeof base);
    size_t len = strlen(base);
    ck_assert(strncmp(dir, base, len) == 0);
    for (size_t i = len; i <= strlen(dir); i++) {
        if (dir[i] != '/' && dir[i] != '\0') continue;
        snprintf(level, sizeof level, "%.*s", (int)i, dir);
        if (l->version == CG_V2) ck_assert_int_eq(cg_write(level, "cpu.weight", "10000"), 0);
        else ck_assert_int_eq(cg_write(level, "cpu.shares", "262144"), 0);
    }
}

/* The hog is given 0.4 cpus and its executor 0.1: a CFS quota of 50 ms per 100 ms period.
 * The machine is shared (2 cores, often 4+ runnable tasks from other builds), which could
 * starve the hog below its quota; so, once the isolator's cpu.shares (512) is checked, the
 * test raises the shares of its cgroup and of the test's cgroups above it to the maximum:
 * nothing else then keeps the hog from its quota, and only the quota holds it back. The window is 3 s (30 periods) of the cgroup's own accounting:
 * each window must stay under 0.55 cpus plus one period (CFS lets no more through) and throttle
 * the cgroup; the hog must reach 0.40 in one of up to 5 windows (a host that steals the vCPU
 * for a whole window does not fail the test, one that never lets it run does). */
START_TEST(test_a_cpu_hog_given_half_a_cpu_with_cfs_uses_about_half_a_cpu)
{
    cg_layout l;
    const char *h;
    if (!tcg_layout_with(layouts[_i], CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT) | CG_BIT(CG_FREEZER),
                         "a CPU hog under a CFS quota", &l, &h))
        return;
    iso_flags f;
    tc_cluster c;
    const char *extra[] = {"--cgroups_enable_cfs", NULL};
    tc_start(&c, slave_flags(&f, "cgroups/cpu,cgroups/mem", h, "cfs", extra));
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t = {.id = "spin", .command = "while :; do :; done", .cpus = 0.4, .mem = 32};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "spin", WIRE_TASK_RUNNING, 60));
    char cpu[PATH_MAX], acct[PATH_MAX];
    ck_assert(container_cgroup(&l, CG_CPU, f.cg_root, cpu, sizeof cpu, 10));
    ck_assert(container_cgroup(&l, CG_CPUACCT, f.cg_root, acct, sizeof acct, 10));
    uint64_t v;
    if (l.version == CG_V1) {
        ck_assert_int_eq(cg_read_u64(cpu, "cpu.shares", &v), 0);
        ck_assert_int_eq(v, 512);
        ck_assert_int_eq(cg_read_u64(cpu, "cpu.cfs_quota_us", &v), 0);
        ck_assert_int_eq(v, 50000);
    } else {
        char max[64];
        ck_assert_int_eq(cg_read(cpu, "cpu.max", max, sizeof max), 0);
        ck_assert_str_eq(max, "50000 100000\n");
    }
    raise_shares(&l, cpu);
    double best = 0;
    for (int w = 0; w < 5 && best < 0.40; w++) {
        uint64_t throttled0 = 0, throttled1 = 0;
        cg_stat(cpu, "cpu.stat", "nr_throttled", &throttled0);
        double t0 = tu_mono(), u0 = cpu_seconds(&l, acct);
        pause_ms(3000);
        double t1 = tu_mono(), u1 = cpu_seconds(&l, acct);
        cg_stat(cpu, "cpu.stat", "nr_throttled", &throttled1);
        double used = (u1 - u0) / (t1 - t0);
        ck_assert_msg(u1 - u0 <= 0.55 * (t1 - t0) + 0.1, "the hog used %.3f cpus", used);
        ck_assert_msg(throttled1 > throttled0, "the cgroup was never throttled (%.3f cpus)",
                      used);
        if (used > best) best = used;
    }
    ck_assert_msg(best >= 0.40, "the hog never reached 0.4 cpus (best %.3f)", best);
    /* the monitor shows the same cgroup's figures, with Mesos' field names */
    json_t *all = statistics_of(&c);
    json_t *stats = json_object_get(json_array_get(all, 0), "statistics");
    ck_assert(json_real_value(json_object_get(stats, "cpus_limit")) == 0.5);
    ck_assert_int_gt(json_integer_value(json_object_get(stats, "cpus_nr_periods")), 0);
    ck_assert_int_gt(json_integer_value(json_object_get(stats, "cpus_nr_throttled")), 0);
    ck_assert(json_number_value(json_object_get(stats, "cpus_throttled_time_secs")) > 0);
    ck_assert(json_number_value(json_object_get(stats, "cpus_user_time_secs")) > 0);
    ck_assert_int_gt(json_integer_value(json_object_get(stats, "mem_rss_bytes")), 0);
    ck_assert_ptr_nonnull(json_object_get(stats, "mem_cache_bytes"));
    ck_assert_ptr_nonnull(json_object_get(stats, "mem_file_bytes"));
    ck_assert_int_eq(json_integer_value(json_object_get(stats, "mem_limit_bytes")),
                     64LL * 1024 * 1024);
    json_decref(all);
    tc_kill(s, "spin");
    ck_assert(tc_wait_state(s, "spin", WIRE_TASK_KILLED, 60));
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- containment ------------------------------------------------------------------------- */

/* The isolation that contains without limiting anything: on v1 the cgroups isolators (with the
 * freezer), on v2 here filesystem/shared (no volumes) whose container is v2's own cgroup. */
static const char *containing(const cg_layout *l)
{
    return l->version == CG_V1 ? "cgroups/cpu,cgroups/mem" : "filesystem/shared";
}

START_TEST(test_a_task_that_double_forks_and_detaches_is_killed_with_its_container)
{
    cg_layout l;
    const char *h;
    if (!tcg_layout_with(layouts[_i], CG_BIT(CG_FREEZER), "a detached task", &l, &h)) return;
    iso_flags f;
    tc_cluster c;
    tc_start(&c, slave_flags(&f, containing(&l), h, "detach", NULL));
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t = {.id = "daemon",
                 .command = "(setsid sh -c 'echo $$ > daemon.pid.tmp; mv daemon.pid.tmp "
                            "daemon.pid; exec sleep 1000' &); exec sleep 1000",
                 .cpus = 0.1, .mem = 32};
    tc_sched_launch(s, &t, 1);
    ck_assert(tc_wait_state(s, "daemon", WIRE_TASK_RUNNING, 60));
    char path[4400];
    pid_t daemon = read_pid_in(sandbox_file(&c, "daemon", "daemon.pid", path, sizeof path));
    ck_assert_int_eq(kill(daemon, 0), 0);
    tc_kill(s, "daemon");
    ck_assert(tc_wait_state(s, "daemon", WIRE_TASK_KILLED, 60));
    ck_assert_msg(tu_wait_gone(daemon, 60), "the detached process %d survived its container; "
                  "see %s", (int)daemon, c.slave_log);
    ck_assert_msg(no_container_cgroups(&l, CG_FREEZER, f.cg_root, 30), "cgroup left behind");
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- pid namespace ----------------------------------------------------------------------- */

START_TEST(test_a_task_in_a_pid_namespace_cannot_see_the_slaves_processes)
{
    cg_layout l;
    const char *h;
    if (!tcg_layout_with(layouts[_i], CG_BIT(CG_FREEZER), "the pid namespace", &l, &h)) return;
    iso_flags f;
    tc_cluster c;
    tc_start(&c, slave_flags(&f, "namespaces/pid", h, "pidns", NULL));
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t = {.id = "look",
                 .command = "for p in /proc/[0-9]*; do printf 'proc %s %s\\n' "
                            "\"${p#/proc/}\" \"$(tr '\\0' ' ' < $p/cmdline)\"; done; echo done",
                 .cpus = 0.1, .mem = 32};
    tc_sched_launch(s, &t, 1);
    ck_assert_msg(tc_wait_state(s, "look", WIRE_TASK_FINISHED, 60), "see %s", c.slave_log);
    char path[4400];
    char *out = wait_contents(sandbox_file(&c, "look", "stdout", path, sizeof path), "done", 10);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(!strstr(out, "mesos-slave") && !strstr(out, "mesos-master"),
                  "the task sees the slave's processes:\n%s", out);
    ck_assert_msg(strstr(out, "proc 1 ") && strstr(out, "mesos-executor"),
                  "its executor is not pid 1 of the namespace:\n%s", out);
    int procs = 0;
    for (const char *p = out; (p = strstr(p, "\nproc ")); p++) procs++;
    ck_assert_msg(procs < 10, "the task sees %d processes:\n%s", procs, out);
    free(out);
    ck_assert(kill(c.slave_pid, 0) == 0);
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- shared filesystem ------------------------------------------------------------------- */

START_TEST(test_a_default_volume_is_private_per_container_and_read_only_when_asked)
{
    cg_layout l;
    const char *h;
    if (!tcg_layout_with(layouts[_i], CG_BIT(CG_FREEZER), "private volumes", &l, &h)) return;
    char *dir = tu_tmpdir(), mnt[4200], ro[4200], src[4200], info[13000], flag[13100];
    snprintf(mnt, sizeof mnt, "%s/scratch", dir);
    snprintf(ro, sizeof ro, "%s/ro", dir);
    snprintf(src, sizeof src, "%s/ro-src", dir);
    ck_assert_int_eq(mkdir(mnt, 01777), 0);
    ck_assert_int_eq(mkdir(ro, 0755), 0);
    ck_assert_int_eq(mkdir(src, 0755), 0);
    ck_assert_int_eq(tu_sh(NULL, "echo from-host > %s/hello", src), 0);
    snprintf(info, sizeof info, "{\"type\":\"MESOS\",\"volumes\":["
             "{\"host_path\":\"scratch\",\"container_path\":\"%s\",\"mode\":\"RW\"},"
             "{\"host_path\":\"%s\",\"container_path\":\"%s\",\"mode\":\"RO\"}]}", mnt, src, ro);
    snprintf(flag, sizeof flag, "--default_container_info=%s", info);
    const char *extra[] = {flag, NULL};
    iso_flags f;
    tc_cluster c;
    tc_start(&c, slave_flags(&f, "filesystem/shared", h, "shared", extra));
    tc_sched *s = tc_sched_start(&c, false);
    char cmd[2][20000];
    tc_task t[2];
    const char *ids[] = {"first", "second"};
    for (int i = 0; i < 2; i++) {
        snprintf(cmd[i], sizeof cmd[i], "echo %s > %s/mine; echo seen: $(ls %s); "
                 "touch %s/x 2>/dev/null && echo ro-writable || echo ro-refused; cat %s/hello; "
                 "echo done", ids[i], mnt, mnt, ro, ro);
        t[i] = (tc_task){.id = ids[i], .command = cmd[i], .cpus = 0.1, .mem = 32};
    }
    tc_sched_launch(s, t, 2);
    for (int i = 0; i < 2; i++) {
        ck_assert_msg(tc_wait_state(s, ids[i], WIRE_TASK_FINISHED, 60), "see %s", c.slave_log);
        char path[4400], *out, *mine;
        out = wait_contents(sandbox_file(&c, ids[i], "stdout", path, sizeof path), "done", 10);
        ck_assert_ptr_nonnull(out);
        ck_assert_msg(strstr(out, "seen: mine\n"), "%s sees another's files:\n%s", ids[i], out);
        ck_assert_msg(strstr(out, "ro-refused") && strstr(out, "from-host"), "%s", out);
        free(out);
        /* what it wrote lives in its own sandbox */
        mine = wait_contents(sandbox_file(&c, ids[i], "scratch/mine", path, sizeof path),
                             ids[i], 10);
        ck_assert_ptr_nonnull(mine);
        free(mine);
    }
    char host[4300];
    snprintf(host, sizeof host, "%s/mine", mnt);
    ck_assert_msg(access(host, F_OK) != 0, "a container wrote into the host's %s", mnt);
    snprintf(host, sizeof host, "%s/x", src);
    ck_assert(access(host, F_OK) != 0);
    tc_sched_stop(s);
    tc_stop(&c);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* ---- disk quota -------------------------------------------------------------------------- */

START_TEST(test_a_sandbox_over_its_disk_quota_fails_its_task)
{
    const char *extra[] = {"--isolation=posix/cpu,posix/mem,posix/disk",
                           "--enforce_container_disk_quota", "--container_disk_watch_interval=100ms",
                           NULL};
    tc_cluster c;
    tc_start(&c, extra);
    tc_sched *s = tc_sched_start(&c, false);
    tc_task t[] = {{.id = "filler", .command = "dd if=/dev/zero of=big bs=1M count=4; "
                                               "sync; exec sleep 1000",
                    .cpus = 0.1, .mem = 32, .disk = 2},
                   {.id = "modest", .command = "echo small > small; exec sleep 1000",
                    .cpus = 0.1, .mem = 32, .disk = 2}};
    tc_sched_launch(s, t, 2);
    ck_assert_msg(tc_wait_state(s, "filler", WIRE_TASK_FAILED, 60), "see %s", c.slave_log);
    char msg[1024];
    tc_last_message(s, "filler", msg, sizeof msg);
    ck_assert_msg(strncmp(msg, "Disk usage exceeded: ", 21) == 0 && strstr(msg, "quota 2MB"),
                  "message: %s", msg);
    ck_assert(tc_wait_state(s, "modest", WIRE_TASK_RUNNING, 60));
    ck_assert_int_eq(tc_count_state(s, "modest", WIRE_TASK_FAILED), 0);
    /* the monitor shows the modest sandbox's usage beside its limit */
    bool measured = false;
    for (int i = 0; i < 300 && !measured; i++, pause_ms(20)) {
        json_t *st = statistics_of(&c);
        json_t *x = json_object_get(json_array_get(st, 0), "statistics");
        measured = json_integer_value(json_object_get(x, "disk_limit_bytes")) ==
                       2 * 1024 * 1024 && json_object_get(x, "disk_used_bytes");
        json_decref(st);
    }
    ck_assert(measured);
    tc_kill(s, "modest");
    ck_assert(tc_wait_state(s, "modest", WIRE_TASK_KILLED, 60));
    tc_sched_stop(s);
    tc_stop(&c);
}
END_TEST

/* ---- recovery ---------------------------------------------------------------------------- */

START_TEST(test_cgroups_left_by_a_sigkilled_slave_are_destroyed_on_recovery)
{
    cg_layout l;
    const char *h;
    if (!tcg_layout_with(layouts[_i], CG_BIT(CG_FREEZER), "orphaned cgroups", &l, &h)) return;
    iso_flags f;
    tc_cluster c;
    const char *const *flags = slave_flags(&f, containing(&l), h, "orphans", NULL);
    tc_start(&c, flags);
    /* one task the restarted slave recovers (a checkpointing framework), one it cannot (its
     * framework does not checkpoint): that one leaves a detached process in its cgroup */
    tc_sched *kept = tc_sched_start(&c, true), *lost = tc_sched_start(&c, false);
    tc_task k = {.id = "kept", .command = "exec sleep 1000", .cpus = 0.1, .mem = 32};
    tc_task o = {.id = "orphan",
                 .command = "(setsid sh -c 'echo $$ > d.pid.tmp; mv d.pid.tmp d.pid; "
                            "exec sleep 1000' &); exec sleep 1000", .cpus = 0.1, .mem = 32};
    tc_sched_launch(kept, &k, 1);
    tc_sched_launch(lost, &o, 1);
    ck_assert(tc_wait_state(kept, "kept", WIRE_TASK_RUNNING, 60));
    ck_assert(tc_wait_state(lost, "orphan", WIRE_TASK_RUNNING, 60));
    char path[4400];
    pid_t detached = read_pid_in(sandbox_file(&c, "orphan", "d.pid", path, sizeof path));
    json_t *st = tc_slave_state(&c);
    char kept_cg[PATH_MAX], orphan_cg[PATH_MAX], dir[PATH_MAX];
    json_t *fw;
    size_t i;
    kept_cg[0] = orphan_cg[0] = '\0';
    json_array_foreach(json_object_get(st, "frameworks"), i, fw) {
        json_t *e = json_array_get(json_object_get(fw, "executors"), 0);
        const char *id = json_string_value(json_object_get(e, "id"));
        char *into = strcmp(id, "kept") == 0 ? kept_cg : orphan_cg;
        snprintf(into, PATH_MAX, "%s/%s", f.cg_root,
                 json_string_value(json_object_get(e, "container")));
    }
    json_decref(st);
    ck_assert(kept_cg[0] && orphan_cg[0]);
    ck_assert(cg_exists(&l, CG_FREEZER, orphan_cg));
    tc_kill_slave(&c, SIGKILL);
    ck_assert_int_eq(kill(detached, 0), 0); /* the slave's death killed nothing */
    tc_start_slave(&c, flags);
    ck_assert_msg(tu_wait_gone(detached, 60), "the orphan's detached process survived; see %s",
                  c.slave_log);
    for (int n = 0; n < 3000 && cg_exists(&l, CG_FREEZER, orphan_cg); n++) pause_ms(10);
    ck_assert_msg(!cg_exists(&l, CG_FREEZER, orphan_cg), "%s is still there",
                  cg_dir(&l, CG_FREEZER, orphan_cg, dir, sizeof dir));
    if (l.version == CG_V1) ck_assert(!cg_exists(&l, CG_MEMORY, orphan_cg));
    /* the recovered one keeps its cgroup and its task */
    ck_assert(cg_exists(&l, CG_FREEZER, kept_cg));
    ck_assert_uint_gt(cg_count(cg_dir(&l, CG_FREEZER, kept_cg, dir, sizeof dir)), 0);
    ck_assert_int_eq(tc_count_state(kept, "kept", WIRE_TASK_LOST) +
                     tc_count_state(kept, "kept", WIRE_TASK_FAILED), 0);
    tc_kill(kept, "kept");
    ck_assert(tc_wait_state(kept, "kept", WIRE_TASK_KILLED, 60));
    ck_assert_msg(no_container_cgroups(&l, CG_FREEZER, f.cg_root, 30), "cgroup left behind");
    tc_sched_stop(kept);
    tc_sched_stop(lost);
    tc_stop(&c);
}
END_TEST

/* ---- refusals ---------------------------------------------------------------------------- */

/* Runs mesos-slave with flags; returns its exit code and its output in out (bounded). */
static int slave_refuses(const char *const *flags, char *out, size_t n)
{
    char *dir = tu_tmpdir(), log[4200], work[4300];
    snprintf(log, sizeof log, "%s/out", dir);
    snprintf(work, sizeof work, "--work_dir=%s/w", dir);
    char *argv[16] = {(char *)tu_bin("mesos-slave"), "--master=127.0.0.1:1", "--port=0", work};
    int k = 4;
    for (size_t i = 0; flags[i] && k < 15; i++) argv[k++] = (char *)flags[i];
    argv[k] = NULL;
    int rc = tu_run(argv, log, 60);
    char *text = tu_read_file(log);
    snprintf(out, n, "%s", text ? text : "");
    free(text);
    tu_rmrf(dir);
    free(dir);
    return rc;
}

START_TEST(test_unknown_isolators_are_an_error_naming_each)
{
    char out[8192];
    const char *flags[] = {"--isolation=posix/cpu,foo/bar,network/port_mapping", NULL};
    ck_assert_int_eq(slave_refuses(flags, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "'foo/bar'") && strstr(out, "'network/port_mapping'") &&
                  strstr(out, "cgroups/mem"), "%s", out);
}
END_TEST

START_TEST(test_a_default_container_info_that_does_not_parse_stops_the_slave)
{
    char out[8192];
    const char *flags[] = {"--default_container_info={\"type\":\"MESOS\",\"volumes\":[{}]}",
                           NULL};
    ck_assert_int_eq(slave_refuses(flags, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "Invalid --default_container_info") &&
                  strstr(out, "container_path"), "%s", out);
}
END_TEST

START_TEST(test_cgroups_isolators_refuse_to_start_without_their_controller)
{
    char out[8192];
    cg_layout l;
    const char *h;
    if (tcg_layout(CG_V2, "cgroups/mem on a v2 hierarchy without memory", &l, &h) &&
        !(l.available & CG_BIT(CG_MEMORY))) {
        char hier[4200];
        snprintf(hier, sizeof hier, "--cgroups_hierarchy=%s", h);
        const char *flags[] = {"--isolation=cgroups/mem", hier, NULL};
        ck_assert_int_eq(slave_refuses(flags, out, sizeof out), 1);
        ck_assert_msg(strstr(out, "'memory' controller") && strstr(out, h), "%s", out);
    }
    char *dir = tu_tmpdir(), hier[4200];
    snprintf(hier, sizeof hier, "--cgroups_hierarchy=%s", dir);
    const char *flags[] = {"--isolation=cgroups/cpu", hier, NULL};
    ck_assert_int_eq(slave_refuses(flags, out, sizeof out), 1);
    ck_assert_msg(strstr(out, "No cgroup hierarchy") && strstr(out, dir), "%s", out);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *isolation_suite(void)
{
    Suite *s = suite_create("isolation");
    TCase *tc = tcase_create("cgroups");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_a_task_over_its_memory_is_oom_killed_and_fails_with_the_reason, 0, 2);
    tcase_add_loop_test(tc, test_a_cpu_hog_given_half_a_cpu_with_cfs_uses_about_half_a_cpu, 0, 2);
    tcase_add_loop_test(tc, test_a_task_that_double_forks_and_detaches_is_killed_with_its_container, 0, 2);
    tcase_add_loop_test(tc, test_cgroups_left_by_a_sigkilled_slave_are_destroyed_on_recovery, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("namespaces");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_a_task_in_a_pid_namespace_cannot_see_the_slaves_processes, 0, 2);
    tcase_add_loop_test(tc, test_a_default_volume_is_private_per_container_and_read_only_when_asked, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("disk");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_a_sandbox_over_its_disk_quota_fails_its_task);
    suite_add_tcase(s, tc);
    tc = tcase_create("refusals");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_unknown_isolators_are_an_error_naming_each);
    tcase_add_test(tc, test_a_default_container_info_that_does_not_parse_stops_the_slave);
    tcase_add_test(tc, test_cgroups_isolators_refuse_to_start_without_their_controller);
    suite_add_tcase(s, tc);
    return s;
}
