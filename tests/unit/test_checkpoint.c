/*
 * test_checkpoint.c - the slave's on-disk layout and checkpoint helpers: paths are Mesos'
 * layout to the character, whole-message checkpoints replace a file atomically and leave no
 * temp files, record logs read back in order, and a torn last record (a crash mid-append) is
 * ignored and cut away while a corrupt whole record is an error naming file and offset.
 */
#include "slave/slave_int.h"
#include "tests/support/testutil.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static void setup(void)
{
    dir = tu_tmpdir();
    ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
    tu_rmrf(dir);
    free(dir);
}

static char *in_dir(char *buf, const char *name)
{
    snprintf(buf, PATH_MAX, "%s/%s", dir, name);
    return buf;
}

static off_t file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

/* Entries of d other than "." and "..". */
static int count_entries(const char *d)
{
    DIR *h = opendir(d);
    ck_assert_ptr_nonnull(h);
    int n = 0;
    for (struct dirent *e; (e = readdir(h));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(h);
    return n;
}

static void append_raw(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* ---- paths ------------------------------------------------------------------------------- */

START_TEST(test_paths_are_mesos_layout)
{
    char b[PATH_MAX];
    const char *wd = "/var/lib/mesos";
    ck_assert_str_eq(path_sandbox(b, sizeof b, wd, "S1", "F1", "E1", "C1"),
                     "/var/lib/mesos/slaves/S1/frameworks/F1/executors/E1/runs/C1");
    ck_assert_str_eq(path_sandbox_latest(b, sizeof b, wd, "S1", "F1", "E1"),
                     "/var/lib/mesos/slaves/S1/frameworks/F1/executors/E1/runs/latest");
    ck_assert_str_eq(path_meta_root(b, sizeof b, wd), "/var/lib/mesos/meta");
    ck_assert_str_eq(path_meta_latest_slave(b, sizeof b, wd), "/var/lib/mesos/meta/slaves/latest");
    ck_assert_str_eq(path_meta_slave(b, sizeof b, wd, "S1"), "/var/lib/mesos/meta/slaves/S1");
    ck_assert_str_eq(path_meta_slave_info(b, sizeof b, wd, "S1"),
                     "/var/lib/mesos/meta/slaves/S1/slave.info");
    ck_assert_str_eq(path_meta_framework(b, sizeof b, wd, "S1", "F1"),
                     "/var/lib/mesos/meta/slaves/S1/frameworks/F1");
    ck_assert_str_eq(path_meta_executor(b, sizeof b, wd, "S1", "F1", "E1"),
                     "/var/lib/mesos/meta/slaves/S1/frameworks/F1/executors/E1");
    ck_assert_str_eq(path_meta_run(b, sizeof b, wd, "S1", "F1", "E1", "C1"),
                     "/var/lib/mesos/meta/slaves/S1/frameworks/F1/executors/E1/runs/C1");
    ck_assert_str_eq(path_meta_task(b, sizeof b, wd, "S1", "F1", "E1", "C1", "T1"),
                     "/var/lib/mesos/meta/slaves/S1/frameworks/F1/executors/E1/runs/C1/tasks/T1");
    ck_assert_str_eq(
        path_meta_task_updates(b, sizeof b, wd, "S1", "F1", "E1", "C1", "T1"),
        "/var/lib/mesos/meta/slaves/S1/frameworks/F1/executors/E1/runs/C1/tasks/T1/task.updates");
}
END_TEST

START_TEST(test_paths_truncate_to_the_buffer)
{
    char b[16];
    ck_assert_str_eq(path_meta_root(b, sizeof b, "/a/very/long/work/dir"), "/a/very/long/wo");
}
END_TEST

/* ---- whole-message checkpoints ----------------------------------------------------------- */

static void fill_info(wire_framework_info *fi, const char *name)
{
    wire_init(WIRE_DESC(framework_info), fi);
    fi->user = "tester";
    fi->name = (char *)name;
    fi->has_checkpoint = true;
    fi->checkpoint = true;
}

START_TEST(test_write_then_read_round_trips_and_creates_parents)
{
    char p[PATH_MAX], err[512];
    wire_framework_info fi;
    fill_info(&fi, "first");
    in_dir(p, "meta/slaves/S1/frameworks/F1/framework.info");
    ck_assert_int_eq(ckpt_write(p, WIRE_DESC(framework_info), &fi, err, sizeof err), 0);
    wire_msg *m = NULL;
    ck_assert_int_eq(ckpt_read(p, WIRE_DESC(framework_info), &m, err, sizeof err), 0);
    ck_assert(wire_equal(WIRE_DESC(framework_info), m->root, &fi));
    wire_msg_free(m);
}
END_TEST

START_TEST(test_write_replaces_existing_file_atomically_without_temp_files)
{
    char p[PATH_MAX], err[512];
    in_dir(p, "framework.info");
    append_raw(p, "old contents that are not msgpack", 33);
    wire_framework_info fi;
    fill_info(&fi, "second");
    ck_assert_int_eq(ckpt_write(p, WIRE_DESC(framework_info), &fi, err, sizeof err), 0);
    ck_assert_int_eq(count_entries(dir), 1);
    wire_msg *m = NULL;
    ck_assert_int_eq(ckpt_read(p, WIRE_DESC(framework_info), &m, err, sizeof err), 0);
    ck_assert_str_eq(((wire_framework_info *)m->root)->name, "second");
    wire_msg_free(m);
}
END_TEST

START_TEST(test_read_absent_is_enoent_with_path_in_error)
{
    char p[PATH_MAX], err[512] = "", want[PATH_MAX + 32];
    in_dir(p, "nothing.info");
    wire_msg *m = (wire_msg *)1;
    ck_assert_int_eq(ckpt_read(p, WIRE_DESC(framework_info), &m, err, sizeof err), -ENOENT);
    ck_assert_ptr_null(m);
    snprintf(want, sizeof want, "open %s: ", p);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "err: %s", err);
}
END_TEST

START_TEST(test_read_corrupt_is_an_error_naming_the_file)
{
    char p[PATH_MAX], err[512] = "";
    in_dir(p, "bad.info");
    append_raw(p, "\xc1\xc1\xc1", 3);
    wire_msg *m = NULL;
    ck_assert_int_eq(ckpt_read(p, WIRE_DESC(framework_info), &m, err, sizeof err), -EBADMSG);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err, p) != NULL, "err: %s", err);
}
END_TEST

START_TEST(test_text_round_trip_and_small_buffer)
{
    char p[PATH_MAX], err[512], buf[64], tiny[4];
    in_dir(p, "pids/forked.pid");
    ck_assert_int_eq(ckpt_write_text(p, "12345", err, sizeof err), 0);
    ck_assert_int_eq(ckpt_read_text(p, buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "12345");
    ck_assert_int_eq(ckpt_read_text(p, tiny, sizeof tiny), -EFBIG);
    in_dir(p, "pids/libprocess.pid");
    ck_assert_int_eq(ckpt_read_text(p, buf, sizeof buf), -ENOENT);
    ck_assert_int_eq(count_entries(in_dir(p, "pids")), 1);
}
END_TEST

START_TEST(test_mkdirs_nested_existing_and_over_a_file)
{
    char p[PATH_MAX];
    ck_assert_int_eq(ckpt_mkdirs(in_dir(p, "a/b/c"), 0755), 0);
    ck_assert_int_eq(ckpt_mkdirs(p, 0755), 0);
    append_raw(in_dir(p, "a/file"), "x", 1);
    ck_assert_int_eq(ckpt_mkdirs(p, 0755), -ENOTDIR);
    ck_assert_int_eq(ckpt_mkdirs(in_dir(p, "a/file/d"), 0755), -ENOTDIR);
}
END_TEST

/* ---- record logs ------------------------------------------------------------------------- */

typedef struct seen {
    int n;
    wire_record_type types[8];
    uint8_t first_byte[8];
} seen;

static void collect(void *ctx, const void *record)
{
    seen *s = ctx;
    const wire_status_update_record *r = record;
    if (s->n < 8) {
        s->types[s->n] = r->type;
        const wire_bytes *u = r->update ? &r->update->uuid : &r->uuid;
        s->first_byte[s->n] = u->len ? u->data[0] : 0;
    }
    s->n++;
}

/* Appends an ACK record whose uuid starts with byte b. */
static void append_ack(const char *path, uint8_t b)
{
    uint8_t uuid[16] = {b};
    wire_status_update_record r;
    wire_init(WIRE_DESC(status_update_record), &r);
    r.type = WIRE_RECORD_ACK;
    r.has_uuid = true;
    r.uuid.data = uuid;
    r.uuid.len = sizeof uuid;
    char err[512];
    ck_assert_int_eq(ckpt_append(path, WIRE_DESC(status_update_record), &r, err, sizeof err), 0);
}

static void append_update(const char *path, uint8_t b)
{
    uint8_t uuid[16] = {b};
    wire_status_update u;
    wire_init(WIRE_DESC(status_update), &u);
    u.framework_id.value = "F1";
    u.status.task_id.value = "T1";
    u.status.state = WIRE_TASK_RUNNING;
    u.uuid.data = uuid;
    u.uuid.len = sizeof uuid;
    wire_status_update_record r;
    wire_init(WIRE_DESC(status_update_record), &r);
    r.type = WIRE_RECORD_UPDATE;
    r.update = &u;
    char err[512];
    ck_assert_int_eq(ckpt_append(path, WIRE_DESC(status_update_record), &r, err, sizeof err), 0);
}

static int read_records(const char *path, seen *s)
{
    char err[512];
    memset(s, 0, sizeof *s);
    return ckpt_read_records(path, WIRE_DESC(status_update_record), collect, s, err,
                             sizeof err);
}

START_TEST(test_records_read_back_in_order)
{
    char p[PATH_MAX];
    in_dir(p, "tasks/T1/task.updates");
    append_update(p, 1);
    append_update(p, 2);
    append_ack(p, 1);
    seen s;
    ck_assert_int_eq(read_records(p, &s), 3);
    ck_assert_int_eq(s.n, 3);
    ck_assert_int_eq(s.types[0], WIRE_RECORD_UPDATE);
    ck_assert_int_eq(s.types[1], WIRE_RECORD_UPDATE);
    ck_assert_int_eq(s.types[2], WIRE_RECORD_ACK);
    ck_assert_int_eq(s.first_byte[2], 1);
}
END_TEST

START_TEST(test_record_framing_is_big_endian_length_then_msgpack)
{
    char p[PATH_MAX];
    in_dir(p, "task.updates");
    append_ack(p, 7);
    uint8_t buf[256];
    int fd = open(p, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    ck_assert_int_gt(n, 4);
    size_t len = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 | (size_t)buf[2] << 8 | buf[3];
    ck_assert_uint_eq(len + 4, (size_t)n);
    wire_msg *m = NULL;
    ck_assert_int_eq(wire_decode(WIRE_DESC(status_update_record), buf + 4, len, &m, NULL, 0), 0);
    ck_assert_int_eq(((wire_status_update_record *)m->root)->type, WIRE_RECORD_ACK);
    wire_msg_free(m);
}
END_TEST

START_TEST(test_torn_last_record_is_ignored_and_truncated)
{
    char p[PATH_MAX];
    in_dir(p, "task.updates");
    append_update(p, 1);
    append_ack(p, 1);
    off_t whole = file_size(p);
    append_raw(p, "\x00\x00\x00\x40\x83\xa4", 6); /* a 64-byte record cut after 2 bytes */
    seen s;
    ck_assert_int_eq(read_records(p, &s), 2);
    ck_assert_int_eq(file_size(p), whole);
    append_update(p, 2); /* later appends start on a record boundary */
    ck_assert_int_eq(read_records(p, &s), 3);
    ck_assert_int_eq(s.types[2], WIRE_RECORD_UPDATE);
    ck_assert_int_eq(s.first_byte[2], 2);
}
END_TEST

START_TEST(test_torn_length_header_is_truncated)
{
    char p[PATH_MAX];
    in_dir(p, "task.updates");
    append_ack(p, 3);
    off_t whole = file_size(p);
    append_raw(p, "\x00\x00", 2);
    seen s;
    ck_assert_int_eq(read_records(p, &s), 1);
    ck_assert_int_eq(file_size(p), whole);
}
END_TEST

START_TEST(test_corrupt_whole_record_names_file_and_offset)
{
    char p[PATH_MAX], err[512] = "", want[64];
    in_dir(p, "task.updates");
    append_ack(p, 1);
    off_t at = file_size(p);
    append_raw(p, "\x00\x00\x00\x02\xc1\xc1", 6); /* whole, but not a record */
    append_ack(p, 2);
    seen s = {0};
    ck_assert_int_eq(ckpt_read_records(p, WIRE_DESC(status_update_record), collect, &s, err,
                                       sizeof err),
                     -EBADMSG);
    ck_assert_int_eq(s.n, 0); /* on error fn is never called */
    ck_assert_msg(strstr(err, p) != NULL, "err: %s", err);
    snprintf(want, sizeof want, "offset %lld", (long long)at);
    ck_assert_msg(strstr(err, want) != NULL, "err: %s", err);
}
END_TEST

START_TEST(test_records_of_absent_or_empty_file)
{
    char p[PATH_MAX];
    seen s;
    ck_assert_int_eq(read_records(in_dir(p, "absent.updates"), &s), -ENOENT);
    append_raw(in_dir(p, "empty.updates"), "", 0);
    ck_assert_int_eq(read_records(p, &s), 0);
}
END_TEST

Suite *checkpoint_suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *paths = tcase_create("paths");
    tcase_add_test(paths, test_paths_are_mesos_layout);
    tcase_add_test(paths, test_paths_truncate_to_the_buffer);
    suite_add_tcase(s, paths);

    TCase *files = tcase_create("files");
    tcase_add_checked_fixture(files, setup, teardown);
    tcase_add_test(files, test_write_then_read_round_trips_and_creates_parents);
    tcase_add_test(files, test_write_replaces_existing_file_atomically_without_temp_files);
    tcase_add_test(files, test_read_absent_is_enoent_with_path_in_error);
    tcase_add_test(files, test_read_corrupt_is_an_error_naming_the_file);
    tcase_add_test(files, test_text_round_trip_and_small_buffer);
    tcase_add_test(files, test_mkdirs_nested_existing_and_over_a_file);
    suite_add_tcase(s, files);

    TCase *records = tcase_create("records");
    tcase_add_checked_fixture(records, setup, teardown);
    tcase_add_test(records, test_records_read_back_in_order);
    tcase_add_test(records, test_record_framing_is_big_endian_length_then_msgpack);
    tcase_add_test(records, test_torn_last_record_is_ignored_and_truncated);
    tcase_add_test(records, test_torn_length_header_is_truncated);
    tcase_add_test(records, test_corrupt_whole_record_names_file_and_offset);
    tcase_add_test(records, test_records_of_absent_or_empty_file);
    suite_add_tcase(s, records);
    return s;
}
