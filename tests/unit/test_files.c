/*
 * test_files.c - the "files" actor over real HTTP on loopback: an attached sandbox is
 * browsed (entries, sizes, modes), read by offset and length (Mesos' offset=-1 = size, the
 * 16-page cap, empty data past the end, every byte escaped), downloaded with its attachment
 * header whatever its size (the body streams from the file), and detached; paths that
 * escape the attached directory (by "..", or by a symlink) and unknown paths answer 404; bad
 * numbers and directories to read or download answer 400; browsing a file lists nothing.
 */
#include "actor/actor.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *tmp;        /* the test's directory */
static char sandbox[512]; /* <tmp>/sandbox, attached under its own path */
static act_pid files;

static const char stdout_text[] = "0123\"56\n89abcdef"; /* 16 bytes, with bytes to escape */

static void write_file(const char *dir, const char *name, const void *data, size_t len,
                       mode_t mode)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
}

static void in_tmp(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", tmp, rel);
}

static void attach(const char *path, const char *name)
{
    ck_assert_int_eq(act_files_attach(&files, path, name), 0);
    ck_assert_int_eq(act_clock_settle(), 0);
}

static void detach(const char *name)
{
    ck_assert_int_eq(act_files_detach(&files, name), 0);
    ck_assert_int_eq(act_clock_settle(), 0);
}

/* A sandbox with stdout (0644), stderr (0600) and sub/ (0755, one file), next to an
 * outside/ directory the sandbox must not reveal. */
static void setup(void)
{
    tu_runtime_start(1);
    tmp = tu_tmpdir();
    ck_assert_ptr_nonnull(tmp);
    char path[1024];
    in_tmp(sandbox, sizeof sandbox, "sandbox");
    ck_assert_int_eq(mkdir(sandbox, 0755), 0);
    write_file(sandbox, "stdout", stdout_text, strlen(stdout_text), 0644);
    write_file(sandbox, "stderr", "oops\n", 5, 0600);
    in_tmp(path, sizeof path, "sandbox/sub");
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_assert_int_eq(chmod(path, 0755), 0);
    write_file(path, "inner", "x", 1, 0644);
    in_tmp(path, sizeof path, "outside");
    ck_assert_int_eq(mkdir(path, 0755), 0);
    write_file(path, "secret", "secret", 6, 0644);
    files = act_files_spawn(0);
    ck_assert(!act_pid_is_none(&files));
    attach(sandbox, sandbox);
}

static void teardown(void)
{
    act_shutdown();
    tu_rmrf(tmp);
    free(tmp);
}

/* GET /files/<what>?<query, printf-style>; returns the status. */
static int get(act_buf *head, act_buf *body, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int get(act_buf *head, act_buf *body, const char *what, const char *fmt, ...)
{
    char url[2048];
    int n = snprintf(url, sizeof url, "/files/%s?", what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(url + n, sizeof url - (size_t)n, fmt, ap);
    va_end(ap);
    if (body) act_buf_reset(body);
    if (head) act_buf_reset(head);
    act_buf scratch = {0};
    int status = tu_http_get_head(act_port(), url, head ? head : &scratch, body);
    act_buf_free(&scratch);
    return status;
}

/* GETs a JSON endpoint that must answer 200 and returns the parsed answer (json_decref it). */
static json_t *get_json(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static json_t *get_json(const char *what, const char *fmt, ...)
{
    char query[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(query, sizeof query, fmt, ap);
    va_end(ap);
    act_buf body = {0};
    ck_assert_int_eq(get(NULL, &body, what, "%s", query), 200);
    json_error_t e;
    json_t *v = json_loadb(body.data, body.len, JSON_ALLOW_NUL, &e);
    ck_assert_msg(v != NULL, "not JSON (%s): %s", e.text, body.data);
    act_buf_free(&body);
    return v;
}

/* Reads through read.json and checks the answer's data and offset. */
static void check_read(const char *query, const char *data, size_t len, json_int_t offset)
{
    json_t *v = get_json("read.json", "path=%s/stdout%s", sandbox, query);
    json_t *d = json_object_get(v, "data");
    ck_assert_msg(json_is_string(d), "%s: no data", query);
    ck_assert_uint_eq(json_string_length(d), len);
    ck_assert(memcmp(json_string_value(d), data, len) == 0);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "offset")), offset);
    json_decref(v);
}

static const char *str_at(json_t *entry, const char *key)
{
    const char *s = json_string_value(json_object_get(entry, key));
    ck_assert_msg(s != NULL, "no string '%s'", key);
    return s;
}

/* Checks one browse.json entry; size < 0: any size (a directory's depends on the fs). */
static void check_entry(json_t *entry, const char *name, const char *mode, json_int_t size)
{
    char vpath[1024];
    snprintf(vpath, sizeof vpath, "%s/%s", sandbox, name);
    ck_assert_str_eq(str_at(entry, "path"), vpath);
    ck_assert_str_eq(str_at(entry, "mode"), mode);
    if (size >= 0) ck_assert_int_eq(json_integer_value(json_object_get(entry, "size")), size);
    struct passwd *pw = getpwuid(getuid());
    if (pw) ck_assert_str_eq(str_at(entry, "uid"), pw->pw_name);
    ck_assert(json_is_string(json_object_get(entry, "gid")));
    ck_assert_int_gt(json_integer_value(json_object_get(entry, "mtime")), 0);
    ck_assert_int_ge(json_integer_value(json_object_get(entry, "nlink")), 1);
}

START_TEST(test_browse_lists_the_sandbox_sorted_with_sizes_and_modes)
{
    json_t *v = get_json("browse.json", "path=%s", sandbox);
    ck_assert(json_is_array(v));
    ck_assert_uint_eq(json_array_size(v), 3);
    check_entry(json_array_get(v, 0), "stderr", "-rw-------", 5);
    check_entry(json_array_get(v, 1), "stdout", "-rw-r--r--", 16);
    check_entry(json_array_get(v, 2), "sub", "drwxr-xr-x", -1);
    json_decref(v);
    /* A trailing slash names the same directory; entries still join with one slash. */
    v = get_json("browse.json", "path=%s/", sandbox);
    ck_assert_uint_eq(json_array_size(v), 3);
    check_entry(json_array_get(v, 0), "stderr", "-rw-------", 5);
    json_decref(v);
    v = get_json("browse.json", "path=%s/stdout", sandbox); /* as Mesos: a file lists nothing */
    ck_assert(json_is_array(v));
    ck_assert_uint_eq(json_array_size(v), 0);
    json_decref(v);
}
END_TEST

START_TEST(test_read_returns_exactly_the_requested_window)
{
    check_read("&offset=3&length=4", "3\"56", 4, 3);
    check_read("&offset=0", stdout_text, 16, 0);
    check_read("&offset=10&length=100", "abcdef", 6, 10);
    check_read("&offset=3&length=0", "", 0, 3);
}
END_TEST

START_TEST(test_read_at_offset_minus_one_or_past_the_end_gives_the_size)
{
    check_read("&offset=-1", "", 0, 16);
    check_read("", "", 0, 16); /* no offset: the end, as Mesos */
    check_read("&offset=16&length=5", "", 0, 16);
    check_read("&offset=1000", "", 0, 16);
}
END_TEST

START_TEST(test_read_is_capped_at_sixteen_pages)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = page * 20;
    char *big = act_malloc(len);
    for (size_t i = 0; i < len; i++) big[i] = (char)('a' + i % 26);
    write_file(sandbox, "big", big, len, 0644);
    json_t *v = get_json("read.json", "path=%s/big&offset=0", sandbox);
    json_t *d = json_object_get(v, "data");
    ck_assert_uint_eq(json_string_length(d), page * 16);
    ck_assert(memcmp(json_string_value(d), big, page * 16) == 0);
    json_decref(v);
    v = get_json("read.json", "path=%s/big&offset=%zu&length=%zu", sandbox, page * 18, len);
    ck_assert_uint_eq(json_string_length(json_object_get(v, "data")), page * 2);
    json_decref(v);
    free(big);
}
END_TEST

START_TEST(test_bad_requests_answer_400)
{
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/stdout&offset=abc", sandbox), 400);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/stdout&length=-5", sandbox), 400);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/stdout&offset=3x", sandbox), 400);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/sub", sandbox), 400);
    ck_assert_int_eq(get(NULL, NULL, "download.json", "path=%s/sub", sandbox), 400);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "offset=0"), 400);
    ck_assert_int_eq(get(NULL, NULL, "browse.json", "path="), 400);
}
END_TEST

START_TEST(test_unknown_paths_answer_404)
{
    ck_assert_int_eq(get(NULL, NULL, "browse.json", "path=/nowhere"), 404);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/missing", sandbox), 404);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/stdout/x", sandbox), 404);
    ck_assert_int_eq(get(NULL, NULL, "download.json", "path=%s/missing", sandbox), 404);
    /* A name matches whole components only: <sandbox>x is not below <sandbox>. */
    ck_assert_int_eq(get(NULL, NULL, "browse.json", "path=%sx", sandbox), 404);
}
END_TEST

START_TEST(test_paths_escaping_the_attached_directory_answer_404)
{
    char outside[1024], link[1024];
    in_tmp(outside, sizeof outside, "outside");
    snprintf(link, sizeof link, "%s/escape", sandbox);
    ck_assert_int_eq(symlink(outside, link), 0);
    snprintf(link, sizeof link, "%s/secret", sandbox);
    ck_assert_int_eq(symlink("../outside/secret", link), 0);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/../outside/secret&offset=0",
                         sandbox), 404);
    ck_assert_int_eq(get(NULL, NULL, "browse.json", "path=%s/..", sandbox), 404);
    ck_assert_int_eq(get(NULL, NULL, "browse.json", "path=%s/escape", sandbox), 404);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/escape/secret&offset=0", sandbox),
                     404);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/secret&offset=0", sandbox), 404);
    ck_assert_int_eq(get(NULL, NULL, "download.json", "path=%s/secret", sandbox), 404);
    /* A sibling whose name merely starts with the sandbox's is outside too. */
    char sibling[1024];
    snprintf(sibling, sizeof sibling, "%sx", sandbox);
    ck_assert_int_eq(mkdir(sibling, 0755), 0);
    write_file(sibling, "secret", "secret", 6, 0644);
    snprintf(link, sizeof link, "%s/sibling", sandbox);
    ck_assert_int_eq(symlink(sibling, link), 0);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/sibling/secret&offset=0", sandbox),
                     404);
    /* ".." and symlinks that stay inside are fine. */
    snprintf(link, sizeof link, "%s/latest", sandbox);
    ck_assert_int_eq(symlink("sub", link), 0);
    json_t *v = get_json("read.json", "path=%s/sub/../stdout&offset=0&length=2", sandbox);
    ck_assert_str_eq(json_string_value(json_object_get(v, "data")), "01");
    json_decref(v);
    v = get_json("read.json", "path=%s/latest/inner&offset=0", sandbox);
    ck_assert_str_eq(json_string_value(json_object_get(v, "data")), "x");
    json_decref(v);
}
END_TEST

START_TEST(test_virtual_names_resolve_by_longest_prefix)
{
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/sub", sandbox);
    attach(sandbox, "/virtual/sandbox/");
    attach(sub, "/virtual/sandbox/stdout"); /* the longer name wins below it */
    json_t *v = get_json("browse.json", "path=/virtual/sandbox");
    ck_assert_uint_eq(json_array_size(v), 3);
    ck_assert_str_eq(str_at(json_array_get(v, 1), "path"), "/virtual/sandbox/stdout");
    json_decref(v);
    v = get_json("read.json", "path=/virtual/sandbox/stdout/inner&offset=0");
    ck_assert_str_eq(json_string_value(json_object_get(v, "data")), "x");
    json_decref(v);
    v = get_json("read.json", "path=/virtual/sandbox/stderr&offset=0");
    ck_assert_str_eq(json_string_value(json_object_get(v, "data")), "oops\n");
    json_decref(v);
    /* A file can be attached too (the slave's log); nothing is below it. */
    char log[1024];
    snprintf(log, sizeof log, "%s/stderr", sandbox);
    attach(log, "/slave/log");
    v = get_json("read.json", "path=/slave/log&offset=1&length=3");
    ck_assert_str_eq(json_string_value(json_object_get(v, "data")), "ops");
    json_decref(v);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=/slave/log/x"), 404);
}
END_TEST

START_TEST(test_download_sends_the_bytes_as_an_attachment)
{
    static const char bin[] = "a\0b\r\nc\xff";
    write_file(sandbox, "data.bin", bin, sizeof bin - 1, 0644);
    act_buf head = {0}, body = {0};
    ck_assert_int_eq(get(&head, &body, "download.json", "path=%s/data.bin", sandbox), 200);
    ck_assert_uint_eq(body.len, sizeof bin - 1);
    ck_assert(memcmp(body.data, bin, body.len) == 0);
    ck_assert_ptr_nonnull(strstr(head.data, "Content-Type: application/octet-stream\r\n"));
    ck_assert_ptr_nonnull(strstr(head.data, "Content-Disposition: attachment; filename=data.bin\r\n"));
    ck_assert_int_eq(get(&head, &body, "download.json", "path=%s/stdout", sandbox), 200);
    ck_assert_str_eq(body.data, stdout_text);
    act_buf_free(&head);
    act_buf_free(&body);
}
END_TEST

START_TEST(test_download_streams_files_of_any_size)
{
    /* 65 MB (sparse: zeros), past the 64 MB a download was once refused at. */
    char path[1024];
    snprintf(path, sizeof path, "%s/huge", sandbox);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    const off_t size = (off_t)65 << 20;
    ck_assert_int_eq(ftruncate(fd, size - 3), 0);
    ck_assert_int_eq(pwrite(fd, "end", 3, size - 3), 3);
    close(fd);
    act_buf head = {0}, body = {0};
    ck_assert_int_eq(get(&head, &body, "download.json", "path=%s", path), 200);
    ck_assert_ptr_nonnull(strstr(head.data, "Content-Length: 68157440\r\n"));
    ck_assert_uint_eq(body.len, (size_t)size);
    ck_assert(memcmp(body.data + size - 3, "end", 3) == 0);
    ck_assert_uint_eq(strlen(body.data), 0); /* zeros up to there */
    act_buf_free(&head);
    act_buf_free(&body);
}
END_TEST

START_TEST(test_read_escapes_every_byte_of_a_window_made_in_pieces)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = page * 16;
    char *text = act_malloc(len);
    for (size_t i = 0; i < len; i++) text[i] = (char)(i % 128); /* quotes, controls, all */
    write_file(sandbox, "ascii", text, len, 0644);
    json_t *v = get_json("read.json", "path=%s/ascii&offset=0&length=%zu", sandbox, len);
    json_t *d = json_object_get(v, "data");
    ck_assert_uint_eq(json_string_length(d), len);
    ck_assert(memcmp(json_string_value(d), text, len) == 0);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "offset")), 0);
    ck_assert_uint_eq(json_object_size(v), 2);
    json_decref(v);
    free(text);
}
END_TEST

START_TEST(test_debug_shows_attachments_and_detach_hides_them)
{
    json_t *v = get_json("debug.json", "x=1");
    char real[4096];
    ck_assert_ptr_nonnull(realpath(sandbox, real));
    ck_assert_str_eq(json_string_value(json_object_get(v, sandbox)), real);
    ck_assert_uint_eq(json_object_size(v), 1);
    json_decref(v);
    detach(sandbox);
    ck_assert_int_eq(get(NULL, NULL, "browse.json", "path=%s", sandbox), 404);
    ck_assert_int_eq(get(NULL, NULL, "read.json", "path=%s/stdout&offset=0", sandbox), 404);
    ck_assert_int_eq(get(NULL, NULL, "download.json", "path=%s/stdout", sandbox), 404);
    v = get_json("debug.json", "x=1");
    ck_assert_uint_eq(json_object_size(v), 0);
    json_decref(v);
}
END_TEST

START_TEST(test_attaching_a_missing_path_is_ignored)
{
    char missing[1024];
    in_tmp(missing, sizeof missing, "missing");
    attach(missing, "/gone");
    ck_assert_int_eq(get(NULL, NULL, "browse.json", "path=/gone"), 404);
    json_t *v = get_json("debug.json", "x=1");
    ck_assert_ptr_null(json_object_get(v, "/gone"));
    json_decref(v);
}
END_TEST

START_TEST(test_jsonp_wraps_the_answer)
{
    act_buf head = {0}, body = {0};
    ck_assert_int_eq(get(&head, &body, "read.json", "path=%s/stdout&offset=0&length=2&jsonp=cb",
                         sandbox), 200);
    ck_assert_str_eq(body.data, "cb({\"data\":\"01\",\"offset\":0});");
    ck_assert_ptr_nonnull(strstr(head.data, "Content-Type: text/javascript"));
    ck_assert_int_eq(get(&head, &body, "browse.json", "path=%s/sub&jsonp=list", sandbox), 200);
    ck_assert(strncmp(body.data, "list([{", 7) == 0);
    act_buf_free(&head);
    act_buf_free(&body);
}
END_TEST

Suite *files_suite(void)
{
    Suite *s = suite_create("files");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_browse_lists_the_sandbox_sorted_with_sizes_and_modes);
    tcase_add_test(tc, test_read_returns_exactly_the_requested_window);
    tcase_add_test(tc, test_read_at_offset_minus_one_or_past_the_end_gives_the_size);
    tcase_add_test(tc, test_read_is_capped_at_sixteen_pages);
    tcase_add_test(tc, test_bad_requests_answer_400);
    tcase_add_test(tc, test_unknown_paths_answer_404);
    tcase_add_test(tc, test_paths_escaping_the_attached_directory_answer_404);
    tcase_add_test(tc, test_virtual_names_resolve_by_longest_prefix);
    tcase_add_test(tc, test_download_sends_the_bytes_as_an_attachment);
    tcase_add_test(tc, test_download_streams_files_of_any_size);
    tcase_add_test(tc, test_read_escapes_every_byte_of_a_window_made_in_pieces);
    tcase_add_test(tc, test_debug_shows_attachments_and_detach_hides_them);
    tcase_add_test(tc, test_attaching_a_missing_path_is_ignored);
    tcase_add_test(tc, test_jsonp_wraps_the_answer);
    suite_add_tcase(s, tc);
    return s;
}
