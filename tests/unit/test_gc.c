/*
 * test_gc.c - the "gc" actor on the paused clock: a scheduled sandbox goes exactly when its
 * delay has passed, unscheduling or rescheduling changes that, a fuller disk (a replaced
 * usage probe) prunes old sandboxes at the next disk watch, and nothing outside the work
 * directory is ever removed (not through "..", not through symlinks).
 */
#include "slave/gc_int.h"
#include "slave/slave_int.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GC_DELAY 3600.0

static char *tmp;
static char work_dir[512];
static act_pid gc;
static double usage; /* what the probe reports */

static double probe(void)
{
    return usage;
}

static void settle(void)
{
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void advance(double secs)
{
    act_clock_advance(secs);
    settle();
}

static bool exists(const char *path)
{
    struct stat s;
    return lstat(path, &s) == 0;
}

static void mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(buf, 0755);
        *p = '/';
    }
    ck_assert(mkdir(buf, 0755) == 0 || exists(buf));
}

static void touch(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("data\n", f);
    fclose(f);
}

/* Creates a sandbox <work_dir>/slaves/S/frameworks/F/executors/E/runs/<run> with files, a
 * subdirectory and a symlink to <tmp>/outside (which must survive its removal). */
static void make_sandbox(const char *run, char *out, size_t n)
{
    snprintf(out, n, "%s/slaves/S/frameworks/F/executors/E/runs/%s", work_dir, run);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/sub/deeper", out);
    mkdirs(path);
    touch(out, "stdout");
    touch(path, "file");
    snprintf(path, sizeof path, "%s/outside-link", out);
    char target[PATH_MAX];
    snprintf(target, sizeof target, "%s/outside", tmp);
    ck_assert_int_eq(symlink(target, path), 0);
}

static void schedule(const char *path, double delay)
{
    gc_path *p = act_calloc(1, sizeof *p);
    p->path = act_strdup(path);
    p->delay = delay;
    ck_assert_int_eq(act_post(NULL, &gc, GC_MSG_SCHEDULE, p, gc_path_free), 0);
    settle();
}

static void unschedule(const char *path)
{
    gc_path *p = act_calloc(1, sizeof *p);
    p->path = act_strdup(path);
    ck_assert_int_eq(act_post(NULL, &gc, GC_MSG_UNSCHEDULE, p, gc_path_free), 0);
    settle();
}

static uint64_t counter(const char *name)
{
    return act_counter_value(act_counter_get(name));
}

/* The outside directory: what no removal may touch. */
static bool outside_intact(void)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/outside/keep", tmp);
    return exists(path);
}

static void setup(void)
{
    act_clock_pause();
    tu_runtime_start(1);
    tmp = tu_tmpdir();
    ck_assert_ptr_nonnull(tmp);
    snprintf(work_dir, sizeof work_dir, "%s/work", tmp);
    mkdirs(work_dir);
    char outside[PATH_MAX];
    snprintf(outside, sizeof outside, "%s/outside", tmp);
    mkdirs(outside);
    touch(outside, "keep");
    usage = 0;
    gc_set_usage_probe(probe);
}

static void teardown(void)
{
    act_shutdown();
    act_clock_resume();
    gc_set_usage_probe(NULL);
    tu_rmrf(tmp);
    free(tmp);
}

static void start_gc_headroom(double disk_watch_interval, double headroom)
{
    gc = gc_spawn(work_dir, GC_DELAY, headroom, disk_watch_interval, 0);
    ck_assert(!act_pid_is_none(&gc));
    settle();
}

static void start_gc(double disk_watch_interval)
{
    start_gc_headroom(disk_watch_interval, GC_DISK_HEADROOM);
}

START_TEST(test_scheduled_sandbox_goes_exactly_when_its_delay_passes)
{
    start_gc(86400); /* no disk watch within the test */
    char sb[PATH_MAX];
    make_sandbox("r1", sb, sizeof sb);
    schedule(sb, GC_DELAY);
    advance(GC_DELAY - 1);
    ck_assert(exists(sb));
    ck_assert_uint_eq(counter("gc/path_removals"), 0);
    advance(1);
    ck_assert(!exists(sb));
    ck_assert(outside_intact());
    ck_assert_uint_eq(counter("gc/path_removals"), 1);
    ck_assert_uint_eq(counter("gc/path_removal_failures"), 0);
}
END_TEST

START_TEST(test_unscheduled_sandbox_is_kept)
{
    start_gc(86400);
    char sb[PATH_MAX];
    make_sandbox("r1", sb, sizeof sb);
    schedule(sb, 100);
    advance(50);
    unschedule(sb);
    advance(1000);
    ck_assert(exists(sb));
    ck_assert_uint_eq(counter("gc/path_removals"), 0);
}
END_TEST

START_TEST(test_rescheduling_replaces_the_first_delay)
{
    start_gc(86400);
    char sb[PATH_MAX];
    make_sandbox("r1", sb, sizeof sb);
    schedule(sb, 100);
    schedule(sb, 1000);
    advance(999);
    ck_assert(exists(sb));
    advance(1);
    ck_assert(!exists(sb));
    ck_assert_uint_eq(counter("gc/path_removals"), 1);
}
END_TEST

START_TEST(test_fuller_disk_prunes_older_sandboxes_at_the_next_watch)
{
    start_gc(60);
    char old[PATH_MAX], young[PATH_MAX];
    make_sandbox("old", old, sizeof old);
    make_sandbox("young", young, sizeof young);
    schedule(old, GC_DELAY);
    advance(1800); /* watches at usage 0 allow 0.9 * gc_delay: nothing goes */
    schedule(young, GC_DELAY);
    ck_assert(exists(old));
    /* 40% used: max age = gc_delay * (1 - 0.1 - 0.4) = 1800 s; the next watch is at 1860. */
    usage = 0.4;
    advance(59);
    ck_assert(exists(old));
    advance(1);
    ck_assert(!exists(old));
    ck_assert(exists(young));
    /* 95% used: max age 0, so everything scheduled goes at the next watch. */
    usage = 0.95;
    advance(59);
    ck_assert(exists(young));
    advance(1);
    ck_assert(!exists(young));
    ck_assert(outside_intact());
    ck_assert_uint_eq(counter("gc/path_removals"), 2);
}
END_TEST

START_TEST(test_half_full_disk_prunes_at_forty_percent_of_gc_delay)
{
    start_gc(60);
    char sb[PATH_MAX];
    make_sandbox("r1", sb, sizeof sb);
    schedule(sb, GC_DELAY);
    usage = 0.5; /* max age = gc_delay * (1 - 0.1 - 0.5) = 1440 s */
    advance(1380); /* one watch here (age 1380), the next at 1440 */
    ck_assert(exists(sb));
    advance(60);
    ck_assert(!exists(sb));
}
END_TEST

/* --gc_disk_headroom=0.3: at 50% used, max age = gc_delay * (1 - 0.3 - 0.5) = 720 s. */
START_TEST(test_disk_headroom_flag_changes_the_age_allowed)
{
    start_gc_headroom(60, 0.3);
    char sb[PATH_MAX];
    make_sandbox("h1", sb, sizeof sb);
    schedule(sb, GC_DELAY);
    usage = 0.5;
    advance(660); /* a watch at age 660: kept */
    ck_assert(exists(sb));
    advance(60); /* the next at 720: gone */
    ck_assert(!exists(sb));
}
END_TEST

START_TEST(test_paths_outside_the_work_dir_are_never_removed)
{
    start_gc(86400);
    char path[PATH_MAX], outside[PATH_MAX];
    snprintf(outside, sizeof outside, "%s/outside", tmp);
    schedule(outside, 10);
    schedule(work_dir, 10);
    snprintf(path, sizeof path, "%s/../outside", work_dir);
    schedule(path, 10);
    /* A symlinked parent that leads outside does not make a path "below". */
    snprintf(path, sizeof path, "%s/link", work_dir);
    ck_assert_int_eq(symlink(outside, path), 0);
    snprintf(path, sizeof path, "%s/link/keep", work_dir);
    schedule(path, 10);
    schedule("relative/path", 10);
    advance(10);
    ck_assert(outside_intact());
    ck_assert(exists(work_dir));
    ck_assert_uint_eq(counter("gc/path_removals"), 0);
    ck_assert_uint_eq(counter("gc/path_removal_failures"), 5);
    /* The symlink itself is below: removing it removes the link, never its target (even
     * when named with a trailing slash, which would make the kernel follow it). */
    snprintf(path, sizeof path, "%s/link/", work_dir);
    schedule(path, 10);
    advance(10);
    snprintf(path, sizeof path, "%s/link", work_dir);
    ck_assert(!exists(path));
    ck_assert(outside_intact());
    ck_assert_uint_eq(counter("gc/path_removals"), 1);
}
END_TEST

START_TEST(test_disk_usage_reads_the_file_system)
{
    double u = gc_disk_usage(tmp);
    ck_assert(u >= 0 && u <= 1);
    ck_assert(gc_disk_usage("/nonexistent/path") < 0);
}
END_TEST

Suite *gc_suite(void)
{
    Suite *s = suite_create("gc");
    TCase *tc = tcase_create("gc");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_scheduled_sandbox_goes_exactly_when_its_delay_passes);
    tcase_add_test(tc, test_unscheduled_sandbox_is_kept);
    tcase_add_test(tc, test_rescheduling_replaces_the_first_delay);
    tcase_add_test(tc, test_fuller_disk_prunes_older_sandboxes_at_the_next_watch);
    tcase_add_test(tc, test_half_full_disk_prunes_at_forty_percent_of_gc_delay);
    tcase_add_test(tc, test_disk_headroom_flag_changes_the_age_allowed);
    tcase_add_test(tc, test_paths_outside_the_work_dir_are_never_removed);
    tcase_add_test(tc, test_disk_usage_reads_the_file_system);
    suite_add_tcase(s, tc);
    return s;
}
