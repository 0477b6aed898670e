/*
 * checkpoint.c - durable files for slave recovery: whole-message files replaced atomically
 * (temp file in the same directory, fsync, rename, fsync of the directory, as Mesos'
 * state::checkpoint does) and append-only record logs (task.updates) whose torn tail, left
 * by a crash mid-append, is cut away on reading. Everything is msgpack through wire/.
 */
#include "slave/slave_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A record log or checkpoint larger than this is not ours: refuse to read it into memory. */
#define CKPT_MAX_FILE (256u << 20)
#define CKPT_HEADER 4

/* Writes "<what> <path>: <strerror(-rc)>" into err and returns rc (a negative errno). */
static int fail(char *err, size_t errlen, const char *what, const char *path, int rc)
{
    if (err && errlen) snprintf(err, errlen, "%s %s: %s", what, path, act_strerror(rc));
    return rc;
}

int ckpt_mkdirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0) return -EINVAL;
    if (len >= sizeof buf) return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; ; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST) return -errno;
        *p = saved;
        if (saved == '\0') break;
    }
    struct stat st;
    if (stat(path, &st) != 0) return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Copies the directory part of path into dir ("." when there is none). */
static void dir_of(const char *path, char *dir, size_t n)
{
    snprintf(dir, n, "%s", path);
    char *d = dirname(dir);
    if (d != dir) snprintf(dir, n, "%s", d);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

/* Writes all of data to fd, resuming after short writes and EINTR. Returns 0 or -errno. */
static int write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Fills a fresh temp file next to `path` (its name in tmp) and makes it durable. */
static int write_temp(const char *path, char *tmp, size_t tmplen, const void *data, size_t len,
                      char *err, size_t errlen)
{
    if ((size_t)snprintf(tmp, tmplen, "%s.tmp.XXXXXX", path) >= tmplen)
        return fail(err, errlen, "path", path, -ENAMETOOLONG);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, "create", tmp, -errno);
    int rc = fchmod(fd, 0644) == 0 ? 0 : -errno;
    if (rc == 0) rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd) != 0) rc = -errno;
    close(fd);
    if (rc != 0) {
        unlink(tmp);
        return fail(err, errlen, "write", tmp, rc);
    }
    return 0;
}

int ckpt_write_bytes(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    int rc = ckpt_mkdirs(dir, 0755);
    if (rc != 0) return fail(err, errlen, "mkdir", dir, rc);
    rc = write_temp(path, tmp, sizeof tmp, data, len, err, errlen);
    if (rc != 0) return rc;
    if (rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
        return fail(err, errlen, "rename", tmp, rc);
    }
    rc = fsync_dir(dir);
    return rc == 0 ? 0 : fail(err, errlen, "fsync", dir, rc);
}

/* Encodes obj into out. Returns 0 or -EINVAL (err names the type). */
static int encode(const char *path, const wire_desc *desc, const void *obj, act_buf *out,
                  char *err, size_t errlen)
{
    int rc = wire_encode(desc, obj, out);
    if (rc == 0) return 0;
    if (err && errlen)
        snprintf(err, errlen, "encode %s for %s: %s", wire_type_name(desc), path,
                 wire_strerror(rc));
    return -EINVAL;
}

int ckpt_write(const char *path, const wire_desc *desc, const void *obj, char *err,
               size_t errlen)
{
    act_buf b = {0};
    int rc = encode(path, desc, obj, &b, err, errlen);
    if (rc == 0) rc = ckpt_write_bytes(path, b.data, b.len, err, errlen);
    act_buf_free(&b);
    return rc;
}

/* Reads the whole file into out (appended). Returns 0 or -errno (err says what). */
static int read_all(const char *path, act_buf *out, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, "open", path, -errno);
    int rc = 0;
    for (;;) {
        act_buf_reserve(out, 64 * 1024);
        ssize_t r = read(fd, out->data + out->len, out->cap - out->len - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            rc = r < 0 ? -errno : 0;
            break;
        }
        out->len += (size_t)r;
        out->data[out->len] = '\0';
        if (out->len > CKPT_MAX_FILE) {
            rc = -EFBIG;
            break;
        }
    }
    close(fd);
    return rc == 0 ? 0 : fail(err, errlen, "read", path, rc);
}

int ckpt_read(const char *path, const wire_desc *desc, wire_msg **out, char *err,
              size_t errlen)
{
    *out = NULL;
    act_buf b = {0};
    int rc = read_all(path, &b, err, errlen);
    if (rc == 0) {
        char why[256];
        if (wire_decode(desc, b.data, b.len, out, why, sizeof why) != 0) {
            if (err && errlen) snprintf(err, errlen, "decode %s: %s", path, why);
            rc = -EBADMSG;
        }
    }
    act_buf_free(&b);
    return rc;
}

/* Makes a newly created file's directory entry durable (the data is fsynced by the caller). */
static int sync_new_entry(const char *path, bool created)
{
    if (!created) return 0;
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    return fsync_dir(dir);
}

/* Opens path for appending, creating it and its parents. *created: it was empty before. */
static int open_append(const char *path, bool *created, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    int rc = ckpt_mkdirs(dir, 0755);
    if (rc != 0) return fail(err, errlen, "mkdir", dir, rc);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail(err, errlen, "open", path, -errno);
    struct stat st;
    *created = fstat(fd, &st) == 0 && st.st_size == 0;
    return fd;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int ckpt_append(const char *path, const wire_desc *desc, const void *obj, char *err,
                size_t errlen)
{
    act_buf b = {0};
    act_buf_append(&b, "\0\0\0\0", CKPT_HEADER);
    int rc = encode(path, desc, obj, &b, err, errlen);
    if (rc != 0) goto out;
    put_be32((uint8_t *)b.data, (uint32_t)(b.len - CKPT_HEADER));
    bool created = false;
    int fd = open_append(path, &created, err, errlen);
    if (fd < 0) {
        rc = fd;
        goto out;
    }
    rc = write_all(fd, b.data, b.len);
    if (rc == 0 && fsync(fd) != 0) rc = -errno;
    close(fd);
    if (rc == 0) rc = sync_new_entry(path, created);
    if (rc != 0) fail(err, errlen, "append", path, rc);
out:
    act_buf_free(&b);
    return rc;
}

/* The decoded records of one log, in file order. */
typedef struct record_list {
    wire_msg **v;
    size_t n, cap;
} record_list;

static void records_free(record_list *l)
{
    for (size_t i = 0; i < l->n; i++) wire_msg_free(l->v[i]);
    free(l->v);
}

static void records_push(record_list *l, wire_msg *m)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = act_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = m;
}

/* Decodes the records of data. Sets *end to where the last whole record ends (< len when the
 * tail is torn). Returns 0 or -EBADMSG for a whole record that does not decode. */
static int parse_records(const char *path, const wire_desc *desc, const uint8_t *data,
                         size_t len, record_list *out, size_t *end, char *err, size_t errlen)
{
    size_t off = 0;
    while (len - off >= CKPT_HEADER) {
        const uint8_t *h = data + off;
        size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (len - off - CKPT_HEADER < n) break;
        wire_msg *m = NULL;
        char why[256];
        if (wire_decode(desc, h + CKPT_HEADER, n, &m, why, sizeof why) != 0) {
            if (err && errlen)
                snprintf(err, errlen, "decode %s: record at offset %zu: %s", path, off, why);
            return -EBADMSG;
        }
        records_push(out, m);
        off += CKPT_HEADER + n;
    }
    *end = off;
    return 0;
}

/* Cuts a torn tail away so that the next append starts on a record boundary. */
static int truncate_torn(const char *path, size_t end, size_t len, char *err, size_t errlen)
{
    LOG_WARNING("Truncating torn record at offset %zu of %s (%zu bytes dropped)", end, path,
                len - end);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail(err, errlen, "open", path, -errno);
    int rc = ftruncate(fd, (off_t)end) == 0 && fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc == 0 ? 0 : fail(err, errlen, "truncate", path, rc);
}

int ckpt_read_records(const char *path, const wire_desc *desc,
                      void (*fn)(void *ctx, const void *record), void *ctx, char *err,
                      size_t errlen)
{
    act_buf b = {0};
    record_list l = {0};
    size_t end = 0;
    int rc = read_all(path, &b, err, errlen);
    if (rc == 0)
        rc = parse_records(path, desc, (const uint8_t *)b.data, b.len, &l, &end, err, errlen);
    if (rc == 0 && end < b.len) rc = truncate_torn(path, end, b.len, err, errlen);
    if (rc == 0) {
        for (size_t i = 0; i < l.n; i++) fn(ctx, l.v[i]->root);
        rc = (int)l.n;
    }
    records_free(&l);
    act_buf_free(&b);
    return rc;
}

int ckpt_read_text(const char *path, char *buf, size_t n)
{
    if (n == 0) return -EINVAL;
    act_buf b = {0};
    int rc = read_all(path, &b, NULL, 0);
    if (rc == 0 && b.len >= n) rc = -EFBIG;
    if (rc == 0) {
        memcpy(buf, b.data ? b.data : "", b.len);
        buf[b.len] = '\0';
        rc = (int)b.len;
    }
    act_buf_free(&b);
    return rc;
}

int ckpt_write_text(const char *path, const char *text, char *err, size_t errlen)
{
    return ckpt_write_bytes(path, text, strlen(text), err, errlen);
}
