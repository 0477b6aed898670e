/*
 * test_log.c - logging: the glog line format byte for byte, level filtering without argument
 * evaluation, glog's file layout in a log directory (per-level files, symlinks, headers,
 * rotation), buffering and flushing, verbosity and its timed toggle, whole lines under
 * concurrent writers, and rate-limited sites (one line per interval, with what they skipped).
 * stderr is captured by pointing fd 2 at a temporary file (tu_stderr_begin).
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <regex.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64];     /* a temporary log_dir, "" when the test uses none */

static void setup(void)
{
    act_log_options o = {0};
    ck_assert_int_eq(act_log_init(&o), 0);
    act_log_set_verbosity(0);
    dir[0] = '\0';
}

static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(path);
}

static void teardown(void)
{
    act_log_close();
    act_log_set_level(ACT_LOG_INFO);
    if (dir[0]) remove_dir(dir);
}

static char *read_whole(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    act_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) act_buf_append(&b, chunk, n);
    fclose(f);
    return act_buf_detach(&b, NULL);
}

static char *read_in_dir(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return read_whole(path);
}

static void init_with_dir(const char *program, uint64_t max_bytes, double logbufsecs, bool quiet)
{
    snprintf(dir, sizeof dir, "/tmp/test_log.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    act_log_options o = {.program = program, .log_dir = dir, .level = ACT_LOG_INFO,
                         .quiet = quiet, .logbufsecs = logbufsecs, .max_file_bytes = max_bytes};
    ck_assert_int_eq(act_log_init(&o), 0);
}

static bool matches(const char *text, const char *pattern)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static int count_lines(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++) n++;
    return n;
}

START_TEST(test_line_has_the_glog_format)
{
    time_t before = time(NULL);
    tu_stderr_begin();
    int line = __LINE__ + 1;
    LOG_INFO("Registered slave %s at %d", "S1", 42);
    char *out = tu_stderr_end();
    ck_assert_msg(matches(out, "^I[0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6} [ 0-9]{5} "
                               "test_log\\.c:[0-9]+\\] Registered slave S1 at 42\n$"),
                  "bad line: '%s'", out);
    /* Thread id right-aligned in five columns after one space, then basename:line. */
    char expect[128];
    snprintf(expect, sizeof expect, " %5ld test_log.c:%d] ", (long)syscall(SYS_gettid), line);
    ck_assert_msg(strstr(out, expect), "'%s' not in '%s'", expect, out);
    /* MMDD is today's local date (either side of a midnight that passed meanwhile). */
    time_t after = time(NULL);
    struct tm tb, ta;
    localtime_r(&before, &tb);
    localtime_r(&after, &ta);
    char d1[32], d2[32];
    snprintf(d1, sizeof d1, "I%02d%02d", tb.tm_mon + 1, tb.tm_mday);
    snprintf(d2, sizeof d2, "I%02d%02d", ta.tm_mon + 1, ta.tm_mday);
    ck_assert(strncmp(out, d1, 5) == 0 || strncmp(out, d2, 5) == 0);
    free(out);
}
END_TEST

START_TEST(test_level_letters_and_single_newline)
{
    tu_stderr_begin();
    LOG_WARNING("w");
    LOG_ERROR("e\n");
    act_log_write(ACT_LOG_FATAL, "dir/sub/file.c", 7, "f");
    char *out = tu_stderr_end();
    ck_assert_msg(matches(out, "^W[^\n]* test_log\\.c:[0-9]+\\] w\n"
                               "E[^\n]* test_log\\.c:[0-9]+\\] e\n"
                               "F[^\n]* file\\.c:7\\] f\n$"),
                  "got '%s'", out);
    free(out);
}
END_TEST

static int evaluations;

static int side_effect(void)
{
    return ++evaluations;
}

START_TEST(test_lines_below_the_level_are_neither_written_nor_evaluated)
{
    act_log_set_level(ACT_LOG_WARNING);
    ck_assert(!act_log_enabled(ACT_LOG_INFO));
    ck_assert(act_log_enabled(ACT_LOG_WARNING));
    ck_assert(act_log_enabled(ACT_LOG_FATAL));
    evaluations = 0;
    tu_stderr_begin();
    LOG_INFO("info %d", side_effect());
    act_log_write(ACT_LOG_INFO, __FILE__, __LINE__, "direct info");
    LOG_WARNING("warning %d", side_effect());
    char *out = tu_stderr_end();
    ck_assert_int_eq(evaluations, 1);
    ck_assert_msg(matches(out, "^W[^\n]*\\] warning 1\n$"), "got '%s'", out);
    free(out);
}
END_TEST

/* One site provoked over and over, as a hostile peer would: the loop body is one call site. */
static void provoke(int times, int first)
{
    for (int i = 0; i < times; i++) LOG_WARNING_LIMITED("peer sent junk %d", side_effect() + first);
}

START_TEST(test_a_limited_site_writes_once_per_interval_with_the_suppressed_count)
{
    act_clock_pause();
    evaluations = 0;
    tu_stderr_begin();
    provoke(100, 0);
    act_clock_advance(ACT_LOG_LIMIT_SECS / 2);
    provoke(10, 1000);
    act_clock_advance(ACT_LOG_LIMIT_SECS / 2);
    provoke(5, 2000);
    char *out = tu_stderr_end();
    act_clock_resume();
    /* Arguments of suppressed lines are not evaluated. */
    ck_assert_int_eq(evaluations, 2);
    ck_assert_msg(matches(out, "^W[^\n]*\\] peer sent junk 1\n"
                               "W[^\n]*\\] peer sent junk 2002 "
                               "\\(109 similar lines suppressed\\)\n$"),
                  "got '%s'", out);
    free(out);
}
END_TEST

START_TEST(test_limited_sites_are_independent_and_a_clock_gone_back_reopens_them)
{
    act_clock_pause();
    tu_stderr_begin();
    for (int i = 0; i < 20; i++) {
        LOG_WARNING_LIMITED("site A %d", i);
        LOG_ERROR_LIMITED("site B %d", i);
    }
    act_clock_advance(1000); /* then back to the wall clock, 1000 s earlier */
    provoke(3, 0);
    act_clock_resume();
    provoke(3, 0);
    char *out = tu_stderr_end();
    ck_assert_int_eq(count_lines(out, "site A"), 1);
    ck_assert_int_eq(count_lines(out, "site B"), 1);
    ck_assert_msg(matches(out, "\n?E[^\n]*\\] site B 0\n"), "got '%s'", out);
    ck_assert_int_eq(count_lines(out, "peer sent junk"), 2);
    free(out);
}
END_TEST

START_TEST(test_level_from_init_options)
{
    act_log_options o = {.level = ACT_LOG_ERROR};
    ck_assert_int_eq(act_log_init(&o), 0);
    ck_assert(!act_log_enabled(ACT_LOG_WARNING));
    ck_assert(act_log_enabled(ACT_LOG_ERROR));
}
END_TEST

START_TEST(test_vlog_follows_verbosity_without_evaluating_below_it)
{
    act_log_set_verbosity(1);
    evaluations = 0;
    tu_stderr_begin();
    VLOG(1, "v1 %d", side_effect());
    VLOG(2, "v2 %d", side_effect());
    char *out = tu_stderr_end();
    ck_assert_int_eq(evaluations, 1);
    ck_assert_msg(matches(out, "^I[^\n]*\\] v1 1\n$"), "got '%s'", out);
    free(out);
}
END_TEST

START_TEST(test_glog_v_sets_the_initial_verbosity)
{
    /* GLOG_v is read once per process, on first use: this test runs without the fixture so
     * its (forked) process has not used logging yet. Without fork mode that cannot hold. */
    const char *fork_mode = getenv("CK_FORK");
    if (fork_mode && strcmp(fork_mode, "no") == 0) return;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("GLOG_v", "3", 1);
        _exit(act_log_verbosity() == 3 && act_vlog_enabled(3) && !act_vlog_enabled(4) ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

START_TEST(test_toggle_raises_verbosity_and_restores_the_original)
{
    act_log_set_verbosity(0);
    act_log_toggle(2, 3600);
    ck_assert_int_eq(act_log_verbosity(), 2);
    ck_assert(act_vlog_enabled(2));
    /* A second toggle while one is active still restores the level from before both. */
    act_log_toggle(3, 0);
    ck_assert_int_eq(act_log_verbosity(), 0);
    ck_assert(!act_vlog_enabled(1));
}
END_TEST

START_TEST(test_toggle_expires_after_its_duration_of_real_time)
{
    act_log_set_verbosity(1);
    const double secs = 0.05;
    double start = tu_mono();
    act_log_toggle(4, secs);
    bool early = tu_mono() - start < secs; /* only then must the raised level still show */
    int seen = act_log_verbosity();
    if (early) ck_assert_int_eq(seen, 4);
    /* Wait on the condition itself, polling, with a generous bound. */
    while (act_log_verbosity() == 4 && tu_mono() - start < 10) {
        struct timespec tick = {0, 1000000};
        nanosleep(&tick, NULL);
    }
    ck_assert_int_eq(act_log_verbosity(), 1);
    ck_assert(tu_mono() - start >= secs);
}
END_TEST

START_TEST(test_set_verbosity_cancels_a_pending_toggle)
{
    act_log_set_verbosity(0);
    act_log_toggle(2, 0);
    act_log_set_verbosity(7);
    ck_assert_int_eq(act_log_verbosity(), 7);
}
END_TEST

/* "<program>.<host>.<user>.log.<LEVEL>.<YYYYMMDD-HHMMSS>.<pid>" */
static void check_glog_name(const char *name, const char *program, const char *level)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *user = getenv("USER");
    if (!user || !*user) user = getpwuid(geteuid())->pw_name;
    char prefix[1024], suffix[32];
    snprintf(prefix, sizeof prefix, "%s.%s.%s.log.%s.", program, host, user, level);
    snprintf(suffix, sizeof suffix, ".%d", (int)getpid());
    ck_assert_msg(strncmp(name, prefix, strlen(prefix)) == 0, "'%s' lacks '%s'", name, prefix);
    ck_assert_msg(matches(name + strlen(prefix), "^[0-9]{8}-[0-9]{6}\\.[0-9]+$"), "%s", name);
    size_t n = strlen(name), s = strlen(suffix);
    ck_assert_msg(n > s && strcmp(name + n - s, suffix) == 0, "'%s' lacks pid", name);
}

/* The target of <dir>/<link>, which must be a relative symlink. */
static void link_target(const char *link, char *out, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, link);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ssize_t len = readlink(path, out, n - 1);
    ck_assert_int_gt(len, 0);
    out[len] = '\0';
    ck_assert_ptr_null(strchr(out, '/'));
}

START_TEST(test_log_dir_gets_glog_files_and_symlinks_per_level)
{
    init_with_dir("mesos-test", 0, 0, true);
    LOG_INFO("an info line");
    LOG_WARNING("a warning line");
    LOG_ERROR("an error line");
    static const char *const levels[] = {"INFO", "WARNING", "ERROR"};
    for (int i = 0; i < 3; i++) {
        char link[64], target[256];
        snprintf(link, sizeof link, "mesos-test.%s", levels[i]);
        link_target(link, target, sizeof target);
        check_glog_name(target, "mesos-test", levels[i]);
    }
    char *info = read_in_dir("mesos-test.INFO");
    char *warning = read_in_dir("mesos-test.WARNING");
    char *error = read_in_dir("mesos-test.ERROR");
    /* A line goes to its own level's file and every lower one. */
    ck_assert(strstr(info, "] an info line\n") && strstr(info, "] a warning line\n") &&
              strstr(info, "] an error line\n"));
    ck_assert(!strstr(warning, "an info line") && strstr(warning, "] a warning line\n") &&
              strstr(warning, "] an error line\n"));
    ck_assert(!strstr(error, "an info line") && !strstr(error, "a warning line") &&
              strstr(error, "] an error line\n"));
    ck_assert_msg(matches(info, "^Log file created at: [0-9]{4}/[0-9]{2}/[0-9]{2} "
                                "[0-9:]{8}\nRunning on machine: [^\n]+\n"
                                "Log line format: \\[IWEF\\]mmdd hh:mm:ss.uuuuuu threadid "
                                "file:line\\] msg\n"),
                  "header: %s", info);
    free(info);
    free(warning);
    free(error);
}
END_TEST

START_TEST(test_log_file_names_the_current_info_file)
{
    ck_assert_ptr_null(act_log_file());
    init_with_dir("mesos-test", 0, 0, true);
    char target[256], expect[512];
    link_target("mesos-test.INFO", target, sizeof target);
    snprintf(expect, sizeof expect, "%s/%s", dir, target);
    ck_assert_str_eq(act_log_file(), expect);
    act_log_close();
    ck_assert_ptr_null(act_log_file());
}
END_TEST

START_TEST(test_quiet_keeps_stderr_empty_but_fatal_still_shows)
{
    init_with_dir("mesos-test", 0, 0, true);
    tu_stderr_begin();
    LOG_ERROR("not on stderr");
    act_log_write(ACT_LOG_FATAL, __FILE__, __LINE__, "dying");
    char *out = tu_stderr_end();
    ck_assert_msg(matches(out, "^F[^\n]*\\] dying\n$"), "got '%s'", out);
    free(out);
    char *info = read_in_dir("mesos-test.INFO");
    ck_assert(strstr(info, "] not on stderr\n") && strstr(info, "] dying\n"));
    free(info);
}
END_TEST

/* With --quiet and no --log_dir a line below FATAL has nowhere to go: it is not formatted and
 * its arguments are not evaluated (a busy master logs a line per task). */
START_TEST(test_quiet_without_log_dir_evaluates_nothing_below_fatal)
{
    act_log_options o = {.level = ACT_LOG_INFO, .quiet = true};
    ck_assert_int_eq(act_log_init(&o), 0);
    evaluations = 0;
    tu_stderr_begin();
    LOG_INFO("info %d", side_effect());
    LOG_ERROR("error %d", side_effect());
    act_log_write(ACT_LOG_FATAL, __FILE__, __LINE__, "dying %d", side_effect());
    char *out = tu_stderr_end();
    ck_assert_int_eq(evaluations, 1);
    ck_assert_msg(matches(out, "^F[^\n]*\\] dying 1\n$"), "got '%s'", out);
    free(out);
    ck_assert(!act_log_enabled(ACT_LOG_ERROR));
    o.quiet = false; /* stderr again: every level at or above the minimum is written */
    ck_assert_int_eq(act_log_init(&o), 0);
    ck_assert(act_log_enabled(ACT_LOG_INFO));
}
END_TEST

/* Counts the INFO files of "rot" in dir and the lines "line N" they hold between them. */
static int count_info_files(int *lines)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    int files = 0;
    *lines = 0;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "rot.", 4) != 0 || !strstr(e->d_name, ".log.INFO.")) continue;
        files++;
        char *text = read_in_dir(e->d_name);
        *lines += count_lines(text, "] line ");
        free(text);
    }
    closedir(d);
    return files;
}

START_TEST(test_files_rotate_past_max_file_bytes_and_the_symlink_follows)
{
    init_with_dir("rot", 400, 0, true);
    for (int i = 0; i < 20; i++) LOG_INFO("line %02d of the rotation test", i);
    int lines;
    int files = count_info_files(&lines);
    ck_assert_int_gt(files, 3);
    ck_assert_int_eq(lines, 20); /* nothing lost across rotations */
    char *current = read_in_dir("rot.INFO");
    ck_assert_ptr_nonnull(strstr(current, "] line 19 of the rotation test\n"));
    ck_assert_ptr_null(strstr(current, "] line 00 "));
    ck_assert_msg(strlen(current) < 400 + 200, "file grew to %zu bytes", strlen(current));
    free(current);
}
END_TEST

START_TEST(test_logbufsecs_zero_makes_each_line_visible_at_once)
{
    init_with_dir("mesos-test", 0, 0, true);
    LOG_INFO("visible now");
    char *info = read_in_dir("mesos-test.INFO");
    ck_assert_ptr_nonnull(strstr(info, "] visible now\n"));
    free(info);
}
END_TEST

START_TEST(test_buffered_lines_are_flushed_by_a_warning)
{
    init_with_dir("mesos-test", 0, 3600, true);
    LOG_INFO("held in the buffer");
    char *info = read_in_dir("mesos-test.INFO");
    ck_assert_ptr_null(strstr(info, "held in the buffer"));
    free(info);
    LOG_WARNING("flushes everything");
    info = read_in_dir("mesos-test.INFO");
    ck_assert_ptr_nonnull(strstr(info, "] held in the buffer\n"));
    ck_assert_ptr_nonnull(strstr(info, "] flushes everything\n"));
    free(info);
}
END_TEST

START_TEST(test_fatal_lines_are_always_flushed)
{
    init_with_dir("mesos-test", 0, 3600, true);
    tu_stderr_begin();
    act_log_write(ACT_LOG_FATAL, __FILE__, __LINE__, "last words");
    free(tu_stderr_end());
    char *info = read_in_dir("mesos-test.INFO");
    ck_assert_ptr_nonnull(strstr(info, "] last words\n"));
    free(info);
}
END_TEST

START_TEST(test_close_flushes_buffered_lines)
{
    init_with_dir("mesos-test", 0, 3600, true);
    LOG_INFO("buffered until close");
    act_log_close();
    char *info = read_in_dir("mesos-test.INFO");
    ck_assert_ptr_nonnull(strstr(info, "] buffered until close\n"));
    free(info);
}
END_TEST

START_TEST(test_uncreatable_log_dir_is_an_error_and_stderr_still_works)
{
    act_log_options o = {.log_dir = "/proc/self/no/such/dir"};
    ck_assert_int_lt(act_log_init(&o), 0);
    ck_assert_ptr_null(act_log_file());
    tu_stderr_begin();
    LOG_INFO("still here");
    char *out = tu_stderr_end();
    ck_assert_ptr_nonnull(strstr(out, "] still here\n"));
    free(out);
}
END_TEST

START_TEST(test_log_dir_is_created_when_missing)
{
    snprintf(dir, sizeof dir, "/tmp/test_log.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char nested[128];
    snprintf(nested, sizeof nested, "%s/sub", dir);
    act_log_options o = {.program = "m", .log_dir = nested, .quiet = true};
    ck_assert_int_eq(act_log_init(&o), 0);
    LOG_INFO("in a new directory");
    act_log_close();
    char path[256];
    snprintf(path, sizeof path, "%s/m.INFO", nested);
    char *info = read_whole(path);
    ck_assert_ptr_nonnull(strstr(info, "] in a new directory\n"));
    free(info);
    remove_dir(nested);
}
END_TEST

#define WRITERS 4
#define LINES_EACH 250

static void *writer(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < LINES_EACH; i++) LOG_INFO("writer %ld line %d end", id, i);
    return NULL;
}

START_TEST(test_concurrent_writers_produce_whole_lines)
{
    init_with_dir("mesos-test", 0, 0, true);
    pthread_t threads[WRITERS];
    for (long i = 0; i < WRITERS; i++) pthread_create(&threads[i], NULL, writer, (void *)i);
    for (int i = 0; i < WRITERS; i++) pthread_join(threads[i], NULL);
    char *info = read_in_dir("mesos-test.INFO");
    int lines = 0;
    for (char *line = strtok(info, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != 'I') continue; /* the file header */
        ck_assert_msg(matches(line, "^I[0-9]{4} [0-9:.]{15} [ 0-9]{5} test_log\\.c:[0-9]+\\] "
                                    "writer [0-3] line [0-9]+ end$"),
                      "torn line '%s'", line);
        lines++;
    }
    ck_assert_int_eq(lines, WRITERS * LINES_EACH);
    free(info);
}
END_TEST

Suite *log_suite(void);

Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_line_has_the_glog_format);
    tcase_add_test(tc, test_level_letters_and_single_newline);
    tcase_add_test(tc, test_lines_below_the_level_are_neither_written_nor_evaluated);
    tcase_add_test(tc, test_a_limited_site_writes_once_per_interval_with_the_suppressed_count);
    tcase_add_test(tc, test_limited_sites_are_independent_and_a_clock_gone_back_reopens_them);
    tcase_add_test(tc, test_level_from_init_options);
    tcase_add_test(tc, test_vlog_follows_verbosity_without_evaluating_below_it);
    tcase_add_test(tc, test_toggle_raises_verbosity_and_restores_the_original);
    tcase_add_test(tc, test_toggle_expires_after_its_duration_of_real_time);
    tcase_add_test(tc, test_set_verbosity_cancels_a_pending_toggle);
    tcase_add_test(tc, test_log_dir_gets_glog_files_and_symlinks_per_level);
    tcase_add_test(tc, test_log_file_names_the_current_info_file);
    tcase_add_test(tc, test_quiet_keeps_stderr_empty_but_fatal_still_shows);
    tcase_add_test(tc, test_quiet_without_log_dir_evaluates_nothing_below_fatal);
    tcase_add_test(tc, test_files_rotate_past_max_file_bytes_and_the_symlink_follows);
    tcase_add_test(tc, test_logbufsecs_zero_makes_each_line_visible_at_once);
    tcase_add_test(tc, test_buffered_lines_are_flushed_by_a_warning);
    tcase_add_test(tc, test_fatal_lines_are_always_flushed);
    tcase_add_test(tc, test_close_flushes_buffered_lines);
    tcase_add_test(tc, test_uncreatable_log_dir_is_an_error_and_stderr_still_works);
    tcase_add_test(tc, test_log_dir_is_created_when_missing);
    tcase_add_test(tc, test_concurrent_writers_produce_whole_lines);
    suite_add_tcase(s, tc);
    TCase *fresh = tcase_create("log_fresh_process");
    tcase_add_test(fresh, test_glog_v_sets_the_initial_verbosity);
    suite_add_tcase(s, fresh);
    return s;
}
